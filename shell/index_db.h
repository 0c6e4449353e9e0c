/*
 * index_db.h - what the shell reads from and writes to a trace's index
 * (index.sqlite, docs/trace-format.md): console lines and events to go
 * to, the trace's last icount, and bookmarks, the index's one table of
 * user data (kept by `rewind trace reindex`).
 *
 * Each call opens the index, does one thing and closes it: the shell
 * asks rarely, and the recording of a live session writes the same file.
 * Lookups return 1 found, 0 not found, -1 error (message in err, naming
 * the file).
 */
#ifndef SHELL_INDEX_DB_H
#define SHELL_INDEX_DB_H

#include "shell/out.h"

#include <stddef.h>
#include <stdint.h>

int sh_index_last_icount(const char *dir, uint64_t *icount, char *err,
                         size_t errlen);
/* The nth (from 1) console line matching the regex (GRegex syntax). */
int sh_index_console_find(const char *dir, const char *regex, uint64_t nth,
                          uint64_t *icount, char *line, size_t linelen,
                          char *err, size_t errlen);
int sh_index_event_icount(const char *dir, uint64_t id, uint64_t *icount,
                          char *err, size_t errlen);
/* 0 or -1. Replaces a bookmark of the same name. */
int sh_index_bookmark_set(const char *dir, const char *name, uint64_t icount,
                          const char *note, char *err, size_t errlen);
int sh_index_bookmark_get(const char *dir, const char *name, uint64_t *icount,
                          char *err, size_t errlen);
/* Lists them into out (text and a "bookmarks" JSON array); 0 or -1. */
int sh_index_bookmark_list(const char *dir, ShOut *out, char *err,
                           size_t errlen);

#endif
