/*
 * dindex.c - the shell commands over a trace's index (dindex.h): traps,
 * syscalls, sql, events, console, and the trap -> icount lookup.
 *
 * Every value that came from the trace is printed escaped (control
 * characters of a recorded console line never reach the terminal): the
 * index is as hostile as any file rewind reads.
 */
#include "shell/dindex.h"
#include "replay/inspect.h"
#include "tracedb/trace.h"

#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define PRIV_CHAR(p) ((p) == 0 ? 'U' : (p) == 1 ? 'S' : (p) == 3 ? 'M' : '?')

/* Text escaped as rewind query prints it. */
static char *escaped(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        return g_strdup("?");
    }
    if (s) {
        rr_query_escape(f, s, strlen(s));
    }
    fclose(f);
    return buf;
}

/* The index, read-only. A live session's trace is being recorded (its
   index has a -wal, which tdb_index_open_query refuses for a stranger's
   trace): read it through SQLite's WAL like any reader (mode=ro), rows
   flushed up to the last flush of the recording. */
/* A JSON string member of text from the trace: bytes that are not UTF-8
   become U+FFFD, so the line stays valid JSON. */
static void json_text(ShOut *out, const char *key, const char *raw)
{
    if (!raw) {
        sh_json_str(out, key, NULL);
        return;
    }
    char *v = g_utf8_make_valid(raw, -1);
    sh_json_str(out, key, v);
    g_free(v);
}

static sqlite3 *open_index(const char *dir, ShOut *out)
{
    char err[1024];
    sqlite3 *db = tdb_index_open_query(dir, err, sizeof(err));
    if (db) {
        return db;
    }
    char *wal = g_strdup_printf("%s/index.sqlite-wal", dir);
    bool live = g_file_test(wal, G_FILE_TEST_IS_REGULAR);
    g_free(wal);
    if (live) {
        char *rel = g_strdup_printf("%s/index.sqlite", dir);
        char *path = g_canonicalize_filename(rel, NULL);   /* a URI's path */
        char *uri = g_filename_to_uri(path, NULL, NULL);
        g_free(rel);
        char *ro = uri ? g_strdup_printf("%s?mode=ro", uri) : NULL;
        if (ro && sqlite3_open_v2(ro, &db, SQLITE_OPEN_READONLY |
                                  SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
            sqlite3_close(db);
            db = NULL;
        }
        g_free(ro);
        g_free(uri);
        g_free(path);
        if (db) {
            return db;
        }
    }
    sh_error(out, "%s", err);
    return NULL;
}

/* The derived tables exist (a recording or `rewind trace index` made
   them): else an error naming the command that builds them. */
static bool have_derived(sqlite3 *db, const char *dir, ShOut *out)
{
    sqlite3_stmt *q = NULL;
    /* Built (derived_by: written by a recording from its first flush, or
       by trace index), or rows of some other writer; empty tables of a
       --no-derived recording or a schema-2 index are not an index. */
    bool ok = sqlite3_prepare_v2(db, "SELECT EXISTS(SELECT 1 FROM meta WHERE"
                                 " key = 'derived_by') OR EXISTS(SELECT 1"
                                 " FROM traps)", -1, &q, NULL) == SQLITE_OK &&
              sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    if (!ok) {
        sh_error(out, "%s/index.sqlite has no derived-event index (an older "
                 "trace, or recorded with --no-derived): build it with "
                 "'rewind trace index %s'", dir, dir);
    }
    return ok;
}

/* A note when the tables stop before the end (killed recorder). */
static void partial_note(sqlite3 *db, ShOut *out)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key ="
                           " 'derived_icount'", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) != SQLITE_ROW) {
        sh_printf(out, "(partial: rows of a recording still running, or "
                  "killed; 'rewind trace index' rebuilds them)\n");
        sh_json_bool(out, "partial", true);
    }
    sqlite3_finalize(q);
}

static bool parse_icount(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-' || *s == '+') {
        return false;
    }
    unsigned long long x = strtoull(s, &end, 0);
    if (*end || errno) {
        return false;
    }
    *v = x;
    return true;
}

/* [FROM TO] at argv[i..]: false with the error set. */
static bool parse_range(int argc, char **argv, int i, const char *usage,
                        uint64_t *from, uint64_t *to, ShOut *out)
{
    *from = 0;
    *to = INT64_MAX;
    if (argc == i) {
        return true;
    }
    if (argc != i + 2) {
        sh_error(out, "usage: %s", usage);
        return false;
    }
    if (!parse_icount(argv[i], from) || !parse_icount(argv[i + 1], to)) {
        sh_error(out, "bad range '%s %s': give two icounts FROM TO "
                 "(decimal or 0x hex)", argv[i], argv[i + 1]);
        return false;
    }
    if (*from > *to || *to > INT64_MAX) {
        sh_error(out, "bad range '%s %s': FROM must not be after TO",
                 argv[i], argv[i + 1]);
        return false;
    }
    return true;
}

/* Prepares sql and binds the range to ?1 ?2. NULL with the error set. */
static sqlite3_stmt *prepare_range(sqlite3 *db, const char *sql,
                                   uint64_t from, uint64_t to, ShOut *out)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
        sh_error(out, "index.sqlite: %s", sqlite3_errmsg(db));
        sqlite3_finalize(q);
        return NULL;
    }
    sqlite3_bind_int64(q, 1, (sqlite3_int64)from);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)to);
    return q;
}

/* The next row of q; false at the end, and from then on (sqlite3_step
   would start the statement over after SQLITE_DONE). */
static bool next_row(sqlite3_stmt *q, bool *done)
{
    if (!*done && sqlite3_step(q) == SQLITE_ROW) {
        return true;
    }
    *done = true;
    return false;
}

/* After the rows: the count, and how many more there were. */
static void more_note(sqlite3_stmt *q, bool done, uint64_t shown, ShOut *out)
{
    uint64_t more = 0;
    while (next_row(q, &done)) {
        more++;
    }
    sh_json_end(out);
    sh_json_u64(out, "count", shown + more);
    if (more) {
        sh_printf(out, "... %" PRIu64 " more (give a range FROM TO)\n", more);
        sh_json_bool(out, "truncated", true);
    }
}

#define U64(q, c) ((uint64_t)sqlite3_column_int64((q), (c)))

int sh_dix_traps(const char *dir, int argc, char **argv, ShOut *out)
{
    uint64_t from, to;
    if (!parse_range(argc, argv, 1, "traps [FROM TO]", &from, &to, out)) {
        return -1;
    }
    sqlite3 *db = open_index(dir, out);
    if (!db) {
        return -1;
    }
    sqlite3_stmt *q = NULL;
    if (!have_derived(db, dir, out) ||
        !(q = prepare_range(db, "SELECT id, icount, hart, cause, irq, pc,"
                            " tval, priv_from, priv_to FROM traps WHERE"
                            " icount BETWEEN ?1 AND ?2 ORDER BY id", from, to,
                            out))) {
        sqlite3_close(db);
        return -1;
    }
    partial_note(db, out);
    sh_json_begin_array(out, "traps");
    uint64_t n = 0;
    bool done = false;
    while (n < SH_DIX_MAX_ROWS && next_row(q, &done)) {
        uint64_t id = U64(q, 0), icount = U64(q, 1), pc = U64(q, 5);
        uint64_t tval = U64(q, 6);
        unsigned hart = (unsigned)U64(q, 2), cause = (unsigned)U64(q, 3);
        bool irq = U64(q, 4) != 0;
        unsigned pf = (unsigned)U64(q, 7), pt = (unsigned)U64(q, 8);
        const char *name = sh_dix_cause_name(irq, cause);
        sh_printf(out, "#%-6" PRIu64 " icount %-12" PRIu64 " hart %u %s %2u %-18s"
                  " pc 0x%016" PRIx64 " tval 0x%" PRIx64 " %c->%c\n", id,
                  icount, hart, irq ? "irq" : "exc", cause, name, pc, tval,
                  PRIV_CHAR(pf), PRIV_CHAR(pt));
        sh_json_begin_object(out, NULL);
        sh_json_u64(out, "n", id);
        sh_json_u64(out, "icount", icount);
        sh_json_u64(out, "hart", hart);
        sh_json_bool(out, "irq", irq);
        sh_json_u64(out, "cause", cause);
        sh_json_str(out, "name", name);
        sh_json_u64(out, "pc", pc);
        sh_json_u64(out, "tval", tval);
        sh_json_u64(out, "priv_from", pf);
        sh_json_u64(out, "priv_to", pt);
        sh_json_end(out);
        n++;
    }
    if (n == 0) {
        sh_printf(out, "no traps%s\n", argc > 1 ? " in that range" : "");
    }
    more_note(q, done, n, out);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return 0;
}

/* "write(0x1, 0x3fffffe000, 0xc)" or "sbi TIME fid 0 (0x..)" */
static void syscall_text(GString *s, unsigned priv, uint64_t nr,
                         const uint64_t *a, const char **name_out)
{
    unsigned nargs = 6;
    const char *name = NULL;
    if (priv == 0) {
        name = sh_dix_syscall_name(nr, &nargs);
        if (name) {
            g_string_append(s, name);
        } else {
            g_string_append_printf(s, "syscall_%" PRIu64, nr);
        }
        g_string_append_c(s, '(');
        for (unsigned i = 0; i < nargs; i++) {
            g_string_append_printf(s, "%s0x%" PRIx64, i ? ", " : "", a[i]);
        }
        g_string_append_c(s, ')');
    } else {
        name = priv == 1 ? sh_dix_sbi_name(nr) : NULL;
        if (name) {
            g_string_append_printf(s, "sbi %s", name);
        } else {
            g_string_append_printf(s, "%s 0x%" PRIx64, priv == 1 ? "sbi" :
                                   "ecall", nr);
        }
        /* a6 is the SBI function, a0..a2 the first arguments. */
        g_string_append_printf(s, " fid %" PRIu64 " (0x%" PRIx64 ", 0x%" PRIx64
                               ", 0x%" PRIx64 ")", a[6], a[0], a[1], a[2]);
    }
    *name_out = name;
}

int sh_dix_syscalls(const char *dir, int argc, char **argv, ShOut *out)
{
    const char *usage = "syscalls [user|sbi] [FROM TO]";
    int i = 1;
    int64_t priv = -1;     /* any */
    if (argc > 1 && (strcmp(argv[1], "user") == 0 ||
                     strcmp(argv[1], "sbi") == 0)) {
        priv = argv[1][0] == 'u' ? 0 : 1;
        i = 2;
    }
    uint64_t from, to;
    if (!parse_range(argc, argv, i, usage, &from, &to, out)) {
        return -1;
    }
    sqlite3 *db = open_index(dir, out);
    if (!db) {
        return -1;
    }
    sqlite3_stmt *q = NULL;
    if (!have_derived(db, dir, out) ||
        !(q = prepare_range(db, "SELECT trap, icount, hart, priv, nr, a0, a1,"
                            " a2, a3, a4, a5, a6 FROM ecalls WHERE icount"
                            " BETWEEN ?1 AND ?2 AND (?3 < 0 OR priv = ?3)"
                            " ORDER BY trap", from, to, out))) {
        sqlite3_close(db);
        return -1;
    }
    sqlite3_bind_int64(q, 3, priv);
    partial_note(db, out);
    sh_json_begin_array(out, "syscalls");
    uint64_t n = 0;
    bool done = false;
    GString *call = g_string_new(NULL);
    while (n < SH_DIX_MAX_ROWS && next_row(q, &done)) {
        uint64_t a[7];
        for (int i = 0; i < 7; i++) {
            a[i] = U64(q, 5 + i);
        }
        unsigned priv = (unsigned)U64(q, 3);
        uint64_t nr = U64(q, 4);
        const char *name;
        g_string_truncate(call, 0);
        syscall_text(call, priv, nr, a, &name);
        sh_printf(out, "icount %-12" PRIu64 " hart %u %c %s\n", U64(q, 1),
                  (unsigned)U64(q, 2), PRIV_CHAR(priv), call->str);
        sh_json_begin_object(out, NULL);
        sh_json_u64(out, "trap", U64(q, 0));
        sh_json_u64(out, "icount", U64(q, 1));
        sh_json_u64(out, "hart", U64(q, 2));
        sh_json_u64(out, "priv", priv);
        sh_json_u64(out, "nr", nr);
        sh_json_str(out, "name", name);
        sh_json_begin_array(out, "args");
        for (int i = 0; i < 6; i++) {
            sh_json_u64(out, NULL, a[i]);
        }
        sh_json_end(out);
        sh_json_end(out);
        n++;
    }
    g_string_free(call, TRUE);
    if (n == 0) {
        sh_printf(out, "no system calls%s\n", argc > 1 ? " there" : "");
    }
    more_note(q, done, n, out);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return 0;
}

int sh_dix_trap_icount(const char *dir, uint64_t n, uint64_t *icount,
                       ShOut *out)
{
    sqlite3 *db = open_index(dir, out);
    if (!db) {
        return -1;
    }
    sqlite3_stmt *q = NULL;
    int rc = -1;
    if (have_derived(db, dir, out) &&
        (q = prepare_range(db, "SELECT icount, (SELECT COUNT(*) FROM traps)"
                           " FROM traps WHERE id = ?1", n, 0, out))) {
        if (sqlite3_step(q) == SQLITE_ROW) {
            *icount = U64(q, 0);
            rc = 0;
        } else {
            sqlite3_stmt *c = NULL;
            uint64_t count = 0;
            if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM traps", -1, &c,
                                   NULL) == SQLITE_OK &&
                sqlite3_step(c) == SQLITE_ROW) {
                count = U64(c, 0);
            }
            sqlite3_finalize(c);
            sh_error(out, "no trap %" PRIu64 ": the trace has %" PRIu64
                     " traps, numbered from 1", n, count);
        }
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    return rc;
}

int sh_dix_trap_back(const char *dir, unsigned hart, uint64_t before,
                     unsigned priv, const uint64_t *pcs, unsigned npcs,
                     unsigned skip, ShDixTrap *t, ShOut *out)
{
    sqlite3 *db = open_index(dir, out);
    if (!db) {
        return -1;
    }
    sqlite3_stmt *q = NULL;
    int rc = -1;
    if (have_derived(db, dir, out) &&
        (q = prepare_range(db, "SELECT id, icount, cause, irq, pc FROM traps"
                           " WHERE hart = ?1 AND icount <= ?2 AND priv_from ="
                           " ?3 AND pc IN (?4, ?5, ?6) ORDER BY icount DESC,"
                           " id DESC LIMIT 1 OFFSET ?7", hart, before, out))) {
        sqlite3_bind_int64(q, 3, priv);
        for (unsigned i = 0; i < 3; i++) {
            uint64_t pc = pcs[i < npcs ? i : 0];
            sqlite3_bind_int64(q, 4 + (int)i, (sqlite3_int64)pc);
        }
        sqlite3_bind_int64(q, 7, skip);
        rc = 0;
        if (sqlite3_step(q) == SQLITE_ROW) {
            *t = (ShDixTrap){ .id = U64(q, 0), .icount = U64(q, 1),
                              .cause = U64(q, 2), .irq = U64(q, 3) != 0,
                              .pc = U64(q, 4) };
            rc = 1;
        }
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    return rc;
}

/* ---- sql ---- */

typedef struct SqlRows {
    ShOut *out;
    bool open;         /* a statement's object is open (in its "rows") */
} SqlRows;

/* JSON: one {"columns":[...],"rows":[[...],...]} per statement. */
static void sql_row(void *opaque, int ncols, const char *const *vals,
                    bool header)
{
    SqlRows *r = opaque;
    ShOut *out = r->out;
    if (header) {
        if (r->open) {
            sh_json_end(out);
            sh_json_end(out);
        }
        sh_json_begin_object(out, NULL);
        sh_json_begin_array(out, "columns");
    } else {
        sh_json_begin_array(out, NULL);
    }
    for (int c = 0; c < ncols; c++) {
        char *e = vals[c] ? escaped(vals[c]) : g_strdup("NULL");
        sh_printf(out, "%s%s", c ? "\t" : "", e);
        free(e);
        json_text(out, NULL, vals[c]);
    }
    sh_printf(out, "\n");
    sh_json_end(out);
    if (header) {
        sh_json_begin_array(out, "rows");
        r->open = true;
    }
}

int sh_dix_sql(const char *dir, int argc, char **argv, ShOut *out)
{
    if (argc < 2) {
        return sh_error(out, "usage: sql SELECT ... (read-only SQL on the "
                        "trace's index)");
    }
    GString *sql = g_string_new(NULL);
    for (int i = 1; i < argc; i++) {
        g_string_append_printf(sql, "%s%s", i > 1 ? " " : "", argv[i]);
    }
    /* "results": one array per statement, its first row the column names. */
    sh_json_begin_array(out, "results");
    SqlRows r = { out, false };
    bool truncated;
    char err[1024];
    int rc = rr_query_rows(dir, sql->str, sql_row, &r, SH_DIX_MAX_ROWS,
                           &truncated, err, sizeof(err));
    if (r.open) {
        sh_json_end(out);
        sh_json_end(out);
    }
    sh_json_end(out);
    g_string_free(sql, TRUE);
    if (rc != 0) {
        char *e = escaped(err);
        sh_error(out, "sql: %s", e);
        free(e);
        return -1;
    }
    if (truncated) {
        sh_printf(out, "... stopped after %d rows (add a LIMIT)\n",
                  SH_DIX_MAX_ROWS);
        sh_json_bool(out, "truncated", true);
    }
    return 0;
}

/* ---- events ---- */

int sh_dix_events(const char *dir, int argc, char **argv, ShOut *out)
{
    const char *usage = "events [KIND] [FROM TO]";
    int i = 1;
    const char *kind = NULL;
    if (argc == 2 || argc == 4) {
        kind = argv[1];
        i = 2;
        if (tdb_kind_parse(kind) < 0) {
            GString *kinds = g_string_new(NULL);
            for (uint32_t k = 1; k < 64; k++) {
                const char *n = tdb_kind_name(k);
                if (strcmp(n, "UNKNOWN") != 0) {
                    g_string_append_printf(kinds, "%s%s", kinds->len ? " " : "",
                                           n);
                }
            }
            char *e = escaped(kind);
            sh_error(out, "unknown event kind '%s' (kinds: %s)", e, kinds->str);
            free(e);
            g_string_free(kinds, TRUE);
            return -1;
        }
        kind = tdb_kind_name((uint32_t)tdb_kind_parse(kind));
    }
    uint64_t from, to;
    if (argc > 4 || !parse_range(argc, argv, i, usage, &from, &to, out)) {
        if (!sh_failed(out)) {
            sh_error(out, "usage: %s", usage);
        }
        return -1;
    }
    sqlite3 *db = open_index(dir, out);
    if (!db) {
        return -1;
    }
    sqlite3_stmt *q = prepare_range(db, "SELECT id, kind, icount, hart,"
                                    " summary FROM events WHERE icount BETWEEN"
                                    " ?1 AND ?2 AND (?3 IS NULL OR kind = ?3)"
                                    " ORDER BY id", from, to, out);
    if (!q) {
        sqlite3_close(db);
        return -1;
    }
    sqlite3_bind_text(q, 3, kind, -1, SQLITE_STATIC);
    sh_json_begin_array(out, "events");
    uint64_t n = 0;
    bool done = false;
    while (n < SH_DIX_MAX_ROWS && next_row(q, &done)) {
        const char *k = (const char *)sqlite3_column_text(q, 1);
        char *sum = escaped((const char *)sqlite3_column_text(q, 4));
        char *ke = escaped(k);
        sh_printf(out, "#%-6" PRIu64 " icount %-12" PRIu64 " hart %u %-10s %s\n",
                  U64(q, 0), U64(q, 2), (unsigned)U64(q, 3), ke, sum);
        sh_json_begin_object(out, NULL);
        sh_json_u64(out, "n", U64(q, 0));
        json_text(out, "kind", k);
        sh_json_u64(out, "icount", U64(q, 2));
        sh_json_u64(out, "hart", U64(q, 3));
        json_text(out, "summary", (const char *)sqlite3_column_text(q, 4));
        sh_json_end(out);
        free(sum);
        free(ke);
        n++;
    }
    if (n == 0) {
        sh_printf(out, "no events\n");
    }
    more_note(q, done, n, out);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return 0;
}

/* ---- console ---- */

int sh_dix_console(const char *dir, int argc, char **argv, ShOut *out)
{
    GRegex *re = NULL;
    if (argc > 2) {
        return sh_error(out, "usage: console [/REGEX/]");
    }
    if (argc == 2) {
        const char *a = argv[1];
        size_t len = strlen(a);
        if (len < 2 || a[0] != '/' || a[len - 1] != '/') {
            return sh_error(out, "console: write the pattern as /REGEX/");
        }
        char *pat = g_strndup(a + 1, len - 2);
        GError *gerr = NULL;
        re = g_regex_new(pat, G_REGEX_OPTIMIZE, 0, &gerr);
        g_free(pat);
        if (!re) {
            sh_error(out, "console: bad regex %s: %s", a, gerr->message);
            g_error_free(gerr);
            return -1;
        }
    }
    sqlite3 *db = open_index(dir, out);
    if (!db) {
        if (re) {
            g_regex_unref(re);
        }
        return -1;
    }
    sqlite3_stmt *q = prepare_range(db, "SELECT line, icount, text FROM"
                                    " console ORDER BY line", 0, 0, out);
    if (!q) {
        sqlite3_close(db);
        if (re) {
            g_regex_unref(re);
        }
        return -1;
    }
    sh_json_begin_array(out, "lines");
    uint64_t n = 0, more = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(q, 2);
        text = text ? text : "";
        /* Matching on the raw bytes: a non-UTF-8 line matches nothing
           rather than failing (GRegex wants UTF-8). */
        if (re && (!g_utf8_validate(text, -1, NULL) ||
                   !g_regex_match(re, text, 0, NULL))) {
            continue;
        }
        if (n == SH_DIX_MAX_ROWS) {
            more++;
            continue;
        }
        char *e = escaped(text);
        sh_printf(out, "%6" PRIu64 "  icount %-12" PRIu64 " %s\n", U64(q, 0),
                  U64(q, 1), e);
        free(e);
        sh_json_begin_object(out, NULL);
        sh_json_u64(out, "line", U64(q, 0));
        sh_json_u64(out, "icount", U64(q, 1));
        json_text(out, "text", text);
        sh_json_end(out);
        n++;
    }
    sh_json_end(out);
    sh_json_u64(out, "count", n + more);
    if (more) {
        sh_printf(out, "... %" PRIu64 " more lines (narrow the /REGEX/)\n",
                  more);
        sh_json_bool(out, "truncated", true);
    } else if (n == 0) {
        sh_printf(out, "no console lines%s\n", re ? " match" : "");
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    if (re) {
        g_regex_unref(re);
    }
    return 0;
}
