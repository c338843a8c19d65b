/* test_var.c: variables against the model spec (sections 3, 5 and 8):
 * definition and dimension rules, hyperslab reads and writes, strings, fill
 * values, lazy sources, renaming and removal, enums, coordinate flags,
 * size overflow, and resizing and renaming dimensions. */
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

/* ---- definition ---- */

START_TEST(add_declares_dims)
{
    dt_tree *t = tu_tree(NULL);
    dt_node *root = dt_tree_root(t);
    dt_var *v = NULL, *w = NULL;
    const char *dims[] = {"time", "lat"};
    const uint64_t shape[] = {4, 3};
    dt_dim_info d;

    tu_assert_ok(dt_node_add_var(&v, root, "t2m", DT_FLOAT32, 2, dims, shape));
    ck_assert_str_eq(dt_var_name(v), "t2m");
    ck_assert_ptr_eq(dt_var_node(v), root);
    ck_assert_uint_eq(dt_var_type(v), DT_FLOAT32);
    ck_assert_uint_eq(dt_var_ndim(v), 2);
    ck_assert_str_eq(dt_var_dim(v, 0), "time");
    ck_assert_str_eq(dt_var_dim(v, 1), "lat");
    ck_assert_ptr_null(dt_var_dim(v, 2));
    ck_assert_uint_eq(dt_var_shape(v)[0], 4);
    ck_assert_uint_eq(dt_var_shape(v)[1], 3);
    ck_assert_int_eq(dt_var_is_coord(v), 0);
    ck_assert_int_eq(dt_var_is_lazy(v), 0);
    /* dims are declared in order */
    ck_assert_uint_eq(dt_node_dim_count(root), 2);
    tu_assert_ok(dt_node_dim(&d, root, 1));
    ck_assert_str_eq(d.name, "lat");
    ck_assert_uint_eq(d.size, 3);
    ck_assert_int_eq(d.unlimited, 0);
    ck_assert_ptr_eq(d.owner, root);
    tu_assert_rc(dt_node_dim(&d, root, 2), DT_ENOTFOUND, "dimension index 2: the group has 2");
    /* shape NULL takes the sizes of existing dims, here in another order */
    tu_assert_ok(dt_node_add_var(&w, root, "u", DT_INT8, 2, (const char *[]){"lat", "time"},
                                 NULL));
    ck_assert_uint_eq(dt_var_shape(w)[0], 3);
    ck_assert_uint_eq(dt_var_shape(w)[1], 4);
    ck_assert_uint_eq(dt_node_dim_count(root), 2);
    /* a scalar */
    tu_assert_ok(dt_node_add_var(&w, root, "height", DT_FLOAT64, 0, NULL, NULL));
    ck_assert_uint_eq(dt_var_ndim(w), 0);
    {
        uint64_t n = 0;

        tu_assert_ok(dt_var_nelems(&n, w));
        ck_assert_uint_eq(n, 1);
    }
    /* creation order is kept */
    ck_assert_uint_eq(dt_node_var_count(root), 3);
    ck_assert_str_eq(dt_var_name(dt_node_var(root, 0)), "t2m");
    ck_assert_str_eq(dt_var_name(dt_node_var(root, 2)), "height");
    ck_assert_ptr_null(dt_node_var(root, 3));
    tu_assert_ok(dt_node_var_find(&w, root, "u"));
    ck_assert_str_eq(dt_var_name(w), "u");
    tu_assert_rc(dt_node_var_find(&w, root, "nope"), DT_ENOTFOUND, "no variable /nope");
    ck_assert_ptr_null(w);
    dt_tree_free(t);
}
END_TEST

START_TEST(add_uses_ancestor_dims)
{
    dt_tree *t = tu_tree("/a/b", NULL);
    dt_var *v = NULL;
    dt_dim_info d;

    tu_var_i64(dt_tree_root(t), "d", "x", 5, NULL);
    tu_assert_ok(dt_node_add_var(&v, tu_node(t, "/a/b"), "e", DT_INT16, 1,
                                 (const char *[]){"x"}, NULL));
    ck_assert_uint_eq(dt_var_shape(v)[0], 5);
    ck_assert_uint_eq(dt_node_dim_count(tu_node(t, "/a/b")), 0);
    tu_assert_ok(dt_node_dim_find(&d, tu_node(t, "/a/b"), "x"));
    ck_assert_ptr_eq(d.owner, dt_tree_root(t));
    tu_assert_rc(dt_node_dim_find(&d, tu_node(t, "/a"), "y"), DT_ENOTFOUND,
                 "no dimension \"y\" is visible in group /a");
    dt_tree_free(t);
}
END_TEST

static const struct {
    const char *what;
    size_t ndim;
    const char *dims[3];
    uint64_t shape[3];
    int shape_null;
    int code;
    const char *want;
} add_fail_rows[] = {
    {"unknown dim without a shape", 2, {"x", "nope"}, {0}, 1, DT_ENOTFOUND,
     "variable \"v\": no dimension \"nope\" is visible and no size was given"},
    {"a dim named twice", 2, {"x", "x"}, {4, 4}, 0, DT_EINVAL,
     "variable \"v\" names dimension \"x\" twice"},
    {"conflicting size in the group", 1, {"x"}, {3}, 0, DT_ECONFLICT,
     "variable \"v\": conflicting sizes for dimension 'x': 3 here, 4 declared in /"},
    {"conflict on the second dim", 2, {"new", "x"}, {2, 5}, 0, DT_ECONFLICT,
     "conflicting sizes for dimension 'x': 5 here, 4"},
    {"a bad dimension name", 1, {"a/b"}, {1}, 0, DT_EBADNAME,
     "dimension name \"a/b\" contains '/'"},
    {"an empty dimension name", 1, {""}, {1}, 0, DT_EBADNAME, "dimension name cannot be empty"},
};

START_TEST(add_fail_row)
{
    dt_tree *t = tu_tree(NULL);
    dt_var *v = (dt_var *)1;
    char *before, *after;

    tu_var_i64(dt_tree_root(t), "x", "x", 4, (int64_t[]){1, 2, 3, 4});
    before = tu_dump(dt_tree_root(t));
    tu_assert_rc(dt_node_add_var(&v, dt_tree_root(t), "v", DT_FLOAT64, add_fail_rows[_i].ndim,
                                 add_fail_rows[_i].dims,
                                 add_fail_rows[_i].shape_null ? NULL : add_fail_rows[_i].shape),
                 add_fail_rows[_i].code, add_fail_rows[_i].want);
    ck_assert_ptr_null(v);
    /* nothing was declared on the way */
    after = tu_dump(dt_tree_root(t));
    ck_assert_str_eq(after, before);
    ck_assert_uint_eq(dt_node_dim_count(dt_tree_root(t)), 1);
    free(before);
    free(after);
    dt_tree_free(t);
}
END_TEST

START_TEST(add_rank_limit)
{
    dt_tree *t = tu_tree(NULL);
    dt_var *v = NULL;
    const char *dims[33];
    uint64_t shape[33];
    char names[33][8];

    for (int i = 0; i < 33; i++) {
        snprintf(names[i], sizeof names[i], "d%d", i);
        dims[i] = names[i];
        shape[i] = 1;
    }
    tu_assert_rc(dt_node_add_var(&v, dt_tree_root(t), "big", DT_INT8, 33, dims, shape),
                 DT_ELIMIT, "variable \"big\" has 33 dimensions, the limit is 32");
    ck_assert_uint_eq(dt_node_dim_count(dt_tree_root(t)), 0);
    tu_assert_ok(dt_node_add_var(&v, dt_tree_root(t), "ok", DT_INT8, 32, dims, shape));
    ck_assert_uint_eq(dt_var_ndim(v), 32);
    dt_tree_free(t);
}
END_TEST

START_TEST(add_bad_types)
{
    dt_tree *t = tu_tree(NULL);
    dt_var *v = NULL;

    tu_assert_rc(dt_node_add_var(&v, dt_tree_root(t), "j", DT_JSON, 0, NULL, NULL), DT_ETYPE,
                 "variable \"j\": type json is for attributes only");
    tu_assert_rc(dt_node_add_var(&v, dt_tree_root(t), "n", DT_NONE, 0, NULL, NULL), DT_ETYPE,
                 "variable \"n\": invalid type code 0x0");
    tu_assert_rc(dt_node_add_var(&v, dt_tree_root(t), "b", DT_BYTES, 0, NULL, NULL), DT_ETYPE,
                 "invalid type code");
    ck_assert_uint_eq(dt_node_var_count(dt_tree_root(t)), 0);
    dt_tree_free(t);
}
END_TEST

/* ---- hyperslabs ---- */

/* v(y=3, x=4) = 0..11 */
static dt_var *grid(dt_tree **t)
{
    dt_var *v = NULL;
    int32_t vals[12];

    for (int i = 0; i < 12; i++)
        vals[i] = i;
    *t = tu_tree(NULL);
    tu_assert_ok(dt_node_add_var(&v, dt_tree_root(*t), "v", DT_INT32, 2,
                                 (const char *[]){"y", "x"}, (uint64_t[]){3, 4}));
    tu_assert_ok(dt_var_set_data(v, DT_INT32, vals, 12));
    return v;
}

static const struct {
    uint64_t start[2], count[2], stride[2];
    int has_start, has_count, has_stride;
    size_t n;
    int32_t want[12];
} slab2_rows[] = {
    {{0}, {0}, {0}, 0, 0, 0, 12, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
    {{1, 1}, {2, 2}, {0}, 1, 1, 0, 4, {5, 6, 9, 10}},
    {{0, 0}, {3, 2}, {1, 2}, 1, 1, 1, 6, {0, 2, 4, 6, 8, 10}},
    {{0, 1}, {2, 2}, {2, 2}, 1, 1, 1, 4, {1, 3, 9, 11}},
    {{2, 3}, {1, 1}, {0}, 1, 1, 0, 1, {11}},
    {{1, 2}, {0}, {0}, 1, 0, 0, 4, {6, 7, 10, 11}},          /* count NULL: to the end */
    {{0, 1}, {0}, {2, 2}, 1, 0, 1, 4, {1, 3, 9, 11}},         /* to the end by stride */
    {{0, 3}, {3, 1}, {1, 5}, 1, 1, 1, 3, {3, 7, 11}},         /* stride past the size */
    {{1, 0}, {0, 4}, {0}, 1, 1, 0, 0, {0}},                   /* an empty selection */
    {{3, 4}, {0, 0}, {0}, 1, 1, 0, 0, {0}},                   /* empty at the very end */
};

START_TEST(slab2_row)
{
    dt_tree *t;
    dt_var *v = grid(&t);
    dt_slab s = {2, slab2_rows[_i].has_start ? slab2_rows[_i].start : NULL,
                 slab2_rows[_i].has_count ? slab2_rows[_i].count : NULL,
                 slab2_rows[_i].has_stride ? slab2_rows[_i].stride : NULL};
    int32_t got[12];
    int64_t as64[12];
    uint64_t n = 99;

    memset(got, 0x55, sizeof got);
    tu_assert_ok(dt_slab_nelems(&n, v, &s));
    ck_assert_uint_eq(n, slab2_rows[_i].n);
    tu_assert_ok(dt_var_read(v, &s, DT_INT32, got, slab2_rows[_i].n * sizeof *got));
    for (size_t i = 0; i < slab2_rows[_i].n; i++)
        ck_assert_int_eq(got[i], slab2_rows[_i].want[i]);
    if (slab2_rows[_i].n < 12)
        ck_assert_int_eq(got[slab2_rows[_i].n], 0x55555555);
    /* the same selection converted on the way */
    tu_assert_ok(dt_var_read(v, &s, DT_INT64, as64, sizeof as64));
    for (size_t i = 0; i < slab2_rows[_i].n; i++)
        ck_assert_int_eq(as64[i], slab2_rows[_i].want[i]);
    dt_tree_free(t);
}
END_TEST

START_TEST(slab3)
{
    dt_tree *t = tu_tree(NULL);
    dt_var *v = NULL;
    int16_t vals[2 * 3 * 4], got[24];
    dt_slab s = {3, (uint64_t[]){1, 0, 1}, (uint64_t[]){1, 2, 2}, (uint64_t[]){1, 2, 2}};

    for (int i = 0; i < 24; i++)
        vals[i] = (int16_t)(100 + i);
    tu_assert_ok(dt_node_add_var(&v, dt_tree_root(t), "c", DT_INT16, 3,
                                 (const char *[]){"z", "y", "x"}, (uint64_t[]){2, 3, 4}));
    tu_assert_ok(dt_var_set_data(v, DT_INT16, vals, 24));
    /* z=1, y in {0, 2}, x in {1, 3}: offsets 12+0+1, 12+0+3, 12+8+1, 12+8+3 */
    tu_assert_ok(dt_var_read(v, &s, DT_INT16, got, 4 * sizeof *got));
    ck_assert_int_eq(got[0], 113);
    ck_assert_int_eq(got[1], 115);
    ck_assert_int_eq(got[2], 121);
    ck_assert_int_eq(got[3], 123);
    /* a column through all three dims */
    s = (dt_slab){3, (uint64_t[]){0, 2, 3}, (uint64_t[]){2, 1, 1}, NULL};
    tu_assert_ok(dt_var_read(v, &s, DT_INT16, got, 2 * sizeof *got));
    ck_assert_int_eq(got[0], 111);
    ck_assert_int_eq(got[1], 123);
    tu_assert_rc(dt_var_read(v, &(dt_slab){3, (uint64_t[]){0, 0, 0}, (uint64_t[]){3, 1, 1},
                                           NULL}, DT_INT16, got, sizeof got),
                 DT_ERANGE, "goes past 'z' of size 2");
    dt_tree_free(t);
}
END_TEST

static const struct {
    size_t ndim;
    uint64_t start[2], count[2], stride[2];
    int has_count, has_stride;
    int code;
    const char *want;
} slab_bad_rows[] = {
    {2, {0, 0}, {1, 1}, {1, 0}, 1, 1, DT_ERANGE, "/v: stride 0 along 'x'"},
    {2, {0, 0}, {1, 1}, {0, 1}, 1, 1, DT_ERANGE, "stride 0 along 'y'"},
    {2, {0, 0}, {4, 1}, {0}, 1, 0, DT_ERANGE,
     "/v: selection start 0, count 4, stride 1 goes past 'y' of size 3"},
    {2, {0, 3}, {1, 2}, {0}, 1, 0, DT_ERANGE, "start 3, count 2, stride 1 goes past 'x' of size 4"},
    {2, {0, 0}, {1, 3}, {1, 2}, 1, 1, DT_ERANGE, "count 3, stride 2 goes past 'x' of size 4"},
    {2, {0, 5}, {0}, {0}, 0, 0, DT_ERANGE, "selection start 5 is past 'x' of size 4"},
    {2, {4, 0}, {0, 1}, {0}, 1, 0, DT_ERANGE, "selection start 4 is past 'y' of size 3"},
    {2, {0, UINT64_MAX}, {1, 2}, {0}, 1, 0, DT_ERANGE, "goes past 'x' of size 4"},
    {2, {0, 0}, {1, 2}, {1, UINT64_MAX}, 1, 1, DT_ERANGE, "goes past 'x'"},
    {1, {0}, {1}, {1}, 1, 1, DT_ERANGE, "the selection has 1 dimensions, the variable 2"},
    {3, {0}, {1}, {1}, 1, 1, DT_ERANGE, "the selection has 3 dimensions"},
};

START_TEST(slab_bad_row)
{
    dt_tree *t;
    dt_var *v = grid(&t);
    uint64_t start[3] = {0}, count[3] = {1, 1, 1}, stride[3] = {1, 1, 1};
    dt_slab s;
    int32_t buf[12];
    uint64_t n = 77;

    memcpy(start, slab_bad_rows[_i].start, sizeof slab_bad_rows[_i].start);
    memcpy(count, slab_bad_rows[_i].count, sizeof slab_bad_rows[_i].count);
    memcpy(stride, slab_bad_rows[_i].stride, sizeof slab_bad_rows[_i].stride);
    s = (dt_slab){slab_bad_rows[_i].ndim, start, slab_bad_rows[_i].has_count ? count : NULL,
                  slab_bad_rows[_i].has_stride ? stride : NULL};
    tu_assert_rc(dt_var_read(v, &s, DT_INT32, buf, sizeof buf), slab_bad_rows[_i].code,
                 slab_bad_rows[_i].want);
    tu_assert_rc(dt_var_write(v, &s, DT_INT32, buf, sizeof buf), slab_bad_rows[_i].code,
                 slab_bad_rows[_i].want);
    tu_assert_rc(dt_slab_nelems(&n, v, &s), slab_bad_rows[_i].code, slab_bad_rows[_i].want);
    ck_assert_uint_eq(n, 77);
    dt_tree_free(t);
}
END_TEST

START_TEST(read_buffer_too_small)
{
    dt_tree *t;
    dt_var *v = grid(&t);
    int32_t buf[12];

    tu_assert_rc(dt_var_read(v, NULL, DT_INT32, buf, 47), DT_EINVAL,
                 "/v: the buffer holds 47 bytes, the selection needs 48");
    tu_assert_rc(dt_var_read(v, NULL, DT_INT64, buf, sizeof buf), DT_EINVAL,
                 "the buffer holds 48 bytes, the selection needs 96");
    tu_assert_rc(dt_var_write(v, NULL, DT_INT32, buf, 4), DT_EINVAL,
                 "the buffer holds 4 bytes, the selection needs 48");
    tu_assert_rc(dt_var_set_data(v, DT_INT32, buf, 11), DT_EINVAL,
                 "/v: 11 values given for 12 elements");
    dt_tree_free(t);
}
END_TEST

START_TEST(write_slabs)
{
    dt_tree *t;
    dt_var *v = grid(&t);
    int32_t got[12];
    static const int32_t want[12] = {0, -1, 2, -2, 4, 5, 6, 7, 8, -3, 10, -4};

    /* y in {0, 2}, x in {1, 3}, converted from double */
    tu_assert_ok(dt_var_write(v, &(dt_slab){2, (uint64_t[]){0, 1}, (uint64_t[]){2, 2},
                                            (uint64_t[]){2, 2}},
                              DT_FLOAT64, (double[]){-1, -2, -3, -4}, 4 * sizeof(double)));
    tu_assert_ok(dt_var_read(v, NULL, DT_INT32, got, sizeof got));
    for (int i = 0; i < 12; i++)
        ck_assert_int_eq(got[i], want[i]);
    /* a value out of range changes nothing */
    tu_assert_rc(dt_var_write(v, &(dt_slab){2, NULL, (uint64_t[]){1, 2}, NULL}, DT_INT64,
                              (int64_t[]){7, INT64_MAX}, 2 * sizeof(int64_t)),
                 DT_ERANGE, "/v: element 1 converting int64 to int32");
    tu_assert_ok(dt_var_read(v, NULL, DT_INT32, got, sizeof got));
    ck_assert_int_eq(got[0], 0);
    ck_assert_int_eq(got[1], -1);
    dt_tree_free(t);
}
END_TEST

/* Writing part of a variable without data fills the rest. */
START_TEST(write_into_empty)
{
    dt_tree *t = tu_tree(NULL);
    dt_var *v = tu_var1(dt_tree_root(t), "v", "x", DT_INT16, 5, DT_INT16, NULL);
    int16_t fill = -7, got[5];

    tu_assert_ok(dt_var_set_fill(v, &fill));
    tu_assert_ok(dt_var_write(v, &(dt_slab){1, (uint64_t[]){3}, (uint64_t[]){1}, NULL},
                              DT_INT16, (int16_t[]){42}, 2));
    tu_assert_ok(dt_var_read(v, NULL, DT_INT16, got, sizeof got));
    ck_assert_int_eq(got[0], -7);
    ck_assert_int_eq(got[2], -7);
    ck_assert_int_eq(got[3], 42);
    ck_assert_int_eq(got[4], -7);
    dt_tree_free(t);
}
END_TEST

/* ---- strings ---- */

START_TEST(strings_owned)
{
    dt_tree *t = tu_tree(NULL);
    dt_var *v = NULL;
    char w0[] = "one", w1[] = "two";
    const char *in[4] = {w0, w1, "three", NULL};
    char *out[4] = {NULL, NULL, NULL, NULL};

    tu_assert_ok(dt_node_add_var(&v, dt_tree_root(t), "names", DT_STRING, 1,
                                 (const char *[]){"n"}, (uint64_t[]){4}));
    /* before any data: empty strings, each its own allocation */
    tu_assert_ok(dt_var_read(v, NULL, DT_STRING, out, sizeof out));
    ck_assert_str_eq(out[0], "");
    ck_assert_str_eq(out[3], "");
    ck_assert_ptr_ne(out[0], out[3]);
    dt_strings_free(out, 4);
    /* the input is copied: changing it later changes nothing */
    tu_assert_ok(dt_var_set_data(v, DT_STRING, in, 4));
    w0[0] = 'X';
    tu_assert_ok(dt_var_read(v, &(dt_slab){1, (uint64_t[]){0}, (uint64_t[]){4}, NULL},
                             DT_STRING, out, sizeof out));
    ck_assert_str_eq(out[0], "one");
    ck_assert_str_eq(out[2], "three");
    ck_assert_str_eq(out[3], ""); /* NULL went in as "" */
    dt_strings_free(out, 4);
    for (int i = 0; i < 4; i++)
        ck_assert_ptr_null(out[i]);
    /* a strided write and read */
    tu_assert_ok(dt_var_write(v, &(dt_slab){1, (uint64_t[]){1}, (uint64_t[]){2},
                                            (uint64_t[]){2}},
                              DT_STRING, (const char *[]){"b", "d"}, 2 * sizeof(char *)));
    tu_assert_ok(dt_var_read(v, &(dt_slab){1, (uint64_t[]){1}, NULL, (uint64_t[]){2}},
                             DT_STRING, out, 2 * sizeof(char *)));
    ck_assert_str_eq(out[0], "b");
    ck_assert_str_eq(out[1], "d");
    dt_strings_free(out, 2);
    dt_strings_free(NULL, 3);
    dt_tree_free(t);
}
END_TEST

START_TEST(string_fill)
{
    dt_tree *t = tu_tree(NULL);
    dt_var *v = tu_var1(dt_tree_root(t), "s", "n", DT_STRING, 2, DT_STRING, NULL);
    const char *fill = "N/A";
    char *out[2];

    tu_assert_ok(dt_var_set_fill(v, &fill));
    ck_assert_str_eq(*(char *const *)dt_var_fill(v), "N/A");
    ck_assert_ptr_ne(*(char *const *)dt_var_fill(v), fill);
    tu_assert_ok(dt_var_read(v, NULL, DT_STRING, out, sizeof out));
    ck_assert_str_eq(out[0], "N/A");
    ck_assert_str_eq(out[1], "N/A");
    dt_strings_free(out, 2);
    dt_tree_free(t);
}
END_TEST

/* ---- fill values ---- */

START_TEST(fill_values)
{
    dt_tree *t = tu_tree(NULL);
    dt_var *v = tu_var1(dt_tree_root(t), "v", "x", DT_FLOAT32, 3, DT_FLOAT32, NULL);
    float fill = -999.5f, got[3];
    double d[3];

    ck_assert_ptr_null(dt_var_fill(v));
    /* no fill value: zeros */
    tu_assert_ok(dt_var_read(v, NULL, DT_FLOAT32, got, sizeof got));
    ck_assert_float_eq(got[1], 0.0f);
    tu_assert_ok(dt_var_set_fill(v, &fill));
    ck_assert_float_eq(*(const float *)dt_var_fill(v), -999.5f);
    tu_assert_ok(dt_var_read(v, NULL, DT_FLOAT32, got, sizeof got));
    ck_assert_float_eq(got[0], -999.5f);
    ck_assert_float_eq(got[2], -999.5f);
    tu_read_f64(v, d, 3);
    ck_assert_double_eq(d[1], -999.5);
    /* data replaces the fill; the fill stays as encoding */
    tu_assert_ok(dt_var_set_data(v, DT_FLOAT64, (double[]){1, 2, 3}, 3));
    tu_read_f64(v, d, 3);
    ck_assert_double_eq(d[2], 3.0);
    ck_assert_float_eq(*(const float *)dt_var_fill(v), -999.5f);
    /* unset */
    tu_assert_ok(dt_var_set_fill(v, NULL));
    ck_assert_ptr_null(dt_var_fill(v));
    dt_tree_free(t);
}
END_TEST

START_TEST(encoding_fields)
{
    dt_tree *t;
    dt_var *v = grid(&t);

    ck_assert_ptr_null(dt_var_chunks(v));
    tu_assert_ok(dt_var_set_chunks(v, (uint64_t[]){2, 4}));
    ck_assert_uint_eq(dt_var_chunks(v)[0], 2);
    ck_assert_uint_eq(dt_var_chunks(v)[1], 4);
    tu_assert_rc(dt_var_set_chunks(v, (uint64_t[]){2, 0}), DT_EINVAL, "/v: chunk size 0 along 'x'");
    ck_assert_uint_eq(dt_var_chunks(v)[1], 4);
    tu_assert_ok(dt_var_set_chunks(v, NULL));
    ck_assert_ptr_null(dt_var_chunks(v));
    ck_assert_uint_eq(dt_var_codec_count(v), 0);
    tu_assert_ok(dt_var_add_codec(v, "shuffle"));
    tu_assert_ok(dt_var_add_codec(v, "zstd"));
    ck_assert_uint_eq(dt_var_codec_count(v), 2);
    ck_assert_str_eq(dt_var_codec(v, 0), "shuffle");
    ck_assert_str_eq(dt_var_codec(v, 1), "zstd");
    ck_assert_ptr_null(dt_var_codec(v, 2));
    ck_assert_int_eq(dt_var_big_endian(v), 0);
    tu_assert_ok(dt_var_set_big_endian(v, 5));
    ck_assert_int_eq(dt_var_big_endian(v), 1);
    dt_tree_free(t);
}
END_TEST

/* ---- lazy sources ---- */

typedef struct call {
    uint64_t start[3], count[3], stride[3];
} call;

typedef struct rec_src {
    int reads, writes, frees;
    call last;
    int fail;
} rec_src;

static int frees_seen; /* every free, counted after the tree is gone */

/* A source for a 2-D int32 variable whose element (i, j) is 100 i + j. */
static int rec_read(void *ctx, const dt_var *var, const uint64_t *start,
                    const uint64_t *count, const uint64_t *stride, void *buf)
{
    rec_src *r = ctx;
    int32_t *out = buf;
    size_t k = 0;

    ck_assert_uint_eq(dt_var_ndim(var), 2);
    r->reads++;
    memcpy(r->last.start, start, 2 * sizeof *start);
    memcpy(r->last.count, count, 2 * sizeof *count);
    memcpy(r->last.stride, stride, 2 * sizeof *stride);
    if (r->fail)
        return dt__fail(DT_EIO, "chunk 7 is truncated");
    for (uint64_t i = 0; i < count[0]; i++)
        for (uint64_t j = 0; j < count[1]; j++)
            out[k++] = (int32_t)(100 * (start[0] + i * stride[0]) + start[1] + j * stride[1]);
    return DT_OK;
}

static int rec_write(void *ctx, dt_var *var, const uint64_t *start,
                     const uint64_t *count, const uint64_t *stride, const void *buf)
{
    rec_src *r = ctx;

    (void)var;
    (void)buf;
    r->writes++;
    memcpy(r->last.start, start, 2 * sizeof *start);
    memcpy(r->last.count, count, 2 * sizeof *count);
    memcpy(r->last.stride, stride, 2 * sizeof *stride);
    return DT_OK;
}

static void rec_free(void *ctx)
{
    rec_src *r = ctx;

    r->frees++;
    frees_seen++;
}

static const dt_source_ops rec_ops = {1, rec_read, NULL, rec_free};
static const dt_source_ops rec_rw_ops = {1, rec_read, rec_write, rec_free};

START_TEST(lazy_source_calls)
{
    dt_tree *t;
    dt_var *v = grid(&t); /* y=3, x=4 */
    rec_src r = {0};
    int32_t got[12];
    int64_t as64[2];

    frees_seen = 0;
    tu_assert_ok(dt_var_set_source(v, &rec_ops, &r));
    ck_assert_int_eq(dt_var_is_lazy(v), 1);
    ck_assert_int_eq(r.reads, 0);
    tu_assert_ok(dt_var_read(v, &(dt_slab){2, (uint64_t[]){1, 0}, (uint64_t[]){2, 2},
                                           (uint64_t[]){1, 3}}, DT_INT32, got, sizeof got));
    ck_assert_int_eq(r.reads, 1);
    ck_assert_uint_eq(r.last.start[0], 1);
    ck_assert_uint_eq(r.last.start[1], 0);
    ck_assert_uint_eq(r.last.count[0], 2);
    ck_assert_uint_eq(r.last.count[1], 2);
    ck_assert_uint_eq(r.last.stride[0], 1);
    ck_assert_uint_eq(r.last.stride[1], 3);
    ck_assert_int_eq(got[0], 100);
    ck_assert_int_eq(got[1], 103);
    ck_assert_int_eq(got[2], 200);
    ck_assert_int_eq(got[3], 203);
    /* defaults are filled in: start 0, count to the end, stride 1 */
    tu_assert_ok(dt_var_read(v, NULL, DT_INT32, got, sizeof got));
    ck_assert_int_eq(r.reads, 2);
    ck_assert_uint_eq(r.last.start[1], 0);
    ck_assert_uint_eq(r.last.count[0], 3);
    ck_assert_uint_eq(r.last.count[1], 4);
    ck_assert_uint_eq(r.last.stride[0], 1);
    ck_assert_int_eq(got[11], 203);
    /* conversion happens after the source */
    tu_assert_ok(dt_var_read(v, &(dt_slab){2, (uint64_t[]){2, 2}, (uint64_t[]){1, 2}, NULL},
                             DT_INT64, as64, sizeof as64));
    ck_assert_int_eq(as64[0], 202);
    ck_assert_int_eq(as64[1], 203);
    /* a refused selection never reaches the source */
    ck_assert_int_eq(dt_var_read(v, &(dt_slab){2, NULL, (uint64_t[]){4, 1}, NULL}, DT_INT32,
                                 got, sizeof got), DT_ERANGE);
    ck_assert_int_eq(r.reads, 3);
    /* the source's error comes back with the variable's path */
    r.fail = 1;
    tu_assert_rc(dt_var_read(v, NULL, DT_INT32, got, sizeof got), DT_EIO,
                 "/v: chunk 7 is truncated");
    ck_assert_str_eq(dt_error_last()->path, "/v");
    /* writing to a read-only source */
    tu_assert_rc(dt_var_write(v, NULL, DT_INT32, got, sizeof got), DT_EUNSUPPORTED,
                 "/v: the file behind this variable is read-only");
    ck_assert_int_eq(r.frees, 0);
    dt_tree_free(t);
    ck_assert_int_eq(r.frees, 1);
    ck_assert_int_eq(frees_seen, 1);
}
END_TEST

START_TEST(lazy_source_write)
{
    dt_tree *t;
    dt_var *v = grid(&t);
    rec_src r = {0};

    tu_assert_ok(dt_var_set_source(v, &rec_rw_ops, &r));
    tu_assert_ok(dt_var_write(v, &(dt_slab){2, (uint64_t[]){0, 1}, (uint64_t[]){2, 1},
                                            (uint64_t[]){2, 1}},
                              DT_INT32, (int32_t[]){1, 2}, 8));
    ck_assert_int_eq(r.writes, 1);
    ck_assert_uint_eq(r.last.start[1], 1);
    ck_assert_uint_eq(r.last.count[0], 2);
    ck_assert_uint_eq(r.last.stride[0], 2);
    dt_tree_free(t);
    ck_assert_int_eq(r.frees, 1);
}
END_TEST

/* Whatever replaces a source frees it, exactly once. */
START_TEST(lazy_source_lifetime)
{
    dt_tree *t;
    dt_var *v = grid(&t);
    rec_src a = {0}, b = {0}, c = {0}, d = {0};
    int32_t zeros[12] = {0};
    dt_source_ops no_read = {1, NULL, NULL, rec_free};

    tu_assert_ok(dt_var_set_source(v, &rec_ops, &a));
    tu_assert_ok(dt_var_set_source(v, &rec_ops, &b));
    ck_assert_int_eq(a.frees, 1);
    ck_assert_int_eq(b.frees, 0);
    /* data given in memory drops the source */
    tu_assert_ok(dt_var_set_data(v, DT_INT32, zeros, 12));
    ck_assert_int_eq(b.frees, 1);
    ck_assert_int_eq(dt_var_is_lazy(v), 0);
    /* a refused source is freed at once */
    tu_assert_rc(dt_var_set_source(v, &no_read, &c), DT_EINVAL, "a read function");
    ck_assert_int_eq(c.frees, 1);
    ck_assert_int_eq(dt_var_is_lazy(v), 0);
    /* removing the variable frees its source */
    tu_assert_ok(dt_var_set_source(v, &rec_ops, &d));
    tu_assert_ok(dt_var_remove(v));
    ck_assert_int_eq(d.frees, 1);
    dt_tree_free(t);
    ck_assert_int_eq(a.frees, 1);
    ck_assert_int_eq(b.frees, 1);
    ck_assert_int_eq(c.frees, 1);
    ck_assert_int_eq(d.frees, 1);
}
END_TEST

/* A copy reads a lazy variable's data into memory. */
START_TEST(lazy_source_copy)
{
    dt_tree *t;
    dt_var *v = grid(&t);
    dt_tree *u = tu_tree(NULL);
    dt_node *c = NULL;
    rec_src r = {0};
    int32_t got[12];

    tu_assert_ok(dt_node_create(&c, dt_tree_root(t), "g", 0));
    tu_assert_ok(dt_var_set_source(v, &rec_ops, &r));
    tu_assert_ok(dt_node_copy(&c, dt_tree_root(t), dt_tree_root(u), "all", 0));
    ck_assert_int_eq(r.reads, 1);
    dt_tree_free(t);
    ck_assert_int_eq(r.frees, 1);
    v = tu_var(u, "/all/v");
    ck_assert_int_eq(dt_var_is_lazy(v), 0);
    tu_assert_ok(dt_var_read(v, NULL, DT_INT32, got, sizeof got));
    ck_assert_int_eq(got[5], 101);
    dt_tree_free(u);
}
END_TEST

/* ---- renaming and removal ---- */

START_TEST(var_rename)
{
    dt_tree *t = tu_tree("/g", NULL);
    dt_node *root = dt_tree_root(t);
    dt_var *v = tu_var_i64(root, "v", "x", 2, (int64_t[]){1, 2}), *w;
    char *p = NULL;

    w = tu_var_i64(root, "w", "x", 2, NULL);
    tu_assert_ok(dt_var_rename(v, "v2"));
    ck_assert_str_eq(dt_var_name(v), "v2");
    ck_assert_ptr_eq(dt_node_var(root, 0), v);  /* position kept */
    tu_assert_ok(dt_var_path(&p, v));
    ck_assert_str_eq(p, "/v2");
    dt_free(p);
    tu_assert_rc(dt_var_rename(v, "w"), DT_ENAMECLASH,
                 "group / already contains a variable named \"w\"");
    tu_assert_rc(dt_var_rename(v, "g"), DT_ENAMECLASH,
                 "group / already has a child group named \"g\"");
    tu_assert_rc(dt_var_rename(v, "a/b"), DT_EBADNAME, "variable name \"a/b\" contains '/'");
    tu_assert_rc(dt_var_rename(v, ".zarray"), DT_EBADNAME, "Zarr metadata key");
    ck_assert_str_eq(dt_var_name(v), "v2");
    tu_assert_ok(dt_var_rename(v, "v2"));
    /* renamed onto its dimension, it becomes the index coordinate */
    ck_assert_int_eq(dt_var_is_index(w), 0);
    tu_assert_ok(dt_var_rename(w, "x"));
    ck_assert_int_eq(dt_var_is_index(w), 1);
    ck_assert_int_eq(dt_var_is_coord(w), 1);
    /* renamed away, it stays a coordinate but is no index */
    tu_assert_ok(dt_var_rename(w, "xc"));
    ck_assert_int_eq(dt_var_is_coord(w), 1);
    ck_assert_int_eq(dt_var_is_index(w), 0);
    dt_tree_free(t);
}
END_TEST

START_TEST(var_remove)
{
    dt_tree *t = tu_tree(NULL);
    dt_node *root = dt_tree_root(t);
    dt_var *a = tu_var_i64(root, "a", "x", 2, (int64_t[]){1, 2});
    dt_var *s = tu_var1(root, "s", "x", DT_STRING, 2, DT_STRING, (const char *[]){"p", "q"});
    dt_var *found = NULL;

    tu_var_i64(root, "c", "x", 2, NULL);
    tu_assert_ok(dt_var_remove(a));
    ck_assert_uint_eq(dt_node_var_count(root), 2);
    ck_assert_str_eq(dt_var_name(dt_node_var(root, 0)), "s");
    ck_assert_str_eq(dt_var_name(dt_node_var(root, 1)), "c");
    tu_assert_rc(dt_node_var_find(&found, root, "a"), DT_ENOTFOUND, "no variable /a");
    tu_assert_ok(dt_var_remove(s));
    /* the dimension stays declared, and can go once nobody uses it */
    ck_assert_uint_eq(dt_node_dim_count(root), 1);
    tu_assert_rc(dt_node_remove_dim(root, "x"), DT_EINVAL,
                 "dimension \"x\" of group / is still used by a variable");
    tu_assert_ok(dt_var_remove(dt_node_var(root, 0)));
    tu_assert_ok(dt_node_remove_dim(root, "x"));
    ck_assert_uint_eq(dt_node_dim_count(root), 0);
    tu_assert_rc(dt_node_remove_dim(root, "x"), DT_ENOTFOUND,
                 "group / declares no dimension \"x\"");
    tu_assert_rc(dt_var_remove(NULL), DT_EINVAL, NULL);
    dt_tree_free(t);
}
END_TEST

/* ---- enums ---- */

START_TEST(enum_members)
{
    dt_tree *t = tu_tree(NULL);
    dt_var *e = tu_var1(dt_tree_root(t), "cloud", "x", DT_ENUM_OF(DT_UINT8), 3, DT_INT32,
                        (int32_t[]){0, 2, 1});
    dt_var *plain = tu_var_i64(dt_tree_root(t), "plain", "x", 3, NULL);
    const char *name = NULL;
    int64_t value = 0;
    uint8_t raw[3];

    ck_assert_uint_eq(dt_var_enum_count(e), 0);
    tu_assert_ok(dt_var_add_enum_member(e, "clear", 0));
    tu_assert_ok(dt_var_add_enum_member(e, "partly", 1));
    tu_assert_ok(dt_var_add_enum_member(e, "overcast", 2));
    ck_assert_uint_eq(dt_var_enum_count(e), 3);
    tu_assert_ok(dt_var_enum_member(e, 2, &name, &value));
    ck_assert_str_eq(name, "overcast");
    ck_assert_int_eq(value, 2);
    tu_assert_ok(dt_var_enum_member(e, 0, &name, NULL));
    ck_assert_str_eq(name, "clear");
    tu_assert_rc(dt_var_enum_member(e, 3, &name, &value), DT_ENOTFOUND, "no enum member 3");
    tu_assert_rc(dt_var_add_enum_member(e, "partly", 5), DT_ENAMECLASH,
                 "/cloud: enum member \"partly\" is defined twice");
    ck_assert_uint_eq(dt_var_enum_count(e), 3);
    tu_assert_rc(dt_var_add_enum_member(plain, "a", 1), DT_ETYPE,
                 "/plain: enum members on a variable that is not an enum");
    /* the values read as their base type */
    tu_assert_ok(dt_var_read(e, NULL, DT_UINT8, raw, sizeof raw));
    ck_assert_uint_eq(raw[1], 2);
    tu_assert_rc(dt_var_set_data(e, DT_INT32, (int32_t[]){0, 256, 1}, 3), DT_ERANGE,
                 "256 is out of range");
    dt_tree_free(t);
}
END_TEST

/* ---- coordinate flags ---- */

START_TEST(coord_flags)
{
    dt_tree *t = tu_tree(NULL);
    dt_node *root = dt_tree_root(t);
    dt_var *x = tu_var_i64(root, "x", "x", 2, (int64_t[]){1, 2});
    dt_var *lat = tu_var_f64(root, "lat", "x", 2, NULL);
    dt_var *xy = NULL, *h = NULL;

    /* x(x) is an index coordinate from the start */
    ck_assert_int_eq(dt_var_is_coord(x), 1);
    ck_assert_int_eq(dt_var_is_index(x), 1);
    tu_assert_rc(dt_var_set_coord(x, 0), DT_EINVAL,
                 "/x: an index coordinate (named like its dimension) stays a coordinate");
    ck_assert_int_eq(dt_var_is_coord(x), 1);
    tu_assert_ok(dt_var_set_coord(x, 1));
    /* lat(x) is data until flagged, and never an index */
    ck_assert_int_eq(dt_var_is_coord(lat), 0);
    tu_assert_ok(dt_var_set_coord(lat, 7));
    ck_assert_int_eq(dt_var_is_coord(lat), 1);
    ck_assert_int_eq(dt_var_is_index(lat), 0);
    tu_assert_ok(dt_var_set_coord(lat, 0));
    ck_assert_int_eq(dt_var_is_coord(lat), 0);
    /* edge case 27: named like its first dim but 2-D: no index */
    tu_assert_ok(dt_node_add_var(&xy, root, "y", DT_FLOAT64, 2, (const char *[]){"y", "x"},
                                 (uint64_t[]){3, 2}));
    ck_assert_int_eq(dt_var_is_coord(xy), 0);
    ck_assert_int_eq(dt_var_is_index(xy), 0);
    tu_assert_ok(dt_var_set_coord(xy, 1));
    ck_assert_int_eq(dt_var_is_index(xy), 0);
    tu_assert_ok(dt_var_set_coord(xy, 0));
    /* a scalar coordinate */
    tu_assert_ok(dt_node_add_var(&h, root, "height", DT_FLOAT64, 0, NULL, NULL));
    tu_assert_ok(dt_var_set_coord(h, 1));
    ck_assert_int_eq(dt_var_is_coord(h), 1);
    ck_assert_int_eq(dt_var_is_index(h), 0);
    dt_tree_free(t);
}
END_TEST

/* ---- sizes that overflow ---- */

START_TEST(shape_overflow)
{
    dt_tree *t = tu_tree(NULL);
    dt_var *v = NULL;
    const uint64_t big = (uint64_t)1 << 40;
    uint64_t n = 5;
    int8_t buf[4];

    tu_assert_ok(dt_node_add_var(&v, dt_tree_root(t), "huge", DT_INT8, 2,
                                 (const char *[]){"a", "b"}, (uint64_t[]){big, big}));
    tu_assert_rc(dt_var_nelems(&n, v), DT_ELIMIT, "/huge: the element count overflows 64 bits");
    ck_assert_uint_eq(n, 5);
    tu_assert_rc(dt_var_set_data(v, DT_INT8, buf, 4), DT_ELIMIT, "overflows 64 bits");
    tu_assert_rc(dt_var_read(v, NULL, DT_INT8, buf, sizeof buf), DT_ELIMIT,
                 "/huge: the selection's element count overflows");
    tu_assert_rc(dt_slab_nelems(&n, v, NULL), DT_ELIMIT, "overflows");
    /* a small corner of it is fine, and reads as fill */
    tu_assert_ok(dt_var_read(v, &(dt_slab){2, (uint64_t[]){big - 1, 7}, (uint64_t[]){1, 2},
                                           NULL}, DT_INT8, buf, 2));
    ck_assert_int_eq(buf[0], 0);
    ck_assert_int_eq(buf[1], 0);
    /* writing would need it all in memory: refused by the allocation limit */
    tu_assert_rc(dt_var_write(v, &(dt_slab){2, NULL, (uint64_t[]){1, 1}, NULL}, DT_INT8,
                              buf, 1), DT_ELIMIT, NULL);
    dt_tree_free(t);
}
END_TEST

START_TEST(data_over_alloc_limit)
{
    dt_tree *t = tu_tree(NULL);
    dt_var *v = NULL;
    int8_t one = 1;

    /* 2^31 doubles = 16 GiB, over the default 1 GiB limit */
    tu_assert_ok(dt_node_add_var(&v, dt_tree_root(t), "big", DT_FLOAT64, 1,
                                 (const char *[]){"n"}, (uint64_t[]){(uint64_t)1 << 31}));
    tu_assert_rc(dt_var_write(v, &(dt_slab){1, NULL, (uint64_t[]){1}, NULL}, DT_INT8, &one, 1),
                 DT_ELIMIT, "the variable's data needs 17179869184 bytes, over the limit");
    tu_assert_msg_has("/big");
    dt_tree_free(t);
}
END_TEST

/* ---- resizing and renaming dimensions ---- */

START_TEST(resize_unlimited)
{
    dt_tree *t = tu_tree("/child", NULL);
    dt_node *root = dt_tree_root(t);
    dt_var *v = NULL, *c = NULL, *c2 = NULL, *lazy = NULL;
    int16_t fill = -1, got[8];
    int32_t in[4] = {1, 2, 3, 4};
    dt_dim_info d;
    rec_src r = {0};

    tu_assert_ok(dt_node_add_dim(root, "time", 2, 1));
    tu_assert_ok(dt_node_add_var(&v, root, "v", DT_INT16, 2, (const char *[]){"time", "x"},
                                 (uint64_t[]){2, 2}));
    tu_assert_ok(dt_var_set_fill(v, &fill));
    tu_assert_ok(dt_var_set_data(v, DT_INT32, in, 4));
    tu_assert_ok(dt_node_add_var(&c, tu_node(t, "/child"), "c", DT_INT16, 1,
                                 (const char *[]){"time"}, NULL));
    tu_assert_ok(dt_var_set_data(c, DT_INT16, (int16_t[]){7, 8}, 2));
    tu_assert_ok(dt_node_add_var(&lazy, root, "lz", DT_INT32, 2, (const char *[]){"time", "x"},
                                 NULL));
    tu_assert_ok(dt_var_set_source(lazy, &rec_ops, &r));
    /* more records than the dimension has: resize first */
    tu_assert_rc(dt_node_add_var(&c2, root, "w", DT_INT8, 1, (const char *[]){"time"},
                                 (uint64_t[]){3}),
                 DT_ECONFLICT, "3 records along unlimited dimension 'time' of /, which has 2");
    tu_assert_ok(dt_node_resize_dim(root, "time", 4));
    tu_assert_ok(dt_node_dim_find(&d, root, "time"));
    ck_assert_uint_eq(d.size, 4);
    ck_assert_int_eq(d.unlimited, 1);
    ck_assert_uint_eq(dt_var_shape(v)[0], 4);
    ck_assert_uint_eq(dt_var_shape(v)[1], 2);
    tu_assert_ok(dt_var_read(v, NULL, DT_INT16, got, 8 * sizeof *got));
    ck_assert_int_eq(got[0], 1);
    ck_assert_int_eq(got[3], 4);
    ck_assert_int_eq(got[4], -1);
    ck_assert_int_eq(got[7], -1);
    /* the child that uses it grows too (no fill: zeros) */
    ck_assert_uint_eq(dt_var_shape(c)[0], 4);
    tu_assert_ok(dt_var_read(c, NULL, DT_INT16, got, 4 * sizeof *got));
    ck_assert_int_eq(got[1], 8);
    ck_assert_int_eq(got[2], 0);
    ck_assert_int_eq(got[3], 0);
    /* the lazy one only changes shape */
    ck_assert_uint_eq(dt_var_shape(lazy)[0], 4);
    ck_assert_int_eq(r.reads, 0);
    /* shrink */
    tu_assert_ok(dt_node_resize_dim(root, "time", 1));
    tu_assert_ok(dt_var_read(v, NULL, DT_INT16, got, 2 * sizeof *got));
    ck_assert_int_eq(got[0], 1);
    ck_assert_int_eq(got[1], 2);
    ck_assert_uint_eq(dt_var_shape(c)[0], 1);
    /* fixed dimensions do not resize */
    tu_assert_rc(dt_node_resize_dim(root, "x", 5), DT_EINVAL,
                 "/: dimension \"x\" is fixed at 2; only unlimited dimensions can be resized");
    tu_assert_rc(dt_node_resize_dim(tu_node(t, "/child"), "time", 5), DT_ENOTFOUND,
                 "group /child declares no dimension \"time\"");
    dt_tree_free(t);
    ck_assert_int_eq(r.frees, 1);
}
END_TEST

START_TEST(resize_strings)
{
    dt_tree *t = tu_tree(NULL);
    dt_var *v = NULL;
    char *out[3];

    tu_assert_ok(dt_node_add_dim(dt_tree_root(t), "n", 1, 1));
    tu_assert_ok(dt_node_add_var(&v, dt_tree_root(t), "s", DT_STRING, 1, (const char *[]){"n"},
                                 NULL));
    tu_assert_ok(dt_var_set_data(v, DT_STRING, (const char *[]){"first"}, 1));
    tu_assert_ok(dt_node_resize_dim(dt_tree_root(t), "n", 3));
    tu_assert_ok(dt_var_read(v, NULL, DT_STRING, out, sizeof out));
    ck_assert_str_eq(out[0], "first");
    ck_assert_str_eq(out[1], "");
    ck_assert_str_eq(out[2], "");
    dt_strings_free(out, 3);
    dt_tree_free(t);
}
END_TEST

START_TEST(rename_dim)
{
    dt_tree *t = tu_tree("/a/b", "/c", NULL);
    dt_node *root = dt_tree_root(t);
    dt_var *v = tu_var_i64(root, "v", "x", 2, NULL);
    dt_var *w = tu_var_i64(tu_node(t, "/a/b"), "w", "x", 2, NULL);
    dt_var *own = tu_var_i64(tu_node(t, "/c"), "own", "z", 1, NULL);
    dt_dim_info d;

    tu_assert_ok(dt_node_rename_dim(root, "x", "lon"));
    ck_assert_str_eq(dt_var_dim(v, 0), "lon");
    ck_assert_str_eq(dt_var_dim(w, 0), "lon");
    tu_assert_ok(dt_node_dim(&d, root, 0));
    ck_assert_str_eq(d.name, "lon");
    ck_assert_int_eq(dt_node_dim_find(&d, tu_node(t, "/a/b"), "x"), DT_ENOTFOUND);
    ck_assert_str_eq(dt_var_dim(own, 0), "z");
    /* refusals */
    tu_assert_rc(dt_node_rename_dim(root, "nope", "q"), DT_ENOTFOUND,
                 "group / declares no dimension \"nope\"");
    tu_assert_rc(dt_node_rename_dim(tu_node(t, "/a/b"), "lon", "q"), DT_ENOTFOUND,
                 "group /a/b declares no dimension \"lon\"");
    tu_assert_ok(dt_node_add_dim(root, "other", 9, 0));
    tu_assert_rc(dt_node_rename_dim(root, "lon", "other"), DT_EEXIST,
                 "group / already declares dimension \"other\"");
    tu_assert_rc(dt_node_rename_dim(root, "lon", "a/b"), DT_EBADNAME, "contains '/'");
    ck_assert_str_eq(dt_var_dim(w, 0), "lon");
    tu_assert_ok(dt_node_rename_dim(root, "lon", "lon"));
    dt_tree_free(t);
}
END_TEST

/* A child that declares its own dimension of the same name shadows the
 * parent's: renaming the parent's leaves the child's variables alone. */
START_TEST(rename_dim_shadowed)
{
    dt_tree *t = tu_tree("/a", NULL);
    dt_open_opts o = DT_OPEN_OPTS_INIT;
    dt_var *w = NULL;

    /* only a file can build this (relaxed), so use the load hooks */
    o.align = DT_ALIGN_RELAXED;
    tu_assert_ok(dt__tree_begin_load(t, &o, DT_FORMAT_NETCDF4, "shadow.nc"));
    tu_var_i64(dt_tree_root(t), "v", "x", 2, NULL);
    tu_assert_ok(dt_node_add_dim(tu_node(t, "/a"), "x", 3, 0));
    tu_assert_ok(dt_node_add_var(&w, tu_node(t, "/a"), "w", DT_INT8, 1, (const char *[]){"x"},
                                 NULL));
    tu_assert_ok(dt__tree_end_load(t));
    ck_assert_int_eq(dt_node_is_cut(tu_node(t, "/a")), 1);
    tu_assert_ok(dt_node_rename_dim(dt_tree_root(t), "x", "y"));
    ck_assert_str_eq(dt_var_dim(w, 0), "x");
    ck_assert_uint_eq(dt_var_shape(w)[0], 3);
    dt_tree_free(t);
}
END_TEST

/* ---- variable lookup by path ---- */

static const struct {
    const char *base, *path;
    int code;
    const char *want; /* "/owner/var" found, or words of the message */
} var_lookup_rows[] = {
    {"/", "x", DT_OK, "/x"},
    {"/a", "v", DT_OK, "/a/v"},
    {"/", "a/v", DT_OK, "/a/v"},
    {"/a/b", "../v", DT_OK, "/a/v"},
    {"/a/b", "/a/v", DT_OK, "/a/v"},
    {"/a/b", "x", DT_OK, "/x"},          /* an inherited index coordinate */
    {"/", "a/b/x", DT_OK, "/x"},
    {"/a/b", "d", DT_ENOTFOUND, "no variable /a/b/d"}, /* data is not inherited */
    {"/", "a/nope", DT_ENOTFOUND, "no variable /a/nope"},
    {"/", "zz/v", DT_ENOTFOUND, "no group /zz"},
    {"/", "../x", DT_ENOTFOUND, "above the root"},
};

START_TEST(var_lookup_row)
{
    dt_tree *t = tu_tree("/a/b", NULL);
    dt_var *v = (dt_var *)1;
    char *p = NULL;

    tu_var_i64(dt_tree_root(t), "x", "x", 2, (int64_t[]){1, 2});
    tu_var_i64(dt_tree_root(t), "d", "x", 2, NULL);
    tu_var_i64(tu_node(t, "/a"), "v", "x", 2, NULL);
    tu_assert_rc(dt_var_lookup(&v, tu_node(t, var_lookup_rows[_i].base), var_lookup_rows[_i].path),
                 var_lookup_rows[_i].code, var_lookup_rows[_i].want);
    if (var_lookup_rows[_i].code == DT_OK) {
        tu_assert_ok(dt_var_path(&p, v));
        ck_assert_str_eq(p, var_lookup_rows[_i].want);
        dt_free(p);
    } else {
        ck_assert_ptr_null(v);
    }
    dt_tree_free(t);
}
END_TEST

static Suite *var_suite(void)
{
    Suite *s = suite_create("var");
    TCase *tc = tcase_create("define");

    tcase_add_checked_fixture(tc, reset, NULL);
    tcase_add_test(tc, add_declares_dims);
    tcase_add_test(tc, add_uses_ancestor_dims);
    tcase_add_loop_test(tc, add_fail_row, 0, TU_NELEMS(add_fail_rows));
    tcase_add_test(tc, add_rank_limit);
    tcase_add_test(tc, add_bad_types);
    tcase_add_loop_test(tc, var_lookup_row, 0, TU_NELEMS(var_lookup_rows));
    suite_add_tcase(s, tc);

    tc = tcase_create("slabs");
    tcase_add_checked_fixture(tc, reset, NULL);
    tcase_add_loop_test(tc, slab2_row, 0, TU_NELEMS(slab2_rows));
    tcase_add_test(tc, slab3);
    tcase_add_loop_test(tc, slab_bad_row, 0, TU_NELEMS(slab_bad_rows));
    tcase_add_test(tc, read_buffer_too_small);
    tcase_add_test(tc, write_slabs);
    tcase_add_test(tc, write_into_empty);
    suite_add_tcase(s, tc);

    tc = tcase_create("data");
    tcase_add_checked_fixture(tc, reset, NULL);
    tcase_add_test(tc, strings_owned);
    tcase_add_test(tc, string_fill);
    tcase_add_test(tc, fill_values);
    tcase_add_test(tc, encoding_fields);
    tcase_add_test(tc, lazy_source_calls);
    tcase_add_test(tc, lazy_source_write);
    tcase_add_test(tc, lazy_source_lifetime);
    tcase_add_test(tc, lazy_source_copy);
    suite_add_tcase(s, tc);

    tc = tcase_create("edit");
    tcase_add_checked_fixture(tc, reset, NULL);
    tcase_add_test(tc, var_rename);
    tcase_add_test(tc, var_remove);
    tcase_add_test(tc, enum_members);
    tcase_add_test(tc, coord_flags);
    tcase_add_test(tc, shape_overflow);
    tcase_add_test(tc, data_over_alloc_limit);
    tcase_add_test(tc, resize_unlimited);
    tcase_add_test(tc, resize_strings);
    tcase_add_test(tc, rename_dim);
    tcase_add_test(tc, rename_dim_shadowed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(var_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
