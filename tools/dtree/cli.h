/* cli.h: what the dtree subcommands share: exit codes, option parsing help,
 * opening PATH[:/group] arguments and printing errors. */
#ifndef DTREE_CLI_H
#define DTREE_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "dtree.h"

enum { EXIT_OK = 0, EXIT_BAD_FILE = 1, EXIT_USAGE = 2 };

typedef struct cli_cmd {
    const char *name;
    const char *summary;   /* NULL: hidden (not listed, not completed) */
    int (*run)(int argc, char **argv);
    void (*help)(FILE *fp);
} cli_cmd;

/* The commands, for help and completion; NULL-terminated by name. */
extern const cli_cmd cli_commands[];

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

/* An option's value: "--name VALUE" (advances *i) or "--name=VALUE";
 * NULL when argv[*i] is not that option. *missing is set when the option
 * is there without a value. */
const char *cli_optarg(int argc, char **argv, int *i, const char *name, bool *missing);

/* ---- output (cli_out.c) ---- */

/* --color=WHEN: -1 never, 0 auto (a terminal, and NO_COLOR unset or
 * empty), 1 always. */
extern int cli_color_mode;
/* Colour on this stream? */
bool cli_color(FILE *fp);
/* Start an SGR colour ("1;34") when colour is on; cli_paint(fp, NULL)
 * resets. */
void cli_paint(FILE *fp, const char *sgr);

/* A JSON string (also a valid YAML double-quoted scalar). */
void cli_json_str(FILE *fp, const char *s);
/* The type's manifest name, or "?". */
const char *cli_type_name(char *buf, size_t n, dt_type t);
/* An attribute's values in short: numbers in their shortest exact form,
 * quoted text, at most max values then ", ... (N values)". */
void cli_attr_value(FILE *fp, const dt_attr *a, size_t max);
/* Is the attribute's value the same in both (type, length, values; NaN
 * equals NaN)? */
bool cli_attr_equal(const dt_attr *a, const dt_attr *b);
/* The text of a char or one-string attribute (owned), or NULL. */
char *cli_attr_text(const dt_attrs *attrs, const char *name);

/* --format names: netcdf4 (nc4), zarr2, zarr3 (zarr), yaml. -1: unknown. */
int cli_format_named(const char *name, dt_format *out);
/* The format a target's name implies (.nc .nc4 .h5 .hdf5: netCDF-4, .yaml
 * .yml, .zarr: Zarr v3), or DT_FORMAT_AUTO. */
dt_format cli_format_of(const char *path);

int cmd_ls(int argc, char **argv);
void cmd_ls_help(FILE *fp);
int cmd_cat(int argc, char **argv);
void cmd_cat_help(FILE *fp);
int cmd_manifest(int argc, char **argv);
void cmd_manifest_help(FILE *fp);
int cmd_query(int argc, char **argv);
void cmd_query_help(FILE *fp);
int cmd_check(int argc, char **argv);
void cmd_check_help(FILE *fp);
int cmd_diff(int argc, char **argv);
void cmd_diff_help(FILE *fp);
int cmd_complete(int argc, char **argv);
void cmd_complete_help(FILE *fp);
int cmd_convert(int argc, char **argv);
void cmd_convert_help(FILE *fp);

#endif /* DTREE_CLI_H */
