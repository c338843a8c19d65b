/* build.c: build a tree in memory with a coordinate that its groups
 * inherit, write it as a YAML tree, read it back and show that the
 * inheritance survived. Usage: build OUT.yaml */
#include <inttypes.h>
#include <stdio.h>

#include <dtree.h>

static int fail(const char *what)
{
    fprintf(stderr, "build: %s: %s\n", what, dt_error_last()->message);
    return 1;
}

int main(int argc, char **argv)
{
    const double times[4] = {0, 6, 12, 18};
    const double depths[2] = {0.5, 10.0};
    const float temp[4 * 2] = {280.5f, 279.0f, 281.0f, 279.5f, 282.5f, 280.0f, 281.5f, 279.5f};
    const float sst[4] = {281.0f, 281.5f, 282.0f, 281.75f};
    const char *tdims[] = {"time"}, *ddims[] = {"depth"}, *tddims[] = {"time", "depth"};
    const char *units[] = {"hours since 2026-01-01 00:00:00"}, *kelvin[] = {"K"};
    const char *metres[] = {"m"};
    const uint64_t nt = 4, nd = 2;
    dt_write_opts wo = DT_WRITE_OPTS_INIT;
    dt_tree *tree = NULL, *back = NULL;
    dt_node *ocean = NULL, *surface = NULL, *found = NULL;
    dt_var *v = NULL;
    dt_coord_info ci;
    int rc = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: build OUT.yaml\n");
        return 2;
    }
    if (dt_tree_new(&tree) < 0)
        return fail("new tree");
    /* /: time(time) is an index coordinate: named like its only dimension.
     * Groups below see it without copying it. */
    if (dt_node_add_var(&v, dt_tree_root(tree), "time", DT_FLOAT64, 1, tdims, &nt) < 0 ||
        dt_var_set_data(v, DT_FLOAT64, times, 4) < 0 ||
        dt_attrs_set(dt_var_attrs(v), "units", DT_STRING, 1, units, 0) < 0 ||
        dt_attrs_set(dt_node_attrs(dt_tree_root(tree)), "title", DT_CHAR, 10,
                     "Built in C", 0) < 0) {
        rc = fail("root");
        goto out;
    }
    /* /ocean: its own depth coordinate and a 2-D variable on time x depth */
    if (dt_node_create(&ocean, dt_tree_root(tree), "ocean", 0) < 0 ||
        dt_node_add_var(&v, ocean, "depth", DT_FLOAT64, 1, ddims, &nd) < 0 ||
        dt_var_set_data(v, DT_FLOAT64, depths, 2) < 0 ||
        dt_attrs_set(dt_var_attrs(v), "units", DT_STRING, 1, metres, 0) < 0 ||
        dt_node_add_var(&v, ocean, "temp", DT_FLOAT32, 2, tddims, NULL) < 0 ||
        dt_var_set_data(v, DT_FLOAT32, temp, 8) < 0 ||
        dt_attrs_set(dt_var_attrs(v), "units", DT_STRING, 1, kelvin, 0) < 0) {
        rc = fail("/ocean");
        goto out;
    }
    /* /ocean/surface: sees time from / and depth from /ocean */
    if (dt_node_create(&surface, ocean, "surface", 0) < 0 ||
        dt_node_add_var(&v, surface, "sst", DT_FLOAT32, 1, tdims, NULL) < 0 ||
        dt_var_set_data(v, DT_FLOAT32, sst, 4) < 0) {
        rc = fail("/ocean/surface");
        goto out;
    }
    /* a dimension that disagrees with an ancestor is refused, the tree
     * unchanged: here a time of 3 under a root whose time is 4 */
    {
        const uint64_t three = 3;
        dt_var *bad = NULL;

        if (dt_node_add_var(&bad, surface, "oops", DT_FLOAT32, 1, tdims, &three) == DT_OK) {
            fprintf(stderr, "build: a misaligned variable was accepted\n");
            rc = 1;
            goto out;
        }
        printf("refused: %s\n", dt_error_last()->message);
        dt_error_clear();
    }
    /* the format comes from the name; force replaces an existing file */
    wo.force = 1;
    if (dt_tree_write(tree, argv[1], DT_FORMAT_AUTO, &wo) < 0) {
        rc = fail("write");
        goto out;
    }
    if (dt_tree_open(&back, argv[1], NULL) < 0 ||
        dt_node_lookup(&found, dt_tree_root(back), "/ocean/surface") < 0 ||
        dt_node_coord_find(&ci, found, "time", DT_INHERIT_INDEXES) < 0) {
        rc = fail("read back");
        goto out;
    }
    printf("wrote %s; /ocean/surface inherits time (%" PRIu64 " values): %s\n", argv[1],
           dt_var_shape(ci.var)[0], ci.inherited ? "yes" : "no");
out:
    dt_tree_free(back);
    dt_tree_free(tree);
    return rc;
}
