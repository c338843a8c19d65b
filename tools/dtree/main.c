/* main.c: the dtree command line: global options and subcommand dispatch. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

const cli_cmd cli_commands[] = {
    {"ls", "show a tree: groups, dimensions, variables, inherited coordinates",
     cmd_ls, cmd_ls_help},
    {"cat", "print values of a variable or a hyperslab (numpy-style selection)",
     cmd_cat, cmd_cat_help},
    {"query", "find groups and variables; select by index or label (isel, sel)",
     cmd_query, cmd_query_help},
    {"check", "lint a tree: alignment, coordinates, fill values, CF basics",
     cmd_check, cmd_check_help},
    {"diff", "compare two trees: structure, attributes, types and data",
     cmd_diff, cmd_diff_help},
    {"manifest", "print a dtree-manifest/1 document with data digests",
     cmd_manifest, cmd_manifest_help},
    {"convert", "write a tree as a netCDF-4 file or a YAML tree (atomically)",
     cmd_convert, cmd_convert_help},
    /* for shell completion: object paths inside a file */
    {"complete", NULL, cmd_complete, cmd_complete_help},
    {NULL, NULL, NULL, NULL},
};

#define commands cli_commands
#define NCOMMANDS (sizeof cli_commands / sizeof *cli_commands - 1)

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: dtree [--help] [--version] [--threads N] [--max-alloc SIZE]\n"
            "             [--no-external-links] [--color[=WHEN]] COMMAND [ARGS]\n"
            "\n"
            "Inspect and convert hierarchical scientific data: netCDF-4/HDF5 files,\n"
            "Zarr stores and YAML tree documents.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (commands[i].summary)
            fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(fp, "  %-10s %s\n", "help", "show the help of a command");
    fprintf(fp,
            "\n"
            "Options:\n"
            "  --threads N          threads that decode chunks (default: DTREE_THREADS,\n"
            "                       else the number of cores)\n"
            "  --max-alloc SIZE     largest allocation a file's metadata may ask for\n"
            "                       (default: DTREE_MAX_ALLOC, else 1G); 64M, 1G, ...\n"
            "  --no-external-links  refuse HDF5 files with external links instead of\n"
            "                       following them to files beside the file\n"
            "  --color[=WHEN]       colour: auto (default: on a terminal, unless\n"
            "                       NO_COLOR is set), always, never\n"
            "\n"
            "Objects inside a file are named FILE:/group/var.\n"
            "Exit status: 0 success, 1 the file could not be read, 2 usage error\n"
            "(check and diff: 0 clean or same, 1 findings or differences, 2 trouble).\n"
            "See dtree(1) and 'dtree help COMMAND'.\n");
}

int cli_no_external_links;

int cli_fail(void)
{
    const dt_error *e = dt_error_last();

    fprintf(stderr, "dtree: %s\n", e->message);
    return EXIT_BAD_FILE;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "dtree %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'dtree help %s'.\n", cmd);
    return EXIT_USAGE;
}

int cli_split_target(const char *arg, char **file, char **object)
{
    const char *bracket = strchr(arg, '['), *colon = NULL;
    struct stat st;

    /* the object part starts at a ":/" before any selection "[...]": the
     * first one whose prefix is an existing file or store (object names
     * may hold ':', as Keras' "bias:0"), else the last one (for the
     * message about a missing file) */
    for (const char *p = arg; *p && (!bracket || p < bracket); p++) {
        if (p[0] == ':' && p[1] == '/') {
            char *pre = strndup(arg, (size_t)(p - arg));
            int exists = pre && stat(pre, &st) == 0;

            free(pre);
            colon = p;
            if (exists)
                break;
        }
    }

    *file = *object = NULL;
    /* "a:/b.nc" may itself be a file name: split only when the whole
     * argument is not an existing file */
    if (colon && stat(arg, &st) != 0) {
        *file = strndup(arg, (size_t)(colon - arg));
        *object = strdup(colon + 1);
    } else {
        *file = strdup(arg);
        *object = strdup("/");
    }
    if (!*file || !*object) {
        free(*file);
        free(*object);
        *file = *object = NULL;
        fprintf(stderr, "dtree: out of memory\n");
        return -1;
    }
    return 0;
}

const char *cli_optarg(int argc, char **argv, int *i, const char *name, bool *missing)
{
    size_t len = strlen(name);

    *missing = false;
    if (strncmp(argv[*i], name, len) != 0)
        return NULL;
    if (argv[*i][len] == '=')
        return argv[*i] + len + 1;
    if (argv[*i][len] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

/* Global options, set before the subcommand runs. */
static unsigned cli_threads;      /* 0: DTREE_THREADS, else the cores */
static uint64_t cli_max_alloc;    /* 0: DTREE_MAX_ALLOC, else the library's */

/* A byte count with an optional binary suffix: 1048576, 512K, 64M, 1G, 2T
 * (k m g t in either case, an optional "iB" or "B" after them). */
static int parse_size(const char *text, uint64_t *out)
{
    const char *p = text;
    uint64_t n = 0, mul = 1;

    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (n > (UINT64_MAX - 9) / 10)
            return -1;
        n = n * 10 + (uint64_t)(*p - '0');
    }
    switch (*p) {
    case 'k': case 'K': mul = (uint64_t)1 << 10; p++; break;
    case 'm': case 'M': mul = (uint64_t)1 << 20; p++; break;
    case 'g': case 'G': mul = (uint64_t)1 << 30; p++; break;
    case 't': case 'T': mul = (uint64_t)1 << 40; p++; break;
    default: break;
    }
    if (mul > 1 && p[0] == 'i' && p[1] == 'B')
        p += 2;
    else if (p[0] == 'B')
        p++;
    if (*p || n == 0 || n > UINT64_MAX / mul)
        return -1;
    *out = n * mul;
    return 0;
}

static int parse_threads(const char *text, unsigned *out)
{
    char *end;
    unsigned long n = strtoul(text, &end, 10);

    if (!*text || *end || n == 0 || n > 1024)
        return -1;
    *out = (unsigned)n;
    return 0;
}

int cli_open(dt_tree **out, const char *file, int keep_layout)
{
    dt_open_opts o = DT_OPEN_OPTS_INIT;
    const char *threads = getenv("DTREE_THREADS");
    const char *max_alloc = getenv("DTREE_MAX_ALLOC");

    if (cli_max_alloc)
        o.limits.max_alloc = cli_max_alloc;
    else if (max_alloc && *max_alloc && parse_size(max_alloc, &o.limits.max_alloc) < 0)
        fprintf(stderr, "dtree: ignoring DTREE_MAX_ALLOC=%s (a size such as 512M or 2G)\n",
                max_alloc);
    if (cli_threads)
        o.threads = cli_threads;
    else if (threads && *threads && parse_threads(threads, &o.threads) < 0)
        fprintf(stderr, "dtree: ignoring DTREE_THREADS=%s (a number from 1 to 1024)\n", threads);
    /* show files as they are: groups that break alignment are cut off from
     * inheritance rather than refused; copies of coordinates are kept */
    o.align = DT_ALIGN_RELAXED;
    o.keep_layout = keep_layout;
    /* like h5dump, follow external links (to files beside this one) unless
     * the user says not to */
    o.external_links = !cli_no_external_links;
    return dt_tree_open(out, file, &o);
}

/* ---- isolation ----
 * HDF5 itself crashes or loops on some damaged files (published CVEs that
 * Debian's HDF5 1.10.8 still has). So the command runs in a child process
 * with a CPU-time limit; when the child dies from a signal, the parent says
 * which file did it, in one line, and exits 1 instead of dying too.
 * DTREE_ISOLATE=0 runs in-process (for debuggers); DTREE_CPU_LIMIT sets the
 * limit in seconds (default 600, 0: none); DTREE_MEM_LIMIT the worker's
 * address space (default 4 x max_alloc + 2 GiB, 0: none). */

static int is_hdf5(const char *path)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char b[8];
    FILE *fp = fopen(path, "rb");
    int yes;

    if (!fp)
        return 0;
    yes = fread(b, 1, 8, fp) == 8 && memcmp(b, sig, 8) == 0;
    fclose(fp);
    return yes;
}

/* The files a command names: its arguments that are existing paths, once a
 * FILE:/object suffix is taken off. */
static void name_files(char *buf, size_t n, int argc, char **argv, int *hdf5)
{
    size_t used = 0;

    buf[0] = '\0';
    *hdf5 = 0;
    for (int i = 1; i < argc; i++) {
        char *file = NULL, *object = NULL;
        struct stat st;

        if (argv[i][0] == '-' || cli_split_target(argv[i], &file, &object) < 0)
            continue;
        if (stat(file, &st) == 0 && used + strlen(file) + 3 < n) {
            used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? ", " : "", file);
            *hdf5 = *hdf5 || is_hdf5(file);
        }
        free(file);
        free(object);
    }
}

/* ASan reserves terabytes of address space: no RLIMIT_AS under it */
#if defined(__SANITIZE_ADDRESS__)
#define DT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DT_ASAN 1
#endif
#endif
#ifndef DT_ASAN
#define DT_ASAN 0
#endif

static volatile int worker;

static void pass_on(int sig)
{
    if (worker > 0)
        kill(worker, sig);
}

typedef struct cmd_call {
    const cli_cmd *cmd;
    int argc;
    char **argv;
} cmd_call;

static int run_call(void *ud, int out_fd)
{
    cmd_call *c = ud;

    (void)out_fd;  /* the command writes to the inherited stdout */
    return c->cmd->run(c->argc, c->argv);
}

static int run_isolated(const cli_cmd *cmd, int argc, char **argv)
{
    const char *iso = getenv("DTREE_ISOLATE"), *lim = getenv("DTREE_CPU_LIMIT");
    dt_isolate_opts o = DT_ISOLATE_OPTS_INIT;
    cmd_call call = {cmd, argc, argv};
    uint64_t mem = 0;
    char files[1024];
    int rc, sig = 0, hdf5;

    if (iso && strcmp(iso, "0") == 0)
        return cmd->run(argc, argv);
    {
        /* the worker's address space: DTREE_MEM_LIMIT, else four times
         * max_alloc and 2 GiB more (6 GiB by default); 0: no limit */
        const char *ml = getenv("DTREE_MEM_LIMIT"), *ma = getenv("DTREE_MAX_ALLOC");
        uint64_t alloc = (uint64_t)1 << 30;

        if (cli_max_alloc)
            alloc = cli_max_alloc;
        else if (ma && *ma && parse_size(ma, &alloc) < 0)
            alloc = (uint64_t)1 << 30;
        mem = alloc < ((uint64_t)1 << 60) ? 4 * alloc + ((uint64_t)2 << 30) : 0;
        if (ml && *ml) {
            if (strcmp(ml, "0") == 0)
                mem = 0;
            else if (parse_size(ml, &mem) < 0)
                fprintf(stderr, "dtree: ignoring DTREE_MEM_LIMIT=%s (a size such as 8G, or "
                        "0)\n", ml);
        }
    }
    if (lim && *lim) {
        char *end;
        unsigned long v = strtoul(lim, &end, 10);

        if (!*end && v <= 1000000)
            o.cpu_seconds = (unsigned)v;
    }
    /* HDF5 itself can allocate without end on a damaged index */
    o.max_memory = DT_ASAN ? 0 : mem;
    o.child_pid = &worker;
    o.term_signal = &sig;
    /* the terminal's ^C reaches the child too; a SIGTERM or SIGHUP sent
     * to dtree alone is passed on, and the parent waits for the child */
    {
        struct sigaction sa;

        memset(&sa, 0, sizeof sa);
        sa.sa_handler = pass_on;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
    }
    rc = dt_isolate(run_call, &call, &o, NULL, NULL);
    if (rc >= 0)
        return rc;
    if (rc == DT_EIO && !sig && dt_error_last()->file == NULL)
        return cmd->run(argc, argv); /* no child to be had: run here */
    if (sig == SIGPIPE || sig == SIGINT || sig == SIGTERM || sig == SIGHUP)
        return 128 + sig; /* the reader went away, or ^C: no news */
    name_files(files, sizeof files, argc, argv, &hdf5);
    if (rc == DT_ETIMEOUT)
        fprintf(stderr, "dtree: %s: reading this file took more than %u s of CPU time "
                "(DTREE_CPU_LIMIT); stopped\n", files[0] ? files : "?", o.cpu_seconds);
    else if (rc == DT_ECRASH && sig)
        fprintf(stderr, "dtree: %s: %s crashed reading this file (%s)\n",
                files[0] ? files : "?", hdf5 ? "the HDF5 library" : "dtree",
                dt_signal_name(sig));
    else
        fprintf(stderr, "dtree: %s\n", dt_error_last()->message);
    return EXIT_BAD_FILE;
}

int main(int argc, char **argv)
{
    const char *name;

    /* global options come before the command */
    while (argc > 1 && argv[1][0] == '-' && argv[1][1] == '-' &&
           strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "--version") != 0) {
        if (strcmp(argv[1], "--no-external-links") == 0) {
            cli_no_external_links = 1;
        } else if (strcmp(argv[1], "--color") == 0 || strncmp(argv[1], "--color=", 8) == 0 ||
                   strcmp(argv[1], "--colour") == 0 || strncmp(argv[1], "--colour=", 9) == 0) {
            const char *when = strchr(argv[1], '=');

            when = when ? when + 1 : "always";
            if (strcmp(when, "always") == 0)
                cli_color_mode = 1;
            else if (strcmp(when, "never") == 0)
                cli_color_mode = -1;
            else if (strcmp(when, "auto") == 0)
                cli_color_mode = 0;
            else {
                fprintf(stderr, "dtree: --color takes auto, always or never, not '%s'\n", when);
                return EXIT_USAGE;
            }
        } else if (strcmp(argv[1], "--threads") == 0 || strncmp(argv[1], "--threads=", 10) == 0) {
            const char *v = argv[1][9] == '=' ? argv[1] + 10 : argc > 2 ? argv[2] : "";

            if (parse_threads(v, &cli_threads) < 0) {
                fprintf(stderr, "dtree: --threads takes a number from 1 to 1024, not '%s'\n", v);
                return EXIT_USAGE;
            }
            if (argv[1][9] != '=') {
                argv++;
                argc--;
            }
        } else if (strcmp(argv[1], "--max-alloc") == 0 ||
                   strncmp(argv[1], "--max-alloc=", 12) == 0) {
            const char *v = argv[1][11] == '=' ? argv[1] + 12 : argc > 2 ? argv[2] : "";

            if (parse_size(v, &cli_max_alloc) < 0) {
                fprintf(stderr, "dtree: --max-alloc takes a size in bytes, with an optional "
                        "suffix K, M, G or T (64M, 1G), not '%s'\n", v);
                return EXIT_USAGE;
            }
            if (argv[1][11] != '=') {
                argv++;
                argc--;
            }
        } else {
            fprintf(stderr, "dtree: unknown option '%s'. See 'dtree --help'.\n", argv[1]);
            return EXIT_USAGE;
        }
        argv++;
        argc--;
    }
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        printf("dtree (libdtree) %s\n", dt_version());
        return EXIT_OK;
    }
    if (strcmp(name, "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return EXIT_OK;
        }
        for (size_t i = 0; i < NCOMMANDS; i++) {
            if (strcmp(argv[2], commands[i].name) == 0) {
                commands[i].help(stdout);
                return EXIT_OK;
            }
        }
        if (strcmp(argv[2], "help") == 0) {
            printf("usage: dtree help COMMAND\n\nShow the help of a command; "
                   "'dtree COMMAND --help' does the same.\n");
            return EXIT_OK;
        }
        fprintf(stderr, "dtree: no command '%s'. See 'dtree --help'.\n", argv[2]);
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(name, commands[i].name) == 0) {
            for (int k = 2; k < argc; k++) {
                if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
                    commands[i].help(stdout);
                    return EXIT_OK;
                }
            }
            return run_isolated(&commands[i], argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "dtree: '%s' is not a dtree command. See 'dtree --help'.\n", name);
    return EXIT_USAGE;
}
