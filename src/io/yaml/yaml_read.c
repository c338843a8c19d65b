/* yaml_read.c: read a dtree-manifest/1 YAML document (with optional values:
 * lists) as a tree. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "io/io.h"
#include "util.h"

/* JSON attribute values are the only recursion; max_depth bounds it, and
 * this ceiling bounds the C stack whatever the caller asks for. */
#define YR_DEPTH_CEILING 1024u
#define YR_DEPTH_DEFAULT 64u

/* Longest text of a value quoted in a message. */
#define YR_SHOW_MAX 40

#define YR_FORMAT_NAME "dtree-manifest/1"

typedef struct yr {
    const char *file;        /* as given to dt__yaml_open */
    const dt_limits *lim;
    yaml_document_t *doc;
    char *where;             /* object path for messages, owned, or NULL */
    uint64_t budget;         /* bytes of values and attributes still allowed */
} yr;

/* ---- errors ---- */

static unsigned long line_of(const yaml_node_t *n)
{
    return (unsigned long)n->start_mark.line + 1;
}

/* Fail with a problem found in the document at node `at` (NULL: no line). */
static int yr_fail(const yr *r, const yaml_node_t *at, int code,
                   const char *fmt, ...) DT__PRINTF(4, 5);

static int yr_fail(const yr *r, const yaml_node_t *at, int code,
                   const char *fmt, ...)
{
    char problem[900];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(problem, sizeof problem, fmt, ap);
    va_end(ap);
    if (at)
        return dt__fail_at(code, r->file, r->where, "line %lu: %s",
                           line_of(at), problem);
    return dt__fail_at(code, r->file, r->where, "%s", problem);
}

/* An error the model set while we built the object of node `at`: add the
 * file, the object path and the line, keeping the model's words. */
static int yr_locate(const yr *r, const yaml_node_t *at, int rc)
{
    if (at && rc != DT_ENOMEM)
        dt__err_prefix("line %lu: ", line_of(at));
    return dt__err_locate(rc, r->file, r->where);
}

static int yr_set_where(yr *r, char *path)
{
    free(r->where);
    r->where = path;
    return path ? DT_OK : DT_ENOMEM;
}

/* ---- scalars ---- */

typedef enum { YS_NULL, YS_BOOL, YS_INT, YS_FLOAT, YS_STR } ys_kind;

static const char *stext(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

static size_t slen(const yaml_node_t *n)
{
    return n->data.scalar.length;
}

static bool str_in(const char *s, const char *const *set)
{
    for (; *set; set++) {
        if (strcmp(s, *set) == 0)
            return true;
    }
    return false;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_xdigit(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* [-+]? ( [0-9]+ | 0x[0-9a-fA-F]+ ) */
static bool int_syntax(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        if (!*s)
            return false;
        while (is_xdigit(*s))
            s++;
        return *s == '\0';
    }
    if (!is_digit(*s))
        return false;
    while (is_digit(*s))
        s++;
    return *s == '\0';
}

static const char *const nan_words[] = {".nan", ".NaN", ".NAN", NULL};
static const char *const inf_words[] = {".inf", ".Inf", ".INF", NULL};

/* [-+]? ( [0-9]+ (. [0-9]*)? | . [0-9]+ ) ([eE] [-+]? [0-9]+)?, with a point
 * or an exponent; or the YAML spellings of NaN and the infinities. */
static bool float_syntax(const char *s)
{
    bool digits = false, point = false, expo = false;

    if (str_in(s, nan_words))
        return true;
    if (*s == '-' || *s == '+')
        s++;
    if (str_in(s, inf_words))
        return true;
    while (is_digit(*s)) {
        s++;
        digits = true;
    }
    if (*s == '.') {
        point = true;
        s++;
        while (is_digit(*s)) {
            s++;
            digits = true;
        }
    }
    if (!digits)
        return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '-' || *s == '+')
            s++;
        if (!is_digit(*s))
            return false;
        while (is_digit(*s))
            s++;
        expo = true;
    }
    return *s == '\0' && (point || expo);
}

/* YAML resolution of a scalar: quoted scalars are strings; plain ones
 * follow the core schema (null, true/false, integers, floats). Tags are
 * not consulted: the document API gives every untagged scalar !!str. */
static ys_kind scalar_kind(const yaml_node_t *n)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const bools[] = {"true", "True", "TRUE",
                                        "false", "False", "FALSE", NULL};
    const char *s = stext(n);

    if (n->type != YAML_SCALAR_NODE)
        return YS_STR;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return YS_STR;
    if (str_in(s, nulls))
        return YS_NULL;
    if (str_in(s, bools))
        return YS_BOOL;
    if (int_syntax(s))
        return YS_INT;
    if (float_syntax(s))
        return YS_FLOAT;
    return YS_STR;
}

static bool is_null(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE && scalar_kind(n) == YS_NULL;
}

static bool bool_value(const yaml_node_t *n)
{
    return stext(n)[0] == 't' || stext(n)[0] == 'T';
}

/* What a node is, for messages: `the string "abc"`, `the integer 300`. */
static const char *describe(char *buf, size_t cap, const yaml_node_t *n)
{
    static const char *const kinds[] = {
        [YS_NULL] = "null", [YS_BOOL] = "the boolean", [YS_INT] = "the integer",
        [YS_FLOAT] = "the number", [YS_STR] = "the string",
    };
    ys_kind k;
    size_t len;

    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->type != YAML_SCALAR_NODE)
        return "nothing";
    k = scalar_kind(n);
    if (k == YS_NULL)
        return "null";
    len = strlen(stext(n));
    if (len > YR_SHOW_MAX)
        snprintf(buf, cap, "%s %s%.*s...%s", kinds[k], k == YS_STR ? "\"" : "",
                 YR_SHOW_MAX, stext(n), k == YS_STR ? "\"" : "");
    else
        snprintf(buf, cap, "%s %s%s%s", kinds[k], k == YS_STR ? "\"" : "",
                 stext(n), k == YS_STR ? "\"" : "");
    return buf;
}

/* The text of a scalar for a message, cut to YR_SHOW_MAX characters. */
static const char *shown(char *buf, size_t cap, const yaml_node_t *n)
{
    if (strlen(stext(n)) > YR_SHOW_MAX)
        snprintf(buf, cap, "%.*s...", YR_SHOW_MAX, stext(n));
    else
        snprintf(buf, cap, "%s", stext(n));
    return buf;
}

/* A resolved number; integers keep their exact magnitude. */
typedef struct ynum {
    bool is_int;
    bool neg;
    bool big;        /* an integer beyond 64 bits */
    bool overflow;   /* a float beyond the float64 range */
    uint64_t mag;
    double d;
} ynum;

static void parse_num(ynum *v, const char *s, ys_kind k)
{
    const char *p = s;
    char *end;

    memset(v, 0, sizeof *v);
    v->neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    if (k == YS_INT) {
        int base = 10;

        v->is_int = true;
        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
            base = 16;
            p += 2;
        }
        errno = 0;
        v->mag = strtoull(p, &end, base);
        if (errno == ERANGE)
            v->big = true;
        if (!v->big) {
            v->d = (double)v->mag;
        } else {
            /* strtod reads decimal and 0x text alike */
            v->d = strtod(p - (base == 16 ? 2 : 0), &end);
        }
        if (v->neg)
            v->d = -v->d;
        return;
    }
    if (str_in(s, nan_words)) {
        v->d = NAN;
    } else if (str_in(p, inf_words)) {
        v->d = v->neg ? -INFINITY : INFINITY;
    } else {
        errno = 0;
        v->d = strtod(s, &end);
        if (errno == ERANGE && isinf(v->d))
            v->overflow = true;
    }
}

/* ---- mappings and sequences ---- */

static yaml_node_t *node_at(const yr *r, int idx)
{
    return yaml_document_get_node(r->doc, idx);
}

static size_t seq_len(const yaml_node_t *n)
{
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static yaml_node_t *seq_item(const yr *r, const yaml_node_t *n, size_t i)
{
    return node_at(r, n->data.sequence.items.start[i]);
}

static int expect_map(const yr *r, const yaml_node_t *n, const char *what)
{
    char d[YR_SHOW_MAX + 40];

    if (n->type == YAML_MAPPING_NODE)
        return DT_OK;
    return yr_fail(r, n, DT_EFORMAT, "%s must be a mapping, found %s", what,
                   describe(d, sizeof d, n));
}

static int expect_seq(const yr *r, const yaml_node_t *n, const char *what)
{
    char d[YR_SHOW_MAX + 40];

    if (n->type == YAML_SEQUENCE_NODE)
        return DT_OK;
    return yr_fail(r, n, DT_EFORMAT, "%s must be a list, found %s", what,
                   describe(d, sizeof d, n));
}

/* The value of `key` in mapping m, or NULL when absent. A key given twice
 * is an error: YAML forbids it and libyaml does not check. */
static int map_get(const yr *r, const yaml_node_t *m, const char *key,
                   yaml_node_t **out)
{
    *out = NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
         p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_at(r, p->key);

        if (!k || k->type != YAML_SCALAR_NODE || strcmp(stext(k), key) != 0)
            continue;
        if (*out)
            return yr_fail(r, k, DT_EFORMAT, "key \"%s\" is given twice", key);
        *out = node_at(r, p->value);
    }
    return DT_OK;
}

static int map_need(const yr *r, const yaml_node_t *m, const char *key,
                    const char *what, yaml_node_t **out)
{
    int rc = map_get(r, m, key, out);

    if (rc < 0)
        return rc;
    if (!*out)
        return yr_fail(r, m, DT_EFORMAT, "%s has no \"%s\"", what, key);
    return DT_OK;
}

/* The name a mapping key spells (dims, vars, attributes, enum members). */
static int key_name(const yr *r, const yaml_node_t *k, const char *what,
                    const char **out)
{
    char d[YR_SHOW_MAX + 40];

    *out = NULL;
    if (!k || k->type != YAML_SCALAR_NODE)
        return yr_fail(r, k, DT_EFORMAT, "a %s name must be a scalar, found %s",
                       what, k ? describe(d, sizeof d, k) : "nothing");
    if (strlen(stext(k)) != slen(k))
        return yr_fail(r, k, DT_EFORMAT, "a %s name contains a NUL character", what);
    *out = stext(k);
    return DT_OK;
}

/* A plain string value (dtype, dim names, codecs, byteorder). */
static int get_str(const yr *r, const yaml_node_t *n, const char *what,
                   const char **out)
{
    char d[YR_SHOW_MAX + 40];

    if (n->type != YAML_SCALAR_NODE || scalar_kind(n) != YS_STR)
        return yr_fail(r, n, DT_EFORMAT, "%s must be a string, found %s", what,
                       describe(d, sizeof d, n));
    if (strlen(stext(n)) != slen(n))
        return yr_fail(r, n, DT_EFORMAT, "%s contains a NUL character", what);
    *out = stext(n);
    return DT_OK;
}

static int get_bool(const yr *r, const yaml_node_t *n, const char *what,
                    int *out)
{
    char d[YR_SHOW_MAX + 40];

    if (n->type != YAML_SCALAR_NODE || scalar_kind(n) != YS_BOOL)
        return yr_fail(r, n, DT_EFORMAT, "%s must be true or false, found %s",
                       what, describe(d, sizeof d, n));
    *out = bool_value(n);
    return DT_OK;
}

/* A size: a non-negative integer of at most 64 bits. */
static int get_u64(const yr *r, const yaml_node_t *n, const char *what,
                   uint64_t *out)
{
    char d[YR_SHOW_MAX + 40];
    ynum v;

    if (n->type != YAML_SCALAR_NODE || scalar_kind(n) != YS_INT)
        return yr_fail(r, n, DT_EFORMAT,
                       "%s must be a non-negative integer, found %s", what,
                       describe(d, sizeof d, n));
    parse_num(&v, stext(n), YS_INT);
    if (v.big || (v.neg && v.mag != 0))
        return yr_fail(r, n, DT_EFORMAT,
                       "%s must be an integer from 0 to %" PRIu64 ", found %s",
                       what, UINT64_MAX, shown(d, sizeof d, n));
    *out = v.mag;
    return DT_OK;
}

/* A list of sizes (shape, chunks, attribute shape); *n items into out,
 * which holds up to max entries. */
static int get_u64_list(const yr *r, const yaml_node_t *n, const char *what,
                        uint64_t *out, size_t max, size_t *count)
{
    char label[64];
    size_t len;
    int rc;

    rc = expect_seq(r, n, what);
    if (rc < 0)
        return rc;
    len = seq_len(n);
    if (len > max)
        return yr_fail(r, n, DT_ELIMIT, "%s has %zu entries, the limit is %zu",
                       what, len, max);
    for (size_t i = 0; i < len; i++) {
        snprintf(label, sizeof label, "%s[%zu]", what, i);
        rc = get_u64(r, seq_item(r, n, i), label, &out[i]);
        if (rc < 0)
            return rc;
    }
    *count = len;
    return DT_OK;
}

/* ---- elements ---- */

/* The name of a type for messages. */
static const char *tname(char *buf, size_t cap, dt_type t)
{
    if (dt_type_name(buf, cap, t) < 0) {
        snprintf(buf, cap, "type 0x%" PRIx32, t);
        dt_error_clear();
    }
    return buf;
}

/* "values[3]" or "fill_value". */
static const char *label_of(char *buf, size_t cap, const char *what, size_t idx)
{
    if (idx == SIZE_MAX)
        snprintf(buf, cap, "%s", what);
    else
        snprintf(buf, cap, "%s[%zu]", what, idx);
    return buf;
}

static bool int_limits(uint32_t cls, int64_t *lo, uint64_t *hi)
{
    switch (cls) {
    case DT_INT8: *lo = INT8_MIN; *hi = INT8_MAX; return true;
    case DT_INT16: *lo = INT16_MIN; *hi = INT16_MAX; return true;
    case DT_INT32: *lo = INT32_MIN; *hi = INT32_MAX; return true;
    case DT_INT64: *lo = INT64_MIN; *hi = INT64_MAX; return true;
    case DT_UINT8: *lo = 0; *hi = UINT8_MAX; return true;
    case DT_UINT16: *lo = 0; *hi = UINT16_MAX; return true;
    case DT_UINT32: *lo = 0; *hi = UINT32_MAX; return true;
    case DT_UINT64: *lo = 0; *hi = UINT64_MAX; return true;
    default: return false;
    }
}

/* IEEE binary16 bits of d, rounded to nearest even; |d| < 65520. */
static uint16_t half_bits(double d)
{
    uint16_t sign = signbit(d) ? 0x8000u : 0;
    double a = fabs(d);
    int e;

    if (isnan(d))
        return (uint16_t)(sign | 0x7e00u);
    if (isinf(d))
        return (uint16_t)(sign | 0x7c00u);
    if (a == 0)
        return sign;
    frexp(a, &e);                       /* a = m * 2^e, m in [0.5, 1) */
    if (e - 1 < -14) {
        /* subnormal: a multiple of 2^-24; 1024 rounds up to the least normal */
        double k = rint(ldexp(a, 24));
        return (uint16_t)(sign | (uint16_t)k);
    }
    {
        /* 11 significant bits; a carry to 2048 moves into the exponent */
        double m = rint(ldexp(a, 11 - e));
        uint32_t bits = ((uint32_t)(e - 1 + 15) << 10) + ((uint32_t)m - 1024u);
        return (uint16_t)(sign | bits);
    }
}

static int put_number(const yr *r, const yaml_node_t *n, dt_type t,
                      uint32_t cls, void *dst, const char *what, size_t idx)
{
    char d[YR_SHOW_MAX + 40], lb[320], tn[32];
    ys_kind k = n->type == YAML_SCALAR_NODE ? scalar_kind(n) : YS_STR;
    ynum v;

    label_of(lb, sizeof lb, what, idx);
    if (cls == DT_BOOL) {
        uint8_t b;

        if (k == YS_BOOL) {
            b = bool_value(n);
        } else if (k == YS_INT && (strcmp(stext(n), "0") == 0 ||
                                   strcmp(stext(n), "1") == 0)) {
            b = stext(n)[0] == '1';
        } else {
            return yr_fail(r, n, DT_EFORMAT, "%s: expected true or false, found %s",
                           lb, describe(d, sizeof d, n));
        }
        memcpy(dst, &b, 1);
        return DT_OK;
    }
    if (cls == DT_FLOAT16 || cls == DT_FLOAT32 || cls == DT_FLOAT64) {
        double x;

        if (k != YS_INT && k != YS_FLOAT)
            return yr_fail(r, n, DT_EFORMAT, "%s: expected a number, found %s",
                           lb, describe(d, sizeof d, n));
        parse_num(&v, stext(n), k);
        x = v.d;
        if (v.overflow || (v.is_int && isinf(x)))
            goto range;
        if (cls == DT_FLOAT64) {
            memcpy(dst, &x, 8);
        } else if (cls == DT_FLOAT32) {
            /* below 2^128 - 2^103 a double rounds to at most FLT_MAX */
            float f;

            if (isfinite(x) && fabs(x) >= ldexp(1.0, 128) - ldexp(1.0, 103))
                goto range;
            f = (float)x;
            memcpy(dst, &f, 4);
        } else {
            uint16_t h;

            if (isfinite(x) && fabs(x) >= 65520.0)
                goto range;
            h = half_bits(x);
            memcpy(dst, &h, 2);
        }
        return DT_OK;
    }
    {
        int64_t lo;
        uint64_t hi;

        if (!int_limits(cls, &lo, &hi))
            return yr_fail(r, n, DT_ETYPE, "%s: %s has no numeric values", lb,
                           tname(tn, sizeof tn, t));
        if (k != YS_INT)
            return yr_fail(r, n, DT_EFORMAT, "%s: expected an integer, found %s",
                           lb, describe(d, sizeof d, n));
        parse_num(&v, stext(n), YS_INT);
        if (v.big)
            goto range;
        if (v.neg && v.mag != 0) {
            /* -lo as an unsigned magnitude, without overflowing INT64_MIN */
            uint64_t lim = lo == 0 ? 0 : (uint64_t)(-(lo + 1)) + 1;
            int64_t x;

            if (v.mag > lim)
                goto range;
            x = -(int64_t)(v.mag - 1) - 1;
            switch (cls) {
            case DT_INT8: { int8_t y = (int8_t)x; memcpy(dst, &y, 1); break; }
            case DT_INT16: { int16_t y = (int16_t)x; memcpy(dst, &y, 2); break; }
            case DT_INT32: { int32_t y = (int32_t)x; memcpy(dst, &y, 4); break; }
            default: memcpy(dst, &x, 8); break;
            }
            return DT_OK;
        }
        if (v.mag > hi)
            goto range;
        switch (cls) {
        case DT_INT8: { int8_t y = (int8_t)v.mag; memcpy(dst, &y, 1); break; }
        case DT_UINT8: { uint8_t y = (uint8_t)v.mag; memcpy(dst, &y, 1); break; }
        case DT_INT16: { int16_t y = (int16_t)v.mag; memcpy(dst, &y, 2); break; }
        case DT_UINT16: { uint16_t y = (uint16_t)v.mag; memcpy(dst, &y, 2); break; }
        case DT_INT32: { int32_t y = (int32_t)v.mag; memcpy(dst, &y, 4); break; }
        case DT_UINT32: { uint32_t y = (uint32_t)v.mag; memcpy(dst, &y, 4); break; }
        case DT_INT64: { int64_t y = (int64_t)v.mag; memcpy(dst, &y, 8); break; }
        default: memcpy(dst, &v.mag, 8); break;
        }
        return DT_OK;
    }
range:
    return yr_fail(r, n, DT_EFORMAT, "%s: %s is out of range for %s", lb,
                   shown(d, sizeof d, n), tname(tn, sizeof tn, t));
}

/* A complex element: [real, imaginary]. */
static int put_complex(const yr *r, const yaml_node_t *n, dt_type t,
                       void *dst, const char *what, size_t idx)
{
    uint32_t part = DT_TYPE_CLASS(t) == DT_COMPLEX64 ? DT_FLOAT32 : DT_FLOAT64;
    size_t psize = part == DT_FLOAT32 ? 4 : 8;
    char d[YR_SHOW_MAX + 40], lb[320];
    int rc;

    label_of(lb, sizeof lb, what, idx);
    if (n->type != YAML_SEQUENCE_NODE || seq_len(n) != 2)
        return yr_fail(r, n, DT_EFORMAT,
                       "%s: a complex value is written [real, imaginary], found %s",
                       lb, describe(d, sizeof d, n));
    for (size_t i = 0; i < 2; i++) {
        rc = put_number(r, seq_item(r, n, i), t, part, (char *)dst + i * psize,
                        lb, SIZE_MAX);
        if (rc < 0)
            return rc;
    }
    return DT_OK;
}

/* Next code point of valid UTF-8 (libyaml validated the input). */
static uint32_t utf8_next(const unsigned char **pp)
{
    const unsigned char *p = *pp;
    uint32_t c = *p++;
    int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;

    if (more)
        c &= 0x3Fu >> more;
    while (more--)
        c = (c << 6) | (*p++ & 0x3Fu);
    *pp = p;
    return c;
}

/* A text element: DT_STRING stores the text's address (the model copies
 * it); char and bytesN take one byte per code point (the manifest writes
 * bytes as \xNN escapes, which YAML reads as code points 0..255); unicodeN
 * takes UTF-32 code points. Short bytes and unicode values are padded with
 * zeros. For DT_CHAR, width_out gets the byte count (a char attribute is
 * one string of any length; a char element is one byte). */
static int put_text(const yr *r, const yaml_node_t *n, dt_type t, void *dst,
                    size_t cap, size_t *width_out, const char *what, size_t idx)
{
    uint32_t cls = DT_TYPE_CLASS(t);
    char d[YR_SHOW_MAX + 40], lb[320], tn[32];
    const unsigned char *p, *end;
    size_t count = 0;

    label_of(lb, sizeof lb, what, idx);
    if (n->type != YAML_SCALAR_NODE || scalar_kind(n) != YS_STR)
        return yr_fail(r, n, DT_EFORMAT, "%s: expected a string, found %s", lb,
                       describe(d, sizeof d, n));
    p = (const unsigned char *)stext(n);
    end = p + slen(n);
    if (!dt__utf8_valid((const char *)p, slen(n)))
        return yr_fail(r, n, DT_EFORMAT, "%s: the string is not valid UTF-8", lb);
    if (cls == DT_STRING) {
        const char *s = stext(n);

        if (strlen(s) != slen(n))
            return yr_fail(r, n, DT_EFORMAT, "%s: a string cannot hold a NUL character",
                           lb);
        memcpy(dst, &s, sizeof s);
        return DT_OK;
    }
    memset(dst, 0, cap);
    while (p < end) {
        uint32_t c = utf8_next(&p);

        if (cls != DT_UNICODE && c > 0xFF)
            return yr_fail(r, n, DT_EFORMAT,
                           "%s: character U+%04" PRIX32 " in %s text; bytes are "
                           "written \\x00 to \\xFF", lb, c, tname(tn, sizeof tn, t));
        if (count >= cap / (cls == DT_UNICODE ? 4 : 1)) {
            if (cls == DT_CHAR && !width_out)
                return yr_fail(r, n, DT_EFORMAT,
                               "%s: a char element is one character, found \"%s\"",
                               lb, shown(d, sizeof d, n));
            return yr_fail(r, n, DT_EFORMAT, "%s: \"%s\" is longer than %s holds",
                           lb, shown(d, sizeof d, n), tname(tn, sizeof tn, t));
        }
        if (cls == DT_UNICODE)
            memcpy((char *)dst + 4 * count, &c, 4);
        else
            ((unsigned char *)dst)[count] = (unsigned char)c;
        count++;
    }
    if (width_out)
        *width_out = count;
    return DT_OK;
}

/* One element of type t from node n into dst (dt_type_size(t) bytes). */
static int put_elem(const yr *r, const yaml_node_t *n, dt_type t, void *dst,
                    const char *what, size_t idx)
{
    uint32_t cls = DT_TYPE_CLASS(t);
    char lb[320], tn[32];

    switch (cls) {
    case DT_BOOL: case DT_INT8: case DT_INT16: case DT_INT32: case DT_INT64:
    case DT_UINT8: case DT_UINT16: case DT_UINT32: case DT_UINT64:
    case DT_FLOAT16: case DT_FLOAT32: case DT_FLOAT64:
        return put_number(r, n, t, cls, dst, what, idx);
    case DT_ENUM:
        return put_number(r, n, t, DT_TYPE_PARAM(t), dst, what, idx);
    case DT_COMPLEX64: case DT_COMPLEX128:
        return put_complex(r, n, t, dst, what, idx);
    case DT_STRING: case DT_CHAR: case DT_BYTES: case DT_UNICODE:
        return put_text(r, n, t, dst, dt_type_size(t), NULL, what, idx);
    default:
        return yr_fail(r, n, DT_ETYPE, "%s: %s values cannot be given",
                       label_of(lb, sizeof lb, what, idx), tname(tn, sizeof tn, t));
    }
}

/* The elements a value spells: a list, or one element written alone (the
 * manifest prints one element as a scalar). A complex element is itself a
 * list, so a list of numbers is one complex element. */
typedef struct elist {
    const yaml_node_t *one;   /* the single element, or NULL */
    const yaml_node_t *seq;   /* the list, or NULL */
    size_t n;
} elist;

static void elems_of(const yr *r, const yaml_node_t *v, dt_type t, elist *out)
{
    uint32_t cls = DT_TYPE_CLASS(t);

    out->one = out->seq = NULL;
    out->n = 1;
    if (v->type != YAML_SEQUENCE_NODE) {
        out->one = v;
        return;
    }
    if ((cls == DT_COMPLEX64 || cls == DT_COMPLEX128) && seq_len(v) > 0 &&
        seq_item(r, v, 0)->type == YAML_SCALAR_NODE) {
        out->one = v;
        return;
    }
    out->seq = v;
    out->n = seq_len(v);
}

static const yaml_node_t *elem_at(const yr *r, const elist *el, size_t i)
{
    return el->one ? el->one : seq_item(r, el->seq, i);
}

/* An allocation sized by the document, charged to the whole document's
 * budget so aliases and wide types cannot multiply memory. */
static void *yr_alloc(yr *r, const yaml_node_t *at, uint64_t n, uint64_t size,
                      const char *what)
{
    uint64_t bytes;
    void *p;

    if (dt__mul_u64(&bytes, n, size) || bytes > r->budget) {
        yr_fail(r, at, DT_ELIMIT,
                "%s: %" PRIu64 " elements of %" PRIu64 " bytes are over the "
                "limit of %" PRIu64 " bytes for the document's values",
                what, n, size, r->lim->max_alloc);
        return NULL;
    }
    p = dt__malloc_limited(bytes, r->lim->max_alloc, what);
    if (!p) {
        yr_locate(r, at, dt_error_last()->code);
        return NULL;
    }
    r->budget -= bytes;
    return p;
}

/* ---- JSON attribute values ---- */

static int json_string(dt__buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";

    dt__buf_putc(b, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        switch (c) {
        case '"': dt__buf_puts(b, "\\\""); break;
        case '\\': dt__buf_puts(b, "\\\\"); break;
        case '\n': dt__buf_puts(b, "\\n"); break;
        case '\r': dt__buf_puts(b, "\\r"); break;
        case '\t': dt__buf_puts(b, "\\t"); break;
        case '\b': dt__buf_puts(b, "\\b"); break;
        case '\f': dt__buf_puts(b, "\\f"); break;
        default:
            if (c < 0x20) {
                char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
                dt__buf_puts(b, u);
            } else {
                dt__buf_putc(b, (char)c);
            }
        }
    }
    return dt__buf_putc(b, '"');
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? */
static bool json_number_syntax(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        while (is_digit(*s))
            s++;
    else
        return false;
    if (*s == '.') {
        s++;
        if (!is_digit(*s))
            return false;
        while (is_digit(*s))
            s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '-' || *s == '+')
            s++;
        if (!is_digit(*s))
            return false;
        while (is_digit(*s))
            s++;
    }
    return *s == '\0';
}

/* The shortest text that reads back as d, spelled as Python's repr (and so
 * zarr-python's JSON) spells it: fixed notation for exponents -4 to 15,
 * otherwise d.ddde+XX; always with a point or an exponent. */
static void shortest_double(char *buf, size_t cap, double d)
{
    char sci[40], digits[24], *p, *e;
    size_t nd = 0, o = 0;
    int prec, ex;

    for (prec = 0; prec < 17; prec++) {
        snprintf(sci, sizeof sci, "%.*e", prec, d);
        if (strtod(sci, NULL) == d)
            break;
    }
    /* sci is "-D.DDDe+XX": collect the digits and the exponent */
    p = sci;
    if (*p == '-')
        p++;
    e = strchr(p, 'e');
    for (; p < e; p++) {
        if (is_digit(*p) && nd < sizeof digits - 1)
            digits[nd++] = *p;
    }
    digits[nd] = '\0';
    ex = (int)strtol(e + 1, NULL, 10);
    while (nd > 1 && digits[nd - 1] == '0')
        digits[--nd] = '\0';
    if (signbit(d) && o + 1 < cap)
        buf[o++] = '-';
    if (ex >= -4 && ex < 16) {
        if (ex < 0) {
            o += (size_t)snprintf(buf + o, cap - o, "0.");
            for (int i = 0; i < -ex - 1 && o + 1 < cap; i++)
                buf[o++] = '0';
            snprintf(buf + o, cap - o, "%s", digits);
        } else {
            for (int i = 0; i <= ex && o + 1 < cap; i++)
                buf[o++] = (size_t)i < nd ? digits[i] : '0';
            if ((size_t)ex + 1 < nd)
                snprintf(buf + o, cap - o, ".%s", digits + ex + 1);
            else
                snprintf(buf + o, cap - o, ".0");
        }
    } else {
        snprintf(buf + o, cap - o, "%c%s%se%c%02d", digits[0], nd > 1 ? "." : "",
                 digits + 1, ex < 0 ? '-' : '+', ex < 0 ? -ex : ex);
    }
}

static int json_scalar(const yr *r, dt__buf *b, const yaml_node_t *n,
                       const char *what)
{
    char num[40], d[YR_SHOW_MAX + 40];
    ys_kind k = scalar_kind(n);
    ynum v;

    switch (k) {
    case YS_NULL:
        return dt__buf_puts(b, "null");
    case YS_BOOL:
        return dt__buf_puts(b, bool_value(n) ? "true" : "false");
    case YS_INT: {
        const char *s = stext(n), *p = s;
        bool neg = *p == '-';

        if (*p == '-' || *p == '+')
            p++;
        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
            parse_num(&v, s, YS_INT);
            if (v.big)
                return yr_fail(r, n, DT_EFORMAT,
                               "%s: the integer %s does not fit 64 bits", what,
                               shown(d, sizeof d, n));
            snprintf(num, sizeof num, "%s%" PRIu64, neg && v.mag ? "-" : "", v.mag);
            return dt__buf_puts(b, num);
        }
        /* decimal digits of any length stay exact; JSON has no '+' and no
         * leading zeros */
        while (p[0] == '0' && p[1])
            p++;
        if (neg)
            dt__buf_putc(b, '-');
        return dt__buf_puts(b, p);
    }
    case YS_FLOAT:
        if (json_number_syntax(stext(n)))
            return dt__buf_puts(b, stext(n));
        parse_num(&v, stext(n), YS_FLOAT);
        /* not JSON, but what Python's json module (zarr-python) writes */
        if (isnan(v.d))
            return dt__buf_puts(b, "NaN");
        if (isinf(v.d))
            return dt__buf_puts(b, v.d < 0 ? "-Infinity" : "Infinity");
        shortest_double(num, sizeof num, v.d);
        return dt__buf_puts(b, num);
    default:
        return json_string(b, stext(n), slen(n));
    }
}

static int json_emit(const yr *r, dt__buf *b, const yaml_node_t *n,
                     unsigned depth, const char *what)
{
    unsigned max = r->lim->max_depth ? r->lim->max_depth : YR_DEPTH_DEFAULT;
    int rc;

    if (max > YR_DEPTH_CEILING)
        max = YR_DEPTH_CEILING;
    if (depth > max)
        return yr_fail(r, n, DT_ELIMIT, "%s is nested more than %u levels deep",
                       what, max);
    if (b->len > dt__attr_cap(r->lim))
        return yr_fail(r, n, DT_ELIMIT,
                       "%s: the JSON text is over the limit of %" PRIu64 " bytes",
                       what, dt__attr_cap(r->lim));
    switch (n->type) {
    case YAML_SCALAR_NODE:
        rc = json_scalar(r, b, n, what);
        break;
    case YAML_SEQUENCE_NODE:
        dt__buf_putc(b, '[');
        for (size_t i = 0; i < seq_len(n); i++) {
            if (i)
                dt__buf_putc(b, ',');
            rc = json_emit(r, b, seq_item(r, n, i), depth + 1, what);
            if (rc < 0)
                return rc;
        }
        rc = dt__buf_putc(b, ']');
        break;
    case YAML_MAPPING_NODE:
        dt__buf_putc(b, '{');
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
             p < n->data.mapping.pairs.top; p++) {
            const yaml_node_t *k = node_at(r, p->key);
            char d[YR_SHOW_MAX + 40];

            if (!k || k->type != YAML_SCALAR_NODE)
                return yr_fail(r, k ? k : n, DT_EFORMAT,
                               "%s: a JSON object key must be a scalar, found %s",
                               what, k ? describe(d, sizeof d, k) : "nothing");
            if (p != n->data.mapping.pairs.start)
                dt__buf_putc(b, ',');
            json_string(b, stext(k), slen(k));
            dt__buf_putc(b, ':');
            rc = json_emit(r, b, node_at(r, p->value), depth + 1, what);
            if (rc < 0)
                return rc;
        }
        rc = dt__buf_putc(b, '}');
        break;
    default:
        return yr_fail(r, n, DT_EFORMAT, "%s: empty node", what);
    }
    if (rc < 0 || b->failed)
        return yr_locate(r, n, DT_ENOMEM);
    return DT_OK;
}

/* ---- attributes ---- */

static int load_attr(yr *r, dt_attrs *attrs, const yaml_node_t *key,
                     const char *name, const yaml_node_t *spec)
{
    yaml_node_t *tnode, *vnode, *snode;
    const char *tstr;
    char what[320], label[340], tn[32];
    uint64_t shape[64], total = 1, text_bytes = 0;
    size_t nshape = 0, es, n = 0;
    unsigned flags = 0;
    void *vals = NULL;
    dt_type t;
    int rc;

    snprintf(what, sizeof what, "attribute \"%.256s\"", name);
    if (dt_attrs_find(attrs, name))
        return yr_fail(r, key, DT_EFORMAT, "%s is listed twice", what);
    rc = expect_map(r, spec, what);
    if (rc < 0)
        return rc;
    rc = map_need(r, spec, "type", what, &tnode);
    if (rc == DT_OK)
        rc = map_need(r, spec, "value", what, &vnode);
    if (rc == DT_OK)
        rc = map_get(r, spec, "shape", &snode);
    if (rc < 0)
        return rc;
    snprintf(label, sizeof label, "%s: type", what);
    rc = get_str(r, tnode, label, &tstr);
    if (rc < 0)
        return rc;
    if (dt_type_parse(&t, tstr) < 0)
        return yr_fail(r, tnode, DT_EFORMAT, "%s: unknown type \"%s\"", what, tstr);
    if (snode && !is_null(snode)) {
        snprintf(label, sizeof label, "%s: shape", what);
        rc = get_u64_list(r, snode, label, shape, sizeof shape / sizeof *shape,
                          &nshape);
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < nshape; i++) {
            if (dt__mul_u64(&total, total, shape[i]))
                return yr_fail(r, snode, DT_EFORMAT, "%s: shape overflows 64 bits",
                               what);
        }
        if (nshape == 0)
            flags = DT_ATTR_SCALAR;
    }

    if (DT_TYPE_CLASS(t) == DT_JSON) {
        dt__buf b;
        char *text;

        dt__buf_init(&b);
        rc = json_emit(r, &b, vnode, 0, what);
        if (rc < 0) {
            dt__buf_free(&b);
            return rc;
        }
        if (b.len > dt__attr_cap(r->lim) || b.len > r->budget) {
            dt__buf_free(&b);
            return yr_fail(r, vnode, DT_ELIMIT,
                           "%s: the JSON text is over the limit of %" PRIu64 " bytes",
                           what, dt__attr_cap(r->lim));
        }
        r->budget -= b.len;
        text = dt__buf_take(&b);
        if (!text)
            return yr_locate(r, vnode, DT_ENOMEM);
        /* one JSON value, whatever its shape */
        rc = dt__attrs_set_raw(attrs, name, t, 1, text, DT_ATTR_SCALAR);
        free(text);
        return rc < 0 ? yr_locate(r, key, rc) : DT_OK;
    }

    es = dt_type_size(t);
    if (is_null(vnode)) {
        n = 0;    /* no values (compound, opaque, vlen print null) */
    } else if (DT_TYPE_CLASS(t) == DT_CHAR && vnode->type == YAML_SCALAR_NODE) {
        /* one string; its bytes are the values */
        if (slen(vnode) > dt__attr_cap(r->lim))
            return yr_fail(r, vnode, DT_ELIMIT,
                           "%s: %zu bytes of text are over the limit of %" PRIu64
                           " bytes", what, slen(vnode), dt__attr_cap(r->lim));
        vals = yr_alloc(r, vnode, slen(vnode) + 1, 1, what);
        if (!vals)
            return dt_error_last()->code;
        rc = put_text(r, vnode, t, vals, slen(vnode) + 1, &n, what, SIZE_MAX);
        if (rc < 0)
            goto out;
    } else {
        elist el;

        elems_of(r, vnode, t, &el);
        n = el.n;
        if (n > 0 && es == 0) {
            rc = yr_fail(r, vnode, DT_ETYPE, "%s: %s values cannot be given",
                         what, tname(tn, sizeof tn, t));
            goto out;
        }
        if (n > 0) {
            if ((uint64_t)n > dt__attr_cap(r->lim) / es) {
                rc = yr_fail(r, vnode, DT_ELIMIT,
                             "%s: %zu values of %zu bytes are over the limit of "
                             "%" PRIu64 " bytes", what, n, es,
                             dt__attr_cap(r->lim));
                goto out;
            }
            vals = yr_alloc(r, vnode, n, es, what);
            if (!vals)
                return dt_error_last()->code;
        }
        for (size_t i = 0; i < n; i++) {
            const yaml_node_t *e = elem_at(r, &el, i);

            rc = put_elem(r, e, t, (char *)vals + i * es, what, el.one ? SIZE_MAX : i);
            if (rc < 0)
                goto out;
            /* strings count their text too */
            if (DT_TYPE_CLASS(t) == DT_STRING) {
                text_bytes += slen(e);
                if (text_bytes > dt__attr_cap(r->lim)) {
                    rc = yr_fail(r, e, DT_ELIMIT,
                                 "%s: the strings are over the limit of %" PRIu64
                                 " bytes", what, dt__attr_cap(r->lim));
                    goto out;
                }
            }
        }
    }
    if (snode && !is_null(snode) && total != n) {
        rc = yr_fail(r, snode, DT_EFORMAT,
                     "%s: the shape holds %" PRIu64 " values, the value has %zu",
                     what, total, n);
        goto out;
    }
    rc = dt__attrs_set_raw(attrs, name, t, n, vals, flags);
    if (rc == DT_OK && nshape > 1)
        rc = dt__attr_set_shape(attrs, name, nshape, shape);
    if (rc < 0)
        rc = yr_locate(r, key, rc);
out:
    free(vals);
    return rc;
}

static int load_attrs(yr *r, dt_attrs *attrs, const yaml_node_t *m)
{
    int rc;

    if (is_null(m))
        return DT_OK;
    rc = expect_map(r, m, "attrs");
    if (rc < 0)
        return rc;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
         p < m->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = node_at(r, p->key);
        const char *name;

        rc = key_name(r, k, "attribute", &name);
        if (rc == DT_OK)
            rc = load_attr(r, attrs, k, name, node_at(r, p->value));
        if (rc < 0)
            return rc;
    }
    return DT_OK;
}

/* ---- variables ---- */

static int load_values(yr *r, dt_var *var, dt_type t, const yaml_node_t *v)
{
    size_t es = dt_type_size(t), n;
    uint64_t want;
    char tn[32];
    void *buf = NULL;
    elist el;
    int rc;

    rc = dt_var_nelems(&want, var);
    if (rc < 0)
        return yr_locate(r, v, rc);
    elems_of(r, v, t, &el);
    if ((uint64_t)el.n != want) {
        if (el.seq)
            return yr_fail(r, v, DT_EFORMAT,
                           "\"values\" has %zu elements, the shape holds %" PRIu64,
                           el.n, want);
        return yr_fail(r, v, DT_EFORMAT,
                       "\"values\" is one element, the shape holds %" PRIu64, want);
    }
    n = el.n;
    if (es == 0)
        return yr_fail(r, v, DT_ETYPE, "a %s variable cannot have values",
                       tname(tn, sizeof tn, t));
    buf = yr_alloc(r, v, n, es, "values");
    if (!buf)
        return dt_error_last()->code;
    for (size_t i = 0; i < n; i++) {
        rc = put_elem(r, elem_at(r, &el, i), t, (char *)buf + i * es, "values",
                      el.one ? SIZE_MAX : i);
        if (rc < 0)
            goto out;
    }
    rc = dt_var_set_data(var, t, buf, n);
    if (rc < 0)
        rc = yr_locate(r, v, rc);
out:
    free(buf);
    return rc;
}

static int load_fill(yr *r, dt_var *var, dt_type t, const yaml_node_t *v)
{
    size_t es = dt_type_size(t);
    char tn[32];
    void *buf;
    int rc;

    if (es == 0)
        return yr_fail(r, v, DT_ETYPE, "a %s variable cannot have a fill value",
                       tname(tn, sizeof tn, t));
    buf = yr_alloc(r, v, 1, es, "fill_value");
    if (!buf)
        return dt_error_last()->code;
    /* one element of the variable's type; for strings a `char *` */
    rc = put_elem(r, v, t, buf, "fill_value", SIZE_MAX);
    if (rc == DT_OK) {
        rc = dt_var_set_fill(var, buf);
        if (rc < 0)
            rc = yr_locate(r, v, rc);
    }
    free(buf);
    return rc;
}

static int load_enum(yr *r, dt_var *var, dt_type t, const yaml_node_t *m)
{
    uint32_t base = DT_TYPE_PARAM(t);
    char tn[32], what[320];
    int rc;

    if (DT_TYPE_CLASS(t) != DT_ENUM)
        return yr_fail(r, m, DT_EFORMAT, "\"enum\" is given but the dtype is %s",
                       tname(tn, sizeof tn, t));
    rc = expect_map(r, m, "enum");
    if (rc < 0)
        return rc;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
         p < m->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = node_at(r, p->key), *v = node_at(r, p->value);
        const char *name;
        unsigned char raw[8];
        int64_t value;

        rc = key_name(r, k, "enum member", &name);
        if (rc < 0)
            return rc;
        snprintf(what, sizeof what, "enum member \"%.256s\"", name);
        rc = put_number(r, v, t, base, raw, what, SIZE_MAX);
        if (rc < 0)
            return rc;
        switch (base) {
        case DT_INT8: { int8_t x; memcpy(&x, raw, 1); value = x; break; }
        case DT_INT16: { int16_t x; memcpy(&x, raw, 2); value = x; break; }
        case DT_INT32: { int32_t x; memcpy(&x, raw, 4); value = x; break; }
        case DT_INT64: memcpy(&value, raw, 8); break;
        case DT_UINT8: value = raw[0]; break;
        case DT_UINT16: { uint16_t x; memcpy(&x, raw, 2); value = x; break; }
        case DT_UINT32: { uint32_t x; memcpy(&x, raw, 4); value = x; break; }
        default: {
            uint64_t x;

            memcpy(&x, raw, 8);
            if (x > INT64_MAX)
                return yr_fail(r, v, DT_EFORMAT,
                               "%s: %" PRIu64 " is over the largest enum value %" PRId64,
                               what, x, INT64_MAX);
            value = (int64_t)x;
        }
        }
        rc = dt_var_add_enum_member(var, name, value);
        if (rc < 0)
            return yr_locate(r, k, rc);
    }
    return DT_OK;
}

static int load_var(yr *r, dt_node *node, const yaml_node_t *key,
                    const char *name, const yaml_node_t *spec)
{
    yaml_node_t *n_dtype, *n_shape, *n_dims, *n_chunks, *n_codecs, *n_fill,
                *n_attrs, *n_order, *n_enum, *n_coord, *n_values, *n_inner;
    uint64_t *shape = NULL, *chunks = NULL;
    const char **dims = NULL, *tstr;
    size_t ndim = 0, nchunks = 0;
    char *gpath = NULL;
    dt_var *var = NULL;
    dt_type t;
    int rc;

    rc = dt_node_path(&gpath, node);
    if (rc < 0)
        return yr_locate(r, key, rc);
    rc = yr_set_where(r, dt__aprintf("%s%s%s", gpath, gpath[1] ? "/" : "", name));
    free(gpath);
    if (rc < 0)
        return rc;
    rc = expect_map(r, spec, "a variable");
    if (rc < 0)
        return rc;

    rc = map_need(r, spec, "dtype", "the variable", &n_dtype);
    if (rc == DT_OK)
        rc = map_need(r, spec, "shape", "the variable", &n_shape);
    if (rc == DT_OK)
        rc = map_need(r, spec, "dims", "the variable", &n_dims);
    if (rc == DT_OK)
        rc = map_get(r, spec, "chunks", &n_chunks);
    if (rc == DT_OK)
        rc = map_get(r, spec, "codecs", &n_codecs);
    if (rc == DT_OK)
        rc = map_get(r, spec, "inner_chunks", &n_inner);
    if (rc == DT_OK)
        rc = map_get(r, spec, "fill_value", &n_fill);
    if (rc == DT_OK)
        rc = map_get(r, spec, "attrs", &n_attrs);
    if (rc == DT_OK)
        rc = map_get(r, spec, "byteorder", &n_order);
    if (rc == DT_OK)
        rc = map_get(r, spec, "enum", &n_enum);
    if (rc == DT_OK)
        rc = map_get(r, spec, "coord", &n_coord);
    if (rc == DT_OK)
        rc = map_get(r, spec, "values", &n_values);
    if (rc == DT_OK)
        rc = get_str(r, n_dtype, "dtype", &tstr);
    if (rc < 0)
        return rc;
    if (dt_type_parse(&t, tstr) < 0)
        return yr_fail(r, n_dtype, DT_EFORMAT, "unknown dtype \"%s\"", tstr);

    /* shape and dims */
    rc = expect_seq(r, n_shape, "shape");
    if (rc < 0)
        return rc;
    ndim = seq_len(n_shape);
    if (ndim > r->lim->max_rank)
        return yr_fail(r, n_shape, DT_ELIMIT, "shape has %zu dimensions, the limit is %"
                       PRIu32, ndim, r->lim->max_rank);
    shape = dt__calloc(ndim ? ndim : 1, sizeof *shape);
    chunks = dt__calloc(ndim ? ndim : 1, sizeof *chunks);
    dims = dt__calloc(ndim ? ndim : 1, sizeof *dims);
    if (!shape || !chunks || !dims) {
        rc = yr_locate(r, spec, DT_ENOMEM);
        goto out;
    }
    rc = get_u64_list(r, n_shape, "shape", shape, ndim, &ndim);
    if (rc < 0)
        goto out;
    rc = expect_seq(r, n_dims, "dims");
    if (rc < 0)
        goto out;
    if (seq_len(n_dims) != ndim) {
        rc = yr_fail(r, n_dims, DT_EFORMAT, "dims has %zu names, shape has %zu sizes",
                     seq_len(n_dims), ndim);
        goto out;
    }
    for (size_t i = 0; i < ndim; i++) {
        rc = get_str(r, seq_item(r, n_dims, i), "a dimension name", &dims[i]);
        if (rc < 0)
            goto out;
        /* the model spec forbids it; say so as a document error */
        for (size_t j = 0; j < i; j++) {
            if (strcmp(dims[i], dims[j]) == 0) {
                rc = yr_fail(r, seq_item(r, n_dims, i), DT_EFORMAT,
                             "dims names \"%s\" twice", dims[i]);
                goto out;
            }
        }
    }
    rc = dt_node_add_var(&var, node, name, t, ndim, dims, shape);
    if (rc < 0) {
        rc = yr_locate(r, key, rc);
        goto out;
    }

    /* encoding */
    if (n_order && !is_null(n_order)) {
        const char *order;

        rc = get_str(r, n_order, "byteorder", &order);
        if (rc < 0)
            goto out;
        if (strcmp(order, "big") != 0 && strcmp(order, "little") != 0) {
            rc = yr_fail(r, n_order, DT_EFORMAT,
                         "byteorder is \"%s\", expected \"big\" or \"little\"", order);
            goto out;
        }
        rc = dt_var_set_big_endian(var, order[0] == 'b');
        if (rc < 0) {
            rc = yr_locate(r, n_order, rc);
            goto out;
        }
    }
    if (n_chunks && !is_null(n_chunks)) {
        rc = expect_seq(r, n_chunks, "chunks");
        if (rc < 0)
            goto out;
        if (seq_len(n_chunks) != ndim) {
            rc = yr_fail(r, n_chunks, DT_EFORMAT,
                         "chunks has %zu sizes, shape has %zu", seq_len(n_chunks), ndim);
            goto out;
        }
        rc = get_u64_list(r, n_chunks, "chunks", chunks, ndim, &nchunks);
        if (rc < 0)
            goto out;
        for (size_t i = 0; i < nchunks; i++) {
            if (chunks[i] == 0) {
                rc = yr_fail(r, seq_item(r, n_chunks, i), DT_EFORMAT,
                             "chunks[%zu] is 0, a chunk size is at least 1", i);
                goto out;
            }
        }
        rc = dt_var_set_chunks(var, chunks);
        if (rc < 0) {
            rc = yr_locate(r, n_chunks, rc);
            goto out;
        }
    }
    if (n_inner && !is_null(n_inner)) {
        /* a sharded Zarr array's inner chunks (its chunks are the shards) */
        rc = expect_seq(r, n_inner, "inner_chunks");
        if (rc == DT_OK && seq_len(n_inner) != ndim)
            rc = yr_fail(r, n_inner, DT_EFORMAT, "inner_chunks has %zu sizes, shape has %zu",
                         seq_len(n_inner), ndim);
        if (rc == DT_OK)
            rc = get_u64_list(r, n_inner, "inner_chunks", chunks, ndim, &nchunks);
        for (size_t i = 0; rc == DT_OK && i < nchunks; i++) {
            if (chunks[i] == 0)
                rc = yr_fail(r, seq_item(r, n_inner, i), DT_EFORMAT,
                             "inner_chunks[%zu] is 0, a chunk size is at least 1", i);
        }
        if (rc == DT_OK) {
            rc = dt__var_set_inner_chunks(var, chunks);
            if (rc < 0)
                rc = yr_locate(r, n_inner, rc);
        }
        if (rc < 0)
            goto out;
    }
    if (n_codecs && !is_null(n_codecs)) {
        rc = expect_seq(r, n_codecs, "codecs");
        for (size_t i = 0; rc == DT_OK && i < seq_len(n_codecs); i++) {
            const yaml_node_t *c = seq_item(r, n_codecs, i);
            const char *codec;

            rc = get_str(r, c, "a codec", &codec);
            if (rc == DT_OK) {
                rc = dt_var_add_codec(var, codec);
                if (rc < 0)
                    rc = yr_locate(r, c, rc);
            }
        }
        if (rc < 0)
            goto out;
    }
    if (n_enum && !is_null(n_enum)) {
        rc = load_enum(r, var, t, n_enum);
        if (rc < 0)
            goto out;
    }
    if (n_coord && !is_null(n_coord)) {
        int is_coord;

        /* coord: false is the default; index variables are coordinates
         * whatever it says */
        rc = get_bool(r, n_coord, "coord", &is_coord);
        if (rc == DT_OK && is_coord) {
            rc = dt_var_set_coord(var, is_coord);
            if (rc < 0)
                rc = yr_locate(r, n_coord, rc);
        }
        if (rc < 0)
            goto out;
    }
    if (n_fill && !is_null(n_fill)) {
        rc = load_fill(r, var, t, n_fill);
        if (rc < 0)
            goto out;
    }
    if (n_attrs) {
        rc = load_attrs(r, dt_var_attrs(var), n_attrs);
        if (rc < 0)
            goto out;
    }
    if (n_values && !is_null(n_values)) {
        rc = load_values(r, var, t, n_values);
        if (rc < 0)
            goto out;
    }
    rc = DT_OK;
out:
    free(shape);
    free(chunks);
    free(dims);
    return rc;
}

/* ---- groups ---- */

static int load_dims(yr *r, dt_node *node, const yaml_node_t *m)
{
    int rc;

    if (is_null(m))
        return DT_OK;
    rc = expect_map(r, m, "dims");
    if (rc < 0)
        return rc;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
         p < m->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = node_at(r, p->key), *v = node_at(r, p->value);
        const char *name;
        char what[320];
        uint64_t size;
        int unlimited = 0;

        rc = key_name(r, k, "dimension", &name);
        if (rc < 0)
            return rc;
        snprintf(what, sizeof what, "dimension \"%.256s\"", name);
        if (v->type == YAML_MAPPING_NODE) {
            yaml_node_t *n_size, *n_unlim;

            rc = map_need(r, v, "size", what, &n_size);
            if (rc == DT_OK)
                rc = map_get(r, v, "unlimited", &n_unlim);
            if (rc == DT_OK)
                rc = get_u64(r, n_size, what, &size);
            if (rc == DT_OK && n_unlim && !is_null(n_unlim))
                rc = get_bool(r, n_unlim, "unlimited", &unlimited);
        } else {
            rc = get_u64(r, v, what, &size);
        }
        if (rc < 0)
            return rc;
        rc = dt_node_add_dim(node, name, size, unlimited);
        if (rc < 0)
            return yr_locate(r, k, rc);
    }
    return DT_OK;
}

static int load_group(yr *r, dt_tree *tree, const yaml_node_t *key,
                      const yaml_node_t *spec)
{
    yaml_node_t *n_dims, *n_attrs, *n_vars;
    const char *gpath;
    char *canon = NULL;
    dt_node *node;
    int rc;

    rc = key_name(r, key, "group", &gpath);
    if (rc < 0)
        return rc;
    rc = yr_set_where(r, dt__strdup(gpath));
    if (rc < 0)
        return rc;
    if (gpath[0] != '/')
        return yr_fail(r, key, DT_EFORMAT,
                       "groups are listed by absolute path, \"%s\" does not start "
                       "with '/'", gpath);
    if (gpath[strspn(gpath, "/")] == '\0') {
        node = dt_tree_root(tree);
    } else {
        rc = dt_node_create(&node, dt_tree_root(tree), gpath,
                            DT_CREATE_PARENTS | DT_CREATE_EXISTING);
        if (rc < 0)
            return yr_locate(r, key, rc);
    }
    rc = dt_node_path(&canon, node);
    if (rc < 0)
        return yr_locate(r, key, rc);
    rc = yr_set_where(r, canon);
    if (rc < 0)
        return rc;
    if (is_null(spec))
        return DT_OK;
    rc = expect_map(r, spec, "a group");
    if (rc == DT_OK)
        rc = map_get(r, spec, "dims", &n_dims);
    if (rc == DT_OK)
        rc = map_get(r, spec, "attrs", &n_attrs);
    if (rc == DT_OK)
        rc = map_get(r, spec, "vars", &n_vars);
    if (rc < 0)
        return rc;
    /* dims first: variables name them and take their unlimited flag */
    if (n_dims) {
        rc = load_dims(r, node, n_dims);
        if (rc < 0)
            return rc;
    }
    if (n_attrs) {
        rc = load_attrs(r, dt_node_attrs(node), n_attrs);
        if (rc < 0)
            return rc;
    }
    if (n_vars && !is_null(n_vars)) {
        rc = expect_map(r, n_vars, "vars");
        if (rc < 0)
            return rc;
        for (yaml_node_pair_t *p = n_vars->data.mapping.pairs.start;
             p < n_vars->data.mapping.pairs.top; p++) {
            const yaml_node_t *k = node_at(r, p->key);
            const char *name;

            rc = key_name(r, k, "variable", &name);
            if (rc == DT_OK)
                rc = load_var(r, node, k, name, node_at(r, p->value));
            if (rc < 0)
                return rc;
            /* later messages about the group name the group again */
            rc = dt_node_path(&canon, node);
            if (rc == DT_OK)
                rc = yr_set_where(r, canon);
            if (rc < 0)
                return rc;
        }
    }
    return DT_OK;
}

static int load_document(yr *r, dt_tree *tree)
{
    yaml_node_t *root = yaml_document_get_root_node(r->doc), *n_format, *n_files,
                *entry, *n_groups;
    const char *format;
    int rc;

    if (!root)
        return yr_fail(r, NULL, DT_EFORMAT,
                       "the file holds no YAML document (expected "
                       "\"format: %s\")", YR_FORMAT_NAME);
    rc = expect_map(r, root, "the document");
    if (rc == DT_OK)
        rc = map_need(r, root, "format", "the document", &n_format);
    if (rc == DT_OK)
        rc = get_str(r, n_format, "format", &format);
    if (rc < 0)
        return rc;
    if (strcmp(format, YR_FORMAT_NAME) != 0)
        return yr_fail(r, n_format, DT_EFORMAT, "format is \"%s\", expected \"%s\"",
                       format, YR_FORMAT_NAME);
    rc = map_need(r, root, "files", "the document", &n_files);
    if (rc == DT_OK)
        rc = expect_seq(r, n_files, "files");
    if (rc < 0)
        return rc;
    if (seq_len(n_files) == 0)
        return yr_fail(r, n_files, DT_EFORMAT, "files is empty, expected one entry");
    /* the tree is the first entry's; a manifest of several files lists the
     * others for the tools, not for us */
    entry = seq_item(r, n_files, 0);
    rc = expect_map(r, entry, "files[0]");
    if (rc == DT_OK)
        rc = map_need(r, entry, "groups", "files[0]", &n_groups);
    if (rc < 0)
        return rc;
    if (is_null(n_groups))
        return DT_OK;
    rc = expect_map(r, n_groups, "groups");
    if (rc < 0)
        return rc;
    for (yaml_node_pair_t *p = n_groups->data.mapping.pairs.start;
         p < n_groups->data.mapping.pairs.top; p++) {
        rc = load_group(r, tree, node_at(r, p->key), node_at(r, p->value));
        if (rc < 0)
            return rc;
    }
    return DT_OK;
}

/* ---- files ---- */

static int slurp(const yr *r, char **out, size_t *len)
{
    dt__buf b;
    char chunk[65536];
    FILE *fp;
    int rc = DT_OK;

    *out = NULL;
    *len = 0;
    fp = fopen(r->file, "rb");
    if (!fp) {
        int e = errno;

        return dt__fail_at(e == ENOENT ? DT_ENOTFOUND : DT_EIO, r->file, NULL,
                           "cannot open: %s", strerror(e));
    }
    dt__buf_init(&b);
    for (;;) {
        size_t got = fread(chunk, 1, sizeof chunk, fp);

        if (got == 0)
            break;
        if (b.len + got > r->lim->max_alloc) {
            rc = dt__fail_at(DT_ELIMIT, r->file, NULL,
                             "the document is over the limit of %" PRIu64 " bytes",
                             r->lim->max_alloc);
            goto out;
        }
        if (dt__buf_append(&b, chunk, got) < 0) {
            rc = dt__err_locate(DT_ENOMEM, r->file, NULL);
            goto out;
        }
    }
    if (ferror(fp)) {
        rc = dt__fail_at(DT_EIO, r->file, NULL, "read error: %s", strerror(errno));
        goto out;
    }
    *len = b.len;
    *out = dt__buf_take(&b);
    if (!*out)
        rc = dt__err_locate(DT_ENOMEM, r->file, NULL);
out:
    fclose(fp);
    dt__buf_free(&b);
    return rc;
}

static int parse_error(const yr *r, const yaml_parser_t *p)
{
    const char *problem = p->problem ? p->problem : "unknown problem";

    switch (p->error) {
    case YAML_MEMORY_ERROR:
        return dt__fail_at(DT_ENOMEM, r->file, NULL, "out of memory parsing YAML");
    case YAML_READER_ERROR:
        return dt__fail_at(DT_EFORMAT, r->file, NULL,
                           "byte %zu: not a YAML text: %s", p->problem_offset,
                           problem);
    default:
        if (p->context)
            return dt__fail_at(DT_EFORMAT, r->file, NULL,
                               "line %lu, column %lu: YAML syntax error: %s %s "
                               "(line %lu)",
                               (unsigned long)p->problem_mark.line + 1,
                               (unsigned long)p->problem_mark.column + 1,
                               problem, p->context,
                               (unsigned long)p->context_mark.line + 1);
        return dt__fail_at(DT_EFORMAT, r->file, NULL,
                           "line %lu, column %lu: YAML syntax error: %s",
                           (unsigned long)p->problem_mark.line + 1,
                           (unsigned long)p->problem_mark.column + 1, problem);
    }
}

/* text NULL: read the file at path; else the document is text (len bytes)
 * and path only names it. */
static int yaml_open(dt_tree **out, const char *path, const char *text, size_t len_in,
                     const dt_open_opts *opts)
{
    const dt_open_opts defaults = DT_OPEN_OPTS_INIT;
    yaml_parser_t parser;
    yaml_document_t doc;
    bool have_parser = false, have_doc = false;
    locale_t c_numeric, saved = (locale_t)0;
    dt_tree *tree = NULL;
    char *data = NULL;
    size_t len = 0;
    yr r;
    int rc;

    if (!out)
        return dt__fail(DT_EINVAL, "dt__yaml_open: out is NULL");
    *out = NULL;
    if (!path)
        return dt__fail(DT_EINVAL, "dt__yaml_open: path is NULL");
    if (!opts)
        opts = &defaults;
    memset(&r, 0, sizeof r);
    r.file = path;
    r.lim = &opts->limits;
    r.budget = opts->limits.max_alloc;

    /* strtod and printf follow LC_NUMERIC; the document's numbers do not */
    c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (c_numeric)
        saved = uselocale(c_numeric);

    if (text) {
        if (len_in > r.lim->max_alloc) {
            rc = dt__fail_at(DT_ELIMIT, path, NULL,
                             "the document is over the limit of %" PRIu64 " bytes",
                             r.lim->max_alloc);
            goto out;
        }
        data = dt__malloc(len_in + 1);
        if (!data) {
            rc = dt__err_locate(DT_ENOMEM, path, NULL);
            goto out;
        }
        memcpy(data, text, len_in);
        data[len_in] = '\0';
        len = len_in;
    } else {
        rc = slurp(&r, &data, &len);
        if (rc < 0)
            goto out;
    }
    if (!yaml_parser_initialize(&parser)) {
        rc = dt__fail_at(DT_ENOMEM, path, NULL, "out of memory starting the YAML parser");
        goto out;
    }
    have_parser = true;
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = parse_error(&r, &parser);
        goto out;
    }
    have_doc = true;
    r.doc = &doc;

    rc = dt_tree_new(&tree);
    if (rc < 0)
        goto out;
    rc = dt__tree_begin_load(tree, opts, DT_FORMAT_YAML, path);
    if (rc < 0) {
        rc = dt__err_locate(rc, path, NULL);
        goto out;
    }
    rc = load_document(&r, tree);
    if (rc < 0)
        goto out;
    rc = dt__tree_end_load(tree);
    if (rc < 0) {
        rc = dt__err_locate(rc, path, NULL);
        goto out;
    }
    *out = tree;
    tree = NULL;
out:
    dt_tree_free(tree);
    free(r.where);
    if (have_doc)
        yaml_document_delete(&doc);
    if (have_parser)
        yaml_parser_delete(&parser);
    free(data);
    if (c_numeric) {
        uselocale(saved);
        freelocale(c_numeric);
    }
    return rc;
}

int dt__yaml_open(dt_tree **out, const char *path, const dt_open_opts *opts)
{
    return yaml_open(out, path, NULL, 0, opts);
}

int dt__yaml_open_mem(dt_tree **out, const char *name, const char *text, size_t len,
                      const dt_open_opts *opts)
{
    if (!text) {
        if (out)
            *out = NULL;
        return dt__fail(DT_EINVAL, "dt__yaml_open_mem: text is NULL");
    }
    return yaml_open(out, name, text, len, opts);
}
