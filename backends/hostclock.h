/*
 * The host's wall clock, the one place rewind reads it.
 *
 * The result is nondeterministic, so only the input door (core/input.h,
 * core_input_wallclock_ns) calls this: the front end installs it as the
 * door's wall-clock source, and the replay engine's hook replaces it with
 * the value from the trace.
 */
#ifndef BACKENDS_HOSTCLOCK_H
#define BACKENDS_HOSTCLOCK_H

#include <stdint.h>

/* Host real time (CLOCK_REALTIME) in ns since the Unix epoch; 0 if the
   host clock reads before the epoch or cannot be read. */
uint64_t be_host_wallclock_ns_nd(void);

/* Host monotonic time in ns, for measuring how long the host waited. */
uint64_t be_host_monotonic_ns_nd(void);

/* CPU time the calling thread used, in ns (0 if unknown): the host's
   cost of some work, for statistics printed to the user. */
uint64_t be_host_thread_cpu_ns_nd(void);

#endif
