/*
 * pte_loop - S-mode code that keeps changing its page tables without
 * sfence.vma, as Linux does (A bits cleared with an AMO, PTEs rewritten),
 * and sums what it sees through them.
 *
 * Any answer passes here (the spec allows the old or the new translation
 * until a fence); what matters is that the answer never depends on when
 * the host flushed its TLB: tests/replay/pte_replay_test.py records this
 * with different checkpoint intervals, seeks into it and verifies it, and
 * compares the final state with a plain run. The sum is printed so that a
 * difference shows on the console too.
 */
#include "priv.h"


#define VA_PAGE(i)  (0x100000000UL + 0x1000UL * (i))
#define FRAME(i)    (0x80a00000UL + 0x1000UL * (i))
#define NDATA       4    /* data pages, each remapped among NFRAMES */
#define NFRAMES     6
#define PG_CODE     8    /* code page, remapped between two frames */
#define ROUNDS      3000

static uint64_t root[512] __attribute__((aligned(4096)));
static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l0[512] __attribute__((aligned(4096)));

static uint64_t pte(uint64_t pa, uint64_t flags)
{
    return ((pa >> 12) << 10) | flags;
}

#define RW (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
#define RX (PTE_V | PTE_R | PTE_X | PTE_A)
#define INSN_LI_A0(v) (0x00000513u | ((uint32_t)(v) << 20))
#define INSN_RET      0x00008067u

static void setup(void)
{
    for (unsigned f = 0; f < NFRAMES; f++) {
        volatile uint64_t *p = (volatile uint64_t *)FRAME(f);
        for (unsigned k = 0; k < 512; k++)
            p[k] = 0x0101010101010101ULL * (f + 1) + k;
    }
    for (unsigned c = 0; c < 2; c++) {
        volatile uint32_t *p = (volatile uint32_t *)FRAME(NFRAMES + c);
        p[0] = INSN_LI_A0(100 + c);
        p[1] = INSN_RET;
    }
    asm volatile("fence.i" ::: "memory");
    for (unsigned i = 0; i < NDATA; i++)
        l0[i] = pte(FRAME(i), RW);
    l0[PG_CODE] = pte(FRAME(NFRAMES), RX);
    l1[0] = pte((uintptr_t)l0, PTE_V);
    root[2] = pte(0x80000000UL, RW | PTE_X);
    root[4] = pte((uintptr_t)l1, PTE_V);
    RT_CSR_WRITE(satp, (8UL << 60) | ((uintptr_t)root >> 12));
    asm volatile("sfence.vma" ::: "memory");
}

static uint64_t call(uint64_t va)
{
    register uint64_t a0 asm("a0") = 0;

    asm volatile("jalr ra, 0(%1)" : "+r"(a0) : "r"(va) : "ra", "memory");
    return a0;
}

/* In S-mode: ROUNDS rounds of loads, remaps, A-bit clears and calls. */
static uint64_t churn(uint64_t rounds)
{
    uint64_t sum = 0;
    uint64_t x = 12345;

    for (uint64_t r = 0; r < rounds; r++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned i = (x >> 33) % NDATA;
        unsigned f = (x >> 40) % NFRAMES;
        volatile uint64_t *v = (volatile uint64_t *)(VA_PAGE(i) + 8 * (r % 512));
        sum = sum * 31 + *v;
        l0[i] = pte(FRAME(f), RW);                  /* remap, no fence */
        sum = sum * 31 + *v;
        asm volatile("amoand.d zero, %0, (%1)"      /* age it */
                     : : "r"(~PTE_A), "r"(&l0[i]) : "memory");
        sum = sum * 31 + *v + ((l0[i] & PTE_A) ? 7 : 0);
        if (r % 7 == 0) {
            sum = sum * 31 + call(VA_PAGE(PG_CODE));
            l0[PG_CODE] = pte(FRAME(NFRAMES + (r / 7) % 2), RX);
            sum = sum * 31 + call(VA_PAGE(PG_CODE));
        }
    }
    return sum;
}

int main(void)
{
    priv_init();
    setup();
    uint64_t sum = priv_run(PRIV_S, churn, ROUNDS);
    RT_CSR_WRITE(satp, 0);
    rt_puts("pte_loop: sum ");
    rt_put_hex(sum);
    rt_puts("\n");
    return rt_pass("pte_loop");
}
