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
# every command, every CVE file: exit 0, 1 or 2, never a signal
for f in "$cve"/*.h5; do
    for cmd in ls manifest check; do
        "$DTREE" $cmd "$f" > /dev/null 2>&1
        rc=$?
        if [ $rc -le 2 ]; then pass; else fail "dtree $cmd $(basename "$f") exited $rc"; fi
    done
done

finish
