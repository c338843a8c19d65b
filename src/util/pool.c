/* pool.c: a fixed-size thread pool that runs batches of independent jobs
 * (decoding chunks) and carries the first failure back to its caller. */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* More threads than this only adds memory: decoding is bounded by cores. */
#define POOL_MAX 256

/* One dt__pool_run call; lives on its caller's stack. */
typedef struct batch {
    struct batch *next;     /* in the pool's list while jobs are unclaimed */
    dt__pool_job job;
    void *ud;
    size_t n;
    size_t next_i;          /* the next job to start */
    size_t running;         /* started and not finished */
    int rc;                 /* DT_OK, or the code of job err_i */
    size_t err_i;
    dt__err_saved err;
} batch;

struct dt__pool {
    pthread_mutex_t mu;
    pthread_cond_t work;    /* a batch was queued, or the pool is closing */
    pthread_cond_t done;    /* a job finished */
    batch *head, *tail;     /* batches with jobs not yet started */
    int closing;
    unsigned nworkers;
    pthread_t *workers;
};

unsigned dt__cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    if (n < 1)
        return 1;
    return n > POOL_MAX ? POOL_MAX : (unsigned)n;
}

static void unqueue(dt__pool *p, batch *b)
{
    batch **pp = &p->head, *prev = NULL;

    while (*pp && *pp != b) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp)
        return;
    *pp = b->next;
    if (p->tail == b)
        p->tail = prev;
    b->next = NULL;
}

/* Start job b->next_i and wait for it; called and returns with p->mu held
 * (p may be NULL: the caller alone). */
static void run_one(dt__pool *p, batch *b)
{
    size_t i = b->next_i++;
    dt__err_saved e;
    int rc;

    if (p && b->next_i == b->n)
        unqueue(p, b);
    b->running++;
    if (p)
        pthread_mutex_unlock(&p->mu);
    rc = b->job(b->ud, i);
    if (rc < 0)
        dt__err_save(&e); /* this thread's own error, before the lock */
    if (p)
        pthread_mutex_lock(&p->mu);
    if (rc < 0 && (b->rc == DT_OK || i < b->err_i)) {
        b->rc = rc;
        b->err_i = i;
        b->err = e;
    }
    if (rc < 0 && b->next_i < b->n) {
        /* the batch fails anyway: skip what has not started */
        b->next_i = b->n;
        if (p)
            unqueue(p, b);
    }
    b->running--;
    if (p && b->running == 0 && b->next_i == b->n)
        pthread_cond_broadcast(&p->done);
}

static void *worker(void *arg)
{
    dt__pool *p = arg;

    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->closing)
            pthread_cond_wait(&p->work, &p->mu);
        if (!p->head)
            break;
        run_one(p, p->head);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void pool_stop(dt__pool *p, unsigned started)
{
    pthread_mutex_lock(&p->mu);
    p->closing = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < started; i++)
        pthread_join(p->workers[i], NULL);
}

int dt__pool_new(dt__pool **out, unsigned threads)
{
    dt__pool *p;
    sigset_t all, old;
    unsigned started = 0;
    int err = 0;

    *out = NULL;
    if (threads == 0)
        threads = dt__cpu_count();
    if (threads > POOL_MAX)
        threads = POOL_MAX;
    if (threads <= 1)
        return DT_OK;
    p = dt__calloc(1, sizeof *p);
    if (!p)
        return DT_ENOMEM;
    p->nworkers = threads - 1;
    p->workers = dt__calloc(p->nworkers, sizeof *p->workers);
    if (!p->workers) {
        free(p);
        return DT_ENOMEM;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    /* workers take no signals: they belong to the embedding program's
     * threads, which expect them */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (; started < p->nworkers; started++) {
        err = pthread_create(&p->workers[started], NULL, worker, p);
        if (err != 0)
            break;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0) {
        char eb[128] = "";

        pool_stop(p, started);
        strerror_r(err, eb, sizeof eb);
        p->nworkers = 0;
        dt__pool_free(p);
        return dt__fail(DT_ERROR, "cannot start decoding thread %u of %u: %s",
                        started + 2, threads, eb);
    }
    *out = p;
    return DT_OK;
}

void dt__pool_free(dt__pool *pool)
{
    if (!pool)
        return;
    if (pool->nworkers)
        pool_stop(pool, pool->nworkers);
    pthread_cond_destroy(&pool->done);
    pthread_cond_destroy(&pool->work);
    pthread_mutex_destroy(&pool->mu);
    free(pool->workers);
    free(pool);
}

unsigned dt__pool_threads(const dt__pool *pool)
{
    return pool ? pool->nworkers + 1 : 1;
}

int dt__pool_run_with(dt__pool *pool, size_t n, dt__pool_job job, void *ud,
                      int (*mine)(void *), void *mine_ud)
{
    dt__err_saved mine_err;
    int mine_rc = DT_OK;
    batch b;

    memset(&b, 0, sizeof b);
    b.job = job;
    b.ud = ud;
    b.n = n;
    if (pool && n > 1) {
        pthread_mutex_lock(&pool->mu);
        if (pool->tail)
            pool->tail->next = &b;
        else
            pool->head = &b;
        pool->tail = &b;
        pthread_cond_broadcast(&pool->work);
        pthread_mutex_unlock(&pool->mu);
    } else {
        pool = NULL; /* one job or one thread: all on this one */
    }
    if (mine) {
        mine_rc = mine(mine_ud);
        if (mine_rc < 0)
            dt__err_save(&mine_err);
    }
    if (pool)
        pthread_mutex_lock(&pool->mu);
    if (mine_rc < 0 && b.next_i < b.n) {
        /* the caller fails anyway: skip the jobs not started */
        b.next_i = b.n;
        if (pool)
            unqueue(pool, &b);
    }
    while (b.next_i < b.n)
        run_one(pool, &b);
    if (pool) {
        while (b.running > 0)
            pthread_cond_wait(&pool->done, &pool->mu);
        pthread_mutex_unlock(&pool->mu);
    }
    if (b.rc < 0) {
        dt__err_restore(&b.err);
        return b.rc;
    }
    if (mine_rc < 0)
        dt__err_restore(&mine_err);
    return mine_rc;
}

int dt__pool_run(dt__pool *pool, size_t n, dt__pool_job job, void *ud)
{
    return dt__pool_run_with(pool, n, job, ud, NULL, NULL);
}
