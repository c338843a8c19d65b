#!/bin/sh
# tests/io/fixtures-hdf5.sh: every HDF5/netCDF-4 fixture written by a
# third-party client reads as its manifest says (dtree manifest compared with
# manifest-diff), and every broken file gets a clear error. New files dropped
# into these folders are tested with no code change. Skipped (77) when the
# shared fixtures are not beside the checkout (a release tarball).
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
for f in netcdf-c netcdf4-python h5py xarray-netcdf h5netcdf broken; do
    [ -d "$shared/fixtures/$f" ] && folders="$folders $shared/fixtures/$f"
done
out=${DT_TMPDIR:-/tmp}/fixtures-hdf5.$$
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
