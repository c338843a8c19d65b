/* alloc.c: allocation wrappers that set DT_ENOMEM, enforce file-driven
 * limits, and let tests fail the Nth allocation. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Per thread, so a test's countdown never leaks into another thread. */
static _Thread_local long fail_countdown = -1;

void dt__alloc_fail_after(long countdown)
{
    fail_countdown = countdown;
}

long dt__alloc_countdown(void)
{
    return fail_countdown;
}

static bool injected_failure(void)
{
    if (fail_countdown < 0)
        return false;
    if (fail_countdown == 0) {
        fail_countdown = -1;
        return true;
    }
    fail_countdown--;
    return false;
}

static void *nomem(size_t n)
{
    dt__fail(DT_ENOMEM, "out of memory allocating %zu bytes", n);
    return NULL;
}

void *dt__malloc(size_t n)
{
    void *p;

    if (injected_failure())
        return nomem(n);
    p = malloc(n ? n : 1);
    return p ? p : nomem(n);
}

void *dt__calloc(size_t n, size_t size)
{
    void *p;

    if (injected_failure())
        return nomem(n * size);
    p = calloc(n ? n : 1, size ? size : 1);
    return p ? p : nomem(n * size);
}

void *dt__realloc(void *old, size_t n)
{
    void *p;

    if (injected_failure())
        return nomem(n);
    p = realloc(old, n ? n : 1);
    return p ? p : nomem(n);
}

char *dt__strndup(const char *s, size_t n)
{
    char *p = dt__malloc(n + 1);

    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *dt__strdup(const char *s)
{
    return dt__strndup(s, strlen(s));
}

void *dt__malloc_limited(uint64_t n, uint64_t max_alloc, const char *what)
{
    size_t sz;

    if (n > max_alloc) {
        dt__fail(DT_ELIMIT, "%s needs %" PRIu64 " bytes, over the limit of %" PRIu64,
                 what, n, max_alloc);
        return NULL;
    }
    if (dt__u64_to_size(&sz, n) < 0)
        return NULL;
    return dt__malloc(sz);
}

int dt__u64_to_size(size_t *out, uint64_t n)
{
    if (n > SIZE_MAX) {
        *out = 0;
        return dt__fail(DT_ELIMIT, "%" PRIu64 " does not fit in memory sizes", n);
    }
    *out = (size_t)n;
    return DT_OK;
}

void dt_free(void *p)
{
    free(p);
}

int dt__grow_array(void *pp, size_t *cap, size_t n, size_t esize)
{
    void **p = pp;
    size_t nc;
    void *q;

    if (n < *cap)
        return DT_OK;
    nc = *cap ? *cap * 2 : 8;
    if (nc > SIZE_MAX / esize)
        return dt__fail(DT_ELIMIT, "too many elements for one array");
    q = dt__realloc(*p, nc * esize);
    if (!q)
        return DT_ENOMEM;
    *p = q;
    *cap = nc;
    return DT_OK;
}
