#!/bin/sh
# tests/cli/query.sh: `dtree query`: every operator on the example tree,
# listings (plain, JSON, YAML), --isel/--sel/--method, --print, -o, and
# syntax errors with a caret under the column.
. "${top_srcdir:-.}/tests/cli/lib.sh"
ex=$top_srcdir/examples/ocean.yaml

# expect_lines EXPR LINES...: the plain listing is exactly these lines.
expect_lines() {
    expr=$1; shift
    "$DTREE" query "$ex" "$expr" > "$tmp/out" 2> "$tmp/err" || { fail "query '$expr' failed"; cat "$tmp/err"; return; }
    printf '%s\n' "$@" | sed '/^$/d' > "$tmp/want"
    if cmp -s "$tmp/out" "$tmp/want"; then pass; else
        fail "query '$expr'"; diff "$tmp/want" "$tmp/out" | sed 's/^/  /' | head -10
    fi
}

# path globs: absolute, relative (the end of the path), '*' within a component, '**'
expect_lines '/ocean/*' /ocean/depth /ocean/temperature /ocean/surface
expect_lines '/*/sst' ''
expect_lines '**/sst' /ocean/surface/sst
expect_lines 'sst' /ocean/surface/sst
expect_lines '/ocean/**/s*' /ocean/surface /ocean/surface/sst
expect_lines 'surface/?st' /ocean/surface/sst
expect_lines '"temperature"' /ocean/temperature
# functions and fields
expect_lines 'dim(depth)' /ocean /ocean/depth /ocean/temperature
expect_lines 'dim(time, depth)' /ocean/temperature
expect_lines 'dtype(float32)' /ocean/depth /ocean/temperature /ocean/surface/sst
expect_lines 'dtype == float64' /time
expect_lines 'dtype != float64' /ocean/depth /ocean/temperature /ocean/surface/sst
expect_lines 'ndim > 1' /ocean/temperature
expect_lines 'ndim >= 1 and ndim <= 1 and ndim < 2' /time /ocean/depth /ocean/surface/sst
expect_lines 'ndim == 2' /ocean/temperature
expect_lines 'ndim != 1' /ocean/temperature
expect_lines 'size > 10' /ocean/temperature
expect_lines 'size == 4 and is(var)' /time /ocean/surface/sst
expect_lines 'name ~ "^t"' /time /ocean/temperature
expect_lines 'path !~ "ocean"' / /time
# attributes
expect_lines '@units == "m"' /ocean/depth
expect_lines '@units != "m"' /time /ocean/temperature /ocean/surface/sst
expect_lines '@long_name ~ "temp"' /ocean/temperature
expect_lines '@units !~ "deg"' /time /ocean/depth
expect_lines '@valid_range > 39' /ocean/temperature
expect_lines '@valid_range < -1' /ocean/temperature
expect_lines '@valid_range >= 41' ''
expect_lines '@valid_range <= -2' /ocean/temperature
expect_lines 'has(@positive)' /ocean/depth
expect_lines '@title' /
expect_lines '@calendar = standard' /time
# is(), and, or, not, parentheses
expect_lines 'is(group)' / /ocean /ocean/surface
expect_lines 'is(index)' /time /ocean/depth
expect_lines 'is(coord) and not is(index)' ''
expect_lines 'is(data)' /ocean/temperature /ocean/surface/sst
expect_lines 'sst or depth' /ocean/depth /ocean/surface/sst
expect_lines 'not is(group) and not dim(time)' /ocean/depth
expect_lines '(sst or depth) and @units == "m"' /ocean/depth
expect_lines 'sst or (depth and @units == "K")' /ocean/surface/sst
# a group inside the file is where the walk starts
"$DTREE" query "$ex:/ocean/surface" 'is(var)' > "$tmp/out" 2>&1
expect_grep /ocean/surface/sst "$tmp/out"
[ "$(wc -l < "$tmp/out")" -eq 1 ] && pass || fail "start group: one match expected"

# JSON and YAML: type, dtype, dims, shape; one match per line
expect_exit 0 "$DTREE" query --json "$ex" 'dim(depth)'
expect_grep '{"file": ' "$tmp/out"
expect_grep '"query": "dim(depth)", "matches": [' "$tmp/out"
expect_grep '    {"path": "/ocean", "type": "group", "dtype": null, "dims": ["depth"], "shape": [3]},' "$tmp/out"
expect_grep '    {"path": "/ocean/temperature", "type": "variable", "dtype": "float32", "dims": ["time", "depth"], "shape": [4, 3]}' "$tmp/out"
expect_exit 0 "$DTREE" query --json "$ex" nothing
expect_grep '"matches": []}' "$tmp/out"
expect_exit 0 "$DTREE" query --yaml "$ex" 'sst'
expect_grep 'matches:' "$tmp/out"
expect_grep '  - {path: "/ocean/surface/sst", type: "variable", dtype: "float32", dims: ["time"], shape: [4]}' "$tmp/out"
expect_exit 0 "$DTREE" query --yaml "$ex" 'nothing'
expect_grep 'matches: []' "$tmp/out"

# selections: positions, labels (dates of the CF time coordinate), nearest
expect_exit 0 "$DTREE" query --json --isel time=1:3 "$ex" temperature
expect_grep '"dims": ["time", "depth"], "shape": [2, 3]' "$tmp/out"
expect_exit 0 "$DTREE" query --json --isel time=-1 --isel depth=::2 "$ex" temperature
expect_grep '"dims": ["depth"], "shape": [2]' "$tmp/out"
expect_exit 0 "$DTREE" query --print --sel time=2000-01-02:2000-01-03 "$ex" sst
expect_grep 'values: [18.75, .nan]' "$tmp/out"
expect_grep 'values: [1.0, 2.0]' "$tmp/out"
if grep -q temperature "$tmp/out"; then fail "--print kept a variable the query did not match"; else pass; fi
expect_exit 0 "$DTREE" query --print --sel=time=2000-01-04 "$ex" sst
expect_grep 'shape: []' "$tmp/out"
expect_grep 'values: [19.25]' "$tmp/out"
expect_exit 0 "$DTREE" query --print --sel depth=5:50 "$ex" temperature
expect_grep 'values: [14.0, 9.25, 14.25, 9.5, 14.5, 9.25, 14.0, -999.0]' "$tmp/out"
expect_exit 0 "$DTREE" query --print --sel depth=12 --method nearest "$ex" temperature
expect_grep 'values: [14.0, 14.25, 14.5, 14.0]' "$tmp/out"
expect_exit 0 "$DTREE" query --print --sel time=2000-01-02T20:00 --method=nearest "$ex" sst
expect_grep 'values: [.nan]' "$tmp/out"
expect_exit 1 "$DTREE" query --sel time=2000-01-09 "$ex" sst
expect_grep "sel time=2000-01-09: no label 2000-01-09 in the coordinate 'time' of / (4 values, from 2000-01-01 to 2000-01-04" "$tmp/err"
expect_exit 1 "$DTREE" query --isel time=7 "$ex" sst
expect_grep "index 7 is out of range for 'time' of size 4" "$tmp/err"
expect_exit 1 "$DTREE" query --sel nodim=1 "$ex" sst
expect_grep "no group of the subtree has a dimension 'nodim'" "$tmp/err"
expect_exit 2 "$DTREE" query --sel time "$ex" sst
expect_grep 'indexer "time": column 5' "$tmp/err"
expect_exit 2 "$DTREE" query --isel time=a "$ex" sst
expect_exit 2 "$DTREE" query --method nearest "$ex" sst
expect_exit 2 "$DTREE" query --method far --sel time=1 "$ex" sst

# -o: the selected tree as YAML, read back
expect_exit 0 "$DTREE" query -o "$tmp/sel.yaml" --isel time=0:2 "$ex" 'temperature'
expect_exit 0 "$DTREE" cat "$tmp/sel.yaml:/ocean/temperature"
expect_grep "/ocean/temperature  float32 (time=2, depth=3)" "$tmp/out"
expect_grep "18.75" "$tmp/out"
expect_exit 1 "$DTREE" query -o "$tmp/sel.yaml" "$ex" 'temperature'
expect_grep "exists; use --force to replace it" "$tmp/err"
expect_exit 0 "$DTREE" query -o "$tmp/sel.yaml" --force "$ex" 'sst'
expect_exit 0 "$DTREE" ls "$tmp/sel.yaml"
expect_grep "sst" "$tmp/out"
# a netCDF-4 result: the writer keeps the selection's tree
expect_exit 0 "$DTREE" query -o "$tmp/sel.nc" "$ex" 'sst'
expect_exit 0 "$DTREE" ls "$tmp/sel.nc"
expect_grep "sst" "$tmp/out"
expect_grep "(netcdf4:" "$tmp/out"
# Zarr v3 (a .zarr name) and v2 (--format): the same tree and data as the
# YAML result of the same selection
expect_exit 0 "$DTREE" query -o "$tmp/t2.yaml" --isel time=1:3 "$ex" 'temperature'
expect_exit 0 "$DTREE" query -o "$tmp/t3.zarr" --isel time=1:3 "$ex" 'temperature'
expect_exit 0 "$DTREE" ls "$tmp/t3.zarr"
expect_grep "(zarr3:" "$tmp/out"
expect_grep "temperature  float32 (time=2, depth=3)" "$tmp/out"
expect_exit 0 "$DTREE" diff "$tmp/t2.yaml" "$tmp/t3.zarr"
expect_exit 0 "$DTREE" query -o "$tmp/t2.zarr" --format zarr2 --isel time=1:3 "$ex" 'temperature'
[ -f "$tmp/t2.zarr/.zgroup" ] && [ -f "$tmp/t2.zarr/.zmetadata" ] && pass ||
    fail "--format zarr2 wrote no v2 store"
expect_exit 0 "$DTREE" diff "$tmp/t2.yaml" "$tmp/t2.zarr"
expect_exit 0 "$DTREE" cat "$tmp/t2.zarr:/ocean/temperature"
expect_grep "18.75" "$tmp/out"
expect_exit 1 "$DTREE" query -o "$tmp/t2.zarr" --format zarr2 "$ex" 'temperature'
expect_grep "use --force" "$tmp/err"
expect_exit 2 "$DTREE" query --format zarr2 "$ex" 'temperature'
expect_grep "--format applies to -o" "$tmp/err"
expect_exit 2 "$DTREE" query -o "$tmp/t.bin" "$ex" 'temperature'
expect_grep "use --format" "$tmp/err"
expect_exit 2 "$DTREE" query -o "$tmp/t.x" --format zarr4 "$ex" 'temperature'
expect_grep "unknown format 'zarr4'" "$tmp/err"

# syntax errors: exit 2, the message names the column, a caret points at it
expect_exit 2 "$DTREE" query "$ex" 'ndim >'
expect_grep 'query "ndim >": column 7: expected a value after the operator' "$tmp/err"
expect_grep '  ndim >' "$tmp/err"
expect_grep '        ^' "$tmp/err"
expect_exit 2 "$DTREE" query "$ex" '(sst or depth'
expect_grep "column 14: expected ')' to close the '(' of column 1" "$tmp/err"
expect_exit 2 "$DTREE" query "$ex" '@long_name ~ "("'
expect_grep 'invalid regular expression' "$tmp/err"
expect_exit 2 "$DTREE" query "$ex" 'dtype(float99)'
expect_grep 'column 7: unknown dtype "float99"' "$tmp/err"
# the expression is checked before the file is opened
expect_exit 2 "$DTREE" query "$tmp/missing.nc" 'ndim >'
expect_exit 1 "$DTREE" query "$tmp/missing.nc" 'ndim > 1'
expect_grep "missing.nc" "$tmp/err"

# usage
expect_exit 2 "$DTREE" query "$ex"
expect_exit 2 "$DTREE" query "$ex" a b
expect_exit 2 "$DTREE" query --frob "$ex" a
expect_exit 2 "$DTREE" query --json --yaml "$ex" a
expect_exit 0 "$DTREE" query --help
expect_grep "usage: dtree query" "$tmp/out"
# options after the arguments, and '--' before an expression that starts with '-'
expect_exit 0 "$DTREE" query "$ex" sst --json
expect_grep '"path": "/ocean/surface/sst"' "$tmp/out"

# regular expressions glibc's regcomp would take gigabytes for are refused
# (fuzz_query: a run of '+' took more than 2 GB)
expect_exit 2 "$DTREE" query "$ex" 'path ~ ":+++++++++++++++++++++++++++++ath"'
expect_grep "a repetition cannot follow another repetition" "$tmp/err"
expect_exit 2 "$DTREE" query "$ex" '@units ~ "((a{50}){50}){50}"'
expect_grep "repetition counts multiply to more than 10000" "$tmp/err"
expect_exit 0 "$DTREE" query "$ex" '@units ~ "^(K|degC)+$"'

finish
