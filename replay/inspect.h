/*
 * Trace inspection commands: `rewind info DIR`, `rewind query DIR SQL`
 * (read-only), `rewind trace reindex DIR`. Each takes the arguments after
 * its command word and returns the process exit status (0 ok, 1 usage or
 * query error, 2 unusable trace).
 */
#ifndef REPLAY_INSPECT_H
#define REPLAY_INSPECT_H

int rr_cmd_info(int argc, char **argv);
int rr_cmd_query(int argc, char **argv);
int rr_cmd_trace(int argc, char **argv);

#endif
