/* fuzz_util.h: what the libFuzzer harnesses share: the limits they open
 * files with, a walk that touches everything a reader builds (groups,
 * dims, attributes, coordinates, the data of every small variable), and
 * the key/value archive the store harness decodes its input from. */
#ifndef DT_FUZZ_UTIL_H
#define DT_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtree.h"
#include "store/store.h"

/* Small enough that a hostile size is refused quickly, large enough for
 * every fixture. */
#define FUZZ_MAX_ALLOC ((uint64_t)64 << 20)
/* Variables with more elements than this are not read (a fill-valued
 * array of 10^12 elements is valid and would only burn time). */
#define FUZZ_MAX_READ ((uint64_t)1 << 20)

static inline dt_open_opts fuzz_open_opts(void)
{
    dt_open_opts o = DT_OPEN_OPTS_INIT;

    o.threads = 1;
    o.limits.max_alloc = FUZZ_MAX_ALLOC;
    return o;
}

static inline int fuzz_coord(const dt_coord_info *ci, void *ud)
{
    (void)ud;
    (void)dt_var_name(ci->var);
    return 0;
}

static inline void fuzz_attrs(const dt_attrs *attrs)
{
    for (size_t i = 0; i < dt_attrs_count(attrs); i++) {
        const dt_attr *a = dt_attrs_at(attrs, i);

        (void)dt_attr_name(a);
        (void)dt_attr_type(a);
        (void)dt_attr_data(a);
    }
}

static inline int fuzz_visit(dt_node *node, void *ud)
{
    (void)ud;
    fuzz_attrs(dt_node_attrs(node));
    for (size_t i = 0; i < dt_node_dim_count(node); i++) {
        dt_dim_info d;

        (void)dt_node_dim(&d, node, i);
    }
    (void)dt_node_coords(node, DT_INHERIT_ALL, fuzz_coord, NULL);
    for (size_t i = 0; i < dt_node_var_count(node); i++) {
        const dt_var *v = dt_node_var(node, i);
        uint64_t n = 0;
        unsigned char digest[32];

        fuzz_attrs(dt_var_attrs(v));
        (void)dt_var_fill(v);
        if (dt_var_nelems(&n, v) == DT_OK && n <= FUZZ_MAX_READ)
            (void)dt_var_digest(digest, v, NULL);
    }
    return 0;
}

/* Load every group and read everything small; errors are expected (the
 * input is hostile), crashes and leaks are what the fuzzer looks for. */
static inline void fuzz_walk(dt_tree *tree)
{
    dt_node *root = dt_tree_root(tree);

    (void)dt_node_load_all(root);
    (void)dt_node_walk(root, fuzz_visit, NULL);
    dt_error_clear();
}

/* The archive: records "@@ KEY\n" followed by the value, up to the next
 * "\n@@ " or the end. Keys the store refuses are skipped. */
static inline void fuzz_unpack(dt__store *s, const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;

    if (size < 3 || memcmp(p, "@@ ", 3) != 0)
        return;
    while (p < end) {
        const char *key, *nl, *val, *next;
        char *k;

        p += 3;
        key = p;
        nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return;
        val = nl + 1;
        next = val;
        for (;;) {
            next = memchr(next, '\n', (size_t)(end - next));
            if (!next || end - next < 4 || memcmp(next, "\n@@ ", 4) == 0)
                break;
            next++;
        }
        if (!next || end - next < 4)
            next = end;
        k = strndup(key, (size_t)(nl - key));
        if (k && !memchr(key, '\0', (size_t)(nl - key)))
            (void)dt__store_set(s, k, val, (size_t)(next - val));
        free(k);
        if (next == end)
            break;
        p = next + 1;
    }
    dt_error_clear();
}

#endif /* DT_FUZZ_UTIL_H */
