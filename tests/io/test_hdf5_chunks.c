/* tests/io/test_hdf5_chunks.c: chunked, filtered HDF5 datasets read by
 * libdtree's own decoders on its thread pool, compared with H5Dread of the
 * same selection: pipelines, partial edge chunks, unwritten chunks, byte
 * order, skipped filters, strided selections; and damaged chunks. */
#include "config.h"

#include <blosc.h>
#include <bzlib.h>
#include <check.h>
#include <hdf5.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "dtree.h"
#include "io/hdf5/hdf5_internal.h"
#include "testutil.h"
#include "util.h"

#define F_BZIP2 307
#define F_LZF 32000
#define F_BLOSC 32001
#define F_ZSTD 32015

/* Pipelines, in the order netCDF-C and h5py build them. */
enum {
    P_FLETCHER = 1 << 0,
    P_SHUFFLE = 1 << 1,
    P_DEFLATE = 1 << 2,
    P_ZSTD = 1 << 3,
    P_BLOSC = 1 << 4,
    P_LZF = 1 << 5,
    P_BZIP2 = 1 << 6,
    P_SCALEOFFSET = 1 << 7,
    /* how the test writes it */
    W_SPARSE = 1 << 8,      /* two hyperslabs: some chunks never written */
    W_RAW = 1 << 9,         /* H5Dwrite_chunk with the test's encoders */
    W_MASKED = 1 << 10,     /* raw, some chunks with filters skipped */
    W_NONE = 1 << 11        /* created only */
};

enum { T_I16, T_U16, T_I32, T_I32BE, T_I64, T_F32, T_F64, T_F64BE };

typedef struct dset {
    const char *name;
    int type;
    int rank;
    hsize_t dims[3], chunk[3];
    unsigned pipe;
    int ours;               /* 1: libdtree decodes the chunks itself */
} dset;

static const dset dsets[] = {
    {"defl_shuf", T_I32, 2, {37, 23}, {8, 5}, P_SHUFFLE | P_DEFLATE, 1},
    {"fletcher", T_U16, 2, {20, 30}, {7, 9}, P_FLETCHER | P_SHUFFLE | P_DEFLATE, 1},
    {"fletcher_only", T_F32, 2, {10, 11}, {4, 4}, P_FLETCHER, 1},
    {"cube", T_F64, 3, {9, 11, 13}, {4, 3, 5}, P_DEFLATE, 1},
    {"sparse", T_I16, 2, {30, 40}, {10, 10}, P_DEFLATE | W_SPARSE, 1},
    {"bigend", T_I32BE, 2, {25, 17}, {6, 4}, P_SHUFFLE | P_DEFLATE, 1},
    {"bigend_cube", T_F64BE, 3, {13, 10, 9}, {5, 2, 2}, P_DEFLATE, 1},
    {"zstd", T_U16, 2, {19, 21}, {8, 8}, P_SHUFFLE | P_ZSTD | W_RAW, 1},
    {"blosc", T_F32, 2, {19, 21}, {8, 8}, P_BLOSC | W_RAW, 1},
    {"lzf", T_I32, 2, {19, 21}, {8, 8}, P_LZF | W_RAW, 1},
    {"bzip2", T_I64, 2, {19, 21}, {8, 8}, P_BZIP2 | W_RAW, 1},
    {"masked", T_U16, 2, {16, 16}, {8, 8}, P_SHUFFLE | P_ZSTD | W_MASKED, 1},
    {"scaleoffset", T_I32, 2, {20, 20}, {6, 6}, P_SCALEOFFSET, 0},
    {"unfiltered", T_I32, 2, {20, 20}, {6, 6}, 0, 0},
    {"contiguous", T_I32, 2, {20, 20}, {0, 0}, 0, 0},
    {"two_codecs", T_I32, 2, {20, 20}, {6, 6}, P_DEFLATE | P_ZSTD | W_NONE, 0},
    /* chunks as wide as the dataset: whole ones decode in place, straight
     * into the caller's buffer (the last one along the first axis is cut) */
    {"rows_shuf", T_I32, 2, {20, 12}, {6, 12}, P_SHUFFLE | P_DEFLATE, 1},
    {"rows_deflate", T_I16, 2, {16, 10}, {4, 10}, P_DEFLATE, 1},
    {"rows_zstd", T_U16, 2, {11, 24}, {3, 24}, P_SHUFFLE | P_ZSTD | W_RAW, 1},
    /* fletcher32 before deflate: the inflated chunk carries 4 more bytes,
     * which must not land in the caller's buffer (past its end, here) */
    {"slabs_fletcher", T_F64, 3, {9, 5, 4}, {2, 5, 4}, P_FLETCHER | P_DEFLATE, 1},
    {"slabs_fletcher_end", T_F64, 3, {8, 5, 4}, {2, 5, 4}, P_FLETCHER | P_DEFLATE, 1},
    {"rows_masked", T_U16, 2, {8, 15}, {2, 15}, P_SHUFFLE | P_ZSTD | W_MASKED, 1},
};

static char *g_dir, *g_file;

static hid_t file_type(int t)
{
    switch (t) {
    case T_I16: return H5T_STD_I16LE;
    case T_U16: return H5T_STD_U16LE;
    case T_I32: return H5T_STD_I32LE;
    case T_I32BE: return H5T_STD_I32BE;
    case T_I64: return H5T_STD_I64LE;
    case T_F32: return H5T_IEEE_F32LE;
    case T_F64: return H5T_IEEE_F64LE;
    default: return H5T_IEEE_F64BE;
    }
}

static hid_t mem_type(int t)
{
    switch (t) {
    case T_I16: return H5T_NATIVE_INT16;
    case T_U16: return H5T_NATIVE_UINT16;
    case T_I32: case T_I32BE: return H5T_NATIVE_INT32;
    case T_I64: return H5T_NATIVE_INT64;
    case T_F32: return H5T_NATIVE_FLOAT;
    default: return H5T_NATIVE_DOUBLE;
    }
}

static size_t elem_size(int t)
{
    return H5Tget_size(mem_type(t));
}

static size_t nelems(const dset *d)
{
    size_t n = 1;

    for (int i = 0; i < d->rank; i++)
        n *= d->dims[i];
    return n;
}

/* Element e of every dataset, in its memory type: varied enough that
 * compressed streams are not trivial. */
static void *values(const dset *d)
{
    size_t n = nelems(d), es = elem_size(d->type);
    unsigned char *buf = malloc(n * es);

    ck_assert_ptr_nonnull(buf);
    for (size_t e = 0; e < n; e++) {
        long v = (long)((e * 7919) % 20011);
        unsigned char *p = buf + e * es;

        switch (d->type) {
        case T_I16: { int16_t x = (int16_t)(v - 5000); memcpy(p, &x, es); break; }
        case T_U16: { uint16_t x = (uint16_t)v; memcpy(p, &x, es); break; }
        case T_I32: case T_I32BE: { int32_t x = (int32_t)(v * 1000 - 7); memcpy(p, &x, es); break; }
        case T_I64: { int64_t x = (int64_t)v * 100000000 - 3; memcpy(p, &x, es); break; }
        case T_F32: { float x = (float)v * 0.25f - 9; memcpy(p, &x, es); break; }
        default: { double x = (double)v * 0.125 - 1e6; memcpy(p, &x, es); break; }
        }
    }
    return buf;
}

/* ---- the test's own encoders, for filters HDF5 cannot write ---- */

static void shuffle(unsigned char *out, const unsigned char *in, size_t len, size_t es)
{
    size_t n = len / es;

    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < es; i++)
            out[i * n + j] = in[j * es + i];
}

/* LZF: literal runs of up to 32 bytes, and runs of one repeated byte as
 * back references of distance 1 (exercises both kinds of control byte). */
static size_t lzf_encode(unsigned char *out, const unsigned char *in, size_t n)
{
    size_t ip = 0, op = 0;

    while (ip < n) {
        size_t run = 1;

        while (ip > 0 && ip + run <= n && run < 264 && in[ip + run - 1] == in[ip - 1])
            run++;
        run--;
        if (ip > 0 && run >= 3) {
            size_t len = run - 2;

            if (len < 7) {
                out[op++] = (unsigned char)(len << 5);
            } else {
                out[op++] = 7 << 5;
                out[op++] = (unsigned char)(len - 7);
            }
            out[op++] = 0;
            ip += run;
        } else {
            size_t lit = n - ip < 32 ? n - ip : 32;

            out[op++] = (unsigned char)(lit - 1);
            memcpy(out + op, in + ip, lit);
            op += lit;
            ip += lit;
        }
    }
    return op;
}

/* One chunk in the stored form of d's pipeline, stages in skip not applied. */
static size_t encode(const dset *d, unsigned skip, const unsigned char *in,
                     size_t len, unsigned char *out, size_t cap)
{
    unsigned char *tmp = malloc(len);
    const unsigned char *src = in;
    unsigned stage = 0;
    size_t n = len;

    ck_assert_ptr_nonnull(tmp);
    if (d->pipe & P_SHUFFLE) {
        if (!(skip & (1u << stage))) {
            shuffle(tmp, in, len, elem_size(d->type));
            src = tmp;
        }
        stage++;
    }
    if (skip & (1u << stage)) {
        memcpy(out, src, len);
    } else if (d->pipe & P_ZSTD) {
        n = ZSTD_compress(out, cap, src, len, 3);
        ck_assert(!ZSTD_isError(n));
    } else if (d->pipe & P_BLOSC) {
        int r = blosc_compress_ctx(5, 1, elem_size(d->type), len, src, out, cap,
                                   "lz4", 0, 1);
        ck_assert_int_gt(r, 0);
        n = (size_t)r;
    } else if (d->pipe & P_LZF) {
        n = lzf_encode(out, src, len);
    } else if (d->pipe & P_BZIP2) {
        unsigned got = (unsigned)cap;

        ck_assert_int_eq(BZ2_bzBuffToBuffCompress((char *)out, &got, (char *)src,
                                                  (unsigned)len, 9, 0, 0), BZ_OK);
        n = got;
    }
    free(tmp);
    return n;
}

/* Write every chunk of d with H5Dwrite_chunk; W_MASKED: chunk 1 without
 * its compressor, chunk 2 without any filter. */
static void write_raw(const dset *d, hid_t did, const unsigned char *vals)
{
    size_t es = elem_size(d->type), cn = d->chunk[0] * d->chunk[1];
    size_t cbytes = cn * es, cap = 2 * cbytes + 1024;
    unsigned char *chunk = malloc(cbytes), *enc = malloc(cap);
    size_t g = 0;

    ck_assert(d->rank == 2);
    for (hsize_t r0 = 0; r0 < d->dims[0]; r0 += d->chunk[0]) {
        for (hsize_t c0 = 0; c0 < d->dims[1]; c0 += d->chunk[1], g++) {
            hsize_t off[2] = {r0, c0};
            unsigned skip = 0;
            size_t n;

            memset(chunk, 0, cbytes);  /* edge chunks: HDF5 stores them whole */
            for (hsize_t i = 0; i < d->chunk[0] && r0 + i < d->dims[0]; i++)
                for (hsize_t j = 0; j < d->chunk[1] && c0 + j < d->dims[1]; j++)
                    memcpy(chunk + (i * d->chunk[1] + j) * es,
                           vals + ((r0 + i) * d->dims[1] + c0 + j) * es, es);
            if ((d->pipe & W_MASKED) && g == 1)
                skip = 1u << 1;
            if ((d->pipe & W_MASKED) && g == 2)
                skip = 3;
            n = encode(d, skip, chunk, cbytes, enc, cap);
            ck_assert_int_ge(H5Dwrite_chunk(did, H5P_DEFAULT, skip, off, n, enc), 0);
        }
    }
    free(chunk);
    free(enc);
}

static void make_dset(hid_t fid, const dset *d)
{
    hid_t space = H5Screate_simple(d->rank, d->dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE), did;
    unsigned char *vals = values(d);

    if (d->chunk[0])
        ck_assert_int_ge(H5Pset_chunk(dcpl, d->rank, d->chunk), 0);
    if (d->pipe & P_FLETCHER)
        ck_assert_int_ge(H5Pset_fletcher32(dcpl), 0);
    if (d->pipe & P_SHUFFLE)
        ck_assert_int_ge(H5Pset_shuffle(dcpl), 0);
    if (d->pipe & P_DEFLATE)
        ck_assert_int_ge(H5Pset_deflate(dcpl, 4), 0);
    if (d->pipe & P_SCALEOFFSET)
        ck_assert_int_ge(H5Pset_scaleoffset(dcpl, H5Z_SO_INT, H5Z_SO_INT_MINBITS_DEFAULT), 0);
    if (d->pipe & P_ZSTD)
        ck_assert_int_ge(H5Pset_filter(dcpl, F_ZSTD, H5Z_FLAG_OPTIONAL, 1,
                                       (const unsigned[]){3}), 0);
    if (d->pipe & P_BLOSC) {
        unsigned cd[7] = {2, 2, (unsigned)elem_size(d->type),
                          (unsigned)(d->chunk[0] * d->chunk[1] * elem_size(d->type)), 5, 1, 1};

        ck_assert_int_ge(H5Pset_filter(dcpl, F_BLOSC, H5Z_FLAG_OPTIONAL, 7, cd), 0);
    }
    if (d->pipe & P_LZF) {
        unsigned cd[3] = {4, 0, (unsigned)(d->chunk[0] * d->chunk[1] * elem_size(d->type))};

        ck_assert_int_ge(H5Pset_filter(dcpl, F_LZF, H5Z_FLAG_OPTIONAL, 3, cd), 0);
    }
    if (d->pipe & P_BZIP2)
        ck_assert_int_ge(H5Pset_filter(dcpl, F_BZIP2, H5Z_FLAG_OPTIONAL, 1,
                                       (const unsigned[]){9}), 0);
    if (d->type == T_I16)
        ck_assert_int_ge(H5Pset_fill_value(dcpl, H5T_NATIVE_INT16, &(int16_t){-7}), 0);
    did = H5Dcreate2(fid, d->name, file_type(d->type), space, H5P_DEFAULT, dcpl,
                     H5P_DEFAULT);
    ck_assert_int_ge(did, 0);
    if (d->pipe & (W_RAW | W_MASKED)) {
        write_raw(d, did, vals);
    } else if (d->pipe & W_SPARSE) {
        /* rows 0-9 x cols 0-19 and rows 20-29 x cols 25-39: chunks (0, 2),
         * (0, 3), (1, *), (2, 0), (2, 1) are never written */
        static const hsize_t st[2][2] = {{0, 0}, {20, 25}}, ct[2][2] = {{10, 20}, {10, 15}};
        hid_t fs = H5Dget_space(did);

        for (int k = 0; k < 2; k++) {
            hid_t ms = H5Screate_simple(2, ct[k], NULL);
            size_t es = elem_size(d->type);
            unsigned char *part = malloc(ct[k][0] * ct[k][1] * es);

            for (hsize_t i = 0; i < ct[k][0]; i++)
                memcpy(part + i * ct[k][1] * es,
                       vals + ((st[k][0] + i) * d->dims[1] + st[k][1]) * es, ct[k][1] * es);
            H5Sselect_hyperslab(fs, H5S_SELECT_SET, st[k], NULL, ct[k], NULL);
            ck_assert_int_ge(H5Dwrite(did, mem_type(d->type), ms, fs, H5P_DEFAULT, part), 0);
            H5Sclose(ms);
            free(part);
        }
        H5Sclose(fs);
    } else if (!(d->pipe & W_NONE)) {
        ck_assert_int_ge(H5Dwrite(did, mem_type(d->type), H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                  vals), 0);
    }
    H5Dclose(did);
    H5Pclose(dcpl);
    H5Sclose(space);
    free(vals);
}

/* libdtree registers decode-only filters for zstd, blosc, lzf and bzip2,
 * and HDF5 creates no dataset whose filter cannot encode. The test writes
 * those chunks itself (H5Dwrite_chunk): while it creates datasets, these
 * stand-ins claim to encode; after, libdtree's decoders come back. */
static size_t no_filter(unsigned flags, size_t ncd, const unsigned cd[], size_t n,
                        size_t *size, void **buf)
{
    (void)flags, (void)ncd, (void)cd, (void)n, (void)size, (void)buf;
    return 0;
}

static void writers_on(void)
{
    static const int ids[] = {F_ZSTD, F_BLOSC, F_LZF, F_BZIP2};

    for (size_t i = 0; i < TU_NELEMS(ids); i++) {
        H5Z_class2_t c = {H5Z_CLASS_T_VERS, ids[i], 1, 1, "test writer", NULL, NULL,
                          no_filter};

        ck_assert_int_ge(H5Zregister(&c), 0);
    }
}

static void writers_off(void)
{
    dt__h5_lock();
    dt__h5_filters_register();
    dt__h5_unlock();
}

static char *path_in(const char *dir, const char *name)
{
    char *p = malloc(4096);

    ck_assert_ptr_nonnull(p);
    snprintf(p, 4096, "%s/%s", dir, name);
    return p;
}

static void setup(void)
{
    hid_t fid;

    g_dir = tu_tmpdir("h5chunks");
    g_file = path_in(g_dir, "chunks.h5");
    writers_on();
    fid = H5Fcreate(g_file, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(fid, 0);
    for (size_t i = 0; i < TU_NELEMS(dsets); i++)
        make_dset(fid, &dsets[i]);
    H5Fclose(fid);
    writers_off();
}

static void teardown(void)
{
    tu_rmtree(g_dir);
    free(g_dir);
    free(g_file);
}

/* ---- selections, made from each dataset's shape ---- */

#define NKINDS 8

typedef struct selection {
    int all;
    uint64_t start[3], count[3], stride[3];
} selection;

static void make_sel(selection *s, const dset *d, int kind)
{
    memset(s, 0, sizeof *s);
    s->all = kind == 0;
    for (int i = 0; i < d->rank; i++) {
        uint64_t n = d->dims[i], c = d->chunk[i] ? d->chunk[i] : 4;

        s->stride[i] = 1;
        switch (kind) {
        case 0:
            s->count[i] = n;
            break;
        case 1: /* a block from inside */
            s->start[i] = n / 4;
            s->count[i] = n / 2;
            break;
        case 2: /* every second element from 1 */
            s->start[i] = 1;
            s->stride[i] = 2;
            s->count[i] = (n - 2) / 2 + 1;
            break;
        case 3: /* stride over a chunk: one element per chunk */
            s->stride[i] = c + 1;
            s->count[i] = (n - 1) / s->stride[i] + 1;
            break;
        case 4: /* the last element */
            s->start[i] = n - 1;
            s->count[i] = 1;
            break;
        case 5: /* every third from 2 */
            s->start[i] = 2;
            s->stride[i] = 3;
            s->count[i] = (n - 3) / 3 + 1;
            break;
        case 6: /* one index along the first axis */
            s->start[i] = i == 0 ? n / 2 : 0;
            s->count[i] = i == 0 ? 1 : n;
            break;
        default: /* strides just under two chunks, from a chunk's last row */
            s->start[i] = c - 1;
            s->stride[i] = 2 * c - 1;
            s->count[i] = (n - c) / s->stride[i] + 1;
            break;
        }
    }
}

static size_t sel_nelems(const selection *s, int rank)
{
    size_t n = 1;

    for (int i = 0; i < rank; i++)
        n *= s->count[i];
    return n;
}

/* H5Dread of the selection: the reference. */
static void *ref_read(const char *file, const dset *d, const selection *s)
{
    hsize_t st[3], ct[3], sd[3];
    size_t n = sel_nelems(s, d->rank);
    unsigned char *buf = malloc(n * elem_size(d->type) + 1);
    hid_t fid = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t did = H5Dopen2(fid, d->name, H5P_DEFAULT);
    hid_t fs = H5Dget_space(did), ms;

    ck_assert_int_ge(did, 0);
    for (int i = 0; i < d->rank; i++) {
        st[i] = s->start[i];
        ct[i] = s->count[i];
        sd[i] = s->stride[i];
    }
    ms = H5Screate_simple(d->rank, ct, NULL);
    ck_assert_int_ge(H5Sselect_hyperslab(fs, H5S_SELECT_SET, st, sd, ct, NULL), 0);
    ck_assert_int_ge(H5Dread(did, mem_type(d->type), ms, fs, H5P_DEFAULT, buf), 0);
    H5Sclose(ms);
    H5Sclose(fs);
    H5Dclose(did);
    H5Fclose(fid);
    return buf;
}

static dt_tree *open_tree(const char *file, unsigned threads, uint64_t max_alloc)
{
    dt_open_opts o = DT_OPEN_OPTS_INIT;
    dt_tree *t = NULL;

    o.threads = threads;
    if (max_alloc)
        o.limits.max_alloc = max_alloc;
    tu_assert_ok(dt_tree_open(&t, file, &o));
    return t;
}

/* Read d's selection through libdtree and compare with H5Dread. */
static void compare(const char *file, const dset *d, const selection *s,
                    unsigned threads, uint64_t max_alloc)
{
    size_t n = sel_nelems(s, d->rank), nbytes = n * elem_size(d->type);
    unsigned char *want = ref_read(file, d, s), *got = malloc(nbytes + 1);
    dt_tree *t = open_tree(file, threads, max_alloc);
    dt_var *v = tu_var(t, d->name);
    dt_slab slab = {(size_t)d->rank, s->start, s->count, s->stride};

    tu_assert_ok(dt_var_read(v, s->all ? NULL : &slab, dt_var_type(v), got, nbytes));
    for (size_t e = 0; e < n; e++) {
        ck_assert_msg(memcmp(got + e * elem_size(d->type), want + e * elem_size(d->type),
                             elem_size(d->type)) == 0,
                      "%s: element %zu of the selection differs from H5Dread's",
                      d->name, e);
    }
    dt_tree_free(t);
    free(want);
    free(got);
}

/* Every dataset x every selection x 1 and 2 threads. */
START_TEST(matches_h5dread)
{
    int nd = (int)TU_NELEMS(dsets);
    const dset *d = &dsets[_i % nd];
    int kind = (_i / nd) % NKINDS;
    unsigned threads = _i / (nd * NKINDS) ? 2 : 1;
    selection s;

    if (d->pipe & W_NONE)
        return; /* no data: two compressors only test the choice of reader */
    make_sel(&s, d, kind);
    compare(g_file, d, &s, threads, 0);
}
END_TEST

/* Random selections (a fixed sequence) over datasets with partial edge
 * chunks, unwritten chunks and byte swapping. */
START_TEST(random_selections)
{
    static const int pick[] = {0, 3, 4, 5, 6, 11};
    const dset *d = &dsets[pick[_i / 2]];
    unsigned threads = _i % 2 ? 2 : 1;
    uint64_t x = 0x9e3779b97f4a7c15u + (uint64_t)_i;

    for (int k = 0; k < 25; k++) {
        selection s;

        memset(&s, 0, sizeof s);
        for (int i = 0; i < d->rank; i++) {
            uint64_t n = d->dims[i];

            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            s.start[i] = x % n;
            s.stride[i] = 1 + (x >> 8) % (2 * d->chunk[i] + 1);
            s.count[i] = 1 + (x >> 20) % ((n - 1 - s.start[i]) / s.stride[i] + 1);
        }
        compare(g_file, d, &s, threads, 0);
    }
}
END_TEST

/* Batches cut short by the memory limit: 16 stored chunks of 104 bytes
 * (fletcher32 over incompressible bytes) with room for one at a time. */
START_TEST(small_budget)
{
    char *file = path_in(g_dir, "budget.h5");
    dset d = {"v", T_I16, 2, {40, 40}, {5, 10}, P_FLETCHER, 1};
    hid_t fid = H5Fcreate(file, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    selection s;

    make_dset(fid, &d);
    H5Fclose(fid);
    make_sel(&s, &d, 3);
    compare(file, &d, &s, (unsigned)_i + 1, 150);
    free(file);
}
END_TEST

/* Which datasets libdtree decodes itself (the others go through H5Dread). */
START_TEST(reader_choice)
{
    const dset *d = &dsets[_i];
    hid_t fid, did;
    dt__h5chunks *c = (dt__h5chunks *)1;

    dt__h5_lock();
    fid = H5Fopen(g_file, H5F_ACC_RDONLY, H5P_DEFAULT);
    did = H5Dopen2(fid, d->name, H5P_DEFAULT);
    ck_assert_int_ge(did, 0);
    ck_assert_int_eq(dt__h5_chunks_new(&c, did, mem_type(d->type)), DT_OK);
    ck_assert_msg((c != NULL) == d->ours, "%s: decoded by %s", d->name,
                  c ? "libdtree" : "HDF5");
    dt__h5_chunks_free(c);
    H5Dclose(did);
    H5Fclose(fid);
    dt__h5_unlock();
}
END_TEST

/* Variable-length strings are never decoded by libdtree. */
START_TEST(strings_use_h5dread)
{
    char *file = path_in(g_dir, "strings.h5");
    hsize_t dims[1] = {10}, chunk[1] = {4};
    hid_t fid = H5Fcreate(file, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t st = H5Tcopy(H5T_C_S1), space = H5Screate_simple(1, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE), did;
    const char *words[10] = {"a", "bb", "ccc", "", "e", "f", "g", "h", "i", "jj"};
    dt__h5chunks *c = NULL;
    dt_tree *t;
    char *got[10];
    uint64_t start = 3, count = 5;
    dt_slab slab = {1, &start, &count, NULL};

    H5Tset_size(st, H5T_VARIABLE);
    H5Pset_chunk(dcpl, 1, chunk);
    H5Pset_deflate(dcpl, 1);
    did = H5Dcreate2(fid, "s", st, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ck_assert_int_ge(H5Dwrite(did, st, H5S_ALL, H5S_ALL, H5P_DEFAULT, words), 0);
    dt__h5_lock();
    ck_assert_int_eq(dt__h5_chunks_new(&c, did, st), DT_OK);
    dt__h5_unlock();
    ck_assert_ptr_null(c);
    H5Dclose(did);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Tclose(st);
    H5Fclose(fid);
    t = open_tree(file, 2, 0);
    tu_assert_ok(dt_var_read(tu_var(t, "s"), &slab, DT_STRING, got, sizeof got));
    ck_assert_str_eq(got[0], "");
    ck_assert_str_eq(got[4], "h");
    dt_strings_free(got, 5);
    dt_tree_free(t);
    free(file);
}
END_TEST

/* ---- damaged chunks: the pool brings the error back ---- */

typedef struct damage {
    const char *what;
    int type;               /* T_U16 or T_I32 */
    unsigned pipe;
    hsize_t chunk[2][2];    /* the chunks to damage (element offsets) */
    int nchunks;
    int where;              /* 0: the last 4 bytes, 1: the first 2, 2: the middle */
    int code;
    const char *want;
} damage;

static const damage damages[] = {
    {"adler32", T_I32, P_DEFLATE, {{8, 0}}, 1, 0, DT_EFORMAT,
     "chunk (1, 0): the zlib stream is damaged (incorrect data check)"},
    {"zlib header", T_I32, P_SHUFFLE | P_DEFLATE, {{8, 0}}, 1, 1, DT_EFORMAT,
     "chunk (1, 0): the zlib stream is damaged (incorrect header check)"},
    /* two damaged chunks: the first in C order is reported, whatever the
     * thread that met it first */
    {"two chunks", T_I32, P_DEFLATE, {{8, 6}, {0, 6}}, 2, 0, DT_EFORMAT,
     "chunk (0, 1): the zlib stream is damaged"},
    {"fletcher32", T_U16, P_FLETCHER, {{0, 6}}, 1, 2, DT_EFORMAT,
     "chunk (0, 1): fletcher32 checksum mismatch"},
};

/* /grp/v of shape (16, 12) in chunks of (8, 6), the listed chunks damaged
 * in the file's bytes. */
static char *damaged_file(const damage *dm)
{
    char *file = path_in(g_dir, "damaged.h5");
    dset d = {"v", dm->type, 2, {16, 12}, {8, 6}, dm->pipe, 1};
    hid_t fid = H5Fcreate(file, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t gid = H5Gcreate2(fid, "grp", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    haddr_t addr[2];
    hsize_t size[2];
    hid_t did;
    FILE *fp;

    make_dset(gid, &d);
    did = H5Dopen2(gid, "v", H5P_DEFAULT);
    for (int k = 0; k < dm->nchunks; k++) {
        unsigned mask = 0;

        ck_assert_int_ge(H5Dget_chunk_info_by_coord(did, dm->chunk[k], &mask, &addr[k],
                                                    &size[k]), 0);
        ck_assert_uint_gt(size[k], 8);
    }
    H5Dclose(did);
    H5Gclose(gid);
    H5Fclose(fid);
    fp = fopen(file, "r+b");
    ck_assert_ptr_nonnull(fp);
    for (int k = 0; k < dm->nchunks; k++) {
        static const unsigned char junk[4] = {0xde, 0xad, 0xbe, 0xef};
        long at = (long)addr[k] + (dm->where == 0 ? (long)size[k] - 4
                                   : dm->where == 1 ? 0 : (long)size[k] / 2);

        ck_assert_int_eq(fseek(fp, at, SEEK_SET), 0);
        ck_assert_uint_eq(fwrite(junk, 1, dm->where == 1 ? 2 : 4, fp),
                          dm->where == 1 ? 2 : 4);
    }
    fclose(fp);
    return file;
}

START_TEST(damaged_chunk)
{
    const damage *dm = &damages[_i / 2];
    unsigned threads = _i % 2 ? 2 : 1;
    char *file = damaged_file(dm);
    dt_tree *t = open_tree(file, threads, 0);
    dt_var *v = tu_var(t, "/grp/v");
    int32_t buf[16 * 12];
    uint64_t start[2] = {0, 0}, count[2] = {8, 6};
    dt_slab first = {2, start, count, NULL};

    tu_assert_rc(dt_var_read(v, NULL, dt_var_type(v), buf, sizeof buf), dm->code, dm->want);
    tu_assert_msg_has("/grp/v");
    tu_assert_msg_has("damaged.h5");
    ck_assert_str_eq(dt_error_last()->path, "/grp/v");
    /* chunk (0, 0) is intact and read alone, nothing else is decoded */
    tu_assert_ok(dt_var_read(v, &first, dt_var_type(v), buf, sizeof buf));
    dt_tree_free(t);
    free(file);
}
END_TEST

/* A zstd frame that declares another size than the chunk's. */
START_TEST(zstd_frame_size)
{
    char *file = path_in(g_dir, "zstd-size.h5");
    hsize_t dims[2] = {16, 16}, chunk[2] = {8, 8}, off[2] = {8, 0};
    hid_t fid = H5Fcreate(file, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t space = H5Screate_simple(2, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    unsigned char zeros[4096] = {0}, frame[4096];
    size_t n = ZSTD_compress(frame, sizeof frame, zeros, sizeof zeros, 1);
    uint16_t buf[256];
    dt_tree *t;
    hid_t did;

    ck_assert(!ZSTD_isError(n));
    writers_on();
    H5Pset_chunk(dcpl, 2, chunk);
    H5Pset_filter(dcpl, F_ZSTD, H5Z_FLAG_OPTIONAL, 1, (const unsigned[]){3});
    did = H5Dcreate2(fid, "sst", H5T_STD_U16LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ck_assert_int_ge(H5Dwrite_chunk(did, H5P_DEFAULT, 0, off, n, frame), 0);
    H5Dclose(did);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Fclose(fid);
    writers_off();
    t = open_tree(file, (unsigned)_i + 1, 0);
    tu_assert_rc(dt_var_read(tu_var(t, "sst"), NULL, DT_UINT16, buf, sizeof buf),
                 DT_EFORMAT, "/sst: chunk (1, 0) is 128 bytes, its zstd frame declares 4096");
    dt_tree_free(t);
    free(file);
}
END_TEST

/* A stored chunk larger than the memory limit is refused before it is
 * allocated (the limit still admits the decoded chunk). */
START_TEST(stored_chunk_limit)
{
    char *file = path_in(g_dir, "big-stored.h5");
    hsize_t dims[1] = {64}, chunk[1] = {64}, off[1] = {0};
    hid_t fid = H5Fcreate(file, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t space = H5Screate_simple(1, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    unsigned char junk[1000];
    uint8_t buf[64];
    dt_tree *t;
    hid_t did;

    memset(junk, 0x5a, sizeof junk);
    H5Pset_chunk(dcpl, 1, chunk);
    H5Pset_deflate(dcpl, 1);
    did = H5Dcreate2(fid, "v", H5T_STD_U8LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ck_assert_int_ge(H5Dwrite_chunk(did, H5P_DEFAULT, 0, off, sizeof junk, junk), 0);
    H5Dclose(did);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Fclose(fid);
    t = open_tree(file, 2, 500);
    tu_assert_rc(dt_var_read(tu_var(t, "v"), NULL, DT_UINT8, buf, sizeof buf),
                 DT_ELIMIT, "a stored chunk");
    dt_tree_free(t);
    free(file);
}
END_TEST

/* Several threads reading one tree at once share its pool. */
typedef struct reader_arg {
    const dt_var *v;
    const int32_t *want;
    size_t n;
    int ok;
} reader_arg;

static void *read_many(void *p)
{
    reader_arg *a = p;
    int32_t *got = malloc(a->n * sizeof *got);

    a->ok = got != NULL;
    for (int k = 0; k < 20 && a->ok; k++) {
        a->ok = dt_var_read(a->v, NULL, DT_INT32, got, a->n * sizeof *got) == DT_OK &&
                memcmp(got, a->want, a->n * sizeof *got) == 0;
    }
    free(got);
    return NULL;
}

START_TEST(concurrent_reads)
{
    const dset *d = &dsets[0];
    selection s;
    int32_t *want;
    dt_tree *t;
    reader_arg a[4];
    pthread_t th[4];

    /* the reference first: the test's HDF5 calls take no lock */
    make_sel(&s, d, 0);
    want = ref_read(g_file, d, &s);
    t = open_tree(g_file, 3, 0);
    for (int k = 0; k < 4; k++) {
        a[k].v = tu_var(t, d->name);
        a[k].want = want;
        a[k].n = nelems(d);
        a[k].ok = 0;
        ck_assert_int_eq(pthread_create(&th[k], NULL, read_many, &a[k]), 0);
    }
    for (int k = 0; k < 4; k++) {
        pthread_join(th[k], NULL);
        ck_assert_msg(a[k].ok, "reader %d", k);
    }
    dt_tree_free(t);
    free(want);
}
END_TEST

static Suite *chunks_suite(void)
{
    Suite *s = suite_create("hdf5_chunks");
    TCase *tc = tcase_create("chunks");
    int nd = (int)TU_NELEMS(dsets);

    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, matches_h5dread, 0, nd * NKINDS * 2);
    tcase_add_loop_test(tc, random_selections, 0, 12);
    tcase_add_loop_test(tc, small_budget, 0, 2);
    tcase_add_loop_test(tc, reader_choice, 0, nd);
    tcase_add_test(tc, strings_use_h5dread);
    tcase_add_loop_test(tc, damaged_chunk, 0, (int)TU_NELEMS(damages) * 2);
    tcase_add_loop_test(tc, zstd_frame_size, 0, 2);
    tcase_add_test(tc, stored_chunk_limit);
    tcase_add_test(tc, concurrent_reads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(chunks_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
