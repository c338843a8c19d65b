#!/usr/bin/python3
"""b4_zarr_read.py: bench B4 for Zarr, decoding throughput of a whole-array read.

The data: B4's 512 x 1024 x 1024 uint16 values (1 GiB; b4_throughput.slabs:
a smooth field, 3 bits of noise, 30% zeros), stored four ways:

  v2 zstd     zarr-python 2.13, chunks 4 x 1024 x 1024 (8 MiB), Zstd(level=1)
  v2 blosc    the same with Blosc(cname=lz4, clevel=5, shuffle=SHUFFLE)
  v3 zstd     Zarr v3, shards 64 x 256 x 256 (8 MiB) of 64^3 inner chunks,
              bytes + zstd level 1 inside, index at the end (bytes + crc32c)
  v3 blosc    the same with blosc lz4, clevel 5, shuffle

zarr-python 2.13 cannot write (or read) v3 sharding and zarrita cannot write
it, so the v3 stores are laid out here (zarrlib.shard_bytes) with numcodecs
encoding the inner chunks, as zarr-python 3 would. The raw values go to two
side files for `zstd -b1`: in C order (8 MiB blocks are the v2 chunks) and
in inner-chunk order (512 KiB blocks are the v3 inner chunks).

  libdtree:  bench/b4_read -t 2 STORE /data   (one dt_var_read of everything)
  reference: zarr_worker.py read (zarr-python arr[...], v2 stores)
             zarrita_worker.mjs read (zarr.get, every store)
             zstd -b1 -B8MiB / -B512KiB on the raw files: one core's decoding
             speed on the same blocks, times two cores: the limit

Times are open + read inside each process. Targets: >= 2x faster than
zarr-python (v3: against its read of the v2 store of the same codec, as it
reads no v3 sharding), >= 1.5x faster than zarrita, zstd stores >= 0.8x the
two-core zstd limit."""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402
import zarrlib as zl  # noqa: E402
from b4_throughput import SHAPE, slabs  # noqa: E402

V2_CHUNK = (4, 1024, 1024)
SHARD = (64, 256, 256)
INNER = (64, 64, 64)


def codec(name):
    import numcodecs

    if name == "zstd":
        return numcodecs.Zstd(level=1)
    return numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE)


def make_raw(path, shape):
    """The values in C order (the same file as b4_throughput.py's)."""
    with open(path, "wb") as f:
        for _, slab in slabs(shape):
            f.write(slab.tobytes())


def raw_sum(raw, shape):
    import numpy as np

    return int(load(raw, shape).sum(dtype=np.uint64))


def load(raw, shape):
    import numpy as np

    return np.memmap(raw, dtype="<u2", mode="r", shape=shape)


def make_v2(path, raw, shape, name):
    import zarr

    data = load(raw, shape)
    root = zarr.open_group(path, mode="w")
    arr = root.create_dataset("data", shape=shape, chunks=V2_CHUNK, dtype="<u2",
                              compressor=codec(name), fill_value=0)
    arr.attrs["_ARRAY_DIMENSIONS"] = ["z", "y", "x"]
    for z0 in range(0, shape[0], V2_CHUNK[0]):
        arr[z0:z0 + V2_CHUNK[0]] = data[z0:z0 + V2_CHUNK[0]]
    zarr.consolidate_metadata(path)


def inner_order(shape):
    """(shard index, inner index, slices) of every inner chunk, shard by
    shard in C order, inner chunks in C order inside."""
    import itertools

    per = [s // i for s, i in zip(SHARD, INNER)]
    grid = [-(-n // s) for n, s in zip(shape, SHARD)]
    for sh in itertools.product(*[range(g) for g in grid]):
        for ic in itertools.product(*[range(p) for p in per]):
            sl = tuple(slice(s * S + i * I, s * S + (i + 1) * I)
                       for s, S, i, I in zip(sh, SHARD, ic, INNER))
            yield sh, ic, sl


def make_raw_inner(path, raw, shape):
    """The raw bytes of the inner chunks in the order the shards store them."""
    import numpy as np

    data = load(raw, shape)
    with open(path, "wb") as f:
        for _, _, sl in inner_order(shape):
            f.write(np.ascontiguousarray(data[sl]).tobytes())


def make_v3(path, raw, shape, name):
    """A v3 store of sharded data."""
    import numpy as np

    data = load(raw, shape)
    c = codec(name)
    os.makedirs(os.path.join(path, "data"))
    zl.write_json(os.path.join(path, "zarr.json"), zl.v3_group_doc({}))
    inner_codecs = zl.v3_codec_of(c.get_config())
    doc = zl.v3_array_doc(shape, SHARD, "uint16", 0,
                          [zl.sharding_codec(INNER, inner_codecs)], {}, ["z", "y", "x"])
    cur, chunks = None, []

    def flush():
        key = os.path.join(path, "data", "c", *[str(i) for i in cur])
        os.makedirs(os.path.dirname(key), exist_ok=True)
        with open(key, "wb") as f:
            f.write(zl.shard_bytes(chunks))

    for sh, _, sl in inner_order(shape):
        if sh != cur:
            if cur is not None:
                flush()
            cur, chunks = sh, []
        chunks.append(c.encode(np.ascontiguousarray(data[sl])))
    flush()
    zl.write_json(os.path.join(path, "data", "zarr.json"), doc)


def main():
    a = bl.parse_args(__doc__.split("\n")[0])
    bl.need(["zstd"])
    zl.need_zarr_peers()
    progs = bl.Programs(a.build)
    reader = progs.bench("b4_read")
    shape = (64, 256, 512) if a.small else SHAPE

    with bl.DataDir(a.data) as dd:
        name = "b4_%dx%dx%d" % shape
        raw = dd.file(name + ".u16")
        bl.made(raw, lambda p: make_raw(p, shape))
        raw_inner = bl.made(dd.file(name + ".inner.u16"),
                            lambda p: make_raw_inner(p, raw, shape))
        st = {}
        for c in ("zstd", "blosc"):
            st["v2 " + c] = bl.made(dd.file("%s_v2_%s.zarr" % (name, c)),
                                    lambda p, c=c: make_v2(p, raw, shape, c))
            st["v3 " + c] = bl.made(dd.file("%s_v3_%s.zarr" % (name, c)),
                                    lambda p, c=c: make_v3(p, raw, shape, c))
        nbytes = os.path.getsize(raw)
        want = raw_sum(raw, shape)

        def run(argv, store, env=None):
            def fn():
                zl.warm_tree(store)
                kv = bl.keyvals(bl.output(argv, env=env))
                return (float(kv["open_s"]) + float(kv["read_s"]), int(kv["sum"]))
            return fn

        limits = {"8MiB": [], "512KiB": []}

        def zstd_bench(block, path):
            def fn():
                bl.warm(path)
                speed, line = zstd_decode_speed_block(path, block)
                limits[block].append((speed, line))
                return (nbytes / speed, want)
            return fn

        jobs = {}
        for k, store in st.items():
            jobs["libdtree " + k] = run([reader, "-t", str(a.threads), store, "/data"], store,
                                        progs.env)
            if k.startswith("v2"):
                jobs["zarr-python " + k] = run([bl.PYTHON, zl.ZARR_WORKER, "read", store,
                                                "/data"], store)
            jobs["zarrita " + k] = run(["node", zl.ZARRITA_WORKER, "read", store, "/data"],
                                       store)
        jobs["zstd -b1 -B8MiB"] = zstd_bench("8MiB", raw)
        jobs["zstd -b1 -B512KiB"] = zstd_bench("512KiB", raw_inner)
        res = bl.interleave(jobs, a.runs)
        for jname, rs in res.items():
            if any(s != want for _, s in rs):
                sys.exit("bench: %s read wrong data: sums %s, expected %d"
                         % (jname, sorted(set(s for _, s in rs)), want))
        m = {k: bl.median([t for t, _ in v]) for k, v in res.items()}

        rep = bl.Report("B4 Zarr throughput: %d MiB uint16, 8 MiB chunks / shards, "
                        "whole-array read" % (nbytes >> 20), a)
        for k in st:
            fmt, c = k.split()
            label = "read %s %s" % (fmt, "zstd-1" if c == "zstd" else "blosc-lz4+shuffle")
            if fmt == "v3":
                label += " (sharded, inner 64^3)"
            zp = "zarr-python v2 " + c
            rep.ratio(label, m["libdtree " + k], "zarr-python arr[...]" +
                      (" of the v2 store" if fmt == "v3" else ""), m[zp], 0.5)
            rep.ratio(label, m["libdtree " + k], "zarrita zarr.get", m["zarrita " + k], 1 / 1.5)
        for k, block in (("v2 zstd", "8MiB"), ("v3 zstd", "512KiB")):
            speed = bl.median([s for s, _ in limits[block]])
            rep.ratio("%s throughput" % k, nbytes / m["libdtree " + k],
                      "2 x `zstd -b1 -B%s` decode" % block, 2 * speed, 0.8,
                      lower_is_better=False, show=bl.fmt_mbs)
        for k in st:
            peers = [("zarr-python", m.get("zarr-python " + k)), ("zarrita", m["zarrita " + k])]
            rep.info("throughput %s" % k, bl.fmt_mbs(nbytes / m["libdtree " + k]),
                     ", ".join(p for p, v in peers if v),
                     ", ".join(bl.fmt_mbs(nbytes / v) for _, v in peers if v))
        rep.note("zarr-python %s (numcodecs; its blosc decodes with several threads), "
                 "zarrita %s on node %s" % (zl.zarr_version(), zl.zarrita_version(),
                                           bl.output(["node", "--version"]).strip()))
        rep.note("times are open + read inside each process; every store's files are read "
                 "into the page cache before each run; spread: " + ", ".join(
                     "%s %s" % (k, bl.spread([t for t, _ in v])) for k, v in res.items()))
        rep.note("every run's data checked against the sum of the values")
        for block, ls in limits.items():
            rep.note("zstd -b1 -B%s (one core): `%s`" % (block, ls[-1][1]))
        rep.emit()


def zstd_decode_speed_block(raw, block):
    import re

    out = bl.output(["zstd", "-b1", "-B" + block, "-q", raw])
    speeds = re.findall(r"([0-9.]+) MB/s", out)
    if len(speeds) < 2:
        sys.exit("bench: cannot read zstd -b output: " + out)
    return float(speeds[-1]) * 1e6, out.strip().splitlines()[-1].strip()


if __name__ == "__main__":
    main()
