/* fuzz_zarr_meta.c: one Zarr metadata document. Built twice: with
 * FUZZ_ZARR_V3 the input is an array's zarr.json (codecs, chunk grid,
 * chunk key encoding, sharding, fill value, dimension names, attributes),
 * else a v2 .zarray (dtype, compressor, filters, fill value, order and,
 * from the same document as .zattrs, dimension names); then the document
 * as a group's attributes. */
#include "config.h"

#include <json-c/json.h>

#include "fuzz_util.h"
#include "io/zarr/zarr_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dt_open_opts opts = fuzz_open_opts();
    dt__bytes text = {(unsigned char *)(uintptr_t)data, size};
    struct json_object *doc = NULL;
    dt__zarray *a = NULL;
    dt_tree *tree = NULL;

#ifdef FUZZ_ZARR_V3
    const char *key = "v/zarr.json";
#else
    const char *key = "v/.zarray";
#endif
    if (dt__zj_parse(&doc, &text, &opts.limits, "fuzz.zarr", key) < 0) {
        dt_error_clear();
        return 0;
    }
#ifdef FUZZ_ZARR_V3
    if (dt__zarr_v3_array(&a, "v", "v/", doc, &opts.limits, "fuzz.zarr") == DT_OK)
        dt__zarray_free(a);
#else
    if (dt__zarr_v2_array(&a, "v", "v/", doc, doc, &opts.limits, "fuzz.zarr") == DT_OK)
        dt__zarray_free(a);
#endif
    dt_error_clear();
    /* the same document as a group's attributes */
    if (dt_tree_new(&tree) == DT_OK) {
        (void)dt__zarr_set_attrs(dt_node_attrs(dt_tree_root(tree)), doc, NULL, NULL,
                                 &opts.limits, "fuzz.zarr", "/");
        fuzz_attrs(dt_node_attrs(dt_tree_root(tree)));
        dt_tree_free(tree);
    }
    dt_error_clear();
    json_object_put(doc);
    return 0;
}
