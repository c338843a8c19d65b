/* b6_select.c: bench B6, selections: read boxes or a numpy-style selection
 * of a chunked variable through dt_var_read.
 *
 *   b6_select [-t THREADS] FILE /var boxes BOXFILE   one box per line:
 *                                                    "z y x dz dy dx"
 *   b6_select [-t THREADS] FILE /var sel "[::4, :, 100]"
 *
 * Prints `open_s=... read_s=... sum=...` like h5py_worker.py: read_s is the
 * reads alone (boxes: summed over the boxes, each box added up outside the
 * clock); sum adds the elements (uint16 or uint8) so the driver can compare
 * the data with h5py's. */
#include "benchutil.h"

#include <inttypes.h>

static uint64_t sum_elems(const void *buf, uint64_t n, dt_type t)
{
    uint64_t s = 0;

    if (t == DT_UINT16) {
        const uint16_t *p = buf;
        for (uint64_t i = 0; i < n; i++)
            s += p[i];
    } else {
        const unsigned char *p = buf;
        for (uint64_t i = 0; i < n * dt_type_size(t); i++)
            s += p[i];
    }
    return s;
}

/* Read every box of the file; *secs gets the time spent in dt_var_read. */
static int read_boxes(const dt_var *var, const char *boxfile, double *secs, uint64_t *sum)
{
    FILE *fp = fopen(boxfile, "r");
    uint64_t b[6];
    void *buf = NULL;
    size_t cap = 0, es = dt_type_size(dt_var_type(var));
    int rc = -1;

    if (!fp) {
        perror(boxfile);
        return -1;
    }
    *secs = 0;
    *sum = 0;
    while (fscanf(fp, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
                  &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) == 6) {
        dt_slab slab = {3, b, b + 3, NULL};
        size_t n = (size_t)(b[3] * b[4] * b[5]);
        double t0;

        if (dt_var_ndim(var) != 3) {
            fprintf(stderr, "b6_select: boxes need a 3-D variable\n");
            goto out;
        }
        if (n * es > cap) {
            free(buf);
            cap = n * es;
            buf = malloc(cap);
            if (!buf)
                goto out;
        }
        t0 = bench_now();
        if (dt_var_read(var, &slab, dt_var_type(var), buf, n * es) < 0) {
            bench_fail("b6_select");
            goto out;
        }
        *secs += bench_now() - t0;
        *sum += sum_elems(buf, n, dt_var_type(var));
    }
    rc = 0;
out:
    free(buf);
    fclose(fp);
    return rc;
}

static int read_selection(const dt_var *var, const char *text, double *secs, uint64_t *sum)
{
    dt_selection sel;
    dt_slab slab;
    uint64_t n = 0;
    size_t es = dt_type_size(dt_var_type(var));
    void *buf = NULL;
    double t0 = bench_now();
    int rc = -1;

    if (dt_selection_parse(&sel, var, text) < 0) {
        bench_fail("b6_select");
        return -1;
    }
    slab = dt_selection_slab(&sel);
    if (dt_slab_nelems(&n, var, &slab) < 0) {
        bench_fail("b6_select");
        return -1;
    }
    buf = malloc(n ? (size_t)n * es : 1);
    if (!buf)
        return -1;
    if (dt_var_read(var, &slab, dt_var_type(var), buf, (size_t)n * es) < 0) {
        bench_fail("b6_select");
        goto out;
    }
    *secs = bench_now() - t0;
    *sum = sum_elems(buf, n, dt_var_type(var));
    rc = 0;
out:
    free(buf);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned threads = bench_threads(&argc, &argv);
    dt_tree *tree = NULL;
    dt_var *var = NULL;
    double t0, t1, secs = 0;
    uint64_t sum = 0;
    int rc = 1;

    if (argc != 5 || (strcmp(argv[3], "boxes") != 0 && strcmp(argv[3], "sel") != 0)) {
        fprintf(stderr, "usage: b6_select [-t THREADS] FILE /var boxes BOXFILE | sel SELECTION\n");
        return 2;
    }
    t0 = bench_now();
    if (bench_open(&tree, argv[1], threads) < 0 ||
        dt_var_lookup(&var, dt_tree_root(tree), argv[2]) < 0) {
        rc = bench_fail("b6_select");
        goto out;
    }
    t1 = bench_now();
    if (strcmp(argv[3], "boxes") == 0 ? read_boxes(var, argv[4], &secs, &sum) < 0
                                      : read_selection(var, argv[4], &secs, &sum) < 0)
        goto out;
    printf("open_s=%.6f read_s=%.6f sum=%" PRIu64 "\n", t1 - t0, secs, sum);
    rc = 0;
out:
    dt_tree_free(tree);
    return rc;
}
