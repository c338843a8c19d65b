#!/bin/sh
# tests/io/interop-netcdf.sh: netCDF-4 files written by libdtree read as the
# same tree with third-party clients. Every fixture that reads ok under
# netcdf-c, netcdf4-python, h5py, xarray-netcdf and h5netcdf is converted
# with `dtree convert` (keeping its file name), dumped with interop-dump
# --client netcdf4 (netCDF4-python over netCDF-C) and --client h5py, and
# compared with the fixture's manifest entry; ncdump -h must open every
# written file. Differences listed in EXPECTED below (reasons in
# doc/interop-netcdf.md) are allowed; anything else fails. Then a tree with
# three levels of inherited coordinates is written and each group opened
# with xarray. Skipped (77) when the fixtures or the clients are absent.
set -u
shared=${DT_SHARED:-${top_srcdir:-.}/../shared}
tools=$shared/tools
py=${PYTHON:-/usr/bin/python3}
if [ ! -x "$tools/interop-dump" ] || [ ! -d "$shared/fixtures" ]; then
    echo "SKIP: no shared fixtures and tools at $shared"; exit 77
fi
if ! "$py" -c 'import netCDF4, h5py, yaml, xarray' 2>/dev/null || ! command -v ncdump > /dev/null; then
    echo "SKIP: netCDF4-python, h5py, xarray, python3-yaml and ncdump are needed"
    echo "      (run $tools/install-interop-deps as root)"
    exit 77
fi
: "${DTREE:?DTREE must name the dtree program}"
# absolute paths: the checks run from the temporary directory
shared=$(cd "$shared" && pwd)
tools=$shared/tools
srcdir=$(cd "${top_srcdir:-.}" && pwd)
tmp=${DT_TMPDIR:-/tmp}/interop-netcdf.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
# the clients' modules must not be shadowed by folders named like them
cd "$tmp" || exit 1

# FOLDER/FILE CLIENT LINE: a manifest-diff line that is expected, with the
# section of doc/interop-netcdf.md that says why. CLIENT is netcdf4, h5py
# or any; LINE is a grep -E pattern for the whole line.
EXPECTED='
h5py/* any [a-z_-]+\.h5: kind: expected hdf5, got netcdf4
netcdf-c/types.nc any /v_compound: expected variable, got nothing
netcdf-c/types.nc any /v_vlen: expected variable, got nothing
netcdf-c/types.nc h5py /v_opaque: expected variable, got nothing
h5py/shapes.h5 any /: attrs\.array_2d_attr: expected \{shape: \[2, 3\], .*
h5py/shapes.h5 netcdf4 /: dims\.phony_dim_[0-9]+: expected 0, got \{size: 0, unlimited: true\}
h5py/strings.h5 netcdf4 manifest-diff: .*: not a dtree-manifest/1 document
h5py/strings.h5 netcdf4 /fixed_(ascii|utf8): (dtype|sha256|head): expected .*, got .*
'
# h5py/strings.h5: netCDF-C 4.9.0 crashes (SIGSEGV) reading fixed-length
# string data, in the original file as in ours: the dump prints nothing;
# when it does not crash it reads them as FORMAT.md says (dtype string, the
# first element's text only), in the original file as in ours.

expected() { # FILEKEY CLIENT LINE -> 0 when allowed
    printf '%s\n' "$EXPECTED" | while read -r key client pat; do
        [ -n "$key" ] || continue
        # shellcheck disable=SC2254
        case $1 in $key) ;; *) continue ;; esac
        [ "$client" = any ] || [ "$client" = "$2" ] || continue
        if printf '%s\n' "$3" | grep -Eq "^($pat)\$"; then echo yes; break; fi
    done | grep -q yes
}

failures=0
checks=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { checks=$((checks + 1)); }

total=0
for c in netcdf4 h5py; do eval "same_$c=0 documented_$c=0"; done
for folder in netcdf-c netcdf4-python h5py xarray-netcdf h5netcdf; do
    dir=$shared/fixtures/$folder
    [ -f "$dir/manifest.yaml" ] || continue
    files=$("$py" -c '
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
for e in doc["files"]:
    if e.get("expect") == "ok":
        print(e["file"])' "$dir/manifest.yaml")
    mkdir -p "$tmp/$folder"
    for name in $files; do
        out=$tmp/$folder/$name
        total=$((total + 1))
        if ! "$DTREE" convert --quiet --skip-unsupported "$dir/$name" "$out" 2> "$tmp/err"; then
            fail "$folder/$name: dtree convert failed: $(cat "$tmp/err")"
            continue
        fi
        pass
        if ncdump -h "$out" > /dev/null 2> "$tmp/err"; then
            pass
        else
            fail "$folder/$name: ncdump -h cannot open the written file: $(head -3 "$tmp/err")"
        fi
        for client in netcdf4 h5py; do
            "$tools/interop-dump" --client "$client" "$out" > "$tmp/dump.yaml" 2> "$tmp/err"
            "$py" "$tools/manifest-diff" "$dir/manifest.yaml" "$tmp/dump.yaml" \
                --file "$name" > "$tmp/diff" 2>&1
            rc=$?
            if [ "$rc" -eq 0 ]; then
                eval "same_$client=\$((same_$client + 1))"
                pass
                continue
            fi
            [ -s "$tmp/diff" ] || echo "(the $client client printed no manifest)" > "$tmp/diff"
            bad=0
            while IFS= read -r line; do
                if ! expected "$folder/$name" "$client" "$line"; then
                    bad=1
                    echo "  $folder/$name ($client): $line"
                fi
            done < "$tmp/diff"
            if [ "$bad" -eq 0 ]; then
                eval "documented_$client=\$((documented_$client + 1))"
                pass
            else
                fail "$folder/$name: the $client client reads a different tree"
            fi
        done
    done
done
[ "$total" -gt 0 ] || fail "no fixture that reads ok was found under $shared/fixtures"

# The chunks libdtree encodes itself (worker threads: shuffle, deflate)
# read by netCDF-C: the netCDF fixtures again with --recompress --deflate 5
# --shuffle. Only the layout may differ: variables that were contiguous are
# chunked now (filters need chunks), with netCDF-C's default shapes.
recoded=0 recoded_ok=0
for folder in netcdf-c netcdf4-python; do
    dir=$shared/fixtures/$folder
    [ -f "$dir/manifest.yaml" ] || continue
    mkdir -p "$tmp/recode-$folder"
    for f in "$tmp/$folder"/*.nc; do
        [ -f "$f" ] || continue
        name=$(basename "$f")
        out=$tmp/recode-$folder/$name
        recoded=$((recoded + 1))
        if ! "$DTREE" convert --quiet --skip-unsupported --recompress --deflate 5 --shuffle \
                "$dir/$name" "$out" 2> "$tmp/err"; then
            fail "$folder/$name: dtree convert --deflate 5 --shuffle failed: $(cat "$tmp/err")"
            continue
        fi
        "$tools/interop-dump" --client netcdf4 "$out" > "$tmp/dump.yaml" 2> "$tmp/err"
        "$py" "$tools/manifest-diff" "$dir/manifest.yaml" "$tmp/dump.yaml" \
            --file "$name" > "$tmp/diff" 2>&1
        bad=0
        while IFS= read -r line; do
            case $line in
            *": chunks: expected null, got ["*) continue ;;
            esac
            if ! expected "$folder/$name" netcdf4 "$line"; then
                bad=1
                echo "  recoded $folder/$name: $line"
            fi
        done < "$tmp/diff"
        if [ "$bad" -eq 0 ]; then recoded_ok=$((recoded_ok + 1)); pass; else
            fail "$folder/$name: netCDF-C reads our deflate+shuffle chunks differently"; fi
    done
done
echo "recoded with libdtree's encoder, read by netCDF-C: $recoded_ok/$recoded"
for client in netcdf4 h5py; do
    eval "s=\$same_$client d=\$documented_$client"
    echo "interop $client: $s/$total identical, $((s + d))/$total identical but for documented differences"
done

# Three levels of inherited coordinates: each group, opened alone by
# xarray, has every dimension its variables use with the right size.
src=$srcdir/tests/io/data/inherit3.yaml
if "$DTREE" convert --quiet "$src" "$tmp/inherit3.nc" 2> "$tmp/err"; then
    pass
    for engine in netcdf4 h5netcdf; do
        mod=$engine; [ "$engine" = netcdf4 ] && mod=netCDF4
        "$py" -c "import $mod" 2>/dev/null || { echo "($engine engine absent: not checked)"; continue; }
        if "$py" - "$tmp/inherit3.nc" "$engine" > "$tmp/xr" 2>&1 <<'EOF'
import sys
import xarray as xr
want = {
    "/": {"time": 4},
    "/a": {"time": 4, "lat": 3},
    "/a/b": {"time": 4, "lat": 3, "depth": 2},
    "/a/b/c": {"time": 4, "lat": 3, "depth": 2, "x": 5},
}
bad = 0
for g, sizes in want.items():
    with xr.open_dataset(sys.argv[1], group=g, engine=sys.argv[2]) as ds:
        got = dict(ds.sizes)
        if got != sizes:
            print("%s: sizes %s, expected %s" % (g, got, sizes))
            bad = 1
with xr.open_dataset(sys.argv[1], group="/a/b/c", engine=sys.argv[2]) as ds:
    if ds["t_c"].dims != ("time", "lat", "depth", "x") or int(ds["t_c"][3, 2, 1, 4]) != 119:
        print("/a/b/c/t_c: dims %s" % (ds["t_c"].dims,))
        bad = 1
sys.exit(bad)
EOF
        then
            pass
        else
            fail "inherit3.nc with xarray ($engine): $(cat "$tmp/xr")"
        fi
    done
else
    fail "inherit3.yaml: dtree convert failed: $(cat "$tmp/err")"
fi

echo "$checks passed, $failures failed"
[ "$failures" -eq 0 ]
