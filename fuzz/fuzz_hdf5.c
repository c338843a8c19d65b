/* fuzz_hdf5.c: the HDF5 / netCDF-4 reader on a whole file held in memory
 * (HDF5's core driver over a file image), and the tree it builds walked.
 * Crashes inside libhdf5 itself are not ours to fix (dtree contains them
 * in a child process); fuzz/README.md says how they are told apart. */
#include "config.h"

#include "fuzz_util.h"
#include "io/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dt_open_opts opts = fuzz_open_opts();
    dt_tree *tree = NULL;

    if (dt__hdf5_open_image(&tree, "fuzz.h5", data, size, &opts) == DT_OK) {
        fuzz_walk(tree);
        dt_tree_free(tree);
    }
    dt_error_clear();
    return 0;
}
