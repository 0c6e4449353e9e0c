/*
 * Who wrote this memory, and when? The engine behind the shell's
 * `last-write` and `history` (shell/search.h): on a replay session at
 * icount T, find the most recent stores to any byte of a physical range
 * before T, by a hart (icount, hart, pc, the instruction's bytes), by a
 * hart's page walker (A/D bits set for an instruction's access) or by a
 * device's DMA (the device's name).
 *
 * The search goes backwards one interval at a time, between the restore
 * positions the timeline already has (checkpoints of the trace and the
 * in-memory restore points of replay/timeline.c): restore the nearest one
 * before the end of the interval, replay it forwards with a physical
 * write watch on the range (core_debug_phys_watch: every hart's stores,
 * whatever their virtual address) and the address space's write observer
 * (devices' DMA and page walkers' A/D updates, core/mem.h), keep the
 * hits, and go one interval further back only while fewer than N were
 * found. The cost grows with the distance to the writes, not with T. The
 * session is put back at T afterwards, and its state hash is checked to
 * be the one it had.
 */
#ifndef REPLAY_LASTWRITE_H
#define REPLAY_LASTWRITE_H

#include "replay/rr.h"

/* Ranges up to this long get their old and new bytes reported. */
#define RR_WRITE_VALUE_MAX 16

typedef struct RRWrite {
    /* CPU store: the icount at which the storing instruction runs (a
       `goto` there stops on it, the old value still in memory); DMA: the
       icount at which the device wrote: during the instruction at that
       icount when a queue notify made it, before it for a completion on
       the device's timer (timers run before the instruction). */
    uint64_t icount;
    bool dma;
    /* A page walk: the hart's walker set A/D bits in a PTE for the access
       of the instruction at pc (its fetch, or its load or store), at the
       icount of that instruction (a `goto` there shows the old value). */
    bool walk;
    unsigned hart;              /* CPU store, page walk */
    uint64_t pc;                /* CPU store, page walk: the instruction */
    uint8_t insn[4];            /* CPU store, page walk: its bytes, insn_len of them */
    unsigned insn_len;          /* 0: could not be read */
    char device[64];            /* DMA: who ("virtio-rng (virtio-mmio0)") */
    uint64_t paddr;             /* DMA, page walk: the first byte written */
    bool have_values;           /* range <= RR_WRITE_VALUE_MAX bytes */
    uint8_t old_bytes[RR_WRITE_VALUE_MAX];
    uint8_t new_bytes[RR_WRITE_VALUE_MAX];
} RRWrite;

typedef struct RRWriteStats {
    unsigned intervals;         /* intervals replayed */
    uint64_t searched_from;     /* the earliest icount looked at */
} RRWriteStats;

/* The last icount of the session's trace (where `end` is). */
uint64_t rr_trace_end(RRSession *s);

/* The physical address of data address va through hart's translation at
   the current point; false (message in err) if unmapped or no such hart. */
bool rr_translate(CoreMachine *m, unsigned hart, uint64_t va, uint64_t *pa,
                  char *err, size_t errlen);

/* Makes the session take in-memory restore points (every
   RR_UNDO_INTERVAL instructions) from now on, as it does under a
   debugger: later searches then restart from one of those rather than
   from a checkpoint, which may be far back. For a session without a
   debugger (`rewind last-write`); a no-op with one. */
void rr_search_keep_points(RRSession *s);

/* The last `max` writes to physical [paddr, paddr+len) before the current
   icount of replay session s (attached to its machine), oldest first in
   out[]. Returns how many were found (0: none since the trace began), or
   -1 with a message in err. st may be NULL. */
long rr_find_writes(RRSession *s, uint64_t paddr, uint64_t len, size_t max,
                    RRWrite *out, RRWriteStats *st, char *err, size_t errlen);

#endif
