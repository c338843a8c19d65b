/* codec_filters.c: the small codecs: numcodecs shuffle, delta,
 * fixedscaleoffset, quantize and the checksums (crc32c, crc32, adler32);
 * vlen-utf8 strings; Zarr v3's transpose and bytes (byte order). */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <zlib.h>

#include "codec.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_BIG 1
#else
#define HOST_BIG 0
#endif

static void free_state(void *state)
{
    free(state);
}

static uint32_t get_u32le(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32le(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* ------------------------------------------------------------------------ */
/* Numbers of a NumPy type inside a byte buffer                             */

/* The type string member `name` of params, parsed; numeric kinds only. */
static int param_npy(const struct json_object *params, const char *codec, const char *name,
                     int required, dt__npy *out, const dt__codec_ctx *ctx)
{
    const char *s = NULL;
    int rc = dt__param_string(params, codec, name, &s, ctx);

    if (rc < 0)
        return rc;
    if (!s) {
        if (required)
            return dt__codec_fail(ctx, DT_EFORMAT, "codec %s: \"%s\" is missing", codec, name);
        return 1;
    }
    if (dt__npy_parse(out, s) < 0 ||
        (out->kind != 'i' && out->kind != 'u' && out->kind != 'f' && out->kind != 'b') ||
        (out->kind == 'f' && out->size == 2))
        return dt__codec_fail(ctx, DT_EFORMAT, "codec %s: \"%s\" is \"%s\", not an integer "
                              "or float32/float64 type", codec, name, s);
    return DT_OK;
}

static void load_raw(const unsigned char *p, const dt__npy *t, unsigned char *tmp)
{
    memcpy(tmp, p, t->size);
    if (t->big_endian != HOST_BIG)
        dt__swap_units(tmp, t->size, t->size);
}

static void store_raw(unsigned char *p, const dt__npy *t, unsigned char *tmp)
{
    if (t->big_endian != HOST_BIG)
        dt__swap_units(tmp, t->size, t->size);
    memcpy(p, tmp, t->size);
}

/* An integer element as two's-complement 64 bits (sign-extended). */
static uint64_t load_int(const unsigned char *p, const dt__npy *t)
{
    unsigned char tmp[8];

    load_raw(p, t, tmp);
    switch (t->size) {
    case 1: return t->kind == 'i' ? (uint64_t)(int64_t)*(int8_t *)tmp : *(uint8_t *)tmp;
    case 2: {
        uint16_t v;
        memcpy(&v, tmp, 2);
        return t->kind == 'i' ? (uint64_t)(int64_t)(int16_t)v : v;
    }
    case 4: {
        uint32_t v;
        memcpy(&v, tmp, 4);
        return t->kind == 'i' ? (uint64_t)(int64_t)(int32_t)v : v;
    }
    default: {
        uint64_t v;
        memcpy(&v, tmp, 8);
        return v;
    }
    }
}

static void store_int(unsigned char *p, const dt__npy *t, uint64_t v)
{
    unsigned char tmp[8];

    switch (t->size) {
    case 1: tmp[0] = (unsigned char)v; break;
    case 2: { uint16_t x = (uint16_t)v; memcpy(tmp, &x, 2); break; }
    case 4: { uint32_t x = (uint32_t)v; memcpy(tmp, &x, 4); break; }
    default: memcpy(tmp, &v, 8); break;
    }
    store_raw(p, t, tmp);
}

static double load_num(const unsigned char *p, const dt__npy *t)
{
    unsigned char tmp[8];

    if (t->kind == 'f') {
        load_raw(p, t, tmp);
        if (t->size == 4) {
            float f;
            memcpy(&f, tmp, 4);
            return f;
        }
        {
            double d;
            memcpy(&d, tmp, 8);
            return d;
        }
    }
    if (t->kind == 'i')
        return (double)(int64_t)load_int(p, t);
    return (double)load_int(p, t);
}

/* A float as the 64 bits of the integer NumPy's astype gives: truncation
 * toward zero; NaN and values outside both int64 and uint64 give 0 (their
 * C conversion is undefined). */
static uint64_t float_to_bits(double v)
{
    if (isnan(v) || v >= 18446744073709551616.0 || v < -9223372036854775808.0)
        return 0;
    /* through int64 only below 0: 2^63 and up do not fit it (undefined in
     * C), and as uint64 they keep the same low bits */
    if (v < 0)
        return (uint64_t)(int64_t)v;
    return (uint64_t)v;
}

/* NumPy's astype from float: truncation toward zero for integers (values
 * out of range wrap as the C conversion of the 64-bit value does). */
static void store_num(unsigned char *p, const dt__npy *t, double v)
{
    unsigned char tmp[8];

    if (t->kind == 'f') {
        if (t->size == 4) {
            float f = (float)v;
            memcpy(tmp, &f, 4);
        } else {
            memcpy(tmp, &v, 8);
        }
        store_raw(p, t, tmp);
        return;
    }
    store_int(p, t, float_to_bits(v));
}

/* ------------------------------------------------------------------------ */
/* shuffle                                                                  */

typedef struct shuffle_state {
    size_t elementsize;
} shuffle_state;

static int shuffle_create(void **state, const struct json_object *params,
                          const dt__array_spec *spec, const dt__codec_ctx *ctx)
{
    shuffle_state *s;
    int64_t es = 4; /* numcodecs' default; zarr-python sets it from the dtype */
    int rc = dt__param_int(params, "shuffle", "elementsize", 1, 1 << 20, &es, ctx);

    (void)spec;
    if (rc < 0)
        return rc;
    s = dt__calloc(1, sizeof *s);
    if (!s)
        return DT_ENOMEM;
    s->elementsize = (size_t)es;
    *state = s;
    return DT_OK;
}

static int shuffle_run(const void *state, const dt__bytes *in, uint64_t expect,
                       dt__bytes *out, const dt__codec_ctx *ctx, int decode)
{
    size_t es = ((const shuffle_state *)state)->elementsize, n;
    int rc;

    if (in->len % es)
        return dt__codec_fail(ctx, DT_EFORMAT, "shuffle: %zu bytes are not a whole number "
                              "of %zu-byte elements", in->len, es);
    if (expect != DT__SIZE_UNKNOWN && in->len != expect)
        return dt__codec_fail(ctx, DT_EFORMAT, "shuffle: %zu bytes, %" PRIu64 " are due",
                              in->len, expect);
    rc = dt__codec_alloc(out, in->len, "shuffle", ctx);
    if (rc < 0)
        return rc;
    n = in->len / es;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < es; j++) {
            if (decode)
                out->data[i * es + j] = in->data[j * n + i];
            else
                out->data[j * n + i] = in->data[i * es + j];
        }
    }
    return DT_OK;
}

static int shuffle_decode(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                          uint64_t expect, dt__bytes *out, const dt__codec_ctx *ctx)
{
    (void)spec;
    return shuffle_run(state, in, expect, out, ctx, 1);
}

static int shuffle_encode(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                          dt__bytes *out, const dt__codec_ctx *ctx)
{
    (void)spec;
    return shuffle_run(state, in, DT__SIZE_UNKNOWN, out, ctx, 0);
}

static uint64_t same_size(const void *state, const dt__array_spec *spec, uint64_t decoded)
{
    (void)state;
    (void)spec;
    return decoded;
}

const dt__codec_class dt__codec_shuffle = {
    "shuffle", DT__CODEC_BYTES, shuffle_create, NULL, same_size, shuffle_decode,
    shuffle_encode, free_state,
};

/* ------------------------------------------------------------------------ */
/* delta, fixedscaleoffset, quantize: numbers stored as another type        */

typedef struct cast_state {
    const char *codec;
    dt__npy dtype, astype;
    double offset, scale;  /* fixedscaleoffset */
    int64_t digits;        /* quantize */
} cast_state;

static int cast_create(void **state, const char *codec, const struct json_object *params,
                       const dt__codec_ctx *ctx)
{
    cast_state *s = dt__calloc(1, sizeof *s);
    int rc;

    if (!s)
        return DT_ENOMEM;
    s->codec = codec;
    s->scale = 1;
    rc = param_npy(params, codec, "dtype", 1, &s->dtype, ctx);
    if (rc >= 0) {
        rc = param_npy(params, codec, "astype", 0, &s->astype, ctx);
        if (rc == 1)
            s->astype = s->dtype;
    }
    if (rc >= 0 && strcmp(codec, "fixedscaleoffset") == 0) {
        rc = dt__param_double(params, codec, "offset", &s->offset, ctx);
        if (rc == DT_OK)
            rc = dt__param_double(params, codec, "scale", &s->scale, ctx);
    }
    if (rc >= 0 && strcmp(codec, "quantize") == 0) {
        s->digits = -1;
        rc = dt__param_int(params, codec, "digits", -30, 30, &s->digits, ctx);
        if (rc == DT_OK && s->digits == -1 && !json_object_object_get_ex(params, "digits", NULL))
            rc = dt__codec_fail(ctx, DT_EFORMAT, "codec quantize: \"digits\" is missing");
        if (rc == DT_OK && s->dtype.kind != 'f')
            rc = dt__codec_fail(ctx, DT_EFORMAT, "codec quantize: \"dtype\" must be a float "
                                "type");
    }
    if (rc < 0) {
        free(s);
        return rc;
    }
    *state = s;
    return DT_OK;
}

static int delta_create(void **state, const struct json_object *params,
                        const dt__array_spec *spec, const dt__codec_ctx *ctx)
{
    (void)spec;
    return cast_create(state, "delta", params, ctx);
}

static int fso_create(void **state, const struct json_object *params,
                      const dt__array_spec *spec, const dt__codec_ctx *ctx)
{
    (void)spec;
    return cast_create(state, "fixedscaleoffset", params, ctx);
}

static int quantize_create(void **state, const struct json_object *params,
                           const dt__array_spec *spec, const dt__codec_ctx *ctx)
{
    (void)spec;
    return cast_create(state, "quantize", params, ctx);
}

/* The encoded side holds the same count of astype elements. */
static uint64_t cast_encoded_size(const void *state, const dt__array_spec *spec,
                                  uint64_t decoded)
{
    const cast_state *s = state;

    (void)spec;
    if (decoded % s->dtype.size)
        return DT__SIZE_UNKNOWN;
    return decoded / s->dtype.size * s->astype.size;
}

/* Check the stored size, allocate the output; *n gets the element count. */
static int cast_begin(const cast_state *s, const dt__bytes *in, uint64_t expect, size_t *n,
                      dt__bytes *out, const dt__codec_ctx *ctx, int decode)
{
    const dt__npy *from = decode ? &s->astype : &s->dtype, *to = decode ? &s->dtype : &s->astype;
    uint64_t want;

    if (in->len % from->size)
        return dt__codec_fail(ctx, DT_EFORMAT, "%s: %zu bytes are not a whole number of "
                              "%zu-byte elements", s->codec, in->len, from->size);
    *n = in->len / from->size;
    if (dt__mul_u64(&want, *n, to->size))
        return dt__codec_fail(ctx, DT_ELIMIT, "%s: the output overflows", s->codec);
    if (expect != DT__SIZE_UNKNOWN && want != expect)
        return dt__codec_fail(ctx, DT_EFORMAT, "%s: %zu bytes hold %zu elements, %" PRIu64
                              " bytes are due", s->codec, in->len, *n, expect);
    return dt__codec_alloc(out, want, s->codec, ctx);
}

static int delta_decode(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                        uint64_t expect, dt__bytes *out, const dt__codec_ctx *ctx)
{
    const cast_state *s = state;
    size_t n;
    int rc = cast_begin(s, in, expect, &n, out, ctx, 1);

    (void)spec;
    if (rc < 0)
        return rc;
    /* numpy.cumsum: integers wrap; floats add in the stored precision */
    if (s->dtype.kind == 'f') {
        double acc = 0;
        float facc = 0;

        for (size_t i = 0; i < n; i++) {
            double x = load_num(in->data + i * s->astype.size, &s->astype);

            if (s->astype.kind == 'f' && s->astype.size == 4) {
                facc += (float)x;
                acc = facc;
            } else {
                acc += x;
            }
            store_num(out->data + i * s->dtype.size, &s->dtype, acc);
        }
    } else {
        uint64_t acc = 0;

        for (size_t i = 0; i < n; i++) {
            acc += s->astype.kind == 'f'
                       ? float_to_bits(load_num(in->data + i * s->astype.size, &s->astype))
                       : load_int(in->data + i * s->astype.size, &s->astype);
            store_int(out->data + i * s->dtype.size, &s->dtype, acc);
        }
    }
    return DT_OK;
}

static int delta_encode(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                        dt__bytes *out, const dt__codec_ctx *ctx)
{
    const cast_state *s = state;
    size_t n;
    int rc = cast_begin(s, in, DT__SIZE_UNKNOWN, &n, out, ctx, 0);

    (void)spec;
    if (rc < 0)
        return rc;
    if (s->dtype.kind == 'f') {
        double prev = 0;

        for (size_t i = 0; i < n; i++) {
            double x = load_num(in->data + i * s->dtype.size, &s->dtype);

            store_num(out->data + i * s->astype.size, &s->astype, i ? x - prev : x);
            prev = x;
        }
    } else {
        uint64_t prev = 0;

        for (size_t i = 0; i < n; i++) {
            uint64_t x = load_int(in->data + i * s->dtype.size, &s->dtype);

            store_int(out->data + i * s->astype.size, &s->astype, x - prev);
            prev = x;
        }
    }
    return DT_OK;
}

const dt__codec_class dt__codec_delta = {
    "delta", DT__CODEC_BYTES, delta_create, NULL, cast_encoded_size, delta_decode,
    delta_encode, free_state,
};

/* numcodecs: dec = enc / scale + offset in float64, then astype(dtype). */
static int fso_decode(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                      uint64_t expect, dt__bytes *out, const dt__codec_ctx *ctx)
{
    const cast_state *s = state;
    size_t n;
    int rc = cast_begin(s, in, expect, &n, out, ctx, 1);

    (void)spec;
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        double x = load_num(in->data + i * s->astype.size, &s->astype);

        store_num(out->data + i * s->dtype.size, &s->dtype, x / s->scale + s->offset);
    }
    return DT_OK;
}

/* numcodecs: enc = around((x - offset) * scale), then astype(astype). */
static int fso_encode(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                      dt__bytes *out, const dt__codec_ctx *ctx)
{
    const cast_state *s = state;
    size_t n;
    int rc = cast_begin(s, in, DT__SIZE_UNKNOWN, &n, out, ctx, 0);

    (void)spec;
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        double x = load_num(in->data + i * s->dtype.size, &s->dtype);

        store_num(out->data + i * s->astype.size, &s->astype,
                  nearbyint((x - s->offset) * s->scale));
    }
    return DT_OK;
}

const dt__codec_class dt__codec_fixedscaleoffset = {
    "fixedscaleoffset", DT__CODEC_BYTES, fso_create, NULL, cast_encoded_size, fso_decode,
    fso_encode, free_state,
};

/* numcodecs: the values were rounded when written; reading casts back. */
static int quantize_decode(const void *state, const dt__array_spec *spec,
                           const dt__bytes *in, uint64_t expect, dt__bytes *out,
                           const dt__codec_ctx *ctx)
{
    const cast_state *s = state;
    size_t n;
    int rc = cast_begin(s, in, expect, &n, out, ctx, 1);

    (void)spec;
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        store_num(out->data + i * s->dtype.size, &s->dtype,
                  load_num(in->data + i * s->astype.size, &s->astype));
    return DT_OK;
}

/* numcodecs Quantize.encode: keep `digits` decimal digits as a power-of-two
 * scale: around(scale * x) / scale with scale = 2^ceil(log2(10^digits)). */
static int quantize_encode(const void *state, const dt__array_spec *spec,
                           const dt__bytes *in, dt__bytes *out, const dt__codec_ctx *ctx)
{
    const cast_state *s = state;
    double exp10 = log10(pow(10.0, (double)-s->digits)), scale;
    size_t n;
    int rc = cast_begin(s, in, DT__SIZE_UNKNOWN, &n, out, ctx, 0);

    (void)spec;
    if (rc < 0)
        return rc;
    exp10 = exp10 < 0 ? floor(exp10) : ceil(exp10);
    scale = pow(2.0, ceil(log2(pow(10.0, -exp10))));
    for (size_t i = 0; i < n; i++) {
        double x = load_num(in->data + i * s->dtype.size, &s->dtype);

        store_num(out->data + i * s->astype.size, &s->astype, nearbyint(scale * x) / scale);
    }
    return DT_OK;
}

const dt__codec_class dt__codec_quantize = {
    "quantize", DT__CODEC_BYTES, quantize_create, NULL, cast_encoded_size, quantize_decode,
    quantize_encode, free_state,
};

/* ------------------------------------------------------------------------ */
/* Checksums: crc32c (appended by default), crc32 and adler32 (prepended)   */

static const uint32_t crc32c_table[256] = {
    0x00000000u, 0xf26b8303u, 0xe13b70f7u, 0x1350f3f4u, 0xc79a971fu, 0x35f1141cu,
    0x26a1e7e8u, 0xd4ca64ebu, 0x8ad958cfu, 0x78b2dbccu, 0x6be22838u, 0x9989ab3bu,
    0x4d43cfd0u, 0xbf284cd3u, 0xac78bf27u, 0x5e133c24u, 0x105ec76fu, 0xe235446cu,
    0xf165b798u, 0x030e349bu, 0xd7c45070u, 0x25afd373u, 0x36ff2087u, 0xc494a384u,
    0x9a879fa0u, 0x68ec1ca3u, 0x7bbcef57u, 0x89d76c54u, 0x5d1d08bfu, 0xaf768bbcu,
    0xbc267848u, 0x4e4dfb4bu, 0x20bd8edeu, 0xd2d60dddu, 0xc186fe29u, 0x33ed7d2au,
    0xe72719c1u, 0x154c9ac2u, 0x061c6936u, 0xf477ea35u, 0xaa64d611u, 0x580f5512u,
    0x4b5fa6e6u, 0xb93425e5u, 0x6dfe410eu, 0x9f95c20du, 0x8cc531f9u, 0x7eaeb2fau,
    0x30e349b1u, 0xc288cab2u, 0xd1d83946u, 0x23b3ba45u, 0xf779deaeu, 0x05125dadu,
    0x1642ae59u, 0xe4292d5au, 0xba3a117eu, 0x4851927du, 0x5b016189u, 0xa96ae28au,
    0x7da08661u, 0x8fcb0562u, 0x9c9bf696u, 0x6ef07595u, 0x417b1dbcu, 0xb3109ebfu,
    0xa0406d4bu, 0x522bee48u, 0x86e18aa3u, 0x748a09a0u, 0x67dafa54u, 0x95b17957u,
    0xcba24573u, 0x39c9c670u, 0x2a993584u, 0xd8f2b687u, 0x0c38d26cu, 0xfe53516fu,
    0xed03a29bu, 0x1f682198u, 0x5125dad3u, 0xa34e59d0u, 0xb01eaa24u, 0x42752927u,
    0x96bf4dccu, 0x64d4cecfu, 0x77843d3bu, 0x85efbe38u, 0xdbfc821cu, 0x2997011fu,
    0x3ac7f2ebu, 0xc8ac71e8u, 0x1c661503u, 0xee0d9600u, 0xfd5d65f4u, 0x0f36e6f7u,
    0x61c69362u, 0x93ad1061u, 0x80fde395u, 0x72966096u, 0xa65c047du, 0x5437877eu,
    0x4767748au, 0xb50cf789u, 0xeb1fcbadu, 0x197448aeu, 0x0a24bb5au, 0xf84f3859u,
    0x2c855cb2u, 0xdeeedfb1u, 0xcdbe2c45u, 0x3fd5af46u, 0x7198540du, 0x83f3d70eu,
    0x90a324fau, 0x62c8a7f9u, 0xb602c312u, 0x44694011u, 0x5739b3e5u, 0xa55230e6u,
    0xfb410cc2u, 0x092a8fc1u, 0x1a7a7c35u, 0xe811ff36u, 0x3cdb9bddu, 0xceb018deu,
    0xdde0eb2au, 0x2f8b6829u, 0x82f63b78u, 0x709db87bu, 0x63cd4b8fu, 0x91a6c88cu,
    0x456cac67u, 0xb7072f64u, 0xa457dc90u, 0x563c5f93u, 0x082f63b7u, 0xfa44e0b4u,
    0xe9141340u, 0x1b7f9043u, 0xcfb5f4a8u, 0x3dde77abu, 0x2e8e845fu, 0xdce5075cu,
    0x92a8fc17u, 0x60c37f14u, 0x73938ce0u, 0x81f80fe3u, 0x55326b08u, 0xa759e80bu,
    0xb4091bffu, 0x466298fcu, 0x1871a4d8u, 0xea1a27dbu, 0xf94ad42fu, 0x0b21572cu,
    0xdfeb33c7u, 0x2d80b0c4u, 0x3ed04330u, 0xccbbc033u, 0xa24bb5a6u, 0x502036a5u,
    0x4370c551u, 0xb11b4652u, 0x65d122b9u, 0x97baa1bau, 0x84ea524eu, 0x7681d14du,
    0x2892ed69u, 0xdaf96e6au, 0xc9a99d9eu, 0x3bc21e9du, 0xef087a76u, 0x1d63f975u,
    0x0e330a81u, 0xfc588982u, 0xb21572c9u, 0x407ef1cau, 0x532e023eu, 0xa145813du,
    0x758fe5d6u, 0x87e466d5u, 0x94b49521u, 0x66df1622u, 0x38cc2a06u, 0xcaa7a905u,
    0xd9f75af1u, 0x2b9cd9f2u, 0xff56bd19u, 0x0d3d3e1au, 0x1e6dcdeeu, 0xec064eedu,
    0xc38d26c4u, 0x31e6a5c7u, 0x22b65633u, 0xd0ddd530u, 0x0417b1dbu, 0xf67c32d8u,
    0xe52cc12cu, 0x1747422fu, 0x49547e0bu, 0xbb3ffd08u, 0xa86f0efcu, 0x5a048dffu,
    0x8ecee914u, 0x7ca56a17u, 0x6ff599e3u, 0x9d9e1ae0u, 0xd3d3e1abu, 0x21b862a8u,
    0x32e8915cu, 0xc083125fu, 0x144976b4u, 0xe622f5b7u, 0xf5720643u, 0x07198540u,
    0x590ab964u, 0xab613a67u, 0xb831c993u, 0x4a5a4a90u, 0x9e902e7bu, 0x6cfbad78u,
    0x7fab5e8cu, 0x8dc0dd8fu, 0xe330a81au, 0x115b2b19u, 0x020bd8edu, 0xf0605beeu,
    0x24aa3f05u, 0xd6c1bc06u, 0xc5914ff2u, 0x37faccf1u, 0x69e9f0d5u, 0x9b8273d6u,
    0x88d28022u, 0x7ab90321u, 0xae7367cau, 0x5c18e4c9u, 0x4f48173du, 0xbd23943eu,
    0xf36e6f75u, 0x0105ec76u, 0x12551f82u, 0xe03e9c81u, 0x34f4f86au, 0xc69f7b69u,
    0xd5cf889du, 0x27a40b9eu, 0x79b737bau, 0x8bdcb4b9u, 0x988c474du, 0x6ae7c44eu,
    0xbe2da0a5u, 0x4c4623a6u, 0x5f16d052u, 0xad7d5351u
};

uint32_t dt__crc32c(uint32_t crc, const void *buf, size_t n)
{
    const unsigned char *p = buf;

    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = crc32c_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

typedef enum { SUM_CRC32C, SUM_CRC32, SUM_ADLER32 } sum_kind;

typedef struct sum_state {
    sum_kind kind;
    int at_end;
} sum_state;

static const char *const sum_names[] = {"crc32c", "crc32", "adler32"};

static uint32_t sum_of(sum_kind k, const unsigned char *p, size_t n)
{
    uLong z;
    size_t done = 0;

    if (k == SUM_CRC32C)
        return dt__crc32c(0, p, n);
    z = k == SUM_CRC32 ? crc32(0L, Z_NULL, 0) : adler32(0L, Z_NULL, 0);
    while (done < n) {
        uInt part = n - done > 0x40000000u ? 0x40000000u : (uInt)(n - done);

        z = k == SUM_CRC32 ? crc32(z, p + done, part) : adler32(z, p + done, part);
        done += part;
    }
    return (uint32_t)z;
}

static int sum_create(void **state, sum_kind k, const struct json_object *params,
                      const dt__codec_ctx *ctx)
{
    const char *loc = k == SUM_CRC32C ? "end" : "start";
    sum_state *s;
    int rc = dt__param_string(params, sum_names[k], "location", &loc, ctx);

    if (rc < 0)
        return rc;
    if (strcmp(loc, "start") != 0 && strcmp(loc, "end") != 0)
        return dt__codec_fail(ctx, DT_EFORMAT, "codec %s: \"location\" is \"%s\", not start "
                              "or end", sum_names[k], loc);
    s = dt__calloc(1, sizeof *s);
    if (!s)
        return DT_ENOMEM;
    s->kind = k;
    s->at_end = strcmp(loc, "end") == 0;
    *state = s;
    return DT_OK;
}

static int crc32c_create(void **state, const struct json_object *params,
                         const dt__array_spec *spec, const dt__codec_ctx *ctx)
{
    (void)spec;
    return sum_create(state, SUM_CRC32C, params, ctx);
}

static int crc32_create(void **state, const struct json_object *params,
                        const dt__array_spec *spec, const dt__codec_ctx *ctx)
{
    (void)spec;
    return sum_create(state, SUM_CRC32, params, ctx);
}

static int adler32_create(void **state, const struct json_object *params,
                          const dt__array_spec *spec, const dt__codec_ctx *ctx)
{
    (void)spec;
    return sum_create(state, SUM_ADLER32, params, ctx);
}

static uint64_t sum_encoded_size(const void *state, const dt__array_spec *spec,
                                 uint64_t decoded)
{
    (void)state;
    (void)spec;
    return decoded == DT__SIZE_UNKNOWN ? decoded : decoded + 4;
}

static int sum_decode(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                      uint64_t expect, dt__bytes *out, const dt__codec_ctx *ctx)
{
    const sum_state *s = state;
    const char *name = sum_names[s->kind];
    const unsigned char *body;
    uint32_t stored, computed;
    int rc;

    (void)spec;
    if (in->len < 4)
        return dt__codec_fail(ctx, DT_EFORMAT, "%zu bytes are too few to hold a %s checksum",
                              in->len, name);
    if (expect != DT__SIZE_UNKNOWN && in->len - 4 != expect)
        return dt__codec_fail(ctx, DT_EFORMAT, "%zu bytes with a %s checksum, %" PRIu64
                              " are due before it", in->len, name, expect);
    body = s->at_end ? in->data : in->data + 4;
    stored = get_u32le(s->at_end ? in->data + in->len - 4 : in->data);
    computed = sum_of(s->kind, body, in->len - 4);
    if (stored != computed)
        return dt__codec_fail(ctx, DT_EFORMAT, "%s checksum mismatch: stored 0x%08" PRIx32
                              ", computed 0x%08" PRIx32 " (the data is damaged)", name, stored,
                              computed);
    rc = dt__codec_alloc(out, in->len - 4, name, ctx);
    if (rc < 0)
        return rc;
    if (out->len)
        memcpy(out->data, body, out->len);
    return DT_OK;
}

static int sum_encode(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                      dt__bytes *out, const dt__codec_ctx *ctx)
{
    const sum_state *s = state;
    int rc = dt__codec_alloc(out, (uint64_t)in->len + 4, sum_names[s->kind], ctx);

    (void)spec;
    if (rc < 0)
        return rc;
    memcpy(out->data + (s->at_end ? 0 : 4), in->data, in->len);
    put_u32le(s->at_end ? out->data + in->len : out->data, sum_of(s->kind, in->data, in->len));
    return DT_OK;
}

const dt__codec_class dt__codec_crc32c = {
    "crc32c", DT__CODEC_BYTES, crc32c_create, NULL, sum_encoded_size, sum_decode, sum_encode,
    free_state,
};
const dt__codec_class dt__codec_crc32 = {
    "crc32", DT__CODEC_BYTES, crc32_create, NULL, sum_encoded_size, sum_decode, sum_encode,
    free_state,
};
const dt__codec_class dt__codec_adler32 = {
    "adler32", DT__CODEC_BYTES, adler32_create, NULL, sum_encoded_size, sum_decode,
    sum_encode, free_state,
};

/* ------------------------------------------------------------------------ */
/* vlen-utf8: u32le count, then u32le length + UTF-8 bytes per element      */

static int vlen_create(void **state, const struct json_object *params,
                       const dt__array_spec *spec, const dt__codec_ctx *ctx)
{
    (void)state;
    (void)params;
    if (DT_TYPE_CLASS(spec->type) != DT_STRING)
        return dt__codec_fail(ctx, DT_EFORMAT, "codec vlen-utf8 is for strings only");
    return DT_OK;
}

static int vlen_decode(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                       uint64_t expect, dt__bytes *out, const dt__codec_ctx *ctx)
{
    uint64_t n;
    size_t at = 4, i;
    char **s;
    int rc;

    (void)state;
    (void)expect;
    rc = dt__spec_nelems(&n, spec);
    if (rc < 0)
        return dt__codec_fail(ctx, DT_ELIMIT, "vlen-utf8: the chunk's element count overflows");
    if (in->len < 4)
        return dt__codec_fail(ctx, DT_EFORMAT, "vlen-utf8: %zu bytes are too few for its "
                              "4-byte count", in->len);
    if (get_u32le(in->data) != n)
        return dt__codec_fail(ctx, DT_EFORMAT, "vlen-utf8: the chunk counts %" PRIu32
                              " strings, %" PRIu64 " are due", get_u32le(in->data), n);
    /* every element takes at least its 4-byte length */
    if (n > (in->len - 4) / 4)
        return dt__codec_fail(ctx, DT_EFORMAT, "vlen-utf8: %zu bytes cannot hold %" PRIu64
                              " strings", in->len, n);
    rc = dt__codec_alloc(out, n * sizeof(char *), "vlen-utf8", ctx);
    if (rc < 0)
        return rc;
    s = (char **)out->data;
    memset(s, 0, out->len);
    for (i = 0; i < n; i++) {
        uint32_t len;

        if (in->len - at < 4) {
            rc = dt__codec_fail(ctx, DT_EFORMAT, "vlen-utf8: string %zu of %" PRIu64 " is "
                                "cut off at byte %zu", i, n, at);
            break;
        }
        len = get_u32le(in->data + at);
        at += 4;
        if (len > in->len - at) {
            rc = dt__codec_fail(ctx, DT_EFORMAT, "vlen-utf8: string %zu declares %" PRIu32
                                " bytes, %zu are left", i, len, in->len - at);
            break;
        }
        if (memchr(in->data + at, 0, len) || !dt__utf8_valid((const char *)in->data + at, len)) {
            rc = dt__codec_fail(ctx, DT_EFORMAT, "vlen-utf8: string %zu is not valid UTF-8 "
                                "text", i);
            break;
        }
        s[i] = dt__strndup((const char *)in->data + at, len);
        if (!s[i]) {
            rc = DT_ENOMEM;
            break;
        }
        at += len;
    }
    if (rc < 0)
        dt__array_free(out, spec);
    return rc;
}

static int vlen_encode(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                       dt__bytes *out, const dt__codec_ctx *ctx)
{
    char *const *s = (char *const *)in->data;
    size_t n = in->len / sizeof(char *), at = 4;
    uint64_t total = 4;
    int rc;

    (void)state;
    (void)spec;
    if (n > UINT32_MAX)
        return dt__codec_fail(ctx, DT_ELIMIT, "vlen-utf8: %zu strings are too many", n);
    for (size_t i = 0; i < n; i++) {
        size_t len = s[i] ? strlen(s[i]) : 0;

        if (len > UINT32_MAX)
            return dt__codec_fail(ctx, DT_ELIMIT, "vlen-utf8: string %zu is too long", i);
        total += 4 + (uint64_t)len;
    }
    rc = dt__codec_alloc(out, total, "vlen-utf8", ctx);
    if (rc < 0)
        return rc;
    put_u32le(out->data, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        size_t len = s[i] ? strlen(s[i]) : 0;

        put_u32le(out->data + at, (uint32_t)len);
        if (len)
            memcpy(out->data + at + 4, s[i], len);
        at += 4 + len;
    }
    return DT_OK;
}

const dt__codec_class dt__codec_vlen_utf8 = {
    "vlen-utf8", DT__CODEC_SERIAL, vlen_create, NULL, NULL, vlen_decode, vlen_encode, NULL,
};

/* ------------------------------------------------------------------------ */
/* transpose: encoded shape B[i] = A[order[i]]                              */

typedef struct transpose_state {
    size_t ndim;
    size_t order[DT_MAX_RANK];
} transpose_state;

static int transpose_create(void **state, const struct json_object *params,
                            const dt__array_spec *spec, const dt__codec_ctx *ctx)
{
    struct json_object *o = NULL;
    transpose_state *s;
    unsigned char seen[DT_MAX_RANK] = {0};

    if (!params || !json_object_object_get_ex(params, "order", &o) || !o)
        return dt__codec_fail(ctx, DT_EFORMAT, "codec transpose: \"order\" is missing");
    s = dt__calloc(1, sizeof *s);
    if (!s)
        return DT_ENOMEM;
    s->ndim = spec->ndim;
    if (json_object_is_type(o, json_type_string)) {
        /* zarrita's early spellings: "C" is the identity, "F" reverses */
        const char *c = json_object_get_string(o);

        if (strcmp(c, "C") != 0 && strcmp(c, "F") != 0) {
            free(s);
            return dt__codec_fail(ctx, DT_EFORMAT, "codec transpose: \"order\" is \"%s\", "
                                  "not a permutation", c);
        }
        for (size_t i = 0; i < s->ndim; i++)
            s->order[i] = c[0] == 'C' ? i : s->ndim - 1 - i;
    } else if (json_object_is_type(o, json_type_array) &&
               json_object_array_length(o) == s->ndim) {
        for (size_t i = 0; i < s->ndim; i++) {
            struct json_object *e = json_object_array_get_idx(o, i);
            int64_t v = json_object_is_type(e, json_type_int) ? json_object_get_int64(e) : -1;

            if (v < 0 || (uint64_t)v >= s->ndim || seen[v]) {
                free(s);
                return dt__codec_fail(ctx, DT_EFORMAT, "codec transpose: \"order\" is not a "
                                      "permutation of 0..%zu",
                                      spec->ndim ? spec->ndim - 1 : 0);
            }
            seen[v] = 1;
            s->order[i] = (size_t)v;
        }
    } else {
        size_t got = json_object_is_type(o, json_type_array) ? json_object_array_length(o) : 0;

        free(s);
        return dt__codec_fail(ctx, DT_EFORMAT, "codec transpose: \"order\" has %zu entries "
                              "for %zu dimensions", got, spec->ndim);
    }
    *state = s;
    return DT_OK;
}

static void transpose_spec(const void *state, const dt__array_spec *in, dt__array_spec *out)
{
    const transpose_state *s = state;

    *out = *in;
    for (size_t i = 0; i < s->ndim; i++)
        out->shape[i] = in->shape[s->order[i]];
}

/* Copy between A (decoded, C order over spec) and B (encoded, C order
 * over the permuted shape). */
static int transpose_run(const transpose_state *s, const dt__array_spec *spec,
                         const dt__bytes *in, dt__bytes *out, const dt__codec_ctx *ctx,
                         int decode)
{
    uint64_t n, idx[DT_MAX_RANK] = {0}, bstride[DT_MAX_RANK], bshape[DT_MAX_RANK];
    size_t es = spec->elem_size;
    int rc = dt__spec_nelems(&n, spec);

    if (rc < 0)
        return dt__codec_fail(ctx, DT_ELIMIT, "transpose: the element count overflows");
    if (n > SIZE_MAX / es || in->len != n * es)
        return dt__codec_fail(ctx, DT_EFORMAT, "transpose: %zu bytes where %" PRIu64
                              " elements of %zu bytes are due", in->len, n, es);
    rc = dt__codec_alloc(out, in->len, "transpose", ctx);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < s->ndim; i++)
        bshape[i] = spec->shape[s->order[i]];
    for (size_t i = s->ndim; i-- > 0;)
        bstride[i] = i + 1 < s->ndim ? bstride[i + 1] * bshape[i + 1] : 1;
    /* walk A in C order; B's offset of A's index q is sum q[order[i]] * bstride[i] */
    for (uint64_t a = 0; a < n; a++) {
        uint64_t b = 0;

        for (size_t i = 0; i < s->ndim; i++)
            b += idx[s->order[i]] * bstride[i];
        if (decode)
            memcpy(out->data + a * es, in->data + b * es, es);
        else
            memcpy(out->data + b * es, in->data + a * es, es);
        for (size_t i = s->ndim; i-- > 0;) {
            if (++idx[i] < spec->shape[i])
                break;
            idx[i] = 0;
        }
    }
    return DT_OK;
}

static int transpose_decode(const void *state, const dt__array_spec *spec,
                            const dt__bytes *in, uint64_t expect, dt__bytes *out,
                            const dt__codec_ctx *ctx)
{
    (void)expect;
    return transpose_run(state, spec, in, out, ctx, 1);
}

static int transpose_encode(const void *state, const dt__array_spec *spec,
                            const dt__bytes *in, dt__bytes *out, const dt__codec_ctx *ctx)
{
    return transpose_run(state, spec, in, out, ctx, 0);
}

const dt__codec_class dt__codec_transpose = {
    "transpose", DT__CODEC_ARRAY, transpose_create, transpose_spec, NULL, transpose_decode,
    transpose_encode, free_state,
};

/* ------------------------------------------------------------------------ */
/* bytes: fixed-size elements in C order, in the given byte order            */

typedef struct bytes_state {
    int big;
} bytes_state;

static int bytes_create(void **state, const struct json_object *params,
                        const dt__array_spec *spec, const dt__codec_ctx *ctx)
{
    const char *endian = "little";
    bytes_state *s;
    int rc;

    if (DT_TYPE_CLASS(spec->type) == DT_STRING)
        return dt__codec_fail(ctx, DT_EFORMAT, "codec bytes cannot hold variable-length "
                              "strings (vlen-utf8 does)");
    /* the spec makes "endian" required for multi-byte types; readers are
     * lenient and take little-endian */
    rc = dt__param_string(params, "bytes", "endian", &endian, ctx);
    if (rc < 0)
        return rc;
    if (strcmp(endian, "little") != 0 && strcmp(endian, "big") != 0)
        return dt__codec_fail(ctx, DT_EFORMAT, "codec bytes: \"endian\" is \"%s\", not "
                              "little or big", endian);
    s = dt__calloc(1, sizeof *s);
    if (!s)
        return DT_ENOMEM;
    s->big = endian[0] == 'b';
    *state = s;
    return DT_OK;
}

static uint64_t bytes_encoded_size(const void *state, const dt__array_spec *spec,
                                   uint64_t decoded)
{
    uint64_t n, size;

    (void)state;
    (void)decoded;
    if (dt__spec_nelems(&n, spec) < 0 || dt__mul_u64(&size, n, spec->elem_size))
        return DT__SIZE_UNKNOWN;
    return size;
}

static int bytes_run(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                     dt__bytes *out, const dt__codec_ctx *ctx)
{
    const bytes_state *s = state;
    uint64_t due = bytes_encoded_size(state, spec, 0);
    int rc;

    if (due == DT__SIZE_UNKNOWN)
        return dt__codec_fail(ctx, DT_ELIMIT, "the chunk's size overflows 64 bits");
    if (in->len != due)
        return dt__codec_fail(ctx, DT_EFORMAT, "%zu bytes where %" PRIu64 " are due",
                              in->len, due);
    rc = dt__codec_alloc(out, due, "bytes", ctx);
    if (rc < 0)
        return rc;
    if (in->len)
        memcpy(out->data, in->data, in->len);
    if (s->big != HOST_BIG)
        dt__swap_units(out->data, out->len, dt__swap_unit(spec->type));
    return DT_OK;
}

static int bytes_decode(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                        uint64_t expect, dt__bytes *out, const dt__codec_ctx *ctx)
{
    (void)expect;
    return bytes_run(state, spec, in, out, ctx);
}

static int bytes_encode(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                        dt__bytes *out, const dt__codec_ctx *ctx)
{
    return bytes_run(state, spec, in, out, ctx);
}

int dt__codec_bytes_native(const dt__codec *c)
{
    const bytes_state *s;

    if (!c || c->cls != &dt__codec_bytes)
        return 0;
    s = c->state;
    return s->big == HOST_BIG || dt__swap_unit(c->spec.type) <= 1;
}

const dt__codec_class dt__codec_bytes = {
    "bytes", DT__CODEC_SERIAL, bytes_create, NULL, bytes_encoded_size, bytes_decode,
    bytes_encode, free_state,
};
