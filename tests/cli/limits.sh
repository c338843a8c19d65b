#!/bin/sh
# tests/cli/limits.sh: --max-alloc and DTREE_MAX_ALLOC: a file whose
# metadata asks for more than the cap gets a clear error naming the file,
# the object and the size, instead of an allocation; bad sizes are usage
# errors.
. "$top_srcdir/tests/cli/lib.sh"

# A Zarr v2 store with one 2 MiB chunk (512 x 512 float64, stored raw).
z="$tmp/big.zarr"
mkdir -p "$z/v"
echo '{"zarr_format": 2}' > "$z/.zgroup"
echo '{"zarr_format": 2, "shape": [512, 512], "chunks": [512, 512], "dtype": "<f8",
 "compressor": null, "fill_value": 0, "filters": null, "order": "C"}' > "$z/v/.zarray"
head -c 2097152 /dev/zero > "$z/v/0.0"

expect_exit 0 "$DTREE" cat "$z:/v[0:2, 0:2]"
expect_exit 1 "$DTREE" --max-alloc 1M cat "$z:/v[0:2, 0:2]"
expect_grep "big.zarr: v/0.0: 2097152 bytes to read, over the limit of 1048576" "$tmp/err"
expect_exit 1 "$DTREE" --max-alloc=1024K manifest "$z"
expect_grep "over the limit of 1048576" "$tmp/err"
expect_exit 1 env DTREE_MAX_ALLOC=1M "$DTREE" cat "$z:/v[0, 0]"
expect_grep "over the limit of 1048576" "$tmp/err"
# the option wins over the environment
expect_exit 0 env DTREE_MAX_ALLOC=1M "$DTREE" --max-alloc 4M cat "$z:/v[0, 0]"

# A chunk shape of 65536 x 65536 float64 (32 GiB a chunk) with a short
# chunk: refused against the default 1 GiB before anything is allocated.
h="$tmp/huge.zarr"
mkdir -p "$h/v"
echo '{"zarr_format": 2}' > "$h/.zgroup"
echo '{"zarr_format": 2, "shape": [65536, 65536], "chunks": [65536, 65536], "dtype": "<f8",
 "compressor": null, "fill_value": 0, "filters": null, "order": "C"}' > "$h/v/.zarray"
printf 'tiny' > "$h/v/0.0"
expect_exit 0 "$DTREE" ls "$h"
expect_exit 1 "$DTREE" cat "$h:/v[0:2, 0:2]"
expect_grep "huge.zarr" "$tmp/err"
expect_grep "limit" "$tmp/err"
expect_exit 1 "$DTREE" --max-alloc 64M cat "$h:/v[0, 0]"
expect_grep "limit" "$tmp/err"

# A fixed-length string type wider than the model holds: a clear refusal,
# not an invalid type code.
s="$tmp/wide.zarr"
mkdir -p "$s/v"
echo '{"zarr_format": 2}' > "$s/.zgroup"
echo '{"zarr_format": 2, "shape": [10], "chunks": [10], "dtype": "|S1000000000",
 "compressor": null, "fill_value": null, "filters": null, "order": "C"}' > "$s/v/.zarray"
expect_exit 1 "$DTREE" cat "$s:/v"
expect_grep 'wide.zarr: v/.zarray: "dtype": type "|S1000000000": strings of 1000000000 bytes are longer than the 1048576 libdtree holds' "$tmp/err"

# A netCDF-4 file with a 300000-byte attribute, written by dtree convert.
y="$tmp/attr.yaml"
{
    printf 'format: "dtree-manifest/1"\nwriter: "limits.sh"\nfiles:\n'
    printf '  - file: "attr.yaml"\n    kind: "yaml"\n    groups:\n      /:\n'
    printf '        attrs:\n          big: {type: "char", value: "'
    head -c 300000 /dev/zero | tr '\0' x
    printf '"}\n'
} > "$y"
expect_exit 0 "$DTREE" convert "$y" "$tmp/attr.nc"
expect_exit 0 "$DTREE" ls "$tmp/attr.nc"
expect_exit 1 "$DTREE" --max-alloc 100K ls "$tmp/attr.nc"
expect_grep 'attr.nc: /: attribute "big": 1 values of 300000 bytes are over the limit of 102400 bytes' "$tmp/err"
expect_exit 1 env DTREE_MAX_ALLOC=100K "$DTREE" manifest "$tmp/attr.nc"
expect_grep 'attribute "big"' "$tmp/err"
# the YAML document itself is over a cap of 100K
expect_exit 1 "$DTREE" --max-alloc 100K ls "$y"
expect_grep "attr.yaml: the document is over the limit of 102400 bytes" "$tmp/err"

# A netCDF-4 string variable holding a 200000-byte string: HDF5 hands the
# strings over, and their copies are refused over the cap.
v="$tmp/str.yaml"
{
    printf 'format: "dtree-manifest/1"\nwriter: "limits.sh"\nfiles:\n'
    printf '  - file: "str.yaml"\n    kind: "yaml"\n    groups:\n      /:\n'
    printf '        dims:\n          n: 2\n        vars:\n          s:\n'
    printf '            dtype: "string"\n            shape: [2]\n            dims: ["n"]\n'
    printf '            values: ["'
    head -c 200000 /dev/zero | tr '\0' y
    printf '", "b"]\n'
} > "$v"
expect_exit 0 "$DTREE" convert "$v" "$tmp/str.nc"
expect_exit 0 "$DTREE" cat "$tmp/str.nc:/s"
expect_exit 1 "$DTREE" --max-alloc 100K cat "$tmp/str.nc:/s"
expect_grep "str.nc: /s: the strings read are over the allocation limit of 102400 bytes" "$tmp/err"

# sizes: suffixes K M G T (optionally KiB, KB), refused otherwise
expect_exit 0 "$DTREE" --max-alloc 3MiB cat "$z:/v[0, 0]"
expect_exit 0 "$DTREE" --max-alloc 1g cat "$z:/v[0, 0]"
expect_exit 0 "$DTREE" --max-alloc 4194304 cat "$z:/v[0, 0]"
for bad in 0 1X "" -1 M 1.5G 99999999999999999999 20000000T; do
    expect_exit 2 "$DTREE" --max-alloc "$bad" ls "$z"
    expect_grep "--max-alloc takes a size" "$tmp/err"
done
expect_exit 2 "$DTREE" --max-alloc
expect_exit 0 env DTREE_MAX_ALLOC=lots "$DTREE" ls "$z"
expect_grep "ignoring DTREE_MAX_ALLOC=lots" "$tmp/err"
finish
