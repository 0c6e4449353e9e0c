/*
 * look_dev.c - `devices` (QEMU's `info qtree`) and `mtree` (QEMU's `info
 * mtree`), shell/look.h.
 *
 * A device's state is shown from its saved-state description
 * (core/state.h), field by field, never by reading its registers: what
 * `devices` prints is exactly what a checkpoint holds. Integers of 1, 2,
 * 4 or 8 bytes print as numbers; other fields as their bytes (long ones
 * cut, all-zero ones summarised); custom fields as their saved length.
 * Where the board placed each device (window, interrupt line, bus) comes
 * from the board (hw_boards_devices).
 */
#include "shell/look_int.h"
#include "hw/registry.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BYTES_SHOWN 32

static void show_bytes(ShOut *out, const char *indent, const char *name,
                       const uint8_t *p, size_t n, size_t count_shown)
{
    bool zero = true;
    for (size_t i = 0; i < n; i++) {
        zero = zero && p[i] == 0;
    }
    GString *hex = g_string_new(NULL);
    for (size_t i = 0; i < n && i < BYTES_SHOWN; i++) {
        g_string_append_printf(hex, "%02x", p[i]);
    }
    if (count_shown != (size_t)-1) {
        sh_printf(out, "%s%s[%zu] = ", indent, name, count_shown);
    } else {
        sh_printf(out, "%s%s = ", indent, name);
    }
    if (n == 0) {
        sh_printf(out, "(empty)\n");
    } else if (zero) {
        sh_printf(out, "(%zu bytes, all zero)\n", n);
    } else {
        sh_printf(out, "%s%s (%zu bytes)\n", hex->str,
                  n > BYTES_SHOWN ? "..." : "", n);
    }
    sh_json_str(out, name, hex->str);
    g_string_free(hex, TRUE);
}

static void show_state(ShOut *out, const CoreStateDesc *d, const void *opaque,
                       const char *indent)
{
    const uint8_t *base = opaque;
    for (const CoreStateField *f = d->fields; f && f->name; f++) {
        const uint8_t *p = base + f->offset;
        switch (f->kind) {
        case CORE_STATE_PLAIN:
            if (f->size == 1 || f->size == 2 || f->size == 4 ||
                f->size == 8) {
                uint64_t v = 0;
                memcpy(&v, p, f->size);   /* host is little-endian */
                sh_printf(out, "%s%s = 0x%" PRIx64 "\n", indent, f->name, v);
                sh_json_u64(out, f->name, v);
            } else {
                show_bytes(out, indent, f->name, p, f->size, (size_t)-1);
            }
            break;
        case CORE_STATE_VAR: {
            uint32_t count;
            memcpy(&count, base + f->count_offset, sizeof(count));
            size_t cap = f->elem ? f->size / f->elem : 0;
            size_t shown = count <= cap ? count : cap;
            show_bytes(out, indent, f->name, p, shown * f->elem, shown);
            break;
        }
        case CORE_STATE_FN: {
            CoreBuf b = { 0 };
            f->save(opaque, &b);
            sh_printf(out, "%s%s = (%zu bytes saved)\n", indent, f->name,
                      b.len);
            sh_json_u64(out, f->name, b.len);
            core_buf_free(&b);
            break;
        }
        }
    }
    for (const CoreStateSubsection *s = d->subsections; s && s->desc; s++) {
        if (s->needed && !s->needed(opaque)) {
            continue;
        }
        char deeper[64];
        snprintf(deeper, sizeof(deeper), "%s  ", indent);
        sh_printf(out, "%s%s:\n", indent, s->desc->name);
        sh_json_begin_object(out, s->desc->name);
        show_state(out, s->desc, opaque, deeper);
        sh_json_end(out);
    }
}

static const char *bus_name(HwBus bus)
{
    switch (bus) {
    case HW_BUS_VIRTIO: return "virtio-bus";
    case HW_BUS_VIRTIO_SERIAL: return "virtio-serial-bus";
    default: return "main-system-bus";
    }
}

static void show_device(ShOut *out, CoreMachine *m, unsigned i,
                        const HwPlacedDevice *pl, const char *indent)
{
    const CoreDevice *d = &m->devices[i];
    const char *type = pl ? pl->type : d->ops->name;
    sh_printf(out, "%sdev: %s, id \"%s\"\n", indent, type, d->id);
    sh_json_begin_object(out, NULL);
    sh_json_str(out, "type", type);
    sh_json_str(out, "id", d->id);
    sh_json_str(out, "bus", bus_name(pl ? pl->bus : HW_BUS_SYSTEM));
    if (pl && pl->parent) {
        sh_json_str(out, "parent", pl->parent);
    }
    if (pl && pl->size && pl->bus == HW_BUS_SYSTEM) {
        sh_printf(out, "%s  mmio 0x%016" PRIx64 "/0x%" PRIx64 "\n", indent,
                  pl->base, pl->size);
    }
    if (pl && pl->irq && pl->bus == HW_BUS_SYSTEM) {
        sh_printf(out, "%s  irq %u\n", indent, pl->irq);
    }
    sh_json_u64(out, "base", pl ? pl->base : 0);
    sh_json_u64(out, "size", pl ? pl->size : 0);
    sh_json_u64(out, "irq", pl ? pl->irq : 0);
    if (d->ops->state) {
        char deeper[64];
        snprintf(deeper, sizeof(deeper), "%s    ", indent);
        sh_printf(out, "%s  state %s (version %u):\n", indent,
                  d->ops->state->name, d->ops->state->version);
        sh_json_begin_object(out, "state");
        show_state(out, d->ops->state, d->opaque, deeper);
        sh_json_end(out);
    } else {
        sh_printf(out, "%s  (no saved state)\n", indent);
    }
    sh_json_end(out);
}

/* The devices on device i's own bus (a virtio-serial-device's ports),
   under it. */
static void show_children(ShOut *out, CoreMachine *m, unsigned i,
                          const HwPlacedDevice *const *where,
                          const char *indent)
{
    bool any = false;
    char deeper[64];
    snprintf(deeper, sizeof(deeper), "%s  ", indent);
    for (unsigned k = 0; k < m->ndevices; k++) {
        if (where[k] && where[k]->parent &&
            strcmp(where[k]->parent, m->devices[i].id) == 0) {
            if (!any) {
                sh_printf(out, "%sbus: %s\n", indent,
                          bus_name(where[k]->bus));
                any = true;
            }
            show_device(out, m, k, where[k], deeper);
        }
    }
}

int sh_look_devices(CoreMachine *m, int argc, char **argv, ShOut *out)
{
    (void)argv;
    if (argc > 1) {
        return sh_error(out, "devices: takes no arguments");
    }
    HwPlacedDevice placed[CORE_MAX_DEVICES];
    size_t np = hw_boards_devices(m, placed, CORE_MAX_DEVICES);
    if (np > CORE_MAX_DEVICES) {
        np = CORE_MAX_DEVICES;
    }
    const HwPlacedDevice *where[CORE_MAX_DEVICES] = { 0 };
    for (unsigned i = 0; i < m->ndevices; i++) {
        for (size_t k = 0; k < np; k++) {
            if (placed[k].id && strcmp(placed[k].id, m->devices[i].id) == 0) {
                where[i] = &placed[k];
            }
        }
    }
    sh_json_begin_array(out, "devices");
    sh_printf(out, "bus: main-system-bus\n  type System\n");
    for (unsigned i = 0; i < m->ndevices; i++) {
        if (where[i] && where[i]->bus != HW_BUS_SYSTEM) {
            continue;   /* listed under its transport or parent */
        }
        show_device(out, m, i, where[i], "  ");
        /* A transport's bus: the virtio devices at its window. */
        bool any = false;
        for (unsigned k = 0; where[i] && k < m->ndevices; k++) {
            if (where[k] && where[k]->bus == HW_BUS_VIRTIO &&
                where[k]->base == where[i]->base) {
                if (!any) {
                    sh_printf(out, "    bus: virtio-bus\n");
                    any = true;
                }
                show_device(out, m, k, where[k], "      ");
                show_children(out, m, k, where, "        ");
            }
        }
    }
    /* A port whose device the board did not name (not reached on virt):
       still listed, on a bus of its own. */
    bool any = false;
    for (unsigned i = 0; i < m->ndevices; i++) {
        if (where[i] && where[i]->bus == HW_BUS_VIRTIO_SERIAL &&
            !where[i]->parent) {
            if (!any) {
                sh_printf(out, "bus: virtio-serial-bus\n");
                any = true;
            }
            show_device(out, m, i, where[i], "  ");
        }
    }
    sh_json_end(out);
    return 0;
}

int sh_look_mtree(CoreMachine *m, int argc, char **argv, ShOut *out)
{
    (void)argv;
    if (argc > 1) {
        return sh_error(out, "mtree: takes no arguments");
    }
    static const char *const kinds[] = { "ram", "rom", "i/o" };
    sh_printf(out, "address-space: memory\n");
    sh_json_begin_array(out, "regions");
    size_t n = core_mem_region_count(m->as);
    for (size_t i = 0; i < n; i++) {
        const CoreMemRegion *r = core_mem_region(m->as, i);
        const char *kind = kinds[r->kind];
        sh_printf(out, "  %016" PRIx64 "-%016" PRIx64 " (prio 0, %s): %s\n",
                  r->base, r->base + r->size - 1, kind, r->name);
        sh_json_begin_object(out, NULL);
        sh_json_u64(out, "base", r->base);
        sh_json_u64(out, "end", r->base + r->size - 1);
        sh_json_str(out, "kind", kind);
        sh_json_str(out, "name", r->name);
        sh_json_end(out);
    }
    sh_json_end(out);
    return 0;
}
