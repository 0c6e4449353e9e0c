/*
 * RISC-V disassembler: one instruction to one line of text.
 *
 * Covers RV64GC plus the privileged instructions (I, M, A, F, D, Zicsr,
 * Zifencei, Zihintpause, ecall/ebreak/mret/sret/wfi/sfence.vma and every
 * compressed instruction). Output follows GNU objdump's `-M no-aliases`
 * style: ABI register names, decimal immediates, hex shift amounts and
 * U-type immediates, absolute hex branch/jump targets, CSR names where
 * known. Compressed instructions keep their c.* mnemonic.
 *
 * Its 32-bit rows come from the shared instruction table (insn.def) but it
 * uses none of decode.c or the executors, so the shell and gdb stub can use
 * it without pulling in the execution engine.
 *
 * Usage:
 *     char line[64];
 *     int len = rv_disas(line, sizeof(line), fetch32(pc), pc);
 *     printf("%016" PRIx64 ": %s\n", pc, line);
 *     pc += len ? len : rv_insn_len(raw & 0xffff);
 */
#ifndef TCG_RISCV_DISAS_H
#define TCG_RISCV_DISAS_H

#include "core/types.h"

/* Longest line rv_disas can produce, including the terminating NUL. */
#define RV_DISAS_MAX 64

/* Disassemble the instruction at `pc` into buf (always NUL-terminated when
   buflen > 0; truncated if too small). `raw` holds at least the instruction's
   bits; for a compressed instruction (bits 1:0 != 3) only the low 16 bits
   are used, so callers may pass 32 fetched bits either way. Returns the
   length (2 or 4), or 0 for an illegal or reserved encoding, which is
   written as ".insn 0x..." with the encoding ("c.unimp" for 0x0000). */
int rv_disas(char *buf, size_t buflen, uint32_t raw, gva_t pc);

/* ABI name of integer register x0..x31 ("zero", "ra", ...); "?" if r > 31. */
const char *rv_reg_name(unsigned r);

/* ABI name of FP register f0..f31 ("ft0", "fa0", ...); "?" if r > 31. */
const char *rv_freg_name(unsigned r);

/* Name of a CSR ("mstatus", "pmpaddr3", ...), or NULL if unknown. It comes
   from the CSR table in csr.c. */
const char *rv_csr_name(unsigned csr);

#endif
