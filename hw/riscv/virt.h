/*
 * The RISC-V `virt` board, laid out like QEMU's so that firmware and
 * kernels built for QEMU run unchanged.
 */
#ifndef HW_RISCV_VIRT_H
#define HW_RISCV_VIRT_H

#include "core/machine.h"

typedef enum VirtRegion {
    VIRT_MROM,
    VIRT_TEST,
    VIRT_RTC,
    VIRT_CLINT,
    VIRT_PLIC,
    VIRT_UART0,
    VIRT_DRAM,
    VIRT_REGION_COUNT
} VirtRegion;

typedef struct VirtMapEntry {
    gpa_t base;
    uint64_t size;
} VirtMapEntry;

/* The address map: QEMU's hw/riscv/virt.c addresses. */
extern const VirtMapEntry hw_virt_map[VIRT_REGION_COUNT];

extern const CoreMachineType hw_virt_machine_type;

/* Build the flattened device tree describing machine m into a malloc'd
   buffer; returns NULL with a message on failure. */
void *hw_virt_build_dtb(CoreMachine *m, size_t *size, char *err,
                        size_t errlen);

#endif
