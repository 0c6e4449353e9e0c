/*
 * Machines: lifetime, device registry, exit requests, machine types and
 * the whole-state hash (see core/machine.h).
 */
#include "core/machine.h"
#include "core/input.h"
#include "core/loader.h"
#include "core/run.h"
#include "core/preimage.h"
#include "core/undo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const CoreMachineType *const *core_machine_types(void)
{
    return core_board_table;
}

const CoreMachineType *core_machine_type_find(const char *name)
{
    for (const CoreMachineType *const *t = core_board_table; *t; t++) {
        if (strcmp((*t)->name, name) == 0) {
            return *t;
        }
    }
    return NULL;
}

CoreMachine *core_machine_new(const CoreConfig *cfg)
{
    CoreMachine *m = calloc(1, sizeof(*m));
    if (!m) {
        return NULL;
    }
    m->cfg = cfg;
    m->icount_shift = cfg->icount_shift;
    m->sched_left = CORE_SCHED_QUANTUM;
    m->accel = core_accel_table[0];
    m->as = core_mem_new();
    m->input = core_input_new();
    if (!m->as || !m->input) {
        core_machine_free(m);
        return NULL;
    }
    /* The wall clock's door: the journal or the host (core/run.c). */
    core_input_set_wallclock_hook(m->input, core_run_wallclock, m);
    return m;
}

bool core_machine_init(CoreMachine *m, char *err, size_t errlen)
{
    const CoreMachineType *t = core_machine_type_find(m->cfg->machine);
    if (!t) {
        snprintf(err, errlen, "unknown machine '%s' (try -machine help)",
                 m->cfg->machine);
        return false;
    }
    return t->init(m, err, errlen);
}

void core_machine_free(CoreMachine *m)
{
    if (!m) {
        return;
    }
    core_debug_detach(m);
    core_undo_clear(m);
    core_preimage_free(m->preimages);
    for (unsigned i = 0; i < m->ndevices; i++) {
        if (m->devices[i].ops->free) {
            m->devices[i].ops->free(m->devices[i].opaque);
        }
    }
    if (m->board_free) {
        m->board_free(m);
    }
    core_input_free(m->input);
    core_mem_free(m->as);
    free(m);
}

bool core_machine_check_trace_files(CoreMachine *m, char *why, size_t whylen)
{
    for (unsigned i = 0; i < m->ndevices; i++) {
        const CoreDevice *d = &m->devices[i];
        if (d->ops->check_trace_files &&
            !d->ops->check_trace_files(d->opaque, why, whylen)) {
            return false;
        }
    }
    return true;
}

void core_machine_add_device(CoreMachine *m, const CoreDeviceOps *ops,
                             void *opaque, const char *id)
{
    /* Boards add a fixed set of devices; running out is a programming
       error, not a user error. */
    if (m->ndevices >= CORE_MAX_DEVICES) {
        fprintf(stderr, "rewind: too many devices (max %d)\n", CORE_MAX_DEVICES);
        abort();
    }
    CoreDevice *d = &m->devices[m->ndevices++];
    d->ops = ops;
    d->opaque = opaque;
    snprintf(d->id, sizeof(d->id), "%s", id);
}

void core_machine_set_console(CoreMachine *m, unsigned port, const char *id)
{
    if (port < CORE_CONSOLE_PORTS) {
        snprintf(m->console_ids[port], sizeof(m->console_ids[port]), "%s",
                 id);
    }
}

void core_machine_console_output(CoreMachine *m, unsigned port,
                                 const uint8_t *buf, size_t len)
{
    if (m->console_tap && len) {
        m->console_tap(m->console_tap_opaque, port, buf, len);
    }
}

void core_machine_reset_devices(CoreMachine *m)
{
    for (unsigned i = 0; i < m->ndevices; i++) {
        if (m->devices[i].ops->reset) {
            m->devices[i].ops->reset(m->devices[i].opaque);
        }
    }
}

void core_machine_request_exit(CoreMachine *m, CoreExitKind kind, int code)
{
    if (m->exit_kind == CORE_EXIT_NONE) {
        m->exit_kind = kind;
        m->exit_code = code;
    }
    m->attention |= CORE_ATTN_EXIT;
}

void core_machine_note_loaded(CoreMachine *m, const char *path,
                              const CoreLoadedImage *img)
{
    if (img->whole_file && m->nloaded < CORE_MAX_INPUTS) {
        m->loaded[m->nloaded++] = (CoreLoadedInput){ path, img->file_size,
                                                     img->file_hash };
    }
}

bool core_machine_loaded_hash(const CoreMachine *m, const char *path,
                              uint64_t *size, uint64_t *hash)
{
    for (unsigned i = 0; i < m->nloaded; i++) {
        if (strcmp(m->loaded[i].path, path) == 0) {
            *size = m->loaded[i].size;
            *hash = m->loaded[i].hash;
            return true;
        }
    }
    return false;
}

size_t core_machine_inputs(const CoreConfig *cfg, const char **names,
                           const char **paths)
{
    const CoreMachineType *t = core_machine_type_find(cfg->machine);
    return t && t->inputs ? t->inputs(cfg, names, paths) : 0;
}
