/*
 * Device tree for the `virt` board, generated with libfdt in the shape
 * QEMU gives it (Devicetree Specification v0.4; RISC-V bindings in the
 * Linux kernel's Documentation/devicetree/bindings/riscv/). Only what the
 * board implements is described.
 */
#include "hw/riscv/virt.h"
#include "hw/intc/clint.h"
#include "hw/intc/plic.h"

#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>

#define DTB_SIZE (64 * 1024)

/* Phandles: 1..ncpus for the harts' interrupt controllers. */
#define PHANDLE_CPU_INTC(h) (1 + (h))
#define PHANDLE_PLIC (1 + CORE_MAX_CPUS)
#define PHANDLE_TEST (2 + CORE_MAX_CPUS)

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

    snprintf(name, sizeof(name), "serial@%llx",
             (unsigned long long)hw_virt_map[VIRT_UART0].base);
    node = fdt_add_subnode(fdt, soc, name);
    rc |= fdt_setprop_string(fdt, node, "compatible", "ns16550a");
    rc |= add_reg(fdt, node, hw_virt_map[VIRT_UART0].base,
                  hw_virt_map[VIRT_UART0].size);
    rc |= fdt_setprop_u32(fdt, node, "clock-frequency", 0x384000);
    rc |= fdt_setprop_u32(fdt, node, "interrupt-parent", PHANDLE_PLIC);
    rc |= fdt_setprop_u32(fdt, node, "interrupts", 10);

    snprintf(name, sizeof(name), "rtc@%llx", (unsigned long long)hw_virt_map[VIRT_RTC].base);
    node = fdt_add_subnode(fdt, soc, name);
    rc |= fdt_setprop_string(fdt, node, "compatible", "google,goldfish-rtc");
    rc |= add_reg(fdt, node, hw_virt_map[VIRT_RTC].base, hw_virt_map[VIRT_RTC].size);
    rc |= fdt_setprop_u32(fdt, node, "interrupt-parent", PHANDLE_PLIC);
    rc |= fdt_setprop_u32(fdt, node, "interrupts", 11);

    snprintf(name, sizeof(name), "plic@%llx", (unsigned long long)hw_virt_map[VIRT_PLIC].base);
    node = fdt_add_subnode(fdt, soc, name);
    rc |= fdt_setprop_u32(fdt, node, "#interrupt-cells", 1);
    rc |= fdt_setprop_u32(fdt, node, "#address-cells", 0);
    rc |= fdt_setprop(fdt, node, "compatible", "sifive,plic-1.0.0\0riscv,plic0",
                      sizeof("sifive,plic-1.0.0\0riscv,plic0"));
    rc |= fdt_setprop(fdt, node, "interrupt-controller", NULL, 0);
    {
        fdt32_t pe[4 * CORE_MAX_CPUS];
        for (unsigned h = 0; h < m->ncpus; h++) {
            pe[4 * h + 0] = cpu_to_fdt32(PHANDLE_CPU_INTC(h));
            pe[4 * h + 1] = cpu_to_fdt32(11);
            pe[4 * h + 2] = cpu_to_fdt32(PHANDLE_CPU_INTC(h));
            pe[4 * h + 3] = cpu_to_fdt32(9);
        }
        rc |= fdt_setprop(fdt, node, "interrupts-extended", pe, m->ncpus * 4 * sizeof(fdt32_t));
    }
    rc |= add_reg(fdt, node, hw_virt_map[VIRT_PLIC].base, hw_virt_map[VIRT_PLIC].size);
    rc |= fdt_setprop_u32(fdt, node, "riscv,ndev", HW_PLIC_NDEV);
    rc |= fdt_setprop_u32(fdt, node, "phandle", PHANDLE_PLIC);

    snprintf(name, sizeof(name), "clint@%llx",
             (unsigned long long)hw_virt_map[VIRT_CLINT].base);
    node = fdt_add_subnode(fdt, soc, name);
    rc |= fdt_setprop(fdt, node, "compatible",
                      "sifive,clint0\0riscv,clint0",
                      sizeof("sifive,clint0\0riscv,clint0"));
    rc |= add_reg(fdt, node, hw_virt_map[VIRT_CLINT].base,
                  hw_virt_map[VIRT_CLINT].size);
    fdt32_t ext[4 * CORE_MAX_CPUS];
    for (unsigned h = 0; h < m->ncpus; h++) {
        ext[4 * h + 0] = cpu_to_fdt32(PHANDLE_CPU_INTC(h));
        ext[4 * h + 1] = cpu_to_fdt32(3);   /* machine software interrupt */
        ext[4 * h + 2] = cpu_to_fdt32(PHANDLE_CPU_INTC(h));
        ext[4 * h + 3] = cpu_to_fdt32(7);   /* machine timer interrupt */
    }
    rc |= fdt_setprop(fdt, node, "interrupts-extended", ext,
                      m->ncpus * 4 * sizeof(fdt32_t));

    snprintf(name, sizeof(name), "test@%llx",
             (unsigned long long)hw_virt_map[VIRT_TEST].base);
    node = fdt_add_subnode(fdt, soc, name);
    rc |= fdt_setprop(fdt, node, "compatible",
                      "sifive,test1\0sifive,test0\0syscon",
                      sizeof("sifive,test1\0sifive,test0\0syscon"));
    rc |= add_reg(fdt, node, hw_virt_map[VIRT_TEST].base,
                  hw_virt_map[VIRT_TEST].size);
    rc |= fdt_setprop_u32(fdt, node, "phandle", PHANDLE_TEST);

    /* Poweroff and reboot through the finisher, as syscon nodes. */
    static const struct { const char *name, *compat; uint32_t value; } sys[] = {
        { "reboot", "syscon-reboot", 0x7777 },
        { "poweroff", "syscon-poweroff", 0x5555 },
    };
    for (unsigned i = 0; i < 2; i++) {
        node = fdt_add_subnode(fdt, soc, sys[i].name);
        rc |= fdt_setprop_u32(fdt, node, "value", sys[i].value);
        rc |= fdt_setprop_u32(fdt, node, "offset", 0);
        rc |= fdt_setprop_u32(fdt, node, "regmap", PHANDLE_TEST);
        rc |= fdt_setprop_string(fdt, node, "compatible", sys[i].compat);
    }

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
