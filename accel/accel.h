/*
 * Accelerators: what runs the harts. Only `tcg` (the decoded-block
 * interpreter of tcg/) exists; KVM will sit behind the same call for
 * same-architecture guests.
 *
 * The run loop reaches an accelerator through m->accel (CoreAccel in
 * core/machine.h), never by name; accel/accels.c lists them.
 *
 * tcg drives all harts of a machine round-robin in one host thread
 * with a fixed quantum (CORE_SCHED_QUANTUM, DESIGN.md: determinism
 * contract), fires timers at their exact icount and skips idle time when
 * every hart waits.
 */
#ifndef ACCEL_ACCEL_H
#define ACCEL_ACCEL_H

#include "core/machine.h"

/* Names accepted by -accel. */
bool accel_name_supported(const char *name);

/* The tcg accelerator (core_accel_table lists it for the run loop). */
extern const CoreAccel accel_tcg;

#endif
