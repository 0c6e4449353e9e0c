/*
 * smc_dma - a device's DMA into the code of a loop that is running:
 * virtio-rng completes a request during the loop's own MMIO store (the
 * notify) and writes its used-ring element over instructions of the loop
 * (smc_dma_asm.S). Run with
 *     -device virtio-rng-device
 * The loop must run exactly as the interpreter runs it: the iteration in
 * progress with the old code, every later one with the new code, for a
 * write early in the run, while the JIT translates the block, and long
 * after it is translated (the JIT's self-loop back edge must be undone
 * by the write).
 */
#include "rt.h"
#include "virtio_mmio.h"

#define RNG (0x10001000UL + 0x1000UL * 7)   /* the last transport */
#define QN 32
#define HEAD 19                          /* 0x13: addi zero, zero, 0 */

uint64_t smc_dma_loop(uint64_t mmio, volatile uint16_t *avail_idx,
                      uint64_t n, uint64_t k);
extern uint32_t smc_dma_used[];
extern uint32_t smc_dma_insns[];

static struct desc ring_desc[QN] __attribute__((aligned(16)));
static volatile struct {
    uint16_t flags, idx, ring[QN], used_event;
} avail __attribute__((aligned(2)));
static uint8_t buf[HEAD];

static uint32_t rd(unsigned off)
{
    return *(volatile uint32_t *)(RNG + off);
}

static void wr(unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(RNG + off) = v;
}

/* Reset the device and set queue 0 up with its used ring on the loop's
   code; one request posted (head HEAD, HEAD bytes), not yet available. */
static void setup(void)
{
    wr(STATUS, 0);
    wr(STATUS, S_ACK | S_DRIVER);
    wr(DRV_FEAT_SEL, 1);
    wr(DRV_FEAT, 1);                                /* VERSION_1 */
    wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
    CHECK(rd(STATUS) & S_FEATURES_OK);
    wr(QUEUE_SEL, 0);
    CHECK(rd(QUEUE_NUM_MAX) >= QN);
    wr(QUEUE_NUM, QN);
    wr(DESC_LO, (uint32_t)(uintptr_t)ring_desc);
    wr(DESC_HI, 0);
    wr(DRIVER_LO, (uint32_t)(uintptr_t)&avail);
    wr(DRIVER_HI, 0);
    wr(DEVICE_LO, (uint32_t)(uintptr_t)smc_dma_used);
    wr(DEVICE_HI, 0);
    wr(QUEUE_READY, 1);
    wr(STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
    ring_desc[HEAD] = (struct desc){ (uintptr_t)buf, sizeof(buf), F_WRITE, 0 };
    avail.flags = 1;                                /* no interrupt */
    avail.ring[0] = HEAD;
    avail.idx = 0;
}

int main(void)
{
    volatile uint32_t *code = smc_dma_insns;
    const uint32_t add1 = code[0], add16 = code[1];
    const uint32_t hdr = smc_dma_used[0];
    CHECK_EQ(hdr >> 16, 1);        /* idx = 1 leaves the instruction */
    /* k: the iteration whose notify rewrites the loop; the run starts
       with the code as assembled each time. */
    static const uint64_t ks[] = { 0, 1, 2, 15, 16, 17, 100, 999 };
    for (unsigned i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
        uint64_t k = ks[i];
        code[0] = add1;
        code[1] = add16;
        asm volatile("fence.i" ::: "memory");
        setup();
        CHECK_EQ(smc_dma_loop(RNG, &avail.idx, 1000, k), 17 * (k + 1));
        CHECK_EQ(code[0], HEAD);
        CHECK_EQ(code[1], HEAD);
        CHECK_EQ(smc_dma_used[0], hdr);
        CHECK_EQ(rd(STATUS) & S_NEEDS_RESET, 0);
    }
    return rt_pass("smc_dma");
}
