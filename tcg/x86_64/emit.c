/*
 * x86-64 encoding (see emit.h). Encodings from the Intel SDM vol. 2:
 * REX prefix (2.2.1), ModRM/SIB (2.1.5), the opcode tables of each
 * instruction.
 */
#include "tcg/x86_64/emit.h"

#include <string.h>

/* Longest instruction we emit, with room to spare: an instruction is
   written only if this much room is left, so none is ever cut. */
#define X86_MAX_INSN 16

void x86_init(X86Emit *e, uint8_t *buf, size_t cap)
{
    e->buf = buf;
    e->len = 0;
    e->cap = cap;
    e->overflow = false;
}

/* Start an instruction: false (and overflow) if it may not fit. */
static bool room(X86Emit *e)
{
    if (e->overflow || e->cap - e->len < X86_MAX_INSN) {
        e->overflow = true;
        return false;
    }
    return true;
}

/* The byte writers every encoder uses, static so they inline (exported
   functions are not inlined in position-independent code). */
static inline void put8(X86Emit *e, uint8_t b)
{
    if (e->len < e->cap) {
        e->buf[e->len++] = b;
    } else {
        e->overflow = true;
    }
}

static inline void put32(X86Emit *e, uint32_t v)
{
    if (e->cap - e->len >= 4) {
        memcpy(e->buf + e->len, &v, 4);
        e->len += 4;
    } else {
        e->overflow = true;
    }
}

void x86_byte(X86Emit *e, uint8_t b)
{
    put8(e, b);
}

void x86_u32(X86Emit *e, uint32_t v)
{
    put32(e, v);
}

void x86_u64(X86Emit *e, uint64_t v)
{
    put32(e, (uint32_t)v);
    put32(e, (uint32_t)(v >> 32));
}

static bool fits8(int64_t v)
{
    return v >= -128 && v <= 127;
}

static void rex(X86Emit *e, bool w, bool force, int reg, int rm)
{
    uint8_t r = (uint8_t)(0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) |
                          ((rm & 8) ? 1 : 0));
    if (r != 0x40 || force) {
        put8(e, r);
    }
}

/* Opcode of one or two bytes (0x0Fxx). */
static void opcode(X86Emit *e, unsigned op)
{
    if (op > 0xff) {
        put8(e, (uint8_t)(op >> 8));
    }
    put8(e, (uint8_t)op);
}

/* ModRM (+SIB, disp) for [base + disp]. */
static void modrm_mem(X86Emit *e, int reg, int base, int32_t disp)
{
    int rm = base & 7;
    int mod = (disp == 0 && rm != 5) ? 0 : fits8(disp) ? 1 : 2;
    put8(e, (uint8_t)((mod << 6) | ((reg & 7) << 3) | rm));
    if (rm == 4) {
        put8(e, 0x24);   /* SIB: base only, no index */
    }
    if (mod == 1) {
        put8(e, (uint8_t)(int8_t)disp);
    } else if (mod == 2) {
        put32(e, (uint32_t)disp);
    }
}

static void modrm_reg(X86Emit *e, int reg, int rm)
{
    put8(e, (uint8_t)(0xc0 | ((reg & 7) << 3) | (rm & 7)));
}

/* op reg, [base+disp] in its usual shape. */
static void op_mem(X86Emit *e, bool w, bool force_rex, unsigned op, int reg,
                   int base, int32_t disp)
{
    if (!room(e)) {
        return;
    }
    rex(e, w, force_rex, reg, base);
    opcode(e, op);
    modrm_mem(e, reg, base, disp);
}

static void op_reg(X86Emit *e, bool w, unsigned op, int reg, int rm)
{
    if (!room(e)) {
        return;
    }
    rex(e, w, false, reg, rm);
    opcode(e, op);
    modrm_reg(e, reg, rm);
}

void x86_load(X86Emit *e, int dst, int base, int32_t disp)
{
    op_mem(e, true, false, 0x8b, dst, base, disp);
}

void x86_load32(X86Emit *e, int dst, int base, int32_t disp)
{
    op_mem(e, false, false, 0x8b, dst, base, disp);
}

void x86_store(X86Emit *e, unsigned size, int src, int base, int32_t disp)
{
    switch (size) {
    case 1:
        /* A REX prefix makes 4-7 mean spl..dil rather than ah..bh. */
        op_mem(e, false, true, 0x88, src, base, disp);
        break;
    case 2:
        if (room(e)) {
            put8(e, 0x66);
            op_mem(e, false, false, 0x89, src, base, disp);
        }
        break;
    case 4:
        op_mem(e, false, false, 0x89, src, base, disp);
        break;
    default:
        op_mem(e, true, false, 0x89, src, base, disp);
        break;
    }
}

void x86_store_imm(X86Emit *e, int base, int32_t disp, int32_t imm)
{
    op_mem(e, true, false, 0xc7, 0, base, disp);
    put32(e, (uint32_t)imm);
}

void x86_load_ext(X86Emit *e, unsigned size, bool sign, int dst, int base,
                  int32_t disp)
{
    switch (size) {
    case 1:
        op_mem(e, true, false, sign ? 0x0fbe : 0x0fb6, dst, base, disp);
        break;
    case 2:
        op_mem(e, true, false, sign ? 0x0fbf : 0x0fb7, dst, base, disp);
        break;
    case 4:
        if (sign) {
            op_mem(e, true, false, 0x63, dst, base, disp);   /* movsxd */
        } else {
            op_mem(e, false, false, 0x8b, dst, base, disp);  /* mov r32 */
        }
        break;
    default:
        op_mem(e, true, false, 0x8b, dst, base, disp);
        break;
    }
}

void x86_sext32(X86Emit *e, int reg)
{
    op_reg(e, true, 0x63, reg, reg);
}

void x86_mov_rr(X86Emit *e, int dst, int src)
{
    op_reg(e, true, 0x8b, dst, src);
}

void x86_mov_imm(X86Emit *e, int dst, uint64_t imm)
{
    if (!room(e)) {
        return;
    }
    if (imm <= UINT32_MAX) {
        rex(e, false, false, 0, dst);          /* mov r32, imm32 zero-extends */
        put8(e, (uint8_t)(0xb8 | (dst & 7)));
        put32(e, (uint32_t)imm);
    } else if ((int64_t)imm == (int32_t)imm) {
        rex(e, true, false, 0, dst);           /* mov r/m64, imm32 */
        put8(e, 0xc7);
        modrm_reg(e, 0, dst);
        put32(e, (uint32_t)imm);
    } else {
        rex(e, true, false, 0, dst);           /* movabs */
        put8(e, (uint8_t)(0xb8 | (dst & 7)));
        put32(e, (uint32_t)imm);
        put32(e, (uint32_t)(imm >> 32));
    }
}

void x86_alu_rr(X86Emit *e, bool w, X86Alu op, int dst, int src)
{
    op_reg(e, w, 0x03u + 8u * op, dst, src);
}

void x86_alu_rm(X86Emit *e, bool w, X86Alu op, int dst, int base, int32_t disp)
{
    op_mem(e, w, false, 0x03u + 8u * op, dst, base, disp);
}

void x86_alu_mr(X86Emit *e, bool w, X86Alu op, int base, int32_t disp, int src)
{
    op_mem(e, w, false, 0x01u + 8u * (unsigned)op, src, base, disp);
}

void x86_alu_ri(X86Emit *e, bool w, X86Alu op, int dst, int32_t imm)
{
    if (!room(e)) {
        return;
    }
    rex(e, w, false, 0, dst);
    if (fits8(imm)) {
        put8(e, 0x83);
        modrm_reg(e, op, dst);
        put8(e, (uint8_t)(int8_t)imm);
    } else {
        put8(e, 0x81);
        modrm_reg(e, op, dst);
        put32(e, (uint32_t)imm);
    }
}

void x86_alu_mi(X86Emit *e, bool w, X86Alu op, int base, int32_t disp,
                int32_t imm)
{
    if (fits8(imm)) {
        op_mem(e, w, false, 0x83, op, base, disp);
        put8(e, (uint8_t)(int8_t)imm);
    } else {
        op_mem(e, w, false, 0x81, op, base, disp);
        put32(e, (uint32_t)imm);
    }
}

void x86_shift_ri(X86Emit *e, bool w, X86Shift op, int dst, uint8_t n)
{
    if (!room(e)) {
        return;
    }
    rex(e, w, false, 0, dst);
    put8(e, 0xc1);
    modrm_reg(e, op, dst);
    put8(e, n);
}

void x86_shift_cl(X86Emit *e, bool w, X86Shift op, int dst)
{
    op_reg(e, w, 0xd3, op, dst);
}

void x86_imul_rm(X86Emit *e, int dst, int base, int32_t disp)
{
    op_mem(e, true, false, 0x0faf, dst, base, disp);
}

void x86_imul_rr(X86Emit *e, int dst, int src)
{
    op_reg(e, true, 0x0faf, dst, src);
}

void x86_imul_rri(X86Emit *e, int dst, int src, int32_t imm)
{
    if (!room(e)) {
        return;
    }
    rex(e, true, false, dst, src);
    put8(e, 0x69);
    modrm_reg(e, dst, src);
    put32(e, (uint32_t)imm);
}

void x86_unary(X86Emit *e, bool w, X86Unary op, int reg)
{
    op_reg(e, w, 0xf7, op, reg);
}

void x86_cqo(X86Emit *e, bool w)
{
    if (room(e)) {
        rex(e, w, false, 0, 0);
        put8(e, 0x99);
    }
}

void x86_test_rr(X86Emit *e, bool w, int a, int b)
{
    op_reg(e, w, 0x85, b, a);
}

void x86_setcc_zx(X86Emit *e, X86Cond cc, int reg)
{
    if (!room(e)) {
        return;
    }
    rex(e, false, true, 0, reg);
    put8(e, 0x0f);
    put8(e, (uint8_t)(0x90 | cc));
    modrm_reg(e, 0, reg);
    /* movzx r32, r/m8 (REX so that 4-7 are the low bytes of rsp..rdi) */
    if (!room(e)) {
        return;
    }
    rex(e, false, true, reg, reg);
    put8(e, 0x0f);
    put8(e, 0xb6);
    modrm_reg(e, reg, reg);
}

void x86_push(X86Emit *e, int reg)
{
    if (room(e)) {
        rex(e, false, false, 0, reg);
        put8(e, (uint8_t)(0x50 | (reg & 7)));
    }
}

void x86_pop(X86Emit *e, int reg)
{
    if (room(e)) {
        rex(e, false, false, 0, reg);
        put8(e, (uint8_t)(0x58 | (reg & 7)));
    }
}

void x86_call_reg(X86Emit *e, int reg)
{
    op_reg(e, false, 0xff, 2, reg);
}

void x86_jmp_reg(X86Emit *e, int reg)
{
    op_reg(e, false, 0xff, 4, reg);
}

void x86_jmp_mem(X86Emit *e, int base, int32_t disp)
{
    op_mem(e, false, false, 0xff, 4, base, disp);
}

void x86_lea(X86Emit *e, int dst, int base, int32_t disp)
{
    op_mem(e, true, false, 0x8d, dst, base, disp);
}

/* [base + index*scale + disp] with a SIB byte (index is never rsp). */
static void op_sib_rex(X86Emit *e, bool w, bool force_rex, unsigned op,
                       int reg, int base, int index, unsigned scale,
                       int32_t disp)
{
    if (!room(e)) {
        return;
    }
    uint8_t r = (uint8_t)(0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) |
                          ((index & 8) ? 2 : 0) | ((base & 8) ? 1 : 0));
    if (r != 0x40 || force_rex) {
        put8(e, r);
    }
    opcode(e, op);
    int mod = (disp == 0 && (base & 7) != 5) ? 0 : fits8(disp) ? 1 : 2;
    unsigned ss = scale == 8 ? 3 : scale == 4 ? 2 : scale == 2 ? 1 : 0;
    put8(e, (uint8_t)((mod << 6) | ((reg & 7) << 3) | 4));
    put8(e, (uint8_t)((ss << 6) | ((index & 7) << 3) | (base & 7)));
    if (mod == 1) {
        put8(e, (uint8_t)(int8_t)disp);
    } else if (mod == 2) {
        put32(e, (uint32_t)disp);
    }
}

static void op_sib(X86Emit *e, bool w, unsigned op, int reg, int base,
                   int index, unsigned scale, int32_t disp)
{
    op_sib_rex(e, w, false, op, reg, base, index, scale, disp);
}

void x86_lea_idx(X86Emit *e, int dst, int base, int index, unsigned scale,
                 int32_t disp)
{
    op_sib(e, true, 0x8d, dst, base, index, scale, disp);
}

void x86_alu_rm_idx(X86Emit *e, bool w, X86Alu op, int dst, int base,
                    int index, unsigned scale, int32_t disp)
{
    op_sib(e, w, 0x03u + 8u * (unsigned)op, dst, base, index, scale, disp);
}

void x86_load_ext_idx(X86Emit *e, unsigned size, bool sign, int dst, int base,
                      int index, unsigned scale, int32_t disp)
{
    switch (size) {
    case 1:
        op_sib(e, true, sign ? 0x0fbe : 0x0fb6, dst, base, index, scale, disp);
        break;
    case 2:
        op_sib(e, true, sign ? 0x0fbf : 0x0fb7, dst, base, index, scale, disp);
        break;
    case 4:
        op_sib(e, sign, sign ? 0x63 : 0x8b, dst, base, index, scale, disp);
        break;
    default:
        op_sib(e, true, 0x8b, dst, base, index, scale, disp);
        break;
    }
}

void x86_store_idx(X86Emit *e, unsigned size, int src, int base, int index,
                   int32_t disp)
{
    switch (size) {
    case 1:
        /* A REX prefix makes 4-7 mean spl..dil rather than ah..bh. */
        op_sib_rex(e, false, true, 0x88, src, base, index, 1, disp);
        break;
    case 2:
        if (room(e)) {
            put8(e, 0x66);
            op_sib(e, false, 0x89, src, base, index, 1, disp);
        }
        break;
    default:
        op_sib(e, size == 8, 0x89, src, base, index, 1, disp);
        break;
    }
}

void x86_ret(X86Emit *e)
{
    if (room(e)) {
        put8(e, 0xc3);
    }
}

static void put32_at(X86Emit *e, size_t at, uint32_t v)
{
    memcpy(e->buf + at, &v, 4);
}

static uint32_t get32_at(const X86Emit *e, size_t at)
{
    uint32_t v;
    memcpy(&v, e->buf + at, 4);
    return v;
}

/* The rel32 field just after the opcode bytes. */
static void rel32(X86Emit *e, X86Label *l)
{
    size_t at = e->len;
    if (l->pos != X86_UNBOUND) {
        put32(e, (uint32_t)(l->pos - (long)(at + 4)));
    } else {
        put32(e, (uint32_t)l->chain);   /* -1 ends the chain */
        if (!e->overflow) {
            l->chain = (long)at;
        }
    }
}

void x86_jcc(X86Emit *e, X86Cond cc, X86Label *l)
{
    if (room(e)) {
        put8(e, 0x0f);
        put8(e, (uint8_t)(0x80 | cc));
        rel32(e, l);
    }
}

void x86_call(X86Emit *e, X86Label *l)
{
    if (room(e)) {
        put8(e, 0xe8);
        rel32(e, l);
    }
}

void x86_jmp(X86Emit *e, X86Label *l)
{
    if (room(e)) {
        put8(e, 0xe9);
        rel32(e, l);
    }
}

void x86_bind(X86Emit *e, X86Label *l)
{
    l->pos = (long)e->len;
    long at = l->chain;
    while (at >= 0) {
        long next = (long)(int32_t)get32_at(e, (size_t)at);
        put32_at(e, (size_t)at, (uint32_t)(l->pos - (at + 4)));
        at = next;
    }
    l->chain = -1;
}
