/* TEMPORARY build stub of the lead (not committed): replaced by the real reader. */
#include "config.h"
#include "io/io.h"
#include "util.h"
int dt__hdf5_open(dt_tree **out, const char *path, const dt_open_opts *opts)
{
    (void)opts;
    *out = NULL;
    return dt__fail_at(DT_EUNSUPPORTED, path, NULL, "HDF5 reader not built");
}
