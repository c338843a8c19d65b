/* zarr_wdir.c: whole-store atomicity for the Zarr writers. A store is
 * written into a sibling directory "STORE.tmp-PID-XXXXXX", flushed, and
 * moved into place at the end. An existing store (force) is swapped out in
 * one step where the system can (renameat2 RENAME_EXCHANGE), else renamed
 * aside to "STORE.old-PID-XXXXXX" first. What a killed writer leaves behind
 * is repaired by the next write of that store: a missing store whose old
 * copy sits aside is put back, leftovers of dead writers are removed. */
#define _GNU_SOURCE 1
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "zarr_write.h"

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    remove(p);
    return 0;
}

/* Remove a directory tree without following symlinks out of it. */
int dt__zdir_remove_tree(const char *path)
{
    struct stat st;

    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return lstat(path, &st) == 0 ? -1 : 0;
}

/* "BASE.tmp-PID-XXXXXX" or "BASE.old-PID-XXXXXX": the writer's pid, or 0. */
static long leftover_pid(const char *name, const char *base, size_t blen, int *old)
{
    char *end;
    long pid;

    if (strncmp(name, base, blen) != 0)
        return 0;
    if (strncmp(name + blen, ".tmp-", 5) == 0)
        *old = 0;
    else if (strncmp(name + blen, ".old-", 5) == 0)
        *old = 1;
    else
        return 0;
    pid = strtol(name + blen + 5, &end, 10);
    if (end == name + blen + 5 || *end != '-' || strlen(end + 1) != 6 || pid <= 0)
        return 0;
    return pid;
}

void dt__zdir_repair(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t blen = strlen(base);
    char *dir = dt__dir_of(path);
    DIR *d = dir ? opendir(dir) : NULL;
    struct dirent *e;
    struct stat st;
    int missing = lstat(path, &st) != 0 && errno == ENOENT;

    while (d && (e = readdir(d)) != NULL) {
        int old = 0;
        long pid = leftover_pid(e->d_name, base, blen, &old);
        char *full;

        if (pid == 0 || dt__writer_alive(pid))
            continue;
        full = dt__aprintf("%s/%s", dir, e->d_name);
        if (!full)
            break;
        /* a writer died between moving the old store aside and moving the
         * new one in: the old one goes back */
        if (old && missing && rename(full, path) == 0)
            missing = 0;
        else
            dt__zdir_remove_tree(full);
        free(full);
    }
    if (d)
        closedir(d);
    free(dir);
    dt_error_clear();
}

int dt__zdir_begin(dt__zdir *z, const char *path, int force)
{
    struct stat st;
    mode_t um;

    memset(z, 0, sizeof *z);
    z->force = force;
    dt__zdir_repair(path);
    if (!force && lstat(path, &st) == 0)
        return dt__fail_at(DT_EEXIST, path, NULL, "the store exists (use force to replace it)");
    z->path = dt__strdup(path);
    z->tmp = dt__aprintf("%s.tmp-%ld-XXXXXX", path, (long)getpid());
    if (!z->path || !z->tmp) {
        dt__zdir_end(z);
        return DT_ENOMEM;
    }
    if (dt__io_fault(path, "creating the store") ||
        (!mkdtemp(z->tmp) && dt__fail_at(DT_EIO, path, NULL, "cannot create a temporary "
                                          "directory beside it: %s", strerror(errno)))) {
        free(z->tmp);
        z->tmp = NULL;
        dt__zdir_end(z);
        return DT_EIO;
    }
    um = umask(0);
    umask(um);
    chmod(z->tmp, 0777 & ~um);
    return DT_OK;
}

static int fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* Flush every file of the new store to disk (one call for the whole file
 * system where Linux has it). */
static int flush_tree(const char *path)
{
#if defined(__linux__)
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

    if (fd < 0)
        return -1;
    rc = syncfs(fd);
    close(fd);
    return rc;
#else
    (void)path;
    sync();
    return 0;
#endif
}

#if defined(__linux__) && defined(SYS_renameat2)
#define HAVE_RENAMEAT2 1
static int rename2(const char *from, const char *to, unsigned flags)
{
    return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, flags);
}
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
#endif

int dt__zdir_commit(dt__zdir *z)
{
    struct stat st;
    char *dir, *aside = NULL;
    int rc = DT_OK, exists;

    if (dt__io_fault(z->path, "fsync"))
        return DT_EIO;
    if (flush_tree(z->tmp) != 0)
        return dt__fail_at(DT_EIO, z->path, NULL, "flushing the new store to disk failed: %s",
                           strerror(errno));
    exists = lstat(z->path, &st) == 0;
    if (exists && !z->force)
        return dt__fail_at(DT_EEXIST, z->path, NULL, "the store appeared while it was being "
                           "written (use force to replace it)");
    if (dt__io_fault(z->path, "rename"))
        return DT_EIO;
    if (!exists) {
#ifdef HAVE_RENAMEAT2
        if (rename2(z->tmp, z->path, RENAME_NOREPLACE) != 0 && errno != ENOSYS &&
            errno != EINVAL) {
            if (errno == EEXIST)
                return dt__fail_at(DT_EEXIST, z->path, NULL, "the store appeared while it "
                                   "was being written (use force to replace it)");
            return dt__fail_at(DT_EIO, z->path, NULL, "moving the new store in place failed: "
                               "%s", strerror(errno));
        }
        if (lstat(z->tmp, &st) == 0)
#endif
            if (rename(z->tmp, z->path) != 0)
                return dt__fail_at(DT_EIO, z->path, NULL, "moving the new store in place "
                                   "failed: %s", strerror(errno));
        free(z->tmp);
        z->tmp = NULL;
        goto flush;
    }
#ifdef HAVE_RENAMEAT2
    /* one step: the new store in place, the old one under the temporary
     * name, which is then removed (a crash leaves a stale leftover) */
    if (rename2(z->tmp, z->path, RENAME_EXCHANGE) == 0) {
        dt__zdir_remove_tree(z->tmp);
        free(z->tmp);
        z->tmp = NULL;
        goto flush;
    }
#endif
    /* two steps: the old store aside, the new one in, the old one removed;
     * a crash in between leaves the old store aside for the next write to
     * put back */
    aside = dt__aprintf("%s.old-%ld-XXXXXX", z->path, (long)getpid());
    if (!aside)
        return DT_ENOMEM;
    if (!mkdtemp(aside)) {
        rc = dt__fail_at(DT_EIO, z->path, NULL, "cannot reserve a name beside it: %s",
                         strerror(errno));
        free(aside);
        return rc;
    }
    rmdir(aside);
    if (rename(z->path, aside) != 0) {
        rc = dt__fail_at(DT_EIO, z->path, NULL, "moving the old store aside failed: %s",
                         strerror(errno));
        free(aside);
        return rc;
    }
    if (dt__io_fault(z->path, "rename") ||
        (rename(z->tmp, z->path) != 0 &&
         dt__fail_at(DT_EIO, z->path, NULL, "moving the new store in place failed: %s",
                     strerror(errno)))) {
        rename(aside, z->path);
        free(aside);
        return DT_EIO;
    }
    free(z->tmp);
    z->tmp = NULL;
    dt__zdir_remove_tree(aside);
    free(aside);
flush:
    dir = dt__dir_of(z->path);
    if (dir && fsync_dir(dir) != 0)
        rc = dt__fail_at(DT_EIO, z->path, NULL, "flushing the directory failed: %s",
                         strerror(errno));
    free(dir);
    return rc;
}

void dt__zdir_end(dt__zdir *z)
{
    if (z->tmp)
        dt__zdir_remove_tree(z->tmp);
    free(z->tmp);
    free(z->path);
    memset(z, 0, sizeof *z);
}
