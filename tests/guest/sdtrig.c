/*
 * sdtrig - the debug trigger module as a guest sees it (RISC-V Debug
 * Specification 1.0, ch. 5 "Sdtrig"; privileged spec 3.1.15 for the
 * breakpoint exception).
 *
 * Two address-match triggers, as QEMU 7.2's virt CPU has: tselect picks
 * one (a value past the last trigger is not taken), tinfo says types 2
 * (mcontrol) and 6 (mcontrol6), tdata1 keeps only the fields implemented
 * (type, size, m/s/u, execute/store/load) and reads the others as zero.
 * An enabled trigger with action 0 raises a breakpoint exception before
 * the instruction executes or the access happens: mcause 3, mepc the
 * instruction, mtval the matching address.  The m/s/u bits decide in
 * which privilege levels it fires; without a mode bit or without any of
 * execute/store/load it never fires.  The CSRs are M-mode only.
 *
 * The same ELF passes on qemu-system-riscv64 7.2 (-M virt -bios none).
 */
#include "priv.h"

#define CSR_TSELECT 0x7a0
#define CSR_TDATA1  0x7a1
#define CSR_TDATA2  0x7a2
#define CSR_TDATA3  0x7a3
#define CSR_TINFO   0x7a4

#define CSR_R(n) ({ uint64_t v_; asm volatile("csrr %0, %1" : "=r"(v_) : "i"(n)); v_; })
#define CSR_W(n, v) asm volatile("csrw %0, %1" : : "i"(n), "r"((uint64_t)(v)) : "memory")

/* tdata1 fields (debug spec 1.0, 5.7.2 mcontrol and 5.7.13 mcontrol6). */
#define T_TYPE(t)   ((uint64_t)(t) << 60)
#define T_DMODE     (1UL << 59)
#define T_LOAD      (1UL << 0)
#define T_STORE     (1UL << 1)
#define T_EXEC      (1UL << 2)
#define T_U         (1UL << 3)
#define T_S         (1UL << 4)
#define T_M         (1UL << 6)
#define T_MATCH(v)  ((uint64_t)(v) << 7)
#define T_CHAIN     (1UL << 11)
#define T_ACTION(v) ((uint64_t)(v) << 12)
#define T2_TIMING   (1UL << 18)
#define T2_SELECT   (1UL << 19)
#define T6_TIMING   (1UL << 20)
#define T6_SELECT   (1UL << 21)

#define CAUSE_BREAKPOINT 3

/* Probes with fixed registers and labels, so that a skipped instruction
 * leaves a known result and mepc can be compared with the label:
 *   probe_exec(x):       x + 1, or x if its first instruction was skipped
 *   probe_load(addr):    *addr, or 0x5a5a if the load was skipped
 *   probe_store(addr,v): *addr = v (the store may be skipped) */
asm(".text\n"
    ".option push\n .option norvc\n"
    ".globl probe_exec\n .align 2\n"
    "probe_exec:\n addi a0, a0, 1\n ret\n"
    ".globl probe_load, probe_load_insn\n"
    "probe_load:\n li a1, 0x5a5a\n"
    "probe_load_insn:\n ld a1, 0(a0)\n mv a0, a1\n ret\n"
    ".globl probe_store, probe_store_insn\n"
    "probe_store:\n"
    "probe_store_insn:\n sd a1, 0(a0)\n ret\n"
    ".globl probe_mid, probe_mid_insn\n .align 2\n"
    "probe_mid:\n addi a0, a0, 1\n addi a0, a0, 2\n"
    "probe_mid_insn:\n addi a0, a0, 4\n addi a0, a0, 8\n ret\n"
    ".globl probe_amo, probe_amo_insn\n"
    "probe_amo:\n li a1, 0x5a5a\n"
    "probe_amo_insn:\n amoadd.d a1, a1, (a0)\n mv a0, a1\n ret\n"
    ".option pop\n");

uint64_t probe_exec(uint64_t x);
uint64_t probe_mid(uint64_t x);
uint64_t probe_amo(uint64_t addr);
uint64_t probe_load(uint64_t addr);
void probe_store(uint64_t addr, uint64_t v);
extern char probe_load_insn[], probe_store_insn[], probe_mid_insn[],
            probe_amo_insn[];

static volatile uint64_t watched[4] __attribute__((aligned(64)));

static uint64_t fn_exec(uint64_t x)
{
    return probe_exec(x);
}

static uint64_t fn_mid(uint64_t x)
{
    return probe_mid(x);
}

static uint64_t fn_amo(uint64_t addr)
{
    return probe_amo(addr);
}

static uint64_t fn_load(uint64_t addr)
{
    return probe_load(addr);
}

static uint64_t fn_store(uint64_t addr)
{
    probe_store(addr, 0x1234);
    return 0;
}

static uint64_t fn_read_tselect(uint64_t a)
{
    (void)a;
    return CSR_R(CSR_TSELECT);
}

/* Program trigger `i`: tdata1 = 0 first so no half-set trigger fires. */
static void set_trigger(unsigned i, uint64_t tdata1, uint64_t tdata2)
{
    CSR_W(CSR_TSELECT, i);
    CSR_W(CSR_TDATA1, T_TYPE(2));
    CSR_W(CSR_TDATA2, tdata2);
    CSR_W(CSR_TDATA1, tdata1);
}

static void clear_triggers(void)
{
    set_trigger(0, T_TYPE(2), 0);
    set_trigger(1, T_TYPE(2), 0);
}

/* Run fn(arg) in `mode` expecting a breakpoint trap at pc with tval. */
static uint64_t expect_break(unsigned mode, uint64_t (*fn)(uint64_t),
                             uint64_t arg, uint64_t pc, uint64_t tval)
{
    priv_expect(PRIV_M, CAUSE_BREAKPOINT);
    uint64_t r = priv_run(mode, fn, arg);
    PRIV_CHECK_TRAP(PRIV_M, CAUSE_BREAKPOINT);
    CHECK_EQ(priv_trap.epc, pc);
    /* The privileged spec allows mtval 0 for breakpoints: QEMU 7.2 gives
       0, rewind the matching address (debug spec 5.1). */
    if (priv_trap.tval != 0) {
        CHECK_EQ(priv_trap.tval, tval);
    }
    return r;
}

static void test_csrs(void)
{
    CHECK_EQ(CSR_R(CSR_TSELECT), 0);
    /* Reset: an mcontrol trigger with nothing enabled. */
    CHECK_EQ(CSR_R(CSR_TDATA1), T_TYPE(2));
    CHECK_EQ(CSR_R(CSR_TINFO), (1UL << 2) | (1UL << 6));

    CSR_W(CSR_TSELECT, 1);
    CHECK_EQ(CSR_R(CSR_TSELECT), 1);
    CHECK_EQ(CSR_R(CSR_TDATA1), T_TYPE(2));
    CHECK_EQ(CSR_R(CSR_TINFO), (1UL << 2) | (1UL << 6));
    /* No trigger 2 or beyond: tselect keeps trigger 1. */
    CSR_W(CSR_TSELECT, 2);
    CHECK_EQ(CSR_R(CSR_TSELECT), 1);
    CSR_W(CSR_TSELECT, ~0UL);
    CHECK_EQ(CSR_R(CSR_TSELECT), 1);
    CHECK_EQ(CSR_R(CSR_TINFO), (1UL << 2) | (1UL << 6));

    /* tdata2 holds any address; each trigger has its own. */
    CSR_W(CSR_TDATA2, 0x8000123456789abcUL);
    CHECK_EQ(CSR_R(CSR_TDATA2), 0x8000123456789abcUL);
    CSR_W(CSR_TSELECT, 0);
    CSR_W(CSR_TDATA2, 0x42);
    CHECK_EQ(CSR_R(CSR_TDATA2), 0x42);
    CSR_W(CSR_TSELECT, 1);
    CHECK_EQ(CSR_R(CSR_TDATA2), 0x8000123456789abcUL);

    /* mcontrol: unimplemented fields (dmode, match, chain, action 1,
       timing, select) read as zero; size, modes and kinds stick. */
    uint64_t want = T_TYPE(2) | T_M | T_S | T_U | T_EXEC | T_STORE | T_LOAD |
                    (1UL << 16);
    CSR_W(CSR_TDATA1, want | T_DMODE | T_MATCH(2) | T_CHAIN | T_ACTION(1) |
                      T2_TIMING | T2_SELECT);
    CHECK_EQ(CSR_R(CSR_TDATA1), want);
    CSR_W(CSR_TDATA1, T_TYPE(2));
    CHECK_EQ(CSR_R(CSR_TDATA1), T_TYPE(2));

    /* mcontrol6: the same, with its own timing/select positions. */
    want = T_TYPE(6) | T_M | T_U | T_STORE | (3UL << 16);
    CSR_W(CSR_TDATA1, want | T_MATCH(1) | T_CHAIN | T_ACTION(1) | T6_TIMING |
                      T6_SELECT);
    CHECK_EQ(CSR_R(CSR_TDATA1), want);

    /* tdata3 (textra): no context matching, reads as zero. */
    CSR_W(CSR_TDATA3, 0);
    CHECK_EQ(CSR_R(CSR_TDATA3), 0);

    clear_triggers();
    CHECK_EQ(CSR_R(CSR_TSELECT), 1);
    CHECK_EQ(CSR_R(CSR_TDATA1), T_TYPE(2));

    /* The trigger CSRs are machine-mode only. */
    priv_expect(PRIV_M, PRIV_CAUSE_ILLEGAL);
    priv_run(PRIV_S, fn_read_tselect, 0);
    PRIV_CHECK_TRAP(PRIV_M, PRIV_CAUSE_ILLEGAL);
    priv_expect(PRIV_M, PRIV_CAUSE_ILLEGAL);
    priv_run(PRIV_U, fn_read_tselect, 0);
    PRIV_CHECK_TRAP(PRIV_M, PRIV_CAUSE_ILLEGAL);
}

static void test_execute(unsigned type)
{
    uint64_t pc = (uint64_t)(uintptr_t)probe_exec;

    /* M-mode: fires before the instruction, which the handler skips. */
    set_trigger(0, T_TYPE(type) | T_M | T_EXEC, pc);
    CHECK_EQ(expect_break(PRIV_M, fn_exec, 10, pc, pc), 10);
    /* It fires every time the address is reached. */
    CHECK_EQ(expect_break(PRIV_M, fn_exec, 20, pc, pc), 20);

    /* Disabled, or enabled for other modes only, or on another address,
       or for loads and stores only: the instruction runs. */
    set_trigger(0, T_TYPE(type), pc);
    CHECK_EQ(priv_run(PRIV_M, fn_exec, 10), 11);
    set_trigger(0, T_TYPE(type) | T_S | T_U | T_EXEC, pc);
    CHECK_EQ(priv_run(PRIV_M, fn_exec, 10), 11);
    set_trigger(0, T_TYPE(type) | T_M | T_S | T_U | T_EXEC, pc + 2);
    CHECK_EQ(priv_run(PRIV_M, fn_exec, 10), 11);
    set_trigger(0, T_TYPE(type) | T_M | T_S | T_U | T_LOAD | T_STORE, pc);
    CHECK_EQ(priv_run(PRIV_M, fn_exec, 10), 11);
    set_trigger(0, T_TYPE(type) | T_EXEC, pc);
    CHECK_EQ(priv_run(PRIV_M, fn_exec, 10), 11);

    /* S and U by their mode bits. */
    set_trigger(0, T_TYPE(type) | T_U | T_EXEC, pc);
    CHECK_EQ(expect_break(PRIV_U, fn_exec, 30, pc, pc), 30);
    CHECK_EQ(priv_run(PRIV_S, fn_exec, 30), 31);
    set_trigger(0, T_TYPE(type) | T_S | T_EXEC, pc);
    CHECK_EQ(expect_break(PRIV_S, fn_exec, 40, pc, pc), 40);
    CHECK_EQ(priv_run(PRIV_U, fn_exec, 40), 41);
    CHECK_EQ(priv_run(PRIV_M, fn_exec, 40), 41);

    /* An address inside straight-line code that already ran (and was
       translated) without the trigger: it still fires there. */
    uint64_t mid = (uint64_t)(uintptr_t)probe_mid_insn;
    CHECK_EQ(priv_run(PRIV_U, fn_mid, 0), 15);
    set_trigger(0, T_TYPE(type) | T_U | T_EXEC, mid);
    CHECK_EQ(expect_break(PRIV_U, fn_mid, 0, mid, mid), 11);
    CHECK_EQ(priv_run(PRIV_M, fn_mid, 0), 15);

    /* Trigger 1 works on its own. */
    clear_triggers();
    set_trigger(1, T_TYPE(type) | T_M | T_S | T_U | T_EXEC, pc);
    CHECK_EQ(expect_break(PRIV_U, fn_exec, 50, pc, pc), 50);
    clear_triggers();
    CHECK_EQ(priv_run(PRIV_U, fn_exec, 50), 51);
}

static void test_load(unsigned type)
{
    uint64_t a = (uint64_t)(uintptr_t)&watched[1];
    uint64_t ld = (uint64_t)(uintptr_t)probe_load_insn;

    watched[0] = 0x100;
    watched[1] = 0x111;
    set_trigger(0, T_TYPE(type) | T_M | T_LOAD, a);
    /* The load does not happen: the register keeps its old value. */
    CHECK_EQ(expect_break(PRIV_M, fn_load, a, ld, a), 0x5a5a);
    /* Other addresses and stores are not watched. */
    CHECK_EQ(priv_run(PRIV_M, fn_load, a - 8), 0x100);
    /* ...and do not make the watched one fast to reach. */
    CHECK_EQ(expect_break(PRIV_M, fn_load, a, ld, a), 0x5a5a);
    priv_run(PRIV_M, fn_store, a);

    /* U only: fires in U, not in S or M. */
    set_trigger(0, T_TYPE(type) | T_U | T_LOAD, a);
    CHECK_EQ(watched[1], 0x1234);
    CHECK_EQ(expect_break(PRIV_U, fn_load, a, ld, a), 0x5a5a);
    CHECK_EQ(priv_run(PRIV_S, fn_load, a), 0x1234);
    CHECK_EQ(priv_run(PRIV_M, fn_load, a), 0x1234);
    /* No mode bit: never. */
    set_trigger(0, T_TYPE(type) | T_LOAD, a);
    CHECK_EQ(priv_run(PRIV_U, fn_load, a), 0x1234);
    CHECK_EQ(priv_run(PRIV_M, fn_load, a), 0x1234);
    clear_triggers();
}

static void test_store(unsigned type)
{
    uint64_t a = (uint64_t)(uintptr_t)&watched[2];
    uint64_t st = (uint64_t)(uintptr_t)probe_store_insn;

    watched[2] = 0x222;
    watched[3] = 0x333;
    set_trigger(1, T_TYPE(type) | T_M | T_STORE, a);
    /* The store does not happen. */
    expect_break(PRIV_M, fn_store, a, st, a);
    CHECK_EQ(watched[2], 0x222);
    /* Loads of it and stores elsewhere go on. */
    CHECK_EQ(priv_run(PRIV_M, fn_load, a), 0x222);
    priv_run(PRIV_M, fn_store, a + 8);
    CHECK_EQ(watched[3], 0x1234);

    /* S only: fires in S, not in U or M. */
    set_trigger(1, T_TYPE(type) | T_S | T_STORE, a);
    expect_break(PRIV_S, fn_store, a, st, a);
    CHECK_EQ(watched[2], 0x222);
    priv_run(PRIV_U, fn_store, a);
    CHECK_EQ(watched[2], 0x1234);
    watched[2] = 0x222;
    priv_run(PRIV_M, fn_store, a);
    CHECK_EQ(watched[2], 0x1234);

    /* U only: fires in U, not in S. */
    watched[2] = 0x222;
    set_trigger(1, T_TYPE(type) | T_U | T_STORE, a);
    expect_break(PRIV_U, fn_store, a, st, a);
    CHECK_EQ(watched[2], 0x222);
    priv_run(PRIV_S, fn_store, a);
    CHECK_EQ(watched[2], 0x1234);

    /* A trigger inside an access matches it (any byte accessed). */
    watched[2] = 0x222;
    set_trigger(1, T_TYPE(type) | T_S | T_STORE, a + 4);
    expect_break(PRIV_S, fn_store, a, st, a + 4);
    CHECK_EQ(watched[2], 0x222);
    set_trigger(1, T_TYPE(type) | T_U | T_STORE, a);

    /* An AMO is a store (and a load): it does not happen. */
    uint64_t amo = (uint64_t)(uintptr_t)probe_amo_insn;
    CHECK_EQ(expect_break(PRIV_U, fn_amo, a, amo, a), 0x5a5a);
    CHECK_EQ(watched[2], 0x222);
    CHECK_EQ(priv_run(PRIV_S, fn_amo, a), 0x222);
    CHECK_EQ(watched[2], 0x222 + 0x5a5a);
    clear_triggers();
}

/* Both triggers at once: an execute trigger and a load trigger. */
static void test_two(void)
{
    uint64_t pc = (uint64_t)(uintptr_t)probe_exec;
    uint64_t a = (uint64_t)(uintptr_t)&watched[0];
    uint64_t ld = (uint64_t)(uintptr_t)probe_load_insn;

    watched[0] = 7;
    set_trigger(0, T_TYPE(2) | T_U | T_S | T_EXEC, pc);
    set_trigger(1, T_TYPE(6) | T_U | T_S | T_LOAD, a);
    CHECK_EQ(expect_break(PRIV_S, fn_exec, 1, pc, pc), 1);
    CHECK_EQ(expect_break(PRIV_U, fn_load, a, ld, a), 0x5a5a);
    CHECK_EQ(priv_run(PRIV_M, fn_exec, 1), 2);
    CHECK_EQ(priv_run(PRIV_M, fn_load, a), 7);
    clear_triggers();
    CHECK_EQ(priv_run(PRIV_U, fn_exec, 1), 2);
    CHECK_EQ(priv_run(PRIV_U, fn_load, a), 7);
}

/* A long stretch with an execute trigger armed, then many hits: the
   record/replay test seeks into it from checkpoints (seeks within the
   first million instructions just run from the start). */
static void test_long(void)
{
    uint64_t pc = (uint64_t)(uintptr_t)probe_exec;

    set_trigger(1, T_TYPE(6) | T_M | T_U | T_EXEC, pc);
    for (volatile long i = 0; i < 300000; i++) {
    }
    for (uint64_t i = 0; i < 400; i++) {
        CHECK_EQ(expect_break(PRIV_U, fn_exec, i, pc, pc), i);
    }
    clear_triggers();
    CHECK_EQ(priv_run(PRIV_U, fn_exec, 1), 2);
}

int main(void)
{
    priv_init();
    test_csrs();
    test_execute(2);
    test_execute(6);
    test_load(2);
    test_load(6);
    test_store(2);
    test_store(6);
    test_two();
    test_long();
    return rt_pass("sdtrig");
}
