/* test_attrs.c: ordered, typed attributes (datatree-model.md sections 9
 * and 10, conventions.md section 6): every type round trip, scalars versus
 * length-1 vectors, order, replace in place, removal, renaming, and the
 * reserved names. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtree.h"
#include "io/io.h"
#include "model.h"
#include "testutil.h"
#include "util.h"

static void reset(void)
{
    dt__alloc_fail_after(-1);
    dt_error_clear();
}

/* ---- every type ---- */

static const int8_t i8v[] = {-128, 0, 127};
static const int16_t i16v[] = {-32768, 5, 32767};
static const int32_t i32v[] = {INT32_MIN, -1, INT32_MAX};
static const int64_t i64v[] = {INT64_MIN, 0, INT64_MAX};
static const uint8_t u8v[] = {0, 1, 255};
static const uint16_t u16v[] = {0, 65535, 7};
static const uint32_t u32v[] = {UINT32_MAX, 0, 3};
static const uint64_t u64v[] = {UINT64_MAX, 1, 0};
static const uint16_t f16v[] = {0x3c00, 0xc100, 0x7bff};
static const float f32v[] = {0.0f, 1.0f};
static const double f64v[] = {-1.5, 1e300, 0.0};
static const float c64v[] = {1.0f, -1.0f, 2.5f, 0.0f};
static const double c128v[] = {1.0, 2.0};
static const uint8_t boolv[] = {1, 0, 1};
static const uint8_t enumv[] = {2, 0};
static const char bytesv[] = "abcdefgh";          /* bytes4 x 2 */
static const uint32_t unicodev[] = {0x48, 0xe9, 0x1f600, 0}; /* unicode2 x 2 */

static const struct {
    dt_type type;
    size_t n;
    const void *vals;
    size_t nbytes;
} num_rows[] = {
    {DT_INT8, 3, i8v, sizeof i8v},
    {DT_INT16, 3, i16v, sizeof i16v},
    {DT_INT32, 3, i32v, sizeof i32v},
    {DT_INT64, 3, i64v, sizeof i64v},
    {DT_UINT8, 3, u8v, sizeof u8v},
    {DT_UINT16, 3, u16v, sizeof u16v},
    {DT_UINT32, 3, u32v, sizeof u32v},
    {DT_UINT64, 3, u64v, sizeof u64v},
    {DT_FLOAT16, 3, f16v, sizeof f16v},
    {DT_FLOAT32, 2, f32v, sizeof f32v},
    {DT_FLOAT64, 3, f64v, sizeof f64v},
    {DT_COMPLEX64, 2, c64v, sizeof c64v},
    {DT_COMPLEX128, 1, c128v, sizeof c128v},
    {DT_BOOL, 3, boolv, sizeof boolv},
    {DT_ENUM_OF(DT_UINT8), 2, enumv, sizeof enumv},
    {DT_BYTES_N(4), 2, bytesv, 8},
    {DT_UNICODE_N(2), 2, unicodev, sizeof unicodev},
    {DT_CHAR, 5, "hello", 5},
};

START_TEST(num_row)
{
    dt_tree *t = tu_tree(NULL);
    dt_attrs *a = dt_node_attrs(dt_tree_root(t));
    const dt_attr *at;
    char tn[32];

    tu_assert_ok(dt_attrs_set(a, "value", num_rows[_i].type, num_rows[_i].n, num_rows[_i].vals,
                              0));
    at = dt_attrs_find(a, "value");
    ck_assert_ptr_nonnull(at);
    ck_assert_str_eq(dt_attr_name(at), "value");
    ck_assert_uint_eq(dt_attr_type(at), num_rows[_i].type);
    ck_assert_uint_eq(dt_attr_len(at), num_rows[_i].n);
    ck_assert_int_eq(dt_attr_is_scalar(at), 0);
    ck_assert_msg(memcmp(dt_attr_data(at), num_rows[_i].vals, num_rows[_i].nbytes) == 0,
                  "values of %s differ", dt_type_name(tn, sizeof tn, num_rows[_i].type) ? "?" : tn);
    /* the values were copied */
    ck_assert_ptr_ne(dt_attr_data(at), num_rows[_i].vals);
    /* and survive a copy of the group */
    {
        dt_tree *u = tu_tree(NULL);
        dt_node *c = NULL;

        tu_assert_ok(dt_node_copy(&c, dt_tree_root(t), dt_tree_root(u), "c", 0));
        at = dt_attrs_find(dt_node_attrs(c), "value");
        ck_assert_uint_eq(dt_attr_type(at), num_rows[_i].type);
        ck_assert_uint_eq(dt_attr_len(at), num_rows[_i].n);
        ck_assert(memcmp(dt_attr_data(at), num_rows[_i].vals, num_rows[_i].nbytes) == 0);
        dt_tree_free(u);
    }
    dt_tree_free(t);
}
END_TEST

START_TEST(char_text_is_terminated)
{
    dt_tree *t = tu_tree(NULL);
    dt_attrs *a = dt_node_attrs(dt_tree_root(t));
    const dt_attr *at;

    tu_assert_ok(dt_attrs_set(a, "title", DT_CHAR, 5, "hello world", 0));
    at = dt_attrs_find(a, "title");
    ck_assert_uint_eq(dt_attr_len(at), 5);
    ck_assert_str_eq((const char *)dt_attr_data(at), "hello");
    /* an empty char attribute is an empty string */
    tu_assert_ok(dt_attrs_set(a, "empty", DT_CHAR, 0, NULL, 0));
    at = dt_attrs_find(a, "empty");
    ck_assert_uint_eq(dt_attr_len(at), 0);
    ck_assert_str_eq((const char *)dt_attr_data(at), "");
    dt_tree_free(t);
}
END_TEST

START_TEST(strings)
{
    dt_tree *t = tu_tree(NULL);
    dt_var *v = tu_var_i64(dt_tree_root(t), "v", "x", 1, NULL);
    dt_attrs *a = dt_var_attrs(v);
    char first[] = "degC";
    const char *vals[3] = {first, "", "\xc3\xa9t\xc3\xa9"};
    const dt_attr *at;
    char *const *got;

    tu_assert_ok(dt_attrs_set(a, "names", DT_STRING, 3, vals, 0));
    first[0] = 'X';
    at = dt_attrs_find(a, "names");
    ck_assert_uint_eq(dt_attr_type(at), DT_STRING);
    ck_assert_uint_eq(dt_attr_len(at), 3);
    got = dt_attr_data(at);
    ck_assert_str_eq(got[0], "degC");
    ck_assert_str_eq(got[1], "");
    ck_assert_str_eq(got[2], "\xc3\xa9t\xc3\xa9");
    /* a NULL element is stored as "" */
    tu_assert_ok(dt_attrs_set(a, "holes", DT_STRING, 2, (const char *[]){"a", NULL}, 0));
    got = dt_attr_data(dt_attrs_find(a, "holes"));
    ck_assert_str_eq(got[1], "");
    /* a scalar string */
    tu_assert_ok(dt_attrs_set(a, "units", DT_STRING, 1, (const char *[]){"K"}, DT_ATTR_SCALAR));
    at = dt_attrs_find(a, "units");
    ck_assert_int_eq(dt_attr_is_scalar(at), 1);
    ck_assert_str_eq(((char *const *)dt_attr_data(at))[0], "K");
    /* an empty string list */
    tu_assert_ok(dt_attrs_set(a, "none", DT_STRING, 0, NULL, 0));
    ck_assert_uint_eq(dt_attr_len(dt_attrs_find(a, "none")), 0);
    dt_tree_free(t);
}
END_TEST

START_TEST(json_text)
{
    dt_tree *t = tu_tree(NULL);
    dt_attrs *a = dt_node_attrs(dt_tree_root(t));
    char text[] = "{\"a\": [1, 2.5, null], \"b\": {\"c\": true}}";
    const dt_attr *at;

    tu_assert_ok(dt_attrs_set(a, "meta", DT_JSON, 1, text, 0));
    text[0] = '[';
    at = dt_attrs_find(a, "meta");
    ck_assert_uint_eq(dt_attr_type(at), DT_JSON);
    ck_assert_uint_eq(dt_attr_len(at), 1);
    ck_assert_str_eq((const char *)dt_attr_data(at),
                     "{\"a\": [1, 2.5, null], \"b\": {\"c\": true}}");
    tu_assert_ok(dt_attrs_set(a, "nothing", DT_JSON, 1, "null", DT_ATTR_SCALAR));
    ck_assert_str_eq((const char *)dt_attr_data(dt_attrs_find(a, "nothing")), "null");
    tu_assert_rc(dt_attrs_set(a, "two", DT_JSON, 2, text, 0), DT_EINVAL,
                 "attribute \"two\": a JSON value is one text");
    tu_assert_rc(dt_attrs_set(a, "zero", DT_JSON, 0, NULL, 0), DT_EINVAL,
                 "a JSON value is one text");
    ck_assert_uint_eq(dt_attrs_count(a), 2);
    dt_tree_free(t);
}
END_TEST

/* Section 9 item 6: a scalar is not a length-1 vector. */
START_TEST(scalar_vs_length1)
{
    dt_tree *t = tu_tree(NULL);
    dt_attrs *a = dt_node_attrs(dt_tree_root(t));
    int16_t five = 5;
    const dt_attr *s, *v;

    tu_assert_ok(dt_attrs_set(a, "scalar", DT_INT16, 1, &five, DT_ATTR_SCALAR));
    tu_assert_ok(dt_attrs_set(a, "vector", DT_INT16, 1, &five, 0));
    s = dt_attrs_find(a, "scalar");
    v = dt_attrs_find(a, "vector");
    ck_assert_int_eq(dt_attr_is_scalar(s), 1);
    ck_assert_int_eq(dt_attr_is_scalar(v), 0);
    ck_assert_uint_eq(dt_attr_len(s), 1);
    ck_assert_uint_eq(dt_attr_len(v), 1);
    ck_assert_uint_eq(dt_attr_type(s), DT_INT16); /* the width is kept */
    ck_assert_int_eq(*(const int16_t *)dt_attr_data(s), 5);
    tu_assert_rc(dt_attrs_set(a, "bad", DT_INT16, 2, (int16_t[]){1, 2}, DT_ATTR_SCALAR),
                 DT_EINVAL, "attribute \"bad\": a scalar has one value, not 2");
    tu_assert_rc(dt_attrs_set(a, "bad", DT_INT16, 0, NULL, DT_ATTR_SCALAR), DT_EINVAL,
                 "a scalar has one value, not 0");
    /* replacing a scalar by a vector changes the flag */
    tu_assert_ok(dt_attrs_set(a, "scalar", DT_INT16, 1, &five, 0));
    ck_assert_int_eq(dt_attr_is_scalar(dt_attrs_find(a, "scalar")), 0);
    /* and a copy keeps the distinction */
    tu_assert_ok(dt_attrs_set(a, "scalar", DT_INT16, 1, &five, DT_ATTR_SCALAR));
    {
        dt_tree *u = tu_tree(NULL);
        dt_node *c = NULL;

        tu_assert_ok(dt_node_copy(&c, dt_tree_root(t), dt_tree_root(u), "c", 0));
        ck_assert_int_eq(dt_attr_is_scalar(dt_attrs_find(dt_node_attrs(c), "scalar")), 1);
        ck_assert_int_eq(dt_attr_is_scalar(dt_attrs_find(dt_node_attrs(c), "vector")), 0);
        dt_tree_free(u);
    }
    dt_tree_free(t);
}
END_TEST

START_TEST(refused_values)
{
    dt_tree *t = tu_tree(NULL);
    dt_attrs *a = dt_node_attrs(dt_tree_root(t));

    tu_assert_rc(dt_attrs_set(a, "nothing", DT_INT32, 2, NULL, 0), DT_EINVAL,
                 "attribute \"nothing\": no values given");
    tu_assert_rc(dt_attrs_set(a, "bad", DT_NONE, 1, "x", 0), DT_ETYPE,
                 "attribute \"bad\": invalid type code 0x0");
    tu_assert_rc(dt_attrs_set(a, "cmp", DT_COMPOUND, 1, "x", 0), DT_ETYPE,
                 "attribute \"cmp\": compound values are not supported");
    tu_assert_rc(dt_attrs_set(a, "vl", DT_VLEN_OF(DT_INT32), 2, "xx", 0), DT_ETYPE,
                 "vlen(int32) values are not supported");
    tu_assert_rc(dt_attrs_set(a, "a/b", DT_INT8, 1, "x", 0), DT_EBADNAME,
                 "attribute name \"a/b\" contains '/'");
    tu_assert_rc(dt_attrs_set(a, "", DT_INT8, 1, "x", 0), DT_EBADNAME, "cannot be empty");
    tu_assert_rc(dt_attrs_set(NULL, "x", DT_INT8, 1, "x", 0), DT_EINVAL, NULL);
    ck_assert_uint_eq(dt_attrs_count(a), 0);
    /* user-defined classes are listed without values */
    tu_assert_ok(dt_attrs_set(a, "opq", DT_OPAQUE, 0, NULL, 0));
    ck_assert_uint_eq(dt_attr_type(dt_attrs_find(a, "opq")), DT_OPAQUE);
    ck_assert_uint_eq(dt_attr_len(dt_attrs_find(a, "opq")), 0);
    dt_tree_free(t);
}
END_TEST

/* ---- order, replacement, removal, renaming ---- */

static void assert_order(const dt_attrs *a, const char *const *want, size_t n)
{
    ck_assert_uint_eq(dt_attrs_count(a), n);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(dt_attr_name(dt_attrs_at(a, i)), want[i]);
    ck_assert_ptr_null(dt_attrs_at(a, n));
}

START_TEST(order_replace_remove_rename)
{
    dt_tree *t = tu_tree(NULL);
    dt_attrs *a = dt_node_attrs(dt_tree_root(t));
    static const char *const names[] = {"z", "a", "m", "b", "y", "c", "x", "d", "w", "e"};
    int32_t v;

    /* more than the first allocation holds */
    for (int i = 0; i < 10; i++) {
        v = i;
        tu_assert_ok(dt_attrs_set(a, names[i], DT_INT32, 1, &v, 0));
    }
    assert_order(a, names, 10);
    /* replace in place: same position, new type and value */
    tu_assert_ok(dt_attrs_set(a, "m", DT_STRING, 1, (const char *[]){"now text"}, 0));
    assert_order(a, names, 10);
    ck_assert_uint_eq(dt_attr_type(dt_attrs_at(a, 2)), DT_STRING);
    ck_assert_str_eq(((char *const *)dt_attr_data(dt_attrs_at(a, 2)))[0], "now text");
    /* remove keeps the others in order */
    tu_assert_ok(dt_attrs_remove(a, "z"));
    tu_assert_ok(dt_attrs_remove(a, "y"));
    {
        static const char *const want[] = {"a", "m", "b", "c", "x", "d", "w", "e"};
        assert_order(a, want, 8);
    }
    tu_assert_rc(dt_attrs_remove(a, "z"), DT_ENOTFOUND, "no attribute \"z\"");
    /* rename in place */
    tu_assert_ok(dt_attrs_rename(a, "b", "bee"));
    {
        static const char *const want[] = {"a", "m", "bee", "c", "x", "d", "w", "e"};
        assert_order(a, want, 8);
    }
    ck_assert_int_eq(*(const int32_t *)dt_attr_data(dt_attrs_find(a, "bee")), 3);
    ck_assert_ptr_null(dt_attrs_find(a, "b"));
    tu_assert_rc(dt_attrs_rename(a, "bee", "c"), DT_ENAMECLASH, "attribute \"c\" already exists");
    tu_assert_rc(dt_attrs_rename(a, "nope", "q"), DT_ENOTFOUND, "no attribute \"nope\"");
    tu_assert_rc(dt_attrs_rename(a, "bee", "bad\x01"), DT_EBADNAME, "control character 0x01");
    tu_assert_rc(dt_attrs_rename(a, "bee", "_ARRAY_DIMENSIONS"), DT_ERESERVED,
                 "attribute \"_ARRAY_DIMENSIONS\": the name is reserved by a storage format");
    tu_assert_ok(dt_attrs_rename(a, "bee", "bee"));
    ck_assert_ptr_nonnull(dt_attrs_find(a, "bee"));
    ck_assert_ptr_null(dt_attrs_find(a, NULL));
    ck_assert_ptr_null(dt_attrs_find(NULL, "a"));
    dt_tree_free(t);
}
END_TEST

/* A borrowed attribute pointer of another attribute survives growth. */
START_TEST(borrowed_survives_growth)
{
    dt_tree *t = tu_tree(NULL);
    dt_attrs *a = dt_node_attrs(dt_tree_root(t));
    const dt_attr *first;
    char name[16];

    tu_assert_ok(dt_attrs_set(a, "first", DT_INT8, 1, "\x07", 0));
    first = dt_attrs_find(a, "first");
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof name, "a%d", i);
        tu_assert_ok(dt_attrs_set(a, name, DT_INT8, 1, "\x01", 0));
    }
    ck_assert_ptr_eq(dt_attrs_find(a, "first"), first);
    ck_assert_str_eq(dt_attr_name(first), "first");
    ck_assert_uint_eq(dt_attrs_count(a), 101);
    dt_tree_free(t);
}
END_TEST

/* ---- reserved names (conventions.md section 6) ---- */

static const char *const reserved_rows[] = {
    "CLASS", "NAME", "REFERENCE_LIST", "DIMENSION_LIST",
    "_Netcdf4Dimid", "_Netcdf4Coordinates", "_NCProperties", "_nc3_strict",
    "_ARRAY_DIMENSIONS",
    "_nczarr_superblock", "_nczarr_group", "_nczarr_array", "_nczarr_attr",
    "_nczarr_maxstrlen", "_nczarr_default_maxstrlen",
    "_NCZARR_SUPERBLOCK", "_NCZARR_GROUP", "_NCZARR_ARRAY", "_NCZARR_ATTR",
    "_NCZARR_MAXSTRLEN", "_NCZARR_DEFAULT_MAXSTRLEN",
};

START_TEST(reserved_row)
{
    dt_tree *t = tu_tree(NULL);
    dt_var *v = tu_var_i64(dt_tree_root(t), "v", "x", 1, NULL);
    const char *name = reserved_rows[_i];
    char want[128];

    snprintf(want, sizeof want, "attribute \"%s\": the name is reserved by a storage format",
             name);
    ck_assert_int_eq(dt_attr_name_reserved(name), 1);
    tu_assert_rc(dt_attrs_set(dt_node_attrs(dt_tree_root(t)), name, DT_INT32, 1,
                              (int32_t[]){1}, 0), DT_ERESERVED, want);
    tu_assert_rc(dt_attrs_set(dt_var_attrs(v), name, DT_STRING, 1, (const char *[]){"x"}, 0),
                 DT_ERESERVED, want);
    ck_assert_uint_eq(dt_attrs_count(dt_var_attrs(v)), 0);
    /* readers may keep them through the raw setter */
    tu_assert_ok(dt__attrs_set_raw(dt_var_attrs(v), name, DT_INT32, 1, (int32_t[]){1}, 0));
    ck_assert_uint_eq(dt_attrs_count(dt_var_attrs(v)), 1);
    dt_tree_free(t);
}
END_TEST

/* Names that look alike but are ordinary attributes. */
static const char *const not_reserved_rows[] = {
    "_FillValue", "missing_value", "scale_factor", "units", "coordinates",
    "_Format", "_IsNetcdf4", "_SuperblockVersion", "_Codecs", "class", "Name",
    "_nczarr", "_nczar_attr", "nczarr_attr", "_Netcdf4", "_ARRAY_DIMENSIONS_",
    "DIMENSION_LIST2", "_Unsigned", "_Encoding",
};

START_TEST(not_reserved_row)
{
    dt_tree *t = tu_tree(NULL);
    dt_attrs *a = dt_node_attrs(dt_tree_root(t));

    ck_assert_int_eq(dt_attr_name_reserved(not_reserved_rows[_i]), 0);
    tu_assert_ok(dt_attrs_set(a, not_reserved_rows[_i], DT_INT8, 1, "\x01", 0));
    ck_assert_ptr_nonnull(dt_attrs_find(a, not_reserved_rows[_i]));
    dt_tree_free(t);
}
END_TEST

/* _FillValue keeps the variable's storage type (section 9 item 5). */
START_TEST(fill_value_attribute)
{
    dt_tree *t = tu_tree(NULL);
    dt_var *v = tu_var1(dt_tree_root(t), "v", "x", DT_INT16, 2, DT_INT16, NULL);
    int16_t fv = -32767;
    const dt_attr *at;

    tu_assert_ok(dt_attrs_set(dt_var_attrs(v), "_FillValue", DT_INT16, 1, &fv, 0));
    at = dt_attrs_find(dt_var_attrs(v), "_FillValue");
    ck_assert_uint_eq(dt_attr_type(at), DT_INT16);
    ck_assert_int_eq(*(const int16_t *)dt_attr_data(at), -32767);
    dt_tree_free(t);
}
END_TEST

static Suite *attrs_suite(void)
{
    Suite *s = suite_create("attrs");
    TCase *tc = tcase_create("types");

    tcase_add_checked_fixture(tc, reset, NULL);
    tcase_add_loop_test(tc, num_row, 0, TU_NELEMS(num_rows));
    tcase_add_test(tc, char_text_is_terminated);
    tcase_add_test(tc, strings);
    tcase_add_test(tc, json_text);
    tcase_add_test(tc, scalar_vs_length1);
    tcase_add_test(tc, refused_values);
    suite_add_tcase(s, tc);

    tc = tcase_create("maps");
    tcase_add_checked_fixture(tc, reset, NULL);
    tcase_add_test(tc, order_replace_remove_rename);
    tcase_add_test(tc, borrowed_survives_growth);
    suite_add_tcase(s, tc);

    tc = tcase_create("reserved");
    tcase_add_checked_fixture(tc, reset, NULL);
    tcase_add_loop_test(tc, reserved_row, 0, TU_NELEMS(reserved_rows));
    tcase_add_loop_test(tc, not_reserved_row, 0, TU_NELEMS(not_reserved_rows));
    tcase_add_test(tc, fill_value_attribute);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(attrs_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
