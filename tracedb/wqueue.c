/*
 * The trace writer's work queue (see tracedb/wqueue.h). One mutex guards
 * the lists and counters; the worker sleeps on `work`, the producer on
 * `room` (queue full, or waiting for it to empty). A job is run outside
 * the lock, so the producer only ever waits for room, never for a job.
 */
#define _GNU_SOURCE   /* pthread_setname_np */
#include "tracedb/wqueue.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

struct TdbQueue {
    pthread_mutex_t mu;
    pthread_cond_t work, room;
    pthread_t thread;
    bool threaded, stop;
    TdbQRun run;
    void *ctx;
    size_t max_bytes;
    TdbQItem *head, *tail;            /* waiting to run */
    TdbQItem *done_head, *done_tail;  /* run, not yet taken back */
    size_t queued, peak;              /* bytes of waiting + running jobs */
    size_t pending;                   /* jobs waiting or running */
};

static void append(TdbQItem **head, TdbQItem **tail, TdbQItem *it)
{
    it->next = NULL;
    if (*tail) {
        (*tail)->next = it;
    } else {
        *head = it;
    }
    *tail = it;
}

/* Called with q->mu held, after `it` has run. */
static void finished(TdbQueue *q, TdbQItem *it)
{
    q->queued -= it->bytes;
    q->pending--;
    append(&q->done_head, &q->done_tail, it);
    pthread_cond_broadcast(&q->room);
}

static void *worker(void *arg)
{
    TdbQueue *q = arg;
    /* Its own name in top -H and perf (at most 15 characters). */
    pthread_setname_np(pthread_self(), "rewind-writer");
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->head && !q->stop) {
            pthread_cond_wait(&q->work, &q->mu);
        }
        if (!q->head) {
            break;   /* stop, and nothing left */
        }
        TdbQItem *it = q->head;
        q->head = it->next;
        if (!q->head) {
            q->tail = NULL;
        }
        pthread_mutex_unlock(&q->mu);
        q->run(it, q->ctx);
        pthread_mutex_lock(&q->mu);
        finished(q, it);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

TdbQueue *tdb_queue_new(size_t max_bytes, bool threaded, TdbQRun run,
                        void *ctx)
{
    TdbQueue *q = calloc(1, sizeof(*q));
    if (!q) {
        return NULL;
    }
    q->run = run;
    q->ctx = ctx;
    q->max_bytes = max_bytes;
    q->threaded = threaded;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->work, NULL);
    pthread_cond_init(&q->room, NULL);
    /* The worker blocks every signal (it inherits the mask it is created
       with): SIGINT, SIGTERM and the rest go to the machine's thread,
       whose handlers and ppoll() masks expect them there. */
    sigset_t all, old;
    sigfillset(&all);
    bool started = true;
    if (threaded) {
        pthread_sigmask(SIG_SETMASK, &all, &old);
        started = pthread_create(&q->thread, NULL, worker, q) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    if (!started) {
        pthread_cond_destroy(&q->room);
        pthread_cond_destroy(&q->work);
        pthread_mutex_destroy(&q->mu);
        free(q);
        return NULL;
    }
    return q;
}

void tdb_queue_push(TdbQueue *q, TdbQItem *it)
{
    if (!q->threaded) {
        q->run(it, q->ctx);
        pthread_mutex_lock(&q->mu);
        q->queued += it->bytes;
        q->pending++;
        q->peak = q->queued > q->peak ? q->queued : q->peak;
        finished(q, it);
        pthread_mutex_unlock(&q->mu);
        return;
    }
    pthread_mutex_lock(&q->mu);
    /* Back-pressure: wait for the worker while the queue is full. A job
       larger than the bound waits for an empty queue, then goes alone. */
    while (q->pending && q->queued + it->bytes > q->max_bytes) {
        pthread_cond_wait(&q->room, &q->mu);
    }
    q->queued += it->bytes;
    q->pending++;
    q->peak = q->queued > q->peak ? q->queued : q->peak;
    append(&q->head, &q->tail, it);
    pthread_cond_signal(&q->work);
    pthread_mutex_unlock(&q->mu);
}

TdbQItem *tdb_queue_done(TdbQueue *q)
{
    pthread_mutex_lock(&q->mu);
    TdbQItem *it = q->done_head;
    if (it) {
        q->done_head = it->next;
        if (!q->done_head) {
            q->done_tail = NULL;
        }
        it->next = NULL;
    }
    pthread_mutex_unlock(&q->mu);
    return it;
}

bool tdb_queue_wait_done(TdbQueue *q)
{
    pthread_mutex_lock(&q->mu);
    while (!q->done_head && q->pending) {
        pthread_cond_wait(&q->room, &q->mu);
    }
    bool done = q->done_head != NULL;
    pthread_mutex_unlock(&q->mu);
    return done;
}

void tdb_queue_wait(TdbQueue *q)
{
    pthread_mutex_lock(&q->mu);
    while (q->pending) {
        pthread_cond_wait(&q->room, &q->mu);
    }
    pthread_mutex_unlock(&q->mu);
}

size_t tdb_queue_peak(TdbQueue *q)
{
    pthread_mutex_lock(&q->mu);
    size_t peak = q->peak;
    pthread_mutex_unlock(&q->mu);
    return peak;
}

bool tdb_queue_threaded(const TdbQueue *q)
{
    return q->threaded;
}

uint64_t tdb_queue_worker_cpu_ns(TdbQueue *q)
{
    clockid_t clock;
    struct timespec ts;
    if (!q->threaded || pthread_getcpuclockid(q->thread, &clock) != 0 ||
        clock_gettime(clock, &ts) != 0) {
        return 0;
    }
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void tdb_queue_free(TdbQueue *q)
{
    if (!q) {
        return;
    }
    if (q->threaded) {
        pthread_mutex_lock(&q->mu);
        q->stop = true;
        pthread_cond_signal(&q->work);
        pthread_mutex_unlock(&q->mu);
        pthread_join(q->thread, NULL);
    }
    pthread_cond_destroy(&q->room);
    pthread_cond_destroy(&q->work);
    pthread_mutex_destroy(&q->mu);
    free(q);
}
