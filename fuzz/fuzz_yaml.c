/* fuzz_yaml.c: the YAML tree reader (dtree-manifest/1 documents with
 * values) on one document in memory, and the tree it builds walked. */
#include "config.h"

#include "fuzz_util.h"
#include "io/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dt_open_opts opts = fuzz_open_opts();
    dt_tree *tree = NULL;

    if (dt__yaml_open_mem(&tree, "fuzz.yaml", (const char *)data, size, &opts) == DT_OK) {
        fuzz_walk(tree);
        dt_tree_free(tree);
    }
    dt_error_clear();
    return 0;
}
