/* io.h: the backends behind dt_tree_open and dt_tree_write, and the hooks
 * they use to build a tree while reading a file. */
#ifndef DT_IO_H
#define DT_IO_H

#include "dtree.h"

/* Format detection from the content: HDF5 signature (at 0, 512, 1024, ...),
 * a directory with zarr.json / .zgroup / .zarray / .zmetadata, or a YAML
 * document starting with "format:" (dtree-manifest/1). */
int dt__io_detect(dt_format *out, const char *path);

/* Backends. Each one reads the whole metadata (or what it needs), adds
 * groups, dims, variables (with lazy sources) and attributes through the
 * public API between dt__tree_begin_load and dt__tree_end_load. */
int dt__yaml_open(dt_tree **out, const char *path, const dt_open_opts *opts);
/* The same on a document in memory (len bytes); name appears in messages. */
int dt__yaml_open_mem(dt_tree **out, const char *name, const char *text, size_t len,
                      const dt_open_opts *opts);
int dt__hdf5_open(dt_tree **out, const char *path, const dt_open_opts *opts);
/* The same on a whole HDF5 file held in memory (len bytes at image, copied
 * by HDF5's core driver; fuzzing and tests); name appears in messages. */
int dt__hdf5_open_image(dt_tree **out, const char *name, const void *image, size_t len,
                        const dt_open_opts *opts);
/* Zarr v2 and v3 directory stores (fmt: DT_FORMAT_ZARR2 or ZARR3). */
int dt__zarr_open(dt_tree **out, const char *path, dt_format fmt,
                  const dt_open_opts *opts);
/* The same over any store (src/store/store.h), which the tree takes over,
 * also on failure; fmt DT_FORMAT_AUTO: zarr.json means v3, .zgroup,
 * .zarray or .zmetadata v2. The store's name is the tree's source. */
struct dt__store;
int dt__zarr_open_store(dt_tree **out, struct dt__store *store, dt_format fmt,
                        const dt_open_opts *opts);

/* Writers. */
int dt__yaml_write(const dt_tree *tree, const char *path,
                   const dt_write_opts *opts);
int dt__hdf5_write(const dt_tree *tree, const char *path,
                   const dt_write_opts *opts);
/* Zarr v2 or v3 directory store (fmt DT_FORMAT_ZARR2 or ZARR3). */
int dt__zarr_write(const dt_tree *tree, const char *path, dt_format fmt,
                   const dt_write_opts *opts);

/* ---- atomic replacement of a target file (io.c) ---- */

/* A write goes to a temporary file beside the target, named
 * "TARGET.tmp-PID-XXXXXX", which is flushed to disk and renamed over the
 * target only when everything succeeded; on failure it is removed, and one
 * left by a killed process is removed by the next write of that target. */
typedef struct dt__atomic {
    char *path;   /* the target */
    char *tmp;    /* the temporary file (exists between begin and end) */
    int force;    /* an existing target may be replaced */
} dt__atomic;

/* Refuse an existing target unless force (DT_EEXIST), remove stale
 * temporary files of dead writers, and create the temporary file (empty,
 * closed). */
int dt__atomic_begin(dt__atomic *a, const char *path, int force);
/* fsync the temporary file, move it to the target (without force: only if
 * the target still does not exist), fsync the directory. On failure the
 * temporary file is removed and the target is as it was. */
int dt__atomic_commit(dt__atomic *a);
/* Remove the temporary file (after a failure); frees a. */
void dt__atomic_end(dt__atomic *a);

/* Test hook for fail-the-Nth-write loops: the countdown-th I/O step of a
 * writer from now fails as a full disk would (-1: never). Steps are the
 * writers' data and metadata writes, fsync and rename. Process-wide. */
void dt__io_fail_after(long countdown);
/* A writer's I/O step: 1 (with DT_EIO set naming `what`) when the
 * countdown says this one fails. */
int dt__io_fault(const char *file, const char *what);
/* Steps counted since the last dt__io_fail_after (for tests). */
long dt__io_steps(void);
/* The folder of path ("." when it has none); owned. */
char *dt__dir_of(const char *path);
/* 1 while the process that wrote a temporary file (its pid in the name)
 * may still write: it exists and is not a zombie. */
int dt__writer_alive(long pid);
/* 1 when n is anc or below it. */
int dt__node_within(const dt_node *anc, const dt_node *n);
/* The errno an injected failure reports (ENOSPC until changed). */
void dt__io_fail_errno(int err);

/* The lazy source behind a variable (NULL ops: data in memory, or none). */
void dt__var_source(const dt_var *var, const dt_source_ops **ops, void **ctx);

/* ---- hooks for readers (implemented in src/model/tree.c) ---- */

/* Start bulk loading into a new tree: cross-group alignment checks are
 * deferred until dt__tree_end_load, which applies opts->align (strict: the
 * first violation fails; relaxed: offending groups are cut off) and
 * deduplicates child copies of inherited index coordinates unless
 * opts->keep_layout. Records the format and the source path. */
int dt__tree_begin_load(dt_tree *tree, const dt_open_opts *opts,
                        dt_format fmt, const char *source);
int dt__tree_end_load(dt_tree *tree);
/* The tree owns a backend object (an open file) that its lazy sources share;
 * free_fn runs after every variable and its source are gone. */
void dt__tree_set_backend(dt_tree *tree, void *backend,
                          void (*free_fn)(void *backend));
/* The limits the tree was opened with (defaults for a new tree). */
const dt_limits *dt__tree_limits(const dt_tree *tree);
/* Make a group lazy: its dims, variables, attributes and children are added
 * by load(node, ctx) on first use (under the tree's lock, with checks
 * deferred as during a load); the group is then checked against its
 * ancestors. free_ctx(ctx) runs when the group goes. */
void dt__node_set_loader(dt_node *node, int (*load)(dt_node *node, void *ctx),
                         void *ctx, void (*free_ctx)(void *ctx));
/* The inner chunk shape of a sharded Zarr v3 array (its chunks are the
 * shards); ndim values, or NULL to clear. */
int dt__var_set_inner_chunks(dt_var *var, const uint64_t *inner);
const uint64_t *dt__var_inner_chunks(const dt_var *var);
/* Note how the file links to a variable (dt_var_link); NULL clears. */
int dt__var_set_link(dt_var *var, const char *text);
/* Set a reserved attribute anyway (readers keep e.g. _FillValue as it is). */
int dt__attrs_set_raw(dt_attrs *attrs, const char *name, dt_type type,
                      size_t n, const void *vals, unsigned flags);

/* Give an attribute a multi-dimensional shape (HDF5 allows them; netCDF and
 * Zarr do not): its values are then that array in C order. */
int dt__attr_set_shape(dt_attrs *attrs, const char *name, size_t ndim,
                       const uint64_t *shape);

#endif /* DT_IO_H */
