/*
 * Trace inspection commands: `rewind info DIR`, `rewind query DIR SQL`
 * (read-only), `rewind trace reindex DIR`. Each takes the arguments after
 * its command word and returns the process exit status (0 ok, 1 usage or
 * query error, 2 unusable trace).
 */
#ifndef REPLAY_INSPECT_H
#define REPLAY_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int rr_cmd_info(int argc, char **argv);
int rr_cmd_query(int argc, char **argv);
int rr_cmd_trace(int argc, char **argv);

/* A user's read-only SQL on DIR's index with the bounds of `rewind query`
   (60 s of CPU, 512 MiB), for the shell's `sql`: row() gets each
   statement's column names (header) then its rows (NULL for SQL NULL);
   after max_rows rows (0: no bound) it stops and sets *truncated. 0, or
   -1 with a one-line message in err. Values are raw: print them through
   rr_query_escape. */
typedef void (*RRQueryRowFn)(void *opaque, int ncols, const char *const *vals,
                             bool header);
int rr_query_rows(const char *dir, const char *sql, RRQueryRowFn row,
                  void *opaque, uint64_t max_rows, bool *truncated, char *err,
                  size_t errlen);
/* Writes n bytes of s with control characters, C1 and bad UTF-8 escaped
   (\t \n \\ \xNN \u009b), as `rewind query` prints values. */
void rr_query_escape(FILE *f, const char *s, size_t n);

#endif
