/* yaml_write.c: write a tree as a YAML document (a dtree-manifest/1 entry
 * with `values:`), through a temporary file renamed into place. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"
#include "util.h"

int dt__yaml_write(const dt_tree *tree, const char *path, const dt_write_opts *opts)
{
    dt_manifest_opts mo = DT_MANIFEST_OPTS_INIT;
    dt__atomic at;
    const char *base;
    FILE *fp = NULL;
    int rc;

    rc = dt__atomic_begin(&at, path, opts->force);
    if (rc < 0)
        return rc;
    fp = fopen(at.tmp, "w");
    if (!fp) {
        rc = dt__fail_at(DT_EIO, path, NULL, "%s", strerror(errno));
        goto out;
    }
    base = strrchr(path, '/');
    mo.file_name = base ? base + 1 : path;
    mo.values = 1;
    rc = dt_tree_manifest(tree, fp, &mo);
    if (rc == DT_OK && dt__io_fault(path, "writing"))
        rc = DT_EIO;
    if (rc == DT_OK && fflush(fp) != 0)
        rc = dt__fail_at(DT_EIO, path, NULL, "writing failed: %s", strerror(errno));
    if (fclose(fp) != 0 && rc == DT_OK)
        rc = dt__fail_at(DT_EIO, path, NULL, "closing failed: %s", strerror(errno));
    fp = NULL;
    if (rc == DT_OK)
        rc = dt__atomic_commit(&at);
out:
    if (rc < 0)
        rc = dt__err_locate(rc, path, NULL);
    dt__atomic_end(&at);
    return rc;
}
