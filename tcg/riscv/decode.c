/*
 * RISC-V instruction decoder: joins the per-extension table fragments and
 * turns instruction bits into an RVInsn.
 *
 * The fragments (rv_ops_int, rv_ops_amo, rv_ops_fp, rv_ops_system) are
 * concatenated in that fixed order on first use, so a row's index (in->op)
 * is the same in every run. To avoid scanning every row, rows are bucketed
 * by the major opcode (bits 6:2) and funct3 (bits 14:12); a row whose mask
 * leaves some of those bits open goes into every bucket it can match. Inside
 * a bucket rows keep table order, so the first matching row wins, exactly
 * as in a linear scan.
 *
 * Compressed instructions are expanded to their 32-bit equivalent first
 * (unprivileged spec ch. 16, "C" Standard Extension, RV64 column) and then
 * decoded like any other instruction; HINT encodings expand to instructions
 * that write x0 and thus retire as no-ops.
 *
 *     RVInsn in;
 *     if (!rv_decode(&in, bits, pc))    // in.fn raises illegal-instruction
 *         ...
 *     const RVOpDesc *d = rv_decode_op(in.op);   // d->name for disassembly
 */
#include "tcg/riscv/decode.h"

/* in->op of an illegal instruction; rv_decode_op() returns NULL for it. */
#define RV_OP_ILLEGAL UINT16_MAX

#define KEY_BITS 8
#define NKEYS (1u << KEY_BITS)

/* Rows the decoder executes: every insn.def row but the DIS ones. The
   tables are sized at compile time, so building them cannot fail. */
#define RV_COUNT_ROW(...) + 1
#define RV_INSN_INT RV_COUNT_ROW
#define RV_INSN_AMO RV_COUNT_ROW
#define RV_INSN_FP  RV_COUNT_ROW
#define RV_INSN_SYS RV_COUNT_ROW
#define RV_INSN_DIS RV_SKIP_ROW
enum {
    NOPS = 0
#include "tcg/riscv/insn.def"
};
_Static_assert(NOPS < RV_OP_ILLEGAL, "in->op must fit below RV_OP_ILLEGAL");
/* A row goes into every bucket its mask leaves open: at most all. */
_Static_assert((size_t)NOPS * NKEYS <= UINT16_MAX + 1u,
               "bucket_start must fit in 16 bits");

static const RVOpDesc *ops[NOPS]; /* joined table */
static unsigned nops;
static uint16_t bucket_start[NKEYS + 1];
static uint16_t bucket_rows[NOPS * NKEYS]; /* row indices, grouped by key */
static bool tables_ready;

/* Bucket key: opcode bits 6:2 and funct3. */
static inline unsigned insn_key(uint32_t w)
{
    return ((w >> 2) & 0x1f) | (((w >> 12) & 7) << 5);
}

static inline uint32_t key_bits(unsigned key)
{
    return ((key & 0x1f) << 2) | ((uint32_t)(key >> 5) << 12);
}

#define KEY_FIELD_MASK ((0x1fu << 2) | (7u << 12))

static bool row_in_bucket(const RVOpDesc *d, unsigned key)
{
    uint32_t m = d->mask & KEY_FIELD_MASK;
    return (d->match & m) == (key_bits(key) & m);
}

static void build_tables(void)
{
    const RVOpDesc *const frags[] = {
        rv_ops_int, rv_ops_amo, rv_ops_fp, rv_ops_system,
    };

    /* The fragments hold exactly the NOPS rows counted above. */
    nops = 0;
    for (size_t f = 0; f < CORE_ARRAY_SIZE(frags); f++) {
        for (const RVOpDesc *d = frags[f]; d->name && nops < NOPS; d++) {
            ops[nops++] = d;
        }
    }

    /* Two passes: count each bucket's rows, then fill them in order. */
    unsigned total = 0;
    for (unsigned k = 0; k < NKEYS; k++) {
        bucket_start[k] = (uint16_t)total;
        for (unsigned i = 0; i < nops; i++) {
            total += row_in_bucket(ops[i], k);
        }
    }
    bucket_start[NKEYS] = (uint16_t)total;
    unsigned pos = 0;
    for (unsigned k = 0; k < NKEYS; k++) {
        for (unsigned i = 0; i < nops; i++) {
            if (row_in_bucket(ops[i], k)) {
                bucket_rows[pos++] = (uint16_t)i;
            }
        }
    }
    tables_ready = true;
}

static inline void ensure_tables(void)
{
    if (CORE_UNLIKELY(!tables_ready)) {
        build_tables();
    }
}

const RVOpDesc *rv_decode_op(uint16_t op)
{
    ensure_tables();
    return op < nops ? ops[op] : NULL;
}

int rv_exec_illegal(RVCPU *cpu, const RVInsn *in)
{
    return rv_raise_illegal(cpu, in);
}

/* ---- operand extraction ---- */

static inline uint32_t bits(uint32_t w, unsigned hi, unsigned lo)
{
    return (w >> lo) & ((1u << (hi - lo + 1)) - 1);
}

static inline int64_t sext(uint64_t v, unsigned width)
{
    unsigned sh = 64 - width;
    return (int64_t)(v << sh) >> sh;
}

static inline uint8_t dest(uint32_t w)
{
    uint8_t rd = (uint8_t)bits(w, 11, 7);
    return rd ? rd : RV_REG_SINK;
}

static void extract(RVInsn *in, const RVOpDesc *d, uint32_t w)
{
    in->rd = in->rs1 = in->rs2 = in->rs3 = 0;
    in->imm = 0;
    in->rm = (uint8_t)bits(w, 14, 12);

    switch (d->fmt) {
    case RV_FMT_NONE:
        break;
    case RV_FMT_R4:
        in->rs3 = (uint8_t)bits(w, 31, 27);
        /* fall through */
    case RV_FMT_R:
        in->rd = dest(w);
        in->rs1 = (uint8_t)bits(w, 19, 15);
        in->rs2 = (uint8_t)bits(w, 24, 20);
        break;
    case RV_FMT_I:
        in->rd = dest(w);
        in->rs1 = (uint8_t)bits(w, 19, 15);
        in->imm = sext(bits(w, 31, 20), 12);
        break;
    case RV_FMT_I_SH:
        in->rd = dest(w);
        in->rs1 = (uint8_t)bits(w, 19, 15);
        in->imm = bits(w, 25, 20);
        break;
    case RV_FMT_I_SHW:
        in->rd = dest(w);
        in->rs1 = (uint8_t)bits(w, 19, 15);
        in->imm = bits(w, 24, 20);
        break;
    case RV_FMT_S:
        in->rs1 = (uint8_t)bits(w, 19, 15);
        in->rs2 = (uint8_t)bits(w, 24, 20);
        in->imm = sext((bits(w, 31, 25) << 5) | bits(w, 11, 7), 12);
        break;
    case RV_FMT_B:
        in->rs1 = (uint8_t)bits(w, 19, 15);
        in->rs2 = (uint8_t)bits(w, 24, 20);
        in->imm = sext((bits(w, 31, 31) << 12) | (bits(w, 7, 7) << 11) |
                       (bits(w, 30, 25) << 5) | (bits(w, 11, 8) << 1), 13);
        break;
    case RV_FMT_U:
        in->rd = dest(w);
        in->imm = sext(w & 0xfffff000u, 32);
        break;
    case RV_FMT_J:
        in->rd = dest(w);
        in->imm = sext((bits(w, 31, 31) << 20) | (bits(w, 19, 12) << 12) |
                       (bits(w, 20, 20) << 11) | (bits(w, 30, 21) << 1), 21);
        break;
    case RV_FMT_CSR:
        in->rd = dest(w);
        in->rs1 = (uint8_t)bits(w, 19, 15);
        in->imm = bits(w, 31, 20);
        break;
    case RV_FMT_AMO:
        in->rd = dest(w);
        in->rs1 = (uint8_t)bits(w, 19, 15);
        in->rs2 = (uint8_t)bits(w, 24, 20);
        in->imm = bits(w, 26, 25);
        break;
    case RV_FMT_FENCE:
        in->rd = dest(w);
        in->rs1 = (uint8_t)bits(w, 19, 15);
        in->imm = bits(w, 31, 20);
        break;
    }
}

static bool set_illegal(RVInsn *in)
{
    in->fn = rv_exec_illegal;
    in->imm = 0;
    in->rd = in->rs1 = in->rs2 = in->rs3 = 0;
    in->rm = 0;
    in->op = RV_OP_ILLEGAL;
    in->flags = 0;
    return false;
}

bool rv_decode(RVInsn *in, uint32_t raw, gva_t pc)
{
    ensure_tables();

    in->pc = pc;
    uint32_t w = raw;
    if ((raw & 3) != 3) {
        /* tval of an illegal compressed insn is its 16 bits alone. */
        in->len = 2;
        in->raw = raw & 0xffff;
        in->craw = (uint16_t)raw;
        w = rv_expand_compressed((uint16_t)raw);
        if (!w) {
            return set_illegal(in);
        }
    } else {
        in->len = 4;
        in->craw = 0;
    }
    in->raw = w;

    unsigned key = insn_key(w);
    for (unsigned i = bucket_start[key]; i < bucket_start[key + 1]; i++) {
        const RVOpDesc *d = ops[bucket_rows[i]];
        if ((w & d->mask) == d->match) {
            extract(in, d, w);
            in->fn = d->fn;
            in->op = bucket_rows[i];
            in->flags = d->flags;
            return true;
        }
    }
    return set_illegal(in);
}

/* ---- compressed expansion (unprivileged spec 16.3-16.8) ---- */


static inline uint32_t enc_i(uint32_t opc, uint32_t f3, uint32_t rd,
                             uint32_t rs1, int32_t imm)
{
    return ((uint32_t)imm << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc;
}

static inline uint32_t enc_r(uint32_t opc, uint32_t f3, uint32_t f7,
                             uint32_t rd, uint32_t rs1, uint32_t rs2)
{
    return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) |
           opc;
}

static inline uint32_t enc_s(uint32_t opc, uint32_t f3, uint32_t rs1,
                             uint32_t rs2, uint32_t imm)
{
    return (bits(imm, 11, 5) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
           (bits(imm, 4, 0) << 7) | opc;
}

static inline uint32_t enc_b(uint32_t f3, uint32_t rs1, uint32_t rs2,
                             uint32_t imm)
{
    return (bits(imm, 12, 12) << 31) | (bits(imm, 10, 5) << 25) |
           (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (bits(imm, 4, 1) << 8) |
           (bits(imm, 11, 11) << 7) | RV_OPC_BRANCH;
}

static inline uint32_t enc_j(uint32_t rd, uint32_t imm)
{
    return (bits(imm, 20, 20) << 31) | (bits(imm, 10, 1) << 21) |
           (bits(imm, 11, 11) << 20) | (bits(imm, 19, 12) << 12) | (rd << 7) |
           RV_OPC_JAL;
}

/* Sign-extended 6-bit immediate of CI-format ALU ops: imm[5] at bit 12,
   imm[4:0] at bits 6:2. */
static inline int32_t ci_imm(uint32_t c)
{
    return (int32_t)sext((bits(c, 12, 12) << 5) | bits(c, 6, 2), 6);
}

static inline uint32_t ci_shamt(uint32_t c)
{
    return (bits(c, 12, 12) << 5) | bits(c, 6, 2);
}

/* The 3-bit register fields of CIW/CL/CS/CA/CB formats name x8-x15. */
static inline uint32_t creg(uint32_t c, unsigned lo)
{
    return 8 + bits(c, lo + 2, lo);
}

/* Offsets of c.lw/c.sw: uimm[5:3] at 12:10, uimm[2] at 6, uimm[6] at 5. */
static inline uint32_t cl_w_off(uint32_t c)
{
    return (bits(c, 12, 10) << 3) | (bits(c, 6, 6) << 2) | (bits(c, 5, 5) << 6);
}

/* Offsets of c.ld/c.sd/c.fld/c.fsd: uimm[5:3] at 12:10, uimm[7:6] at 6:5. */
static inline uint32_t cl_d_off(uint32_t c)
{
    return (bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6);
}

static uint32_t expand_q0(uint32_t c)
{
    uint32_t rdp = creg(c, 2), rs1p = creg(c, 7);

    switch (bits(c, 15, 13)) {
    case 0: { /* c.addi4spn: nzuimm[5:4|9:6|2|3] */
        uint32_t imm = (bits(c, 12, 11) << 4) | (bits(c, 10, 7) << 6) |
                       (bits(c, 6, 6) << 2) | (bits(c, 5, 5) << 3);
        return imm ? enc_i(RV_OPC_OP_IMM, 0, rdp, 2, (int32_t)imm) : 0;
    }
    case 1: /* c.fld */
        return enc_i(RV_OPC_LOAD_FP, 3, rdp, rs1p, (int32_t)cl_d_off(c));
    case 2: /* c.lw */
        return enc_i(RV_OPC_LOAD, 2, rdp, rs1p, (int32_t)cl_w_off(c));
    case 3: /* c.ld */
        return enc_i(RV_OPC_LOAD, 3, rdp, rs1p, (int32_t)cl_d_off(c));
    case 5: /* c.fsd */
        return enc_s(RV_OPC_STORE_FP, 3, rs1p, rdp, cl_d_off(c));
    case 6: /* c.sw */
        return enc_s(RV_OPC_STORE, 2, rs1p, rdp, cl_w_off(c));
    case 7: /* c.sd */
        return enc_s(RV_OPC_STORE, 3, rs1p, rdp, cl_d_off(c));
    default: /* 100 is reserved */
        return 0;
    }
}

static uint32_t expand_q1(uint32_t c)
{
    uint32_t rd = bits(c, 11, 7);
    uint32_t rdp = creg(c, 7), rs2p = creg(c, 2);

    switch (bits(c, 15, 13)) {
    case 0: /* c.addi, c.nop (and their HINTs) */
        return enc_i(RV_OPC_OP_IMM, 0, rd, rd, ci_imm(c));
    case 1: /* c.addiw */
        return rd ? enc_i(RV_OPC_OP_IMM_32, 0, rd, rd, ci_imm(c)) : 0;
    case 2: /* c.li */
        return enc_i(RV_OPC_OP_IMM, 0, rd, 0, ci_imm(c));
    case 3:
        if (rd == 2) { /* c.addi16sp: nzimm[9] at 12, [4|6|8:7|5] at 6:2 */
            uint32_t u = (bits(c, 12, 12) << 9) | (bits(c, 6, 6) << 4) |
                         (bits(c, 5, 5) << 6) | (bits(c, 4, 3) << 7) |
                         (bits(c, 2, 2) << 5);
            return u ? enc_i(RV_OPC_OP_IMM, 0, 2, 2, (int32_t)sext(u, 10)) : 0;
        } else { /* c.lui: nzimm[17] at 12, nzimm[16:12] at 6:2 */
            int32_t imm = ci_imm(c);
            return imm ? ((uint32_t)imm << 12) | (rd << 7) | RV_OPC_LUI : 0;
        }
    case 4:
        switch (bits(c, 11, 10)) {
        case 0: /* c.srli; shamt 0 is a HINT on RV64 */
            return enc_i(RV_OPC_OP_IMM, 5, rdp, rdp, (int32_t)ci_shamt(c));
        case 1: /* c.srai */
            return enc_i(RV_OPC_OP_IMM, 5, rdp, rdp,
                         (int32_t)(ci_shamt(c) | 0x400));
        case 2: /* c.andi */
            return enc_i(RV_OPC_OP_IMM, 7, rdp, rdp, ci_imm(c));
        default: {
            /* funct3 and funct7 of sub, xor, or, and, subw, addw */
            static const uint8_t f3[8] = { 0, 4, 6, 7, 0, 0, 0, 0 };
            static const uint8_t f7[8] = { 0x20, 0, 0, 0, 0x20, 0, 0, 0 };
            unsigned sel = (bits(c, 12, 12) << 2) | bits(c, 6, 5);
            if (sel >= 6) {
                return 0;   /* reserved */
            }
            return enc_r(sel >= 4 ? RV_OPC_OP_32 : RV_OPC_OP, f3[sel], f7[sel],
                         rdp, rdp, rs2p);
        }
        }
    case 5: { /* c.j: imm[11|4|9:8|10|6|7|3:1|5] */
        uint32_t u = (bits(c, 12, 12) << 11) | (bits(c, 11, 11) << 4) |
                     (bits(c, 10, 9) << 8) | (bits(c, 8, 8) << 10) |
                     (bits(c, 7, 7) << 6) | (bits(c, 6, 6) << 7) |
                     (bits(c, 5, 3) << 1) | (bits(c, 2, 2) << 5);
        return enc_j(0, (uint32_t)sext(u, 12));
    }
    default: { /* c.beqz, c.bnez: imm[8|4:3] at 12:10, [7:6|2:1|5] at 6:2 */
        uint32_t u = (bits(c, 12, 12) << 8) | (bits(c, 11, 10) << 3) |
                     (bits(c, 6, 5) << 6) | (bits(c, 4, 3) << 1) |
                     (bits(c, 2, 2) << 5);
        return enc_b(bits(c, 13, 13), rdp, 0, (uint32_t)sext(u, 9));
    }
    }
}

static uint32_t expand_q2(uint32_t c)
{
    uint32_t rd = bits(c, 11, 7), rs2 = bits(c, 6, 2);
    /* ldsp/fldsp: uimm[5] at 12, [4:3|8:6] at 6:2; sdsp/fsdsp: [5:3|8:6]
       at 12:7. */
    uint32_t ld_off = (bits(c, 12, 12) << 5) | (bits(c, 6, 5) << 3) |
                      (bits(c, 4, 2) << 6);
    uint32_t sd_off = (bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6);

    switch (bits(c, 15, 13)) {
    case 0: /* c.slli; rd 0 or shamt 0 are HINTs */
        return enc_i(RV_OPC_OP_IMM, 1, rd, rd, (int32_t)ci_shamt(c));
    case 1: /* c.fldsp */
        return enc_i(RV_OPC_LOAD_FP, 3, rd, 2, (int32_t)ld_off);
    case 2: { /* c.lwsp: uimm[5] at 12, [4:2|7:6] at 6:2 */
        uint32_t off = (bits(c, 12, 12) << 5) | (bits(c, 6, 4) << 2) |
                       (bits(c, 3, 2) << 6);
        return rd ? enc_i(RV_OPC_LOAD, 2, rd, 2, (int32_t)off) : 0;
    }
    case 3: /* c.ldsp */
        return rd ? enc_i(RV_OPC_LOAD, 3, rd, 2, (int32_t)ld_off) : 0;
    case 4:
        if (!bits(c, 12, 12)) {
            if (!rs2) { /* c.jr */
                return rd ? enc_i(RV_OPC_JALR, 0, 0, rd, 0) : 0;
            }
            return enc_r(RV_OPC_OP, 0, 0, rd, 0, rs2);         /* c.mv */
        }
        if (!rs2) {
            if (!rd) {
                return enc_i(RV_OPC_SYSTEM, 0, 0, 0, 1);       /* c.ebreak */
            }
            return enc_i(RV_OPC_JALR, 0, 1, rd, 0);            /* c.jalr */
        }
        return enc_r(RV_OPC_OP, 0, 0, rd, rd, rs2);            /* c.add */
    case 5: /* c.fsdsp */
        return enc_s(RV_OPC_STORE_FP, 3, 2, rs2, sd_off);
    case 6: { /* c.swsp: uimm[5:2|7:6] at 12:7 */
        uint32_t off = (bits(c, 12, 9) << 2) | (bits(c, 8, 7) << 6);
        return enc_s(RV_OPC_STORE, 2, 2, rs2, off);
    }
    default: /* c.sdsp */
        return enc_s(RV_OPC_STORE, 3, 2, rs2, sd_off);
    }
}

uint32_t rv_expand_compressed(uint16_t c)
{
    switch (c & 3) {
    case 0:
        return expand_q0(c);
    case 1:
        return expand_q1(c);
    case 2:
        return expand_q2(c);
    default:
        return 0;
    }
}
