/* test_isolate.c: dt_isolate runs work in a child process: return values
 * and errors come back, output is collected, and a crash, a CPU-time or
 * wall-clock overrun or an early exit of the child becomes an error that
 * names the file, never the death of the caller. */
#define _GNU_SOURCE /* asprintf */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"

static int ret_value(void *ud, int fd)
{
    (void)fd;
    return *(int *)ud;
}

static int fail_named(void *ud, int fd)
{
    (void)ud;
    (void)fd;
    return dt__fail_at(DT_EFORMAT, "bad.nc", "/g/v", "a chunk is %d bytes short", 12);
}

static int write_lots(void *ud, int fd)
{
    size_t n = *(size_t *)ud;
    char block[4096];

    for (size_t i = 0; i < sizeof block; i++)
        block[i] = (char)('a' + i % 26);
    while (n > 0) {
        size_t k = n < sizeof block ? n : sizeof block;

        if (write(fd, block, k) != (ssize_t)k)
            return DT_EIO;
        n -= k;
    }
    return 7;
}

static int crash(void *ud, int fd)
{
    (void)ud;
    (void)fd;
    signal(SIGSEGV, SIG_DFL);  /* a sanitizer's handler would exit instead */
    raise(SIGSEGV);
    return 0;
}

static int spin(void *ud, int fd)
{
    volatile unsigned long x = 0;

    (void)ud;
    (void)fd;
    for (;;)
        x++;
    return 0;
}

static int nap(void *ud, int fd)
{
    (void)ud;
    (void)fd;
    sleep(30);
    return 0;
}

static int leave_early(void *ud, int fd)
{
    (void)ud;
    (void)fd;
    _exit(3);
}

static int big_alloc(void *ud, int fd)
{
    void *p = malloc((size_t)1 << 32);

    (void)ud;
    (void)fd;
    if (!p)
        return dt__fail(DT_ENOMEM, "4 GiB refused");
    free(p);
    return 1;
}

START_TEST(returns_value)
{
    int v = 42, neg = DT_ERANGE;

    ck_assert_int_eq(dt_isolate(ret_value, &v, NULL, NULL, NULL), 42);
    v = 0;
    ck_assert_int_eq(dt_isolate(ret_value, &v, NULL, NULL, NULL), 0);
    tu_assert_rc(dt_isolate(fail_named, NULL, NULL, NULL, NULL), DT_EFORMAT,
                 "bad.nc: /g/v: a chunk is 12 bytes short");
    ck_assert_str_eq(dt_error_last()->file, "bad.nc");
    ck_assert_str_eq(dt_error_last()->path, "/g/v");
    (void)neg;
}
END_TEST

START_TEST(collects_output)
{
    size_t n = 3 * 1000 * 1000 + 17, len = 0;
    char *out = NULL;

    ck_assert_int_eq(dt_isolate(write_lots, &n, NULL, &out, &len), 7);
    ck_assert_uint_eq(len, n);
    ck_assert_int_eq(out[0], 'a');
    ck_assert_int_eq(out[26], 'a');
    ck_assert_int_eq(out[n], '\0');
    dt_free(out);
    n = 0;
    ck_assert_int_eq(dt_isolate(write_lots, &n, NULL, &out, &len), 7);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(out, "");
    dt_free(out);
}
END_TEST

START_TEST(crash_is_an_error)
{
    dt_isolate_opts o = DT_ISOLATE_OPTS_INIT;
    int sig = -1;
    char *path = NULL, *dir = tu_tmpdir("iso");
    FILE *fp;
    static const unsigned char hsig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

    o.file = "plain.bin";
    o.term_signal = &sig;
    tu_assert_rc(dt_isolate(crash, NULL, &o, NULL, NULL), DT_ECRASH,
                 "plain.bin: the process crashed reading this file (SIGSEGV)");
    ck_assert_int_eq(sig, SIGSEGV);
    /* an HDF5 file: the HDF5 library is named */
    ck_assert_int_ge(asprintf(&path, "%s/x.h5", dir), 0);
    fp = fopen(path, "wb");
    fwrite(hsig, 1, 8, fp);
    fclose(fp);
    o.file = path;
    tu_assert_rc(dt_isolate(crash, NULL, &o, NULL, NULL), DT_ECRASH,
                 "the HDF5 library crashed reading this file (SIGSEGV)");
    tu_assert_msg_has("x.h5");
    free(path);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(cpu_limit)
{
    dt_isolate_opts o = DT_ISOLATE_OPTS_INIT;

    o.cpu_seconds = 1;
    o.file = "loop.h5";
    tu_assert_rc(dt_isolate(spin, NULL, &o, NULL, NULL), DT_ETIMEOUT,
                 "loop.h5: reading this file took more than 1 s of CPU time");
}
END_TEST

START_TEST(wall_limit)
{
    dt_isolate_opts o = DT_ISOLATE_OPTS_INIT;
    volatile int child = -1;

    o.wall_seconds = 1;
    o.child_pid = &child;
    o.file = "slow.nc";
    tu_assert_rc(dt_isolate(nap, NULL, &o, NULL, NULL), DT_ETIMEOUT,
                 "slow.nc: reading this file took more than 1 s; stopped");
    ck_assert_int_eq(child, 0);
}
END_TEST

START_TEST(early_exit)
{
    tu_assert_rc(dt_isolate(leave_early, NULL, NULL, NULL, NULL), DT_ECRASH,
                 "the child process ended (exit status 3) before its work was done");
}
END_TEST

START_TEST(memory_limit)
{
    dt_isolate_opts o = DT_ISOLATE_OPTS_INIT;

#if defined(__SANITIZE_ADDRESS__)
    /* ASan reserves terabytes of address space: RLIMIT_AS cannot apply */
    return;
#endif
    o.max_memory = (uint64_t)1 << 31;
    tu_assert_rc(dt_isolate(big_alloc, NULL, &o, NULL, NULL), DT_ENOMEM, "4 GiB refused");
}
END_TEST

START_TEST(bad_args)
{
    dt_isolate_opts o = DT_ISOLATE_OPTS_INIT;

    tu_assert_rc(dt_isolate(NULL, NULL, NULL, NULL, NULL), DT_EINVAL, "NULL function");
    o.version = 2;
    tu_assert_rc(dt_isolate(crash, NULL, &o, NULL, NULL), DT_EINVAL, "version 2");
    ck_assert_str_eq(dt_signal_name(SIGSEGV), "SIGSEGV");
    ck_assert_str_eq(dt_signal_name(SIGXCPU), "SIGXCPU");
    ck_assert_str_eq(dt_signal_name(0), "a signal");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("isolate");
    TCase *tc = tcase_create("isolate");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, returns_value);
    tcase_add_test(tc, collects_output);
    tcase_add_test(tc, crash_is_an_error);
    tcase_add_test(tc, cpu_limit);
    tcase_add_test(tc, wall_limit);
    tcase_add_test(tc, early_exit);
    tcase_add_test(tc, memory_limit);
    tcase_add_test(tc, bad_args);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
