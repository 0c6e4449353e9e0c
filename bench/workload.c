/*
 * workload.c - the cpu-mix benchmark as a bare-metal guest program.
 *
 * Runs the kernels of kernels.h (CRC-32, heapsort, sieve, integer matrix
 * multiply, FNV-style hashing), prints each checksum next to the host's
 * reference value from expected.h and the instret delta it took, and
 * passes only if every checksum matches.  minstret is an exact instruction
 * count on rewind (and on QEMU with -icount); on plain QEMU it counts host
 * ticks, so treat the numbers accordingly.  bench/run.sh times it.
 */
#include "rt.h"
#include "kernels.h"
#include "expected.h"

static uint8_t buf[BENCH_CRC_BYTES];
static uint32_t sort_buf[BENCH_SORT_N];
static uint8_t sieve_buf[BENCH_SIEVE_N];
static uint32_t mat_a[BENCH_MAT_N * BENCH_MAT_N];
static uint32_t mat_b[BENCH_MAT_N * BENCH_MAT_N];
static uint32_t mat_c[BENCH_MAT_N * BENCH_MAT_N];

static uint64_t instret(void)
{
    uint64_t v;

    asm volatile("rdinstret %0" : "=r"(v));
    return v;
}

static int report(const char *name, uint32_t got, uint32_t want,
                  uint64_t start)
{
    uint64_t n = instret() - start;

    rt_puts("cpu-mix: ");
    rt_puts(name);
    rt_puts(" checksum ");
    rt_put_hex(got);
    rt_puts(got == want ? " ok" : " MISMATCH, expected ");
    if (got != want)
        rt_put_hex(want);
    rt_puts(" instret ");
    rt_put_dec(n);
    rt_putc('\n');
    return got != want;
}

int main(void)
{
    uint64_t t0 = instret(), t;
    int bad = 0;

    t = instret();
    bad += report("crc32 ", bench_crc32(buf, BENCH_CRC_BYTES, BENCH_CRC_ROUNDS),
                  BENCH_EXPECT_CRC32, t);
    t = instret();
    bad += report("sort  ", bench_sort(sort_buf, BENCH_SORT_N, BENCH_SORT_ROUNDS),
                  BENCH_EXPECT_SORT, t);
    t = instret();
    bad += report("sieve ", bench_sieve(sieve_buf, BENCH_SIEVE_N,
                                        BENCH_SIEVE_ROUNDS),
                  BENCH_EXPECT_SIEVE, t);
    t = instret();
    bad += report("matmul", bench_matmul(mat_a, mat_b, mat_c, BENCH_MAT_N,
                                         BENCH_MAT_ROUNDS),
                  BENCH_EXPECT_MATMUL, t);
    t = instret();
    bad += report("hash  ", bench_hash(buf, BENCH_HASH_BYTES, BENCH_HASH_ROUNDS),
                  BENCH_EXPECT_HASH, t);

    rt_puts("cpu-mix: total instret ");
    rt_put_dec(instret() - t0);
    rt_putc('\n');
    rt_puts(bad ? "cpu-mix: FAIL\n" : "cpu-mix: PASS\n");
    return bad;
}
