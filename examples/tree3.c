/* tree3.c: build a three-level tree in memory and show that a coordinate
 * defined at the root is inherited by every descendant. */
#include <inttypes.h>
#include <stdio.h>

#include <dtree.h>

static int fail(void)
{
    fprintf(stderr, "tree3: %s\n", dt_error_last()->message);
    return 1;
}

int main(void)
{
    const double times[3] = {0.0, 6.0, 12.0};
    const float temps[3 * 2] = {280.5f, 281.0f, 279.5f, 280.0f, 278.0f, 279.25f};
    const char *tdims[] = {"time"}, *vdims[] = {"time", "depth"};
    const uint64_t nt = 3, shape[2] = {3, 2};
    dt_tree *tree = NULL;
    dt_node *surface = NULL;
    dt_var *time = NULL, *temp = NULL;
    dt_coord_info ci;
    char *owner = NULL;
    int rc = 1;

    if (dt_tree_new(&tree) < 0)
        return fail();
    /* /: the time coordinate; /ocean/surface: a variable that uses it */
    if (dt_node_add_var(&time, dt_tree_root(tree), "time", DT_FLOAT64, 1, tdims, &nt) < 0 ||
        dt_var_set_data(time, DT_FLOAT64, times, 3) < 0 ||
        dt_attrs_set(dt_var_attrs(time), "units", DT_STRING, 1,
                     (const char *const[]){"hours since 2026-01-01"}, 0) < 0 ||
        dt_node_create(&surface, dt_tree_root(tree), "ocean/surface", DT_CREATE_PARENTS) < 0 ||
        dt_node_add_var(&temp, surface, "temp", DT_FLOAT32, 2, vdims, shape) < 0 ||
        dt_var_set_data(temp, DT_FLOAT32, temps, 6) < 0) {
        rc = fail();
        goto out;
    }
    /* the deepest group sees `time` although it never defined it */
    if (dt_node_coord_find(&ci, surface, "time", DT_INHERIT_INDEXES) < 0 ||
        dt_node_path(&owner, ci.owner) < 0) {
        rc = fail();
        goto out;
    }
    printf("/ocean/surface sees 'time' (%" PRIu64 " values), inherited=%d from %s\n",
           dt_var_shape(ci.var)[0], ci.inherited, owner);
    rc = dt_tree_manifest(tree, stdout, NULL) < 0 ? fail() : 0;
out:
    dt_free(owner);
    dt_tree_free(tree);
    return rc;
}
