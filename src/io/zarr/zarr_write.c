/* zarr_write.c: write a tree as a Zarr v2 or v3 store (conventions.md
 * 10.1): chunks encoded on the thread pool and streamed block by block,
 * each array's metadata after its chunks, each group's after its members,
 * consolidated metadata last, all in a temporary store moved into place at
 * the end (zarr_wdir.c).
 *
 * What plain Zarr cannot say about a netCDF tree is kept where other
 * readers do not look: NCZarr's keys (_NCZARR_GROUP dims, _NCZARR_ARRAY
 * dimrefs in .zgroup/.zarray, _NCZARR_ATTR types in .zattrs, as netCDF-C
 * 4.9 writes them) and a "libdtree" member (in v3 with must_understand:
 * false) holding the exact attribute types, the unlimited dims, a dtype the
 * format lacks (char, enum) and a missing fill value. */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "model/model.h"
#include "zarr_internal.h"
#include "zarr_write.h"

/* Bytes of variable data read at once (whole chunks, or shards, at least
 * one); the encoded chunks of a block come on top. */
#define BLOCK_BYTES ((uint64_t)32 << 20)
/* conventions.md 8.2: a contiguous variable is one chunk up to this size,
 * else it gets netCDF-C's default chunks (DEFAULT_CHUNK bytes). */
#define WHOLE_MAX ((uint64_t)64 << 20)
#define DEFAULT_CHUNK ((uint64_t)4 << 20)
#define NONE SIZE_MAX
#define JSON_FLAGS (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | \
                    JSON_C_TO_STRING_NOSLASHESCAPE)

typedef struct wdim {
    const dt_node *owner;
    char *name;
    uint64_t size;
    int unlimited;
    char *fqn;        /* "/g/x": the written group declaring it, and the name */
} wdim;

typedef struct zw {
    const dt_write_opts *o;
    const char *path;       /* the target, named in messages */
    int v3;
    char sep;
    const dt_node *top;
    size_t top_len;         /* length of top's absolute path ("/" counts 0) */
    dt__store *store;
    dt__pool *pool;
    uint64_t total, done;
    wdim *dims;
    size_t ndims, capdims;
    json_object *cons;      /* consolidated metadata: key or path -> document */
} zw;

/* One array being written. */
typedef struct zarr_a {
    zw *w;
    const dt_var *v;
    char *path;             /* the written path, for messages */
    char *prefix;           /* "g/v/" */
    dt_type t;              /* in memory */
    size_t es;
    size_t nd;
    uint64_t shape[DT_MAX_RANK];
    uint64_t oc[DT_MAX_RANK];   /* the grid's chunks (shards when sharded) */
    uint64_t ic[DT_MAX_RANK];   /* inner chunks (= oc when not sharded) */
    uint64_t per[DT_MAX_RANK];  /* inner chunks per shard */
    uint64_t asked[DT_MAX_RANK];/* the chunk shape before clamping to the shape */
    int clamped;
    uint64_t ninner;
    int sharded;
    int big;
    dt__codec_chain chain;  /* of one (inner) chunk */
    int chain_ok;
    unsigned char *fill;    /* one element: the fill value, zeros if none */
    const char *fill_str;   /* strings: the fill text */
    int skip_empty;         /* chunks equal to the fill value are left out */
    json_object *codecs;    /* v3 codec list / v2: compressor */
    json_object *filters;   /* v2 */
} zarr_a;

static int oom(void)
{
    return dt__fail(DT_ENOMEM, "out of memory");
}

/* ------------------------------------------------------------------------ */
/* JSON values                                                              */

static json_object *u64_list(const uint64_t *v, size_t n);

/* Object member add that takes v over also on failure; NULL v is OOM. */
static int jset(json_object *o, const char *k, json_object *v)
{
    if (!v)
        return oom();
    if (json_object_object_add(o, k, v) != 0) {
        json_object_put(v);
        return oom();
    }
    return DT_OK;
}

static int jpush(json_object *a, json_object *v)
{
    if (!v)
        return oom();
    if (json_object_array_add(a, v) != 0) {
        json_object_put(v);
        return oom();
    }
    return DT_OK;
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static json_object *base64(const unsigned char *p, size_t n)
{
    char *s = dt__malloc(4 * ((n + 2) / 3) + 1), *q = s;
    json_object *j;

    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;

        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        *q++ = b64chars[(v >> 18) & 63];
        *q++ = b64chars[(v >> 12) & 63];
        *q++ = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
        *q++ = i + 2 < n ? b64chars[v & 63] : '=';
    }
    *q = 0;
    j = json_object_new_string(s);
    free(s);
    return j;
}

/* Valid UTF-8 without NUL bytes. */
static int utf8_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3
                     : (c >> 3) == 30 ? 4 : 0;

        if (len == 0 || c == 0 || i + len > n)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
        }
        i += len;
    }
    return 1;
}

/* Non-finite floats: bare NaN/Infinity tokens (what zarr-python and
 * xarray write in v2 attributes), or the strings (v2 fill_value, and all
 * of v3, whose readers use strict JSON). */
static json_object *jfloat(double d, int f32, int bare)
{
    char buf[64];
    const char *nf = isnan(d) ? "NaN" : isinf(d) ? (d > 0 ? "Infinity" : "-Infinity") : NULL;

    if (nf)
        return bare ? json_object_new_double_s(d, nf) : json_object_new_string(nf);
    if (f32) {
        float f = (float)d;

        dt_value_format(buf, sizeof buf, DT_FLOAT32, &f);
    } else {
        dt_value_format(buf, sizeof buf, DT_FLOAT64, &d);
    }
    return json_object_new_double_s(d, buf);
}

static json_object *utf32_json(const unsigned char *p, size_t npts)
{
    dt__buf b;
    json_object *j;
    size_t n = npts;

    while (n > 0 && !(p[4 * (n - 1)] | p[4 * (n - 1) + 1] | p[4 * (n - 1) + 2] |
                      p[4 * (n - 1) + 3]))
        n--;
    dt__buf_init(&b);
    for (size_t i = 0; i < n; i++) {
        uint32_t c;
        char u[4];
        size_t k;

        memcpy(&c, p + 4 * i, 4);
        if (c < 0x80) {
            u[0] = (char)c;
            k = 1;
        } else if (c < 0x800) {
            u[0] = (char)(0xC0 | (c >> 6));
            u[1] = (char)(0x80 | (c & 63));
            k = 2;
        } else if (c < 0x10000) {
            u[0] = (char)(0xE0 | (c >> 12));
            u[1] = (char)(0x80 | ((c >> 6) & 63));
            u[2] = (char)(0x80 | (c & 63));
            k = 3;
        } else {
            u[0] = (char)(0xF0 | (c >> 18));
            u[1] = (char)(0x80 | ((c >> 12) & 63));
            u[2] = (char)(0x80 | ((c >> 6) & 63));
            u[3] = (char)(0x80 | (c & 63));
            k = 4;
        }
        if (dt__buf_append(&b, u, k) < 0) {
            dt__buf_free(&b);
            return NULL;
        }
    }
    j = json_object_new_string_len(b.data ? b.data : "", (int)b.len);
    dt__buf_free(&b);
    return j;
}

/* One element of type t as JSON (attributes and fill values). */
static json_object *elem_json(dt_type t, const void *p, int bare)
{
    uint32_t cls = DT_TYPE_CLASS(t);
    size_t es = dt_type_size(t);
    json_object *a;

    switch (cls) {
    case DT_BOOL: return json_object_new_boolean(*(const unsigned char *)p != 0);
    case DT_INT8: return json_object_new_int64(*(const int8_t *)p);
    case DT_INT16: return json_object_new_int64(*(const int16_t *)p);
    case DT_INT32: return json_object_new_int64(*(const int32_t *)p);
    case DT_INT64: return json_object_new_int64(*(const int64_t *)p);
    case DT_UINT8: return json_object_new_int64(*(const uint8_t *)p);
    case DT_UINT16: return json_object_new_int64(*(const uint16_t *)p);
    case DT_UINT32: return json_object_new_int64(*(const uint32_t *)p);
    case DT_UINT64: return json_object_new_uint64(*(const uint64_t *)p);
    case DT_FLOAT16: {
        uint16_t h;

        memcpy(&h, p, 2);
        return jfloat(dt__half_to_float(h), 1, bare);
    }
    case DT_FLOAT32: return jfloat(*(const float *)p, 1, bare);
    case DT_FLOAT64: return jfloat(*(const double *)p, 0, bare);
    case DT_COMPLEX64:
    case DT_COMPLEX128:
        a = json_object_new_array();
        if (!a)
            return NULL;
        if (cls == DT_COMPLEX64) {
            if (jpush(a, jfloat(((const float *)p)[0], 1, bare)) < 0 ||
                jpush(a, jfloat(((const float *)p)[1], 1, bare)) < 0)
                goto fail;
        } else if (jpush(a, jfloat(((const double *)p)[0], 0, bare)) < 0 ||
                   jpush(a, jfloat(((const double *)p)[1], 0, bare)) < 0) {
            goto fail;
        }
        return a;
    case DT_STRING: {
        const char *s = *(const char *const *)p;

        return json_object_new_string(s ? s : "");
    }
    case DT_CHAR:
    case DT_BYTES:
        return base64(p, es);
    case DT_UNICODE:
        return utf32_json(p, es / 4);
    case DT_ENUM: {
        int64_t v = 0;

        switch (DT_TYPE_PARAM(t)) {
        case DT_INT8: v = *(const int8_t *)p; break;
        case DT_INT16: v = *(const int16_t *)p; break;
        case DT_INT32: v = *(const int32_t *)p; break;
        case DT_INT64: v = *(const int64_t *)p; break;
        case DT_UINT8: v = *(const uint8_t *)p; break;
        case DT_UINT16: v = *(const uint16_t *)p; break;
        case DT_UINT32: v = *(const uint32_t *)p; break;
        case DT_UINT64: return json_object_new_uint64(*(const uint64_t *)p);
        default: break;
        }
        return json_object_new_int64(v);
    }
    default:
        return NULL;
    }
fail:
    json_object_put(a);
    return NULL;
}

/* xarray's v3 encoding of a _FillValue attribute (conventions.md 4.1):
 * floats as base64 of the value as little-endian float64. */
static json_object *xarray_fill_attr(dt_type t, const void *p)
{
    uint32_t cls = DT_TYPE_CLASS(t);
    unsigned char b[8];
    double d;

    if (cls != DT_FLOAT16 && cls != DT_FLOAT32 && cls != DT_FLOAT64)
        return NULL;
    if (cls == DT_FLOAT16) {
        uint16_t h;

        memcpy(&h, p, 2);
        d = dt__half_to_float(h);
    } else {
        d = cls == DT_FLOAT32 ? *(const float *)p : *(const double *)p;
    }
    memcpy(b, &d, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    dt__swap_units(b, 8, 8);
#endif
    return base64(b, 8);
}

/* NCZarr's type string of an attribute type (netCDF-C 4.9 spellings), or
 * NULL for the types it has none for. */
static const char *nczarr_type(dt_type t)
{
    switch (DT_TYPE_CLASS(t)) {
    case DT_INT8: return "|i1";
    case DT_UINT8: return "|u1";
    case DT_INT16: return "<i2";
    case DT_UINT16: return "<u2";
    case DT_INT32: return "<i4";
    case DT_UINT32: return "<u4";
    case DT_INT64: return "<i8";
    case DT_UINT64: return "<u8";
    case DT_FLOAT32: return "<f4";
    case DT_FLOAT64: return "<f8";
    case DT_CHAR: return "<U1";
    default: return NULL;
    }
}

/* v3 readers parse strict JSON: non-finite numbers become the strings
 * "NaN", "Infinity", "-Infinity" (the v3 spelling), in place. */
static int strict_json(json_object **pv)
{
    json_object *v = *pv;

    if (json_object_is_type(v, json_type_double)) {
        double d = json_object_get_double(v);
        json_object *n;

        if (isfinite(d))
            return DT_OK;
        n = json_object_new_string(isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
        if (!n)
            return oom();
        json_object_put(v);
        *pv = n;
    } else if (json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            json_object *e = json_object_array_get_idx(v, i), *old = e;

            if (strict_json(&e) < 0)
                return DT_ENOMEM;
            if (e != old && json_object_array_put_idx(v, i, e) != 0) {
                json_object_put(e);
                return oom();
            }
        }
    } else if (json_object_is_type(v, json_type_object)) {
        json_object_object_foreach(v, k, e) {
            json_object *n = e;

            if (strict_json(&n) < 0)
                return DT_ENOMEM;
            if (n != e && json_object_object_add(v, k, n) != 0) {
                json_object_put(n);
                return oom();
            }
        }
    }
    return DT_OK;
}

/* The attributes as JSON (*out), their exact types (*types, libdtree's
 * annotation) and NCZarr's types (*nctypes). */
static int attrs_json(zw *w, const dt_attrs *as, const char *where, json_object *out,
                      json_object *types, json_object *nctypes, json_object *shapes)
{
    int bare = !w->v3;

    for (size_t i = 0; i < dt_attrs_count(as); i++) {
        const dt_attr *a = dt_attrs_at(as, i);
        const char *name = dt_attr_name(a);
        dt_type t = dt_attr_type(a);
        uint32_t cls = DT_TYPE_CLASS(t);
        size_t n = dt_attr_len(a), es = dt_type_size(t);
        const unsigned char *d = dt_attr_data(a);
        json_object *v = NULL;
        char tn[48];
        int rc;

        if (dt__zarr_attr_hidden(name))
            continue;
        if (cls == DT_JSON) {
            v = json_tokener_parse((const char *)d);
            if (!v && strcmp((const char *)d, "null") != 0)
                return dt__fail_at(DT_EFORMAT, w->path, where, "attribute \"%s\" holds JSON "
                                   "that cannot be parsed", name);
            if (v && w->v3 && strict_json(&v) < 0) {
                json_object_put(v);
                return DT_ENOMEM;
            }
            rc = json_object_object_add(out, name, v);
            if (rc != 0) {
                json_object_put(v);
                return oom();
            }
            continue;
        }
        if (cls == DT_COMPOUND || cls == DT_OPAQUE || cls == DT_VLEN || es == 0) {
            /* no JSON form (conventions.md 5.1): left out when asked */
            if (w->o->skip_unsupported)
                continue;
            dt_type_name(tn, sizeof tn, t);
            return dt__fail_at(DT_ETYPE, w->path, where, "attribute \"%s\" of type %s cannot "
                               "be written to Zarr (skip_unsupported leaves it out)", name, tn);
        }
        if (cls == DT_CHAR) {
            if (utf8_ok(d, n)) {
                v = json_object_new_string_len((const char *)d, (int)n);
            } else {
                /* not UTF-8 (or with NUL bytes): the bytes as numbers */
                v = json_object_new_array();
                for (size_t k = 0; v && k < n; k++) {
                    if (jpush(v, json_object_new_int64(d[k])) < 0) {
                        json_object_put(v);
                        return DT_ENOMEM;
                    }
                }
            }
        } else if (w->v3 && strcmp(name, "_FillValue") == 0 && n == 1 &&
                   (v = xarray_fill_attr(t, d)) != NULL) {
            /* base64, as xarray writes v3 */
        } else if (n == 1 && cls != DT_COMPLEX64 && cls != DT_COMPLEX128) {
            v = elem_json(t, d, bare);
        } else if (n == 1) {
            v = elem_json(t, d, bare);
        } else {
            v = json_object_new_array();
            for (size_t k = 0; v && k < n; k++) {
                if (jpush(v, elem_json(t, d + k * es, bare)) < 0) {
                    json_object_put(v);
                    return DT_ENOMEM;
                }
            }
        }
        if (!v)
            return oom();
        rc = jset(out, name, v);
        if (rc < 0)
            return rc;
        if (dt_type_name(tn, sizeof tn, t) == DT_OK) {
            if (dt_attr_is_scalar(a) && n == 1)
                strcat(tn, " scalar");
            rc = jset(types, name, json_object_new_string(tn));
            if (rc < 0)
                return rc;
        }
        {
            size_t snd = 0;
            const uint64_t *sh = dt_attr_shape(a, &snd);

            if (sh && snd > 1 && (rc = jset(shapes, name, u64_list(sh, snd))) < 0)
                return rc;
        }
        if (nctypes && nczarr_type(t)) {
            rc = jset(nctypes, name, json_object_new_string(nczarr_type(t)));
            if (rc < 0)
                return rc;
        }
    }
    return DT_OK;
}

/* ------------------------------------------------------------------------ */
/* Store output                                                             */

static int put_bytes(zw *w, const char *key, const void *data, size_t n, const char *what)
{
    int rc;

    if (dt__io_fault(w->path, what))
        return DT_EIO;
    rc = dt__store_set(w->store, key, data, n);
    if (rc < 0)
        return dt__err_locate(rc, w->path, key);
    return DT_OK;
}

/* The JSON text with every non-ASCII character as a \\u escape (UTF-16
 * pairs above U+FFFF), as Python's json module writes: zarr-python 2 reads
 * metadata as ASCII. Outside strings JSON text is ASCII already. */
static char *ascii_json(const char *text)
{
    dt__buf b;

    dt__buf_init(&b);
    for (const unsigned char *p = (const unsigned char *)text; *p;) {
        uint32_t c = *p;
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;

        if (len == 1) {
            dt__buf_putc(&b, (char)c);
            p++;
            continue;
        }
        c &= len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07;
        for (size_t k = 1; k < len && p[k]; k++)
            c = (c << 6) | (p[k] & 0x3F);
        for (size_t k = 0; k < len && *p; k++)
            p++;
        if (c >= 0x10000) {
            c -= 0x10000;
            dt__buf_printf(&b, "\\u%04x\\u%04x", 0xD800 + (c >> 10), 0xDC00 + (c & 0x3FF));
        } else {
            dt__buf_printf(&b, "\\u%04x", c);
        }
    }
    if (b.failed) {
        dt__buf_free(&b);
        return NULL;
    }
    return dt__buf_take(&b);
}

/* Write a metadata document and keep it for the consolidated metadata
 * (under `ckey`; NULL: not consolidated). Takes doc over. */
static int put_doc(zw *w, const char *key, const char *ckey, json_object *doc)
{
    const char *text;
    char *ascii;
    int rc;

    if (!doc)
        return oom();
    text = json_object_to_json_string_ext(doc, JSON_FLAGS);
    ascii = text ? ascii_json(text) : NULL;
    if (!ascii) {
        json_object_put(doc);
        return oom();
    }
    rc = put_bytes(w, key, ascii, strlen(ascii), "writing metadata");
    free(ascii);
    if (rc == DT_OK && ckey && w->cons)
        rc = jset(w->cons, ckey, json_object_get(doc));
    json_object_put(doc);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Types                                                                    */

static int type_writable(dt_type t)
{
    switch (DT_TYPE_CLASS(t)) {
    case DT_COMPOUND: case DT_OPAQUE: case DT_VLEN: case DT_JSON: case DT_NONE:
        return 0;
    case DT_ENUM:
        return DT_TYPE_PARAM(t) >= DT_INT8 && DT_TYPE_PARAM(t) <= DT_UINT64;
    default:
        return dt_type_size(t) > 0;
    }
}

/* The stored type: enums as their base integers. */
static dt_type storage_type(dt_type t)
{
    return DT_TYPE_CLASS(t) == DT_ENUM ? (dt_type)DT_TYPE_PARAM(t) : t;
}

/* v2 dtype: a NumPy type string. */
static void v2_dtype(char *buf, size_t n, dt_type t, int big)
{
    static const struct { uint32_t cls; char kind; } k[] = {
        {DT_BOOL, 'b'}, {DT_INT8, 'i'}, {DT_INT16, 'i'}, {DT_INT32, 'i'}, {DT_INT64, 'i'},
        {DT_UINT8, 'u'}, {DT_UINT16, 'u'}, {DT_UINT32, 'u'}, {DT_UINT64, 'u'},
        {DT_FLOAT16, 'f'}, {DT_FLOAT32, 'f'}, {DT_FLOAT64, 'f'}, {DT_COMPLEX64, 'c'},
        {DT_COMPLEX128, 'c'},
    };
    uint32_t cls = DT_TYPE_CLASS(t);
    size_t es = dt_type_size(t);

    if (cls == DT_STRING) {
        snprintf(buf, n, "|O");
    } else if (cls == DT_CHAR || cls == DT_BYTES) {
        snprintf(buf, n, "|S%zu", es);
    } else if (cls == DT_UNICODE) {
        snprintf(buf, n, "%cU%zu", big ? '>' : '<', es / 4);
    } else {
        char kind = 'V';

        for (size_t i = 0; i < sizeof k / sizeof *k; i++) {
            if (k[i].cls == cls)
                kind = k[i].kind;
        }
        snprintf(buf, n, "%c%c%zu", es == 1 ? '|' : big ? '>' : '<', kind, es);
    }
}

/* v3 data_type. */
static json_object *v3_dtype(dt_type t)
{
    uint32_t cls = DT_TYPE_CLASS(t);
    char tn[48];
    json_object *o, *c;

    if (cls == DT_CHAR || cls == DT_BYTES || cls == DT_UNICODE) {
        o = json_object_new_object();
        c = json_object_new_object();
        if (!o || !c || jset(o, "name", json_object_new_string(
                                 cls == DT_UNICODE ? "fixed_length_utf32"
                                                   : "null_terminated_bytes")) < 0 ||
            jset(c, "length_bytes", json_object_new_int64((int64_t)dt_type_size(t))) < 0) {
            json_object_put(o);
            json_object_put(c);
            return NULL;
        }
        if (jset(o, "configuration", c) < 0) {
            json_object_put(o);
            return NULL;
        }
        return o;
    }
    if (dt_type_name(tn, sizeof tn, t) < 0)
        return NULL;
    return json_object_new_string(tn);
}

/* ------------------------------------------------------------------------ */
/* Chunk shapes and codecs                                                  */

/* netCDF-C's default chunk shape (netcdf4-on-hdf5.md 4.1, D = 4 MiB). */
static void default_chunks(const zarr_a *a, const int *unl, uint64_t *ch)
{
    double d = (double)DEFAULT_CHUNK, t = (double)a->es, nfixed = 1;
    size_t nunl = 0, nd = a->nd;

    for (size_t i = 0; i < nd; i++) {
        if (unl[i])
            nunl++;
        else
            nfixed *= (double)(a->shape[i] ? a->shape[i] : 1);
    }
    for (size_t i = 0; i < nd; i++) {
        if (unl[i] && nunl == nd) {
            double c = floor(pow(d / t, 1.0 / (double)nd));

            ch[i] = c >= 1 ? (uint64_t)c : 1;
        } else if (unl[i]) {
            ch[i] = nd == 1 ? (uint64_t)(d / t) : 1;
        } else {
            double c = floor(pow(d / (nfixed * t), 1.0 / (double)(nd - nunl)) *
                             (double)a->shape[i] - 0.5);

            if (c > (double)a->shape[i])
                c = (double)a->shape[i];
            ch[i] = c >= 1 ? (uint64_t)c : 1;
        }
        if (ch[i] == 0)
            ch[i] = 1;
    }
}

static int choose_chunks(zarr_a *a)
{
    const dt_write_opts *o = a->w->o;
    const dt_var *v = a->v;
    const uint64_t *src = dt__var_inner_chunks(v), *outer = NULL;
    uint64_t bytes = a->es;
    int unl[DT_MAX_RANK];

    if (src)
        outer = dt_var_chunks(v);
    else
        src = dt_var_chunks(v);
    for (size_t i = 0; i < a->nd; i++) {
        dt_dim_info di;

        unl[i] = dt_node_dim_find(&di, dt_var_node(v), dt_var_dim(v, i)) == DT_OK &&
                 di.unlimited;
        bytes = bytes * (a->shape[i] ? a->shape[i] : 1);
    }
    dt_error_clear();
    if (o->chunking == DT_CHUNKS_DEFAULT || (!src && bytes > WHOLE_MAX)) {
        default_chunks(a, unl, a->ic);
    } else {
        for (size_t i = 0; i < a->nd; i++)
            a->ic[i] = src ? src[i] : a->shape[i];
    }
    for (size_t i = 0; i < a->nd; i++) {
        for (size_t k = 0; k < o->nchunk_dims; k++) {
            if (strcmp(o->chunk_dims[k], dt_var_dim(v, i)) == 0)
                a->ic[i] = o->chunk_lens[k];
        }
        if (a->ic[i] == 0)
            a->ic[i] = 1;
        a->per[i] = 1;
        /* netCDF-C 4.9 refuses chunks longer than the array (netCDF-4's
         * unlimited dims often have them): clamped, the asked shape kept
         * in the annotation */
        a->asked[i] = a->ic[i];
        if (a->shape[i] > 0 && a->ic[i] > a->shape[i]) {
            a->ic[i] = a->shape[i];
            a->clamped = 1;
        }
    }
    /* sharding (v3): inner chunks per shard by dimension, or by size */
    if (a->w->v3 && a->nd > 0) {
        if (o->nshard_dims || o->shard_bytes) {
            uint64_t cur = a->es;

            a->sharded = 1;
            for (size_t i = 0; i < a->nd; i++)
                cur *= a->ic[i];
            for (size_t k = a->nd; k-- > 0;) {
                uint64_t most = (a->shape[k] + a->ic[k] - 1) / a->ic[k];
                int named = 0;

                for (size_t j = 0; j < o->nshard_dims; j++) {
                    if (strcmp(o->shard_dims[j], dt_var_dim(v, k)) == 0) {
                        a->per[k] = o->shard_counts[j] ? o->shard_counts[j] : 1;
                        named = 1;
                    }
                }
                if (!named && o->shard_bytes && cur < o->shard_bytes) {
                    uint64_t room = o->shard_bytes / cur;

                    a->per[k] = room < most ? room : most;
                    if (a->per[k] == 0)
                        a->per[k] = 1;
                }
                cur *= a->per[k];
            }
        } else if (outer && o->chunking == DT_CHUNKS_KEEP && !o->nchunk_dims) {
            /* a sharded source keeps its shards */
            a->sharded = 1;
            for (size_t i = 0; i < a->nd; i++)
                a->per[i] = outer[i] / a->ic[i] ? outer[i] / a->ic[i] : 1;
        }
    }
    a->ninner = 1;
    for (size_t i = 0; i < a->nd; i++) {
        if (dt__mul_u64(&a->oc[i], a->ic[i], a->per[i]) ||
            dt__mul_u64(&a->ninner, a->ninner, a->per[i]))
            return dt__fail_at(DT_ELIMIT, a->w->path, a->path, "the shard shape overflows");
    }
    {
        uint64_t cb = a->es;

        for (size_t i = 0; i < a->nd; i++) {
            if (dt__mul_u64(&cb, cb, a->oc[i]))
                return dt__fail_at(DT_ELIMIT, a->w->path, a->path, "a chunk of this shape "
                                   "overflows 64 bits");
        }
        if (cb > ((uint64_t)1 << 31) * 2)
            return dt__fail_at(DT_ELIMIT, a->w->path, a->path, "a chunk (or shard) of %"
                               PRIu64 " bytes is over 4 GiB: choose smaller chunks", cb);
    }
    return DT_OK;
}

typedef struct cplan {
    int comp;       /* 0 none, 'z' zstd, 'g' zlib (v3: gzip), 'G' gzip, 'b' blosc,
                       '2' bz2, '4' lz4 */
    int level;
    char cname[16]; /* blosc */
    int shuffle;
    int blosc_shuffle;  /* Blosc shuffles (instead of a shuffle filter) */
    int delta;
    int checksum;
} cplan;

static int has_codec(const dt_var *v, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < dt_var_codec_count(v); i++) {
        const char *c = dt_var_codec(v, i);

        if (c && strncmp(c, name, n) == 0 && (c[n] == 0 || c[n] == '('))
            return 1;
    }
    return 0;
}

/* The compressor option ("blosc:zstd:5"): DT_EINVAL naming what is wrong. */
static int parse_compressor(const char *spec, cplan *p, const char *path)
{
    char name[16] = "", cname[16] = "";
    const char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    const char *lv = NULL;
    size_t nlen = c1 ? (size_t)(c1 - spec) : strlen(spec);
    long level = -1;
    char *end;

    if (nlen == 0 || nlen >= sizeof name)
        goto bad;
    memcpy(name, spec, nlen);
    if (strcmp(name, "blosc") == 0) {
        size_t cl = c1 ? (c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1)) : 0;

        if (cl >= sizeof cname)
            goto bad;
        memcpy(cname, c1 ? c1 + 1 : "", cl);
        if (!cl)
            snprintf(cname, sizeof cname, "lz4");
        if (strcmp(cname, "lz4") && strcmp(cname, "lz4hc") && strcmp(cname, "blosclz") &&
            strcmp(cname, "zstd") && strcmp(cname, "zlib"))
            return dt__fail_at(DT_EINVAL, path, NULL, "compressor \"%s\": Blosc's inner "
                               "codec is lz4, lz4hc, blosclz, zstd or zlib", spec);
        lv = c2 ? c2 + 1 : NULL;
    } else {
        if (c2)
            goto bad;
        lv = c1 ? c1 + 1 : NULL;
    }
    if (lv) {
        level = strtol(lv, &end, 10);
        if (!*lv || *end)
            goto bad;
    }
    memset(p, 0, sizeof *p);
    if (strcmp(name, "zstd") == 0) {
        p->comp = 'z';
        p->level = level < 0 ? 3 : (int)level;
        if (p->level < 1 || p->level > 22)
            goto range;
    } else if (strcmp(name, "zlib") == 0 || strcmp(name, "gzip") == 0) {
        p->comp = name[0] == 'z' ? 'g' : 'G';
        p->level = level < 0 ? 5 : (int)level;
        if (p->level < 1 || p->level > 9)
            goto range;
    } else if (strcmp(name, "bz2") == 0) {
        p->comp = '2';
        p->level = level < 0 ? 9 : (int)level;
        if (p->level < 1 || p->level > 9)
            goto range;
    } else if (strcmp(name, "lz4") == 0) {
        p->comp = '4';
        if (level >= 0)
            goto bad;
    } else if (strcmp(name, "blosc") == 0) {
        p->comp = 'b';
        p->level = level < 0 ? 5 : (int)level;
        snprintf(p->cname, sizeof p->cname, "%s", cname);
        if (p->level < 0 || p->level > 9)
            goto range;
    } else {
        goto bad;
    }
    return DT_OK;
range:
    return dt__fail_at(DT_EINVAL, path, NULL, "compressor \"%s\": level out of range", spec);
bad:
    return dt__fail_at(DT_EINVAL, path, NULL, "compressor \"%s\": not NAME[:LEVEL] with NAME "
                       "zstd, zlib, gzip, bz2, lz4, or blosc[:CNAME[:LEVEL]]", spec);
}

static void plan_codecs(const zarr_a *a, cplan *p)
{
    const dt_write_opts *o = a->w->o;
    const dt_var *v = a->v;

    memset(p, 0, sizeof p[0]);
    p->shuffle = o->shuffle > 0 || (o->shuffle == 0 && has_codec(v, "shuffle"));
    p->checksum = o->fletcher32 > 0 ||
                  (o->fletcher32 == 0 && (has_codec(v, "fletcher32") ||
                                          has_codec(v, "crc32c") || has_codec(v, "crc32")));
    p->delta = has_codec(v, "delta") && DT_TYPE_CLASS(a->t) != DT_STRING;
    if (o->compressor) {
        cplan c;

        /* checked by check_opts */
        if (parse_compressor(o->compressor, &c, a->w->path) == DT_OK) {
            p->comp = c.comp;
            p->level = c.level;
            memcpy(p->cname, c.cname, sizeof p->cname);
        }
        dt_error_clear();
    } else if (o->deflate > 0) {
        p->comp = 'g';
        p->level = o->deflate;
    } else if (o->zstd > 0) {
        p->comp = 'z';
        p->level = o->zstd;
    } else if (o->deflate == 0 && (has_codec(v, "zlib") || has_codec(v, "deflate"))) {
        p->comp = 'g';
        p->level = 4;
    } else if (o->deflate == 0 && has_codec(v, "gzip")) {
        p->comp = 'G';
        p->level = 5;
    } else if (o->zstd == 0 && has_codec(v, "zstd")) {
        p->comp = 'z';
        p->level = 3;
    } else if (o->deflate == 0 && o->zstd == 0) {
        for (size_t i = 0; i < dt_var_codec_count(v); i++) {
            const char *c = dt_var_codec(v, i);

            if (!c)
                continue;
            if (strncmp(c, "blosc", 5) == 0) {
                const char *l = strchr(c, '(');

                p->comp = 'b';
                p->level = 5;
                snprintf(p->cname, sizeof p->cname, "%s", l ? l + 1 : "lz4");
                if (strchr(p->cname, ')'))
                    *strchr(p->cname, ')') = 0;
                if (!strchr(c, '('))
                    snprintf(p->cname, sizeof p->cname, "lz4");
            } else if (strcmp(c, "bz2") == 0 || strcmp(c, "bzip2") == 0) {
                p->comp = '2';
                p->level = 9;
            } else if (strcmp(c, "lz4") == 0) {
                p->comp = '4';
            }
        }
    }
    if (DT_TYPE_CLASS(a->t) == DT_STRING)
        p->shuffle = p->delta = 0;
    if (p->comp == 'b')
        p->blosc_shuffle = p->shuffle;
    if (a->w->v3) {
        /* v3 has no shuffle filter: Blosc's, around the same compressor */
        if (p->shuffle && (p->comp == 'z' || p->comp == 'g' || p->comp == 'G')) {
            snprintf(p->cname, sizeof p->cname, "%s", p->comp == 'z' ? "zstd" : "zlib");
            p->comp = 'b';
        }
        if (p->comp == '4') {
            p->comp = 'b';
            snprintf(p->cname, sizeof p->cname, "lz4");
            p->level = 5;
            p->shuffle = 0;
        } else if (p->comp == '2') {
            p->comp = 'g';
            p->level = 9;
        }
        if (p->comp != 'b')
            p->shuffle = 0;
        p->blosc_shuffle = p->shuffle;
        p->delta = 0;
    }
}

static json_object *jcodec(zw *w, const char *name, json_object *cfg)
{
    json_object *o = json_object_new_object();

    if (!o) {
        json_object_put(cfg);
        return NULL;
    }
    if (w->v3) {
        if (jset(o, "name", json_object_new_string(name)) < 0 ||
            (cfg && jset(o, "configuration", cfg) < 0)) {
            json_object_put(o);
            return NULL;
        }
        return o;
    }
    if (jset(o, "id", json_object_new_string(name)) < 0) {
        json_object_put(o);
        json_object_put(cfg);
        return NULL;
    }
    if (cfg) {
        json_object_object_foreach(cfg, k, val) {
            if (jset(o, k, json_object_get(val)) < 0) {
                json_object_put(o);
                json_object_put(cfg);
                return NULL;
            }
        }
        json_object_put(cfg);
    }
    return o;
}

static json_object *cfg1(const char *k, json_object *v)
{
    json_object *o = json_object_new_object();

    if (!o || jset(o, k, v) < 0) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* The compressor (v2) or bytes-to-bytes codecs (v3, appended to list). */
static json_object *compressor_json(zarr_a *a, const cplan *p)
{
    zw *w = a->w;
    json_object *c;

    switch (p->comp) {
    case 'z':
        c = cfg1("level", json_object_new_int(p->level));
        if (c && w->v3 && jset(c, "checksum", json_object_new_boolean(0)) < 0) {
            json_object_put(c);
            return NULL;
        }
        return c ? jcodec(w, "zstd", c) : NULL;
    case 'g':
        return jcodec(w, w->v3 ? "gzip" : "zlib", cfg1("level", json_object_new_int(p->level)));
    case 'G':
        return jcodec(w, "gzip", cfg1("level", json_object_new_int(p->level)));
    case '2':
        return jcodec(w, "bz2", cfg1("level", json_object_new_int(p->level)));
    case '4':
        return jcodec(w, "lz4", cfg1("acceleration", json_object_new_int(1)));
    case 'b': {
        size_t ts = a->es ? a->es : 1;

        c = cfg1("cname", json_object_new_string(p->cname));
        if (!c || jset(c, "clevel", json_object_new_int(p->level)) < 0 ||
            jset(c, "shuffle", w->v3 ? json_object_new_string(p->blosc_shuffle ? "shuffle"
                                                                               : "noshuffle")
                                     : json_object_new_int(p->blosc_shuffle ? 1 : 0)) < 0 ||
            (w->v3 && jset(c, "typesize", json_object_new_int((int)(ts > 255 ? 1 : ts))) < 0) ||
            jset(c, "blocksize", json_object_new_int(0)) < 0) {
            json_object_put(c);
            return NULL;
        }
        return jcodec(w, "blosc", c);
    }
    default:
        return NULL;
    }
}

static int build_chain_list(zarr_a *a, dt__codec_chain *ch, json_object *list)
{
    const dt__codec_ctx ctx = {a->w->path, a->path, "configuring the codecs", UINT64_MAX};
    size_t n = json_object_array_length(list);

    for (size_t i = 0; i < n; i++) {
        json_object *c = json_object_array_get_idx(list, i);
        json_object *nm = dt__zj_get(c, a->w->v3 ? "name" : "id");
        json_object *cfg = a->w->v3 ? dt__zj_get(c, "configuration") : c;
        const dt__codec_class *cls = dt__codec_find(json_object_get_string(nm));
        int rc;

        if (!cls)
            return dt__fail_at(DT_EUNSUPPORTED, a->w->path, a->path, "codec %s is not "
                               "available", json_object_get_string(nm));
        rc = dt__chain_add(ch, cls, cfg, &ctx);
        if (rc < 0)
            return rc;
    }
    return DT_OK;
}

/* The codec metadata and the chain that encodes one (inner) chunk. */
static int plan_array_codecs(zarr_a *a)
{
    zw *w = a->w;
    cplan p;
    dt__array_spec spec;
    json_object *list = json_object_new_array(), *serial, *comp;
    int is_str = DT_TYPE_CLASS(a->t) == DT_STRING, rc;

    if (!list)
        return oom();
    plan_codecs(a, &p);
    memset(&spec, 0, sizeof spec);
    spec.type = a->t;
    spec.elem_size = a->es;
    spec.ndim = a->nd;
    memcpy(spec.shape, a->ic, a->nd * sizeof *a->ic);
    dt__chain_init(&a->chain, &spec);
    a->chain_ok = 1;
    /* array codecs and the serializer: the same steps the reader runs */
    if (w->o->order_f && a->nd > 1) {
        json_object *ord = json_object_new_array();

        for (size_t i = a->nd; ord && i-- > 0;) {
            if (jpush(ord, json_object_new_int64((int64_t)i)) < 0) {
                ord = NULL;
                break;
            }
        }
        rc = ord ? jpush(list, jcodec(w, "transpose", cfg1("order", ord))) : oom();
        if (rc < 0)
            goto fail;
    }
    if (is_str)
        serial = jcodec(w, "vlen-utf8", w->v3 ? NULL : NULL);
    else
        serial = jcodec(w, "bytes", cfg1("endian", json_object_new_string(a->big ? "big"
                                                                               : "little")));
    rc = jpush(list, serial);
    if (rc < 0)
        goto fail;
    if (!w->v3) {
        /* v2: filters, then the compressor; the order and the dtype say the
         * rest (the reader's chain has the same steps) */
        json_object *filters = json_object_new_array();

        if (!filters) {
            rc = oom();
            goto fail;
        }
        a->filters = filters;
        if (is_str)
            rc = jpush(filters, json_object_get(serial));
        if (rc == DT_OK && p.delta) {
            char dt[32];

            v2_dtype(dt, sizeof dt, a->t, a->big);
            json_object *c = cfg1("dtype", json_object_new_string(dt));

            rc = jpush(filters, jcodec(w, "delta", c));
        }
        if (rc == DT_OK && p.shuffle && !p.blosc_shuffle && a->es > 1)
            rc = jpush(filters, jcodec(w, "shuffle",
                                       cfg1("elementsize", json_object_new_int((int)a->es))));
        if (rc == DT_OK && p.checksum)
            rc = jpush(filters, jcodec(w, "crc32", NULL));
        if (rc < 0)
            goto fail;
        comp = compressor_json(a, &p);
        if (p.comp && !comp) {
            rc = oom();
            goto fail;
        }
        a->codecs = comp;
        /* the chain: order, serializer, filters but the object codec, compressor */
        rc = build_chain_list(a, &a->chain, list);
        if (rc == DT_OK) {
            json_object *rest = json_object_new_array();

            for (size_t i = is_str ? 1 : 0; rest && i < json_object_array_length(filters); i++)
                rc = jpush(rest, json_object_get(json_object_array_get_idx(filters, i)));
            if (rc == DT_OK && comp)
                rc = jpush(rest, json_object_get(comp));
            if (!rest)
                rc = oom();
            if (rc == DT_OK)
                rc = build_chain_list(a, &a->chain, rest);
            json_object_put(rest);
        }
        json_object_put(list);
        return rc;
    }
    comp = compressor_json(a, &p);
    if (p.comp && !comp) {
        rc = oom();
        goto fail;
    }
    if (comp && (rc = jpush(list, comp)) < 0)
        goto fail;
    if (p.checksum && (rc = jpush(list, jcodec(w, "crc32c", NULL))) < 0)
        goto fail;
    rc = build_chain_list(a, &a->chain, list);
    if (rc < 0)
        goto fail;
    if (a->sharded) {
        json_object *cfg = json_object_new_object(), *cs = json_object_new_array(), *ix;
        json_object *sh;

        for (size_t i = 0; cs && i < a->nd; i++) {
            if (jpush(cs, json_object_new_int64((int64_t)a->ic[i])) < 0)
                cs = NULL;
        }
        ix = json_object_new_array();
        rc = !cfg || !cs || !ix ? oom() : DT_OK;
        if (rc == DT_OK)
            rc = jpush(ix, jcodec(w, "bytes", cfg1("endian", json_object_new_string("little"))));
        if (rc == DT_OK)
            rc = jpush(ix, jcodec(w, "crc32c", NULL));
        if (rc == DT_OK)
            rc = jset(cfg, "chunk_shape", json_object_get(cs));
        if (rc == DT_OK)
            rc = jset(cfg, "codecs", json_object_get(list));
        if (rc == DT_OK)
            rc = jset(cfg, "index_codecs", json_object_get(ix));
        if (rc == DT_OK)
            rc = jset(cfg, "index_location", json_object_new_string("end"));
        json_object_put(cs);
        json_object_put(ix);
        if (rc < 0) {
            json_object_put(cfg);
            goto fail;
        }
        sh = jcodec(w, "sharding_indexed", cfg);
        json_object_put(list);
        list = json_object_new_array();
        if (!list || jpush(list, sh) < 0) {
            rc = oom();
            goto fail;
        }
    }
    a->codecs = list;
    return DT_OK;
fail:
    json_object_put(list);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Data                                                                     */

typedef struct zblock {
    zarr_a *a;
    unsigned char *buf;             /* the block, C order */
    uint64_t bstart[DT_MAX_RANK], bcount[DT_MAX_RANK];
    uint64_t *origins;              /* per job: the inner chunk's origin */
    dt__bytes *out;
    unsigned char *missing;
    size_t njobs;
} zblock;

static int elem_is_fill(const zarr_a *a, const unsigned char *e)
{
    if (DT_TYPE_CLASS(a->t) == DT_STRING) {
        const char *s;

        memcpy(&s, e, sizeof s);
        return strcmp(s ? s : "", a->fill_str) == 0;
    }
    return memcmp(e, a->fill, a->es) == 0;
}

static int encode_job(void *ud, size_t j)
{
    zblock *b = ud;
    zarr_a *a = b->a;
    size_t nd = a->nd, es = a->es;
    const uint64_t *org = b->origins + j * (nd ? nd : 1);
    uint64_t ext[DT_MAX_RANK], n = 1, rows = 1;
    uint64_t idx[DT_MAX_RANK];
    int partial = 0, all_fill = 1;
    dt__bytes in = {NULL, 0};
    const dt__codec_ctx ctx = {a->w->path, a->path, "encoding a chunk", UINT64_MAX};
    int rc;

    b->missing[j] = 0;
    for (size_t i = 0; i < nd; i++) {
        if (org[i] >= a->shape[i]) {
            b->missing[j] = 1;
            return DT_OK;
        }
        ext[i] = a->shape[i] - org[i] < a->ic[i] ? a->shape[i] - org[i] : a->ic[i];
        partial |= ext[i] < a->ic[i];
        n *= a->ic[i];
        if (i + 1 < nd)
            rows *= ext[i];
    }
    in.len = (size_t)n * es;
    in.data = dt__malloc(in.len ? in.len : 1);
    if (!in.data)
        return DT_ENOMEM;
    if (partial) {
        for (uint64_t k = 0; k < n; k++)
            memcpy(in.data + k * es, a->fill, es);
    }
    memset(idx, 0, sizeof idx);
    for (uint64_t r = 0; r < rows; r++) {
        uint64_t so = 0, dst = 0, len = nd ? ext[nd - 1] : 1;

        for (size_t i = 0; i < nd; i++) {
            uint64_t c = (i + 1 < nd ? idx[i] : 0);

            so = so * b->bcount[i] + (org[i] - b->bstart[i] + c);
            dst = dst * a->ic[i] + c;
        }
        memcpy(in.data + dst * es, b->buf + so * es, (size_t)(len * es));
        if (a->skip_empty && all_fill) {
            for (uint64_t k = 0; k < len && all_fill; k++)
                all_fill = elem_is_fill(a, b->buf + (so + k) * es);
        }
        for (size_t i = nd > 1 ? nd - 1 : 0; i-- > 0;) {
            if (++idx[i] < ext[i])
                break;
            idx[i] = 0;
        }
    }
    if (a->skip_empty && all_fill) {
        free(in.data);
        b->missing[j] = 1;
        return DT_OK;
    }
    rc = dt__chain_encode(&a->chain, &in, &b->out[j], &ctx);
    free(in.data);
    return rc;
}

static void chunk_key(const zarr_a *a, const uint64_t *cidx, char *buf, size_t n)
{
    size_t at = (size_t)snprintf(buf, n, "%s", a->prefix);

    if (a->w->v3) {
        at += (size_t)snprintf(buf + at, n - at, "c");
        for (size_t i = 0; i < a->nd && at < n; i++)
            at += (size_t)snprintf(buf + at, n - at, "%c%" PRIu64, a->w->sep, cidx[i]);
        return;
    }
    if (a->nd == 0) {
        snprintf(buf + at, n - at, "0");
        return;
    }
    for (size_t i = 0; i < a->nd && at < n; i++) {
        if (i)
            buf[at++] = a->w->sep;
        if (at < n)
            at += (size_t)snprintf(buf + at, n - at, "%" PRIu64, cidx[i]);
    }
}

/* Store the encoded chunks of a block: whole chunks, or shards assembled
 * from their inner chunks with the index (offset, nbytes pairs, little
 * endian, then its CRC-32C) at the end; missing inner chunks are
 * 2^64 - 1 in both, a shard with none is not written. */
static int store_block(zblock *b, size_t nouter)
{
    zarr_a *a = b->a;
    size_t nd = a->nd;
    char key[4096];
    int rc = DT_OK;

    for (size_t s = 0; s < nouter && rc == DT_OK; s++) {
        size_t first = s * (size_t)a->ninner;
        uint64_t cidx[DT_MAX_RANK];

        for (size_t i = 0; i < nd; i++)
            cidx[i] = b->origins[first * nd + i] / a->oc[i];
        chunk_key(a, cidx, key, sizeof key);
        if (!a->sharded) {
            if (!b->missing[first])
                rc = put_bytes(a->w, key, b->out[first].data, b->out[first].len,
                               "writing a chunk");
            continue;
        }
        {
            uint64_t total = 0, off = 0, ib = a->ninner * 16;
            size_t present = 0;
            unsigned char *shard, *ix;
            uint32_t crc;

            for (size_t k = 0; k < a->ninner; k++) {
                if (!b->missing[first + k]) {
                    total += b->out[first + k].len;
                    present++;
                }
            }
            if (!present)
                continue;
            shard = dt__malloc((size_t)(total + ib + 4));
            if (!shard)
                return DT_ENOMEM;
            ix = shard + total;
            for (size_t k = 0; k < a->ninner; k++) {
                uint64_t o = UINT64_MAX, l = UINT64_MAX;
                const dt__bytes *e = &b->out[first + k];

                if (!b->missing[first + k]) {
                    memcpy(shard + off, e->data, e->len);
                    o = off;
                    l = e->len;
                    off += e->len;
                }
                for (int q = 0; q < 8; q++) {
                    ix[16 * k + (size_t)q] = (unsigned char)(o >> (8 * q));
                    ix[16 * k + 8 + (size_t)q] = (unsigned char)(l >> (8 * q));
                }
            }
            crc = dt__crc32c(0, ix, (size_t)ib);
            for (int q = 0; q < 4; q++)
                ix[ib + (size_t)q] = (unsigned char)(crc >> (8 * q));
            rc = put_bytes(a->w, key, shard, (size_t)(total + ib + 4), "writing a shard");
            free(shard);
        }
    }
    return rc;
}

static void progress(zw *w, uint64_t bytes)
{
    w->done += bytes;
    if (w->o->progress)
        w->o->progress(w->o->progress_ud, w->done, w->total);
}

/* Two blocks in flight: while the workers encode one, the calling thread
 * stores the chunks of the one before and reads the one after. */
typedef struct zpipe {
    zarr_a *a;
    zblock b[2];
    int have[2];            /* the slot holds a block read, not yet stored */
    int encoded[2];         /* its chunks are encoded */
    size_t nouter[2];
    uint64_t nel[2];
    uint64_t block[DT_MAX_RANK], grid[DT_MAX_RANK], bidx[DT_MAX_RANK];
    int more;               /* blocks left to read */
    int next;               /* the slot the calling thread works on */
} zpipe;

/* Read the next block into slot s and list its jobs (every inner chunk of
 * every outer chunk, in order). */
static int read_block(zpipe *zp, int s)
{
    zarr_a *a = zp->a;
    zblock *b = &zp->b[s];
    size_t nd = a->nd, nouter = 1, nj = 0;
    uint64_t n = 1, ogrid[DT_MAX_RANK], oidx[DT_MAX_RANK];
    uint64_t start[DT_MAX_RANK], count[DT_MAX_RANK];
    dt_slab slab = {nd, start, count, NULL};
    int rc;

    zp->have[s] = zp->encoded[s] = 0;
    if (!zp->more)
        return DT_OK;
    for (size_t i = 0; i < nd; i++) {
        start[i] = zp->bidx[i] * zp->block[i];
        count[i] = start[i] + zp->block[i] > a->shape[i] ? a->shape[i] - start[i]
                                                         : zp->block[i];
        b->bstart[i] = start[i];
        b->bcount[i] = count[i];
        n *= count[i];
        ogrid[i] = (count[i] + a->oc[i] - 1) / a->oc[i];
        nouter *= (size_t)ogrid[i];
        oidx[i] = 0;
    }
    /* the next block's position */
    {
        size_t k = nd;

        while (k > 0) {
            k--;
            if (++zp->bidx[k] < zp->grid[k])
                break;
            zp->bidx[k] = 0;
        }
        if (nd == 0 || (k == 0 && zp->bidx[0] == 0))
            zp->more = 0;
    }
    rc = dt_var_read(a->v, &slab, dt_var_type(a->v), b->buf, (size_t)(n * a->es));
    if (rc < 0) {
        char *vp = NULL;

        dt_var_path(&vp, a->v);
        rc = dt__err_locate(rc, dt_tree_source(dt_node_tree(dt_var_node(a->v))), vp);
        free(vp);
        return rc;
    }
    for (size_t o = 0; o < nouter; o++) {
        uint64_t iidx[DT_MAX_RANK];

        memset(iidx, 0, sizeof iidx);
        for (uint64_t k = 0; k < a->ninner; k++) {
            for (size_t i = 0; i < nd; i++)
                b->origins[nj * nd + i] = start[i] + oidx[i] * a->oc[i] + iidx[i] * a->ic[i];
            nj++;
            for (size_t i = nd; i-- > 0;) {
                if (++iidx[i] < a->per[i])
                    break;
                iidx[i] = 0;
            }
        }
        for (size_t i = nd; i-- > 0;) {
            if (++oidx[i] < ogrid[i])
                break;
            oidx[i] = 0;
        }
    }
    b->njobs = nj;
    zp->nouter[s] = nouter;
    zp->nel[s] = n;
    zp->have[s] = 1;
    return DT_OK;
}

/* Store slot s's chunks (when store and they were encoded), free them and
 * the block's strings. */
static int finish_block(zpipe *zp, int s, int store)
{
    zarr_a *a = zp->a;
    zblock *b = &zp->b[s];
    int rc = DT_OK;

    if (!zp->have[s])
        return DT_OK;
    if (store && zp->encoded[s])
        rc = store_block(b, zp->nouter[s]);
    for (size_t j = 0; j < b->njobs; j++)
        dt__bytes_free(&b->out[j]);
    if (DT_TYPE_CLASS(a->t) == DT_STRING)
        dt_strings_free((char **)b->buf, (size_t)zp->nel[s]);
    if (rc == DT_OK && store && zp->encoded[s])
        progress(a->w, zp->nel[s] * a->es);
    zp->have[s] = zp->encoded[s] = 0;
    return rc;
}

/* What the calling thread does while the workers encode a block: store
 * the previous one, read the next one into its slot. */
static int stage(void *ud)
{
    zpipe *zp = ud;
    int rc = finish_block(zp, zp->next, 1);

    if (rc == DT_OK)
        rc = read_block(zp, zp->next);
    return rc;
}

static int write_data(zarr_a *a)
{
    zw *w = a->w;
    size_t nd = a->nd, es = a->es, bufsize, maxjobs = 1;
    uint64_t nel = 1, bytes, target = BLOCK_BYTES, ob = es; /* ob: one job's bytes */
    zpipe zp;
    int rc = DT_OK, cur = 0;

    for (size_t i = 0; i < nd; i++)
        nel *= a->shape[i];
    if (nd > 0 && nel == 0)
        return DT_OK;
    memset(&zp, 0, sizeof zp);
    zp.a = a;
    zp.b[0].a = zp.b[1].a = a;
    zp.more = 1;
    /* blocks of whole outer chunks, grown along the inner axes while they
     * stay under the target: BLOCK_BYTES, or two chunks per thread */
    for (size_t i = 0; i < nd; i++)
        ob *= a->ic[i];    /* the jobs are (inner) chunks */
    if (ob * 2 * dt__pool_threads(w->pool) > target)
        target = ob * 2 * dt__pool_threads(w->pool);
    for (size_t i = 0; i < nd; i++)
        zp.block[i] = a->oc[i] < a->shape[i] ? a->oc[i] : a->shape[i];
    bytes = es;
    for (size_t i = 0; i < nd; i++)
        bytes *= zp.block[i];
    for (size_t k = nd; k > 0; k--) {
        size_t i = k - 1;
        uint64_t per = bytes / zp.block[i], unit = per * a->oc[i], mul, room;

        room = target / (unit ? unit : 1);
        mul = (a->shape[i] + a->oc[i] - 1) / a->oc[i];
        if (room < mul)
            mul = room ? room : 1;
        zp.block[i] = mul * a->oc[i] < a->shape[i] ? mul * a->oc[i] : a->shape[i];
        bytes = per * zp.block[i];
        if (zp.block[i] < a->shape[i])
            break;
    }
    for (size_t i = 0; i < nd; i++) {
        uint64_t outer = (zp.block[i] + a->oc[i] - 1) / a->oc[i];

        maxjobs *= (size_t)(outer * a->per[i]);
        zp.grid[i] = (a->shape[i] + zp.block[i] - 1) / zp.block[i];
    }
    rc = dt__u64_to_size(&bufsize, bytes);
    if (rc < 0)
        return rc;
    for (int s = 0; s < 2; s++) {
        zblock *b = &zp.b[s];

        b->buf = dt__malloc(bufsize ? bufsize : es);
        b->origins = dt__calloc(maxjobs * (nd ? nd : 1), sizeof *b->origins);
        b->out = dt__calloc(maxjobs, sizeof *b->out);
        b->missing = dt__calloc(maxjobs, 1);
        if (!b->buf || !b->origins || !b->out || !b->missing)
            rc = DT_ENOMEM;
    }
    if (rc == DT_OK)
        rc = read_block(&zp, 0);
    while (rc == DT_OK && zp.have[cur]) {
        zp.next = cur ^ 1;
        rc = dt__pool_run_with(w->pool, zp.b[cur].njobs, encode_job, &zp.b[cur], stage, &zp);
        if (rc == DT_OK)
            zp.encoded[cur] = 1;
        cur ^= 1;
    }
    /* the last block encoded (its slot is the other one) */
    if (rc == DT_OK)
        rc = finish_block(&zp, cur ^ 1, 1);
    for (int s = 0; s < 2; s++) {
        finish_block(&zp, s, 0);
        free(zp.b[s].buf);
        free(zp.b[s].origins);
        free(zp.b[s].out);
        free(zp.b[s].missing);
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Names and dimensions                                                     */

static char *rel_path(const zw *w, const dt_node *node)
{
    char *abs = dt__node_path_str(node), *r;

    if (!abs)
        return NULL;
    r = dt__strdup(abs[w->top_len] ? abs + w->top_len : "/");
    free(abs);
    return r;
}

static char *join(const char *gpath, const char *name)
{
    return dt__aprintf("%s%s%s", gpath, strcmp(gpath, "/") == 0 ? "" : "/", name);
}

/* A name that would collide with the format's own keys. */
static int name_ok(const zw *w, const char *name, const char *path)
{
    static const char *const v2[] = {".zarray", ".zgroup", ".zattrs", ".zmetadata"};

    if (w->v3 ? strcmp(name, "zarr.json") == 0
              : (strcmp(name, v2[0]) == 0 || strcmp(name, v2[1]) == 0 ||
                 strcmp(name, v2[2]) == 0 || strcmp(name, v2[3]) == 0))
        return dt__fail_at(DT_EBADNAME, w->path, path, "the name \"%s\" is a Zarr metadata "
                           "key", name);
    return DT_OK;
}

static size_t find_dim(const zw *w, const dt_node *owner, const char *name)
{
    for (size_t i = w->ndims; i > 0; i--) {
        if (w->dims[i - 1].owner == owner && strcmp(w->dims[i - 1].name, name) == 0)
            return i - 1;
    }
    return NONE;
}

static int add_dim(zw *w, const dt_node *owner, const dt_dim_info *di, const char *gpath)
{
    wdim *d;
    int rc = dt__grow_array(&w->dims, &w->capdims, w->ndims, sizeof *w->dims);

    if (rc < 0)
        return rc;
    d = &w->dims[w->ndims];
    memset(d, 0, sizeof *d);
    d->owner = owner;
    d->size = di->size;
    d->unlimited = di->unlimited;
    d->name = dt__strdup(di->name);
    d->fqn = join(gpath, di->name);
    if (!d->name || !d->fqn) {
        free(d->name);
        free(d->fqn);
        return DT_ENOMEM;
    }
    w->ndims++;
    return DT_OK;
}

/* Dims of ancestors of the top that the subtree's variables use: declared
 * at the new root (as the netCDF-4 writer does). */
static int inherited_dims(zw *w, const dt_node *node)
{
    int rc = DT_OK;

    for (size_t i = 0; i < dt_node_var_count(node) && rc == DT_OK; i++) {
        const dt_var *v = dt_node_var(node, i);

        for (size_t ax = 0; ax < dt_var_ndim(v) && rc == DT_OK; ax++) {
            dt_dim_info di;

            if (dt_node_dim_find(&di, node, dt_var_dim(v, ax)) < 0) {
                dt_error_clear();
                continue;
            }
            if (dt__node_within(w->top, di.owner) ||
                find_dim(w, di.owner, di.name) != NONE)
                continue;
            rc = add_dim(w, di.owner, &di, "/");
        }
    }
    for (size_t c = 0; c < dt_node_child_count(node) && rc == DT_OK; c++)
        rc = inherited_dims(w, dt_node_child(node, c));
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Arrays                                                                   */

static json_object *u64_list(const uint64_t *v, size_t n)
{
    json_object *a = json_object_new_array();

    for (size_t i = 0; a && i < n; i++) {
        if (jpush(a, json_object_new_int64((int64_t)v[i])) < 0)
            return NULL;
    }
    return a;
}

static void zarr_a_clear(zarr_a *a)
{
    if (a->chain_ok)
        dt__chain_clear(&a->chain);
    json_object_put(a->codecs);
    json_object_put(a->filters);
    free(a->fill);
    free(a->path);
    free(a->prefix);
}

static int write_array(zw *w, const dt_var *v, const char *gpath, const char *gprefix,
                       json_object *gvars)
{
    zarr_a a;
    const void *fill = dt_var_fill(v);
    dt_type vt = dt_var_type(v);
    json_object *doc = NULL, *attrs = NULL, *types = NULL, *nctypes = NULL, *ann = NULL;
    json_object *dimnames = NULL, *refs = NULL, *shapes = json_object_new_object();
    char *key = NULL, *ckey = NULL;
    int rc;

    memset(&a, 0, sizeof a);
    a.w = w;
    a.v = v;
    a.t = storage_type(vt);
    a.es = dt_type_size(a.t);
    a.nd = dt_var_ndim(v);
    a.big = dt_var_big_endian(v) && dt__swap_unit(a.t) > 1;
    memcpy(a.shape, dt_var_shape(v), a.nd * sizeof *a.shape);
    a.path = join(gpath, dt_var_name(v));
    a.prefix = dt__aprintf("%s%s/", gprefix, dt_var_name(v));
    if (!a.path || !a.prefix) {
        rc = DT_ENOMEM;
        goto out;
    }
    rc = name_ok(w, dt_var_name(v), a.path);
    if (rc < 0)
        goto out;
    a.fill = dt__calloc(1, a.es ? a.es : 1);
    if (!a.fill) {
        rc = DT_ENOMEM;
        goto out;
    }
    a.fill_str = "";
    if (fill && DT_TYPE_CLASS(a.t) == DT_STRING) {
        const char *s = *(const char *const *)fill;

        a.fill_str = s ? s : "";
        memcpy(a.fill, &a.fill_str, sizeof a.fill_str);
    } else if (fill) {
        memcpy(a.fill, fill, a.es);
    } else if (DT_TYPE_CLASS(a.t) == DT_STRING) {
        memcpy(a.fill, &a.fill_str, sizeof a.fill_str);
    }
    a.skip_empty = fill != NULL;
    rc = choose_chunks(&a);
    if (rc == DT_OK)
        rc = plan_array_codecs(&a);
    if (rc == DT_OK)
        rc = write_data(&a);
    if (rc < 0)
        goto out;

    /* the metadata, after the chunks */
    doc = json_object_new_object();
    attrs = json_object_new_object();
    types = json_object_new_object();
    nctypes = json_object_new_object();
    ann = json_object_new_object();
    dimnames = json_object_new_array();
    refs = json_object_new_array();
    if (!doc || !attrs || !types || !nctypes || !ann || !dimnames || !refs || !shapes) {
        rc = oom();
        goto out;
    }
    for (size_t ax = 0; ax < a.nd && rc == DT_OK; ax++) {
        dt_dim_info di;
        size_t j = NONE;

        if (dt_node_dim_find(&di, dt_var_node(v), dt_var_dim(v, ax)) == DT_OK)
            j = find_dim(w, di.owner, di.name);
        if (j == NONE) {
            rc = dt__fail_at(DT_ENOTFOUND, w->path, a.path, "dimension \"%s\" (axis %zu) is "
                             "not declared in the written tree", dt_var_dim(v, ax), ax);
            break;
        }
        rc = jpush(dimnames, json_object_new_string(dt_var_dim(v, ax)));
        if (rc == DT_OK)
            rc = jpush(refs, json_object_new_string(w->dims[j].fqn));
    }
    if (rc == DT_OK)
        rc = attrs_json(w, dt_var_attrs(v), a.path, attrs, types, w->v3 ? NULL : nctypes,
                        shapes);
    if (rc < 0)
        goto out;
    /* libdtree's annotation */
    if (json_object_object_length(types) > 0)
        rc = jset(ann, "attribute_types", json_object_get(types));
    if (rc == DT_OK && json_object_object_length(shapes) > 0)
        rc = jset(ann, "attribute_shapes", json_object_get(shapes));
    if (rc == DT_OK && (DT_TYPE_CLASS(vt) == DT_CHAR || DT_TYPE_CLASS(vt) == DT_ENUM)) {
        char tn[48];

        dt_type_name(tn, sizeof tn, vt);
        rc = jset(ann, "dtype", json_object_new_string(tn));
    }
    if (rc == DT_OK && DT_TYPE_CLASS(vt) == DT_ENUM) {
        json_object *m = json_object_new_object();

        for (size_t i = 0; m && i < dt_var_enum_count(v) && rc == DT_OK; i++) {
            const char *mn;
            int64_t mv;

            dt_var_enum_member(v, i, &mn, &mv);
            rc = jset(m, mn, json_object_new_int64(mv));
        }
        rc = rc == DT_OK ? jset(ann, "enum", m) : (json_object_put(m), rc);
    }
    if (rc == DT_OK && !fill && w->v3)
        rc = jset(ann, "no_fill", json_object_new_boolean(1));
    /* a contiguous source variable written as one chunk: said so, for the
     * way back to netCDF-4 */
    if (rc == DT_OK && !dt_var_chunks(v) && !a.sharded &&
        memcmp(a.ic, a.shape, a.nd * sizeof *a.ic) == 0)
        rc = jset(ann, "contiguous", json_object_new_boolean(1));
    if (rc == DT_OK && w->v3 && a.nd)
        rc = jset(ann, "dimension_references", json_object_get(refs));
    if (rc == DT_OK && a.clamped && !a.sharded)
        rc = jset(ann, "chunks", u64_list(a.asked, a.nd));
    if (rc < 0)
        goto out;

    if (!w->v3) {
        char dt[32];
        json_object *nca = json_object_new_object();

        v2_dtype(dt, sizeof dt, DT_TYPE_CLASS(vt) == DT_CHAR ? (dt_type)DT_CHAR : a.t, a.big);
        rc = jset(doc, "zarr_format", json_object_new_int(2));
        if (rc == DT_OK)
            rc = jset(doc, "shape", u64_list(a.shape, a.nd));
        if (rc == DT_OK)
            rc = jset(doc, "chunks", u64_list(a.ic, a.nd));
        if (rc == DT_OK)
            rc = jset(doc, "dtype", json_object_new_string(dt));
        if (rc == DT_OK)
            rc = json_object_object_add(doc, "compressor", json_object_get(a.codecs)) ? oom()
                                                                                      : DT_OK;
        if (rc == DT_OK) {
            json_object *f = NULL;

            if (fill) {
                f = elem_json(a.t, DT_TYPE_CLASS(a.t) == DT_STRING ? (const void *)&a.fill_str
                                                                   : fill, 0);
                if (!f)
                    rc = oom();
            }
            if (rc == DT_OK && json_object_object_add(doc, "fill_value", f) != 0)
                rc = oom();
        }
        if (rc == DT_OK)
            rc = jset(doc, "order", json_object_new_string(w->o->order_f && a.nd > 1 ? "F"
                                                                                    : "C"));
        if (rc == DT_OK)
            rc = json_object_object_add(doc, "filters",
                                        json_object_array_length(a.filters)
                                            ? json_object_get(a.filters) : NULL) ? oom()
                                                                                 : DT_OK;
        if (rc == DT_OK)
            rc = jset(doc, "dimension_separator", json_object_new_string_len(&w->sep, 1));
        /* NCZarr (netCDF-C 4.9): dimension references */
        if (rc == DT_OK)
            rc = nca ? jset(nca, "dimrefs", json_object_get(refs)) : oom();
        if (rc == DT_OK)
            rc = jset(nca, "storage", json_object_new_string("chunked"));
        if (rc == DT_OK)
            rc = jset(doc, "_NCZARR_ARRAY", json_object_get(nca));
        json_object_put(nca);
        if (rc == DT_OK && json_object_object_length(ann))
            rc = jset(doc, "libdtree", json_object_get(ann));
        if (rc == DT_OK)
            rc = jset(attrs, "_ARRAY_DIMENSIONS", json_object_get(dimnames));
        if (rc == DT_OK && json_object_object_length(nctypes))
            rc = jset(attrs, "_NCZARR_ATTR", cfg1("types", json_object_get(nctypes)));
        if (rc < 0)
            goto out;
        key = dt__aprintf("%s.zattrs", a.prefix);
        rc = key ? put_doc(w, key, key, json_object_get(attrs)) : DT_ENOMEM;
        free(key);
        key = dt__aprintf("%s.zarray", a.prefix);
        if (rc == DT_OK)
            rc = key ? put_doc(w, key, key, json_object_get(doc)) : DT_ENOMEM;
    } else {
        json_object *grid, *kenc, *f = NULL;

        rc = jset(doc, "zarr_format", json_object_new_int(3));
        if (rc == DT_OK)
            rc = jset(doc, "node_type", json_object_new_string("array"));
        if (rc == DT_OK)
            rc = jset(doc, "shape", u64_list(a.shape, a.nd));
        if (rc == DT_OK)
            rc = jset(doc, "data_type", v3_dtype(a.t));
        grid = cfg1("chunk_shape", u64_list(a.oc, a.nd));
        if (rc == DT_OK)
            rc = grid ? jset(doc, "chunk_grid", jcodec(w, "regular", grid)) : oom();
        kenc = cfg1("separator", json_object_new_string_len(&w->sep, 1));
        if (rc == DT_OK)
            rc = kenc ? jset(doc, "chunk_key_encoding", jcodec(w, "default", kenc)) : oom();
        if (rc == DT_OK) {
            /* v3 has no null fill: the type's zero (annotated no_fill) */
            f = elem_json(a.t, DT_TYPE_CLASS(a.t) == DT_STRING ? (const void *)&a.fill_str
                               : a.fill, 0);
            rc = jset(doc, "fill_value", f);
        }
        if (rc == DT_OK)
            rc = jset(doc, "codecs", json_object_get(a.codecs));
        if (rc == DT_OK)
            rc = jset(doc, "attributes", json_object_get(attrs));
        if (rc == DT_OK)
            rc = jset(doc, "dimension_names", json_object_get(dimnames));
        if (rc == DT_OK && json_object_object_length(ann)) {
            rc = jset(ann, "must_understand", json_object_new_boolean(0));
            if (rc == DT_OK)
                rc = jset(doc, "libdtree", json_object_get(ann));
        }
        key = dt__aprintf("%szarr.json", a.prefix);
        ckey = dt__strndup(a.prefix, strlen(a.prefix) - 1);
        if (rc == DT_OK)
            rc = key && ckey ? put_doc(w, key, ckey, json_object_get(doc)) : DT_ENOMEM;
    }
    if (rc == DT_OK)
        rc = jpush(gvars, json_object_new_string(dt_var_name(v)));
out:
    free(key);
    free(ckey);
    json_object_put(doc);
    json_object_put(attrs);
    json_object_put(types);
    json_object_put(nctypes);
    json_object_put(ann);
    json_object_put(dimnames);
    json_object_put(refs);
    json_object_put(shapes);
    zarr_a_clear(&a);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Groups                                                                   */

static int write_group(zw *w, const dt_node *node)
{
    char *gpath = rel_path(w, node), *gprefix = NULL, *key = NULL;
    size_t d0 = w->ndims, d1;
    const dt_var **vars = NULL;
    size_t nv = 0;
    json_object *gvars = json_object_new_array(), *ggroups = json_object_new_array();
    json_object *dims = json_object_new_object(), *unl = json_object_new_array();
    json_object *attrs = json_object_new_object(), *types = json_object_new_object();
    json_object *nctypes = json_object_new_object(), *ann = json_object_new_object();
    json_object *doc = json_object_new_object(), *shapes = json_object_new_object();
    int rc = DT_OK;

    if (!gpath || !gvars || !ggroups || !dims || !unl || !attrs || !types || !nctypes ||
        !ann || !doc || !shapes) {
        rc = oom();
        goto out;
    }
    gprefix = strcmp(gpath, "/") == 0 ? dt__strdup("") : dt__aprintf("%s/", gpath + 1);
    if (!gprefix) {
        rc = DT_ENOMEM;
        goto out;
    }
    if (node == w->top && dt_node_parent(node))
        rc = inherited_dims(w, node);
    for (size_t i = 0; i < dt_node_dim_count(node) && rc == DT_OK; i++) {
        dt_dim_info di;

        rc = dt_node_dim(&di, node, i);
        if (rc == DT_OK)
            rc = add_dim(w, node, &di, gpath);
    }
    d1 = w->ndims;
    if (rc < 0)
        goto out;
    vars = dt__calloc(dt_node_var_count(node) + (d1 - d0) + 1, sizeof *vars);
    if (!vars) {
        rc = DT_ENOMEM;
        goto out;
    }
    /* at a subtree's root: the index coordinates it inherits */
    for (size_t j = d0; j < d1; j++) {
        dt_coord_info ci;

        if (w->dims[j].owner == node)
            continue;
        if (dt_node_coord_find(&ci, w->dims[j].owner, w->dims[j].name,
                               DT_INHERIT_NONE) == DT_OK && ci.is_index)
            vars[nv++] = ci.var;
        dt_error_clear();
    }
    for (size_t i = 0; i < dt_node_var_count(node); i++) {
        const dt_var *v = dt_node_var(node, i);

        if (!type_writable(dt_var_type(v))) {
            char tn[32], *p = NULL;

            if (w->o->skip_unsupported)
                continue;
            dt_type_name(tn, sizeof tn, dt_var_type(v));
            dt_var_path(&p, v);
            rc = dt__fail_at(DT_ETYPE, w->path, p, "variables of type %s cannot be written "
                             "to Zarr", tn);
            free(p);
            goto out;
        }
        vars[nv++] = v;
    }
    for (size_t i = 0; i < nv && rc == DT_OK; i++) {
        for (size_t c = 0; c < dt_node_child_count(node); c++) {
            if (strcmp(dt_node_name(dt_node_child(node, c)), dt_var_name(vars[i])) == 0) {
                char *p = join(gpath, dt_var_name(vars[i]));

                rc = dt__fail_at(DT_ENAMECLASH, w->path, p, "a variable and a group have "
                                 "this name: a Zarr store cannot hold both");
                free(p);
                goto out;
            }
        }
        rc = write_array(w, vars[i], gpath, gprefix, gvars);
    }
    for (size_t c = 0; c < dt_node_child_count(node) && rc == DT_OK; c++) {
        const dt_node *ch = dt_node_child(node, c);
        char *p = join(gpath, dt_node_name(ch));

        rc = p ? name_ok(w, dt_node_name(ch), p) : DT_ENOMEM;
        free(p);
        if (rc == DT_OK)
            rc = write_group(w, ch);
        if (rc == DT_OK)
            rc = jpush(ggroups, json_object_new_string(dt_node_name(ch)));
    }
    if (rc < 0)
        goto out;

    /* the group's documents, after its members */
    for (size_t j = d0; j < d1 && rc == DT_OK; j++) {
        rc = jset(dims, w->dims[j].name, json_object_new_int64((int64_t)w->dims[j].size));
        if (rc == DT_OK && w->dims[j].unlimited)
            rc = jpush(unl, json_object_new_string(w->dims[j].name));
    }
    if (rc == DT_OK)
        rc = attrs_json(w, dt_node_attrs(node), gpath, attrs, types, w->v3 ? NULL : nctypes,
                        shapes);
    if (rc == DT_OK && json_object_object_length(types))
        rc = jset(ann, "attribute_types", json_object_get(types));
    if (rc == DT_OK && json_object_object_length(shapes))
        rc = jset(ann, "attribute_shapes", json_object_get(shapes));
    if (rc == DT_OK && json_object_array_length(unl))
        rc = jset(ann, "unlimited", json_object_get(unl));
    if (rc < 0)
        goto out;
    if (!w->v3) {
        json_object *ncg = json_object_new_object();

        rc = jset(doc, "zarr_format", json_object_new_int(2));
        if (rc == DT_OK && node == w->top)
            rc = jset(doc, "_NCZARR_SUPERBLOCK", cfg1("version",
                                                      json_object_new_string("2.0.0")));
        if (rc == DT_OK)
            rc = ncg ? jset(ncg, "dims", json_object_get(dims)) : oom();
        if (rc == DT_OK)
            rc = jset(ncg, "vars", json_object_get(gvars));
        if (rc == DT_OK)
            rc = jset(ncg, "groups", json_object_get(ggroups));
        if (rc == DT_OK)
            rc = jset(doc, "_NCZARR_GROUP", json_object_get(ncg));
        json_object_put(ncg);
        if (rc == DT_OK && json_object_object_length(ann))
            rc = jset(doc, "libdtree", json_object_get(ann));
        if (rc == DT_OK && json_object_object_length(nctypes))
            rc = jset(attrs, "_NCZARR_ATTR", cfg1("types", json_object_get(nctypes)));
        key = dt__aprintf("%s.zattrs", gprefix);
        if (rc == DT_OK)
            rc = key ? put_doc(w, key, key, json_object_get(attrs)) : DT_ENOMEM;
        free(key);
        key = dt__aprintf("%s.zgroup", gprefix);
        if (rc == DT_OK)
            rc = key ? put_doc(w, key, key, json_object_get(doc)) : DT_ENOMEM;
    } else {
        rc = jset(doc, "zarr_format", json_object_new_int(3));
        if (rc == DT_OK)
            rc = jset(doc, "node_type", json_object_new_string("group"));
        if (rc == DT_OK)
            rc = jset(doc, "attributes", json_object_get(attrs));
        if (rc == DT_OK && json_object_object_length(dims))
            rc = jset(ann, "dimensions", json_object_get(dims));
        if (rc == DT_OK && json_object_object_length(ann)) {
            rc = jset(ann, "must_understand", json_object_new_boolean(0));
            if (rc == DT_OK)
                rc = jset(doc, "libdtree", json_object_get(ann));
        }
        if (rc == DT_OK && node == w->top && w->cons) {
            /* zarr-python 3's inline consolidated metadata, in the root
             * document written last */
            json_object *cm = json_object_new_object();

            rc = cm ? jset(cm, "kind", json_object_new_string("inline")) : oom();
            if (rc == DT_OK)
                rc = jset(cm, "must_understand", json_object_new_boolean(0));
            if (rc == DT_OK)
                rc = jset(cm, "metadata", json_object_get(w->cons));
            if (rc == DT_OK)
                rc = jset(doc, "consolidated_metadata", json_object_get(cm));
            json_object_put(cm);
        }
        key = dt__aprintf("%szarr.json", gprefix);
        if (rc == DT_OK && key) {
            rc = put_doc(w, key, node == w->top ? NULL : gpath + 1, json_object_get(doc));
        } else if (rc == DT_OK) {
            rc = DT_ENOMEM;
        }
    }
out:
    free(key);
    free(gpath);
    free(gprefix);
    free(vars);
    json_object_put(gvars);
    json_object_put(ggroups);
    json_object_put(dims);
    json_object_put(unl);
    json_object_put(attrs);
    json_object_put(types);
    json_object_put(nctypes);
    json_object_put(ann);
    json_object_put(doc);
    json_object_put(shapes);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Entry point                                                              */

static void data_bytes(const dt_node *node, uint64_t *total)
{
    for (size_t i = 0; i < dt_node_var_count(node); i++) {
        const dt_var *v = dt_node_var(node, i);
        uint64_t n = 0;

        if (type_writable(dt_var_type(v)) && dt_var_nelems(&n, v) == DT_OK)
            *total += n * dt_type_size(storage_type(dt_var_type(v)));
        dt_error_clear();
    }
    for (size_t c = 0; c < dt_node_child_count(node); c++)
        data_bytes(dt_node_child(node, c), total);
}

static int check_opts(const dt_write_opts *o, const char *path)
{
    if (o->deflate > 9 || o->deflate < -1)
        return dt__fail_at(DT_EINVAL, path, NULL, "deflate level %d: 1 to 9 (0 keeps the "
                           "source's, -1 none)", o->deflate);
    if (o->zstd > 22 || o->zstd < -1)
        return dt__fail_at(DT_EINVAL, path, NULL, "zstd level %d: 1 to 22 (0 keeps the "
                           "source's, -1 none)", o->zstd);
    if (o->deflate > 0 && o->zstd > 0)
        return dt__fail_at(DT_EINVAL, path, NULL, "deflate and zstd cannot both compress a "
                           "variable: name one");
    if (o->chunking != DT_CHUNKS_KEEP && o->chunking != DT_CHUNKS_DEFAULT)
        return dt__fail_at(DT_EINVAL, path, NULL, "unknown chunking mode %d", o->chunking);
    if (o->nchunk_dims && (!o->chunk_dims || !o->chunk_lens))
        return dt__fail_at(DT_EINVAL, path, NULL, "chunk lengths without names");
    for (size_t i = 0; i < o->nchunk_dims; i++) {
        if (!o->chunk_dims[i] || o->chunk_lens[i] == 0)
            return dt__fail_at(DT_EINVAL, path, NULL, "chunk length 0 for dimension \"%s\": "
                               "lengths start at 1",
                               o->chunk_dims[i] ? o->chunk_dims[i] : "(null)");
    }
    if (o->nshard_dims && (!o->shard_dims || !o->shard_counts))
        return dt__fail_at(DT_EINVAL, path, NULL, "shard counts without names");
    for (size_t i = 0; i < o->nshard_dims; i++) {
        if (!o->shard_dims[i] || o->shard_counts[i] == 0)
            return dt__fail_at(DT_EINVAL, path, NULL, "0 chunks per shard along \"%s\": "
                               "counts start at 1",
                               o->shard_dims[i] ? o->shard_dims[i] : "(null)");
    }
    if (o->contiguous_max)
        return dt__fail_at(DT_EINVAL, path, NULL, "contiguous storage does not exist in "
                           "Zarr: every array is chunked (contiguous_max applies to "
                           "netCDF-4)");
    if (o->contiguous_max)
        return dt__fail_at(DT_EINVAL, path, NULL, "contiguous storage does not exist in "
                           "Zarr: every array is chunked (contiguous_max applies to "
                           "netCDF-4)");
    if (o->compressor) {
        cplan c;
        int rc = parse_compressor(o->compressor, &c, path);

        if (rc < 0)
            return rc;
    }
    if (o->separator && o->separator != '.' && o->separator != '/')
        return dt__fail_at(DT_EINVAL, path, NULL, "chunk key separator '%c': '.' or '/'",
                           o->separator);
    return DT_OK;
}

int dt__zarr_write(const dt_tree *tree, const char *path, dt_format fmt,
                   const dt_write_opts *opts)
{
    zw w;
    dt__zdir zd;
    dt_node *top = dt_tree_root(tree);
    char *tp;
    int rc;

    memset(&w, 0, sizeof w);
    memset(&zd, 0, sizeof zd);
    w.o = opts;
    w.path = path;
    w.v3 = fmt == DT_FORMAT_ZARR3;
    w.sep = opts->separator ? opts->separator : w.v3 ? '/' : '.';
    rc = check_opts(opts, path);
    if (rc < 0)
        return rc;
    if (opts->nshard_dims && !w.v3)
        return dt__fail_at(DT_EINVAL, path, NULL, "sharding needs Zarr v3");
    if (opts->group && strcmp(opts->group, "/") != 0) {
        rc = dt_node_lookup(&top, dt_tree_root(tree), opts->group);
        if (rc < 0)
            return dt__err_locate(rc, dt_tree_source(tree), opts->group);
    }
    w.top = top;
    tp = dt__node_path_str(top);
    if (!tp)
        return DT_ENOMEM;
    w.top_len = strcmp(tp, "/") == 0 ? 0 : strlen(tp);
    free(tp);
    rc = dt_node_load_all(top);
    if (rc < 0)
        return rc;
    data_bytes(top, &w.total);
    if (opts->consolidated >= 0) {
        w.cons = json_object_new_object();
        if (!w.cons)
            return oom();
    }
    rc = dt__zdir_begin(&zd, path, opts->force);
    if (rc == DT_OK)
        rc = dt__store_dir_open(&w.store, zd.tmp, NULL, 0);
    if (rc == DT_OK) {
        /* the store names the target in messages, not the temporary */
        free(w.store->name);
        w.store->name = dt__strdup(path);
        if (!w.store->name)
            rc = DT_ENOMEM;
    }
    if (rc == DT_OK)
        rc = dt__pool_new(&w.pool, opts->threads);
    if (rc == DT_OK)
        rc = write_group(&w, top);
    if (rc == DT_OK && !w.v3 && w.cons) {
        json_object *doc = json_object_new_object();

        rc = doc ? jset(doc, "metadata", json_object_get(w.cons)) : oom();
        if (rc == DT_OK)
            rc = jset(doc, "zarr_consolidated_format", json_object_new_int(1));
        if (rc == DT_OK)
            rc = put_doc(&w, ".zmetadata", NULL, json_object_get(doc));
        json_object_put(doc);
    }
    if (rc == DT_OK)
        rc = dt__zdir_commit(&zd);
    dt__pool_free(w.pool);
    dt__store_close(w.store);
    for (size_t i = 0; i < w.ndims; i++) {
        free(w.dims[i].name);
        free(w.dims[i].fqn);
    }
    free(w.dims);
    json_object_put(w.cons);
    dt__zdir_end(&zd);
    if (rc < 0)
        rc = dt__err_locate(rc, path, NULL);
    return rc;
}
