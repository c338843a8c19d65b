/* test_yaml_read.c: the YAML tree reader against FORMAT.md and the values:
 * extension: what each spelling builds, and what each broken document says. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dtree.h"
#include "io/io.h"
#include "util.h"

/* ---- documents in a temporary directory of the build tree ---- */

static char tmpdir[4096];

static void tmpdir_setup(void)
{
    const char *base = getenv("DT_TMPDIR");

    if (!base || !*base)
        base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    snprintf(tmpdir, sizeof tmpdir, "%s/yaml_read-XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmpdir_teardown(void)
{
    rmdir(tmpdir);
}

/* The lines a one-group body goes under: the body is line 5. */
#define PROLOGUE \
    "format: dtree-manifest/1\n" \
    "files:\n" \
    "  - file: t.nc\n" \
    "    groups:\n"

static char doc_path[4200];

/* Write text (after the prologue unless full) and open it. */
static int open_text(dt_tree **out, const char *text, int full,
                     const dt_open_opts *opts)
{
    static unsigned seq;
    FILE *fp;
    int rc;

    snprintf(doc_path, sizeof doc_path, "%s/t%ld-%u.yaml", tmpdir,
             (long)getpid(), seq++);
    fp = fopen(doc_path, "wb");
    ck_assert_ptr_nonnull(fp);
    if (!full)
        fputs(PROLOGUE, fp);
    fputs(text, fp);
    ck_assert_int_eq(fclose(fp), 0);
    rc = dt__yaml_open(out, doc_path, opts);
    unlink(doc_path);
    return rc;
}

static dt_tree *open_ok(const char *body)
{
    dt_tree *t = NULL;
    int rc = open_text(&t, body, 0, NULL);

    ck_assert_msg(rc == DT_OK, "open failed: %s", dt_error_last()->message);
    ck_assert_ptr_nonnull(t);
    return t;
}

static dt_var *var_at(const dt_tree *t, const char *group, const char *name)
{
    dt_node *n = NULL;
    dt_var *v = NULL;

    ck_assert_int_eq(dt_node_lookup(&n, dt_tree_root(t), group), DT_OK);
    ck_assert_int_eq(dt_node_var_find(&v, n, name), DT_OK);
    return v;
}

/* ---- a whole group: structure, encoding and attributes ---- */

START_TEST(structure)
{
    dt_tree *t = open_ok(
        "      /:\n"
        "        dims: {lat: 3, time: {size: 4, unlimited: true}}\n"
        "        attrs:\n"
        "          title: {type: char, value: \"Example\"}\n"
        "          valid_range: {type: float32, value: [0.0, 1.0]}\n"
        "        vars:\n"
        "          time:\n"
        "            dtype: float64\n"
        "            shape: [4]\n"
        "            dims: [time]\n"
        "            chunks: [4]\n"
        "            inner_chunks: [2]\n"
        "            codecs: [shuffle, zlib]\n"
        "            fill_value: .nan\n"
        "            attrs: {units: {type: string, value: \"days since 2000-01-01\"}}\n"
        "            sha256: \"ignored\"\n"
        "            head: [0.0, 1.0, 2.0, 3.0]\n"
        "          flag:\n"
        "            dtype: enum(int8)\n"
        "            shape: [3]\n"
        "            dims: [lat]\n"
        "            chunks: null\n"
        "            codecs: []\n"
        "            fill_value: -1\n"
        "            byteorder: big\n"
        "            enum: {clear: 0, cloudy: 1, missing: -1}\n"
        "            coord: true\n"
        "            attrs: {}\n"
        "      /child: {dims: {}, attrs: {}, vars: {}}\n"
        "      /child/grand:\n"
        "      /other: {}\n");
    dt_node *root = dt_tree_root(t), *child;
    dt_dim_info di;
    dt_var *v;
    const dt_attr *a;
    const char *name;
    int64_t value;
    double fill;

    ck_assert_int_eq(dt_tree_format(t), DT_FORMAT_YAML);
    ck_assert_str_eq(dt_tree_source(t), doc_path);

    /* groups in document order */
    ck_assert_uint_eq(dt_node_child_count(root), 2);
    child = dt_node_child(root, 0);
    ck_assert_str_eq(dt_node_name(child), "child");
    ck_assert_str_eq(dt_node_name(dt_node_child(root, 1)), "other");
    ck_assert_uint_eq(dt_node_child_count(child), 1);
    ck_assert_str_eq(dt_node_name(dt_node_child(child, 0)), "grand");

    /* dims in document order */
    ck_assert_uint_eq(dt_node_dim_count(root), 2);
    ck_assert_int_eq(dt_node_dim(&di, root, 0), DT_OK);
    ck_assert_str_eq(di.name, "lat");
    ck_assert_uint_eq(di.size, 3);
    ck_assert_int_eq(di.unlimited, 0);
    ck_assert_int_eq(dt_node_dim(&di, root, 1), DT_OK);
    ck_assert_str_eq(di.name, "time");
    ck_assert_uint_eq(di.size, 4);
    ck_assert_int_ne(di.unlimited, 0);

    /* group attributes in document order */
    ck_assert_uint_eq(dt_attrs_count(dt_node_attrs(root)), 2);
    a = dt_attrs_at(dt_node_attrs(root), 0);
    ck_assert_str_eq(dt_attr_name(a), "title");
    ck_assert_uint_eq(dt_attr_type(a), DT_CHAR);
    ck_assert_uint_eq(dt_attr_len(a), 7);
    ck_assert_mem_eq(dt_attr_data(a), "Example", 7);
    a = dt_attrs_at(dt_node_attrs(root), 1);
    ck_assert_str_eq(dt_attr_name(a), "valid_range");
    ck_assert_uint_eq(dt_attr_type(a), DT_FLOAT32);
    ck_assert_uint_eq(dt_attr_len(a), 2);
    ck_assert_int_eq(dt_attr_is_scalar(a), 0);
    ck_assert(((const float *)dt_attr_data(a))[1] == 1.0f);

    /* variables in document order */
    ck_assert_uint_eq(dt_node_var_count(root), 2);
    v = dt_node_var(root, 0);
    ck_assert_str_eq(dt_var_name(v), "time");
    ck_assert_uint_eq(dt_var_type(v), DT_FLOAT64);
    ck_assert_uint_eq(dt_var_ndim(v), 1);
    ck_assert_uint_eq(dt_var_shape(v)[0], 4);
    ck_assert_str_eq(dt_var_dim(v, 0), "time");
    ck_assert_ptr_nonnull(dt_var_chunks(v));
    ck_assert_uint_eq(dt_var_chunks(v)[0], 4);
    ck_assert_ptr_nonnull(dt__var_inner_chunks(v));
    ck_assert_uint_eq(dt__var_inner_chunks(v)[0], 2);
    ck_assert_uint_eq(dt_var_codec_count(v), 2);
    ck_assert_str_eq(dt_var_codec(v, 0), "shuffle");
    ck_assert_str_eq(dt_var_codec(v, 1), "zlib");
    ck_assert_ptr_nonnull(dt_var_fill(v));
    memcpy(&fill, dt_var_fill(v), sizeof fill);
    ck_assert(isnan(fill));
    ck_assert_int_eq(dt_var_big_endian(v), 0);
    ck_assert_int_ne(dt_var_is_index(v), 0);
    a = dt_attrs_find(dt_var_attrs(v), "units");
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(dt_attr_type(a), DT_STRING);
    ck_assert_str_eq(((char *const *)dt_attr_data(a))[0], "days since 2000-01-01");
    ck_assert_int_eq(dt_var_is_lazy(v), 0);

    v = dt_node_var(root, 1);
    ck_assert_str_eq(dt_var_name(v), "flag");
    ck_assert_uint_eq(dt_var_type(v), DT_ENUM_OF(DT_INT8));
    ck_assert_ptr_null(dt_var_chunks(v));
    ck_assert_uint_eq(dt_var_codec_count(v), 0);
    ck_assert_int_eq(*(const int8_t *)dt_var_fill(v), -1);
    ck_assert_int_ne(dt_var_big_endian(v), 0);
    ck_assert_int_ne(dt_var_is_coord(v), 0);
    ck_assert_uint_eq(dt_var_enum_count(v), 3);
    ck_assert_int_eq(dt_var_enum_member(v, 2, &name, &value), DT_OK);
    ck_assert_str_eq(name, "missing");
    ck_assert_int_eq(value, -1);
    ck_assert_uint_eq(dt_attrs_count(dt_var_attrs(v)), 0);
    dt_tree_free(t);
}
END_TEST

/* A variable without values reads as its fill value. */
START_TEST(no_values_reads_fill)
{
    dt_tree *t = open_ok(
        "      /: {vars: {v: {dtype: int16, shape: [3], dims: [x], fill_value: -7}}}\n");
    int16_t got[3];

    ck_assert_int_eq(dt_var_read(var_at(t, "/", "v"), NULL, DT_INT16, got, sizeof got),
                     DT_OK);
    ck_assert_int_eq(got[0], -7);
    ck_assert_int_eq(got[2], -7);
    dt_tree_free(t);
}
END_TEST

/* ---- values: every element spelling, read back in the variable's type ---- */

static const uint8_t w_bool[] = {1, 0, 1};
static const int8_t w_int8[] = {-128, 127, 127, 5, 0};
static const int16_t w_int16[] = {-32768, 32767};
static const int32_t w_int32[] = {INT32_MIN, INT32_MAX};
static const int64_t w_int64[] = {INT64_MIN, INT64_MAX, -1};
static const uint8_t w_uint8[] = {0, 255, 255};
static const uint16_t w_uint16[] = {65535};
static const uint32_t w_uint32[] = {4294967295u};
static const uint64_t w_uint64[] = {0, UINT64_MAX, UINT64_MAX};
static const uint16_t w_float16[] = {0x3c00, 0x7bff, 0x3800, 0xc000, 0x0001,
                                     0x7c00, 0xfc00, 0x8000, 0x3c00};
static const float w_float32[] = {1.5f, -0.0f, 3.4028235e+38f, INFINITY,
                                  9.96921e+36f, -1.0e+30f};
static const double w_float64[] = {INFINITY, -INFINITY, 1.0e+16, 1e-320, 0.1, 7,
                                   -9007199254740993.0};
static const float w_complex64[] = {1, 2, -INFINITY, 0.5};
static const double w_complex128[] = {1.5, -2.5};
static const uint8_t w_char[] = {'a', 0xff, 0, '\n'};
static const uint8_t w_bytes3[] = {'a', 'b', 0, 0, 1, 2, 0xc3, 0xa9, 0};
static const uint32_t w_unicode2[] = {0xe9, 0, 'a', 'b', 0x1f600, 0};
static const int8_t w_enum[] = {1, -1, 1};

static const struct {
    const char *dtype, *values, *extra;
    const void *want;
    size_t size;
} value_rows[] = {
    {"bool", "[true, false, 1]", "", w_bool, sizeof w_bool},
    {"int8", "[-128, 127, 0x7f, +5, -0]", "", w_int8, sizeof w_int8},
    {"int16", "[-32768, 32767]", "", w_int16, sizeof w_int16},
    {"int32", "[-2147483648, 2147483647]", "", w_int32, sizeof w_int32},
    {"int64", "[-9223372036854775808, 9223372036854775807, -1]", "",
     w_int64, sizeof w_int64},
    {"uint8", "[0, 255, 0xFF]", "", w_uint8, sizeof w_uint8},
    {"uint16", "65535", "", w_uint16, sizeof w_uint16},
    {"uint32", "[4294967295]", "", w_uint32, sizeof w_uint32},
    {"uint64", "[0, 18446744073709551615, 0xffffffffffffffff]", "",
     w_uint64, sizeof w_uint64},
    {"float16", "[1.0, 65504, 0.5, -2, 6.0e-8, .inf, -.inf, -0.0, 1.0004]", "",
     w_float16, sizeof w_float16},
    {"float32", "[1.5, -0.0, 3.4028235e+38, .Inf, 9.96921e+36, -1.0e+30]", "",
     w_float32, sizeof w_float32},
    {"float64", "[.inf, -.inf, 1.0e+16, 1e-320, 0.1, 7, -9007199254740993]", "",
     w_float64, sizeof w_float64},
    {"complex64", "[[1.0, 2.0], [-.inf, 0.5]]", "", w_complex64, sizeof w_complex64},
    {"complex128", "[1.5, -2.5]", "", w_complex128, sizeof w_complex128},
    {"char", "[\"a\", \"\\xff\", \"\", \"\\n\"]", "", w_char, sizeof w_char},
    {"bytes3", "[\"ab\", \"\\x00\\x01\\x02\", \"\\xC3\\xA9\"]", "",
     w_bytes3, sizeof w_bytes3},
    {"unicode2", "[\"\\u00e9\", \"ab\", \"\\U0001F600\"]", "",
     w_unicode2, sizeof w_unicode2},
    {"enum(int8)", "[1, -1, 1]", ", enum: {a: 1, b: -1}", w_enum, sizeof w_enum},
};

START_TEST(values_row)
{
    char body[512];
    dt_tree *t;
    dt_var *v;
    uint64_t n;
    unsigned char got[256];
    dt_type type;
    size_t es;

    ck_assert_int_eq(dt_type_parse(&type, value_rows[_i].dtype), DT_OK);
    es = dt_type_size(type);
    n = value_rows[_i].size / es;
    snprintf(body, sizeof body,
             "      /: {vars: {v: {dtype: \"%s\", shape: [%llu], dims: [x], "
             "values: %s%s}}}\n",
             value_rows[_i].dtype, (unsigned long long)n, value_rows[_i].values,
             value_rows[_i].extra);
    t = open_ok(body);
    v = var_at(t, "/", "v");
    ck_assert_uint_eq(dt_var_type(v), type);
    ck_assert_int_eq(dt_var_read(v, NULL, type, got, sizeof got), DT_OK);
    ck_assert_mem_eq(got, value_rows[_i].want, value_rows[_i].size);
    dt_tree_free(t);
}
END_TEST

/* NaN has no == : check the bits separately. */
START_TEST(values_nan)
{
    dt_tree *t = open_ok(
        "      /: {vars: {d: {dtype: float64, shape: [2], dims: [x], values: [.nan, .NaN]},\n"
        "                 f: {dtype: float32, shape: [1], dims: [y], values: [.NAN]},\n"
        "                 h: {dtype: float16, shape: [1], dims: [y], values: [.nan]}}}\n");
    double d[2];
    float f;
    uint16_t h;

    ck_assert_int_eq(dt_var_read(var_at(t, "/", "d"), NULL, DT_FLOAT64, d, sizeof d),
                     DT_OK);
    ck_assert(isnan(d[0]) && isnan(d[1]));
    ck_assert_int_eq(dt_var_read(var_at(t, "/", "f"), NULL, DT_FLOAT32, &f, sizeof f),
                     DT_OK);
    ck_assert(isnan(f));
    ck_assert_int_eq(dt_var_read(var_at(t, "/", "h"), NULL, DT_FLOAT16, &h, sizeof h),
                     DT_OK);
    ck_assert_uint_eq(h & 0x7c00, 0x7c00);
    ck_assert_uint_ne(h & 0x3ff, 0);
    dt_tree_free(t);
}
END_TEST

START_TEST(values_strings)
{
    dt_tree *t = open_ok(
        "      /:\n"
        "        vars:\n"
        "          s:\n"
        "            dtype: string\n"
        "            shape: [2, 2]\n"
        "            dims: [y, x]\n"
        "            fill_value: \"\"\n"
        "            values: [\"x\", \"h\\u00e9llo\", '', plain text]\n"
        "          scalar: {dtype: string, shape: [], dims: [], values: \"one\"}\n");
    char *got[4] = {0};
    char *one = NULL;
    dt_var *v = var_at(t, "/", "s");

    ck_assert_str_eq(*(char *const *)dt_var_fill(v), "");
    ck_assert_int_eq(dt_var_read(v, NULL, DT_STRING, got, sizeof got), DT_OK);
    ck_assert_str_eq(got[0], "x");
    ck_assert_str_eq(got[1], "h\xc3\xa9llo");
    ck_assert_str_eq(got[2], "");
    ck_assert_str_eq(got[3], "plain text");
    dt_strings_free(got, 4);
    v = var_at(t, "/", "scalar");
    ck_assert_uint_eq(dt_var_ndim(v), 0);
    ck_assert_int_eq(dt_var_read(v, NULL, DT_STRING, &one, sizeof one), DT_OK);
    ck_assert_str_eq(one, "one");
    dt_strings_free(&one, 1);
    dt_tree_free(t);
}
END_TEST

/* ---- fill values ---- */

static const int8_t f_int8 = -128;
static const uint64_t f_uint64 = UINT64_MAX;
static const float f_float32 = 9.96921e+36f;
static const double f_float64 = -1.0e+300;
static const uint8_t f_char[] = {0};
static const uint8_t f_bytes4[] = {'a', 'b', 0, 0};
static const float f_complex64[] = {1, -2};
static const uint8_t f_enum[] = {3};
static const uint8_t f_bool[] = {1};

static const struct {
    const char *dtype, *fill, *extra;
    const void *want;
    size_t size;
} fill_rows[] = {
    {"int8", "-128", "", &f_int8, 1},
    {"uint64", "18446744073709551615", "", &f_uint64, 8},
    {"float32", "9.96921e+36", "", &f_float32, 4},
    {"float64", "-1.0e+300", "", &f_float64, 8},
    {"char", "\"\\x00\"", "", f_char, 1},
    {"bytes4", "\"ab\"", "", f_bytes4, 4},
    {"complex64", "[1, -2]", "", f_complex64, 8},
    {"enum(uint8)", "3", ", enum: {three: 3}", f_enum, 1},
    {"bool", "true", "", f_bool, 1},
};

START_TEST(fill_row)
{
    char body[512];
    dt_tree *t;
    dt_var *v;

    snprintf(body, sizeof body,
             "      /: {vars: {v: {dtype: \"%s\", shape: [2], dims: [x], "
             "fill_value: %s%s}}}\n",
             fill_rows[_i].dtype, fill_rows[_i].fill, fill_rows[_i].extra);
    t = open_ok(body);
    v = var_at(t, "/", "v");
    ck_assert_ptr_nonnull(dt_var_fill(v));
    ck_assert_mem_eq(dt_var_fill(v), fill_rows[_i].want, fill_rows[_i].size);
    dt_tree_free(t);
}
END_TEST

/* ---- attributes ---- */

static const float a_f32[] = {0.0f, 1.5f};
static const float a_f32_one[] = {2.5f};
static const uint8_t a_u8[] = {1, 2, 3, 4};
static const int16_t a_enum[] = {1, 2};

static const struct {
    const char *type, *value, *extra;
    size_t n;
    int scalar;
    const void *want;
    size_t size;
} attr_rows[] = {
    {"float32", "[0.0, 1.5]", "", 2, 0, a_f32, sizeof a_f32},
    {"float32", "2.5", "", 1, 0, a_f32_one, sizeof a_f32_one},
    {"float32", "2.5", ", shape: []", 1, 1, a_f32_one, sizeof a_f32_one},
    {"float32", "[2.5]", ", shape: [1]", 1, 0, a_f32_one, sizeof a_f32_one},
    {"uint8", "[1, 2, 3, 4]", ", shape: [2, 2]", 4, 0, a_u8, sizeof a_u8},
    {"int64", "[]", "", 0, 0, NULL, 0},
    {"int16", "null", "", 0, 0, NULL, 0},
    {"char", "\"caf\\xC3\\xA9\"", "", 5, 0, "caf\xc3\xa9", 5},
    {"char", "\"\"", "", 0, 0, NULL, 0},
    {"char", "[\"a\", \"b\"]", "", 2, 0, "ab", 2},
    {"bytes2", "[\"a\", \"bc\"]", "", 2, 0, "a\0bc", 4},
    {"enum(int16)", "[1, 2]", "", 2, 0, a_enum, sizeof a_enum},
    {"compound", "null", "", 0, 0, NULL, 0},
};

START_TEST(attr_row)
{
    char body[512];
    dt_tree *t;
    const dt_attr *a;
    dt_type type;

    snprintf(body, sizeof body,
             "      /: {attrs: {a: {type: \"%s\", value: %s%s}}}\n",
             attr_rows[_i].type, attr_rows[_i].value, attr_rows[_i].extra);
    t = open_ok(body);
    a = dt_attrs_find(dt_node_attrs(dt_tree_root(t)), "a");
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(dt_type_parse(&type, attr_rows[_i].type), DT_OK);
    ck_assert_uint_eq(dt_attr_type(a), type);
    ck_assert_uint_eq(dt_attr_len(a), attr_rows[_i].n);
    ck_assert_int_eq(dt_attr_is_scalar(a), attr_rows[_i].scalar);
    if (attr_rows[_i].size)
        ck_assert_mem_eq(dt_attr_data(a), attr_rows[_i].want, attr_rows[_i].size);
    dt_tree_free(t);
}
END_TEST

START_TEST(attr_strings)
{
    dt_tree *t = open_ok(
        "      /:\n"
        "        attrs:\n"
        "          one: {type: string, value: \"Example\"}\n"
        "          two: {type: string, value: [\"a\", b]}\n"
        "          scalar: {type: string, value: \"s\", shape: []}\n"
        "          _FillValue: {type: float32, value: -1.0e+30}\n");
    dt_attrs *attrs = dt_node_attrs(dt_tree_root(t));
    const dt_attr *a = dt_attrs_find(attrs, "one");

    ck_assert_uint_eq(dt_attr_len(a), 1);
    ck_assert_int_eq(dt_attr_is_scalar(a), 0);
    ck_assert_str_eq(((char *const *)dt_attr_data(a))[0], "Example");
    a = dt_attrs_find(attrs, "two");
    ck_assert_uint_eq(dt_attr_len(a), 2);
    ck_assert_str_eq(((char *const *)dt_attr_data(a))[1], "b");
    ck_assert_int_ne(dt_attr_is_scalar(dt_attrs_find(attrs, "scalar")), 0);
    /* a reserved-looking CF name is kept as the document has it */
    ck_assert_ptr_nonnull(dt_attrs_find(attrs, "_FillValue"));
    dt_tree_free(t);
}
END_TEST

/* ---- JSON attribute values ---- */

static const struct {
    const char *value, *json;
} json_rows[] = {
    {"{a: 1, b: [true, null, 1.5, \"s\"]}", "{\"a\":1,\"b\":[true,null,1.5,\"s\"]}"},
    {".nan", "NaN"},
    {".inf", "Infinity"},
    {"-.inf", "-Infinity"},
    {"\"1\"", "\"1\""},
    {"'true'", "\"true\""},
    {"0x10", "16"},
    {"-0x10", "-16"},
    {"+5", "5"},
    {"007", "7"},
    {"-0", "-0"},
    {"1.0e+16", "1.0e+16"},
    {"1.", "1.0"},
    {".5", "0.5"},
    {"+2.5e3", "2500.0"},
    {"+1e16", "1e+16"},
    {"1.5E-5", "1.5E-5"},
    {"+1.5e-5", "1.5e-05"},
    {"+0.000123", "0.000123"},
    {"+123456.75", "123456.75"},
    {"-.0", "-0.0"},
    {"+1e300", "1e+300"},
    {"123456789012345678901234567890", "123456789012345678901234567890"},
    {"18446744073709551615", "18446744073709551615"},
    {"-9223372036854775808", "-9223372036854775808"},
    {"~", "null"},
    {"", "null"},
    {"False", "false"},
    {"[]", "[]"},
    {"{}", "{}"},
    {"hello world", "\"hello world\""},
    {"{1: x, ~: y}", "{\"1\":\"x\",\"~\":\"y\"}"},
    {"'a\"b\\'", "\"a\\\"b\\\\\""},
    {"\"tab\\there\\nnl\"", "\"tab\\there\\nnl\""},
    {"\"\\x01\\0\"", "\"\\u0001\\u0000\""},
    {"\"caf\\u00e9\"", "\"caf\xc3\xa9\""},
    {"[[1, [2]], {k: [{}]}]", "[[1,[2]],{\"k\":[{}]}]"},
};

START_TEST(json_row)
{
    char body[512];
    dt_tree *t;
    const dt_attr *a;

    snprintf(body, sizeof body,
             "      /: {attrs: {j: {type: json, value: %s}}}\n", json_rows[_i].value);
    t = open_ok(body);
    a = dt_attrs_find(dt_node_attrs(dt_tree_root(t)), "j");
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(dt_attr_type(a), DT_JSON);
    ck_assert_uint_eq(dt_attr_len(a), 1);
    ck_assert_int_ne(dt_attr_is_scalar(a), 0);
    ck_assert_str_eq((const char *)dt_attr_data(a), json_rows[_i].json);
    dt_tree_free(t);
}
END_TEST

/* ---- the example tree ---- */

START_TEST(example_ocean)
{
    const char *src = getenv("top_srcdir");
    char path[4096];
    dt_tree *t = NULL;
    dt_node *surface = NULL, *ocean = NULL;
    dt_coord_info ci;
    float sst[4], temp[12];
    double time[4];
    dt_var *v;
    const dt_attr *a;

    snprintf(path, sizeof path, "%s/examples/ocean.yaml", src && *src ? src : ".");
    ck_assert_msg(dt__yaml_open(&t, path, NULL) == DT_OK, "%s",
                  dt_error_last()->message);
    ck_assert_int_eq(dt_node_lookup(&ocean, dt_tree_root(t), "/ocean"), DT_OK);
    ck_assert_int_eq(dt_node_lookup(&surface, dt_tree_root(t), "/ocean/surface"),
                     DT_OK);

    /* time is defined once, at the root, and seen below */
    ck_assert_uint_eq(dt_node_var_count(ocean), 2);
    ck_assert_uint_eq(dt_node_var_count(surface), 1);
    ck_assert_int_eq(dt_node_coord_find(&ci, surface, "time", DT_INHERIT_INDEXES),
                     DT_OK);
    ck_assert_int_ne(ci.inherited, 0);
    ck_assert_ptr_eq(ci.owner, dt_tree_root(t));
    ck_assert_int_ne(ci.is_index, 0);
    ck_assert_int_eq(dt_var_read(ci.var, NULL, DT_FLOAT64, time, sizeof time), DT_OK);
    ck_assert(time[3] == 3.0);
    ck_assert_int_eq(dt_node_coord_find(&ci, ocean, "depth", DT_INHERIT_INDEXES),
                     DT_OK);
    ck_assert_int_eq(ci.inherited, 0);

    v = var_at(t, "/ocean", "temperature");
    ck_assert_int_eq(dt_var_read(v, NULL, DT_FLOAT32, temp, sizeof temp), DT_OK);
    ck_assert(temp[0] == 18.5f && temp[11] == -999.0f);
    a = dt_attrs_find(dt_var_attrs(v), "valid_range");
    ck_assert_uint_eq(dt_attr_type(a), DT_FLOAT32);
    ck_assert_uint_eq(dt_attr_len(a), 2);
    v = var_at(t, "/ocean/surface", "sst");
    ck_assert_int_eq(dt_var_read(v, NULL, DT_FLOAT32, sst, sizeof sst), DT_OK);
    ck_assert(sst[0] == 18.5f && isnan(sst[2]));
    a = dt_attrs_find(dt_node_attrs(dt_tree_root(t)), "title");
    ck_assert_uint_eq(dt_attr_type(a), DT_CHAR);
    a = dt_attrs_find(dt_node_attrs(dt_tree_root(t)), "Conventions");
    ck_assert_uint_eq(dt_attr_type(a), DT_STRING);
    dt_tree_free(t);
}
END_TEST

/* ---- broken documents ---- */

static const struct {
    const char *text;
    int full;               /* text is the whole document, not a group body */
    int code;
    const char *path;       /* dt_error_last()->path, or NULL */
    const char *want[3];    /* each must occur in the message */
} error_rows[] = {
    /* the document */
    {"", 1, DT_EFORMAT, NULL, {"holds no YAML document", NULL}},
    {"- a\n", 1, DT_EFORMAT, NULL, {"line 1", "the document must be a mapping", NULL}},
    {"files: []\n", 1, DT_EFORMAT, NULL, {"the document has no \"format\"", NULL}},
    {"format: dtree-manifest/2\nfiles: []\n", 1, DT_EFORMAT, NULL,
     {"line 1", "format is \"dtree-manifest/2\", expected \"dtree-manifest/1\"", NULL}},
    {"format: dtree-manifest/1\n", 1, DT_EFORMAT, NULL, {"has no \"files\"", NULL}},
    {"format: dtree-manifest/1\nfiles: []\n", 1, DT_EFORMAT, NULL,
     {"line 2", "files is empty", NULL}},
    {"format: dtree-manifest/1\nfiles: [{file: x}]\n", 1, DT_EFORMAT, NULL,
     {"files[0] has no \"groups\"", NULL}},
    {"format: dtree-manifest/1\nformat: dtree-manifest/1\nfiles: []\n", 1, DT_EFORMAT,
     NULL, {"line 2", "key \"format\" is given twice", NULL}},
    {"format: dtree-manifest/1\nfiles: [\n", 1, DT_EFORMAT, NULL,
     {"YAML syntax error", "line 3", NULL}},
    {"format: \"dtree-manifest/1\xff\"\n", 1, DT_EFORMAT, NULL,
     {"not a YAML text", "byte 25", NULL}},
    {"      /: {vars: [}\n", 0, DT_EFORMAT, NULL, {"YAML syntax error", "line 5", NULL}},
    /* groups */
    {"      ocean: {}\n", 0, DT_EFORMAT, "ocean",
     {"line 5", "\"ocean\" does not start with '/'", NULL}},
    {"      /a: [1]\n", 0, DT_EFORMAT, "/a", {"a group must be a mapping, found a list",
                                              NULL}},
    {"      /__a: {}\n", 0, DT_EBADNAME, "/__a", {"line 5", "starts with \"__\"", NULL}},
    {"      /: {dims: {x: -2}}\n", 0, DT_EFORMAT, "/",
     {"dimension \"x\" must be an integer from 0", "-2", NULL}},
    {"      /: {dims: {x: {unlimited: true}}}\n", 0, DT_EFORMAT, "/",
     {"dimension \"x\" has no \"size\"", NULL}},
    /* variables */
    {"      /: {vars: {v: {dtype: floot, shape: [2], dims: [x]}}}\n", 0, DT_EFORMAT,
     "/v", {"line 5", "unknown dtype \"floot\"", NULL}},
    {"      /: {vars: {v: {shape: [1], dims: [x]}}}\n", 0, DT_EFORMAT, "/v",
     {"has no \"dtype\"", NULL}},
    {"      /: {vars: {v: {dtype: int8, dtype: int16, shape: [1], dims: [x]}}}\n", 0,
     DT_EFORMAT, "/v", {"key \"dtype\" is given twice", NULL}},
    {"      /: {vars: {v: {dtype: int8, shape: [2], dims: [x, y]}}}\n", 0, DT_EFORMAT,
     "/v", {"dims has 2 names, shape has 1 sizes", NULL}},
    {"      /: {vars: {v: {dtype: int8, shape: [-2], dims: [x]}}}\n", 0, DT_EFORMAT,
     "/v", {"shape[0] must be an integer from 0", NULL}},
    {"      /: {vars: {v: {dtype: int8, shape: 2, dims: [x]}}}\n", 0, DT_EFORMAT,
     "/v", {"shape must be a list, found the integer 2", NULL}},
    {"      /: {vars: {v: {dtype: int8, shape: [2], dims: [x], chunks: [1, 1]}}}\n", 0,
     DT_EFORMAT, "/v", {"chunks has 2 sizes, shape has 1", NULL}},
    {"      /: {vars: {v: {dtype: int8, shape: [2], dims: [x], byteorder: middle}}}\n",
     0, DT_EFORMAT, "/v", {"byteorder is \"middle\"", NULL}},
    {"      /: {vars: {v: {dtype: int8, shape: [2], dims: [x], codecs: [1]}}}\n", 0,
     DT_EFORMAT, "/v", {"a codec must be a string, found the integer 1", NULL}},
    {"      /: {vars: {v: {dtype: int8, shape: [2], dims: [x], coord: yes}}}\n", 0,
     DT_EFORMAT, "/v", {"coord must be true or false", NULL}},
    {"      /: {vars: {\"v \": {dtype: int8, shape: [2], dims: [x]}}}\n", 0,
     DT_EBADNAME, "/v ", {"line 5", "ends in whitespace", NULL}},
    {"      /: {vars: {v: {dtype: int8, shape: [2], dims: [x], enum: {a: 1}}}}\n", 0,
     DT_EFORMAT, "/v", {"\"enum\" is given but the dtype is int8", NULL}},
    {"      /: {vars: {v: {dtype: enum(uint8), shape: [2], dims: [x], enum: {a: 256}}}}\n",
     0, DT_EFORMAT, "/v", {"enum member \"a\": 256 is out of range for enum(uint8)",
                           NULL}},
    /* values */
    {"      /g: {vars: {v: {dtype: int32, shape: [2, 3], dims: [x, y], "
     "values: [1, 2, 3]}}}\n", 0, DT_EFORMAT, "/g/v",
     {"line 5", "\"values\" has 3 elements, the shape holds 6", NULL}},
    {"      /: {vars: {v: {dtype: int32, shape: [2], dims: [x], values: 1}}}\n", 0,
     DT_EFORMAT, "/v", {"\"values\" is one element, the shape holds 2", NULL}},
    {"      /: {vars: {v: {dtype: uint8, shape: [2], dims: [x], values: [1, 300]}}}\n",
     0, DT_EFORMAT, "/v", {"values[1]: 300 is out of range for uint8", NULL}},
    {"      /: {vars: {v: {dtype: uint16, shape: [1], dims: [x], values: [-1]}}}\n", 0,
     DT_EFORMAT, "/v", {"values[0]: -1 is out of range for uint16", NULL}},
    {"      /: {vars: {v: {dtype: int64, shape: [1], dims: [x], "
     "values: [-9223372036854775809]}}}\n", 0, DT_EFORMAT, "/v",
     {"values[0]: -9223372036854775809 is out of range for int64", NULL}},
    {"      /: {vars: {v: {dtype: uint64, shape: [1], dims: [x], "
     "values: [18446744073709551616]}}}\n", 0, DT_EFORMAT, "/v",
     {"values[0]: 18446744073709551616 is out of range for uint64", NULL}},
    {"      /: {vars: {v: {dtype: int8, shape: [1], dims: [x], values: [0x80]}}}\n", 0,
     DT_EFORMAT, "/v", {"values[0]: 0x80 is out of range for int8", NULL}},
    {"      /: {vars: {v: {dtype: int8, shape: [1], dims: [x], values: [1.5]}}}\n", 0,
     DT_EFORMAT, "/v", {"values[0]: expected an integer, found the number 1.5", NULL}},
    {"      /: {vars: {v: {dtype: float32, shape: [1], dims: [x], "
     "fill_value: 1.0e+39}}}\n", 0, DT_EFORMAT, "/v",
     {"fill_value: 1.0e+39 is out of range for float32", NULL}},
    {"      /: {vars: {v: {dtype: float64, shape: [1], dims: [x], values: [1e999]}}}\n",
     0, DT_EFORMAT, "/v", {"values[0]: 1e999 is out of range for float64", NULL}},
    {"      /: {vars: {v: {dtype: float16, shape: [1], dims: [x], values: [65520]}}}\n",
     0, DT_EFORMAT, "/v", {"values[0]: 65520 is out of range for float16", NULL}},
    {"      /: {vars: {v: {dtype: int8, shape: [1], dims: [x], fill_value: \"5\"}}}\n",
     0, DT_EFORMAT, "/v", {"fill_value: expected an integer, found the string \"5\"",
                           NULL}},
    {"      /: {vars: {v: {dtype: float32, shape: [1], dims: [x], values: [abc]}}}\n",
     0, DT_EFORMAT, "/v", {"values[0]: expected a number, found the string \"abc\"",
                           NULL}},
    {"      /: {vars: {v: {dtype: bool, shape: [1], dims: [x], values: [yes]}}}\n", 0,
     DT_EFORMAT, "/v", {"values[0]: expected true or false, found the string \"yes\"",
                        NULL}},
    {"      /: {vars: {v: {dtype: int8, shape: [1], dims: [x], values: {a: 1}}}}\n", 0,
     DT_EFORMAT, "/v", {"values: expected an integer, found a mapping", NULL}},
    {"      /: {vars: {v: {dtype: complex64, shape: [1], dims: [x], "
     "values: [[1, 2, 3]]}}}\n", 0, DT_EFORMAT, "/v",
     {"values[0]: a complex value is written [real, imaginary], found a list", NULL}},
    {"      /: {vars: {v: {dtype: bytes2, shape: [1], dims: [x], values: [\"abc\"]}}}\n",
     0, DT_EFORMAT, "/v", {"values[0]: \"abc\" is longer than bytes2 holds", NULL}},
    {"      /: {vars: {v: {dtype: char, shape: [1], dims: [x], values: [\"ab\"]}}}\n", 0,
     DT_EFORMAT, "/v", {"values[0]: a char element is one character", NULL}},
    {"      /: {vars: {v: {dtype: bytes2, shape: [1], dims: [x], "
     "values: [\"\\u0100\"]}}}\n", 0, DT_EFORMAT, "/v",
     {"values[0]: character U+0100 in bytes2 text", NULL}},
    {"      /: {vars: {v: {dtype: string, shape: [1], dims: [x], values: [\"a\\0b\"]}}}\n",
     0, DT_EFORMAT, "/v", {"values[0]: a string cannot hold a NUL character", NULL}},
    {"      /: {vars: {v: {dtype: string, shape: [1], dims: [x], values: [1]}}}\n", 0,
     DT_EFORMAT, "/v", {"values[0]: expected a string, found the integer 1", NULL}},
    /* attributes */
    {"      /: {attrs: {c: {type: char, value: \"\\u0100\"}}}\n", 0, DT_EFORMAT, "/",
     {"attribute \"c\": character U+0100 in char text", NULL}},
    {"      /: {attrs: {a: {type: int8, value: 1}, a: {type: int8, value: 2}}}\n", 0,
     DT_EFORMAT, "/", {"attribute \"a\" is listed twice", NULL}},
    {"      /: {attrs: {a: {value: 1}}}\n", 0, DT_EFORMAT, "/",
     {"attribute \"a\" has no \"type\"", NULL}},
    {"      /: {attrs: {a: {type: int8}}}\n", 0, DT_EFORMAT, "/",
     {"attribute \"a\" has no \"value\"", NULL}},
    {"      /: {attrs: {a: {type: [int8], value: 1}}}\n", 0, DT_EFORMAT, "/",
     {"attribute \"a\": type must be a string, found a list", NULL}},
    {"      /: {attrs: {a: {type: int8, value: 1, shape: [x]}}}\n", 0, DT_EFORMAT, "/",
     {"attribute \"a\": shape[0] must be a non-negative integer", NULL}},
    {"      /: {vars: {v: {dtype: int8, shape: [2], dims: [x], chunks: [0]}}}\n", 0,
     DT_EFORMAT, "/v", {"chunks[0] is 0, a chunk size is at least 1", NULL}},
    {"      /: {vars: {v: {dtype: int8, shape: [2], dims: [x], inner_chunks: [0]}}}\n", 0,
     DT_EFORMAT, "/v", {"inner_chunks[0] is 0, a chunk size is at least 1", NULL}},
    {"      /: {vars: {v: {dtype: int8, shape: [2], dims: [x], inner_chunks: [1, 1]}}}\n",
     0, DT_EFORMAT, "/v", {"inner_chunks has 2 sizes, shape has 1", NULL}},
    {"      /: {vars: {v: {dtype: int8, shape: [2, 2], dims: [x, x]}}}\n", 0,
     DT_EFORMAT, "/v", {"dims names \"x\" twice", NULL}},
    {"      /: {dims: {x: 2}, vars: {v: {dtype: int8, shape: [3], dims: [x]}}}\n", 0,
     DT_ECONFLICT, "/v", {"line 5", "3 here, 2 declared in /", NULL}},
    {"      /: {vars: {v: {dtype: int8, shape: [1], dims: [x]}, "
     "v: {dtype: int8, shape: [1], dims: [x]}}}\n", 0, DT_ENAMECLASH, "/v",
     {"line 5", "already contains a variable named \"v\"", NULL}},
    {"      /: {attrs: {a: {type: int7, value: 1}}}\n", 0, DT_EFORMAT, "/",
     {"attribute \"a\": unknown type \"int7\"", NULL}},
    {"      /: {attrs: {a: {type: int8, value: [1, 2, 3], shape: [2, 2]}}}\n", 0,
     DT_EFORMAT, "/", {"attribute \"a\": the shape holds 4 values, the value has 3",
                       NULL}},
    {"      /: {attrs: {a: {type: int8, value: [1, 200]}}}\n", 0, DT_EFORMAT, "/",
     {"attribute \"a\"[1]: 200 is out of range for int8", NULL}},
    {"      /: {vars: {v: {dtype: int8, shape: [1], dims: [x], "
     "attrs: {u: {type: string, value: 5}}}}}\n", 0, DT_EFORMAT, "/v",
     {"attribute \"u\": expected a string, found the integer 5", NULL}},
    {"      /: {attrs: {a: {type: json, value: {[1]: 2}}}}\n", 0, DT_EFORMAT, "/",
     {"a JSON object key must be a scalar, found a list", NULL}},
    {"      /: {attrs: {a: {type: compound, value: [1]}}}\n", 0, DT_ETYPE, "/",
     {"attribute \"a\": compound values cannot be given", NULL}},
};

START_TEST(error_row)
{
    dt_tree *t = (dt_tree *)&t;   /* must come back NULL */
    const dt_error *e;
    int rc;

    rc = open_text(&t, error_rows[_i].text, error_rows[_i].full, NULL);
    e = dt_error_last();
    ck_assert_msg(rc == error_rows[_i].code, "row %d: got %s (%s)", _i,
                  dt_strerror_name(rc), e->message);
    ck_assert_ptr_null(t);
    ck_assert_int_eq(e->code, error_rows[_i].code);
    ck_assert_ptr_nonnull(e->file);
    ck_assert_str_eq(e->file, doc_path);
    ck_assert_msg(strncmp(e->message, doc_path, strlen(doc_path)) == 0,
                  "message does not start with the file: %s", e->message);
    if (error_rows[_i].path) {
        ck_assert_ptr_nonnull(e->path);
        ck_assert_str_eq(e->path, error_rows[_i].path);
    }
    for (int k = 0; k < 3 && error_rows[_i].want[k]; k++)
        ck_assert_msg(strstr(e->message, error_rows[_i].want[k]),
                      "row %d: \"%s\" not in: %s", _i, error_rows[_i].want[k],
                      e->message);
}
END_TEST

START_TEST(missing_file)
{
    dt_tree *t = NULL;
    char path[4200];

    snprintf(path, sizeof path, "%s/no-such.yaml", tmpdir);
    ck_assert_int_eq(dt__yaml_open(&t, path, NULL), DT_ENOTFOUND);
    ck_assert_ptr_null(t);
    ck_assert_str_eq(dt_error_last()->file, path);
}
END_TEST

/* The open options' limits bound rank, JSON depth and attribute size. */
START_TEST(limits)
{
    dt_open_opts o = DT_OPEN_OPTS_INIT;
    dt_tree *t = NULL;

    o.limits.max_rank = 2;
    ck_assert_int_eq(open_text(&t,
        "      /: {vars: {v: {dtype: int8, shape: [1, 1, 1], dims: [x, y, z]}}}\n",
        0, &o), DT_ELIMIT);
    ck_assert_ptr_nonnull(strstr(dt_error_last()->message,
                                 "/v: line 5: shape has 3 dimensions, the limit is 2"));

    o = (dt_open_opts)DT_OPEN_OPTS_INIT;
    o.limits.max_depth = 2;
    ck_assert_int_eq(open_text(&t,
        "      /: {attrs: {j: {type: json, value: [[1]]}}}\n", 0, &o), DT_OK);
    dt_tree_free(t);
    t = NULL;
    ck_assert_int_eq(open_text(&t,
        "      /: {attrs: {j: {type: json, value: [[[1]]]}}}\n", 0, &o), DT_ELIMIT);
    ck_assert_ptr_nonnull(strstr(dt_error_last()->message,
                                 "attribute \"j\" is nested more than 2 levels deep"));

    o = (dt_open_opts)DT_OPEN_OPTS_INIT;
    o.limits.max_attr_bytes = 8;
    ck_assert_int_eq(open_text(&t,
        "      /: {attrs: {a: {type: float64, value: [1, 2]}}}\n", 0, &o), DT_ELIMIT);
    ck_assert_ptr_nonnull(strstr(dt_error_last()->message, "attribute \"a\""));
    ck_assert_int_eq(open_text(&t,
        "      /: {attrs: {a: {type: json, value: \"0123456789\"}}}\n", 0, &o),
        DT_ELIMIT);
    ck_assert_int_eq(open_text(&t,
        "      /: {attrs: {a: {type: char, value: \"0123456789\"}}}\n", 0, &o),
        DT_ELIMIT);
    ck_assert_int_eq(open_text(&t,
        "      /: {attrs: {a: {type: string, value: \"0123456789\"}}}\n", 0, &o),
        DT_ELIMIT);
    ck_assert_ptr_nonnull(strstr(dt_error_last()->message,
                                 "attribute \"a\": the strings are over the limit"));

    /* an alias cannot multiply the memory a small document asks for */
    o = (dt_open_opts)DT_OPEN_OPTS_INIT;
    o.limits.max_alloc = 4096;
    ck_assert_int_eq(open_text(&t,
        "      /: {vars: {a: {dtype: bytes1500, shape: [2], dims: [x], "
        "values: &v [\"\", \"\"]},\n"
        "                 b: {dtype: bytes1500, shape: [2], dims: [x], values: *v}}}\n",
        0, &o), DT_ELIMIT);
    ck_assert_str_eq(dt_error_last()->path, "/b");
    ck_assert_ptr_nonnull(strstr(dt_error_last()->message, "values: 2 elements of 1500 bytes"));
    ck_assert_ptr_null(t);
}
END_TEST

/* A self-referencing alias in a JSON value stops at the depth limit. */
START_TEST(alias_cycle)
{
    dt_tree *t = NULL;

    ck_assert_int_eq(open_text(&t,
        "      /: {attrs: {j: {type: json, value: &a [1, *a]}}}\n", 0, NULL),
        DT_ELIMIT);
    ck_assert_ptr_nonnull(strstr(dt_error_last()->message, "nested more than"));
}
END_TEST

/* Fail each allocation in turn: every run ends in DT_OK or DT_ENOMEM. */
START_TEST(alloc_failures)
{
    const char *body =
        "      /:\n"
        "        dims: {time: {size: 2, unlimited: true}}\n"
        "        attrs: {title: {type: char, value: \"x\"}, j: {type: json, value: [1, a]}}\n"
        "        vars:\n"
        "          time: {dtype: float64, shape: [2], dims: [time], values: [0, 1],\n"
        "                 attrs: {units: {type: string, value: \"days\"}}}\n"
        "      /g:\n"
        "        vars:\n"
        "          s: {dtype: string, shape: [2], dims: [time], values: [a, b],\n"
        "              fill_value: \"\", codecs: [zlib], chunks: [1]}\n";
    int rc = DT_ENOMEM;
    long i;

    for (i = 0; i < 100000 && rc != DT_OK; i++) {
        dt_tree *t = NULL;

        dt__alloc_fail_after(i);
        rc = open_text(&t, body, 0, NULL);
        dt__alloc_fail_after(-1);
        ck_assert_msg(rc == DT_OK || rc == DT_ENOMEM, "allocation %ld: %s", i,
                      dt_error_last()->message);
        if (rc == DT_OK)
            ck_assert_ptr_nonnull(t);
        else
            ck_assert_ptr_null(t);
        dt_tree_free(t);
    }
    ck_assert_int_eq(rc, DT_OK);
    ck_assert_int_gt(i, 10);
}
END_TEST

static Suite *yaml_read_suite(void)
{
    Suite *s = suite_create("yaml_read");
    TCase *tc = tcase_create("tree");

    tcase_add_unchecked_fixture(tc, tmpdir_setup, tmpdir_teardown);
    tcase_add_test(tc, structure);
    tcase_add_test(tc, no_values_reads_fill);
    tcase_add_loop_test(tc, values_row, 0, sizeof value_rows / sizeof *value_rows);
    tcase_add_test(tc, values_nan);
    tcase_add_test(tc, values_strings);
    tcase_add_loop_test(tc, fill_row, 0, sizeof fill_rows / sizeof *fill_rows);
    tcase_add_loop_test(tc, attr_row, 0, sizeof attr_rows / sizeof *attr_rows);
    tcase_add_test(tc, attr_strings);
    tcase_add_loop_test(tc, json_row, 0, sizeof json_rows / sizeof *json_rows);
    tcase_add_test(tc, example_ocean);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_unchecked_fixture(tc, tmpdir_setup, tmpdir_teardown);
    tcase_add_loop_test(tc, error_row, 0, sizeof error_rows / sizeof *error_rows);
    tcase_add_test(tc, missing_file);
    tcase_add_test(tc, limits);
    tcase_add_test(tc, alias_cycle);
    tcase_add_test(tc, alloc_failures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(yaml_read_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
