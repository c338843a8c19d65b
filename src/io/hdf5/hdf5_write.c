/* hdf5_write.c: write a tree as a netCDF-4 file laid out the way netCDF-C
 * writes one (netcdf4-on-hdf5.md, the writing half), streaming the data
 * block by block into a temporary file that replaces the target at the end. */
#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5_hl.h>
#include <utf8proc.h>
#include <unistd.h>

#include "hdf5_internal.h"

/* netcdf4-on-hdf5.md 3.1: the NAME of a placeholder scale starts with this
 * sentence, followed by the length as "%10d"; variables named like a
 * dimension of their group that they do not use get the prefix. */
#define DIM_ONLY "This is a netCDF dimension but not a netCDF variable."
#define NON_COORD "_nc4_non_coord_"

/* The longest name netCDF-C 4.9 reads back (FORMAT.md, "Names"). */
#define NC_NAME_MAX 255

/* Bytes of data held in memory at once while copying one variable; the
 * chunks HDF5 caches and one target chunk come on top. */
#define BLOCK_BYTES ((uint64_t)32 << 20)

/* netcdf4-on-hdf5.md 4.1: netCDF-C's DEFAULT_CHUNK_SIZE (autotools build). */
#define NC_DEFAULT_CHUNK ((uint64_t)4 << 20)

#define FILTER_ZSTD 32015
#define NONE SIZE_MAX

typedef struct wdim {
    const dt_node *owner;   /* the source group whose table declares it */
    char *name;             /* as the tree has it */
    char *hname;            /* as written (NFC) */
    uint64_t size;
    int unlimited;
    int id;                 /* netCDF dimension id, file-global */
    hid_t scale;            /* its scale dataset once created */
    const dt_var *coord;    /* the coordinate variable that is the scale */
} wdim;

typedef struct wtype {      /* a committed enum type */
    hid_t tid;
    const dt_node *node;    /* source group it was committed for */
} wtype;

typedef struct writer {
    const dt_write_opts *o;
    const char *path;       /* the target, named in messages */
    const dt_node *top;     /* root of what is written */
    hid_t fid;
    wdim *dims;
    size_t ndims, capdims;
    wtype *types;
    size_t ntypes, captypes;
    int next_id;
    uint64_t total, done;
    unsigned char *buf;
    size_t bufcap;
    unsigned ncpu;          /* encoding threads when > 1 */
    struct dt__h5enc *enc;    /* started on first use */
} writer;

typedef struct wvar {
    const dt_var *v;
    char *path;             /* source path, for messages */
    char *nfc;              /* the name as written (NFC) */
    char *hname;            /* link name in the written group */
    int is_scale;           /* coordinate variable: the scale of axis[0] */
    size_t axis[DT_MAX_RANK];  /* index in writer.dims per axis */
    hid_t did, ftype, mtype;
} wvar;

/* ------------------------------------------------------------------------ */
/* Names                                                                    */

/* datatree-model.md 2.2: netCDF-C wants the first byte to be a letter, a
 * digit, '_' or the start of a multibyte UTF-8 character, and reads back
 * names of at most 255 bytes. */
static int check_name(const writer *w, const char *name, const char *what,
                      const char *objpath)
{
    unsigned char c = (unsigned char)name[0];
    size_t len = strlen(name);

    if (len > NC_NAME_MAX)
        return dt__fail_at(DT_EBADNAME, w->path, objpath,
                           "%s name of %zu bytes cannot be written to netCDF-4: "
                           "netCDF-C reads back names of at most %d bytes",
                           what, len, NC_NAME_MAX);
    if (!(c >= 0x80 || c == '_' || (c >= '0' && c <= '9') ||
          (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
        return dt__fail_at(DT_EBADNAME, w->path, objpath,
                           "%s name \"%s\" cannot be written to netCDF-4: a netCDF "
                           "name starts with a letter, a digit, '_' or a multibyte "
                           "UTF-8 character, not '%c'", what, name, c);
    return DT_OK;
}

/* The name as netCDF-C stores it: checked, and in Unicode NFC (netCDF-C
 * normalises every name it is given, and looks names up normalised). */
static int nc_name(const writer *w, const char *name, const char *what,
                   const char *objpath, char **out)
{
    const char *p;
    utf8proc_uint8_t *nfc;
    int rc = check_name(w, name, what, objpath);

    *out = NULL;
    if (rc < 0)
        return rc;
    for (p = name; *p && !(*p & 0x80); p++)
        ;
    if (!*p) {
        *out = dt__strdup(name); /* ASCII is NFC already */
        return *out ? DT_OK : DT_ENOMEM;
    }
    nfc = utf8proc_NFC((const utf8proc_uint8_t *)name);
    if (!nfc)
        return dt__fail_at(DT_EBADNAME, w->path, objpath, "%s name is not valid UTF-8",
                           what);
    rc = check_name(w, (const char *)nfc, what, objpath);
    if (rc == DT_OK) {
        *out = dt__strdup((const char *)nfc);
        rc = *out ? DT_OK : DT_ENOMEM;
    }
    free(nfc);
    return rc;
}

static char *child_path(const char *parent, const char *name)
{
    return dt__aprintf("%s/%s", strcmp(parent, "/") == 0 ? "" : parent, name);
}

/* ------------------------------------------------------------------------ */
/* Types                                                                    */

static hid_t int_type(uint32_t cls, int big)
{
    switch (cls) {
    case DT_INT8: return H5Tcopy(big ? H5T_STD_I8BE : H5T_NATIVE_SCHAR);
    case DT_INT16: return H5Tcopy(big ? H5T_STD_I16BE : H5T_NATIVE_SHORT);
    case DT_INT32: return H5Tcopy(big ? H5T_STD_I32BE : H5T_NATIVE_INT);
    case DT_INT64: return H5Tcopy(big ? H5T_STD_I64BE : H5T_NATIVE_LLONG);
    case DT_UINT8: return H5Tcopy(big ? H5T_STD_U8BE : H5T_NATIVE_UCHAR);
    case DT_UINT16: return H5Tcopy(big ? H5T_STD_U16BE : H5T_NATIVE_USHORT);
    case DT_UINT32: return H5Tcopy(big ? H5T_STD_U32BE : H5T_NATIVE_UINT);
    case DT_UINT64: return H5Tcopy(big ? H5T_STD_U64BE : H5T_NATIVE_ULLONG);
    default: return H5I_INVALID_HID;
    }
}

static hid_t string_type(size_t size, H5T_str_t pad, H5T_cset_t cset)
{
    hid_t t = H5Tcopy(H5T_C_S1);

    if (t >= 0 && (H5Tset_size(t, size) < 0 || H5Tset_strpad(t, pad) < 0 ||
                   H5Tset_cset(t, cset) < 0)) {
        H5Tclose(t);
        t = H5I_INVALID_HID;
    }
    return t;
}

/* The HDF5 type of a non-enum dt_type: native order in memory (big = 0),
 * big- or native-endian in the file. h5py's encodings for what netCDF has
 * no type for: bool as enum {FALSE, TRUE} over int8, complex as compound
 * {r, i}, float16 as a 16-bit IEEE float. */
static hid_t atomic_type(dt_type t, int big)
{
    uint32_t cls = DT_TYPE_CLASS(t);
    hid_t h = H5I_INVALID_HID;

    switch (cls) {
    case DT_INT8: case DT_INT16: case DT_INT32: case DT_INT64:
    case DT_UINT8: case DT_UINT16: case DT_UINT32: case DT_UINT64:
        return int_type(cls, big);
    case DT_FLOAT32:
        return H5Tcopy(big ? H5T_IEEE_F32BE : H5T_NATIVE_FLOAT);
    case DT_FLOAT64:
        return H5Tcopy(big ? H5T_IEEE_F64BE : H5T_NATIVE_DOUBLE);
    case DT_FLOAT16:
        h = H5Tcopy(big ? H5T_IEEE_F32BE : H5T_IEEE_F32LE);
        if (h >= 0 && (H5Tset_fields(h, 15, 10, 5, 0, 10) < 0 || H5Tset_size(h, 2) < 0 ||
                       H5Tset_ebias(h, 15) < 0)) {
            H5Tclose(h);
            h = H5I_INVALID_HID;
        }
        return h;
    case DT_BOOL: {
        signed char f = 0, tr = 1;

        h = H5Tenum_create(big ? H5T_STD_I8BE : H5T_NATIVE_SCHAR);
        if (h >= 0 && (H5Tenum_insert(h, "FALSE", &f) < 0 ||
                       H5Tenum_insert(h, "TRUE", &tr) < 0)) {
            H5Tclose(h);
            h = H5I_INVALID_HID;
        }
        return h;
    }
    case DT_COMPLEX64:
    case DT_COMPLEX128: {
        size_t part = cls == DT_COMPLEX64 ? 4 : 8;
        hid_t f = part == 4 ? (big ? H5T_IEEE_F32BE : H5T_NATIVE_FLOAT)
                            : (big ? H5T_IEEE_F64BE : H5T_NATIVE_DOUBLE);

        h = H5Tcreate(H5T_COMPOUND, 2 * part);
        if (h >= 0 && (H5Tinsert(h, "r", 0, f) < 0 || H5Tinsert(h, "i", part, f) < 0)) {
            H5Tclose(h);
            h = H5I_INVALID_HID;
        }
        return h;
    }
    case DT_STRING:
        return string_type(H5T_VARIABLE, H5T_STR_NULLTERM, H5T_CSET_UTF8);
    case DT_CHAR:
        return string_type(1, H5T_STR_NULLTERM, H5T_CSET_ASCII);
    case DT_BYTES:
        return string_type(DT_TYPE_PARAM(t) ? DT_TYPE_PARAM(t) : 1, H5T_STR_NULLPAD,
                           H5T_CSET_ASCII);
    default:
        return H5I_INVALID_HID;
    }
}

/* Types netCDF-4 and this writer cannot hold. */
static int type_writable(dt_type t)
{
    switch (DT_TYPE_CLASS(t)) {
    case DT_UNICODE: case DT_JSON: case DT_COMPOUND: case DT_OPAQUE: case DT_VLEN:
    case DT_NONE:
        return 0;
    default:
        return 1;
    }
}

/* The enum type of var: an equal one already committed in its group or an
 * ancestor's (netCDF types are visible below their group), else a new one
 * committed in gid as "<var>_t". Borrowed from w->types. */
static int enum_type(writer *w, hid_t gid, const dt_node *node, const wvar *wv,
                     hid_t *out)
{
    const dt_var *v = wv->v;
    uint32_t base = DT_TYPE_PARAM(dt_var_type(v));
    hid_t b = int_type(base, 0), t;
    char *name = NULL;
    int rc = DT_OK;

    /* the base in native order: enum data is written with the committed
     * type itself as the memory type, so HDF5 never converts by name */
    t = b >= 0 ? H5Tenum_create(b) : H5I_INVALID_HID;
    if (b >= 0)
        H5Tclose(b);
    if (t < 0)
        return dt__h5_fail(DT_ETYPE, w->path, wv->path, "cannot build the enum type");
    for (size_t i = 0; i < dt_var_enum_count(v); i++) {
        const char *mname;
        int64_t val;
        unsigned char bytes[8];

        dt_var_enum_member(v, i, &mname, &val);
        switch (dt_type_size(base)) {
        case 1: { int8_t x = (int8_t)val; memcpy(bytes, &x, 1); break; }
        case 2: { int16_t x = (int16_t)val; memcpy(bytes, &x, 2); break; }
        case 4: { int32_t x = (int32_t)val; memcpy(bytes, &x, 4); break; }
        default: memcpy(bytes, &val, 8); break;
        }
        if (H5Tenum_insert(t, mname, bytes) < 0) {
            rc = dt__h5_fail(DT_ETYPE, w->path, wv->path, "enum member \"%s\" = %" PRId64
                             " cannot be defined", mname, val);
            goto out;
        }
    }
    for (size_t i = 0; i < w->ntypes; i++) {
        if (dt__node_within(w->types[i].node, node) && H5Tequal(w->types[i].tid, t) > 0) {
            *out = w->types[i].tid;
            goto out;
        }
    }
    dt__h5_err_text(NULL, 0);
    name = dt__aprintf("%s_t", wv->nfc);
    for (int k = 2; name && H5Lexists(gid, name, H5P_DEFAULT) > 0; k++) {
        free(name);
        name = dt__aprintf("%s_t%d", wv->nfc, k);
    }
    dt__h5_err_text(NULL, 0);
    if (!name) {
        rc = DT_ENOMEM;
        goto out;
    }
    rc = dt__grow_array(&w->types, &w->captypes, w->ntypes, sizeof *w->types);
    if (rc < 0)
        goto out;
    if (dt__io_fault(w->path, "committing a type")) {
        rc = DT_EIO;
        goto out;
    }
    if (H5Tcommit2(gid, name, t, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) < 0) {
        rc = dt__h5_fail(DT_EIO, w->path, wv->path, "cannot commit the enum type %s", name);
        goto out;
    }
    w->types[w->ntypes].tid = t;
    w->types[w->ntypes].node = node;
    w->ntypes++;
    *out = t;
    t = H5I_INVALID_HID;
out:
    if (t >= 0)
        H5Tclose(t);
    free(name);
    return rc;
}

/* A committed enum type over base visible from node, for an enum attribute
 * (the model keeps no member names for attributes), or -1. */
static hid_t enum_for_attr(const writer *w, const dt_node *node, uint32_t base)
{
    for (size_t i = 0; i < w->ntypes; i++) {
        hid_t b;
        int same;

        if (!dt__node_within(w->types[i].node, node))
            continue;
        b = H5Tget_super(w->types[i].tid);
        same = b >= 0 && H5Tget_size(b) == dt_type_size(base) &&
               (H5Tget_sign(b) != H5T_SGN_NONE) ==
                   (base == DT_INT8 || base == DT_INT16 || base == DT_INT32 ||
                    base == DT_INT64);
        if (b >= 0)
            H5Tclose(b);
        if (same)
            return w->types[i].tid;
    }
    return H5I_INVALID_HID;
}

/* ------------------------------------------------------------------------ */
/* Attributes                                                               */

static int attr_create_write(writer *w, hid_t obj, const char *name, hid_t ftype,
                             hid_t space, hid_t mtype, const void *vals,
                             const char *objpath)
{
    hid_t aid;
    int rc = DT_OK;

    if (dt__io_fault(w->path, "writing an attribute"))
        return DT_EIO;
    aid = H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
    if (aid < 0)
        return dt__h5_fail(DT_EIO, w->path, objpath, "cannot create attribute \"%s\"",
                           name);
    if (vals && H5Awrite(aid, mtype, vals) < 0)
        rc = dt__h5_fail(DT_EIO, w->path, objpath, "cannot write attribute \"%s\"", name);
    H5Aclose(aid);
    return rc;
}

/* netcdf4-on-hdf5.md 5: numbers and strings as 1-D vectors (H5S_NULL when
 * empty), char text as one scalar fixed-length string. netCDF has no
 * attribute of rank 2 or more: such values are written flat. */
static int write_attr(writer *w, hid_t obj, const dt_node *node, const dt_attr *a,
                      const wvar *wv, const char *objpath)
{
    const char *name = dt_attr_name(a);
    dt_type t = dt_attr_type(a);
    uint32_t cls = DT_TYPE_CLASS(t);
    size_t n = dt_attr_len(a);
    const void *vals = dt_attr_data(a);
    hid_t ftype = H5I_INVALID_HID, mtype = H5I_INVALID_HID, space = H5I_INVALID_HID;
    hsize_t dim = n;
    char *hname = NULL;
    int rc = nc_name(w, name, "attribute", objpath, &hname), own_types = 1;

    if (rc < 0)
        return rc;
    if (H5Aexists(obj, hname) > 0) {
        rc = dt__fail_at(DT_ENAMECLASH, w->path, objpath, "attribute \"%s\" has the name "
                         "of another once both are normalised (NFC)", name);
        free(hname);
        return rc;
    }
    dt__h5_err_text(NULL, 0);
    if (cls == DT_CHAR || cls == DT_JSON) {
        size_t len = cls == DT_JSON ? strlen(vals) : n;

        ftype = string_type(len ? len : 1, H5T_STR_NULLTERM, H5T_CSET_ASCII);
        space = H5Screate(len ? H5S_SCALAR : H5S_NULL);
        mtype = H5Tcopy(ftype);
        if (!len)
            vals = NULL;
    } else if (!type_writable(t)) {
        char tn[32];

        free(hname);
        if (w->o->skip_unsupported)
            return DT_OK;
        dt_type_name(tn, sizeof tn, t);
        return dt__fail_at(DT_ETYPE, w->path, objpath, "attribute \"%s\" of type %s "
                           "cannot be written to netCDF-4", name, tn);
    } else {
        if (wv && strcmp(name, "_FillValue") == 0 && n == 1) {
            /* netcdf4-on-hdf5.md 7: _FillValue has the variable's type */
            ftype = wv->ftype;
            own_types = 0;
            if (t == dt_var_type(wv->v)) {
                mtype = wv->mtype;
            } else if (dt_type_size(t) == dt_type_size(dt_var_type(wv->v)) &&
                       DT_TYPE_CLASS(dt_var_type(wv->v)) == DT_ENUM) {
                mtype = wv->mtype;
            } else {
                own_types = 2;
                mtype = atomic_type(t, 0);
            }
        } else if (cls == DT_ENUM) {
            hid_t e = enum_for_attr(w, node, DT_TYPE_PARAM(t));

            if (e >= 0) {
                ftype = mtype = e;
                own_types = 0;
            } else {
                ftype = int_type(DT_TYPE_PARAM(t), 0);
                mtype = int_type(DT_TYPE_PARAM(t), 0);
            }
        } else {
            ftype = atomic_type(t, 0);
            mtype = atomic_type(t, 0);
        }
        space = n ? H5Screate_simple(1, &dim, NULL) : H5Screate(H5S_NULL);
        if (!n)
            vals = NULL;
    }
    if (ftype < 0 || mtype < 0 || space < 0)
        rc = dt__h5_fail(DT_ETYPE, w->path, objpath, "attribute \"%s\": cannot build "
                         "its type", name);
    else
        rc = attr_create_write(w, obj, hname, ftype, space, mtype, vals, objpath);
    free(hname);
    if (own_types == 1 && ftype >= 0)
        H5Tclose(ftype);
    if (own_types >= 1 && mtype >= 0)
        H5Tclose(mtype);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

static int write_attrs(writer *w, hid_t obj, const dt_node *node, const dt_attrs *as,
                       const wvar *wv, const char *objpath)
{
    int rc = DT_OK;

    for (size_t i = 0; i < dt_attrs_count(as) && rc == DT_OK; i++)
        rc = write_attr(w, obj, node, dt_attrs_at(as, i), wv, objpath);
    return rc;
}

static int int_attr(writer *w, hid_t obj, const char *name, const int *vals,
                    size_t n, int scalar, const char *objpath)
{
    hsize_t dim = n;
    hid_t space = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dim, NULL);
    int rc;

    if (space < 0)
        return dt__h5_fail(DT_ERROR, w->path, objpath, "cannot build a dataspace");
    rc = attr_create_write(w, obj, name, H5T_NATIVE_INT, space, H5T_NATIVE_INT, vals,
                           objpath);
    H5Sclose(space);
    return rc;
}

/* netcdf4-on-hdf5.md 1: _NCProperties, a scalar fixed-length ASCII string
 * naming the writer and the HDF5 it used. */
static int write_ncproperties(writer *w, hid_t root)
{
    unsigned maj = 0, min = 0, rel = 0;
    char text[128];
    hid_t t, space;
    int rc;

    H5get_libversion(&maj, &min, &rel);
    snprintf(text, sizeof text, "version=2,libdtree=%s,hdf5=%u.%u.%u", dt_version(),
             maj, min, rel);
    t = string_type(strlen(text), H5T_STR_NULLTERM, H5T_CSET_ASCII);
    space = H5Screate(H5S_SCALAR);
    if (t < 0 || space < 0)
        rc = dt__h5_fail(DT_ERROR, w->path, "/", "cannot build _NCProperties");
    else
        rc = attr_create_write(w, root, "_NCProperties", t, space, t, text, "/");
    if (t >= 0)
        H5Tclose(t);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Layout and filters                                                       */

static int has_codec(const dt_var *v, const char *name)
{
    for (size_t i = 0; i < dt_var_codec_count(v); i++) {
        if (strcmp(dt_var_codec(v, i), name) == 0)
            return 1;
    }
    return 0;
}

/* The level a source HDF5 dataset gives filter id, or dflt. */
static int source_level(const dt_var *v, long id, int dflt)
{
    hid_t did = dt__h5_source_dataset(v), dcpl;
    int level = dflt;

    if (did < 0)
        return dflt;
    dcpl = H5Dget_create_plist(did);
    if (dcpl >= 0) {
        unsigned flags = 0, cd[8] = {0}, config = 0;
        size_t nelm = 8;

        if (H5Pget_filter_by_id2(dcpl, (H5Z_filter_t)id, &flags, &nelm, cd, 0, NULL,
                                 &config) >= 0 && nelm >= 1)
            level = (int)cd[0];
        H5Pclose(dcpl);
    }
    dt__h5_err_text(NULL, 0);
    return level;
}

typedef struct pipeline {
    int fletcher32, shuffle;
    int deflate;            /* 0: none, else level */
    int zstd, zstd_level;
} pipeline;

/* netcdf4-on-hdf5.md 8: fletcher32, then shuffle, then the compressor. The
 * source's filters are kept unless the options name others; filters this
 * writer cannot encode (szip, blosc, lzf, bzip2, nbit, scaleoffset) are
 * left out: their data is written decoded. */
static void plan_filters(const writer *w, const dt_var *v, pipeline *p)
{
    const dt_write_opts *o = w->o;

    memset(p, 0, sizeof *p);
    p->fletcher32 = o->fletcher32 > 0 || (o->fletcher32 == 0 && has_codec(v, "fletcher32"));
    p->shuffle = o->shuffle > 0 || (o->shuffle == 0 && has_codec(v, "shuffle"));
    if (o->deflate > 0) {
        p->deflate = o->deflate;
    } else if (o->zstd > 0) {
        p->zstd = 1;
        p->zstd_level = o->zstd;
    } else {
        if (o->deflate == 0 && has_codec(v, "zlib"))
            p->deflate = source_level(v, H5Z_FILTER_DEFLATE, 4);
        else if (o->zstd == 0 && has_codec(v, "zstd")) {
            p->zstd = 1;
            p->zstd_level = source_level(v, FILTER_ZSTD, 3);
        }
    }
    if (p->deflate < 0 || p->deflate > 9)
        p->deflate = 4;
}

static int pipeline_empty(const pipeline *p)
{
    return !p->fletcher32 && !p->shuffle && !p->deflate && !p->zstd;
}

/* netcdf4-on-hdf5.md 4.1: netCDF-C's default chunk shape (D = 4 MiB). */
static void default_chunks(const uint64_t *shape, const int *unl, size_t nd,
                           size_t esize, hsize_t *chunks)
{
    double d = (double)NC_DEFAULT_CHUNK, t = (double)(esize ? esize : 1);
    size_t nunl = 0;
    double nfixed = 1;

    for (size_t i = 0; i < nd; i++) {
        if (unl[i])
            nunl++;
        else
            nfixed *= (double)(shape[i] ? shape[i] : 1);
    }
    if (nd == 1 && nunl == 1) {
        uint64_t s = (uint64_t)(d / t);

        s = s < 4096 ? s : 4096;
        chunks[0] = s ? s / (esize ? esize : 1) : 1;
        if (chunks[0] == 0)
            chunks[0] = 1;
        return;
    }
    if (nunl == nd) {
        double c = floor(pow(d / t, 1.0 / (double)nd));

        for (size_t i = 0; i < nd; i++)
            chunks[i] = c >= 1 ? (hsize_t)c : 1;
        return;
    }
    for (size_t i = 0; i < nd; i++) {
        if (unl[i]) {
            chunks[i] = 1;
        } else {
            double c = floor(pow(d / (nfixed * t), 1.0 / (double)(nd - nunl)) *
                             (double)shape[i] - 0.5);

            if (c > (double)shape[i])
                c = (double)shape[i];
            chunks[i] = c >= 1 ? (hsize_t)c : 1;
        }
    }
    for (;;) {
        double bytes = t;

        for (size_t i = 0; i < nd; i++)
            bytes *= (double)chunks[i];
        if (bytes <= 4294967295.0)
            break;
        for (size_t i = 0; i < nd; i++)
            chunks[i] = chunks[i] / 2 ? chunks[i] / 2 : 1;
    }
    for (size_t i = 0; i < nd; i++) {
        uint64_t len = shape[i];
        uint64_t nch;

        if (unl[i] || !len || !chunks[i])
            continue;
        nch = (len + chunks[i] - 1) / chunks[i];
        chunks[i] -= (nch * chunks[i] - len) / nch;
    }
}

/* The dataset creation properties of a variable: layout, filters, fill. */
static int make_dcpl(writer *w, const wvar *wv, hid_t *out, int *chunked,
                     hsize_t *chunks)
{
    const dt_var *v = wv->v;
    const dt_write_opts *o = w->o;
    size_t nd = dt_var_ndim(v);
    const uint64_t *shape = dt_var_shape(v), *src = dt_var_chunks(v);
    int unl[DT_MAX_RANK], any_unl = 0, override = 0, any_zero = 0;
    size_t esize = DT_TYPE_CLASS(dt_var_type(v)) == DT_STRING ? sizeof(char *)
                                                                : dt_type_size(dt_var_type(v));
    uint64_t bytes = esize;
    pipeline p;
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    const void *fill = dt_var_fill(v);
    int rc = DT_OK;

    *out = H5I_INVALID_HID;
    *chunked = 0;
    if (dcpl < 0)
        return dt__h5_fail(DT_ERROR, w->path, wv->path, "cannot create properties");
    if (H5Pset_obj_track_times(dcpl, 0) < 0 ||
        H5Pset_attr_creation_order(dcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0) {
        rc = dt__h5_fail(DT_ERROR, w->path, wv->path, "cannot set properties");
        goto out;
    }
    for (size_t i = 0; i < nd; i++) {
        unl[i] = w->dims[wv->axis[i]].unlimited;
        any_unl |= unl[i];
        any_zero |= shape[i] == 0;
        if (dt__mul_u64(&bytes, bytes, shape[i]))
            bytes = UINT64_MAX;
    }
    plan_filters(w, v, &p);
    /* vlen strings are never filtered: netCDF-C refuses filters on them */
    if (nd == 0 || DT_TYPE_CLASS(dt_var_type(v)) == DT_STRING)
        memset(&p, 0, sizeof p);
    if (nd > 0 && o->contiguous_max && bytes <= o->contiguous_max && !any_unl) {
        memset(&p, 0, sizeof p);
    } else if (nd > 0) {
        for (size_t i = 0; i < nd; i++) {
            for (size_t k = 0; k < o->nchunk_dims; k++) {
                if (strcmp(o->chunk_dims[k], dt_var_dim(v, i)) == 0)
                    override = 1;
            }
        }
        if (any_unl || !pipeline_empty(&p) || override ||
            (src && o->chunking == DT_CHUNKS_KEEP)) {
            *chunked = 1;
            if (src && o->chunking == DT_CHUNKS_KEEP) {
                for (size_t i = 0; i < nd; i++)
                    chunks[i] = src[i];
            } else {
                default_chunks(shape, unl, nd, esize, chunks);
            }
            for (size_t i = 0; i < nd; i++) {
                for (size_t k = 0; k < o->nchunk_dims; k++) {
                    if (strcmp(o->chunk_dims[k], dt_var_dim(v, i)) == 0)
                        chunks[i] = o->chunk_lens[k];
                }
                /* HDF5: a fixed axis holds no chunk longer than itself */
                if (!unl[i] && chunks[i] > shape[i])
                    chunks[i] = shape[i];
                if (chunks[i] == 0)
                    chunks[i] = 1;
            }
            /* a fixed axis of length 0 cannot be chunked: nothing to store */
            if (any_zero && !any_unl) {
                *chunked = 0;
                memset(&p, 0, sizeof p);
            }
        }
    }
    if (!*chunked)
        memset(&p, 0, sizeof p);
    if (*chunked) {
        uint64_t cb = esize;

        for (;;) {
            cb = esize;
            for (size_t i = 0; i < nd; i++)
                cb *= chunks[i];
            if (cb < ((uint64_t)1 << 32))
                break;
            for (size_t i = 0; i < nd; i++)
                chunks[i] = chunks[i] / 2 ? chunks[i] / 2 : 1;
        }
        if (H5Pset_chunk(dcpl, (int)nd, chunks) < 0) {
            rc = dt__h5_fail(DT_ERROR, w->path, wv->path, "cannot set the chunk shape");
            goto out;
        }
    }
    if ((p.fletcher32 && H5Pset_fletcher32(dcpl) < 0) ||
        (p.shuffle && H5Pset_shuffle(dcpl) < 0) ||
        (p.deflate && H5Pset_deflate(dcpl, (unsigned)p.deflate) < 0)) {
        rc = dt__h5_fail(DT_ERROR, w->path, wv->path, "cannot set the filters");
        goto out;
    }
    if (p.zstd) {
        unsigned cd = (unsigned)p.zstd_level;

        /* netCDF-C marks third-party filters optional */
        if (H5Pset_filter(dcpl, FILTER_ZSTD, H5Z_FLAG_OPTIONAL, 1, &cd) < 0) {
            rc = dt__h5_fail(DT_ERROR, w->path, wv->path, "cannot set the zstd filter");
            goto out;
        }
    }
    if (fill) {
        /* netcdf4-on-hdf5.md 7: the HDF5 fill property carries the fill */
        if (H5Pset_fill_value(dcpl, wv->mtype, fill) < 0) {
            rc = dt__h5_fail(DT_ETYPE, w->path, wv->path, "cannot set the fill value");
            goto out;
        }
    }
    *out = dcpl;
    dcpl = H5I_INVALID_HID;
out:
    if (dcpl >= 0)
        H5Pclose(dcpl);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Data                                                                     */

static void progress(writer *w, uint64_t bytes)
{
    w->done += bytes;
    if (w->o->progress)
        w->o->progress(w->o->progress_ud, w->done, w->total);
}

static size_t mem_esize(dt_type t)
{
    return DT_TYPE_CLASS(t) == DT_STRING ? sizeof(char *) : dt_type_size(t);
}

static int ensure_buf(writer *w, size_t n)
{
    unsigned char *p;

    if (n <= w->bufcap)
        return DT_OK;
    p = dt__realloc(w->buf, n);
    if (!p)
        return DT_ENOMEM;
    w->buf = p;
    w->bufcap = n;
    return DT_OK;
}

/* Two filter pipelines are the same: same filters with the same values. */
static int same_pipeline(hid_t a, hid_t b)
{
    int na = H5Pget_nfilters(a), nb = H5Pget_nfilters(b);

    if (na < 0 || na != nb)
        return 0;
    for (int i = 0; i < na; i++) {
        unsigned fa = 0, fb = 0, ca[16], cb[16], cfg = 0;
        size_t la = 16, lb = 16;
        H5Z_filter_t ia = H5Pget_filter2(a, (unsigned)i, &fa, &la, ca, 0, NULL, &cfg);
        H5Z_filter_t ib = H5Pget_filter2(b, (unsigned)i, &fb, &lb, cb, 0, NULL, &cfg);

        if (ia < 0 || ia != ib || la != lb || la > 16 || memcmp(ca, cb, la * sizeof *ca))
            return 0;
    }
    return 1;
}

static int same_fill(hid_t a, hid_t b, hid_t ftype)
{
    H5D_fill_value_t sa, sb;
    size_t sz = H5Tget_size(ftype);
    unsigned char fa[64], fb[64];

    if (H5Pfill_value_defined(a, &sa) < 0 || H5Pfill_value_defined(b, &sb) < 0)
        return 0;
    if (sa != sb)
        return 0;
    if (sa != H5D_FILL_VALUE_USER_DEFINED)
        return 1;
    if (sz > sizeof fa || H5Pget_fill_value(a, ftype, fa) < 0 ||
        H5Pget_fill_value(b, ftype, fb) < 0)
        return 0;
    return memcmp(fa, fb, sz) == 0;
}

/* conventions.md 8.3: when the source is an HDF5 dataset with the same
 * type, chunk shape, filter pipeline and fill as the target, its stored
 * chunks are copied as they are (with their filter masks); unwritten
 * chunks stay unwritten. Returns 1 when it copied, 0 when not eligible. */
static int copy_raw(writer *w, const wvar *wv, int *copied)
{
    hid_t src = dt__h5_source_dataset(wv->v);
    hid_t sdcpl = H5I_INVALID_HID, tdcpl = H5I_INVALID_HID, stype = H5I_INVALID_HID,
          sspace = H5I_INVALID_HID;
    size_t nd = dt_var_ndim(wv->v);
    hsize_t sch[DT_MAX_RANK], tch[DT_MAX_RANK], ext[DT_MAX_RANK], off[DT_MAX_RANK],
        grid[DT_MAX_RANK], idx[DT_MAX_RANK];
    int rc = DT_OK, ok = 0;
    uint32_t cls = DT_TYPE_CLASS(dt_var_type(wv->v));

    *copied = 0;
    if (w->o->recompress || src < 0 || nd == 0 || cls == DT_STRING)
        return DT_OK;
    sdcpl = H5Dget_create_plist(src);
    tdcpl = H5Dget_create_plist(wv->did);
    stype = H5Dget_type(src);
    sspace = H5Dget_space(src);
    if (sdcpl < 0 || tdcpl < 0 || stype < 0 || sspace < 0 ||
        H5Pget_layout(sdcpl) != H5D_CHUNKED || H5Pget_layout(tdcpl) != H5D_CHUNKED ||
        H5Pget_chunk(sdcpl, (int)nd, sch) != (int)nd ||
        H5Pget_chunk(tdcpl, (int)nd, tch) != (int)nd ||
        H5Sget_simple_extent_ndims(sspace) != (int)nd ||
        H5Sget_simple_extent_dims(sspace, ext, NULL) < 0 ||
        H5Tequal(stype, wv->ftype) <= 0 || !same_pipeline(sdcpl, tdcpl) ||
        !same_fill(sdcpl, tdcpl, wv->ftype))
        goto out;
    for (size_t i = 0; i < nd; i++) {
        if (sch[i] != tch[i] || ext[i] > dt_var_shape(wv->v)[i])
            goto out;
        grid[i] = (ext[i] + sch[i] - 1) / sch[i];
        idx[i] = 0;
        if (grid[i] == 0)
            ok = -1;
    }
    dt__h5_err_text(NULL, 0);
    *copied = 1;
    if (ok < 0)
        goto out; /* an empty extent: nothing stored */
    for (;;) {
        hsize_t size = 0;
        haddr_t addr = HADDR_UNDEF;
        unsigned fmask = 0;
        uint32_t mask = 0;

        for (size_t i = 0; i < nd; i++)
            off[i] = idx[i] * sch[i];
        rc = dt__h5_chunk_locate(src, off, &fmask, &addr, &size, "a stored chunk");
        if (rc < 0) {
            rc = rc == DT_EIO ? dt__h5_fail(DT_EIO,
                                            dt_tree_source(dt_node_tree(dt_var_node(wv->v))),
                                            wv->path, "cannot look up a stored chunk")
                              : dt__err_locate(rc, dt_tree_source(dt_node_tree(
                                                       dt_var_node(wv->v))), wv->path);
            break;
        }
        /* an unwritten chunk stays unwritten: it reads as the fill value */
        if (addr != HADDR_UNDEF && size > 0) {
            size_t sz;

            rc = dt__u64_to_size(&sz, size);
            if (rc == DT_OK)
                rc = ensure_buf(w, sz);
            if (rc < 0)
                break;
            if (H5Dread_chunk(src, H5P_DEFAULT, off, &mask, w->buf) < 0) {
                rc = dt__h5_fail(DT_EIO, dt_tree_source(dt_node_tree(dt_var_node(wv->v))),
                                 wv->path, "cannot read a stored chunk");
                break;
            }
            if (dt__io_fault(w->path, "writing a chunk")) {
                rc = DT_EIO;
                break;
            }
            if (H5Dwrite_chunk(wv->did, H5P_DEFAULT, mask, off, sz, w->buf) < 0) {
                rc = dt__h5_fail(DT_EIO, w->path, wv->path, "cannot write a chunk");
                break;
            }
        }
        {
            uint64_t cb = mem_esize(dt_var_type(wv->v));

            for (size_t i = 0; i < nd; i++)
                cb *= off[i] + sch[i] > ext[i] ? ext[i] - off[i] : sch[i];
            progress(w, cb);
        }
        size_t k = nd;
        while (k > 0) {
            k--;
            if (++idx[k] < grid[k])
                break;
            idx[k] = 0;
            if (k == 0)
                goto out;
        }
    }
out:
    dt__h5_err_text(NULL, 0);
    if (sdcpl >= 0)
        H5Pclose(sdcpl);
    if (tdcpl >= 0)
        H5Pclose(tdcpl);
    if (stype >= 0)
        H5Tclose(stype);
    if (sspace >= 0)
        H5Sclose(sspace);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Chunks through the workers (hdf5_encode.c)                               */

typedef struct store_ctx {
    writer *w;
    const wvar *wv;
} store_ctx;

static int store_chunk(void *ud, const dt__h5job *j, int failed)
{
    store_ctx *c = ud;

    if (failed)
        return dt__fail_at(DT_ERROR, c->w->path, c->wv->path, "encoding a chunk failed");
    if (dt__io_fault(c->w->path, "writing a chunk"))
        return DT_EIO;
    if (H5Dwrite_chunk(c->wv->did, H5P_DEFAULT, 0, j->off, j->out_len, j->out) < 0)
        return dt__h5_fail(DT_EIO, c->w->path, c->wv->path, "cannot write a chunk");
    return DT_OK;
}

static int encoder_collect(writer *w, dt__h5enc *e, const wvar *wv, int wait_all,
                           dt__h5job **free_job)
{
    store_ctx c = {w, wv};

    return dt__h5enc_collect(e, wait_all, free_job, store_chunk, &c);
}

/* Whether the encoder can write this variable: chunked, filters it runs
 * (no fletcher32), and stored bytes that are the memory bytes. */
static int encodable(const wvar *wv, hid_t dcpl, dt__h5enc_target *p)
{
    int n = H5Pget_nfilters(dcpl);
    dt_type t = dt_var_type(wv->v);

    memset(p, 0, sizeof *p);
    if (H5Pget_layout(dcpl) != H5D_CHUNKED || DT_TYPE_CLASS(t) == DT_STRING || n < 0)
        return 0;
    if (wv->ftype != wv->mtype && H5Tequal(wv->ftype, wv->mtype) <= 0)
        return 0;
    p->esize = dt_type_size(t);
    for (int i = 0; i < n; i++) {
        unsigned flags = 0, cd[8] = {0}, cfg = 0;
        size_t ncd = 8;
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cd, 0, NULL, &cfg);

        if (id == H5Z_FILTER_SHUFFLE && !p->deflate && !p->zstd)
            p->shuffle = 1;
        else if (id == H5Z_FILTER_DEFLATE && ncd >= 1 && !p->deflate && !p->zstd)
            p->deflate = (int)cd[0];
        else if (id == FILTER_ZSTD && ncd >= 1 && !p->deflate && !p->zstd) {
            p->zstd = 1;
            p->zstd_level = (int)cd[0];
        } else
            return 0;
    }
    dt__h5_err_text(NULL, 0);
    return 1;
}

/* Cut the chunk at off (target coordinates) out of the block read at start
 * with count, padding what lies past the extent with pad (one element). */
static void cut_chunk(unsigned char *dst, const unsigned char *block, size_t nd,
                      const hsize_t *chunk, const hsize_t *off, const uint64_t *start,
                      const uint64_t *count, size_t es, const unsigned char *pad)
{
    size_t celems = 1, k = 0;
    hsize_t idx[DT_MAX_RANK];

    for (size_t i = 0; i < nd; i++)
        celems *= chunk[i];
    for (size_t i = 0; i < celems; i++)
        memcpy(dst + i * es, pad, es);
    for (size_t i = 0; i < nd; i++)
        idx[i] = 0;
    /* rows along the last axis: the part inside the block */
    for (;;) {
        size_t in = 1, boff = 0, coff = 0;
        hsize_t row;

        for (size_t i = 0; i + 1 < nd; i++) {
            if (off[i] + idx[i] >= start[i] + count[i])
                in = 0;
        }
        if (in) {
            for (size_t i = 0; i < nd; i++) {
                boff = boff * count[i] + (i + 1 < nd ? off[i] + idx[i] - start[i]
                                                     : off[i] - start[i]);
                coff = coff * chunk[i] + (i + 1 < nd ? idx[i] : 0);
            }
            row = start[nd - 1] + count[nd - 1] - off[nd - 1];
            if (row > chunk[nd - 1])
                row = chunk[nd - 1];
            memcpy(dst + coff * es, block + boff * es, (size_t)row * es);
        }
        k = nd - 1;
        while (k > 0) {
            k--;
            if (++idx[k] < chunk[k])
                break;
            idx[k] = 0;
            if (k == 0)
                return;
        }
        if (nd == 1)
            return;
    }
}

/* The chunks of one block, each handed to a worker. */
static int encode_block(writer *w, dt__h5enc *e, const wvar *wv, const hsize_t *chunk,
                        const uint64_t *start, const uint64_t *count,
                        const unsigned char *pad)
{
    size_t nd = dt_var_ndim(wv->v);
    hsize_t off[DT_MAX_RANK], first[DT_MAX_RANK], last[DT_MAX_RANK];
    int rc = DT_OK;

    for (size_t i = 0; i < nd; i++) {
        first[i] = start[i] / chunk[i];
        last[i] = (start[i] + count[i] - 1) / chunk[i];
        off[i] = first[i];
    }
    for (;;) {
        dt__h5job *j = NULL;
        hsize_t coff[DT_MAX_RANK];

        rc = encoder_collect(w, e, wv, 0, &j);
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < nd; i++)
            coff[i] = off[i] * chunk[i];
        cut_chunk(j->in, w->buf, nd, chunk, coff, start, count,
                  mem_esize(dt_var_type(wv->v)), pad);
        memcpy(j->off, coff, nd * sizeof *coff);
        j->len = dt__h5enc_chunk_bytes(e);
        j->transcode = 0;
        dt__h5enc_submit(e, j);
        size_t k = nd;
        while (k > 0) {
            k--;
            if (++off[k] <= last[k])
                break;
            off[k] = first[k];
            if (k == 0)
                return DT_OK;
        }
    }
}

/* Whether the workers can decode the source's stored chunks: an HDF5
 * dataset of the same type and chunk shape, filtered with shuffle, deflate
 * or zstd only. */
static int transcodable(const wvar *wv, hid_t tdcpl, hid_t *src_out, dt__h5enc_source *sp)
{
    hid_t src = dt__h5_source_dataset(wv->v), sdcpl, stype;
    size_t nd = dt_var_ndim(wv->v);
    hsize_t sch[DT_MAX_RANK], tch[DT_MAX_RANK];
    int ok = 0, n;

    memset(sp, 0, sizeof *sp);
    if (src < 0 || nd == 0)
        return 0;
    sdcpl = H5Dget_create_plist(src);
    stype = H5Dget_type(src);
    if (sdcpl < 0 || stype < 0 || H5Pget_layout(sdcpl) != H5D_CHUNKED ||
        H5Pget_chunk(sdcpl, (int)nd, sch) != (int)nd ||
        H5Pget_chunk(tdcpl, (int)nd, tch) != (int)nd || H5Tequal(stype, wv->ftype) <= 0)
        goto out;
    for (size_t i = 0; i < nd; i++) {
        if (sch[i] != tch[i])
            goto out;
    }
    n = H5Pget_nfilters(sdcpl);
    if (n < 0 || n > 32)
        goto out;
    ok = 1;
    for (int i = 0; i < n && ok; i++) {
        unsigned flags = 0, cd[8] = {0}, cfg = 0;
        size_t ncd = 8;
        H5Z_filter_t id = H5Pget_filter2(sdcpl, (unsigned)i, &flags, &ncd, cd, 0, NULL, &cfg);
        int comp = sp->deflate || sp->zstd;

        if (id == H5Z_FILTER_SHUFFLE && !comp && !sp->shuffle) {
            sp->shuffle = 1;
            sp->shuffle_bit = (unsigned)i;
        } else if ((id == H5Z_FILTER_DEFLATE || id == FILTER_ZSTD) && !comp) {
            sp->deflate = id == H5Z_FILTER_DEFLATE;
            sp->zstd = id == FILTER_ZSTD;
            sp->comp_bit = (unsigned)i;
        } else {
            ok = 0;
        }
    }
out:
    dt__h5_err_text(NULL, 0);
    if (sdcpl >= 0)
        H5Pclose(sdcpl);
    if (stype >= 0)
        H5Tclose(stype);
    *src_out = src;
    return ok;
}

/* Each worker job holds three chunk-sized buffers: chunks over this size
 * go through HDF5's own filters instead, so memory stays bounded. */
#define WORKER_CHUNK_MAX ((uint64_t)8 << 20)

static int chunk_fits_workers(size_t es, const hsize_t *chunk, size_t nd)
{
    uint64_t cb = es;

    for (size_t i = 0; i < nd; i++) {
        if (dt__mul_u64(&cb, cb, chunk[i]))
            return 0;
    }
    return cb <= WORKER_CHUNK_MAX;
}

/* Stored source chunks, decoded and encoded again by the workers; chunks
 * never written stay unwritten, as in copy_raw. */
static int transcode(writer *w, dt__h5enc *e, const wvar *wv, hid_t src)
{
    size_t nd = dt_var_ndim(wv->v);
    hsize_t ch[DT_MAX_RANK], ext[DT_MAX_RANK], off[DT_MAX_RANK], grid[DT_MAX_RANK],
        idx[DT_MAX_RANK];
    hid_t sspace = H5Dget_space(src), sdcpl = H5Dget_create_plist(src);
    const char *sfile = dt_tree_source(dt_node_tree(dt_var_node(wv->v)));
    int rc = DT_OK;

    if (sspace < 0 || sdcpl < 0 || H5Sget_simple_extent_dims(sspace, ext, NULL) != (int)nd ||
        H5Pget_chunk(sdcpl, (int)nd, ch) != (int)nd)
        rc = dt__h5_fail(DT_EIO, sfile, wv->path, "cannot read the dataset's layout");
    for (size_t i = 0; i < nd && rc == DT_OK; i++) {
        grid[i] = (ext[i] + ch[i] - 1) / ch[i];
        idx[i] = 0;
        if (!grid[i])
            goto out;
    }
    while (rc == DT_OK) {
        hsize_t size = 0;
        haddr_t addr = HADDR_UNDEF;
        unsigned fmask = 0;
        uint64_t cb = mem_esize(dt_var_type(wv->v));
        size_t k;

        for (size_t i = 0; i < nd; i++)
            off[i] = idx[i] * ch[i];
        rc = dt__h5_chunk_locate(src, off, &fmask, &addr, &size, "a stored chunk");
        if (rc < 0) {
            rc = rc == DT_EIO ? dt__h5_fail(DT_EIO, sfile, wv->path,
                                            "cannot look up a stored chunk")
                              : dt__err_locate(rc, sfile, wv->path);
            break;
        }
        if (addr != HADDR_UNDEF && size > 0) {
            dt__h5job *j = NULL;
            uint32_t mask = 0;

            rc = encoder_collect(w, e, wv, 0, &j);
            if (rc < 0)
                break;
            if (size > j->in_cap) {
                unsigned char *p = dt__realloc(j->in, (size_t)size);

                if (!p) {
                    rc = DT_ENOMEM;
                    break;
                }
                j->in = p;
                j->in_cap = (size_t)size;
            }
            if (H5Dread_chunk(src, H5P_DEFAULT, off, &mask, j->in) < 0) {
                rc = dt__h5_fail(DT_EIO, sfile, wv->path, "cannot read a stored chunk");
                break;
            }
            j->len = (size_t)size;
            j->mask = mask;
            j->transcode = 1;
            memcpy(j->off, off, nd * sizeof *off);
            dt__h5enc_submit(e, j);
        }
        for (size_t i = 0; i < nd; i++)
            cb *= off[i] + ch[i] > ext[i] ? ext[i] - off[i] : ch[i];
        progress(w, cb);
        k = nd;
        while (k > 0) {
            k--;
            if (++idx[k] < grid[k])
                break;
            idx[k] = 0;
            if (k == 0)
                goto out;
        }
    }
out:
    {
        int rc2 = encoder_collect(w, e, wv, 1, NULL);

        if (rc == DT_OK)
            rc = rc2;
    }
    if (sspace >= 0)
        H5Sclose(sspace);
    if (sdcpl >= 0)
        H5Pclose(sdcpl);
    return rc;
}

/* Copy a variable's data block by block: blocks are whole target chunks
 * (whole rows for contiguous data), grown along the inner axes while they
 * stay under BLOCK_BYTES, so memory is bounded whatever the size. */
static int copy_data(writer *w, const wvar *wv)
{
    const dt_var *v = wv->v;
    size_t nd = dt_var_ndim(v);
    const uint64_t *shape = dt_var_shape(v);
    dt_type t = dt_var_type(v);
    size_t es = mem_esize(t);
    hsize_t base[DT_MAX_RANK], block[DT_MAX_RANK], idx[DT_MAX_RANK], grid[DT_MAX_RANK];
    uint64_t start[DT_MAX_RANK], count[DT_MAX_RANK], bytes, nel = 1;
    hid_t dcpl, fspace = H5I_INVALID_HID;
    int chunked, rc, copied = 0;
    dt__h5enc *enc = NULL;
    dt__h5enc_target ep;
    dt__h5enc_source sp;
    hid_t src = H5I_INVALID_HID;
    unsigned char pad[64];

    for (size_t i = 0; i < nd; i++)
        nel *= shape[i];
    if (nd > 0 && nel == 0)
        return DT_OK;
    rc = copy_raw(w, wv, &copied);
    if (rc < 0 || copied)
        return rc;
    dcpl = H5Dget_create_plist(wv->did);
    chunked = dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED;
    if (chunked && H5Pget_chunk(dcpl, (int)nd, base) != (int)nd)
        chunked = 0;
    if (chunked && w->ncpu > 1 && encodable(wv, dcpl, &ep) &&
        chunk_fits_workers(es, base, nd)) {
        uint64_t cb = es;

        for (size_t i = 0; i < nd; i++)
            cb *= base[i];
        int tc = transcodable(wv, dcpl, &src, &sp);

        if (!w->enc)
            rc = dt__h5enc_new(&w->enc, w->ncpu);
        if (rc == DT_OK)
            rc = dt__h5enc_setup(w->enc, &ep, tc ? &sp : NULL, (size_t)cb);
        if (rc == DT_OK && tc) {
            H5Pclose(dcpl);
            return transcode(w, w->enc, wv, src);
        }
        if (rc == DT_OK) {
            const void *fill = dt_var_fill(v);

            enc = w->enc;
            memset(pad, 0, sizeof pad);
            if (fill && es <= sizeof pad)
                memcpy(pad, fill, es);
        }
    }
    dt__h5_err_text(NULL, 0);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < nd; i++) {
        if (!chunked)
            base[i] = 1;
        block[i] = base[i] < shape[i] ? base[i] : shape[i];
    }
    bytes = es;
    for (size_t i = 0; i < nd; i++)
        bytes *= block[i];
    for (size_t k = nd; k > 0; k--) {
        size_t i = k - 1;
        uint64_t per = bytes / block[i], unit = per * base[i], mul, room;

        room = BLOCK_BYTES / (unit ? unit : 1);
        mul = (shape[i] + base[i] - 1) / base[i];
        if (room < mul)
            mul = room ? room : 1;
        block[i] = mul * base[i] < shape[i] ? mul * base[i] : shape[i];
        bytes = per * block[i];
        if (block[i] < shape[i])
            break;
    }
    {
        size_t sz;

        rc = dt__u64_to_size(&sz, bytes);
        if (rc == DT_OK)
            rc = ensure_buf(w, sz ? sz : es);
        if (rc < 0)
            return rc;
    }
    for (size_t i = 0; i < nd; i++) {
        grid[i] = (shape[i] + block[i] - 1) / block[i];
        idx[i] = 0;
    }
    fspace = nd ? H5Dget_space(wv->did) : H5Screate(H5S_SCALAR);
    if (fspace < 0)
        return dt__h5_fail(DT_EIO, w->path, wv->path, "cannot get the dataspace");
    for (;;) {
        dt_slab slab = {nd, start, count, NULL};
        hsize_t hs[DT_MAX_RANK], hc[DT_MAX_RANK];
        uint64_t n = 1;
        hid_t mspace;
        herr_t st;

        for (size_t i = 0; i < nd; i++) {
            start[i] = idx[i] * block[i];
            count[i] = start[i] + block[i] > shape[i] ? shape[i] - start[i] : block[i];
            hs[i] = start[i];
            hc[i] = count[i];
            n *= count[i];
        }
        rc = dt_var_read(v, &slab, t, w->buf, (size_t)n * es);
        if (rc < 0) {
            rc = dt__err_locate(rc, dt_tree_source(dt_node_tree(dt_var_node(v))), wv->path);
            break;
        }
        if (enc) {
            rc = encode_block(w, enc, wv, base, start, count, pad);
        } else if (dt__io_fault(w->path, "writing data")) {
            rc = DT_EIO;
        } else {
            mspace = nd ? H5Screate_simple((int)nd, hc, NULL) : H5Screate(H5S_SCALAR);
            st = mspace < 0 ? -1 : 0;
            if (st == 0 && nd)
                st = H5Sselect_hyperslab(fspace, H5S_SELECT_SET, hs, NULL, hc, NULL);
            if (st == 0)
                st = H5Dwrite(wv->did, wv->mtype, mspace, fspace, H5P_DEFAULT, w->buf);
            if (mspace >= 0)
                H5Sclose(mspace);
            if (st < 0)
                rc = dt__h5_fail(DT_EIO, w->path, wv->path, "cannot write the data");
        }
        if (DT_TYPE_CLASS(t) == DT_STRING)
            dt_strings_free((char **)w->buf, (size_t)n);
        if (rc < 0)
            break;
        progress(w, n * es);
        size_t k = nd;
        while (k > 0) {
            k--;
            if (++idx[k] < grid[k])
                break;
            idx[k] = 0;
        }
        if (k == 0 && (nd == 0 || idx[0] == 0))
            break;
    }
    if (enc) {
        int rc2 = encoder_collect(w, enc, wv, 1, NULL);

        if (rc == DT_OK)
            rc = rc2;
    }
    H5Sclose(fspace);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Groups                                                                   */

/* Declare a dimension in the group being written (gpath; its own ones
 * start at index first): netCDF names, unique once normalised. */
static int add_dim(writer *w, const dt_node *owner, const char *name, uint64_t size,
                   int unlimited, const char *gpath, size_t first, size_t *out)
{
    int rc = dt__grow_array(&w->dims, &w->capdims, w->ndims, sizeof *w->dims);
    char *path = child_path(gpath, name), *hname = NULL;
    wdim *d;

    if (rc == DT_OK)
        rc = path ? nc_name(w, name, "dimension", path, &hname) : DT_ENOMEM;
    for (size_t i = first; i < w->ndims && rc == DT_OK; i++) {
        if (strcmp(w->dims[i].hname, hname) == 0)
            rc = dt__fail_at(DT_ENAMECLASH, w->path, path, "dimensions \"%s\" and \"%s\" "
                             "have the same name once normalised (NFC)",
                             w->dims[i].name, name);
    }
    free(path);
    if (rc < 0) {
        free(hname);
        return rc;
    }
    d = &w->dims[w->ndims];
    memset(d, 0, sizeof *d);
    d->hname = hname;
    d->name = dt__strdup(name);
    if (!d->name) {
        free(hname);
        return DT_ENOMEM;
    }
    d->owner = owner;
    d->size = size;
    d->unlimited = unlimited;
    d->id = w->next_id++;
    d->scale = H5I_INVALID_HID;
    *out = w->ndims++;
    return DT_OK;
}

static size_t find_dim(const writer *w, const dt_node *owner, const char *name)
{
    for (size_t i = w->ndims; i > 0; i--) {
        if (w->dims[i - 1].owner == owner && strcmp(w->dims[i - 1].name, name) == 0)
            return i - 1;
    }
    return NONE;
}

/* Dimensions of ancestors of the top that variables of the subtree use:
 * declared at the new root (datatree-model.md 6.3, copy with inherit). */
static int inherited_dims(writer *w, const dt_node *node, size_t first)
{
    int rc = DT_OK;

    for (size_t i = 0; i < dt_node_var_count(node) && rc == DT_OK; i++) {
        const dt_var *v = dt_node_var(node, i);

        for (size_t ax = 0; ax < dt_var_ndim(v) && rc == DT_OK; ax++) {
            dt_dim_info di;
            size_t j;

            if (dt_node_dim_find(&di, node, dt_var_dim(v, ax)) < 0) {
                dt_error_clear();
                continue;
            }
            if (dt__node_within(w->top, di.owner) ||
                find_dim(w, di.owner, di.name) != NONE)
                continue;
            rc = add_dim(w, di.owner, di.name, di.size, di.unlimited, "/", first, &j);
        }
    }
    for (size_t c = 0; c < dt_node_child_count(node) && rc == DT_OK; c++)
        rc = inherited_dims(w, dt_node_child(node, c), first);
    return rc;
}

static void wvar_clear(wvar *wv)
{
    if (wv->did >= 0 && !wv->is_scale)
        H5Dclose(wv->did);
    if (wv->ftype >= 0 && DT_TYPE_CLASS(dt_var_type(wv->v)) != DT_ENUM)
        H5Tclose(wv->ftype);
    if (wv->mtype >= 0 && DT_TYPE_CLASS(dt_var_type(wv->v)) != DT_ENUM)
        H5Tclose(wv->mtype);
    free(wv->path);
    free(wv->nfc);
    free(wv->hname);
}

/* Placeholder scale of a dimension without a variable (netcdf4-on-hdf5.md
 * 3.1 b): big-endian float32, never written, NAME sentence + length. */
static int create_placeholder(writer *w, hid_t gid, const char *gpath, wdim *d)
{
    hsize_t cur = d->size, max = d->unlimited ? H5S_UNLIMITED : d->size, one = 1;
    hid_t space = H5I_INVALID_HID, dcpl = H5I_INVALID_HID, did = H5I_INVALID_HID;
    char *path = child_path(gpath, d->hname);
    char text[sizeof DIM_ONLY + 32];
    int rc = DT_OK;

    if (!path)
        return DT_ENOMEM;
    if (dt__io_fault(w->path, "creating a dimension")) {
        free(path);
        return DT_EIO;
    }
    space = H5Screate_simple(1, &cur, &max);
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (space < 0 || dcpl < 0 || H5Pset_obj_track_times(dcpl, 0) < 0 ||
        H5Pset_attr_creation_order(dcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
        (d->unlimited && H5Pset_chunk(dcpl, 1, &one) < 0)) {
        rc = dt__h5_fail(DT_ERROR, w->path, path, "cannot set up the dimension");
        goto out;
    }
    did = H5Dcreate2(gid, d->hname, H5T_IEEE_F32BE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (did < 0) {
        rc = dt__h5_fail(DT_EIO, w->path, path, "cannot create the dimension \"%s\"",
                         d->name);
        goto out;
    }
    snprintf(text, sizeof text, "%s%10lld", DIM_ONLY, (long long)d->size);
    if (H5DSset_scale(did, text) < 0) {
        rc = dt__h5_fail(DT_EIO, w->path, path, "cannot make the dimension a scale");
        goto out;
    }
    rc = int_attr(w, did, "_Netcdf4Dimid", &d->id, 1, 1, path);
    if (rc == DT_OK) {
        d->scale = did;
        did = H5I_INVALID_HID;
    }
out:
    if (did >= 0)
        H5Dclose(did);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    free(path);
    return rc;
}

static int create_var(writer *w, hid_t gid, const dt_node *node, wvar *wv)
{
    const dt_var *v = wv->v;
    size_t nd = dt_var_ndim(v);
    hsize_t cur[DT_MAX_RANK], max[DT_MAX_RANK], chunks[DT_MAX_RANK];
    hid_t space = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
    int chunked = 0, rc = DT_OK;
    dt_type t = dt_var_type(v);

    if (DT_TYPE_CLASS(t) == DT_ENUM) {
        rc = enum_type(w, gid, node, wv, &wv->ftype);
        wv->mtype = wv->ftype;
    } else {
        wv->ftype = atomic_type(t, dt_var_big_endian(v));
        wv->mtype = atomic_type(t, 0);
        if (wv->ftype < 0 || wv->mtype < 0)
            rc = dt__h5_fail(DT_ETYPE, w->path, wv->path, "cannot build the datatype");
    }
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < nd; i++) {
        cur[i] = dt_var_shape(v)[i];
        max[i] = w->dims[wv->axis[i]].unlimited ? H5S_UNLIMITED : cur[i];
    }
    rc = make_dcpl(w, wv, &dcpl, &chunked, chunks);
    if (rc < 0)
        return rc;
    space = nd ? H5Screate_simple((int)nd, cur, max) : H5Screate(H5S_SCALAR);
    if (space < 0) {
        rc = dt__h5_fail(DT_ERROR, w->path, wv->path, "cannot build the dataspace");
        goto out;
    }
    if (dt__io_fault(w->path, "creating a variable")) {
        rc = DT_EIO;
        goto out;
    }
    wv->did = H5Dcreate2(gid, wv->hname, wv->ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (wv->did < 0) {
        rc = dt__h5_fail(DT_EIO, w->path, wv->path, "cannot create the variable");
        goto out;
    }
    if (wv->is_scale) {
        wdim *d = &w->dims[wv->axis[0]];

        /* netcdf4-on-hdf5.md 3.1 a: the coordinate variable is the scale */
        if (H5DSset_scale(wv->did, wv->nfc) < 0) {
            rc = dt__h5_fail(DT_EIO, w->path, wv->path, "cannot make the variable a "
                             "dimension scale");
            goto out;
        }
        rc = int_attr(w, wv->did, "_Netcdf4Dimid", &d->id, 1, 1, wv->path);
        if (rc < 0)
            goto out;
        d->scale = wv->did;
    }
    if (nd > 0) {
        int ids[DT_MAX_RANK];

        for (size_t i = 0; i < nd; i++)
            ids[i] = w->dims[wv->axis[i]].id;
        rc = int_attr(w, wv->did, "_Netcdf4Coordinates", ids, nd, 0, wv->path);
        if (rc < 0)
            goto out;
    }
    rc = write_attrs(w, wv->did, node, dt_var_attrs(v), wv, wv->path);
out:
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

static int write_group(writer *w, const dt_node *node, hid_t gid, const char *gpath);

/* Create each child group with creation order tracked (netCDF-C will not
 * write into a group without it) and write it. */
static int write_children(writer *w, const dt_node *node, hid_t gid, const char *gpath)
{
    int rc = DT_OK;

    for (size_t c = 0; c < dt_node_child_count(node) && rc == DT_OK; c++) {
        const dt_node *child = dt_node_child(node, c);
        char *cpath = child_path(gpath, dt_node_name(child)), *hname = NULL;
        hid_t gcpl = H5I_INVALID_HID, cg = H5I_INVALID_HID;

        if (!cpath)
            return DT_ENOMEM;
        rc = nc_name(w, dt_node_name(child), "group", cpath, &hname);
        if (rc == DT_OK && H5Lexists(gid, hname, H5P_DEFAULT) > 0)
            rc = dt__fail_at(DT_ENAMECLASH, w->path, cpath, "group \"%s\" has the name of "
                             "another object of %s once normalised (NFC)",
                             dt_node_name(child), gpath);
        dt__h5_err_text(NULL, 0);
        if (rc == DT_OK && dt__io_fault(w->path, "creating a group"))
            rc = DT_EIO;
        if (rc == DT_OK) {
            gcpl = H5Pcreate(H5P_GROUP_CREATE);
            if (gcpl < 0 || H5Pset_obj_track_times(gcpl, 0) < 0 ||
                H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED |
                                                     H5P_CRT_ORDER_INDEXED) < 0 ||
                H5Pset_attr_creation_order(gcpl, H5P_CRT_ORDER_TRACKED |
                                                     H5P_CRT_ORDER_INDEXED) < 0)
                rc = dt__h5_fail(DT_ERROR, w->path, cpath, "cannot set up the group");
        }
        if (rc == DT_OK) {
            cg = H5Gcreate2(gid, hname, H5P_DEFAULT, gcpl, H5P_DEFAULT);
            if (cg < 0)
                rc = dt__h5_fail(DT_EIO, w->path, cpath, "cannot create the group "
                                 "(does a dimension or variable of %s have its name?)",
                                 gpath);
        }
        if (rc == DT_OK)
            rc = write_group(w, child, cg, cpath);
        if (cg >= 0)
            H5Gclose(cg);
        if (gcpl >= 0)
            H5Pclose(gcpl);
        free(hname);
        free(cpath);
    }
    return rc;
}

/* One group: its dimensions (ids assigned in netCDF-C's pre-order), its
 * variables and placeholder scales interleaved as netCDF-C creates them,
 * the scales attached, the data, the group's attributes, then children. */
static int write_group(writer *w, const dt_node *node, hid_t gid, const char *gpath)
{
    size_t d0 = w->ndims, d1, nv = 0, di, vi;
    char *nfc = NULL;
    wvar *vars = NULL;
    int rc = DT_OK;

    /* the new root of a subtree declares what its ancestors lent it */
    if (node == w->top && dt_node_parent(node))
        rc = inherited_dims(w, node, d0);
    for (size_t i = 0; i < dt_node_dim_count(node) && rc == DT_OK; i++) {
        dt_dim_info di_;
        size_t j;

        rc = dt_node_dim(&di_, node, i);
        if (rc == DT_OK)
            rc = add_dim(w, node, di_.name, di_.size, di_.unlimited, gpath, d0, &j);
    }
    d1 = w->ndims;
    if (rc < 0)
        return rc;

    /* the variables: inherited index coordinates first at a subtree root */
    {
        size_t cap = dt_node_var_count(node) + (d1 - d0) + 1;

        vars = dt__calloc(cap, sizeof *vars);
        if (!vars)
            return DT_ENOMEM;
        for (size_t j = d0; j < d1; j++) {
            dt_coord_info ci;

            if (w->dims[j].owner == node)
                continue;
            if (dt_node_coord_find(&ci, w->dims[j].owner, w->dims[j].name,
                                   DT_INHERIT_NONE) == DT_OK && ci.is_index)
                vars[nv++].v = ci.var;
            dt_error_clear();
        }
        for (size_t i = 0; i < dt_node_var_count(node); i++) {
            const dt_var *v = dt_node_var(node, i);

            if (!type_writable(dt_var_type(v))) {
                char tn[32], *p = NULL;

                if (w->o->skip_unsupported)
                    continue;
                dt_type_name(tn, sizeof tn, dt_var_type(v));
                dt_var_path(&p, v);
                rc = dt__fail_at(DT_ETYPE, w->path, p, "variables of type %s cannot be "
                                 "written to netCDF-4", tn);
                free(p);
                goto out;
            }
            vars[nv++].v = v;
        }
    }
    for (size_t i = 0; i < nv; i++) {
        wvar *wv = &vars[i];
        const dt_var *v = wv->v;
        const char *name = dt_var_name(v);
        size_t own = NONE;

        wv->did = wv->ftype = wv->mtype = H5I_INVALID_HID;
        wv->path = child_path(gpath, name);
        if (!wv->path) {
            rc = DT_ENOMEM;
            goto out;
        }
        rc = nc_name(w, name, "variable", wv->path, &nfc);
        for (size_t k = 0; k < i && rc == DT_OK; k++) {
            if (strcmp(vars[k].nfc, nfc) == 0)
                rc = dt__fail_at(DT_ENAMECLASH, w->path, wv->path, "variables \"%s\" and "
                                 "\"%s\" have the same name once normalised (NFC)",
                                 dt_var_name(vars[k].v), name);
        }
        wv->nfc = nfc;
        nfc = NULL;
        if (rc < 0)
            goto out;
        for (size_t ax = 0; ax < dt_var_ndim(v); ax++) {
            dt_dim_info di_;
            size_t j = NONE;

            if (dt_node_dim_find(&di_, dt_var_node(v), dt_var_dim(v, ax)) == DT_OK)
                j = find_dim(w, di_.owner, di_.name);
            if (j == NONE) {
                rc = dt__fail_at(DT_ENOTFOUND, w->path, wv->path, "dimension \"%s\" "
                                 "(axis %zu) is not declared in the written tree",
                                 dt_var_dim(v, ax), ax);
                goto out;
            }
            wv->axis[ax] = j;
        }
        for (size_t j = d0; j < d1; j++) {
            if (strcmp(w->dims[j].hname, wv->nfc) == 0)
                own = j;
        }
        /* netcdf4-on-hdf5.md 3.1: a variable named like a dimension of its
         * group is that dimension's scale when its first axis is the
         * dimension, else it takes the non-coordinate prefix */
        if (own != NONE && dt_var_ndim(v) >= 1 && wv->axis[0] == own &&
            !w->dims[own].coord) {
            wv->is_scale = 1;
            w->dims[own].coord = v;
            wv->hname = dt__strdup(wv->nfc);
        } else if (own != NONE) {
            wv->hname = dt__aprintf("%s%s", NON_COORD, wv->nfc);
        } else {
            wv->hname = dt__strdup(wv->nfc);
        }
        if (!wv->hname) {
            rc = DT_ENOMEM;
            goto out;
        }
    }

    /* netCDF-C's order: dimensions without variables up to the next one
     * that has a coordinate variable, then variables up to that one */
    di = d0;
    vi = 0;
    while (rc == DT_OK && (di < d1 || vi < nv)) {
        const dt_var *coord = NULL;

        while (rc == DT_OK && di < d1 && !coord) {
            if (w->dims[di].coord)
                coord = w->dims[di].coord;
            else
                rc = create_placeholder(w, gid, gpath, &w->dims[di]);
            di++;
        }
        while (rc == DT_OK && vi < nv) {
            rc = create_var(w, gid, node, &vars[vi]);
            vi++;
            if (coord && vars[vi - 1].v == coord)
                break;
        }
    }
    if (rc < 0)
        goto out;

    /* netcdf4-on-hdf5.md 3.5: attach every axis of the variables that are
     * not scales to the scale of its dimension (ancestors' ones exist) */
    for (size_t i = 0; i < nv && rc == DT_OK; i++) {
        wvar *wv = &vars[i];

        if (wv->is_scale)
            continue;
        for (size_t ax = 0; ax < dt_var_ndim(wv->v) && rc == DT_OK; ax++) {
            if (dt__io_fault(w->path, "attaching a dimension scale"))
                rc = DT_EIO;
            else if (H5DSattach_scale(wv->did, w->dims[wv->axis[ax]].scale,
                                      (unsigned)ax) < 0)
                rc = dt__h5_fail(DT_EIO, w->path, wv->path, "cannot attach the scale "
                                 "of dimension \"%s\"", w->dims[wv->axis[ax]].name);
        }
    }
    for (size_t i = 0; i < nv && rc == DT_OK; i++)
        rc = copy_data(w, &vars[i]);
    if (rc == DT_OK)
        rc = write_attrs(w, gid, node, dt_node_attrs(node), NULL, gpath);
    if (rc == DT_OK)
        rc = write_children(w, node, gid, gpath);
out:
    for (size_t i = 0; i < nv; i++)
        wvar_clear(&vars[i]);
    free(vars);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Entry point                                                              */

static int data_bytes(const dt_node *node, uint64_t *total)
{
    for (size_t i = 0; i < dt_node_var_count(node); i++) {
        const dt_var *v = dt_node_var(node, i);
        uint64_t n = 0;

        if (type_writable(dt_var_type(v)) && dt_var_nelems(&n, v) == DT_OK)
            *total += n * mem_esize(dt_var_type(v));
        dt_error_clear();
    }
    for (size_t c = 0; c < dt_node_child_count(node); c++)
        data_bytes(dt_node_child(node, c), total);
    return DT_OK;
}

static int check_opts(const dt_write_opts *o, const char *path)
{
    if (o->deflate > 9 || o->deflate < -1)
        return dt__fail_at(DT_EINVAL, path, NULL, "deflate level %d: 1 to 9 (0 keeps "
                           "the source's, -1 none)", o->deflate);
    if (o->zstd > 22 || o->zstd < -1)
        return dt__fail_at(DT_EINVAL, path, NULL, "zstd level %d: 1 to 22 (0 keeps "
                           "the source's, -1 none)", o->zstd);
    if (o->deflate > 0 && o->zstd > 0)
        return dt__fail_at(DT_EINVAL, path, NULL, "deflate and zstd cannot both "
                           "compress a variable: name one");
    if (o->chunking != DT_CHUNKS_KEEP && o->chunking != DT_CHUNKS_DEFAULT)
        return dt__fail_at(DT_EINVAL, path, NULL, "unknown chunking mode %d",
                           o->chunking);
    if (o->nchunk_dims && (!o->chunk_dims || !o->chunk_lens))
        return dt__fail_at(DT_EINVAL, path, NULL, "chunk lengths without names");
    for (size_t i = 0; i < o->nchunk_dims; i++) {
        if (!o->chunk_dims[i] || o->chunk_lens[i] == 0)
            return dt__fail_at(DT_EINVAL, path, NULL, "chunk length 0 for dimension "
                               "\"%s\": lengths start at 1",
                               o->chunk_dims[i] ? o->chunk_dims[i] : "(null)");
    }
    return DT_OK;
}

int dt__hdf5_write(const dt_tree *tree, const char *path, const dt_write_opts *opts)
{
    writer w;
    dt__atomic at;
    hid_t fcpl = H5I_INVALID_HID, fapl = H5I_INVALID_HID, root = H5I_INVALID_HID;
    dt_node *top = dt_tree_root(tree);
    int rc, locked = 0;

    memset(&w, 0, sizeof w);
    {
        long n = sysconf(_SC_NPROCESSORS_ONLN);

        w.ncpu = n > 0 ? (unsigned)n : 1;
    }
    w.o = opts;
    w.path = path;
    w.fid = H5I_INVALID_HID;
    rc = check_opts(opts, path);
    if (rc < 0)
        return rc;
    if (opts->group && strcmp(opts->group, "/") != 0) {
        rc = dt_node_lookup(&top, dt_tree_root(tree), opts->group);
        if (rc < 0)
            return dt__err_locate(rc, dt_tree_source(tree), opts->group);
    }
    w.top = top;
    /* every group's metadata before the HDF5 lock: loading takes the tree's
     * lock, which comes first in the lock order */
    rc = dt_node_load_all(top);
    if (rc < 0)
        return rc;
    data_bytes(top, &w.total);
    rc = dt__atomic_begin(&at, path, opts->force);
    if (rc < 0)
        return rc;

    dt__h5_lock();
    locked = 1;
    fcpl = H5Pcreate(H5P_FILE_CREATE);
    fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* netcdf4-on-hdf5.md 1: 1.8-compatible objects, creation order tracked
     * and indexed, no timestamps; closing the file closes what is open */
    if (fcpl < 0 || fapl < 0 ||
        H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
        H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
        H5Pset_obj_track_times(fcpl, 0) < 0 ||
        H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST) < 0 ||
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) {
        rc = dt__h5_fail(DT_ERROR, path, NULL, "cannot set up the file properties");
        goto out;
    }
    if (dt__io_fault(path, "creating the file")) {
        rc = DT_EIO;
        goto out;
    }
    w.fid = H5Fcreate(at.tmp, H5F_ACC_TRUNC, fcpl, fapl);
    if (w.fid < 0) {
        rc = dt__h5_fail(DT_EIO, path, NULL, "cannot create the temporary file %s",
                         at.tmp);
        goto out;
    }
    root = H5Gopen2(w.fid, "/", H5P_DEFAULT);
    if (root < 0) {
        rc = dt__h5_fail(DT_EIO, path, "/", "cannot open the root group");
        goto out;
    }
    rc = write_ncproperties(&w, root);
    if (rc == DT_OK)
        rc = write_group(&w, top, root, "/");
    H5Gclose(root);
    root = H5I_INVALID_HID;
    if (rc < 0)
        goto out;
    for (size_t i = 0; i < w.ndims; i++) {
        /* coordinate variables' datasets too: they stay open as scales */
        if (w.dims[i].scale >= 0)
            H5Dclose(w.dims[i].scale);
        w.dims[i].scale = H5I_INVALID_HID;
    }
    for (size_t i = 0; i < w.ntypes; i++)
        H5Tclose(w.types[i].tid);
    w.ntypes = 0;
    if (dt__io_fault(path, "closing the file")) {
        rc = DT_EIO;
        goto out;
    }
    if (H5Fclose(w.fid) < 0) {
        w.fid = H5I_INVALID_HID;
        rc = dt__h5_fail(DT_EIO, path, NULL, "writing the file failed");
        goto out;
    }
    w.fid = H5I_INVALID_HID;
    dt__h5_unlock();
    locked = 0;
    rc = dt__atomic_commit(&at);
out:
    if (locked) {
        for (size_t i = 0; i < w.ntypes; i++)
            H5Tclose(w.types[i].tid);
        if (root >= 0)
            H5Gclose(root);
        if (w.fid >= 0)
            H5Fclose(w.fid);
        if (fcpl >= 0)
            H5Pclose(fcpl);
        if (fapl >= 0)
            H5Pclose(fapl);
        dt__h5_err_text(NULL, 0);
        dt__h5_unlock();
    } else {
        dt__h5_lock();
        if (fcpl >= 0)
            H5Pclose(fcpl);
        if (fapl >= 0)
            H5Pclose(fapl);
        dt__h5_unlock();
    }
    dt__h5enc_free(w.enc);
    for (size_t i = 0; i < w.ndims; i++) {
        free(w.dims[i].name);
        free(w.dims[i].hname);
    }
    free(w.dims);
    free(w.types);
    free(w.buf);
    if (rc < 0)
        rc = dt__err_locate(rc, path, NULL);
    dt__atomic_end(&at);
    return rc;
}
