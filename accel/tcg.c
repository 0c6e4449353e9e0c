/*
 * The tcg accelerator's scheduler (see accel/accel.h).
 *
 * Every decision here depends only on guest state and the icount, never
 * on the host: hart h runs CORE_SCHED_QUANTUM instructions (fewer if it
 * starts waiting for an interrupt), then hart h+1 (a lone hart runs on
 * without quanta); a run is cut at the next
 * timer deadline so the timer fires at the same instruction in every run.
 * When all harts wait, virtual time jumps to the next deadline (an idle skip).
 */
#include "accel/accel.h"

static uint64_t min3(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Next hart (cyclically after h) that can run, or -1. */
static int next_runnable(CoreMachine *m, unsigned h)
{
    for (unsigned i = 1; i <= m->ncpus; i++) {
        unsigned c = (h + i) % m->ncpus;
        if (m->cpu_ops->has_work(m->cpus[c])) {
            return (int)c;
        }
    }
    return -1;
}

static CoreAccelStop tcg_run(CoreMachine *m, uint64_t until_icount)
{
    const CoreCpuOps *ops = m->cpu_ops;
    for (;;) {
        if (m->attention & (CORE_ATTN_EXIT | CORE_ATTN_STOP)) {
            return CORE_ACCEL_STOP_ATTENTION;
        }
        core_timer_run_expired(m);
        m->attention &= ~CORE_ATTN_IRQ;
        if (m->icount >= until_icount) {
            return CORE_ACCEL_STOP_LIMIT;
        }
        void *cpu = m->cpus[m->sched_hart];
        if (!ops->has_work(cpu)) {
            int next = next_runnable(m, m->sched_hart);
            if (next >= 0) {
                m->sched_hart = (uint32_t)next;
                m->sched_left = CORE_SCHED_QUANTUM;
                continue;
            }
            uint64_t deadline = core_timer_next_ns(m);
            if (deadline == UINT64_MAX || m->idle_realtime) {
                return CORE_ACCEL_STOP_IDLE;
            }
            /* Idle skip: jump the clock to the next deadline. */
            uint64_t now = core_clock_ns(m);
            if (deadline > now) {
                m->idle_ns += deadline - now;
            }
            continue;
        }
        /* A lone hart has no one to share with: its run is cut only by
           the limit and the next deadline (a quantum would only end
           its host-code chains every 4096 instructions and run the
           block that crosses the cut in the interpreter). */
        uint64_t share = m->ncpus > 1 ? m->sched_left : UINT64_MAX;
        uint64_t budget = min3(share, until_icount - m->icount,
                               core_timer_next_icount(m) - m->icount);
        if (budget == 0) {
            budget = 1;   /* deadline rounding: never stall */
        }
        uint64_t n = ops->run(cpu, budget);
        if (n >= m->sched_left && m->ncpus == 1) {
            /* The quanta it ran through, as if cut at each one: the
               same state (and state hash) as before lone harts ran on. */
            uint64_t into_last = (n - m->sched_left) % CORE_SCHED_QUANTUM;
            m->sched_left = CORE_SCHED_QUANTUM - into_last;
            n = 0;
        }
        m->sched_left -= n < m->sched_left ? n : m->sched_left;
        if (m->sched_left == 0 || !ops->has_work(cpu)) {
            m->sched_hart = (m->sched_hart + 1) % m->ncpus;
            m->sched_left = CORE_SCHED_QUANTUM;
        }
    }
}

const CoreAccel accel_tcg = {
    .name = "tcg",
    .run = tcg_run,
};
