/*
 * The last writes to a memory range before the current point of a replay
 * (replay/lastwrite.h): a backwards search, interval by interval, that
 * replays each interval with a physical write watch and the address
 * space's write observer (DMA, page walks). It reuses the timeline's seek (rr_seek) and the
 * run loop's collecting mode (core_run_collecting, as reverse-continue).
 */
#include "replay/lastwrite.h"
#include "replay/rr_int.h"
#include "core/debug.h"
#include "core/mem.h"
#include "core/run.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t rr_trace_end(RRSession *s)
{
    return tdb_reader_last_icount(s->r);
}

bool rr_translate(CoreMachine *m, unsigned hart, uint64_t va, uint64_t *pa,
                  char *err, size_t errlen)
{
    if (hart >= m->ncpus) {
        snprintf(err, errlen, "no hart %u (the machine has %u)", hart,
                 m->ncpus);
        return false;
    }
    gpa_t p;
    if (!m->cpu_ops->translate ||
        !m->cpu_ops->translate(m->cpus[hart], va, &p)) {
        snprintf(err, errlen, "0x%" PRIx64 " is not mapped by hart %u's "
                 "translation here", va, hart);
        return false;
    }
    *pa = p;
    return true;
}

/* One interval's scan. */
typedef struct Scan {
    CoreMachine *m;
    uint64_t paddr, len;
    unsigned vlen;                 /* bytes of values kept (0: none) */
    uint8_t cur[RR_WRITE_VALUE_MAX];
    GArray *hits;                  /* RRWrite, in order */
} Scan;

static void take_values(Scan *sc, RRWrite *w)
{
    if (!sc->vlen) {
        return;
    }
    uint8_t now[RR_WRITE_VALUE_MAX];
    if (!core_mem_read_bytes(sc->m->as, sc->paddr, now, sc->vlen)) {
        return;
    }
    w->have_values = true;
    memcpy(w->old_bytes, sc->cur, sc->vlen);
    memcpy(w->new_bytes, now, sc->vlen);
    memcpy(sc->cur, now, sc->vlen);
}

/* The bytes of the instruction at pc, through hart's translation. */
static void read_insn(CoreMachine *m, RRWrite *w)
{
    const CoreCpuOps *ops = m->cpu_ops;
    if (w->hart < m->ncpus &&
        ops->mem_access(m->cpus[w->hart], w->pc, w->insn, 2, false) == 2) {
        w->insn_len = (w->insn[0] & 3) == 3 ? 4 : 2;
        if (w->insn_len == 4 &&
            ops->mem_access(m->cpus[w->hart], w->pc + 2, w->insn + 2, 2,
                            false) != 2) {
            w->insn_len = 0;
        }
    }
}

/* A hart's store hit the watch: the stop comes right after the store. */
static void on_store(void *opaque, const CoreStop *st)
{
    Scan *sc = opaque;
    CoreMachine *m = sc->m;
    if (st->reason != CORE_STOP_WATCHPOINT || st->watch_kind != CORE_WATCH_WRITE) {
        return;
    }
    RRWrite w = { .icount = m->icount - 1, .hart = st->hart, .pc = st->pc };
    read_insn(m, &w);
    take_values(sc, &w);
    g_array_append_val(sc->hits, w);
}

/* A device's DMA (core_mem_write_bytes), or a hart's page walker setting
   A/D bits (m->icount is then the accessing instruction's). */
static void on_write(void *opaque, gpa_t addr, uint64_t len,
                     const CoreMemWriter *who)
{
    Scan *sc = opaque;
    if (!(addr < sc->paddr + sc->len && sc->paddr < addr + len)) {
        return;
    }
    RRWrite w = { .icount = sc->m->icount,
                  .paddr = addr > sc->paddr ? addr : sc->paddr };
    if (who->walker) {
        w.walk = true;
        w.hart = who->hart;
        w.pc = who->pc;
        read_insn(sc->m, &w);
    } else {
        w.dma = true;
        snprintf(w.device, sizeof(w.device), "%s",
                 who->device ? who->device : "a device");
    }
    take_values(sc, &w);
    g_array_append_val(sc->hits, w);
}

/* The latest restore position (checkpoint or in-memory restore point)
   strictly before `end`; false if there is none. */
static bool restore_before(RRSession *s, uint64_t end, uint64_t *at)
{
    bool found = false;
    const TdbCheckpoint *list;
    size_t n = tdb_reader_checkpoints(s->r, &list);
    for (size_t i = 0; i < n && list[i].icount < end; i++) {
        *at = list[i].icount;
        found = true;
    }
    for (unsigned i = 0; i < s->undo_count; i++) {
        uint64_t u = s->undo_pos[(s->undo_first + i) % CORE_UNDO_MAX_POINTS].icount;
        if (u < end && (!found || u > *at)) {
            *at = u;
            found = true;
        }
    }
    return found;
}

static bool never_interrupt(void *opaque)
{
    (void)opaque;
    return false;
}

static CoreRunCmd never_stopped(void *opaque, CoreMachine *m,
                                const CoreStop *why)
{
    (void)opaque;
    (void)m;
    (void)why;
    return (CoreRunCmd){ .kind = CORE_CMD_CONTINUE };
}

/* Searching needs the debugger's watch machinery: without a front end
   attached, this one (which never stops anything) stands in. */
static const CoreFrontend search_fe = { never_interrupt, never_stopped, NULL };

void rr_search_keep_points(RRSession *s)
{
    if (s->m && !s->m->debug) {
        core_debug_attach(s->m, &search_fe, false);
    }
    if (s->m && !s->undo_on) {
        /* What the replay does at its next stop under a debugger; a run
           with no event on the way would not stop before its end. */
        s->undo_on = true;
        s->next_undo = s->m->icount;
    }
}

long rr_find_writes(RRSession *s, uint64_t paddr, uint64_t len, size_t max,
                    RRWrite *out, RRWriteStats *st, char *err, size_t errlen)
{
    CoreMachine *m = s->m;
    if (!s->replay || !m) {
        snprintf(err, errlen, "searching needs a replay of a trace");
        return -1;
    }
    if (len == 0 || paddr + len < paddr || max == 0) {
        snprintf(err, errlen, "empty range or count");
        return -1;
    }
    CoreMemRegion *r = core_mem_find(m->as, paddr);
    if (!r || r->kind != CORE_MEM_RAM || paddr + len - r->base > r->size) {
        snprintf(err, errlen, "physical 0x%" PRIx64 "..0x%" PRIx64
                 " is not guest RAM", paddr, paddr + len - 1);
        return -1;
    }
    const uint64_t T = m->icount;
    const uint64_t hash0 = core_machine_state_hash(m);
    bool attached = false;
    if (!m->debug) {
        attached = core_debug_attach(m, &search_fe, false);
    }
    /* The user's breakpoints and watchpoints stay out of the search. */
    CoreDebug *d = m->debug;
    CoreDebug saved = *d;
    d->nbp = 0;
    d->nwp = 0;
    core_debug_phys_watch(m, paddr, len);
    core_mem_set_write_observer(m->as, on_write, NULL);

    Scan sc = { .m = m, .paddr = paddr, .len = len,
                .vlen = len <= RR_WRITE_VALUE_MAX ? (unsigned)len : 0,
                .hits = g_array_new(false, true, sizeof(RRWrite)) };
    size_t found = 0;       /* out[max - found .. max) hold the newest */
    long result = 0;
    uint64_t end = T, lo = T;
    bool bar = false;
    RRWriteStats stats = { 0, T };
    while (found < max && restore_before(s, end, &lo)) {
        if (rr_seek(s, lo, err, errlen) != 0) {
            result = -1;
            break;
        }
        g_array_set_size(sc.hits, 0);
        if (sc.vlen) {
            core_mem_read_bytes(m->as, paddr, sc.cur, sc.vlen);
        }
        core_mem_set_write_observer(m->as, on_write, &sc);
        bool reached = core_run_collecting(m, end, on_store, &sc);
        core_mem_set_write_observer(m->as, NULL, NULL);
        stats.intervals++;
        stats.searched_from = lo;
        if (!reached) {
            snprintf(err, errlen, "the replay ended at icount %" PRIu64
                     " before reaching %" PRIu64, m->icount, end);
            result = -1;
            break;
        }
        for (guint i = sc.hits->len; i-- > 0 && found < max;) {
            out[max - ++found] = g_array_index(sc.hits, RRWrite, i);
        }
        end = lo;
        /* A search far back: how far (of the way to the start) it got,
           on the front end's bar (rr.h, RROptions.progress). */
        if (s->opts.progress && T - lo >= RR_PROGRESS_MIN_SEEK) {
            s->opts.progress(s->opts.progress_opaque, T - lo, T);
            bar = true;
        }
    }
    g_array_free(sc.hits, true);
    if (bar) {
        s->opts.progress(s->opts.progress_opaque, 0, 0);
    }

    core_mem_set_write_observer(m->as, NULL, NULL);
    core_debug_phys_watch(m, 0, 0);
    d->nbp = saved.nbp;
    d->nwp = saved.nwp;
    if (saved.nbp || saved.nwp) {
        m->debug_changed(m);
    }
    if (attached) {
        core_debug_detach(m);
    }
    char serr[256];
    if (rr_seek(s, T, serr, sizeof(serr)) != 0) {
        snprintf(err, errlen, "could not return to icount %" PRIu64 ": %s", T,
                 serr);
        return -1;
    }
    if (core_machine_state_hash(m) != hash0) {
        snprintf(err, errlen, "back at icount %" PRIu64 " the machine state "
                 "differs from before the search (a replay bug)", T);
        return -1;
    }
    if (result < 0) {
        return -1;
    }
    memmove(out, out + (max - found), found * sizeof(*out));
    if (st) {
        *st = stats;
    }
    return (long)found;
}
