/* select.c: numpy-style selection text ("[0:10:2, -1, ...]") resolved
 * against a variable's shape. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

_Static_assert(DT_MAX_RANK == DT_LIMITS_MAX_RANK, "one rank ceiling");

typedef struct item {
    int kind;            /* 0 index, 1 slice, 2 ellipsis */
    int has[3];
    int64_t v[3];
    size_t col;
} item;

static int sel_fail(const dt_var *v, const char *text, size_t col, int code,
                    const char *what)
{
    char *p = dt__var_path_str(v);

    dt__fail_at(code, v->node->tree->source, p, "selection \"%s\": column %zu: %s",
                text, col + 1, what);
    free(p);
    return code;
}

static void skip_ws(const char *s, size_t *i)
{
    while (s[*i] == ' ' || s[*i] == '\t')
        (*i)++;
}

/* A signed integer at s[*i]; 0 when there is none. */
static int parse_int(const char *s, size_t *i, int64_t *out, int *ok)
{
    size_t j = *i;
    char *end;
    long long x;

    *ok = 0;
    if (s[j] == '-' || s[j] == '+')
        j++;
    if (!isdigit((unsigned char)s[j]))
        return 0;
    errno = 0;
    x = strtoll(s + *i, &end, 10);
    if (errno == ERANGE)
        return -1;
    *out = x;
    *i = (size_t)(end - s);
    *ok = 1;
    return 0;
}

int dt_selection_parse(dt_selection *out, const dt_var *var, const char *text)
{
    item items[DT_MAX_RANK + 1];
    size_t n = 0, i = 0, len, nellipsis = 0, axis = 0;
    bool bracket = false;

    if (!out || !var || !text)
        return dt__fail(DT_EINVAL, "dt_selection_parse: NULL argument");
    memset(out, 0, sizeof *out);
    out->ndim = var->ndim;
    len = strlen(text);
    skip_ws(text, &i);
    if (text[i] == '[') {
        bracket = true;
        i++;
    }
    skip_ws(text, &i);
    /* an empty selection ("", "[]") takes everything */
    while (i < len && !(bracket && text[i] == ']')) {
        item it = {0, {0, 0, 0}, {0, 0, 0}, i};
        int ok;

        if (n > DT_MAX_RANK)
            return sel_fail(var, text, i, DT_EINVAL, "too many indices");
        skip_ws(text, &i);
        it.col = i;
        if (strncmp(text + i, "...", 3) == 0) {
            it.kind = 2;
            i += 3;
            nellipsis++;
            if (nellipsis > 1)
                return sel_fail(var, text, it.col, DT_EINVAL, "'...' may appear only once");
        } else {
            for (int part = 0; part < 3; part++) {
                skip_ws(text, &i);
                if (parse_int(text, &i, &it.v[part], &ok) < 0)
                    return sel_fail(var, text, i, DT_ERANGE, "the number is too large");
                it.has[part] = ok;
                skip_ws(text, &i);
                if (text[i] != ':')
                    break;
                it.kind = 1;
                i++;
                if (part == 2)
                    return sel_fail(var, text, i - 1, DT_EINVAL,
                                    "a slice has at most start:stop:step");
            }
            if (it.kind == 0 && !it.has[0])
                return sel_fail(var, text, i, DT_EINVAL,
                                "expected an index, a slice (start:stop:step) or '...'");
        }
        items[n++] = it;
        skip_ws(text, &i);
        if (text[i] == ',') {
            i++;
            skip_ws(text, &i);
            continue;
        }
        if (i < len && !(bracket && text[i] == ']'))
            return sel_fail(var, text, i, DT_EINVAL, "expected ',' or the end of the selection");
    }
    if (bracket) {
        if (text[i] != ']')
            return sel_fail(var, text, i, DT_EINVAL, "expected ']'");
        i++;
        skip_ws(text, &i);
        if (i < len)
            return sel_fail(var, text, i, DT_EINVAL, "unexpected text after ']'");
    }
    if (n - nellipsis > var->ndim) {
        char what[96];
        snprintf(what, sizeof what, "%zu indices for a variable of %zu dimensions",
                 n - nellipsis, var->ndim);
        return sel_fail(var, text, items[var->ndim + nellipsis].col, DT_ERANGE, what);
    }
    for (size_t k = 0; k < n; k++) {
        const item *it = &items[k];

        if (it->kind == 2) {
            size_t whole = var->ndim - (n - 1);
            for (size_t w = 0; w < whole; w++, axis++) {
                out->start[axis] = 0;
                out->count[axis] = var->shape[axis];
                out->stride[axis] = 1;
            }
            continue;
        }
        {
            uint64_t size = var->shape[axis];
            int64_t ssize = size > INT64_MAX ? INT64_MAX : (int64_t)size;

            if (it->kind == 0) {
                int64_t x = it->v[0];
                char what[128];

                if (x < 0)
                    x += ssize;
                if (x < 0 || x >= ssize) {
                    snprintf(what, sizeof what, "index %" PRId64 " is out of range for '%s' "
                             "of size %" PRIu64, it->v[0], var->dims[axis], size);
                    return sel_fail(var, text, it->col, DT_ERANGE, what);
                }
                out->start[axis] = (uint64_t)x;
                out->count[axis] = 1;
                out->stride[axis] = 1;
                out->dropped[axis] = 1;
            } else {
                int64_t step = it->has[2] ? it->v[2] : 1, a, b;

                if (step <= 0)
                    return sel_fail(var, text, it->col, DT_EINVAL, step == 0 ?
                                    "a slice step cannot be zero" :
                                    "negative steps are not supported");
                a = it->has[0] ? it->v[0] : 0;
                b = it->has[1] ? it->v[1] : ssize;
                if (a < 0)
                    a = a + ssize < 0 ? 0 : a + ssize;
                if (b < 0)
                    b = b + ssize < 0 ? 0 : b + ssize;
                if (a > ssize)
                    a = ssize;
                if (b > ssize)
                    b = ssize;
                out->start[axis] = (uint64_t)a;
                /* b - a + step - 1 could pass INT64_MAX */
                out->count[axis] = b > a ? (uint64_t)(b - a - 1) / (uint64_t)step + 1 : 0;
                out->stride[axis] = (uint64_t)step;
            }
            axis++;
        }
    }
    for (; axis < var->ndim; axis++) {
        out->start[axis] = 0;
        out->count[axis] = var->shape[axis];
        out->stride[axis] = 1;
    }
    return DT_OK;
}

dt_slab dt_selection_slab(const dt_selection *sel)
{
    dt_slab s = {sel->ndim, sel->start, sel->count, sel->stride};
    return s;
}
