/* attrs.c: ordered, typed attribute maps of groups and variables. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/io.h"
#include "model.h"

/* conventions.md section 6: names the formats keep for themselves. */
static const char *const reserved[] = {
    "CLASS", "NAME", "REFERENCE_LIST", "DIMENSION_LIST",
    "_Netcdf4Dimid", "_Netcdf4Coordinates", "_NCProperties", "_nc3_strict",
    "_ARRAY_DIMENSIONS",
};

int dt_attr_name_reserved(const char *name)
{
    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++) {
        if (strcmp(name, reserved[i]) == 0)
            return 1;
    }
    /* _nczarr_superblock, _nczarr_group, ... and their legacy upper case. */
    return strncasecmp(name, "_nczarr_", 8) == 0;
}

void dt__attrs_init(dt_attrs *a)
{
    a->items = NULL;
    a->n = a->cap = 0;
}

static void attr_free(dt_attr *at)
{
    if (!at)
        return;
    if (DT_TYPE_CLASS(at->type) == DT_STRING)
        dt__elems_release(at->vals, at->type, at->n);
    free(at->vals);
    free(at->shape);
    free(at->name);
    free(at);
}

void dt__attrs_clear(dt_attrs *a)
{
    for (size_t i = 0; i < a->n; i++)
        attr_free(a->items[i]);
    free(a->items);
    dt__attrs_init(a);
}

size_t dt_attrs_count(const dt_attrs *attrs)
{
    return attrs ? attrs->n : 0;
}

const dt_attr *dt_attrs_at(const dt_attrs *attrs, size_t i)
{
    return attrs && i < attrs->n ? attrs->items[i] : NULL;
}

static size_t find_index(const dt_attrs *attrs, const char *name)
{
    for (size_t i = 0; i < attrs->n; i++) {
        if (strcmp(attrs->items[i]->name, name) == 0)
            return i;
    }
    return SIZE_MAX;
}

const dt_attr *dt_attrs_find(const dt_attrs *attrs, const char *name)
{
    size_t i;

    if (!attrs || !name)
        return NULL;
    i = find_index(attrs, name);
    return i == SIZE_MAX ? NULL : attrs->items[i];
}

static int attr_make(dt_attr **out, const char *name, dt_type type, size_t n,
                     const void *vals, unsigned flags)
{
    dt_attr *at;
    uint32_t c = DT_TYPE_CLASS(type);
    size_t es = dt_type_size(type), nbytes;
    char tn[32];

    *out = NULL;
    if (!dt__type_valid(type))
        return dt__fail(DT_ETYPE, "attribute \"%s\": invalid type code 0x%x",
                        name, (unsigned)type);
    if (c == DT_COMPOUND || c == DT_OPAQUE || c == DT_VLEN) {
        /* user-defined HDF5 classes are listed, with no values */
        if (n != 0) {
            dt_type_name(tn, sizeof tn, type);
            return dt__fail(DT_ETYPE, "attribute \"%s\": %s values are not supported",
                            name, tn);
        }
        es = 1;
    }
    if ((flags & DT_ATTR_SCALAR) && n != 1)
        return dt__fail(DT_EINVAL, "attribute \"%s\": a scalar has one value, not %zu",
                        name, n);
    if (c == DT_JSON && n != 1)
        return dt__fail(DT_EINVAL, "attribute \"%s\": a JSON value is one text", name);
    if (n && !vals)
        return dt__fail(DT_EINVAL, "attribute \"%s\": no values given", name);
    if (n > (SIZE_MAX - 1) / es)
        return dt__fail(DT_ELIMIT, "attribute \"%s\": %zu values overflow", name, n);
    at = dt__calloc(1, sizeof *at);
    if (!at)
        return DT_ENOMEM;
    at->name = dt__strdup(name);
    at->type = type;
    at->n = n;
    at->scalar = (flags & DT_ATTR_SCALAR) != 0;
    nbytes = c == DT_JSON ? 0 : n * es;
    if (c == DT_JSON) {
        at->vals = dt__strdup((const char *)vals);
    } else {
        /* one spare NUL byte so char values read as C strings */
        at->vals = dt__calloc(1, nbytes + 1);
        if (at->vals && dt__elems_copy(at->vals, vals, type, n) < 0) {
            free(at->vals);
            at->vals = NULL;
        }
    }
    if (!at->name || !at->vals) {
        if (at->vals && c != DT_JSON)
            dt__elems_release(at->vals, type, n);
        free(at->vals);
        at->vals = NULL;
        at->n = 0;
        attr_free(at);
        return DT_ENOMEM;
    }
    *out = at;
    return DT_OK;
}

int dt__attrs_set_raw(dt_attrs *attrs, const char *name, dt_type type,
                      size_t n, const void *vals, unsigned flags)
{
    dt_attr *at;
    size_t i;
    int rc;

    if (!attrs || !name)
        return dt__fail(DT_EINVAL, "attribute map and name are required");
    rc = dt_name_check(name, "attribute");
    if (rc < 0)
        return rc;
    rc = attr_make(&at, name, type, n, vals, flags);
    if (rc < 0)
        return rc;
    i = find_index(attrs, name);
    if (i != SIZE_MAX) {
        attr_free(attrs->items[i]);
        attrs->items[i] = at;
        return DT_OK;
    }
    if (attrs->n == attrs->cap) {
        size_t cap = attrs->cap ? attrs->cap * 2 : 8;
        dt_attr **p = dt__realloc(attrs->items, cap * sizeof *p);

        if (!p) {
            attr_free(at);
            return DT_ENOMEM;
        }
        attrs->items = p;
        attrs->cap = cap;
    }
    attrs->items[attrs->n++] = at;
    return DT_OK;
}

int dt_attrs_set(dt_attrs *attrs, const char *name, dt_type type, size_t n,
                 const void *vals, unsigned flags)
{
    if (name && dt_attr_name_reserved(name))
        return dt__fail(DT_ERESERVED,
                        "attribute \"%s\": the name is reserved by a storage format",
                        name);
    return dt__attrs_set_raw(attrs, name, type, n, vals, flags);
}

int dt_attrs_remove(dt_attrs *attrs, const char *name)
{
    size_t i;

    if (!attrs || !name)
        return dt__fail(DT_EINVAL, "attribute map and name are required");
    i = find_index(attrs, name);
    if (i == SIZE_MAX)
        return dt__fail(DT_ENOTFOUND, "no attribute \"%s\"", name);
    attr_free(attrs->items[i]);
    memmove(attrs->items + i, attrs->items + i + 1,
            (attrs->n - i - 1) * sizeof *attrs->items);
    attrs->n--;
    return DT_OK;
}

int dt_attrs_rename(dt_attrs *attrs, const char *name, const char *new_name)
{
    size_t i;
    char *copy;
    int rc;

    if (!attrs || !name || !new_name)
        return dt__fail(DT_EINVAL, "attribute map and names are required");
    i = find_index(attrs, name);
    if (i == SIZE_MAX)
        return dt__fail(DT_ENOTFOUND, "no attribute \"%s\"", name);
    rc = dt_name_check(new_name, "attribute");
    if (rc < 0)
        return rc;
    if (dt_attr_name_reserved(new_name))
        return dt__fail(DT_ERESERVED,
                        "attribute \"%s\": the name is reserved by a storage format",
                        new_name);
    if (strcmp(name, new_name) != 0 && find_index(attrs, new_name) != SIZE_MAX)
        return dt__fail(DT_ENAMECLASH, "attribute \"%s\" already exists", new_name);
    copy = dt__strdup(new_name);
    if (!copy)
        return DT_ENOMEM;
    free(attrs->items[i]->name);
    attrs->items[i]->name = copy;
    return DT_OK;
}

int dt__attrs_copy(dt_attrs *dst, const dt_attrs *src)
{
    for (size_t i = 0; i < src->n; i++) {
        const dt_attr *at = src->items[i];
        int rc = dt__attrs_set_raw(dst, at->name, at->type, at->n, at->vals,
                                   at->scalar ? DT_ATTR_SCALAR : 0);
        if (rc == DT_OK && at->ndim > 1)
            rc = dt__attr_set_shape(dst, at->name, at->ndim, at->shape);
        if (rc < 0)
            return rc;
    }
    return DT_OK;
}

int dt__attr_set_shape(dt_attrs *attrs, const char *name, size_t ndim,
                       const uint64_t *shape)
{
    size_t i = find_index(attrs, name);
    uint64_t n = 1, *copy;
    dt_attr *at;

    if (i == SIZE_MAX)
        return dt__fail(DT_ENOTFOUND, "no attribute \"%s\"", name);
    at = attrs->items[i];
    if (ndim > DT_LIMITS_MAX_RANK)
        return dt__fail(DT_ELIMIT, "attribute \"%s\" has %zu dimensions, the limit is %d",
                        name, ndim, DT_LIMITS_MAX_RANK);
    for (size_t k = 0; k < ndim; k++) {
        if (dt__mul_u64(&n, n, shape[k]))
            return dt__fail(DT_ELIMIT, "attribute \"%s\": shape overflows", name);
    }
    if (n != at->n)
        return dt__fail(DT_EINVAL, "attribute \"%s\": a shape of %" PRIu64 " elements for %zu "
                        "values", name, n, at->n);
    if (ndim < 2) {
        free(at->shape);
        at->shape = NULL;
        at->ndim = 0;
        return DT_OK;
    }
    copy = dt__malloc(ndim * sizeof *copy);
    if (!copy)
        return DT_ENOMEM;
    memcpy(copy, shape, ndim * sizeof *copy);
    free(at->shape);
    at->shape = copy;
    at->ndim = ndim;
    return DT_OK;
}

const uint64_t *dt_attr_shape(const dt_attr *attr, size_t *ndim)
{
    if (ndim)
        *ndim = attr && attr->shape ? attr->ndim : 0;
    return attr ? attr->shape : NULL;
}

const char *dt_attr_name(const dt_attr *attr)
{
    return attr ? attr->name : NULL;
}

dt_type dt_attr_type(const dt_attr *attr)
{
    return attr ? attr->type : DT_NONE;
}

size_t dt_attr_len(const dt_attr *attr)
{
    return attr ? attr->n : 0;
}

int dt_attr_is_scalar(const dt_attr *attr)
{
    return attr ? attr->scalar : 0;
}

const void *dt_attr_data(const dt_attr *attr)
{
    return attr ? attr->vals : NULL;
}
