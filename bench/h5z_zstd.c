/* h5z_zstd.c: an HDF5 filter plugin for zstd (filter 32015), so that h5py
 * and the HDF5 tools can write and read the benches' zstd data. Debian 12
 * ships no zstd plugin (its python3-hdf5plugin carries no filters), so this
 * does what the HDF5Plugin-Zstandard plugin that pip's hdf5plugin embeds
 * does: one ZSTD_compress frame per chunk at level cd_values[0], one
 * ZSTD_decompress per chunk into a buffer of the frame's declared size.
 * Built by `make bench` as bench/h5plugin/libh5zstd.so; load it with
 * HDF5_PLUGIN_PATH. libdtree does not use it: it decodes zstd itself. */
#include <stdlib.h>

#include <hdf5.h>
#include <H5PLextern.h>
#include <zstd.h>

#define FILTER_ZSTD 32015

static size_t zstd_filter(unsigned flags, size_t cd_nelmts, const unsigned cd_values[],
                          size_t nbytes, size_t *buf_size, void **buf)
{
    void *out = NULL;
    size_t n;

    if (flags & H5Z_FLAG_REVERSE) {
        unsigned long long size = ZSTD_getFrameContentSize(*buf, nbytes);

        if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
            size > ((size_t)-1) / 2)
            return 0;
        out = malloc(size ? (size_t)size : 1);
        if (!out)
            return 0;
        n = ZSTD_decompress(out, (size_t)size, *buf, nbytes);
    } else {
        int level = cd_nelmts > 0 ? (int)cd_values[0] : ZSTD_CLEVEL_DEFAULT;
        size_t bound = ZSTD_compressBound(nbytes);

        out = malloc(bound);
        if (!out)
            return 0;
        n = ZSTD_compress(out, bound, *buf, nbytes, level);
    }
    if (ZSTD_isError(n)) {
        free(out);
        return 0;
    }
    free(*buf);
    *buf = out;
    *buf_size = n;
    return n;
}

static const H5Z_class2_t zstd_class = {
    H5Z_CLASS_T_VERS, (H5Z_filter_t)FILTER_ZSTD, 1, 1, "zstd (libdtree bench plugin)",
    NULL, NULL, zstd_filter,
};

H5PL_type_t H5PLget_plugin_type(void)
{
    return H5PL_TYPE_FILTER;
}

const void *H5PLget_plugin_info(void)
{
    return &zstd_class;
}
