/* cmd_convert.c: `dtree convert`: read any tree libdtree opens and write it
 * as a netCDF-4 file, a Zarr v2 or v3 store or a YAML tree, with storage options. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

void cmd_convert_help(FILE *fp)
{
    fprintf(fp,
            "usage: dtree convert [--format netcdf4|zarr2|zarr3|yaml] [--force]\n"
            "                     [--group /PATH] [--chunks DIM/N,...|default]\n"
            "                     [--deflate N] [--shuffle] [--fletcher32] [--zstd N]\n"
            "                     [--contiguous-max BYTES] [--shards DIM/N,...]\n"
            "                     [--shard-size BYTES] [--no-consolidated]\n"
            "                     [--separator . | /] [--order C|F] [--compressor SPEC]\n"
            "                     [--skip-unsupported] [--recompress] [--quiet] SRC DST\n"
            "\n"
            "Write the tree of SRC (any file or store dtree reads) to DST. The format\n"
            "is DST's extension (.nc .nc4 .h5 .hdf5: netCDF-4; .zarr: Zarr v3; .yaml\n"
            ".yml: YAML tree) unless --format names one. DST is written to a temporary\n"
            "file (a store: a temporary directory) beside it and moved into place at\n"
            "the end: a failed or interrupted conversion leaves an existing DST as it\n"
            "was.\n"
            "\n"
            "  --format F           netcdf4, zarr2, zarr3 or yaml\n"
            "  --force              replace DST if it exists\n"
            "  --group /PATH        convert the subtree at PATH (its inherited\n"
            "                       dimensions and coordinates go to the new root)\n"
            "  --chunks SPEC        chunk lengths by dimension name, DIM/N,DIM/N (other\n"
            "                       axes keep the source's chunks); 'default' for\n"
            "                       netCDF-C's default chunk shapes\n"
            "  --deflate N          compress with deflate level N (1-9; Zarr v2: zlib,\n"
            "                       v3: gzip); 0: none\n"
            "  --shuffle            add the shuffle filter (Zarr v3: Blosc's shuffle\n"
            "                       around the compressor)\n"
            "  --fletcher32         add a checksum (netCDF-4: Fletcher-32; Zarr v2:\n"
            "                       crc32; v3: crc32c)\n"
            "  --zstd N             compress with zstd level N (1-22; HDF5 filter 32015)\n"
            "  --contiguous-max B   variables of at most B bytes (suffix k, M, G) with no\n"
            "                       unlimited dimension are stored contiguous, unfiltered\n"
            "                       (netCDF-4 only)\n"
            "  --shards SPEC        Zarr v3: shards of N chunks along DIM, DIM/N,DIM/N\n"
            "                       (other axes: one chunk, or --shard-size)\n"
            "  --shard-size B       Zarr v3: shards grown to about B bytes of data\n"
            "                       (suffix k, M, G) along the axes --shards does not name\n"
            "  --no-consolidated    Zarr: no consolidated metadata (.zmetadata in v2,\n"
            "                       the root zarr.json's consolidated_metadata in v3)\n"
            "  --separator S        Zarr chunk key separator, '.' or '/' (default: v2\n"
            "                       '.', v3 '/')\n"
            "  --order C|F          Zarr: element order inside chunks (default C)\n"
            "  --compressor SPEC    Zarr: zstd[:L], zlib[:L], gzip[:L], bz2[:L], lz4 or\n"
            "                       blosc[:CNAME[:L]] (CNAME lz4, lz4hc, blosclz, zstd,\n"
            "                       zlib); instead of --deflate / --zstd\n"
            "  --skip-unsupported   leave out variables the format cannot hold (compound,\n"
            "                       opaque, vlen; unicode for netCDF-4) instead of failing\n"
            "  --recompress         decode and encode every chunk (by default stored\n"
            "                       chunks are copied as they are when nothing changes;\n"
            "                       the Zarr writer always encodes)\n"
            "  --quiet              no progress bar\n"
            "\n"
            "Without storage options the source's chunk shapes and filters are kept.\n"
            "A progress bar shows on standard error when it is a terminal and the\n"
            "conversion takes more than a second.\n");
}

typedef struct bar {
    const char *name;
    struct timespec start, last;
    int shown;
} bar;

static double since(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void bar_draw(void *ud, uint64_t done, uint64_t total)
{
    bar *b = ud;
    struct timespec now;
    double el, mib = 1024.0 * 1024.0;
    int pct;

    clock_gettime(CLOCK_MONOTONIC, &now);
    el = since(&b->start, &now);
    /* only a long job gets a bar, redrawn ten times a second at most */
    if (el < 1.0 || (b->shown && since(&b->last, &now) < 0.1 && done < total))
        return;
    b->last = now;
    b->shown = 1;
    pct = total ? (int)(100.0 * (double)done / (double)total) : 100;
    fprintf(stderr, "\r%s: %3d%% %.1f/%.1f MiB %.1f MiB/s  ", b->name, pct,
            (double)done / mib, (double)total / mib, (double)done / mib / el);
    fflush(stderr);
}

static int parse_u64(const char *s, uint64_t *out, int suffix)
{
    char *end;
    unsigned long long v;

    if (!*s || *s == '-')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    if (suffix && *end) {
        unsigned shift = *end == 'k' || *end == 'K' ? 10 : *end == 'M' ? 20
                         : *end == 'G' ? 30 : 0;

        if (!shift || end[1] || v > (UINT64_MAX >> shift))
            return -1;
        v <<= shift;
        end++;
    }
    if (*end)
        return -1;
    *out = v;
    return 0;
}

static int parse_level(const char *s, int lo, int hi, int *out)
{
    uint64_t v;

    if (parse_u64(s, &v, 0) < 0 || v < (uint64_t)lo || v > (uint64_t)hi)
        return -1;
    *out = (int)v;
    return 0;
}

typedef struct chunkspec {
    char **names;
    uint64_t *lens;
    size_t n;
} chunkspec;

static void chunkspec_free(chunkspec *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->names[i]);
    free(c->names);
    free(c->lens);
}

/* "time/1,lat/100" (nccopy's -c syntax; '=' works too). */
static int parse_chunks(const char *text, chunkspec *c)
{
    char *copy = strdup(text), *save = NULL, *tok;
    int rc = 0;

    if (!copy)
        return -1;
    for (tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
        char *sep = strrchr(tok, '/');
        uint64_t len;
        char **nn;
        uint64_t *nl;

        if (!sep)
            sep = strrchr(tok, '=');
        if (!sep || sep == tok || parse_u64(sep + 1, &len, 0) < 0 || len == 0) {
            rc = -1;
            break;
        }
        *sep = '\0';
        nn = realloc(c->names, (c->n + 1) * sizeof *nn);
        if (nn)
            c->names = nn;
        nl = realloc(c->lens, (c->n + 1) * sizeof *nl);
        if (nl)
            c->lens = nl;
        if (!nn || !nl || !(c->names[c->n] = strdup(tok))) {
            rc = -1;
            break;
        }
        c->lens[c->n++] = len;
    }
    if (!tok && c->n == 0)
        rc = -1;
    free(copy);
    return rc;
}

static dt_format format_of(const char *dst)
{
    const char *dot = strrchr(dst, '.');
    static const struct { const char *ext; dt_format fmt; } exts[] = {
        {".nc", DT_FORMAT_NETCDF4}, {".nc4", DT_FORMAT_NETCDF4},
        {".h5", DT_FORMAT_NETCDF4}, {".hdf5", DT_FORMAT_NETCDF4},
        {".yaml", DT_FORMAT_YAML},  {".yml", DT_FORMAT_YAML},
        {".zarr", DT_FORMAT_ZARR3},
    };

    if (!dot || strchr(dot, '/'))
        return DT_FORMAT_AUTO;
    for (size_t i = 0; i < sizeof exts / sizeof *exts; i++) {
        if (strcmp(dot, exts[i].ext) == 0)
            return exts[i].fmt;
    }
    return DT_FORMAT_AUTO;
}

int cmd_convert(int argc, char **argv)
{
    dt_write_opts o = DT_WRITE_OPTS_INIT;
    dt_format fmt = DT_FORMAT_AUTO;
    const char *src = NULL, *dst = NULL;
    chunkspec cs = {NULL, NULL, 0}, ss = {NULL, NULL, 0};
    dt_tree *tree = NULL;
    bar b;
    int quiet = 0, rc = EXIT_OK, level;
    uint64_t bytes;

#define NEED_ARG()                                                           \
    do {                                                                     \
        if (++i >= argc) {                                                   \
            rc = cli_usage("convert", "%s needs a value", argv[i - 1]);      \
            goto out;                                                        \
        }                                                                    \
    } while (0)

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--force") == 0) {
            o.force = 1;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = 1;
        } else if (strcmp(a, "--shuffle") == 0) {
            o.shuffle = 1;
        } else if (strcmp(a, "--fletcher32") == 0) {
            o.fletcher32 = 1;
        } else if (strcmp(a, "--skip-unsupported") == 0) {
            o.skip_unsupported = 1;
        } else if (strcmp(a, "--recompress") == 0) {
            o.recompress = 1;
        } else if (strcmp(a, "--format") == 0) {
            NEED_ARG();
            if (strcmp(argv[i], "netcdf4") == 0 || strcmp(argv[i], "nc4") == 0) {
                fmt = DT_FORMAT_NETCDF4;
            } else if (strcmp(argv[i], "yaml") == 0) {
                fmt = DT_FORMAT_YAML;
            } else if (strcmp(argv[i], "zarr2") == 0) {
                fmt = DT_FORMAT_ZARR2;
            } else if (strcmp(argv[i], "zarr3") == 0 || strcmp(argv[i], "zarr") == 0) {
                fmt = DT_FORMAT_ZARR3;
            } else {
                rc = cli_usage("convert", "unknown format '%s' (netcdf4, zarr2, zarr3 or "
                               "yaml)", argv[i]);
                goto out;
            }
        } else if (strcmp(a, "--group") == 0) {
            NEED_ARG();
            o.group = argv[i];
        } else if (strcmp(a, "--chunks") == 0) {
            NEED_ARG();
            if (strcmp(argv[i], "default") == 0) {
                o.chunking = DT_CHUNKS_DEFAULT;
            } else if (parse_chunks(argv[i], &cs) < 0) {
                rc = cli_usage("convert", "--chunks takes DIM/N,DIM/N with N >= 1, or "
                               "'default', not '%s'", argv[i]);
                goto out;
            }
        } else if (strcmp(a, "--deflate") == 0) {
            NEED_ARG();
            if (parse_level(argv[i], 0, 9, &level) < 0) {
                rc = cli_usage("convert", "--deflate takes a level from 0 to 9, not '%s'",
                               argv[i]);
                goto out;
            }
            o.deflate = level ? level : -1;
        } else if (strcmp(a, "--zstd") == 0) {
            NEED_ARG();
            if (parse_level(argv[i], 1, 22, &level) < 0) {
                rc = cli_usage("convert", "--zstd takes a level from 1 to 22, not '%s'",
                               argv[i]);
                goto out;
            }
            o.zstd = level;
        } else if (strcmp(a, "--contiguous-max") == 0) {
            NEED_ARG();
            if (parse_u64(argv[i], &bytes, 1) < 0) {
                rc = cli_usage("convert", "--contiguous-max takes a size in bytes "
                               "(suffix k, M or G), not '%s'", argv[i]);
                goto out;
            }
            o.contiguous_max = bytes;
        } else if (strcmp(a, "--shards") == 0) {
            NEED_ARG();
            if (parse_chunks(argv[i], &ss) < 0) {
                rc = cli_usage("convert", "--shards takes DIM/N,DIM/N with N >= 1 chunks "
                               "per shard, not '%s'", argv[i]);
                goto out;
            }
        } else if (strcmp(a, "--shard-size") == 0) {
            NEED_ARG();
            if (parse_u64(argv[i], &bytes, 1) < 0 || bytes == 0) {
                rc = cli_usage("convert", "--shard-size takes a size in bytes (suffix k, M "
                               "or G), not '%s'", argv[i]);
                goto out;
            }
            o.shard_bytes = bytes;
        } else if (strcmp(a, "--no-consolidated") == 0) {
            o.consolidated = -1;
        } else if (strcmp(a, "--separator") == 0) {
            NEED_ARG();
            if (strcmp(argv[i], ".") != 0 && strcmp(argv[i], "/") != 0) {
                rc = cli_usage("convert", "--separator takes '.' or '/', not '%s'", argv[i]);
                goto out;
            }
            o.separator = argv[i][0];
        } else if (strcmp(a, "--compressor") == 0) {
            NEED_ARG();
            o.compressor = argv[i];
        } else if (strcmp(a, "--order") == 0) {
            NEED_ARG();
            if (strcmp(argv[i], "C") != 0 && strcmp(argv[i], "F") != 0) {
                rc = cli_usage("convert", "--order takes C or F, not '%s'", argv[i]);
                goto out;
            }
            o.order_f = argv[i][0] == 'F';
        } else if (a[0] == '-' && a[1]) {
            rc = cli_usage("convert", "unknown option '%s'", a);
            goto out;
        } else if (!src) {
            src = a;
        } else if (!dst) {
            dst = a;
        } else {
            rc = cli_usage("convert", "one SRC and one DST only");
            goto out;
        }
    }
#undef NEED_ARG
    if (!src || !dst) {
        rc = cli_usage("convert", "SRC and DST are required");
        goto out;
    }
    if ((o.deflate > 0) + (o.zstd > 0) + (o.compressor != NULL) > 1) {
        rc = cli_usage("convert", "--deflate, --zstd and --compressor each name a compressor: "
                       "give one");
        goto out;
    }
    if (fmt == DT_FORMAT_AUTO)
        fmt = format_of(dst);
    if (fmt == DT_FORMAT_AUTO) {
        rc = cli_usage("convert", "cannot tell the format from '%s': use --format", dst);
        goto out;
    }
    if (fmt == DT_FORMAT_YAML && (o.group || cs.n || o.chunking || o.deflate || o.zstd ||
                                  o.shuffle || o.fletcher32 || o.contiguous_max)) {
        rc = cli_usage("convert", "storage options and --group apply to netCDF-4 and Zarr "
                       "output only");
        goto out;
    }
    if (fmt != DT_FORMAT_ZARR3 && (ss.n || o.shard_bytes)) {
        rc = cli_usage("convert", "--shards and --shard-size apply to Zarr v3 output only");
        goto out;
    }
    if (fmt != DT_FORMAT_ZARR2 && fmt != DT_FORMAT_ZARR3 &&
        (o.consolidated || o.separator || o.order_f || o.compressor)) {
        rc = cli_usage("convert", "--no-consolidated, --separator, --order and --compressor "
                       "apply to Zarr output only");
        goto out;
    }
    if ((fmt == DT_FORMAT_ZARR2 || fmt == DT_FORMAT_ZARR3) && o.contiguous_max) {
        rc = cli_usage("convert", "--contiguous-max applies to netCDF-4 output only (Zarr "
                       "arrays are always chunked)");
        goto out;
    }
    o.nshard_dims = ss.n;
    o.shard_dims = (const char *const *)ss.names;
    o.shard_counts = ss.lens;
    o.nchunk_dims = cs.n;
    o.chunk_dims = (const char *const *)cs.names;
    o.chunk_lens = cs.lens;
    /* the source's layout as it is: copies of inherited coordinates stay
     * where the file has them */
    if (cli_open(&tree, src, 1) < 0) {
        rc = cli_fail();
        goto out;
    }
    memset(&b, 0, sizeof b);
    b.name = dst;
    clock_gettime(CLOCK_MONOTONIC, &b.start);
    if (!quiet && isatty(STDERR_FILENO)) {
        o.progress = bar_draw;
        o.progress_ud = &b;
    }
    if (dt_tree_write(tree, dst, fmt, &o) < 0) {
        if (b.shown)
            fputc('\n', stderr);
        b.shown = 0;
        if (dt_error_last()->code == DT_EEXIST && !o.force)
            fprintf(stderr, "dtree: %s: exists; use --force to replace it\n", dst);
        else
            cli_fail();
        rc = EXIT_BAD_FILE;
    }
    if (b.shown)
        fputc('\n', stderr);
out:
    dt_tree_free(tree);
    chunkspec_free(&cs);
    chunkspec_free(&ss);
    return rc;
}
