/*
 * derived.h - the derived-event tables of index.sqlite: what the machine
 * did rather than what it was given. Traps (exceptions and interrupts a
 * hart took), system calls (ecalls), the interrupt controller's lines
 * and the requests a disk completed are not inputs, so they are not in events.zst: a recording collects
 * them as it runs (replay/derive.c, the machine's observer), and
 * `rewind trace index DIR` collects them again by replaying the trace.
 * Replay is deterministic, so both give the same rows.
 *
 *     traps(id, icount, hart, cause, irq, pc, tval, priv_from, priv_to)
 *     ecalls(trap, icount, hart, priv, nr, a0, a1, a2, a3, a4, a5, a6)
 *     irqs(icount, source, kind, context)
 *     blk_requests(icount, done_icount, drive, op, sector, bytes, status)
 *
 * traps.id numbers traps from 1 in the order taken (`goto trap N`);
 * ecalls.trap is the id of the ecall's trap. meta derived_icount is the
 * icount up to which the tables are complete and derived_by who built
 * them ("record" or "index"; a recording writes it at its first flush);
 * tables without derived_icount are partial (a recording in progress, or
 * killed). Schema in docs/trace-format.md.
 *
 *     TdbDerived *d = tdb_derived_new();
 *     tdb_derived_trap(d, &row);             // buffered in memory
 *     tdb_derived_flush(d, db, err, len);    // one transaction
 *     tdb_derived_finish(d, db, final_icount, "record", err, len);
 */
#ifndef TRACEDB_DERIVED_H
#define TRACEDB_DERIVED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sqlite3;
typedef struct TdbDerived TdbDerived;

typedef struct TdbTrapRow {
    uint64_t icount;
    uint32_t hart, cause;
    bool irq;
    uint64_t pc, tval;
    uint8_t priv_from, priv_to;
    bool ecall;                 /* also an ecalls row */
    uint64_t nr, args[7];       /* a7, a0..a6 */
} TdbTrapRow;

typedef struct TdbIrqRow {
    uint64_t icount;
    uint32_t source;
    uint8_t kind;               /* 0 lower, 1 raise, 2 claim, 3 complete */
    int32_t context;            /* claiming context, -1 for a line */
} TdbIrqRow;

typedef struct TdbBlkRow {
    uint64_t icount, done_icount;   /* submitted, completed */
    char drive[64];                 /* truncated to 63 bytes */
    const char *op;                 /* a static string (core/observe.h) */
    uint64_t sector, bytes;
    uint32_t status;
} TdbBlkRow;

/* Creates the tables (if absent) in db. 0, or -1 with a message. */
int tdb_derived_schema(struct sqlite3 *db, char *err, size_t errlen);
TdbDerived *tdb_derived_new(void);
void tdb_derived_free(TdbDerived *d);
/* Buffer one row (false: out of memory; the row is lost and
   tdb_derived_flush reports it). */
void tdb_derived_trap(TdbDerived *d, const TdbTrapRow *row);
void tdb_derived_irq(TdbDerived *d, const TdbIrqRow *row);
void tdb_derived_blk(TdbDerived *d, const TdbBlkRow *row);
/* Rows buffered and not flushed yet. */
size_t tdb_derived_pending(const TdbDerived *d);
/* Writes the buffered rows. own_txn: in a transaction of its own (else
   the caller's). 0, or -1 with a message. */
int tdb_derived_flush(TdbDerived *d, struct sqlite3 *db, bool own_txn,
                      char *err, size_t errlen);
/* Flush, then record that the tables are complete up to final_icount. */
int tdb_derived_finish(TdbDerived *d, struct sqlite3 *db, uint64_t final_icount,
                       const char *by, char *err, size_t errlen);
/* Empties the tables and removes the meta keys (before a rebuild). */
int tdb_derived_clear(struct sqlite3 *db, char *err, size_t errlen);
/* Copies the tables and meta keys of the index at old_path into db (a
   reindex keeps them: they depend on events.zst only). A missing or
   unreadable old index, or one without the tables, copies nothing. */
int tdb_derived_copy(struct sqlite3 *db, const char *old_path, char *err,
                     size_t errlen);
/* Recording: flushes d into the writer's index (final: then marks the
   tables complete up to final_icount), before tdb_writer_end. */
struct TdbWriter;
int tdb_writer_derived(struct TdbWriter *w, TdbDerived *d, bool final,
                       uint64_t final_icount, char *err, size_t errlen);
/* Names for the irqs.kind column. */
const char *tdb_derived_irq_kind(unsigned kind);

#endif
