#!/bin/sh
# tests/cli/example.sh: the shipped C examples: a three-level tree that sees
# the root's coordinate from the deepest group; inspecting a file; reading a
# hyperslab into a caller's buffer; building, writing and reading back a
# tree; a query and a label selection.
. "${top_srcdir:-.}/tests/cli/lib.sh"
bin=${top_builddir:-.}/examples
ex=$top_srcdir/examples/ocean.yaml

expect_exit 0 "$bin/tree3"
expect_grep "/ocean/surface sees 'time' (3 values), inherited=1 from /" "$tmp/out"
expect_grep '"/ocean/surface":' "$tmp/out"

expect_exit 0 "$bin/inspect" "$ex"
expect_grep "  dim time = 4 (unlimited)" "$tmp/out"
expect_grep "    ^ time (from /)" "$tmp/out"
expect_grep "      ^ depth (from /ocean)" "$tmp/out"
expect_grep "    float32 temperature(time=4, depth=3)" "$tmp/out"
expect_exit 1 "$bin/inspect" "$tmp/missing.yaml"
expect_grep "missing.yaml" "$tmp/err"
expect_exit 2 "$bin/inspect"

expect_exit 0 "$bin/hyperslab" "$ex" /ocean/temperature 1 2 0 3
expect_grep "18.75 14.25 9.5" "$tmp/out"
expect_grep "19 14.5 9.25" "$tmp/out"
expect_exit 1 "$bin/hyperslab" "$ex" /ocean/temperature 3 2 0 3
expect_grep "goes past 'time' of size 4" "$tmp/err"
expect_exit 2 "$bin/hyperslab" "$ex" /ocean/temperature 1

expect_exit 0 "$bin/build" "$tmp/built.yaml"
expect_grep "refused: group '/ocean/surface' is not aligned with its parents" "$tmp/out"
expect_grep "/ocean/surface inherits time (4 values): yes" "$tmp/out"
expect_exit 0 "$DTREE" ls "$tmp/built.yaml"
expect_grep "^ time" "$tmp/out"
expect_exit 0 "$DTREE" check "$tmp/built.yaml"

expect_exit 0 "$bin/select" "$ex"
expect_grep "match: /ocean/temperature" "$tmp/out"
expect_grep "/ocean/temperature at depth 0, time 2000-01-02:2000-01-03: 18.75 19" "$tmp/out"
expect_exit 0 "$bin/select" "$ex" '**/temperature' 2000-01
expect_grep "time 2000-01: 18.5 18.75 19 19.25" "$tmp/out"
expect_exit 2 "$bin/select" "$ex" 'ndim >'
expect_grep "column 7" "$tmp/err"
expect_exit 1 "$bin/select" "$ex" 'temperature' 1999-01-01
expect_grep "no label 1999-01-01" "$tmp/err"

finish
