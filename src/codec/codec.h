/* codec.h: the chunk codecs Zarr names (numcodecs ids and v3 codec names):
 * a registry from name to a class that is configured from JSON parameters
 * and decodes or encodes one chunk at a time, checking every size a chunk
 * declares against what is due and against the allocation limit. */
#ifndef DT_CODEC_H
#define DT_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "dtree.h"
#include "store/store.h"
#include "util.h"

struct json_object;

/* What a codec turns into what: Zarr v3's three kinds. Zarr v2 filters
 * and compressors that work on the chunk's bytes (shuffle, delta, zlib,
 * ...) are bytes codecs that know their element types from their own
 * parameters. */
typedef enum dt__codec_kind {
    DT__CODEC_ARRAY = 1, /* array -> array (transpose) */
    DT__CODEC_SERIAL,    /* array -> bytes (bytes, vlen-utf8) */
    DT__CODEC_BYTES      /* bytes -> bytes (zlib, zstd, blosc, crc32c, ...) */
} dt__codec_kind;

/* An N-d chunk as an array codec sees it, in memory: C order, native byte
 * order; DT_STRING elements are malloc'ed `char *`. */
typedef struct dt__array_spec {
    dt_type type;
    size_t elem_size;       /* dt_type_size(type) */
    size_t ndim;
    uint64_t shape[DT_MAX_RANK];
} dt__array_spec;

/* Elements in the spec's shape (DT_ELIMIT on overflow). */
int dt__spec_nelems(uint64_t *out, const dt__array_spec *spec);
/* Release a decoded array buffer: its strings too, when spec is DT_STRING. */
void dt__array_free(dt__bytes *b, const dt__array_spec *spec);

/* Where a chunk is being decoded, so every message reads
 * "FILE: PATH: WHAT: problem" ("obs.zarr: /wind/u: chunk (3, 0): ..."). */
typedef struct dt__codec_ctx {
    const char *file;     /* the store */
    const char *path;     /* the variable */
    const char *what;     /* "chunk (3, 0)" */
    uint64_t max_alloc;   /* no decoded buffer is larger */
} dt__codec_ctx;

/* Set an error located at ctx (any of its fields may be NULL). */
int dt__codec_fail(const dt__codec_ctx *ctx, int code, const char *fmt, ...)
    DT__PRINTF(3, 4);

#define DT__SIZE_UNKNOWN UINT64_MAX

typedef struct dt__codec_class {
    const char *name;
    dt__codec_kind kind;
    /* Read the parameters (NULL: none given) for a chunk whose decoded side
     * is spec. A parameter of the wrong kind or value is DT_EFORMAT naming
     * it. *state may stay NULL. */
    int (*create)(void **state, const struct json_object *params,
                  const dt__array_spec *spec, const dt__codec_ctx *ctx);
    /* Array codecs: the encoded side's spec. NULL: the same as decoded. */
    void (*encoded_spec)(const void *state, const dt__array_spec *in, dt__array_spec *out);
    /* Bytes and serial codecs: the encoded size for `decoded` bytes (serial:
     * for the spec), or DT__SIZE_UNKNOWN (compressors, strings). */
    uint64_t (*encoded_size)(const void *state, const dt__array_spec *spec,
                             uint64_t decoded);
    /* Decode in into *out. Bytes codecs get `expect`, the exact decoded size
     * when it is known (else DT__SIZE_UNKNOWN), and must refuse a chunk that
     * declares another size before allocating for it. */
    int (*decode)(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                  uint64_t expect, dt__bytes *out, const dt__codec_ctx *ctx);
    int (*encode)(const void *state, const dt__array_spec *spec, const dt__bytes *in,
                  dt__bytes *out, const dt__codec_ctx *ctx);
    void (*destroy)(void *state);
} dt__codec_class;

/* A configured codec. */
typedef struct dt__codec {
    const dt__codec_class *cls;
    void *state;
    dt__array_spec spec;    /* its decoded side */
    dt__array_spec enc;     /* its encoded side (array codecs) */
    uint64_t expect;        /* bytes codecs: decoded size, or DT__SIZE_UNKNOWN */
} dt__codec;

/* The registry: the class of a name, or NULL. Names are numcodecs ids
 * ("zlib", "blosc", "vlen-utf8") and Zarr v3 names ("bytes", "transpose",
 * "gzip", "crc32c"); "numcodecs.<id>" finds <id>. */
const dt__codec_class *dt__codec_find(const char *name);

/* Configure a codec of class cls for a chunk whose decoded side is spec. */
int dt__codec_new(dt__codec **out, const dt__codec_class *cls,
                  const struct json_object *params, const dt__array_spec *spec,
                  const dt__codec_ctx *ctx);
void dt__codec_free(dt__codec *c);

int dt__codec_decode(const dt__codec *c, const dt__bytes *in, uint64_t expect,
                     dt__bytes *out, const dt__codec_ctx *ctx);
int dt__codec_encode(const dt__codec *c, const dt__bytes *in, dt__bytes *out,
                     const dt__codec_ctx *ctx);

/* A whole chain: array codecs, one serial codec, bytes codecs, in encode
 * order. Decoding runs it backwards from stored bytes to the chunk array. */
typedef struct dt__codec_chain {
    dt__codec **array;
    size_t narray;
    dt__codec *serial;
    dt__codec **bytes;
    size_t nbytes;
    int external;           /* the array-to-bytes step is the caller's (sharding) */
    dt__array_spec spec;    /* the chunk as the caller sees it */
} dt__codec_chain;

void dt__chain_init(dt__codec_chain *ch, const dt__array_spec *spec);
void dt__chain_clear(dt__codec_chain *ch);
/* Append a codec in encode order; kinds must come array*, serial, bytes*.
 * Works out each codec's decoded spec and expected size. */
int dt__chain_add(dt__codec_chain *ch, const dt__codec_class *cls,
                  const struct json_object *params, const dt__codec_ctx *ctx);
/* The array-to-bytes step is done by the caller (Zarr's sharding_indexed):
 * bytes codecs may follow, array and serial codecs may not. */
void dt__chain_external_serial(dt__codec_chain *ch);
/* The spec the serial codec sees (after the array codecs). */
const dt__array_spec *dt__chain_serial_spec(const dt__codec_chain *ch);
/* Stored bytes -> the serial codec's input (the bytes codecs backwards);
 * consumes *in (it may come back as *out unchanged). */
int dt__chain_decode_bytes(const dt__codec_chain *ch, dt__bytes *in, dt__bytes *out,
                           const dt__codec_ctx *ctx);
/* The serial codec's array -> the chunk array (the array codecs backwards);
 * consumes *arr. */
int dt__chain_decode_array(const dt__codec_chain *ch, dt__bytes *arr, dt__bytes *out,
                           const dt__codec_ctx *ctx);
/* Stored bytes -> the chunk array, all of it (the chain must have a serial
 * codec); consumes *in. */
int dt__chain_decode(const dt__codec_chain *ch, dt__bytes *in, dt__bytes *out,
                     const dt__codec_ctx *ctx);
int dt__chain_encode(const dt__codec_chain *ch, const dt__bytes *in, dt__bytes *out,
                     const dt__codec_ctx *ctx);
/* Decode a whole chunk straight into dst (n bytes, the chunk's size), with
 * no buffer of its own, when the chain allows it: no array codecs, a bytes
 * codec in the host's byte order, and at most one compressor that can
 * (zstd with one frame that declares its size, blosc). DT__INTO_NO when it
 * cannot (nothing written to dst; dt__chain_decode then gives the answer,
 * errors included); in is not consumed. */
#define DT__INTO_NO 1
int dt__chain_decode_into(const dt__codec_chain *ch, const dt__bytes *in, void *dst,
                          size_t n, const dt__codec_ctx *ctx);
/* For dt__chain_decode_into: the codecs that decode into a given buffer. */
int dt__zstd_decode_into(const dt__bytes *in, void *dst, size_t n, const dt__codec_ctx *ctx);
int dt__blosc_decode_into(const dt__bytes *in, void *dst, size_t n, const dt__codec_ctx *ctx);
/* 1 when c is the bytes codec in the host's byte order (decoding it only
 * checks the size). */
int dt__codec_bytes_native(const dt__codec *c);

/* ---- NumPy type strings ("<f8", "|S5", ">U7", "<M8[ns]") ---- */

typedef struct dt__npy {
    dt_type type;       /* datetime64 / timedelta64 read as DT_INT64; |O and
                           structured types give DT_NONE with kind set */
    char kind;          /* 'b' 'i' 'u' 'f' 'c' 'S' 'U' 'M' 'm' 'O' 'V' */
    size_t size;        /* bytes per element as stored */
    int big_endian;     /* '>' */
} dt__npy;

/* Parse a type string; DT_EFORMAT with the reason when it is not one. */
int dt__npy_parse(dt__npy *out, const char *s);

/* Byte order helpers: reverse each `unit`-byte group of n bytes in place. */
void dt__swap_units(void *buf, size_t n, size_t unit);
/* The unit a type's stored bytes are swapped by (1: never swapped). */
size_t dt__swap_unit(dt_type type);

/* CRC-32C (Castagnoli) of n bytes, continuing from crc (0 to start). */
uint32_t dt__crc32c(uint32_t crc, const void *buf, size_t n);

/* ---- parameter helpers for codec classes ---- */

/* A member of params as an integer / number / string; absent: *out is
 * left as the default given in it. Wrong kind: DT_EFORMAT naming codec and
 * member. */
int dt__param_int(const struct json_object *params, const char *codec, const char *name,
                  int64_t lo, int64_t hi, int64_t *out, const dt__codec_ctx *ctx);
int dt__param_double(const struct json_object *params, const char *codec,
                     const char *name, double *out, const dt__codec_ctx *ctx);
int dt__param_string(const struct json_object *params, const char *codec,
                     const char *name, const char **out, const dt__codec_ctx *ctx);
/* A decoded buffer of n bytes for ctx, refused over ctx->max_alloc. */
int dt__codec_alloc(dt__bytes *out, uint64_t n, const char *codec, const dt__codec_ctx *ctx);

/* ---- the classes (one file each, codec_filters.c holds the small ones) ---- */

extern const dt__codec_class dt__codec_zlib, dt__codec_gzip, dt__codec_zstd,
    dt__codec_blosc, dt__codec_bz2, dt__codec_lz4, dt__codec_shuffle, dt__codec_delta,
    dt__codec_fixedscaleoffset, dt__codec_quantize, dt__codec_vlen_utf8,
    dt__codec_crc32c, dt__codec_crc32, dt__codec_adler32, dt__codec_transpose,
    dt__codec_bytes;

#endif /* DT_CODEC_H */
