/*
 * Virtual clock and timers (see core/clock.h).
 *
 * Time is (icount << shift) + idle_ns. Timers are a singly linked list
 * sorted by (deadline, arming order); machines have a handful of them, so a
 * list is simpler than a heap and just as fast.
 */
#include "core/clock.h"
#include "core/machine.h"

uint64_t core_clock_ns(const CoreMachine *m)
{
    return (m->icount << m->icount_shift) + m->idle_ns;
}

/* Smallest icount at which core_clock_ns() >= ns (given current idle_ns). */
static uint64_t icount_at_ns(const CoreMachine *m, uint64_t ns)
{
    if (ns <= m->idle_ns) {
        return 0;
    }
    uint64_t d = ns - m->idle_ns;
    uint64_t unit = 1ull << m->icount_shift;
    uint64_t q = d >> m->icount_shift;
    return q + ((d & (unit - 1)) != 0);
}

uint64_t core_clock_icount_at(const CoreMachine *m, uint64_t ns)
{
    return icount_at_ns(m, ns);
}

void core_timer_init(CoreTimer *t, CoreTimerFn fn, void *opaque)
{
    t->deadline_ns = UINT64_MAX;
    t->seq = 0;
    t->fn = fn;
    t->opaque = opaque;
    t->armed = false;
    t->next = NULL;
}

void core_timer_cancel(CoreMachine *m, CoreTimer *t)
{
    if (!t->armed) {
        return;
    }
    for (CoreTimer **pp = &m->timers; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    t->armed = false;
    t->next = NULL;
}

void core_timer_arm(CoreMachine *m, CoreTimer *t, uint64_t deadline_ns)
{
    core_timer_cancel(m, t);
    t->deadline_ns = deadline_ns;
    t->seq = m->timer_seq++;
    t->armed = true;
    CoreTimer **pp = &m->timers;
    while (*pp && (*pp)->deadline_ns <= deadline_ns) {
        pp = &(*pp)->next;
    }
    t->next = *pp;
    *pp = t;
    /* The run loop computed its budget from the old head: recompute. */
    m->attention |= CORE_ATTN_IRQ;
}

uint64_t core_timer_next_ns(const CoreMachine *m)
{
    return m->timers ? m->timers->deadline_ns : UINT64_MAX;
}

uint64_t core_timer_next_icount(const CoreMachine *m)
{
    if (!m->timers) {
        return UINT64_MAX;
    }
    return icount_at_ns(m, m->timers->deadline_ns);
}

void core_timer_run_expired(CoreMachine *m)
{
    uint64_t now = core_clock_ns(m);
    while (m->timers && m->timers->deadline_ns <= now) {
        CoreTimer *t = m->timers;
        m->timers = t->next;
        t->armed = false;
        t->next = NULL;
        t->fn(t->opaque);
    }
}
