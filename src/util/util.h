/* util.h: internal helpers shared by every layer: errors, allocation,
 * checked size arithmetic and growable strings. */
#ifndef DT_UTIL_H
#define DT_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtree.h"

#if defined(__GNUC__)
#define DT__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define DT__PRINTF(f, a)
#endif

/* ---- errors (err.c) ---- */

/* Set this thread's error: code and problem text; file and path unset.
 * Returns code, so `return dt__fail(DT_EINVAL, "...")` reads well. */
int dt__fail(int code, const char *fmt, ...) DT__PRINTF(2, 3);
int dt__vfail(int code, const char *fmt, va_list ap) DT__PRINTF(2, 0);
/* Same, naming the file and the object inside it (either may be NULL). */
int dt__fail_at(int code, const char *file, const char *path,
                const char *fmt, ...) DT__PRINTF(4, 5);
/* Fill in the file and/or path of the current error where still unset, and
 * return its code (or `code` when no error is set). */
int dt__err_locate(int code, const char *file, const char *path);
/* Prefix the problem text ("while reading x: <old problem>"). */
void dt__err_prefix(const char *fmt, ...) DT__PRINTF(1, 2);

/* A copy of this thread's error, to carry it to another thread: a worker
 * saves its failure, the thread that waits for it restores it. */
typedef struct dt__err_saved {
    int code;
    char problem[1024];
    char file[512];
    char path[512];
} dt__err_saved;

void dt__err_save(dt__err_saved *out);
/* Make the saved error this thread's error. */
void dt__err_restore(const dt__err_saved *e);

/* ---- allocation (alloc.c) ---- */

/* Each sets DT_ENOMEM on failure. Tests can make the Nth call fail. */
void *dt__malloc(size_t n);
void *dt__calloc(size_t n, size_t size);
void *dt__realloc(void *p, size_t n);
char *dt__strdup(const char *s);
char *dt__strndup(const char *s, size_t n);
/* An allocation whose size a file dictates: refused with DT_ELIMIT naming
 * `what` when it is over max_alloc. */
void *dt__malloc_limited(uint64_t n, uint64_t max_alloc, const char *what);
/* The longest fixed-length string type the model holds: bytes N and
 * unicode N (code points) with N up to this. */
#define DT__FIXED_STRING_MAX (1u << 20)

/* The most bytes one attribute value read from a file may take: its own
 * limit, and never more than max_alloc. */
static inline uint64_t dt__attr_cap(const dt_limits *lim)
{
    return lim->max_attr_bytes < lim->max_alloc ? lim->max_attr_bytes : lim->max_alloc;
}
/* Make room for element n of the array *pp (of *cap elements of esize
 * bytes), doubling it; DT_ENOMEM or DT_ELIMIT leave it as it was. */
int dt__grow_array(void *pp, size_t *cap, size_t n, size_t esize);
/* Test hook: the countdown-th allocation from now fails (-1: never). */
void dt__alloc_fail_after(long countdown);
/* What is left of the countdown: -1 once the failure happened (or none was
 * set), so a loop knows when a run made fewer allocations than asked. */
long dt__alloc_countdown(void);

/* ---- thread pool (pool.c) ---- */

/* A fixed set of threads that runs batches of independent jobs: a pool of
 * n threads has n - 1 workers, and the thread that runs a batch works on it
 * too. Several threads may run batches on one pool at once. */
typedef struct dt__pool dt__pool;

/* Job i of a batch; DT_OK or a DT_E* code with this thread's error set. */
typedef int (*dt__pool_job)(void *ud, size_t i);

/* Online processors (at least 1). */
unsigned dt__cpu_count(void);
/* A pool of `threads` threads (0: dt__cpu_count(), at most 256). One
 * thread needs no pool: *out is NULL, which dt__pool_run accepts. */
int dt__pool_new(dt__pool **out, unsigned threads);
/* Wait for the workers to finish and free the pool (no batch may be
 * running); NULL is fine. */
void dt__pool_free(dt__pool *pool);
/* Threads that work on a batch (1 for NULL). */
unsigned dt__pool_threads(const dt__pool *pool);
/* Run job(ud, i) for every i below n and wait for all. Jobs are started in
 * the order of i; after a failure the jobs not yet started are skipped.
 * Returns DT_OK or the code of the failed job of lowest i, whose error
 * becomes the calling thread's. */
int dt__pool_run(dt__pool *pool, size_t n, dt__pool_job job, void *ud);
/* The same, and mine(mine_ud) runs on the calling thread while the workers
 * start on the batch (to prepare the next one); then the caller helps. A
 * failure of mine skips the jobs not started; a failed job's error wins
 * over mine's. */
int dt__pool_run_with(dt__pool *pool, size_t n, dt__pool_job job, void *ud,
                      int (*mine)(void *), void *mine_ud);

/* ---- checked arithmetic (checked.h semantics, true on overflow) ---- */

static inline bool dt__mul_u64(uint64_t *out, uint64_t a, uint64_t b)
{
    return __builtin_mul_overflow(a, b, out);
}

static inline bool dt__add_u64(uint64_t *out, uint64_t a, uint64_t b)
{
    return __builtin_add_overflow(a, b, out);
}

/* DT_ELIMIT when n does not fit a size_t. */
int dt__u64_to_size(size_t *out, uint64_t n);

/* ---- strings (str.c) ---- */

typedef struct dt__buf {
    char *data;   /* NUL-terminated when len > 0 or after any append */
    size_t len;
    size_t cap;
    int failed;   /* an append failed (DT_ENOMEM set); later appends no-op */
} dt__buf;

void dt__buf_init(dt__buf *b);
void dt__buf_free(dt__buf *b);
int dt__buf_append(dt__buf *b, const void *p, size_t n);
int dt__buf_puts(dt__buf *b, const char *s);
int dt__buf_putc(dt__buf *b, char c);
int dt__buf_printf(dt__buf *b, const char *fmt, ...) DT__PRINTF(2, 3);
/* Hand the string over (never NULL on success; "" for an empty buffer). */
char *dt__buf_take(dt__buf *b);

/* printf into a new string; NULL with DT_ENOMEM on failure. */
char *dt__aprintf(const char *fmt, ...) DT__PRINTF(1, 2);
/* Valid UTF-8 (no overlongs, no surrogates), n bytes. */
bool dt__utf8_valid(const char *s, size_t n);

#endif /* DT_UTIL_H */
