/* zarr_v2.c: a Zarr v2 array from its .zarray and .zattrs: shape, chunks,
 * NumPy dtype, order, dimension separator, fill value, and the filters and
 * compressor as a codec chain. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "zarr_internal.h"

#define KEY_FMT "%s.zarray"

/* A metadata error located at the array's .zarray. */
static int v2_fail(const char *store, const dt__zarray *a, int code, const char *fmt, ...)
    DT__PRINTF(4, 5);

static int v2_fail(const char *store, const dt__zarray *a, int code, const char *fmt, ...)
{
    char msg[768], *key = dt__aprintf(KEY_FMT, a->prefix);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dt__fail_at(code, store, key ? key : a->prefix, "%s", msg);
    free(key);
    return code;
}

/* shape or chunks: a list of non-negative integers. */
static int int_list(const char *store, const dt__zarray *a, struct json_object *v,
                    const char *what, uint64_t *out, size_t *n, const dt_limits *lim)
{
    size_t len;

    if (!v)
        return v2_fail(store, a, DT_EFORMAT, "\"%s\" is missing", what);
    if (!json_object_is_type(v, json_type_array))
        return v2_fail(store, a, DT_EFORMAT, "\"%s\" is %s, not a list", what,
                       dt__zj_kind(v));
    len = json_object_array_length(v);
    if (len > lim->max_rank || len > DT_MAX_RANK)
        return v2_fail(store, a, DT_ELIMIT, "\"%s\" has %zu dimensions, the limit is %u",
                       what, len, lim->max_rank < DT_MAX_RANK ? lim->max_rank : DT_MAX_RANK);
    for (size_t i = 0; i < len; i++) {
        struct json_object *e = json_object_array_get_idx(v, i);
        int64_t s;

        if (dt__zj_u64(e, &out[i]))
            continue;
        if (dt__zj_i64(e, &s) && s < 0)
            return v2_fail(store, a, DT_EFORMAT, "%s[%zu] is %" PRId64 ": a length cannot be "
                           "negative", what, i, s);
        return v2_fail(store, a, DT_EFORMAT, "%s[%zu] is %s, not a non-negative integer",
                       what, i, dt__zj_show(e));
    }
    *n = len;
    return DT_OK;
}

/* The manifest's name of a codec configuration: its id, and blosc's inner
 * codec ("blosc(lz4)"). */
static int add_label(dt__zarray *a, struct json_object *cfg)
{
    struct json_object *id = dt__zj_get(cfg, "id");
    const char *name = id && json_object_is_type(id, json_type_string)
                           ? json_object_get_string(id) : "?";
    char *label;
    int rc;

    if (strcmp(name, "blosc") == 0) {
        struct json_object *cn = dt__zj_get(cfg, "cname");

        label = dt__aprintf("blosc(%s)", cn && json_object_is_type(cn, json_type_string)
                                             ? json_object_get_string(cn) : "lz4");
        if (!label)
            return DT_ENOMEM;
        rc = dt__zarray_label(a, label);
        free(label);
        return rc;
    }
    return dt__zarray_label(a, name);
}

/* Add one filter or the compressor to the chain. A codec libdtree does not
 * have, or one configured wrongly, leaves the metadata readable and makes
 * the data unreadable with the reason (zarr-v2.md 5.3). */
static int add_codec(dt__zarray *a, struct json_object *cfg, const dt__codec_ctx *ctx)
{
    struct json_object *id = dt__zj_get(cfg, "id");
    const dt__codec_class *cls;
    int rc;

    if (a->unreadable)
        return DT_OK;
    if (!cfg || !json_object_is_type(cfg, json_type_object) || !id ||
        !json_object_is_type(id, json_type_string)) {
        dt__fail(DT_EFORMAT, "a filter or compressor without an \"id\"");
        dt__zarray_unreadable(a);
        return DT_OK;
    }
    cls = dt__codec_find(json_object_get_string(id));
    if (!cls || cls->kind != DT__CODEC_BYTES) {
        dt__fail(DT_EUNSUPPORTED, "codec \"%s\" is not available: the data cannot be decoded",
                 json_object_get_string(id));
        dt__zarray_unreadable(a);
        return DT_OK;
    }
    rc = dt__chain_add(&a->chain, cls, cfg, ctx);
    if (rc == DT_ENOMEM)
        return rc;
    if (rc < 0)
        dt__zarray_unreadable(a);
    return DT_OK;
}

static int add_builtin(dt__zarray *a, const dt__codec_class *cls, const char *key,
                       struct json_object *val, const dt__codec_ctx *ctx)
{
    struct json_object *p = json_object_new_object();
    int rc;

    if (!p || (key && json_object_object_add(p, key, val) != 0)) {
        json_object_put(p);
        if (!p && val)
            json_object_put(val);
        return dt__fail(DT_ENOMEM, "out of memory");
    }
    rc = dt__chain_add(&a->chain, cls, p, ctx);
    json_object_put(p);
    if (rc == DT_ENOMEM)
        return rc;
    if (rc < 0)
        dt__zarray_unreadable(a);
    return DT_OK;
}

/* zarr-v2.md 5.2: order (as a transpose), the dtype's bytes (or the object
 * codec), the remaining filters, the compressor. */
static int build_chain(dt__zarray *a, struct json_object *filters,
                       struct json_object *compressor, int order_f, const dt_limits *lim)
{
    const dt__codec_ctx ctx = {NULL, NULL, NULL, lim->max_alloc};
    dt__array_spec spec;
    size_t nf = filters ? json_object_array_length(filters) : 0, first = 0;
    int rc = DT_OK;

    memset(&spec, 0, sizeof spec);
    spec.type = a->type;
    spec.elem_size = dt_type_size(a->type);
    spec.ndim = a->ndim;
    memcpy(spec.shape, a->chunks, a->ndim * sizeof *a->chunks);
    dt__chain_init(&a->chain, &spec);
    for (size_t i = 0; i < nf; i++) {
        rc = add_label(a, json_object_array_get_idx(filters, i));
        if (rc < 0)
            return rc;
    }
    if (compressor) {
        rc = add_label(a, compressor);
        if (rc < 0)
            return rc;
    }
    if (order_f && a->ndim > 1) {
        struct json_object *ord = json_object_new_array();

        for (size_t i = a->ndim; ord && i-- > 0;)
            json_object_array_add(ord, json_object_new_int64((int64_t)i));
        rc = add_builtin(a, &dt__codec_transpose, "order", ord, &ctx);
        if (rc < 0)
            return rc;
    }
    if (DT_TYPE_CLASS(a->type) == DT_STRING) {
        /* the object codec is the first filter, or (old data) the
         * compressor; the type was read from it */
        if (nf) {
            first = 1;
        } else {
            compressor = NULL;
        }
        rc = add_builtin(a, &dt__codec_vlen_utf8, NULL, NULL, &ctx);
    } else {
        rc = add_builtin(a, &dt__codec_bytes, "endian",
                         json_object_new_string(a->big_endian ? "big" : "little"), &ctx);
    }
    for (size_t i = first; rc == DT_OK && i < nf; i++)
        rc = add_codec(a, json_object_array_get_idx(filters, i), &ctx);
    if (rc == DT_OK && compressor)
        rc = add_codec(a, compressor, &ctx);
    return rc;
}

/* The object codec of an |O array: vlen-utf8 gives strings; the others
 * (vlen-bytes, json2, msgpack2, pickle, which is never decoded) are listed
 * as vlen(uint8) and not read. */
static dt_type object_type(dt__zarray *a, struct json_object *filters,
                           struct json_object *compressor)
{
    struct json_object *cfg = filters && json_object_array_length(filters) > 0
                                  ? json_object_array_get_idx(filters, 0) : compressor;
    struct json_object *id = dt__zj_get(cfg, "id");
    const char *name = id && json_object_is_type(id, json_type_string)
                           ? json_object_get_string(id) : NULL;

    if (name && strcmp(name, "vlen-utf8") == 0)
        return DT_STRING;
    dt__fail(DT_ETYPE, "object arrays with %s%s%s are not supported (vlen-utf8 strings are)",
             name ? "codec \"" : "no object codec", name ? name : "", name ? "\"" : "");
    dt__zarray_unreadable(a);
    return DT_VLEN_OF(DT_UINT8);
}

/* NCZarr's array annotation: _NCZARR_ARRAY in .zarray (netCDF-C 4.9.0) or
 * _nczarr_array in .zattrs (later). */
static struct json_object *nczarr_array(struct json_object *zarray, struct json_object *zattrs)
{
    struct json_object *v = dt__zj_get(zarray, "_NCZARR_ARRAY");

    if (!v)
        v = dt__zj_get(zattrs, "_nczarr_array");
    if (!v)
        v = dt__zj_get(zattrs, "_NCZARR_ARRAY");
    return v && json_object_is_type(v, json_type_object) ? v : NULL;
}

/* An NCZarr scalar is stored as shape [1]; netCDF-C reads it as 0-d
 * (FORMAT.md). So is an array whose _ARRAY_DIMENSIONS is ["_scalar_"]. */
static bool nczarr_scalar(struct json_object *nc, struct json_object *zattrs)
{
    struct json_object *st = dt__zj_get(nc, "storage"), *sc = dt__zj_get(nc, "scalar");
    struct json_object *ad = dt__zj_get(zattrs, "_ARRAY_DIMENSIONS");

    if (st && json_object_is_type(st, json_type_string) &&
        strcmp(json_object_get_string(st), "scalar") == 0)
        return true;
    if (sc && ((json_object_is_type(sc, json_type_int) && json_object_get_int64(sc) != 0) ||
               (json_object_is_type(sc, json_type_boolean) && json_object_get_boolean(sc))))
        return true;
    return ad && json_object_is_type(ad, json_type_array) && json_object_array_length(ad) == 1 &&
           json_object_is_type(json_object_array_get_idx(ad, 0), json_type_string) &&
           strcmp(json_object_get_string(json_object_array_get_idx(ad, 0)), "_scalar_") == 0;
}

int dt__zarr_v2_array(dt__zarray **out, const char *name, const char *prefix,
                      struct json_object *zarray, struct json_object *zattrs,
                      const dt_limits *lim, const char *store)
{
    struct json_object *v, *filters, *compressor, *nc;
    dt__zarray *a;
    size_t nchunks = 0;
    int order_f = 0, rc;
    char *key = NULL;

    *out = NULL;
    a = dt__calloc(1, sizeof *a);
    if (!a)
        return DT_ENOMEM;
    a->name = dt__strdup(name);
    a->prefix = dt__strdup(prefix);
    a->sep = '.';
    a->sep_guess = 1;
    if (!a->name || !a->prefix) {
        rc = DT_ENOMEM;
        goto fail;
    }
    if (!json_object_is_type(zarray, json_type_object)) {
        rc = v2_fail(store, a, DT_EFORMAT, "the document is %s, not an object",
                     dt__zj_kind(zarray));
        goto fail;
    }
    v = dt__zj_get(zarray, "zarr_format");
    if (v && !(json_object_is_type(v, json_type_int) && json_object_get_int64(v) == 2)) {
        rc = v2_fail(store, a, DT_EFORMAT, "\"zarr_format\" is %s, not 2",
                     dt__zj_show(v));
        goto fail;
    }
    rc = int_list(store, a, dt__zj_get(zarray, "shape"), "shape", a->shape, &a->ndim, lim);
    if (rc == DT_OK)
        rc = int_list(store, a, dt__zj_get(zarray, "chunks"), "chunks", a->chunks, &nchunks,
                      lim);
    if (rc < 0)
        goto fail;
    if (nchunks != a->ndim) {
        rc = v2_fail(store, a, DT_EFORMAT, "\"chunks\" has %zu entries for the %zu dimensions "
                     "of \"shape\"", nchunks, a->ndim);
        goto fail;
    }
    /* separator: '.' or '/' only; anything else builds keys that may leave
     * the array, or the store (broken-zarr/separator-escape.zarr) */
    v = dt__zj_get(zarray, "dimension_separator");
    if (v) {
        const char *sep = json_object_is_type(v, json_type_string) ? json_object_get_string(v)
                                                                   : NULL;

        if (!sep || (strcmp(sep, ".") != 0 && strcmp(sep, "/") != 0)) {
            rc = v2_fail(store, a, DT_EFORMAT, "\"dimension_separator\" is %s: only \".\" "
                         "and \"/\" separate chunk keys; refused",
                         dt__zj_show(v));
            goto fail;
        }
        a->sep = sep[0];
        a->sep_guess = 0;
    }
    v = dt__zj_get(zarray, "order");
    if (v) {
        const char *o = json_object_is_type(v, json_type_string) ? json_object_get_string(v)
                                                                 : "";

        if (strcmp(o, "C") != 0 && strcmp(o, "F") != 0) {
            rc = v2_fail(store, a, DT_EFORMAT, "\"order\" is %s, not \"C\" or \"F\"",
                         dt__zj_show(v));
            goto fail;
        }
        order_f = o[0] == 'F';
    }
    filters = dt__zj_get(zarray, "filters");
    if (filters && !json_object_is_type(filters, json_type_array)) {
        rc = v2_fail(store, a, DT_EFORMAT, "\"filters\" is %s, not a list or null",
                     dt__zj_kind(filters));
        goto fail;
    }
    compressor = dt__zj_get(zarray, "compressor");
    if (compressor && !json_object_is_type(compressor, json_type_object)) {
        rc = v2_fail(store, a, DT_EFORMAT, "\"compressor\" is %s, not an object or null",
                     dt__zj_kind(compressor));
        goto fail;
    }
    nc = nczarr_array(zarray, zattrs);

    /* the data type */
    v = dt__zj_get(zarray, "dtype");
    if (v && json_object_is_type(v, json_type_array)) {
        /* structured: listed, never read */
        a->type = DT_COMPOUND;
    } else if (v && json_object_is_type(v, json_type_string)) {
        dt__npy t;

        if (dt__npy_parse(&t, json_object_get_string(v)) < 0) {
            rc = v2_fail(store, a, DT_EFORMAT, "\"dtype\": %s", dt_error_last()->message);
            goto fail;
        }
        a->type = t.type;
        a->big_endian = t.big_endian && t.size > 1 && t.kind != 'S' && t.kind != 'V';
        if (t.kind == 'O')
            a->type = object_type(a, filters, compressor);
        /* NCZarr marks netCDF char as >S1 */
        if (nc && t.kind == 'S' && t.size == 1)
            a->type = DT_CHAR;
    } else {
        rc = v2_fail(store, a, DT_EFORMAT, "\"dtype\" is %s, not a type string",
                     v ? dt__zj_kind(v) : "missing");
        goto fail;
    }
    if (a->ndim == 1 && a->shape[0] == 1 && nczarr_scalar(nc, zattrs))
        a->ndim = 0;
    key = dt__aprintf(KEY_FMT, prefix);
    if (!key) {
        rc = DT_ENOMEM;
        goto fail;
    }
    rc = dt__zarray_check_grid(a, lim, store, key);
    if (rc < 0)
        goto fail;
    if (dt__zj_fill(dt__zj_get(zarray, "fill_value"), a->type, &a->fill) < 0) {
        rc = v2_fail(store, a, DT_EFORMAT, "%s", dt_error_last()->message);
        goto fail;
    }
    rc = dt__zarr_v2_dims(a, zarray, zattrs, store, key);
    if (rc < 0)
        goto fail;
    if (zattrs)
        a->attrs = json_object_get(zattrs);
    if (dt_type_size(a->type)) {
        rc = build_chain(a, filters, compressor, order_f, lim);
        if (rc < 0)
            goto fail;
    }
    free(key);
    *out = a;
    return DT_OK;
fail:
    free(key);
    dt__zarray_free(a);
    return rc;
}
