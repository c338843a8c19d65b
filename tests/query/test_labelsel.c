/* test_labelsel.c: isel and sel on a tree: positions, labels, dates of CF
 * time coordinates, nearest, inherited coordinates, the query filter, the
 * new tree's shape and values, and that data stays lazy until read. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dtree.h"
#include "testutil.h"
#include "util.h"

/* A source that counts its reads and serves value = 100 * index. */
typedef struct counter {
    int reads;
} counter;

static int count_read(void *ctx, const dt_var *var, const uint64_t *start,
                      const uint64_t *count, const uint64_t *stride, void *buf)
{
    counter *c = ctx;
    double *out = buf;

    (void)var;
    c->reads++;
    for (uint64_t i = 0; i < count[0]; i++)
        out[i] = 100.0 * (double)(start[0] + i * stride[0]);
    return DT_OK;
}

static void no_free(void *ctx)
{
    (void)ctx;
}

static const dt_source_ops count_ops = {1, count_read, NULL, no_free};

/* /           time(time) = 0..5, days since 2000-01-01
 * /ocean      lat(lat) = -10 0 10 20; sst(time) = 10..15; temp(time, lat) = 0..23;
 *             lazy(time) behind the counting source
 * /ocean/deep desc(desc) = 30 20 10; v(desc)
 * /text       station(station) = "a" "b" "c"; n(station) = 1 2 3
 * /bumpy      x(x) = 1 3 2; w(x); nocoord(y) */
static dt_tree *make_tree(counter *cnt)
{
    dt_tree *t = tu_tree("/ocean/deep", "/text", "/bumpy", NULL);
    const double times[6] = {0, 1, 2, 3, 4, 5}, lats[4] = {-10, 0, 10, 20};
    const double sst[6] = {10, 11, 12, 13, 14, 15}, desc[3] = {30, 20, 10};
    const double bumpy[3] = {1, 3, 2};
    const int64_t n[3] = {1, 2, 3};
    const char *d_tl[] = {"time", "lat"}, *d_t[] = {"time"}, *d_y[] = {"y"};
    const uint64_t s_tl[] = {6, 4}, s_y[] = {5};
    const char *stations[3] = {"a", "b", "c"};
    double temp[24];
    dt_node *ocean = tu_node(t, "/ocean"), *deep = tu_node(t, "/ocean/deep");
    dt_node *text = tu_node(t, "/text"), *b = tu_node(t, "/bumpy");
    dt_var *v;

    for (int i = 0; i < 24; i++)
        temp[i] = i;
    v = tu_var_f64(dt_tree_root(t), "time", "time", 6, times);
    tu_assert_ok(dt_attrs_set(dt_var_attrs(v), "units", DT_CHAR, 21, "days since 2000-01-01", 0));
    tu_assert_ok(dt_attrs_set(dt_var_attrs(v), "calendar", DT_STRING, 1,
                              (const char *[]){"standard"}, 0));
    tu_var_f64(ocean, "lat", "lat", 4, lats);
    v = tu_var_f64(ocean, "sst", "time", 6, sst);
    tu_assert_ok(dt_attrs_set(dt_var_attrs(v), "units", DT_STRING, 1, (const char *[]){"K"}, 0));
    tu_assert_ok(dt_node_add_var(&v, ocean, "temp", DT_FLOAT64, 2, d_tl, s_tl));
    tu_assert_ok(dt_var_set_data(v, DT_FLOAT64, temp, 24));
    tu_assert_ok(dt_node_add_var(&v, ocean, "lazy", DT_FLOAT64, 1, d_t, NULL));
    tu_assert_ok(dt_var_set_source(v, &count_ops, cnt));
    tu_var_f64(deep, "desc", "desc", 3, desc);
    tu_var_f64(deep, "v", "desc", 3, desc);
    v = tu_var1(text, "station", "station", DT_STRING, 3, DT_STRING, stations);
    tu_var_i64(text, "n", "station", 3, n);
    tu_var_f64(b, "x", "x", 3, bumpy);
    tu_var_f64(b, "w", "x", 3, bumpy);
    tu_assert_ok(dt_node_add_var(&v, b, "nocoord", DT_INT32, 1, d_y, s_y));
    return t;
}

/* Select with the given indexers ("time=1:3", NULL-terminated; a leading
 * '~' makes it a label) from path, with method and query. */
static int run_select(dt_tree **out, const dt_tree *t, const char *path, dt_sel_method method,
                      const char *query, const char *const *args)
{
    dt_indexers *ix = NULL;
    dt_select_opts o = DT_SELECT_OPTS_INIT;
    dt_query *q = NULL;
    int rc;

    tu_assert_ok(dt_indexers_new(&ix));
    for (size_t i = 0; args && args[i]; i++) {
        bool label = args[i][0] == '~';

        tu_assert_ok(dt_indexers_add(ix, args[i] + label, label ? DT_BY_LABEL : DT_BY_POSITION));
    }
    if (query)
        tu_assert_ok(dt_query_compile(&q, query, NULL));
    o.method = method;
    o.query = q;
    rc = dt_tree_select(out, tu_node(t, path), ix, &o);
    dt_query_free(q);
    dt_indexers_free(ix);
    return rc;
}

/* "shape: values" of a variable of the new tree: "[2]: 11 12". */
static char *describe(const dt_tree *t, const char *path)
{
    dt_var *v = tu_var(t, path);
    uint64_t n = 0;
    double *vals;
    dt__buf b;

    tu_assert_ok(dt_var_nelems(&n, v));
    vals = calloc(n ? n : 1, sizeof *vals);
    ck_assert_ptr_nonnull(vals);
    tu_assert_ok(dt_var_read(v, NULL, DT_FLOAT64, vals, n * sizeof *vals));
    dt__buf_init(&b);
    dt__buf_putc(&b, '[');
    for (size_t i = 0; i < dt_var_ndim(v); i++)
        dt__buf_printf(&b, "%s%llu", i ? ", " : "", (unsigned long long)dt_var_shape(v)[i]);
    dt__buf_puts(&b, "]:");
    for (uint64_t i = 0; i < n; i++)
        dt__buf_printf(&b, " %g", vals[i]);
    free(vals);
    return dt__buf_take(&b);
}

static const struct {
    const char *args[3];
    dt_sel_method method;
    const char *var, *want;       /* a variable of the new tree and its content */
    const char *var2, *want2;
} sel_rows[] = {
    /* positions */
    {{"time=1:3"}, DT_SEL_EXACT, "/ocean/sst", "[2]: 11 12", "/time", "[2]: 1 2"},
    {{"time=-1"}, DT_SEL_EXACT, "/ocean/sst", "[]: 15", "/time", "[]: 5"},
    {{"time=::2"}, DT_SEL_EXACT, "/ocean/sst", "[3]: 10 12 14", "/time", "[3]: 0 2 4"},
    {{"time=4:100"}, DT_SEL_EXACT, "/ocean/sst", "[2]: 14 15", NULL, NULL},
    {{"time=5:1"}, DT_SEL_EXACT, "/ocean/sst", "[0]:", NULL, NULL},
    {{"time=1:3", "lat=-1"}, DT_SEL_EXACT, "/ocean/temp", "[2]: 7 11", "/ocean/lat", "[]: 20"},
    {{"lat=1:3", "time=0"}, DT_SEL_EXACT, "/ocean/temp", "[2]: 1 2", "/ocean/sst", "[]: 10"},
    /* labels of a CF time coordinate, inherited by /ocean */
    {{"~time=2000-01-03"}, DT_SEL_EXACT, "/ocean/sst", "[]: 12", "/time", "[]: 2"},
    {{"~time=2000-01-02:2000-01-04"}, DT_SEL_EXACT, "/ocean/sst", "[3]: 11 12 13",
     "/ocean/temp", "[3, 4]: 4 5 6 7 8 9 10 11 12 13 14 15"},
    {{"~time=2000-01-02T12:00:2000-01-04T00:00"}, DT_SEL_EXACT, "/ocean/sst", "[2]: 12 13",
     NULL, NULL},
    {{"~time=:2000-01-02"}, DT_SEL_EXACT, "/ocean/sst", "[2]: 10 11", NULL, NULL},
    {{"~time=2000-01-05:"}, DT_SEL_EXACT, "/ocean/sst", "[2]: 14 15", NULL, NULL},
    {{"~time=2000-01-01::2"}, DT_SEL_EXACT, "/ocean/sst", "[3]: 10 12 14", NULL, NULL},
    {{"~time=2000-01"}, DT_SEL_EXACT, "/ocean/sst", "[6]: 10 11 12 13 14 15", NULL, NULL},
    {{"~time=1999-12"}, DT_SEL_EXACT, "/ocean/sst", "[0]:", NULL, NULL},
    {{"~time=3"}, DT_SEL_EXACT, "/ocean/sst", "[]: 13", NULL, NULL},   /* a raw value */
    {{"~time=2000-01-02T13:00"}, DT_SEL_NEAREST, "/ocean/sst", "[]: 12", NULL, NULL},
    {{"~time=1990-01-01"}, DT_SEL_NEAREST, "/ocean/sst", "[]: 10", NULL, NULL},
    /* numeric labels; nearest; slices snap to the nearest labels */
    {{"~lat=5:15"}, DT_SEL_EXACT, "/ocean/lat", "[1]: 10", NULL, NULL},
    {{"~lat=10"}, DT_SEL_EXACT, "/ocean/lat", "[]: 10", "/ocean/temp", "[6]: 2 6 10 14 18 22"},
    {{"~lat=4"}, DT_SEL_NEAREST, "/ocean/lat", "[]: 0", NULL, NULL},
    {{"~lat=-100:12"}, DT_SEL_NEAREST, "/ocean/lat", "[3]: -10 0 10", NULL, NULL},
    {{"~lat=6:14"}, DT_SEL_NEAREST, "/ocean/lat", "[1]: 10", NULL, NULL},
    {{"~lat=15:5"}, DT_SEL_EXACT, "/ocean/lat", "[1]: 10", NULL, NULL},
    /* a decreasing coordinate, either order */
    {{"~desc=25:15"}, DT_SEL_EXACT, "/ocean/deep/v", "[1]: 20", NULL, NULL},
    {{"~desc=15:35"}, DT_SEL_EXACT, "/ocean/deep/v", "[2]: 30 20", NULL, NULL},
    /* strings */
    {{"~station=b"}, DT_SEL_EXACT, "/text/n", "[]: 2", NULL, NULL},
    {{"~station=\"b\":c"}, DT_SEL_EXACT, "/text/n", "[2]: 2 3", NULL, NULL},
    /* a label of a coordinate that is not sorted is fine */
    {{"~x=3"}, DT_SEL_EXACT, "/bumpy/w", "[]: 3", NULL, NULL},
};

START_TEST(sel_row)
{
    counter cnt = {0};
    dt_tree *t = make_tree(&cnt), *s = NULL;
    char *got;

    tu_assert_ok(run_select(&s, t, "/", sel_rows[_i].method, NULL, sel_rows[_i].args));
    got = describe(s, sel_rows[_i].var);
    ck_assert_msg(strcmp(got, sel_rows[_i].want) == 0, "%s %s: got \"%s\", want \"%s\"",
                  sel_rows[_i].args[0], sel_rows[_i].var, got, sel_rows[_i].want);
    free(got);
    if (sel_rows[_i].var2) {
        got = describe(s, sel_rows[_i].var2);
        ck_assert_msg(strcmp(got, sel_rows[_i].want2) == 0, "%s %s: got \"%s\", want \"%s\"",
                      sel_rows[_i].args[0], sel_rows[_i].var2, got, sel_rows[_i].want2);
        free(got);
    }
    dt_tree_free(s);
    dt_tree_free(t);
}
END_TEST

static const struct {
    const char *args[3];
    dt_sel_method method;
    int code;
    const char *words;
} sel_error_rows[] = {
    {{"time=9"}, DT_SEL_EXACT, DT_ERANGE, "isel time=9: index 9 is out of range for 'time' of "
                                          "size 6"},
    {{"~time=2000-01-02T12:00"}, DT_SEL_EXACT, DT_ENOTFOUND,
     "no label 2000-01-02T12:00 in the coordinate 'time' of / (6 values, from 2000-01-01 to "
     "2000-01-06; the nearest one is selected with method nearest)"},
    {{"~time=2001-02-29"}, DT_SEL_EXACT, DT_ERANGE, "'2001-02-29': 2001-02-29 does not exist"},
    {{"~lat=abc"}, DT_SEL_EXACT, DT_EINVAL, "'abc' is not a number (the coordinate 'lat' "
                                            "holds numbers)"},
    {{"~lat=2000-01-01"}, DT_SEL_EXACT, DT_EINVAL, "'2000-01-01' is a date, but the "
                                                   "coordinate 'lat' has no CF time units"},
    {{"~time=\"x\""}, DT_SEL_EXACT, DT_EINVAL, "'x' is not a number or a date"},
    {{"~station=b"}, DT_SEL_NEAREST, DT_EINVAL, "the nearest label needs numbers or dates"},
    {{"~station=z"}, DT_SEL_EXACT, DT_ENOTFOUND, "no label z in the coordinate 'station' of "
                                                 "/text (3 values, from \"a\" to \"c\""},
    {{"~x=1:2"}, DT_SEL_EXACT, DT_EINVAL, "the coordinate 'x' of /bumpy is not sorted"},
    {{"~y=1"}, DT_SEL_EXACT, DT_ENOTFOUND, "/bumpy: sel y=1: no index coordinate 'y' is "
                                           "visible here"},
    {{"foo=1"}, DT_SEL_EXACT, DT_ENOTFOUND, "isel foo=1: no group of the subtree has a "
                                            "dimension 'foo'"},
};

START_TEST(sel_error_row)
{
    counter cnt = {0};
    dt_tree *t = make_tree(&cnt), *s = (dt_tree *)&cnt;

    tu_assert_rc(run_select(&s, t, "/", sel_error_rows[_i].method, NULL, sel_error_rows[_i].args),
                 sel_error_rows[_i].code, sel_error_rows[_i].words);
    ck_assert_ptr_null(s);
    dt_tree_free(t);
}
END_TEST

/* ---- indexer syntax ---- */

static const struct {
    const char *arg;
    unsigned how;
    const char *words;
    int code;   /* 0: DT_EINVAL */
} ix_error_rows[] = {
    {"time", DT_BY_POSITION, "indexer \"time\": column 5: expected DIM=INDEX", 0},
    {"time", DT_BY_LABEL, "column 5: expected DIM=LABEL", 0},
    {"time=", DT_BY_POSITION, "column 6: expected a position after '='", 0},
    {"time=", DT_BY_LABEL, "column 6: expected a label after '='", 0},
    {"=3", DT_BY_POSITION, "the dimension name cannot be empty", DT_EBADNAME},
    {"time=1:2:3:4", DT_BY_POSITION, "column 11: a slice has at most start:stop:step", 0},
    {"time=a", DT_BY_POSITION, "column 6: expected an integer or a slice start:stop:step", 0},
    {"time=0:5:0", DT_BY_POSITION, "a slice step cannot be zero", 0},
    {"time=0:5:-1", DT_BY_POSITION, "negative steps are not supported", 0},
    {"time=1:2:3:4", DT_BY_LABEL, "column 11: a label slice has at most lo:hi:step", 0},
    {"time=1:2:x", DT_BY_LABEL, "column 10: the step of a label slice is a positive integer", 0},
    {"time=\"abc", DT_BY_LABEL, "column 6: the string is not closed", 0},
    {"time=\"a\"b", DT_BY_LABEL, "column 9: expected ':' or the end", 0},
};

START_TEST(ix_error_row)
{
    dt_indexers *ix = NULL;

    tu_assert_ok(dt_indexers_new(&ix));
    tu_assert_rc(dt_indexers_add(ix, ix_error_rows[_i].arg, ix_error_rows[_i].how),
                 ix_error_rows[_i].code ? ix_error_rows[_i].code : DT_EINVAL,
                 ix_error_rows[_i].words);
    ck_assert_uint_eq(dt_indexers_count(ix), 0);
    dt_indexers_free(ix);
}
END_TEST

START_TEST(ix_twice)
{
    dt_indexers *ix = NULL;

    tu_assert_ok(dt_indexers_new(&ix));
    tu_assert_ok(dt_indexers_add(ix, "time=0", DT_BY_POSITION));
    tu_assert_rc(dt_indexers_add(ix, "time=2000-01-01", DT_BY_LABEL), DT_EINVAL,
                 "this dimension is already selected");
    tu_assert_rc(dt_indexers_add(ix, "lat=0", 7), DT_EINVAL, "DT_BY_POSITION or DT_BY_LABEL");
    ck_assert_uint_eq(dt_indexers_count(ix), 1);
    dt_indexers_free(ix);
    dt_indexers_free(NULL);
}
END_TEST

/* ---- the new tree: structure, inherited coordinates, the query ---- */

START_TEST(subtree_materializes_inherited)
{
    counter cnt = {0};
    dt_tree *t = make_tree(&cnt), *s = NULL;
    dt_coord_info ci;
    char *got;

    tu_assert_ok(run_select(&s, t, "/ocean", DT_SEL_EXACT, NULL,
                            (const char *[]){"~time=2000-01-02:2000-01-03", NULL}));
    /* /ocean is the new root: it holds the time it inherited, sliced */
    got = describe(s, "/time");
    ck_assert_str_eq(got, "[2]: 1 2");
    free(got);
    got = describe(s, "/sst");
    ck_assert_str_eq(got, "[2]: 11 12");
    free(got);
    tu_assert_ok(dt_node_coord_find(&ci, tu_node(s, "/deep"), "time", DT_INHERIT_INDEXES));
    ck_assert_int_eq(ci.inherited, 1);
    ck_assert_ptr_null(dt_node_parent(dt_tree_root(s)));
    ck_assert_uint_eq(dt_node_child_count(dt_tree_root(s)), 1);
    tu_assert_ok(dt_tree_check_alignment(s));
    dt_tree_free(s);
    dt_tree_free(t);
}
END_TEST

START_TEST(query_keeps_what_is_needed)
{
    counter cnt = {0};
    dt_tree *t = make_tree(&cnt), *s = NULL;
    dt_var *v = NULL;
    char *got;

    tu_assert_ok(run_select(&s, t, "/", DT_SEL_EXACT, "**/sst",
                            (const char *[]){"time=0:2", NULL}));
    got = describe(s, "/ocean/sst");
    ck_assert_str_eq(got, "[2]: 10 11");
    free(got);
    /* the coordinate it uses comes along, from the group that defines it */
    got = describe(s, "/time");
    ck_assert_str_eq(got, "[2]: 0 1");
    free(got);
    ck_assert_uint_eq(dt_node_var_count(tu_node(s, "/ocean")), 1);
    ck_assert_uint_eq(dt_node_child_count(tu_node(s, "/ocean")), 0);
    ck_assert_uint_eq(dt_node_child_count(dt_tree_root(s)), 1);
    tu_assert_rc(dt_var_lookup(&v, dt_tree_root(s), "/ocean/temp"), DT_ENOTFOUND, NULL);
    /* attributes come along too */
    ck_assert_ptr_nonnull(dt_attrs_find(dt_var_attrs(tu_var(s, "/ocean/sst")), "units"));
    ck_assert_ptr_nonnull(dt_attrs_find(dt_var_attrs(tu_var(s, "/time")), "calendar"));
    dt_tree_free(s);
    dt_tree_free(t);
}
END_TEST

/* Data stays where it is until read; a read asks the original source for
 * exactly the selected elements. */
START_TEST(stays_lazy)
{
    counter cnt = {0};
    dt_tree *t = make_tree(&cnt), *s = NULL;
    dt_var *v;
    double buf[2];
    uint64_t start = 1, count = 2;
    dt_slab slab = {1, &start, &count, NULL};

    tu_assert_ok(run_select(&s, t, "/", DT_SEL_EXACT, NULL,
                            (const char *[]){"time=1::2", NULL}));
    ck_assert_int_eq(cnt.reads, 0);
    v = tu_var(s, "/ocean/lazy");
    ck_assert_int_ne(dt_var_is_lazy(v), 0);
    ck_assert_int_ne(dt_var_is_lazy(tu_var(s, "/ocean/sst")), 0);
    ck_assert_uint_eq(dt_var_shape(v)[0], 3);
    /* elements 1 and 2 of the selection are 3 and 5 of the original */
    tu_assert_ok(dt_var_read(v, &slab, DT_FLOAT64, buf, sizeof buf));
    ck_assert_int_eq(cnt.reads, 1);
    ck_assert(buf[0] == 300.0 && buf[1] == 500.0);
    dt_tree_free(s);
    dt_tree_free(t);
}
END_TEST

/* The new tree is a tree like any other: it writes as YAML and reads back. */
START_TEST(writes_and_reads_back)
{
    counter cnt = {0};
    dt_tree *t = make_tree(&cnt), *s = NULL, *back = NULL;
    char *dir = tu_tmpdir("labelsel"), *path = dt__aprintf("%s/sel.yaml", dir), *got;

    tu_assert_ok(run_select(&s, t, "/", DT_SEL_EXACT, "/ocean/temp",
                            (const char *[]){"~lat=0:10", "time=-2:", NULL}));
    tu_assert_ok(dt_tree_write(s, path, DT_FORMAT_AUTO, NULL));
    tu_assert_ok(dt_tree_open(&back, path, NULL));
    got = describe(back, "/ocean/temp");
    ck_assert_str_eq(got, "[2, 2]: 17 18 21 22");
    free(got);
    got = describe(back, "/ocean/lat");
    ck_assert_str_eq(got, "[2]: 0 10");
    free(got);
    got = describe(back, "/time");
    ck_assert_str_eq(got, "[2]: 4 5");
    free(got);
    dt_tree_free(back);
    dt_tree_free(s);
    dt_tree_free(t);
    free(path);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

/* Without indexers the selection is a copy of the subtree, lazily: the
 * same document, values and digests included. */
static char *manifest_of(const dt_tree *t)
{
    dt_manifest_opts mo = DT_MANIFEST_OPTS_INIT;
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);

    ck_assert_ptr_nonnull(fp);
    mo.values = 1;
    tu_assert_ok(dt_tree_manifest(t, fp, &mo));
    ck_assert_int_eq(fclose(fp), 0);
    return text;
}

START_TEST(no_indexers)
{
    counter cnt = {0};
    dt_tree *t = make_tree(&cnt), *s = NULL;
    char *a, *b;

    tu_assert_ok(dt_tree_select(&s, dt_tree_root(t), NULL, NULL));
    ck_assert_int_eq(cnt.reads, 0);
    a = manifest_of(t);
    b = manifest_of(s);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    dt_tree_free(s);
    tu_assert_rc(dt_tree_select(NULL, dt_tree_root(t), NULL, NULL), DT_EINVAL, "NULL argument");
    dt_tree_free(t);
}
END_TEST

START_TEST(alloc_failures)
{
    counter cnt = {0};
    dt_tree *t = make_tree(&cnt), *s = NULL;
    dt_indexers *ix = NULL;
    int rc = DT_ENOMEM;

    tu_assert_ok(dt_indexers_new(&ix));
    tu_assert_ok(dt_indexers_add(ix, "time=2000-01-02:2000-01-04", DT_BY_LABEL));
    tu_assert_ok(dt_indexers_add(ix, "lat=1", DT_BY_POSITION));
    for (long n = 0; rc == DT_ENOMEM && n < 5000; n++) {
        dt__alloc_fail_after(n);
        rc = dt_tree_select(&s, dt_tree_root(t), ix, NULL);
        dt__alloc_fail_after(-1);
        if (rc == DT_ENOMEM)
            ck_assert_ptr_null(s);
    }
    tu_assert_ok(rc);
    dt_tree_free(s);
    dt_indexers_free(ix);
    dt_tree_free(t);
}
END_TEST

static Suite *labelsel_suite(void)
{
    Suite *s = suite_create("labelsel");
    TCase *tc = tcase_create("select");

    tcase_add_loop_test(tc, sel_row, 0, TU_NELEMS(sel_rows));
    tcase_add_loop_test(tc, sel_error_row, 0, TU_NELEMS(sel_error_rows));
    tcase_add_loop_test(tc, ix_error_row, 0, TU_NELEMS(ix_error_rows));
    tcase_add_test(tc, ix_twice);
    tcase_add_test(tc, subtree_materializes_inherited);
    tcase_add_test(tc, query_keeps_what_is_needed);
    tcase_add_test(tc, stays_lazy);
    tcase_add_test(tc, writes_and_reads_back);
    tcase_add_test(tc, no_indexers);
    tcase_add_test(tc, alloc_failures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(labelsel_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
