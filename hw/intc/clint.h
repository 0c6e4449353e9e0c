/*
 * SiFive CLINT ("sifive,clint0"): per-hart software interrupt (msip) and
 * machine timer (mtimecmp), plus the shared mtime counter, at 0x2000000 on
 * the virt board. mtime ticks at 10 MHz of virtual time, like QEMU's virt.
 *
 * Usage:
 *     CoreIrq mti[n], msi[n];   // wired to each hart's mip.MTIP / mip.MSIP
 *     Clint *c = hw_clint_create(m, 0x2000000, n, mti, msi);
 *     uint64_t t = hw_clint_mtime(c);   // what the `time` CSR reads
 */
#ifndef HW_INTC_CLINT_H
#define HW_INTC_CLINT_H

#include "core/irq.h"
#include "core/machine.h"

#define HW_CLINT_SIZE        0x10000
#define HW_CLINT_MSIP        0x0000   /* + 4 * hart */
#define HW_CLINT_MTIMECMP    0x4000   /* + 8 * hart */
#define HW_CLINT_MTIME       0xbff8
#define HW_CLINT_TIMEBASE_HZ 10000000
#define HW_CLINT_NS_PER_TICK (1000000000 / HW_CLINT_TIMEBASE_HZ)

typedef struct Clint Clint;

/* nharts <= CORE_MAX_CPUS; mti and msi have nharts lines each. NULL if
   the region overlaps another one. The CLINT starts in its reset state
   (so MTIP is raised: mtime 0 >= mtimecmp 0). */
Clint *hw_clint_create(CoreMachine *m, gpa_t base, unsigned nharts,
                       const CoreIrq *mti, const CoreIrq *msi);

/* Current mtime (the value of the `time` CSR). */
uint64_t hw_clint_mtime(const Clint *c);

#endif
