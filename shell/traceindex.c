/*
 * traceindex.c - `rewind trace index DIR`: builds the derived-event index
 * (tracedb/derived.h: traps, ecalls, interrupt lines, disk requests) of a
 * recorded trace by replaying it with the observer of replay/derive.h
 * attached, with a progress bar on a terminal.
 *
 * Idempotent: the base index is rebuilt first (tdb_reindex, which refuses
 * a damaged events.zst and keeps bookmarks), then the derived tables are
 * emptied and refilled in one transaction, committed only when the replay
 * reached the end of the trace: a failure leaves the previous tables.
 * Exit status: 0 done, 1 usage or divergence, 2 unreadable or damaged
 * trace.
 */
#include "shell/dindex.h"
#include "shell/cli.h"
#include "shell/host.h"
#include "shell/progress.h"
#include "replay/derive.h"
#include "replay/rr.h"
#include "tracedb/trace.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Instructions run between two looks at the progress bar and two flushes
   of the buffered rows (at least; a 500th of the trace when longer). */
#define INDEX_STEP_MIN 1000000ull

static uint64_t one_u64(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *q = NULL;
    uint64_t v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
        v = (uint64_t)sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    return v;
}

/* The replayed machine of the trace, as `rewind replay --quiet` builds it.
   NULL with a message. */
static CoreMachine *replay_machine(RRSession *s, const char *dir,
                                   CoreConfig *cfg, char *err, size_t errlen)
{
    int rargc;
    char **rargv;
    rr_replay_argv(s, &rargc, &rargv);
    if (shell_cli_parse(rargc, rargv, cfg) != SHELL_CLI_OK) {
        snprintf(err, errlen, "%s: the recorded command line is not accepted "
                 "by this rewind", dir);
        return NULL;
    }
    cfg->serial = "null";
    shell_cli_replay_config(cfg, dir);
    cfg->stats = false;
    cfg->trace_insns = NULL;
    cfg->trace_jit = NULL;
    CoreMachine *m = core_machine_new(cfg);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    m->host = &shell_host_ops;
    if (!core_machine_init(m, err, errlen)) {
        core_machine_free(m);
        return NULL;
    }
    shell_host_clear_sources();
    RROptions opts = { .quiet = true };
    if (!rr_replay_attach(s, m, &opts, err, errlen)) {
        core_machine_free(m);
        return NULL;
    }
    return m;
}

/* Runs the replay to its end with the observer on, writing the rows into
   db inside the caller's transaction. 0, 1 (divergence) or 2. */
static int replay_pass(CoreMachine *m, sqlite3 *db,
                       uint64_t total, uint64_t *rows_icount, char *err,
                       size_t errlen)
{
    RRDerive *d = rr_derive_attach(m);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return 2;
    }
    uint64_t step = total / 500 > INDEX_STEP_MIN ? total / 500 : INDEX_STEP_MIN;
    ShProgress *bar = sh_progress_new(stderr, "indexing", total);
    int rc = 0;
    while (m->icount < total && m->exit_kind == CORE_EXIT_NONE) {
        uint64_t to = total - m->icount > step ? m->icount + step : total;
        bool reached = core_run_to(m, to);
        if (tdb_derived_flush(rr_derive_rows(d), db, false, err, errlen) < 0) {
            rc = 2;
            break;
        }
        sh_progress_update(bar, m->icount);
        if (!reached) {
            break;
        }
    }
    sh_progress_done(bar);
    if (rc == 0 &&
        tdb_derived_finish(rr_derive_rows(d), db, m->icount, "index", err,
                           errlen) < 0) {
        rc = 2;
    }
    *rows_icount = m->icount;
    rr_derive_detach(d);
    return rc;
}

static int build(const char *dir, char *err, size_t errlen)
{
    if (tdb_reindex(dir, err, errlen) != 0) {
        return 2;   /* damaged or unreadable events.zst */
    }
    RRSession *s = rr_replay_open(dir, err, errlen);
    if (!s) {
        return 2;
    }
    CoreConfig cfg;
    memset(&cfg, 0, sizeof(cfg));
    CoreMachine *m = replay_machine(s, dir, &cfg, err, errlen);
    if (!m) {
        char dummy[64];
        rr_replay_finish(s, dummy, sizeof(dummy));
        shell_cli_free(&cfg);
        return 2;
    }
    char *path = g_strdup_printf("%s/index.sqlite", dir);
    sqlite3 *db = NULL;
    int rc = 2;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path,
                 db ? sqlite3_errmsg(db) : "cannot open");
        goto out;
    }
    if (tdb_derived_clear(db, err, errlen) < 0) {
        goto out;
    }
    uint64_t total = one_u64(db, "SELECT MAX(last_icount) FROM frames");
    uint64_t reached = 0;
    rc = replay_pass(m, db, total, &reached, err, errlen);
    char report[2048];
    RRResult r = rr_replay_finish(s, report, sizeof(report));
    s = NULL;
    if (rc == 0 && (r == RR_RESULT_DIVERGED || r == RR_RESULT_UNUSABLE)) {
        snprintf(err, errlen, "%s: the replay failed, nothing indexed: %s",
                 dir, report);
        rc = r == RR_RESULT_DIVERGED ? 1 : 2;
    } else if (rc == 0 && reached < total) {
        snprintf(err, errlen, "%s: the replay ended at icount %" PRIu64
                 " before the end of the trace (%" PRIu64 "), nothing indexed",
                 dir, reached, total);
        rc = 2;
    }
    if (rc == 0 && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
        rc = 2;
    }
out:
    if (db && rc != 0) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    sqlite3_close(db);
    g_free(path);
    if (s) {
        char dummy[64];
        rr_replay_finish(s, dummy, sizeof(dummy));
    }
    core_machine_free(m);
    shell_cli_free(&cfg);
    return rc;
}

int sh_trace_index_main(int argc, char **argv)
{
    if (argc != 1 || argv[0][0] == '-') {
        fprintf(stderr, "rewind: usage: rewind trace index DIR\n");
        return 1;
    }
    const char *dir = argv[0];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char err[4096];
    int rc = build(dir, err, sizeof(err));
    if (rc != 0) {
        /* One line: a divergence report may hold several. */
        for (char *p = err; *p; p++) {
            if (*p == '\n') {
                *p = ' ';
            }
        }
        fprintf(stderr, "rewind: trace index: %s\n", err);
        return rc;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    char qerr[512];
    sqlite3 *db = tdb_index_open_query(dir, qerr, sizeof(qerr));
    uint64_t traps = db ? one_u64(db, "SELECT COUNT(*) FROM traps") : 0;
    uint64_t ecalls = db ? one_u64(db, "SELECT COUNT(*) FROM ecalls") : 0;
    uint64_t irqs = db ? one_u64(db, "SELECT COUNT(*) FROM irqs") : 0;
    sqlite3_close(db);
    printf("rewind: indexed %" PRIu64 " traps, %" PRIu64 " ecalls, %" PRIu64
           " interrupt-line events of %s in %.2f s\n", traps, ecalls, irqs,
           dir, (double)(t1.tv_sec - t0.tv_sec) +
           (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
