#!/bin/sh
# tests/cli/convert.sh: `dtree convert` options, formats and messages; the
# data read back through dtree itself (the interop test reads with others).
. "${top_srcdir:-.}/tests/cli/lib.sh"
ex=$top_srcdir/examples/ocean.yaml

# YAML tree -> netCDF-4 -> YAML tree: the same manifest, but for the chunks
# netCDF-4 needs along the unlimited time (netCDF-C's default: 1024 floats)
expect_exit 0 "$DTREE" convert --quiet "$ex" "$tmp/ocean.nc"
expect_exit 0 "$DTREE" convert --quiet "$tmp/ocean.nc" "$tmp/back.yaml"
expect_exit 0 "$DTREE" manifest "$tmp/back.yaml"
expect_grep "chunks: [1024]" "$tmp/out"
"$DTREE" manifest --name x "$ex" | grep -v 'kind:\|chunks: \[1024\]\|chunks: null' > "$tmp/m1"
"$DTREE" manifest --name x "$tmp/back.yaml" | grep -v 'kind:\|chunks: \[1024\]\|chunks: null' > "$tmp/m2"
if cmp -s "$tmp/m1" "$tmp/m2"; then pass; else fail "ocean.yaml changed through netCDF-4"; diff "$tmp/m1" "$tmp/m2" | head; fi
expect_exit 0 "$DTREE" ls "$tmp/ocean.nc"
expect_grep "temperature" "$tmp/out"

# the format: by extension, --format, or a clear refusal
expect_exit 0 "$DTREE" convert --quiet --format netcdf4 "$ex" "$tmp/ocean.data"
expect_exit 0 "$DTREE" manifest "$tmp/ocean.data"
expect_grep 'kind: "netcdf4"' "$tmp/out"
expect_exit 2 "$DTREE" convert "$ex" "$tmp/ocean.unknown"
expect_grep "cannot tell the format" "$tmp/err"
expect_exit 2 "$DTREE" convert --format zip "$ex" "$tmp/o.nc"
expect_exit 2 "$DTREE" convert --deflate 1 "$ex" "$tmp/o.yaml"
expect_grep "netCDF-4 and Zarr output only" "$tmp/err"

# Zarr: a .zarr name is v3, --format zarr2 gives v2; options of one format
# are refused for the others; an existing store needs --force
expect_exit 0 "$DTREE" convert --quiet --zstd 1 --shards time/2 "$ex" "$tmp/ocean.zarr"
expect_exit 0 "$DTREE" manifest "$tmp/ocean.zarr"
expect_grep 'kind: "zarr3"' "$tmp/out"
expect_exit 0 "$DTREE" convert --quiet --format zarr2 --compressor blosc:zstd:3 --shuffle \
    "$ex" "$tmp/ocean2.zarr"
expect_exit 0 "$DTREE" manifest "$tmp/ocean2.zarr"
expect_grep 'kind: "zarr2"' "$tmp/out"
expect_exit 0 "$DTREE" diff "$ex" "$tmp/ocean2.zarr"
expect_exit 0 "$DTREE" convert --quiet "$tmp/ocean2.zarr" "$tmp/ocean-back.nc"
expect_exit 2 "$DTREE" convert --format zarr2 --shards time/2 "$ex" "$tmp/o2.zarr"
expect_grep "Zarr v3 output only" "$tmp/err"
expect_exit 2 "$DTREE" convert --no-consolidated "$ex" "$tmp/o.nc"
expect_grep "Zarr output only" "$tmp/err"
expect_exit 2 "$DTREE" convert --zstd 1 --compressor lz4 "$ex" "$tmp/o3.zarr"
expect_exit 1 "$DTREE" convert --quiet --compressor blosc:snappy "$ex" "$tmp/o3.zarr"
expect_grep "snappy" "$tmp/err"
expect_exit 1 "$DTREE" convert --quiet "$ex" "$tmp/ocean.zarr"
expect_grep "force" "$tmp/err"
expect_exit 0 "$DTREE" convert --quiet --force "$ex" "$tmp/ocean.zarr"

# existing target: refused without --force
expect_exit 1 "$DTREE" convert --quiet "$ex" "$tmp/ocean.nc"
expect_grep "use --force" "$tmp/err"
expect_exit 0 "$DTREE" convert --quiet --force "$ex" "$tmp/ocean.nc"

# storage options show in the written file
expect_exit 0 "$DTREE" convert --quiet --zstd 3 --shuffle --chunks time/1,depth/3 "$ex" "$tmp/z.nc"
expect_exit 0 "$DTREE" manifest "$tmp/z.nc"
expect_grep 'codecs: ["shuffle", "zstd"]' "$tmp/out"
expect_grep 'chunks: [1, 3]' "$tmp/out"
expect_exit 0 "$DTREE" cat "$tmp/z.nc:/ocean/temperature[3, 1]"
expect_grep "14.0" "$tmp/out"
expect_exit 0 "$DTREE" convert --quiet --deflate 0 --fletcher32 "$tmp/z.nc" "$tmp/f.nc"
expect_exit 0 "$DTREE" manifest "$tmp/f.nc"
expect_grep 'codecs: ["fletcher32", "shuffle", "zstd"]' "$tmp/out"
expect_exit 0 "$DTREE" convert --quiet --contiguous-max 1M "$tmp/z.nc" "$tmp/c.nc"
expect_exit 0 "$DTREE" manifest "$tmp/c.nc"
expect_grep 'chunks: null' "$tmp/out"
expect_exit 0 "$DTREE" convert --quiet --chunks default "$ex" "$tmp/d.nc"
expect_exit 2 "$DTREE" convert --deflate 12 "$ex" "$tmp/x.nc"
expect_exit 2 "$DTREE" convert --zstd 0 "$ex" "$tmp/x.nc"
expect_exit 2 "$DTREE" convert --chunks time "$ex" "$tmp/x.nc"
expect_grep "DIM/N" "$tmp/err"
expect_exit 2 "$DTREE" convert --deflate 1 --zstd 1 "$ex" "$tmp/x.nc"

# a subtree: the inherited dimension and coordinate go to the new root
expect_exit 0 "$DTREE" convert --quiet --group /ocean/surface "$ex" "$tmp/surface.nc"
expect_exit 0 "$DTREE" ls "$tmp/surface.nc"
expect_grep "time" "$tmp/out"
expect_grep "sst" "$tmp/out"
expect_exit 0 "$DTREE" cat "$tmp/surface.nc:/time"
expect_grep "3.0" "$tmp/out"
expect_exit 1 "$DTREE" convert --quiet --group /nope "$ex" "$tmp/x.nc"
expect_grep "/nope" "$tmp/err"

# usage
expect_exit 2 "$DTREE" convert "$ex"
expect_exit 2 "$DTREE" convert --bogus "$ex" "$tmp/x.nc"
expect_exit 0 "$DTREE" convert --help
expect_grep "usage: dtree convert" "$tmp/out"
expect_exit 0 "$DTREE" help convert
finish
