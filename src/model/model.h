/* model.h: the in-memory DataTree's internal structures and the helpers the
 * model files share. */
#ifndef DT_MODEL_H
#define DT_MODEL_H

#include <pthread.h>
#include <stdbool.h>

#include "dtree.h"
#include "util.h"

struct dt_attr {
    char *name;
    dt_type type;
    size_t n;
    int scalar;
    size_t ndim;       /* > 1 only for a multi-dimensional HDF5 attribute */
    uint64_t *shape;
    /* numbers: n elements; DT_STRING: n `char *`; DT_CHAR, bytes, unicode:
     * n elements of their width (plus a NUL); DT_JSON: the text (n == 1) */
    void *vals;
};

struct dt_attrs {
    dt_attr **items; /* pointers, so a borrowed dt_attr survives growth */
    size_t n, cap;
};

typedef struct dt__dim {
    char *name;
    uint64_t size;
    int unlimited;
} dt__dim;

typedef struct dt__enum_member {
    char *name;
    int64_t value;
} dt__enum_member;

struct dt_var {
    dt_node *node;
    char *name;
    dt_type type;
    size_t ndim;
    uint64_t *shape;
    char **dims;
    uint64_t *chunks;      /* NULL: contiguous */
    uint64_t *inner_chunks; /* Zarr v3 sharding: the inner chunk shape */
    void *fill;            /* one element, or NULL */
    int is_coord;
    int big_endian;
    dt_attrs attrs;
    char **codecs;
    size_t ncodecs;
    dt__enum_member *enums;
    size_t nenums;
    void *data;            /* in memory: every element; NULL: none yet */
    const dt_source_ops *src;
    void *src_ctx;
    char *link;            /* how the file links to it, or NULL */
};

struct dt_node {
    dt_tree *tree;
    dt_node *parent;
    char *name;
    dt_node **children;
    size_t nchildren, capchildren;
    dt_var **vars;
    size_t nvars, capvars;
    dt__dim *dims;
    size_t ndims, capdims;
    dt_attrs attrs;
    int cut;               /* relaxed load: sees nothing of its ancestors */
    char *cut_reason;      /* why: the error a strict load would have given */
    /* lazy metadata: the backend fills the group on first use */
    int (*loader)(dt_node *node, void *ctx);
    void *loader_ctx;
    void (*loader_free)(void *ctx);
    _Atomic int loaded;    /* 1 once loaded (or never lazy) */
    int in_load;           /* the loader is running (on the lock's thread) */
    int load_rc;           /* the loader's status, kept for later callers */
    char *load_error;      /* and its error: the problem, */
    char *load_file;       /* the file */
    char *load_path;       /* and the object it names */
};

struct dt_tree {
    dt_node *root;
    pthread_mutex_t load_lock; /* lazy loads behind const handles */
    dt_format format;
    char *source;
    int loading;
    int keep_layout;
    int eager;
    dt_align_mode align;
    dt_limits limits;
    void *backend;
    void (*backend_free)(void *);
};

/* Compile-time ceiling of dt_limits.max_rank. */
#define DT_LIMITS_MAX_RANK 32

/* types.c */
bool dt__type_valid(dt_type t);
bool dt__type_is_numeric(dt_type t);   /* bool, ints, floats, complex, enum */
bool dt__type_is_integer(dt_type t);   /* ints, enums, bool */
/* Copy/convert n elements; strings are duplicated. */
int dt__convert(void *dst, dt_type dt, const void *src, dt_type st, size_t n);
/* Release what n elements of type t own (strings), not the array itself. */
void dt__elems_release(void *buf, dt_type t, size_t n);
/* Copy n elements of t, duplicating owned strings. */
int dt__elems_copy(void *dst, const void *src, dt_type t, size_t n);
/* IEEE binary16 to and from binary32 (round to nearest even). */
float dt__half_to_float(uint16_t h);
uint16_t dt__half_from_float(float f);
/* Read element i as a double (NaN for non-numeric). */
double dt__elem_as_double(const void *buf, dt_type t, size_t i);

/* numfmt.c: a float of width 2, 4 or 8 bytes as the shortest text that
 * reads back as it ("1.0", "0.0001", "2.5e-07", "1.0e+16"; "nan", "inf",
 * "-inf"), into out (DT__FLOAT_TEXT_MAX bytes); returns the length. */
#define DT__FLOAT_TEXT_MAX 32
size_t dt__float_repr(char *out, double v, int width);
/* The same by trying each precision with snprintf and strtod (finite v):
 * the definition the fast path is tested against. */
size_t dt__float_repr_slow(char *out, double v, int width);
/* The exact integer path alone (finite, nonzero v): 0 where it declines. */
size_t dt__float_repr_fast(char *out, double v, int width);
/* Integers in decimal, NUL-ended (out: 21 bytes); return the length. */
size_t dt__u64_text(char *out, uint64_t x);
size_t dt__i64_text(char *out, int64_t x);

/* attrs.c */
void dt__attrs_init(dt_attrs *a);
void dt__attrs_clear(dt_attrs *a);
int dt__attrs_copy(dt_attrs *dst, const dt_attrs *src);

/* node.c */
dt_node *dt__node_new(dt_tree *tree, dt_node *parent, const char *name);
void dt__node_free(dt_node *node);
int dt__node_name_free(const dt_node *parent, const char *name,
                       const dt_node *except_node, const dt_var *except_var);
/* Load a lazy group's metadata if that has not happened yet; DT_OK or the
 * load's error (set again as this thread's error). */
int dt__node_ensure(const dt_node *node);
/* "/a/b" into a stack buffer-free string; NULL on ENOMEM. */
char *dt__node_path_str(const dt_node *node);
char *dt__var_path_str(const dt_var *var);

/* dims.c */
dt__dim *dt__node_own_dim(const dt_node *node, const char *name);
/* The dim visible at node (own, else ancestors up to a cut); owner in *where. */
dt__dim *dt__dim_visible(const dt_node *node, const char *name,
                         const dt_node **where);
int dt__node_declare_dim(dt_node *node, const char *name, uint64_t size,
                         int unlimited);
bool dt__dim_used_in(const dt_node *node, const char *name);

/* var.c */
void dt__var_free(dt_var *var);
int dt__var_materialize(dt_var *var);  /* give an in-memory buffer */
int dt__var_copy(dt_var **out, const dt_var *src, dt_node *dst);
bool dt__var_index_name(const dt_var *var);
/* Read a whole 1-D variable as doubles or strings for index comparison. */
int dt__var_read_all(const dt_var *var, dt_type mem, void **out, size_t *n);

/* align.c */
/* Check node's subtree against its ancestors: dims and index coordinates.
 * mode: 0 fail on the first violation; 1 cut offending groups. Deduplicates
 * equal child index coordinates when dedup is set. */
int dt__align_subtree(dt_node *node, int relax, int dedup);
/* Check one freshly loaded group against its ancestors: cut it when relax,
 * drop its copies of inherited index coordinates when dedup. */
int dt__align_loaded(dt_node *node, int relax, int dedup);
/* Compare two index variables by value (xarray's Index.equals). */
int dt__index_equal(const dt_var *a, const dt_var *b, int *equal);

#endif /* DT_MODEL_H */
