/* hdf5_types.c: HDF5 datatypes as libdtree types, and HDF5 attributes as
 * typed libdtree attributes, read the way netCDF-C and h5py present them. */
#include "config.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "hdf5_internal.h"

/* ---- datatypes ---- */

static dt_type int_class(size_t size, int is_signed)
{
    if (size <= 1)
        return is_signed ? DT_INT8 : DT_UINT8;
    if (size <= 2)
        return is_signed ? DT_INT16 : DT_UINT16;
    if (size <= 4)
        return is_signed ? DT_INT32 : DT_UINT32;
    return is_signed ? DT_INT64 : DT_UINT64;
}

static hid_t native_int(dt_type cls)
{
    switch (cls) {
    case DT_INT8: return H5T_NATIVE_INT8;
    case DT_UINT8: return H5T_NATIVE_UINT8;
    case DT_INT16: return H5T_NATIVE_INT16;
    case DT_UINT16: return H5T_NATIVE_UINT16;
    case DT_INT32: return H5T_NATIVE_INT32;
    case DT_UINT32: return H5T_NATIVE_UINT32;
    case DT_INT64: return H5T_NATIVE_INT64;
    default: return H5T_NATIVE_UINT64;
    }
}

static int is_big(hid_t t)
{
    return H5Tget_order(t) == H5T_ORDER_BE;
}

static H5T_order_t native_order(void)
{
    return H5Tget_order(H5T_NATIVE_INT);
}

/* IEEE binary16: sign at 15, 5 exponent bits at 10, 10 mantissa bits. Other
 * 2-byte floats (bfloat16) are read converted to float32 instead. */
static int is_ieee_half(hid_t t)
{
    size_t spos, epos, esize, mpos, msize;

    if (H5Tget_size(t) != 2 ||
        H5Tget_fields(t, &spos, &epos, &esize, &mpos, &msize) < 0)
        return 0;
    return spos == 15 && epos == 10 && esize == 5 && mpos == 0 && msize == 10;
}

/* h5py's bool: enum over a 1-byte signed integer, {FALSE: 0, TRUE: 1}. */
static int is_h5py_bool(hid_t t, hid_t base)
{
    int n = H5Tget_nmembers(t);
    int ok = 1;

    if (n != 2 || H5Tget_size(base) != 1)
        return 0;
    for (unsigned i = 0; i < 2 && ok; i++) {
        char *name = H5Tget_member_name(t, i);
        signed char v = 0;

        if (!name)
            return 0;
        /* the member value is in the file's base type: one byte, no order */
        ok = H5Tget_member_value(t, i, &v) >= 0 &&
             ((strcmp(name, "FALSE") == 0 && v == 0) ||
              (strcmp(name, "TRUE") == 0 && v == 1));
        H5free_memory(name);
    }
    return ok;
}

/* h5py's complex: compound {r, i} of two equal IEEE floats, packed. */
static int complex_parts(hid_t t, size_t *part)
{
    static const char *const re[] = {"r", "real", "re"};
    static const char *const im[] = {"i", "imag", "im"};
    int match = 1;
    size_t sz = 0;

    if (H5Tget_nmembers(t) != 2)
        return 0;
    for (unsigned i = 0; i < 2 && match; i++) {
        hid_t mt = H5Tget_member_type(t, i);
        char *name = H5Tget_member_name(t, i);
        size_t msz = mt >= 0 ? H5Tget_size(mt) : 0;
        int named = 0;

        match = mt >= 0 && name && H5Tget_class(mt) == H5T_FLOAT &&
                (msz == 4 || msz == 8) && (i == 0 || msz == sz) &&
                H5Tget_member_offset(t, i) == i * msz;
        for (size_t k = 0; match && k < 3; k++)
            named |= strcmp(name, i == 0 ? re[k] : im[k]) == 0;
        match = match && named;
        sz = msz;
        if (name)
            H5free_memory(name);
        if (mt >= 0)
            H5Tclose(mt);
    }
    if (!match || H5Tget_size(t) != 2 * sz)
        return 0;
    *part = sz;
    return 1;
}

/* Memory type of a complex compound: the file's member names (HDF5 converts
 * compounds member by member, by name) over native floats. */
static hid_t complex_mem(hid_t ftype, size_t part)
{
    hid_t mem = H5Tcreate(H5T_COMPOUND, 2 * part);
    hid_t ft = part == 4 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
    char *n0 = H5Tget_member_name(ftype, 0), *n1 = H5Tget_member_name(ftype, 1);
    int ok = mem >= 0 && n0 && n1 && H5Tinsert(mem, n0, 0, ft) >= 0 &&
             H5Tinsert(mem, n1, part, ft) >= 0;

    if (n0)
        H5free_memory(n0);
    if (n1)
        H5free_memory(n1);
    if (!ok && mem >= 0) {
        H5Tclose(mem);
        mem = H5I_INVALID_HID;
    }
    return mem;
}

/* HDF5 trusts the sizes and bit positions a datatype message claims and
 * copies by them during conversion (CVE-2024-32614: a float of 65525 bytes
 * with 32 bits of precision). Checked before any conversion is asked for. */
static int type_sane(hid_t t, int depth)
{
    H5T_class_t cls = H5Tget_class(t);
    size_t size = H5Tget_size(t), bits = size * 8;
    int ok = 1;

    if (cls < 0 || size == 0 || depth > 8)
        return 0;
    switch (cls) {
    case H5T_INTEGER:
    case H5T_BITFIELD: {
        size_t prec = H5Tget_precision(t);
        int off = H5Tget_offset(t);

        return size <= 16 && prec > 0 && off >= 0 && (size_t)off + prec <= bits;
    }
    case H5T_FLOAT: {
        size_t prec = H5Tget_precision(t), spos, epos, esize, mpos, msize;
        int off = H5Tget_offset(t);

        if (size > 16 || prec == 0 || off < 0 || (size_t)off + prec > bits ||
            H5Tget_fields(t, &spos, &epos, &esize, &mpos, &msize) < 0)
            return 0;
        return spos < bits && esize > 0 && esize < 64 && epos + esize <= bits &&
               msize > 0 && mpos + msize <= bits;
    }
    case H5T_STRING:
        return H5Tis_variable_str(t) > 0 || size <= ((size_t)1 << 24);
    case H5T_OPAQUE:
    case H5T_REFERENCE:
    case H5T_TIME:
        return size <= ((size_t)1 << 24);
    case H5T_ENUM:
    case H5T_VLEN:
    case H5T_ARRAY: {
        hid_t base = H5Tget_super(t);

        ok = base >= 0 && type_sane(base, depth + 1);
        if (base >= 0)
            H5Tclose(base);
        if (ok && cls == H5T_ENUM)
            ok = H5Tget_nmembers(t) >= 0;
        return ok;
    }
    case H5T_COMPOUND: {
        int n = H5Tget_nmembers(t);

        if (n < 0 || size > ((size_t)1 << 24))
            return 0;
        for (int i = 0; i < n && ok; i++) {
            hid_t mt = H5Tget_member_type(t, (unsigned)i);
            size_t off = H5Tget_member_offset(t, (unsigned)i);

            ok = mt >= 0 && type_sane(mt, depth + 1) &&
                 off <= size && H5Tget_size(mt) <= size - off;
            if (mt >= 0)
                H5Tclose(mt);
        }
        return ok;
    }
    default:
        return 0;
    }
}

/* The element class of a vlen sequence, named in its type ("vlen(int32)");
 * 0 when it has no simple libdtree class. */
static dt_type vlen_base(hid_t ftype)
{
    hid_t base = H5Tget_super(ftype);
    H5T_class_t bc = base >= 0 ? H5Tget_class(base) : H5T_NO_CLASS;
    size_t bs = base >= 0 ? H5Tget_size(base) : 0;
    dt_type out = 0;

    if (bc == H5T_INTEGER && bs <= 8)
        out = int_class(bs, H5Tget_sign(base) != H5T_SGN_NONE);
    else if (bc == H5T_FLOAT && (bs == 2 || bs == 4 || bs == 8))
        out = bs == 2 ? DT_FLOAT16 : bs == 4 ? DT_FLOAT32 : DT_FLOAT64;
    else if (bc == H5T_STRING)
        out = H5Tis_variable_str(base) > 0 ? DT_STRING : bs == 1 ? DT_CHAR : 0;
    if (base >= 0)
        H5Tclose(base);
    return out;
}

void dt__h5_type_clear(dt__h5type *t)
{
    if (t->mem >= 0 && !t->borrowed)
        H5Tclose(t->mem);
    t->mem = H5I_INVALID_HID;
    t->borrowed = 0;
}

/* The IEEE floats and two's-complement integers of 1 to 8 bytes that
 * nearly every file holds: one comparison tells one apart (and sane, as
 * HDF5 defines it), and HDF5's own native type reads it. */
static int standard_type(dt__h5type *out, hid_t ftype, H5T_class_t cls, size_t size)
{
    H5T_order_t order;
    int big, sgn = 1;
    hid_t std;

    if ((cls != H5T_FLOAT && cls != H5T_INTEGER) || (size & (size - 1)) || size > 8)
        return 0;
    if (cls == H5T_FLOAT && size < 4)
        return 0;
    order = H5Tget_order(ftype);
    if (order != H5T_ORDER_LE && order != H5T_ORDER_BE)
        return 0;
    big = order == H5T_ORDER_BE;
    /* (each of HDF5's type macros is a call: name only the one needed) */
    if (cls == H5T_FLOAT) {
        std = size == 4 ? (big ? H5T_IEEE_F32BE : H5T_IEEE_F32LE)
                        : (big ? H5T_IEEE_F64BE : H5T_IEEE_F64LE);
    } else {
        sgn = H5Tget_sign(ftype) != H5T_SGN_NONE;
        switch (size * 4 + (size_t)(sgn * 2 + big)) {
        case 4: std = H5T_STD_U8LE; break;
        case 5: std = H5T_STD_U8BE; break;
        case 6: std = H5T_STD_I8LE; break;
        case 7: std = H5T_STD_I8BE; break;
        case 8: std = H5T_STD_U16LE; break;
        case 9: std = H5T_STD_U16BE; break;
        case 10: std = H5T_STD_I16LE; break;
        case 11: std = H5T_STD_I16BE; break;
        case 16: std = H5T_STD_U32LE; break;
        case 17: std = H5T_STD_U32BE; break;
        case 18: std = H5T_STD_I32LE; break;
        case 19: std = H5T_STD_I32BE; break;
        case 32: std = H5T_STD_U64LE; break;
        case 33: std = H5T_STD_U64BE; break;
        case 34: std = H5T_STD_I64LE; break;
        default: std = H5T_STD_I64BE; break;
        }
    }
    if (H5Tequal(ftype, std) <= 0)
        return 0;
    out->big_endian = big;
    out->borrowed = 1;
    if (cls == H5T_FLOAT) {
        out->type = size == 4 ? DT_FLOAT32 : DT_FLOAT64;
        out->mem = size == 4 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
    } else {
        out->type = int_class(size, sgn);
        out->mem = native_int(out->type);
    }
    return 1;
}

static int type_map(dt__h5type *out, hid_t ftype, int brief, H5T_class_t cls);

int dt__h5_type_map(dt__h5type *out, hid_t ftype)
{
    return type_map(out, ftype, 0, H5Tget_class(ftype));
}

int dt__h5_type_map_brief(dt__h5type *out, hid_t ftype)
{
    return type_map(out, ftype, 1, H5Tget_class(ftype));
}

/* cls: the class of ftype, which the caller often has already (each HDF5
 * call costs a context push and a lock: see bench B1) */
static int type_map(dt__h5type *out, hid_t ftype, int brief, H5T_class_t cls)
{
    size_t size = H5Tget_size(ftype);
    hid_t base;

    out->type = DT_NONE;
    out->mem = H5I_INVALID_HID;
    out->big_endian = 0;
    out->is_bool = 0;
    out->borrowed = 0;
    if (cls != H5T_NO_CLASS && size > 0 && standard_type(out, ftype, cls, size)) {
        if (!brief) {
            out->mem = H5Tcopy(out->mem);
            out->borrowed = 0;
            if (out->mem < 0) {
                out->type = DT_NONE;
                return dt__fail(DT_EFORMAT, "cannot build a memory type for the datatype");
            }
        }
        return DT_OK;
    }
    if (cls == H5T_NO_CLASS || size == 0 || !type_sane(ftype, 0)) {
        dt__h5_err_text(NULL, 0);
        return dt__fail(DT_EFORMAT, "malformed datatype (class %d, %zu bytes)",
                        (int)cls, size);
    }
    switch (cls) {
    case H5T_INTEGER:
        if (size > 8)
            return DT_OK;
        out->type = int_class(size, H5Tget_sign(ftype) != H5T_SGN_NONE);
        out->mem = H5Tcopy(native_int(out->type));
        out->big_endian = is_big(ftype);
        break;
    case H5T_FLOAT:
        out->big_endian = is_big(ftype);
        if (is_ieee_half(ftype)) {
            out->type = DT_FLOAT16;
            out->mem = H5Tcopy(ftype);
            if (out->mem >= 0 && H5Tset_order(out->mem, native_order()) < 0)
                dt__h5_type_clear(out);
        } else if (size <= 4) {
            out->type = DT_FLOAT32;
            out->mem = H5Tcopy(H5T_NATIVE_FLOAT);
        } else {
            /* wider floats (long double) come converted to float64 */
            out->type = DT_FLOAT64;
            out->mem = H5Tcopy(H5T_NATIVE_DOUBLE);
        }
        break;
    case H5T_BITFIELD:
        /* spec: a bitfield reads as an unsigned integer of its size */
        if (size > 8)
            return DT_OK;
        out->type = int_class(size, 0);
        out->big_endian = is_big(ftype);
        out->mem = H5Tcopy(ftype);
        if (out->mem >= 0 && H5Tset_order(out->mem, native_order()) < 0)
            dt__h5_type_clear(out);
        break;
    case H5T_STRING: {
        htri_t var = H5Tis_variable_str(ftype);

        if (var < 0)
            return dt__fail(DT_EFORMAT, "unreadable string datatype");
        if (var) {
            out->type = DT_STRING;
            out->mem = H5Tcopy(H5T_C_S1);
            if (out->mem >= 0 && (H5Tset_size(out->mem, H5T_VARIABLE) < 0 ||
                                  H5Tset_cset(out->mem, H5Tget_cset(ftype)) < 0))
                dt__h5_type_clear(out);
        } else {
            if (size > ((size_t)1 << 20))
                return DT_OK;
            /* read as stored: padding bytes are part of the value */
            out->type = size == 1 ? DT_CHAR : DT_BYTES_N(size);
            out->mem = H5Tcopy(ftype);
        }
        break;
    }
    case H5T_ENUM:
        base = H5Tget_super(ftype);
        if (base < 0)
            return dt__fail(DT_EFORMAT, "unreadable enum datatype");
        if (H5Tget_class(base) != H5T_INTEGER || H5Tget_size(base) > 8) {
            H5Tclose(base);
            return DT_OK;
        }
        out->big_endian = is_big(base);
        out->is_bool = is_h5py_bool(ftype, base);
        out->type = out->is_bool ? DT_BOOL
                    : DT_ENUM_OF(int_class(H5Tget_size(base),
                                           H5Tget_sign(base) != H5T_SGN_NONE));
        H5Tclose(base);
        /* same member names over a native base: HDF5 converts by name */
        out->mem = H5Tget_native_type(ftype, H5T_DIR_ASCEND);
        break;
    case H5T_COMPOUND: {
        size_t part;

        if (complex_parts(ftype, &part)) {
            hid_t m0 = H5Tget_member_type(ftype, 0);

            out->big_endian = m0 >= 0 && is_big(m0);
            if (m0 >= 0)
                H5Tclose(m0);
            out->type = part == 4 ? DT_COMPLEX64 : DT_COMPLEX128;
            out->mem = complex_mem(ftype, part);
        } else {
            out->type = DT_COMPOUND;
            return DT_OK;
        }
        break;
    }
    case H5T_OPAQUE:
        out->type = DT_OPAQUE;
        return DT_OK;
    case H5T_VLEN:
        out->type = DT_VLEN_OF(vlen_base(ftype));
        return DT_OK;
    default:
        /* references, time, arrays: nothing netCDF or libdtree can list */
        return DT_OK;
    }
    if (out->mem < 0) {
        out->type = DT_NONE;
        return dt__fail(DT_EFORMAT, "cannot build a memory type for the datatype");
    }
    if (out->type != DT_STRING && H5Tget_size(out->mem) != dt_type_size(out->type)) {
        /* odd sizes (a 3-byte bitfield): no libdtree element to read into */
        dt__h5_type_clear(out);
        out->type = DT_NONE;
    }
    return DT_OK;
}

int dt__h5_enum_members(dt_var *var, hid_t ftype)
{
    hid_t nat = H5Tget_native_type(ftype, H5T_DIR_ASCEND);
    hid_t base = nat >= 0 ? H5Tget_super(nat) : H5I_INVALID_HID;
    int n = nat >= 0 ? H5Tget_nmembers(nat) : -1;
    int rc = DT_OK;
    size_t bsize;
    int is_signed;

    if (base < 0 || n < 0) {
        rc = dt__fail(DT_EFORMAT, "unreadable enum members");
        goto out;
    }
    bsize = H5Tget_size(base);
    is_signed = H5Tget_sign(base) != H5T_SGN_NONE;
    for (int i = 0; i < n && rc == DT_OK; i++) {
        unsigned char v[8] = {0};
        char *name = H5Tget_member_name(nat, (unsigned)i);
        int64_t val = 0;

        if (!name || bsize > 8 || H5Tget_member_value(nat, (unsigned)i, v) < 0) {
            if (name)
                H5free_memory(name);
            rc = dt__fail(DT_EFORMAT, "unreadable enum member %d", i);
            break;
        }
        switch (bsize) {
        case 1: val = is_signed ? *(int8_t *)v : *(uint8_t *)v; break;
        case 2: { int16_t s; uint16_t u; memcpy(&s, v, 2); memcpy(&u, v, 2);
                  val = is_signed ? s : u; break; }
        case 4: { int32_t s; uint32_t u; memcpy(&s, v, 4); memcpy(&u, v, 4);
                  val = is_signed ? s : (int64_t)u; break; }
        default: memcpy(&val, v, 8); break;
        }
        rc = dt_var_add_enum_member(var, name, val);
        H5free_memory(name);
    }
out:
    if (base >= 0)
        H5Tclose(base);
    if (nat >= 0)
        H5Tclose(nat);
    return rc;
}

/* ---- text ---- */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t len;
    uint32_t cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* Like Python's bytes.decode("utf-8", "replace"): each maximal invalid
 * piece (here: each invalid byte) becomes U+FFFD. */
static char *utf8_dup_n(const char *s, size_t n)
{
    dt__buf b;
    size_t i = 0;

    if (dt__utf8_valid(s, n))
        return dt__strndup(s, n);
    dt__buf_init(&b);
    while (i < n) {
        size_t k = utf8_seq((const unsigned char *)s + i, n - i);

        if (k) {
            dt__buf_append(&b, s + i, k);
            i += k;
        } else {
            dt__buf_append(&b, "\xEF\xBF\xBD", 3);
            i++;
        }
    }
    if (b.failed) {
        dt__buf_free(&b);
        return NULL;
    }
    return dt__buf_take(&b);
}

char *dt__h5_utf8_dup(const char *s)
{
    return utf8_dup_n(s ? s : "", s ? strlen(s) : 0);
}

/* ---- attributes ---- */

static const char *const hidden_attrs[] = {
    "_Netcdf4Dimid", "_Netcdf4Coordinates", "_NCProperties", "_IsNetcdf4",
    "CLASS", "NAME", "REFERENCE_LIST", "DIMENSION_LIST", "_nc3_strict",
};

int dt__h5_attr_hidden(const char *name)
{
    for (size_t i = 0; i < sizeof hidden_attrs / sizeof *hidden_attrs; i++) {
        if (strcmp(name, hidden_attrs[i]) == 0)
            return 1;
    }
    return 0;
}

/* Elements of an attribute's dataspace (0 for a null one), whether it is a
 * scalar, and its rank. */
static int attr_npoints(hid_t space, uint64_t *n, int *is_scalar, int *rank)
{
    H5S_class_t sc = H5Sget_simple_extent_type(space);
    hsize_t dims[H5S_MAX_RANK];
    uint64_t np = 1;
    int nd;

    /* one call for the scalars netCDF-C writes for single values and text */
    *is_scalar = sc == H5S_SCALAR;
    *rank = 0;
    if (sc == H5S_SCALAR || sc == H5S_NULL) {
        *n = sc == H5S_SCALAR;
        return 0;
    }
    if (sc != H5S_SIMPLE)
        return -1;
    nd = H5Sget_simple_extent_dims(space, dims, NULL);
    if (nd < 0 || nd > H5S_MAX_RANK)
        return -1;
    for (int i = 0; i < nd; i++) {
        if (dt__mul_u64(&np, np, dims[i]))
            return -1;
    }
    *n = np;
    *rank = nd;
    return 0;
}

static void *alloc_values(uint64_t n, size_t esize, uint64_t max_bytes,
                          const char *aname)
{
    uint64_t nbytes;

    if (dt__mul_u64(&nbytes, n, esize) || nbytes > max_bytes) {
        dt__fail(DT_ELIMIT, "attribute \"%s\": %" PRIu64 " values of %zu bytes "
                 "are over the limit of %" PRIu64 " bytes", aname, n, esize,
                 max_bytes);
        return NULL;
    }
    return dt__malloc_limited(nbytes ? nbytes : 1, max_bytes ? max_bytes : 1,
                              "an attribute value");
}

static void free_strings(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* An attribute of rank 2 or more keeps its shape (HDF5 allows them; the
 * values stay flat, in C order). */
static int attr_keep_shape(dt_attrs *dst, const char *aname, hid_t space, int rank)
{
    hsize_t dims[H5S_MAX_RANK];
    uint64_t shape[H5S_MAX_RANK];

    if (rank < 2 || rank > H5S_MAX_RANK ||
        H5Sget_simple_extent_dims(space, dims, NULL) != rank)
        return DT_OK;
    for (int i = 0; i < rank; i++)
        shape[i] = dims[i];
    return dt__attr_set_shape(dst, aname, (size_t)rank, shape);
}

/* Variable-length strings: n char * values, NULL read as "". */
static int attr_vlen_strings(dt_attrs *dst, hid_t aid, hid_t ftype, hid_t space,
                             int rank, const char *aname, uint64_t n,
                             unsigned flags, const dt__h5file *f)
{
    hid_t mem = H5Tcopy(H5T_C_S1);
    char **raw = NULL, **vals = NULL;
    size_t cnt = 0;
    int rc = DT_OK, read = 0;

    if (mem < 0 || H5Tset_size(mem, H5T_VARIABLE) < 0 ||
        H5Tset_cset(mem, H5Tget_cset(ftype)) < 0) {
        rc = dt__h5_fail(DT_EFORMAT, NULL, NULL, "attribute \"%s\": bad string type",
                         aname);
        goto out;
    }
    if (dt__u64_to_size(&cnt, n) < 0)
        goto fail;
    raw = alloc_values(n, sizeof(char *), dt__attr_cap(&f->limits), aname);
    vals = raw ? dt__calloc(cnt ? cnt : 1, sizeof(char *)) : NULL;
    if (!vals)
        goto fail;
    memset(raw, 0, cnt * sizeof(char *));
    if (cnt && H5Aread(aid, mem, raw) < 0) {
        rc = dt__h5_fail(DT_EFORMAT, NULL, NULL, "attribute \"%s\": cannot read",
                         aname);
        goto out;
    }
    read = cnt > 0;
    {
        /* HDF5 has allocated the strings; their copies are bounded */
        uint64_t total = 0, cap = dt__attr_cap(&f->limits);

        for (size_t i = 0; i < cnt && total <= cap; i++)
            total += raw[i] ? strlen(raw[i]) + 1 : 1;
        if (total > cap) {
            rc = dt__fail(DT_ELIMIT, "attribute \"%s\": its strings are over the limit "
                          "of %" PRIu64 " bytes", aname, cap);
            goto out;
        }
    }
    for (size_t i = 0; i < cnt; i++) {
        vals[i] = dt__h5_utf8_dup(raw[i]);
        if (!vals[i])
            goto fail;
    }
    rc = dt__attrs_set_raw(dst, aname, DT_STRING, cnt, vals, flags);
    if (rc == DT_OK)
        rc = attr_keep_shape(dst, aname, space, rank);
    goto out;
fail:
    rc = dt_error_last()->code ? dt_error_last()->code : DT_ENOMEM;
out:
    if (read)
        H5Dvlen_reclaim(mem, space, H5P_DEFAULT, raw);
    free(raw);
    free_strings(vals, cnt);
    if (mem >= 0)
        H5Tclose(mem);
    return rc;
}

/* Fixed-length strings: one string (or 1-byte strings) is netCDF's char
 * text with trailing NULs dropped; an array of longer ones is a string list
 * (each without its trailing NULs), as netCDF-C reads them. */
static int attr_fixed_strings(dt_attrs *dst, hid_t aid, hid_t ftype, hid_t space,
                              int rank, const char *aname, uint64_t n,
                              unsigned flags, const dt__h5file *f)
{
    size_t sz = H5Tget_size(ftype), cnt, total;
    char *bytes = NULL, **vals = NULL;
    char small[256];
    int rc = DT_OK;

    if (sz == 0)
        return dt__h5_fail(DT_EFORMAT, NULL, NULL, "attribute \"%s\": bad string type",
                           aname);
    /* short text (most attributes) is read on the stack */
    if (sz <= sizeof small && n <= sizeof small / sz &&
        n * sz <= dt__attr_cap(&f->limits)) {
        bytes = small;
        cnt = (size_t)n;
    } else {
        bytes = alloc_values(n, sz, dt__attr_cap(&f->limits), aname);
        if (!bytes || dt__u64_to_size(&cnt, n) < 0)
            goto fail;
    }
    total = cnt * sz;
    /* read as stored: the attribute's own type, no conversion */
    if (cnt && H5Aread(aid, ftype, bytes) < 0) {
        rc = dt__h5_fail(DT_EFORMAT, NULL, NULL, "attribute \"%s\": cannot read",
                         aname);
        goto out;
    }
    if (sz == 1 || cnt <= 1) {
        while (total > 0 && bytes[total - 1] == '\0')
            total--;
        /* char text is one value however it was stored: never a scalar */
        rc = dt__attrs_set_raw(dst, aname, DT_CHAR, total, bytes, 0);
        goto out;
    }
    vals = dt__calloc(cnt, sizeof(char *));
    if (!vals)
        goto fail;
    for (size_t i = 0; i < cnt; i++) {
        size_t len = sz;

        while (len > 0 && bytes[i * sz + len - 1] == '\0')
            len--;
        vals[i] = utf8_dup_n(bytes + i * sz, strnlen(bytes + i * sz, len));
        if (!vals[i])
            goto fail;
    }
    rc = dt__attrs_set_raw(dst, aname, DT_STRING, cnt, vals, flags);
    if (rc == DT_OK)
        rc = attr_keep_shape(dst, aname, space, rank);
    goto out;
fail:
    rc = dt_error_last()->code ? dt_error_last()->code : DT_ENOMEM;
out:
    if (bytes != small)
        free(bytes);
    free_strings(vals, vals ? cnt : 0);
    return rc;
}

static int attr_load(dt_attrs *dst, hid_t aid, const char *aname,
                     const dt__h5file *f)
{
    hid_t space = H5Aget_space(aid), ftype = H5Aget_type(aid);
    dt__h5type t = {DT_NONE, H5I_INVALID_HID, 0, 0, 0};
    uint64_t n = 0;
    int is_scalar = 0, rank = 0, rc = DT_OK;
    unsigned flags;
    void *buf = NULL;
    size_t cnt, es;
    uint64_t small[8];
    H5T_class_t cls;

    if (space < 0 || ftype < 0 || attr_npoints(space, &n, &is_scalar, &rank) < 0) {
        rc = dt__h5_fail(DT_EFORMAT, NULL, NULL, "attribute \"%s\" is unreadable",
                         aname);
        goto out;
    }
    /* netCDF sees a scalar as a vector of one; plain HDF5 keeps the scalar */
    flags = is_scalar && !f->nc4 ? DT_ATTR_SCALAR : 0;
    cls = H5Tget_class(ftype);
    if (cls == H5T_STRING) {
        htri_t var = H5Tis_variable_str(ftype);

        if (var > 0)
            rc = attr_vlen_strings(dst, aid, ftype, space, rank, aname, n, flags, f);
        else if (var == 0)
            rc = attr_fixed_strings(dst, aid, ftype, space, rank, aname, n, flags, f);
        else
            rc = dt__h5_fail(DT_EFORMAT, NULL, NULL,
                             "attribute \"%s\": bad string type", aname);
        goto out;
    }
    rc = type_map(&t, ftype, 1, cls);
    if (rc < 0 || t.type == DT_NONE)
        goto out;  /* unrepresentable classes are left out */
    if (t.mem < 0) {
        /* compound, opaque, vlen: listed without values */
        rc = dt__attrs_set_raw(dst, aname, t.type, 0, NULL, 0);
        goto out;
    }
    es = dt_type_size(t.type);
    /* most attributes are a few numbers: read them on the stack */
    if (es <= sizeof small && n <= sizeof small / es &&
        n * es <= dt__attr_cap(&f->limits)) {
        buf = small;
        cnt = (size_t)n;
    } else {
        buf = alloc_values(n, es, dt__attr_cap(&f->limits), aname);
        if (!buf || dt__u64_to_size(&cnt, n) < 0) {
            rc = dt_error_last()->code;
            goto out;
        }
    }
    if (cnt && H5Aread(aid, t.mem, buf) < 0) {
        rc = dt__h5_fail(DT_EFORMAT, NULL, NULL, "attribute \"%s\": cannot read",
                         aname);
        goto out;
    }
    if (t.is_bool) {
        for (size_t i = 0; i < cnt; i++)
            ((unsigned char *)buf)[i] = ((unsigned char *)buf)[i] != 0;
    }
    rc = dt__attrs_set_raw(dst, aname, t.type, cnt, buf, flags);
    if (rc == DT_OK)
        rc = attr_keep_shape(dst, aname, space, rank);
out:
    if (buf != small)
        free(buf);
    dt__h5_type_clear(&t);
    if (ftype >= 0)
        H5Tclose(ftype);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

static herr_t collect_attr(hid_t obj, const char *name, const H5A_info_t *ai,
                           void *ud)
{
    (void)obj;
    (void)ai;
    return dt__h5_names_add(ud, name) < 0 ? -1 : 0;
}

int dt__h5_attr_crt_order(hid_t cpl)
{
    unsigned crt = 0;

    return cpl >= 0 && H5Pget_attr_creation_order(cpl, &crt) >= 0 &&
           (crt & H5P_CRT_ORDER_TRACKED) != 0;
}

/* Creation order when the object tracks it, else name order (HDF5 and
 * netCDF-C both list that way). */
int dt__h5_list_attrs(dt__h5names *out, hid_t obj, int crt)
{
    hsize_t pos = 0;
    herr_t st;

    dt_error_clear();
    st = H5Aiterate2(obj, crt ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME, H5_ITER_INC,
                     &pos, collect_attr, out);
    if (st < 0 && crt && dt_error_last()->code != DT_ENOMEM) {
        /* tracked but not indexed: name order */
        dt__h5_err_text(NULL, 0);
        dt__h5_names_free(out);
        pos = 0;
        st = H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &pos, collect_attr, out);
    }
    return st < 0 ? -1 : 0;
}

int dt__h5_read_attr_list(dt_attrs *dst, hid_t obj, const dt__h5file *f,
                          const char *objpath, const dt__h5names *nl)
{
    int rc = DT_OK;

    for (size_t i = 0; i < nl->n && rc == DT_OK; i++) {
        const char *name = nl->names[i];
        hid_t aid;

        if (dt__h5_attr_hidden(name))
            continue;
        if (dt_name_check(name, "attribute") < 0) {
            /* a name the model cannot hold: left out, the rest stays */
            dt_error_clear();
            continue;
        }
        aid = H5Aopen(obj, name, H5P_DEFAULT);
        if (aid < 0) {
            rc = dt__h5_fail(DT_EFORMAT, f->path, objpath,
                             "cannot open attribute \"%s\"", name);
            break;
        }
        rc = attr_load(dst, aid, name, f);
        if (rc < 0)
            dt__err_locate(rc, f->path, objpath);
        H5Aclose(aid);
    }
    return rc;
}

int dt__h5_read_attrs(dt_attrs *dst, hid_t obj, int crt, const dt__h5file *f,
                      const char *objpath)
{
    dt__h5names nl = {NULL, 0, 0};
    int rc;

    if (dt__h5_list_attrs(&nl, obj, crt) < 0) {
        rc = dt_error_last()->code == DT_ENOMEM
                 ? DT_ENOMEM
                 : dt__h5_fail(DT_EFORMAT, f->path, objpath,
                               "cannot list the attributes");
        dt__h5_names_free(&nl);
        return rc;
    }
    rc = dt__h5_read_attr_list(dst, obj, f, objpath, &nl);
    dt__h5_names_free(&nl);
    return rc;
}

/* Callers mostly know the attribute is there (from a listing): no
 * H5Aexists first, which walks the attribute messages as H5Aopen does. */
static hid_t open_attr(hid_t obj, const char *name)
{
    hid_t aid = H5Aopen(obj, name, H5P_DEFAULT);

    if (aid < 0)
        dt__h5_err_text(NULL, 0);
    return aid;
}

char *dt__h5_attr_string(hid_t obj, const char *name)
{
    hid_t aid = open_attr(obj, name);
    hid_t ft = aid >= 0 ? H5Aget_type(aid) : H5I_INVALID_HID;
    hid_t sp = aid >= 0 ? H5Aget_space(aid) : H5I_INVALID_HID;
    uint64_t n = 0;
    int scalar, rank;
    char *out = NULL;

    if (ft < 0 || sp < 0 || H5Tget_class(ft) != H5T_STRING ||
        attr_npoints(sp, &n, &scalar, &rank) < 0 || n != 1)
        goto out;
    if (H5Tis_variable_str(ft) > 0) {
        hid_t mem = H5Tcopy(H5T_C_S1);
        char *s = NULL;

        if (mem >= 0 && H5Tset_size(mem, H5T_VARIABLE) >= 0 &&
            H5Tset_cset(mem, H5Tget_cset(ft)) >= 0 && H5Aread(aid, mem, &s) >= 0) {
            out = dt__h5_utf8_dup(s);
            H5Dvlen_reclaim(mem, sp, H5P_DEFAULT, &s);
        }
        if (mem >= 0)
            H5Tclose(mem);
    } else {
        size_t sz = H5Tget_size(ft);
        char *b = sz && sz <= ((size_t)1 << 20) ? dt__malloc(sz + 1) : NULL;

        if (b && H5Aread(aid, ft, b) >= 0) {
            b[sz] = '\0';
            out = dt__strdup(b);
        }
        free(b);
    }
out:
    if (sp >= 0)
        H5Sclose(sp);
    if (ft >= 0)
        H5Tclose(ft);
    if (aid >= 0)
        H5Aclose(aid);
    dt__h5_err_text(NULL, 0);
    return out;
}

long dt__h5_attr_read(hid_t obj, const char *name, hid_t mem, void *buf,
                      size_t n, uint64_t max_bytes)
{
    hid_t aid = open_attr(obj, name);
    hid_t sp = aid >= 0 ? H5Aget_space(aid) : H5I_INVALID_HID;
    size_t es = H5Tget_size(mem);
    uint64_t np = 0, nbytes;
    int scalar, rank;
    unsigned char *tmp = NULL;
    uint64_t small[8];
    long got = -1;

    if (sp < 0 || es == 0 || attr_npoints(sp, &np, &scalar, &rank) < 0 || np == 0)
        goto out;
    if (dt__mul_u64(&nbytes, np, es) || nbytes > max_bytes || np > LONG_MAX)
        goto out;
    tmp = nbytes <= sizeof small ? (unsigned char *)small : dt__malloc((size_t)nbytes);
    if (!tmp) {
        dt_error_clear();
        goto out;
    }
    /* HDF5 converts the whole attribute: read it all, keep the first n */
    if (H5Aread(aid, mem, tmp) < 0)
        goto out;
    memcpy(buf, tmp, (np < n ? (size_t)np : n) * es);
    got = (long)np;
out:
    if (tmp != (unsigned char *)small)
        free(tmp);
    if (sp >= 0)
        H5Sclose(sp);
    if (aid >= 0)
        H5Aclose(aid);
    dt__h5_err_text(NULL, 0);
    return got;
}
