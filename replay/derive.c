/*
 * derive.c - the derived-event observer (derive.h): CoreTrapEvent and
 * interrupt-line and block-request events become rows of tracedb/derived.h. It only reads
 * what the core hands it, so a run with it is the same run.
 */
#include "replay/derive.h"

#include <stdio.h>
#include <stdlib.h>

struct RRDerive {
    CoreMachine *m;
    CoreObserver ops;
    TdbDerived *rows;
};

static void on_trap(void *opaque, const CoreTrapEvent *ev)
{
    RRDerive *d = opaque;
    TdbTrapRow r = {
        .icount = ev->icount, .hart = ev->hart, .cause = ev->cause,
        .irq = ev->interrupt, .pc = ev->pc, .tval = ev->tval,
        .priv_from = (uint8_t)ev->priv_from, .priv_to = (uint8_t)ev->priv_to,
        .ecall = ev->syscall, .nr = ev->nr,
    };
    for (int i = 0; i < 7; i++) {
        r.args[i] = ev->args[i];
    }
    tdb_derived_trap(d->rows, &r);
}

static void on_irq(void *opaque, uint64_t icount, unsigned source,
                   CoreIrqEventKind kind, int context)
{
    RRDerive *d = opaque;
    TdbIrqRow r = { icount, source, (uint8_t)kind, context };
    tdb_derived_irq(d->rows, &r);
}

static void on_blk(void *opaque, const CoreBlkEvent *ev)
{
    RRDerive *d = opaque;
    TdbBlkRow r = {
        .icount = ev->submit_icount, .done_icount = ev->icount, .op = ev->op,
        .sector = ev->sector, .bytes = ev->bytes, .status = ev->status,
    };
    snprintf(r.drive, sizeof(r.drive), "%s", ev->drive);
    tdb_derived_blk(d->rows, &r);
}

RRDerive *rr_derive_attach(CoreMachine *m)
{
    RRDerive *d = calloc(1, sizeof(*d));
    if (!d || !(d->rows = tdb_derived_new())) {
        free(d);
        return NULL;
    }
    d->m = m;
    d->ops = (CoreObserver){ on_trap, on_irq, on_blk, d };
    m->observer = &d->ops;
    return d;
}

TdbDerived *rr_derive_rows(RRDerive *d)
{
    return d->rows;
}

void rr_derive_detach(RRDerive *d)
{
    if (!d) {
        return;
    }
    if (d->m->observer == &d->ops) {
        d->m->observer = NULL;
    }
    tdb_derived_free(d->rows);
    free(d);
}
