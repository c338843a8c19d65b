#!/bin/sh
# tests/io/fixtures-hdf5.sh: every HDF5/netCDF-4 fixture written by a
# third-party client reads as its manifest says (dtree manifest compared with
# manifest-diff), and every broken file gets a clear error. New files dropped
# into these folders are tested with no code change.
. "${top_srcdir:-.}/tests/io/fixtures-lib.sh"
score_folders hdf5 netcdf-c netcdf4-python h5py xarray-netcdf h5netcdf broken
