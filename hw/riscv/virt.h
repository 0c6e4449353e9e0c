/*
 * The RISC-V `virt` board, laid out like QEMU's so that firmware and
 * kernels built for QEMU run unchanged.
 */
#ifndef HW_RISCV_VIRT_H
#define HW_RISCV_VIRT_H

#include "core/machine.h"

#include <stdio.h>

/* The address map, QEMU's hw/riscv/virt.c layout: every address and
   interrupt number of the board is here, and the board, its device tree
   and its help text read them from this one table. A region may hold
   `count` slots of `size` bytes each (slot i at base + i * size) with
   interrupts irq .. irq + nirqs - 1 at the PLIC. */
typedef enum VirtRegion {
    VIRT_MROM,
    VIRT_TEST,
    VIRT_RTC,
    VIRT_CLINT,
    VIRT_PCIE_PIO,      /* reserved for PCI (not created yet) */
    VIRT_PLATFORM_BUS,  /* devices added with -device */
    VIRT_PLIC,
    VIRT_UART0,
    VIRT_VIRTIO,        /* 8 virtio-mmio transports (all built, as QEMU) */
    VIRT_PCIE_ECAM,     /* reserved for PCI (not created yet) */
    VIRT_PCIE_MMIO,     /* reserved for PCI (not created yet) */
    VIRT_DRAM,
    VIRT_REGION_COUNT
} VirtRegion;

typedef struct VirtMapEntry {
    gpa_t base;
    uint64_t size;      /* of one slot */
    unsigned count;     /* slots (0 means 1) */
    unsigned irq;       /* first interrupt number at the PLIC, 0: none */
    unsigned nirqs;
} VirtMapEntry;

extern const VirtMapEntry hw_virt_map[VIRT_REGION_COUNT];

extern const CoreMachineType hw_virt_machine_type;

/* Build the flattened device tree describing machine m into a malloc'd
   buffer; returns NULL with a message on failure. */
void *hw_virt_build_dtb(CoreMachine *m, size_t *size, char *err,
                        size_t errlen);

/* Add the device-tree nodes of every device the board built under the
   `soc` node (hw/riscv/virt_dtb.c builds the rest). */
int hw_virt_fdt_devices(CoreMachine *m, void *fdt, int soc);

/* Where the virt board puts a device of type `type` that it builds in
   itself, for -device TYPE,help; nothing if it has none. */
void hw_virt_describe_device(const char *type, FILE *out);

/* The devices the board built (see hw_boards_devices); 0 if m is not a
   virt machine. */
struct HwPlacedDevice;
size_t hw_virt_devices(CoreMachine *m, struct HwPlacedDevice *out,
                       size_t max);

#endif
