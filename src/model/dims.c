/* dims.c: per-group dimension tables: declaration, visibility through
 * ancestors, renaming and resizing. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

dt__dim *dt__node_own_dim(const dt_node *node, const char *name)
{
    for (size_t i = 0; i < node->ndims; i++) {
        if (strcmp(node->dims[i].name, name) == 0)
            return &node->dims[i];
    }
    return NULL;
}

dt__dim *dt__dim_visible(const dt_node *node, const char *name,
                         const dt_node **where)
{
    for (const dt_node *n = node; n; n = n->cut ? NULL : n->parent) {
        dt__dim *d = dt__node_own_dim(n, name);

        if (d) {
            if (where)
                *where = n;
            return d;
        }
    }
    return NULL;
}

int dt__node_declare_dim(dt_node *node, const char *name, uint64_t size,
                         int unlimited)
{
    char *copy;
    int rc = dt_name_check(name, "dimension");

    if (rc < 0)
        return rc;
    if (dt__node_own_dim(node, name)) {
        char *p = dt__node_path_str(node);
        rc = dt__fail(DT_EEXIST, "group %s already declares dimension \"%s\"",
                      p ? p : "?", name);
        free(p);
        return rc;
    }
    if (node->ndims == node->capdims) {
        size_t cap = node->capdims ? node->capdims * 2 : 4;
        dt__dim *p = dt__realloc(node->dims, cap * sizeof *p);

        if (!p)
            return DT_ENOMEM;
        node->dims = p;
        node->capdims = cap;
    }
    copy = dt__strdup(name);
    if (!copy)
        return DT_ENOMEM;
    node->dims[node->ndims].name = copy;
    node->dims[node->ndims].size = size;
    node->dims[node->ndims].unlimited = unlimited != 0;
    node->ndims++;
    return DT_OK;
}

static void drop_last_dim(dt_node *node)
{
    node->ndims--;
    free(node->dims[node->ndims].name);
}

size_t dt_node_dim_count(const dt_node *node)
{
    return node && dt__node_ensure(node) == DT_OK ? node->ndims : 0;
}

int dt_node_dim(dt_dim_info *out, const dt_node *node, size_t i)
{
    if (!out || !node)
        return dt__fail(DT_EINVAL, "dt_node_dim: NULL argument");
    if (dt__node_ensure(node) < 0)
        return dt_error_last()->code;
    if (i >= node->ndims)
        return dt__fail(DT_ENOTFOUND, "dimension index %zu: the group has %zu", i,
                        node->ndims);
    out->name = node->dims[i].name;
    out->size = node->dims[i].size;
    out->unlimited = node->dims[i].unlimited;
    out->owner = node;
    return DT_OK;
}

int dt_node_dim_find(dt_dim_info *out, const dt_node *node, const char *name)
{
    const dt_node *where = NULL;
    dt__dim *d;

    if (!out || !node || !name)
        return dt__fail(DT_EINVAL, "dt_node_dim_find: NULL argument");
    if (dt__node_ensure(node) < 0)
        return dt_error_last()->code;
    d = dt__dim_visible(node, name, &where);
    if (!d) {
        char *p = dt__node_path_str(node);
        int rc = dt__fail(DT_ENOTFOUND, "no dimension \"%s\" is visible in group %s",
                          name, p ? p : "?");
        free(p);
        return rc;
    }
    out->name = d->name;
    out->size = d->size;
    out->unlimited = d->unlimited;
    out->owner = where;
    return DT_OK;
}

int dt_node_add_dim(dt_node *node, const char *name, uint64_t size,
                    int unlimited)
{
    int rc;

    if (!node || !name)
        return dt__fail(DT_EINVAL, "dt_node_add_dim: NULL argument");
    rc = dt__node_ensure(node);
    if (rc < 0)
        return rc;
    rc = dt__node_declare_dim(node, name, size, unlimited);
    if (rc < 0 || node->tree->loading)
        return rc;
    rc = dt__align_subtree(node, 0, 0);
    if (rc < 0)
        drop_last_dim(node);
    return rc;
}

/* Does the subtree at n use dimension `name` resolved to the one `owner`
 * declares? */
static bool uses_dim_of(const dt_node *n, const char *name, const dt_node *owner)
{
    const dt_node *where = NULL;

    if (!dt__dim_visible(n, name, &where) || where != owner)
        return false;
    for (size_t i = 0; i < n->nvars; i++) {
        for (size_t k = 0; k < n->vars[i]->ndim; k++) {
            if (strcmp(n->vars[i]->dims[k], name) == 0)
                return true;
        }
    }
    for (size_t i = 0; i < n->nchildren; i++) {
        if (uses_dim_of(n->children[i], name, owner))
            return true;
    }
    return false;
}

bool dt__dim_used_in(const dt_node *node, const char *name)
{
    return uses_dim_of(node, name, node);
}

/* Rename dimension `from` to `to` in every variable of the subtree that
 * resolves it to owner's declaration. Returns how many names changed. */
static int rename_in_vars(dt_node *n, const char *from, const char *to,
                          const dt_node *owner)
{
    const dt_node *where = NULL;

    if (!dt__dim_visible(n, from, &where) || where != owner)
        return DT_OK;
    for (size_t i = 0; i < n->nvars; i++) {
        dt_var *v = n->vars[i];

        for (size_t k = 0; k < v->ndim; k++) {
            if (strcmp(v->dims[k], from) == 0) {
                char *c = dt__strdup(to);
                if (!c)
                    return DT_ENOMEM;
                free(v->dims[k]);
                v->dims[k] = c;
            }
        }
    }
    for (size_t i = 0; i < n->nchildren; i++) {
        int rc = rename_in_vars(n->children[i], from, to, owner);
        if (rc < 0)
            return rc;
    }
    return DT_OK;
}

int dt_node_rename_dim(dt_node *node, const char *name, const char *new_name)
{
    dt__dim *d;
    char *copy, *old;
    int rc;

    if (!node || !name || !new_name)
        return dt__fail(DT_EINVAL, "dt_node_rename_dim: NULL argument");
    d = dt__node_own_dim(node, name);
    if (!d) {
        char *p = dt__node_path_str(node);
        rc = dt__fail(DT_ENOTFOUND, "group %s declares no dimension \"%s\"", p ? p : "?", name);
        free(p);
        return rc;
    }
    rc = dt_name_check(new_name, "dimension");
    if (rc < 0)
        return rc;
    if (strcmp(name, new_name) == 0)
        return DT_OK;
    if (dt__node_own_dim(node, new_name)) {
        char *p = dt__node_path_str(node);
        rc = dt__fail(DT_EEXIST, "group %s already declares dimension \"%s\"",
                      p ? p : "?", new_name);
        free(p);
        return rc;
    }
    copy = dt__strdup(new_name);
    old = dt__strdup(name);
    if (!copy || !old) {
        free(copy);
        free(old);
        return DT_ENOMEM;
    }
    /* variables first, while `name` still resolves to this declaration */
    rc = rename_in_vars(node, name, new_name, node);
    if (rc < 0)
        goto revert;
    free(d->name);
    d->name = copy;
    copy = NULL;
    if (!node->tree->loading) {
        rc = dt__align_subtree(node, 0, 0);
        if (rc < 0) {
            int saved = rc;
            char *back = dt__strdup(old);

            rename_in_vars(node, new_name, old, node);
            if (back) {
                free(d->name);
                d->name = back;
            }
            rc = saved;
            goto out;
        }
    }
    goto out;
revert:
    rename_in_vars(node, new_name, name, node);
out:
    free(copy);
    free(old);
    return rc;
}

/* Re-lay a variable's in-memory data after its dimension k changed size. */
static int relayout(dt_var *v, size_t k, uint64_t new_size)
{
    uint64_t old_n = 1, new_n = 1;
    size_t es = dt_type_size(v->type), nbytes;
    uint64_t *newshape;
    unsigned char *nd;
    int rc;

    newshape = dt__malloc(v->ndim * sizeof *newshape);
    if (!newshape)
        return DT_ENOMEM;
    memcpy(newshape, v->shape, v->ndim * sizeof *newshape);
    newshape[k] = new_size;
    for (size_t i = 0; i < v->ndim; i++) {
        if (dt__mul_u64(&old_n, old_n, v->shape[i]) || dt__mul_u64(&new_n, new_n, newshape[i])) {
            free(newshape);
            return dt__fail(DT_ELIMIT, "variable \"%s\": shape overflows", v->name);
        }
    }
    if (!v->data || v->src) {
        free(v->shape);
        v->shape = newshape;
        return DT_OK;
    }
    if (dt__mul_u64(&new_n, new_n, es) || dt__u64_to_size(&nbytes, new_n) < 0) {
        free(newshape);
        return dt__fail(DT_ELIMIT, "variable \"%s\": data would overflow", v->name);
    }
    nd = dt__calloc(1, nbytes);
    if (!nd) {
        free(newshape);
        return DT_ENOMEM;
    }
    /* walk the new index space; copy what existed, fill the rest */
    {
        uint64_t idx[DT_LIMITS_MAX_RANK] = {0};
        size_t total = nbytes / (es ? es : 1);

        rc = DT_OK;
        for (size_t e = 0; e < total && rc == DT_OK; e++) {
            bool inside = true;
            uint64_t off = 0;

            for (size_t i = 0; i < v->ndim; i++) {
                if (idx[i] >= v->shape[i])
                    inside = false;
                off = off * v->shape[i] + idx[i];
            }
            if (inside)
                rc = dt__elems_copy(nd + e * es, (unsigned char *)v->data + off * es, v->type, 1);
            else if (v->fill)
                rc = dt__elems_copy(nd + e * es, v->fill, v->type, 1);
            else if (DT_TYPE_CLASS(v->type) == DT_STRING)
                rc = dt__elems_copy(nd + e * es, (char *const[]){""}, v->type, 1);
            for (size_t i = v->ndim; i-- > 0;) {
                if (++idx[i] < newshape[i])
                    break;
                idx[i] = 0;
            }
        }
        if (rc < 0) {
            dt__elems_release(nd, v->type, total);
            free(nd);
            free(newshape);
            return rc;
        }
        dt__elems_release(v->data, v->type, old_n);
    }
    free(v->data);
    v->data = nd;
    free(v->shape);
    v->shape = newshape;
    return DT_OK;
}

static int resize_in_vars(dt_node *n, const char *name, const dt_node *owner,
                          uint64_t size)
{
    const dt_node *where = NULL;

    if (!dt__dim_visible(n, name, &where) || where != owner)
        return DT_OK;
    for (size_t i = 0; i < n->nvars; i++) {
        dt_var *v = n->vars[i];

        for (size_t k = 0; k < v->ndim; k++) {
            if (strcmp(v->dims[k], name) == 0 && v->shape[k] != size) {
                int rc = relayout(v, k, size);
                if (rc < 0)
                    return rc;
            }
        }
    }
    for (size_t i = 0; i < n->nchildren; i++) {
        int rc = resize_in_vars(n->children[i], name, owner, size);
        if (rc < 0)
            return rc;
    }
    return DT_OK;
}

int dt_node_resize_dim(dt_node *node, const char *name, uint64_t size)
{
    dt__dim *d;
    uint64_t old;
    int rc;

    if (!node || !name)
        return dt__fail(DT_EINVAL, "dt_node_resize_dim: NULL argument");
    d = dt__node_own_dim(node, name);
    if (!d) {
        char *p = dt__node_path_str(node);
        rc = dt__fail(DT_ENOTFOUND, "group %s declares no dimension \"%s\"", p ? p : "?", name);
        free(p);
        return rc;
    }
    if (!d->unlimited) {
        char *p = dt__node_path_str(node);
        rc = dt__fail(DT_EINVAL, "%s: dimension \"%s\" is fixed at %" PRIu64
                      "; only unlimited dimensions can be resized", p ? p : "?", name, d->size);
        free(p);
        return rc;
    }
    old = d->size;
    if (!node->tree->loading) {
        /* check first with the new size, so a refused resize changes nothing */
        d->size = size;
        rc = dt__align_subtree(node, 0, 0);
        d->size = old;
        if (rc < 0)
            return rc;
    }
    rc = resize_in_vars(node, name, node, size);
    if (rc < 0) {
        resize_in_vars(node, name, node, old);
        return rc;
    }
    d->size = size;
    return DT_OK;
}

int dt_node_remove_dim(dt_node *node, const char *name)
{
    dt__dim *d;
    char *p;
    int rc;

    if (!node || !name)
        return dt__fail(DT_EINVAL, "dt_node_remove_dim: NULL argument");
    d = dt__node_own_dim(node, name);
    p = dt__node_path_str(node);
    if (!d)
        rc = dt__fail(DT_ENOTFOUND, "group %s declares no dimension \"%s\"", p ? p : "?", name);
    else if (dt__dim_used_in(node, name))
        rc = dt__fail(DT_EINVAL, "dimension \"%s\" of group %s is still used by a variable",
                      name, p ? p : "?");
    else
        rc = DT_OK;
    free(p);
    if (rc == DT_OK) {
        size_t i = (size_t)(d - node->dims);
        free(d->name);
        memmove(node->dims + i, node->dims + i + 1, (node->ndims - i - 1) * sizeof *d);
        node->ndims--;
    }
    return rc;
}
