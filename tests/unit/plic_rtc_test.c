/*
 * Unit tests for the PLIC and the Goldfish RTC, driven at the register
 * level through the address space, and for the wall-clock door and the
 * `-rtc` parser they depend on.
 *
 * Times are exact: icount shift 3, so one instruction is 8 ns, and the
 * RTC's wall clock is pinned (core_input_set_wallclock) or comes from a
 * test hook, never from the host. Each device gets a save -> reset ->
 * load -> save round trip that must give identical bytes and the same
 * behaviour afterwards (lines driven, alarm timer re-armed).
 */
#include "core/input.h"
#include "core/journal.h"
#include "core/run.h"
#include "core/rtc.h"
#include "hw/intc/plic.h"
#include "hw/rtc/goldfish_rtc.h"
#include "tests/unit/check.h"
#include "tests/unit/machine_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- harness ---- */

typedef struct Lines {
    int level[HW_PLIC_MAX_CONTEXTS];
    int changes;                /* calls that changed a level */
} Lines;

static void line_set(void *opaque, int n, int level)
{
    Lines *l = opaque;
    l->changes += l->level[n] != level;
    l->level[n] = level;
}

static const CoreConfig test_cfg = { .machine = "none", .icount_shift = 3 };

static CoreMachine *new_machine(void)
{
    return th_bare_machine(&test_cfg);
}

static uint32_t rd(CoreMachine *m, gpa_t addr)
{
    return (uint32_t)th_mmio_read(m, addr, 4);
}

static void wr(CoreMachine *m, gpa_t addr, uint32_t value)
{
    th_mmio_write(m, addr, value, 4);
}

/* ---- PLIC ---- */

#define PLIC 0xc000000ull
/* Contexts with two harts: 0 = hart 0 M, 1 = hart 0 S, 2 = hart 1 M,
   3 = hart 1 S. */

typedef struct PlicRig {
    CoreMachine *m;
    Plic *p;
    Lines out;
} PlicRig;

static void plic_rig(PlicRig *r, unsigned nharts)
{
    CoreIrq ctx[HW_PLIC_MAX_CONTEXTS];

    memset(r, 0, sizeof(*r));
    r->m = new_machine();
    for (unsigned i = 0; i < 2 * nharts; i++) {
        ctx[i] = core_irq_make(line_set, &r->out, (int)i);
    }
    r->p = hw_plic_create(r->m, PLIC, nharts, ctx);
    CHECK(r->p != NULL);
}

static void set_prio(PlicRig *r, unsigned src, uint32_t prio)
{
    wr(r->m, PLIC + HW_PLIC_PRIORITY + 4 * src, prio);
}

static void enable(PlicRig *r, unsigned ctx, unsigned src, bool on)
{
    gpa_t a = PLIC + HW_PLIC_ENABLE + HW_PLIC_ENABLE_STRIDE * ctx + 4 * (src / 32);
    uint32_t v = rd(r->m, a);
    wr(r->m, a, on ? v | 1u << (src % 32) : v & ~(1u << (src % 32)));
}

static void set_threshold(PlicRig *r, unsigned ctx, uint32_t t)
{
    wr(r->m, PLIC + HW_PLIC_CONTEXT + HW_PLIC_CONTEXT_STRIDE * ctx, t);
}

static uint32_t claim(PlicRig *r, unsigned ctx)
{
    return rd(r->m, PLIC + HW_PLIC_CONTEXT + HW_PLIC_CONTEXT_STRIDE * ctx + 4);
}

static void complete(PlicRig *r, unsigned ctx, uint32_t src)
{
    wr(r->m, PLIC + HW_PLIC_CONTEXT + HW_PLIC_CONTEXT_STRIDE * ctx + 4, src);
}

static void line(PlicRig *r, unsigned src, int level)
{
    CoreIrq irq = hw_plic_source(r->p, src);
    core_irq_set(&irq, level);
}

static uint32_t pending_word(PlicRig *r, unsigned w)
{
    return rd(r->m, PLIC + HW_PLIC_PENDING + 4 * w);
}

static void test_plic_registers(void)
{
    PlicRig r;
    plic_rig(&r, 2);

    CHECK(core_mem_find(r.m->as, PLIC + HW_PLIC_SIZE - 4) != NULL);
    CHECK(rd(r.m, PLIC + 4) == 0 && claim(&r, 0) == 0);
    set_prio(&r, 1, 0xff);                       /* WARL: 3 bits */
    CHECK(rd(r.m, PLIC + 4) == 7);
    set_prio(&r, 0, 5);                          /* source 0 does not exist */
    CHECK(rd(r.m, PLIC + 0) == 0);
    set_prio(&r, 96, 5);                         /* nor does source 96 */
    CHECK(rd(r.m, PLIC + 4 * 96) == 0);
    set_prio(&r, 95, 3);
    CHECK(rd(r.m, PLIC + 4 * 95) == 3);

    wr(r.m, PLIC + HW_PLIC_ENABLE, 0xffffffff);  /* bit 0 hardwired to 0 */
    CHECK(rd(r.m, PLIC + HW_PLIC_ENABLE) == 0xfffffffe);
    wr(r.m, PLIC + HW_PLIC_ENABLE + 8, 0x80000001);
    CHECK(rd(r.m, PLIC + HW_PLIC_ENABLE + 8) == 0x80000001);
    wr(r.m, PLIC + HW_PLIC_ENABLE + 12, 0xffffffff);   /* no word 3 */
    CHECK(rd(r.m, PLIC + HW_PLIC_ENABLE + 12) == 0);

    set_threshold(&r, 3, 0x1f);
    CHECK(rd(r.m, PLIC + HW_PLIC_CONTEXT + 3 * HW_PLIC_CONTEXT_STRIDE) == 7);
    set_threshold(&r, 4, 1);                     /* context 4: no hart 2 */
    CHECK(rd(r.m, PLIC + HW_PLIC_CONTEXT + 4 * HW_PLIC_CONTEXT_STRIDE) == 0);
    wr(r.m, PLIC + HW_PLIC_ENABLE + 4 * HW_PLIC_ENABLE_STRIDE, 0xf0);
    CHECK(rd(r.m, PLIC + HW_PLIC_ENABLE + 4 * HW_PLIC_ENABLE_STRIDE) == 0);

    line(&r, 33, 1);
    CHECK(pending_word(&r, 1) == 2);
    wr(r.m, PLIC + HW_PLIC_PENDING + 4, 0);      /* pending is read-only */
    CHECK(pending_word(&r, 1) == 2);
    core_machine_free(r.m);
}

static void test_plic_priority_ties_and_threshold(void)
{
    PlicRig r;
    plic_rig(&r, 2);

    set_prio(&r, 3, 2);
    set_prio(&r, 5, 5);
    set_prio(&r, 7, 5);
    for (unsigned s = 3; s <= 7; s += 2) {
        enable(&r, 1, s, true);
        line(&r, s, 1);
    }
    CHECK(pending_word(&r, 0) == 0xa8);
    CHECK(r.out.level[1] == 1 && r.out.level[0] == 0);
    CHECK(claim(&r, 1) == 5);                    /* tie 5/7: lowest id */
    CHECK(pending_word(&r, 0) == 0x88);
    CHECK(claim(&r, 1) == 7);
    CHECK(r.out.level[1] == 1);                  /* 3 still waits */
    set_threshold(&r, 1, 2);                     /* 2 is not above 2 */
    CHECK(r.out.level[1] == 0);
    CHECK(claim(&r, 1) == 0);
    set_threshold(&r, 1, 1);
    CHECK(r.out.level[1] == 1);
    CHECK(claim(&r, 1) == 3);
    CHECK(r.out.level[1] == 0 && claim(&r, 1) == 0);

    /* Higher priority beats a lower id. */
    complete(&r, 1, 3);
    complete(&r, 1, 5);
    CHECK(claim(&r, 1) == 5);                    /* re-pended, still high */
    set_prio(&r, 7, 6);
    complete(&r, 1, 7);
    CHECK(claim(&r, 1) == 7 && claim(&r, 1) == 3);
    core_machine_free(r.m);
}

static void test_plic_priority_zero_never_interrupts(void)
{
    PlicRig r;
    plic_rig(&r, 1);

    enable(&r, 0, 9, true);
    line(&r, 9, 1);
    CHECK(pending_word(&r, 0) == 1u << 9);
    CHECK(r.out.level[0] == 0 && claim(&r, 0) == 0);
    set_prio(&r, 9, 1);
    CHECK(r.out.level[0] == 1);
    set_prio(&r, 9, 0);
    CHECK(r.out.level[0] == 0);
    core_machine_free(r.m);
}

static void test_plic_enable_per_context(void)
{
    PlicRig r;
    plic_rig(&r, 2);

    set_prio(&r, 10, 1);
    enable(&r, 2, 10, true);                     /* hart 1, M-mode only */
    line(&r, 10, 1);
    CHECK(r.out.level[2] == 1);
    CHECK(r.out.level[0] == 0 && r.out.level[1] == 0 && r.out.level[3] == 0);
    CHECK(claim(&r, 0) == 0 && claim(&r, 3) == 0);
    CHECK(pending_word(&r, 0) == 1u << 10);
    enable(&r, 3, 10, true);                     /* multicast to hart 1 S */
    CHECK(r.out.level[3] == 1);
    CHECK(claim(&r, 3) == 10);                   /* the first claim wins */
    CHECK(r.out.level[2] == 0 && r.out.level[3] == 0);
    CHECK(claim(&r, 2) == 0);
    enable(&r, 2, 10, false);
    complete(&r, 2, 10);                         /* not enabled there: ignored */
    CHECK(pending_word(&r, 0) == 0 && r.out.level[3] == 0);
    complete(&r, 3, 10);                         /* line still high: re-pend */
    CHECK(pending_word(&r, 0) == 1u << 10 && r.out.level[3] == 1);
    CHECK(r.out.level[2] == 0);
    core_machine_free(r.m);
}

static void test_plic_level_gateway(void)
{
    PlicRig r;
    plic_rig(&r, 1);

    set_prio(&r, 1, 1);
    enable(&r, 1, 1, true);
    line(&r, 1, 1);
    CHECK(r.out.level[1] == 1);
    CHECK(claim(&r, 1) == 1);
    CHECK(pending_word(&r, 0) == 0 && r.out.level[1] == 0);
    line(&r, 1, 0);                              /* in service: ignored */
    line(&r, 1, 1);
    CHECK(pending_word(&r, 0) == 0 && r.out.level[1] == 0);
    complete(&r, 1, 1);                          /* still high: new request */
    CHECK(pending_word(&r, 0) == 2 && r.out.level[1] == 1);
    CHECK(claim(&r, 1) == 1);
    line(&r, 1, 0);
    complete(&r, 1, 1);                          /* low: nothing more */
    CHECK(pending_word(&r, 0) == 0 && r.out.level[1] == 0);

    /* A request is not retracted when the line drops before the claim. */
    line(&r, 1, 1);
    line(&r, 1, 0);
    CHECK(pending_word(&r, 0) == 2 && r.out.level[1] == 1);
    CHECK(claim(&r, 1) == 1);
    complete(&r, 1, 1);
    CHECK(pending_word(&r, 0) == 0);

    complete(&r, 1, 0);                          /* bad ids: ignored */
    complete(&r, 1, 96);
    complete(&r, 1, 0xffffffff);
    CHECK(pending_word(&r, 0) == 0 && r.out.level[1] == 0);
    core_machine_free(r.m);
}

static void test_plic_reset_keeps_levels(void)
{
    PlicRig r;
    plic_rig(&r, 1);

    set_prio(&r, 4, 3);
    enable(&r, 0, 4, true);
    line(&r, 4, 1);
    CHECK(claim(&r, 0) == 4);
    th_device(r.m, "plic")->ops->reset(r.p);
    CHECK(rd(r.m, PLIC + 16) == 0 && rd(r.m, PLIC + HW_PLIC_ENABLE) == 0);
    CHECK(pending_word(&r, 0) == 1u << 4);       /* line high, not in service */
    CHECK(r.out.level[0] == 0);
    core_machine_free(r.m);
}

static void test_plic_state_round_trip(void)
{
    PlicRig r;
    plic_rig(&r, 2);

    set_prio(&r, 1, 4);
    set_prio(&r, 2, 6);
    set_prio(&r, 40, 2);
    set_prio(&r, 95, 7);
    enable(&r, 1, 1, true);
    enable(&r, 1, 2, true);
    enable(&r, 2, 40, true);
    enable(&r, 3, 95, true);
    set_threshold(&r, 3, 5);
    line(&r, 1, 1);
    line(&r, 2, 1);
    line(&r, 40, 1);
    line(&r, 95, 1);
    CHECK(claim(&r, 1) == 2);                    /* 2 in service, line high */
    CHECK(claim(&r, 3) == 95);
    line(&r, 95, 0);
    CHECK(th_device_round_trip(r.m, "plic"));
    /* Outputs driven from the loaded state, behaviour unchanged. */
    CHECK(r.out.level[0] == 0 && r.out.level[1] == 1);
    CHECK(r.out.level[2] == 1 && r.out.level[3] == 0);
    CHECK(rd(r.m, PLIC + HW_PLIC_CONTEXT + 3 * HW_PLIC_CONTEXT_STRIDE) == 5);
    CHECK(claim(&r, 1) == 1 && claim(&r, 1) == 0);
    complete(&r, 1, 2);
    CHECK(claim(&r, 1) == 2);
    complete(&r, 3, 95);
    CHECK(claim(&r, 3) == 0);
    CHECK(claim(&r, 2) == 40);

    /* A record with a priority out of range is refused, nothing changes. */
    CoreDevice *d = th_device(r.m, "plic");
    CoreBuf b = { 0 };
    char err[256] = "";
    size_t pos = 0;
    core_state_save(d->ops->state, d->opaque, &b);
    size_t header = 2 + strlen("plic") + 8;
    b.data[header + 4 * 40] = 9;                 /* priority[40] = 9 */
    CHECK(core_state_load(d->ops->state, d->opaque, b.data, b.len, &pos, err, sizeof(err)) < 0);
    CHECK(strstr(err, "plic"));
    CHECK(rd(r.m, PLIC + 4 * 40) == 2);
    core_buf_free(&b);
    core_machine_free(r.m);
}

/* ---- wall clock and -rtc ---- */

typedef struct ClockHook {
    uint64_t value;
    int calls;
} ClockHook;

static uint64_t clock_hook(void *opaque)
{
    ClockHook *h = opaque;
    h->calls++;
    return h->value;
}

static void test_rtc_parse_base(void)
{
    bool host = false;
    uint64_t ns = 1;

    CHECK(core_rtc_parse_base("base=utc", &host, &ns) && host);
    CHECK(core_rtc_parse_base("base=2006-06-17T16:01:21", &host, &ns) && !host &&
          ns == 1150560081ull * 1000000000ull);
    CHECK(core_rtc_parse_base("base=2006-06-17", &host, &ns) && !host &&
          ns == 1150502400ull * 1000000000ull);
    CHECK(core_rtc_parse_base("base=1970-01-01T00:00:00,clock=vm", &host, &ns) &&
          !host && ns == 0);
    CHECK(core_rtc_parse_base("base=2024-02-29T23:59:59", &host, &ns) &&
          ns == 1709251199ull * 1000000000ull);
    CHECK(core_rtc_parse_base("base=2554-07-21T23:34:33", &host, &ns) &&
          ns == 18446744073ull * 1000000000ull);
    CHECK(core_rtc_parse_base("clock=vm", &host, &ns) && host);

    ns = 42;
    CHECK(!core_rtc_parse_base("base=2554-07-21T23:34:34", &host, &ns));
    CHECK(!core_rtc_parse_base("base=2023-02-29", &host, &ns));
    CHECK(!core_rtc_parse_base("base=1969-12-31T23:59:59", &host, &ns));
    CHECK(!core_rtc_parse_base("base=2006-06-17T24:00:00", &host, &ns));
    CHECK(!core_rtc_parse_base("base=2006-6-17", &host, &ns));
    CHECK(!core_rtc_parse_base("base=2006-06-17T16:01", &host, &ns));
    CHECK(!core_rtc_parse_base("base=localtime", &host, &ns));
    CHECK(!core_rtc_parse_base("base=utc,clock=host", &host, &ns));
    CHECK(!core_rtc_parse_base("base=utc,", &host, &ns));
    CHECK(!core_rtc_parse_base("", &host, &ns));
    CHECK(ns == 42);
}

static void test_wallclock_door(void)
{
    CoreInput *in = core_input_new(), *other = core_input_new();
    ClockHook hook = { 5000000000ull, 0 };

    core_input_set_wallclock_hook(in, clock_hook, &hook);
    CHECK(!core_input_wallclock_known(in));
    CHECK(th_round_trip(core_input_device_ops.state, in, NULL));
    CHECK(hook.calls == 0);
    CHECK(core_input_wallclock_ns(in, 1000) == 5000000000ull - 1000);
    CHECK(core_input_wallclock_ns(in, 9999) == 5000000000ull - 1000);
    CHECK(hook.calls == 1 && core_input_wallclock_known(in));

    /* The base is machine state: it travels with the input record. */
    CoreBuf b = { 0 };
    size_t pos = 0;
    core_state_save(core_input_device_ops.state, in, &b);
    CHECK(core_state_load(core_input_device_ops.state, other, b.data, b.len,
                          &pos, NULL, 0) == 0);
    CHECK(core_input_wallclock_known(other) &&
          core_input_wallclock_ns(other, 0) == 5000000000ull - 1000);
    CHECK(th_round_trip(core_input_device_ops.state, other, NULL));

    core_input_set_wallclock(in, 77);            /* pinning wins */
    CHECK(core_input_wallclock_ns(in, 0) == 77 && hook.calls == 1);
    core_buf_free(&b);
    core_input_free(in);
    core_input_free(other);
}

/* The machine's wall clock goes through the journal door
   (core_run_wallclock): live, the host's; recording, the host's and
   logged; replaying, the journal's, and the host is not asked. */
typedef struct FakeJournal {
    bool replaying;
    uint64_t supply, logged;
    unsigned logs, supplies;
} FakeJournal;

static bool fj_replaying(const void *j)
{
    return ((const FakeJournal *)j)->replaying;
}

static bool fj_wallclock(void *j, uint64_t *ns)
{
    FakeJournal *f = j;
    f->supplies++;
    *ns = f->supply;
    return true;
}

static void fj_log_wallclock(void *j, uint64_t ns)
{
    FakeJournal *f = j;
    f->logs++;
    f->logged = ns;
}

static unsigned host_reads;

static uint64_t fake_host_wallclock(CoreMachine *m)
{
    (void)m;
    host_reads++;
    return 7000000000ull;
}

static void test_wallclock_journal(void)
{
    static const CoreJournalOps ops = {
        .replaying = fj_replaying,
        .wallclock = fj_wallclock,
        .log_wallclock = fj_log_wallclock,
    };
    static const CoreHostOps host = { .wallclock_ns = fake_host_wallclock };

    CoreMachine *m = new_machine();             /* live: the host's */
    m->host = &host;
    host_reads = 0;
    CHECK(core_input_wallclock_ns(m->input, 0) == 7000000000ull &&
          host_reads == 1);
    core_machine_free(m);

    FakeJournal rec = { .replaying = false };   /* recording: logged */
    m = new_machine();
    m->host = &host;
    m->journal = &rec;
    m->journal_ops = &ops;
    CHECK(core_input_wallclock_ns(m->input, 1000) == 7000000000ull - 1000);
    CHECK(rec.logs == 1 && rec.logged == 7000000000ull && rec.supplies == 0);
    CHECK(core_input_wallclock_ns(m->input, 2000) == 7000000000ull - 1000 &&
          rec.logs == 1, "read once, logged once");
    core_machine_free(m);

    FakeJournal play = { .replaying = true, .supply = 3000000000ull };
    m = new_machine();                          /* replaying: the journal's */
    m->host = &host;
    m->journal = &play;
    m->journal_ops = &ops;
    host_reads = 0;
    CHECK(core_input_wallclock_ns(m->input, 0) == 3000000000ull);
    CHECK(play.supplies == 1 && play.logs == 0 && host_reads == 0);
    core_machine_free(m);

    m = new_machine();                          /* no host: the epoch */
    CHECK(core_input_wallclock_ns(m->input, 0) == 0);
    core_machine_free(m);
}

/* ---- Goldfish RTC ---- */

#define RTC 0x101000ull
#define T_LOW   (RTC + HW_GOLDFISH_RTC_TIME_LOW)
#define T_HIGH  (RTC + HW_GOLDFISH_RTC_TIME_HIGH)
#define A_LOW   (RTC + HW_GOLDFISH_RTC_ALARM_LOW)
#define A_HIGH  (RTC + HW_GOLDFISH_RTC_ALARM_HIGH)
#define IRQ_EN  (RTC + HW_GOLDFISH_RTC_IRQ_ENABLED)
#define CLR_ALM (RTC + HW_GOLDFISH_RTC_CLEAR_ALARM)
#define STATUS  (RTC + HW_GOLDFISH_RTC_ALARM_STATUS)
#define CLR_IRQ (RTC + HW_GOLDFISH_RTC_CLEAR_INTERRUPT)

/* 2023-11-14T22:13:20Z plus 123 ns. */
#define BASE (1700000000ull * 1000000000ull + 123)

typedef struct RtcRig {
    CoreMachine *m;
    GoldfishRtc *rtc;
    Lines irq;
} RtcRig;

static void rtc_rig(RtcRig *r, bool pin, uint64_t base)
{
    memset(r, 0, sizeof(*r));
    r->m = new_machine();
    if (pin) {
        core_input_set_wallclock(r->m->input, base);
    }
    r->rtc = hw_goldfish_rtc_create(r->m, RTC, core_irq_make(line_set, &r->irq, 0),
                                    r->m->input);
    CHECK(r->rtc != NULL);
}

static uint64_t rtc_time(RtcRig *r)
{
    uint64_t lo = rd(r->m, T_LOW);
    return (uint64_t)rd(r->m, T_HIGH) << 32 | lo;
}

static void set_alarm(RtcRig *r, uint64_t when)
{
    wr(r->m, A_HIGH, (uint32_t)(when >> 32));
    wr(r->m, A_LOW, (uint32_t)when);
}

static void test_rtc_time_reads(void)
{
    RtcRig r;
    rtc_rig(&r, true, BASE);

    CHECK(rtc_time(&r) == BASE);
    th_run_to(r.m, 1000);                           /* 8000 ns later */
    CHECK(rtc_time(&r) == BASE + 8000);
    th_run_to(r.m, 125000000);                      /* one second of guest time */
    CHECK(rtc_time(&r) == BASE + 1000000000ull);
    CHECK(rd(r.m, RTC + 0x20) == 0 && rd(r.m, CLR_IRQ) == 0);
    core_machine_free(r.m);
}

static void test_rtc_high_half_is_latched(void)
{
    RtcRig r;
    uint64_t base = (0x1234ull << 32) | 0xffffff00u;
    rtc_rig(&r, true, base);

    CHECK(rd(r.m, T_LOW) == 0xffffff00u);
    th_run_to(r.m, 100);                            /* +800 ns: high half moves */
    CHECK(rd(r.m, T_HIGH) == 0x1234);            /* from the earlier LOW read */
    CHECK(rd(r.m, T_LOW) == 0x220);
    CHECK(rd(r.m, T_HIGH) == 0x1235);
    core_machine_free(r.m);
}

static void test_rtc_host_clock_read_lazily(void)
{
    RtcRig r;
    ClockHook hook = { BASE, 0 };

    memset(&r, 0, sizeof(r));
    r.m = new_machine();
    core_input_set_wallclock_hook(r.m->input, clock_hook, &hook);
    r.rtc = hw_goldfish_rtc_create(r.m, RTC, core_irq_make(line_set, &r.irq, 0),
                                   r.m->input);
    th_device(r.m, "rtc")->ops->reset(r.rtc);
    wr(r.m, IRQ_EN, 1);
    CHECK(hook.calls == 0);                      /* nothing needed the time */
    th_run_to(r.m, 500);
    CHECK(rtc_time(&r) == BASE);                 /* the host's time, now */
    th_run_to(r.m, 600);
    CHECK(rtc_time(&r) == BASE + 800);
    CHECK(hook.calls == 1);
    CHECK(core_input_wallclock_ns(r.m->input, 0) == BASE - 4000);
    core_machine_free(r.m);
}

static void test_rtc_time_write(void)
{
    RtcRig r;
    rtc_rig(&r, true, BASE);

    th_run_to(r.m, 10);
    wr(r.m, T_HIGH, 0x10);                       /* as Linux does: HIGH, LOW */
    wr(r.m, T_LOW, 0x20);
    CHECK(rtc_time(&r) == 0x1000000020ull);
    th_run_to(r.m, 20);
    CHECK(rtc_time(&r) == 0x1000000020ull + 80);
    th_device(r.m, "rtc")->ops->reset(r.rtc);       /* reset keeps the time */
    CHECK(rtc_time(&r) == 0x1000000020ull + 80);
    core_machine_free(r.m);
}

static void test_rtc_alarm_at_exact_time(void)
{
    RtcRig r;
    rtc_rig(&r, true, BASE);

    set_alarm(&r, BASE + 10004);                 /* virtual ns 10004 */
    wr(r.m, IRQ_EN, 1);
    CHECK(rd(r.m, STATUS) == 1);
    CHECK(rd(r.m, A_LOW) == (uint32_t)(BASE + 10004));
    CHECK(rd(r.m, A_HIGH) == (uint32_t)((BASE + 10004) >> 32));
    CHECK(r.m->timers && r.m->timers->deadline_ns == 10004);
    th_run_to(r.m, 1250);                           /* 10000 ns */
    CHECK(r.irq.level[0] == 0 && rd(r.m, STATUS) == 1);
    th_run_to(r.m, 1251);                           /* 10008 ns */
    CHECK(r.irq.level[0] == 1 && rd(r.m, STATUS) == 0);
    CHECK(r.m->timers == NULL);
    wr(r.m, IRQ_EN, 0);                          /* the line follows enable */
    CHECK(r.irq.level[0] == 0);
    wr(r.m, IRQ_EN, 3);
    CHECK(r.irq.level[0] == 1 && rd(r.m, IRQ_EN) == 1);
    wr(r.m, CLR_IRQ, 0);
    CHECK(r.irq.level[0] == 0);

    /* An alarm already due fires at once. */
    set_alarm(&r, BASE);
    CHECK(r.irq.level[0] == 1 && rd(r.m, STATUS) == 0);
    wr(r.m, CLR_IRQ, 1);

    /* Writing only ALARM_HIGH does not arm; CLEAR_ALARM disarms. */
    wr(r.m, A_HIGH, (uint32_t)((BASE + 1000000) >> 32));
    CHECK(rd(r.m, STATUS) == 0);
    set_alarm(&r, BASE + 1000000);
    CHECK(rd(r.m, STATUS) == 1);
    wr(r.m, CLR_ALM, 1);
    CHECK(rd(r.m, STATUS) == 0 && r.m->timers == NULL);
    th_run_to(r.m, 1000000);
    CHECK(r.irq.level[0] == 0);

    /* With interrupts disabled the alarm still latches the pending bit. */
    wr(r.m, IRQ_EN, 0);
    set_alarm(&r, BASE + 8000000 + 16);
    th_run_to(r.m, 1000002);
    CHECK(r.irq.level[0] == 0 && rd(r.m, STATUS) == 0);
    wr(r.m, IRQ_EN, 1);
    CHECK(r.irq.level[0] == 1);
    core_machine_free(r.m);
}

static void test_rtc_reset(void)
{
    RtcRig r;
    rtc_rig(&r, true, BASE);

    set_alarm(&r, BASE + 5000);
    wr(r.m, IRQ_EN, 1);
    th_device(r.m, "rtc")->ops->reset(r.rtc);
    CHECK(rd(r.m, STATUS) == 0 && rd(r.m, IRQ_EN) == 0);
    CHECK(rd(r.m, A_LOW) == 0 && rd(r.m, A_HIGH) == 0);
    CHECK(r.m->timers == NULL && r.irq.level[0] == 0);
    core_machine_free(r.m);
}

static void test_rtc_state_round_trip(void)
{
    RtcRig r;
    rtc_rig(&r, true, BASE);

    th_run_to(r.m, 100);
    wr(r.m, T_HIGH, 0x20);                       /* guest offset */
    wr(r.m, T_LOW, 0);
    set_alarm(&r, 0x2000000000ull + 2400);       /* 2400 ns from now */
    wr(r.m, IRQ_EN, 1);
    CHECK(rd(r.m, T_LOW) == 0);                  /* latches 0x20 */
    CHECK(th_device_round_trip(r.m, "rtc"));
    CHECK(th_round_trip(core_input_device_ops.state, r.m->input, NULL));
    CHECK(rd(r.m, T_HIGH) == 0x20 && rd(r.m, STATUS) == 1);
    CHECK(r.m->timers && r.m->timers->deadline_ns == 800 + 2400);
    th_run_to(r.m, 399);
    CHECK(r.irq.level[0] == 0);
    th_run_to(r.m, 400);                            /* 3200 ns */
    CHECK(r.irq.level[0] == 1);
    CHECK(th_device_round_trip(r.m, "rtc"));        /* pending, no alarm */
    CHECK(r.irq.level[0] == 1 && r.m->timers == NULL);

    /* A record with irq_pending = 2 is refused, nothing changes. */
    CoreDevice *d = th_device(r.m, "rtc");
    CoreBuf b = { 0 };
    char err[256] = "";
    size_t pos = 0;
    core_state_save(d->ops->state, d->opaque, &b);
    b.data[b.len - 4] = 2;
    CHECK(core_state_load(d->ops->state, d->opaque, b.data, b.len, &pos, err, sizeof(err)) < 0);
    CHECK(strstr(err, "goldfish_rtc"));
    CHECK(r.irq.level[0] == 1 && rd(r.m, IRQ_EN) == 1);
    core_buf_free(&b);
    core_machine_free(r.m);
}

int main(void)
{
    test_plic_registers();
    test_plic_priority_ties_and_threshold();
    test_plic_priority_zero_never_interrupts();
    test_plic_enable_per_context();
    test_plic_level_gateway();
    test_plic_reset_keeps_levels();
    test_plic_state_round_trip();
    test_rtc_parse_base();
    test_wallclock_door();
    test_wallclock_journal();
    test_rtc_time_reads();
    test_rtc_high_half_is_latched();
    test_rtc_host_clock_read_lazily();
    test_rtc_time_write();
    test_rtc_alarm_at_exact_time();
    test_rtc_reset();
    test_rtc_state_round_trip();
    return check_done("plic_rtc");
}
