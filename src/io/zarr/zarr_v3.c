/* zarr_v3.c: a Zarr v3 array from its zarr.json: data type, regular chunk
 * grid, chunk key encoding, fill value, dimension names and the codec
 * chain, with sharding_indexed (nested too) and the must_understand rule
 * for extensions. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "zarr_internal.h"

/* Sharding inside sharding is legal; this is how deep we follow it. */
#define MAX_SHARD_NESTING 8

static int v3_fail(const char *store, const char *prefix, int code, const char *fmt, ...)
    DT__PRINTF(4, 5);

static int v3_fail(const char *store, const char *prefix, int code, const char *fmt, ...)
{
    char msg[768], *key = dt__aprintf("%szarr.json", prefix);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dt__fail_at(code, store, key ? key : prefix, "%s", msg);
    free(key);
    return code;
}

int dt__zarr_v3_extra_members(const struct json_object *doc, const char *const *known,
                              const char *store, const char *key)
{
    if (!json_object_is_type(doc, json_type_object))
        return dt__fail_at(DT_EFORMAT, store, key, "the document is %s, not an object",
                           dt__zj_kind(doc));
    json_object_object_foreach((struct json_object *)doc, k, v) {
        struct json_object *mu;
        size_t i;

        for (i = 0; known[i] && strcmp(known[i], k) != 0; i++)
            ;
        if (known[i])
            continue;
        /* core 3.1: an unknown member is fatal unless it says otherwise */
        mu = dt__zj_get(v, "must_understand");
        if (json_object_is_type(v, json_type_object) && mu &&
            json_object_is_type(mu, json_type_boolean) && !json_object_get_boolean(mu))
            continue;
        return dt__fail_at(DT_EUNSUPPORTED, store, key, "member \"%s\" is an extension "
                           "libdtree does not understand, and it is not marked "
                           "\"must_understand\": false", k);
    }
    return DT_OK;
}

/* An extension point: a name (short-hand string or object) and its
 * configuration (may be NULL) and must_understand. */
typedef struct ext {
    const char *name;
    struct json_object *config;
    int must;
} ext;

static int ext_of(struct json_object *v, ext *e)
{
    struct json_object *n, *mu;

    e->name = NULL;
    e->config = NULL;
    e->must = 1;
    if (v && json_object_is_type(v, json_type_string)) {
        e->name = json_object_get_string(v);
        return 0;
    }
    if (!v || !json_object_is_type(v, json_type_object))
        return -1;
    n = dt__zj_get(v, "name");
    if (!n || !json_object_is_type(n, json_type_string))
        return -1;
    e->name = json_object_get_string(n);
    e->config = dt__zj_get(v, "configuration");
    mu = dt__zj_get(v, "must_understand");
    if (mu && json_object_is_type(mu, json_type_boolean) && !json_object_get_boolean(mu))
        e->must = 0;
    return 0;
}

static int u64_list(struct json_object *v, uint64_t *out, size_t *n, size_t max)
{
    size_t len;

    if (!v || !json_object_is_type(v, json_type_array))
        return -1;
    len = json_object_array_length(v);
    if (len > max)
        return -2;
    for (size_t i = 0; i < len; i++) {
        if (!dt__zj_u64(json_object_array_get_idx(v, i), &out[i]))
            return -1;
    }
    *n = len;
    return 0;
}

/* A configuration's length_bytes (fixed-length types). */
static int length_bytes(struct json_object *config, uint64_t *out)
{
    return dt__zj_u64(dt__zj_get(config, "length_bytes"), out) && *out > 0 &&
           *out < (1u << 30) ? 0 : -1;
}

static int data_type(const char *store, const char *prefix, struct json_object *v,
                     dt_type *out)
{
    static const struct { const char *name; dt_type type; } core[] = {
        {"bool", DT_BOOL}, {"int8", DT_INT8}, {"int16", DT_INT16}, {"int32", DT_INT32},
        {"int64", DT_INT64}, {"uint8", DT_UINT8}, {"uint16", DT_UINT16},
        {"uint32", DT_UINT32}, {"uint64", DT_UINT64}, {"float16", DT_FLOAT16},
        {"float32", DT_FLOAT32}, {"float64", DT_FLOAT64}, {"complex64", DT_COMPLEX64},
        {"complex128", DT_COMPLEX128}, {"string", DT_STRING},
        /* the registry's name and zarr-python 3's for variable-length bytes */
        {"bytes", DT_VLEN_OF(DT_UINT8)}, {"variable_length_bytes", DT_VLEN_OF(DT_UINT8)},
        {"numpy.datetime64", DT_INT64}, {"numpy.timedelta64", DT_INT64},
        {"struct", DT_COMPOUND}, {"structured", DT_COMPOUND},
    };
    ext e;
    uint64_t n;

    if (ext_of(v, &e) < 0)
        return v3_fail(store, prefix, DT_EFORMAT, "\"data_type\" is %s, not a name or an "
                       "extension object", v ? dt__zj_kind(v) : "missing");
    for (size_t i = 0; i < sizeof core / sizeof *core; i++) {
        if (strcmp(e.name, core[i].name) == 0) {
            *out = core[i].type;
            return DT_OK;
        }
    }
    if (strcmp(e.name, "fixed_length_utf32") == 0 && length_bytes(e.config, &n) == 0 &&
        n % 4 == 0) {
        *out = DT_UNICODE_N(n / 4);
        return DT_OK;
    }
    if ((strcmp(e.name, "null_terminated_bytes") == 0 || strcmp(e.name, "raw_bytes") == 0 ||
         strcmp(e.name, "fixed_length_bytes") == 0) && length_bytes(e.config, &n) == 0) {
        *out = DT_BYTES_N(n);
        return DT_OK;
    }
    /* r8, r16, ...: raw bits, as bytes */
    if (e.name[0] == 'r' && e.name[1] >= '1' && e.name[1] <= '9') {
        char *end;
        unsigned long long bits = strtoull(e.name + 1, &end, 10);

        if (!*end && bits % 8 == 0 && bits > 0 && bits <= (1ull << 30)) {
            *out = DT_BYTES_N(bits / 8);
            return DT_OK;
        }
    }
    /* data types cannot be ignored, whatever must_understand says */
    return v3_fail(store, prefix, DT_EUNSUPPORTED, "data type \"%s\" is not supported",
                   e.name);
}

/* The manifest name of a v3 codec: its name; sharding lists its inner
 * chain ("sharding_indexed(bytes, gzip)"). */
static char *codec_label(struct json_object *v, int depth)
{
    ext e;

    if (ext_of(v, &e) < 0)
        return dt__strdup("?");
    if (strcmp(e.name, "sharding_indexed") == 0 && depth < MAX_SHARD_NESTING) {
        struct json_object *inner = dt__zj_get(e.config, "codecs");
        dt__buf b;

        dt__buf_init(&b);
        dt__buf_puts(&b, "sharding_indexed(");
        for (size_t i = 0; inner && json_object_is_type(inner, json_type_array) &&
                           i < json_object_array_length(inner); i++) {
            char *l = codec_label(json_object_array_get_idx(inner, i), depth + 1);

            if (i)
                dt__buf_puts(&b, ", ");
            dt__buf_puts(&b, l ? l : "?");
            free(l);
        }
        dt__buf_putc(&b, ')');
        return dt__buf_take(&b);
    }
    return dt__strdup(e.name);
}

static int parse_shard(dt__zshard **out, struct json_object *config,
                       const dt__array_spec *spec, const dt_limits *lim, int depth);

/* Build a codec chain from a v3 "codecs" list for chunks of spec; the
 * array-to-bytes codec may be sharding_indexed, which goes to *shard with
 * the chain's serial step left to it. A problem is returned as an error
 * (unlocated); the caller decides what it means. */
static int build_chain(dt__codec_chain *ch, dt__zshard **shard, struct json_object *codecs,
                       const dt__array_spec *spec, const dt_limits *lim, int depth)
{
    const dt__codec_ctx ctx = {NULL, NULL, NULL, lim->max_alloc};
    size_t n;
    int rc;

    dt__chain_init(ch, spec);
    *shard = NULL;
    if (!codecs || !json_object_is_type(codecs, json_type_array))
        return dt__fail(DT_EFORMAT, "\"codecs\" is %s, not a list", dt__zj_kind(codecs));
    n = json_object_array_length(codecs);
    for (size_t i = 0; i < n; i++) {
        struct json_object *c = json_object_array_get_idx(codecs, i);
        const dt__codec_class *cls;
        ext e;

        if (ext_of(c, &e) < 0)
            return dt__fail(DT_EFORMAT, "codec %zu is %s, not a name or an object", i,
                            dt__zj_kind(c));
        if (strcmp(e.name, "sharding_indexed") == 0) {
            if (*shard || ch->serial)
                return dt__fail(DT_EFORMAT, "two array-to-bytes codecs (sharding_indexed is "
                                "one)");
            rc = parse_shard(shard, e.config, dt__chain_serial_spec(ch), lim, depth + 1);
            if (rc < 0)
                return rc;
            dt__chain_external_serial(ch);
            continue;
        }
        cls = dt__codec_find(e.name);
        if (!cls) {
            if (!e.must)
                continue;   /* may be ignored: must_understand is false */
            return dt__fail(DT_EUNSUPPORTED, "codec \"%s\" is not supported (and it is not "
                            "marked \"must_understand\": false): the data cannot be decoded",
                            e.name);
        }
        rc = dt__chain_add(ch, cls, e.config, &ctx);
        if (rc < 0)
            return rc;
    }
    if (!ch->serial && !*shard)
        return dt__fail(DT_EFORMAT, "\"codecs\" has no array-to-bytes codec (bytes, "
                        "vlen-utf8 or sharding_indexed)");
    return DT_OK;
}

/* sharding_indexed's index: bytes (either byte order), then optionally
 * crc32c: the fixed-size codecs the spec allows. */
static int index_codecs(dt__zshard *s, struct json_object *list)
{
    size_t n = list && json_object_is_type(list, json_type_array)
                   ? json_object_array_length(list) : 0;
    ext e;

    if (n < 1 || n > 2 || ext_of(json_object_array_get_idx(list, 0), &e) < 0 ||
        strcmp(e.name, "bytes") != 0)
        goto bad;
    {
        struct json_object *en = dt__zj_get(e.config, "endian");

        s->index_big = en && json_object_is_type(en, json_type_string) &&
                       strcmp(json_object_get_string(en), "big") == 0;
    }
    if (n == 2) {
        if (ext_of(json_object_array_get_idx(list, 1), &e) < 0 || strcmp(e.name, "crc32c") != 0)
            goto bad;
        s->index_crc = 1;
    }
    return DT_OK;
bad:
    return dt__fail(DT_EUNSUPPORTED, "sharding_indexed: \"index_codecs\" other than bytes "
                    "(then crc32c) are not supported");
}

static int parse_shard(dt__zshard **out, struct json_object *config,
                       const dt__array_spec *spec, const dt_limits *lim, int depth)
{
    dt__zshard *s;
    dt__array_spec inner;
    struct json_object *loc;
    size_t n = 0;
    uint64_t bytes;
    int rc;

    *out = NULL;
    if (depth > MAX_SHARD_NESTING)
        return dt__fail(DT_ELIMIT, "sharding nests deeper than %d levels", MAX_SHARD_NESTING);
    s = dt__calloc(1, sizeof *s);
    if (!s)
        return DT_ENOMEM;
    s->ndim = spec->ndim;
    if (u64_list(dt__zj_get(config, "chunk_shape"), s->inner, &n, DT_MAX_RANK) < 0 ||
        n != spec->ndim) {
        rc = dt__fail(DT_EFORMAT, "sharding_indexed: \"chunk_shape\" is not a list of %zu "
                      "positive integers", spec->ndim);
        goto fail;
    }
    s->ninner = 1;
    for (size_t i = 0; i < n; i++) {
        if (s->inner[i] == 0 || spec->shape[i] % s->inner[i] != 0) {
            rc = dt__fail(DT_EFORMAT, "sharding_indexed: the inner chunk length %" PRIu64
                          " does not divide the shard's %" PRIu64 " on axis %zu",
                          s->inner[i], spec->shape[i], i);
            goto fail;
        }
        s->per[i] = spec->shape[i] / s->inner[i];
        if (dt__mul_u64(&s->ninner, s->ninner, s->per[i]))
            s->ninner = UINT64_MAX;
    }
    rc = index_codecs(s, dt__zj_get(config, "index_codecs"));
    if (rc < 0)
        goto fail;
    if (dt__mul_u64(&bytes, s->ninner, 16) ||
        dt__add_u64(&s->index_bytes, bytes, s->index_crc ? 4 : 0) ||
        s->index_bytes > lim->max_alloc) {
        rc = dt__fail(DT_ELIMIT, "sharding_indexed: an index of %" PRIu64 " inner chunks is "
                      "over the allocation limit", s->ninner);
        goto fail;
    }
    loc = dt__zj_get(config, "index_location");
    if (loc) {
        const char *l = json_object_is_type(loc, json_type_string) ? json_object_get_string(loc)
                                                                   : "";

        if (strcmp(l, "start") != 0 && strcmp(l, "end") != 0) {
            rc = dt__fail(DT_EFORMAT, "sharding_indexed: \"index_location\" is %s, not "
                          "\"start\" or \"end\"",
                          dt__zj_show(loc));
            goto fail;
        }
        s->index_at_start = l[0] == 's';
    }
    inner = *spec;
    memcpy(inner.shape, s->inner, n * sizeof *s->inner);
    rc = build_chain(&s->chain, &s->nested, dt__zj_get(config, "codecs"), &inner, lim, depth);
    if (rc < 0)
        goto fail;
    *out = s;
    return DT_OK;
fail:
    dt__zshard_free(s);
    return rc;
}

static const char *const array_members[] = {
    "zarr_format", "node_type", "shape", "data_type", "chunk_grid", "chunk_key_encoding",
    "fill_value", "codecs", "attributes", "storage_transformers", "dimension_names", NULL,
};

static int grid_and_keys(dt__zarray *a, struct json_object *doc, const dt_limits *lim,
                         const char *store)
{
    struct json_object *v;
    size_t n = 0;
    ext e;
    int r;

    if (ext_of(dt__zj_get(doc, "chunk_grid"), &e) < 0)
        return v3_fail(store, a->prefix, DT_EFORMAT, "\"chunk_grid\" is missing or not an "
                       "extension object");
    if (strcmp(e.name, "regular") != 0)
        return v3_fail(store, a->prefix, DT_EUNSUPPORTED, "chunk grid \"%s\" is not "
                       "supported (regular is)", e.name);
    r = u64_list(dt__zj_get(e.config, "chunk_shape"), a->chunks, &n, DT_MAX_RANK);
    if (r < 0 || n != a->ndim)
        return v3_fail(store, a->prefix, DT_EFORMAT, "the regular chunk grid's "
                       "\"chunk_shape\" is not a list of %zu chunk lengths", a->ndim);
    if (ext_of(dt__zj_get(doc, "chunk_key_encoding"), &e) < 0)
        return v3_fail(store, a->prefix, DT_EFORMAT, "\"chunk_key_encoding\" is missing or "
                       "not an extension object");
    if (strcmp(e.name, "default") == 0) {
        a->key_c = 1;
        a->sep = '/';
    } else if (strcmp(e.name, "v2") == 0) {
        a->sep = '.';
    } else {
        return v3_fail(store, a->prefix, DT_EUNSUPPORTED, "chunk key encoding \"%s\" is not "
                       "supported (default and v2 are)", e.name);
    }
    v = dt__zj_get(e.config, "separator");
    if (v) {
        const char *sep = json_object_is_type(v, json_type_string) ? json_object_get_string(v)
                                                                   : NULL;

        if (!sep || (strcmp(sep, ".") != 0 && strcmp(sep, "/") != 0))
            return v3_fail(store, a->prefix, DT_EFORMAT, "the chunk key \"separator\" is %s: "
                           "only \".\" and \"/\" separate chunk keys; refused",
                           dt__zj_show(v));
        a->sep = sep[0];
    }
    (void)lim;
    return DT_OK;
}

static int dim_names(dt__zarray *a, struct json_object *v, const char *store)
{
    if (!v)
        return DT_OK;
    if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) != a->ndim)
        return v3_fail(store, a->prefix, DT_EFORMAT, "\"dimension_names\" is not a list of "
                       "%zu names", a->ndim);
    a->dimnames = dt__calloc(a->ndim ? a->ndim : 1, sizeof *a->dimnames);
    if (!a->dimnames)
        return DT_ENOMEM;
    for (size_t i = 0; i < a->ndim; i++) {
        struct json_object *e = json_object_array_get_idx(v, i);

        if (!e || json_object_is_type(e, json_type_null))
            continue;
        if (!json_object_is_type(e, json_type_string))
            return v3_fail(store, a->prefix, DT_EFORMAT, "dimension_names[%zu] is %s, not a "
                           "string or null", i, dt__zj_kind(e));
        a->dimnames[i] = dt__strdup(json_object_get_string(e));
        if (!a->dimnames[i])
            return DT_ENOMEM;
    }
    return DT_OK;
}

int dt__zarr_v3_array(dt__zarray **out, const char *name, const char *prefix,
                      struct json_object *doc, const dt_limits *lim, const char *store)
{
    struct json_object *v, *codecs;
    dt__zarray *a;
    dt__array_spec spec;
    char *key = NULL;
    int rc;

    *out = NULL;
    a = dt__calloc(1, sizeof *a);
    if (!a)
        return DT_ENOMEM;
    a->v3 = 1;
    a->name = dt__strdup(name);
    a->prefix = dt__strdup(prefix);
    key = dt__aprintf("%szarr.json", prefix);
    if (!a->name || !a->prefix || !key) {
        rc = DT_ENOMEM;
        goto fail;
    }
    /* the store reader checks this first; the v2 reader checks it here */
    if (!json_object_is_type(doc, json_type_object)) {
        rc = dt__fail_at(DT_EFORMAT, store, key, "the document is %s, not an object",
                         dt__zj_kind(doc));
        goto fail;
    }
    rc = dt__zarr_v3_extra_members(doc, array_members, store, key);
    if (rc < 0)
        goto fail;
    v = dt__zj_get(doc, "shape");
    if (u64_list(v, a->shape, &a->ndim, DT_MAX_RANK) < 0) {
        int64_t neg;

        if (v && json_object_is_type(v, json_type_array) &&
            json_object_array_length(v) > DT_MAX_RANK)
            rc = v3_fail(store, prefix, DT_ELIMIT, "\"shape\" has %zu dimensions, the limit "
                         "is %d", json_object_array_length(v), DT_MAX_RANK);
        else if (v && json_object_is_type(v, json_type_array) &&
                 json_object_array_length(v) > 0 &&
                 dt__zj_i64(json_object_array_get_idx(v, 0), &neg) && neg < 0)
            rc = v3_fail(store, prefix, DT_EFORMAT, "shape[0] is %" PRId64 ": a length "
                         "cannot be negative", neg);
        else
            rc = v3_fail(store, prefix, DT_EFORMAT, "\"shape\" is not a list of non-negative "
                         "integers");
        goto fail;
    }
    rc = data_type(store, prefix, dt__zj_get(doc, "data_type"), &a->type);
    if (rc == DT_OK)
        rc = grid_and_keys(a, doc, lim, store);
    if (rc == DT_OK)
        rc = dt__zarray_check_grid(a, lim, store, key);
    if (rc < 0)
        goto fail;
    if (!json_object_object_get_ex(doc, "fill_value", NULL)) {
        rc = v3_fail(store, prefix, DT_EFORMAT, "\"fill_value\" is missing");
        goto fail;
    }
    if (dt__zj_fill(dt__zj_get(doc, "fill_value"), a->type, &a->fill) < 0) {
        rc = v3_fail(store, prefix, DT_EFORMAT, "%s", dt_error_last()->message);
        goto fail;
    }
    rc = dim_names(a, dt__zj_get(doc, "dimension_names"), store);
    if (rc < 0)
        goto fail;
    v = dt__zj_get(doc, "attributes");
    if (v && !json_object_is_type(v, json_type_object)) {
        rc = v3_fail(store, prefix, DT_EFORMAT, "\"attributes\" is %s, not an object",
                     dt__zj_kind(v));
        goto fail;
    }
    if (v)
        a->attrs = json_object_get(v);
    codecs = dt__zj_get(doc, "codecs");
    for (size_t i = 0; codecs && json_object_is_type(codecs, json_type_array) &&
                       i < json_object_array_length(codecs); i++) {
        char *l = codec_label(json_object_array_get_idx(codecs, i), 0);

        rc = l ? dt__zarray_label(a, l) : DT_ENOMEM;
        free(l);
        if (rc < 0)
            goto fail;
    }
    /* the big-endian flag: the array-to-bytes codec's (or the innermost
     * shard's) byte order */
    {
        struct json_object *list = codecs;

        for (int d = 0; d <= MAX_SHARD_NESTING && list &&
                        json_object_is_type(list, json_type_array); d++) {
            struct json_object *next = NULL;

            for (size_t i = 0; i < json_object_array_length(list); i++) {
                ext e;

                if (ext_of(json_object_array_get_idx(list, i), &e) < 0)
                    continue;
                if (strcmp(e.name, "bytes") == 0) {
                    struct json_object *en = dt__zj_get(e.config, "endian");

                    a->big_endian = en && json_object_is_type(en, json_type_string) &&
                                    strcmp(json_object_get_string(en), "big") == 0 &&
                                    dt__swap_unit(a->type) > 1;
                }
                if (strcmp(e.name, "sharding_indexed") == 0)
                    next = dt__zj_get(e.config, "codecs");
            }
            list = next;
        }
    }
    v = dt__zj_get(doc, "storage_transformers");
    if (v && json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            ext e;

            if (ext_of(json_object_array_get_idx(v, i), &e) == 0 && !e.must)
                continue;
            dt__fail(DT_EUNSUPPORTED, "storage transformer \"%s\" is not supported",
                     e.name ? e.name : "?");
            dt__zarray_unreadable(a);
            break;
        }
    }
    if (dt_type_size(a->type) && !a->unreadable) {
        memset(&spec, 0, sizeof spec);
        spec.type = a->type;
        spec.elem_size = dt_type_size(a->type);
        spec.ndim = a->ndim;
        memcpy(spec.shape, a->chunks, a->ndim * sizeof *a->chunks);
        rc = build_chain(&a->chain, &a->shard, codecs, &spec, lim, 0);
        if (rc == DT_ENOMEM)
            goto fail;
        if (rc < 0) {
            /* the metadata stays readable; reading the data says why not */
            dt__zarray_unreadable(a);
            dt__chain_clear(&a->chain);
            dt__zshard_free(a->shard);
            a->shard = NULL;
        }
    }
    free(key);
    *out = a;
    return DT_OK;
fail:
    free(key);
    dt__zarray_free(a);
    return rc;
}
