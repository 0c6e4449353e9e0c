/*
 * The trace writer's work queue: a FIFO of jobs run in order by one worker
 * thread (or inline, by the caller, in the single-threaded mode), with the
 * bytes queued bounded by waiting (back-pressure). Finished jobs come back
 * to the producer (tdb_queue_done) so it can reuse their buffers; the
 * worker never frees. Internal to tracedb/ (and its unit test).
 */
#ifndef TRACEDB_WQUEUE_H
#define TRACEDB_WQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct TdbQItem {
    struct TdbQItem *next;
    size_t bytes;          /* memory the job holds, for the bound */
} TdbQItem;

typedef struct TdbQueue TdbQueue;

/* Runs one job; called in push order, one at a time. */
typedef void (*TdbQRun)(TdbQItem *it, void *ctx);

/* threaded: start a worker thread (false: push runs the job itself).
   max_bytes: push waits while other jobs hold more than this together with
   the new one (a job larger than the bound alone still goes through).
   NULL when the thread cannot be started or memory is short. */
TdbQueue *tdb_queue_new(size_t max_bytes, bool threaded, TdbQRun run,
                        void *ctx);
/* Hands a job over; waits while the queue is full. */
void tdb_queue_push(TdbQueue *q, TdbQItem *it);
/* One job that has run, oldest first, or NULL; never waits. */
TdbQItem *tdb_queue_done(TdbQueue *q);
/* Waits until a job has run and not been taken back yet (true), or none
   is left to run (false). */
bool tdb_queue_wait_done(TdbQueue *q);
/* Waits until every job pushed so far has run. */
void tdb_queue_wait(TdbQueue *q);
/* The most bytes queued (pushed, not yet run) at any time. */
size_t tdb_queue_peak(TdbQueue *q);
bool tdb_queue_threaded(const TdbQueue *q);
/* CPU time the worker thread used so far, in ns (0 single-threaded): the
   price of writing the trace, for `record -stats`. */
uint64_t tdb_queue_worker_cpu_ns(TdbQueue *q);
/* Waits for the jobs, joins the worker and frees q; jobs not taken back
   with tdb_queue_done are the caller's: call it until NULL first. */
void tdb_queue_free(TdbQueue *q);

#endif
