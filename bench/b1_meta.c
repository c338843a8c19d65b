/* b1_meta.c: bench B1, metadata: open a file (groups load lazily), or open
 * it and walk every group, dimension, variable and attribute the way a
 * browser would, touching every value the API hands out.
 *
 *   b1_meta [-t N] open FILE     dt_tree_open and dt_tree_free only
 *   b1_meta [-t N] walk FILE     plus a full walk of the metadata
 *   b1_meta [-t N] eager FILE    the walk, with every group read at open
 *
 * Prints `open_s=... walk_s=... groups=... vars=... attrs=... dims=...`;
 * the driver times the whole process, these are for the record. */
#include "benchutil.h"

#include <inttypes.h>

typedef struct tally {
    uint64_t groups, vars, attrs, dims;
    uint64_t touched; /* folds in what we read, so nothing is skipped */
} tally;

static void touch_attrs(tally *t, const dt_attrs *attrs)
{
    size_t n = dt_attrs_count(attrs);

    for (size_t i = 0; i < n; i++) {
        const dt_attr *a = dt_attrs_at(attrs, i);
        const unsigned char *data = dt_attr_data(a);

        t->touched += strlen(dt_attr_name(a)) + dt_attr_type(a) + dt_attr_len(a);
        if (data && dt_attr_len(a) > 0)
            t->touched += data[0];
        t->attrs++;
    }
}

static int visit(dt_node *node, void *ud)
{
    tally *t = ud;
    int rc = dt_node_load(node);

    if (rc < 0)
        return rc;
    t->groups++;
    t->touched += strlen(dt_node_name(node));
    for (size_t i = 0; i < dt_node_dim_count(node); i++) {
        dt_dim_info d;

        rc = dt_node_dim(&d, node, i);
        if (rc < 0)
            return rc;
        t->touched += strlen(d.name) + d.size;
        t->dims++;
    }
    touch_attrs(t, dt_node_attrs(node));
    for (size_t i = 0; i < dt_node_var_count(node); i++) {
        const dt_var *v = dt_node_var(node, i);
        const uint64_t *shape = dt_var_shape(v), *chunks = dt_var_chunks(v);

        t->touched += strlen(dt_var_name(v)) + dt_var_type(v);
        for (size_t d = 0; d < dt_var_ndim(v); d++)
            t->touched += strlen(dt_var_dim(v, d)) + shape[d] + (chunks ? chunks[d] : 0);
        for (size_t c = 0; c < dt_var_codec_count(v); c++)
            t->touched += strlen(dt_var_codec(v, c));
        t->touched += dt_var_fill(v) != NULL;
        touch_attrs(t, dt_var_attrs(v));
        t->vars++;
    }
    return 0;
}

int main(int argc, char **argv)
{
    unsigned threads = bench_threads(&argc, &argv);
    dt_open_opts o = DT_OPEN_OPTS_INIT;
    dt_tree *tree = NULL;
    tally t = {0, 0, 0, 0, 0};
    double t0, t1, t2;
    int walk;

    if (argc != 3 || (strcmp(argv[1], "open") != 0 && strcmp(argv[1], "walk") != 0 &&
                      strcmp(argv[1], "eager") != 0)) {
        fprintf(stderr, "usage: b1_meta [-t N] open|walk|eager FILE\n");
        return 2;
    }
    walk = strcmp(argv[1], "open") != 0;
    o.threads = threads;
    o.eager = strcmp(argv[1], "eager") == 0;
    t0 = bench_now();
    if (dt_tree_open(&tree, argv[2], &o) < 0)
        return bench_fail("b1_meta");
    t1 = bench_now();
    if (walk && dt_node_walk(dt_tree_root(tree), visit, &t) < 0) {
        dt_tree_free(tree);
        return bench_fail("b1_meta");
    }
    t2 = bench_now();
    dt_tree_free(tree);
    printf("open_s=%.6f walk_s=%.6f groups=%" PRIu64 " vars=%" PRIu64 " attrs=%" PRIu64
           " dims=%" PRIu64 " touched=%" PRIu64 "\n",
           t1 - t0, t2 - t1, t.groups, t.vars, t.attrs, t.dims, t.touched);
    return 0;
}
