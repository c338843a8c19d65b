/* test_codecs.c: every codec of the registry: bytes numcodecs 0.11 wrote
 * decode to what numcodecs decodes (vectors below), encode/decode round
 * trips, chains, and damaged or oversized input refused with a message
 * that names the codec and the sizes, before any allocation. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "codec/codec.h"
#include "testutil.h"
#include "util.h"

static const dt__codec_ctx ctx = {"test.zarr", "/v", "chunk (0)", (uint64_t)1 << 30};

static dt__bytes unhex(const char *hex)
{
    dt__bytes b = {NULL, strlen(hex) / 2};

    b.data = malloc(b.len ? b.len : 1);
    ck_assert_ptr_nonnull(b.data);
    for (size_t i = 0; i < b.len; i++) {
        unsigned v;

        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        b.data[i] = (unsigned char)v;
    }
    return b;
}

static struct json_object *params_of(const char *json)
{
    struct json_object *o;

    if (!json)
        return NULL;
    o = json_tokener_parse(json);
    ck_assert_msg(o != NULL, "bad JSON in the test: %s", json);
    return o;
}

static dt__array_spec spec1(dt_type t, uint64_t n)
{
    dt__array_spec s;

    memset(&s, 0, sizeof s);
    s.type = t;
    s.elem_size = dt_type_size(t);
    s.ndim = 1;
    s.shape[0] = n;
    return s;
}

/* ---- numcodecs 0.11 vectors: int32 0..11 unless said ---- */

#define I32_0_11 "000000000100000002000000030000000400000005000000060000000700000008" \
                 "000000090000000a0000000b000000"
#define F64_LIN6 "00000000000000009a9999999999c93f9a9999999999d93f343333333333e33f9a99" \
                 "99999999e93f000000000000f03f"

static const struct {
    const char *codec, *params;
    const char *in, *out;
} vectors[] = {
    {"lz4", "{\"id\": \"lz4\", \"acceleration\": 1}",
     "30000000f021000000000100000002000000030000000400000005000000060000000700000008000000"
     "090000000a0000000b000000", I32_0_11},
    {"blosc", "{\"id\": \"blosc\", \"cname\": \"lz4\", \"clevel\": 5, \"shuffle\": 1}",
     "02013304300000003000000040000000" I32_0_11, I32_0_11},
    {"zlib", "{\"id\": \"zlib\", \"level\": 1}",
     "78010dc3870d00200003a0bad7ffff0a094952ac36bbc3e9727bbc3e3f04a80043", I32_0_11},
    {"bz2", "{\"id\": \"bz2\", \"level\": 1}",
     "425a6831314159265359ae2f967d000001c0007ff820002129180040d03437c87d59e26af37100385dc9"
     "14e14242b8be59f4", I32_0_11},
    {"zstd", "{\"id\": \"zstd\", \"level\": 1}",
     "28b52ffd2030810100000000000100000002000000030000000400000005000000060000000700000008"
     "000000090000000a0000000b000000", I32_0_11},
    {"shuffle", "{\"id\": \"shuffle\", \"elementsize\": 4}",
     "000102030405060708090a0b000000000000000000000000000000000000000000000000000000000000"
     "000000000000", I32_0_11},
    {"crc32", NULL, "510b52b6" I32_0_11, I32_0_11},
    {"adler32", NULL, "4300a804" I32_0_11, I32_0_11},
    {"delta", "{\"dtype\": \"<i4\", \"astype\": \"<i2\"}",
     "000001000100010001000100010001000100010001000100", I32_0_11},
    {"fixedscaleoffset",
     "{\"offset\": 0.5, \"scale\": 10, \"dtype\": \"<f8\", \"astype\": \"<i2\"}",
     "fbfffdffffff010003000500",
     "00000000000000009a9999999999c93f9a9999999999d93f333333333333e33f9a9999999999e93f0000"
     "00000000f03f"},
    {"quantize", "{\"digits\": 2, \"dtype\": \"<f8\", \"astype\": \"<f4\"}",
     "000000000000503e0000cc3e00001a3f00004c3f0000803f",
     "0000000000000000000000000000ca3f000000000080d93f000000000040e33f000000000080e93f0000"
     "00000000f03f"},
    /* numcodecs.* names reach the same classes (zarr-python 3 in v3) */
    {"numcodecs.shuffle", "{\"elementsize\": 4}",
     "000102030405060708090a0b000000000000000000000000000000000000000000000000000000000000"
     "000000000000", I32_0_11},
};

START_TEST(vector_row)
{
    const dt__codec_class *cls = dt__codec_find(vectors[_i].codec);
    struct json_object *p = params_of(vectors[_i].params);
    dt__array_spec spec = spec1(DT_INT32, 12);
    dt__bytes in = unhex(vectors[_i].in), want = unhex(vectors[_i].out), out;
    dt__codec *c = NULL;

    ck_assert_ptr_nonnull(cls);
    tu_assert_ok(dt__codec_new(&c, cls, p, &spec, &ctx));
    tu_assert_ok(dt__codec_decode(c, &in, want.len, &out, &ctx));
    ck_assert_uint_eq(out.len, want.len);
    ck_assert(memcmp(out.data, want.data, want.len) == 0);
    dt__bytes_free(&out);
    /* without knowing the size too */
    tu_assert_ok(dt__codec_decode(c, &in, DT__SIZE_UNKNOWN, &out, &ctx));
    ck_assert_uint_eq(out.len, want.len);
    dt__bytes_free(&out);
    dt__codec_free(c);
    json_object_put(p);
    dt__bytes_free(&in);
    dt__bytes_free(&want);
}
END_TEST

START_TEST(crc32c_check_value)
{
    /* RFC 3720 B.4 / the usual check value */
    ck_assert_uint_eq(dt__crc32c(0, "123456789", 9), 0xe3069283u);
    ck_assert_uint_eq(dt__crc32c(0, "", 0), 0);
    /* continuing a CRC over two parts gives the CRC of the whole */
    ck_assert_uint_eq(dt__crc32c(dt__crc32c(0, "1234", 4), "56789", 5), 0xe3069283u);
}
END_TEST

START_TEST(vlen_utf8_vector)
{
    dt__array_spec spec = spec1(DT_STRING, 3);
    dt__bytes in = unhex("0300000001000000610000000005000000636166c3a9"), out, back;
    dt__codec *c = NULL;
    char **s;

    tu_assert_ok(dt__codec_new(&c, &dt__codec_vlen_utf8, NULL, &spec, &ctx));
    tu_assert_ok(dt__codec_decode(c, &in, DT__SIZE_UNKNOWN, &out, &ctx));
    s = (char **)out.data;
    ck_assert_uint_eq(out.len, 3 * sizeof(char *));
    ck_assert_str_eq(s[0], "a");
    ck_assert_str_eq(s[1], "");
    ck_assert_str_eq(s[2], "caf\xc3\xa9");
    tu_assert_ok(dt__codec_encode(c, &out, &back, &ctx));
    ck_assert_uint_eq(back.len, in.len);
    ck_assert(memcmp(back.data, in.data, in.len) == 0);
    dt__bytes_free(&back);
    dt__array_free(&out, &spec);
    dt__codec_free(c);
    dt__bytes_free(&in);
}
END_TEST

/* ---- round trips through every encoder ---- */

static const struct {
    const char *codec, *params;
    dt_type type;
} trips[] = {
    {"zlib", "{\"level\": 6}", DT_INT32},
    {"gzip", "{\"level\": 5}", DT_INT32},
    {"zstd", "{\"level\": 3, \"checksum\": true}", DT_FLOAT64},
    {"blosc", "{\"cname\": \"zstd\", \"clevel\": 5, \"shuffle\": 2}", DT_INT16},
    {"blosc", "{\"cname\": \"blosclz\", \"clevel\": 9, \"shuffle\": \"shuffle\", "
              "\"typesize\": 4}", DT_INT32},
    {"blosc", "{\"cname\": \"zlib\", \"clevel\": 1, \"shuffle\": -1}", DT_UINT8},
    {"blosc", "{\"cname\": \"lz4hc\", \"shuffle\": \"noshuffle\"}", DT_INT64},
    {"bz2", "{\"level\": 9}", DT_INT32},
    {"lz4", NULL, DT_FLOAT32},
    {"shuffle", "{\"elementsize\": 8}", DT_FLOAT64},
    {"delta", "{\"dtype\": \"<i8\"}", DT_INT64},
    {"delta", "{\"dtype\": \">i4\", \"astype\": \">i4\"}", DT_INT32},
    {"crc32c", NULL, DT_UINT16},
    {"crc32c", "{\"location\": \"start\"}", DT_UINT16},
    {"crc32", NULL, DT_UINT8},
    {"adler32", "{\"location\": \"end\"}", DT_UINT8},
};

START_TEST(trip_row)
{
    const dt__codec_class *cls = dt__codec_find(trips[_i].codec);
    struct json_object *p = params_of(trips[_i].params);
    dt__array_spec spec = spec1(trips[_i].type, 1000);
    dt__bytes data, enc, dec;
    dt__codec *c = NULL;

    data.len = 1000 * spec.elem_size;
    data.data = malloc(data.len);
    ck_assert_ptr_nonnull(data.data);
    for (size_t i = 0; i < data.len; i++)
        data.data[i] = (unsigned char)((i * 7) % 13 + (i / 64));
    ck_assert_ptr_nonnull(cls);
    tu_assert_ok(dt__codec_new(&c, cls, p, &spec, &ctx));
    tu_assert_ok(dt__codec_encode(c, &data, &enc, &ctx));
    tu_assert_ok(dt__codec_decode(c, &enc, data.len, &dec, &ctx));
    ck_assert_uint_eq(dec.len, data.len);
    ck_assert(memcmp(dec.data, data.data, data.len) == 0);
    dt__bytes_free(&dec);
    dt__bytes_free(&enc);
    dt__bytes_free(&data);
    dt__codec_free(c);
    json_object_put(p);
}
END_TEST

/* ---- chains: transpose + bytes (big-endian) + gzip + crc32c ---- */

START_TEST(chain_transpose_bytes_gzip)
{
    dt__array_spec spec;
    dt__codec_chain ch;
    struct json_object *tp = params_of("{\"order\": [1, 0]}");
    struct json_object *bp = params_of("{\"endian\": \"big\"}");
    int32_t a[2][3] = {{1, 2, 3}, {4, 5, 6}};
    dt__bytes in = {(unsigned char *)a, sizeof a}, enc, dec, raw;

    memset(&spec, 0, sizeof spec);
    spec.type = DT_INT32;
    spec.elem_size = 4;
    spec.ndim = 2;
    spec.shape[0] = 2;
    spec.shape[1] = 3;
    dt__chain_init(&ch, &spec);
    tu_assert_ok(dt__chain_add(&ch, &dt__codec_transpose, tp, &ctx));
    tu_assert_ok(dt__chain_add(&ch, &dt__codec_bytes, bp, &ctx));
    tu_assert_ok(dt__chain_add(&ch, &dt__codec_gzip, NULL, &ctx));
    tu_assert_ok(dt__chain_add(&ch, &dt__codec_crc32c, NULL, &ctx));
    ck_assert_uint_eq(dt__chain_serial_spec(&ch)->shape[0], 3);
    /* the gzip stage knows it decodes to 24 bytes, crc32c to 24 + ... unknown */
    ck_assert_uint_eq(ch.bytes[0]->expect, 24);
    ck_assert(ch.bytes[1]->expect == DT__SIZE_UNKNOWN);
    tu_assert_ok(dt__chain_encode(&ch, &in, &enc, &ctx));
    /* the stored bytes: gzip of big-endian 1 4 2 5 3 6, then 4 CRC bytes */
    ck_assert_uint_eq(enc.data[0], 0x1f);
    tu_assert_ok(dt__chain_decode_bytes(&ch, &enc, &raw, &ctx));
    ck_assert_uint_eq(raw.len, 24);
    ck_assert_uint_eq(raw.data[3], 1);
    ck_assert_uint_eq(raw.data[7], 4);
    ck_assert_uint_eq(raw.data[11], 2);
    dt__bytes_free(&raw);
    tu_assert_ok(dt__chain_encode(&ch, &in, &enc, &ctx));
    tu_assert_ok(dt__chain_decode(&ch, &enc, &dec, &ctx));
    ck_assert_ptr_null(enc.data);
    ck_assert_uint_eq(dec.len, sizeof a);
    ck_assert(memcmp(dec.data, a, sizeof a) == 0);
    dt__bytes_free(&dec);
    dt__chain_clear(&ch);
    json_object_put(tp);
    json_object_put(bp);
}
END_TEST

static const struct {
    const char *first, *second; /* first NULL: the chain is empty */
    const char *want;
} bad_orders[] = {
    {NULL, "gzip", "bytes codec gzip comes before the array-to-bytes codec"},
    {"bytes", "transpose", "array codec transpose comes after the array-to-bytes codec bytes"},
    {"bytes", "vlen-utf8", "two array-to-bytes codecs: bytes and vlen-utf8"},
};

START_TEST(chain_order_row)
{
    dt__array_spec spec = spec1(DT_INT32, 4);
    dt__codec_chain ch;
    struct json_object *tp = params_of("{\"order\": [0]}");

    dt__chain_init(&ch, &spec);
    if (bad_orders[_i].first)
        tu_assert_ok(dt__chain_add(&ch, dt__codec_find(bad_orders[_i].first), tp, &ctx));
    tu_assert_rc(dt__chain_add(&ch, dt__codec_find(bad_orders[_i].second), tp, &ctx),
                 DT_EFORMAT, bad_orders[_i].want);
    dt__chain_clear(&ch);
    json_object_put(tp);
}
END_TEST

/* ---- damage and limits: refused with the sizes, before allocating ---- */

static const struct {
    const char *codec, *params, *in;
    uint64_t expect, limit;
    int code;
    const char *want;
} bad[] = {
    /* a zstd frame declaring 48 bytes where 52 are due */
    {"zstd", NULL, "28b52ffd2030810100000000000100000002000000030000000400000005000000060000"
                   "000700000008000000090000000a0000000b000000",
     52, 0, DT_EFORMAT, "test.zarr: /v: chunk (0): its zstd frame declares 48 bytes, 52 are due"},
    {"zstd", NULL, "00112233", DT__SIZE_UNKNOWN, 0, DT_EFORMAT, "not a valid zstd frame"},
    /* zlib: cut in half; whole but short of the size due; too long */
    {"zlib", NULL, "78010dc3870d00200003a0bad7ffff0a09", 48, 0, DT_EFORMAT,
     "the zlib stream is truncated"},
    {"zlib", NULL, "78010dc3870d00200003a0bad7ffff0a094952ac36bbc3e9727bbc3e3f04a80043", 64, 0,
     DT_EFORMAT, "the zlib stream decodes to 48 bytes, 64 are due"},
    {"zlib", NULL, "78010dc3870d00200003a0bad7ffff0a094952ac36bbc3e9727bbc3e3f04a80043", 32, 0,
     DT_EFORMAT, "the zlib stream decodes to more than the 32 bytes due"},
    {"zlib", NULL, "78010dc3870d00200003a0bad7ffff0a094952ac36bbc3e9727bbc3e3f04a80043",
     DT__SIZE_UNKNOWN, 40, DT_ELIMIT, "decodes to more than the limit of 40 bytes"},
    {"zlib", NULL, "0001020304", DT__SIZE_UNKNOWN, 0, DT_EFORMAT, "not a valid zlib stream"},
    {"gzip", NULL, "78010dc3870d00200003a0bad7ffff0a094952ac36bbc3e9727bbc3e3f04a80043", 48, 0,
     DT_EFORMAT, "not gzip data (no 1f 8b magic); it looks like a zlib stream"},
    {"blosc", NULL, "0201330430000000", 48, 0, DT_EFORMAT,
     "8 bytes are too few for a blosc frame"},
    {"blosc", NULL, "02013304300000003000000040000000" I32_0_11, 52, 0, DT_EFORMAT,
     "its blosc frame declares 48 bytes, 52 are due"},
    {"blosc", NULL, "02013304300000003000000050000000" I32_0_11, 48, 0, DT_EFORMAT,
     "it is 64 bytes, its blosc frame declares 80"},
    {"blosc", NULL, "02013304ffffff7f3000000040000000" I32_0_11, DT__SIZE_UNKNOWN, 1000,
     DT_ELIMIT, "blosc output of 2147483647 bytes is over the limit of 1000"},
    /* an lz4 header claiming 2 GiB: refused, never allocated */
    {"lz4", NULL, "00000080f0210000", DT__SIZE_UNKNOWN, 1 << 20, DT_ELIMIT,
     "over the limit of 1048576"},
    {"lz4", NULL, "30000000f02100", 48, 0, DT_EFORMAT, "the lz4 block is damaged or truncated"},
    {"lz4", NULL, "31000000f0210000", 48, 0, DT_EFORMAT,
     "its lz4 header declares 49 bytes, 48 are due"},
    {"bz2", NULL, "425a6831314159265359ae2f967d000001c0007ff820", 48, 0, DT_EFORMAT,
     "the bz2 stream"},
    {"bz2", NULL, "00112233", 48, 0, DT_EFORMAT, "not bzip2 data"},
    {"crc32c", NULL, "0102030405060708", DT__SIZE_UNKNOWN, 0, DT_EFORMAT,
     "crc32c checksum mismatch: stored 0x08070605"},
    {"crc32c", NULL, "010203", DT__SIZE_UNKNOWN, 0, DT_EFORMAT,
     "3 bytes are too few to hold a crc32c checksum"},
    {"shuffle", "{\"elementsize\": 4}", "0102030405", DT__SIZE_UNKNOWN, 0, DT_EFORMAT,
     "shuffle: 5 bytes are not a whole number of 4-byte elements"},
    {"delta", "{\"dtype\": \"<i4\", \"astype\": \"<i2\"}", "000001", DT__SIZE_UNKNOWN, 0,
     DT_EFORMAT, "delta: 3 bytes are not a whole number of 2-byte elements"},
    {"delta", "{\"dtype\": \"<i4\", \"astype\": \"<i2\"}", "00000100", 12, 0,
     DT_EFORMAT, "delta: 4 bytes hold 2 elements, 12 bytes are due"},
};

START_TEST(bad_row)
{
    const dt__codec_class *cls = dt__codec_find(bad[_i].codec);
    struct json_object *p = params_of(bad[_i].params);
    dt__array_spec spec = spec1(DT_INT32, 12);
    dt__codec_ctx c2 = ctx;
    dt__bytes in = unhex(bad[_i].in), out = {NULL, 0};
    dt__codec *c = NULL;

    if (bad[_i].limit)
        c2.max_alloc = bad[_i].limit;
    tu_assert_ok(dt__codec_new(&c, cls, p, &spec, &c2));
    tu_assert_rc(dt__codec_decode(c, &in, bad[_i].expect, &out, &c2), bad[_i].code,
                 bad[_i].want);
    ck_assert_ptr_null(out.data);
    dt__codec_free(c);
    json_object_put(p);
    dt__bytes_free(&in);
}
END_TEST

/* ---- serial and array codecs on wrong input ---- */

static const struct {
    const char *in;
    uint64_t n;
    const char *want;
} bad_vlen[] = {
    {"02000000", 3, "vlen-utf8: the chunk counts 2 strings, 3 are due"},
    {"0300000001000000", 3, "vlen-utf8: 8 bytes cannot hold 3 strings"},
    {"01000000ff000000", 1, "vlen-utf8: string 0 declares 255 bytes, 0 are left"},
    {"0100000002000000c328", 1, "vlen-utf8: string 0 is not valid UTF-8 text"},
    {"01000000020000006100", 1, "vlen-utf8: string 0 is not valid UTF-8 text"},
    {"01", 1, "vlen-utf8: 1 bytes are too few for its 4-byte count"},
};

START_TEST(bad_vlen_row)
{
    dt__array_spec spec = spec1(DT_STRING, bad_vlen[_i].n);
    dt__bytes in = unhex(bad_vlen[_i].in), out = {NULL, 0};
    dt__codec *c = NULL;

    tu_assert_ok(dt__codec_new(&c, &dt__codec_vlen_utf8, NULL, &spec, &ctx));
    tu_assert_rc(dt__codec_decode(c, &in, DT__SIZE_UNKNOWN, &out, &ctx), DT_EFORMAT,
                 bad_vlen[_i].want);
    ck_assert_ptr_null(out.data);
    dt__codec_free(c);
    dt__bytes_free(&in);
}
END_TEST

static const struct {
    const char *codec, *params;
    dt_type type;
    const char *want;
} bad_params[] = {
    {"transpose", "{\"order\": [0, 0]}", DT_INT32, "\"order\" is not a permutation of 0..1"},
    {"transpose", "{\"order\": [0]}", DT_INT32, "\"order\" has 1 entries for 2 dimensions"},
    {"transpose", "{}", DT_INT32, "codec transpose: \"order\" is missing"},
    {"bytes", "{\"endian\": \"middle\"}", DT_INT32, "\"endian\" is \"middle\", not little or big"},
    {"bytes", NULL, DT_STRING, "codec bytes cannot hold variable-length strings"},
    {"vlen-utf8", NULL, DT_INT32, "codec vlen-utf8 is for strings only"},
    {"blosc", "{\"shuffle\": \"sideways\"}", DT_INT32, "\"shuffle\" is \"sideways\""},
    {"blosc", "{\"clevel\": 12}", DT_INT32, "codec blosc: \"clevel\" is 12, outside 0..9"},
    {"zlib", "{\"level\": \"high\"}", DT_INT32, "codec zlib: \"level\" is string, not an integer"},
    {"delta", "{}", DT_INT32, "codec delta: \"dtype\" is missing"},
    {"delta", "{\"dtype\": \"|O\"}", DT_INT32, "\"dtype\" is \"|O\", not an integer"},
    {"crc32c", "{\"location\": \"middle\"}", DT_INT32, "\"location\" is \"middle\""},
};

START_TEST(bad_param_row)
{
    struct json_object *p = params_of(bad_params[_i].params);
    dt__array_spec spec = spec1(bad_params[_i].type, 4);
    dt__codec *c = NULL;

    spec.ndim = 2;
    spec.shape[1] = 2;
    tu_assert_rc(dt__codec_new(&c, dt__codec_find(bad_params[_i].codec), p, &spec, &ctx),
                 DT_EFORMAT, bad_params[_i].want);
    ck_assert_ptr_null(c);
    json_object_put(p);
}
END_TEST

START_TEST(bytes_size_due)
{
    dt__array_spec spec = spec1(DT_INT32, 8);
    dt__bytes in = unhex("000000000100000002000000"), out = {NULL, 0};
    dt__codec *c = NULL;

    tu_assert_ok(dt__codec_new(&c, &dt__codec_bytes, NULL, &spec, &ctx));
    tu_assert_rc(dt__codec_decode(c, &in, DT__SIZE_UNKNOWN, &out, &ctx), DT_EFORMAT,
                 "test.zarr: /v: chunk (0): 12 bytes where 32 are due");
    dt__codec_free(c);
    dt__bytes_free(&in);
}
END_TEST

/* ---- NumPy type strings ---- */

static const struct {
    const char *s;
    int code;
    dt_type type;
    int big;
    const char *want;
} npys[] = {
    {"<i4", DT_OK, DT_INT32, 0, NULL},
    {">u2", DT_OK, DT_UINT16, 1, NULL},
    {"|b1", DT_OK, DT_BOOL, 0, NULL},
    {"<f2", DT_OK, DT_FLOAT16, 0, NULL},
    {">c16", DT_OK, DT_COMPLEX128, 1, NULL},
    {"<M8[ns]", DT_OK, DT_INT64, 0, NULL},
    {"<m8[s]", DT_OK, DT_INT64, 0, NULL},
    {"|S5", DT_OK, DT_BYTES_N(5), 0, NULL},
    {"<U7", DT_OK, DT_UNICODE_N(7), 0, NULL},
    {"|O", DT_OK, DT_NONE, 0, NULL},
    {"|V8", DT_OK, DT_OPAQUE, 0, NULL},
    {"i4", DT_EFORMAT, DT_NONE, 0, "type \"i4\" has no byte order"},
    {"<i3", DT_EFORMAT, DT_NONE, 0, "\"<i3\" is not a NumPy type libdtree reads"},
    {"<x4", DT_EFORMAT, DT_NONE, 0, "\"<x4\" is not a NumPy type"},
    {"|S99999999999", DT_ELIMIT, DT_NONE, 0, "is 99999999999 bytes wide"},
    {"<", DT_EFORMAT, DT_NONE, 0, "is not a NumPy type string"},
};

START_TEST(npy_row)
{
    dt__npy t;

    tu_assert_rc(dt__npy_parse(&t, npys[_i].s), npys[_i].code, npys[_i].want);
    if (npys[_i].code == DT_OK) {
        ck_assert_uint_eq(t.type, npys[_i].type);
        ck_assert_int_eq(t.big_endian, npys[_i].big);
    }
}
END_TEST

START_TEST(registry_names)
{
    static const char *const names[] = {
        "bytes", "transpose", "vlen-utf8", "zlib", "gzip", "zstd", "blosc", "bz2", "lz4",
        "shuffle", "delta", "fixedscaleoffset", "quantize", "crc32c", "crc32", "adler32",
    };

    for (size_t i = 0; i < TU_NELEMS(names); i++) {
        ck_assert_ptr_nonnull(dt__codec_find(names[i]));
        ck_assert_str_eq(dt__codec_find(names[i])->name, names[i]);
    }
    ck_assert_ptr_null(dt__codec_find("nosuchcodec"));
    ck_assert_ptr_null(dt__codec_find("numcodecs."));
    ck_assert_ptr_null(dt__codec_find(NULL));
}
END_TEST

static Suite *codec_suite(void)
{
    Suite *s = suite_create("codec");
    TCase *tc = tcase_create("decode");

    tcase_add_loop_test(tc, vector_row, 0, TU_NELEMS(vectors));
    tcase_add_test(tc, crc32c_check_value);
    tcase_add_test(tc, vlen_utf8_vector);
    tcase_add_loop_test(tc, trip_row, 0, TU_NELEMS(trips));
    tcase_add_test(tc, chain_transpose_bytes_gzip);
    tcase_add_loop_test(tc, chain_order_row, 0, TU_NELEMS(bad_orders));
    tcase_add_test(tc, registry_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_loop_test(tc, bad_row, 0, TU_NELEMS(bad));
    tcase_add_loop_test(tc, bad_vlen_row, 0, TU_NELEMS(bad_vlen));
    tcase_add_loop_test(tc, bad_param_row, 0, TU_NELEMS(bad_params));
    tcase_add_test(tc, bytes_size_due);
    tcase_add_loop_test(tc, npy_row, 0, TU_NELEMS(npys));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(codec_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
