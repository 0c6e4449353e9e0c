/*
 * The JIT against the interpreter, in lockstep by slices of --every
 * instructions, bisected to the first instruction where they part
 * (shell/jitcheck.h).
 */
#include "shell/jitcheck.h"
#include "backends/chardev.h"
#include "core/hash.h"
#include "core/snapshot.h"
#include "core/run.h"
#include "shell/cli.h"
#include "shell/diff.h"
#include "shell/shcmd.h"
#include "shell/trace_open.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JC_SAME 0
#define JC_DIFFER 1
#define JC_BAD 2
/* Instructions between two comparisons unless --every says otherwise. */
#define JC_DEFAULT_EVERY 1000000u
/* A snapshot (of A: both are equal there) is kept at an equal point at
   most this many comparisons old: a difference is bisected from it. */
#define JC_SNAPSHOT_GAP 16u

typedef enum { PERTURB_NONE, PERTURB_REG, PERTURB_RAM } Perturb;

typedef struct JitCheck {
    CoreConfig cfg[2];
    CoreMachine *m[2];        /* [0] A: jit=off, [1] B: jit=on */
    /* `jit-check TRACE`: both replay the trace (its inputs, fed alike by
       the two journals); moving back is a seek, not a snapshot. */
    ShTrace trace[2];
    bool replaying;
    uint64_t every;
    uint64_t max_insns;       /* 0: to the guest's end */
    uint64_t perturb_at;
    Perturb perturb;
    CoreBuf snap;             /* A at snap_icount, where A == B */
    uint64_t snap_icount;
    uint64_t compares;
    ShOut *out;
} JitCheck;

static bool parse_u64(const char *opt, const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 0);
    if (!*s || *end || errno || s[0] == '-') {
        fprintf(stderr, "rewind: jit-check: %s: invalid number '%s'\n", opt, s);
        return false;
    }
    *v = x;
    return true;
}

/* --perturb-at N[:reg|ram] */
static bool parse_perturb(JitCheck *j, const char *arg)
{
    char num[32];
    const char *colon = strchr(arg, ':');
    size_t nl = colon ? (size_t)(colon - arg) : strlen(arg);
    if (nl >= sizeof(num)) {
        fprintf(stderr, "rewind: jit-check: --perturb-at: invalid number "
                "'%s'\n", arg);
        return false;
    }
    memcpy(num, arg, nl);
    num[nl] = 0;
    if (!parse_u64("--perturb-at", num, &j->perturb_at)) {
        return false;
    }
    if (j->perturb_at == 0) {
        fprintf(stderr, "rewind: jit-check: --perturb-at 0: the first point "
                "is icount 1\n");
        return false;
    }
    if (!colon || strcmp(colon + 1, "reg") == 0) {
        j->perturb = PERTURB_REG;
    } else if (strcmp(colon + 1, "ram") == 0) {
        j->perturb = PERTURB_RAM;
    } else {
        fprintf(stderr, "rewind: jit-check: --perturb-at: unknown kind '%s' "
                "(reg or ram)\n", colon + 1);
        return false;
    }
    return true;
}

/* Test-only: change B as a JIT bug would, in state the program does not
   read back (gp of hart 0; the last byte of the highest RAM region). */
static void perturb(CoreMachine *m, Perturb kind)
{
    if (kind == PERTURB_RAM) {
        core_mem_flip_last_ram_byte(m->as);
        return;
    }
    enum { GDB_REG_GP = 3 };
    uint64_t v;
    unsigned size;
    if (m->cpu_ops->gdb_reg_read(m->cpus[0], GDB_REG_GP, &v, &size)) {
        m->cpu_ops->gdb_reg_write(m->cpus[0], GDB_REG_GP, v ^ 0x10);
    }
}

/* Machine k forward to icount `to` (or its end), B with the test's
   perturbation when it passes perturb_at. */
static bool run_to(JitCheck *j, int k, uint64_t to)
{
    if (j->replaying) {
        char err[512];
        return rr_seek(j->trace[k].s, to, err, sizeof(err)) == 0;
    }
    return core_run_to(j->m[k], to);
}

static void advance(JitCheck *j, int k, uint64_t to)
{
    CoreMachine *m = j->m[k];
    if (k == 1 && j->perturb != PERTURB_NONE && m->icount < j->perturb_at &&
        j->perturb_at <= to) {
        if (!run_to(j, k, j->perturb_at)) {
            return;
        }
        perturb(m, j->perturb);
    }
    run_to(j, k, to);
}

/* The comparison: the same point, the same end (if any), the same state. */
static bool same(JitCheck *j)
{
    CoreMachine *a = j->m[0], *b = j->m[1];
    j->compares++;
    return a->icount == b->icount && a->exit_kind == b->exit_kind &&
           core_machine_state_hash(a) == core_machine_state_hash(b);
}

static void take_snapshot(JitCheck *j)
{
    if (j->replaying) {
        j->snap_icount = j->m[0]->icount;   /* a seek goes back there */
        return;
    }
    j->snap.len = 0;
    core_snapshot_save(j->m[0], true, &j->snap);
    j->snap_icount = j->m[0]->icount;
}

/* Both machines back to the snapshot (as a seek does: the run's end is
   forgotten and translations of the later state dropped). */
static bool restore(JitCheck *j)
{
    for (int k = 0; k < 2; k++) {
        CoreMachine *m = j->m[k];
        char err[512];
        if (j->replaying) {
            if (rr_seek(j->trace[k].s, j->snap_icount, err, sizeof(err)) != 0) {
                sh_error(j->out, "jit-check: %s: seeking machine %c to icount "
                         "%" PRIu64 ": %s", j->trace[k].dir, "AB"[k],
                         j->snap_icount, err);
                return false;
            }
            continue;
        }
        if (core_snapshot_load(m, j->snap.data, j->snap.len, err,
                               sizeof(err)) != 0) {
            sh_error(j->out, "jit-check: restoring icount %" PRIu64 " in "
                     "machine %c: %s", j->snap_icount, "AB"[k], err);
            return false;
        }
        m->exit_kind = CORE_EXIT_NONE;
        m->exit_code = 0;
        m->attention = 0;
        if (m->debug_changed) {
            m->debug_changed(m);
        }
    }
    return true;
}

static void say_end(ShOut *out, const char *who, const CoreMachine *m)
{
    if (m->exit_kind == CORE_EXIT_NONE) {
        sh_printf(out, "%s: running at icount %" PRIu64 "\n", who, m->icount);
    } else {
        sh_printf(out, "%s: %s at icount %" PRIu64 " (status %d)\n", who,
                  core_exit_kind_name(m->exit_kind), m->icount, m->exit_code);
    }
}

/* Both are back at d - 1 (the snapshot): run A to d with the instruction
   trace on to name the d-th instruction, B to d, and describe them. */
static int report(JitCheck *j, uint64_t d)
{
    CoreMachine *a = j->m[0], *b = j->m[1];
    ShOut *out = j->out;
    char *text = NULL;
    size_t len = 0;
    FILE *trace = open_memstream(&text, &len);
    if (trace && d > 0) {
        for (unsigned i = 0; i < a->ncpus; i++) {
            a->cpu_ops->set_trace(a->cpus[i], trace);
        }
    }
    advance(j, 0, d);
    for (unsigned i = 0; i < a->ncpus; i++) {
        a->cpu_ops->set_trace(a->cpus[i], NULL);
    }
    if (trace) {
        fclose(trace);
    }
    advance(j, 1, d);
    sh_json_bool(out, "identical", false);
    sh_json_u64(out, "first_difference", d);
    sh_diff_first_line(out, d);
    if (d != 0) {
        /* The trace line: "ICOUNT hHART PC ENCODING DISASSEMBLY". */
        const char *line = text && len ? text : "(none traced)\n";
        sh_printf(out, "instruction: %s%s", line,
                  line[strlen(line) - 1] == '\n' ? "" : "\n");
        char *nl = text ? strchr(text, '\n') : NULL;
        if (nl) {
            *nl = 0;
        }
        sh_json_str(out, "instruction", text && len ? text : NULL);
    }
    free(text);
    sh_printf(out, "A: the interpreter (jit=off), B: the JIT (jit=on)\n");
    say_end(out, "A", a);
    say_end(out, "B", b);
    sh_diff_machines(out, a, b);
    return JC_DIFFER;
}

/* A difference after `hi` instructions, both equal at the snapshot:
   bisect to the first icount that differs. */
static int bisect(JitCheck *j, uint64_t hi)
{
    uint64_t lo = j->snap_icount;
    bool at_lo = false;   /* both machines are at the snapshot already */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (!at_lo && !restore(j)) {
            return JC_BAD;
        }
        advance(j, 0, mid);
        advance(j, 1, mid);
        at_lo = same(j);
        if (at_lo) {
            lo = mid;
            take_snapshot(j);   /* the next probes start here */
        } else {
            hi = mid;
        }
    }
    uint64_t d = hi;
    if (!at_lo && !restore(j)) {
        return JC_BAD;
    }
    return report(j, d);
}

static int check(JitCheck *j)
{
    ShOut *out = j->out;
    take_snapshot(j);
    if (!same(j)) {
        return report(j, 0);
    }
    uint64_t since_snap = 0;
    for (;;) {
        CoreMachine *a = j->m[0];
        uint64_t to = a->icount + j->every;
        if (j->max_insns && to > j->max_insns) {
            to = j->max_insns;
        }
        advance(j, 0, to);
        advance(j, 1, to);
        if (!same(j)) {
            uint64_t hi = a->icount > j->m[1]->icount ? a->icount
                                                       : j->m[1]->icount;
            return bisect(j, hi > j->snap_icount ? hi : j->snap_icount + 1);
        }
        bool ended = a->exit_kind != CORE_EXIT_NONE ||
                     (j->max_insns && a->icount >= j->max_insns);
        if (ended) {
            break;
        }
        if (++since_snap >= JC_SNAPSHOT_GAP) {
            take_snapshot(j);
            since_snap = 0;
        }
    }
    CoreMachine *a = j->m[0];
    sh_json_bool(out, "identical", true);
    sh_json_u64(out, "icount", a->icount);
    sh_json_u64(out, "compared", j->compares);
    uint64_t h = core_machine_state_hash(a);
    sh_json_u64(out, "state_hash", h);
    sh_json_str(out, "end", a->exit_kind == CORE_EXIT_NONE ? "max-insns"
                : core_exit_kind_name(a->exit_kind));
    sh_printf(out, "the JIT and the interpreter agree on %" PRIu64
              " instructions (%" PRIu64 " comparisons, every %" PRIu64
              "); state hash %016" PRIx64 "\n", a->icount, j->compares,
              j->every, h);
    if (a->exit_kind == CORE_EXIT_NONE) {
        sh_printf(out, "stopped at --max-insns %" PRIu64 "\n", j->max_insns);
    } else {
        say_end(out, "end", a);
    }
    return JC_SAME;
}

/* ---- the host side: no input, the same for both machines ---- */

static void host_none(CoreMachine *m)
{
    (void)m;
}

static bool host_false(CoreMachine *m)
{
    (void)m;
    return false;
}

static bool host_poll(CoreMachine *m, int timeout_ms, uint64_t *waited_ns)
{
    (void)m;
    (void)timeout_ms;
    if (waited_ns) {
        *waited_ns = 0;
    }
    return false;
}

static bool host_wait(CoreMachine *m, struct pollfd *fds, unsigned n,
                      bool ctrl_c_quits, const char *waiting)
{
    (void)m, (void)fds, (void)n, (void)ctrl_c_quits, (void)waiting;
    return false;   /* no debugger is ever attached */
}

static uint64_t host_wallclock(CoreMachine *m)
{
    (void)m;
    return 0;       /* the epoch, as without host ops */
}

/* Entropy that is a function of the machine's icount only, so both
   machines get the same bytes at the same instruction, also when a
   bisection runs a stretch again (zeros would fail guests that check
   their entropy, ending the check early). */
static size_t host_entropy(CoreMachine *m, const char *rng, uint8_t *buf,
                           size_t len)
{
    (void)rng;
    for (size_t i = 0; i < len; i += 8) {
        uint64_t seed[2] = { m->icount, i }, v = core_hash_bytes(seed,
                                                                 sizeof(seed));
        memcpy(buf + i, &v, len - i < 8 ? len - i : 8);
    }
    return len;
}

static const CoreHostOps jit_check_host = {
    .start = host_none,
    .finish = host_none,
    .input_source = host_false,
    .poll_input = host_poll,
    .interrupted = host_false,
    .wait = host_wait,
    .wallclock_ns = host_wallclock,
    .entropy_nd = host_entropy,
};

/* Parse RUN-OPTIONS into j->cfg[k] for engine k, with no host input. */
static bool config(JitCheck *j, int k, int argc, char **argv)
{
    CoreConfig *cfg = &j->cfg[k];
    ShellCliResult res = shell_cli_parse(argc, argv, cfg);
    if (res != SHELL_CLI_OK) {
        return false;
    }
    const char *why = cfg->rr_record_dir || cfg->rr_replay_dir ? "-icount rr="
                      : cfg->gdb || cfg->gdb_wait ? "-gdb, -s and -S"
                      : cfg->trace_insns ? "--trace" : NULL;
    if (why) {
        fprintf(stderr, "rewind: jit-check: %s cannot be used here: it runs "
                "two machines without a debugger or a trace\n", why);
        return false;
    }
    if (cfg->max_insns && (!j->max_insns || cfg->max_insns < j->max_insns)) {
        j->max_insns = cfg->max_insns;
    }
    /* No live host input: what a replay opens (null chardevs, no
       network back end, disk writes in an overlay), without a trace. */
    cfg->serial = "null";
    cfg->chardev_replay = true;
    cfg->block_cow = true;
    cfg->block_log_dir = NULL;
    cfg->block_log_record = false;
    cfg->dumpdtb = NULL;
    cfg->max_insns = 0;       /* the check stops the machines itself */
    cfg->stats = false;
    cfg->jit = k == 0 ? CORE_JIT_OFF : CORE_JIT_ON;
    if (!cfg->jit_threshold) {
        cfg->jit_threshold = 1;   /* B: every block as host code */
    }
    return true;
}

static void usage(void)
{
    fprintf(stderr, "rewind: usage: rewind jit-check [--every N] "
            "[--max-insns N] [--json] [--perturb-at N[:reg|ram]] "
            "(TRACE | [--] RUN-OPTIONS)\n");
}

int sh_jit_check_cmd(int argc, char **argv)
{
    JitCheck j = { .every = JC_DEFAULT_EVERY };
    bool json = false, dashdash = false;
    int i = 0;
    for (; i < argc; i++) {
        const char *o = argv[i];
        bool more = i + 1 < argc;
        if (strcmp(o, "--") == 0) {
            i++;
            dashdash = true;
            break;
        } else if (strcmp(o, "--every") == 0 && more) {
            if (!parse_u64(o, argv[++i], &j.every)) {
                return JC_BAD;
            }
            if (j.every == 0) {
                fprintf(stderr, "rewind: jit-check: --every 0: give the "
                        "instructions between comparisons (at least 1)\n");
                return JC_BAD;
            }
        } else if (strcmp(o, "--max-insns") == 0 && more) {
            if (!parse_u64(o, argv[++i], &j.max_insns)) {
                return JC_BAD;
            }
        } else if (strcmp(o, "--perturb-at") == 0 && more) {
            if (!parse_perturb(&j, argv[++i])) {
                return JC_BAD;
            }
        } else if (strcmp(o, "--json") == 0) {
            json = true;
        } else {
            break;   /* the run options start here */
        }
    }
    if (i >= argc) {
        usage();
        return JC_BAD;
    }
    j.replaying = !dashdash && argc - i == 1 && argv[i][0] != '-';
    for (int k = 0; k < 2 && j.replaying; k++) {
        char err[1024];
        if (!sh_trace_open_jit(argv[i], &j.trace[k],
                               k == 0 ? CORE_JIT_OFF : CORE_JIT_ON, 1, err,
                               sizeof(err))) {
            fprintf(stderr, "rewind: jit-check: %s\n", err);
            if (k == 1) {
                sh_trace_close(&j.trace[0]);
            }
            return JC_BAD;
        }
        j.m[k] = j.trace[k].m;
        be_chardev_forget_all();   /* as below */
    }
    for (int k = 0; k < 2 && !j.replaying; k++) {
        if (!config(&j, k, argc - i, argv + i)) {
            shell_cli_free(&j.cfg[0]);
            shell_cli_free(&j.cfg[1]);
            return JC_BAD;
        }
    }
    for (int k = 0; k < 2 && !j.replaying; k++) {
        j.m[k] = shell_build_machine(&j.cfg[k]);
        if (!j.m[k]) {
            if (k == 1) {
                core_machine_free(j.m[0]);
            }
            shell_cli_free(&j.cfg[0]);
            shell_cli_free(&j.cfg[1]);
            return JC_BAD;
        }
        /* No input source, no signals, the wall clock at the epoch,
           entropy from the icount: both alike. */
        j.m[k]->host = &jit_check_host;
        /* The chardevs are A's: B opens its own for the same ids. */
        be_chardev_forget_all();
    }
    ShOut out;
    sh_out_init(&out);
    j.out = &out;
    int rc = check(&j);
    if (rc == JC_BAD) {
        sh_json_bool(&out, "identical", false);
    }
    sh_out_emit(&out, "jit-check", json, stdout, stderr);
    sh_out_free(&out);
    core_buf_free(&j.snap);
    if (j.replaying) {
        sh_trace_close(&j.trace[1]);
        sh_trace_close(&j.trace[0]);
    } else {
        core_machine_free(j.m[1]);
        core_machine_free(j.m[0]);
        shell_cli_free(&j.cfg[1]);
        shell_cli_free(&j.cfg[0]);
    }
    return rc;
}
