#!/bin/sh
# tests/cli/cat.sh: `dtree cat` selections and output formats.
. "${top_srcdir:-.}/tests/cli/lib.sh"
ex=$top_srcdir/examples/ocean.yaml

# the whole 2-D variable: a table labelled with coordinate values
expect_exit 0 "$DTREE" cat "$ex:/ocean/temperature"
expect_grep "/ocean/temperature  float32 (time=4, depth=3)" "$tmp/out"
expect_grep "time \\ depth    0.0   10.0    50.0" "$tmp/out"
expect_grep "         3.0  19.25   14.0  -999.0" "$tmp/out"

# slices, negative index, the inherited coordinate labels the rows
expect_exit 0 "$DTREE" cat "$ex:/ocean/temperature[1:3, -1]"
expect_grep "(time=2)" "$tmp/out"
expect_grep "time=1.0  9.5" "$tmp/out"
expect_grep "time=2.0  9.25" "$tmp/out"
expect_exit 0 "$DTREE" cat "$ex:/ocean/surface/sst[...]"
expect_grep "time=2.0  nan" "$tmp/out"
expect_exit 0 "$DTREE" cat "$ex:/ocean/temperature[::3, 1]"
expect_grep "time=0.0  14.0" "$tmp/out"
expect_grep "time=3.0  14.0" "$tmp/out"
if grep -q "time=1.0" "$tmp/out"; then fail "stride 3 printed time=1.0"; else pass; fi

# CSV and JSON
expect_exit 0 "$DTREE" cat --format csv "$ex:/ocean/temperature[::2]"
expect_grep "time,depth,temperature" "$tmp/out"
expect_grep "2.0,50.0,9.25" "$tmp/out"
[ "$(wc -l < "$tmp/out")" -eq 7 ] && pass || fail "csv: expected 7 lines"
expect_exit 0 "$DTREE" cat --format json "$ex:/ocean/temperature[0:2]"
expect_grep '"shape": [2, 3], "data": [[18.5, 14.0, 9.25], [18.75, 14.25, 9.5]]}' "$tmp/out"
expect_exit 0 "$DTREE" cat --format json "$ex:/ocean/surface/sst"
expect_grep '[18.5, 18.75, null, 19.25]' "$tmp/out"

# raw: little-endian bytes, 4 float32 values
expect_exit 0 "$DTREE" cat --format raw "$ex:/ocean/surface/sst"
[ "$(wc -c < "$tmp/out")" -eq 16 ] && pass || fail "raw: expected 16 bytes"

# a step as large as int64 allows keeps the first element (its count once
# overflowed int64)
expect_exit 0 "$DTREE" cat "$ex:/ocean/temperature[::9223372036854775807, 1]"
expect_grep "/ocean/temperature  float32 (time=1)" "$tmp/out"

# errors: column of a syntax error, out of range, no such variable, usage
expect_exit 1 "$DTREE" cat "$ex:/ocean/temperature[1,,]"
expect_grep 'selection "[1,,]": column 4' "$tmp/err"
expect_exit 1 "$DTREE" cat "$ex:/ocean/temperature[9]"
expect_grep "index 9 is out of range for 'time' of size 4" "$tmp/err"
expect_exit 1 "$DTREE" cat "$ex:/ocean/temperature[::-1]"
expect_grep "negative steps" "$tmp/err"
expect_exit 1 "$DTREE" cat "$ex:/ocean/nothing"
expect_grep "/ocean/nothing" "$tmp/err"
expect_exit 2 "$DTREE" cat "$ex"
expect_exit 2 "$DTREE" cat --format xml "$ex:/time"

# object names may hold ':' (Keras writes "bias:0"): the FILE:/object split
# takes the first ":/" whose prefix is an existing file
cat > "$tmp/colon.yaml" <<'YAML'
format: "dtree-manifest/1"
files:
  - file: "colon.yaml"
    kind: "yaml"
    groups:
      /:
        dims:
          n: 3
        attrs: {}
        vars:
          "bias:0":
            dtype: "float32"
            shape: [3]
            dims: ["n"]
            chunks: null
            codecs: []
            fill_value: null
            attrs: {}
            values: [0.5, 1.5, 2.5]
YAML
expect_exit 0 "$DTREE" cat "$tmp/colon.yaml:/bias:0[1:]"
expect_grep "1.5" "$tmp/out"
expect_grep "2.5" "$tmp/out"
expect_exit 1 "$DTREE" cat "$tmp/colon.yaml:/bias:1"
expect_grep "bias:1" "$tmp/err"

finish
