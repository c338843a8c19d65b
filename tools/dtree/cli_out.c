/* cli_out.c: what the subcommands print alike: JSON strings, attribute
 * values, type names, and colour only where it helps (a terminal, no
 * NO_COLOR). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_color_mode;

bool cli_color(FILE *fp)
{
    const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

    if (cli_color_mode != 0)
        return cli_color_mode > 0;
    /* https://no-color.org: set and not empty, whatever its value */
    if (no && *no)
        return false;
    if (term && strcmp(term, "dumb") == 0)
        return false;
    return isatty(fileno(fp)) == 1;
}

void cli_paint(FILE *fp, const char *sgr)
{
    if (cli_color(fp))
        fprintf(fp, "\033[%sm", sgr ? sgr : "0");
}

void cli_json_str(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(fp, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(fp, "\\u%04x", *p);
        else
            fputc(*p, fp);
    }
    fputc('"', fp);
}

const char *cli_type_name(char *buf, size_t n, dt_type t)
{
    if (dt_type_name(buf, n, t) < 0)
        snprintf(buf, n, "?");
    return buf;
}

static void put_text(FILE *fp, const char *s, size_t n)
{
    fputc('"', fp);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"' || c == '\\')
            fprintf(fp, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", fp);
        else if (c < 0x20 || c == 0x7f)
            fprintf(fp, "\\x%02x", c);
        else
            fputc(c, fp);
    }
    fputc('"', fp);
}

void cli_attr_value(FILE *fp, const dt_attr *a, size_t max)
{
    dt_type t = dt_attr_type(a);
    uint32_t c = DT_TYPE_CLASS(t);
    size_t n = dt_attr_len(a), shown = n < max ? n : max;
    const void *v = dt_attr_data(a);

    if (c == DT_JSON) {
        fputs((const char *)v, fp);
        return;
    }
    if (c == DT_CHAR) {
        put_text(fp, v, strnlen(v, n));
        return;
    }
    if (c == DT_STRING) {
        for (size_t i = 0; i < shown; i++) {
            const char *s = ((char *const *)v)[i];
            fputs(i ? ", " : "", fp);
            put_text(fp, s, strlen(s));
        }
    } else if (c == DT_COMPOUND || c == DT_OPAQUE || c == DT_VLEN) {
        fprintf(fp, "(%zu values)", n);
        return;
    } else {
        size_t es = dt_type_size(t);

        for (size_t i = 0; i < shown; i++) {
            char text[96];

            if (dt_value_format(text, sizeof text, t, (const char *)v + i * es) < 0)
                snprintf(text, sizeof text, "?");
            fprintf(fp, "%s%s", i ? ", " : "", text);
        }
    }
    if (shown < n)
        fprintf(fp, ", ... (%zu values)", n);
}

bool cli_attr_equal(const dt_attr *a, const dt_attr *b)
{
    dt_type t = dt_attr_type(a);
    uint32_t c = DT_TYPE_CLASS(t);
    size_t n = dt_attr_len(a), es = dt_type_size(t);
    const void *va = dt_attr_data(a), *vb = dt_attr_data(b);

    if (t != dt_attr_type(b) || n != dt_attr_len(b))
        return false;
    if (c == DT_JSON)
        return strcmp(va, vb) == 0;
    if (c == DT_STRING) {
        for (size_t i = 0; i < n; i++) {
            if (strcmp(((char *const *)va)[i], ((char *const *)vb)[i]) != 0)
                return false;
        }
        return true;
    }
    if (c == DT_FLOAT32 || c == DT_FLOAT64 || c == DT_COMPLEX64 || c == DT_COMPLEX128) {
        bool single = c == DT_FLOAT32 || c == DT_COMPLEX64;
        size_t parts = n * (c == DT_COMPLEX64 || c == DT_COMPLEX128 ? 2 : 1);

        for (size_t i = 0; i < parts; i++) {
            double x, y;

            if (single) {
                float f, g;
                memcpy(&f, (const char *)va + 4 * i, 4);
                memcpy(&g, (const char *)vb + 4 * i, 4);
                x = f;
                y = g;
            } else {
                memcpy(&x, (const char *)va + 8 * i, 8);
                memcpy(&y, (const char *)vb + 8 * i, 8);
            }
            if (!(x == y || (isnan(x) && isnan(y))))
                return false;
        }
        return true;
    }
    if (c == DT_COMPOUND || c == DT_OPAQUE || c == DT_VLEN || !es)
        return true;  /* not comparable here: their types agree */
    return n == 0 || memcmp(va, vb, n * es) == 0;
}

char *cli_attr_text(const dt_attrs *attrs, const char *name)
{
    const dt_attr *a = dt_attrs_find(attrs, name);
    const char *s;
    size_t len;

    if (!a)
        return NULL;
    if (DT_TYPE_CLASS(dt_attr_type(a)) == DT_CHAR) {
        s = dt_attr_data(a);
        len = strnlen(s, dt_attr_len(a));
        return strndup(s, len);
    }
    if (DT_TYPE_CLASS(dt_attr_type(a)) == DT_STRING && dt_attr_len(a) == 1)
        return strdup(((char *const *)dt_attr_data(a))[0]);
    return NULL;
}

int cli_format_named(const char *name, dt_format *out)
{
    static const struct { const char *name; dt_format fmt; } names[] = {
        {"netcdf4", DT_FORMAT_NETCDF4}, {"nc4", DT_FORMAT_NETCDF4},
        {"yaml", DT_FORMAT_YAML},       {"zarr2", DT_FORMAT_ZARR2},
        {"zarr3", DT_FORMAT_ZARR3},     {"zarr", DT_FORMAT_ZARR3},
    };

    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].fmt;
            return 0;
        }
    }
    return -1;
}

/* The format a target's name implies (.nc, .h5, .yaml, .zarr: Zarr v3),
 * or DT_FORMAT_AUTO. */
dt_format cli_format_of(const char *dst)
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
