/* b5_sum.c: bench B5, memory: sum a variable streamed hyperslab by
 * hyperslab through dt_var_read, and report the peak resident set.
 *
 *   b5_sum [-t THREADS] FILE /path/to/var [CHUNKS_PER_SLAB]
 *
 * Each hyperslab spans CHUNKS_PER_SLAB chunks along the first axis (default:
 * the thread count, so every thread has a chunk to decode) and the whole of
 * the other axes; the buffer is allocated once. Prints `seconds=... sum=...
 * peak_rss_kib=... slab_bytes=... chunk_bytes=... threads=...`. */
#include "benchutil.h"

#include <inttypes.h>
#include <unistd.h>

static uint64_t sum_u16(const uint16_t *p, size_t n)
{
    uint64_t s = 0;

    for (size_t i = 0; i < n; i++)
        s += p[i];
    return s;
}

int main(int argc, char **argv)
{
    unsigned threads = bench_threads(&argc, &argv);
    dt_tree *tree = NULL;
    dt_var *var = NULL;
    uint16_t *buf = NULL;
    uint64_t start[DT_MAX_RANK] = {0}, count[DT_MAX_RANK];
    uint64_t sum = 0, chunk_bytes = 2, per_slab;
    const uint64_t *shape, *chunks;
    size_t ndim, slab_elems = 1;
    double t0;
    int rc = 1;

    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: b5_sum [-t THREADS] FILE /path/to/var [CHUNKS_PER_SLAB]\n");
        return 2;
    }
    if (threads == 0)
        threads = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    per_slab = argc == 4 ? strtoull(argv[3], NULL, 10) : threads;
    t0 = bench_now();
    if (bench_open(&tree, argv[1], threads) < 0 ||
        dt_var_lookup(&var, dt_tree_root(tree), argv[2]) < 0) {
        rc = bench_fail("b5_sum");
        goto out;
    }
    ndim = dt_var_ndim(var);
    shape = dt_var_shape(var);
    chunks = dt_var_chunks(var);
    if (dt_var_type(var) != DT_UINT16 || ndim < 1 || !chunks || per_slab < 1) {
        fprintf(stderr, "b5_sum: %s must be a chunked uint16 variable\n", argv[2]);
        goto out;
    }
    for (size_t d = 0; d < ndim; d++) {
        count[d] = d == 0 ? chunks[0] * per_slab : shape[d];
        if (count[d] > shape[d])
            count[d] = shape[d];
        slab_elems *= (size_t)count[d];
        chunk_bytes *= chunks[d];
    }
    buf = malloc(slab_elems * sizeof *buf);
    if (!buf) {
        fprintf(stderr, "b5_sum: cannot allocate a slab of %zu elements\n", slab_elems);
        goto out;
    }
    for (start[0] = 0; start[0] < shape[0]; start[0] += count[0]) {
        uint64_t c0 = count[0];
        size_t n = slab_elems;
        dt_slab slab = {ndim, start, count, NULL};

        if (start[0] + count[0] > shape[0]) {   /* the last, shorter slab */
            count[0] = shape[0] - start[0];
            n = slab_elems / (size_t)c0 * (size_t)count[0];
        }
        if (dt_var_read(var, &slab, DT_UINT16, buf, n * sizeof *buf) < 0) {
            rc = bench_fail("b5_sum");
            goto out;
        }
        sum += sum_u16(buf, n);
        count[0] = c0;
    }
    printf("seconds=%.6f sum=%" PRIu64 " peak_rss_kib=%ld slab_bytes=%zu chunk_bytes=%" PRIu64
           " threads=%u\n", bench_now() - t0, sum, bench_peak_rss_kib(),
           slab_elems * sizeof *buf, chunk_bytes, threads);
    rc = 0;
out:
    free(buf);
    dt_tree_free(tree);
    return rc;
}
