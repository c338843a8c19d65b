/* hyperslab.c: read part of a variable into a buffer the caller owns,
 * converted to double whatever its stored type, and print it as a table.
 * Usage: hyperslab FILE VAR START0 COUNT0 [START1 COUNT1 ...] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <dtree.h>

int main(int argc, char **argv)
{
    dt_tree *tree = NULL;
    dt_var *var = NULL;
    uint64_t start[DT_MAX_RANK], count[DT_MAX_RANK], n = 0;
    size_t ndim;
    double *buf = NULL;
    int rc = 1;

    if (argc < 3) {
        fprintf(stderr, "usage: hyperslab FILE VAR START0 COUNT0 [START1 COUNT1 ...]\n");
        return 2;
    }
    if (dt_tree_open(&tree, argv[1], NULL) < 0 ||
        dt_var_lookup(&var, dt_tree_root(tree), argv[2]) < 0)
        goto fail;
    /* var is borrowed from the tree: valid until dt_tree_free */
    ndim = dt_var_ndim(var);
    if ((size_t)(argc - 3) != 2 * ndim) {
        fprintf(stderr, "hyperslab: %s has %zu dimensions: give a start and a count for each\n",
                argv[2], ndim);
        dt_tree_free(tree);
        return 2;
    }
    for (size_t i = 0; i < ndim; i++) {
        start[i] = strtoull(argv[3 + 2 * i], NULL, 10);
        count[i] = strtoull(argv[4 + 2 * i], NULL, 10);
    }
    {
        /* stride NULL: every element; the library checks the selection */
        dt_slab slab = {ndim, start, count, NULL};

        if (dt_slab_nelems(&n, var, &slab) < 0)
            goto fail;
        buf = malloc((n ? n : 1) * sizeof *buf);
        if (!buf) {
            fprintf(stderr, "hyperslab: out of memory\n");
            goto out;
        }
        /* the caller's buffer, its size in bytes, and the type wanted in it */
        if (dt_var_read(var, &slab, DT_FLOAT64, buf, n * sizeof *buf) < 0)
            goto fail;
    }
    {
        uint64_t row = ndim ? count[ndim - 1] : 1;

        for (uint64_t i = 0; i < n; i++)
            printf("%g%s", buf[i], row && (i + 1) % row == 0 ? "\n" : " ");
    }
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "hyperslab: %s\n", dt_error_last()->message);
out:
    free(buf);
    dt_tree_free(tree);
    return rc;
}
