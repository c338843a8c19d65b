/* make_big.c: write a netCDF-4 file with one float32 variable of a given
 * size, made up on the fly (a smooth field plus noise, so that it
 * compresses like measured data), for the atomic-write test and the
 * conversion benchmark. Usage: make_big PATH MIB [DEFLATE [SHUFFLE]] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "dtree.h"

typedef struct field {
    uint64_t cols, plane;
} field;

static int field_read(void *ctx, const dt_var *var, const uint64_t *start,
                      const uint64_t *count, const uint64_t *stride, void *buf)
{
    const field *f = ctx;
    float *out = buf;
    size_t k = 0;

    (void)var;
    (void)stride;
    for (uint64_t t = 0; t < count[0]; t++)
        for (uint64_t i = 0; i < count[1]; i++)
            for (uint64_t j = 0; j < count[2]; j++) {
                uint64_t x = (start[0] + t) * f->plane + (start[1] + i) * f->cols +
                             start[2] + j;
                uint32_t h = (uint32_t)(x * 2654435761u);

                out[k++] = (float)((start[1] + i + start[2] + j + start[0] + t) % 512) *
                               0.125f + (float)(h >> 24) * 0.001f;
            }
    return DT_OK;
}

static void field_free(void *ctx)
{
    (void)ctx;
}

int main(int argc, char **argv)
{
    static const dt_source_ops ops = {1, field_read, NULL, field_free};
    static field f = {512, 512 * 512};
    dt_write_opts o = DT_WRITE_OPTS_INIT;
    dt_tree *t = NULL;
    dt_var *v = NULL;
    const char *dims[3] = {"time", "y", "x"};
    uint64_t shape[3] = {0, 512, 512}, chunks[3] = {4, 512, 512};
    long mib;

    if (argc < 3 || (mib = strtol(argv[2], NULL, 10)) < 1) {
        fprintf(stderr, "usage: make_big PATH MIB [DEFLATE [SHUFFLE]]\n");
        return 2;
    }
    shape[0] = (uint64_t)mib; /* 512 x 512 float32 = 1 MiB per step */
    o.force = 1;
    o.deflate = argc > 3 ? atoi(argv[3]) : -1;
    o.shuffle = argc > 4 && atoi(argv[4]) ? 1 : -1;
    if (dt_tree_new(&t) < 0 ||
        dt_node_add_var(&v, dt_tree_root(t), "field", DT_FLOAT32, 3, dims, shape) < 0 ||
        dt_var_set_chunks(v, chunks) < 0 || dt_var_set_source(v, &ops, &f) < 0 ||
        dt_tree_write(t, argv[1], DT_FORMAT_NETCDF4, &o) < 0) {
        fprintf(stderr, "make_big: %s\n", dt_error_last()->message);
        dt_tree_free(t);
        return 1;
    }
    dt_tree_free(t);
    return 0;
}
