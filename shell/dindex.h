/*
 * dindex.h - the shell's questions to a trace's index: the derived-event
 * index (traps, system calls; tracedb/derived.h), SQL, inputs and console
 * lines, plus the `rewind trace index` / `rewind trace timeline` commands.
 *
 * The command functions take the trace directory and the command's words
 * (argv[0] is the command name) and put their result in a ShOut (text and
 * JSON members; sh_error with one line on bad input); they return 0 or -1.
 * They open DIR/index.sqlite read-only for each command (no state kept),
 * so they work the same in `rewind shell`, its -c scripts and gdb's
 * `monitor`. Output is bounded to SH_DIX_MAX_ROWS rows (then a note says
 * how many more there are; give a range). A range FROM TO is two icounts
 * (decimal or 0x hex), FROM <= TO, both included.
 *
 *   traps [FROM TO]          traps and interrupts taken: #N, icount, hart,
 *                            cause, pc, tval, privilege before -> after
 *   syscalls [user|sbi] [FROM TO]
 *                            ecalls: Linux syscalls (name and arguments)
 *                            from U-mode (user: only those), SBI calls
 *                            (extension, function) from S (sbi: only those)
 *   sql SELECT ...           read-only SQL on the index (as rewind query)
 *   events [KIND] [FROM TO]  recorded inputs (events table), of one kind
 *   console [/REGEX/]        console lines with their icount
 *   timeline [-o FILE.svg] [--icount]
 *                            a picture of the run (sh_dix_timeline_svg)
 *
 * `goto trap N` is the shell's: sh_dix_trap_icount gives the icount.
 */
#ifndef SHELL_DINDEX_H
#define SHELL_DINDEX_H

#include "shell/out.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SH_DIX_MAX_ROWS 1000

int sh_dix_traps(const char *dir, int argc, char **argv, ShOut *out);
int sh_dix_syscalls(const char *dir, int argc, char **argv, ShOut *out);
int sh_dix_sql(const char *dir, int argc, char **argv, ShOut *out);
int sh_dix_events(const char *dir, int argc, char **argv, ShOut *out);
int sh_dix_console(const char *dir, int argc, char **argv, ShOut *out);
int sh_dix_timeline(const char *dir, int argc, char **argv, ShOut *out);

/* icount of trap N (traps.id, from 1) for `goto trap N`: 0, or -1 with a
   one-line message in out (no such trap, no derived index). */
int sh_dix_trap_icount(const char *dir, uint64_t n, uint64_t *icount,
                       ShOut *out);

/* A trap of the derived-event index (reverse-nexti back over a handler). */
typedef struct ShDixTrap {
    uint64_t id, icount, cause, pc;
    bool irq;
} ShDixTrap;

/* The `skip`-th latest (0: the latest) trap `hart` took at or before
   icount `before`, from privilege `priv` (0 U, 1 S, 3 M), at one of the
   pcs pcs[0..npcs). 1 (found, in *t), 0 (none), or -1 with a one-line
   message in out (no derived index). */
int sh_dix_trap_back(const char *dir, unsigned hart, uint64_t before,
                     unsigned priv, const uint64_t *pcs, unsigned npcs,
                     unsigned skip, ShDixTrap *t, ShOut *out);

/* Names: Linux riscv64 syscall (NULL if not in the table), SBI extension
   (legacy or v0.2+ EID; NULL if unknown), RISC-V trap cause. */
const char *sh_dix_syscall_name(uint64_t nr, unsigned *nargs);
const char *sh_dix_sbi_name(uint64_t eid);
const char *sh_dix_cause_name(bool irq, unsigned cause);

/* Writes the SVG timeline of DIR to f (timeline.c). by_icount: icount
   across instead of guest time. 0, or -1 with a message in err. */
int sh_dix_timeline_svg(const char *dir, FILE *f, bool by_icount, char *err,
                        size_t errlen);

/* `rewind trace index DIR`, `rewind trace timeline DIR -o FILE`: exit
   status (0, 1 usage or divergence, 2 unreadable or damaged trace). */
int sh_trace_index_main(int argc, char **argv);
int sh_trace_timeline_main(int argc, char **argv);

#endif
