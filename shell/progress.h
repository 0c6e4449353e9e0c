/*
 * progress.h - a one-line progress bar for long operations (index build,
 * verify, a far goto, diff).
 *
 *     ShProgress *p = sh_progress_new(stderr, "indexing", total);
 *     for (...) sh_progress_update(p, done);   // cheap: redraws <= 10/s
 *     sh_progress_done(p);                      // erases the line, frees p
 *
 * The bar is drawn only when the stream is a terminal; otherwise every call
 * is a no-op and nothing is written (logs and pipes stay clean). The line:
 *
 *     indexing [##########          ]  50%  1:05 left
 *
 * Host time is used for the redraw rate and the estimate only: it never
 * reaches a guest. NULL is accepted everywhere (no bar).
 */
#ifndef SHELL_PROGRESS_H
#define SHELL_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct ShProgress ShProgress;

/* Test hooks: a clock (ns) and whether the stream counts as a terminal. */
typedef struct ShProgressOpts {
    uint64_t (*now_ns)(void *opaque);  /* NULL: CLOCK_MONOTONIC */
    void *opaque;
    int tty;                           /* -1: isatty(fileno(out)) */
} ShProgressOpts;

/* total: the value `done` reaches at the end (0: unknown, no percentage). */
ShProgress *sh_progress_new(FILE *out, const char *label, uint64_t total);
ShProgress *sh_progress_new_opts(FILE *out, const char *label, uint64_t total,
                                 const ShProgressOpts *opts);
/* Redraws when at least 100 ms passed since the last drawing. */
void sh_progress_update(ShProgress *p, uint64_t done);
/* Erases the line (if one was drawn) and frees p. */
void sh_progress_done(ShProgress *p);
/* True when the bar draws (the stream is a terminal). */
bool sh_progress_active(const ShProgress *p);

/* A bar fed by reports (the replay's RROptions.progress: a far seek,
   verify): sh_progress_report(slot, done, total) makes the bar at the
   first report, (0, 0) ends it; sh_progress_slot_end ends it too.

       ShProgressSlot slot = { .out = stderr, .label = "verify" };
       opts.progress = sh_progress_report; opts.progress_opaque = &slot; */
typedef struct ShProgressSlot {
    FILE *out;
    const char *label;
    ShProgress *bar;
    bool off;          /* out is not a terminal: no bar, ever */
} ShProgressSlot;

void sh_progress_report(void *slot, uint64_t done, uint64_t total);
void sh_progress_slot_end(ShProgressSlot *slot);

#endif
