/* testutil.h: helpers the unit tests share: small trees in one call,
 * 1-D variables with values, error assertions, tree dumps for
 * all-or-nothing checks, and temporary directories. */
#ifndef DT_TESTUTIL_H
#define DT_TESTUTIL_H

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "dtree.h"

/* A new tree with the given groups (a NULL-terminated list of paths, each
 * created with DT_CREATE_PARENTS | DT_CREATE_EXISTING). tu_tree(NULL) is
 * an empty tree. Fails the test on any error. */
dt_tree *tu_tree(const char *path, ...);

/* The group at path (absolute or relative to the root); fails the test if
 * there is none. */
dt_node *tu_node(const dt_tree *tree, const char *path);

/* Add a 1-D variable name(dim) of type `type` with n values given in
 * memory type `mem` (vals may be NULL: no data). A variable named like its
 * dimension becomes its index coordinate. Fails the test on error. */
dt_var *tu_var1(dt_node *node, const char *name, const char *dim,
                dt_type type, size_t n, dt_type mem, const void *vals);
/* The same with int64 or double values stored as int64 / float64. */
dt_var *tu_var_i64(dt_node *node, const char *name, const char *dim,
                   size_t n, const int64_t *vals);
dt_var *tu_var_f64(dt_node *node, const char *name, const char *dim,
                   size_t n, const double *vals);

/* The variable at path from the root; fails the test if there is none. */
dt_var *tu_var(const dt_tree *tree, const char *path);

/* Read a whole variable as int64 / float64 into buf (n elements); fails
 * the test unless the read succeeds with exactly n elements. */
void tu_read_i64(const dt_var *var, int64_t *buf, size_t n);
void tu_read_f64(const dt_var *var, double *buf, size_t n);

/* A text dump of the subtree at node: paths, cut flags, dimensions,
 * variables (dims, type, shape, flags, values) and attributes, in order.
 * Two equal dumps mean an unchanged tree. Owned: free with free(). */
char *tu_dump(const dt_node *node);

/* A fresh directory under $DT_TMPDIR (set by `make check`), else under
 * /tmp. Owned string; tu_rmtree removes the directory and its content. */
char *tu_tmpdir(const char *prefix);
void tu_rmtree(const char *dir);

/* The message of this thread's last error contains `needle`. */
#define tu_assert_msg_has(needle)                                           \
    do {                                                                    \
        const char *tu_m_ = dt_error_last()->message;                       \
        const char *tu_n_ = (needle);                                       \
        ck_assert_msg(tu_m_ && strstr(tu_m_, tu_n_) != NULL,                \
                      "error message \"%s\" lacks \"%s\"",                  \
                      tu_m_ ? tu_m_ : "(null)", tu_n_);                     \
    } while (0)

/* expr returns `code`; for a failure, dt_error_last() carries the same code
 * and its message contains `needle` (NULL: not checked). */
#define tu_assert_rc(expr, want_code, needle)                                    \
    do {                                                                    \
        int tu_rc_ = (expr);                                                \
        int tu_want_ = (want_code);                                              \
        const char *tu_nd_ = (needle);                                      \
        ck_assert_msg(tu_rc_ == tu_want_, "%s returned %s, expected %s (%s)", \
                      #expr, dt_strerror_name(tu_rc_),                      \
                      dt_strerror_name(tu_want_), dt_error_last()->message); \
        if (tu_want_ != DT_OK) {                                            \
            ck_assert_int_eq(dt_error_last()->code, tu_want_);              \
            if (tu_nd_)                                                     \
                tu_assert_msg_has(tu_nd_);                                  \
        }                                                                   \
    } while (0)

#define tu_assert_ok(expr) tu_assert_rc(expr, DT_OK, NULL)

/* The group's absolute path is `want`. */
#define tu_assert_path(node, want)                                          \
    do {                                                                    \
        char *tu_p_ = NULL;                                                 \
        ck_assert_int_eq(dt_node_path(&tu_p_, (node)), DT_OK);              \
        ck_assert_str_eq(tu_p_, (want));                                    \
        dt_free(tu_p_);                                                     \
    } while (0)

#define TU_NELEMS(a) (sizeof (a) / sizeof *(a))

#endif /* DT_TESTUTIL_H */
