/*
 * What the files of replay/ share (not for other folders: they use
 * replay/rr.h). A session (RRSession) is either a recording
 * (replay/record.c) or a replay (replay/feed.c, which feeds the recorded
 * events and checks the run against them); a replay under a debugger also
 * moves along its timeline (replay/timeline.c: seek, restore points,
 * reverse step and continue). replay/session.c holds the little both
 * kinds share.
 */
#ifndef REPLAY_RR_INT_H
#define REPLAY_RR_INT_H

#include "replay/rr.h"
#include "core/journal.h"
#include "core/undo.h"
#include "tracedb/payload.h"
#include "tracedb/trace.h"

#include <glib.h>

/* Host time between two flushes of a recording's trace (unless
   REWIND_FLUSH_MS says otherwise: see rr_record_begin). */
#define RR_FLUSH_INTERVAL_NS 100000000ull
/* Most machine options a trace records (and replay accepts). */
#define RR_MAX_ARGS 56
/* Longest console line a recording buffers before writing it. */
#define RR_CONSOLE_MAX 4096
/* Instructions between two in-memory restore points (core/undo.h). */
#define RR_UNDO_INTERVAL 1000000ull

struct RRSession {
    CoreMachine *m;
    bool replay;
    RROptions opts;
    char dir[512];

    /* record */
    TdbWriter *w;
    uint64_t next_checkpoint;
    uint64_t last_flush_ns;
    uint64_t flush_interval_ns;
    uint8_t line[1 + RR_CONSOLE_MAX];   /* [0]: port byte of PORT_CONSOLE */
    size_t line_len;                    /* bytes after line[0] */
    unsigned line_port;                 /* console port of the open line */
    uint64_t line_icount;
    bool failed;
    char fail_msg[640];           /* why the recording failed */
    struct RRDerive *derive;      /* the derived-event observer, or NULL */
    RRRecordCost cost;            /* for opts.cost */

    /* replay */
    TdbReader *r;
    int argc;
    char **argv;
    bool have_pending;
    TdbEvent pending;
    uint8_t *pending_data;
    size_t pending_cap;
    /* Per console port (0: the UART, 1..: virtio-serial consoles). */
    GByteArray *expect_console[CORE_CONSOLE_PORTS];  /* recorded, unmatched */
    GByteArray *actual_console[CORE_CONSOLE_PORTS];  /* printed, unmatched */
    uint64_t checkpoints_checked;
    uint64_t last_good_icount;    /* icount of the last matching check */
    bool shutdown_seen;           /* the recording was stopped by a request */
    bool fallback_warned;         /* a damaged checkpoint was reported */
    RRResult result;
    bool done;
    /* The machine as built from the inputs, before it ran (a full
       snapshot taken by rr_replay_attach): the RAM a boot checkpoint
       (core/snapshot.h) restores. */
    CoreBuf boot;
    char report[4096];
    char goto_err[320];          /* why the debugger's last goto failed */
    /* A seek being reported to opts.progress: from this icount, this many
       instructions (0: none). */
    uint64_t progress_from, progress_total;

    /* Reverse debugging: in-memory restore points (core/undo.h) every
       RR_UNDO_INTERVAL instructions, with the trace position of each. */
    bool undo_on;
    bool console_check_off;      /* after a seek the console stream is not
                                    compared (checkpoint hashes still are) */
    uint64_t next_undo;
    uint64_t consumed;           /* events read from the trace */
    struct {
        uint64_t icount, consumed;
        bool have_pending;
    } undo_pos[CORE_UNDO_MAX_POINTS];
    unsigned undo_first, undo_count;
};

/* ---- session.c ---- */

/* The size and content hash of input file path of m: as the loader read
   it when it read it whole, else from the file; false if it cannot be
   read. */
bool rr_input_hash(const CoreMachine *m, const char *path, uint64_t *size,
                   char hex[17]);

/* ---- feed.c: replaying ---- */

/* Ending a replay, once: a divergence (appended to the report), any
   result, or a damaged trace (exit status 2, not a divergence). */
void rr_diverge(RRSession *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void rr_finish(RRSession *s, RRResult result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void rr_damaged(RRSession *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Load the next event into s->pending; false at the end or on error. */
bool rr_fetch(RRSession *s);
/* Why the record a CHECKPOINT event announces cannot be used, else NULL;
   *idx is its index in the reader's checkpoint list. */
const char *rr_record_problem(RRSession *s, const TdbEvCheckpoint *ck,
                              long *idx, char *buf, size_t buflen);

/* ---- timeline.c: seek and reverse execution ---- */

/* Take an in-memory restore point at m->icount. */
void rr_take_undo_point(RRSession *s);
/* Put the trace reader where it was after `consumed` events. */
bool rr_reposition(RRSession *s, uint64_t consumed, bool have_pending);
/* The debugger's goto and reverse execution (CoreJournalOps). */
bool rr_goto_hook(CoreMachine *m, uint64_t icount, CoreStop *why);
bool rr_reverse_hook(CoreMachine *m, const CoreRunCmd *cmd, CoreStop *why);

#endif
