"""zarrlib.py: what the Zarr benches (B3, B4, B7) share: the peers' workers,
warming a store's metadata, and writing Zarr v3 documents and shards the
way zarr-python 3 lays them out (zarr-python 2.13 writes no v3 that
current readers take, and zarrita cannot write sharded arrays)."""

import json
import os
import shutil
import struct
import sys

import benchlib as bl

ZARR_WORKER = os.path.join(bl.BENCH_DIR, "zarr_worker.py")
ZARRITA_WORKER = os.path.join(bl.BENCH_DIR, "zarrita_worker.mjs")

PACKAGES = {"zarr": "python3-zarr", "numcodecs": "python3-numcodecs", "node": "nodejs"}


def need_zarr_peers():
    """zarr-python 2.13 and numcodecs (Debian), node and zarrita (in the
    cache folder tools/install-interop-deps fills)."""
    bl.PACKAGES.update(PACKAGES)
    bl.need(["node"], ["zarr", "numcodecs", "numpy"])
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.environ.get("HOME", ""),
                                                             ".cache")
    mods = os.path.join(cache, "libdtree-interop", "node_modules")
    for pkg in ("zarrita", "@zarrita/storage"):
        if not os.path.exists(os.path.join(mods, pkg, "package.json")):
            sys.exit("bench: %s is missing from %s: run ../shared/tools/install-interop-deps "
                     "(npm install zarrita@0.7.5 @zarrita/storage@0.2)" % (pkg, mods))


def zarr_version():
    import zarr
    return zarr.__version__


def zarrita_version():
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.environ.get("HOME", ""),
                                                             ".cache")
    with open(os.path.join(cache, "libdtree-interop", "node_modules", "zarrita",
                           "package.json")) as f:
        return json.load(f)["version"]


def warm_meta(*stores):
    """The metadata documents of each store (and its directories) into the
    page cache; chunks are left alone (B3 does not read them)."""
    buf = bytearray(1 << 20)
    for store in stores:
        for d, _, files in os.walk(store):
            for name in files:
                if name.startswith(".z") or name == "zarr.json":
                    with open(os.path.join(d, name), "rb", buffering=0) as f:
                        while f.readinto(buf):
                            pass


def warm_tree(*stores):
    """Every file of each store into the page cache (see benchlib.warm)."""
    for store in stores:
        for d, _, files in os.walk(store):
            bl.warm(*[os.path.join(d, n) for n in files])


def write_json(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)


V3_DTYPES = {"<f4": "float32", "<f8": "float64", "<u2": "uint16", "<i4": "int32",
             "<i8": "int64", "|u1": "uint8"}


def v3_codec_of(comp):
    """The v3 codec for a numcodecs v2 compressor configuration."""
    if comp is None:
        return []
    if comp["id"] == "zstd":
        return [{"name": "zstd", "configuration": {"level": comp["level"], "checksum": False}}]
    if comp["id"] == "blosc":
        shuffle = {0: "noshuffle", 1: "shuffle", 2: "bitshuffle"}[comp["shuffle"]]
        return [{"name": "blosc", "configuration": {
            "cname": comp["cname"], "clevel": comp["clevel"], "shuffle": shuffle,
            "typesize": 2, "blocksize": comp.get("blocksize", 0)}}]
    sys.exit("bench: no v3 codec for " + comp["id"])


def v3_array_doc(shape, chunks, dtype, fill, codecs, attrs, dims):
    return {
        "zarr_format": 3, "node_type": "array", "shape": list(shape),
        "data_type": dtype,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(chunks)}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": fill, "codecs": codecs, "attributes": attrs,
        "dimension_names": list(dims), "storage_transformers": [],
    }


def v3_group_doc(attrs):
    return {"zarr_format": 3, "node_type": "group", "attributes": attrs}


def v2_to_v3(src, dst, consolidated):
    """The v2 store src (no filters, C order, '.' keys) again as a v3 store
    at dst: zarr.json documents, chunks hard-linked to c/i/j/k (a numcodecs
    compressor's bytes are the v3 codec's bytes). consolidated: also the
    whole hierarchy inline in the root zarr.json, as zarr-python 3's
    consolidate_metadata writes it."""
    tmp = dst + ".part"
    shutil.rmtree(tmp, ignore_errors=True)
    inline = {}
    for d, dirs, files in os.walk(src):
        dirs.sort()
        rel = os.path.relpath(d, src)
        rel = "" if rel == "." else rel
        out = os.path.join(tmp, rel)
        os.makedirs(out, exist_ok=True)
        attrs = {}
        if ".zattrs" in files:
            with open(os.path.join(d, ".zattrs")) as f:
                attrs = json.load(f)
        if ".zarray" in files:
            with open(os.path.join(d, ".zarray")) as f:
                za = json.load(f)
            dims = attrs.pop("_ARRAY_DIMENSIONS", None) or ["dim_%d" % i
                                                            for i in range(len(za["shape"]))]
            codecs = [{"name": "bytes", "configuration": {"endian": "little"}}]
            codecs += v3_codec_of(za["compressor"])
            fill = za["fill_value"]
            doc = v3_array_doc(za["shape"], za["chunks"], V3_DTYPES[za["dtype"]],
                               fill if fill is not None else 0, codecs, attrs, dims)
            for name in files:
                if not name.startswith("."):
                    parts = name.split(".")
                    cdir = os.path.join(out, "c", *parts[:-1])
                    os.makedirs(cdir, exist_ok=True)
                    os.link(os.path.join(d, name), os.path.join(cdir, parts[-1]))
            dirs[:] = []
        else:
            doc = v3_group_doc(attrs)
        if rel:
            inline[rel] = doc
        else:
            root = doc
        write_json(os.path.join(out, "zarr.json"), doc)
    if consolidated:
        root["consolidated_metadata"] = {"kind": "inline", "must_understand": False,
                                         "metadata": inline}
        write_json(os.path.join(tmp, "zarr.json"), root)
    os.rename(tmp, dst)


# ---------------------------------------------------------------------------
# Sharding (sharding_indexed with the index at the end, bytes + crc32c)

def _crc32c_table():
    poly, table = 0x82F63B78, []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_CRC = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def shard_bytes(inner_chunks):
    """A shard from its encoded inner chunks (C order of the inner grid;
    None: a chunk not written): the chunks, then the index of (offset,
    nbytes) little-endian pairs and its crc32c."""
    body, index, off = [], [], 0
    for c in inner_chunks:
        if c is None:
            index.append((2**64 - 1, 2**64 - 1))
        else:
            index.append((off, len(c)))
            body.append(c)
            off += len(c)
    ib = b"".join(struct.pack("<QQ", o, n) for o, n in index)
    return b"".join(body) + ib + struct.pack("<I", crc32c(ib))


def sharding_codec(inner, inner_codecs):
    return {"name": "sharding_indexed", "configuration": {
        "chunk_shape": list(inner),
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}] + inner_codecs,
        "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                         {"name": "crc32c"}],
        "index_location": "end"}}
