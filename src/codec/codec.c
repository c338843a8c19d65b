/* codec.c: the codec registry, configured codecs and chains, NumPy type
 * strings, byte order and the parameter helpers the codec files share. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "codec.h"

static const dt__codec_class *const registry[] = {
    &dt__codec_bytes, &dt__codec_transpose, &dt__codec_vlen_utf8,
    &dt__codec_zlib, &dt__codec_gzip, &dt__codec_zstd, &dt__codec_blosc,
    &dt__codec_bz2, &dt__codec_lz4, &dt__codec_shuffle, &dt__codec_delta,
    &dt__codec_fixedscaleoffset, &dt__codec_quantize, &dt__codec_crc32c,
    &dt__codec_crc32, &dt__codec_adler32,
};

const dt__codec_class *dt__codec_find(const char *name)
{
    if (!name)
        return NULL;
    /* zarr-python 3 wraps numcodecs codecs as numcodecs.<id>, with the
     * numcodecs parameters as configuration */
    if (strncmp(name, "numcodecs.", 10) == 0)
        name += 10;
    for (size_t i = 0; i < sizeof registry / sizeof *registry; i++) {
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    }
    return NULL;
}

int dt__codec_fail(const dt__codec_ctx *ctx, int code, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (ctx && ctx->what && ctx->what[0])
        return dt__fail_at(code, ctx->file, ctx->path, "%s: %s", ctx->what, msg);
    return dt__fail_at(code, ctx ? ctx->file : NULL, ctx ? ctx->path : NULL, "%s", msg);
}

int dt__spec_nelems(uint64_t *out, const dt__array_spec *spec)
{
    uint64_t n = 1;

    for (size_t i = 0; i < spec->ndim; i++) {
        if (dt__mul_u64(&n, n, spec->shape[i]))
            return dt__fail(DT_ELIMIT, "a chunk's element count overflows 64 bits");
    }
    *out = n;
    return DT_OK;
}

void dt__array_free(dt__bytes *b, const dt__array_spec *spec)
{
    if (!b)
        return;
    if (b->data && spec && DT_TYPE_CLASS(spec->type) == DT_STRING) {
        char **s = (char **)b->data;

        for (size_t i = 0; i < b->len / sizeof *s; i++)
            free(s[i]);
    }
    dt__bytes_free(b);
}

int dt__codec_alloc(dt__bytes *out, uint64_t n, const char *codec, const dt__codec_ctx *ctx)
{
    uint64_t max = ctx ? ctx->max_alloc : UINT64_MAX;

    out->data = NULL;
    out->len = 0;
    if (n > max)
        return dt__codec_fail(ctx, DT_ELIMIT, "%s output of %" PRIu64 " bytes is over the "
                              "limit of %" PRIu64, codec, n, max);
    if (n > SIZE_MAX)
        return dt__codec_fail(ctx, DT_ELIMIT, "%s output of %" PRIu64 " bytes does not "
                              "fit in memory", codec, n);
    out->data = dt__malloc(n ? (size_t)n : 1);
    if (!out->data)
        return DT_ENOMEM;
    out->len = (size_t)n;
    return DT_OK;
}

/* ---- configured codecs ---- */

int dt__codec_new(dt__codec **out, const dt__codec_class *cls,
                  const struct json_object *params, const dt__array_spec *spec,
                  const dt__codec_ctx *ctx)
{
    dt__codec *c;
    int rc;

    *out = NULL;
    c = dt__calloc(1, sizeof *c);
    if (!c)
        return DT_ENOMEM;
    c->cls = cls;
    c->spec = *spec;
    c->enc = *spec;
    c->expect = DT__SIZE_UNKNOWN;
    if (cls->create) {
        rc = cls->create(&c->state, params, spec, ctx);
        if (rc < 0) {
            free(c);
            return rc;
        }
    }
    if (cls->kind == DT__CODEC_ARRAY && cls->encoded_spec)
        cls->encoded_spec(c->state, spec, &c->enc);
    *out = c;
    return DT_OK;
}

void dt__codec_free(dt__codec *c)
{
    if (!c)
        return;
    if (c->cls->destroy)
        c->cls->destroy(c->state);
    free(c);
}

int dt__codec_decode(const dt__codec *c, const dt__bytes *in, uint64_t expect,
                     dt__bytes *out, const dt__codec_ctx *ctx)
{
    out->data = NULL;
    out->len = 0;
    return c->cls->decode(c->state, &c->spec, in, expect, out, ctx);
}

int dt__codec_encode(const dt__codec *c, const dt__bytes *in, dt__bytes *out,
                     const dt__codec_ctx *ctx)
{
    out->data = NULL;
    out->len = 0;
    if (!c->cls->encode)
        return dt__codec_fail(ctx, DT_EUNSUPPORTED, "codec %s cannot encode", c->cls->name);
    return c->cls->encode(c->state, &c->spec, in, out, ctx);
}

/* ---- chains ---- */

void dt__chain_init(dt__codec_chain *ch, const dt__array_spec *spec)
{
    memset(ch, 0, sizeof *ch);
    ch->spec = *spec;
}

void dt__chain_clear(dt__codec_chain *ch)
{
    for (size_t i = 0; i < ch->narray; i++)
        dt__codec_free(ch->array[i]);
    free(ch->array);
    dt__codec_free(ch->serial);
    for (size_t i = 0; i < ch->nbytes; i++)
        dt__codec_free(ch->bytes[i]);
    free(ch->bytes);
    memset(ch, 0, sizeof *ch);
}

void dt__chain_external_serial(dt__codec_chain *ch)
{
    ch->external = 1;
}

const dt__array_spec *dt__chain_serial_spec(const dt__codec_chain *ch)
{
    return ch->narray ? &ch->array[ch->narray - 1]->enc : &ch->spec;
}

static int push(dt__codec ***list, size_t *n, dt__codec *c)
{
    dt__codec **p = dt__realloc(*list, (*n + 1) * sizeof *p);

    if (!p)
        return DT_ENOMEM;
    p[(*n)++] = c;
    *list = p;
    return DT_OK;
}

int dt__chain_add(dt__codec_chain *ch, const dt__codec_class *cls,
                  const struct json_object *params, const dt__codec_ctx *ctx)
{
    dt__array_spec spec = *dt__chain_serial_spec(ch);
    dt__codec *c = NULL;
    uint64_t decoded = DT__SIZE_UNKNOWN;
    int rc;

    switch (cls->kind) {
    case DT__CODEC_ARRAY:
        if (ch->serial || ch->external)
            return dt__codec_fail(ctx, DT_EFORMAT, "array codec %s comes after the "
                                  "array-to-bytes codec %s", cls->name,
                                  ch->serial ? ch->serial->cls->name : "sharding_indexed");
        break;
    case DT__CODEC_SERIAL:
        if (ch->serial || ch->external)
            return dt__codec_fail(ctx, DT_EFORMAT, "two array-to-bytes codecs: %s and %s",
                                  ch->serial ? ch->serial->cls->name : "sharding_indexed",
                                  cls->name);
        break;
    case DT__CODEC_BYTES:
        if (!ch->serial && !ch->external)
            return dt__codec_fail(ctx, DT_EFORMAT, "bytes codec %s comes before the "
                                  "array-to-bytes codec", cls->name);
        /* the decoded size of this codec: what the one before it encodes to */
        if (ch->external && ch->nbytes == 0) {
            decoded = DT__SIZE_UNKNOWN;
        } else if (ch->nbytes == 0) {
            decoded = ch->serial->cls->encoded_size
                          ? ch->serial->cls->encoded_size(ch->serial->state,
                                                          &ch->serial->spec, 0)
                          : DT__SIZE_UNKNOWN;
        } else {
            const dt__codec *prev = ch->bytes[ch->nbytes - 1];

            decoded = prev->expect != DT__SIZE_UNKNOWN && prev->cls->encoded_size
                          ? prev->cls->encoded_size(prev->state, &prev->spec, prev->expect)
                          : DT__SIZE_UNKNOWN;
        }
        break;
    }
    rc = dt__codec_new(&c, cls, params, &spec, ctx);
    if (rc < 0)
        return rc;
    c->expect = decoded;
    if (cls->kind == DT__CODEC_ARRAY)
        rc = push(&ch->array, &ch->narray, c);
    else if (cls->kind == DT__CODEC_BYTES)
        rc = push(&ch->bytes, &ch->nbytes, c);
    else
        ch->serial = c;
    if (rc < 0)
        dt__codec_free(c);
    return rc;
}

int dt__chain_decode_bytes(const dt__codec_chain *ch, dt__bytes *in, dt__bytes *out,
                           const dt__codec_ctx *ctx)
{
    dt__bytes cur = *in;

    in->data = NULL;
    in->len = 0;
    for (size_t i = ch->nbytes; i-- > 0;) {
        dt__bytes next;
        int rc = dt__codec_decode(ch->bytes[i], &cur, ch->bytes[i]->expect, &next, ctx);

        dt__bytes_free(&cur);
        if (rc < 0)
            return rc;
        cur = next;
    }
    *out = cur;
    return DT_OK;
}

int dt__chain_decode_array(const dt__codec_chain *ch, dt__bytes *arr, dt__bytes *out,
                           const dt__codec_ctx *ctx)
{
    dt__bytes cur = *arr;

    arr->data = NULL;
    arr->len = 0;
    for (size_t i = ch->narray; i-- > 0;) {
        dt__bytes next;
        int rc = dt__codec_decode(ch->array[i], &cur, DT__SIZE_UNKNOWN, &next, ctx);

        /* the elements moved (strings too): free only the old array */
        dt__bytes_free(&cur);
        if (rc < 0)
            return rc;
        cur = next;
    }
    *out = cur;
    return DT_OK;
}

int dt__chain_decode(const dt__codec_chain *ch, dt__bytes *in, dt__bytes *out,
                     const dt__codec_ctx *ctx)
{
    dt__bytes raw = {NULL, 0}, arr = {NULL, 0};
    int rc;

    out->data = NULL;
    out->len = 0;
    if (!ch->serial) {
        dt__bytes_free(in);
        return dt__codec_fail(ctx, DT_EFORMAT, "the codec chain has no array-to-bytes "
                              "codec");
    }
    rc = dt__chain_decode_bytes(ch, in, &raw, ctx);
    if (rc < 0)
        return rc;
    if (dt__codec_bytes_native(ch->serial) && ch->serial->cls->encoded_size &&
        ch->serial->cls->encoded_size(ch->serial->state, &ch->serial->spec, 0) == raw.len) {
        /* the bytes are the array already: no copy */
        arr = raw;
        raw.data = NULL;
        raw.len = 0;
    } else {
        rc = dt__codec_decode(ch->serial, &raw, DT__SIZE_UNKNOWN, &arr, ctx);
        dt__bytes_free(&raw);
        if (rc < 0)
            return rc;
    }
    return dt__chain_decode_array(ch, &arr, out, ctx);
}

int dt__chain_decode_into(const dt__codec_chain *ch, const dt__bytes *in, void *dst,
                          size_t n, const dt__codec_ctx *ctx)
{
    const dt__codec *c;

    /* a chunk over max_alloc is refused by the usual path, buffer or not */
    if (n > ctx->max_alloc || ch->narray || !ch->serial || ch->nbytes > 1 ||
        !dt__codec_bytes_native(ch->serial) ||
        !ch->serial->cls->encoded_size ||
        ch->serial->cls->encoded_size(ch->serial->state, &ch->serial->spec, 0) != n)
        return DT__INTO_NO;
    if (ch->nbytes == 0) {
        if (in->len != n)
            return DT__INTO_NO;
        if (n)
            memcpy(dst, in->data, n);
        return DT_OK;
    }
    c = ch->bytes[0];
    if (c->expect != DT__SIZE_UNKNOWN && c->expect != n)
        return DT__INTO_NO;
    if (c->cls == &dt__codec_zstd)
        return dt__zstd_decode_into(in, dst, n, ctx);
    if (c->cls == &dt__codec_blosc)
        return dt__blosc_decode_into(in, dst, n, ctx);
    return DT__INTO_NO;
}

int dt__chain_encode(const dt__codec_chain *ch, const dt__bytes *in, dt__bytes *out,
                     const dt__codec_ctx *ctx)
{
    dt__bytes cur = {NULL, 0}, next;
    const dt__bytes *src = in;
    int rc;

    out->data = NULL;
    out->len = 0;
    if (!ch->serial)
        return dt__codec_fail(ctx, DT_EFORMAT, "the codec chain has no array-to-bytes "
                              "codec");
    /* array codecs move elements, so a string array's pointers are shared
     * between the steps and owned by the caller's input */
    for (size_t i = 0; i < ch->narray; i++) {
        rc = dt__codec_encode(ch->array[i], src, &next, ctx);
        dt__bytes_free(&cur);
        if (rc < 0)
            return rc;
        cur = next;
        src = &cur;
    }
    rc = dt__codec_encode(ch->serial, src, &next, ctx);
    dt__bytes_free(&cur);
    if (rc < 0)
        return rc;
    cur = next;
    for (size_t i = 0; i < ch->nbytes; i++) {
        rc = dt__codec_encode(ch->bytes[i], &cur, &next, ctx);
        dt__bytes_free(&cur);
        if (rc < 0)
            return rc;
        cur = next;
    }
    *out = cur;
    return DT_OK;
}

/* ---- NumPy type strings ---- */

int dt__npy_parse(dt__npy *out, const char *s)
{
    const char *p;
    char *end;
    unsigned long long n = 0;
    char order;

    memset(out, 0, sizeof *out);
    if (!s || strlen(s) < 2)
        return dt__fail(DT_EFORMAT, "\"%s\" is not a NumPy type string", s ? s : "");
    order = s[0];
    if (order != '<' && order != '>' && order != '|' && order != '=')
        return dt__fail(DT_EFORMAT, "type \"%s\" has no byte order ('<', '>' or '|')", s);
    out->kind = s[1];
    p = s + 2;
    if (*p) {
        if (*p < '0' || *p > '9')
            return dt__fail(DT_EFORMAT, "type \"%s\" has no size", s);
        n = strtoull(p, &end, 10);
        if (n > (1u << 30))
            return dt__fail(DT_ELIMIT, "type \"%s\" is %llu bytes wide", s, n);
        p = end;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    out->big_endian = order == '>' || order == '=';
#else
    out->big_endian = order == '>';
#endif
    out->size = (size_t)n;
    switch (out->kind) {
    case 'b':
        if (n != 1 || *p)
            break;
        out->type = DT_BOOL;
        return DT_OK;
    case 'i':
    case 'u':
        if (*p)
            break;
        if (n == 1)
            out->type = out->kind == 'i' ? DT_INT8 : DT_UINT8;
        else if (n == 2)
            out->type = out->kind == 'i' ? DT_INT16 : DT_UINT16;
        else if (n == 4)
            out->type = out->kind == 'i' ? DT_INT32 : DT_UINT32;
        else if (n == 8)
            out->type = out->kind == 'i' ? DT_INT64 : DT_UINT64;
        else
            break;
        return DT_OK;
    case 'f':
        if (*p)
            break;
        if (n == 2)
            out->type = DT_FLOAT16;
        else if (n == 4)
            out->type = DT_FLOAT32;
        else if (n == 8)
            out->type = DT_FLOAT64;
        else
            break;
        return DT_OK;
    case 'c':
        if (*p)
            break;
        if (n == 8)
            out->type = DT_COMPLEX64;
        else if (n == 16)
            out->type = DT_COMPLEX128;
        else
            break;
        return DT_OK;
    case 'M':
    case 'm':
        /* datetime64 / timedelta64: int64 counts; the unit in brackets is
         * left to the attributes (FORMAT.md) */
        if (n != 8 || (*p && (*p != '[' || p[strlen(p) - 1] != ']')))
            break;
        out->type = DT_INT64;
        return DT_OK;
    case 'S':
        if (*p || n == 0)
            break;
        if (n > DT__FIXED_STRING_MAX)
            return dt__fail(DT_ELIMIT, "type \"%s\": strings of %llu bytes are longer than "
                            "the %u libdtree holds", s, n, DT__FIXED_STRING_MAX);
        out->type = DT_BYTES_N(n);
        return DT_OK;
    case 'U':
        if (*p || n == 0)
            break;
        if (n > DT__FIXED_STRING_MAX)
            return dt__fail(DT_ELIMIT, "type \"%s\": strings of %llu characters are longer "
                            "than the %u libdtree holds", s, n, DT__FIXED_STRING_MAX);
        out->type = DT_UNICODE_N(n);
        out->size = (size_t)n * 4;
        return DT_OK;
    case 'O':
        if (*p)
            break;
        out->type = DT_NONE;
        out->size = 0;
        return DT_OK;
    case 'V':
        if (*p || n == 0)
            break;
        out->type = DT_OPAQUE;
        return DT_OK;
    default:
        break;
    }
    return dt__fail(DT_EFORMAT, "\"%s\" is not a NumPy type libdtree reads", s);
}

/* ---- byte order ---- */

void dt__swap_units(void *buf, size_t n, size_t unit)
{
    unsigned char *p = buf;

    if (unit < 2)
        return;
    for (size_t i = 0; i + unit <= n; i += unit) {
        for (size_t a = 0, b = unit - 1; a < b; a++, b--) {
            unsigned char t = p[i + a];

            p[i + a] = p[i + b];
            p[i + b] = t;
        }
    }
}

size_t dt__swap_unit(dt_type type)
{
    switch (DT_TYPE_CLASS(type)) {
    case DT_INT16: case DT_UINT16: case DT_FLOAT16: return 2;
    case DT_INT32: case DT_UINT32: case DT_FLOAT32: return 4;
    case DT_INT64: case DT_UINT64: case DT_FLOAT64: return 8;
    case DT_COMPLEX64: return 4;
    case DT_COMPLEX128: return 8;
    case DT_UNICODE: return 4;
    case DT_ENUM: return dt__swap_unit(DT_TYPE_PARAM(type));
    default: return 1;
    }
}

/* ---- parameters ---- */

static int param_get(const struct json_object *params, const char *name,
                     struct json_object **out)
{
    *out = NULL;
    if (!params || !json_object_is_type(params, json_type_object))
        return 0;
    return json_object_object_get_ex(params, name, out) && *out &&
           !json_object_is_type(*out, json_type_null);
}

int dt__param_int(const struct json_object *params, const char *codec, const char *name,
                  int64_t lo, int64_t hi, int64_t *out, const dt__codec_ctx *ctx)
{
    struct json_object *v;
    int64_t x;

    if (!param_get(params, name, &v))
        return DT_OK;
    if (json_object_is_type(v, json_type_boolean)) {
        x = json_object_get_boolean(v);
    } else if (json_object_is_type(v, json_type_int)) {
        x = json_object_get_int64(v);
        if (x == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
            return dt__codec_fail(ctx, DT_EFORMAT, "codec %s: \"%s\" is %" PRIu64
                                  ", outside %" PRId64 "..%" PRId64, codec, name,
                                  json_object_get_uint64(v), lo, hi);
    } else {
        return dt__codec_fail(ctx, DT_EFORMAT, "codec %s: \"%s\" is %s, not an integer",
                              codec, name, json_type_to_name(json_object_get_type(v)));
    }
    if (x < lo || x > hi)
        return dt__codec_fail(ctx, DT_EFORMAT, "codec %s: \"%s\" is %" PRId64 ", outside "
                              "%" PRId64 "..%" PRId64, codec, name, x, lo, hi);
    *out = x;
    return DT_OK;
}

int dt__param_double(const struct json_object *params, const char *codec,
                     const char *name, double *out, const dt__codec_ctx *ctx)
{
    struct json_object *v;

    if (!param_get(params, name, &v))
        return DT_OK;
    if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
        return dt__codec_fail(ctx, DT_EFORMAT, "codec %s: \"%s\" is %s, not a number",
                              codec, name, json_type_to_name(json_object_get_type(v)));
    *out = json_object_get_double(v);
    return DT_OK;
}

int dt__param_string(const struct json_object *params, const char *codec,
                     const char *name, const char **out, const dt__codec_ctx *ctx)
{
    struct json_object *v;

    if (!param_get(params, name, &v))
        return DT_OK;
    if (!json_object_is_type(v, json_type_string))
        return dt__codec_fail(ctx, DT_EFORMAT, "codec %s: \"%s\" is %s, not a string",
                              codec, name, json_type_to_name(json_object_get_type(v)));
    *out = json_object_get_string((struct json_object *)v);
    return DT_OK;
}
