/* test_err.c: the util layer: status-code table, the per-thread error and
 * its message, checked arithmetic, string buffers, UTF-8 validation and the
 * allocation-failure hook. */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dtree.h"
#include "testutil.h"
#include "util.h"

/* ---- the status-code table ---- */

static const struct {
    int code;
    const char *name, *text;
} codes[] = {
    {DT_OK, "DT_OK", "success"},
    {DT_ERROR, "DT_ERROR", "error"},
    {DT_ENOMEM, "DT_ENOMEM", "out of memory"},
    {DT_EINVAL, "DT_EINVAL", "invalid argument"},
    {DT_ENOTFOUND, "DT_ENOTFOUND", "not found"},
    {DT_EBADNAME, "DT_EBADNAME", "invalid name"},
    {DT_ENAMECLASH, "DT_ENAMECLASH", "name already in use"},
    {DT_EALIGN, "DT_EALIGN", "not aligned with its parents"},
    {DT_ELOOP, "DT_ELOOP", "a node cannot be placed under itself"},
    {DT_ERANGE, "DT_ERANGE", "selection out of range"},
    {DT_ELIMIT, "DT_ELIMIT", "limit exceeded"},
    {DT_EFORMAT, "DT_EFORMAT", "malformed file"},
    {DT_EIO, "DT_EIO", "input/output error"},
    {DT_ETYPE, "DT_ETYPE", "unsupported or mismatched type"},
    {DT_ERESERVED, "DT_ERESERVED", "reserved name"},
    {DT_EUNSUPPORTED, "DT_EUNSUPPORTED", "not supported"},
    {DT_EEXIST, "DT_EEXIST", "already exists"},
    {DT_ECONFLICT, "DT_ECONFLICT", "conflicting sizes"},
    {DT_ECRASH, "DT_ECRASH", "the isolated process crashed"},
    {DT_ETIMEOUT, "DT_ETIMEOUT", "time limit exceeded"},
};

START_TEST(code_row)
{
    ck_assert_str_eq(dt_strerror_name(codes[_i].code), codes[_i].name);
    ck_assert_str_eq(dt_strerror(codes[_i].code), codes[_i].text);
    /* the codes are consecutive: 0, -1, -2, ... */
    ck_assert_int_eq(codes[_i].code, -(int)_i);
}
END_TEST

START_TEST(code_table_complete)
{
    /* every code from DT_OK down to DT__ERROR_LAST is in the table above */
    ck_assert_int_eq(DT__ERROR_LAST, -(int)TU_NELEMS(codes));
    for (int c = 0; c > DT__ERROR_LAST; c--)
        ck_assert_str_ne(dt_strerror_name(c), "DT_UNKNOWN");
}
END_TEST

START_TEST(code_unknown)
{
    static const int bad[] = {DT__ERROR_LAST, 1, -100, 42, INT32_MIN};

    for (size_t i = 0; i < TU_NELEMS(bad); i++) {
        ck_assert_str_eq(dt_strerror_name(bad[i]), "DT_UNKNOWN");
        ck_assert_str_eq(dt_strerror(bad[i]), "unknown error");
    }
}
END_TEST

/* ---- the error record and its message ---- */

/* A thread that never failed sees DT_OK; a new thread is the only way to
 * look at that state whatever ran before on this one (CK_FORK=no). */
static void *initial_main(void *arg)
{
    const dt_error *e = dt_error_last();
    int *ok = arg;

    *ok = e && e->code == DT_OK && e->message && strcmp(e->message, "success") == 0 &&
          !e->file && !e->path;
    return NULL;
}

START_TEST(error_initial)
{
    pthread_t th;
    int ok = -1;

    ck_assert_int_eq(pthread_create(&th, NULL, initial_main, &ok), 0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_int_eq(ok, 1);
}
END_TEST

START_TEST(error_fail_returns_code)
{
    ck_assert_int_eq(dt__fail(DT_ENOTFOUND, "no group %s", "/a/x"), DT_ENOTFOUND);
    ck_assert_int_eq(dt_error_last()->code, DT_ENOTFOUND);
    ck_assert_str_eq(dt_error_last()->message, "no group /a/x");
    ck_assert_ptr_null(dt_error_last()->file);
    ck_assert_ptr_null(dt_error_last()->path);
}
END_TEST

START_TEST(error_fail_at)
{
    const dt_error *e;

    ck_assert_int_eq(dt__fail_at(DT_EFORMAT, "ocean.nc", "/sst/temp",
                                 "chunk (%d, %d) is %d bytes, its zstd frame declares %d",
                                 3, 0, 52, 4096), DT_EFORMAT);
    e = dt_error_last();
    ck_assert_int_eq(e->code, DT_EFORMAT);
    ck_assert_str_eq(e->message,
                     "ocean.nc: /sst/temp: chunk (3, 0) is 52 bytes, its zstd frame declares 4096");
    ck_assert_str_eq(e->file, "ocean.nc");
    ck_assert_str_eq(e->path, "/sst/temp");
}
END_TEST

/* Which parts are set decides the shape of the message. */
static const struct {
    const char *file, *path, *problem, *want;
} compose_rows[] = {
    {"obs.zarr", "/wind/u", "bad", "obs.zarr: /wind/u: bad"},
    {"obs.zarr", NULL, "bad", "obs.zarr: bad"},
    {NULL, "/wind/u", "bad", "/wind/u: bad"},
    {NULL, NULL, "bad", "bad"},
    {"", "", "bad", "bad"},
    /* no problem text: the code's default text stands in */
    {"f.nc", "/v", "", "f.nc: /v: malformed file"},
};

START_TEST(error_compose_row)
{
    const dt_error *e;

    dt__fail_at(DT_EFORMAT, compose_rows[_i].file, compose_rows[_i].path, "%s",
                compose_rows[_i].problem);
    e = dt_error_last();
    ck_assert_str_eq(e->message, compose_rows[_i].want);
    if (compose_rows[_i].file && *compose_rows[_i].file)
        ck_assert_str_eq(e->file, compose_rows[_i].file);
    else
        ck_assert_ptr_null(e->file);
    if (compose_rows[_i].path && *compose_rows[_i].path)
        ck_assert_str_eq(e->path, compose_rows[_i].path);
    else
        ck_assert_ptr_null(e->path);
}
END_TEST

START_TEST(error_locate_fills_only_empty_parts)
{
    dt__fail(DT_ELIMIT, "\"shape\" has 40 dimensions, the limit is 32");
    ck_assert_int_eq(dt__err_locate(DT_ERROR, NULL, "/wind/u"), DT_ELIMIT);
    ck_assert_str_eq(dt_error_last()->message,
                     "/wind/u: \"shape\" has 40 dimensions, the limit is 32");
    ck_assert_int_eq(dt__err_locate(DT_ERROR, "obs.zarr", "/other"), DT_ELIMIT);
    ck_assert_str_eq(dt_error_last()->message,
                     "obs.zarr: /wind/u: \"shape\" has 40 dimensions, the limit is 32");
    /* a third caller cannot replace what is set */
    dt__err_locate(DT_ERROR, "else.zarr", "/else");
    ck_assert_str_eq(dt_error_last()->file, "obs.zarr");
    ck_assert_str_eq(dt_error_last()->path, "/wind/u");
    ck_assert_int_eq(dt_error_last()->code, DT_ELIMIT);
}
END_TEST

START_TEST(error_locate_without_error)
{
    dt_error_clear();
    ck_assert_int_eq(dt__err_locate(DT_EIO, "f.nc", "/p"), DT_EIO);
    ck_assert_int_eq(dt_error_last()->code, DT_OK);
    ck_assert_str_eq(dt_error_last()->message, "success");
    ck_assert_ptr_null(dt_error_last()->file);
}
END_TEST

START_TEST(error_new_fail_forgets_location)
{
    dt__fail_at(DT_EIO, "a.nc", "/x", "first");
    dt__fail(DT_EINVAL, "second");
    ck_assert_str_eq(dt_error_last()->message, "second");
    ck_assert_ptr_null(dt_error_last()->file);
    ck_assert_ptr_null(dt_error_last()->path);
}
END_TEST

START_TEST(error_prefix)
{
    dt__fail_at(DT_ERANGE, "t.nc", "/v", "300 is out of range");
    dt__err_prefix("element %d converting %s to %s: ", 4, "int32", "uint8");
    ck_assert_int_eq(dt_error_last()->code, DT_ERANGE);
    ck_assert_str_eq(dt_error_last()->message,
                     "t.nc: /v: element 4 converting int32 to uint8: 300 is out of range");
}
END_TEST

START_TEST(error_clear)
{
    dt__fail_at(DT_EIO, "a.nc", "/x", "broken");
    dt_error_clear();
    ck_assert_int_eq(dt_error_last()->code, DT_OK);
    ck_assert_str_eq(dt_error_last()->message, "success");
    ck_assert_ptr_null(dt_error_last()->file);
    ck_assert_ptr_null(dt_error_last()->path);
    /* and a later error is composed afresh */
    dt__fail(DT_EINVAL, "again");
    ck_assert_str_eq(dt_error_last()->message, "again");
}
END_TEST

START_TEST(error_long_parts_truncate)
{
    char big[3000];

    memset(big, 'p', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    dt__fail_at(DT_EIO, big, big, "%s", big);
    ck_assert_int_eq(dt_error_last()->code, DT_EIO);
    ck_assert_uint_lt(strlen(dt_error_last()->message), 2100);
    ck_assert_uint_gt(strlen(dt_error_last()->message), 1000);
}
END_TEST

/* ---- per-thread errors ---- */

typedef struct thread_view {
    int code_seen;
    char msg_seen[64];
    int code_after;
    long alloc_failed;
} thread_view;

static void *thread_main(void *arg)
{
    thread_view *tv = arg;
    void *p;

    tv->code_seen = dt_error_last()->code;
    snprintf(tv->msg_seen, sizeof tv->msg_seen, "%s", dt_error_last()->message);
    dt__fail(DT_EIO, "thread's own error");
    tv->code_after = dt_error_last()->code;
    /* the main thread armed the allocation hook; it is not armed here */
    p = dt__malloc(8);
    tv->alloc_failed = p == NULL;
    free(p);
    return NULL;
}

START_TEST(error_per_thread)
{
    pthread_t th;
    thread_view tv = {-1, "", -1, -1};
    void *p;

    dt__fail_at(DT_ENOTFOUND, "main.nc", "/m", "main thread's error");
    dt__alloc_fail_after(0);
    ck_assert_int_eq(pthread_create(&th, NULL, thread_main, &tv), 0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_int_eq(tv.code_seen, DT_OK);
    ck_assert_str_eq(tv.msg_seen, "success");
    ck_assert_int_eq(tv.code_after, DT_EIO);
    ck_assert_int_eq(tv.alloc_failed, 0);
    /* the thread's error did not reach this thread */
    ck_assert_int_eq(dt_error_last()->code, DT_ENOTFOUND);
    ck_assert_str_eq(dt_error_last()->message, "main.nc: /m: main thread's error");
    /* and the countdown is still armed here */
    p = dt__malloc(8);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(dt_error_last()->code, DT_ENOMEM);
}
END_TEST

/* ---- checked arithmetic ---- */

static const struct {
    uint64_t a, b;
    bool overflow;
    uint64_t want;
} mul_rows[] = {
    {0, UINT64_MAX, false, 0},
    {1, UINT64_MAX, false, UINT64_MAX},
    {(uint64_t)1 << 32, (uint64_t)1 << 31, false, (uint64_t)1 << 63},
    {(uint64_t)1 << 32, (uint64_t)1 << 32, true, 0},
    {((uint64_t)1 << 32) - 1, ((uint64_t)1 << 32) + 1, false, UINT64_MAX},
    {(uint64_t)1 << 40, (uint64_t)1 << 40, true, 0},
    {UINT64_MAX, 2, true, 0},
    {3, 7, false, 21},
};

START_TEST(mul_row)
{
    uint64_t out = 12345;
    bool ov = dt__mul_u64(&out, mul_rows[_i].a, mul_rows[_i].b);

    ck_assert_int_eq(ov, mul_rows[_i].overflow);
    if (!ov)
        ck_assert_uint_eq(out, mul_rows[_i].want);
}
END_TEST

static const struct {
    uint64_t a, b;
    bool overflow;
    uint64_t want;
} add_rows[] = {
    {0, 0, false, 0},
    {UINT64_MAX, 0, false, UINT64_MAX},
    {UINT64_MAX, 1, true, 0},
    {UINT64_MAX - 5, 5, false, UINT64_MAX},
    {(uint64_t)1 << 63, (uint64_t)1 << 63, true, 0},
    {40, 2, false, 42},
};

START_TEST(add_row)
{
    uint64_t out = 12345;
    bool ov = dt__add_u64(&out, add_rows[_i].a, add_rows[_i].b);

    ck_assert_int_eq(ov, add_rows[_i].overflow);
    if (!ov)
        ck_assert_uint_eq(out, add_rows[_i].want);
}
END_TEST

START_TEST(u64_to_size)
{
    size_t out = 1;

    ck_assert_int_eq(dt__u64_to_size(&out, 0), DT_OK);
    ck_assert_uint_eq(out, 0);
    ck_assert_int_eq(dt__u64_to_size(&out, 4096), DT_OK);
    ck_assert_uint_eq(out, 4096);
    ck_assert_int_eq(dt__u64_to_size(&out, (uint64_t)SIZE_MAX), DT_OK);
    ck_assert_uint_eq(out, SIZE_MAX);
#if SIZE_MAX < UINT64_MAX
    tu_assert_rc(dt__u64_to_size(&out, (uint64_t)SIZE_MAX + 1), DT_ELIMIT,
                 "does not fit in memory sizes");
    ck_assert_uint_eq(out, 0);
#endif
}
END_TEST

START_TEST(malloc_limited)
{
    void *p = dt__malloc_limited(100, 10, "the chunk");

    ck_assert_ptr_null(p);
    ck_assert_int_eq(dt_error_last()->code, DT_ELIMIT);
    ck_assert_str_eq(dt_error_last()->message,
                     "the chunk needs 100 bytes, over the limit of 10");
    p = dt__malloc_limited(10, 10, "the chunk");
    ck_assert_ptr_nonnull(p);
    free(p);
}
END_TEST

/* ---- string buffers ---- */

START_TEST(buf_basic)
{
    dt__buf b;
    char *s;

    dt__buf_init(&b);
    ck_assert_int_eq(dt__buf_puts(&b, "group "), DT_OK);
    ck_assert_int_eq(dt__buf_putc(&b, '\''), DT_OK);
    ck_assert_int_eq(dt__buf_append(&b, "/b/xyz", 2), DT_OK);
    ck_assert_int_eq(dt__buf_printf(&b, "' has %d and %s", 2, "x"), DT_OK);
    ck_assert_uint_eq(b.len, strlen("group '/b' has 2 and x"));
    ck_assert_str_eq(b.data, "group '/b' has 2 and x");
    s = dt__buf_take(&b);
    ck_assert_str_eq(s, "group '/b' has 2 and x");
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    free(s);
}
END_TEST

START_TEST(buf_empty_take)
{
    dt__buf b;
    char *s;

    dt__buf_init(&b);
    s = dt__buf_take(&b);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s, "");
    free(s);
    /* an append of nothing still leaves a string */
    dt__buf_init(&b);
    ck_assert_int_eq(dt__buf_append(&b, "", 0), DT_OK);
    ck_assert_str_eq(b.data, "");
    dt__buf_free(&b);
    ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(buf_grows)
{
    dt__buf b;
    char want[1001];

    dt__buf_init(&b);
    for (int i = 0; i < 1000; i++) {
        ck_assert_int_eq(dt__buf_putc(&b, (char)('a' + i % 26)), DT_OK);
        want[i] = (char)('a' + i % 26);
    }
    want[1000] = '\0';
    ck_assert_uint_eq(b.len, 1000);
    ck_assert_uint_ge(b.cap, 1001);
    ck_assert_str_eq(b.data, want);
    ck_assert_int_eq(dt__buf_printf(&b, "%0500d", 7), DT_OK);
    ck_assert_uint_eq(b.len, 1500);
    ck_assert_int_eq(b.data[1499], '7');
    dt__buf_free(&b);
}
END_TEST

START_TEST(buf_failure_sticks)
{
    dt__buf b;

    dt__buf_init(&b);
    dt__alloc_fail_after(0);
    ck_assert_int_eq(dt__buf_puts(&b, "lost"), DT_ENOMEM);
    ck_assert_int_eq(dt_error_last()->code, DT_ENOMEM);
    ck_assert_int_eq(b.failed, 1);
    /* later appends are no-ops even though memory is back */
    ck_assert_int_eq(dt__buf_puts(&b, "more"), DT_ENOMEM);
    ck_assert_int_eq(dt__buf_printf(&b, "%d", 1), DT_ENOMEM);
    ck_assert_ptr_null(dt__buf_take(&b));
    ck_assert_ptr_null(b.data);
    ck_assert_int_eq(b.failed, 0);
}
END_TEST

START_TEST(aprintf)
{
    char *s = dt__aprintf("%s has %d", "x", 3);

    ck_assert_str_eq(s, "x has 3");
    free(s);
    dt__alloc_fail_after(0);
    ck_assert_ptr_null(dt__aprintf("%s", "nope"));
    ck_assert_int_eq(dt_error_last()->code, DT_ENOMEM);
}
END_TEST

/* ---- UTF-8 ---- */

static const struct {
    const char *s;
    size_t n;     /* 0: strlen */
    bool valid;
    const char *what;
} utf8_rows[] = {
    {"", 0, true, "empty"},
    {"plain ascii", 0, true, "ascii"},
    {"a\0b", 3, true, "NUL inside the length"},
    {"\xc3\xa9", 0, true, "U+00E9 two bytes"},
    {"\xc2\x80", 0, true, "U+0080 smallest two-byte"},
    {"\xdf\xbf", 0, true, "U+07FF largest two-byte"},
    {"\xe0\xa0\x80", 0, true, "U+0800 smallest three-byte"},
    {"\xe2\x82\xac", 0, true, "U+20AC euro"},
    {"\xed\x9f\xbf", 0, true, "U+D7FF below the surrogates"},
    {"\xee\x80\x80", 0, true, "U+E000 above the surrogates"},
    {"\xef\xbf\xbf", 0, true, "U+FFFF"},
    {"\xf0\x90\x80\x80", 0, true, "U+10000 smallest four-byte"},
    {"\xf0\x9f\x98\x80", 0, true, "U+1F600"},
    {"\xf4\x8f\xbf\xbf", 0, true, "U+10FFFF largest"},
    {"\xc0\x80", 0, false, "overlong NUL"},
    {"\xc1\xbf", 0, false, "overlong U+007F"},
    {"\xe0\x80\x80", 0, false, "overlong three-byte NUL"},
    {"\xe0\x9f\xbf", 0, false, "overlong U+07FF"},
    {"\xf0\x80\x80\x80", 0, false, "overlong four-byte NUL"},
    {"\xf0\x8f\xbf\xbf", 0, false, "overlong U+FFFF"},
    {"\xed\xa0\x80", 0, false, "surrogate U+D800"},
    {"\xed\xbf\xbf", 0, false, "surrogate U+DFFF"},
    {"\xed\xa0\xbd\xed\xb8\x80", 0, false, "CESU-8 surrogate pair"},
    {"\xf4\x90\x80\x80", 0, false, "U+110000 beyond Unicode"},
    {"\xf5\x80\x80\x80", 0, false, "lead byte F5"},
    {"\xf8\x88\x80\x80\x80", 0, false, "five-byte form"},
    {"\xfc\x84\x80\x80\x80\x80", 0, false, "six-byte form"},
    {"\xfe", 0, false, "byte FE"},
    {"\xff", 0, false, "byte FF"},
    {"\x80", 0, false, "lone continuation"},
    {"a\xbf", 0, false, "continuation after ascii"},
    {"\xc3", 0, false, "truncated two-byte"},
    {"\xe2\x82", 0, false, "truncated three-byte"},
    {"\xf0\x9f\x98", 0, false, "truncated four-byte"},
    {"\xc3\xa9", 1, false, "truncated by the length"},
    {"\xc3\x41", 0, false, "bad continuation"},
    {"\xe2\x28\xa1", 0, false, "bad second byte"},
    {"\xe2\x82\x28", 0, false, "bad third byte"},
    {"ok\xc3\xa9ok\xe2\x82\xac!", 0, true, "mixed valid"},
    {"ok\xc3\xa9ok\xed\xa0\x80", 0, false, "mixed with a surrogate at the end"},
};

START_TEST(utf8_row)
{
    size_t n = utf8_rows[_i].n ? utf8_rows[_i].n : strlen(utf8_rows[_i].s);

    ck_assert_msg(dt__utf8_valid(utf8_rows[_i].s, n) == utf8_rows[_i].valid,
                  "%s: expected %s", utf8_rows[_i].what,
                  utf8_rows[_i].valid ? "valid" : "invalid");
}
END_TEST

/* ---- the allocation-failure hook ---- */

START_TEST(alloc_fail_next)
{
    void *p;

    dt__alloc_fail_after(0);
    p = dt__malloc(16);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(dt_error_last()->code, DT_ENOMEM);
    ck_assert_str_eq(dt_error_last()->message, "out of memory allocating 16 bytes");
    /* one failure only */
    p = dt__malloc(16);
    ck_assert_ptr_nonnull(p);
    free(p);
}
END_TEST

START_TEST(alloc_fail_nth)
{
    void *a, *b, *c, *d;

    dt__alloc_fail_after(2);
    a = dt__malloc(1);
    b = dt__calloc(2, 4);
    c = dt__strdup("third");
    d = dt__realloc(NULL, 4);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(d);
    free(a);
    free(b);
    free(d);
}
END_TEST

START_TEST(alloc_fail_each_kind)
{
    char *s;
    void *p, *q;

    dt__alloc_fail_after(0);
    ck_assert_ptr_null(dt__calloc(3, 8));
    ck_assert_str_eq(dt_error_last()->message, "out of memory allocating 24 bytes");
    dt__alloc_fail_after(0);
    ck_assert_ptr_null(dt__strndup("abcdef", 3));
    ck_assert_int_eq(dt_error_last()->code, DT_ENOMEM);
    /* a failed realloc keeps the old block */
    p = dt__malloc(4);
    ck_assert_ptr_nonnull(p);
    dt__alloc_fail_after(0);
    q = dt__realloc(p, 64);
    ck_assert_ptr_null(q);
    free(p);
    s = dt__strndup("abcdef", 3);
    ck_assert_str_eq(s, "abc");
    free(s);
}
END_TEST

START_TEST(alloc_fail_disarm)
{
    void *p;

    dt__alloc_fail_after(3);
    dt__alloc_fail_after(-1);
    for (int i = 0; i < 10; i++) {
        p = dt__malloc(1);
        ck_assert_ptr_nonnull(p);
        free(p);
    }
}
END_TEST

/* ---- the tests' own temporary directories ---- */

START_TEST(tmpdir_helper)
{
    char *d = tu_tmpdir("err"), *f;
    struct stat st;
    FILE *fp;
    size_t len = strlen(d) + 8;

    ck_assert_int_eq(stat(d, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    f = malloc(len);
    snprintf(f, len, "%s/x", d);
    fp = fopen(f, "w");
    ck_assert_ptr_nonnull(fp);
    fclose(fp);
    tu_rmtree(d);
    ck_assert_int_ne(stat(d, &st), 0);
    free(f);
    free(d);
}
END_TEST

static void reset(void)
{
    dt__alloc_fail_after(-1);
    dt_error_clear();
}

static Suite *err_suite(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("errors");

    tcase_add_loop_test(tc, code_row, 0, TU_NELEMS(codes));
    tcase_add_test(tc, code_table_complete);
    tcase_add_test(tc, code_unknown);
    tcase_add_test(tc, error_initial);
    tcase_add_test(tc, error_fail_returns_code);
    tcase_add_test(tc, error_fail_at);
    tcase_add_loop_test(tc, error_compose_row, 0, TU_NELEMS(compose_rows));
    tcase_add_test(tc, error_locate_fills_only_empty_parts);
    tcase_add_test(tc, error_locate_without_error);
    tcase_add_test(tc, error_new_fail_forgets_location);
    tcase_add_test(tc, error_prefix);
    tcase_add_test(tc, error_clear);
    tcase_add_test(tc, error_long_parts_truncate);
    tcase_add_test(tc, error_per_thread);

    tcase_add_checked_fixture(tc, reset, NULL);
    suite_add_tcase(s, tc);

    tc = tcase_create("checked");
    tcase_add_loop_test(tc, mul_row, 0, TU_NELEMS(mul_rows));
    tcase_add_loop_test(tc, add_row, 0, TU_NELEMS(add_rows));
    tcase_add_test(tc, u64_to_size);
    tcase_add_test(tc, malloc_limited);
    tcase_add_checked_fixture(tc, reset, NULL);
    suite_add_tcase(s, tc);

    tc = tcase_create("strings");
    tcase_add_test(tc, buf_basic);
    tcase_add_test(tc, buf_empty_take);
    tcase_add_test(tc, buf_grows);
    tcase_add_test(tc, buf_failure_sticks);
    tcase_add_test(tc, aprintf);
    tcase_add_loop_test(tc, utf8_row, 0, TU_NELEMS(utf8_rows));
    tcase_add_checked_fixture(tc, reset, NULL);
    suite_add_tcase(s, tc);

    tc = tcase_create("alloc");
    tcase_add_test(tc, alloc_fail_next);
    tcase_add_test(tc, alloc_fail_nth);
    tcase_add_test(tc, alloc_fail_each_kind);
    tcase_add_test(tc, alloc_fail_disarm);
    tcase_add_test(tc, tmpdir_helper);
    tcase_add_checked_fixture(tc, reset, NULL);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(err_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
