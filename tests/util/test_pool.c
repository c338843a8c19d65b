/* test_pool.c: the thread pool: every job runs once, a failure on a worker
 * reaches the caller with its whole error, the failure of lowest index
 * wins, and several callers share one pool. */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dtree.h"
#include "testutil.h"
#include "util.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* ---- sizes ---- */

static const struct {
    unsigned asked;
    unsigned want;          /* 0: the number of cores */
} sizes[] = {
    {1, 1}, {2, 2}, {3, 3}, {0, 0}, {1000, 256},
};

START_TEST(pool_size)
{
    dt__pool *p = NULL;
    unsigned want = sizes[_i].want ? sizes[_i].want : dt__cpu_count();

    ck_assert_int_eq(dt__pool_new(&p, sizes[_i].asked), DT_OK);
    ck_assert_uint_eq(dt__pool_threads(p), want);
    /* one thread needs no pool */
    ck_assert(want == 1 ? p == NULL : p != NULL);
    dt__pool_free(p);
}
END_TEST

/* ---- every job once ---- */

typedef struct marks {
    atomic_int *seen;
    atomic_int on_workers;
    pthread_t caller;
} marks;

static int mark(void *ud, size_t i)
{
    marks *m = ud;

    atomic_fetch_add(&m->seen[i], 1);
    if (!pthread_equal(pthread_self(), m->caller))
        atomic_fetch_add(&m->on_workers, 1);
    if (i % 64 == 0)
        sleep_ms(1);
    return DT_OK;
}

START_TEST(every_job_once)
{
    static const size_t counts[] = {0, 1, 2, 7, 1000};
    unsigned threads = (unsigned)_i + 1;
    dt__pool *p = NULL;

    ck_assert_int_eq(dt__pool_new(&p, threads), DT_OK);
    for (size_t k = 0; k < TU_NELEMS(counts); k++) {
        marks m;

        m.seen = calloc(counts[k] + 1, sizeof *m.seen);
        atomic_init(&m.on_workers, 0);
        m.caller = pthread_self();
        ck_assert_int_eq(dt__pool_run(p, counts[k], mark, &m), DT_OK);
        for (size_t i = 0; i < counts[k]; i++)
            ck_assert_int_eq(atomic_load(&m.seen[i]), 1);
        ck_assert_int_eq(atomic_load(&m.seen[counts[k]]), 0);
        if (threads == 1)
            ck_assert_int_eq(atomic_load(&m.on_workers), 0);
        free(m.seen);
    }
    dt__pool_free(p);
}
END_TEST

/* ---- errors ---- */

static int fail_on_worker(void *ud, size_t i)
{
    const pthread_t *caller = ud;

    sleep_ms(2);
    if (!pthread_equal(pthread_self(), *caller))
        return dt__fail_at(DT_EFORMAT, "ocean.nc", "/sst/temp",
                           "chunk (%zu, 0) is 52 bytes, its zstd frame declares 4096", i);
    return DT_OK;
}

/* The error a worker set is the caller's after the run: code, message,
 * file and path. */
START_TEST(worker_error_reaches_caller)
{
    dt__pool *p = NULL;
    pthread_t self = pthread_self();
    const dt_error *e;

    ck_assert_int_eq(dt__pool_new(&p, 4), DT_OK);
    dt_error_clear();
    ck_assert_int_eq(dt__pool_run(p, 40, fail_on_worker, &self), DT_EFORMAT);
    e = dt_error_last();
    ck_assert_int_eq(e->code, DT_EFORMAT);
    ck_assert_str_eq(e->file, "ocean.nc");
    ck_assert_str_eq(e->path, "/sst/temp");
    tu_assert_msg_has("ocean.nc: /sst/temp: chunk (");
    tu_assert_msg_has(", 0) is 52 bytes, its zstd frame declares 4096");
    dt__pool_free(p);
}
END_TEST

static int fail_from_10(void *ud, size_t i)
{
    (void)ud;
    if (i < 10)
        return DT_OK;
    /* the lowest failing job is the quickest to fail */
    sleep_ms(20 + 20 * (long)(i - 10));
    return dt__fail(DT_EIO, "job %zu failed", i);
}

START_TEST(lowest_failure_wins)
{
    dt__pool *p = NULL;

    ck_assert_int_eq(dt__pool_new(&p, (unsigned)_i + 1), DT_OK);
    tu_assert_rc(dt__pool_run(p, 14, fail_from_10, NULL), DT_EIO, "job 10 failed");
    dt__pool_free(p);
}
END_TEST

typedef struct counter {
    atomic_int ran;
} counter;

static int count_until_3(void *ud, size_t i)
{
    counter *c = ud;

    atomic_fetch_add(&c->ran, 1);
    return i == 3 ? dt__fail(DT_ERROR, "stop") : DT_OK;
}

/* Without workers, jobs after a failure never start. */
START_TEST(serial_stops_at_failure)
{
    counter c;

    atomic_init(&c.ran, 0);
    tu_assert_rc(dt__pool_run(NULL, 100, count_until_3, &c), DT_ERROR, "stop");
    ck_assert_int_eq(atomic_load(&c.ran), 4);
}
END_TEST

/* ---- several callers on one pool ---- */

typedef struct caller_arg {
    dt__pool *p;
    int ok;
} caller_arg;

static void *run_batches(void *ud)
{
    caller_arg *a = ud;

    a->ok = 1;
    for (int k = 0; k < 20 && a->ok; k++) {
        marks m;

        m.seen = calloc(200, sizeof *m.seen);
        atomic_init(&m.on_workers, 0);
        m.caller = pthread_self();
        a->ok = m.seen && dt__pool_run(a->p, 200, mark, &m) == DT_OK;
        for (size_t i = 0; i < 200 && a->ok; i++)
            a->ok = atomic_load(&m.seen[i]) == 1;
        free(m.seen);
    }
    return NULL;
}

START_TEST(shared_by_callers)
{
    dt__pool *p = NULL;
    caller_arg a[4];
    pthread_t th[4];

    ck_assert_int_eq(dt__pool_new(&p, 3), DT_OK);
    for (int k = 0; k < 4; k++) {
        a[k].p = p;
        a[k].ok = 0;
        ck_assert_int_eq(pthread_create(&th[k], NULL, run_batches, &a[k]), 0);
    }
    for (int k = 0; k < 4; k++) {
        pthread_join(th[k], NULL);
        ck_assert_msg(a[k].ok, "caller %d", k);
    }
    dt__pool_free(p);
}
END_TEST

/* ---- saving and restoring an error ---- */

START_TEST(err_save_restore)
{
    dt__err_saved saved;

    dt__fail_at(DT_ELIMIT, "obs.zarr", "/wind/u", "\"shape\" has 40 dimensions, "
                "the limit is 32");
    dt__err_save(&saved);
    dt_error_clear();
    ck_assert_int_eq(dt_error_last()->code, DT_OK);
    dt__err_restore(&saved);
    ck_assert_int_eq(dt_error_last()->code, DT_ELIMIT);
    ck_assert_str_eq(dt_error_last()->message,
                     "obs.zarr: /wind/u: \"shape\" has 40 dimensions, the limit is 32");
    ck_assert_str_eq(dt_error_last()->file, "obs.zarr");
    ck_assert_str_eq(dt_error_last()->path, "/wind/u");
    /* a saved "no error" restores to no error */
    dt_error_clear();
    dt__err_save(&saved);
    dt__fail(DT_EIO, "x");
    dt__err_restore(&saved);
    ck_assert_int_eq(dt_error_last()->code, DT_OK);
    ck_assert_ptr_null(dt_error_last()->file);
}
END_TEST

static Suite *pool_suite(void)
{
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("pool");

    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, pool_size, 0, (int)TU_NELEMS(sizes));
    tcase_add_loop_test(tc, every_job_once, 0, 4);
    tcase_add_test(tc, worker_error_reaches_caller);
    tcase_add_loop_test(tc, lowest_failure_wins, 0, 4);
    tcase_add_test(tc, serial_stops_at_failure);
    tcase_add_test(tc, shared_by_callers);
    tcase_add_test(tc, err_save_restore);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pool_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
