/* cmd_diff.c: `dtree diff`: compare two trees in any formats: groups,
 * dimensions, variables, attributes and types, and data by digest, chunk by
 * chunk (or block by block), naming the first hyperslab that differs. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Blocks of a variable without chunks hold about this many bytes; a chunk
 * larger than this is not read whole to find its first differing element. */
#define BLOCK_BYTES ((uint64_t)4 << 20)
#define SEARCH_BYTES ((uint64_t)64 << 20)

void cmd_diff_help(FILE *fp)
{
    fprintf(fp,
            "usage: dtree diff [-q] [--no-data] [--encoding] A[:/group] B[:/group]\n"
            "\n"
            "Compare two trees, in any formats: groups, dimensions, variables (dtype,\n"
            "dims, shape, coordinate flag), attributes (type and values), and the data:\n"
            "the SHA-256 of every chunk (or block) is compared and the first hyperslab\n"
            "that differs is named with its first differing element. One line per\n"
            "difference:\n"
            "  only in A: group /ocean/deep\n"
            "  changed: attribute @units of /sst: \"K\" (char) -> \"degC\" (char)\n"
            "  changed: data of /sst: first difference in [2:4] (chunk 1), at [3]: 14.0 -> 14.5\n"
            "\n"
            "  -q, --quiet   print nothing; the exit status says whether they differ\n"
            "  --no-data     compare everything but the data\n"
            "  --encoding    compare chunks, codecs, fill values and byte order too\n"
            "\n"
            "Exit status (like diff(1)): 0 the same, 1 different, 2 trouble (a file or\n"
            "data that cannot be read, a usage error).\n");
}

typedef struct differ {
    const char *ta, *tb;
    int header;          /* the ---/+++ lines are out */
    int quiet, data, encoding;
    int differ;          /* a difference was found */
    int trouble;         /* something could not be read */
    size_t a_len;        /* strlen of A's start path ("/" is 0) */
} differ;

static void say(differ *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(differ *d, const char *fmt, ...)
{
    va_list ap;

    d->differ = 1;
    if (d->quiet)
        return;
    if (!d->header) {
        printf("--- A %s\n+++ B %s\n", d->ta, d->tb);
        d->header = 1;
    }
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static void trouble(differ *d, const char *what)
{
    d->trouble = 1;
    fprintf(stderr, "dtree diff: %s%s\n", what ? what : "", dt_error_last()->message);
    dt_error_clear();
}

/* Stop early when only the status is wanted. */
static bool done(const differ *d)
{
    return d->quiet && (d->differ || d->trouble);
}

static void attr_text(char *buf, size_t n, const dt_attr *a)
{
    char *text = NULL, tn[40];
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);

    if (!fp) {
        snprintf(buf, n, "?");
        return;
    }
    cli_attr_value(fp, a, 8);
    fclose(fp);
    snprintf(buf, n, "%s (%s)", text ? text : "?", cli_type_name(tn, sizeof tn, dt_attr_type(a)));
    free(text);
}

static void diff_attrs(differ *d, const char *path, const dt_attrs *a, const dt_attrs *b)
{
    char ta[600], tb[600];

    for (size_t i = 0; i < dt_attrs_count(a) && !done(d); i++) {
        const dt_attr *x = dt_attrs_at(a, i), *y = dt_attrs_find(b, dt_attr_name(x));

        if (!y) {
            say(d, "only in A: attribute @%s of %s", dt_attr_name(x), path);
        } else if (!cli_attr_equal(x, y)) {
            attr_text(ta, sizeof ta, x);
            attr_text(tb, sizeof tb, y);
            say(d, "changed: attribute @%s of %s: %s -> %s", dt_attr_name(x), path, ta, tb);
        }
    }
    for (size_t i = 0; i < dt_attrs_count(b) && !done(d); i++) {
        const dt_attr *y = dt_attrs_at(b, i);

        if (!dt_attrs_find(a, dt_attr_name(y)))
            say(d, "only in B: attribute @%s of %s", dt_attr_name(y), path);
    }
}

static void u64_list(char *buf, size_t n, const uint64_t *v, size_t k, const char *none)
{
    size_t used = 0;

    if (!v) {
        snprintf(buf, n, "%s", none);
        return;
    }
    used += (size_t)snprintf(buf, n, "(");
    for (size_t i = 0; i < k && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%" PRIu64, i ? ", " : "", v[i]);
    if (used < n)
        snprintf(buf + used, n - used, "%s)", k == 1 ? "," : "");
}

static void dim_list(char *buf, size_t n, const dt_var *v)
{
    size_t used = (size_t)snprintf(buf, n, "(");

    for (size_t i = 0; i < dt_var_ndim(v) && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", dt_var_dim(v, i));
    if (used < n)
        snprintf(buf + used, n - used, ")");
}

/* "[2:4, 0:3]" for a hyperslab. */
static void slab_text(char *buf, size_t n, const uint64_t *start, const uint64_t *count,
                      size_t nd)
{
    size_t used = (size_t)snprintf(buf, n, "[");

    for (size_t i = 0; i < nd && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%" PRIu64 ":%" PRIu64, i ? ", " : "",
                                 start[i], start[i] + count[i]);
    if (used < n)
        snprintf(buf + used, n - used, "]");
}

/* Read the block from both and name its first differing element. */
static void first_difference(differ *d, const dt_var *va, const dt_var *vb,
                             const uint64_t *start, const uint64_t *count, char *out, size_t n)
{
    size_t nd = dt_var_ndim(va), es = dt_type_size(dt_var_type(va));
    dt_type t = dt_var_type(va);
    dt_slab slab = {nd, start, count, NULL};
    uint64_t total = 1;
    char *a = NULL, *b = NULL;

    out[0] = '\0';
    for (size_t i = 0; i < nd; i++)
        total *= count[i];
    if (!es || total * es > SEARCH_BYTES)
        return;
    a = malloc((size_t)(total * es));
    b = malloc((size_t)(total * es));
    if (!a || !b || dt_var_read(va, &slab, t, a, (size_t)(total * es)) < 0) {
        free(a);
        free(b);
        dt_error_clear();
        return;
    }
    if (dt_var_read(vb, &slab, t, b, (size_t)(total * es)) < 0) {
        if (DT_TYPE_CLASS(t) == DT_STRING)
            dt_strings_free((char **)a, (size_t)total);
        free(a);
        free(b);
        trouble(d, NULL);
        return;
    }
    for (uint64_t e = 0; e < total; e++) {
        const char *pa = a + e * es, *pb = b + e * es;
        bool same = DT_TYPE_CLASS(t) == DT_STRING ?
                    strcmp(*(char *const *)pa, *(char *const *)pb) == 0 :
                    memcmp(pa, pb, es) == 0;

        if (!same) {
            uint64_t idx[DT_MAX_RANK], rest = e;
            char xa[128], xb[128];
            size_t used = nd ? (size_t)snprintf(out, n, ", at [") : 0;

            for (size_t i = nd; i-- > 0;) {
                idx[i] = start[i] + rest % count[i];
                rest /= count[i];
            }
            for (size_t i = 0; i < nd && used < n; i++)
                used += (size_t)snprintf(out + used, n - used, "%s%" PRIu64, i ? ", " : "",
                                         idx[i]);
            if (dt_value_format(xa, sizeof xa, t, pa) < 0 ||
                dt_value_format(xb, sizeof xb, t, pb) < 0) {
                dt_error_clear();
                snprintf(xa, sizeof xa, "?");
                snprintf(xb, sizeof xb, "?");
            }
            if (used < n)
                snprintf(out + used, n - used, "%s: %s -> %s", nd ? "]" : "", xa, xb);
            break;
        }
    }
    if (DT_TYPE_CLASS(t) == DT_STRING) {
        dt_strings_free((char **)a, (size_t)total);
        dt_strings_free((char **)b, (size_t)total);
    }
    free(a);
    free(b);
}

/* Compare the data block by block: the chunk grid when a variable has one,
 * else blocks of whole trailing dimensions. */
static void diff_data(differ *d, const char *path, const dt_var *va, const dt_var *vb)
{
    size_t nd = dt_var_ndim(va), es = dt_type_size(dt_var_type(va));
    const uint64_t *shape = dt_var_shape(va);
    const uint64_t *chunks = dt_var_chunks(va) ? dt_var_chunks(va) : dt_var_chunks(vb);
    uint64_t block[DT_MAX_RANK], grid[DT_MAX_RANK], g[DT_MAX_RANK] = {0};
    uint64_t start[DT_MAX_RANK], count[DT_MAX_RANK], nblocks = 1, budget;
    unsigned char da[32], db[32];

    if (!es)
        es = 1;
    budget = BLOCK_BYTES / es ? BLOCK_BYTES / es : 1;
    for (size_t i = nd; i-- > 0;) {
        if (chunks) {
            block[i] = chunks[i] ? chunks[i] : 1;
        } else {
            block[i] = shape[i] <= budget ? shape[i] : budget;
            budget = block[i] && shape[i] <= budget ? budget / (shape[i] ? shape[i] : 1) : 1;
            if (block[i] == 0)
                block[i] = 1;
            if (budget == 0)
                budget = 1;
        }
        grid[i] = shape[i] ? (shape[i] + block[i] - 1) / block[i] : 0;
        nblocks *= grid[i];
    }
    if (nd == 0) {
        nblocks = 1;
    }
    for (uint64_t k = 0; k < nblocks && !done(d); k++) {
        dt_slab slab = {nd, start, count, NULL};

        for (size_t i = 0; i < nd; i++) {
            start[i] = g[i] * block[i];
            count[i] = shape[i] - start[i] < block[i] ? shape[i] - start[i] : block[i];
        }
        if (dt_var_digest(da, va, &slab) < 0 || dt_var_digest(db, vb, &slab) < 0) {
            char what[600];

            snprintf(what, sizeof what, "%s: data not compared: ", path);
            trouble(d, what);
            return;
        }
        if (memcmp(da, db, 32) != 0) {
            char where[400], grid_text[300] = "", first[400] = "";

            slab_text(where, sizeof where, start, count, nd);
            if (nd && nblocks > 1) {
                size_t used = (size_t)snprintf(grid_text, sizeof grid_text, " (%s ",
                                               chunks ? "chunk" : "block");
                for (size_t i = 0; i < nd && used < sizeof grid_text; i++)
                    used += (size_t)snprintf(grid_text + used, sizeof grid_text - used,
                                             "%s%" PRIu64, i ? ", " : "", g[i]);
                if (used < sizeof grid_text)
                    snprintf(grid_text + used, sizeof grid_text - used, ")");
            }
            if (!d->quiet)
                first_difference(d, va, vb, start, count, first, sizeof first);
            say(d, "changed: data of %s: first difference in %s%s%s", path,
                nd ? where : "the value", grid_text, first);
            return;
        }
        for (size_t i = nd; i-- > 0;) {
            if (++g[i] < grid[i])
                break;
            g[i] = 0;
        }
    }
}

static void diff_var(differ *d, const char *path, const dt_var *va, const dt_var *vb)
{
    char x[400], y[400];
    bool comparable = true;

    if (dt_var_type(va) != dt_var_type(vb)) {
        say(d, "changed: dtype of %s: %s -> %s", path,
            cli_type_name(x, sizeof x, dt_var_type(va)), cli_type_name(y, sizeof y, dt_var_type(vb)));
        comparable = false;
    }
    dim_list(x, sizeof x, va);
    dim_list(y, sizeof y, vb);
    if (strcmp(x, y) != 0 && !done(d))
        say(d, "changed: dims of %s: %s -> %s", path, x, y);
    if (dt_var_ndim(va) != dt_var_ndim(vb) ||
        memcmp(dt_var_shape(va), dt_var_shape(vb), dt_var_ndim(va) * sizeof(uint64_t)) != 0) {
        u64_list(x, sizeof x, dt_var_shape(va), dt_var_ndim(va), "()");
        u64_list(y, sizeof y, dt_var_shape(vb), dt_var_ndim(vb), "()");
        if (!done(d))
            say(d, "changed: shape of %s: %s -> %s", path, x, y);
        comparable = false;
    }
    if (dt_var_is_coord(va) != dt_var_is_coord(vb) && !done(d))
        say(d, "changed: role of %s: %s -> %s", path,
            dt_var_is_coord(va) ? "coordinate" : "data", dt_var_is_coord(vb) ? "coordinate" : "data");
    if (d->encoding && !done(d)) {
        const uint64_t *ca = dt_var_chunks(va), *cb = dt_var_chunks(vb);
        size_t nd = dt_var_ndim(va);

        if (dt_var_ndim(va) == dt_var_ndim(vb) &&
            ((!ca) != (!cb) || (ca && memcmp(ca, cb, nd * sizeof *ca) != 0))) {
            u64_list(x, sizeof x, ca, nd, "contiguous");
            u64_list(y, sizeof y, cb, nd, "contiguous");
            say(d, "changed: chunks of %s: %s -> %s", path, x, y);
        }
        {
            char cx[400] = "", cy[400] = "";

            for (size_t i = 0; i < dt_var_codec_count(va); i++)
                snprintf(cx + strlen(cx), sizeof cx - strlen(cx), "%s%s", i ? "+" : "",
                         dt_var_codec(va, i));
            for (size_t i = 0; i < dt_var_codec_count(vb); i++)
                snprintf(cy + strlen(cy), sizeof cy - strlen(cy), "%s%s", i ? "+" : "",
                         dt_var_codec(vb, i));
            if (strcmp(cx, cy) != 0 && !done(d))
                say(d, "changed: codecs of %s: %s -> %s", path, *cx ? cx : "none",
                    *cy ? cy : "none");
        }
        if (comparable && !done(d)) {
            const void *fa = dt_var_fill(va), *fb = dt_var_fill(vb);
            dt_type t = dt_var_type(va);
            bool same = (!fa) == (!fb);

            if (same && fa)
                same = DT_TYPE_CLASS(t) == DT_STRING ?
                       strcmp(*(char *const *)fa, *(char *const *)fb) == 0 :
                       memcmp(fa, fb, dt_type_size(t)) == 0;
            if (!same) {
                if (!fa || dt_value_format(x, sizeof x, t, fa) < 0)
                    snprintf(x, sizeof x, "none");
                if (!fb || dt_value_format(y, sizeof y, t, fb) < 0)
                    snprintf(y, sizeof y, "none");
                dt_error_clear();
                say(d, "changed: fill value of %s: %s -> %s", path, x, y);
            }
        }
        if (dt_var_big_endian(va) != dt_var_big_endian(vb) && !done(d))
            say(d, "changed: byte order of %s: %s -> %s", path,
                dt_var_big_endian(va) ? "big" : "little", dt_var_big_endian(vb) ? "big" : "little");
    }
    if (!done(d))
        diff_attrs(d, path, dt_var_attrs(va), dt_var_attrs(vb));
    if (comparable && d->data && !done(d))
        diff_data(d, path, va, vb);
}

static char *join(const char *base, const char *name)
{
    size_t n = strlen(base) + strlen(name) + 2;
    char *p = malloc(n);

    if (p)
        snprintf(p, n, "%s%s%s", base, strcmp(base, "/") == 0 ? "" : "/", name);
    return p;
}

static void diff_group(differ *d, const char *path, const dt_node *a, const dt_node *b)
{
    if (dt_node_load(a) < 0 || dt_node_load(b) < 0) {
        trouble(d, NULL);
        return;
    }
    if (dt_node_is_cut(a) != dt_node_is_cut(b))
        say(d, "changed: alignment of %s: %s -> %s", path,
            dt_node_is_cut(a) ? "cut off" : "aligned", dt_node_is_cut(b) ? "cut off" : "aligned");
    for (size_t i = 0; i < dt_node_dim_count(a) && !done(d); i++) {
        dt_dim_info x, y;
        bool found = false;

        dt_node_dim(&x, a, i);
        for (size_t k = 0; k < dt_node_dim_count(b) && !found; k++) {
            dt_node_dim(&y, b, k);
            found = strcmp(x.name, y.name) == 0;
        }
        if (!found)
            say(d, "only in A: dimension %s of %s", x.name, path);
        else if (x.size != y.size)
            say(d, "changed: dimension %s of %s: %" PRIu64 " -> %" PRIu64, x.name, path,
                x.size, y.size);
        else if (x.unlimited != y.unlimited)
            say(d, "changed: dimension %s of %s: %s -> %s", x.name, path,
                x.unlimited ? "unlimited" : "fixed", y.unlimited ? "unlimited" : "fixed");
    }
    for (size_t k = 0; k < dt_node_dim_count(b) && !done(d); k++) {
        dt_dim_info x, y;
        bool found = false;

        dt_node_dim(&y, b, k);
        for (size_t i = 0; i < dt_node_dim_count(a) && !found; i++) {
            dt_node_dim(&x, a, i);
            found = strcmp(x.name, y.name) == 0;
        }
        if (!found)
            say(d, "only in B: dimension %s of %s", y.name, path);
    }
    if (!done(d))
        diff_attrs(d, path, dt_node_attrs(a), dt_node_attrs(b));
    for (size_t i = 0; i < dt_node_var_count(a) && !done(d); i++) {
        const dt_var *va = dt_node_var(a, i);
        dt_var *vb = NULL;
        char *vp = join(path, dt_var_name(va));

        if (dt_node_var_find(&vb, b, dt_var_name(va)) < 0) {
            dt_error_clear();
            say(d, "only in A: variable %s", vp ? vp : dt_var_name(va));
        } else if (vp) {
            diff_var(d, vp, va, vb);
        }
        free(vp);
    }
    for (size_t i = 0; i < dt_node_var_count(b) && !done(d); i++) {
        const dt_var *vb = dt_node_var(b, i);
        dt_var *va = NULL;

        if (dt_node_var_find(&va, a, dt_var_name(vb)) < 0) {
            char *vp = join(path, dt_var_name(vb));

            dt_error_clear();
            say(d, "only in B: variable %s", vp ? vp : dt_var_name(vb));
            free(vp);
        }
    }
    for (size_t i = 0; i < dt_node_child_count(a) && !done(d); i++) {
        const dt_node *ca = dt_node_child(a, i), *cb = NULL;
        char *cp = join(path, dt_node_name(ca));

        for (size_t k = 0; k < dt_node_child_count(b) && !cb; k++) {
            if (strcmp(dt_node_name(dt_node_child(b, k)), dt_node_name(ca)) == 0)
                cb = dt_node_child(b, k);
        }
        if (!cb)
            say(d, "only in A: group %s", cp ? cp : dt_node_name(ca));
        else if (cp)
            diff_group(d, cp, ca, cb);
        free(cp);
    }
    for (size_t k = 0; k < dt_node_child_count(b) && !done(d); k++) {
        const dt_node *cb = dt_node_child(b, k);
        bool found = false;

        for (size_t i = 0; i < dt_node_child_count(a) && !found; i++)
            found = strcmp(dt_node_name(dt_node_child(a, i)), dt_node_name(cb)) == 0;
        if (!found) {
            char *cp = join(path, dt_node_name(cb));

            say(d, "only in B: group %s", cp ? cp : dt_node_name(cb));
            free(cp);
        }
    }
}

static int open_side(dt_tree **tree, dt_node **start, const char *target)
{
    char *file = NULL, *object = NULL;
    int rc = -1;

    if (cli_split_target(target, &file, &object) == 0 &&
        cli_open(tree, file, 0) == DT_OK &&
        dt_node_lookup(start, dt_tree_root(*tree), object) == DT_OK)
        rc = 0;
    free(file);
    free(object);
    return rc;
}

int cmd_diff(int argc, char **argv)
{
    const char *ta = NULL, *tb = NULL;
    differ d = {NULL, NULL, 0, 0, 1, 0, 0, 0, 0};
    dt_tree *a = NULL, *b = NULL;
    dt_node *sa = NULL, *sb = NULL;
    char *path = NULL;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0 ||
            strcmp(argv[i], "--brief") == 0)
            d.quiet = 1;
        else if (strcmp(argv[i], "--no-data") == 0)
            d.data = 0;
        else if (strcmp(argv[i], "--encoding") == 0)
            d.encoding = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("diff", "unknown option '%s'", argv[i]);
        else if (!ta)
            ta = argv[i];
        else if (!tb)
            tb = argv[i];
        else
            return cli_usage("diff", "two trees, A and B");
    }
    if (!ta || !tb)
        return cli_usage("diff", "two trees, A and B, are required");
    d.ta = ta;
    d.tb = tb;
    if (open_side(&a, &sa, ta) < 0 || open_side(&b, &sb, tb) < 0) {
        fprintf(stderr, "dtree diff: %s\n", dt_error_last()->message);
        rc = EXIT_USAGE;
        goto out;
    }
    if (dt_node_path(&path, sa) < 0) {
        rc = EXIT_USAGE;
        goto out;
    }
    diff_group(&d, path, sa, sb);
    rc = d.trouble ? EXIT_USAGE : d.differ ? 1 : EXIT_OK;
    if (fflush(stdout) != 0)
        rc = EXIT_USAGE;
out:
    free(path);
    dt_tree_free(a);
    dt_tree_free(b);
    return rc;
}
