/* inspect.c: open a file and print its tree: groups, dimensions, variables
 * with their types and shapes, attributes, and the coordinates each group
 * inherits. Usage: inspect FILE */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <dtree.h>

static void indent(size_t depth)
{
    for (size_t i = 0; i < depth; i++)
        fputs("  ", stdout);
}

static int print_inherited(const dt_coord_info *ci, void *ud)
{
    size_t *depth = ud;
    char *from = NULL;

    if (!ci->inherited)
        return 0;
    /* dt_node_path hands over an owned string: free it with dt_free */
    if (dt_node_path(&from, ci->owner) < 0)
        return -1;
    indent(*depth + 1);
    printf("^ %s (from %s)\n", dt_var_name(ci->var), from);
    dt_free(from);
    return 0;
}

static int visit(dt_node *node, void *ud)
{
    size_t depth = dt_node_depth(node);
    char *path = NULL;
    char type[40];

    (void)ud;
    if (dt_node_path(&path, node) < 0)
        return -1;
    indent(depth);
    printf("%s\n", path);
    dt_free(path);
    for (size_t i = 0; i < dt_node_dim_count(node); i++) {
        dt_dim_info d;

        if (dt_node_dim(&d, node, i) == DT_OK) {
            indent(depth + 1);
            printf("dim %s = %" PRIu64 "%s\n", d.name, d.size, d.unlimited ? " (unlimited)" : "");
        }
    }
    for (size_t i = 0; i < dt_attrs_count(dt_node_attrs(node)); i++) {
        indent(depth + 1);
        printf("@%s\n", dt_attr_name(dt_attrs_at(dt_node_attrs(node), i)));
    }
    if (dt_node_coords(node, DT_INHERIT_INDEXES, print_inherited, &depth) < 0)
        return -1;
    for (size_t i = 0; i < dt_node_var_count(node); i++) {
        const dt_var *v = dt_node_var(node, i);

        if (dt_type_name(type, sizeof type, dt_var_type(v)) < 0)
            return -1;
        indent(depth + 1);
        printf("%s %s(", type, dt_var_name(v));
        for (size_t k = 0; k < dt_var_ndim(v); k++)
            printf("%s%s=%" PRIu64, k ? ", " : "", dt_var_dim(v, k), dt_var_shape(v)[k]);
        printf(")%s\n", dt_var_is_index(v) ? " index" : dt_var_is_coord(v) ? " coord" : "");
    }
    return 0;
}

int main(int argc, char **argv)
{
    dt_tree *tree = NULL;
    int rc = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: inspect FILE\n");
        return 2;
    }
    /* NULL options: defaults (strict alignment, lazy metadata and data) */
    if (dt_tree_open(&tree, argv[1], NULL) < 0) {
        fprintf(stderr, "inspect: %s\n", dt_error_last()->message);
        return 1;
    }
    /* a walk stops at the first non-zero return; a group that fails to
     * load stops it with its error */
    if (dt_node_walk(dt_tree_root(tree), visit, NULL) != 0) {
        fprintf(stderr, "inspect: %s\n", dt_error_last()->message);
        rc = 1;
    }
    dt_tree_free(tree);
    return rc;
}
