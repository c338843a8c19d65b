#!/bin/sh
# tests/io/fixtures-zarr.sh: every Zarr v2 and v3 store written by a
# third-party client (zarr-python, xarray, netCDF-C, zarrita) reads as its
# manifest says (dtree manifest compared with manifest-diff), and every
# damaged store gets a clear error, in bounded time. New stores dropped into
# these folders are tested with no code change.
. "${top_srcdir:-.}/tests/io/fixtures-lib.sh"
score_folders zarr zarr-python xarray-zarr nczarr zarrita broken-zarr
