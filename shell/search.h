/*
 * Asking the trace who wrote memory: the shell's `last-write` and
 * `history` commands, and `rewind last-write` / `rewind history` on the
 * command line (the engine is replay/lastwrite.h). `diff` is in
 * shell/diff.h.
 *
 * Shell syntax (argv[0] is the command word):
 *
 *   last-write [-p] ADDR [LEN]
 *       The most recent store to any byte of [ADDR, ADDR+LEN) before the
 *       current point: icount, hart, pc and instruction (old and new
 *       value for LEN <= 16), or, for a device's DMA, the device's name.
 *       LEN defaults to 8. ADDR is virtual, translated by the current
 *       hart's translation at the current point (the search then follows
 *       the physical bytes: any hart, any mapping, and DMA); -p makes it
 *       physical. ADDR is a number (0x... or decimal) or, with a
 *       resolver, SYMBOL or SYMBOL+OFFSET.
 *   history [-p] ADDR [N [LEN]]
 *       The last N (default 10) writes, oldest first, same columns.
 *
 * JSON members: addr, paddr, len, icount (the current point), intervals
 * (replayed to find them), searched_from, writes: [{icount, kind: "cpu"
 * or "dma", hart, pc, insn (hex bytes, little-endian order as in
 * memory), disas, device, old, new (hex, memory order)}].
 *
 * Command line (a trace opened at ICOUNT, `end` for its last icount):
 *   rewind last-write DIR ICOUNT [-p] [--hart N] [--json] ADDR [LEN]
 *   rewind history DIR ICOUNT [-p] [--hart N] [--json] ADDR [N [LEN]]
 * exit 0 found (or none: the text says so), 1 usage or bad address,
 * 2 unusable trace.
 */
#ifndef SHELL_SEARCH_H
#define SHELL_SEARCH_H

#include "core/machine.h"
#include "replay/rr.h"
#include "shell/out.h"

/* Resolves a symbol name to an address (e.g. sym_by_name of
   shell/symbols.h); NULL: numbers only. */
typedef bool (*ShResolveFn)(void *opaque, const char *name, uint64_t *addr);

/* The shell commands: s is the replay session driving m (at its current
   point), hart the current hart. 0, or -1 after sh_error. */
int sh_search_last_write(RRSession *s, CoreMachine *m, unsigned hart,
                         ShResolveFn resolve, void *ropaque, int argc,
                         char **argv, ShOut *out);
int sh_search_history(RRSession *s, CoreMachine *m, unsigned hart,
                      ShResolveFn resolve, void *ropaque, int argc,
                      char **argv, ShOut *out);

/* `rewind last-write ...` and `rewind history ...` (argv after the
   command word); the exit status. */
int sh_search_cmd(const char *cmd, int argc, char **argv);

#endif
