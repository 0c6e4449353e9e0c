/*
 * The RISC-V `virt` board (see hw/riscv/virt.h).
 *
 * Boot follows QEMU: every hart starts in the mask ROM at 0x1000, whose
 * reset vector loads a0 = mhartid, a1 = device tree address, a2 = the
 * OpenSBI fw_dynamic info block, and jumps to the firmware (-bios) or,
 * with -bios none, straight to the kernel (-kernel). The device tree sits
 * at the end of RAM (below 3 GiB), aligned down to 2 MiB.
 */
#include "hw/riscv/virt.h"
#include "backends/chardev.h"
#include "core/input.h"
#include "core/loader.h"
#include "hw/intc/clint.h"
#include "hw/intc/plic.h"
#include "hw/registry.h"
#include "tcg/riscv/rv.h"

#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EM_RISCV 243
#define MiB (1024ull * 1024)

/*                                   base        size   count irq nirqs */
const VirtMapEntry hw_virt_map[VIRT_REGION_COUNT] = {
    [VIRT_MROM]         = { 0x1000,     0xf000,     1, 0,  0 },
    [VIRT_TEST]         = { 0x100000,   0x1000,     1, 0,  0 },
    [VIRT_RTC]          = { 0x101000,   0x1000,     1, 11, 1 },
    [VIRT_CLINT]        = { 0x2000000,  0x10000,    1, 0,  0 },
    [VIRT_PCIE_PIO]     = { 0x3000000,  0x10000,    1, 0,  0 },
    [VIRT_PLATFORM_BUS] = { 0x4000000,  0x2000000,  1, 64, 32 },
    [VIRT_PLIC]         = { 0xc000000,  0x600000,   1, 0,  0 },
    [VIRT_UART0]        = { 0x10000000, 0x100,      1, 10, 1 },
    [VIRT_VIRTIO]       = { 0x10001000, 0x1000,     8, 1,  8 },
    [VIRT_PCIE_ECAM]    = { 0x30000000, 0x10000000, 1, 0,  0 },
    [VIRT_PCIE_MMIO]    = { 0x40000000, 0x40000000, 1, 32, 4 },
    [VIRT_DRAM]         = { 0x80000000, 0,          1, 0,  0 },
};

/* Device-tree phandles: 1..CORE_MAX_CPUS for the harts' interrupt
   controllers, then the PLIC and the test finisher. */
#define PHANDLE_CPU_INTC 1
#define PHANDLE_PLIC (1 + CORE_MAX_CPUS)
#define PHANDLE_TEST (2 + CORE_MAX_CPUS)

/* The devices the board always has, in the order they are built (their
   state records follow it). */
static const struct VirtBuiltin {
    VirtRegion region;
    const char *type;
    const char *id;          /* as the device registers itself */
    uint32_t phandle;
} virt_builtins[] = {
    { VIRT_TEST, "sifive_test", "sifive_test", PHANDLE_TEST },
    { VIRT_CLINT, "clint", "clint", 0 },
    { VIRT_PLIC, "plic", "plic", PHANDLE_PLIC },
    { VIRT_RTC, "goldfish-rtc", "rtc", 0 },
    { VIRT_UART0, "ns16550a", "serial0", 0 },
};

#define VIRT_NVIRTIO 8
#define VIRT_MAX_DEVICES (CORE_ARRAY_SIZE(virt_builtins) + VIRT_NVIRTIO + \
                          CORE_MAX_DEVICE_OPTS)

/* Where QEMU's virt looks for OpenSBI (Debian's qemu-system-data and
   opensbi packages). */
static const char *const default_bios_paths[] = {
    "/usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.bin",
    "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin",
    NULL,
};

/* A device the board built, kept for its device-tree node. */
typedef struct VirtDevice {
    const HwDeviceType *type;
    HwDeviceArgs args;
    HwPropValue props[HW_MAX_PROPS];
    void *dev;
} VirtDevice;

typedef struct VirtBoard {
    TBCache *tbs;
    Clint *clint;
    Plic *plic;
    BeChardev *serial;
    FILE *trace_jit;            /* --trace-jit's file, or NULL */
    gpa_t platform_next;        /* next free address on the platform bus */
    unsigned platform_irqs;     /* platform-bus interrupts handed out */
    void *virtio[8];            /* the virtio-mmio transports, by slot */
    unsigned virtio_used;       /* transports taken by -device */
    unsigned ndevs;
    VirtDevice devs[VIRT_MAX_DEVICES];
} VirtBoard;

static uint64_t clint_time(void *opaque)
{
    return hw_clint_mtime(opaque);
}

/* The harts' jump caches point into the shared translation cache. */
static void flush_jump_caches(void *opaque)
{
    CoreMachine *m = opaque;
    for (unsigned i = 0; i < m->ncpus; i++) {
        m->cpu_ops->tb_flushed(m->cpus[i]);
    }
}

static bool invalidate_code(void *opaque, gpa_t addr, uint64_t len)
{
    return tb_invalidate_range(opaque, addr, len, NULL) & TB_INV_EMPTY;
}

/* Breakpoints or watchpoints changed: translations and TLB entries made
   under the old set must go. */
static void virt_debug_changed(CoreMachine *m)
{
    VirtBoard *b = m->board;
    tb_flush(b->tbs);
    for (unsigned i = 0; i < m->ncpus; i++) {
        m->cpu_ops->tlb_flush(m->cpus[i]);
    }
}

/* A device, debugger or loader wrote a page-table page: the harts'
   translations made from it must go (a block running an MMIO access
   that caused it must not chain on: attention). */
static void virt_pt_written(void *opaque)
{
    CoreMachine *m = opaque;
    for (unsigned i = 0; i < m->ncpus; i++) {
        m->cpu_ops->tlb_flush(m->cpus[i]);
    }
    core_machine_attention(m, CORE_ATTN_IRQ);
}

/* Dirty-page tracking restarts: CPUs must fault again on their first write
   to each page. */
static void virt_write_protect(void *opaque)
{
    CoreMachine *m = opaque;
    for (unsigned i = 0; i < m->ncpus; i++) {
        m->cpu_ops->drop_write_tags(m->cpus[i]);
    }
}

static void virt_free(CoreMachine *m)
{
    VirtBoard *b = m->board;
    for (unsigned i = 0; i < m->ncpus; i++) {
        rv_cpu_free(m->cpus[i]);
    }
    if (b) {
        if (b->serial) {
            be_chardev_close(b->serial);
        }
        tb_cache_free(b->tbs);
        if (b->trace_jit) {
            fclose(b->trace_jit);
        }
        free(b);
    }
    m->board = NULL;
}

static const char *find_default_bios(void)
{
    for (const char *const *p = default_bios_paths; *p; p++) {
        if (access(*p, R_OK) == 0) {
            return *p;
        }
    }
    return NULL;
}

/* Write the reset vector and fw_dynamic info into the mask ROM. */
static bool write_reset_vector(CoreMachine *m, gpa_t start, gpa_t fdt_addr,
                               gpa_t kernel_entry)
{
    gpa_t rom = hw_virt_map[VIRT_MROM].base;
    uint32_t code[10] = {
        0x00000297,   /* auipc t0, 0          */
        0x02828613,   /* addi  a2, t0, 40     */
        0xf1402573,   /* csrr  a0, mhartid    */
        0x0202b583,   /* ld    a1, 32(t0)     */
        0x0182b283,   /* ld    t0, 24(t0)     */
        0x00028067,   /* jr    t0             */
        (uint32_t)start, (uint32_t)(start >> 32),
        (uint32_t)fdt_addr, (uint32_t)(fdt_addr >> 32),
    };
    /* OpenSBI fw_dynamic info (version 2): magic, version, next_addr,
       next_mode (1 = S-mode), options, boot_hart (-1: any). */
    uint64_t info[6] = { 0x4942534f, 2, kernel_entry, 1, 0, ~0ull };
    return core_mem_write_bytes(m->as, rom, code, sizeof(code)) &&
           core_mem_write_bytes(m->as, rom + sizeof(code), info, sizeof(info));
}

/* A -dtb file: read without blocking (core_read_file refuses FIFOs and
   directories), and no larger than a device tree can sensibly be. */
static bool load_file(const char *path, void **data, size_t *size, char *err,
                      size_t errlen)
{
    return core_read_file(path, 16 * MiB, data, size, err, errlen) == 0;
}

/* Place and patch the device tree (initrd range), return its address. */
static bool place_dtb(CoreMachine *m, gpa_t initrd_start, gpa_t initrd_end,
                      gpa_t *fdt_addr, char *err, size_t errlen)
{
    const CoreConfig *cfg = m->cfg;
    void *fdt;
    size_t size;
    if (cfg->dtb) {
        if (!load_file(cfg->dtb, &fdt, &size, err, errlen)) {
            return false;
        }
        if (fdt_check_header(fdt) != 0 || fdt_totalsize(fdt) > size) {
            snprintf(err, errlen, "%s: not a flattened device tree", cfg->dtb);
            free(fdt);
            return false;
        }
        /* Room for the properties patched in below. */
        size_t room = size + 4096;
        void *bigger = realloc(fdt, room);
        if (!bigger || fdt_open_into(bigger, bigger, (int)room) != 0) {
            snprintf(err, errlen, "%s: cannot edit device tree", cfg->dtb);
            free(bigger ? bigger : fdt);
            return false;
        }
        fdt = bigger;
    } else {
        fdt = hw_virt_build_dtb(m, &size, err, errlen);
        if (!fdt) {
            return false;
        }
        size_t room = size + 4096;
        void *bigger = realloc(fdt, room);
        if (!bigger) {
            free(fdt);
            snprintf(err, errlen, "out of memory");
            return false;
        }
        fdt = bigger;
        fdt_open_into(fdt, fdt, (int)room);
    }
    if (initrd_end > initrd_start) {
        int chosen = fdt_path_offset(fdt, "/chosen");
        if (chosen < 0) {
            chosen = fdt_add_subnode(fdt, 0, "chosen");
        }
        fdt_setprop_u64(fdt, chosen, "linux,initrd-start", initrd_start);
        fdt_setprop_u64(fdt, chosen, "linux,initrd-end", initrd_end);
    }
    fdt_pack(fdt);
    size = fdt_totalsize(fdt);

    if (cfg->dumpdtb) {
        FILE *f = fopen(cfg->dumpdtb, "wb");
        if (!f || fwrite(fdt, 1, size, f) != size || fclose(f) != 0) {
            snprintf(err, errlen, "%s: cannot write device tree", cfg->dumpdtb);
            free(fdt);
            return false;
        }
    }

    gpa_t dram = hw_virt_map[VIRT_DRAM].base;
    gpa_t top = dram + cfg->ram_size;
    if (dram < 3072 * MiB && top > 3072 * MiB) {
        top = 3072 * MiB;
    }
    if (top - dram < size + 2 * MiB) {
        snprintf(err, errlen, "RAM too small for the device tree (-m %llu bytes)",
                 (unsigned long long)cfg->ram_size);
        free(fdt);
        return false;
    }
    *fdt_addr = (top - size) & ~(2 * MiB - 1);
    bool ok = core_mem_write_bytes(m->as, *fdt_addr, fdt, size);
    free(fdt);
    if (!ok) {
        snprintf(err, errlen, "cannot place the device tree at 0x%llx",
                 (unsigned long long)*fdt_addr);
    }
    return ok;
}

static bool virt_load_images(CoreMachine *m, char *err, size_t errlen)
{
    const CoreConfig *cfg = m->cfg;
    gpa_t dram = hw_virt_map[VIRT_DRAM].base;
    gpa_t start = dram, kernel_entry = 0, initrd_start = 0, initrd_end = 0;
    gpa_t kernel_floor = dram;
    CoreLoadedImage img;

    const char *bios = cfg->bios;
    if (!bios || strcmp(bios, "default") == 0) {
        bios = find_default_bios();
        if (!bios) {
            snprintf(err, errlen,
                     "-bios default: OpenSBI not found (looked for %s and %s; "
                     "install Debian's opensbi or qemu-system-data package, "
                     "or use -bios none)",
                     default_bios_paths[0], default_bios_paths[1]);
            return false;
        }
    }
    if (strcmp(bios, "none") != 0) {
        if (core_load_image(m->as, bios, EM_RISCV, dram, &img, err, errlen)) {
            return false;
        }
        core_machine_note_loaded(m, bios, &img);
        start = img.entry;
        /* The kernel goes at the next 2 MiB boundary after the firmware
           (RV64 kernels need 2 MiB alignment). */
        kernel_floor = (img.high + 2 * MiB - 1) & ~(2 * MiB - 1);
    }
    if (cfg->kernel) {
        if (core_load_image(m->as, cfg->kernel, EM_RISCV, kernel_floor, &img,
                            err, errlen)) {
            return false;
        }
        core_machine_note_loaded(m, cfg->kernel, &img);
        kernel_entry = img.entry;
        if (strcmp(bios, "none") == 0) {
            start = img.entry;
        }
    } else if (strcmp(bios, "none") == 0) {
        snprintf(err, errlen, "-bios none needs -kernel: nothing to run");
        return false;
    }
    if (cfg->initrd) {
        if (!cfg->kernel) {
            snprintf(err, errlen, "-initrd needs -kernel");
            return false;
        }
        /* Far enough above the kernel that it is not overwritten when the
           kernel unpacks, low enough to be in reach of small RAM. */
        uint64_t gap = cfg->ram_size / 2 < 128 * MiB ? cfg->ram_size / 2
                                                      : 128 * MiB;
        initrd_start = (kernel_entry + gap) & ~0xfffull;
        if (core_load_raw(m->as, cfg->initrd, initrd_start, &img, err, errlen)) {
            return false;
        }
        core_machine_note_loaded(m, cfg->initrd, &img);
        initrd_end = img.high;
    }
    gpa_t fdt_addr;
    if (!place_dtb(m, initrd_start, initrd_end, &fdt_addr, err, errlen)) {
        return false;
    }
    if (!write_reset_vector(m, start, fdt_addr, kernel_entry)) {
        snprintf(err, errlen, "cannot write the reset vector");
        return false;
    }
    return true;
}

static CoreIrq hart_irq(void *board, unsigned hart, unsigned cause)
{
    CoreMachine *m = board;
    return core_irq_make(rv_cpu_irq_handler, m->cpus[hart], (int)cause);
}

/* Build one device from its registry row at `base`, with PLIC line `irq`
   (0: none). */
static void *build_device(CoreMachine *m, const HwDeviceType *t,
                          const char *id, gpa_t base, uint64_t size,
                          unsigned irq, uint32_t phandle, char *err,
                          size_t errlen)
{
    VirtBoard *b = m->board;
    VirtDevice *d = &b->devs[b->ndevs];
    d->type = t;
    d->args = (HwDeviceArgs){
        .m = m, .id = id, .base = base, .size = size, .irq_num = irq,
        .props = d->props, .nharts = m->ncpus, .hart_irq = hart_irq,
        .board = m, .serial = b->serial, .phandle = phandle,
        .intc_phandle = PHANDLE_PLIC, .cpu_phandle = PHANDLE_CPU_INTC,
    };
    if (irq) {
        d->args.irq = hw_plic_source(b->plic, irq);
    }
    d->dev = t->create(&d->args, err, errlen);
    if (d->dev) {
        b->ndevs++;
    }
    return d->dev;
}

static bool add_builtin(CoreMachine *m, const struct VirtBuiltin *bi,
                        char *err, size_t errlen)
{
    VirtBoard *b = m->board;
    const VirtMapEntry *e = &hw_virt_map[bi->region];
    const HwDeviceType *t = hw_device_type_find(bi->type);
    static const CoreDeviceOpt none = { 0 };
    if (!t || !hw_device_props_resolve(t, &none, b->devs[b->ndevs].props,
                                       err, errlen)) {
        return false;
    }
    void *dev = build_device(m, t, bi->id, e->base, e->size,
                             e->nirqs ? e->irq : 0, bi->phandle, err, errlen);
    if (bi->region == VIRT_CLINT) {
        b->clint = dev;
    } else if (bi->region == VIRT_PLIC) {
        b->plic = dev;
    }
    return dev != NULL;
}

/* QEMU's eight virtio-mmio transports, always there (an empty one reads
   DeviceID 0), ids virtio-mmio0..7 by slot. Built last slot first, so
   the device tree lists them in QEMU's order (0x10008000 first). */
static bool add_virtio_transports(CoreMachine *m, char *err, size_t errlen)
{
    VirtBoard *b = m->board;
    const VirtMapEntry *e = &hw_virt_map[VIRT_VIRTIO];
    const HwDeviceType *t = hw_device_type_find("virtio-mmio");
    static const CoreDeviceOpt none = { 0 };
    static const char *const ids[VIRT_NVIRTIO] = {
        "virtio-mmio0", "virtio-mmio1", "virtio-mmio2", "virtio-mmio3",
        "virtio-mmio4", "virtio-mmio5", "virtio-mmio6", "virtio-mmio7",
    };
    for (unsigned i = e->count; i-- > 0;) {
        if (!t || !hw_device_props_resolve(t, &none, b->devs[b->ndevs].props,
                                           err, errlen)) {
            return false;
        }
        b->virtio[i] = build_device(m, t, ids[i], e->base + i * e->size,
                                    e->size, e->irq + i, 0, err, errlen);
        if (!b->virtio[i]) {
            return false;
        }
    }
    return true;
}

/* A virtio -device takes the next free transport. As under QEMU, whose
   virtio-mmio buses are listed last slot first, the first one goes to
   the highest slot (0x10008000), which is also the first node of the
   device tree, so Linux finds devices in command-line order. */
static bool add_virtio_device(CoreMachine *m, const HwDeviceType *t,
                              const CoreDeviceOpt *opt, char *err,
                              size_t errlen)
{
    VirtBoard *b = m->board;
    char why[200];
    if (b->virtio_used >= VIRT_NVIRTIO) {
        snprintf(err, errlen, "-device %s: all %d virtio-mmio transports "
                 "are taken", opt->arg, VIRT_NVIRTIO);
        return false;
    }
    VirtDevice *d = &b->devs[b->ndevs];
    if (!hw_device_props_resolve(t, opt, d->props, why, sizeof(why))) {
        snprintf(err, errlen, "-device %s: %s", opt->arg, why);
        return false;
    }
    unsigned slot = VIRT_NVIRTIO - 1 - b->virtio_used;
    d->type = t;
    d->args = (HwDeviceArgs){
        .m = m, .id = opt->id, .props = d->props, .nharts = m->ncpus,
        .board = m, .bus = b->virtio[slot],
        .base = hw_virt_map[VIRT_VIRTIO].base +
                slot * hw_virt_map[VIRT_VIRTIO].size,
    };
    d->dev = t->create(&d->args, why, sizeof(why));
    if (!d->dev) {
        snprintf(err, errlen, "-device %s: %s", opt->arg, why);
        return false;
    }
    b->ndevs++;
    b->virtio_used++;
    return true;
}

/* A -device on another device's bus (a virtio-serial port): no window,
   line or transport from the board; its create finds its parent. */
static bool add_bus_device(CoreMachine *m, const HwDeviceType *t,
                           const CoreDeviceOpt *opt, char *err, size_t errlen)
{
    VirtBoard *b = m->board;
    VirtDevice *d = &b->devs[b->ndevs];
    char why[200];
    if (!hw_device_props_resolve(t, opt, d->props, why, sizeof(why)) ||
        !hw_device_props_open_chardevs(t, m->cfg, d->props, why,
                                       sizeof(why))) {
        snprintf(err, errlen, "-device %s: %s", opt->arg, why);
        return false;
    }
    d->type = t;
    d->args = (HwDeviceArgs){ .m = m, .id = opt->id, .props = d->props,
                              .nharts = m->ncpus, .board = m };
    d->dev = t->create(&d->args, why, sizeof(why));
    if (!d->dev) {
        snprintf(err, errlen, "-device %s: %s", opt->arg, why);
        return false;
    }
    b->ndevs++;
    return true;
}

/* A -device: the next free, naturally aligned window of the platform bus
   and its next interrupt, in command-line order, so that a replay (which
   parses the same command line) builds the very same machine. */
static bool add_user_device(CoreMachine *m, const CoreDeviceOpt *opt,
                            char *err, size_t errlen)
{
    VirtBoard *b = m->board;
    const VirtMapEntry *bus = &hw_virt_map[VIRT_PLATFORM_BUS];
    const HwDeviceType *t = hw_device_type_find(opt->type);
    char why[200];
    if (!t || t->bus >= HW_BUS_COUNT || !t->user_creatable) {
        snprintf(err, errlen, "-device %s: not a device the virt board can "
                 "add", opt->arg ? opt->arg : opt->type);
        return false;
    }
    if (!hw_device_id_free(m, opt->id)) {
        snprintf(err, errlen, "-device %s: id '%s' is already taken by a "
                 "built-in device", opt->arg ? opt->arg : opt->type, opt->id);
        return false;
    }
    if (t->bus == HW_BUS_VIRTIO) {
        return add_virtio_device(m, t, opt, err, errlen);
    }
    if (t->bus != HW_BUS_SYSTEM) {
        return add_bus_device(m, t, opt, err, errlen);
    }
    if (!hw_device_props_resolve(t, opt, b->devs[b->ndevs].props, why,
                                 sizeof(why)) ||
        !hw_device_props_open_chardevs(t, m->cfg, b->devs[b->ndevs].props,
                                       why, sizeof(why))) {
        snprintf(err, errlen, "-device %s: %s", opt->arg, why);
        return false;
    }
    uint64_t size = (t->mmio_size + 0xfff) & ~0xfffull;
    gpa_t base = b->platform_next ? b->platform_next : bus->base;
    base = (base + size - 1) / size * size;
    if (base + size > bus->base + bus->size ||
        (t->nirqs && b->platform_irqs + t->nirqs > bus->nirqs)) {
        snprintf(err, errlen, "-device %s: the virt board's platform bus is "
                 "full (0x%llx bytes, %u interrupts)", opt->arg,
                 (unsigned long long)bus->size, bus->nirqs);
        return false;
    }
    unsigned irq = t->nirqs ? bus->irq + b->platform_irqs : 0;
    if (!build_device(m, t, opt->id, base, size, irq, 0, why, sizeof(why))) {
        snprintf(err, errlen, "-device %s: %s", opt->arg, why);
        return false;
    }
    b->platform_next = base + size;
    b->platform_irqs += t->nirqs;
    return true;
}

int hw_virt_fdt_devices(CoreMachine *m, void *fdt, int soc)
{
    VirtBoard *b = m->board;
    int rc = 0;
    /* libfdt puts a new node first among its siblings: add them last to
       first, so the tree lists them in the order they were built. */
    for (unsigned i = b->ndevs; i-- > 0;) {
        const VirtDevice *d = &b->devs[i];
        if (d->type->fdt_node) {
            rc |= d->type->fdt_node(fdt, soc, &d->args);
        }
    }
    return rc;
}

void hw_virt_describe_device(const char *type, FILE *out)
{
    for (size_t i = 0; i < CORE_ARRAY_SIZE(virt_builtins); i++) {
        const VirtMapEntry *e = &hw_virt_map[virt_builtins[i].region];
        if (strcmp(virt_builtins[i].type, type) != 0) {
            continue;
        }
        fprintf(out, "virt board: at 0x%llx (0x%llx bytes)",
                (unsigned long long)e->base, (unsigned long long)e->size);
        if (e->nirqs) {
            fprintf(out, ", PLIC source %u", e->irq);
        }
        fprintf(out, ", id '%s'\n", virt_builtins[i].id);
    }
    const HwDeviceType *t = hw_device_type_find(type);
    if (t && t->bus == HW_BUS_VIRTIO) {
        const VirtMapEntry *e = &hw_virt_map[VIRT_VIRTIO];
        fprintf(out, "virt board: -device puts it on the next free of the %u "
                "virtio-mmio transports at 0x%llx + 0x%llx * i (PLIC sources "
                "%u..%u), the first at the highest slot as QEMU does\n",
                e->count, (unsigned long long)e->base,
                (unsigned long long)e->size, e->irq, e->irq + e->nirqs - 1);
        return;
    }
    if (t && t->bus == HW_BUS_VIRTIO_SERIAL) {
        fprintf(out, "virt board: a port of the first virtio-serial-device "
                "given before it with a free port (a -device of its own, "
                "which takes a virtio-mmio transport)\n");
        return;
    }
    if (t && t->user_creatable) {
        const VirtMapEntry *e = &hw_virt_map[VIRT_PLATFORM_BUS];
        fprintf(out, "virt board: -device places it on the platform bus at "
                "0x%llx..0x%llx (PLIC sources %u..%u), in command-line "
                "order\n", (unsigned long long)e->base,
                (unsigned long long)(e->base + e->size - 1), e->irq,
                e->irq + e->nirqs - 1);
    }
}

size_t hw_virt_devices(CoreMachine *m, HwPlacedDevice *out, size_t max)
{
    if (m->board_free != virt_free || !m->board) {
        return 0;
    }
    const VirtBoard *b = m->board;
    const VirtMapEntry *v = &hw_virt_map[VIRT_VIRTIO];
    for (unsigned i = 0; i < b->ndevs && i < max; i++) {
        const VirtDevice *d = &b->devs[i];
        HwPlacedDevice *o = &out[i];
        *o = (HwPlacedDevice){ .type = d->type->name, .id = d->args.id,
                               .bus = d->type->bus, .base = d->args.base,
                               .size = d->args.size,
                               .irq = d->args.irq_num };
        if (d->type->bus == HW_BUS_VIRTIO && d->args.base >= v->base) {
            /* the transport's window and line */
            uint64_t slot = (d->args.base - v->base) / v->size;
            o->size = v->size;
            o->irq = v->irq + (unsigned)slot;
        }
        void *parent = d->type->parent && d->dev ? d->type->parent(d->dev)
                                                 : NULL;
        for (unsigned k = 0; parent && k < b->ndevs; k++) {
            if (b->devs[k].dev == parent) {
                o->parent = b->devs[k].args.id;
            }
        }
    }
    return b->ndevs;
}

static bool virt_init(CoreMachine *m, char *err, size_t errlen)
{
    const CoreConfig *cfg = m->cfg;
    VirtBoard *b = calloc(1, sizeof(*b));
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    m->board = b;
    m->board_free = virt_free;
    m->debug_changed = virt_debug_changed;

    if (cfg->smp < 1 || cfg->smp > CORE_MAX_CPUS) {
        snprintf(err, errlen, "-smp %u: virt supports 1 to %d harts",
                 cfg->smp, CORE_MAX_CPUS);
        return false;
    }
    if (cfg->ram_size < 16 * MiB || cfg->ram_size > 64 * 1024 * MiB ||
        (cfg->ram_size & 0xfff)) {
        snprintf(err, errlen, "-m: RAM size must be a multiple of 4 KiB "
                 "between 16 MiB and 64 GiB");
        return false;
    }
    if (!core_mem_add_rom(m->as, "mrom", hw_virt_map[VIRT_MROM].base,
                          hw_virt_map[VIRT_MROM].size) ||
        !core_mem_add_ram(m->as, "ram", hw_virt_map[VIRT_DRAM].base,
                          cfg->ram_size)) {
        snprintf(err, errlen, "cannot allocate %llu bytes of guest RAM",
                 (unsigned long long)cfg->ram_size);
        return false;
    }

    b->tbs = tb_cache_new(256 * MiB);
    if (!b->tbs) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    tb_cache_set_flush_hook(b->tbs, flush_jump_caches, m);
    core_mem_set_code_write_hook(m->as, invalidate_code, b->tbs);
    core_mem_set_write_protect_hook(m->as, virt_write_protect, m);
    core_mem_set_pt_write_hook(m->as, virt_pt_written, m);
    if (cfg->jit == CORE_JIT_ON && !rv_jit_available()) {
        snprintf(err, errlen, "-accel tcg,jit=on: this host has no JIT "
                 "backend (x86-64 only); use jit=off");
        return false;
    }
    bool jit;
    uint32_t threshold;
    unsigned side_exits;
    if (!rv_jit_wanted(cfg->jit, &jit, err, errlen) ||
        !rv_jit_threshold_wanted(cfg->jit_threshold, &threshold, err,
                                 errlen) ||
        !rv_side_exits_wanted(&side_exits, err, errlen)) {
        return false;
    }
    m->cpu_ops = &rv_cpu_ops;
    m->ncpus = cfg->smp;
    for (unsigned h = 0; h < cfg->smp; h++) {
        m->cpus[h] = rv_cpu_new(m, h, b->tbs);
        if (!m->cpus[h]) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
    }
    char jit_err[200];
    if (jit && !rv_jit_start(m->cpus[0], jit_err, sizeof(jit_err))) {
        if (cfg->jit == CORE_JIT_ON) {
            snprintf(err, errlen, "-accel tcg,jit=on: %s", jit_err);
            return false;
        }
        fprintf(stderr, "rewind: %s; running without the JIT\n", jit_err);
        jit = false;
    }
    for (unsigned h = 0; h < cfg->smp; h++) {
        rv_cpu_set_jit(m->cpus[h], jit);
        rv_cpu_set_jit_threshold(m->cpus[h], threshold);
        rv_cpu_set_side_exits(m->cpus[h], side_exits);
    }
    if (cfg->trace_jit) {
        if (!jit) {
            snprintf(err, errlen, "--trace-jit %s: the JIT is off "
                     "(-accel tcg,jit=on)", cfg->trace_jit);
            return false;
        }
        b->trace_jit = fopen(cfg->trace_jit, "w");
        if (!b->trace_jit) {
            snprintf(err, errlen, "--trace-jit %s: %s", cfg->trace_jit,
                     strerror(errno));
            return false;
        }
        for (unsigned h = 0; h < cfg->smp; h++) {
            rv_cpu_set_jit_trace(m->cpus[h], b->trace_jit);
        }
    }

    core_machine_add_device(m, &core_input_device_ops, m->input, "input");
    const char *serial = cfg->serial ? cfg->serial : "stdio";
    char who[160];
    snprintf(who, sizeof(who), "-serial %s", serial);
    b->serial = be_chardev_open_cfg(cfg, serial, who, err, errlen);
    if (!b->serial) {
        return false;
    }
    m->serial_backend = b->serial;
    core_machine_set_console(m, 0, "serial0");
    core_input_set_serial_source(m->input, 0, b->serial);
    if (cfg->rtc_pinned) {
        core_input_set_wallclock(m->input, cfg->rtc_base_ns);
    }
    for (size_t i = 0; i < CORE_ARRAY_SIZE(virt_builtins); i++) {
        if (!add_builtin(m, &virt_builtins[i], err, errlen)) {
            return false;
        }
    }
    for (unsigned h = 0; h < cfg->smp; h++) {
        rv_cpu_set_time_source(m->cpus[h], clint_time, b->clint);
    }
    if (!add_virtio_transports(m, err, errlen)) {
        return false;
    }
    for (unsigned i = 0; i < cfg->ndevices; i++) {
        if (!add_user_device(m, &cfg->devices[i], err, errlen)) {
            return false;
        }
    }
    return virt_load_images(m, err, errlen);
}

static size_t virt_inputs(const CoreConfig *cfg, const char **names,
                          const char **paths)
{
    size_t n = 0;
    const char *bios = cfg->bios;
    if (!bios || strcmp(bios, "default") == 0) {
        bios = find_default_bios();
    }
    if (bios && strcmp(bios, "none") != 0) {
        names[n] = "bios";
        paths[n++] = bios;
    }
    const char *const files[][2] = {
        { "kernel", cfg->kernel }, { "initrd", cfg->initrd }, { "dtb", cfg->dtb },
    };
    for (size_t i = 0; i < 3; i++) {
        if (files[i][1]) {
            names[n] = files[i][0];
            paths[n++] = files[i][1];
        }
    }
    /* Disk images: their content is the disk's initial state. */
    for (unsigned i = 0; i < cfg->ndrives && n < CORE_MAX_INPUTS; i++) {
        if (!cfg->drives[i].consumed) {
            names[n] = cfg->drives[i].input_name;
            paths[n++] = cfg->drives[i].filename;
        }
    }
    return n;
}

const CoreMachineType hw_virt_machine_type = {
    .name = "virt",
    .desc = "RISC-V VirtIO board (QEMU-compatible layout)",
    .init = virt_init,
    .inputs = virt_inputs,
};
