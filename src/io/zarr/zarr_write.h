/* zarr_write.h: what the files of the Zarr writer share. */
#ifndef DT_ZARR_WRITE_H
#define DT_ZARR_WRITE_H

#include "io/io.h"
#include "util.h"

/* ---- zarr_wdir.c: the new store beside the target, moved in at the end ---- */

typedef struct dt__zdir {
    char *path;   /* the target store */
    char *tmp;    /* "TARGET.tmp-PID-XXXXXX" while it exists */
    int force;
} dt__zdir;

/* Put back a store a killed writer had moved aside, remove leftovers of
 * dead writers (temporary stores, old stores moved aside). */
void dt__zdir_repair(const char *path);
/* Repair, refuse an existing target unless force (DT_EEXIST), create the
 * temporary directory. */
int dt__zdir_begin(dt__zdir *z, const char *path, int force);
/* Flush the new store, move it in place (with force, replacing the old one,
 * which stays intact until the new one is complete and in place). */
int dt__zdir_commit(dt__zdir *z);
/* Remove the temporary directory if it is still there; frees z. */
void dt__zdir_end(dt__zdir *z);
/* Remove a directory tree (symlinks removed, never followed). */
int dt__zdir_remove_tree(const char *path);

#endif /* DT_ZARR_WRITE_H */
