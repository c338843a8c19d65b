/* b4_read.c: bench B4, throughput: read a whole variable into one buffer
 * with dt_var_read, as an embedder loading an array would.
 *
 *   b4_read [-t THREADS] FILE /path/to/var [malloc|huge|touched]
 *
 * Prints `open_s=... read_s=... bytes=... mib_s=... sum=...`: read_s covers
 * the lookup, the buffer's allocation and the read (like h5py's ds[...],
 * which allocates its array); sum adds the elements (16-bit unsigned
 * integers, else bytes) after the clock stops, so the driver can check the
 * data.
 *
 * The buffer: "malloc" (the default), as a C embedder would get it; "huge"
 * also asks for transparent huge pages as numpy does for its arrays
 * (madvise(MADV_HUGEPAGE)). On our machine (THP on madvise, defrag on
 * madvise) huge pages made no difference to h5py and made this program
 * slower (compaction stalls), so the driver uses malloc. "touched" mallocs
 * and writes the buffer before the clock starts: the read alone, without
 * the kernel faulting in and zeroing fresh pages (for the record). */
#define _DEFAULT_SOURCE /* madvise */
#include "benchutil.h"

#include <inttypes.h>
#include <sys/mman.h>

#define HUGE_ALIGN ((size_t)2 << 20)

/* A buffer for the read, as numpy would allocate it, or plain malloc. */
static void *alloc_buf(size_t n, int huge)
{
    size_t whole = (n + HUGE_ALIGN - 1) / HUGE_ALIGN * HUGE_ALIGN;
    void *p = NULL;

    if (!huge || whole < n)
        return malloc(n ? n : 1);
    if (posix_memalign(&p, HUGE_ALIGN, whole ? whole : 1) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, whole, MADV_HUGEPAGE);
#endif
    return p;
}

static uint64_t sum_elems(const void *buf, uint64_t n, dt_type t)
{
    uint64_t s = 0;

    if (t == DT_UINT16) {
        const uint16_t *p = buf;
        for (uint64_t i = 0; i < n; i++)
            s += p[i];
    } else {
        /* any other type: the bytes, which still tells runs apart */
        const unsigned char *p = buf;
        uint64_t nb = n * dt_type_size(t);
        for (uint64_t i = 0; i < nb; i++)
            s += p[i];
    }
    return s;
}

int main(int argc, char **argv)
{
    unsigned threads = bench_threads(&argc, &argv);
    dt_tree *tree = NULL;
    dt_var *var = NULL;
    void *buf = NULL;
    uint64_t n = 0;
    size_t nbytes;
    double t0, t1, t2, skipped = 0;
    dt_type t;
    int rc = 1, huge, touched;

    if ((argc != 3 && argc != 4) ||
        (argc == 4 && strcmp(argv[3], "huge") != 0 && strcmp(argv[3], "malloc") != 0 &&
         strcmp(argv[3], "touched") != 0)) {
        fprintf(stderr, "usage: b4_read [-t THREADS] FILE /path/to/var [malloc|huge|touched]\n");
        return 2;
    }
    huge = argc == 4 && strcmp(argv[3], "huge") == 0;
    touched = argc == 4 && strcmp(argv[3], "touched") == 0;
    t0 = bench_now();
    if (bench_open(&tree, argv[1], threads) < 0)
        return bench_fail("b4_read");
    t1 = bench_now();
    if (dt_var_lookup(&var, dt_tree_root(tree), argv[2]) < 0 || dt_var_nelems(&n, var) < 0) {
        rc = bench_fail("b4_read");
        goto out;
    }
    t = dt_var_type(var);
    nbytes = (size_t)n * dt_type_size(t);
    buf = alloc_buf(nbytes, huge);
    if (!buf) {
        fprintf(stderr, "b4_read: cannot allocate %zu bytes\n", nbytes);
        goto out;
    }
    if (touched) {
        double t3 = bench_now();

        memset(buf, 1, nbytes);
        skipped = bench_now() - t3;
    }
    if (dt_var_read(var, NULL, t, buf, nbytes) < 0) {
        rc = bench_fail("b4_read");
        goto out;
    }
    t2 = bench_now();
    printf("open_s=%.6f read_s=%.6f bytes=%zu mib_s=%.1f sum=%" PRIu64 "\n", t1 - t0,
           t2 - t1 - skipped, nbytes, (double)nbytes / (1 << 20) / (t2 - t1 - skipped),
           sum_elems(buf, n, t));
    rc = 0;
out:
    free(buf);
    dt_tree_free(tree);
    return rc;
}
