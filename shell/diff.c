/*
 * The first difference between two traces (shell/diff.h): compare what
 * was recorded (command lines, input files, input events, checkpoint
 * hashes) to bracket it, then replay both and bisect on the state hash to
 * the exact icount, and describe the two machines there.
 */
#include "shell/diff.h"
#include "core/snapshot.h"
#include "core/state.h"
#include "replay/lastwrite.h"
#include "shell/cli.h"
#include "shell/trace_open.h"
#include "tcg/riscv/disas.h"
#include "tracedb/trace.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Payload bytes of an input event kept for the report. */
#define EV_KEEP 32
/* Input events shown on each side of the first difference. */
#define EV_CONTEXT 2
#define MAX_RANGES 8
#define MAX_BYTES 16

typedef struct Ev {
    bool have;
    uint32_t kind;
    uint64_t icount;
    uint32_t len;
    uint8_t data[EV_KEEP];
} Ev;

static bool is_input(uint32_t kind)
{
    switch (kind) {
    case TDB_EV_SERIAL_RX:
    case TDB_EV_WALLCLOCK:
    case TDB_EV_IDLE_SKIP:
    case TDB_EV_SHUTDOWN:
    case TDB_EV_INTERRUPT:
    case TDB_EV_ENTROPY:
    case TDB_EV_NET_RX:
        return true;
    default:
        return false;
    }
}

/* The next input event of r (ev->have false at the end); -1 on a read
   error. The final state hash is picked up from END on the way. */
static int next_input(TdbReader *r, Ev *ev, uint64_t *end_hash)
{
    TdbEvent e;
    int rc;
    while ((rc = tdb_reader_next(r, &e)) > 0) {
        if (e.kind == TDB_EV_END && e.len >= 8) {
            memcpy(end_hash, e.data, 8);
        }
        if (is_input(e.kind)) {
            ev->have = true;
            ev->kind = e.kind;
            ev->icount = e.icount;
            ev->len = e.len;
            memcpy(ev->data, e.data, e.len < EV_KEEP ? e.len : EV_KEEP);
            return 1;
        }
    }
    ev->have = false;
    return rc < 0 ? -1 : 0;
}

static bool same_event(const Ev *a, const Ev *b)
{
    return a->have == b->have &&
           (!a->have || (a->kind == b->kind && a->icount == b->icount &&
                         a->len == b->len &&
                         memcmp(a->data, b->data,
                                a->len < EV_KEEP ? a->len : EV_KEEP) == 0));
}

static void hex(char *dst, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sprintf(dst + 2 * i, "%02x", b[i]);
    }
    dst[2 * n] = 0;
}

static void event_text(char *buf, size_t cap, const Ev *e)
{
    if (!e->have) {
        snprintf(buf, cap, "(no more input)");
        return;
    }
    char h[2 * EV_KEEP + 1];
    size_t n = e->len < EV_KEEP ? e->len : EV_KEEP;
    hex(h, e->data, n);
    snprintf(buf, cap, "icount %" PRIu64 " %s %s%s", e->icount,
             tdb_kind_name(e->kind), h, e->len > EV_KEEP ? "..." : "");
}

/* What the recordings themselves say, before replaying anything. */
typedef struct Recorded {
    bool first_diff;        /* an input event differs */
    uint64_t index;         /* its position among the input events */
    Ev a, b;                /* the differing pair */
    Ev before[EV_CONTEXT];  /* the common events just before it */
    unsigned nbefore;
    Ev after_a[EV_CONTEXT], after_b[EV_CONTEXT];
    uint64_t end_a, end_b, hash_a, hash_b;
} Recorded;

static int compare_inputs(TdbReader *ra, TdbReader *rb, Recorded *rec,
                          ShOut *out)
{
    Ev a, b;
    uint64_t i = 0;
    for (;; i++) {
        if (next_input(ra, &a, &rec->hash_a) < 0 ||
            next_input(rb, &b, &rec->hash_b) < 0) {
            sh_error(out, "diff: %s", tdb_reader_error(a.have ? rb : ra));
            return -1;
        }
        if (!same_event(&a, &b)) {
            break;
        }
        if (!a.have) {
            return 0;
        }
        memmove(&rec->before[0], &rec->before[1],
                (EV_CONTEXT - 1) * sizeof(Ev));
        rec->before[EV_CONTEXT - 1] = a;
        rec->nbefore += rec->nbefore < EV_CONTEXT;
    }
    rec->first_diff = true;
    rec->index = i;
    rec->a = a;
    rec->b = b;
    for (unsigned k = 0; k < EV_CONTEXT; k++) {
        uint64_t dummy;
        next_input(ra, &rec->after_a[k], &rec->hash_a);
        next_input(rb, &rec->after_b[k], &dummy);
        rec->hash_b = rec->hash_b ? rec->hash_b : dummy;
    }
    /* Drain to END for the final hashes. */
    Ev rest;
    while (next_input(ra, &rest, &rec->hash_a) > 0) {
    }
    while (next_input(rb, &rest, &rec->hash_b) > 0) {
    }
    return 0;
}

static void report_events(ShOut *out, const Recorded *rec)
{
    char t[160], u[160];
    sh_printf(out, "first input event that differs (#%" PRIu64 "):\n",
              rec->index);
    unsigned skip = EV_CONTEXT - rec->nbefore;
    for (unsigned k = skip; k < EV_CONTEXT; k++) {
        event_text(t, sizeof(t), &rec->before[k]);
        sh_printf(out, "    both  %s\n", t);
    }
    event_text(t, sizeof(t), &rec->a);
    event_text(u, sizeof(u), &rec->b);
    sh_printf(out, "  > A     %s\n  > B     %s\n", t, u);
    for (unsigned k = 0; k < EV_CONTEXT; k++) {
        if (rec->after_a[k].have || rec->after_b[k].have) {
            event_text(t, sizeof(t), &rec->after_a[k]);
            event_text(u, sizeof(u), &rec->after_b[k]);
            sh_printf(out, "    A     %s\n    B     %s\n", t, u);
        }
    }
    sh_json_begin_object(out, "input_event");
    sh_json_u64(out, "index", rec->index);
    sh_json_u64(out, "icount", rec->a.have && rec->b.have
                ? (rec->a.icount < rec->b.icount ? rec->a.icount : rec->b.icount)
                : rec->a.have ? rec->a.icount : rec->b.icount);
    sh_json_str(out, "kind_a", rec->a.have ? tdb_kind_name(rec->a.kind) : NULL);
    sh_json_str(out, "kind_b", rec->b.have ? tdb_kind_name(rec->b.kind) : NULL);
    char h[2 * EV_KEEP + 1];
    hex(h, rec->a.data, rec->a.have ? (rec->a.len < EV_KEEP ? rec->a.len : EV_KEEP) : 0);
    sh_json_str(out, "a", rec->a.have ? h : NULL);
    hex(h, rec->b.data, rec->b.have ? (rec->b.len < EV_KEEP ? rec->b.len : EV_KEEP) : 0);
    sh_json_str(out, "b", rec->b.have ? h : NULL);
    sh_json_end(out);
}

static bool hash_at(ShTrace *t, uint64_t icount, uint64_t *h, ShOut *out)
{
    char err[512];
    if (rr_seek(t->s, icount, err, sizeof(err)) != 0) {
        sh_error(out, "diff: %s: icount %" PRIu64 ": %s", t->dir, icount, err);
        return false;
    }
    *h = core_machine_state_hash(t->m);
    return true;
}

/* Registers that differ, hart by hart (gdb numbering: x0-x31, pc, ...). */
static void report_registers(ShOut *out, CoreMachine *ma, CoreMachine *mb)
{
    const CoreCpuOps *ops = ma->cpu_ops;
    unsigned shown = 0;
    sh_json_begin_array(out, "registers");
    for (unsigned h = 0; h < ma->ncpus && h < mb->ncpus; h++) {
        for (unsigned n = 0; n < ops->gdb_g_regs; n++) {
            uint64_t va, vb;
            unsigned sa, sb;
            if (!ops->gdb_reg_read(ma->cpus[h], n, &va, &sa) ||
                !ops->gdb_reg_read(mb->cpus[h], n, &vb, &sb) || va == vb) {
                continue;
            }
            char name[16];
            if (n < 32) {
                snprintf(name, sizeof(name), "%s", rv_reg_name(n));
            } else if (n == 32) {
                snprintf(name, sizeof(name), "pc");
            } else {
                snprintf(name, sizeof(name), "reg%u", n);
            }
            if (shown++ == 0) {
                sh_printf(out, "registers that differ (A, B):\n");
            }
            sh_printf(out, "  hart %u %-4s 0x%016" PRIx64 "  0x%016" PRIx64 "\n",
                      h, name, va, vb);
            sh_json_begin_object(out, NULL);
            sh_json_u64(out, "hart", h);
            sh_json_str(out, "reg", name);
            sh_json_u64(out, "a", va);
            sh_json_u64(out, "b", vb);
            sh_json_end(out);
        }
    }
    sh_json_end(out);
    if (shown == 0) {
        sh_printf(out, "registers: the same (pc and x1-x31 of every hart)\n");
    }
}

/* Fields of one state record (and its subsections) that differ. */
static void field_diff(ShOut *out, const char *who, const CoreStateDesc *desc,
                       const void *a, const void *b, unsigned *shown)
{
    const uint8_t *pa = a, *pb = b;
    for (const CoreStateField *f = desc->fields; f && f->name; f++) {
        bool differ;
        uint64_t va = 0, vb = 0;
        if (f->kind == CORE_STATE_PLAIN) {
            differ = memcmp(pa + f->offset, pb + f->offset, f->size) != 0;
            if (f->size <= 8) {
                memcpy(&va, pa + f->offset, f->size);
                memcpy(&vb, pb + f->offset, f->size);
            }
        } else if (f->kind == CORE_STATE_VAR) {
            uint32_t ca, cb;
            memcpy(&ca, pa + f->count_offset, 4);
            memcpy(&cb, pb + f->count_offset, 4);
            size_t n = (size_t)(ca < cb ? ca : cb) * f->elem;
            differ = ca != cb || memcmp(pa + f->offset, pb + f->offset,
                                        n < f->size ? n : f->size) != 0;
        } else {
            CoreBuf x = { 0 }, y = { 0 };
            f->save(a, &x);
            f->save(b, &y);
            differ = x.len != y.len || memcmp(x.data, y.data, x.len) != 0;
            core_buf_free(&x);
            core_buf_free(&y);
        }
        if (!differ) {
            continue;
        }
        if (f->kind == CORE_STATE_PLAIN && f->size <= 8) {
            sh_printf(out, "  %s %s.%s: 0x%" PRIx64 "  0x%" PRIx64 "\n", who,
                      desc->name, f->name, va, vb);
        } else {
            sh_printf(out, "  %s %s.%s: differs\n", who, desc->name, f->name);
        }
        sh_json_begin_object(out, NULL);
        sh_json_str(out, "who", who);
        sh_json_str(out, "record", desc->name);
        sh_json_str(out, "field", f->name);
        if (f->kind == CORE_STATE_PLAIN && f->size <= 8) {
            sh_json_u64(out, "a", va);
            sh_json_u64(out, "b", vb);
        }
        sh_json_end(out);
        (*shown)++;
    }
    for (const CoreStateSubsection *sub = desc->subsections; sub && sub->desc;
         sub++) {
        field_diff(out, who, sub->desc, a, b, shown);
    }
}

/* Both machines are here: compare harts and devices field by field. */
static void report_fields(ShOut *out, CoreMachine *ma, CoreMachine *mb)
{
    unsigned shown = 0;
    sh_json_begin_array(out, "fields");
    for (unsigned h = 0; h < ma->ncpus && h < mb->ncpus; h++) {
        char who[32];
        snprintf(who, sizeof(who), "hart %u", h);
        field_diff(out, who, ma->cpu_ops->state, ma->cpus[h], mb->cpus[h],
                   &shown);
    }
    for (unsigned i = 0; i < ma->ndevices; i++) {
        const CoreDevice *da = &ma->devices[i];
        for (unsigned j = 0; j < mb->ndevices; j++) {
            const CoreDevice *db = &mb->devices[j];
            if (da->ops->state && db->ops->state == da->ops->state &&
                strcmp(da->id, db->id) == 0) {
                char who[48];
                snprintf(who, sizeof(who), "device %s", da->id);
                field_diff(out, who, da->ops->state, da->opaque, db->opaque,
                           &shown);
            }
        }
    }
    sh_json_end(out);
    if (shown) {
        sh_printf(out, "(fields: A's value, then B's)\n");
    }
}

/* The harts', devices' and clock's saved state by field: B's state as a
   snapshot, compared with A (the divergence report's diff). */
static void report_state(ShOut *out, CoreMachine *ma, CoreMachine *mb)
{
    CoreBuf snap = { 0 };
    core_snapshot_save(mb, true, &snap);   /* B is not replayed further */
    char *text = malloc(16384);
    core_snapshot_diff(ma, snap.data, snap.len, text, 16384);
    core_buf_free(&snap);
    GString *kept = g_string_new(NULL);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "  RAM ", 6) != 0 &&
            strstr(line, "no difference found") == NULL) {
            g_string_append_printf(kept, "%s\n", line);
        }
    }
    free(text);
    if (kept->len) {
        sh_printf(out, "saved state that differs (A, then B):\n%s", kept->str);
    } else {
        sh_printf(out, "harts, devices and clock: the same\n");
    }
    sh_json_str(out, "state", kept->str);
    g_string_free(kept, true);
}

/* RAM pages that differ (ranges), then the first bytes that differ. */
static void report_ram(ShOut *out, CoreMachine *ma, CoreMachine *mb)
{
    unsigned ranges = 0, nbytes = 0;
    gpa_t first_page = 0;
    bool any = false;
    sh_json_begin_array(out, "ram");
    for (size_t i = 0; i < core_mem_region_count(ma->as); i++) {
        CoreMemRegion *r = core_mem_region(ma->as, i);
        CoreMemRegion *o = core_mem_find(mb->as, r->base);
        if (r->kind != CORE_MEM_RAM || !o || o->size != r->size) {
            continue;
        }
        uint64_t np = core_mem_page_count(r);
        for (uint64_t p = 0; p < np; p++) {
            if (memcmp(core_mem_page_host(r, p), core_mem_page_host(o, p),
                       CORE_PAGE_SIZE) == 0) {
                continue;
            }
            uint64_t q = p;
            while (q + 1 < np &&
                   memcmp(core_mem_page_host(r, q + 1),
                          core_mem_page_host(o, q + 1), CORE_PAGE_SIZE) != 0) {
                q++;
            }
            if (!any) {
                first_page = core_mem_page_addr(r, p);
                any = true;
                sh_printf(out, "RAM pages that differ:\n");
            }
            if (ranges++ < MAX_RANGES) {
                gpa_t lo = core_mem_page_addr(r, p);
                gpa_t hi = core_mem_page_addr(r, q) + CORE_PAGE_SIZE - 1;
                sh_printf(out, "  0x%" PRIx64 "-0x%" PRIx64 "\n", lo, hi);
                sh_json_begin_object(out, NULL);
                sh_json_u64(out, "from", lo);
                sh_json_u64(out, "to", hi);
                sh_json_end(out);
            }
            p = q;
        }
    }
    sh_json_end(out);
    if (!any) {
        sh_printf(out, "RAM: the same\n");
        return;
    }
    if (ranges > MAX_RANGES) {
        sh_printf(out, "  ... %u ranges in all\n", ranges);
    }
    uint8_t a[CORE_PAGE_SIZE], b[CORE_PAGE_SIZE];
    core_mem_read_bytes(ma->as, first_page, a, sizeof(a));
    core_mem_read_bytes(mb->as, first_page, b, sizeof(b));
    sh_printf(out, "bytes that differ (A, B), from 0x%" PRIx64 ":\n", first_page);
    sh_json_begin_array(out, "bytes");
    for (unsigned k = 0; k < CORE_PAGE_SIZE && nbytes < MAX_BYTES; k++) {
        if (a[k] != b[k]) {
            nbytes++;
            sh_printf(out, "  0x%" PRIx64 "  %02x  %02x\n", first_page + k,
                      a[k], b[k]);
            sh_json_begin_object(out, NULL);
            sh_json_u64(out, "addr", first_page + k);
            sh_json_u64(out, "a", a[k]);
            sh_json_u64(out, "b", b[k]);
            sh_json_end(out);
        }
    }
    sh_json_end(out);
}

/* Command lines and input files. */
static void compare_setup(ShOut *out, const ShTrace *ta, const ShTrace *tb,
                          TdbReader *ra, TdbReader *rb)
{
    const char *da = NULL, *db = NULL;
    bool same = shell_cli_same_machine(ta->argc, ta->argv, tb->argc, tb->argv,
                                       &da, &db);
    sh_json_bool(out, "same_command_line", same);
    if (!same) {
        sh_printf(out, "the command lines differ: A has '%s' where B has "
                  "'%s'\n", da ? da : "(end)", db ? db : "(end)");
        sh_json_begin_object(out, "command_line");
        sh_json_str(out, "a", da);
        sh_json_str(out, "b", db);
        sh_json_end(out);
    }
    const TdbInput *ia, *ib;
    size_t na = tdb_reader_inputs(ra, &ia), nb = tdb_reader_inputs(rb, &ib);
    sh_json_begin_array(out, "inputs");
    for (size_t i = 0; i < na; i++) {
        const TdbInput *match = NULL;
        for (size_t j = 0; j < nb && !match; j++) {
            if (strcmp(ia[i].name, ib[j].name) == 0) {
                match = &ib[j];
            }
        }
        if (!match || strcmp(ia[i].hash, match->hash) != 0) {
            sh_printf(out, "input file '%s' differs: %s in A, %s in B\n",
                      ia[i].name, ia[i].hash, match ? match->hash : "absent");
            sh_json_begin_object(out, NULL);
            sh_json_str(out, "name", ia[i].name);
            sh_json_str(out, "a", ia[i].hash);
            sh_json_str(out, "b", match ? match->hash : NULL);
            sh_json_end(out);
        }
    }
    sh_json_end(out);
}

/* With both traces open: find D and report. 0 identical, 1 differ, -1. */
static int diff_open(ShTrace *ta, ShTrace *tb, TdbReader *ra, TdbReader *rb,
                     ShOut *out, ShDiffProgress progress, void *popaque)
{
    compare_setup(out, ta, tb, ra, rb);
    Recorded rec = { 0 };
    if (compare_inputs(ra, rb, &rec, out) != 0) {
        return -1;
    }
    rec.end_a = tdb_reader_last_icount(ra);
    rec.end_b = tdb_reader_last_icount(rb);
    uint64_t end = rec.end_a < rec.end_b ? rec.end_a : rec.end_b;
    sh_json_begin_object(out, "end");
    sh_json_u64(out, "a", rec.end_a);
    sh_json_u64(out, "b", rec.end_b);
    sh_json_end(out);

    /* Candidates for a point where the states differ, earliest first:
       the first differing input event (just after it), the first common
       checkpoint whose hashes differ, the common end. */
    const TdbCheckpoint *ca, *cb;
    size_t nca = tdb_reader_checkpoints(ra, &ca);
    size_t ncb = tdb_reader_checkpoints(rb, &cb);
    uint64_t lo = 0, cand[3];
    unsigned ncand = 0;
    if (rec.first_diff) {
        uint64_t e = rec.a.have && rec.b.have
                     ? (rec.a.icount < rec.b.icount ? rec.a.icount : rec.b.icount)
                     : rec.a.have ? rec.a.icount : rec.b.icount;
        cand[ncand++] = e + 1 < end ? e + 1 : end;
    }
    for (size_t i = 0, j = 0; i < nca && j < ncb;) {
        if (ca[i].icount < cb[j].icount) {
            i++;
        } else if (ca[i].icount > cb[j].icount) {
            j++;
        } else {
            if (ca[i].state_hash != cb[j].state_hash) {
                cand[ncand++] = ca[i].icount;
                break;
            }
            if (ca[i].icount > lo && ca[i].icount <= end) {
                lo = ca[i].icount;
            }
            i++;
            j++;
        }
    }
    cand[ncand++] = end;
    rr_search_keep_points(ta->s);
    rr_search_keep_points(tb->s);
    uint64_t hi = 0, ha, hb;
    bool differ = false;
    for (unsigned k = 0; k < ncand && !differ; k++) {
        if (k > 0 && cand[k] <= hi) {
            continue;
        }
        hi = cand[k];
        if (!hash_at(ta, hi, &ha, out) || !hash_at(tb, hi, &hb, out)) {
            return -1;
        }
        differ = ha != hb;
    }
    if (!differ && rec.end_a == rec.end_b && !rec.first_diff &&
        rec.hash_a == rec.hash_b) {
        sh_json_bool(out, "identical", true);
        sh_printf(out, "identical: the same inputs and the same state at "
                  "every common checkpoint and at the end (icount %" PRIu64
                  ")\n", end);
        return 0;
    }
    sh_json_bool(out, "identical", false);
    if (!differ) {
        /* Same states as far as both go. */
        if (rec.first_diff) {
            report_events(out, &rec);
        }
        sh_json_u64(out, "first_difference", end);
        sh_printf(out, "the states are the same up to icount %" PRIu64
                  "; then %s\n", end, rec.end_a == rec.end_b
                  ? "the recorded final states differ"
                  : rec.end_a < rec.end_b ? "A ends and B goes on"
                                          : "B ends and A goes on");
        return 1;
    }
    /* Bisect: equal at lo, different at hi. */
    if (lo >= hi) {
        lo = 0;
    }
    unsigned steps = 0;
    if (!hash_at(ta, lo, &ha, out) || !hash_at(tb, lo, &hb, out)) {
        return -1;
    }
    if (ha != hb && lo > 0) {
        hi = lo;   /* a checkpoint both agree on was not reached alike */
        lo = 0;
        if (!hash_at(ta, 0, &ha, out) || !hash_at(tb, 0, &hb, out)) {
            return -1;
        }
    }
    if (ha != hb) {
        hi = lo;   /* different from the start */
    }
    unsigned total = 0;
    for (uint64_t span = hi - lo; span > 1; span = (span + 1) / 2) {
        total++;
    }
    while (hi - lo > 1) {
        if (progress) {
            progress(popaque, steps, total);
        }
        uint64_t mid = lo + (hi - lo) / 2;
        if (!hash_at(ta, mid, &ha, out) || !hash_at(tb, mid, &hb, out)) {
            return -1;
        }
        steps++;
        if (ha == hb) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    uint64_t d = hi;
    if (!hash_at(ta, d, &ha, out) || !hash_at(tb, d, &hb, out)) {
        return -1;
    }
    sh_json_u64(out, "first_difference", d);
    sh_json_u64(out, "bisect_steps", steps);
    sh_diff_first_line(out, d);
    if (rec.first_diff) {
        report_events(out, &rec);
    } else {
        sh_printf(out, "the input events are the same\n");
    }
    sh_diff_machines(out, ta->m, tb->m);
    return 1;
}

void sh_diff_first_line(ShOut *out, uint64_t d)
{
    if (d == 0) {
        sh_printf(out, "first difference at icount 0: the machines differ "
                  "from the start\n");
    } else {
        sh_printf(out, "first difference at icount %" PRIu64 " (the states "
                  "are equal at icount %" PRIu64 ")\n", d, d - 1);
    }
}

void sh_diff_machines(ShOut *out, CoreMachine *ma, CoreMachine *mb)
{
    report_registers(out, ma, mb);
    report_state(out, ma, mb);
    report_fields(out, ma, mb);
    report_ram(out, ma, mb);
}

int sh_diff_traces(const char *a, const char *b, ShOut *out,
                   ShDiffProgress progress, void *popaque)
{
    char err[1024];
    ShTrace ta, tb;
    if (!sh_trace_open(a, &ta, err, sizeof(err))) {
        sh_error(out, "diff: %s", err);
        return 2;
    }
    if (!sh_trace_open(b, &tb, err, sizeof(err))) {
        sh_trace_close(&ta);
        sh_error(out, "diff: %s", err);
        return 2;
    }
    TdbReader *ra = tdb_reader_open(a, err, sizeof(err));
    TdbReader *rb = ra ? tdb_reader_open(b, err, sizeof(err)) : NULL;
    int rc;
    if (!ra || !rb) {
        sh_error(out, "diff: %s", err);
        rc = 2;
    } else {
        sh_printf(out, "A: %s\nB: %s\n", a, b);
        int r = diff_open(&ta, &tb, ra, rb, out, progress, popaque);
        rc = r < 0 ? 2 : r;
    }
    if (ra) {
        tdb_reader_close(ra);
    }
    if (rb) {
        tdb_reader_close(rb);
    }
    sh_trace_close(&tb);
    sh_trace_close(&ta);
    return rc;
}

int sh_diff(const char *dir, int argc, char **argv, ShOut *out,
            ShDiffProgress progress, void *popaque)
{
    if (argc != 2) {
        return sh_error(out, "usage: diff OTHER_TRACE");
    }
    if (!dir) {
        return sh_error(out, "diff needs a trace to compare with: this "
                        "session has none");
    }
    return sh_diff_traces(dir, argv[1], out, progress, popaque) == 2 ? -1 : 0;
}

int sh_diff_cmd(int argc, char **argv)
{
    const char *dirs[2];
    int n = 0;
    bool json = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (n < 2 && argv[i][0] != '-') {
            dirs[n++] = argv[i];
        } else {
            n = 3;
        }
    }
    if (n != 2) {
        fprintf(stderr, "rewind: usage: rewind diff A B [--json]\n");
        return 1;
    }
    ShOut out;
    sh_out_init(&out);
    int rc = sh_diff_traces(dirs[0], dirs[1], &out, NULL, NULL);
    sh_out_emit(&out, "diff", json, stdout, stderr);
    sh_out_free(&out);
    return rc;
}
