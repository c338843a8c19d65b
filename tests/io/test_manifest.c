/* tests/io/test_manifest.c: the dtree-manifest/1 emitter: float spelling,
 * canonical-byte digests, heads, streaming of large variables, and the
 * YAML round trip (write with values, read back, same document). */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dtree.h"
#include "io/io.h"
#include "testutil.h"
#include "util.h"

/* A path in the test output directory. */
static char *tmp_path(const char *name)
{
    const char *dir = getenv("DT_TMPDIR");
    char *p = malloc(4096);

    ck_assert_ptr_nonnull(p);
    snprintf(p, 4096, "%s/manifest-%ld-%s", dir && *dir ? dir : "/tmp", (long)getpid(), name);
    return p;
}

/* The manifest of a tree as a string. */
static char *manifest_of(const dt_tree *t, int values)
{
    dt_manifest_opts mo = DT_MANIFEST_OPTS_INIT;
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);

    ck_assert_ptr_nonnull(fp);
    mo.values = values;
    mo.file_name = "t.yaml";
    ck_assert_int_eq(dt_tree_manifest(t, fp, &mo), DT_OK);
    fclose(fp);
    return text;
}

/* One variable of one float element, and the manifest line of its head. */
static const struct {
    dt_type type;
    double value;
    const char *want;
} floats[] = {
    {DT_FLOAT64, 1.0, "head: [1.0]"},
    {DT_FLOAT64, 0.1, "head: [0.1]"},
    {DT_FLOAT64, -2.5, "head: [-2.5]"},
    {DT_FLOAT64, 1e16, "head: [1.0e+16]"},
    {DT_FLOAT64, 1.5e-7, "head: [1.5e-07]"},
    {DT_FLOAT64, 0.0001, "head: [0.0001]"},
    {DT_FLOAT64, 123456789.0, "head: [123456789.0]"},
    {DT_FLOAT64, 9.969209968386869e+36, "head: [9.969209968386869e+36]"},
    {DT_FLOAT32, 9.969209968386869e+36, "head: [9.96921e+36]"},
    {DT_FLOAT32, 0.1, "head: [0.1]"},
    {DT_FLOAT16, 0.1, "head: [0.1]"},
    {DT_FLOAT16, 65504.0, "head: [65500.0]"},
    {DT_FLOAT64, NAN, "head: [.nan]"},
    {DT_FLOAT64, INFINITY, "head: [.inf]"},
    {DT_FLOAT32, -INFINITY, "head: [-.inf]"},
};

START_TEST(float_spelling)
{
    dt_tree *t = tu_tree(NULL);
    const char *dims[] = {"x"};
    uint64_t one = 1;
    dt_var *v;
    char *text;

    ck_assert_int_eq(dt_node_add_var(&v, dt_tree_root(t), "v", floats[_i].type, 1, dims, &one),
                     DT_OK);
    ck_assert_int_eq(dt_var_set_data(v, DT_FLOAT64, &floats[_i].value, 1), DT_OK);
    text = manifest_of(t, 0);
    ck_assert_msg(strstr(text, floats[_i].want), "want %s in\n%s", floats[_i].want, text);
    free(text);
    dt_tree_free(t);
}
END_TEST

START_TEST(digests)
{
    dt_tree *t = tu_tree(NULL);
    const char *dims[] = {"n"}, *sdims[] = {"s"};
    const int32_t ints[] = {1, 2, 3};
    const char *strs[] = {"ab", "", "c"};
    const double dbl[] = {0.5, -1.25};
    uint64_t three = 3, two = 2, zero = 0;
    dt_var *v;
    char *text;

    ck_assert_int_eq(dt_node_add_var(&v, dt_tree_root(t), "i", DT_INT32, 1, dims, &three), DT_OK);
    ck_assert_int_eq(dt_var_set_data(v, DT_INT32, ints, 3), DT_OK);
    ck_assert_int_eq(dt_node_add_var(&v, dt_tree_root(t), "s", DT_STRING, 1, dims, &three), DT_OK);
    ck_assert_int_eq(dt_var_set_data(v, DT_STRING, strs, 3), DT_OK);
    ck_assert_int_eq(dt_node_add_var(&v, dt_tree_root(t), "d", DT_FLOAT64, 1,
                                     (const char *[]){"m"}, &two), DT_OK);
    ck_assert_int_eq(dt_var_set_data(v, DT_FLOAT64, dbl, 2), DT_OK);
    ck_assert_int_eq(dt_node_add_var(&v, dt_tree_root(t), "e", DT_INT8, 1, sdims, &zero), DT_OK);
    text = manifest_of(t, 0);
    /* sha256 of the canonical bytes, computed independently with hashlib */
    ck_assert_ptr_nonnull(strstr(text, "4636993d3e1da4e9d6b8f87b79e8f7c6d018580d52661950eabc3845c5897a4d"));
    ck_assert_ptr_nonnull(strstr(text, "045d40a17c88f9143c92f60fc250aab642d79dc0d867bf110fdd26739dc48345"));
    ck_assert_ptr_nonnull(strstr(text, "e78e3014bf357be111c9d99c8c59a711e609afec54f6f7ad0aea2a7f23a20a10"));
    ck_assert_ptr_nonnull(strstr(text, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    ck_assert_ptr_nonnull(strstr(text, "head: [\"ab\", \"\", \"c\"]"));
    ck_assert_ptr_nonnull(strstr(text, "head: [1, 2, 3]"));
    free(text);
    dt_tree_free(t);
}
END_TEST

/* A variable larger than one read block is streamed: the digest of the
 * sequence 0..n-1 must match a digest computed in one piece. */
static int calls;
static int count_read(void *ctx, const dt_var *var, const uint64_t *start,
                      const uint64_t *count, const uint64_t *stride, void *buf)
{
    uint64_t cols = dt_var_shape(var)[1];
    uint16_t *out = buf;
    size_t k = 0;

    (void)ctx;
    calls++;
    for (uint64_t r = 0; r < count[0]; r++) {
        for (uint64_t c = 0; c < count[1]; c++) {
            uint64_t i = (start[0] + r * stride[0]) * cols + start[1] + c * stride[1];
            out[k++] = (uint16_t)(i * 7);
        }
    }
    return DT_OK;
}

static const dt_source_ops counting = {1, count_read, NULL, NULL};

START_TEST(streamed)
{
    dt_tree *t = tu_tree(NULL), *u = tu_tree(NULL);
    const char *dims[] = {"r", "c"};
    uint64_t shape[2] = {3000, 1000};   /* 6 MB of uint16: more than one block */
    uint16_t *all = malloc(3000 * 1000 * sizeof *all);
    dt_var *v, *w;
    char *a, *b;

    ck_assert_ptr_nonnull(all);
    for (size_t i = 0; i < 3000 * 1000; i++)
        all[i] = (uint16_t)(i * 7);
    ck_assert_int_eq(dt_node_add_var(&v, dt_tree_root(t), "v", DT_UINT16, 2, dims, shape), DT_OK);
    ck_assert_int_eq(dt_var_set_source(v, &counting, NULL), DT_OK);
    ck_assert_int_eq(dt_node_add_var(&w, dt_tree_root(u), "v", DT_UINT16, 2, dims, shape), DT_OK);
    ck_assert_int_eq(dt_var_set_data(w, DT_UINT16, all, 3000 * 1000), DT_OK);
    calls = 0;
    a = manifest_of(t, 0);
    ck_assert_int_gt(calls, 1);
    b = manifest_of(u, 0);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    free(all);
    dt_tree_free(t);
    dt_tree_free(u);
}
END_TEST

/* dt_var_digest: the whole variable is the manifest's sha256; a hyperslab
 * digests like a variable holding just those elements, streamed or not. */
static void hex(char *buf, const unsigned char d[32])
{
    for (int i = 0; i < 32; i++)
        snprintf(buf + 2 * i, 3, "%02x", d[i]);
}

START_TEST(digest_slabs)
{
    dt_tree *t = tu_tree(NULL);
    const char *dims[] = {"n"}, *rc_dims[] = {"r", "c"};
    const int32_t ints[] = {1, 2, 3}, tail[] = {2, 3};
    uint64_t three = 3, two = 2, shape[2] = {3000, 1000};
    uint64_t start[2] = {1, 5}, count[2] = {428, 332}, stride[2] = {7, 3}, one = 1;
    dt_slab s1 = {1, &one, NULL, NULL}, s2 = {2, start, count, stride};
    unsigned char d1[32], d2[32];
    char h[65];
    dt_var *v, *w, *big, *copy;
    uint16_t *vals = malloc(428 * 332 * sizeof *vals);

    ck_assert_ptr_nonnull(vals);
    ck_assert_int_eq(dt_node_add_var(&v, dt_tree_root(t), "i", DT_INT32, 1, dims, &three), DT_OK);
    ck_assert_int_eq(dt_var_set_data(v, DT_INT32, ints, 3), DT_OK);
    ck_assert_int_eq(dt_var_digest(d1, v, NULL), DT_OK);
    hex(h, d1);
    ck_assert_str_eq(h, "4636993d3e1da4e9d6b8f87b79e8f7c6d018580d52661950eabc3845c5897a4d");
    /* i[1:] digests like [2, 3] */
    ck_assert_int_eq(dt_node_add_var(&w, dt_tree_root(t), "tail", DT_INT32, 1,
                                     (const char *[]){"m"}, &two), DT_OK);
    ck_assert_int_eq(dt_var_set_data(w, DT_INT32, tail, 2), DT_OK);
    ck_assert_int_eq(dt_var_digest(d1, v, &s1), DT_OK);
    ck_assert_int_eq(dt_var_digest(d2, w, NULL), DT_OK);
    ck_assert_mem_eq(d1, d2, 32);
    /* a strided hyperslab of a lazy variable, read in several blocks */
    ck_assert_int_eq(dt_node_add_var(&big, dt_tree_root(t), "big", DT_UINT16, 2, rc_dims,
                                     shape), DT_OK);
    ck_assert_int_eq(dt_var_set_source(big, &counting, NULL), DT_OK);
    ck_assert_int_eq(dt_var_read(big, &s2, DT_UINT16, vals, 428 * 332 * sizeof *vals), DT_OK);
    ck_assert_int_eq(dt_node_add_var(&copy, dt_tree_root(t), "copy", DT_UINT16, 2,
                                     (const char *[]){"a", "b"}, count), DT_OK);
    ck_assert_int_eq(dt_var_set_data(copy, DT_UINT16, vals, 428 * 332), DT_OK);
    ck_assert_int_eq(dt_var_digest(d1, big, &s2), DT_OK);
    ck_assert_int_eq(dt_var_digest(d2, copy, NULL), DT_OK);
    ck_assert_mem_eq(d1, d2, 32);
    /* the checks of a read */
    stride[0] = 0;
    ck_assert_int_eq(dt_var_digest(d1, big, &s2), DT_ERANGE);
    ck_assert_ptr_nonnull(strstr(dt_error_last()->message, "stride 0 along 'r'"));
    stride[0] = 8;
    ck_assert_int_eq(dt_var_digest(d1, big, &s2), DT_ERANGE);
    ck_assert_ptr_nonnull(strstr(dt_error_last()->message, "goes past 'r' of size 3000"));
    ck_assert_int_eq(dt_var_digest(NULL, big, NULL), DT_EINVAL);
    free(vals);
    dt_tree_free(t);
}
END_TEST

/* Every type survives manifest --values -> YAML reader -> manifest. */
START_TEST(yaml_round_trip)
{
    dt_tree *t = tu_tree("/g/h", NULL), *back = NULL;
    dt_node *root = dt_tree_root(t), *h = NULL;
    const char *d1[] = {"x"};
    uint64_t n2 = 2;
    dt_var *v;
    char *path = tmp_path("roundtrip.yaml"), *a, *b;
    dt_write_opts wo = DT_WRITE_OPTS_INIT;
    static const struct { const char *name; dt_type type; } types[] = {
        {"b", DT_BOOL}, {"i8", DT_INT8}, {"i16", DT_INT16}, {"i32", DT_INT32},
        {"i64", DT_INT64}, {"u8", DT_UINT8}, {"u16", DT_UINT16}, {"u32", DT_UINT32},
        {"u64", DT_UINT64}, {"f16", DT_FLOAT16}, {"f32", DT_FLOAT32}, {"f64", DT_FLOAT64},
    };
    const double vals[2] = {1.0, 0.0};
    const char *strs[2] = {"caf\xc3\xa9", "quote \" and \\ and \n"};
    const char chars[2] = {'a', '\0'};
    const char bytes[2 * 3] = {'a', 'b', '\x01', 'x', '\0', '\0'};
    const uint32_t uni[2 * 2] = {0x48, 0x1F600, 0x69, 0};
    const float cplx[4] = {1.5f, -2.0f, 0.25f, 3.0f};
    const uint64_t big[2] = {UINT64_MAX, 0};
    const int64_t small[2] = {INT64_MIN, INT64_MAX};
    const int8_t ev[2] = {1, 0};

    ck_assert_int_eq(dt_node_lookup(&h, root, "/g/h"), DT_OK);
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        ck_assert_int_eq(dt_node_add_var(&v, h, types[i].name, types[i].type, 1, d1, &n2), DT_OK);
        ck_assert_int_eq(dt_var_set_data(v, DT_FLOAT64, vals, 2), DT_OK);
        ck_assert_int_eq(dt_attrs_set(dt_var_attrs(v), "a", types[i].type, 0, NULL, 0), DT_OK);
    }
    ck_assert_int_eq(dt_node_add_var(&v, h, "s", DT_STRING, 1, d1, &n2), DT_OK);
    ck_assert_int_eq(dt_var_set_data(v, DT_STRING, strs, 2), DT_OK);
    ck_assert_int_eq(dt_node_add_var(&v, h, "c", DT_CHAR, 1, d1, &n2), DT_OK);
    ck_assert_int_eq(dt_var_set_data(v, DT_CHAR, chars, 2), DT_OK);
    ck_assert_int_eq(dt_node_add_var(&v, h, "by", DT_BYTES_N(3), 1, d1, &n2), DT_OK);
    ck_assert_int_eq(dt_var_set_data(v, DT_BYTES_N(3), bytes, 2), DT_OK);
    ck_assert_int_eq(dt_node_add_var(&v, h, "un", DT_UNICODE_N(2), 1, d1, &n2), DT_OK);
    ck_assert_int_eq(dt_var_set_data(v, DT_UNICODE_N(2), uni, 2), DT_OK);
    ck_assert_int_eq(dt_node_add_var(&v, h, "cx", DT_COMPLEX64, 1, d1, &n2), DT_OK);
    ck_assert_int_eq(dt_var_set_data(v, DT_COMPLEX64, cplx, 2), DT_OK);
    ck_assert_int_eq(dt_node_add_var(&v, h, "big", DT_UINT64, 1, d1, &n2), DT_OK);
    ck_assert_int_eq(dt_var_set_data(v, DT_UINT64, big, 2), DT_OK);
    ck_assert_int_eq(dt_var_set_fill(v, &big[0]), DT_OK);
    ck_assert_int_eq(dt_node_add_var(&v, h, "small", DT_INT64, 1, d1, &n2), DT_OK);
    ck_assert_int_eq(dt_var_set_data(v, DT_INT64, small, 2), DT_OK);
    ck_assert_int_eq(dt_var_set_fill(v, &small[0]), DT_OK);
    ck_assert_int_eq(dt_node_add_var(&v, h, "en", DT_ENUM_OF(DT_INT8), 1, d1, &n2), DT_OK);
    ck_assert_int_eq(dt_var_add_enum_member(v, "clear", 0), DT_OK);
    ck_assert_int_eq(dt_var_add_enum_member(v, "cloudy", 1), DT_OK);
    ck_assert_int_eq(dt_var_set_data(v, DT_INT8, ev, 2), DT_OK);
    ck_assert_int_eq(dt_attrs_set(dt_node_attrs(root), "title", DT_STRING, 2, strs, 0), DT_OK);
    ck_assert_int_eq(dt_attrs_set(dt_node_attrs(root), "history", DT_CHAR, 5, "hello", 0), DT_OK);
    ck_assert_int_eq(dt_attrs_set(dt_node_attrs(root), "range", DT_FLOAT32, 2,
                                  (const float[]){0.0f, 1.5f}, 0), DT_OK);
    ck_assert_int_eq(dt_attrs_set(dt_node_attrs(root), "n", DT_INT16, 1,
                                  (const int16_t[]){5}, DT_ATTR_SCALAR), DT_OK);

    wo.force = 1;
    ck_assert_int_eq(dt_tree_write(t, path, DT_FORMAT_YAML, &wo), DT_OK);
    ck_assert_msg(dt_tree_open(&back, path, NULL) == DT_OK, "%s", dt_error_last()->message);
    a = manifest_of(t, 1);
    b = manifest_of(back, 1);
    /* the kind line differs: memory vs yaml */
    ck_assert_ptr_nonnull(strstr(a, "kind: \"memory\""));
    ck_assert_ptr_nonnull(strstr(b, "kind: \"yaml\""));
    ck_assert_str_eq(strstr(a, "expect:"), strstr(b, "expect:"));
    free(a);
    free(b);
    unlink(path);
    free(path);
    dt_tree_free(back);
    dt_tree_free(t);
}
END_TEST

/* A variable whose source fails is listed with expect: error and the message. */
static int failing_read(void *ctx, const dt_var *var, const uint64_t *start,
                        const uint64_t *count, const uint64_t *stride, void *buf)
{
    (void)ctx; (void)var; (void)start; (void)count; (void)stride; (void)buf;
    return dt__fail(DT_ETYPE, "compound values cannot be read");
}

START_TEST(read_error_listed)
{
    static const dt_source_ops bad = {1, failing_read, NULL, NULL};
    dt_tree *t = tu_tree("/g", NULL);
    dt_node *g = NULL;
    const char *dims[] = {"x"};
    uint64_t n = 4;
    dt_var *v;
    char *text;

    ck_assert_int_eq(dt_node_lookup(&g, dt_tree_root(t), "/g"), DT_OK);
    ck_assert_int_eq(dt_node_add_var(&v, g, "broken", DT_INT32, 1, dims, &n), DT_OK);
    ck_assert_int_eq(dt_var_set_source(v, &bad, NULL), DT_OK);
    text = manifest_of(t, 0);
    ck_assert_ptr_nonnull(strstr(text, "expect: \"error\""));
    ck_assert_ptr_nonnull(strstr(text, "/g/broken"));
    ck_assert_ptr_null(strstr(text, "sha256"));
    free(text);
    dt_tree_free(t);
}
END_TEST

/* Any other read failure (damage, an unknown codec, a limit) fails the
 * whole manifest with the source's message: the file cannot be described. */
static int damaged_read(void *ctx, const dt_var *var, const uint64_t *start,
                        const uint64_t *count, const uint64_t *stride, void *buf)
{
    (void)ctx; (void)var; (void)start; (void)count; (void)stride; (void)buf;
    return dt__fail(DT_EFORMAT, "chunk (0): 12 bytes where 32 are due");
}

START_TEST(read_damage_fails)
{
    static const dt_source_ops bad = {1, damaged_read, NULL, NULL};
    dt_tree *t = tu_tree("/g", NULL);
    dt_node *g = NULL;
    const char *dims[] = {"x"};
    uint64_t n = 8;
    dt_var *v;
    char *text = NULL;
    size_t len = 0;
    FILE *fp;

    ck_assert_int_eq(dt_node_lookup(&g, dt_tree_root(t), "/g"), DT_OK);
    ck_assert_int_eq(dt_node_add_var(&v, g, "a", DT_INT32, 1, dims, &n), DT_OK);
    ck_assert_int_eq(dt_var_set_source(v, &bad, NULL), DT_OK);
    fp = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(fp);
    tu_assert_rc(dt_tree_manifest(t, fp, NULL), DT_EFORMAT,
                 "/g/a: chunk (0): 12 bytes where 32 are due");
    fclose(fp);
    free(text);
    dt_tree_free(t);
}
END_TEST

/* Zarr attributes are JSON values kept as text; bare numbers, booleans and
 * null print as themselves, not as strings. */
static const struct {
    const char *json, *want;
} json_attrs[] = {
    {"3", "{type: \"json\", value: 3}"},
    {"0.5", "{type: \"json\", value: 0.5}"},
    {"-1", "{type: \"json\", value: -1}"},
    {"true", "{type: \"json\", value: true}"},
    {"null", "{type: \"json\", value: null}"},
    {"NaN", "{type: \"json\", value: .nan}"},
    {"18446744073709551615", "{type: \"json\", value: 18446744073709551615}"},
    {"\"text\"", "{type: \"json\", value: \"text\"}"},
    {"[1, 2.5, null]", "{type: \"json\", value: [1, 2.5, null]}"},
    {"{\"k\": false}", "{type: \"json\", value: {\"k\": false}}"},
};

START_TEST(json_attr_row)
{
    dt_tree *t = tu_tree(NULL);
    char *text;

    tu_assert_ok(dt_attrs_set(dt_node_attrs(dt_tree_root(t)), "a", DT_JSON, 1,
                              json_attrs[_i].json, DT_ATTR_SCALAR));
    text = manifest_of(t, 0);
    ck_assert_msg(strstr(text, json_attrs[_i].want), "want %s in\n%s", json_attrs[_i].want,
                  text);
    free(text);
    dt_tree_free(t);
}
END_TEST

/* A group whose metadata cannot be loaded fails the manifest, rather than
 * listing as an empty group. */
static int failing_load(dt_node *node, void *ctx)
{
    (void)node;
    (void)ctx;
    return dt__fail_at(DT_EFORMAT, "s.zarr", "a/.zarray", "not valid JSON");
}

START_TEST(group_load_failure_fails)
{
    dt_tree *t = tu_tree("/g", NULL);
    char *text = NULL;
    size_t len = 0;
    FILE *fp;

    dt__node_set_loader(tu_node(t, "/g"), failing_load, NULL, NULL);
    fp = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(fp);
    tu_assert_rc(dt_tree_manifest(t, fp, NULL), DT_EFORMAT, "s.zarr: a/.zarray: not valid JSON");
    fclose(fp);
    free(text);
    dt_tree_free(t);
}
END_TEST

/* A sharded Zarr array lists its inner chunks beside its chunks (shards). */
START_TEST(inner_chunks_listed)
{
    dt_tree *t = tu_tree(NULL);
    const char *dims[] = {"y", "x"};
    uint64_t shape[] = {7, 11}, shards[] = {4, 6}, inner[] = {2, 3};
    dt_var *v;
    char *text;

    ck_assert_int_eq(dt_node_add_var(&v, dt_tree_root(t), "values", DT_INT32, 2, dims, shape),
                     DT_OK);
    ck_assert_int_eq(dt_var_set_chunks(v, shards), DT_OK);
    ck_assert_int_eq(dt__var_set_inner_chunks(v, inner), DT_OK);
    text = manifest_of(t, 0);
    ck_assert_ptr_nonnull(strstr(text, "chunks: [4, 6]\n"));
    ck_assert_ptr_nonnull(strstr(text, "inner_chunks: [2, 3]\n"));
    free(text);
    dt_tree_free(t);
}
END_TEST

static Suite *manifest_suite(void)
{
    Suite *s = suite_create("manifest");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, float_spelling, 0, sizeof floats / sizeof *floats);
    tcase_add_test(tc, digests);
    tcase_add_test(tc, streamed);
    tcase_add_test(tc, digest_slabs);
    tcase_add_test(tc, yaml_round_trip);
    tcase_add_test(tc, read_error_listed);
    tcase_add_test(tc, read_damage_fails);
    tcase_add_test(tc, inner_chunks_listed);
    tcase_add_test(tc, group_load_failure_fails);
    tcase_add_loop_test(tc, json_attr_row, 0, sizeof json_attrs / sizeof *json_attrs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(manifest_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
