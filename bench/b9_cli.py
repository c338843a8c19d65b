#!/usr/bin/python3
"""b9_cli.py: bench B9, the command line.

1. `dtree ls FILE` on B1's file (1,000 groups x 10 variables, made by
   b1_meta.make_file): the time from starting the process to its first
   line of output, on a pseudo-terminal (as at a shell: stdout is line
   buffered there), and, for the record, through a pipe. Target: < 20 ms.
2. `dtree cat FILE:/data[20:30, :]`: a 10 x N slice of a float32 variable
   of 100 x N (N = 100,000; netCDF-4 made with netCDF4-python, 10 x 10,000
   chunks, deflate level 1, values with two decimals), printed as text to
   /dev/null, whole processes. References: `h5dump -d /data -s 20,0 -c
   10,N` and `ncks -H -d y,20,29 -v data`. Target: <= 0.5x each."""

import os
import pty
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402
import b1_meta as b1  # noqa: E402

ROWS, N, SMALL_N = 100, 100000, 10000


def make_cat_file(path, n):
    import netCDF4
    import numpy as np

    rng = np.random.default_rng(9)
    ds = netCDF4.Dataset(path, "w", format="NETCDF4")
    ds.createDimension("y", ROWS)
    ds.createDimension("x", n)
    v = ds.createVariable("data", "f4", ("y", "x"), zlib=True, complevel=1,
                          chunksizes=(10, min(n, 10000)))
    v.units = "K"
    v[:] = np.round(rng.normal(280.0, 5.0, (ROWS, n)), 2).astype("f4")
    ds.close()


def first_line(argv, env, tty):
    """(seconds to the first output line, seconds to exit) of argv, with
    stdout a pseudo-terminal (tty) or a pipe."""
    if tty:
        master, slave = pty.openpty()
    else:
        master, slave = os.pipe()
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=slave, stderr=subprocess.DEVNULL, env=env)
    os.close(slave)
    first, seen = None, b""
    while True:
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:          # a pty's master reads EIO once the child is gone
            break
        if not chunk:
            break
        if first is None:
            seen += chunk
            if b"\n" in seen:
                first = time.perf_counter() - t0
    rc = p.wait()
    total = time.perf_counter() - t0
    os.close(master)
    if rc != 0 or first is None:
        sys.exit("bench: %s failed (%d) or printed nothing" % (" ".join(argv), rc))
    return first, total


def main():
    a = bl.parse_args(__doc__.split("\n")[0])
    bl.need(["h5dump", "ncks"], ["netCDF4", "numpy"])
    progs = bl.Programs(a.build)
    ngroups = 50 if a.small else b1.NGROUPS
    n = SMALL_N if a.small else N
    runs = max(a.runs, 11) if not a.small else a.runs
    t = str(a.threads)

    with bl.DataDir(a.data) as dd:
        nc = bl.made(dd.file("b1_%dx%d.nc" % (ngroups, b1.NVARS)),
                     lambda p: b1.make_file(p, ngroups, b1.NVARS))
        cat = bl.made(dd.file("b9_%dx%d.nc" % (ROWS, n)), lambda p: make_cat_file(p, n))
        ls = [progs.dtree, "--threads", t, "ls", nc]
        res = bl.interleave({
            "tty": lambda: bl.warm(nc) or first_line(ls, progs.env, True),
            "pipe": lambda: bl.warm(nc) or first_line(ls, progs.env, False),
        }, runs)
        first_tty = bl.median([f for f, _ in res["tty"]])

        rep = bl.Report("B9 command line: `dtree ls` on B1's file (%d groups), `dtree cat` "
                        "of 10 x %d" % (ngroups, n), a)
        rep.absolute("dtree ls: time to first line (terminal)", bl.fmt_s(first_tty), "< 20 ms",
                     first_tty < 0.020)
        rep.info("dtree ls: time to first line (pipe)",
                 bl.fmt_s(bl.median([f for f, _ in res["pipe"]])))
        rep.info("dtree ls: whole listing (terminal)",
                 bl.fmt_s(bl.median([w for _, w in res["tty"]])))

        def proc(argv, env=None):
            def fn():
                bl.warm(cat)
                return bl.wall(argv, env=env)
            return fn

        times = bl.interleave({
            "dtree cat": proc([progs.dtree, "--threads", t, "cat", cat + ":/data[20:30, :]"],
                              progs.env),
            "h5dump": proc(["h5dump", "-d", "/data", "-s", "20,0", "-c", "10,%d" % n, cat]),
            "ncks": proc(["ncks", "-H", "-d", "y,20,29", "-v", "data", cat]),
        }, a.runs)
        m = {k: bl.median(v) for k, v in times.items()}
        rep.ratio("dtree cat (10 x %d)" % n, m["dtree cat"], "`h5dump -d -s -c`", m["h5dump"], 0.5)
        rep.ratio("dtree cat (10 x %d)" % n, m["dtree cat"], "`ncks -H -d`", m["ncks"], 0.5)
        rep.note("ls runs: %d; first line on a terminal, spread %s" % (
            runs, bl.spread([f for f, _ in res["tty"]])))
        rep.note("cat: whole processes, output to /dev/null; spread: " + ", ".join(
            "%s %s" % (k, bl.spread(v)) for k, v in times.items()))
        rep.emit()


if __name__ == "__main__":
    main()
