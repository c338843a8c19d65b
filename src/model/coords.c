/* coords.c: coordinate lookup with xarray's inheritance rule: index
 * coordinates of ancestors are visible, other coordinates only on request. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "model.h"

static dt_var *own_var(const dt_node *n, const char *name)
{
    for (size_t i = 0; i < n->nvars; i++) {
        if (strcmp(n->vars[i]->name, name) == 0)
            return n->vars[i];
    }
    return NULL;
}

static bool inheritable(const dt_var *v, unsigned inherit)
{
    if (!v->is_coord)
        return false;
    return inherit == DT_INHERIT_ALL || dt_var_is_index(v);
}

int dt_node_coord_find(dt_coord_info *out, const dt_node *node,
                       const char *name, unsigned inherit)
{
    dt_var *v;

    if (!out || !node || !name)
        return dt__fail(DT_EINVAL, "dt_node_coord_find: NULL argument");
    memset(out, 0, sizeof *out);
    if (dt__node_ensure(node) < 0)
        return dt_error_last()->code;
    v = own_var(node, name);
    if (v && v->is_coord) {
        out->var = v;
        out->owner = node;
        out->is_index = dt_var_is_index(v);
        return DT_OK;
    }
    if (!v && inherit != DT_INHERIT_NONE) {
        for (const dt_node *a = node->cut ? NULL : node->parent; a;
             a = a->cut ? NULL : a->parent) {
            dt_var *av = own_var(a, name);

            if (av && inheritable(av, inherit)) {
                out->var = av;
                out->owner = a;
                out->inherited = 1;
                out->is_index = dt_var_is_index(av);
                return DT_OK;
            }
        }
    }
    {
        char *p = dt__node_path_str(node);
        int rc = dt__fail(DT_ENOTFOUND, "no coordinate \"%s\" is visible in group %s",
                          name, p ? p : "?");
        free(p);
        return rc;
    }
}

/* Was `name` already reported by a nearer group (or is it a variable of one,
 * which hides it)? */
static bool hidden_below(const dt_node *from, const dt_node *upto, const char *name)
{
    for (const dt_node *n = from; n && n != upto; n = n->parent) {
        if (own_var(n, name))
            return true;
    }
    return false;
}

int dt_node_coords(const dt_node *node, unsigned inherit,
                   dt_coord_visit_fn fn, void *ud)
{
    dt_coord_info ci;
    int rc;

    if (!node || !fn)
        return dt__fail(DT_EINVAL, "dt_node_coords: NULL argument");
    if (dt__node_ensure(node) < 0)
        return dt_error_last()->code;
    for (size_t i = 0; i < node->nvars; i++) {
        dt_var *v = node->vars[i];

        if (!v->is_coord)
            continue;
        ci.var = v;
        ci.owner = node;
        ci.inherited = 0;
        ci.is_index = dt_var_is_index(v);
        rc = fn(&ci, ud);
        if (rc)
            return rc;
    }
    if (inherit == DT_INHERIT_NONE)
        return DT_OK;
    for (const dt_node *a = node->cut ? NULL : node->parent; a;
         a = a->cut ? NULL : a->parent) {
        for (size_t i = 0; i < a->nvars; i++) {
            dt_var *v = a->vars[i];

            if (!inheritable(v, inherit) || hidden_below(node, a, v->name))
                continue;
            ci.var = v;
            ci.owner = a;
            ci.inherited = 1;
            ci.is_index = dt_var_is_index(v);
            rc = fn(&ci, ud);
            if (rc)
                return rc;
        }
    }
    return DT_OK;
}
