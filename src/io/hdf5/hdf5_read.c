/* hdf5_read.c: open an HDF5 or netCDF-4 file as a tree the way netCDF-C
 * reads it: groups, dimension scales and phony dimensions, variables and
 * attributes; the data stays in the file behind lazy sources. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hdf5_internal.h"

/* netcdf4-on-hdf5.md 3.1: placeholder scales of dimensions without a
 * variable, recognised by the start of their NAME; and the prefix of
 * variables named like a dimension they do not use. */
#define DIM_ONLY "This is a netCDF dimension but not a netCDF variable"
#define NON_COORD "_nc4_non_coord_"

/* Groups and datasets listed from one file, and groups reached again
 * through another link: hard links let a small file reach the same objects
 * exponentially often. */
#define MAX_OBJECTS ((size_t)1 << 20)
#define MAX_REVISITS 4096

#define NONE SIZE_MAX

/* ------------------------------------------------------------------------ */
/* The library lock, errors, object identity                                */

static pthread_once_t h5_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t h5_mutex;

/* The embedding program's own HDF5 error handler, put back when our
 * outermost call leaves (guarded by the lock). */
static unsigned lock_depth;
static H5E_auto2_t saved_func;
static void *saved_data;

static void lock_taken(void)
{
    pthread_mutex_lock(&h5_mutex);
    if (lock_depth++ == 0) {
        /* per thread in a thread-safe HDF5: switch printing off for this one */
        if (H5Eget_auto2(H5E_DEFAULT, &saved_func, &saved_data) < 0)
            saved_func = NULL, saved_data = NULL;
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    }
}

static void h5_setup(void)
{
    pthread_mutexattr_t a;

    /* recursive: a tree's end of load may read variables through our
     * sources while the open still holds the lock */
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&h5_mutex, &a);
    pthread_mutexattr_destroy(&a);
    H5open();
    lock_taken();
    dt__h5_filters_register();
    dt__h5_unlock();
}

void dt__h5_lock(void)
{
    pthread_once(&h5_once, h5_setup);
    lock_taken();
}

void dt__h5_unlock(void)
{
    if (--lock_depth == 0)
        H5Eset_auto2(H5E_DEFAULT, saved_func, saved_data);
    pthread_mutex_unlock(&h5_mutex);
}

typedef struct err_walk {
    char *buf;
    size_t size;
} err_walk;

/* Walked from the API call down: the last entry is where HDF5 found the
 * fault, the most precise words it has. */
static herr_t err_visit(unsigned n, const H5E_error2_t *e, void *ud)
{
    err_walk *w = ud;
    char minor[256];

    (void)n;
    if (e->desc && e->desc[0])
        snprintf(w->buf, w->size, "%s", e->desc);
    else if (H5Eget_msg(e->min_num, NULL, minor, sizeof minor) > 0)
        snprintf(w->buf, w->size, "%s", minor);
    return 0;
}

void dt__h5_err_text(char *buf, size_t size)
{
    char scratch[16];
    err_walk w = {buf ? buf : scratch, buf ? size : sizeof scratch};

    if (w.size)
        w.buf[0] = '\0';
    if (buf)
        H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, err_visit, &w);
    H5Eclear2(H5E_DEFAULT);
}

int dt__h5_fail(int code, const char *file, const char *path,
                const char *fmt, ...)
{
    char hmsg[512], what[1024];
    va_list ap;

    dt__h5_err_text(hmsg, sizeof hmsg);
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (hmsg[0])
        return dt__fail_at(code, file, path, "%s: %s", what, hmsg);
    return dt__fail_at(code, file, path, "%s", what);
}

#if H5_VERSION_GE(1, 12, 0)
typedef H5L_info2_t link_info;
#define get_link_info(loc, name, li, lapl) H5Lget_info2((loc), (name), (li), (lapl))
typedef H5O_info2_t obj_info;
#define get_info(obj, info, fields) H5Oget_info3((obj), (info), (fields))
#define get_info_by_name(loc, name, info, lapl) \
    H5Oget_info_by_name3((loc), (name), (info), H5O_INFO_BASIC, (lapl))
static void info_key(dt__h5key *k, const obj_info *oi)
{
    memset(k, 0, sizeof *k);
    k->fileno = oi->fileno;
    memcpy(k->token, &oi->token, sizeof oi->token < sizeof k->token
                                     ? sizeof oi->token : sizeof k->token);
}
#else
typedef H5L_info_t link_info;
#define get_link_info(loc, name, li, lapl) H5Lget_info((loc), (name), (li), (lapl))
typedef H5O_info_t obj_info;
#define get_info(obj, info, fields) H5Oget_info2((obj), (info), (fields))
#define get_info_by_name(loc, name, info, lapl) \
    H5Oget_info_by_name2((loc), (name), (info), H5O_INFO_BASIC, (lapl))
static void info_key(dt__h5key *k, const obj_info *oi)
{
    memset(k, 0, sizeof *k);
    k->fileno = oi->fileno;
    memcpy(k->token, &oi->addr, sizeof oi->addr);
}
#endif

int dt__h5_key(dt__h5key *out, hid_t obj)
{
    obj_info oi;

    if (get_info(obj, &oi, H5O_INFO_BASIC) < 0)
        return -1;
    info_key(out, &oi);
    return 0;
}

int dt__h5_key_eq(const dt__h5key *a, const dt__h5key *b)
{
    return a->fileno == b->fileno && memcmp(a->token, b->token, sizeof a->token) == 0;
}

/* ------------------------------------------------------------------------ */
/* The open file                                                            */

static void file_free(void *p)
{
    dt__h5file *f = p;

    if (!f)
        return;
    dt__h5_lock();
    if (f->dapl >= 0)
        H5Pclose(f->dapl);
    if (f->lapl >= 0)
        H5Pclose(f->lapl);
    if (f->fid >= 0)
        H5Fclose(f->fid);
    dt__h5_err_text(NULL, 0);
    dt__h5_unlock();
    dt__pool_free(f->pool);
    free(f->path);
    free(f->dir);
    free(f);
}

static int file_open(dt__h5file **out, const char *path, const dt_open_opts *opts)
{
    dt__h5file *f;
    struct stat st;
    const char *slash;
    int rc = DT_OK;

    *out = NULL;
    if (stat(path, &st) != 0) {
        char eb[128] = "";

        strerror_r(errno, eb, sizeof eb);
        return dt__fail_at(errno == ENOENT ? DT_ENOTFOUND : DT_EIO, path, NULL,
                           "cannot open: %s", eb);
    }
    if (S_ISDIR(st.st_mode))
        return dt__fail_at(DT_EFORMAT, path, NULL,
                           "is a directory, not an HDF5 file");
    f = dt__calloc(1, sizeof *f);
    if (!f)
        return DT_ENOMEM;
    f->fid = f->dapl = f->lapl = H5I_INVALID_HID;
    f->limits = opts->limits;
    f->threads = opts->threads;
    f->path = dt__strdup(path);
    slash = strrchr(path, '/');
    f->dir = slash ? dt__strndup(path, slash == path ? 1 : (size_t)(slash - path))
                   : dt__strdup(".");
    if (!f->path || !f->dir) {
        file_free(f);
        return DT_ENOMEM;
    }
    f->fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f->fid < 0) {
        rc = dt__h5_fail(DT_EFORMAT, path, NULL,
                         "cannot open as an HDF5 file");
        file_free(f);
        return rc;
    }
    /* FORMAT.md: external links and external raw data are looked up beside
     * the file, not in the current directory (HDF5's default). */
    f->lapl = H5Pcreate(H5P_GROUP_ACCESS);
    f->dapl = H5Pcreate(H5P_DATASET_ACCESS);
    if (f->lapl < 0 || f->dapl < 0 || H5Pset_elink_prefix(f->lapl, f->dir) < 0 ||
        H5Pset_elink_prefix(f->dapl, f->dir) < 0 ||
        H5Pset_efile_prefix(f->dapl, f->dir) < 0) {
        rc = dt__h5_fail(DT_ERROR, path, NULL, "cannot set up HDF5 access");
        file_free(f);
        return rc;
    }
    *out = f;
    return DT_OK;
}

/* ------------------------------------------------------------------------ */
/* What the walk collects                                                   */

typedef struct rdim {
    char *name;
    uint64_t size;
    int unlimited;
} rdim;

typedef struct rgroup {
    char *path;             /* "/" or "/a/b" */
    char *name;             /* "" for the root */
    size_t parent;          /* NONE for the root */
    size_t depth;
    size_t first_child, next_sibling;
    size_t d_first, d_count; /* its datasets in reader.d, in link order */
    hid_t gid;
    dt__h5key key;
    rdim *dims;             /* declared here: scales first, then phony */
    size_t ndims, capdims;
    struct reader *r;       /* for the group's loader */
} rgroup;

typedef struct rdset {
    size_t grp;
    char *link;             /* link name in its group */
    hid_t did;              /* moves to the variable's source */
    dt__h5key key;
    int rank;
    hsize_t *ext, *max;
    int is_scale, dim_only;
    size_t *ax_grp, *ax_dim; /* per axis: the group declaring its dim, and
                                the dim's index there */
    char *note;             /* soft / external / shared hard link, for ls */
} rdset;

typedef struct rscale {     /* a scale dataset and the dim it declares */
    dt__h5key key;
    size_t grp, dim;
} rscale;

typedef struct rdimid {     /* netCDF dimension ids (_Netcdf4Coordinates) */
    long id;
    size_t grp, dim;
} rdimid;

/* Everything the walk learnt; the tree's backend, so that each group can
 * be built when it is first used. */
typedef struct reader {
    dt__h5file *f;
    rgroup *g;
    size_t ng, capg;
    rdset *d;
    size_t nd, capd;
    rscale *sc;
    size_t nsc, capsc;
    rdimid *ids;
    size_t nids, capids;
    size_t nobjects;
    dt__h5key *seen;        /* hash set of the groups walked so far */
    size_t nseen, capseen, revisits;
    int has_scales;
    unsigned long phony_next;
    int external_links;     /* dt_open_opts.external_links */
    size_t *dset_at;        /* hash of dataset keys -> index in d */
    size_t capdset;
} reader;

static int grow(void *pp, size_t *cap, size_t n, size_t esize)
{
    void **p = pp;
    size_t nc;
    void *q;

    if (n < *cap)
        return DT_OK;
    nc = *cap ? *cap * 2 : 8;
    if (nc > SIZE_MAX / esize)
        return dt__fail(DT_ELIMIT, "too many objects");
    q = dt__realloc(*p, nc * esize);
    if (!q)
        return DT_ENOMEM;
    *p = q;
    *cap = nc;
    return DT_OK;
}

static void reader_clear(reader *r)
{
    for (size_t i = 0; i < r->ng; i++) {
        rgroup *g = &r->g[i];

        if (g->gid >= 0)
            H5Gclose(g->gid);
        for (size_t j = 0; j < g->ndims; j++)
            free(g->dims[j].name);
        free(g->dims);
        free(g->path);
        free(g->name);
    }
    for (size_t i = 0; i < r->nd; i++) {
        rdset *d = &r->d[i];

        if (d->did >= 0)
            H5Dclose(d->did);
        free(d->link);
        free(d->ext);
        free(d->max);
        free(d->ax_grp);
        free(d->ax_dim);
        free(d->note);
    }
    free(r->dset_at);
    free(r->g);
    free(r->d);
    free(r->sc);
    free(r->ids);
    free(r->seen);
    dt__h5_err_text(NULL, 0);
    memset(r, 0, sizeof *r);
}

static const char *var_name(const char *link)
{
    size_t n = strlen(NON_COORD);

    return strncmp(link, NON_COORD, n) == 0 && link[n] ? link + n : link;
}

static char *child_path(const char *parent, const char *name)
{
    return dt__aprintf("%s/%s", strcmp(parent, "/") == 0 ? "" : parent, name);
}

static int is_ancestor_or_self(const reader *r, size_t anc, size_t g)
{
    for (; g != NONE; g = r->g[g].parent) {
        if (g == anc)
            return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Walk                                                                     */

static size_t key_hash(const dt__h5key *k)
{
    uint64_t h = 1469598103934665603u ^ k->fileno;

    for (size_t i = 0; i < sizeof k->token; i++)
        h = (h ^ k->token[i]) * 1099511628211u;
    return (size_t)h;
}

static int key_empty(const dt__h5key *k)
{
    static const dt__h5key zero;

    return memcmp(k, &zero, sizeof zero) == 0;
}

/* Record a group object; *again is set when it was walked before (reached
 * through another hard or soft link). */
static int seen_add(reader *r, const dt__h5key *key, int *again)
{
    size_t i;

    *again = 0;
    if (2 * (r->nseen + 1) > r->capseen) {
        size_t cap = r->capseen ? r->capseen * 2 : 64;
        dt__h5key *old = r->seen, *tab = dt__calloc(cap, sizeof *tab);

        if (!tab)
            return DT_ENOMEM;
        for (size_t j = 0; j < r->capseen; j++) {
            if (key_empty(&old[j]))
                continue;
            for (i = key_hash(&old[j]) & (cap - 1); !key_empty(&tab[i]);
                 i = (i + 1) & (cap - 1))
                ;
            tab[i] = old[j];
        }
        free(old);
        r->seen = tab;
        r->capseen = cap;
    }
    for (i = key_hash(key) & (r->capseen - 1); !key_empty(&r->seen[i]);
         i = (i + 1) & (r->capseen - 1)) {
        if (dt__h5_key_eq(&r->seen[i], key)) {
            *again = 1;
            return DT_OK;
        }
    }
    r->seen[i] = *key;
    r->nseen++;
    return DT_OK;
}

/* The dataset first reached at this object address, or NONE; records
 * index di for it otherwise. A second hard link to a dataset is listed
 * under its own path too (FORMAT.md), with a note naming the first. */
static int dset_first(reader *r, size_t di, size_t *first)
{
    size_t mask, h;

    *first = NONE;
    if (2 * (r->nd + 1) > r->capdset) {
        size_t cap = r->capdset ? r->capdset * 2 : 64, *tab;

        tab = dt__malloc(cap * sizeof *tab);
        if (!tab)
            return DT_ENOMEM;
        for (size_t j = 0; j < cap; j++)
            tab[j] = NONE;
        for (size_t j = 0; j < r->capdset; j++) {
            size_t k = r->dset_at[j];

            if (k == NONE)
                continue;
            for (h = key_hash(&r->d[k].key) & (cap - 1); tab[h] != NONE; h = (h + 1) & (cap - 1))
                ;
            tab[h] = k;
        }
        free(r->dset_at);
        r->dset_at = tab;
        r->capdset = cap;
    }
    mask = r->capdset - 1;
    for (h = key_hash(&r->d[di].key) & mask; r->dset_at[h] != NONE; h = (h + 1) & mask) {
        if (dt__h5_key_eq(&r->d[r->dset_at[h]].key, &r->d[di].key)) {
            *first = r->dset_at[h];
            return DT_OK;
        }
    }
    r->dset_at[h] = di;
    return DT_OK;
}

/* The note of a soft or external link ("soft link to /a/b"), or NULL. */
static char *link_note(hid_t gid, const char *name, const link_info *li, hid_t lapl)
{
    char *val, *note = NULL;
    const char *file = NULL, *obj = NULL;
    size_t n = li->u.val_size;

    if (li->type != H5L_TYPE_SOFT && li->type != H5L_TYPE_EXTERNAL)
        return NULL;
    if (n == 0 || n > 65536)
        return NULL;
    val = dt__malloc(n + 1);
    if (!val)
        return NULL;
    if (H5Lget_val(gid, name, val, n, lapl) < 0) {
        free(val);
        return NULL;
    }
    val[n] = '\0';
    if (li->type == H5L_TYPE_SOFT) {
        note = dt__aprintf("soft link to %s", val);
    } else if (H5Lunpack_elink_val(val, n, NULL, &file, &obj) >= 0) {
        note = dt__aprintf("external link to %s:%s", file, obj);
    }
    free(val);
    return note;
}

static int add_group(reader *r, size_t parent, const char *name, hid_t gid,
                     const dt__h5key *key, size_t *out)
{
    rgroup *g;
    int rc = grow(&r->g, &r->capg, r->ng, sizeof *r->g);

    if (rc < 0) {
        H5Gclose(gid);
        return rc;
    }
    g = &r->g[r->ng];
    memset(g, 0, sizeof *g);
    g->gid = gid;
    g->key = *key;
    g->parent = parent;
    g->first_child = g->next_sibling = NONE;
    g->depth = parent == NONE ? 0 : r->g[parent].depth + 1;
    g->name = dt__strdup(name);
    g->path = parent == NONE ? dt__strdup("/") : child_path(r->g[parent].path, name);
    *out = r->ng++;
    if (!g->name || !g->path)
        return DT_ENOMEM;
    if (parent != NONE) {
        size_t *link = &r->g[parent].first_child;

        while (*link != NONE)
            link = &r->g[*link].next_sibling;
        *link = *out;
    }
    if (g->depth > r->f->limits.max_depth)
        return dt__fail_at(DT_ELIMIT, r->f->path, g->path,
                           "groups nest %zu deep, the limit is %" PRIu32,
                           g->depth, r->f->limits.max_depth);
    return DT_OK;
}

static int add_dataset(reader *r, size_t gi, const char *name, hid_t did)
{
    const char *gpath = r->g[gi].path;
    hid_t space = H5Dget_space(did);
    H5S_class_t sc = space >= 0 ? H5Sget_simple_extent_type(space) : H5S_NO_CLASS;
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    char *cls = NULL, *nm = NULL, *path = NULL;
    rdset *d;
    int rc;

    if (sc == H5S_NULL) {
        /* netcdf4-on-hdf5.md 10.3: a null dataspace holds nothing to list;
         * as a scale it declares a dimension of length 0 (h5netcdf #204) */
        cls = dt__h5_attr_string(did, "CLASS");
        if (!cls || strcmp(cls, "DIMENSION_SCALE") != 0) {
            free(cls);
            H5Sclose(space);
            H5Dclose(did);
            return DT_OK;
        }
        free(cls);
        cls = NULL;
        rank = 0;
    }
    path = child_path(gpath, name);
    if (space < 0 || rank < 0 || sc == H5S_NO_CLASS) {
        rc = dt__h5_fail(DT_EFORMAT, r->f->path, path, "unreadable dataspace");
        goto out;
    }
    if ((uint64_t)rank > r->f->limits.max_rank) {
        rc = dt__fail_at(DT_ELIMIT, r->f->path, path,
                         "%d dimensions, the limit is %" PRIu32, rank,
                         r->f->limits.max_rank);
        goto out;
    }
    rc = grow(&r->d, &r->capd, r->nd, sizeof *r->d);
    if (rc < 0)
        goto out;
    d = &r->d[r->nd];
    memset(d, 0, sizeof *d);
    d->grp = gi;
    d->did = did;
    d->rank = rank;
    r->nd++;
    did = H5I_INVALID_HID;
    d->link = dt__strdup(name);
    d->ext = dt__calloc((size_t)rank + 1, sizeof *d->ext);
    d->max = dt__calloc((size_t)rank + 1, sizeof *d->max);
    d->ax_grp = dt__calloc((size_t)rank + 1, sizeof *d->ax_grp);
    d->ax_dim = dt__calloc((size_t)rank + 1, sizeof *d->ax_dim);
    if (!d->link || !d->ext || !d->max || !d->ax_grp || !d->ax_dim) {
        rc = DT_ENOMEM;
        goto out;
    }
    for (int i = 0; i < rank; i++)
        d->ax_grp[i] = d->ax_dim[i] = NONE;
    if ((rank > 0 && H5Sget_simple_extent_dims(space, d->ext, d->max) < 0) ||
        dt__h5_key(&d->key, d->did) < 0) {
        rc = dt__h5_fail(DT_EFORMAT, r->f->path, path, "unreadable dataset");
        goto out;
    }
    cls = dt__h5_attr_string(d->did, "CLASS");
    d->is_scale = cls && strcmp(cls, "DIMENSION_SCALE") == 0;
    if (d->is_scale) {
        nm = dt__h5_attr_string(d->did, "NAME");
        d->dim_only = sc == H5S_NULL ||
                      (nm && strncmp(nm, DIM_ONLY, strlen(DIM_ONLY)) == 0);
        r->has_scales = 1;
    }
    rc = DT_OK;
out:
    if (did >= 0)
        H5Dclose(did);
    if (space >= 0)
        H5Sclose(space);
    free(cls);
    free(nm);
    free(path);
    return rc;
}

void dt__h5_names_free(dt__h5names *nl)
{
    for (size_t i = 0; i < nl->n; i++)
        free(nl->names[i]);
    free(nl->names);
    memset(nl, 0, sizeof *nl);
}

int dt__h5_names_add(dt__h5names *nl, const char *name)
{
    char *copy;

    if (nl->n == nl->cap) {
        size_t cap = nl->cap ? nl->cap * 2 : 16;
        char **p = dt__realloc(nl->names, cap * sizeof *p);

        if (!p)
            return -1;
        nl->names = p;
        nl->cap = cap;
    }
    copy = dt__strdup(name);
    if (!copy)
        return -1;
    nl->names[nl->n++] = copy;
    return 0;
}

#if H5_VERSION_GE(1, 12, 0)
static herr_t collect_link(hid_t g, const char *name, const H5L_info2_t *li,
                           void *ud)
#else
static herr_t collect_link(hid_t g, const char *name, const H5L_info_t *li,
                           void *ud)
#endif
{
    (void)g;
    (void)li;
    return dt__h5_names_add(ud, name) < 0 ? -1 : 0;
}

/* The group's link names in creation order when tracked, else by name
 * (netcdf4-on-hdf5.md 2). One pass of HDF5's iterator: asking for names by
 * index rebuilds the link table on every call. */
static int list_links(dt__h5names *nl, hid_t gid)
{
    H5_index_t idx = H5_INDEX_NAME;
    hid_t gcpl = H5Gget_create_plist(gid);
    unsigned crt = 0;
    hsize_t pos = 0;
    herr_t st;

    if (gcpl >= 0) {
        if (H5Pget_link_creation_order(gcpl, &crt) >= 0 &&
            (crt & H5P_CRT_ORDER_TRACKED))
            idx = H5_INDEX_CRT_ORDER;
        H5Pclose(gcpl);
    }
#if H5_VERSION_GE(1, 12, 0)
    st = H5Literate2(gid, idx, H5_ITER_INC, &pos, collect_link, nl);
#else
    st = H5Literate(gid, idx, H5_ITER_INC, &pos, collect_link, nl);
#endif
    if (st < 0 && idx == H5_INDEX_CRT_ORDER && dt_error_last()->code != DT_ENOMEM) {
        /* tracked but not indexed: name order */
        dt__h5_err_text(NULL, 0);
        dt__h5_names_free(nl);
        pos = 0;
#if H5_VERSION_GE(1, 12, 0)
        st = H5Literate2(gid, H5_INDEX_NAME, H5_ITER_INC, &pos, collect_link, nl);
#else
        st = H5Literate(gid, H5_INDEX_NAME, H5_ITER_INC, &pos, collect_link, nl);
#endif
    }
    return st < 0 ? -1 : 0;
}

typedef struct pending {    /* a child group met in the link loop */
    char *name;
    hid_t gid;
    dt__h5key key;
} pending;

/* One link of group gi: a dataset is recorded now, a group queued so that
 * the group's datasets come before its children (netCDF-C's order, which
 * assigns dimension ids). */
static int visit_link(reader *r, size_t gi, const char *name, pending **kids,
                      size_t *nkids, size_t *capkids)
{
    hid_t gid = r->g[gi].gid;
    link_info li;
    obj_info oi;
    dt__h5key key;
    char *path = NULL;
    int rc = DT_OK;

    if (get_link_info(gid, name, &li, r->f->lapl) < 0) {
        path = child_path(r->g[gi].path, name);
        rc = dt__h5_fail(DT_EFORMAT, r->f->path, path, "unreadable link");
        free(path);
        return rc;
    }
    if (get_info_by_name(gid, name, &oi, r->f->lapl) < 0) {
        if (li.type != H5L_TYPE_HARD) {
            /* FORMAT.md: a dangling soft or external link is not listed */
            dt__h5_err_text(NULL, 0);
            return DT_OK;
        }
        path = child_path(r->g[gi].path, name);
        rc = dt__h5_fail(DT_EFORMAT, r->f->path, path, "cannot open the object");
        free(path);
        return rc;
    }
    if (++r->nobjects > MAX_OBJECTS) {
        path = child_path(r->g[gi].path, name);
        rc = dt__fail_at(DT_ELIMIT, r->f->path, path,
                         "more than %zu objects reachable through links",
                         MAX_OBJECTS);
        free(path);
        return rc;
    }
    if (li.type == H5L_TYPE_EXTERNAL && !r->external_links) {
        char *note = link_note(gid, name, &li, r->f->lapl);

        path = child_path(r->g[gi].path, name);
        rc = dt__fail_at(DT_EUNSUPPORTED, r->f->path, path,
                         "%s: external links are followed only when asked "
                         "(dt_open_opts.external_links; dtree follows them unless "
                         "--no-external-links)", note ? note : "an external link");
        free(note);
        free(path);
        return rc;
    }
    info_key(&key, &oi);
    if (oi.type == H5O_TYPE_GROUP) {
        hid_t cg;
        int again;

        /* a link back to an enclosing group would recurse forever */
        for (size_t a = gi; a != NONE; a = r->g[a].parent) {
            if (dt__h5_key_eq(&r->g[a].key, &key))
                return DT_OK;
        }
        rc = seen_add(r, &key, &again);
        if (rc < 0)
            return rc;
        if (again && ++r->revisits > MAX_REVISITS) {
            path = child_path(r->g[gi].path, name);
            rc = dt__fail_at(DT_ELIMIT, r->f->path, path,
                             "groups are reached through more than %d extra "
                             "links", MAX_REVISITS);
            free(path);
            return rc;
        }
        cg = H5Gopen2(gid, name, r->f->lapl);
        if (cg < 0) {
            path = child_path(r->g[gi].path, name);
            rc = dt__h5_fail(DT_EFORMAT, r->f->path, path, "cannot open the group");
            free(path);
            return rc;
        }
        rc = grow(kids, capkids, *nkids, sizeof **kids);
        if (rc == DT_OK) {
            (*kids)[*nkids].name = dt__strdup(name);
            (*kids)[*nkids].gid = cg;
            (*kids)[*nkids].key = key;
            if (!(*kids)[*nkids].name)
                rc = DT_ENOMEM;
            (*nkids)++;
        } else {
            H5Gclose(cg);
        }
        return rc;
    }
    if (oi.type == H5O_TYPE_DATASET) {
        hid_t did = H5Dopen2(gid, name, r->f->dapl);

        if (did < 0) {
            path = child_path(r->g[gi].path, name);
            rc = dt__h5_fail(DT_EFORMAT, r->f->path, path,
                             "cannot open the dataset");
            free(path);
            return rc;
        }
        rc = add_dataset(r, gi, name, did);
        if (rc == DT_OK && r->nd > 0 && r->d[r->nd - 1].grp == gi &&
            r->d[r->nd - 1].link && strcmp(r->d[r->nd - 1].link, name) == 0) {
            rdset *d = &r->d[r->nd - 1];
            size_t first;

            /* soft and external links are named as such; among hard links
             * the first one met is the dataset's own path */
            d->note = link_note(gid, name, &li, r->f->lapl);
            first = NONE;
            if (li.type == H5L_TYPE_HARD)
                rc = dset_first(r, r->nd - 1, &first);
            if (rc == DT_OK && !d->note && first != NONE) {
                char *fp = child_path(r->g[r->d[first].grp].path, var_name(r->d[first].link));

                d->note = fp ? dt__aprintf("hard link: same data as %s", fp) : NULL;
                free(fp);
            }
        }
        return rc;
    }
    return DT_OK; /* named datatypes are types, not data */
}

static int walk_group(reader *r, size_t gi)
{
    dt__h5names nl = {NULL, 0, 0};
    pending *kids = NULL;
    size_t nkids = 0, capkids = 0;
    int rc = DT_OK;

    dt_error_clear();
    if (list_links(&nl, r->g[gi].gid) < 0) {
        rc = dt_error_last()->code == DT_ENOMEM
                 ? DT_ENOMEM
                 : dt__h5_fail(DT_EFORMAT, r->f->path, r->g[gi].path,
                               "cannot list the group");
        dt__h5_names_free(&nl);
        return rc;
    }
    r->g[gi].d_first = r->nd;
    for (size_t i = 0; i < nl.n && rc == DT_OK; i++)
        rc = visit_link(r, gi, nl.names[i], &kids, &nkids, &capkids);
    dt__h5_names_free(&nl);
    r->g[gi].d_count = r->nd - r->g[gi].d_first;
    for (size_t k = 0; k < nkids; k++) {
        size_t ci;

        if (rc == DT_OK) {
            rc = add_group(r, gi, kids[k].name, kids[k].gid, &kids[k].key, &ci);
            if (rc == DT_OK)
                rc = walk_group(r, ci);
        } else {
            H5Gclose(kids[k].gid);
        }
        free(kids[k].name);
    }
    free(kids);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Dimensions                                                               */

static size_t find_dim(const rgroup *g, const char *name)
{
    for (size_t j = 0; j < g->ndims; j++) {
        if (strcmp(g->dims[j].name, name) == 0)
            return j;
    }
    return NONE;
}

static int add_dim(rgroup *g, const char *name, uint64_t size, int unlimited,
                   size_t *out)
{
    int rc = grow(&g->dims, &g->capdims, g->ndims, sizeof *g->dims);

    if (rc < 0)
        return rc;
    g->dims[g->ndims].name = dt__strdup(name);
    if (!g->dims[g->ndims].name)
        return DT_ENOMEM;
    g->dims[g->ndims].size = size;
    g->dims[g->ndims].unlimited = unlimited;
    *out = g->ndims++;
    return DT_OK;
}

/* Every scale declares a dim in its group, named after the dataset (minus
 * the non-coordinate prefix), with the scale's first axis as its length.
 * Ids follow netCDF-C: _Netcdf4Dimid when present, else the next free one
 * in traversal order. */
static int declare_scales(reader *r)
{
    long next_id = 0;
    int rc;

    for (size_t i = 0; i < r->nd; i++) {
        rdset *d = &r->d[i];
        rgroup *g = &r->g[d->grp];
        const char *dname = var_name(d->link);
        uint64_t size = d->rank > 0 ? d->ext[0] : 0;
        int unl = d->rank > 0 && d->max[0] == H5S_UNLIMITED;
        size_t j = find_dim(g, dname);
        int v;

        if (!d->is_scale)
            continue;
        if (j == NONE) {
            rc = add_dim(g, dname, size, unl, &j);
            if (rc < 0)
                return rc;
        } else {
            g->dims[j].size = size;
            g->dims[j].unlimited = unl;
        }
        rc = grow(&r->sc, &r->capsc, r->nsc, sizeof *r->sc);
        if (rc < 0)
            return rc;
        r->sc[r->nsc].key = d->key;
        r->sc[r->nsc].grp = d->grp;
        r->sc[r->nsc].dim = j;
        r->nsc++;
        rc = grow(&r->ids, &r->capids, r->nids, sizeof *r->ids);
        if (rc < 0)
            return rc;
        if (dt__h5_attr_read(d->did, "_Netcdf4Dimid", H5T_NATIVE_INT, &v, 1,
                             64) >= 1) {
            r->ids[r->nids].id = v;
            if (v >= next_id)
                next_id = (long)v + 1;
        } else {
            r->ids[r->nids].id = next_id++;
        }
        r->ids[r->nids].grp = d->grp;
        r->ids[r->nids].dim = j;
        r->nids++;
    }
    for (size_t i = 0; i < r->ng; i++)
        r->phony_next += r->g[i].ndims;
    return DT_OK;
}

/* The scale of key as seen from group gi: the nearest ancestor's. */
static const rscale *scale_for(const reader *r, const dt__h5key *key, size_t gi)
{
    const rscale *best = NULL;

    for (size_t i = 0; i < r->nsc; i++) {
        const rscale *s = &r->sc[i];

        if (dt__h5_key_eq(&s->key, key) && is_ancestor_or_self(r, s->grp, gi) &&
            (!best || r->g[s->grp].depth > r->g[best->grp].depth))
            best = s;
    }
    return best;
}

/* Axes named by DIMENSION_LIST: per axis the first attached scale that
 * declares a dim visible from the dataset's group. A reference that cannot
 * be resolved makes the file unreadable, as for netCDF-C. */
static int resolve_dimlist(reader *r, rdset *d, const char *path)
{
    hid_t aid, space = H5I_INVALID_HID, mem = H5I_INVALID_HID;
    hssize_t np;
    hvl_t *vl = NULL;
    int rc = DT_OK, read = 0;

    if (H5Aexists(d->did, "DIMENSION_LIST") <= 0) {
        dt__h5_err_text(NULL, 0);
        return DT_OK;
    }
    aid = H5Aopen(d->did, "DIMENSION_LIST", H5P_DEFAULT);
    if (aid >= 0)
        space = H5Aget_space(aid);
    np = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    if (aid < 0 || np < 0 || np > H5S_MAX_RANK) {
        rc = dt__h5_fail(DT_EFORMAT, r->f->path, path, "unreadable DIMENSION_LIST");
        goto out;
    }
    mem = H5Tvlen_create(H5T_STD_REF_OBJ);
    vl = dt__calloc((size_t)np + 1, sizeof *vl);
    if (!vl) {
        rc = DT_ENOMEM;
        goto out;
    }
    if (mem < 0 || (np > 0 && H5Aread(aid, mem, vl) < 0)) {
        rc = dt__h5_fail(DT_EFORMAT, r->f->path, path, "unreadable DIMENSION_LIST");
        goto out;
    }
    read = np > 0;
    for (int ax = 0; ax < d->rank && ax < np && rc == DT_OK; ax++) {
        const hobj_ref_t *refs = vl[ax].p;

        for (size_t k = 0; refs && k < vl[ax].len; k++) {
            hid_t obj = H5Rdereference2(d->did, r->f->dapl, H5R_OBJECT, &refs[k]);
            dt__h5key key;
            const rscale *s;
            int ok;

            if (obj < 0) {
                rc = dt__h5_fail(DT_EFORMAT, r->f->path, path,
                                 "the dimension scale of axis %d cannot be "
                                 "resolved", ax);
                break;
            }
            ok = dt__h5_key(&key, obj) == 0;
            H5Oclose(obj);
            if (!ok) {
                rc = dt__h5_fail(DT_EFORMAT, r->f->path, path,
                                 "the dimension scale of axis %d is unreadable", ax);
                break;
            }
            s = scale_for(r, &key, d->grp);
            if (s) {
                d->ax_grp[ax] = s->grp;
                d->ax_dim[ax] = s->dim;
                break;
            }
        }
    }
out:
    if (read)
        H5Dvlen_reclaim(mem, space, H5P_DEFAULT, vl);
    free(vl);
    if (mem >= 0)
        H5Tclose(mem);
    if (space >= 0)
        H5Sclose(space);
    if (aid >= 0)
        H5Aclose(aid);
    return rc;
}

static int axis_uses_name(const reader *r, const rdset *d, const char *name)
{
    for (int ax = 0; ax < d->rank; ax++) {
        if (d->ax_grp[ax] != NONE &&
            strcmp(r->g[d->ax_grp[ax]].dims[d->ax_dim[ax]].name, name) == 0)
            return 1;
    }
    return 0;
}

static int resolve_dataset(reader *r, rdset *d)
{
    char *path = child_path(r->g[d->grp].path, d->link);
    rgroup *g;
    int rc = DT_OK;

    if (!path)
        return DT_ENOMEM;
    if (d->is_scale) {
        int ids[H5S_MAX_RANK];
        long nc = dt__h5_attr_read(d->did, "_Netcdf4Coordinates", H5T_NATIVE_INT,
                                   ids, (size_t)d->rank, 4096);

        /* a multi-dimensional coordinate names its axes by dimension id */
        for (long ax = 0; ax < nc && ax < d->rank; ax++) {
            for (size_t i = 0; i < r->nids; i++) {
                if (r->ids[i].id == ids[ax] &&
                    is_ancestor_or_self(r, r->ids[i].grp, d->grp)) {
                    d->ax_grp[ax] = r->ids[i].grp;
                    d->ax_dim[ax] = r->ids[i].dim;
                }
            }
        }
        if (nc < 0 && d->rank > 0) {
            d->ax_grp[0] = d->grp;
            d->ax_dim[0] = find_dim(&r->g[d->grp], var_name(d->link));
        }
    } else {
        rc = resolve_dimlist(r, d, path);
    }
    /* FORMAT.md: the rest get phony dims of their own group, reusing one of
     * equal length and unlimitedness the dataset does not already use */
    g = &r->g[d->grp];
    for (int ax = 0; ax < d->rank && rc == DT_OK; ax++) {
        int unl = d->max[ax] == H5S_UNLIMITED;
        size_t j;
        char name[48];

        if (d->ax_grp[ax] != NONE)
            continue;
        for (j = 0; j < g->ndims; j++) {
            if (g->dims[j].size == d->ext[ax] && g->dims[j].unlimited == unl &&
                !axis_uses_name(r, d, g->dims[j].name))
                break;
        }
        if (j == g->ndims) {
            snprintf(name, sizeof name, "phony_dim_%lu", r->phony_next++);
            rc = add_dim(g, name, d->ext[ax], unl, &j);
        }
        d->ax_grp[ax] = d->grp;
        d->ax_dim[ax] = j;
    }
    free(path);
    return rc;
}

/* Child groups are numbered before their parent (netCDF-C's order). */
static int resolve_group(reader *r, size_t gi)
{
    int rc = DT_OK;

    for (size_t c = r->g[gi].first_child; c != NONE && rc == DT_OK;
         c = r->g[c].next_sibling)
        rc = resolve_group(r, c);
    for (size_t i = 0; i < r->g[gi].d_count && rc == DT_OK; i++) {
        rdset *d = &r->d[r->g[gi].d_first + i];

        if (!d->dim_only)
            rc = resolve_dataset(r, d);
    }
    return rc;
}

/* netcdf4-on-hdf5.md 3.3: an unlimited dim is as long as the longest
 * variable along it (placeholder scales are not always extended). */
static void size_unlimited(reader *r)
{
    for (size_t i = 0; i < r->nd; i++) {
        rdset *d = &r->d[i];

        if (d->dim_only)
            continue;
        for (int ax = 0; ax < d->rank; ax++) {
            rdim *dim;

            if (d->ax_grp[ax] == NONE || d->ax_dim[ax] == NONE)
                continue;
            dim = &r->g[d->ax_grp[ax]].dims[d->ax_dim[ax]];
            if (dim->unlimited && d->ext[ax] > dim->size)
                dim->size = d->ext[ax];
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Building the tree                                                        */

/* The variable's fill value (FORMAT.md): the _FillValue attribute read as
 * the variable's type, else the dataset's fill when the file sets one;
 * variable-length strings only through _FillValue. */
static int var_fill(const reader *r, const rdset *d, const dt__h5type *t,
                    hid_t dcpl, unsigned char *buf, char **str, int *has)
{
    uint32_t cls = DT_TYPE_CLASS(t->type);
    H5D_fill_value_t st;

    *has = 0;
    if (cls == DT_STRING) {
        *str = dt__h5_attr_string(d->did, "_FillValue");
        *has = *str != NULL;
        return DT_OK;
    }
    if (t->mem < 0)
        return DT_OK;
    if (dt__h5_attr_read(d->did, "_FillValue", t->mem, buf, 1,
                         r->f->limits.max_attr_bytes) >= 1) {
        *has = 1;
        return DT_OK;
    }
    /* netCDF-C lists enum fills only through _FillValue */
    if (r->f->nc4 && cls == DT_ENUM)
        return DT_OK;
    if (H5Pfill_value_defined(dcpl, &st) >= 0 && st == H5D_FILL_VALUE_USER_DEFINED &&
        H5Pget_fill_value(dcpl, t->mem, buf) >= 0)
        *has = 1;
    dt__h5_err_text(NULL, 0);
    return DT_OK;
}

/* HDF5 writes no chunk larger than a fixed dimension nor of 4 GiB or more,
 * and reads whatever the layout message claims (CVE-2018-11205): a chunk
 * shape it would not have written is damage. */
static int check_chunks(const reader *r, const rdset *d, const hsize_t *chunks,
                        size_t elem, const char *path)
{
    uint64_t bytes = elem;

    for (int ax = 0; ax < d->rank; ax++) {
        if (chunks[ax] == 0 ||
            (d->ext[ax] && d->max[ax] != H5S_UNLIMITED && chunks[ax] > d->max[ax]))
            return dt__fail_at(DT_EFORMAT, r->f->path, path,
                               "chunk length %llu on axis %d does not fit the "
                               "dimension of length %llu",
                               (unsigned long long)chunks[ax], ax,
                               (unsigned long long)d->max[ax]);
        if (dt__mul_u64(&bytes, bytes, chunks[ax]))
            bytes = UINT64_MAX;
    }
    if (bytes >= ((uint64_t)1 << 32) || bytes > r->f->limits.max_alloc)
        return dt__fail_at(DT_ELIMIT, r->f->path, path,
                           "a chunk of %" PRIu64 " bytes is over the limit", bytes);
    return DT_OK;
}

static int add_variable(reader *r, dt_node *node, size_t di)
{
    rdset *d = &r->d[di];
    rgroup *g = &r->g[d->grp];
    const char *dims[H5S_MAX_RANK];
    uint64_t shape[H5S_MAX_RANK], chunks[H5S_MAX_RANK];
    hsize_t hchunks[H5S_MAX_RANK];
    dt__h5type t = {DT_NONE, H5I_INVALID_HID, 0, 0};
    hid_t ftype = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
    unsigned char *fill = NULL;
    char *fill_str = NULL, *path = child_path(g->path, var_name(d->link));
    dt_var *var = NULL;
    int rc, has_fill = 0;

    if (!path)
        return DT_ENOMEM;
    ftype = H5Dget_type(d->did);
    dcpl = H5Dget_create_plist(d->did);
    if (ftype < 0 || dcpl < 0) {
        rc = dt__h5_fail(DT_EFORMAT, r->f->path, path, "unreadable dataset");
        goto out;
    }
    rc = dt__h5_type_map(&t, ftype);
    if (rc < 0) {
        rc = dt__err_locate(rc, r->f->path, path);
        goto out;
    }
    /* types nothing can list are left out; netCDF4-python leaves out opaque
     * variables too, and netCDF-4 files are listed as it lists them */
    if (t.type == DT_NONE || (r->f->nc4 && t.type == DT_OPAQUE))
        goto out;
    if (t.mem >= 0 && DT_TYPE_CLASS(t.type) != DT_STRING) {
        fill = dt__calloc(1, dt_type_size(t.type));
        if (!fill) {
            rc = DT_ENOMEM;
            goto out;
        }
    }
    for (int ax = 0; ax < d->rank; ax++) {
        const rdim *dim = &r->g[d->ax_grp[ax]].dims[d->ax_dim[ax]];

        dims[ax] = dim->name;
        /* netCDF's view: along an unlimited dim, reads past the dataset's
         * own extent give the fill value */
        shape[ax] = dim->unlimited ? dim->size : d->ext[ax];
    }
    rc = dt_node_add_var(&var, node, var_name(d->link), t.type,
                         (size_t)d->rank, dims, shape);
    if (rc == DT_EBADNAME) {
        dt_error_clear(); /* a name the model cannot hold: left out */
        rc = DT_OK;
        goto out;
    }
    if (rc < 0) {
        rc = dt__err_locate(rc, r->f->path, path);
        goto out;
    }
    rc = dt__h5_read_attrs(dt_var_attrs(var), d->did, r->f, path);
    if (rc == DT_OK && DT_TYPE_CLASS(t.type) == DT_ENUM)
        rc = dt__h5_enum_members(var, ftype);
    if (rc == DT_OK && t.big_endian)
        rc = dt_var_set_big_endian(var, 1);
    if (rc == DT_OK && H5Pget_layout(dcpl) == H5D_CHUNKED) {
        /* a chunked scalar is damage too (CVE-2018-11202 loops on it) */
        if (d->rank == 0 || H5Pget_chunk(dcpl, d->rank, hchunks) != d->rank) {
            rc = dt__h5_fail(DT_EFORMAT, r->f->path, path, "unreadable chunk shape");
        } else {
            rc = check_chunks(r, d, hchunks, H5Tget_size(ftype), path);
            for (int ax = 0; ax < d->rank; ax++)
                chunks[ax] = hchunks[ax];
            if (rc == DT_OK)
                rc = dt_var_set_chunks(var, chunks);
        }
    }
    if (rc == DT_OK)
        rc = dt__h5_add_codecs(var, dcpl);
    if (rc == DT_OK)
        rc = var_fill(r, d, &t, dcpl, fill, &fill_str, &has_fill);
    if (rc == DT_OK && has_fill) {
        if (t.is_bool)
            fill[0] = fill[0] != 0;
        rc = dt_var_set_fill(var, fill_str ? (const void *)&fill_str
                                           : (const void *)fill);
    }
    if (rc == DT_OK && !has_fill && t.mem >= 0 && DT_TYPE_CLASS(t.type) != DT_STRING &&
        H5Pget_fill_value(dcpl, t.mem, fill) >= 0) {
        /* no declared fill: past the extent reads what HDF5 would give */
        has_fill = 1;
    }
    dt__h5_err_text(NULL, 0);
    if (rc < 0) {
        rc = dt__err_locate(rc, r->f->path, path);
        goto out;
    }
    if (d->note)
        rc = dt__var_set_link(var, d->note);
    if (rc == DT_OK)
        rc = dt__h5_source_attach(var, r->f, d->did, &t,
                              fill_str ? (const void *)&fill_str
                              : has_fill ? (const void *)fill : NULL);
    d->did = H5I_INVALID_HID;
    if (rc < 0)
        rc = dt__err_locate(rc, r->f->path, path);
out:
    dt__h5_type_clear(&t);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (ftype >= 0)
        H5Tclose(ftype);
    free(fill);
    free(fill_str);
    free(path);
    return rc;
}

/* Variables a `coordinates` attribute names in the same group are
 * coordinates (conventions.md 10.2). */
static void mark_coordinates(dt_node *node)
{
    for (size_t i = 0; i < dt_node_var_count(node); i++) {
        const dt_attr *a = dt_attrs_find(dt_var_attrs(dt_node_var(node, i)),
                                         "coordinates");
        const char *text;
        size_t len;
        char *copy, *tok, *save = NULL;

        if (!a)
            continue;
        if (dt_attr_type(a) == DT_CHAR) {
            text = dt_attr_data(a);
            len = dt_attr_len(a);
        } else if (dt_attr_type(a) == DT_STRING && dt_attr_len(a) == 1) {
            text = ((char *const *)dt_attr_data(a))[0];
            len = strlen(text);
        } else {
            continue;
        }
        copy = dt__strndup(text, len);
        if (!copy) {
            dt_error_clear();
            return;
        }
        for (tok = strtok_r(copy, " \t\r\n", &save); tok;
             tok = strtok_r(NULL, " \t\r\n", &save)) {
            dt_var *cv = NULL;

            if (dt_node_var_find(&cv, node, tok) == DT_OK && cv &&
                dt_var_set_coord(cv, 1) < 0)
                dt_error_clear(); /* a hint, not a reason to fail the open */
        }
        dt_error_clear();
        free(copy);
    }
}

static int load_group(dt_node *node, void *ctx);

/* A group's own content, built on its first use (the model's loader): the
 * whole file was walked at open, since phony names and unlimited lengths
 * depend on every group, but attributes, variables and child nodes wait. */
static int load_group(dt_node *node, void *ctx)
{
    rgroup *g = ctx;
    reader *r = g->r;
    int rc;

    dt__h5_lock();
    rc = dt__h5_read_attrs(dt_node_attrs(node), g->gid, r->f, g->path);
    for (size_t j = 0; j < g->ndims && rc == DT_OK; j++) {
        rc = dt_node_add_dim(node, g->dims[j].name, g->dims[j].size,
                             g->dims[j].unlimited);
        if (rc < 0)
            rc = dt__err_locate(rc, r->f->path, g->path);
    }
    for (size_t i = 0; i < g->d_count && rc == DT_OK; i++) {
        if (!r->d[g->d_first + i].dim_only)
            rc = add_variable(r, node, g->d_first + i);
    }
    if (rc == DT_OK)
        mark_coordinates(node);
    for (size_t c = g->first_child; c != NONE && rc == DT_OK; c = r->g[c].next_sibling) {
        dt_node *child = NULL;

        rc = dt_node_create(&child, node, r->g[c].name, 0);
        if (rc == DT_EBADNAME) {
            /* a name the model cannot hold: the subtree is left out */
            dt_error_clear();
            rc = DT_OK;
        } else if (rc < 0) {
            rc = dt__err_locate(rc, r->f->path, r->g[c].path);
        } else {
            dt__node_set_loader(child, load_group, &r->g[c], NULL);
        }
    }
    /* what the variables did not take over is no longer needed */
    for (size_t i = 0; i < g->d_count; i++) {
        rdset *d = &r->d[g->d_first + i];

        if (d->did >= 0)
            H5Dclose(d->did);
        d->did = H5I_INVALID_HID;
    }
    H5Gclose(g->gid);
    g->gid = H5I_INVALID_HID;
    dt__h5_err_text(NULL, 0);
    dt__h5_unlock();
    return rc;
}

static void reader_free(void *p)
{
    reader *r = p;
    dt__h5file *f;

    if (!r)
        return;
    f = r->f;
    dt__h5_lock();
    reader_clear(r);
    dt__h5_unlock();
    file_free(f);
    free(r);
}

/* ------------------------------------------------------------------------ */
/* Entry point                                                              */

int dt__hdf5_open(dt_tree **out, const char *path, const dt_open_opts *opts)
{
    static const dt_open_opts defaults = DT_OPEN_OPTS_INIT;
    reader *r = NULL;
    dt__h5file *f = NULL;
    dt_tree *tree = NULL;
    hid_t root = H5I_INVALID_HID;
    dt__h5key key;
    size_t gi;
    int rc, has_props, again;

    if (!out)
        return dt__fail(DT_EINVAL, "no output tree given");
    *out = NULL;
    if (!path)
        return dt__fail(DT_EINVAL, "no path given");
    if (!opts)
        opts = &defaults;
    dt__h5_lock();
    rc = file_open(&f, path, opts);
    if (rc < 0)
        goto out;
    r = dt__calloc(1, sizeof *r);
    if (!r) {
        rc = DT_ENOMEM;
        goto out;
    }
    r->f = f;
    r->external_links = opts->external_links;
    root = H5Gopen2(f->fid, "/", f->lapl);
    if (root < 0 || dt__h5_key(&key, root) < 0) {
        rc = dt__h5_fail(DT_EFORMAT, path, "/", "cannot open the root group");
        if (root >= 0)
            H5Gclose(root);
        goto out;
    }
    has_props = H5Aexists(root, "_NCProperties") > 0;
    dt__h5_err_text(NULL, 0);
    rc = add_group(r, NONE, "", root, &key, &gi);
    if (rc == DT_OK)
        rc = seen_add(r, &key, &again);
    if (rc == DT_OK)
        rc = walk_group(r, gi);
    if (rc == DT_OK)
        rc = declare_scales(r);
    if (rc == DT_OK)
        rc = resolve_group(r, 0);
    if (rc < 0)
        goto out;
    size_unlimited(r);
    for (size_t i = 0; i < r->ng; i++)
        r->g[i].r = r;
    /* FORMAT.md: netcdf4 when the file has _NCProperties or scales */
    f->nc4 = has_props || r->has_scales;

    rc = dt_tree_new(&tree);
    if (rc < 0)
        goto out;
    rc = dt__tree_begin_load(tree, opts, f->nc4 ? DT_FORMAT_NETCDF4 : DT_FORMAT_HDF5,
                             path);
    if (rc < 0)
        goto out;
    /* the tree owns the reader (and the file) from here; sources borrow f */
    dt__tree_set_backend(tree, r, reader_free);
    dt__node_set_loader(dt_tree_root(tree), load_group, &r->g[0], NULL);
    r = NULL;
    f = NULL;
    rc = dt__tree_end_load(tree);
    if (rc < 0)
        dt__err_locate(rc, path, NULL);
out:
    if (rc < 0) {
        dt_tree_free(tree);
        tree = NULL;
    }
    if (r) {
        reader_clear(r);
        free(r);
    }
    file_free(f);
    dt__h5_unlock();
    *out = tree;
    return rc;
}
