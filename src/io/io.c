/* io.c: format detection and dispatch for dt_tree_open and dt_tree_write. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "io.h"
#include "util.h"

static const unsigned char hdf5_sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

static bool has_member(const char *dir, const char *name)
{
    char *p = dt__aprintf("%s/%s", dir, name);
    struct stat st;
    bool ok;

    if (!p)
        return false;
    ok = stat(p, &st) == 0;
    free(p);
    return ok;
}

/* The HDF5 superblock may sit at 0 or at 512, 1024, 2048, ... (a user block). */
static bool hdf5_signature(int fd, off_t size)
{
    unsigned char buf[8];

    for (off_t off = 0; off + 8 <= size; off = off ? off * 2 : 512) {
        if (pread(fd, buf, 8, off) != 8)
            return false;
        if (memcmp(buf, hdf5_sig, 8) == 0)
            return true;
    }
    return false;
}

static bool looks_like_yaml(const unsigned char *b, size_t n)
{
    static const char *const starts[] = {"format:", "%YAML", "---", "#"};

    for (size_t i = 0; i < sizeof starts / sizeof *starts; i++) {
        size_t l = strlen(starts[i]);
        if (n >= l && memcmp(b, starts[i], l) == 0)
            return true;
    }
    return false;
}

int dt__io_detect(dt_format *out, const char *path)
{
    struct stat st;
    unsigned char head[16];
    ssize_t got;
    int fd, rc;

    *out = DT_FORMAT_AUTO;
    if (stat(path, &st) != 0)
        return dt__fail_at(errno == ENOENT ? DT_ENOTFOUND : DT_EIO, path, NULL, "%s",
                           strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        if (has_member(path, "zarr.json")) {
            *out = DT_FORMAT_ZARR3;
            return DT_OK;
        }
        if (has_member(path, ".zgroup") || has_member(path, ".zarray") ||
            has_member(path, ".zmetadata")) {
            *out = DT_FORMAT_ZARR2;
            return DT_OK;
        }
        return dt__fail_at(DT_EFORMAT, path, NULL, "a directory without zarr.json, "
                           ".zgroup or .zarray is not a Zarr store");
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dt__fail_at(DT_EIO, path, NULL, "%s", strerror(errno));
    if (st.st_size == 0) {
        close(fd);
        return dt__fail_at(DT_EFORMAT, path, NULL, "the file is empty (0 bytes)");
    }
    if (hdf5_signature(fd, st.st_size)) {
        close(fd);
        *out = DT_FORMAT_HDF5;
        return DT_OK;
    }
    got = pread(fd, head, sizeof head, 0);
    close(fd);
    if (got > 0 && looks_like_yaml(head, (size_t)got)) {
        *out = DT_FORMAT_YAML;
        return DT_OK;
    }
    rc = dt__fail_at(DT_EFORMAT, path, NULL, "not a format libdtree reads: no HDF5 "
                     "signature, not a Zarr store, not a dtree-manifest YAML document");
    return rc;
}

int dt_tree_open(dt_tree **out, const char *path, const dt_open_opts *opts)
{
    dt_open_opts def = DT_OPEN_OPTS_INIT;
    dt_format fmt;
    int rc;

    if (!out || !path)
        return dt__fail(DT_EINVAL, "dt_tree_open: NULL argument");
    *out = NULL;
    if (!opts)
        opts = &def;
    if (opts->version != 1)
        return dt__fail(DT_EINVAL, "dt_open_opts version %u is not supported (1 is)",
                        opts->version);
    fmt = opts->format;
    if (fmt == DT_FORMAT_AUTO) {
        rc = dt__io_detect(&fmt, path);
        if (rc < 0)
            return rc;
    }
    switch (fmt) {
    case DT_FORMAT_YAML:
        rc = dt__yaml_open(out, path, opts);
        break;
    case DT_FORMAT_HDF5:
    case DT_FORMAT_NETCDF4:
        rc = dt__hdf5_open(out, path, opts);
        break;
    case DT_FORMAT_ZARR2:
    case DT_FORMAT_ZARR3:
        rc = dt__zarr_open(out, path, fmt, opts);
        break;
    default:
        rc = dt__fail_at(DT_EINVAL, path, NULL, "unknown format code %d", (int)fmt);
        break;
    }
    if (rc < 0)
        return dt__err_locate(rc, path, NULL);
    return DT_OK;
}

static dt_format format_from_name(const char *path)
{
    const char *dot = strrchr(path, '.');

    if (!dot)
        return DT_FORMAT_AUTO;
    if (strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0)
        return DT_FORMAT_YAML;
    if (strcmp(dot, ".nc") == 0 || strcmp(dot, ".nc4") == 0)
        return DT_FORMAT_NETCDF4;
    if (strcmp(dot, ".h5") == 0 || strcmp(dot, ".hdf5") == 0)
        return DT_FORMAT_HDF5;
    if (strcmp(dot, ".zarr") == 0)
        return DT_FORMAT_ZARR3;
    return DT_FORMAT_AUTO;
}

int dt_tree_write(const dt_tree *tree, const char *path, dt_format fmt,
                  const dt_write_opts *opts)
{
    dt_write_opts def = DT_WRITE_OPTS_INIT;

    if (!tree || !path)
        return dt__fail(DT_EINVAL, "dt_tree_write: NULL argument");
    if (!opts)
        opts = &def;
    if (opts->version != 1)
        return dt__fail(DT_EINVAL, "dt_write_opts version %u is not supported (1 is)",
                        opts->version);
    if (fmt == DT_FORMAT_AUTO)
        fmt = format_from_name(path);
    switch (fmt) {
    case DT_FORMAT_YAML:
        return dt__yaml_write(tree, path, opts);
    case DT_FORMAT_NETCDF4:
    case DT_FORMAT_HDF5:
        /* a netCDF-4 file is an HDF5 file that netCDF readers understand */
        return dt__hdf5_write(tree, path, opts);
    case DT_FORMAT_ZARR2:
    case DT_FORMAT_ZARR3:
        return dt__zarr_write(tree, path, fmt, opts);
    case DT_FORMAT_AUTO:
        return dt__fail_at(DT_EINVAL, path, NULL, "cannot tell the format from the file "
                           "name; name one");
    default:
        return dt__fail_at(DT_EUNSUPPORTED, path, NULL, "writing %s is not implemented yet",
                           dt_format_name(fmt));
    }
}

/* ------------------------------------------------------------------------ */
/* Atomic replacement                                                       */

/* Process-wide, not per thread: a writer may do its I/O on pool threads. */
static pthread_mutex_t io_lock = PTHREAD_MUTEX_INITIALIZER;
static long io_countdown = -1;
static long io_nsteps;
static int io_errno = ENOSPC;

void dt__io_fail_after(long countdown)
{
    pthread_mutex_lock(&io_lock);
    io_countdown = countdown;
    io_nsteps = 0;
    pthread_mutex_unlock(&io_lock);
}

long dt__io_steps(void)
{
    long n;

    pthread_mutex_lock(&io_lock);
    n = io_nsteps;
    pthread_mutex_unlock(&io_lock);
    return n;
}

void dt__io_fail_errno(int err)
{
    pthread_mutex_lock(&io_lock);
    io_errno = err;
    pthread_mutex_unlock(&io_lock);
}

int dt__io_fault(const char *file, const char *what)
{
    int fail = 0, err;

    pthread_mutex_lock(&io_lock);
    io_nsteps++;
    if (io_countdown == 0) {
        io_countdown = -1;
        fail = 1;
    } else if (io_countdown > 0) {
        io_countdown--;
    }
    err = io_errno;
    pthread_mutex_unlock(&io_lock);
    if (fail)
        dt__fail_at(DT_EIO, file, NULL, "%s failed: %s (injected)", what, strerror(err));
    return fail;
}

char *dt__dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        return dt__strdup(".");
    return dt__strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* A process that has exited but is not reaped yet (a zombie) writes no
 * more: Linux says so in /proc; elsewhere a zombie counts as alive. */
static int process_gone(long pid)
{
#if defined(__linux__)
    char p[64], buf[256];
    FILE *fp;
    char *rp;
    int gone = 0;

    snprintf(p, sizeof p, "/proc/%ld/stat", pid);
    fp = fopen(p, "r");
    if (!fp)
        return 0;
    if (fgets(buf, sizeof buf, fp)) {
        /* "PID (comm) S ...": the state follows the last ')' */
        rp = strrchr(buf, ')');
        gone = rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X');
    }
    fclose(fp);
    return gone;
#else
    (void)pid;
    return 0;
#endif
}

int dt__writer_alive(long pid)
{
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
        return 0;
    return !process_gone(pid);
}

/* Temporary files "BASE.tmp-PID-XXXXXX" of this target whose writer is gone
 * (a killed conversion): removed. Those of live processes are left alone. */
static void remove_stale(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t blen = strlen(base);
    char *dir = dt__dir_of(path);
    DIR *d = dir ? opendir(dir) : NULL;
    struct dirent *e;

    while (d && (e = readdir(d)) != NULL) {
        const char *p = e->d_name;
        char *end, *full;
        long pid;

        if (strncmp(p, base, blen) != 0 || strncmp(p + blen, ".tmp-", 5) != 0)
            continue;
        pid = strtol(p + blen + 5, &end, 10);
        if (end == p + blen + 5 || *end != '-' || strlen(end + 1) != 6 || pid <= 0)
            continue;
        if (dt__writer_alive(pid))
            continue;
        full = dt__aprintf("%s/%s", dir, p);
        if (full)
            unlink(full);
        free(full);
    }
    if (d)
        closedir(d);
    free(dir);
    dt_error_clear();
}

int dt__atomic_begin(dt__atomic *a, const char *path, int force)
{
    struct stat st;
    int fd;

    memset(a, 0, sizeof *a);
    a->force = force;
    if (!force && lstat(path, &st) == 0)
        return dt__fail_at(DT_EEXIST, path, NULL,
                           "the file exists (use force to replace it)");
    if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return dt__fail_at(DT_EEXIST, path, NULL, "is a directory");
    remove_stale(path);
    a->path = dt__strdup(path);
    a->tmp = dt__aprintf("%s.tmp-%ld-XXXXXX", path, (long)getpid());
    if (!a->path || !a->tmp) {
        dt__atomic_end(a);
        return DT_ENOMEM;
    }
    fd = mkstemp(a->tmp);
    if (fd < 0) {
        int rc = dt__fail_at(DT_EIO, path, NULL,
                             "cannot create a temporary file beside it: %s",
                             strerror(errno));

        free(a->tmp);
        a->tmp = NULL;
        dt__atomic_end(a);
        return rc;
    }
    /* the target's permissions as a new file would get them, not 0600 */
    {
        mode_t um = umask(0);

        umask(um);
        fchmod(fd, 0666 & ~um);
    }
    close(fd);
    return DT_OK;
}

static int fsync_path(const char *path, int dir)
{
    int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
    int rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

int dt__atomic_commit(dt__atomic *a)
{
    char *dir;
    int rc = DT_OK;

    if (dt__io_fault(a->path, "fsync"))
        return DT_EIO;
    if (fsync_path(a->tmp, 0) != 0)
        return dt__fail_at(DT_EIO, a->path, NULL, "flushing the temporary file to "
                           "disk failed: %s", strerror(errno));
    if (dt__io_fault(a->path, "rename"))
        return DT_EIO;
    if (a->force) {
        if (rename(a->tmp, a->path) != 0)
            return dt__fail_at(DT_EIO, a->path, NULL, "renaming the temporary file "
                               "failed: %s", strerror(errno));
    } else {
        /* link() refuses an existing name: a target created meanwhile by
         * someone else is not replaced */
        if (link(a->tmp, a->path) != 0) {
            int e = errno;

            if (e == EEXIST)
                return dt__fail_at(DT_EEXIST, a->path, NULL, "the file appeared "
                                   "while it was being written (use force to "
                                   "replace it)");
            return dt__fail_at(DT_EIO, a->path, NULL, "moving the temporary file "
                               "in place failed: %s", strerror(e));
        }
        unlink(a->tmp);
    }
    free(a->tmp);
    a->tmp = NULL;
    dir = dt__dir_of(a->path);
    if (dir && fsync_path(dir, 1) != 0)
        rc = dt__fail_at(DT_EIO, a->path, NULL, "flushing the directory failed: %s",
                         strerror(errno));
    free(dir);
    return rc;
}

void dt__atomic_end(dt__atomic *a)
{
    if (a->tmp)
        unlink(a->tmp);
    free(a->tmp);
    free(a->path);
    memset(a, 0, sizeof *a);
}

int dt__node_within(const dt_node *anc, const dt_node *n)
{
    for (; n; n = dt_node_parent(n)) {
        if (n == anc)
            return 1;
    }
    return 0;
}
