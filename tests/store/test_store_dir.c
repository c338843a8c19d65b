/* test_store_dir.c: the stores Zarr reads through: key rules (no key
 * leaves a directory store, symlinks included), whole and ranged gets
 * against the limit, listings, and set/erase with temp file + rename; the
 * memory store passes the same rows. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "testutil.h"
#include "util.h"

/* ---- key rules: one table for every store ---- */

static const struct {
    const char *key;
    int code;
    const char *want;
} keys[] = {
    {"a/.zarray", DT_OK, NULL},
    {"c/0/1", DT_OK, NULL},
    {"caf\xc3\xa9/zarr.json", DT_OK, NULL},
    {"..", DT_EINVAL, "\"..\" segment"},
    {"../outside/.zarray", DT_EINVAL, "\"..\" segment"},
    {"a/1/../../../1", DT_EINVAL, "\"..\" segment"},
    {"a/./b", DT_EINVAL, "\".\" segment"},
    {"a//b", DT_EINVAL, "empty segment"},
    {"a/", DT_EINVAL, "empty segment"},
    {"/etc/passwd", DT_EINVAL, "absolute"},
    {"a\\..\\b", DT_EINVAL, "'\\'"},
    {"", DT_EINVAL, "empty key"},
};

START_TEST(key_row)
{
    tu_assert_rc(dt__store_key_check(NULL, keys[_i].key), keys[_i].code, keys[_i].want);
}
END_TEST

static const struct {
    const char *prefix;
    int code;
    const char *want;
} prefixes[] = {
    {"", DT_OK, NULL},
    {"a/", DT_OK, NULL},
    {"a/b/", DT_OK, NULL},
    {"a", DT_EINVAL, "ends with '/'"},
    {"../", DT_EINVAL, "\"..\" segment"},
    {"/", DT_EINVAL, "absolute"},
    {"a//", DT_EINVAL, "empty segment"},
};

START_TEST(prefix_row)
{
    tu_assert_rc(dt__store_prefix_check(NULL, prefixes[_i].prefix), prefixes[_i].code,
                 prefixes[_i].want);
}
END_TEST

/* ---- a store of each kind, filled the same way ---- */

typedef struct fixture {
    char *dir;        /* the directory store's root (NULL for memory) */
    char *outside;    /* a directory beside it, never to be reached */
    dt__store *s;
} fixture;

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");

    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    fclose(fp);
}

static char *path_of(const char *dir, const char *rel)
{
    char *p = dt__aprintf("%s/%s", dir, rel);

    ck_assert_ptr_nonnull(p);
    return p;
}

static void fx_open(fixture *f, int memory, const dt_limits *limits)
{
    memset(f, 0, sizeof *f);
    if (memory) {
        tu_assert_ok(dt__store_mem_new(&f->s, "mem.zarr", limits));
        return;
    }
    f->outside = tu_tmpdir("store-outside");
    f->dir = tu_tmpdir("store-root");
    tu_assert_ok(dt__store_dir_open(&f->s, f->dir, limits, 0));
}

static void fx_close(fixture *f)
{
    dt__store_close(f->s);
    if (f->dir) {
        tu_rmtree(f->dir);
        tu_rmtree(f->outside);
    }
    free(f->dir);
    free(f->outside);
}

static void put(dt__store *s, const char *key, const char *text)
{
    tu_assert_ok(dt__store_set(s, key, text, strlen(text)));
}

static void expect_value(dt__store *s, const char *key, const char *text)
{
    dt__bytes b = {NULL, 0};

    tu_assert_ok(dt__store_get(s, key, &b));
    ck_assert_uint_eq(b.len, strlen(text));
    ck_assert(memcmp(b.data, text, b.len) == 0);
    dt__bytes_free(&b);
}

/* _i: 0 directory, 1 memory */
START_TEST(set_get_erase)
{
    fixture f;
    dt__bytes b = {NULL, 0};

    fx_open(&f, _i, NULL);
    put(f.s, "zarr.json", "{}");
    put(f.s, "a/b/c/0", "0123456789");
    expect_value(f.s, "zarr.json", "{}");
    expect_value(f.s, "a/b/c/0", "0123456789");
    /* replace: the new value, whole */
    put(f.s, "a/b/c/0", "xy");
    expect_value(f.s, "a/b/c/0", "xy");
    put(f.s, "empty", "");
    expect_value(f.s, "empty", "");
    tu_assert_ok(dt__store_erase(f.s, "a/b/c/0"));
    tu_assert_rc(dt__store_get(f.s, "a/b/c/0", &b), DT_ENOTFOUND, "a/b/c/0: no such key");
    ck_assert_ptr_null(b.data);
    tu_assert_rc(dt__store_erase(f.s, "a/b/c/0"), DT_ENOTFOUND, "no such key");
    tu_assert_rc(dt__store_erase(f.s, "../x"), DT_EINVAL, "\"..\" segment");
    tu_assert_rc(dt__store_set(f.s, "a/../../x", "1", 1), DT_EINVAL, "\"..\" segment");
    fx_close(&f);
}
END_TEST

START_TEST(set_leaves_no_temp_files)
{
    fixture f;
    dt__keylist l;

    fx_open(&f, 0, NULL);
    put(f.s, "g/k", "1");
    put(f.s, "g/k", "2");
    tu_assert_ok(dt__store_list(f.s, "g/", &l));
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(l.names[0], "k");
    dt__keylist_free(&l);
    fx_close(&f);
}
END_TEST

static const struct {
    uint64_t offset, length;
    unsigned flags;
    int code;
    const char *want, *value;
} ranges[] = {
    {0, UINT64_MAX, 0, DT_OK, NULL, "0123456789"},
    {2, 3, 0, DT_OK, NULL, "234"},
    {0, 0, 0, DT_OK, NULL, ""},
    {10, 0, 0, DT_OK, NULL, ""},
    {0, 4, DT__STORE_SUFFIX, DT_OK, NULL, "6789"},
    {0, 10, DT__STORE_SUFFIX, DT_OK, NULL, "0123456789"},
    {8, 3, 0, DT_EFORMAT, "3 bytes at offset 8 were asked for, the value has 10", NULL},
    {UINT64_MAX, 2, 0, DT_EFORMAT, "the value has 10", NULL},
    {0, 11, DT__STORE_SUFFIX, DT_EFORMAT, "the last 11 bytes were asked for", NULL},
};

START_TEST(range_row)
{
    for (int memory = 0; memory < 2; memory++) {
        fixture f;
        dt__bytes b = {NULL, 0};
        uint64_t total = 0;

        fx_open(&f, memory, NULL);
        put(f.s, "k", "0123456789");
        tu_assert_rc(dt__store_get_range(f.s, "k", ranges[_i].offset, ranges[_i].length,
                                         ranges[_i].flags, &b, &total),
                     ranges[_i].code, ranges[_i].want);
        if (ranges[_i].value) {
            ck_assert_uint_eq(total, 10);
            ck_assert_uint_eq(b.len, strlen(ranges[_i].value));
            ck_assert(memcmp(b.data, ranges[_i].value, b.len) == 0);
        } else {
            ck_assert_ptr_null(b.data);
        }
        dt__bytes_free(&b);
        fx_close(&f);
    }
}
END_TEST

START_TEST(get_over_limit)
{
    dt_limits lim = DT_LIMITS_INIT;
    fixture f;
    dt__bytes b = {NULL, 0};

    lim.max_alloc = 8;
    fx_open(&f, _i, &lim);
    put(f.s, "small", "12345678");
    expect_value(f.s, "small", "12345678");
    if (_i == 0) {
        char *p = path_of(f.dir, "big");

        write_file(p, "0123456789");
        free(p);
        tu_assert_rc(dt__store_get(f.s, "big", &b), DT_ELIMIT,
                     "big: 10 bytes to read, over the limit of 8");
        /* a range within the limit is fine */
        tu_assert_ok(dt__store_get_range(f.s, "big", 0, 4, DT__STORE_SUFFIX, &b, NULL));
        ck_assert(memcmp(b.data, "6789", 4) == 0);
        dt__bytes_free(&b);
    } else {
        tu_assert_rc(dt__store_set(f.s, "big", "0123456789", 10), DT_ELIMIT,
                     "over the limit");
    }
    fx_close(&f);
}
END_TEST

START_TEST(list_levels)
{
    fixture f;
    dt__keylist l;

    fx_open(&f, _i, NULL);
    put(f.s, ".zgroup", "{}");
    put(f.s, "b/.zarray", "{}");
    put(f.s, "b/0.0", "x");
    put(f.s, "a/.zgroup", "{}");
    put(f.s, "a/x/.zarray", "{}");
    put(f.s, "a/x/1/2", "x");
    put(f.s, "a.b", "x");
    tu_assert_ok(dt__store_list(f.s, "", &l));
    ck_assert_uint_eq(l.n, 4);
    ck_assert_str_eq(l.names[0], ".zgroup");
    ck_assert_int_eq(l.is_prefix[0], 0);
    ck_assert_str_eq(l.names[1], "a");
    ck_assert_int_eq(l.is_prefix[1], 1);
    ck_assert_str_eq(l.names[2], "a.b");
    ck_assert_str_eq(l.names[3], "b");
    ck_assert_int_eq(l.is_prefix[3], 1);
    dt__keylist_free(&l);
    tu_assert_ok(dt__store_list(f.s, "a/x/", &l));
    ck_assert_uint_eq(l.n, 2);
    ck_assert_str_eq(l.names[0], ".zarray");
    ck_assert_str_eq(l.names[1], "1");
    ck_assert_int_eq(l.is_prefix[1], 1);
    dt__keylist_free(&l);
    /* a prefix nothing is under lists nothing */
    tu_assert_ok(dt__store_list(f.s, "nope/", &l));
    ck_assert_uint_eq(l.n, 0);
    dt__keylist_free(&l);
    tu_assert_rc(dt__store_list(f.s, "../", &l), DT_EINVAL, "\"..\" segment");
    fx_close(&f);
}
END_TEST

/* ---- symlinks: inside the root they are followed, out of it refused ---- */

START_TEST(symlink_escape)
{
    fixture f;
    dt__bytes b = {NULL, 0};
    dt__keylist l;
    char *secret, *link, *target, *inner, *dirlink;

    fx_open(&f, 0, NULL);
    secret = path_of(f.outside, "secret");
    write_file(secret, "do not read");
    /* a key that is a symlink to a file outside */
    link = path_of(f.dir, "leak");
    ck_assert_int_eq(symlink(secret, link), 0);
    tu_assert_rc(dt__store_get(f.s, "leak", &b), DT_EINVAL,
                 "leak: the key leads out of the store through a symbolic link");
    ck_assert_ptr_null(b.data);
    /* a directory on the way that is a symlink to outside */
    dirlink = path_of(f.dir, "out");
    ck_assert_int_eq(symlink(f.outside, dirlink), 0);
    tu_assert_rc(dt__store_get(f.s, "out/secret", &b), DT_EINVAL, "leads out of the store");
    /* writing through it is refused before anything is made outside */
    tu_assert_rc(dt__store_set(f.s, "out/new/k", "x", 1), DT_EINVAL,
                 "leads out of the store");
    target = path_of(f.outside, "new");
    ck_assert_int_ne(access(target, F_OK), 0);
    tu_assert_rc(dt__store_list(f.s, "out/", &l), DT_EINVAL, "leads out of the store");
    /* erasing the link removes the link, never the file it names */
    tu_assert_ok(dt__store_erase(f.s, "leak"));
    ck_assert_int_eq(access(secret, F_OK), 0);
    /* a symlink that stays inside the root is an ordinary key */
    put(f.s, "real/k", "inside");
    inner = path_of(f.dir, "alias");
    ck_assert_int_eq(symlink("real", inner), 0);
    expect_value(f.s, "alias/k", "inside");
    free(secret);
    free(link);
    free(target);
    free(inner);
    free(dirlink);
    fx_close(&f);
}
END_TEST

START_TEST(dir_open_errors)
{
    dt__store *s = NULL;
    char *dir = tu_tmpdir("store-open"), *file = path_of(dir, "plain"), *missing;

    write_file(file, "x");
    tu_assert_rc(dt__store_dir_open(&s, file, NULL, 0), DT_EFORMAT, "must be a directory");
    ck_assert_ptr_null(s);
    missing = path_of(dir, "missing.zarr");
    tu_assert_rc(dt__store_dir_open(&s, missing, NULL, 0), DT_ENOTFOUND, "missing.zarr");
    tu_assert_ok(dt__store_dir_open(&s, missing, NULL, 1));
    dt__store_close(s);
    free(file);
    free(missing);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("keys");

    tcase_add_loop_test(tc, key_row, 0, TU_NELEMS(keys));
    tcase_add_loop_test(tc, prefix_row, 0, TU_NELEMS(prefixes));
    suite_add_tcase(s, tc);

    tc = tcase_create("io");
    tcase_add_loop_test(tc, set_get_erase, 0, 2);
    tcase_add_test(tc, set_leaves_no_temp_files);
    tcase_add_loop_test(tc, range_row, 0, TU_NELEMS(ranges));
    tcase_add_loop_test(tc, get_over_limit, 0, 2);
    tcase_add_loop_test(tc, list_levels, 0, 2);
    tcase_add_test(tc, symlink_escape);
    tcase_add_test(tc, dir_open_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(store_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
