/* store_dir.c: the directory store: key a/b/c is the file ROOT/a/b/c, and
 * no key, however spelled and whatever symlinks lie on its way, reaches a
 * file outside ROOT. */
/* realpath(3) is an XSI interface: ask for it before anything includes a
 * system header (config.h sets _POSIX_C_SOURCE alone). */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE /* syscall(2), for openat2 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__linux__) && defined(__has_include)
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#include <sys/syscall.h>
#endif
#endif

#include "store.h"
#include "util.h"

typedef struct dir_store {
    dt__store base;
    char *root;       /* the root's real path, no trailing '/' (except "/") */
    size_t root_len;
    int root_fd;      /* the root, for openat2 (-1: none) */
} dir_store;

static int sys_fail(const dt__store *s, const char *key, int err, const char *what)
{
    char eb[128] = "";

    strerror_r(err, eb, sizeof eb);
    if (err == ENOENT || err == ENOTDIR)
        return dt__fail_at(DT_ENOTFOUND, s->name, key, "no such key");
    return dt__fail_at(err == ENOMEM ? DT_ENOMEM : DT_EIO, s->name, key, "%s: %s", what, eb);
}

/* Is the real path p the root or below it? */
static bool inside(const dir_store *d, const char *p)
{
    if (strncmp(p, d->root, d->root_len) != 0)
        return false;
    if (d->root_len == 1)   /* the root is "/" */
        return true;
    return p[d->root_len] == '\0' || p[d->root_len] == '/';
}

/* ROOT/rel, with rel's first n bytes. */
static char *join(const dir_store *d, const char *rel, size_t n)
{
    return dt__aprintf("%s%s%.*s", d->root, d->root_len == 1 ? "" : "/", (int)n, rel);
}

/* The real path of ROOT/rel (n bytes of rel), checked to lie inside the
 * root: a symlink on the way that leads out is refused. DT_ENOTFOUND when
 * something on the way is missing. */
static int resolve(const dir_store *d, const char *key, const char *rel, size_t n,
                   char **out)
{
    char *joined, *real;
    int err, rc;

    *out = NULL;
    joined = join(d, rel, n);
    if (!joined)
        return DT_ENOMEM;
    real = realpath(joined, NULL);
    err = errno;
    free(joined);
    if (!real)
        return sys_fail(&d->base, key, err, "cannot resolve");
    if (!inside(d, real)) {
        rc = dt__fail_at(DT_EINVAL, d->base.name, key, "the key leads out of the store "
                         "through a symbolic link (to %s); refused", real);
        free(real);
        return rc;
    }
    *out = real;
    return DT_OK;
}

/* Open key for reading with one openat2 call that the kernel keeps inside
 * the root (symlinks included), instead of realpath's readlink per path
 * component. Returns the descriptor, -ENOENT / -ENOTDIR for a key that is
 * not there, or another negative value when openat2 cannot say (no
 * openat2, a symlink at the end, one leading out): the caller then takes
 * the realpath way, which also words the refusals. */
static int open_beneath(const dir_store *d, const char *key)
{
#if defined(SYS_openat2) && defined(RESOLVE_BENEATH)
    struct open_how how;
    long fd;

    if (d->root_fd < 0)
        return -EBADF;
    memset(&how, 0, sizeof how);
    how.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    fd = syscall(SYS_openat2, d->root_fd, key, &how, sizeof how);
    if (fd >= 0)
        return (int)fd;
    return errno == ENOENT || errno == ENOTDIR ? -errno : -EAGAIN;
#else
    (void)d;
    (void)key;
    return -EBADF;
#endif
}

static int dir_get(dt__store *s, const char *key, uint64_t offset, uint64_t length,
                   unsigned flags, dt__bytes *out, uint64_t *total)
{
    dir_store *d = (dir_store *)s;
    char *real = NULL;
    struct stat st;
    uint64_t off, len;
    size_t got = 0, n;
    unsigned char *buf = NULL;
    int fd = -1, rc;

    fd = open_beneath(d, key);
    if (fd == -ENOENT || fd == -ENOTDIR)
        return sys_fail(s, key, -fd, "cannot resolve");
    if (fd < 0) {
        rc = resolve(d, key, key, strlen(key), &real);
        if (rc < 0)
            return rc;
        fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            rc = sys_fail(s, key, errno, "cannot open");
            goto out;
        }
    }
    if (fstat(fd, &st) != 0) {
        rc = sys_fail(s, key, errno, "cannot stat");
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = dt__fail_at(DT_ENOTFOUND, s->name, key, "no such key (%s)",
                         S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
        goto out;
    }
    if (total)
        *total = (uint64_t)st.st_size;
    rc = dt__store_range_resolve(s, key, (uint64_t)st.st_size, offset, length, flags,
                                 &off, &len);
    if (rc < 0)
        goto out;
    rc = dt__u64_to_size(&n, len);
    if (rc < 0)
        goto out;
    buf = dt__malloc(n ? n : 1);
    if (!buf) {
        rc = DT_ENOMEM;
        goto out;
    }
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, (off_t)(off + got));

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = sys_fail(s, key, errno, "cannot read");
            goto out;
        }
        if (r == 0) {
            rc = dt__fail_at(DT_EIO, s->name, key, "the value shrank while it was read: "
                             "%zu of %zu bytes", got, n);
            goto out;
        }
        got += (size_t)r;
    }
    out->data = buf;
    out->len = n;
    buf = NULL;
out:
    if (fd >= 0)
        close(fd);
    free(buf);
    free(real);
    return rc;
}

/* Make the directories of key's parent, one at a time, each checked to lie
 * inside the root before anything is made below it. *parent gets the
 * parent's real path. */
static int make_parents(dir_store *d, const char *key, char **parent)
{
    const char *slash = strrchr(key, '/');
    size_t end = slash ? (size_t)(slash - key) : 0;
    int rc;

    *parent = NULL;
    if (end == 0) {
        *parent = dt__strdup(d->root);
        return *parent ? DT_OK : DT_ENOMEM;
    }
    for (size_t i = 0; i <= end; i++) {
        char *joined, *real = NULL;

        if (i < end && key[i] != '/')
            continue;
        joined = join(d, key, i);
        if (!joined)
            return DT_ENOMEM;
        if (mkdir(joined, 0777) != 0 && errno != EEXIST) {
            rc = sys_fail(&d->base, key, errno, "cannot make a directory");
            free(joined);
            return rc == DT_ENOTFOUND ? dt__fail_at(DT_EIO, d->base.name, key,
                                                    "cannot make a directory") : rc;
        }
        free(joined);
        rc = resolve(d, key, key, i, &real);
        if (rc < 0)
            return rc;
        if (i == end) {
            *parent = real;
        } else {
            free(real);
        }
    }
    return DT_OK;
}

static int dir_set(dt__store *s, const char *key, const void *data, size_t n)
{
    dir_store *d = (dir_store *)s;
    const char *slash = strrchr(key, '/'), *base = slash ? slash + 1 : key;
    char *parent = NULL, *tmp = NULL, *target = NULL;
    size_t done = 0;
    int fd = -1, rc;

    rc = make_parents(d, key, &parent);
    if (rc < 0)
        goto out;
    /* write beside the target, then rename: readers see the old value or
     * the new one, never a part (no fsync: atomic, not durable) */
    tmp = dt__aprintf("%s/.%s.dtree-tmp-XXXXXX", parent, base);
    target = dt__aprintf("%s/%s", parent, base);
    if (!tmp || !target) {
        rc = DT_ENOMEM;
        goto out;
    }
    fd = mkstemp(tmp);
    if (fd < 0) {
        rc = dt__fail_at(DT_EIO, s->name, key, "cannot create a temporary file: %s",
                         strerror(errno));
        free(tmp);
        tmp = NULL;
        goto out;
    }
    if (fchmod(fd, 0644) != 0) {
        rc = sys_fail(s, key, errno, "cannot set permissions");
        goto out;
    }
    while (done < n) {
        ssize_t w = write(fd, (const unsigned char *)data + done, n - done);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = sys_fail(s, key, errno, "cannot write");
            goto out;
        }
        done += (size_t)w;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = sys_fail(s, key, errno, "cannot write");
        goto out;
    }
    fd = -1;
    if (rename(tmp, target) != 0) {
        rc = sys_fail(s, key, errno, "cannot replace the value");
        if (rc == DT_ENOTFOUND)
            rc = dt__fail_at(DT_EIO, s->name, key, "cannot replace the value");
        goto out;
    }
    free(tmp);
    tmp = NULL;
out:
    if (fd >= 0)
        close(fd);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    free(target);
    free(parent);
    return rc;
}

static int dir_erase(dt__store *s, const char *key)
{
    dir_store *d = (dir_store *)s;
    const char *slash = strrchr(key, '/'), *base = slash ? slash + 1 : key;
    char *parent = NULL, *target = NULL;
    struct stat st;
    int rc;

    rc = resolve(d, key, key, slash ? (size_t)(slash - key) : 0, &parent);
    if (rc < 0)
        return rc;
    target = dt__aprintf("%s/%s", parent, base);
    if (!target) {
        free(parent);
        return DT_ENOMEM;
    }
    /* the last component itself is removed, never what a symlink names */
    if (lstat(target, &st) != 0) {
        rc = sys_fail(s, key, errno, "cannot stat");
    } else if (S_ISDIR(st.st_mode)) {
        rc = dt__fail_at(DT_ENOTFOUND, s->name, key, "no such key (a directory)");
    } else if (unlink(target) != 0) {
        rc = sys_fail(s, key, errno, "cannot remove");
    }
    free(target);
    free(parent);
    return rc;
}

static int dir_list(dt__store *s, const char *prefix, dt__keylist *out)
{
    dir_store *d = (dir_store *)s;
    size_t plen = strlen(prefix);
    char *real = NULL;
    DIR *dir;
    struct dirent *e;
    int rc;

    if (plen == 0) {
        real = dt__strdup(d->root);
        if (!real)
            return DT_ENOMEM;
    } else {
        rc = resolve(d, prefix, prefix, plen - 1, &real);
        if (rc == DT_ENOTFOUND) {
            dt_error_clear();
            return DT_OK;
        }
        if (rc < 0)
            return rc;
    }
    dir = opendir(real);
    if (!dir) {
        rc = errno == ENOENT || errno == ENOTDIR ? DT_OK
                                                 : sys_fail(s, prefix, errno, "cannot list");
        free(real);
        return rc;
    }
    rc = DT_OK;
    for (errno = 0; rc == DT_OK && (e = readdir(dir)) != NULL; errno = 0) {
        struct stat st;

        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        /* follows symlinks; a dangling one is not a key */
        if (fstatat(dirfd(dir), e->d_name, &st, 0) != 0)
            continue;
        if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
            continue;
        rc = dt__keylist_add(out, e->d_name, strlen(e->d_name), S_ISDIR(st.st_mode));
    }
    if (rc == DT_OK && errno != 0)
        rc = sys_fail(s, prefix, errno, "cannot list");
    closedir(dir);
    free(real);
    return rc;
}

static void dir_close(dt__store *s)
{
    dir_store *d = (dir_store *)s;

    if (!d)
        return;
    if (d->root_fd >= 0)
        close(d->root_fd);
    free(d->root);
    free(d->base.name);
    free(d);
}

static const dt__store_ops dir_ops = {
    1, "directory", dir_get, dir_set, dir_erase, dir_list, dir_close,
};

int dt__store_dir_open(dt__store **out, const char *path, const dt_limits *limits,
                       int create)
{
    static const dt_limits defaults = DT_LIMITS_INIT;
    dir_store *d;
    struct stat st;
    int rc;

    if (!out || !path)
        return dt__fail(DT_EINVAL, "dt__store_dir_open: NULL argument");
    *out = NULL;
    if (create && mkdir(path, 0777) != 0 && errno != EEXIST)
        return dt__fail_at(DT_EIO, path, NULL, "cannot make the store directory: %s",
                           strerror(errno));
    if (stat(path, &st) != 0)
        return dt__fail_at(errno == ENOENT ? DT_ENOTFOUND : DT_EIO, path, NULL,
                           "cannot open the store: %s", strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return dt__fail_at(DT_EFORMAT, path, NULL, "a directory store must be a "
                           "directory");
    d = dt__calloc(1, sizeof *d);
    if (!d)
        return DT_ENOMEM;
    d->root_fd = -1;
    d->base.ops = &dir_ops;
    d->base.limits = limits ? *limits : defaults;
    d->base.name = dt__strdup(path);
    d->root = realpath(path, NULL);
    if (!d->base.name || !d->root) {
        rc = d->base.name && !d->root
                 ? dt__fail_at(DT_EIO, path, NULL, "cannot resolve the store's path: %s",
                               strerror(errno))
                 : DT_ENOMEM;
        dir_close(&d->base);
        return rc;
    }
    d->root_len = strlen(d->root);
    d->root_fd = open(d->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    *out = &d->base;
    return DT_OK;
}
