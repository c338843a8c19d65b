#!/bin/sh
# tests/io/fault-inject.sh: no failed or killed write loses data, for every
# writer (netCDF-4, Zarr v2, Zarr v3, YAML) and for `dtree convert`.
#
# 1. tests/io/fault_write fails the N-th write / fsync / rename of a whole
#    conversion, for every N (or 200 points spread over it), once as ENOSPC
#    and once as EIO, with and without a previous target, over sources made
#    here and, when ../shared is beside the checkout, every netCDF-4 and
#    HDF5 fixture that reads: the previous target keeps its bytes, no
#    temporary file stays, a last clean run writes what a clean write does.
# 2. `dtree convert --force` killed with SIGKILL at random points (50 runs
#    per format): the target is then either the previous one (same digest)
#    or the complete new one (same manifest as a clean conversion), and the
#    next conversion removes the killed one's temporary files.
# A format without a writer in this build is reported and skipped.
. "${top_srcdir:-.}/tests/cli/lib.sh"
: "${MAKE_BIG:=${top_builddir:-.}/tests/io/make_big}"
: "${FAULT_WRITE:=${top_builddir:-.}/tests/io/fault_write}"
: "${KILL_RUNS:=50}"
shared=${DT_SHARED:-$top_srcdir/../shared}

# digest of a file or of a whole folder (names and bytes)
digest() {
    if [ -d "$1" ]; then
        (cd "$1" && find . -type f | LC_ALL=C sort | xargs -r sha256sum | sha256sum | cut -d' ' -f1)
    elif [ -e "$1" ]; then
        sha256sum "$1" | cut -d' ' -f1
    else
        echo absent
    fi
}
gone() { [ ! -e "/proc/$1" ] || grep -q '^[0-9]* (.*) [ZX]' "/proc/$1/stat" 2>/dev/null; }
temps() { find "$tmp" -maxdepth 1 -name "$1.tmp*" | wc -l; }

"$DTREE" convert --quiet "$top_srcdir/examples/ocean.yaml" "$tmp/ocean.nc" || fail "ocean.nc"
"$DTREE" convert --quiet "$top_srcdir/tests/io/data/inherit3.yaml" "$tmp/inherit3.nc" ||
    fail "inherit3.nc"
"$MAKE_BIG" "$tmp/big.nc" 8 || fail "make_big"
sources="$tmp/ocean.nc $tmp/inherit3.nc $tmp/big.nc"
[ -n "${FAULT_QUICK:-}" ] && shared=/nonexistent
if [ -d "$shared/fixtures" ]; then
    for d in netcdf-c netcdf4-python h5py xarray-netcdf h5netcdf; do
        for f in "$shared/fixtures/$d"/*.nc "$shared/fixtures/$d"/*.h5; do
            [ -f "$f" ] || continue
            # only files that read whole (the others are refused by design)
            "$DTREE" manifest "$f" > /dev/null 2>&1 && sources="$sources $f"
        done
    done
fi

formats=""
summary=""
for fmt in netcdf4 zarr2 zarr3 yaml; do
    case $fmt in netcdf4) ext=nc ;; yaml) ext=yaml ;; *) ext=zarr ;; esac
    nsrc=0 npoints=0 nruns=0 skipped=0
    for src in $sources; do
        "$FAULT_WRITE" "$fmt" "$src" "$tmp/fw.$ext" 200 > "$tmp/fw.out" 2>&1
        rc=$?
        if [ $rc -eq 77 ]; then
            skipped=1
            break
        fi
        if [ $rc -ne 0 ]; then
            # a file with a type the format cannot hold is no fault here
            if grep -q "cannot be written" "$tmp/fw.out"; then
                continue
            fi
            fail "$fmt from $src:"; sed 's/^/  /' "$tmp/fw.out"
            continue
        fi
        pass
        nsrc=$((nsrc + 1))
        npoints=$((npoints + $(sed -n 's/.* \([0-9]*\) points.*/\1/p' "$tmp/fw.out")))
        nruns=$((nruns + $(sed -n 's/.* \([0-9]*\) failed runs.*/\1/p' "$tmp/fw.out")))
    done
    if [ $skipped -eq 1 ]; then
        echo "$fmt: no writer in this build: skipped"
        continue
    fi
    formats="$formats $fmt"
    summary="$summary
$fmt: $nsrc sources, $npoints failure points, $nruns failed writes, all clean"
done
echo "fault injection:$summary"

# ---- SIGKILL at random points ----
"$MAKE_BIG" "$tmp/kill.nc" 24 || fail "make_big"
now_ms() { date +%s%3N; }
for fmt in $formats; do
    [ "$fmt" = yaml ] && continue   # the YAML writer holds no variable data to stream
    case $fmt in netcdf4) ext=nc ;; *) ext=zarr ;; esac
    t="$tmp/killed.$ext"
    "$DTREE" convert --quiet --force --recompress --format "$fmt" "$tmp/kill.nc" "$tmp/clean.$ext" ||
        { fail "clean $fmt conversion"; continue; }
    "$DTREE" manifest "$tmp/clean.$ext" | sed '/^ *-* *file:/d;/^ *kind:/d;/^writer:/d;/codecs/d' > "$tmp/want"
    rm -rf "$t"
    "$DTREE" convert --quiet --format "$fmt" "$top_srcdir/examples/ocean.yaml" "$t" ||
        { fail "previous $fmt target"; continue; }
    old=$(digest "$t")
    # how long one conversion takes (ms), with --recompress to make it last
    t0=$(now_ms)
    "$DTREE" convert --quiet --force --recompress --format "$fmt" "$tmp/kill.nc" "$tmp/time.$ext"
    dur=$(( $(now_ms) - t0 ))
    rm -rf "$tmp/time.$ext"
    olds=0 news=0 bad=0
    i=0
    while [ $i -lt "$KILL_RUNS" ]; do
        i=$((i + 1))
        # random delay in [0, 1.1 x duration]
        d=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % (dur * 11 / 10 + 1) ))
        "$DTREE" convert --quiet --force --recompress --format "$fmt" "$tmp/kill.nc" "$t" &
        pid=$!
        sleep "$(printf '%d.%03d' $((d / 1000)) $((d % 1000)))"
        kids=$(cat /proc/"$pid"/task/*/children 2>/dev/null)
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        # the worker dies with dtree (PR_SET_PDEATHSIG): wait until it is gone
        for k in $kids; do
            j=0
            while ! gone "$k" && [ $j -lt 500 ]; do
                sleep 0.01
                j=$((j + 1))
            done
        done
        now=$(digest "$t")
        if [ "$now" = "$old" ]; then
            olds=$((olds + 1))
        elif "$DTREE" manifest "$t" 2> /dev/null |
             sed '/^ *-* *file:/d;/^ *kind:/d;/^writer:/d;/codecs/d' | cmp -s - "$tmp/want"; then
            news=$((news + 1))
            # the next runs are killed against this (new) previous version
            old=$now
        else
            bad=$((bad + 1))
            fail "$fmt: SIGKILL after ${d} ms left a target that is neither the old nor the new one ($now, was $old)"; ls -la "$tmp" | sed "s/^/  /"
        fi
    done
    # the next conversion cleans what the killed ones left
    "$DTREE" convert --quiet --force --format "$fmt" "$top_srcdir/examples/ocean.yaml" "$t" ||
        fail "$fmt: conversion after the kills"
    left=$(temps "killed.$ext")
    [ "$left" -eq 0 ] && pass || fail "$fmt: $left temporary files left after the next conversion"
    [ $bad -eq 0 ] && pass
    echo "SIGKILL $fmt: $KILL_RUNS runs (one conversion ${dur} ms): $olds left the previous target, $news the complete new one, $bad damaged"
    rm -rf "$t" "$tmp/clean.$ext"
done
finish
