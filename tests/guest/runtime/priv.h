/*
 * priv.h - privileged-architecture helpers for the guest test programs
 * (privileged spec v1.12): run code in S or U mode, take traps in M or S
 * mode from any privilege level, record interrupts.
 *
 * Usage (after rt.h's crt0 has called main in M-mode):
 *     priv_init();                          // trap vectors, trap stacks, PMP
 *     uint64_t r = priv_run(PRIV_U, fn, 42); // fn(42) in U-mode, back in M
 *     priv_expect(PRIV_M, PRIV_CAUSE_ILLEGAL);
 *     priv_run(PRIV_S, does_mret, 0);
 *     PRIV_CHECK_TRAP(PRIV_M, PRIV_CAUSE_ILLEGAL);
 *     CHECK_EQ(priv_trap.tval, 0x30200073);
 *
 * priv_run() enters fn with mret (mstatus.MPP = mode, other mstatus bits as
 * the caller left them) on a stack just below the caller's.  When fn
 * returns it lands in a trampoline that executes `ecall` with
 * a7 = PRIV_RETURN_MAGIC; the M-mode handler (or the S-mode handler, which
 * forwards it with its own ecall) then unwinds to priv_run's caller in
 * M-mode with fn's return value.  mstatus afterwards is what the trap left
 * (MIE = 0, MPIE = the old MIE, MPP = the mode of the ecall).
 *
 * Both handlers run on their own stacks (mscratch / sscratch hold the stack
 * top while the handler is not running), so traps from code with any sp,
 * with or without translation, are fine as long as the S-mode handler's
 * code and data are mapped for S when satp is on.  Nested traps inside a
 * handler are not supported.
 *
 * An armed exception (priv_expect) is recorded in priv_trap and resumed:
 * instruction fetch faults (causes 0, 1, 12) return to the faulting call's
 * ra (tests reach bad code with a call), every other exception skips the
 * faulting instruction (2 or 4 bytes; the S handler reads it with SUM and
 * MXR set).  Interrupts are appended to priv_irq_log and passed to
 * priv_irq_hook, which must silence the source and return true.  Anything
 * else prints the trap and exits with code 1.
 */
#ifndef PRIV_H
#define PRIV_H

#include "rt.h"

#define PRIV_U 0u
#define PRIV_S 1u
#define PRIV_M 3u

/* Sv39/Sv48 PTE bits (privileged spec 4.3.1). */
#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_U (1UL << 4)
#define PTE_G (1UL << 5)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)

/* mstatus / sstatus bits, privileged spec 3.1.6. */
#define MSTATUS_SIE  (1UL << 1)
#define MSTATUS_MIE  (1UL << 3)
#define MSTATUS_SPIE (1UL << 5)
#define MSTATUS_MPIE (1UL << 7)
#define MSTATUS_SPP  (1UL << 8)
#define MSTATUS_MPP  (3UL << 11)
#define MSTATUS_MPP_S (1UL << 11)
#define MSTATUS_MPRV (1UL << 17)
#define MSTATUS_SUM  (1UL << 18)
#define MSTATUS_MXR  (1UL << 19)
#define MSTATUS_TVM  (1UL << 20)
#define MSTATUS_TW   (1UL << 21)
#define MSTATUS_TSR  (1UL << 22)

/* Exception codes beyond rt.h's, privileged spec 3.1.15. */
#define PRIV_CAUSE_ILLEGAL     2
#define PRIV_CAUSE_FETCH_PAGE  12
#define PRIV_CAUSE_LOAD_PAGE   13
#define PRIV_CAUSE_STORE_PAGE  15

/* Interrupt numbers (bit positions in mip/mie/mideleg). */
#define IRQ_SSI 1
#define IRQ_MSI 3
#define IRQ_STI 5
#define IRQ_MTI 7
#define IRQ_SEI 9
#define IRQ_MEI 11
#define PRIV_INTR (1ULL << 63)

#define PRIV_RETURN_MAGIC 0x7265776e64ULL   /* "rewnd" */
#define PRIV_VEC_DIRECT   (~0ULL)

/* CLINT and PLIC of the virt machine (hart 0 / context 0 offsets). */
#define CLINT_MSIP(h)     (0x2000000UL + 4 * (h))
#define CLINT_MTIMECMP(h) (0x2004000UL + 8 * (h))
#define CLINT_MTIME       0x200bff8UL
#define MMIO32(a) (*(volatile uint32_t *)(uintptr_t)(a))
#define MMIO64(a) (*(volatile uint64_t *)(uintptr_t)(a))
#define MMIO8(a)  (*(volatile uint8_t *)(uintptr_t)(a))

typedef struct PrivTrap {
    uint64_t cause;    /* mcause or scause */
    uint64_t epc;      /* mepc or sepc: the trapping instruction */
    uint64_t tval;     /* mtval or stval */
    uint64_t status;   /* mstatus (M handler) or sstatus (S handler) */
    uint64_t vector;   /* vector slot entered, PRIV_VEC_DIRECT if BASE */
    unsigned level;    /* PRIV_M or PRIV_S: which handler took it */
    uint64_t count;    /* expected exceptions taken so far */
    unsigned want_level;
    uint64_t want_cause;
    uint64_t want_cause2;
    bool armed;
    bool taken;
    bool abort;        /* end the running priv_run() instead of resuming */
} PrivTrap;

extern volatile PrivTrap priv_trap;
/* mcause and mstatus of the ecall that ended the last priv_run(): 8, 9 or
 * 11 tell the mode fn returned in (9 also when a U-mode return was
 * forwarded by the S handler). */
extern volatile uint64_t priv_return_cause, priv_return_status;

typedef struct PrivIrq {
    unsigned level;
    uint64_t cause;
    uint64_t vector;
    uint64_t status;   /* mstatus/sstatus seen by the handler */
    uint64_t epc;
} PrivIrq;

#define PRIV_IRQ_LOG 16
extern volatile PrivIrq priv_irq_log[PRIV_IRQ_LOG];
extern volatile unsigned priv_irq_count;
/* Silences interrupt `cause` (without the top bit) taken at `level`. */
extern bool (*volatile priv_irq_hook)(unsigned level, uint64_t cause);

/* Installs both trap vectors in direct mode, the trap stacks, clears
 * medeleg/mideleg/mie, and opens PMP entry 15 (NAPOT, whole address space,
 * RWX) so that S and U may access memory at all. */
void priv_init(void);

/* Runs fn(arg) in `mode` (PRIV_U, PRIV_S or PRIV_M); returns its result. */
uint64_t priv_run(unsigned mode, uint64_t (*fn)(uint64_t), uint64_t arg);

/* A body for priv_run: calls the code at va (placed there at run time)
 * with a0 = 0 and returns its a0. A fetch fault there resumes at the
 * return address, so the call returns. */
uint64_t priv_call_code(uint64_t va);

/* Arms the handlers for exactly one exception `cause` taken at `level`. */
void priv_expect(unsigned level, uint64_t cause);
/* Same, accepting either of two causes: for the few cases where QEMU 7.2
 * and the spec disagree (the test reports which one it saw). */
void priv_expect2(unsigned level, uint64_t cause, uint64_t cause2);
/* Same, but the trap ends the running priv_run(), which returns
 * PRIV_ABORTED: for code that cannot go on (e.g. it may not fetch). */
void priv_expect_abort(unsigned level, uint64_t cause);
#define PRIV_ABORTED 0xab0a7edULL
/* True (and disarms) if the armed exception was taken as expected. */
bool priv_trapped(unsigned level, uint64_t cause);

#define PRIV_CHECK_TRAP(lvl, want)                                           \
    do {                                                                     \
        uint64_t priv_got_ = priv_trap.taken                                 \
            ? (priv_trap.cause | ((uint64_t)priv_trap.level << 56)) : ~0ULL; \
        rt_checks++;                                                         \
        if (!priv_trapped((lvl), (want)))                                    \
            rt_check_fail(__FILE__, __LINE__,                                \
                          "trap (level<<56 | cause) " #lvl " " #want, true,  \
                          (uint64_t)(want) | ((uint64_t)(lvl) << 56),        \
                          priv_got_);                                        \
    } while (0)

/* The vectored tables (aligned to 256): slot i branches to the common
 * entry noting vector i.  Write `(uintptr_t)priv_m_vectors | 1` to mtvec. */
extern char priv_m_vectors[], priv_s_vectors[];
extern char priv_m_entry[], priv_s_entry[];

/* Assembly helpers. */
extern char priv_return_trampoline[];

#endif
