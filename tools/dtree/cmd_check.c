/* cmd_check.c: `dtree check`: a linter for trees: alignment violations a
 * relaxed open cut off, coordinate variables, fill values, names and
 * attributes the formats reserve or refuse, and CF basics. */
#include "config.h"

#include <float.h>
#include <inttypes.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

/* Coordinates longer than this are not read to check their order. */
#define MAX_INDEX_READ ((uint64_t)1 << 24)

void cmd_check_help(FILE *fp)
{
    fprintf(fp,
            "usage: dtree check [--json] PATH[:/group]\n"
            "\n"
            "Lint a tree. Each finding has a severity (error, warning), a check name,\n"
            "the object and a message:\n"
            "  align-dims       a group redeclares a dimension with another size\n"
            "  align-index      a group's index coordinate differs from an inherited one\n"
            "  coord-ndim       a variable named like a dimension is not 1-D along it\n"
            "  coord-monotonic  an index coordinate is not strictly monotonic (or has NaN)\n"
            "  fill-range       _FillValue or missing_value does not fit the variable's type\n"
            "  fill-type        _FillValue's type is not the variable's, or it has several\n"
            "                   values\n"
            "  fill-mismatch    _FillValue and the storage fill value differ\n"
            "  reserved-attr    an attribute a format keeps for itself (_ARRAY_DIMENSIONS...)\n"
            "  array-dims       _ARRAY_DIMENSIONS disagrees with the dimensions\n"
            "  phony-dims       an unnamed (phony_dim_N) dimension: no _ARRAY_DIMENSIONS or\n"
            "                   dimension_names in Zarr, and xarray needs them\n"
            "  name-netcdf      a name netCDF-C refuses (first character)\n"
            "  cf-units         a floating-point index coordinate without units\n"
            "  cf-coordinates   coordinates names a variable that does not exist\n"
            "  cf-bounds        bounds names a variable that does not exist\n"
            "  cf-calendar      an unknown calendar\n"
            "\n"
            "  --json    print one JSON document (see dtree-check(1))\n"
            "\n"
            "Exit status: 0 no findings, 1 findings, 2 the file could not be read or a\n"
            "usage error.\n");
}

typedef struct finding {
    int error;           /* 1 error, 0 warning */
    const char *check;
    char *path;
    char *message;
} finding;

typedef struct checker {
    finding *f;
    size_t n, cap;
    int failed;          /* a group could not be read */
} checker;

static void add(checker *c, int error, const char *check, const char *path,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add(checker *c, int error, const char *check, const char *path,
                const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        finding *f = realloc(c->f, cap * sizeof *f);

        if (!f) {
            c->failed = 1;
            return;
        }
        c->f = f;
        c->cap = cap;
    }
    c->f[c->n].error = error;
    c->f[c->n].check = check;
    c->f[c->n].path = strdup(path);
    c->f[c->n].message = strdup(msg);
    if (!c->f[c->n].path || !c->f[c->n].message) {
        free(c->f[c->n].path);
        free(c->f[c->n].message);
        c->failed = 1;
        return;
    }
    c->n++;
}

/* ---- names ---- */

/* netCDF-C: the first character is a letter, a digit, '_' or the start of
 * a multibyte UTF-8 character. */
static void check_name(checker *c, const char *path, const char *what, const char *name)
{
    unsigned char first = (unsigned char)name[0];

    if (!first || (first >= 'A' && first <= 'Z') || (first >= 'a' && first <= 'z') ||
        (first >= '0' && first <= '9') || first == '_' || first >= 0x80)
        return;
    add(c, 0, "name-netcdf", path, "%s name \"%s\" starts with '%c': netCDF-C names start "
        "with a letter, a digit, '_' or a multibyte character", what, name, first);
}

static void check_attr_names(checker *c, const char *path, const dt_attrs *attrs)
{
    for (size_t i = 0; i < dt_attrs_count(attrs); i++) {
        const char *name = dt_attr_name(dt_attrs_at(attrs, i));

        check_name(c, path, "attribute", name);
        if (dt_attr_name_reserved(name))
            add(c, 0, "reserved-attr", path, "attribute '%s' is reserved by a storage format; "
                "writers produce it themselves, so it should not be a user attribute", name);
    }
}

/* ---- fill values ---- */

/* The range of an integer or float type; false for other types. */
static bool type_range(dt_type t, double *lo, double *hi, bool *integer)
{
    uint32_t c = DT_TYPE_CLASS(t) == DT_ENUM ? DT_TYPE_PARAM(t) : DT_TYPE_CLASS(t);

    *integer = true;
    switch (c) {
    case DT_BOOL: *lo = 0; *hi = 1; return true;
    case DT_INT8: *lo = INT8_MIN; *hi = INT8_MAX; return true;
    case DT_INT16: *lo = INT16_MIN; *hi = INT16_MAX; return true;
    case DT_INT32: *lo = INT32_MIN; *hi = INT32_MAX; return true;
    case DT_INT64: *lo = -9223372036854775808.0; *hi = 9223372036854775807.0; return true;
    case DT_UINT8: *lo = 0; *hi = UINT8_MAX; return true;
    case DT_UINT16: *lo = 0; *hi = UINT16_MAX; return true;
    case DT_UINT32: *lo = 0; *hi = UINT32_MAX; return true;
    case DT_UINT64: *lo = 0; *hi = 18446744073709551615.0; return true;
    case DT_FLOAT16: *integer = false; *lo = -65504; *hi = 65504; return true;
    case DT_FLOAT32: *integer = false; *lo = -FLT_MAX; *hi = FLT_MAX; return true;
    case DT_FLOAT64: *integer = false; *lo = -DBL_MAX; *hi = DBL_MAX; return true;
    default: return false;
    }
}

/* Element i of an attribute as a double (NaN when not a number). */
static double attr_num(const dt_attr *a, size_t i)
{
    dt_type t = dt_attr_type(a);
    double d = NAN;

    switch (DT_TYPE_CLASS(t) == DT_ENUM ? DT_TYPE_PARAM(t) : DT_TYPE_CLASS(t)) {
    case DT_BOOL: case DT_UINT8: return ((const uint8_t *)dt_attr_data(a))[i];
    case DT_INT8: return ((const int8_t *)dt_attr_data(a))[i];
    case DT_INT16: return ((const int16_t *)dt_attr_data(a))[i];
    case DT_UINT16: return ((const uint16_t *)dt_attr_data(a))[i];
    case DT_INT32: return ((const int32_t *)dt_attr_data(a))[i];
    case DT_UINT32: return ((const uint32_t *)dt_attr_data(a))[i];
    case DT_INT64: return (double)((const int64_t *)dt_attr_data(a))[i];
    case DT_UINT64: return (double)((const uint64_t *)dt_attr_data(a))[i];
    case DT_FLOAT32: return ((const float *)dt_attr_data(a))[i];
    case DT_FLOAT64: return ((const double *)dt_attr_data(a))[i];
    default: return d;
    }
}

static bool is_numeric(dt_type t)
{
    double lo, hi;
    bool integer;

    return type_range(t, &lo, &hi, &integer);
}

static bool is_float(dt_type t)
{
    uint32_t c = DT_TYPE_CLASS(t);

    return c == DT_FLOAT16 || c == DT_FLOAT32 || c == DT_FLOAT64;
}

static bool is_text(dt_type t)
{
    uint32_t c = DT_TYPE_CLASS(t);

    return c == DT_STRING || c == DT_CHAR || c == DT_BYTES || c == DT_UNICODE;
}

static void check_fill(checker *c, const char *path, const dt_var *v)
{
    static const char *const names[] = {"_FillValue", "missing_value"};
    dt_type vt = dt_var_type(v);
    char tn[40], an[40], text[96];
    double lo, hi;
    bool integer;

    for (size_t k = 0; k < 2; k++) {
        const dt_attr *a = dt_attrs_find(dt_var_attrs(v), names[k]);
        dt_type at;

        if (!a)
            continue;
        at = dt_attr_type(a);
        cli_type_name(tn, sizeof tn, vt);
        cli_type_name(an, sizeof an, at);
        if (is_numeric(vt) != is_numeric(at) || is_text(vt) != is_text(at)) {
            add(c, 1, "fill-type", path, "%s is %s, the variable is %s: it cannot mark "
                "missing values", names[k], an, tn);
            continue;
        }
        if (k == 0 && at != vt)
            add(c, 0, "fill-type", path, "_FillValue is %s, the variable is %s: netCDF "
                "requires the variable's type", an, tn);
        if (k == 0 && dt_attr_len(a) != 1)
            add(c, 0, "fill-type", path, "_FillValue has %zu values, one is expected",
                dt_attr_len(a));
        if (!type_range(vt, &lo, &hi, &integer))
            continue;
        for (size_t i = 0; i < dt_attr_len(a); i++) {
            double x = attr_num(a, i);

            if (isnan(x) && !integer)
                continue;
            if (isinf(x) && !integer)
                continue;
            if (isnan(x) || x < lo || x > hi || (integer && x != floor(x))) {
                dt_value_format(text, sizeof text, at,
                                (const char *)dt_attr_data(a) + i * dt_type_size(at));
                add(c, 1, "fill-range", path, "%s %s (%s) does not fit the variable's "
                    "type %s", names[k], text, an, tn);
                break;
            }
        }
    }
    /* the CF marker and the storage fill should agree */
    {
        const dt_attr *a = dt_attrs_find(dt_var_attrs(v), "_FillValue");
        const void *fill = dt_var_fill(v);

        if (a && fill && dt_attr_len(a) == 1 && is_numeric(vt) && is_numeric(dt_attr_type(a))) {
            double x = attr_num(a, 0), y;
            char ft[96];

            switch (DT_TYPE_CLASS(vt) == DT_ENUM ? DT_TYPE_PARAM(vt) : DT_TYPE_CLASS(vt)) {
            case DT_FLOAT32: y = *(const float *)fill; break;
            case DT_FLOAT64: y = *(const double *)fill; break;
            case DT_INT8: y = *(const int8_t *)fill; break;
            case DT_UINT8: case DT_BOOL: y = *(const uint8_t *)fill; break;
            case DT_INT16: y = *(const int16_t *)fill; break;
            case DT_UINT16: y = *(const uint16_t *)fill; break;
            case DT_INT32: y = *(const int32_t *)fill; break;
            case DT_UINT32: y = *(const uint32_t *)fill; break;
            case DT_INT64: y = (double)*(const int64_t *)fill; break;
            case DT_UINT64: y = (double)*(const uint64_t *)fill; break;
            default: return;
            }
            if (!(x == y || (isnan(x) && isnan(y)))) {
                dt_value_format(text, sizeof text, dt_attr_type(a), dt_attr_data(a));
                dt_value_format(ft, sizeof ft, vt, fill);
                add(c, 0, "fill-mismatch", path, "the _FillValue attribute %s and the storage "
                    "fill value %s differ: readers disagree on which values are missing",
                    text, ft);
            }
        }
    }
}

/* ---- coordinates ---- */

static void check_monotonic(checker *c, const char *path, const dt_var *v)
{
    uint64_t n = dt_var_shape(v)[0];
    double *vals;

    if (!is_numeric(dt_var_type(v)) || n < 2 || n > MAX_INDEX_READ)
        return;
    vals = malloc((size_t)n * sizeof *vals);
    if (!vals)
        return;
    if (dt_var_read(v, NULL, DT_FLOAT64, vals, (size_t)n * sizeof *vals) < 0) {
        add(c, 1, "coord-monotonic", path, "the values cannot be read: %s",
            dt_error_last()->message);
        dt_error_clear();
        free(vals);
        return;
    }
    for (uint64_t i = 0; i < n; i++) {
        if (isnan(vals[i])) {
            add(c, 0, "coord-monotonic", path, "index coordinate has NaN at [%" PRIu64 "]: "
                "CF coordinate values are strictly monotonic, without missing values", i);
            free(vals);
            return;
        }
    }
    {
        int dir = vals[1] > vals[0] ? 1 : -1;

        for (uint64_t i = 1; i < n; i++) {
            if ((dir > 0 && !(vals[i] > vals[i - 1])) || (dir < 0 && !(vals[i] < vals[i - 1]))) {
                add(c, 0, "coord-monotonic", path, "index coordinate is not strictly "
                    "monotonic: [%" PRIu64 "] = %.17g, then [%" PRIu64 "] = %.17g", i - 1,
                    vals[i - 1], i, vals[i]);
                break;
            }
        }
    }
    free(vals);
}

/* CF 1.8 search by proximity: a name with a path is looked up as it is,
 * a bare name in the group, then in its ancestors. */
static bool var_reachable(const dt_node *g, const char *name)
{
    dt_var *v = NULL;

    if (strchr(name, '/')) {
        bool ok = dt_var_lookup(&v, g, name) == DT_OK;

        dt_error_clear();
        return ok;
    }
    for (const dt_node *n = g; n; n = dt_node_parent(n)) {
        if (dt_node_var_find(&v, n, name) == DT_OK)
            return true;
    }
    dt_error_clear();
    return false;
}

static void check_references(checker *c, const char *path, const dt_node *g,
                             const dt_attrs *attrs)
{
    static const struct {
        const char *attr, *check;
    } refs[] = {{"coordinates", "cf-coordinates"}, {"bounds", "cf-bounds"}};

    for (size_t k = 0; k < 2; k++) {
        char *text = cli_attr_text(attrs, refs[k].attr), *save = NULL;

        if (!text)
            continue;
        for (char *tok = strtok_r(text, " \t\r\n", &save); tok;
             tok = strtok_r(NULL, " \t\r\n", &save)) {
            if (!var_reachable(g, tok))
                add(c, 1, refs[k].check, path, "%s names '%s', which is not a variable of "
                    "this group or of its ancestors", refs[k].attr, tok);
        }
        free(text);
    }
}

static void check_calendar(checker *c, const char *path, const dt_var *v)
{
    static const char *const known[] = {
        "standard", "gregorian", "proleptic_gregorian", "julian", "noleap", "365_day",
        "all_leap", "366_day", "360_day", "none",
    };
    char *cal = cli_attr_text(dt_var_attrs(v), "calendar");

    if (!cal)
        return;
    for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
        if (strcasecmp(cal, known[i]) == 0) {
            free(cal);
            return;
        }
    }
    add(c, 0, "cf-calendar", path, "calendar \"%s\" is not a CF calendar (standard, "
        "proleptic_gregorian, julian, noleap, all_leap, 360_day, none, ...)", cal);
    free(cal);
}

/* _ARRAY_DIMENSIONS, when a tree carries it as an attribute, must list the
 * variable's dimensions. */
static void check_array_dims(checker *c, const char *path, const dt_var *v)
{
    const dt_attr *a = dt_attrs_find(dt_var_attrs(v), "_ARRAY_DIMENSIONS");
    bool same;

    if (!a || DT_TYPE_CLASS(dt_attr_type(a)) != DT_STRING)
        return;
    same = dt_attr_len(a) == dt_var_ndim(v);
    for (size_t i = 0; same && i < dt_var_ndim(v); i++)
        same = strcmp(((char *const *)dt_attr_data(a))[i], dt_var_dim(v, i)) == 0;
    if (!same) {
        char dims[512] = "", listed[512] = "";

        for (size_t i = 0; i < dt_var_ndim(v); i++)
            snprintf(dims + strlen(dims), sizeof dims - strlen(dims), "%s%s", i ? ", " : "",
                     dt_var_dim(v, i));
        for (size_t i = 0; i < dt_attr_len(a); i++)
            snprintf(listed + strlen(listed), sizeof listed - strlen(listed), "%s%s",
                     i ? ", " : "", ((char *const *)dt_attr_data(a))[i]);
        add(c, 1, "array-dims", path, "_ARRAY_DIMENSIONS lists (%s), the variable's "
            "dimensions are (%s)", listed, dims);
    }
}

static void check_var(checker *c, const dt_node *g, const dt_var *v)
{
    char *path = NULL;
    dt_dim_info di;
    size_t nd = dt_var_ndim(v);

    if (dt_var_path(&path, v) < 0) {
        c->failed = 1;
        return;
    }
    check_name(c, path, "variable", dt_var_name(v));
    check_attr_names(c, path, dt_var_attrs(v));
    check_array_dims(c, path, v);
    for (size_t i = 0; i < nd; i++) {
        if (strncmp(dt_var_dim(v, i), "phony_dim_", 10) == 0) {
            add(c, 0, "phony-dims", path, "dimension '%s' has no name in the file: in Zarr "
                "this variable gets no _ARRAY_DIMENSIONS (v2) or dimension_names (v3), which "
                "xarray requires", dt_var_dim(v, i));
            break;
        }
    }
    /* a variable named like a dimension it sees is that dimension's
     * coordinate variable, which CF and xarray want 1-D along it */
    if (dt_node_dim_find(&di, g, dt_var_name(v)) == DT_OK &&
        !(nd == 1 && strcmp(dt_var_dim(v, 0), dt_var_name(v)) == 0)) {
        char dims[512] = "";

        for (size_t i = 0; i < nd; i++)
            snprintf(dims + strlen(dims), sizeof dims - strlen(dims), "%s%s", i ? ", " : "",
                     dt_var_dim(v, i));
        add(c, 0, "coord-ndim", path, "variable '%s' is named like dimension '%s' but has "
            "dims (%s): a coordinate variable is 1-D along its dimension", dt_var_name(v),
            dt_var_name(v), dims);
    }
    dt_error_clear();
    if (dt_var_is_index(v)) {
        check_monotonic(c, path, v);
        /* floats are measured quantities; integer indexes (stations, members)
         * are often dimensionless, where CF lets units out */
        if (is_float(dt_var_type(v)) && !dt_attrs_find(dt_var_attrs(v), "units"))
            add(c, 0, "cf-units", path, "coordinate '%s' holds floating-point values but "
                "has no units attribute", dt_var_name(v));
    }
    check_fill(c, path, v);
    check_references(c, path, g, dt_var_attrs(v));
    check_calendar(c, path, v);
    free(path);
}

/* Does a dimension of g conflict in size with one its parent sees? */
static bool dims_conflict(const dt_node *g)
{
    const dt_node *p = dt_node_parent(g);

    for (size_t i = 0; p && i < dt_node_dim_count(g); i++) {
        dt_dim_info own, up;

        if (dt_node_dim(&own, g, i) == DT_OK && dt_node_dim_find(&up, p, own.name) == DT_OK &&
            up.size != own.size)
            return true;
        dt_error_clear();
    }
    for (size_t i = 0; i < dt_node_var_count(g); i++) {
        const dt_var *v = dt_node_var(g, i);

        for (size_t k = 0; p && k < dt_var_ndim(v); k++) {
            dt_dim_info up;

            if (dt_node_dim_find(&up, p, dt_var_dim(v, k)) == DT_OK && !up.unlimited &&
                up.size != dt_var_shape(v)[k])
                return true;
            dt_error_clear();
        }
    }
    return false;
}

static void check_group(checker *c, const dt_node *g)
{
    char *path = NULL;

    if (dt_node_load(g) < 0 || dt_node_path(&path, g) < 0) {
        fprintf(stderr, "dtree check: %s\n", dt_error_last()->message);
        c->failed = 1;
        free(path);
        return;
    }
    if (dt_node_parent(g))
        check_name(c, path, "group", dt_node_name(g));
    if (dt_node_is_cut(g)) {
        const char *why = dt_node_cut_reason(g);
        bool dims = dims_conflict(g);

        add(c, 1, dims ? "align-dims" : "align-index", path, "%s (a strict open refuses the "
            "file; a relaxed one cuts this group off from inheritance)",
            why ? why : dims ? "a dimension's size differs from its parents'" :
            "an index coordinate differs from the inherited one");
    }
    for (size_t i = 0; i < dt_node_dim_count(g); i++) {
        dt_dim_info d;

        if (dt_node_dim(&d, g, i) == DT_OK)
            check_name(c, path, "dimension", d.name);
    }
    check_attr_names(c, path, dt_node_attrs(g));
    check_references(c, path, g, dt_node_attrs(g));
    for (size_t i = 0; i < dt_node_var_count(g); i++)
        check_var(c, g, dt_node_var(g, i));
    for (size_t i = 0; i < dt_node_child_count(g); i++)
        check_group(c, dt_node_child(g, i));
    free(path);
}

int cmd_check(int argc, char **argv)
{
    const char *target = NULL;
    char *file = NULL, *object = NULL;
    dt_tree *tree = NULL;
    dt_node *start = NULL;
    checker c = {NULL, 0, 0, 0};
    int json = 0, rc, errors = 0, warnings = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("check", "unknown option '%s'", argv[i]);
        else if (target)
            return cli_usage("check", "one PATH only");
        else
            target = argv[i];
    }
    if (!target)
        return cli_usage("check", "a PATH is required");
    if (cli_split_target(target, &file, &object) < 0)
        return EXIT_USAGE;
    if (cli_open(&tree, file, 1) < 0 || dt_node_lookup(&start, dt_tree_root(tree), object) < 0) {
        fprintf(stderr, "dtree check: %s\n", dt_error_last()->message);
        rc = EXIT_USAGE;
        goto out;
    }
    check_group(&c, start);
    for (size_t i = 0; i < c.n; i++) {
        if (c.f[i].error)
            errors++;
        else
            warnings++;
    }
    if (json) {
        printf("{\"file\": ");
        cli_json_str(stdout, file);
        printf(", \"findings\": [");
        for (size_t i = 0; i < c.n; i++) {
            printf("%s\n  {\"severity\": \"%s\", \"check\": \"%s\", \"path\": ", i ? "," : "",
                   c.f[i].error ? "error" : "warning", c.f[i].check);
            cli_json_str(stdout, c.f[i].path);
            printf(", \"message\": ");
            cli_json_str(stdout, c.f[i].message);
            printf("}");
        }
        printf("%s], \"errors\": %d, \"warnings\": %d}\n", c.n ? "\n" : "", errors, warnings);
    } else {
        for (size_t i = 0; i < c.n; i++) {
            printf("%s:%s: ", file, c.f[i].path);
            cli_paint(stdout, c.f[i].error ? "1;31" : "1;33");
            printf("%s", c.f[i].error ? "error" : "warning");
            cli_paint(stdout, NULL);
            printf(": %s [%s]\n", c.f[i].message, c.f[i].check);
        }
        fflush(stdout);
        if (c.n)
            fprintf(stderr, "%s: %d error%s, %d warning%s\n", file, errors,
                    errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
    }
    rc = c.failed ? EXIT_USAGE : c.n ? 1 : EXIT_OK;
    if (fflush(stdout) != 0)
        rc = EXIT_USAGE;
out:
    for (size_t i = 0; i < c.n; i++) {
        free(c.f[i].path);
        free(c.f[i].message);
    }
    free(c.f);
    dt_tree_free(tree);
    free(file);
    free(object);
    return rc;
}
