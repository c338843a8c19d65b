/* zarr_dims.c: dimensions of a Zarr store as FORMAT.md's Zarr rules give
 * them: names from _ARRAY_DIMENSIONS, dimension_names or NCZarr's
 * annotations; a group declares the dims its own arrays name (NCZarr: the
 * dims it declares); unnamed axes get phony_dim_N numbered over the whole
 * store in manifest order. Also the attributes, and building a group. */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "zarr_internal.h"

/* ------------------------------------------------------------------------ */
/* Attributes                                                               */

bool dt__zarr_attr_hidden(const char *name)
{
    /* FORMAT.md: _ARRAY_DIMENSIONS, _NCProperties and NCZarr's own keys */
    return strcmp(name, "_ARRAY_DIMENSIONS") == 0 || strcmp(name, "_NCProperties") == 0 ||
           strncasecmp(name, "_nczarr_", 8) == 0;
}

/* Base64 (as xarray encodes a v3 _FillValue); *n bytes, at most cap. */
static bool b64_decode(const char *s, unsigned char *out, size_t cap, size_t *n)
{
    uint32_t acc = 0;
    int bits = 0;

    *n = 0;
    for (; *s && *s != '='; s++) {
        const char *p = strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                               "0123456789+/", *s);

        if (!p)
            return false;
        acc = (acc << 6) | (uint32_t)(p - "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                          "0123456789+/");
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (*n >= cap)
                return false;
            out[(*n)++] = (unsigned char)(acc >> bits);
        }
    }
    return true;
}

/* One JSON number (or "NaN", "Infinity", "-Infinity", or base64 of a
 * little-endian float64) as a double. */
static bool json_double(struct json_object *v, double *out)
{
    if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) {
        *out = json_object_get_double(v);
        return true;
    }
    if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        unsigned char b[8];
        size_t n;

        if (strcmp(s, "NaN") == 0) {
            *out = NAN;
        } else if (strcmp(s, "Infinity") == 0) {
            *out = INFINITY;
        } else if (strcmp(s, "-Infinity") == 0) {
            *out = -INFINITY;
        } else if (b64_decode(s, b, sizeof b, &n) && n == 8) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
            dt__swap_units(b, 8, 8);
#endif
            memcpy(out, b, 8);
        } else {
            return false;
        }
        return true;
    }
    return false;
}

/* One element of type t from JSON into e; false when it does not fit. */
static bool typed_elem(struct json_object *v, dt_type t, unsigned char *e)
{
    uint32_t cls = DT_TYPE_CLASS(t) == DT_ENUM ? DT_TYPE_PARAM(t) : DT_TYPE_CLASS(t);
    int64_t i;
    uint64_t u;
    double d;

    switch (cls) {
    case DT_BOOL:
        if (!json_object_is_type(v, json_type_boolean))
            return false;
        e[0] = (unsigned char)json_object_get_boolean(v);
        return true;
    case DT_INT8: case DT_INT16: case DT_INT32: case DT_INT64: {
        int64_t lo = cls == DT_INT8 ? INT8_MIN : cls == DT_INT16 ? INT16_MIN
                     : cls == DT_INT32 ? INT32_MIN : INT64_MIN;
        int64_t hi = cls == DT_INT8 ? INT8_MAX : cls == DT_INT16 ? INT16_MAX
                     : cls == DT_INT32 ? INT32_MAX : INT64_MAX;

        if (!dt__zj_i64(v, &i) || i < lo || i > hi)
            return false;
        if (cls == DT_INT8) { int8_t x = (int8_t)i; memcpy(e, &x, 1); }
        else if (cls == DT_INT16) { int16_t x = (int16_t)i; memcpy(e, &x, 2); }
        else if (cls == DT_INT32) { int32_t x = (int32_t)i; memcpy(e, &x, 4); }
        else memcpy(e, &i, 8);
        return true;
    }
    case DT_UINT8: case DT_UINT16: case DT_UINT32: case DT_UINT64: {
        uint64_t hi = cls == DT_UINT8 ? UINT8_MAX : cls == DT_UINT16 ? UINT16_MAX
                      : cls == DT_UINT32 ? UINT32_MAX : UINT64_MAX;

        if (!dt__zj_u64(v, &u) || u > hi)
            return false;
        if (cls == DT_UINT8) { uint8_t x = (uint8_t)u; memcpy(e, &x, 1); }
        else if (cls == DT_UINT16) { uint16_t x = (uint16_t)u; memcpy(e, &x, 2); }
        else if (cls == DT_UINT32) { uint32_t x = (uint32_t)u; memcpy(e, &x, 4); }
        else memcpy(e, &u, 8);
        return true;
    }
    case DT_FLOAT32: {
        float f;

        if (!json_double(v, &d))
            return false;
        f = (float)d;
        memcpy(e, &f, 4);
        return true;
    }
    case DT_FLOAT64:
        if (!json_double(v, &d))
            return false;
        memcpy(e, &d, 8);
        return true;
    case DT_COMPLEX64:
    case DT_COMPLEX128: {
        double re, im;

        if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) != 2 ||
            !json_double(json_object_array_get_idx(v, 0), &re) ||
            !json_double(json_object_array_get_idx(v, 1), &im))
            return false;
        if (cls == DT_COMPLEX64) {
            float f[2] = {(float)re, (float)im};

            memcpy(e, f, 8);
        } else {
            double x[2] = {re, im};

            memcpy(e, x, 16);
        }
        return true;
    }
    default:
        return false;
    }
}

/* An attribute of the type libdtree's writer recorded; DT_ETYPE when the
 * JSON does not fit it (the caller keeps it as JSON then). */
static int set_typed(dt_attrs *dst, const char *k, struct json_object *v, const char *tname)
{
    char name[48];
    const char *sp = strchr(tname, ' ');
    unsigned flags = sp && strcmp(sp, " scalar") == 0 ? DT_ATTR_SCALAR : 0;
    dt_type t;
    uint32_t cls;
    size_t n, es;
    unsigned char *buf;
    int rc;

    snprintf(name, sizeof name, "%.*s", sp ? (int)(sp - tname) : (int)strlen(tname), tname);
    if (dt_type_parse(&t, name) < 0) {
        dt_error_clear();
        return DT_ETYPE;
    }
    cls = DT_TYPE_CLASS(t);
    if (cls == DT_CHAR) {
        if (json_object_is_type(v, json_type_string))
            return dt__attrs_set_raw(dst, k, DT_CHAR, (size_t)json_object_get_string_len(v),
                                     json_object_get_string(v), 0);
        if (!json_object_is_type(v, json_type_array))
            return DT_ETYPE;
        n = json_object_array_length(v);
        buf = dt__malloc(n ? n : 1);
        if (!buf)
            return DT_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            int64_t b;

            if (!dt__zj_i64(json_object_array_get_idx(v, i), &b) || b < 0 || b > 255) {
                free(buf);
                return DT_ETYPE;
            }
            buf[i] = (unsigned char)b;
        }
        rc = dt__attrs_set_raw(dst, k, DT_CHAR, n, buf, 0);
        free(buf);
        return rc;
    }
    if (cls == DT_STRING) {
        const char **ss;

        if (json_object_is_type(v, json_type_string)) {
            const char *s = json_object_get_string(v);

            return dt__attrs_set_raw(dst, k, DT_STRING, 1, &s, flags);
        }
        if (!json_object_is_type(v, json_type_array))
            return DT_ETYPE;
        n = json_object_array_length(v);
        ss = dt__calloc(n ? n : 1, sizeof *ss);
        if (!ss)
            return DT_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            struct json_object *x = json_object_array_get_idx(v, i);

            if (!json_object_is_type(x, json_type_string)) {
                free(ss);
                return DT_ETYPE;
            }
            ss[i] = json_object_get_string(x);
        }
        rc = dt__attrs_set_raw(dst, k, DT_STRING, n, ss, 0);
        free(ss);
        return rc;
    }
    es = dt_type_size(t);
    if (es == 0 || cls == DT_FLOAT16 || cls == DT_BYTES || cls == DT_UNICODE)
        return DT_ETYPE;
    /* one value, or a list (a complex value is itself a pair) */
    if (json_object_is_type(v, json_type_array) &&
        !((cls == DT_COMPLEX64 || cls == DT_COMPLEX128) && json_object_array_length(v) == 2 &&
          !json_object_is_type(json_object_array_get_idx(v, 0), json_type_array)))
        n = json_object_array_length(v);
    else
        n = 0;
    buf = dt__malloc(es * (n ? n : 1));
    if (!buf)
        return DT_ENOMEM;
    if (n == 0 && json_object_is_type(v, json_type_array) &&
        !(cls == DT_COMPLEX64 || cls == DT_COMPLEX128)) {
        rc = dt__attrs_set_raw(dst, k, t, 0, buf, 0);
    } else if (n == 0) {
        rc = typed_elem(v, t, buf) ? dt__attrs_set_raw(dst, k, t, 1, buf, flags) : DT_ETYPE;
    } else {
        rc = DT_OK;
        for (size_t i = 0; i < n && rc == DT_OK; i++) {
            if (!typed_elem(json_object_array_get_idx(v, i), t, buf + i * es))
                rc = DT_ETYPE;
        }
        if (rc == DT_OK)
            rc = dt__attrs_set_raw(dst, k, t, n, buf, 0);
    }
    free(buf);
    return rc;
}

int dt__zarr_set_attrs(dt_attrs *dst, struct json_object *attrs, struct json_object *types,
                       struct json_object *shapes, const dt_limits *lim, const char *store,
                       const char *path)
{
    if (!attrs)
        return DT_OK;
    if (!json_object_is_type(attrs, json_type_object))
        return dt__fail_at(DT_EFORMAT, store, path, "the attributes are %s, not an object",
                           dt__zj_kind(attrs));
    json_object_object_foreach(attrs, k, v) {
        struct json_object *tn = types ? dt__zj_get(types, k) : NULL;
        char *text;
        int rc;

        if (dt__zarr_attr_hidden(k))
            continue;
        if (dt_name_check(k, "attribute") < 0) {
            dt_error_clear(); /* a name the model cannot hold: left out */
            continue;
        }
        text = dt__zj_text(v);
        if (!text)
            return DT_ENOMEM;
        if (strlen(text) > lim->max_attr_bytes) {
            rc = dt__fail_at(DT_ELIMIT, store, path, "attribute \"%s\" is %zu bytes of JSON, "
                             "over the limit of %" PRIu64, k, strlen(text),
                             lim->max_attr_bytes);
            free(text);
            return rc;
        }
        /* the type libdtree wrote it from, when it says so and the value
         * fits; else every Zarr attribute is a JSON value (FORMAT.md) */
        rc = DT_ETYPE;
        if (tn && json_object_is_type(tn, json_type_string) && v)
            rc = set_typed(dst, k, v, json_object_get_string(tn));
        if (rc == DT_OK && shapes) {
            struct json_object *sh = dt__zj_get(shapes, k);
            uint64_t dims[DT_MAX_RANK];
            size_t nd = sh && json_object_is_type(sh, json_type_array)
                            ? json_object_array_length(sh) : 0;
            bool ok = nd > 1 && nd <= DT_MAX_RANK;

            for (size_t i = 0; ok && i < nd; i++)
                ok = dt__zj_u64(json_object_array_get_idx(sh, i), &dims[i]);
            /* a shape that does not fit the values is ignored */
            if (ok && dt__attr_set_shape(dst, k, nd, dims) < 0)
                dt_error_clear();
        }
        if (rc == DT_ETYPE) {
            dt_error_clear();
            rc = dt__attrs_set_raw(dst, k, DT_JSON, 1, text, DT_ATTR_SCALAR);
        }
        free(text);
        if (rc < 0)
            return dt__err_locate(rc, store, path);
    }
    return DT_OK;
}

/* libdtree's member of a metadata document, or NULL. */
static struct json_object *annotation(struct json_object *doc)
{
    struct json_object *a = dt__zj_get(doc, "libdtree");

    return a && json_object_is_type(a, json_type_object) ? a : NULL;
}

int dt__zarr_group_annotation(dt__zgroup *g, struct json_object *doc, int v3,
                              const char *store)
{
    struct json_object *ann = annotation(doc), *at, *dims, *unl;
    char *key;
    int rc = DT_OK;

    if (!ann)
        return DT_OK;
    at = dt__zj_get(ann, "attribute_types");
    if (at && json_object_is_type(at, json_type_object) && !g->atypes)
        g->atypes = json_object_get(at);
    at = dt__zj_get(ann, "attribute_shapes");
    if (at && json_object_is_type(at, json_type_object) && !g->ashapes)
        g->ashapes = json_object_get(at);
    key = dt__aprintf("%s%s", g->prefix, v3 ? "zarr.json" : ".zgroup");
    if (!key)
        return DT_ENOMEM;
    dims = dt__zj_get(ann, "dimensions");
    if (v3 && dims && !g->has_ncdims) {
        if (!json_object_is_type(dims, json_type_object)) {
            rc = dt__fail_at(DT_EFORMAT, store, key, "libdtree's dimensions are %s, not an "
                             "object", dt__zj_kind(dims));
            goto out;
        }
        g->ncdims = dt__calloc((size_t)json_object_object_length(dims) + 1, sizeof *g->ncdims);
        if (!g->ncdims) {
            rc = DT_ENOMEM;
            goto out;
        }
        g->has_ncdims = 1;
        json_object_object_foreach(dims, k, v) {
            uint64_t size;

            if (!dt__zj_u64(v, &size)) {
                rc = dt__fail_at(DT_EFORMAT, store, key, "dimension \"%s\" has no size", k);
                goto out;
            }
            g->ncdims[g->nncdims].name = dt__strdup(k);
            if (!g->ncdims[g->nncdims].name) {
                rc = DT_ENOMEM;
                goto out;
            }
            g->ncdims[g->nncdims++].size = size;
        }
    }
    unl = dt__zj_get(ann, "unlimited");
    for (size_t i = 0; unl && json_object_is_type(unl, json_type_array) &&
                       i < json_object_array_length(unl); i++) {
        const char *n = json_object_get_string(json_object_array_get_idx(unl, i));

        for (size_t k = 0; n && k < g->nncdims; k++) {
            if (strcmp(g->ncdims[k].name, n) == 0)
                g->ncdims[k].unlimited = 1;
        }
    }
out:
    free(key);
    return rc;
}

int dt__zarr_array_annotation(dt__zarray *a, struct json_object *doc, int v3,
                              const char *store)
{
    struct json_object *ann = annotation(doc), *v;

    (void)store;
    if (!ann)
        return DT_OK;
    v = dt__zj_get(ann, "attribute_types");
    if (v && json_object_is_type(v, json_type_object))
        a->atypes = json_object_get(v);
    v = dt__zj_get(ann, "attribute_shapes");
    if (v && json_object_is_type(v, json_type_object))
        a->ashapes = json_object_get(v);
    v = dt__zj_get(ann, "dtype");
    if (v && json_object_is_type(v, json_type_string)) {
        dt_type t;

        /* only a type with the stored one's bytes: char over |S1, an enum
         * over its base integers */
        if (dt_type_parse(&t, json_object_get_string(v)) == DT_OK &&
            ((DT_TYPE_CLASS(t) == DT_CHAR && a->type == DT_BYTES_N(1)) ||
             (DT_TYPE_CLASS(t) == DT_ENUM && DT_TYPE_PARAM(t) == a->type)))
            a->vtype = t;
        dt_error_clear();
    }
    if (a->vtype && DT_TYPE_CLASS(a->vtype) == DT_CHAR) {
        struct json_object *f = dt__zj_get(ann, "fill_value");

        a->big_endian = 0;   /* ">S1": bytes have no order */
        if (f && !a->fill && dt__zj_fill(f, a->type, &a->fill) < 0)
            dt_error_clear();
    }
    v = dt__zj_get(ann, "enum");
    if (a->vtype && DT_TYPE_CLASS(a->vtype) == DT_ENUM && v &&
        json_object_is_type(v, json_type_object))
        a->enums = json_object_get(v);
    v = dt__zj_get(ann, "no_fill");
    if (v3 && v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v) &&
        a->fill) {
        if (DT_TYPE_CLASS(a->type) == DT_STRING)
            free(*(char **)a->fill);
        free(a->fill);
        a->fill = NULL;
    }
    v = dt__zj_get(ann, "contiguous");
    if (v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v) &&
        !a->shard && memcmp(a->chunks, a->shape, a->ndim * sizeof *a->shape) == 0)
        a->contiguous = 1;
    v = dt__zj_get(ann, "chunks");
    if (v && json_object_is_type(v, json_type_array) && !a->shard && a->ndim &&
        json_object_array_length(v) == a->ndim && !a->asked) {
        bool ok = true;

        a->asked = dt__calloc(a->ndim, sizeof *a->asked);
        if (!a->asked)
            return DT_ENOMEM;
        /* only a shape the written chunks are the clamped form of */
        for (size_t i = 0; ok && i < a->ndim; i++)
            ok = dt__zj_u64(json_object_array_get_idx(v, i), &a->asked[i]) &&
                 a->asked[i] >= a->chunks[i] &&
                 (a->asked[i] == a->chunks[i] || a->chunks[i] == a->shape[i]);
        if (!ok) {
            free(a->asked);
            a->asked = NULL;
        }
    }
    v = dt__zj_get(ann, "dimension_references");
    if (v3 && v && json_object_is_type(v, json_type_array) &&
        json_object_array_length(v) == a->ndim && a->ndim > 0) {
        char **names = dt__calloc(a->ndim, sizeof *names);

        if (!names)
            return DT_ENOMEM;
        for (size_t i = 0; i < a->ndim; i++) {
            const char *r = json_object_get_string(json_object_array_get_idx(v, i));
            const char *slash = r ? strrchr(r, '/') : NULL;

            names[i] = dt__strdup(slash ? slash + 1 : r ? r : "");
            if (!names[i]) {
                for (size_t k = 0; k < i; k++)
                    free(names[k]);
                free(names);
                return DT_ENOMEM;
            }
        }
        for (size_t i = 0; a->dimnames && i < a->ndim; i++)
            free(a->dimnames[i]);
        free(a->dimnames);
        a->dimnames = names;
        a->nczarr_dims = 1;
    }
    return DT_OK;
}

/* ------------------------------------------------------------------------ */
/* Names of an array's axes                                                 */

/* NCZarr's annotation of an array: in .zarray (netCDF-C 4.9.0, upper case)
 * or in .zattrs (later versions). */
static struct json_object *nczarr_array(struct json_object *zarray, struct json_object *zattrs)
{
    static const char *const spellings[] = {"_NCZARR_ARRAY", "_nczarr_array"};

    for (size_t i = 0; i < 2; i++) {
        struct json_object *v = dt__zj_get(zarray, spellings[i]);

        if (!v)
            v = dt__zj_get(zattrs, spellings[i]);
        if (v && json_object_is_type(v, json_type_object))
            return v;
    }
    return NULL;
}

static int set_names(dt__zarray *a, struct json_object *list, int refs, const char *store,
                     const char *key, const char *what)
{
    a->dimnames = dt__calloc(a->ndim ? a->ndim : 1, sizeof *a->dimnames);
    if (!a->dimnames)
        return DT_ENOMEM;
    for (size_t i = 0; i < a->ndim; i++) {
        struct json_object *e = json_object_array_get_idx(list, i);
        const char *n, *slash;

        if (!e || json_object_is_type(e, json_type_null))
            continue;
        if (!json_object_is_type(e, json_type_string))
            return dt__fail_at(DT_EFORMAT, store, key, "%s[%zu] is %s, not a name", what, i,
                               dt__zj_kind(e));
        n = json_object_get_string(e);
        /* NCZarr references are fully qualified: "/g/x" names dim x of /g */
        slash = refs ? strrchr(n, '/') : NULL;
        a->dimnames[i] = dt__strdup(slash ? slash + 1 : n);
        if (!a->dimnames[i])
            return DT_ENOMEM;
    }
    a->nczarr_dims = refs;
    return DT_OK;
}

int dt__zarr_v2_dims(dt__zarray *a, struct json_object *zarray, struct json_object *zattrs,
                     const char *store, const char *key)
{
    struct json_object *nc = nczarr_array(zarray, zattrs), *refs = NULL, *ad;

    if (a->ndim == 0)
        return DT_OK;
    if (nc) {
        refs = dt__zj_get(nc, "dimrefs");
        if (!refs)
            refs = dt__zj_get(nc, "dimension_references");
    }
    if (refs && json_object_is_type(refs, json_type_array) &&
        json_object_array_length(refs) == a->ndim)
        return set_names(a, refs, 1, store, key, "dimension_references");
    ad = dt__zj_get(zattrs, "_ARRAY_DIMENSIONS");
    if (!ad)
        return DT_OK;
    if (!json_object_is_type(ad, json_type_array) || json_object_array_length(ad) != a->ndim)
        return dt__fail_at(DT_EFORMAT, store, key, "_ARRAY_DIMENSIONS has %zu names for the "
                           "%zu dimensions of the array",
                           json_object_is_type(ad, json_type_array)
                               ? json_object_array_length(ad) : 0, a->ndim);
    return set_names(a, ad, 0, store, key, "_ARRAY_DIMENSIONS");
}

/* NCZarr group dims: {"dims": {...}} in .zgroup's _NCZARR_GROUP (4.9.0) or
 * {"dimensions": {...}} in .zattrs's _nczarr_group; a size is a number or
 * {"size": n, "unlimited": 1}. */
int dt__zarr_nczarr_group(dt__zgroup *g, struct json_object *zgroup,
                          struct json_object *zattrs, const char *store)
{
    struct json_object *ng = dt__zj_get(zgroup, "_NCZARR_GROUP"), *dims;
    char *key = dt__aprintf("%s%s", g->prefix, ng ? ".zgroup" : ".zattrs");
    int rc = DT_OK;

    if (!key)
        return DT_ENOMEM;
    if (!ng)
        ng = dt__zj_get(zattrs, "_nczarr_group");
    if (!ng)
        ng = dt__zj_get(zattrs, "_NCZARR_GROUP");
    if (!ng || !json_object_is_type(ng, json_type_object))
        goto out;
    dims = dt__zj_get(ng, "dims");
    if (!dims)
        dims = dt__zj_get(ng, "dimensions");
    if (!dims)
        goto out;
    if (!json_object_is_type(dims, json_type_object)) {
        rc = dt__fail_at(DT_EFORMAT, store, key, "NCZarr's group dimensions are %s, not an "
                         "object", dt__zj_kind(dims));
        goto out;
    }
    g->has_ncdims = 1;
    g->ncdims = dt__calloc((size_t)json_object_object_length(dims) + 1, sizeof *g->ncdims);
    if (!g->ncdims) {
        rc = DT_ENOMEM;
        goto out;
    }
    json_object_object_foreach(dims, k, v) {
        struct json_object *sz = v, *un = NULL;
        uint64_t size;

        if (json_object_is_type(v, json_type_object)) {
            sz = dt__zj_get(v, "size");
            un = dt__zj_get(v, "unlimited");
        }
        if (!dt__zj_u64(sz, &size)) {
            rc = dt__fail_at(DT_EFORMAT, store, key, "NCZarr dimension \"%s\" has no size", k);
            goto out;
        }
        g->ncdims[g->nncdims].name = dt__strdup(k);
        if (!g->ncdims[g->nncdims].name) {
            rc = DT_ENOMEM;
            goto out;
        }
        g->ncdims[g->nncdims].size = size;
        g->ncdims[g->nncdims].unlimited =
            un && ((json_object_is_type(un, json_type_int) && json_object_get_int64(un)) ||
                   (json_object_is_type(un, json_type_boolean) && json_object_get_boolean(un)));
        g->nncdims++;
    }
out:
    free(key);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Phony dims                                                               */

/* The group's unnamed axes in manifest order (arrays by name, axes in
 * order): each reuses a phony dim of the group with its length that the
 * array does not use yet, else gets a new one. sizes (one per axis of the
 * group's arrays) gets each phony dim's length; ids, when given, each
 * axis's phony index (unused for named axes). Returns the count. */
static size_t assign_phony(const dt__zgroup *g, uint64_t *sizes, size_t *ids)
{
    size_t n = 0, at = 0;

    for (size_t i = 0; i < g->narrays; i++) {
        const dt__zarray *a = g->arrays[i];
        size_t used[DT_MAX_RANK], nused = 0;

        if (!a)
            continue;
        for (size_t d = 0; d < a->ndim; d++, at++) {
            size_t k;

            if (a->dimnames && a->dimnames[d])
                continue;
            for (k = 0; k < n; k++) {
                size_t u;

                if (sizes[k] != a->shape[d])
                    continue;
                for (u = 0; u < nused && used[u] != k; u++)
                    ;
                if (u == nused)
                    break;
            }
            if (k == n)
                sizes[n++] = a->shape[d];
            used[nused++] = k;
            if (ids)
                ids[at] = k;
        }
    }
    return n;
}

/* The number of axes of the group's arrays (for the buffers above). */
static size_t axes_of(const dt__zgroup *g)
{
    size_t n = 0;

    for (size_t i = 0; i < g->narrays; i++)
        n += g->arrays[i] ? g->arrays[i]->ndim : 0;
    return n;
}

int dt__zarr_phony_count(dt__zreader *r, size_t gi, size_t *out)
{
    dt__zgroup *g = dt__zreader_group(r, gi);

    if (!g->phony_counted) {
        size_t nax = axes_of(g);
        uint64_t *sizes = dt__malloc((nax ? nax : 1) * sizeof *sizes);

        if (!sizes)
            return DT_ENOMEM;
        g->nphony = assign_phony(g, sizes, NULL);
        free(sizes);
        g->phony_counted = 1;
    }
    *out = g->nphony;
    return DT_OK;
}

/* Phony dims in the subtree of gi, scanning it as needed. */
static int subtree_phony(dt__zreader *r, size_t gi, uint64_t *out)
{
    dt__zgroup *g;
    uint64_t n;
    int rc = dt__zreader_scan(r, gi);

    if (rc < 0)
        return rc;
    g = dt__zreader_group(r, gi);
    if (g->subtree_counted) {
        *out = g->subtree_phony;
        return DT_OK;
    }
    {
        size_t own;

        rc = dt__zarr_phony_count(r, gi, &own);
        if (rc < 0)
            return rc;
        n = own;
    }
    for (size_t i = 0; i < g->nchildren; i++) {
        uint64_t c;

        rc = subtree_phony(r, g->children[i], &c);
        if (rc < 0)
            return rc;
        g = dt__zreader_group(r, gi);
        n += c;
    }
    g->subtree_phony = n;
    g->subtree_counted = 1;
    *out = n;
    return DT_OK;
}

/* The store-wide number of the group's first phony dim: all the phony
 * dims of the groups before it in manifest order (parents before
 * children, siblings by name). Only groups that have phony dims ask, so a
 * store with named dims is never scanned ahead. */
static int phony_base(dt__zreader *r, size_t gi, uint64_t *out)
{
    dt__zgroup *g = dt__zreader_group(r, gi), *p;
    uint64_t base, sub;
    size_t parent;
    int rc;

    if (g->base_known) {
        *out = g->phony_base;
        return DT_OK;
    }
    if (g->parent == DT__ZNONE) {
        base = 0;
    } else {
        parent = g->parent;
        rc = phony_base(r, parent, &base);
        if (rc < 0)
            return rc;
        {
            size_t own;

            rc = dt__zarr_phony_count(r, parent, &own);
            if (rc < 0)
                return rc;
            base += own;
        }
        p = dt__zreader_group(r, parent);
        for (size_t i = 0; i < p->nchildren && p->children[i] != gi; i++) {
            rc = subtree_phony(r, p->children[i], &sub);
            if (rc < 0)
                return rc;
            p = dt__zreader_group(r, parent);
            base += sub;
        }
    }
    g = dt__zreader_group(r, gi);
    g->phony_base = base;
    g->base_known = 1;
    *out = base;
    return DT_OK;
}

/* ------------------------------------------------------------------------ */
/* Building a group                                                         */

static bool own_dim(const dt_node *node, const char *name)
{
    for (size_t i = 0; i < dt_node_dim_count(node); i++) {
        dt_dim_info d;

        if (dt_node_dim(&d, node, i) == DT_OK && strcmp(d.name, name) == 0)
            return true;
    }
    return false;
}

/* Variables a JSON "coordinates" attribute names in the group are
 * coordinates (conventions.md 7). */
static void mark_coordinates(dt_node *node)
{
    for (size_t i = 0; i < dt_node_var_count(node); i++) {
        const dt_attr *at = dt_attrs_find(dt_var_attrs(dt_node_var(node, i)), "coordinates");
        struct json_object *j;
        const char *text;
        char *copy, *tok, *save = NULL;

        if (!at || DT_TYPE_CLASS(dt_attr_type(at)) != DT_JSON)
            continue;
        j = json_tokener_parse((const char *)dt_attr_data(at));
        if (!j)
            continue;
        text = json_object_is_type(j, json_type_string) ? json_object_get_string(j) : NULL;
        copy = text ? dt__strdup(text) : NULL;
        json_object_put(j);
        if (!copy) {
            dt_error_clear();
            continue;
        }
        for (tok = strtok_r(copy, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
            dt_var *cv = NULL;

            if (dt_node_var_find(&cv, node, tok) == DT_OK && cv && dt_var_set_coord(cv, 1) < 0)
                dt_error_clear(); /* a hint, not a reason to fail the load */
        }
        dt_error_clear();
        free(copy);
    }
}

/* Names the model refuses for a variable (datatree-model.md's rules, Zarr
 * keys, "__" which Zarr reserves): such an array is left out, as the HDF5
 * reader leaves out what the model cannot hold. */
static bool var_name_ok(const char *name)
{
    static const char *const keys[] = {
        "zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata",
    };

    if (dt_name_check(name, "variable") < 0 || strncmp(name, "__", 2) == 0)
        return false;
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        if (strcmp(name, keys[i]) == 0)
            return false;
    }
    return true;
}

static int add_array(dt__zreader *r, dt_node *node, dt__zgroup *g, size_t i,
                     const size_t *ids, size_t at, uint64_t base, const char *gpath)
{
    dt__zarray *a = g->arrays[i];
    const char *store = dt__zreader_store_name(r);
    char names[DT_MAX_RANK][48];
    const char *dims[DT_MAX_RANK];
    char *path = dt__aprintf("%s%s%s", gpath, gpath[1] ? "/" : "", a->name);
    dt_var *var = NULL;
    int rc;

    if (!path)
        return DT_ENOMEM;
    for (size_t d = 0; d < a->ndim; d++) {
        if (a->dimnames && a->dimnames[d]) {
            dims[d] = a->dimnames[d];
        } else {
            snprintf(names[d], sizeof names[d], "phony_dim_%" PRIu64, base + ids[at + d]);
            dims[d] = names[d];
        }
    }
    rc = dt_node_add_var(&var, node, a->name, a->vtype ? a->vtype : a->type, a->ndim, dims,
                         a->shape);
    if (rc < 0) {
        rc = dt__err_locate(rc, store, path);
        goto out;
    }
    rc = dt__zarr_set_attrs(dt_var_attrs(var), a->attrs, a->atypes, a->ashapes,
                            dt__zreader_limits(r), store, path);
    if (rc == DT_OK && a->enums) {
        json_object_object_foreach(a->enums, mk, mv) {
            int64_t val;

            if (rc == DT_OK && dt__zj_i64(mv, &val))
                rc = dt_var_add_enum_member(var, mk, val);
        }
    }
    if (rc == DT_OK)
        rc = dt_var_set_chunks(var, a->contiguous ? NULL : a->asked ? a->asked : a->chunks);
    if (rc == DT_OK && a->shard)
        rc = dt__var_set_inner_chunks(var, a->shard->inner);
    for (size_t k = 0; k < a->nlabels && rc == DT_OK; k++)
        rc = dt_var_add_codec(var, a->labels[k]);
    if (rc == DT_OK && a->big_endian)
        rc = dt_var_set_big_endian(var, 1);
    if (rc == DT_OK && a->fill)
        rc = dt_var_set_fill(var, a->fill);
    if (rc == DT_OK) {
        /* the source takes the array over */
        g->arrays[i] = NULL;
        rc = dt__zarr_source_attach(var, r, a);
    }
    if (rc < 0)
        rc = dt__err_locate(rc, store, path);
out:
    free(path);
    return rc;
}

int dt__zarr_build_group(dt__zreader *r, size_t gi, dt_node *node)
{
    dt__zgroup *g = dt__zreader_group(r, gi);
    const char *store = dt__zreader_store_name(r);
    size_t nax = axes_of(g), nphony, at = 0;
    uint64_t *sizes = NULL, base = 0;
    size_t *ids = NULL;
    char *gpath = NULL;
    int rc;

    rc = dt_node_path(&gpath, node);
    if (rc < 0)
        return rc;
    rc = dt__zarr_set_attrs(dt_node_attrs(node), g->attrs, g->atypes, g->ashapes,
                            dt__zreader_limits(r), store, gpath);
    if (rc < 0)
        goto out;
    /* NCZarr: the dims the group declares, unlimited ones too */
    for (size_t k = 0; k < g->nncdims && rc == DT_OK; k++)
        rc = dt_node_add_dim(node, g->ncdims[k].name, g->ncdims[k].size,
                             g->ncdims[k].unlimited);
    /* the dims the group's arrays name (not NCZarr references, which name
     * a dim of this group or an ancestor) */
    for (size_t i = 0; i < g->narrays && rc == DT_OK; i++) {
        const dt__zarray *a = g->arrays[i];

        for (size_t d = 0; a && a->dimnames && !a->nczarr_dims && d < a->ndim && rc == DT_OK;
             d++) {
            if (a->dimnames[d] && dt_name_check(a->dimnames[d], "dimension") == DT_OK &&
                !own_dim(node, a->dimnames[d]))
                rc = dt_node_add_dim(node, a->dimnames[d], a->shape[d], 0);
            dt_error_clear();
        }
    }
    if (rc < 0) {
        rc = dt__err_locate(rc, store, gpath);
        goto out;
    }
    /* phony dims, numbered after those of every group before this one */
    sizes = dt__malloc((nax ? nax : 1) * sizeof *sizes);
    ids = dt__malloc((nax ? nax : 1) * sizeof *ids);
    if (!sizes || !ids) {
        rc = DT_ENOMEM;
        goto out;
    }
    nphony = assign_phony(g, sizes, ids);
    g->nphony = nphony;
    g->phony_counted = 1;
    if (nphony) {
        rc = phony_base(r, gi, &base);
        if (rc < 0)
            goto out;
        g = dt__zreader_group(r, gi);
        for (size_t k = 0; k < nphony && rc == DT_OK; k++) {
            char name[48];

            snprintf(name, sizeof name, "phony_dim_%" PRIu64, base + k);
            rc = dt_node_add_dim(node, name, sizes[k], 0);
        }
        if (rc < 0) {
            rc = dt__err_locate(rc, store, gpath);
            goto out;
        }
    }
    for (size_t i = 0; i < g->narrays && rc == DT_OK; i++) {
        const dt__zarray *a = g->arrays[i];
        size_t first = at;

        if (!a)
            continue;
        at += a->ndim;
        if (!var_name_ok(a->name)) {
            dt_error_clear(); /* a name the model cannot hold: left out */
            continue;
        }
        rc = add_array(r, node, g, i, ids, first, base, gpath);
    }
    if (rc < 0)
        goto out;
    mark_coordinates(node);
    for (size_t i = 0; i < g->nchildren && rc == DT_OK; i++)
        rc = dt__zreader_add_child(r, g->children[i], node);
out:
    free(sizes);
    free(ids);
    free(gpath);
    return rc;
}
