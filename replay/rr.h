/*
 * Record and replay: the determinism boundary (DESIGN.md).
 *
 * Recording logs, with the icount at which it takes effect, every input
 * the host gives the machine (serial bytes, the RTC's wall-clock read,
 * idle skips, shutdown requests), the guest's console output (for the
 * index and for checking replays) and periodic checkpoints (a snapshot of
 * the machine and its state hash) into a trace directory (tracedb/).
 *
 * Replaying builds the same machine from the recorded command line,
 * refuses input images whose content differs, and feeds the recorded
 * events at exactly their icount; backends are never consulted. Each
 * recorded checkpoint's state hash is compared with the replay's; the
 * first mismatch stops the replay with a divergence report.
 *
 * A session installs itself in the machine as its journal (core/journal.h):
 * the run loop reaches it only through those ops (the icount where it
 * needs control back, what to do there, the inputs to log or supply).
 * The files: replay/record.c (recording), replay/feed.c (replaying and
 * its checks), replay/timeline.c (seek, reverse execution), sharing
 * replay/rr_int.h.
 *
 * Errors come back as a return value plus a message in the caller's
 * buffer; nothing here prints except through RROptions.warn.
 *
 * Usage (record):
 *     RRSession *s = rr_record_begin(m, dir, argc, argv, &opts, err, len);
 *     core_run(m);
 *     if (rr_record_end(s, err, len) != 0) ...print err...
 * Usage (replay):
 *     RRSession *s = rr_replay_open(dir, err, len);   // then parse
 *     rr_replay_argv(s, &argc, &argv);                // the machine options
 *     ...build m from them...
 *     rr_replay_attach(s, m, &opts, err, len);
 *     core_run(m);
 *     RRResult r = rr_replay_finish(s);
 */
#ifndef REPLAY_RR_H
#define REPLAY_RR_H

#include "core/machine.h"

typedef struct RRSession RRSession;

/* Test hook only (`--perturb-at N[:KIND]`): what the replay changes at
   icount N, so the tests can check each kind of divergence is reported. */
typedef enum RRPerturb {
    RR_PERTURB_REG,       /* flip a bit of hart 0's gp */
    RR_PERTURB_RAM,       /* flip a bit in the last byte of RAM */
    RR_PERTURB_DEVICE,    /* flip a bit of the virt UART's scratch register */
    RR_PERTURB_CONSOLE,   /* the replay "prints" one byte more */
    RR_PERTURB_CONSOLE1,  /* the same on console port 1 (a virtconsole) */
} RRPerturb;

typedef struct RROptions {
    uint64_t checkpoint_interval;  /* instructions between checkpoints */
    uint64_t until;                /* replay: stop at this icount (0: end) */
    bool quiet;                    /* replay: no console output */
    uint64_t perturb_icount;       /* test only: at this icount during
                                      replay, inject perturb_kind */
    RRPerturb perturb_kind;
    /* Replay: a warning for the user that does not stop the session (a
       damaged checkpoint skipped by a seek, a reverse step that could not
       move); NULL to drop them. The front end prints them. */
    void (*warn)(const char *msg);
    /* Record: no derived-event index (traps, ecalls, interrupt lines) in
       index.sqlite (`record --no-derived`; `trace index` adds it later). */
    bool no_derived;
    /* Replay: how far a long replay got, for the front end's progress bar
       (done of total instructions): a seek that replays at least
       RR_PROGRESS_MIN_SEEK instructions reports as it goes and ends with
       a call (0, 0) (the bar is over), and so does a last-write search
       once it is that far back (done: how far, of the way to icount 0);
       with progress_whole, the whole
       replay towards the trace's last icount (verify), and the front end
       ends the bar itself. NULL: no reports. */
    void (*progress)(void *opaque, uint64_t done, uint64_t total);
    void *progress_opaque;
    bool progress_whole;
    /* Record: filled by rr_record_end when not NULL (`record -stats`). */
    struct RRRecordCost *cost;
} RROptions;

/* What a recording cost the host (figures for a person, never for the
   guest: host CPU time is not deterministic). */
typedef struct RRRecordCost {
    uint64_t checkpoints;        /* taken, the boot snapshot included */
    uint64_t snapshot_bytes;     /* their uncompressed size */
    uint64_t capture_ns;         /* machine thread CPU in taking them */
    uint64_t capture_wall_ns;    /* its time taking them, waits for the
                                    writer to free a piece included */
    uint64_t writer_cpu_ns;      /* writer thread CPU (compress, write,
                                    index) */
    uint64_t trace_bytes;        /* events.zst + checkpoints.zst */
} RRRecordCost;

#define RR_PROGRESS_MIN_SEEK (1ull << 25)

#define RR_DEFAULT_CHECKPOINT_INTERVAL 200000000ull

/* Outcome of a replay. */
typedef enum RRResult {
    RR_RESULT_IDENTICAL,     /* every checkpoint and the end matched */
    RR_RESULT_PARTIAL,       /* matched up to where it was asked to stop
                                (--until, a debugger) */
    RR_RESULT_DIVERGED,
    RR_RESULT_UNUSABLE,      /* the trace could not be read or is damaged */
    RR_RESULT_INCOMPLETE,    /* matched to the end of a trace without END
                                (killed recorder, full disk, cut file) */
} RRResult;

/* ---- recording ---- */

/* argv: the machine options exactly as given (replayed verbatim). */
RRSession *rr_record_begin(CoreMachine *m, const char *dir, int argc,
                           char **argv, const RROptions *opts, char *err,
                           size_t errlen);
/* Final event and close (frees s); returns 0, or -1 with a message in err
   (the recording failed on the way, or the trace could not be closed). */
int rr_record_end(RRSession *s, char *err, size_t errlen);

/* ---- replaying ---- */

RRSession *rr_replay_open(const char *dir, char *err, size_t errlen);
void rr_replay_argv(RRSession *s, int *argc, char ***argv);
/* Check input images, attach to the built machine, restore checkpoint 0. */
bool rr_replay_attach(RRSession *s, CoreMachine *m, const RROptions *opts,
                      char *err, size_t errlen);
/* After core_run: report and free. The report (divergence, checks made)
   is printed to stderr unless quiet_report. */
RRResult rr_replay_finish(RRSession *s, char *summary, size_t len);
uint64_t rr_replay_checkpoints_checked(const RRSession *s);
/* Move the replay to exactly `icount`: restore the nearest checkpoint at
   or before it and run forward (console output muted). 0 or -1. When a
   checkpoint on the way is missing or damaged, it restores the last good
   one before it and says so through opts.warn. */
int rr_seek(RRSession *s, uint64_t icount, char *err, size_t errlen);
/* Move the replay to the first icount whose stop shows a guest clock of
   at least ns (core_run_to_time's rule), fast: from the last checkpoint
   before that time (its clock read from the snapshot's header), or from
   here when that is closer, then replaying forward. 0; or -1 with a
   message (a time past the end of the trace names the end's time), the
   machine back where it was. */
int rr_seek_time(RRSession *s, uint64_t ns, char *err, size_t errlen);
/* For the GDB stub's `monitor` commands (opaque = the session). */
bool rr_gdb_replaying(void *opaque);
void rr_gdb_checkpoints(void *opaque, void (*print)(void *ctx, const char *text),
                        void *ctx);

/* The replay reached its end (or a divergence) and cannot go on. */
bool rr_finished(const RRSession *s);

#endif
