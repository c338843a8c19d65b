/* codec_zstd.c: "zstd": one or more Zstandard frames (RFC 8878). Frames
 * that declare their content size are checked against it before anything
 * is allocated; frames without it are streamed up to the limit. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <zstd.h>

#include "codec.h"

typedef struct zstd_state {
    int level;
    int checksum;
} zstd_state;

static int zstd_create(void **state, const struct json_object *params,
                       const dt__array_spec *spec, const dt__codec_ctx *ctx)
{
    zstd_state *s;
    int64_t level = 0, checksum = 0;
    int rc;

    (void)spec;
    rc = dt__param_int(params, "zstd", "level", ZSTD_minCLevel(), ZSTD_maxCLevel(), &level,
                       ctx);
    if (rc == DT_OK)
        rc = dt__param_int(params, "zstd", "checksum", 0, 1, &checksum, ctx);
    if (rc < 0)
        return rc;
    s = dt__calloc(1, sizeof *s);
    if (!s)
        return DT_ENOMEM;
    s->level = (int)level;
    s->checksum = (int)checksum;
    *state = s;
    return DT_OK;
}

/* Frames without a content size: decode as a stream into a buffer that
 * grows up to expect (+1, to see an overlong one) or the limit. */
static int zstd_stream(const dt__bytes *in, uint64_t expect, dt__bytes *out,
                       const dt__codec_ctx *ctx)
{
    uint64_t max = expect != DT__SIZE_UNKNOWN ? expect + 1 : ctx->max_alloc + 1;
    ZSTD_DStream *ds = ZSTD_createDStream();
    ZSTD_inBuffer ib = {in->data, in->len, 0};
    size_t cap = 0, r = 1;
    int rc = DT_OK;

    if (!ds)
        return dt__fail(DT_ENOMEM, "cannot start a zstd stream");
    ZSTD_initDStream(ds);
    out->len = 0;
    while (ib.pos < ib.size || r != 0) {
        ZSTD_outBuffer ob;

        if (out->len == cap) {
            uint64_t want = cap ? (uint64_t)cap * 2 : (in->len * 4 > 4096 ? in->len * 4 : 4096);
            unsigned char *p;

            if (want > max)
                want = max;
            if (want <= cap) {
                rc = expect != DT__SIZE_UNKNOWN
                         ? dt__codec_fail(ctx, DT_EFORMAT, "the zstd data decodes to more "
                                          "than the %" PRIu64 " bytes due", expect)
                         : dt__codec_fail(ctx, DT_ELIMIT, "the zstd data decodes to more "
                                          "than the limit of %" PRIu64 " bytes",
                                          ctx->max_alloc);
                break;
            }
            p = dt__realloc(out->data, (size_t)want);
            if (!p) {
                rc = DT_ENOMEM;
                break;
            }
            out->data = p;
            cap = (size_t)want;
        }
        ob.dst = out->data;
        ob.size = cap;
        ob.pos = out->len;
        r = ZSTD_decompressStream(ds, &ob, &ib);
        out->len = ob.pos;
        if (ZSTD_isError(r)) {
            rc = dt__codec_fail(ctx, DT_EFORMAT, "not a valid zstd frame: %s",
                                ZSTD_getErrorName(r));
            break;
        }
        if (ib.pos == ib.size && r != 0 && ob.pos < ob.size) {
            rc = dt__codec_fail(ctx, DT_EFORMAT, "the zstd frame is truncated: %zu bytes "
                                "stored", in->len);
            break;
        }
    }
    ZSTD_freeDStream(ds);
    return rc;
}

static int zstd_decode(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                       uint64_t expect, dt__bytes *out, const dt__codec_ctx *ctx)
{
    unsigned long long declared;
    size_t r;
    int rc;

    (void)state;
    (void)spec;
    out->data = NULL;
    out->len = 0;
    /* numcodecs writes one frame with its content size: checked before
     * allocating; several frames, or one without a size, are streamed */
    declared = ZSTD_getFrameContentSize(in->data, in->len);
    if (declared == ZSTD_CONTENTSIZE_ERROR)
        return dt__codec_fail(ctx, DT_EFORMAT, "not a valid zstd frame (%zu bytes)", in->len);
    if (declared == ZSTD_CONTENTSIZE_UNKNOWN ||
        ZSTD_findFrameCompressedSize(in->data, in->len) != in->len) {
        rc = zstd_stream(in, expect, out, ctx);
    } else {
        if (expect != DT__SIZE_UNKNOWN && declared != expect)
            return dt__codec_fail(ctx, DT_EFORMAT, "its zstd frame declares %llu bytes, %"
                                  PRIu64 " are due", declared, expect);
        rc = dt__codec_alloc(out, declared, "zstd", ctx);
        if (rc < 0)
            return rc;
        r = ZSTD_decompress(out->data, out->len, in->data, in->len);
        if (ZSTD_isError(r))
            rc = dt__codec_fail(ctx, DT_EFORMAT, "the zstd frame is damaged: %s",
                                ZSTD_getErrorName(r));
        else if (r != declared)
            rc = dt__codec_fail(ctx, DT_EFORMAT, "the zstd frame declares %llu bytes and "
                                "decodes to %zu", declared, r);
    }
    if (rc == DT_OK && expect != DT__SIZE_UNKNOWN && out->len != expect)
        rc = dt__codec_fail(ctx, DT_EFORMAT, "the zstd data decodes to %zu bytes, %" PRIu64
                            " are due", out->len, expect);
    if (rc < 0)
        dt__bytes_free(out);
    return rc;
}

int dt__zstd_decode_into(const dt__bytes *in, void *dst, size_t n, const dt__codec_ctx *ctx)
{
    unsigned long long declared = ZSTD_getFrameContentSize(in->data, in->len);
    size_t r;

    /* one frame declaring exactly n bytes; anything else takes the
     * checked path of zstd_decode */
    if (declared == ZSTD_CONTENTSIZE_ERROR || declared == ZSTD_CONTENTSIZE_UNKNOWN ||
        declared != n || ZSTD_findFrameCompressedSize(in->data, in->len) != in->len)
        return DT__INTO_NO;
    r = ZSTD_decompress(dst, n, in->data, in->len);
    if (ZSTD_isError(r))
        return dt__codec_fail(ctx, DT_EFORMAT, "the zstd frame is damaged: %s",
                              ZSTD_getErrorName(r));
    if (r != n)
        return dt__codec_fail(ctx, DT_EFORMAT, "the zstd frame declares %llu bytes and "
                              "decodes to %zu", declared, r);
    return DT_OK;
}

static int zstd_encode(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                       dt__bytes *out, const dt__codec_ctx *ctx)
{
    const zstd_state *s = state;
    ZSTD_CCtx *cc;
    size_t r;
    int rc;

    (void)spec;
    rc = dt__codec_alloc(out, ZSTD_compressBound(in->len), "zstd", ctx);
    if (rc < 0)
        return rc;
    cc = ZSTD_createCCtx();
    if (!cc) {
        dt__bytes_free(out);
        return dt__fail(DT_ENOMEM, "cannot start a zstd frame");
    }
    /* the content size goes into the frame: HDF5's zstd filter needs it */
    ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, s->level);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, s->checksum);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 1);
    r = ZSTD_compress2(cc, out->data, out->len, in->data, in->len);
    ZSTD_freeCCtx(cc);
    if (ZSTD_isError(r)) {
        dt__bytes_free(out);
        return dt__codec_fail(ctx, DT_ERROR, "zstd compression failed: %s",
                              ZSTD_getErrorName(r));
    }
    out->len = r;
    return DT_OK;
}

static void zstd_destroy(void *state)
{
    free(state);
}

const dt__codec_class dt__codec_zstd = {
    "zstd", DT__CODEC_BYTES, zstd_create, NULL, NULL, zstd_decode, zstd_encode,
    zstd_destroy,
};
