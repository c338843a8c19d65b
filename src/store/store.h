/* store.h: the key-value stores Zarr reaches its bytes through: whole or
 * ranged gets, sets, deletes and one-level listings behind a vtable, so
 * that an HTTP or S3 store is one new file. */
#ifndef DT_STORE_H
#define DT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "dtree.h"

/* Bytes a store or a codec hands over; owned by the holder (free with
 * dt__bytes_free). */
typedef struct dt__bytes {
    unsigned char *data;
    size_t len;
} dt__bytes;

void dt__bytes_free(dt__bytes *b);

/* One level of a listing: the names directly under a prefix, sorted by
 * their bytes; is_prefix[i] says the name has keys below it (a directory),
 * else it is a key itself. A name may appear twice, once as each. */
typedef struct dt__keylist {
    char **names;
    unsigned char *is_prefix;
    size_t n, cap;
} dt__keylist;

void dt__keylist_free(dt__keylist *l);
/* Append a copy of name (used by store implementations). */
int dt__keylist_add(dt__keylist *l, const char *name, size_t len, int is_prefix);
/* Sort by name (then keys before prefixes) and drop duplicates. */
void dt__keylist_sort(dt__keylist *l);

typedef struct dt__store dt__store;

/* The range of dt__store_get_range: `length` bytes from `offset`, or with
 * DT__STORE_SUFFIX the last `length` bytes (offset unused), as an HTTP
 * "bytes=-N" request. */
#define DT__STORE_SUFFIX 1u

typedef struct dt__store_ops {
    unsigned version;    /* 1 */
    const char *kind;    /* "directory", "memory" */
    /* Whole key when length is UINT64_MAX and offset 0. *total (may be
     * NULL) gets the key's full size. A missing key is DT_ENOTFOUND. */
    int (*get)(dt__store *s, const char *key, uint64_t offset, uint64_t length,
               unsigned flags, dt__bytes *out, uint64_t *total);
    int (*set)(dt__store *s, const char *key, const void *data, size_t n);
    int (*erase)(dt__store *s, const char *key);
    /* prefix is "" or ends with '/'; a missing prefix lists nothing. */
    int (*list)(dt__store *s, const char *prefix, dt__keylist *out);
    void (*close)(dt__store *s);
} dt__store_ops;

/* The common part every store starts with. Stores are safe to use from
 * several threads at once. */
struct dt__store {
    const dt__store_ops *ops;
    char *name;          /* named in every message: the path or URL given */
    dt_limits limits;    /* max_alloc bounds every get */
};

/* A directory store rooted at path. Keys are resolved under the root and
 * never leave it: "..", "." and empty segments, absolute keys and symlinks
 * that lead out of the root are refused. create: make the root directory
 * when it is missing (for writers). limits NULL: defaults. */
int dt__store_dir_open(dt__store **out, const char *path, const dt_limits *limits,
                       int create);
/* An empty in-memory store (tests and fuzzing); name appears in messages. */
int dt__store_mem_new(dt__store **out, const char *name, const dt_limits *limits);

/* A key is '/'-separated segments, none empty, "." or "..", with no
 * leading '/' and no '\\'; DT_EINVAL naming the store and the key. A
 * prefix for listing may be "" or end with one '/'. */
int dt__store_key_check(const dt__store *s, const char *key);
int dt__store_prefix_check(const dt__store *s, const char *prefix);

/* The whole value of key, at most limits.max_alloc bytes (DT_ELIMIT). */
int dt__store_get(dt__store *s, const char *key, dt__bytes *out);
/* A byte range of key (see DT__STORE_SUFFIX); a range outside the value
 * is DT_EFORMAT. *total (may be NULL) gets the key's full size. */
int dt__store_get_range(dt__store *s, const char *key, uint64_t offset, uint64_t length,
                        unsigned flags, dt__bytes *out, uint64_t *total);
/* Replace or create key atomically (readers see the old or the new value). */
int dt__store_set(dt__store *s, const char *key, const void *data, size_t n);
/* Remove key; DT_ENOTFOUND when it is missing. */
int dt__store_erase(dt__store *s, const char *key);
int dt__store_list(dt__store *s, const char *prefix, dt__keylist *out);
void dt__store_close(dt__store *s);

/* For implementations: check a requested range against a value of `size`
 * bytes and the limit; sets *off and *len to the bytes to return. */
int dt__store_range_resolve(const dt__store *s, const char *key, uint64_t size,
                            uint64_t offset, uint64_t length, unsigned flags,
                            uint64_t *off, uint64_t *len);

#endif /* DT_STORE_H */
