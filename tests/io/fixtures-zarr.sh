#!/bin/sh
# tests/io/fixtures-zarr.sh: every Zarr v2 and v3 store written by a
# third-party client (zarr-python, xarray, netCDF-C, zarrita) reads as its
# manifest says (dtree manifest compared with manifest-diff), and every
# damaged store gets a clear error, in bounded time. New stores dropped into
# these folders are tested with no code change. Skipped (77) when the shared
# fixtures are not beside the checkout (a release tarball).
set -u
shared=${DT_SHARED:-${top_srcdir:-.}/../shared}
score=$shared/tools/fixture-score
if [ ! -x "$score" ] || [ ! -d "$shared/fixtures" ]; then
    echo "SKIP: no shared fixtures at $shared"; exit 77
fi
if ! /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
    echo "SKIP: python3-yaml is needed by manifest-diff"; exit 77
fi
folders=""
for f in zarr-python xarray-zarr nczarr zarrita broken-zarr; do
    [ -d "$shared/fixtures/$f" ] && folders="$folders $shared/fixtures/$f"
done
out=${DT_TMPDIR:-/tmp}/fixtures-zarr.$$
# shellcheck disable=SC2086
/usr/bin/python3 "$score" --dtree "${DTREE:?}" --timeout 60 -v $folders > "$out" 2>&1
rc=$?
cat "$out"
total=$(sed -n 's/^total *\([0-9]*\)\/\([0-9]*\).*/\1 \2/p' "$out")
rm -f "$out"
set -- $total
[ $# -eq 2 ] || { echo "fixture-score printed no total"; exit 1; }
echo "$1 passed, $(($2 - $1)) failed"
exit $rc
