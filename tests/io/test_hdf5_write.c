/* test_hdf5_write.c: the netCDF-4 writer: round trips through libdtree's
 * reader, the netCDF layout (dimension ids, scales, placeholders), storage
 * options, streaming, name rules, and atomic replacement under injected
 * I/O and allocation failures. */
#include "config.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>
#include <zlib.h>

#include "io/io.h"
#include "testutil.h"
#include "util.h"

static char *tmp;

static void tmp_setup(void)
{
    tmp = tu_tmpdir("hdf5_write");
}

static void tmp_teardown(void)
{
    tu_rmtree(tmp);
    free(tmp);
}

static char *tpath(const char *name)
{
    char *p = dt__aprintf("%s/%s", tmp, name);

    ck_assert_ptr_nonnull(p);
    return p;
}

static dt_tree *reopen(const char *path)
{
    dt_tree *t = NULL;

    tu_assert_ok(dt_tree_open(&t, path, NULL));
    return t;
}

static void write_nc(const dt_tree *t, const char *path, const dt_write_opts *o)
{
    tu_assert_ok(dt_tree_write(t, path, DT_FORMAT_NETCDF4, o));
}

/* Bytes of a file, for "unchanged" checks. */
static char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    char *buf;
    long len;

    ck_assert_ptr_nonnull(fp);
    fseek(fp, 0, SEEK_END);
    len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    buf = malloc((size_t)len + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)len, fp), (size_t)len);
    fclose(fp);
    *n = (size_t)len;
    return buf;
}

/* Temporary files of writers ("NAME.tmp-PID-XXXXXX") left in the
 * directory, besides `keep` (one a test made on purpose, or ""). */
static int stray_files(const char *keep)
{
    DIR *d = opendir(tmp);
    struct dirent *e;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL) {
        if (strstr(e->d_name, ".tmp-") && strcmp(e->d_name, keep) != 0)
            n++;
    }
    closedir(d);
    return n;
}

/* The digests of every variable's data, in manifest order. */
static char *digests(const dt_tree *t)
{
    dt_manifest_opts mo = DT_MANIFEST_OPTS_INIT;
    char *text = NULL, *line, *out;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    dt__buf b;

    ck_assert_ptr_nonnull(fp);
    tu_assert_ok(dt_tree_manifest(t, fp, &mo));
    fclose(fp);
    dt__buf_init(&b);
    for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strstr(line, "sha256:"))
            dt__buf_printf(&b, "%s\n", line);
    }
    free(text);
    out = dt__buf_take(&b);
    ck_assert_ptr_nonnull(out);
    return out;
}

static void assert_same_data(const dt_tree *a, const dt_tree *b)
{
    char *da = digests(a), *db = digests(b);

    ck_assert_str_eq(da, db);
    free(da);
    free(db);
}

/* The manifest of a tree (digests of every variable's data), without the
 * lines that name the format. */
static char *manifest_text(const dt_tree *t)
{
    dt_manifest_opts mo = DT_MANIFEST_OPTS_INIT;
    char *text = NULL, *line, *out;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    dt__buf b;

    ck_assert_ptr_nonnull(fp);
    mo.file_name = "t.nc";
    mo.writer = "test";
    tu_assert_ok(dt_tree_manifest(t, fp, &mo));
    fclose(fp);
    dt__buf_init(&b);
    for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strstr(line, "kind:"))
            dt__buf_printf(&b, "%s\n", line);
    }
    free(text);
    out = dt__buf_take(&b);
    ck_assert_ptr_nonnull(out);
    return out;
}

/* A tree that exercises the layout: an unlimited coordinate, a dimension
 * without a variable, a child using its parent's dimensions, a variable
 * named like a dimension it does not use, strings, char, enum, attributes
 * of several types. */
static dt_tree *sample_tree(void)
{
    dt_tree *t = tu_tree("/g/h", NULL);
    dt_node *root = dt_tree_root(t), *g = tu_node(t, "/g"), *h = tu_node(t, "/g/h");
    double tv[3] = {0, 1, 2};
    dt_var *v = NULL;
    const char *dims2[2] = {"time", "x"};
    uint64_t shape2[2] = {3, 4};
    int32_t grid[12];
    const char *strs[3] = {"a", "", "caf\xc3\xa9"};
    const char *slist[2] = {"one", "two"};
    int16_t i16[2] = {-5, 7};
    int8_t ev[3] = {0, 2, 1};
    float fill = -1.0f;

    for (int i = 0; i < 12; i++)
        grid[i] = i * 10;
    tu_assert_ok(dt_node_add_dim(root, "time", 3, 1));
    tu_assert_ok(dt_node_add_dim(root, "x", 4, 0));
    tu_assert_ok(dt_node_add_dim(root, "nodata", 7, 0));
    /* variables along an unlimited dimension are chunked in netCDF-4: given
     * here, so that the round trip is exact */
    v = tu_var1(root, "time", "time", DT_FLOAT64, 3, DT_FLOAT64, tv);
    tu_assert_ok(dt_var_set_chunks(v, (const uint64_t[]){2}));
    tu_assert_ok(dt_attrs_set(dt_var_attrs(dt_node_var(root, 0)), "units", DT_CHAR, 4,
                              "days", 0));
    tu_assert_ok(dt_node_add_var(&v, root, "grid", DT_INT32, 2, dims2, shape2));
    tu_assert_ok(dt_var_set_data(v, DT_INT32, grid, 12));
    tu_assert_ok(dt_var_set_chunks(v, (const uint64_t[]){1, 4}));
    tu_assert_ok(dt_attrs_set(dt_node_attrs(root), "title", DT_CHAR, 5, "hello", 0));
    tu_assert_ok(dt_attrs_set(dt_node_attrs(root), "names", DT_STRING, 2, slist, 0));
    tu_assert_ok(dt_attrs_set(dt_node_attrs(root), "pair", DT_INT16, 2, i16, 0));

    tu_assert_ok(dt_node_add_dim(g, "n", 3, 0));
    tu_assert_ok(dt_node_add_var(&v, g, "s", DT_STRING, 1, (const char *[]){"n"}, NULL));
    tu_assert_ok(dt_var_set_data(v, DT_STRING, strs, 3));
    tu_assert_ok(dt_node_add_var(&v, g, "temp", DT_FLOAT32, 2, dims2, shape2));
    tu_assert_ok(dt_var_set_fill(v, &fill));
    tu_assert_ok(dt_var_set_chunks(v, (const uint64_t[]){1, 4}));
    tu_assert_ok(dt_attrs_set(dt_var_attrs(v), "_FillValue", DT_FLOAT32, 1, &fill, 0));
    /* named like g's dimension n without using it: _nc4_non_coord_n */
    tu_assert_ok(dt_node_add_var(&v, g, "n", DT_INT32, 1, (const char *[]){"x"}, NULL));
    tu_assert_ok(dt_node_add_var(&v, h, "cloud", DT_ENUM_OF(DT_INT8), 1,
                                 (const char *[]){"n"}, NULL));
    tu_assert_ok(dt_var_add_enum_member(v, "clear", 0));
    tu_assert_ok(dt_var_add_enum_member(v, "rain", 1));
    tu_assert_ok(dt_var_add_enum_member(v, "snow", 2));
    tu_assert_ok(dt_var_set_data(v, DT_ENUM_OF(DT_INT8), ev, 3));
    tu_assert_ok(dt_node_add_var(&v, h, "c", DT_CHAR, 1, (const char *[]){"x"}, NULL));
    tu_assert_ok(dt_var_set_data(v, DT_CHAR, "abcd", 4));
    return t;
}

START_TEST(round_trip)
{
    dt_tree *t = sample_tree(), *back;
    char *p = tpath("rt.nc"), *a, *b;

    write_nc(t, p, NULL);
    back = reopen(p);
    ck_assert_int_eq(dt_tree_format(back), DT_FORMAT_NETCDF4);
    a = tu_dump(dt_tree_root(t));
    b = tu_dump(dt_tree_root(back));
    /* lazy variables show no values in a dump: the structure here, the
     * data through the manifests' digests below */
    {
        char *a2 = dt__aprintf("%s", a), *q = a2;

        while ((q = strstr(q, " = ")) != NULL) {
            char *nl = strchr(q, '\n');

            memmove(q, nl, strlen(nl) + 1);
        }
        ck_assert_str_eq(b, a2);
        free(a2);
    }
    free(a);
    free(b);
    a = manifest_text(t);
    b = manifest_text(back);
    ck_assert_msg(strcmp(a, b) == 0, "the manifests differ");
    free(a);
    free(b);
    dt_tree_free(back);
    dt_tree_free(t);
    free(p);
}
END_TEST

/* What netCDF-C looks for, read with HDF5 itself. */
static int read_int_attr(hid_t obj, const char *name, int *vals, int n)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT), s;
    hssize_t np;

    if (a < 0)
        return -1;
    s = H5Aget_space(a);
    np = H5Sget_simple_extent_npoints(s);
    H5Sclose(s);
    if (np > n || H5Aread(a, H5T_NATIVE_INT, vals) < 0)
        np = -1;
    H5Aclose(a);
    return (int)np;
}

static char *read_str_attr(hid_t obj, const char *name)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT), t, m;
    char *s = NULL;

    if (a < 0)
        return NULL;
    t = H5Aget_type(a);
    m = H5Tcopy(t);
    s = calloc(1, H5Tget_size(t) + 1);
    H5Aread(a, m, s);
    H5Tclose(m);
    H5Tclose(t);
    H5Aclose(a);
    return s;
}

START_TEST(netcdf_layout)
{
    dt_tree *t = sample_tree();
    char *p = tpath("layout.nc"), *s;
    hid_t f, d;
    int ids[4], n;
    unsigned crt = 0;

    write_nc(t, p, NULL);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    s = read_str_attr(f, "_NCProperties");
    ck_assert_ptr_nonnull(s);
    ck_assert_ptr_nonnull(strstr(s, "version=2,libdtree=" DT_VERSION_STRING ",hdf5="));
    free(s);
    {
        hid_t g = H5Gopen2(f, "/g", H5P_DEFAULT), pl = H5Gget_create_plist(g);

        H5Pget_link_creation_order(pl, &crt);
        ck_assert_uint_eq(crt, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
        H5Pclose(pl);
        H5Gclose(g);
    }
    /* ids in pre-order: time 0, x 1, nodata 2, /g/n 3 */
    d = H5Dopen2(f, "/time", H5P_DEFAULT);
    ck_assert_int_eq(read_int_attr(d, "_Netcdf4Dimid", ids, 1), 1);
    ck_assert_int_eq(ids[0], 0);
    s = read_str_attr(d, "CLASS");
    ck_assert_str_eq(s, "DIMENSION_SCALE");
    free(s);
    H5Dclose(d);
    d = H5Dopen2(f, "/nodata", H5P_DEFAULT);
    ck_assert_int_eq(read_int_attr(d, "_Netcdf4Dimid", ids, 1), 1);
    ck_assert_int_eq(ids[0], 2);
    s = read_str_attr(d, "NAME");
    ck_assert_str_eq(s, "This is a netCDF dimension but not a netCDF variable.         7");
    free(s);
    H5Dclose(d);
    d = H5Dopen2(f, "/g/temp", H5P_DEFAULT);
    n = read_int_attr(d, "_Netcdf4Coordinates", ids, 4);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(ids[0], 0);
    ck_assert_int_eq(ids[1], 1);
    ck_assert_int_eq(H5Aexists(d, "DIMENSION_LIST"), 1);
    H5Dclose(d);
    ck_assert_int_eq(H5Lexists(f, "/g/_nc4_non_coord_n", H5P_DEFAULT), 1);
    ck_assert_int_eq(H5Lexists(f, "/g/h/cloud_t", H5P_DEFAULT), 1);
    H5Fclose(f);
    dt_tree_free(t);
    free(p);
}
END_TEST

static const struct {
    const char *what, *name, *needle;
} bad_names[] = {
    {"group", "+g", "group name \"+g\" cannot be written to netCDF-4"},
    {"variable", "-v", "variable name \"-v\""},
    {"dimension", "+d", "dimension name \"+d\""},
    {"attribute", "$a", "attribute name \"$a\""},
    {"long", NULL, "netCDF-C reads back names of at most 255 bytes"},
};

START_TEST(bad_name_row)
{
    dt_tree *t = tu_tree(NULL);
    dt_node *root = dt_tree_root(t), *g = NULL;
    char *p = tpath("bad.nc"), longname[257];
    dt_var *v = NULL;
    int one = 1;

    memset(longname, 'a', 256);
    longname[256] = '\0';
    if (strcmp(bad_names[_i].what, "group") == 0)
        tu_assert_ok(dt_node_create(&g, root, bad_names[_i].name, 0));
    else if (strcmp(bad_names[_i].what, "variable") == 0)
        tu_assert_ok(dt_node_add_var(&v, root, bad_names[_i].name, DT_INT32, 0, NULL, NULL));
    else if (strcmp(bad_names[_i].what, "dimension") == 0)
        tu_assert_ok(dt_node_add_dim(root, bad_names[_i].name, 2, 0));
    else if (strcmp(bad_names[_i].what, "attribute") == 0)
        tu_assert_ok(dt_attrs_set(dt_node_attrs(root), bad_names[_i].name, DT_INT32, 1,
                                  &one, 0));
    else
        tu_assert_ok(dt_node_add_var(&v, root, longname, DT_INT32, 0, NULL, NULL));
    tu_assert_rc(dt_tree_write(t, p, DT_FORMAT_NETCDF4, NULL), DT_EBADNAME,
                 bad_names[_i].needle);
    ck_assert_int_eq(access(p, F_OK), -1);
    ck_assert_int_eq(stray_files(""), 0);
    dt_tree_free(t);
    free(p);
}
END_TEST

/* netCDF-C stores names in NFC: so do we, and names that become equal are
 * refused. "e" + U+0301 is "\xc3\xa9" (U+00E9) in NFC. */
START_TEST(nfc_names)
{
    dt_tree *t = tu_tree("/gru\xcc\x88n", NULL), *back;
    dt_node *root = dt_tree_root(t);
    char *p = tpath("nfc.nc");
    dt_var *v = NULL;
    dt_dim_info di;
    int one = 1;

    /* a coordinate whose dimension and variable are both decomposed */
    tu_var1(root, "caf\x65\xcc\x81", "caf\x65\xcc\x81", DT_INT32, 1, DT_INT32, &one);
    tu_assert_ok(dt_attrs_set(dt_node_attrs(root), "\x65\xcc\x81t\x65\xcc\x81", DT_INT32,
                              1, &one, 0));
    write_nc(t, p, NULL);
    back = reopen(p);
    tu_assert_ok(dt_node_dim_find(&di, dt_tree_root(back), "caf\xc3\xa9"));
    ck_assert_int_eq(dt_var_is_index(tu_var(back, "/caf\xc3\xa9")), 1);
    ck_assert_ptr_nonnull(tu_node(back, "/gr\xc3\xbcn"));
    ck_assert_ptr_nonnull(dt_attrs_find(dt_node_attrs(dt_tree_root(back)), "\xc3\xa9t\xc3\xa9"));
    dt_tree_free(back);
    /* the composed spelling beside the decomposed one: one name */
    tu_assert_ok(dt_node_add_var(&v, root, "caf\xc3\xa9", DT_INT8, 0, NULL, NULL));
    tu_assert_rc(dt_tree_write(t, p, DT_FORMAT_NETCDF4, &(dt_write_opts){.version = 1,
                                                                        .force = 1}),
                 DT_ENAMECLASH, "the same name once normalised (NFC)");
    dt_tree_free(t);
    free(p);
}
END_TEST

START_TEST(unsupported_types)
{
    dt_tree *t = tu_tree(NULL);
    dt_var *v = NULL;
    char *p = tpath("u.nc");
    dt_write_opts o = DT_WRITE_OPTS_INIT;
    dt_tree *back;

    tu_assert_ok(dt_node_add_var(&v, dt_tree_root(t), "u", DT_UNICODE_N(4), 0, NULL, NULL));
    tu_assert_ok(dt_node_add_var(&v, dt_tree_root(t), "ok", DT_INT8, 0, NULL, NULL));
    tu_assert_rc(dt_tree_write(t, p, DT_FORMAT_NETCDF4, NULL), DT_ETYPE,
                 "/u: variables of type unicode4 cannot be written to netCDF-4");
    o.skip_unsupported = 1;
    write_nc(t, p, &o);
    back = reopen(p);
    ck_assert_uint_eq(dt_node_var_count(dt_tree_root(back)), 1);
    dt_tree_free(back);
    dt_tree_free(t);
    free(p);
}
END_TEST

/* Atomic replacement: an existing target needs force, and is replaced
 * whole. */
START_TEST(existing_target)
{
    dt_tree *t = sample_tree();
    char *p = tpath("ex.nc"), *before, *after;
    size_t nb, na;
    dt_write_opts o = DT_WRITE_OPTS_INIT;
    FILE *fp = fopen(p, "w");

    fputs("old content", fp);
    fclose(fp);
    before = slurp(p, &nb);
    tu_assert_rc(dt_tree_write(t, p, DT_FORMAT_NETCDF4, NULL), DT_EEXIST, "use force");
    after = slurp(p, &na);
    ck_assert_uint_eq(na, nb);
    ck_assert_int_eq(memcmp(before, after, nb), 0);
    free(after);
    ck_assert_int_eq(stray_files(""), 0);
    o.force = 1;
    write_nc(t, p, &o);
    dt_tree_free(reopen(p));
    ck_assert_int_eq(stray_files(""), 0);
    free(before);
    dt_tree_free(t);
    free(p);
}
END_TEST

/* A temporary file of a writer that was killed (its pid is gone) is
 * removed by the next write of the same target; a live writer's is not. */
START_TEST(stale_temporaries)
{
    dt_tree *t = sample_tree();
    char *p = tpath("st.nc"), *dead = tpath("st.nc.tmp-999999999-abcdef"),
         *live = NULL;
    dt_write_opts o = DT_WRITE_OPTS_INIT;
    FILE *fp;

    live = dt__aprintf("%s/st.nc.tmp-%ld-ghijkl", tmp, (long)getppid());
    fp = fopen(dead, "w");
    fclose(fp);
    fp = fopen(live, "w");
    fclose(fp);
    o.force = 1;
    write_nc(t, p, &o);
    ck_assert_int_eq(access(dead, F_OK), -1);
    ck_assert_int_eq(access(live, F_OK), 0);
    unlink(live);
    free(live);
    free(dead);
    dt_tree_free(t);
    free(p);
}
END_TEST

/* Fail the Nth I/O step (data write, metadata write, fsync, rename) of a
 * forced replacement: every failure is DT_EIO, the old target's bytes are
 * unchanged and no temporary file is left; then N grows until the write
 * goes through. */
START_TEST(io_failures)
{
    dt_tree *t = sample_tree();
    char *p = tpath("io.nc"), *old, *now;
    size_t nold, nnow;
    dt_write_opts o = DT_WRITE_OPTS_INIT;
    FILE *fp = fopen(p, "w");
    long n;
    int rc = DT_EIO;

    fputs("the previous version of io.nc", fp);
    fclose(fp);
    old = slurp(p, &nold);
    o.force = 1;
    for (n = 0; n < 10000 && rc != DT_OK; n++) {
        dt__io_fail_after(n);
        rc = dt_tree_write(t, p, DT_FORMAT_NETCDF4, &o);
        dt__io_fail_after(-1);
        if (rc == DT_OK)
            break;
        ck_assert_msg(rc == DT_EIO, "step %ld: %s", n, dt_error_last()->message);
        tu_assert_msg_has("(injected)");
        tu_assert_msg_has("io.nc");
        now = slurp(p, &nnow);
        ck_assert_uint_eq(nnow, nold);
        ck_assert_int_eq(memcmp(now, old, nold), 0);
        free(now);
        ck_assert_msg(stray_files("") == 0, "step %ld left a temporary file", n);
    }
    ck_assert_int_eq(rc, DT_OK);
    /* the sample tree has this many steps: fails if steps are lost */
    ck_assert_int_ge(n, 40);
    if (getenv("DT_TEST_VERBOSE"))
        fprintf(stderr, "io_failures: %ld injected failures\n", n);
    dt_tree_free(reopen(p));
    free(old);
    dt_tree_free(t);
    free(p);
}
END_TEST

START_TEST(alloc_failures)
{
    dt_tree *t = sample_tree();
    char *p = tpath("al.nc");
    dt_write_opts o = DT_WRITE_OPTS_INIT;
    int rc = DT_ENOMEM;
    long n;

    o.force = 1;
    /* until a run makes fewer allocations than the countdown: a failure
     * that is handled (and the write goes on) is fine too */
    for (n = 0; n < 100000; n++) {
        long left;

        dt__alloc_fail_after(n);
        rc = dt_tree_write(t, p, DT_FORMAT_NETCDF4, &o);
        left = dt__alloc_countdown();
        dt__alloc_fail_after(-1);
        ck_assert_msg(rc == DT_OK || rc == DT_ENOMEM, "allocation %ld: %s", n,
                      dt_error_last()->message);
        if (rc != DT_OK)
            ck_assert_int_eq(stray_files(""), 0);
        if (left >= 0)
            break;
    }
    ck_assert_int_eq(rc, DT_OK);
    ck_assert_int_ge(n, 20);
    if (getenv("DT_TEST_VERBOSE"))
        fprintf(stderr, "alloc_failures: %ld injected failures\n", n);
    dt_tree_free(reopen(p));
    dt_tree_free(t);
    free(p);
}
END_TEST

/* A lazy source that makes values from their index, records the largest
 * request and whether every request starts on the chunk grid, and can be
 * told to fail. */
typedef struct gen {
    uint64_t chunk[2];
    uint64_t max_bytes;
    int misaligned;
    long fail_at;          /* fail the fail_at-th read (-1: never) */
    long reads;
} gen;

static int gen_read(void *ctx, const dt_var *var, const uint64_t *start,
                    const uint64_t *count, const uint64_t *stride, void *buf)
{
    gen *g = ctx;
    int32_t *out = buf;
    uint64_t ncols = dt_var_shape(var)[1], n = count[0] * count[1] * 4;
    size_t k = 0;

    (void)stride;
    if (g->reads++ == g->fail_at)
        return dt__fail(DT_EIO, "the source's disk is gone (test)");
    if (n > g->max_bytes)
        g->max_bytes = n;
    if (start[0] % g->chunk[0] || start[1] % g->chunk[1])
        g->misaligned = 1;
    for (uint64_t i = 0; i < count[0]; i++)
        for (uint64_t j = 0; j < count[1]; j++)
            out[k++] = (int32_t)((start[0] + i) * ncols + start[1] + j);
    return DT_OK;
}

static void gen_free(void *ctx)
{
    (void)ctx;
}

static const dt_source_ops gen_ops = {1, gen_read, NULL, gen_free};

static dt_tree *gen_tree(gen *g, uint64_t rows, uint64_t cols)
{
    dt_tree *t = tu_tree(NULL);
    dt_var *v = NULL;
    const char *dims[2] = {"row", "col"};
    uint64_t shape[2] = {rows, cols};

    tu_assert_ok(dt_node_add_var(&v, dt_tree_root(t), "big", DT_INT32, 2, dims, shape));
    tu_assert_ok(dt_var_set_chunks(v, g->chunk));
    tu_assert_ok(dt_var_set_source(v, &gen_ops, g));
    return t;
}

/* 4000 x 3000 int32 (48 MB) in chunks of 100 x 700: reads are aligned to
 * the chunks and no block is over 32 MiB; values survive. */
START_TEST(streaming_bounded)
{
    gen g = {{100, 700}, 0, 0, -1, 0};
    dt_tree *t = gen_tree(&g, 4000, 3000), *back;
    char *p = tpath("big.nc");
    int32_t vals[3];
    uint64_t st[2] = {3999, 2997}, ct[2] = {1, 3};
    dt_slab slab = {2, st, ct, NULL};

    write_nc(t, p, NULL);
    ck_assert_int_eq(g.misaligned, 0);
    ck_assert_uint_le(g.max_bytes, (uint64_t)32 << 20);
    ck_assert_uint_gt(g.reads, 1);
    back = reopen(p);
    tu_assert_ok(dt_var_read(tu_var(back, "/big"), &slab, DT_INT32, vals, sizeof vals));
    ck_assert_int_eq(vals[2], 3999 * 3000 + 2999);
    ck_assert_uint_eq(dt_var_chunks(tu_var(back, "/big"))[1], 700);
    dt_tree_free(back);
    dt_tree_free(t);
    free(p);
}
END_TEST

/* A read error in the source part way: the old target stays as it was and
 * no temporary file is left; the error names the variable. */
START_TEST(source_read_error)
{
    gen g = {{100, 700}, 0, 0, 1, 0};
    dt_tree *t = gen_tree(&g, 4000, 3000);
    char *p = tpath("re.nc"), *old, *now;
    size_t nold, nnow;
    dt_write_opts o = DT_WRITE_OPTS_INIT;
    FILE *fp = fopen(p, "w");

    fputs("keep me", fp);
    fclose(fp);
    old = slurp(p, &nold);
    o.force = 1;
    tu_assert_rc(dt_tree_write(t, p, DT_FORMAT_NETCDF4, &o), DT_EIO, "the source's disk");
    tu_assert_msg_has("/big");
    now = slurp(p, &nnow);
    ck_assert_uint_eq(nnow, nold);
    ck_assert_int_eq(memcmp(now, old, nold), 0);
    ck_assert_int_eq(stray_files(""), 0);
    free(old);
    free(now);
    dt_tree_free(t);
    free(p);
}
END_TEST

static int has_codec(const dt_var *v, const char *name)
{
    for (size_t i = 0; i < dt_var_codec_count(v); i++) {
        if (strcmp(dt_var_codec(v, i), name) == 0)
            return 1;
    }
    return 0;
}

START_TEST(storage_options)
{
    gen g = {{100, 700}, 0, 0, -1, 0};
    dt_tree *t = gen_tree(&g, 300, 1400), *back, *again;
    char *p = tpath("opt.nc"), *q = tpath("opt2.nc"), *r = tpath("opt3.nc");
    dt_write_opts o = DT_WRITE_OPTS_INIT;
    const char *cd[1] = {"row"};
    uint64_t cl[1] = {30};
    int32_t last;
    uint64_t st[2] = {299, 1399};
    dt_slab one = {2, st, (const uint64_t[]){1, 1}, NULL};
    const dt_var *v;

    o.deflate = 1;
    o.shuffle = 1;
    o.fletcher32 = 1;
    o.nchunk_dims = 1;
    o.chunk_dims = cd;
    o.chunk_lens = cl;
    write_nc(t, p, &o);
    back = reopen(p);
    v = tu_var(back, "/big");
    ck_assert_uint_eq(dt_var_codec_count(v), 3);
    ck_assert_str_eq(dt_var_codec(v, 0), "fletcher32");
    ck_assert_str_eq(dt_var_codec(v, 1), "shuffle");
    ck_assert_str_eq(dt_var_codec(v, 2), "zlib");
    ck_assert_uint_eq(dt_var_chunks(v)[0], 30);
    ck_assert_uint_eq(dt_var_chunks(v)[1], 700);

    /* zstd through the registered encoder, read back by the decoder */
    o = (dt_write_opts)DT_WRITE_OPTS_INIT;
    o.zstd = 5;
    o.deflate = -1;
    write_nc(back, q, &o);
    again = reopen(q);
    v = tu_var(again, "/big");
    ck_assert(has_codec(v, "zstd"));
    ck_assert(!has_codec(v, "zlib"));
    ck_assert(has_codec(v, "shuffle"));
    tu_assert_ok(dt_var_read(v, &one, DT_INT32, &last, sizeof last));
    ck_assert_int_eq(last, 299 * 1400 + 1399);
    dt_tree_free(again);

    /* small variables contiguous and unfiltered */
    o = (dt_write_opts)DT_WRITE_OPTS_INIT;
    o.contiguous_max = (uint64_t)16 << 20;
    write_nc(back, r, &o);
    again = reopen(r);
    v = tu_var(again, "/big");
    ck_assert_ptr_null(dt_var_chunks(v));
    ck_assert_uint_eq(dt_var_codec_count(v), 0);
    tu_assert_ok(dt_var_read(v, &one, DT_INT32, &last, sizeof last));
    ck_assert_int_eq(last, 299 * 1400 + 1399);
    dt_tree_free(again);

    /* both compressors at once is refused */
    o = (dt_write_opts)DT_WRITE_OPTS_INIT;
    o.zstd = 3;
    o.deflate = 3;
    o.force = 1;
    tu_assert_rc(dt_tree_write(back, r, DT_FORMAT_NETCDF4, &o), DT_EINVAL, "name one");
    dt_tree_free(back);
    dt_tree_free(t);
    free(p);
    free(q);
    free(r);
}
END_TEST

/* The decoded size of the first stored chunk of a deflated (last filter)
 * dataset, read raw: what another reader's deflate filter gets. */
static size_t first_chunk_bytes(const char *path, const char *dset)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), d;
    hsize_t off[2] = {0, 0}, size = 0;
    uint32_t mask = 0;
    unsigned char *raw, *dec;
    uLongf dl = 1 << 22;

    ck_assert_int_ge(f, 0);
    d = H5Dopen2(f, dset, H5P_DEFAULT);
    ck_assert_int_ge(H5Dget_chunk_storage_size(d, off, &size), 0);
    raw = malloc(size);
    dec = malloc(dl);
    ck_assert_int_ge(H5Dread_chunk(d, H5P_DEFAULT, off, &mask, raw), 0);
    ck_assert_int_eq(uncompress(dec, &dl, raw, (uLong)size), Z_OK);
    free(raw);
    free(dec);
    H5Dclose(d);
    H5Fclose(f);
    return (size_t)dl;
}

/* Variables with different chunk sizes in one file, the larger first:
 * the workers' buffers are reused, each chunk has its own size. Both the
 * encoding of in-memory data and the transcoding of stored chunks. */
START_TEST(mixed_chunks)
{
    gen g1 = {{100, 700}, 0, 0, -1, 0}, g2 = {{3, 5}, 0, 0, -1, 0};
    dt_tree *t = gen_tree(&g1, 250, 1500), *a, *b;
    dt_var *v = NULL;
    const char *dims[2] = {"r2", "c2"};
    uint64_t shape[2] = {10, 11};
    char *p = tpath("mix1.nc"), *q = tpath("mix2.nc");
    dt_write_opts o = DT_WRITE_OPTS_INIT;

    tu_assert_ok(dt_node_add_var(&v, dt_tree_root(t), "small", DT_INT32, 2, dims, shape));
    tu_assert_ok(dt_var_set_chunks(v, g2.chunk));
    tu_assert_ok(dt_var_set_source(v, &gen_ops, &g2));
    o.deflate = 3;
    o.shuffle = 1;
    write_nc(t, p, &o);
    ck_assert_uint_eq(first_chunk_bytes(p, "/small"), 3 * 5 * 4);
    a = reopen(p);
    assert_same_data(t, a);
    o.deflate = 6;
    o.shuffle = -1;
    write_nc(a, q, &o);
    b = reopen(q);
    assert_same_data(t, b);
    ck_assert(!has_codec(tu_var(b, "/small"), "shuffle"));
    dt_tree_free(b);
    dt_tree_free(a);
    dt_tree_free(t);
    free(p);
    free(q);
}
END_TEST

/* netCDF-C's default chunks: a 1-D unlimited float64 gets 512. */
START_TEST(default_chunks)
{
    dt_tree *t = tu_tree(NULL), *back;
    char *p = tpath("dc.nc");
    double v[2] = {1, 2};

    tu_assert_ok(dt_node_add_dim(dt_tree_root(t), "time", 2, 1));
    tu_var1(dt_tree_root(t), "time", "time", DT_FLOAT64, 2, DT_FLOAT64, v);
    write_nc(t, p, NULL);
    back = reopen(p);
    ck_assert_ptr_nonnull(dt_var_chunks(tu_var(back, "/time")));
    ck_assert_uint_eq(dt_var_chunks(tu_var(back, "/time"))[0], 512);
    dt_tree_free(back);
    dt_tree_free(t);
    free(p);
}
END_TEST

/* Stored chunks are copied as they are; --recompress gives the same data. */
START_TEST(raw_copy)
{
    gen g = {{100, 700}, 0, 0, -1, 0};
    dt_tree *t = gen_tree(&g, 250, 1500), *a, *b;
    char *p = tpath("raw1.nc"), *q = tpath("raw2.nc"), *r = tpath("raw3.nc"), *da, *db;
    dt_write_opts o = DT_WRITE_OPTS_INIT;

    /* edge chunks on both axes: encoded by the workers, padded */
    o.deflate = 1;
    o.shuffle = 1;
    write_nc(t, p, &o);
    a = reopen(p);
    assert_same_data(t, a);
    write_nc(a, q, NULL);
    o = (dt_write_opts)DT_WRITE_OPTS_INIT;
    o.recompress = 1;
    write_nc(a, r, &o);
    b = reopen(q);
    da = tu_dump(dt_tree_root(a));
    db = tu_dump(dt_tree_root(b));
    ck_assert_str_eq(da, db);
    free(db);
    dt_tree_free(b);
    b = reopen(r);
    db = tu_dump(dt_tree_root(b));
    ck_assert_str_eq(da, db);
    ck_assert(has_codec(tu_var(b, "/big"), "zlib"));
    free(db);
    dt_tree_free(b);
    /* decoded and encoded again by the workers: shuffle dropped, then
     * zstd over the bytes still shuffled */
    o = (dt_write_opts)DT_WRITE_OPTS_INIT;
    o.force = 1;
    o.shuffle = -1;
    write_nc(a, r, &o);
    b = reopen(r);
    ck_assert(!has_codec(tu_var(b, "/big"), "shuffle"));
    db = tu_dump(dt_tree_root(b));
    ck_assert_str_eq(da, db);
    assert_same_data(a, b);
    free(db);
    dt_tree_free(b);
    o.shuffle = 0;
    o.zstd = 4;
    write_nc(a, r, &o);
    b = reopen(r);
    ck_assert(has_codec(tu_var(b, "/big"), "shuffle"));
    ck_assert(has_codec(tu_var(b, "/big"), "zstd"));
    assert_same_data(a, b);
    free(da);
    dt_tree_free(b);
    dt_tree_free(a);
    dt_tree_free(t);
    free(p);
    free(q);
    free(r);
}
END_TEST

/* A subtree written alone: the dimensions and index coordinates it
 * inherits are declared at the new root. */
START_TEST(subtree)
{
    dt_tree *t = sample_tree(), *back;
    char *p = tpath("sub.nc");
    dt_write_opts o = DT_WRITE_OPTS_INIT;
    dt_dim_info di;

    o.group = "/g";
    write_nc(t, p, &o);
    back = reopen(p);
    tu_assert_ok(dt_node_dim_find(&di, dt_tree_root(back), "time"));
    ck_assert_uint_eq(di.size, 3);
    ck_assert_int_eq(di.unlimited, 1);
    ck_assert_int_eq(dt_var_is_index(tu_var(back, "/time")), 1);
    ck_assert_ptr_nonnull(tu_var(back, "/temp"));
    ck_assert_ptr_nonnull(tu_var(back, "/h/cloud"));
    dt_tree_free(back);
    o.group = "/nope";
    tu_assert_rc(dt_tree_write(t, tmp, DT_FORMAT_NETCDF4, &o), DT_ENOTFOUND, "nope");
    dt_tree_free(t);
    free(p);
}
END_TEST

static Suite *hdf5_write_suite(void)
{
    Suite *s = suite_create("hdf5_write");
    TCase *tc = tcase_create("layout");

    tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, netcdf_layout);
    tcase_add_loop_test(tc, bad_name_row, 0, TU_NELEMS(bad_names));
    tcase_add_test(tc, unsupported_types);
    tcase_add_test(tc, nfc_names);
    tcase_add_test(tc, default_chunks);
    tcase_add_test(tc, subtree);
    suite_add_tcase(s, tc);

    tc = tcase_create("data");
    tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, streaming_bounded);
    tcase_add_test(tc, storage_options);
    tcase_add_test(tc, raw_copy);
    tcase_add_test(tc, mixed_chunks);
    suite_add_tcase(s, tc);

    tc = tcase_create("atomic");
    tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, existing_target);
    tcase_add_test(tc, stale_temporaries);
    tcase_add_test(tc, io_failures);
    tcase_add_test(tc, alloc_failures);
    tcase_add_test(tc, source_read_error);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(hdf5_write_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
