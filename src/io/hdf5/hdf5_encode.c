/* hdf5_encode.c: chunks encoded (and stored chunks decoded) by worker
 * threads for the netCDF-4 writer. HDF5 runs filters one chunk at a time in
 * the calling thread; for the filters libdtree runs itself (shuffle,
 * deflate, zstd) the workers do it in parallel, and the one thread that
 * calls HDF5 stores their output with H5Dwrite_chunk. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "hdf5_internal.h"

#define MAX_WORKERS 16

enum { JOB_FREE, JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_FAILED };

struct dt__h5enc {
    pthread_t th[MAX_WORKERS];
    unsigned nth;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    dt__h5job *jobs;
    size_t njobs;
    size_t chunk_bytes;     /* of the variable being written */
    size_t buf_bytes;       /* the jobs' buffers hold chunks this big */
    dt__h5enc_target p;
    dt__h5enc_source sp;
    int stop;
};

static void shuffle_bytes(unsigned char *dst, const unsigned char *src, size_t n,
                          size_t es)
{
    size_t ne = n / es;

    /* HDF5's shuffle: byte j of element i goes to j * ne + i; the bytes
     * that do not fill an element stay at the end as they are */
    for (size_t j = 0; j < es; j++) {
        unsigned char *d = dst + j * ne;
        const unsigned char *s = src + j;

        for (size_t i = 0; i < ne; i++)
            d[i] = s[i * es];
    }
    memcpy(dst + ne * es, src + ne * es, n - ne * es);
}

static void unshuffle_bytes(unsigned char *dst, const unsigned char *src, size_t n,
                            size_t es)
{
    size_t ne = n / es;

    for (size_t j = 0; j < es; j++) {
        const unsigned char *s = src + j * ne;
        unsigned char *d = dst + j;

        for (size_t i = 0; i < ne; i++)
            d[i * es] = s[i];
    }
    memcpy(dst + ne * es, src + ne * es, n - ne * es);
}

/* A stored source chunk back to its bytes, as far as the target needs:
 * when both pipelines shuffle, the shuffled bytes are compressed as they
 * are. Points *data at the chunk (len = chunk_bytes, in j->tmp or j->in);
 * *shuffled says whether it is still shuffled. */
static int decode_job(const dt__h5enc *e, dt__h5job *j, const unsigned char **data,
                      int *shuffled)
{
    const dt__h5enc_source *sp = &e->sp;
    size_t n = e->chunk_bytes;
    int comp = (sp->deflate || sp->zstd) && !(j->mask & (1u << sp->comp_bit));

    *shuffled = sp->shuffle && !(j->mask & (1u << sp->shuffle_bit)) && e->p.esize > 1;
    if (comp && sp->deflate) {
        uLongf dl = (uLongf)n;

        if (uncompress(j->tmp, &dl, j->in, (uLong)j->len) != Z_OK || dl != n)
            return -1;
    } else if (comp) {
        size_t r = ZSTD_decompress(j->tmp, n, j->in, j->len);

        if (ZSTD_isError(r) || r != n)
            return -1;
    } else {
        if (j->len != n)
            return -1;
        memcpy(j->tmp, j->in, n);
    }
    /* tmp holds the bytes, shuffled or not: unshuffled into in if the
     * target does not shuffle */
    *data = j->tmp;
    if (*shuffled && !(e->p.shuffle && e->p.esize > 1)) {
        unshuffle_bytes(j->in, j->tmp, n, e->p.esize);
        *shuffled = 0;
        *data = j->in;
    }
    j->len = n;
    return 0;
}

static int encode_job(const dt__h5enc *e, dt__h5job *j)
{
    const dt__h5enc_target *p = &e->p;
    const unsigned char *src = j->in;
    size_t n;
    int shuffled = 0;

    if (j->transcode && decode_job(e, j, &src, &shuffled) < 0)
        return -1;
    n = j->len;
    if (p->shuffle && p->esize > 1 && !shuffled) {
        /* into whichever buffer src is not */
        unsigned char *dst = src == j->tmp ? j->in : j->tmp;

        shuffle_bytes(dst, src, n, p->esize);
        src = dst;
    }
    if (p->deflate) {
        uLongf dl = (uLongf)j->cap;

        if (compress2(j->out, &dl, src, (uLong)n, p->deflate) != Z_OK)
            return -1;
        j->out_len = dl;
    } else if (p->zstd) {
        size_t r = ZSTD_compress(j->out, j->cap, src, n, p->zstd_level);

        if (ZSTD_isError(r))
            return -1;
        j->out_len = r;
    } else {
        memcpy(j->out, src, n);
        j->out_len = n;
    }
    return 0;
}

static void *worker(void *arg)
{
    dt__h5enc *e = arg;

    pthread_mutex_lock(&e->mu);
    for (;;) {
        dt__h5job *j = NULL;

        while (!e->stop) {
            for (size_t i = 0; i < e->njobs && !j; i++) {
                if (e->jobs[i].state == JOB_QUEUED)
                    j = &e->jobs[i];
            }
            if (j)
                break;
            pthread_cond_wait(&e->work, &e->mu);
        }
        if (!j)
            break;
        j->state = JOB_RUNNING;
        pthread_mutex_unlock(&e->mu);
        {
            int ok = encode_job(e, j) == 0;

            pthread_mutex_lock(&e->mu);
            j->state = ok ? JOB_DONE : JOB_FAILED;
        }
        pthread_cond_broadcast(&e->done);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

void dt__h5enc_free(dt__h5enc *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->mu);
    e->stop = 1;
    pthread_cond_broadcast(&e->work);
    pthread_mutex_unlock(&e->mu);
    for (unsigned i = 0; i < e->nth; i++)
        pthread_join(e->th[i], NULL);
    for (size_t i = 0; i < e->njobs; i++) {
        free(e->jobs[i].in);
        free(e->jobs[i].tmp);
        free(e->jobs[i].out);
    }
    free(e->jobs);
    pthread_cond_destroy(&e->work);
    pthread_cond_destroy(&e->done);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

int dt__h5enc_new(dt__h5enc **out, unsigned nth)
{
    if (nth > MAX_WORKERS)
        nth = MAX_WORKERS;
    dt__h5enc *e = dt__calloc(1, sizeof *e);

    *out = NULL;
    if (!e)
        return DT_ENOMEM;
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->work, NULL);
    pthread_cond_init(&e->done, NULL);
    e->jobs = dt__calloc((size_t)nth + 2, sizeof *e->jobs);
    if (!e->jobs) {
        dt__h5enc_free(e);
        return DT_ENOMEM;
    }
    e->njobs = (size_t)nth + 2;
    for (unsigned i = 0; i < nth; i++) {
        if (pthread_create(&e->th[i], NULL, worker, e) != 0)
            break;
        e->nth++;
    }
    if (e->nth == 0) {
        dt__h5enc_free(e);
        return dt__fail(DT_ERROR, "cannot start an encoding thread");
    }
    *out = e;
    return DT_OK;
}

int dt__h5enc_setup(dt__h5enc *e, const dt__h5enc_target *target,
                    const dt__h5enc_source *source, size_t chunk_bytes)
{
    size_t cap = chunk_bytes + chunk_bytes / 8 + 4096;

    e->p = *target;
    if (source)
        e->sp = *source;
    else
        memset(&e->sp, 0, sizeof e->sp);
    e->chunk_bytes = chunk_bytes;
    if (e->buf_bytes >= chunk_bytes)
        return DT_OK;
    if (ZSTD_compressBound(chunk_bytes) > cap)
        cap = ZSTD_compressBound(chunk_bytes);
    if (compressBound((uLong)chunk_bytes) > cap)
        cap = compressBound((uLong)chunk_bytes);
    for (size_t i = 0; i < e->njobs; i++) {
        dt__h5job *j = &e->jobs[i];

        free(j->in);
        free(j->tmp);
        free(j->out);
        j->in = dt__malloc(cap);
        j->in_cap = cap;
        j->tmp = dt__malloc(chunk_bytes);
        j->out = dt__malloc(cap);
        j->cap = cap;
        if (!j->in || !j->tmp || !j->out) {
            e->buf_bytes = 0;
            return DT_ENOMEM;
        }
    }
    e->buf_bytes = chunk_bytes;
    return DT_OK;
}

/* Store every finished dt__h5job; with wait_all, until none is left in flight,
 * else until one dt__h5job is free. */

size_t dt__h5enc_chunk_bytes(const dt__h5enc *e)
{
    return e->chunk_bytes;
}

int dt__h5enc_collect(dt__h5enc *e, int wait_all, dt__h5job **free_job,
                      dt__h5enc_store store, void *ud)
{
    int rc = DT_OK;

    pthread_mutex_lock(&e->mu);
    for (;;) {
        int busy = 0;
        dt__h5job *ready = NULL, *idle = NULL;

        for (size_t i = 0; i < e->njobs; i++) {
            dt__h5job *j = &e->jobs[i];

            if (j->state == JOB_DONE || j->state == JOB_FAILED)
                ready = j;
            else if (j->state == JOB_QUEUED || j->state == JOB_RUNNING)
                busy = 1;
            else if (!idle)
                idle = j;
        }
        if (ready) {
            int failed = ready->state == JOB_FAILED;

            /* stored outside the lock: the workers go on meanwhile; after
             * a failure the rest are only collected */
            pthread_mutex_unlock(&e->mu);
            if (rc == DT_OK)
                rc = store(ud, ready, failed);
            pthread_mutex_lock(&e->mu);
            ready->state = JOB_FREE;
            continue;
        }
        if (!wait_all && idle) {
            *free_job = idle;
            break;
        }
        if (!busy)
            break;
        pthread_cond_wait(&e->done, &e->mu);
    }
    pthread_mutex_unlock(&e->mu);
    return rc;
}

void dt__h5enc_submit(dt__h5enc *e, dt__h5job *j)
{
    pthread_mutex_lock(&e->mu);
    j->state = JOB_QUEUED;
    pthread_cond_signal(&e->work);
    pthread_mutex_unlock(&e->mu);
}
