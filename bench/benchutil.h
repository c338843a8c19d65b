/* benchutil.h: what the bench programs share: a clock, peak RSS, opening a
 * tree with a thread count, and failing with libdtree's message. They use
 * dtree.h only, like any embedder. */
#ifndef BENCHUTIL_H
#define BENCHUTIL_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <dtree.h>

static inline double bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Peak resident set of this process so far, in KiB (Linux ru_maxrss). */
static inline long bench_peak_rss_kib(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return ru.ru_maxrss;
}

static inline int bench_fail(const char *prog)
{
    fprintf(stderr, "%s: %s\n", prog, dt_error_last()->message);
    return 1;
}

/* "-t N" as the first two arguments sets the decoding threads (0: cores). */
static inline unsigned bench_threads(int *argc, char ***argv)
{
    unsigned n = 0;

    if (*argc >= 3 && strcmp((*argv)[1], "-t") == 0) {
        n = (unsigned)strtoul((*argv)[2], NULL, 10);
        (*argv)[2] = (*argv)[0];
        *argv += 2;
        *argc -= 2;
    }
    return n;
}

static inline int bench_open(dt_tree **out, const char *path, unsigned threads)
{
    dt_open_opts o = DT_OPEN_OPTS_INIT;

    o.threads = threads;
    return dt_tree_open(out, path, &o);
}

#endif /* BENCHUTIL_H */
