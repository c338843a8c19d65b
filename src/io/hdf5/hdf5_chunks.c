/* hdf5_chunks.c: read chunked, filtered datasets by fetching their raw
 * chunks (H5Dread_chunk) under the HDF5 lock and decoding them on a thread
 * pool outside it, so decompression is not serialised by HDF5's lock. */
#include "config.h"

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <blosc.h>
#include <libdeflate.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>
#ifdef HAVE_LIBBZ2
#include <bzlib.h>
#endif

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "hdf5_internal.h"

#define FILTER_BZIP2 307
#define FILTER_LZF 32000
#define FILTER_BLOSC 32001
#define FILTER_ZSTD 32015

/* HDF5 stores no chunk of 4 GiB or more. */
#define CHUNK_MAX ((uint64_t)1 << 32)
/* fletcher32's checksum, appended to the chunk. */
#define FLETCHER_LEN 4

typedef struct stage {
    long id;
    size_t shuffle_size;    /* shuffle: the element size HDF5 recorded */
} stage;

struct dt__h5chunks {
    int rank;
    uint64_t chunk[H5S_MAX_RANK];
    size_t es;              /* element bytes, the same in file and memory */
    int swap;               /* the file's byte order is not the native one */
    size_t nbytes;          /* one decoded chunk */
    unsigned nstages;
    stage stages[H5Z_MAX_NFILTERS]; /* in encoding order */
    unsigned char *fill;    /* one element of the memory type */
};

/* ------------------------------------------------------------------------ */
/* Which datasets                                                           */

/* The file type is the memory type, or (*swap) that type in the other byte
 * order: then a chunk's bytes are the elements, after a swap at most. */
static int same_layout(hid_t ftype, hid_t mem, int *swap)
{
    H5T_class_t cls = H5Tget_class(mem);
    H5T_order_t order;
    hid_t flipped;
    htri_t eq;

    *swap = 0;
    if (H5Tget_size(ftype) != H5Tget_size(mem))
        return 0;
    eq = H5Tequal(ftype, mem);
    if (eq != 0)
        return eq > 0;
    if ((cls != H5T_INTEGER && cls != H5T_FLOAT && cls != H5T_BITFIELD) ||
        H5Tget_size(mem) < 2)
        return 0;
    order = H5Tget_order(mem);
    if (order != H5T_ORDER_LE && order != H5T_ORDER_BE)
        return 0;
    flipped = H5Tcopy(mem);
    if (flipped < 0)
        return 0;
    eq = H5Tset_order(flipped, order == H5T_ORDER_LE ? H5T_ORDER_BE : H5T_ORDER_LE) < 0
             ? -1 : H5Tequal(ftype, flipped);
    H5Tclose(flipped);
    *swap = eq > 0;
    return eq > 0;
}

static int is_compressor(long id)
{
    return id == H5Z_FILTER_DEFLATE || id == FILTER_ZSTD || id == FILTER_BLOSC ||
           id == FILTER_LZF
#ifdef HAVE_LIBBZ2
           || id == FILTER_BZIP2
#endif
        ;
}

void dt__h5_chunks_free(dt__h5chunks *c)
{
    if (!c)
        return;
    free(c->fill);
    free(c);
}

/* The pipeline, or 0 when a filter is not one we decode. At most one
 * compressor: every stage's output size is then known from the chunk's. */
static int read_stages(dt__h5chunks *c, hid_t dcpl, int nf)
{
    unsigned ncompress = 0;

    for (int i = 0; i < nf; i++) {
        unsigned flags = 0, config = 0, cd[8] = {0};
        size_t ncd = sizeof cd / sizeof *cd;
        char name[64];
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd,
                                         sizeof name, name, &config);
        stage *st = &c->stages[i];

        if (id < 0)
            return 0;
        st->id = (long)id;
        if (id == H5Z_FILTER_SHUFFLE) {
            /* HDF5's set_local records the element size in cd_values[0] */
            if (ncd < 1)
                return 0;
            st->shuffle_size = cd[0];
        } else if (is_compressor(st->id)) {
            ncompress++;
        } else if (id != H5Z_FILTER_FLETCHER32) {
            return 0; /* szip, nbit, scaleoffset, unknown: HDF5 decodes */
        }
    }
    c->nstages = (unsigned)nf;
    return ncompress <= 1;
}

int dt__h5_chunks_new(dt__h5chunks **out, hid_t did, hid_t mem)
{
    hid_t dcpl = H5I_INVALID_HID, ftype = H5I_INVALID_HID, space = H5I_INVALID_HID;
    hsize_t cdims[H5S_MAX_RANK];
    dt__h5chunks *c = NULL;
    unsigned opts = 0;
    uint64_t n;
    int rank, nf, swap = 0, rc = DT_OK;

    *out = NULL;
#if !H5_VERSION_GE(1, 10, 5)
    /* no H5Dget_chunk_info_by_coord to tell unwritten chunks from damage */
    (void)did, (void)mem;
    return DT_OK;
#endif
    /* elements that are pointers into HDF5's memory: H5Dread's business */
    if (mem < 0 || H5Tis_variable_str(mem) != 0 || H5Tdetect_class(mem, H5T_VLEN) != 0 ||
        H5Tdetect_class(mem, H5T_REFERENCE) != 0) {
        dt__h5_err_text(NULL, 0);
        return DT_OK;
    }
    dcpl = H5Dget_create_plist(did);
    if (dcpl < 0 || H5Pget_layout(dcpl) != H5D_CHUNKED)
        goto out;
    nf = H5Pget_nfilters(dcpl);
    /* unfiltered chunks gain nothing from decoding threads */
    if (nf <= 0 || nf > H5Z_MAX_NFILTERS)
        goto out;
    /* partial edge chunks stored unfiltered: their filter mask says nothing */
    if (H5Pget_chunk_opts(dcpl, &opts) < 0 ||
        (opts & H5D_CHUNK_DONT_FILTER_PARTIAL_CHUNKS))
        goto out;
    rank = H5Pget_chunk(dcpl, H5S_MAX_RANK, cdims);
    space = H5Dget_space(did);
    if (rank < 1 || space < 0 || H5Sget_simple_extent_ndims(space) != rank)
        goto out;
    ftype = H5Dget_type(did);
    if (ftype < 0 || !same_layout(ftype, mem, &swap))
        goto out;
    c = dt__calloc(1, sizeof *c);
    if (!c) {
        rc = DT_ENOMEM;
        goto out;
    }
    c->rank = rank;
    c->swap = swap;
    c->es = H5Tget_size(mem);
    n = c->es;
    for (int i = 0; i < rank; i++) {
        c->chunk[i] = cdims[i];
        if (cdims[i] == 0 || dt__mul_u64(&n, n, cdims[i]))
            n = UINT64_MAX;
    }
    if (n == 0 || n >= CHUNK_MAX || !read_stages(c, dcpl, nf))
        goto out;
    c->nbytes = (size_t)n;
    c->fill = dt__malloc(c->es);
    if (!c->fill) {
        rc = DT_ENOMEM;
        goto out;
    }
    /* unwritten chunks read as HDF5 would give them: the dataset's fill */
    if (H5Pget_fill_value(dcpl, mem, c->fill) < 0)
        memset(c->fill, 0, c->es);
    *out = c;
    c = NULL;
out:
    dt__h5_chunks_free(c);
    if (space >= 0)
        H5Sclose(space);
    if (ftype >= 0)
        H5Tclose(ftype);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    dt__h5_err_text(NULL, 0); /* a dataset we cannot judge: H5Dread reads it */
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Which chunks a selection touches                                         */

typedef struct axis {
    uint64_t start, stride, count; /* the selection on this axis */
    uint64_t chunk;         /* chunk length */
    uint64_t first;         /* first chunk touched */
    uint64_t nchunks;       /* chunks touched */
    int sparse;             /* stride >= chunk: one element per chunk */
    uint64_t ostride;       /* elements of the output per step on this axis */
    uint64_t cstride;       /* elements of a chunk per step */
} axis;

/* One chunk seen from one axis: its grid index, the selection's elements
 * k0 .. k0 + nk - 1 that it holds, the first at offset off inside it. */
typedef struct part {
    uint64_t idx, k0, nk, off;
} part;

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
    return a / b + (a % b != 0);
}

static void axis_part(const axis *a, uint64_t t, part *p)
{
    uint64_t lo, end;

    if (a->sparse) {
        uint64_t pos = a->start + t * a->stride;

        p->idx = pos / a->chunk;
        p->k0 = t;
        p->nk = 1;
        p->off = pos - p->idx * a->chunk;
        return;
    }
    p->idx = a->first + t;
    lo = p->idx * a->chunk;
    if (lo <= a->start) {
        p->k0 = 0;
        end = a->chunk - (a->start - lo);  /* past the chunk, from start */
    } else {
        p->k0 = ceil_div(lo - a->start, a->stride);
        if (dt__add_u64(&end, lo - a->start, a->chunk))
            end = UINT64_MAX;
    }
    end = ceil_div(end, a->stride);
    p->nk = (end < a->count ? end : a->count) - p->k0;
    p->off = a->start + p->k0 * a->stride - lo;
}

/* Chunk number g of the selection (C order of the touched grid). */
static void chunk_parts(const axis *ax, int rank, size_t g, part *p)
{
    for (int d = rank; d-- > 0;) {
        axis_part(&ax[d], g % ax[d].nchunks, &p[d]);
        g /= ax[d].nchunks;
    }
}

/* "chunk (3, 0)": how messages name a chunk. */
static void chunk_name(char *buf, size_t size, const part *p, int rank)
{
    size_t len = (size_t)snprintf(buf, size, "chunk (");

    for (int d = 0; d < rank && len < size; d++)
        len += (size_t)snprintf(buf + len, size - len, "%s%" PRIu64,
                                d ? ", " : "", p[d].idx);
    if (len < size)
        snprintf(buf + len, size - len, ")");
}

/* ------------------------------------------------------------------------ */
/* Decoding one chunk                                                       */

/* Fletcher-32 as HDF5 computes it (H5_checksum_fletcher32): over 16-bit
 * big-endian words, a trailing odd byte as the high half of a word. */
static uint32_t fletcher32(const unsigned char *data, size_t len)
{
    uint32_t sum1 = 0, sum2 = 0;
    size_t words = len / 2;

    while (words) {
        size_t n = words > 360 ? 360 : words;

        words -= n;
        do {
            sum1 += ((uint32_t)data[0] << 8) | data[1];
            data += 2;
            sum2 += sum1;
        } while (--n);
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    }
    if (len % 2) {
        sum1 += (uint32_t)data[0] << 8;
        sum2 += sum1;
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    }
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    return (sum2 << 16) | sum1;
}

static int check_fletcher(const char *where, const unsigned char *data, size_t len)
{
    const unsigned char *s = data + len - FLETCHER_LEN;
    uint32_t stored = (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 |
                      (uint32_t)s[3] << 24;
    uint32_t sum = fletcher32(data, len - FLETCHER_LEN);
    /* HDF5 before 1.6.3 stored the sum with the bytes of each half swapped
     * on little-endian machines; HDF5 still accepts those */
    uint32_t old = ((sum & 0x00ff00ffu) << 8) | ((sum >> 8) & 0x00ff00ffu);

    if (stored == sum || stored == old)
        return DT_OK;
    return dt__fail(DT_EFORMAT, "%s: fletcher32 checksum mismatch: the chunk "
                    "stores 0x%08" PRIx32 ", its data sums to 0x%08" PRIx32,
                    where, stored, sum);
}

#if defined(__SSE2__)
/* 16 elements of 2 or 4 bytes per step: the byte planes interleaved by the
 * unpack instructions; returns the elements done. */
static size_t unshuffle_sse2(unsigned char *out, const unsigned char *in, size_t n,
                             size_t size)
{
    size_t j = 0;

    if (size == 2) {
        for (; j + 16 <= n; j += 16) {
            __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(in + j));
            __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(in + n + j));

            _mm_storeu_si128((__m128i *)(void *)(out + 2 * j), _mm_unpacklo_epi8(a, b));
            _mm_storeu_si128((__m128i *)(void *)(out + 2 * j + 16), _mm_unpackhi_epi8(a, b));
        }
    } else if (size == 4) {
        for (; j + 16 <= n; j += 16) {
            __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(in + j));
            __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(in + n + j));
            __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(in + 2 * n + j));
            __m128i d = _mm_loadu_si128((const __m128i *)(const void *)(in + 3 * n + j));
            __m128i ab0 = _mm_unpacklo_epi8(a, b), ab1 = _mm_unpackhi_epi8(a, b);
            __m128i cd0 = _mm_unpacklo_epi8(c, d), cd1 = _mm_unpackhi_epi8(c, d);
            unsigned char *o = out + 4 * j;

            _mm_storeu_si128((__m128i *)(void *)o, _mm_unpacklo_epi16(ab0, cd0));
            _mm_storeu_si128((__m128i *)(void *)(o + 16), _mm_unpackhi_epi16(ab0, cd0));
            _mm_storeu_si128((__m128i *)(void *)(o + 32), _mm_unpacklo_epi16(ab1, cd1));
            _mm_storeu_si128((__m128i *)(void *)(o + 48), _mm_unpackhi_epi16(ab1, cd1));
        }
    }
    return j;
}
#endif

/* HDF5's shuffle undone: byte i of element j was stored at i * n + j;
 * bytes after the last whole element stay in place. */
static void unshuffle(unsigned char *out, const unsigned char *in, size_t len,
                      size_t size)
{
    size_t n = size > 1 ? len / size : 0, j = 0;

    if (n <= 1) {
        memcpy(out, in, len);
        return;
    }
#if defined(__SSE2__)
    j = unshuffle_sse2(out, in, n, size);
#endif
    for (size_t i = 0; i < size; i++) {
        const unsigned char *src = in + i * n;

        for (size_t k = j; k < n; k++)
            out[k * size + i] = src[k];
    }
    memcpy(out + n * size, in + n * size, len - n * size);
}

/* Each decoder writes exactly `want` bytes into out (which has room for
 * want + 1, so that a longer stream shows) or fails naming the chunk. */

static int inflate_zlib(const char *where, const unsigned char *in, size_t n,
                        unsigned char *out, size_t want)
{
    z_stream z;
    size_t in_left = n, out_left = want + 1, got;
    int r = Z_OK;

    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK)
        return dt__fail(DT_ENOMEM, "%s: cannot start zlib", where);
    z.next_in = (unsigned char *)(uintptr_t)in;
    z.next_out = out;
    while (r != Z_STREAM_END) {
        if (z.avail_in == 0 && in_left) {
            z.avail_in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
            in_left -= z.avail_in;
        }
        if (z.avail_out == 0 && out_left) {
            z.avail_out = out_left > UINT_MAX ? UINT_MAX : (uInt)out_left;
            out_left -= z.avail_out;
        }
        if (z.avail_out == 0)
            break; /* more than want + 1 bytes */
        r = inflate(&z, Z_NO_FLUSH);
        if (r == Z_BUF_ERROR && z.avail_in == 0 && in_left == 0) {
            got = want + 1 - out_left - z.avail_out;
            inflateEnd(&z);
            return dt__fail(DT_EFORMAT, "%s: the zlib stream ends early, after "
                            "%zu of %zu bytes", where, got, want);
        }
        if (r != Z_OK && r != Z_STREAM_END) {
            char msg[128];

            snprintf(msg, sizeof msg, "%s", z.msg ? z.msg : "error");
            inflateEnd(&z);
            return dt__fail(DT_EFORMAT, "%s: the zlib stream is damaged (%s)",
                            where, msg);
        }
    }
    got = want + 1 - out_left - z.avail_out;
    inflateEnd(&z);
    if (r != Z_STREAM_END || got > want)
        return dt__fail(DT_EFORMAT, "%s is %zu bytes, its zlib stream holds more",
                        where, want);
    if (got != want)
        return dt__fail(DT_EFORMAT, "%s is %zu bytes, its zlib stream holds %zu",
                        where, want, got);
    return DT_OK;
}

/* The same with room for exactly want bytes: libdeflate (about twice as
 * fast as zlib) decodes; a stream it refuses goes through zlib into a
 * buffer of its own, for zlib's account of what is wrong. */
static int inflate_chunk(const char *where, const unsigned char *in, size_t n,
                         unsigned char *out, size_t want,
                         struct libdeflate_decompressor *ld)
{
    unsigned char *tmp;
    size_t got = 0;
    int rc;

    if (ld && libdeflate_zlib_decompress(ld, in, n, out, want, &got) == LIBDEFLATE_SUCCESS &&
        got == want)
        return DT_OK;
    tmp = dt__malloc(want + 1);
    if (!tmp)
        return DT_ENOMEM;
    rc = inflate_zlib(where, in, n, tmp, want);
    if (rc == DT_OK) /* zlib took what libdeflate did not */
        memcpy(out, tmp, want);
    free(tmp);
    return rc;
}

static int zstd_chunk(const char *where, const unsigned char *in, size_t n,
                      unsigned char *out, size_t want, ZSTD_DCtx *dc)
{
    unsigned long long fcs = ZSTD_getFrameContentSize(in, n);
    size_t r;

    if (fcs == ZSTD_CONTENTSIZE_ERROR)
        return dt__fail(DT_EFORMAT, "%s: no zstd frame (%zu bytes)", where, n);
    /* one frame (the plugins write one) must declare the chunk's size */
    if (fcs != ZSTD_CONTENTSIZE_UNKNOWN &&
        (fcs > want || (fcs != want && ZSTD_findFrameCompressedSize(in, n) == n)))
        return dt__fail(DT_EFORMAT, "%s is %zu bytes, its zstd frame declares %llu",
                        where, want, fcs);
    r = ZSTD_decompressDCtx(dc, out, want, in, n);
    if (ZSTD_isError(r) && ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall)
        return dt__fail(DT_EFORMAT, "%s is %zu bytes, its zstd frames hold more",
                        where, want);
    if (ZSTD_isError(r))
        return dt__fail(DT_EFORMAT, "%s: the zstd frame is damaged (%s)", where,
                        ZSTD_getErrorName(r));
    if (r != want)
        return dt__fail(DT_EFORMAT, "%s is %zu bytes, its zstd frames hold %zu",
                        where, want, r);
    return DT_OK;
}

static int blosc_chunk(const char *where, const unsigned char *in, size_t n,
                       unsigned char *out, size_t want)
{
    size_t declared = 0;
    int got;

    /* validate checks the header against the buffer before it is used */
    if (blosc_cbuffer_validate(in, n, &declared) < 0)
        return dt__fail(DT_EFORMAT, "%s: the blosc header is damaged", where);
    if (declared != want)
        return dt__fail(DT_EFORMAT, "%s is %zu bytes, its blosc header declares %zu",
                        where, want, declared);
    got = blosc_decompress_ctx(in, out, want, 1);
    if (got < 0 || (size_t)got != want)
        return dt__fail(DT_EFORMAT, "%s: the blosc data is damaged", where);
    return DT_OK;
}

static int lzf_chunk(const char *where, const unsigned char *in, size_t n,
                     unsigned char *out, size_t want)
{
    long got = dt__h5_lzf_decode(in, n, out, want);

    if (got == -1)
        return dt__fail(DT_EFORMAT, "%s is %zu bytes, its lzf data holds more",
                        where, want);
    if (got < 0)
        return dt__fail(DT_EFORMAT, "%s: the lzf data is damaged", where);
    if ((size_t)got != want)
        return dt__fail(DT_EFORMAT, "%s is %zu bytes, its lzf data holds %ld",
                        where, want, got);
    return DT_OK;
}

#ifdef HAVE_LIBBZ2
static int bzip2_chunk(const char *where, const unsigned char *in, size_t n,
                       unsigned char *out, size_t want)
{
    unsigned got = want + 1 > UINT_MAX ? UINT_MAX : (unsigned)(want + 1);
    int r;

    if (n > UINT_MAX)
        return dt__fail(DT_EFORMAT, "%s: a bzip2 stream of %zu bytes is too long",
                        where, n);
    r = BZ2_bzBuffToBuffDecompress((char *)out, &got, (char *)(uintptr_t)in,
                                   (unsigned)n, 0, 0);
    if (r == BZ_OUTBUFF_FULL || (r == BZ_OK && got > want))
        return dt__fail(DT_EFORMAT, "%s is %zu bytes, its bzip2 stream holds more",
                        where, want);
    if (r == BZ_MEM_ERROR)
        return dt__fail(DT_ENOMEM, "%s: out of memory in bzip2", where);
    if (r != BZ_OK)
        return dt__fail(DT_EFORMAT, "%s: the bzip2 stream is damaged (code %d)",
                        where, r);
    if (got != want)
        return dt__fail(DT_EFORMAT, "%s is %zu bytes, its bzip2 stream holds %u",
                        where, want, got);
    return DT_OK;
}
#endif

static const char *stage_name(long id)
{
    switch (id) {
    case H5Z_FILTER_DEFLATE: return "zlib";
    case H5Z_FILTER_SHUFFLE: return "shuffle";
    case H5Z_FILTER_FLETCHER32: return "fletcher32";
    case FILTER_ZSTD: return "zstd";
    case FILTER_BLOSC: return "blosc";
    case FILTER_LZF: return "lzf";
    default: return "bzip2";
    }
}

/* What a decoding thread works with, reused from chunk to chunk (fresh
 * buffers cost as much in page faults as the decoding): two buffers,
 * allocated when first needed, and the decoders' state. */
typedef struct scratch {
    struct scratch *next;
    unsigned char *buf[2];
    ZSTD_DCtx *zstd;
    struct libdeflate_decompressor *deflate;
} scratch;

static void scratch_free(scratch *sc)
{
    free(sc->buf[0]);
    free(sc->buf[1]);
    ZSTD_freeDCtx(sc->zstd);
    if (sc->deflate)
        libdeflate_free_decompressor(sc->deflate);
    free(sc);
}

/* Undo the pipeline on the stored bytes raw, stages the mask does not mark
 * skipped, last first; *out: the chunk's nbytes, in raw, in a buffer of sc
 * (each of cap bytes, allocated on first use) or in dst. dst, when not
 * NULL, is where the chunk's nbytes belong: the last stage writes there
 * when its decoder takes a buffer of the exact size (deflate, zstd,
 * shuffle), sparing a copy and a scratch buffer. */
static int decode_chunk(const dt__h5chunks *c, const unsigned char *raw, size_t len,
                        uint32_t mask, scratch *sc, size_t cap, const char *where,
                        unsigned char *dst, const unsigned char **out)
{
    size_t size[H5Z_MAX_NFILTERS + 1]; /* size[k]: what decoding stage k
                                          yields; size[nstages]: the stored
                                          chunk; 0: unknown */
    const unsigned char *cur = raw;
    int rc = DT_OK, which = 0;
    unsigned final = c->nstages;  /* the stage that yields the chunk */

    *out = NULL;
    size[0] = c->nbytes;
    for (unsigned k = 0; k < c->nstages; k++) {
        long id = c->stages[k].id;

        if (mask & ((uint32_t)1 << k) || id == H5Z_FILTER_SHUFFLE)
            size[k + 1] = size[k];
        else if (id == H5Z_FILTER_FLETCHER32)
            size[k + 1] = size[k] ? size[k] + FLETCHER_LEN : 0;
        else
            size[k + 1] = 0;
    }
    for (unsigned k = c->nstages; k-- > 0;) {
        if (!(mask & ((uint32_t)1 << k)) && c->stages[k].id != H5Z_FILTER_FLETCHER32)
            final = k;
    }
    if (dst && final < c->nstages) {
        long id = c->stages[final].id;
        if (id != H5Z_FILTER_SHUFFLE && id != H5Z_FILTER_DEFLATE && id != FILTER_ZSTD)
            dst = NULL;
        /* a checksum taken before compression is decoded with the chunk and
         * checked after: the chunk plus 4 bytes do not fit in dst */
        for (unsigned k = 0; k < final; k++) {
            if (!(mask & ((uint32_t)1 << k)))
                dst = NULL;
        }
    }
    if (size[c->nstages] && len != size[c->nstages])
        return dt__fail(DT_EFORMAT, "%s is %zu bytes in the file, %zu expected",
                        where, len, size[c->nstages]);
    for (unsigned k = c->nstages; k-- > 0 && rc == DT_OK;) {
        const stage *st = &c->stages[k];
        unsigned char *next;
        size_t want = size[k];

        if (mask & ((uint32_t)1 << k))
            continue;
        if (st->id == H5Z_FILTER_FLETCHER32) {
            if (len < FLETCHER_LEN)
                return dt__fail(DT_EFORMAT, "%s is %zu bytes, too short for its "
                                "fletcher32 checksum", where, len);
            rc = check_fletcher(where, cur, len);
            len -= FLETCHER_LEN;
            continue;
        }
        /* want < cap: room to see a stream that holds more */
        assert(want < cap);
        if (k == final && dst) {
            next = dst;
        } else {
            if (!sc->buf[which]) {
                sc->buf[which] = dt__malloc(cap);
                if (!sc->buf[which])
                    return DT_ENOMEM;
            }
            next = sc->buf[which];
            which ^= 1;
        }
        switch (st->id) {
        case H5Z_FILTER_SHUFFLE:
            if (len != want)
                return dt__fail(DT_EFORMAT, "%s is %zu bytes before unshuffling, "
                                "%zu expected", where, len, want);
            unshuffle(next, cur, len, st->shuffle_size);
            break;
        case H5Z_FILTER_DEFLATE:
            if (!sc->deflate)
                sc->deflate = libdeflate_alloc_decompressor(); /* NULL: zlib */
            rc = inflate_chunk(where, cur, len, next, want, sc->deflate);
            break;
        case FILTER_ZSTD:
            if (!sc->zstd && !(sc->zstd = ZSTD_createDCtx()))
                return dt__fail(DT_ENOMEM, "%s: cannot start zstd", where);
            rc = zstd_chunk(where, cur, len, next, want, sc->zstd);
            break;
        case FILTER_BLOSC:
            rc = blosc_chunk(where, cur, len, next, want);
            break;
        case FILTER_LZF:
            rc = lzf_chunk(where, cur, len, next, want);
            break;
#ifdef HAVE_LIBBZ2
        case FILTER_BZIP2:
            rc = bzip2_chunk(where, cur, len, next, want);
            break;
#endif
        default:
            rc = dt__fail(DT_EUNSUPPORTED, "%s: no decoder for %s", where,
                          stage_name(st->id));
            break;
        }
        cur = next;
        len = want;
    }
    if (rc < 0)
        return rc;
    if (len != c->nbytes)
        return dt__fail(DT_EFORMAT, "%s is %zu bytes, it decodes to %zu", where,
                        c->nbytes, len);
    *out = cur;
    return DT_OK;
}

/* ------------------------------------------------------------------------ */
/* Copying the selected elements out                                        */

static void put_elem(unsigned char *dst, const unsigned char *src, size_t es,
                     int swap)
{
    if (!swap) {
        memcpy(dst, src, es);
        return;
    }
    for (size_t b = 0; b < es; b++)
        dst[b] = src[es - 1 - b];
}

/* One row of n elements, src step apart (in elements), to consecutive dst. */
static void put_row(unsigned char *dst, const unsigned char *src, uint64_t n,
                    uint64_t step, size_t es, int swap)
{
    if (step == 1 && !swap) {
        memcpy(dst, src, (size_t)n * es);
        return;
    }
    if (swap && es == 2) {
        for (uint64_t k = 0; k < n; k++, dst += 2, src += 2 * step) {
            dst[0] = src[1];
            dst[1] = src[0];
        }
        return;
    }
    if (swap && es == 4) {
        for (uint64_t k = 0; k < n; k++, dst += 4, src += 4 * step) {
            uint32_t v;

            memcpy(&v, src, 4);
            v = __builtin_bswap32(v);
            memcpy(dst, &v, 4);
        }
        return;
    }
    if (swap && es == 8) {
        for (uint64_t k = 0; k < n; k++, dst += 8, src += 8 * step) {
            uint64_t v;

            memcpy(&v, src, 8);
            v = __builtin_bswap64(v);
            memcpy(dst, &v, 8);
        }
        return;
    }
    for (uint64_t k = 0; k < n; k++, dst += es, src += es * step)
        put_elem(dst, src, es, swap);
}

/* The chunk's selected elements into the output; data NULL: the fill. */
static void copy_out(const dt__h5chunks *c, const axis *ax, const part *p,
                     const unsigned char *data, unsigned char *out)
{
    uint64_t j[H5S_MAX_RANK] = {0};
    int rank = c->rank, last = rank - 1;
    size_t es = c->es;

    for (;;) {
        uint64_t so = 0, oo = 0;

        for (int d = 0; d < rank; d++) {
            so += (p[d].off + j[d] * ax[d].stride) * ax[d].cstride;
            oo += (p[d].k0 + j[d]) * ax[d].ostride;
        }
        if (data) {
            put_row(out + oo * es, data + so * es, p[last].nk, ax[last].stride, es,
                    c->swap);
        } else {
            for (uint64_t k = 0; k < p[last].nk; k++)
                memcpy(out + (oo + k) * es, c->fill, es);
        }
        int d = last - 1;

        for (; d >= 0; d--) {
            if (++j[d] < p[d].nk)
                break;
            j[d] = 0;
        }
        if (d < 0)
            return;
    }
}

/* ------------------------------------------------------------------------ */
/* Fetching under the lock, decoding on the pool                            */

typedef struct slot {
    unsigned char *raw;     /* kept from batch to batch */
    size_t cap;
    size_t len;             /* 0: the chunk was never written */
    uint32_t mask;          /* stages skipped when it was written */
} slot;

typedef struct batch_ctx {
    const dt__h5chunks *c;
    const axis *ax;
    slot *slots;
    size_t base;            /* chunk number of slots[0] */
    uint64_t max_alloc;
    unsigned char *out;
    size_t cap;             /* bytes of a scratch buffer */
    pthread_mutex_t mu;     /* guards spare */
    scratch *spare;         /* scratch no thread is using */
} batch_ctx;

static scratch *scratch_get(batch_ctx *x)
{
    scratch *sc;

    pthread_mutex_lock(&x->mu);
    sc = x->spare;
    if (sc)
        x->spare = sc->next;
    pthread_mutex_unlock(&x->mu);
    return sc ? sc : dt__calloc(1, sizeof *sc);
}

static void scratch_put(batch_ctx *x, scratch *sc)
{
    pthread_mutex_lock(&x->mu);
    sc->next = x->spare;
    x->spare = sc;
    pthread_mutex_unlock(&x->mu);
}

/* Where the chunk's bytes go in the output, when they go there whole and
 * in their order: the chunk lies inside the selection (step 1, no edge cut
 * off) and the selection is as wide as the chunk on every axis but the
 * first. NULL otherwise. */
static unsigned char *in_place(const dt__h5chunks *c, const axis *ax, const part *p,
                               unsigned char *out)
{
    uint64_t oo = 0;

    if (c->swap)
        return NULL;
    for (int d = 0; d < c->rank; d++) {
        if (ax[d].stride != 1 || p[d].off != 0 || p[d].nk != c->chunk[d] ||
            ax[d].ostride != ax[d].cstride)
            return NULL;
        oo += p[d].k0 * ax[d].ostride;
    }
    return out + oo * c->es;
}

static int decode_job(void *ud, size_t i)
{
    batch_ctx *x = ud;
    const slot *sl = &x->slots[i];
    part p[H5S_MAX_RANK];
    const unsigned char *data = NULL;
    unsigned char *dst;
    scratch *sc;
    char where[768];
    int rc;

    chunk_parts(x->ax, x->c->rank, x->base + i, p);
    if (sl->len == 0) {
        copy_out(x->c, x->ax, p, NULL, x->out);
        return DT_OK;
    }
    sc = scratch_get(x);
    if (!sc)
        return DT_ENOMEM;
    chunk_name(where, sizeof where, p, x->c->rank);
    dst = in_place(x->c, x->ax, p, x->out);
    rc = decode_chunk(x->c, sl->raw, sl->len, sl->mask, sc, x->cap, where, dst, &data);
    if (rc == DT_OK && data != dst)
        copy_out(x->c, x->ax, p, data, x->out);
    scratch_put(x, sc);
    return rc;
}

#if defined(H5Dread_chunk_vers) && H5Dread_chunk_vers >= 2
#define read_raw(did, off, mask, buf, len) \
    H5Dread_chunk2((did), H5P_DEFAULT, (off), (mask), (buf), &(len))
#else
#define read_raw(did, off, mask, buf, len) \
    H5Dread_chunk((did), H5P_DEFAULT, (off), (mask), (buf))
#endif

/* Chunks base .. base + n - 1 into slots: n lowered when their stored
 * bytes together pass max_alloc. */
typedef struct fetch_ctx {
    const batch_ctx *x;     /* the selection, the limits */
    slot *slots;
    size_t base, n;
    hid_t did;
    hsize_t fsize;          /* of the file; 0: unknown */
} fetch_ctx;

#if H5_VERSION_GE(1, 10, 5)
int dt__h5_chunk_locate(hid_t did, const hsize_t *off, unsigned *mask, haddr_t *addr,
                        hsize_t *size, const char *where)
{
    hsize_t read_size = 0;

    *addr = HADDR_UNDEF;
    *size = 0;
    if (H5Dget_chunk_info_by_coord(did, off, mask, addr, size) < 0)
        return DT_EIO;
    if (*addr == HADDR_UNDEF || *size == 0)
        return DT_OK;
    /* the size H5Dread_chunk goes by */
    if (H5Dget_chunk_storage_size(did, off, &read_size) < 0)
        return DT_EIO;
    if (read_size != *size)
        return dt__fail(DT_EFORMAT, "%s: the chunk index gives it %" PRIu64 " and %" PRIu64
                        " bytes: the file is damaged", where, (uint64_t)*size,
                        (uint64_t)read_size);
    return DT_OK;
}
#endif

static int fetch_locked(fetch_ctx *fc)
{
    const batch_ctx *x = fc->x;
    const dt__h5chunks *c = x->c;
    hid_t did = fc->did;
    uint64_t total = 0;

    for (size_t i = 0; i < fc->n; i++) {
        part p[H5S_MAX_RANK];
        hsize_t off[H5S_MAX_RANK], stored = 0;
        haddr_t addr = HADDR_UNDEF;
        unsigned mask = 0;
        char where[768];
        slot *sl = &fc->slots[i];
        size_t len;

        sl->len = 0;
        sl->mask = 0;
        chunk_parts(x->ax, c->rank, fc->base + i, p);
        for (int d = 0; d < c->rank; d++)
            off[d] = p[d].idx * c->chunk[d];
        chunk_name(where, sizeof where, p, c->rank);
#if H5_VERSION_GE(1, 10, 5)
        /* H5Dget_chunk_storage_size fails on a chunk never written */
        int rc = dt__h5_chunk_locate(did, off, &mask, &addr, &stored, where);

        if (rc < 0 && rc != DT_EIO)
            return rc;
        if (rc < 0)
#else
        if (H5Dget_chunk_storage_size(did, off, &stored) < 0) /* not reached */
#endif
            return dt__h5_fail(DT_EIO, NULL, NULL, "%s: cannot find it in the file",
                               where);
        if (addr == HADDR_UNDEF || stored == 0)
            continue; /* never written: the fill value */
        if (i > 0 && total + stored > x->max_alloc) {
            fc->n = i; /* the rest in the next batch */
            break;
        }
        if (fc->fsize && stored > fc->fsize)
            return dt__fail(DT_EFORMAT, "%s is %" PRIu64 " bytes, the file has %"
                            PRIu64, where, (uint64_t)stored, (uint64_t)fc->fsize);
        /* a buffer kept from an earlier batch serves unless much larger:
         * what is held stays within twice the limit */
        if (sl->cap < stored || sl->cap / 2 > stored) {
            free(sl->raw);
            sl->cap = 0;
            sl->raw = dt__malloc_limited(stored, x->max_alloc, "a stored chunk");
            if (!sl->raw)
                return dt_error_last()->code;
            sl->cap = (size_t)stored;
        }
        len = (size_t)stored;
        if (read_raw(did, off, &sl->mask, sl->raw, len) < 0)
            return dt__h5_fail(DT_EIO, NULL, NULL, "%s: cannot read it", where);
        sl->len = len;
        total += stored;
    }
    return DT_OK;
}

/* The stored bytes of the chunks, under the HDF5 lock. */
static int fetch(void *ud)
{
    fetch_ctx *fc = ud;
    int rc;

    dt__h5_lock();
    rc = fetch_locked(fc);
    dt__h5_unlock();
    return rc;
}

int dt__h5_chunks_read(const dt__h5chunks *c, dt__h5file *f, hid_t did,
                       const uint64_t *start, const uint64_t *stride,
                       const uint64_t *count, const uint64_t *dims, void *buf)
{
    axis ax[H5S_MAX_RANK];
    uint64_t nchunks = 1, os = 1, cs = 1;
    batch_ctx x;
    fetch_ctx next;
    slot *slots;
    hsize_t fsize = 0;
    dt__pool *pool;
    size_t total, per_batch;
    int rc = DT_OK;

    for (int d = c->rank; d-- > 0;) {
        axis *a = &ax[d];
        uint64_t last = start[d] + (count[d] - 1) * stride[d];

        a->start = start[d];
        a->stride = stride[d];
        a->count = count[d];
        a->chunk = c->chunk[d];
        a->sparse = a->stride >= a->chunk;
        a->first = a->start / a->chunk;
        a->nchunks = a->sparse ? a->count : last / a->chunk - a->first + 1;
        a->ostride = os;
        a->cstride = cs;
        os *= dims[d];      /* within the caller's buffer */
        cs *= a->chunk;     /* within a chunk of nbytes */
        if (dt__mul_u64(&nchunks, nchunks, a->nchunks))
            nchunks = UINT64_MAX;
    }
    if (dt__u64_to_size(&total, nchunks) < 0)
        return dt__fail(DT_ELIMIT, "the selection touches %s chunks",
                        nchunks == UINT64_MAX ? "more than 2^64" : "too many");
    if (c->nbytes > f->limits.max_alloc)
        return dt__fail(DT_ELIMIT, "a chunk of %zu bytes is over the limit of %"
                        PRIu64, c->nbytes, f->limits.max_alloc);

    dt__h5_lock();
    if (!f->pool && f->threads != 1) {
        if (dt__pool_new(&f->pool, f->threads) < 0)
            dt_error_clear(); /* no threads to spare: decode on this one */
        if (!f->pool)
            f->threads = 1;
    }
    pool = f->pool;
    if (H5Fget_filesize(f->fid, &fsize) < 0)
        fsize = 0;
    dt__h5_err_text(NULL, 0);
    dt__h5_unlock();

    /* chunks in flight: enough to keep every thread busy, few enough that a
     * large selection is not decoded all at once; the next batch is read
     * while this one is decoded */
    per_batch = 2 * (size_t)dt__pool_threads(pool);
    memset(&x, 0, sizeof x);
    x.c = c;
    x.ax = ax;
    x.max_alloc = f->limits.max_alloc;
    x.out = buf;
    /* the largest stage output (fletcher32 adds 4 bytes each), plus one */
    x.cap = c->nbytes + FLETCHER_LEN * c->nstages + 1;
    pthread_mutex_init(&x.mu, NULL);
    slots = dt__calloc(2 * per_batch, sizeof *slots);
    if (!slots)
        rc = DT_ENOMEM;
    next.x = &x;
    next.did = did;
    next.fsize = fsize;
    next.slots = slots;
    next.base = 0;
    next.n = total < per_batch ? total : per_batch;
    if (rc == DT_OK)
        rc = fetch(&next);
    while (rc == DT_OK && next.n > 0) {
        size_t n = next.n;

        x.slots = next.slots;
        x.base = next.base;
        next.slots = slots + (next.slots == slots ? per_batch : 0);
        next.base += n;
        next.n = total - next.base < per_batch ? total - next.base : per_batch;
        rc = dt__pool_run_with(pool, n, decode_job, &x, next.n ? fetch : NULL, &next);
    }
    for (size_t i = 0; slots && i < 2 * per_batch; i++)
        free(slots[i].raw);
    free(slots);
    while (x.spare) {
        scratch *sc = x.spare;

        x.spare = sc->next;
        scratch_free(sc);
    }
    pthread_mutex_destroy(&x.mu);
    return rc;
}
