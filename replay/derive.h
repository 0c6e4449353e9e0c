/*
 * derive.h - the machine observer (core/observe.h) that collects the
 * derived-event index (tracedb/derived.h): every trap, ecall and
 * interrupt-controller line change becomes a buffered row. A recording
 * attaches one for its whole run (replay/record.c); `rewind trace index`
 * attaches one to a replay of the trace.
 *
 *     RRDerive *d = rr_derive_attach(m);   // m->observer is set
 *     ...run...
 *     tdb_derived_flush(rr_derive_rows(d), db, true, err, len);
 *     rr_derive_detach(d);                 // m->observer is NULL again
 */
#ifndef REPLAY_DERIVE_H
#define REPLAY_DERIVE_H

#include "core/machine.h"
#include "tracedb/derived.h"

typedef struct RRDerive RRDerive;

/* NULL when out of memory (the machine then has no observer). */
RRDerive *rr_derive_attach(CoreMachine *m);
TdbDerived *rr_derive_rows(RRDerive *d);
void rr_derive_detach(RRDerive *d);

#endif
