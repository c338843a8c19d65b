/* test_query.c: the query language of dtree-query(7), table-driven: every
 * operator and function against one tree, path globs against PurePath.match,
 * and every syntax error with its column and words. */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtree.h"
#include "io/io.h"
#include "query/query.h"
#include "testutil.h"
#include "util.h"

/* The tree every row runs against:
 *   /               time(time) index, units "days since 2000-01-01"; @title
 *   /model/a        temp(time, lat) float32 @units "K" @long_name @_FillValue
 *                   height() float64 coordinate
 *   /model/b        lat(lat) index; temp(time) int16 @units "degC" @valid_range
 *   /ocean          sst(time) float64 @units "K"
 *   /ocean/deep     depth(depth) index of 500; salt(time, depth, x) float32
 *                   of 4 x 500 x 1000 (2e6 elements, no data); mask() uint8 */
static dt_tree *make_tree(void)
{
    dt_tree *t = tu_tree("/model/a", "/model/b", "/ocean/deep", NULL);
    const double times[4] = {0, 1, 2, 3}, lats[3] = {10, 20, 30};
    const char *d_tl[] = {"time", "lat"}, *d_t[] = {"time"}, *d_tdx[] = {"time", "depth", "x"};
    const char *d_d[] = {"depth"};
    const uint64_t s_tl[] = {4, 3}, s_tdx[] = {4, 500, 1000}, s_d[] = {500};
    const int16_t range[2] = {0, 40};
    const float fill = -999.0f;
    dt_node *a = tu_node(t, "/model/a"), *b = tu_node(t, "/model/b");
    dt_node *ocean = tu_node(t, "/ocean"), *deep = tu_node(t, "/ocean/deep");
    dt_var *v = NULL;

    v = tu_var_f64(dt_tree_root(t), "time", "time", 4, times);
    tu_assert_ok(dt_attrs_set(dt_var_attrs(v), "units", DT_CHAR, 21, "days since 2000-01-01", 0));
    tu_assert_ok(dt_attrs_set(dt_node_attrs(dt_tree_root(t)), "title", DT_CHAR, 9, "Test tree", 0));

    tu_assert_ok(dt_node_add_var(&v, a, "temp", DT_FLOAT32, 2, d_tl, s_tl));
    tu_assert_ok(dt_attrs_set(dt_var_attrs(v), "units", DT_STRING, 1, (const char *[]){"K"}, 0));
    tu_assert_ok(dt_attrs_set(dt_var_attrs(v), "long_name", DT_CHAR, 15, "air temperature", 0));
    tu_assert_ok(dt_attrs_set(dt_var_attrs(v), "_FillValue", DT_FLOAT32, 1, &fill, 0));
    tu_assert_ok(dt_node_add_var(&v, a, "height", DT_FLOAT64, 0, NULL, NULL));
    tu_assert_ok(dt_var_set_coord(v, 1));

    tu_var_f64(b, "lat", "lat", 3, lats);
    tu_assert_ok(dt_node_add_var(&v, b, "temp", DT_INT16, 1, d_t, NULL));
    tu_assert_ok(dt_attrs_set(dt_var_attrs(v), "units", DT_STRING, 1, (const char *[]){"degC"}, 0));
    tu_assert_ok(dt_attrs_set(dt_var_attrs(v), "valid_range", DT_INT16, 2, range, 0));

    tu_assert_ok(dt_node_add_var(&v, ocean, "sst", DT_FLOAT64, 1, d_t, NULL));
    tu_assert_ok(dt_attrs_set(dt_var_attrs(v), "units", DT_STRING, 1, (const char *[]){"K"}, 0));

    tu_assert_ok(dt_node_add_var(&v, deep, "depth", DT_FLOAT64, 1, d_d, s_d));
    tu_assert_ok(dt_node_add_var(&v, deep, "salt", DT_FLOAT32, 3, d_tdx, s_tdx));
    tu_assert_ok(dt_node_add_var(&v, deep, "mask", DT_UINT8, 0, NULL, NULL));
    return t;
}

/* Matches, space-separated, in dt_query_run's order. */
static int collect(const dt_node *node, const dt_var *var, void *ud)
{
    char **acc = ud, *p = NULL, *joined;

    if (var)
        tu_assert_ok(dt_var_path(&p, var));
    else
        tu_assert_ok(dt_node_path(&p, node));
    joined = dt__aprintf("%s%s%s", *acc, **acc ? " " : "", p);
    ck_assert_ptr_nonnull(joined);
    free(*acc);
    dt_free(p);
    *acc = joined;
    return 0;
}

static const struct {
    const char *query;
    const char *want;
} match_rows[] = {
    /* path globs: absolute whole paths, relative ends of paths */
    {"/model/*/temp", "/model/a/temp /model/b/temp"},
    {"**/sst", "/ocean/sst"},
    {"sst", "/ocean/sst"},
    {"\"sst\"", "/ocean/sst"},
    {"/*/temp", ""},                          /* '*' never crosses '/' */
    {"/model/**/temp", "/model/a/temp /model/b/temp"},
    {"/model/**", "/model /model/a /model/a/temp /model/a/height /model/b /model/b/lat "
                  "/model/b/temp"},
    {"/model/*", "/model/a /model/b"},
    {"/model/?/temp", "/model/a/temp /model/b/temp"},
    {"/model/[a]/*", "/model/a/temp /model/a/height"},
    {"/model/[!a]/*", "/model/b/lat /model/b/temp"},
    {"b/*", "/model/b/lat /model/b/temp"},
    {"/", "/"},
    {"deep", "/ocean/deep"},
    /* dim(), dtype() and the fields */
    {"dim(time)", "/ /time /model/a/temp /model/b/temp /ocean/sst /ocean/deep/salt"},
    {"dim(time, lat)", "/model/a/temp"},
    {"dim(lat) and is(var)", "/model/a/temp /model/b/lat"},
    {"dim(lat) and is(group)", "/model/a /model/b"},
    {"dtype(float32)", "/model/a/temp /ocean/deep/salt"},
    {"dtype(int16, uint8)", "/model/b/temp /ocean/deep/mask"},
    {"dtype(integer)", "/model/b/temp /ocean/deep/mask"},
    {"dtype(float) and ndim == 0", "/model/a/height"},
    {"dtype == float64 and ndim == 1", "/time /model/b/lat /ocean/sst /ocean/deep/depth"},
    {"dtype != float64", "/model/a/temp /model/b/temp /ocean/deep/salt /ocean/deep/mask"},
    {"ndim > 2", "/ocean/deep/salt"},
    {"ndim >= 2", "/model/a/temp /ocean/deep/salt"},
    {"ndim < 1", "/model/a/height /ocean/deep/mask"},
    {"ndim <= 0", "/model/a/height /ocean/deep/mask"},
    {"ndim != 1", "/model/a/temp /model/a/height /ocean/deep/salt /ocean/deep/mask"},
    {"ndim = 3", "/ocean/deep/salt"},
    {"size > 1e6", "/ocean/deep/salt"},
    {"size == 12", "/model/a/temp"},
    {"name == \"temp\"", "/model/a/temp /model/b/temp"},
    {"name ~ \"^s\"", "/ocean/sst /ocean/deep/salt"},
    {"name !~ \"[aeiou]\" and is(var)", "/ocean/sst"},
    {"name < \"b\" and is(group)", "/ /model/a"},
    {"path ~ \"deep/\"", "/ocean/deep/depth /ocean/deep/salt /ocean/deep/mask"},
    /* attributes */
    {"@units == \"K\"", "/model/a/temp /ocean/sst"},
    {"@units != \"K\"", "/time /model/b/temp"},
    {"@units = K", "/model/a/temp /ocean/sst"},
    {"@long_name ~ \"temp\"", "/model/a/temp"},
    {"@long_name ~ \"^temp\"", ""},
    {"@long_name !~ \"^air\"", ""},
    {"@units ~ \"since\"", "/time"},
    {"@valid_range > 30", "/model/b/temp"},
    {"@valid_range < 0", ""},
    {"@valid_range >= 40", "/model/b/temp"},
    {"@valid_range <= 0", "/model/b/temp"},
    {"@valid_range == 0", "/model/b/temp"},
    {"@valid_range != 0", ""},
    {"@valid_range ~ \"^4\"", "/model/b/temp"},
    {"@_FillValue == -999", "/model/a/temp"},
    {"@_FillValue == \"-999\"", "/model/a/temp"},
    {"@_FillValue < -1e3", ""},
    {"@title == \"Test tree\"", "/"},
    {"@units == 5", ""},
    {"has(@_FillValue)", "/model/a/temp"},
    {"has(_FillValue)", "/model/a/temp"},
    {"@_FillValue", "/model/a/temp"},
    {"@'long_name'", "/model/a/temp"},
    {"not has(@units) and is(var)", "/model/a/height /model/b/lat /ocean/deep/depth "
                                    "/ocean/deep/salt /ocean/deep/mask"},
    /* is() */
    {"is(group)", "/ /model /model/a /model/b /ocean /ocean/deep"},
    {"is(coord)", "/time /model/a/height /model/b/lat /ocean/deep/depth"},
    {"is(index)", "/time /model/b/lat /ocean/deep/depth"},
    {"is(data) and dim(time)", "/model/a/temp /model/b/temp /ocean/sst /ocean/deep/salt"},
    {"is(variable) and /ocean/*", "/ocean/sst"},
    /* and, or, not, parentheses, precedence */
    {"**/temp and @units == \"K\"", "/model/a/temp"},
    {"**/temp and not @units == \"K\"", "/model/b/temp"},
    {"sst or salt", "/ocean/sst /ocean/deep/salt"},
    {"sst or salt and ndim > 2", "/ocean/sst /ocean/deep/salt"},
    {"(sst or salt) and ndim == 1", "/ocean/sst"},
    {"sst or (salt and ndim == 1)", "/ocean/sst"},
    {"not not sst", "/ocean/sst"},
    {"not (is(group) or is(coord) or dim(time))", "/ocean/deep/mask"},
    {"temp and dtype(float32) and dim(lat) and @units == \"K\"", "/model/a/temp"},
    {"nothing_here", ""},
};

START_TEST(match_row)
{
    dt_tree *t = make_tree();
    dt_query *q = NULL;
    char *got = dt__strdup("");

    tu_assert_ok(dt_query_compile(&q, match_rows[_i].query, NULL));
    ck_assert_str_eq(dt_query_text(q), match_rows[_i].query);
    tu_assert_ok(dt_query_run(q, dt_tree_root(t), collect, &got));
    ck_assert_msg(strcmp(got, match_rows[_i].want) == 0, "query %s: got \"%s\", want \"%s\"",
                  match_rows[_i].query, got, match_rows[_i].want);
    free(got);
    dt_query_free(q);
    dt_tree_free(t);
}
END_TEST

/* ---- syntax errors: code, column, words ---- */

static const struct {
    const char *query;
    int code;
    size_t col;
    const char *words;
} error_rows[] = {
    {"", DT_EINVAL, 1, "the query is empty"},
    {"   ", DT_EINVAL, 1, "the query is empty"},
    {"ndim >", DT_EINVAL, 7, "expected a value after the operator, found the end"},
    {"ndim > x", DT_EINVAL, 8, "ndim compares with a number, found 'x'"},
    {"size < \"big\"", DT_EINVAL, 8, "size compares with a number"},
    {"(dim(time)", DT_EINVAL, 11, "expected ')' to close the '(' of column 1"},
    {"dim(time))", DT_EINVAL, 10, "this ')' closes no '('"},
    {"foo(x)", DT_EINVAL, 1, "unknown function \"foo\""},
    {"dim()", DT_EINVAL, 5, "dim() expects dimension names, found ')'"},
    {"dim(time lat)", DT_EINVAL, 10, "expected ',' or ')' in dim()"},
    {"@units == \"K", DT_EINVAL, 11, "the string is not closed"},
    {"@long_name ~ \"(\"", DT_EINVAL, 14, "invalid regular expression \"(\""},
    {"dtype(float99)", DT_EINVAL, 7, "unknown dtype \"float99\""},
    {"dtype == nothing", DT_EINVAL, 10, "unknown dtype \"nothing\""},
    {"dtype > float32", DT_EINVAL, 9, "dtype compares with == or != only"},
    {"ndim ~ \"1\"", DT_EINVAL, 8, "ndim cannot be matched with a regular expression"},
    {"temp ndim", DT_EINVAL, 6, "expected 'and', 'or' or the end of the query, found 'ndim'"},
    {"temp !ndim", DT_EINVAL, 6, "'!' must be followed by '=' or '~'"},
    {"and temp", DT_EINVAL, 1, "expected a test before 'and'"},
    {"temp and", DT_EINVAL, 9, "expected a test"},
    {"temp or or", DT_EINVAL, 9, "expected a test before 'or'"},
    {"not", DT_EINVAL, 4, "expected a test"},
    {"is(foo)", DT_EINVAL, 4, "is() expects group, var, coord, index or data, found \"foo\""},
    {"is(var, group)", DT_EINVAL, 9, "is() takes one argument"},
    {"has(@a, @b)", DT_EINVAL, 9, "has() takes one attribute"},
    {"foo == 1", DT_EINVAL, 1, "\"foo\" cannot be compared"},
    {"@ == 1", DT_EINVAL, 1, "expected an attribute name after '@'"},
    {"\"\"", DT_EINVAL, 1, "an empty path pattern matches nothing"},
    {"@units == (", DT_EINVAL, 11, "expected a value after the operator, found '('"},
    {"temp )", DT_EINVAL, 6, "this ')' closes no '('"},
    {", temp", DT_EINVAL, 1, "expected a test (a path"},
};

START_TEST(error_row)
{
    dt_query_opts o = DT_QUERY_OPTS_INIT;
    dt_query *q = (dt_query *)&o; /* must come back NULL */
    size_t col = 99;
    char want[64];

    o.error_column = &col;
    tu_assert_rc(dt_query_compile(&q, error_rows[_i].query, &o), error_rows[_i].code,
                 error_rows[_i].words);
    ck_assert_ptr_null(q);
    ck_assert_uint_eq(col, error_rows[_i].col);
    snprintf(want, sizeof want, ": column %zu: ", error_rows[_i].col);
    tu_assert_msg_has(want);
    tu_assert_msg_has("query \"");
}
END_TEST

/* ---- nesting is bounded by limits.max_depth ---- */

static char *repeat(const char *pre, const char *mid, const char *post, int n)
{
    dt__buf b;

    dt__buf_init(&b);
    for (int i = 0; i < n; i++)
        dt__buf_puts(&b, pre);
    dt__buf_puts(&b, mid);
    for (int i = 0; i < n; i++)
        dt__buf_puts(&b, post);
    return dt__buf_take(&b);
}

START_TEST(depth_limit)
{
    dt_query_opts o = DT_QUERY_OPTS_INIT;
    char *parens = repeat("(", "sst", ")", 100), *nots = repeat("not ", "sst", "", 100);
    char *ok = repeat("(", "sst", ")", 64), *chain = repeat("sst or ", "sst", "", 5000);
    dt_query *q = NULL;
    dt_tree *t = make_tree();
    char *got = dt__strdup("");

    tu_assert_rc(dt_query_compile(&q, parens, NULL), DT_ELIMIT, "nests deeper than 64 levels");
    tu_assert_rc(dt_query_compile(&q, nots, NULL), DT_ELIMIT, "column 257: the query nests");
    tu_assert_ok(dt_query_compile(&q, ok, NULL));
    dt_query_free(q);
    o.limits.max_depth = 200;
    tu_assert_ok(dt_query_compile(&q, parens, &o));
    dt_query_free(q);
    tu_assert_ok(dt_query_compile(&q, nots, &o));
    dt_query_free(q);
    /* a long chain is one node: compiled and run without deep recursion */
    tu_assert_ok(dt_query_compile(&q, chain, NULL));
    tu_assert_ok(dt_query_run(q, dt_tree_root(t), collect, &got));
    ck_assert_str_eq(got, "/ocean/sst");
    dt_query_free(q);
    free(got);
    free(parens);
    free(nots);
    free(ok);
    free(chain);
    dt_tree_free(t);
}
END_TEST

/* ---- matching one object, stopping a run, bad arguments ---- */

static int stop_at_second(const dt_node *node, const dt_var *var, void *ud)
{
    int *n = ud;

    (void)node;
    (void)var;
    return ++*n == 2 ? 42 : 0;
}

START_TEST(match_one)
{
    dt_tree *t = make_tree();
    dt_query *q = NULL;
    int n = 0;

    tu_assert_ok(dt_query_compile(&q, "dim(time)", NULL));
    ck_assert_int_eq(dt_query_match_var(q, tu_var(t, "/ocean/sst")), 1);
    ck_assert_int_eq(dt_query_match_var(q, tu_var(t, "/ocean/deep/mask")), 0);
    ck_assert_int_eq(dt_query_match_node(q, dt_tree_root(t)), 1);
    ck_assert_int_eq(dt_query_match_node(q, tu_node(t, "/ocean")), 0);
    ck_assert_int_eq(dt_query_run(q, dt_tree_root(t), stop_at_second, &n), 42);
    ck_assert_int_eq(n, 2);
    tu_assert_rc(dt_query_match_var(q, NULL), DT_EINVAL, "NULL argument");
    tu_assert_rc(dt_query_match_node(NULL, dt_tree_root(t)), DT_EINVAL, "NULL argument");
    tu_assert_rc(dt_query_run(q, dt_tree_root(t), NULL, NULL), DT_EINVAL, "NULL argument");
    tu_assert_rc(dt_query_compile(NULL, "x", NULL), DT_EINVAL, "NULL argument");
    dt_query_free(q);
    dt_query_free(NULL);
    ck_assert_ptr_null(dt_query_text(NULL));
    {
        dt_query_opts o = DT_QUERY_OPTS_INIT;

        o.version = 2;
        tu_assert_rc(dt_query_compile(&q, "x", &o), DT_EINVAL, "version 2");
    }
    dt_tree_free(t);
}
END_TEST

/* ---- path globs: PurePath.match, plus '**' ---- */

static const struct {
    const char *pattern, *path;
    int want;
} glob_rows[] = {
    {"*/B", "/a/B", 1},
    {"*/B", "/b/B", 1},
    {"*/B", "/a/c/B", 1},     /* relative: the end of the path */
    {"*/B", "/B", 0},
    {"B", "/a/b", 0},         /* case-sensitive */
    {"/a/*", "/a/b", 1},
    {"/a/*", "/a/b/c", 0},    /* absolute: the whole path */
    {"/a/*", "/a", 0},
    {"/*", "/", 0},
    {"/", "/", 1},
    {"/", "/a", 0},
    {"**", "/", 1},
    {"*", "/", 0},
    {"*", "/x/y", 1},
    {"/a/**/z", "/a/z", 1},
    {"/a/**/z", "/a/b/c/z", 1},
    {"/a/**/z", "/a/b/c/y", 0},
    {"/a/**", "/a", 1},
    {"/**/c", "/a/b/c", 1},
    {"a*", "/x/abc", 1},
    {"a*", "/abc/x", 0},
    {"a**b", "/a/x/b", 0},    /* '**' inside a component is '*' */
    {"a**b", "/axxb", 1},
    {"?", "/a/b", 1},
    {"??", "/a/b", 0},
    {"[bc]", "/a/c", 1},
    {"[!b]", "/a/b", 0},
    {"b/./c", "/b/c", 1},
    {"//b//c/", "/b/c", 1},
    {"x/../y", "/x/y", 0},
};

START_TEST(glob_row)
{
    ck_assert_msg(dt__glob_match(glob_rows[_i].pattern, glob_rows[_i].path) ==
                  (glob_rows[_i].want != 0), "\"%s\" against %s: want %d",
                  glob_rows[_i].pattern, glob_rows[_i].path, glob_rows[_i].want);
}
END_TEST

/* ---- a lazily loaded group that fails: the run says so ---- */

static int failing_loader(dt_node *node, void *ctx)
{
    (void)node;
    (void)ctx;
    return dt__fail(DT_EFORMAT, "made-up broken group");
}

START_TEST(load_failure)
{
    dt_tree *t = tu_tree("/ok", "/broken", NULL);
    dt_query *q = NULL;
    char *got = dt__strdup("");

    dt__node_set_loader(tu_node(t, "/broken"), failing_loader, NULL, NULL);
    tu_assert_ok(dt_query_compile(&q, "**", NULL));
    tu_assert_rc(dt_query_run(q, dt_tree_root(t), collect, &got), DT_EFORMAT,
                 "made-up broken group");
    ck_assert_str_eq(got, "/ /ok");
    free(got);
    dt_query_free(q);
    dt_tree_free(t);
}
END_TEST

/* ---- every allocation of a compile may fail: nothing leaks, the error is
 * DT_ENOMEM, and the query works once allocations succeed ---- */

START_TEST(alloc_failures)
{
    const char *text = "(**/temp or dim(time, lat)) and not @units ~ \"^K$\" and "
                       "dtype(float, int16) and ndim > 0 and has(@x)";
    dt_query *q = NULL;
    int rc = DT_ENOMEM;

    for (long n = 0; rc == DT_ENOMEM && n < 1000; n++) {
        dt__alloc_fail_after(n);
        rc = dt_query_compile(&q, text, NULL);
        dt__alloc_fail_after(-1);
        if (rc == DT_ENOMEM)
            ck_assert_ptr_null(q);
    }
    tu_assert_ok(rc);
    dt_query_free(q);
}
END_TEST

static Suite *query_suite(void)
{
    Suite *s = suite_create("query");
    TCase *tc = tcase_create("language");

    tcase_add_loop_test(tc, match_row, 0, TU_NELEMS(match_rows));
    tcase_add_loop_test(tc, error_row, 0, TU_NELEMS(error_rows));
    tcase_add_test(tc, depth_limit);
    tcase_add_test(tc, match_one);
    tcase_add_loop_test(tc, glob_row, 0, TU_NELEMS(glob_rows));
    tcase_add_test(tc, load_failure);
    tcase_add_test(tc, alloc_failures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(query_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
