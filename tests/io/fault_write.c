/* fault_write.c: fault injection over a whole conversion. Usage:
 *
 *   fault_write FORMAT SRC TARGET [MIN_POINTS]
 *
 * Opens SRC lazily (as `dtree convert` does) and writes it to TARGET in
 * FORMAT (netcdf4, zarr2, zarr3, yaml), failing the N-th I/O step of the
 * writer (data and metadata writes, fsync, rename), once reporting ENOSPC
 * and once EIO, for every N of the conversion or, when it has more steps,
 * for at least MIN_POINTS (default 200) points spread over it. Each failed
 * run must end in DT_EIO with a message naming the target and the error;
 * after it the previous target (a different tree written first) must be
 * byte for byte what it was, or absent when there was none, and no
 * temporary file may be left beside it. A last run without failures must
 * produce a target whose manifest equals that of a clean write.
 * Exit 0 with a summary line, 1 on the first violation, 77 when the format
 * has no writer in this build. */
#define _GNU_SOURCE /* asprintf */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dtree.h"
#include "io/io.h"

static const char *prog = "fault_write";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* ---- snapshots: every file under a path, with its bytes ---- */

typedef struct entry {
    char *rel;
    char *data;
    size_t len;
    int dir;
} entry;

typedef struct snap {
    entry *e;
    size_t n, cap;
} snap;

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, got;

    if (!fp)
        return NULL;
    do {
        if (n == cap) {
            cap = cap ? 2 * cap : 65536;
            buf = realloc(buf, cap);
            if (!buf)
                die("out of memory");
        }
        got = fread(buf + n, 1, cap - n, fp);
        n += got;
    } while (got > 0);
    fclose(fp);
    *len = n;
    return buf;
}

static void snap_add(snap *s, const char *rel, const char *full, int dir)
{
    entry *e;

    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->e = realloc(s->e, s->cap * sizeof *s->e);
        if (!s->e)
            die("out of memory");
    }
    e = &s->e[s->n++];
    e->rel = strdup(rel);
    e->dir = dir;
    e->len = 0;
    e->data = dir ? NULL : slurp(full, &e->len);
}

static void snap_walk(snap *s, const char *full, const char *rel)
{
    struct stat st;
    DIR *d;
    struct dirent *de;

    if (lstat(full, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        snap_add(s, rel, full, 0);
        return;
    }
    snap_add(s, rel, full, 1);
    d = opendir(full);
    if (!d)
        die("cannot list %s", full);
    while ((de = readdir(d)) != NULL) {
        char *f, *r;

        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (asprintf(&f, "%s/%s", full, de->d_name) < 0 ||
            asprintf(&r, "%s/%s", rel, de->d_name) < 0)
            die("out of memory");
        snap_walk(s, f, r);
        free(f);
        free(r);
    }
    closedir(d);
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->rel, ((const entry *)b)->rel);
}

static snap snap_take(const char *path)
{
    snap s = {NULL, 0, 0};

    snap_walk(&s, path, ".");
    if (s.n)
        qsort(s.e, s.n, sizeof *s.e, entry_cmp);
    return s;
}

static void snap_free(snap *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->e[i].rel);
        free(s->e[i].data);
    }
    free(s->e);
    s->e = NULL;
    s->n = s->cap = 0;
}

/* NULL when equal, else the first relative path that differs */
static const char *snap_diff(const snap *a, const snap *b)
{
    size_t i;

    for (i = 0; i < a->n && i < b->n; i++) {
        const entry *x = &a->e[i], *y = &b->e[i];

        if (strcmp(x->rel, y->rel) != 0)
            return x->rel;
        if (x->dir != y->dir || x->len != y->len ||
            (x->len && memcmp(x->data, y->data, x->len) != 0))
            return x->rel;
    }
    if (i < a->n)
        return a->e[i].rel;
    if (i < b->n)
        return b->e[i].rel;
    return NULL;
}

/* Names beside the target that hold ".tmp-" (temporary files and stores,
 * and anything moved aside during a replacement) */
static int strays(const char *target)
{
    char *dir = strdup(target), *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : target;
    size_t blen = strlen(base);
    DIR *d;
    struct dirent *de;
    int n = 0;

    if (slash)
        *slash = '\0';
    d = opendir(slash ? dir : ".");
    if (!d)
        die("cannot list the folder of %s", target);
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, base, blen) == 0 && strstr(de->d_name + blen, ".tmp"))
            n++;
    closedir(d);
    free(dir);
    return n;
}

static void rmtree(const char *path)
{
    struct stat st;

    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *de;

        while (d && (de = readdir(d)) != NULL) {
            char *f;

            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            if (asprintf(&f, "%s/%s", path, de->d_name) < 0)
                die("out of memory");
            rmtree(f);
            free(f);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* ---- manifests ---- */

static char *manifest_of(const char *path)
{
    dt_tree *t = NULL;
    dt_manifest_opts mo = DT_MANIFEST_OPTS_INIT;
    char *text = NULL;
    size_t len = 0;
    FILE *fp;

    if (dt_tree_open(&t, path, NULL) < 0)
        die("the written target %s does not open: %s", path, dt_error_last()->message);
    mo.file_name = "x";
    mo.writer = "x";
    fp = open_memstream(&text, &len);
    if (!fp || dt_tree_manifest(t, fp, &mo) < 0)
        die("no manifest of %s: %s", path, dt_error_last()->message);
    fclose(fp);
    dt_tree_free(t);
    /* error entries name the file: make the two names alike */
    for (char *at = strstr(text, path); at; at = strstr(at, path)) {
        size_t pl = strlen(path);

        memmove(at + 1, at + pl, strlen(at + pl) + 1);
        *at = '@';
    }
    return text;
}

static dt_format format_named(const char *s)
{
    if (strcmp(s, "netcdf4") == 0)
        return DT_FORMAT_NETCDF4;
    if (strcmp(s, "zarr2") == 0)
        return DT_FORMAT_ZARR2;
    if (strcmp(s, "zarr3") == 0)
        return DT_FORMAT_ZARR3;
    if (strcmp(s, "yaml") == 0)
        return DT_FORMAT_YAML;
    die("unknown format %s", s);
}

static dt_tree *open_src(const char *path)
{
    dt_open_opts oo = DT_OPEN_OPTS_INIT;
    dt_tree *t = NULL;

    oo.external_links = 1;  /* as dtree does by default */
    if (dt_tree_open(&t, path, &oo) < 0)
        die("cannot open %s: %s", path, dt_error_last()->message);
    return t;
}

/* One write of the source to target, opened afresh as `dtree convert` does
 * (a tree that was read before may hold data in memory and write it in
 * fewer steps); countdown < 0: no failure injected. */
static int write_once(const char *src_path, const dt_tree *src, const char *target,
                      dt_format fmt, long countdown, int err, long *steps)
{
    dt_write_opts o = DT_WRITE_OPTS_INIT;
    dt_tree *fresh = src ? NULL : open_src(src_path);
    int rc;

    o.force = 1;
    dt__io_fail_errno(err);
    dt__io_fail_after(countdown);
    rc = dt_tree_write(src ? src : fresh, target, fmt, &o);
    if (steps)
        *steps = dt__io_steps();
    dt__io_fail_after(-1);
    dt__io_fail_errno(ENOSPC);
    dt_tree_free(fresh);  /* leaves the write's error in place */
    return rc;
}

/* Fail at step n with err: the run must fail cleanly and leave `before`
 * (the target's state) as it was. */
static void one_point(const char *src, const char *target, dt_format fmt, long n,
                      int err, const snap *before)
{
    snap after;
    const char *d, *msg;
    int rc = write_once(src, NULL, target, fmt, n, err, NULL);

    if (rc == DT_OK)
        die("step %ld of %s: the injected failure was not reported", n, target);
    msg = dt_error_last()->message;
    if (rc != DT_EIO || !msg || !strstr(msg, strerror(err)) || !strstr(msg, target)) {
        fprintf(stderr, "%s: step %ld (%s): got %s: %s\n", prog, n, strerror(err),
                dt_strerror_name(rc), msg ? msg : "(no message)");
        exit(1);
    }
    after = snap_take(target);
    d = snap_diff(before, &after);
    if (d) {
        fprintf(stderr, "%s: step %ld (%s) changed %s of the previous target %s\n",
                prog, n, strerror(err), d, target);
        exit(1);
    }
    snap_free(&after);
    if (strays(target)) {
        fprintf(stderr, "%s: step %ld (%s) left a temporary file beside %s\n", prog, n,
                strerror(err), target);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    dt_tree *old = NULL;
    const char *src;
    dt_format fmt;
    const char *target;
    char *clean_path, *want, *got;
    long total = 0, npoints = 200, runs = 0;
    long *points;
    size_t np = 0;
    snap before, none;
    int rc;

    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: %s FORMAT SRC TARGET [MIN_POINTS]\n", prog);
        return 2;
    }
    fmt = format_named(argv[1]);
    target = argv[3];
    if (argc == 5)
        npoints = atol(argv[4]);
    src = argv[2];

    /* a clean write: the expected result and the number of steps */
    if (asprintf(&clean_path, "%s.clean", target) < 0)
        return 1;
    rmtree(clean_path);
    rc = write_once(src, NULL, clean_path, fmt, -1, ENOSPC, &total);
    if (rc == DT_EUNSUPPORTED) {
        printf("%s: %s cannot be written by this build: %s\n", prog, argv[1],
               dt_error_last()->message);
        return 77;
    }
    if (rc != DT_OK)
        die("the clean write of %s failed: %s", clean_path, dt_error_last()->message);
    want = manifest_of(clean_path);

    /* the points: every step, or npoints spread evenly plus the last ten */
    points = calloc((size_t)(total + npoints + 20), sizeof *points);
    if (!points)
        return 1;
    if (total <= npoints) {
        for (long n = 0; n < total; n++)
            points[np++] = n;
    } else {
        for (long k = 0; k < npoints; k++)
            points[np++] = k * total / npoints;
        for (long n = total - 10; n < total; n++)
            if (n > points[np - 1])
                points[np++] = n;
    }

    /* 1: no previous target: it stays absent */
    rmtree(target);
    none = snap_take(target);
    for (size_t i = 0; i < np; i += 7) {
        one_point(src, target, fmt, points[i], EIO, &none);
        runs++;
    }

    /* 2: a previous target holding another tree */
    if (dt_tree_new(&old) < 0 ||
        dt_attrs_set(dt_node_attrs(dt_tree_root(old)), "previous", DT_STRING, 1,
                     (const char *const[]){"yes"}, 0) < 0 ||
        write_once(NULL, old, target, fmt, -1, ENOSPC, NULL) != DT_OK)
        die("cannot write the previous version of %s: %s", target, dt_error_last()->message);
    dt_tree_free(old);
    before = snap_take(target);
    if (before.n == 0)
        die("the previous version of %s was not written", target);
    for (size_t i = 0; i < np; i++) {
        one_point(src, target, fmt, points[i], ENOSPC, &before);
        one_point(src, target, fmt, points[i], EIO, &before);
        runs += 2;
    }
    snap_free(&before);

    /* 3: the write goes through and equals the clean one */
    rc = write_once(src, NULL, target, fmt, -1, ENOSPC, NULL);
    if (rc != DT_OK)
        die("the final write of %s failed: %s", target, dt_error_last()->message);
    got = manifest_of(target);
    if (strcmp(got, want) != 0)
        die("%s differs from a clean write", target);
    if (strays(target))
        die("a temporary file is left beside %s", target);
    printf("%s: %s from %s: %ld I/O steps, %zu points, %ld failed runs (ENOSPC and EIO), "
           "previous target intact after each, no temporary file left\n",
           prog, argv[1], argv[2], total, np, runs);
    rmtree(clean_path);
    rmtree(target);
    free(want);
    free(got);
    free(points);
    free(clean_path);
    return 0;
}
