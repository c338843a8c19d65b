/* manifest.c: print a tree as a dtree-manifest/1 document (fixtures/FORMAT.md),
 * with the SHA-256 of each variable's canonical bytes, streamed by hyperslab.
 * With `values` set it is also libdtree's YAML tree format. */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <nettle/sha2.h>

#include "io.h"
#include "model/model.h"
#include "util.h"

/* Data is read in blocks of about this many bytes, whatever the variable. */
#define BLOCK_BYTES ((size_t)4 << 20)
#define HEAD_MAX 8
/* YAML readers refuse implicit keys over 1024 characters. */
#define LONG_KEY 1000

typedef struct out {
    FILE *fp;
    int values;
} out;

/* ---- scalars ---- */

/* Is code point cp printable as it is in a YAML double-quoted scalar? */
static bool yaml_printable(uint32_t cp)
{
    return cp == 0x09 || (cp >= 0x20 && cp <= 0x7e) || cp == 0x85 ||
           (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd && cp != 0xfeff) ||
           (cp >= 0x10000 && cp <= 0x10ffff);
}

static void put_escaped_cp(dt__buf *b, uint32_t cp)
{
    if (cp == '"')
        dt__buf_puts(b, "\\\"");
    else if (cp == '\\')
        dt__buf_puts(b, "\\\\");
    else if (cp == '\n')
        dt__buf_puts(b, "\\n");
    else if (cp == '\t')
        dt__buf_puts(b, "\\t");
    else if (cp < 0x100)
        dt__buf_printf(b, "\\x%02X", (unsigned)cp);
    else if (cp < 0x10000)
        dt__buf_printf(b, "\\u%04X", (unsigned)cp);
    else
        dt__buf_printf(b, "\\U%08X", (unsigned)cp);
}

/* Decode one UTF-8 sequence; returns its length, 0 if invalid. */
static size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
    size_t len;
    uint32_t c = p[0];

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (!len || len > n || !dt__utf8_valid((const char *)p, len))
        return 0;
    c &= 0x7fu >> len;
    for (size_t i = 1; i < len; i++)
        c = (c << 6) | (p[i] & 0x3f);
    *cp = c;
    return len;
}

/* A double-quoted YAML scalar. Text mode keeps valid UTF-8 as it is; bytes
 * mode writes every byte outside 0x20..0x7E as \xNN (FORMAT.md). */
static void quote(dt__buf *b, const char *s, size_t n, bool bytes)
{
    const unsigned char *p = (const unsigned char *)s;

    dt__buf_putc(b, '"');
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len;

        if (bytes) {
            if (p[i] >= 0x20 && p[i] <= 0x7e && p[i] != '"' && p[i] != '\\')
                dt__buf_putc(b, (char)p[i]);
            else if (p[i] == '"' || p[i] == '\\')
                put_escaped_cp(b, p[i]);
            else
                dt__buf_printf(b, "\\x%02X", p[i]);
            i++;
            continue;
        }
        len = utf8_decode(p + i, n - i, &cp);
        if (!len) {
            dt__buf_printf(b, "\\x%02X", p[i]);
            i++;
            continue;
        }
        if (yaml_printable(cp) && cp != '"' && cp != '\\' && cp != '\t')
            dt__buf_append(b, p + i, len);
        else
            put_escaped_cp(b, cp);
        i += len;
    }
    dt__buf_putc(b, '"');
}

static void quote_str(dt__buf *b, const char *s)
{
    quote(b, s, strlen(s), false);
}

/* The shortest text that reads back as the same float of its width
 * (2, 4 or 8 bytes), spelled as Python's repr and as YAML 1.1 resolves a
 * float: "1.0", "0.0001", "2.5e-07", "1.0e+16"; non-finite as YAML does. */
static void put_float(dt__buf *b, double v, int width)
{
    char text[DT__FLOAT_TEXT_MAX];
    size_t n;

    if (isnan(v)) {
        dt__buf_puts(b, ".nan");
        return;
    }
    if (isinf(v)) {
        dt__buf_puts(b, v > 0 ? ".inf" : "-.inf");
        return;
    }
    n = dt__float_repr(text, v, width);
    dt__buf_append(b, text, n);
}

static void put_int(dt__buf *b, int64_t x)
{
    char text[24];

    dt__buf_append(b, text, dt__i64_text(text, x));
}

static void put_uint(dt__buf *b, uint64_t x)
{
    char text[24];

    dt__buf_append(b, text, dt__u64_text(text, x));
}

/* One element of type t at p, as a YAML flow scalar (or [re, im]). */
static void put_elem(dt__buf *b, dt_type t, const void *p)
{
    uint32_t c = DT_TYPE_CLASS(t);

    if (c == DT_ENUM)
        c = DT_TYPE_PARAM(t);
    switch (c) {
    case DT_BOOL: dt__buf_puts(b, *(const uint8_t *)p ? "true" : "false"); break;
    case DT_INT8: put_int(b, *(const int8_t *)p); break;
    case DT_UINT8: put_uint(b, *(const uint8_t *)p); break;
    case DT_INT16: { int16_t x; memcpy(&x, p, 2); put_int(b, x); break; }
    case DT_UINT16: { uint16_t x; memcpy(&x, p, 2); put_uint(b, x); break; }
    case DT_INT32: { int32_t x; memcpy(&x, p, 4); put_int(b, x); break; }
    case DT_UINT32: { uint32_t x; memcpy(&x, p, 4); put_uint(b, x); break; }
    case DT_INT64: { int64_t x; memcpy(&x, p, 8); put_int(b, x); break; }
    case DT_UINT64: { uint64_t x; memcpy(&x, p, 8); put_uint(b, x); break; }
    case DT_FLOAT16: { uint16_t x; memcpy(&x, p, 2); put_float(b, dt__half_to_float(x), 2); break; }
    case DT_FLOAT32: { float x; memcpy(&x, p, 4); put_float(b, x, 4); break; }
    case DT_FLOAT64: { double x; memcpy(&x, p, 8); put_float(b, x, 8); break; }
    case DT_COMPLEX64: {
        float x[2];
        memcpy(x, p, 8);
        dt__buf_putc(b, '[');
        put_float(b, x[0], 4);
        dt__buf_puts(b, ", ");
        put_float(b, x[1], 4);
        dt__buf_putc(b, ']');
        break;
    }
    case DT_COMPLEX128: {
        double x[2];
        memcpy(x, p, 16);
        dt__buf_putc(b, '[');
        put_float(b, x[0], 8);
        dt__buf_puts(b, ", ");
        put_float(b, x[1], 8);
        dt__buf_putc(b, ']');
        break;
    }
    case DT_STRING: {
        const char *s = *(char *const *)p;
        quote_str(b, s ? s : "");
        break;
    }
    case DT_CHAR: quote(b, p, 1, true); break;
    case DT_BYTES: quote(b, p, DT_TYPE_PARAM(t), true); break;
    case DT_UNICODE: {
        /* numpy's str of a U value: the code points, trailing NULs dropped */
        dt__buf u;
        size_t n = DT_TYPE_PARAM(t);
        const unsigned char *q = p;

        while (n > 0 && !q[4 * (n - 1)] && !q[4 * (n - 1) + 1] && !q[4 * (n - 1) + 2] &&
               !q[4 * (n - 1) + 3])
            n--;
        dt__buf_init(&u);
        for (size_t i = 0; i < n; i++) {
            uint32_t cp;
            char enc[4];
            size_t len;

            memcpy(&cp, q + 4 * i, 4);
            if (cp < 0x80) {
                enc[0] = (char)cp;
                len = 1;
            } else if (cp < 0x800) {
                enc[0] = (char)(0xc0 | (cp >> 6));
                enc[1] = (char)(0x80 | (cp & 0x3f));
                len = 2;
            } else if (cp < 0x10000) {
                enc[0] = (char)(0xe0 | (cp >> 12));
                enc[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                enc[2] = (char)(0x80 | (cp & 0x3f));
                len = 3;
            } else {
                enc[0] = (char)(0xf0 | (cp >> 18));
                enc[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
                enc[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
                enc[3] = (char)(0x80 | (cp & 0x3f));
                len = 4;
            }
            dt__buf_append(&u, enc, len);
        }
        quote(b, u.data ? u.data : "", u.len, false);
        dt__buf_free(&u);
        break;
    }
    default: dt__buf_puts(b, "null"); break;
    }
}

/* ---- canonical bytes ---- */

static void digest_elems(struct sha256_ctx *h, dt_type t, const void *buf, size_t n)
{
    uint32_t c = DT_TYPE_CLASS(t);
    size_t es = dt_type_size(t);

    if (c == DT_STRING) {
        char *const *s = buf;
        for (size_t i = 0; i < n; i++) {
            const char *x = s[i] ? s[i] : "";
            sha256_update(h, strlen(x) + 1, (const uint8_t *)x);
        }
        return;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    if (c != DT_CHAR && c != DT_BYTES && es > 1) {
        /* canonical bytes are little-endian: swap each scalar */
        size_t w = c == DT_COMPLEX64 ? 4 : c == DT_COMPLEX128 ? 8 : c == DT_UNICODE ? 4 : es;
        const uint8_t *p = buf;
        for (size_t i = 0; i < n * es; i += w) {
            uint8_t tmp[8];
            for (size_t k = 0; k < w; k++)
                tmp[k] = p[i + w - 1 - k];
            sha256_update(h, w, tmp);
        }
        return;
    }
#endif
    sha256_update(h, n * es, buf);
}

/* ---- output helpers ---- */

static void pad(dt__buf *b, int indent)
{
    for (int i = 0; i < indent; i++)
        dt__buf_puts(b, "  ");
}

/* "key:" at indent, or the explicit "? key" form for a very long key. */
static void put_key(dt__buf *b, int indent, const char *key)
{
    dt__buf q;

    dt__buf_init(&q);
    quote_str(&q, key);
    pad(b, indent);
    if (q.len > LONG_KEY) {
        dt__buf_puts(b, "? ");
        dt__buf_append(b, q.data, q.len);
        dt__buf_putc(b, '\n');
        pad(b, indent);
        dt__buf_putc(b, ':');
    } else {
        dt__buf_append(b, q.data ? q.data : "\"\"", q.len);
        dt__buf_putc(b, ':');
    }
    dt__buf_free(&q);
}

static int flush(out *o, dt__buf *b)
{
    if (b->failed)
        return DT_ENOMEM;
    if (b->len && fwrite(b->data, 1, b->len, o->fp) != b->len)
        return dt__fail(DT_EIO, "writing the manifest failed");
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
    return DT_OK;
}

/* A JSON value as YAML flow text. */
static void put_json(dt__buf *b, struct json_object *j, int depth)
{
    if (depth > 64) {
        dt__buf_puts(b, "null");
        return;
    }
    switch (json_object_get_type(j)) {
    case json_type_null: dt__buf_puts(b, "null"); break;
    case json_type_boolean: dt__buf_puts(b, json_object_get_boolean(j) ? "true" : "false"); break;
    case json_type_int:
        if (json_object_get_int64(j) == INT64_MAX && json_object_get_uint64(j) > INT64_MAX)
            dt__buf_printf(b, "%" PRIu64, json_object_get_uint64(j));
        else
            dt__buf_printf(b, "%" PRId64, json_object_get_int64(j));
        break;
    case json_type_double: put_float(b, json_object_get_double(j), 8); break;
    case json_type_string:
        quote(b, json_object_get_string(j), (size_t)json_object_get_string_len(j), false);
        break;
    case json_type_array: {
        size_t n = json_object_array_length(j);
        dt__buf_putc(b, '[');
        for (size_t i = 0; i < n; i++) {
            if (i)
                dt__buf_puts(b, ", ");
            put_json(b, json_object_array_get_idx(j, i), depth + 1);
        }
        dt__buf_putc(b, ']');
        break;
    }
    case json_type_object: {
        bool first = true;
        dt__buf_putc(b, '{');
        json_object_object_foreach(j, k, v) {
            if (!first)
                dt__buf_puts(b, ", ");
            first = false;
            quote_str(b, k);
            dt__buf_puts(b, ": ");
            put_json(b, v, depth + 1);
        }
        dt__buf_putc(b, '}');
        break;
    }
    }
}

static void put_attr_value(dt__buf *b, const dt_attr *a)
{
    dt_type t = dt_attr_type(a);
    uint32_t c = DT_TYPE_CLASS(t);
    size_t n = dt_attr_len(a), es = dt_type_size(t);
    const unsigned char *v = dt_attr_data(a);

    if (c == DT_JSON) {
        struct json_tokener *tok = json_tokener_new_ex(64);
        const char *text = (const char *)v;
        /* the length takes the NUL: it is what ends a bare number or true */
        struct json_object *j = tok ? json_tokener_parse_ex(tok, text, (int)strlen(text) + 1)
                                    : NULL;

        if (j || (tok && json_tokener_get_error(tok) == json_tokener_success)) {
            put_json(b, j, 0); /* json-c parses null as a NULL object */
            if (j)
                json_object_put(j);
        } else if (strcmp(text, "NaN") == 0) {
            dt__buf_puts(b, ".nan");
        } else if (strcmp(text, "Infinity") == 0) {
            dt__buf_puts(b, ".inf");
        } else if (strcmp(text, "-Infinity") == 0) {
            dt__buf_puts(b, "-.inf");
        } else {
            quote_str(b, text);
        }
        if (tok)
            json_tokener_free(tok);
        return;
    }
    if (c == DT_COMPOUND || c == DT_OPAQUE || c == DT_VLEN) {
        dt__buf_puts(b, "null");
        return;
    }
    if (c == DT_CHAR) {
        /* one string, trailing NULs dropped */
        while (n > 0 && v[n - 1] == 0)
            n--;
        quote(b, (const char *)v, n, true);
        return;
    }
    if (n == 0) {
        dt__buf_puts(b, "[]");
        return;
    }
    if (n == 1) {
        put_elem(b, t, v);
        return;
    }
    dt__buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            dt__buf_puts(b, ", ");
        put_elem(b, t, v + i * es);
    }
    dt__buf_putc(b, ']');
}

static void put_u64_list(dt__buf *b, const uint64_t *v, size_t n);

static void put_attrs(dt__buf *b, const dt_attrs *attrs, int indent, int values)
{
    size_t n = dt_attrs_count(attrs);
    char tn[40];

    pad(b, indent);
    if (n == 0) {
        dt__buf_puts(b, "attrs: {}\n");
        return;
    }
    dt__buf_puts(b, "attrs:\n");
    for (size_t i = 0; i < n; i++) {
        const dt_attr *a = dt_attrs_at(attrs, i);
        size_t ndim = 0;
        const uint64_t *shape = dt_attr_shape(a, &ndim);

        put_key(b, indent + 1, dt_attr_name(a));
        if (dt_type_name(tn, sizeof tn, dt_attr_type(a)) < 0)
            snprintf(tn, sizeof tn, "unknown");
        dt__buf_printf(b, " {type: \"%s\", value: ", tn);
        put_attr_value(b, a);
        if (shape) {
            dt__buf_puts(b, ", shape: ");
            put_u64_list(b, shape, ndim);
        } else if (values && dt_attr_is_scalar(a) &&
                   DT_TYPE_CLASS(dt_attr_type(a)) != DT_JSON) {
            /* the tree format keeps the scalar / length-1 distinction */
            dt__buf_puts(b, ", shape: []");
        }
        dt__buf_puts(b, "}\n");
    }
}

static void put_u64_list(dt__buf *b, const uint64_t *v, size_t n)
{
    dt__buf_putc(b, '[');
    for (size_t i = 0; i < n; i++)
        dt__buf_printf(b, "%s%" PRIu64, i ? ", " : "", v[i]);
    dt__buf_putc(b, ']');
}

/* Read a selection (sstart, scount, sstride per dimension) block by block
 * in C order: digest every element, keep the head, and print all values
 * when asked. The innermost dims that fit a block are read whole; the next
 * one out is read `step` at a time, and the outer ones one index at a
 * time. */
static int stream_sel(const dt_var *v, const uint64_t *sstart, const uint64_t *scount,
                      const uint64_t *sstride, uint8_t digest[32], dt__buf *head,
                      dt__buf *values)
{
    size_t ndim = dt_var_ndim(v), es = dt_type_size(dt_var_type(v)), nhead = 0, k, j;
    dt_type t = dt_var_type(v);
    uint64_t pos[DT_LIMITS_MAX_RANK] = {0}, start[DT_LIMITS_MAX_RANK];
    uint64_t count[DT_LIMITS_MAX_RANK];
    uint64_t inner = 1, total = 1, done = 0, step = 1, bytes;
    struct sha256_ctx h;
    void *buf = NULL;
    int rc = DT_OK;

    sha256_init(&h);
    if (DT_TYPE_CLASS(t) == DT_COMPOUND || DT_TYPE_CLASS(t) == DT_OPAQUE ||
        DT_TYPE_CLASS(t) == DT_VLEN)
        return dt_var_read(v, NULL, t, NULL, 0); /* fails, naming the type */
    for (size_t i = 0; i < ndim; i++) {
        if (dt__mul_u64(&total, total, scount[i]))
            return dt__fail(DT_ELIMIT, "the element count overflows 64 bits");
    }
    if (total == 0 || es == 0)
        goto out;
    k = ndim;
    while (k > 0 && inner * scount[k - 1] <= BLOCK_BYTES / es) {
        inner *= scount[k - 1];
        k--;
    }
    j = k ? k - 1 : 0;
    if (k) {
        step = BLOCK_BYTES / es / inner;
        if (step == 0)
            step = 1;
    }
    bytes = (k ? step : 1) * inner * es;
    buf = dt__malloc((size_t)bytes);
    if (!buf)
        return DT_ENOMEM;
    while (done < total) {
        dt_slab slab = {ndim, start, count, sstride};
        uint64_t n = 1;

        for (size_t i = 0; i < ndim; i++) {
            if (k && i < j)
                count[i] = 1;
            else if (k && i == j)
                count[i] = scount[i] - pos[i] < step ? scount[i] - pos[i] : step;
            else
                count[i] = scount[i];
            start[i] = sstart[i] + pos[i] * sstride[i];
            n *= count[i];
        }
        rc = dt_var_read(v, &slab, t, buf, (size_t)n * es);
        if (rc < 0)
            break;
        digest_elems(&h, t, buf, (size_t)n);
        for (size_t i = 0; head && i < n && nhead < HEAD_MAX; i++, nhead++) {
            if (nhead)
                dt__buf_puts(head, ", ");
            put_elem(head, t, (const char *)buf + i * es);
        }
        if (values) {
            for (size_t i = 0; i < n; i++) {
                if (done + i)
                    dt__buf_puts(values, ", ");
                put_elem(values, t, (const char *)buf + i * es);
            }
        }
        dt__elems_release(buf, t, (size_t)n);
        done += n;
        if (!k)
            break;
        /* advance the odometer over dims 0..j */
        pos[j] += count[j];
        for (size_t i = j; i > 0 && pos[i] >= scount[i]; i--) {
            pos[i] = 0;
            pos[i - 1]++;
        }
    }
    free(buf);
    if (rc < 0)
        return rc;
out:
    sha256_digest(&h, SHA256_DIGEST_SIZE, digest);
    return DT_OK;
}

static int stream_var(const dt_var *v, uint8_t digest[32], dt__buf *head, dt__buf *values)
{
    uint64_t zeros[DT_LIMITS_MAX_RANK] = {0}, ones[DT_LIMITS_MAX_RANK];

    for (size_t i = 0; i < DT_LIMITS_MAX_RANK; i++)
        ones[i] = 1;
    return stream_sel(v, zeros, dt_var_shape(v), ones, digest, head, values);
}

int dt_var_digest(unsigned char digest[32], const dt_var *var, const dt_slab *slab)
{
    uint64_t start[DT_LIMITS_MAX_RANK], count[DT_LIMITS_MAX_RANK];
    uint64_t stride[DT_LIMITS_MAX_RANK], n;
    size_t ndim;
    int rc;

    if (!digest || !var)
        return dt__fail(DT_EINVAL, "dt_var_digest: NULL argument");
    /* the checks and messages of a read: rank, stride 0, out of range */
    rc = dt_slab_nelems(&n, var, slab);
    if (rc < 0)
        return rc;
    ndim = dt_var_ndim(var);
    for (size_t i = 0; i < ndim; i++) {
        const uint64_t size = dt_var_shape(var)[i];

        start[i] = slab && slab->start ? slab->start[i] : 0;
        stride[i] = slab && slab->stride ? slab->stride[i] : 1;
        count[i] = slab && slab->count ? slab->count[i] :
                   start[i] >= size ? 0 : (size - start[i] + stride[i] - 1) / stride[i];
    }
    return stream_sel(var, start, count, stride, digest, NULL, NULL);
}

static int put_var(out *o, dt__buf *b, const dt_var *v, int indent)
{
    dt_type t = dt_var_type(v);
    size_t ndim = dt_var_ndim(v);
    const uint64_t *chunks = dt_var_chunks(v);
    const void *fill = dt_var_fill(v);
    char tn[40];
    uint8_t digest[32];
    dt__buf head, values;
    int rc;

    put_key(b, indent, dt_var_name(v));
    dt__buf_putc(b, '\n');
    if (dt_type_name(tn, sizeof tn, t) < 0)
        snprintf(tn, sizeof tn, "unknown");
    pad(b, indent + 1);
    dt__buf_printf(b, "dtype: \"%s\"\n", tn);
    pad(b, indent + 1);
    dt__buf_puts(b, "shape: ");
    put_u64_list(b, dt_var_shape(v), ndim);
    dt__buf_putc(b, '\n');
    pad(b, indent + 1);
    dt__buf_puts(b, "dims: [");
    for (size_t i = 0; i < ndim; i++) {
        if (i)
            dt__buf_puts(b, ", ");
        quote_str(b, dt_var_dim(v, i));
    }
    dt__buf_puts(b, "]\n");
    pad(b, indent + 1);
    dt__buf_puts(b, "chunks: ");
    if (chunks)
        put_u64_list(b, chunks, ndim);
    else
        dt__buf_puts(b, "null");
    dt__buf_putc(b, '\n');
    if (dt__var_inner_chunks(v)) {
        pad(b, indent + 1);
        dt__buf_puts(b, "inner_chunks: ");
        put_u64_list(b, dt__var_inner_chunks(v), ndim);
        dt__buf_putc(b, '\n');
    }
    pad(b, indent + 1);
    dt__buf_puts(b, "codecs: [");
    for (size_t i = 0; i < dt_var_codec_count(v); i++) {
        if (i)
            dt__buf_puts(b, ", ");
        quote_str(b, dt_var_codec(v, i));
    }
    dt__buf_puts(b, "]\n");
    pad(b, indent + 1);
    dt__buf_puts(b, "fill_value: ");
    if (fill)
        put_elem(b, t, fill);
    else
        dt__buf_puts(b, "null");
    dt__buf_putc(b, '\n');
    if (dt_var_big_endian(v)) {
        pad(b, indent + 1);
        dt__buf_puts(b, "byteorder: \"big\"\n");
    }
    if (DT_TYPE_CLASS(t) == DT_ENUM) {
        pad(b, indent + 1);
        dt__buf_puts(b, "enum: {");
        for (size_t i = 0; i < dt_var_enum_count(v); i++) {
            const char *name;
            int64_t val;

            dt_var_enum_member(v, i, &name, &val);
            dt__buf_printf(b, "%s", i ? ", " : "");
            quote_str(b, name);
            dt__buf_printf(b, ": %" PRId64, val);
        }
        dt__buf_puts(b, "}\n");
    }
    if (o->values && dt_var_is_coord(v) && !dt_var_is_index(v)) {
        pad(b, indent + 1);
        dt__buf_puts(b, "coord: true\n");
    }
    put_attrs(b, dt_var_attrs(v), indent + 1, o->values);
    rc = flush(o, b);
    if (rc < 0)
        return rc;
    dt__buf_init(&head);
    dt__buf_init(&values);
    rc = stream_var(v, digest, &head, o->values ? &values : NULL);
    if (rc == DT_ETYPE) {
        /* a variable of a type libdtree cannot read (compound, vlen, ...)
         * is listed with its error; any other failure (damaged data, a
         * codec nobody knows, a limit) means the file cannot be described
         * and fails the manifest with that error */
        pad(b, indent + 1);
        dt__buf_puts(b, "expect: \"error\"\n");
        pad(b, indent + 1);
        dt__buf_puts(b, "error: [");
        quote_str(b, dt_error_last()->message);
        dt__buf_puts(b, "]\n");
        dt_error_clear();
        rc = DT_OK;
    } else if (rc == DT_OK) {
        pad(b, indent + 1);
        dt__buf_puts(b, "sha256: \"");
        for (int i = 0; i < 32; i++)
            dt__buf_printf(b, "%02x", digest[i]);
        dt__buf_puts(b, "\"\n");
        pad(b, indent + 1);
        dt__buf_printf(b, "head: [%s]\n", head.data ? head.data : "");
        if (o->values) {
            pad(b, indent + 1);
            dt__buf_printf(b, "values: [%s]\n", values.data ? values.data : "");
        }
    }
    dt__buf_free(&head);
    dt__buf_free(&values);
    if (rc < 0)
        return rc;
    return flush(o, b);
}

static int put_group(out *o, dt__buf *b, const dt_node *n, int indent)
{
    char *path = NULL;
    size_t nd, nv;
    int rc;

    /* a lazy group that cannot be loaded would otherwise list as empty */
    rc = dt_node_load(n);
    if (rc < 0)
        return rc;
    nd = dt_node_dim_count(n);
    nv = dt_node_var_count(n);
    rc = dt_node_path(&path, n);
    if (rc < 0)
        return rc;
    put_key(b, indent, path);
    free(path);
    dt__buf_putc(b, '\n');
    pad(b, indent + 1);
    if (nd == 0) {
        dt__buf_puts(b, "dims: {}\n");
    } else {
        dt__buf_puts(b, "dims:\n");
        for (size_t i = 0; i < nd; i++) {
            dt_dim_info d;

            dt_node_dim(&d, n, i);
            put_key(b, indent + 2, d.name);
            if (d.unlimited)
                dt__buf_printf(b, " {size: %" PRIu64 ", unlimited: true}\n", d.size);
            else
                dt__buf_printf(b, " %" PRIu64 "\n", d.size);
        }
    }
    put_attrs(b, dt_node_attrs(n), indent + 1, o->values);
    pad(b, indent + 1);
    dt__buf_puts(b, nv ? "vars:\n" : "vars: {}\n");
    rc = flush(o, b);
    for (size_t i = 0; i < nv && rc == DT_OK; i++)
        rc = put_var(o, b, dt_node_var(n, i), indent + 2);
    for (size_t i = 0; i < dt_node_child_count(n) && rc == DT_OK; i++)
        rc = put_group(o, b, dt_node_child(n, i), indent);
    return rc;
}

int dt_tree_manifest(const dt_tree *tree, FILE *fp, const dt_manifest_opts *opts)
{
    dt_manifest_opts def = DT_MANIFEST_OPTS_INIT;
    const char *file, *src;
    size_t file_len;
    out o;
    dt__buf b;
    int rc;

    if (!tree || !fp)
        return dt__fail(DT_EINVAL, "dt_tree_manifest: NULL argument");
    if (!opts)
        opts = &def;
    /* every group first: a group that cannot be read fails the manifest
     * before a line is written, and unlimited sizes are final */
    rc = dt_node_load_all(dt_tree_root(tree));
    if (rc < 0)
        return rc;
    o.fp = fp;
    o.values = opts->values;
    src = dt_tree_source(tree);
    file = opts->file_name;
    file_len = file ? strlen(file) : 0;
    if (!file && src) {
        /* the base name of the source; a store's path may end in '/' */
        const char *end = src + strlen(src);

        while (end > src + 1 && end[-1] == '/')
            end--;
        file = end;
        while (file > src && file[-1] != '/')
            file--;
        file_len = (size_t)(end - file);
    }
    dt__buf_init(&b);
    dt__buf_puts(&b, "format: \"dtree-manifest/1\"\n");
    dt__buf_puts(&b, "writer: ");
    if (opts->writer)
        quote_str(&b, opts->writer);
    else
        dt__buf_printf(&b, "\"libdtree %s\"", dt_version());
    dt__buf_puts(&b, "\nfiles:\n  - file: ");
    if (file)
        quote(&b, file, file_len, false);
    else
        quote_str(&b, "tree");
    dt__buf_printf(&b, "\n    kind: \"%s\"\n    expect: \"ok\"\n    groups:\n",
                   dt_format_name(dt_tree_format(tree)));
    rc = flush(&o, &b);
    if (rc == DT_OK)
        rc = put_group(&o, &b, dt_tree_root(tree), 3);
    if (rc == DT_OK && fflush(fp) != 0)
        rc = dt__fail(DT_EIO, "writing the manifest failed");
    dt__buf_free(&b);
    return rc;
}

/* A real number into buf as dt_value_format does, with no allocation:
 * false for the other types. */
static bool format_number(char *buf, size_t bufsize, dt_type t, const void *p, size_t *len)
{
    char text[DT__FLOAT_TEXT_MAX];
    uint32_t c = DT_TYPE_CLASS(t);
    size_t n;

    if (c == DT_ENUM)
        c = DT_TYPE_PARAM(t);
    switch (c) {
    case DT_BOOL:
        n = *(const uint8_t *)p ? 4 : 5;
        memcpy(text, *(const uint8_t *)p ? "true" : "false", n + 1);
        break;
    case DT_INT8: n = dt__i64_text(text, *(const int8_t *)p); break;
    case DT_UINT8: n = dt__u64_text(text, *(const uint8_t *)p); break;
    case DT_INT16: { int16_t x; memcpy(&x, p, 2); n = dt__i64_text(text, x); break; }
    case DT_UINT16: { uint16_t x; memcpy(&x, p, 2); n = dt__u64_text(text, x); break; }
    case DT_INT32: { int32_t x; memcpy(&x, p, 4); n = dt__i64_text(text, x); break; }
    case DT_UINT32: { uint32_t x; memcpy(&x, p, 4); n = dt__u64_text(text, x); break; }
    case DT_INT64: { int64_t x; memcpy(&x, p, 8); n = dt__i64_text(text, x); break; }
    case DT_UINT64: { uint64_t x; memcpy(&x, p, 8); n = dt__u64_text(text, x); break; }
    case DT_FLOAT16: {
        uint16_t x;
        memcpy(&x, p, 2);
        n = dt__float_repr(text, dt__half_to_float(x), 2);
        break;
    }
    case DT_FLOAT32: { float x; memcpy(&x, p, 4); n = dt__float_repr(text, x, 4); break; }
    case DT_FLOAT64: { double x; memcpy(&x, p, 8); n = dt__float_repr(text, x, 8); break; }
    default:
        return false;
    }
    if (bufsize) {
        size_t k = n < bufsize ? n : bufsize - 1;
        memcpy(buf, text, k);
        buf[k] = '\0';
    }
    *len = n;
    return true;
}

int dt_value_format(char *buf, size_t bufsize, dt_type t, const void *elem)
{
    dt__buf b;
    const char *text;
    size_t len;

    if (!elem || (!buf && bufsize))
        return dt__fail(DT_EINVAL, "dt_value_format: NULL argument");
    if (!dt__type_valid(t) || !dt_type_size(t))
        return dt__fail(DT_ETYPE, "dt_value_format: type code 0x%x has no values",
                        (unsigned)t);
    if (format_number(buf, bufsize, t, elem, &len))
        return (int)len;
    dt__buf_init(&b);
    put_elem(&b, t, elem);
    if (b.failed) {
        dt__buf_free(&b);
        return DT_ENOMEM;
    }
    text = b.data ? b.data : "";
    /* YAML spells non-finite floats with a leading dot; people do not */
    if (strcmp(text, ".nan") == 0)
        text = "nan";
    else if (strcmp(text, ".inf") == 0)
        text = "inf";
    else if (strcmp(text, "-.inf") == 0)
        text = "-inf";
    len = strlen(text);
    if (bufsize)
        snprintf(buf, bufsize, "%s", text);
    dt__buf_free(&b);
    return len > INT32_MAX ? DT_ELIMIT : (int)len;
}
