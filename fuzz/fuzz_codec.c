/* fuzz_codec.c: the chunk codecs' decoders, through the codec chain the
 * Zarr reader builds. The input is a header and the stored chunk:
 *   byte 0   the bytes codec (blosc, zstd, zlib, gzip, bz2, lz4, crc32c,
 *            shuffle, delta, fixedscaleoffset, quantize, crc32, adler32)
 *   byte 1   the second bytes codec run first on decode (0: none)
 *   byte 2   the element type; byte 3: elements - 1 (low), byte 4: flags
 *   then the codecs' JSON parameters as one line ([p1, p2] or {..} for the
 *   first only; empty: none), then the chunk's stored bytes. */
#include "config.h"

#include <json-c/json.h>

#include "codec/codec.h"
#include "fuzz_util.h"
#include "io/zarr/zarr_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const codecs[] = {
    "blosc", "zstd", "zlib", "gzip", "bz2", "lz4", "crc32c", "shuffle", "delta",
    "fixedscaleoffset", "quantize", "crc32", "adler32"
};
#define NCODECS (sizeof codecs / sizeof codecs[0])

static const dt_type types[] = {
    DT_INT8, DT_UINT8, DT_INT16, DT_UINT16, DT_INT32, DT_UINT32, DT_INT64, DT_UINT64,
    DT_FLOAT32, DT_FLOAT64, DT_BOOL, DT_COMPLEX64, DT_STRING, DT_FLOAT16, DT_BYTES_N(3),
    DT_UNICODE_N(2)
};
#define NTYPES (sizeof types / sizeof types[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dt__codec_ctx ctx = {"fuzz.zarr", "/v", "chunk (0)", FUZZ_MAX_ALLOC};
    dt_limits lim = DT_LIMITS_INIT;
    dt__array_spec spec;
    dt__codec_chain ch;
    struct json_object *params = NULL, *p1 = NULL, *p2 = NULL, *sp = NULL;
    const uint8_t *nl;
    dt__bytes in = {NULL, 0}, out = {NULL, 0};
    size_t first, second, plen;
    unsigned flags;

    if (size < 6)
        return 0;
    first = data[0] % NCODECS;
    second = data[1] % (NCODECS + 1);
    memset(&spec, 0, sizeof spec);
    spec.type = types[data[2] % NTYPES];
    spec.elem_size = dt_type_size(spec.type);
    flags = data[4];
    spec.ndim = flags & 1 ? 2 : 1;
    spec.shape[0] = (uint64_t)data[3] + 1;
    spec.shape[1] = (flags >> 1 & 7) + 1;
    data += 5;
    size -= 5;
    nl = memchr(data, '\n', size);
    plen = nl ? (size_t)(nl - data) : 0;
    if (plen) {
        dt__bytes text = {(unsigned char *)(uintptr_t)data, plen};

        lim.max_alloc = FUZZ_MAX_ALLOC;
        if (dt__zj_parse(&params, &text, &lim, "fuzz.zarr", "params") < 0)
            params = NULL;
        if (params && json_object_is_type(params, json_type_array)) {
            p1 = json_object_array_get_idx(params, 0);
            p2 = json_object_array_get_idx(params, 1);
        } else {
            p1 = params;
        }
    }
    if (nl) {
        data = nl + 1;
        size -= plen + 1;
    }
    dt_error_clear();

    /* flag 0x10: the data is stored big-endian */
    if (flags & 0x10)
        sp = json_tokener_parse("{\"endian\": \"big\"}");
    dt__chain_init(&ch, &spec);
    if (dt__chain_add(&ch, DT_TYPE_CLASS(spec.type) == DT_STRING ? &dt__codec_vlen_utf8
                                                               : &dt__codec_bytes,
                      sp, &ctx) < 0 ||
        dt__chain_add(&ch, dt__codec_find(codecs[first]), p1, &ctx) < 0 ||
        (second && dt__chain_add(&ch, dt__codec_find(codecs[second - 1]), p2, &ctx) < 0))
        goto out;
    in.data = dt__malloc(size ? size : 1);
    if (!in.data)
        goto out;
    memcpy(in.data, data, size);
    in.len = size;
    /* consumes in */
    if (dt__chain_decode(&ch, &in, &out, &ctx) == DT_OK)
        dt__array_free(&out, &spec);
out:
    dt__chain_clear(&ch);
    if (params)
        json_object_put(params);
    if (sp)
        json_object_put(sp);
    dt_error_clear();
    return 0;
}
