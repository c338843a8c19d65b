/* err.c: the per-thread last error and the status-code table. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The message is rebuilt from its parts whenever one changes, so callers
 * higher up can add the file or the path without losing the precise problem. */
typedef struct err_state {
    dt_error pub;
    char problem[1024];
    char file[512];
    char path[512];
    char message[2100];
} err_state;

static _Thread_local err_state tls_err;

static void compose(void)
{
    err_state *e = &tls_err;
    const char *p = e->problem[0] ? e->problem : dt_strerror(e->pub.code);

    if (e->file[0] && e->path[0])
        snprintf(e->message, sizeof e->message, "%.511s: %.511s: %.1023s", e->file, e->path, p);
    else if (e->file[0])
        snprintf(e->message, sizeof e->message, "%.511s: %.1023s", e->file, p);
    else if (e->path[0])
        snprintf(e->message, sizeof e->message, "%.511s: %.1023s", e->path, p);
    else
        snprintf(e->message, sizeof e->message, "%.1023s", p);
    e->pub.message = e->message;
    e->pub.file = e->file[0] ? e->file : NULL;
    e->pub.path = e->path[0] ? e->path : NULL;
}

static void copy_field(char *dst, size_t cap, const char *src)
{
    if (!src) {
        dst[0] = '\0';
        return;
    }
    snprintf(dst, cap, "%s", src);
}

const dt_error *dt_error_last(void)
{
    if (!tls_err.pub.message)
        compose();
    return &tls_err.pub;
}

void dt_error_clear(void)
{
    tls_err.pub.code = DT_OK;
    tls_err.problem[0] = tls_err.file[0] = tls_err.path[0] = '\0';
    compose();
}

int dt__vfail(int code, const char *fmt, va_list ap)
{
    tls_err.pub.code = code;
    vsnprintf(tls_err.problem, sizeof tls_err.problem, fmt, ap);
    tls_err.file[0] = tls_err.path[0] = '\0';
    compose();
    return code;
}

int dt__fail(int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    dt__vfail(code, fmt, ap);
    va_end(ap);
    return code;
}

int dt__fail_at(int code, const char *file, const char *path,
                const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    dt__vfail(code, fmt, ap);
    va_end(ap);
    copy_field(tls_err.file, sizeof tls_err.file, file);
    copy_field(tls_err.path, sizeof tls_err.path, path);
    compose();
    return code;
}

int dt__err_locate(int code, const char *file, const char *path)
{
    if (tls_err.pub.code == DT_OK)
        return code;
    if (file && !tls_err.file[0])
        copy_field(tls_err.file, sizeof tls_err.file, file);
    if (path && !tls_err.path[0])
        copy_field(tls_err.path, sizeof tls_err.path, path);
    compose();
    return tls_err.pub.code;
}

void dt__err_prefix(const char *fmt, ...)
{
    char pre[512], old[sizeof tls_err.problem];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, tls_err.problem, sizeof old);
    snprintf(tls_err.problem, sizeof tls_err.problem, "%.511s%.511s", pre, old);
    compose();
}

_Static_assert(sizeof ((dt__err_saved *)0)->problem == sizeof tls_err.problem &&
               sizeof ((dt__err_saved *)0)->file == sizeof tls_err.file &&
               sizeof ((dt__err_saved *)0)->path == sizeof tls_err.path,
               "dt__err_saved holds every part of the error");

void dt__err_save(dt__err_saved *out)
{
    out->code = tls_err.pub.code;
    memcpy(out->problem, tls_err.problem, sizeof out->problem);
    memcpy(out->file, tls_err.file, sizeof out->file);
    memcpy(out->path, tls_err.path, sizeof out->path);
}

void dt__err_restore(const dt__err_saved *e)
{
    tls_err.pub.code = e->code;
    memcpy(tls_err.problem, e->problem, sizeof tls_err.problem);
    memcpy(tls_err.file, e->file, sizeof tls_err.file);
    memcpy(tls_err.path, e->path, sizeof tls_err.path);
    /* a saved error is always terminated; a corrupt copy must not overrun */
    tls_err.problem[sizeof tls_err.problem - 1] = '\0';
    tls_err.file[sizeof tls_err.file - 1] = '\0';
    tls_err.path[sizeof tls_err.path - 1] = '\0';
    compose();
}

#define NAME_CASE(name, value, text) case name: return #name;
#define TEXT_CASE(name, value, text) case name: return text;

const char *dt_strerror_name(int code)
{
    switch (code) {
    DT_ERROR_TABLE(NAME_CASE)
    default: return "DT_UNKNOWN";
    }
}

const char *dt_strerror(int code)
{
    switch (code) {
    DT_ERROR_TABLE(TEXT_CASE)
    default: return "unknown error";
    }
}

const char *dt_version(void)
{
    return DT_VERSION_STRING;
}
