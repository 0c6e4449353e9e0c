/*
 * derived.c - the traps / ecalls / irqs / blk_requests tables of index.sqlite (derived.h).
 *
 * Rows are buffered in memory between flushes so that a recording pays
 * one SQLite transaction per flush of the trace (every 100 ms of host
 * time), not one per trap.
 */
#include "tracedb/derived.h"
#include "tracedb/tracedb_int.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char derived_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS traps(id INTEGER PRIMARY KEY, icount INTEGER,"
    " hart INTEGER, cause INTEGER, irq INTEGER, pc INTEGER, tval INTEGER,"
    " priv_from INTEGER, priv_to INTEGER);"
    "CREATE INDEX IF NOT EXISTS traps_icount ON traps(icount);"
    "CREATE TABLE IF NOT EXISTS ecalls(trap INTEGER PRIMARY KEY,"
    " icount INTEGER, hart INTEGER, priv INTEGER, nr INTEGER, a0 INTEGER,"
    " a1 INTEGER, a2 INTEGER, a3 INTEGER, a4 INTEGER, a5 INTEGER,"
    " a6 INTEGER);"
    "CREATE INDEX IF NOT EXISTS ecalls_icount ON ecalls(icount);"
    "CREATE TABLE IF NOT EXISTS irqs(icount INTEGER, source INTEGER,"
    " kind TEXT, context INTEGER);"
    "CREATE INDEX IF NOT EXISTS irqs_icount ON irqs(icount);"
    "CREATE TABLE IF NOT EXISTS blk_requests(icount INTEGER,"
    " done_icount INTEGER, drive TEXT, op TEXT, sector INTEGER,"
    " bytes INTEGER, status INTEGER);"
    "CREATE INDEX IF NOT EXISTS blk_requests_icount ON"
    " blk_requests(icount);";

struct TdbDerived {
    TdbTrapRow *traps;
    size_t ntraps, traps_cap;
    TdbIrqRow *irqs;
    size_t nirqs, irqs_cap;
    TdbBlkRow *blks;
    size_t nblks, blks_cap;
    uint64_t next_id;      /* traps.id of the next trap */
    bool lost;             /* a row could not be buffered */
    bool marked;           /* meta derived_by written (recording) */
};

const char *tdb_derived_irq_kind(unsigned kind)
{
    static const char *const names[] = { "lower", "raise", "claim",
                                         "complete" };
    return kind < 4 ? names[kind] : "?";
}

int tdb_derived_schema(sqlite3 *db, char *err, size_t errlen)
{
    if (sqlite3_exec(db, derived_schema_sql, NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "index.sqlite: derived tables: %s",
                 sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

TdbDerived *tdb_derived_new(void)
{
    TdbDerived *d = calloc(1, sizeof(*d));
    if (d) {
        d->next_id = 1;
    }
    return d;
}

void tdb_derived_free(TdbDerived *d)
{
    if (d) {
        free(d->traps);
        free(d->irqs);
        free(d->blks);
        free(d);
    }
}

static bool grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) {
        return true;
    }
    size_t c = *cap ? 2 * *cap : 1024;
    void *q = realloc(*p, c * size);
    if (!q) {
        return false;
    }
    *p = q;
    *cap = c;
    return true;
}

void tdb_derived_trap(TdbDerived *d, const TdbTrapRow *row)
{
    if (!grow((void **)&d->traps, &d->traps_cap, d->ntraps, sizeof(*row))) {
        d->lost = true;
        return;
    }
    d->traps[d->ntraps++] = *row;
}

void tdb_derived_irq(TdbDerived *d, const TdbIrqRow *row)
{
    if (!grow((void **)&d->irqs, &d->irqs_cap, d->nirqs, sizeof(*row))) {
        d->lost = true;
        return;
    }
    d->irqs[d->nirqs++] = *row;
}

void tdb_derived_blk(TdbDerived *d, const TdbBlkRow *row)
{
    if (!grow((void **)&d->blks, &d->blks_cap, d->nblks, sizeof(*row))) {
        d->lost = true;
        return;
    }
    d->blks[d->nblks++] = *row;
}

size_t tdb_derived_pending(const TdbDerived *d)
{
    return d->ntraps + d->nirqs + d->nblks;
}

static int dfail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "index.sqlite: %s: %s", what, sqlite3_errmsg(db));
    return -1;
}

static int step(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Rows per INSERT for traps and ecalls: one statement step per row cost
   about a third of a recording's derived-row time in SQLite's statement
   machinery (a Linux boot writes 23,000 traps and 11,000 ecalls). */
#define ROWS_PER_INSERT 32

/* The INSERT statements of one connection, prepared on first use and
   kept across batches (a recording writes one batch per flush). */
struct TdbDerivedStmts {
    sqlite3 *db;
    sqlite3_stmt *trap1, *trapn, *ecall1, *ecalln, *irq, *blk;
};

void tdb_derived_stmts_free(TdbDerivedStmts *s)
{
    if (s) {
        sqlite3_finalize(s->trap1);
        sqlite3_finalize(s->trapn);
        sqlite3_finalize(s->ecall1);
        sqlite3_finalize(s->ecalln);
        sqlite3_finalize(s->irq);
        sqlite3_finalize(s->blk);
        free(s);
    }
}

/* *st, or prepared into it first: "INSERT INTO table VALUES(?,...),
   (?,...)...", rows groups of cols. Only the statements a batch needs
   are prepared (`rewind trace index` flushes small batches with
   statements of their own). NULL on failure. */
static sqlite3_stmt *rows_stmt(sqlite3 *db, sqlite3_stmt **st,
                               const char *table, int cols, int rows)
{
    if (*st) {
        return *st;
    }
    size_t cap = 64 + (size_t)rows * (2 * (size_t)cols + 2);
    char *sql = malloc(cap);
    if (!sql) {
        return NULL;
    }
    size_t n = (size_t)snprintf(sql, cap, "INSERT INTO %s VALUES", table);
    for (int r = 0; r < rows; r++) {
        sql[n++] = r ? ',' : '(';
        if (r) {
            sql[n++] = '(';
        }
        for (int c = 0; c < cols; c++) {
            sql[n++] = '?';
            sql[n++] = c + 1 < cols ? ',' : ')';
        }
    }
    sql[n] = '\0';
    if (sqlite3_prepare_v2(db, sql, (int)n, st, NULL) != SQLITE_OK) {
        sqlite3_finalize(*st);
        *st = NULL;
    }
    free(sql);
    return *st;
}

static TdbDerivedStmts *stmts_for(sqlite3 *db, TdbDerivedStmts **cache)
{
    if (*cache && (*cache)->db == db) {
        return *cache;
    }
    tdb_derived_stmts_free(*cache);
    *cache = NULL;
    TdbDerivedStmts *s = calloc(1, sizeof(*s));
    if (!s) {
        return NULL;
    }
    s->db = db;
    *cache = s;
    return s;
}

/* Binds trap r (number id) as the row starting at parameter base + 1. */
static void bind_trap(sqlite3_stmt *t, int base, uint64_t id,
                      const TdbTrapRow *r)
{
    sqlite3_bind_int64(t, base + 1, (sqlite3_int64)id);
    sqlite3_bind_int64(t, base + 2, (sqlite3_int64)r->icount);
    sqlite3_bind_int64(t, base + 3, r->hart);
    sqlite3_bind_int64(t, base + 4, r->cause);
    sqlite3_bind_int64(t, base + 5, r->irq);
    sqlite3_bind_int64(t, base + 6, (sqlite3_int64)r->pc);
    sqlite3_bind_int64(t, base + 7, (sqlite3_int64)r->tval);
    sqlite3_bind_int64(t, base + 8, r->priv_from);
    sqlite3_bind_int64(t, base + 9, r->priv_to);
}

static void bind_ecall(sqlite3_stmt *e, int base, uint64_t id,
                       const TdbTrapRow *r)
{
    sqlite3_bind_int64(e, base + 1, (sqlite3_int64)id);
    sqlite3_bind_int64(e, base + 2, (sqlite3_int64)r->icount);
    sqlite3_bind_int64(e, base + 3, r->hart);
    sqlite3_bind_int64(e, base + 4, r->priv_from);
    sqlite3_bind_int64(e, base + 5, (sqlite3_int64)r->nr);
    for (int a = 0; a < 7; a++) {
        sqlite3_bind_int64(e, base + 6 + a, (sqlite3_int64)r->args[a]);
    }
}

/* The traps of d, ROWS_PER_INSERT to a statement, the rest one by one;
   then their ecalls the same way. Trap i is number first + i. */
static int insert_traps(TdbDerived *d, TdbDerivedStmts *s, uint64_t first)
{
    sqlite3 *db = s->db;
    size_t i = 0, necalls = 0;
    for (size_t k = 0; k < d->ntraps; k++) {
        necalls += d->traps[k].ecall;
    }
    if ((d->ntraps >= ROWS_PER_INSERT &&
         !rows_stmt(db, &s->trapn, "traps", 9, ROWS_PER_INSERT)) ||
        (d->ntraps % ROWS_PER_INSERT &&
         !rows_stmt(db, &s->trap1, "traps", 9, 1)) ||
        (necalls >= ROWS_PER_INSERT &&
         !rows_stmt(db, &s->ecalln, "ecalls", 12, ROWS_PER_INSERT)) ||
        (necalls % ROWS_PER_INSERT &&
         !rows_stmt(db, &s->ecall1, "ecalls", 12, 1))) {
        return -1;
    }
    for (; i + ROWS_PER_INSERT <= d->ntraps; i += ROWS_PER_INSERT) {
        for (int k = 0; k < ROWS_PER_INSERT; k++) {
            bind_trap(s->trapn, 9 * k, first + i + k, &d->traps[i + k]);
        }
        if (step(s->trapn) < 0) {
            return -1;
        }
    }
    for (; i < d->ntraps; i++) {
        bind_trap(s->trap1, 0, first + i, &d->traps[i]);
        if (step(s->trap1) < 0) {
            return -1;
        }
    }
    size_t pend[ROWS_PER_INSERT], np = 0;
    for (i = 0; i < d->ntraps; i++) {
        if (!d->traps[i].ecall) {
            continue;
        }
        pend[np++] = i;
        if (np < ROWS_PER_INSERT) {
            continue;
        }
        for (size_t k = 0; k < np; k++) {
            bind_ecall(s->ecalln, 12 * (int)k, first + pend[k],
                       &d->traps[pend[k]]);
        }
        np = 0;
        if (step(s->ecalln) < 0) {
            return -1;
        }
    }
    for (size_t k = 0; k < np; k++) {
        bind_ecall(s->ecall1, 0, first + pend[k], &d->traps[pend[k]]);
        if (step(s->ecall1) < 0) {
            return -1;
        }
    }
    return 0;
}

static int insert_rows(TdbDerived *d, sqlite3 *db, TdbDerivedStmts **cache,
                       char *err, size_t errlen)
{
    TdbDerivedStmts *s = stmts_for(db, cache);
    int rc = 0;
    if (!s || (d->nirqs && !rows_stmt(db, &s->irq, "irqs", 4, 1)) ||
        (d->nblks && !rows_stmt(db, &s->blk, "blk_requests", 7, 1))) {
        rc = dfail(db, "derived rows", err, errlen);
    } else if (insert_traps(d, s, d->next_id) < 0) {
        rc = dfail(db, "traps", err, errlen);
    }
    d->next_id += d->ntraps;
    for (size_t i = 0; rc == 0 && i < d->nirqs; i++) {
        const TdbIrqRow *r = &d->irqs[i];
        sqlite3_stmt *q = s->irq;
        sqlite3_bind_int64(q, 1, (sqlite3_int64)r->icount);
        sqlite3_bind_int64(q, 2, r->source);
        sqlite3_bind_text(q, 3, tdb_derived_irq_kind(r->kind), -1,
                          SQLITE_STATIC);
        sqlite3_bind_int64(q, 4, r->context);
        if (step(q) < 0) {
            rc = dfail(db, "irqs", err, errlen);
        }
    }
    for (size_t i = 0; rc == 0 && i < d->nblks; i++) {
        const TdbBlkRow *r = &d->blks[i];
        sqlite3_stmt *b = s->blk;
        sqlite3_bind_int64(b, 1, (sqlite3_int64)r->icount);
        sqlite3_bind_int64(b, 2, (sqlite3_int64)r->done_icount);
        sqlite3_bind_text(b, 3, r->drive, -1, SQLITE_STATIC);
        sqlite3_bind_text(b, 4, r->op, -1, SQLITE_STATIC);
        sqlite3_bind_int64(b, 5, (sqlite3_int64)r->sector);
        sqlite3_bind_int64(b, 6, (sqlite3_int64)r->bytes);
        sqlite3_bind_int64(b, 7, r->status);
        if (step(b) < 0) {
            rc = dfail(db, "blk_requests", err, errlen);
        }
    }
    /* The text bound with SQLITE_STATIC belongs to the batch. */
    if (s && s->irq) {
        sqlite3_clear_bindings(s->irq);
    }
    if (s && s->blk) {
        sqlite3_clear_bindings(s->blk);
    }
    d->ntraps = 0;
    d->nirqs = 0;
    d->nblks = 0;
    return rc;
}

static int flush_cached(TdbDerived *d, sqlite3 *db, bool own_txn,
                        TdbDerivedStmts **cache, char *err, size_t errlen)
{
    if (d->lost) {
        snprintf(err, errlen, "index.sqlite: derived rows: out of memory");
        return -1;
    }
    if (tdb_derived_pending(d) == 0) {
        return 0;
    }
    if (own_txn && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        return dfail(db, "begin", err, errlen);
    }
    int rc = insert_rows(d, db, cache, err, errlen);
    if (own_txn) {
        if (rc == 0 && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            rc = dfail(db, "commit", err, errlen);
        }
        if (rc != 0) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        }
    }
    return rc;
}

int tdb_derived_flush(TdbDerived *d, sqlite3 *db, bool own_txn, char *err,
                      size_t errlen)
{
    TdbDerivedStmts *once = NULL;
    int rc = flush_cached(d, db, own_txn, &once, err, errlen);
    tdb_derived_stmts_free(once);
    return rc;
}

static int set_meta(sqlite3 *db, const char *key, const char *value)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta VALUES(?,?)", -1,
                           &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
        rc = step(st);
    }
    sqlite3_finalize(st);
    return rc;
}

int tdb_derived_finish(TdbDerived *d, sqlite3 *db, uint64_t final_icount,
                       const char *by, char *err, size_t errlen)
{
    if (tdb_derived_flush(d, db, true, err, errlen) < 0) {
        return -1;
    }
    char num[32];
    snprintf(num, sizeof(num), "%" PRIu64, final_icount);
    if (set_meta(db, "derived_icount", num) < 0 ||
        set_meta(db, "derived_by", by) < 0) {
        return dfail(db, "meta", err, errlen);
    }
    return 0;
}

int tdb_derived_clear(sqlite3 *db, char *err, size_t errlen)
{
    if (tdb_derived_schema(db, err, errlen) < 0) {
        return -1;
    }
    if (sqlite3_exec(db, "DELETE FROM traps; DELETE FROM ecalls;"
                     " DELETE FROM irqs; DELETE FROM blk_requests;"
                     " DELETE FROM meta WHERE key IN"
                     " ('derived_icount', 'derived_by');", NULL, NULL,
                     NULL) != SQLITE_OK) {
        return dfail(db, "clearing the derived tables", err, errlen);
    }
    return 0;
}

int tdb_derived_copy(sqlite3 *db, const char *old_path, char *err,
                     size_t errlen)
{
    TdbIndexState state;
    sqlite3 *old = tdb_index_open_ro(old_path, &state, 0);
    if (!old) {
        return 0;
    }
    static const struct {
        const char *select, *insert;
        int ncols;
    } tables[] = {
        { "SELECT id, icount, hart, cause, irq, pc, tval, priv_from, priv_to"
          " FROM traps", "INSERT INTO traps VALUES(?,?,?,?,?,?,?,?,?)", 9 },
        { "SELECT trap, icount, hart, priv, nr, a0, a1, a2, a3, a4, a5, a6"
          " FROM ecalls", "INSERT INTO ecalls VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
          12 },
        { "SELECT icount, source, kind, context FROM irqs",
          "INSERT INTO irqs VALUES(?,?,?,?)", 4 },
        { "SELECT key, value FROM meta WHERE key IN ('derived_icount',"
          " 'derived_by')", "INSERT OR REPLACE INTO meta VALUES(?,?)", 2 },
        /* Last: an index from before blk_requests keeps the rest. */
        { "SELECT icount, done_icount, drive, op, sector, bytes, status"
          " FROM blk_requests", "INSERT INTO blk_requests VALUES(?,?,?,?,?,?,?)",
          7 },
    };
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof(tables) / sizeof(tables[0]); i++) {
        sqlite3_stmt *q = NULL, *ins = NULL;
        if (sqlite3_prepare_v2(old, tables[i].select, -1, &q, NULL) !=
            SQLITE_OK) {
            sqlite3_finalize(q);
            break;   /* an older index without the tables: nothing to keep */
        }
        if (sqlite3_prepare_v2(db, tables[i].insert, -1, &ins, NULL) !=
            SQLITE_OK) {
            rc = dfail(db, "derived tables", err, errlen);
        }
        while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
            for (int c = 0; c < tables[i].ncols; c++) {
                sqlite3_bind_value(ins, c + 1, sqlite3_column_value(q, c));
            }
            if (step(ins) < 0) {
                rc = dfail(db, "derived tables", err, errlen);
            }
        }
        sqlite3_finalize(q);
        sqlite3_finalize(ins);
    }
    sqlite3_close(old);
    return rc;
}

static int writer_derived(TdbIndex *x, TdbDerived *d, bool final,
                          uint64_t final_icount, char *err, size_t errlen)
{
    sqlite3 *db = tdb_index_db(x);
    if (!d->marked) {
        /* From the first flush on, the tables are known to be filled by
           this recording (a live session reads them); derived_icount
           comes at the end. */
        if (set_meta(db, "derived_by", "record") < 0) {
            return dfail(db, "meta", err, errlen);
        }
        d->marked = true;
    }
    if (flush_cached(d, db, true, tdb_index_derived_stmts(x), err,
                     errlen) < 0) {
        return -1;
    }
    return final ? tdb_derived_finish(d, db, final_icount, "record", err, errlen)
                 : 0;
}

TdbDerived *tdb_derived_take(TdbDerived *d, TdbDerived *spare)
{
    TdbDerived *batch = spare ? spare : malloc(sizeof(*batch));
    if (!batch) {
        return NULL;
    }
    TdbDerived old = spare ? *spare : (TdbDerived){ 0 };
    *batch = *d;
    d->traps = old.traps;
    d->traps_cap = old.traps_cap;
    d->irqs = old.irqs;
    d->irqs_cap = old.irqs_cap;
    d->blks = old.blks;
    d->blks_cap = old.blks_cap;
    d->ntraps = d->nirqs = d->nblks = 0;
    d->next_id += batch->ntraps;   /* the batch numbers its traps */
    d->lost = false;
    d->marked = true;              /* the batch writes derived_by if due */
    return batch;
}

int tdb_derived_write_batch(TdbDerived *batch, TdbIndex *x, char *err,
                            size_t errlen)
{
    return writer_derived(x, batch, false, 0, err, errlen);
}

int tdb_writer_derived(TdbWriter *w, TdbDerived *d, bool final,
                       uint64_t final_icount, char *err, size_t errlen)
{
    if (!final) {
        /* The rows go to the writer's thread, after the frames flushed
           before them, as a batch of their own. */
        if (tdb_derived_pending(d) == 0 && d->marked && !d->lost) {
            return 0;
        }
        TdbDerived *spare = tdb_writer_spare_rows(w);
        TdbDerived *batch = tdb_derived_take(d, spare);
        if (!batch) {
            tdb_derived_free(spare);
            snprintf(err, errlen, "index.sqlite: derived rows: out of memory");
            return -1;
        }
        if (tdb_writer_push_derived(w, batch) < 0) {
            snprintf(err, errlen, "%s", tdb_writer_error(w));
            return -1;
        }
        return 0;
    }
    /* The end: after every batch, on this thread. */
    if (tdb_writer_wait(w) < 0) {
        snprintf(err, errlen, "%s", tdb_writer_error(w));
        return -1;
    }
    TdbIndex *x = tdb_writer_index_lock(w);
    if (!x) {
        snprintf(err, errlen, "index.sqlite: the recording's index is closed");
        return -1;
    }
    int rc = writer_derived(x, d, final, final_icount, err, errlen);
    tdb_writer_index_unlock(w);
    return rc;
}
