/* test_cftime.c: the CF time decoder: calendars (day numbers both ways,
 * dates that do not exist), units and reference dates, date scanning, and
 * the text of a coordinate value. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dtree.h"
#include "query/query.h"
#include "testutil.h"

/* ---- the standard calendar's switch from Julian to Gregorian ---- */

START_TEST(standard_switch)
{
    int64_t a, b;

    tu_assert_ok(dt__cal_day(&a, DT__CAL_STANDARD, 1582, 10, 4));
    tu_assert_ok(dt__cal_day(&b, DT__CAL_STANDARD, 1582, 10, 15));
    ck_assert_int_eq(a, 2299160);   /* Julian Day Numbers */
    ck_assert_int_eq(b, a + 1);
    tu_assert_rc(dt__cal_day(&a, DT__CAL_STANDARD, 1582, 10, 10), DT_ERANGE,
                 "1582-10-10 does not exist in the standard calendar");
    tu_assert_ok(dt__cal_day(&a, DT__CAL_PROLEPTIC, 1582, 10, 10));
    tu_assert_ok(dt__cal_day(&a, DT__CAL_PROLEPTIC, 1970, 1, 1));
    ck_assert_int_eq(a, 2440588);
    tu_assert_ok(dt__cal_day(&a, DT__CAL_STANDARD, 2000, 1, 1));
    ck_assert_int_eq(a, 2451545);
}
END_TEST

/* ---- which dates exist ---- */

static const struct {
    dt__calendar cal;
    int y, m, d;
    int code;
} exist_rows[] = {
    {DT__CAL_STANDARD, 2000, 2, 29, DT_OK},
    {DT__CAL_STANDARD, 1900, 2, 29, DT_ERANGE},
    {DT__CAL_STANDARD, 1500, 2, 29, DT_OK},     /* Julian leap year */
    {DT__CAL_PROLEPTIC, 1500, 2, 29, DT_ERANGE},
    {DT__CAL_JULIAN, 1900, 2, 29, DT_OK},
    {DT__CAL_NOLEAP, 2000, 2, 29, DT_ERANGE},
    {DT__CAL_ALL_LEAP, 2001, 2, 29, DT_OK},
    {DT__CAL_360, 2001, 2, 30, DT_OK},
    {DT__CAL_360, 2001, 1, 31, DT_ERANGE},
    {DT__CAL_STANDARD, 2001, 13, 1, DT_ERANGE},
    {DT__CAL_STANDARD, 2001, 4, 31, DT_ERANGE},
    {DT__CAL_STANDARD, 2001, 4, 0, DT_ERANGE},
};

START_TEST(exist_row)
{
    int64_t day;

    tu_assert_rc(dt__cal_day(&day, exist_rows[_i].cal, exist_rows[_i].y, exist_rows[_i].m,
                             exist_rows[_i].d), exist_rows[_i].code, NULL);
}
END_TEST

/* ---- day number -> date -> day number, over years in every calendar ---- */

START_TEST(round_trip)
{
    static const dt__calendar cals[] = {
        DT__CAL_STANDARD, DT__CAL_PROLEPTIC, DT__CAL_JULIAN, DT__CAL_NOLEAP,
        DT__CAL_ALL_LEAP, DT__CAL_360,
    };

    for (size_t c = 0; c < TU_NELEMS(cals); c++) {
        int64_t first, prev_day = 0;

        tu_assert_ok(dt__cal_day(&first, cals[c], -5, 1, 1));
        /* 2,200 years, every 29th day (all months and weekdays come by) */
        for (int64_t day = first; day < first + 800000; day += 29) {
            int64_t y, back = 0;
            int m, d;

            dt__cal_date(cals[c], day, &y, &m, &d);
            if (dt__cal_day(&back, cals[c], y, m, d) != DT_OK || back != day ||
                (day != first && back <= prev_day))
                ck_abort_msg("calendar %zu: day %lld -> %lld-%d-%d -> %lld", c,
                             (long long)day, (long long)y, m, d, (long long)back);
            prev_day = back;
        }
    }
}
END_TEST

/* ---- units: a date's value in the coordinate's units ---- */

static const struct {
    const char *units, *calendar, *date;
    double want;
} encode_rows[] = {
    {"days since 2000-01-01", NULL, "2000-01-02", 1},
    {"days since 2000-01-01", "standard", "2000-03-01", 60},
    {"days since 2000-01-01", "noleap", "2000-03-01", 59},
    {"days since 2000-01-01", "365_day", "2001-01-01", 365},
    {"days since 2000-01-01", "all_leap", "2001-01-01", 366},
    {"days since 2000-01-01", "360_day", "2001-01-01", 360},
    {"days since 2000-01-01", "360_day", "2000-02-30", 59},
    {"months since 2000-01-01", "360_day", "2000-03-01", 2},
    {"years since 2000-01-01", "360_day", "2002-07-01", 2.5},
    {"days since 1900-01-01", "julian", "1900-03-01", 60},
    {"days since 1900-01-01", "proleptic_gregorian", "1900-03-01", 59},
    {"days since 1582-10-04", "gregorian", "1582-10-15", 1},
    {"hours since 1970-01-01 00:00:00 UTC", NULL, "1970-01-02T06:00", 30},
    {"hours since 1970-1-1 0:0:0", NULL, "1970-01-02 06:30", 30.5},
    {"seconds since 2000-01-01T00:00:00Z", NULL, "2000-01-01T00:01:01.5", 61.5},
    {"minutes since 2000-01-01 00:00", NULL, "1999-12-31T23:00", -60},
    {"hours since 2000-01-01 00:00:00 -06:00", NULL, "2000-01-01T06:00", 0},
    {"hours since 2000-01-01 00:00:00 +0100", NULL, "2000-01-01T00:00", 1},
    {"hours since 2000-01-01T00:00:00", NULL, "2000-01-01T03:00:00+02:00", 1},
    {"milliseconds since 2000-01-01", NULL, "2000-01-01T00:00:01", 1000},
    {"weeks since 2000-01-01", NULL, "2000-01-15", 2},
    {"Days Since 2000-01-01", NULL, "2000-01-11", 10},
    {"d since 2000-01-01", NULL, "2000-01-11", 10},
};

START_TEST(encode_row)
{
    dt__cftime u;
    dt__datetime when;
    size_t n;
    double v;

    tu_assert_ok(dt__cftime_parse(&u, encode_rows[_i].units, encode_rows[_i].calendar));
    n = dt__datetime_scan(&when, encode_rows[_i].date);
    ck_assert_uint_eq(n, strlen(encode_rows[_i].date));
    tu_assert_ok(dt__cftime_encode(&v, &u, &when));
    ck_assert_msg(fabs(v - encode_rows[_i].want) < 1e-9, "%s, %s: %.17g, want %g",
                  encode_rows[_i].units, encode_rows[_i].date, v, encode_rows[_i].want);
}
END_TEST

static const struct {
    const char *units, *calendar;
    int code;
    const char *words;
} units_error_rows[] = {
    {"days after 2000-01-01", NULL, DT_EINVAL, "are not \"UNIT since DATE\""},
    {"days", NULL, DT_EINVAL, "are not \"UNIT since DATE\""},
    {"days since", NULL, DT_EINVAL, "are not \"UNIT since DATE\""},
    {"days since x", NULL, DT_EINVAL, "no reference date after \"since\""},
    {"fortnights since 2000-01-01", NULL, DT_EINVAL, "unknown unit \"fortnights\""},
    {"months since 2000-01-01", NULL, DT_EUNSUPPORTED, "months have no fixed length"},
    {"years since 2000-01-01", "noleap", DT_EUNSUPPORTED, "years have no fixed length"},
    {"days since 2000-13-01", NULL, DT_ERANGE, "month 13 does not exist"},
    {"days since 2001-02-29", NULL, DT_ERANGE, "2001-02-29 does not exist"},
    {"days since 2000-01-01 25:00", NULL, DT_ERANGE, "is not a time of day"},
    {"days since 2000-01-01 junk", NULL, DT_EINVAL, "unexpected \"junk\""},
    {"days since 2000-01-01", "mars", DT_EINVAL, "unknown calendar \"mars\""},
};

START_TEST(units_error_row)
{
    dt__cftime u;

    tu_assert_rc(dt__cftime_parse(&u, units_error_rows[_i].units, units_error_rows[_i].calendar),
                 units_error_rows[_i].code, units_error_rows[_i].words);
}
END_TEST

/* ---- scanning dates out of longer text (label slices) ---- */

static const struct {
    const char *text;
    size_t len;
    int prec;
} scan_rows[] = {
    {"2000-01-01T06:00:2000-01-02", 16, 5},  /* stops before the slice's ':' */
    {"2000-01-01:2000-01-02", 10, 3},
    {"2000-01-01T06:00:30:2000", 19, 6},
    {"2000-01:2000-03", 7, 2},
    {"2000", 4, 1},
    {"-0044-03-15", 11, 3},
    {"10.5", 2, 1},
    {"x", 0, 0},
    {"2000-01-01 12", 13, 4},
    {"2000-01-01 UTC", 14, 3},
};

START_TEST(scan_row)
{
    dt__datetime when;

    ck_assert_uint_eq(dt__datetime_scan(&when, scan_rows[_i].text), scan_rows[_i].len);
    if (scan_rows[_i].len)
        ck_assert_int_eq(when.prec, scan_rows[_i].prec);
}
END_TEST

/* ---- values as dates, for messages ---- */

static const struct {
    const char *units, *calendar;
    double value;
    const char *want;
} format_rows[] = {
    {"days since 2000-01-01", NULL, 0, "2000-01-01"},
    {"days since 2000-01-01", NULL, 1.25, "2000-01-02T06:00:00"},
    {"days since 2000-01-01", NULL, -1, "1999-12-31"},
    {"hours since 2000-01-01", NULL, 0.5, "2000-01-01T00:30:00"},
    {"seconds since 2000-01-01", NULL, 1.5, "2000-01-01T00:00:01.5"},
    {"days since 2000-01-01", "360_day", 359, "2000-12-30"},
    {"days since 2000-01-01", "noleap", 59, "2000-03-01"},
    {"days since 1582-10-04", NULL, 1, "1582-10-15"},
    {"days since 2000-01-01", NULL, NAN, "NaT"},
};

START_TEST(format_row)
{
    dt__cftime u;
    char buf[64];

    tu_assert_ok(dt__cftime_parse(&u, format_rows[_i].units, format_rows[_i].calendar));
    dt__cftime_format(buf, sizeof buf, &u, format_rows[_i].value);
    ck_assert_str_eq(buf, format_rows[_i].want);
}
END_TEST

static Suite *cftime_suite(void)
{
    Suite *s = suite_create("cftime");
    TCase *tc = tcase_create("calendars");

    tcase_add_test(tc, standard_switch);
    tcase_add_loop_test(tc, exist_row, 0, TU_NELEMS(exist_rows));
    tcase_add_test(tc, round_trip);
    tcase_add_loop_test(tc, encode_row, 0, TU_NELEMS(encode_rows));
    tcase_add_loop_test(tc, units_error_row, 0, TU_NELEMS(units_error_rows));
    tcase_add_loop_test(tc, scan_row, 0, TU_NELEMS(scan_rows));
    tcase_add_loop_test(tc, format_row, 0, TU_NELEMS(format_rows));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cftime_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
