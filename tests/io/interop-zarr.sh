#!/bin/sh
# tests/io/interop-zarr.sh: Zarr stores written by libdtree read as the same
# tree by third-party clients, and netCDF-4 -> Zarr -> netCDF-4 lossless.
# Every fixture that reads ok under netcdf-c, netcdf4-python, h5py,
# xarray-netcdf, h5netcdf, zarr-python, xarray-zarr, nczarr and zarrita is
#  1. converted to Zarr v2, dumped with interop-dump (zarr-python), and to
#     Zarr v3, dumped with interop-dump (zarrita); each compared with the
#     fixture's manifest entry;
#  2. converted back from each store to netCDF-4, dumped with interop-dump
#     --client netcdf4 (netCDF4-python over netCDF-C) and compared too;
#  3. for the netCDF-4 fixtures: `dtree manifest` of the file that went
#     through Zarr and back equals that of the source (codecs aside).
# Differences listed in EXPECTED below (reasons in doc/interop-zarr.md) are
# allowed; anything else fails. Skipped (77) when the fixtures or the
# clients are absent.
set -u
shared=${DT_SHARED:-${top_srcdir:-.}/../shared}
tools=$shared/tools
py=${PYTHON:-/usr/bin/python3}
if [ ! -x "$tools/interop-dump" ] || [ ! -d "$shared/fixtures" ]; then
    echo "SKIP: no shared fixtures and tools at $shared"; exit 77
fi
if ! "$py" -c 'import netCDF4, zarr, numcodecs, yaml' 2>/dev/null; then
    echo "SKIP: netCDF4-python, zarr-python 2, numcodecs and python3-yaml are needed"
    echo "      (run $tools/install-interop-deps as root)"
    exit 77
fi
cache=${XDG_CACHE_HOME:-$HOME/.cache}/libdtree-interop
if ! command -v node > /dev/null || [ ! -d "$cache/node_modules/zarrita" ]; then
    echo "SKIP: node and zarrita are needed (run $tools/install-interop-deps)"
    exit 77
fi
: "${DTREE:?DTREE must name the dtree program}"
shared=$(cd "$shared" && pwd)
tools=$shared/tools
tmp=${DT_TMPDIR:-/tmp}/interop-zarr.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

# ROUTE FILE LINE: a manifest-diff line that is expected, with the section
# of doc/interop-zarr.md that says why. ROUTE is v2 (zarr-python on our v2
# store), v3 (zarrita on our v3 store), nc (netCDF-C on the netCDF-4 file
# made back from a store), self (dtree manifest of the round trip) or any;
# FILE a shell pattern over FOLDER/NAME; LINE a grep -E pattern for the
# whole line.
EXPECTED='
v2|v3 * [^:]+: kind: expected [a-z0-9]+, got zarr[23]
nc */*.zarr [^:]+: kind: expected zarr[23], got netcdf4
nc|self h5py/* [^:]+: kind: expected hdf5, got netcdf4
v2|v3 * .*: attrs\.[^:]+: expected \{type: [a-z0-9()]+, value: (.*)\}, got \{type: json, value: \1\}
v2|v3 * .*: attrs\.[^:]+: expected \{type: (float32|float64|char), value: .*\}, got \{type: json, value: .*\}
v2|v3 * .*: attrs\.[^:]+: expected \{shape: \[[0-9, ]+\], type: [a-z0-9]+, value: (.*)\}, got \{type: json, value: \1\}
nc */*.zarr .*: attrs\.[^:]+: expected \{type: json, value: .*\}, got \{type: [a-z0-9]+, value: .*\}
v2|v3 * /[^:]*: dims\.[^:]+: expected \{size: ([0-9]+), unlimited: true\}, got \1
v3 * /[^:]*: dims\.[^:]+: expected nothing, got [0-9]+
v3 * /[^:]*: dims\.[^:]+: expected ([0-9]+|\{size: [0-9]+, unlimited: true\}), got nothing
nc * /[^:]*: dims\.[^:]+: expected 0, got \{size: 0, unlimited: true\}
v2|v3 * /[^:]*: chunks: expected null, got \[[0-9, ]*\]
nc */*.zarr /[^:]*: chunks: expected \[[0-9, ]*\], got null
v2|nc zarrita/sharded.zarr /[^:]*: chunks: expected \[[0-9, ]+\], got \[[0-9, ]+\]
v2|nc zarrita/sharded.zarr /[^:]*: inner_chunks: expected \[[0-9, ]+\], got nothing
v2|v3 * /[^:]*: dtype: expected char, got bytes1
v2|v3 * /[^:]*: dtype: expected enum\((u?int[0-9]+)\), got \1
v2|v3 * /[^:]*: enum: expected \{.*\}, got nothing
v3 * /[^:]*: fill_value: expected -?[0-9]{16,}, got -?[0-9]{16,}
v3 * .*: attrs\.[^:]+: expected \{type: json, value: .*\.(nan|inf).*\}, got \{type: json, value: .*(NaN|Infinity).*\}
v2|v3 */*.nc /[^:]*: chunks: expected \[[0-9, ]+\], got \[[0-9, ]+\]
v3 * /[^:]*: fill_value: expected null, got (0|0\.0|false|..)
v3 * /[^:]*: dtype: expected (char|bytes[0-9]+|unicode[0-9]+), got unknown
v3 * /[^:]*: expect: expected nothing, got error
v3 * /[^:]*: error: expected nothing, got \[/[^,]*, dataType\.match is not a function\]
v3 * /[^:]*: error: expected nothing, got \[/[^,]*, .Unknown or unsupported dataType: (complex64|complex128|float16).\]
v3 * /[^:]*: error: expected nothing, got \[/[^,]*, Input contains an empty iterator\.\]
v3 * /[^:]*: (sha256|head): expected .*, got nothing
v3 * /[^:]*: fill_value: expected .*, got [A-Za-z0-9+/]+=*
nc */*.zarr /[^:]*: fill_value: expected (null|..), got .*
nc */*.zarr /[^:]*: expected variable, got nothing
nc */*.zarr /(f2|float16): (dtype|sha256|head): expected .*, got .*
nc zarr-python/dtypes.zarr /bytes5: (dtype|sha256|head|fill_value): expected .*, got .*
any netcdf-c/types.nc /v_(compound|vlen): expected variable, got nothing
nc|self h5py/shapes.h5 /: attrs\.array_2d_attr: expected \{shape: \[2, 3\], .*
nc h5py/strings.h5 /fixed_(ascii|utf8): (dtype|sha256|head): expected .*, got .*
'

# Stores from these fixtures netCDF-C 4.9.0 (NCZarr) cannot open, with the
# reason (doc/interop-zarr.md): it crashes (SIGSEGV) on char and string
# arrays, refuses zero-length dimensions ("Invalid dimension size") and the
# non-ASCII or nested attributes of zarr-python/tree.zarr.
NCDUMP_KNOWN='
netcdf-c/classic.nc char
netcdf-c/types.nc char
netcdf-c/unlimited.nc zero-length
h5py/shapes.h5 zero-length
h5py/strings.h5 string
xarray-netcdf/cf_groups.nc string
xarray-netcdf/h5engine.nc string
h5netcdf/groups.nc string
zarr-python/dtypes.zarr zero-length
zarr-python/tree.zarr attributes
zarrita/tree.zarr string
zarrita/types.zarr string
'

expected() { # ROUTE FILEKEY LINE -> 0 when allowed
    printf '%s\n' "$EXPECTED" | while read -r route key pat; do
        [ -n "$route" ] || continue
        case "|$route|" in *"|$1|"*|"|any|") ;; *) continue ;; esac
        # shellcheck disable=SC2254
        case $2 in $key) ;; *) continue ;; esac
        if printf '%s\n' "$3" | grep -Eqx -e "$pat"; then echo yes; break; fi
    done | grep -q yes
}

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# dump FILE NAME CLIENT OUT: a manifest of FILE with its entry named NAME
dump() {
    if [ "$3" = dtree ]; then
        "$DTREE" manifest "$1" > "$4.raw" 2> "$tmp/err"
    elif [ -n "$3" ]; then
        "$tools/interop-dump" --client "$3" "$1" > "$4.raw" 2> "$tmp/err"
    else
        "$tools/interop-dump" "$1" > "$4.raw" 2> "$tmp/err"
    fi
    sed "s|^  - file: .*|  - file: \"$2\"|" "$4.raw" > "$4"
}

# compare ROUTE FOLDER NAME EXPECTED.yaml ACTUAL.yaml -> counts
compare() {
    "$py" "$tools/manifest-diff" "$4" "$5" --file "$3" > "$tmp/diff" 2>&1
    if [ $? -eq 0 ]; then
        eval "same_$1=\$((same_$1 + 1))"
        return
    fi
    [ -s "$tmp/diff" ] || echo "(no manifest printed: $(head -c 300 "$tmp/err"))" > "$tmp/diff"
    bad=0
    while IFS= read -r line; do
        if ! expected "$1" "$2/$3" "$line"; then
            bad=1
            echo "  $2/$3 ($1): $line"
        fi
    done < "$tmp/diff"
    if [ "$bad" -eq 0 ]; then
        eval "documented_$1=\$((documented_$1 + 1))"
    else
        fail "$2/$3: $1 reads a different tree"
    fi
}

total=0 total_nc=0 total_self=0 total_ncdump=0 ncdump_ok=0 ncdump_known=0
for r in v2 v3 nc self; do eval "same_$r=0 documented_$r=0"; done
for folder in netcdf-c netcdf4-python h5py xarray-netcdf h5netcdf zarr-python xarray-zarr \
              nczarr zarrita; do
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
        total=$((total + 1))
        base=$tmp/$folder/$name
        for v in 2 3; do
            out=$base.v$v.zarr
            if ! "$DTREE" convert --quiet --skip-unsupported --format zarr$v "$dir/$name" \
                    "$out" 2> "$tmp/err"; then
                fail "$folder/$name: dtree convert to Zarr v$v failed: $(cat "$tmp/err")"
                continue
            fi
            dump "$out" "$name" "" "$tmp/dump.yaml"
            compare v$v "$folder" "$name" "$dir/manifest.yaml" "$tmp/dump.yaml"
            # netCDF-C opens our v2 stores as NCZarr (the header: it has no
            # codec plugins here to read compressed data)
            if [ "$v" = 2 ] && command -v ncdump > /dev/null; then
                total_ncdump=$((total_ncdump + 1))
                # (a crash is reported by the inner shell, into err)
                if sh -c 'ncdump -h "$1"' sh "file://$out#mode=nczarr,file" > /dev/null \
                        2> "$tmp/err"; then
                    ncdump_ok=$((ncdump_ok + 1))
                elif printf '%s\n' "$NCDUMP_KNOWN" | grep -q "^$folder/$name "; then
                    ncdump_known=$((ncdump_known + 1))
                else
                    fail "$folder/$name: ncdump -h cannot open the v2 store: $(head -c 300 "$tmp/err")"
                fi
            fi
            # back to netCDF-4, read by netCDF-C
            total_nc=$((total_nc + 1))
            # netCDF-C here has no zstd or blosc plugin: stores made from
            # Zarr fixtures go back deflated (codecs are not compared)
            recode=
            case $name in *.zarr) recode="--deflate 4" ;; esac
            # shellcheck disable=SC2086
            if ! "$DTREE" convert --quiet --skip-unsupported $recode "$out" "$base.v$v.nc" \
                    2> "$tmp/err"; then
                fail "$folder/$name: dtree convert from Zarr v$v to netCDF-4 failed: " \
                    "$(cat "$tmp/err")"
                continue
            fi
            dump "$base.v$v.nc" "$name" netcdf4 "$tmp/dump.yaml"
            compare nc "$folder" "$name" "$dir/manifest.yaml" "$tmp/dump.yaml"
            # netCDF-4 -> Zarr -> netCDF-4 is lossless
            case $name in *.zarr) continue ;; esac
            total_self=$((total_self + 1))
            dump "$dir/$name" "$name" dtree "$tmp/src.yaml"
            dump "$base.v$v.nc" "$name" dtree "$tmp/dump.yaml"
            compare self "$folder" "$name" "$tmp/src.yaml" "$tmp/dump.yaml"
        done
    done
done
[ "$total" -gt 0 ] || fail "no fixture that reads ok was found under $shared/fixtures"
for r in v2 v3; do
    eval "s=\$same_$r d=\$documented_$r"
    echo "to Zarr $r: $s/$total identical, $((s + d))/$total identical but for documented differences"
done
echo "v2 stores netCDF-C opens (ncdump -h, mode=nczarr): $ncdump_ok/$total_ncdump," \
    "$ncdump_known known failures"
echo "back to netCDF-4 (netCDF-C): $same_nc/$total_nc identical," \
    "$((same_nc + documented_nc))/$total_nc but for documented differences"
echo "netCDF-4 -> Zarr -> netCDF-4 (dtree manifest): $same_self/$total_self identical," \
    "$((same_self + documented_self))/$total_self but for documented differences"
[ "$failures" -eq 0 ] || { echo "$failures failures"; exit 1; }
exit 0
