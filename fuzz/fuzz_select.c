/* fuzz_select.c: the `dtree cat` selection parser ("[0:10:2, -1, ...]")
 * against a variable whose shape comes from the input, and the label and
 * position indexers of `dtree query --isel/--sel` ("time=0:10"). Byte 0: the
 * rank (0-4, its bit 7: nearest labels); then one byte per axis (its size,
 * 255: 2^40); the rest is the text. The indexers are applied to the tree
 * (dt_tree_select), where t has an index coordinate with CF time units. */
#include "config.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const dims[] = {"t", "z", "y", "x"};
    dt_tree *tree = NULL;
    dt_var *var = NULL;
    dt_indexers *ix = NULL;
    dt_selection sel;
    uint64_t shape[4];
    size_t ndim;
    unsigned sel0;
    char *text;

    if (size < 1)
        return 0;
    sel0 = data[0];
    ndim = sel0 % 5;
    if (size < 1 + ndim)
        return 0;
    for (size_t i = 0; i < ndim; i++)
        shape[i] = data[1 + i] == 255 ? UINT64_C(1) << 40 : data[1 + i];
    data += 1 + ndim;
    size -= 1 + ndim;
    text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (dt_tree_new(&tree) == DT_OK &&
        dt_node_add_var(&var, dt_tree_root(tree), "v", DT_FLOAT64, ndim, dims, shape) ==
            DT_OK &&
        dt_selection_parse(&sel, var, text) == DT_OK) {
        dt_slab slab = dt_selection_slab(&sel);
        uint64_t n;

        (void)dt_slab_nelems(&n, var, &slab);
    }
    dt_error_clear();
    /* an index coordinate for t, with CF time units: labels are dates */
    if (tree && ndim >= 1 && shape[0] <= 254) {
        static const char *const units[] = {"days since 2000-01-01"};
        double t[254];
        dt_var *tv = NULL;

        for (size_t i = 0; i < shape[0]; i++)
            t[i] = (double)i * 1.5;
        if (dt_node_add_var(&tv, dt_tree_root(tree), "t", DT_FLOAT64, 1, dims, shape) ==
                DT_OK) {
            (void)dt_var_set_data(tv, DT_FLOAT64, t, (size_t)shape[0]);
            (void)dt_attrs_set(dt_var_attrs(tv), "units", DT_STRING, 1, units, 0);
        }
    }
    dt_error_clear();
    for (unsigned how = DT_BY_POSITION; how <= DT_BY_LABEL; how++) {
        if (dt_indexers_new(&ix) < 0)
            break;
        /* as dtree query --isel / --sel: resolved in every group */
        if (dt_indexers_add(ix, text, how) == DT_OK && tree) {
            dt_select_opts so = DT_SELECT_OPTS_INIT;
            dt_tree *sub = NULL;

            so.method = sel0 & 0x80 ? DT_SEL_NEAREST : DT_SEL_EXACT;
            if (dt_tree_select(&sub, dt_tree_root(tree), ix, &so) == DT_OK)
                dt_tree_free(sub);
        }
        dt_indexers_free(ix);
        dt_error_clear();
    }
    dt_tree_free(tree);
    free(text);
    dt_error_clear();
    return 0;
}
