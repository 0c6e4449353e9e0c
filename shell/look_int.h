/*
 * look_int.h - helpers the looking commands (shell/look_*.c) share:
 * the target's register list, side-effect-free memory reads, symbol
 * formatting and number parsing.
 */
#ifndef SHELL_LOOK_INT_H
#define SHELL_LOOK_INT_H

#include "shell/look.h"

/* One register as the target's description (gdb target XML) names it. */
typedef struct LookReg {
    char name[32];
    char feature[48];    /* last part of the feature name: "cpu", "fpu" */
    unsigned regnum;     /* the target's (gdb's) number */
    unsigned bitsize;
    bool is_double;      /* type says it holds a double */
} LookReg;

/* The registers of cpu in description order, malloc'd; *n how many.
   NULL if the target describes none. */
LookReg *look_reg_list(CoreMachine *m, void *cpu, size_t *n);

/* Reads len bytes at addr: virtual through hart's translation, or
   physical (RAM/ROM only). False with "0x...: why" in err naming the
   first byte that could not be read. */
bool look_read(CoreMachine *m, unsigned hart, bool phys, uint64_t addr,
               void *buf, size_t len, char *err, size_t errlen);

/* " <sym+0x10>" for addr, or "" without symbols or without a match. */
void look_sym_suffix(const SymTab *syms, uint64_t addr, char *buf,
                     size_t len);

/* A whole-word unsigned number (0x hex or decimal); false otherwise. */
bool look_parse_u64(const char *s, uint64_t *v);

/* "regs: no hart 5 (the machine has harts 0..1)" unless hart exists. */
bool look_check_hart(CoreMachine *m, const char *cmd, const char *text,
                     unsigned *hart, ShOut *out);

#endif
