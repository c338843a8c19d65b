/* test_zarr_write.c: the Zarr v2 and v3 writer: trees of every type, fill
 * value and codec written to a temporary store and read back by libdtree's
 * reader (data and metadata compared through manifests), sharding with
 * missing inner chunks, the stores' documents, and whole-store atomicity
 * under injected I/O failures and after a writer died. */
#include "config.h"

#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io.h"
#include "testutil.h"
#include "util.h"

static char *tmp;
/* manifests compared without chunk shapes (sharded stores) */
static int drop_chunks;

static void tmp_setup(void)
{
    tmp = tu_tmpdir("zarr_write");
}

static void tmp_teardown(void)
{
    tu_rmtree(tmp);
    free(tmp);
}

static char *tpath(const char *name)
{
    char *p = dt__aprintf("%s/%s", tmp, name);

    ck_assert_ptr_nonnull(p);
    return p;
}

static const dt_format formats[] = {DT_FORMAT_ZARR2, DT_FORMAT_ZARR3};

/* The manifest of a tree without the lines that name the file, its kind
 * and the codecs (which differ between formats by design). */
static char *manifest(const dt_tree *t)
{
    dt_manifest_opts mo = DT_MANIFEST_OPTS_INIT;
    char *text = NULL, *line, *save = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    dt__buf b;

    ck_assert_ptr_nonnull(fp);
    mo.file_name = "x";
    tu_assert_ok(dt_tree_manifest(t, fp, &mo));
    fclose(fp);
    dt__buf_init(&b);
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strstr(line, "kind: ") || strstr(line, "codecs: ") || strstr(line, "writer: "))
            continue;
        if (drop_chunks && strstr(line, "chunks: "))
            continue;
        dt__buf_puts(&b, line);
        dt__buf_putc(&b, '\n');
    }
    free(text);
    return dt__buf_take(&b);
}

static dt_tree *reopen(const char *path)
{
    dt_tree *t = NULL;

    tu_assert_ok(dt_tree_open(&t, path, NULL));
    return t;
}

static void assert_same(const dt_tree *a, const dt_tree *b)
{
    char *ma = manifest(a), *mb = manifest(b);

    if (strcmp(ma, mb) != 0) {
        /* the first line that differs (whole manifests overflow check's
         * message buffer) */
        size_t i = 0, ls = 0;

        while (ma[i] && ma[i] == mb[i]) {
            if (ma[i] == '\n')
                ls = i + 1;
            i++;
        }
        ck_abort_msg("manifests differ at:\n%.300s\n--- read back:\n%.300s", ma + ls, mb + ls);
    }
    free(ma);
    free(mb);
}

/* A tree with a variable of every type the writer takes, fill values at
 * the edges of their types, attributes of every type, chunked data with
 * partial edge chunks, groups using ancestors' dims and a dim without a
 * variable. */
static dt_tree *every_type_tree(void)
{
    dt_tree *t = tu_tree("/g/h", NULL);
    dt_node *root = dt_tree_root(t), *g = tu_node(t, "/g"), *h = tu_node(t, "/g/h");
    dt_var *v;
    const char *d1[1] = {"x"}, *d2[2] = {"time", "x"};
    uint64_t s2[2] = {5, 7}, ch2[2] = {2, 3};
    double f64[35];
    int64_t i64[7] = {INT64_MIN, -1, 0, 1, INT64_MAX, 42, -42};
    uint64_t u64[7] = {UINT64_MAX, 0, 1, 2, 3, 4, UINT64_MAX - 1};
    float f32v[7] = {0.1f, NAN, INFINITY, -INFINITY, -0.0f, 1e30f, 3};
    unsigned char b[7] = {1, 0, 1, 1, 0, 0, 1};
    float c64[14] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
    const char *strs[7] = {"a", "", "caf\xc3\xa9", "\xe2\x9c\x93", "long text here", "x", "y"};
    const char *slist[2] = {"one", "two"};
    int16_t i16[3] = {-5, 7, 9};
    uint8_t u8s[2] = {0, 255};
    double nf[3] = {NAN, INFINITY, -INFINITY};
    float ff = 0.5f;
    int8_t ev[7] = {0, 2, 1, 0, 1, 2, 0};
    uint64_t fill_u64 = UINT64_MAX;
    int64_t fill_i64 = INT64_MIN;
    double fill_nan = NAN, fill_ninf = -INFINITY;
    float fill_finf = INFINITY;
    const char *fill_s = "none";
    uint32_t u32[21];

    for (int i = 0; i < 35; i++)
        f64[i] = i * 0.25 - 3;
    for (int i = 0; i < 21; i++)
        u32[i] = (uint32_t)i * 100000u;
    tu_assert_ok(dt_node_add_dim(root, "time", 5, 1));
    tu_assert_ok(dt_node_add_dim(root, "x", 7, 0));
    tu_assert_ok(dt_node_add_dim(root, "nodata", 3, 0));
    tu_assert_ok(dt_attrs_set(dt_node_attrs(root), "title", DT_CHAR, 5, "hello", 0));
    tu_assert_ok(dt_attrs_set(dt_node_attrs(root), "names", DT_STRING, 2, slist, 0));
    tu_assert_ok(dt_attrs_set(dt_node_attrs(root), "pair", DT_INT16, 3, i16, 0));
    tu_assert_ok(dt_attrs_set(dt_node_attrs(root), "u8", DT_UINT8, 2, u8s, 0));
    tu_assert_ok(dt_attrs_set(dt_node_attrs(root), "nonfinite", DT_FLOAT64, 3, nf, 0));
    tu_assert_ok(dt_attrs_set(dt_node_attrs(root), "half", DT_FLOAT32, 1, &ff, 0));
    tu_assert_ok(dt_attrs_set(dt_node_attrs(root), "big", DT_UINT64, 1, &fill_u64, 0));
    tu_assert_ok(dt_attrs_set(dt_node_attrs(root), "small", DT_INT64, 1, &fill_i64, 0));
    tu_assert_ok(dt_attrs_set(dt_node_attrs(root), "empty", DT_INT32, 0, NULL, 0));

    tu_assert_ok(dt_node_add_var(&v, root, "bool", DT_BOOL, 1, d1, NULL));
    tu_assert_ok(dt_var_set_data(v, DT_BOOL, b, 7));
    tu_assert_ok(dt_node_add_var(&v, root, "c64", DT_COMPLEX64, 1, d1, NULL));
    tu_assert_ok(dt_var_set_data(v, DT_COMPLEX64, c64, 7));
    tu_assert_ok(dt_node_add_var(&v, root, "f32", DT_FLOAT32, 1, d1, NULL));
    tu_assert_ok(dt_var_set_data(v, DT_FLOAT32, f32v, 7));
    tu_assert_ok(dt_var_set_fill(v, &fill_finf));
    tu_assert_ok(dt_var_set_big_endian(v, 1));
    tu_assert_ok(dt_node_add_var(&v, root, "f64", DT_FLOAT64, 2, d2, s2));
    tu_assert_ok(dt_var_set_data(v, DT_FLOAT64, f64, 35));
    tu_assert_ok(dt_var_set_chunks(v, ch2));
    tu_assert_ok(dt_var_set_fill(v, &fill_nan));
    tu_assert_ok(dt_attrs_set(dt_var_attrs(v), "_FillValue", DT_FLOAT64, 1, &fill_nan, 0));
    tu_assert_ok(dt_node_add_var(&v, root, "i64", DT_INT64, 1, d1, NULL));
    tu_assert_ok(dt_var_set_data(v, DT_INT64, i64, 7));
    tu_assert_ok(dt_var_set_fill(v, &fill_i64));
    tu_assert_ok(dt_var_set_chunks(v, (const uint64_t[]){3}));
    tu_assert_ok(dt_node_add_var(&v, root, "scalar", DT_FLOAT64, 0, NULL, NULL));
    tu_assert_ok(dt_var_set_data(v, DT_FLOAT64, &fill_ninf, 1));
    tu_assert_ok(dt_var_set_fill(v, &fill_ninf));

    tu_assert_ok(dt_node_add_var(&v, root, "u32", DT_UINT32, 2, (const char *[]){"nodata", "x"},
                                 NULL));
    tu_assert_ok(dt_var_set_data(v, DT_UINT32, u32, 21));
    tu_assert_ok(dt_var_set_chunks(v, (const uint64_t[]){2, 2}));
    tu_assert_ok(dt_node_add_var(&v, root, "u64", DT_UINT64, 1, d1, NULL));
    tu_assert_ok(dt_var_set_data(v, DT_UINT64, u64, 7));
    tu_assert_ok(dt_var_set_fill(v, &fill_u64));
    tu_assert_ok(dt_node_add_dim(g, "n", 7, 0));
    tu_assert_ok(dt_node_add_dim(g, "unused", 11, 0));
    tu_assert_ok(dt_node_add_var(&v, g, "b5", DT_BYTES_N(5), 1, (const char *[]){"n"}, NULL));
    tu_assert_ok(dt_var_set_data(v, DT_BYTES_N(5), "abc  hello     x y  12345qwertzxcvb",
                                 7));
    tu_assert_ok(dt_node_add_var(&v, g, "c", DT_CHAR, 1, d1, NULL));
    tu_assert_ok(dt_var_set_data(v, DT_CHAR, "abcdefg", 7));
    tu_assert_ok(dt_attrs_set(dt_var_attrs(v), "units", DT_CHAR, 1, "m", 0));
    tu_assert_ok(dt_node_add_var(&v, g, "s", DT_STRING, 1, (const char *[]){"n"}, NULL));
    tu_assert_ok(dt_var_set_data(v, DT_STRING, strs, 7));
    tu_assert_ok(dt_var_set_fill(v, &fill_s));
    tu_assert_ok(dt_var_set_chunks(v, (const uint64_t[]){3}));
    tu_assert_ok(dt_node_add_var(&v, g, "u40", DT_UNICODE_N(40), 1, (const char *[]){"two"},
                                 (const uint64_t[]){2}));
    {
        uint32_t u[80] = {0};

        u[0] = 'a';
        u[1] = 0x2713;
        u[40] = 'z';
        u[79] = 'y';
        tu_assert_ok(dt_var_set_data(v, DT_UNICODE_N(40), u, 2));
    }
    tu_assert_ok(dt_node_add_var(&v, h, "cloud", DT_ENUM_OF(DT_INT8), 1, d1, NULL));
    tu_assert_ok(dt_var_add_enum_member(v, "clear", 0));
    tu_assert_ok(dt_var_add_enum_member(v, "rain", 1));
    tu_assert_ok(dt_var_add_enum_member(v, "snow", 2));
    tu_assert_ok(dt_var_set_data(v, DT_ENUM_OF(DT_INT8), ev, 7));
    tu_assert_ok(dt_node_add_var(&v, h, "t", DT_FLOAT64, 2, d2, s2));
    tu_assert_ok(dt_var_set_data(v, DT_FLOAT64, f64, 35));
    return t;
}

/* Every type, fill value and attribute comes back as it was, in v2 and v3,
 * with the default codecs and with each storage option. */
static const struct wopt {
    const char *name;
    int deflate, zstd, shuffle, fletcher32, order_f;
    char sep;
    uint64_t shard_bytes;
    const char *compressor;
} wopts[] = {
    {"plain", 0, 0, 0, 0, 0, 0, 0, NULL},
    {"zstd", 0, 3, 0, 0, 0, 0, 0, NULL},
    {"deflate+shuffle", 5, 0, 1, 0, 0, 0, 0, NULL},
    {"zstd+shuffle+checksum", 0, 1, 1, 1, 0, 0, 0, NULL},
    {"order F, separator /", 1, 0, 0, 0, 1, '/', 0, NULL},
    {"separator .", 0, 0, 0, 0, 0, '.', 0, NULL},
    {"shards", 0, 2, 0, 1, 0, 0, 64, NULL},
    {"blosc lz4 + shuffle", 0, 0, 1, 0, 0, 0, 0, "blosc"},
    {"blosc zstd", 0, 0, 0, 0, 0, 0, 0, "blosc:zstd:3"},
    {"bz2", 0, 0, 0, 0, 0, 0, 0, "bz2:5"},
    {"lz4", 0, 0, 0, 0, 0, 0, 0, "lz4"},
    {"gzip", 0, 0, 1, 0, 0, 0, 0, "gzip:1"},
};

START_TEST(every_type)
{
    const struct wopt *wo = &wopts[_i / 2];
    dt_format fmt = formats[_i % 2];
    dt_tree *t = every_type_tree(), *back;
    char *p = tpath(fmt == DT_FORMAT_ZARR2 ? "t2.zarr" : "t3.zarr");
    dt_write_opts o = DT_WRITE_OPTS_INIT;

    if (wo->shard_bytes && fmt == DT_FORMAT_ZARR2) {
        dt_tree_free(t);
        free(p);
        return;
    }
    o.force = 1;
    o.deflate = wo->deflate;
    o.zstd = wo->zstd;
    o.shuffle = wo->shuffle;
    o.fletcher32 = wo->fletcher32;
    o.order_f = wo->order_f;
    o.separator = wo->sep;
    o.shard_bytes = wo->shard_bytes;
    o.compressor = wo->compressor;
    o.threads = 2;
    if (dt_tree_write(t, p, fmt, &o) != DT_OK)
        ck_abort_msg("%s v%d: %s", wo->name, fmt == DT_FORMAT_ZARR2 ? 2 : 3,
                     dt_error_last()->message);
    back = reopen(p);
    ck_assert_int_eq(dt_tree_format(back), fmt);
    drop_chunks = wo->shard_bytes != 0;
    assert_same(t, back);
    drop_chunks = 0;
    dt_tree_free(back);
    dt_tree_free(t);
    free(p);
}
END_TEST

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0;

    if (!fp)
        return NULL;
    buf = calloc(1, 1 << 20);
    ck_assert_ptr_nonnull(buf);
    n = fread(buf, 1, (1 << 20) - 1, fp);
    buf[n] = 0;
    fclose(fp);
    return buf;
}

/* The documents other readers use: _ARRAY_DIMENSIONS, NCZarr's keys,
 * dimension_names, the fill value spellings, consolidated metadata. */
START_TEST(documents)
{
    dt_tree *t = every_type_tree();
    char *p2 = tpath("d2.zarr"), *p3 = tpath("d3.zarr"), *doc, *k;
    dt_write_opts o = DT_WRITE_OPTS_INIT;

    tu_assert_ok(dt_tree_write(t, p2, DT_FORMAT_ZARR2, &o));
    tu_assert_ok(dt_tree_write(t, p3, DT_FORMAT_ZARR3, &o));
    k = dt__aprintf("%s/f64/.zattrs", p2);
    doc = slurp(k);
    ck_assert_ptr_nonnull(doc);
    ck_assert_ptr_nonnull(strstr(doc, "\"_ARRAY_DIMENSIONS\""));
    ck_assert_ptr_nonnull(strstr(doc, "\"_NCZARR_ATTR\""));
    free(doc);
    free(k);
    k = dt__aprintf("%s/f64/.zarray", p2);
    doc = slurp(k);
    ck_assert_ptr_nonnull(strstr(doc, "\"fill_value\": \"NaN\""));
    ck_assert_ptr_nonnull(strstr(doc, "\"_NCZARR_ARRAY\""));
    free(doc);
    free(k);
    k = dt__aprintf("%s/u64/.zarray", p2);
    doc = slurp(k);
    ck_assert_ptr_nonnull(strstr(doc, "18446744073709551615"));
    free(doc);
    free(k);
    k = dt__aprintf("%s/g/s/.zarray", p2);
    doc = slurp(k);
    ck_assert_ptr_nonnull(strstr(doc, "\"vlen-utf8\""));
    ck_assert_ptr_nonnull(strstr(doc, "\"|O\""));
    free(doc);
    free(k);
    k = dt__aprintf("%s/.zmetadata", p2);
    doc = slurp(k);
    ck_assert_ptr_nonnull(strstr(doc, "\"g/h/cloud/.zarray\""));
    ck_assert_ptr_nonnull(strstr(doc, "\"zarr_consolidated_format\": 1"));
    free(doc);
    free(k);
    k = dt__aprintf("%s/.zgroup", p2);
    doc = slurp(k);
    ck_assert_ptr_nonnull(strstr(doc, "\"_NCZARR_SUPERBLOCK\""));
    free(doc);
    free(k);
    k = dt__aprintf("%s/i64/zarr.json", p3);
    doc = slurp(k);
    ck_assert_ptr_nonnull(strstr(doc, "-9223372036854775808"));
    ck_assert_ptr_nonnull(strstr(doc, "\"dimension_names\""));
    free(doc);
    free(k);
    k = dt__aprintf("%s/f32/zarr.json", p3);
    doc = slurp(k);
    ck_assert_ptr_nonnull(strstr(doc, "\"Infinity\""));
    ck_assert_ptr_nonnull(strstr(doc, "\"big\""));
    free(doc);
    free(k);
    k = dt__aprintf("%s/zarr.json", p3);
    doc = slurp(k);
    ck_assert_ptr_nonnull(strstr(doc, "\"consolidated_metadata\""));
    ck_assert_ptr_nonnull(strstr(doc, "\"must_understand\": false"));
    /* v3 readers parse strict JSON: no bare NaN */
    ck_assert_ptr_null(strstr(doc, ": NaN"));
    free(doc);
    free(k);
    /* without consolidated metadata */
    o.consolidated = -1;
    o.force = 1;
    tu_assert_ok(dt_tree_write(t, p2, DT_FORMAT_ZARR2, &o));
    k = dt__aprintf("%s/.zmetadata", p2);
    ck_assert_int_ne(access(k, F_OK), 0);
    free(k);
    dt_tree_free(t);
    free(p2);
    free(p3);
}
END_TEST

/* Shards: inner chunks equal to the fill value are left out of a shard
 * (index entries 2^64-1), a shard with none is not written, and the
 * data reads back; --shards by dimension too. */
START_TEST(sharding)
{
    dt_tree *t = tu_tree(NULL), *back;
    dt_node *root = dt_tree_root(t);
    dt_var *v;
    int32_t data[8 * 8], fill = -1;
    char *p = tpath("sh.zarr"), *k;
    dt_write_opts o = DT_WRITE_OPTS_INIT;
    const char *sd[1] = {"y"};
    uint64_t sc[1] = {2};
    struct stat st;

    for (int i = 0; i < 64; i++)
        data[i] = i < 16 ? i : -1;   /* rows 2..7 are all fill */
    tu_assert_ok(dt_node_add_var(&v, root, "v", DT_INT32, 2, (const char *[]){"y", "x"},
                                 (const uint64_t[]){8, 8}));
    tu_assert_ok(dt_var_set_data(v, DT_INT32, data, 64));
    tu_assert_ok(dt_var_set_fill(v, &fill));
    tu_assert_ok(dt_var_set_chunks(v, (const uint64_t[]){1, 4}));
    o.nshard_dims = 1;
    o.shard_dims = sd;
    o.shard_counts = sc;
    tu_assert_ok(dt_tree_write(t, p, DT_FORMAT_ZARR3, &o));
    /* shards are 2 x 4: row pairs 0-1 hold data, 2-7 none */
    k = dt__aprintf("%s/v/c/0/0", p);
    ck_assert_int_eq(stat(k, &st), 0);
    /* two inner chunks of 16 bytes, the index (2 x 16 bytes) and its crc */
    ck_assert_int_eq((int)st.st_size, 2 * 16 + 2 * 16 + 4);
    free(k);
    k = dt__aprintf("%s/v/c/1/0", p);
    ck_assert_int_ne(access(k, F_OK), 0);
    free(k);
    back = reopen(p);
    {
        unsigned char da[32], db[32];

        tu_assert_ok(dt_var_digest(da, tu_var(t, "/v"), NULL));
        tu_assert_ok(dt_var_digest(db, tu_var(back, "/v"), NULL));
        ck_assert_int_eq(memcmp(da, db, 32), 0);
    }
    ck_assert_ptr_nonnull(dt__var_inner_chunks(tu_var(back, "/v")));
    ck_assert_uint_eq(dt_var_chunks(tu_var(back, "/v"))[0], 2);
    dt_tree_free(back);
    /* v2 has no shards */
    {
        char *p2 = tpath("sh2.zarr");

        ck_assert_int_eq(dt_tree_write(t, p2, DT_FORMAT_ZARR2, &o), DT_EINVAL);
        free(p2);
    }
    dt_tree_free(t);
    free(p);
}
END_TEST

/* Entries of the temporary directory that a writer left beside a store. */
static int leftovers(void)
{
    DIR *d = opendir(tmp);
    struct dirent *e;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL) {
        if (strstr(e->d_name, ".tmp-") || strstr(e->d_name, ".old-"))
            n++;
    }
    closedir(d);
    return n;
}

/* An existing store is refused without force and kept whole while a forced
 * write fails at any of its I/O steps; no temporary store is left. */
START_TEST(io_failures)
{
    dt_format fmt = formats[_i];
    dt_tree *t = every_type_tree(), *old_tree = tu_tree(NULL), *back;
    char *p = tpath(fmt == DT_FORMAT_ZARR2 ? "io2.zarr" : "io3.zarr"), *want;
    dt_write_opts o = DT_WRITE_OPTS_INIT;
    long n;
    int rc = DT_EIO;

    tu_var_i64(dt_tree_root(old_tree), "old", "k", 3, (const int64_t[]){7, 8, 9});
    tu_assert_ok(dt_tree_write(old_tree, p, fmt, &o));
    ck_assert_int_eq(dt_tree_write(t, p, fmt, &o), DT_EEXIST);
    tu_assert_msg_has("force");
    back = reopen(p);
    want = manifest(back);
    dt_tree_free(back);
    o.force = 1;
    o.threads = 2;
    for (n = 0; n < 100000 && rc != DT_OK; n++) {
        char *now;

        dt__io_fail_after(n);
        rc = dt_tree_write(t, p, fmt, &o);
        dt__io_fail_after(-1);
        if (rc == DT_OK)
            break;
        ck_assert_msg(rc == DT_EIO, "step %ld: %s", n, dt_error_last()->message);
        tu_assert_msg_has("(injected)");
        back = reopen(p);
        now = manifest(back);
        ck_assert_str_eq(now, want);
        free(now);
        dt_tree_free(back);
        ck_assert_msg(leftovers() == 0, "step %ld left a temporary store", n);
    }
    ck_assert_int_eq(rc, DT_OK);
    ck_assert_int_ge(n, 30);
    back = reopen(p);
    assert_same(t, back);
    dt_tree_free(back);
    free(want);
    dt_tree_free(old_tree);
    dt_tree_free(t);
    free(p);
}
END_TEST

/* What a killed writer leaves: a store moved aside while the new one was
 * not in place yet is put back; temporary stores of dead writers go. */
START_TEST(dead_writer)
{
    dt_tree *t = tu_tree(NULL), *back;
    char *p = tpath("dead.zarr"), *aside = tpath("dead.zarr.old-999999999-abcdef");
    char *stale = tpath("dead.zarr.tmp-999999999-ghijkl"), *f;
    dt_write_opts o = DT_WRITE_OPTS_INIT;

    tu_var_i64(dt_tree_root(t), "v", "k", 2, (const int64_t[]){1, 2});
    tu_assert_ok(dt_tree_write(t, aside, DT_FORMAT_ZARR3, &o));
    ck_assert_int_eq(mkdir(stale, 0777), 0);
    f = dt__aprintf("%s/zarr.json", stale);
    fclose(fopen(f, "w"));
    free(f);
    /* the old store comes back, so a write without force is refused */
    ck_assert_int_eq(dt_tree_write(t, p, DT_FORMAT_ZARR3, &o), DT_EEXIST);
    ck_assert_int_eq(leftovers(), 0);
    back = reopen(p);
    assert_same(t, back);
    dt_tree_free(back);
    dt_tree_free(t);
    free(p);
    free(aside);
    free(stale);
}
END_TEST

/* Names the formats reserve, and types Zarr cannot hold. */
START_TEST(refusals)
{
    dt_tree *t = tu_tree(NULL);
    char *p = tpath("bad.zarr");
    dt_write_opts o = DT_WRITE_OPTS_INIT;

    tu_var_i64(dt_tree_root(t), "v", "k", 2, (const int64_t[]){1, 2});
    o.zstd = 23;
    ck_assert_int_eq(dt_tree_write(t, p, DT_FORMAT_ZARR2, &o), DT_EINVAL);
    tu_assert_msg_has("zstd level 23");
    o.zstd = 0;
    o.compressor = "blosc:snappy";
    ck_assert_int_eq(dt_tree_write(t, p, DT_FORMAT_ZARR2, &o), DT_EINVAL);
    tu_assert_msg_has("snappy");
    o.compressor = "zstd:40";
    ck_assert_int_eq(dt_tree_write(t, p, DT_FORMAT_ZARR2, &o), DT_EINVAL);
    o.compressor = NULL;
    o.contiguous_max = 1024;
    ck_assert_int_eq(dt_tree_write(t, p, DT_FORMAT_ZARR3, &o), DT_EINVAL);
    tu_assert_msg_has("contiguous");
    o.contiguous_max = 0;
    o.nshard_dims = 1;
    o.shard_dims = (const char *const[]){"k"};
    o.shard_counts = (const uint64_t[]){0};
    ck_assert_int_eq(dt_tree_write(t, p, DT_FORMAT_ZARR3, &o), DT_EINVAL);
    o.nshard_dims = 0;
    ck_assert_int_eq(leftovers(), 0);
    ck_assert_int_ne(access(p, F_OK), 0);
    o.separator = ':';
    ck_assert_int_eq(dt_tree_write(t, p, DT_FORMAT_ZARR3, &o), DT_EINVAL);
    dt_tree_free(t);
    free(p);
}
END_TEST

static Suite *zarr_write_suite(void)
{
    Suite *s = suite_create("zarr_write");
    TCase *tc = tcase_create("round trip");

    tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, every_type, 0, 2 * (int)TU_NELEMS(wopts));
    tcase_add_test(tc, documents);
    tcase_add_test(tc, sharding);
    tcase_add_test(tc, refusals);
    suite_add_tcase(s, tc);

    tc = tcase_create("atomic");
    tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, io_failures, 0, 2);
    tcase_add_test(tc, dead_writer);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(zarr_write_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
