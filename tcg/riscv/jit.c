/*
 * The JIT: a translation block's decoded instructions (RVInsn, translate.c)
 * become one x86-64 host function, int block(RVCPU *cpu), with the same
 * contract as running the block in the interpreter from its first
 * instruction to its end (exec.c run_block): it returns RV_EXEC_JUMP or
 * RV_EXEC_TRAP with cpu->pc set, and cpu->exit_idx left at the block
 * length unless a helper set it (a trap, a store that hit code or a
 * device). See docs/jit.md.
 *
 * Guest registers stay in cpu->x[] (rbx holds cpu for the whole block);
 * each inlined instruction loads its sources and stores its result. What
 * is inlined: the RV64I/M integer instructions below (ALU, immediates,
 * word forms, shifts, lui/auipc, jal/jalr, branches, multiply, divide)
 * and the integer loads and stores with the software TLB's fast path of
 * mem_access.h; their slow path calls rv_load_slow/rv_store_slow with the
 * instruction's own RVInsn, which set the icount for devices from in->idx,
 * take traps and report stores into code exactly as in the interpreter.
 * Everything else is a call to the interpreter's handler: handlers
 * continue with in[1] (RV_NEXT), so each gets a private two-entry array
 * in the code buffer: a copy of the instruction and a stub that returns
 * RV_EXEC_NEXT; a non-zero return leaves the block as the handler set it,
 * except that a block-ending instruction's RV_EXEC_JUMP may chain
 * (gen_call_end; what a handler must do for that: docs/jit.md). A
 * conditional branch in the middle of the block is a side exit
 * (gen_side_exits, out of line), and a jump to an instruction of the
 * block itself goes on in its code (chain_inside).
 *
 * The run loop enters host code only for a whole block (exact icount:
 * a block cut by the budget runs in the interpreter) and never while
 * tracing. Host code is reachable only through its TB (tb->host,
 * tb->host_chain) and through jumps patched into it (JitLink,
 * jit_link.c, each through its way in: way_in passes the cached guest
 * registers on in host registers): TB invalidation (tb_kill: valid = 0,
 * then rv_jit_unlink undoes those jumps) and flushes make it unreachable,
 * and a flush empties the code buffer with the TB arena
 * (tb_cache_set_code).
 */
#include "tcg/riscv/jit_int.h"
#include "tcg/riscv/decode.h"
#include "tcg/riscv/disas.h"
#include "tcg/riscv/mem_access.h"
#include "tcg/x86_64/codebuf.h"
#include "tcg/x86_64/emit.h"
#include "core/debug.h"
#include "core/machine.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 256 MiB of host code (only the pages written take memory): a Linux
   boot translates about 100,000 blocks; with 32 MiB it flushed 30 times. */
#define RV_JIT_CODE_BYTES (256u << 20)
/* Upper bounds of host code: one guest instruction (a load or store with
   its slow path is about 140 bytes, an M-mode load with the out-of-line
   TLB path of the direct window about 200), one exit with chaining (about 230:
   a block has a constant exit per branch, one for a jal or its end and
   one indirect), and the
   prologue and epilogue. A block that still does not fit is run by the
   interpreter (tb->no_host), never retried. */
#define RV_JIT_MAX_INSN_CODE 224
#define RV_JIT_MAX_EXIT_CODE 320
#define RV_JIT_FIXED_CODE 128

typedef enum Kind {
    K_CALL = 0,
    K_LUI, K_AUIPC, K_JAL, K_JALR,
    K_BEQ, K_BNE, K_BLT, K_BGE, K_BLTU, K_BGEU,
    K_LB, K_LH, K_LW, K_LD, K_LBU, K_LHU, K_LWU,
    K_SB, K_SH, K_SW, K_SD,
    K_ADDI, K_SLTI, K_SLTIU, K_XORI, K_ORI, K_ANDI, K_SLLI, K_SRLI, K_SRAI,
    K_ADD, K_SUB, K_SLL, K_SLT, K_SLTU, K_XOR, K_SRL, K_SRA, K_OR, K_AND,
    K_ADDIW, K_SLLIW, K_SRLIW, K_SRAIW, K_ADDW, K_SUBW, K_SLLW, K_SRLW,
    K_SRAW, K_MUL, K_MULW, K_FENCE,
    K_MULH, K_MULHSU, K_MULHU, K_DIV, K_DIVU, K_REM, K_REMU,
    K_DIVW, K_DIVUW, K_REMW, K_REMUW,
    K_COUNT
} Kind;

static const char *const kind_names[K_COUNT] = {
    [K_LUI] = "lui", [K_AUIPC] = "auipc", [K_JAL] = "jal", [K_JALR] = "jalr",
    [K_BEQ] = "beq", [K_BNE] = "bne", [K_BLT] = "blt", [K_BGE] = "bge",
    [K_BLTU] = "bltu", [K_BGEU] = "bgeu",
    [K_LB] = "lb", [K_LH] = "lh", [K_LW] = "lw", [K_LD] = "ld",
    [K_LBU] = "lbu", [K_LHU] = "lhu", [K_LWU] = "lwu",
    [K_SB] = "sb", [K_SH] = "sh", [K_SW] = "sw", [K_SD] = "sd",
    [K_ADDI] = "addi", [K_SLTI] = "slti", [K_SLTIU] = "sltiu",
    [K_XORI] = "xori", [K_ORI] = "ori", [K_ANDI] = "andi",
    [K_SLLI] = "slli", [K_SRLI] = "srli", [K_SRAI] = "srai",
    [K_ADD] = "add", [K_SUB] = "sub", [K_SLL] = "sll", [K_SLT] = "slt",
    [K_SLTU] = "sltu", [K_XOR] = "xor", [K_SRL] = "srl", [K_SRA] = "sra",
    [K_OR] = "or", [K_AND] = "and",
    [K_ADDIW] = "addiw", [K_SLLIW] = "slliw", [K_SRLIW] = "srliw",
    [K_SRAIW] = "sraiw", [K_ADDW] = "addw", [K_SUBW] = "subw",
    [K_SLLW] = "sllw", [K_SRLW] = "srlw", [K_SRAW] = "sraw",
    [K_MUL] = "mul", [K_MULW] = "mulw", [K_FENCE] = "fence",
    [K_MULH] = "mulh", [K_MULHSU] = "mulhsu", [K_MULHU] = "mulhu",
    [K_DIV] = "div", [K_DIVU] = "divu", [K_REM] = "rem", [K_REMU] = "remu",
    [K_DIVW] = "divw", [K_DIVUW] = "divuw", [K_REMW] = "remw",
    [K_REMUW] = "remuw",
};

/* in->op -> Kind, built once from the decode table's names (read-only
   afterwards; it depends on nothing but the program). */
#define MAX_OPS 1024
static uint8_t op_kind[MAX_OPS];
static bool kinds_ready;

static void build_kinds(void)
{
    for (unsigned op = 0; op < MAX_OPS; op++) {
        const RVOpDesc *d = rv_decode_op((uint16_t)op);
        if (!d) {
            break;
        }
        for (unsigned k = 1; k < K_COUNT; k++) {
            if (strcmp(d->name, kind_names[k]) == 0) {
                op_kind[op] = (uint8_t)k;
                break;
            }
        }
    }
    kinds_ready = true;
}

static Kind kind_of(const RVInsn *in)
{
    if (in->op >= MAX_OPS) {
        return K_CALL;   /* illegal encodings */
    }
    const RVOpDesc *d = rv_decode_op(in->op);
    /* The translator may have put another handler there (an FP
       instruction with FS off runs rv_exec_illegal): then call it. A
       branch in the middle of its block has its side-exit variant. */
    if (!d || (d->fn != in->fn && !((in->flags & RV_OPF_BRANCH) &&
                                    rv_exec_side_exit(d->fn) == in->fn))) {
        return K_CALL;
    }
    return (Kind)op_kind[in->op];
}

/* The stub after a called instruction's copy: "continue". */
static int stub_next(RVCPU *cpu, const RVInsn *in)
{
    (void)cpu;
    (void)in;
    return RV_EXEC_NEXT;
}

/* ---- the code buffer, one per TB cache (shared by the harts) ---- */

/* Code every block shares, at the start of each code buffer (written
   again after every flush, the same bytes at the same offsets in every
   buffer, so their offsets are program constants):
   - enter(cpu, block): saves the callee-saved registers, aligns the
     stack, rbx = cpu, loads the live registers (below), jumps to the
     block (rv_jit_run calls it);
   - leave: stores LEFT_REG back, restores the callee-saved registers
     and returns eax to the run loop; every exit of every block jumps
     there;
   - sync: settles the chained blocks' accounting (rv_chain_settle) and
     sets m->icount, before any helper call; clobbers only rax and r11;
   - live: loads the live registers, after every call and at the enter,
     and stops the chain at its next hop if the attention word is set
     (CHAIN_STOPPED);
   - jump_pc: cpu->pc = rax, return RV_EXEC_JUMP (exit_idx as preset);
   - out_pc / out: [cpu->pc = rax,] exit_idx = 0 (the block accounted
     itself in chain_left), return RV_EXEC_JUMP;
   - load/store slow paths (TLB_REG below): rax = the guest address,
     rsi = the instruction, r8 = a store's value, the cached registers
     written back; sync, rv_load_slow/rv_store_slow, and either leave the
     block (a trap, a store into code) or return, the live registers
     reloaded, with a load's value in rax.
   The live registers hold the same values in all host code, whichever
   block runs (so a hop from block to block loads none of them): they
   are loaded by enter and again after every call (`live`; they are
   caller-saved, and a helper may change what they hold: data_tlb with
   the privilege or MPRV, the direct window). */
#define SHARED_ENTER 0
#define SHARED_BYTES 1536
/* Live registers: cpu->data_tlb (gen_tlb); cpu->dwin_addend and
   -cpu->dwin_base (M-mode loads, gen_load_direct); and LEFT_REG
   (jit_int.h), cpu->chain_left. (Until session 22 rsi held
   &m->attention for every hop's check.) */
#define TLB_REG X86_R10
#define DWIN_REG X86_R9
#define DWIN_NEG_BASE_REG X86_R8
static long shared_leave = -1, shared_sync = -1, shared_live = -1,
            shared_jump_pc = -1, shared_out_pc = -1, shared_out = -1;
/* TLB misses: load_slow[log2 size][sign], store_slow[log2 size]. */
static long shared_load[4][2], shared_store[4];

const int rv_jit_cache_regs[RV_JIT_NCACHE] = {
    X86_RBP, X86_R12, X86_R13, X86_R14, X86_R15
};

/* LEFT_REG (and chain_mark) once the attention word was seen set after
   a call or at the enter (shared `live`): every budget check that
   follows fails (chained entries, ways in, loop back edges: `cmp rdi, n`
   is signed), so the chain stops at the next hop, after the whole block,
   where the interpreter's run loop looks at the word. chain_mark moves
   with it, so chain_mark - chain_left still counts the hops exactly. */
#define CHAIN_STOPPED (INT64_MIN / 4)

/* Load the live registers (emit_shared); clobbers nothing else. */
static void load_live(X86Emit *e)
{
    x86_load(e, TLB_REG, CPU, OFF(data_tlb));
    x86_load(e, DWIN_REG, CPU, OFF(dwin_addend));
    x86_load(e, DWIN_NEG_BASE_REG, CPU, OFF(dwin_base));
    x86_unary(e, true, X86_NEG, DWIN_NEG_BASE_REG);
    x86_load(e, LEFT_REG, CPU, OFF(chain_left));
}

static void emit_shared(X86CodeBuf *cb)
{
    uint8_t *w = x86_codebuf_room(cb, SHARED_BYTES);
    if (!w) {
        return;   /* cannot happen: the buffer was just emptied */
    }
    X86Emit e;
    x86_init(&e, w, SHARED_BYTES);
    x86_push(&e, CPU);
    for (unsigned k = 0; k < RV_JIT_NCACHE; k++) {
        x86_push(&e, rv_jit_cache_regs[k]);
    }
    x86_alu_ri(&e, true, X86_SUB, X86_RSP, 8);   /* calls: 16-aligned */
    x86_mov_rr(&e, CPU, X86_RDI);
    x86_mov_rr(&e, X86_RAX, X86_RSI);
    X86Label live = X86_LABEL_INIT;
    x86_call(&e, &live);
    x86_jmp_reg(&e, X86_RAX);
    shared_leave = (long)e.len;
    x86_store(&e, 8, LEFT_REG, CPU, OFF(chain_left));
    x86_alu_ri(&e, true, X86_ADD, X86_RSP, 8);
    for (unsigned k = RV_JIT_NCACHE; k-- > 0;) {
        x86_pop(&e, rv_jit_cache_regs[k]);
    }
    x86_pop(&e, CPU);
    x86_ret(&e);
    shared_sync = (long)e.len;
    /* rax = hops since the last settle; icount_base and instret move on
       by it, m->icount = icount_base, chain_mark = chain_left. */
    x86_store(&e, 8, LEFT_REG, CPU, OFF(chain_left));
    x86_load(&e, X86_RAX, CPU, OFF(chain_mark));
    x86_alu_rr(&e, true, X86_SUB, X86_RAX, LEFT_REG);
    x86_alu_mr(&e, true, X86_ADD, CPU, OFF(icount_base), X86_RAX);
    x86_alu_mr(&e, true, X86_ADD, CPU, OFF(instret), X86_RAX);
    x86_store(&e, 8, LEFT_REG, CPU, OFF(chain_mark));
    x86_load(&e, X86_R11, CPU, OFF(machine));
    x86_load(&e, X86_RAX, CPU, OFF(icount_base));
    x86_store(&e, 8, X86_RAX, X86_R11, (int32_t)offsetof(CoreMachine, icount));
    x86_ret(&e);
    /* The live registers again (after every call, and at the enter);
       if the attention word is set, the chain stops at the next hop
       (CHAIN_STOPPED): hops do not look at the word themselves. Clobbers
       the live registers, rsi and the flags. */
    shared_live = (long)e.len;
    x86_bind(&e, &live);
    load_live(&e);
    X86Label stop = X86_LABEL_INIT;
    x86_load(&e, X86_RSI, CPU, OFF(machine));
    x86_alu_mi(&e, false, X86_CMP, X86_RSI,
               (int32_t)offsetof(CoreMachine, attention), 0);
    x86_jcc(&e, X86_CC_NE, &stop);
    x86_ret(&e);
    x86_bind(&e, &stop);
    x86_mov_imm(&e, LEFT_REG, (uint64_t)CHAIN_STOPPED);
    x86_store(&e, 8, LEFT_REG, CPU, OFF(chain_mark));
    x86_ret(&e);
    X86Label leave = X86_LABEL_AT(shared_leave);
    shared_jump_pc = (long)e.len;
    x86_store(&e, 8, X86_RAX, CPU, OFF(pc));
    x86_mov_imm(&e, X86_RAX, RV_EXEC_JUMP);
    x86_jmp(&e, &leave);
    shared_out_pc = (long)e.len;
    x86_store(&e, 8, X86_RAX, CPU, OFF(pc));
    shared_out = (long)e.len;
    x86_alu_rr(&e, false, X86_XOR, X86_RAX, X86_RAX);
    x86_store(&e, 4, X86_RAX, CPU, OFF(exit_idx));
    x86_mov_imm(&e, X86_RAX, RV_EXEC_JUMP);
    x86_jmp(&e, &leave);
    /* Out of a slow path's call: drop its return address, leave. */
    long drop_leave = (long)e.len;
    x86_alu_ri(&e, true, X86_ADD, X86_RSP, 8);
    x86_jmp(&e, &leave);
    X86Label sync = X86_LABEL_AT(shared_sync);
    for (unsigned kind = 0; kind < 12; kind++) {
        bool store = kind >= 8;
        unsigned lg = store ? kind - 8 : kind / 2;
        bool sign = !store && (kind & 1);
        X86Label out = X86_LABEL_AT(drop_leave);
        if (store) {
            shared_store[lg] = (long)e.len;
        } else {
            shared_load[lg][sign] = (long)e.len;
        }
        x86_mov_rr(&e, X86_RDX, X86_RAX);
        x86_call(&e, &sync);
        x86_mov_imm(&e, X86_RCX, 1u << lg);
        x86_mov_rr(&e, X86_RDI, CPU);
        x86_alu_ri(&e, true, X86_SUB, X86_RSP, 8);   /* 16-aligned */
        x86_mov_imm(&e, X86_RAX, store ? (uint64_t)(uintptr_t)rv_store_slow
                                       : (uint64_t)(uintptr_t)rv_load_slow);
        x86_call_reg(&e, X86_RAX);
        x86_alu_ri(&e, true, X86_ADD, X86_RSP, 8);
        x86_call(&e, &live);
        x86_test_rr(&e, false, X86_RAX, X86_RAX);
        x86_jcc(&e, X86_CC_NE, &out);
        if (!store) {
            x86_load_ext(&e, 1u << lg, sign, X86_RAX, CPU, OFF(load_result));
        }
        x86_ret(&e);
    }
    if (e.overflow) {
        abort();   /* the room above is a constant: cannot happen */
    }
    const uint8_t *code = x86_codebuf_commit(cb, e.len);
    rv_jit_perf_map_name(code, (size_t)shared_leave, "jit_enter", 0);
    rv_jit_perf_map_name(code + shared_leave,
                         (size_t)(shared_sync - shared_leave), "jit_leave", 0);
    rv_jit_perf_map_name(code + shared_sync,
                         (size_t)(shared_live - shared_sync), "jit_sync", 0);
    rv_jit_perf_map_name(code + shared_live,
                         (size_t)(shared_jump_pc - shared_live), "jit_live", 0);
    rv_jit_perf_map_name(code + shared_jump_pc,
                         (size_t)(shared_load[0][0] - shared_jump_pc),
                         "jit_exit", 0);
    for (unsigned kind = 0; kind < 12; kind++) {
        bool store = kind >= 8;
        unsigned lg = store ? kind - 8 : kind / 2;
        long at = store ? shared_store[lg] : shared_load[lg][kind & 1];
        long end = kind == 11 ? (long)e.len
                   : kind >= 7 ? shared_store[kind - 7]
                   : shared_load[(kind + 1) / 2][(kind + 1) & 1];
        rv_jit_perf_map_name(code + at, (size_t)(end - at),
                             store ? "jit_store_%" PRIu64
                             : kind & 1 ? "jit_load_%" PRIu64 "s"
                             : "jit_load_%" PRIu64,
                             (uint64_t)1 << lg);
    }
}

static void codebuf_reset(void *cb)
{
    x86_codebuf_reset(cb);
    emit_shared(cb);
}

static void codebuf_destroy(void *cb)
{
    x86_codebuf_free(cb);
}

bool rv_jit_available(void)
{
    return true;
}

bool rv_jit_start(RVCPU *cpu, char *err, size_t errlen)
{
    if (tb_cache_code(cpu->tbs)) {
        return true;
    }
    X86CodeBuf *cb = x86_codebuf_new(RV_JIT_CODE_BYTES, err, errlen);
    if (!cb) {
        return false;
    }
    emit_shared(cb);
    tb_cache_set_code(cpu->tbs, cb, codebuf_reset, codebuf_destroy);
    tb_cache_set_unlink(cpu->tbs, rv_jit_unlink);
    return true;
}

int rv_jit_run(RVCPU *cpu, const void *host)
{
    const uint8_t *enter = x86_codebuf_base(tb_cache_code(cpu->tbs)) +
                           SHARED_ENTER;
    int (*fn)(RVCPU *, const void *);
    memcpy(&fn, &enter, sizeof(fn));
    return fn(cpu, host);
}

static X86CodeBuf *code_buffer(RVCPU *cpu)
{
    X86CodeBuf *cb = tb_cache_code(cpu->tbs);
    if (!cb) {
        /* rv_jit_start made it when the machine was built; only a hart
           turned to the JIT later (never so far) comes here. */
        char err[160];
        if (!rv_jit_start(cpu, err, sizeof(err))) {
            fprintf(stderr, "rewind: %s; running without the JIT\n", err);
            cpu->jit = 0;
            return NULL;
        }
        cb = tb_cache_code(cpu->tbs);
    }
    return cb;
}

/* ---- code generation ---- */

/* A load's or store's TLB miss, emitted after the block's exits so the
   hot path stays contiguous. */
typedef struct Slow {
    const RVInsn *in;
    X86Label entry, back;
    X86Label direct_miss;   /* a direct load outside the window: the TLB */
    uint32_t dirty;   /* the cached registers newer than x[] there */
    uint8_t size;
    bool sign, store, direct;
} Slow;

/* A taken branch in the middle of the block (a side exit), emitted after
   the block's end so the not-taken path stays contiguous. */
typedef struct Side {
    const RVInsn *in;
    X86Label entry;
    uint32_t dirty;   /* the cached registers newer than x[] there */
} Side;

typedef struct Gen {
    X86Emit e;
    X86Label exit;   /* leave with eax as the result (shared code; a
                        biased block's own, which unbiases first) */
    X86Label sync;   /* settle the accounting before a helper (shared) */
    X86Label live;   /* the live registers after a call (shared) */
    X86Label jump_pc, out_pc, out;   /* shared exits (emit_shared) */
    const TB *tb;
    bool chain;      /* exits to a constant pc may jump to the next block */
    bool closed;     /* no chained jump may enter: a debugger's breakpoint
                        is at its pc (the run loop must see every entry) */
    bool preset;     /* its entries set exit_idx = n (JitEntry.preset) */
    uint32_t bias;   /* n if the block jumps to its own instructions (a
                        loop): LEFT_REG counts the running pass to the
                        block's end as retired (unbias) */
    JitLink *links;  /* the block's patchable jumps (writable view) */
    unsigned nlinks; /* used so far */
    unsigned maxlinks;   /* room for so many in links */
    /* Instructions retired at the exit being emitted: the block's length,
       or up to a side exit's branch. */
    uint32_t retired;
    /* Their rel32 fields, where they go unlinked, and where they leave
       for the run loop with x[] written back (code offsets); the cached
       registers newer than x[] at each. */
    long link_site[RV_JIT_MAX_LINKS], link_miss[RV_JIT_MAX_LINKS];
    long link_out[RV_JIT_MAX_LINKS];
    uint32_t link_dirty[RV_JIT_MAX_LINKS];
    uint32_t self_links;   /* back edges of a loop on itself (bit per
                              link: the last branch and side exits) */
    X86Label bail;   /* the chained entry's budget check failed */
    int8_t host[RV_REG_SINK + 1];  /* guest register -> host register
                                      caching it in this block, or -1 */
    uint32_t dirty;  /* cached registers newer than cpu->x[] here */
    uint32_t carried;  /* cached only to pass them on (choose_cache) */
    X86Label head;   /* the first instruction, cached registers loaded */
    X86Label at_insn[RV_TB_MAX_INSNS];   /* instructions jumped to from
                                            inside the block */
    bool dwin;       /* loads try the direct window first (an M-mode
                        block with loads) */
    long at;         /* the code's offset in the buffer */
    Slow slow[RV_TB_MAX_INSNS];
    unsigned nslow;
    Side side[RV_TB_MAX_SIDE_EXITS];
    unsigned nside;
} Gen;

/* A block's host code starts with its chained entry (tb->host_chain: a
   chained jump's budget check, exit_idx = n), then (tb->host, where the
   run loop enters through the shared enter) the loads of the guest
   registers it caches. */


static void load_x(Gen *g, int reg, unsigned r)
{
    if (g->host[r] >= 0) {
        x86_mov_rr(&g->e, reg, g->host[r]);
    } else {
        x86_load(&g->e, reg, CPU, XOFF(r));
    }
}

static void store_x(Gen *g, unsigned r, int reg)
{
    if (g->host[r] >= 0) {
        x86_mov_rr(&g->e, g->host[r], reg);
        g->dirty |= 1u << r;
    } else {
        x86_store(&g->e, 8, reg, CPU, XOFF(r));
    }
}

/* op dst, x[r] */
static void alu_x(Gen *g, bool w, X86Alu op, int dst, unsigned r)
{
    if (g->host[r] >= 0) {
        x86_alu_rr(&g->e, w, op, dst, g->host[r]);
    } else {
        x86_alu_rm(&g->e, w, op, dst, CPU, XOFF(r));
    }
}

/* cpu->x[] up to date with the cached registers (before a helper runs
   or the block is left). The dirty set stays: this may be on a path
   that is not always taken, and storing again is harmless. */
static void writeback(Gen *g)
{
    for (unsigned r = 1; r < 32; r++) {
        if (g->dirty & (1u << r)) {
            x86_store(&g->e, 8, g->host[r], CPU, XOFF(r));
        }
    }
}

/* Reload every cached register (after a handler that may write x[]). */
static void reload(Gen *g)
{
    for (unsigned r = 1; r < 32; r++) {
        if (g->host[r] >= 0) {
            x86_load(&g->e, g->host[r], CPU, XOFF(r));
        }
    }
}

/* Pick the guest registers the block's inlined instructions use most
   (among those used as often, first those the block before kept in a
   cache register, `prev`, its JitLink.guest, or NULL, then those the
   block writes: values that flow from block to block); those the block
   before kept get the same cache register where it is free, so that
   its link passes them on in place (way_in). */
static Kind kind_of(const RVInsn *in);
static int insn_at(const Gen *g, uint64_t pc);
static void choose_cache(Gen *g, const RVInsn *ins, unsigned n,
                         const int8_t *prev)
{
    unsigned uses[32] = { 0 }, score[32] = { 0 };
    /* A use counts as often as it is likely to run: less after each side
       exit (a taken branch in the middle leaves the rest undone), much
       more between a jump back into the block and its target (a loop's
       body, which then runs without leaving the block: chain_inside),
       more again in an inner loop. */
    uint8_t depth[RV_TB_MAX_INSNS] = { 0 };   /* loops around each */
    for (unsigned i = 0; i < n; i++) {
        Kind k = kind_of(&ins[i]);
        int t = k == K_JAL || (k >= K_BEQ && k <= K_BGEU)
                ? insn_at(g, ins[i].pc + (uint64_t)ins[i].imm) : -1;
        for (int j = t; j >= 0 && j <= (int)i; j++) {
            depth[j] += depth[j] < 3;
        }
    }
    unsigned sides = 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned w = (8u >> (sides < 3 ? sides : 3)) << (3 * depth[i]);
        sides += (ins[i].flags & RV_OPF_BRANCH) != 0;
        if (kind_of(&ins[i]) == K_CALL) {
            continue;
        }
        uses[ins[i].rs1 & 31] += w;
        uses[ins[i].rs2 & 31] += w;
        if (ins[i].rd < 32) {
            uses[ins[i].rd] += w;
            score[ins[i].rd] |= 1;
        }
    }
    for (unsigned k = 0; prev && k < RV_JIT_NCACHE; k++) {
        if (prev[k] > 0 && prev[k] < 32) {
            score[prev[k]] |= 2;
        }
    }
    /* x0 is never cached: its count (the unused rs2 of every I-type
       instruction) must not be the bar the others have to beat. */
    uses[0] = 0;
    score[0] = 0;
    for (unsigned r = 1; r < 32; r++) {
        score[r] += 4 * uses[r];
    }
    memset(g->host, -1, sizeof(g->host));
    bool chosen[32] = { false }, taken[RV_JIT_NCACHE] = { false };
    for (unsigned k = 0; k < RV_JIT_NCACHE; k++) {
        unsigned best = 0;
        for (unsigned r = 1; r < 32; r++) {
            if (!chosen[r] && uses[r] && score[r] > score[best]) {
                best = r;
            }
        }
        if (best == 0) {
            break;
        }
        chosen[best] = true;
    }
    for (unsigned k = 0; prev && k < RV_JIT_NCACHE; k++) {
        int r = prev[k];
        if (r > 0 && r < 32 && chosen[r] && g->host[r] < 0) {
            g->host[r] = (int8_t)rv_jit_cache_regs[k];
            taken[k] = true;
        }
    }
    /* The others where the block before kept nothing, then anywhere. */
    for (unsigned r = 1; r < 32; r++) {
        if (!chosen[r] || g->host[r] >= 0) {
            continue;
        }
        unsigned k = 0;
        while (k < RV_JIT_NCACHE && (taken[k] || (prev && prev[k] > 0))) {
            k++;
        }
        if (k == RV_JIT_NCACHE) {
            for (k = 0; taken[k]; k++) {
            }
        }
        g->host[r] = (int8_t)rv_jit_cache_regs[k];
        taken[k] = true;
    }
    /* Cache registers left free carry the block before's registers on
       (loaded at the cold entry; never written, so never written back),
       so that a chain of blocks passes them in place. */
    for (unsigned k = 0; prev && k < RV_JIT_NCACHE; k++) {
        int r = prev[k];
        if (!taken[k] && r > 0 && r < 32 && g->host[r] < 0) {
            g->host[r] = (int8_t)rv_jit_cache_regs[k];
            g->carried |= 1u << r;
            taken[k] = true;
        }
    }
}

/* The guest register each cache register holds in this block, or 0. */
static void cache_map(const Gen *g, int8_t guest[RV_JIT_NCACHE])
{
    memset(guest, 0, RV_JIT_NCACHE);
    for (unsigned r = 1; r < 32; r++) {
        for (unsigned k = 0; g->host[r] >= 0 && k < RV_JIT_NCACHE; k++) {
            if (rv_jit_cache_regs[k] == g->host[r]) {
                guest[k] = (int8_t)r;
            }
        }
    }
}

/* cpu->pc = pc (a sign-extended imm32 when it fits: low and kernel
   addresses). */
static void store_pc(Gen *g, uint64_t pc)
{
    if (pc == (uint64_t)(int64_t)(int32_t)pc) {
        x86_store_imm(&g->e, CPU, OFF(pc), (int32_t)pc);
    } else {
        x86_mov_imm(&g->e, X86_RAX, pc);
        x86_store(&g->e, 8, X86_RAX, CPU, OFF(pc));
    }
}

/* A block with a jump to its own instructions (a loop: chain_inside)
   keeps its budget biased (Gen.bias): LEFT_REG is what is left after the
   running pass to the block's end, as if it had retired, so that a back
   edge is `sub rdi, k; jge target`. Wherever the accounting is read (sync
   before a call, leave) or the block leaves unaccounted, the bias is
   taken off first (unbias), and put back after a call (rebias: the
   shared `live` reloaded the unbiased budget). */
static void unbias(Gen *g)
{
    if (g->bias) {
        x86_alu_ri(&g->e, true, X86_ADD, LEFT_REG, (int32_t)g->bias);
    }
}

static void rebias(Gen *g)
{
    if (g->bias) {
        x86_alu_ri(&g->e, true, X86_SUB, LEFT_REG, (int32_t)g->bias);
    }
}

/* Leaving without accounting (jump_pc, the exit: the run loop counts
   exit_idx): exit_idx = how much of the block retired (g->retired: n,
   or up to a side exit's branch), unless the entries set it already
   (Gen.preset) and it is n. */
static void exit_idx_retired(Gen *g)
{
    if (!g->preset || g->retired != g->tb->n_insns) {
        rv_jit_store_imm32(&g->e, OFF(exit_idx), g->retired);
    }
}

/* cpu->pc = pc; return RV_EXEC_JUMP. */
static void leave_to(Gen *g, uint64_t pc)
{
    writeback(g);
    exit_idx_retired(g);
    unbias(g);
    x86_mov_imm(&g->e, X86_RAX, pc);
    x86_jmp(&g->e, &g->jump_pc);
}

/* call fn(cpu, arg) with more arguments already in rdx/rcx/r8, the
   counters settled and x[] written back first; rax = its result. */
static void call_fn(Gen *g, const void *fn, const void *arg)
{
    /* Blocks chained to before this one are accounted only in
       chain_left: icount_base, instret and m->icount are brought up to
       this block's start, as the interpreter has them (rv_icount_at). */
    unbias(g);
    x86_call(&g->e, &g->sync);
    writeback(g);
    x86_mov_rr(&g->e, X86_RDI, CPU);
    x86_mov_imm(&g->e, X86_RSI, (uint64_t)(uintptr_t)arg);
    x86_mov_imm(&g->e, X86_RAX, (uint64_t)(uintptr_t)fn);
    x86_call_reg(&g->e, X86_RAX);
    x86_call(&g->e, &g->live);
    rebias(g);
}

/* call fn(cpu, arg) with more arguments already in rdx/rcx/r8; leave the
   block if it returned non-zero. */
static void call_helper(Gen *g, const void *fn, const void *arg)
{
    call_fn(g, fn, arg);
    x86_test_rr(&g->e, false, X86_RAX, X86_RAX);
    x86_jcc(&g->e, X86_CC_NE, &g->exit);
}

static void chain_account(Gen *g);
static void chain_enter(Gen *g, X86Label *miss);
static void chain_leave(Gen *g, X86Label *out, bool set_pc, uint64_t pc);
static void chain_indirect(Gen *g);
static void chain_inside(Gen *g, unsigned t);
static int insn_at(const Gen *g, uint64_t pc);

/* Leave for pc, a constant, after the whole block retired; with
   chaining, jump straight into the next block's host code when the run
   loop would do nothing but enter it: no attention bit, its whole length
   within the budget (exact icount), the block still valid (invalidation
   and flushes), the same mode. The block is accounted for here (icount
   base, instret, the budget), so exit_idx is 0 on leaving; a miss asks
   the run loop to link the slot to the block it finds next. */
static void chain_to(Gen *g, uint64_t pc)
{
    if (!g->chain || g->nlinks >= g->maxlinks) {
        leave_to(g, pc);
        return;
    }
    X86Emit *e = &g->e;
    X86Label miss = X86_LABEL_INIT, out = X86_LABEL_INIT;
    int t = g->bias ? insn_at(g, pc) : -1;
    if (t >= 0) {
        chain_inside(g, (unsigned)t);
        return;
    }
    if ((pc & RV_PAGE_MASK) != (g->tb->pc & RV_PAGE_MASK)) {
        /* Another page may map elsewhere by the time this exit runs (a
           new satp, an sfence.vma): a link made once would keep going to
           the old translation. The hart's jump cache, flushed with its
           TLB, finds the block of the current mapping. A target on this
           block's own page is mapped with it, so a link stays right. */
        store_pc(g, pc);
        chain_indirect(g);
        return;
    }
    chain_account(g);
    /* jmp rel32, to the way into the next block once linked (way_in:
       its budget check, x[] written back, the cached registers passed
       on), to `miss` until then and after the next block is
       invalidated, which write x[] back here. */
    unsigned k = g->nlinks++;
    g->link_dirty[k] = g->dirty;
    x86_jmp(e, &miss);
    g->link_site[k] = (long)e->len - 4;
    x86_bind(e, &miss);
    g->link_miss[k] = (long)e->len;
    x86_mov_imm(e, X86_RAX, (uint64_t)(uintptr_t)&g->links[k]);
    x86_store(e, 8, X86_RAX, CPU, OFF(chain_slot));
    x86_bind(e, &out);
    g->link_out[k] = (long)e->len;
    writeback(g);
    x86_mov_imm(e, X86_RAX, pc);
    x86_jmp(e, &g->out_pc);
}

/* The index of this block's instruction at pc, or -1. */
static int insn_at(const Gen *g, uint64_t pc)
{
    const RVInsn *ins = (const RVInsn *)g->tb->payload;
    /* A closed block's head is entered only from the run loop: a loop
       back to it leaves the block. */
    for (unsigned i = g->closed ? 1 : 0; i < g->tb->n_insns; i++) {
        if (ins[i].pc == pc) {
            return (int)i;
        }
    }
    return -1;
}

/* A jump to this block's own instruction t (its head: a loop on
   itself; or one in its middle, forward or back, since branches no
   longer end blocks): the run loop would find the block at that pc and
   run it, so the jump does a hop's work and goes on in this block's
   code, its host registers already holding x[] (written back only on
   the way out; rv_jit_compile makes t's dirty set cover every
   register the block writes). The accounting rebases the block: from t
   on, instruction i is the (i - t)-th of a block of n - t, so after
   retiring `retired` it takes retired - t off the budget (negative for
   a forward jump), and the rest of the block fits if the budget, so
   moved, is at least n (exact icount; icount_base follows lazily, so
   rv_icount_at stays exact from t on). The jump is a link to the block
   itself (jge rel32), made at translation: when the block is
   invalidated while it runs (a store to its page from a device's DMA
   during an MMIO access; a guest store or AMO into the running block
   leaves it at once) rv_jit_unlink points it at the way out, and the run
   loop translates again, as it would after any block. The way out
   accounts what retired and leaves for t's pc. */
static void chain_inside(Gen *g, unsigned t)
{
    X86Emit *e = &g->e;
    /* Biased (rv_jit_compile biases every block that jumps inside
       itself): this pass is accounted to the block's end already. */
    unsigned k = g->nlinks++;
    x86_alu_ri(e, true, X86_SUB, LEFT_REG, (int32_t)(g->retired - t));
    x86_jcc(e, X86_CC_GE, t ? &g->at_insn[t] : &g->head);
    g->link_site[k] = (long)e->len - 4;
    g->self_links |= 1u << k;
    g->link_miss[k] = (long)e->len;
    /* The pass from t did not start: what it would take back, less
       the t instructions before it that did run. */
    x86_alu_ri(e, true, X86_ADD, LEFT_REG, (int32_t)(g->bias - t));
    writeback(g);
    X86Label out2 = X86_LABEL_INIT;
    const RVInsn *ins = (const RVInsn *)g->tb->payload;
    chain_leave(g, &out2, true, ins[t].pc);
}

/* jalr (cpu->pc already set): with chaining, the next block through the
   hart's jump cache, as the run loop would find it. */
static void chain_indirect(Gen *g)
{
    X86Emit *e = &g->e;
    writeback(g);
    if (!g->chain) {
        exit_idx_retired(g);
        x86_mov_imm(e, X86_RAX, RV_EXEC_JUMP);
        x86_jmp(e, &g->exit);
        return;
    }
    X86Label out = X86_LABEL_INIT;
    chain_account(g);
    x86_load(e, X86_RAX, CPU, OFF(pc));
    x86_mov_rr(e, X86_RDX, X86_RAX);
    x86_shift_ri(e, true, X86_SHR, X86_RDX, 1);
    x86_alu_ri(e, false, X86_AND, X86_RDX, RV_JC_SIZE - 1);
    x86_shift_ri(e, true, X86_SHL, X86_RDX, 3);
    x86_alu_rr(e, true, X86_ADD, X86_RDX, CPU);
    x86_load(e, X86_RCX, X86_RDX, OFF(jump_cache));
    x86_test_rr(e, true, X86_RCX, X86_RCX);
    x86_jcc(e, X86_CC_E, &out);
    x86_alu_rm(e, true, X86_CMP, X86_RAX, X86_RCX, (int32_t)offsetof(TB, pc));
    x86_jcc(e, X86_CC_NE, &out);
    x86_alu_mi(e, true, X86_CMP, X86_RCX, (int32_t)offsetof(TB, host_chain), 0);
    x86_jcc(e, X86_CC_E, &out);
    chain_enter(g, &out);
    chain_leave(g, &out, false, 0);
}

/* The block retired (whole, or up to a side exit: g->retired): account
   it in the budget only (icount_base, instret and m->icount follow
   lazily: rv_chain_settle when host code returns, the shared sync before
   a helper call). The attention word is not looked at here: a call that
   left it set made the budget fail (shared `live`, CHAIN_STOPPED), and
   one set asynchronously (a signal) is seen by the run loop once the
   budget, at most CORE_POLL_INTERVAL (core/run.c), runs out (docs/jit.md,
   "Block chaining"). */
static void chain_account(Gen *g)
{
    /* A biased block counted its n instructions already: an exit that
       retires fewer (a side exit) adds the difference back. */
    if (!g->bias) {
        x86_alu_ri(&g->e, true, X86_SUB, LEFT_REG, (int32_t)g->retired);
    } else if (g->retired != g->bias) {
        x86_alu_ri(&g->e, true, X86_ADD, LEFT_REG,
                   (int32_t)(g->bias - g->retired));
    }
}

/* rcx = a TB with host code: enter it if it is valid and in this mode
   (its chained entry checks the budget); else jump to `miss`. */
static void chain_enter(Gen *g, X86Label *miss)
{
    X86Emit *e = &g->e;
    x86_alu_mi(e, false, X86_CMP, X86_RCX, (int32_t)offsetof(TB, valid), 0);
    x86_jcc(e, X86_CC_E, miss);
    x86_alu_mi(e, false, X86_CMP, X86_RCX, (int32_t)offsetof(TB, flags),
               (int32_t)g->tb->flags);
    x86_jcc(e, X86_CC_NE, miss);
    x86_jmp_mem(e, X86_RCX, (int32_t)offsetof(TB, host_chain));
}

/* The chained entry, before the cached registers' loads: a chained jump
   (a link or the jump cache) comes here with the exiting block accounted;
   this block runs only if its whole length fits what is left of the
   budget (signed: a disabled budget of 0 has gone negative), else the
   run loop takes over at its pc (`bail`, after the exits). exit_idx =
   n, as the run loop presets it, if the block needs it (Gen.preset). */
static void chain_entry(Gen *g)
{
    X86Emit *e = &g->e;
    uint32_t n = g->tb->n_insns;
    x86_alu_ri(e, true, X86_CMP, LEFT_REG, (int32_t)n);
    x86_jcc(e, X86_CC_L, &g->bail);
    if (g->preset) {
        rv_jit_store_imm32(e, OFF(exit_idx), n);
    }
}

/* Leave after chain_account: exit_idx 0 (the block is accounted), pc
   set unless the exit did (an indirect one). */
static void chain_leave(Gen *g, X86Label *out, bool set_pc, uint64_t pc)
{
    X86Emit *e = &g->e;
    x86_bind(e, out);
    if (set_pc) {
        x86_mov_imm(e, X86_RAX, pc);
        x86_jmp(e, &g->out_pc);
    } else {
        x86_jmp(e, &g->out);
    }
}

/* A cached rd is computed in place (no round trip through rax). */
static int cached_rd(Gen *g, const RVInsn *in)
{
    int hd = g->host[in->rd];
    if (hd >= 0) {
        g->dirty |= 1u << in->rd;
    }
    return hd;
}

static void set_x_imm(Gen *g, unsigned rd, uint64_t v);

static void gen_alu_ri(Gen *g, const RVInsn *in, bool w, X86Alu op)
{
    if (in->rs1 == 0) {
        /* li (c.li is addi rd, x0, imm): a constant, x0 never loaded.
           The immediate is 12 bits, sign-extended: addiw's sum is it. */
        int64_t v = op == X86_AND ? 0 : (int64_t)in->imm;
        set_x_imm(g, in->rd, (uint64_t)v);
        return;
    }
    int hd = cached_rd(g, in);
    if (hd >= 0) {
        int32_t imm = (int32_t)in->imm;
        if (w && op == X86_ADD && in->rd != in->rs1 &&
            g->host[in->rs1] >= 0) {
            x86_lea(&g->e, hd, g->host[in->rs1], imm);
            return;
        }
        if (in->rd != in->rs1) {
            load_x(g, hd, in->rs1);
        }
        if (imm != 0 || op == X86_AND) {
            x86_alu_ri(&g->e, w, op, hd, imm);
        }
        if (!w) {
            x86_sext32(&g->e, hd);
        }
        return;
    }
    load_x(g, X86_RAX, in->rs1);
    x86_alu_ri(&g->e, w, op, X86_RAX, (int32_t)in->imm);
    if (!w) {
        x86_sext32(&g->e, X86_RAX);
    }
    store_x(g, in->rd, X86_RAX);
}

static void gen_alu_rr(Gen *g, const RVInsn *in, bool w, X86Alu op)
{
    unsigned a = in->rs1, b = in->rs2;
    if (w && (op == X86_ADD || op == X86_OR || op == X86_XOR) &&
        (a == 0 || b == 0)) {
        /* A move (c.mv is add rd, x0, rs2): x0 is never loaded. */
        unsigned r = a ? a : b;
        int hd = cached_rd(g, in);
        if (hd >= 0) {
            if (in->rd != r) {
                load_x(g, hd, r);
            }
        } else if (g->host[r] >= 0) {
            store_x(g, in->rd, g->host[r]);
        } else {
            load_x(g, X86_RAX, r);
            store_x(g, in->rd, X86_RAX);
        }
        return;
    }
    if (in->rd == b && a != b && op != X86_SUB) {
        a = in->rs2;   /* commutative: rd op= the other one */
        b = in->rs1;
    }
    if (g->host[in->rd] >= 0 && (in->rd == a || in->rd != b)) {
        int hd = cached_rd(g, in);
        if (in->rd != a) {
            load_x(g, hd, a);
        }
        alu_x(g, w, op, hd, b);
        if (!w) {
            x86_sext32(&g->e, hd);
        }
        return;
    }
    load_x(g, X86_RAX, in->rs1);
    alu_x(g, w, op, X86_RAX, in->rs2);
    if (!w) {
        x86_sext32(&g->e, X86_RAX);
    }
    store_x(g, in->rd, X86_RAX);
}

static void gen_set_ri(Gen *g, const RVInsn *in, X86Cond cc)
{
    load_x(g, X86_RAX, in->rs1);
    x86_alu_ri(&g->e, true, X86_CMP, X86_RAX, (int32_t)in->imm);
    x86_setcc_zx(&g->e, cc, X86_RAX);
    store_x(g, in->rd, X86_RAX);
}

static void gen_set_rr(Gen *g, const RVInsn *in, X86Cond cc)
{
    load_x(g, X86_RAX, in->rs1);
    alu_x(g, true, X86_CMP, X86_RAX, in->rs2);
    x86_setcc_zx(&g->e, cc, X86_RAX);
    store_x(g, in->rd, X86_RAX);
}

static void gen_shift_i(Gen *g, const RVInsn *in, bool w, X86Shift op)
{
    /* A 32-bit shift leaves the upper half zero; srliw by 1 or more
       leaves bit 31 zero too, so its sign extension is that already. */
    bool sext = !w && !(op == X86_SHR && (in->imm & 31) != 0);
    int hd = cached_rd(g, in);
    if (hd >= 0) {
        if (in->rd != in->rs1) {
            load_x(g, hd, in->rs1);
        }
        x86_shift_ri(&g->e, w, op, hd, (uint8_t)in->imm);
        if (sext) {
            x86_sext32(&g->e, hd);
        }
        return;
    }
    load_x(g, X86_RAX, in->rs1);   /* shiftw: only the low half is used */
    x86_shift_ri(&g->e, w, op, X86_RAX, (uint8_t)in->imm);
    if (sext) {
        x86_sext32(&g->e, X86_RAX);
    }
    store_x(g, in->rd, X86_RAX);
}

/* The hardware masks the count to 6 (64-bit) or 5 (32-bit) bits, as the
   RISC-V shifts do. */
static void gen_shift_r(Gen *g, const RVInsn *in, bool w, X86Shift op)
{
    load_x(g, X86_RCX, in->rs2);
    if (w) {
        load_x(g, X86_RAX, in->rs1);
    } else {
        load_x(g, X86_RAX, in->rs1);   /* only the low half is used */
    }
    x86_shift_cl(&g->e, w, op, X86_RAX);
    if (!w) {
        x86_sext32(&g->e, X86_RAX);
    }
    store_x(g, in->rd, X86_RAX);
}

/* A conditional branch. The block's last one exits both ways; one in the
   middle (a side exit) jumps out of line when taken (gen_side_exits) and
   falls through to the next instruction. */
static void gen_branch(Gen *g, const RVInsn *in, X86Cond taken)
{
    X86Label not_taken = X86_LABEL_INIT;
    int a = g->host[in->rs1], b = g->host[in->rs2];
    if (in->rs2 == 0 && a >= 0) {
        x86_test_rr(&g->e, true, a, a);   /* beqz, bnez, bltz, bgez */
    } else if (a < 0 && b >= 0) {
        /* x[rs1] - x[rs2] with x[rs1] in memory: cmp [x[rs1]], b. */
        x86_alu_mr(&g->e, true, X86_CMP, CPU, XOFF(in->rs1), b);
    } else {
        if (a < 0) {
            a = X86_RAX;
            load_x(g, a, in->rs1);
        }
        if (in->rs2 == 0) {
            x86_test_rr(&g->e, true, a, a);
        } else {
            alu_x(g, true, X86_CMP, a, in->rs2);
        }
    }
    uint64_t target = in->pc + (uint64_t)in->imm;
    int t = g->bias ? insn_at(g, target) : -1;
    if (in->idx + 1u < g->tb->n_insns && !(t >= 0 && t <= in->idx)) {
        Side *s = &g->side[g->nside++];
        *s = (Side){ .in = in, .entry = X86_LABEL_INIT, .dirty = g->dirty };
        x86_jcc(&g->e, taken, &s->entry);
        return;
    }
    /* The last branch, or a loop's back edge in the middle (a jump back
       inside the block, taken on every pass but the last): inline, so
       that the loop takes one host branch per pass. */
    x86_jcc(&g->e, (X86Cond)(taken ^ 1), &not_taken);
    g->retired = in->idx + 1u;
    chain_to(g, target);
    g->retired = g->tb->n_insns;
    x86_bind(&g->e, &not_taken);
}

/* The side exits, after the block's end: each leaves (or chains) as the
   block's last branch would, with the registers newer than x[] at its
   branch and only the instructions up to it retired. */
static void gen_side_exits(Gen *g)
{
    uint32_t dirty = g->dirty;
    for (unsigned k = 0; k < g->nside; k++) {
        const Side *s = &g->side[k];
        x86_bind(&g->e, &g->side[k].entry);
        g->dirty = s->dirty;
        g->retired = s->in->idx + 1u;
        chain_to(g, s->in->pc + (uint64_t)s->in->imm);
    }
    g->dirty = dirty;
    g->retired = g->tb->n_insns;
}

/* The TLB's fast path of an access at x[rs1] + imm: jumps to `slow`
   unless the entry's tag at tag_off matches and the access stays in the
   page (rv_tlb_hit); on the fast path rdx = the entry's addend, so the
   access is at [base + rdx + imm], base being the returned register
   (rs1's host register, or rax holding x[rs1]). The address itself is
   never formed: rdx (the index) and r11 (the tag) are computed from the
   base each, so the path from rs1 to the host access is shr, and, lea,
   the addend's load and the access.

   One compare does both checks: the page of the access's last byte must
   equal the tag of the entry indexed by its first byte. If the access
   crosses into the next page, that page's number differs from the first
   byte's in the index bits, while an entry only ever holds a tag with its
   own index bits (or the invalid tag, which no page address equals): so
   they never compare equal. */
#define TLB_ENTRY_BITS 5
_Static_assert(sizeof(RVTlbEntry) == 1u << TLB_ENTRY_BITS,
               "gen_tlb indexes the TLB with a shift");

static int gen_tlb(Gen *g, const RVInsn *in, unsigned size, int32_t tag_off,
                   X86Label *slow)
{
    X86Emit *e = &g->e;
    int base = g->host[in->rs1];
    if (base < 0) {
        base = X86_RAX;
        load_x(g, base, in->rs1);
    }
    int32_t imm = (int32_t)in->imm, last = imm + (int32_t)size - 1;
    if (imm) {
        x86_lea(e, X86_RDX, base, imm);
    } else {
        x86_mov_rr(e, X86_RDX, base);
    }
    if (last) {
        x86_lea(e, X86_R11, base, last);
    } else {
        x86_mov_rr(e, X86_R11, base);
    }
    /* TLB_REG = the TLB, rdx = the entry's offset in it: entries are
       32 bytes, so the page number's low bits shifted into place. */
    x86_shift_ri(e, true, X86_SHR, X86_RDX, RV_PAGE_BITS - TLB_ENTRY_BITS);
    x86_alu_ri(e, false, X86_AND, X86_RDX,
               (int32_t)((RV_TLB_SIZE - 1) << TLB_ENTRY_BITS));
    x86_alu_ri(e, true, X86_AND, X86_R11, (int32_t)RV_PAGE_MASK);
    x86_alu_rm_idx(e, true, X86_CMP, X86_R11, TLB_REG, X86_RDX, 1, tag_off);
    x86_jcc(e, X86_CC_NE, slow);
    x86_load_ext_idx(e, 8, false, X86_RDX, TLB_REG, X86_RDX, 1,
                     (int32_t)offsetof(RVTlbEntry, addend));
    return base;
}

/* The fast path inline; the miss (rv_load_slow/rv_store_slow) goes out
   of line, after the block's exits (gen_slow_paths), and comes back. */
static Slow *new_slow(Gen *g, const RVInsn *in, unsigned size, bool sign,
                      bool store)
{
    Slow *sl = &g->slow[g->nslow++];
    *sl = (Slow){ .in = in, .entry = X86_LABEL_INIT, .back = X86_LABEL_INIT,
                  .direct_miss = X86_LABEL_INIT, .dirty = g->dirty, .size = (uint8_t)size, .sign = sign,
                  .store = store };
    return sl;
}

/* A load through the direct window (an M-mode block; RVCPU.dwin_*,
   mmu.c rv_dwin_update): if addr - dwin_base < dwin_limit, the value is
   at addr + DWIN_REG, with no TLB lookup on the way from the address to
   the load (the bounds check runs beside it and is predicted). Outside
   the window, or while it is closed (limit 0: MPRV with paging, PMP
   rules, watchpoints, triggers), the TLB path runs out of line
   (gen_slow_paths), then the slow path as before. */
static void gen_load_direct(Gen *g, const RVInsn *in, unsigned size, bool sign)
{
    X86Emit *e = &g->e;
    Slow *sl = new_slow(g, in, size, sign, false);
    sl->direct = true;
    int base = g->host[in->rs1];
    if (base < 0) {
        base = X86_RAX;
        load_x(g, base, in->rs1);
    }
    int32_t imm = (int32_t)in->imm;
    /* r11 = addr - dwin_base in one lea (the live -dwin_base). */
    x86_lea_idx(e, X86_R11, base, DWIN_NEG_BASE_REG, 1, imm);
    x86_alu_rm(e, true, X86_CMP, X86_R11, CPU, OFF(dwin_limit));
    x86_jcc(e, X86_CC_AE, &sl->direct_miss);
    int hd = cached_rd(g, in);
    x86_load_ext_idx(e, size, sign, hd >= 0 ? hd : X86_RAX, base, DWIN_REG,
                     1, imm);
    if (hd < 0) {
        store_x(g, in->rd, X86_RAX);
    }
    x86_bind(e, &sl->back);
}

static void gen_load(Gen *g, const RVInsn *in, unsigned size, bool sign)
{
    if (g->dwin) {
        gen_load_direct(g, in, size, sign);
        return;
    }
    Slow *sl = new_slow(g, in, size, sign, false);
    int base = gen_tlb(g, in, size, (int32_t)offsetof(RVTlbEntry, tag_read),
                       &sl->entry);
    int hd = cached_rd(g, in);
    x86_load_ext_idx(&g->e, size, sign, hd >= 0 ? hd : X86_RAX, base, X86_RDX,
                     1, (int32_t)in->imm);
    if (hd < 0) {
        store_x(g, in->rd, X86_RAX);
    }
    x86_bind(&g->e, &sl->back);
}

static void gen_store(Gen *g, const RVInsn *in, unsigned size)
{
    Slow *sl = new_slow(g, in, size, false, true);
    int base = gen_tlb(g, in, size, (int32_t)offsetof(RVTlbEntry, tag_write),
                       &sl->entry);
    int v = g->host[in->rs2];
    if (v < 0) {
        v = X86_RCX;
        load_x(g, v, in->rs2);
    }
    x86_store_idx(&g->e, size, v, base, X86_RDX, (int32_t)in->imm);
    x86_bind(&g->e, &sl->back);
}

static unsigned log2_size(unsigned size)
{
    return size == 8 ? 3 : size == 4 ? 2 : size == 2 ? 1 : 0;
}

/* The cached registers written back, then the shared slow path of the
   access with rsi = the instruction (emit_shared). */
static void slow_call(Gen *g, X86Label *stub, const RVInsn *in)
{
    writeback(g);
    x86_mov_imm(&g->e, X86_RSI, (uint64_t)(uintptr_t)in);
    unbias(g);
    x86_call(&g->e, stub);
    rebias(g);
}

static void gen_slow_paths(Gen *g)
{
    for (unsigned i = 0; i < g->nslow; i++) {
        Slow *sl = &g->slow[i];
        const RVInsn *in = sl->in;
        unsigned lg = log2_size(sl->size);
        g->dirty = sl->dirty;
        if (sl->direct) {
            /* Outside the direct window: the TLB's fast path, then back
               (rd's store_x below marks it dirty, as inline). */
            x86_bind(&g->e, &sl->direct_miss);
            int base = gen_tlb(g, in, sl->size,
                               (int32_t)offsetof(RVTlbEntry, tag_read),
                               &sl->entry);
            int hd = g->host[in->rd];
            x86_load_ext_idx(&g->e, sl->size, sl->sign,
                             hd >= 0 ? hd : X86_RAX, base, X86_RDX, 1,
                             (int32_t)in->imm);
            if (hd < 0) {
                store_x(g, in->rd, X86_RAX);
            }
            x86_jmp(&g->e, &sl->back);
        }
        x86_bind(&g->e, &sl->entry);
        /* rax = the guest address (the inline path never formed it). */
        if (g->host[in->rs1] >= 0) {
            x86_lea(&g->e, X86_RAX, g->host[in->rs1], (int32_t)in->imm);
        } else {
            load_x(g, X86_RAX, in->rs1);
            if (in->imm) {
                x86_alu_ri(&g->e, true, X86_ADD, X86_RAX, (int32_t)in->imm);
            }
        }
        if (sl->store) {
            X86Label store = X86_LABEL_AT(shared_store[lg] - g->at);
            load_x(g, X86_R8, in->rs2);
            slow_call(g, &store, in);
        } else {
            X86Label load = X86_LABEL_AT(shared_load[lg][sl->sign] - g->at);
            slow_call(g, &load, in);
            store_x(g, in->rd, X86_RAX);
        }
        x86_jmp(&g->e, &sl->back);
    }
}

/* x[rd] = a constant. */
static void set_x_imm(Gen *g, unsigned rd, uint64_t v)
{
    int hd = g->host[rd];
    if (hd >= 0) {
        x86_mov_imm(&g->e, hd, v);
        g->dirty |= 1u << rd;
    } else if (v == (uint64_t)(int64_t)(int32_t)v) {
        x86_store_imm(&g->e, CPU, XOFF(rd), (int32_t)v);
    } else {
        x86_mov_imm(&g->e, X86_RAX, v);
        x86_store(&g->e, 8, X86_RAX, CPU, XOFF(rd));
    }
}

/* mulh, mulhsu, mulhu: the high half of the 128-bit product, which the
   one-operand mul/imul leave in rdx. mulhsu (rs1 signed, rs2 unsigned) is
   the unsigned product's high half minus rs2 when rs1 is negative
   (rs1 = u - 2^64 * sign). */
static void gen_mulh(Gen *g, const RVInsn *in, Kind k)
{
    X86Emit *e = &g->e;
    load_x(g, X86_RAX, in->rs1);
    load_x(g, X86_RCX, in->rs2);
    if (k == K_MULHSU) {
        x86_mov_rr(e, X86_R11, X86_RAX);
        x86_shift_ri(e, true, X86_SAR, X86_R11, 63);
        x86_alu_rr(e, true, X86_AND, X86_R11, X86_RCX);
    }
    x86_unary(e, true, k == K_MULH ? X86_IMUL1 : X86_MUL, X86_RCX);
    if (k == K_MULHSU) {
        x86_alu_rr(e, true, X86_SUB, X86_RDX, X86_R11);
    }
    store_x(g, in->rd, X86_RDX);
}

/* div[u][w], rem[u][w]. RISC-V defines every result (spec table 13.1:
   by zero the quotient is all ones and the remainder the dividend; the
   signed INT_MIN / -1 gives INT_MIN and 0), where the host's div/idiv
   trap: a zero divisor is tested first, and a signed divisor of -1 is
   done as a negation (quotient, wrapping as RISC-V does) or 0
   (remainder), never by idiv. The W forms divide the low 32 bits (32-bit
   operations) and sign-extend the 32-bit result. */
static void gen_div(Gen *g, const RVInsn *in, bool sign, bool rem, bool w)
{
    X86Emit *e = &g->e;
    bool q = !w;   /* 64-bit operations */
    X86Label zero = X86_LABEL_INIT, go = X86_LABEL_INIT, done = X86_LABEL_INIT;
    load_x(g, X86_RAX, in->rs1);
    load_x(g, X86_RCX, in->rs2);
    x86_test_rr(e, q, X86_RCX, X86_RCX);
    x86_jcc(e, X86_CC_E, &zero);
    if (sign) {
        x86_alu_ri(e, q, X86_CMP, X86_RCX, -1);
        x86_jcc(e, X86_CC_NE, &go);
        if (rem) {
            x86_alu_rr(e, false, X86_XOR, X86_RAX, X86_RAX);
        } else {
            x86_unary(e, q, X86_NEG, X86_RAX);
        }
        x86_jmp(e, &done);
        x86_bind(e, &go);
        x86_cqo(e, q);
        x86_unary(e, q, X86_IDIV, X86_RCX);
    } else {
        x86_alu_rr(e, false, X86_XOR, X86_RDX, X86_RDX);
        x86_unary(e, q, X86_DIV, X86_RCX);
    }
    if (rem) {
        x86_mov_rr(e, X86_RAX, X86_RDX);
    }
    x86_jmp(e, &done);
    x86_bind(e, &zero);
    if (!rem) {
        x86_mov_imm(e, X86_RAX, ~0ull);   /* the remainder is rax = rs1 */
    }
    x86_bind(e, &done);
    if (w) {
        x86_sext32(e, X86_RAX);
    }
    store_x(g, in->rd, X86_RAX);
}

/* A called instruction that ends the block (RV_OPF_END_TB: CSR access,
   xRET, wfi, fence.i, sfence.vma, ecall, ebreak). Its handler returns
   RV_EXEC_JUMP with cpu->pc set when it retired: the block is done, and
   the exit chains like an indirect jump, through the hart's jump cache
   and the checks of every chained exit (attention, budget, valid, the
   block's mode). What the handler may have changed that the run loop
   would look at is covered so (docs/jit.md, "Chaining out of handlers"):
   interrupt enables, pending interrupts and mode changes by CSR writes,
   mret and sret raise the attention word (exec_csr, exec_mret,
   exec_sret); a translation change flushes the jump cache with the TLB;
   a mode change (rv_tb_flags) is also checked here, so a handler that
   forgot the attention word still cannot chain into a block of the old
   mode; wfi sets cpu->wfi, checked here, as the run loop does. A trap
   (RV_EXEC_TRAP: the instruction did not retire) leaves as it is. */
static void gen_call_end(Gen *g, const RVInsn *in, const RVInsn *copy)
{
    X86Emit *e = &g->e;
    X86Label next = X86_LABEL_INIT;
    /* Counters settled first, as for every helper (CSR reads of them). */
    call_fn(g, (const void *)(uintptr_t)in->fn, copy);
    /* x[] is current (written back, then the handler's rd). */
    g->dirty = 0;
    x86_test_rr(e, false, X86_RAX, X86_RAX);
    x86_jcc(e, X86_CC_E, &next);
    x86_alu_ri(e, false, X86_CMP, X86_RAX, RV_EXEC_JUMP);
    x86_jcc(e, X86_CC_NE, &g->exit);
    x86_alu_mi(e, false, X86_CMP, CPU, OFF(wfi), 0);
    x86_jcc(e, X86_CC_NE, &g->exit);
    x86_alu_mi(e, false, X86_CMP, CPU, OFF(exit_idx), (int32_t)g->tb->n_insns);
    x86_jcc(e, X86_CC_NE, &g->exit);
    /* rv_tb_flags(cpu) == this block's flags: priv | (FS != Off) << 2 */
    x86_load32(e, X86_RDX, CPU, OFF(priv));
    x86_load(e, X86_RCX, CPU, OFF(mstatus));
    x86_alu_ri(e, true, X86_AND, X86_RCX, (int32_t)RV_MSTATUS_FS);
    x86_setcc_zx(e, X86_CC_NE, X86_RCX);
    x86_shift_ri(e, false, X86_SHL, X86_RCX, 2);
    x86_alu_rr(e, false, X86_OR, X86_RDX, X86_RCX);
    x86_alu_ri(e, false, X86_CMP, X86_RDX, (int32_t)g->tb->flags);
    x86_jcc(e, X86_CC_NE, &g->exit);
    chain_indirect(g);
    x86_bind(e, &next);
    reload(g);
}

/* One instruction; `copy` is its two-entry array for a handler call. */
static void gen_insn(Gen *g, const RVInsn *in, const RVInsn *copy)
{
    X86Emit *e = &g->e;
    switch (kind_of(in)) {
    case K_LUI:
        set_x_imm(g, in->rd, (uint64_t)in->imm);
        break;
    case K_AUIPC:
        set_x_imm(g, in->rd, in->pc + (uint64_t)in->imm);
        break;
    case K_JAL:
        set_x_imm(g, in->rd, in->pc + in->len);
        chain_to(g, in->pc + (uint64_t)in->imm);
        break;
    case K_JALR:
        /* The target first: rd may be rs1. */
        load_x(g, X86_RCX, in->rs1);
        x86_alu_ri(e, true, X86_ADD, X86_RCX, (int32_t)in->imm);
        x86_alu_ri(e, true, X86_AND, X86_RCX, -2);
        x86_mov_imm(e, X86_RAX, in->pc + in->len);
        store_x(g, in->rd, X86_RAX);
        x86_store(e, 8, X86_RCX, CPU, OFF(pc));
        chain_indirect(g);
        break;
    case K_BEQ: gen_branch(g, in, X86_CC_E); break;
    case K_BNE: gen_branch(g, in, X86_CC_NE); break;
    case K_BLT: gen_branch(g, in, X86_CC_L); break;
    case K_BGE: gen_branch(g, in, X86_CC_GE); break;
    case K_BLTU: gen_branch(g, in, X86_CC_B); break;
    case K_BGEU: gen_branch(g, in, X86_CC_AE); break;
    case K_LB: gen_load(g, in, 1, true); break;
    case K_LH: gen_load(g, in, 2, true); break;
    case K_LW: gen_load(g, in, 4, true); break;
    case K_LD: gen_load(g, in, 8, false); break;
    case K_LBU: gen_load(g, in, 1, false); break;
    case K_LHU: gen_load(g, in, 2, false); break;
    case K_LWU: gen_load(g, in, 4, false); break;
    case K_SB: gen_store(g, in, 1); break;
    case K_SH: gen_store(g, in, 2); break;
    case K_SW: gen_store(g, in, 4); break;
    case K_SD: gen_store(g, in, 8); break;
    case K_ADDI: gen_alu_ri(g, in, true, X86_ADD); break;
    case K_XORI: gen_alu_ri(g, in, true, X86_XOR); break;
    case K_ORI: gen_alu_ri(g, in, true, X86_OR); break;
    case K_ANDI: gen_alu_ri(g, in, true, X86_AND); break;
    case K_ADDIW: gen_alu_ri(g, in, false, X86_ADD); break;
    case K_SLTI: gen_set_ri(g, in, X86_CC_L); break;
    case K_SLTIU: gen_set_ri(g, in, X86_CC_B); break;
    case K_SLLI: gen_shift_i(g, in, true, X86_SHL); break;
    case K_SRLI: gen_shift_i(g, in, true, X86_SHR); break;
    case K_SRAI: gen_shift_i(g, in, true, X86_SAR); break;
    case K_SLLIW: gen_shift_i(g, in, false, X86_SHL); break;
    case K_SRLIW: gen_shift_i(g, in, false, X86_SHR); break;
    case K_SRAIW: gen_shift_i(g, in, false, X86_SAR); break;
    case K_ADD: gen_alu_rr(g, in, true, X86_ADD); break;
    case K_SUB: gen_alu_rr(g, in, true, X86_SUB); break;
    case K_XOR: gen_alu_rr(g, in, true, X86_XOR); break;
    case K_OR: gen_alu_rr(g, in, true, X86_OR); break;
    case K_AND: gen_alu_rr(g, in, true, X86_AND); break;
    case K_ADDW: gen_alu_rr(g, in, false, X86_ADD); break;
    case K_SUBW: gen_alu_rr(g, in, false, X86_SUB); break;
    case K_SLT: gen_set_rr(g, in, X86_CC_L); break;
    case K_SLTU: gen_set_rr(g, in, X86_CC_B); break;
    case K_SLL: gen_shift_r(g, in, true, X86_SHL); break;
    case K_SRL: gen_shift_r(g, in, true, X86_SHR); break;
    case K_SRA: gen_shift_r(g, in, true, X86_SAR); break;
    case K_SLLW: gen_shift_r(g, in, false, X86_SHL); break;
    case K_SRLW: gen_shift_r(g, in, false, X86_SHR); break;
    case K_SRAW: gen_shift_r(g, in, false, X86_SAR); break;
    case K_MUL:
    case K_MULW:
        if (g->host[in->rd] >= 0) {
            /* The low 64 (or 32) bits of a product do not depend on
               the operands' order or signedness. */
            unsigned a = in->rd == in->rs2 ? in->rs2 : in->rs1;
            unsigned b = a == in->rs1 ? in->rs2 : in->rs1;
            int hd = cached_rd(g, in);
            if (in->rd != a) {
                load_x(g, hd, a);
            }
            if (g->host[b] >= 0) {
                x86_imul_rr(e, hd, g->host[b]);
            } else {
                x86_imul_rm(e, hd, CPU, XOFF(b));
            }
            if (kind_of(in) == K_MULW) {
                x86_sext32(e, hd);
            }
            break;
        }
        load_x(g, X86_RAX, in->rs1);
        load_x(g, X86_RCX, in->rs2);
        x86_imul_rr(e, X86_RAX, X86_RCX);
        if (kind_of(in) == K_MULW) {
            x86_sext32(e, X86_RAX);
        }
        store_x(g, in->rd, X86_RAX);
        break;
    case K_FENCE:
        break;   /* nothing to order: one hart runs at a time */
    case K_MULH:
    case K_MULHSU:
    case K_MULHU:
        gen_mulh(g, in, kind_of(in));
        break;
    case K_DIV: gen_div(g, in, true, false, false); break;
    case K_DIVU: gen_div(g, in, false, false, false); break;
    case K_REM: gen_div(g, in, true, true, false); break;
    case K_REMU: gen_div(g, in, false, true, false); break;
    case K_DIVW: gen_div(g, in, true, false, true); break;
    case K_DIVUW: gen_div(g, in, false, false, true); break;
    case K_REMW: gen_div(g, in, true, true, true); break;
    case K_REMUW: gen_div(g, in, false, true, true); break;
    default:
        if (in->flags & RV_OPF_END_TB) {
            gen_call_end(g, in, copy);
            break;
        }
        call_helper(g, (const void *)(uintptr_t)in->fn, copy);
        /* The handler may have written x[rd]; x[] and the cache agree. */
        g->dirty = 0;
        reload(g);
        break;
    }
}

static void trace_block(RVCPU *cpu, const TB *tb, const int8_t *cache,
                        uint32_t carried, const uint8_t *code, size_t len);

/* REWIND_PERF_MAP=1: name every piece of host code in /tmp/perf-PID.map,
   the file perf(1) reads to put symbols on JIT code: "guest_PC" per
   block, "jit_link_PC" per way into the block at PC (jit_link.c),
   "jit_enter", "jit_leave", "jit_sync", "jit_exit" and "jit_load_N[s]",
   "jit_store_N" for the code shared by the blocks (emit_shared). Host
   side only: it changes nothing the guest sees. */
void rv_jit_perf_map_name(const uint8_t *code, size_t len, const char *fmt,
                          uint64_t arg)
{
    static FILE *map;
    static bool tried;
    if (!tried) {
        tried = true;
        const char *env = getenv("REWIND_PERF_MAP");
        if (env && strcmp(env, "0") != 0) {
            char path[64];
            snprintf(path, sizeof(path), "/tmp/perf-%ld.map", (long)getpid());
            map = fopen(path, "w");
            if (!map) {
                fprintf(stderr, "rewind: REWIND_PERF_MAP: cannot create %s\n",
                        path);
            }
        }
    }
    if (map && len) {
        fprintf(map, "%" PRIxPTR " %zx ", (uintptr_t)code, len);
        fprintf(map, fmt, arg);
        fputc('\n', map);
    }
}

const void *rv_jit_compile(RVCPU *cpu, TB *tb)
{
    if (!kinds_ready) {
        build_kinds();
    }
    X86CodeBuf *cb = code_buffer(cpu);
    if (!cb) {
        return NULL;
    }
    const RVInsn *ins = (const RVInsn *)tb->payload;
    unsigned n = tb->n_insns;
    /* The link of the block that ran before, read before the buffer may
       be flushed below. */
    int8_t prev[RV_JIT_NCACHE];
    const JitLink *hint = cpu->jit_hint;
    if (hint) {
        memcpy(prev, hint->guest, sizeof(prev));
    }
    /* Chaining only from blocks that call no handler: nothing but a trap
       (which leaves) can change the mode, the interrupt state or the
       translations under them. */
    unsigned ncall = 0, nbranch = 0;
    for (unsigned i = 0; i < n; i++) {
        ncall += kind_of(&ins[i]) == K_CALL;
        nbranch += (ins[i].flags & RV_OPF_BRANCH) != 0;
    }
    /* Patchable jumps: one per branch (taken), a jal's and the fall
       through at the end. */
    unsigned maxlinks = nbranch + 2;
    /* Every block chains: what a handler changes that chaining relies on
       either leaves the block or is checked at the chained exit
       (gen_call_end, docs/jit.md "Chaining out of handlers"). */
    bool chain = true;
    size_t copies = maxlinks * sizeof(JitLink) +
                    2 * ncall * sizeof(RVInsn) +
                    sizeof(JitEntry);
    size_t need = copies + 16 + (size_t)n * RV_JIT_MAX_INSN_CODE +
                  (3 + nbranch) * RV_JIT_MAX_EXIT_CODE + RV_JIT_FIXED_CODE;
    uint8_t *w = x86_codebuf_room(cb, need);
    if (!w) {
        /* Full: everything goes, host code and TBs together (this TB
           stays readable until the arena is reused, so the caller runs
           it in the interpreter this time). */
        tb_flush(cpu->tbs);
        return NULL;
    }
    /* The links, the private arrays of the instructions that call
       their handler (a copy, then a stub that continues), then the code. */
    JitLink *links = (JitLink *)(void *)w;
    memset(links, 0, maxlinks * sizeof(JitLink));
    RVInsn *cw = (RVInsn *)(void *)(w + maxlinks * sizeof(JitLink));
    const RVInsn *crx = (const RVInsn *)(const void *)
        x86_codebuf_rx(cb, (const uint8_t *)cw);
    const RVInsn *copy_of[RV_TB_MAX_INSNS];
    for (unsigned i = 0, k = 0; i < n; i++) {
        copy_of[i] = NULL;
        if (kind_of(&ins[i]) != K_CALL) {
            continue;
        }
        cw[2 * k] = ins[i];
        memset(&cw[2 * k + 1], 0, sizeof(RVInsn));
        cw[2 * k + 1].fn = stub_next;
        cw[2 * k + 1].pc = ins[i].pc + ins[i].len;
        cw[2 * k + 1].idx = (uint8_t)(ins[i].idx + 1);
        copy_of[i] = &crx[2 * k];
        k++;
    }
    size_t code_off = (copies + 15) & ~(size_t)15;
    /* The shared code is at the buffer's start: its labels are bound at
       negative positions (both views keep the distances). */
    long at = (long)(x86_codebuf_used(cb) + code_off);
    Gen g = { .exit = X86_LABEL_AT(shared_leave - at),
              .sync = X86_LABEL_AT(shared_sync - at),
              .live = X86_LABEL_AT(shared_live - at),
              .jump_pc = X86_LABEL_AT(shared_jump_pc - at),
              .out_pc = X86_LABEL_AT(shared_out_pc - at),
              .out = X86_LABEL_AT(shared_out - at),
              .head = X86_LABEL_INIT, .tb = tb, .chain = chain,
              .closed = cpu->machine->debug &&
                        core_debug_has_breakpoint(cpu->machine, tb->pc),
              .links = links, .maxlinks = maxlinks, .retired = n,
              .bail = X86_LABEL_INIT, .preset = ncall > 0,
              .at = at };
    x86_init(&g.e, w + code_off, need - code_off);
    for (unsigned i = 0; i < n; i++) {
        g.at_insn[i] = (X86Label)X86_LABEL_INIT;
    }
    choose_cache(&g, ins, n, hint ? prev : NULL);
    if (chain) {
        chain_entry(&g);
    }
    size_t entry_off = g.e.len;
    reload(&g);
    size_t warm_off = g.e.len;
    for (unsigned i = 0; i < n; i++) {
        Kind k = kind_of(&ins[i]);
        /* M-mode blocks: loads mostly need no translation (MPRV aside). */
        g.dwin |= k >= K_LB && k <= K_LWU && (tb->flags & 3) == RV_PRIV_M;
    }
    /* A jump to the block's own instruction (chain_inside) keeps the
       cached registers unwritten: from its target on, every cached
       register the block writes may be newer than x[]. (A link's way in
       enters with x[] up to date, as the run loop does.) */
    bool jumped_to[RV_TB_MAX_INSNS] = { false }, loops = false;
    uint32_t written = 0;
    for (unsigned i = 0; chain && i < n; i++) {
        Kind k = kind_of(&ins[i]);
        int t = k == K_JAL || (k >= K_BEQ && k <= K_BGEU)
                ? insn_at(&g, ins[i].pc + (uint64_t)ins[i].imm) : -1;
        if (t >= 0) {
            jumped_to[t] = true;
            loops = true;
        }
        if (ins[i].rd < 32 && g.host[ins[i].rd] >= 0) {
            written |= 1u << ins[i].rd;
        }
    }
    if (loops) {
        /* The budget biased by the first pass (Gen.bias): every entry,
           the run loop's and the ways in, comes through here. */
        g.bias = n;
        g.exit = (X86Label)X86_LABEL_INIT;
        rebias(&g);
    }
    x86_bind(&g.e, &g.head);
    for (unsigned i = 0; i < n; i++) {
        if (jumped_to[i]) {
            g.dirty |= written;
            if (i > 0) {
                x86_bind(&g.e, &g.at_insn[i]);
            }
        }
        gen_insn(&g, &ins[i], copy_of[i]);
    }
    /* The sentinel: continue at the next pc. */
    chain_to(&g, ins[n].pc);
    gen_side_exits(&g);
    if (chain) {
        /* The chained entry's budget check failed: the run loop goes on
           at this block (the one before it is accounted). */
        x86_bind(&g.e, &g.bail);
        x86_mov_imm(&g.e, X86_RAX, tb->pc);
        x86_jmp(&g.e, &g.out_pc);
    }
    if (g.bias) {
        /* Out with the helper's result (a trap, a handler's jump): the
           block is not accounted, the run loop counts its exit_idx. */
        x86_bind(&g.e, &g.exit);
        unbias(&g);
        X86Label leave = X86_LABEL_AT(shared_leave - at);
        x86_jmp(&g.e, &leave);
    }
    gen_slow_paths(&g);
    if (g.e.overflow) {
        tb->no_host = 1;   /* the bounds above are wrong: interpret it */
        return NULL;
    }
    const uint8_t *start = x86_codebuf_commit(cb, code_off + g.e.len);
    const uint8_t *code = start + code_off;
    JitEntry *entry = (JitEntry *)(void *)(w + code_off - sizeof(JitEntry));
    entry->warm = code + warm_off;
    entry->preset = g.preset;
    cache_map(&g, entry->guest);
    for (unsigned k = 0; k < g.nlinks; k++) {
        links[k].site = w + code_off + g.link_site[k];
        links[k].end = code + g.link_site[k] + 4;
        links[k].miss = code + g.link_miss[k];
        links[k].out = code + g.link_out[k];
        links[k].flags = tb->flags;
        links[k].dirty = g.link_dirty[k];
        cache_map(&g, links[k].guest);
    }
    for (unsigned k = 0; k < g.nlinks; k++) {
        /* A back edge already jumps to the head: it is a link to this
           block, undone if the block is invalidated. */
        if (g.self_links >> k & 1) {
            rv_jit_link_self(&links[k], tb);
        }
    }
    tb->host = code + entry_off;
    tb->host_chain = chain && !g.closed ? code : NULL;
    rv_jit_perf_map_name(code, g.e.len, "guest_%" PRIx64, tb->pc);
    if (CORE_UNLIKELY(cpu->jit_trace != NULL)) {
        trace_block(cpu, tb, g.host, g.carried, code, g.e.len);
    }
    return tb->host;   /* the run loop enters after the chained entry */
}

/* ---- --trace-jit: the guest block, then its host code ---- */

#ifdef REWIND_HAVE_CAPSTONE
#include <capstone/capstone.h>

void rv_jit_disas_host(FILE *f, const uint8_t *code, size_t len)
{
    csh h;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK) {
        fprintf(f, "  (capstone cannot open x86-64)\n");
        return;
    }
    cs_insn *insn;
    size_t count = cs_disasm(h, code, len, (uint64_t)(uintptr_t)code, 0, &insn);
    for (size_t i = 0; i < count; i++) {
        fprintf(f, "  0x%012" PRIx64 ":  %-8s %s\n", insn[i].address,
                insn[i].mnemonic, insn[i].op_str);
    }
    if (count) {
        cs_free(insn, count);
    }
    cs_close(&h);
}
#else
void rv_jit_disas_host(FILE *f, const uint8_t *code, size_t len)
{
    (void)code;
    fprintf(f, "  (%zu bytes; built without capstone)\n", len);
}
#endif

static void trace_block(RVCPU *cpu, const TB *tb, const int8_t *cache,
                        uint32_t carried, const uint8_t *code, size_t len)
{
    FILE *f = cpu->jit_trace;
    const RVInsn *ins = (const RVInsn *)tb->payload;
    fprintf(f, "IN: pc 0x%016" PRIx64 " phys 0x%" PRIx64 " flags %" PRIu32
            " (%" PRIu32 " insns)\n", tb->pc, tb->phys_pc, tb->flags,
            tb->n_insns);
    for (unsigned i = 0; i < tb->n_insns; i++) {
        char text[96];
        uint32_t bits = ins[i].len == 2 ? ins[i].craw : ins[i].raw;
        rv_disas(text, sizeof(text), bits, ins[i].pc);
        fprintf(f, "  0x%016" PRIx64 ":  %0*" PRIx32 "  %s%s\n", ins[i].pc,
                ins[i].len == 2 ? 4 : 8, bits, text,
                kind_of(&ins[i]) == K_CALL ? "   [call]" : "");
    }
    /* The guest registers the block keeps in host registers for its own
       use, then those it only passes on (choose_cache). */
    fprintf(f, "CACHE:");
    for (unsigned r = 1; r < 32; r++) {
        if (cache[r] >= 0 && !(carried >> r & 1)) {
            fprintf(f, " %s", rv_reg_name(r));
        }
    }
    fprintf(f, "\nCARRY:");
    for (unsigned r = 1; r < 32; r++) {
        if (carried >> r & 1) {
            fprintf(f, " %s", rv_reg_name(r));
        }
    }
    fprintf(f, "\n");
    fprintf(f, "OUT: %zu bytes\n", len);
    rv_jit_disas_host(f, code, len);
    fprintf(f, "\n");
    fflush(f);
}
