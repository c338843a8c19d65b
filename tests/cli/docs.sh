#!/bin/sh
# tests/cli/docs.sh: the reference keeps up with the code: every function
# dtree.h declares is named on a libdtree man page, and every command
# dtree lists has its dtree-CMD(1) page.
. "${top_srcdir:-.}/tests/cli/lib.sh"

sed -n 's/^DT_EXTERN[^(]*[^a-z_0-9]\(dt_[a-z_0-9]*\)(.*/\1/p' "$top_srcdir/include/dtree.h" | sort -u > "$tmp/declared"
[ -s "$tmp/declared" ] && pass || fail "no declarations found in dtree.h"
# the NAME sections of the group pages
for page in "$top_srcdir"/doc/man3/libdtree-*.3; do
    sed -n '/^\.SH NAME/,/^\.SH SYNOPSIS/p' "$page"
done | tr ', ' '\n\n' | grep '^dt_' | sort -u > "$tmp/named"
missing=$(comm -23 "$tmp/declared" "$tmp/named")
if [ -z "$missing" ]; then pass; else
    fail "functions on no man page's NAME line:"; echo "$missing" | sed 's/^/  /'
fi

"$DTREE" complete --commands | grep -v '^help$' > "$tmp/commands"
while read -r cmd; do
    if [ -f "$top_srcdir/doc/man1/dtree-$cmd.1" ]; then pass; else fail "no doc/man1/dtree-$cmd.1"; fi
    if grep -q "dtree-$cmd (1)" "$top_srcdir/doc/man1/dtree.1"; then pass; else
        fail "dtree.1 does not refer to dtree-$cmd(1)"
    fi
done < "$tmp/commands"

finish
