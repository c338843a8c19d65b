/* zarr_json.c: JSON for Zarr metadata: parsing with a depth bound and
 * exact 64-bit integers, member access, and fill values decoded for each
 * data type (NaN spellings, hex floats, base64 bytes, complex pairs). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "model/model.h"
#include "zarr_internal.h"

/* ------------------------------------------------------------------------ */
/* Parsing                                                                  */

/* Is the integer token of n digits (sign in neg, leading zeros dropped)
 * inside int64 (negative) or uint64 (positive)? */
static bool int_in_range(const char *digits, size_t n, bool neg)
{
    const char *limit = neg ? "9223372036854775808" : "18446744073709551615";
    size_t ln = strlen(limit);

    while (n > 1 && *digits == '0') {
        digits++;
        n--;
    }
    if (n != ln)
        return n < ln;
    return memcmp(digits, limit, n) <= 0;
}

/* json-c clamps integers outside 64 bits to the nearest limit, which would
 * turn 2^64 into a valid uint64 fill value. Find such tokens; when there
 * are any, return a copy of the text with "e0" after each, which json-c
 * reads as a double (keeping the digits as the value's text). *out is NULL
 * when there is nothing to change. */
static int widen_big_ints(const char *s, size_t n, char **out, size_t *outlen)
{
    dt__buf b;
    size_t i = 0, copied = 0;
    bool in_str = false, changed = false;

    *out = NULL;
    dt__buf_init(&b);
    while (i < n) {
        char c = s[i];

        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
            i++;
            continue;
        }
        if (c == '"') {
            in_str = true;
            i++;
            continue;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            size_t st = i + (c == '-'), e = st;
            bool neg = c == '-';

            while (e < n && s[e] >= '0' && s[e] <= '9')
                e++;
            if (e == st) {         /* "-Infinity" and the like */
                i = e;
                continue;
            }
            if (e < n && (s[e] == '.' || s[e] == 'e' || s[e] == 'E')) {
                while (e < n && (s[e] == '.' || s[e] == 'e' || s[e] == 'E' || s[e] == '+' ||
                                 s[e] == '-' || (s[e] >= '0' && s[e] <= '9')))
                    e++;
                i = e;
                continue;
            }
            if (!int_in_range(s + st, e - st, neg)) {
                dt__buf_append(&b, s + copied, e - copied);
                dt__buf_puts(&b, "e0");
                copied = e;
                changed = true;
            }
            i = e;
            continue;
        }
        i++;
    }
    if (!changed)
        return DT_OK;
    dt__buf_append(&b, s + copied, n - copied);
    *outlen = b.len;
    *out = dt__buf_take(&b);
    return *out ? DT_OK : DT_ENOMEM;
}

int dt__zj_parse(struct json_object **out, const dt__bytes *text, const dt_limits *lim,
                 const char *store, const char *key)
{
    struct json_tokener *tok = NULL;
    struct json_object *obj = NULL;
    char *copy = NULL, *wide = NULL;
    const char *src;
    size_t n = text->len, end, widelen = 0;
    int depth = (int)dt__zarr_depth_limit(lim);
    int rc = DT_OK;

    *out = NULL;
    if (text->len && memchr(text->data, 0, text->len))
        return dt__fail_at(DT_EFORMAT, store, key, "not valid JSON: a NUL byte at byte %zu",
                           (size_t)((unsigned char *)memchr(text->data, 0, text->len) -
                                    text->data));
    if (n > INT32_MAX - 1)
        return dt__fail_at(DT_ELIMIT, store, key, "a JSON document of %zu bytes is more than "
                           "the parser takes", n);
    rc = widen_big_ints((const char *)text->data, n, &wide, &widelen);
    if (rc < 0)
        return rc;
    if (wide) {
        src = wide;
        n = widelen;
    } else {
        copy = dt__strndup((const char *)(text->data ? text->data : (unsigned char *)""), n);
        if (!copy)
            return DT_ENOMEM;
        src = copy;
    }
    tok = json_tokener_new_ex(depth);
    if (!tok) {
        rc = dt__fail(DT_ENOMEM, "cannot start the JSON parser");
        goto out;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_VALIDATE_UTF8);
    /* the terminating NUL ends a document that is a bare number */
    obj = json_tokener_parse_ex(tok, src, (int)n + 1);
    end = json_tokener_get_parse_end(tok);
    if (!obj) {
        enum json_tokener_error e = json_tokener_get_error(tok);

        if (e == json_tokener_success)   /* json-c's JSON null */
            rc = dt__fail_at(DT_EFORMAT, store, key, "the document is null, not an object");
        else if (e == json_tokener_error_depth)
            rc = dt__fail_at(DT_ELIMIT, store, key, "the JSON nests deeper than %d levels "
                             "(the depth limit) at byte %zu", depth, end);
        else if (e == json_tokener_continue || end >= n)
            rc = dt__fail_at(DT_EFORMAT, store, key, "not valid JSON: the document ends "
                             "early (%zu bytes)", text->len);
        else
            rc = dt__fail_at(DT_EFORMAT, store, key, "not valid JSON: %s at byte %zu",
                             json_tokener_error_desc(e), end);
        goto out;
    }
    for (; end < n; end++) {
        char c = src[end];

        if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\0') {
            rc = dt__fail_at(DT_EFORMAT, store, key, "not valid JSON: text after the "
                             "document at byte %zu", end);
            goto out;
        }
    }
    *out = obj;
    obj = NULL;
out:
    if (obj)
        json_object_put(obj);
    if (tok)
        json_tokener_free(tok);
    free(copy);
    free(wide);
    return rc;
}

/* ---- big documents on several threads ---- */

/* The end of the JSON value that starts at s[i] (after white space), or 0
 * when the text is not what the splitter expects (it then leaves the
 * document to the plain parser, which finds the error). */
static size_t skip_ws(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return i;
}

static size_t value_end(const char *s, size_t i, size_t n)
{
    size_t depth = 0;
    bool in_str = false;

    i = skip_ws(s, i, n);
    if (i >= n)
        return 0;
    if (s[i] != '{' && s[i] != '[' && s[i] != '"') {
        while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' &&
               s[i] != '\n' && s[i] != '\r' && s[i] != '\t')
            i++;
        return i;
    }
    for (; i < n; i++) {
        char c = s[i];

        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"') {
                in_str = false;
                if (depth == 0)
                    return i + 1;
            }
            continue;
        }
        if (c == '"')
            in_str = true;
        else if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']') {
            if (depth == 0)
                return 0;
            if (--depth == 0)
                return i + 1;
        }
    }
    return 0;
}

/* The members of the object at s[o] ('{'): for each, where its key starts
 * and its value ends. Keys with escapes are compared as written. */
typedef struct zspan {
    size_t key, key_end, end;
} zspan;

static int object_members(const char *s, size_t o, size_t n, zspan **out, size_t *count)
{
    zspan *m = NULL;
    size_t cnt = 0, cap = 0, i = o + 1;

    *out = NULL;
    *count = 0;
    for (;;) {
        size_t k, ke, ve;

        i = skip_ws(s, i, n);
        if (i < n && s[i] == '}' && cnt == 0)
            break;
        if (i >= n || s[i] != '"')
            goto bad;
        k = i;
        ke = value_end(s, i, n);
        if (!ke)
            goto bad;
        i = skip_ws(s, ke, n);
        if (i >= n || s[i] != ':')
            goto bad;
        ve = value_end(s, i + 1, n);
        if (!ve)
            goto bad;
        if (cnt == cap) {
            zspan *p = dt__realloc(m, (cap = cap ? 2 * cap : 64) * sizeof *p);

            if (!p) {
                free(m);
                return DT_ENOMEM;
            }
            m = p;
        }
        m[cnt].key = k;
        m[cnt].key_end = ke;
        m[cnt].end = ve;
        cnt++;
        i = skip_ws(s, ve, n);
        if (i < n && s[i] == ',') {
            i++;
            continue;
        }
        if (i < n && s[i] == '}')
            break;
        goto bad;
    }
    *out = m;
    *count = cnt;
    return DT_OK;
bad:
    free(m);
    return DT_EFORMAT;
}

/* One piece of the split document, parsed by a pool thread. */
typedef struct zpart {
    char *text;
    size_t len;
    int depth;
    struct json_object *obj;
} zpart;

static struct json_object *parse_piece(const char *text, size_t len, int depth)
{
    struct json_tokener *tok = json_tokener_new_ex(depth);
    struct json_object *obj;

    if (!tok)
        return NULL;
    json_tokener_set_flags(tok, JSON_TOKENER_VALIDATE_UTF8);
    obj = json_tokener_parse_ex(tok, text, (int)len + 1);
    /* whole or nothing: only white space may follow */
    for (size_t end = obj ? json_tokener_get_parse_end(tok) : len; end < len; end++) {
        if (text[end] != ' ' && text[end] != '\t' && text[end] != '\r' && text[end] != '\n') {
            json_object_put(obj);
            obj = NULL;
            break;
        }
    }
    json_tokener_free(tok);
    return obj;
}

static int part_job(void *ud, size_t i)
{
    zpart *p = (zpart *)ud + i;

    p->obj = parse_piece(p->text, p->len, p->depth);
    return p->obj ? DT_OK : DT_EFORMAT;
}

/* The object member path[0].path[1]... of the document in src: its span,
 * and how deep it nests (the root object is 1). */
static bool find_path(const char *src, size_t n, const char *const *path, size_t *from,
                      size_t *to, int *level)
{
    size_t o = skip_ws(src, 0, n);

    *level = 1;
    for (size_t d = 0; path[d]; d++) {
        zspan *m;
        size_t cnt, want = strlen(path[d]);
        bool found = false;

        if (o >= n || src[o] != '{' || object_members(src, o, n, &m, &cnt) != DT_OK)
            return false;
        for (size_t k = cnt; k-- > 0 && !found;) {   /* the last one wins */
            if (m[k].key_end - m[k].key == want + 2 &&
                memcmp(src + m[k].key + 1, path[d], want) == 0) {
                size_t v = m[k].key_end;

                v = skip_ws(src, v, n) + 1;   /* past ':' */
                o = skip_ws(src, v, n);
                *to = m[k].end;
                found = true;
            }
        }
        free(m);
        if (!found)
            return false;
        ++*level;
    }
    *from = o;
    return o < n && src[o] == '{';
}

int dt__zj_parse_split(struct json_object **out, const dt__bytes *text, const dt_limits *lim,
                       const char *store, const char *key, const char *const *path,
                       dt__pool *pool)
{
    size_t n = text->len, from = 0, to = 0, cnt = 0, nparts = 0;
    int depth = (int)dt__zarr_depth_limit(lim), level = 0, rc;
    const char *src = (const char *)text->data;
    char *wide = NULL, *skel = NULL;
    zspan *m = NULL;
    zpart *parts = NULL;
    struct json_object *doc = NULL, *target;
    unsigned threads = dt__pool_threads(pool);

    *out = NULL;
    if (threads < 2 || n < ((size_t)1 << 20) || n > INT32_MAX - 1 || memchr(src, 0, n))
        return dt__zj_parse(out, text, lim, store, key);
    rc = widen_big_ints(src, n, &wide, &n);
    if (rc < 0)
        return rc;
    if (wide)
        src = wide;
    else
        n = text->len;
    if (!find_path(src, n, path, &from, &to, &level) || level > depth ||
        object_members(src, from, n, &m, &cnt) != DT_OK || cnt < 2)
        goto plain;
    /* the document with {} in place of the object, then the object's
     * members in pieces of about equal size */
    skel = dt__aprintf("%.*s{}%.*s", (int)from, src, (int)(n - to), src + to);
    nparts = 4 * (size_t)threads < cnt ? 4 * (size_t)threads : cnt;
    parts = dt__calloc(nparts, sizeof *parts);
    if (!skel || !parts)
        goto nomem;
    for (size_t i = 0, first = 0; i < nparts; i++) {
        size_t last = (i + 1) * cnt / nparts;   /* members [first, last) */
        size_t a = m[first].key, b = m[last - 1].end;

        parts[i].text = dt__aprintf("{%.*s}", (int)(b - a), src + a);
        if (!parts[i].text)
            goto nomem;
        parts[i].len = b - a + 2;
        parts[i].depth = depth - level + 1;
        first = last;
    }
    if (dt__pool_run(pool, nparts, part_job, parts) < 0) {
        dt_error_clear();
        goto plain;
    }
    doc = parse_piece(skel, strlen(skel), depth);
    if (!doc)
        goto plain;
    target = doc;
    for (size_t d = 0; path[d]; d++)
        target = dt__zj_get(target, path[d]);
    if (!json_object_is_type(target, json_type_object))
        goto plain;
    for (size_t i = 0; i < nparts; i++) {
        json_object_object_foreach(parts[i].obj, k, v) {
            if (json_object_object_add(target, k, json_object_get(v)) != 0) {
                json_object_put(v);
                goto nomem;
            }
        }
    }
    *out = doc;
    doc = NULL;
    rc = DT_OK;
    goto out;
nomem:
    rc = DT_ENOMEM;
    goto out;
plain:
    /* anything unexpected: the plain parser, which also words the errors */
    rc = dt__zj_parse(out, text, lim, store, key);
out:
    if (doc)
        json_object_put(doc);
    for (size_t i = 0; parts && i < nparts; i++) {
        free(parts[i].text);
        if (parts[i].obj)
            json_object_put(parts[i].obj);
    }
    free(parts);
    free(m);
    free(skel);
    free(wide);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Access                                                                   */

struct json_object *dt__zj_get(const struct json_object *obj, const char *name)
{
    struct json_object *v = NULL;

    if (!obj || !json_object_is_type(obj, json_type_object))
        return NULL;
    if (!json_object_object_get_ex(obj, name, &v) || json_object_is_type(v, json_type_null))
        return NULL;
    return v;
}

bool dt__zj_u64(const struct json_object *v, uint64_t *out)
{
    int64_t i;

    if (!v || !json_object_is_type(v, json_type_int))
        return false;
    i = json_object_get_int64(v);
    if (i < 0)
        return false;
    *out = i == INT64_MAX ? json_object_get_uint64(v) : (uint64_t)i;
    return true;
}

bool dt__zj_i64(const struct json_object *v, int64_t *out)
{
    int64_t i;

    if (!v || !json_object_is_type(v, json_type_int))
        return false;
    i = json_object_get_int64(v);
    if (i == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
        return false;
    *out = i;
    return true;
}

char *dt__zj_text(struct json_object *v)
{
    const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
                                                       JSON_C_TO_STRING_NOSLASHESCAPE);

    if (!s) {
        dt__fail(DT_ENOMEM, "cannot write JSON text");
        return NULL;
    }
    return dt__strdup(s);
}

const char *dt__zj_show(const struct json_object *v)
{
    const char *s = v ? json_object_to_json_string_ext((struct json_object *)v,
                                                       JSON_C_TO_STRING_PLAIN |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE)
                      : "null";

    return s ? s : "?";
}

const char *dt__zj_kind(const struct json_object *v)
{
    return v ? json_type_to_name(json_object_get_type(v)) : "null";
}

/* ------------------------------------------------------------------------ */
/* Fill values                                                              */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A float of `width` bytes (2, 4, 8) from a JSON number or one of the
 * strings "NaN", "Infinity", "-Infinity" or "0x<bits>" (Zarr v3: the bit
 * pattern, big-endian hex, 2 * width digits). Writes native bytes. */
static int float_fill(const struct json_object *v, size_t width, unsigned char *out)
{
    if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string((struct json_object *)v);
        double d;

        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
            uint64_t bits = 0;
            size_t nd = strlen(s + 2);

            if (nd != 2 * width)
                return dt__fail(DT_EFORMAT, "fill_value \"%s\" has %zu hex digits, a "
                                "float%zu has %zu", s, nd, width * 8, 2 * width);
            for (size_t i = 0; i < nd; i++) {
                int h = hexval(s[2 + i]);

                if (h < 0)
                    return dt__fail(DT_EFORMAT, "fill_value \"%s\" is not hex", s);
                bits = bits << 4 | (uint64_t)h;
            }
            if (width == 2) {
                uint16_t x = (uint16_t)bits;
                memcpy(out, &x, 2);
            } else if (width == 4) {
                uint32_t x = (uint32_t)bits;
                memcpy(out, &x, 4);
            } else {
                memcpy(out, &bits, 8);
            }
            return DT_OK;
        }
        if (strcmp(s, "NaN") == 0) {
            /* the canonical quiet NaN of each width */
            if (width == 2) {
                uint16_t x = 0x7e00;
                memcpy(out, &x, 2);
            } else if (width == 4) {
                uint32_t x = 0x7fc00000u;
                memcpy(out, &x, 4);
            } else {
                uint64_t x = 0x7ff8000000000000u;
                memcpy(out, &x, 8);
            }
            return DT_OK;
        }
        if (strcmp(s, "Infinity") == 0 || strcmp(s, "+Infinity") == 0)
            d = INFINITY;
        else if (strcmp(s, "-Infinity") == 0)
            d = -INFINITY;
        else
            return dt__fail(DT_EFORMAT, "fill_value \"%s\" is not a number, \"NaN\", "
                            "\"Infinity\", \"-Infinity\" or hex bits", s);
        if (width == 2) {
            uint16_t x = dt__half_from_float((float)d);
            memcpy(out, &x, 2);
        } else if (width == 4) {
            float f = (float)d;
            memcpy(out, &f, 4);
        } else {
            memcpy(out, &d, 8);
        }
        return DT_OK;
    }
    if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) {
        double d = json_object_get_double(v);

        if (json_object_is_type(v, json_type_int)) {
            int64_t i;
            uint64_t u;

            if (dt__zj_i64(v, &i))
                d = (double)i;
            else if (dt__zj_u64(v, &u))
                d = (double)u;
        }
        if (width == 4) {
            /* round the decimal text once, to float32, not via a double */
            const char *text = json_object_get_string((struct json_object *)v);
            char *end = NULL;
            float f;

            errno = 0;
            f = text ? strtof(text, &end) : (float)d;
            if (!text || end == text || *end)
                f = (float)d;
            memcpy(out, &f, 4);
        } else if (width == 2) {
            uint16_t x = dt__half_from_float((float)d);
            memcpy(out, &x, 2);
        } else {
            memcpy(out, &d, 8);
        }
        return DT_OK;
    }
    return dt__fail(DT_EFORMAT, "fill_value is %s, not a number", dt__zj_kind(v));
}

/* Standard base64 (padding optional), as zarr-python writes bytes fills. */
static int base64_decode(const char *s, unsigned char *out, size_t cap, size_t *n)
{
    uint32_t acc = 0;
    int bits = 0;

    *n = 0;
    for (; *s && *s != '='; s++) {
        int v;
        char c = *s;

        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+')
            v = 62;
        else if (c == '/')
            v = 63;
        else
            return dt__fail(DT_EFORMAT, "fill_value is not base64 (character '%c')", c);
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (*n == cap)
                return dt__fail(DT_EFORMAT, "the base64 fill_value holds more than %zu bytes",
                                cap);
            out[(*n)++] = (unsigned char)(acc >> bits);
        }
    }
    for (; *s == '='; s++)
        ;
    if (*s)
        return dt__fail(DT_EFORMAT, "fill_value is not base64 (text after the padding)");
    return DT_OK;
}

static int int_fill(const struct json_object *v, dt_type t, unsigned char *out)
{
    static const struct { uint32_t cls; int64_t lo; uint64_t hi; size_t size; } r[] = {
        {DT_INT8, INT8_MIN, INT8_MAX, 1}, {DT_INT16, INT16_MIN, INT16_MAX, 2},
        {DT_INT32, INT32_MIN, INT32_MAX, 4}, {DT_INT64, INT64_MIN, INT64_MAX, 8},
        {DT_UINT8, 0, UINT8_MAX, 1}, {DT_UINT16, 0, UINT16_MAX, 2},
        {DT_UINT32, 0, UINT32_MAX, 4}, {DT_UINT64, 0, UINT64_MAX, 8},
    };
    uint32_t cls = DT_TYPE_CLASS(t);
    char tn[32];
    int64_t i;
    uint64_t u = 0;     /* the value's two's-complement bits */
    bool neg = false, ok = false;
    size_t k;

    for (k = 0; r[k].cls != cls; k++)
        ;
    dt_type_name(tn, sizeof tn, t);
    if (json_object_is_type(v, json_type_int)) {
        if (dt__zj_i64(v, &i)) {
            neg = i < 0;
            u = (uint64_t)i;
            ok = true;
        } else if (dt__zj_u64(v, &u)) {
            ok = true;
        }
    } else if (json_object_is_type(v, json_type_double)) {
        /* a float spelling of an integer: 0.0 for an integer array */
        double d = json_object_get_double(v);

        /* only where a double holds every integer exactly: a bigger one
         * may be an integer outside 64 bits that the parser kept as a
         * double (zarr_json.c's widen_big_ints) */
        if (d == floor(d) && fabs(d) <= 9007199254740992.0) {
            neg = d < 0;
            u = (uint64_t)(int64_t)d;
            ok = true;
        }
    } else if (json_object_is_type(v, json_type_boolean)) {
        u = (uint64_t)json_object_get_boolean(v);
        ok = true;
    } else if (json_object_is_type(v, json_type_string) && cls == DT_INT64 &&
               strcmp(json_object_get_string((struct json_object *)v), "NaT") == 0) {
        /* datetime64 / timedelta64: NaT is the smallest int64 */
        u = (uint64_t)INT64_MIN;
        neg = true;
        ok = true;
    }
    if (!ok)
        return dt__fail(DT_EFORMAT, "fill_value %s is not an integer for %s",
                        dt__zj_show(v), tn);
    if (neg ? (int64_t)u < r[k].lo : u > r[k].hi)
        return dt__fail(DT_EFORMAT, "fill_value %s is out of the range of %s",
                        dt__zj_show(v), tn);
    switch (r[k].size) {
    case 1: out[0] = (unsigned char)u; break;
    case 2: { uint16_t x = (uint16_t)u; memcpy(out, &x, 2); break; }
    case 4: { uint32_t x = (uint32_t)u; memcpy(out, &x, 4); break; }
    default: memcpy(out, &u, 8); break;
    }
    return DT_OK;
}

/* UTF-8 text into n native UTF-32 code units (zero padded). */
static int utf32_fill(const char *s, size_t n, unsigned char *out)
{
    size_t len = strlen(s), i = 0, k = 0;

    if (!dt__utf8_valid(s, len))
        return dt__fail(DT_EFORMAT, "fill_value is not valid UTF-8");
    while (i < len) {
        const unsigned char *p = (const unsigned char *)s + i;
        uint32_t cp;
        size_t l = p[0] < 0x80 ? 1 : p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;

        cp = l == 1 ? p[0] : l == 2 ? p[0] & 0x1fu : l == 3 ? p[0] & 0x0fu : p[0] & 0x07u;
        for (size_t j = 1; j < l; j++)
            cp = cp << 6 | (p[j] & 0x3fu);
        if (k == n)
            return dt__fail(DT_EFORMAT, "fill_value \"%s\" is longer than %zu characters",
                            s, n);
        memcpy(out + 4 * k, &cp, 4);
        k++;
        i += l;
    }
    return DT_OK;
}

int dt__zj_fill(const struct json_object *v, dt_type t, unsigned char **out)
{
    uint32_t cls = DT_TYPE_CLASS(t);
    size_t es = dt_type_size(t);
    unsigned char *e;
    int rc = DT_OK;

    *out = NULL;
    if (!v || json_object_is_type(v, json_type_null) || es == 0)
        return DT_OK;
    if (cls == DT_STRING && !json_object_is_type(v, json_type_string))
        return DT_OK;    /* zarr-python 2 writes 0 for object arrays */
    e = dt__calloc(1, es);
    if (!e)
        return DT_ENOMEM;
    switch (cls) {
    case DT_BOOL:
        if (json_object_is_type(v, json_type_boolean))
            e[0] = (unsigned char)json_object_get_boolean(v);
        else if (json_object_is_type(v, json_type_int) &&
                 (json_object_get_int64(v) == 0 || json_object_get_int64(v) == 1))
            e[0] = (unsigned char)json_object_get_int64(v);
        else
            rc = dt__fail(DT_EFORMAT, "fill_value is %s, not a boolean", dt__zj_kind(v));
        break;
    case DT_INT8: case DT_INT16: case DT_INT32: case DT_INT64:
    case DT_UINT8: case DT_UINT16: case DT_UINT32: case DT_UINT64:
        rc = int_fill(v, t, e);
        break;
    case DT_FLOAT16: rc = float_fill(v, 2, e); break;
    case DT_FLOAT32: rc = float_fill(v, 4, e); break;
    case DT_FLOAT64: rc = float_fill(v, 8, e); break;
    case DT_COMPLEX64:
    case DT_COMPLEX128:
        if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) != 2) {
            rc = dt__fail(DT_EFORMAT, "a complex fill_value is a list of two numbers, not %s",
                          dt__zj_kind(v));
            break;
        }
        rc = float_fill(json_object_array_get_idx(v, 0), es / 2, e);
        if (rc == DT_OK)
            rc = float_fill(json_object_array_get_idx(v, 1), es / 2, e + es / 2);
        break;
    case DT_STRING: {
        char *s = dt__strdup(json_object_get_string((struct json_object *)v));

        if (!s)
            rc = DT_ENOMEM;
        else
            memcpy(e, &s, sizeof s);
        break;
    }
    case DT_BYTES:
    case DT_CHAR:
        if (json_object_is_type(v, json_type_string)) {
            size_t n;

            rc = base64_decode(json_object_get_string((struct json_object *)v), e, es, &n);
        } else if (json_object_is_type(v, json_type_array) &&
                   json_object_array_length(v) <= es) {
            /* v3 raw bytes: a list of 0..255 */
            for (size_t i = 0; i < json_object_array_length(v) && rc == DT_OK; i++) {
                int64_t b;

                if (!dt__zj_i64(json_object_array_get_idx(v, i), &b) || b < 0 || b > 255)
                    rc = dt__fail(DT_EFORMAT, "fill_value[%zu] is not a byte (0..255)", i);
                else
                    e[i] = (unsigned char)b;
            }
        } else if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) == 0) {
            /* an all-zero bytes fill */
        } else {
            rc = dt__fail(DT_EFORMAT, "a bytes fill_value is base64 text, not %s",
                          dt__zj_kind(v));
        }
        break;
    case DT_UNICODE:
        if (json_object_is_type(v, json_type_string))
            rc = utf32_fill(json_object_get_string((struct json_object *)v), es / 4, e);
        else if (!(json_object_is_type(v, json_type_int) && json_object_get_int64(v) == 0))
            rc = dt__fail(DT_EFORMAT, "a text fill_value is a string, not %s",
                          dt__zj_kind(v));
        break;
    default:
        /* compound and opaque arrays are listed, never read: no fill */
        free(e);
        return DT_OK;
    }
    if (rc < 0) {
        free(e);
        return rc;
    }
    *out = e;
    return DT_OK;
}
