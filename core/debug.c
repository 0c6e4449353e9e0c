/*
 * Breakpoint and watchpoint tables (see core/debug.h). Tables are small
 * and only consulted on slow paths (block starts while a debugger is
 * attached, accesses to watched pages), so plain arrays suffice.
 */
#include "core/debug.h"
#include "core/machine.h"

#include <stdlib.h>

bool core_debug_attach(CoreMachine *m, const CoreFrontend *fe,
                       bool stop_at_start)
{
    if (m->debug) {
        return false;
    }
    CoreDebug *d = calloc(1, sizeof(*d));
    if (!d) {
        return false;
    }
    d->fe = fe;
    d->skip_hart = -1;
    d->step_hart = -1;
    d->goto_icount = UINT64_MAX;
    d->goto_ns = UINT64_MAX;
    d->start_stopped = stop_at_start;
    m->debug = d;
    return true;
}

void core_debug_detach(CoreMachine *m)
{
    if (!m->debug) {
        return;
    }
    bool had_points = m->debug->nbp || m->debug->nwp;
    free(m->debug);
    m->debug = NULL;
    if (had_points && m->debug_changed) {
        m->debug_changed(m);
    }
}

static void changed(CoreMachine *m)
{
    if (m->debug_changed) {
        m->debug_changed(m);
    }
}

bool core_debug_breakpoint(CoreMachine *m, gva_t pc, bool insert)
{
    CoreDebug *d = m->debug;
    if (!d) {
        return false;
    }
    for (unsigned i = 0; i < d->nbp; i++) {
        if (d->bp[i] == pc) {
            if (!insert) {
                d->bp[i] = d->bp[--d->nbp];
                changed(m);
            }
            return true;
        }
    }
    if (!insert || d->nbp == CORE_DEBUG_MAX_BREAKPOINTS) {
        return false;
    }
    d->bp[d->nbp++] = pc;
    changed(m);
    return true;
}

bool core_debug_watchpoint(CoreMachine *m, gva_t addr, uint64_t len,
                           CoreWatchKind kind, bool insert)
{
    CoreDebug *d = m->debug;
    if (!d || len == 0) {
        return false;
    }
    for (unsigned i = 0; i < d->nwp; i++) {
        CoreWatchpoint *w = &d->wp[i];
        if (w->addr == addr && w->len == len && w->kind == kind) {
            if (!insert) {
                d->wp[i] = d->wp[--d->nwp];
                changed(m);
            }
            return true;
        }
    }
    if (!insert || d->nwp == CORE_DEBUG_MAX_WATCHPOINTS) {
        return false;
    }
    d->wp[d->nwp++] = (CoreWatchpoint){ addr, len, kind };
    changed(m);
    return true;
}

bool core_debug_has_breakpoint(const CoreMachine *m, gva_t pc)
{
    const CoreDebug *d = m->debug;
    for (unsigned i = 0; d && i < d->nbp; i++) {
        if (d->bp[i] == pc) {
            return true;
        }
    }
    return false;
}

const CoreWatchpoint *core_debug_watch_hit(const CoreMachine *m, gva_t addr,
                                           uint64_t len, bool write)
{
    const CoreDebug *d = m->debug;
    for (unsigned i = 0; d && i < d->nwp; i++) {
        const CoreWatchpoint *w = &d->wp[i];
        bool kind_ok = write ? (w->kind & CORE_WATCH_WRITE)
                             : (w->kind & CORE_WATCH_READ);
        if (kind_ok && addr < w->addr + w->len && w->addr < addr + len) {
            return w;
        }
    }
    return NULL;
}

bool core_debug_page_watched(const CoreMachine *m, gva_t page)
{
    const CoreDebug *d = m->debug;
    for (unsigned i = 0; d && i < d->nwp; i++) {
        const CoreWatchpoint *w = &d->wp[i];
        gva_t first = w->addr & CORE_PAGE_MASK;
        gva_t last = (w->addr + w->len - 1) & CORE_PAGE_MASK;
        if (page >= first && page <= last) {
            return true;
        }
    }
    return false;
}

bool core_debug_phys_watch(CoreMachine *m, gpa_t addr, uint64_t len)
{
    CoreDebug *d = m->debug;
    if (!d) {
        return false;
    }
    d->pwatch_addr = addr;
    d->pwatch_len = len;
    changed(m);   /* drop cached write permissions to those pages */
    return true;
}

bool core_debug_phys_hit(const CoreMachine *m, gpa_t pa, uint64_t len)
{
    const CoreDebug *d = m->debug;
    return d && d->pwatch_len && pa < d->pwatch_addr + d->pwatch_len &&
           d->pwatch_addr < pa + len;
}

bool core_debug_phys_page_watched(const CoreMachine *m, gpa_t page)
{
    const CoreDebug *d = m->debug;
    if (!d || !d->pwatch_len) {
        return false;
    }
    gpa_t first = d->pwatch_addr & CORE_PAGE_MASK;
    gpa_t last = (d->pwatch_addr + d->pwatch_len - 1) & CORE_PAGE_MASK;
    return page >= first && page <= last;
}
