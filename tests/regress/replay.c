/* replay.c: a main for a fuzz harness (fuzz/fuzz_*.c) outside libFuzzer:
 * runs LLVMFuzzerTestOneInput on every file named, one after another, so
 * `make check` replays what the fuzzers found (tests/regress/inputs/HARNESS/)
 * with the ordinary build, and with ASan+UBSan in the sanitizer build.
 * Usage: replay_HARNESS FILE... ; exit 0 when every file ran. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *buf = NULL, *p;
    size_t cap = 0, n = 0, got;

    if (!fp)
        return NULL;
    do {
        if (n == cap) {
            cap = cap ? 2 * cap : 65536;
            p = realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(fp);
                return NULL;
            }
            buf = p;
        }
        got = fread(buf + n, 1, cap - n, fp);
        n += got;
    } while (got > 0);
    if (ferror(fp)) {
        free(buf);
        buf = NULL;
    }
    fclose(fp);
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        size_t len = 0;
        unsigned char *data = slurp(argv[i], &len);

        if (!data) {
            fprintf(stderr, "replay: cannot read %s\n", argv[i]);
            return 2;
        }
        LLVMFuzzerTestOneInput(data, len);
        free(data);
    }
    return 0;
}
