#!/usr/bin/python3
"""xarray_worker.py: the xarray side of B8, one conversion per process.

  xarray_worker.py to-zarr SRC.nc DST.zarr GROUP...   netCDF-4 -> Zarr v2
  xarray_worker.py to-nc SRC.zarr DST.nc GROUP...     and back

xarray (Debian 12's, without DataTree) converts a group at a time: each
group's dataset opened from the source and appended to the target as a
group (open_dataset(group=) + to_zarr(group=, mode="a"), open_zarr(group=)
+ to_netcdf(group=, mode="a")); the root's attributes go first. Prints
`convert_s=...` (the whole conversion, after the imports)."""

import sys
import time

import xarray as xr


def main():
    op, src, dst = sys.argv[1:4]
    groups = sys.argv[4:]
    t0 = time.perf_counter()
    if op == "to-zarr":
        with xr.open_dataset(src, engine="netcdf4") as root:
            root.to_zarr(dst, mode="w", consolidated=False)
        for g in groups:
            with xr.open_dataset(src, engine="netcdf4", group=g) as ds:
                ds.to_zarr(dst, group=g, mode="a", consolidated=False)
    elif op == "to-nc":
        with xr.open_zarr(src, consolidated=False) as root:
            root.to_netcdf(dst, mode="w", format="NETCDF4")
        for g in groups:
            with xr.open_zarr(src, group=g, consolidated=False) as ds:
                ds.to_netcdf(dst, group=g, mode="a", format="NETCDF4")
    else:
        sys.exit("xarray_worker: unknown operation " + op)
    print("convert_s=%.6f" % (time.perf_counter() - t0))


if __name__ == "__main__":
    main()
