/*
 * Unit test of the trace writer's work queue (tracedb/wqueue.h): jobs run
 * once each, in push order, on the worker thread; the bytes queued stay
 * under the bound (the producer waits), a job larger than the bound goes
 * alone; finished jobs come back in order; the inline mode runs each job
 * inside push; freeing joins the worker after the last job; the worker
 * blocks signals (the machine's thread handles them). It also passes
 * under ThreadSanitizer, built by hand:
 *   gcc -fsanitize=thread -I. tracedb/wqueue.c tests/unit/wqueue_test.c
 */
#include "tracedb/wqueue.h"
#include "tests/unit/check.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>

enum { N = 2000, BOUND = 1000 };

typedef struct Item {
    TdbQItem q;
    int id;
    volatile int runs;
} Item;

typedef struct Ctx {
    int order[N + 8];
    int n;                      /* jobs run so far (worker only) */
    pthread_t runner;
    bool on_other_thread;
    bool signals_open;          /* SIGINT or SIGTERM unblocked in a job */
    volatile uint64_t sink;
} Ctx;

static void run(TdbQItem *it, void *opaque)
{
    Ctx *c = opaque;
    Item *x = (Item *)it;
    x->runs++;
    c->order[c->n++] = x->id;
    c->on_other_thread |= !pthread_equal(pthread_self(), c->runner);
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    c->signals_open |= !sigismember(&cur, SIGINT) ||
                       !sigismember(&cur, SIGTERM);
    /* Be slower than the producer now and then, so it has to wait. */
    for (int i = 0; i < (x->id % 7) * 2000; i++) {
        c->sink += (uint64_t)i;
    }
    if (x->id % 5 == 0) {
        sched_yield();
    }
}

static void test_threaded(void)
{
    static Item items[N + 1];
    static Ctx c;
    c.runner = pthread_self();
    TdbQueue *q = tdb_queue_new(BOUND, true, run, &c);
    CHECK(q != NULL && tdb_queue_threaded(q), "start the worker");
    if (!q) {
        return;
    }
    for (int i = 0; i < N; i++) {
        items[i] = (Item){ .q.bytes = 100 + (size_t)(i % 3) * 100, .id = i };
        tdb_queue_push(q, &items[i].q);
    }
    CHECK(tdb_queue_peak(q) <= BOUND, "peak %zu within the bound %d",
          tdb_queue_peak(q), BOUND);
    CHECK(tdb_queue_peak(q) >= 300, "the queue held jobs (%zu)",
          tdb_queue_peak(q));
    /* A job larger than the bound waits for an empty queue, then runs. */
    items[N] = (Item){ .q.bytes = 5 * BOUND, .id = N };
    tdb_queue_push(q, &items[N].q);
    tdb_queue_wait(q);
    CHECK(tdb_queue_peak(q) == 5 * BOUND, "a large job alone: peak %zu",
          tdb_queue_peak(q));
    CHECK(c.n == N + 1, "all jobs ran after wait (%d)", c.n);
    int bad = 0;
    for (int i = 0; i <= N; i++) {
        bad += c.order[i] != i || items[i].runs != 1;
    }
    CHECK(bad == 0, "jobs ran once each in push order (%d out of place)", bad);
    CHECK(c.on_other_thread, "jobs ran on the worker thread");
    CHECK(!c.signals_open, "the worker blocks signals (they go to the "
          "machine's thread)");
    int back = 0, inorder = 1;
    TdbQItem *it;
    while ((it = tdb_queue_done(q))) {
        inorder &= ((Item *)it)->id == back;
        back++;
    }
    CHECK(back == N + 1 && inorder, "finished jobs come back in order (%d)",
          back);
    CHECK(tdb_queue_done(q) == NULL, "nothing more");
    tdb_queue_free(q);
}

/* Free right after pushing: the worker finishes every job first. */
static void test_free_joins(void)
{
    static Item items[64];
    static Ctx c;
    c.runner = pthread_self();
    TdbQueue *q = tdb_queue_new(BOUND, true, run, &c);
    if (!q) {
        CHECK(false, "start the worker");
        return;
    }
    for (int i = 0; i < 64; i++) {
        items[i] = (Item){ .q.bytes = 10, .id = i };
        tdb_queue_push(q, &items[i].q);
    }
    while (tdb_queue_done(q)) {
    }
    tdb_queue_free(q);
    int ran = 0;
    for (int i = 0; i < 64; i++) {
        ran += items[i].runs == 1;
    }
    CHECK(ran == 64 && c.n == 64, "free ran all 64 jobs before joining (%d)",
          ran);
}

static void test_inline(void)
{
    static Item items[10];
    static Ctx c;
    c.runner = pthread_self();
    TdbQueue *q = tdb_queue_new(BOUND, false, run, &c);
    CHECK(q != NULL && !tdb_queue_threaded(q), "inline queue");
    if (!q) {
        return;
    }
    int now = 0;
    for (int i = 0; i < 10; i++) {
        items[i] = (Item){ .q.bytes = 400, .id = i };
        tdb_queue_push(q, &items[i].q);
        now += c.n == i + 1;
    }
    CHECK(now == 10, "inline: each job ran inside its push");
    CHECK(!c.on_other_thread, "inline: on the caller's thread");
    CHECK(tdb_queue_peak(q) == 400, "inline: one job at a time");
    int back = 0;
    while (tdb_queue_done(q)) {
        back++;
    }
    CHECK(back == 10, "inline: finished jobs come back");
    tdb_queue_free(q);
}

int main(void)
{
    test_threaded();
    test_free_joins();
    test_inline();
    return check_done("wqueue");
}
