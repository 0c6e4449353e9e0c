/*
 * Device tree for the `virt` board, generated with libfdt in the shape
 * QEMU gives it (Devicetree Specification v0.4; RISC-V bindings in the
 * Linux kernel's Documentation/devicetree/bindings/riscv/). Only what the
 * board implements is described: the board's own nodes here, each
 * device's node by its registry row (HwDeviceType.fdt_node).
 */
#include "hw/riscv/virt.h"
#include "hw/intc/clint.h"

#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>

#define DTB_SIZE (64 * 1024)

/* Phandles: 1..ncpus for the harts' interrupt controllers (the devices'
   nodes refer to them as HwDeviceArgs.cpu_phandle + h). */
#define PHANDLE_CPU_INTC(h) (1 + (h))

static int add_reg(void *fdt, int node, gpa_t base, uint64_t size)
{
    fdt64_t reg[2] = { cpu_to_fdt64(base), cpu_to_fdt64(size) };
    return fdt_setprop(fdt, node, "reg", reg, sizeof(reg));
}

static int build(void *fdt, CoreMachine *m)
{
    const CoreConfig *cfg = m->cfg;
    int rc = 0, root, node, cpus, soc;
    char name[64];

    rc |= fdt_create_empty_tree(fdt, DTB_SIZE);
    root = fdt_path_offset(fdt, "/");
    rc |= fdt_setprop_u32(fdt, root, "#address-cells", 2);
    rc |= fdt_setprop_u32(fdt, root, "#size-cells", 2);
    rc |= fdt_setprop_string(fdt, root, "compatible", "riscv-virtio");
    rc |= fdt_setprop_string(fdt, root, "model", "riscv-virtio,qemu");

    node = fdt_add_subnode(fdt, root, "chosen");
    snprintf(name, sizeof(name), "/soc/serial@%llx",
             (unsigned long long)hw_virt_map[VIRT_UART0].base);
    rc |= fdt_setprop_string(fdt, node, "stdout-path", name);
    if (cfg->append) {
        rc |= fdt_setprop_string(fdt, node, "bootargs", cfg->append);
    }

    snprintf(name, sizeof(name), "memory@%llx",
             (unsigned long long)hw_virt_map[VIRT_DRAM].base);
    node = fdt_add_subnode(fdt, root, name);
    rc |= fdt_setprop_string(fdt, node, "device_type", "memory");
    rc |= add_reg(fdt, node, hw_virt_map[VIRT_DRAM].base, cfg->ram_size);

    cpus = fdt_add_subnode(fdt, root, "cpus");
    rc |= fdt_setprop_u32(fdt, cpus, "#address-cells", 1);
    rc |= fdt_setprop_u32(fdt, cpus, "#size-cells", 0);
    rc |= fdt_setprop_u32(fdt, cpus, "timebase-frequency", HW_CLINT_TIMEBASE_HZ);
    /* Subnodes are prepended by libfdt: add them in reverse order. */
    for (int h = (int)m->ncpus - 1; h >= 0; h--) {
        snprintf(name, sizeof(name), "cpu@%d", h);
        node = fdt_add_subnode(fdt, cpus, name);
        rc |= fdt_setprop_string(fdt, node, "device_type", "cpu");
        rc |= fdt_setprop_u32(fdt, node, "reg", (uint32_t)h);
        rc |= fdt_setprop_string(fdt, node, "status", "okay");
        rc |= fdt_setprop_string(fdt, node, "compatible", "riscv");
        rc |= fdt_setprop_string(fdt, node, "riscv,isa", "rv64imafdc_zicsr_zifencei");
        rc |= fdt_setprop_string(fdt, node, "mmu-type", "riscv,sv48");
        int intc = fdt_add_subnode(fdt, node, "interrupt-controller");
        rc |= fdt_setprop_u32(fdt, intc, "#interrupt-cells", 1);
        rc |= fdt_setprop(fdt, intc, "interrupt-controller", NULL, 0);
        rc |= fdt_setprop_string(fdt, intc, "compatible", "riscv,cpu-intc");
        rc |= fdt_setprop_u32(fdt, intc, "phandle", PHANDLE_CPU_INTC(h));
    }

    soc = fdt_add_subnode(fdt, root, "soc");
    rc |= fdt_setprop_u32(fdt, soc, "#address-cells", 2);
    rc |= fdt_setprop_u32(fdt, soc, "#size-cells", 2);
    rc |= fdt_setprop_string(fdt, soc, "compatible", "simple-bus");
    rc |= fdt_setprop(fdt, soc, "ranges", NULL, 0);

    /* Every device the board built, from its registry row. */
    rc |= hw_virt_fdt_devices(m, fdt, soc);

    rc |= fdt_pack(fdt);
    return rc;
}

void *hw_virt_build_dtb(CoreMachine *m, size_t *size, char *err,
                        size_t errlen)
{
    void *fdt = calloc(1, DTB_SIZE);
    if (!fdt) {
        snprintf(err, errlen, "out of memory building the device tree");
        return NULL;
    }
    int rc = build(fdt, m);
    if (rc) {
        snprintf(err, errlen, "building the device tree failed (libfdt error)");
        free(fdt);
        return NULL;
    }
    *size = fdt_totalsize(fdt);
    return fdt;
}
