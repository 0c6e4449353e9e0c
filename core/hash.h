/*
 * A fast 64-bit non-cryptographic hash for state comparison (checkpoints,
 * determinism checks). Defined on bytes, so it gives the same value on
 * every little-endian host. Incremental use:
 *
 *     CoreHash h;
 *     core_hash_init(&h);
 *     core_hash_update(&h, buf, len);   // any number of times
 *     uint64_t v = core_hash_final(&h);
 */
#ifndef CORE_HASH_H
#define CORE_HASH_H

#include "core/types.h"

typedef struct CoreHash {
    uint64_t lane[4];
    uint8_t tail[32];
    size_t tail_len;
    uint64_t total;
} CoreHash;

void core_hash_init(CoreHash *h);
void core_hash_update(CoreHash *h, const void *data, size_t len);
uint64_t core_hash_final(const CoreHash *h);
uint64_t core_hash_bytes(const void *data, size_t len);

#endif
