/*
 * guest_asm.h - inline-assembly wrappers shared by the guest ISA tests.
 *
 * Each macro emits exactly the named instruction (inside `.option norvc`
 * where the assembler could otherwise pick a compressed form) so that a
 * test checks the instruction it names, not whatever the compiler prefers.
 *     uint64_t r = RR("sub", a, b);        // sub r, a, b
 *     uint64_t r = RI("addiw", a, -1);     // addiw r, a, -1
 *     bool t = BR("bltu", a, b);           // branch taken?
 */
#ifndef GUEST_ASM_H
#define GUEST_ASM_H

#include <stdint.h>

#define NORVC(insn) ".option push\n.option norvc\n" insn "\n.option pop\n"

/* op rd, rs1, rs2 */
#define RR(op, a, b)                                                         \
    ({ uint64_t r_;                                                          \
       asm volatile(NORVC(op " %0, %1, %2")                                  \
                    : "=r"(r_) : "r"((uint64_t)(a)), "r"((uint64_t)(b)));     \
       r_; })

/* op rd, rs1, imm */
#define RI(op, a, imm)                                                       \
    ({ uint64_t r_;                                                          \
       asm volatile(NORVC(op " %0, %1, %2")                                  \
                    : "=r"(r_) : "r"((uint64_t)(a)), "i"(imm));               \
       r_; })

/* op rd, rs1 */
#define R1(op, a)                                                            \
    ({ uint64_t r_;                                                          \
       asm volatile(NORVC(op " %0, %1") : "=r"(r_) : "r"((uint64_t)(a)));    \
       r_; })

/* 1 if `op a, b, target` branches, else 0. */
#define BR(op, a, b)                                                         \
    ({ uint64_t t_;                                                          \
       asm volatile(NORVC("li %0, 1\n" op " %1, %2, 1f\nli %0, 0\n1:")       \
                    : "=&r"(t_) : "r"((uint64_t)(a)), "r"((uint64_t)(b)));    \
       t_; })

/* Load: op rd, off(base) */
#define LOAD(op, base, off)                                                  \
    ({ uint64_t r_;                                                          \
       asm volatile(NORVC(op " %0, %2(%1)")                                  \
                    : "=r"(r_) : "r"(base), "i"(off) : "memory");            \
       r_; })

/* Store: op val, off(base) */
#define STORE(op, val, base, off)                                            \
    asm volatile(NORVC(op " %0, %2(%1)")                                     \
                 : : "r"((uint64_t)(val)), "r"(base), "i"(off) : "memory")

#endif
