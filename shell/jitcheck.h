/*
 * `rewind jit-check`: the differential test of the JIT against the
 * interpreter (issue 13). Two machines built from one command line in one
 * process, A with -accel tcg,jit=off (the reference) and B with jit=on,
 * are given the same inputs: none from the host (consoles and chardevs
 * are null, the wall clock reads as the epoch, entropy is a hash of the
 * icount, a network delivers nothing). They run --every N instructions at a time and
 * their state hashes (the hash checkpoints use) are compared. On a
 * difference both go back to a snapshot of an equal point and bisect to
 * the exact instruction count D where they part: equal after D-1
 * instructions, different after D. The report gives the D-th instruction
 * as --trace prints it (icount, hart, pc, encoding, disassembly) and what
 * differs there (registers, saved state by field, RAM pages: the report
 * of `rewind diff`, shell/diff.h).
 *
 *   rewind jit-check [--every N] [--max-insns N] [--json]
 *                    [--perturb-at N[:reg|ram]] (TRACE | [--] RUN-OPTIONS)
 *
 * With a TRACE both machines replay it (the recorded command line and
 * inputs, each fed by its own replay journal, identically), and going back
 * is a seek (rr_seek) instead of a snapshot.
 *
 * Exit status: 0 the engines agree (to the guest's end or --max-insns),
 * 1 they differ, 2 bad options or a machine that cannot be built.
 * --perturb-at is for the tests: after N instructions it changes gp of
 * hart 0 (reg) or the last byte of RAM (ram) in B only, as the JIT would
 * by a bug, so that the report can be checked exactly.
 */
#ifndef SHELL_JITCHECK_H
#define SHELL_JITCHECK_H

/* argv after the command word. */
int sh_jit_check_cmd(int argc, char **argv);

#endif
