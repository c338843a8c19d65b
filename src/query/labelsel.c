/* labelsel.c: xarray's isel and sel on a tree: indexers resolved in each
 * group against the index coordinate it sees (inherited ones too, dates for
 * CF time coordinates), and a new tree of lazy variables that read their
 * selection from the original ones. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"
#include "model/model.h"
#include "query.h"

/* ---- indexers ---- */

typedef struct ixr {
    char *arg;      /* "time=0:10" as given */
    char *dim;
    const char *spec; /* into arg */
    size_t spec_col;  /* offset of spec in arg */
    unsigned how;
} ixr;

struct dt_indexers {
    ixr *v;
    size_t n;
};

/* A position spec: an index, or a slice with optional parts. */
typedef struct pos_spec {
    bool slice;
    bool has[3];
    int64_t v[3];
} pos_spec;

/* One part of a label spec. */
typedef enum { L_EMPTY, L_BARE, L_QUOTED, L_DATE } lkind;

typedef struct label {
    lkind kind;
    char *text;        /* as written (unquoted for L_QUOTED) */
    dt__datetime when; /* L_DATE */
    size_t col;        /* offset in the spec */
} label;

typedef struct label_spec {
    label part[3];
    size_t n;          /* 1: a label, 2: lo:hi, 3: lo:hi:step */
    int64_t step;
} label_spec;

static void label_spec_free(label_spec *ls)
{
    for (size_t i = 0; i < ls->n; i++)
        free(ls->part[i].text);
    ls->n = 0;
}

static int ix_fail(const char *arg, size_t col, int code, const char *what)
{
    return dt__fail(code, "indexer \"%.200s\": column %zu: %s", arg, col + 1, what);
}

/* Positions, numpy style: "5", "-1", "0:10", "::2", ":-1". */
static int parse_positions(pos_spec *out, const ixr *x)
{
    const char *s = x->spec;
    size_t i = 0;

    memset(out, 0, sizeof *out);
    for (int part = 0; part < 3; part++) {
        size_t j = i;

        if (s[j] == '-' || s[j] == '+')
            j++;
        if (isdigit((unsigned char)s[j])) {
            char *end;
            long long v;

            errno = 0;
            v = strtoll(s + i, &end, 10);
            if (errno == ERANGE)
                return ix_fail(x->arg, x->spec_col + i, DT_ERANGE, "the number is too large");
            out->v[part] = v;
            out->has[part] = true;
            i = (size_t)(end - s);
        }
        if (s[i] != ':')
            break;
        if (part == 2)
            return ix_fail(x->arg, x->spec_col + i, DT_EINVAL,
                           "a slice has at most start:stop:step");
        out->slice = true;
        i++;
    }
    if (s[i])
        return ix_fail(x->arg, x->spec_col + i, DT_EINVAL,
                       "expected an integer or a slice start:stop:step");
    if (!out->slice && !out->has[0])
        return ix_fail(x->arg, x->spec_col, DT_EINVAL, "expected an integer or a slice");
    if (out->has[2] && out->v[2] <= 0)
        return ix_fail(x->arg, x->spec_col, DT_EINVAL, out->v[2] == 0 ?
                       "a slice step cannot be zero" : "negative steps are not supported");
    return DT_OK;
}

/* Labels: "L", "lo:hi", "lo:hi:step"; a part is a date (its time may hold
 * ':'), a quoted string, or text up to the next ':'. */
static int parse_labels(label_spec *out, const ixr *x)
{
    const char *s = x->spec;
    size_t i = 0;
    int rc = DT_OK;

    memset(out, 0, sizeof *out);
    out->step = 1;
    for (;;) {
        label *l = &out->part[out->n];
        size_t n;

        out->n++;
        l->col = i;
        if (s[i] == '"' || s[i] == '\'') {
            char q = s[i];
            size_t j = i + 1;

            while (s[j] && s[j] != q)
                j++;
            if (!s[j]) {
                rc = ix_fail(x->arg, x->spec_col + i, DT_EINVAL, "the string is not closed");
                goto fail;
            }
            l->kind = L_QUOTED;
            l->text = dt__strndup(s + i + 1, j - i - 1);
            i = j + 1;
        } else if ((n = dt__datetime_scan(&l->when, s + i)) > 0 && l->when.prec >= 2 &&
                   (s[i + n] == ':' || !s[i + n])) {
            l->kind = L_DATE;
            l->text = dt__strndup(s + i, n);
            i += n;
        } else {
            size_t j = i;

            while (s[j] && s[j] != ':')
                j++;
            l->kind = j > i ? L_BARE : L_EMPTY;
            l->text = dt__strndup(s + i, j - i);
            i = j;
        }
        if (!l->text) {
            rc = DT_ENOMEM;
            goto fail;
        }
        if (!s[i])
            break;
        if (s[i] != ':') {
            rc = ix_fail(x->arg, x->spec_col + i, DT_EINVAL, "expected ':' or the end");
            goto fail;
        }
        if (out->n == 3) {
            rc = ix_fail(x->arg, x->spec_col + i, DT_EINVAL,
                         "a label slice has at most lo:hi:step");
            goto fail;
        }
        i++;
    }
    if (out->n == 1 && out->part[0].kind == L_EMPTY) {
        rc = ix_fail(x->arg, x->spec_col, DT_EINVAL, "expected a label or a slice lo:hi");
        goto fail;
    }
    if (out->n == 3 && out->part[2].kind != L_EMPTY) {
        char *end;
        long long st;

        errno = 0;
        st = strtoll(out->part[2].text, &end, 10);
        if (*end || errno == ERANGE || st <= 0) {
            rc = ix_fail(x->arg, x->spec_col + out->part[2].col, DT_EINVAL,
                         "the step of a label slice is a positive integer");
            goto fail;
        }
        out->step = st;
    }
    return DT_OK;
fail:
    label_spec_free(out);
    return rc;
}

int dt_indexers_new(dt_indexers **out)
{
    if (!out)
        return dt__fail(DT_EINVAL, "dt_indexers_new: out is NULL");
    *out = dt__calloc(1, sizeof **out);
    return *out ? DT_OK : DT_ENOMEM;
}

void dt_indexers_free(dt_indexers *ix)
{
    if (!ix)
        return;
    for (size_t i = 0; i < ix->n; i++) {
        free(ix->v[i].arg);
        free(ix->v[i].dim);
    }
    free(ix->v);
    free(ix);
}

size_t dt_indexers_count(const dt_indexers *ix)
{
    return ix ? ix->n : 0;
}

int dt_indexers_add(dt_indexers *ix, const char *arg, unsigned how)
{
    const char *eq;
    ixr x;
    ixr *v;
    int rc;

    if (!ix || !arg)
        return dt__fail(DT_EINVAL, "dt_indexers_add: NULL argument");
    if (how != DT_BY_POSITION && how != DT_BY_LABEL)
        return dt__fail(DT_EINVAL, "dt_indexers_add: how is DT_BY_POSITION or DT_BY_LABEL");
    eq = strchr(arg, '=');
    if (!eq)
        return ix_fail(arg, strlen(arg), DT_EINVAL, how == DT_BY_LABEL ?
                       "expected DIM=LABEL or DIM=LO:HI (time=2000-01-01, lat=10:20)" :
                       "expected DIM=INDEX or DIM=START:STOP (time=0, time=0:10)");
    memset(&x, 0, sizeof x);
    x.how = how;
    x.arg = dt__strdup(arg);
    x.dim = dt__strndup(arg, (size_t)(eq - arg));
    if (!x.arg || !x.dim) {
        rc = DT_ENOMEM;
        goto fail;
    }
    x.spec_col = (size_t)(eq - arg) + 1;
    x.spec = x.arg + x.spec_col;
    rc = dt_name_check(x.dim, "dimension");
    if (rc < 0) {
        dt__err_prefix("indexer \"%.200s\": ", arg);
        goto fail;
    }
    for (size_t i = 0; i < ix->n; i++) {
        if (strcmp(ix->v[i].dim, x.dim) == 0) {
            rc = ix_fail(arg, 0, DT_EINVAL, "this dimension is already selected");
            goto fail;
        }
    }
    if (!*x.spec) {
        rc = ix_fail(arg, x.spec_col, DT_EINVAL, how == DT_BY_LABEL ?
                     "expected a label after '='" : "expected a position after '='");
        goto fail;
    }
    if (how == DT_BY_POSITION) {
        pos_spec ps;

        rc = parse_positions(&ps, &x);
    } else {
        label_spec ls;

        rc = parse_labels(&ls, &x);
        if (rc == DT_OK)
            label_spec_free(&ls);
    }
    if (rc < 0)
        goto fail;
    v = dt__realloc(ix->v, (ix->n + 1) * sizeof *v);
    if (!v) {
        rc = DT_ENOMEM;
        goto fail;
    }
    ix->v = v;
    ix->v[ix->n++] = x;
    return DT_OK;
fail:
    free(x.arg);
    free(x.dim);
    return rc;
}

/* ---- resolving an indexer in a group ---- */

typedef struct axis_sel {
    uint64_t start, count, stride;
    bool dropped;
} axis_sel;

/* Where an error is reported: the tree's file and the group. */
static int at_fail(const dt_node *g, const ixr *x, int code, const char *fmt, ...)
    DT__PRINTF(4, 5);

static int at_fail(const dt_node *g, const ixr *x, int code, const char *fmt, ...)
{
    char what[768];
    char *gp = dt__node_path_str(g);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    dt__fail_at(code, g->tree->source, gp, "%s %s: %s",
                x->how == DT_BY_LABEL ? "sel" : "isel", x->arg, what);
    free(gp);
    return code;
}

static int resolve_positions(axis_sel *out, const ixr *x, const dt_node *g, uint64_t size)
{
    pos_spec ps;
    int64_t ssize = size > INT64_MAX ? INT64_MAX : (int64_t)size;
    int rc = parse_positions(&ps, x);

    if (rc < 0)
        return rc;
    if (!ps.slice) {
        int64_t i = ps.v[0] < 0 ? ps.v[0] + ssize : ps.v[0];

        if (i < 0 || i >= ssize)
            return at_fail(g, x, DT_ERANGE, "index %" PRId64 " is out of range for '%s' of "
                           "size %" PRIu64, ps.v[0], x->dim, size);
        out->start = (uint64_t)i;
        out->count = 1;
        out->stride = 1;
        out->dropped = true;
        return DT_OK;
    }
    {
        int64_t step = ps.has[2] ? ps.v[2] : 1;
        int64_t a = ps.has[0] ? ps.v[0] : 0, b = ps.has[1] ? ps.v[1] : ssize;

        if (a < 0)
            a = a + ssize < 0 ? 0 : a + ssize;
        if (b < 0)
            b = b + ssize < 0 ? 0 : b + ssize;
        a = a > ssize ? ssize : a;
        b = b > ssize ? ssize : b;
        out->start = (uint64_t)a;
        /* b - a + step - 1 could pass INT64_MAX */
        out->count = b > a ? (uint64_t)(b - a - 1) / (uint64_t)step + 1 : 0;
        out->stride = (uint64_t)step;
        out->dropped = false;
    }
    return DT_OK;
}

/* A coordinate's values for label lookup. */
typedef struct coord_vals {
    const dt_var *var;
    bool text;           /* strings, else float64 */
    bool is_time;
    dt__cftime cf;
    double *num;
    char **str;
    size_t n;
} coord_vals;

static void coord_vals_free(coord_vals *cv)
{
    if (cv->str)
        dt__elems_release(cv->str, DT_STRING, cv->n);
    free(cv->str);
    free(cv->num);
    memset(cv, 0, sizeof *cv);
}

/* The text of a char or one-string attribute, or NULL. */
static char *attr_text(const dt_var *v, const char *name)
{
    const dt_attr *a = dt_attrs_find(dt_var_attrs(v), name);
    const char *s;
    size_t len;

    if (!a)
        return NULL;
    if (DT_TYPE_CLASS(dt_attr_type(a)) == DT_CHAR) {
        s = dt_attr_data(a);
        len = dt_attr_len(a);
        while (len && s[len - 1] == '\0')
            len--;
        return dt__strndup(s, len);
    }
    if (DT_TYPE_CLASS(dt_attr_type(a)) == DT_STRING && dt_attr_len(a) == 1)
        return dt__strdup(((char *const *)dt_attr_data(a))[0]);
    return NULL;
}

static int load_coord(coord_vals *cv, const ixr *x, const dt_node *g, const dt_var *c)
{
    uint32_t cls = DT_TYPE_CLASS(c->type);
    void *vals = NULL;
    int rc;

    memset(cv, 0, sizeof *cv);
    cv->var = c;
    if (cls == DT_STRING) {
        cv->text = true;
    } else if (!dt__type_is_numeric(c->type) || cls == DT_COMPLEX64 || cls == DT_COMPLEX128) {
        char tn[40];

        dt_type_name(tn, sizeof tn, c->type);
        return at_fail(g, x, DT_ETYPE, "the coordinate '%s' holds %s: labels select "
                       "numbers, dates or strings", c->name, tn);
    } else {
        char *units = attr_text(c, "units");

        if (units && strstr(units, " since ")) {
            char *cal = attr_text(c, "calendar");

            rc = dt__cftime_parse(&cv->cf, units, cal);
            free(cal);
            if (rc < 0) {
                char msg[600];

                snprintf(msg, sizeof msg, "%s", dt_error_last()->message);
                free(units);
                return at_fail(g, x, rc, "the coordinate '%s': %s", c->name, msg);
            }
            cv->is_time = true;
        }
        free(units);
    }
    rc = dt__var_read_all(c, cv->text ? DT_STRING : DT_FLOAT64, &vals, &cv->n);
    if (rc < 0)
        return rc;
    if (cv->text)
        cv->str = vals;
    else
        cv->num = vals;
    return DT_OK;
}

/* A label as a bound: a number (or date) or a string; `end` marks the
 * exclusive end of a month ("2000-01" as an upper bound). */
typedef struct bound {
    bool set;
    double num;
    const char *str;
    bool exclusive;
} bound;

/* The label's value in the coordinate's terms. For a month label, lo gets
 * its first instant and hi the first instant of the next month. */
static int label_value(bound *lo, bound *hi, const label *l, const coord_vals *cv,
                       const ixr *x, const dt_node *g)
{
    memset(lo, 0, sizeof *lo);
    if (hi)
        memset(hi, 0, sizeof *hi);
    if (l->kind == L_EMPTY)
        return DT_OK;
    lo->set = true;
    if (cv->text) {
        lo->str = l->text;
        if (hi)
            *hi = *lo;
        return DT_OK;
    }
    if (l->kind == L_DATE) {
        dt__datetime when = l->when;
        int rc;

        if (!cv->is_time)
            return at_fail(g, x, DT_EINVAL, "'%s' is a date, but the coordinate '%s' has no "
                           "CF time units (\"UNIT since DATE\")", l->text, cv->var->name);
        rc = dt__cftime_encode(&lo->num, &cv->cf, &when);
        if (rc == DT_OK && hi) {
            *hi = *lo;
            if (when.prec == 2) {
                /* a month stands for all of it */
                when.month++;
                if (when.month > 12) {
                    when.month = 1;
                    when.year++;
                }
                rc = dt__cftime_encode(&hi->num, &cv->cf, &when);
                hi->exclusive = true;
            }
        }
        if (rc < 0) {
            char msg[400];

            snprintf(msg, sizeof msg, "%s", dt_error_last()->message);
            return at_fail(g, x, rc, "'%s': %s", l->text, msg);
        }
        return DT_OK;
    }
    {
        char *end;

        errno = 0;
        lo->num = strtod(l->text, &end);
        if (l->kind == L_QUOTED || *end || end == l->text || errno == ERANGE)
            return at_fail(g, x, DT_EINVAL, "'%s' is not a number%s (the coordinate '%s' "
                           "holds numbers)", l->text, cv->is_time ? " or a date" : "",
                           cv->var->name);
        if (hi)
            *hi = *lo;
    }
    return DT_OK;
}

/* -1, 0, 1: value i against the bound. */
static int cmp_at(const coord_vals *cv, size_t i, const bound *b)
{
    if (cv->text)
        return strcmp(cv->str[i], b->str) < 0 ? -1 : strcmp(cv->str[i], b->str) > 0;
    return cv->num[i] < b->num ? -1 : cv->num[i] > b->num;
}

static void describe_value(char *buf, size_t n, const coord_vals *cv, size_t i)
{
    if (cv->text)
        snprintf(buf, n, "\"%s\"", cv->str[i]);
    else if (cv->is_time)
        dt__cftime_format(buf, n, &cv->cf, cv->num[i]);
    else
        snprintf(buf, n, "%.17g", cv->num[i]);
}

static size_t nearest(const coord_vals *cv, double v)
{
    size_t best = SIZE_MAX;
    double bd = INFINITY;

    for (size_t i = 0; i < cv->n; i++) {
        double d = fabs(cv->num[i] - v);

        if (!isnan(d) && d < bd) {
            bd = d;
            best = i;
        }
    }
    return best;
}

/* 1 increasing, -1 decreasing (both allow repeats), 0 neither. */
static int monotony(const coord_vals *cv)
{
    bool up = true, down = true;

    for (size_t i = 1; i < cv->n; i++) {
        int c;

        if (!cv->text && (isnan(cv->num[i]) || isnan(cv->num[i - 1])))
            return 0;
        c = cv->text ? strcmp(cv->str[i - 1], cv->str[i])
                     : (cv->num[i - 1] < cv->num[i] ? -1 : cv->num[i - 1] > cv->num[i]);
        if (c > 0)
            up = false;
        if (c < 0)
            down = false;
    }
    return up ? 1 : down ? -1 : 0;
}

static bool within(const coord_vals *cv, size_t i, const bound *a, const bound *b)
{
    int ca = a->set ? cmp_at(cv, i, a) : 1, cb = b->set ? cmp_at(cv, i, b) : -1;

    return (ca > 0 || (ca == 0 && !a->exclusive)) && (cb < 0 || (cb == 0 && !b->exclusive));
}

static int resolve_labels(axis_sel *out, const ixr *x, const dt_node *g, uint64_t size,
                          dt_sel_method method)
{
    label_spec ls;
    coord_vals cv;
    dt_coord_info ci;
    bound lo, hi, unused;
    char d1[80], d2[80];
    int rc;

    rc = parse_labels(&ls, x);
    if (rc < 0)
        return rc;
    memset(&cv, 0, sizeof cv);
    if (dt_node_coord_find(&ci, g, x->dim, DT_INHERIT_INDEXES) < 0 || !ci.is_index ||
        ci.var->shape[0] != size) {
        dt_error_clear();
        rc = at_fail(g, x, DT_ENOTFOUND, "no index coordinate '%s' is visible here, so "
                     "there are no labels to select by (select positions with isel)", x->dim);
        goto out;
    }
    rc = load_coord(&cv, x, g, ci.var);
    if (rc < 0)
        goto out;
    if (method == DT_SEL_NEAREST && cv.text) {
        rc = at_fail(g, x, DT_EINVAL, "the nearest label needs numbers or dates; the "
                     "coordinate '%s' holds strings", x->dim);
        goto out;
    }
    if (ls.n == 1) {
        rc = label_value(&lo, &hi, &ls.part[0], &cv, x, g);
        if (rc < 0)
            goto out;
        if (hi.exclusive) {
            /* a month: every label in it, the dimension kept */
            ls.n = 2;
            goto slice;
        }
        if (method == DT_SEL_NEAREST) {
            size_t i = nearest(&cv, lo.num);

            if (i == SIZE_MAX) {
                rc = at_fail(g, x, DT_ENOTFOUND, "the coordinate '%s' has no values to be "
                             "near to", x->dim);
                goto out;
            }
            out->start = i;
        } else {
            size_t i = 0;

            while (i < cv.n && cmp_at(&cv, i, &lo) != 0)
                i++;
            if (i == cv.n) {
                char *op = dt__node_path_str(ci.owner);

                if (cv.n) {
                    describe_value(d1, sizeof d1, &cv, 0);
                    describe_value(d2, sizeof d2, &cv, cv.n - 1);
                }
                rc = at_fail(g, x, DT_ENOTFOUND, "no label %s in the coordinate '%s' of %s "
                             "(%zu values%s%s%s%s; the nearest one is selected with method "
                             "nearest)", ls.part[0].text, x->dim, op ? op : "?", cv.n,
                             cv.n ? ", from " : "", cv.n ? d1 : "", cv.n ? " to " : "",
                             cv.n ? d2 : "");
                free(op);
                goto out;
            }
            out->start = i;
        }
        out->count = 1;
        out->stride = 1;
        out->dropped = true;
        rc = DT_OK;
        goto out;
    }
    rc = label_value(&lo, &unused, &ls.part[0], &cv, x, g);
    if (rc == DT_OK)
        rc = label_value(&unused, &hi, &ls.part[1], &cv, x, g);
    if (rc < 0)
        goto out;
slice:
    {
        int mono = monotony(&cv);
        size_t first = SIZE_MAX, last = 0;

        if (!mono) {
            char *op = dt__node_path_str(ci.owner);

            rc = at_fail(g, x, DT_EINVAL, "the coordinate '%s' of %s is not sorted, so a "
                         "range of labels is not a slice of it", x->dim, op ? op : "?");
            free(op);
            goto out;
        }
        if (method == DT_SEL_NEAREST) {
            /* slice ends snap to the nearest labels */
            if (lo.set && !lo.exclusive && nearest(&cv, lo.num) != SIZE_MAX)
                lo.num = cv.num[nearest(&cv, lo.num)];
            if (hi.set && !hi.exclusive && nearest(&cv, hi.num) != SIZE_MAX)
                hi.num = cv.num[nearest(&cv, hi.num)];
        }
        /* lo:hi in either order, like the coordinate's own order */
        if (lo.set && hi.set && (cv.text ? strcmp(lo.str, hi.str) > 0 : lo.num > hi.num)) {
            bound t = lo;
            lo = hi;
            hi = t;
        }
        for (size_t i = 0; i < cv.n; i++) {
            if (within(&cv, i, &lo, &hi)) {
                if (first == SIZE_MAX)
                    first = i;
                last = i;
            }
        }
        out->dropped = false;
        out->stride = (uint64_t)ls.step;
        if (first == SIZE_MAX) {
            out->start = 0;
            out->count = 0;
        } else {
            out->start = first;
            out->count = (last - first) / (uint64_t)ls.step + 1;
        }
        rc = DT_OK;
    }
out:
    coord_vals_free(&cv);
    label_spec_free(&ls);
    return rc;
}

/* ---- the new tree ---- */

typedef struct built {
    const dt_var *orig;
    dt_var *copy;
} built;

typedef struct memo {
    const void *key;   /* the index coordinate, or the dimension's owner */
    size_t ix;
    uint64_t size;
    axis_sel a;
} memo;

typedef struct sel_ctx {
    const dt_node *start;
    const dt_indexers *ix;
    dt_sel_method method;
    const dt_query *query;
    dt_tree *t;
    built *b;
    size_t nb, capb;
    memo *m;
    size_t nm, capm;
} sel_ctx;

/* The selection the var's group makes along its dimension k. */
static int resolve_axis(axis_sel *out, sel_ctx *c, const dt_node *g, const char *dim,
                        uint64_t size)
{
    const ixr *x = NULL;
    size_t k;
    dt_coord_info ci;
    dt_dim_info di;
    const void *key;
    int rc;

    out->start = 0;
    out->count = size;
    out->stride = 1;
    out->dropped = false;
    for (k = 0; c->ix && k < c->ix->n; k++) {
        if (strcmp(c->ix->v[k].dim, dim) == 0) {
            x = &c->ix->v[k];
            break;
        }
    }
    if (!x)
        return DT_OK;
    if (dt_node_coord_find(&ci, g, dim, DT_INHERIT_INDEXES) == DT_OK && ci.is_index)
        key = ci.var;
    else if (dt_node_dim_find(&di, g, dim) == DT_OK)
        key = di.owner;
    else
        key = g;
    dt_error_clear();
    for (size_t i = 0; i < c->nm; i++) {
        if (c->m[i].key == key && c->m[i].ix == k && c->m[i].size == size) {
            *out = c->m[i].a;
            return DT_OK;
        }
    }
    rc = x->how == DT_BY_LABEL ? resolve_labels(out, x, g, size, c->method)
                               : resolve_positions(out, x, g, size);
    if (rc < 0)
        return rc;
    if (c->nm == c->capm) {
        size_t cap = c->capm ? 2 * c->capm : 8;
        memo *m = dt__realloc(c->m, cap * sizeof *m);

        if (!m)
            return DT_ENOMEM;
        c->m = m;
        c->capm = cap;
    }
    c->m[c->nm].key = key;
    c->m[c->nm].ix = k;
    c->m[c->nm].size = size;
    c->m[c->nm].a = *out;
    c->nm++;
    return DT_OK;
}

static bool is_above(const dt_node *a, const dt_node *n)
{
    for (const dt_node *p = n; p; p = p->parent) {
        if (p == a)
            return true;
    }
    return false;
}

/* The group of the new tree for group g of the original: its path below
 * start, or the root for start and everything above it. New groups get
 * their original's attributes. */
static int place(dt_node **out, sel_ctx *c, const dt_node *g)
{
    const dt_node *chain[256];
    size_t n = 0;
    dt_node *cur = c->t->root;

    if (is_above(g, c->start)) {
        *out = cur;
        return DT_OK;
    }
    for (const dt_node *p = g; p && p != c->start; p = p->parent) {
        if (n == sizeof chain / sizeof *chain)
            return dt__fail(DT_ELIMIT, "groups nest deeper than %zu levels", n);
        chain[n++] = p;
    }
    while (n--) {
        dt_node *child = NULL;

        for (size_t i = 0; i < cur->nchildren; i++) {
            if (strcmp(cur->children[i]->name, chain[n]->name) == 0)
                child = cur->children[i];
        }
        if (!child) {
            int rc = dt_node_create(&child, cur, chain[n]->name, 0);

            if (rc == DT_OK)
                rc = dt__attrs_copy(&child->attrs, &chain[n]->attrs);
            if (rc < 0)
                return rc;
        }
        cur = child;
    }
    *out = cur;
    return DT_OK;
}

/* Declare dimension `name` of the given size at the new group for `owner`,
 * else (the size there differs) at `fallback`. */
static int declare_dim(sel_ctx *c, const dt_node *owner, dt_node *fallback, const char *name,
                       uint64_t size, int unlimited)
{
    dt_node *ng;
    dt__dim *d;
    int rc = place(&ng, c, owner);

    if (rc < 0)
        return rc;
    d = dt__node_own_dim(ng, name);
    if (!d)
        return dt__node_declare_dim(ng, name, size, unlimited);
    if (d->size == size)
        return DT_OK;
    d = dt__node_own_dim(fallback, name);
    if (!d)
        return dt__node_declare_dim(fallback, name, size, unlimited);
    if (d->size == size)
        return DT_OK;
    {
        char *p = dt__node_path_str(fallback);

        rc = dt__fail(DT_ECONFLICT, "the selection gives dimension '%s' of group %s both "
                      "%" PRIu64 " and %" PRIu64 " elements", name, p ? p : "?", d->size, size);
        free(p);
    }
    return rc;
}

/* ---- the lazy source of a selected variable ---- */

typedef struct wrap {
    const dt_var *orig;
    uint64_t start[DT_LIMITS_MAX_RANK], stride[DT_LIMITS_MAX_RANK];
    unsigned char dropped[DT_LIMITS_MAX_RANK];
} wrap;

/* Map the request on the selection back to the original variable: each
 * kept axis is offset and strided, each dropped one is its one index. */
static int wrap_read(void *ctx, const dt_var *var, const uint64_t *start,
                     const uint64_t *count, const uint64_t *stride, void *buf)
{
    const wrap *w = ctx;
    const dt_var *o = w->orig;
    uint64_t s[DT_LIMITS_MAX_RANK], n[DT_LIMITS_MAX_RANK], st[DT_LIMITS_MAX_RANK];
    uint64_t total = 1;
    size_t k = 0, es = dt_type_size(o->type);
    dt_slab slab = {o->ndim, s, n, st};

    (void)var;
    for (size_t d = 0; d < o->ndim; d++) {
        if (w->dropped[d]) {
            s[d] = w->start[d];
            n[d] = 1;
            st[d] = 1;
        } else {
            s[d] = w->start[d] + start[k] * w->stride[d];
            n[d] = count[k];
            st[d] = stride[k] * w->stride[d];
            k++;
        }
        total *= n[d];
    }
    return dt_var_read(o, &slab, o->type, buf, (size_t)total * es);
}

static const dt_source_ops wrap_ops = {1, wrap_read, NULL, free};

static int include_var(dt_var **out, sel_ctx *c, const dt_var *v);

/* Coordinates a variable needs: the index coordinate of each dimension it
 * uses (from the group that defines it), and what its CF `coordinates`
 * attribute names in its group. */
static int include_coords(sel_ctx *c, const dt_var *v)
{
    dt_var *unused;
    char *names;
    int rc = DT_OK;

    for (size_t k = 0; k < v->ndim && rc == DT_OK; k++) {
        dt_coord_info ci;

        if (dt_node_coord_find(&ci, v->node, v->dims[k], DT_INHERIT_INDEXES) == DT_OK &&
            ci.is_index && ci.var != v)
            rc = include_var(&unused, c, ci.var);
        else
            dt_error_clear();
    }
    names = rc == DT_OK ? attr_text(v, "coordinates") : NULL;
    if (names) {
        char *save = NULL;

        for (char *tok = strtok_r(names, " \t\r\n", &save); tok && rc == DT_OK;
             tok = strtok_r(NULL, " \t\r\n", &save)) {
            for (size_t i = 0; i < v->node->nvars && rc == DT_OK; i++) {
                if (strcmp(v->node->vars[i]->name, tok) == 0 && v->node->vars[i] != v)
                    rc = include_var(&unused, c, v->node->vars[i]);
            }
        }
        free(names);
    }
    return rc;
}

static int include_var(dt_var **out, sel_ctx *c, const dt_var *v)
{
    axis_sel a[DT_LIMITS_MAX_RANK];
    const char *dims[DT_LIMITS_MAX_RANK];
    uint64_t shape[DT_LIMITS_MAX_RANK], chunks[DT_LIMITS_MAX_RANK];
    size_t nd = 0;
    dt_node *ng;
    dt_var *nv = NULL;
    wrap *w;
    int rc;

    for (size_t i = 0; i < c->nb; i++) {
        if (c->b[i].orig == v) {
            *out = c->b[i].copy;
            return DT_OK;
        }
    }
    /* a query picks variables out of order: their coordinates go first, as
     * in the files they come from; a whole subtree keeps its order */
    if (c->query) {
        rc = include_coords(c, v);
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < c->nb; i++) {
            if (c->b[i].orig == v) {
                *out = c->b[i].copy;
                return DT_OK;
            }
        }
    }
    rc = place(&ng, c, v->node);
    for (size_t k = 0; k < v->ndim && rc == DT_OK; k++) {
        dt_dim_info di;

        rc = resolve_axis(&a[k], c, v->node, v->dims[k], v->shape[k]);
        if (rc < 0 || a[k].dropped)
            continue;
        dims[nd] = v->dims[k];
        shape[nd] = a[k].count;
        chunks[nd] = v->chunks ? (v->chunks[k] < a[k].count ? v->chunks[k] :
                                  a[k].count ? a[k].count : 1) : 0;
        nd++;
        if (dt_node_dim_find(&di, v->node, v->dims[k]) == DT_OK)
            rc = declare_dim(c, di.owner, ng, v->dims[k], a[k].count, di.unlimited);
    }
    if (rc == DT_OK)
        rc = dt_node_add_var(&nv, ng, v->name, v->type, nd, dims, shape);
    if (rc < 0)
        return rc;
    nv->is_coord = v->is_coord;
    nv->big_endian = v->big_endian;
    rc = dt__attrs_copy(&nv->attrs, &v->attrs);
    if (rc == DT_OK && v->fill)
        rc = dt_var_set_fill(nv, v->fill);
    for (size_t i = 0; i < v->ncodecs && rc == DT_OK; i++)
        rc = dt_var_add_codec(nv, v->codecs[i]);
    for (size_t i = 0; i < v->nenums && rc == DT_OK; i++)
        rc = dt_var_add_enum_member(nv, v->enums[i].name, v->enums[i].value);
    if (rc == DT_OK && v->chunks)
        rc = dt_var_set_chunks(nv, nd ? chunks : NULL);
    if (rc == DT_OK && (v->data || v->src)) {
        w = dt__calloc(1, sizeof *w);
        if (!w) {
            rc = DT_ENOMEM;
        } else {
            w->orig = v;
            for (size_t k = 0; k < v->ndim; k++) {
                w->start[k] = a[k].start;
                w->stride[k] = a[k].stride;
                w->dropped[k] = a[k].dropped;
            }
            rc = dt_var_set_source(nv, &wrap_ops, w);
        }
    }
    if (rc == DT_OK && c->nb == c->capb) {
        size_t cap = c->capb ? 2 * c->capb : 16;
        built *b = dt__realloc(c->b, cap * sizeof *b);

        if (!b)
            rc = DT_ENOMEM;
        else {
            c->b = b;
            c->capb = cap;
        }
    }
    if (rc < 0) {
        dt_var_remove(nv);
        return rc;
    }
    c->b[c->nb].orig = v;
    c->b[c->nb].copy = nv;
    c->nb++;
    *out = nv;
    /* after it is recorded, so a coordinate including itself stops here */
    return c->query ? DT_OK : include_coords(c, v);
}

/* Own dimensions of a group that no variable brought along (netCDF's
 * dimensions without variables), when the whole subtree is selected. */
static int declare_own_dims(sel_ctx *c, const dt_node *g, dt_node *ng)
{
    for (size_t i = 0; i < g->ndims; i++) {
        const dt__dim *d = &g->dims[i];
        axis_sel a;
        int rc;

        if (dt__node_own_dim(ng, d->name))
            continue;
        rc = resolve_axis(&a, c, g, d->name, d->size);
        if (rc < 0) {
            dt_error_clear();   /* no coordinate to resolve labels: keep it whole */
            a.count = d->size;
            a.dropped = false;
        }
        if (a.dropped)
            continue;
        rc = dt__node_declare_dim(ng, d->name, a.count, d->unlimited);
        if (rc < 0)
            return rc;
    }
    return DT_OK;
}

static int select_walk(sel_ctx *c, const dt_node *g)
{
    dt_node *ng = NULL;
    dt_var *unused;
    int rc = DT_OK, m;

    if (!c->query) {
        rc = place(&ng, c, g);
    } else {
        m = dt_query_match_node(c->query, g);
        if (m < 0)
            return m;
        if (m)
            rc = place(&ng, c, g);
    }
    for (size_t i = 0; i < g->nvars && rc == DT_OK; i++) {
        m = c->query ? dt_query_match_var(c->query, g->vars[i]) : 1;
        if (m < 0)
            return m;
        if (m)
            rc = include_var(&unused, c, g->vars[i]);
    }
    if (rc == DT_OK && ng && !c->query)
        rc = declare_own_dims(c, g, ng);
    for (size_t i = 0; i < g->nchildren && rc == DT_OK; i++)
        rc = select_walk(c, g->children[i]);
    return rc;
}

static bool declared_below(const dt_node *n, const char *dim)
{
    if (dt__node_own_dim(n, dim))
        return true;
    for (size_t i = 0; i < n->nchildren; i++) {
        if (declared_below(n->children[i], dim))
            return true;
    }
    return false;
}

/* Every indexer names a dimension some group of the subtree sees. */
static int check_dims_exist(const sel_ctx *c)
{
    for (size_t k = 0; c->ix && k < c->ix->n; k++) {
        const char *dim = c->ix->v[k].dim;
        dt_dim_info di;
        bool found = dt_node_dim_find(&di, c->start, dim) == DT_OK;

        dt_error_clear();
        if (!found)
            found = declared_below(c->start, dim);
        if (!found) {
            char *sp = dt__node_path_str(c->start);

            dt__fail_at(DT_ENOTFOUND, c->start->tree->source, sp, "%s %s: no group of the "
                        "subtree has a dimension '%s'", c->ix->v[k].how == DT_BY_LABEL ?
                        "sel" : "isel", c->ix->v[k].arg, dim);
            free(sp);
            return DT_ENOTFOUND;
        }
    }
    return DT_OK;
}

static int inherited_cb(const dt_coord_info *ci, void *ud)
{
    sel_ctx *c = ud;
    dt_var *unused;

    return ci->inherited ? include_var(&unused, c, ci->var) : 0;
}

int dt_tree_select(dt_tree **out, const dt_node *start, const dt_indexers *ix,
                   const dt_select_opts *opts)
{
    dt_select_opts def = DT_SELECT_OPTS_INIT;
    dt_open_opts oo = DT_OPEN_OPTS_INIT;
    sel_ctx c;
    int rc;

    if (!out || !start)
        return dt__fail(DT_EINVAL, "dt_tree_select: NULL argument");
    *out = NULL;
    if (!opts)
        opts = &def;
    if (opts->version != 1)
        return dt__fail(DT_EINVAL, "dt_select_opts version %u is not supported (1 is)",
                        opts->version);
    rc = dt_node_load_all(start);
    if (rc < 0)
        return rc;
    memset(&c, 0, sizeof c);
    c.start = start;
    c.ix = ix;
    c.method = opts->method;
    c.query = opts->query;
    rc = check_dims_exist(&c);
    if (rc < 0)
        return rc;
    rc = dt_tree_new(&c.t);
    if (rc < 0)
        return rc;
    /* built without checks, then checked once; relaxed, as a group of the
     * original may have been cut off */
    oo.align = DT_ALIGN_RELAXED;
    oo.keep_layout = 1;
    oo.limits = *dt__tree_limits(start->tree);
    rc = dt__tree_begin_load(c.t, &oo, DT_FORMAT_AUTO, NULL);
    if (rc == DT_OK)
        rc = dt__attrs_copy(&c.t->root->attrs, &start->attrs);
    if (rc == DT_OK && !c.query)
        rc = dt_node_coords(start, DT_INHERIT_INDEXES, inherited_cb, &c);
    if (rc == DT_OK)
        rc = select_walk(&c, start);
    if (rc == DT_OK)
        rc = dt__tree_end_load(c.t);
    free(c.b);
    free(c.m);
    if (rc < 0) {
        dt_tree_free(c.t);
        return rc;
    }
    *out = c.t;
    return DT_OK;
}
