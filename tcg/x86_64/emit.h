/*
 * A small x86-64 instruction emitter, independent of the guest.
 *
 * It encodes only what the RISC-V translator needs: 64- and 32-bit moves,
 * ALU operations, shifts, multiply, sign/zero extension, setcc, push/pop,
 * calls through a register, and jumps to labels. Memory operands are always
 * [base + disp] (disp8 or disp32 form; a SIB byte for rsp/r12 bases), so
 * the encoder never meets the rip-relative and no-base special cases.
 *
 * Writing past the end of the buffer never happens: once an instruction
 * would not fit, `overflow` is set and nothing more is written; the caller
 * checks it at the end and throws the translation away.
 *
 * Labels are forward or backward: an unbound label chains its pending
 * rel32 fields through the fields themselves (each holds the offset of
 * the previous one), so a label needs no allocation; x86_bind patches them.
 *
 * Usage:
 *     X86Emit e; x86_init(&e, rw_ptr, room);
 *     X86Label out = X86_LABEL_INIT;
 *     x86_load(&e, X86_RAX, X86_RBX, 16);          // mov rax, [rbx+16]
 *     x86_test_rr(&e, false, X86_RAX, X86_RAX);
 *     x86_jcc(&e, X86_CC_NE, &out);
 *     x86_bind(&e, &out);
 *     x86_ret(&e);
 *     if (e.overflow) ...
 */
#ifndef TCG_X86_64_EMIT_H
#define TCG_X86_64_EMIT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
    X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15,
};

/* Condition codes (the low nibble of jcc/setcc). */
typedef enum X86Cond {
    X86_CC_B = 0x2, X86_CC_AE = 0x3, X86_CC_E = 0x4, X86_CC_NE = 0x5,
    X86_CC_BE = 0x6, X86_CC_A = 0x7, X86_CC_L = 0xc, X86_CC_GE = 0xd,
    X86_CC_LE = 0xe, X86_CC_G = 0xf,
} X86Cond;

/* ALU operations: the /digit of opcode 0x81 (and 0x01 + 8*op for r/m,r). */
typedef enum X86Alu {
    X86_ADD = 0, X86_OR = 1, X86_AND = 4, X86_SUB = 5, X86_XOR = 6, X86_CMP = 7,
} X86Alu;

/* Shifts: the /digit of 0xC1 / 0xD3. */
typedef enum X86Shift { X86_SHL = 4, X86_SHR = 5, X86_SAR = 7 } X86Shift;

typedef struct X86Emit {
    uint8_t *buf;
    size_t len;
    size_t cap;
    bool overflow;
} X86Emit;

typedef struct X86Label {
    long pos;    /* bound offset (negative: before the buffer), or
                    X86_UNBOUND */
    long chain;  /* offset of the last pending rel32 field, or -1 */
} X86Label;
#define X86_UNBOUND LONG_MIN
#define X86_LABEL_INIT { X86_UNBOUND, -1 }
/* A label at a fixed offset from the start of the buffer. */
#define X86_LABEL_AT(off) { (off), -1 }

void x86_init(X86Emit *e, uint8_t *buf, size_t cap);

void x86_byte(X86Emit *e, uint8_t b);
void x86_u32(X86Emit *e, uint32_t v);
void x86_u64(X86Emit *e, uint64_t v);

/* mov dst, [base+disp] (w: 64-bit, else 32-bit zero-extending). */
void x86_load(X86Emit *e, int dst, int base, int32_t disp);
void x86_load32(X86Emit *e, int dst, int base, int32_t disp);
/* mov [base+disp], src with size 1, 2, 4 or 8 bytes. */
void x86_store(X86Emit *e, unsigned size, int src, int base, int32_t disp);
/* mov qword [base+disp], imm32 sign-extended. */
void x86_store_imm(X86Emit *e, int base, int32_t disp, int32_t imm);
/* Load `size` bytes at [base+disp] into dst, sign- or zero-extended to 64. */
void x86_load_ext(X86Emit *e, unsigned size, bool sign, int dst, int base,
                  int32_t disp);
/* dst = sign-extension of its own low 32 bits (movsxd dst, dst32). */
void x86_sext32(X86Emit *e, int reg);
/* mov dst, src (64-bit). */
void x86_mov_rr(X86Emit *e, int dst, int src);
/* mov dst, imm64 (shortest encoding). */
void x86_mov_imm(X86Emit *e, int dst, uint64_t imm);
/* op dst, src (w: 64-bit operands). */
void x86_alu_rr(X86Emit *e, bool w, X86Alu op, int dst, int src);
/* op dst, [base+disp]. */
void x86_alu_rm(X86Emit *e, bool w, X86Alu op, int dst, int base, int32_t disp);
/* op [base+disp], src. */
void x86_alu_mr(X86Emit *e, bool w, X86Alu op, int base, int32_t disp, int src);
/* op dst, imm32 (sign-extended for 64-bit). */
void x86_alu_ri(X86Emit *e, bool w, X86Alu op, int dst, int32_t imm);
/* op [base+disp], imm32 (w: qword, else dword). */
void x86_alu_mi(X86Emit *e, bool w, X86Alu op, int base, int32_t disp,
                int32_t imm);
/* shift dst by imm8 / by cl. */
void x86_shift_ri(X86Emit *e, bool w, X86Shift op, int dst, uint8_t n);
void x86_shift_cl(X86Emit *e, bool w, X86Shift op, int dst);
/* imul dst, [base+disp] (64-bit). */
void x86_imul_rm(X86Emit *e, int dst, int base, int32_t disp);
/* imul dst, src (64-bit). */
void x86_imul_rr(X86Emit *e, int dst, int src);
/* imul dst, src, imm32 (64-bit). */
void x86_imul_rri(X86Emit *e, int dst, int src, int32_t imm);
/* The 0xF7 group on a register: not, neg, the one-operand mul/imul
   (rdx:rax = rax * reg) and div/idiv (rdx:rax / reg: quotient in rax,
   remainder in rdx; the host traps on a zero divisor or overflow). */
typedef enum X86Unary {
    X86_NOT = 2, X86_NEG = 3, X86_MUL = 4, X86_IMUL1 = 5, X86_DIV = 6,
    X86_IDIV = 7,
} X86Unary;
void x86_unary(X86Emit *e, bool w, X86Unary op, int reg);
/* cqo (w) or cdq: rdx (edx) = the sign of rax (eax), for idiv. */
void x86_cqo(X86Emit *e, bool w);
/* test a, b. */
void x86_test_rr(X86Emit *e, bool w, int a, int b);
/* setcc low byte of reg (rax..rbx only) then zero-extend to 64 bits. */
void x86_setcc_zx(X86Emit *e, X86Cond cc, int reg);
void x86_push(X86Emit *e, int reg);
void x86_pop(X86Emit *e, int reg);
void x86_call_reg(X86Emit *e, int reg);
void x86_jmp_reg(X86Emit *e, int reg);
/* jmp qword [base+disp]. */
void x86_jmp_mem(X86Emit *e, int base, int32_t disp);
/* lea dst, [base+disp] / [base + index*scale + disp] (scale 1, 2, 4, 8;
   index not rsp). */
void x86_lea(X86Emit *e, int dst, int base, int32_t disp);
void x86_lea_idx(X86Emit *e, int dst, int base, int index, unsigned scale,
                 int32_t disp);
/* op dst, [base + index*scale + disp]. */
void x86_alu_rm_idx(X86Emit *e, bool w, X86Alu op, int dst, int base,
                    int index, unsigned scale, int32_t disp);
/* x86_load_ext from [base + index*scale + disp], x86_store to
   [base + index + disp] (index not rsp). */
void x86_load_ext_idx(X86Emit *e, unsigned size, bool sign, int dst, int base,
                      int index, unsigned scale, int32_t disp);
void x86_store_idx(X86Emit *e, unsigned size, int src, int base, int index,
                   int32_t disp);
void x86_ret(X86Emit *e);

void x86_jcc(X86Emit *e, X86Cond cc, X86Label *l);
void x86_jmp(X86Emit *e, X86Label *l);
/* call to a label (rel32). A label may be bound outside the buffer being
   written (a negative position: code shared by the blocks, placed before
   them in the same code buffer, whose views keep relative distances). */
void x86_call(X86Emit *e, X86Label *l);
void x86_bind(X86Emit *e, X86Label *l);

#endif
