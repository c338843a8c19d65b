/* test_zarr_inplace.c: writing hyperslabs into the chunks of a Zarr v2 or
 * v3 store opened with dt_open_opts.writable: whole, partial, strided and
 * chunk-crossing selections over compressed chunks (zstd, blosc, order F)
 * and sharded v3 arrays, compared element by element with a model;
 * read-only stores refused; two processes writing disjoint chunks of one
 * array at once; and every chunk old or new after an injected I/O failure. */
#include "config.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/io.h"
#include "testutil.h"
#include "util.h"

static char *tmp;

static void tmp_setup(void)
{
    tmp = tu_tmpdir("zarr_inplace");
}

static void tmp_teardown(void)
{
    tu_rmtree(tmp);
    free(tmp);
}

/* The stores written: format, compressor, order F. */
typedef struct variant {
    dt_format fmt;
    const char *comp;
    int order_f;
} variant;

static const variant variants[] = {
    {DT_FORMAT_ZARR2, "zstd", 1},
    {DT_FORMAT_ZARR2, "blosc:lz4", 0},
    {DT_FORMAT_ZARR3, "zstd", 0},
    {DT_FORMAT_ZARR3, "blosc:zstd", 1},
};
#define NVARIANTS (sizeof variants / sizeof *variants)

#define NY 7
#define NX 10
#define NZ 13

/* The model: what each variable should hold. */
typedef struct model {
    double a[NY * NX];   /* float64 (y, x), chunks 3x4, fill -1 */
    double b[NY * NX];   /* int32 (y, x), chunks 2x5 (no edge), no data */
    double n[NZ];        /* uint16 (z), chunks 4, big-endian, fill 7 */
    char s[NZ][24];      /* string (z), chunks 5, fill "none" */
    double sc;           /* float64 scalar */
} model;

static char *write_store(const variant *vt, const char *name, int sharded, model *m)
{
    dt_tree *t = NULL;
    dt_node *root;
    dt_var *v;
    dt_write_opts wo = DT_WRITE_OPTS_INIT;
    const char *yx[2] = {"y", "x"}, *z[1] = {"z"};
    const char *strs[NZ];
    double fa = -1, sc = 2.5;
    uint16_t fn = 7, nv[NZ];
    const char *fs = "none";
    char *path = dt__aprintf("%s/%s", tmp, name);

    ck_assert_ptr_nonnull(path);
    tu_assert_ok(dt_tree_new(&t));
    root = dt_tree_root(t);
    tu_assert_ok(dt_node_add_dim(root, "y", NY, 0));
    tu_assert_ok(dt_node_add_dim(root, "x", NX, 0));
    tu_assert_ok(dt_node_add_dim(root, "z", NZ, 0));
    for (int i = 0; i < NY * NX; i++)
        m->a[i] = i * 0.5;
    tu_assert_ok(dt_node_add_var(&v, root, "a", DT_FLOAT64, 2, yx, NULL));
    tu_assert_ok(dt_var_set_data(v, DT_FLOAT64, m->a, NY * NX));
    tu_assert_ok(dt_var_set_chunks(v, (const uint64_t[]){3, 4}));
    tu_assert_ok(dt_var_set_fill(v, &fa));
    /* b is never written: every chunk is missing and reads as zero */
    tu_assert_ok(dt_node_add_var(&v, root, "b", DT_INT32, 2, yx, NULL));
    tu_assert_ok(dt_var_set_chunks(v, (const uint64_t[]){2, 5}));
    for (int i = 0; i < NY * NX; i++)
        m->b[i] = 0;
    for (int i = 0; i < NZ; i++) {
        nv[i] = (uint16_t)(300 + i);
        m->n[i] = nv[i];
        snprintf(m->s[i], sizeof m->s[i], "s%d", i);
        strs[i] = m->s[i];
    }
    tu_assert_ok(dt_node_add_var(&v, root, "n", DT_UINT16, 1, z, NULL));
    tu_assert_ok(dt_var_set_data(v, DT_UINT16, nv, NZ));
    tu_assert_ok(dt_var_set_chunks(v, (const uint64_t[]){4}));
    tu_assert_ok(dt_var_set_fill(v, &fn));
    tu_assert_ok(dt_var_set_big_endian(v, 1));
    tu_assert_ok(dt_node_add_var(&v, root, "s", DT_STRING, 1, z, NULL));
    tu_assert_ok(dt_var_set_data(v, DT_STRING, strs, NZ));
    tu_assert_ok(dt_var_set_chunks(v, (const uint64_t[]){5}));
    tu_assert_ok(dt_var_set_fill(v, &fs));
    tu_assert_ok(dt_node_add_var(&v, root, "sc", DT_FLOAT64, 0, NULL, NULL));
    tu_assert_ok(dt_var_set_data(v, DT_FLOAT64, &sc, 1));
    m->sc = sc;
    wo.compressor = vt->comp;
    wo.order_f = vt->order_f;
    if (sharded) {
        static const char *const sd[1] = {"x"};
        static const uint64_t sn[1] = {2};

        wo.nshard_dims = 1;
        wo.shard_dims = sd;
        wo.shard_counts = sn;
    }
    tu_assert_ok(dt_tree_write(t, path, vt->fmt, &wo));
    dt_tree_free(t);
    return path;
}

static dt_tree *open_store(const char *path, int writable, unsigned threads)
{
    dt_open_opts o = DT_OPEN_OPTS_INIT;
    dt_tree *t = NULL;

    o.writable = writable;
    o.threads = threads;
    tu_assert_ok(dt_tree_open(&t, path, &o));
    return t;
}

/* Compare every element of every variable with the model. */
static void check_model(const dt_tree *t, const model *m, const char *where)
{
    double a[NY * NX], b[NY * NX], n[NZ], sc;
    char *s[NZ];

    tu_read_f64(tu_var(t, "/a"), a, NY * NX);
    tu_read_f64(tu_var(t, "/b"), b, NY * NX);
    tu_read_f64(tu_var(t, "/n"), n, NZ);
    tu_read_f64(tu_var(t, "/sc"), &sc, 1);
    for (int i = 0; i < NY * NX; i++) {
        ck_assert_msg(a[i] == m->a[i], "%s: a[%d] = %g, want %g", where, i, a[i], m->a[i]);
        ck_assert_msg(b[i] == m->b[i], "%s: b[%d] = %g, want %g", where, i, b[i], m->b[i]);
    }
    for (int i = 0; i < NZ; i++)
        ck_assert_msg(n[i] == m->n[i], "%s: n[%d] = %g, want %g", where, i, n[i], m->n[i]);
    ck_assert_msg(sc == m->sc, "%s: sc = %g, want %g", where, sc, m->sc);
    tu_assert_ok(dt_var_read(tu_var(t, "/s"), NULL, DT_STRING, s, sizeof s));
    for (int i = 0; i < NZ; i++)
        ck_assert_msg(strcmp(s[i], m->s[i]) == 0, "%s: s[%d] = \"%s\", want \"%s\"", where, i,
                      s[i], m->s[i]);
    dt_strings_free(s, NZ);
}

/* Write a 2-D hyperslab of doubles into var and the model array. */
static void write2(dt_var *v, double *mdl, uint64_t y0, uint64_t x0, uint64_t ny, uint64_t nx,
                   uint64_t sy, uint64_t sx, double base)
{
    uint64_t start[2] = {y0, x0}, count[2] = {ny, nx}, stride[2] = {sy, sx};
    dt_slab sl = {2, start, count, stride};
    double *buf = calloc(ny * nx > 0 ? ny * nx : 1, sizeof *buf);

    ck_assert_ptr_nonnull(buf);
    for (uint64_t i = 0; i < ny; i++)
        for (uint64_t j = 0; j < nx; j++) {
            buf[i * nx + j] = base + (double)(i * nx + j);
            mdl[(y0 + i * sy) * NX + x0 + j * sx] = buf[i * nx + j];
        }
    tu_assert_ok(dt_var_write(v, &sl, DT_FLOAT64, buf, ny * nx * sizeof *buf));
    free(buf);
}

static void write1(dt_var *v, double *mdl, uint64_t z0, uint64_t nz, uint64_t sz, double base)
{
    uint64_t start[1] = {z0}, count[1] = {nz}, stride[1] = {sz};
    dt_slab sl = {1, start, count, stride};
    double buf[NZ];

    for (uint64_t i = 0; i < nz; i++) {
        buf[i] = base + (double)i;
        mdl[z0 + i * sz] = buf[i];
    }
    tu_assert_ok(dt_var_write(v, &sl, DT_FLOAT64, buf, nz * sizeof *buf));
}

static void writes(dt_tree *t, const char *path, model *m)
{
    dt_var *a = tu_var(t, "/a"), *b = tu_var(t, "/b"), *n = tu_var(t, "/n");
    dt_var *s = tu_var(t, "/s"), *sc = tu_var(t, "/sc");

    write2(a, m->a, 3, 4, 3, 4, 1, 1, 100);     /* one whole chunk */
    write2(a, m->a, 6, 8, 1, 2, 1, 1, 200);     /* a whole edge chunk (1x2 inside) */
    write2(a, m->a, 1, 1, 1, 2, 1, 1, 300);     /* part of a chunk */
    write2(a, m->a, 0, 1, 4, 3, 2, 3, 400);     /* strided */
    write2(a, m->a, 2, 2, 4, 7, 1, 1, 500);     /* crossing chunks */
    write2(a, m->a, 1, 0, 3, 5, 2, 2, 600);     /* strided, crossing */
    check_model(t, m, path); /* the same open tree reads what was written */
    write2(b, m->b, 0, 0, 2, 5, 1, 1, 10);      /* a missing chunk, whole */
    write2(b, m->b, 3, 6, 3, 3, 1, 1, 20);      /* missing chunks, in part */
    write2(b, m->b, 0, 0, 7, 10, 1, 1, 1000);   /* everything */
    write2(b, m->b, 1, 1, 3, 3, 2, 4, 2000);
    write1(n, m->n, 0, 4, 1, 50);               /* whole chunk */
    write1(n, m->n, 11, 2, 1, 60);              /* the edge chunk */
    write1(n, m->n, 1, 6, 2, 70);               /* strided, crossing */
    {
        uint64_t st[1] = {2}, ct[1] = {4}, sd[1] = {3};
        dt_slab sl = {1, st, ct, sd};
        const char *in[4] = {"alpha", "", "caf\xc3\xa9", "long string here"};

        tu_assert_ok(dt_var_write(s, &sl, DT_STRING, in, sizeof in));
        for (int i = 0; i < 4; i++)
            snprintf(m->s[2 + 3 * i], sizeof m->s[0], "%s", in[i]);
    }
    {
        double v = -8.25;

        tu_assert_ok(dt_var_write(sc, NULL, DT_FLOAT64, &v, sizeof v));
        m->sc = v;
    }
    check_model(t, m, path);
}

START_TEST(test_write_hyperslabs)
{
    const variant *vt = &variants[_i];
    char name[32];
    model m;
    char *path;
    dt_tree *t;

    snprintf(name, sizeof name, "v%d.zarr", _i);
    path = write_store(vt, name, 0, &m);
    /* one thread and the default pool */
    t = open_store(path, 1, _i % 2 ? 1 : 0);
    writes(t, path, &m);
    dt_tree_free(t);
    t = open_store(path, 0, 0);
    check_model(t, &m, path);
    dt_tree_free(t);
    free(path);
}
END_TEST

START_TEST(test_read_only_refused)
{
    model m;
    char *path = write_store(&variants[_i], "ro.zarr", 0, &m);
    dt_tree *t = open_store(path, 0, 0);
    double v = 1;

    tu_assert_rc(dt_var_write(tu_var(t, "/sc"), NULL, DT_FLOAT64, &v, sizeof v),
                 DT_EUNSUPPORTED, "opened read-only; set dt_open_opts.writable");
    tu_assert_msg_has("ro.zarr");
    tu_assert_msg_has("/sc");
    check_model(t, &m, path);
    dt_tree_free(t);
    free(path);
}
END_TEST

/* Sharded v3 arrays (inner chunks 3x4 and 2x5, two per shard along x, some
 * shards at the edge): the same writes, read back after reopening. */
START_TEST(test_write_sharded)
{
    const variant *vt = &variants[2 + _i];
    char name[32];
    model m;
    char *path;
    dt_tree *t;

    snprintf(name, sizeof name, "sh%d.zarr", _i);
    path = write_store(vt, name, 1, &m);
    {
        char *doc = dt__aprintf("%s/a/zarr.json", path);
        FILE *fp = doc ? fopen(doc, "r") : NULL;
        char text[4096];
        size_t got = fp ? fread(text, 1, sizeof text - 1, fp) : 0;

        ck_assert_ptr_nonnull(fp);
        text[got] = 0;
        ck_assert_ptr_nonnull(strstr(text, "sharding_indexed"));
        fclose(fp);
        free(doc);
    }
    t = open_store(path, 1, _i ? 1 : 0);
    writes(t, path, &m);
    dt_tree_free(t);
    t = open_store(path, 0, 0);
    check_model(t, &m, path);
    dt_tree_free(t);
    free(path);
}
END_TEST

/* Fixed-length bytes (|S5 in v2, v3's fixed-length bytes) written in part
 * and across chunks; an HDF5 file opened writable stays read-only. */
START_TEST(test_bytes_and_hdf5)
{
    const variant *vt = &variants[_i];
    dt_tree *t = NULL;
    dt_var *v;
    dt_write_opts wo = DT_WRITE_OPTS_INIT;
    char want[9 * 5 + 1] = "aaaaabbbbbcccccdddddeeeeefffffggggghhhhhiiiii", got[9 * 5];
    char *path = dt__aprintf("%s/bytes%d.zarr", tmp, _i);
    char *h5 = dt__aprintf("%s/ro%d.nc", tmp, _i);
    uint64_t st[1] = {1}, ct[1] = {3}, sd[1] = {3};
    dt_slab sl = {1, st, ct, sd};

    ck_assert_ptr_nonnull(path);
    ck_assert_ptr_nonnull(h5);
    tu_assert_ok(dt_tree_new(&t));
    tu_assert_ok(dt_node_add_dim(dt_tree_root(t), "z", 9, 0));
    tu_assert_ok(dt_node_add_var(&v, dt_tree_root(t), "b5", DT_BYTES_N(5), 1,
                                 (const char *[]){"z"}, NULL));
    tu_assert_ok(dt_var_set_data(v, DT_BYTES_N(5), want, 9));
    tu_assert_ok(dt_var_set_chunks(v, (const uint64_t[]){2}));
    wo.compressor = vt->comp;
    tu_assert_ok(dt_tree_write(t, path, vt->fmt, &wo));
    tu_assert_ok(dt_tree_write(t, h5, DT_FORMAT_NETCDF4, NULL));
    dt_tree_free(t);

    t = open_store(path, 1, 0);
    tu_assert_ok(dt_var_write(tu_var(t, "/b5"), &sl, DT_BYTES_N(5), "XXXXXYYYYYZZZZZ", 15));
    memcpy(want + 5, "XXXXX", 5);
    memcpy(want + 20, "YYYYY", 5);
    memcpy(want + 35, "ZZZZZ", 5);
    dt_tree_free(t);
    t = open_store(path, 0, 0);
    tu_assert_ok(dt_var_read(tu_var(t, "/b5"), NULL, DT_BYTES_N(5), got, sizeof got));
    ck_assert_msg(memcmp(got, want, sizeof got) == 0, "read back %.45s, want %.45s", got, want);
    dt_tree_free(t);

    t = open_store(h5, 1, 0);
    tu_assert_rc(dt_var_write(tu_var(t, "/b5"), &sl, DT_BYTES_N(5), "XXXXXYYYYYZZZZZ", 15),
                 DT_EUNSUPPORTED, "read-only");
    dt_tree_free(t);
    free(h5);
    free(path);
}
END_TEST

/* Files under dir whose name holds needle (recursively). */
static int count_named(const char *dir, const char *needle)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d))) {
        char *p;
        struct stat st;

        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (strstr(e->d_name, needle))
            n++;
        p = dt__aprintf("%s/%s", dir, e->d_name);
        ck_assert_ptr_nonnull(p);
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            n += count_named(p, needle);
        free(p);
    }
    closedir(d);
    return n;
}

#define CY 8
#define CX 8
#define ROUNDS 150

/* The value writer `who` writes into chunk (cy, cx) in round r. */
static double chunk_value(int who, int r, int cy, int cx)
{
    return who * 1000000.0 + r * 100.0 + cy * 10 + cx;
}

/* Rounds of writes of the chunks (2x2 each) whose (cy + cx) % 2 is who:
 * whole chunks in even rounds, each chunk in two halves (read, modify,
 * write) in odd ones. */
static int writer(const char *path, int who)
{
    dt_open_opts o = DT_OPEN_OPTS_INIT;
    dt_tree *t = NULL;
    dt_var *v = NULL;

    o.writable = 1;
    if (dt_tree_open(&t, path, &o) < 0)
        return 1;
    if (dt_node_var_find(&v, dt_tree_root(t), "c") < 0)
        return 2;
    if (!v)
        return 2;
    for (int r = 0; r < ROUNDS; r++) {
        for (int cy = 0; cy < CY / 2; cy++) {
            for (int cx = 0; cx < CX / 2; cx++) {
                double val = chunk_value(who, r, cy, cx), buf[4] = {val, val, val, val};
                uint64_t st[2] = {(uint64_t)cy * 2, (uint64_t)cx * 2}, ct[2] = {2, 2};
                dt_slab sl = {2, st, ct, NULL};

                if ((cy + cx) % 2 != who)
                    continue;
                if (r % 2 == 0) {
                    if (dt_var_write(v, &sl, DT_FLOAT64, buf, sizeof buf) < 0)
                        return 3;
                    continue;
                }
                ct[0] = 1;
                for (int h = 0; h < 2; h++) {
                    st[0] = (uint64_t)cy * 2 + (uint64_t)h;
                    if (dt_var_write(v, &sl, DT_FLOAT64, buf, sizeof buf / 2) < 0)
                        return 4;
                }
            }
        }
    }
    dt_tree_free(t);
    return 0;
}

START_TEST(test_two_processes)
{
    const variant *vt = &variants[_i];
    dt_tree *t = NULL;
    dt_node *root;
    dt_var *v;
    dt_write_opts wo = DT_WRITE_OPTS_INIT;
    char name[32], *path;
    double data[CY * CX], got[CY * CX];
    pid_t pid;
    int status, rc;

    snprintf(name, sizeof name, "two%d.zarr", _i);
    path = dt__aprintf("%s/%s", tmp, name);
    ck_assert_ptr_nonnull(path);
    tu_assert_ok(dt_tree_new(&t));
    root = dt_tree_root(t);
    tu_assert_ok(dt_node_add_dim(root, "y", CY, 0));
    tu_assert_ok(dt_node_add_dim(root, "x", CX, 0));
    for (int i = 0; i < CY * CX; i++)
        data[i] = -i;
    tu_assert_ok(dt_node_add_var(&v, root, "c", DT_FLOAT64, 2, (const char *[]){"y", "x"},
                                 NULL));
    tu_assert_ok(dt_var_set_data(v, DT_FLOAT64, data, CY * CX));
    tu_assert_ok(dt_var_set_chunks(v, (const uint64_t[]){2, 2}));
    wo.compressor = vt->comp;
    wo.order_f = vt->order_f;
    tu_assert_ok(dt_tree_write(t, path, vt->fmt, &wo));
    dt_tree_free(t);

    fflush(NULL);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(writer(path, 1));
    rc = writer(path, 0);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the other writer failed: %d",
                  status);

    t = open_store(path, 0, 0);
    tu_read_f64(tu_var(t, "/c"), got, CY * CX);
    for (int y = 0; y < CY; y++)
        for (int x = 0; x < CX; x++) {
            int cy = y / 2, cx = x / 2;
            double want = chunk_value((cy + cx) % 2, ROUNDS - 1, cy, cx);

            ck_assert_msg(got[y * CX + x] == want, "c[%d][%d] = %g, want %g", y, x,
                          got[y * CX + x], want);
        }
    dt_tree_free(t);
    ck_assert_int_eq(count_named(path, "dtree-tmp"), 0);
    free(path);
}
END_TEST

/* A write that fails at its Nth I/O step leaves every chunk as it was or
 * as written, for every N until the write succeeds (the last two: sharded
 * v3 stores, where a shard of two inner chunks is stored at once). */
START_TEST(test_fail_nth_step)
{
    int sharded = (size_t)_i >= NVARIANTS;
    const variant *vt = sharded ? &variants[2 + (size_t)_i - NVARIANTS] : &variants[_i];
    model m;
    char name[32], *path;
    int done = 0;

    snprintf(name, sizeof name, "fail%d.zarr", _i);
    path = write_store(vt, name, sharded, &m);
    for (long nth = 0; !done; nth++) {
        double before[NY * NX], after[NY * NX], got[NY * NX];
        dt_tree *t = open_store(path, 1, 1);
        int rc;

        ck_assert_int_lt(nth, 100);
        tu_read_f64(tu_var(t, "/a"), before, NY * NX);
        memcpy(after, before, sizeof after);
        {
            uint64_t st[2] = {1, 1}, ct[2] = {6, 8};
            dt_slab sl = {2, st, ct, NULL};
            double buf[48];

            for (int i = 0; i < 48; i++) {
                buf[i] = 9000 + nth * 100 + i;
                after[(1 + i / 8) * NX + 1 + i % 8] = buf[i];
            }
            dt__io_fail_after(nth);
            rc = dt_var_write(tu_var(t, "/a"), &sl, DT_FLOAT64, buf, sizeof buf);
            dt__io_fail_after(-1);
        }
        if (rc == DT_OK)
            done = 1;
        else
            tu_assert_rc(rc, DT_EIO, "injected");
        dt_tree_free(t);
        t = open_store(path, 0, 0);
        tu_read_f64(tu_var(t, "/a"), got, NY * NX);
        dt_tree_free(t);
        /* chunk by chunk: all old or all new (done: all new) */
        for (int cy = 0; cy < 3; cy++) {
            for (int cx = 0; cx < 3; cx++) {
                int old = 1, new = 1;

                for (int y = cy * 3; y < cy * 3 + 3 && y < NY; y++)
                    for (int x = cx * 4; x < cx * 4 + 4 && x < NX; x++) {
                        old &= got[y * NX + x] == before[y * NX + x];
                        new &= got[y * NX + x] == after[y * NX + x];
                    }
                ck_assert_msg(new || (old && !done), "step %ld: chunk (%d, %d) is mixed", nth,
                              cy, cx);
            }
        }
        ck_assert_int_eq(count_named(path, "dtree-tmp"), 0);
    }
    free(path);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("zarr_inplace");
    TCase *tc = tcase_create("inplace");

    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_write_hyperslabs, 0, NVARIANTS);
    tcase_add_loop_test(tc, test_read_only_refused, 0, NVARIANTS);
    tcase_add_loop_test(tc, test_write_sharded, 0, 2);
    tcase_add_loop_test(tc, test_bytes_and_hdf5, 0, NVARIANTS);
    tcase_add_loop_test(tc, test_two_processes, 0, NVARIANTS);
    tcase_add_loop_test(tc, test_fail_nth_step, 0, NVARIANTS + 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
