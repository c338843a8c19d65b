/* test_align.c: inheritance and alignment against datatree-model.md: every
 * in-memory row of the edge-case table (section 12), the worked examples
 * (section 11), all-or-nothing mutations (section 7.2) and
 * dt_tree_check_alignment. Files are simulated with the readers' load
 * hooks (dt__tree_begin_load / dt__tree_end_load). */
#include "config.h"

#include <check.h>
#include <math.h>
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

/* ---- helpers ---- */

#define FILE_NAME "file.nc"

/* Start loading t as if a reader opened FILE_NAME. */
static void load_begin(dt_tree *t, dt_align_mode mode, int keep_layout)
{
    dt_open_opts o = DT_OPEN_OPTS_INIT;

    o.align = mode;
    o.keep_layout = keep_layout;
    tu_assert_ok(dt__tree_begin_load(t, &o, DT_FORMAT_NETCDF4, FILE_NAME));
}

static dt_var *add(dt_tree *t, const char *group, const char *name, dt_type type,
                   size_t ndim, const char *const *dims, const uint64_t *shape)
{
    dt_var *v = NULL;

    tu_assert_ok(dt_node_add_var(&v, tu_node(t, group), name, type, ndim, dims, shape));
    return v;
}

static dt_node *mk(dt_tree *t, const char *path)
{
    dt_node *n = NULL;

    tu_assert_ok(dt_node_create(&n, dt_tree_root(t), path,
                                DT_CREATE_PARENTS | DT_CREATE_EXISTING));
    return n;
}

#define I64(...) ((const int64_t[]){__VA_ARGS__})
#define F64(...) ((const double[]){__VA_ARGS__})
#define DIMS(...) ((const char *const[]){__VA_ARGS__})
#define SHAPE(...) ((const uint64_t[]){__VA_ARGS__})

/* The coordinate `name` as seen from group `at`. */
static dt_coord_info coord(dt_tree *t, const char *at, const char *name, unsigned inherit)
{
    dt_coord_info ci;

    tu_assert_ok(dt_node_coord_find(&ci, tu_node(t, at), name, inherit));
    return ci;
}

/* ---- the edge-case table, section 12 ---- */

/* Each row: a setup that must succeed, then one operation whose status and
 * message are checked. A refused operation must leave the tree exactly as
 * it was (section 7.2); an accepted one is checked by `after`. */
typedef void (*setup_fn)(dt_tree *t);
typedef int (*op_fn)(dt_tree *t);
typedef void (*after_fn)(dt_tree *t);

/* rows 1-3: names */
static void s_group(dt_tree *t) { mk(t, "/g"); }
static int o_rename_slash(dt_tree *t) { return dt_node_rename(tu_node(t, "/g"), "a/b"); }
static int o_var_slash(dt_tree *t)
{
    dt_var *v = NULL;
    return dt_node_add_var(&v, dt_tree_root(t), "a/b", DT_INT8, 0, NULL, NULL);
}
static int o_rename_dotdot(dt_tree *t) { return dt_node_rename(tu_node(t, "/g"), ".."); }
static int o_rename_dot(dt_tree *t) { return dt_node_rename(tu_node(t, "/g"), "."); }
static int o_rename_empty(dt_tree *t) { return dt_node_rename(tu_node(t, "/g"), ""); }
static int o_create_dotdot(dt_tree *t)
{
    dt_node *n = NULL;
    return dt_node_create(&n, tu_node(t, "/g"), "x/..", DT_CREATE_PARENTS);
}

/* row 4: a child named like a variable of its parent */
static void s_var_v(dt_tree *t)
{
    mk(t, "/g");
    tu_var_i64(dt_tree_root(t), "v", "x", 2, NULL);
}
static int o_create_v(dt_tree *t)
{
    dt_node *n = NULL;
    return dt_node_create(&n, dt_tree_root(t), "v", 0);
}
static int o_rename_to_v(dt_tree *t) { return dt_node_rename(tu_node(t, "/g"), "v"); }
static int o_var_named_g(dt_tree *t)
{
    dt_var *v = NULL;
    return dt_node_add_var(&v, dt_tree_root(t), "g", DT_INT8, 0, NULL, NULL);
}
static int o_var_rename_g(dt_tree *t) { return dt_var_rename(tu_var(t, "/v"), "g"); }

/* rows 5-6: paths */
static void s_abc(dt_tree *t) { mk(t, "/a/b/c"); }
static int o_up_from_root(dt_tree *t)
{
    dt_node *n = NULL;
    return dt_node_lookup(&n, dt_tree_root(t), "..");
}
static int o_messy_path(dt_tree *t)
{
    dt_node *n = NULL;
    return dt_node_lookup(&n, dt_tree_root(t), "a//b/./c");
}
static void a_messy_path(dt_tree *t)
{
    dt_node *m = NULL, *n = NULL;

    tu_assert_ok(dt_node_lookup(&m, dt_tree_root(t), "a//b/./c"));
    tu_assert_ok(dt_node_lookup(&n, dt_tree_root(t), "a/b/c"));
    ck_assert_ptr_eq(m, n);
}

/* rows 7-9, 15, 16: a child's own index coordinate x(x) */
static void s_root_x12(dt_tree *t)
{
    mk(t, "/b");
    tu_var_i64(dt_tree_root(t), "x", "x", 2, I64(1, 2));
}

/* ... arriving from a file */
static void s_load_child_x(dt_tree *t, const int64_t *vals, size_t n)
{
    load_begin(t, DT_ALIGN_STRICT, 0);
    mk(t, "/b");
    tu_var_i64(dt_tree_root(t), "x", "x", 2, I64(1, 2));
    tu_assert_ok(dt_node_add_dim(tu_node(t, "/b"), "x", n, 0));
    tu_var_i64(tu_node(t, "/b"), "x", "x", n, vals);
    tu_var_i64(tu_node(t, "/b"), "foo", "x", n, NULL);
}
static void s_load_child_x12(dt_tree *t) { s_load_child_x(t, I64(1, 2), 2); }
static void s_load_child_x13(dt_tree *t) { s_load_child_x(t, I64(1, 3), 2); }
static void s_load_child_x123(dt_tree *t) { s_load_child_x(t, I64(1, 2, 3), 3); }
static int o_end_load(dt_tree *t) { return dt__tree_end_load(t); }

static void a_deduplicated(dt_tree *t)
{
    dt_node *b = tu_node(t, "/b");
    dt_coord_info ci = coord(t, "/b", "x", DT_INHERIT_INDEXES);
    dt_dim_info d;

    ck_assert_uint_eq(dt_node_var_count(b), 1);
    ck_assert_str_eq(dt_var_name(dt_node_var(b, 0)), "foo");
    ck_assert_uint_eq(dt_node_dim_count(b), 0); /* the repeated x went too */
    ck_assert_int_eq(ci.inherited, 1);
    ck_assert_ptr_eq(ci.owner, dt_tree_root(t));
    tu_assert_ok(dt_node_dim_find(&d, b, "x"));
    ck_assert_ptr_eq(d.owner, dt_tree_root(t));
}

/* ... moved in from elsewhere in the tree: /target owns x; /stage does not
 * see it (the root has no x) */
static void s_staged_child_x(dt_tree *t, const int64_t *vals, size_t n)
{
    mk(t, "/target");
    mk(t, "/stage/b");
    tu_var_i64(tu_node(t, "/target"), "x", "x", 2, I64(1, 2));
    tu_var_i64(tu_node(t, "/stage/b"), "x", "x", n, vals);
    tu_var_i64(tu_node(t, "/stage/b"), "foo", "x", n, NULL);
}
static void s_staged_x12(dt_tree *t) { s_staged_child_x(t, I64(1, 2), 2); }
static void s_staged_x13(dt_tree *t) { s_staged_child_x(t, I64(1, 3), 2); }
static int o_move_b_to_target(dt_tree *t)
{
    return dt_node_move(tu_node(t, "/stage/b"), tu_node(t, "/target"), NULL);
}
static void a_move_deduplicated(dt_tree *t)
{
    dt_node *b = tu_node(t, "/target/b");
    dt_coord_info ci = coord(t, "/target/b", "x", DT_INHERIT_INDEXES);

    ck_assert_uint_eq(dt_node_var_count(b), 1);
    ck_assert_str_eq(dt_var_name(dt_node_var(b, 0)), "foo");
    ck_assert_uint_eq(dt_node_dim_count(b), 0);
    ck_assert_int_eq(ci.inherited, 1);
    ck_assert_ptr_eq(ci.owner, tu_node(t, "/target"));
    ck_assert_uint_eq(dt_node_child_count(tu_node(t, "/stage")), 0);
}

/* ... copied from another tree */
static int o_copy_b_in(dt_tree *t)
{
    dt_tree *src = tu_tree("/b", NULL);
    dt_node *c = NULL;
    int rc;

    tu_var_i64(tu_node(src, "/b"), "x", "x", 2, I64(1, 2));
    tu_var_i64(tu_node(src, "/b"), "foo", "x", 2, NULL);
    rc = dt_node_copy(&c, tu_node(src, "/b"), dt_tree_root(t), "b2", 0);
    dt_tree_free(src);
    return rc;
}
static void a_copy_deduplicated(dt_tree *t)
{
    dt_node *b2 = tu_node(t, "/b2");

    ck_assert_uint_eq(dt_node_var_count(b2), 1);
    ck_assert_str_eq(dt_var_name(dt_node_var(b2, 0)), "foo");
    ck_assert_int_eq(coord(t, "/b2", "x", DT_INHERIT_INDEXES).inherited, 1);
}

/* ... defined in place */
static void s_child_x_nodata(dt_tree *t)
{
    s_root_x12(t);
    tu_var_i64(tu_node(t, "/b"), "x", "x", 2, NULL);
}
static int o_set_x13(dt_tree *t)
{
    return dt_var_set_data(tu_var(t, "/b/x"), DT_INT64, I64(1, 3), 2);
}
static int o_set_x12(dt_tree *t)
{
    return dt_var_set_data(tu_var(t, "/b/x"), DT_INT64, I64(1, 2), 2);
}
static void a_child_x_equal(dt_tree *t)
{
    dt_coord_info ci = coord(t, "/b", "x", DT_INHERIT_INDEXES);
    int64_t v[2];

    tu_read_i64(ci.var, v, 2);
    ck_assert_int_eq(v[0], 1);
    ck_assert_int_eq(v[1], 2);
}
static int o_child_x_len3(dt_tree *t)
{
    dt_var *v = NULL;
    return dt_node_add_var(&v, tu_node(t, "/b"), "x", DT_INT64, 1, DIMS("x"), SHAPE(3));
}
static int o_child_float_x(dt_tree *t)
{
    dt_var *v = NULL;
    int rc = dt_node_add_var(&v, tu_node(t, "/b"), "x", DT_FLOAT64, 1, DIMS("x"), NULL);

    return rc < 0 ? rc : dt_var_set_data(v, DT_FLOAT64, F64(1.0, 2.0), 2);
}
static void s_child_int32_x(dt_tree *t)
{
    s_root_x12(t);
    add(t, "/b", "x", DT_INT32, 1, DIMS("x"), NULL);
}
static int o_set_int32_x13(dt_tree *t)
{
    return dt_var_set_data(tu_var(t, "/b/x"), DT_FLOAT64, F64(1.0, 3.0), 2);
}

/* row 16: NaN */
static void s_root_x_nan(dt_tree *t)
{
    mk(t, "/b");
    tu_var_f64(dt_tree_root(t), "x", "x", 3, F64(1.0, NAN, 3.0));
    tu_var_f64(tu_node(t, "/b"), "x", "x", 3, NULL);
}
static int o_set_nan_same(dt_tree *t)
{
    return dt_var_set_data(tu_var(t, "/b/x"), DT_FLOAT32, ((const float[]){1.0f, NAN, 3.0f}), 3);
}
static int o_set_nan_moved(dt_tree *t)
{
    return dt_var_set_data(tu_var(t, "/b/x"), DT_FLOAT64, F64(1.0, 3.0, NAN), 3);
}

/* rows 10-11: a child's dimension without coordinate */
static void s_root_data_x2(dt_tree *t)
{
    mk(t, "/b/c");
    tu_var_i64(dt_tree_root(t), "a", "x", 2, I64(1, 2));
}
static int o_child_c_x1(dt_tree *t)
{
    dt_var *v = NULL;
    return dt_node_add_var(&v, tu_node(t, "/b"), "cv", DT_FLOAT64, 1, DIMS("x"), SHAPE(1));
}
static int o_grandchild_x1(dt_tree *t)
{
    dt_var *v = NULL;
    return dt_node_add_var(&v, tu_node(t, "/b/c"), "d", DT_FLOAT64, 1, DIMS("x"), SHAPE(1));
}
static int o_child_dim_x1(dt_tree *t) { return dt_node_add_dim(tu_node(t, "/b"), "x", 1, 0); }
/* the other order: the child first, then the parent */
static void s_child_x1_first(dt_tree *t)
{
    mk(t, "/b/c");
    tu_var_i64(tu_node(t, "/b/c"), "c", "x", 1, I64(5));
}
static int o_root_data_x2(dt_tree *t)
{
    dt_var *v = NULL;
    return dt_node_add_var(&v, dt_tree_root(t), "a", DT_INT64, 1, DIMS("x"), SHAPE(2));
}
static int o_root_dim_x2(dt_tree *t) { return dt_node_add_dim(dt_tree_root(t), "x", 2, 0); }
static int o_root_index_x2(dt_tree *t)
{
    dt_var *v = NULL;
    return dt_node_add_var(&v, dt_tree_root(t), "x", DT_INT64, 1, DIMS("x"), SHAPE(2));
}

/* row 12: siblings */
static void s_siblings(dt_tree *t)
{
    mk(t, "/a");
    mk(t, "/b");
    tu_var_i64(tu_node(t, "/a"), "v", "x", 2, NULL);
}
static int o_sibling_x3(dt_tree *t)
{
    dt_var *v = NULL;
    return dt_node_add_var(&v, tu_node(t, "/b"), "v", DT_INT64, 1, DIMS("x"), SHAPE(3));
}
static void a_siblings(dt_tree *t)
{
    dt_dim_info d;

    tu_assert_ok(dt_node_dim_find(&d, tu_node(t, "/a"), "x"));
    ck_assert_uint_eq(d.size, 2);
    tu_assert_ok(dt_node_dim_find(&d, tu_node(t, "/b"), "x"));
    ck_assert_uint_eq(d.size, 3);
}

/* row 13: a parent's non-index coordinate redefined below */
static void s_root_lat(dt_tree *t)
{
    mk(t, "/b");
    tu_var_i64(dt_tree_root(t), "x", "x", 2, I64(10, 20));
    tu_assert_ok(dt_var_set_coord(tu_var_f64(dt_tree_root(t), "lat", "x", 2, F64(1, 2)), 1));
}
static int o_child_lat(dt_tree *t)
{
    dt_var *v = NULL;
    int rc = dt_node_add_var(&v, tu_node(t, "/b"), "lat", DT_FLOAT64, 1, DIMS("x"), NULL);

    if (rc == DT_OK)
        rc = dt_var_set_coord(v, 1);
    return rc < 0 ? rc : dt_var_set_data(v, DT_FLOAT64, F64(5, 6), 2);
}
static void a_child_lat(dt_tree *t)
{
    dt_coord_info ci = coord(t, "/b", "lat", DT_INHERIT_ALL);
    double v[2];

    ck_assert_int_eq(ci.inherited, 0);
    ck_assert_ptr_eq(ci.owner, tu_node(t, "/b"));
    tu_read_f64(ci.var, v, 2);
    ck_assert_double_eq(v[0], 5.0);
    ck_assert_double_eq(v[1], 6.0);
}

/* row 14: a data variable named like an inherited index coordinate */
static int o_child_data_x(dt_tree *t)
{
    dt_var *v = NULL;
    return dt_node_add_var(&v, tu_node(t, "/b"), "x", DT_INT64, 1, DIMS("y"), SHAPE(3));
}
static void s_child_xx(dt_tree *t)
{
    s_root_x12(t);
    tu_var_i64(tu_node(t, "/b"), "xx", "x", 2, I64(1, 3));
}
static int o_child_rename_to_x(dt_tree *t) { return dt_var_rename(tu_var(t, "/b/xx"), "x"); }

/* row 17: deleting a parent's dimension coordinate */
static void s_root_x_child_v(dt_tree *t)
{
    s_root_x12(t);
    tu_var_f64(tu_node(t, "/b"), "v", "x", 2, F64(3, 4));
}
static int o_remove_root_x(dt_tree *t) { return dt_var_remove(tu_var(t, "/x")); }
static void a_removed_root_x(dt_tree *t)
{
    dt_coord_info ci;
    dt_dim_info d;

    tu_assert_rc(dt_node_coord_find(&ci, tu_node(t, "/b"), "x", DT_INHERIT_ALL), DT_ENOTFOUND,
                 "no coordinate \"x\" is visible in group /b");
    tu_assert_ok(dt_node_dim_find(&d, tu_node(t, "/b"), "x"));
    ck_assert_uint_eq(d.size, 2);
}

/* row 18: renaming a dimension onto an ancestor's of another length */
static void s_rename_dim(dt_tree *t)
{
    mk(t, "/b/c");
    tu_var_i64(dt_tree_root(t), "w", "y", 5, NULL);
    tu_var_i64(tu_node(t, "/b"), "v", "x", 2, I64(1, 2));
    tu_var_i64(tu_node(t, "/b/c"), "u", "x", 2, NULL);
}
static int o_rename_x_to_y(dt_tree *t) { return dt_node_rename_dim(tu_node(t, "/b"), "x", "y"); }
static int o_rename_x_to_z(dt_tree *t) { return dt_node_rename_dim(tu_node(t, "/b"), "x", "z"); }
static void a_renamed_z(dt_tree *t)
{
    ck_assert_str_eq(dt_var_dim(tu_var(t, "/b/v"), 0), "z");
    ck_assert_str_eq(dt_var_dim(tu_var(t, "/b/c/u"), 0), "z");
}

/* rows 19-20: loops */
static void s_loop(dt_tree *t) { mk(t, "/a/t/u"); }
static int o_move_under_descendant(dt_tree *t)
{
    return dt_node_move(tu_node(t, "/a"), tu_node(t, "/a/t/u"), NULL);
}
static int o_move_under_itself(dt_tree *t)
{
    return dt_node_move(tu_node(t, "/a/t"), tu_node(t, "/a/t"), "t2");
}
static int o_copy_under_itself(dt_tree *t)
{
    dt_node *c = NULL;
    return dt_node_copy(&c, tu_node(t, "/a"), tu_node(t, "/a/t"), "again", 0);
}

/* row 21: a file whose child redeclares x with another length */
static void s_load_redeclare(dt_tree *t, dt_align_mode mode)
{
    load_begin(t, mode, 0);
    mk(t, "/b/c");
    tu_var_i64(dt_tree_root(t), "x", "x", 2, I64(1, 2));
    tu_assert_ok(dt_node_add_dim(tu_node(t, "/b"), "x", 3, 0));
    tu_var_i64(tu_node(t, "/b"), "v", "x", 3, I64(7, 8, 9));
    tu_var_i64(tu_node(t, "/b/c"), "w", "x", 3, NULL);
}
static void s_load_redeclare_strict(dt_tree *t) { s_load_redeclare(t, DT_ALIGN_STRICT); }
static void s_load_redeclare_relaxed(dt_tree *t) { s_load_redeclare(t, DT_ALIGN_RELAXED); }
static void a_relaxed_cut(dt_tree *t)
{
    dt_node *b = tu_node(t, "/b");
    dt_coord_info ci;
    dt_dim_info d;

    ck_assert_int_eq(dt_node_is_cut(b), 1);
    ck_assert_int_eq(dt_node_is_cut(dt_tree_root(t)), 0);
    ck_assert_int_eq(dt_node_is_cut(tu_node(t, "/b/c")), 0);
    /* the reason is the error a strict open gives, kept; the error is not */
    ck_assert_ptr_nonnull(dt_node_cut_reason(b));
    ck_assert_ptr_nonnull(strstr(dt_node_cut_reason(b), "group '/b' is not aligned with its "
                                 "parents: cannot reindex or align along dimension 'x'"));
    ck_assert_ptr_null(dt_node_cut_reason(dt_tree_root(t)));
    ck_assert_ptr_null(dt_node_cut_reason(tu_node(t, "/b/c")));
    ck_assert_int_eq(dt_error_last()->code, DT_OK);
    /* b sees nothing of the root any more, its child sees b's x */
    tu_assert_rc(dt_node_coord_find(&ci, b, "x", DT_INHERIT_ALL), DT_ENOTFOUND, NULL);
    tu_assert_ok(dt_node_dim_find(&d, tu_node(t, "/b/c"), "x"));
    ck_assert_uint_eq(d.size, 3);
    ck_assert_ptr_eq(d.owner, b);
    ck_assert_str_eq(dt_tree_source(t), FILE_NAME);
    ck_assert_int_eq(dt_tree_format(t), DT_FORMAT_NETCDF4);
    tu_assert_ok(dt_tree_check_alignment(t));
}

static const struct {
    const char *row;
    setup_fn setup;
    op_fn op;
    int code;
    const char *want[5];
    after_fn after;
} edge_rows[] = {
    {"1", s_group, o_rename_slash, DT_EBADNAME, {"group name \"a/b\" contains '/'"}, NULL},
    {"2", NULL, o_var_slash, DT_EBADNAME, {"variable name \"a/b\" contains '/'"}, NULL},
    {"3 ..", s_group, o_rename_dotdot, DT_EBADNAME, {"group name \"..\" consists only of periods"},
     NULL},
    {"3 .", s_group, o_rename_dot, DT_EBADNAME, {"group name \".\""}, NULL},
    {"3 empty", s_group, o_rename_empty, DT_EBADNAME, {"group name cannot be empty"}, NULL},
    {"3 create ..", s_group, o_create_dotdot, DT_EINVAL, {"has no final name"}, NULL},
    {"4 create", s_var_v, o_create_v, DT_ENAMECLASH,
     {"group / already contains a variable named \"v\""}, NULL},
    {"4 rename", s_var_v, o_rename_to_v, DT_ENAMECLASH, {"already contains a variable named \"v\""},
     NULL},
    {"4 variable", s_var_v, o_var_named_g, DT_ENAMECLASH,
     {"group / already has a child group named \"g\""}, NULL},
    {"4 variable rename", s_var_v, o_var_rename_g, DT_ENAMECLASH,
     {"already has a child group named \"g\""}, NULL},
    {"5", s_abc, o_up_from_root, DT_ENOTFOUND, {"above the root"}, NULL},
    {"6", s_abc, o_messy_path, DT_OK, {NULL}, a_messy_path},
    {"7 load", s_load_child_x12, o_end_load, DT_OK, {NULL}, a_deduplicated},
    {"7 move", s_staged_x12, o_move_b_to_target, DT_OK, {NULL}, a_move_deduplicated},
    {"7 copy", s_root_x12, o_copy_b_in, DT_OK, {NULL}, a_copy_deduplicated},
    {"7 in place", s_child_x_nodata, o_set_x12, DT_OK, {NULL}, a_child_x_equal},
    {"8", s_child_x_nodata, o_set_x13, DT_EALIGN,
     {"group '/b' is not aligned with its parents", "join='exact'", "'x'", "[1, 3]", "[1, 2]"},
     NULL},
    {"8 int32", s_child_int32_x, o_set_int32_x13, DT_EALIGN,
     {"group '/b' is not aligned with its parents", "[1, 3]"}, NULL},
    {"8 load", s_load_child_x13, o_end_load, DT_EALIGN,
     {FILE_NAME ": group '/b' is not aligned with its parents", "'x'", "[1, 3]", "[1, 2]"}, NULL},
    {"8 move", s_staged_x13, o_move_b_to_target, DT_EALIGN,
     {"group '/target/b' is not aligned with its parents", "[1, 3]", "[1, 2]"}, NULL},
    {"9", s_root_x12, o_child_x_len3, DT_EALIGN,
     {"/b", "'x'", "3", "2"}, NULL},
    {"9 load", s_load_child_x123, o_end_load, DT_EALIGN,
     {FILE_NAME ": group '/b' is not aligned with its parents", "'x'", "{2, 3}"}, NULL},
    {"10", s_root_data_x2, o_child_c_x1, DT_EALIGN,
     {"group '/b' is not aligned with its parents", "'x'", "1", "2"}, NULL},
    {"10 dim", s_root_data_x2, o_child_dim_x1, DT_EALIGN,
     {"group '/b' is not aligned with its parents", "dimension 'x'", "{1, 2}"}, NULL},
    {"10 parent after", s_child_x1_first, o_root_data_x2, DT_EALIGN,
     {"group '/b/c' is not aligned with its parents", "'x'", "1", "2"}, NULL},
    {"10 parent dim after", s_child_x1_first, o_root_dim_x2, DT_EALIGN,
     {"group '/b/c' is not aligned with its parents", "{1, 2}"}, NULL},
    {"10 parent index after", s_child_x1_first, o_root_index_x2, DT_EALIGN,
     {"group '/b/c' is not aligned with its parents", "'x'"}, NULL},
    {"11", s_root_data_x2, o_grandchild_x1, DT_EALIGN,
     {"group '/b/c' is not aligned with its parents", "'x'", "1", "2"}, NULL},
    {"12", s_siblings, o_sibling_x3, DT_OK, {NULL}, a_siblings},
    {"13", s_root_lat, o_child_lat, DT_OK, {NULL}, a_child_lat},
    {"14", s_root_x12, o_child_data_x, DT_ENAMECLASH,
     {"variable \"x\" would hide the index coordinate \"x\" that the group inherits from /"},
     NULL},
    {"14 rename", s_child_xx, o_child_rename_to_x, DT_EALIGN,
     {"group '/b' is not aligned with its parents", "[1, 3]"}, NULL},
    {"15", s_root_x12, o_child_float_x, DT_OK, {NULL}, a_child_x_equal},
    {"16", s_root_x_nan, o_set_nan_same, DT_OK, {NULL}, NULL},
    {"16 moved NaN", s_root_x_nan, o_set_nan_moved, DT_EALIGN,
     {"group '/b' is not aligned with its parents", "nan"}, NULL},
    {"17", s_root_x_child_v, o_remove_root_x, DT_OK, {NULL}, a_removed_root_x},
    {"18", s_rename_dim, o_rename_x_to_y, DT_EALIGN,
     {"group '/b' is not aligned with its parents", "'y'", "2", "5"}, NULL},
    {"18 ok", s_rename_dim, o_rename_x_to_z, DT_OK, {NULL}, a_renamed_z},
    {"19", s_loop, o_move_under_descendant, DT_ELOOP,
     {"cannot move /a under /a/t/u: the intended parent is already a descendant"}, NULL},
    {"20 move", s_loop, o_move_under_itself, DT_ELOOP, {"cannot move /a/t under /a/t"}, NULL},
    {"20 copy", s_loop, o_copy_under_itself, DT_ELOOP, {"own subtree"}, NULL},
    {"21 strict", s_load_redeclare_strict, o_end_load, DT_EALIGN,
     {FILE_NAME ": group '/b' is not aligned with its parents", "dimension 'x'", "{2, 3}",
      "'x' is 3 in /b and 2 in /"}, NULL},
    {"21 relaxed", s_load_redeclare_relaxed, o_end_load, DT_OK, {NULL}, a_relaxed_cut},
};

START_TEST(edge_row)
{
    dt_tree *t = tu_tree(NULL);
    char *before, *after;
    int rc;

    if (edge_rows[_i].setup)
        edge_rows[_i].setup(t);
    before = tu_dump(dt_tree_root(t));
    dt_error_clear();
    rc = edge_rows[_i].op(t);
    ck_assert_msg(rc == edge_rows[_i].code, "row %s: %s, expected %s (%s)", edge_rows[_i].row,
                  dt_strerror_name(rc), dt_strerror_name(edge_rows[_i].code),
                  dt_error_last()->message);
    if (rc != DT_OK) {
        ck_assert_int_eq(dt_error_last()->code, rc);
        for (size_t k = 0; k < 5 && edge_rows[_i].want[k]; k++)
            ck_assert_msg(strstr(dt_error_last()->message, edge_rows[_i].want[k]) != NULL,
                          "row %s: message \"%s\" lacks \"%s\"", edge_rows[_i].row,
                          dt_error_last()->message, edge_rows[_i].want[k]);
        /* all or nothing */
        after = tu_dump(dt_tree_root(t));
        ck_assert_msg(strcmp(after, before) == 0, "row %s changed the tree:\n%s\nwas:\n%s",
                      edge_rows[_i].row, after, before);
        free(after);
    } else {
        if (edge_rows[_i].after)
            edge_rows[_i].after(t);
        tu_assert_ok(dt_tree_check_alignment(t));
    }
    free(before);
    dt_tree_free(t);
}
END_TEST

/* ---- worked examples, section 11 ---- */

/* 11.1: /ocean and /atmosphere inherit time from the root. */
static dt_tree *example_11_1(void)
{
    dt_tree *t = tu_tree("/ocean", "/atmosphere", NULL);

    tu_var_i64(dt_tree_root(t), "time", "time", 3, I64(1, 2, 3));
    tu_var_f64(tu_node(t, "/ocean"), "temperature", "time", 3, F64(10, 11, 12));
    tu_var_f64(tu_node(t, "/ocean"), "salinity", "time", 3, NULL);
    tu_var_f64(tu_node(t, "/atmosphere"), "temperature", "time", 3, NULL);
    tu_var_f64(tu_node(t, "/atmosphere"), "humidity", "time", 3, NULL);
    return t;
}

typedef struct coord_log {
    char names[8][32];
    int inherited[8];
    int n;
} coord_log;

static int log_coord(const dt_coord_info *ci, void *ud)
{
    coord_log *l = ud;

    snprintf(l->names[l->n], sizeof l->names[l->n], "%s", dt_var_name(ci->var));
    l->inherited[l->n] = ci->inherited;
    l->n++;
    return 0;
}

START_TEST(example_inheritance)
{
    dt_tree *t = example_11_1();
    dt_node *ocean = tu_node(t, "/ocean");
    dt_coord_info ci;
    dt_dim_info d;
    coord_log l = {.n = 0};
    dt_var *v = NULL;
    int64_t time[3];

    ci = coord(t, "/ocean", "time", DT_INHERIT_INDEXES);
    ck_assert_int_eq(ci.inherited, 1);
    ck_assert_ptr_eq(ci.owner, dt_tree_root(t));
    ck_assert_int_eq(ci.is_index, 1);
    tu_read_i64(ci.var, time, 3);
    ck_assert_int_eq(time[2], 3);
    /* the dimension lives in the root only */
    ck_assert_uint_eq(dt_node_dim_count(ocean), 0);
    tu_assert_ok(dt_node_dim_find(&d, ocean, "time"));
    ck_assert_ptr_eq(d.owner, dt_tree_root(t));
    ck_assert_uint_eq(d.size, 3);
    /* /ocean's view: time (inherited); own variables are data */
    tu_assert_ok(dt_node_coords(ocean, DT_INHERIT_INDEXES, log_coord, &l));
    ck_assert_int_eq(l.n, 1);
    ck_assert_str_eq(l.names[0], "time");
    ck_assert_int_eq(l.inherited[0], 1);
    l.n = 0;
    tu_assert_ok(dt_node_coords(ocean, DT_INHERIT_NONE, log_coord, &l));
    ck_assert_int_eq(l.n, 0);
    tu_assert_rc(dt_node_coord_find(&ci, ocean, "time", DT_INHERIT_NONE), DT_ENOTFOUND,
                 "no coordinate \"time\" is visible in group /ocean");
    /* a lookup by path finds the inherited coordinate */
    tu_assert_ok(dt_var_lookup(&v, tu_node(t, "/atmosphere"), "time"));
    ck_assert_ptr_eq(v, tu_var(t, "/time"));
    ck_assert_uint_eq(dt_node_var_count(ocean), 2);
    tu_assert_ok(dt_tree_check_alignment(t));
    dt_tree_free(t);
}
END_TEST

/* 11.2: lat is a coordinate, but no index: not inherited unless asked. */
START_TEST(example_non_index)
{
    dt_tree *t = tu_tree("/sub", NULL);
    dt_coord_info ci;
    coord_log l = {.n = 0};

    tu_var_i64(dt_tree_root(t), "x", "x", 2, I64(10, 20));
    tu_assert_ok(dt_var_set_coord(tu_var_f64(dt_tree_root(t), "lat", "x", 2, F64(45, 46)), 1));
    tu_var_f64(tu_node(t, "/sub"), "v", "x", 2, NULL);
    tu_assert_rc(dt_node_coord_find(&ci, tu_node(t, "/sub"), "lat", DT_INHERIT_INDEXES),
                 DT_ENOTFOUND, "no coordinate \"lat\" is visible in group /sub");
    ci = coord(t, "/sub", "lat", DT_INHERIT_ALL);
    ck_assert_int_eq(ci.inherited, 1);
    ck_assert_int_eq(ci.is_index, 0);
    ck_assert_ptr_eq(ci.owner, dt_tree_root(t));
    tu_assert_ok(dt_node_coords(tu_node(t, "/sub"), DT_INHERIT_INDEXES, log_coord, &l));
    ck_assert_int_eq(l.n, 1);
    ck_assert_str_eq(l.names[0], "x");
    l.n = 0;
    tu_assert_ok(dt_node_coords(tu_node(t, "/sub"), DT_INHERIT_ALL, log_coord, &l));
    ck_assert_int_eq(l.n, 2);
    ck_assert_str_eq(l.names[0], "x");
    ck_assert_str_eq(l.names[1], "lat");
    /* a data variable of the parent is never a coordinate of the child */
    tu_var_f64(dt_tree_root(t), "d", "x", 2, NULL);
    tu_assert_rc(dt_node_coord_find(&ci, tu_node(t, "/sub"), "d", DT_INHERIT_ALL),
                 DT_ENOTFOUND, "no coordinate \"d\"");
    dt_tree_free(t);
}
END_TEST

/* 11.3: the size conflict names the group, the dimension and both sizes,
 * whichever way it is made, also for a grandchild. */
START_TEST(example_size_conflict)
{
    dt_tree *t = tu_tree("/b/c", NULL);
    dt_var *v = NULL;

    tu_var_f64(dt_tree_root(t), "a", "x", 2, F64(1, 2));
    tu_assert_rc(dt_node_add_var(&v, tu_node(t, "/b"), "cv", DT_FLOAT64, 1, DIMS("x"),
                                 SHAPE(1)),
                 DT_EALIGN, "group '/b' is not aligned with its parents");
    tu_assert_msg_has("'x'");
    tu_assert_msg_has("1 here, 2 declared in /");
    tu_assert_rc(dt_node_add_var(&v, tu_node(t, "/b/c"), "c", DT_FLOAT64, 1, DIMS("x"),
                                 SHAPE(1)),
                 DT_EALIGN, "group '/b/c' is not aligned with its parents");
    tu_assert_rc(dt_node_add_dim(tu_node(t, "/b"), "x", 1, 0), DT_EALIGN,
                 "group '/b' is not aligned with its parents: cannot reindex or align along "
                 "dimension 'x' because of conflicting dimension sizes: {1, 2}");
    ck_assert_uint_eq(dt_node_dim_count(tu_node(t, "/b")), 0);
    ck_assert_uint_eq(dt_node_var_count(tu_node(t, "/b")), 0);
    dt_tree_free(t);
}
END_TEST

/* 11.4: siblings disagree on time; all share lat and lon. */
START_TEST(example_siblings)
{
    dt_tree *t = tu_tree("/daily", "/weekly", "/monthly", NULL);
    static const char *const groups[] = {"/daily", "/weekly", "/monthly"};
    static const uint64_t sizes[] = {365, 52, 12};
    char *before, *after;

    tu_var_f64(dt_tree_root(t), "lat", "lat", 2, F64(1, 2));
    tu_var_f64(dt_tree_root(t), "lon", "lon", 3, F64(1, 2, 3));
    for (int i = 0; i < 3; i++) {
        dt_var *v = add(t, groups[i], "t2m", DT_FLOAT32, 3, DIMS("time", "lat", "lon"),
                        SHAPE(sizes[i], 2, 3));
        dt_coord_info ci = coord(t, groups[i], "lon", DT_INHERIT_INDEXES);
        dt_dim_info d;

        ck_assert_uint_eq(dt_var_shape(v)[0], sizes[i]);
        ck_assert_int_eq(ci.inherited, 1);
        tu_assert_ok(dt_node_dim_find(&d, tu_node(t, groups[i]), "time"));
        ck_assert_uint_eq(d.size, sizes[i]);
    }
    tu_assert_ok(dt_tree_check_alignment(t));
    /* /weekly under /daily: time 52 against 365 */
    before = tu_dump(dt_tree_root(t));
    tu_assert_rc(dt_node_move(tu_node(t, "/weekly"), tu_node(t, "/daily"), NULL), DT_EALIGN,
                 "group '/daily/weekly' is not aligned with its parents");
    tu_assert_msg_has("'time'");
    tu_assert_msg_has("{52, 365}");
    after = tu_dump(dt_tree_root(t));
    ck_assert_str_eq(after, before);
    ck_assert_str_eq(dt_node_name(dt_node_child(dt_tree_root(t), 1)), "weekly");
    free(before);
    free(after);
    dt_tree_free(t);
}
END_TEST

/* 11.5: an equal child copy is removed on load, move and copy; an unequal
 * one is refused; keep_layout keeps the copy. */
START_TEST(example_dedup_keep_layout)
{
    dt_tree *t = tu_tree(NULL);
    dt_open_opts o = DT_OPEN_OPTS_INIT;

    o.keep_layout = 1;
    tu_assert_ok(dt__tree_begin_load(t, &o, DT_FORMAT_ZARR3, "k.zarr"));
    mk(t, "/b");
    tu_var_i64(dt_tree_root(t), "x", "x", 2, I64(1, 2));
    tu_var_i64(tu_node(t, "/b"), "x", "x", 2, I64(1, 2));
    tu_var_i64(tu_node(t, "/b"), "foo", "x", 2, I64(4, 5));
    tu_assert_ok(dt__tree_end_load(t));
    /* the copy stays, and is the one the child sees */
    ck_assert_uint_eq(dt_node_var_count(tu_node(t, "/b")), 2);
    ck_assert_int_eq(coord(t, "/b", "x", DT_INHERIT_INDEXES).inherited, 0);
    /* checking never deduplicates */
    tu_assert_ok(dt_tree_check_alignment(t));
    ck_assert_uint_eq(dt_node_var_count(tu_node(t, "/b")), 2);
    /* and a move within the kept layout keeps it too */
    mk(t, "/z");
    tu_assert_ok(dt_node_move(tu_node(t, "/b"), tu_node(t, "/z"), NULL));
    ck_assert_uint_eq(dt_node_var_count(tu_node(t, "/z/b")), 2);
    dt_tree_free(t);
}
END_TEST

/* Deduplication recurses: a grandchild's copy goes as well. */
START_TEST(example_dedup_recurses)
{
    dt_tree *t = tu_tree(NULL);

    load_begin(t, DT_ALIGN_STRICT, 0);
    mk(t, "/b/c");
    tu_var_i64(dt_tree_root(t), "x", "x", 2, I64(1, 2));
    tu_var_f64(tu_node(t, "/b"), "x", "x", 2, F64(1, 2));
    tu_var_i64(tu_node(t, "/b/c"), "x", "x", 2, I64(1, 2));
    tu_var_i64(tu_node(t, "/b/c"), "y", "y", 1, I64(9));
    tu_assert_ok(dt__tree_end_load(t));
    ck_assert_uint_eq(dt_node_var_count(tu_node(t, "/b")), 0);
    ck_assert_uint_eq(dt_node_var_count(tu_node(t, "/b/c")), 1);
    ck_assert_ptr_eq(coord(t, "/b/c", "x", DT_INHERIT_INDEXES).owner, dt_tree_root(t));
    /* y is not inherited from anywhere: it stays */
    ck_assert_ptr_eq(coord(t, "/b/c", "y", DT_INHERIT_INDEXES).owner, tu_node(t, "/b/c"));
    dt_tree_free(t);
}
END_TEST

/* 11.6: a dimension used only by a parent data variable still constrains. */
START_TEST(example_parent_data_dim)
{
    dt_tree *t = tu_tree("/b", "/c", NULL);
    dt_dim_info d;
    dt_var *g = NULL;

    tu_var_i64(dt_tree_root(t), "d", "x", 2, I64(1, 2));
    tu_var_i64(tu_node(t, "/b"), "e", "y", 1, I64(3));
    tu_var_i64(tu_node(t, "/c"), "f", "y", 3, I64(3, 4, 5));
    tu_assert_ok(dt_node_dim_find(&d, tu_node(t, "/b"), "x"));
    ck_assert_uint_eq(d.size, 2);
    ck_assert_ptr_eq(d.owner, dt_tree_root(t));
    tu_assert_ok(dt_node_dim_find(&d, tu_node(t, "/b"), "y"));
    ck_assert_uint_eq(d.size, 1);
    tu_assert_ok(dt_node_dim_find(&d, tu_node(t, "/c"), "y"));
    ck_assert_uint_eq(d.size, 3);
    tu_assert_ok(dt_tree_check_alignment(t));
    tu_assert_rc(dt_node_add_var(&g, tu_node(t, "/b"), "g", DT_INT64, 1, DIMS("x"), SHAPE(3)),
                 DT_EALIGN, "group '/b' is not aligned with its parents");
    tu_assert_msg_has("'x'");
    tu_assert_msg_has("3 here, 2 declared in /");
    ck_assert_ptr_null(g);
    ck_assert_uint_eq(dt_node_var_count(tu_node(t, "/b")), 1);
    dt_tree_free(t);
}
END_TEST

/* 11.7: moving a subtree. */
START_TEST(example_move)
{
    dt_tree *t = tu_tree("/a/t", "/b", NULL);
    dt_coord_info ci;
    dt_var *v;

    tu_var_i64(dt_tree_root(t), "time", "time", 4, I64(0, 1, 2, 3));
    v = tu_var_f64(tu_node(t, "/a/t"), "obs", "time", 4, NULL);
    tu_assert_rc(dt_node_move(tu_node(t, "/a"), tu_node(t, "/a/t"), NULL), DT_ELOOP,
                 "intended parent is already a descendant");
    tu_assert_ok(dt_node_move(tu_node(t, "/a/t"), tu_node(t, "/b"), NULL));
    ck_assert_ptr_eq(dt_var_node(v), tu_node(t, "/b/t"));
    ci = coord(t, "/b/t", "time", DT_INHERIT_INDEXES);
    ck_assert_int_eq(ci.inherited, 1);
    ck_assert_ptr_eq(ci.owner, dt_tree_root(t));
    ck_assert_uint_eq(dt_node_dim_count(tu_node(t, "/b/t")), 0);
    {
        char *p = NULL;

        tu_assert_ok(dt_var_path(&p, v));
        ck_assert_str_eq(p, "/b/t/obs");
        dt_free(p);
    }
    tu_assert_ok(dt_tree_check_alignment(t));
    dt_tree_free(t);
}
END_TEST

/* A subtree moved away from the dimensions it used carries them along. */
START_TEST(move_carries_dims)
{
    dt_tree *t = tu_tree("/a/t", "/b", NULL);
    dt_dim_info d;

    tu_var_i64(tu_node(t, "/a"), "p", "x", 3, NULL);
    tu_var_i64(tu_node(t, "/a/t"), "q", "x", 3, NULL);
    tu_assert_ok(dt_node_move(tu_node(t, "/a/t"), tu_node(t, "/b"), NULL));
    tu_assert_ok(dt_node_dim_find(&d, tu_node(t, "/b/t"), "x"));
    ck_assert_uint_eq(d.size, 3);
    ck_assert_ptr_eq(d.owner, tu_node(t, "/b/t"));
    tu_assert_ok(dt_tree_check_alignment(t));
    dt_tree_free(t);
}
END_TEST

/* ---- all-or-nothing mutations (section 7.2) ---- */

/* Changing an index coordinate's values re-checks the groups below, and a
 * refusal restores the old values. */
START_TEST(index_write_refused_restores)
{
    dt_tree *t = tu_tree(NULL);
    char *before, *after;
    int64_t x[2];

    load_begin(t, DT_ALIGN_STRICT, 1); /* keep the child copy */
    mk(t, "/b");
    tu_var_i64(dt_tree_root(t), "x", "x", 2, I64(1, 2));
    tu_var_i64(tu_node(t, "/b"), "x", "x", 2, I64(1, 2));
    tu_assert_ok(dt__tree_end_load(t));
    before = tu_dump(dt_tree_root(t));
    tu_assert_rc(dt_var_write(tu_var(t, "/x"), &(dt_slab){1, (uint64_t[]){1}, (uint64_t[]){1},
                                                         NULL}, DT_INT64, I64(5), 8),
                 DT_EALIGN, "group '/b' is not aligned with its parents");
    tu_assert_msg_has("[1, 5]");
    tu_assert_rc(dt_var_set_data(tu_var(t, "/x"), DT_INT64, I64(0, 2), 2), DT_EALIGN,
                 "[0, 2]");
    tu_assert_rc(dt_var_set_data(tu_var(t, "/b/x"), DT_INT64, I64(9, 9), 2), DT_EALIGN,
                 "[9, 9]");
    after = tu_dump(dt_tree_root(t));
    ck_assert_str_eq(after, before);
    tu_read_i64(tu_var(t, "/x"), x, 2);
    ck_assert_int_eq(x[1], 2);
    free(before);
    free(after);
    dt_tree_free(t);
}
END_TEST

START_TEST(resize_refused_changes_nothing)
{
    dt_tree *t = tu_tree("/b", NULL);
    dt_var *v = NULL;
    char *before, *after;

    tu_assert_ok(dt_node_add_dim(dt_tree_root(t), "time", 2, 1));
    tu_assert_ok(dt_node_add_var(&v, dt_tree_root(t), "v", DT_INT32, 1, DIMS("time"), NULL));
    tu_assert_ok(dt_var_set_data(v, DT_INT32, ((const int32_t[]){1, 2}), 2));
    tu_assert_ok(dt_node_add_dim(tu_node(t, "/b"), "time", 2, 0));
    before = tu_dump(dt_tree_root(t));
    tu_assert_rc(dt_node_resize_dim(dt_tree_root(t), "time", 3), DT_EALIGN,
                 "group '/b' is not aligned with its parents");
    tu_assert_msg_has("{2, 3}");
    after = tu_dump(dt_tree_root(t));
    ck_assert_str_eq(after, before);
    free(before);
    free(after);
    dt_tree_free(t);
}
END_TEST

START_TEST(rename_dim_refused_changes_nothing)
{
    dt_tree *t = tu_tree(NULL);
    char *before, *after;

    s_rename_dim(t);
    before = tu_dump(dt_tree_root(t));
    tu_assert_rc(dt_node_rename_dim(tu_node(t, "/b"), "x", "y"), DT_EALIGN, "'y'");
    after = tu_dump(dt_tree_root(t));
    ck_assert_str_eq(after, before);
    ck_assert_str_eq(dt_var_dim(tu_var(t, "/b/c/u"), 0), "x");
    free(before);
    free(after);
    dt_tree_free(t);
}
END_TEST

/* ---- dt_tree_check_alignment ---- */

START_TEST(check_alignment_reports)
{
    dt_tree *t = tu_tree(NULL);

    tu_assert_rc(dt_tree_check_alignment(NULL), DT_EINVAL, NULL);
    tu_assert_ok(dt_tree_check_alignment(t));
    /* a child index without values yet cannot conflict ... */
    s_child_x_nodata(t);
    tu_assert_ok(dt_tree_check_alignment(t));
    /* ... its values are compared when they are given */
    tu_assert_rc(dt_var_set_data(tu_var(t, "/b/x"), DT_INT64, I64(1, 3), 2), DT_EALIGN,
                 "group '/b' is not aligned with its parents");
    tu_assert_msg_has("[1, 3]");
    tu_assert_msg_has("[1, 2]");
    tu_assert_ok(dt_var_set_data(tu_var(t, "/b/x"), DT_INT64, I64(1, 2), 2));
    tu_assert_ok(dt_tree_check_alignment(t));
    dt_tree_free(t);
}
END_TEST

/* Before end_load a file's conflicts are there to see; check_alignment
 * reports the first one depth-first and neither cuts nor deduplicates. */
START_TEST(check_alignment_while_loading)
{
    dt_tree *t = tu_tree(NULL);

    load_begin(t, DT_ALIGN_RELAXED, 0);
    mk(t, "/a");
    mk(t, "/b");
    tu_var_i64(dt_tree_root(t), "x", "x", 2, I64(1, 2));
    tu_var_i64(tu_node(t, "/a"), "x", "x", 2, I64(1, 2));
    tu_var_i64(tu_node(t, "/b"), "v", "x", 4, NULL);
    tu_assert_rc(dt_tree_check_alignment(t), DT_EALIGN, "group '/b'");
    tu_assert_msg_has("{2, 4}");
    ck_assert_int_eq(dt_node_is_cut(tu_node(t, "/b")), 0);
    ck_assert_uint_eq(dt_node_var_count(tu_node(t, "/a")), 1);
    tu_assert_ok(dt__tree_end_load(t));
    ck_assert_int_eq(dt_node_is_cut(tu_node(t, "/b")), 1);
    ck_assert_uint_eq(dt_node_var_count(tu_node(t, "/a")), 0);
    tu_assert_ok(dt_tree_check_alignment(t));
    dt_tree_free(t);
}
END_TEST

/* A cut group is the root of its own inheritance: copying it with
 * DT_COPY_INHERIT materialises nothing from above. */
START_TEST(cut_group_copy)
{
    dt_tree *t = tu_tree(NULL), *u = tu_tree(NULL);
    dt_node *c = NULL;

    s_load_redeclare_relaxed(t);
    tu_assert_ok(dt__tree_end_load(t));
    tu_assert_ok(dt_node_copy(&c, tu_node(t, "/b"), dt_tree_root(u), NULL, DT_COPY_INHERIT));
    ck_assert_uint_eq(dt_node_var_count(c), 1);
    ck_assert_int_eq(dt_node_is_cut(c), 1);
    ck_assert_str_eq(dt_node_cut_reason(c), dt_node_cut_reason(tu_node(t, "/b")));
    dt_tree_free(t);
    dt_tree_free(u);
}
END_TEST

static Suite *align_suite(void)
{
    Suite *s = suite_create("align");
    TCase *tc = tcase_create("edge cases");

    tcase_add_checked_fixture(tc, reset, NULL);
    tcase_add_loop_test(tc, edge_row, 0, TU_NELEMS(edge_rows));
    suite_add_tcase(s, tc);

    tc = tcase_create("examples");
    tcase_add_checked_fixture(tc, reset, NULL);
    tcase_add_test(tc, example_inheritance);
    tcase_add_test(tc, example_non_index);
    tcase_add_test(tc, example_size_conflict);
    tcase_add_test(tc, example_siblings);
    tcase_add_test(tc, example_dedup_keep_layout);
    tcase_add_test(tc, example_dedup_recurses);
    tcase_add_test(tc, example_parent_data_dim);
    tcase_add_test(tc, example_move);
    tcase_add_test(tc, move_carries_dims);
    suite_add_tcase(s, tc);

    tc = tcase_create("all or nothing");
    tcase_add_checked_fixture(tc, reset, NULL);
    tcase_add_test(tc, index_write_refused_restores);
    tcase_add_test(tc, resize_refused_changes_nothing);
    tcase_add_test(tc, rename_dim_refused_changes_nothing);
    tcase_add_test(tc, check_alignment_reports);
    tcase_add_test(tc, check_alignment_while_loading);
    tcase_add_test(tc, cut_group_copy);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(align_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
