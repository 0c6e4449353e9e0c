/*
 * The virtual clock and timers.
 *
 * Guest time is a pure function of the instruction count (DESIGN.md,
 * "The determinism contract"): ns = (icount << shift) + idle_ns, where
 * idle_ns accumulates the jumps taken when every hart waits for an
 * interrupt. Host time never enters here.
 *
 * Timers fire at a virtual-time deadline. The execution loop asks for the
 * icount of the next deadline (core_timer_next_icount) and stops exactly
 * there, so a timer interrupt is taken at the same instruction in every
 * run. Timers with equal deadlines fire in the order they were armed.
 */
#ifndef CORE_CLOCK_H
#define CORE_CLOCK_H

#include "core/types.h"

typedef struct CoreMachine CoreMachine;

/* Default -icount shift: 2^3 = 8 ns per instruction (a 125 MIPS guest). */
#define CORE_ICOUNT_SHIFT_DEFAULT 3
#define CORE_ICOUNT_SHIFT_MAX 10

typedef struct CoreTimer CoreTimer;
typedef void (*CoreTimerFn)(void *opaque);

struct CoreTimer {
    uint64_t deadline_ns;
    uint64_t seq;          /* arming order, breaks deadline ties */
    CoreTimerFn fn;
    void *opaque;
    bool armed;
    CoreTimer *next;
};

/* Current virtual time in ns (exact at the current instruction). */
uint64_t core_clock_ns(const CoreMachine *m);

void core_timer_init(CoreTimer *t, CoreTimerFn fn, void *opaque);
void core_timer_arm(CoreMachine *m, CoreTimer *t, uint64_t deadline_ns);
void core_timer_cancel(CoreMachine *m, CoreTimer *t);

/* The smallest icount at which the clock reads at least ns if no idle
   skip comes first (idle skips only add time: the true one is at most
   this). May be below m->icount when the clock is past ns already. */
uint64_t core_clock_icount_at(const CoreMachine *m, uint64_t ns);

/* Icount of the earliest armed deadline, UINT64_MAX if none. */
uint64_t core_timer_next_icount(const CoreMachine *m);
/* Earliest armed deadline in ns, UINT64_MAX if none. */
uint64_t core_timer_next_ns(const CoreMachine *m);
/* Fire every timer whose deadline has passed. */
void core_timer_run_expired(CoreMachine *m);

#endif
