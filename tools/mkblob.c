/*
 * mkblob: a file of pseudo-random bytes, the same for the same arguments
 * (xorshift64*), for the web server's docroot: big enough to measure a
 * transfer, irregular enough that a misplaced segment shows in its hash.
 * Usage: mkblob out bytes [seed]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: mkblob out bytes [seed]\n");
        return 1;
    }
    uint64_t n = strtoull(argv[2], NULL, 0);
    uint64_t x = argc > 3 ? strtoull(argv[3], NULL, 0) : 0x56656e656572ull;
    FILE *f = fopen(argv[1], "wb");
    if (!f || !x) {
        fprintf(stderr, "mkblob: cannot create %s (or seed 0)\n", argv[1]);
        return 1;
    }
    for (uint64_t i = 0; i < n; i += 8) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        uint64_t v = x * 0x2545f4914f6cdd1dull;
        fwrite(&v, 1, n - i < 8 ? n - i : 8, f);
    }
    if (fclose(f)) {
        fprintf(stderr, "mkblob: write failed: %s\n", argv[1]);
        return 1;
    }
    return 0;
}
