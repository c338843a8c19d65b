/* tests/io/test_hdf5_lazy.c: netCDF-4 files read group by group: a group
 * used alone reads no other, unlimited sizes count the variables of every
 * descendant, and phony dims are numbered as a reading of the whole file
 * numbers them, whatever the order groups are used in. The files are
 * written here with the HDF5 C API the way netCDF-C and h5py lay them out. */
#include "config.h"

#include <check.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtree.h"
#include "io/hdf5/hdf5_internal.h"
#include "model.h"
#include "testutil.h"

#define DIM_ONLY "This is a netCDF dimension but not a netCDF variable."

static char *dir;

static void setup(void)
{
    dir = tu_tmpdir("hdf5-lazy");
}

static void teardown(void)
{
    tu_rmtree(dir);
    free(dir);
}

static char *path_in_dir(const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);

    ck_assert_ptr_nonnull(p);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

/* ---- writing files as netCDF-C and h5py do ---- */

static hid_t crt_order_gcpl(void)
{
    hid_t p = H5Pcreate(H5P_GROUP_CREATE);

    H5Pset_link_creation_order(p, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    H5Pset_attr_creation_order(p, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    return p;
}

/* A new file; nc: with _NCProperties, as netCDF-C writes it. */
static hid_t file_new(const char *path, int nc)
{
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), f;

    H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    H5Pclose(fcpl);
    if (nc) {
        const char *v = "version=2,test=1";
        hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR), a;

        H5Tset_size(t, strlen(v));
        a = H5Acreate2(f, "_NCProperties", t, s, H5P_DEFAULT, H5P_DEFAULT);
        ck_assert_int_ge(H5Awrite(a, t, v), 0);
        H5Aclose(a);
        H5Sclose(s);
        H5Tclose(t);
    }
    return f;
}

static hid_t group_new(hid_t loc, const char *name)
{
    hid_t gcpl = crt_order_gcpl();
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);

    ck_assert_int_ge(g, 0);
    H5Pclose(gcpl);
    return g;
}

static void str_attr(hid_t obj, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR), a;

    H5Tset_size(t, strlen(value) + 1);
    a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(H5Awrite(a, t, value), 0);
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
}

static void int_attr(hid_t obj, const char *name, int value)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, H5T_NATIVE_INT, s, H5P_DEFAULT, H5P_DEFAULT);

    ck_assert_int_ge(H5Awrite(a, H5T_NATIVE_INT, &value), 0);
    H5Aclose(a);
    H5Sclose(s);
}

/* A float32 dataset of the given extents (max: NULL for fixed ones; an
 * unlimited axis makes it chunked). */
static hid_t dset_new(hid_t loc, const char *name, int rank, const hsize_t *ext,
                      const hsize_t *max)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE), s, d;

    H5Pset_attr_creation_order(dcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    if (max) {
        hsize_t chunk[8];

        for (int i = 0; i < rank; i++)
            chunk[i] = 1;
        H5Pset_chunk(dcpl, rank, chunk);
    }
    s = H5Screate_simple(rank, ext, max);
    d = H5Dcreate2(loc, name, H5T_IEEE_F32LE, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ck_assert_int_ge(d, 0);
    H5Sclose(s);
    H5Pclose(dcpl);
    return d;
}

/* A dimension scale; dim_only: netCDF-C's placeholder of a dimension
 * without a variable; dimid >= 0 writes _Netcdf4Dimid. */
static void scale_new(hid_t loc, const char *name, hsize_t size, int unlimited,
                      int dim_only, int dimid)
{
    hsize_t max = H5S_UNLIMITED;
    hid_t d = dset_new(loc, name, 1, &size, unlimited ? &max : NULL);
    char nm[128];

    str_attr(d, "CLASS", "DIMENSION_SCALE");
    if (dim_only)
        snprintf(nm, sizeof nm, "%s%10d", DIM_ONLY, (int)size);
    else
        snprintf(nm, sizeof nm, "%s", name);
    str_attr(d, "NAME", nm);
    if (dimid >= 0)
        int_attr(d, "_Netcdf4Dimid", dimid);
    H5Dclose(d);
}

static void ints_attr(hid_t obj, const char *name, const int *v, hsize_t n)
{
    hid_t s = H5Screate_simple(1, &n, NULL);
    hid_t a = H5Acreate2(obj, name, H5T_NATIVE_INT, s, H5P_DEFAULT, H5P_DEFAULT);

    ck_assert_int_ge(H5Awrite(a, H5T_NATIVE_INT, v), 0);
    H5Aclose(a);
    H5Sclose(s);
}

/* A variable whose axes name the scales at the given paths (NULL: none,
 * as h5py leaves an axis it was not told about); dimids, when given, are
 * its _Netcdf4Coordinates, as netCDF-C writes them. */
static void var_new_ids(hid_t f, hid_t loc, const char *name, int rank,
                        const hsize_t *ext, const hsize_t *max,
                        const char *const *scales, const int *dimids)
{
    hid_t d = dset_new(loc, name, rank, ext, max);
    hobj_ref_t refs[8];
    hvl_t vl[8];
    hsize_t n = (hsize_t)rank;
    int any = 0;

    for (int i = 0; i < rank; i++) {
        vl[i].len = 0;
        vl[i].p = NULL;
        if (scales && scales[i]) {
            ck_assert_int_ge(H5Rcreate(&refs[i], f, scales[i], H5R_OBJECT, -1), 0);
            vl[i].len = 1;
            vl[i].p = &refs[i];
            any = 1;
        }
    }
    if (any) {
        hid_t vt = H5Tvlen_create(H5T_STD_REF_OBJ), s = H5Screate_simple(1, &n, NULL);
        hid_t a = H5Acreate2(d, "DIMENSION_LIST", vt, s, H5P_DEFAULT, H5P_DEFAULT);

        ck_assert_int_ge(H5Awrite(a, vt, vl), 0);
        H5Aclose(a);
        H5Sclose(s);
        H5Tclose(vt);
    }
    if (dimids)
        ints_attr(d, "_Netcdf4Coordinates", dimids, (hsize_t)rank);
    str_attr(d, "units", "K");
    H5Dclose(d);
}

static void var_new(hid_t f, hid_t loc, const char *name, int rank,
                    const hsize_t *ext, const hsize_t *max,
                    const char *const *scales)
{
    var_new_ids(f, loc, name, rank, ext, max, scales, NULL);
}

/* ---- opening and looking ---- */

static dt_tree *open_tree(const char *path, int eager)
{
    dt_open_opts o = DT_OPEN_OPTS_INIT;
    dt_tree *t = NULL;

    o.eager = eager;
    o.align = DT_ALIGN_RELAXED;
    ck_assert_msg(dt_tree_open(&t, path, &o) == DT_OK, "open %s: %s", path,
                  dt_error_last()->message);
    return t;
}

static dt_node *node_at(dt_tree *t, const char *path)
{
    dt_node *n = NULL;

    ck_assert_msg(dt_node_lookup(&n, dt_tree_root(t), path) == DT_OK, "%s: %s", path,
                  dt_error_last()->message);
    return n;
}

/* "dim=size,dim=size" of a variable */
static void var_dims(char *buf, size_t size, dt_tree *t, const char *path)
{
    dt_var *v = NULL;
    size_t off = 0;

    ck_assert_msg(dt_var_lookup(&v, dt_tree_root(t), path) == DT_OK, "%s: %s", path,
                  dt_error_last()->message);
    buf[0] = '\0';
    for (size_t i = 0; i < dt_var_ndim(v); i++)
        off += (size_t)snprintf(buf + off, size - off, "%s%s=%llu", i ? "," : "",
                                dt_var_dim(v, i),
                                (unsigned long long)dt_var_shape(v)[i]);
}

/* ---- a group used alone reads no other ---- */

#define NGROUPS 200

static void write_wide(const char *path)
{
    hid_t f = file_new(path, 1);
    static const char *const scales[] = {"/time", "/lat", "/lon"};
    static const int ids[] = {0, 1, 2}, wrong[] = {0, 1, 7};
    const hsize_t ext[] = {2, 3, 4};

    /* B1's layout: dims at the root, many groups of variables on them */
    scale_new(f, "time", 2, 0, 1, 0);
    scale_new(f, "lat", 3, 0, 1, 1);
    scale_new(f, "lon", 4, 0, 1, 2);
    for (int g = 0; g < NGROUPS; g++) {
        char name[16];
        hid_t gid;

        snprintf(name, sizeof name, "g%04d", g);
        gid = group_new(f, name);
        for (int v = 0; v < 3; v++) {
            char vn[8];

            snprintf(vn, sizeof vn, "v%d", v);
            /* netCDF-C's ids on some, as h5netcdf leaves them off others */
            var_new_ids(f, gid, vn, 3, ext, NULL, scales, v ? ids : NULL);
        }
        H5Gclose(gid);
    }
    /* and one group whose variable has an axis no scale names */
    {
        hid_t gid = group_new(f, "odd");
        hsize_t five = 5;

        var_new(f, gid, "w", 1, &five, NULL, NULL);
        /* ids that name no dim: DIMENSION_LIST decides */
        var_new_ids(f, gid, "m", 3, ext, NULL, scales, wrong);
        H5Gclose(gid);
    }
    H5Fclose(f);
}

START_TEST(one_group_alone)
{
    char *path = path_in_dir("wide.nc"), dims[256];
    dt_tree *t;
    dt_node *root, *g;

    write_wide(path);
    t = open_tree(path, 0);
    /* opening reads the root's existence only */
    ck_assert_uint_eq(dt__h5_groups_scanned(t->backend), 0);
    g = node_at(t, "/g0123");
    ck_assert_uint_eq(dt_node_var_count(g), 3);
    var_dims(dims, sizeof dims, t, "/g0123/v2");
    ck_assert_str_eq(dims, "time=2,lat=3,lon=4");
    var_dims(dims, sizeof dims, t, "/g0123/v0");
    ck_assert_str_eq(dims, "time=2,lat=3,lon=4");
    /* the root and that group: no walk of the file, no other group built */
    ck_assert_uint_eq(dt__h5_groups_scanned(t->backend), 2);
    ck_assert_int_eq(dt__h5_walked(t->backend), 0);
    root = dt_tree_root(t);
    ck_assert_uint_eq(root->nchildren, NGROUPS + 1);
    for (size_t i = 0; i < root->nchildren; i++)
        ck_assert_int_eq(root->children[i]->loaded, root->children[i] == g);
    /* a phony dim is numbered after every real dim of the file: the one
     * group that has one makes the reader walk the file, once */
    var_dims(dims, sizeof dims, t, "/odd/w");
    ck_assert_str_eq(dims, "phony_dim_3=5");
    var_dims(dims, sizeof dims, t, "/odd/m");
    ck_assert_str_eq(dims, "time=2,lat=3,lon=4");
    ck_assert_int_eq(dt__h5_walked(t->backend), 1);
    ck_assert_uint_eq(dt__h5_groups_scanned(t->backend), NGROUPS + 2);
    ck_assert_int_eq(node_at(t, "/g0000")->loaded, 0);
    ck_assert_int_eq(dt_node_load_all(root), DT_OK);
    var_dims(dims, sizeof dims, t, "/g0000/v0");
    ck_assert_str_eq(dims, "time=2,lat=3,lon=4");
    dt_tree_free(t);
    free(path);
}
END_TEST

/* ---- unlimited sizes count every descendant ---- */

static void write_unlimited(const char *path, int nc)
{
    hid_t f = file_new(path, nc), g, h, k;
    static const char *const time[] = {"/time"};
    static const char *const time_y[] = {"/time", NULL};
    hsize_t unl[] = {H5S_UNLIMITED, 2}, e2 = 2, e6[] = {6, 2}, e8 = 8, e4 = 4;

    /* the scale says 3; root /v has 2; /g/v2 6 and /g/h/v3 8 records */
    scale_new(f, "time", 3, 1, 0, -1);
    var_new(f, f, "v", 1, &e2, unl, time);
    g = group_new(f, "g");
    var_new(f, g, "v2", 2, e6, unl, time_y);
    h = group_new(g, "h");
    var_new(f, h, "v3", 1, &e8, unl, time);
    k = group_new(f, "k");
    var_new(f, k, "z", 1, &e4, unl, NULL);
    H5Gclose(k);
    H5Gclose(h);
    H5Gclose(g);
    H5Fclose(f);
}

static const struct {
    const char *var, *want;
} unlimited_rows[] = {
    {"/time", "time=8"},
    {"/v", "time=8"},
    {"/g/v2", "time=8,phony_dim_1=2"},
    {"/g/h/v3", "time=8"},
    {"/k/z", "phony_dim_2=4"},
};

START_TEST(unlimited_sizes)
{
    char *path = path_in_dir(_i ? "unlim.h5" : "unlim.nc"), dims[256];
    dt_tree *t;
    dt_dim_info d;

    write_unlimited(path, _i == 0);
    t = open_tree(path, 0);
    /* final when first seen, before any descendant is loaded */
    ck_assert_int_eq(dt_node_dim_find(&d, dt_tree_root(t), "time"), DT_OK);
    ck_assert_int_eq(d.unlimited, 1);
    ck_assert_uint_eq(d.size, 8);
    var_dims(dims, sizeof dims, t, "/v");
    ck_assert_str_eq(dims, "time=8");
    if (_i == 0) {
        /* lazily read: /g and /k are not built yet */
        ck_assert_int_eq(node_at(t, "/g")->loaded, 0);
        ck_assert_int_eq(node_at(t, "/k")->loaded, 0);
    }
    ck_assert_int_eq(dt_node_load_all(dt_tree_root(t)), DT_OK);
    for (size_t i = 0; i < sizeof unlimited_rows / sizeof *unlimited_rows; i++) {
        var_dims(dims, sizeof dims, t, unlimited_rows[i].var);
        ck_assert_msg(strcmp(dims, unlimited_rows[i].want) == 0, "%s: %s, want %s",
                      unlimited_rows[i].var, dims, unlimited_rows[i].want);
    }
    ck_assert_int_eq(dt_node_dim_find(&d, dt_tree_root(t), "time"), DT_OK);
    ck_assert_uint_eq(d.size, 8);
    dt_tree_free(t);
    free(path);
}
END_TEST

/* ---- phony numbering ---- */

/* Scaled and unscaled axes over nested groups; the numbers are the whole
 * file's: real dims x and y first, then child groups before parents. */
static void write_mixed(const char *path, int nc)
{
    hid_t f = file_new(path, nc), a, b, c, d;
    static const char *const x_[] = {"/x", NULL};
    static const char *const y_[] = {"/a/b/y", NULL};
    hsize_t e35[] = {3, 5}, e7 = 7, e55[] = {5, 5}, e32[] = {3, 2}, e46[] = {4, 6},
            e229[] = {2, 2, 9}, e9 = 9;

    scale_new(f, "x", 3, 0, 0, -1);
    var_new(f, f, "u", 2, e35, NULL, x_);
    var_new(f, f, "w", 1, &e7, NULL, NULL);
    a = group_new(f, "a");
    var_new(f, a, "p", 2, e55, NULL, NULL);
    var_new(f, a, "q", 2, e32, NULL, x_);
    b = group_new(a, "b");
    scale_new(b, "y", 4, 0, 0, -1);
    var_new(f, b, "r", 2, e46, NULL, y_);
    c = group_new(f, "c");
    var_new(f, c, "s", 3, e229, NULL, NULL);
    d = group_new(c, "d");
    var_new(f, d, "t", 1, &e9, NULL, NULL);
    H5Gclose(d);
    H5Gclose(c);
    H5Gclose(b);
    H5Gclose(a);
    H5Fclose(f);
}

static const struct {
    const char *var, *want;
} mixed_rows[] = {
    {"/u", "x=3,phony_dim_10=5"},
    {"/w", "phony_dim_11=7"},
    {"/a/p", "phony_dim_3=5,phony_dim_4=5"},
    {"/a/q", "x=3,phony_dim_5=2"},
    {"/a/b/r", "y=4,phony_dim_2=6"},
    {"/c/s", "phony_dim_7=2,phony_dim_8=2,phony_dim_9=9"},
    {"/c/d/t", "phony_dim_6=9"},
};

/* How the groups are first used: each must give the same numbers. */
enum { DEEP_FIRST, IN_ORDER, EAGER, PLAIN_HDF5, NMODES };

START_TEST(phony_numbering)
{
    char *path = path_in_dir(_i == PLAIN_HDF5 ? "mixed.h5" : "mixed.nc"), dims[256];
    dt_tree *t;

    write_mixed(path, _i != PLAIN_HDF5);
    t = open_tree(path, _i == EAGER);
    if (_i == DEEP_FIRST) {
        /* a leaf group first: its numbers need the groups before it */
        var_dims(dims, sizeof dims, t, "/c/d/t");
        ck_assert_str_eq(dims, "phony_dim_6=9");
        ck_assert_int_eq(node_at(t, "/a")->loaded, 0);
    }
    for (size_t i = 0; i < sizeof mixed_rows / sizeof *mixed_rows; i++) {
        var_dims(dims, sizeof dims, t, mixed_rows[i].var);
        ck_assert_msg(strcmp(dims, mixed_rows[i].want) == 0, "%s: %s, want %s",
                      mixed_rows[i].var, dims, mixed_rows[i].want);
    }
    /* scales make a file without _NCProperties netCDF-4 too */
    ck_assert_int_eq(dt_tree_format(t), DT_FORMAT_NETCDF4);
    dt_tree_free(t);
    free(path);
}
END_TEST

static Suite *hdf5_lazy_suite(void)
{
    Suite *s = suite_create("hdf5_lazy");
    TCase *tc = tcase_create("lazy");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, one_group_alone);
    tcase_add_loop_test(tc, unlimited_sizes, 0, 2);
    tcase_add_loop_test(tc, phony_numbering, 0, NMODES);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(hdf5_lazy_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
