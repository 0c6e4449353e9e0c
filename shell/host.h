/*
 * The host side of the run loop for the command-line front end: the stdio
 * console (with its Ctrl-A keys), real-time waits and signals. See
 * CoreHostOps in core/run.h.
 */
#ifndef SHELL_HOST_H
#define SHELL_HOST_H

#include "backends/chardev.h"
#include "core/run.h"

/* Install into m->host before running m. One machine runs at a time. */
extern const CoreHostOps shell_host_ops;

/* Host input besides the console (network back ends; next, chardevs of
   other front ends), polled together with it between slices and while
   every hart waits. `fill` adds at most `max` descriptors and may shorten
   *timeout_ms (a back end's own timer; -1: none); after the poll,
   `dispatch` gets the same descriptors with revents set, lets its back
   end do its host work and hands what arrived to the machine through the
   input door (core/run.h); it returns true if any input went. While the
   machine is held (stopped for a debugger, or waiting for one to attach)
   the sources are served too, so that slirp keeps accepting and moving
   host traffic: then `dispatch` gets m == NULL and must keep what arrived
   for its next call with a machine, at a slice boundary after the
   machine runs again (logged there), and `fill` may return a timeout of
   0 for such waiting input, which the held wait ignores. */
typedef struct ShellHostSource {
    unsigned (*fill)(void *opaque, struct pollfd *fds, unsigned max,
                     int *timeout_ms);
    bool (*dispatch)(void *opaque, CoreMachine *m, struct pollfd *fds,
                     unsigned n);
    void *opaque;
} ShellHostSource;

/* Add a source (at most SHELL_HOST_MAX_SOURCES; the table is kept). */
#define SHELL_HOST_MAX_SOURCES 4
void shell_host_add_source(const ShellHostSource *src);
/* Remove every source (the machine they feed is gone). */
void shell_host_clear_sources(void);

/* The machine held by a host front end (the mon:stdio monitor's `stop`):
   at the next slice boundary the run loop stays in the host side, which
   keeps serving every input source (the monitor's typing included: its
   `cont` releases the hold) without running the machine. Held time is
   no guest time: an idle wait the hold interrupted counts only the host
   time outside the hold. */
void shell_host_hold(bool held);
bool shell_host_held(void);

/* End the run as Ctrl-A x does (the monitor's `quit`): a recording logs
   the shutdown at the current icount and takes no more input. */
void shell_host_quit(CoreMachine *m);
/* Stop the run as SIGINT does (Ctrl-C typed to a replay's terminal). */
void shell_host_interrupt(CoreMachine *m);

/* A replay's terminal (a mon:stdio chardev whose mux has only rewind's
   own front ends: the monitor): read between slices and while the
   machine is held, never for the machine. NULL: none. */
void shell_host_set_replay_input(BeChardev *chr);

#endif
