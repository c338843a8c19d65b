/* select.c: find variables with a query, then select a time range by
 * label (dates of a CF time coordinate) and a depth by position, and read
 * the result; the selection reads only what it needs from the file.
 * Usage: select FILE [QUERY [TIME_RANGE]] */
#include <inttypes.h>
#include <stdio.h>

#include <dtree.h>

static int print_match(const dt_node *node, const dt_var *var, void *ud)
{
    char *path = NULL;
    int rc = var ? dt_var_path(&path, var) : dt_node_path(&path, node);

    (void)ud;
    if (rc < 0)
        return rc;
    printf("match: %s\n", path);
    dt_free(path);
    return 0;
}

int main(int argc, char **argv)
{
    const char *text = argc > 2 ? argv[2] : "dim(time) and ndim == 2";
    const char *range = argc > 3 ? argv[3] : "2000-01-02:2000-01-03";
    char indexer[128];
    dt_query_opts qo = DT_QUERY_OPTS_INIT;
    dt_select_opts so = DT_SELECT_OPTS_INIT;
    size_t column = 0;
    dt_tree *tree = NULL, *sel = NULL;
    dt_query *q = NULL;
    dt_indexers *ix = NULL;
    dt_var *v = NULL;
    double vals[64];
    uint64_t n = 0;
    int rc = 1;

    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: select FILE [QUERY [TIME_RANGE]]\n");
        return 2;
    }
    /* a syntax error says where: error_column is 1-based */
    qo.error_column = &column;
    if (dt_query_compile(&q, text, &qo) < 0) {
        fprintf(stderr, "select: %s\n  %s\n  %*s^\n", dt_error_last()->message, text,
                (int)(column ? column - 1 : 0), "");
        return 2;
    }
    if (dt_tree_open(&tree, argv[1], NULL) < 0 ||
        dt_query_run(q, dt_tree_root(tree), print_match, NULL) < 0)
        goto fail;
    /* time by label, depth by position (an integer drops the dimension) */
    snprintf(indexer, sizeof indexer, "time=%s", range);
    if (dt_indexers_new(&ix) < 0 || dt_indexers_add(ix, indexer, DT_BY_LABEL) < 0 ||
        dt_indexers_add(ix, "depth=0", DT_BY_POSITION) < 0)
        goto fail;
    so.query = q;
    if (dt_tree_select(&sel, dt_tree_root(tree), ix, &so) < 0)
        goto fail;
    /* sel borrows tree's data: free sel first */
    if (dt_var_lookup(&v, dt_tree_root(sel), "/ocean/temperature") < 0 ||
        dt_var_nelems(&n, v) < 0 || n > 64 ||
        dt_var_read(v, NULL, DT_FLOAT64, vals, sizeof vals) < 0)
        goto fail;
    printf("/ocean/temperature at depth 0, time %s:", range);
    for (uint64_t i = 0; i < n; i++)
        printf(" %g", vals[i]);
    printf("\n");
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "select: %s\n", dt_error_last()->message);
out:
    dt_tree_free(sel);
    dt_indexers_free(ix);
    dt_query_free(q);
    dt_tree_free(tree);
    return rc;
}
