/*
 * priv_vm - Sv39 and Sv48 address translation (privileged spec v1.12,
 * 4.3-4.5, 4.1.11 satp, 3.1.6.3 MPRV/SUM/MXR).
 *
 * The test builds its own page tables (all 4 KiB aligned, in .bss):
 *     root39a  Sv39 root, RAM identity-mapped for S (U = 0)
 *     root39b  the same with the RAM gigapage U = 1, for U-mode code
 *     root48   Sv48 root: entry 0 reuses root39a as its level-2 table,
 *              entry 1 maps 0x80_0000_0000 (reachable in Sv48 only)
 *     root39c  another address space (ASID 2 in test_asid): root39a with
 *              PG_AS_* mapped to other frames
 * Sv39 layout:
 *     0x0000_0000 1 GiB  -> PA 0 (MMIO: UART, finisher for S)   gigapage
 *     0x8000_0000 1 GiB  -> PA 0x8000_0000 (this program)      gigapage
 *     0xc000_0000 1 GiB  -> PA 0x8000_0000 (alias)              gigapage
 *     0x1_0000_0000 + i*4K -> test pages, see PG_* below
 *     0x1_0020_0000 2 MiB -> PA 0x8080_0000                     megapage
 *     0x1_0040_0000 2 MiB -> misaligned megapage (PPN[0] != 0)
 *     0x1_4000_0000 1 GiB -> misaligned gigapage
 * Test frames live in RAM above the 8 MiB image (QEMU and rewind give
 * virt 128 MiB by default).
 *
 * Faults are taken in M (nothing delegated) except in test_delegated, and
 * each one checks cause and tval = the faulting virtual address.  QEMU 7.2
 * updates A and D in hardware (no fault), which is what is asserted.
 */
#include "priv.h"

#define PTE_RWX_AD (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)

#define SATP_SV39 (8UL << 60)
#define SATP_SV48 (9UL << 60)
#define SATP_OF(mode, root) ((mode) | ((uintptr_t)(root) >> 12))

#define VA_TEST      0x100000000UL
#define VA_PAGE(i)   (VA_TEST + 0x1000UL * (i))
#define VA_MEGA      0x100200000UL
#define VA_MEGA_BAD  0x100400000UL
#define VA_GIGA_ALIAS 0xc0000000UL
#define VA_GIGA_BAD  0x140000000UL
#define VA_SV48_ONLY 0x8000000000UL
#define PA_MEGA      0x80800000UL
#define FRAME(i)     (0x80a00000UL + 0x1000UL * (i))

enum {
    PG_S_RW,        /* S data */
    PG_U_RW,        /* U data */
    PG_S_XONLY,     /* execute-only S code */
    PG_W_ONLY,      /* W without R: reserved encoding */
    PG_INVALID,     /* V = 0 */
    PG_AD,          /* R/W with A = D = 0 */
    PG_SFENCE,      /* remapped during the sfence test */
    PG_U_X,         /* U code */
    PG_S_RW2,       /* S data for the U-mode test */
    PG_S_RO,        /* read-only S data */
    PG_JX,          /* S code: a jump to the next page, PG_JY */
    PG_JY,          /* S code, remapped during the chaining test */
    PG_AS_DATA,     /* S data, another frame in root39c */
    PG_AS_CODE,     /* S code, other code in root39c */
    PG_AS_G,        /* global S data (G), another frame in root39c */
    PG_COUNT
};

#define INSN_LI_A0_42 0x02a00513u
#define INSN_RET      0x00008067u

static uint64_t root39a[512] __attribute__((aligned(4096)));
static uint64_t root39b[512] __attribute__((aligned(4096)));
static uint64_t root48[512] __attribute__((aligned(4096)));
static uint64_t l2_48hi[512] __attribute__((aligned(4096)));
static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l0[512] __attribute__((aligned(4096)));
static uint64_t root39c[512] __attribute__((aligned(4096)));
static uint64_t l1c[512] __attribute__((aligned(4096)));
static uint64_t l0c[512] __attribute__((aligned(4096)));

static volatile uint64_t marker = 0x6d61726b65720a00ULL;

static uint64_t pte(uint64_t pa, uint64_t flags)
{
    return ((pa >> 12) << 10) | flags;
}

static void sfence_all(void)
{
    asm volatile("sfence.vma" ::: "memory");
}

static void fill_frame(unsigned i, uint64_t pattern)
{
    volatile uint64_t *p = (volatile uint64_t *)FRAME(i);

    for (unsigned k = 0; k < 512; k++)
        p[k] = pattern + k;
}

static void put_code(unsigned i)
{
    volatile uint32_t *p = (volatile uint32_t *)FRAME(i);

    p[0] = INSN_LI_A0_42;
    p[1] = INSN_RET;
    asm volatile("fence.i" ::: "memory");
}

static void build_tables(void)
{
    uint64_t leaf_flags[PG_COUNT] = {
        [PG_S_RW] = PTE_V | PTE_R | PTE_W | PTE_A | PTE_D,
        [PG_U_RW] = PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D,
        [PG_S_XONLY] = PTE_V | PTE_X | PTE_A,
        [PG_W_ONLY] = PTE_V | PTE_W | PTE_A | PTE_D,
        [PG_INVALID] = PTE_R | PTE_W | PTE_A | PTE_D,
        [PG_AD] = PTE_V | PTE_R | PTE_W,
        [PG_SFENCE] = PTE_V | PTE_R | PTE_W | PTE_A | PTE_D,
        [PG_U_X] = PTE_V | PTE_R | PTE_X | PTE_U | PTE_A,
        [PG_S_RW2] = PTE_V | PTE_R | PTE_W | PTE_A | PTE_D,
        [PG_S_RO] = PTE_V | PTE_R | PTE_A,
        [PG_JX] = PTE_V | PTE_R | PTE_X | PTE_A,
        [PG_JY] = PTE_V | PTE_R | PTE_X | PTE_A,
        [PG_AS_DATA] = PTE_V | PTE_R | PTE_W | PTE_A | PTE_D,
        [PG_AS_CODE] = PTE_V | PTE_R | PTE_X | PTE_A,
        [PG_AS_G] = PTE_V | PTE_R | PTE_W | PTE_G | PTE_A | PTE_D,
    };

    for (unsigned i = 0; i < PG_COUNT; i++) {
        fill_frame(i, 0x1000000000000000ULL * (i + 1));
        l0[i] = pte(FRAME(i), leaf_flags[i]);
    }
    fill_frame(PG_COUNT, 0x7700000000000000ULL);   /* sfence target */
    put_code(PG_S_XONLY);
    put_code(PG_U_X);

    l1[0] = pte((uintptr_t)l0, PTE_V);
    l1[1] = pte(PA_MEGA, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    l1[2] = pte(PA_MEGA + 0x1000, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);

    root39a[0] = pte(0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    root39a[2] = pte(0x80000000UL, PTE_RWX_AD);
    root39a[3] = pte(0x80000000UL, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    root39a[4] = pte((uintptr_t)l1, PTE_V);
    root39a[5] = pte(0x80200000UL, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    for (unsigned i = 0; i < 512; i++)
        root39b[i] = root39a[i];
    root39b[2] |= PTE_U;

    root48[0] = pte((uintptr_t)root39a, PTE_V);
    root48[1] = pte((uintptr_t)l2_48hi, PTE_V);
    l2_48hi[0] = pte(0x80000000UL, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    sfence_all();
}

/* ---- code run in S or U ---- */

static uint64_t fn_load(uint64_t va)
{
    uint64_t v = 0;

    asm volatile(".option push\n .option norvc\n ld %0, 0(%1)\n .option pop"
                 : "+r"(v) : "r"(va) : "memory");
    return v;
}

static uint64_t fn_store(uint64_t va)
{
    asm volatile(".option push\n .option norvc\n sd %0, 0(%1)\n .option pop"
                 : : "r"(0x5354524f5245ULL), "r"(va) : "memory");
    return 0;
}

static uint64_t fn_amo(uint64_t va)
{
    uint64_t old;

    asm volatile("amoadd.d %0, %1, (%2)" : "=r"(old) : "r"(1UL), "r"(va)
                 : "memory");
    return old;
}

static volatile uint64_t next_satp;

static uint64_t fn_switch_load(uint64_t va)
{
    RT_CSR_WRITE(satp, next_satp);
    sfence_all();
    return fn_load(va);
}

static uint64_t fn_sfence_load(uint64_t va)
{
    asm volatile("sfence.vma %0, zero" : : "r"(va) : "memory");
    return fn_load(va);
}

/* satp := next_satp without a fence, then the load. */
static uint64_t fn_switch_nofence_load(uint64_t va)
{
    RT_CSR_WRITE(satp, next_satp);
    return fn_load(va);
}

#define ASID_A 1UL
#define ASID_C 2UL

/* sfence.vma x0, rs2 = ASID_A (every non-global mapping of ASID 1). */
static uint64_t fn_sfence_asid_load(uint64_t va)
{
    asm volatile("sfence.vma zero, %0" : : "r"(ASID_A) : "memory");
    return fn_load(va);
}

/* sfence.vma rs1 = va, rs2 = ASID_A. */
static uint64_t fn_sfence_va_asid_load(uint64_t va)
{
    asm volatile("sfence.vma %0, %1" : : "r"(va), "r"(ASID_A) : "memory");
    return fn_load(va);
}

/* ---- checks ---- */

static void report_amo(uint64_t va, uint64_t cause)
{
    rt_puts("priv_vm: AMO page fault at ");
    rt_put_hex(va);
    rt_puts(cause == PRIV_CAUSE_LOAD_PAGE
            ? " reported as load fault 13 (QEMU 7.2)\n"
            : " reported as store/AMO fault 15\n");
}

/* An AMO that faults must report a store/AMO fault (15); QEMU 7.2 reports
 * a load fault (13) when the PTE fails before the read, so AMO checks
 * accept both and print which one they saw. */
static void expect_fault(unsigned mode, uint64_t (*fn)(uint64_t),
                         uint64_t va, uint64_t cause, int line)
{
    bool amo = cause == PRIV_CAUSE_STORE_PAGE && fn == fn_amo;
    uint64_t alt = amo ? PRIV_CAUSE_LOAD_PAGE : cause;

    priv_expect2(PRIV_M, cause, alt);
    priv_run(mode, fn, va);
    rt_checks++;
    if (!priv_trap.taken || priv_trap.level != PRIV_M ||
        (priv_trap.cause != cause && priv_trap.cause != alt)) {
        rt_check_fail(__FILE__, line, "fault cause", true, cause,
                      priv_trap.taken ? priv_trap.cause : ~0ULL);
    }
    if (priv_trap.tval != va)
        rt_check_fail(__FILE__, line, "fault tval", true, va, priv_trap.tval);
    if (amo)
        report_amo(va, priv_trap.cause);
    priv_trapped(PRIV_M, priv_trap.cause);
}
#define FAULT(mode, fn, va, cause) expect_fault(mode, fn, va, cause, __LINE__)

static uint64_t run_ok(unsigned mode, uint64_t (*fn)(uint64_t), uint64_t va)
{
    uint64_t before = priv_trap.count;
    uint64_t v = priv_run(mode, fn, va);

    CHECK_EQ(priv_trap.count, before);
    return v;
}

#define LOAD_F  PRIV_CAUSE_LOAD_PAGE
#define STORE_F PRIV_CAUSE_STORE_PAGE
#define FETCH_F PRIV_CAUSE_FETCH_PAGE

static void test_basic_sv39(void)
{
    RT_CSR_WRITE(satp, SATP_OF(SATP_SV39, root39a));
    sfence_all();

    /* 4 KiB page: load, store, AMO. */
    CHECK_EQ(run_ok(PRIV_S, fn_load, VA_PAGE(PG_S_RW) + 8),
             0x1000000000000001ULL);
    run_ok(PRIV_S, fn_store, VA_PAGE(PG_S_RW) + 16);
    CHECK_EQ(*(volatile uint64_t *)(FRAME(PG_S_RW) + 16), 0x5354524f5245ULL);
    CHECK_EQ(run_ok(PRIV_S, fn_amo, VA_PAGE(PG_S_RW) + 16), 0x5354524f5245ULL);
    CHECK_EQ(*(volatile uint64_t *)(FRAME(PG_S_RW) + 16), 0x5354524f5246ULL);

    /* Invalid PTE: one cause per access kind. */
    FAULT(PRIV_S, fn_load, VA_PAGE(PG_INVALID) + 0x18, LOAD_F);
    FAULT(PRIV_S, fn_store, VA_PAGE(PG_INVALID) + 0x20, STORE_F);
    FAULT(PRIV_S, fn_amo, VA_PAGE(PG_INVALID), STORE_F);
    FAULT(PRIV_S, priv_call_code, VA_PAGE(PG_INVALID), FETCH_F);
    /* Unmapped (zero root entry). */
    FAULT(PRIV_S, fn_load, 0x200000000UL, LOAD_F);

    /* W without R is reserved. */
    FAULT(PRIV_S, fn_load, VA_PAGE(PG_W_ONLY), LOAD_F);
    FAULT(PRIV_S, fn_store, VA_PAGE(PG_W_ONLY) + 8, STORE_F);
    FAULT(PRIV_S, priv_call_code, VA_PAGE(PG_W_ONLY), FETCH_F);

    /* Read-only page: store and AMO fault with cause 15. */
    CHECK_EQ(run_ok(PRIV_S, fn_load, VA_PAGE(PG_S_RO)), 0xa000000000000000ULL);
    FAULT(PRIV_S, fn_store, VA_PAGE(PG_S_RO) + 0x28, STORE_F);
    FAULT(PRIV_S, fn_amo, VA_PAGE(PG_S_RO) + 0x30, STORE_F);
    /* Data pages are not executable. */
    FAULT(PRIV_S, priv_call_code, VA_PAGE(PG_S_RW), FETCH_F);

    /* Execute-only page: runs, reads fault unless MXR. */
    CHECK_EQ(run_ok(PRIV_S, priv_call_code, VA_PAGE(PG_S_XONLY)), 42);
    FAULT(PRIV_S, fn_load, VA_PAGE(PG_S_XONLY), LOAD_F);
    FAULT(PRIV_S, fn_store, VA_PAGE(PG_S_XONLY), STORE_F);
    RT_CSR_SET(mstatus, MSTATUS_MXR);
    CHECK_EQ(run_ok(PRIV_S, fn_load, VA_PAGE(PG_S_XONLY)),
             ((uint64_t)INSN_RET << 32) | INSN_LI_A0_42);
    FAULT(PRIV_S, fn_store, VA_PAGE(PG_S_XONLY), STORE_F);
    RT_CSR_CLEAR(mstatus, MSTATUS_MXR);
    FAULT(PRIV_S, fn_load, VA_PAGE(PG_S_XONLY) + 8, LOAD_F);

    /* U page from S: needs SUM for data, never executable. */
    FAULT(PRIV_S, fn_load, VA_PAGE(PG_U_RW), LOAD_F);
    FAULT(PRIV_S, fn_store, VA_PAGE(PG_U_RW) + 8, STORE_F);
    FAULT(PRIV_S, priv_call_code, VA_PAGE(PG_U_X), FETCH_F);
    RT_CSR_SET(mstatus, MSTATUS_SUM);
    CHECK_EQ(run_ok(PRIV_S, fn_load, VA_PAGE(PG_U_RW)), 0x2000000000000000ULL);
    run_ok(PRIV_S, fn_store, VA_PAGE(PG_U_RW) + 8);
    CHECK_EQ(*(volatile uint64_t *)(FRAME(PG_U_RW) + 8), 0x5354524f5245ULL);
    CHECK_EQ(run_ok(PRIV_S, fn_load, VA_PAGE(PG_U_X)),
             ((uint64_t)INSN_RET << 32) | INSN_LI_A0_42);
    FAULT(PRIV_S, priv_call_code, VA_PAGE(PG_U_X), FETCH_F);
    RT_CSR_CLEAR(mstatus, MSTATUS_SUM);
    /* Clearing SUM takes effect at once (4.2.1), on the pages just used
     * through it too. */
    FAULT(PRIV_S, fn_load, VA_PAGE(PG_U_RW), LOAD_F);
    FAULT(PRIV_S, fn_store, VA_PAGE(PG_U_RW) + 8, STORE_F);
    /* Setting it again needs no fence either. */
    RT_CSR_SET(mstatus, MSTATUS_SUM);
    CHECK_EQ(run_ok(PRIV_S, fn_load, VA_PAGE(PG_U_RW) + 8), 0x5354524f5245ULL);
    RT_CSR_CLEAR(mstatus, MSTATUS_SUM);
    FAULT(PRIV_S, fn_load, VA_PAGE(PG_U_RW) + 8, LOAD_F);

    /* Non-canonical addresses (bits 63:39 must equal bit 38). */
    FAULT(PRIV_S, fn_load, 0x0000004000000000UL, LOAD_F);
    FAULT(PRIV_S, fn_store, 0x8000000080000000UL, STORE_F);
    FAULT(PRIV_S, priv_call_code, 0x0000008000001000UL, FETCH_F);
    FAULT(PRIV_S, fn_load, VA_SV48_ONLY, LOAD_F);
    /* Canonical but unmapped upper half. */
    FAULT(PRIV_S, fn_load, 0xffffffc000000000UL, LOAD_F);
}

static void test_superpages(void)
{
    volatile uint64_t *mega = (volatile uint64_t *)(PA_MEGA + 0x12340);

    RT_CSR_WRITE(satp, SATP_OF(SATP_SV39, root39a));
    sfence_all();
    *mega = 0x6d656761ULL;
    CHECK_EQ(run_ok(PRIV_S, fn_load, VA_MEGA + 0x12340), 0x6d656761ULL);
    run_ok(PRIV_S, fn_store, VA_MEGA + 0x1ffff8);
    CHECK_EQ(*(volatile uint64_t *)(PA_MEGA + 0x1ffff8), 0x5354524f5245ULL);
    /* Misaligned megapage and gigapage. */
    FAULT(PRIV_S, fn_load, VA_MEGA_BAD + 0x2000, LOAD_F);
    FAULT(PRIV_S, fn_store, VA_MEGA_BAD, STORE_F);
    FAULT(PRIV_S, fn_load, VA_GIGA_BAD + 0x1000, LOAD_F);
    /* Gigapage alias of this program's RAM. */
    uint64_t off = (uintptr_t)&marker - 0x80000000UL;
    CHECK_EQ(run_ok(PRIV_S, fn_load, VA_GIGA_ALIAS + off), marker);
    run_ok(PRIV_S, fn_store, VA_GIGA_ALIAS + off);
    CHECK_EQ(marker, 0x5354524f5245ULL);
}

static void test_user_pages(void)
{
    RT_CSR_WRITE(satp, SATP_OF(SATP_SV39, root39b));
    sfence_all();
    CHECK_EQ(run_ok(PRIV_U, fn_load, VA_PAGE(PG_U_RW) + 16),
             0x2000000000000002ULL);
    run_ok(PRIV_U, fn_store, VA_PAGE(PG_U_RW) + 24);
    CHECK_EQ(run_ok(PRIV_U, priv_call_code, VA_PAGE(PG_U_X)), 42);
    /* S pages from U fault whatever SUM says. */
    RT_CSR_SET(mstatus, MSTATUS_SUM);
    FAULT(PRIV_U, fn_load, VA_PAGE(PG_S_RW2), LOAD_F);
    FAULT(PRIV_U, fn_store, VA_PAGE(PG_S_RW2) + 8, STORE_F);
    FAULT(PRIV_U, fn_amo, VA_PAGE(PG_S_RW2) + 16, STORE_F);
    FAULT(PRIV_U, priv_call_code, VA_PAGE(PG_S_XONLY), FETCH_F);
    RT_CSR_CLEAR(mstatus, MSTATUS_SUM);
    /* MXR applies to U too. */
    RT_CSR_SET(mstatus, MSTATUS_MXR);
    CHECK_EQ(run_ok(PRIV_U, fn_load, VA_PAGE(PG_U_X)),
             ((uint64_t)INSN_RET << 32) | INSN_LI_A0_42);
    RT_CSR_CLEAR(mstatus, MSTATUS_MXR);
}

static void test_accessed_dirty(void)
{
    uint64_t p;

    RT_CSR_WRITE(satp, SATP_OF(SATP_SV39, root39a));
    l0[PG_AD] = pte(FRAME(PG_AD), PTE_V | PTE_R | PTE_W);
    sfence_all();
    CHECK_EQ(run_ok(PRIV_S, fn_load, VA_PAGE(PG_AD)), 0x6000000000000000ULL);
    p = l0[PG_AD];
    CHECK_EQ(p & (PTE_A | PTE_D), PTE_A);
    run_ok(PRIV_S, fn_store, VA_PAGE(PG_AD) + 8);
    p = l0[PG_AD];
    CHECK_EQ(p & (PTE_A | PTE_D), PTE_A | PTE_D);
    /* A store to a clean page with A = 0 sets both at once. */
    l0[PG_AD] = pte(FRAME(PG_AD), PTE_V | PTE_R | PTE_W);
    sfence_all();
    run_ok(PRIV_S, fn_store, VA_PAGE(PG_AD) + 8);
    CHECK_EQ(l0[PG_AD] & (PTE_A | PTE_D), PTE_A | PTE_D);
    /* A faulting access leaves A alone. */
    l0[PG_AD] = pte(FRAME(PG_AD), PTE_V | PTE_R);
    sfence_all();
    FAULT(PRIV_S, fn_store, VA_PAGE(PG_AD), STORE_F);
    CHECK_EQ(l0[PG_AD] & (PTE_A | PTE_D), 0);
    /* Fetch sets A. */
    l0[PG_S_XONLY] = pte(FRAME(PG_S_XONLY), PTE_V | PTE_X);
    sfence_all();
    CHECK_EQ(run_ok(PRIV_S, priv_call_code, VA_PAGE(PG_S_XONLY)), 42);
    CHECK_EQ(l0[PG_S_XONLY] & (PTE_A | PTE_D), PTE_A);
}

static void test_sfence(void)
{
    uint64_t v;

    RT_CSR_WRITE(satp, SATP_OF(SATP_SV39, root39a));
    sfence_all();
    CHECK_EQ(run_ok(PRIV_S, fn_load, VA_PAGE(PG_SFENCE)), 0x7000000000000000ULL);
    /* Remap without a fence: either mapping may be seen. */
    l0[PG_SFENCE] = pte(FRAME(PG_COUNT), PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    v = run_ok(PRIV_S, fn_load, VA_PAGE(PG_SFENCE));
    CHECK(v == 0x7000000000000000ULL || v == 0x7700000000000000ULL);
    rt_puts(v == 0x7000000000000000ULL
            ? "priv_vm: stale translation before sfence.vma\n"
            : "priv_vm: new translation seen before sfence.vma\n");
    /* After sfence.vma (by address, from S) the new one must be used. */
    CHECK_EQ(run_ok(PRIV_S, fn_sfence_load, VA_PAGE(PG_SFENCE)),
             0x7700000000000000ULL);
    /* Invalidation: PTE cleared, fence, fault. */
    l0[PG_SFENCE] = 0;
    FAULT(PRIV_S, fn_sfence_load, VA_PAGE(PG_SFENCE), LOAD_F);
    l0[PG_SFENCE] = pte(FRAME(PG_SFENCE), PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    sfence_all();
}

/* Code that jumps to another page, run until a JIT may have linked the
 * jump to the block it found there; then that page is remapped to other
 * code and fenced: the jump must reach the new code (a link kept across
 * the remap would run the old translation). */
#define INSN_J_NEXT_PAGE 0x0000106fu   /* jal x0, +4096 */
#define INSN_LI_A0_7     0x00700513u   /* addi a0, x0, 7 */
#define FRAME_JY2 FRAME(PG_COUNT + 1)

static void put_insns(uint64_t frame, uint32_t a, uint32_t b)
{
    volatile uint32_t *p = (volatile uint32_t *)frame;

    p[0] = a;
    p[1] = b;
    asm volatile("fence.i" ::: "memory");
}

static void test_chain_remap(void)
{
    put_insns(FRAME(PG_JX), INSN_J_NEXT_PAGE, INSN_RET);
    put_insns(FRAME(PG_JY), INSN_LI_A0_42, INSN_RET);
    put_insns(FRAME_JY2, INSN_LI_A0_7, INSN_RET);
    RT_CSR_WRITE(satp, SATP_OF(SATP_SV39, root39a));
    sfence_all();
    for (unsigned i = 0; i < 4; i++)
        CHECK_EQ(run_ok(PRIV_S, priv_call_code, VA_PAGE(PG_JX)), 42);
    l0[PG_JY] = pte(FRAME_JY2, PTE_V | PTE_R | PTE_X | PTE_A);
    sfence_all();
    for (unsigned i = 0; i < 4; i++)
        CHECK_EQ(run_ok(PRIV_S, priv_call_code, VA_PAGE(PG_JX)), 7);
    l0[PG_JY] = pte(FRAME(PG_JY), PTE_V | PTE_R | PTE_X | PTE_A);
    sfence_all();
    CHECK_EQ(run_ok(PRIV_S, priv_call_code, VA_PAGE(PG_JX)), 42);
}

/* The same remap fenced by address only (sfence.vma rs1 = the page):
 * the fence must drop what reaches the old code through that page (TLB
 * entry, jump-cache entries of blocks in it). */
static void test_chain_remap_by_address(void)
{
    RT_CSR_WRITE(satp, SATP_OF(SATP_SV39, root39a));
    sfence_all();
    for (unsigned i = 0; i < 4; i++)
        CHECK_EQ(run_ok(PRIV_S, priv_call_code, VA_PAGE(PG_JX)), 42);
    l0[PG_JY] = pte(FRAME_JY2, PTE_V | PTE_R | PTE_X | PTE_A);
    CHECK_EQ(run_ok(PRIV_S, fn_sfence_load, VA_PAGE(PG_JY)),
             INSN_LI_A0_7 | ((uint64_t)INSN_RET << 32));
    for (unsigned i = 0; i < 4; i++)
        CHECK_EQ(run_ok(PRIV_S, priv_call_code, VA_PAGE(PG_JX)), 7);
    l0[PG_JY] = pte(FRAME(PG_JY), PTE_V | PTE_R | PTE_X | PTE_A);
    sfence_all();
    CHECK_EQ(run_ok(PRIV_S, priv_call_code, VA_PAGE(PG_JX)), 42);
}

/* A megapage remapped, then sfence.vma of an address in it but another
 * 4 KiB page than the one read before: the fence covers the whole leaf
 * (privileged spec 4.2.1), so the page read before sees the new mapping
 * too. */
static void test_superpage_sfence(void)
{
    volatile uint64_t *old_pa = (volatile uint64_t *)(PA_MEGA + 0x5000);
    volatile uint64_t *new_pa = (volatile uint64_t *)(PA_MEGA + 0x200000 + 0x5000);

    *old_pa = 0x6f6c64ULL;
    *new_pa = 0x6e6577ULL;
    RT_CSR_WRITE(satp, SATP_OF(SATP_SV39, root39a));
    sfence_all();
    CHECK_EQ(run_ok(PRIV_S, fn_load, VA_MEGA + 0x5000), 0x6f6c64ULL);
    l1[1] = pte(PA_MEGA + 0x200000, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    CHECK_EQ(run_ok(PRIV_S, fn_sfence_load, VA_MEGA + 0x1000),
             *(volatile uint64_t *)(PA_MEGA + 0x200000 + 0x1000));
    CHECK_EQ(run_ok(PRIV_S, fn_load, VA_MEGA + 0x5000), 0x6e6577ULL);
    l1[1] = pte(PA_MEGA, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    sfence_all();
    CHECK_EQ(run_ok(PRIV_S, fn_load, VA_MEGA + 0x5000), 0x6f6c64ULL);
}

/* PMP applies to the page walk's PTE reads (implicit S-mode accesses):
 * once a PMP entry denies the page holding the leaf PTEs, a load through
 * them takes an access fault, though the same walk succeeded just before
 * (whatever a walk remembers about PMP goes with the PMP change). */
#define CAUSE_LOAD_ACCESS 5

static void test_pmp_on_walk(void)
{
    RT_CSR_WRITE(satp, SATP_OF(SATP_SV39, root39a));
    sfence_all();
    CHECK_EQ(run_ok(PRIV_S, fn_load, VA_PAGE(PG_S_RW) + 8),
             *(volatile uint64_t *)(FRAME(PG_S_RW) + 8));
    /* Entry 0, NAPOT over l0's 4 KiB, no permission: outranks entry 15. */
    RT_CSR_WRITE(pmpaddr0, ((uintptr_t)l0 >> 2) | 0x1ffUL);
    RT_CSR_SET(pmpcfg0, 0x18UL);
    FAULT(PRIV_S, fn_load, VA_PAGE(PG_S_RW) + 8, CAUSE_LOAD_ACCESS);
    RT_CSR_CLEAR(pmpcfg0, 0xffUL);
    CHECK_EQ(run_ok(PRIV_S, fn_load, VA_PAGE(PG_S_RW) + 8),
             *(volatile uint64_t *)(FRAME(PG_S_RW) + 8));
}

static void test_satp_modes(void)
{
    uint64_t off = (uintptr_t)&marker - 0x80000000UL;
    uint64_t sv39 = SATP_OF(SATP_SV39, root39a);
    uint64_t sv48 = SATP_OF(SATP_SV48, root48);

    marker = 0x3438;
    RT_CSR_WRITE(satp, sv39);
    CHECK_EQ(RT_CSR_READ(satp), sv39);
    /* Reserved modes are ignored (satp keeps its value). */
    RT_CSR_WRITE(satp, (5UL << 60) | 0x1234);
    CHECK_EQ(RT_CSR_READ(satp), sv39);
    sfence_all();

    /* Sv39 -> Sv48 from S: the same low mappings, plus 512 GiB up. */
    next_satp = sv48;
    CHECK_EQ(run_ok(PRIV_S, fn_switch_load, VA_SV48_ONLY + off), 0x3438);
    CHECK_EQ(RT_CSR_READ(satp), sv48);
    CHECK_EQ(run_ok(PRIV_S, fn_load, VA_PAGE(PG_S_RW)), 0x1000000000000000ULL);
    CHECK_EQ(run_ok(PRIV_S, fn_load, VA_GIGA_ALIAS + off), 0x3438);
    FAULT(PRIV_S, fn_load, 0x0000800000000000UL, LOAD_F);     /* non-canonical */
    FAULT(PRIV_S, fn_load, 0xffff800000000000UL, LOAD_F);     /* unmapped */
    FAULT(PRIV_S, fn_load, VA_SV48_ONLY + 0x40000000UL, LOAD_F);
    /* Sv48 -> Sv39: that address is no longer canonical. */
    next_satp = sv39;
    FAULT(PRIV_S, fn_switch_load, VA_SV48_ONLY + off, LOAD_F);
    CHECK_EQ(RT_CSR_READ(satp), sv39);
    /* Sv39 -> Bare: virtual = physical, nothing at 0x1_0000_0000. */
    next_satp = 0;
    FAULT(PRIV_S, fn_switch_load, VA_TEST, RT_CAUSE_LOAD_ACCESS);
    CHECK_EQ(RT_CSR_READ(satp), 0);
    CHECK_EQ(run_ok(PRIV_S, fn_load, (uintptr_t)&marker), 0x3438);
    /* Bare -> Sv39. */
    next_satp = sv39;
    CHECK_EQ(run_ok(PRIV_S, fn_switch_load, VA_PAGE(PG_S_RW) + 8),
             0x1000000000000001ULL);
}

/* Two address spaces (ASIDs 1 and 2) mapping the same addresses to
 * other frames and code (4.1.11 satp, 4.2.1 sfence.vma). A translation
 * cache that survives satp writes must tell them apart. */
#define PAT_AS_A  0xa1a1000000000000ULL
#define PAT_AS_C  0xc2c2000000000000ULL
#define PAT_AS_N  0x5e5e000000000000ULL
#define PAT_G_A   0x6a6a000000000000ULL
#define PAT_G_C   0x6c6c000000000000ULL
#define FRAME_AS_C    FRAME(PG_COUNT + 2)
#define FRAME_AS_CODE FRAME(PG_COUNT + 3)
#define FRAME_G_C     FRAME(PG_COUNT + 4)
#define FRAME_AS_NEW  FRAME(PG_COUNT + 5)

static void build_root39c(void)
{
    fill_frame(PG_AS_DATA, PAT_AS_A);
    fill_frame(PG_COUNT + 2, PAT_AS_C);
    fill_frame(PG_COUNT + 5, PAT_AS_N);
    fill_frame(PG_AS_G, PAT_G_A);
    fill_frame(PG_COUNT + 4, PAT_G_C);
    put_insns(FRAME(PG_AS_CODE), INSN_LI_A0_42, INSN_RET);
    put_insns(FRAME_AS_CODE, INSN_LI_A0_7, INSN_RET);
    for (unsigned i = 0; i < 512; i++) {
        root39c[i] = root39a[i];
        l1c[i] = l1[i];
        l0c[i] = l0[i];
    }
    root39c[4] = pte((uintptr_t)l1c, PTE_V);
    l1c[0] = pte((uintptr_t)l0c, PTE_V);
    l0c[PG_AS_DATA] = pte(FRAME_AS_C, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    l0c[PG_AS_CODE] = pte(FRAME_AS_CODE, PTE_V | PTE_R | PTE_X | PTE_A);
    /* A G mapping that differs between the two: a software bug (4.3.1),
     * after which either frame may be seen; used only to print which. */
    l0c[PG_AS_G] = pte(FRAME_G_C, PTE_V | PTE_R | PTE_W | PTE_G | PTE_A | PTE_D);
}

static void test_asid(void)
{
    uint64_t sa = SATP_OF(SATP_SV39, root39a) | (ASID_A << 44);
    uint64_t sc = SATP_OF(SATP_SV39, root39c) | (ASID_C << 44);
    uint64_t data = VA_PAGE(PG_AS_DATA), code = VA_PAGE(PG_AS_CODE);
    uint64_t g = VA_PAGE(PG_AS_G), v;

    build_root39c();
    RT_CSR_WRITE(satp, sa);
    sfence_all();
    CHECK_EQ(RT_CSR_READ(satp), sa);
    /* Rounds, so that blocks are translated, cached and chained. */
    for (unsigned i = 0; i < 4; i++) {
        CHECK_EQ(run_ok(PRIV_S, fn_load, data), PAT_AS_A);
        CHECK_EQ(run_ok(PRIV_S, priv_call_code, code), 42);
    }
    CHECK_EQ(run_ok(PRIV_S, fn_load, g), PAT_G_A);
    /* Another ASID takes effect at once, without a fence (4.2.1). */
    RT_CSR_WRITE(satp, sc);
    for (unsigned i = 0; i < 4; i++) {
        CHECK_EQ(run_ok(PRIV_S, fn_load, data), PAT_AS_C);
        CHECK_EQ(run_ok(PRIV_S, priv_call_code, code), 7);
    }
    v = run_ok(PRIV_S, fn_load, g);
    CHECK(v == PAT_G_A || v == PAT_G_C);
    rt_puts(v == PAT_G_A
            ? "priv_vm: global translation kept across a satp write\n"
            : "priv_vm: global translation walked again after a satp write\n");
    /* And back, still without a fence. */
    RT_CSR_WRITE(satp, sa);
    for (unsigned i = 0; i < 4; i++) {
        CHECK_EQ(run_ok(PRIV_S, fn_load, data), PAT_AS_A);
        CHECK_EQ(run_ok(PRIV_S, priv_call_code, code), 42);
    }
    /* Remapped, fenced for ASID 1 only (rs1 = x0, rs2 != x0): the new
     * frame. */
    l0[PG_AS_DATA] = pte(FRAME_AS_NEW, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    CHECK_EQ(run_ok(PRIV_S, fn_sfence_asid_load, data), PAT_AS_N);
    CHECK_EQ(run_ok(PRIV_S, fn_load, data + 8), PAT_AS_N + 1);
    /* Back, fenced by address and ASID. */
    l0[PG_AS_DATA] = pte(FRAME(PG_AS_DATA), PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    CHECK_EQ(run_ok(PRIV_S, fn_sfence_va_asid_load, data), PAT_AS_A);
    CHECK_EQ(run_ok(PRIV_S, fn_load, data + 8), PAT_AS_A + 1);
    /* Code remapped, fenced for the ASID: the new code runs. */
    CHECK_EQ(run_ok(PRIV_S, priv_call_code, code), 42);
    l0[PG_AS_CODE] = pte(FRAME_AS_CODE, PTE_V | PTE_R | PTE_X | PTE_A);
    run_ok(PRIV_S, fn_sfence_asid_load, data);
    for (unsigned i = 0; i < 4; i++)
        CHECK_EQ(run_ok(PRIV_S, priv_call_code, code), 7);
    l0[PG_AS_CODE] = pte(FRAME(PG_AS_CODE), PTE_V | PTE_R | PTE_X | PTE_A);
    sfence_all();
    /* A new MODE applies to global mappings too, at once: Bare, where
     * that address is no memory. */
    CHECK_EQ(run_ok(PRIV_S, fn_load, g), PAT_G_A);
    next_satp = 0;
    FAULT(PRIV_S, fn_switch_nofence_load, g, RT_CAUSE_LOAD_ACCESS);
    RT_CSR_WRITE(satp, sa);
    CHECK_EQ(run_ok(PRIV_S, fn_load, g), PAT_G_A);
    RT_CSR_WRITE(satp, SATP_OF(SATP_SV39, root39a));
    sfence_all();
}

static void test_mprv(void)
{
    uint64_t v = 0, va = VA_PAGE(PG_S_RW) + 0x40, bad = VA_PAGE(PG_INVALID);

    RT_CSR_WRITE(satp, SATP_OF(SATP_SV39, root39a));
    sfence_all();
    /* M-mode loads and stores translate as S while MPRV = 1, MPP = S;
     * fetches do not. Nothing else may touch memory in between. */
    RT_CSR_CLEAR(mstatus, MSTATUS_MPP);
    RT_CSR_SET(mstatus, MSTATUS_MPP_S);
    asm volatile("csrs mstatus, %2\n"
                 "ld %0, 0(%1)\n"
                 "sd %0, 8(%1)\n"
                 "csrc mstatus, %2\n"
                 : "=&r"(v) : "r"(va), "r"(MSTATUS_MPRV) : "memory");
    CHECK_EQ(v, 0x1000000000000008ULL);
    CHECK_EQ(*(volatile uint64_t *)(FRAME(PG_S_RW) + 0x48), 0x1000000000000008ULL);
    /* MPP = U: S pages fault. */
    RT_CSR_CLEAR(mstatus, MSTATUS_MPP);
    priv_expect(PRIV_M, LOAD_F);
    asm volatile("csrs mstatus, %2\n"
                 "ld %0, 0(%1)\n"
                 "csrc mstatus, %2\n"
                 : "+&r"(v) : "r"(va), "r"(MSTATUS_MPRV) : "memory");
    PRIV_CHECK_TRAP(PRIV_M, LOAD_F);
    CHECK_EQ(priv_trap.tval, va);
    /* So does this program's own RAM (an S page), which M reaches
     * untranslated without MPRV: a JIT's untranslated fast path for
     * M-mode loads must not apply. */
    RT_CSR_CLEAR(mstatus, MSTATUS_MPP);
    priv_expect(PRIV_M, LOAD_F);
    asm volatile("csrs mstatus, %2\n"
                 "ld %0, 0(%1)\n"
                 "csrc mstatus, %2\n"
                 : "+&r"(v) : "r"(&marker), "r"(MSTATUS_MPRV) : "memory");
    PRIV_CHECK_TRAP(PRIV_M, LOAD_F);
    CHECK_EQ(priv_trap.tval, (uintptr_t)&marker);
    /* A translated M-mode access faults into M itself.  (The handler's
     * mret leaves MPP = U; MPRV is cleared before the next access.) */
    RT_CSR_SET(mstatus, MSTATUS_MPP_S);
    priv_expect(PRIV_M, STORE_F);
    asm volatile("csrs mstatus, %1\n"
                 "sd zero, 0(%0)\n"
                 "csrc mstatus, %1\n"
                 : : "r"(bad), "r"(MSTATUS_MPRV) : "memory");
    PRIV_CHECK_TRAP(PRIV_M, STORE_F);
    CHECK_EQ(priv_trap.tval, bad);
    CHECK_EQ(priv_trap.status & MSTATUS_MPP, MSTATUS_MPP);   /* from M */
    CHECK_EQ(RT_CSR_READ(mstatus) & MSTATUS_MPRV, 0);
}

static void test_delegated(void)
{
    uint64_t va = VA_PAGE(PG_INVALID) + 0x10;

    RT_CSR_WRITE(satp, SATP_OF(SATP_SV39, root39a));
    sfence_all();
    RT_CSR_WRITE(medeleg, (1UL << LOAD_F) | (1UL << STORE_F) | (1UL << FETCH_F));
    priv_expect(PRIV_S, LOAD_F);
    priv_run(PRIV_S, fn_load, va);
    PRIV_CHECK_TRAP(PRIV_S, LOAD_F);
    CHECK_EQ(priv_trap.tval, va);
    CHECK_EQ(RT_CSR_READ(stval), va);
    CHECK_EQ(priv_trap.status & MSTATUS_SPP, MSTATUS_SPP);
    priv_expect(PRIV_S, FETCH_F);
    priv_run(PRIV_S, priv_call_code, VA_PAGE(PG_U_X));
    PRIV_CHECK_TRAP(PRIV_S, FETCH_F);
    CHECK_EQ(priv_trap.tval, VA_PAGE(PG_U_X));
    CHECK_EQ(priv_trap.epc, VA_PAGE(PG_U_X));
    RT_CSR_WRITE(medeleg, 0);
}

int main(void)
{
    priv_init();
    build_tables();
    test_basic_sv39();
    test_superpages();
    test_user_pages();
    test_accessed_dirty();
    test_sfence();
    test_chain_remap();
    test_chain_remap_by_address();
    test_superpage_sfence();
    test_asid();
    test_pmp_on_walk();
    test_satp_modes();
    test_mprv();
    test_delegated();
    RT_CSR_WRITE(satp, 0);
    return rt_pass("priv_vm");
}
