/* codec_bz2.c: numcodecs "bz2": one or more bzip2 streams, decoded up to
 * the size due or the limit. */
#include "config.h"

#include <bzlib.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "codec.h"

typedef struct bz2_state {
    int level;
} bz2_state;

static int bz2_create(void **state, const struct json_object *params,
                      const dt__array_spec *spec, const dt__codec_ctx *ctx)
{
    bz2_state *s;
    int64_t level = 1;
    int rc = dt__param_int(params, "bz2", "level", 1, 9, &level, ctx);

    (void)spec;
    if (rc < 0)
        return rc;
    s = dt__calloc(1, sizeof *s);
    if (!s)
        return DT_ENOMEM;
    s->level = (int)level;
    *state = s;
    return DT_OK;
}

static int bz2_decode(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                      uint64_t expect, dt__bytes *out, const dt__codec_ctx *ctx)
{
    uint64_t max = expect != DT__SIZE_UNKNOWN ? expect + 1 : ctx->max_alloc + 1;
    size_t cap = 0, used = 0, at = 0;
    bz_stream bz;
    int br = BZ_OK, rc = DT_OK;

    (void)state;
    (void)spec;
    out->data = NULL;
    out->len = 0;
    if (expect != DT__SIZE_UNKNOWN && expect > ctx->max_alloc)
        return dt__codec_fail(ctx, DT_ELIMIT, "bz2 output of %" PRIu64 " bytes is over the "
                              "limit of %" PRIu64, expect, ctx->max_alloc);
    if (in->len < 4 || memcmp(in->data, "BZh", 3) != 0)
        return dt__codec_fail(ctx, DT_EFORMAT, "not bzip2 data (no BZh magic)");
    /* Python's bz2.decompress reads every stream of a multi-stream file */
    while (rc == DT_OK && at < in->len) {
        memset(&bz, 0, sizeof bz);
        if (BZ2_bzDecompressInit(&bz, 0, 0) != BZ_OK)
            return dt__fail(DT_ENOMEM, "cannot start a bzip2 stream");
        for (;;) {
            size_t room, avail = in->len - at < UINT_MAX ? in->len - at : UINT_MAX;

            if (used == cap) {
                uint64_t want = cap ? (uint64_t)cap * 2 : (in->len * 4 > 4096 ? in->len * 4 : 4096);
                unsigned char *p;

                if (want > max)
                    want = max;
                if (want <= cap || want > SIZE_MAX) {
                    rc = expect != DT__SIZE_UNKNOWN
                             ? dt__codec_fail(ctx, DT_EFORMAT, "the bz2 stream decodes to "
                                              "more than the %" PRIu64 " bytes due", expect)
                             : dt__codec_fail(ctx, DT_ELIMIT, "the bz2 stream decodes to "
                                              "more than the limit of %" PRIu64 " bytes",
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
            room = cap - used < UINT_MAX ? cap - used : UINT_MAX;
            bz.next_in = (char *)in->data + at;
            bz.avail_in = (unsigned)avail;
            bz.next_out = (char *)out->data + used;
            bz.avail_out = (unsigned)room;
            br = BZ2_bzDecompress(&bz);
            at += avail - bz.avail_in;
            used += room - bz.avail_out;
            if (br == BZ_STREAM_END)
                break;
            if (br != BZ_OK) {
                rc = dt__codec_fail(ctx, DT_EFORMAT, "the bz2 stream is damaged (error %d)",
                                    br);
                break;
            }
            if (at == in->len && bz.avail_out > 0) {
                rc = dt__codec_fail(ctx, DT_EFORMAT, "the bz2 stream is truncated: %zu "
                                    "bytes stored, %zu decoded before it stops", in->len, used);
                break;
            }
        }
        BZ2_bzDecompressEnd(&bz);
        /* trailing bytes that start no stream are ignored, as Python does */
        if (rc == DT_OK && (in->len - at < 4 || memcmp(in->data + at, "BZh", 3) != 0))
            break;
    }
    if (rc == DT_OK && expect != DT__SIZE_UNKNOWN && used != expect)
        rc = dt__codec_fail(ctx, DT_EFORMAT, "the bz2 stream decodes to %zu bytes, %" PRIu64
                            " are due", used, expect);
    if (rc < 0) {
        dt__bytes_free(out);
        return rc;
    }
    out->len = used;
    return DT_OK;
}

static int bz2_encode(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                      dt__bytes *out, const dt__codec_ctx *ctx)
{
    const bz2_state *s = state;
    uint64_t bound = (uint64_t)in->len + in->len / 100 + 601;
    unsigned int len;
    int br, rc;

    (void)spec;
    if (bound > UINT_MAX)
        return dt__codec_fail(ctx, DT_ELIMIT, "%zu bytes are too many for one bz2 stream",
                              in->len);
    rc = dt__codec_alloc(out, bound, "bz2", ctx);
    if (rc < 0)
        return rc;
    len = (unsigned int)bound;
    br = BZ2_bzBuffToBuffCompress((char *)out->data, &len, (char *)in->data,
                                  (unsigned int)in->len, s->level, 0, 0);
    if (br != BZ_OK) {
        dt__bytes_free(out);
        return dt__codec_fail(ctx, DT_ERROR, "bzip2 compression failed (error %d)", br);
    }
    out->len = len;
    return DT_OK;
}

static void bz2_destroy(void *state)
{
    free(state);
}

const dt__codec_class dt__codec_bz2 = {
    "bz2", DT__CODEC_BYTES, bz2_create, NULL, NULL, bz2_decode, bz2_encode, bz2_destroy,
};
