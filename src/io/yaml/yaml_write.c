/* yaml_write.c: write a tree as a YAML document (a dtree-manifest/1 entry
 * with `values:`), through a temporary file renamed into place. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/io.h"
#include "util.h"

int dt__yaml_write(const dt_tree *tree, const char *path, const dt_write_opts *opts)
{
    dt_manifest_opts mo = DT_MANIFEST_OPTS_INIT;
    struct stat st;
    char *tmp = NULL;
    const char *base;
    FILE *fp = NULL;
    int fd = -1, rc;

    if (!opts->force && lstat(path, &st) == 0)
        return dt__fail_at(DT_EEXIST, path, NULL, "the file exists (use force to replace it)");
    tmp = dt__aprintf("%s.tmp-XXXXXX", path);
    if (!tmp)
        return DT_ENOMEM;
    fd = mkstemp(tmp);
    if (fd < 0) {
        rc = dt__fail_at(DT_EIO, path, NULL, "cannot create a temporary file beside it: %s",
                         strerror(errno));
        goto out;
    }
    fp = fdopen(fd, "w");
    if (!fp) {
        rc = dt__fail_at(DT_EIO, path, NULL, "%s", strerror(errno));
        goto out;
    }
    fd = -1;
    base = strrchr(path, '/');
    mo.file_name = base ? base + 1 : path;
    mo.values = 1;
    rc = dt_tree_manifest(tree, fp, &mo);
    if (rc == DT_OK && (fflush(fp) != 0 || fsync(fileno(fp)) != 0))
        rc = dt__fail_at(DT_EIO, path, NULL, "writing failed: %s", strerror(errno));
    if (fclose(fp) != 0 && rc == DT_OK)
        rc = dt__fail_at(DT_EIO, path, NULL, "closing failed: %s", strerror(errno));
    fp = NULL;
    if (rc == DT_OK && rename(tmp, path) != 0)
        rc = dt__fail_at(DT_EIO, path, NULL, "renaming the temporary file failed: %s",
                         strerror(errno));
    if (rc < 0)
        rc = dt__err_locate(rc, path, NULL);
out:
    if (fd >= 0)
        close(fd);
    if (fp)
        fclose(fp);
    if (rc < 0)
        unlink(tmp);
    free(tmp);
    return rc;
}
