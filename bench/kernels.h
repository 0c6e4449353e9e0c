/*
 * kernels.h - the CPU-bound integer kernels of the cpu-mix benchmark.
 *
 * Plain C that compiles unchanged for the host (expected_host.c computes
 * the reference checksums) and for the bare-metal guest (workload.c), so
 * both must agree bit for bit: only fixed-width unsigned arithmetic, no
 * undefined behaviour, no `char` signedness, no floating point.  Every
 * kernel fills its own input from a seeded LCG and returns a 32-bit
 * checksum.  The caller provides the (large) buffers.
 *
 *     static uint8_t buf[BENCH_CRC_BYTES];
 *     uint32_t c = bench_crc32(buf, BENCH_CRC_BYTES, BENCH_CRC_ROUNDS);
 */
#ifndef BENCH_KERNELS_H
#define BENCH_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Sizes chosen for about 2.6e9 guest instructions (QEMU -icount count) in total. */
#define BENCH_CRC_BYTES    (256u * 1024u)
#define BENCH_SORT_N       200000u
#define BENCH_SIEVE_N      (2u * 1024u * 1024u)
#define BENCH_MAT_N        96u
#define BENCH_HASH_BYTES   BENCH_CRC_BYTES
/* Rounds of each kernel: the benchmark's, and one each for the smoke
   workload (-DBENCH_SMOKE, about 10^8 instructions) that the bench-run
   test times bench/run.sh with. */
#define BENCH_FULL_ROUNDS  { 160u, 7u, 12u, 80u, 400u }
#define BENCH_SMOKE_ROUNDS { 1u, 1u, 1u, 1u, 1u }
#ifdef BENCH_SMOKE
#define BENCH_CRC_ROUNDS   1u
#define BENCH_SORT_ROUNDS  1u
#define BENCH_SIEVE_ROUNDS 1u
#define BENCH_MAT_ROUNDS   1u
#define BENCH_HASH_ROUNDS  1u
#else
#define BENCH_CRC_ROUNDS   160u
#define BENCH_SORT_ROUNDS  7u
#define BENCH_SIEVE_ROUNDS 12u
#define BENCH_MAT_ROUNDS   80u
#define BENCH_HASH_ROUNDS  400u
#endif

static inline uint32_t bench_lcg(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(*state >> 33);
}

static inline void bench_fill(uint8_t *buf, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(bench_lcg(&seed) >> 7);
}

/* CRC-32 (IEEE, reflected, table-driven), chained over rounds. */
static inline uint32_t bench_crc32(uint8_t *buf, size_t n, uint32_t rounds)
{
    uint32_t table[256];
    uint32_t crc = 0;

    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;

        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    bench_fill(buf, n, 0x1234);
    for (uint32_t r = 0; r < rounds; r++) {
        crc = ~crc;
        for (size_t i = 0; i < n; i++)
            crc = table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
        crc = ~crc;
        buf[r % n] ^= (uint8_t)crc;
    }
    return crc;
}

static inline void bench_sift_down(uint32_t *a, size_t start, size_t end)
{
    size_t root = start;

    while (2 * root + 1 < end) {
        size_t child = 2 * root + 1;

        if (child + 1 < end && a[child] < a[child + 1])
            child++;
        if (a[root] >= a[child])
            return;
        uint32_t t = a[root];
        a[root] = a[child];
        a[child] = t;
        root = child;
    }
}

/* Heapsort of LCG data; checksum mixes positions, 0 if not sorted. */
static inline uint32_t bench_sort(uint32_t *a, size_t n, uint32_t rounds)
{
    uint64_t seed = 0xabcdef;
    uint32_t sum = 0;

    for (uint32_t r = 0; r < rounds; r++) {
        for (size_t i = 0; i < n; i++)
            a[i] = bench_lcg(&seed);
        for (size_t i = n / 2; i-- > 0;)
            bench_sift_down(a, i, n);
        for (size_t end = n - 1; end > 0; end--) {
            uint32_t t = a[0];
            a[0] = a[end];
            a[end] = t;
            bench_sift_down(a, 0, end);
        }
        for (size_t i = 1; i < n; i++) {
            if (a[i - 1] > a[i])
                return 0;
        }
        for (size_t i = 0; i < n; i += 7)
            sum = sum * 31u + (a[i] ^ (uint32_t)i);
    }
    return sum;
}

/* Sieve of Eratosthenes on bytes: prime count and a sum of the primes. */
static inline uint32_t bench_sieve(uint8_t *flags, uint32_t n, uint32_t rounds)
{
    uint32_t result = 0;

    for (uint32_t r = 0; r < rounds; r++) {
        uint32_t limit = n - r * 4099u;
        uint32_t count = 0, sum = 0;

        for (uint32_t i = 0; i < limit; i++)
            flags[i] = 1;
        flags[0] = flags[1] = 0;
        for (uint32_t i = 2; (uint64_t)i * i < limit; i++) {
            if (!flags[i])
                continue;
            for (uint32_t j = i * i; j < limit; j += i)
                flags[j] = 0;
        }
        for (uint32_t i = 0; i < limit; i++) {
            if (flags[i]) {
                count++;
                sum += i;
            }
        }
        result = result * 0x9e3779b1u + count * 65599u + sum;
    }
    return result;
}

/* Integer matrix product c = a * b (mod 2^32), fed back into a. */
static inline uint32_t bench_matmul(uint32_t *a, uint32_t *b, uint32_t *c,
                                    uint32_t n, uint32_t rounds)
{
    uint64_t seed = 0x5eed;
    uint32_t sum = 0;

    for (uint32_t i = 0; i < n * n; i++) {
        a[i] = bench_lcg(&seed) & 0xffff;
        b[i] = bench_lcg(&seed) & 0xffff;
    }
    for (uint32_t r = 0; r < rounds; r++) {
        for (uint32_t i = 0; i < n; i++) {
            for (uint32_t j = 0; j < n; j++) {
                uint32_t acc = 0;

                for (uint32_t k = 0; k < n; k++)
                    acc += a[i * n + k] * b[k * n + j];
                c[i * n + j] = acc;
            }
        }
        for (uint32_t i = 0; i < n * n; i++) {
            sum += c[i] * (i + 1);
            a[i] = (c[i] >> 3) ^ r;
        }
    }
    return sum;
}

/* FNV-1a (64-bit) with a murmur-style finaliser, chained over rounds. */
static inline uint32_t bench_hash(uint8_t *buf, size_t n, uint32_t rounds)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    bench_fill(buf, n, 0x4242);
    for (uint32_t r = 0; r < rounds; r++) {
        for (size_t i = 0; i < n; i++) {
            h ^= buf[i];
            h *= 0x100000001b3ULL;
        }
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 33;
        buf[h % n] ^= (uint8_t)(h >> 8);
    }
    return (uint32_t)(h ^ (h >> 32));
}

#endif
