/*
 * RISC-V instruction decoding: the decode table and its use.
 *
 * Every instruction the front-end knows is one row of the instruction
 * table insn.def (shared with the disassembler): a mask/match pair over the
 * 32-bit encoding, the operand format that says which fields to extract,
 * flags, and the handler that executes it. Each executor file turns the
 * rows of its group into a fragment of RVOpDesc (rv_ops_int in exec_int.c,
 * rv_ops_fp in exec_fp.c, ...) with RV_DECODE_ROW below, so its handlers
 * stay static; decode.c joins the fragments at start-up.
 *
 * Compressed (16-bit) instructions are first expanded into their 32-bit
 * equivalent (unprivileged spec ch. 16, "C" extension) and then decoded by
 * the same table, so each operation has exactly one handler.
 *
 * Usage:
 *     RVInsn in;
 *     if (!rv_decode(&in, raw_bits, pc)) ... // in.fn is rv_exec_illegal
 */
#ifndef TCG_RISCV_DECODE_H
#define TCG_RISCV_DECODE_H

#include "tcg/riscv/cpu.h"
#include "tcg/riscv/opcodes.h"

/* Operand formats: which fields rv_decode extracts into RVInsn. */
typedef enum RVFormat {
    RV_FMT_NONE,   /* no operands (ecall, fence.i, mret, ...) */
    RV_FMT_R,      /* rd, rs1, rs2 (rm = funct3) */
    RV_FMT_R4,     /* rd, rs1, rs2, rs3 (FMA), rm = funct3 */
    RV_FMT_I,      /* rd, rs1, imm[11:0] sign-extended */
    RV_FMT_I_SH,   /* rd, rs1, shamt (imm = bits 25:20, 6 bits on RV64) */
    RV_FMT_I_SHW,  /* rd, rs1, shamt (imm = bits 24:20) */
    RV_FMT_S,      /* rs1, rs2, imm store offset */
    RV_FMT_B,      /* rs1, rs2, imm branch offset */
    RV_FMT_U,      /* rd, imm = bits 31:12 << 12, sign-extended */
    RV_FMT_J,      /* rd, imm jump offset */
    RV_FMT_CSR,    /* rd, rs1 (register or 5-bit uimm), imm = csr number */
    RV_FMT_AMO,    /* rd, rs1, rs2, imm = aq<<1 | rl */
    RV_FMT_FENCE,  /* imm = bits 31:20 (fm, pred, succ) */
} RVFormat;

/* Flags of a decode table row. */
enum {
    RV_OPF_END_TB = 1 << 0,  /* always ends its translation block (control
                                flow, CSR access, fences that matter, xRET,
                                ecall/ebreak, wfi) */
    RV_OPF_FP     = 1 << 1,  /* needs mstatus.FS != Off */
    RV_OPF_LOAD   = 1 << 2,
    RV_OPF_STORE  = 1 << 3,
    RV_OPF_BRANCH = 1 << 4,  /* a conditional branch: ends its block only as
                                its last instruction; before that, taken, it
                                is a side exit (rv_exec_side_exit) */
};

/* Flag sets named in insn.def's flags column. */
#define RV_ROWF_0     0
#define RV_ROWF_END   RV_OPF_END_TB
#define RV_ROWF_BR    RV_OPF_BRANCH
#define RV_ROWF_LD    RV_OPF_LOAD
#define RV_ROWF_ST    RV_OPF_STORE
#define RV_ROWF_RMW   (RV_OPF_LOAD | RV_OPF_STORE)
#define RV_ROWF_FP    RV_OPF_FP
#define RV_ROWF_FP_LD (RV_OPF_FP | RV_OPF_LOAD)
#define RV_ROWF_FP_ST (RV_OPF_FP | RV_OPF_STORE)

typedef struct RVOpDesc {
    const char *name;   /* assembler mnemonic, e.g. "addi", "fmadd.d" */
    uint32_t mask;
    uint32_t match;
    RVFormat fmt;
    uint16_t flags;
    RVExecFn fn;
} RVOpDesc;

/* Building a fragment from insn.def: define RV_INSN_<group> as
   RV_DECODE_ROW for the file's own groups and RV_SKIP_ROW for the others,
   then include "tcg/riscv/insn.def" inside the array initialiser:
       #define RV_INSN_INT RV_DECODE_ROW
       #define RV_INSN_AMO RV_SKIP_ROW   ... (FP, SYS, DIS)
       const RVOpDesc rv_ops_int[] = {
       #include "tcg/riscv/insn.def"
           { .name = NULL },
       };                                                              */
#define RV_INSN(group, ...) RV_INSN_##group(__VA_ARGS__)
#define RV_DECODE_ROW(name, mask, match, fmt, dis, freg, flags, fn, dmask) \
    { name, RV_M_##mask, match, RV_FMT_##fmt, RV_ROWF_##flags, fn },
#define RV_SKIP_ROW(...)

/* Table fragments, each terminated by a row with name == NULL. */
extern const RVOpDesc rv_ops_int[];    /* RV64I, M, Zifencei (exec_int.c) */
extern const RVOpDesc rv_ops_amo[];    /* A (exec_amo.c) */
extern const RVOpDesc rv_ops_fp[];     /* F and D (exec_fp.c) */
extern const RVOpDesc rv_ops_system[]; /* Zicsr, ecall, ebreak, xRET, wfi,
                                          sfence.vma (exec_system.c) */

/* Decode one instruction. `raw` holds the low 16 bits for a compressed
   instruction (bits 1:0 != 3) or all 32 bits otherwise. Fills every field of
   *in except idx. Returns false for an illegal encoding, in which case
   in->fn is the illegal-instruction handler and in->len is still right. */
bool rv_decode(RVInsn *in, uint32_t raw, gva_t pc);

/* Expand a 16-bit compressed instruction to its 32-bit equivalent;
   returns 0 for an illegal/reserved encoding. */
uint32_t rv_expand_compressed(uint16_t c);

/* Length in bytes of the instruction whose first 16 bits are `lo`. */
static inline unsigned rv_insn_len(uint16_t lo)
{
    return (lo & 3) == 3 ? 4 : 2;
}

/* The table row a decoded instruction came from (in->op). */
const RVOpDesc *rv_decode_op(uint16_t op);

/* Handler for illegal encodings: raises the illegal-instruction exception. */
int rv_exec_illegal(RVCPU *cpu, const RVInsn *in);

/* The variant of a conditional branch's handler for a branch that is not
   its block's last instruction: taken, it also sets cpu->exit_idx to
   in->idx + 1 (the rest of the block did not run). Chosen once by the
   translator, so the branch at a block's end pays no test. NULL if fn is
   not a branch's handler. */
RVExecFn rv_exec_side_exit(RVExecFn fn);

#endif
