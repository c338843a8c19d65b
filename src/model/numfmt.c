/* numfmt.c: numbers as text, fast. A float is written as the shortest
 * decimal that reads back as the same value of its width, spelled as
 * Python's repr and as YAML 1.1 resolves a float ("1.0", "0.0001",
 * "2.5e-07", "1.0e+16").
 *
 * "Shortest" is defined by the search this file used to run on every value
 * (and still runs, as dt__float_repr_slow, where the fast path declines):
 * the smallest precision P in 1..17 whose correctly rounded P-digit text
 * (printf's "%.*e", ties to even) reads back with strtod to the same value
 * (for float32: strtod, then rounded to float). The fast path computes the
 * same thing with exact integer arithmetic: v = m * 2^e is scaled to the
 * integer I = floor(v * 10^k) of 17 to 19 digits (plus the exact fraction
 * left over), every rounding of I to P digits is read off its digits, and
 * the rounded value is compared with the midpoints between v and its
 * neighbours, all as 128-bit integers. Values whose scaled forms do not fit
 * 128 bits (doubles below about 1e-5 or above 2^61, floats below 1e-22 or
 * above 2^61, subnormal doubles, float16) take the slow search; so does a
 * float32 candidate so close to a midpoint that strtod's rounding to double
 * first could decide it. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

typedef unsigned __int128 u128;

static const uint64_t pow10_64[20] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
    100000000ull, 1000000000ull, 10000000000ull, 100000000000ull,
    1000000000000ull, 10000000000000ull, 100000000000000ull,
    1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
    1000000000000000000ull, 10000000000000000000ull,
};

/* 10^k for k <= 38 */
static u128 pow10_128(int k)
{
    if (k < 20)
        return pow10_64[k];
    return (u128)pow10_64[19] * pow10_64[k - 19];
}

/* Lay out sign, digits mant[0..nd) (no trailing zeros but the first) and
 * the decimal exponent of the first digit as put_float always has. */
static size_t layout(char *out, bool neg, const char *mant, size_t nd, int exp10)
{
    char *p = out;

    if (neg)
        *p++ = '-';
    if (exp10 < -4 || exp10 >= 16) {
        unsigned x = (unsigned)(exp10 < 0 ? -exp10 : exp10);

        *p++ = mant[0];
        *p++ = '.';
        if (nd > 1) {
            memcpy(p, mant + 1, nd - 1);
            p += nd - 1;
        } else {
            *p++ = '0';
        }
        *p++ = 'e';
        *p++ = exp10 < 0 ? '-' : '+';
        if (x >= 100)
            *p++ = (char)('0' + x / 100);
        *p++ = (char)('0' + x / 10 % 10);
        *p++ = (char)('0' + x % 10);
    } else if (exp10 < 0) {
        *p++ = '0';
        *p++ = '.';
        for (int i = -1; i > exp10; i--)
            *p++ = '0';
        memcpy(p, mant, nd);
        p += nd;
    } else {
        for (int i = 0; i <= exp10; i++)
            *p++ = (size_t)i < nd ? mant[i] : '0';
        *p++ = '.';
        if ((size_t)exp10 + 1 < nd) {
            memcpy(p, mant + exp10 + 1, nd - (size_t)exp10 - 1);
            p += nd - (size_t)exp10 - 1;
        } else {
            *p++ = '0';
        }
    }
    *p = '\0';
    return (size_t)(p - out);
}

static bool reads_back(const char *digits, double v, int width)
{
    double back = strtod(digits, NULL);

    if (width == 8)
        return back == v;
    if (width == 4)
        return (float)back == (float)v;
    return dt__half_from_float((float)back) == dt__half_from_float((float)v);
}

size_t dt__float_repr_slow(char *out, double v, int width)
{
    char digits[40], mant[24];
    size_t nd = 0;
    int exp10, prec;
    char *e;

    for (prec = 1; prec < 17; prec++) {
        snprintf(digits, sizeof digits, "%.*e", prec - 1, v);
        if (reads_back(digits, v, width))
            break;
    }
    snprintf(digits, sizeof digits, "%.*e", prec - 1, v);
    e = strchr(digits, 'e');
    exp10 = (int)strtol(e + 1, NULL, 10);
    for (char *p = digits; p < e; p++) {
        if (*p >= '0' && *p <= '9')
            mant[nd++] = *p;
    }
    while (nd > 1 && mant[nd - 1] == '0')
        nd--;
    return layout(out, digits[0] == '-', mant, nd, exp10);
}

/* Is the P-digit candidate c (in units of I) between the midpoints? With
 * everything times 2^(s+2): C4 against L4 and H4. A midpoint itself reads
 * back as v when v's significand is even (ties to even). -1: a float32
 * candidate too close to a midpoint to decide (strtod rounds to double
 * first). */
static int inside(uint64_t c, int s, u128 L4, u128 H4, bool even, int width)
{
    u128 C4 = (u128)c << (s + 2);

    if (width == 4) {
        u128 dl = C4 > L4 ? C4 - L4 : L4 - C4;
        u128 dh = C4 > H4 ? C4 - H4 : H4 - C4;
        if ((dl != 0 && dl <= (L4 >> 40)) || (dh != 0 && dh <= (H4 >> 40)))
            return -1;
    }
    return (C4 > L4 || (C4 == L4 && even)) && (C4 < H4 || (C4 == H4 && even));
}

static const char two_digits[200] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

size_t dt__float_repr_fast(char *out, double v, int width)
{
    uint64_t m, I, lo, hi, q;
    int e, pmax, k, s, nd, p, t;
    bool neg, boundary, even;
    bool frac_nonzero = false, frac_half = false, frac_over = false;
    u128 T, H4, L4, tens;

    if (width == 8) {
        uint64_t bits;
        int ex;

        memcpy(&bits, &v, 8);
        neg = bits >> 63;
        ex = (int)((bits >> 52) & 0x7ff);
        m = bits & ((1ull << 52) - 1);
        if (ex == 0 || ex == 0x7ff)
            return 0; /* zero, subnormals, non-finite */
        boundary = m == 0 && ex > 1;
        m |= 1ull << 52;
        e = ex - 1075;
        pmax = 17;
    } else if (width == 4) {
        float f = (float)v;
        uint32_t b32;
        int ex;

        memcpy(&b32, &f, 4);
        neg = b32 >> 31;
        ex = (int)((b32 >> 23) & 0xff);
        m = b32 & ((1u << 23) - 1);
        if (ex == 0 || ex == 0xff)
            return 0;
        boundary = m == 0 && ex > 1;
        m |= 1u << 23;
        e = ex - 150;
        pmax = 9;
    } else {
        return 0;
    }
    even = (m & 1) == 0;
    if (e >= 0) {
        if (64 - __builtin_clzll(m) + e > 61)
            return 0;
        k = 0;
        s = 0;
        T = (u128)(m << e);
        tens = (u128)1 << e;   /* the scale of the midpoints below */
    } else {
        int bl = 64 - __builtin_clzll(m);
        int elow = ((bl - 1 + e) * 78913) >> 18; /* floor(log10 v), or 1 less */

        s = -e;
        k = pmax - 1 - elow;
        /* T = m * 10^k below 2^125: bits of 10^k at most k * 3.3223 + 1 */
        if (s > 124 || k < 0 || k > 38 || bl + ((k * 3402) >> 10) + 1 > 125)
            return 0;
        tens = pow10_128(k);
        T = k < 20 ? (u128)m * (uint64_t)tens : (u128)m * tens;
    }
    /* I = floor(v * 10^k), and the fraction below it (of 2^s) */
    {
        u128 ip = T >> s;

        if (ip >> 64)
            return 0;
        I = (uint64_t)ip;
        if (s) {
            u128 fr = T & (((u128)1 << s) - 1), half = (u128)1 << (s - 1);
            frac_nonzero = fr != 0;
            frac_half = fr == half;
            frac_over = fr > half;
        }
    }
    if (I < pow10_64[pmax - 1] && e < 0)
        return 0; /* the scaling fell short (cannot happen; stay exact) */
    if (I == 0)
        return 0;
    for (nd = 1; nd < 20 && I >= pow10_64[nd]; nd++)
        ;
    H4 = ((u128)(4 * m + 2)) * tens;
    L4 = ((u128)(4 * m - (boundary ? 1 : 2))) * tens;
    /* Fewer digits than nd - t are out of reach when no multiple of 10^t
     * lies in [lo, hi], which holds every candidate that can read back:
     * drop digits while one does (at most one more step is then needed). */
    lo = (uint64_t)(L4 >> (s + 2));
    hi = (uint64_t)(H4 >> (s + 2));
    {
        uint64_t a = lo - 1, b = hi, r = I;
        int last = 0;
        bool rest = false;   /* a dropped digit other than the last is nonzero */

        for (t = 0; t < nd - 1 && b / 10 > a / 10; t++) {
            rest = rest || last != 0;
            last = (int)(r % 10);
            a /= 10;
            b /= 10;
            r /= 10;
        }
        p = nd - t;
        if (p > pmax)
            return 0;
        /* the P-digit rounding of v, ties to even */
        q = r;
        if (t == 0) {
            if (frac_over || (frac_half && (q & 1)))
                q++;
        } else if (last > 5 || (last == 5 && (rest || frac_nonzero || (q & 1)))) {
            q++;
        }
    }
    for (;;) {
        int in = inside(q * pow10_64[nd - p], s, L4, H4, even, width);

        if (in < 0)
            return 0;
        if (in)
            break;
        /* rare: the nearest P-digit text is outside; one digit more */
        if (++p > pmax || p > nd)
            return 0;
        {
            uint64_t unit = pow10_64[nd - p], r;

            q = I / unit;
            r = I - q * unit;
            if (unit == 1) {
                if (frac_over || (frac_half && (q & 1)))
                    q++;
            } else if (r > unit / 2 || (r == unit / 2 && (frac_nonzero || (q & 1)))) {
                q++;
            }
        }
    }
    {
        int exp10 = nd - 1 - k, n = 0;
        char mant[24], *w = mant + sizeof mant;

        if (q == pow10_64[p]) { /* 9.99 rounded up to 10.0 */
            q = 1;
            exp10++;
        }
        while (q >= 10 && q % 10 == 0)
            q /= 10;
        while (q >= 100) {
            unsigned d = (unsigned)(q % 100);
            q /= 100;
            w -= 2;
            memcpy(w, two_digits + 2 * d, 2);
            n += 2;
        }
        if (q >= 10) {
            w -= 2;
            memcpy(w, two_digits + 2 * q, 2);
            n += 2;
        } else {
            *--w = (char)('0' + q);
            n++;
        }
        return layout(out, neg, w, (size_t)n, exp10);
    }
}

size_t dt__float_repr(char *out, double v, int width)
{
    size_t n;

    if (isnan(v)) {
        memcpy(out, "nan", 4);
        return 3;
    }
    if (isinf(v)) {
        if (v > 0) {
            memcpy(out, "inf", 4);
            return 3;
        }
        memcpy(out, "-inf", 5);
        return 4;
    }
    if (v == 0) {
        if (signbit(v)) {
            memcpy(out, "-0.0", 5);
            return 4;
        }
        memcpy(out, "0.0", 4);
        return 3;
    }
    n = dt__float_repr_fast(out, v, width);
    return n ? n : dt__float_repr_slow(out, v, width);
}

size_t dt__u64_text(char *out, uint64_t x)
{
    char tmp[20];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + x % 10);
        x /= 10;
    } while (x);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
    return n;
}

size_t dt__i64_text(char *out, int64_t x)
{
    if (x < 0) {
        out[0] = '-';
        return 1 + dt__u64_text(out + 1, (uint64_t)0 - (uint64_t)x);
    }
    return dt__u64_text(out, (uint64_t)x);
}
