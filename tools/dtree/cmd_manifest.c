/* cmd_manifest.c: `dtree manifest`: a dtree-manifest/1 document for any tree
 * the library opens, the oracle every reader is tested with. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cmd_manifest_help(FILE *fp)
{
    fprintf(fp,
            "usage: dtree manifest [--values] [--name NAME] PATH\n"
            "\n"
            "Print a dtree-manifest/1 YAML document describing PATH: every group,\n"
            "dimension, attribute and variable, with the SHA-256 of each variable's\n"
            "canonical bytes and its first values. Data is read hyperslab by\n"
            "hyperslab, so memory stays bounded.\n"
            "\n"
            "  --values     add every value (the document then is a YAML tree that\n"
            "               'dtree ls' and the library read back)\n"
            "  --name NAME  the entry's file: name (default: the base name of PATH)\n");
}

int cmd_manifest(int argc, char **argv)
{
    dt_manifest_opts mo = DT_MANIFEST_OPTS_INIT;
    const char *path = NULL;
    dt_tree *tree = NULL;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--values") == 0) {
            mo.values = 1;
        } else if (strcmp(argv[i], "--name") == 0) {
            if (++i >= argc)
                return cli_usage("manifest", "--name needs a value");
            mo.file_name = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage("manifest", "unknown option '%s'", argv[i]);
        } else if (path) {
            return cli_usage("manifest", "one PATH only");
        } else {
            path = argv[i];
        }
    }
    if (!path)
        return cli_usage("manifest", "a PATH is required");
    if (cli_open(&tree, path, 1) < 0)
        return cli_fail();
    rc = dt_tree_manifest(tree, stdout, &mo);
    dt_tree_free(tree);
    return rc < 0 ? cli_fail() : EXIT_OK;
}
