#!/bin/sh
# tests/cli/yaml-roundtrip.sh: a YAML tree printed with --values reads back
# as the same tree (same manifest, digests included).
. "${top_srcdir:-.}/tests/cli/lib.sh"
ex=$top_srcdir/examples/ocean.yaml

expect_exit 0 "$DTREE" manifest --values "$ex"
cp "$tmp/out" "$tmp/a.yaml"
expect_grep 'format: "dtree-manifest/1"' "$tmp/a.yaml"
expect_grep 'sha256: "' "$tmp/a.yaml"
expect_grep 'values: [' "$tmp/a.yaml"
expect_exit 0 "$DTREE" manifest --values "$tmp/a.yaml"
cp "$tmp/out" "$tmp/b.yaml"
sed '/^  - file:/d' "$tmp/a.yaml" > "$tmp/a2"
sed '/^  - file:/d' "$tmp/b.yaml" > "$tmp/b2"
if cmp -s "$tmp/a2" "$tmp/b2"; then pass; else fail "round trip changed the tree"; diff "$tmp/a2" "$tmp/b2" | head -20; fi
# the manifest names the file it describes
expect_exit 0 "$DTREE" manifest --name other.nc "$ex"
expect_grep 'file: "other.nc"' "$tmp/out"
expect_exit 2 "$DTREE" manifest
expect_exit 1 "$DTREE" manifest "$tmp/missing.yaml"
expect_grep "missing.yaml" "$tmp/err"

finish
