/*
 * The SQLite index (index.sqlite): schema, and the builder that turns
 * frames into rows. The writer feeds it every frame right after the frame
 * is written; tdb_reindex feeds it the frames read back from events.zst.
 * Both paths go through tdb_index_frame(), so a rebuilt index has the same
 * rows as the one written during recording.
 *
 * Row numbering: events.id is the event's position in the trace (META is
 * 0), checkpoints.id the checkpoint number (0-based, as in the RWCK
 * header), console.line counts output lines from 1. A console line ends at
 * '\n' (dropped, as is '\r') or after 4096 bytes; its icount is that of
 * the CONSOLE (or PORT_CONSOLE) event that completed it. Each console port
 * (0: the UART, 1..: virtio-serial consoles) has its own open line, and
 * its device id comes from the META key console.N. Schema documented in
 * docs/trace-format.md; bump TDB_SCHEMA_VERSION on any change to it.
 */
#include "tracedb/derived.h"
#include "tracedb/tracedb_int.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CONSOLE_LINE_MAX 4096

static const char schema_sql[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE inputs(name TEXT, path TEXT, size INTEGER, hash TEXT);"
    "CREATE TABLE frames(frame INTEGER PRIMARY KEY, offset INTEGER,"
    " length INTEGER, first_icount INTEGER, last_icount INTEGER,"
    " n_events INTEGER);"
    "CREATE TABLE events(id INTEGER PRIMARY KEY, kind TEXT, icount INTEGER,"
    " hart INTEGER, frame INTEGER, summary TEXT);"
    "CREATE INDEX events_icount ON events(icount);"
    "CREATE INDEX events_kind ON events(kind);"
    "CREATE TABLE console(line INTEGER PRIMARY KEY, icount INTEGER,"
    " text TEXT, port INTEGER, device TEXT);"
    "CREATE INDEX console_icount ON console(icount);"
    "CREATE TABLE checkpoints(id INTEGER PRIMARY KEY, icount INTEGER,"
    " state_hash TEXT, offset INTEGER, length INTEGER);"
    "CREATE TABLE net_rx(icount INTEGER, nic INTEGER, len INTEGER);"
    "CREATE INDEX net_rx_icount ON net_rx(icount);"
    "CREATE TABLE bookmarks(name TEXT PRIMARY KEY, icount INTEGER,"
    " note TEXT);"
    "CREATE VIEW summary AS SELECT"
    " (SELECT COUNT(*) FROM frames) AS frames,"
    " (SELECT COUNT(*) FROM events) AS events,"
    " (SELECT MIN(first_icount) FROM frames) AS first_icount,"
    " (SELECT MAX(last_icount) FROM frames) AS last_icount,"
    " (SELECT COUNT(*) FROM console) AS console_lines,"
    " (SELECT COUNT(*) FROM checkpoints) AS checkpoints,"
    " (SELECT SUM(length) FROM frames) AS events_bytes,"
    " EXISTS(SELECT 1 FROM events WHERE kind = 'END') AS complete;"
    "CREATE VIEW kinds AS SELECT kind, COUNT(*) AS n, MIN(icount) AS first,"
    " MAX(icount) AS last FROM events GROUP BY kind;";

enum { ST_FRAME, ST_EVENT, ST_CONSOLE, ST_CKPT, ST_META, ST_INPUT, ST_NET_RX,
       ST_COUNT };

static const char *const stmt_sql[ST_COUNT] = {
    [ST_FRAME] = "INSERT INTO frames VALUES(?,?,?,?,?,?)",
    [ST_EVENT] = "INSERT INTO events VALUES(?,?,?,?,?,?)",
    [ST_CONSOLE] = "INSERT INTO console VALUES(?,?,?,?,?)",
    [ST_CKPT] = "INSERT INTO checkpoints VALUES(?,?,?,?,?)",
    [ST_META] = "INSERT OR REPLACE INTO meta VALUES(?,?)",
    [ST_INPUT] = "INSERT INTO inputs VALUES(?,?,?,?)",
    [ST_NET_RX] = "INSERT INTO net_rx VALUES(?,?,?)",
};

struct TdbIndex {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    TdbDerivedStmts *derived;   /* derived.c's, prepared on first use */
    bool bulk;
    uint64_t next_event, next_line, next_ckpt;
    /* Per console port: bytes since the last line end, the icount of the
       event that brought the last of them, the device (META console.N). */
    TdbBuf line[TDB_SERIAL_PORTS];
    uint64_t line_icount[TDB_SERIAL_PORTS];
    char device[TDB_SERIAL_PORTS][64];
    char err[512];
};

static int fail(TdbIndex *x, const char *what)
{
    snprintf(x->err, sizeof(x->err), "index.sqlite: %s: %s", what,
             sqlite3_errmsg(x->db));
    return -1;
}

/* Binds the arguments (format chars: i = int64, t = text, n = text of
   length) and steps the statement once. */
static int run(TdbIndex *x, int which, const char *fmt, ...)
{
    sqlite3_stmt *st = x->st[which];
    va_list ap;
    va_start(ap, fmt);
    for (int i = 1; *fmt; fmt++, i++) {
        if (*fmt == 'i') {
            sqlite3_bind_int64(st, i, (sqlite3_int64)va_arg(ap, uint64_t));
        } else if (*fmt == 't') {
            sqlite3_bind_text(st, i, va_arg(ap, const char *), -1,
                              SQLITE_TRANSIENT);
        } else {
            const char *s = va_arg(ap, const char *);
            int n = va_arg(ap, int);
            sqlite3_bind_text(st, i, s, n, SQLITE_TRANSIENT);
        }
    }
    va_end(ap);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : fail(x, "insert");
}

TdbIndex *tdb_index_create(const char *path, bool bulk, char *err, size_t errlen)
{
    TdbIndex *x = calloc(1, sizeof(*x));
    if (!x) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    x->bulk = bulk;
    x->next_line = 1;
    /* NOMUTEX: SQLite's own lock around every call (a dozen per row of a
       derived table) is not needed: the writer's idx_mu already keeps the
       two threads that use the connection apart. */
    int rc = sqlite3_open_v2(path, &x->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                 SQLITE_OPEN_NOMUTEX, NULL);
    /* A recording's index is written by the trace writer's thread while
       the shell may add a bookmark through a connection of its own: the
       one that finds the other's write lock waits for it (the shell's
       waits 2 s). */
    if (rc == SQLITE_OK && !bulk) {
        sqlite3_busy_timeout(x->db, 10000);
    }
    const char *pragmas = bulk
        ? "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
        : "PRAGMA synchronous=OFF; PRAGMA journal_mode=WAL; "
          /* synchronous first: the switch to WAL of the new, empty
             database then syncs nothing (four fdatasyncs, 0.7 ms of a
             recording's start). Back into the database every 32 pages
             (SQLite's default is 1000): the log of a recording's many
             small commits stayed near 4 MB, and reached a file-size
             limit before the files that hold the trace did (a full
             disk cut the recording at whichever file the timing of the
             commits picked).
             synchronous=OFF while recording: with NORMAL every one of
             those checkpoints synced the log and the database (85
             fdatasyncs in a Linux boot's recording, against the trace
             files' 18), for a file that is not authoritative (a reindex
             rebuilds it). A killed recorder leaves it intact all the
             same (the kernel has the writes); only a power loss may
             leave it for a reindex. tdb_index_finish syncs it.
             A page cache of 256 KiB (2 MiB by default): a recording only
             appends, to the last pages of a few tables and indexes, and
             filling the larger cache was 400 page faults of a Linux
             boot's recording and a quarter of its derived rows' CPU. */
          "PRAGMA wal_autocheckpoint=32; PRAGMA cache_size=-256;";
    char version[16];
    snprintf(version, sizeof(version), "%d", TDB_SCHEMA_VERSION);
    if (rc != SQLITE_OK ||
        sqlite3_exec(x->db, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(x->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(x->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path,
                 x->db ? sqlite3_errmsg(x->db) : "cannot open");
        tdb_index_close(x);
        return NULL;
    }
    /* The derived-event tables have their own owner (derived.c). The
       schema is one transaction: one write of each page to the WAL, not
       one per CREATE. */
    if (tdb_derived_schema(x->db, err, errlen) < 0) {
        tdb_index_close(x);
        return NULL;
    }
    if (sqlite3_exec(x->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(x->db));
        tdb_index_close(x);
        return NULL;
    }
    for (int i = 0; i < ST_COUNT; i++) {
        if (sqlite3_prepare_v2(x->db, stmt_sql[i], -1, &x->st[i], NULL) !=
            SQLITE_OK) {
            snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(x->db));
            tdb_index_close(x);
            return NULL;
        }
    }
    if (run(x, ST_META, "tt", "schema_version", version) < 0) {
        snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(x->db));
        tdb_index_close(x);
        return NULL;
    }
    return x;
}

static int meta_rows(TdbIndex *x, const TdbEvent *ev)
{
    TdbMeta m;
    const char *why;
    if (tdb_meta_decode(&m, ev->data, ev->len, &why) < 0) {
        snprintf(x->err, sizeof(x->err), "index.sqlite: %s", why);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < m.nkv && rc == 0; i++) {
        rc = run(x, ST_META, "tt", m.kv[i].key, m.kv[i].value);
        const char *k = m.kv[i].key;
        if (strncmp(k, "console.", 8) == 0 && k[8] >= '0' &&
            k[8] < '0' + TDB_SERIAL_PORTS && k[9] == 0) {
            snprintf(x->device[k[8] - '0'], sizeof(x->device[0]), "%s",
                     m.kv[i].value);
        }
    }
    for (size_t i = 0; i < m.nin && rc == 0; i++) {
        rc = run(x, ST_INPUT, "ttit", m.in[i].name, m.in[i].path,
                 m.in[i].size, m.in[i].hash);
    }
    tdb_meta_free(&m);
    return rc;
}

static int console_line(TdbIndex *x, unsigned port)
{
    TdbBuf *l = &x->line[port];
    int rc = run(x, ST_CONSOLE, "iinit", x->next_line, x->line_icount[port],
                 (const char *)l->p, (int)l->len, (uint64_t)port,
                 x->device[port][0] ? x->device[port] : NULL);
    x->next_line++;
    l->len = 0;
    return rc;
}

/* Console bytes of one port (CONSOLE: port 0, the UART). */
static int console_bytes(TdbIndex *x, unsigned port, const uint8_t *data,
                         uint32_t len, uint64_t icount)
{
    TdbBuf *l = &x->line[port];
    if (tdb_buf_reserve(l, CONSOLE_LINE_MAX) < 0) {
        snprintf(x->err, sizeof(x->err), "index.sqlite: out of memory");
        return -1;
    }
    x->line_icount[port] = icount;
    for (uint32_t i = 0; i < len; i++) {
        uint8_t c = data[i];
        if (c == '\n' || l->len == CONSOLE_LINE_MAX) {
            if (console_line(x, port) < 0) {
                return -1;
            }
        }
        if (c != '\n' && c != '\r') {
            l->p[l->len++] = c;
        }
    }
    return 0;
}

static int event_rows(TdbIndex *x, uint64_t frame, const TdbEvent *ev)
{
    char summary[200];
    tdb_event_describe(ev, summary, sizeof(summary));
    if (run(x, ST_EVENT, "itiiit", x->next_event, tdb_kind_name(ev->kind),
            ev->icount, (uint64_t)ev->hart, frame, summary) < 0) {
        return -1;
    }
    x->next_event++;
    switch (ev->kind) {
    case TDB_EV_META:
        return meta_rows(x, ev);
    case TDB_EV_CONSOLE:
        return console_bytes(x, 0, ev->data, ev->len, ev->icount);
    case TDB_EV_PORT_CONSOLE: {
        TdbEvSerial out;
        if (tdb_ev_port_console_decode(ev, &out, NULL, 0) != 0) {
            return 0;
        }
        return console_bytes(x, out.port, out.bytes, out.len, ev->icount);
    }
    case TDB_EV_CHECKPOINT: {
        /* Frames were checked (tdb_frame_check) before they get here. */
        TdbEvCheckpoint ck;
        char hash[17];
        if (tdb_ev_checkpoint_decode(ev, &ck, NULL, 0) != 0) {
            return 0;
        }
        snprintf(hash, sizeof(hash), "%016" PRIx64, ck.state_hash);
        return run(x, ST_CKPT, "iitii", x->next_ckpt++, ck.icount, hash,
                   ck.offset, ck.length);
    }
    case TDB_EV_NET_RX: {
        TdbEvNetRx rx;
        if (tdb_ev_net_rx_decode(ev, &rx, NULL, 0) != 0) {
            return 0;
        }
        return run(x, ST_NET_RX, "iii", ev->icount, (uint64_t)rx.port,
                   (uint64_t)rx.len);
    }
    default:
        return 0;
    }
}

int tdb_index_frame(TdbIndex *x, const TdbFrameInfo *f, const uint8_t *raw,
                    size_t len)
{
    if (sqlite3_exec(x->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        return fail(x, "begin");
    }
    int rc = run(x, ST_FRAME, "iiiiii", f->number, f->offset, f->length,
                 f->first_icount, f->last_icount, (uint64_t)f->n_events);
    TdbCursor c;
    TdbEvent ev;
    const char *why;
    tdb_cursor_init(&c, raw, len);
    while (rc == 0 && (rc = tdb_cursor_next(&c, &ev, &why)) > 0) {
        rc = event_rows(x, f->number, &ev);
    }
    if (rc < 0) {
        sqlite3_exec(x->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    if (sqlite3_exec(x->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        return fail(x, "commit");
    }
    return 0;
}

int tdb_index_finish(TdbIndex *x)
{
    for (unsigned p = 0; p < TDB_SERIAL_PORTS; p++) {
        if (x->line[p].len > 0 && console_line(x, p) < 0) {
            return -1;
        }
    }
    /* A recording's index is durable from here on: closing checkpoints
       the log into the database and syncs both. */
    if (!x->bulk &&
        sqlite3_exec(x->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) !=
        SQLITE_OK) {
        return fail(x, "synchronous");
    }
    /* A bulk-built index switches to WAL (a persistent setting) so that it
       behaves like one written during recording. */
    if (x->bulk &&
        sqlite3_exec(x->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) !=
        SQLITE_OK) {
        return fail(x, "journal_mode");
    }
    return 0;
}

struct sqlite3 *tdb_index_db(TdbIndex *x)
{
    return x ? x->db : NULL;
}

TdbDerivedStmts **tdb_index_derived_stmts(TdbIndex *x)
{
    return &x->derived;
}

const char *tdb_index_error(TdbIndex *x)
{
    return x->err;
}

void tdb_index_close(TdbIndex *x)
{
    if (!x) {
        return;
    }
    for (int i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(x->st[i]);
    }
    tdb_derived_stmts_free(x->derived);
    sqlite3_close(x->db);
    for (unsigned p = 0; p < TDB_SERIAL_PORTS; p++) {
        tdb_buf_free(&x->line[p]);
    }
    free(x);
}

/* "file:" URI for path with the given query; characters that mean
   something in a URI are %-escaped. */
static char *file_uri(const char *path, const char *query)
{
    size_t n = strlen(path);
    char *s = malloc(3 * n + strlen(query) + 16);
    if (!s) {
        return NULL;
    }
    char *o = s + sprintf(s, "file:");
    for (const char *p = path; *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#') {
            o += sprintf(o, "%%%02X", (unsigned char)*p);
        } else {
            *o++ = *p;
        }
    }
    sprintf(o, "?%s", query);
    return s;
}

struct sqlite3 *tdb_index_open_ro(const char *path, TdbIndexState *state,
                                  uint64_t complete_frames)
{
    struct stat st;
    *state = TDB_INDEX_MISSING;
    if (stat(path, &st) != 0) {
        return NULL;
    }
    *state = TDB_INDEX_UNUSABLE;
    if (!S_ISREG(st.st_mode)) {
        return NULL;   /* a FIFO would block SQLite's open() forever */
    }
    /* Without a -wal file no writer has the index open, and `immutable`
       lets SQLite read it without creating -wal/-shm files, so reading
       leaves the trace directory untouched. */
    size_t n = strlen(path) + 8;
    char *wal = malloc(n);
    if (!wal) {
        return NULL;
    }
    snprintf(wal, n, "%s-wal", path);
    bool live = stat(wal, &st) == 0;
    free(wal);
    if (live && !S_ISREG(st.st_mode)) {
        return NULL;
    }
    char *uri = file_uri(path, live ? "mode=ro" : "immutable=1");
    sqlite3 *db = NULL;
    if (!uri || sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY |
                                SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
        free(uri);
        sqlite3_close(db);
        return NULL;
    }
    free(uri);
    sqlite3_stmt *q = NULL;
    int64_t schema = -1, frames = -1;
    if (sqlite3_prepare_v2(db, "SELECT (SELECT value FROM meta WHERE key ="
                           " 'schema_version'), (SELECT COUNT(*) FROM frames)",
                           -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW &&
        sqlite3_column_type(q, 0) != SQLITE_NULL) {
        schema = sqlite3_column_int64(q, 0);
        frames = sqlite3_column_int64(q, 1);
    }
    sqlite3_finalize(q);
    if (schema < 1 || schema > TDB_SCHEMA_VERSION) {
        sqlite3_close(db);
        return NULL;
    }
    *state = (uint64_t)frames == complete_frames ? TDB_INDEX_OK
                                                  : TDB_INDEX_STALE;
    return db;
}

struct sqlite3 *tdb_index_open_query(const char *dir, char *err, size_t errlen)
{
    char *path = tdb_path(dir, TDB_INDEX_FILE);
    char *wal = path ? tdb_path(dir, TDB_INDEX_FILE "-wal") : NULL;
    char *uri = path ? file_uri(path, "mode=ro&immutable=1") : NULL;
    sqlite3 *db = NULL;
    struct stat st;
    if (!wal || !uri) {
        snprintf(err, errlen, "%s/%s: out of memory", dir, TDB_INDEX_FILE);
    } else if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: no index (rebuild it with 'rewind trace "
                 "reindex %s')", path, dir);
    } else if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
    } else if (stat(wal, &st) == 0) {
        snprintf(err, errlen, "%s exists: the index is being written (a "
                 "recording in progress) or its writer was killed; query it "
                 "when the recording has ended, or rebuild it with 'rewind "
                 "trace reindex %s'", wal, dir);
    } else if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
                               NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path,
                 db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_close(db);
        db = NULL;
    }
    free(uri);
    free(wal);
    free(path);
    return db;
}

int tdb_index_copy_bookmarks(TdbIndex *x, const char *old_path)
{
    TdbIndexState state;
    sqlite3 *old = tdb_index_open_ro(old_path, &state, 0);
    if (!old) {
        return 0;
    }
    sqlite3_stmt *q = NULL, *ins = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(old, "SELECT name, icount, note FROM bookmarks",
                           -1, &q, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(x->db, "INSERT OR REPLACE INTO bookmarks"
                           " VALUES(?,?,?)", -1, &ins, NULL) == SQLITE_OK) {
        while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
            for (int i = 0; i < 3; i++) {
                sqlite3_bind_value(ins, i + 1, sqlite3_column_value(q, i));
            }
            rc = sqlite3_step(ins) == SQLITE_DONE ? 0 : fail(x, "bookmarks");
            sqlite3_reset(ins);
        }
    }
    sqlite3_finalize(q);
    sqlite3_finalize(ins);
    sqlite3_close(old);
    return rc;
}
