/*
 * RISC-V hart state and the pre-decoded instruction format.
 *
 * Guest code is decoded once per translation block into an array of RVInsn;
 * each RVInsn carries a pointer to the function that executes it (RVExecFn)
 * and its operands already extracted. Executing an instruction is one
 * indirect call: fn(cpu, insn).
 *
 * Register x0: the decoder rewrites a destination of x0 to RV_REG_SINK (32),
 * a scratch slot nobody reads, so handlers write x[rd] unconditionally and
 * x[0] stays zero without a check on the hot path.
 *
 * A handler either continues with the next instruction (RV_NEXT, a tail
 * call) or returns one of the RV_EXEC_* codes:
 *   RV_EXEC_JUMP  retired, cpu->pc holds the next pc, leave the block;
 *   RV_EXEC_TRAP  not retired: a trap was taken (rv_raise_exception already
 *                 set cpu->pc to the handler), leave the block.
 * RV_EXEC_NEXT (0) is only returned by helpers such as rv_load/rv_store
 * to say "no exit"; a handler never returns it.
 *
 * How many instructions of the block retired is cpu->exit_idx: the run
 * loop presets it to the block length; exits in the middle of a block (a
 * trap, a store that hit code or a device) set it.
 */
#ifndef TCG_RISCV_CPU_H
#define TCG_RISCV_CPU_H

#include "core/types.h"

typedef struct RVCPU RVCPU;
typedef struct RVInsn RVInsn;
typedef struct CoreMachine CoreMachine;

typedef int (*RVExecFn)(RVCPU *cpu, const RVInsn *in);

enum {
    RV_EXEC_NEXT = 0,
    RV_EXEC_JUMP = 1,
    RV_EXEC_TRAP = 2,
};

#define RV_REG_SINK 32

/* Continue with the next instruction of the block. Every block ends with a
   sentinel entry, so in[1] always exists; this is a tail call, so a block
   runs as a chain of jumps between handlers (threaded code) and returns
   to the run loop only at its end, a jump or a trap. */
#define RV_NEXT(cpu, in) return (in)[1].fn((cpu), (in) + 1)

/* One decoded instruction. */
struct RVInsn {
    RVExecFn fn;
    int64_t imm;       /* sign-extended immediate; CSR number for CSR ops;
                          shamt for shifts; aq/rl bits for AMOs (bit1 aq, bit0 rl) */
    gva_t pc;          /* guest virtual pc of this instruction */
    uint32_t raw;      /* the 32-bit encoding (expanded form for RVC) */
    uint8_t rd, rs1, rs2, rs3;
    uint8_t len;       /* 2 or 4 */
    uint8_t rm;        /* funct3 field: FP rounding mode, CSR variant, ... */
    uint8_t idx;       /* position inside its translation block */
    uint8_t flags;     /* RV_OPF_* of its decode table entry */
    uint16_t op;       /* index into the decode table (for disassembly, stats) */
    uint16_t craw;     /* RVC: the 16 bits as in memory (illegal-instruction
                          tval, tracing); 0 for 32-bit instructions */
};

/* Longest translation block, in instructions. */
#define RV_TB_MAX_INSNS 128
/* Conditional branches in the middle of a block, at most (translate.c):
   the one after them ends it. The environment variable REWIND_SIDE_EXITS
   chooses 0..RV_TB_MAX_SIDE_EXITS (0 ends every block at its first
   branch; docs/jit.md "Side exits"). */
#define RV_TB_MAX_SIDE_EXITS 8
#define RV_TB_SIDE_EXITS_DEFAULT 8

/* Ends every block: moves pc past the last instruction and leaves. */
int rv_exec_block_end(RVCPU *cpu, const RVInsn *in);

/* Privilege levels (privileged spec 1.2). */
enum { RV_PRIV_U = 0, RV_PRIV_S = 1, RV_PRIV_M = 3 };

/* Software TLB: direct-mapped, one per privilege level used for access. */
#define RV_TLB_BITS 10
#define RV_TLB_SIZE (1u << RV_TLB_BITS)
#define RV_PAGE_BITS 12
#define RV_PAGE_SIZE (1ull << RV_PAGE_BITS)
#define RV_PAGE_MASK (~(RV_PAGE_SIZE - 1))
#define RV_TLB_INVALID (~0ull)
#define RV_TLB_SLOW_WRITE 1ull   /* never equals a page address */

/* Debug triggers (Sdtrig, tcg/riscv/trigger.c), as many as QEMU 7.2 has. */
#define RV_NTRIGGERS 2

typedef struct RVTlbEntry {
    gva_t tag_read;     /* page address if reads may use the fast path */
    gva_t tag_write;    /* page address if writes may use the fast path;
                           page | RV_TLB_SLOW_WRITE: writable, but the page
                           holds translated code or page tables (slow
                           path, mmu.c) */
    gva_t tag_exec;     /* page address if fetches are allowed */
    uintptr_t addend;   /* host pointer = guest virtual address + addend */
} RVTlbEntry;           /* 32 bytes: generated code indexes it with a shift
                           (jit.c gen_tlb); the guest-physical page of each
                           entry is kept apart, in RVCPU.tlb_phys */

/* Jump cache: virtual pc -> translation block, flushed with the TLB. */
#define RV_JC_BITS 16
#define RV_JC_SIZE (1u << RV_JC_BITS)
#define RV_JC_PAGE_BITS (1u << 16)
typedef struct TB TB;

struct RVCPU {
    /* Architectural state (saved/restored, hashed). */
    uint64_t x[33];
    uint64_t f[32];          /* NaN-boxed: single-precision values have the
                                upper 32 bits all ones */
    gva_t pc;
    uint32_t fflags;         /* accrued exception flags, fcsr[4:0] */
    uint32_t frm;            /* dynamic rounding mode, fcsr[7:5] */
    uint32_t priv;
    uint32_t wfi;            /* waiting for an interrupt */
    uint64_t mhartid;
    uint64_t instret;        /* instructions retired by this hart */

    uint64_t mstatus, misa, medeleg, mideleg, mip, mie;
    uint8_t seip_sw, seip_hw;  /* mip.SEIP = software bit | PLIC line */
    uint64_t mtvec, mscratch, mepc, mcause, mtval;
    uint64_t stvec, sscratch, sepc, scause, stval, satp;
    uint64_t mcounteren, scounteren, menvcfg, senvcfg, mcountinhibit;
    uint64_t stimecmp;
    uint64_t pmpcfg[2];      /* RV64: pmpcfg0 and pmpcfg2 */
    uint64_t pmpaddr[16];
    uint64_t tselect;        /* debug triggers: selected one, and their */
    uint64_t tdata1[RV_NTRIGGERS];   /* legal tdata1/tdata2 values */
    uint64_t tdata2[RV_NTRIGGERS];

    /* LR/SC reservation: SC succeeds if the reserved doubleword still holds
       the value LR read (deterministic across harts, like a CAS). */
    gpa_t res_addr;
    uint64_t res_value;
    uint32_t res_valid;

    /* ---- host-side state, not part of the guest state ---- */
    CoreMachine *machine;
    uint64_t icount_base;    /* global icount before the first insn of the
                                block being executed */
    RVTlbEntry tlb[4][RV_TLB_SIZE];  /* indexed by privilege (2 unused) */
    gpa_t tlb_phys[4][RV_TLB_SIZE];  /* guest-physical page of each entry */
    RVTlbEntry *data_tlb;    /* tlb for loads/stores (priv or MPRV's MPP) */
    RVTlbEntry *fetch_tlb;   /* tlb for fetches (priv) */
    /* The direct window (mmu.c rv_dwin_update, jit.c gen_load): while
       loads need no translation and nothing keeps any RAM page off the
       TLB's read fast path (no PMP rule limiting it, no watchpoint, no
       load/store trigger), a load of [addr, addr + 8) with addr -
       dwin_base < dwin_limit reads host memory at addr + dwin_addend.
       dwin_limit 0: closed. Recomputed with data_tlb (every change of
       those conditions goes through rv_update_tlb_mode). */
    gpa_t dwin_base;
    uint64_t dwin_limit;
    uintptr_t dwin_addend;
    TB *jump_cache[RV_JC_SIZE];
    /* What flushes must clear (mmu.c): TLB entries filled (bit
       t * RV_TLB_SIZE + i) and jump-cache slots set since the last full
       flush, and the 1 GiB regions (hashed) holding entries made
       from superpages (an sfence.vma of an address there flushes all). */
    uint64_t tlb_used[4 * RV_TLB_SIZE / 64];
    uint64_t jc_used[RV_JC_SIZE / 64];
    uint64_t tlb_super[512 / 64];
    /* Entries and slots that survive a change of address space (satp
       write, sfence.vma with rs2 != x0): their translation is global (a
       G bit on the walk's path) or needs no satp (M-mode, Bare). Same
       indices as tlb_used and jc_used. */
    uint64_t tlb_global[4 * RV_TLB_SIZE / 64];
    uint64_t jc_global[RV_JC_SIZE / 64];
    /* Top-level PTE indices the page-table walks of global entries went
       through (ptpage.c): a satp write keeps those entries only if the
       new root holds the same PTEs there. Cleared by full flushes. */
    uint64_t tlb_top[512 / 64];
    /* Anything filled (TLB entry, jump-cache slot) since the last full
       flush: when no hart has, no page needs its page-table flag. */
    uint8_t tlb_filled;
    /* Virtual pages (hashed: bit (va >> 12) % RV_JC_PAGE_BITS) that may
       have blocks in the jump cache, [0] non-global and [1] global: an
       sfence.vma of a page with none looks at no slot. */
    uint64_t jc_pages[2][RV_JC_PAGE_BITS / 64];
    /* Entries whose read/write permission relied on mstatus.SUM or MXR
       being set: clearing either drops them (setting one drops nothing). */
    uint64_t tlb_wide[4 * RV_TLB_SIZE / 64];
    gpa_t pmp_pt_ok[4];      /* per walk level: a page of PTEs PMP allows
                                S-mode to read whole (mmu.c), or ~0 */
    struct TBCache *tbs;     /* shared by all harts of the machine */
    uint64_t (*time_fn)(void *opaque);
    void *time_opaque;
    void *trace;             /* FILE * for -d in_asm style tracing, or NULL */
    uint32_t exit_idx;       /* instructions of the block that retired */
    uint64_t load_result;    /* value of the last rv_load_slow */
    uint32_t stuck_traps;    /* traps in a row with nothing retired */
    uint8_t trig_exec;       /* triggers armed for execute (bit i: i) */
    uint8_t trig_mem;        /* triggers armed for loads or stores */
    uint8_t jit;             /* run whole blocks as host code (jit.c) */
    uint32_t jit_threshold;  /* translate a block on its Nth whole run
                                (0 and 1: at once); it is interpreted
                                before */
    void *jit_trace;         /* FILE * for --trace-jit, or NULL */
    uint8_t side_exits;      /* branches a block goes on past
                                (translate.c, rv_side_exits_wanted) */
    int64_t chain_left;      /* JIT block chaining (jit.c): instructions
                                the chained blocks may still retire */
    int64_t chain_mark;      /* chain_left when icount_base, instret and
                                m->icount were last brought up to date
                                (rv_chain_settle): chained blocks
                                account only in chain_left */
    void *chain_slot;        /* a chain exit that missed: where to link
                                the next block (writable view), or NULL */
    const void *jit_hint;    /* while the run loop enters a block not yet
                                translated after such an exit: its link,
                                whose register choice the translation
                                follows where it can (jit.c), or NULL */
    RVInsn partial[RV_TB_MAX_INSNS + 1];  /* a block cut short by the
                                             instruction budget */
};

/* Exact global icount at the start of instruction `in` of the running block. */
static inline uint64_t rv_icount_at(const RVCPU *cpu, const RVInsn *in)
{
    return cpu->icount_base + in->idx;
}

/* mstatus bits used on hot paths. */
#define RV_MSTATUS_SIE   (1ull << 1)
#define RV_MSTATUS_MIE   (1ull << 3)
#define RV_MSTATUS_SPIE  (1ull << 5)
#define RV_MSTATUS_UBE   (1ull << 6)
#define RV_MSTATUS_MPIE  (1ull << 7)
#define RV_MSTATUS_SPP   (1ull << 8)
#define RV_MSTATUS_MPP_SHIFT 11
#define RV_MSTATUS_MPP   (3ull << 11)
#define RV_MSTATUS_FS_SHIFT 13
#define RV_MSTATUS_FS    (3ull << 13)
#define RV_MSTATUS_XS    (3ull << 15)
#define RV_MSTATUS_MPRV  (1ull << 17)
#define RV_MSTATUS_SUM   (1ull << 18)
#define RV_MSTATUS_MXR   (1ull << 19)
#define RV_MSTATUS_TVM   (1ull << 20)
#define RV_MSTATUS_TW    (1ull << 21)
#define RV_MSTATUS_TSR   (1ull << 22)
#define RV_MSTATUS_UXL   (3ull << 32)
#define RV_MSTATUS_SXL   (3ull << 34)
#define RV_MSTATUS_SD    (1ull << 63)
#define RV_FS_OFF 0
#define RV_FS_DIRTY 3

/* Exception causes (privileged spec, table 3.6). */
enum {
    RV_EXC_INSN_MISALIGNED = 0,
    RV_EXC_INSN_ACCESS = 1,
    RV_EXC_ILLEGAL = 2,
    RV_EXC_BREAKPOINT = 3,
    RV_EXC_LOAD_MISALIGNED = 4,
    RV_EXC_LOAD_ACCESS = 5,
    RV_EXC_STORE_MISALIGNED = 6,
    RV_EXC_STORE_ACCESS = 7,
    RV_EXC_ECALL_U = 8,
    RV_EXC_ECALL_S = 9,
    RV_EXC_ECALL_M = 11,
    RV_EXC_INSN_PAGE = 12,
    RV_EXC_LOAD_PAGE = 13,
    RV_EXC_STORE_PAGE = 15,
};

/* Interrupt numbers RV_IRQ_*: tcg/riscv/rv.h. */

/* Take a synchronous exception at instruction `in` (its pc goes to xepc).
   Always returns RV_EXEC_TRAP so handlers can `return rv_raise_exception(..)`. */
int rv_raise_exception(RVCPU *cpu, const RVInsn *in, unsigned cause, uint64_t tval);

/* Illegal-instruction exception with the instruction bits as tval. */
int rv_raise_illegal(RVCPU *cpu, const RVInsn *in);

/* Mark the FP state dirty after an instruction wrote f[] or fcsr. */
static inline void rv_fp_set_dirty(RVCPU *cpu)
{
    cpu->mstatus |= RV_MSTATUS_FS | RV_MSTATUS_SD;
}

#endif
