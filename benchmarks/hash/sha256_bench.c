// Throughput of ptb's SHA-256 (Sources/CPTBHash, compiled -O2 as Package.swift does) on both of
// its paths, over a file's bytes held in memory. Prints "<path> <MB/s> <hex digest>".
#include "ptbhash.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double run(int accelerated, const unsigned char *b, size_t n, unsigned char d[32]) {
    ptb_sha256_ctx c;
    if (accelerated) ptb_sha256_init(&c); else ptb_sha256_init_portable(&c);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ptb_sha256_update(&c, b, n);
    ptb_sha256_final(&c, d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return n / ((t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9) / 1e6;
}

int main(int argc, char **argv) {
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 1; }
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(n), d[32];
    if (fread(b, 1, n, f) != n) { perror("read"); return 1; }
    for (int acc = 0; acc < 2; acc++) {
        if (acc && !ptb_sha256_cpu_accelerated()) { printf("sha-extensions unavailable\n"); continue; }
        double mbs = run(acc, b, n, d);
        printf("%s %.0f ", acc ? "ptb-sha-extensions" : "ptb-portable", mbs);
        for (int i = 0; i < 32; i++) printf("%02x", d[i]);
        printf("\n");
    }
    return 0;
}
