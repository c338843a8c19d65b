/* cli.h: what the dtree subcommands share: exit codes, option parsing help,
 * opening PATH[:/group] arguments and printing errors. */
#ifndef DTREE_CLI_H
#define DTREE_CLI_H

#include <stdio.h>

#include "dtree.h"

enum { EXIT_OK = 0, EXIT_BAD_FILE = 1, EXIT_USAGE = 2 };

typedef struct cli_cmd {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
    void (*help)(FILE *fp);
} cli_cmd;

/* Print "dtree: MESSAGE" for the last library error and return EXIT_BAD_FILE
 * (or EXIT_USAGE for invalid arguments). */
int cli_fail(void);
/* --no-external-links was given. */
extern int cli_no_external_links;
/* Print "dtree CMD: MESSAGE" and a hint, return EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Split "file.nc:/group/var" into a file and an object path ("/" when none).
 * The returned strings are owned (free with free). */
int cli_split_target(const char *arg, char **file, char **object);
/* Open a tree with the options every command shares (DTREE_THREADS, ...). */
int cli_open(dt_tree **out, const char *file, int keep_layout);

int cmd_ls(int argc, char **argv);
void cmd_ls_help(FILE *fp);
int cmd_cat(int argc, char **argv);
void cmd_cat_help(FILE *fp);
int cmd_manifest(int argc, char **argv);
void cmd_manifest_help(FILE *fp);
int cmd_convert(int argc, char **argv);
void cmd_convert_help(FILE *fp);

#endif /* DTREE_CLI_H */
