/*
 * Where do two traces part? `rewind diff A B` and the shell's
 * `diff OTHER_TRACE`: for two recordings of the same command line (a
 * passing and a failing CI run, a recording and a re-recording on another
 * build), find the first point where they differ and show what differs
 * there.
 *
 *   1. The recorded command lines and input files (images, by hash) are
 *      compared; a difference is reported (the search still runs).
 *   2. The input events (serial bytes, wall clock, idle skips, entropy,
 *      frames, shutdowns; not the console output nor the checkpoints) are
 *      compared in order: the first that differs is reported.
 *   3. The checkpoints both traces have at the same icount bracket the
 *      first difference of state hash (the last equal one, the first
 *      different one), narrowed by the first differing input event.
 *   4. Both are replayed and bisected to the exact icount D where their
 *      state hashes first differ: at D-1 they are equal.
 *   5. At D: the input events around it, the registers of each hart, the
 *      harts', devices' and clock's saved state by field
 *      (core_snapshot_diff), the RAM pages that differ and their first
 *      differing bytes.
 *
 * Syntax:
 *   rewind diff A B [--json]      exit 0 identical, 1 they differ,
 *                                 2 a trace is unusable (1 also for usage)
 *   diff OTHER_TRACE              (shell; argv[0] is the command word)
 * JSON members: identical, first_difference (icount D), same_command_line,
 * command_line {a, b}, inputs [{name, a, b}], input_event {index, icount,
 * kind_a, kind_b, a, b (payload hex)}, registers [{hart, reg, a, b}],
 * state (text of the field diff), ram [{from, to}], bytes [{addr, a, b}],
 * end {a, b} (last icounts), bisect_steps.
 */
#ifndef SHELL_DIFF_H
#define SHELL_DIFF_H

#include "core/machine.h"
#include "shell/out.h"

/* Told how far the bisection got (done of total steps, total an upper
   bound), for a progress bar (shell/progress.h: the lead wires
   sh_progress_update to it); NULL: none. */
typedef void (*ShDiffProgress)(void *opaque, uint64_t done, uint64_t total);

/* Compares traces a and b into out; returns 0 identical, 1 different,
   2 unusable (after sh_error). */
int sh_diff_traces(const char *a, const char *b, ShOut *out,
                   ShDiffProgress progress, void *popaque);

/* The shell's `diff OTHER_TRACE`, dir being the session's trace. 0 (the
   result says identical or not), or -1 after sh_error. */
int sh_diff(const char *dir, int argc, char **argv, ShOut *out,
            ShDiffProgress progress, void *popaque);

/* Two machines at the same point: the registers of each hart, the
   harts', devices' and clock's saved state by field, the RAM pages and
   first bytes that differ (step 5 above; also `rewind jit-check`). */
void sh_diff_machines(ShOut *out, CoreMachine *ma, CoreMachine *mb);

/* "first difference at icount D (the states are equal at icount D-1)",
   or that they differ from the start: `diff` and `jit-check` alike. */
void sh_diff_first_line(ShOut *out, uint64_t d);

/* `rewind diff A B [--json]` (argv after the command word). */
int sh_diff_cmd(int argc, char **argv);

#endif
