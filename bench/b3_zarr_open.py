#!/usr/bin/python3
"""b3_zarr_open.py: bench B3, opening a wide Zarr store and walking its metadata.

The stores (made here): 1,000 groups of 10 float32 arrays of 20 x 8 x 8 in
2 chunks (zstd-1), dimensions time, y, x (`_ARRAY_DIMENSIONS`), 5 attributes
per array, written by zarr-python 2.13 (v2, no .zmetadata); the same
consolidated by zarr.consolidate_metadata (v2 + .zmetadata); the same as
Zarr v3 zarr.json documents with the chunks linked in (v3), and with the
hierarchy inline in the root zarr.json as zarr-python 3 consolidates it
(v3 + consolidated). Then the plain v2 and v3 stores again with 10x the
chunks per array (20 chunks of 1 x 8 x 8): the same metadata, 10x the keys.

  libdtree:  bench/b1_meta -t 2 walk STORE   dt_tree_open + a walk of every
                                             group, array and attribute
             bench/b1_meta -t 2 open STORE   dt_tree_open alone
             dtree ls --json STORE           (a whole process)
  reference: zarr_worker.py walk: zarr-python 2.13 open_consolidated (or
             open_group) + a walk touching the same metadata
             zarrita_worker.mjs walk: zarrita withConsolidatedMetadata +
             contents(), or a walk down the folders, opening every node

Times are open + walk inside each process (after the interpreter's start
and imports), medians of round-robin runs; whole processes for
`dtree ls --json` against the peers' whole processes. Targets: <= 0.2x
zarr-python's open_consolidated + walk, <= 0.5x zarrita; open time
independent of the data size (10x the chunks: ratio about 1)."""

import os
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402
import zarrlib as zl  # noqa: E402

NGROUPS, NVARS = 1000, 10
SHAPE = (20, 8, 8)


def make_v2(path, ngroups, nvars, tchunk):
    import numcodecs
    import numpy as np
    import zarr

    root = zarr.open_group(path, mode="w")
    root.attrs["title"] = "libdtree bench B3"
    data = np.arange(np.prod(SHAPE), dtype="f4").reshape(SHAPE)
    for g in range(ngroups):
        grp = root.create_group("g%04d" % g)
        grp.attrs["index"] = g
        for v in range(nvars):
            a = grp.create_dataset("v%d" % v, shape=SHAPE, chunks=(tchunk,) + SHAPE[1:],
                                   dtype="f4", compressor=numcodecs.Zstd(level=1),
                                   fill_value=0.0)
            a[...] = data
            a.attrs.put({"_ARRAY_DIMENSIONS": ["time", "y", "x"],
                         "long_name": "variable %d of group %d" % (v, g), "units": "K",
                         "scale_factor": 0.01, "valid_range": [0.0, 400.0],
                         "comment": "five attributes each"})


def consolidate(src, path):
    import zarr

    shutil.copytree(src, path, copy_function=os.link)
    zarr.consolidate_metadata(path)


def stores(dd, ngroups):
    s = {}
    s["v2"] = bl.made(dd.file("b3_%d_v2.zarr" % ngroups),
                      lambda p: make_v2(p, ngroups, NVARS, SHAPE[0] // 2))
    s["v2c"] = bl.made(dd.file("b3_%d_v2c.zarr" % ngroups), lambda p: consolidate(s["v2"], p))
    s["v3"] = bl.made(dd.file("b3_%d_v3.zarr" % ngroups),
                      lambda p: zl.v2_to_v3(s["v2"], p, False))
    s["v3c"] = bl.made(dd.file("b3_%d_v3c.zarr" % ngroups),
                       lambda p: zl.v2_to_v3(s["v2"], p, True))
    s["v2x10"] = bl.made(dd.file("b3_%d_v2x10.zarr" % ngroups),
                         lambda p: make_v2(p, ngroups, NVARS, SHAPE[0] // 20))
    s["v3x10"] = bl.made(dd.file("b3_%d_v3x10.zarr" % ngroups),
                         lambda p: zl.v2_to_v3(s["v2x10"], p, False))
    return s


def main():
    a = bl.parse_args(__doc__.split("\n")[0])
    zl.need_zarr_peers()
    progs = bl.Programs(a.build)
    meta = progs.bench("b1_meta")
    ngroups = 50 if a.small else NGROUPS
    t = str(a.threads)

    with bl.DataDir(a.data) as dd:
        st = stores(dd, ngroups)
        want = (ngroups + 1, ngroups * NVARS)
        for k, path in st.items():
            kv = bl.keyvals(bl.output([meta, "-t", t, "walk", path], env=progs.env))
            got = (int(kv["groups"]), int(kv["vars"]))
            if got != want or int(kv["attrs"]) < ngroups * NVARS * 5:
                sys.exit("bench: b1_meta walk of %s saw groups, vars = %s (attrs %s), "
                         "expected %s" % (k, got, kv["attrs"], want))

        def inproc(argv, store, env=None, keys=("open_s", "walk_s")):
            def fn():
                zl.warm_meta(store)
                kv = bl.keyvals(bl.output(argv, env=env))
                return sum(float(kv[k]) for k in keys)
            return fn

        def whole(argv, store, env=None):
            def fn():
                zl.warm_meta(store)
                return bl.wall(argv, env=env)
            return fn

        jobs = {}
        for k in ("v2", "v2c", "v3", "v3c", "v2x10", "v3x10"):
            jobs["walk " + k] = inproc([meta, "-t", t, "walk", st[k]], st[k], progs.env)
            jobs["open " + k] = inproc([meta, "-t", t, "open", st[k]], st[k], progs.env,
                                       keys=("open_s",))
        for k in ("v2", "v2c", "v3", "v3c"):
            jobs["ls " + k] = whole([progs.dtree, "--threads", t, "ls", "--json", st[k]],
                                    st[k], progs.env)
        zp = [bl.PYTHON, zl.ZARR_WORKER, "walk"]
        zj = ["node", zl.ZARRITA_WORKER, "walk"]
        jobs["zarr-python v2c"] = inproc(zp + [st["v2c"], "consolidated"], st["v2c"])
        jobs["zarr-python v2"] = inproc(zp + [st["v2"], "plain"], st["v2"])
        jobs["zarrita v3c"] = inproc(zj + [st["v3c"], "consolidated"], st["v3c"])
        jobs["zarrita v3"] = inproc(zj + [st["v3"], "plain"], st["v3"])
        jobs["zarrita v2c"] = inproc(zj + [st["v2c"], "consolidated"], st["v2c"])
        jobs["zarr-python v2c process"] = whole(zp + [st["v2c"], "consolidated"], st["v2c"])
        jobs["zarrita v3c process"] = whole(zj + [st["v3c"], "consolidated"], st["v3c"])
        jobs["zarrita v3 process"] = whole(zj + [st["v3"], "plain"], st["v3"])

        # the peers see the same hierarchy
        for name, argv in (("zarr-python v2c", zp + [st["v2c"], "consolidated"]),
                           ("zarrita v3c", zj + [st["v3c"], "consolidated"]),
                           ("zarrita v3", zj + [st["v3"], "plain"])):
            kv = bl.keyvals(bl.output(argv))
            if (int(kv["groups"]), int(kv["vars"])) != want:
                sys.exit("bench: %s walked groups, vars = %s, %s, expected %s"
                         % (name, kv["groups"], kv["vars"], want))

        times = bl.interleave(jobs, a.runs)
        m = {k: bl.median(v) for k, v in times.items()}

        rep = bl.Report("B3 Zarr open + metadata walk: %d groups x %d arrays "
                        "(5 attributes each)" % (ngroups, NVARS), a)
        rep.ratio("v2 + .zmetadata: open + walk", m["walk v2c"],
                  "zarr-python open_consolidated + walk", m["zarr-python v2c"], 0.2)
        rep.ratio("v2 + .zmetadata: open + walk", m["walk v2c"],
                  "zarrita consolidated + walk", m["zarrita v2c"], 0.5)
        rep.ratio("v2, no .zmetadata: open + walk", m["walk v2"],
                  "zarr-python open_consolidated + walk", m["zarr-python v2c"], 0.2)
        rep.ratio("v2, no .zmetadata: open + walk", m["walk v2"],
                  "zarr-python open_group + walk", m["zarr-python v2"], None)
        rep.ratio("v3 + consolidated: open + walk", m["walk v3c"],
                  "zarrita consolidated + walk", m["zarrita v3c"], 0.5)
        rep.ratio("v3 + consolidated: open + walk", m["walk v3c"],
                  "zarr-python open_consolidated + walk", m["zarr-python v2c"], 0.2)
        rep.ratio("v3, not consolidated: open + walk", m["walk v3"],
                  "zarrita walk of the folders", m["zarrita v3"], 0.5)
        rep.ratio("v3, not consolidated: open + walk", m["walk v3"],
                  "zarr-python open_consolidated + walk", m["zarr-python v2c"], 0.2)
        rep.ratio("`dtree ls --json` v2 + .zmetadata (process)", m["ls v2c"],
                  "zarr-python v2c (process)", m["zarr-python v2c process"], 0.2)
        rep.ratio("`dtree ls --json` v3 + consolidated (process)", m["ls v3c"],
                  "zarrita v3c (process)", m["zarrita v3c process"], 0.5)
        rep.ratio("`dtree ls --json` v3 (process)", m["ls v3"],
                  "zarrita v3 (process)", m["zarrita v3 process"], 0.5)
        rep.ratio("`dtree ls --json` v2 (process)", m["ls v2"],
                  "zarr-python v2c (process)", m["zarr-python v2c process"], 0.2)
        for k in ("v2", "v3"):
            rep.ratio("open, %s with 10x the chunks" % k, m["open %sx10" % k],
                      "open, %s" % k, m["open " + k], 1.25)
            rep.ratio("open + walk, %s with 10x the chunks" % k, m["walk %sx10" % k],
                      "open + walk, %s" % k, m["walk " + k], 1.25)
        for k in ("v2", "v2c", "v3", "v3c"):
            rep.info("dt_tree_open alone, %s" % k, bl.fmt_s(m["open " + k]))
        rep.note("zarr-python %s (numcodecs), zarrita %s on node %s" % (
            zl.zarr_version(), zl.zarrita_version(), bl.output(["node", "--version"]).strip()))
        rep.note("open + walk times are measured inside each process (no interpreter "
                 "start-up); the `(process)` rows are whole processes, output to /dev/null")
        rep.note("the 10x rows: the same metadata with 20 chunks per array instead of 2 "
                 "(%d chunk keys instead of %d); target 'about 1' taken as <= 1.25"
                 % (ngroups * NVARS * 20, ngroups * NVARS * 2))
        rep.note("run-to-run spread: " + ", ".join(
            "%s %s" % (k, bl.spread(v)) for k, v in times.items()))
        rep.emit()


if __name__ == "__main__":
    main()
