/*
 * The journal: the other side of the input door. Every nondeterministic
 * input reaches the machine through core/ (core_run_host_serial, idle
 * skips, core_run_shutdown, core_run_wallclock); a journal
 * installed in the machine logs them while recording and supplies them
 * while replaying, at the icount they take effect (DESIGN.md, "The
 * determinism contract").
 *
 * replay/ installs one (m->journal, m->journal_ops) when it records or
 * replays; core/ calls it only through these ops and never names replay.
 * With no journal installed the run is live and nothing is logged.
 */
#ifndef CORE_JOURNAL_H
#define CORE_JOURNAL_H

#include "core/machine.h"

typedef struct CoreJournalOps {
    /* The icount at which the journal needs control back (the next
       recorded event, checkpoint or flush point). */
    uint64_t (*next_stop)(void *journal);
    /* At m->icount (idle: every hart waits): apply the events due,
       check or take checkpoints. False when the run must end (end of a
       replay, divergence). */
    bool (*at)(void *journal, bool idle);
    /* After every slice, e.g. to flush the trace now and then. */
    void (*tick)(void *journal);
    /* Inputs come from the journal, not the host. */
    bool (*replaying)(const void *journal);
    /* Replaying: the wall clock the recording read at this icount (the
       guest reads its RTC; the host is not asked). False if the recording
       did not read it here: the journal has then ended the replay with a
       divergence and asked the run to stop. Recording: NULL. */
    bool (*wallclock)(void *journal, uint64_t *ns);
    /* Replaying: the entropy bytes the recording read at this icount
       (at most len, count in *n). False, as for the wall clock, if the
       recording read none here. Recording: NULL. */
    bool (*entropy)(void *journal, uint8_t *buf, size_t len, size_t *n);
    /* A replay reached its end (or a divergence) and cannot go on. */
    bool (*finished)(const void *journal);

    /* Log an input the host handed over (recording; ignored replaying). */
    void (*log_serial)(void *journal, unsigned port, const uint8_t *buf,
                       size_t len);
    void (*log_wallclock)(void *journal, uint64_t ns);
    void (*log_entropy)(void *journal, const uint8_t *buf, size_t len);
    void (*log_net_rx)(void *journal, unsigned port, const uint8_t *frame,
                       size_t len);
    void (*log_serial_connect)(void *journal, unsigned port, bool connected);
    void (*log_idle)(void *journal, uint64_t ns);
    void (*log_shutdown)(void *journal, int reason);
    /* A host resource the run's outcome depends on failed (a disk's
       overlay log could not be written): recording, the trace ends before
       this point; replaying, the replay cannot go on. `why` names the
       file. NULL: ignored. */
    void (*host_fault)(void *journal, const char *why);

    /* For a debugger, NULL where impossible (a live recording): move the
       machine to `icount` either way, or execute backwards. Return false
       if impossible; update *why with where the machine now stands. */
    bool (*seek)(CoreMachine *m, uint64_t icount, CoreStop *why);
    bool (*reverse)(CoreMachine *m, const CoreRunCmd *cmd, CoreStop *why);
} CoreJournalOps;

#endif
