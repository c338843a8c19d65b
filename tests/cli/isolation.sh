#!/bin/sh
# tests/cli/isolation.sh: a file that crashes HDF5 itself (a published CVE
# that Debian's HDF5 1.10.8 still has) makes dtree exit 1 with one line
# naming the file and the signal, from every command; never a signal.
. "${top_srcdir:-.}/tests/cli/lib.sh"
shared=${DT_SHARED:-$top_srcdir/../shared}
cve=$shared/fixtures/hdf5-cve
if [ ! -d "$cve" ]; then echo "SKIP: no shared fixtures at $shared"; exit 77; fi

bad=$cve/cve-2018-13867.h5
expect_exit 1 "$DTREE" manifest "$bad"
# the signal is SIGSEGV, or SIGABRT in a sanitizer build (ASan reports first)
expect_grep "cve-2018-13867.h5: the HDF5 library crashed reading this file (SIG" "$tmp/err"
if grep -q Sanitizer "$tmp/err"; then
    pass
else
    [ "$(wc -l < "$tmp/err")" -le 2 ] && pass || fail "more than the error line on stderr"
fi
# in-process (for debuggers) the crash is the process's own
DTREE_ISOLATE=0 "$DTREE" manifest "$bad" > /dev/null 2>&1
[ $? -gt 128 ] && pass || fail "DTREE_ISOLATE=0 did not run in-process"
# every command, every CVE file: never a signal or a hang; exit 0 or 1
# with a message on stderr (check and diff: 2 when a file cannot be read,
# as documented for them, like diff(1))
for f in "$cve"/*.h5; do
    b=$(basename "$f")
    v=$("$DTREE" query "$f" 'is(data)' 2> /dev/null | head -n 1)
    for cmd in ls manifest check query cat diff convert; do
        case $cmd in
            query) "$DTREE" query "$f" 'ndim > 0 or has(@units)' ;;
            cat) "$DTREE" cat "$f:${v:-/none}" ;;
            diff) "$DTREE" diff "$f" "$f" ;;
            convert) "$DTREE" convert --quiet --force "$f" "$tmp/out.nc" ;;
            *) "$DTREE" $cmd "$f" ;;
        esac > /dev/null 2> "$tmp/err"
        rc=$?
        case $cmd in check|diff) max=2 ;; *) max=1 ;; esac
        if [ $rc -gt $max ]; then
            fail "dtree $cmd $b exited $rc"; head -n 2 "$tmp/err" | sed 's/^/  /'
        elif [ $rc -ne 0 ] && [ ! -s "$tmp/err" ]; then
            fail "dtree $cmd $b exited $rc with no message"
        else
            pass
        fi
    done
done

finish
