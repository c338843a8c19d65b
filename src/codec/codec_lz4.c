/* codec_lz4.c: numcodecs "lz4": a 4-byte little-endian uncompressed size,
 * then one LZ4 block. The size is checked before anything is allocated. */
#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <lz4.h>

#include "codec.h"

typedef struct lz4_state {
    int acceleration;
} lz4_state;

static int lz4_create(void **state, const struct json_object *params,
                      const dt__array_spec *spec, const dt__codec_ctx *ctx)
{
    lz4_state *s;
    int64_t accel = 1;
    int rc = dt__param_int(params, "lz4", "acceleration", INT32_MIN, INT32_MAX, &accel, ctx);

    (void)spec;
    if (rc < 0)
        return rc;
    s = dt__calloc(1, sizeof *s);
    if (!s)
        return DT_ENOMEM;
    s->acceleration = accel < 1 ? 1 : (int)accel;
    *state = s;
    return DT_OK;
}

static int lz4_decode(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                      uint64_t expect, dt__bytes *out, const dt__codec_ctx *ctx)
{
    uint32_t declared;
    int r, rc;

    (void)state;
    (void)spec;
    out->data = NULL;
    out->len = 0;
    if (in->len < 4)
        return dt__codec_fail(ctx, DT_EFORMAT, "%zu bytes are too few for an lz4 chunk (its "
                              "size header is 4)", in->len);
    declared = (uint32_t)in->data[0] | (uint32_t)in->data[1] << 8 |
               (uint32_t)in->data[2] << 16 | (uint32_t)in->data[3] << 24;
    if (expect != DT__SIZE_UNKNOWN && declared != expect)
        return dt__codec_fail(ctx, DT_EFORMAT, "its lz4 header declares %" PRIu32 " bytes, %"
                              PRIu64 " are due", declared, expect);
    if (declared > ctx->max_alloc)
        return dt__codec_fail(ctx, DT_ELIMIT, "lz4 output of %" PRIu32 " bytes is over the "
                              "limit of %" PRIu64, declared, ctx->max_alloc);
    if (declared > INT_MAX || in->len - 4 > INT_MAX)
        return dt__codec_fail(ctx, DT_ELIMIT, "an lz4 block of %" PRIu32 " bytes is more "
                              "than LZ4 decodes at once", declared);
    rc = dt__codec_alloc(out, declared, "lz4", ctx);
    if (rc < 0)
        return rc;
    r = LZ4_decompress_safe((const char *)in->data + 4, (char *)out->data,
                            (int)(in->len - 4), (int)declared);
    if (r < 0 || (uint32_t)r != declared) {
        dt__bytes_free(out);
        return r < 0 ? dt__codec_fail(ctx, DT_EFORMAT, "the lz4 block is damaged or "
                                      "truncated (%zu bytes)", in->len)
                     : dt__codec_fail(ctx, DT_EFORMAT, "the lz4 block decodes to %d bytes, "
                                      "its header declares %" PRIu32, r, declared);
    }
    return DT_OK;
}

static int lz4_encode(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                      dt__bytes *out, const dt__codec_ctx *ctx)
{
    const lz4_state *s = state;
    int bound, r, rc;

    (void)spec;
    if (in->len > LZ4_MAX_INPUT_SIZE)
        return dt__codec_fail(ctx, DT_ELIMIT, "%zu bytes are too many for one lz4 block",
                              in->len);
    bound = LZ4_compressBound((int)in->len);
    rc = dt__codec_alloc(out, (uint64_t)bound + 4, "lz4", ctx);
    if (rc < 0)
        return rc;
    r = LZ4_compress_fast((const char *)in->data, (char *)out->data + 4, (int)in->len,
                          bound, s->acceleration);
    if (r <= 0 && in->len > 0) {
        dt__bytes_free(out);
        return dt__codec_fail(ctx, DT_ERROR, "lz4 compression failed");
    }
    out->data[0] = (unsigned char)(in->len & 0xff);
    out->data[1] = (unsigned char)(in->len >> 8 & 0xff);
    out->data[2] = (unsigned char)(in->len >> 16 & 0xff);
    out->data[3] = (unsigned char)(in->len >> 24 & 0xff);
    out->len = (size_t)r + 4;
    return DT_OK;
}

static void lz4_destroy(void *state)
{
    free(state);
}

const dt__codec_class dt__codec_lz4 = {
    "lz4", DT__CODEC_BYTES, lz4_create, NULL, NULL, lz4_decode, lz4_encode, lz4_destroy,
};
