/* store.c: what every store shares: key rules, range checks, listings and
 * the calls that dispatch through a store's vtable. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "util.h"

/* Longest key we accept: the longest path a POSIX system resolves. */
#define MAX_KEY 4096

void dt__bytes_free(dt__bytes *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = 0;
}

void dt__keylist_free(dt__keylist *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
    free(l->is_prefix);
    memset(l, 0, sizeof *l);
}

int dt__keylist_add(dt__keylist *l, const char *name, size_t len, int is_prefix)
{
    char *copy;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **names;
        unsigned char *flags;

        if (cap > SIZE_MAX / sizeof *names)
            return dt__fail(DT_ELIMIT, "a listing of more than %zu names", l->cap);
        names = dt__realloc(l->names, cap * sizeof *names);
        if (!names)
            return DT_ENOMEM;
        l->names = names;
        flags = dt__realloc(l->is_prefix, cap);
        if (!flags)
            return DT_ENOMEM;
        l->is_prefix = flags;
        l->cap = cap;
    }
    copy = dt__strndup(name, len);
    if (!copy)
        return DT_ENOMEM;
    l->names[l->n] = copy;
    l->is_prefix[l->n] = is_prefix != 0;
    l->n++;
    return DT_OK;
}

typedef struct list_item {
    char *name;
    unsigned char is_prefix;
} list_item;

static int item_cmp(const void *a, const void *b)
{
    const list_item *x = a, *y = b;
    int c = strcmp(x->name, y->name);

    return c ? c : (int)x->is_prefix - (int)y->is_prefix;
}

void dt__keylist_sort(dt__keylist *l)
{
    list_item *items;
    size_t k = 0;

    if (l->n < 2)
        return;
    items = malloc(l->n * sizeof *items);
    if (!items) {
        /* insertion sort in place: slow but never fails */
        for (size_t i = 1; i < l->n; i++) {
            for (size_t j = i; j > 0; j--) {
                list_item a = {l->names[j - 1], l->is_prefix[j - 1]};
                list_item b = {l->names[j], l->is_prefix[j]};

                if (item_cmp(&a, &b) <= 0)
                    break;
                l->names[j - 1] = b.name;
                l->is_prefix[j - 1] = b.is_prefix;
                l->names[j] = a.name;
                l->is_prefix[j] = a.is_prefix;
            }
        }
    } else {
        for (size_t i = 0; i < l->n; i++) {
            items[i].name = l->names[i];
            items[i].is_prefix = l->is_prefix[i];
        }
        qsort(items, l->n, sizeof *items, item_cmp);
        for (size_t i = 0; i < l->n; i++) {
            l->names[i] = items[i].name;
            l->is_prefix[i] = items[i].is_prefix;
        }
        free(items);
    }
    for (size_t i = 0; i < l->n; i++) {
        if (k > 0 && strcmp(l->names[k - 1], l->names[i]) == 0 &&
            l->is_prefix[k - 1] == l->is_prefix[i]) {
            free(l->names[i]);
            continue;
        }
        l->names[k] = l->names[i];
        l->is_prefix[k] = l->is_prefix[i];
        k++;
    }
    l->n = k;
}

/* The segment rules shared by keys and prefixes; `what` names the kind. */
static int check_segments(const dt__store *s, const char *key, size_t len,
                          const char *what)
{
    const char *name = s && s->name ? s->name : NULL;
    size_t start = 0;

    if (len > MAX_KEY)
        return dt__fail_at(DT_EINVAL, name, NULL, "a %s of %zu bytes is longer than %d",
                           what, len, MAX_KEY);
    if (key[0] == '/')
        return dt__fail_at(DT_EINVAL, name, key, "an absolute %s is refused: keys are "
                           "relative to the store", what);
    if (memchr(key, '\\', len))
        return dt__fail_at(DT_EINVAL, name, key, "a %s with '\\' is refused: it is a path "
                           "separator on some systems", what);
    for (size_t i = 0; i <= len; i++) {
        size_t seg;

        if (i < len && key[i] != '/')
            continue;
        seg = i - start;
        if (seg == 0)
            return dt__fail_at(DT_EINVAL, name, key, "the %s has an empty segment", what);
        if ((seg == 1 && key[start] == '.') ||
            (seg == 2 && key[start] == '.' && key[start + 1] == '.'))
            return dt__fail_at(DT_EINVAL, name, key, "the %s has a \"%.*s\" segment: keys "
                               "never leave the store", what, (int)seg, key + start);
        start = i + 1;
    }
    return DT_OK;
}

int dt__store_key_check(const dt__store *s, const char *key)
{
    if (!key || !key[0])
        return dt__fail_at(DT_EINVAL, s ? s->name : NULL, NULL, "an empty key");
    return check_segments(s, key, strlen(key), "key");
}

int dt__store_prefix_check(const dt__store *s, const char *prefix)
{
    size_t n;

    if (!prefix)
        return dt__fail_at(DT_EINVAL, s ? s->name : NULL, NULL, "no prefix given");
    n = strlen(prefix);
    if (n == 0)
        return DT_OK;
    if (prefix[n - 1] != '/')
        return dt__fail_at(DT_EINVAL, s ? s->name : NULL, prefix,
                           "a listing prefix ends with '/'");
    return check_segments(s, prefix, n - 1, "prefix");
}

int dt__store_range_resolve(const dt__store *s, const char *key, uint64_t size,
                            uint64_t offset, uint64_t length, unsigned flags,
                            uint64_t *off, uint64_t *len)
{
    uint64_t end;

    if (flags & DT__STORE_SUFFIX) {
        if (length > size)
            return dt__fail_at(DT_EFORMAT, s->name, key, "the last %" PRIu64 " bytes were "
                               "asked for, the value has %" PRIu64, length, size);
        *off = size - length;
        *len = length;
    } else if (length == UINT64_MAX && offset == 0) {
        *off = 0;
        *len = size;
    } else {
        if (dt__add_u64(&end, offset, length) || end > size)
            return dt__fail_at(DT_EFORMAT, s->name, key, "%" PRIu64 " bytes at offset %"
                               PRIu64 " were asked for, the value has %" PRIu64,
                               length, offset, size);
        *off = offset;
        *len = length;
    }
    if (*len > s->limits.max_alloc)
        return dt__fail_at(DT_ELIMIT, s->name, key, "%" PRIu64 " bytes to read, over the "
                           "limit of %" PRIu64, *len, s->limits.max_alloc);
    return DT_OK;
}

int dt__store_get(dt__store *s, const char *key, dt__bytes *out)
{
    return dt__store_get_range(s, key, 0, UINT64_MAX, 0, out, NULL);
}

int dt__store_get_range(dt__store *s, const char *key, uint64_t offset, uint64_t length,
                        unsigned flags, dt__bytes *out, uint64_t *total)
{
    int rc;

    out->data = NULL;
    out->len = 0;
    if (total)
        *total = 0;
    rc = dt__store_key_check(s, key);
    if (rc < 0)
        return rc;
    return s->ops->get(s, key, offset, length, flags, out, total);
}

int dt__store_set(dt__store *s, const char *key, const void *data, size_t n)
{
    int rc = dt__store_key_check(s, key);

    if (rc < 0)
        return rc;
    if (n && !data)
        return dt__fail_at(DT_EINVAL, s->name, key, "no bytes given");
    if (!s->ops->set)
        return dt__fail_at(DT_EUNSUPPORTED, s->name, key, "the %s store is read-only",
                           s->ops->kind);
    return s->ops->set(s, key, data, n);
}

int dt__store_erase(dt__store *s, const char *key)
{
    int rc = dt__store_key_check(s, key);

    if (rc < 0)
        return rc;
    if (!s->ops->erase)
        return dt__fail_at(DT_EUNSUPPORTED, s->name, key, "the %s store is read-only",
                           s->ops->kind);
    return s->ops->erase(s, key);
}

int dt__store_list(dt__store *s, const char *prefix, dt__keylist *out)
{
    int rc;

    memset(out, 0, sizeof *out);
    rc = dt__store_prefix_check(s, prefix);
    if (rc < 0)
        return rc;
    rc = s->ops->list(s, prefix, out);
    if (rc < 0) {
        dt__keylist_free(out);
        return rc;
    }
    dt__keylist_sort(out);
    return DT_OK;
}

void dt__store_close(dt__store *s)
{
    if (s)
        s->ops->close(s);
}
