/* dtree.h: the one public header of libdtree, a storage engine for hierarchical
 * scientific data (DataTrees of groups, dimensions, variables and attributes).
 *
 * Conventions (see libdtree(3)):
 * - Functions that can fail return DT_OK (0) or a negative DT_E* code; the
 *   details are in dt_error_last(), per thread.
 * - `T **out` gives the caller an owned object or string; a returned pointer
 *   to a node, variable, attribute or name is borrowed from its tree and valid
 *   until the tree is freed or that object is removed, renamed or moved.
 * - Every _free function accepts NULL.
 *
 * This header is C99 and may be included from C++. */
#ifndef DTREE_H
#define DTREE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dtree_version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(DT_BUILDING_LIBRARY) && defined(__GNUC__)
#define DT_EXTERN __attribute__((visibility("default")))
#else
#define DT_EXTERN
#endif

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */

/* X(name, value, default text): the one table of status codes. */
#define DT_ERROR_TABLE(X)                                                   \
    X(DT_OK, 0, "success")                                                  \
    X(DT_ERROR, -1, "error")                                                \
    X(DT_ENOMEM, -2, "out of memory")                                       \
    X(DT_EINVAL, -3, "invalid argument")                                    \
    X(DT_ENOTFOUND, -4, "not found")                                        \
    X(DT_EBADNAME, -5, "invalid name")                                      \
    X(DT_ENAMECLASH, -6, "name already in use")                             \
    X(DT_EALIGN, -7, "not aligned with its parents")                        \
    X(DT_ELOOP, -8, "a node cannot be placed under itself")                 \
    X(DT_ERANGE, -9, "selection out of range")                              \
    X(DT_ELIMIT, -10, "limit exceeded")                                     \
    X(DT_EFORMAT, -11, "malformed file")                                    \
    X(DT_EIO, -12, "input/output error")                                    \
    X(DT_ETYPE, -13, "unsupported or mismatched type")                      \
    X(DT_ERESERVED, -14, "reserved name")                                   \
    X(DT_EUNSUPPORTED, -15, "not supported")                                \
    X(DT_EEXIST, -16, "already exists")                                     \
    X(DT_ECONFLICT, -17, "conflicting sizes")

#define DT__ERROR_ENUM(name, value, text) name = value,
typedef enum { DT_ERROR_TABLE(DT__ERROR_ENUM) DT__ERROR_LAST = -18 } dt_status;
#undef DT__ERROR_ENUM

typedef struct dt_error {
    int code;            /* DT_OK or a DT_E* code */
    const char *message; /* "FILE: PATH: problem", never NULL */
    const char *file;    /* file or store at fault, or NULL */
    const char *path;    /* object inside it, or NULL */
} dt_error;

/* This thread's last error; never NULL. Valid until the next libdtree call
 * on this thread that fails or clears it. */
DT_EXTERN const dt_error *dt_error_last(void);
/* Forget this thread's last error. */
DT_EXTERN void dt_error_clear(void);
/* "DT_ENOTFOUND" for DT_ENOTFOUND; "DT_UNKNOWN" for other values. */
DT_EXTERN const char *dt_strerror_name(int code);
/* The default text of a code. */
DT_EXTERN const char *dt_strerror(int code);

/* Free a string or buffer that the library returned as owned. */
DT_EXTERN void dt_free(void *p);

/* Library version as "MAJOR.MINOR.PATCH". */
DT_EXTERN const char *dt_version(void);

/* ------------------------------------------------------------------------ */
/* Types                                                                    */

/* A dt_type is a class code in the low 8 bits; bytes and unicode types carry
 * their width (N) above them, enum types their base integer class. */
typedef uint32_t dt_type;

enum {
    DT_NONE = 0,
    DT_BOOL,
    DT_INT8,
    DT_INT16,
    DT_INT32,
    DT_INT64,
    DT_UINT8,
    DT_UINT16,
    DT_UINT32,
    DT_UINT64,
    DT_FLOAT16,
    DT_FLOAT32,
    DT_FLOAT64,
    DT_COMPLEX64,
    DT_COMPLEX128,
    DT_STRING,   /* variable-length UTF-8; in memory a `char *` per element */
    DT_CHAR,     /* netCDF NC_CHAR: one byte */
    DT_BYTES,    /* fixed-length byte string of N bytes (DT_BYTES_N) */
    DT_UNICODE,  /* fixed-length UTF-32 of N code points (DT_UNICODE_N) */
    DT_ENUM,     /* enum over an integer class (DT_ENUM_OF) */
    DT_JSON,     /* attributes only: a JSON value, kept as its text */
    DT_COMPOUND, /* listed, never read: HDF5 user-defined classes */
    DT_OPAQUE,
    DT_VLEN,
    DT__TYPE_COUNT
};

#define DT_TYPE_CLASS(t) ((t) & 0xffu)
#define DT_TYPE_PARAM(t) ((t) >> 8)
#define DT_BYTES_N(n) ((dt_type)(DT_BYTES | ((uint32_t)(n) << 8)))
#define DT_UNICODE_N(n) ((dt_type)(DT_UNICODE | ((uint32_t)(n) << 8)))
#define DT_ENUM_OF(base) ((dt_type)(DT_ENUM | ((uint32_t)(base) << 8)))
#define DT_VLEN_OF(base) ((dt_type)(DT_VLEN | ((uint32_t)(base) << 8)))

/* Bytes one element takes in memory (a pointer for DT_STRING and DT_JSON);
 * 0 for an invalid type or a class that has no in-memory form. */
DT_EXTERN size_t dt_type_size(dt_type t);
/* Writes the manifest name ("float32", "bytes10", "enum(int8)") into buf;
 * returns DT_OK or DT_EINVAL for an invalid type. */
DT_EXTERN int dt_type_name(char *buf, size_t bufsize, dt_type t);
/* Parses a manifest type name; DT_EINVAL with a message when unknown. */
DT_EXTERN int dt_type_parse(dt_type *out, const char *name);

/* ------------------------------------------------------------------------ */
/* Handles                                                                  */

typedef struct dt_tree dt_tree;
typedef struct dt_node dt_node;
typedef struct dt_var dt_var;
typedef struct dt_attrs dt_attrs;
typedef struct dt_attr dt_attr;

/* ------------------------------------------------------------------------ */
/* Limits and options                                                       */

typedef struct dt_limits {
    uint64_t max_alloc;     /* largest allocation sized by a file (bytes) */
    uint32_t max_rank;      /* dimensions per variable */
    uint32_t max_depth;     /* nesting of groups and of parsed documents */
    uint32_t max_name;      /* bytes in one name */
    uint64_t max_attr_bytes;/* bytes in one attribute value */
} dt_limits;

#define DT_LIMITS_INIT {(uint64_t)1 << 30, 32, 64, 256, (uint64_t)64 << 20}

typedef enum {
    DT_ALIGN_STRICT = 0,  /* a file that breaks alignment fails to open */
    DT_ALIGN_RELAXED = 1  /* offending groups are cut off from inheritance */
} dt_align_mode;

typedef enum {
    DT_FORMAT_AUTO = 0,
    DT_FORMAT_YAML,   /* dtree-manifest/1 document (with optional values) */
    DT_FORMAT_NETCDF4,
    DT_FORMAT_HDF5,
    DT_FORMAT_ZARR2,
    DT_FORMAT_ZARR3
} dt_format;

typedef struct dt_open_opts {
    unsigned version;      /* 1 */
    dt_format format;      /* DT_FORMAT_AUTO: detected from the content */
    dt_align_mode align;   /* DT_ALIGN_STRICT */
    int keep_layout;       /* 1: keep child copies of inherited coordinates
                              as the file has them (no deduplication) */
    unsigned threads;      /* decoding threads; 0: the number of cores */
    dt_limits limits;
    int eager;             /* 1: read all metadata at open (default: each
                              group's when it is first used) */
    int external_links;    /* 1: follow HDF5 external links (to files beside
                              this one); 0: opening such a file fails */
} dt_open_opts;

#define DT_OPEN_OPTS_INIT {1, DT_FORMAT_AUTO, DT_ALIGN_STRICT, 0, 0, DT_LIMITS_INIT, 0, 0}

/* Progress of a write: bytes of variable data done out of total. */
typedef void (*dt_progress_fn)(void *ud, uint64_t done, uint64_t total);

#define DT_CHUNKS_KEEP 0       /* the source's chunk shapes (default) */
#define DT_CHUNKS_DEFAULT 1    /* netCDF-C's default chunk shapes */

typedef struct dt_write_opts {
    unsigned version;      /* 1 */
    int force;             /* replace an existing target */
    /* Fields below are read by the netCDF-4 writer; zero means "as the
     * source has it". */
    const char *group;     /* write only this subtree (its inherited
                              dimensions and index coordinates
                              materialised at the new root); NULL: all */
    int chunking;          /* DT_CHUNKS_KEEP or DT_CHUNKS_DEFAULT */
    size_t nchunk_dims;    /* chunk length per dimension name: an axis */
    const char *const *chunk_dims; /* named here gets that length */
    const uint64_t *chunk_lens;
    int deflate;           /* -1: none; 0: keep the source's; 1-9: level */
    int shuffle;           /* -1: none; 0: keep; 1: shuffle */
    int fletcher32;        /* -1: none; 0: keep; 1: add the checksum */
    int zstd;              /* -1: none; 0: keep; 1-22: level. Naming a
                              compressor (deflate or zstd) drops the
                              source's other compressors */
    uint64_t contiguous_max; /* variables of at most this many bytes with
                              no unlimited dimension are written
                              contiguous and unfiltered; 0: keep */
    int skip_unsupported;  /* 1: leave out variables whose type the format
                              cannot hold (compound, opaque, vlen,
                              unicode) instead of failing */
    int recompress;        /* 1: decode and encode every chunk, never copy
                              stored chunks as they are */
    dt_progress_fn progress; /* called as data is written, or NULL */
    void *progress_ud;
    /* Zarr writers (DT_FORMAT_ZARR2, DT_FORMAT_ZARR3); the fields above
     * apply too (deflate: zlib in v2, gzip in v3). */
    int consolidated;      /* -1: no consolidated metadata; 0, 1: write it
                              (v2 .zmetadata, v3 inside the root zarr.json) */
    char separator;        /* chunk key separator '.' or '/'; 0: the
                              format's default (v2 '.', v3 '/') */
    int order_f;           /* 1: chunks in Fortran order (v2 order "F", v3
                              a transpose codec) */
    size_t nshard_dims;    /* Zarr v3 sharding: inner chunks per shard */
    const char *const *shard_dims; /* along each dimension named here */
    const uint64_t *shard_counts;
    uint64_t shard_bytes;  /* Zarr v3: grow shards to about this many bytes
                              (before compression); 0 with no shard_dims:
                              no sharding */
    unsigned threads;      /* encoding threads; 0: the number of cores */
    const char *compressor; /* Zarr: "zstd[:L]", "zlib[:L]", "gzip[:L]",
                              "bz2[:L]", "lz4", "blosc[:CNAME[:L]]" (CNAME
                              lz4, lz4hc, blosclz, zstd, zlib); overrides
                              deflate and zstd; NULL: those decide */
} dt_write_opts;

#define DT_WRITE_OPTS_INIT {1, 0, NULL, DT_CHUNKS_KEEP, 0, NULL, NULL, 0, 0, 0, \
                            0, 0, 0, 0, NULL, NULL, 0, 0, 0, 0, NULL, NULL, 0, 0, NULL}

/* ------------------------------------------------------------------------ */
/* Trees                                                                    */

/* A new tree holding only an empty root group. */
DT_EXTERN int dt_tree_new(dt_tree **out);
/* Open a file or store as a tree. The format is detected from the content
 * unless opts->format says otherwise. Data stays in the file and is read on
 * demand. */
DT_EXTERN int dt_tree_open(dt_tree **out, const char *path,
                           const dt_open_opts *opts);
/* Write the tree to path in the given format (DT_FORMAT_AUTO: by the
 * extension). */
DT_EXTERN int dt_tree_write(const dt_tree *tree, const char *path,
                            dt_format fmt, const dt_write_opts *opts);
/* Free the tree, everything in it, and the file handles behind it. */
DT_EXTERN void dt_tree_free(dt_tree *tree);

DT_EXTERN dt_node *dt_tree_root(const dt_tree *tree);
/* The format the tree was opened from (DT_FORMAT_AUTO for a new tree). */
DT_EXTERN dt_format dt_tree_format(const dt_tree *tree);
/* The file or store the tree was opened from, or NULL; borrowed. */
DT_EXTERN const char *dt_tree_source(const dt_tree *tree);
/* The manifest kind of a format: "netcdf4", "hdf5", "zarr2", "zarr3", "yaml". */
DT_EXTERN const char *dt_format_name(dt_format fmt);

/* Check the alignment of the whole tree: DT_OK, or DT_EALIGN describing the
 * first violation (depth-first order). */
DT_EXTERN int dt_tree_check_alignment(const dt_tree *tree);

/* ------------------------------------------------------------------------ */
/* Nodes (groups)                                                           */

#define DT_CREATE_PARENTS 1u /* dt_node_create: make missing intermediate groups */
#define DT_CREATE_EXISTING 2u /* dt_node_create: an existing group is not an error */

/* Name rules of the model spec: non-empty UTF-8 of at most 256 bytes, no '/',
 * NUL or control characters, not "." "..", no trailing whitespace. Returns
 * DT_OK or DT_EBADNAME with the reason. `what` names the object in the
 * message ("group", "variable", "dimension", "attribute"). */
DT_EXTERN int dt_name_check(const char *name, const char *what);

DT_EXTERN dt_tree *dt_node_tree(const dt_node *node);
/* The group's name ("" for the root); borrowed. */
DT_EXTERN const char *dt_node_name(const dt_node *node);
DT_EXTERN dt_node *dt_node_parent(const dt_node *node);
/* Absolute path of the group ("/", "/a/b"); owned, free with dt_free. */
DT_EXTERN int dt_node_path(char **out, const dt_node *node);
/* 0 for the root. */
DT_EXTERN size_t dt_node_depth(const dt_node *node);
DT_EXTERN size_t dt_node_child_count(const dt_node *node);
/* The i-th child in insertion order, or NULL. */
DT_EXTERN dt_node *dt_node_child(const dt_node *node, size_t i);

/* Resolve an absolute or relative group path ("..", ".", "a//b" allowed). */
DT_EXTERN int dt_node_lookup(dt_node **out, const dt_node *base,
                             const char *path);
/* Create a group at path relative to base (absolute paths from the root). */
DT_EXTERN int dt_node_create(dt_node **out, dt_node *base, const char *path,
                             unsigned flags);
/* Remove a group and its whole subtree (not the root). */
DT_EXTERN int dt_node_remove(dt_node *node);
/* Rename a non-root group. */
DT_EXTERN int dt_node_rename(dt_node *node, const char *name);
/* Move a group under new_parent (same tree), optionally renaming it (NULL
 * keeps the name). The subtree is re-checked for alignment and its copies
 * of inherited coordinates are deduplicated; on failure nothing changes. */
DT_EXTERN int dt_node_move(dt_node *node, dt_node *new_parent,
                           const char *name);

#define DT_COPY_INHERIT 1u /* materialise inherited index coordinates at the copy */

/* Deep-copy the subtree at src under dst_parent (any tree) as `name` (NULL:
 * src's name). Data is copied into memory. */
DT_EXTERN int dt_node_copy(dt_node **out, const dt_node *src,
                           dt_node *dst_parent, const char *name,
                           unsigned flags);

/* Visit the subtree depth-first, parents before children, in insertion
 * order. A non-zero return from fn stops the walk and is returned. */
typedef int (*dt_node_visit_fn)(dt_node *node, void *ud);
DT_EXTERN int dt_node_walk(dt_node *node, dt_node_visit_fn fn, void *ud);

/* Read the group's metadata now if the file has not been read that far
 * (groups of an opened file load on first use, parents first: a netCDF-4
 * file is read group by group). DT_OK, or the error that loading it gave;
 * accessors that return counts give 0 for a group that failed to load and
 * set this error. What a loaded group shows is final: loading others never
 * changes it. Numbering phony dimensions (HDF5 axes without a scale) or
 * naming a dataset's first path reads the structure of the whole file once;
 * sizing an unlimited dimension reads that of the declaring group's
 * subtree (links and dataset shapes, no attribute values, no data). */
DT_EXTERN int dt_node_load(const dt_node *node);
/* Load the whole subtree (every group's metadata, no data): the first
 * error of a group that cannot be read is returned. */
DT_EXTERN int dt_node_load_all(const dt_node *node);

/* Relaxed trees: a cut group sees nothing of its ancestors. */
DT_EXTERN int dt_node_is_cut(const dt_node *node);
/* Why the group was cut: the DT_EALIGN message a strict open would have
 * given ("group '/b' is not aligned with its parents: ..."), or NULL for a
 * group that is not cut. Borrowed, valid as long as the group. */
DT_EXTERN const char *dt_node_cut_reason(const dt_node *node);

DT_EXTERN dt_attrs *dt_node_attrs(const dt_node *node);

/* ---- Dimensions ---- */

typedef struct dt_dim_info {
    const char *name;     /* borrowed */
    uint64_t size;
    int unlimited;
    const dt_node *owner; /* the group that declares it */
} dt_dim_info;

/* Dimensions declared in this group, in declaration order. The size of an
 * unlimited dimension of a file is final when the group is loaded: the
 * longest extent along it of the variables that use it, in the group or
 * any descendant, loaded or not (see dt_node_load). */
DT_EXTERN size_t dt_node_dim_count(const dt_node *node);
DT_EXTERN int dt_node_dim(dt_dim_info *out, const dt_node *node, size_t i);
/* A dimension visible at node: its own, else the nearest ancestor's. */
DT_EXTERN int dt_node_dim_find(dt_dim_info *out, const dt_node *node,
                               const char *name);
/* Declare a dimension in this group. Refused with DT_EALIGN if an ancestor
 * or descendant sees a dimension of that name with another size. */
DT_EXTERN int dt_node_add_dim(dt_node *node, const char *name, uint64_t size,
                              int unlimited);
/* Rename a dimension of this group in it and in every variable of the
 * subtree that uses it. */
DT_EXTERN int dt_node_rename_dim(dt_node *node, const char *name,
                                 const char *new_name);
/* Change the size of an unlimited dimension and the shape of every variable
 * of the subtree that uses it (in-memory data grows with fill). */
DT_EXTERN int dt_node_resize_dim(dt_node *node, const char *name,
                                 uint64_t size);
/* Remove a dimension no variable uses. */
DT_EXTERN int dt_node_remove_dim(dt_node *node, const char *name);

/* ---- Variables ---- */

DT_EXTERN size_t dt_node_var_count(const dt_node *node);
/* The i-th variable of this group in creation order, or NULL. */
DT_EXTERN dt_var *dt_node_var(const dt_node *node, size_t i);
/* A variable of this group by name (not inherited ones). */
DT_EXTERN int dt_node_var_find(dt_var **out, const dt_node *node,
                               const char *name);

/* A variable by path relative to base ("a/b/temp", "/x"): a variable of
 * the group the path leads to, else a coordinate that group inherits. */
DT_EXTERN int dt_var_lookup(dt_var **out, const dt_node *base,
                            const char *path);

/* Add a variable. Each dims[i] names a dimension: one visible at node must
 * have size shape[i] (unlimited ones: at most their size, or they grow);
 * an unknown name is declared in node with shape[i]. shape may be NULL to
 * take every size from existing dimensions. A 1-D variable named like its
 * dimension becomes that dimension's (index) coordinate. No data is set:
 * reads return the fill value (or zeros) until data is given. */
DT_EXTERN int dt_node_add_var(dt_var **out, dt_node *node, const char *name,
                              dt_type type, size_t ndim,
                              const char *const *dims, const uint64_t *shape);

/* ---- Coordinates ---- */

#define DT_INHERIT_NONE 0u     /* only the group's own coordinates */
#define DT_INHERIT_INDEXES 1u  /* plus ancestors' index coordinates (default) */
#define DT_INHERIT_ALL 2u      /* plus ancestors' other coordinates too */

typedef struct dt_coord_info {
    const dt_var *var;      /* the coordinate variable */
    const dt_node *owner;   /* the group that defines it */
    int inherited;          /* owner is an ancestor */
    int is_index;           /* 1-D and named like its dimension */
} dt_coord_info;

/* A coordinate visible at node under the given inheritance. */
DT_EXTERN int dt_node_coord_find(dt_coord_info *out, const dt_node *node,
                                 const char *name, unsigned inherit);
/* Every coordinate visible at node: own ones first in creation order, then
 * inherited ones, nearest ancestor first. fn's non-zero return stops. */
typedef int (*dt_coord_visit_fn)(const dt_coord_info *coord, void *ud);
DT_EXTERN int dt_node_coords(const dt_node *node, unsigned inherit,
                             dt_coord_visit_fn fn, void *ud);

/* ------------------------------------------------------------------------ */
/* Variables                                                                */

typedef struct dt_slab {
    size_t ndim;            /* the variable's rank */
    const uint64_t *start;  /* NULL: zeros */
    const uint64_t *count;  /* NULL: to the end */
    const uint64_t *stride; /* NULL: ones; 0 is an error */
} dt_slab;

/* A lazy source: the backend behind a variable whose data lives in a file.
 * Buffers are in the variable's own type, C order, native byte order;
 * strings are `char *` allocated with malloc and owned by the caller. */
typedef struct dt_source_ops {
    unsigned version; /* 1 */
    int (*read)(void *ctx, const dt_var *var, const uint64_t *start,
                const uint64_t *count, const uint64_t *stride, void *buf);
    int (*write)(void *ctx, dt_var *var, const uint64_t *start,
                 const uint64_t *count, const uint64_t *stride,
                 const void *buf); /* NULL: read-only */
    void (*free)(void *ctx);
} dt_source_ops;

DT_EXTERN const char *dt_var_name(const dt_var *var);
DT_EXTERN dt_node *dt_var_node(const dt_var *var);
/* Absolute path "/group/var"; owned. */
DT_EXTERN int dt_var_path(char **out, const dt_var *var);
DT_EXTERN dt_type dt_var_type(const dt_var *var);
DT_EXTERN size_t dt_var_ndim(const dt_var *var);
/* ndim sizes; borrowed. */
DT_EXTERN const uint64_t *dt_var_shape(const dt_var *var);
DT_EXTERN const char *dt_var_dim(const dt_var *var, size_t i);
/* Elements in the variable (DT_ELIMIT if the product overflows). */
DT_EXTERN int dt_var_nelems(uint64_t *out, const dt_var *var);
DT_EXTERN dt_attrs *dt_var_attrs(const dt_var *var);

DT_EXTERN int dt_var_is_coord(const dt_var *var);
/* 1-D, a coordinate, and named like its dimension. */
DT_EXTERN int dt_var_is_index(const dt_var *var);
/* Flag or unflag a coordinate (xarray's set_coords / reset_coords). A 1-D
 * variable named like its dimension is always a coordinate. */
DT_EXTERN int dt_var_set_coord(dt_var *var, int is_coord);

DT_EXTERN int dt_var_rename(dt_var *var, const char *name);
DT_EXTERN int dt_var_remove(dt_var *var);

/* Encoding: chunk shape (NULL: contiguous), fill value, codecs, byte order. */
DT_EXTERN const uint64_t *dt_var_chunks(const dt_var *var);
DT_EXTERN int dt_var_set_chunks(dt_var *var, const uint64_t *chunks);
/* The fill value in the variable's type (a `char *` for strings), or NULL. */
DT_EXTERN const void *dt_var_fill(const dt_var *var);
DT_EXTERN int dt_var_set_fill(dt_var *var, const void *value);
DT_EXTERN size_t dt_var_codec_count(const dt_var *var);
DT_EXTERN const char *dt_var_codec(const dt_var *var, size_t i);
DT_EXTERN int dt_var_add_codec(dt_var *var, const char *name);
/* 1 when the data is stored big-endian (values are always native in memory). */
DT_EXTERN int dt_var_big_endian(const dt_var *var);
DT_EXTERN int dt_var_set_big_endian(dt_var *var, int big);

/* Enum member table (DT_ENUM_OF variables). */
DT_EXTERN size_t dt_var_enum_count(const dt_var *var);
DT_EXTERN int dt_var_enum_member(const dt_var *var, size_t i,
                                 const char **name, int64_t *value);
DT_EXTERN int dt_var_add_enum_member(dt_var *var, const char *name,
                                     int64_t value);

/* Copy n elements of type mem into the variable's memory (n must be its
 * element count). Numeric types convert; values out of range fail. */
DT_EXTERN int dt_var_set_data(dt_var *var, dt_type mem, const void *buf,
                              size_t n);
/* Back the variable by a lazy source; the variable owns ctx from now on
 * (ops->free is called when it goes), also on failure. */
DT_EXTERN int dt_var_set_source(dt_var *var, const dt_source_ops *ops,
                                void *ctx);
/* 1 when the data is behind a lazy source. */
DT_EXTERN int dt_var_is_lazy(const dt_var *var);
/* How the file reaches this variable when not by a plain link of its own:
 * "soft link to /g/v", "external link to f.h5:/v", "hard link: same data
 * as /g1/v"; NULL otherwise. Borrowed. */
DT_EXTERN const char *dt_var_link(const dt_var *var);

/* Elements a selection covers. */
DT_EXTERN int dt_slab_nelems(uint64_t *out, const dt_var *var,
                             const dt_slab *slab);
/* Read a hyperslab (NULL: everything) converted to type mem into buf of
 * bufsize bytes. DT_STRING elements are owned: dt_strings_free. */
DT_EXTERN int dt_var_read(const dt_var *var, const dt_slab *slab, dt_type mem,
                          void *buf, size_t bufsize);
/* Write a hyperslab from buf (type mem). */
DT_EXTERN int dt_var_write(dt_var *var, const dt_slab *slab, dt_type mem,
                           const void *buf, size_t bufsize);
/* Free n strings of a DT_STRING read (the array itself is the caller's). */
DT_EXTERN void dt_strings_free(char **strings, size_t n);

/* ---- Selections ---- */

#define DT_MAX_RANK 32

/* A numpy-style selection of a variable, resolved against its shape. */
typedef struct dt_selection {
    size_t ndim;                     /* the variable's rank */
    uint64_t start[DT_MAX_RANK];
    uint64_t count[DT_MAX_RANK];
    uint64_t stride[DT_MAX_RANK];
    unsigned char dropped[DT_MAX_RANK]; /* 1: an integer index, no output axis */
} dt_selection;

/* Parse "[0:10:2, -1, ...]" (brackets optional) against var's shape: integer
 * indices (negative count from the end), slices start:stop:step with numpy's
 * clamping (step > 0), "..." once, missing trailing axes taken whole. Errors
 * (DT_EINVAL, DT_ERANGE) name the column. */
DT_EXTERN int dt_selection_parse(dt_selection *out, const dt_var *var,
                                 const char *text);
/* The dt_slab view of a selection (pointers into sel). */
DT_EXTERN dt_slab dt_selection_slab(const dt_selection *sel);

/* Format one element of type t as text: numbers in the shortest form that
 * reads back exactly ("1.0", "0.1", "1.0e+16", "nan", "inf"), strings and
 * bytes double-quoted with C escapes. Returns the length it needs (like
 * snprintf) or a negative code. */
DT_EXTERN int dt_value_format(char *buf, size_t bufsize, dt_type t,
                              const void *elem);

/* ------------------------------------------------------------------------ */
/* Attributes                                                               */

#define DT_ATTR_SCALAR 1u /* a scalar, distinct from a length-1 vector */

DT_EXTERN size_t dt_attrs_count(const dt_attrs *attrs);
/* The i-th attribute in insertion order, or NULL. */
DT_EXTERN const dt_attr *dt_attrs_at(const dt_attrs *attrs, size_t i);
/* By name, or NULL. */
DT_EXTERN const dt_attr *dt_attrs_find(const dt_attrs *attrs,
                                       const char *name);
/* Set (replace in place, or append) an attribute of n values of type; for
 * DT_STRING vals is `const char *const *`; for DT_JSON n is 1 and vals is
 * the JSON text (const char *). flags: DT_ATTR_SCALAR (n must be 1).
 * Reserved names (conventions.md section 6) are refused. */
DT_EXTERN int dt_attrs_set(dt_attrs *attrs, const char *name, dt_type type,
                           size_t n, const void *vals, unsigned flags);
DT_EXTERN int dt_attrs_remove(dt_attrs *attrs, const char *name);
DT_EXTERN int dt_attrs_rename(dt_attrs *attrs, const char *name,
                              const char *new_name);

DT_EXTERN const char *dt_attr_name(const dt_attr *attr);
DT_EXTERN dt_type dt_attr_type(const dt_attr *attr);
DT_EXTERN size_t dt_attr_len(const dt_attr *attr);
DT_EXTERN int dt_attr_is_scalar(const dt_attr *attr);
/* The shape of a multi-dimensional attribute (HDF5 only), else NULL with
 * *ndim set to 0; borrowed. */
DT_EXTERN const uint64_t *dt_attr_shape(const dt_attr *attr, size_t *ndim);
/* The values: numbers as an array of the type, DT_STRING as `char **`,
 * DT_CHAR as the bytes, DT_JSON as the text; borrowed. */
DT_EXTERN const void *dt_attr_data(const dt_attr *attr);

/* 1 when name is reserved by a format (never a user attribute). */
DT_EXTERN int dt_attr_name_reserved(const char *name);

/* ------------------------------------------------------------------------ */
/* Queries (dtree-query(7) has the grammar)                                 */

/* A compiled query: path globs (with '*', '**' and '?'), dim(time),
 * dtype(float32), ndim > 2, size > 1e6, @units == "K", @long_name ~ "temp",
 * has(@_FillValue), is(coord), joined with and, or, not and parentheses.
 * Immutable once compiled: one query may be matched from several threads. */
typedef struct dt_query dt_query;

typedef struct dt_query_opts {
    unsigned version;      /* 1 */
    dt_limits limits;      /* max_depth bounds the nesting of parentheses
                              and `not` */
    size_t *error_column;  /* when not NULL: set to the 1-based column of a
                              syntax error (0 on success or for other errors) */
} dt_query_opts;

#define DT_QUERY_OPTS_INIT {1, DT_LIMITS_INIT, NULL}

/* Compile a query. A syntax error is DT_EINVAL with the message
 * `query "TEXT": column N: problem`; nesting deeper than limits.max_depth is
 * DT_ELIMIT. */
DT_EXTERN int dt_query_compile(dt_query **out, const char *text,
                               const dt_query_opts *opts);
DT_EXTERN void dt_query_free(dt_query *q);
/* The text the query was compiled from; borrowed, valid until dt_query_free. */
DT_EXTERN const char *dt_query_text(const dt_query *q);
/* 1 when the group or the variable matches, 0 when not, or a negative code
 * (a group of an opened file failed to load). */
DT_EXTERN int dt_query_match_node(const dt_query *q, const dt_node *node);
DT_EXTERN int dt_query_match_var(const dt_query *q, const dt_var *var);

/* Called for every match: var is NULL for a group. Non-zero stops the run. */
typedef int (*dt_query_fn)(const dt_node *node, const dt_var *var, void *ud);
/* Match every group of the subtree at start and every variable of those
 * groups, depth-first: a group, its variables, then its children. Returns
 * DT_OK, fn's non-zero value, or a negative code. */
DT_EXTERN int dt_query_run(const dt_query *q, const dt_node *start,
                           dt_query_fn fn, void *ud);

/* ---- Label selection (xarray's isel and sel on a tree) ---- */

/* Indexers: per dimension, positions ("time=0:10", "time=-1") or labels
 * ("time=2000-01-01", "lat=10.5:20"), resolved in each group against the
 * index coordinate it sees (inherited ones too). Labels of coordinates with
 * CF time units ("days since 2000-01-01", calendar attribute) are dates. */
typedef struct dt_indexers dt_indexers;

#define DT_BY_POSITION 0u /* dt_indexers_add: isel, numpy-style positions */
#define DT_BY_LABEL 1u    /* dt_indexers_add: sel, coordinate values */

DT_EXTERN int dt_indexers_new(dt_indexers **out);
DT_EXTERN void dt_indexers_free(dt_indexers *ix);
/* Add "DIM=SPEC". Positions: an integer (drops the dimension) or a slice
 * start:stop:step. Labels: a value (drops the dimension), or a slice
 * lo:hi[:step] that keeps the labels between lo and hi inclusive. A syntax
 * error is DT_EINVAL naming the column; a dimension given twice too. */
DT_EXTERN int dt_indexers_add(dt_indexers *ix, const char *arg, unsigned how);
DT_EXTERN size_t dt_indexers_count(const dt_indexers *ix);

typedef enum {
    DT_SEL_EXACT = 0,  /* a label must be in the coordinate */
    DT_SEL_NEAREST = 1 /* the nearest label; slice ends snap to the nearest */
} dt_sel_method;

typedef struct dt_select_opts {
    unsigned version;       /* 1 */
    dt_sel_method method;   /* how labels are found */
    const dt_query *query;  /* keep only matching variables (and the
                               coordinates they use); NULL: all of them */
} dt_select_opts;

#define DT_SELECT_OPTS_INIT {1, DT_SEL_EXACT, NULL}

/* A new tree holding the subtree at start (its root is start, with the
 * index coordinates start inherits), cut down by the indexers (ix may be
 * NULL or empty). Variables stay lazy: each reads its selection from the
 * original variable when read. The new tree borrows the original's data:
 * free it before the tree it came from. A dimension that no group of the
 * subtree sees is DT_ENOTFOUND; a missing label DT_ENOTFOUND; positions
 * out of range DT_ERANGE; messages name the group and the coordinate. */
DT_EXTERN int dt_tree_select(dt_tree **out, const dt_node *start,
                             const dt_indexers *ix, const dt_select_opts *opts);

/* ------------------------------------------------------------------------ */
/* Manifests                                                                */

typedef struct dt_manifest_opts {
    unsigned version;       /* 1 */
    const char *file_name;  /* the entry's `file:`; NULL: base name of source */
    const char *writer;     /* the document's `writer:`; NULL: libdtree */
    int values;             /* 1: add `values:` lists (the YAML tree format) */
} dt_manifest_opts;

#define DT_MANIFEST_OPTS_INIT {1, NULL, NULL, 0}

/* Write the tree as a complete dtree-manifest/1 document to fp,
 * with the SHA-256 of every variable's canonical bytes, reading data
 * hyperslab by hyperslab. Every group is loaded first: one that cannot be
 * read fails the call before anything is written. */
DT_EXTERN int dt_tree_manifest(const dt_tree *tree, FILE *fp,
                               const dt_manifest_opts *opts);

/* SHA-256 of the canonical bytes (fixtures/FORMAT.md: little-endian numbers,
 * strings NUL-ended) of a hyperslab (NULL: the whole variable, whose digest
 * is the manifest's sha256). The data is read block by block. */
DT_EXTERN int dt_var_digest(unsigned char out[32], const dt_var *var,
                            const dt_slab *slab);

#ifdef __cplusplus
}
#endif

#endif /* DTREE_H */
