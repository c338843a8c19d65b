#!/usr/bin/python3
"""b8_zarr_convert.py: bench B8, netCDF-4 -> Zarr v3 (sharded) -> netCDF-4.

The file (made here with netCDF4-python): 2 GiB of float32 data in 20
groups of 10 variables (time=41, y=256, x=256; 10.25 MiB each), dimensions
declared at the root, chunks of 1 x 256 x 256 with shuffle + deflate level
1 (as netCDF files usually are), 4 attributes per variable. Each tool
converts it to Zarr and its own output back to netCDF-4; wall time of each
whole process (the target directory is removed between runs, outside the
clock):

  libdtree:  dtree convert --format zarr3 --shard-size 8M --zstd 1 SRC.nc OUT.zarr
             dtree convert --chunks time/1 --deflate 0 OUT.zarr BACK.nc
             (Zarr v3 shards of about 8 MiB of the source's 256 KiB chunks,
             blosc zstd-1 with the source's shuffle; back: the source's
             chunks, uncompressed, as the peers write netCDF-4 back. Without
             --zstd dtree keeps the source's deflate, at level 4: the
             source's level is not carried over)
  reference: nccopy SRC.nc 'file://OUT#mode=nczarr,file' and back
             gdalmdimtranslate -of ZARR -co FORMAT=ZARR_V3 SRC.nc OUT.zarr
             and gdalmdimtranslate -of netCDF OUT.zarr BACK.nc
             xarray_worker.py (open_dataset / to_zarr per group, and back)

Targets: >= 2x faster than the fastest peer, each way and for the round
trip; `dtree manifest` of BACK.nc has the same data digests (sha256 of
every variable) as SRC.nc."""

import os
import re
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

NGROUPS, NVARS = 20, 10
SHAPE = (41, 256, 256)
SMALL_SHAPE = (4, 64, 64)
XARRAY_WORKER = os.path.join(bl.BENCH_DIR, "xarray_worker.py")


def make_file(path, shape, ngroups, nvars):
    import netCDF4
    import numpy as np

    rng = np.random.default_rng(8)
    y = np.arange(shape[1], dtype=np.float32)[:, None]
    x = np.arange(shape[2], dtype=np.float32)[None, :]
    ds = netCDF4.Dataset(path, "w", format="NETCDF4")
    ds.title = "libdtree bench B8"
    ds.createDimension("time", shape[0])
    ds.createDimension("y", shape[1])
    ds.createDimension("x", shape[2])
    for g in range(ngroups):
        grp = ds.createGroup("g%02d" % g)
        grp.index = np.int32(g)
        for v in range(nvars):
            var = grp.createVariable("v%d" % v, "f4", ("time", "y", "x"), zlib=True,
                                     complevel=1, shuffle=True,
                                     chunksizes=(1,) + tuple(shape[1:]))
            var.long_name = "variable %d of group %d" % (v, g)
            var.units = "K"
            var.scale_factor = np.float32(0.01)
            var.valid_range = np.array([0, 400], dtype="f4")
            base = 280 + 20 * np.sin(x / (37.0 + v) + g) * np.cos(y / 53.0)
            for t in range(shape[0]):
                noise = rng.normal(0, 0.5, size=shape[1:]).astype(np.float32)
                var[t] = np.round(base + 3 * np.sin(t / 7.0) + noise, 2)
    ds.close()


def digests(dtree, path, env):
    """(group, var, sha256) of every variable, from `dtree manifest`."""
    out, group, var = [], None, None
    for line in bl.output([dtree, "manifest", path], env=env).splitlines():
        m = re.match(r'^      "(.*)":$', line)
        if m:
            group = m.group(1)
        m = re.match(r'^          "(.*)":$', line)
        if m:
            var = m.group(1)
        m = re.match(r'^ +sha256: "([0-9a-f]+)"', line)
        if m:
            out.append((group, var, m.group(1)))
    return out


def main():
    a = bl.parse_args(__doc__.split("\n")[0])
    bl.PACKAGES.update({"nccopy": "netcdf-bin", "gdalmdimtranslate": "gdal-bin",
                        "xarray": "python3-xarray", "zarr": "python3-zarr"})
    bl.need(["nccopy", "gdalmdimtranslate"], ["netCDF4", "numpy", "xarray", "zarr"])
    if a.runs == 7:
        a.runs = 3  # minutes per round: 3 rounds unless --runs says otherwise
    progs = bl.Programs(a.build)
    shape = SMALL_SHAPE if a.small else SHAPE
    ngroups = 4 if a.small else NGROUPS
    groups = ["g%02d" % g for g in range(ngroups)]

    with bl.DataDir(a.data) as dd:
        src = bl.made(dd.file("b8_%dx%dx%dx%d.nc" % ((ngroups,) + shape)),
                      lambda p: make_file(p, shape, ngroups, NVARS))
        out = dd.file("b8_out")
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        o = lambda name: os.path.join(out, name)  # noqa: E731
        dt = progs.dtree
        legs = {
            "dtree": (
                [dt, "convert", "--quiet", "--force", "--format", "zarr3", "--shard-size",
                 "8M", "--zstd", "1", src, o("dt.zarr")],
                [dt, "convert", "--quiet", "--force", "--chunks", "time/1", "--deflate", "0",
                 o("dt.zarr"), o("dt.nc")],
                o("dt.zarr"), o("dt.nc")),
            "nccopy": (
                ["nccopy", src, "file://%s#mode=nczarr,file" % o("nc.zarr")],
                ["nccopy", "file://%s#mode=nczarr,file" % o("nc.zarr"), o("nc.nc")],
                o("nc.zarr"), o("nc.nc")),
            "gdalmdimtranslate": (
                ["gdalmdimtranslate", "-q", "-of", "ZARR", "-co", "FORMAT=ZARR_V3", src,
                 o("gdal.zarr")],
                ["gdalmdimtranslate", "-q", "-of", "netCDF", o("gdal.zarr"), o("gdal.nc")],
                o("gdal.zarr"), o("gdal.nc")),
            "xarray": (
                [bl.PYTHON, XARRAY_WORKER, "to-zarr", src, o("xr.zarr")] + groups,
                [bl.PYTHON, XARRAY_WORKER, "to-nc", o("xr.zarr"), o("xr.nc")] + groups,
                o("xr.zarr"), o("xr.nc")),
        }

        def rm(p):
            if os.path.isdir(p):
                shutil.rmtree(p)
            elif os.path.exists(p):
                os.remove(p)

        def leg(argv, dst, src_path, env=None):
            def fn():
                rm(dst)
                if os.path.isdir(src_path):
                    for d, _, files in os.walk(src_path):
                        bl.warm(*[os.path.join(d, f) for f in files])
                else:
                    bl.warm(src_path)
                return bl.wall(argv, env=env)
            return fn

        jobs = {}
        for name, (there, back, zdst, ncdst) in legs.items():
            env = progs.env if name == "dtree" else None
            jobs[name + " to Zarr"] = leg(there, zdst, src, env)
            jobs[name + " back"] = leg(back, ncdst, zdst, env)
        times = bl.interleave(jobs, a.runs, warmup=0)
        m = {k: bl.median(v) for k, v in times.items()}

        def size(p):
            if os.path.isdir(p):
                return sum(os.path.getsize(os.path.join(d, f))
                           for d, _, fs in os.walk(p) for f in fs)
            return os.path.getsize(p) if os.path.exists(p) else 0

        sizes = ", ".join("%s %.0f + %.0f MiB" % (name, size(z) / 2**20, size(nc) / 2**20)
                          for name, (_, _, z, nc) in legs.items())
        want = digests(dt, src, progs.env)
        got = digests(dt, legs["dtree"][3], progs.env)
        same = want == got and len(want) == ngroups * NVARS

        peers = ("nccopy", "gdalmdimtranslate", "xarray")
        rep = bl.Report("B8 convert: %.2f GiB netCDF-4, %d groups x %d variables, to Zarr v3 "
                        "sharded and back" % (ngroups * NVARS * 4 * shape[0] * shape[1] *
                                              shape[2] / 2**30, ngroups, NVARS), a)
        for way in ("to Zarr", "back"):
            best = min(peers, key=lambda p: m[p + " " + way])
            rep.ratio("dtree convert, %s" % way, m["dtree " + way], "fastest peer (%s)" % best,
                      m[best + " " + way], 0.5)
        rt = {p: m[p + " to Zarr"] + m[p + " back"] for p in ("dtree",) + peers}
        best = min(peers, key=lambda p: rt[p])
        rep.ratio("round trip", rt["dtree"], "fastest peer (%s)" % best, rt[best], 0.5)
        for p in peers:
            rep.ratio("round trip", rt["dtree"], p, rt[p], None)
        rep.absolute("data digests after the round trip", "%d of %d identical" % (
            sum(1 for x, y in zip(want, got) if x == y), len(want)), "all identical", same)
        rep.note("source %.0f MiB on disk (shuffle + deflate 1); times are whole processes; "
                 "nccopy writes NCZarr (Zarr v2 with NCZarr annotations), GDAL %s Zarr v3 "
                 "without sharding, xarray Zarr v2" % (
                     os.path.getsize(src) / 2**20,
                     bl.output(["gdalinfo", "--version"]).split(",")[0].split()[-1]))
        rep.note("what each wrote (Zarr + netCDF-4 back, on disk): " + sizes)
        rep.note("run-to-run spread: " + ", ".join(
            "%s %s" % (k, bl.spread(v)) for k, v in times.items()))
        rep.emit()
        shutil.rmtree(out, ignore_errors=True)
        if not same:
            sys.exit("bench: the round trip changed data")


if __name__ == "__main__":
    main()
