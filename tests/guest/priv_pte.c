/*
 * priv_pte - PTE changes without sfence.vma (privileged spec v1.12,
 * 4.2.1, 4.3.1).
 *
 * The spec lets a hart use either the old or the new translation until
 * a fence; rewind always uses the new one, so that when its TLB happens
 * to be flushed (a checkpoint, a debugger, a seek) can never change what
 * the guest sees (tcg/riscv/ptpage.c). Every check here changes a page
 * table (from M-mode with stores, or from S-mode with stores and AMOs)
 * after S-mode used the old translation, fences nothing, and asserts the
 * new translation: data, faults, A and D updates, code, a page remapping
 * itself under the running code, and a satp switch to a root without a
 * global mapping the old root had.
 *
 * Sv39 layout (root_a; root_b is root_a without entry 6):
 *     0x8000_0000 1 GiB -> PA 0x8000_0000 (this program), RWX
 *     0x1_0000_0000 + i*4K -> test frames FRAME(i), table l0
 *     0x1_8000_0000 1 GiB -> PA 0x8000_0000, global (G), RW (VA_GLOBAL)
 */
#include "priv.h"


#define SATP_SV39 (8UL << 60)
#define SATP_OF(root) (SATP_SV39 | ((uintptr_t)(root) >> 12))

#define VA_PAGE(i)  (0x100000000UL + 0x1000UL * (i))
#define VA_GLOBAL   0x1803f7000UL   /* PA 0x803f7000; a TLB slot (0x3f7)
                                      no other page of the test uses */
#define FRAME(i)    (0x80a00000UL + 0x1000UL * (i))
#define NFRAMES     12

static uint64_t root_a[512] __attribute__((aligned(4096)));
static uint64_t root_b[512] __attribute__((aligned(4096)));
static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l0[512] __attribute__((aligned(4096)));

/* Pages of l0: the frames they map at first. */
enum { PG_DATA, PG_AD, PG_CODE, PG_SELF, PG_RO, PG_COUNT };

static uint64_t pte(uint64_t pa, uint64_t flags)
{
    return ((pa >> 12) << 10) | flags;
}

static void fill_frame(unsigned i)
{
    volatile uint64_t *p = (volatile uint64_t *)FRAME(i);

    for (unsigned k = 0; k < 512; k++)
        p[k] = 0x1000000000000000ULL * (i + 1) + k;
}

static void put_insns(unsigned frame, uint32_t a, uint32_t b, uint32_t c)
{
    volatile uint32_t *p = (volatile uint32_t *)FRAME(frame);

    p[0] = a;
    p[1] = b;
    p[2] = c;
    asm volatile("fence.i" ::: "memory");
}

#define INSN_SD_A1_0_A0  0x00b53023u   /* sd a1, 0(a0) */
#define INSN_AMOSWAP_D_A1_A0 0x08b5302fu   /* amoswap.d zero, a1, (a0) */
#define INSN_LI_A0(v)    (0x00000513u | ((uint32_t)(v) << 20))
#define INSN_RET         0x00008067u
#define INSN_NOP         0x00000013u

static void build_tables(void)
{
    for (unsigned i = 0; i < NFRAMES; i++)
        fill_frame(i);
    for (unsigned i = 0; i < PG_COUNT; i++)
        l0[i] = pte(FRAME(i), PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    l1[0] = pte((uintptr_t)l0, PTE_V);
    root_a[2] = pte(0x80000000UL, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A |
                    PTE_D);
    root_a[4] = pte((uintptr_t)l1, PTE_V);
    root_a[6] = pte(0x80000000UL, PTE_V | PTE_R | PTE_W | PTE_G | PTE_A |
                    PTE_D);
    for (unsigned i = 0; i < 512; i++)
        root_b[i] = i == 6 ? 0 : root_a[i];
    RT_CSR_WRITE(satp, SATP_OF(root_a));
    asm volatile("sfence.vma" ::: "memory");
}

/* ---- code run in S ---- */

static uint64_t fn_load(uint64_t va)
{
    return *(volatile uint64_t *)va;
}

static uint64_t fn_store(uint64_t va)
{
    *(volatile uint64_t *)va = 0x5354524f5245ULL;
    return 0;
}

/* Clear A (or D) of l0[i] with an AMO, as Linux ages pages, then load
 * (or store to) the page. */
static uint64_t fn_clear_a_load(uint64_t i)
{
    asm volatile("amoand.d zero, %0, (%1)"
                 : : "r"(~PTE_A), "r"(&l0[i]) : "memory");
    return fn_load(VA_PAGE(i));
}

static uint64_t fn_clear_d_store(uint64_t i)
{
    asm volatile("amoand.d zero, %0, (%1)"
                 : : "r"(~PTE_D), "r"(&l0[i]) : "memory");
    return fn_store(VA_PAGE(i));
}

/* Calls the code at va with a0 = &l0[PG_SELF], a1 = self_pte: its first
 * instruction stores a1 there, remapping its own page. */
static volatile uint64_t self_pte;

static uint64_t fn_call_self(uint64_t va)
{
    register uint64_t a0 asm("a0") = (uintptr_t)&l0[PG_SELF];
    register uint64_t a1 asm("a1") = self_pte;

    asm volatile("jalr ra, 0(%2)" : "+r"(a0) : "r"(a1), "r"(va)
                 : "ra", "memory");
    return a0;
}

static volatile uint64_t next_satp;

static uint64_t fn_switch_nofence_load(uint64_t va)
{
    RT_CSR_WRITE(satp, next_satp);
    return fn_load(va);
}

/* ---- checks ---- */

static uint64_t run_ok(uint64_t (*fn)(uint64_t), uint64_t arg)
{
    uint64_t before = priv_trap.count;
    uint64_t v = priv_run(PRIV_S, fn, arg);

    CHECK_EQ(priv_trap.count, before);
    return v;
}

static void expect_fault(uint64_t (*fn)(uint64_t), uint64_t va,
                         uint64_t cause, int line)
{
    priv_expect(PRIV_M, cause);
    priv_run(PRIV_S, fn, va);
    rt_checks++;
    if (!priv_trapped(PRIV_M, cause))
        rt_check_fail(__FILE__, line, "fault", true, cause,
                      priv_trap.taken ? priv_trap.cause : ~0ULL);
}
#define FAULT(fn, va, cause) expect_fault(fn, va, cause, __LINE__)

/* Remapped and invalidated data: from M-mode, whose own TLB entries for
 * l0 were made before the walk read it (they must lose their fast path
 * when it becomes a page table). */
static void test_remap_data(void)
{
    /* Read-only, A set, D clear. */
    l0[PG_RO] = pte(FRAME(PG_RO), PTE_V | PTE_R | PTE_A);
    for (unsigned k = 0; k < 3; k++)
        CHECK_EQ(run_ok(fn_load, VA_PAGE(PG_RO) + 8),
                 0x1000000000000000ULL * (PG_RO + 1) + 1);
    l0[PG_RO] = pte(FRAME(8), PTE_V | PTE_R | PTE_A);
    CHECK_EQ(run_ok(fn_load, VA_PAGE(PG_RO) + 8),
             0x1000000000000000ULL * 9 + 1);
    l0[PG_RO] = pte(FRAME(8), PTE_R | PTE_A);   /* V = 0 */
    FAULT(fn_load, VA_PAGE(PG_RO) + 8, PRIV_CAUSE_LOAD_PAGE);
    l0[PG_RO] = pte(FRAME(PG_RO), PTE_V | PTE_R | PTE_A);
    CHECK_EQ(run_ok(fn_load, VA_PAGE(PG_RO) + 8),
             0x1000000000000000ULL * (PG_RO + 1) + 1);
}

/* A store through an entry whose PTE lost W. */
static void test_lost_write(void)
{
    run_ok(fn_store, VA_PAGE(PG_DATA));
    run_ok(fn_store, VA_PAGE(PG_DATA));
    CHECK_EQ(*(volatile uint64_t *)FRAME(PG_DATA), 0x5354524f5245ULL);
    l0[PG_DATA] &= ~PTE_W;
    FAULT(fn_store, VA_PAGE(PG_DATA) + 8, PRIV_CAUSE_STORE_PAGE);
    CHECK_EQ(run_ok(fn_load, VA_PAGE(PG_DATA) + 8),
             0x1000000000000000ULL * (PG_DATA + 1) + 1);
    l0[PG_DATA] |= PTE_W;
}

/* A and D cleared by S-mode AMOs come back with the next access. */
static void test_accessed_dirty(void)
{
    run_ok(fn_store, VA_PAGE(PG_AD));
    for (unsigned k = 0; k < 3; k++) {
        CHECK_EQ(run_ok(fn_clear_a_load, PG_AD), 0x5354524f5245ULL);
        CHECK(l0[PG_AD] & PTE_A);
        run_ok(fn_clear_d_store, PG_AD);
        CHECK(l0[PG_AD] & PTE_D);
    }
}

/* A code page remapped to other code. */
static void test_remap_code(void)
{
    put_insns(PG_CODE, INSN_LI_A0(42), INSN_RET, INSN_NOP);
    put_insns(9, INSN_LI_A0(7), INSN_RET, INSN_NOP);
    l0[PG_CODE] = pte(FRAME(PG_CODE), PTE_V | PTE_R | PTE_X | PTE_A);
    for (unsigned k = 0; k < 4; k++)
        CHECK_EQ(run_ok(priv_call_code, VA_PAGE(PG_CODE)), 42);
    l0[PG_CODE] = pte(FRAME(9), PTE_V | PTE_R | PTE_X | PTE_A);
    for (unsigned k = 0; k < 4; k++)
        CHECK_EQ(run_ok(priv_call_code, VA_PAGE(PG_CODE)), 7);
    l0[PG_CODE] = pte(FRAME(PG_CODE), PTE_V | PTE_R | PTE_X | PTE_A);
    CHECK_EQ(run_ok(priv_call_code, VA_PAGE(PG_CODE)), 42);
}

/* Code whose first instruction (`first`: a store or an AMO of a1 to
 * l0[PG_SELF]) remaps its own page to `frame`, which holds the same code
 * but for its second instruction (li a0, `other`): the instruction after
 * it comes from the new frame. A store and an AMO both end the running
 * block, in both engines, wherever blocks happen to be cut. */
static void check_remap_self(uint32_t first, unsigned frame, unsigned other)
{
    put_insns(PG_SELF, first, INSN_LI_A0(1), INSN_RET);
    put_insns(frame, first, INSN_LI_A0(other), INSN_RET);
    uint64_t to_self = pte(FRAME(PG_SELF), PTE_V | PTE_R | PTE_X | PTE_A);
    uint64_t to_other = pte(FRAME(frame), PTE_V | PTE_R | PTE_X | PTE_A);
    for (unsigned k = 0; k < 3; k++) {
        l0[PG_SELF] = to_self;
        self_pte = to_self;
        CHECK_EQ(run_ok(fn_call_self, VA_PAGE(PG_SELF)), 1);
        self_pte = to_other;
        CHECK_EQ(run_ok(fn_call_self, VA_PAGE(PG_SELF)), other);
        CHECK_EQ(l0[PG_SELF], to_other);
        self_pte = to_self;
        CHECK_EQ(run_ok(fn_call_self, VA_PAGE(PG_SELF)), 1);
    }
    l0[PG_SELF] = to_self;
}

static void test_remap_self(void)
{
    check_remap_self(INSN_SD_A1_0_A0, 10, 2);
}

static void test_remap_self_amo(void)
{
    check_remap_self(INSN_AMOSWAP_D_A1_A0, 11, 3);
}

/* A global mapping of root_a is not in root_b: switching to root_b
 * without a fence must not keep it. */
static void test_satp_global(void)
{
    uint64_t want = *(volatile uint64_t *)(VA_GLOBAL - 0x100000000UL);

    RT_CSR_WRITE(satp, SATP_OF(root_a));
    for (unsigned k = 0; k < 3; k++)
        CHECK_EQ(run_ok(fn_load, VA_GLOBAL), want);
    next_satp = SATP_OF(root_b);
    FAULT(fn_switch_nofence_load, VA_GLOBAL, PRIV_CAUSE_LOAD_PAGE);
    /* Back to root_a (which has it) and to root_a again. */
    next_satp = SATP_OF(root_a);
    CHECK_EQ(run_ok(fn_switch_nofence_load, VA_GLOBAL), want);
    CHECK_EQ(run_ok(fn_switch_nofence_load, VA_GLOBAL), want);
}

int main(void)
{
    priv_init();
    build_tables();
    test_remap_data();
    test_lost_write();
    test_accessed_dirty();
    test_remap_code();
    test_remap_self();
    test_remap_self_amo();
    test_satp_global();
    RT_CSR_WRITE(satp, 0);
    return rt_pass("priv_pte");
}
