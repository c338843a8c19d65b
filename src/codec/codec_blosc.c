/* codec_blosc.c: "blosc": c-blosc 1 frames with any inner codec c-blosc
 * was built with (blosclz, lz4, lz4hc, snappy, zlib, zstd). The frame's
 * header is validated against the stored size and the size due before the
 * library is trusted with it. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <blosc.h>
#include <json-c/json.h>

#include "codec.h"

typedef struct bl_state {
    char cname[16];
    int clevel;
    int shuffle;        /* BLOSC_NOSHUFFLE, BLOSC_SHUFFLE, BLOSC_BITSHUFFLE */
    size_t typesize;
    size_t blocksize;
} bl_state;

static int bl_create(void **state, const struct json_object *params,
                        const dt__array_spec *spec, const dt__codec_ctx *ctx)
{
    bl_state *s;
    const char *cname = "lz4";
    int64_t clevel = 5, shuffle = BLOSC_SHUFFLE, typesize = 0, blocksize = 0;
    struct json_object *sh = NULL;
    int rc;

    rc = dt__param_string(params, "blosc", "cname", &cname, ctx);
    if (rc == DT_OK)
        rc = dt__param_int(params, "blosc", "clevel", 0, 9, &clevel, ctx);
    if (rc == DT_OK)
        rc = dt__param_int(params, "blosc", "typesize", 0, 255, &typesize, ctx);
    if (rc == DT_OK)
        rc = dt__param_int(params, "blosc", "blocksize", 0, INT32_MAX, &blocksize, ctx);
    if (rc < 0)
        return rc;
    if (typesize == 0) {
        /* Zarr v2 takes the type size from the array's data type */
        typesize = spec && spec->elem_size && DT_TYPE_CLASS(spec->type) != DT_STRING
                       ? (int64_t)spec->elem_size : 1;
        if (typesize > 255)
            typesize = 1;
    }
    /* v2: an integer (-1 picks bit-shuffle for 1-byte types); v3: a name */
    if (params && json_object_object_get_ex(params, "shuffle", &sh) &&
        json_object_is_type(sh, json_type_string)) {
        const char *n = json_object_get_string(sh);

        if (strcmp(n, "noshuffle") == 0)
            shuffle = BLOSC_NOSHUFFLE;
        else if (strcmp(n, "shuffle") == 0)
            shuffle = BLOSC_SHUFFLE;
        else if (strcmp(n, "bitshuffle") == 0)
            shuffle = BLOSC_BITSHUFFLE;
        else
            return dt__codec_fail(ctx, DT_EFORMAT, "codec blosc: \"shuffle\" is \"%s\", not "
                                  "noshuffle, shuffle or bitshuffle", n);
    } else {
        rc = dt__param_int(params, "blosc", "shuffle", -1, 2, &shuffle, ctx);
        if (rc < 0)
            return rc;
        if (shuffle == -1)
            shuffle = typesize == 1 ? BLOSC_BITSHUFFLE : BLOSC_SHUFFLE;
    }
    if (strlen(cname) >= sizeof s->cname)
        return dt__codec_fail(ctx, DT_EFORMAT, "codec blosc: unknown \"cname\" \"%s\"", cname);
    s = dt__calloc(1, sizeof *s);
    if (!s)
        return DT_ENOMEM;
    memcpy(s->cname, cname, strlen(cname) + 1);
    s->clevel = (int)clevel;
    s->shuffle = (int)shuffle;
    s->typesize = (size_t)typesize;
    s->blocksize = (size_t)blocksize;
    *state = s;
    return DT_OK;
}

static int bl_decode(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                        uint64_t expect, dt__bytes *out, const dt__codec_ctx *ctx)
{
    size_t nbytes = 0, cbytes = 0, blocksize = 0;
    int r, rc;

    (void)state;
    (void)spec;
    out->data = NULL;
    out->len = 0;
    if (in->len < BLOSC_MIN_HEADER_LENGTH)
        return dt__codec_fail(ctx, DT_EFORMAT, "%zu bytes are too few for a blosc frame "
                              "(its header is %d)", in->len, BLOSC_MIN_HEADER_LENGTH);
    blosc_cbuffer_sizes(in->data, &nbytes, &cbytes, &blocksize);
    if (cbytes > in->len)
        return dt__codec_fail(ctx, DT_EFORMAT, "it is %zu bytes, its blosc frame declares %zu",
                              in->len, cbytes);
    if (expect != DT__SIZE_UNKNOWN && nbytes != expect)
        return dt__codec_fail(ctx, DT_EFORMAT, "its blosc frame declares %zu bytes, %" PRIu64
                              " are due", nbytes, expect);
    if (nbytes > ctx->max_alloc)
        return dt__codec_fail(ctx, DT_ELIMIT, "blosc output of %zu bytes is over the limit of "
                              "%" PRIu64, nbytes, ctx->max_alloc);
    if (blosc_cbuffer_validate(in->data, in->len, &nbytes) != 0)
        return dt__codec_fail(ctx, DT_EFORMAT, "not a valid blosc frame (version %u, %zu "
                              "bytes declared)", in->data[0], cbytes);
    rc = dt__codec_alloc(out, nbytes, "blosc", ctx);
    if (rc < 0)
        return rc;
    if (nbytes == 0)
        return DT_OK;
    r = blosc_decompress_ctx(in->data, out->data, out->len, 1);
    if (r < 0 || (size_t)r != nbytes) {
        dt__bytes_free(out);
        return dt__codec_fail(ctx, DT_EFORMAT, "the blosc frame is damaged (%s)",
                              r < 0 ? "the decoder failed" : "short output");
    }
    return DT_OK;
}

int dt__blosc_decode_into(const dt__bytes *in, void *dst, size_t n, const dt__codec_ctx *ctx)
{
    size_t nbytes = 0, cbytes = 0, blocksize = 0;
    int r;

    /* a valid frame of exactly n bytes; anything else takes the checked
     * path of bl_decode */
    if (in->len < BLOSC_MIN_HEADER_LENGTH)
        return DT__INTO_NO;
    blosc_cbuffer_sizes(in->data, &nbytes, &cbytes, &blocksize);
    if (cbytes > in->len || nbytes != n || n == 0 ||
        blosc_cbuffer_validate(in->data, in->len, &nbytes) != 0 || nbytes != n)
        return DT__INTO_NO;
    r = blosc_decompress_ctx(in->data, dst, n, 1);
    if (r < 0 || (size_t)r != n)
        return dt__codec_fail(ctx, DT_EFORMAT, "the blosc frame is damaged (%s)",
                              r < 0 ? "the decoder failed" : "short output");
    return DT_OK;
}

static int bl_encode(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                        dt__bytes *out, const dt__codec_ctx *ctx)
{
    const bl_state *s = state;
    int r, rc;

    (void)spec;
    if (in->len > BLOSC_MAX_BUFFERSIZE)
        return dt__codec_fail(ctx, DT_ELIMIT, "%zu bytes are too many for one blosc frame",
                              in->len);
    rc = dt__codec_alloc(out, (uint64_t)in->len + BLOSC_MAX_OVERHEAD, "blosc", ctx);
    if (rc < 0)
        return rc;
    r = blosc_compress_ctx(s->clevel, s->shuffle, s->typesize, in->len, in->data, out->data,
                           out->len, s->cname, s->blocksize, 1);
    if (r <= 0) {
        dt__bytes_free(out);
        return dt__codec_fail(ctx, DT_EUNSUPPORTED, "blosc cannot compress with \"%s\"",
                              s->cname);
    }
    out->len = (size_t)r;
    return DT_OK;
}

static void bl_destroy(void *state)
{
    free(state);
}

const dt__codec_class dt__codec_blosc = {
    "blosc", DT__CODEC_BYTES, bl_create, NULL, NULL, bl_decode, bl_encode,
    bl_destroy,
};
