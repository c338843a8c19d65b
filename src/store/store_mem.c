/* store_mem.c: an in-memory store (tests and fuzzing): keys kept sorted,
 * one lock for every call. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "util.h"

typedef struct mem_entry {
    char *key;
    unsigned char *data;
    size_t len;
} mem_entry;

typedef struct mem_store {
    dt__store base;
    pthread_mutex_t lock;
    mem_entry *e;
    size_t n, cap;
} mem_store;

/* Index of key, or where it would go (*found 0). */
static size_t find(const mem_store *m, const char *key, int *found)
{
    size_t lo = 0, hi = m->n;

    *found = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->e[mid].key, key);

        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int mem_get(dt__store *s, const char *key, uint64_t offset, uint64_t length,
                   unsigned flags, dt__bytes *out, uint64_t *total)
{
    mem_store *m = (mem_store *)s;
    uint64_t off, len;
    size_t i;
    int found, rc;

    pthread_mutex_lock(&m->lock);
    i = find(m, key, &found);
    if (!found) {
        rc = dt__fail_at(DT_ENOTFOUND, s->name, key, "no such key");
        goto out;
    }
    if (total)
        *total = m->e[i].len;
    rc = dt__store_range_resolve(s, key, m->e[i].len, offset, length, flags, &off, &len);
    if (rc < 0)
        goto out;
    out->data = dt__malloc(len ? (size_t)len : 1);
    if (!out->data) {
        rc = DT_ENOMEM;
        goto out;
    }
    if (len)
        memcpy(out->data, m->e[i].data + off, (size_t)len);
    out->len = (size_t)len;
out:
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static int mem_set(dt__store *s, const char *key, const void *data, size_t n)
{
    mem_store *m = (mem_store *)s;
    unsigned char *copy;
    size_t i;
    int found, rc = DT_OK;

    if (n > s->limits.max_alloc)
        return dt__fail_at(DT_ELIMIT, s->name, key, "%zu bytes, over the limit", n);
    copy = dt__malloc(n ? n : 1);
    if (!copy)
        return DT_ENOMEM;
    if (n)
        memcpy(copy, data, n);
    pthread_mutex_lock(&m->lock);
    i = find(m, key, &found);
    if (found) {
        free(m->e[i].data);
        m->e[i].data = copy;
        m->e[i].len = n;
        goto out;
    }
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        mem_entry *p = dt__realloc(m->e, cap * sizeof *p);

        if (!p) {
            rc = DT_ENOMEM;
            goto fail;
        }
        m->e = p;
        m->cap = cap;
    }
    {
        char *k = dt__strdup(key);

        if (!k) {
            rc = DT_ENOMEM;
            goto fail;
        }
        memmove(m->e + i + 1, m->e + i, (m->n - i) * sizeof *m->e);
        m->e[i].key = k;
        m->e[i].data = copy;
        m->e[i].len = n;
        m->n++;
    }
    goto out;
fail:
    free(copy);
out:
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static int mem_erase(dt__store *s, const char *key)
{
    mem_store *m = (mem_store *)s;
    size_t i;
    int found, rc = DT_OK;

    pthread_mutex_lock(&m->lock);
    i = find(m, key, &found);
    if (!found) {
        rc = dt__fail_at(DT_ENOTFOUND, s->name, key, "no such key");
    } else {
        free(m->e[i].key);
        free(m->e[i].data);
        memmove(m->e + i, m->e + i + 1, (m->n - i - 1) * sizeof *m->e);
        m->n--;
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static int mem_list(dt__store *s, const char *prefix, dt__keylist *out)
{
    mem_store *m = (mem_store *)s;
    size_t plen = strlen(prefix), i;
    int found, rc = DT_OK;

    pthread_mutex_lock(&m->lock);
    /* keys are sorted: those under prefix follow one another */
    for (i = find(m, prefix, &found); i < m->n && rc == DT_OK; i++) {
        const char *k = m->e[i].key, *rest, *slash;
        size_t seg;

        if (strncmp(k, prefix, plen) != 0)
            break;
        rest = k + plen;
        slash = strchr(rest, '/');
        seg = slash ? (size_t)(slash - rest) : strlen(rest);
        /* the keys below one name are adjacent: list the name once */
        if (out->n && out->is_prefix[out->n - 1] == (slash != NULL) &&
            strlen(out->names[out->n - 1]) == seg &&
            memcmp(out->names[out->n - 1], rest, seg) == 0)
            continue;
        rc = dt__keylist_add(out, rest, seg, slash != NULL);
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static void mem_close(dt__store *s)
{
    mem_store *m = (mem_store *)s;

    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->e[i].key);
        free(m->e[i].data);
    }
    free(m->e);
    pthread_mutex_destroy(&m->lock);
    free(m->base.name);
    free(m);
}

static const dt__store_ops mem_ops = {
    1, "memory", mem_get, mem_set, mem_erase, mem_list, mem_close,
};

int dt__store_mem_new(dt__store **out, const char *name, const dt_limits *limits)
{
    static const dt_limits defaults = DT_LIMITS_INIT;
    mem_store *m;

    if (!out)
        return dt__fail(DT_EINVAL, "dt__store_mem_new: NULL argument");
    *out = NULL;
    m = dt__calloc(1, sizeof *m);
    if (!m)
        return DT_ENOMEM;
    m->base.ops = &mem_ops;
    m->base.limits = limits ? *limits : defaults;
    m->base.name = dt__strdup(name ? name : "memory");
    if (!m->base.name) {
        free(m);
        return DT_ENOMEM;
    }
    pthread_mutex_init(&m->lock, NULL);
    *out = &m->base;
    return DT_OK;
}
