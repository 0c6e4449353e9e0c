/*
 * pte_smp - one hart rewrites a PTE that another hart's TLB holds, with
 * no fence (run with -smp 2; entry in runtime/smp_start.S).
 *
 * Hart 1 writes the leaf table l0 as plain data first (its TLB may then
 * write the page on the fast path). Hart 0 walks through l0 (a load with
 * MPRV and MPP = S under Sv39): l0 becomes a page table, which must take
 * the fast path away from hart 1 too. Hart 1 then remaps the page; hart
 * 0's next load through it must see the new frame (tcg/riscv/ptpage.c:
 * the TLB is never stale, so a flush at another time could never change
 * the answer).
 */
#include "priv.h"

#define RW (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)

#define VA         0x100000000UL
#define FRAME(i)   (0x80a00000UL + 0x1000UL * (i))
#define WAIT_LIMIT 200000000UL

static uint64_t root[512] __attribute__((aligned(4096)));
static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l0[512] __attribute__((aligned(4096)));
static volatile uint64_t step;

void smp_secondary_main(uint64_t hartid);

static uint64_t pte(uint64_t pa, uint64_t flags)
{
    return ((pa >> 12) << 10) | flags;
}

static bool wait_step(uint64_t want)
{
    for (unsigned long spins = 0; spins < WAIT_LIMIT; spins++) {
        if (step == want)
            return true;
    }
    return false;
}

/* A load at va translated for S (MPRV, MPP = S) from M-mode. */
static uint64_t load_as_s(uint64_t va)
{
    uint64_t v;

    RT_CSR_SET(mstatus, MSTATUS_MPRV | MSTATUS_MPP_S);
    asm volatile("ld %0, 0(%1)" : "=r"(v) : "r"(va) : "memory");
    RT_CSR_CLEAR(mstatus, MSTATUS_MPRV | MSTATUS_MPP);
    return v;
}

void smp_secondary_main(uint64_t hartid)
{
    if (hartid == 1) {
        for (unsigned k = 1; k < 512; k++)   /* data, for now */
            l0[k] = 0;
        l0[0] = pte(FRAME(0), RW);
        step = 1;
        if (wait_step(2)) {
            l0[0] = pte(FRAME(1), RW);   /* remap, no fence */
            step = 3;
        }
    }
    for (;;)
        asm volatile("wfi");
}

int main(void)
{
    *(volatile uint64_t *)FRAME(0) = 0xaaaa;
    *(volatile uint64_t *)FRAME(1) = 0xbbbb;
    l1[0] = pte((uintptr_t)l0, PTE_V);
    root[2] = pte(0x80000000UL, RW | PTE_X);
    root[4] = pte((uintptr_t)l1, PTE_V);
    /* PMP: S may access everything (the load's walk is an S access). */
    RT_CSR_WRITE(pmpaddr0, ~0UL);
    RT_CSR_WRITE(pmpcfg0, 0x1fUL);
    asm volatile("fence rw, rw" ::: "memory");
    MMIO32(CLINT_MSIP(1)) = 1;
    CHECK(wait_step(1));
    RT_CSR_WRITE(satp, (8UL << 60) | ((uintptr_t)root >> 12));
    asm volatile("sfence.vma" ::: "memory");
    CHECK_EQ(load_as_s(VA), 0xaaaa);
    CHECK_EQ(load_as_s(VA), 0xaaaa);
    step = 2;
    CHECK(wait_step(3));
    CHECK_EQ(load_as_s(VA), 0xbbbb);
    RT_CSR_WRITE(satp, 0);
    return rt_pass("pte_smp");
}
