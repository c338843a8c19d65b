#!/usr/bin/python3
"""b6_selections.py: bench B6, selections of a 3-D chunked variable.

The file (made here with h5py): /data, uint16, 512 x 1024 x 1024 (1 GiB) in
64 x 64 x 64 chunks, shuffle + deflate level 1 (the values: B4's field, see
b4_throughput.slabs). Three workloads, each timed inside a fresh process
(the reads alone, after the open) for libdtree (bench/b6_select) and for
h5py (h5py_worker.py) with its default chunk cache:

  boxes   1,000 boxes of 64^3 at random (unaligned) corners, seed 6
  stride  [::4, :, 100]
  pencil  [:, 512, 512]

Target: each >= 2x faster than h5py (time ratio <= 0.5)."""

import os
import random
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402
import b4_throughput as b4  # noqa: E402

SHAPE = (512, 1024, 1024)
SMALL_SHAPE = (128, 256, 256)
CHUNK = (64, 64, 64)
NBOXES, SMALL_NBOXES, BOX = 1000, 100, 64


def make_file(path, shape):
    import h5py
    import numpy as np

    total = 0
    with h5py.File(path, "w") as f:
        d = f.create_dataset("data", shape, dtype="u2", chunks=CHUNK,
                             compression="gzip", compression_opts=1, shuffle=True)
        slab = np.empty((CHUNK[0],) + tuple(shape[1:]), dtype=np.uint16)
        filled = 0
        for z0, plane in b4.slabs(shape):
            # b4.slabs gives 4 planes at a time; write in 64-plane slabs
            slab[filled:filled + plane.shape[0]] = plane
            filled += plane.shape[0]
            if filled == CHUNK[0] or z0 + plane.shape[0] == shape[0]:
                start = z0 + plane.shape[0] - filled
                d[start:start + filled] = slab[:filled]
                total += int(slab[:filled].sum(dtype=np.uint64))
                filled = 0
        d.attrs["sum"] = np.uint64(total)


def make_boxes(path, shape, n):
    rng = random.Random(6)
    with open(path, "w") as f:
        for _ in range(n):
            corner = [rng.randrange(0, s - BOX + 1) for s in shape]
            f.write("%d %d %d %d %d %d\n" % tuple(corner + [BOX] * 3))


def main():
    a = bl.parse_args(__doc__.split("\n")[0])
    bl.need([], ["numpy", "h5py"])
    progs = bl.Programs(a.build)
    select = progs.bench("b6_select")
    worker = os.path.join(bl.BENCH_DIR, "h5py_worker.py")
    shape = SMALL_SHAPE if a.small else SHAPE
    nboxes = SMALL_NBOXES if a.small else NBOXES

    with bl.DataDir(a.data) as dd:
        path = bl.made(dd.file("b6_%dx%dx%d.h5" % shape), lambda p: make_file(p, shape))
        boxes = bl.made(dd.file("b6_boxes_%d_%dx%dx%d.txt" % ((nboxes,) + shape)),
                        lambda p: make_boxes(p, shape, nboxes))
        work = {
            "%d random 64^3 boxes" % nboxes: ["boxes", boxes],
            "[::4, :, 100]": ["sel", "[::4, :, 100]"],
            "[:, %d, %d]" % (shape[1] // 2, shape[2] // 2):
                ["sel", "[:, %d, %d]" % (shape[1] // 2, shape[2] // 2)],
        }

        def run(argv, env=None):
            def fn():
                bl.warm(path)
                kv = bl.keyvals(bl.output(argv, env=env))
                return (float(kv["read_s"]), int(kv["sum"]))
            return fn

        jobs = {}
        for name, w in work.items():
            jobs["libdtree " + name] = run([select, "-t", str(a.threads), path, "/data"] + w,
                                           progs.env)
            jobs["h5py " + name] = run([bl.PYTHON, worker, w[0], path, "/data", w[1]])
        res = bl.interleave(jobs, a.runs)
        for name in work:
            mine = set(s for _, s in res["libdtree " + name])
            ref = set(s for _, s in res["h5py " + name])
            if len(mine) != 1 or mine != ref:
                sys.exit("bench: %s: libdtree read sums %s, h5py %s" % (name, mine, ref))
        m = {k: bl.median([t for t, _ in v]) for k, v in res.items()}

        rep = bl.Report("B6 selections: uint16 %d x %d x %d, 64^3 chunks, shuffle+deflate-1"
                        % shape, a)
        for name in work:
            rep.ratio(name, m["libdtree " + name], "h5py", m["h5py " + name], 0.5)
        rep.note("times are the reads alone, inside fresh processes; spread: " + ", ".join(
            "%s %s" % (k, bl.spread([t for t, _ in v])) for k, v in res.items()))
        rep.note("libdtree's and h5py's data agree (sums of every selection)")
        rep.emit()


if __name__ == "__main__":
    main()
