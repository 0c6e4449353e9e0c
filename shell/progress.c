/*
 * progress.c - the one-line progress bar (progress.h).
 *
 * The estimate of the time left is linear in `done` since the bar was
 * created: elapsed * (total - done) / done. It is shown once 1% is done
 * and at least half a second has passed, so that the first noisy
 * seconds do not print nonsense.
 */
#include "shell/progress.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 24
#define REDRAW_NS 100000000ull   /* at most ~10 redraws a second */

struct ShProgress {
    FILE *out;
    char label[48];
    uint64_t total;
    uint64_t (*now_ns)(void *opaque);
    void *opaque;
    uint64_t start_ns, last_ns;
    bool drawn;       /* something is on the line */
};

static uint64_t monotonic_ns(void *opaque)
{
    (void)opaque;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

ShProgress *sh_progress_new_opts(FILE *out, const char *label, uint64_t total,
                                 const ShProgressOpts *opts)
{
    int tty = opts ? opts->tty : -1;
    if (tty < 0) {
        tty = out && isatty(fileno(out));
    }
    if (!out || !tty) {
        return NULL;   /* not a terminal: no bar, every call a no-op */
    }
    ShProgress *p = calloc(1, sizeof(*p));
    if (!p) {
        return NULL;
    }
    p->out = out;
    snprintf(p->label, sizeof(p->label), "%s", label ? label : "");
    p->total = total;
    p->now_ns = opts && opts->now_ns ? opts->now_ns : monotonic_ns;
    p->opaque = opts ? opts->opaque : NULL;
    p->start_ns = p->now_ns(p->opaque);
    p->last_ns = 0;
    return p;
}

ShProgress *sh_progress_new(FILE *out, const char *label, uint64_t total)
{
    return sh_progress_new_opts(out, label, total, NULL);
}

bool sh_progress_active(const ShProgress *p)
{
    return p != NULL;
}

static void draw(ShProgress *p, uint64_t done, uint64_t now)
{
    char bar[BAR_WIDTH + 1];
    uint64_t total = p->total;
    if (done > total) {
        done = total;
    }
    unsigned fill = total ? (unsigned)((double)done * BAR_WIDTH / (double)total) : 0;
    for (unsigned i = 0; i < BAR_WIDTH; i++) {
        bar[i] = i < fill ? '#' : ' ';
    }
    bar[BAR_WIDTH] = 0;
    unsigned pct = total ? (unsigned)((double)done * 100.0 / (double)total) : 0;
    char left[32] = "";
    uint64_t elapsed = now - p->start_ns;
    if (total && done && done * 100 >= total && elapsed >= 500000000ull) {
        double secs = (double)elapsed / 1e9 * (double)(total - done) / (double)done;
        uint64_t s = (uint64_t)(secs + 0.5);
        if (s >= 3600) {
            snprintf(left, sizeof(left), "  %" PRIu64 ":%02" PRIu64 ":%02" PRIu64
                     " left", s / 3600, s / 60 % 60, s % 60);
        } else {
            snprintf(left, sizeof(left), "  %" PRIu64 ":%02" PRIu64 " left",
                     s / 60, s % 60);
        }
    }
    /* \r to the line start, the bar, then erase what a longer line left. */
    fprintf(p->out, "\r%s [%s] %3u%%%s\033[K", p->label, bar, pct, left);
    fflush(p->out);
    p->drawn = true;
}

void sh_progress_update(ShProgress *p, uint64_t done)
{
    if (!p) {
        return;
    }
    uint64_t now = p->now_ns(p->opaque);
    if (p->drawn && now - p->last_ns < REDRAW_NS) {
        return;
    }
    p->last_ns = now;
    draw(p, done, now);
}

void sh_progress_done(ShProgress *p)
{
    if (!p) {
        return;
    }
    if (p->drawn) {
        fputs("\r\033[K", p->out);
        fflush(p->out);
    }
    free(p);
}

void sh_progress_report(void *opaque, uint64_t done, uint64_t total)
{
    ShProgressSlot *slot = opaque;
    if (total == 0) {
        sh_progress_slot_end(slot);
        return;
    }
    if (!slot->bar) {
        if (slot->off) {
            return;
        }
        slot->bar = sh_progress_new(slot->out, slot->label, total);
        if (!slot->bar) {
            slot->off = true;   /* not a terminal: do not ask again */
            return;
        }
    }
    sh_progress_update(slot->bar, done);
}

void sh_progress_slot_end(ShProgressSlot *slot)
{
    sh_progress_done(slot->bar);
    slot->bar = NULL;
}
