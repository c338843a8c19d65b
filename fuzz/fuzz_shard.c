/* fuzz_shard.c: one shard of a Zarr v3 sharding_indexed array: the index
 * (offset, nbytes pairs with its crc32c, at the start or the end) and the
 * inner chunks it points at. Byte 0 picks the array's metadata (index
 * place, inner codecs, nested sharding); the rest is the shard's bytes. */
#include "config.h"

#include <stdio.h>

#include "fuzz_util.h"
#include "io/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEAD "{\"zarr_format\": 3, \"node_type\": \"array\", \"shape\": [8, 6], " \
    "\"data_type\": \"%s\", \"chunk_grid\": {\"name\": \"regular\", \"configuration\": " \
    "{\"chunk_shape\": [8, 6]}}, \"chunk_key_encoding\": {\"name\": \"default\"}, " \
    "\"fill_value\": 0, \"codecs\": [{\"name\": \"sharding_indexed\", \"configuration\": " \
    "{\"chunk_shape\": [%s], \"index_location\": \"%s\", \"index_codecs\": " \
    "[{\"name\": \"bytes\", \"configuration\": {\"endian\": \"%s\"}}%s], \"codecs\": [%s]}}]}"

#define GROUP "{\"zarr_format\": 3, \"node_type\": \"group\"}"

static const char *const inner[] = {
    "{\"name\": \"bytes\", \"configuration\": {\"endian\": \"little\"}}",
    "{\"name\": \"bytes\", \"configuration\": {\"endian\": \"big\"}}, {\"name\": \"gzip\"}",
    "{\"name\": \"bytes\"}, {\"name\": \"zstd\"}",
    "{\"name\": \"transpose\", \"configuration\": {\"order\": [1, 0]}}, {\"name\": \"bytes\"}, "
        "{\"name\": \"crc32c\"}",
    /* nested: the inner chunks are shards themselves */
    "{\"name\": \"sharding_indexed\", \"configuration\": {\"chunk_shape\": [1, 3], "
        "\"codecs\": [{\"name\": \"bytes\"}], \"index_codecs\": [{\"name\": \"bytes\"}]}}"
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dt_open_opts opts = fuzz_open_opts();
    dt__store *s = NULL;
    dt_tree *tree = NULL;
    char meta[2048];
    unsigned sel;

    if (size < 1)
        return 0;
    sel = data[0];
    snprintf(meta, sizeof meta, HEAD, sel & 0x40 ? "float64" : "int16",
             sel & 0x80 ? "2, 3" : "4, 2", sel & 1 ? "start" : "end",
             sel & 2 ? "big" : "little", sel & 4 ? ", {\"name\": \"crc32c\"}" : "",
             inner[(sel >> 3 & 7) % (sizeof inner / sizeof inner[0])]);
    if (dt__store_mem_new(&s, "fuzz.zarr", &opts.limits) < 0)
        return 0;
    if (dt__store_set(s, "zarr.json", GROUP, strlen(GROUP)) < 0 ||
        dt__store_set(s, "v/zarr.json", meta, strlen(meta)) < 0 ||
        dt__store_set(s, "v/c/0/0", data + 1, size - 1) < 0) {
        dt__store_close(s);
        dt_error_clear();
        return 0;
    }
    if (dt__zarr_open_store(&tree, s, DT_FORMAT_ZARR3, &opts) == DT_OK) {
        fuzz_walk(tree);
        dt_tree_free(tree);
    }
    dt_error_clear();
    return 0;
}
