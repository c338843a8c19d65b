/* fuzz_select.c: the `dtree cat` selection parser ("[0:10:2, -1, ...]")
 * against a variable whose shape comes from the input, and the label and
 * position indexers of `dtree cat --isel/--sel` ("time=0:10"). Byte 0: the
 * rank (0-4); then one byte per axis (its size); the rest is the text. */
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
    char *text;

    if (size < 1)
        return 0;
    ndim = data[0] % 5;
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
    if (dt_indexers_new(&ix) == DT_OK) {
        (void)dt_indexers_add(ix, text, DT_BY_POSITION);
        (void)dt_indexers_add(ix, text, DT_BY_LABEL);
        dt_indexers_free(ix);
    }
    dt_tree_free(tree);
    free(text);
    dt_error_clear();
    return 0;
}
