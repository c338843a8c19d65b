/* cmd_query.c: `dtree query`: find groups and variables with the language of
 * dtree-query(7), optionally cut the tree down by index (--isel) or label
 * (--sel), and list the matches, print the selected tree or write it. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cmd_query_help(FILE *fp)
{
    fprintf(fp,
            "usage: dtree query [--json | --yaml] [--isel DIM=POS]... [--sel DIM=LABEL]...\n"
            "                   [--method exact|nearest] [--print]\n"
            "                   [-o OUT [--format F] [--force]]\n"
            "                   PATH[:/group] EXPR\n"
            "\n"
            "Print the path of every group and variable EXPR matches, one per line.\n"
            "EXPR (see dtree-query(7)):\n"
            "  /model/*/temp  **/sst  sst     path globs ('*' stays in a component,\n"
            "                                 '**' spans any; relative ones match the end)\n"
            "  dim(time)  dtype(float32)      dimensions used, types (or int, float, text)\n"
            "  ndim > 2  size > 1e6           comparisons: == != < <= > >=\n"
            "  @units == \"K\"  @long_name ~ \"temp\"  has(@_FillValue)\n"
            "  is(group|var|coord|index|data)  name  path   and, or, not, ( )\n"
            "\n"
            "  --json, --yaml      list matches with their type, dtype, dims and shape\n"
            "  --isel DIM=POS      positions: 5, -1 (drop DIM), 0:10, ::2\n"
            "  --sel DIM=LABEL     coordinate values: 2000-01-01 (dates for CF time\n"
            "                      coordinates), 10.5:20 (inclusive range), 2000-01 (a month)\n"
            "  --method nearest    the nearest label instead of an exact one\n"
            "  --print             print the selected tree (matching variables, the\n"
            "                      coordinates they use, sliced) as a YAML tree\n"
            "  -o OUT              write the selected tree to OUT, in the format its name\n"
            "                      says (.nc, .zarr: Zarr v3, .yaml); the data is read\n"
            "                      from the source as it is written; --force replaces OUT\n"
            "  --format F          the format of OUT: netcdf4, zarr2, zarr3 or yaml\n"
            "\n"
            "Exit status: 0 success (also when nothing matches), 1 the file could not be\n"
            "read or the selection failed, 2 usage or syntax error.\n");
}

typedef struct listing {
    FILE *fp;
    int json, yaml;
    size_t n;
    const dt_tree *sel;      /* the selected tree, or NULL */
    size_t start_len;        /* strlen of the start group's path ("/" is 0) */
} listing;

static void put_shape(FILE *fp, const listing *l, const char *const *dims,
                      const uint64_t *shape, size_t nd)
{
    fputs(l->json ? ", \"dims\": [" : ", dims: [", fp);
    for (size_t i = 0; i < nd; i++) {
        fputs(i ? ", " : "", fp);
        cli_json_str(fp, dims[i]);
    }
    fputs(l->json ? "], \"shape\": [" : "], shape: [", fp);
    for (size_t i = 0; i < nd; i++)
        fprintf(fp, "%s%" PRIu64, i ? ", " : "", shape[i]);
    fputc(']', fp);
}

/* The object at the same place in the selected tree (whose root is the
 * start group), or the original. */
static const dt_var *selected_var(const listing *l, const char *path, const dt_var *v)
{
    dt_var *sv = NULL;

    if (!l->sel)
        return v;
    if (dt_var_lookup(&sv, dt_tree_root(l->sel), path + l->start_len) < 0 ||
        dt_var_node(sv) == NULL) {
        dt_error_clear();
        return v;
    }
    return sv;
}

static const dt_node *selected_node(const listing *l, const char *path, const dt_node *n)
{
    dt_node *sn = NULL;

    if (!l->sel)
        return n;
    if (dt_node_lookup(&sn, dt_tree_root(l->sel), *(path + l->start_len) ?
                       path + l->start_len : "/") < 0) {
        dt_error_clear();
        return n;
    }
    return sn;
}

static int list_one(const dt_node *node, const dt_var *var, void *ud)
{
    listing *l = ud;
    FILE *fp = l->fp;
    char *path = NULL;
    int rc = var ? dt_var_path(&path, var) : dt_node_path(&path, node);

    if (rc < 0)
        return rc;
    if (!l->json && !l->yaml) {
        fprintf(fp, "%s\n", path);
        free(path);
        l->n++;
        return 0;
    }
    if (l->json)
        fprintf(fp, "%s\n    {\"path\": ", l->n ? "," : "");
    else
        fputs("\n  - {path: ", fp);
    cli_json_str(fp, path);
    if (var) {
        const dt_var *v = selected_var(l, path, var);
        const char *dims[DT_MAX_RANK];
        char tn[40];

        for (size_t i = 0; i < dt_var_ndim(v) && i < DT_MAX_RANK; i++)
            dims[i] = dt_var_dim(v, i);
        fprintf(fp, l->json ? ", \"type\": \"variable\", \"dtype\": \"%s\"" :
                ", type: \"variable\", dtype: \"%s\"",
                cli_type_name(tn, sizeof tn, dt_var_type(v)));
        put_shape(fp, l, dims, dt_var_shape(v), dt_var_ndim(v));
    } else {
        const char *dims[256];
        uint64_t shape[256];
        size_t nd = 0;

        node = selected_node(l, path, node);
        for (size_t i = 0; i < dt_node_dim_count(node) && nd < 256; i++) {
            dt_dim_info d;

            if (dt_node_dim(&d, node, i) == DT_OK) {
                dims[nd] = d.name;
                shape[nd++] = d.size;
            }
        }
        fputs(l->json ? ", \"type\": \"group\", \"dtype\": null" :
              ", type: \"group\", dtype: null", fp);
        put_shape(fp, l, dims, shape, nd);
    }
    fputc('}', fp);
    free(path);
    l->n++;
    return 0;
}

/* "dtree query: <message>" and, for a syntax error, the query with a caret
 * under the column. */
static int syntax_error(const char *expr, size_t col)
{
    fprintf(stderr, "dtree query: %s\n", dt_error_last()->message);
    if (col > 0) {
        fprintf(stderr, "  %s\n  %*s^\n", expr, (int)(col - 1), "");
    }
    fprintf(stderr, "Try 'dtree help query' and dtree-query(7).\n");
    return EXIT_USAGE;
}

int cmd_query(int argc, char **argv)
{
    const char *target = NULL, *expr = NULL, *out = NULL;
    int json = 0, yaml = 0, print = 0, force = 0, rc = EXIT_OK;
    dt_sel_method method = DT_SEL_EXACT;
    dt_format ofmt = DT_FORMAT_AUTO;
    dt_indexers *ix = NULL;
    dt_query *q = NULL;
    dt_query_opts qo = DT_QUERY_OPTS_INIT;
    size_t col = 0;
    char *file = NULL, *object = NULL;
    dt_tree *tree = NULL, *sel = NULL;
    dt_node *start = NULL;

    if (dt_indexers_new(&ix) < 0)
        return cli_fail();
    for (int i = 1, opts_done = 0; i < argc; i++) {
        const char *v, *opt = argv[i];
        bool missing = false;

        if (opts_done || opt[0] != '-' || !opt[1]) {
            if (!target) {
                target = opt;
            } else if (!expr) {
                expr = opt;
            } else {
                rc = cli_usage("query", "one PATH and one EXPR (quote the expression)");
                goto out;
            }
            continue;
        }
        if (strcmp(opt, "--") == 0) {
            opts_done = 1;
        } else if ((v = cli_optarg(argc, argv, &i, "--isel", &missing)) != NULL ||
                   (!missing && (v = cli_optarg(argc, argv, &i, "--sel", &missing)) != NULL)) {
            unsigned how = strncmp(opt, "--isel", 6) == 0 ? DT_BY_POSITION : DT_BY_LABEL;

            if (dt_indexers_add(ix, v, how) < 0) {
                fprintf(stderr, "dtree query: %s\n", dt_error_last()->message);
                rc = EXIT_USAGE;
                goto out;
            }
        } else if (!missing && (v = cli_optarg(argc, argv, &i, "--method", &missing)) != NULL) {
            if (strcmp(v, "nearest") == 0) {
                method = DT_SEL_NEAREST;
            } else if (strcmp(v, "exact") == 0) {
                method = DT_SEL_EXACT;
            } else {
                rc = cli_usage("query", "--method takes exact or nearest, not '%s'", v);
                goto out;
            }
        } else if (!missing && ((v = cli_optarg(argc, argv, &i, "-o", &missing)) != NULL ||
                                (!missing && (v = cli_optarg(argc, argv, &i, "--output",
                                                             &missing)) != NULL))) {
            out = v;
        } else if (!missing && (v = cli_optarg(argc, argv, &i, "--format", &missing)) != NULL) {
            if (cli_format_named(v, &ofmt) < 0) {
                rc = cli_usage("query", "unknown format '%s' (netcdf4, zarr2, zarr3 or yaml)",
                               v);
                goto out;
            }
        } else if (missing) {
            rc = cli_usage("query", "%s needs a value", opt);
            goto out;
        } else if (strcmp(opt, "--json") == 0) {
            json = 1;
        } else if (strcmp(opt, "--yaml") == 0) {
            yaml = 1;
        } else if (strcmp(opt, "--print") == 0) {
            print = 1;
        } else if (strcmp(opt, "--force") == 0 || strcmp(opt, "-f") == 0) {
            force = 1;
        } else {
            rc = cli_usage("query", "unknown option '%s'", opt);
            goto out;
        }
    }
    if (!target || !expr) {
        rc = cli_usage("query", "PATH and EXPR are required");
        goto out;
    }
    if (json + yaml + print > 1) {
        rc = cli_usage("query", "--json, --yaml and --print exclude each other");
        goto out;
    }
    if (ofmt != DT_FORMAT_AUTO && !out) {
        rc = cli_usage("query", "--format applies to -o");
        goto out;
    }
    if (out && ofmt == DT_FORMAT_AUTO && (ofmt = cli_format_of(out)) == DT_FORMAT_AUTO) {
        rc = cli_usage("query", "cannot tell the format from '%s': use --format", out);
        goto out;
    }
    if (method == DT_SEL_NEAREST && dt_indexers_count(ix) == 0) {
        rc = cli_usage("query", "--method applies to --sel");
        goto out;
    }
    /* the expression first: a typo is reported before any file is opened */
    qo.error_column = &col;
    if (dt_query_compile(&q, expr, &qo) < 0) {
        rc = col ? syntax_error(expr, col) : cli_fail();
        goto out;
    }
    if (cli_split_target(target, &file, &object) < 0) {
        rc = EXIT_BAD_FILE;
        goto out;
    }
    if (cli_open(&tree, file, 0) < 0 || dt_node_lookup(&start, dt_tree_root(tree), object) < 0) {
        rc = cli_fail();
        goto out;
    }
    if (dt_indexers_count(ix) || print || out) {
        dt_select_opts so = DT_SELECT_OPTS_INIT;

        so.method = method;
        so.query = q;
        if (dt_tree_select(&sel, start, ix, &so) < 0) {
            rc = cli_fail();
            goto out;
        }
    }
    if (out) {
        dt_write_opts wo = DT_WRITE_OPTS_INIT;

        wo.force = force;
        if (dt_tree_write(sel, out, ofmt, &wo) < 0) {
            if (dt_error_last()->code == DT_EEXIST && !force) {
                fprintf(stderr, "dtree: %s: exists; use --force to replace it\n", out);
                rc = EXIT_BAD_FILE;
            } else {
                rc = cli_fail();
            }
            goto out;
        }
    }
    if (print) {
        dt_manifest_opts mo = DT_MANIFEST_OPTS_INIT;
        const char *base = strrchr(file, '/');

        mo.values = 1;
        mo.file_name = base ? base + 1 : file;
        if (dt_tree_manifest(sel, stdout, &mo) < 0)
            rc = cli_fail();
    } else if (!out) {
        listing l = {stdout, json, yaml, 0, sel, 0};
        char *sp = NULL;
        int r;

        if (dt_node_path(&sp, start) < 0) {
            rc = cli_fail();
            goto out;
        }
        l.start_len = strcmp(sp, "/") == 0 ? 0 : strlen(sp);
        free(sp);
        if (json) {
            printf("{\"file\": ");
            cli_json_str(stdout, file);
            printf(", \"query\": ");
            cli_json_str(stdout, expr);
            printf(", \"matches\": [");
        } else if (yaml) {
            printf("file: ");
            cli_json_str(stdout, file);
            printf("\nquery: ");
            cli_json_str(stdout, expr);
            printf("\nmatches:");
            fflush(stdout);
        }
        r = dt_query_run(q, start, list_one, &l);
        if (json)
            printf("%s]}\n", l.n ? "\n" : "");
        else if (yaml)
            printf("%s\n", l.n ? "" : " []");
        if (r < 0) {
            fflush(stdout);
            rc = cli_fail();
        }
    }
    if (fflush(stdout) != 0)
        rc = EXIT_BAD_FILE;
out:
    dt_tree_free(sel);
    dt_tree_free(tree);
    dt_query_free(q);
    dt_indexers_free(ix);
    free(file);
    free(object);
    return rc;
}
