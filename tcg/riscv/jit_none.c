/*
 * No JIT backend for this host: every block runs in the interpreter.
 */
#include "tcg/riscv/rv_int.h"

bool rv_jit_available(void)
{
    return false;
}

const void *rv_jit_compile(RVCPU *cpu, TB *tb)
{
    (void)cpu;
    (void)tb;
    return NULL;
}
