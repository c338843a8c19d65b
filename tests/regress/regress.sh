#!/bin/sh
# tests/regress/regress.sh: every input a fuzzer ever found a fault with
# (tests/regress/inputs/HARNESS/NAME, fuzz/README.md lists them) is run again
# through the same harness code (tests/regress/replay_HARNESS: the harness
# with an ordinary main), which must finish; HDF5 and YAML files also go
# through `dtree ls` and `dtree manifest`, which must succeed or fail with
# one clear line, never crash.
. "$top_srcdir/tests/cli/lib.sh"

dir="$top_srcdir/tests/regress/inputs"
n=0
for h in zarr_store zarr_v2 zarr_v3 codec shard yaml hdf5 select query; do
    [ -d "$dir/$h" ] || continue
    for f in "$dir/$h"/*; do
        [ -f "$f" ] || continue
        n=$((n + 1))
        expect_exit 0 "$top_builddir/tests/regress/replay_$h" "$f"
        case $h in
            hdf5|yaml)
                for cmd in ls manifest; do
                    "$DTREE" "$cmd" "$f" > "$tmp/out" 2> "$tmp/err"; rc=$?
                    if [ "$rc" -eq 0 ]; then
                        pass
                    elif [ "$rc" -eq 1 ] && [ -s "$tmp/err" ] &&
                         ! grep -qv '^dtree: ' "$tmp/err"; then
                        pass
                    else
                        fail "dtree $cmd $f: exit $rc"; head -5 "$tmp/err" | sed 's/^/  | /'
                    fi
                done ;;
        esac
    done
done
# Inputs on which libhdf5 itself runs away (allocating or spinning without
# end, or crashing): only through dtree, whose worker process contains it
# (a small DTREE_MEM_LIMIT and DTREE_CPU_LIMIT keep the test light).
if [ -d "$dir/libhdf5" ]; then
    for f in "$dir/libhdf5"/*; do
        [ -f "$f" ] || continue
        n=$((n + 1))
        for cmd in ls manifest; do
            # an ASan build sets no address-space limit (its shadow memory
            # needs terabytes): ASan's own RSS limit stands in for it
            DTREE_MEM_LIMIT=512M DTREE_CPU_LIMIT=3 \
            ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}hard_rss_limit_mb=1024" \
                "$DTREE" "$cmd" "$f" > "$tmp/out" 2> "$tmp/err"; rc=$?
            if [ "$rc" -le 1 ] && { [ "$rc" -eq 0 ] || grep -q '^dtree: ' "$tmp/err"; }; then
                pass
            else
                fail "dtree $cmd $f: exit $rc"; head -5 "$tmp/err" | sed 's/^/  | /'
            fi
        done
    done
fi
echo "$n regression inputs"
finish
