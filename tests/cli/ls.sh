#!/bin/sh
# tests/cli/ls.sh: `dtree ls`, `--help`, `--version` and exit codes.
. "${top_srcdir:-.}/tests/cli/lib.sh"
ex=$top_srcdir/examples/ocean.yaml

expect_exit 0 "$DTREE" --version
expect_grep "dtree (libdtree)" "$tmp/out"
expect_exit 0 "$DTREE" --help
expect_grep "manifest" "$tmp/out"
expect_exit 2 "$DTREE"
expect_exit 2 "$DTREE" frobnicate
expect_exit 2 "$DTREE" ls
expect_exit 2 "$DTREE" ls -L x "$ex"
expect_exit 0 "$DTREE" help ls
expect_grep "usage: dtree ls" "$tmp/out"
expect_exit 0 "$DTREE" ls --help
expect_grep "usage: dtree ls" "$tmp/out"

# a missing file: exit 1 and a message naming it
expect_exit 1 "$DTREE" ls "$tmp/nope.nc"
expect_grep "nope.nc" "$tmp/err"
# a file of no known format
printf 'hello\n' > "$tmp/junk.bin"
expect_exit 1 "$DTREE" ls "$tmp/junk.bin"
expect_grep "junk.bin" "$tmp/err"
expect_grep "not a format libdtree reads" "$tmp/err"

# the tree view: groups, dims, variables, the inherited coordinate
expect_exit 0 "$DTREE" ls "$ex"
cp "$tmp/out" "$tmp/ls.txt"
expect_grep "ocean/" "$tmp/ls.txt"
expect_grep "surface/" "$tmp/ls.txt"
expect_grep "dims: time=" "$tmp/ls.txt"
expect_grep "[index]" "$tmp/ls.txt"
expect_grep "inherited from /" "$tmp/ls.txt"

# a group inside the file, depth limit, attributes, JSON
expect_exit 0 "$DTREE" ls "$ex:/ocean"
expect_grep "/ocean" "$tmp/out"
expect_grep "surface/" "$tmp/out"
expect_exit 0 "$DTREE" ls -L 0 "$ex"
if grep -q "surface/" "$tmp/out"; then fail "-L 0 still shows grandchildren"; else pass; fi
expect_exit 0 "$DTREE" ls -a "$ex"
expect_grep "@" "$tmp/out"
expect_exit 0 "$DTREE" ls --json "$ex"
expect_grep '"path": "/ocean/surface"' "$tmp/out"
expect_grep '"inherited_coords": [{"name": "time", "from": "/"}' "$tmp/out"
expect_exit 0 "$DTREE" ls --yaml "$ex"
expect_grep '  - path: "/ocean/surface"' "$tmp/out"
expect_grep '      - {name: "time", from: "/"}' "$tmp/out"
expect_exit 2 "$DTREE" ls --yaml --json "$ex"
expect_exit 0 "$DTREE" ls -a "$ex"
expect_grep '@valid_range = -2.0, 40.0  (float32)' "$tmp/out"
expect_exit 1 "$DTREE" ls "$ex:/no/such/group"
expect_grep "no group /no" "$tmp/err"

finish
