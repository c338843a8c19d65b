/* hdf5_filters.c: HDF5 filter names, and decoders for the registered
 * third-party filters HDF5 does not carry (zstd, blosc, lzf, bzip2), so that
 * no plugin path is needed. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <blosc.h>
#include <zstd.h>
#ifdef HAVE_LIBBZ2
#include <bzlib.h>
#endif

#include "hdf5_internal.h"

#define FILTER_BZIP2 307
#define FILTER_LZF 32000
#define FILTER_BLOSC 32001
#define FILTER_ZSTD 32015

/* A decoded chunk larger than this is refused: HDF5 chunks are at most 4 GiB
 * and the filters cannot see the tree's limits (they are process-wide). */
#define DECODE_MAX ((size_t)1 << 30)

static const struct {
    long id;
    const char *name;
} filter_names[] = {
    {H5Z_FILTER_DEFLATE, "zlib"},       {H5Z_FILTER_SHUFFLE, "shuffle"},
    {H5Z_FILTER_FLETCHER32, "fletcher32"}, {H5Z_FILTER_SZIP, "szip"},
    {H5Z_FILTER_NBIT, "nbit"},          {H5Z_FILTER_SCALEOFFSET, "scaleoffset"},
    {FILTER_BZIP2, "bzip2"},            {FILTER_LZF, "lzf"},
    {FILTER_BLOSC, "blosc"},            {32004, "lz4"},
    {FILTER_ZSTD, "zstd"},
};

void dt__h5_filter_name(char *buf, size_t size, long id)
{
    for (size_t i = 0; i < sizeof filter_names / sizeof *filter_names; i++) {
        if (filter_names[i].id == id) {
            snprintf(buf, size, "%s", filter_names[i].name);
            return;
        }
    }
    snprintf(buf, size, "filter%ld", id);
}

int dt__h5_add_codecs(dt_var *var, hid_t dcpl)
{
    int n = H5Pget_nfilters(dcpl);

    if (n < 0)
        return dt__h5_fail(DT_EFORMAT, NULL, NULL, "unreadable filter pipeline");
    for (int i = 0; i < n; i++) {
        unsigned flags = 0, config = 0;
        size_t nelm = 0;
        char name[64], codec[32];
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &nelm, NULL,
                                         sizeof name, name, &config);
        int rc;

        if (id < 0)
            return dt__h5_fail(DT_EFORMAT, NULL, NULL, "unreadable filter %d", i);
        dt__h5_filter_name(codec, sizeof codec, (long)id);
        rc = dt_var_add_codec(var, codec);
        if (rc < 0)
            return rc;
    }
    return DT_OK;
}

long dt__h5_missing_filter(hid_t dcpl)
{
    int n = H5Pget_nfilters(dcpl);

    for (int i = 0; i < n; i++) {
        unsigned flags = 0, config = 0, fconf = 0;
        size_t nelm = 0;
        char name[64];
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &nelm, NULL,
                                         sizeof name, name, &config);

        if (id < 0)
            continue;
        if (H5Zfilter_avail(id) > 0 && H5Zget_filter_info(id, &fconf) >= 0 &&
            (fconf & H5Z_FILTER_CONFIG_DECODE_ENABLED))
            continue;
        dt__h5_err_text(NULL, 0);
        return (long)id;
    }
    dt__h5_err_text(NULL, 0);
    return -1;
}

/* ---- decoders ---- */

/* The output of a filter must come from HDF5's allocator: HDF5 frees it. */
static void *out_alloc(size_t n)
{
    return H5allocate_memory(n ? n : 1, 0);
}

static int out_grow(void **p, size_t *cap)
{
    size_t want;
    void *q;

    if (*cap >= DECODE_MAX)
        return -1;
    want = *cap > DECODE_MAX / 2 ? DECODE_MAX : *cap * 2;
    q = H5resize_memory(*p, want);
    if (!q)
        return -1;
    *p = q;
    *cap = want;
    return 0;
}

/* Hand the decoded bytes to HDF5 in place of the chunk. */
static size_t filter_done(void **buf, size_t *buf_size, void *out, size_t cap,
                          size_t len)
{
    H5free_memory(*buf);
    *buf = out;
    *buf_size = cap;
    return len;
}

static size_t first_guess(size_t nbytes)
{
    size_t g = nbytes > DECODE_MAX / 4 ? DECODE_MAX : nbytes * 4;

    return g < 4096 ? 4096 : g;
}

static size_t zstd_filter(unsigned flags, size_t cd_nelmts,
                          const unsigned cd_values[], size_t nbytes,
                          size_t *buf_size, void **buf)
{
    ZSTD_DCtx *dc;
    unsigned long long fcs;
    size_t cap, r;
    void *out;
    ZSTD_inBuffer in = {*buf, nbytes, 0};
    ZSTD_outBuffer ob;

    (void)cd_nelmts;
    (void)cd_values;
    if (!(flags & H5Z_FLAG_REVERSE))
        return 0; /* decode only */
    fcs = ZSTD_getFrameContentSize(*buf, nbytes);
    if (fcs == ZSTD_CONTENTSIZE_ERROR)
        return 0;
    cap = fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs <= DECODE_MAX ? (size_t)fcs
                                                               : first_guess(nbytes);
    out = out_alloc(cap);
    dc = ZSTD_createDCtx();
    if (!out || !dc)
        goto fail;
    ob.dst = out;
    ob.size = cap;
    ob.pos = 0;
    for (;;) {
        r = ZSTD_decompressStream(dc, &ob, &in);
        if (ZSTD_isError(r))
            goto fail;
        if (r == 0 && in.pos == in.size)
            break;
        if (ob.pos == ob.size) {
            if (out_grow(&out, &cap) < 0)
                goto fail;
            ob.dst = out;
            ob.size = cap;
        } else if (in.pos == in.size) {
            goto fail; /* the frame ends early */
        }
    }
    ZSTD_freeDCtx(dc);
    return filter_done(buf, buf_size, out, cap, ob.pos);
fail:
    ZSTD_freeDCtx(dc);
    if (out)
        H5free_memory(out);
    return 0;
}

static size_t blosc_filter(unsigned flags, size_t cd_nelmts,
                           const unsigned cd_values[], size_t nbytes,
                           size_t *buf_size, void **buf)
{
    size_t dsize = 0;
    void *out;
    int n;

    (void)cd_nelmts;
    (void)cd_values;
    if (!(flags & H5Z_FLAG_REVERSE))
        return 0;
    /* validate checks the header against the buffer before we trust it */
    if (blosc_cbuffer_validate(*buf, nbytes, &dsize) < 0 || dsize > DECODE_MAX)
        return 0;
    out = out_alloc(dsize);
    if (!out)
        return 0;
    n = blosc_decompress_ctx(*buf, out, dsize, 1);
    if (n < 0 || (size_t)n != dsize) {
        H5free_memory(out);
        return 0;
    }
    return filter_done(buf, buf_size, out, dsize, dsize);
}

/* LZF (liblzf's format): a control byte below 32 starts a run of ctrl + 1
 * literal bytes; otherwise its top 3 bits are a length (7: plus the next
 * byte) and the rest with the next byte an offset back into the output.
 * Returns the output length, -1 when out is too small, -2 when damaged. */
long dt__h5_lzf_decode(const unsigned char *in, size_t n, unsigned char *out,
                       size_t cap)
{
    size_t ip = 0, op = 0;

    while (ip < n) {
        unsigned ctrl = in[ip++];

        if (ctrl < 32) {
            size_t len = ctrl + 1;

            if (cap - op < len)
                return -1;
            if (n - ip < len)
                return -2;
            memcpy(out + op, in + ip, len);
            op += len;
            ip += len;
        } else {
            size_t len = ctrl >> 5, back = (size_t)(ctrl & 0x1f) << 8;

            if (ip >= n)
                return -2;
            if (len == 7) {
                len += in[ip++];
                if (ip >= n)
                    return -2;
            }
            back += in[ip++];
            len += 2;
            if (back + 1 > op)
                return -2;
            if (cap - op < len)
                return -1;
            /* byte by byte: the reference may overlap what it writes */
            for (size_t k = 0; k < len; k++, op++)
                out[op] = out[op - back - 1];
        }
    }
    return (long)op;
}

static size_t lzf_filter(unsigned flags, size_t cd_nelmts,
                         const unsigned cd_values[], size_t nbytes,
                         size_t *buf_size, void **buf)
{
    /* h5py stores the chunk size in cd_values[2] */
    size_t cap = cd_nelmts >= 3 && cd_values[2] ? cd_values[2] : *buf_size;
    void *out;

    if (!(flags & H5Z_FLAG_REVERSE))
        return 0;
    if (cap == 0 || cap > DECODE_MAX)
        cap = first_guess(nbytes);
    out = out_alloc(cap);
    while (out) {
        long got = dt__h5_lzf_decode(*buf, nbytes, out, cap);

        if (got >= 0)
            return filter_done(buf, buf_size, out, cap, (size_t)got);
        if (got == -2 || out_grow(&out, &cap) < 0)
            break;
    }
    if (out)
        H5free_memory(out);
    return 0;
}

#ifdef HAVE_LIBBZ2
static size_t bzip2_filter(unsigned flags, size_t cd_nelmts,
                           const unsigned cd_values[], size_t nbytes,
                           size_t *buf_size, void **buf)
{
    bz_stream s;
    size_t cap = first_guess(nbytes);
    void *out;
    int r;

    (void)cd_nelmts;
    (void)cd_values;
    if (!(flags & H5Z_FLAG_REVERSE) || nbytes > UINT_MAX)
        return 0;
    out = out_alloc(cap);
    if (!out)
        return 0;
    memset(&s, 0, sizeof s);
    if (BZ2_bzDecompressInit(&s, 0, 0) != BZ_OK) {
        H5free_memory(out);
        return 0;
    }
    s.next_in = *buf;
    s.avail_in = (unsigned)nbytes;
    for (;;) {
        size_t done = ((size_t)s.total_out_hi32 << 32) | s.total_out_lo32;
        size_t room = cap - done;

        s.next_out = (char *)out + done;
        s.avail_out = room > UINT_MAX ? UINT_MAX : (unsigned)room;
        r = BZ2_bzDecompress(&s);
        if (r == BZ_STREAM_END)
            break;
        if (r != BZ_OK)
            goto fail;
        if (s.avail_out == 0) {
            if (out_grow(&out, &cap) < 0)
                goto fail;
        } else if (s.avail_in == 0) {
            goto fail; /* the stream ends early */
        }
    }
    BZ2_bzDecompressEnd(&s);
    return filter_done(buf, buf_size, out, cap,
                       ((size_t)s.total_out_hi32 << 32) | s.total_out_lo32);
fail:
    BZ2_bzDecompressEnd(&s);
    H5free_memory(out);
    return 0;
}
#endif

void dt__h5_filters_register(void)
{
    static const H5Z_class2_t classes[] = {
        {H5Z_CLASS_T_VERS, FILTER_ZSTD, 0, 1, "zstd (libdtree)", NULL, NULL,
         zstd_filter},
        {H5Z_CLASS_T_VERS, FILTER_BLOSC, 0, 1, "blosc (libdtree)", NULL, NULL,
         blosc_filter},
        {H5Z_CLASS_T_VERS, FILTER_LZF, 0, 1, "lzf (libdtree)", NULL, NULL,
         lzf_filter},
#ifdef HAVE_LIBBZ2
        {H5Z_CLASS_T_VERS, FILTER_BZIP2, 0, 1, "bzip2 (libdtree)", NULL, NULL,
         bzip2_filter},
#endif
    };

    for (size_t i = 0; i < sizeof classes / sizeof *classes; i++) {
        /* a failure leaves the filter unavailable: reads name it then */
        if (H5Zregister(&classes[i]) < 0)
            dt__h5_err_text(NULL, 0);
    }
}
