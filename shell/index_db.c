/*
 * The shell's reads and writes of a trace's index.sqlite (see
 * shell/index_db.h). The index is data from a file: every value read is
 * checked for type before use.
 */
#include "shell/index_db.h"

#include <glib.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

/* Reading: as tracedb does, `immutable` when no writer has the index
   open (no -wal file: nothing is created in the trace directory), else
   read-only through the WAL. Writing (bookmarks): read-write; the last
   connection to close folds the WAL back in. */
static sqlite3 *open_db(const char *dir, bool write, char *err, size_t errlen)
{
    char *path = g_build_filename(dir, "index.sqlite", NULL);
    char *wal = g_strconcat(path, "-wal", NULL);
    char *abs = g_canonicalize_filename(path, NULL);
    char *uri = g_filename_to_uri(abs, NULL, NULL);
    char *full = uri ? g_strconcat(uri, write ? "" : g_file_test(wal,
                                   G_FILE_TEST_EXISTS) ? "?mode=ro"
                                   : "?immutable=1", NULL) : NULL;
    sqlite3 *db = NULL;
    int rc = !full ? SQLITE_CANTOPEN
             : !g_file_test(path, G_FILE_TEST_IS_REGULAR) ? SQLITE_CANTOPEN
             : sqlite3_open_v2(full, &db, SQLITE_OPEN_URI |
                               (write ? SQLITE_OPEN_READWRITE
                                      : SQLITE_OPEN_READONLY), NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db)
                 : "cannot open (no index: 'rewind trace reindex DIR' "
                   "rebuilds it)");
        sqlite3_close(db);
        db = NULL;
    } else {
        sqlite3_busy_timeout(db, 2000);
    }
    g_free(full);
    g_free(uri);
    g_free(abs);
    g_free(wal);
    g_free(path);
    return db;
}

static int db_fail(sqlite3 *db, const char *dir, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s/index.sqlite: %s", dir, sqlite3_errmsg(db));
    return -1;
}

/* One row, one integer column: 1 found (*v set), 0 none, -1 error. The
   statement has at most one parameter: text `t` or, if t is NULL, `i`. */
static int one_int(const char *dir, const char *sql, const char *t, uint64_t i,
                   uint64_t *v, char *err, size_t errlen)
{
    sqlite3 *db = open_db(dir, false, err, errlen);
    if (!db) {
        return -1;
    }
    sqlite3_stmt *st = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(db, dir, err, errlen);
        goto out;
    }
    if (sqlite3_bind_parameter_count(st) == 1) {
        if (t) {
            sqlite3_bind_text(st, 1, t, -1, SQLITE_TRANSIENT);
        } else {
            sqlite3_bind_int64(st, 1, (sqlite3_int64)i);
        }
    }
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) != SQLITE_INTEGER ||
            sqlite3_column_int64(st, 0) < 0) {
            snprintf(err, errlen, "%s/index.sqlite: a damaged row (not an "
                     "icount)", dir);
            goto out;
        }
        *v = (uint64_t)sqlite3_column_int64(st, 0);
        rc = 1;
    } else if (s == SQLITE_DONE) {
        rc = 0;
    } else {
        rc = db_fail(db, dir, err, errlen);
    }
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

int sh_index_last_icount(const char *dir, uint64_t *icount, char *err,
                         size_t errlen)
{
    return one_int(dir, "SELECT MAX(last_icount) FROM frames WHERE "
                   "last_icount IS NOT NULL", NULL, 0, icount, err, errlen);
}

int sh_index_event_icount(const char *dir, uint64_t id, uint64_t *icount,
                          char *err, size_t errlen)
{
    return one_int(dir, "SELECT icount FROM events WHERE id = ?", NULL, id,
                   icount, err, errlen);
}

int sh_index_bookmark_get(const char *dir, const char *name, uint64_t *icount,
                          char *err, size_t errlen)
{
    return one_int(dir, "SELECT icount FROM bookmarks WHERE name = ?", name, 0,
                   icount, err, errlen);
}

int sh_index_console_find(const char *dir, const char *regex, uint64_t nth,
                          uint64_t *icount, char *line, size_t linelen,
                          char *err, size_t errlen)
{
    GError *gerr = NULL;
    GRegex *re = g_regex_new(regex, 0, 0, &gerr);
    if (!re) {
        snprintf(err, errlen, "bad regular expression /%s/: %s", regex,
                 gerr->message);
        g_error_free(gerr);
        return -1;
    }
    sqlite3 *db = open_db(dir, false, err, errlen);
    if (!db) {
        g_regex_unref(re);
        return -1;
    }
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(db, "SELECT icount, text FROM console ORDER BY line",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(db, dir, err, errlen);
    }
    int s;
    while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 1);
        if (!text || sqlite3_column_type(st, 0) != SQLITE_INTEGER ||
            !g_regex_match(re, text, 0, NULL) || --nth > 0) {
            continue;
        }
        *icount = (uint64_t)sqlite3_column_int64(st, 0);
        snprintf(line, linelen, "%s", text);
        rc = 1;
    }
    if (rc == 0 && s != SQLITE_DONE) {
        rc = db_fail(db, dir, err, errlen);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    g_regex_unref(re);
    return rc;
}

int sh_index_bookmark_set(const char *dir, const char *name, uint64_t icount,
                          const char *note, char *err, size_t errlen)
{
    sqlite3 *db = open_db(dir, true, err, errlen);
    if (!db) {
        return -1;
    }
    sqlite3_stmt *st = NULL;
    int rc = 0;
    /* Older indexes may lack the table: it is ours to create. */
    if (sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS bookmarks(name TEXT "
                     "PRIMARY KEY, icount INTEGER, note TEXT)", NULL, NULL,
                     NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO bookmarks VALUES(?,?,?)",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(db, dir, err, errlen);
    } else {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)icount);
        sqlite3_bind_text(st, 3, note, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = db_fail(db, dir, err, errlen);
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

int sh_index_bookmark_list(const char *dir, ShOut *out, char *err,
                           size_t errlen)
{
    sqlite3 *db = open_db(dir, false, err, errlen);
    if (!db) {
        return -1;
    }
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(db, "SELECT name, icount, note FROM bookmarks "
                           "ORDER BY icount, name", -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(db, dir, err, errlen);
        goto out;
    }
    sh_json_begin_array(out, "bookmarks");
    int s, n = 0;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *note = (const char *)sqlite3_column_text(st, 2);
        uint64_t ic = (uint64_t)sqlite3_column_int64(st, 1);
        sh_printf(out, "%-16s icount %" PRIu64 "%s%s\n", name ? name : "?", ic,
                  note && *note ? "  " : "", note ? note : "");
        sh_json_begin_object(out, NULL);
        sh_json_str(out, "name", name);
        sh_json_u64(out, "icount", ic);
        sh_json_str(out, "note", note);
        sh_json_end(out);
        n++;
    }
    sh_json_end(out);
    if (s != SQLITE_DONE) {
        rc = db_fail(db, dir, err, errlen);
    } else if (n == 0) {
        sh_printf(out, "no bookmarks\n");
    }
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}
