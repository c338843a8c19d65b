/* b7_write.c: bench B7, writing: one uint16 array held in memory written
 * as a Zarr store with zstd level 1 on the writer's threads, as an
 * embedder saving an array would.
 *
 *   b7_write [-t THREADS] RAW Z Y X OUT.zarr v2|v3
 *
 * RAW holds Z*Y*X native uint16 values in C order; they are read into the
 * variable before the clock starts. v2: chunks of 4 x Y x X (8 MiB for
 * 1024 x 1024). v3: shards of 64 x 256 x 256 of 64^3 inner chunks. Prints
 * `write_s=... bytes=... mib_s=... sum=...` (sum: of the values, for the
 * driver's check of the store read back). */
#include "benchutil.h"

#include <inttypes.h>

int main(int argc, char **argv)
{
    unsigned threads = bench_threads(&argc, &argv);
    dt_write_opts wo = DT_WRITE_OPTS_INIT;
    static const char *const dims[3] = {"z", "y", "x"};
    static const uint64_t per[3] = {1, 4, 4};
    uint64_t shape[3], chunks[3], n, sum = 0;
    dt_tree *tree = NULL;
    dt_var *var = NULL;
    uint16_t *buf = NULL;
    FILE *fp;
    double t0, t1;
    int v3, rc = 1;

    if (argc != 7 || (strcmp(argv[6], "v2") != 0 && strcmp(argv[6], "v3") != 0)) {
        fprintf(stderr, "usage: b7_write [-t THREADS] RAW Z Y X OUT.zarr v2|v3\n");
        return 2;
    }
    v3 = strcmp(argv[6], "v3") == 0;
    for (int i = 0; i < 3; i++)
        shape[i] = strtoull(argv[2 + i], NULL, 10);
    n = shape[0] * shape[1] * shape[2];
    buf = malloc((size_t)n * 2);
    fp = fopen(argv[1], "rb");
    if (!buf || !fp || fread(buf, 2, (size_t)n, fp) != (size_t)n) {
        fprintf(stderr, "b7_write: cannot read %" PRIu64 " values from %s\n", n, argv[1]);
        goto out;
    }
    fclose(fp);
    fp = NULL;
    for (uint64_t i = 0; i < n; i++)
        sum += buf[i];
    if (v3) {
        chunks[0] = chunks[1] = chunks[2] = 64;
        wo.nshard_dims = 3;
        wo.shard_dims = dims;
        wo.shard_counts = per;
    } else {
        chunks[0] = 4;
        chunks[1] = shape[1];
        chunks[2] = shape[2];
    }
    wo.zstd = 1;
    wo.threads = threads;
    wo.force = 1;
    if (dt_tree_new(&tree) < 0)
        goto fail;
    for (int i = 0; i < 3; i++)
        if (dt_node_add_dim(dt_tree_root(tree), dims[i], shape[i], 0) < 0)
            goto fail;
    if (dt_node_add_var(&var, dt_tree_root(tree), "data", DT_UINT16, 3, dims, shape) < 0 ||
        dt_var_set_chunks(var, chunks) < 0 || dt_var_set_data(var, DT_UINT16, buf, n) < 0)
        goto fail;
    free(buf);
    buf = NULL;
    t0 = bench_now();
    if (dt_tree_write(tree, argv[5], v3 ? DT_FORMAT_ZARR3 : DT_FORMAT_ZARR2, &wo) < 0)
        goto fail;
    t1 = bench_now();
    printf("write_s=%.6f bytes=%" PRIu64 " mib_s=%.1f sum=%" PRIu64 "\n", t1 - t0, n * 2,
           (double)n * 2 / (1 << 20) / (t1 - t0), sum);
    rc = 0;
    goto out;
fail:
    rc = bench_fail("b7_write");
out:
    if (fp)
        fclose(fp);
    free(buf);
    dt_tree_free(tree);
    return rc;
}
