/*
 * priv_pmp - physical memory protection (privileged spec v1.12, 3.7).
 *
 * TOR, NA4 and NAPOT regions with R/W/X for S and U; the lowest-numbered
 * matching entry decides, also against a more permissive later entry; an
 * access that only partly matches an entry fails; non-locked entries do
 * not bind M-mode, locked ones do and ignore writes; access faults 1/5/7
 * carry the address in mtval.  Also what S/U accesses do when no entry is
 * configured at all: the spec (3.7.1) says that with PMP implemented an
 * S/U access that matches no entry fails; the test reports what the
 * machine does and accepts only QEMU 7.2's behaviour (asserted below).
 *
 * priv_init's catch-all entry 15 (NAPOT, everything, RWX) lets S/U run the
 * program itself; test regions live in RAM above the image at TEST_BASE.
 */
#include "priv.h"

#define PMP_R     0x01
#define PMP_W     0x02
#define PMP_X     0x04
#define PMP_TOR   0x08
#define PMP_NA4   0x10
#define PMP_NAPOT 0x18
#define PMP_L     0x80

#define TEST_BASE 0x80c00000UL
#define RGN(i)    (TEST_BASE + 0x1000UL * (i))

#define INSN_LI_A0_42 0x02a00513u
#define INSN_RET      0x00008067u

#define LOAD_AF  RT_CAUSE_LOAD_ACCESS
#define STORE_AF RT_CAUSE_STORE_ACCESS
#define FETCH_AF RT_CAUSE_FETCH_ACCESS

static void pmpaddr_write(unsigned i, uint64_t v)
{
#define PMPADDR_CASE(n) case n: RT_CSR_WRITE(pmpaddr##n, v); break;
    switch (i) {
    PMPADDR_CASE(0) PMPADDR_CASE(1) PMPADDR_CASE(2) PMPADDR_CASE(3)
    PMPADDR_CASE(4) PMPADDR_CASE(5) PMPADDR_CASE(6) PMPADDR_CASE(7)
    PMPADDR_CASE(8) PMPADDR_CASE(9) PMPADDR_CASE(10) PMPADDR_CASE(11)
    PMPADDR_CASE(12) PMPADDR_CASE(13) PMPADDR_CASE(14) PMPADDR_CASE(15)
    }
#undef PMPADDR_CASE
}

static uint64_t pmpaddr_read(unsigned i)
{
#define PMPADDR_CASE(n) case n: return RT_CSR_READ(pmpaddr##n);
    switch (i) {
    PMPADDR_CASE(0) PMPADDR_CASE(1) PMPADDR_CASE(2) PMPADDR_CASE(3)
    PMPADDR_CASE(4) PMPADDR_CASE(5) PMPADDR_CASE(6) PMPADDR_CASE(7)
    PMPADDR_CASE(8) PMPADDR_CASE(9) PMPADDR_CASE(10) PMPADDR_CASE(11)
    PMPADDR_CASE(12) PMPADDR_CASE(13) PMPADDR_CASE(14) PMPADDR_CASE(15)
    }
#undef PMPADDR_CASE
    return 0;
}

static uint8_t pmpcfg_read(unsigned i)
{
    uint64_t v = i < 8 ? RT_CSR_READ(pmpcfg0) : RT_CSR_READ(pmpcfg2);

    return (uint8_t)(v >> (8 * (i % 8)));
}

static void pmpcfg_write(unsigned i, uint8_t cfg)
{
    uint64_t mask = 0xffUL << (8 * (i % 8));
    uint64_t val = (uint64_t)cfg << (8 * (i % 8));

    if (i < 8) {
        RT_CSR_WRITE(pmpcfg0, (RT_CSR_READ(pmpcfg0) & ~mask) | val);
    } else {
        RT_CSR_WRITE(pmpcfg2, (RT_CSR_READ(pmpcfg2) & ~mask) | val);
    }
}

static void pmp_set(unsigned i, uint64_t addr_field, uint8_t cfg)
{
    pmpaddr_write(i, addr_field);
    pmpcfg_write(i, cfg);
}

/* pmpaddr value of a naturally aligned power-of-two region. */
static uint64_t napot(uint64_t base, uint64_t size)
{
    return (base | (size / 2 - 1)) >> 2;
}

/* ---- code run in S or U ---- */

static uint64_t fn_lw(uint64_t a)
{
    uint64_t v = 0;

    asm volatile("lw %0, 0(%1)" : "+r"(v) : "r"(a) : "memory");
    return v;
}

static uint64_t fn_ld(uint64_t a)
{
    uint64_t v = 0;

    asm volatile("ld %0, 0(%1)" : "+r"(v) : "r"(a) : "memory");
    return v;
}

static uint64_t fn_sw(uint64_t a)
{
    asm volatile("sw %0, 0(%1)" : : "r"(0x57524954UL), "r"(a) : "memory");
    return 0;
}

static uint64_t fn_amo(uint64_t a)
{
    uint64_t old;

    asm volatile("amoor.w %0, %1, (%2)" : "=r"(old) : "r"(1UL), "r"(a)
                 : "memory");
    return old;
}

static uint64_t fn_call(uint64_t a)
{
    register uint64_t a0 asm("a0") = 0;

    asm volatile("jalr ra, 0(%1)" : "+r"(a0) : "r"(a) : "ra", "memory");
    return a0;
}

static uint64_t fn_ret7(uint64_t a)
{
    (void)a;
    return 7;
}

/* ---- checks ---- */

static void expect_fault(unsigned mode, uint64_t (*fn)(uint64_t),
                         uint64_t addr, uint64_t cause, int line)
{
    bool amo = fn == fn_amo;
    uint64_t alt = amo ? LOAD_AF : cause;

    priv_expect2(PRIV_M, cause, alt);
    if (mode == PRIV_M)
        fn(addr);
    else
        priv_run(mode, fn, addr);
    rt_checks++;
    if (!priv_trap.taken || (priv_trap.cause != cause && priv_trap.cause != alt))
        rt_check_fail(__FILE__, line, "access fault cause", true, cause,
                      priv_trap.taken ? priv_trap.cause : ~0ULL);
    if (priv_trap.tval != addr)
        rt_check_fail(__FILE__, line, "access fault mtval", true, addr,
                      priv_trap.tval);
    if (amo) {
        rt_puts(priv_trap.cause == LOAD_AF
                ? "priv_pmp: AMO access fault reported as load fault 5\n"
                : "priv_pmp: AMO access fault reported as store/AMO fault 7\n");
    }
    priv_trapped(PRIV_M, priv_trap.cause);
}
#define FAULT(mode, fn, addr, cause) expect_fault(mode, fn, addr, cause, __LINE__)

static uint64_t run_ok(unsigned mode, uint64_t (*fn)(uint64_t), uint64_t a)
{
    uint64_t before = priv_trap.count;
    uint64_t v = mode == PRIV_M ? fn(a) : priv_run(mode, fn, a);

    CHECK_EQ(priv_trap.count, before);
    return v;
}

static void fill(void)
{
    for (unsigned r = 0; r < 8; r++) {
        volatile uint32_t *p = (volatile uint32_t *)RGN(r);
        for (unsigned k = 0; k < 1024; k++)
            p[k] = (r << 16) | k;
        /* Words 0 and 1 are code: li a0, 42; ret. */
        p[0] = INSN_LI_A0_42;
        p[1] = INSN_RET;
    }
    asm volatile("fence.i" ::: "memory");
}

/* MPRV = 1 with MPP = U makes an M-mode load a U-mode access. */
static uint64_t lw_as_user(uint64_t a)
{
    uint64_t v = 0;

    RT_CSR_CLEAR(mstatus, MSTATUS_MPP);
    asm volatile("csrs mstatus, %2\n lw %0, 0(%1)\n csrc mstatus, %2"
                 : "+&r"(v) : "r"(a), "r"(MSTATUS_MPRV) : "memory");
    return v;
}

static void test_no_entries(void)
{
    uint64_t v;

    /* Turn every entry off, including the catch-all. */
    RT_CSR_WRITE(pmpcfg0, 0);
    RT_CSR_WRITE(pmpcfg2, 0);
    /* M is never bound by non-locked (here: no) entries. */
    CHECK_EQ(run_ok(PRIV_M, fn_lw, RGN(1) + 8), (1u << 16) | 2);

    /* QEMU 7.2 refuses to leave M at all: mret to S/U with no PMP rule is
     * an illegal instruction.  The spec lets the mret happen and the
     * first U fetch fail (3.7.1).  Either trap ends the priv_run. */
    priv_expect2(PRIV_M, PRIV_CAUSE_ILLEGAL, FETCH_AF);
    priv_trap.abort = true;
    v = priv_run(PRIV_U, fn_ret7, 5);
    rt_puts(priv_trap.cause == PRIV_CAUSE_ILLEGAL
            ? "priv_pmp: no PMP entry: mret to U is illegal (QEMU 7.2)\n"
            : priv_trap.cause == FETCH_AF
            ? "priv_pmp: no PMP entry: mret to U ok, U fetch access fault\n"
            : "priv_pmp: no PMP entry: U-mode ran\n");
    CHECK(priv_trap.taken);
    CHECK_EQ(priv_trap.cause, PRIV_CAUSE_ILLEGAL);
    CHECK_EQ(priv_trap.tval, 0x30200073);
    CHECK_EQ(v, PRIV_ABORTED);
    priv_trapped(PRIV_M, priv_trap.cause);
    priv_trap.abort = false;

    /* A U-mode data access (M with MPRV, MPP = U) with no entry. */
    priv_expect(PRIV_M, LOAD_AF);
    v = lw_as_user(RGN(1) + 8);
    if (priv_trapped(PRIV_M, LOAD_AF)) {
        rt_puts("priv_pmp: no PMP entry: U-mode load denied (fault 5)\n");
    } else {
        rt_puts("priv_pmp: no PMP entry: U-mode load allowed\n");
        CHECK_EQ(v, (1u << 16) | 2);
    }

    /* With one entry that matches nothing used here, S/U accesses
     * elsewhere fail (3.7.1). */
    pmp_set(0, napot(RGN(7), 0x1000), PMP_NAPOT | PMP_R);
    priv_expect_abort(PRIV_M, FETCH_AF);
    v = priv_run(PRIV_S, fn_ret7, 0);
    CHECK_EQ(v, PRIV_ABORTED);
    CHECK(priv_trapped(PRIV_M, FETCH_AF));
    CHECK_EQ(priv_trap.tval, (uintptr_t)fn_ret7);
    priv_expect(PRIV_M, LOAD_AF);
    lw_as_user(RGN(1) + 8);
    PRIV_CHECK_TRAP(PRIV_M, LOAD_AF);
    CHECK_EQ(priv_trap.tval, RGN(1) + 8);
    CHECK_EQ(run_ok(PRIV_M, lw_as_user, RGN(7) + 8), (7u << 16) | 2);
    pmpcfg_write(0, 0);

    priv_init();    /* catch-all back */
}

static void test_regions(void)
{
    /* 0: NAPOT 4 KiB read-only. */
    pmp_set(0, napot(RGN(0), 0x1000), PMP_NAPOT | PMP_R);
    CHECK_EQ(pmpaddr_read(0), napot(RGN(0), 0x1000));
    CHECK_EQ(pmpcfg_read(0), PMP_NAPOT | PMP_R);
    CHECK_EQ(run_ok(PRIV_U, fn_lw, RGN(0) + 0xffc), 1023);
    CHECK_EQ(run_ok(PRIV_S, fn_lw, RGN(0) + 8), 2);
    FAULT(PRIV_U, fn_sw, RGN(0) + 0x10, STORE_AF);
    FAULT(PRIV_S, fn_sw, RGN(0) + 0xff8, STORE_AF);
    FAULT(PRIV_U, fn_amo, RGN(0) + 0x20, STORE_AF);
    FAULT(PRIV_U, fn_call, RGN(0), FETCH_AF);
    FAULT(PRIV_S, fn_call, RGN(0), FETCH_AF);
    /* Just outside: the catch-all. */
    run_ok(PRIV_U, fn_sw, RGN(0) + 0x1000);
    run_ok(PRIV_U, fn_sw, RGN(0) - 4);
    /* M is not bound by a non-locked entry. */
    run_ok(PRIV_M, fn_sw, RGN(0) + 0x10);
    CHECK_EQ(*(volatile uint32_t *)(RGN(0) + 0x10), 0x57524954);

    /* 1 (OFF, bottom) + 2: TOR [RGN(1), RGN(3)) read/write. */
    pmp_set(1, RGN(1) >> 2, 0);
    pmp_set(2, RGN(3) >> 2, PMP_TOR | PMP_R | PMP_W);
    CHECK_EQ(run_ok(PRIV_U, fn_lw, RGN(2) + 0xffc), (2u << 16) | 1023);
    run_ok(PRIV_U, fn_sw, RGN(1));
    CHECK_EQ(run_ok(PRIV_U, fn_amo, RGN(1) + 8), (1u << 16) | 2);
    FAULT(PRIV_U, fn_call, RGN(2), FETCH_AF);
    FAULT(PRIV_S, fn_call, RGN(1), FETCH_AF);
    /* TOR top is exclusive: RGN(3) is the catch-all's (executable). */
    CHECK_EQ(run_ok(PRIV_U, fn_call, RGN(3)), 42);

    /* 3: NA4 with no permissions inside the catch-all. */
    /* (Denied accesses first: QEMU 7.2 caches a whole page in its TLB
     * once an access on it matched an entry covering the page, here the
     * catch-all, and then no longer sees the NA4 entry.) */
    pmp_set(3, (RGN(4) + 0x10) >> 2, PMP_NA4);
    FAULT(PRIV_U, fn_lw, RGN(4) + 0x10, LOAD_AF);
    FAULT(PRIV_S, fn_sw, RGN(4) + 0x10, STORE_AF);
    /* An 8-byte access that covers the NA4 word only in part fails. */
    FAULT(PRIV_U, fn_ld, RGN(4) + 0x10, LOAD_AF);
    CHECK_EQ(run_ok(PRIV_U, fn_lw, RGN(4) + 0x14), (4u << 16) | 5);
    CHECK_EQ(run_ok(PRIV_U, fn_lw, RGN(4) + 0x0c), (4u << 16) | 3);
    CHECK_EQ(run_ok(PRIV_M, fn_lw, RGN(4) + 0x10), (4u << 16) | 4);

    /* A code page that a denying entry covers only in part still runs
     * from the rest (the load first, for QEMU's TLB as above). */
    pmp_set(9, (RGN(3) + 0x100) >> 2, PMP_NA4);
    FAULT(PRIV_U, fn_lw, RGN(3) + 0x100, LOAD_AF);
    CHECK_EQ(run_ok(PRIV_U, fn_call, RGN(3)), 42);
    CHECK_EQ(run_ok(PRIV_S, fn_call, RGN(3)), 42);
    pmpcfg_write(9, 0);

    /* 4: NAPOT execute-only page. */
    pmp_set(4, napot(RGN(5), 0x1000), PMP_NAPOT | PMP_X);
    CHECK_EQ(run_ok(PRIV_U, fn_call, RGN(5)), 42);
    CHECK_EQ(run_ok(PRIV_S, fn_call, RGN(5)), 42);
    FAULT(PRIV_U, fn_lw, RGN(5), LOAD_AF);
    FAULT(PRIV_S, fn_sw, RGN(5) + 0x100, STORE_AF);

    /* Lowest-numbered match wins: 5 allows RW over 4 KiB, 6 denies one
     * word in it (5 wins); 7 denies a word, 8 allows the page (7 wins). */
    pmp_set(5, napot(RGN(6), 0x1000), PMP_NAPOT | PMP_R | PMP_W);
    pmp_set(6, (RGN(6) + 8) >> 2, PMP_NA4);
    CHECK_EQ(run_ok(PRIV_U, fn_lw, RGN(6) + 8), (6u << 16) | 2);
    run_ok(PRIV_U, fn_sw, RGN(6) + 8);
    FAULT(PRIV_U, fn_call, RGN(6), FETCH_AF);
    pmp_set(7, (RGN(7) + 8) >> 2, PMP_NA4 | PMP_X);
    pmp_set(8, napot(RGN(7), 0x1000), PMP_NAPOT | PMP_R | PMP_W);
    FAULT(PRIV_U, fn_lw, RGN(7) + 8, LOAD_AF);
    FAULT(PRIV_U, fn_sw, RGN(7) + 8, STORE_AF);
    CHECK_EQ(run_ok(PRIV_U, fn_lw, RGN(7) + 12), (7u << 16) | 3);
    /* NAPOT covering 64 KiB from TEST_BASE in entry 9 changes nothing
     * for addresses entries 0-8 already match. */
    pmp_set(9, napot(TEST_BASE, 0x10000), PMP_NAPOT);
    CHECK_EQ(run_ok(PRIV_U, fn_lw, RGN(0) + 12), 3);
    FAULT(PRIV_U, fn_lw, RGN(3) + 16, LOAD_AF);         /* now entry 9 */
    CHECK_EQ(run_ok(PRIV_M, fn_lw, RGN(3) + 16), (3u << 16) | 4);
    /* Entry off: back to the catch-all. */
    pmpcfg_write(9, 0);
    CHECK_EQ(run_ok(PRIV_U, fn_lw, RGN(3) + 16), (3u << 16) | 4);

    /* Clear entries 0-8 for the locked tests. */
    for (unsigned i = 0; i < 9; i++)
        pmpcfg_write(i, 0);
}

static void test_locked(void)
{
    /* 10: locked NAPOT, read-only, holding code: binds M too. */
    pmp_set(10, napot(RGN(2), 0x1000), PMP_NAPOT | PMP_R | PMP_L);
    CHECK_EQ(pmpcfg_read(10), PMP_NAPOT | PMP_R | PMP_L);
    CHECK_EQ(run_ok(PRIV_M, fn_lw, RGN(2) + 12), (2u << 16) | 3);
    FAULT(PRIV_M, fn_sw, RGN(2) + 12, STORE_AF);
    FAULT(PRIV_M, fn_call, RGN(2), FETCH_AF);
    FAULT(PRIV_U, fn_sw, RGN(2) + 16, STORE_AF);
    CHECK_EQ(run_ok(PRIV_U, fn_lw, RGN(2) + 16), (2u << 16) | 4);
    /* Writes to a locked entry's cfg and address are ignored. */
    pmpcfg_write(10, PMP_NAPOT | PMP_R | PMP_W | PMP_X);
    CHECK_EQ(pmpcfg_read(10), PMP_NAPOT | PMP_R | PMP_L);
    pmpaddr_write(10, napot(RGN(4), 0x1000));
    CHECK_EQ(pmpaddr_read(10), napot(RGN(2), 0x1000));
    FAULT(PRIV_M, fn_sw, RGN(2) + 12, STORE_AF);

    /* 12 locked TOR: pmpaddr11 (its bottom) is locked too. */
    pmp_set(11, RGN(4) >> 2, 0);
    pmp_set(12, RGN(5) >> 2, PMP_TOR | PMP_R | PMP_X | PMP_L);
    pmpaddr_write(11, RGN(0) >> 2);
    CHECK_EQ(pmpaddr_read(11), RGN(4) >> 2);
    FAULT(PRIV_M, fn_sw, RGN(4) + 0x20, STORE_AF);
    CHECK_EQ(run_ok(PRIV_M, fn_call, RGN(4)), 42);
    run_ok(PRIV_M, fn_sw, RGN(5));                   /* above the top */
    run_ok(PRIV_M, fn_sw, RGN(3) + 0xffc);           /* below the bottom */

    /* 13: locked NAPOT with no permission: M-mode loads fault too (a
     * JIT must not read RAM behind PMP's back in M-mode). */
    pmp_set(13, napot(RGN(6), 0x1000), PMP_NAPOT | PMP_L);
    FAULT(PRIV_M, fn_lw, RGN(6) + 8, LOAD_AF);
    FAULT(PRIV_M, fn_ld, RGN(6) + 0xff8, LOAD_AF);
    CHECK_EQ(run_ok(PRIV_M, fn_lw, RGN(7) + 8), (7u << 16) | 2);
}

/* The last bytes of RAM (virt's default 128 MiB) load in M-mode, and a
 * load running past its end faults: a JIT's bounds of RAM must hold to
 * the byte. */
#define RAM_END 0x88000000UL

static void test_ram_end(void)
{
    *(volatile uint64_t *)(RAM_END - 8) = 0x1122334455667788UL;
    CHECK_EQ(run_ok(PRIV_M, fn_ld, RAM_END - 8), 0x1122334455667788UL);
    CHECK_EQ(run_ok(PRIV_M, fn_lw, RAM_END - 4), 0x11223344);
    priv_expect(PRIV_M, LOAD_AF);
    fn_ld(RAM_END - 4);
    PRIV_CHECK_TRAP(PRIV_M, LOAD_AF);
    priv_expect(PRIV_M, LOAD_AF);
    fn_lw(RAM_END);
    PRIV_CHECK_TRAP(PRIV_M, LOAD_AF);
    CHECK_EQ(priv_trap.tval, RAM_END);
}

int main(void)
{
    priv_init();
    fill();
    test_ram_end();
    test_no_entries();
    test_regions();
    test_locked();
    return rt_pass("priv_pmp");
}
