/*
 * Platform-Level Interrupt Controller ("sifive,plic-1.0.0", "riscv,plic0")
 * as on QEMU's virt board: at 0xc000000, 96 sources (source 0 does not
 * exist, so the device tree says riscv,ndev = 95), priorities 0..7, and two
 * contexts per hart: context 2h is hart h in M-mode, 2h + 1 hart h in
 * S-mode.
 *
 * Devices get their input line from hw_plic_source(); the lines are
 * level-sensitive. Each context drives one output, given at creation, which
 * the board wires to the hart's mip.MEIP (M contexts) or mip.SEIP (S
 * contexts).
 *
 * Usage:
 *     CoreIrq ctx[2 * n];      // ctx[2h]: MEIP of hart h, ctx[2h+1]: SEIP
 *     Plic *p = hw_plic_create(m, 0xc000000, n, ctx);
 *     CoreIrq uart_irq = hw_plic_source(p, 10);
 */
#ifndef HW_INTC_PLIC_H
#define HW_INTC_PLIC_H

#include "core/irq.h"
#include "core/machine.h"

#define HW_PLIC_SIZE           0x600000
#define HW_PLIC_NUM_SOURCES    96        /* ids 0..95; 0 means "none" */
#define HW_PLIC_NDEV           (HW_PLIC_NUM_SOURCES - 1)
#define HW_PLIC_MAX_PRIORITY   7         /* 3 priority bits, like QEMU */
#define HW_PLIC_MAX_CONTEXTS   (2 * CORE_MAX_CPUS)

/* Register blocks (offsets from the base). */
#define HW_PLIC_PRIORITY       0x000000  /* + 4 * source */
#define HW_PLIC_PENDING        0x001000  /* + 4 * (source / 32) */
#define HW_PLIC_ENABLE         0x002000  /* + 0x80 * context + 4 * word */
#define HW_PLIC_ENABLE_STRIDE  0x80
#define HW_PLIC_CONTEXT        0x200000  /* + 0x1000 * context */
#define HW_PLIC_CONTEXT_STRIDE 0x1000
#define HW_PLIC_THRESHOLD      0x0       /* within a context block */
#define HW_PLIC_CLAIM          0x4       /* within a context block */

typedef struct Plic Plic;

/* nharts <= CORE_MAX_CPUS; ctx_lines has 2 * nharts outputs. NULL if the
   region overlaps another one. The PLIC starts in its reset state. */
Plic *hw_plic_create(CoreMachine *m, gpa_t base, unsigned nharts,
                     const CoreIrq *ctx_lines);

/* The input line of source `src` (1 <= src < HW_PLIC_NUM_SOURCES). */
CoreIrq hw_plic_source(Plic *p, unsigned src);

#endif
