#!/usr/bin/python3
"""b7_zarr_write.py: bench B7, writing a 1 GiB array as Zarr with zstd-1.

The data: B4's 512 x 1024 x 1024 uint16 values (b4_zarr_read.py makes the
raw file, in C order, and its copy in 64^3 inner-chunk order), held in
memory by each writer before its clock starts.

  libdtree:  bench/b7_write -t 2 RAW ... OUT v2   chunks 4 x 1024 x 1024
             bench/b7_write -t 2 RAW ... OUT v3   shards 64 x 256 x 256 of
                                                  64^3 inner chunks
             (dt_tree_write, zstd level 1, 2 encoding threads)
  reference: zarr_worker.py write: zarr-python 2.13, v2, the same chunks,
             Zstd(level=1), consolidated
             zarrita_worker.mjs write: zarrita, v3, chunks of 4 x 1024 x 1024
             (zarrita cannot write sharded arrays), zstd level 1
             zstd -b1 -B8MiB / -B512KiB: one core's compression speed on
             the same blocks, times two cores: the limit

Times are inside each process (the write alone, from the values in memory
to the last metadata document). Every store written is removed before the
next run, outside the clocks; the first of each is read back and its sum
checked. Targets: >= 0.8x the two-core `zstd -b1` compression speed and
>= 1.5x faster than the best peer."""

import os
import re
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402
import zarrlib as zl  # noqa: E402
import b4_zarr_read as b4z  # noqa: E402
from b4_throughput import SHAPE  # noqa: E402


def zstd_speeds(path, block):
    """(compress, decompress) MB/s of one core from `zstd -b1 -B...`."""
    out = bl.output(["zstd", "-b1", "-B" + block, "-q", path])
    speeds = re.findall(r"([0-9.]+) MB/s", out)
    if len(speeds) < 2:
        sys.exit("bench: cannot read zstd -b output: " + out)
    return float(speeds[-2]) * 1e6, out.strip().splitlines()[-1].strip()


def main():
    a = bl.parse_args(__doc__.split("\n")[0])
    bl.need(["zstd"])
    zl.need_zarr_peers()
    progs = bl.Programs(a.build)
    writer = progs.bench("b7_write")
    reader = progs.bench("b4_read")
    shape = (64, 256, 512) if a.small else SHAPE
    dims = [str(n) for n in shape]

    with bl.DataDir(a.data) as dd:
        name = "b4_%dx%dx%d" % shape
        raw = bl.made(dd.file(name + ".u16"), lambda p: b4z.make_raw(p, shape))
        raw_inner = bl.made(dd.file(name + ".inner.u16"),
                            lambda p: b4z.make_raw_inner(p, raw, shape))
        nbytes = os.path.getsize(raw)
        want = b4z.raw_sum(raw, shape)
        out = dd.file("b7_out")
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        checked = set()

        def run(label, argv, store, read_back=True, env=None):
            path = os.path.join(out, store)

            def fn():
                shutil.rmtree(path, ignore_errors=True)
                bl.warm(raw)
                kv = bl.keyvals(bl.output(argv, env=env))
                if int(kv["sum"]) != want:
                    sys.exit("bench: %s wrote values summing to %s, expected %d"
                             % (label, kv["sum"], want))
                if read_back and label not in checked:
                    got = bl.keyvals(bl.output([reader, path, "/data"], env=progs.env))
                    if int(got["sum"]) != want:
                        sys.exit("bench: %s's store reads back summing to %s, expected %d"
                                 % (label, got["sum"], want))
                    checked.add(label)
                t = float(kv["write_s"])
                shutil.rmtree(path, ignore_errors=True)
                return t
            return fn

        limits = {"8MiB": [], "512KiB": []}

        def zstd_bench(block, path):
            def fn():
                bl.warm(path)
                speed, line = zstd_speeds(path, block)
                limits[block].append((speed, line))
                return nbytes / speed
            return fn

        t = str(a.threads)
        jobs = {
            "libdtree v2": run("libdtree v2", [writer, "-t", t, raw] + dims +
                               [os.path.join(out, "dt2.zarr"), "v2"], "dt2.zarr",
                               env=progs.env),
            "libdtree v3": run("libdtree v3", [writer, "-t", t, raw] + dims +
                               [os.path.join(out, "dt3.zarr"), "v3"], "dt3.zarr",
                               env=progs.env),
            "zarr-python v2": run("zarr-python v2", [
                bl.PYTHON, zl.ZARR_WORKER, "write", os.path.join(out, "zp2.zarr"), raw,
                "x".join(dims), "x".join(["4"] + dims[1:]), "zstd"], "zp2.zarr"),
            "zarrita v3": run("zarrita v3", [
                "node", zl.ZARRITA_WORKER, "write", os.path.join(out, "zj3.zarr"), raw,
                "x".join(dims), "x".join(["4"] + dims[1:])], "zj3.zarr"),
            "zstd -b1 -B8MiB": zstd_bench("8MiB", raw),
            "zstd -b1 -B512KiB": zstd_bench("512KiB", raw_inner),
        }
        times = bl.interleave(jobs, a.runs)
        m = {k: bl.median(v) for k, v in times.items()}
        best_peer = min(("zarr-python v2", "zarrita v3"), key=lambda k: m[k])

        rep = bl.Report("B7 Zarr write: %d MiB uint16, zstd-1, %s encoding threads"
                        % (nbytes >> 20, t), a)
        for k, block, what in (("v2", "8MiB", "v2, 8 MiB chunks"),
                               ("v3", "512KiB", "v3 sharded, 64^3 inner chunks")):
            speed = bl.median([s for s, _ in limits[block]])
            rep.ratio("write %s, throughput" % what, nbytes / m["libdtree " + k],
                      "2 x `zstd -b1 -B%s` compress" % block, 2 * speed, 0.8,
                      lower_is_better=False, show=bl.fmt_mbs)
            rep.ratio("write %s" % what, m["libdtree " + k], "best peer (%s)" % best_peer,
                      m[best_peer], 1 / 1.5)
            for peer in ("zarr-python v2", "zarrita v3"):
                if peer != best_peer:
                    rep.ratio("write %s" % what, m["libdtree " + k], peer, m[peer], None)
        for k in jobs:
            if not k.startswith("zstd"):
                rep.info("throughput " + k, bl.fmt_mbs(nbytes / m[k]))
        rep.note("zarr-python %s (numcodecs), zarrita %s on node %s; zarrita writes v3 "
                 "without sharding (it refuses `set` on sharded arrays)" % (
                     zl.zarr_version(), zl.zarrita_version(),
                     bl.output(["node", "--version"]).strip()))
        rep.note("times are the write alone inside each process, from values in memory "
                 "to the last metadata document; spread: " + ", ".join(
                     "%s %s" % (k, bl.spread(v)) for k, v in times.items()))
        rep.note("each writer's first store read back by b4_read and its sum checked")
        for block, ls in limits.items():
            rep.note("zstd -b1 -B%s (one core): `%s`" % (block, ls[-1][1]))
        rep.emit()
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
