/* codec_zlib.c: numcodecs "zlib" (an RFC 1950 stream, what HDF5 deflate
 * writes) and "gzip" (RFC 1952 members; Zarr v3's core gzip codec). */
#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libdeflate.h>
#include <zlib.h>

#include "codec.h"

typedef struct zstate {
    int gzip;
    int level;
} zstate;

static int z_create(void **state, int gzip, const struct json_object *params,
                    const dt__codec_ctx *ctx)
{
    zstate *s;
    int64_t level = 1; /* numcodecs' default for both */
    int rc = dt__param_int(params, gzip ? "gzip" : "zlib", "level", -1, 9, &level, ctx);

    if (rc < 0)
        return rc;
    s = dt__calloc(1, sizeof *s);
    if (!s)
        return DT_ENOMEM;
    s->gzip = gzip;
    s->level = (int)level;
    *state = s;
    return DT_OK;
}

static int zlib_create(void **state, const struct json_object *params,
                       const dt__array_spec *spec, const dt__codec_ctx *ctx)
{
    (void)spec;
    return z_create(state, 0, params, ctx);
}

static int gzip_create(void **state, const struct json_object *params,
                       const dt__array_spec *spec, const dt__codec_ctx *ctx)
{
    (void)spec;
    return z_create(state, 1, params, ctx);
}

/* Grow out to hold more output: to expect + 1 when the size is known (one
 * byte more shows a stream that decodes to too much), else doubling up to
 * the limit + 1. */
static int grow(dt__bytes *out, size_t *cap, uint64_t expect, uint64_t max, size_t hint)
{
    uint64_t want;
    unsigned char *p;

    if (expect != DT__SIZE_UNKNOWN)
        want = expect + 1;
    else if (*cap == 0)
        want = hint < 4096 ? 4096 : hint;
    else
        want = (uint64_t)*cap * 2;
    if (expect == DT__SIZE_UNKNOWN && want > max + 1)
        want = max + 1;
    if (want > SIZE_MAX || want <= *cap)
        return DT_ELIMIT;
    p = dt__realloc(out->data, (size_t)want);
    if (!p)
        return DT_ENOMEM;
    out->data = p;
    *cap = (size_t)want;
    return DT_OK;
}

/* The usual case, a stream (one gzip member) that decodes to the size due,
 * with libdeflate (about twice zlib's speed); anything else (several gzip
 * members, a damaged or wrong-sized stream) is left to zlib, whose account
 * of it the error gives. */
static int fast_decode(const zstate *s, const dt__bytes *in, uint64_t expect, dt__bytes *out)
{
    struct libdeflate_decompressor *d;
    enum libdeflate_result r;
    size_t got = 0, used = 0;

    if (expect > SIZE_MAX || expect == 0)
        return DT_EUNSUPPORTED;
    d = libdeflate_alloc_decompressor();
    if (!d)
        return DT_ENOMEM;
    out->data = malloc((size_t)expect);
    if (!out->data) {
        libdeflate_free_decompressor(d);
        return DT_ENOMEM;
    }
    if (s->gzip)
        r = libdeflate_gzip_decompress_ex(d, in->data, in->len, out->data, (size_t)expect,
                                          &used, &got);
    else
        r = libdeflate_zlib_decompress(d, in->data, in->len, out->data, (size_t)expect,
                                       &got);
    libdeflate_free_decompressor(d);
    if (r == LIBDEFLATE_SUCCESS && got == expect && (!s->gzip || used == in->len)) {
        out->len = got;
        return DT_OK;
    }
    free(out->data);
    out->data = NULL;
    return DT_EFORMAT;
}

static int z_decode(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                    uint64_t expect, dt__bytes *out, const dt__codec_ctx *ctx)
{
    const zstate *s = state;
    const char *name = s->gzip ? "gzip" : "zlib";
    uint64_t max = ctx->max_alloc;
    size_t cap = 0, used = 0, fed = 0;
    z_stream zs;
    int zr, rc = DT_OK, ended = 0;

    (void)spec;
    out->data = NULL;
    out->len = 0;
    if (expect != DT__SIZE_UNKNOWN && expect > max)
        return dt__codec_fail(ctx, DT_ELIMIT, "%s output of %" PRIu64 " bytes is over the "
                              "limit of %" PRIu64, name, expect, max);
    if (s->gzip && (in->len < 2 || in->data[0] != 0x1f || in->data[1] != 0x8b))
        return dt__codec_fail(ctx, DT_EFORMAT, "not gzip data (no 1f 8b magic)%s",
                              in->len >= 1 && (in->data[0] & 0x0f) == 8
                                  ? "; it looks like a zlib stream, which the gzip codec "
                                    "does not take"
                                  : "");
    if (expect != DT__SIZE_UNKNOWN && fast_decode(s, in, expect, out) == DT_OK)
        return DT_OK;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, s->gzip ? 16 + MAX_WBITS : MAX_WBITS) != Z_OK)
        return DT_ENOMEM;
    for (;;) {
        if (used == cap) {
            rc = grow(out, &cap, expect, max, in->len * 4);
            if (rc == DT_ELIMIT) {
                rc = expect != DT__SIZE_UNKNOWN
                         ? dt__codec_fail(ctx, DT_EFORMAT, "the %s stream decodes to more "
                                          "than the %" PRIu64 " bytes due", name, expect)
                         : dt__codec_fail(ctx, DT_ELIMIT, "the %s stream decodes to more "
                                          "than the limit of %" PRIu64 " bytes", name, max);
            }
            if (rc < 0)
                break;
        }
        if (zs.avail_in == 0 && fed < in->len) {
            size_t n = in->len - fed < UINT_MAX ? in->len - fed : UINT_MAX;

            zs.next_in = in->data + fed;
            zs.avail_in = (uInt)n;
            fed += n;
        }
        {
            size_t room = cap - used < UINT_MAX ? cap - used : UINT_MAX;

            zs.next_out = out->data + used;
            zs.avail_out = (uInt)room;
            zr = inflate(&zs, Z_NO_FLUSH);
            used += room - zs.avail_out;
        }
        if (zr == Z_STREAM_END) {
            /* gzip: another member may follow (Python's gzip reads them all) */
            if (s->gzip && (zs.avail_in > 0 || fed < in->len)) {
                size_t at = fed - zs.avail_in;

                if (in->len - at >= 2 && in->data[at] == 0x1f && in->data[at + 1] == 0x8b) {
                    inflateReset(&zs);
                    continue;
                }
            }
            ended = 1;
            break;
        }
        if (zr == Z_OK)
            continue;
        if (zr == Z_BUF_ERROR && zs.avail_out == 0)
            continue;
        if (zr == Z_BUF_ERROR) {
            rc = dt__codec_fail(ctx, DT_EFORMAT, "the %s stream is truncated: %zu bytes "
                                "stored, %zu decoded before it stops", name, in->len, used);
            break;
        }
        if (zr == Z_MEM_ERROR) {
            rc = dt__fail(DT_ENOMEM, "out of memory in %s", name);
            break;
        }
        rc = dt__codec_fail(ctx, DT_EFORMAT, "not a valid %s stream: %s", name,
                            zs.msg ? zs.msg : "damaged data");
        break;
    }
    inflateEnd(&zs);
    if (rc == DT_OK && !ended)
        rc = dt__codec_fail(ctx, DT_EFORMAT, "the %s stream is truncated", name);
    if (rc == DT_OK && expect != DT__SIZE_UNKNOWN && used != expect)
        rc = dt__codec_fail(ctx, DT_EFORMAT, "the %s stream decodes to %zu bytes, %"
                            PRIu64 " are due", name, used, expect);
    if (rc < 0) {
        dt__bytes_free(out);
        return rc;
    }
    out->len = used;
    return DT_OK;
}

static int z_encode(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                    dt__bytes *out, const dt__codec_ctx *ctx)
{
    const zstate *s = state;
    z_stream zs;
    uLong bound;
    int zr, rc;

    (void)spec;
    if (in->len > UINT_MAX)
        return dt__codec_fail(ctx, DT_ELIMIT, "%zu bytes are too many for one %s stream",
                              in->len, s->gzip ? "gzip" : "zlib");
    memset(&zs, 0, sizeof zs);
    /* gzip: zlib's default header, modification time 0 (reproducible) */
    if (deflateInit2(&zs, s->level, Z_DEFLATED, s->gzip ? 16 + MAX_WBITS : MAX_WBITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return dt__fail(DT_ENOMEM, "cannot start a deflate stream");
    bound = deflateBound(&zs, (uLong)in->len) + 32;
    rc = dt__codec_alloc(out, bound, s->gzip ? "gzip" : "zlib", ctx);
    if (rc < 0) {
        deflateEnd(&zs);
        return rc;
    }
    zs.next_in = in->data;
    zs.avail_in = (uInt)in->len;
    zs.next_out = out->data;
    zs.avail_out = (uInt)bound;
    zr = deflate(&zs, Z_FINISH);
    out->len = bound - zs.avail_out;
    deflateEnd(&zs);
    if (zr != Z_STREAM_END) {
        dt__bytes_free(out);
        return dt__codec_fail(ctx, DT_ERROR, "deflate failed (%d)", zr);
    }
    return DT_OK;
}

static void z_destroy(void *state)
{
    free(state);
}

const dt__codec_class dt__codec_zlib = {
    "zlib", DT__CODEC_BYTES, zlib_create, NULL, NULL, z_decode, z_encode, z_destroy,
};

const dt__codec_class dt__codec_gzip = {
    "gzip", DT__CODEC_BYTES, gzip_create, NULL, NULL, z_decode, z_encode, z_destroy,
};
