/* fuzz_zarr_store.c: a whole Zarr v2 or v3 store in memory (the input is
 * an archive of keys and values, fuzz_util.h), opened through the store
 * interface and walked: metadata, attributes, dims, codecs, sharding. */
#include "config.h"

#include "fuzz_util.h"
#include "io/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dt_open_opts opts = fuzz_open_opts();
    dt__store *s = NULL;
    dt_tree *tree = NULL;

    if (dt__store_mem_new(&s, "fuzz.zarr", &opts.limits) < 0)
        return 0;
    fuzz_unpack(s, data, size);
    /* the tree takes the store over, also on failure */
    if (dt__zarr_open_store(&tree, s, DT_FORMAT_AUTO, &opts) == DT_OK) {
        fuzz_walk(tree);
        dt_tree_free(tree);
    }
    dt_error_clear();
    return 0;
}
