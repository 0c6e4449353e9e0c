/*
 * Accelerators: what runs the harts. Only `tcg` (the decoded-block
 * interpreter of tcg/) exists; KVM will sit behind the same call for
 * same-architecture guests.
 *
 * accel_run drives all harts of a machine round-robin in one host thread
 * with a fixed quantum (DESIGN.md: determinism contract), fires timers at
 * their exact icount and skips idle time when every hart waits.
 */
#ifndef ACCEL_ACCEL_H
#define ACCEL_ACCEL_H

#include "core/machine.h"

/* Instructions a hart runs before the next one gets its turn. */
#define ACCEL_QUANTUM 4096

typedef enum AccelStop {
    ACCEL_STOP_LIMIT,      /* reached until_icount */
    ACCEL_STOP_ATTENTION,  /* exit or stop requested (m->attention) */
    ACCEL_STOP_IDLE,       /* every hart waits, and either no timer is
                              armed (only input can wake the machine) or
                              m->idle_realtime asks the caller to wait */
} AccelStop;

/* Names accepted by -accel. */
bool accel_name_supported(const char *name);

/* Run until m->icount == until_icount or something stops the machine. */
AccelStop accel_run(CoreMachine *m, uint64_t until_icount);

#endif
