/*
 * tdb_reindex: rebuilds index.sqlite from events.zst (+ checkpoints.zst).
 * The new index is built as index.sqlite.tmp from the frames the reader
 * validates, through the same tdb_index_frame() the writer uses, and only
 * replaces the old index once it is complete: a failure leaves the old one
 * (if any) untouched. Bookmarks, the one piece of user data in the index,
 * are carried over from the old index when it can be read, and so are
 * the derived-event tables (derived.h), which only a replay can rebuild.
 */
#include "tracedb/derived.h"
#include "tracedb/tracedb_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Removes path and SQLite's side files of it. */
static void unlink_db(const char *path)
{
    static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
    size_t n = strlen(path) + 16;
    char *p = malloc(n);
    if (!p) {
        return;
    }
    for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        snprintf(p, n, "%s%s", path, suffix[i]);
        unlink(p);
    }
    free(p);
}

static int build(TdbReader *r, TdbIndex *x, char *err, size_t errlen)
{
    TdbFrameInfo f;
    const uint8_t *raw;
    size_t len;
    int rc;
    while ((rc = tdb_reader_next_frame(r, &f, &raw, &len)) > 0) {
        if (tdb_index_frame(x, &f, raw, len) < 0) {
            snprintf(err, errlen, "%s", tdb_index_error(x));
            return -1;
        }
    }
    if (rc < 0) {
        snprintf(err, errlen, "%s", tdb_reader_error(r));
        return -1;
    }
    if (tdb_index_finish(x) < 0) {
        snprintf(err, errlen, "%s", tdb_index_error(x));
        return -1;
    }
    return 0;
}

int tdb_reindex(const char *dir, char *err, size_t errlen)
{
    TdbReader *r = tdb_reader_open_noindex(dir, err, errlen);
    if (!r) {
        return -1;
    }
    char *final = tdb_path(dir, TDB_INDEX_FILE);
    char *tmp = tdb_path(dir, TDB_INDEX_FILE ".tmp");
    TdbIndex *x = NULL;
    int rc = -1;
    if (!final || !tmp) {
        snprintf(err, errlen, "%s: out of memory", dir);
        goto out;
    }
    unlink_db(tmp);
    x = tdb_index_create(tmp, true, err, errlen);
    if (!x || build(r, x, err, errlen) < 0) {
        goto out;
    }
    if (tdb_index_copy_bookmarks(x, final) < 0) {
        snprintf(err, errlen, "%s", tdb_index_error(x));
        goto out;
    }
    /* The derived tables come from a replay, not from events.zst: keep. */
    if (tdb_derived_copy(tdb_index_db(x), final, err, errlen) < 0) {
        goto out;
    }
    tdb_index_close(x);
    x = NULL;
    /* The old index's -wal must go first: SQLite would replay it into the
       new file. */
    unlink_db(final);
    if (rename(tmp, final) != 0) {
        snprintf(err, errlen, "%s: rename to %s: %m", tmp, final);
        goto out;
    }
    rc = 0;
out:
    tdb_index_close(x);
    if (rc < 0 && tmp) {
        unlink_db(tmp);
    }
    tdb_reader_close(r);
    free(final);
    free(tmp);
    return rc;
}
