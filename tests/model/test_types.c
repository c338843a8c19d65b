/* test_types.c: element types against FORMAT.md: sizes, manifest names and
 * their parsing, and conversions between memory types through
 * dt_var_set_data and dt_var_read (range errors, float16). */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtree.h"
#include "model.h"
#include "testutil.h"
#include "util.h"

/* ---- names and sizes: every type FORMAT.md lists ---- */

static const struct {
    const char *name;
    dt_type type;
    size_t size;
} type_rows[] = {
    {"bool", DT_BOOL, 1},
    {"int8", DT_INT8, 1},
    {"int16", DT_INT16, 2},
    {"int32", DT_INT32, 4},
    {"int64", DT_INT64, 8},
    {"uint8", DT_UINT8, 1},
    {"uint16", DT_UINT16, 2},
    {"uint32", DT_UINT32, 4},
    {"uint64", DT_UINT64, 8},
    {"float16", DT_FLOAT16, 2},
    {"float32", DT_FLOAT32, 4},
    {"float64", DT_FLOAT64, 8},
    {"complex64", DT_COMPLEX64, 8},
    {"complex128", DT_COMPLEX128, 16},
    {"string", DT_STRING, sizeof(char *)},
    {"char", DT_CHAR, 1},
    {"bytes1", DT_BYTES_N(1), 1},
    {"bytes10", DT_BYTES_N(10), 10},
    {"bytes1048576", DT_BYTES_N(1048576), 1048576},
    {"unicode1", DT_UNICODE_N(1), 4},
    {"unicode10", DT_UNICODE_N(10), 40},
    {"enum(int8)", DT_ENUM_OF(DT_INT8), 1},
    {"enum(int16)", DT_ENUM_OF(DT_INT16), 2},
    {"enum(int32)", DT_ENUM_OF(DT_INT32), 4},
    {"enum(int64)", DT_ENUM_OF(DT_INT64), 8},
    {"enum(uint8)", DT_ENUM_OF(DT_UINT8), 1},
    {"enum(uint16)", DT_ENUM_OF(DT_UINT16), 2},
    {"enum(uint32)", DT_ENUM_OF(DT_UINT32), 4},
    {"enum(uint64)", DT_ENUM_OF(DT_UINT64), 8},
    {"json", DT_JSON, sizeof(char *)},
    {"compound", DT_COMPOUND, 0},
    {"opaque", DT_OPAQUE, 0},
    {"vlen", DT_VLEN, 0},
    {"vlen(int32)", DT_VLEN_OF(DT_INT32), 0},
    {"vlen(float64)", DT_VLEN_OF(DT_FLOAT64), 0},
    {"vlen(string)", DT_VLEN_OF(DT_STRING), 0},
};

START_TEST(type_row)
{
    dt_type t = 12345;
    char buf[64];

    ck_assert_int_eq(dt_type_parse(&t, type_rows[_i].name), DT_OK);
    ck_assert_uint_eq(t, type_rows[_i].type);
    ck_assert_uint_eq(dt_type_size(t), type_rows[_i].size);
    ck_assert_int_eq(dt_type_name(buf, sizeof buf, t), DT_OK);
    ck_assert_str_eq(buf, type_rows[_i].name);
}
END_TEST

START_TEST(type_name_buffer_too_small)
{
    char buf[10];

    ck_assert_int_eq(dt_type_name(buf, 8, DT_INT8), DT_OK);
    ck_assert_str_eq(buf, "int8");
    /* "complex128" needs 11 bytes */
    tu_assert_rc(dt_type_name(buf, 8, DT_COMPLEX128), DT_EINVAL, "8 bytes");
    tu_assert_rc(dt_type_name(buf, sizeof buf, DT_COMPLEX128), DT_EINVAL, "10 bytes");
    {
        char exact[11];

        tu_assert_rc(dt_type_name(exact, sizeof exact, DT_COMPLEX128), DT_OK, NULL);
        ck_assert_str_eq(exact, "complex128");
    }
}
END_TEST

/* Type codes that are not types. */
static const dt_type bad_codes[] = {
    DT_NONE,
    DT__TYPE_COUNT,
    0xff,
    DT_BYTES,               /* a width is required */
    DT_UNICODE,
    DT_BYTES_N((1u << 20) + 1),
    DT_ENUM,                /* a base integer class is required */
    DT_ENUM_OF(DT_FLOAT32),
    DT_ENUM_OF(DT_BOOL),
    DT_ENUM_OF(DT_STRING),
    DT_INT32 | (1u << 8),   /* a parameter on a plain class */
    DT_STRING | (3u << 8),
    DT_VLEN_OF(DT_ENUM),
};

START_TEST(bad_code_row)
{
    char buf[64];

    ck_assert_uint_eq(dt_type_size(bad_codes[_i]), 0);
    tu_assert_rc(dt_type_name(buf, sizeof buf, bad_codes[_i]), DT_EINVAL,
                 "invalid type code");
}
END_TEST

static const char *const bad_names[] = {
    "", "int", "Int8", "INT8", "int8 ", " int8", "float128", "float",
    "complex", "str", "bytes", "bytes0", "bytes01", "bytes-1", "bytes1x",
    "bytes1048577", "bytes99999999999999999999", "unicode", "unicode0", "S10",
    "U10", "enum", "enum()", "enum(", "enum(int8", "enum(float32)",
    "enum(bool)", "enum(string)", "enum(int8)x", "vlen(", "vlen()",
    "vlen(nope)", "vlen(enum)", "json5", "compound(int8)", "<f8",
};

START_TEST(bad_name_row)
{
    dt_type t = 7;
    char want[64];

    snprintf(want, sizeof want, "unknown type \"%s\"", bad_names[_i]);
    tu_assert_rc(dt_type_parse(&t, bad_names[_i]), DT_EINVAL, want);
    ck_assert_uint_eq(t, DT_NONE);
}
END_TEST

START_TEST(type_predicates)
{
    ck_assert(dt__type_is_integer(DT_BOOL));
    ck_assert(dt__type_is_integer(DT_ENUM_OF(DT_UINT16)));
    ck_assert(!dt__type_is_integer(DT_FLOAT16));
    ck_assert(dt__type_is_numeric(DT_COMPLEX64));
    ck_assert(!dt__type_is_numeric(DT_STRING));
    ck_assert(!dt__type_is_numeric(DT_CHAR));
    ck_assert(!dt__type_is_numeric(DT_BYTES_N(4)));
}
END_TEST

/* ---- conversions through a variable ---- */

/* A 1-D variable v(x) of n elements of type t in a fresh tree. */
static dt_var *var_of(dt_tree **t, dt_type type, size_t n)
{
    dt_var *v = NULL;
    const char *dims[] = {"x"};
    uint64_t shape[] = {n};

    *t = tu_tree(NULL);
    tu_assert_ok(dt_node_add_var(&v, dt_tree_root(*t), "v", type, 1, dims, shape));
    return v;
}

/* Store `in` (given as mem_in) into a variable of `var_type`, read it back
 * as mem_out and compare with `out`, or expect `code` with `want` in the
 * message. Values are up to 8 bytes each, 3 of them. */
typedef union val {
    int8_t i8; int16_t i16; int32_t i32; int64_t i64;
    uint8_t u8; uint16_t u16; uint32_t u32; uint64_t u64;
    float f32; double f64;
} val;

static const struct {
    dt_type var_type, mem_in, mem_out;
    val in[3], out[3];
    int code;
    const char *want;
} conv_rows[] = {
    /* widening and narrowing that fits */
    {DT_UINT8, DT_INT32, DT_INT32, {{.i32 = 0}, {.i32 = 255}, {.i32 = 7}},
     {{.i32 = 0}, {.i32 = 255}, {.i32 = 7}}, DT_OK, NULL},
    {DT_INT8, DT_INT64, DT_INT16, {{.i64 = -128}, {.i64 = 127}, {.i64 = -1}},
     {{.i16 = -128}, {.i16 = 127}, {.i16 = -1}}, DT_OK, NULL},
    {DT_INT16, DT_FLOAT64, DT_INT32, {{.f64 = -32768.0}, {.f64 = 32767.0}, {.f64 = 4.0}},
     {{.i32 = -32768}, {.i32 = 32767}, {.i32 = 4}}, DT_OK, NULL},
    {DT_UINT64, DT_UINT64, DT_UINT64, {{.u64 = UINT64_MAX}, {.u64 = 0}, {.u64 = 1}},
     {{.u64 = UINT64_MAX}, {.u64 = 0}, {.u64 = 1}}, DT_OK, NULL},
    {DT_INT64, DT_UINT32, DT_INT64, {{.u32 = UINT32_MAX}, {.u32 = 0}, {.u32 = 9}},
     {{.i64 = UINT32_MAX}, {.i64 = 0}, {.i64 = 9}}, DT_OK, NULL},
    {DT_FLOAT32, DT_INT32, DT_FLOAT64, {{.i32 = -3}, {.i32 = 16777216}, {.i32 = 0}},
     {{.f64 = -3.0}, {.f64 = 16777216.0}, {.f64 = 0.0}}, DT_OK, NULL},
    {DT_FLOAT64, DT_FLOAT32, DT_FLOAT64, {{.f32 = 0.5f}, {.f32 = -1.25f}, {.f32 = 1e30f}},
     {{.f64 = 0.5}, {.f64 = -1.25}, {.f64 = (double)1e30f}}, DT_OK, NULL},
    {DT_BOOL, DT_INT32, DT_UINT8, {{.i32 = 0}, {.i32 = 1}, {.i32 = 1}},
     {{.u8 = 0}, {.u8 = 1}, {.u8 = 1}}, DT_OK, NULL},
    {DT_ENUM_OF(DT_INT16), DT_INT16, DT_INT64, {{.i16 = -2}, {.i16 = 0}, {.i16 = 300}},
     {{.i64 = -2}, {.i64 = 0}, {.i64 = 300}}, DT_OK, NULL},
    /* out of range on the way in: the message names the element, both
     * types, the value and the variable */
    {DT_UINT8, DT_INT32, DT_INT32, {{.i32 = 1}, {.i32 = 300}, {.i32 = 2}}, {{0}},
     DT_ERANGE, "/v: element 1 converting int32 to uint8: 300 is out of range"},
    {DT_UINT8, DT_INT32, DT_INT32, {{.i32 = -1}, {.i32 = 0}, {.i32 = 0}}, {{0}},
     DT_ERANGE, "element 0 converting int32 to uint8: -1 is out of range"},
    {DT_INT8, DT_INT16, DT_INT16, {{.i16 = 0}, {.i16 = 0}, {.i16 = 128}}, {{0}},
     DT_ERANGE, "element 2 converting int16 to int8: 128 is out of range"},
    {DT_INT8, DT_INT16, DT_INT16, {{.i16 = -129}, {.i16 = 0}, {.i16 = 0}}, {{0}},
     DT_ERANGE, "-129 is out of range"},
    {DT_UINT32, DT_INT64, DT_INT64, {{.i64 = 4294967296}, {.i64 = 0}, {.i64 = 0}}, {{0}},
     DT_ERANGE, "4294967296 is out of range"},
    {DT_INT64, DT_UINT64, DT_UINT64, {{.u64 = UINT64_MAX}, {.u64 = 0}, {.u64 = 0}}, {{0}},
     DT_ERANGE, "18446744073709551615 is out of range"},
    {DT_INT32, DT_FLOAT64, DT_FLOAT64, {{.f64 = 1.5}, {.f64 = 0}, {.f64 = 0}}, {{0}},
     DT_ERANGE, "1.5 is not an integer"},
    {DT_INT32, DT_FLOAT64, DT_FLOAT64, {{.f64 = 0}, {.f64 = NAN}, {.f64 = 0}}, {{0}},
     DT_ERANGE, "element 1 converting float64 to int32"},
    {DT_INT32, DT_FLOAT64, DT_FLOAT64, {{.f64 = 3e9}, {.f64 = 0}, {.f64 = 0}}, {{0}},
     DT_ERANGE, "3000000000 is out of range"},
    {DT_UINT64, DT_FLOAT64, DT_FLOAT64, {{.f64 = 1.8446744073709552e19}, {.f64 = 0}, {.f64 = 0}},
     {{0}}, DT_ERANGE, "is out of range"},
    {DT_UINT16, DT_FLOAT32, DT_FLOAT32, {{.f32 = -1.0f}, {.f32 = 0}, {.f32 = 0}}, {{0}},
     DT_ERANGE, "-1 is out of range"},
    {DT_BOOL, DT_INT8, DT_INT8, {{.i8 = 0}, {.i8 = 2}, {.i8 = 0}}, {{0}},
     DT_ERANGE, "converting int8 to bool"},
};

START_TEST(conv_row)
{
    dt_tree *t;
    dt_var *v = var_of(&t, conv_rows[_i].var_type, 3);
    unsigned char raw[3 * 8];
    size_t ein = dt_type_size(conv_rows[_i].mem_in);
    size_t eout = dt_type_size(conv_rows[_i].mem_out);

    for (size_t k = 0; k < 3; k++)
        memcpy(raw + k * ein, &conv_rows[_i].in[k], ein);
    tu_assert_rc(dt_var_set_data(v, conv_rows[_i].mem_in, raw, 3), conv_rows[_i].code,
                 conv_rows[_i].want);
    if (conv_rows[_i].code == DT_OK) {
        unsigned char got[3 * 8];

        tu_assert_ok(dt_var_read(v, NULL, conv_rows[_i].mem_out, got, sizeof got));
        for (size_t k = 0; k < 3; k++)
            ck_assert_msg(memcmp(got + k * eout, &conv_rows[_i].out[k], eout) == 0,
                          "element %zu differs", k);
    } else {
        /* a refused set_data leaves the variable without data: fill (0) */
        int64_t back[3] = {9, 9, 9};

        tu_read_i64(v, back, 3);
        ck_assert_int_eq(back[0], 0);
        ck_assert_int_eq(back[2], 0);
    }
    dt_tree_free(t);
}
END_TEST

/* Reading converts too, and fails the same way. */
START_TEST(read_out_of_range)
{
    dt_tree *t;
    dt_var *v = var_of(&t, DT_INT32, 3);
    uint8_t out[3] = {0};
    int8_t small[3];

    tu_assert_ok(dt_var_set_data(v, DT_INT32, (int32_t[]){5, 1000, -1}, 3));
    tu_assert_rc(dt_var_read(v, NULL, DT_UINT8, out, sizeof out), DT_ERANGE,
                 "/v: element 1 converting int32 to uint8: 1000 is out of range");
    tu_assert_rc(dt_var_read(v, &(dt_slab){1, (uint64_t[]){2}, (uint64_t[]){1}, NULL},
                             DT_UINT8, out, sizeof out), DT_ERANGE,
                 "element 0 converting int32 to uint8: -1 is out of range");
    tu_assert_ok(dt_var_read(v, &(dt_slab){1, NULL, (uint64_t[]){1}, NULL}, DT_INT8,
                             small, 1));
    ck_assert_int_eq(small[0], 5);
    dt_tree_free(t);
}
END_TEST

START_TEST(no_conversion_between_kinds)
{
    dt_tree *t;
    dt_var *v = var_of(&t, DT_FLOAT64, 2);
    const char *strs[] = {"a", "b"};
    double d[2], c[4];
    char *s[2];

    tu_assert_rc(dt_var_set_data(v, DT_STRING, strs, 2), DT_ETYPE,
                 "cannot convert string to float64");
    tu_assert_ok(dt_var_set_data(v, DT_FLOAT64, (double[]){1, 2}, 2));
    tu_assert_rc(dt_var_read(v, NULL, DT_STRING, s, sizeof s), DT_ETYPE,
                 "/v: cannot convert float64 to string");
    tu_assert_rc(dt_var_read(v, NULL, DT_COMPLEX128, c, sizeof c), DT_ETYPE,
                 "cannot convert float64 to complex128");
    tu_assert_rc(dt_var_read(v, NULL, DT_NONE, d, sizeof d), DT_ETYPE,
                 "invalid memory type code 0x0");
    dt_tree_free(t);
}
END_TEST

START_TEST(complex_round_trip)
{
    dt_tree *t;
    dt_var *v = var_of(&t, DT_COMPLEX64, 2);
    double in[4] = {1.5, -2.0, 0.25, 8.0}, out[4] = {0};
    float f[4] = {0};

    tu_assert_ok(dt_var_set_data(v, DT_COMPLEX128, in, 2));
    tu_assert_ok(dt_var_read(v, NULL, DT_COMPLEX128, out, sizeof out));
    for (int i = 0; i < 4; i++)
        ck_assert_double_eq(out[i], in[i]);
    tu_assert_ok(dt_var_read(v, NULL, DT_COMPLEX64, f, sizeof f));
    ck_assert_float_eq(f[1], -2.0f);
    ck_assert_float_eq(f[3], 8.0f);
    dt_tree_free(t);
}
END_TEST

START_TEST(string_round_trip)
{
    dt_tree *t;
    dt_var *v = var_of(&t, DT_STRING, 3);
    const char *in[3] = {"alpha", "", "\xc3\xa9t\xc3\xa9"};
    char *out[3] = {NULL, NULL, NULL};

    tu_assert_ok(dt_var_set_data(v, DT_STRING, in, 3));
    tu_assert_ok(dt_var_read(v, NULL, DT_STRING, out, sizeof out));
    for (int i = 0; i < 3; i++) {
        ck_assert_str_eq(out[i], in[i]);
        ck_assert_ptr_ne(out[i], in[i]);
    }
    dt_strings_free(out, 3);
    ck_assert_ptr_null(out[0]);
    dt_tree_free(t);
}
END_TEST

/* ---- float16 ---- */

static const struct {
    float f;
    uint16_t bits;
} half_rows[] = {
    {0.0f, 0x0000},
    {-0.0f, 0x8000},
    {1.0f, 0x3c00},
    {-2.5f, 0xc100},
    {0.333251953125f, 0x3555},
    {65504.0f, 0x7bff},                 /* largest finite */
    {6.103515625e-05f, 0x0400},         /* smallest normal, 2^-14 */
    {5.9604644775390625e-08f, 0x0001},  /* smallest subnormal, 2^-24 */
    {6.09755516052246094e-05f, 0x03ff}, /* largest subnormal */
    {INFINITY, 0x7c00},
    {-INFINITY, 0xfc00},
};

START_TEST(half_exact_row)
{
    float back;

    ck_assert_uint_eq(dt__half_from_float(half_rows[_i].f), half_rows[_i].bits);
    back = dt__half_to_float(half_rows[_i].bits);
    ck_assert_msg(back == half_rows[_i].f && signbit(back) == signbit(half_rows[_i].f),
                  "0x%04x read back as %a, expected %a", half_rows[_i].bits,
                  (double)back, (double)half_rows[_i].f);
}
END_TEST

/* Rounding to nearest, ties to even; overflow to infinity; underflow to 0. */
static const struct {
    float f;
    uint16_t bits;
} half_round_rows[] = {
    {1.00048828125f, 0x3c00},   /* 1 + 2^-11: tie, stays even (1.0) */
    {1.00146484375f, 0x3c02},   /* 1 + 3*2^-11: tie, rounds up to even */
    {1.0005f, 0x3c01},          /* just above the tie */
    {65519.0f, 0x7bff},         /* below the overflow tie */
    {65520.0f, 0x7c00},         /* tie at the top: infinity */
    {1e10f, 0x7c00},
    {-1e10f, 0xfc00},
    {2.98023223876953125e-08f, 0x0000}, /* 2^-25: tie between 0 and 2^-24 */
    {4.470348358154296875e-08f, 0x0001}, /* 1.5 * 2^-25 */
    {1e-10f, 0x0000},
    {-1e-10f, 0x8000},
    {6.1e-05f, 0x03ff},         /* rounds within the subnormals */
};

START_TEST(half_round_row)
{
    ck_assert_uint_eq(dt__half_from_float(half_round_rows[_i].f), half_round_rows[_i].bits);
}
END_TEST

START_TEST(half_nan)
{
    uint16_t h = dt__half_from_float(NAN);

    ck_assert_uint_eq(h & 0x7c00, 0x7c00);
    ck_assert_uint_ne(h & 0x03ff, 0);
    ck_assert(isnan(dt__half_to_float(0x7e00)));
    ck_assert(isnan(dt__half_to_float(0xfc01)));
}
END_TEST

/* Every finite half survives half -> float -> half. */
START_TEST(half_all_values)
{
    for (uint32_t b = 0; b <= 0xffff; b++) {
        uint16_t h = (uint16_t)b;

        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff))
            continue; /* NaN payloads */
        ck_assert_uint_eq(dt__half_from_float(dt__half_to_float(h)), h);
    }
}
END_TEST

START_TEST(half_through_variable)
{
    dt_tree *t;
    dt_var *v = var_of(&t, DT_FLOAT16, 5);
    float in[5] = {1.0f, -2.5f, 65504.0f, 5.9604644775390625e-08f, 1.00048828125f};
    float out[5] = {0};
    uint16_t raw[5] = {0};
    double d[5];

    tu_assert_ok(dt_var_set_data(v, DT_FLOAT32, in, 5));
    tu_assert_ok(dt_var_read(v, NULL, DT_FLOAT16, raw, sizeof raw));
    ck_assert_uint_eq(raw[0], 0x3c00);
    ck_assert_uint_eq(raw[1], 0xc100);
    ck_assert_uint_eq(raw[2], 0x7bff);
    ck_assert_uint_eq(raw[3], 0x0001);
    ck_assert_uint_eq(raw[4], 0x3c00);
    tu_assert_ok(dt_var_read(v, NULL, DT_FLOAT32, out, sizeof out));
    ck_assert_float_eq(out[0], 1.0f);
    ck_assert_float_eq(out[1], -2.5f);
    ck_assert_float_eq(out[2], 65504.0f);
    ck_assert_float_eq(out[3], 5.9604644775390625e-08f);
    ck_assert_float_eq(out[4], 1.0f);
    tu_read_f64(v, d, 5);
    ck_assert_double_eq(d[2], 65504.0);
    /* a half that is not an integer does not go into an integer type */
    tu_assert_rc(dt_var_read(v, NULL, DT_INT32, (int32_t[5]){0}, 20), DT_ERANGE,
                 "-2.5 is not an integer");
    dt_tree_free(t);
}
END_TEST

static Suite *types_suite(void)
{
    Suite *s = suite_create("types");
    TCase *tc = tcase_create("names");

    tcase_add_loop_test(tc, type_row, 0, TU_NELEMS(type_rows));
    tcase_add_test(tc, type_name_buffer_too_small);
    tcase_add_loop_test(tc, bad_code_row, 0, TU_NELEMS(bad_codes));
    tcase_add_loop_test(tc, bad_name_row, 0, TU_NELEMS(bad_names));
    tcase_add_test(tc, type_predicates);
    suite_add_tcase(s, tc);

    tc = tcase_create("conversion");
    tcase_add_loop_test(tc, conv_row, 0, TU_NELEMS(conv_rows));
    tcase_add_test(tc, read_out_of_range);
    tcase_add_test(tc, no_conversion_between_kinds);
    tcase_add_test(tc, complex_round_trip);
    tcase_add_test(tc, string_round_trip);
    suite_add_tcase(s, tc);

    tc = tcase_create("float16");
    tcase_add_loop_test(tc, half_exact_row, 0, TU_NELEMS(half_rows));
    tcase_add_loop_test(tc, half_round_row, 0, TU_NELEMS(half_round_rows));
    tcase_add_test(tc, half_nan);
    tcase_add_test(tc, half_all_values);
    tcase_add_test(tc, half_through_variable);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(types_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
