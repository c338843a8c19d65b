#!/bin/sh
# tests/cli/example.sh: the shipped C example builds a three-level tree and
# sees the root's coordinate from the deepest group.
. "${top_srcdir:-.}/tests/cli/lib.sh"
ex=${top_builddir:-.}/examples/tree3

expect_exit 0 "$ex"
expect_grep "/ocean/surface sees 'time' (3 values), inherited=1 from /" "$tmp/out"
expect_grep '"/ocean/surface":' "$tmp/out"

finish
