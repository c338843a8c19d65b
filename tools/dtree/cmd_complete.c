/* cmd_complete.c: `dtree complete`, hidden: what the bash completion asks
 * for: the commands, and object paths inside a file (file.nc:/gr<TAB>). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

void cmd_complete_help(FILE *fp)
{
    fprintf(fp,
            "usage: dtree complete --commands\n"
            "       dtree complete FILE:PREFIX\n"
            "\n"
            "For shell completion. --commands prints the commands; FILE:PREFIX prints\n"
            "FILE:PATH for every group (with a trailing '/') and variable of the group\n"
            "PREFIX points into whose name starts with what follows its last '/'.\n"
            "Prints nothing, with status 1, when FILE cannot be read.\n");
}

/* Split at the last ':' whose left side is an existing file or directory. */
static int split(const char *arg, char **file, const char **prefix)
{
    for (const char *c = arg + strlen(arg); c-- > arg;) {
        struct stat st;

        if (*c != ':')
            continue;
        *file = strndup(arg, (size_t)(c - arg));
        if (!*file)
            return -1;
        if (stat(*file, &st) == 0) {
            *prefix = c + 1;
            return 0;
        }
        free(*file);
        *file = NULL;
    }
    return -1;
}

int cmd_complete(int argc, char **argv)
{
    char *file = NULL, *dir = NULL;
    const char *prefix = NULL, *slash, *part;
    dt_tree *tree = NULL;
    dt_node *g = NULL;
    size_t plen;
    int rc = EXIT_BAD_FILE;

    if (argc == 2 && strcmp(argv[1], "--commands") == 0) {
        for (size_t i = 0; cli_commands[i].name; i++) {
            if (cli_commands[i].summary)
                printf("%s\n", cli_commands[i].name);
        }
        printf("help\n");
        return EXIT_OK;
    }
    if (argc != 2)
        return cli_usage("complete", "FILE:PREFIX or --commands");
    if (split(argv[1], &file, &prefix) < 0)
        return EXIT_BAD_FILE;
    /* the group is what the prefix names up to its last '/' */
    slash = strrchr(prefix, '/');
    part = slash ? slash + 1 : prefix;
    dir = slash ? strndup(prefix, (size_t)(slash - prefix) + 1) : strdup("/");
    if (!dir)
        goto out;
    if (dir[0] != '/') {
        char *abs = malloc(strlen(dir) + 2);

        if (!abs)
            goto out;
        abs[0] = '/';
        strcpy(abs + 1, dir);
        free(dir);
        dir = abs;
    }
    if (cli_open(&tree, file, 1) < 0) {
        dt_error_clear();
        goto out;
    }
    if (dt_node_lookup(&g, dt_tree_root(tree), dir) < 0) {
        dt_error_clear();
        rc = EXIT_OK;   /* no such group: no candidates */
        goto out;
    }
    plen = strlen(part);
    for (size_t i = 0; i < dt_node_child_count(g); i++) {
        const char *name = dt_node_name(dt_node_child(g, i));

        if (strncmp(name, part, plen) == 0)
            printf("%s:%s%s/\n", file, dir, name);
    }
    for (size_t i = 0; i < dt_node_var_count(g); i++) {
        const char *name = dt_var_name(dt_node_var(g, i));

        if (strncmp(name, part, plen) == 0)
            printf("%s:%s%s\n", file, dir, name);
    }
    rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_BAD_FILE;
out:
    dt_tree_free(tree);
    free(file);
    free(dir);
    return rc;
}
