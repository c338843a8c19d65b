/* str.c: growable string buffers, formatted strings and UTF-8 checks. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void dt__buf_init(dt__buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}

void dt__buf_free(dt__buf *b)
{
    free(b->data);
    dt__buf_init(b);
}

static int grow(dt__buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (b->failed)
        return DT_ENOMEM;
    if (extra > SIZE_MAX - b->len - 1) {
        b->failed = 1;
        return dt__fail(DT_ENOMEM, "string buffer overflow");
    }
    need = b->len + extra + 1;
    if (need <= b->cap)
        return DT_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = dt__realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return DT_ENOMEM;
    }
    b->data = p;
    b->cap = cap;
    return DT_OK;
}

int dt__buf_append(dt__buf *b, const void *p, size_t n)
{
    if (grow(b, n) < 0)
        return DT_ENOMEM;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return DT_OK;
}

int dt__buf_puts(dt__buf *b, const char *s)
{
    return dt__buf_append(b, s, strlen(s));
}

int dt__buf_putc(dt__buf *b, char c)
{
    return dt__buf_append(b, &c, 1);
}

int dt__buf_printf(dt__buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return dt__fail(DT_EINVAL, "bad format string");
    if (grow(b, (size_t)n) < 0)
        return DT_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return DT_OK;
}

char *dt__buf_take(dt__buf *b)
{
    char *s;

    if (b->failed) {
        dt__buf_free(b);
        return NULL;
    }
    if (!b->data && dt__buf_append(b, "", 0) < 0)
        return NULL;
    s = b->data;
    dt__buf_init(b);
    return s;
}

char *dt__aprintf(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *s;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        dt__fail(DT_EINVAL, "bad format string");
        return NULL;
    }
    s = dt__malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

bool dt__utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < n) {
        unsigned c = p[i];
        size_t len;
        uint32_t cp;

        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}
