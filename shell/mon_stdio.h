/*
 * mon_stdio.h - the monitor of -serial mon:stdio (and -nographic): QEMU's
 * Ctrl-A c monitor, answered by the debug shell's command set.
 *
 * It is a host front end of the console chardev's mux (backends/mux.h,
 * port -1): it attaches before the run loop attaches the machine's ports,
 * so the UART has the input at start and Ctrl-A c brings the monitor's
 * `(rewind) ` prompt; Ctrl-A c again goes back to the guest. Its bytes
 * never touch the input door: nothing typed to it is recorded.
 *
 * Lines run on the emulator thread, when the host side reads the console
 * (between slices, or while the machine is held): the looking commands of
 * the shell (`info registers`, `x`, `disas`, `devices`/`info qtree`,
 * `mtree`/`info mtree`, `hart`, `where`, `help`) as in `rewind shell`,
 * plus QEMU's `stop` (hold the machine: shell_host_hold), `cont`,
 * `info status` and `quit` (end the run as Ctrl-A x does). Commands that
 * move the machine in time or ask the trace are refused with a message:
 * they belong to `rewind shell` and gdb. A replay on a terminal has the
 * same monitor (sh_mon_stdio_attach_replay), served between slices by
 * the host ops' `serve`.
 *
 *     ShMonStdio *mon = sh_mon_stdio_attach(m, cfg);  // NULL: no mon:stdio
 *     core_run(m);
 *     sh_mon_stdio_free(mon);
 */
#ifndef SHELL_MON_STDIO_H
#define SHELL_MON_STDIO_H

#include "core/config.h"
#include "core/machine.h"

typedef struct ShMonStdio ShMonStdio;

/* Attach the monitor to the console's mux when cfg's serial is
   mon:stdio; NULL (nothing attached) otherwise. Call after the machine is
   built and before it runs. */
ShMonStdio *sh_mon_stdio_attach(CoreMachine *m, const CoreConfig *cfg);
/* For a replay whose recording had the monitor (`recorded` is the
   recorded command line's config) and whose stdin is a terminal: the
   terminal gets a mux of its own with the monitor and a stand-in for the
   guest console, which takes no input (a replay's input is the trace's;
   Ctrl-C there stops the replay, as SIGINT does). NULL otherwise. */
ShMonStdio *sh_mon_stdio_attach_replay(CoreMachine *m,
                                       const CoreConfig *recorded);
void sh_mon_stdio_free(ShMonStdio *mon);

#endif
