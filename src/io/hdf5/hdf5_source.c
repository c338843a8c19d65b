/* hdf5_source.c: the lazy source behind a variable read from an HDF5
 * dataset: hyperslab reads in native byte order, with fill values past the
 * dataset's own extent (netCDF's view of a short record variable); chunks
 * libdtree can decode itself go to hdf5_chunks.c, the rest to H5Dread. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hdf5_internal.h"

typedef struct h5src {
    dt__h5file *f;          /* borrowed from the tree's backend */
    hid_t did;              /* opened on the first read, with mem */
    char *dpath;            /* the dataset's path in the file */
    int readable;           /* 0: a type that is listed, never read */
    hid_t mem;
    dt_type type;
    int is_bool;
    int rank;
    hsize_t ext[H5S_MAX_RANK]; /* the dataset's own extent */
    unsigned char *fill;    /* one element of the memory type */
    char *fill_str;         /* DT_STRING: the fill text */
    dt__h5chunks *chunks;   /* chunks libdtree decodes itself, or NULL */
} h5src;

static int src_fail(const h5src *s, const dt_var *var, int code,
                    const char *what);

static void src_free(void *ctx)
{
    h5src *s = ctx;

    if (!s)
        return;
    dt__h5_lock();
    if (s->mem >= 0)
        H5Tclose(s->mem);
    if (s->did >= 0)
        H5Dclose(s->did);
    dt__h5_err_text(NULL, 0);
    dt__h5_unlock();
    free(s->fill);
    free(s->fill_str);
    dt__h5_chunks_free(s->chunks);
    free(s->dpath);
    free(s);
}

/* The dataset and its memory type are made on the first read, not when the
 * tree is loaded: each open HDF5 object holds memory and slows every other
 * HDF5 call, and a tree of 10,000 variables may read none. Once set, did
 * and mem never change. */
static int src_open(h5src *s, const dt_var *var)
{
    char hmsg[512] = "";

    dt__h5_lock();
    if (s->did < 0) {
        hid_t did = H5Dopen2(s->f->fid, s->dpath, s->f->dapl);
        hid_t ftype = did >= 0 ? H5Dget_type(did) : H5I_INVALID_HID;
        dt__h5type t = {DT_NONE, H5I_INVALID_HID, 0, 0, 0};

        if (ftype >= 0 && dt__h5_type_map(&t, ftype) == DT_OK && t.type == s->type &&
            t.mem >= 0) {
            s->mem = t.mem;
            s->did = did;
            /* chunks libdtree decodes itself (hdf5_chunks.c), found once */
            if (s->rank > 0 && DT_TYPE_CLASS(s->type) != DT_STRING &&
                dt__h5_chunks_new(&s->chunks, did, s->mem) < 0)
                s->chunks = NULL; /* H5Dread remains the way */
        } else {
            dt__h5_err_text(hmsg, sizeof hmsg);
            dt__h5_type_clear(&t);
            if (did >= 0)
                H5Dclose(did);
        }
        if (ftype >= 0)
            H5Tclose(ftype);
    }
    dt__h5_unlock();
    if (s->did < 0) {
        char what[600];

        snprintf(what, sizeof what, "cannot open the dataset%s%s",
                 hmsg[0] ? ": " : "", hmsg);
        return src_fail(s, var, DT_EIO, what);
    }
    return DT_OK;
}

static int src_fail(const h5src *s, const dt_var *var, int code,
                    const char *what)
{
    char *vpath = NULL;
    int rc;

    dt_var_path(&vpath, var);
    rc = dt__fail_at(code, s->f->path, vpath, "%s", what);
    free(vpath);
    return rc;
}

/* A read failed inside HDF5 (under the lock): keep HDF5's words and the
 * filter it lacks, if that is why, for read_error. */
typedef struct read_fault {
    char hmsg[512];
    long filter;            /* -1: none missing */
} read_fault;

static void read_failed(const h5src *s, read_fault *rf)
{
    hid_t dcpl;

    dt__h5_err_text(rf->hmsg, sizeof rf->hmsg);
    rf->filter = -1;
    dcpl = H5Dget_create_plist(s->did);
    if (dcpl >= 0) {
        rf->filter = dt__h5_missing_filter(dcpl);
        H5Pclose(dcpl);
    }
    dt__h5_err_text(NULL, 0);
}

/* The error of a failed read, once the lock is released: the model's
 * accessors are not called while it is held (a group loader takes the
 * tree's lock and then ours). */
static int read_error(const h5src *s, const dt_var *var, const read_fault *rf)
{
    char *vpath = NULL, codec[32];
    int rc;

    dt_var_path(&vpath, var);
    if (rf->filter >= 0) {
        dt__h5_filter_name(codec, sizeof codec, rf->filter);
        rc = dt__fail_at(DT_EUNSUPPORTED, s->f->path, vpath,
                         "HDF5 filter %ld (%s) is not available: the data "
                         "cannot be decoded", rf->filter, codec);
    } else {
        rc = dt__fail_at(DT_EIO, s->f->path, vpath, "cannot read the data%s%s",
                         rf->hmsg[0] ? ": " : "", rf->hmsg);
    }
    free(vpath);
    return rc;
}

/* Elements of the selection on one axis that fall inside the extent. */
static hsize_t inside_count(uint64_t start, uint64_t count, uint64_t stride,
                            hsize_t ext)
{
    uint64_t k;

    if (start >= ext)
        return 0;
    k = (ext - start - 1) / stride + 1;
    return k < count ? k : count;
}

/* h5py's bool is an enum over int8: any non-zero byte reads as true. */
static void bool_fix(const h5src *s, void *buf, size_t nel)
{
    unsigned char *b = buf;

    if (!s->is_bool)
        return;
    for (size_t i = 0; i < nel; i++)
        b[i] = b[i] != 0;
}

static int src_read(void *ctx, const dt_var *var, const uint64_t *start,
                    const uint64_t *count, const uint64_t *stride, void *buf)
{
    h5src *s = ctx;
    uint32_t cls = DT_TYPE_CLASS(s->type);
    size_t es = cls == DT_STRING ? sizeof(char *) : dt_type_size(s->type);
    hsize_t hstart[H5S_MAX_RANK], hstride[H5S_MAX_RANK], hcount[H5S_MAX_RANK],
        hin[H5S_MAX_RANK], zero[H5S_MAX_RANK];
    hid_t fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
    uint64_t n = 1, nbytes;
    size_t nel = 0;
    int full = 1, none = 0, rc = DT_OK, read_done = 0;
    char **tmp = NULL;
    void *target = buf;
    read_fault fault;

    if (!s->readable) {
        char tn[32], what[96];

        dt_type_name(tn, sizeof tn, s->type);
        snprintf(what, sizeof what, "%s data cannot be read: the HDF5 type has "
                 "no libdtree equivalent", tn);
        return src_fail(s, var, DT_ETYPE, what);
    }
    if ((int)dt_var_ndim(var) != s->rank)
        return src_fail(s, var, DT_EINVAL, "rank differs from the dataset's");
    rc = src_open(s, var);
    if (rc < 0)
        return rc;
    for (int i = 0; i < s->rank; i++) {
        if (stride[i] == 0)
            return src_fail(s, var, DT_EINVAL, "stride 0");
        if (dt__mul_u64(&n, n, count[i]))
            return src_fail(s, var, DT_ELIMIT, "selection overflows 64 bits");
        hstart[i] = start[i];
        hstride[i] = stride[i];
        hcount[i] = count[i];
        hin[i] = inside_count(start[i], count[i], stride[i], s->ext[i]);
        zero[i] = 0;
        full = full && hin[i] == count[i];
        none = none || hin[i] == 0;
    }
    if (n == 0)
        return DT_OK;
    if (dt__mul_u64(&nbytes, n, es) || dt__u64_to_size(&nel, n) < 0 ||
        nbytes > s->f->limits.max_alloc)
        return src_fail(s, var, DT_ELIMIT, "selection is over the allocation limit");

    if (cls == DT_STRING) {
        /* HDF5's strings go to a scratch array, copied out with malloc */
        tmp = dt__malloc_limited(nbytes, s->f->limits.max_alloc, "a string read");
        if (!tmp)
            return dt__err_locate(dt_error_last()->code, s->f->path, NULL);
        memset(tmp, 0, nel * sizeof *tmp);
        target = tmp;
    } else if (!full) {
        for (size_t i = 0; i < nel; i++) {
            if (s->fill)
                memcpy((unsigned char *)buf + i * es, s->fill, es);
            else
                memset((unsigned char *)buf + i * es, 0, es);
        }
    }

    if (s->chunks && !none) {
        /* decoded by libdtree on the tree's threads, each chunk once */
        uint64_t in[H5S_MAX_RANK];

        for (int i = 0; i < s->rank; i++)
            in[i] = hin[i];
        rc = dt__h5_chunks_read(s->chunks, s->f, s->did, start, stride, in,
                                count, buf);
        if (rc < 0)
            return dt__err_locate(rc, s->f->path, NULL);
        bool_fix(s, buf, nel);
        return DT_OK;
    }

    dt__h5_lock();
    if (!none) {
        if (s->rank == 0) {
            fspace = H5Screate(H5S_SCALAR);
            mspace = H5Screate(H5S_SCALAR);
        } else {
            fspace = H5Dget_space(s->did);
            mspace = H5Screate_simple(s->rank, hcount, NULL);
            if (fspace >= 0 &&
                H5Sselect_hyperslab(fspace, H5S_SELECT_SET, hstart, hstride,
                                    hin, NULL) < 0)
                fspace = (H5Sclose(fspace), H5I_INVALID_HID);
            if (mspace >= 0 && !full &&
                H5Sselect_hyperslab(mspace, H5S_SELECT_SET, zero, NULL, hin,
                                    NULL) < 0)
                mspace = (H5Sclose(mspace), H5I_INVALID_HID);
        }
        if (fspace < 0 || mspace < 0 ||
            H5Dread(s->did, s->mem, mspace, s->rank == 0 ? H5S_ALL : fspace,
                    H5P_DEFAULT, target) < 0) {
            read_failed(s, &fault);
            rc = DT_EIO;
        } else {
            read_done = 1;
        }
    }
    if (rc == DT_OK && tmp) {
        char **out = buf;
        size_t i;
        uint64_t total = 0;

        /* HDF5 has allocated the strings; their copies are bounded */
        for (i = 0; i < nel && total <= s->f->limits.max_alloc; i++)
            total += tmp[i] ? strlen(tmp[i]) + 1 : 1;
        if (total > s->f->limits.max_alloc) {
            char what[96];

            snprintf(what, sizeof what, "the strings read are over the allocation limit "
                     "of %" PRIu64 " bytes", s->f->limits.max_alloc);
            rc = src_fail(s, var, DT_ELIMIT, what);
            nel = 0;
        }
        for (i = 0; i < nel; i++) {
            out[i] = dt__h5_utf8_dup(tmp[i] ? tmp[i]
                                     : s->fill_str ? s->fill_str : "");
            if (!out[i])
                break;
        }
        if (i < nel) {
            while (i > 0)
                free(out[--i]);
            rc = DT_ENOMEM;
        }
    }
    if (read_done && tmp)
        H5Dvlen_reclaim(s->mem, mspace, H5P_DEFAULT, tmp);
    if (fspace >= 0)
        H5Sclose(fspace);
    if (mspace >= 0)
        H5Sclose(mspace);
    dt__h5_unlock();
    free(tmp);
    if (rc == DT_EIO)
        return read_error(s, var, &fault);
    if (rc < 0)
        return dt__err_locate(rc, s->f->path, NULL);
    bool_fix(s, buf, nel);
    return rc;
}

static const dt_source_ops h5_ops = {1, src_read, NULL, src_free};

int dt__h5_source_attach(dt_var *var, dt__h5file *f, const char *dpath,
                         int rank, const hsize_t *ext, dt__h5type *t,
                         const void *fill)
{
    h5src *s = dt__calloc(1, sizeof *s);

    if (!s) {
        dt__h5_type_clear(t);
        return DT_ENOMEM;
    }
    s->f = f;
    s->did = s->mem = H5I_INVALID_HID;
    s->readable = t->mem >= 0;
    dt__h5_type_clear(t);
    s->type = t->type;
    s->is_bool = t->is_bool;
    s->dpath = dt__strdup(dpath);
    if (!s->dpath) {
        src_free(s);
        return DT_ENOMEM;
    }
    if (rank < 0 || rank > H5S_MAX_RANK) {
        src_free(s);
        return dt__fail(DT_EFORMAT, "unreadable dataspace");
    }
    s->rank = rank;
    for (int i = 0; i < rank; i++)
        s->ext[i] = ext[i];
    if (fill && DT_TYPE_CLASS(t->type) == DT_STRING) {
        s->fill_str = dt__strdup(*(char *const *)fill);
        if (!s->fill_str) {
            src_free(s);
            return DT_ENOMEM;
        }
    } else if (fill) {
        size_t es = dt_type_size(t->type);

        s->fill = dt__malloc(es);
        if (!s->fill) {
            src_free(s);
            return DT_ENOMEM;
        }
        memcpy(s->fill, fill, es);
    }
    return dt_var_set_source(var, &h5_ops, s);
}

hid_t dt__h5_source_dataset(const dt_var *var)
{
    const dt_source_ops *ops;
    void *ctx;

    dt__var_source(var, &ops, &ctx);
    if (ops != &h5_ops || !ctx)
        return H5I_INVALID_HID;
    return ((const h5src *)ctx)->did;
}
