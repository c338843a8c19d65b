/* cmd_cat.c: `dtree cat`: the values of a variable or a hyperslab of it, as
 * aligned text with dimension labels and coordinate values, CSV, JSON or
 * raw little-endian bytes. Output is streamed block by block. */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define BLOCK_BYTES ((size_t)4 << 20)

typedef enum { FMT_TEXT, FMT_CSV, FMT_JSON, FMT_RAW } out_format;

void cmd_cat_help(FILE *fp)
{
    fprintf(fp,
            "usage: dtree cat [--format text|csv|json|raw] PATH:/group/var[SEL]\n"
            "\n"
            "Print the values of a variable, or of the hyperslab SEL, numpy style:\n"
            "  [0:10:2, -1, ...]   slices start:stop:step, negative indices count\n"
            "                      from the end, '...' stands for the axes not named,\n"
            "                      an integer index drops its axis.\n"
            "Text output labels every row and column with the coordinate values of\n"
            "the dimension (inherited coordinates included), or its index.\n"
            "\n"
            "  --format text   aligned table (default)\n"
            "  --format csv    one line per element: the dimension labels, the value\n"
            "  --format json   {\"name\", \"dtype\", \"dims\", \"shape\", \"data\": nested lists}\n"
            "  --format raw    the canonical bytes (little-endian; strings NUL-ended)\n");
}

/* Labels of one output axis: coordinate values, or indices. */
typedef struct axis {
    size_t dim;          /* the variable's dimension */
    const char *name;
    char **labels;       /* count texts, or NULL: use the index */
    uint64_t count;
} axis;

static char *fmt_elem(dt_type t, const void *p)
{
    int n = dt_value_format(NULL, 0, t, p);
    char *s;

    if (n < 0)
        return NULL;
    s = malloc((size_t)n + 1);
    if (s)
        dt_value_format(s, (size_t)n + 1, t, p);
    return s;
}

static void free_axes(axis *ax, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ax[i].labels) {
            for (uint64_t k = 0; k < ax[i].count; k++)
                free(ax[i].labels[k]);
            free(ax[i].labels);
        }
    }
}

/* Read the selected coordinate values of axis d, when a 1-D coordinate of
 * that name and length is visible from the variable's group. */
static void load_labels(axis *a, const dt_var *v, const dt_selection *sel)
{
    dt_coord_info ci;
    dt_type ct;
    size_t es;
    dt_slab slab;
    void *buf;

    a->labels = NULL;
    if (dt_node_coord_find(&ci, dt_var_node(v), a->name, DT_INHERIT_INDEXES) < 0 ||
        dt_var_ndim(ci.var) != 1 || dt_var_shape(ci.var)[0] != dt_var_shape(v)[a->dim]) {
        dt_error_clear();
        return;
    }
    ct = dt_var_type(ci.var);
    es = dt_type_size(ct);
    if (!es || a->count > (uint64_t)1 << 24)
        return;
    buf = calloc(a->count ? (size_t)a->count : 1, es);
    a->labels = calloc(a->count ? (size_t)a->count : 1, sizeof *a->labels);
    if (!buf || !a->labels) {
        free(buf);
        free(a->labels);
        a->labels = NULL;
        return;
    }
    slab.ndim = 1;
    slab.start = &sel->start[a->dim];
    slab.count = &sel->count[a->dim];
    slab.stride = &sel->stride[a->dim];
    if (dt_var_read(ci.var, &slab, ct, buf, (size_t)a->count * es) < 0) {
        dt_error_clear();
        free(buf);
        free(a->labels);
        a->labels = NULL;
        return;
    }
    for (uint64_t k = 0; k < a->count; k++)
        a->labels[k] = fmt_elem(ct, (char *)buf + k * es);
    if (DT_TYPE_CLASS(ct) == DT_STRING)
        dt_strings_free(buf, (size_t)a->count);
    free(buf);
}

static const char *label(const axis *a, uint64_t k, const dt_selection *sel, char *tmp,
                         size_t n)
{
    uint64_t x;
    char *w;

    if (a->labels && a->labels[k])
        return a->labels[k];
    /* the index, in decimal, at the end of tmp */
    x = sel->start[a->dim] + k * sel->stride[a->dim];
    w = tmp + n;
    *--w = '\0';
    do {
        *--w = (char)('0' + x % 10);
        x /= 10;
    } while (x && w > tmp);
    return w;
}

/* ---- output through one large buffer ---- */

#define OUT_FLUSH ((size_t)1 << 20)

typedef struct outbuf {
    FILE *fp;
    char *data;
    size_t len, cap;
    int failed;
} outbuf;

static void ob_flush(outbuf *o)
{
    if (o->len && !o->failed && fwrite(o->data, 1, o->len, o->fp) != o->len)
        o->failed = 1;
    o->len = 0;
}

/* Room for n more bytes. */
static int ob_room(outbuf *o, size_t n)
{
    if (o->len + n <= o->cap)
        return 0;
    ob_flush(o);
    if (n > o->cap) {
        size_t cap = n > OUT_FLUSH ? n : OUT_FLUSH;
        char *d = realloc(o->data, cap);
        if (!d) {
            o->failed = 1;
            return -1;
        }
        o->data = d;
        o->cap = cap;
    }
    return 0;
}

static void ob_put(outbuf *o, const char *s, size_t n)
{
    if (ob_room(o, n) == 0) {
        memcpy(o->data + o->len, s, n);
        o->len += n;
    }
}

static void ob_puts(outbuf *o, const char *s)
{
    ob_put(o, s, strlen(s));
}

static void ob_putc(outbuf *o, char c)
{
    if (ob_room(o, 1) == 0)
        o->data[o->len++] = c;
}

/* pad spaces, then s (n bytes): printf's "%*s" with a pad computed */
static void ob_padded(outbuf *o, size_t pad, const char *s, size_t n)
{
    if (ob_room(o, pad + n) == 0) {
        memset(o->data + o->len, ' ', pad);
        memcpy(o->data + o->len + pad, s, n);
        o->len += pad + n;
    }
}

static void put_csv_field(outbuf *o, const char *s)
{
    if (strpbrk(s, ",\"\n\r") == NULL) {
        ob_puts(o, s);
        return;
    }
    ob_putc(o, '"');
    for (; *s; s++) {
        if (*s == '"')
            ob_putc(o, '"');
        ob_putc(o, *s);
    }
    ob_putc(o, '"');
}

/* A value as JSON: numbers as they are, non-finite as null, text as a
 * JSON string (our C-style escapes become \u escapes). */
static void put_json_value(outbuf *o, dt_type t, const char *text)
{
    uint32_t c = DT_TYPE_CLASS(t);

    if (c == DT_STRING || c == DT_CHAR || c == DT_BYTES || c == DT_UNICODE) {
        const char *s = text + 1;
        size_t n = strlen(text);

        ob_putc(o, '"');
        for (size_t i = 1; i + 1 < n; i++) {
            if (s[i - 1] == '\\' && s[i] == 'x' && i + 3 < n) {
                char u[6] = {'\\', 'u', '0', '0', s[i + 1], s[i + 2]};
                ob_put(o, u, sizeof u);
                i += 3;
                continue;
            }
            ob_putc(o, s[i - 1]);
        }
        ob_putc(o, '"');
        return;
    }
    if (strcmp(text, "nan") == 0 || strcmp(text, "inf") == 0 || strcmp(text, "-inf") == 0)
        ob_puts(o, "null");
    else
        ob_puts(o, text);
}

/* Canonical bytes: little-endian numbers (this build is little-endian or
 * swaps), strings as UTF-8 plus a NUL. */
static void put_raw(FILE *fp, dt_type t, const void *buf, size_t n)
{
    if (DT_TYPE_CLASS(t) == DT_STRING) {
        for (size_t i = 0; i < n; i++) {
            const char *s = ((char *const *)buf)[i];
            fwrite(s ? s : "", 1, (s ? strlen(s) : 0) + 1, fp);
        }
        return;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    {
        uint32_t c = DT_TYPE_CLASS(t);
        size_t es = dt_type_size(t);
        size_t w = c == DT_COMPLEX64 || c == DT_UNICODE ? 4 : c == DT_COMPLEX128 ? 8 :
                   c == DT_BYTES || c == DT_CHAR ? 1 : es;
        const unsigned char *p = buf;
        for (size_t i = 0; i < n * es; i += w)
            for (size_t k = 0; k < w; k++)
                fputc(p[i + w - 1 - k], fp);
        return;
    }
#endif
    fwrite(buf, dt_type_size(t), n, fp);
}

typedef struct printer {
    outbuf out;
    out_format fmt;
    const dt_var *v;
    dt_type t;
    const dt_selection *sel;
    axis *ax;           /* the kept (output) axes */
    size_t nax;
    int *width;         /* text: per column of the last axis, plus the row label */
    int widths_set;
    uint64_t emitted;   /* elements printed so far */
    uint64_t idx[DT_MAX_RANK]; /* output-axis indices of element `emitted` */
    char *arena;        /* the texts of one block, NUL-ended one after another */
    size_t arena_cap;
} printer;

static size_t col_pad(int width, size_t len)
{
    return (size_t)width > len ? (size_t)width - len : 0;
}

static void text_header(printer *pr)
{
    char tmp[32];
    const axis *last = &pr->ax[pr->nax - 1];
    outbuf *o = &pr->out;
    char corner[512];
    int n = snprintf(corner, sizeof corner, "%s \\ %s", pr->ax[pr->nax - 2].name,
                     last->name);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof corner ? (size_t)n : sizeof corner - 1;

    ob_padded(o, col_pad(pr->width[0], len), corner, len);
    for (uint64_t k = 0; k < last->count; k++) {
        const char *l = label(last, k, pr->sel, tmp, sizeof tmp);
        size_t ll = strlen(l);
        ob_padded(o, 2 + col_pad(pr->width[1 + (k < 4096 ? k : 4095)], ll), l, ll);
    }
    ob_putc(o, '\n');
}

/* Print n elements (the texts in pr->arena, of lengths lens) starting at
 * element pr->emitted. */
static void emit_text(printer *pr, const uint32_t *lens, size_t n)
{
    uint64_t *idx = pr->idx;
    char tmp[32];
    outbuf *o = &pr->out;
    const char *text = pr->arena;

    for (size_t i = 0; i < n; text += lens[i] + 1, i++) {
        uint64_t e = pr->emitted + i;

        if (pr->fmt == FMT_CSV) {
            for (size_t a = 0; a < pr->nax; a++) {
                put_csv_field(o, label(&pr->ax[a], idx[a], pr->sel, tmp, sizeof tmp));
                ob_putc(o, ',');
            }
            put_csv_field(o, text);
            ob_putc(o, '\n');
        } else if (pr->fmt == FMT_JSON) {
            size_t opened = 0;
            /* open a list for every axis whose index just became 0 */
            for (size_t a = pr->nax; a-- > 0;) {
                if (idx[a] != 0)
                    break;
                opened++;
            }
            if (e > 0)
                ob_put(o, ", ", 2);
            for (size_t k = 0; k < opened; k++)
                ob_putc(o, '[');
            put_json_value(o, pr->t, text);
            for (size_t a = pr->nax; a-- > 0;) {
                if (idx[a] + 1 != pr->ax[a].count)
                    break;
                ob_putc(o, ']');
            }
        } else if (pr->nax == 0) {
            ob_put(o, text, lens[i]);
            ob_putc(o, '\n');
        } else if (pr->nax == 1) {
            const char *l = label(&pr->ax[0], idx[0], pr->sel, tmp, sizeof tmp);
            size_t ll = strlen(l);

            ob_puts(o, pr->ax[0].name);
            ob_putc(o, '=');
            ob_put(o, l, ll);
            ob_padded(o, col_pad(pr->width[0], ll) + 2, text, lens[i]);
            ob_putc(o, '\n');
        } else {
            uint64_t col = idx[pr->nax - 1];

            if (col == 0) {
                const char *l;
                size_t ll;

                if (pr->nax >= 3) {
                    bool first_of_table = idx[pr->nax - 2] == 0;
                    if (first_of_table) {
                        ob_puts(o, e ? "\n[" : "[");
                        for (size_t a = 0; a + 2 < pr->nax; a++) {
                            if (a)
                                ob_put(o, ", ", 2);
                            ob_puts(o, pr->ax[a].name);
                            ob_putc(o, '=');
                            ob_puts(o, label(&pr->ax[a], idx[a], pr->sel, tmp, sizeof tmp));
                        }
                        ob_put(o, "]\n", 2);
                        text_header(pr);
                    }
                } else if (pr->nax == 2 && e == 0) {
                    text_header(pr);
                }
                l = label(&pr->ax[pr->nax - 2], idx[pr->nax - 2], pr->sel, tmp, sizeof tmp);
                ll = strlen(l);
                ob_padded(o, col_pad(pr->width[0], ll), l, ll);
            }
            ob_padded(o, 2 + col_pad(pr->width[1 + (col < 4096 ? col : 4095)], lens[i]),
                      text, lens[i]);
            if (col + 1 == pr->ax[pr->nax - 1].count)
                ob_putc(o, '\n');
        }
        /* the next element's indices */
        for (size_t a = pr->nax; a-- > 0;) {
            if (++idx[a] < pr->ax[a].count)
                break;
            idx[a] = 0;
        }
    }
    pr->emitted += n;
}

/* The texts of n elements at buf, each formatted once into pr->arena. */
static int format_block(printer *pr, const void *buf, size_t n, uint32_t *lens)
{
    size_t es = dt_type_size(pr->t), used = 0;

    for (size_t i = 0; i < n; i++) {
        const void *p = (const char *)buf + i * es;
        int r;

        for (;;) {
            size_t room = pr->arena_cap - used;

            r = dt_value_format(room ? pr->arena + used : NULL, room, pr->t, p);
            if (r < 0)
                return -1;
            if ((size_t)r < room)
                break;
            {
                /* about 12 bytes a number; then half as much again */
                size_t cap = pr->arena_cap ? pr->arena_cap + pr->arena_cap / 2 : n * 12;
                char *a;

                if (cap < used + (size_t)r + 64)
                    cap = used + (size_t)r + 64;
                a = realloc(pr->arena, cap);
                if (!a) {
                    fprintf(stderr, "dtree: out of memory\n");
                    return -1;
                }
                pr->arena = a;
                pr->arena_cap = cap;
            }
        }
        if ((uint64_t)r >= UINT32_MAX) {
            fprintf(stderr, "dtree: a value of over 4 GiB of text\n");
            return -1;
        }
        lens[i] = (uint32_t)r;
        used += (size_t)r + 1;
    }
    return 0;
}

/* Column widths from the first block and the labels. */
static int set_widths(printer *pr, const uint32_t *lens, size_t n)
{
    size_t ncol = 1;
    char tmp[32];

    if (pr->nax >= 1)
        ncol = pr->ax[pr->nax - 1].count < 4096 ? (size_t)pr->ax[pr->nax - 1].count : 4096;
    pr->width = calloc(ncol + 1, sizeof *pr->width);
    if (!pr->width)
        return -1;
    if (pr->nax == 0)
        return 0;
    {
        const axis *rows = pr->nax >= 2 ? &pr->ax[pr->nax - 2] : &pr->ax[0];
        uint64_t nr = rows->count < 100000 ? rows->count : 100000;

        if (pr->nax >= 2)
            pr->width[0] = (int)(strlen(rows->name) + 3 + strlen(pr->ax[pr->nax - 1].name));
        for (uint64_t k = 0; k < nr; k++) {
            int w = (int)strlen(label(rows, k, pr->sel, tmp, sizeof tmp));
            if (w > pr->width[0])
                pr->width[0] = w;
        }
    }
    if (pr->nax >= 2) {
        const axis *cols = &pr->ax[pr->nax - 1];
        for (size_t k = 0; k < ncol; k++)
            pr->width[1 + k] = (int)strlen(label(cols, k, pr->sel, tmp, sizeof tmp));
        for (size_t i = 0; i < n; i++) {
            uint64_t c = (pr->emitted + i) % cols->count;
            int w = (int)lens[i];
            if (c < ncol && w > pr->width[1 + c])
                pr->width[1 + c] = w;
        }
    }
    pr->widths_set = 1;
    return 0;
}

static int stream(printer *pr)
{
    const dt_selection *sel = pr->sel;
    size_t nd = sel->ndim, es = dt_type_size(pr->t), j;
    uint64_t start[DT_MAX_RANK], count[DT_MAX_RANK], pos[DT_MAX_RANK] = {0};
    uint64_t inner = 1, total = 1, done = 0, step = 1;
    bool all_whole;
    void *buf;
    uint32_t *lens = NULL;
    int rc = 0;

    for (size_t i = 0; i < nd; i++)
        total *= sel->count[i];
    if (total == 0 || !es)
        return 0;
    /* whole trailing axes that fit a block; the next one out (j) in steps,
     * the outer ones one index at a time */
    j = nd;
    while (j > 0 && inner * sel->count[j - 1] <= BLOCK_BYTES / es) {
        inner *= sel->count[j - 1];
        j--;
    }
    all_whole = j == 0;
    if (!all_whole) {
        j--;
        step = BLOCK_BYTES / es / inner;
        if (step == 0)
            step = 1;
    }
    buf = malloc((size_t)(step * inner) * es);
    lens = malloc((size_t)(step * inner) * sizeof *lens);
    if (!buf || !lens) {
        free(buf);
        free(lens);
        fprintf(stderr, "dtree: out of memory\n");
        return -1;
    }
    while (done < total) {
        dt_slab slab = {nd, start, count, sel->stride};
        uint64_t n = 1;

        for (size_t i = 0; i < nd; i++) {
            if (all_whole || i > j) {
                start[i] = sel->start[i];
                count[i] = sel->count[i];
            } else if (i == j) {
                uint64_t left = sel->count[i] - pos[i];
                start[i] = sel->start[i] + pos[i] * sel->stride[i];
                count[i] = left < step ? left : step;
            } else {
                start[i] = sel->start[i] + pos[i] * sel->stride[i];
                count[i] = 1;
            }
            n *= count[i];
        }
        if (dt_var_read(pr->v, &slab, pr->t, buf, (size_t)n * es) < 0) {
            rc = -1;
            break;
        }
        if (pr->fmt == FMT_RAW) {
            put_raw(pr->out.fp, pr->t, buf, (size_t)n);
        } else if (format_block(pr, buf, (size_t)n, lens) < 0 ||
                   (!pr->widths_set && set_widths(pr, lens, (size_t)n) < 0)) {
            rc = -1;
        } else {
            emit_text(pr, lens, (size_t)n);
        }
        if (DT_TYPE_CLASS(pr->t) == DT_STRING)
            dt_strings_free(buf, (size_t)n);
        done += n;
        ob_flush(&pr->out);
        if (rc < 0 || all_whole || pr->out.failed || ferror(pr->out.fp))
            break;
        /* advance over axes 0..j */
        pos[j] += count[j];
        for (size_t i = j; i > 0 && pos[i] >= sel->count[i]; i--) {
            pos[i] = 0;
            pos[i - 1]++;
        }
    }
    ob_flush(&pr->out);
    free(buf);
    free(lens);
    return rc;
}

int cmd_cat(int argc, char **argv)
{
    out_format fmt = FMT_TEXT;
    const char *target = NULL;
    char *file = NULL, *object = NULL, *bracket;
    dt_tree *tree = NULL;
    dt_var *v = NULL;
    dt_selection sel;
    axis ax[DT_MAX_RANK];
    size_t nax = 0;
    printer pr;
    int rc = EXIT_OK;

    memset(&pr, 0, sizeof pr);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0 || strncmp(argv[i], "--format=", 9) == 0) {
            const char *f = argv[i][8] == '=' ? argv[i] + 9 : (++i < argc ? argv[i] : NULL);
            if (!f)
                return cli_usage("cat", "--format needs text, csv, json or raw");
            if (strcmp(f, "text") == 0)
                fmt = FMT_TEXT;
            else if (strcmp(f, "csv") == 0)
                fmt = FMT_CSV;
            else if (strcmp(f, "json") == 0)
                fmt = FMT_JSON;
            else if (strcmp(f, "raw") == 0)
                fmt = FMT_RAW;
            else
                return cli_usage("cat", "unknown format '%s' (text, csv, json, raw)", f);
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage("cat", "unknown option '%s'", argv[i]);
        } else if (target) {
            return cli_usage("cat", "one PATH:/var only");
        } else {
            target = argv[i];
        }
    }
    if (!target)
        return cli_usage("cat", "a PATH:/group/var is required");
    if (cli_split_target(target, &file, &object) < 0)
        return EXIT_BAD_FILE;
    bracket = strchr(object, '[');
    if (bracket)
        *bracket = '\0';
    if (strcmp(object, "/") == 0) {
        free(file);
        free(object);
        return cli_usage("cat", "name a variable: FILE:/group/var");
    }
    if (cli_open(&tree, file, 1) < 0 || dt_var_lookup(&v, dt_tree_root(tree), object) < 0) {
        rc = cli_fail();
        goto out;
    }
    if (bracket)
        *bracket = '[';
    if (dt_selection_parse(&sel, v, bracket ? bracket : "") < 0) {
        rc = cli_fail();
        goto out;
    }
    for (size_t d = 0; d < sel.ndim; d++) {
        if (sel.dropped[d])
            continue;
        ax[nax].dim = d;
        ax[nax].name = dt_var_dim(v, d);
        ax[nax].count = sel.count[d];
        ax[nax].labels = NULL;
        if (fmt == FMT_TEXT || fmt == FMT_CSV)
            load_labels(&ax[nax], v, &sel);
        nax++;
    }
    pr.out.fp = stdout;
    pr.fmt = fmt;
    pr.v = v;
    pr.t = dt_var_type(v);
    if (DT_TYPE_CLASS(pr.t) == DT_ENUM)
        pr.t = DT_TYPE_PARAM(pr.t);
    pr.sel = &sel;
    pr.ax = ax;
    pr.nax = nax;
    if (fmt == FMT_CSV) {
        for (size_t a = 0; a < nax; a++)
            printf("%s,", ax[a].name);
        printf("%s\n", dt_var_name(v));
    } else if (fmt == FMT_JSON) {
        char tn[40];
        if (dt_type_name(tn, sizeof tn, dt_var_type(v)) < 0)
            snprintf(tn, sizeof tn, "?");
        printf("{\"name\": \"%s\", \"dtype\": \"%s\", \"dims\": [", dt_var_name(v), tn);
        for (size_t a = 0; a < nax; a++)
            printf("%s\"%s\"", a ? ", " : "", ax[a].name);
        printf("], \"shape\": [");
        for (size_t a = 0; a < nax; a++)
            printf("%s%" PRIu64, a ? ", " : "", ax[a].count);
        printf("], \"data\": ");
        if (nax > 0) {
            uint64_t total = 1;
            for (size_t a = 0; a < nax; a++)
                total *= ax[a].count;
            if (total == 0) {
                for (size_t a = 0; a < nax; a++)
                    putchar('[');
                for (size_t a = 0; a < nax; a++)
                    putchar(']');
            }
        }
    } else if (fmt == FMT_TEXT) {
        char tn[40], *vp = NULL;
        if (dt_type_name(tn, sizeof tn, dt_var_type(v)) < 0)
            snprintf(tn, sizeof tn, "?");
        dt_var_path(&vp, v);
        printf("%s  %s (", vp ? vp : dt_var_name(v), tn);
        for (size_t a = 0; a < nax; a++)
            printf("%s%s=%" PRIu64, a ? ", " : "", ax[a].name, ax[a].count);
        printf(")\n");
        free(vp);
    }
    if (stream(&pr) < 0) {
        if (fmt == FMT_JSON || fmt == FMT_TEXT)
            fflush(stdout);
        rc = cli_fail();
        goto out;
    }
    if (fmt == FMT_JSON)
        printf("}\n");
    if (pr.out.failed || fflush(stdout) != 0) {
        fprintf(stderr, "dtree: cannot write the output\n");
        rc = EXIT_BAD_FILE;
    }
out:
    free_axes(ax, nax);
    free(pr.width);
    free(pr.out.data);
    free(pr.arena);
    dt_tree_free(tree);
    free(file);
    free(object);
    return rc;
}
