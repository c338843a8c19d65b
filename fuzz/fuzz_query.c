/* fuzz_query.c: the query language parser (dtree-query(7)); a query that
 * compiles is run over a small tree so the matcher sees it too. */
#include "config.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(const dt_node *node, const dt_var *var, void *ud)
{
    (void)node;
    (void)var;
    ++*(size_t *)ud;
    return 0;
}

static dt_tree *small_tree(void)
{
    static const char *const d1[] = {"time"};
    static const char *const d2[] = {"time", "lat"};
    static const uint64_t s2[] = {3, 2};
    static const double temp[] = {1, 2, 3, 4, 5, 6};
    static const char *const units[] = {"days since 2000-01-01"};
    dt_tree *tree = NULL;
    dt_node *g = NULL;
    dt_var *v = NULL;

    if (dt_tree_new(&tree) < 0)
        return NULL;
    if (dt_node_create(&g, dt_tree_root(tree), "ocean/deep", DT_CREATE_PARENTS) < 0 ||
        dt_node_add_var(&v, dt_tree_root(tree), "time", DT_INT32, 1, d1, s2) < 0 ||
        dt_attrs_set(dt_var_attrs(v), "units", DT_STRING, 1, units, 0) < 0 ||
        dt_node_add_var(&v, g, "temp", DT_FLOAT64, 2, d2, s2) < 0 ||
        dt_var_set_data(v, DT_FLOAT64, temp, 6) < 0) {
        dt_tree_free(tree);
        return NULL;
    }
    return tree;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static dt_tree *tree;
    dt_query_opts opts = DT_QUERY_OPTS_INIT;
    dt_query *q = NULL;
    size_t col = 0, n = 0;
    char *text;

    if (!tree)
        tree = small_tree();
    text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    opts.error_column = &col;
    if (dt_query_compile(&q, text, &opts) == DT_OK) {
        (void)dt_query_text(q);
        if (tree)
            (void)dt_query_run(q, dt_tree_root(tree), count, &n);
        dt_query_free(q);
    }
    free(text);
    dt_error_clear();
    return 0;
}
