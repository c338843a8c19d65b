#!/bin/sh
# tests/cli/diff.sh: `dtree diff`: every kind of difference, the first
# differing hyperslab of data, -q, --no-data, --encoding, trees in two
# formats, and the exit statuses of diff(1).
. "${top_srcdir:-.}/tests/cli/lib.sh"
ex=$top_srcdir/examples/ocean.yaml
shared=${DT_SHARED:-$top_srcdir/../shared}

tree() {
    {
        printf 'format: dtree-manifest/1\nfiles:\n  - file: %s.yaml\n    groups:\n' "$1"
        sed 's/^/      /'
    } > "$tmp/$1.yaml"
}

# a.yaml and variations of it
tree a <<'EOF'
/:
  dims: {time: {size: 4, unlimited: true}}
  attrs: {title: {type: char, value: "A tree"}}
  vars:
    time: {dtype: float64, shape: [4], dims: [time], attrs: {units: {type: char, value: "days since 2000-01-01"}}, values: [0.0, 1.0, 2.0, 3.0]}
/g:
  vars:
    t: {dtype: float32, shape: [4, 3], dims: [time, x], chunks: [2, 2], codecs: [zlib], fill_value: -1.0, values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]}
    s: {dtype: string, shape: [2], dims: [n], values: ["ab", "cd"]}
    k: {dtype: int32, shape: [], dims: [], values: [7]}
/g/deep: {}
EOF
sed -e 's/7, 8, 9, 10, 11, 12/7, 8, 9, 10, 11.5, 12/' "$tmp/a.yaml" > "$tmp/data.yaml"
sed -e 's/"cd"/"ce"/' -e 's/values: \[7\]/values: [8]/' "$tmp/a.yaml" > "$tmp/data2.yaml"
sed -e 's/"A tree"/"B tree"/' -e 's/{units: {type: char/{units: {type: string/' "$tmp/a.yaml" > "$tmp/attrs.yaml"
sed -e 's/^\(.*\)\/g\/deep: {}/\1\/g\/other: {}/' "$tmp/a.yaml" > "$tmp/groups.yaml"
sed -e 's/dtype: float32, shape: \[4, 3\]/dtype: float64, shape: [4, 3]/' "$tmp/a.yaml" > "$tmp/dtype.yaml"
sed -e 's/k: {dtype: int32, shape: \[\], dims: \[\], values: \[7\]}/k: {dtype: int32, shape: [1], dims: [one], values: [7]}/' "$tmp/a.yaml" > "$tmp/shape.yaml"
sed -e 's/{size: 4, unlimited: true}/4/' "$tmp/a.yaml" > "$tmp/unlim.yaml"
sed -e 's/chunks: \[2, 2\], codecs: \[zlib\], fill_value: -1.0/chunks: [4, 3], codecs: [], fill_value: -2.0/' "$tmp/a.yaml" > "$tmp/enc.yaml"

# the same tree: exit 0, nothing printed
expect_exit 0 "$DTREE" diff "$tmp/a.yaml" "$tmp/a.yaml"
[ -s "$tmp/out" ] && fail "equal trees printed differences" || pass
expect_exit 0 "$DTREE" diff "$ex" "$ex"
# the same tree in another document (manifest --values writes it again)
"$DTREE" manifest --values "$ex" > "$tmp/copy.yaml"
expect_exit 0 "$DTREE" diff --encoding "$ex" "$tmp/copy.yaml"

# data: the first differing chunk and element, named
expect_exit 1 "$DTREE" diff "$tmp/a.yaml" "$tmp/data.yaml"
expect_grep "--- A $tmp/a.yaml" "$tmp/out"
expect_grep "+++ B $tmp/data.yaml" "$tmp/out"
expect_grep "changed: data of /g/t: first difference in [2:4, 0:2] (chunk 1, 0), at [3, 1]: 11.0 -> 11.5" "$tmp/out"
[ "$(wc -l < "$tmp/out")" -eq 3 ] && pass || fail "data: one difference expected"
expect_exit 1 "$DTREE" diff "$tmp/a.yaml" "$tmp/data2.yaml"
expect_grep 'changed: data of /g/s: first difference in [0:2], at [1]: "cd" -> "ce"' "$tmp/out"
expect_grep "changed: data of /g/k: first difference in the value: 7 -> 8" "$tmp/out"
expect_exit 0 "$DTREE" diff --no-data "$tmp/a.yaml" "$tmp/data.yaml"

# attributes: value, type, presence
expect_exit 1 "$DTREE" diff "$tmp/a.yaml" "$tmp/attrs.yaml"
expect_grep 'changed: attribute @title of /: "A tree" (char) -> "B tree" (char)' "$tmp/out"
expect_grep 'changed: attribute @units of /time: "days since 2000-01-01" (char) -> "days since 2000-01-01" (string)' "$tmp/out"
sed '/Conventions/d' "$tmp/copy.yaml" > "$tmp/copy-noconv.yaml"
expect_exit 1 "$DTREE" diff "$ex" "$tmp/copy-noconv.yaml"
expect_grep "only in A: attribute @Conventions of /" "$tmp/out"
expect_exit 1 "$DTREE" diff "$tmp/copy-noconv.yaml" "$ex"
expect_grep "only in B: attribute @Conventions of /" "$tmp/out"

# groups and variables present on one side
expect_exit 1 "$DTREE" diff "$tmp/a.yaml" "$tmp/groups.yaml"
expect_grep "only in A: group /g/deep" "$tmp/out"
expect_grep "only in B: group /g/other" "$tmp/out"
sed '/    k: {dtype/d' "$tmp/a.yaml" > "$tmp/nok.yaml"
expect_exit 1 "$DTREE" diff "$tmp/nok.yaml" "$tmp/a.yaml"
expect_grep "only in B: variable /g/k" "$tmp/out"

# types, shapes, dimensions
expect_exit 1 "$DTREE" diff "$tmp/a.yaml" "$tmp/dtype.yaml"
expect_grep "changed: dtype of /g/t: float32 -> float64" "$tmp/out"
expect_exit 1 "$DTREE" diff "$tmp/a.yaml" "$tmp/shape.yaml"
expect_grep "changed: dims of /g/k: () -> (one)" "$tmp/out"
expect_grep "changed: shape of /g/k: () -> (1,)" "$tmp/out"
expect_grep "only in B: dimension one of /g" "$tmp/out"
expect_exit 1 "$DTREE" diff "$tmp/a.yaml" "$tmp/unlim.yaml"
expect_grep "changed: dimension time of /: unlimited -> fixed" "$tmp/out"

# encoding only with --encoding
expect_exit 0 "$DTREE" diff "$tmp/a.yaml" "$tmp/enc.yaml"
expect_exit 1 "$DTREE" diff --encoding "$tmp/a.yaml" "$tmp/enc.yaml"
expect_grep "changed: chunks of /g/t: (2, 2) -> (4, 3)" "$tmp/out"
expect_grep "changed: codecs of /g/t: zlib -> none" "$tmp/out"
expect_grep "changed: fill value of /g/t: -1.0 -> -2.0" "$tmp/out"

# subtrees
expect_exit 0 "$DTREE" diff "$tmp/a.yaml:/g/deep" "$tmp/groups.yaml:/g/other"
expect_exit 1 "$DTREE" diff "$tmp/a.yaml:/g" "$tmp/data.yaml:/g"
expect_grep "changed: data of /g/t" "$tmp/out"

# -q: nothing printed, the status says it
expect_exit 1 "$DTREE" diff -q "$tmp/a.yaml" "$tmp/data.yaml"
[ -s "$tmp/out" ] && fail "-q printed something" || pass
expect_exit 0 "$DTREE" diff -q "$tmp/a.yaml" "$tmp/a.yaml"
expect_exit 2 "$DTREE" diff -q "$tmp/a.yaml" "$tmp/missing.yaml"

# trouble: a file that cannot be read, usage errors
expect_exit 2 "$DTREE" diff "$tmp/a.yaml" "$tmp/missing.yaml"
expect_grep "missing.yaml" "$tmp/err"
expect_exit 2 "$DTREE" diff "$tmp/a.yaml"
expect_exit 2 "$DTREE" diff --frob "$tmp/a.yaml" "$tmp/a.yaml"
expect_exit 2 "$DTREE" diff "$tmp/a.yaml" "$tmp/a.yaml" "$tmp/a.yaml"
expect_exit 0 "$DTREE" diff --help
expect_grep "usage: dtree diff" "$tmp/out"

# two formats: a netCDF-4 file and the YAML tree made from it are the same
f=$shared/fixtures/netcdf-c/groups3.nc
if [ -f "$f" ]; then
    "$DTREE" manifest --values "$f" > "$tmp/groups3.yaml"
    expect_exit 0 "$DTREE" diff --encoding "$f" "$tmp/groups3.yaml"
    sed 's/^\(            values: \[\)\([-0-9.]*\)/\1999/' "$tmp/groups3.yaml" > "$tmp/groups3b.yaml"
    expect_exit 1 "$DTREE" diff "$f" "$tmp/groups3b.yaml"
    expect_grep "changed: data of " "$tmp/out"
    expect_grep " -> 999" "$tmp/out"
else
    echo "SKIP: no shared fixtures at $shared"
fi

finish
