/* testutil.c: helpers the unit tests share (see testutil.h). */
#include "config.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

dt_tree *tu_tree(const char *path, ...)
{
    dt_tree *t = NULL;
    va_list ap;

    tu_assert_ok(dt_tree_new(&t));
    va_start(ap, path);
    for (const char *p = path; p; p = va_arg(ap, const char *)) {
        dt_node *n = NULL;

        tu_assert_ok(dt_node_create(&n, dt_tree_root(t), p,
                                    DT_CREATE_PARENTS | DT_CREATE_EXISTING));
        ck_assert_ptr_nonnull(n);
    }
    va_end(ap);
    return t;
}

dt_node *tu_node(const dt_tree *tree, const char *path)
{
    dt_node *n = NULL;

    tu_assert_ok(dt_node_lookup(&n, dt_tree_root(tree), path));
    ck_assert_ptr_nonnull(n);
    return n;
}

dt_var *tu_var1(dt_node *node, const char *name, const char *dim,
                dt_type type, size_t n, dt_type mem, const void *vals)
{
    dt_var *v = NULL;
    const char *dims[1] = {dim};
    uint64_t shape[1] = {n};

    tu_assert_ok(dt_node_add_var(&v, node, name, type, 1, dims, shape));
    ck_assert_ptr_nonnull(v);
    if (vals)
        tu_assert_ok(dt_var_set_data(v, mem, vals, n));
    return v;
}

dt_var *tu_var_i64(dt_node *node, const char *name, const char *dim,
                   size_t n, const int64_t *vals)
{
    return tu_var1(node, name, dim, DT_INT64, n, DT_INT64, vals);
}

dt_var *tu_var_f64(dt_node *node, const char *name, const char *dim,
                   size_t n, const double *vals)
{
    return tu_var1(node, name, dim, DT_FLOAT64, n, DT_FLOAT64, vals);
}

dt_var *tu_var(const dt_tree *tree, const char *path)
{
    dt_var *v = NULL;

    tu_assert_ok(dt_var_lookup(&v, dt_tree_root(tree), path));
    ck_assert_ptr_nonnull(v);
    return v;
}

static void read_all(const dt_var *var, dt_type mem, void *buf, size_t n,
                     size_t es)
{
    uint64_t ne = 0;

    tu_assert_ok(dt_var_nelems(&ne, var));
    ck_assert_uint_eq(ne, n);
    tu_assert_ok(dt_var_read(var, NULL, mem, buf, n * es));
}

void tu_read_i64(const dt_var *var, int64_t *buf, size_t n)
{
    read_all(var, DT_INT64, buf, n, sizeof *buf);
}

void tu_read_f64(const dt_var *var, double *buf, size_t n)
{
    read_all(var, DT_FLOAT64, buf, n, sizeof *buf);
}

/* ---- dumps ---- */

static void dump_attrs(FILE *fp, const dt_attrs *attrs, const char *indent)
{
    for (size_t i = 0; i < dt_attrs_count(attrs); i++) {
        const dt_attr *a = dt_attrs_at(attrs, i);
        char tn[64];

        if (dt_type_name(tn, sizeof tn, dt_attr_type(a)) < 0)
            snprintf(tn, sizeof tn, "?");
        fprintf(fp, "%s@%s %s[%zu]%s\n", indent, dt_attr_name(a), tn,
                dt_attr_len(a), dt_attr_is_scalar(a) ? " scalar" : "");
    }
}

static void dump_values(FILE *fp, const dt_var *v)
{
    uint64_t ne = 0;
    dt_type c = DT_TYPE_CLASS(dt_var_type(v));

    if (dt_var_is_lazy(v) || dt_var_nelems(&ne, v) < 0 || ne > 64)
        return;
    if (c == DT_STRING) {
        char *s[64];

        if (dt_var_read(v, NULL, DT_STRING, s, sizeof s) < 0)
            return;
        fputs(" =", fp);
        for (size_t i = 0; i < ne; i++)
            fprintf(fp, " \"%s\"", s[i]);
        dt_strings_free(s, (size_t)ne);
    } else if (c <= DT_FLOAT64 || c == DT_ENUM) {
        double d[64];

        if (dt_var_read(v, NULL, DT_FLOAT64, d, sizeof d) < 0)
            return;
        fputs(" =", fp);
        for (size_t i = 0; i < ne; i++)
            fprintf(fp, " %.17g", d[i]);
    }
}

static void dump_node(FILE *fp, const dt_node *n)
{
    char *p = NULL;

    if (dt_node_path(&p, n) < 0)
        return;
    fprintf(fp, "%s%s\n", p, dt_node_is_cut(n) ? " [cut]" : "");
    dt_free(p);
    for (size_t i = 0; i < dt_node_dim_count(n); i++) {
        dt_dim_info d;

        if (dt_node_dim(&d, n, i) == DT_OK)
            fprintf(fp, "  dim %s=%" PRIu64 "%s\n", d.name, d.size,
                    d.unlimited ? " unlimited" : "");
    }
    dump_attrs(fp, dt_node_attrs(n), "  ");
    for (size_t i = 0; i < dt_node_var_count(n); i++) {
        const dt_var *v = dt_node_var(n, i);
        char tn[64];

        if (dt_type_name(tn, sizeof tn, dt_var_type(v)) < 0)
            snprintf(tn, sizeof tn, "?");
        fprintf(fp, "  var %s(", dt_var_name(v));
        for (size_t k = 0; k < dt_var_ndim(v); k++)
            fprintf(fp, "%s%s=%" PRIu64, k ? "," : "", dt_var_dim(v, k),
                    dt_var_shape(v)[k]);
        fprintf(fp, ") %s%s%s", tn, dt_var_is_coord(v) ? " coord" : "",
                dt_var_is_index(v) ? " index" : "");
        dump_values(fp, v);
        fputc('\n', fp);
        dump_attrs(fp, dt_var_attrs(v), "    ");
    }
    for (size_t i = 0; i < dt_node_child_count(n); i++)
        dump_node(fp, dt_node_child(n, i));
}

char *tu_dump(const dt_node *node)
{
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);

    ck_assert_ptr_nonnull(fp);
    dump_node(fp, node);
    ck_assert_int_eq(fclose(fp), 0);
    return text;
}

/* ---- temporary directories ---- */

char *tu_tmpdir(const char *prefix)
{
    const char *base = getenv("DT_TMPDIR");
    size_t len;
    char *dir;

    if (!base || !*base)
        base = "/tmp";
    mkdir(base, 0777); /* `make check` creates it; a direct run may not */
    len = strlen(base) + strlen(prefix) + 16;
    dir = malloc(len);
    ck_assert_ptr_nonnull(dir);
    snprintf(dir, len, "%s/%s.XXXXXX", base, prefix);
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp %s failed", dir);
    return dir;
}

void tu_rmtree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d) {
        remove(dir);
        return;
    }
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        size_t len;
        char *p;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        len = strlen(dir) + strlen(e->d_name) + 2;
        p = malloc(len);
        ck_assert_ptr_nonnull(p);
        snprintf(p, len, "%s/%s", dir, e->d_name);
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            tu_rmtree(p);
        else
            remove(p);
        free(p);
    }
    closedir(d);
    rmdir(dir);
}
