/*
 * look.h - the shell's looking commands: registers, memory, code, the
 * call stack, the harts, the devices and the address map of a stopped
 * machine. None of them changes the guest: memory is read through the
 * hart's translation without accessed/dirty updates or TLB fills
 * (CoreCpuOps.mem_access, as the gdb stub reads), device registers are
 * never read (their state comes from the saved-state tables).
 *
 * Each command is one function with explicit arguments (the machine, the
 * current hart, the symbols, which may be NULL) and the words of the
 * command line: argv[0] is the command word as typed ("x/4xw"), the
 * arguments follow. The result goes into a ShOut (shell/out.h): text,
 * JSON members and, on failure, one error line; the return value is 0 or
 * -1 (failed: the message is in out).
 *
 * Addresses (ADDR below) are a number (0x80000000, 2147483648), a symbol
 * (main), a register ($sp, $pc, $a0) or either plus or minus a number
 * (main+0x10, $sp-16).
 *
 *     ShOut out; sh_out_init(&out);
 *     char *argv[] = { "x/s", "msg" };
 *     if (sh_look_x(m, hart, syms, 2, argv, &out) != 0) ...
 */
#ifndef SHELL_LOOK_H
#define SHELL_LOOK_H

#include "core/machine.h"
#include "shell/out.h"
#include "shell/symbols.h"

/* regs [HART]
   Every register of HART (default: the current hart) by name, as the
   target describes them: the general registers with their ABI names and
   pc, the FP registers (with their value as a double), the privilege
   level and the CSRs. JSON: "hart", "regs": {NAME: value, ...}. */
int sh_look_regs(CoreMachine *m, unsigned hart, const SymTab *syms,
                 int argc, char **argv, ShOut *out);

/* x[/FMT] ADDR
   Memory at ADDR, like gdb's x. FMT is [COUNT][FORMAT][SIZE][p] in any
   order: FORMAT x (hex, default), d (signed), u (unsigned), c (char),
   s (NUL-terminated string), i (instructions); SIZE b (1), h (2),
   w (4, default), g (8); p reads guest-physical memory instead of going
   through the current hart's translation. FORMAT and SIZE stick from one
   call to the next as in gdb only through the caller; here the defaults
   are x, w and count 1. An address that does not translate or is not
   RAM is an error naming it. JSON: "addr", "values" (numbers), "strings"
   or "insns" [{"addr","insn","text"}]. */
int sh_look_x(CoreMachine *m, unsigned hart, const SymTab *syms,
              int argc, char **argv, ShOut *out);

/* disas [ADDR] [N]
   N instructions (default 8) from ADDR (default: the current hart's pc),
   through the hart's translation; "=>" marks the hart's pc. JSON:
   "insns": [{"addr","insn","len","text","sym","current"}]. */
int sh_look_disas(CoreMachine *m, unsigned hart, const SymTab *syms,
                  int argc, char **argv, ShOut *out);

/* backtrace [N]   (alias bt)
   The current hart's call stack by its frame pointers (RISC-V: fp is s0;
   the return address is at fp-8, the caller's fp at fp-16), at most N
   frames (default 64). It stops at fp 0, at a frame it cannot read,
   when fp does not grow or when it leaves the stack (more than 8 MiB
   above sp); the last line says why. A leaf function that saved only fp
   (at fp-8) is recognised in frame 0, as Linux's walk_stackframe does;
   in a function that has not set up its frame yet (its first
   instructions, or a leaf without one) the direct caller, whose return
   address is still in ra, is not listed: frame pointers alone cannot
   tell (gdb uses the ELF's unwind tables). JSON: "frames": [{"pc","sym","off","fp"}],
   "stop": why the walk ended. */
int sh_look_backtrace(CoreMachine *m, unsigned hart, const SymTab *syms,
                      int argc, char **argv, ShOut *out);

/* hart [N]
   With N: make hart N current (*hart = N) after checking that it exists.
   Without: list every hart with its privilege level and pc, "*" on the
   current one. JSON: "hart" (current) and "harts": [{"hart","pc",
   "state","sym"}]. */
int sh_look_hart(CoreMachine *m, unsigned *hart, const SymTab *syms,
                 int argc, char **argv, ShOut *out);

/* devices   (QEMU: info qtree)
   Every device of the machine, grouped by bus as `info qtree` does: its
   type, id, MMIO window and interrupt line where the board placed it,
   then each field of its saved state (CoreStateDesc) by name. JSON:
   "devices": [{"type","id","bus","base","size","irq","state":{...}}]. */
int sh_look_devices(CoreMachine *m, int argc, char **argv, ShOut *out);

/* mtree   (QEMU: info mtree)
   The guest-physical address map: each region's range, kind (ram, rom,
   i/o) and name. JSON: "regions": [{"base","end","kind","name"}]. */
int sh_look_mtree(CoreMachine *m, int argc, char **argv, ShOut *out);

/* symbols [FILE]
   With FILE: load its symbols (an ELF or a System.map, shell/symbols.h)
   in place of *syms (freed) and say how many; a bad file leaves *syms
   as it was. Without: how many symbols are loaded. JSON: "symbols"
   (count), "file". */
int sh_look_symbols(SymTab **syms, int argc, char **argv, ShOut *out);

/* An ADDR argument as above, evaluated for hart; false with a message
   naming the text in err (also for break and watch). */
bool sh_look_eval_addr(CoreMachine *m, unsigned hart, const SymTab *syms,
                       const char *text, uint64_t *addr, char *err,
                       size_t errlen);

#endif
