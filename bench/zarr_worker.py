#!/usr/bin/python3
"""zarr_worker.py: the zarr-python (2.13) side of B3, B4 and B7, one
measurement per process.

  zarr_worker.py walk STORE consolidated|plain   open + walk all metadata
  zarr_worker.py read STORE VAR                  whole array into numpy
  zarr_worker.py write STORE RAW SHAPE CHUNKS zstd|blosc-lz4
                                                 the uint16 values of RAW
                                                 (C order) as a v2 array

Prints `open_s=... walk_s=...` (walk: plus groups= vars= attrs=) or
`open_s=... read_s=... sum=...` like the C programs; times are inside the
process, after the imports. The walk touches what libdtree's does: every
group's attributes, every array's shape, chunks, dtype, codecs, fill value
and attributes. write prints `write_s=...` (array creation, the chunks and
the metadata, with .zmetadata consolidated after them)."""

import sys
import time

import numcodecs
import numpy as np
import zarr


def walk(store, consolidated):
    t0 = time.perf_counter()
    if consolidated:
        root = zarr.open_consolidated(store, mode="r")
    else:
        root = zarr.open_group(store, mode="r")
    t1 = time.perf_counter()
    n = {"groups": 0, "vars": 0, "attrs": 0}
    touched = 0
    stack = [root]
    while stack:
        g = stack.pop()
        n["groups"] += 1
        at = g.attrs.asdict()
        n["attrs"] += len(at)
        for _, a in g.arrays():
            touched += len(a.shape) + len(a.chunks) + a.dtype.itemsize
            touched += a.compressor is not None
            touched += len(a.filters or ())
            touched += a.fill_value is not None
            at = a.attrs.asdict()
            n["attrs"] += len(at)
            n["vars"] += 1
        stack.extend(sg for _, sg in g.groups())
    t2 = time.perf_counter()
    print("open_s=%.6f walk_s=%.6f groups=%d vars=%d attrs=%d touched=%d" % (
        t1 - t0, t2 - t1, n["groups"], n["vars"], n["attrs"], touched))


def total(a):
    if a.dtype.kind in "ui":
        return int(a.sum(dtype=np.uint64))
    return int(a.view(np.uint8).sum(dtype=np.uint64))


def read(store, var):
    t0 = time.perf_counter()
    g = zarr.open_group(store, mode="r")
    arr = g[var.strip("/")]
    t1 = time.perf_counter()
    a = arr[...]
    t2 = time.perf_counter()
    print("open_s=%.6f read_s=%.6f sum=%d" % (t1 - t0, t2 - t1, total(a)))


def compressor(name):
    if name == "zstd":
        return numcodecs.Zstd(level=1)
    if name == "blosc-lz4":
        return numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE)
    sys.exit("zarr_worker: unknown codec " + name)


def write(store, raw, shape, chunks, codec):
    shape = tuple(int(x) for x in shape.split("x"))
    chunks = tuple(int(x) for x in chunks.split("x"))
    data = np.fromfile(raw, dtype="<u2").reshape(shape)
    t0 = time.perf_counter()
    g = zarr.open_group(store, mode="w")
    arr = g.create_dataset("data", shape=shape, chunks=chunks, dtype="<u2",
                           compressor=compressor(codec), fill_value=0)
    arr.attrs["_ARRAY_DIMENSIONS"] = ["z", "y", "x"]
    arr[...] = data
    zarr.consolidate_metadata(store)
    t1 = time.perf_counter()
    print("write_s=%.6f sum=%d" % (t1 - t0, total(data)))


def main():
    op = sys.argv[1]
    if op == "walk":
        walk(sys.argv[2], sys.argv[3] == "consolidated")
    elif op == "read":
        read(sys.argv[2], sys.argv[3])
    elif op == "write":
        write(*sys.argv[2:7])
    else:
        sys.exit("zarr_worker: unknown operation " + op)


if __name__ == "__main__":
    main()
