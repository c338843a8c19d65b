/* test_numfmt.c: the fast float formatter writes exactly what the search
 * over printf precisions with strtod writes, on millions of doubles and
 * floats: random bit patterns, random values in the usual ranges, values
 * with few decimals, powers of ten and two and their neighbours, subnormals
 * and the extremes; and the integer texts. */
#include "config.h"

#include <check.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtree.h"
#include "model.h"
#include "testutil.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static double as_double(uint64_t bits)
{
    double v;

    memcpy(&v, &bits, 8);
    return v;
}

static float as_float(uint32_t bits)
{
    float v;

    memcpy(&v, &bits, 4);
    return v;
}

static long fast_taken;

/* Values per random test: 1 = the default of about 2.5 million checks in
 * all; DT_NUMFMT_SCALE=4 runs four times as many. Under valgrind
 * (DT_VALGRIND, set by `make check-valgrind`), which looks for memory
 * errors rather than wrong digits, a 256th of that. */
static long scale(long n)
{
    const char *e = getenv("DT_NUMFMT_SCALE");
    long k = e ? atol(e) : 1;

    if (getenv("DT_VALGRIND"))
        return n / 256 > 0 ? n / 256 : 1;
    return n * (k > 0 ? k : 1);
}

/* The formatter agrees with the search on v; and where the fast path
 * answers, it agrees too. */
static void check_one(double v, int width)
{
    char want[64], got[64], fast[64];
    size_t nw, ng, nf;

    if (!isfinite(v))
        return;
    nw = dt__float_repr_slow(want, v, width);
    ng = dt__float_repr(got, v, width);
    ck_assert_msg(nw == ng && strcmp(want, got) == 0,
                  "width %d, %a: fast \"%s\", search \"%s\"", width, v, got, want);
    if (v != 0) {
        nf = dt__float_repr_fast(fast, v, width);
        if (nf) {
            fast_taken++;
            ck_assert_str_eq(fast, want);
        }
    }
}

static void check_double(double v)
{
    check_one(v, 8);
    check_one(-v, 8);
}

static void check_float(float v)
{
    check_one(v, 4);
    check_one(-v, 4);
}

START_TEST(doubles_random_bits)
{
    for (long i = 0; i < scale(150000); i++)
        check_double(as_double(rnd()));
}
END_TEST

START_TEST(doubles_usual_range)
{
    /* magnitudes 1e-5 .. 1e17, random mantissas: the fast path's range */
    fast_taken = 0;
    long n = scale(400000);

    for (long i = 0; i < n; i++) {
        int e = (int)(rnd() % 73) - 17 + 1023;   /* 2^-17 .. 2^55 */
        uint64_t bits = ((uint64_t)e << 52) | (rnd() & ((1ull << 52) - 1));
        check_one(as_double(bits), 8);
    }
    ck_assert_msg(fast_taken > n * 9 / 10, "fast path taken %ld times of %ld", fast_taken, n);
}
END_TEST

START_TEST(doubles_few_decimals)
{
    for (long i = 0; i < scale(120000); i++) {
        int dec = (int)(rnd() % 8);
        double v = (double)(int64_t)(rnd() % 100000000) / pow(10, dec);
        check_double(v);
        check_double(nextafter(v, INFINITY));
        check_double(nextafter(v, 0));
    }
}
END_TEST

START_TEST(floats_random_bits)
{
    for (long i = 0; i < scale(400000); i++)
        check_one(as_float((uint32_t)rnd()), 4);
}
END_TEST

START_TEST(floats_usual_range)
{
    fast_taken = 0;
    long n = scale(400000);

    for (long i = 0; i < n; i++) {
        int e = (int)(rnd() % 130) - 70 + 127;   /* 2^-70 .. 2^59 */
        uint32_t bits = ((uint32_t)e << 23) | (uint32_t)(rnd() & ((1u << 23) - 1));
        check_one(as_float(bits), 4);
    }
    ck_assert_msg(fast_taken > n * 9 / 10, "fast path taken %ld times of %ld", fast_taken, n);
}
END_TEST

START_TEST(floats_few_decimals)
{
    /* like the data of bench B9: normal values rounded to two decimals */
    for (long i = 0; i < scale(120000); i++) {
        int dec = (int)(rnd() % 6);
        float v = (float)((double)(int64_t)(rnd() % 10000000) / pow(10, dec));
        check_float(v);
        check_float(nextafterf(v, INFINITY));
        check_float(nextafterf(v, 0));
    }
}
END_TEST

START_TEST(powers_and_boundaries)
{
    for (int k = -330; k <= 310; k++) {
        double p = strtod("1e0", NULL) * pow(10, k);
        char t[32];
        snprintf(t, sizeof t, "1e%d", k);
        p = strtod(t, NULL);
        check_double(p);
        check_double(nextafter(p, INFINITY));
        check_double(nextafter(p, 0));
        if (k >= -47 && k <= 39) {
            float f = strtof(t, NULL);
            check_float(f);
            check_float(nextafterf(f, INFINITY));
            check_float(nextafterf(f, 0));
        }
    }
    for (int k = -1074; k <= 1023; k++) {
        double p = ldexp(1, k);
        check_double(p);
        check_double(nextafter(p, INFINITY));
        check_double(nextafter(p, 0));
        check_double(3 * p);
        if (k >= -149 && k <= 127) {
            float f = ldexpf(1, k);
            check_float(f);
            check_float(nextafterf(f, INFINITY));
            check_float(nextafterf(f, 0));
        }
    }
    check_double(DBL_MAX);
    check_double(DBL_MIN);
    check_double(DBL_TRUE_MIN);
    check_double(nextafter(DBL_MIN, 0));
    check_double(DBL_EPSILON);
    check_double(0.1);
    check_double(1.0 / 3);
    check_double(9007199254740993.0);
    check_float(FLT_MAX);
    check_float(FLT_MIN);
    check_float(FLT_TRUE_MIN);
    check_float(nextafterf(FLT_MIN, 0));
    check_float(FLT_EPSILON);
    /* 2^61 and up leave the fast path: the edges of its range */
    for (int k = 55; k <= 66; k++) {
        check_double(ldexp(1, k) - ldexp(1, k - 53));
        check_float(ldexpf(1, k) - ldexpf(1, k - 24));
    }
    /* subnormals */
    for (long i = 0; i < scale(100000); i++) {
        check_double(as_double(rnd() & ((1ull << 52) - 1)));
        check_float(as_float((uint32_t)rnd() & ((1u << 23) - 1)));
    }
}
END_TEST

START_TEST(spelling)
{
    static const struct { double v; int w; const char *text; } cases[] = {
        {0.0, 8, "0.0"}, {-0.0, 8, "-0.0"}, {1.0, 8, "1.0"}, {0.1, 8, "0.1"},
        {0.0001, 8, "0.0001"}, {2.5e-7, 8, "2.5e-07"}, {1e16, 8, "1.0e+16"},
        {123456789012345.0, 8, "123456789012345.0"}, {1e300, 8, "1.0e+300"},
        {276.88f, 4, "276.88"}, {0.1f, 4, "0.1"}, {5e-324, 8, "5.0e-324"},
        {1.0 / 3, 8, "0.3333333333333333"}, {1.0f / 3, 4, "0.33333334"},
        {-1.5, 2, "-1.5"}, {65504, 2, "65500.0"},
    };
    char out[64];

    for (size_t i = 0; i < TU_NELEMS(cases); i++) {
        dt__float_repr(out, cases[i].v, cases[i].w);
        ck_assert_str_eq(out, cases[i].text);
    }
    ck_assert_uint_eq(dt__float_repr(out, NAN, 8), 3);
    ck_assert_str_eq(out, "nan");
    dt__float_repr(out, -INFINITY, 4);
    ck_assert_str_eq(out, "-inf");
}
END_TEST

START_TEST(integers)
{
    char out[32], want[32];

    for (long i = 0; i < scale(200000); i++) {
        uint64_t u = rnd() >> (rnd() % 64);
        int64_t s = (int64_t)u * ((rnd() & 1) ? -1 : 1);
        snprintf(want, sizeof want, "%" PRIu64, u);
        ck_assert_uint_eq(dt__u64_text(out, u), strlen(want));
        ck_assert_str_eq(out, want);
        snprintf(want, sizeof want, "%" PRId64, s);
        ck_assert_uint_eq(dt__i64_text(out, s), strlen(want));
        ck_assert_str_eq(out, want);
    }
    dt__i64_text(out, INT64_MIN);
    ck_assert_str_eq(out, "-9223372036854775808");
    dt__u64_text(out, UINT64_MAX);
    ck_assert_str_eq(out, "18446744073709551615");
    dt__u64_text(out, 0);
    ck_assert_str_eq(out, "0");
}
END_TEST

static Suite *numfmt_suite(void)
{
    Suite *s = suite_create("numfmt");
    TCase *tc = tcase_create("numfmt");

    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, spelling);
    tcase_add_test(tc, integers);
    tcase_add_test(tc, doubles_random_bits);
    tcase_add_test(tc, doubles_usual_range);
    tcase_add_test(tc, doubles_few_decimals);
    tcase_add_test(tc, floats_random_bits);
    tcase_add_test(tc, floats_usual_range);
    tcase_add_test(tc, floats_few_decimals);
    tcase_add_test(tc, powers_and_boundaries);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(numfmt_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
