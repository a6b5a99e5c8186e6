#ifndef PTBHASH_H
#define PTBHASH_H
#include <stddef.h>
#include <stdint.h>

/// SHA-256 (FIPS 180-4). ptb's only cryptographic need is this digest (content hashes of files,
/// weights and data), so it lives here instead of behind a whole TLS library's build.
typedef struct {
    uint32_t state[8];
    uint64_t bytes;
    unsigned char buffer[64];
    uint32_t used;
    /// 1: the x86 SHA extensions; 0: the portable rounds.
    int accelerated;
} ptb_sha256_ctx;

/// Starts a digest, using the CPU's SHA instructions where it has them.
void ptb_sha256_init(ptb_sha256_ctx *ctx);
/// Starts a digest that always uses the portable rounds (tests compare both paths).
void ptb_sha256_init_portable(ptb_sha256_ctx *ctx);
void ptb_sha256_update(ptb_sha256_ctx *ctx, const void *data, size_t len);
void ptb_sha256_final(ptb_sha256_ctx *ctx, unsigned char out[32]);
/// 1 when this CPU takes the SHA-extension path.
int ptb_sha256_cpu_accelerated(void);

#endif
