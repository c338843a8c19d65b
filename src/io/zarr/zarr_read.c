/* zarr_read.c: open a Zarr v2 or v3 directory store as a lazy tree: the
 * root's documents and the consolidated metadata at open; each group's
 * documents and its arrays' when the group is first used. */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "zarr_internal.h"

/* One node of consolidated metadata (v2 .zmetadata, v3 inline). */
typedef struct centry {
    char *path;                  /* "" for the root, "a", "a/b" */
    struct json_object *group;   /* v2 .zgroup, v3 group zarr.json (borrowed) */
    struct json_object *attrs;   /* v2 .zattrs */
    struct json_object *array;   /* v2 .zarray, v3 array zarr.json */
} centry;

struct dt__zreader {
    dt__store *store;
    int v3;
    dt_limits limits;
    dt__zgroup **g;
    size_t ng, capg;
    struct json_object *root_doc;  /* v3 zarr.json, v2 .zgroup (may be NULL) */
    struct json_object *zmeta;     /* v2 .zmetadata */
    centry *cons;                  /* consolidated nodes, by path */
    size_t ncons, capcons;
    int consolidated;
    unsigned threads;              /* dt_open_opts.threads (0: the cores) */
    int writable;                  /* dt_open_opts.writable */
    pthread_mutex_t pool_lock;     /* guards pool and pool_made */
    dt__pool *pool;
    int pool_made;
};

static const char *const group_members[] = {
    "zarr_format", "node_type", "attributes", "consolidated_metadata", "libdtree", NULL,
};

/* ------------------------------------------------------------------------ */
/* Arrays (shared by the v2 and v3 parsers)                                 */

void dt__zshard_free(dt__zshard *s)
{
    if (!s)
        return;
    dt__chain_clear(&s->chain);
    dt__zshard_free(s->nested);
    free(s);
}

void dt__zarray_free(dt__zarray *a)
{
    if (!a)
        return;
    free(a->name);
    free(a->prefix);
    if (a->fill) {
        if (DT_TYPE_CLASS(a->type) == DT_STRING)
            free(*(char **)a->fill);
        free(a->fill);
    }
    dt__chain_clear(&a->chain);
    dt__zshard_free(a->shard);
    free(a->unreadable);
    for (size_t i = 0; a->dimnames && i < a->ndim; i++)
        free(a->dimnames[i]);
    free(a->dimnames);
    if (a->attrs)
        json_object_put(a->attrs);
    free(a->asked);
    if (a->atypes)
        json_object_put(a->atypes);
    if (a->ashapes)
        json_object_put(a->ashapes);
    if (a->enums)
        json_object_put(a->enums);
    for (size_t i = 0; i < a->nlabels; i++)
        free(a->labels[i]);
    free(a->labels);
    free(a);
}

void dt__zarray_unreadable(dt__zarray *a)
{
    const dt_error *e = dt_error_last();

    if (!a->unreadable) {
        a->unreadable = dt__strdup(e->message);
        a->unreadable_code = e->code < 0 ? e->code : DT_EUNSUPPORTED;
    }
    dt_error_clear();
}

int dt__zarray_label(dt__zarray *a, const char *label)
{
    char **p = dt__realloc(a->labels, (a->nlabels + 1) * sizeof *p);

    if (!p)
        return DT_ENOMEM;
    a->labels = p;
    a->labels[a->nlabels] = dt__strdup(label);
    if (!a->labels[a->nlabels])
        return DT_ENOMEM;
    a->nlabels++;
    return DT_OK;
}

int dt__zarray_check_grid(const dt__zarray *a, const dt_limits *lim, const char *store,
                          const char *where)
{
    uint64_t elems = 1, chunk = 1, es = dt_type_size(a->type), bytes;
    size_t nd = a->v3 || a->ndim ? a->ndim : 0;

    if (nd > lim->max_rank)
        return dt__fail_at(DT_ELIMIT, store, where, "\"shape\" has %zu dimensions, the limit "
                           "is %" PRIu32, nd, lim->max_rank);
    if (es == 0)
        es = 1;
    for (size_t i = 0; i < nd; i++) {
        if (a->chunks[i] == 0)
            return dt__fail_at(DT_EFORMAT, store, where, "chunks[%zu] is 0: a chunk holds at "
                               "least one element along each axis", i);
        if (dt__mul_u64(&elems, elems, a->shape[i]))
            elems = UINT64_MAX;
        if (dt__mul_u64(&chunk, chunk, a->chunks[i]))
            chunk = UINT64_MAX;
    }
    if (elems == UINT64_MAX)
        return dt__fail_at(DT_ELIMIT, store, where, "the array is too big: its element "
                           "count overflows 64 bits");
    if (dt__mul_u64(&bytes, elems, es))
        return dt__fail_at(DT_ELIMIT, store, where, "the array is too big: %" PRIu64
                           " elements of %" PRIu64 " bytes are 2^64 bytes or more",
                           elems, es);
    if (chunk == UINT64_MAX || dt__mul_u64(&bytes, chunk, es))
        return dt__fail_at(DT_ELIMIT, store, where, "a chunk is too big: its size overflows "
                           "64 bits");
    return DT_OK;
}

/* ------------------------------------------------------------------------ */
/* The reader                                                               */

dt__zgroup *dt__zreader_group(dt__zreader *r, size_t gi)
{
    return r->g[gi];
}

const dt_limits *dt__zreader_limits(const dt__zreader *r)
{
    return &r->limits;
}

const char *dt__zreader_store_name(const dt__zreader *r)
{
    return r->store->name;
}

dt__store *dt__zreader_store(dt__zreader *r)
{
    return r->store;
}

int dt__zreader_writable(const dt__zreader *r)
{
    return r->writable;
}

dt__pool *dt__zreader_pool(dt__zreader *r)
{
    dt__pool *p;

    pthread_mutex_lock(&r->pool_lock);
    if (!r->pool_made) {
        r->pool_made = 1;
        if (r->threads != 1 && dt__pool_new(&r->pool, r->threads) < 0) {
            dt_error_clear(); /* no threads to spare: decode on the caller's */
            r->pool = NULL;
        }
    }
    p = r->pool;
    pthread_mutex_unlock(&r->pool_lock);
    return p;
}

static void group_free(dt__zgroup *g)
{
    if (!g)
        return;
    free(g->name);
    free(g->prefix);
    if (g->doc)
        json_object_put(g->doc);
    if (g->attrs)
        json_object_put(g->attrs);
    if (g->atypes)
        json_object_put(g->atypes);
    if (g->ashapes)
        json_object_put(g->ashapes);
    free(g->children);
    for (size_t i = 0; i < g->narrays; i++)
        dt__zarray_free(g->arrays[i]);
    free(g->arrays);
    for (size_t i = 0; i < g->nncdims; i++)
        free(g->ncdims[i].name);
    free(g->ncdims);
    free(g->scan_err);
    free(g);
}

static void reader_free(void *p)
{
    dt__zreader *r = p;

    if (!r)
        return;
    for (size_t i = 0; i < r->ng; i++)
        group_free(r->g[i]);
    free(r->g);
    for (size_t i = 0; i < r->ncons; i++)
        free(r->cons[i].path);
    free(r->cons);
    if (r->root_doc)
        json_object_put(r->root_doc);
    if (r->zmeta)
        json_object_put(r->zmeta);
    dt__pool_free(r->pool);
    pthread_mutex_destroy(&r->pool_lock);
    dt__store_close(r->store);
    free(r);
}

/* A new group record; doc is a reference the record takes over. */
static int add_group(dt__zreader *r, size_t parent, const char *name,
                     struct json_object *doc, size_t *out)
{
    dt__zgroup *g;
    int rc = DT_OK;

    if (r->ng == r->capg) {
        size_t cap = r->capg ? r->capg * 2 : 16;
        dt__zgroup **p = dt__realloc(r->g, cap * sizeof *p);

        if (!p)
            rc = DT_ENOMEM;
        else {
            r->g = p;
            r->capg = cap;
        }
    }
    g = rc == DT_OK ? dt__calloc(1, sizeof *g) : NULL;
    if (!g) {
        if (doc)
            json_object_put(doc);
        return DT_ENOMEM;
    }
    g->r = r;
    g->index = r->ng;
    g->doc = doc;
    g->parent = parent;
    g->depth = parent == DT__ZNONE ? 0 : r->g[parent]->depth + 1;
    g->name = dt__strdup(name);
    g->prefix = parent == DT__ZNONE ? dt__strdup("")
                                    : dt__aprintf("%s%s/", r->g[parent]->prefix, name);
    r->g[r->ng++] = g;
    if (!g->name || !g->prefix)
        return DT_ENOMEM;
    if (g->depth > dt__zarr_depth_limit(&r->limits))
        return dt__fail_at(DT_ELIMIT, r->store->name, g->prefix, "groups nest %zu deep, the "
                           "limit is %" PRIu32, g->depth, dt__zarr_depth_limit(&r->limits));
    if (parent != DT__ZNONE) {
        dt__zgroup *p = r->g[parent];
        size_t *c = dt__realloc(p->children, (p->nchildren + 1) * sizeof *c);

        if (!c)
            return DT_ENOMEM;
        p->children = c;
        c[p->nchildren++] = g->index;
    }
    *out = g->index;
    return DT_OK;
}

static int push_array(dt__zgroup *g, dt__zarray *a)
{
    dt__zarray **p = dt__realloc(g->arrays, (g->narrays + 1) * sizeof *p);

    if (!p) {
        dt__zarray_free(a);
        return DT_ENOMEM;
    }
    g->arrays = p;
    g->arrays[g->narrays++] = a;
    return DT_OK;
}

/* Read and parse a document; *obj is NULL when the key is missing. With
 * path (the document may hold a whole store's consolidated metadata
 * there), a big one is parsed on the pool's threads. */
static int read_doc_at(dt__zreader *r, const char *key, const char *const *path,
                       struct json_object **obj)
{
    dt__bytes b = {NULL, 0};
    int rc;

    *obj = NULL;
    rc = dt__store_get(r->store, key, &b);
    if (rc == DT_ENOTFOUND) {
        dt_error_clear();
        return DT_OK;
    }
    if (rc < 0)
        return rc;
    if (path && b.len >= ((size_t)1 << 20))
        rc = dt__zj_parse_split(obj, &b, &r->limits, r->store->name, key, path,
                                dt__zreader_pool(r));
    else
        rc = dt__zj_parse(obj, &b, &r->limits, r->store->name, key);
    dt__bytes_free(&b);
    return rc;
}

static int read_doc(dt__zreader *r, const char *key, struct json_object **obj)
{
    return read_doc_at(r, key, NULL, obj);
}

static int read_child_doc(dt__zreader *r, const char *prefix, const char *leaf,
                          struct json_object **obj)
{
    char *key = dt__aprintf("%s%s", prefix, leaf);
    int rc;

    if (!key)
        return DT_ENOMEM;
    rc = read_doc(r, key, obj);
    free(key);
    return rc;
}

/* zarr_format and node_type of a v3 document. */
static int v3_node(dt__zreader *r, struct json_object *doc, const char *key,
                   const char **node_type)
{
    struct json_object *zf = dt__zj_get(doc, "zarr_format"), *nt = dt__zj_get(doc, "node_type");

    if (!json_object_is_type(doc, json_type_object))
        return dt__fail_at(DT_EFORMAT, r->store->name, key, "the document is %s, not an "
                           "object", dt__zj_kind(doc));
    if (!zf || !json_object_is_type(zf, json_type_int) || json_object_get_int64(zf) != 3)
        return dt__fail_at(DT_EFORMAT, r->store->name, key, "\"zarr_format\" is %s, not 3",
                           zf ? dt__zj_show(zf)
                              : "missing");
    if (!nt || !json_object_is_type(nt, json_type_string) ||
        (strcmp(json_object_get_string(nt), "group") != 0 &&
         strcmp(json_object_get_string(nt), "array") != 0))
        return dt__fail_at(DT_EFORMAT, r->store->name, key, "\"node_type\" is %s, not "
                           "\"group\" or \"array\"",
                           nt ? dt__zj_show(nt)
                              : "missing");
    *node_type = json_object_get_string(nt);
    return DT_OK;
}

static int v3_group_doc(dt__zreader *r, struct json_object *doc, const char *key)
{
    struct json_object *at = dt__zj_get(doc, "attributes");
    int rc = dt__zarr_v3_extra_members(doc, group_members, r->store->name, key);

    if (rc == DT_OK && at && !json_object_is_type(at, json_type_object))
        rc = dt__fail_at(DT_EFORMAT, r->store->name, key, "\"attributes\" is %s, not an "
                         "object", dt__zj_kind(at));
    return rc;
}

static int v2_group_doc(dt__zreader *r, struct json_object *doc, const char *key)
{
    struct json_object *zf = dt__zj_get(doc, "zarr_format");

    if (!json_object_is_type(doc, json_type_object))
        return dt__fail_at(DT_EFORMAT, r->store->name, key, "the document is %s, not an "
                           "object", dt__zj_kind(doc));
    if (zf && !(json_object_is_type(zf, json_type_int) && json_object_get_int64(zf) == 2))
        return dt__fail_at(DT_EFORMAT, r->store->name, key, "\"zarr_format\" is %s, not 2",
                           dt__zj_show(zf));
    return DT_OK;
}

/* ------------------------------------------------------------------------ */
/* Consolidated metadata                                                    */

static int centry_cmp(const void *a, const void *b)
{
    return strcmp(((const centry *)a)->path, ((const centry *)b)->path);
}

/* The entry of path among the first n (sorted) entries, or NULL. */
static centry *cons_find_in(const dt__zreader *r, size_t n, const char *path)
{
    centry key = {(char *)path, NULL, NULL, NULL};

    return n ? bsearch(&key, r->cons, n, sizeof *r->cons, centry_cmp) : NULL;
}

static centry *cons_find(const dt__zreader *r, const char *path)
{
    return cons_find_in(r, r->ncons, path);
}

static centry *cons_add(dt__zreader *r, const char *path, size_t len)
{
    centry *e;

    if (r->ncons == r->capcons) {
        size_t cap = r->capcons ? r->capcons * 2 : 32;
        centry *p = dt__realloc(r->cons, cap * sizeof *p);

        if (!p)
            return NULL;
        r->cons = p;
        r->capcons = cap;
    }
    e = &r->cons[r->ncons];
    memset(e, 0, sizeof *e);
    e->path = dt__strndup(path, len);
    if (!e->path)
        return NULL;
    r->ncons++;
    return e;
}

/* Sort the entries, merge those of one path, and add the groups that only
 * appear as parents (implicit in v2 data that zarr-python 2 tolerated). */
static int cons_finish(dt__zreader *r)
{
    size_t k = 0, n;

    qsort(r->cons, r->ncons, sizeof *r->cons, centry_cmp);
    for (size_t i = 0; i < r->ncons; i++) {
        if (k && strcmp(r->cons[k - 1].path, r->cons[i].path) == 0) {
            centry *d = &r->cons[k - 1];

            d->group = d->group ? d->group : r->cons[i].group;
            d->attrs = d->attrs ? d->attrs : r->cons[i].attrs;
            d->array = d->array ? d->array : r->cons[i].array;
            free(r->cons[i].path);
            continue;
        }
        r->cons[k++] = r->cons[i];
    }
    r->ncons = k;
    n = r->ncons;
    for (size_t i = 0; i < n; i++) {
        const char *p = r->cons[i].path;

        for (const char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
            char *anc = dt__strndup(p, (size_t)(s - p));
            int found;

            if (!anc)
                return DT_ENOMEM;
            found = cons_find_in(r, n, anc) != NULL;
            for (size_t j = n; !found && j < r->ncons; j++)
                found = strcmp(r->cons[j].path, anc) == 0;
            if (!found && !cons_add(r, anc, strlen(anc))) {
                free(anc);
                return DT_ENOMEM;
            }
            free(anc);
            p = r->cons[i].path;
        }
    }
    if (!cons_find_in(r, n, "")) {
        int found = 0;

        for (size_t j = n; !found && j < r->ncons; j++)
            found = r->cons[j].path[0] == '\0';
        if (!found && !cons_add(r, "", 0))
            return DT_ENOMEM;
    }
    qsort(r->cons, r->ncons, sizeof *r->cons, centry_cmp);
    return DT_OK;
}

/* A consolidated member names a node inside the store: refused otherwise
 * (broken-zarr/escape.zarr), never followed. */
static int member_check(dt__zreader *r, const char *doc_key, const char *member)
{
    if (dt__store_key_check(r->store, member) == DT_OK)
        return DT_OK;
    return dt__fail_at(DT_EFORMAT, r->store->name, doc_key, "member \"%s\" is not a key "
                       "inside the store (it has a \"..\", \".\" or empty segment, or is "
                       "absolute); refused", member);
}

static int v2_consolidated(dt__zreader *r)
{
    struct json_object *md = dt__zj_get(r->zmeta, "metadata");
    struct json_object *fmt = dt__zj_get(r->zmeta, "zarr_consolidated_format");
    int rc = DT_OK;

    if (fmt && !(json_object_is_type(fmt, json_type_int) && json_object_get_int64(fmt) == 1))
        return dt__fail_at(DT_EFORMAT, r->store->name, ".zmetadata", "\"zarr_consolidated_"
                           "format\" is %s, not 1",
                           dt__zj_show(fmt));
    if (!md || !json_object_is_type(md, json_type_object))
        return dt__fail_at(DT_EFORMAT, r->store->name, ".zmetadata", "\"metadata\" is %s, not "
                           "an object", dt__zj_kind(md));
    json_object_object_foreach(md, k, v) {
        const char *slash = strrchr(k, '/'), *leaf = slash ? slash + 1 : k;
        size_t plen = slash ? (size_t)(slash - k) : 0;
        centry *e;

        rc = member_check(r, ".zmetadata", k);
        if (rc < 0)
            return rc;
        if (strcmp(leaf, ".zgroup") != 0 && strcmp(leaf, ".zattrs") != 0 &&
            strcmp(leaf, ".zarray") != 0)
            continue;
        e = cons_add(r, k, plen);
        if (!e)
            return DT_ENOMEM;
        if (strcmp(leaf, ".zgroup") == 0)
            e->group = v;
        else if (strcmp(leaf, ".zattrs") == 0)
            e->attrs = v;
        else
            e->array = v;
    }
    r->consolidated = 1;
    return cons_finish(r);
}

/* zarr-python 3's inline consolidated metadata in the root zarr.json. */
static int v3_consolidated(dt__zreader *r, struct json_object *cm)
{
    struct json_object *kind = dt__zj_get(cm, "kind"), *md = dt__zj_get(cm, "metadata");
    int rc;

    if (!json_object_is_type(cm, json_type_object) || !kind ||
        !json_object_is_type(kind, json_type_string) ||
        strcmp(json_object_get_string(kind), "inline") != 0 || !md ||
        !json_object_is_type(md, json_type_object))
        return DT_OK;   /* another kind: list the store instead */
    json_object_object_foreach(md, k, v) {
        const char *nt;
        centry *e;

        rc = member_check(r, "zarr.json", k);
        if (rc == DT_OK)
            rc = v3_node(r, v, "zarr.json", &nt);
        if (rc < 0)
            return rc;
        e = cons_add(r, k, strlen(k));
        if (!e)
            return DT_ENOMEM;
        if (strcmp(nt, "array") == 0)
            e->array = v;
        else
            e->group = v;
    }
    r->consolidated = 1;
    rc = cons_finish(r);
    if (rc == DT_OK)
        cons_find(r, "")->group = r->root_doc;
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Scanning a group: its documents and its children's                      */

static int scan_consolidated(dt__zreader *r, dt__zgroup *g)
{
    size_t plen = strlen(g->prefix), lo = 0, hi = r->ncons;
    centry *self;
    char *path = dt__strndup(g->prefix, plen ? plen - 1 : 0);
    int rc = DT_OK;

    if (!path)
        return DT_ENOMEM;
    self = cons_find(r, path);
    free(path);
    if (r->v3) {
        struct json_object *doc = g->parent == DT__ZNONE ? r->root_doc : self ? self->group : NULL;
        struct json_object *at = dt__zj_get(doc, "attributes");

        g->attrs = at ? json_object_get(at) : NULL;
        rc = dt__zarr_group_annotation(g, doc, 1, r->store->name);
        if (rc < 0)
            return rc;
    } else {
        struct json_object *zattrs = self ? self->attrs : NULL;

        rc = dt__zarr_nczarr_group(g, self ? self->group : NULL, zattrs, r->store->name);
        if (rc == DT_OK)
            rc = dt__zarr_group_annotation(g, self ? self->group : NULL, 0, r->store->name);
        if (rc < 0)
            return rc;
        g->attrs = zattrs ? json_object_get(zattrs) : NULL;
    }
    /* the entries below the group are contiguous: they start with its prefix */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (strcmp(r->cons[mid].path, g->prefix) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < r->ncons && rc == DT_OK; i++) {
        centry *e = &r->cons[i];
        const char *name = e->path + plen, *key;
        char *prefix;

        if (strncmp(e->path, g->prefix, plen) != 0)
            break;
        if (!*name || strchr(name, '/'))
            continue;
        prefix = dt__aprintf("%s%s/", g->prefix, name);
        if (!prefix)
            return DT_ENOMEM;
        key = r->v3 ? "zarr.json" : ".zmetadata";
        if (e->array) {
            dt__zarray *a = NULL;

            rc = r->v3 ? dt__zarr_v3_array(&a, name, prefix, e->array, &r->limits,
                                           r->store->name)
                       : dt__zarr_v2_array(&a, name, prefix, e->array, e->attrs, &r->limits,
                                           r->store->name);
            if (rc == DT_OK) {
                rc = dt__zarr_array_annotation(a, e->array, r->v3, r->store->name);
                if (rc < 0)
                    dt__zarray_free(a);
                else
                    rc = push_array(g, a);
            }
        } else {
            size_t ci;

            if (e->group)
                rc = r->v3 ? v3_group_doc(r, e->group, key) : v2_group_doc(r, e->group, key);
            if (rc == DT_OK)
                rc = add_group(r, g->index, name, e->group ? json_object_get(e->group) : NULL,
                               &ci);
        }
        free(prefix);
    }
    return rc;
}

/* A directory with neither .zgroup nor .zarray is an implicit group when
 * one of its directories is a node (zarr-v2.md 1: tolerated on read). */
static int v2_implicit(dt__zreader *r, const char *prefix, int *is_group)
{
    dt__keylist l;
    int rc;

    *is_group = 0;
    rc = dt__store_list(r->store, prefix, &l);
    for (size_t i = 0; rc == DT_OK && i < l.n && !*is_group; i++) {
        static const char *const leaves[] = {".zgroup", ".zarray"};

        if (!l.is_prefix[i])
            continue;
        for (size_t k = 0; k < 2 && rc == DT_OK && !*is_group; k++) {
            char *key = dt__aprintf("%s%s/%s", prefix, l.names[i], leaves[k]);
            dt__bytes b = {NULL, 0};

            if (!key) {
                rc = DT_ENOMEM;
                break;
            }
            rc = dt__store_get_range(r->store, key, 0, 0, 0, &b, NULL);
            if (rc == DT_OK)
                *is_group = 1;
            else if (rc == DT_ENOTFOUND || rc == DT_EFORMAT) {
                dt_error_clear();
                rc = DT_OK;
            }
            dt__bytes_free(&b);
            free(key);
        }
    }
    dt__keylist_free(&l);
    return rc;
}

static int scan_v2_dir(dt__zreader *r, dt__zgroup *g)
{
    struct json_object *zattrs = NULL;
    dt__keylist l;
    int rc;

    rc = read_child_doc(r, g->prefix, ".zattrs", &zattrs);
    if (rc < 0)
        return rc;
    g->attrs = zattrs;
    rc = dt__zarr_nczarr_group(g, g->doc, zattrs, r->store->name);
    if (rc == DT_OK)
        rc = dt__zarr_group_annotation(g, g->doc, 0, r->store->name);
    if (rc < 0)
        return rc;
    rc = dt__store_list(r->store, g->prefix, &l);
    for (size_t i = 0; rc == DT_OK && i < l.n; i++) {
        struct json_object *za = NULL, *zat = NULL, *zg = NULL;
        char *prefix;

        if (!l.is_prefix[i])
            continue;
        prefix = dt__aprintf("%s%s/", g->prefix, l.names[i]);
        if (!prefix) {
            rc = DT_ENOMEM;
            break;
        }
        rc = read_child_doc(r, prefix, ".zarray", &za);
        if (rc == DT_OK && za) {
            dt__zarray *a = NULL;

            rc = read_child_doc(r, prefix, ".zattrs", &zat);
            if (rc == DT_OK)
                rc = dt__zarr_v2_array(&a, l.names[i], prefix, za, zat, &r->limits,
                                       r->store->name);
            if (rc == DT_OK) {
                rc = dt__zarr_array_annotation(a, za, 0, r->store->name);
                if (rc < 0)
                    dt__zarray_free(a);
                else
                    rc = push_array(g, a);
            }
        } else if (rc == DT_OK) {
            size_t ci;
            int implicit = 0;

            rc = read_child_doc(r, prefix, ".zgroup", &zg);
            if (rc == DT_OK && zg) {
                char *key = dt__aprintf("%s.zgroup", prefix);

                rc = key ? v2_group_doc(r, zg, key) : DT_ENOMEM;
                free(key);
            } else if (rc == DT_OK) {
                rc = v2_implicit(r, prefix, &implicit);
            }
            if (rc == DT_OK && (zg || implicit)) {
                rc = add_group(r, g->index, l.names[i], zg, &ci);
                zg = NULL;
            }
        }
        if (za)
            json_object_put(za);
        if (zat)
            json_object_put(zat);
        if (zg)
            json_object_put(zg);
        free(prefix);
    }
    dt__keylist_free(&l);
    return rc;
}

static int scan_v3_dir(dt__zreader *r, dt__zgroup *g)
{
    struct json_object *at = dt__zj_get(g->doc, "attributes");
    dt__keylist l;
    int rc;

    g->attrs = at ? json_object_get(at) : NULL;
    rc = dt__zarr_group_annotation(g, g->doc, 1, r->store->name);
    if (rc < 0)
        return rc;
    rc = dt__store_list(r->store, g->prefix, &l);
    for (size_t i = 0; rc == DT_OK && i < l.n; i++) {
        struct json_object *doc = NULL;
        const char *nt;
        char *prefix, *key;

        /* "__" names are reserved (core spec); chunks live under "c" */
        if (!l.is_prefix[i] || strncmp(l.names[i], "__", 2) == 0)
            continue;
        prefix = dt__aprintf("%s%s/", g->prefix, l.names[i]);
        key = dt__aprintf("%s%s/zarr.json", g->prefix, l.names[i]);
        if (!prefix || !key) {
            free(prefix);
            free(key);
            rc = DT_ENOMEM;
            break;
        }
        rc = read_doc(r, key, &doc);
        if (rc == DT_OK && doc)
            rc = v3_node(r, doc, key, &nt);
        if (rc == DT_OK && doc) {
            if (strcmp(nt, "array") == 0) {
                dt__zarray *a = NULL;

                rc = dt__zarr_v3_array(&a, l.names[i], prefix, doc, &r->limits,
                                       r->store->name);
                if (rc == DT_OK) {
                    rc = dt__zarr_array_annotation(a, doc, 1, r->store->name);
                    if (rc < 0)
                        dt__zarray_free(a);
                    else
                        rc = push_array(g, a);
                }
            } else {
                size_t ci;

                rc = v3_group_doc(r, doc, key);
                if (rc == DT_OK) {
                    rc = add_group(r, g->index, l.names[i], doc, &ci);
                    doc = NULL;
                }
            }
        }
        if (doc)
            json_object_put(doc);
        free(prefix);
        free(key);
    }
    dt__keylist_free(&l);
    return rc;
}

int dt__zreader_scan(dt__zreader *r, size_t gi)
{
    dt__zgroup *g = r->g[gi];
    int rc;

    if (g->scanned) {
        if (g->scan_rc < 0)
            return dt__fail(g->scan_rc, "%s", g->scan_err ? g->scan_err : "the group failed "
                            "to load");
        return DT_OK;
    }
    if (r->consolidated)
        rc = scan_consolidated(r, g);
    else if (r->v3)
        rc = scan_v3_dir(r, g);
    else
        rc = scan_v2_dir(r, g);
    g = r->g[gi];
    g->scanned = 1;
    if (rc < 0) {
        /* a scan that failed half way is not repeated: keep its error
         * (the current error stays as it was set, with its location) */
        g->scan_rc = rc;
        g->scan_err = dt__strdup(dt_error_last()->message);
        if (!g->scan_err)
            rc = g->scan_rc = DT_ENOMEM;
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Groups as tree nodes                                                     */

static int load_group(dt_node *node, void *ctx)
{
    dt__zgroup *g = ctx;
    int rc = dt__zreader_scan(g->r, g->index);

    if (rc == DT_OK)
        rc = dt__zarr_build_group(g->r, g->index, node);
    return rc;
}

int dt__zreader_add_child(dt__zreader *r, size_t gi, dt_node *parent)
{
    dt_node *child = NULL;
    int rc;

    if (dt_name_check(r->g[gi]->name, "group") < 0) {
        dt_error_clear(); /* a name the model cannot hold: the subtree is left out */
        return DT_OK;
    }
    rc = dt_node_create(&child, parent, r->g[gi]->name, 0);
    if (rc == DT_EBADNAME) {
        dt_error_clear();
        return DT_OK;
    }
    if (rc < 0)
        return dt__err_locate(rc, r->store->name, r->g[gi]->prefix);
    dt__node_set_loader(child, load_group, r->g[gi], NULL);
    return DT_OK;
}

/* ------------------------------------------------------------------------ */
/* Opening                                                                  */

static int open_v3(dt__zreader *r)
{
    struct json_object *cm;
    const char *nt;
    static const char *const cons[] = {"consolidated_metadata", "metadata", NULL};
    int rc = read_doc_at(r, "zarr.json", cons, &r->root_doc);

    if (rc < 0)
        return rc;
    if (!r->root_doc)
        return dt__fail_at(DT_EFORMAT, r->store->name, NULL, "no zarr.json: not a Zarr v3 "
                           "store");
    rc = v3_node(r, r->root_doc, "zarr.json", &nt);
    if (rc < 0)
        return rc;
    if (strcmp(nt, "array") == 0)
        return dt__fail_at(DT_EUNSUPPORTED, r->store->name, "zarr.json", "the store's root "
                           "is an array; libdtree reads stores whose root is a group");
    rc = v3_group_doc(r, r->root_doc, "zarr.json");
    if (rc < 0)
        return rc;
    cm = dt__zj_get(r->root_doc, "consolidated_metadata");
    return cm ? v3_consolidated(r, cm) : DT_OK;
}

static int open_v2(dt__zreader *r)
{
    struct json_object *za = NULL;
    int rc = read_doc(r, ".zgroup", &r->root_doc);

    if (rc == DT_OK && r->root_doc)
        rc = v2_group_doc(r, r->root_doc, ".zgroup");
    if (rc == DT_OK) {
        static const char *const cons[] = {"metadata", NULL};

        rc = read_doc_at(r, ".zmetadata", cons, &r->zmeta);
    }
    if (rc < 0)
        return rc;
    if (r->zmeta) {
        if (!json_object_is_type(r->zmeta, json_type_object))
            return dt__fail_at(DT_EFORMAT, r->store->name, ".zmetadata", "the document is "
                               "%s, not an object", dt__zj_kind(r->zmeta));
        return v2_consolidated(r);
    }
    if (r->root_doc)
        return DT_OK;
    rc = read_doc(r, ".zarray", &za);
    if (za) {
        json_object_put(za);
        return dt__fail_at(DT_EUNSUPPORTED, r->store->name, ".zarray", "the store's root is "
                           "an array; libdtree reads stores whose root is a group");
    }
    if (rc < 0)
        return rc;
    return dt__fail_at(DT_EFORMAT, r->store->name, NULL, "no .zgroup or .zmetadata: not a "
                       "Zarr v2 store");
}

/* Which Zarr a store holds, from its root keys. */
static int detect(dt__store *store, dt_format *fmt)
{
    static const struct { const char *key; dt_format fmt; } marks[] = {
        {"zarr.json", DT_FORMAT_ZARR3}, {".zgroup", DT_FORMAT_ZARR2},
        {".zmetadata", DT_FORMAT_ZARR2}, {".zarray", DT_FORMAT_ZARR2},
    };

    for (size_t i = 0; i < sizeof marks / sizeof *marks; i++) {
        dt__bytes b = {NULL, 0};
        int rc = dt__store_get_range(store, marks[i].key, 0, 0, 0, &b, NULL);

        dt__bytes_free(&b);
        if (rc == DT_OK) {
            *fmt = marks[i].fmt;
            return DT_OK;
        }
        if (rc != DT_ENOTFOUND)
            return rc;
        dt_error_clear();
    }
    return dt__fail_at(DT_EFORMAT, store->name, NULL, "no zarr.json, .zgroup or .zarray: "
                       "not a Zarr store");
}

int dt__zarr_open_store(dt_tree **out, dt__store *store, dt_format fmt,
                        const dt_open_opts *opts)
{
    static const dt_open_opts defaults = DT_OPEN_OPTS_INIT;
    dt__zreader *r;
    dt_tree *tree = NULL;
    size_t root;
    int rc;

    if (!out || !store) {
        dt__store_close(store);
        return dt__fail(DT_EINVAL, "dt__zarr_open_store: NULL argument");
    }
    *out = NULL;
    if (!opts)
        opts = &defaults;
    rc = fmt == DT_FORMAT_AUTO ? detect(store, &fmt) : DT_OK;
    if (rc == DT_OK && fmt != DT_FORMAT_ZARR2 && fmt != DT_FORMAT_ZARR3)
        rc = dt__fail_at(DT_EINVAL, store->name, NULL, "format %s is not a Zarr format",
                         dt_format_name(fmt));
    r = rc == DT_OK ? dt__calloc(1, sizeof *r) : NULL;
    if (!r) {
        dt__store_close(store);
        return rc < 0 ? rc : DT_ENOMEM;
    }
    r->store = store;
    r->limits = opts->limits;
    r->threads = opts->threads;
    r->writable = opts->writable;
    pthread_mutex_init(&r->pool_lock, NULL);
    r->v3 = fmt == DT_FORMAT_ZARR3;
    rc = r->v3 ? open_v3(r) : open_v2(r);
    if (rc == DT_OK)
        rc = add_group(r, DT__ZNONE, "", r->root_doc ? json_object_get(r->root_doc) : NULL,
                       &root);
    if (rc == DT_OK)
        rc = dt_tree_new(&tree);
    if (rc == DT_OK)
        rc = dt__tree_begin_load(tree, opts, fmt, store->name);
    if (rc < 0) {
        char *name = dt__strdup(store->name);

        dt_tree_free(tree);
        reader_free(r);
        rc = dt__err_locate(rc, name, NULL);
        free(name);
        return rc;
    }
    /* the tree owns the reader (and the store) from here; sources borrow
     * the reader, and the tree frees the backend after them */
    dt__tree_set_backend(tree, r, reader_free);
    dt__node_set_loader(dt_tree_root(tree), load_group, r->g[root], NULL);
    rc = dt__tree_end_load(tree);
    if (rc < 0) {
        dt_tree_free(tree);
        return rc;
    }
    *out = tree;
    return DT_OK;
}

int dt__zarr_open(dt_tree **out, const char *path, dt_format fmt,
                  const dt_open_opts *opts)
{
    static const dt_open_opts defaults = DT_OPEN_OPTS_INIT;
    dt__store *store = NULL;
    int rc;

    if (!out || !path)
        return dt__fail(DT_EINVAL, "dt__zarr_open: NULL argument");
    *out = NULL;
    rc = dt__store_dir_open(&store, path, &(opts ? opts : &defaults)->limits, 0);
    if (rc < 0)
        return rc;
    rc = dt__zarr_open_store(out, store, fmt, opts);
    return rc < 0 ? dt__err_locate(rc, path, NULL) : DT_OK;
}
