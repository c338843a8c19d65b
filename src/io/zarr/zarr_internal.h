/* zarr_internal.h: what the files of the Zarr v2/v3 reader share: JSON
 * helpers, the parsed metadata of an array, the group records of a store
 * and the lazy source behind each array. */
#ifndef DT_ZARR_INTERNAL_H
#define DT_ZARR_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "codec/codec.h"
#include "io/io.h"
#include "store/store.h"
#include "util.h"

struct json_object;

#define DT__ZNONE SIZE_MAX

/* Group nesting and JSON nesting follow limits.max_depth (0: the default,
 * 64) up to this compile-time ceiling: the walks over groups and json-c's
 * freeing of nested values recurse once per level. */
#define DT__ZARR_DEPTH_CEILING 4096u

static inline uint32_t dt__zarr_depth_limit(const dt_limits *lim)
{
    if (!lim->max_depth)
        return 64;
    return lim->max_depth < DT__ZARR_DEPTH_CEILING ? lim->max_depth : DT__ZARR_DEPTH_CEILING;
}

/* ---- zarr_json.c ---- */

/* Parse a metadata document read from key. Nesting is bounded by
 * lim->max_depth; integers outside 64 bits are kept as doubles rather
 * than silently clamped (json-c clamps them); the text must be UTF-8 and
 * hold one value. Errors name the store and the key:
 * "s.zarr: a/.zarray: not valid JSON: ... at byte 33". */
int dt__zj_parse(struct json_object **out, const dt__bytes *text, const dt_limits *lim,
                 const char *store, const char *key);
/* The same for a big document with a big object at path (NULL-terminated
 * member names: {"metadata", NULL} for .zmetadata): that object's members
 * are parsed in pieces on the pool's threads and put together; anything
 * the splitter does not expect, or one thread, goes to dt__zj_parse. */
int dt__zj_parse_split(struct json_object **out, const dt__bytes *text, const dt_limits *lim,
                       const char *store, const char *key, const char *const *path,
                       dt__pool *pool);
/* Exact integers: DT_OK, or DT_EFORMAT when v is not an integer in range
 * (the message is left to the caller: these only set *out). */
bool dt__zj_u64(const struct json_object *v, uint64_t *out);
bool dt__zj_i64(const struct json_object *v, int64_t *out);
/* A member (NULL when absent or JSON null). */
struct json_object *dt__zj_get(const struct json_object *obj, const char *name);
/* The compact JSON text of v (owned). */
char *dt__zj_text(struct json_object *v);
/* v as compact JSON text for a message (borrowed from v, valid while v
 * lives; "/" is not escaped). */
const char *dt__zj_show(const struct json_object *v);
/* json-c's name of v's type ("string", "array", ...), for messages. */
const char *dt__zj_kind(const struct json_object *v);

/* A fill value decoded for type t: *out gets one element (dt_type_size(t)
 * bytes, malloc'ed; for DT_STRING a malloc'ed `char *` in it), or NULL for
 * JSON null and for a value an object array cannot take as fill (zarr-python
 * writes 0 there). A refusal sets DT_EFORMAT with the reason, unlocated. */
int dt__zj_fill(const struct json_object *v, dt_type t, unsigned char **out);

/* ---- an array's metadata (zarr_v2.c, zarr_v3.c) ---- */

/* Sharding (Zarr v3 sharding_indexed): a chunk of the grid is a shard of
 * inner chunks with an index of (offset, nbytes) pairs. */
typedef struct dt__zshard {
    size_t ndim;
    uint64_t inner[DT_MAX_RANK];   /* inner chunk shape */
    uint64_t per[DT_MAX_RANK];     /* inner chunks per shard, per axis */
    uint64_t ninner;
    int index_at_start;
    int index_big;                 /* the index's bytes codec is big-endian */
    int index_crc;                 /* crc32c after the index */
    uint64_t index_bytes;
    dt__codec_chain chain;         /* the inner chunks' codecs */
    struct dt__zshard *nested;     /* sharding inside the inner chain */
} dt__zshard;

typedef struct dt__zarray {
    char *name;            /* the node's name */
    char *prefix;          /* its store prefix: "a/b/" */
    int v3;
    dt_type type;          /* in memory */
    int big_endian;        /* stored big-endian */
    size_t ndim;           /* 0 for NCZarr scalars stored as [1] */
    uint64_t shape[DT_MAX_RANK];
    uint64_t chunks[DT_MAX_RANK];  /* the grid's chunks (shards when sharded) */
    char sep;              /* chunk key separator */
    int sep_guess;         /* v2 without dimension_separator: '.', but old
                              nested stores used '/' (zarr-v2.md 9) */
    _Atomic int sep_seen;  /* 0: not known yet, else the separator found */
    int key_c;             /* v3 "default" keys: "c" first */
    unsigned char *fill;   /* one element (a `char *` for strings), or NULL */
    dt__codec_chain chain; /* whole chunks (not sharded) */
    dt__zshard *shard;     /* sharded: the grid's chunks are shards */
    char *unreadable;      /* why the data cannot be read (unknown codec), or NULL */
    int unreadable_code;
    /* what the group needs to list it */
    char **dimnames;       /* ndim names, NULL for unnamed axes; or NULL */
    int nczarr_dims;       /* dimnames are NCZarr dimension references */
    struct json_object *attrs; /* user attributes (a reference), or NULL */
    char **labels;         /* codec names for the manifest */
    size_t nlabels;
    /* libdtree's annotation (zarr_write.c), references or NULL */
    struct json_object *atypes;  /* attribute name -> manifest type name */
    struct json_object *ashapes; /* attribute name -> shape (2-D and more) */
    struct json_object *enums;   /* enum member name -> value */
    dt_type vtype;         /* the variable's type when the format lacks it */
    int contiguous;        /* one chunk of a contiguous source variable */
    uint64_t *asked;       /* the source's chunks (longer than the array) */
} dt__zarray;

void dt__zarray_free(dt__zarray *a);
/* Record why the data cannot be read (kept from the current error). */
void dt__zarray_unreadable(dt__zarray *a);
int dt__zarray_label(dt__zarray *a, const char *label);
void dt__zshard_free(dt__zshard *s);

/* Common checks of shape and chunks against the limits: rank, chunk
 * sizes >= 1, the array's and a chunk's byte sizes fit 64 bits. `where`
 * names the document ("a/.zarray"). */
int dt__zarray_check_grid(const dt__zarray *a, const dt_limits *lim, const char *store,
                          const char *where);

/* Zarr v2: .zarray and .zattrs (attrs may be NULL) of the array at prefix. */
int dt__zarr_v2_array(dt__zarray **out, const char *name, const char *prefix,
                      struct json_object *zarray, struct json_object *zattrs,
                      const dt_limits *lim, const char *store);
/* Zarr v3: the array's zarr.json. */
int dt__zarr_v3_array(dt__zarray **out, const char *name, const char *prefix,
                      struct json_object *doc, const dt_limits *lim, const char *store);
/* Zarr v3: the members a zarr.json may have that libdtree does not know
 * must carry must_understand: false. known is NULL-terminated. */
int dt__zarr_v3_extra_members(const struct json_object *doc, const char *const *known,
                              const char *store, const char *key);

/* ---- the store's groups (zarr_read.c) ---- */

typedef struct dt__zdim {
    char *name;
    uint64_t size;
    int unlimited;
} dt__zdim;

typedef struct dt__zreader dt__zreader;

typedef struct dt__zgroup {
    dt__zreader *r;        /* for the group's loader */
    size_t index;
    char *name;            /* "" for the root */
    char *prefix;          /* "" or "a/b/" */
    size_t parent;         /* DT__ZNONE for the root */
    size_t depth;
    /* known before the group is scanned (the parent's scan reads it) */
    struct json_object *doc;    /* v3 zarr.json, v2 .zgroup (references) */
    int scanned;
    int scan_rc;           /* a failed scan is not repeated: its error */
    char *scan_err;
    /* after the scan */
    struct json_object *attrs;  /* user attributes, or NULL */
    size_t *children;      /* indices of child groups, by name */
    size_t nchildren;
    dt__zarray **arrays;   /* by name */
    size_t narrays;
    struct json_object *atypes; /* libdtree's attribute types, or NULL */
    struct json_object *ashapes; /* and shapes */
    dt__zdim *ncdims;      /* NCZarr: the dims this group declares */
    size_t nncdims;
    int has_ncdims;
    /* phony dims: those this group declares, and the store-wide number of
     * the first (dims are numbered in manifest order over the store) */
    size_t nphony;
    int phony_counted;
    uint64_t subtree_phony;
    int subtree_counted;
    uint64_t phony_base;
    int base_known;
} dt__zgroup;

/* Scan group gi (read its documents and its children's) if not done. */
int dt__zreader_scan(dt__zreader *r, size_t gi);
dt__zgroup *dt__zreader_group(dt__zreader *r, size_t gi);
const dt_limits *dt__zreader_limits(const dt__zreader *r);
const char *dt__zreader_store_name(const dt__zreader *r);
dt__store *dt__zreader_store(dt__zreader *r);
/* The pool reads decode chunks on (made on first use; NULL: one thread,
 * which dt__pool_run accepts). Safe from any thread. */
dt__pool *dt__zreader_pool(dt__zreader *r);
/* dt_open_opts.writable: variables may be written into the store. */
int dt__zreader_writable(const dt__zreader *r);
/* Create the node of child group gi under parent, to load on first use
 * (a name the model cannot hold leaves the subtree out). */
int dt__zreader_add_child(dt__zreader *r, size_t gi, dt_node *parent);

/* ---- zarr_dims.c ---- */

/* Hidden attribute names (FORMAT.md: _ARRAY_DIMENSIONS, _NCProperties and
 * NCZarr's own keys, any case). */
bool dt__zarr_attr_hidden(const char *name);
/* The dimension names of an array from its attributes or NCZarr
 * references (v2), or dimension_names (v3), into a->dimnames. */
int dt__zarr_v2_dims(dt__zarray *a, struct json_object *zarray, struct json_object *zattrs,
                     const char *store, const char *key);
/* NCZarr's group dims (_nczarr_group / _NCZARR_GROUP) into g. */
int dt__zarr_nczarr_group(dt__zgroup *g, struct json_object *zgroup,
                          struct json_object *zattrs, const char *store);
/* The phony dims group gi declares (counted once, cached). */
int dt__zarr_phony_count(dt__zreader *r, size_t gi, size_t *out);
/* Build the group's content in node: attributes, dims (NCZarr, named,
 * phony), variables with their sources, child nodes with loaders. */
int dt__zarr_build_group(dt__zreader *r, size_t gi, dt_node *node);
/* JSON attributes into a map, hidden ones left out; those `types` (NULL:
 * none) names get that type (libdtree's annotation), others stay JSON. */
int dt__zarr_set_attrs(dt_attrs *dst, struct json_object *attrs, struct json_object *types,
                       struct json_object *shapes, const dt_limits *lim, const char *store,
                       const char *path);
/* libdtree's annotation (the "libdtree" member of .zgroup / zarr.json):
 * attribute types, unlimited dims; in v3 the dims the group declares. */
int dt__zarr_group_annotation(dt__zgroup *g, struct json_object *doc, int v3,
                              const char *store);
/* The same of an array (.zarray / zarr.json): attribute types, a type the
 * format lacks (char, enum), no fill value, v3 dimension references. */
int dt__zarr_array_annotation(dt__zarray *a, struct json_object *doc, int v3,
                              const char *store);

/* ---- zarr_source.c ---- */

/* Back var with the array's chunks in r's store; takes a over (also on
 * failure). The source borrows r, which the tree frees after it. */
int dt__zarr_source_attach(dt_var *var, dt__zreader *r, dt__zarray *a);

#endif /* DT_ZARR_INTERNAL_H */
