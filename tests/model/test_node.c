/* test_node.c: groups against the model spec (datatree-model.md sections 2
 * and 8): path rules, name rules, creation, removal, renaming, moving,
 * copying, walking, and a fail-the-Nth-allocation loop over a whole build. */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtree.h"
#include "io/io.h"
#include "model.h"
#include "testutil.h"
#include "util.h"

static void reset(void)
{
    dt__alloc_fail_after(-1);
    dt_error_clear();
}

/* ---- paths (section 2.4) ---- */

static const struct {
    const char *base, *path;
    int code;
    const char *want; /* the path found, or words of the message */
} lookup_rows[] = {
    {"/", ".", DT_OK, "/"},
    {"/", "", DT_OK, "/"},
    {"/", "/", DT_OK, "/"},
    {"/", "a", DT_OK, "/a"},
    {"/", "/a/b/c", DT_OK, "/a/b/c"},
    {"/a/b", "../x", DT_OK, "/a/x"},
    {"/a", "b//./c", DT_OK, "/a/b/c"},
    {"/", "a//b/./c", DT_OK, "/a/b/c"},      /* edge case 6 */
    {"/", "./a/./b/../b/c/", DT_OK, "/a/b/c"},
    {"/a/b/c", "../../..", DT_OK, "/"},
    {"/a/b/c", "/a/x/", DT_OK, "/a/x"},     /* a trailing / is ignored */
    {"/a/b/c", "//a///x", DT_OK, "/a/x"},
    {"/a/b", "", DT_OK, "/a/b"},
    {"/a/b", ".", DT_OK, "/a/b"},
    {"/a/b", "..", DT_OK, "/a"},
    {"/", "..", DT_ENOTFOUND, "path \"..\" goes above the root"}, /* edge case 5 */
    {"/", "/..", DT_ENOTFOUND, "above the root"},
    {"/a", "../..", DT_ENOTFOUND, "path \"../..\" goes above the root"},
    {"/a/b", "/a/../../a", DT_ENOTFOUND, "above the root"},
    {"/a", "nope", DT_ENOTFOUND, "no group /a/nope"},
    {"/", "nope", DT_ENOTFOUND, "no group /nope"},
    {"/", "a/b/zz/c", DT_ENOTFOUND, "no group /a/b/zz"},
    {"/a/b", "/x", DT_ENOTFOUND, "no group /x"},
    {"/a/b", "../../a/y", DT_ENOTFOUND, "no group /a/y"},
    {"/", "A", DT_ENOTFOUND, "no group /A"},   /* names are case-sensitive */
};

START_TEST(lookup_row)
{
    dt_tree *t = tu_tree("/a/b/c", "/a/x", NULL);
    dt_node *base = NULL, *hit = (dt_node *)1;
    char *p = NULL;

    tu_assert_ok(dt_node_lookup(&base, dt_tree_root(t), lookup_rows[_i].base));
    tu_assert_rc(dt_node_lookup(&hit, base, lookup_rows[_i].path), lookup_rows[_i].code,
                 lookup_rows[_i].want);
    if (lookup_rows[_i].code == DT_OK) {
        ck_assert_int_eq(dt_node_path(&p, hit), DT_OK);
        ck_assert_str_eq(p, lookup_rows[_i].want);
    } else {
        ck_assert_ptr_null(hit);
    }
    dt_free(p);
    dt_tree_free(t);
}
END_TEST

/* Lookup never creates groups, even when it fails half way. */
START_TEST(lookup_creates_nothing)
{
    dt_tree *t = tu_tree("/a", NULL);
    dt_node *hit = NULL;
    char *before = tu_dump(dt_tree_root(t)), *after;

    ck_assert_int_eq(dt_node_lookup(&hit, dt_tree_root(t), "a/b/c"), DT_ENOTFOUND);
    after = tu_dump(dt_tree_root(t));
    ck_assert_str_eq(after, before);
    free(before);
    free(after);
    dt_tree_free(t);
}
END_TEST

START_TEST(node_paths_and_depth)
{
    dt_tree *t = tu_tree("/a/b/c", NULL);
    dt_node *root = dt_tree_root(t), *c = tu_node(t, "/a/b/c");

    tu_assert_path(root, "/");
    tu_assert_path(c, "/a/b/c");
    ck_assert_str_eq(dt_node_name(root), "");
    ck_assert_str_eq(dt_node_name(c), "c");
    ck_assert_uint_eq(dt_node_depth(root), 0);
    ck_assert_uint_eq(dt_node_depth(tu_node(t, "/a")), 1);
    ck_assert_uint_eq(dt_node_depth(c), 3);
    ck_assert_ptr_eq(dt_node_parent(c), tu_node(t, "/a/b"));
    ck_assert_ptr_null(dt_node_parent(root));
    ck_assert_ptr_eq(dt_node_tree(c), t);
    ck_assert_ptr_null(dt_node_child(c, 0));
    ck_assert_ptr_eq(dt_node_child(root, 0), tu_node(t, "/a"));
    ck_assert_ptr_null(dt_node_child(root, 1));
    tu_assert_rc(dt_node_path(NULL, c), DT_EINVAL, "NULL argument");
    dt_tree_free(t);
}
END_TEST

/* ---- names (section 2.2) ---- */

static char long_name[258];
static char max_name[257];

static void make_long_names(void)
{
    memset(long_name, 'n', 257);
    long_name[257] = '\0';
    memset(max_name, 'm', 256);
    max_name[256] = '\0';
}

static const struct {
    const char *name;
    int group_code;    /* as a group name */
    int generic_code;  /* through dt_name_check (e.g. an attribute) */
    const char *want;
} name_rows[] = {
    {"temp", DT_OK, DT_OK, NULL},
    {"_x", DT_OK, DT_OK, NULL},
    {"a.b", DT_OK, DT_OK, NULL},
    {".hidden", DT_OK, DT_OK, NULL},
    {" lead", DT_OK, DT_OK, NULL},
    {"in side", DT_OK, DT_OK, NULL},
    {"1st", DT_OK, DT_OK, NULL},
    {"\xc3\xa9t\xc3\xa9", DT_OK, DT_OK, NULL},
    {"", DT_EBADNAME, DT_EBADNAME, "name cannot be empty"},
    {"/", DT_EBADNAME, DT_EBADNAME, "contains '/'"},
    {"a/b", DT_EBADNAME, DT_EBADNAME, "contains '/'"},
    {".", DT_EBADNAME, DT_EBADNAME, "\".\" consists only of periods"},
    {"..", DT_EBADNAME, DT_EBADNAME, "\"..\" consists only of periods"},
    {"...", DT_EBADNAME, DT_EBADNAME, "\"...\" consists only of periods"},
    {"a\x01" "b", DT_EBADNAME, DT_EBADNAME, "contains control character 0x01"},
    {"a\nb", DT_EBADNAME, DT_EBADNAME, "control character 0x0a"},
    {"\x1f", DT_EBADNAME, DT_EBADNAME, "control character 0x1f"},
    {"del\x7f", DT_EBADNAME, DT_EBADNAME, "control character 0x7f"},
    {"tab\t", DT_EBADNAME, DT_EBADNAME, "control character 0x09"},
    {"trail ", DT_EBADNAME, DT_EBADNAME, "\"trail \" ends in whitespace"},
    {"\xff", DT_EBADNAME, DT_EBADNAME, "is not valid UTF-8"},
    {"a\xc0\x80", DT_EBADNAME, DT_EBADNAME, "is not valid UTF-8"},
    {"\xed\xa0\x80", DT_EBADNAME, DT_EBADNAME, "is not valid UTF-8"},
    {long_name, DT_EBADNAME, DT_EBADNAME, "is 257 bytes, the limit is 256"},
    {max_name, DT_OK, DT_OK, NULL},
    /* Zarr's keys and prefix: groups and variables only */
    {"zarr.json", DT_EBADNAME, DT_OK, "\"zarr.json\" is a Zarr metadata key"},
    {".zarray", DT_EBADNAME, DT_OK, "is a Zarr metadata key"},
    {".zgroup", DT_EBADNAME, DT_OK, "is a Zarr metadata key"},
    {".zattrs", DT_EBADNAME, DT_OK, "is a Zarr metadata key"},
    {".zmetadata", DT_EBADNAME, DT_OK, "is a Zarr metadata key"},
    {"__x", DT_EBADNAME, DT_OK, "\"__x\" starts with \"__\", which Zarr reserves"},
    {"__", DT_EBADNAME, DT_OK, "starts with \"__\""},
};

START_TEST(name_row)
{
    dt_tree *t = tu_tree("/g", NULL);
    dt_node *g = tu_node(t, "/g"), *n = (dt_node *)1;
    dt_var *v = NULL;
    const char *name = name_rows[_i].name;
    int code = name_rows[_i].group_code;

    make_long_names();
    /* as a group name (edge cases 1 and 3) */
    tu_assert_rc(dt_node_rename(g, name), code, name_rows[_i].want);
    if (code == DT_OK) {
        ck_assert_str_eq(dt_node_name(g), name);
    } else {
        tu_assert_msg_has("group name");
        ck_assert_str_eq(dt_node_name(g), "g");
    }
    /* creating by path: a name that is no path syntax gets the same answer */
    if (*name && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..")) {
        dt_tree *u = tu_tree(NULL);

        tu_assert_rc(dt_node_create(&n, dt_tree_root(u), name, 0), code, name_rows[_i].want);
        if (code == DT_OK)
            ck_assert_str_eq(dt_node_name(n), name);
        else
            ck_assert_ptr_null(n);
        ck_assert_uint_eq(dt_node_child_count(dt_tree_root(u)), code == DT_OK ? 1 : 0);
        dt_tree_free(u);
    }
    /* as a variable name (edge case 2) */
    {
        dt_tree *u = tu_tree(NULL);

        tu_assert_rc(dt_node_add_var(&v, dt_tree_root(u), name, DT_INT32, 0, NULL, NULL),
                     code, name_rows[_i].want);
        if (code != DT_OK) {
            tu_assert_msg_has("variable name");
            ck_assert_ptr_null(v);
        }
        ck_assert_uint_eq(dt_node_var_count(dt_tree_root(u)), code == DT_OK ? 1 : 0);
        dt_tree_free(u);
    }
    /* through the generic check, named as the caller says */
    tu_assert_rc(dt_name_check(name, "attribute"), name_rows[_i].generic_code,
                 name_rows[_i].generic_code ? name_rows[_i].want : NULL);
    if (name_rows[_i].generic_code)
        tu_assert_msg_has("attribute name");
    dt_tree_free(t);
}
END_TEST

/* The name of the rename and move checks is the same rule. */
START_TEST(name_rules_on_rename_and_move)
{
    dt_tree *t = tu_tree("/a", "/b", NULL);
    dt_node *a = tu_node(t, "/a"), *b = tu_node(t, "/b");

    tu_assert_rc(dt_node_rename(a, "x/y"), DT_EBADNAME, "contains '/'");
    tu_assert_rc(dt_node_rename(a, ".."), DT_EBADNAME, "consists only of periods");
    tu_assert_rc(dt_node_rename(a, "__a"), DT_EBADNAME, "Zarr reserves");
    tu_assert_rc(dt_node_move(a, b, "zarr.json"), DT_EBADNAME, "Zarr metadata key");
    tu_assert_rc(dt_node_move(a, b, ""), DT_EBADNAME, "cannot be empty");
    tu_assert_path(a, "/a");
    dt_tree_free(t);
}
END_TEST

/* ---- creation ---- */

START_TEST(create_without_parents)
{
    dt_tree *t = tu_tree("/a", NULL);
    dt_node *n = (dt_node *)1;

    tu_assert_rc(dt_node_create(&n, dt_tree_root(t), "/a/b/c", 0), DT_ENOTFOUND,
                 "no group /a/b (looking up \"/a/b/c\")");
    ck_assert_ptr_null(n);
    ck_assert_uint_eq(dt_node_child_count(tu_node(t, "/a")), 0);
    tu_assert_ok(dt_node_create(&n, tu_node(t, "/a"), "b", 0));
    tu_assert_path(n, "/a/b");
    tu_assert_ok(dt_node_create(&n, tu_node(t, "/a/b"), "../c", 0));
    tu_assert_path(n, "/a/c");
    tu_assert_ok(dt_node_create(&n, tu_node(t, "/a/b"), "/d/", 0));
    tu_assert_path(n, "/d");
    dt_tree_free(t);
}
END_TEST

START_TEST(create_with_parents)
{
    dt_tree *t = tu_tree(NULL);
    dt_node *n = NULL;

    tu_assert_ok(dt_node_create(&n, dt_tree_root(t), "a/b//./c", DT_CREATE_PARENTS));
    tu_assert_path(n, "/a/b/c");
    ck_assert_uint_eq(dt_node_depth(n), 3);
    tu_assert_ok(dt_node_create(&n, tu_node(t, "/a/b/c"), "../../x/y", DT_CREATE_PARENTS));
    tu_assert_path(n, "/a/x/y");
    ck_assert_uint_eq(dt_node_child_count(tu_node(t, "/a")), 2);
    ck_assert_str_eq(dt_node_name(dt_node_child(tu_node(t, "/a"), 1)), "x");
    tu_assert_rc(dt_node_create(&n, dt_tree_root(t), "../q", DT_CREATE_PARENTS), DT_ENOTFOUND,
                 "above the root");
    dt_tree_free(t);
}
END_TEST

/* A failed create leaves no intermediate groups behind. */
static const struct {
    const char *path;
    int code;
    const char *want;
} create_fail_rows[] = {
    {"/p/q/r/zarr.json", DT_EBADNAME, "Zarr metadata key"},
    {"/p/q/r/bad ", DT_EBADNAME, "ends in whitespace"},
    {"/p/q/__r/s", DT_EBADNAME, "Zarr reserves"},
    {"/p/v/s", DT_ENAMECLASH, "group /p already contains a variable named \"v\""},
    {"/p/q/r/..", DT_EINVAL, "has no final name to create"},
    {"/p/q/r/.", DT_EINVAL, "has no final name"},
    {"/", DT_EINVAL, "has no final name"},
    {"", DT_EINVAL, "has no final name"},
    {"/p/q/../../../r", DT_ENOTFOUND, "above the root"},
};

START_TEST(create_fail_row)
{
    dt_tree *t = tu_tree("/p", NULL);
    dt_node *n = (dt_node *)1;
    char *before, *after;

    tu_var_i64(tu_node(t, "/p"), "v", "x", 2, NULL);
    before = tu_dump(dt_tree_root(t));
    tu_assert_rc(dt_node_create(&n, dt_tree_root(t), create_fail_rows[_i].path,
                                DT_CREATE_PARENTS), create_fail_rows[_i].code,
                 create_fail_rows[_i].want);
    ck_assert_ptr_null(n);
    after = tu_dump(dt_tree_root(t));
    ck_assert_str_eq(after, before);
    ck_assert_uint_eq(dt_node_child_count(tu_node(t, "/p")), 0);
    free(before);
    free(after);
    dt_tree_free(t);
}
END_TEST

START_TEST(create_existing)
{
    dt_tree *t = tu_tree("/a/b", NULL);
    dt_node *n = NULL, *b = tu_node(t, "/a/b");

    tu_assert_ok(dt_node_create(&n, dt_tree_root(t), "/a/b", DT_CREATE_EXISTING));
    ck_assert_ptr_eq(n, b);
    tu_assert_ok(dt_node_create(&n, dt_tree_root(t), "a//b/", DT_CREATE_EXISTING));
    ck_assert_ptr_eq(n, b);
    ck_assert_uint_eq(dt_node_child_count(tu_node(t, "/a")), 1);
    n = (dt_node *)1;
    tu_assert_rc(dt_node_create(&n, dt_tree_root(t), "/a/b", 0), DT_EEXIST,
                 "group /a/b already exists");
    ck_assert_ptr_null(n);
    dt_tree_free(t);
}
END_TEST

/* Edge case 4: a child cannot take the name of a variable of its parent,
 * and a variable cannot take the name of a child. */
START_TEST(create_clash_with_variable)
{
    dt_tree *t = tu_tree("/g", NULL);
    dt_node *n = (dt_node *)1;
    dt_var *v = NULL;

    tu_var_i64(dt_tree_root(t), "temp", "x", 3, NULL);
    tu_assert_rc(dt_node_create(&n, dt_tree_root(t), "temp", 0), DT_ENAMECLASH,
                 "group / already contains a variable named \"temp\"");
    ck_assert_ptr_null(n);
    tu_assert_rc(dt_node_add_var(&v, dt_tree_root(t), "g", DT_INT8, 0, NULL, NULL),
                 DT_ENAMECLASH, "group / already has a child group named \"g\"");
    ck_assert_ptr_null(v);
    dt_tree_free(t);
}
END_TEST

START_TEST(create_depth_limit)
{
    dt_tree *t = tu_tree(NULL);
    dt_node *n = dt_tree_root(t);
    char path[64 * 2 + 8];
    size_t len = 0;

    /* the default limit is 64 levels */
    for (int i = 0; i < 64; i++) {
        path[len++] = '/';
        path[len++] = 'g';
    }
    path[len] = '\0';
    tu_assert_ok(dt_node_create(&n, dt_tree_root(t), path, DT_CREATE_PARENTS));
    ck_assert_uint_eq(dt_node_depth(n), 64);
    tu_assert_rc(dt_node_create(&n, n, "deep", 0), DT_ELIMIT,
                 "group \"deep\" would be 65 levels deep, the limit is 64");
    dt_tree_free(t);
}
END_TEST

/* ---- removal ---- */

static int free_count;

static int src_read(void *ctx, const dt_var *var, const uint64_t *start,
                    const uint64_t *count, const uint64_t *stride, void *buf)
{
    (void)ctx; (void)var; (void)start; (void)stride;
    memset(buf, 0, count[0] * sizeof(int32_t));
    return DT_OK;
}

static void src_free(void *ctx)
{
    (void)ctx;
    free_count++;
}

static const dt_source_ops src_ops = {1, src_read, NULL, src_free};

START_TEST(remove_subtree)
{
    dt_tree *t = tu_tree("/a/b/c", "/a/d", "/e", NULL);
    dt_var *v = tu_var1(tu_node(t, "/a/b/c"), "lazy", "x", DT_INT32, 4, DT_INT32, NULL);
    dt_node *hit = NULL;

    free_count = 0;
    tu_assert_ok(dt_var_set_source(v, &src_ops, NULL));
    tu_assert_ok(dt_node_remove(tu_node(t, "/a/b")));
    /* the lazy source of the removed subtree is released */
    ck_assert_int_eq(free_count, 1);
    ck_assert_int_eq(dt_node_lookup(&hit, dt_tree_root(t), "/a/b"), DT_ENOTFOUND);
    ck_assert_uint_eq(dt_node_child_count(tu_node(t, "/a")), 1);
    ck_assert_str_eq(dt_node_name(dt_node_child(tu_node(t, "/a"), 0)), "d");
    tu_assert_rc(dt_node_remove(dt_tree_root(t)), DT_EINVAL, "root group cannot be removed");
    tu_assert_rc(dt_node_remove(NULL), DT_EINVAL, NULL);
    dt_tree_free(t);
    ck_assert_int_eq(free_count, 1);
}
END_TEST

/* ---- renaming ---- */

START_TEST(rename_group)
{
    dt_tree *t = tu_tree("/a/b", "/c", NULL);
    dt_node *a = tu_node(t, "/a");

    tu_var_i64(dt_tree_root(t), "v", "x", 2, NULL);
    tu_assert_ok(dt_node_rename(a, "z"));
    tu_assert_path(tu_node(t, "/z/b"), "/z/b");
    /* position among the siblings is kept */
    ck_assert_ptr_eq(dt_node_child(dt_tree_root(t), 0), a);
    tu_assert_ok(dt_node_rename(a, "z")); /* its own name is free */
    tu_assert_rc(dt_node_rename(a, "c"), DT_ENAMECLASH,
                 "group / already has a child group named \"c\"");
    tu_assert_rc(dt_node_rename(a, "v"), DT_ENAMECLASH,
                 "group / already contains a variable named \"v\"");
    tu_assert_rc(dt_node_rename(dt_tree_root(t), "r"), DT_EINVAL, "root group");
    tu_assert_path(a, "/z");
    dt_tree_free(t);
}
END_TEST

/* ---- moving (section 8, 11.7) ---- */

START_TEST(move_reparent)
{
    dt_tree *t = tu_tree("/a/t/u", "/b", NULL);
    dt_node *tn = tu_node(t, "/a/t");

    tu_assert_ok(dt_node_move(tn, tu_node(t, "/b"), NULL));
    tu_assert_path(tn, "/b/t");
    tu_assert_path(tu_node(t, "/b/t/u"), "/b/t/u");
    ck_assert_uint_eq(dt_node_child_count(tu_node(t, "/a")), 0);
    ck_assert_uint_eq(dt_node_depth(tu_node(t, "/b/t/u")), 3);
    /* and with a new name, appended after the existing children */
    tu_assert_ok(dt_node_move(tu_node(t, "/a"), tu_node(t, "/b"), "a2"));
    tu_assert_path(dt_node_child(tu_node(t, "/b"), 1), "/b/a2");
    ck_assert_uint_eq(dt_node_child_count(dt_tree_root(t)), 1);
    /* within the same parent: a rename */
    tu_assert_ok(dt_node_move(tu_node(t, "/b/a2"), tu_node(t, "/b"), "a3"));
    tu_assert_path(dt_node_child(tu_node(t, "/b"), 1), "/b/a3");
    dt_tree_free(t);
}
END_TEST

/* Edge cases 19 and 20. */
START_TEST(move_loops)
{
    dt_tree *t = tu_tree("/a/t/u", NULL);
    dt_node *a = tu_node(t, "/a");
    char *before = tu_dump(dt_tree_root(t)), *after;

    tu_assert_rc(dt_node_move(a, tu_node(t, "/a/t/u"), NULL), DT_ELOOP,
                 "cannot move /a under /a/t/u: the intended parent is already a "
                 "descendant of this node");
    tu_assert_rc(dt_node_move(a, a, "again"), DT_ELOOP, "cannot move /a under /a");
    tu_assert_rc(dt_node_move(dt_tree_root(t), a, NULL), DT_EINVAL, "root group cannot be moved");
    after = tu_dump(dt_tree_root(t));
    ck_assert_str_eq(after, before);
    free(before);
    free(after);
    dt_tree_free(t);
}
END_TEST

START_TEST(move_name_clash)
{
    dt_tree *t = tu_tree("/a/t", "/b/t", NULL);
    dt_node *at = tu_node(t, "/a/t");

    tu_var_i64(tu_node(t, "/b"), "v", "x", 1, NULL);
    tu_assert_rc(dt_node_move(at, tu_node(t, "/b"), NULL), DT_ENAMECLASH,
                 "group /b already has a child group named \"t\"");
    tu_assert_rc(dt_node_move(at, tu_node(t, "/b"), "v"), DT_ENAMECLASH,
                 "group /b already contains a variable named \"v\"");
    tu_assert_path(at, "/a/t");
    dt_tree_free(t);
}
END_TEST

START_TEST(move_other_tree)
{
    dt_tree *t = tu_tree("/a", NULL), *u = tu_tree(NULL);

    tu_assert_rc(dt_node_move(tu_node(t, "/a"), dt_tree_root(u), NULL), DT_EINVAL,
                 "copy it instead");
    ck_assert_uint_eq(dt_node_child_count(dt_tree_root(u)), 0);
    dt_tree_free(t);
    dt_tree_free(u);
}
END_TEST

/* A move the alignment rule refuses changes nothing: same children in the
 * same order under the same names, same dims. */
START_TEST(move_align_failure_all_or_nothing)
{
    dt_tree *t = tu_tree("/a/first", "/a/t/deep", "/a/last", "/b", NULL);
    dt_node *tn = tu_node(t, "/a/t");
    char *before, *after;

    tu_var_i64(tu_node(t, "/a"), "v", "x", 2, (int64_t[]){1, 2});
    tu_var_i64(tn, "w", "x", 2, (int64_t[]){3, 4});
    tu_var_i64(tu_node(t, "/a/t/deep"), "y", "y", 1, (int64_t[]){7});
    tu_var_i64(tu_node(t, "/b"), "u", "x", 3, (int64_t[]){5, 6, 7});
    before = tu_dump(dt_tree_root(t));
    tu_assert_rc(dt_node_move(tn, tu_node(t, "/b"), "moved"), DT_EALIGN,
                 "group '/b/moved' is not aligned with its parents");
    tu_assert_msg_has("'x'");
    tu_assert_msg_has("2");
    tu_assert_msg_has("3");
    after = tu_dump(dt_tree_root(t));
    ck_assert_str_eq(after, before);
    ck_assert_ptr_eq(dt_node_child(tu_node(t, "/a"), 1), tn);
    ck_assert_str_eq(dt_node_name(tn), "t");
    ck_assert_uint_eq(dt_node_dim_count(tn), 0);
    ck_assert_uint_eq(dt_node_child_count(tu_node(t, "/b")), 0);
    free(before);
    free(after);
    /* the same move without the conflict succeeds and carries x along */
    tu_assert_ok(dt_node_move(tn, dt_tree_root(t), NULL));
    {
        dt_dim_info d;

        tu_assert_ok(dt_node_dim_find(&d, tn, "x"));
        ck_assert_uint_eq(d.size, 2);
        tu_assert_path(d.owner, "/t");
    }
    tu_assert_ok(dt_tree_check_alignment(t));
    dt_tree_free(t);
}
END_TEST

/* ---- copying (section 6.3) ---- */

START_TEST(copy_deep_into_other_tree)
{
    dt_tree *t = tu_tree("/g/h", NULL), *u = tu_tree("/dst", NULL);
    dt_node *g = tu_node(t, "/g"), *c = NULL;
    dt_var *v, *cv;
    int32_t fill = -9;
    uint64_t chunks[] = {2};
    int64_t vals[3];
    const char *s[] = {"one"};

    v = tu_var_i64(g, "v", "x", 3, (int64_t[]){1, 2, 3});
    tu_assert_ok(dt_attrs_set(dt_var_attrs(v), "units", DT_STRING, 1, s, 0));
    tu_assert_ok(dt_attrs_set(dt_node_attrs(g), "title", DT_STRING, 1, s, 0));
    tu_assert_ok(dt_var_set_chunks(v, chunks));
    tu_assert_ok(dt_var_add_codec(v, "zstd"));
    cv = tu_var1(tu_node(t, "/g/h"), "e", "x", DT_ENUM_OF(DT_INT32), 3, DT_INT32,
                 (int32_t[]){0, 1, 0});
    tu_assert_ok(dt_var_set_fill(cv, &fill));
    tu_assert_ok(dt_var_add_enum_member(cv, "off", 0));
    tu_assert_ok(dt_var_add_enum_member(cv, "on", 1));

    tu_assert_ok(dt_node_copy(&c, g, tu_node(u, "/dst"), NULL, 0));
    tu_assert_path(c, "/dst/g");
    ck_assert_ptr_eq(dt_node_tree(c), u);
    ck_assert_ptr_eq(dt_node_tree(dt_node_child(c, 0)), u);
    /* the copy is deep: changing the source does not change the copy */
    tu_assert_ok(dt_var_set_data(v, DT_INT64, (int64_t[]){7, 8, 9}, 3));
    tu_read_i64(tu_var(u, "/dst/g/v"), vals, 3);
    ck_assert_int_eq(vals[0], 1);
    ck_assert_int_eq(vals[2], 3);
    ck_assert_str_eq(((char *const *)dt_attr_data(
                         dt_attrs_find(dt_var_attrs(tu_var(u, "/dst/g/v")), "units")))[0],
                     "one");
    ck_assert_ptr_nonnull(dt_attrs_find(dt_node_attrs(c), "title"));
    ck_assert_uint_eq(dt_var_chunks(tu_var(u, "/dst/g/v"))[0], 2);
    ck_assert_str_eq(dt_var_codec(tu_var(u, "/dst/g/v"), 0), "zstd");
    cv = tu_var(u, "/dst/g/h/e");
    ck_assert_int_eq(*(const int32_t *)dt_var_fill(cv), -9);
    ck_assert_uint_eq(dt_var_enum_count(cv), 2);
    tu_read_i64(cv, vals, 3);
    ck_assert_int_eq(vals[1], 1);
    /* freeing the source first leaves the copy whole */
    dt_tree_free(t);
    tu_read_i64(tu_var(u, "/dst/g/v"), vals, 3);
    ck_assert_int_eq(vals[1], 2);
    dt_tree_free(u);
}
END_TEST

/* Without DT_COPY_INHERIT the copy only keeps the dimensions it used;
 * with it, the inherited index coordinates are materialised at the copy. */
START_TEST(copy_inherit)
{
    dt_tree *t = tu_tree("/ocean", NULL), *u = tu_tree(NULL), *w = tu_tree(NULL);
    dt_node *c = NULL;
    dt_coord_info ci;
    dt_dim_info d;
    int64_t time[3];

    tu_var_i64(dt_tree_root(t), "time", "time", 3, (int64_t[]){1, 2, 3});
    tu_var_f64(tu_node(t, "/ocean"), "temperature", "time", 3, (double[]){1, 2, 3});

    tu_assert_ok(dt_node_copy(&c, tu_node(t, "/ocean"), dt_tree_root(u), NULL, 0));
    ck_assert_uint_eq(dt_node_var_count(c), 1);
    tu_assert_ok(dt_node_dim_find(&d, c, "time"));
    ck_assert_uint_eq(d.size, 3);
    ck_assert_ptr_eq(d.owner, c);
    tu_assert_rc(dt_node_coord_find(&ci, c, "time", DT_INHERIT_INDEXES), DT_ENOTFOUND,
                 "no coordinate \"time\" is visible in group /ocean");

    tu_assert_ok(dt_node_copy(&c, tu_node(t, "/ocean"), dt_tree_root(w), "o2",
                              DT_COPY_INHERIT));
    tu_assert_path(c, "/o2");
    ck_assert_uint_eq(dt_node_var_count(c), 2);
    tu_assert_ok(dt_node_coord_find(&ci, c, "time", DT_INHERIT_INDEXES));
    ck_assert_ptr_eq(ci.owner, c);
    ck_assert_int_eq(ci.inherited, 0);
    ck_assert_int_eq(ci.is_index, 1);
    tu_read_i64(ci.var, time, 3);
    ck_assert_int_eq(time[0], 1);
    ck_assert_int_eq(time[2], 3);
    dt_tree_free(t);
    dt_tree_free(u);
    dt_tree_free(w);
}
END_TEST

START_TEST(copy_refusals)
{
    dt_tree *t = tu_tree("/a/b", "/c", NULL), *u = tu_tree("/x", NULL);
    dt_node *c = (dt_node *)1;
    char *before = tu_dump(dt_tree_root(t)), *after;

    tu_assert_rc(dt_node_copy(&c, tu_node(t, "/a"), tu_node(t, "/a/b"), NULL, 0), DT_ELOOP,
                 "cannot copy a group into its own subtree");
    ck_assert_ptr_null(c);
    tu_assert_rc(dt_node_copy(&c, tu_node(t, "/a"), tu_node(t, "/a"), "again", 0), DT_ELOOP,
                 NULL);
    tu_assert_rc(dt_node_copy(&c, tu_node(t, "/a"), dt_tree_root(t), "c", 0), DT_EEXIST,
                 "group /c already exists");
    tu_assert_rc(dt_node_copy(&c, tu_node(t, "/a"), dt_tree_root(u), "x", 0), DT_EEXIST,
                 NULL);
    after = tu_dump(dt_tree_root(t));
    ck_assert_str_eq(after, before);
    /* copying next to itself under another name is fine */
    tu_assert_ok(dt_node_copy(&c, tu_node(t, "/a"), dt_tree_root(t), "a2", 0));
    tu_assert_path(tu_node(t, "/a2/b"), "/a2/b");
    free(before);
    free(after);
    dt_tree_free(t);
    dt_tree_free(u);
}
END_TEST

/* A copy the destination's alignment refuses leaves it unchanged. */
START_TEST(copy_align_failure)
{
    dt_tree *t = tu_tree("/g", NULL), *u = tu_tree(NULL);
    dt_node *c = (dt_node *)1;
    char *before, *after;

    tu_var_i64(tu_node(t, "/g"), "v", "x", 2, (int64_t[]){1, 2});
    tu_var_i64(dt_tree_root(u), "w", "x", 3, (int64_t[]){1, 2, 3});
    before = tu_dump(dt_tree_root(u));
    tu_assert_rc(dt_node_copy(&c, tu_node(t, "/g"), dt_tree_root(u), NULL, 0), DT_EALIGN,
                 "group '/g' is not aligned with its parents");
    tu_assert_msg_has("{2, 3}");
    ck_assert_ptr_null(c);
    after = tu_dump(dt_tree_root(u));
    ck_assert_str_eq(after, before);
    free(before);
    free(after);
    dt_tree_free(t);
    dt_tree_free(u);
}
END_TEST

/* ---- walking ---- */

typedef struct walk_log {
    char seen[16][16];
    int n, stop_at;
} walk_log;

static int visit(dt_node *node, void *ud)
{
    walk_log *w = ud;
    char *p = NULL;

    ck_assert_int_eq(dt_node_path(&p, node), DT_OK);
    snprintf(w->seen[w->n], sizeof w->seen[w->n], "%s", p);
    dt_free(p);
    w->n++;
    return w->n == w->stop_at ? 42 : 0;
}

START_TEST(walk_order)
{
    dt_tree *t = tu_tree("/b", "/a/z", "/a/y/q", "/c", "/a/x", NULL);
    static const char *const want[] = {
        "/", "/b", "/a", "/a/z", "/a/y", "/a/y/q", "/a/x", "/c",
    };
    walk_log w = {.n = 0, .stop_at = -1};

    ck_assert_int_eq(dt_node_walk(dt_tree_root(t), visit, &w), 0);
    ck_assert_int_eq(w.n, (int)TU_NELEMS(want));
    for (int i = 0; i < w.n; i++)
        ck_assert_str_eq(w.seen[i], want[i]);
    /* from a subtree */
    w.n = 0;
    ck_assert_int_eq(dt_node_walk(tu_node(t, "/a/y"), visit, &w), 0);
    ck_assert_int_eq(w.n, 2);
    ck_assert_str_eq(w.seen[1], "/a/y/q");
    /* a non-zero return stops the walk and comes back */
    w.n = 0;
    w.stop_at = 4;
    ck_assert_int_eq(dt_node_walk(dt_tree_root(t), visit, &w), 42);
    ck_assert_int_eq(w.n, 4);
    ck_assert_str_eq(w.seen[3], "/a/z");
    tu_assert_rc(dt_node_walk(NULL, visit, &w), DT_EINVAL, NULL);
    dt_tree_free(t);
}
END_TEST

/* ---- lazy groups: metadata loaded on first use ---- */

typedef struct lazy_ctx {
    int loads, frees;
    int fail;        /* the loader reports a broken group */
    int conflict;    /* the group redeclares the root's x with another size */
    int copy_x;      /* the group repeats the root's index x */
    int lazy_child;  /* the group's child is lazy too */
    struct lazy_ctx *child;
} lazy_ctx;

static void lazy_free(void *p)
{
    ((lazy_ctx *)p)->frees++;
}

static int lazy_load(dt_node *node, void *p)
{
    lazy_ctx *c = p;
    dt_var *v = NULL;
    dt_node *h = NULL;
    int rc;

    c->loads++;
    if (c->fail)
        return dt__fail(DT_EFORMAT, "group header is %d bytes short", 12);
    if (c->conflict) {
        rc = dt_node_add_dim(node, "x", 3, 0);
        if (rc == DT_OK)
            rc = dt_node_add_var(&v, node, "v", DT_INT8, 1, (const char *[]){"x"}, NULL);
        return rc;
    }
    if (c->copy_x) {
        rc = dt_node_add_var(&v, node, "x", DT_INT64, 1, (const char *[]){"x"},
                             (uint64_t[]){2});
        if (rc == DT_OK)
            rc = dt_var_set_data(v, DT_INT64, (int64_t[]){1, 2}, 2);
        if (rc < 0)
            return rc;
    }
    rc = dt_node_add_var(&v, node, "foo", DT_INT64, 1, (const char *[]){"x"}, NULL);
    if (rc == DT_OK)
        rc = dt_attrs_set(dt_node_attrs(node), "title", DT_INT8, 1, "\x01", 0);
    if (rc == DT_OK)
        rc = dt_node_create(&h, node, "h", 0);
    if (rc == DT_OK && c->lazy_child)
        dt__node_set_loader(h, lazy_load, c->child, lazy_free);
    return rc;
}

/* A tree as a reader leaves it: root x(x) = [1, 2], a lazy group /g. */
static dt_tree *lazy_tree(lazy_ctx *c, dt_align_mode align, int eager)
{
    dt_tree *t = tu_tree(NULL);
    dt_open_opts o = DT_OPEN_OPTS_INIT;
    dt_node *g = NULL;

    o.align = align;
    o.eager = eager;
    tu_assert_ok(dt__tree_begin_load(t, &o, DT_FORMAT_HDF5, "lazy.h5"));
    tu_var_i64(dt_tree_root(t), "x", "x", 2, (int64_t[]){1, 2});
    tu_assert_ok(dt_node_create(&g, dt_tree_root(t), "g", 0));
    dt__node_set_loader(g, lazy_load, c, lazy_free);
    tu_assert_ok(dt__tree_end_load(t));
    return t;
}

START_TEST(lazy_loads_once)
{
    lazy_ctx c = {0};
    dt_tree *t = lazy_tree(&c, DT_ALIGN_STRICT, 0);
    dt_node *g = tu_node(t, "/g");

    ck_assert_int_eq(c.loads, 0);
    ck_assert_uint_eq(dt_node_var_count(g), 1);
    ck_assert_int_eq(c.loads, 1);
    ck_assert_uint_eq(dt_node_child_count(g), 1);
    ck_assert_uint_eq(dt_attrs_count(dt_node_attrs(g)), 1);
    tu_assert_ok(dt_node_load(g));
    tu_assert_path(tu_node(t, "/g/h"), "/g/h");
    ck_assert_int_eq(c.loads, 1);
    /* the loaded variable sees the root's x */
    ck_assert_uint_eq(dt_var_shape(tu_var(t, "/g/foo"))[0], 2);
    ck_assert_int_eq(c.frees, 0);
    dt_tree_free(t);
    ck_assert_int_eq(c.frees, 1);
}
END_TEST

START_TEST(lazy_each_accessor_loads)
{
    static const int which[] = {0, 1, 2, 3, 4, 5, 6};

    for (size_t k = 0; k < TU_NELEMS(which); k++) {
        lazy_ctx c = {0};
        dt_tree *t = lazy_tree(&c, DT_ALIGN_STRICT, 0);
        dt_node *g = dt_node_child(dt_tree_root(t), 0), *h = NULL;
        dt_var *v = NULL;
        dt_dim_info d;
        dt_coord_info ci;

        ck_assert_int_eq(c.loads, 0);
        switch (which[k]) {
        case 0: ck_assert_ptr_nonnull(dt_node_child(g, 0)); break;
        case 1: tu_assert_ok(dt_node_lookup(&h, dt_tree_root(t), "/g/h")); break;
        case 2: tu_assert_ok(dt_var_lookup(&v, dt_tree_root(t), "g/foo")); break;
        case 3: ck_assert_ptr_nonnull(dt_node_var(g, 0)); break;
        case 4: tu_assert_ok(dt_node_dim_find(&d, g, "x")); break;
        case 5: tu_assert_ok(dt_node_coord_find(&ci, g, "x", DT_INHERIT_INDEXES)); break;
        case 6: ck_assert_ptr_nonnull(dt_attrs_find(dt_node_attrs(g), "title")); break;
        }
        ck_assert_msg(c.loads == 1, "accessor %zu did not load the group", k);
        dt_tree_free(t);
    }
}
END_TEST

START_TEST(lazy_failure_kept)
{
    lazy_ctx c = {.fail = 1};
    dt_tree *t = lazy_tree(&c, DT_ALIGN_STRICT, 0);
    dt_node *g = tu_node(t, "/g"), *h = NULL;

    tu_assert_rc(dt_node_load(g), DT_EFORMAT, "lazy.h5: /g: group header is 12 bytes short");
    dt_error_clear();
    /* every later caller hears of it, the loader does not run again */
    tu_assert_rc(dt_node_load(g), DT_EFORMAT, "lazy.h5: /g: group header is 12 bytes short");
    dt_error_clear();
    ck_assert_uint_eq(dt_node_var_count(g), 0);
    ck_assert_int_eq(dt_error_last()->code, DT_EFORMAT);
    tu_assert_rc(dt_node_lookup(&h, dt_tree_root(t), "/g/h"), DT_EFORMAT, "12 bytes short");
    tu_assert_rc(dt_node_load_all(dt_tree_root(t)), DT_EFORMAT, "12 bytes short");
    ck_assert_int_eq(c.loads, 1);
    /* given again with its file and path: a caller that names the file
     * does not name it twice */
    dt_error_clear();
    ck_assert_int_eq(dt_node_load(g), DT_EFORMAT);
    ck_assert_str_eq(dt_error_last()->file, "lazy.h5");
    ck_assert_str_eq(dt_error_last()->path, "/g");
    ck_assert_int_eq(dt__err_locate(DT_EFORMAT, "lazy.h5", NULL), DT_EFORMAT);
    ck_assert_str_eq(dt_error_last()->message, "lazy.h5: /g: group header is 12 bytes short");
    dt_tree_free(t);
    ck_assert_int_eq(c.frees, 1);
}
END_TEST

/* Read at open (opts.eager): the open fails with the group's error, once. */
START_TEST(lazy_failure_eager)
{
    lazy_ctx c = {.fail = 1};
    dt_tree *t = tu_tree(NULL);
    dt_open_opts o = DT_OPEN_OPTS_INIT;
    dt_node *g = NULL;

    o.eager = 1;
    tu_assert_ok(dt__tree_begin_load(t, &o, DT_FORMAT_HDF5, "lazy.h5"));
    tu_assert_ok(dt_node_create(&g, dt_tree_root(t), "g", 0));
    dt__node_set_loader(g, lazy_load, &c, lazy_free);
    ck_assert_int_eq(dt__tree_end_load(t), DT_EFORMAT);
    ck_assert_str_eq(dt_error_last()->message, "lazy.h5: /g: group header is 12 bytes short");
    dt_tree_free(t);
}
END_TEST

/* A loaded group is checked against its ancestors like a file's. */
START_TEST(lazy_alignment)
{
    lazy_ctx strict = {.conflict = 1}, relaxed = {.conflict = 1};
    dt_tree *t = lazy_tree(&strict, DT_ALIGN_STRICT, 0);
    dt_tree *u = lazy_tree(&relaxed, DT_ALIGN_RELAXED, 0);
    dt_dim_info d;

    tu_assert_rc(dt_node_load(tu_node(t, "/g")), DT_EALIGN,
                 "lazy.h5: /g: group '/g' is not aligned with its parents");
    tu_assert_msg_has("{2, 3}");
    tu_assert_ok(dt_node_load(tu_node(u, "/g")));
    ck_assert_int_eq(dt_node_is_cut(tu_node(u, "/g")), 1);
    tu_assert_ok(dt_node_dim_find(&d, tu_node(u, "/g"), "x"));
    ck_assert_uint_eq(d.size, 3);
    tu_assert_ok(dt_tree_check_alignment(u));
    dt_tree_free(t);
    dt_tree_free(u);
}
END_TEST

START_TEST(lazy_dedup)
{
    lazy_ctx c = {.copy_x = 1};
    dt_tree *t = lazy_tree(&c, DT_ALIGN_STRICT, 0);
    dt_coord_info ci;

    ck_assert_uint_eq(dt_node_var_count(tu_node(t, "/g")), 1);
    ck_assert_str_eq(dt_var_name(dt_node_var(tu_node(t, "/g"), 0)), "foo");
    tu_assert_ok(dt_node_coord_find(&ci, tu_node(t, "/g"), "x", DT_INHERIT_INDEXES));
    ck_assert_int_eq(ci.inherited, 1);
    dt_tree_free(t);
}
END_TEST

START_TEST(lazy_eager_and_walk)
{
    lazy_ctx child = {0}, c = {.lazy_child = 1, .child = &child};
    lazy_ctx child2 = {0}, c2 = {.lazy_child = 1, .child = &child2};
    dt_tree *t = lazy_tree(&c, DT_ALIGN_STRICT, 1);
    dt_tree *u = lazy_tree(&c2, DT_ALIGN_STRICT, 0);
    walk_log w = {.n = 0, .stop_at = -1};

    /* eager: everything read at end_load */
    ck_assert_int_eq(c.loads, 1);
    ck_assert_int_eq(child.loads, 1);
    /* lazy: a walk loads as it goes, depth first */
    ck_assert_int_eq(c2.loads, 0);
    ck_assert_int_eq(dt_node_walk(dt_tree_root(u), visit, &w), 0);
    ck_assert_int_eq(c2.loads, 1);
    ck_assert_int_eq(child2.loads, 1);
    ck_assert_int_eq(w.n, 4);
    ck_assert_str_eq(w.seen[3], "/g/h/h");
    dt_tree_free(t);
    dt_tree_free(u);
    ck_assert_int_eq(child.frees, 1);
    ck_assert_int_eq(child2.frees, 1);
}
END_TEST

/* Copying or moving a lazy subtree loads all of it first. */
START_TEST(lazy_copy_and_move)
{
    lazy_ctx child = {0}, c = {.lazy_child = 1, .child = &child};
    dt_tree *t = lazy_tree(&c, DT_ALIGN_STRICT, 0), *u = tu_tree(NULL);
    dt_node *cp = NULL, *m = NULL;

    tu_assert_ok(dt_node_copy(&cp, tu_node(t, "/g"), dt_tree_root(u), NULL, 0));
    ck_assert_int_eq(c.loads, 1);
    ck_assert_int_eq(child.loads, 1);
    tu_assert_path(tu_node(u, "/g/h/h"), "/g/h/h");
    tu_assert_ok(dt_node_create(&m, dt_tree_root(t), "m", 0));
    tu_assert_ok(dt_node_move(tu_node(t, "/g"), m, NULL));
    tu_assert_path(tu_node(t, "/m/g/h/h"), "/m/g/h/h");
    ck_assert_int_eq(c.loads, 1);
    dt_tree_free(t);
    dt_tree_free(u);
}
END_TEST

typedef struct lazy_thread {
    dt_node *g;
    size_t nvars;
} lazy_thread;

static void *lazy_reader(void *p)
{
    lazy_thread *lt = p;

    lt->nvars = dt_node_var_count(lt->g);
    return NULL;
}

/* Const readers on several threads: the group loads exactly once. */
START_TEST(lazy_threads)
{
    for (int round = 0; round < 20; round++) {
        lazy_ctx c = {0};
        dt_tree *t = lazy_tree(&c, DT_ALIGN_STRICT, 0);
        pthread_t th[4];
        lazy_thread lt[4];

        for (int i = 0; i < 4; i++) {
            lt[i].g = dt_node_child(dt_tree_root(t), 0);
            lt[i].nvars = 99;
        }
        for (int i = 0; i < 4; i++)
            ck_assert_int_eq(pthread_create(&th[i], NULL, lazy_reader, &lt[i]), 0);
        for (int i = 0; i < 4; i++) {
            ck_assert_int_eq(pthread_join(th[i], NULL), 0);
            ck_assert_uint_eq(lt[i].nvars, 1);
        }
        ck_assert_int_eq(c.loads, 1);
        dt_tree_free(t);
    }
}
END_TEST

/* ---- fail the Nth allocation ---- */

/* Build a small tree through most of the model's mutations; any failure
 * returns its code with everything freed. */
static int build(dt_tree **out)
{
    dt_tree *t = NULL, *u = NULL;
    dt_node *a = NULL, *b = NULL, *c = NULL, *cp = NULL;
    dt_var *x = NULL, *v = NULL, *s = NULL;
    const char *dims[] = {"x", "y"};
    const uint64_t shape[] = {2, 3};
    const char *words[] = {"alpha", "beta"};
    int64_t xv[] = {10, 20};
    double vv[] = {1, 2, 3, 4, 5, 6};
    int16_t fill = -1;
    int rc;

    *out = NULL;
    rc = dt_tree_new(&t);
    if (rc < 0)
        return rc;
    rc = dt_node_create(&a, dt_tree_root(t), "/a/b", DT_CREATE_PARENTS);
    if (rc == DT_OK)
        rc = dt_node_lookup(&a, dt_tree_root(t), "a");
    if (rc == DT_OK)
        rc = dt_node_lookup(&b, a, "b");
    if (rc == DT_OK)
        rc = dt_node_create(&c, dt_tree_root(t), "c", 0);
    if (rc == DT_OK)
        rc = dt_node_add_var(&x, dt_tree_root(t), "x", DT_INT64, 1, dims, shape);
    if (rc == DT_OK)
        rc = dt_var_set_data(x, DT_INT64, xv, 2);
    if (rc == DT_OK)
        rc = dt_node_add_var(&v, b, "v", DT_FLOAT32, 2, dims, shape);
    if (rc == DT_OK)
        rc = dt_var_set_data(v, DT_FLOAT64, vv, 6);
    if (rc == DT_OK)
        rc = dt_var_write(v, &(dt_slab){2, (uint64_t[]){1, 1}, (uint64_t[]){1, 2}, NULL},
                          DT_FLOAT64, (double[]){9, 9}, 2 * sizeof(double));
    if (rc == DT_OK)
        rc = dt_attrs_set(dt_var_attrs(v), "units", DT_STRING, 1, words, DT_ATTR_SCALAR);
    if (rc == DT_OK)
        rc = dt_attrs_set(dt_node_attrs(a), "tags", DT_STRING, 2, words, 0);
    if (rc == DT_OK)
        rc = dt_attrs_set(dt_node_attrs(a), "meta", DT_JSON, 1, "{\"k\": [1, 2]}", 0);
    if (rc == DT_OK)
        rc = dt_node_add_var(&s, c, "s", DT_STRING, 1, dims + 1, shape + 1);
    if (rc == DT_OK)
        rc = dt_var_set_data(s, DT_STRING, (const char *[]){"p", "q", "r"}, 3);
    if (rc == DT_OK)
        rc = dt_node_add_var(&v, c, "e", DT_ENUM_OF(DT_INT16), 1, dims, NULL);
    if (rc == DT_OK)
        rc = dt_var_add_enum_member(v, "low", 0);
    if (rc == DT_OK)
        rc = dt_var_set_fill(v, &fill);
    if (rc == DT_OK)
        rc = dt_node_add_dim(c, "t", 1, 1);
    if (rc == DT_OK)
        rc = dt_node_add_var(&v, c, "rec", DT_INT32, 1, (const char *[]){"t"}, NULL);
    if (rc == DT_OK)
        rc = dt_var_set_data(v, DT_INT32, (int32_t[]){5}, 1);
    if (rc == DT_OK)
        rc = dt_node_resize_dim(c, "t", 3);
    if (rc == DT_OK)
        rc = dt_node_copy(&cp, b, c, "bcopy", DT_COPY_INHERIT);
    if (rc == DT_OK)
        rc = dt_node_move(cp, dt_tree_root(t), NULL);
    if (rc == DT_OK)
        rc = dt_node_rename(cp, "moved");
    if (rc == DT_OK)
        rc = dt_node_rename_dim(c, "t", "time");
    if (rc == DT_OK)
        rc = dt_tree_new(&u);
    if (rc == DT_OK)
        rc = dt_node_copy(&cp, a, dt_tree_root(u), NULL, DT_COPY_INHERIT);
    dt_tree_free(u);
    if (rc < 0) {
        dt_tree_free(t);
        return rc;
    }
    *out = t;
    return DT_OK;
}

/* Did the armed failure fire? If not, it is still counting down and one of
 * the next `within` allocations fails: probe and disarm. */
static int injected_fired(long within)
{
    int fired = 1;

    for (long i = 0; i <= within; i++) {
        void *p = dt__malloc(1);

        if (!p) {
            fired = 0;
            break;
        }
        free(p);
    }
    dt__alloc_fail_after(-1);
    return fired;
}

START_TEST(alloc_fail_loop)
{
    dt_tree *good = NULL;
    char *want;
    long n;
    int failures = 0;

    tu_assert_ok(build(&good));
    want = tu_dump(dt_tree_root(good));
    dt_tree_free(good);
    for (n = 0; n < 100000; n++) {
        dt_tree *t = NULL;
        int rc, fired;

        dt_error_clear();
        dt__alloc_fail_after(n);
        rc = build(&t);
        fired = injected_fired(n);
        if (rc == DT_OK) {
            /* a failure the library absorbed must not change the result */
            char *got = tu_dump(dt_tree_root(t));

            ck_assert_msg(strcmp(got, want) == 0, "allocation %ld: wrong tree\n%s", n, got);
            free(got);
            dt_tree_free(t);
            if (!fired)
                break;
        } else {
            ck_assert_msg(rc == DT_ENOMEM, "allocation %ld: %s (%s)", n,
                          dt_strerror_name(rc), dt_error_last()->message);
            ck_assert_int_eq(dt_error_last()->code, DT_ENOMEM);
            ck_assert_ptr_null(t);
            ck_assert(fired);
            failures++;
        }
    }
    ck_assert_msg(n < 100000, "the build never completed");
    ck_assert_int_gt(failures, 100);
    free(want);
}
END_TEST

static Suite *node_suite(void)
{
    Suite *s = suite_create("node");
    TCase *tc = tcase_create("paths");

    tcase_add_checked_fixture(tc, reset, NULL);
    tcase_add_loop_test(tc, lookup_row, 0, TU_NELEMS(lookup_rows));
    tcase_add_test(tc, lookup_creates_nothing);
    tcase_add_test(tc, node_paths_and_depth);
    suite_add_tcase(s, tc);

    tc = tcase_create("names");
    tcase_add_checked_fixture(tc, reset, NULL);
    tcase_add_loop_test(tc, name_row, 0, TU_NELEMS(name_rows));
    tcase_add_test(tc, name_rules_on_rename_and_move);
    suite_add_tcase(s, tc);

    tc = tcase_create("create");
    tcase_add_checked_fixture(tc, reset, NULL);
    tcase_add_test(tc, create_without_parents);
    tcase_add_test(tc, create_with_parents);
    tcase_add_loop_test(tc, create_fail_row, 0, TU_NELEMS(create_fail_rows));
    tcase_add_test(tc, create_existing);
    tcase_add_test(tc, create_clash_with_variable);
    tcase_add_test(tc, create_depth_limit);
    tcase_add_test(tc, remove_subtree);
    tcase_add_test(tc, rename_group);
    suite_add_tcase(s, tc);

    tc = tcase_create("move");
    tcase_add_checked_fixture(tc, reset, NULL);
    tcase_add_test(tc, move_reparent);
    tcase_add_test(tc, move_loops);
    tcase_add_test(tc, move_name_clash);
    tcase_add_test(tc, move_other_tree);
    tcase_add_test(tc, move_align_failure_all_or_nothing);
    suite_add_tcase(s, tc);

    tc = tcase_create("copy");
    tcase_add_checked_fixture(tc, reset, NULL);
    tcase_add_test(tc, copy_deep_into_other_tree);
    tcase_add_test(tc, copy_inherit);
    tcase_add_test(tc, copy_refusals);
    tcase_add_test(tc, copy_align_failure);
    tcase_add_test(tc, walk_order);
    suite_add_tcase(s, tc);

    tc = tcase_create("lazy");
    tcase_add_checked_fixture(tc, reset, NULL);
    tcase_add_test(tc, lazy_loads_once);
    tcase_add_test(tc, lazy_each_accessor_loads);
    tcase_add_test(tc, lazy_failure_kept);
    tcase_add_test(tc, lazy_failure_eager);
    tcase_add_test(tc, lazy_alignment);
    tcase_add_test(tc, lazy_dedup);
    tcase_add_test(tc, lazy_eager_and_walk);
    tcase_add_test(tc, lazy_copy_and_move);
    tcase_add_test(tc, lazy_threads);
    suite_add_tcase(s, tc);

    tc = tcase_create("alloc");
    tcase_add_checked_fixture(tc, reset, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, alloc_fail_loop);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(node_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
