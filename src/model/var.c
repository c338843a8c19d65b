/* var.c: variables: definition, encoding, in-memory and lazy data, and
 * hyperslab reads and writes with type conversion. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"
#include "model.h"

/* ---- definition ---- */

void dt__var_free(dt_var *v)
{
    uint64_t n = 1;

    if (!v)
        return;
    if (v->data) {
        for (size_t i = 0; i < v->ndim; i++)
            n *= v->shape[i];
        dt__elems_release(v->data, v->type, (size_t)n);
        free(v->data);
    }
    if (v->src && v->src->free)
        v->src->free(v->src_ctx);
    if (v->fill) {
        dt__elems_release(v->fill, v->type, 1);
        free(v->fill);
    }
    for (size_t i = 0; i < v->ndim; i++)
        free(v->dims ? v->dims[i] : NULL);
    free(v->dims);
    free(v->shape);
    free(v->chunks);
    free(v->inner_chunks);
    for (size_t i = 0; i < v->ncodecs; i++)
        free(v->codecs[i]);
    free(v->codecs);
    for (size_t i = 0; i < v->nenums; i++)
        free(v->enums[i].name);
    free(v->enums);
    dt__attrs_clear(&v->attrs);
    free(v->link);
    free(v->name);
    free(v);
}

static int var_fail(const dt_var *v, int code, const char *fmt, ...) DT__PRINTF(3, 4);

/* An error about a variable, prefixed with its path and located in the file
 * its tree came from. */
static int var_fail(const dt_var *v, int code, const char *fmt, ...)
{
    char msg[768];
    char *p = dt__var_path_str(v);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dt__fail_at(code, v->node->tree->source, p, "%s", msg);
    free(p);
    return code;
}

bool dt__var_index_name(const dt_var *v)
{
    return v->ndim == 1 && strcmp(v->name, v->dims[0]) == 0;
}

static int node_var_name_check(const char *name)
{
    static const char *const zarr_keys[] = {
        "zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata",
    };
    int rc = dt_name_check(name, "variable");

    if (rc < 0)
        return rc;
    for (size_t i = 0; i < sizeof zarr_keys / sizeof *zarr_keys; i++) {
        if (strcmp(name, zarr_keys[i]) == 0)
            return dt__fail(DT_EBADNAME, "variable name \"%s\" is a Zarr metadata key", name);
    }
    if (strncmp(name, "__", 2) == 0)
        return dt__fail(DT_EBADNAME,
                        "variable name \"%s\" starts with \"__\", which Zarr reserves", name);
    return DT_OK;
}

static int append_var(dt_node *node, dt_var *v)
{
    if (node->nvars == node->capvars) {
        size_t cap = node->capvars ? node->capvars * 2 : 8;
        dt_var **p = dt__realloc(node->vars, cap * sizeof *p);

        if (!p)
            return DT_ENOMEM;
        node->vars = p;
        node->capvars = cap;
    }
    node->vars[node->nvars++] = v;
    return DT_OK;
}

static void unlink_var(dt_var *v)
{
    dt_node *n = v->node;

    for (size_t i = 0; i < n->nvars; i++) {
        if (n->vars[i] == v) {
            memmove(n->vars + i, n->vars + i + 1, (n->nvars - i - 1) * sizeof *n->vars);
            n->nvars--;
            return;
        }
    }
}

int dt_node_add_var(dt_var **out, dt_node *node, const char *name,
                    dt_type type, size_t ndim, const char *const *dims,
                    const uint64_t *shape)
{
    dt_var *v = NULL;
    size_t declared = 0;
    char *np = NULL;
    char tn[32];
    int rc;

    if (!out || !node || !name || (ndim && !dims))
        return dt__fail(DT_EINVAL, "dt_node_add_var: NULL argument");
    *out = NULL;
    rc = dt__node_ensure(node);
    if (rc < 0)
        return rc;
    rc = node_var_name_check(name);
    if (rc < 0)
        return rc;
    if (!dt__type_valid(type))
        return dt__fail(DT_ETYPE, "variable \"%s\": invalid type code 0x%x", name,
                        (unsigned)type);
    if (DT_TYPE_CLASS(type) == DT_JSON) {
        dt_type_name(tn, sizeof tn, type);
        return dt__fail(DT_ETYPE, "variable \"%s\": type %s is for attributes only", name, tn);
    }
    if (ndim > node->tree->limits.max_rank || ndim > DT_LIMITS_MAX_RANK)
        return dt__fail(DT_ELIMIT, "variable \"%s\" has %zu dimensions, the limit is %u",
                        name, ndim, node->tree->limits.max_rank);
    rc = dt__node_name_free(node, name, NULL, NULL);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < ndim; i++) {
        rc = dt_name_check(dims[i], "dimension");
        if (rc < 0)
            return rc;
        for (size_t k = 0; k < i; k++) {
            if (strcmp(dims[i], dims[k]) == 0)
                return dt__fail(DT_EINVAL, "variable \"%s\" names dimension \"%s\" twice",
                                name, dims[i]);
        }
    }
    /* datatree-model.md edge case 14: a data variable may not take the name
     * of an index coordinate the group inherits */
    if (!node->tree->loading && !(ndim == 1 && strcmp(name, dims[0]) == 0)) {
        dt_coord_info ci;

        if (dt_node_coord_find(&ci, node, name, DT_INHERIT_INDEXES) == DT_OK && ci.inherited) {
            np = dt__node_path_str(ci.owner);
            rc = dt__fail(DT_ENAMECLASH, "variable \"%s\" would hide the index coordinate "
                          "\"%s\" that the group inherits from %s", name, name, np ? np : "?");
            free(np);
            return rc;
        }
        dt_error_clear();
    }
    v = dt__calloc(1, sizeof *v);
    if (!v)
        return DT_ENOMEM;
    v->node = node;
    v->type = type;
    v->ndim = ndim;
    dt__attrs_init(&v->attrs);
    v->name = dt__strdup(name);
    v->shape = dt__calloc(ndim ? ndim : 1, sizeof *v->shape);
    v->dims = dt__calloc(ndim ? ndim : 1, sizeof *v->dims);
    if (!v->name || !v->shape || !v->dims) {
        rc = DT_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < ndim; i++) {
        const dt_node *where = NULL;
        dt__dim *d = dt__dim_visible(node, dims[i], &where);

        v->dims[i] = dt__strdup(dims[i]);
        if (!v->dims[i]) {
            rc = DT_ENOMEM;
            goto fail;
        }
        if (d && shape && shape[i] != d->size && d->unlimited && shape[i] > d->size &&
            node->tree->loading) {
            d->size = shape[i]; /* a reader found a longer record dimension */
        } else if (d && shape && shape[i] != d->size && !d->unlimited) {
            if (where != node && node->tree->loading) {
                /* a file's own declaration conflicts: keep it, end_load decides */
                rc = dt__node_declare_dim(node, dims[i], shape[i], 0);
                if (rc < 0)
                    goto fail;
                declared++;
                d = &node->dims[node->ndims - 1];
            } else {
                np = dt__node_path_str(where);
                if (where == node) {
                    rc = dt__fail(DT_ECONFLICT, "variable \"%s\": conflicting sizes for "
                                  "dimension '%s': %" PRIu64 " here, %" PRIu64 " declared in %s",
                                  name, dims[i], shape[i], d->size, np ? np : "?");
                } else {
                    /* datatree-model.md 7.3: name the group that is not aligned */
                    char *gp = dt__node_path_str(node);

                    rc = dt__fail(DT_EALIGN, "group '%s' is not aligned with its parents: "
                                  "variable \"%s\": conflicting sizes for dimension '%s': "
                                  "%" PRIu64 " here, %" PRIu64 " declared in %s",
                                  gp ? gp : "?", name, dims[i], shape[i], d->size,
                                  np ? np : "?");
                    free(gp);
                }
                free(np);
                goto fail;
            }
        } else if (d && shape && shape[i] > d->size) {
            np = dt__node_path_str(where);
            rc = dt__fail(DT_ECONFLICT, "variable \"%s\": %" PRIu64 " records along "
                          "unlimited dimension '%s' of %s, which has %" PRIu64
                          " (resize the dimension first)",
                          name, shape[i], dims[i], np ? np : "?", d->size);
            free(np);
            goto fail;
        } else if (!d) {
            if (!shape) {
                rc = dt__fail(DT_ENOTFOUND, "variable \"%s\": no dimension \"%s\" is "
                              "visible and no size was given", name, dims[i]);
                goto fail;
            }
            rc = dt__node_declare_dim(node, dims[i], shape[i], 0);
            if (rc < 0)
                goto fail;
            declared++;
            d = &node->dims[node->ndims - 1];
        }
        v->shape[i] = d->size;
    }
    v->is_coord = dt__var_index_name(v);
    /* A dimension new to this group may clash with one a descendant declares
     * (datatree-model.md 7.2). Checked before the variable joins the group,
     * so its still-empty values are not compared as an index. */
    if (declared && !node->tree->loading && node->nchildren) {
        rc = dt__align_subtree(node, 0, 0);
        if (rc < 0)
            goto fail;
    }
    rc = append_var(node, v);
    if (rc < 0)
        goto fail;
    *out = v;
    return DT_OK;
fail:
    while (declared--) {
        node->ndims--;
        free(node->dims[node->ndims].name);
    }
    dt__var_free(v);
    return rc;
}

size_t dt_node_var_count(const dt_node *node)
{
    return node && dt__node_ensure(node) == DT_OK ? node->nvars : 0;
}

dt_var *dt_node_var(const dt_node *node, size_t i)
{
    return node && dt__node_ensure(node) == DT_OK && i < node->nvars ? node->vars[i] : NULL;
}

int dt_node_var_find(dt_var **out, const dt_node *node, const char *name)
{
    if (!out || !node || !name)
        return dt__fail(DT_EINVAL, "dt_node_var_find: NULL argument");
    *out = NULL;
    if (dt__node_ensure(node) < 0)
        return dt_error_last()->code;
    for (size_t i = 0; i < node->nvars; i++) {
        if (strcmp(node->vars[i]->name, name) == 0) {
            *out = node->vars[i];
            return DT_OK;
        }
    }
    {
        char *p = dt__node_path_str(node);
        int rc = dt__fail(DT_ENOTFOUND, "no variable %s%s%s", p ? p : "",
                          node->parent ? "/" : "", name);
        free(p);
        return rc;
    }
}

int dt_var_lookup(dt_var **out, const dt_node *base, const char *path)
{
    const char *slash;
    dt_node *n = NULL;
    dt_coord_info ci;
    int rc;

    if (!out || !base || !path)
        return dt__fail(DT_EINVAL, "dt_var_lookup: NULL argument");
    *out = NULL;
    slash = strrchr(path, '/');
    if (slash) {
        char *dir = dt__strndup(path, (size_t)(slash - path) + 1);

        if (!dir)
            return DT_ENOMEM;
        rc = dt_node_lookup(&n, base, dir);
        free(dir);
        if (rc < 0)
            return rc;
        path = slash + 1;
    } else {
        n = (dt_node *)base;
    }
    if (dt_node_var_find(out, n, path) == DT_OK)
        return DT_OK;
    if (dt_node_coord_find(&ci, n, path, DT_INHERIT_INDEXES) == DT_OK) {
        dt_error_clear();
        *out = (dt_var *)ci.var;
        return DT_OK;
    }
    return dt_node_var_find(out, n, path);
}

/* ---- accessors ---- */

const char *dt_var_name(const dt_var *var) { return var ? var->name : NULL; }
dt_node *dt_var_node(const dt_var *var) { return var ? var->node : NULL; }
dt_type dt_var_type(const dt_var *var) { return var ? var->type : DT_NONE; }
size_t dt_var_ndim(const dt_var *var) { return var ? var->ndim : 0; }
const uint64_t *dt_var_shape(const dt_var *var) { return var ? var->shape : NULL; }
dt_attrs *dt_var_attrs(const dt_var *var) { return var ? (dt_attrs *)&var->attrs : NULL; }
int dt_var_is_coord(const dt_var *var) { return var ? var->is_coord : 0; }
const uint64_t *dt_var_chunks(const dt_var *var) { return var ? var->chunks : NULL; }
const void *dt_var_fill(const dt_var *var) { return var ? var->fill : NULL; }
size_t dt_var_codec_count(const dt_var *var) { return var ? var->ncodecs : 0; }
int dt_var_big_endian(const dt_var *var) { return var ? var->big_endian : 0; }
size_t dt_var_enum_count(const dt_var *var) { return var ? var->nenums : 0; }
int dt_var_is_lazy(const dt_var *var) { return var && var->src; }

void dt__var_source(const dt_var *var, const dt_source_ops **ops, void **ctx)
{
    *ops = var ? var->src : NULL;
    *ctx = var ? var->src_ctx : NULL;
}
const char *dt_var_link(const dt_var *var) { return var ? var->link : NULL; }

int dt__var_set_link(dt_var *var, const char *text)
{
    char *copy = NULL;

    if (text) {
        copy = dt__strdup(text);
        if (!copy)
            return DT_ENOMEM;
    }
    free(var->link);
    var->link = copy;
    return DT_OK;
}

const char *dt_var_dim(const dt_var *var, size_t i)
{
    return var && i < var->ndim ? var->dims[i] : NULL;
}

const char *dt_var_codec(const dt_var *var, size_t i)
{
    return var && i < var->ncodecs ? var->codecs[i] : NULL;
}

int dt_var_path(char **out, const dt_var *var)
{
    if (!out || !var)
        return dt__fail(DT_EINVAL, "dt_var_path: NULL argument");
    *out = dt__var_path_str(var);
    return *out ? DT_OK : DT_ENOMEM;
}

int dt_var_is_index(const dt_var *var)
{
    return var && var->is_coord && dt__var_index_name(var);
}

int dt_var_nelems(uint64_t *out, const dt_var *var)
{
    uint64_t n = 1;

    if (!out || !var)
        return dt__fail(DT_EINVAL, "dt_var_nelems: NULL argument");
    for (size_t i = 0; i < var->ndim; i++) {
        if (dt__mul_u64(&n, n, var->shape[i]))
            return var_fail(var, DT_ELIMIT, "the element count overflows 64 bits");
    }
    *out = n;
    return DT_OK;
}

int dt_var_set_coord(dt_var *var, int is_coord)
{
    if (!var)
        return dt__fail(DT_EINVAL, "dt_var_set_coord: var is NULL");
    if (!is_coord && dt__var_index_name(var))
        return var_fail(var, DT_EINVAL, "an index coordinate (named like its dimension) "
                        "stays a coordinate; rename it to make it data");
    var->is_coord = is_coord != 0;
    return DT_OK;
}

int dt_var_set_chunks(dt_var *var, const uint64_t *chunks)
{
    uint64_t *c = NULL;

    if (!var)
        return dt__fail(DT_EINVAL, "dt_var_set_chunks: var is NULL");
    if (chunks) {
        for (size_t i = 0; i < var->ndim; i++) {
            if (chunks[i] == 0)
                return var_fail(var, DT_EINVAL, "chunk size 0 along '%s'", var->dims[i]);
        }
        c = dt__malloc((var->ndim ? var->ndim : 1) * sizeof *c);
        if (!c)
            return DT_ENOMEM;
        if (var->ndim)
            memcpy(c, chunks, var->ndim * sizeof *c);
    }
    free(var->chunks);
    var->chunks = c;
    return DT_OK;
}

int dt__var_set_inner_chunks(dt_var *var, const uint64_t *inner)
{
    uint64_t *c = NULL;

    if (inner) {
        c = dt__malloc((var->ndim ? var->ndim : 1) * sizeof *c);
        if (!c)
            return DT_ENOMEM;
        if (var->ndim)
            memcpy(c, inner, var->ndim * sizeof *c);
    }
    free(var->inner_chunks);
    var->inner_chunks = c;
    return DT_OK;
}

const uint64_t *dt__var_inner_chunks(const dt_var *var)
{
    return var ? var->inner_chunks : NULL;
}

int dt_var_set_fill(dt_var *var, const void *value)
{
    void *f = NULL;
    size_t es;

    if (!var)
        return dt__fail(DT_EINVAL, "dt_var_set_fill: var is NULL");
    es = dt_type_size(var->type);
    if (value) {
        if (!es)
            return var_fail(var, DT_ETYPE, "this type has no fill value");
        f = dt__calloc(1, es);
        if (!f)
            return DT_ENOMEM;
        if (dt__elems_copy(f, value, var->type, 1) < 0) {
            free(f);
            return DT_ENOMEM;
        }
    }
    if (var->fill) {
        dt__elems_release(var->fill, var->type, 1);
        free(var->fill);
    }
    var->fill = f;
    return DT_OK;
}

int dt_var_add_codec(dt_var *var, const char *name)
{
    char **p, *c;

    if (!var || !name)
        return dt__fail(DT_EINVAL, "dt_var_add_codec: NULL argument");
    c = dt__strdup(name);
    if (!c)
        return DT_ENOMEM;
    p = dt__realloc(var->codecs, (var->ncodecs + 1) * sizeof *p);
    if (!p) {
        free(c);
        return DT_ENOMEM;
    }
    var->codecs = p;
    var->codecs[var->ncodecs++] = c;
    return DT_OK;
}

int dt_var_set_big_endian(dt_var *var, int big)
{
    if (!var)
        return dt__fail(DT_EINVAL, "dt_var_set_big_endian: var is NULL");
    var->big_endian = big != 0;
    return DT_OK;
}

int dt_var_enum_member(const dt_var *var, size_t i, const char **name,
                       int64_t *value)
{
    if (!var || i >= var->nenums)
        return dt__fail(DT_ENOTFOUND, "no enum member %zu", i);
    if (name)
        *name = var->enums[i].name;
    if (value)
        *value = var->enums[i].value;
    return DT_OK;
}

int dt_var_add_enum_member(dt_var *var, const char *name, int64_t value)
{
    dt__enum_member *p;
    char *c;

    if (!var || !name)
        return dt__fail(DT_EINVAL, "dt_var_add_enum_member: NULL argument");
    if (DT_TYPE_CLASS(var->type) != DT_ENUM)
        return var_fail(var, DT_ETYPE, "enum members on a variable that is not an enum");
    for (size_t i = 0; i < var->nenums; i++) {
        if (strcmp(var->enums[i].name, name) == 0)
            return var_fail(var, DT_ENAMECLASH, "enum member \"%s\" is defined twice", name);
    }
    c = dt__strdup(name);
    if (!c)
        return DT_ENOMEM;
    p = dt__realloc(var->enums, (var->nenums + 1) * sizeof *p);
    if (!p) {
        free(c);
        return DT_ENOMEM;
    }
    var->enums = p;
    var->enums[var->nenums].name = c;
    var->enums[var->nenums].value = value;
    var->nenums++;
    return DT_OK;
}

/* ---- renaming and removal ---- */

int dt_var_rename(dt_var *var, const char *name)
{
    char *copy, *old;
    int was_coord, rc;

    if (!var || !name)
        return dt__fail(DT_EINVAL, "dt_var_rename: NULL argument");
    rc = node_var_name_check(name);
    if (rc < 0)
        return rc;
    rc = dt__node_name_free(var->node, name, NULL, var);
    if (rc < 0)
        return rc;
    copy = dt__strdup(name);
    if (!copy)
        return DT_ENOMEM;
    old = var->name;
    was_coord = var->is_coord;
    var->name = copy;
    /* an index coordinate renamed away from its dimension stays a
     * coordinate (xarray keeps it in coords); a variable renamed onto its
     * dimension becomes the index */
    if (dt__var_index_name(var))
        var->is_coord = 1;
    if (!var->node->tree->loading) {
        rc = dt__align_subtree(var->node, 0, 0);
        if (rc < 0) {
            var->name = old;
            var->is_coord = was_coord;
            free(copy);
            return rc;
        }
    }
    free(old);
    return DT_OK;
}

int dt_var_remove(dt_var *var)
{
    if (!var)
        return dt__fail(DT_EINVAL, "dt_var_remove: var is NULL");
    unlink_var(var);
    dt__var_free(var);
    return DT_OK;
}

/* ---- data ---- */

/* Normalised selection: start, count, stride per dimension. */
typedef struct sel {
    uint64_t start[DT_LIMITS_MAX_RANK];
    uint64_t count[DT_LIMITS_MAX_RANK];
    uint64_t stride[DT_LIMITS_MAX_RANK];
    uint64_t n;
} sel;

static int make_sel(sel *s, const dt_var *v, const dt_slab *slab)
{
    if (slab && slab->ndim != v->ndim)
        return var_fail(v, DT_ERANGE, "the selection has %zu dimensions, the variable %zu",
                        slab->ndim, v->ndim);
    s->n = 1;
    for (size_t i = 0; i < v->ndim; i++) {
        uint64_t st = slab && slab->start ? slab->start[i] : 0;
        uint64_t sd = slab && slab->stride ? slab->stride[i] : 1;
        uint64_t ct, last;

        if (sd == 0)
            return var_fail(v, DT_ERANGE, "stride 0 along '%s'", v->dims[i]);
        if (slab && slab->count)
            ct = slab->count[i];
        else
            ct = st >= v->shape[i] ? 0 : (v->shape[i] - st + sd - 1) / sd;
        if (ct > 0) {
            if (dt__mul_u64(&last, ct - 1, sd) || dt__add_u64(&last, last, st) ||
                last >= v->shape[i])
                return var_fail(v, DT_ERANGE, "selection start %" PRIu64 ", count %" PRIu64
                                ", stride %" PRIu64 " goes past '%s' of size %" PRIu64,
                                st, ct, sd, v->dims[i], v->shape[i]);
        } else if (st > v->shape[i]) {
            return var_fail(v, DT_ERANGE, "selection start %" PRIu64 " is past '%s' of size %"
                            PRIu64, st, v->dims[i], v->shape[i]);
        }
        s->start[i] = st;
        s->count[i] = ct;
        s->stride[i] = sd;
        if (dt__mul_u64(&s->n, s->n, ct))
            return var_fail(v, DT_ELIMIT, "the selection's element count overflows");
    }
    return DT_OK;
}

int dt_slab_nelems(uint64_t *out, const dt_var *var, const dt_slab *slab)
{
    sel s;
    int rc;

    if (!out || !var)
        return dt__fail(DT_EINVAL, "dt_slab_nelems: NULL argument");
    rc = make_sel(&s, var, slab);
    if (rc == DT_OK)
        *out = s.n;
    return rc;
}

/* Visit every element of the selection in C order, calling fn with the
 * linear offset in the variable and the index in the selection. */
typedef int (*elem_fn)(uint64_t off, size_t i, void *ud);

static int for_each(const dt_var *v, const sel *s, elem_fn fn, void *ud)
{
    uint64_t idx[DT_LIMITS_MAX_RANK] = {0};

    if (s->n == 0)
        return DT_OK;
    for (size_t e = 0; e < s->n; e++) {
        uint64_t off = 0;
        int rc;

        for (size_t i = 0; i < v->ndim; i++)
            off = off * v->shape[i] + s->start[i] + idx[i] * s->stride[i];
        rc = fn(off, e, ud);
        if (rc < 0)
            return rc;
        for (size_t i = v->ndim; i-- > 0;) {
            if (++idx[i] < s->count[i])
                break;
            idx[i] = 0;
        }
    }
    return DT_OK;
}

typedef struct copy_ctx {
    const dt_var *v;
    size_t es;
    unsigned char *mem;   /* the variable's buffer */
    unsigned char *sel;   /* the selection's buffer */
} copy_ctx;

static int gather_one(uint64_t off, size_t i, void *ud)
{
    copy_ctx *c = ud;
    return dt__elems_copy(c->sel + i * c->es, c->mem + off * c->es, c->v->type, 1);
}

/* Copy between the variable's buffer and the selection's, a run along the
 * last axis at a time: one memcpy per run when its step is 1. For types
 * without owned pointers only (strings go element by element, so that a
 * failed copy leaves every element valid). */
static void copy_runs(const dt_var *v, const sel *s, unsigned char *mem, unsigned char *selbuf,
                      int to_var)
{
    uint64_t idx[DT_LIMITS_MAX_RANK] = {0};
    size_t nd = v->ndim, last = nd ? nd - 1 : 0, es = dt_type_size(v->type);
    uint64_t run = nd ? s->count[last] : 1, step = nd ? s->stride[last] : 1;

    for (uint64_t e = 0; e < s->n; e += run) {
        uint64_t off = 0;
        unsigned char *sp = selbuf + e * es;

        for (size_t i = 0; i < nd; i++)
            off = off * v->shape[i] + s->start[i] + (i == last ? 0 : idx[i] * s->stride[i]);
        if (step == 1) {
            if (to_var)
                memcpy(mem + off * es, sp, (size_t)run * es);
            else
                memcpy(sp, mem + off * es, (size_t)run * es);
        } else {
            for (uint64_t k = 0; k < run; k++) {
                unsigned char *vp = mem + (off + k * step) * es;

                if (to_var)
                    memcpy(vp, sp + k * es, es);
                else
                    memcpy(sp + k * es, vp, es);
            }
        }
        for (size_t i = last; i-- > 0;) {
            if (++idx[i] < s->count[i])
                break;
            idx[i] = 0;
        }
    }
}

static bool owns_pointers(dt_type t)
{
    return DT_TYPE_CLASS(t) == DT_STRING || DT_TYPE_CLASS(t) == DT_JSON;
}

static int scatter_one(uint64_t off, size_t i, void *ud)
{
    copy_ctx *c = ud;
    unsigned char *dst = c->mem + off * c->es;

    dt__elems_release(dst, c->v->type, 1);
    return dt__elems_copy(dst, c->sel + i * c->es, c->v->type, 1);
}

/* Fill n elements with the variable's fill value (zeros, "" for strings). */
static int fill_elems(const dt_var *v, void *buf, size_t n)
{
    size_t es = dt_type_size(v->type);
    static char empty[] = "";
    char *ep = empty;

    for (size_t i = 0; i < n; i++) {
        int rc;

        if (v->fill)
            rc = dt__elems_copy((char *)buf + i * es, v->fill, v->type, 1);
        else if (DT_TYPE_CLASS(v->type) == DT_STRING)
            rc = dt__elems_copy((char *)buf + i * es, &ep, v->type, 1);
        else {
            memset((char *)buf + i * es, 0, es);
            rc = DT_OK;
        }
        if (rc < 0) {
            dt__elems_release(buf, v->type, i);
            return rc;
        }
    }
    return DT_OK;
}

/* Read the selection in the variable's own type into buf. */
static int read_native(const dt_var *v, const sel *s, void *buf)
{
    copy_ctx c = {v, dt_type_size(v->type), v->data, buf};
    int rc;

    if (v->src) {
        rc = v->src->read(v->src_ctx, v, s->start, s->count, s->stride, buf);
        if (rc < 0) {
            char *p = dt__var_path_str(v);
            rc = dt__err_locate(rc, v->node->tree->source, p);
            free(p);
        }
        return rc;
    }
    if (!v->data)
        return fill_elems(v, buf, (size_t)s->n);
    /* a failed gather releases every element: those not reached yet must
     * be NULL strings, not what the caller's buffer held */
    if (!owns_pointers(v->type)) {
        copy_runs(v, s, v->data, buf, 0);
        return DT_OK;
    }
    if (DT_TYPE_CLASS(v->type) == DT_STRING)
        memset(buf, 0, (size_t)s->n * sizeof(char *));
    rc = for_each(v, s, gather_one, &c);
    if (rc < 0)
        dt__elems_release(buf, v->type, (size_t)s->n);
    return rc;
}

int dt_var_read(const dt_var *var, const dt_slab *slab, dt_type mem, void *buf,
                size_t bufsize)
{
    sel s;
    size_t es, n, need;
    void *tmp;
    int rc;

    if (!var || (!buf && bufsize))
        return dt__fail(DT_EINVAL, "dt_var_read: NULL argument");
    if (!dt__type_valid(mem))
        return var_fail(var, DT_ETYPE, "invalid memory type code 0x%x", (unsigned)mem);
    if (DT_TYPE_CLASS(var->type) == DT_COMPOUND || DT_TYPE_CLASS(var->type) == DT_OPAQUE ||
        DT_TYPE_CLASS(var->type) == DT_VLEN) {
        char tn[32];

        if (var->src)
            return read_native(var, &(sel){.n = 0}, NULL);
        dt_type_name(tn, sizeof tn, var->type);
        return var_fail(var, DT_ETYPE, "variables of type %s cannot be read", tn);
    }
    rc = make_sel(&s, var, slab);
    if (rc < 0)
        return rc;
    es = dt_type_size(mem);
    if (s.n > SIZE_MAX / es)
        return var_fail(var, DT_ELIMIT, "the selection does not fit in memory");
    n = (size_t)s.n;
    need = n * es;
    if (bufsize < need)
        return var_fail(var, DT_EINVAL, "the buffer holds %zu bytes, the selection needs %zu",
                        bufsize, need);
    if (n == 0)
        return DT_OK;
    if (mem == var->type)
        return read_native(var, &s, buf);
    {
        size_t ves = dt_type_size(var->type);

        if (n > SIZE_MAX / ves)
            return var_fail(var, DT_ELIMIT, "the selection does not fit in memory");
        tmp = dt__malloc(n * ves);
        if (!tmp)
            return DT_ENOMEM;
        rc = read_native(var, &s, tmp);
        if (rc == DT_OK) {
            rc = dt__convert(buf, mem, tmp, var->type, n);
            if (rc < 0) {
                char *p = dt__var_path_str(var);
                dt__err_locate(rc, var->node->tree->source, p);
                free(p);
            }
            dt__elems_release(tmp, var->type, n);
        }
        free(tmp);
    }
    return rc;
}

int dt__var_read_all(const dt_var *var, dt_type mem, void **out, size_t *n)
{
    uint64_t ne;
    size_t sz, es = dt_type_size(mem);
    void *buf;
    int rc;

    *out = NULL;
    *n = 0;
    rc = dt_var_nelems(&ne, var);
    if (rc < 0)
        return rc;
    if (ne > var->node->tree->limits.max_alloc / (es ? es : 1))
        return var_fail(var, DT_ELIMIT, "%" PRIu64 " elements are over the allocation limit",
                        ne);
    rc = dt__u64_to_size(&sz, ne);
    if (rc < 0)
        return rc;
    buf = dt__calloc(sz ? sz : 1, es);
    if (!buf)
        return DT_ENOMEM;
    rc = dt_var_read(var, NULL, mem, buf, sz * es);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    *n = sz;
    return DT_OK;
}

/* Give the variable an in-memory buffer filled with its fill value. */
int dt__var_materialize(dt_var *v)
{
    uint64_t ne, bytes;
    size_t n;
    void *buf;
    int rc;

    if (v->data)
        return DT_OK;
    rc = dt_var_nelems(&ne, v);
    if (rc < 0)
        return rc;
    if (dt__mul_u64(&bytes, ne, dt_type_size(v->type)))
        return var_fail(v, DT_ELIMIT, "the data size overflows");
    buf = dt__malloc_limited(bytes, v->node->tree->limits.max_alloc, "the variable's data");
    if (!buf) {
        char *p = dt__var_path_str(v);
        dt__err_locate(DT_ELIMIT, v->node->tree->source, p);
        free(p);
        return dt_error_last()->code;
    }
    n = (size_t)ne;
    if (v->src) {
        sel s;

        rc = make_sel(&s, v, NULL);
        if (rc == DT_OK)
            rc = read_native(v, &s, buf);
    } else {
        rc = fill_elems(v, buf, n);
    }
    if (rc < 0) {
        free(buf);
        return rc;
    }
    v->data = buf;
    return DT_OK;
}

/* After changing an index coordinate's values, re-check its group (and so
 * its descendants) against the rule. */
static int recheck_index(dt_var *v)
{
    if (v->node->tree->loading || !dt_var_is_index(v))
        return DT_OK;
    return dt__align_subtree(v->node, 0, 0);
}

int dt_var_set_data(dt_var *var, dt_type mem, const void *buf, size_t n)
{
    uint64_t ne;
    size_t es;
    void *data, *old;
    int rc;

    if (!var || (n && !buf))
        return dt__fail(DT_EINVAL, "dt_var_set_data: NULL argument");
    rc = dt_var_nelems(&ne, var);
    if (rc < 0)
        return rc;
    if (ne != n)
        return var_fail(var, DT_EINVAL, "%zu values given for %" PRIu64 " elements", n, ne);
    es = dt_type_size(var->type);
    if (!es)
        return var_fail(var, DT_ETYPE, "this type cannot hold data in memory");
    if (n > var->node->tree->limits.max_alloc / es)
        return var_fail(var, DT_ELIMIT, "%zu elements are over the allocation limit", n);
    data = dt__calloc(n ? n : 1, es);
    if (!data)
        return DT_ENOMEM;
    rc = dt__convert(data, var->type, buf, mem, n);
    if (rc < 0) {
        char *p = dt__var_path_str(var);
        dt__err_locate(rc, var->node->tree->source, p);
        free(p);
        free(data);
        return rc;
    }
    old = var->data;
    var->data = data;
    if (var->src) {
        /* the new values replace the file's; drop the source only on success */
        const dt_source_ops *src = var->src;
        var->src = NULL;
        rc = recheck_index(var);
        if (rc < 0) {
            var->src = src;
            var->data = old;
            dt__elems_release(data, var->type, n);
            free(data);
            return rc;
        }
        if (src->free)
            src->free(var->src_ctx);
        var->src_ctx = NULL;
    } else {
        rc = recheck_index(var);
        if (rc < 0) {
            var->data = old;
            dt__elems_release(data, var->type, n);
            free(data);
            return rc;
        }
    }
    if (old) {
        dt__elems_release(old, var->type, n);
        free(old);
    }
    return DT_OK;
}

int dt_var_set_source(dt_var *var, const dt_source_ops *ops, void *ctx)
{
    uint64_t ne = 1;

    if (!var || !ops || !ops->read) {
        if (ops && ops->free)
            ops->free(ctx);
        return dt__fail(DT_EINVAL, "dt_var_set_source: a variable and a read function "
                        "are required");
    }
    if (var->src && var->src->free)
        var->src->free(var->src_ctx);
    if (var->data) {
        for (size_t i = 0; i < var->ndim; i++)
            ne *= var->shape[i];
        dt__elems_release(var->data, var->type, (size_t)ne);
        free(var->data);
        var->data = NULL;
    }
    var->src = ops;
    var->src_ctx = ctx;
    return DT_OK;
}

int dt_var_write(dt_var *var, const dt_slab *slab, dt_type mem, const void *buf,
                 size_t bufsize)
{
    sel s;
    size_t es, ves, n;
    void *tmp = NULL, *backup = NULL;
    uint64_t total = 0;
    int rc;

    if (!var || (!buf && bufsize))
        return dt__fail(DT_EINVAL, "dt_var_write: NULL argument");
    rc = make_sel(&s, var, slab);
    if (rc < 0)
        return rc;
    es = dt_type_size(mem);
    ves = dt_type_size(var->type);
    if (!es || !ves)
        return var_fail(var, DT_ETYPE, "this type cannot be written");
    if (s.n > SIZE_MAX / (es > ves ? es : ves))
        return var_fail(var, DT_ELIMIT, "the selection does not fit in memory");
    n = (size_t)s.n;
    if (bufsize < n * es)
        return var_fail(var, DT_EINVAL, "the buffer holds %zu bytes, the selection needs %zu",
                        bufsize, n * es);
    if (n == 0)
        return DT_OK;
    tmp = dt__calloc(n, ves);
    if (!tmp)
        return DT_ENOMEM;
    rc = dt__convert(tmp, var->type, buf, mem, n);
    if (rc < 0) {
        char *p = dt__var_path_str(var);
        dt__err_locate(rc, var->node->tree->source, p);
        free(p);
        free(tmp);
        return rc;
    }
    if (var->src) {
        if (!var->src->write)
            rc = var_fail(var, DT_EUNSUPPORTED, "the file behind this variable is read-only");
        else
            rc = var->src->write(var->src_ctx, var, s.start, s.count, s.stride, tmp);
        goto out;
    }
    rc = dt__var_materialize(var);
    if (rc < 0)
        goto out;
    if (dt_var_is_index(var) && !var->node->tree->loading) {
        /* keep the old values to restore if the rule refuses the new ones */
        dt_var_nelems(&total, var);
        backup = dt__calloc((size_t)total ? (size_t)total : 1, ves);
        if (!backup || dt__elems_copy(backup, var->data, var->type, (size_t)total) < 0) {
            rc = DT_ENOMEM;
            goto out;
        }
    }
    {
        copy_ctx c = {var, ves, var->data, tmp};

        if (owns_pointers(var->type))
            rc = for_each(var, &s, scatter_one, &c);
        else
            copy_runs(var, &s, var->data, tmp, 1);
    }
    if (rc == DT_OK && backup) {
        rc = recheck_index(var);
        if (rc < 0) {
            dt__elems_release(var->data, var->type, (size_t)total);
            memcpy(var->data, backup, (size_t)total * ves);
            free(backup);
            backup = NULL;
        }
    }
out:
    if (backup) {
        dt__elems_release(backup, var->type, (size_t)total);
        free(backup);
    }
    dt__elems_release(tmp, var->type, n);
    free(tmp);
    return rc;
}

void dt_strings_free(char **strings, size_t n)
{
    if (!strings)
        return;
    for (size_t i = 0; i < n; i++) {
        free(strings[i]);
        strings[i] = NULL;
    }
}

/* ---- copying ---- */

int dt__var_copy(dt_var **out, const dt_var *src, dt_node *dst)
{
    dt_var *v = NULL;
    int rc;

    rc = dt_node_add_var(&v, dst, src->name, src->type, src->ndim,
                         (const char *const *)src->dims, src->shape);
    if (rc < 0)
        return rc;
    v->is_coord = src->is_coord;
    v->big_endian = src->big_endian;
    rc = dt__var_set_link(v, src->link);
    if (rc == DT_OK)
        rc = dt__attrs_copy(&v->attrs, &src->attrs);
    if (rc == DT_OK && src->chunks)
        rc = dt_var_set_chunks(v, src->chunks);
    if (rc == DT_OK && src->inner_chunks)
        rc = dt__var_set_inner_chunks(v, src->inner_chunks);
    if (rc == DT_OK && src->fill)
        rc = dt_var_set_fill(v, src->fill);
    for (size_t i = 0; i < src->ncodecs && rc == DT_OK; i++)
        rc = dt_var_add_codec(v, src->codecs[i]);
    for (size_t i = 0; i < src->nenums && rc == DT_OK; i++)
        rc = dt_var_add_enum_member(v, src->enums[i].name, src->enums[i].value);
    if (rc == DT_OK && (src->data || src->src) && dt_type_size(src->type)) {
        void *buf = NULL;
        size_t n = 0;

        rc = dt__var_read_all(src, src->type, &buf, &n);
        if (rc == DT_OK)
            v->data = buf;
    }
    if (rc < 0) {
        dt_var_remove(v);
        return rc;
    }
    *out = v;
    return DT_OK;
}
