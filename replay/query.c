/*
 * `rewind query [--timeout S] [--max-memory MIB] DIR "SQL"`: SQL typed by a
 * user (or pasted from somewhere) against a trace's index, which itself may
 * come from anyone. Nothing it runs may write a file, reach outside the
 * index, leak a host pointer or run without bound, so every layer says no
 * on its own:
 *   - the index is opened read-only and immutable (tdb_index_open_query):
 *     no -wal/-shm/journal files, no locks, fine in a read-only directory;
 *   - SQLite's defensive mode, no extension loading, no fts3_tokenizer,
 *     untrusted schema (a hostile index's views get no side effects), no
 *     ATTACH, temporary tables in memory (no temp files);
 *   - an authorizer that allows only reading: SELECT, reading columns,
 *     recursive CTEs, the read-only PRAGMAs, and functions other than those
 *     that touch files or return pointers;
 *   - statements that would write (VACUUM INTO has no authorizer code) are
 *     refused before their first step, by sqlite3_stmt_readonly();
 *   - a CPU-time bound (progress handler) and a heap bound
 *     (sqlite3_hard_heap_limit64), each with its own message.
 * Output is tab-separated; control characters, backslashes, C1 controls
 * and bytes that are not UTF-8 are escaped (\t \n \r \\ \xNN \u009b), so a
 * recorded `ESC [6n` prints as text and never reaches the terminal.
 */
#include "replay/inspect.h"
#include "tracedb/trace.h"

#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define QUERY_DEFAULT_SECONDS 60
#define QUERY_DEFAULT_MIB 512
/* VM instructions between two looks at the clock. */
#define QUERY_PROGRESS_STEPS 10000

typedef struct Query {
    struct timespec start;
    double limit_s;
    bool timed_out;
    char denied[256];   /* what the authorizer refused, for the message */
} Query;

/* Bytes of the UTF-8 sequence starting at s (n bytes left) and its code
   point, or 0 when it is not well-formed (overlong, surrogate, cut). */
static int utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
    int len;
    uint32_t c, min;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    } else if ((s[0] & 0xe0) == 0xc0) {
        len = 2, c = s[0] & 0x1f, min = 0x80;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3, c = s[0] & 0x0f, min = 0x800;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4, c = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if ((size_t)len > n) {
        return 0;
    }
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return 0;
    }
    *cp = c;
    return len;
}

/* Writes n bytes of s with everything a terminal could act on escaped. */
static void put_escaped(FILE *f, const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        int len = utf8_seq(s + i, n - i, &cp);
        if (len == 0) {
            fprintf(f, "\\x%02x", s[i]);
            i++;
            continue;
        }
        if (cp == '\t') {
            fputs("\\t", f);
        } else if (cp == '\n') {
            fputs("\\n", f);
        } else if (cp == '\r') {
            fputs("\\r", f);
        } else if (cp == '\\') {
            fputs("\\\\", f);
        } else if (cp < 0x20 || cp == 0x7f) {
            fprintf(f, "\\x%02x", (unsigned)cp);
        } else if (cp >= 0x80 && cp < 0xa0) {
            fprintf(f, "\\u%04x", (unsigned)cp);   /* C1: 0x9b is CSI */
        } else {
            fwrite(s + i, 1, (size_t)len, f);
        }
        i += (size_t)len;
    }
}

void rr_query_escape(FILE *f, const char *s, size_t n)
{
    put_escaped(f, (const unsigned char *)s, n);
}

static void put_escaped_str(FILE *f, const char *s)
{
    put_escaped(f, (const unsigned char *)s, strlen(s));
}

/* CPU time, not wall time: a reader paging through the output in `less`
   blocks the process without the query costing anything. */
static double elapsed_s(const Query *q)
{
    struct timespec now;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return (double)(now.tv_sec - q->start.tv_sec) +
           (double)(now.tv_nsec - q->start.tv_nsec) / 1e9;
}

static int progress(void *opaque)
{
    Query *q = opaque;
    if (elapsed_s(q) > q->limit_s) {
        q->timed_out = true;
        return 1;   /* interrupts the statement */
    }
    return 0;
}

static bool name_in(const char *name, const char *const *list)
{
    for (; name && *list; list++) {
        if (sqlite3_stricmp(name, *list) == 0) {
            return true;
        }
    }
    return false;
}

/* PRAGMAs that only report, whatever their argument (a table name). */
static const char *const pragma_report[] = {
    "table_info", "table_xinfo", "table_list", "index_list", "index_info",
    "index_xinfo", "foreign_key_list", "foreign_key_check", "collation_list",
    "function_list", "module_list", "pragma_list", "database_list",
    "compile_options", "integrity_check", "quick_check", NULL,
};
/* PRAGMAs that report without an argument and set something with one. */
static const char *const pragma_getter[] = {
    "page_count", "page_size", "freelist_count", "user_version",
    "schema_version", "application_id", "encoding", "data_version",
    "journal_mode", "query_only", "max_page_count", NULL,
};
/* Functions that touch files, load code or hand out host pointers. */
static const char *const function_denied[] = {
    "load_extension", "fts3_tokenizer", "fts5", "fts5_source_id",
    "readfile", "writefile", "edit", NULL,
};

static int authorize(void *opaque, int action, const char *a, const char *b,
                     const char *db, const char *trigger)
{
    Query *q = opaque;
    (void)db;
    (void)trigger;
    switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE:
        return SQLITE_OK;
    case SQLITE_FUNCTION:
        if (!name_in(b, function_denied)) {
            return SQLITE_OK;
        }
        snprintf(q->denied, sizeof(q->denied), "function %s()", b);
        return SQLITE_DENY;
    case SQLITE_PRAGMA:
        if (name_in(a, pragma_report) || (!b && name_in(a, pragma_getter))) {
            return SQLITE_OK;
        }
        snprintf(q->denied, sizeof(q->denied), "PRAGMA %s%s%s", a ? a : "?",
                 b ? " = " : "", b ? b : "");
        return SQLITE_DENY;
    case SQLITE_ATTACH:
        snprintf(q->denied, sizeof(q->denied), "ATTACH");
        return SQLITE_DENY;
    case SQLITE_DETACH:
        snprintf(q->denied, sizeof(q->denied), "DETACH");
        return SQLITE_DENY;
    case SQLITE_UPDATE:
        /* Table-valued functions (json_each, pragma_table_info) ask this
           for sqlite_master's columns while SQLite declares theirs; a real
           UPDATE of sqlite_master is refused by SQLite itself, by the
           read-only check below and by the read-only file. */
        if (sqlite3_stricmp(a, "sqlite_master") == 0) {
            return SQLITE_OK;
        }
        /* fall through */
    case SQLITE_INSERT:
    case SQLITE_DELETE:
        snprintf(q->denied, sizeof(q->denied), "%s", action == SQLITE_INSERT
                 ? "INSERT" : action == SQLITE_UPDATE ? "UPDATE" : "DELETE");
        return SQLITE_DENY;
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
        snprintf(q->denied, sizeof(q->denied), "a transaction (%s)",
                 a ? a : "?");
        return SQLITE_DENY;
    default:
        snprintf(q->denied, sizeof(q->denied), "a statement that changes the "
                 "schema or the connection");
        return SQLITE_DENY;
    }
}

/* SQLite settings and bounds for an untrusted statement. 0 or -1. */
static int harden(sqlite3 *db, Query *q, uint64_t max_mib)
{
    static const int off[] = {
        SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER,
        SQLITE_DBCONFIG_TRUSTED_SCHEMA, SQLITE_DBCONFIG_ENABLE_TRIGGER,
    };
    for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
        if (sqlite3_db_config(db, off[i], 0, (int *)NULL) != SQLITE_OK) {
            return -1;
        }
    }
    if (sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL) !=
        SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL) !=
        SQLITE_OK) {
        return -1;
    }
    sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
    sqlite3_hard_heap_limit64((sqlite3_int64)(max_mib << 20));
    sqlite3_progress_handler(db, QUERY_PROGRESS_STEPS, progress, q);
    return sqlite3_set_authorizer(db, authorize, q) == SQLITE_OK ? 0 : -1;
}

/* "rewind: query: WHAT: why" for the failed statement. */
static void query_error(sqlite3 *db, const Query *q, int rc, uint64_t max_mib)
{
    fputs("rewind: query: ", stderr);
    if (q->timed_out) {
        fprintf(stderr, "stopped after %.0f s of CPU time, the time limit "
                "(--timeout SECONDS raises it)\n", q->limit_s);
    } else if (rc == SQLITE_NOMEM) {
        fprintf(stderr, "needs more than %" PRIu64 " MiB of memory, the "
                "limit (--max-memory MIB raises it)\n", max_mib);
    } else if (q->denied[0]) {
        put_escaped_str(stderr, q->denied);
        fputs(" is not allowed: query only reads the index\n", stderr);
    } else {
        put_escaped_str(stderr, sqlite3_errmsg(db));
        fputs("\n", stderr);
    }
}

/* Prints one statement's header and rows. 0 or the failing SQLite code. */
static int print_rows(sqlite3_stmt *st)
{
    int cols = sqlite3_column_count(st);
    for (int c = 0; c < cols; c++) {
        fputs(c ? "\t" : "", stdout);
        put_escaped_str(stdout, sqlite3_column_name(st, c));
    }
    if (cols) {
        fputs("\n", stdout);
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < cols; c++) {
            fputs(c ? "\t" : "", stdout);
            const unsigned char *v = sqlite3_column_text(st, c);
            if (v) {
                put_escaped(stdout, v, (size_t)sqlite3_column_bytes(st, c));
            } else {
                fputs("NULL", stdout);
            }
        }
        fputs("\n", stdout);
    }
    return rc == SQLITE_DONE ? 0 : rc;
}

static bool parse_limit(const char *opt, const char *s, uint64_t max,
                        uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || s[0] == '-' || v == 0 || v > max) {
        fprintf(stderr, "rewind: query: %s: '%s' is not a number from 1 to %"
                PRIu64 "\n", opt, s, max);
        return false;
    }
    *out = v;
    return true;
}

int rr_cmd_query(int argc, char **argv)
{
    uint64_t seconds = QUERY_DEFAULT_SECONDS, max_mib = QUERY_DEFAULT_MIB;
    const char *pos[2];
    int npos = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            if (!parse_limit("--timeout", argv[++i], 86400, &seconds)) {
                return 1;
            }
        } else if (strcmp(argv[i], "--max-memory") == 0 && i + 1 < argc) {
            if (!parse_limit("--max-memory", argv[++i], 1 << 20, &max_mib)) {
                return 1;
            }
        } else if (npos < 2 && (npos == 1 || argv[i][0] != '-')) {
            pos[npos++] = argv[i];
        } else {
            npos = -1;
            break;
        }
    }
    if (npos != 2) {
        fprintf(stderr, "rewind: usage: rewind query [--timeout SECONDS] "
                "[--max-memory MIB] DIR \"SQL\"\n");
        return 1;
    }
    const char *dir = pos[0];
    char err[1024];
    sqlite3 *db = tdb_index_open_query(dir, err, sizeof(err));
    if (!db) {
        fprintf(stderr, "rewind: %s\n", err);
        return 2;
    }
    Query q = { .limit_s = (double)seconds };
    if (harden(db, &q, max_mib) != 0) {
        fprintf(stderr, "rewind: %s/index.sqlite: cannot restrict SQLite: %s\n",
                dir, sqlite3_errmsg(db));
        sqlite3_close(db);
        return 2;
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &q.start);
    const char *tail = pos[1];
    int status = 0;
    while (status == 0 && tail && *tail) {
        sqlite3_stmt *st = NULL;
        q.denied[0] = '\0';
        int rc = sqlite3_prepare_v2(db, tail, -1, &st, &tail);
        if (rc != SQLITE_OK) {
            query_error(db, &q, rc, max_mib);
            status = 1;
        } else if (!st) {
            break;   /* trailing whitespace or comment */
        } else if (!sqlite3_stmt_readonly(st)) {
            fputs("rewind: query: '", stderr);
            put_escaped_str(stderr, sqlite3_sql(st));
            fputs("' would write: query only reads the index\n", stderr);
            status = 1;
        } else if ((rc = print_rows(st)) != 0) {
            fflush(stdout);
            query_error(db, &q, rc, max_mib);
            status = 1;
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return status;
}

/* query_error's message, into err (for rr_query_rows). */
static void query_error_str(sqlite3 *db, const Query *q, int rc,
                            uint64_t max_mib, char *err, size_t errlen)
{
    if (q->timed_out) {
        snprintf(err, errlen, "stopped after %.0f s of CPU time, the time "
                 "limit", q->limit_s);
    } else if (rc == SQLITE_NOMEM) {
        snprintf(err, errlen, "needs more than %" PRIu64 " MiB of memory, "
                 "the limit", max_mib);
    } else if (q->denied[0]) {
        snprintf(err, errlen, "%s is not allowed: sql only reads the index",
                 q->denied);
    } else {
        snprintf(err, errlen, "%s", sqlite3_errmsg(db));
    }
}

int rr_query_rows(const char *dir, const char *sql, RRQueryRowFn row,
                  void *opaque, uint64_t max_rows, bool *truncated,
                  char *err, size_t errlen)
{
    *truncated = false;
    sqlite3 *db = tdb_index_open_query(dir, err, errlen);
    if (!db) {
        return -1;
    }
    Query q = { .limit_s = QUERY_DEFAULT_SECONDS };
    if (harden(db, &q, QUERY_DEFAULT_MIB) != 0) {
        snprintf(err, errlen, "%s/index.sqlite: cannot restrict SQLite: %s",
                 dir, sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &q.start);
    const char *tail = sql;
    int status = 0;
    uint64_t rows = 0;
    while (status == 0 && tail && *tail && !*truncated) {
        sqlite3_stmt *st = NULL;
        q.denied[0] = '\0';
        int rc = sqlite3_prepare_v2(db, tail, -1, &st, &tail);
        if (rc != SQLITE_OK) {
            query_error_str(db, &q, rc, QUERY_DEFAULT_MIB, err, errlen);
            status = -1;
        } else if (!st) {
            break;
        } else if (sqlite3_stmt_readonly(st) == 0) {   /* VACUUM INTO */
            snprintf(err, errlen, "'%s' would write: sql only reads the index",
                     sqlite3_sql(st));
            status = -1;
        } else {
            int cols = sqlite3_column_count(st);
            const char **vals = calloc((size_t)cols + 1, sizeof(*vals));
            for (int c = 0; c < cols; c++) {
                vals[c] = sqlite3_column_name(st, c);
            }
            if (cols) {
                row(opaque, cols, vals, true);
            }
            while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (max_rows && rows == max_rows) {
                    *truncated = true;
                    break;
                }
                for (int c = 0; c < cols; c++) {
                    vals[c] = (const char *)sqlite3_column_text(st, c);
                }
                row(opaque, cols, vals, false);
                rows++;
            }
            free(vals);
            if (!*truncated && rc != SQLITE_DONE) {
                query_error_str(db, &q, rc, QUERY_DEFAULT_MIB, err, errlen);
                status = -1;
            }
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    sqlite3_hard_heap_limit64(0);
    return status;
}
