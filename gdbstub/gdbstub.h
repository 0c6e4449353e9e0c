/*
 * GDB stub: a Remote Serial Protocol server that debugs a whole machine.
 *
 * Threads are CPUs (thread id = CPU index + 1). The target numbers,
 * sizes and describes the registers (target XML) through the gdb
 * operations of CoreCpuOps (core/target.h); for RISC-V see
 * tcg/riscv/gdb.c. Breakpoints and
 * watchpoints go to core/debug.h and never touch guest memory. Reverse
 * step/continue (`bs`/`bc`) and `monitor goto` work while replaying.
 *
 * The stub is a core front end: the run loop asks it between slices
 * whether to stop (a 0x03 from gdb, a new client), and hands it the
 * machine whenever it stops; it then serves packets until gdb resumes.
 * One client at a time: another that connects meanwhile gets an error
 * reply and is closed; when the client goes away the guest keeps running
 * and a later client may connect. While the stub blocks (-S waiting for
 * a client, or serving packets) the user can still end the run: see
 * core_run_wait_nd.
 *
 * Usage (main):
 *     GdbStub *s = gdb_stub_open(m, "tcp::1234", err, sizeof(err));
 *     core_debug_attach(m, gdb_stub_frontend(s), start_stopped);
 *     core_run(m);
 *     gdb_stub_close(s);
 */
#ifndef GDBSTUB_GDBSTUB_H
#define GDBSTUB_GDBSTUB_H

#include "core/debug.h"

#include <stddef.h>

typedef struct GdbStub GdbStub;

/* Listen on spec, QEMU's -gdb spelling: "tcp::PORT" (127.0.0.1),
   "tcp:HOST:PORT", "unix:PATH" or a bare "PORT"/":PORT"; port 0 takes any
   free port. Prints "rewind: gdb server listening on HOST:PORT" (or
   "unix:PATH") on stderr, a fixed form scripts parse. Returns NULL with a
   message naming the spec in err on failure. */
GdbStub *gdb_stub_open(CoreMachine *m, const char *spec, char *err,
                       size_t errlen);

/* Serve an already connected stream (a socketpair in tests); no listener,
   so no later clients. Takes ownership of fd. */
GdbStub *gdb_stub_open_fd(CoreMachine *m, int fd);

/* The front end to give core_debug_attach (lives as long as the stub). */
const CoreFrontend *gdb_stub_frontend(GdbStub *s);

/* Close the connection and the listener (unlinks a unix socket). */
void gdb_stub_close(GdbStub *s);

/* Replay services the stub uses when present (none: a live run, where
   reverse execution and checkpoints are unavailable). */
typedef void (*GdbPrintFn)(void *ctx, const char *text);
typedef struct GdbReplayOps {
    /* True while a trace is being replayed (reverse execution possible). */
    bool (*replaying)(void *opaque);
    /* Print the checkpoint list for `monitor checkpoints`. */
    void (*list_checkpoints)(void *opaque, GdbPrintFn print, void *ctx);
} GdbReplayOps;

void gdb_stub_set_replay(GdbStub *s, const GdbReplayOps *ops, void *opaque);

/* A front end's command set for `monitor` (the debug shell's): a command
   the stub does not know itself, and a `monitor goto` that is not a plain
   icount, go to fn, which prints its result through print. It returns
   true with *goto_icount set when the command means moving the machine
   there (the stub then moves it as `monitor goto ICOUNT` does). */
typedef bool (*GdbMonitorFn)(void *opaque, const char *line, GdbPrintFn print,
                             void *ctx, uint64_t *goto_icount);
void gdb_stub_set_monitor(GdbStub *s, GdbMonitorFn fn, void *opaque);

#endif
