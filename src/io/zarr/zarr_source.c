/* zarr_source.c: the lazy source behind a Zarr array: a read works out the
 * chunks (or shards and inner chunks) its selection touches, fetches and
 * decodes each once, and copies the selected elements; missing chunks read
 * as the fill value. A sharded read fetches a shard's index and only the
 * inner chunks it needs, with byte ranges. A write (a store opened with
 * dt_open_opts.writable) re-encodes every chunk its selection touches,
 * over the chunk as stored when it covers only a part, and replaces each
 * chunk atomically; in a sharded array, the whole shard, keeping the
 * bytes of the inner chunks the selection does not touch. */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zarr_internal.h"

typedef struct zsrc {
    dt__zreader *r;       /* the tree's backend: freed after the sources */
    dt__store *store;     /* r's */
    dt__zarray *a;
} zsrc;

/* Decoded inner chunks of one read go through a few buffers of one size,
 * taken and given back by the decoding threads: a fresh buffer per inner
 * chunk costs the kernel's page faults and zeroing each time. */
#define SCRATCH_MAX 8

typedef struct scratch {
    pthread_mutex_t lock;
    unsigned char *bufs[SCRATCH_MAX];
    size_t n, size;
} scratch;

static unsigned char *scratch_take(scratch *s)
{
    unsigned char *p = NULL;

    pthread_mutex_lock(&s->lock);
    if (s->n)
        p = s->bufs[--s->n];
    pthread_mutex_unlock(&s->lock);
    return p ? p : dt__malloc(s->size ? s->size : 1);
}

static void scratch_give(scratch *s, unsigned char *p)
{
    pthread_mutex_lock(&s->lock);
    if (s->n < SCRATCH_MAX) {
        s->bufs[s->n++] = p;
        p = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    free(p);
}

static void scratch_clear(scratch *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->bufs[i]);
    s->n = 0;
    pthread_mutex_destroy(&s->lock);
}

/* One read: the selection, the output and where messages point. */
typedef struct zread {
    const zsrc *s;
    const dt__zarray *a;
    const uint64_t *start, *stride;
    uint64_t count[DT_MAX_RANK];
    uint64_t ostride[DT_MAX_RANK];   /* output strides, in elements */
    size_t es;
    int strings;
    unsigned char *buf;
    const unsigned char *in;          /* a write's data */
    char *path;                       /* the variable, for messages */
    scratch *inner;                   /* sharded reads: decoded inner chunks */
} zread;

/* ------------------------------------------------------------------------ */
/* Walking the units (chunks, shards, inner chunks) a selection touches     */

/* Per axis, the selection indices k in [lo, hi] fall into units of length
 * U: the current unit u holds k0..k1. */
typedef struct unit_iter {
    size_t ndim;
    const uint64_t *start, *stride, *U;
    uint64_t lo[DT_MAX_RANK], hi[DT_MAX_RANK];
    uint64_t k0[DT_MAX_RANK], k1[DT_MAX_RANK], u[DT_MAX_RANK];
    int done;
} unit_iter;

static void axis_at(unit_iter *it, size_t d, uint64_t k)
{
    uint64_t idx = it->start[d] + k * it->stride[d], last, kend;

    it->k0[d] = k;
    it->u[d] = idx / it->U[d];
    /* the last array index of the unit, then the last k at or before it */
    if (dt__mul_u64(&last, it->u[d] + 1, it->U[d]))
        last = UINT64_MAX;
    else
        last -= 1;
    kend = (last - it->start[d]) / it->stride[d];
    it->k1[d] = kend < it->hi[d] ? kend : it->hi[d];
}

static void iter_begin(unit_iter *it)
{
    it->done = 0;
    for (size_t d = 0; d < it->ndim; d++) {
        if (it->lo[d] > it->hi[d]) {
            it->done = 1;
            return;
        }
        axis_at(it, d, it->lo[d]);
    }
}

static void iter_next(unit_iter *it)
{
    for (size_t d = it->ndim; d-- > 0;) {
        if (it->k1[d] < it->hi[d]) {
            axis_at(it, d, it->k1[d] + 1);
            for (size_t e = d + 1; e < it->ndim; e++)
                axis_at(it, e, it->lo[e]);
            return;
        }
    }
    it->done = 1;
}

/* ------------------------------------------------------------------------ */
/* Copying                                                                  */

/* Copy the selected elements of the current unit of `it` from the caller's
 * data into `unit` (its decoded array: C order over U), the inverse of
 * copy_unit below; strings are copied and the ones replaced freed. */
static int overlay_unit(const zread *r, const unit_iter *it, unsigned char *unit)
{
    size_t nd = r->a->ndim, es = r->es, inner = nd - 1;
    uint64_t ustride[DT_MAX_RANK], k[DT_MAX_RANK];

    for (size_t d = nd; d-- > 0;)
        ustride[d] = d + 1 < nd ? ustride[d + 1] * it->U[d + 1] : 1;
    for (size_t d = 0; d < nd; d++)
        k[d] = it->k0[d];
    for (;;) {
        uint64_t dst = 0, src = 0, n = it->k1[inner] - it->k0[inner] + 1;
        size_t d;

        for (d = 0; d < nd; d++) {
            uint64_t kk = d == inner ? it->k0[d] : k[d];

            dst += (r->start[d] + kk * r->stride[d] - it->u[d] * it->U[d]) * ustride[d];
            src += kk * r->ostride[d];
        }
        if (r->strings) {
            char *const *from = (char *const *)r->in + src;
            char **to = (char **)unit;

            for (uint64_t i = 0; i < n; i++) {
                char *t = dt__strdup(from[i] ? from[i] : "");

                if (!t)
                    return DT_ENOMEM;
                free(to[dst + i * r->stride[inner]]);
                to[dst + i * r->stride[inner]] = t;
            }
        } else if (r->stride[inner] == 1) {
            memcpy(unit + dst * es, r->in + src * es, (size_t)n * es);
        } else {
            for (uint64_t i = 0; i < n; i++)
                memcpy(unit + (dst + i * r->stride[inner]) * es, r->in + (src + i) * es, es);
        }
        for (d = inner; d-- > 0;) {
            if (++k[d] <= it->k1[d])
                break;
            k[d] = it->k0[d];
        }
        if (d == SIZE_MAX)
            return DT_OK;
    }
}

/* Copy the selected elements of the current unit of `it` from `unit` (its
 * decoded array: C order over U; NULL: the fill value) into the output. */
static int copy_unit(const zread *r, const unit_iter *it, const unsigned char *unit)
{
    size_t nd = r->a->ndim, es = r->es;
    uint64_t ustride[DT_MAX_RANK], k[DT_MAX_RANK];
    const unsigned char *fill = r->a->fill;
    static const unsigned char zeros[32];
    static char empty[] = "";

    for (size_t d = nd; d-- > 0;)
        ustride[d] = d + 1 < nd ? ustride[d + 1] * it->U[d + 1] : 1;
    for (size_t d = 0; d < nd; d++)
        k[d] = it->k0[d];
    for (;;) {
        uint64_t src = 0, dst = 0;
        size_t inner = nd - 1;
        uint64_t n = it->k1[inner] - it->k0[inner] + 1;

        for (size_t d = 0; d < nd; d++) {
            uint64_t kk = d == inner ? it->k0[d] : k[d];

            src += (r->start[d] + kk * r->stride[d] - it->u[d] * it->U[d]) * ustride[d];
            dst += kk * r->ostride[d];
        }
        if (r->strings) {
            char **out = (char **)r->buf + dst;

            for (uint64_t i = 0; i < n; i++) {
                const char *from;

                if (unit)
                    from = ((char *const *)unit)[src + i * r->stride[inner]];
                else
                    from = fill ? *(char *const *)fill : empty;
                out[i] = dt__strdup(from ? from : "");
                if (!out[i])
                    return DT_ENOMEM;
            }
        } else if (unit && r->stride[inner] == 1) {
            memcpy(r->buf + dst * es, unit + src * es, (size_t)n * es);
        } else {
            for (uint64_t i = 0; i < n; i++) {
                const unsigned char *from = unit ? unit + (src + i * r->stride[inner]) * es
                                                 : fill ? fill : NULL;

                if (from)
                    memcpy(r->buf + (dst + i) * es, from, es);
                else if (es <= sizeof zeros)
                    memcpy(r->buf + (dst + i) * es, zeros, es);
                else
                    memset(r->buf + (dst + i) * es, 0, es);
            }
        }
        /* odometer over the outer axes of the unit's part of the selection */
        {
            size_t d = inner;

            while (d-- > 0) {
                if (++k[d] <= it->k1[d])
                    break;
                k[d] = it->k0[d];
            }
            if (d == SIZE_MAX)
                return DT_OK;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Keys and messages                                                        */

static char *chunk_key_sep(const dt__zarray *a, const uint64_t *idx, char sep)
{
    dt__buf b;

    dt__buf_init(&b);
    dt__buf_puts(&b, a->prefix);
    if (a->ndim == 0) {
        dt__buf_puts(&b, a->key_c ? "c" : "0");
        return dt__buf_take(&b);
    }
    if (a->key_c)
        dt__buf_printf(&b, "c%c", sep);
    for (size_t d = 0; d < a->ndim; d++)
        dt__buf_printf(&b, "%s%" PRIu64, d ? (sep == '/' ? "/" : ".") : "", idx[d]);
    return dt__buf_take(&b);
}

static char *chunk_key(const dt__zarray *a, const uint64_t *idx)
{
    int seen = a->sep_seen;

    return chunk_key_sep(a, idx, seen ? (char)seen : a->sep);
}

/* Get a chunk's bytes. A v2 array that does not name its separator has
 * '.' keys, or '/' ones from an old nested store: the first chunk found
 * settles which, for every later read. Reads run on several threads: one
 * that tried the separator another has just ruled out tries again. */
static int get_chunk(const zread *r, const uint64_t *idx, char **key, dt__bytes *raw)
{
    dt__zarray *a = (dt__zarray *)r->a;
    char tried = a->sep_seen ? (char)a->sep_seen : a->sep, other;
    int rc, seen;

    *key = chunk_key_sep(a, idx, tried);
    if (!*key)
        return DT_ENOMEM;
    rc = dt__store_get(r->s->store, *key, raw);
    if (rc == DT_OK && a->sep_guess && !a->sep_seen)
        a->sep_seen = tried;
    if (rc != DT_ENOTFOUND || !a->sep_guess || a->ndim < 2)
        return rc;
    seen = a->sep_seen;
    other = seen ? (char)seen : '/';
    if (other == tried)
        return rc;  /* the separator is known and the chunk is missing */
    dt_error_clear();
    free(*key);
    *key = chunk_key_sep(a, idx, other);
    if (!*key)
        return DT_ENOMEM;
    rc = dt__store_get(r->s->store, *key, raw);
    if (rc == DT_OK && !a->sep_seen)
        a->sep_seen = other;
    return rc;
}

/* "chunk (3, 0) at a/3.0" */
static char *unit_what(const char *kind, const uint64_t *idx, size_t nd, const char *key)
{
    dt__buf b;

    dt__buf_init(&b);
    dt__buf_printf(&b, "%s (", kind);
    for (size_t d = 0; d < nd; d++)
        dt__buf_printf(&b, "%s%" PRIu64, d ? ", " : "", idx[d]);
    dt__buf_printf(&b, ")%s%s", key ? " at " : "", key ? key : "");
    return dt__buf_take(&b);
}

/* ------------------------------------------------------------------------ */
/* Decoding                                                                 */

static int decode_shard_full(const dt__zshard *sh, const dt__bytes *bytes,
                             const dt__array_spec *spec, const unsigned char *fill,
                             dt__bytes *out, const dt__codec_ctx *ctx);

/* Stored bytes -> a chunk array through a chain, whose array-to-bytes step
 * may be a nested shard. Consumes *raw. */
static int decode_unit(const dt__codec_chain *ch, const dt__zshard *nested, dt__bytes *raw,
                       const unsigned char *fill, dt__bytes *out, const dt__codec_ctx *ctx)
{
    dt__bytes sb = {NULL, 0}, arr = {NULL, 0};
    int rc;

    if (!nested)
        return dt__chain_decode(ch, raw, out, ctx);
    rc = dt__chain_decode_bytes(ch, raw, &sb, ctx);
    if (rc < 0)
        return rc;
    rc = decode_shard_full(nested, &sb, dt__chain_serial_spec(ch), fill, &arr, ctx);
    dt__bytes_free(&sb);
    if (rc < 0)
        return rc;
    return dt__chain_decode_array(ch, &arr, out, ctx);
}

/* A shard's index: ninner (offset, nbytes) pairs, checked against the
 * crc32c and the shard's size; missing inner chunks are UINT64_MAX twice. */
static int parse_index(const dt__zshard *sh, const unsigned char *p, uint64_t total,
                       uint64_t **out, const dt__codec_ctx *ctx)
{
    uint64_t n = sh->ninner, *e;

    *out = NULL;
    if (sh->index_crc) {
        uint32_t stored = (uint32_t)p[16 * n] | (uint32_t)p[16 * n + 1] << 8 |
                          (uint32_t)p[16 * n + 2] << 16 | (uint32_t)p[16 * n + 3] << 24;
        uint32_t computed = dt__crc32c(0, p, (size_t)(16 * n));

        if (stored != computed)
            return dt__codec_fail(ctx, DT_EFORMAT, "the shard index's crc32c does not match "
                                  "(stored 0x%08" PRIx32 ", computed 0x%08" PRIx32 "): the "
                                  "shard is damaged", stored, computed);
    }
    e = dt__malloc((size_t)(2 * n) * sizeof *e);
    if (!e)
        return DT_ENOMEM;
    for (uint64_t i = 0; i < 2 * n; i++) {
        uint64_t v = 0;

        for (int b = 0; b < 8; b++)
            v |= (uint64_t)p[8 * i + (sh->index_big ? 7 - b : b)] << (8 * b);
        e[i] = v;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint64_t off = e[2 * i], len = e[2 * i + 1], end;

        if (off == UINT64_MAX && len == UINT64_MAX)
            continue;
        if (dt__add_u64(&end, off, len) || end > total) {
            int rc = dt__codec_fail(ctx, DT_EFORMAT, "the index puts inner chunk %" PRIu64
                                    " at offset %" PRIu64 " with %" PRIu64 " bytes, outside "
                                    "the shard's %" PRIu64 " bytes: the shard is damaged",
                                    i, off, len, total);
            free(e);
            return rc;
        }
    }
    *out = e;
    return DT_OK;
}

/* Fill the NULL strings of a decoded string array with the fill text. */
static int fill_strings(dt__bytes *arr, const unsigned char *fill)
{
    char **s = (char **)arr->data;
    const char *f = fill ? *(char *const *)fill : "";

    for (size_t i = 0; i < arr->len / sizeof *s; i++) {
        if (!s[i]) {
            s[i] = dt__strdup(f ? f : "");
            if (!s[i])
                return DT_ENOMEM;
        }
    }
    return DT_OK;
}

/* A whole shard held in memory (nested sharding, or codecs around the
 * sharding codec): every inner chunk decoded into the shard's array. */
static int decode_shard_full(const dt__zshard *sh, const dt__bytes *bytes,
                             const dt__array_spec *spec, const unsigned char *fill,
                             dt__bytes *out, const dt__codec_ctx *ctx)
{
    uint64_t n, *ent = NULL, istride[DT_MAX_RANK], sstride[DT_MAX_RANK];
    size_t es = spec->elem_size;
    const unsigned char *index;
    dt__array_spec ispec = *spec;
    int strings = DT_TYPE_CLASS(spec->type) == DT_STRING, rc;

    out->data = NULL;
    out->len = 0;
    if (bytes->len < sh->index_bytes)
        return dt__codec_fail(ctx, DT_EFORMAT, "a shard of %zu bytes cannot hold its index "
                              "of %" PRIu64, bytes->len, sh->index_bytes);
    index = sh->index_at_start ? bytes->data : bytes->data + bytes->len - sh->index_bytes;
    rc = parse_index(sh, index, bytes->len, &ent, ctx);
    if (rc < 0)
        return rc;
    rc = dt__spec_nelems(&n, spec);
    if (rc == DT_OK)
        rc = dt__codec_alloc(out, n * es, "sharding_indexed", ctx);
    if (rc < 0) {
        free(ent);
        return rc;
    }
    if (strings)
        memset(out->data, 0, out->len);
    else
        for (uint64_t i = 0; i < n; i++)
            fill ? memcpy(out->data + i * es, fill, es) : memset(out->data + i * es, 0, es);
    memcpy(ispec.shape, sh->inner, sh->ndim * sizeof *sh->inner);
    for (size_t d = sh->ndim; d-- > 0;) {
        istride[d] = d + 1 < sh->ndim ? istride[d + 1] * sh->inner[d + 1] : 1;
        sstride[d] = d + 1 < sh->ndim ? sstride[d + 1] * spec->shape[d + 1] : 1;
    }
    for (uint64_t c = 0; c < sh->ninner && rc == DT_OK; c++) {
        uint64_t pos[DT_MAX_RANK], rest = c, m, q[DT_MAX_RANK] = {0};
        dt__bytes raw, arr = {NULL, 0};

        if (ent[2 * c] == UINT64_MAX && ent[2 * c + 1] == UINT64_MAX)
            continue;
        for (size_t d = sh->ndim; d-- > 0;) {
            pos[d] = rest % sh->per[d];
            rest /= sh->per[d];
        }
        raw.len = (size_t)ent[2 * c + 1];
        raw.data = dt__malloc(raw.len ? raw.len : 1);
        if (!raw.data) {
            rc = DT_ENOMEM;
            break;
        }
        memcpy(raw.data, bytes->data + ent[2 * c], raw.len);
        rc = decode_unit(&sh->chain, sh->nested, &raw, fill, &arr, ctx);
        if (rc < 0)
            break;
        rc = dt__spec_nelems(&m, &ispec);
        /* place the inner chunk: element q of it goes to pos*inner + q */
        for (uint64_t i = 0; rc == DT_OK && i < m; i++) {
            uint64_t dst = 0, src = 0;

            for (size_t d = 0; d < sh->ndim; d++) {
                dst += (pos[d] * sh->inner[d] + q[d]) * sstride[d];
                src += q[d] * istride[d];
            }
            memcpy(out->data + dst * es, arr.data + src * es, es);
            if (strings)
                ((char **)arr.data)[src] = NULL; /* moved */
            for (size_t d = sh->ndim; d-- > 0;) {
                if (++q[d] < sh->inner[d])
                    break;
                q[d] = 0;
            }
        }
        dt__array_free(&arr, &ispec);
    }
    free(ent);
    if (rc == DT_OK && strings)
        rc = fill_strings(out, fill);
    if (rc < 0)
        dt__array_free(out, spec);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                  */

static int read_fail(const zread *r, int code, const char *fmt, ...) DT__PRINTF(3, 4);

static int read_fail(const zread *r, int code, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return dt__fail_at(code, r->s->store->name, r->path, "%s", msg);
}

/* Fetch and decode the chunk at grid index idx (whole, through the array's
 * chain and possibly its shard codec). *got is 0 when it was never
 * written. With into (n bytes): decode straight there when the chain
 * allows (*placed 1), else into *arr as without. */
static int read_chunk(const zread *r, const uint64_t *idx, dt__bytes *arr, int *got,
                      unsigned char *into, size_t n, int *placed)
{
    const dt__zarray *a = r->a;
    char *key = NULL, *what = NULL;
    dt__bytes raw = {NULL, 0};
    dt__codec_ctx ctx;
    int rc;

    *got = 0;
    if (placed)
        *placed = 0;
    rc = get_chunk(r, idx, &key, &raw);
    if (rc == DT_ENOTFOUND) {
        dt_error_clear();
        free(key);
        return DT_OK;
    }
    if (rc < 0) {
        free(key);
        return rc;
    }
    what = unit_what(a->shard ? "shard" : "chunk", idx, a->ndim, key);
    ctx.file = r->s->store->name;
    ctx.path = r->path;
    ctx.what = what;
    ctx.max_alloc = r->s->store->limits.max_alloc;
    rc = what ? DT__INTO_NO : DT_ENOMEM;
    if (what && into && !a->shard) {
        rc = dt__chain_decode_into(&a->chain, &raw, into, n, &ctx);
        if (rc == DT_OK)
            *placed = 1;
    }
    if (rc == DT__INTO_NO)
        rc = decode_unit(&a->chain, a->shard, &raw, a->fill, arr, &ctx);
    dt__bytes_free(&raw);
    if (rc == DT_OK)
        *got = 1;
    free(what);
    free(key);
    return rc;
}

/* Where a unit's decoded array goes when it can be decoded straight into
 * the output: the whole unit selected with stride 1, and its elements one
 * run of the output (the axes after some axis j span the selection, those
 * before j are one element wide). NULL otherwise. */
static unsigned char *direct_target(const zread *r, const unit_iter *it, size_t *n)
{
    size_t nd = r->a->ndim, j = 0;
    uint64_t off = 0, elems = 1;

    if (r->strings || nd == 0)
        return NULL;
    for (size_t d = 0; d < nd; d++) {
        uint64_t ext = it->k1[d] - it->k0[d] + 1;

        if (r->stride[d] != 1 || ext != it->U[d] ||
            r->start[d] + it->k0[d] != it->u[d] * it->U[d])
            return NULL;
        if (ext != r->count[d])
            j = d;
        off += it->k0[d] * r->ostride[d];
        elems *= ext;
    }
    for (size_t d = 0; d < j; d++)
        if (it->U[d] != 1)
            return NULL;
    if (dt__u64_to_size(n, elems * r->es) < 0) {
        dt_error_clear();
        return NULL;
    }
    return r->buf + off * r->es;
}

/* A batch of units (chunks, or inner chunks of one shard) to fetch,
 * decode and copy, one job each: their parts of the output never overlap,
 * so jobs run on the pool side by side. */
typedef struct unit_pos {
    uint64_t u[DT_MAX_RANK], k0[DT_MAX_RANK], k1[DT_MAX_RANK];
} unit_pos;

typedef struct batch {
    const zread *r;
    unit_iter it;            /* the level: axes, selection, unit shape */
    dt__array_spec spec;     /* a decoded unit */
    unit_pos *pos;
    /* inner chunks of a shard */
    const char *key, *what;  /* the shard's key, "shard KEY" */
    const uint64_t *ent;     /* its index */
    const uint64_t *shard_u; /* its place in the grid */
} batch;

static void unit_at(const batch *b, size_t i, unit_iter *it)
{
    *it = b->it;
    memcpy(it->u, b->pos[i].u, it->ndim * sizeof *it->u);
    memcpy(it->k0, b->pos[i].k0, it->ndim * sizeof *it->k0);
    memcpy(it->k1, b->pos[i].k1, it->ndim * sizeof *it->k1);
}

/* A whole chunk (or shard read whole). */
static int chunk_job(void *ud, size_t i)
{
    const batch *b = ud;
    dt__bytes arr = {NULL, 0};
    unsigned char *into;
    size_t n = 0;
    unit_iter it;
    int got, placed = 0, rc;

    unit_at(b, i, &it);
    into = direct_target(b->r, &it, &n);
    rc = read_chunk(b->r, it.u, &arr, &got, into, n, &placed);
    if (rc == DT_OK && !placed)
        rc = copy_unit(b->r, &it, got ? arr.data : NULL);
    dt__array_free(&arr, &b->spec);
    return rc;
}

/* One inner chunk of a shard whose index was read: its bytes by range. */
static int inner_job(void *ud, size_t i)
{
    const batch *b = ud;
    const zread *r = b->r;
    const dt__zshard *sh = r->a->shard;
    dt__bytes raw = {NULL, 0}, arr = {NULL, 0};
    uint64_t c = 0, pos[DT_MAX_RANK];
    dt__codec_ctx ctx;
    char *iwhat, *both;
    unit_iter it;
    int rc;

    unit_at(b, i, &it);
    for (size_t d = 0; d < it.ndim; d++) {
        pos[d] = it.u[d] - b->shard_u[d] * sh->per[d];
        c = c * sh->per[d] + pos[d];
    }
    if (b->ent[2 * c] == UINT64_MAX && b->ent[2 * c + 1] == UINT64_MAX)
        return copy_unit(r, &it, NULL);
    rc = dt__store_get_range(r->s->store, b->key, b->ent[2 * c], b->ent[2 * c + 1], 0, &raw,
                             NULL);
    if (rc < 0)
        return rc;
    iwhat = unit_what("inner chunk", pos, it.ndim, NULL);
    both = iwhat ? dt__aprintf("%s, %s", b->what, iwhat) : NULL;
    free(iwhat);
    if (!both) {
        dt__bytes_free(&raw);
        return DT_ENOMEM;
    }
    ctx.file = r->s->store->name;
    ctx.path = r->path;
    ctx.what = both;
    ctx.max_alloc = r->s->store->limits.max_alloc;
    rc = DT__INTO_NO;
    if (r->inner && !sh->nested) {
        unsigned char *tmp = scratch_take(r->inner);

        rc = tmp ? dt__chain_decode_into(&sh->chain, &raw, tmp, r->inner->size, &ctx)
                 : DT_ENOMEM;
        if (rc == DT_OK)
            rc = copy_unit(r, &it, tmp);
        if (tmp)
            scratch_give(r->inner, tmp);
        if (rc != DT__INTO_NO) {
            dt__bytes_free(&raw);
            free(both);
            return rc;
        }
    }
    rc = decode_unit(&sh->chain, sh->nested, &raw, r->a->fill, &arr, &ctx);
    dt__bytes_free(&raw);
    if (rc == DT_OK)
        rc = copy_unit(r, &it, arr.data);
    dt__array_free(&arr, &b->spec);
    free(both);
    return rc;
}

/* Run job over every unit of b->it, in batches that keep the pool's
 * threads busy without decoding a large selection all at once. */
static int run_units(batch *b, int (*job)(void *, size_t))
{
    dt__pool *pool = dt__zreader_pool(b->r->s->r);
    size_t per = 4 * (size_t)dt__pool_threads(pool), n;
    int rc = DT_OK;

    b->pos = dt__malloc(per * sizeof *b->pos);
    if (!b->pos)
        return DT_ENOMEM;
    for (iter_begin(&b->it); !b->it.done && rc == DT_OK;) {
        for (n = 0; n < per && !b->it.done; n++, iter_next(&b->it)) {
            memcpy(b->pos[n].u, b->it.u, b->it.ndim * sizeof *b->it.u);
            memcpy(b->pos[n].k0, b->it.k0, b->it.ndim * sizeof *b->it.k0);
            memcpy(b->pos[n].k1, b->it.k1, b->it.ndim * sizeof *b->it.k1);
        }
        rc = dt__pool_run(pool, n, job, b);
    }
    free(b->pos);
    b->pos = NULL;
    return rc;
}

static void batch_init(batch *b, const zread *r, const uint64_t *unit)
{
    memset(b, 0, sizeof *b);
    b->r = r;
    b->it.ndim = r->a->ndim;
    b->it.start = r->start;
    b->it.stride = r->stride;
    b->it.U = unit;
    for (size_t d = 0; d < r->a->ndim; d++)
        b->it.hi[d] = r->count[d] - 1;
    b->spec.type = r->a->type;
    b->spec.elem_size = r->es;
    b->spec.ndim = r->a->ndim;
    memcpy(b->spec.shape, unit, r->a->ndim * sizeof *unit);
}

/* The chunks of an array without sharding, or whose shards must be read
 * whole. */
static int read_whole_units(const zread *r)
{
    batch b;

    batch_init(&b, r, r->a->chunks);
    return run_units(&b, chunk_job);
}

/* A sharded array read by parts: per shard, its index, then the inner
 * chunks the selection touches, each by a byte range. */
static int read_sharded(const zread *r)
{
    const dt__zarray *a = r->a;
    const dt__zshard *sh = a->shard;
    unit_iter outer;
    int rc = DT_OK;

    memset(&outer, 0, sizeof outer);
    outer.ndim = a->ndim;
    outer.start = r->start;
    outer.stride = r->stride;
    outer.U = a->chunks;
    for (size_t d = 0; d < a->ndim; d++)
        outer.hi[d] = r->count[d] - 1;
    for (iter_begin(&outer); !outer.done && rc == DT_OK; iter_next(&outer)) {
        char *key = chunk_key(a, outer.u), *what = NULL;
        dt__bytes ib = {NULL, 0};
        uint64_t total = 0, *ent = NULL;
        dt__codec_ctx ctx;
        batch b;

        if (!key)
            return DT_ENOMEM;
        what = dt__aprintf("shard %s", key);
        if (!what) {
            free(key);
            return DT_ENOMEM;
        }
        ctx.file = r->s->store->name;
        ctx.path = r->path;
        ctx.what = what;
        ctx.max_alloc = r->s->store->limits.max_alloc;
        rc = dt__store_get_range(r->s->store, key, 0, sh->index_bytes,
                                 sh->index_at_start ? 0 : DT__STORE_SUFFIX, &ib, &total);
        if (rc == DT_ENOTFOUND) {
            /* a shard never written: all fill */
            dt_error_clear();
            rc = copy_unit(r, &outer, NULL);
        } else {
            if (rc == DT_EFORMAT)
                rc = dt__codec_fail(&ctx, DT_EFORMAT, "%" PRIu64 " bytes cannot hold the "
                                    "shard's index of %" PRIu64 " bytes", total,
                                    sh->index_bytes);
            if (rc == DT_OK)
                rc = parse_index(sh, ib.data, total, &ent, &ctx);
            if (rc == DT_OK) {
                batch_init(&b, r, sh->inner);
                memcpy(b.it.lo, outer.k0, a->ndim * sizeof *outer.k0);
                memcpy(b.it.hi, outer.k1, a->ndim * sizeof *outer.k1);
                b.key = key;
                b.what = what;
                b.ent = ent;
                b.shard_u = outer.u;
                rc = run_units(&b, inner_job);
            }
        }
        dt__bytes_free(&ib);
        free(ent);
        free(what);
        free(key);
    }
    return rc;
}

static int read_scalar(const zread *r)
{
    dt__bytes arr = {NULL, 0};
    dt__array_spec spec;
    unit_iter it;
    int got, rc;

    memset(&it, 0, sizeof it);
    rc = read_chunk(r, NULL, &arr, &got, NULL, 0, NULL);
    if (rc < 0)
        return rc;
    memset(&spec, 0, sizeof spec);
    spec.type = r->a->type;
    spec.elem_size = r->es;
    if (r->strings) {
        const char *from = got ? ((char *const *)arr.data)[0]
                               : r->a->fill ? *(char *const *)r->a->fill : "";

        ((char **)r->buf)[0] = dt__strdup(from ? from : "");
        rc = ((char **)r->buf)[0] ? DT_OK : DT_ENOMEM;
    } else if (got) {
        memcpy(r->buf, arr.data, r->es);
    } else if (r->a->fill) {
        memcpy(r->buf, r->a->fill, r->es);
    } else {
        memset(r->buf, 0, r->es);
    }
    dt__array_free(&arr, &spec);
    return rc;
}

/* The selection of a read or write into r (its element count into *n):
 * the rank must match, strides be >= 1 and the count fit 64 bits. */
static int set_selection(zread *r, const dt_var *var, const uint64_t *start,
                         const uint64_t *count, const uint64_t *stride, uint64_t *n)
{
    const dt__zarray *a = r->a;

    if (dt_var_ndim(var) != a->ndim)
        return read_fail(r, DT_EINVAL, "the selection has %zu dimensions, the array %zu",
                         dt_var_ndim(var), a->ndim);
    r->es = dt_type_size(a->type);
    r->strings = DT_TYPE_CLASS(a->type) == DT_STRING;
    r->start = start;
    r->stride = stride;
    *n = 1;
    for (size_t d = 0; d < a->ndim; d++) {
        r->count[d] = count[d];
        if (stride[d] == 0)
            return read_fail(r, DT_EINVAL, "stride 0 on axis %zu", d);
        if (dt__mul_u64(n, *n, count[d]))
            return read_fail(r, DT_ELIMIT, "the selection overflows 64 bits");
    }
    for (size_t d = a->ndim; d-- > 0;)
        r->ostride[d] = d + 1 < a->ndim ? r->ostride[d + 1] * r->count[d + 1] : 1;
    return DT_OK;
}

static int src_read(void *ctx, const dt_var *var, const uint64_t *start,
                    const uint64_t *count, const uint64_t *stride, void *buf)
{
    const zsrc *s = ctx;
    const dt__zarray *a = s->a;
    uint32_t cls = DT_TYPE_CLASS(a->type);
    zread r;
    uint64_t n = 1;
    int rc;

    memset(&r, 0, sizeof r);
    r.s = s;
    r.a = a;
    if (dt_var_path(&r.path, var) < 0)
        return DT_ENOMEM;
    if (cls == DT_COMPOUND || cls == DT_OPAQUE || cls == DT_VLEN || !dt_type_size(a->type)) {
        char tn[32];

        dt_type_name(tn, sizeof tn, a->type);
        rc = read_fail(&r, DT_ETYPE, "variables of type %s cannot be read%s%s", tn,
                       a->unreadable ? ": " : "", a->unreadable ? a->unreadable : "");
        goto out;
    }
    if (a->unreadable) {
        rc = read_fail(&r, a->unreadable_code, "%s", a->unreadable);
        goto out;
    }
    r.buf = buf;
    rc = set_selection(&r, var, start, count, stride, &n);
    if (rc < 0)
        goto out;
    if (n == 0) {
        rc = DT_OK;
        goto out;
    }
    if (r.strings)
        memset(buf, 0, (size_t)n * sizeof(char *));
    if (a->ndim == 0)
        rc = read_scalar(&r);
    else if (a->shard && !a->chain.narray && !a->chain.nbytes) {
        scratch sc;
        uint64_t bytes = r.es;

        memset(&sc, 0, sizeof sc);
        for (size_t d = 0; d < a->ndim; d++)
            bytes *= a->shard->inner[d];
        if (!r.strings && dt__u64_to_size(&sc.size, bytes) == DT_OK) {
            pthread_mutex_init(&sc.lock, NULL);
            r.inner = &sc;
        }
        dt_error_clear();
        rc = read_sharded(&r);
        if (r.inner)
            scratch_clear(&sc);
        r.inner = NULL;
    }
    else
        rc = read_whole_units(&r);
    if (rc < 0 && r.strings) {
        /* the caller gets nothing on failure: free what was copied */
        for (uint64_t i = 0; i < n; i++) {
            free(((char **)buf)[i]);
            ((char **)buf)[i] = NULL;
        }
    }
out:
    free(r.path);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                  */

/* A whole chunk of spec's shape of the fill value (zeros when the array
 * has none). */
static int fill_chunk(const zread *r, const dt__array_spec *spec, dt__bytes *arr)
{
    uint64_t n;
    int rc = dt__spec_nelems(&n, spec);

    arr->data = NULL;
    arr->len = 0;
    if (rc < 0)
        return rc;
    arr->data = dt__calloc(n ? (size_t)n : 1, r->es);
    if (!arr->data)
        return DT_ENOMEM;
    arr->len = (size_t)n * r->es;
    if (r->strings)
        return fill_strings(arr, r->a->fill);
    if (r->a->fill)
        for (uint64_t i = 0; i < n; i++)
            memcpy(arr->data + i * r->es, r->a->fill, r->es);
    return DT_OK;
}

/* Write the selected elements of one chunk (it->u; none for a scalar):
 * from the caller's data alone when the selection covers the chunk's part
 * inside the array, else over the chunk as stored (or the fill value).
 * The encoded chunk replaces the old one atomically. */
static int write_chunk(const zread *r, const unit_iter *it)
{
    const dt__zarray *a = r->a;
    const uint64_t *idx = a->ndim ? it->u : NULL;
    dt__bytes arr = {NULL, 0}, enc = {NULL, 0};
    char *key = NULL, *what = NULL;
    dt__codec_ctx ctx;
    int full = 1, got = 0, rc = DT_OK;

    for (size_t d = 0; d < a->ndim; d++) {
        uint64_t ext = a->shape[d] - it->u[d] * a->chunks[d];

        if (ext > a->chunks[d])
            ext = a->chunks[d];
        if (it->k1[d] - it->k0[d] + 1 != ext)
            full = 0;
    }
    /* a v2 store that does not name its separator: read first, which
     * settles the keys' separator before one is written */
    if (a->sep_guess && !a->sep_seen && a->ndim >= 2)
        full = 0;
    if (!full)
        rc = read_chunk(r, idx, &arr, &got, NULL, 0, NULL);
    if (rc == DT_OK && !got)
        rc = fill_chunk(r, &a->chain.spec, &arr);
    if (rc == DT_OK) {
        if (a->ndim == 0) {
            if (r->strings) {
                char *t = dt__strdup(*(char *const *)r->in ? *(char *const *)r->in : "");

                rc = t ? DT_OK : DT_ENOMEM;
                if (t) {
                    free(((char **)arr.data)[0]);
                    ((char **)arr.data)[0] = t;
                }
            } else {
                memcpy(arr.data, r->in, r->es);
            }
        } else {
            rc = overlay_unit(r, it, arr.data);
        }
    }
    if (rc == DT_OK) {
        key = chunk_key(a, idx);
        what = key ? unit_what("chunk", idx, a->ndim, key) : NULL;
        if (!what)
            rc = DT_ENOMEM;
    }
    if (rc == DT_OK) {
        ctx.file = r->s->store->name;
        ctx.path = r->path;
        ctx.what = what;
        ctx.max_alloc = r->s->store->limits.max_alloc;
        rc = dt__chain_encode(&a->chain, &arr, &enc, &ctx);
    }
    if (rc == DT_OK) {
        if (dt__io_fault(r->s->store->name, what))
            rc = DT_EIO;
        else
            rc = dt__store_set(r->s->store, key, enc.data, enc.len);
    }
    dt__bytes_free(&enc);
    dt__array_free(&arr, &a->chain.spec);
    free(what);
    free(key);
    return rc;
}

/* 1 when the selection covers every element of the unit of `it` inside
 * the array (unit shape U). */
static int covers_unit(const zread *r, const unit_iter *it)
{
    for (size_t d = 0; d < r->a->ndim; d++) {
        uint64_t ext = r->a->shape[d] - it->u[d] * it->U[d];

        if (ext > it->U[d])
            ext = it->U[d];
        if (it->k1[d] - it->k0[d] + 1 != ext)
            return 0;
    }
    return 1;
}

/* Read, change and store one whole shard (the unit of `outer`): the inner
 * chunks the selection touches are encoded again, the others keep their
 * bytes, and the index is built anew in the array's layout (start or end,
 * byte order, crc32c). Bytes codecs around the shard run too. */
static int write_shard(const zread *r, const unit_iter *outer)
{
    const dt__zarray *a = r->a;
    const dt__zshard *sh = a->shard;
    const dt__array_spec *ispec = &sh->chain.spec;
    uint64_t n = sh->ninner, *ent = NULL, *nent = NULL, off, total;
    dt__bytes raw = {NULL, 0}, sb = {NULL, 0}, *enc = NULL, out = {NULL, 0};
    unsigned char *done = NULL, *p;
    char *key = chunk_key(a, outer->u), *what = NULL;
    dt__codec_ctx ctx;
    unit_iter it;
    int rc;

    what = key ? unit_what("shard", outer->u, a->ndim, key) : NULL;
    if (!what) {
        rc = DT_ENOMEM;
        goto out;
    }
    ctx.file = r->s->store->name;
    ctx.path = r->path;
    ctx.what = what;
    ctx.max_alloc = r->s->store->limits.max_alloc;
    enc = dt__calloc((size_t)n, sizeof *enc);
    done = dt__calloc((size_t)n, 1);
    nent = dt__malloc((size_t)(2 * n) * sizeof *nent);
    if (!enc || !done || !nent) {
        rc = DT_ENOMEM;
        goto out;
    }
    rc = dt__store_get(r->s->store, key, &raw);
    if (rc == DT_ENOTFOUND) {
        dt_error_clear();
        rc = DT_OK;
    } else if (rc == DT_OK) {
        rc = dt__chain_decode_bytes(&a->chain, &raw, &sb, &ctx);
        if (rc == DT_OK && sb.len < sh->index_bytes)
            rc = dt__codec_fail(&ctx, DT_EFORMAT, "a shard of %zu bytes cannot hold its "
                                "index of %" PRIu64, sb.len, sh->index_bytes);
        if (rc == DT_OK)
            rc = parse_index(sh, sh->index_at_start ? sb.data
                                                    : sb.data + sb.len - sh->index_bytes,
                             sb.len, &ent, &ctx);
    }
    if (rc < 0)
        goto out;
    /* the inner chunks the selection touches */
    memset(&it, 0, sizeof it);
    it.ndim = a->ndim;
    it.start = r->start;
    it.stride = r->stride;
    it.U = sh->inner;
    memcpy(it.lo, outer->k0, a->ndim * sizeof *it.lo);
    memcpy(it.hi, outer->k1, a->ndim * sizeof *it.hi);
    for (iter_begin(&it); !it.done && rc == DT_OK; iter_next(&it)) {
        dt__bytes arr = {NULL, 0}, old = {NULL, 0};
        uint64_t c = 0;

        for (size_t d = 0; d < a->ndim; d++)
            c = c * sh->per[d] + (it.u[d] - outer->u[d] * sh->per[d]);
        if (!covers_unit(r, &it) && ent &&
            !(ent[2 * c] == UINT64_MAX && ent[2 * c + 1] == UINT64_MAX)) {
            old.len = (size_t)ent[2 * c + 1];
            old.data = dt__malloc(old.len ? old.len : 1);
            if (!old.data) {
                rc = DT_ENOMEM;
                break;
            }
            memcpy(old.data, sb.data + ent[2 * c], old.len);
            rc = decode_unit(&sh->chain, NULL, &old, a->fill, &arr, &ctx);
            dt__bytes_free(&old);
        } else {
            rc = fill_chunk(r, ispec, &arr);
        }
        if (rc == DT_OK)
            rc = overlay_unit(r, &it, arr.data);
        if (rc == DT_OK)
            rc = dt__chain_encode(&sh->chain, &arr, &enc[c], &ctx);
        dt__array_free(&arr, ispec);
        done[c] = 1;
    }
    if (rc < 0)
        goto out;
    /* the new shard: inner chunks in order, then (or after) the index */
    total = sh->index_bytes;
    for (uint64_t c = 0; c < n; c++) {
        uint64_t len = done[c] ? enc[c].len : !ent || ent[2 * c] == UINT64_MAX ? 0
                                                                                : ent[2 * c + 1];

        if (dt__add_u64(&total, total, len) || total > SIZE_MAX) {
            rc = dt__codec_fail(&ctx, DT_ELIMIT, "the shard would not fit in memory");
            goto out;
        }
    }
    rc = dt__codec_alloc(&out, total, "sharding_indexed", &ctx);
    if (rc < 0)
        goto out;
    off = sh->index_at_start ? sh->index_bytes : 0;
    for (uint64_t c = 0; c < n; c++) {
        const unsigned char *from = NULL;
        uint64_t len = 0;

        if (done[c]) {
            from = enc[c].data;
            len = enc[c].len;
        } else if (ent && !(ent[2 * c] == UINT64_MAX && ent[2 * c + 1] == UINT64_MAX)) {
            from = sb.data + ent[2 * c];
            len = ent[2 * c + 1];
        }
        if (!from) {
            nent[2 * c] = nent[2 * c + 1] = UINT64_MAX;
            continue;
        }
        memcpy(out.data + off, from, (size_t)len);
        nent[2 * c] = off;
        nent[2 * c + 1] = len;
        off += len;
    }
    p = sh->index_at_start ? out.data : out.data + out.len - sh->index_bytes;
    for (uint64_t i = 0; i < 2 * n; i++)
        for (int b = 0; b < 8; b++)
            p[8 * i + (sh->index_big ? 7 - b : b)] = (unsigned char)(nent[i] >> (8 * b));
    if (sh->index_crc) {
        uint32_t crc = dt__crc32c(0, p, (size_t)(16 * n));

        for (int b = 0; b < 4; b++)
            p[16 * n + (uint64_t)b] = (unsigned char)(crc >> (8 * b));
    }
    /* bytes codecs around the shard */
    for (size_t i = 0; i < a->chain.nbytes && rc == DT_OK; i++) {
        dt__bytes next;

        rc = dt__codec_encode(a->chain.bytes[i], &out, &next, &ctx);
        dt__bytes_free(&out);
        if (rc == DT_OK)
            out = next;
    }
    if (rc == DT_OK) {
        if (dt__io_fault(r->s->store->name, what))
            rc = DT_EIO;
        else
            rc = dt__store_set(r->s->store, key, out.data, out.len);
    }
out:
    if (enc)
        for (uint64_t c = 0; c < n; c++)
            dt__bytes_free(&enc[c]);
    free(enc);
    free(done);
    free(nent);
    free(ent);
    dt__bytes_free(&out);
    dt__bytes_free(&sb);
    dt__bytes_free(&raw);
    free(what);
    free(key);
    return rc;
}

static int write_job(void *ud, size_t i)
{
    const batch *b = ud;
    unit_iter it;

    unit_at(b, i, &it);
    return b->r->a->shard ? write_shard(b->r, &it) : write_chunk(b->r, &it);
}

static int src_write(void *ctx, dt_var *var, const uint64_t *start, const uint64_t *count,
                     const uint64_t *stride, const void *buf)
{
    const zsrc *s = ctx;
    const dt__zarray *a = s->a;
    uint32_t cls = DT_TYPE_CLASS(a->type);
    zread r;
    uint64_t n = 1;
    int rc;

    memset(&r, 0, sizeof r);
    r.s = s;
    r.a = a;
    if (dt_var_path(&r.path, var) < 0)
        return DT_ENOMEM;
    if (!dt__zreader_writable(s->r)) {
        rc = read_fail(&r, DT_EUNSUPPORTED, "the store was opened read-only; set "
                       "dt_open_opts.writable to write into it");
        goto out;
    }
    if (cls == DT_COMPOUND || cls == DT_OPAQUE || cls == DT_VLEN || !dt_type_size(a->type)) {
        char tn[32];

        dt_type_name(tn, sizeof tn, a->type);
        rc = read_fail(&r, DT_ETYPE, "variables of type %s cannot be written in place", tn);
        goto out;
    }
    if (a->unreadable) {
        rc = read_fail(&r, a->unreadable_code, "cannot be written: %s", a->unreadable);
        goto out;
    }
    if (a->shard && (a->shard->nested || a->chain.narray || a->chain.serial)) {
        rc = read_fail(&r, DT_EUNSUPPORTED, "writing into an array with nested sharding "
                       "in place is not supported");
        goto out;
    }
    r.in = buf;
    rc = set_selection(&r, var, start, count, stride, &n);
    if (rc < 0)
        goto out;
    if (n == 0) {
        rc = DT_OK;
        goto out;
    }
    if (a->ndim == 0 && a->shard) {
        rc = read_fail(&r, DT_EUNSUPPORTED, "writing into a sharded scalar in place is not "
                       "supported");
    } else if (a->ndim == 0) {
        unit_iter it;

        memset(&it, 0, sizeof it);
        rc = write_chunk(&r, &it);
    } else {
        batch b;

        batch_init(&b, &r, a->chunks);
        rc = run_units(&b, write_job);
    }
out:
    free(r.path);
    return rc;
}

static void src_free(void *ctx)
{
    zsrc *s = ctx;

    if (!s)
        return;
    dt__zarray_free(s->a);
    free(s);
}

static const dt_source_ops zarr_ops = {1, src_read, src_write, src_free};

int dt__zarr_source_attach(dt_var *var, dt__zreader *r, dt__zarray *a)
{
    zsrc *s = dt__calloc(1, sizeof *s);

    if (!s) {
        dt__zarray_free(a);
        return DT_ENOMEM;
    }
    s->r = r;
    s->store = dt__zreader_store(r);
    s->a = a;
    return dt_var_set_source(var, &zarr_ops, s);
}
