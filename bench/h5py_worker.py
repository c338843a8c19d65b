#!/usr/bin/python3
"""h5py_worker.py: the h5py side of B4 and B6, one measurement per process.

  h5py_worker.py read FILE VAR              whole variable into numpy
  h5py_worker.py boxes FILE VAR BOXFILE     a box per line: "z y x dz dy dx"
  h5py_worker.py sel FILE VAR SELECTION     "[::4, :, 100]" and the like

Prints `open_s=... read_s=... sum=...` like the C programs: read_s is the
selection alone (after File() and the dataset lookup); sum is taken after
the clock stops. hdf5plugin is imported first when present, as a user
reading zstd data must."""

import sys
import time

try:
    import hdf5plugin  # noqa: F401  (registers the zstd filter, 32015)
except ImportError:
    pass
import h5py
import numpy as np


def parse_selection(text, ndim):
    """A numpy index from "[a:b:c, i, ...]"; enough for the benches."""
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    out = []
    for part in text.split(","):
        part = part.strip()
        if part == "...":
            out.append(Ellipsis)
        elif ":" in part:
            bits = [int(b) if b.strip() else None for b in part.split(":")]
            out.append(slice(*bits))
        else:
            out.append(int(part))
    return tuple(out)


def total(a):
    a = np.asarray(a)
    if a.dtype.kind in "ui":
        return int(a.sum(dtype=np.uint64))
    return int(a.view(np.uint8).sum(dtype=np.uint64))


def main():
    op, path, var = sys.argv[1:4]
    t0 = time.perf_counter()
    f = h5py.File(path, "r")
    ds = f[var]
    t1 = time.perf_counter()
    s, read_s = 0, None
    if op == "read":
        a = ds[...]
        t2 = time.perf_counter()
        s = total(a)
    elif op == "boxes":
        with open(sys.argv[4]) as bf:
            boxes = [tuple(int(x) for x in line.split()) for line in bf if line.strip()]
        # only the reads are timed: each box is summed outside the clock
        read_s = 0.0
        for z, y, x, dz, dy, dx in boxes:
            ta = time.perf_counter()
            a = ds[z:z + dz, y:y + dy, x:x + dx]
            read_s += time.perf_counter() - ta
            s += total(a)
    elif op == "sel":
        a = ds[parse_selection(sys.argv[4], ds.ndim)]
        t2 = time.perf_counter()
        s = total(a)
    else:
        sys.exit("h5py_worker: unknown operation " + op)
    f.close()
    if read_s is None:
        read_s = t2 - t1
    print("open_s=%.6f read_s=%.6f sum=%d" % (t1 - t0, read_s, s))


if __name__ == "__main__":
    main()
