#!/usr/bin/python3
"""b1_meta.py: bench B1, metadata of a wide netCDF-4 file.

The file (made here with netCDF4-python): dimensions time, lat, lon at the
root and 1,000 groups of 10 variables each; every variable uses the three
dimensions and has 5 attributes. Timed as whole processes (start-up
included, like a user at a shell), output to /dev/null:

  libdtree: bench/b1_meta open FILE     dt_tree_open alone (lazy groups)
            bench/b1_meta walk FILE     open + a walk of all metadata
            dtree ls --json FILE
  reference: ncdump -h FILE, ncks -m --json FILE, h5ls -r FILE

Targets: open <= 0.1x ncdump -h; walk and ls --json <= 0.5x ncdump -h and
ncks -m --json, <= 1.2x h5ls -r."""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

NGROUPS, NVARS = 1000, 10


def make_file(path, ngroups, nvars):
    import netCDF4
    import numpy as np

    ds = netCDF4.Dataset(path, "w", format="NETCDF4")
    ds.title = "libdtree bench B1"
    ds.createDimension("time", 2)
    ds.createDimension("lat", 3)
    ds.createDimension("lon", 4)
    data = np.arange(24, dtype="f4").reshape(2, 3, 4)
    for g in range(ngroups):
        grp = ds.createGroup("g%04d" % g)
        for v in range(nvars):
            var = grp.createVariable("v%d" % v, "f4", ("time", "lat", "lon"))
            var.long_name = "variable %d of group %d" % (v, g)
            var.units = "K"
            var.scale_factor = 0.01
            var.valid_range = np.array([0, 400], dtype="f4")
            var.comment = "five attributes each"
            var[:] = data
    ds.close()


def main():
    a = bl.parse_args(__doc__.split("\n")[0])
    bl.need(["ncdump", "ncks", "h5ls"], ["netCDF4", "numpy"])
    progs = bl.Programs(a.build)
    meta = progs.bench("b1_meta")
    ngroups = 50 if a.small else NGROUPS

    with bl.DataDir(a.data) as dd:
        nc = bl.made(dd.file("b1_%dx%d.nc" % (ngroups, NVARS)),
                     lambda p: make_file(p, ngroups, NVARS))
        kv = bl.keyvals(bl.output([meta, "-t", str(a.threads), "walk", nc], env=progs.env))
        want = (ngroups + 1, ngroups * NVARS, ngroups * NVARS * 5)
        got = (int(kv["groups"]), int(kv["vars"]), int(kv["attrs"]))
        if got[:2] != want[:2] or got[2] < want[2]:
            sys.exit("bench: b1_meta walk saw groups, vars, attrs = %s, expected %s" % (got, want))

        def proc(argv, env=None):
            def fn():
                bl.warm(nc)
                return bl.wall(argv, env=env)
            return fn

        t = str(a.threads)
        jobs = {
            "open": proc([meta, "-t", t, "open", nc], progs.env),
            "walk": proc([meta, "-t", t, "walk", nc], progs.env),
            "ls --json": proc([progs.dtree, "--threads", t, "ls", "--json", nc], progs.env),
            "ls -a": proc([progs.dtree, "--threads", t, "ls", "-a", nc], progs.env),
            "ncdump -h": proc(["ncdump", "-h", nc]),
            "ncks -m --json": proc(["ncks", "-m", "--json", nc]),
            "h5ls -r": proc(["h5ls", "-r", nc]),
            "h5ls -r -v": proc(["h5ls", "-r", "-v", nc]),
        }
        times = bl.interleave(jobs, a.runs)
        m = {k: bl.median(v) for k, v in times.items()}

        rep = bl.Report("B1 metadata: %d groups x %d variables (3 dims, 5 attributes each)"
                        % (ngroups, NVARS), a)
        rep.ratio("open (no walk)", m["open"], "ncdump -h", m["ncdump -h"], 0.1)
        for mine in ("walk", "ls --json"):
            label = "full walk (C API)" if mine == "walk" else "dtree ls --json"
            rep.ratio(label, m[mine], "ncdump -h", m["ncdump -h"], 0.5)
            rep.ratio(label, m[mine], "ncks -m --json", m["ncks -m --json"], 0.5)
            rep.ratio(label, m[mine], "h5ls -r", m["h5ls -r"], 1.2)
        rep.info("dtree ls -a (with attributes)", bl.fmt_s(m["ls -a"]), "ncdump -h",
                 bl.fmt_s(m["ncdump -h"]), "%.3f" % (m["ls -a"] / m["ncdump -h"]))
        rep.info("full walk (C API), attributes included", bl.fmt_s(m["walk"]), "h5ls -r -v",
                 bl.fmt_s(m["h5ls -r -v"]), "%.3f" % (m["walk"] / m["h5ls -r -v"]))
        rep.note("`h5ls -r` lists objects and shapes and reads no attribute; the walk reads "
                 "all 50,000 (`h5ls -r -v` prints them, with more detail)")
        rep.note("times are whole processes (exec, dynamic loading, output to /dev/null); "
                 "run-to-run spread: " + ", ".join(
                     "%s %s" % (k, bl.spread(v)) for k, v in times.items()))
        rep.note("in-process (b1_meta walk): open %s, walk %s" % (
            bl.fmt_s(float(kv["open_s"])), bl.fmt_s(float(kv["walk_s"]))))
        rep.note("`dtree ls --json` prints no attributes; `ncdump -h` and `ncks -m` do: "
                 "`ls -a` is listed for that comparison")
        rep.emit()


if __name__ == "__main__":
    main()
