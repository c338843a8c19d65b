/* test_zarr.c: the Zarr reader: JSON parsing and fill values (exact 64-bit
 * integers, NaN spellings, hex floats, base64), stores written here through
 * the store API and read back (selections over chunks, F order, shards with
 * the index at either end, strings, fill for missing chunks), dimension and
 * phony naming across lazy groups, limits, and the errors damaged stores
 * must give. */
#include "config.h"

#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "codec/codec.h"
#include "io/zarr/zarr_internal.h"
#include "store/store.h"
#include "testutil.h"
#include "util.h"

/* ------------------------------------------------------------------------ */
/* JSON and fill values                                                     */

static struct json_object *parse(const char *text)
{
    dt_limits lim = DT_LIMITS_INIT;
    dt__bytes b = {(unsigned char *)text, strlen(text)};
    struct json_object *o = NULL;

    tu_assert_ok(dt__zj_parse(&o, &b, &lim, "t.zarr", "k"));
    return o;
}

static const struct {
    const char *json;
    dt_type type;
    const char *hex;     /* the element's native bytes, little-endian host */
    const char *want;    /* error text, or NULL */
} fills[] = {
    {"18446744073709551615", DT_UINT64, "ffffffffffffffff", NULL},
    {"-9223372036854775808", DT_INT64, "0000000000000080", NULL},
    {"18446744073709551616", DT_UINT64, NULL, "is not an integer for uint64"},
    {"-9223372036854775809", DT_INT64, NULL, "is not an integer for int64"},
    {"128", DT_INT8, NULL, "fill_value 128 is out of the range of int8"},
    {"-1", DT_UINT16, NULL, "fill_value -1 is out of the range of uint16"},
    {"\"NaT\"", DT_INT64, "0000000000000080", NULL},
    {"3.0", DT_INT32, "03000000", NULL},
    {"3.5", DT_INT32, NULL, "fill_value 3.5 is not an integer for int32"},
    {"true", DT_BOOL, "01", NULL},
    {"0", DT_BOOL, "00", NULL},
    {"\"yes\"", DT_BOOL, NULL, "fill_value is string, not a boolean"},
    {"\"NaN\"", DT_FLOAT32, "0000c07f", NULL},
    {"\"NaN\"", DT_FLOAT64, "000000000000f87f", NULL},
    {"\"NaN\"", DT_FLOAT16, "007e", NULL},
    {"\"Infinity\"", DT_FLOAT32, "0000807f", NULL},
    {"\"-Infinity\"", DT_FLOAT64, "000000000000f0ff", NULL},
    {"\"0x7fc00001\"", DT_FLOAT32, "0100c07f", NULL},
    {"\"0x7ff0000000000000\"", DT_FLOAT64, "000000000000f07f", NULL},
    {"\"0x7e00\"", DT_FLOAT16, "007e", NULL},
    {"\"0x7fc0\"", DT_FLOAT32, NULL, "has 4 hex digits, a float32 has 8"},
    {"\"0x7fcg0000\"", DT_FLOAT32, NULL, "is not hex"},
    {"\"big\"", DT_FLOAT64, NULL, "fill_value \"big\" is not a number"},
    {"0.1", DT_FLOAT32, "cdcccc3d", NULL},   /* rounded once, to float32 */
    {"-9999.5", DT_FLOAT64, "00000000c087c3c0", NULL},
    {"1", DT_FLOAT64, "000000000000f03f", NULL},
    {"[\"NaN\", \"Infinity\"]", DT_COMPLEX128, "000000000000f87f000000000000f07f", NULL},
    {"[1.0, 2.0]", DT_COMPLEX64, "0000803f00000040", NULL},
    {"[1.0]", DT_COMPLEX64, NULL, "a complex fill_value is a list of two numbers"},
    {"\"aGVsbG8=\"", DT_BYTES_N(5), "68656c6c6f", NULL},
    {"\"AAA=\"", DT_BYTES_N(5), "0000000000", NULL},
    {"\"\"", DT_BYTES_N(3), "000000", NULL},
    {"\"aGVsbG8gd29ybGQ=\"", DT_BYTES_N(5), NULL, "holds more than 5 bytes"},
    {"\"a*b\"", DT_BYTES_N(3), NULL, "not base64"},
    {"[1, 2, 255]", DT_BYTES_N(3), "0102ff", NULL},
    {"\"h\xc3\xa9\"", DT_UNICODE_N(3), "68000000e900000000000000", NULL},
    {"\"abcd\"", DT_UNICODE_N(3), NULL, "is longer than 3 characters"},
    {"null", DT_INT32, NULL, NULL},
};

static void hex_eq(const unsigned char *got, size_t n, const char *hex)
{
    ck_assert_uint_eq(strlen(hex), 2 * n);
    for (size_t i = 0; i < n; i++) {
        unsigned v;

        sscanf(hex + 2 * i, "%2x", &v);
        ck_assert_msg(got[i] == v, "byte %zu is %02x, expected %02x", i, got[i], v);
    }
}

START_TEST(fill_row)
{
    /* json-c holds JSON null as a NULL object */
    struct json_object *v = strcmp(fills[_i].json, "null") ? parse(fills[_i].json) : NULL;
    unsigned char *out = NULL;

    if (fills[_i].want) {
        tu_assert_rc(dt__zj_fill(v, fills[_i].type, &out), DT_EFORMAT, fills[_i].want);
        ck_assert_ptr_null(out);
    } else {
        tu_assert_ok(dt__zj_fill(v, fills[_i].type, &out));
        if (fills[_i].hex)
            hex_eq(out, dt_type_size(fills[_i].type), fills[_i].hex);
        else
            ck_assert_ptr_null(out);
    }
    free(out);
    json_object_put(v);
}
END_TEST

START_TEST(fill_strings)
{
    struct json_object *v = parse("\"\""), *z = parse("0");
    unsigned char *out = NULL;

    tu_assert_ok(dt__zj_fill(v, DT_STRING, &out));
    ck_assert_ptr_nonnull(out);
    ck_assert_str_eq(*(char **)out, "");
    free(*(char **)out);
    free(out);
    /* zarr-python 2 writes 0 for object arrays: no fill */
    tu_assert_ok(dt__zj_fill(z, DT_STRING, &out));
    ck_assert_ptr_null(out);
    json_object_put(v);
    json_object_put(z);
}
END_TEST

/* A big consolidated document parsed in pieces on a pool gives what the
 * plain parser gives, and the plain parser's errors when it is damaged. */
static char *big_doc(size_t members, const char *tail)
{
    dt__buf b;

    dt__buf_init(&b);
    dt__buf_puts(&b, "{\"zarr_consolidated_format\": 1, \"metadata\": {\n");
    for (size_t i = 0; i < members; i++)
        dt__buf_printf(&b, "%s  \"g%zu/.zarray\": {\"shape\": [%zu, 18446744073709551616],"
                       " \"name\": \"a \\\"quoted\\\" {not} [json]\", \"nested\": {\"x\": "
                       "[1, 2.5, null, true, {\"y\": \"\\u00e9\"}]}}",
                       i ? ",\n" : "", i % 50, i);
    dt__buf_printf(&b, "\n}, \"after\": [1, 2]%s", tail);
    return dt__buf_take(&b);
}

START_TEST(split_parse)
{
    static const char *const path[] = {"metadata", NULL};
    static const struct {
        const char *tail;
        const char *err;
    } rows[] = {
        {"}\n\n", NULL},
        {"} x", "not valid JSON: text after the document"},
        {"", "the document ends early"},
    };
    dt_limits lim = DT_LIMITS_INIT;
    dt__pool *pool = NULL;

    tu_assert_ok(dt__pool_new(&pool, 4));
    for (size_t r = 0; r < TU_NELEMS(rows); r++) {
        char *text = big_doc(9000, rows[r].tail);
        dt__bytes b = {(unsigned char *)text, strlen(text)};
        struct json_object *plain = NULL, *split = NULL;

        ck_assert_uint_gt(b.len, (size_t)1 << 20);
        if (rows[r].err) {
            tu_assert_rc(dt__zj_parse_split(&split, &b, &lim, "s", "k", path, pool),
                         DT_EFORMAT, rows[r].err);
            ck_assert_ptr_null(split);
        } else {
            tu_assert_ok(dt__zj_parse(&plain, &b, &lim, "s", "k"));
            tu_assert_ok(dt__zj_parse_split(&split, &b, &lim, "s", "k", path, pool));
            ck_assert(json_object_equal(plain, split));
            /* 50 distinct keys: later members replaced earlier ones alike */
            ck_assert_int_eq(json_object_object_length(dt__zj_get(split, "metadata")), 50);
        }
        json_object_put(plain);
        json_object_put(split);
        free(text);
    }
    /* the depth limit holds inside the pieces as in the whole document */
    {
        char *text = big_doc(9000, "}");
        dt__bytes b = {(unsigned char *)text, strlen(text)};
        int accepted = 0;

        for (uint32_t d = 3; d <= 9; d++) {
            struct json_object *o = NULL, *p = NULL;
            int rc_plain, rc_split;

            lim.max_depth = d;
            rc_plain = dt__zj_parse(&p, &b, &lim, "s", "k");
            rc_split = dt__zj_parse_split(&o, &b, &lim, "s", "k", path, pool);
            ck_assert_int_eq(rc_split, rc_plain);
            if (rc_plain == DT_OK)
                ck_assert(json_object_equal(o, p));
            accepted += rc_plain == DT_OK;
            json_object_put(o);
            json_object_put(p);
        }
        ck_assert_int_gt(accepted, 0);
        ck_assert_int_lt(accepted, 7);
        free(text);
    }
    dt__pool_free(pool);
}
END_TEST

START_TEST(exact_integers)
{
    struct json_object *o = parse("[18446744073709551615, -9223372036854775808, "
                                  "18446744073709551616, 9223372036854775807]");
    uint64_t u;
    int64_t i;

    ck_assert(dt__zj_u64(json_object_array_get_idx(o, 0), &u));
    ck_assert(u == UINT64_MAX);
    ck_assert(!dt__zj_i64(json_object_array_get_idx(o, 0), &i));
    ck_assert(dt__zj_i64(json_object_array_get_idx(o, 1), &i));
    ck_assert(i == INT64_MIN);
    ck_assert(!dt__zj_u64(json_object_array_get_idx(o, 1), &u));
    /* 2^64 is not clamped to a valid uint64: it stays a (double) number */
    ck_assert(json_object_is_type(json_object_array_get_idx(o, 2), json_type_double));
    ck_assert(!dt__zj_u64(json_object_array_get_idx(o, 2), &u));
    ck_assert(dt__zj_i64(json_object_array_get_idx(o, 3), &i));
    ck_assert(i == INT64_MAX);
    json_object_put(o);
}
END_TEST

static const struct {
    const char *text;
    unsigned depth;
    int code;
    const char *want;
} bad_json[] = {
    {"{\"a\": 1", 64, DT_EFORMAT, "t.zarr: k: not valid JSON: the document ends early"},
    {"{\"a\": 1} x", 64, DT_EFORMAT, "text after the document at byte 9"},
    {"[[[[1]]]]", 3, DT_ELIMIT, "the JSON nests deeper than 3 levels"},
    {"{\"a\" 1}", 64, DT_EFORMAT, "not valid JSON"},
    {"\"\xff\"", 64, DT_EFORMAT, "not valid JSON"},
};

START_TEST(bad_json_row)
{
    dt_limits lim = DT_LIMITS_INIT;
    dt__bytes b = {(unsigned char *)bad_json[_i].text, strlen(bad_json[_i].text)};
    struct json_object *o = NULL;

    lim.max_depth = bad_json[_i].depth;
    tu_assert_rc(dt__zj_parse(&o, &b, &lim, "t.zarr", "k"), bad_json[_i].code,
                 bad_json[_i].want);
    ck_assert_ptr_null(o);
}
END_TEST

START_TEST(nul_in_json)
{
    dt_limits lim = DT_LIMITS_INIT;
    dt__bytes b = {(unsigned char *)"{\"a\":\0}", 7};
    struct json_object *o = NULL;

    tu_assert_rc(dt__zj_parse(&o, &b, &lim, "t.zarr", "k"), DT_EFORMAT, "a NUL byte at byte 5");
}
END_TEST

/* Documents the tests share. */
#define V3G "{\"zarr_format\": 3, \"node_type\": \"group\"}"
#define V3G_TEXT V3G
#define V3A_TEXT V3A("")
#define V3A(extra) "{\"zarr_format\": 3, \"node_type\": \"array\", \"shape\": [4], " \
    "\"data_type\": \"int32\", \"chunk_grid\": {\"name\": \"regular\", \"configuration\": " \
    "{\"chunk_shape\": [4]}}, \"chunk_key_encoding\": {\"name\": \"default\"}, " \
    "\"fill_value\": 0, \"codecs\": [{\"name\": \"bytes\"}]" extra "}"
#define V2A(extra) "{\"zarr_format\": 2, \"shape\": [4], \"chunks\": [4], \"dtype\": \"<i4\"," \
    " \"compressor\": null, \"fill_value\": 0, \"order\": \"C\", \"filters\": null" extra "}"

/* ------------------------------------------------------------------------ */
/* Stores written here                                                      */

typedef struct fx {
    char *dir, *path;
    dt__store *s;
} fx;

static void fx_open(fx *f)
{
    f->dir = tu_tmpdir("zarr");
    f->path = dt__aprintf("%s/s.zarr", f->dir);
    ck_assert_ptr_nonnull(f->path);
    tu_assert_ok(dt__store_dir_open(&f->s, f->path, NULL, 1));
}

static void fx_close(fx *f)
{
    dt__store_close(f->s);
    tu_rmtree(f->dir);
    free(f->dir);
    free(f->path);
}

static void put(const fx *f, const char *key, const char *text)
{
    tu_assert_ok(dt__store_set(f->s, key, text, strlen(text)));
}

static void put_bytes(const fx *f, const char *key, const void *data, size_t n)
{
    tu_assert_ok(dt__store_set(f->s, key, data, n));
}

/* Decoding threads of the selection tests: _i of their loop. */
static const unsigned thread_counts[] = {1, 4};

static dt_tree *open_threads(const fx *f, unsigned threads)
{
    dt_open_opts o = DT_OPEN_OPTS_INIT;
    dt_tree *t = NULL;

    o.threads = threads;
    tu_assert_ok(dt_tree_open(&t, f->path, &o));
    tu_assert_ok(dt_node_load_all(dt_tree_root(t)));
    return t;
}

static dt_tree *open_ok(const fx *f)
{
    return open_threads(f, 0);
}

/* The int32 values of the test arrays: row * 100 + column. */
static int32_t val2(uint64_t i, uint64_t j)
{
    return (int32_t)(i * 100 + j);
}

/* One chunk [ci, cj] of a [rows, cols] array in chunks [cr, cc], as int32
 * in C or F order (overhang: -7). */
static void chunk_values(int32_t *out, uint64_t rows, uint64_t cols, uint64_t cr,
                         uint64_t cc, uint64_t ci, uint64_t cj, int f_order)
{
    for (uint64_t a = 0; a < cr; a++) {
        for (uint64_t b = 0; b < cc; b++) {
            uint64_t i = ci * cr + a, j = cj * cc + b;
            int32_t v = i < rows && j < cols ? val2(i, j) : -7;

            out[f_order ? b * cr + a : a * cc + b] = v;
        }
    }
}

static void encode(const char *codec, const void *data, size_t n, dt__bytes *out)
{
    dt__array_spec spec;
    dt__codec *c = NULL;
    dt__codec_ctx ctx = {"t", "/", "", (uint64_t)1 << 30};
    dt__bytes in = {(unsigned char *)data, n};

    memset(&spec, 0, sizeof spec);
    spec.type = DT_INT32;
    spec.elem_size = 4;
    spec.ndim = 1;
    spec.shape[0] = n / 4;
    tu_assert_ok(dt__codec_new(&c, dt__codec_find(codec), NULL, &spec, &ctx));
    tu_assert_ok(dt__codec_encode(c, &in, out, &ctx));
    dt__codec_free(c);
}

/* Read var[start:start+count*stride:stride] as int32 and compare with
 * val2 (or fill where the test left chunks out). */
typedef int32_t (*expect_fn)(uint64_t i, uint64_t j);

static void check_slab(const dt_var *v, const uint64_t *start, const uint64_t *count,
                       const uint64_t *stride, expect_fn want)
{
    dt_slab slab = {2, start, count, stride};
    size_t n = (size_t)(count[0] * count[1]);
    int32_t *buf = calloc(n ? n : 1, sizeof *buf);

    ck_assert_ptr_nonnull(buf);
    tu_assert_ok(dt_var_read(v, &slab, DT_INT32, buf, n * sizeof *buf));
    for (uint64_t a = 0; a < count[0]; a++) {
        for (uint64_t b = 0; b < count[1]; b++) {
            uint64_t i = start[0] + a * stride[0], j = start[1] + b * stride[1];

            ck_assert_msg(buf[a * count[1] + b] == want(i, j),
                          "[%" PRIu64 ", %" PRIu64 "] is %d, expected %d", i, j,
                          buf[a * count[1] + b], want(i, j));
        }
    }
    free(buf);
}

/* Selections over a [7, 11] array: whole, strided, one row, one column,
 * a corner, strides larger than a chunk. */
static const struct {
    uint64_t start[2], count[2], stride[2];
} slabs[] = {
    {{0, 0}, {7, 11}, {1, 1}},
    {{1, 2}, {3, 3}, {2, 3}},
    {{6, 0}, {1, 11}, {1, 1}},
    {{0, 10}, {7, 1}, {1, 1}},
    {{5, 9}, {2, 2}, {1, 1}},
    {{0, 0}, {2, 2}, {5, 7}},
    {{0, 0}, {4, 6}, {2, 2}},
    {{1, 1}, {2, 5}, {3, 2}},
    {{3, 4}, {0, 3}, {1, 1}},
};

/* ---- v2: C and F order, '.' and '/' separators, a missing chunk ---- */

static int32_t v2_expect(uint64_t i, uint64_t j)
{
    /* chunk (1, 2) was never written: fill -1 */
    return i / 3 == 1 && j / 4 == 2 ? -1 : val2(i, j);
}

static void write_v2_array(const fx *f, const char *name, int f_order, const char *sep)
{
    char key[128], meta[512];

    snprintf(key, sizeof key, "%s/.zarray", name);
    snprintf(meta, sizeof meta,
             "{\"zarr_format\": 2, \"shape\": [7, 11], \"chunks\": [3, 4], \"dtype\": \"<i4\","
             " \"compressor\": {\"id\": \"zlib\", \"level\": 1}, \"fill_value\": -1,"
             " \"order\": \"%s\", \"filters\": null%s%s%s}",
             f_order ? "F" : "C", sep ? ", \"dimension_separator\": \"" : "", sep ? sep : "",
             sep ? "\"" : "");
    put(f, key, meta);
    snprintf(key, sizeof key, "%s/.zattrs", name);
    put(f, key, "{\"_ARRAY_DIMENSIONS\": [\"y\", \"x\"], \"units\": \"m\"}");
    for (uint64_t ci = 0; ci < 3; ci++) {
        for (uint64_t cj = 0; cj < 3; cj++) {
            int32_t c[12];
            dt__bytes z;

            if (ci == 1 && cj == 2)
                continue;
            chunk_values(c, 7, 11, 3, 4, ci, cj, f_order);
            encode("zlib", c, sizeof c, &z);
            snprintf(key, sizeof key, "%s/%" PRIu64 "%s%" PRIu64, name, ci,
                     sep && sep[0] == '/' ? "/" : ".", cj);
            put_bytes(f, key, z.data, z.len);
            dt__bytes_free(&z);
        }
    }
}

START_TEST(v2_selections)
{
    static const char *const names[] = {"c_dot", "f_dot", "c_slash", "nested"};
    fx f;
    dt_tree *t;

    fx_open(&f);
    put(&f, ".zgroup", "{\"zarr_format\": 2}");
    write_v2_array(&f, "c_dot", 0, ".");
    write_v2_array(&f, "f_dot", 1, NULL);
    write_v2_array(&f, "c_slash", 0, "/");
    /* nested keys with no separator named (an old NestedDirectoryStore) */
    write_v2_array(&f, "nested", 0, "/");
    {
        char meta[] = "{\"zarr_format\": 2, \"shape\": [7, 11], \"chunks\": [3, 4], "
                      "\"dtype\": \"<i4\", \"compressor\": {\"id\": \"zlib\"}, "
                      "\"fill_value\": -1, \"order\": \"C\", \"filters\": null}";

        put(&f, "nested/.zarray", meta);
    }
    t = open_threads(&f, thread_counts[_i]);
    for (size_t k = 0; k < TU_NELEMS(names); k++) {
        dt_var *v = tu_var(t, names[k]);

        ck_assert_str_eq(dt_var_dim(v, 0), "y");
        ck_assert_uint_eq(dt_var_chunks(v)[1], 4);
        for (size_t r = 0; r < TU_NELEMS(slabs); r++)
            check_slab(v, slabs[r].start, slabs[r].count, slabs[r].stride, v2_expect);
    }
    dt_tree_free(t);
    fx_close(&f);
}
END_TEST

/* ---- v3 sharding: index at the end (crc32c) or start, missing inner ---- */

static int32_t shard_expect(uint64_t i, uint64_t j)
{
    /* shard (1, 0)'s inner chunk (1, 1) is missing: rows 6..7, cols 3..5 */
    if (i >= 6 && j >= 3 && j < 6)
        return -1;
    /* shard (1, 1) was never written */
    if (i >= 4 && j >= 6)
        return -1;
    return val2(i, j);
}

/* A shard [4, 6] of inner chunks [2, 3] of the [7, 11] array, inner codec
 * bytes (+ gzip when gz), index at the end (with crc) or the start; inner
 * chunk `skip` (C order, -1: none) left out; `garbage`: inner chunk that
 * holds bytes no codec decodes. */
static void put_shard(const fx *f, const char *key, uint64_t si, uint64_t sj, int at_start,
                      int crc, int gz, int skip, int garbage)
{
    unsigned char data[4096], index[4 * 16 + 4];
    size_t len = 0, ilen = 4 * 16 + (crc ? 4 : 0), base = at_start ? ilen : 0;
    unsigned char shard[8192];

    for (int c = 0; c < 4; c++) {
        uint64_t off = UINT64_MAX, n = UINT64_MAX;

        if (c != skip) {
            int32_t v[6];
            dt__bytes z = {NULL, 0};

            chunk_values(v, 7, 11, 2, 3, si * 2 + (uint64_t)c / 2, sj * 2 + (uint64_t)c % 2, 0);
            if (c == garbage) {
                memcpy(data + len, "not gzip at all!", 16);
                n = 16;
            } else if (gz) {
                encode("gzip", v, sizeof v, &z);
                memcpy(data + len, z.data, z.len);
                n = z.len;
                dt__bytes_free(&z);
            } else {
                memcpy(data + len, v, sizeof v);
                n = sizeof v;
            }
            off = base + len;
            len += (size_t)n;
        }
        for (int b = 0; b < 8; b++) {
            index[16 * c + b] = (unsigned char)(off >> (8 * b));
            index[16 * c + 8 + b] = (unsigned char)(n >> (8 * b));
        }
    }
    if (crc) {
        uint32_t sum = dt__crc32c(0, index, 64);

        for (int b = 0; b < 4; b++)
            index[64 + b] = (unsigned char)(sum >> (8 * b));
    }
    if (at_start) {
        memcpy(shard, index, ilen);
        memcpy(shard + ilen, data, len);
    } else {
        memcpy(shard, data, len);
        memcpy(shard + len, index, ilen);
    }
    put_bytes(f, key, shard, len + ilen);
}

static void write_sharded(const fx *f, const char *name, int at_start, int crc, int gz)
{
    char key[128], meta[1024];

    snprintf(key, sizeof key, "%s/zarr.json", name);
    snprintf(meta, sizeof meta,
             "{\"zarr_format\": 3, \"node_type\": \"array\", \"shape\": [7, 11],"
             " \"data_type\": \"int32\", \"chunk_grid\": {\"name\": \"regular\","
             " \"configuration\": {\"chunk_shape\": [4, 6]}},"
             " \"chunk_key_encoding\": {\"name\": \"default\"}, \"fill_value\": -1,"
             " \"codecs\": [{\"name\": \"sharding_indexed\", \"configuration\": {"
             " \"chunk_shape\": [2, 3], \"codecs\": [{\"name\": \"bytes\","
             " \"configuration\": {\"endian\": \"little\"}}%s],"
             " \"index_codecs\": [{\"name\": \"bytes\", \"configuration\": {\"endian\":"
             " \"little\"}}%s], \"index_location\": \"%s\"}}],"
             " \"dimension_names\": [\"y\", \"x\"]}",
             gz ? ", {\"name\": \"gzip\", \"configuration\": {\"level\": 5}}" : "",
             crc ? ", {\"name\": \"crc32c\"}" : "", at_start ? "start" : "end");
    put(f, key, meta);
    snprintf(key, sizeof key, "%s/c/0/0", name);
    put_shard(f, key, 0, 0, at_start, crc, gz, -1, -1);
    snprintf(key, sizeof key, "%s/c/0/1", name);
    put_shard(f, key, 0, 1, at_start, crc, gz, -1, -1);
    snprintf(key, sizeof key, "%s/c/1/0", name);
    put_shard(f, key, 1, 0, at_start, crc, gz, 3, -1);
}

START_TEST(v3_sharded_selections)
{
    static const char *const names[] = {"end_crc", "start", "end_gzip"};
    fx f;
    dt_tree *t;

    fx_open(&f);
    put(&f, "zarr.json", "{\"zarr_format\": 3, \"node_type\": \"group\"}");
    write_sharded(&f, "end_crc", 0, 1, 0);
    write_sharded(&f, "start", 1, 0, 0);
    write_sharded(&f, "end_gzip", 0, 1, 1);
    t = open_threads(&f, thread_counts[_i]);
    for (size_t k = 0; k < TU_NELEMS(names); k++) {
        dt_var *v = tu_var(t, names[k]);

        ck_assert_uint_eq(dt_var_chunks(v)[0], 4);
        ck_assert_uint_eq(dt__var_inner_chunks(v)[1], 3);
        for (size_t r = 0; r < TU_NELEMS(slabs); r++)
            check_slab(v, slabs[r].start, slabs[r].count, slabs[r].stride, shard_expect);
    }
    dt_tree_free(t);
    fx_close(&f);
}
END_TEST

/* A read of part of a shard decodes only the inner chunks it touches: a
 * damaged inner chunk elsewhere in the shard does not matter until read. */
START_TEST(v3_shard_partial_read)
{
    uint64_t start[2] = {0, 0}, count[2] = {2, 3}, stride[2] = {1, 1};
    uint64_t start2[2] = {2, 3};
    int32_t buf[6];
    dt_slab bad = {2, start2, count, stride};
    fx f;
    dt_tree *t;
    dt_var *v;

    fx_open(&f);
    put(&f, "zarr.json", "{\"zarr_format\": 3, \"node_type\": \"group\"}");
    write_sharded(&f, "a", 0, 1, 1);
    /* shard (0, 0) again, its inner chunk 3 (rows 2..3, cols 3..5) damaged */
    put_shard(&f, "a/c/0/0", 0, 0, 0, 1, 1, -1, 3);
    t = open_ok(&f);
    v = tu_var(t, "/a");
    check_slab(v, start, count, stride, shard_expect);
    tu_assert_rc(dt_var_read(v, &bad, DT_INT32, buf, sizeof buf), DT_EFORMAT,
                 "s.zarr: /a: shard a/c/0/0, inner chunk (1, 1): not gzip data");
    dt_tree_free(t);
    fx_close(&f);
}
END_TEST

/* ---- what a read fetches: each chunk once, a shard's index and only the
 * inner chunks the selection touches ---- */

/* A store that passes every call to another and logs the gets. */
#define CS_MAX 256

typedef struct cs_get {
    char key[64];
    uint64_t offset, length;
    unsigned flags;
    int rc;
} cs_get;

typedef struct counting_store {
    dt__store base;
    dt__store *inner;
    pthread_mutex_t lock;
    cs_get log[CS_MAX];
    size_t n;
} counting_store;

static int cs_get_op(dt__store *s, const char *key, uint64_t offset, uint64_t length,
                     unsigned flags, dt__bytes *out, uint64_t *total)
{
    counting_store *c = (counting_store *)s;
    int rc = c->inner->ops->get(c->inner, key, offset, length, flags, out, total);

    pthread_mutex_lock(&c->lock);
    ck_assert_uint_lt(c->n, CS_MAX);
    snprintf(c->log[c->n].key, sizeof c->log[c->n].key, "%s", key);
    c->log[c->n].offset = offset;
    c->log[c->n].length = length;
    c->log[c->n].flags = flags;
    c->log[c->n].rc = rc;
    c->n++;
    pthread_mutex_unlock(&c->lock);
    return rc;
}

static int cs_list(dt__store *s, const char *prefix, dt__keylist *out)
{
    counting_store *c = (counting_store *)s;

    return c->inner->ops->list(c->inner, prefix, out);
}

static void cs_close(dt__store *s)
{
    counting_store *c = (counting_store *)s;

    dt__store_close(c->inner);
    pthread_mutex_destroy(&c->lock);
    free(c->base.name);
    free(c);
}

static const dt__store_ops cs_ops = {1, "counting", cs_get_op, NULL, NULL, cs_list, cs_close};

/* A counting store over the fixture's directory, opened as a tree with
 * `threads` decoding threads; *cs stays valid until the tree is freed. */
static dt_tree *open_counting(const fx *f, unsigned threads, counting_store **cs)
{
    dt_open_opts o = DT_OPEN_OPTS_INIT;
    counting_store *c = calloc(1, sizeof *c);
    dt_tree *t = NULL;

    ck_assert_ptr_nonnull(c);
    tu_assert_ok(dt__store_dir_open(&c->inner, f->path, NULL, 0));
    c->base.ops = &cs_ops;
    c->base.name = dt__strdup(f->path);
    c->base.limits = c->inner->limits;
    pthread_mutex_init(&c->lock, NULL);
    o.threads = threads;
    tu_assert_ok(dt__zarr_open_store(&t, &c->base, DT_FORMAT_AUTO, &o));
    tu_assert_ok(dt_node_load_all(dt_tree_root(t)));
    *cs = c;
    return t;
}

/* Gets of key (with the same range) so far. */
static size_t cs_count(counting_store *c, const char *key, uint64_t offset, uint64_t length,
                       unsigned flags)
{
    size_t n = 0;

    for (size_t i = 0; i < c->n; i++)
        n += strcmp(c->log[i].key, key) == 0 && c->log[i].offset == offset &&
             c->log[i].length == length && c->log[i].flags == flags;
    return n;
}

static size_t cs_count_key(counting_store *c, const char *key)
{
    size_t n = 0;

    for (size_t i = 0; i < c->n; i++)
        n += strcmp(c->log[i].key, key) == 0;
    return n;
}

START_TEST(fetch_each_chunk_once)
{
    static const uint64_t all_start[2] = {0, 0}, all_count[2] = {7, 11}, one[2] = {1, 1};
    static const uint64_t st[2] = {1, 2}, sc[2] = {3, 3}, ss[2] = {2, 3};
    counting_store *c;
    char key[64];
    fx f;
    dt_tree *t;

    fx_open(&f);
    put(&f, ".zgroup", "{\"zarr_format\": 2}");
    write_v2_array(&f, "a", 0, ".");
    t = open_counting(&f, thread_counts[_i], &c);
    c->n = 0;
    check_slab(tu_var(t, "/a"), all_start, all_count, one, v2_expect);
    /* 3 x 3 chunks, (1, 2) missing: 9 gets, each key once, whole */
    ck_assert_uint_eq(c->n, 9);
    for (int ci = 0; ci < 3; ci++) {
        for (int cj = 0; cj < 3; cj++) {
            snprintf(key, sizeof key, "a/%d.%d", ci, cj);
            ck_assert_uint_eq(cs_count(c, key, 0, UINT64_MAX, 0), 1);
        }
    }
    /* rows 1, 3, 5 and columns 2, 5, 8: chunks rows 0..1 x cols 0..2 */
    c->n = 0;
    check_slab(tu_var(t, "/a"), st, sc, ss, v2_expect);
    ck_assert_uint_eq(c->n, 6);
    for (int ci = 0; ci < 2; ci++) {
        for (int cj = 0; cj < 3; cj++) {
            snprintf(key, sizeof key, "a/%d.%d", ci, cj);
            ck_assert_uint_eq(cs_count_key(c, key), 1);
        }
    }
    dt_tree_free(t);
    fx_close(&f);
}
END_TEST

START_TEST(fetch_shard_parts)
{
    static const uint64_t all_start[2] = {0, 0}, all_count[2] = {7, 11}, one[2] = {1, 1};
    static const uint64_t corner[2] = {2, 3}, row_start[2] = {5, 0}, row_count[2] = {1, 11};
    static const char *const shards[] = {"a/c/0/0", "a/c/0/1", "a/c/1/0"};
    const uint64_t index_bytes = 4 * 16 + 4;
    counting_store *c;
    fx f;
    dt_tree *t;

    fx_open(&f);
    put(&f, "zarr.json", "{\"zarr_format\": 3, \"node_type\": \"group\"}");
    write_sharded(&f, "a", 0, 1, 1);
    t = open_counting(&f, thread_counts[_i], &c);
    c->n = 0;
    check_slab(tu_var(t, "/a"), all_start, all_count, one, shard_expect);
    /* each written shard: its index (a suffix range) once, then each of its
     * inner chunks once by range, never the whole shard; shard (1, 1) was
     * never written: one failed index get; inner chunk 3 of shard (1, 0)
     * is missing: not fetched */
    for (size_t k = 0; k < TU_NELEMS(shards); k++) {
        ck_assert_uint_eq(cs_count(c, shards[k], 0, index_bytes, DT__STORE_SUFFIX), 1);
        ck_assert_uint_eq(cs_count(c, shards[k], 0, UINT64_MAX, 0), 0);
        ck_assert_uint_eq(cs_count_key(c, shards[k]), 1 + (k == 2 ? 3 : 4));
    }
    ck_assert_uint_eq(cs_count_key(c, "a/c/1/1"), 1);
    ck_assert_uint_eq(c->n, 1 + 4 + 1 + 4 + 1 + 3 + 1);
    for (size_t i = 0; i < c->n; i++) {
        for (size_t j = i + 1; j < c->n; j++)
            ck_assert_msg(strcmp(c->log[i].key, c->log[j].key) != 0 ||
                          c->log[i].offset != c->log[j].offset ||
                          c->log[i].flags != c->log[j].flags,
                          "%s at %" PRIu64 " fetched twice", c->log[i].key, c->log[i].offset);
    }
    /* a read inside one inner chunk: the index and that chunk, no more */
    c->n = 0;
    check_slab(tu_var(t, "/a"), all_start, corner, one, shard_expect);
    ck_assert_uint_eq(c->n, 2);
    ck_assert_uint_eq(cs_count(c, "a/c/0/0", 0, index_bytes, DT__STORE_SUFFIX), 1);
    ck_assert_uint_eq(c->log[0].flags | c->log[1].flags, DT__STORE_SUFFIX);
    ck_assert_uint_lt(c->log[c->log[0].flags ? 1 : 0].length, 64);
    /* row 5 crosses shards (1, 0) and (1, 1): two indexes, the 2 present
     * inner chunks of row 4..5 in shard (1, 0) */
    c->n = 0;
    check_slab(tu_var(t, "/a"), row_start, row_count, one, shard_expect);
    ck_assert_uint_eq(cs_count_key(c, "a/c/1/0"), 1 + 2);
    ck_assert_uint_eq(cs_count_key(c, "a/c/1/1"), 1);
    ck_assert_uint_eq(c->n, 4);
    dt_tree_free(t);
    fx_close(&f);
}
END_TEST

/* Readers on several threads share one variable (and the tree's pool). */
typedef struct reader_arg {
    const dt_var *v;
    int ok;
} reader_arg;

static void *read_loop(void *p)
{
    reader_arg *ra = p;
    int32_t buf[77];

    ra->ok = 1;
    for (int k = 0; k < 50 && ra->ok; k++) {
        if (dt_var_read(ra->v, NULL, DT_INT32, buf, sizeof buf) != DT_OK)
            ra->ok = 0;
        for (uint64_t i = 0; i < 7 && ra->ok; i++)
            for (uint64_t j = 0; j < 11 && ra->ok; j++)
                ra->ok = buf[i * 11 + j] == shard_expect(i, j);
    }
    return NULL;
}

START_TEST(concurrent_reads)
{
    pthread_t th[4];
    reader_arg ra[4];
    fx f;
    dt_tree *t;

    fx_open(&f);
    put(&f, "zarr.json", "{\"zarr_format\": 3, \"node_type\": \"group\"}");
    write_sharded(&f, "a", 0, 1, 1);
    t = open_threads(&f, 3);
    for (int i = 0; i < 4; i++) {
        ra[i].v = tu_var(t, "/a");
        ck_assert_int_eq(pthread_create(&th[i], NULL, read_loop, &ra[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        ck_assert_msg(ra[i].ok, "reader %d saw wrong data or an error", i);
    }
    dt_tree_free(t);
    fx_close(&f);
}
END_TEST

/* ---- strings: v2 vlen-utf8 and v3 string, missing chunks as fill ---- */

START_TEST(strings_with_fill)
{
    fx f;
    dt_tree *t;
    char *s[5];
    dt__bytes z;
    static const char chunk0[] = "\x02\x00\x00\x00\x01\x00\x00\x00" "a"
                                 "\x04\x00\x00\x00" "\xc3\xa9t\xc3";

    fx_open(&f);
    put(&f, ".zgroup", "{\"zarr_format\": 2}");
    put(&f, "s/.zarray", "{\"zarr_format\": 2, \"shape\": [5], \"chunks\": [2], "
                         "\"dtype\": \"|O\", \"compressor\": {\"id\": \"zstd\"}, "
                         "\"fill_value\": \"?\", \"order\": \"C\", "
                         "\"filters\": [{\"id\": \"vlen-utf8\"}]}");
    /* chunk 0: "a", "\xc3\xa9t\xc3" (cut UTF-8: refused); chunk 1 missing */
    {
        const char good[] = "\x02\x00\x00\x00\x01\x00\x00\x00" "a"
                            "\x03\x00\x00\x00" "\xc3\xa9t";

        encode("zstd", good, sizeof good - 1, &z);
        put_bytes(&f, "s/0", z.data, z.len);
        dt__bytes_free(&z);
    }
    encode("zstd", "\x02\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00z", 13, &z);
    put_bytes(&f, "s/2", z.data, z.len);
    dt__bytes_free(&z);
    t = open_ok(&f);
    tu_assert_ok(dt_var_read(tu_var(t, "/s"), NULL, DT_STRING, s, sizeof s));
    ck_assert_str_eq(s[0], "a");
    ck_assert_str_eq(s[1], "\xc3\xa9t");
    ck_assert_str_eq(s[2], "?");
    ck_assert_str_eq(s[3], "?");
    ck_assert_str_eq(s[4], "");
    dt_strings_free(s, 5);
    dt_tree_free(t);
    /* a damaged string chunk fails the read and leaves no strings behind */
    encode("zstd", chunk0, sizeof chunk0 - 1, &z);
    put_bytes(&f, "s/0", z.data, z.len);
    dt__bytes_free(&z);
    t = open_ok(&f);
    memset(s, 0, sizeof s);
    tu_assert_rc(dt_var_read(tu_var(t, "/s"), NULL, DT_STRING, s, sizeof s), DT_EFORMAT,
                 "chunk (0) at s/0: vlen-utf8: string 1 is not valid UTF-8 text");
    for (int i = 0; i < 5; i++)
        ck_assert_ptr_null(s[i]);
    dt_tree_free(t);
    fx_close(&f);
}
END_TEST

/* The reader reaches bytes only through the store interface: a memory
 * store serves as well as a directory (and an HTTP store will). */
START_TEST(memory_store)
{
    dt__store *s = NULL;
    dt_tree *t = NULL;
    int32_t buf[4];

    tu_assert_ok(dt__store_mem_new(&s, "mem.zarr", NULL));
    tu_assert_ok(dt__store_set(s, "zarr.json", V3G_TEXT, strlen(V3G_TEXT)));
    tu_assert_ok(dt__store_set(s, "a/zarr.json", V3A_TEXT, strlen(V3A_TEXT)));
    tu_assert_ok(dt__store_set(s, "a/c/0", "\x01\0\0\0\x02\0\0\0\x03\0\0\0\x04\0\0\0", 16));
    tu_assert_ok(dt__zarr_open_store(&t, s, DT_FORMAT_AUTO, NULL));
    ck_assert_int_eq(dt_tree_format(t), DT_FORMAT_ZARR3);
    ck_assert_str_eq(dt_tree_source(t), "mem.zarr");
    tu_assert_ok(dt_var_read(tu_var(t, "/a"), NULL, DT_INT32, buf, sizeof buf));
    ck_assert_int_eq(buf[0], 1);
    ck_assert_int_eq(buf[3], 4);
    dt_tree_free(t);
    /* a store with no Zarr document in it */
    tu_assert_ok(dt__store_mem_new(&s, "empty", NULL));
    tu_assert_rc(dt__zarr_open_store(&t, s, DT_FORMAT_AUTO, NULL), DT_EFORMAT,
                 "empty: no zarr.json, .zgroup or .zarray: not a Zarr store");
    ck_assert_ptr_null(t);
}
END_TEST

/* ---- dims: named, NCZarr, phony numbering over lazy groups ---- */

static void put_array(const fx *f, const char *key, const char *shape, const char *dims)
{
    char meta[512];

    snprintf(meta, sizeof meta, "{\"zarr_format\": 3, \"node_type\": \"array\", "
             "\"shape\": %s, \"data_type\": \"uint8\", \"chunk_grid\": {\"name\": "
             "\"regular\", \"configuration\": {\"chunk_shape\": %s}}, "
             "\"chunk_key_encoding\": {\"name\": \"default\"}, \"fill_value\": 0, "
             "\"codecs\": [{\"name\": \"bytes\"}]%s%s}", shape, shape,
             dims ? ", \"dimension_names\": " : "", dims ? dims : "");
    put(f, key, meta);
}

static void dim_is(const dt_node *n, size_t i, const char *name, uint64_t size)
{
    dt_dim_info d;

    tu_assert_ok(dt_node_dim(&d, n, i));
    ck_assert_str_eq(d.name, name);
    ck_assert_uint_eq(d.size, size);
}

/* A group with phony dims numbers them after every group before it in
 * manifest order, whichever group is loaded first. */
START_TEST(phony_numbering_lazy)
{
    static const char *const order[][3] = {{"/", "/a", "/b"}, {"/b", "/a", "/"}};
    fx f;

    fx_open(&f);
    put(&f, "zarr.json", "{\"zarr_format\": 3, \"node_type\": \"group\"}");
    put_array(&f, "r/zarr.json", "[3, 3]", NULL);            /* phony 0, 1 */
    put(&f, "a/zarr.json", "{\"zarr_format\": 3, \"node_type\": \"group\"}");
    put_array(&f, "a/p/zarr.json", "[4]", "[null]");         /* phony 2 */
    put_array(&f, "a/q/zarr.json", "[4, 5]", "[null, \"x\"]"); /* reuses phony 2 */
    put(&f, "b/zarr.json", "{\"zarr_format\": 3, \"node_type\": \"group\"}");
    put_array(&f, "b/v/zarr.json", "[3]", NULL);             /* phony 3 */
    for (size_t k = 0; k < 2; k++) {
        dt_tree *t = NULL;
        dt_node *b;
        dt_var *v;

        tu_assert_ok(dt_tree_open(&t, f.path, NULL));
        for (size_t g = 0; g < 3; g++)
            tu_assert_ok(dt_node_load(tu_node(t, order[k][g])));
        b = tu_node(t, "/b");
        dim_is(b, 0, "phony_dim_3", 3);
        dim_is(tu_node(t, "/"), 1, "phony_dim_1", 3);
        dim_is(tu_node(t, "/a"), 0, "x", 5);
        dim_is(tu_node(t, "/a"), 1, "phony_dim_2", 4);
        v = tu_var(t, "/a/q");
        ck_assert_str_eq(dt_var_dim(v, 0), "phony_dim_2");
        ck_assert_str_eq(dt_var_dim(v, 1), "x");
        ck_assert_uint_eq(dt_node_dim_count(tu_node(t, "/a")), 2);
        dt_tree_free(t);
    }
    fx_close(&f);
}
END_TEST

/* Groups whose arrays name their dims load without reading the others:
 * a damaged sibling only fails when it is itself used, or when a group
 * with phony dims needs to count what comes before it. */
START_TEST(named_dims_stay_lazy)
{
    fx f;
    dt_tree *t = NULL;

    fx_open(&f);
    put(&f, "zarr.json", "{\"zarr_format\": 3, \"node_type\": \"group\"}");
    put(&f, "a/zarr.json", "{\"zarr_format\": 3, \"node_type\": \"group\"}");
    put(&f, "a/bad/zarr.json", "{\"zarr_format\": 3, ");
    put(&f, "b/zarr.json", "{\"zarr_format\": 3, \"node_type\": \"group\"}");
    put_array(&f, "b/v/zarr.json", "[3]", "[\"n\"]");
    put(&f, "c/zarr.json", "{\"zarr_format\": 3, \"node_type\": \"group\"}");
    put_array(&f, "c/w/zarr.json", "[3]", NULL);
    tu_assert_ok(dt_tree_open(&t, f.path, NULL));
    tu_assert_ok(dt_node_load(tu_node(t, "/b")));
    dim_is(tu_node(t, "/b"), 0, "n", 3);
    tu_assert_rc(dt_node_load(tu_node(t, "/a")), DT_EFORMAT,
                 "a/bad/zarr.json: not valid JSON: the document ends early");
    tu_assert_rc(dt_node_load(tu_node(t, "/c")), DT_EFORMAT, "a/bad/zarr.json");
    dt_tree_free(t);
    fx_close(&f);
}
END_TEST

START_TEST(nczarr_dims_and_scalar)
{
    fx f;
    dt_tree *t;
    dt_var *v;

    fx_open(&f);
    put(&f, ".zgroup", "{\"zarr_format\": 2, \"_NCZARR_GROUP\": {\"dims\": {\"x\": 4, "
                       "\"t\": {\"size\": 0, \"unlimited\": 1}}}}");
    put(&f, ".zattrs", "{\"title\": \"nc\", \"_NCProperties\": \"v\", \"_NCZARR_ATTR\": {}}");
    put(&f, "g/.zgroup", "{\"zarr_format\": 2}");
    put(&f, "g/.zattrs", "{\"_nczarr_group\": {\"dimensions\": {\"y\": 3}}}");
    put(&f, "g/w/.zarray", "{\"zarr_format\": 2, \"shape\": [4, 3], \"chunks\": [4, 3], "
                           "\"dtype\": \"<f8\", \"compressor\": null, \"fill_value\": null, "
                           "\"order\": \"C\", \"filters\": null, \"_NCZARR_ARRAY\": "
                           "{\"dimrefs\": [\"/x\", \"/g/y\"], \"storage\": \"chunked\"}}");
    put(&f, "g/s/.zarray", "{\"zarr_format\": 2, \"shape\": [1], \"chunks\": [1], "
                           "\"dtype\": \">S1\", \"compressor\": null, \"fill_value\": null, "
                           "\"order\": \"C\", \"filters\": null}");
    put(&f, "g/s/.zattrs", "{\"_nczarr_array\": {\"dimension_references\": [], "
                           "\"storage\": \"scalar\"}}");
    put_bytes(&f, "g/s/0", "Q", 1);
    t = open_ok(&f);
    ck_assert_uint_eq(dt_node_dim_count(tu_node(t, "/")), 2);
    dim_is(tu_node(t, "/"), 0, "x", 4);
    ck_assert_uint_eq(dt_attrs_count(dt_node_attrs(tu_node(t, "/"))), 1);
    ck_assert_ptr_nonnull(dt_attrs_find(dt_node_attrs(tu_node(t, "/")), "title"));
    ck_assert_uint_eq(dt_node_dim_count(tu_node(t, "/g")), 1);
    dim_is(tu_node(t, "/g"), 0, "y", 3);
    v = tu_var(t, "/g/w");
    ck_assert_str_eq(dt_var_dim(v, 0), "x");
    ck_assert_str_eq(dt_var_dim(v, 1), "y");
    v = tu_var(t, "/g/s");
    ck_assert_uint_eq(dt_var_ndim(v), 0);
    ck_assert_uint_eq(dt_var_type(v), DT_CHAR);
    {
        char c = 0;

        tu_assert_ok(dt_var_read(v, NULL, DT_CHAR, &c, 1));
        ck_assert_int_eq(c, 'Q');
    }
    dt_tree_free(t);
    fx_close(&f);
}
END_TEST

/* ---- what damaged or unusual stores give ---- */

typedef struct doc {
    const char *key, *text;
} doc;

/* stage: 0 open, 1 loading every group, 2 reading /a */
static const struct {
    doc docs[4];
    int stage, code;
    const char *want;
} cases[] = {
    {{{".zgroup", "{\"zarr_format\": 2}"},
      {".zmetadata", "{\"zarr_consolidated_format\": 1, \"metadata\": {\"../x/.zarray\": {}}}"}},
     0, DT_EFORMAT, "s.zarr: .zmetadata: member \"../x/.zarray\" is not a key inside the store"},
    {{{".zgroup", "{\"zarr_format\": 2}"},
      {"a/.zarray", V2A(", \"dimension_separator\": \"/../\"")}},
     1, DT_EFORMAT, "a/.zarray: \"dimension_separator\" is \"/../\": only \".\" and \"/\""},
    {{{".zgroup", "{\"zarr_format\": 2}"},
      {"a/.zarray", "{\"zarr_format\": 2, \"shape\": [-4], \"chunks\": [4], \"dtype\": \"<i4\"}"}},
     1, DT_EFORMAT, "a/.zarray: shape[0] is -4: a length cannot be negative"},
    {{{".zgroup", "{\"zarr_format\": 2}"},
      {"a/.zarray",
       "{\"zarr_format\": 2, \"shape\": [4, 4], \"chunks\": [4], \"dtype\": \"<i4\"}"}},
     1, DT_EFORMAT, "\"chunks\" has 1 entries for the 2 dimensions of \"shape\""},
    {{{".zgroup", "{\"zarr_format\": 2}"},
      {"a/.zarray", "{\"zarr_format\": 2, \"shape\": [4611686018427387904], \"chunks\": [1], "
                    "\"dtype\": \"<i4\", \"fill_value\": 0}"}},
     1, DT_ELIMIT, "the array is too big: 4611686018427387904 elements of 4 bytes"},
    {{{".zgroup", "{\"zarr_format\": 2}"},
      {"a/.zarray", "{\"zarr_format\": 2, \"shape\": [4], \"chunks\": [0], \"dtype\": \"<i4\"}"}},
     1, DT_EFORMAT, "chunks[0] is 0"},
    {{{".zgroup", "{\"zarr_format\": 2}"}, {"a/.zarray", V2A(", \"dtype\": \"<x4\"")}},
     1, DT_EFORMAT, "a/.zarray: \"dtype\": \"<x4\" is not a NumPy type libdtree reads"},
    {{{".zgroup", "{\"zarr_format\": 2}"},
      {"a/.zarray", "{\"zarr_format\": 2, \"shape\": [4], \"chunks\": [4], \"dtype\": \"<i4\", "
                    "\"compressor\": {\"id\": \"nosuchcodec\"}}"}},
     2, DT_EUNSUPPORTED, "s.zarr: /a: codec \"nosuchcodec\" is not available"},
    {{{".zgroup", "{\"zarr_format\": 2}"}, {"a/.zarray", V2A("")}, {"a/0", "0123456789ab"}},
     2, DT_EFORMAT, "s.zarr: /a: chunk (0) at a/0: 12 bytes where 16 are due"},
    {{{".zgroup", "{\"zarr_format\": 2}"}, {"a/.zarray", V2A("")},
      {"a/.zattrs", "{\"_ARRAY_DIMENSIONS\": [\"x\", \"y\"]}"}},
     1, DT_EFORMAT, "_ARRAY_DIMENSIONS has 2 names for the 1 dimensions of the array"},
    {{{".zarray", V2A("")}}, 0, DT_EUNSUPPORTED, "the store's root is an array"},
    {{{"zarr.json", "{\"zarr_format\": 3, \"node_type\": \"group\", \"x\": {\"name\": \"e\"}}"}},
     0, DT_EUNSUPPORTED, "zarr.json: member \"x\" is an extension libdtree does not understand"},
    {{{"zarr.json", "{\"zarr_format\": 3, \"node_type\": \"group\", "
                    "\"x\": {\"name\": \"e\", \"must_understand\": false}}"}},
     1, DT_OK, NULL},
    {{{"zarr.json", "{\"zarr_format\": 2, \"node_type\": \"group\"}"}},
     0, DT_EFORMAT, "zarr.json: \"zarr_format\" is 2, not 3"},
    {{{"zarr.json", V3G}, {"a/zarr.json", V3A(", \"y\": {\"must_understand\": true}")}},
     1, DT_EUNSUPPORTED, "a/zarr.json: member \"y\" is an extension"},
    {{{"zarr.json", V3G}, {"a/zarr.json", V3A(", \"data_type\": \"int3\"")}},
     1, DT_EUNSUPPORTED, "a/zarr.json: data type \"int3\" is not supported"},
    {{{"zarr.json", V3G},
      {"a/zarr.json", V3A(", \"chunk_key_encoding\": {\"name\": \"default\", "
                          "\"configuration\": {\"separator\": \"..\"}}")}},
     1, DT_EFORMAT, "the chunk key \"separator\" is \"..\""},
    {{{"zarr.json", V3G},
      {"a/zarr.json", V3A(", \"chunk_grid\": {\"name\": \"rectilinear\"}")}},
     1, DT_EUNSUPPORTED, "chunk grid \"rectilinear\" is not supported"},
    {{{"zarr.json", V3G},
      {"a/zarr.json", V3A(", \"codecs\": [{\"name\": \"bytes\"}, {\"name\": \"zzz\"}]")}},
     2, DT_EUNSUPPORTED, "s.zarr: /a: codec \"zzz\" is not supported"},
    /* an unknown codec that may be ignored is ignored */
    {{{"zarr.json", V3G},
      {"a/zarr.json", V3A(", \"codecs\": [{\"name\": \"bytes\"}, {\"name\": \"zzz\", "
                          "\"must_understand\": false}]")},
      {"a/c/0", "AAAABBBBCCCCDDDD"}},
     2, DT_OK, NULL},
    {{{"zarr.json", V3G},
      {"a/zarr.json", V3A(", \"codecs\": [{\"name\": \"gzip\"}, {\"name\": \"bytes\"}]")}},
     2, DT_EFORMAT, "bytes codec gzip comes before the array-to-bytes codec"},
    {{{"zarr.json", V3G},
      {"a/zarr.json", V3A(", \"codecs\": [{\"name\": \"sharding_indexed\", \"configuration\": "
                          "{\"chunk_shape\": [3], \"codecs\": [{\"name\": \"bytes\"}], "
                          "\"index_codecs\": [{\"name\": \"bytes\"}]}}]")}},
     2, DT_EFORMAT, "the inner chunk length 3 does not divide the shard's 4 on axis 0"},
    {{{"zarr.json", V3G},
      {"a/zarr.json", V3A(", \"codecs\": [{\"name\": \"sharding_indexed\", \"configuration\": "
                          "{\"chunk_shape\": [2], \"codecs\": [{\"name\": \"bytes\"}], "
                          "\"index_codecs\": [{\"name\": \"bytes\"}, {\"name\": \"crc32c\"}]}}]")},
      {"a/c/0", "0123456789abcdef0123456789abcdef0123"}},
     2, DT_EFORMAT, "s.zarr: /a: shard a/c/0: the shard index's crc32c does not match"},
    {{{"zarr.json", V3G},
      {"a/zarr.json", V3A(", \"codecs\": [{\"name\": \"sharding_indexed\", \"configuration\": "
                          "{\"chunk_shape\": [2], \"codecs\": [{\"name\": \"bytes\"}], "
                          "\"index_codecs\": [{\"name\": \"bytes\"}]}}]")},
      {"a/c/0", "0123"}},
     2, DT_EFORMAT, "s.zarr: /a: shard a/c/0: 4 bytes cannot hold the shard's index of 32"},
    {{{"zarr.json", "{\"zarr_format\": 3, \"node_type\": \"array\"}"}},
     0, DT_EUNSUPPORTED, "the store's root is an array"},
    {{{"zarr.json", "{\"zarr_format\": 3, \"node_type\": \"group\", \"consolidated_metadata\": "
                    "{\"kind\": \"inline\", \"must_understand\": false, \"metadata\": "
                    "{\"a//b\": " V3G "}}}"}},
     0, DT_EFORMAT, "zarr.json: member \"a//b\" is not a key inside the store"},
};

START_TEST(case_row)
{
    fx f;
    dt_tree *t = NULL;
    int rc;

    fx_open(&f);
    for (size_t i = 0; i < 4 && cases[_i].docs[i].key; i++)
        put(&f, cases[_i].docs[i].key, cases[_i].docs[i].text);
    rc = dt_tree_open(&t, f.path, NULL);
    if (cases[_i].stage == 0) {
        tu_assert_rc(rc, cases[_i].code, cases[_i].want);
        ck_assert_ptr_null(t);
        goto out;
    }
    tu_assert_ok(rc);
    rc = dt_node_load_all(dt_tree_root(t));
    if (cases[_i].stage == 1) {
        tu_assert_rc(rc, cases[_i].code, cases[_i].want);
        goto out;
    }
    tu_assert_ok(rc);
    {
        int32_t buf[4];

        tu_assert_rc(dt_var_read(tu_var(t, "/a"), NULL, DT_INT32, buf, sizeof buf),
                     cases[_i].code, cases[_i].want);
    }
out:
    dt_tree_free(t);
    fx_close(&f);
}
END_TEST

/* ---- limits from dt_open_opts ---- */

START_TEST(limits_apply)
{
    dt_open_opts o = DT_OPEN_OPTS_INIT;
    fx f;
    dt_tree *t = NULL;
    int32_t buf[1000];

    static const char root[] = "{\"zarr_format\": 3, \"node_type\": \"group\", "
                               "\"attributes\": {\"deep\": [[[[1]]]]}}";
    char want[128];

    fx_open(&f);
    put(&f, "zarr.json", root);
    put(&f, "a/zarr.json", V3A(", \"shape\": [1000], \"chunk_grid\": {\"name\": "
                               "\"regular\", \"configuration\": {\"chunk_shape\": [1000]}}, "
                               "\"codecs\": [{\"name\": \"bytes\"}, {\"name\": \"zstd\"}]"));
    {
        dt__bytes z;

        memset(buf, 0, sizeof buf);
        encode("zstd", buf, sizeof buf, &z);
        put_bytes(&f, "a/c/0", z.data, z.len);
        dt__bytes_free(&z);
    }
    put(&f, "b/zarr.json", "{\"zarr_format\": 3, \"node_type\": \"array\", \"shape\": "
                           "[2, 2, 2], \"data_type\": \"int8\", \"chunk_grid\": {\"name\": "
                           "\"regular\", \"configuration\": {\"chunk_shape\": [1, 1, 1]}}, "
                           "\"chunk_key_encoding\": {\"name\": \"default\"}, \"fill_value\": 0,"
                           " \"codecs\": [{\"name\": \"bytes\"}]}");
    /* JSON depth */
    o.limits.max_depth = 3;
    tu_assert_rc(dt_tree_open(&t, f.path, &o), DT_ELIMIT,
                 "zarr.json: the JSON nests deeper than 3 levels");
    /* rank */
    o = (dt_open_opts)DT_OPEN_OPTS_INIT;
    o.limits.max_rank = 2;
    tu_assert_ok(dt_tree_open(&t, f.path, &o));
    tu_assert_rc(dt_node_load(dt_tree_root(t)), DT_ELIMIT,
                 "b/zarr.json: \"shape\" has 3 dimensions, the limit is 2");
    dt_tree_free(t);
    /* allocation: a chunk that decodes to more than max_alloc (the
     * documents themselves are read under the same limit) */
    o = (dt_open_opts)DT_OPEN_OPTS_INIT;
    o.limits.max_alloc = 1000;
    tu_assert_ok(dt_tree_open(&t, f.path, &o));
    tu_assert_rc(dt_var_read(tu_var(t, "/a"), NULL, DT_INT32, buf, sizeof buf), DT_ELIMIT,
                 "chunk (0) at a/c/0: zstd output of 4000 bytes is over the limit of 1000");
    dt_tree_free(t);
    o.limits.max_alloc = 50;
    snprintf(want, sizeof want, "zarr.json: %zu bytes to read, over the limit of 50",
             strlen(root));
    tu_assert_rc(dt_tree_open(&t, f.path, &o), DT_ELIMIT, want);
    fx_close(&f);
}
END_TEST

/* Groups nest at most limits.max_depth deep (0: the default). */
START_TEST(group_nesting_limit)
{
    dt_open_opts o = DT_OPEN_OPTS_INIT;
    fx f;
    dt_tree *t = NULL;

    fx_open(&f);
    put(&f, "zarr.json", V3G);
    put(&f, "g/zarr.json", V3G);
    put(&f, "g/h/zarr.json", V3G);
    put(&f, "g/h/k/zarr.json", V3G);
    o.limits.max_depth = 2;
    tu_assert_ok(dt_tree_open(&t, f.path, &o));
    tu_assert_ok(dt_node_load(tu_node(t, "/g")));
    tu_assert_rc(dt_node_load(tu_node(t, "/g/h")), DT_ELIMIT,
                 "g/h/k/: groups nest 3 deep, the limit is 2");
    dt_tree_free(t);
    o.limits.max_depth = 0;
    tu_assert_ok(dt_tree_open(&t, f.path, &o));
    tu_assert_ok(dt_node_load_all(dt_tree_root(t)));
    dt_tree_free(t);
    fx_close(&f);
}
END_TEST

static Suite *zarr_suite(void)
{
    Suite *s = suite_create("zarr");
    TCase *tc = tcase_create("json");

    tcase_add_loop_test(tc, fill_row, 0, TU_NELEMS(fills));
    tcase_add_test(tc, fill_strings);
    tcase_add_test(tc, exact_integers);
    tcase_add_test(tc, split_parse);
    tcase_add_loop_test(tc, bad_json_row, 0, TU_NELEMS(bad_json));
    tcase_add_test(tc, nul_in_json);
    suite_add_tcase(s, tc);

    tc = tcase_create("read");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, v2_selections, 0, TU_NELEMS(thread_counts));
    tcase_add_loop_test(tc, v3_sharded_selections, 0, TU_NELEMS(thread_counts));
    tcase_add_test(tc, concurrent_reads);
    tcase_add_test(tc, v3_shard_partial_read);
    tcase_add_test(tc, strings_with_fill);
    tcase_add_test(tc, memory_store);
    tcase_add_loop_test(tc, fetch_each_chunk_once, 0, TU_NELEMS(thread_counts));
    tcase_add_loop_test(tc, fetch_shard_parts, 0, TU_NELEMS(thread_counts));
    suite_add_tcase(s, tc);

    tc = tcase_create("dims");
    tcase_add_test(tc, phony_numbering_lazy);
    tcase_add_test(tc, named_dims_stay_lazy);
    tcase_add_test(tc, nczarr_dims_and_scalar);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_loop_test(tc, case_row, 0, TU_NELEMS(cases));
    tcase_add_test(tc, limits_apply);
    tcase_add_test(tc, group_nesting_limit);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(zarr_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
