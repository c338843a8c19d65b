#!/bin/sh
# tests/cli/exports.sh: the shared library exports exactly the functions
# declared in dtree.h, nothing internal.
. "${top_srcdir:-.}/tests/cli/lib.sh"
so=${top_builddir:-.}/.libs/libdtree.so
if [ ! -f "$so" ]; then echo "SKIP: no shared library"; exit 77; fi
nm_prog=${NM:-nm}

# NM may carry flags ("nm -B"): split it on purpose
# shellcheck disable=SC2086
$nm_prog -D --defined-only "$so" | awk '$2 == "T" { print $3 }' | sort > "$tmp/exported"
sed -n 's/^DT_EXTERN[^(]*[^a-z_0-9]\(dt_[a-z_0-9]*\)(.*/\1/p' "$top_srcdir/include/dtree.h" | sort > "$tmp/declared"
if cmp -s "$tmp/exported" "$tmp/declared"; then pass; else
    fail "exported symbols differ from dtree.h (< exported, > declared)"
    diff "$tmp/exported" "$tmp/declared" | head -20
fi
if grep -q '^dt__' "$tmp/exported"; then fail "internal dt__ symbols exported"; else pass; fi
[ -s "$tmp/declared" ] && pass || fail "no declarations found in dtree.h"

finish
