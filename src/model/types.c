/* types.c: element types: sizes, manifest names, and conversion between
 * memory types. */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static const char *const class_names[DT__TYPE_COUNT] = {
    [DT_BOOL] = "bool", [DT_INT8] = "int8", [DT_INT16] = "int16",
    [DT_INT32] = "int32", [DT_INT64] = "int64", [DT_UINT8] = "uint8",
    [DT_UINT16] = "uint16", [DT_UINT32] = "uint32", [DT_UINT64] = "uint64",
    [DT_FLOAT16] = "float16", [DT_FLOAT32] = "float32",
    [DT_FLOAT64] = "float64", [DT_COMPLEX64] = "complex64",
    [DT_COMPLEX128] = "complex128", [DT_STRING] = "string",
    [DT_CHAR] = "char", [DT_BYTES] = "bytes", [DT_UNICODE] = "unicode",
    [DT_ENUM] = "enum", [DT_JSON] = "json", [DT_COMPOUND] = "compound",
    [DT_OPAQUE] = "opaque", [DT_VLEN] = "vlen",
};

static bool is_int_class(uint32_t c)
{
    return c >= DT_INT8 && c <= DT_UINT64;
}

bool dt__type_valid(dt_type t)
{
    uint32_t c = DT_TYPE_CLASS(t), p = DT_TYPE_PARAM(t);

    if (c == DT_NONE || c >= DT__TYPE_COUNT)
        return false;
    if (c == DT_BYTES || c == DT_UNICODE)
        return p > 0 && p <= DT__FIXED_STRING_MAX;
    if (c == DT_ENUM)
        return is_int_class(p);
    if (c == DT_VLEN) /* the base class, or 0 when unknown */
        return p < DT_ENUM;
    return p == 0;
}

bool dt__type_is_integer(dt_type t)
{
    uint32_t c = DT_TYPE_CLASS(t);

    return is_int_class(c) || c == DT_ENUM || c == DT_BOOL;
}

bool dt__type_is_numeric(dt_type t)
{
    uint32_t c = DT_TYPE_CLASS(t);

    return dt__type_is_integer(t) || (c >= DT_FLOAT16 && c <= DT_COMPLEX128);
}

size_t dt_type_size(dt_type t)
{
    if (!dt__type_valid(t))
        return 0;
    switch (DT_TYPE_CLASS(t)) {
    case DT_BOOL: case DT_INT8: case DT_UINT8: case DT_CHAR: return 1;
    case DT_INT16: case DT_UINT16: case DT_FLOAT16: return 2;
    case DT_INT32: case DT_UINT32: case DT_FLOAT32: return 4;
    case DT_INT64: case DT_UINT64: case DT_FLOAT64: case DT_COMPLEX64: return 8;
    case DT_COMPLEX128: return 16;
    case DT_STRING: case DT_JSON: return sizeof(char *);
    case DT_BYTES: return DT_TYPE_PARAM(t);
    case DT_UNICODE: return 4 * (size_t)DT_TYPE_PARAM(t);
    case DT_ENUM: return dt_type_size(DT_TYPE_PARAM(t));
    default: return 0;
    }
}

int dt_type_name(char *buf, size_t bufsize, dt_type t)
{
    uint32_t c = DT_TYPE_CLASS(t);
    int n;

    if (!dt__type_valid(t))
        return dt__fail(DT_EINVAL, "invalid type code 0x%" PRIx32, t);
    if (c == DT_BYTES || c == DT_UNICODE)
        n = snprintf(buf, bufsize, "%s%" PRIu32, class_names[c], DT_TYPE_PARAM(t));
    else if (c == DT_ENUM || (c == DT_VLEN && DT_TYPE_PARAM(t)))
        n = snprintf(buf, bufsize, "%s(%s)", class_names[c], class_names[DT_TYPE_PARAM(t)]);
    else
        n = snprintf(buf, bufsize, "%s", class_names[c]);
    if (n < 0 || (size_t)n >= bufsize)
        return dt__fail(DT_EINVAL, "type name does not fit in %zu bytes", bufsize);
    return DT_OK;
}

int dt_type_parse(dt_type *out, const char *name)
{
    size_t len = strlen(name);

    *out = DT_NONE;
    for (uint32_t c = 1; c < DT__TYPE_COUNT; c++) {
        const char *cn = class_names[c];
        size_t cl = strlen(cn);

        if (c == DT_BYTES || c == DT_UNICODE) {
            char *end;
            unsigned long w;

            if (len <= cl || strncmp(name, cn, cl) != 0 ||
                name[cl] < '1' || name[cl] > '9')
                continue;
            w = strtoul(name + cl, &end, 10);
            if (*end || w > DT__FIXED_STRING_MAX)
                break;
            *out = c == DT_BYTES ? DT_BYTES_N(w) : DT_UNICODE_N(w);
            return DT_OK;
        }
        if (c == DT_ENUM || c == DT_VLEN) {
            /* "enum(int8)", "vlen(int32)": the base class in parentheses */
            if (len > cl + 2 && strncmp(name, cn, cl) == 0 && name[cl] == '(' &&
                name[len - 1] == ')') {
                uint32_t last = c == DT_ENUM ? DT_UINT64 : DT_STRING;

                for (uint32_t b = c == DT_ENUM ? DT_INT8 : DT_BOOL; b <= last; b++) {
                    if (strlen(class_names[b]) == len - cl - 2 &&
                        strncmp(name + cl + 1, class_names[b], len - cl - 2) == 0) {
                        *out = (dt_type)(c | (b << 8));
                        return DT_OK;
                    }
                }
            }
            if (c == DT_VLEN && strcmp(name, cn) == 0) {
                *out = DT_VLEN;
                return DT_OK;
            }
            continue;
        }
        if (strcmp(name, cn) == 0) {
            *out = c;
            return DT_OK;
        }
    }
    return dt__fail(DT_EINVAL, "unknown type \"%s\"", name);
}

/* IEEE half precision to and from single precision, round to nearest even. */
float dt__half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f,
             man = h & 0x3ff, bits;
    float f;

    if (exp == 0) {
        f = ldexpf((float)man, -24);
        return sign ? -f : f;
    }
    if (exp == 31)
        bits = sign | 0x7f800000u | (man << 13);
    else
        bits = sign | ((exp + 112) << 23) | (man << 13);
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t dt__half_from_float(float f)
{
    uint32_t x, sign, man;
    int exp;

    memcpy(&x, &f, 4);
    sign = (x >> 16) & 0x8000;
    exp = (int)((x >> 23) & 0xff);
    man = x & 0x7fffff;
    if (exp == 255)
        return (uint16_t)(sign | 0x7c00 | (man ? 0x200 | (man >> 13) : 0));
    exp -= 112;
    if (exp >= 31)
        return (uint16_t)(sign | 0x7c00);
    if (exp <= 0) {
        uint32_t m, shift, half, rem, r;

        if (exp < -10)
            return (uint16_t)sign;
        m = man | 0x800000;
        shift = (uint32_t)(14 - exp);
        r = m >> shift;
        rem = m & ((1u << shift) - 1);
        half = 1u << (shift - 1);
        if (rem > half || (rem == half && (r & 1)))
            r++;
        return (uint16_t)(sign | r);
    }
    {
        uint32_t r = ((uint32_t)exp << 10) | (man >> 13), rem = man & 0x1fff;

        if (rem > 0x1000 || (rem == 0x1000 && (r & 1)))
            r++;
        return (uint16_t)(sign | r);
    }
}

typedef enum { K_SIGNED, K_UNSIGNED, K_FLOAT } num_kind;

typedef struct num {
    num_kind kind;
    int64_t i;
    uint64_t u;
    double f;
} num;

static uint32_t base_class(dt_type t)
{
    uint32_t c = DT_TYPE_CLASS(t);

    return c == DT_ENUM ? DT_TYPE_PARAM(t) : c;
}

static num load_num(const void *p, uint32_t c)
{
    num v = {K_SIGNED, 0, 0, 0.0};

    switch (c) {
    case DT_BOOL: v.kind = K_UNSIGNED; v.u = *(const uint8_t *)p != 0; break;
    case DT_INT8: v.i = *(const int8_t *)p; break;
    case DT_INT16: { int16_t x; memcpy(&x, p, 2); v.i = x; break; }
    case DT_INT32: { int32_t x; memcpy(&x, p, 4); v.i = x; break; }
    case DT_INT64: memcpy(&v.i, p, 8); break;
    case DT_UINT8: v.kind = K_UNSIGNED; v.u = *(const uint8_t *)p; break;
    case DT_UINT16: { uint16_t x; memcpy(&x, p, 2); v.kind = K_UNSIGNED; v.u = x; break; }
    case DT_UINT32: { uint32_t x; memcpy(&x, p, 4); v.kind = K_UNSIGNED; v.u = x; break; }
    case DT_UINT64: v.kind = K_UNSIGNED; memcpy(&v.u, p, 8); break;
    case DT_FLOAT16: { uint16_t x; memcpy(&x, p, 2); v.kind = K_FLOAT; v.f = dt__half_to_float(x); break; }
    case DT_FLOAT32: { float x; memcpy(&x, p, 4); v.kind = K_FLOAT; v.f = x; break; }
    case DT_FLOAT64: v.kind = K_FLOAT; memcpy(&v.f, p, 8); break;
    default: break;
    }
    return v;
}

/* Range-checked store of one number; DT_ERANGE when it does not fit. */
static int store_num(void *p, uint32_t c, num v)
{
    int64_t lo = 0;
    uint64_t hi = 0;
    bool is_signed = false;

    switch (c) {
    case DT_FLOAT16: case DT_FLOAT32: case DT_FLOAT64: {
        double d = v.kind == K_FLOAT ? v.f :
                   v.kind == K_SIGNED ? (double)v.i : (double)v.u;
        if (c == DT_FLOAT64) {
            memcpy(p, &d, 8);
        } else if (c == DT_FLOAT32) {
            float f = (float)d;
            memcpy(p, &f, 4);
        } else {
            uint16_t h = dt__half_from_float((float)d);
            memcpy(p, &h, 2);
        }
        return DT_OK;
    }
    case DT_BOOL: hi = 1; break;
    case DT_INT8: lo = INT8_MIN; hi = INT8_MAX; is_signed = true; break;
    case DT_INT16: lo = INT16_MIN; hi = INT16_MAX; is_signed = true; break;
    case DT_INT32: lo = INT32_MIN; hi = INT32_MAX; is_signed = true; break;
    case DT_INT64: lo = INT64_MIN; hi = INT64_MAX; is_signed = true; break;
    case DT_UINT8: hi = UINT8_MAX; break;
    case DT_UINT16: hi = UINT16_MAX; break;
    case DT_UINT32: hi = UINT32_MAX; break;
    case DT_UINT64: hi = UINT64_MAX; break;
    default: return dt__fail(DT_ETYPE, "not a numeric type");
    }
    if (v.kind == K_FLOAT) {
        if (isnan(v.f) || v.f != floor(v.f))
            return dt__fail(DT_ERANGE, "%g is not an integer", v.f);
        if (v.f < 0) {
            if (v.f < -9223372036854775808.0)
                return dt__fail(DT_ERANGE, "%g is out of range", v.f);
            v.kind = K_SIGNED;
            v.i = (int64_t)v.f;
        } else {
            if (v.f >= 18446744073709551616.0)
                return dt__fail(DT_ERANGE, "%g is out of range", v.f);
            v.kind = K_UNSIGNED;
            v.u = (uint64_t)v.f;
        }
    }
    if (v.kind == K_SIGNED && v.i >= 0) {
        v.kind = K_UNSIGNED;
        v.u = (uint64_t)v.i;
    }
    if (v.kind == K_SIGNED) {
        if (!is_signed || v.i < lo)
            return dt__fail(DT_ERANGE, "%" PRId64 " is out of range", v.i);
    } else if (v.u > hi) {
        return dt__fail(DT_ERANGE, "%" PRIu64 " is out of range", v.u);
    }
    switch (c) {
    case DT_BOOL: case DT_UINT8: *(uint8_t *)p = (uint8_t)v.u; break;
    case DT_INT8: *(int8_t *)p = v.kind == K_SIGNED ? (int8_t)v.i : (int8_t)v.u; break;
    case DT_INT16: { int16_t x = v.kind == K_SIGNED ? (int16_t)v.i : (int16_t)v.u; memcpy(p, &x, 2); break; }
    case DT_INT32: { int32_t x = v.kind == K_SIGNED ? (int32_t)v.i : (int32_t)v.u; memcpy(p, &x, 4); break; }
    case DT_INT64: { int64_t x = v.kind == K_SIGNED ? v.i : (int64_t)v.u; memcpy(p, &x, 8); break; }
    case DT_UINT16: { uint16_t x = (uint16_t)v.u; memcpy(p, &x, 2); break; }
    case DT_UINT32: { uint32_t x = (uint32_t)v.u; memcpy(p, &x, 4); break; }
    case DT_UINT64: memcpy(p, &v.u, 8); break;
    default: break;
    }
    return DT_OK;
}

int dt__elems_copy(void *dst, const void *src, dt_type t, size_t n)
{
    size_t es = dt_type_size(t);

    if (DT_TYPE_CLASS(t) == DT_STRING || DT_TYPE_CLASS(t) == DT_JSON) {
        char **d = dst;
        char *const *s = src;

        for (size_t i = 0; i < n; i++) {
            d[i] = dt__strdup(s[i] ? s[i] : "");
            if (!d[i]) {
                dt__elems_release(d, t, i);
                return DT_ENOMEM;
            }
        }
        return DT_OK;
    }
    if (n)
        memcpy(dst, src, n * es);
    return DT_OK;
}

void dt__elems_release(void *buf, dt_type t, size_t n)
{
    if (!buf)
        return;
    if (DT_TYPE_CLASS(t) == DT_STRING || DT_TYPE_CLASS(t) == DT_JSON) {
        char **s = buf;

        for (size_t i = 0; i < n; i++) {
            free(s[i]);
            s[i] = NULL;
        }
    }
}

int dt__convert(void *dst, dt_type dt, const void *src, dt_type st, size_t n)
{
    uint32_t dc = base_class(dt), sc = base_class(st);
    size_t ds = dt_type_size(dt), ss = dt_type_size(st);
    char tn1[32], tn2[32];

    /* Same type, or an enum and its base integer: the bytes are the same. */
    if (dt == st || (dc == sc && dt__type_is_numeric(dt) && dt__type_is_numeric(st)))
        return dt__elems_copy(dst, src, st, n);
    if ((dc == DT_COMPLEX64 || dc == DT_COMPLEX128) &&
        (sc == DT_COMPLEX64 || sc == DT_COMPLEX128)) {
        for (size_t i = 0; i < 2 * n; i++) {
            double d;
            if (sc == DT_COMPLEX64) {
                float f;
                memcpy(&f, (const char *)src + i * 4, 4);
                d = f;
            } else {
                memcpy(&d, (const char *)src + i * 8, 8);
            }
            if (dc == DT_COMPLEX64) {
                float f = (float)d;
                memcpy((char *)dst + i * 4, &f, 4);
            } else {
                memcpy((char *)dst + i * 8, &d, 8);
            }
        }
        return DT_OK;
    }
    if (dt__type_is_numeric(dt) && dt__type_is_numeric(st) &&
        dc != DT_COMPLEX64 && dc != DT_COMPLEX128 &&
        sc != DT_COMPLEX64 && sc != DT_COMPLEX128) {
        for (size_t i = 0; i < n; i++) {
            num v = load_num((const char *)src + i * ss, sc);
            int rc = store_num((char *)dst + i * ds, dc, v);

            if (rc < 0) {
                dt_type_name(tn1, sizeof tn1, st);
                dt_type_name(tn2, sizeof tn2, dt);
                dt__err_prefix("element %zu converting %s to %s: ", i, tn1, tn2);
                return rc;
            }
        }
        return DT_OK;
    }
    if (dt_type_name(tn1, sizeof tn1, st) < 0 || dt_type_name(tn2, sizeof tn2, dt) < 0)
        return DT_ETYPE;
    return dt__fail(DT_ETYPE, "cannot convert %s to %s", tn1, tn2);
}

double dt__elem_as_double(const void *buf, dt_type t, size_t i)
{
    uint32_t c = base_class(t);
    num v;

    if (!dt__type_is_numeric(t) || c == DT_COMPLEX64 || c == DT_COMPLEX128)
        return NAN;
    v = load_num((const char *)buf + i * dt_type_size(t), c);
    return v.kind == K_FLOAT ? v.f : v.kind == K_SIGNED ? (double)v.i : (double)v.u;
}
