/* hdf5_read.c: open an HDF5 or netCDF-4 file as a tree the way netCDF-C
 * reads it: groups, dimension scales and phony dimensions, variables and
 * attributes. A netCDF-4 file is read group by group as the tree is used;
 * the data stays in the file behind lazy sources. */
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

/* image: the whole file in memory (HDF5's core driver reads it from there,
 * path is only its name in messages); NULL: the file at path. */
static int file_open(dt__h5file **out, const char *path, const void *image, size_t len,
                     const dt_open_opts *opts)
{
    dt__h5file *f;
    struct stat st;
    const char *slash;
    int rc = DT_OK;

    *out = NULL;
    if (image) {
        if (len == 0)
            return dt__fail_at(DT_EFORMAT, path, NULL, "is empty, not an HDF5 file");
    } else if (stat(path, &st) != 0) {
        char eb[128] = "";

        strerror_r(errno, eb, sizeof eb);
        return dt__fail_at(errno == ENOENT ? DT_ENOTFOUND : DT_EIO, path, NULL,
                           "cannot open: %s", eb);
    }
    if (!image && S_ISDIR(st.st_mode))
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
    {
        /* metadata of an object we closed is dropped at once: a file is
         * read object by object, and a cache full of headers we are done
         * with costs memory and time to evict (B1: 59 to 17 MB) */
        hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);

#if H5_VERSION_GE(1, 10, 1)
        if (fapl >= 0)
            H5Pset_evict_on_close(fapl, 1);
#endif
        /* HDF5 copies the image; no backing store: nothing is written */
        if (image && fapl >= 0 &&
            (H5Pset_fapl_core(fapl, 1 << 20, 0) < 0 ||
             H5Pset_file_image(fapl, (void *)(uintptr_t)image, len) < 0)) {
            H5Pclose(fapl);
            file_free(f);
            return dt__h5_fail(DT_ENOMEM, path, NULL, "cannot set up the file image");
        }
        if (image && fapl < 0) {
            file_free(f);
            return dt__h5_fail(DT_ENOMEM, path, NULL, "cannot set up the file image");
        }
        f->fid = H5Fopen(path, H5F_ACC_RDONLY, fapl >= 0 ? fapl : H5P_DEFAULT);
        /* HDF5's words first: the next call clears them */
        rc = f->fid < 0 ? dt__h5_fail(DT_EFORMAT, path, NULL,
                                      "cannot open as an HDF5 file")
                        : DT_OK;
        if (fapl >= 0)
            H5Pclose(fapl);
    }
    if (rc < 0) {
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
/* Object identity                                                          */

/* The key of the object an old-style object reference names, without
 * opening it: such a reference is the object's address in the file that
 * holds the referring dataset (fileno). */
static void ref_key(dt__h5key *k, hid_t loc, unsigned long fileno,
                    const hobj_ref_t *ref)
{
    memset(k, 0, sizeof *k);
    k->fileno = fileno;
#if H5_VERSION_GE(1, 12, 0)
    {
        H5O_token_t tok;
        haddr_t addr;

        memcpy(&addr, ref, sizeof addr);
        if (H5VLnative_addr_to_token(loc, addr, &tok) < 0) {
            dt__h5_err_text(NULL, 0);
            return; /* an empty key matches no scale: resolved the slow way */
        }
        memcpy(k->token, &tok, sizeof tok < sizeof k->token ? sizeof tok
                                                             : sizeof k->token);
    }
#else
    (void)loc;
    memcpy(k->token, ref, sizeof *ref);
#endif
}

/* ------------------------------------------------------------------------ */
/* What the reader learns, group by group                                   */

typedef struct rdim {
    char *name;             /* NULL for a phony dim until it is numbered */
    uint64_t size0;         /* as declared: the scale's or the axis's extent */
    uint64_t size;          /* final: unlimited ones grow to the longest axis */
    int unlimited;
    int phony;
} rdim;

/* special attributes a dataset has (from its attribute listing) */
#define HAS_CLASS 1u
#define HAS_NAME 2u
#define HAS_DIMLIST 4u
#define HAS_DIMID 8u
#define HAS_COORDS 16u
#define HAS_FILL 32u

typedef struct rdset {
    char *link;             /* link name in its group */
    hid_t did;              /* open from the scan until the variable is
                               built, else closed */
    dt__h5key key;
    unsigned rc;            /* hard links to the object */
    int hard;               /* reached through a hard link */
    H5L_type_t ltype;       /* the link's type */
    char *note;             /* soft / external / shared hard link, for ls */
    int rank;
    hsize_t *ext, *max;
    int is_scale, dim_only;
    size_t sdim;            /* a scale: the dim it declares in its group */
    hid_t dcpl;             /* its creation properties, while did is open */
    unsigned has;           /* HAS_* */
    int listed;             /* anames holds its attributes */
    int in_order;           /* ... in the order they are shown */
    dt__h5names anames;
    long dimid;             /* _Netcdf4Dimid (HAS_DIMID) */
    int *coords;            /* a multi-dimensional scale's _Netcdf4Coordinates */
    long ncoords;           /* -1: none */
    size_t *ax_grp, *ax_dim; /* per axis: the group declaring its dim, and
                                the dim's index there */
} rdset;

/* One group as a path in the file: an object reached through two links is
 * two groups, each listed under its own path. */
typedef struct rgroup {
    struct reader *r;
    char *path;             /* "/" or "/a/b" */
    char *name;             /* "" for the root */
    size_t idx, parent;     /* parent NONE for the root */
    size_t depth;
    size_t *kids;           /* child groups in link order (once scanned) */
    size_t nkids, capkids;
    dt__h5key key;
    int shared;             /* it or an ancestor is reachable another way */
    int attr_crt;           /* its attributes are listed by creation order */
    hid_t gid;              /* open while it is scanned or built */
    int scanned;            /* links, datasets, scales and scaled axes read */
    int scan_rc;            /* a failed scan, given again to every caller */
    char *scan_err;
    int local;              /* phony dims placed without the file-wide walk */
    int needs_ids;          /* a scale's axes wait for file-wide dim ids */
    int ids_known;          /* every scale here and above has _Netcdf4Dimid */
    int sized;              /* unlimited sizes final */
    int numbered;           /* phony dims named */
    rdset *d;               /* datasets in link order */
    size_t nd, capd;
    rdim *dims;             /* declared here: scales first, then phony */
    size_t ndims, capdims, nphony;
} rgroup;

typedef struct rscale {     /* a scale dataset and the dim it declares */
    dt__h5key key;
    size_t grp, dim;
    size_t next;            /* the previous entry of the same key, or NONE */
} rscale;

typedef struct rdimid {     /* netCDF dimension ids (_Netcdf4Dimid) */
    long id;
    size_t grp, dim;
} rdimid;

/* The tree's backend: the open file and what has been read of it. */
typedef struct reader {
    dt__h5file *f;
    rgroup **g;             /* stable pointers: loaders keep them */
    size_t ng, capg;
    rscale *sc;
    size_t nsc, capsc;
    size_t *sc_at;          /* hash of scale keys -> newest entry in sc */
    size_t capsc_at;
    size_t nobjects;
    dt__h5key *seen;        /* hash set of the group objects met so far */
    size_t nseen, capseen, revisits;
    int has_scales;
    int external_links;     /* dt_open_opts.external_links */
    hid_t refs_mem;         /* DIMENSION_LIST's memory type, made once */
    int walked;             /* the whole file is scanned and numbered */
    int walk_rc;
    char *walk_err;
    size_t nscanned;        /* groups read from the file (for tests) */
} reader;

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

static void dset_close(rdset *d)
{
    if (d->dcpl >= 0)
        H5Pclose(d->dcpl);
    if (d->did >= 0)
        H5Dclose(d->did);
    d->dcpl = d->did = H5I_INVALID_HID;
}

static void group_close(rgroup *g)
{
    for (size_t i = 0; i < g->nd; i++)
        dset_close(&g->d[i]);
    if (g->gid >= 0)
        H5Gclose(g->gid);
    g->gid = H5I_INVALID_HID;
}

static void group_free(rgroup *g)
{
    if (!g)
        return;
    group_close(g);
    for (size_t i = 0; i < g->nd; i++) {
        rdset *d = &g->d[i];

        free(d->link);
        free(d->note);
        free(d->ext);
        free(d->max);
        free(d->ax_grp);
        free(d->ax_dim);
        free(d->coords);
        dt__h5_names_free(&d->anames);
    }
    for (size_t j = 0; j < g->ndims; j++)
        free(g->dims[j].name);
    free(g->d);
    free(g->dims);
    free(g->kids);
    free(g->path);
    free(g->name);
    free(g->scan_err);
    free(g);
}

static void reader_clear(reader *r)
{
    if (r->refs_mem >= 0)
        H5Tclose(r->refs_mem);
    for (size_t i = 0; i < r->ng; i++)
        group_free(r->g[i]);
    free(r->g);
    free(r->sc);
    free(r->sc_at);
    free(r->seen);
    free(r->walk_err);
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
    for (; g != NONE; g = r->g[g]->parent) {
        if (g == anc)
            return 1;
    }
    return 0;
}

static const rdim *dim_at(const reader *r, size_t grp, size_t dim)
{
    return &r->g[grp]->dims[dim];
}

/* Hash sets of object keys: groups met, scales, first paths. */

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

/* Record a group object; *again is set when it was met before (reached
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

/* Scales by key: each key's newest entry in a hash, older ones chained. */
static int scale_add(reader *r, const dt__h5key *key, size_t grp, size_t dim)
{
    size_t mask, h;
    int rc = dt__grow_array(&r->sc, &r->capsc, r->nsc, sizeof *r->sc);

    if (rc < 0)
        return rc;
    if (2 * (r->nsc + 1) > r->capsc_at) {
        size_t cap = r->capsc_at ? r->capsc_at * 2 : 64, *tab;

        tab = dt__malloc(cap * sizeof *tab);
        if (!tab)
            return DT_ENOMEM;
        for (size_t j = 0; j < cap; j++)
            tab[j] = NONE;
        for (size_t j = 0; j < r->capsc_at; j++) {
            size_t k = r->sc_at[j];

            if (k == NONE)
                continue;
            for (h = key_hash(&r->sc[k].key) & (cap - 1); tab[h] != NONE;
                 h = (h + 1) & (cap - 1))
                ;
            tab[h] = k;
        }
        free(r->sc_at);
        r->sc_at = tab;
        r->capsc_at = cap;
    }
    r->sc[r->nsc].key = *key;
    r->sc[r->nsc].grp = grp;
    r->sc[r->nsc].dim = dim;
    r->sc[r->nsc].next = NONE;
    mask = r->capsc_at - 1;
    for (h = key_hash(key) & mask; r->sc_at[h] != NONE; h = (h + 1) & mask) {
        if (dt__h5_key_eq(&r->sc[r->sc_at[h]].key, key)) {
            r->sc[r->nsc].next = r->sc_at[h];
            break;
        }
    }
    r->sc_at[h] = r->nsc++;
    return DT_OK;
}

/* The scale of key as seen from group gi: the nearest ancestor's. */
static const rscale *scale_for(const reader *r, const dt__h5key *key, size_t gi)
{
    const rscale *best = NULL;
    size_t mask, h, e = NONE;

    if (!r->capsc_at)
        return NULL;
    mask = r->capsc_at - 1;
    for (h = key_hash(key) & mask; r->sc_at[h] != NONE; h = (h + 1) & mask) {
        if (dt__h5_key_eq(&r->sc[r->sc_at[h]].key, key)) {
            e = r->sc_at[h];
            break;
        }
    }
    for (; e != NONE; e = r->sc[e].next) {
        const rscale *s = &r->sc[e];

        if (is_ancestor_or_self(r, s->grp, gi) &&
            (!best || r->g[s->grp]->depth > r->g[best->grp]->depth))
            best = s;
    }
    return best;
}

/* ------------------------------------------------------------------------ */
/* Links                                                                    */

typedef struct rlink {
    char *name;
    link_info li;
} rlink;

typedef struct rlinks {
    rlink *v;
    size_t n, cap;
    int by_crt;     /* iterating in creation order (else by name) */
    int damaged;    /* the index went back: an error is set */
} rlinks;

static void links_free(rlinks *ls)
{
    for (size_t i = 0; i < ls->n; i++)
        free(ls->v[i].name);
    free(ls->v);
    ls->v = NULL;
    ls->n = ls->cap = 0;
    ls->damaged = 0;
}

static herr_t collect_link(hid_t g, const char *name, const link_info *li,
                           void *ud)
{
    rlinks *ls = ud;

    (void)g;
    /* HDF5 iterates in increasing order of the index: a link that does not
     * come after the previous one is a damaged (maybe cyclic) index, which
     * HDF5 would walk for ever */
    if (ls->n > 0) {
        const rlink *prev = &ls->v[ls->n - 1];

        if (ls->by_crt ? (li->corder_valid && prev->li.corder_valid &&
                          li->corder <= prev->li.corder)
                       : strcmp(name, prev->name) <= 0) {
            ls->damaged = 1;
            dt__fail(DT_EFORMAT, "the group's link index lists \"%s\" after \"%s\", "
                     "out of order: the index is damaged", name, prev->name);
            return -1;
        }
    }
    if (dt__grow_array(&ls->v, &ls->cap, ls->n, sizeof *ls->v) < 0)
        return -1;
    ls->v[ls->n].name = dt__strdup(name);
    if (!ls->v[ls->n].name)
        return -1;
    ls->v[ls->n].li = *li;
    ls->n++;
    return 0;
}

#if H5_VERSION_GE(1, 12, 0)
#define link_iterate(g, idx, pos, ls) \
    H5Literate2((g), (idx), H5_ITER_INC, (pos), collect_link, (ls))
#else
#define link_iterate(g, idx, pos, ls) \
    H5Literate((g), (idx), H5_ITER_INC, (pos), collect_link, (ls))
#endif

/* The group's links, with their info, in creation order when tracked, else
 * by name (netcdf4-on-hdf5.md 2). One pass of HDF5's iterator: asking for
 * names by index rebuilds the link table on every call. */
static int list_links(rlinks *ls, hid_t gid, int crt)
{
    hsize_t pos = 0;
    herr_t st;

    dt_error_clear();
    ls->by_crt = crt;
    st = link_iterate(gid, crt ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME, &pos, ls);
    if (st < 0 && crt && dt_error_last()->code != DT_ENOMEM) {
        /* tracked but not indexed (or that index damaged): name order */
        dt__h5_err_text(NULL, 0);
        links_free(ls);
        dt_error_clear();
        pos = 0;
        st = link_iterate(gid, H5_INDEX_NAME, &pos, ls);
    }
    return st < 0 ? -1 : 0;
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

/* ------------------------------------------------------------------------ */
/* Groups and datasets                                                      */

static int add_group(reader *r, size_t parent, const char *name,
                     const dt__h5key *key, int shared, size_t *out)
{
    rgroup *g;
    int rc = dt__grow_array(&r->g, &r->capg, r->ng, sizeof *r->g);

    if (rc < 0)
        return rc;
    g = dt__calloc(1, sizeof *g);
    if (!g)
        return DT_ENOMEM;
    r->g[r->ng] = g;
    g->r = r;
    g->idx = r->ng;
    g->gid = H5I_INVALID_HID;
    g->key = *key;
    g->parent = parent;
    g->shared = shared;
    g->depth = parent == NONE ? 0 : r->g[parent]->depth + 1;
    g->name = dt__strdup(name);
    g->path = parent == NONE ? dt__strdup("/") : child_path(r->g[parent]->path, name);
    *out = r->ng++;
    if (!g->name || !g->path)
        return DT_ENOMEM;
    if (parent != NONE) {
        rgroup *p = r->g[parent];

        rc = dt__grow_array(&p->kids, &p->capkids, p->nkids, sizeof *p->kids);
        if (rc < 0)
            return rc;
        p->kids[p->nkids++] = *out;
    }
    if (g->depth > r->f->limits.max_depth)
        return dt__fail_at(DT_ELIMIT, r->f->path, g->path,
                           "groups nest %zu deep, the limit is %" PRIu32,
                           g->depth, r->f->limits.max_depth);
    return DT_OK;
}

/* A dataset's handle for reading its metadata. The file's access list
 * (external raw data beside the file) is for reading data, and HDF5 copies
 * a list that is not the default into every dataset it opens: the default
 * serves, but for an external link (whose file is found beside this one).
 * HDF5 refuses either while the dataset is open with the other (a source
 * read it, another link to it is open): then the other is given. */
static hid_t dset_open(const reader *r, hid_t loc, const char *name,
                       H5L_type_t ltype)
{
    hid_t first = ltype == H5L_TYPE_EXTERNAL ? r->f->dapl : H5P_DEFAULT;
    hid_t did = H5Dopen2(loc, name, first);

    if (did < 0) {
        dt__h5_err_text(NULL, 0);
        did = H5Dopen2(loc, name, first == H5P_DEFAULT ? r->f->dapl : H5P_DEFAULT);
    }
    return did;
}

/* The group's handle, opened again by path when it was closed. */
static int group_open(reader *r, size_t gi)
{
    rgroup *g = r->g[gi];
    rgroup *p = g->parent == NONE ? NULL : r->g[g->parent];

    if (g->gid >= 0)
        return DT_OK;
    if (p && p->gid >= 0)
        g->gid = H5Gopen2(p->gid, g->name, r->f->lapl);
    else
        g->gid = H5Gopen2(r->f->fid, g->path, r->f->lapl);
    if (g->gid < 0)
        return dt__h5_fail(DT_EFORMAT, r->f->path, g->path, "cannot open the group");
    return DT_OK;
}

static int find_name(const dt__h5names *nl, const char *name)
{
    for (size_t i = 0; i < nl->n; i++) {
        if (strcmp(nl->names[i], name) == 0)
            return 1;
    }
    return 0;
}

/* One dataset of group gi (the record takes did over): its shape, whether
 * it is a dimension scale, and which special attributes it has. */
static int add_dataset(reader *r, size_t gi, const rlink *lk, hid_t did,
                       const obj_info *oi, int keep)
{
    rgroup *g = r->g[gi];
    hid_t space = H5Dget_space(did);
    H5S_class_t sc = space >= 0 ? H5Sget_simple_extent_type(space) : H5S_NO_CLASS;
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    dt__h5names nl = {NULL, 0, 0};
    char *cls = NULL, *nm = NULL, *path = NULL;
    hid_t dcpl = H5I_INVALID_HID;
    unsigned has = 0;
    int listed = 0, crt = 0;
    rdset *d;
    int rc;

    /* the special attributes, from one listing that building the variable
     * reuses (a failed listing is reported then, as by dt__h5_read_attrs):
     * in the order shown when it is built next, which takes the creation
     * properties; else by name */
    if (keep) {
        dcpl = H5Dget_create_plist(did);
        crt = dt__h5_attr_crt_order(dcpl);
    }
    if (oi->num_attrs > 0) {
        listed = dt__h5_list_attrs(&nl, did, crt) == 0;
        if (!listed) {
            if (dt_error_last()->code == DT_ENOMEM) {
                rc = DT_ENOMEM;
                goto out;
            }
            /* probe each by name, as if listed */
            dt__h5_err_text(NULL, 0);
            dt__h5_names_free(&nl);
            has = HAS_CLASS | HAS_NAME | HAS_DIMLIST | HAS_DIMID | HAS_COORDS | HAS_FILL;
        }
        has |= find_name(&nl, "CLASS") ? HAS_CLASS : 0;
        has |= find_name(&nl, "NAME") ? HAS_NAME : 0;
        has |= find_name(&nl, "DIMENSION_LIST") ? HAS_DIMLIST : 0;
        has |= find_name(&nl, "_Netcdf4Dimid") ? HAS_DIMID : 0;
        has |= find_name(&nl, "_Netcdf4Coordinates") ? HAS_COORDS : 0;
        has |= find_name(&nl, "_FillValue") ? HAS_FILL : 0;
    } else {
        listed = 1;
    }
    if (has & HAS_CLASS)
        cls = dt__h5_attr_string(did, "CLASS");
    if (sc == H5S_NULL) {
        /* netcdf4-on-hdf5.md 10.3: a null dataspace holds nothing to list;
         * as a scale it declares a dimension of length 0 (h5netcdf #204) */
        if (!cls || strcmp(cls, "DIMENSION_SCALE") != 0) {
            rc = DT_OK;
            goto out;
        }
        rank = 0;
    }
    if (space < 0 || rank < 0 || sc == H5S_NO_CLASS) {
        path = child_path(g->path, lk->name);
        rc = dt__h5_fail(DT_EFORMAT, r->f->path, path, "unreadable dataspace");
        goto out;
    }
    if ((uint64_t)rank > r->f->limits.max_rank) {
        path = child_path(g->path, lk->name);
        rc = dt__fail_at(DT_ELIMIT, r->f->path, path,
                         "%d dimensions, the limit is %" PRIu32, rank,
                         r->f->limits.max_rank);
        goto out;
    }
    rc = dt__grow_array(&g->d, &g->capd, g->nd, sizeof *g->d);
    if (rc < 0)
        goto out;
    d = &g->d[g->nd++];
    memset(d, 0, sizeof *d);
    d->did = did;
    did = H5I_INVALID_HID;
    d->rank = rank;
    d->ncoords = -1;
    d->sdim = NONE;
    d->dcpl = dcpl;
    dcpl = H5I_INVALID_HID;
    d->has = has;
    d->listed = listed;
    d->in_order = keep;
    d->anames = nl;
    nl.names = NULL;
    nl.n = nl.cap = 0;
    info_key(&d->key, oi);
    d->rc = oi->rc;
    d->hard = lk->li.type == H5L_TYPE_HARD;
    d->ltype = lk->li.type;
    d->link = dt__strdup(lk->name);
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
    if (rank > 0 && H5Sget_simple_extent_dims(space, d->ext, d->max) < 0) {
        path = child_path(g->path, lk->name);
        rc = dt__h5_fail(DT_EFORMAT, r->f->path, path, "unreadable dataset");
        goto out;
    }
    d->is_scale = cls && strcmp(cls, "DIMENSION_SCALE") == 0;
    if (d->is_scale) {
        int v;

        if (has & HAS_NAME)
            nm = dt__h5_attr_string(d->did, "NAME");
        d->dim_only = sc == H5S_NULL ||
                      (nm && strncmp(nm, DIM_ONLY, strlen(DIM_ONLY)) == 0);
        if ((has & HAS_DIMID) &&
            dt__h5_attr_read(d->did, "_Netcdf4Dimid", H5T_NATIVE_INT, &v, 1, 64) >= 1) {
            d->dimid = v;
        } else {
            d->has &= ~HAS_DIMID;
        }
        /* a multi-dimensional coordinate names its axes by dimension id */
        if (rank > 1 && (has & HAS_COORDS)) {
            d->coords = dt__calloc((size_t)rank, sizeof *d->coords);
            if (!d->coords) {
                rc = DT_ENOMEM;
                goto out;
            }
            d->ncoords = dt__h5_attr_read(d->did, "_Netcdf4Coordinates", H5T_NATIVE_INT,
                                          d->coords, (size_t)rank, 4096);
        }
        r->has_scales = 1;
    }
    /* soft and external links are named as such; shared hard links once
     * the whole file is known (the first path met is the dataset's own) */
    d->note = link_note(g->gid, lk->name, &lk->li, r->f->lapl);
    rc = DT_OK;
out:
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (did >= 0)
        H5Dclose(did);
    if (space >= 0)
        H5Sclose(space);
    dt__h5_names_free(&nl);
    free(cls);
    free(nm);
    free(path);
    return rc;
}

typedef struct pending {    /* a child group met in the link loop */
    char *name;
    dt__h5key key;
    int shared;
} pending;

/* The error of an object a hard link names but HDF5 cannot open, in the
 * words of what it is. */
static int open_failed(reader *r, size_t gi, const char *name)
{
    obj_info oi;
    char *path = child_path(r->g[gi]->path, name);
    const char *what = "cannot open the object";
    hid_t obj = H5I_INVALID_HID;
    int rc;

    dt__h5_err_text(NULL, 0);
    if (get_info_by_name(r->g[gi]->gid, name, &oi, r->f->lapl) >= 0) {
        if (oi.type == H5O_TYPE_NAMED_DATATYPE) {
            free(path);
            dt__h5_err_text(NULL, 0);
            return DT_OK; /* named datatypes are types, not data */
        }
        /* open it again as what it is, for HDF5's own words */
        if (oi.type == H5O_TYPE_GROUP) {
            what = "cannot open the group";
            obj = H5Gopen2(r->g[gi]->gid, name, r->f->lapl);
        } else if (oi.type == H5O_TYPE_DATASET) {
            what = "cannot open the dataset";
            obj = H5Dopen2(r->g[gi]->gid, name, r->f->dapl);
        }
        if (obj >= 0) {
            /* it opens now: a fault of the moment, not of the file */
            H5Oclose(obj);
            dt__h5_err_text(NULL, 0);
        }
    }
    rc = dt__h5_fail(DT_EFORMAT, r->f->path, path, "%s", what);
    free(path);
    return rc;
}

/* One link of group gi: a dataset is recorded now, a group queued so that
 * the group's datasets come before its children (netCDF-C's order, which
 * assigns dimension ids). One open per object: the handle says what it is,
 * and its info gives identity and link count. */
static int visit_link(reader *r, size_t gi, const rlink *lk, int keep,
                      pending **kids, size_t *nkids, size_t *capkids)
{
    rgroup *g = r->g[gi];
    obj_info oi;
    dt__h5key key;
    char *path = NULL;
    H5I_type_t it;
    hid_t obj;
    int rc = DT_OK;

    /* most objects are datasets: try that first (H5Oopen would open one
     * without our access list, which finds external raw data beside the
     * file, and HDF5 then refuses to open it again with it) */
    obj = dset_open(r, g->gid, lk->name, lk->li.type);
    it = H5I_DATASET;
    if (obj < 0) {
        dt__h5_err_text(NULL, 0);
        obj = H5Gopen2(g->gid, lk->name, r->f->lapl);
        it = H5I_GROUP;
    }
    if (obj < 0) {
        dt__h5_err_text(NULL, 0);
        if (lk->li.type != H5L_TYPE_HARD &&
            get_info_by_name(g->gid, lk->name, &oi, r->f->lapl) < 0) {
            /* FORMAT.md: a dangling soft or external link is not listed */
            dt__h5_err_text(NULL, 0);
            return DT_OK;
        }
        return open_failed(r, gi, lk->name);
    }
    if (get_info(obj, &oi, H5O_INFO_BASIC | H5O_INFO_NUM_ATTRS) < 0) {
        H5Oclose(obj);
        return open_failed(r, gi, lk->name);
    }
    if (++r->nobjects > MAX_OBJECTS) {
        path = child_path(g->path, lk->name);
        rc = dt__fail_at(DT_ELIMIT, r->f->path, path,
                         "more than %zu objects reachable through links",
                         MAX_OBJECTS);
        goto out;
    }
    if (lk->li.type == H5L_TYPE_EXTERNAL && !r->external_links) {
        char *note = link_note(g->gid, lk->name, &lk->li, r->f->lapl);

        path = child_path(g->path, lk->name);
        rc = dt__fail_at(DT_EUNSUPPORTED, r->f->path, path,
                         "%s: external links are followed only when asked "
                         "(dt_open_opts.external_links; dtree follows them unless "
                         "--no-external-links)", note ? note : "an external link");
        free(note);
        goto out;
    }
    info_key(&key, &oi);
    if (it == H5I_GROUP) {
        int again;

        /* a link back to an enclosing group would recurse forever */
        for (size_t a = gi; a != NONE; a = r->g[a]->parent) {
            if (dt__h5_key_eq(&r->g[a]->key, &key))
                goto out;
        }
        rc = seen_add(r, &key, &again);
        if (rc < 0)
            goto out;
        if (again && ++r->revisits > MAX_REVISITS) {
            path = child_path(g->path, lk->name);
            rc = dt__fail_at(DT_ELIMIT, r->f->path, path,
                             "groups are reached through more than %d extra "
                             "links", MAX_REVISITS);
            goto out;
        }
        rc = dt__grow_array(kids, capkids, *nkids, sizeof **kids);
        if (rc == DT_OK) {
            pending *k = &(*kids)[*nkids];

            k->name = dt__strdup(lk->name);
            k->key = key;
            k->shared = g->shared || lk->li.type != H5L_TYPE_HARD || oi.rc > 1;
            if (!k->name)
                rc = DT_ENOMEM;
            (*nkids)++;
        }
        goto out;
    }
    if (it == H5I_DATASET) {
        rc = add_dataset(r, gi, lk, obj, &oi, keep);
        obj = H5I_INVALID_HID;
    }
    /* named datatypes are types, not data */
out:
    if (obj >= 0)
        H5Oclose(obj);
    free(path);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Dimensions                                                               */

static size_t find_dim(const rgroup *g, const char *name)
{
    for (size_t j = 0; j < g->ndims; j++) {
        if (g->dims[j].name && strcmp(g->dims[j].name, name) == 0)
            return j;
    }
    return NONE;
}

static int add_dim(rgroup *g, char *name, uint64_t size, int unlimited,
                   int phony, size_t *out)
{
    int rc = dt__grow_array(&g->dims, &g->capdims, g->ndims, sizeof *g->dims);

    if (rc < 0) {
        free(name);
        return rc;
    }
    g->dims[g->ndims].name = name;
    g->dims[g->ndims].size0 = g->dims[g->ndims].size = size;
    g->dims[g->ndims].unlimited = unlimited;
    g->dims[g->ndims].phony = phony;
    *out = g->ndims++;
    if (phony)
        g->nphony++;
    return DT_OK;
}

/* Every scale declares a dim in its group, named after the dataset (minus
 * the non-coordinate prefix), with the scale's first axis as its length. */
static int declare_scales(reader *r, size_t gi)
{
    rgroup *g = r->g[gi];
    int rc;

    g->ids_known = g->parent == NONE || r->g[g->parent]->ids_known;
    for (size_t i = 0; i < g->nd; i++) {
        if (g->d[i].is_scale && !(g->d[i].has & HAS_DIMID))
            g->ids_known = 0;
    }

    for (size_t i = 0; i < g->nd; i++) {
        rdset *d = &g->d[i];
        const char *dname = var_name(d->link);
        uint64_t size = d->rank > 0 ? d->ext[0] : 0;
        int unl = d->rank > 0 && d->max[0] == H5S_UNLIMITED;
        size_t j;

        if (!d->is_scale)
            continue;
        j = find_dim(g, dname);
        if (j == NONE) {
            char *name = dt__strdup(dname);

            if (!name)
                return DT_ENOMEM;
            rc = add_dim(g, name, size, unl, 0, &j);
            if (rc < 0)
                return rc;
        } else {
            g->dims[j].size0 = g->dims[j].size = size;
            g->dims[j].unlimited = unl;
        }
        d->sdim = j;
        rc = scale_add(r, &d->key, gi, j);
        if (rc < 0)
            return rc;
    }
    return DT_OK;
}

/* Axes named by DIMENSION_LIST: per axis the first attached scale that
 * declares a dim visible from the dataset's group. A reference names the
 * scale's address, so known scales are matched without opening them; one
 * that matches none is opened, and a reference that cannot be resolved
 * makes the group unreadable, as for netCDF-C. */
static int resolve_dimlist(reader *r, size_t gi, rdset *d)
{
    hid_t aid, space = H5I_INVALID_HID, mem = H5I_INVALID_HID;
    hssize_t np;
    hvl_t *vl = NULL;
    char *path = NULL;
    int rc = DT_OK, read = 0;

    aid = H5Aopen(d->did, "DIMENSION_LIST", H5P_DEFAULT);
    if (aid >= 0)
        space = H5Aget_space(aid);
    np = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    if (aid < 0 || np < 0 || np > H5S_MAX_RANK) {
        rc = DT_EFORMAT;
        goto out;
    }
    if (r->refs_mem < 0)
        r->refs_mem = H5Tvlen_create(H5T_STD_REF_OBJ);
    mem = r->refs_mem;
    vl = dt__calloc((size_t)np + 1, sizeof *vl);
    if (!vl) {
        rc = DT_ENOMEM;
        goto out;
    }
    if (mem < 0 || (np > 0 && H5Aread(aid, mem, vl) < 0)) {
        rc = DT_EFORMAT;
        goto out;
    }
    read = np > 0;
    for (int ax = 0; ax < d->rank && ax < np && rc == DT_OK; ax++) {
        const hobj_ref_t *refs = vl[ax].p;

        for (size_t k = 0; refs && k < vl[ax].len; k++) {
            dt__h5key key;
            const rscale *s;

            ref_key(&key, d->did, d->key.fileno, &refs[k]);
            s = scale_for(r, &key, gi);
            if (!s) {
                hid_t obj = H5Rdereference2(d->did, r->f->dapl, H5R_OBJECT, &refs[k]);
                int ok;

                if (obj < 0) {
                    path = child_path(r->g[gi]->path, d->link);
                    rc = dt__h5_fail(DT_EFORMAT, r->f->path, path,
                                     "the dimension scale of axis %d cannot be "
                                     "resolved", ax);
                    break;
                }
                ok = dt__h5_key(&key, obj) == 0;
                H5Oclose(obj);
                if (!ok) {
                    path = child_path(r->g[gi]->path, d->link);
                    rc = dt__h5_fail(DT_EFORMAT, r->f->path, path,
                                     "the dimension scale of axis %d is unreadable", ax);
                    break;
                }
                s = scale_for(r, &key, gi);
            }
            if (s) {
                d->ax_grp[ax] = s->grp;
                d->ax_dim[ax] = s->dim;
                break;
            }
        }
    }
out:
    if (rc == DT_EFORMAT && !path) {
        path = child_path(r->g[gi]->path, d->link);
        rc = dt__h5_fail(DT_EFORMAT, r->f->path, path, "unreadable DIMENSION_LIST");
    }
    if (read)
        H5Dvlen_reclaim(mem, space, H5P_DEFAULT, vl);
    free(vl);
    free(path);
    if (space >= 0)
        H5Sclose(space);
    if (aid >= 0)
        H5Aclose(aid);
    return rc;
}

/* Axes by dimension id (_Netcdf4Coordinates), with the ids of the scales
 * group gi sees. Ids are file-wide: _Netcdf4Dimid where it is written,
 * else the next free one in traversal order, which only the whole file
 * gives: returns 0 (nothing set) unless every id it needs is written. */
static int axes_by_id(reader *r, size_t gi, rdset *d, const int *ids, long n)
{
    size_t chain[256], depth = 0;

    if (!r->g[gi]->ids_known)
        return 0;
    for (size_t a = gi; a != NONE; a = r->g[a]->parent) {
        if (depth == sizeof chain / sizeof *chain)
            return 0;
        chain[depth++] = a;
    }
    /* netCDF-C's order: ancestors first; the last match wins */
    while (depth-- > 0) {
        const rgroup *g = r->g[chain[depth]];

        for (size_t i = 0; i < g->nd; i++) {
            const rdset *s = &g->d[i];

            if (!s->is_scale)
                continue;
            for (long ax = 0; ax < n && ax < d->rank; ax++) {
                if (s->dimid == ids[ax]) {
                    d->ax_grp[ax] = g->idx;
                    d->ax_dim[ax] = s->sdim;
                }
            }
        }
    }
    return 1;
}

/* A variable's axes by its _Netcdf4Coordinates, which netCDF-C writes on
 * every variable and trusts before DIMENSION_LIST: a small integer read
 * instead of a list of references to convert. Only when every axis finds
 * a dim that way; otherwise (0) DIMENSION_LIST decides, as before. */
static int resolve_by_coords(reader *r, size_t gi, rdset *d)
{
    int ids[H5S_MAX_RANK];
    long n;

    if (!r->g[gi]->ids_known || d->rank > H5S_MAX_RANK)
        return 0;
    n = dt__h5_attr_read(d->did, "_Netcdf4Coordinates", H5T_NATIVE_INT, ids,
                         (size_t)d->rank, 4096);
    if (n != d->rank || !axes_by_id(r, gi, d, ids, n))
        return 0;
    for (int ax = 0; ax < d->rank; ax++) {
        if (d->ax_grp[ax] == NONE) {
            for (int k = 0; k < d->rank; k++)
                d->ax_grp[k] = d->ax_dim[k] = NONE;
            return 0;
        }
    }
    return 1;
}

/* The axes that scales name. netCDF-C gives a 1-D coordinate variable its
 * own dim, a multi-dimensional one the dims of its _Netcdf4Coordinates
 * (without them, its first axis is its own), and other variables the
 * scales of their DIMENSION_LIST. */
static int resolve_scaled(reader *r, size_t gi)
{
    rgroup *g = r->g[gi];
    int rc = DT_OK;

    for (size_t i = 0; i < g->nd && rc == DT_OK; i++) {
        rdset *d = &g->d[i];

        if (d->dim_only || d->rank == 0)
            continue;
        if (d->is_scale) {
            if (d->rank > 1 && d->ncoords >= 0) {
                if (!axes_by_id(r, gi, d, d->coords, d->ncoords))
                    g->needs_ids = 1;
            } else {
                d->ax_grp[0] = gi;
                d->ax_dim[0] = d->sdim;
            }
        } else if ((d->has & HAS_COORDS) && d->listed && resolve_by_coords(r, gi, d)) {
            continue;
        } else if ((d->has & HAS_DIMLIST) &&
                   (d->listed || H5Aexists(d->did, "DIMENSION_LIST") > 0)) {
            rc = resolve_dimlist(r, gi, d);
        } else if (!d->listed) {
            dt__h5_err_text(NULL, 0);
        }
    }
    return rc;
}

static int dim_is_phony_named(const char *name)
{
    return strncmp(name, "phony_dim_", 10) == 0;
}

/* Does an axis of d already use dim j of group gi? Real dims compare by
 * name, as the model sees them; phony dims by identity (see place_phony). */
static int axis_uses(const reader *r, const rdset *d, size_t gi, size_t j)
{
    const rdim *dj = dim_at(r, gi, j);

    for (int ax = 0; ax < d->rank; ax++) {
        const rdim *da;

        if (d->ax_grp[ax] == NONE)
            continue;
        if (d->ax_grp[ax] == gi && d->ax_dim[ax] == j)
            return 1;
        da = dim_at(r, d->ax_grp[ax], d->ax_dim[ax]);
        if (da->name && dj->name && strcmp(da->name, dj->name) == 0)
            return 1;
    }
    return 0;
}

/* FORMAT.md: the axes no scale names get phony dims of their own group,
 * reusing one of equal length and unlimitedness the dataset does not
 * already use. Their numbers (phony_dim_N, N after the file's real dims,
 * child groups before their parent) need the whole file; what depends on
 * names alone does not, unless a real dim the group sees is itself named
 * like a phony one: then the walk places them, with names. With names
 * given (*next), new dims are named as they come. */
static int place_phony(reader *r, size_t gi, unsigned long *next)
{
    rgroup *g = r->g[gi];
    int rc = DT_OK;

    for (size_t i = 0; i < g->nd && rc == DT_OK; i++) {
        rdset *d = &g->d[i];

        if (d->dim_only)
            continue;
        for (int ax = 0; ax < d->rank && rc == DT_OK; ax++) {
            int unl = d->max[ax] == H5S_UNLIMITED;
            size_t j;

            if (d->ax_grp[ax] != NONE)
                continue;
            for (j = 0; j < g->ndims; j++) {
                if (g->dims[j].size0 == d->ext[ax] && g->dims[j].unlimited == unl &&
                    !axis_uses(r, d, gi, j))
                    break;
            }
            if (j == g->ndims) {
                char *name = NULL;

                if (next) {
                    name = dt__aprintf("phony_dim_%lu", (*next)++);
                    if (!name)
                        return DT_ENOMEM;
                }
                rc = add_dim(g, name, d->ext[ax], unl, 1, &j);
            }
            d->ax_grp[ax] = gi;
            d->ax_dim[ax] = j;
        }
    }
    return rc;
}

/* Can group gi place its phony dims by itself? */
static int phony_local(const reader *r, size_t gi)
{
    const rgroup *me = r->g[gi];
    int unscaled = 0;

    if (me->needs_ids)
        return 0;
    for (size_t i = 0; i < me->nd && !unscaled; i++) {
        for (int ax = 0; !me->d[i].dim_only && ax < me->d[i].rank; ax++)
            unscaled = unscaled || me->d[i].ax_grp[ax] == NONE;
    }
    if (!unscaled)
        return 1;
    for (size_t a = gi; a != NONE; a = r->g[a]->parent) {
        const rgroup *g = r->g[a];

        for (size_t j = 0; j < g->ndims; j++) {
            if (!g->dims[j].phony && dim_is_phony_named(g->dims[j].name))
                return 0;
        }
    }
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Scanning: one group's links, datasets and scaled axes                    */

static int scan_fail(rgroup *g, int rc)
{
    g->scan_rc = rc;
    free(g->scan_err);
    g->scan_err = dt__strdup(dt_error_last()->message);
    return rc;
}

/* Read group gi's structure (its ancestors are scanned). keep: leave its
 * handles open for building it; otherwise they are closed, so that a walk
 * over many groups holds few. */
static int scan_group(reader *r, size_t gi, int keep)
{
    rgroup *g = r->g[gi];
    rlinks ls = {NULL, 0, 0, 0, 0};
    hid_t gcpl;
    unsigned crt = 0;
    pending *kids = NULL;
    size_t nkids = 0, capkids = 0;
    int rc;

    if (g->scan_rc < 0)
        return dt__fail_at(g->scan_rc, NULL, NULL, "%s",
                           g->scan_err ? g->scan_err : "the group cannot be read");
    if (g->scanned)
        return DT_OK;
    rc = group_open(r, gi);
    if (rc < 0)
        return scan_fail(g, rc);
    gcpl = H5Gget_create_plist(g->gid);
    if (gcpl >= 0) {
        if (H5Pget_link_creation_order(gcpl, &crt) < 0)
            crt = 0;
        g->attr_crt = dt__h5_attr_crt_order(gcpl);
        H5Pclose(gcpl);
    }
    dt__h5_err_text(NULL, 0);
    if (list_links(&ls, g->gid, (crt & H5P_CRT_ORDER_TRACKED) != 0) < 0) {
        rc = dt_error_last()->code == DT_ENOMEM
                 ? DT_ENOMEM
                 : ls.damaged ? dt__err_locate(DT_EFORMAT, r->f->path, g->path)
                 : dt__h5_fail(DT_EFORMAT, r->f->path, g->path,
                               "cannot list the group");
        links_free(&ls);
        return scan_fail(g, rc);
    }
    for (size_t i = 0; i < ls.n && rc == DT_OK; i++)
        rc = visit_link(r, gi, &ls.v[i], keep, &kids, &nkids, &capkids);
    links_free(&ls);
    for (size_t k = 0; k < nkids; k++) {
        size_t ci;

        if (rc == DT_OK)
            rc = add_group(r, gi, kids[k].name, &kids[k].key, kids[k].shared, &ci);
        free(kids[k].name);
    }
    free(kids);
    if (rc == DT_OK)
        rc = declare_scales(r, gi);
    if (rc == DT_OK)
        rc = resolve_scaled(r, gi);
    if (rc == DT_OK && phony_local(r, gi)) {
        rc = place_phony(r, gi, NULL);
        g->local = 1;
    }
    if (!keep || rc < 0)
        group_close(g);
    if (rc < 0)
        return scan_fail(g, rc);
    g->scanned = 1;
    r->nscanned++;
    return DT_OK;
}

/* Scan the subtree below gi (gi itself is scanned), parents first. */
static int scan_below(reader *r, size_t gi)
{
    int rc = DT_OK;

    for (size_t k = 0; k < r->g[gi]->nkids && rc == DT_OK; k++) {
        size_t c = r->g[gi]->kids[k];

        rc = scan_group(r, c, 0);
        if (rc == DT_OK)
            rc = scan_below(r, c);
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* The walk: what only the whole file gives                                 */

typedef struct idtab {
    rdimid *v;
    size_t n, cap;
} idtab;

/* Dimension ids follow netCDF-C: _Netcdf4Dimid when present, else the next
 * free one in traversal order (a group's datasets, then its children). */
static int number_ids(reader *r, size_t gi, idtab *ids, long *next_id)
{
    rgroup *g = r->g[gi];
    int rc;

    for (size_t i = 0; i < g->nd; i++) {
        const rdset *d = &g->d[i];

        if (!d->is_scale)
            continue;
        rc = dt__grow_array(&ids->v, &ids->cap, ids->n, sizeof *ids->v);
        if (rc < 0)
            return rc;
        if (d->has & HAS_DIMID) {
            ids->v[ids->n].id = d->dimid;
            if (d->dimid >= *next_id)
                *next_id = d->dimid + 1;
        } else {
            ids->v[ids->n].id = (*next_id)++;
        }
        ids->v[ids->n].grp = gi;
        ids->v[ids->n].dim = d->sdim;
        ids->n++;
    }
    for (size_t k = 0; k < g->nkids; k++) {
        rc = number_ids(r, g->kids[k], ids, next_id);
        if (rc < 0)
            return rc;
    }
    return DT_OK;
}

static void resolve_coords(reader *r, size_t gi, const idtab *ids)
{
    rgroup *g = r->g[gi];

    for (size_t i = 0; i < g->nd; i++) {
        rdset *d = &g->d[i];

        if (!d->is_scale || d->dim_only || d->rank < 2 || d->ncoords < 0)
            continue;
        for (long ax = 0; ax < d->ncoords && ax < d->rank; ax++) {
            for (size_t k = 0; k < ids->n; k++) {
                if (ids->v[k].id == d->coords[ax] &&
                    is_ancestor_or_self(r, ids->v[k].grp, gi)) {
                    d->ax_grp[ax] = ids->v[k].grp;
                    d->ax_dim[ax] = ids->v[k].dim;
                }
            }
        }
    }
    g->needs_ids = 0;
}

static int name_phony(rgroup *g, unsigned long base)
{
    unsigned long k = 0;

    for (size_t j = 0; j < g->ndims; j++) {
        if (!g->dims[j].phony)
            continue;
        if (!g->dims[j].name) {
            g->dims[j].name = dt__aprintf("phony_dim_%lu", base + k);
            if (!g->dims[j].name)
                return DT_ENOMEM;
        }
        k++;
    }
    g->numbered = 1;
    return DT_OK;
}

/* Child groups are numbered before their parent (netCDF-C's order). */
static int number_phony(reader *r, size_t gi, const idtab *ids, unsigned long *next)
{
    rgroup *g = r->g[gi];
    int rc = DT_OK;

    for (size_t k = 0; k < g->nkids && rc == DT_OK; k++)
        rc = number_phony(r, g->kids[k], ids, next);
    if (rc < 0)
        return rc;
    if (g->needs_ids)
        resolve_coords(r, gi, ids);
    if (g->local) {
        rc = name_phony(g, *next);
        *next += g->nphony;
        return rc;
    }
    rc = place_phony(r, gi, next);
    g->local = rc == DT_OK;
    g->numbered = rc == DT_OK;
    return rc;
}

typedef struct first_at {   /* the first path of each hard-linked dataset */
    size_t *tab;            /* hash of (group, dataset) pairs by key */
    size_t cap, n;
} first_at;

/* Among hard links to one dataset the first one met in traversal order is
 * its own path; the others say they are the same data (FORMAT.md). */
static int note_hard_links(reader *r, size_t gi, first_at *fa)
{
    rgroup *g = r->g[gi];
    int rc;

    for (size_t i = 0; i < g->nd; i++) {
        rdset *d = &g->d[i];
        size_t mask, h;

        if (!d->hard)
            continue;
        if (2 * (fa->n + 1) > fa->cap) {
            size_t cap = fa->cap ? fa->cap * 2 : 64, *tab;

            tab = dt__malloc(2 * cap * sizeof *tab);
            if (!tab)
                return DT_ENOMEM;
            for (size_t j = 0; j < cap; j++)
                tab[2 * j] = NONE;
            for (size_t j = 0; j < fa->cap; j++) {
                size_t eg = fa->tab[2 * j], ed = fa->tab[2 * j + 1];

                if (eg == NONE)
                    continue;
                for (h = key_hash(&r->g[eg]->d[ed].key) & (cap - 1); tab[2 * h] != NONE;
                     h = (h + 1) & (cap - 1))
                    ;
                tab[2 * h] = eg;
                tab[2 * h + 1] = ed;
            }
            free(fa->tab);
            fa->tab = tab;
            fa->cap = cap;
        }
        mask = fa->cap - 1;
        for (h = key_hash(&d->key) & mask; fa->tab[2 * h] != NONE; h = (h + 1) & mask) {
            const rgroup *fg = r->g[fa->tab[2 * h]];
            const rdset *fd = &fg->d[fa->tab[2 * h + 1]];

            if (dt__h5_key_eq(&fd->key, &d->key))
                break;
        }
        if (fa->tab[2 * h] == NONE) {
            fa->tab[2 * h] = gi;
            fa->tab[2 * h + 1] = i;
            fa->n++;
        } else if (!d->note) {
            const rgroup *fg = r->g[fa->tab[2 * h]];
            const rdset *fd = &fg->d[fa->tab[2 * h + 1]];
            char *fp = child_path(fg->path, var_name(fd->link));

            d->note = fp ? dt__aprintf("hard link: same data as %s", fp) : NULL;
            free(fp);
        }
    }
    for (size_t k = 0; k < g->nkids; k++) {
        rc = note_hard_links(r, g->kids[k], fa);
        if (rc < 0)
            return rc;
    }
    return DT_OK;
}

/* Read the structure of the whole file once: phony numbers, the ids of
 * scales without _Netcdf4Dimid, and which path of a shared dataset is its
 * own. A metadata walk: no attribute values beyond the special ones. */
static int walk(reader *r)
{
    idtab ids = {NULL, 0, 0};
    first_at fa = {NULL, 0, 0};
    unsigned long next = 0;
    long next_id = 0;
    int rc;

    if (r->walked)
        return DT_OK;
    if (r->walk_rc < 0)
        return dt__fail_at(r->walk_rc, NULL, NULL, "%s",
                           r->walk_err ? r->walk_err : "the file cannot be read");
    rc = scan_group(r, 0, 0);
    if (rc == DT_OK)
        rc = scan_below(r, 0);
    if (rc == DT_OK)
        rc = number_ids(r, 0, &ids, &next_id);
    for (size_t i = 0; rc == DT_OK && i < r->ng; i++) {
        for (size_t j = 0; j < r->g[i]->ndims; j++)
            next += !r->g[i]->dims[j].phony;
    }
    if (rc == DT_OK)
        rc = number_phony(r, 0, &ids, &next);
    if (rc == DT_OK)
        rc = note_hard_links(r, 0, &fa);
    free(ids.v);
    free(fa.tab);
    if (rc < 0) {
        r->walk_rc = rc;
        free(r->walk_err);
        r->walk_err = dt__strdup(dt_error_last()->message);
        return rc;
    }
    r->walked = 1;
    return DT_OK;
}

/* Does building group gi need the walk? */
static int needs_walk(const reader *r, size_t gi)
{
    const rgroup *g = r->g[gi];

    if (r->walked)
        return 0;
    if (g->needs_ids || !g->local || (g->nphony && !g->numbered))
        return 1;
    for (size_t i = 0; i < g->nd; i++) {
        /* reachable through another path: which one is its own? (A soft
         * link elsewhere to one of the group's ancestors cannot be known
         * without the walk; netCDF-4 files have no links but their own.) */
        if (g->d[i].hard && (g->shared || g->d[i].rc > 1))
            return 1;
    }
    return 0;
}

/* netcdf4-on-hdf5.md 3.3: an unlimited dim is as long as the longest
 * variable along it (placeholder scales are not always extended), and
 * variables of descendant groups may use it: for a group that declares
 * one, its subtree is scanned first. */
static void grow_unlimited(reader *r, size_t gi, size_t owner, int below)
{
    rgroup *g = r->g[gi];

    for (size_t i = 0; i < g->nd; i++) {
        const rdset *d = &g->d[i];

        if (d->dim_only)
            continue;
        for (int ax = 0; ax < d->rank; ax++) {
            rdim *dim;

            if (d->ax_grp[ax] != owner || d->ax_dim[ax] == NONE)
                continue;
            dim = &r->g[owner]->dims[d->ax_dim[ax]];
            if (dim->unlimited && d->ext[ax] > dim->size)
                dim->size = d->ext[ax];
        }
    }
    for (size_t k = 0; below && k < g->nkids; k++)
        grow_unlimited(r, g->kids[k], owner, 1);
}

static int size_group(reader *r, size_t gi)
{
    rgroup *g = r->g[gi];
    int below = 0, rc;

    if (g->sized)
        return DT_OK;
    /* children see the group's scales, never its phony dims */
    for (size_t j = 0; j < g->ndims; j++)
        below = below || (g->dims[j].unlimited && !g->dims[j].phony);
    below = below && g->nkids > 0;
    if (below) {
        rc = scan_below(r, gi);
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < r->ng; i++) {
            if (r->g[i]->needs_ids && is_ancestor_or_self(r, gi, i)) {
                rc = walk(r);
                if (rc < 0)
                    return rc;
                break;
            }
        }
    }
    grow_unlimited(r, gi, gi, below);
    g->sized = 1;
    return DT_OK;
}

/* ------------------------------------------------------------------------ */
/* Building the tree                                                        */

/* The variable's fill value (FORMAT.md): the _FillValue attribute read as
 * the variable's type, else the dataset's fill when the file sets one;
 * variable-length strings only through _FillValue. */
static int var_fill(const reader *r, const rdset *d, hid_t did, const dt__h5type *t,
                    hid_t dcpl, unsigned char *buf, char **str, int *has)
{
    uint32_t cls = DT_TYPE_CLASS(t->type);
    H5D_fill_value_t st;
    int attr = !d->listed || (d->has & HAS_FILL);

    *has = 0;
    if (cls == DT_STRING) {
        *str = attr ? dt__h5_attr_string(did, "_FillValue") : NULL;
        *has = *str != NULL;
        return DT_OK;
    }
    if (t->mem < 0)
        return DT_OK;
    if (attr && dt__h5_attr_read(did, "_FillValue", t->mem, buf, 1,
                                 dt__attr_cap(&r->f->limits)) >= 1) {
        *has = 1;
        return DT_OK;
    }
    /* netCDF-C lists enum fills only through _FillValue */
    if (r->f->nc4 && cls == DT_ENUM)
        return DT_OK;
    if (H5Pfill_value_defined(dcpl, &st) < 0)
        dt__h5_err_text(NULL, 0);
    else if (st == H5D_FILL_VALUE_USER_DEFINED && H5Pget_fill_value(dcpl, t->mem, buf) >= 0)
        *has = 1;
    else if (st == H5D_FILL_VALUE_USER_DEFINED)
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

static int add_variable(reader *r, dt_node *node, size_t gi, size_t di)
{
    rgroup *g = r->g[gi];
    rdset *d = &g->d[di];
    const char *dims[H5S_MAX_RANK];
    uint64_t shape[H5S_MAX_RANK], chunks[H5S_MAX_RANK];
    hsize_t hchunks[H5S_MAX_RANK];
    dt__h5type t = {DT_NONE, H5I_INVALID_HID, 0, 0, 0};
    hid_t ftype = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
    unsigned char *fill = NULL;
    char *fill_str = NULL, *path = child_path(g->path, var_name(d->link));
    dt_var *var = NULL;
    int rc, has_fill = 0;

    if (!path)
        return DT_ENOMEM;
    if (d->did < 0) {
        d->did = dset_open(r, g->gid, d->link, d->ltype);
        if (d->did < 0) {
            rc = dt__h5_fail(DT_EFORMAT, r->f->path, path, "cannot open the dataset");
            goto out;
        }
    }
    ftype = H5Dget_type(d->did);
    dcpl = d->dcpl >= 0 ? d->dcpl : H5Dget_create_plist(d->did);
    d->dcpl = H5I_INVALID_HID;
    if (ftype < 0 || dcpl < 0) {
        rc = dt__h5_fail(DT_EFORMAT, r->f->path, path, "unreadable dataset");
        goto out;
    }
    rc = dt__h5_type_map_brief(&t, ftype);
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
        const rdim *dim = dim_at(r, d->ax_grp[ax], d->ax_dim[ax]);

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
    if (d->listed && (d->in_order || !dt__h5_attr_crt_order(dcpl)))
        rc = dt__h5_read_attr_list(dt_var_attrs(var), d->did, r->f, path, &d->anames);
    else
        rc = dt__h5_read_attrs(dt_var_attrs(var), d->did, dt__h5_attr_crt_order(dcpl),
                               r->f, path);
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
        rc = var_fill(r, d, d->did, &t, dcpl, fill, &fill_str, &has_fill);
    if (rc == DT_OK && has_fill) {
        if (t.is_bool)
            fill[0] = fill[0] != 0;
        rc = dt_var_set_fill(var, fill_str ? (const void *)&fill_str
                                           : (const void *)fill);
    }
    if (rc == DT_OK && !has_fill && t.mem >= 0 && DT_TYPE_CLASS(t.type) != DT_STRING) {
        /* no declared fill: past the extent reads what HDF5 would give */
        if (H5Pget_fill_value(dcpl, t.mem, fill) >= 0)
            has_fill = 1;
        else
            dt__h5_err_text(NULL, 0);
    }
    if (rc < 0) {
        rc = dt__err_locate(rc, r->f->path, path);
        goto out;
    }
    if (d->note)
        rc = dt__var_set_link(var, d->note);
    if (rc == DT_OK) {
        /* the dataset's path: the variable's, unless its link has a prefix */
        char *dpath = strcmp(d->link, var_name(d->link)) == 0 ? path
                      : child_path(g->path, d->link);

        rc = dpath ? dt__h5_source_attach(var, r->f, dpath, d->rank, d->ext, &t,
                                          fill_str ? (const void *)&fill_str
                                          : has_fill ? (const void *)fill : NULL)
                   : DT_ENOMEM;
        if (dpath != path)
            free(dpath);
    }
    /* the source opens the dataset again when it is first read */
    dset_close(d);
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

/* Make ready what building group gi needs: its own structure, the walk
 * when a name or a note depends on the whole file, and final sizes. */
static int prepare_group(reader *r, size_t gi)
{
    int rc = scan_group(r, gi, 1);

    if (rc == DT_OK && needs_walk(r, gi))
        rc = walk(r);
    if (rc == DT_OK)
        rc = size_group(r, gi);
    if (rc == DT_OK)
        rc = group_open(r, gi);
    return rc;
}

/* A group's own content, built on its first use (the model's loader). A
 * netCDF-4 file is read as far as that needs: the group's links, its
 * datasets and the scales they name in it and its ancestors (loaded
 * first); the whole file only for what FORMAT.md defines over it. */
static int load_group(dt_node *node, void *ctx)
{
    rgroup *g = ctx;
    reader *r = g->r;
    size_t gi = g->idx;
    int rc;

    dt__h5_lock();
    rc = prepare_group(r, gi);
    if (rc == DT_OK)
        rc = dt__h5_read_attrs(dt_node_attrs(node), g->gid, g->attr_crt, r->f, g->path);
    for (size_t j = 0; j < g->ndims && rc == DT_OK; j++) {
        rc = dt_node_add_dim(node, g->dims[j].name, g->dims[j].size,
                             g->dims[j].unlimited);
        if (rc < 0)
            rc = dt__err_locate(rc, r->f->path, g->path);
    }
    for (size_t i = 0; i < g->nd && rc == DT_OK; i++) {
        if (!g->d[i].dim_only)
            rc = add_variable(r, node, gi, i);
    }
    if (rc == DT_OK)
        mark_coordinates(node);
    for (size_t k = 0; k < g->nkids && rc == DT_OK; k++) {
        rgroup *c = r->g[g->kids[k]];
        dt_node *child = NULL;

        rc = dt_node_create(&child, node, c->name, 0);
        if (rc == DT_EBADNAME) {
            /* a name the model cannot hold: the subtree is left out */
            dt_error_clear();
            rc = DT_OK;
        } else if (rc < 0) {
            rc = dt__err_locate(rc, r->f->path, c->path);
        } else {
            dt__node_set_loader(child, load_group, c, NULL);
        }
    }
    /* what the variables did not take over is no longer needed */
    group_close(g);
    for (size_t i = 0; i < g->nd; i++)
        dt__h5_names_free(&g->d[i].anames);
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

size_t dt__h5_groups_scanned(const void *backend)
{
    const reader *r = backend;

    return r ? r->nscanned : 0;
}

int dt__h5_walked(const void *backend)
{
    const reader *r = backend;

    return r ? r->walked : 0;
}

/* ------------------------------------------------------------------------ */
/* Entry point                                                              */

static int hdf5_open(dt_tree **out, const char *path, const void *image, size_t len,
                     const dt_open_opts *opts)
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
    rc = file_open(&f, path, image, len, opts);
    if (rc < 0)
        goto out;
    r = dt__calloc(1, sizeof *r);
    if (!r) {
        rc = DT_ENOMEM;
        goto out;
    }
    r->f = f;
    r->external_links = opts->external_links;
    r->refs_mem = H5I_INVALID_HID;
    root = H5Gopen2(f->fid, "/", f->lapl);
    if (root < 0 || dt__h5_key(&key, root) < 0) {
        rc = dt__h5_fail(DT_EFORMAT, path, "/", "cannot open the root group");
        if (root >= 0)
            H5Gclose(root);
        goto out;
    }
    has_props = H5Aexists(root, "_NCProperties") > 0;
    dt__h5_err_text(NULL, 0);
    rc = add_group(r, NONE, "", &key, 0, &gi);
    if (rc == DT_OK) {
        r->g[gi]->gid = root;
        rc = seen_add(r, &key, &again);
    } else {
        H5Gclose(root);
    }
    /* FORMAT.md: netcdf4 when the file has _NCProperties or scales. A file
     * without _NCProperties is walked now to learn which; a netCDF-4 file
     * is read group by group as the tree is used. */
    if (rc == DT_OK && !has_props)
        rc = walk(r);
    if (rc < 0)
        goto out;
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
    dt__node_set_loader(dt_tree_root(tree), load_group, r->g[0], NULL);
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

int dt__hdf5_open(dt_tree **out, const char *path, const dt_open_opts *opts)
{
    return hdf5_open(out, path, NULL, 0, opts);
}

int dt__hdf5_open_image(dt_tree **out, const char *name, const void *image, size_t len,
                        const dt_open_opts *opts)
{
    if (!image && out) {
        *out = NULL;
        return dt__fail(DT_EINVAL, "no file image given");
    }
    return hdf5_open(out, name, image ? image : "", len, opts);
}
