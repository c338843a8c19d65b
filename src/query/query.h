/* query.h: what the query module's files share: the CF time decoder, the
 * path glob matcher and label parsing for selections. */
#ifndef DT_QUERY_H
#define DT_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtree.h"

/* ---- CF calendars and time units (cftime.c) ---- */

typedef enum {
    DT__CAL_STANDARD = 0, /* standard, gregorian: Julian up to 1582-10-04,
                             Gregorian from 1582-10-15 */
    DT__CAL_PROLEPTIC,    /* proleptic_gregorian */
    DT__CAL_JULIAN,       /* julian */
    DT__CAL_NOLEAP,       /* noleap, 365_day */
    DT__CAL_ALL_LEAP,     /* all_leap, 366_day */
    DT__CAL_360           /* 360_day: twelve months of 30 days */
} dt__calendar;

/* A date and time of day as written; year in astronomical numbering
 * (year 0 exists). prec counts the fields given: 1 year ... 6 seconds. */
typedef struct dt__datetime {
    int64_t year;
    int month, day, hour, minute;
    double second;
    double tz_seconds;    /* the offset written after the time (+01:00) */
    int prec;
} dt__datetime;

/* "days since 2000-01-01 06:00" under a calendar. */
typedef struct dt__cftime {
    double unit_seconds;  /* seconds in one unit */
    dt__calendar cal;
    int64_t ref_day;      /* day number of the reference date */
    double ref_second;    /* seconds into that day, in UTC */
} dt__cftime;

/* The calendar named by a CF `calendar` attribute; NULL or "" is the
 * standard calendar. DT_EINVAL for an unknown name. */
int dt__calendar_parse(dt__calendar *out, const char *name);
/* Parse "Y-M-D[(T| )h:m[:s[.f]]][Z| UTC|±hh[:mm]]" from s. Returns the
 * number of characters read, 0 when s does not start with a date. Only
 * fields of one or two digits follow a ':', so "2000-01-01T06:00:2000-02"
 * stops before the second ':'. */
size_t dt__datetime_scan(dt__datetime *out, const char *s);
/* Day number of a date in a calendar (consecutive days have consecutive
 * numbers); DT_ERANGE when the date does not exist in it (2001-02-29 in
 * the standard calendar, 2000-01-31 in 360_day, 1582-10-10 in standard). */
int dt__cal_day(int64_t *out, dt__calendar cal, int64_t y, int m, int d);
/* The date of a day number. */
void dt__cal_date(dt__calendar cal, int64_t day, int64_t *y, int *m, int *d);
/* Parse CF time units ("hours since 1970-01-01 00:00:00 UTC") and an
 * optional calendar name. DT_EINVAL when the text is not "UNIT since DATE",
 * DT_EUNSUPPORTED for months and years outside the 360_day calendar. */
int dt__cftime_parse(dt__cftime *out, const char *units, const char *calendar);
/* The coordinate value (in the units) of a date and time of day. */
int dt__cftime_encode(double *out, const dt__cftime *u, const dt__datetime *when);
/* The date of a coordinate value, "2000-01-02" or "2000-01-02T06:30:00";
 * like snprintf. */
int dt__cftime_format(char *buf, size_t n, const dt__cftime *u, double value);

/* ---- path globs (query.c) ---- */

/* PurePath.match on object paths: an absolute pattern matches the whole
 * path, a relative one its end; '*', '?' and [...] stay inside one
 * component, a "**" component matches any number of components. */
bool dt__glob_match(const char *pattern, const char *path);

#endif /* DT_QUERY_H */
