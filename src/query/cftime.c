/* cftime.c: CF time units ("days since 2000-01-01") under the standard,
 * proleptic_gregorian, julian, noleap, all_leap and 360_day calendars,
 * decoded only to compare date labels with coordinate values. */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query.h"
#include "util.h"

/* Years beyond this are refused: day numbers then stay far from overflow. */
#define YEAR_LIMIT INT64_C(100000000)

/* Day numbers of the Julian and Gregorian calendars are Julian Day Numbers,
 * so the standard calendar's switch from one to the other is seamless:
 * Julian 1582-10-04 is day 2299160, Gregorian 1582-10-15 day 2299161. */
#define JDN_UNIX_EPOCH INT64_C(2440588)  /* Gregorian 1970-01-01 */
#define JDN_JULIAN_MAR0 INT64_C(1721118) /* Julian 0000-03-01 */
#define JDN_GREGORIAN_START INT64_C(2299161)

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

/* Days from March 1 to the first day of month m (March-based years). */
static int64_t march_doy(int m, int d)
{
    return (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
}

/* H. Hinnant's days_from_civil, as a Julian Day Number. */
static int64_t gregorian_jdn(int64_t y, int m, int d)
{
    int64_t era, yoe, doe;

    y -= m <= 2;
    era = floor_div(y, 400);
    yoe = y - era * 400;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + march_doy(m, d);
    return era * 146097 + doe - 719468 + JDN_UNIX_EPOCH;
}

/* The same over the Julian calendar's four-year cycle. */
static int64_t julian_jdn(int64_t y, int m, int d)
{
    int64_t era, yoe;

    y -= m <= 2;
    era = floor_div(y, 4);
    yoe = y - era * 4;
    return era * 1461 + yoe * 365 + march_doy(m, d) + JDN_JULIAN_MAR0;
}

static void date_from_march_doy(int64_t doy, int *m, int *d)
{
    int64_t mp = (5 * doy + 2) / 153;

    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
}

static void gregorian_date(int64_t jdn, int64_t *y, int *m, int *d)
{
    int64_t z = jdn - JDN_UNIX_EPOCH + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;

    date_from_march_doy(doe - (365 * yoe + yoe / 4 - yoe / 100), m, d);
    *y = yoe + era * 400 + (*m <= 2);
}

static void julian_date(int64_t jdn, int64_t *y, int *m, int *d)
{
    int64_t z = jdn - JDN_JULIAN_MAR0;
    int64_t era = floor_div(z, 1461);
    int64_t doe = z - era * 1461;
    int64_t yoe = (doe - doe / 1460) / 365;

    date_from_march_doy(doe - 365 * yoe, m, d);
    *y = yoe + era * 4 + (*m <= 2);
}

static const int month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
static const int cum_noleap[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
static const int cum_leap[12] = {0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335};

static bool gregorian_leap(int64_t y)
{
    return floor_mod(y, 4) == 0 && (floor_mod(y, 100) != 0 || floor_mod(y, 400) == 0);
}

static int days_in_month(dt__calendar cal, int64_t y, int m)
{
    bool leap;

    switch (cal) {
    case DT__CAL_360: return 30;
    case DT__CAL_NOLEAP: return month_days[m - 1];
    case DT__CAL_ALL_LEAP: return m == 2 ? 29 : month_days[m - 1];
    case DT__CAL_JULIAN: leap = floor_mod(y, 4) == 0; break;
    case DT__CAL_PROLEPTIC: leap = gregorian_leap(y); break;
    default: leap = y < 1582 ? floor_mod(y, 4) == 0 : gregorian_leap(y); break;
    }
    return m == 2 && leap ? 29 : month_days[m - 1];
}

int dt__cal_day(int64_t *out, dt__calendar cal, int64_t y, int m, int d)
{
    if (y < -YEAR_LIMIT || y > YEAR_LIMIT)
        return dt__fail(DT_ERANGE, "year %" PRId64 " is out of range", y);
    if (m < 1 || m > 12)
        return dt__fail(DT_ERANGE, "month %d does not exist", m);
    if (d < 1 || d > days_in_month(cal, y, m))
        return dt__fail(DT_ERANGE, "%04" PRId64 "-%02d-%02d does not exist in this calendar",
                        y, m, d);
    switch (cal) {
    case DT__CAL_360:
        *out = y * 360 + (m - 1) * 30 + d - 1;
        break;
    case DT__CAL_NOLEAP:
        *out = y * 365 + cum_noleap[m - 1] + d - 1;
        break;
    case DT__CAL_ALL_LEAP:
        *out = y * 366 + cum_leap[m - 1] + d - 1;
        break;
    case DT__CAL_JULIAN:
        *out = julian_jdn(y, m, d);
        break;
    case DT__CAL_PROLEPTIC:
        *out = gregorian_jdn(y, m, d);
        break;
    default:
        if (y == 1582 && m == 10 && d > 4 && d < 15)
            return dt__fail(DT_ERANGE, "1582-10-%02d does not exist in the standard "
                            "calendar (1582-10-04 is followed by 1582-10-15)", d);
        if (y > 1582 || (y == 1582 && (m > 10 || (m == 10 && d >= 15))))
            *out = gregorian_jdn(y, m, d);
        else
            *out = julian_jdn(y, m, d);
        break;
    }
    return DT_OK;
}

void dt__cal_date(dt__calendar cal, int64_t day, int64_t *y, int *m, int *d)
{
    int64_t r;
    const int *cum;

    switch (cal) {
    case DT__CAL_360:
        *y = floor_div(day, 360);
        r = day - *y * 360;
        *m = (int)(r / 30) + 1;
        *d = (int)(r % 30) + 1;
        return;
    case DT__CAL_NOLEAP:
    case DT__CAL_ALL_LEAP: {
        int64_t len = cal == DT__CAL_NOLEAP ? 365 : 366;

        cum = cal == DT__CAL_NOLEAP ? cum_noleap : cum_leap;
        *y = floor_div(day, len);
        r = day - *y * len;
        *m = 12;
        while (*m > 1 && cum[*m - 1] > r)
            (*m)--;
        *d = (int)(r - cum[*m - 1]) + 1;
        return;
    }
    case DT__CAL_JULIAN:
        julian_date(day, y, m, d);
        return;
    case DT__CAL_PROLEPTIC:
        gregorian_date(day, y, m, d);
        return;
    default:
        if (day >= JDN_GREGORIAN_START)
            gregorian_date(day, y, m, d);
        else
            julian_date(day, y, m, d);
        return;
    }
}

int dt__calendar_parse(dt__calendar *out, const char *name)
{
    static const struct {
        const char *name;
        dt__calendar cal;
    } names[] = {
        {"standard", DT__CAL_STANDARD}, {"gregorian", DT__CAL_STANDARD},
        {"proleptic_gregorian", DT__CAL_PROLEPTIC}, {"julian", DT__CAL_JULIAN},
        {"noleap", DT__CAL_NOLEAP}, {"365_day", DT__CAL_NOLEAP},
        {"all_leap", DT__CAL_ALL_LEAP}, {"366_day", DT__CAL_ALL_LEAP},
        {"360_day", DT__CAL_360},
    };

    *out = DT__CAL_STANDARD;
    if (!name || !*name)
        return DT_OK;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (strcasecmp(name, names[i].name) == 0) {
            *out = names[i].cal;
            return DT_OK;
        }
    }
    return dt__fail(DT_EINVAL, "unknown calendar \"%s\" (standard, gregorian, "
                    "proleptic_gregorian, julian, noleap, 365_day, all_leap, 366_day, "
                    "360_day)", name);
}

/* Digits at s (at most max of them, 0: any number); the count read. */
static size_t scan_digits(const char *s, size_t max, int64_t *v)
{
    size_t n = 0;

    *v = 0;
    while (isdigit((unsigned char)s[n]) && (max == 0 || n < max)) {
        if (*v > YEAR_LIMIT * 10)
            return 0;
        *v = *v * 10 + (s[n] - '0');
        n++;
    }
    return n;
}

/* A field of one or two digits after a ':', not followed by another digit. */
static size_t scan_field(const char *s, int64_t *v)
{
    size_t n = scan_digits(s, 2, v);

    return n && !isdigit((unsigned char)s[n]) ? n : 0;
}

static size_t scan_zone(const char *s, double *tz, bool with_offset)
{
    size_t i = 0, n;
    int64_t hh, mm = 0;
    int sign;

    while (s[i] == ' ')
        i++;
    if (s[i] == 'Z' && !isalnum((unsigned char)s[i + 1]))
        return i + 1;
    if ((strncasecmp(s + i, "UTC", 3) == 0 || strncasecmp(s + i, "GMT", 3) == 0) &&
        !isalnum((unsigned char)s[i + 3]))
        return i + 3;
    if (!with_offset || (s[i] != '+' && s[i] != '-'))
        return 0;
    sign = s[i] == '-' ? -1 : 1;
    i++;
    n = scan_digits(s + i, 4, &hh);
    if (n == 0)
        return 0;
    if (n > 2) {          /* +0530 */
        mm = hh % 100;
        hh /= 100;
    }
    i += n;
    if (n <= 2 && s[i] == ':') {
        n = scan_field(s + i + 1, &mm);
        if (!n)
            return 0;
        i += n + 1;
    }
    if (hh > 23 || mm > 59)
        return 0;
    *tz = sign * (double)(hh * 3600 + mm * 60);
    return i;
}

size_t dt__datetime_scan(dt__datetime *out, const char *s)
{
    size_t i = 0, n;
    int64_t v, sign = 1;

    memset(out, 0, sizeof *out);
    out->month = out->day = 1;
    if (s[i] == '-' || s[i] == '+') {
        sign = s[i] == '-' ? -1 : 1;
        i++;
    }
    n = scan_digits(s + i, 0, &v);
    if (n == 0 || v > YEAR_LIMIT)
        return 0;
    out->year = sign * v;
    out->prec = 1;
    i += n;
    if (s[i] != '-' || !isdigit((unsigned char)s[i + 1]))
        return i;
    n = scan_digits(s + i + 1, 2, &v);
    out->month = (int)v;
    out->prec = 2;
    i += n + 1;
    if (s[i] != '-' || !isdigit((unsigned char)s[i + 1]))
        return i;
    n = scan_digits(s + i + 1, 2, &v);
    out->day = (int)v;
    out->prec = 3;
    i += n + 1;
    if ((s[i] == 'T' || s[i] == 't' || s[i] == ' ') && isdigit((unsigned char)s[i + 1])) {
        n = scan_digits(s + i + 1, 2, &v);
        out->hour = (int)v;
        out->prec = 4;
        i += n + 1;
        if (s[i] == ':' && (n = scan_field(s + i + 1, &v)) > 0) {
            out->minute = (int)v;
            out->prec = 5;
            i += n + 1;
            if (s[i] == ':' && (n = scan_field(s + i + 1, &v)) > 0) {
                out->second = (double)v;
                out->prec = 6;
                i += n + 1;
                if (s[i] == '.' && isdigit((unsigned char)s[i + 1])) {
                    double scale = 0.1;

                    for (i++; isdigit((unsigned char)s[i]); i++) {
                        out->second += (s[i] - '0') * scale;
                        scale /= 10;
                    }
                }
            }
        }
    }
    i += scan_zone(s + i, &out->tz_seconds, out->prec >= 4);
    return i;
}

static int check_time_of_day(const dt__datetime *t)
{
    if (t->hour > 24 || t->minute > 59 || t->second >= 61.0 ||
        (t->hour == 24 && (t->minute || t->second > 0)))
        return dt__fail(DT_ERANGE, "%02d:%02d:%02g is not a time of day",
                        t->hour, t->minute, t->second);
    return DT_OK;
}

int dt__cftime_parse(dt__cftime *out, const char *units, const char *calendar)
{
    static const struct {
        const char *name;
        double seconds;
    } unit_names[] = {
        {"days", 86400}, {"day", 86400}, {"d", 86400},
        {"hours", 3600}, {"hour", 3600}, {"hrs", 3600}, {"hr", 3600}, {"h", 3600},
        {"minutes", 60}, {"minute", 60}, {"mins", 60}, {"min", 60},
        {"seconds", 1}, {"second", 1}, {"secs", 1}, {"sec", 1}, {"s", 1},
        {"milliseconds", 1e-3}, {"millisecond", 1e-3}, {"msecs", 1e-3},
        {"msec", 1e-3}, {"ms", 1e-3},
        {"microseconds", 1e-6}, {"microsecond", 1e-6}, {"usecs", 1e-6},
        {"usec", 1e-6}, {"us", 1e-6},
        {"weeks", 604800}, {"week", 604800},
    };
    const char *p = units, *word, *since;
    size_t wlen, n;
    dt__datetime ref;
    int rc;

    memset(out, 0, sizeof *out);
    if (!units)
        return dt__fail(DT_EINVAL, "no time units");
    rc = dt__calendar_parse(&out->cal, calendar);
    if (rc < 0)
        return rc;
    while (*p == ' ')
        p++;
    word = p;
    while (isalpha((unsigned char)*p) || *p == '_')
        p++;
    wlen = (size_t)(p - word);
    while (*p == ' ')
        p++;
    since = p;
    if (wlen == 0 || strncasecmp(since, "since", 5) != 0 || since[5] != ' ')
        return dt__fail(DT_EINVAL, "time units \"%s\" are not \"UNIT since DATE\"", units);
    p = since + 5;
    while (*p == ' ')
        p++;
    for (size_t i = 0; i < sizeof unit_names / sizeof *unit_names; i++) {
        if (strlen(unit_names[i].name) == wlen &&
            strncasecmp(word, unit_names[i].name, wlen) == 0) {
            out->unit_seconds = unit_names[i].seconds;
            break;
        }
    }
    if (out->unit_seconds == 0) {
        bool month = (wlen == 6 && strncasecmp(word, "months", 6) == 0) ||
                     (wlen == 5 && strncasecmp(word, "month", 5) == 0);
        bool year = (wlen == 5 && strncasecmp(word, "years", 5) == 0) ||
                    (wlen == 4 && strncasecmp(word, "year", 4) == 0);

        if (!month && !year)
            return dt__fail(DT_EINVAL, "time units \"%s\": unknown unit \"%.*s\"",
                            units, (int)wlen, word);
        /* a month or a year has no fixed length except in 360_day */
        if (out->cal != DT__CAL_360)
            return dt__fail(DT_EUNSUPPORTED, "time units \"%s\": %s have no fixed length "
                            "in this calendar (only in 360_day)", units,
                            month ? "months" : "years");
        out->unit_seconds = month ? 30.0 * 86400 : 360.0 * 86400;
    }
    n = dt__datetime_scan(&ref, p);
    if (n == 0)
        return dt__fail(DT_EINVAL, "time units \"%s\": no reference date after \"since\"",
                        units);
    p += n;
    while (*p == ' ')
        p++;
    if (*p)
        return dt__fail(DT_EINVAL, "time units \"%s\": unexpected \"%s\" after the "
                        "reference date", units, p);
    rc = dt__cal_day(&out->ref_day, out->cal, ref.year, ref.month, ref.day);
    if (rc == DT_OK)
        rc = check_time_of_day(&ref);
    if (rc < 0) {
        dt__err_prefix("time units \"%s\": ", units);
        return rc;
    }
    out->ref_second = ref.hour * 3600.0 + ref.minute * 60.0 + ref.second - ref.tz_seconds;
    return DT_OK;
}

int dt__cftime_encode(double *out, const dt__cftime *u, const dt__datetime *when)
{
    int64_t day;
    double sec;
    int rc = dt__cal_day(&day, u->cal, when->year, when->month, when->day);

    if (rc == DT_OK)
        rc = check_time_of_day(when);
    if (rc < 0)
        return rc;
    sec = when->hour * 3600.0 + when->minute * 60.0 + when->second - when->tz_seconds;
    *out = ((double)(day - u->ref_day) * 86400.0 + (sec - u->ref_second)) / u->unit_seconds;
    return DT_OK;
}

int dt__cftime_format(char *buf, size_t n, const dt__cftime *u, double value)
{
    double total, sec, days;
    int64_t day, y;
    int m, d, hh, mm;
    char ss[32];

    if (!isfinite(value))
        return snprintf(buf, n, "%s", isnan(value) ? "NaT" : value > 0 ? "inf" : "-inf");
    total = u->ref_second + value * u->unit_seconds;
    days = floor(total / 86400.0);
    if (fabs(days) > (double)YEAR_LIMIT * 366)
        return snprintf(buf, n, "%.17g", value);
    day = u->ref_day + (int64_t)days;
    /* to the microsecond, carrying into the next day when it rounds up */
    sec = round((total - days * 86400.0) * 1e6) / 1e6;
    if (sec >= 86400.0) {
        sec -= 86400.0;
        day++;
    }
    dt__cal_date(u->cal, day, &y, &m, &d);
    if (sec == 0)
        return snprintf(buf, n, "%04" PRId64 "-%02d-%02d", y, m, d);
    hh = (int)(sec / 3600);
    mm = (int)((sec - hh * 3600.0) / 60);
    sec -= hh * 3600.0 + mm * 60.0;
    if (sec == floor(sec)) {
        snprintf(ss, sizeof ss, "%02d", (int)sec);
    } else {
        size_t l;

        snprintf(ss, sizeof ss, "%09.6f", sec);
        l = strlen(ss);
        while (l > 0 && ss[l - 1] == '0')
            ss[--l] = '\0';
    }
    return snprintf(buf, n, "%04" PRId64 "-%02d-%02dT%02d:%02d:%s", y, m, d, hh, mm, ss);
}
