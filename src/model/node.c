/* node.c: trees and groups: names, paths, lookup, creation, removal,
 * renaming, moving and copying of subtrees. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "io/io.h"
#include "model.h"

/* ---- names ---- */

int dt_name_check(const char *name, const char *what)
{
    size_t len;
    bool only_dots = true;

    if (!what)
        what = "name";
    if (!name || !*name)
        return dt__fail(DT_EBADNAME, "the %s name cannot be empty", what);
    len = strlen(name);
    if (len > 256)
        return dt__fail(DT_EBADNAME, "%s name \"%.40s...\" is %zu bytes, the limit is 256",
                        what, name, len);
    if (!dt__utf8_valid(name, len))
        return dt__fail(DT_EBADNAME, "%s name \"%s\" is not valid UTF-8", what, name);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];

        if (c == '/')
            return dt__fail(DT_EBADNAME, "%s name \"%s\" contains '/'", what, name);
        if (c < 0x20 || c == 0x7f)
            return dt__fail(DT_EBADNAME, "%s name \"%s\" contains control character 0x%02x",
                            what, name, c);
        if (c != '.')
            only_dots = false;
    }
    if (only_dots)
        return dt__fail(DT_EBADNAME, "%s name \"%s\" consists only of periods", what, name);
    if (name[len - 1] == ' ' || name[len - 1] == '\t')
        return dt__fail(DT_EBADNAME, "%s name \"%s\" ends in whitespace", what, name);
    return DT_OK;
}

/* Group and variable names also avoid the Zarr metadata keys and "__". */
static int node_name_check(const char *name, const char *what)
{
    static const char *const zarr_keys[] = {
        "zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata",
    };
    int rc = dt_name_check(name, what);

    if (rc < 0)
        return rc;
    for (size_t i = 0; i < sizeof zarr_keys / sizeof *zarr_keys; i++) {
        if (strcmp(name, zarr_keys[i]) == 0)
            return dt__fail(DT_EBADNAME, "%s name \"%s\" is a Zarr metadata key", what, name);
    }
    if (strncmp(name, "__", 2) == 0)
        return dt__fail(DT_EBADNAME, "%s name \"%s\" starts with \"__\", which Zarr reserves",
                        what, name);
    return DT_OK;
}

/* ---- trees ---- */

int dt_tree_new(dt_tree **out)
{
    dt_tree *t;
    const dt_limits lim = DT_LIMITS_INIT;

    if (!out)
        return dt__fail(DT_EINVAL, "dt_tree_new: out is NULL");
    *out = NULL;
    t = dt__calloc(1, sizeof *t);
    if (!t)
        return DT_ENOMEM;
    t->limits = lim;
    {
        pthread_mutexattr_t ma;

        /* recursive: a loader builds its group through the public API */
        pthread_mutexattr_init(&ma);
        pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
        if (pthread_mutex_init(&t->load_lock, &ma) != 0) {
            pthread_mutexattr_destroy(&ma);
            free(t);
            return dt__fail(DT_ENOMEM, "cannot create the tree's lock");
        }
        pthread_mutexattr_destroy(&ma);
    }
    t->root = dt__node_new(t, NULL, "");
    if (!t->root) {
        pthread_mutex_destroy(&t->load_lock);
        free(t);
        return DT_ENOMEM;
    }
    *out = t;
    return DT_OK;
}

void dt_tree_free(dt_tree *tree)
{
    if (!tree)
        return;
    dt__node_free(tree->root);
    if (tree->backend_free)
        tree->backend_free(tree->backend);
    pthread_mutex_destroy(&tree->load_lock);
    free(tree->source);
    free(tree);
}

dt_node *dt_tree_root(const dt_tree *tree)
{
    return tree ? tree->root : NULL;
}

dt_format dt_tree_format(const dt_tree *tree)
{
    return tree ? tree->format : DT_FORMAT_AUTO;
}

const char *dt_tree_source(const dt_tree *tree)
{
    return tree ? tree->source : NULL;
}

const char *dt_format_name(dt_format fmt)
{
    switch (fmt) {
    case DT_FORMAT_YAML: return "yaml";
    case DT_FORMAT_NETCDF4: return "netcdf4";
    case DT_FORMAT_HDF5: return "hdf5";
    case DT_FORMAT_ZARR2: return "zarr2";
    case DT_FORMAT_ZARR3: return "zarr3";
    default: return "memory";
    }
}

int dt__tree_begin_load(dt_tree *tree, const dt_open_opts *opts,
                        dt_format fmt, const char *source)
{
    dt_open_opts def = DT_OPEN_OPTS_INIT;

    if (!opts)
        opts = &def;
    free(tree->source);
    tree->source = source ? dt__strdup(source) : NULL;
    if (source && !tree->source)
        return DT_ENOMEM;
    tree->format = fmt;
    tree->loading = 1;
    tree->keep_layout = opts->keep_layout;
    tree->align = opts->align;
    tree->limits = opts->limits;
    tree->eager = opts->eager;
    return DT_OK;
}

int dt__tree_end_load(dt_tree *tree)
{
    int rc;

    tree->loading = 0;
    if (tree->eager) {
        rc = dt_node_load_all(tree->root);
        if (rc < 0)
            return dt__err_locate(rc, tree->source, NULL);
    }
    rc = dt__align_subtree(tree->root, tree->align == DT_ALIGN_RELAXED,
                           !tree->keep_layout);
    if (rc < 0)
        return dt__err_locate(rc, tree->source, NULL);
    return DT_OK;
}

void dt__tree_set_backend(dt_tree *tree, void *backend,
                          void (*free_fn)(void *backend))
{
    tree->backend = backend;
    tree->backend_free = free_fn;
}

const dt_limits *dt__tree_limits(const dt_tree *tree)
{
    return &tree->limits;
}

int dt_tree_check_alignment(const dt_tree *tree)
{
    if (!tree)
        return dt__fail(DT_EINVAL, "dt_tree_check_alignment: tree is NULL");
    /* check only: neither cut nor deduplicate */
    return dt__align_subtree(tree->root, 0, 0);
}

/* ---- nodes ---- */

dt_node *dt__node_new(dt_tree *tree, dt_node *parent, const char *name)
{
    dt_node *n = dt__calloc(1, sizeof *n);

    if (!n)
        return NULL;
    n->tree = tree;
    n->parent = parent;
    n->name = dt__strdup(name);
    if (!n->name) {
        free(n);
        return NULL;
    }
    dt__attrs_init(&n->attrs);
    n->loaded = 1;
    return n;
}

void dt__node_free(dt_node *node)
{
    if (!node)
        return;
    for (size_t i = 0; i < node->nchildren; i++)
        dt__node_free(node->children[i]);
    free(node->children);
    for (size_t i = 0; i < node->nvars; i++)
        dt__var_free(node->vars[i]);
    free(node->vars);
    for (size_t i = 0; i < node->ndims; i++)
        free(node->dims[i].name);
    free(node->dims);
    dt__attrs_clear(&node->attrs);
    if (node->loader_free)
        node->loader_free(node->loader_ctx);
    free(node->load_error);
    free(node->cut_reason);
    free(node->name);
    free(node);
}

void dt__node_set_loader(dt_node *node, int (*load)(dt_node *node, void *ctx),
                         void *ctx, void (*free_ctx)(void *ctx))
{
    if (node->loader_free)
        node->loader_free(node->loader_ctx);
    node->loader = load;
    node->loader_ctx = ctx;
    node->loader_free = free_ctx;
    node->loaded = load ? 0 : 1;
}

/* Run a lazy group's loader once. Other threads wait on the tree's lock;
 * the loading thread itself passes through (the loader adds to the group
 * through the public API, which comes back here). */
int dt__node_ensure(const dt_node *cnode)
{
    dt_node *node = (dt_node *)cnode;
    dt_tree *t;
    int rc, was_loading;

    if (!node || node->loaded)
        goto done;
    t = node->tree;
    pthread_mutex_lock(&t->load_lock);
    if (node->loaded || node->in_load) {
        pthread_mutex_unlock(&t->load_lock);
        goto done;
    }
    node->in_load = 1;
    was_loading = t->loading;
    t->loading = 1;
    rc = node->loader(node, node->loader_ctx);
    t->loading = was_loading;
    if (rc == DT_OK && !was_loading)
        rc = dt__align_loaded(node, t->align == DT_ALIGN_RELAXED, !t->keep_layout);
    if (rc < 0) {
        char *p = dt__node_path_str(node);

        rc = dt__err_locate(rc, t->source, p);
        free(p);
        node->load_rc = rc;
        node->load_error = dt__strdup(dt_error_last()->message);
    }
    node->in_load = 0;
    node->loaded = 1;
    pthread_mutex_unlock(&t->load_lock);
done:
    if (node && node->load_rc < 0) {
        /* every caller hears of the failure, not only the first */
        return dt__fail_at(node->load_rc, NULL, NULL, "%s",
                           node->load_error ? node->load_error : "the group failed to load");
    }
    return DT_OK;
}

int dt_node_load(const dt_node *node)
{
    if (!node)
        return dt__fail(DT_EINVAL, "dt_node_load: node is NULL");
    return dt__node_ensure(node);
}

int dt_node_load_all(const dt_node *node)
{
    int rc;

    if (!node)
        return dt__fail(DT_EINVAL, "dt_node_load_all: node is NULL");
    rc = dt__node_ensure(node);
    for (size_t i = 0; rc == DT_OK && i < node->nchildren; i++)
        rc = dt_node_load_all(node->children[i]);
    return rc;
}

dt_tree *dt_node_tree(const dt_node *node)
{
    return node ? node->tree : NULL;
}

const char *dt_node_name(const dt_node *node)
{
    return node ? node->name : NULL;
}

dt_node *dt_node_parent(const dt_node *node)
{
    return node ? node->parent : NULL;
}

size_t dt_node_depth(const dt_node *node)
{
    size_t d = 0;

    while (node && node->parent) {
        d++;
        node = node->parent;
    }
    return d;
}

size_t dt_node_child_count(const dt_node *node)
{
    return node && dt__node_ensure(node) == DT_OK ? node->nchildren : 0;
}

dt_node *dt_node_child(const dt_node *node, size_t i)
{
    return node && dt__node_ensure(node) == DT_OK && i < node->nchildren ?
           node->children[i] : NULL;
}

dt_attrs *dt_node_attrs(const dt_node *node)
{
    if (!node)
        return NULL;
    dt__node_ensure(node); /* a failed group shows what it has: nothing */
    return (dt_attrs *)&node->attrs;
}

int dt_node_is_cut(const dt_node *node)
{
    return node ? node->cut : 0;
}

const char *dt_node_cut_reason(const dt_node *node)
{
    return node && node->cut ? node->cut_reason : NULL;
}

static int path_append(dt__buf *b, const dt_node *node)
{
    if (!node->parent)
        return DT_OK;
    path_append(b, node->parent);
    dt__buf_putc(b, '/');
    return dt__buf_puts(b, node->name);
}

char *dt__node_path_str(const dt_node *node)
{
    dt__buf b;

    dt__buf_init(&b);
    if (!node->parent)
        dt__buf_putc(&b, '/');
    else
        path_append(&b, node);
    return dt__buf_take(&b);
}

char *dt__var_path_str(const dt_var *var)
{
    dt__buf b;

    dt__buf_init(&b);
    path_append(&b, var->node);
    dt__buf_putc(&b, '/');
    dt__buf_puts(&b, var->name);
    return dt__buf_take(&b);
}

int dt_node_path(char **out, const dt_node *node)
{
    if (!out || !node)
        return dt__fail(DT_EINVAL, "dt_node_path: NULL argument");
    *out = dt__node_path_str(node);
    return *out ? DT_OK : DT_ENOMEM;
}

static dt_node *child_named(const dt_node *node, const char *name, size_t len)
{
    if (dt__node_ensure(node) < 0)
        return NULL;
    for (size_t i = 0; i < node->nchildren; i++) {
        const char *cn = node->children[i]->name;

        if (strlen(cn) == len && memcmp(cn, name, len) == 0)
            return node->children[i];
    }
    return NULL;
}

/* Is `name` free among node's children and variables? */
int dt__node_name_free(const dt_node *parent, const char *name,
                       const dt_node *except_node, const dt_var *except_var)
{
    char *p;
    int rc = dt__node_ensure(parent);

    if (rc < 0)
        return rc;
    for (size_t i = 0; i < parent->nchildren; i++) {
        if (parent->children[i] != except_node &&
            strcmp(parent->children[i]->name, name) == 0) {
            p = dt__node_path_str(parent);
            dt__fail(DT_ENAMECLASH, "group %s already has a child group named \"%s\"",
                     p ? p : "?", name);
            free(p);
            return DT_ENAMECLASH;
        }
    }
    for (size_t i = 0; i < parent->nvars; i++) {
        if (parent->vars[i] != except_var && strcmp(parent->vars[i]->name, name) == 0) {
            p = dt__node_path_str(parent);
            dt__fail(DT_ENAMECLASH, "group %s already contains a variable named \"%s\"",
                     p ? p : "?", name);
            free(p);
            return DT_ENAMECLASH;
        }
    }
    return DT_OK;
}

/* Walk `path` from base. Stops before the last segment when `last` is
 * non-NULL (and stores it there with its length). */
static int resolve(dt_node **out, const dt_node *base, const char *path,
                   const char **last, size_t *last_len, bool make_parents,
                   dt_node **created_first)
{
    const dt_node *cur = base;
    const char *p = path;

    *out = NULL;
    if (*p == '/') {
        while (cur->parent)
            cur = cur->parent;
    }
    if (last) {
        /* find the final non-empty, non-"." segment */
        const char *end = path + strlen(path), *seg;

        while (end > path && end[-1] == '/')
            end--;
        seg = end;
        while (seg > path && seg[-1] != '/')
            seg--;
        if (seg == end || (end - seg == 1 && *seg == '.') ||
            (end - seg == 2 && seg[0] == '.' && seg[1] == '.'))
            return dt__fail(DT_EINVAL, "path \"%s\" has no final name to create", path);
        *last = seg;
        *last_len = (size_t)(end - seg);
        /* resolve only up to seg */
        while (p < seg) {
            const char *s = p;
            size_t len;

            while (p < seg && *p != '/')
                p++;
            len = (size_t)(p - s);
            while (p < seg && *p == '/')
                p++;
            if (len == 0 || (len == 1 && *s == '.'))
                continue;
            if (len == 2 && s[0] == '.' && s[1] == '.') {
                if (!cur->parent)
                    return dt__fail(DT_ENOTFOUND, "path \"%s\" goes above the root", path);
                cur = cur->parent;
                continue;
            }
            {
                dt_node *c = child_named(cur, s, len);

                if (!c && make_parents) {
                    char *nm = dt__strndup(s, len);
                    int rc;

                    if (!nm)
                        return DT_ENOMEM;
                    rc = dt_node_create(&c, (dt_node *)cur, nm, 0);
                    free(nm);
                    if (rc < 0)
                        return rc;
                    if (created_first && !*created_first)
                        *created_first = c;
                }
                if (!c && dt__node_ensure(cur) < 0)
                    return dt_error_last()->code; /* the group failed to load */
                if (!c) {
                    char *bp = dt__node_path_str(cur);
                    int rc = dt__fail(DT_ENOTFOUND, "no group %s%s%.*s (looking up \"%s\")",
                                      bp ? bp : "", cur->parent ? "/" : "",
                                      (int)len, s, path);
                    free(bp);
                    return rc;
                }
                cur = c;
            }
        }
        *out = (dt_node *)cur;
        return DT_OK;
    }
    while (*p) {
        const char *s = p;
        size_t len;

        while (*p && *p != '/')
            p++;
        len = (size_t)(p - s);
        while (*p == '/')
            p++;
        if (len == 0 || (len == 1 && *s == '.'))
            continue;
        if (len == 2 && s[0] == '.' && s[1] == '.') {
            if (!cur->parent)
                return dt__fail(DT_ENOTFOUND, "path \"%s\" goes above the root", path);
            cur = cur->parent;
            continue;
        }
        {
            dt_node *c = child_named(cur, s, len);

            if (!c && dt__node_ensure(cur) < 0)
                return dt_error_last()->code; /* the group failed to load */
            if (!c) {
                char *bp = dt__node_path_str(cur);
                int rc = dt__fail(DT_ENOTFOUND, "no group %s%s%.*s", bp ? bp : "",
                                  cur->parent ? "/" : "", (int)len, s);
                free(bp);
                return rc;
            }
            cur = c;
        }
    }
    *out = (dt_node *)cur;
    return DT_OK;
}

int dt_node_lookup(dt_node **out, const dt_node *base, const char *path)
{
    if (!out || !base || !path)
        return dt__fail(DT_EINVAL, "dt_node_lookup: NULL argument");
    return resolve(out, base, path, NULL, NULL, false, NULL);
}

static int attach_child(dt_node *parent, dt_node *child)
{
    if (parent->nchildren == parent->capchildren) {
        size_t cap = parent->capchildren ? parent->capchildren * 2 : 4;
        dt_node **p = dt__realloc(parent->children, cap * sizeof *p);

        if (!p)
            return DT_ENOMEM;
        parent->children = p;
        parent->capchildren = cap;
    }
    parent->children[parent->nchildren++] = child;
    child->parent = parent;
    return DT_OK;
}

static void detach_child(dt_node *child)
{
    dt_node *parent = child->parent;

    for (size_t i = 0; i < parent->nchildren; i++) {
        if (parent->children[i] == child) {
            memmove(parent->children + i, parent->children + i + 1,
                    (parent->nchildren - i - 1) * sizeof *parent->children);
            parent->nchildren--;
            break;
        }
    }
    child->parent = NULL;
}

int dt_node_create(dt_node **out, dt_node *base, const char *path,
                   unsigned flags)
{
    dt_node *parent = NULL, *node, *created_first = NULL, *existing;
    const char *last = NULL;
    size_t last_len = 0;
    char *name = NULL;
    int rc;

    if (!out || !base || !path)
        return dt__fail(DT_EINVAL, "dt_node_create: NULL argument");
    *out = NULL;
    rc = resolve(&parent, base, path, &last, &last_len,
                 (flags & DT_CREATE_PARENTS) != 0, &created_first);
    if (rc < 0)
        goto fail;
    name = dt__strndup(last, last_len);
    if (!name) {
        rc = DT_ENOMEM;
        goto fail;
    }
    existing = child_named(parent, name, last_len);
    if (existing) {
        if (flags & DT_CREATE_EXISTING) {
            *out = existing;
            free(name);
            return DT_OK;
        }
        char *p = dt__node_path_str(existing);
        rc = dt__fail(DT_EEXIST, "group %s already exists", p ? p : name);
        free(p);
        goto fail;
    }
    rc = node_name_check(name, "group");
    if (rc < 0)
        goto fail;
    rc = dt__node_name_free(parent, name, NULL, NULL);
    if (rc < 0)
        goto fail;
    if (parent->tree->limits.max_depth && dt_node_depth(parent) + 1 > parent->tree->limits.max_depth) {
        rc = dt__fail(DT_ELIMIT, "group \"%s\" would be %zu levels deep, the limit is %u",
                      name, dt_node_depth(parent) + 1, parent->tree->limits.max_depth);
        goto fail;
    }
    node = dt__node_new(parent->tree, parent, name);
    if (!node) {
        rc = DT_ENOMEM;
        goto fail;
    }
    rc = attach_child(parent, node);
    if (rc < 0) {
        dt__node_free(node);
        goto fail;
    }
    free(name);
    *out = node;
    return DT_OK;
fail:
    free(name);
    if (created_first) {
        detach_child(created_first);
        dt__node_free(created_first);
    }
    return rc;
}

int dt_node_remove(dt_node *node)
{
    if (!node)
        return dt__fail(DT_EINVAL, "dt_node_remove: node is NULL");
    if (!node->parent)
        return dt__fail(DT_EINVAL, "the root group cannot be removed");
    detach_child(node);
    dt__node_free(node);
    return DT_OK;
}

int dt_node_rename(dt_node *node, const char *name)
{
    char *copy;
    int rc;

    if (!node || !name)
        return dt__fail(DT_EINVAL, "dt_node_rename: NULL argument");
    if (!node->parent)
        return dt__fail(DT_EINVAL, "the root group has no name to change");
    rc = node_name_check(name, "group");
    if (rc < 0)
        return rc;
    rc = dt__node_name_free(node->parent, name, node, NULL);
    if (rc < 0)
        return rc;
    copy = dt__strdup(name);
    if (!copy)
        return DT_ENOMEM;
    free(node->name);
    node->name = copy;
    return DT_OK;
}

static bool is_in_subtree(const dt_node *n, const dt_node *top)
{
    for (; n; n = n->parent) {
        if (n == top)
            return true;
    }
    return false;
}

/* Dimensions that the subtree's variables use but that are declared above
 * `top`: a moved or copied subtree must carry them along. */
typedef struct outer_dims {
    dt__dim *d;
    size_t n, cap;
} outer_dims;

static int collect_outer_dims(const dt_node *n, const dt_node *top, outer_dims *od)
{
    for (size_t i = 0; i < n->nvars; i++) {
        const dt_var *v = n->vars[i];

        for (size_t k = 0; k < v->ndim; k++) {
            const dt_node *where = NULL;
            dt__dim *d = dt__dim_visible(n, v->dims[k], &where);
            bool seen = false;

            if (!d || is_in_subtree(where, top))
                continue;
            for (size_t j = 0; j < od->n; j++)
                seen = seen || strcmp(od->d[j].name, d->name) == 0;
            if (seen)
                continue;
            if (od->n == od->cap) {
                size_t cap = od->cap ? od->cap * 2 : 4;
                dt__dim *p = dt__realloc(od->d, cap * sizeof *p);
                if (!p)
                    return DT_ENOMEM;
                od->d = p;
                od->cap = cap;
            }
            od->d[od->n++] = *d; /* name borrowed from the old owner */
        }
    }
    for (size_t i = 0; i < n->nchildren; i++) {
        int rc = collect_outer_dims(n->children[i], top, od);
        if (rc < 0)
            return rc;
    }
    return DT_OK;
}

static void remove_own_dim(dt_node *node, const char *name)
{
    for (size_t i = 0; i < node->ndims; i++) {
        if (strcmp(node->dims[i].name, name) == 0) {
            free(node->dims[i].name);
            memmove(node->dims + i, node->dims + i + 1,
                    (node->ndims - i - 1) * sizeof *node->dims);
            node->ndims--;
            return;
        }
    }
}

int dt_node_move(dt_node *node, dt_node *new_parent, const char *name)
{
    dt_node *old_parent;
    char *old_name = NULL, *new_name = NULL;
    outer_dims od = {NULL, 0, 0};
    size_t declared = 0, old_index = 0;
    int rc;

    if (!node || !new_parent)
        return dt__fail(DT_EINVAL, "dt_node_move: NULL argument");
    if (!node->parent)
        return dt__fail(DT_EINVAL, "the root group cannot be moved");
    rc = dt_node_load_all(node);
    if (rc < 0)
        return rc;
    if (node->tree != new_parent->tree)
        return dt__fail(DT_EINVAL, "a group can only move within its tree; copy it instead");
    if (is_in_subtree(new_parent, node)) {
        char *a = dt__node_path_str(node), *b = dt__node_path_str(new_parent);
        rc = dt__fail(DT_ELOOP, "cannot move %s under %s: the intended parent is "
                      "already a descendant of this node", a ? a : "?", b ? b : "?");
        free(a);
        free(b);
        return rc;
    }
    if (!name)
        name = node->name;
    rc = node_name_check(name, "group");
    if (rc < 0)
        return rc;
    rc = dt__node_name_free(new_parent, name, node, NULL);
    if (rc < 0)
        return rc;
    rc = collect_outer_dims(node, node, &od);
    if (rc < 0)
        goto out;
    /* copy the borrowed names before detaching */
    for (size_t i = 0; i < od.n; i++) {
        od.d[i].name = dt__strdup(od.d[i].name);
        if (!od.d[i].name) {
            od.n = i;
            rc = DT_ENOMEM;
            goto out;
        }
    }
    new_name = dt__strdup(name);
    if (!new_name) {
        rc = DT_ENOMEM;
        goto out;
    }
    old_parent = node->parent;
    for (size_t i = 0; i < old_parent->nchildren; i++) {
        if (old_parent->children[i] == node)
            old_index = i;
    }
    detach_child(node);
    rc = attach_child(new_parent, node);
    if (rc < 0)
        goto undo_attach;
    old_name = node->name;
    node->name = new_name;
    new_name = NULL;
    /* carry dims the subtree used from its old ancestors */
    for (size_t i = 0; i < od.n; i++) {
        if (!dt__dim_visible(node, od.d[i].name, NULL)) {
            rc = dt__node_declare_dim(node, od.d[i].name, od.d[i].size, od.d[i].unlimited);
            if (rc < 0)
                goto undo_dims;
            declared = i + 1;
        }
    }
    if (!node->tree->loading) {
        rc = dt__align_subtree(node, 0, !node->tree->keep_layout);
        if (rc < 0)
            goto undo_dims;
    }
    free(old_name);
    rc = DT_OK;
    goto out;
undo_dims:
    for (size_t i = 0; i < declared; i++)
        remove_own_dim(node, od.d[i].name);
    new_name = node->name;
    node->name = old_name;
    detach_child(node);
undo_attach:
    /* put it back where it was, in its old position */
    if (attach_child(old_parent, node) == DT_OK) {
        memmove(old_parent->children + old_index + 1, old_parent->children + old_index,
                (old_parent->nchildren - 1 - old_index) * sizeof *old_parent->children);
        old_parent->children[old_index] = node;
    }
out:
    free(new_name);
    for (size_t i = 0; i < od.n; i++)
        free(od.d[i].name);
    free(od.d);
    return rc;
}

static int copy_subtree(dt_node **out, const dt_node *src, dt_node *dst_parent,
                        const char *name)
{
    dt_node *n = NULL;
    int rc;

    rc = dt_node_create(&n, dst_parent, name, 0);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < src->ndims && rc == DT_OK; i++)
        rc = dt__node_declare_dim(n, src->dims[i].name, src->dims[i].size,
                                  src->dims[i].unlimited);
    if (rc == DT_OK)
        rc = dt__attrs_copy(&n->attrs, &src->attrs);
    for (size_t i = 0; i < src->nvars && rc == DT_OK; i++) {
        dt_var *v;
        rc = dt__var_copy(&v, src->vars[i], n);
    }
    for (size_t i = 0; i < src->nchildren && rc == DT_OK; i++) {
        dt_node *c;
        rc = copy_subtree(&c, src->children[i], n, src->children[i]->name);
    }
    n->cut = src->cut;
    if (rc == DT_OK && src->cut_reason) {
        n->cut_reason = dt__strdup(src->cut_reason);
        if (!n->cut_reason)
            rc = DT_ENOMEM;
    }
    if (rc < 0) {
        dt_node_remove(n);
        return rc;
    }
    *out = n;
    return DT_OK;
}

int dt_node_copy(dt_node **out, const dt_node *src, dt_node *dst_parent,
                 const char *name, unsigned flags)
{
    dt_node *n = NULL;
    dt_tree *dt;
    outer_dims od = {NULL, 0, 0};
    int loading, rc;

    if (!out || !src || !dst_parent)
        return dt__fail(DT_EINVAL, "dt_node_copy: NULL argument");
    *out = NULL;
    if (is_in_subtree(dst_parent, src))
        return dt__fail(DT_ELOOP, "cannot copy a group into its own subtree");
    rc = dt_node_load_all(src);
    if (rc < 0)
        return rc;
    if (!name)
        name = src->parent ? src->name : "root";
    dt = dst_parent->tree;
    /* build without checks, then check the finished subtree once */
    loading = dt->loading;
    dt->loading = 1;
    rc = copy_subtree(&n, src, dst_parent, name);
    if (rc < 0)
        goto out;
    rc = collect_outer_dims(src, src, &od);
    for (size_t i = 0; i < od.n && rc == DT_OK; i++) {
        if (!dt__dim_visible(n, od.d[i].name, NULL))
            rc = dt__node_declare_dim(n, od.d[i].name, od.d[i].size, od.d[i].unlimited);
    }
    if (rc == DT_OK && (flags & DT_COPY_INHERIT)) {
        /* materialise the index coordinates src inherits (xarray copy()) */
        for (const dt_node *a = src->cut ? NULL : src->parent; a; a = a->cut ? NULL : a->parent) {
            for (size_t i = 0; i < a->nvars && rc == DT_OK; i++) {
                dt_var *v = a->vars[i], *mine = NULL;
                if (!dt_var_is_index(v) || dt_node_var_find(&mine, n, v->name) == DT_OK)
                    continue;
                dt_error_clear();
                if (!dt__dim_visible(n, v->dims[0], NULL))
                    rc = dt__node_declare_dim(n, v->dims[0], v->shape[0], 0);
                if (rc == DT_OK)
                    rc = dt__var_copy(&mine, v, n);
            }
        }
    }
    dt->loading = loading;
    if (rc == DT_OK && !loading)
        rc = dt__align_subtree(n, 0, !dt->keep_layout);
    if (rc < 0) {
        dt_node_remove(n);
        goto out;
    }
    *out = n;
out:
    dt->loading = loading;
    free(od.d);
    return rc;
}

static int walk(dt_node *node, dt_node_visit_fn fn, void *ud)
{
    int rc = fn(node, ud);

    if (rc == 0 && dt__node_ensure(node) < 0)
        return dt_error_last()->code;
    for (size_t i = 0; rc == 0 && i < node->nchildren; i++)
        rc = walk(node->children[i], fn, ud);
    return rc;
}

int dt_node_walk(dt_node *node, dt_node_visit_fn fn, void *ud)
{
    if (!node || !fn)
        return dt__fail(DT_EINVAL, "dt_node_walk: NULL argument");
    return walk(node, fn, ud);
}
