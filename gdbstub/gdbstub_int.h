/*
 * Internals of the GDB stub shared by its files (not for use outside
 * gdbstub/): the target-specific part, register access and target
 * description XML for RISC-V (gdbstub/riscv.c).
 */
#ifndef GDBSTUB_GDBSTUB_INT_H
#define GDBSTUB_GDBSTUB_INT_H

#include "tcg/riscv/cpu.h"

/* GDB's RISC-V register numbers. */
enum {
    GDB_REG_PC = 32,
    GDB_REG_F0 = 33,
    GDB_REG_CSR0 = 65,
    GDB_REG_PRIV = 65 + 4096,
};

#define GDB_NUM_CSRS 4096

/* The CSRs in the target description (probed on first use). */
typedef struct GdbRegs {
    uint16_t csrs[GDB_NUM_CSRS];
    unsigned ncsrs;
    bool probed;
} GdbRegs;

/* Read register n (GDB numbering) of cpu; *size is its size in bytes.
   False if the target description has no such register. */
bool gdb_riscv_reg_read(GdbRegs *r, RVCPU *cpu, unsigned n, uint64_t *val,
                        unsigned *size);
/* Write register n; false if there is none or the value is refused. */
bool gdb_riscv_reg_write(GdbRegs *r, RVCPU *cpu, unsigned n, uint64_t val);

/* Target description annex `annex` ("target.xml" and the files it
   includes) into buf, NUL-terminated; false if unknown or too long. */
bool gdb_riscv_xml(GdbRegs *r, RVCPU *cpu, const char *annex, char *buf,
                   size_t cap);

#endif
