/*
 * The state hash function (core/hash.h) is part of the trace format: the
 * hashes in every CHECKPOINT and END event were computed with it, so it
 * must never change. Values recorded from the implementation that wrote
 * the first traces, for lengths around its 32-byte stripes and a page;
 * and any split into updates gives the one-shot value.
 */
#include "core/hash.h"
#include "tests/unit/check.h"

#include <inttypes.h>
#include <stdio.h>

static const struct {
    size_t len;
    uint64_t hash;
} known[] = {
    { 0, 0x4a9fba2a51c55f05ull },
    { 1, 0xef841303ddd875ecull },
    { 7, 0x9d75b86e0f180891ull },
    { 31, 0xb9f05496ae084972ull },
    { 32, 0x1ed470457955f5f7ull },
    { 33, 0xa72b1136ea8ea95bull },
    { 64, 0x029e09b75d99bbb1ull },
    { 100, 0x816b377e09012967ull },
    { 4096, 0x9b65f639e429145aull },
    { 4097, 0x57aa73cb18025328ull },
    { 4200, 0xffe9d1048398456bull },
};

int main(void)
{
    static uint8_t buf[4200];
    for (unsigned i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)(i * 131u + 7u);
    }
    for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
        uint64_t h = core_hash_bytes(buf, known[k].len);
        CHECK(h == known[k].hash, "%zu bytes: %016" PRIx64 ", recorded "
              "traces have %016" PRIx64, known[k].len, h, known[k].hash);
    }
    /* Every split of 4200 bytes into two updates, and one in 1..64-byte
       steps: the same value. */
    unsigned bad = 0;
    for (size_t cut = 0; cut <= sizeof(buf); cut++) {
        CoreHash h;
        core_hash_init(&h);
        core_hash_update(&h, buf, cut);
        core_hash_update(&h, buf + cut, sizeof(buf) - cut);
        bad += core_hash_final(&h) != known[10].hash;
    }
    CHECK(bad == 0, "%u of 4201 two-part splits differ", bad);
    CoreHash h;
    core_hash_init(&h);
    for (size_t at = 0, step = 1; at < sizeof(buf); at += step, step = step % 64 + 1) {
        size_t n = sizeof(buf) - at < step ? sizeof(buf) - at : step;
        core_hash_update(&h, buf + at, n);
    }
    CHECK(core_hash_final(&h) == known[10].hash, "uneven updates");
    return check_done("hash");
}
