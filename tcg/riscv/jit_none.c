/*
 * No JIT backend for this host: every block runs in the interpreter.
 */
#include "tcg/riscv/rv_int.h"

#include <stdio.h>

bool rv_jit_available(void)
{
    return false;
}

bool rv_jit_start(RVCPU *cpu, char *err, size_t errlen)
{
    (void)cpu;
    snprintf(err, errlen, "this host has no JIT backend (x86-64 only)");
    return false;
}

const void *rv_jit_compile(RVCPU *cpu, TB *tb)
{
    (void)cpu;
    (void)tb;
    return NULL;
}

int rv_jit_run(RVCPU *cpu, const void *host)
{
    (void)cpu;
    (void)host;
    return RV_EXEC_TRAP;   /* never called: rv_jit_compile gives no code */
}

void rv_jit_link(RVCPU *cpu, void *link, TB *tb)
{
    (void)cpu;
    (void)link;
    (void)tb;   /* never called: no host code, no chained exits */
}
