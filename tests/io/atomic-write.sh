#!/bin/sh
# tests/io/atomic-write.sh: `dtree convert` never damages its target. A
# conversion killed with SIGKILL half way leaves the old target's bytes
# (SHA-256) unchanged; its temporary file is removed by the next conversion
# to the same target. Without --force an existing target is refused; a
# failed conversion (a source that cannot be read) leaves no temporary file.
. "${top_srcdir:-.}/tests/cli/lib.sh"
: "${MAKE_BIG:=${top_builddir:-.}/tests/io/make_big}"
sha() { sha256sum "$1" | cut -d' ' -f1; }
temps() { find "$tmp" -name 'target.nc.tmp-*' | wc -l; }

"$DTREE" convert --quiet "$top_srcdir/examples/ocean.yaml" "$tmp/target.nc" || fail "first convert"
old=$(sha "$tmp/target.nc")

# no --force: refused, target unchanged
expect_exit 1 "$DTREE" convert --quiet "$top_srcdir/examples/ocean.yaml" "$tmp/target.nc"
expect_grep "use --force" "$tmp/err"
[ "$(sha "$tmp/target.nc")" = "$old" ] && pass || fail "target changed without --force"

# a source that fails to read: exit 1, target unchanged, no temporary file
printf 'format: "dtree-manifest/1"\nfiles: [' > "$tmp/broken.yaml"
expect_exit 1 "$DTREE" convert --quiet --force "$tmp/broken.yaml" "$tmp/target.nc"
[ "$(sha "$tmp/target.nc")" = "$old" ] && pass || fail "target changed by a failed conversion"
[ "$(temps)" -eq 0 ] && pass || fail "a failed conversion left a temporary file"

# SIGKILL half way through a long conversion (100 MiB, deflate 9)
"$MAKE_BIG" "$tmp/big.nc" 100 || fail "make_big"
"$DTREE" convert --quiet --force --recompress --deflate 9 "$tmp/big.nc" "$tmp/target.nc" &
pid=$!
i=0
# wait until the temporary file has data in it
while [ $i -lt 600 ]; do
    f=$(find "$tmp" -name 'target.nc.tmp-*' -size +1024k | head -1)
    [ -n "$f" ] && break
    sleep 0.05
    i=$((i + 1))
done
if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid"
    wait "$pid" 2>/dev/null
    # dtree works in a child process, which dies with it (PR_SET_PDEATHSIG):
    # wait until the writer named in the temporary file's name is gone
    wpid=$(find "$tmp" -name 'target.nc.tmp-*' | head -1 | sed 's/.*\.tmp-\([0-9]*\)-.*/\1/')
    i=0
    while [ -n "$wpid" ] && kill -0 "$wpid" 2>/dev/null &&
          ! grep -q '^[0-9]* (.*) Z' "/proc/$wpid/stat" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.05
        i=$((i + 1))
    done
    pass
    [ "$(sha "$tmp/target.nc")" = "$old" ] && pass || fail "SIGKILL changed the target"
    [ "$(temps)" -eq 1 ] && pass || fail "expected the killed conversion's temporary file, found $(temps)"
    dtree_ok=$("$DTREE" ls "$tmp/target.nc" > /dev/null 2>&1 && echo yes)
    [ "$dtree_ok" = yes ] && pass || fail "the old target no longer opens"
    # the next conversion of that target removes it
    "$DTREE" convert --quiet --force "$top_srcdir/examples/ocean.yaml" "$tmp/target.nc" ||
        fail "convert after the kill"
    [ "$(temps)" -eq 0 ] && pass || fail "the stale temporary file was not removed"
else
    fail "the conversion ended before it could be killed (make the source bigger)"
fi
finish
