/* hdf5_internal.h: what the files of the HDF5 / netCDF-4 reader share: the
 * open file, the library lock, type mapping, attributes, filters and the
 * lazy source behind each variable. */
#ifndef DT_HDF5_INTERNAL_H
#define DT_HDF5_INTERNAL_H

#include <hdf5.h>

#include "io/io.h"
#include "util.h"

/* The open file behind a tree; the tree's backend (hdf5_read.c's reader)
 * owns it and the lazy sources borrow it (the tree frees the backend after
 * every source is gone). */
typedef struct dt__h5file {
    hid_t fid;
    hid_t dapl;        /* dataset access: external raw data beside the file */
    hid_t lapl;        /* link access: external links beside the file */
    char *path;        /* as given; named in every message */
    char *dir;         /* directory holding the file */
    dt_limits limits;
    int nc4;           /* netCDF-4 kind: _NCProperties or dimension scales */
    unsigned threads;  /* dt_open_opts.threads: decoding threads, 0: cores */
    dt__pool *pool;    /* decodes chunks; made on first use, under the
                          HDF5 lock (hdf5_chunks.c) */
} dt__h5file;

/* ---- hdf5_read.c: the library lock and errors ---- */

/* HDF5 runs one call at a time even when built thread-safe, and ours is not:
 * every HDF5 call of the backend happens under this recursive lock, with
 * HDF5's error printing off (the caller's handler is put back after). The
 * first call registers our filters. Lock order: a tree's load lock, then
 * this one; no model function that loads groups is called under it. */
void dt__h5_lock(void);
void dt__h5_unlock(void);

/* The innermost message of HDF5's current error stack ("" when empty), then
 * the stack is cleared. */
void dt__h5_err_text(char *buf, size_t size);
/* dt__fail_at with ": <innermost HDF5 message>" appended when there is one. */
int dt__h5_fail(int code, const char *file, const char *path,
                const char *fmt, ...) DT__PRINTF(4, 5);

/* Object identity (file number and address or token), to match dimension
 * scales with the references that name them and to break link cycles. */
typedef struct dt__h5key {
    unsigned long fileno;
    unsigned char token[16];
} dt__h5key;

int dt__h5_key(dt__h5key *out, hid_t obj);
int dt__h5_key_eq(const dt__h5key *a, const dt__h5key *b);
/* Names collected from one of HDF5's iterators (links, attributes). */
typedef struct dt__h5names {
    char **names;
    size_t n, cap;
} dt__h5names;

int dt__h5_names_add(dt__h5names *nl, const char *name);
void dt__h5_names_free(dt__h5names *nl);

/* ---- hdf5_types.c: HDF5 datatypes as dt_types ---- */

typedef struct dt__h5type {
    dt_type type;      /* DT_NONE: nothing libdtree can list (skipped) */
    hid_t mem;         /* memory type to read with; H5I_INVALID_HID when the
                          class is listed but never read */
    int big_endian;    /* stored big-endian */
    int is_bool;       /* h5py's enum {FALSE, TRUE} over int8 */
    int borrowed;      /* mem is one of HDF5's own types: never closed */
} dt__h5type;

/* Map a file datatype. A class libdtree cannot represent at all gives
 * type DT_NONE and DT_OK; a malformed one DT_EFORMAT. mem is a new type
 * the caller closes (dt__h5_type_clear). */
int dt__h5_type_map(dt__h5type *out, hid_t ftype);
/* The same for a mapping used during one call: mem may be one of HDF5's
 * native types (borrowed), which spares a copy for the common types. */
int dt__h5_type_map_brief(dt__h5type *out, hid_t ftype);
void dt__h5_type_clear(dt__h5type *t);
/* Vlen string elements of a DT_STRING read: bytes that are not UTF-8 are
 * replaced by U+FFFD, as the reference readers decode them. Returns a new
 * malloc'ed string. */
char *dt__h5_utf8_dup(const char *s);
/* Add the members of an enum datatype to var. */
int dt__h5_enum_members(dt_var *var, hid_t ftype);

/* Read every visible attribute of obj into dst, in creation order when
 * crt (the object tracks it: dt__h5_attr_crt_order of its creation
 * property list), else by name. objpath names obj in messages. A scalar
 * dataspace keeps DT_ATTR_SCALAR in plain HDF5 files; netCDF-4 ones
 * (f->nc4) see it as a vector of one, as netCDF does. */
int dt__h5_read_attrs(dt_attrs *dst, hid_t obj, int crt, const dt__h5file *f,
                      const char *objpath);
/* 1 when a group or dataset creation property list tracks the creation
 * order of attributes. */
int dt__h5_attr_crt_order(hid_t cpl);
/* The two halves of dt__h5_read_attrs: the names of obj's attributes in
 * that order (-1 when HDF5 cannot list them), and reading the visible ones
 * of such a list. */
int dt__h5_list_attrs(dt__h5names *out, hid_t obj, int crt);
int dt__h5_read_attr_list(dt_attrs *dst, hid_t obj, const dt__h5file *f,
                          const char *objpath, const dt__h5names *nl);
/* 1 for the attributes netCDF-C and the dimension-scale API keep for
 * themselves (never listed). */
int dt__h5_attr_hidden(const char *name);
/* Read a scalar or 1-element string attribute (fixed or variable length)
 * as a new string, or NULL when absent or not a string. */
char *dt__h5_attr_string(hid_t obj, const char *name);
/* Read attribute name of obj as n values of memory type mem into buf;
 * returns the number of values the attribute has (may differ from n: only
 * min(n, count) are meaningful), or -1 when absent or unreadable. */
long dt__h5_attr_read(hid_t obj, const char *name, hid_t mem, void *buf,
                      size_t n, uint64_t max_bytes);

/* ---- hdf5_filters.c ---- */

/* Register the decoders HDF5 does not carry (zstd, blosc, lzf, bzip2), and
 * the zstd encoder. */
void dt__h5_filters_register(void);
/* The manifest name of an HDF5 filter id ("zlib", "filter32767"). */
void dt__h5_filter_name(char *buf, size_t size, long id);
/* Add the dataset's filter pipeline to var as codecs, in order. */
int dt__h5_add_codecs(dt_var *var, hid_t dcpl);
/* After a failed read: the first filter of the pipeline HDF5 cannot decode
 * with, or -1 when every filter is available. */
long dt__h5_missing_filter(hid_t dcpl);

/* liblzf's format (h5py's filter 32000) decoded from in[0..n) into
 * out[0..cap): the output length, -1 when out is too small, -2 when the
 * data is damaged. */
long dt__h5_lzf_decode(const unsigned char *in, size_t n, unsigned char *out,
                       size_t cap);

/* ---- hdf5_chunks.c: chunked, filtered datasets decoded by libdtree ---- */

/* What reading a dataset's raw chunks needs: chunk shape, filter pipeline,
 * element layout and fill. */
typedef struct dt__h5chunks dt__h5chunks;

/* Under the HDF5 lock. *out is NULL (and DT_OK) unless did is chunked,
 * filtered by a pipeline libdtree decodes itself (deflate, shuffle,
 * fletcher32, zstd, blosc, lzf, bzip2), and stored in memory type mem up to
 * byte order: everything else is read with H5Dread. */
int dt__h5_chunks_new(dt__h5chunks **out, hid_t did, hid_t mem);
void dt__h5_chunks_free(dt__h5chunks *c);
/* Read the elements start + k * stride, k < count, per axis (all inside the
 * dataset's extent, every count > 0) into buf, an array of shape dims in C
 * order whose low corner they fill: raw chunks are fetched under the HDF5
 * lock in batches, decoded and copied on f's pool outside it, each chunk
 * once. Errors name the chunk by its grid coordinates. */
int dt__h5_chunks_read(const dt__h5chunks *c, dt__h5file *f, hid_t did,
                       const uint64_t *start, const uint64_t *stride,
                       const uint64_t *count, const uint64_t *dims,
                       void *buf);

#if H5_VERSION_GE(1, 10, 5)
/* Under the HDF5 lock: the filter mask, address and stored size of the
 * chunk at logical offset off (*addr HADDR_UNDEF or *size 0: never
 * written), for a buffer that H5Dread_chunk then fills. H5Dread_chunk
 * copies the size its own index lookup finds, which in a damaged index
 * can differ from H5Dget_chunk_info_by_coord's: both are asked, and when
 * they disagree the chunk is refused (DT_EFORMAT, "WHERE: ..."). A failed
 * lookup is DT_EIO with no message (the caller says what it looked up). */
int dt__h5_chunk_locate(hid_t did, const hsize_t *off, unsigned *mask, haddr_t *addr,
                        hsize_t *size, const char *where);
#endif

/* ---- hdf5_source.c ---- */

/* Back var with the dataset at dpath, of rank axes of extent ext, opened
 * on the first read (t->mem is released, also on failure). fill:
 * one element in the memory layout, or NULL; for strings a `char *`
 * element. */
int dt__h5_source_attach(dt_var *var, dt__h5file *f, const char *dpath,
                         int rank, const hsize_t *ext, dt__h5type *t,
                         const void *fill);

/* ---- hdf5_read.c: what the reader has read (for tests) ---- */

/* Groups read from the file so far, and whether the whole file has been
 * walked, for the tree backend of an opened HDF5 file. */
size_t dt__h5_groups_scanned(const void *backend);
int dt__h5_walked(const void *backend);

/* ---- hdf5_encode.c: chunks encoded by worker threads ---- */

/* What the target's pipeline does (netCDF-C's order: shuffle, then one
 * compressor). */
typedef struct dt__h5enc_target {
    int shuffle, deflate, zstd, zstd_level; /* deflate: level, 0 none */
    size_t esize;           /* element size, for shuffle */
} dt__h5enc_target;

/* The source's filters when jobs hold stored chunks to decode first, and
 * their places in its pipeline (a chunk's filter mask skips them). */
typedef struct dt__h5enc_source {
    int shuffle, deflate, zstd;
    unsigned shuffle_bit, comp_bit;
} dt__h5enc_source;

/* One chunk: the caller fills in, len, off (and transcode, mask); the
 * worker leaves the stored bytes in out, out_len. */
typedef struct dt__h5job {
    unsigned char *in, *tmp, *out;
    size_t len, out_len, cap, in_cap;
    hsize_t off[H5S_MAX_RANK];
    int transcode;          /* in holds a stored source chunk of len bytes */
    uint32_t mask;          /* its filter mask */
    int state;
} dt__h5job;

typedef struct dt__h5enc dt__h5enc;

/* Store a finished job (H5Dwrite_chunk); failed: the worker could not
 * encode it. Returns DT_OK or an error, which stops storing. */
typedef int (*dt__h5enc_store)(void *ud, const dt__h5job *j, int failed);

/* Start nth workers (at most 16) with nth + 2 jobs. */
int dt__h5enc_new(dt__h5enc **out, unsigned nth);
void dt__h5enc_free(dt__h5enc *e);
/* Set the pipeline and the chunk size of the next variable (the encoder
 * must be idle: collected with wait_all); source NULL: jobs hold data. */
int dt__h5enc_setup(dt__h5enc *e, const dt__h5enc_target *target,
                    const dt__h5enc_source *source, size_t chunk_bytes);
size_t dt__h5enc_chunk_bytes(const dt__h5enc *e);
/* Store every finished job; then, with wait_all, wait until none is in
 * flight, else hand out a free job in *free_job. */
int dt__h5enc_collect(dt__h5enc *e, int wait_all, dt__h5job **free_job,
                      dt__h5enc_store store, void *ud);
/* Queue a job the caller filled. */
void dt__h5enc_submit(dt__h5enc *e, dt__h5job *j);

/* The dataset behind var when its data is an HDF5 source of this backend
 * (borrowed), else H5I_INVALID_HID; for copying stored chunks as they are. */
hid_t dt__h5_source_dataset(const dt_var *var);

#endif /* DT_HDF5_INTERNAL_H */
