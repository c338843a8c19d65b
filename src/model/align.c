/* align.c: xarray's alignment rule between a group and its ancestors
 * (datatree-model.md section 7) and deduplication of inherited index
 * coordinates (section 6.2). */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

/* The nearest ancestor index coordinate named `name` visible from parent. */
static dt_var *inherited_index(const dt_node *parent, const char *name)
{
    for (const dt_node *a = parent; a; a = a->cut ? NULL : a->parent) {
        for (size_t i = 0; i < a->nvars; i++) {
            dt_var *v = a->vars[i];

            if (strcmp(v->name, name) == 0)
                return dt_var_is_index(v) ? v : NULL;
        }
    }
    return NULL;
}

static bool is_string_like(dt_type t)
{
    uint32_t c = DT_TYPE_CLASS(t);
    return c == DT_STRING || c == DT_CHAR || c == DT_BYTES || c == DT_UNICODE;
}

int dt__index_equal(const dt_var *a, const dt_var *b, int *equal)
{
    void *va = NULL, *vb = NULL;
    size_t na = 0, nb = 0;
    dt_type ta = a->type, tb = b->type, mem;
    int rc;

    *equal = 0;
    if (a->ndim != 1 || b->ndim != 1 || a->shape[0] != b->shape[0])
        return DT_OK;
    if (is_string_like(ta) != is_string_like(tb))
        return DT_OK; /* mixed strings and numbers are never equal */
    if (is_string_like(ta)) {
        if (ta != tb)
            return DT_OK;
        mem = ta;
    } else if (dt__type_is_integer(ta) && dt__type_is_integer(tb)) {
        /* compare integers exactly; a uint64 beyond int64 goes through double */
        mem = DT_TYPE_CLASS(ta) == DT_UINT64 || DT_TYPE_CLASS(tb) == DT_UINT64 ?
              DT_FLOAT64 : DT_INT64;
    } else if (DT_TYPE_CLASS(ta) == DT_COMPLEX128 || DT_TYPE_CLASS(ta) == DT_COMPLEX64 ||
               DT_TYPE_CLASS(tb) == DT_COMPLEX128 || DT_TYPE_CLASS(tb) == DT_COMPLEX64) {
        mem = DT_COMPLEX128;
    } else {
        mem = DT_FLOAT64;
    }
    rc = dt__var_read_all(a, mem, &va, &na);
    if (rc == DT_OK)
        rc = dt__var_read_all(b, mem, &vb, &nb);
    if (rc == DT_OK) {
        size_t es = dt_type_size(mem);
        bool same = na == nb;

        for (size_t i = 0; same && i < na; i++) {
            const char *pa = (const char *)va + i * es, *pb = (const char *)vb + i * es;

            if (mem == DT_STRING) {
                same = strcmp(*(char *const *)pa, *(char *const *)pb) == 0;
            } else if (mem == DT_FLOAT64 || mem == DT_COMPLEX128) {
                for (size_t k = 0; same && k < es / 8; k++) {
                    double x, y;
                    memcpy(&x, pa + 8 * k, 8);
                    memcpy(&y, pb + 8 * k, 8);
                    same = x == y || (isnan(x) && isnan(y));
                }
            } else {
                same = memcmp(pa, pb, es) == 0;
            }
        }
        *equal = same;
    }
    if (va)
        dt__elems_release(va, mem, na);
    if (vb)
        dt__elems_release(vb, mem, nb);
    free(va);
    free(vb);
    return rc;
}

/* A short excerpt of an index for messages: "[1, 2, 3, ...]". */
static void excerpt(dt__buf *b, const dt_var *v)
{
    void *vals = NULL;
    size_t n = 0;
    bool str = is_string_like(v->type);
    dt_type mem = str ? DT_STRING : DT_FLOAT64;

    if (str && DT_TYPE_CLASS(v->type) != DT_STRING) {
        dt__buf_puts(b, "[...]");
        return;
    }
    if (dt__var_read_all(v, mem, &vals, &n) < 0) {
        dt__buf_puts(b, "[?]");
        return;
    }
    dt__buf_putc(b, '[');
    for (size_t i = 0; i < n && i < 5; i++) {
        if (i)
            dt__buf_puts(b, ", ");
        if (str)
            dt__buf_printf(b, "'%s'", ((char **)vals)[i]);
        else
            dt__buf_printf(b, "%.17g", ((double *)vals)[i]);
    }
    if (n > 5)
        dt__buf_puts(b, ", ...");
    dt__buf_putc(b, ']');
    dt__elems_release(vals, mem, n);
    free(vals);
}

/* Check one group against the context of its parent. */
static int check_node(const dt_node *n)
{
    const dt_node *p = n->parent, *where = NULL;
    char *np = NULL, *wp = NULL;
    int rc = DT_OK;

    for (size_t i = 0; i < n->ndims && rc == DT_OK; i++) {
        const dt__dim *own = &n->dims[i];
        const dt__dim *up = dt__dim_visible(p, own->name, &where);

        if (up && up->size != own->size) {
            np = dt__node_path_str(n);
            wp = dt__node_path_str(where);
            rc = dt__fail(DT_EALIGN,
                          "group '%s' is not aligned with its parents: cannot reindex or "
                          "align along dimension '%s' because of conflicting dimension "
                          "sizes: {%" PRIu64 ", %" PRIu64 "} ('%s' is %" PRIu64 " in %s "
                          "and %" PRIu64 " in %s)",
                          np ? np : "?", own->name,
                          own->size < up->size ? own->size : up->size,
                          own->size < up->size ? up->size : own->size,
                          own->name, own->size, np ? np : "?", up->size, wp ? wp : "?");
        }
    }
    /* variables whose dims resolve above must agree with those sizes */
    for (size_t i = 0; i < n->nvars && rc == DT_OK; i++) {
        const dt_var *v = n->vars[i];

        for (size_t k = 0; k < v->ndim && rc == DT_OK; k++) {
            const dt__dim *d = dt__dim_visible(n, v->dims[k], &where);

            if (d && d->size != v->shape[k] && !d->unlimited) {
                np = dt__node_path_str(n);
                wp = dt__node_path_str(where);
                rc = dt__fail(DT_EALIGN,
                              "group '%s' is not aligned with its parents: variable '%s' "
                              "has '%s' = %" PRIu64 " but %s declares it as %" PRIu64,
                              np ? np : "?", v->name, v->dims[k], v->shape[k],
                              wp ? wp : "?", d->size);
            }
        }
    }
    for (size_t i = 0; i < n->nvars && rc == DT_OK; i++) {
        const dt_var *v = n->vars[i], *up;
        int equal = 0;

        if (!dt_var_is_index(v))
            continue;
        up = inherited_index(p, v->name);
        /* an index whose values are not given yet cannot conflict: its
         * values are compared when they are set */
        if (!up || (!v->data && !v->src) || (!up->data && !up->src))
            continue;
        rc = dt__index_equal(v, up, &equal);
        if (rc == DT_OK && !equal) {
            dt__buf b;

            dt__buf_init(&b);
            np = dt__node_path_str(n);
            wp = dt__node_path_str(up->node);
            dt__buf_printf(&b, "group '%s' is not aligned with its parents: cannot align "
                           "objects with join='exact' where index/labels/sizes are not "
                           "equal along these coordinates (dimensions): '%s' ('%s',): "
                           "%s has ", np ? np : "?", v->name, v->dims[0], np ? np : "?");
            excerpt(&b, v);
            dt__buf_printf(&b, " (%" PRIu64 "), %s has ", v->shape[0], wp ? wp : "?");
            excerpt(&b, up);
            dt__buf_printf(&b, " (%" PRIu64 ")", up->shape[0]);
            rc = dt__fail(DT_EALIGN, "%s", b.data ? b.data : "index mismatch");
            dt__buf_free(&b);
        }
    }
    free(np);
    free(wp);
    return rc;
}

/* Cut a group off from its ancestors, keeping the error that says why
 * (dt_node_cut_reason); the error itself is handled. */
static void cut(dt_node *n)
{
    free(n->cut_reason);
    n->cut_reason = dt__strdup(dt_error_last()->message);
    n->cut = 1;
    dt_error_clear();
}

static int check_walk(dt_node *n, bool is_top, int relax)
{
    int rc;

    if (n->parent && !n->cut && (!is_top || n->parent)) {
        rc = check_node(n);
        if (rc < 0) {
            if (!relax)
                return rc;
            cut(n);
        }
    }
    for (size_t i = 0; i < n->nchildren; i++) {
        rc = check_walk(n->children[i], false, relax);
        if (rc < 0)
            return rc;
    }
    return DT_OK;
}

static void dedup_walk(dt_node *n)
{
    if (n->parent && !n->cut) {
        for (size_t i = 0; i < n->nvars;) {
            dt_var *v = n->vars[i], *up;
            int equal = 0;

            if (!dt_var_is_index(v) || !(up = inherited_index(n->parent, v->name)) ||
                dt__index_equal(v, up, &equal) < 0 || !equal) {
                i++;
                continue;
            }
            {
                /* drop the copy, and the dimension it re-declared if that
                 * now only repeats the inherited one */
                char *dim = v->dims[0];
                const dt_node *where = NULL;
                dt__dim *own = dt__node_own_dim(n, dim);
                dt__dim *above = dt__dim_visible(n->parent, dim, &where);

                if (own && above && own->size == above->size &&
                    own->unlimited == above->unlimited) {
                    size_t k = (size_t)(own - n->dims);
                    free(own->name);
                    memmove(n->dims + k, n->dims + k + 1, (n->ndims - k - 1) * sizeof *own);
                    n->ndims--;
                }
            }
            memmove(n->vars + i, n->vars + i + 1, (n->nvars - i - 1) * sizeof *n->vars);
            n->nvars--;
            dt__var_free(v);
        }
    }
    for (size_t i = 0; i < n->nchildren; i++)
        dedup_walk(n->children[i]);
}

int dt__align_loaded(dt_node *node, int relax, int dedup)
{
    if (node->parent && !node->cut) {
        int rc = check_node(node);

        if (rc < 0) {
            if (!relax)
                return rc;
            cut(node);
        }
    }
    if (dedup && node->parent && !node->cut) {
        /* only this group: its children are not loaded yet */
        size_t nchildren = node->nchildren;

        node->nchildren = 0;
        dedup_walk(node);
        node->nchildren = nchildren;
    }
    return DT_OK;
}

int dt__align_subtree(dt_node *node, int relax, int dedup)
{
    int rc = check_walk(node, true, relax);

    if (rc < 0)
        return rc;
    if (dedup)
        dedup_walk(node);
    return DT_OK;
}
