/*
 * smc_dma_asm.S - a loop whose own code a device rewrites by DMA while the
 * loop runs (smc_dma.c drives the device).
 *
 * uint64_t smc_dma_loop(uint64_t mmio, volatile uint16_t *avail_idx,
 *                       uint64_t n, uint64_t k)
 *
 * runs n iterations of one block that jumps to its own start. Each
 * iteration stores avail.idx (0 before iteration k, 1 from it on) and
 * notifies the virtio-rng transport at `mmio`: at iteration k the device
 * takes the one request the driver posted and writes its used-ring
 * element {id, len} -- during the MMIO store, without leaving the block --
 * over the two `addi a0` that follow the store in the same block
 * (smc_dma_used is the used ring the driver gives the device). The driver
 * chooses id = len = 19 = 0x13, `addi zero, zero, 0`: from then on the
 * two instructions do nothing.
 *
 * As the interpreter runs it, the iteration in progress ends with the
 * code it started with (the block's decoded copy) and the next one runs
 * the new code: a0 = 17 * (k + 1). A back edge still linked to the old
 * translation would give 17 * n; new code already in iteration k,
 * 17 * k.
 */
    .text
    .globl smc_dma_loop
    .globl smc_dma_used
    .globl smc_dma_insns
    .balign 64
smc_dma_loop:
    .option push
    .option norvc
    mv      t0, a0
    li      a0, 0
    li      t1, 0
1:  sltu    t2, t1, a3
    xori    t2, t2, 1
    sh      t2, 0(a1)
    sw      zero, 0x50(t0)      /* QueueNotify */
/* The used ring's flags and idx: the device writes idx = 1 (bytes 01 00)
   over the upper half of `mv t3, sp`, which is 0x0001 already. */
smc_dma_used:
    mv      t3, sp
smc_dma_insns:
    addi    a0, a0, 1           /* used.ring[0].id */
    addi    a0, a0, 16          /* used.ring[0].len */
    addi    t1, t1, 1
    bltu    t1, a2, 1b
    ret
    .option pop
