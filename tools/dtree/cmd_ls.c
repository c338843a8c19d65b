/* cmd_ls.c: `dtree ls`: the tree as a tree: groups, dimensions, variables
 * with type, dims and shape, storage in short, inherited coordinates marked. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

typedef struct ls_opts {
    int attrs;
    long max_depth;  /* -1: unlimited */
    int json;
    int yaml;
} ls_opts;

void cmd_ls_help(FILE *fp)
{
    fprintf(fp,
            "usage: dtree ls [-a] [-L DEPTH] [--json | --yaml] PATH[:/group]\n"
            "\n"
            "Show the tree: each group with its dimensions (unlimited marked '*'),\n"
            "its variables with type, dimensions and shape, chunking and codecs, and\n"
            "the coordinates it inherits from its ancestors (marked '^').\n"
            "\n"
            "  -a          show attributes too\n"
            "  -L DEPTH    descend at most DEPTH levels below the start group\n"
            "  --json      print JSON instead of the tree view\n"
            "  --yaml      print YAML instead of the tree view (same content)\n");
}

/* ---- small printing helpers ---- */

#define put_json_str cli_json_str

static void type_str(char *buf, size_t n, dt_type t)
{
    cli_type_name(buf, n, t);
}

/* Attribute values in short: numbers, quoted strings, at most 8 values. */
static void put_attr_value(FILE *fp, const dt_attr *a)
{
    cli_attr_value(fp, a, 8);
}

/* Colours (only on a terminal, see cli_color): groups bold blue, what a
 * group inherits cyan. */
#define SGR_GROUP "1;34"
#define SGR_INHERITED "36"

/* ---- tree view ---- */

typedef struct prefix {
    char text[1024];
    size_t len;
} prefix;

static void push(prefix *p, int last)
{
    const char *add = last ? "    " : "\u2502   ";
    size_t l = strlen(add);

    if (p->len + l < sizeof p->text) {
        memcpy(p->text + p->len, add, l + 1);
        p->len += l;
    }
}

static void pop(prefix *p, int last)
{
    size_t l = strlen(last ? "    " : "\u2502   ");
    p->len = p->len >= l ? p->len - l : 0;
    p->text[p->len] = '\0';
}

static void branch(FILE *fp, const prefix *p, int last)
{
    fprintf(fp, "%s%s", p->text, last ? "\u2514\u2500\u2500 " : "\u251c\u2500\u2500 ");
}

static void put_dims_of_var(FILE *fp, const dt_var *v)
{
    size_t nd = dt_var_ndim(v);
    const uint64_t *shape = dt_var_shape(v);

    fputc('(', fp);
    for (size_t i = 0; i < nd; i++)
        fprintf(fp, "%s%s=%" PRIu64, i ? ", " : "", dt_var_dim(v, i), shape[i]);
    fputc(')', fp);
}

static void put_storage(FILE *fp, const dt_var *v)
{
    const uint64_t *ch = dt_var_chunks(v);
    size_t nc = dt_var_codec_count(v);

    if (ch) {
        fputs("  chunks ", fp);
        for (size_t i = 0; i < dt_var_ndim(v); i++)
            fprintf(fp, "%s%" PRIu64, i ? "x" : "", ch[i]);
    }
    if (nc) {
        fputs("  ", fp);
        for (size_t i = 0; i < nc; i++)
            fprintf(fp, "%s%s", i ? "+" : "", dt_var_codec(v, i));
    }
}

static void put_attr_lines(FILE *fp, prefix *p, const dt_attrs *attrs, int more_after)
{
    size_t n = dt_attrs_count(attrs);

    for (size_t i = 0; i < n; i++) {
        const dt_attr *a = dt_attrs_at(attrs, i);
        char tn[40];

        type_str(tn, sizeof tn, dt_attr_type(a));
        branch(fp, p, !more_after && i + 1 == n);
        fprintf(fp, "@%s = ", dt_attr_name(a));
        put_attr_value(fp, a);
        fprintf(fp, "  (%s)\n", tn);
    }
}

typedef struct inh_list {
    const dt_coord_info *items[256];
    dt_coord_info store[256];
    size_t n;
} inh_list;

static int collect_inherited(const dt_coord_info *ci, void *ud)
{
    inh_list *l = ud;

    if (ci->inherited && l->n < 256) {
        l->store[l->n] = *ci;
        l->items[l->n] = &l->store[l->n];
        l->n++;
    }
    return 0;
}

static void show_group(FILE *fp, const dt_node *n, prefix *p, const ls_opts *o,
                       long depth)
{
    size_t nd = dt_node_dim_count(n), nv = dt_node_var_count(n), nc = dt_node_child_count(n);
    inh_list inh;
    int show_children = o->max_depth < 0 || depth < o->max_depth;
    size_t na = o->attrs ? dt_attrs_count(dt_node_attrs(n)) : 0;
    size_t items, k = 0;

    inh.n = 0;
    dt_node_coords(n, DT_INHERIT_INDEXES, collect_inherited, &inh);
    items = (nd ? 1 : 0) + na + inh.n + nv + (show_children ? nc : 0);
    if (nd) {
        branch(fp, p, ++k == items);
        fputs("dims: ", fp);
        for (size_t i = 0; i < nd; i++) {
            dt_dim_info d;
            dt_node_dim(&d, n, i);
            fprintf(fp, "%s%s=%" PRIu64 "%s", i ? ", " : "", d.name, d.size,
                    d.unlimited ? "*" : "");
        }
        fputc('\n', fp);
    }
    if (na) {
        put_attr_lines(fp, p, dt_node_attrs(n), k + na < items);
        k += na;
    }
    for (size_t i = 0; i < inh.n; i++) {
        const dt_coord_info *ci = inh.items[i];
        char *op = NULL, tn[40];

        dt_node_path(&op, ci->owner);
        type_str(tn, sizeof tn, dt_var_type(ci->var));
        branch(fp, p, ++k == items);
        cli_paint(fp, SGR_INHERITED);
        fprintf(fp, "^ %s", dt_var_name(ci->var));
        cli_paint(fp, NULL);
        fprintf(fp, "  %s ", tn);
        put_dims_of_var(fp, ci->var);
        cli_paint(fp, SGR_INHERITED);
        fprintf(fp, "  inherited from %s", op ? op : "?");
        cli_paint(fp, NULL);
        fputc('\n', fp);
        free(op);
    }
    for (size_t i = 0; i < nv; i++) {
        const dt_var *v = dt_node_var(n, i);
        char tn[40];
        int last = ++k == items;

        type_str(tn, sizeof tn, dt_var_type(v));
        branch(fp, p, last);
        fprintf(fp, "%s  %s ", dt_var_name(v), tn);
        put_dims_of_var(fp, v);
        if (dt_var_is_index(v))
            fputs("  [index]", fp);
        else if (dt_var_is_coord(v))
            fputs("  [coord]", fp);
        put_storage(fp, v);
        if (dt_var_link(v))
            fprintf(fp, "  (%s)", dt_var_link(v));
        fputc('\n', fp);
        if (o->attrs && dt_attrs_count(dt_var_attrs(v))) {
            push(p, last);
            put_attr_lines(fp, p, dt_var_attrs(v), 0);
            pop(p, last);
        }
    }
    if (!show_children)
        return;
    for (size_t i = 0; i < nc; i++) {
        const dt_node *c = dt_node_child(n, i);
        int last = ++k == items;

        branch(fp, p, last);
        cli_paint(fp, SGR_GROUP);
        fprintf(fp, "%s/", dt_node_name(c));
        cli_paint(fp, NULL);
        fprintf(fp, "%s\n",
                dt_node_is_cut(c) ? "  (not aligned with its parents: inherits nothing)" : "");
        push(p, last);
        show_group(fp, c, p, o, depth + 1);
        pop(p, last);
    }
}

/* ---- JSON ---- */

static void json_group(FILE *fp, const dt_node *n, const ls_opts *o, long depth, int *first)
{
    char *path = NULL;
    inh_list inh;

    dt_node_path(&path, n);
    inh.n = 0;
    dt_node_coords(n, DT_INHERIT_INDEXES, collect_inherited, &inh);
    fprintf(fp, "%s\n    {\"path\": ", *first ? "" : ",");
    *first = 0;
    put_json_str(fp, path ? path : "?");
    free(path);
    fputs(", \"dims\": [", fp);
    for (size_t i = 0; i < dt_node_dim_count(n); i++) {
        dt_dim_info d;
        dt_node_dim(&d, n, i);
        fprintf(fp, "%s{\"name\": ", i ? ", " : "");
        put_json_str(fp, d.name);
        fprintf(fp, ", \"size\": %" PRIu64 ", \"unlimited\": %s}", d.size,
                d.unlimited ? "true" : "false");
    }
    fputs("], \"inherited_coords\": [", fp);
    for (size_t i = 0; i < inh.n; i++) {
        char *op = NULL;
        dt_node_path(&op, inh.items[i]->owner);
        fprintf(fp, "%s{\"name\": ", i ? ", " : "");
        put_json_str(fp, dt_var_name(inh.items[i]->var));
        fputs(", \"from\": ", fp);
        put_json_str(fp, op ? op : "?");
        fputc('}', fp);
        free(op);
    }
    fputs("], \"vars\": [", fp);
    for (size_t i = 0; i < dt_node_var_count(n); i++) {
        const dt_var *v = dt_node_var(n, i);
        char tn[40];
        const uint64_t *ch = dt_var_chunks(v);

        type_str(tn, sizeof tn, dt_var_type(v));
        fprintf(fp, "%s\n      {\"name\": ", i ? "," : "");
        put_json_str(fp, dt_var_name(v));
        fprintf(fp, ", \"dtype\": \"%s\", \"dims\": [", tn);
        for (size_t d = 0; d < dt_var_ndim(v); d++) {
            fputs(d ? ", " : "", fp);
            put_json_str(fp, dt_var_dim(v, d));
        }
        fputs("], \"shape\": [", fp);
        for (size_t d = 0; d < dt_var_ndim(v); d++)
            fprintf(fp, "%s%" PRIu64, d ? ", " : "", dt_var_shape(v)[d]);
        fputs("], \"chunks\": ", fp);
        if (ch) {
            fputc('[', fp);
            for (size_t d = 0; d < dt_var_ndim(v); d++)
                fprintf(fp, "%s%" PRIu64, d ? ", " : "", ch[d]);
            fputc(']', fp);
        } else {
            fputs("null", fp);
        }
        fputs(", \"codecs\": [", fp);
        for (size_t c = 0; c < dt_var_codec_count(v); c++) {
            fputs(c ? ", " : "", fp);
            put_json_str(fp, dt_var_codec(v, c));
        }
        fprintf(fp, "], \"coord\": %s, \"index\": %s, \"link\": ",
                dt_var_is_coord(v) ? "true" : "false", dt_var_is_index(v) ? "true" : "false");
        if (dt_var_link(v))
            put_json_str(fp, dt_var_link(v));
        else
            fputs("null", fp);
        fputc('}', fp);
    }
    fputs("]}", fp);
    if (o->max_depth >= 0 && depth >= o->max_depth)
        return;
    for (size_t i = 0; i < dt_node_child_count(n); i++)
        json_group(fp, dt_node_child(n, i), o, depth + 1, first);
}

/* ---- YAML (the same content as --json, in block style) ---- */

static void put_yaml_str(FILE *fp, const char *s)
{
    /* JSON string syntax is a valid YAML double-quoted scalar */
    put_json_str(fp, s);
}

static void yaml_group(FILE *fp, const dt_node *n, const ls_opts *o, long depth)
{
    char *path = NULL;
    inh_list inh;

    dt_node_path(&path, n);
    inh.n = 0;
    dt_node_coords(n, DT_INHERIT_INDEXES, collect_inherited, &inh);
    fputs("  - path: ", fp);
    put_yaml_str(fp, path ? path : "?");
    free(path);
    fputs("\n    dims:", fp);
    if (!dt_node_dim_count(n))
        fputs(" []", fp);
    for (size_t i = 0; i < dt_node_dim_count(n); i++) {
        dt_dim_info d;
        dt_node_dim(&d, n, i);
        fputs("\n      - {name: ", fp);
        put_yaml_str(fp, d.name);
        fprintf(fp, ", size: %" PRIu64 ", unlimited: %s}", d.size,
                d.unlimited ? "true" : "false");
    }
    fputs("\n    inherited_coords:", fp);
    if (!inh.n)
        fputs(" []", fp);
    for (size_t i = 0; i < inh.n; i++) {
        char *op = NULL;
        dt_node_path(&op, inh.items[i]->owner);
        fputs("\n      - {name: ", fp);
        put_yaml_str(fp, dt_var_name(inh.items[i]->var));
        fputs(", from: ", fp);
        put_yaml_str(fp, op ? op : "?");
        fputc('}', fp);
        free(op);
    }
    fputs("\n    vars:", fp);
    if (!dt_node_var_count(n))
        fputs(" []", fp);
    for (size_t i = 0; i < dt_node_var_count(n); i++) {
        const dt_var *v = dt_node_var(n, i);
        const uint64_t *ch = dt_var_chunks(v);
        char tn[40];

        type_str(tn, sizeof tn, dt_var_type(v));
        fputs("\n      - name: ", fp);
        put_yaml_str(fp, dt_var_name(v));
        fprintf(fp, "\n        dtype: \"%s\"\n        dims: [", tn);
        for (size_t d = 0; d < dt_var_ndim(v); d++) {
            fputs(d ? ", " : "", fp);
            put_yaml_str(fp, dt_var_dim(v, d));
        }
        fputs("]\n        shape: [", fp);
        for (size_t d = 0; d < dt_var_ndim(v); d++)
            fprintf(fp, "%s%" PRIu64, d ? ", " : "", dt_var_shape(v)[d]);
        fputs("]\n        chunks: ", fp);
        if (ch) {
            fputc('[', fp);
            for (size_t d = 0; d < dt_var_ndim(v); d++)
                fprintf(fp, "%s%" PRIu64, d ? ", " : "", ch[d]);
            fputc(']', fp);
        } else {
            fputs("null", fp);
        }
        fputs("\n        codecs: [", fp);
        for (size_t c = 0; c < dt_var_codec_count(v); c++) {
            fputs(c ? ", " : "", fp);
            put_yaml_str(fp, dt_var_codec(v, c));
        }
        fprintf(fp, "]\n        coord: %s\n        index: %s\n        link: ",
                dt_var_is_coord(v) ? "true" : "false", dt_var_is_index(v) ? "true" : "false");
        if (dt_var_link(v))
            put_yaml_str(fp, dt_var_link(v));
        else
            fputs("null", fp);
    }
    fputc('\n', fp);
    if (o->max_depth >= 0 && depth >= o->max_depth)
        return;
    for (size_t i = 0; i < dt_node_child_count(n); i++)
        yaml_group(fp, dt_node_child(n, i), o, depth + 1);
}

int cmd_ls(int argc, char **argv)
{
    ls_opts o = {0, -1, 0, 0};
    const char *target = NULL;
    char *file = NULL, *object = NULL;
    dt_tree *tree = NULL;
    dt_node *start = NULL;
    int rc = EXIT_OK;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-a") == 0) {
            o.attrs = 1;
        } else if (strcmp(argv[i], "-L") == 0) {
            char *end;
            if (++i >= argc)
                return cli_usage("ls", "-L needs a depth");
            o.max_depth = strtol(argv[i], &end, 10);
            if (*end || o.max_depth < 0)
                return cli_usage("ls", "-L takes a whole number, not '%s'", argv[i]);
        } else if (strcmp(argv[i], "--json") == 0) {
            o.json = 1;
        } else if (strcmp(argv[i], "--yaml") == 0) {
            o.yaml = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage("ls", "unknown option '%s'", argv[i]);
        } else if (target) {
            return cli_usage("ls", "one PATH only");
        } else {
            target = argv[i];
        }
    }
    if (!target)
        return cli_usage("ls", "a PATH is required");
    if (cli_split_target(target, &file, &object) < 0)
        return EXIT_BAD_FILE;
    if (cli_open(&tree, file, 0) < 0 || dt_node_lookup(&start, dt_tree_root(tree), object) < 0) {
        rc = cli_fail();
        goto out;
    }
    if (o.json && o.yaml) {
        rc = cli_usage("ls", "--json and --yaml exclude each other");
        goto out;
    }
    if (o.yaml) {
        printf("file: ");
        put_yaml_str(stdout, file);
        printf("\nkind: \"%s\"\ngroups:\n", dt_format_name(dt_tree_format(tree)));
        yaml_group(stdout, start, &o, 0);
    } else if (o.json) {
        int first = 1;

        printf("{\"file\": ");
        put_json_str(stdout, file);
        printf(", \"kind\": \"%s\", \"groups\": [", dt_format_name(dt_tree_format(tree)));
        json_group(stdout, start, &o, 0, &first);
        printf("\n]}\n");
    } else {
        prefix p = {"", 0};
        char *sp = NULL;

        dt_node_path(&sp, start);
        cli_paint(stdout, SGR_GROUP);
        printf("%s", sp ? sp : "/");
        cli_paint(stdout, NULL);
        printf("  (%s: %s)\n", dt_format_name(dt_tree_format(tree)), file);
        free(sp);
        show_group(stdout, start, &p, &o, 0);
    }
    if (fflush(stdout) != 0)
        rc = EXIT_BAD_FILE;
out:
    dt_tree_free(tree);
    free(file);
    free(object);
    return rc;
}
