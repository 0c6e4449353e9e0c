/*
 * rewind's entry point: subcommand dispatch, then build and run the
 * machine. Only this file exits the process.
 *
 *   run      QEMU-style options; -icount ...,rr=record,rrfile=DIR records,
 *            rr=replay,rrfile=DIR replays (as `replay DIR`)
 *   record   -o DIR [--checkpoint-every N] [--no-derived] MACHINE-OPTIONS
 *   replay   DIR [--until N] [--seek N] [--quiet] [--stats] [--trace FILE]
 *            [--allow-incomplete]
 *   verify   DIR [--junit FILE] [--allow-incomplete]
 *            [-accel tcg,jit=on|off[,jit-threshold=N]]
 *   info     DIR
 *   query    DIR "SQL"
 *   trace    reindex DIR | index DIR | timeline DIR -o FILE.svg
 *   trace    reindex DIR
 *   shell    TRACE | -- RUN-OPTIONS  (shell/shell_session.c)
 *   last-write, history  DIR ICOUNT ADDR ...  (shell/search.h)
 *   diff     A B [--json]  (shell/diff.h)
 *   jit-check [--every N] [--max-insns N] (TRACE | -- RUN-OPTIONS)  (shell/jitcheck.h)
 */
#include "shell/cli.h"
#include "shell/dindex.h"
#include "backends/net.h"
#include "backends/rng.h"
#include "core/input.h"
#include "core/machine.h"
#include "core/run.h"
#include "gdbstub/gdbstub.h"
#include "replay/inspect.h"
#include "replay/rr.h"
#include "shell/host.h"
#include "shell/monitor.h"
#include "shell/progress.h"
#include "shell/mon_stdio.h"
#include "shell/shcmd.h"
#include "shell/diff.h"
#include "shell/jitcheck.h"
#include "shell/search.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_USAGE 1
#define EXIT_HALTED 3
/* verify / replay */
#define EXIT_DIVERGED 1
#define EXIT_UNUSABLE 2      /* unreadable or damaged trace */
#define EXIT_INCOMPLETE 3    /* identical as far as it goes, but no END */

static bool parse_count(const char *opt, const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (!*s || *end || errno || s[0] == '-') {
        fprintf(stderr, "rewind: %s: invalid number '%s'\n", opt, s);
        return false;
    }
    *out = v;
    return true;
}

/* The network back ends as a host input source (shell/host.h): slirp's
   sockets and timers are served between slices and while the machine is
   held for a debugger, and the frames it made enter the machine through
   the input door at a slice boundary (never while held: they wait in the
   back end's queue), logged when recording. */
static unsigned net_fill(void *opaque, struct pollfd *fds, unsigned max,
                         int *timeout_ms)
{
    (void)opaque;
    return be_net_poll_fill(fds, max, timeout_ms);
}

static bool net_dispatch(void *opaque, CoreMachine *m, struct pollfd *fds,
                         unsigned n)
{
    static uint8_t frame[CORE_INPUT_NET_FRAME_MAX];
    unsigned nic;
    size_t len;
    bool any = false;
    (void)opaque;
    be_net_poll_dispatch(fds, n);
    if (!m) {
        return false;   /* held: the frames wait for the machine to run */
    }
    while (be_net_take_nd(&nic, frame, sizeof(frame), &len)) {
        core_run_host_net(m, nic, frame, len);
        any = true;
    }
    return any;
}

static const ShellHostSource net_source = { net_fill, net_dispatch, NULL };

/* Build the machine for cfg; prints the error and returns NULL on failure. */
CoreMachine *shell_build_machine(const CoreConfig *cfg)
{
    if (!cfg->kernel && cfg->bios && strcmp(cfg->bios, "none") == 0) {
        fprintf(stderr, "rewind: -bios none needs -kernel: nothing to run\n");
        return NULL;
    }
    CoreMachine *m = core_machine_new(cfg);
    if (!m) {
        fprintf(stderr, "rewind: out of memory\n");
        return NULL;
    }
    m->host = &shell_host_ops;
    char err[512] = "";
    if (!core_machine_init(m, err, sizeof(err))) {
        fprintf(stderr, "rewind: %s\n", err);
        core_machine_free(m);
        return NULL;
    }
    shell_host_clear_sources();
    if (be_net_active()) {
        shell_host_add_source(&net_source);   /* a replay has none */
    }
    return m;
}

static FILE *open_trace(CoreMachine *m, const char *path)
{
    if (!path) {
        return NULL;
    }
    FILE *trace = strcmp(path, "-") == 0 ? stderr : fopen(path, "w");
    if (!trace) {
        fprintf(stderr, "rewind: --trace %s: %s\n", path, strerror(errno));
        return NULL;
    }
    for (unsigned i = 0; i < m->ncpus; i++) {
        m->cpu_ops->set_trace(m->cpus[i], trace);
    }
    return trace;
}

static void close_trace(FILE *trace)
{
    if (trace && trace != stderr) {
        fclose(trace);
    }
}

/* The details the code that stopped the run left (a stuck hart). */
static void print_exit_detail(const CoreMachine *m)
{
    if (m->exit_kind == CORE_EXIT_STUCK && m->exit_detail[0]) {
        fprintf(stderr, "rewind: %s\n", m->exit_detail);
    }
}

/* Print why the run ended (where it is news) and map it to a status. */
static int exit_status(CoreMachine *m, int status)
{
    print_exit_detail(m);
    switch (m->exit_kind) {
    case CORE_EXIT_LIMIT:
    case CORE_EXIT_RESET:
        fprintf(stderr, "rewind: %s at icount %" PRIu64 "\n",
                core_exit_kind_name(m->exit_kind), m->icount);
        return status;
    case CORE_EXIT_HALT:
        fprintf(stderr, "rewind: %s at icount %" PRIu64 "\n",
                core_exit_kind_name(m->exit_kind), m->icount);
        return EXIT_HALTED;
    default:
        return status;
    }
}

static void print_stats(CoreMachine *m)
{
    fprintf(stderr, "icount=%" PRIu64 " guest_ns=%" PRIu64
            " state_hash=%016" PRIx64 " exit=\"%s\"\n", m->icount,
            core_clock_ns(m), core_machine_state_hash(m),
            core_exit_kind_name(m->exit_kind));
}

/* What recording cost the host: host CPU times, so they differ from run
   to run (the guest never sees them). */
static void print_record_cost(const RRRecordCost *c)
{
    fprintf(stderr, "record: checkpoints=%" PRIu64 " snapshot_bytes=%" PRIu64
            " capture_cpu_ms=%.1f capture_wall_ms=%.1f writer_cpu_ms=%.1f"
            " trace_bytes=%" PRIu64 "\n", c->checkpoints, c->snapshot_bytes,
            c->capture_ns / 1e6, c->capture_wall_ns / 1e6,
            c->writer_cpu_ns / 1e6, c->trace_bytes);
}

/* Start the GDB stub of cfg (if any) and attach it. NULL without -gdb;
   *failed reports an error (printed). */
static GdbStub *start_gdb(CoreMachine *m, const CoreConfig *cfg, bool *failed)
{
    *failed = false;
    if (!cfg->gdb) {
        if (cfg->gdb_wait) {
            fprintf(stderr, "rewind: -S stops the machine for a debugger: "
                    "add -s or -gdb tcp::PORT\n");
            *failed = true;
        }
        return NULL;
    }
    char err[512] = "";
    GdbStub *stub = gdb_stub_open(m, cfg->gdb, err, sizeof(err));
    if (!stub) {
        fprintf(stderr, "rewind: -gdb %s: %s\n", cfg->gdb, err);
        *failed = true;
        return NULL;
    }
    core_debug_attach(m, gdb_stub_frontend(stub), cfg->gdb_wait);
    return stub;
}

static void stop_gdb(CoreMachine *m, GdbStub *stub)
{
    if (stub) {
        core_debug_detach(m);
        gdb_stub_close(stub);
    }
}

/* Run (and, with a trace directory, record) a machine. */
static int run_machine(CoreConfig *cfg, const char *record_dir,
                       uint64_t interval, bool no_derived, int argc,
                       char **argv)
{
    /* Entropy files are checked by a live run or a recording only: a
       replay opens none. */
    char err[512];
    if (!be_rng_check(cfg, err, sizeof(err))) {
        fprintf(stderr, "rewind: %s\n", err);
        return EXIT_USAGE;
    }
    /* A recording never writes the user's disk images: the guest's
       writes go to an overlay (checkpoints save it). */
    cfg->block_cow = record_dir != NULL;
    cfg->block_log_dir = record_dir;
    cfg->block_log_record = true;
    CoreMachine *m = shell_build_machine(cfg);
    if (!m) {
        return EXIT_USAGE;
    }
    if (cfg->dumpdtb) {
        core_machine_free(m);   /* QEMU writes the device tree and exits */
        return 0;
    }
    FILE *trace = open_trace(m, cfg->trace_insns);
    if (cfg->trace_insns && !trace) {
        core_machine_free(m);
        return EXIT_USAGE;
    }
    bool gdb_failed;
    GdbStub *stub = start_gdb(m, cfg, &gdb_failed);
    if (gdb_failed) {
        close_trace(trace);
        core_machine_free(m);
        return EXIT_USAGE;
    }
    RRSession *rr = NULL;
    RRRecordCost cost = { 0 };
    if (record_dir) {
        RROptions opts = { .checkpoint_interval = interval,
                           .no_derived = no_derived, .cost = &cost };
        char err[512] = "";
        rr = rr_record_begin(m, record_dir, argc, argv, &opts, err, sizeof(err));
        if (!rr) {
            fprintf(stderr, "rewind: %s\n", err);
            stop_gdb(m, stub);
            close_trace(trace);
            core_machine_free(m);
            return EXIT_USAGE;
        }
    }
    /* Ctrl-A c's monitor on -serial mon:stdio (-nographic) */
    ShMonStdio *mon = sh_mon_stdio_attach(m, cfg);
    int status = exit_status(m, core_run(m));
    sh_mon_stdio_free(mon);
    stop_gdb(m, stub);
    char rr_err[1024] = "";
    if (rr && rr_record_end(rr, rr_err, sizeof(rr_err)) != 0) {
        fprintf(stderr, "rewind: %s\n", rr_err);
        status = EXIT_USAGE;
    } else if (rr) {
        fprintf(stderr, "rewind: recorded %" PRIu64 " instructions to %s\n",
                m->icount, record_dir);
    }
    if (cfg->stats) {
        print_stats(m);
        if (rr) {
            print_record_cost(&cost);
        }
    }
    close_trace(trace);
    core_machine_free(m);
    return status;
}

static int do_replay(const char *cmd, int argc, char **argv, bool verify,
                     int expect_argc, char **expect_argv);

/* `run ... -icount ...,rr=replay,rrfile=DIR` (argv without rr=): replays
   DIR like `rewind replay DIR` with the debugger options given, once the
   machine options are known to be the recorded ones. */
static int qemu_replay(const CoreConfig *cfg, int argc, char **argv)
{
    char *args[8];
    int n = 0;
    args[n++] = (char *)cfg->rr_replay_dir;
    if (cfg->gdb) {
        args[n++] = "-gdb";
        args[n++] = (char *)cfg->gdb;
    }
    if (cfg->gdb_wait) {
        args[n++] = "-S";
    }
    if (cfg->stats) {
        args[n++] = "--stats";
    }
    if (cfg->trace_insns) {
        args[n++] = "--trace";
        args[n++] = (char *)cfg->trace_insns;
    }
    return do_replay("-icount rr=replay", n, args, false, argc, argv);
}

static int cmd_run(int argc, char **argv)
{
    CoreConfig cfg;
    ShellCliResult res = shell_cli_parse(argc, argv, &cfg);
    if (res != SHELL_CLI_OK) {
        return res == SHELL_CLI_EXIT_OK ? 0 : EXIT_USAGE;
    }
    if (!cfg.rr_record_dir && !cfg.rr_replay_dir) {
        int status = run_machine(&cfg, NULL, 0, false, 0, NULL);
        shell_cli_free(&cfg);
        return status;
    }
    /* QEMU spelling of a recording or replay: the options without rr=. */
    char **clean = calloc((size_t)argc + 1, sizeof(char *));
    char *icount_arg = NULL;
    int n = 0;
    for (int i = 0; i < argc; i++) {
        clean[n++] = argv[i];
        const char *o = argv[i] + (argv[i][0] == '-' && argv[i][1] == '-');
        if (strcmp(o, "-icount") == 0 && i + 1 < argc) {
            icount_arg = shell_cli_strip_rr(argv[++i]);
            if (icount_arg[0]) {
                clean[n++] = icount_arg;
            } else {
                n--;
            }
        }
    }
    int status = cfg.rr_replay_dir
        ? qemu_replay(&cfg, n, clean)
        : run_machine(&cfg, cfg.rr_record_dir, RR_DEFAULT_CHECKPOINT_INTERVAL,
                      false, n, clean);
    free(icount_arg);
    free(clean);
    free((char *)cfg.rr_record_dir);   /* strndup'd by the -icount parser */
    free((char *)cfg.rr_replay_dir);
    shell_cli_free(&cfg);
    return status;
}

static int cmd_record(int argc, char **argv)
{
    const char *dir = NULL;
    uint64_t interval = RR_DEFAULT_CHECKPOINT_INTERVAL;
    bool no_derived = false;
    char **rest = calloc((size_t)argc + 1, sizeof(char *));
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) &&
            i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(argv[i], "--checkpoint-every") == 0 && i + 1 < argc) {
            if (!parse_count("--checkpoint-every", argv[++i], &interval)) {
                free(rest);
                return EXIT_USAGE;
            }
            if (interval == 0) {
                fprintf(stderr, "rewind: --checkpoint-every 0: give the "
                        "number of instructions between checkpoints (at "
                        "least 1)\n");
                free(rest);
                return EXIT_USAGE;
            }
        } else if (strcmp(argv[i], "--no-derived") == 0) {
            no_derived = true;
        } else {
            rest[n++] = argv[i];
        }
    }
    if (!dir) {
        fprintf(stderr, "rewind: record needs -o DIR (the trace directory "
                "to create)\n");
        free(rest);
        return EXIT_USAGE;
    }
    CoreConfig cfg;
    ShellCliResult res = shell_cli_parse(n, rest, &cfg);
    int status;
    if (res != SHELL_CLI_OK) {
        status = res == SHELL_CLI_EXIT_OK ? 0 : EXIT_USAGE;
    } else if (cfg.rr_record_dir || cfg.rr_replay_dir) {
        fprintf(stderr, "rewind: record: drop -icount rr=...; -o gives the trace\n");
        status = EXIT_USAGE;
    } else {
        status = run_machine(&cfg, dir, interval, no_derived, n, rest);
    }
    if (res == SHELL_CLI_OK) {
        shell_cli_free(&cfg);
    }
    free(rest);
    return status;
}

/* A replay's warnings (RROptions.warn). */
static void print_replay_warning(const char *msg)
{
    fprintf(stderr, "rewind: %s\n", msg);
}

typedef struct ReplayArgs {
    const char *dir;
    RROptions opts;
    bool stats;
    const char *trace;
    const char *junit;
    uint64_t seek;
    bool do_seek;
    const char *gdb;
    bool gdb_wait;
    bool allow_incomplete;
    CoreJitMode jit;     /* -accel: the engine, whatever recorded it */
    uint32_t jit_threshold;  /* -accel tcg,jit-threshold=N, or 0 */
    bool verify;         /* `verify`, not `replay` */
} ReplayArgs;

static bool parse_replay_args(const char *cmd, int argc, char **argv,
                              ReplayArgs *a, bool verify)
{
    memset(a, 0, sizeof(*a));
    a->verify = verify;
    a->opts.warn = print_replay_warning;
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i];
        bool more = i + 1 < argc;
        if (strcmp(o, "--until") == 0 && more) {
            if (!parse_count(o, argv[++i], &a->opts.until)) {
                return false;
            }
        } else if (!verify && strcmp(o, "--seek") == 0 && more) {
            if (!parse_count(o, argv[++i], &a->seek)) {
                return false;
            }
            a->do_seek = true;
        } else if (strcmp(o, "--perturb-at") == 0 && more) {
            /* Test-only: inject a divergence to check it is reported.
               N[:reg|ram|device|console|console1], reg by default. */
            char num[32];
            const char *arg = argv[++i], *colon = strchr(arg, ':');
            size_t nl = colon ? (size_t)(colon - arg) : strlen(arg);
            snprintf(num, sizeof(num), "%.*s", (int)(nl < 31 ? nl : 31), arg);
            if (nl >= sizeof(num)) {
                fprintf(stderr, "rewind: %s: invalid number '%s'\n", o, arg);
                return false;
            }
            if (!parse_count(o, num, &a->opts.perturb_icount)) {
                return false;
            }
            static const char *const kinds[] = { "reg", "ram", "device",
                                                 "console", "console1" };
            unsigned k = 0;
            while (colon && k < 5 && strcmp(colon + 1, kinds[k]) != 0) {
                k++;
            }
            if (k == 5) {
                fprintf(stderr, "rewind: %s: unknown kind '%s' (reg, ram, "
                        "device, console or console1)\n", o, colon + 1);
                return false;
            }
            a->opts.perturb_kind = (RRPerturb)k;
        } else if (!verify && strcmp(o, "-gdb") == 0 && more) {
            a->gdb = argv[++i];
        } else if (!verify && strcmp(o, "-s") == 0) {
            a->gdb = "tcp::1234";
        } else if (!verify && strcmp(o, "-S") == 0) {
            a->gdb_wait = true;
        } else if (!verify && strcmp(o, "--quiet") == 0) {
            a->opts.quiet = true;
        } else if (!verify && strcmp(o, "--stats") == 0) {
            a->stats = true;
        } else if (!verify && strcmp(o, "--trace") == 0 && more) {
            a->trace = argv[++i];
        } else if (strcmp(o, "--allow-incomplete") == 0) {
            a->allow_incomplete = true;
        } else if (strcmp(o, "-accel") == 0 && more) {
            if (!shell_cli_parse_accel("accel", argv[++i], &a->jit,
                                       &a->jit_threshold)) {
                return false;
            }
        } else if (verify && strcmp(o, "--junit") == 0 && more) {
            a->junit = argv[++i];
        } else if (o[0] != '-' && !a->dir) {
            a->dir = o;
        } else {
            fprintf(stderr, "rewind: %s: unexpected argument '%s'\n", cmd, o);
            return false;
        }
    }
    if (!a->dir) {
        fprintf(stderr, "rewind: %s needs a trace directory\n", cmd);
        return false;
    }
    if (verify) {
        a->opts.quiet = true;
    }
    if (a->do_seek && a->opts.until && a->opts.until < a->seek) {
        fprintf(stderr, "rewind: %s: --until %" PRIu64 " is before --seek %"
                PRIu64 "\n", cmd, a->opts.until, a->seek);
        return false;
    }
    return true;
}

/* Fail before a long verify rather than after it: can FILE be written? */
static bool junit_writable(const char *path)
{
    FILE *f = fopen(path, "a");
    if (!f) {
        fprintf(stderr, "rewind: --junit %s: %s\n", path, strerror(errno));
        return false;
    }
    fclose(f);
    return true;
}

static bool write_junit(const char *path, const char *dir, RRResult r,
                        bool allow_incomplete, const char *report,
                        uint64_t icount, uint64_t checks)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "rewind: --junit %s: %s\n", path, strerror(errno));
        return false;
    }
    const char *failure = r == RR_RESULT_DIVERGED ? "replay is not identical"
                          : r == RR_RESULT_UNUSABLE ? "trace unusable or damaged"
                          : r == RR_RESULT_INCOMPLETE && !allow_incomplete
                              ? "the recording is incomplete" : NULL;
    int failed = failure != NULL;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites>\n<testsuite name=\"rewind verify\" tests=\"1\" "
            "failures=\"%d\" errors=\"0\">\n"
            "  <properties><property name=\"icount\" value=\"%" PRIu64 "\"/>"
            "<property name=\"checkpoints_checked\" value=\"%" PRIu64 "\"/>"
            "</properties>\n  <testcase classname=\"replay\" name=\"",
            failed, icount, checks);
    for (const char *p = dir; *p; p++) {
        switch (*p) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*p, f);
        }
    }
    fputs("\">\n", f);
    if (failed) {
        fprintf(f, "    <failure message=\"%s\"><![CDATA[", failure);
        fputs(report, f);
        fputs("]]></failure>\n", f);
    } else {
        fputs("    <system-out><![CDATA[", f);
        fputs(report, f);
        fputs("]]></system-out>\n", f);
    }
    fputs("  </testcase>\n</testsuite>\n</testsuites>\n", f);
    if (fclose(f) != 0) {
        fprintf(stderr, "rewind: --junit %s: %s\n", path, strerror(errno));
        return false;
    }
    return true;
}

/* Refuses (with a message) a replay whose given machine options differ
   from the recorded ones: the recorded ones are what replay uses. */
static bool same_machine(const char *dir, int rargc, char **rargv, int argc,
                         char **argv)
{
    const char *r, *g;
    if (shell_cli_same_machine(rargc, rargv, argc, argv, &r, &g)) {
        return true;
    }
    fprintf(stderr, "rewind: -icount rr=replay: the machine options differ "
            "from those recorded in %s: '%s' given where the recording has "
            "'%s' (replay uses the recorded ones; 'rewind info %s' shows "
            "them, 'rewind replay %s' needs none)\n", dir, g ? g : "(end)",
            r ? r : "(end)", dir, dir);
    return false;
}

static int replay_machine(ReplayArgs a, RRSession *s, CoreConfig *cfg);

static int do_replay(const char *cmd, int argc, char **argv, bool verify,
                     int expect_argc, char **expect_argv)
{
    ReplayArgs a;
    if (!parse_replay_args(cmd, argc, argv, &a, verify) ||
        (a.junit && !junit_writable(a.junit))) {
        return verify ? EXIT_UNUSABLE : EXIT_USAGE;
    }
    char err[1024] = "";
    RRSession *s = rr_replay_open(a.dir, err, sizeof(err));
    if (!s) {
        fprintf(stderr, "rewind: %s\n", err);
        if (a.junit) {
            write_junit(a.junit, a.dir, RR_RESULT_UNUSABLE, false, err, 0, 0);
        }
        return EXIT_UNUSABLE;
    }
    int rargc;
    char **rargv;
    rr_replay_argv(s, &rargc, &rargv);
    if (expect_argv &&
        !same_machine(a.dir, rargc, rargv, expect_argc, expect_argv)) {
        rr_replay_finish(s, err, sizeof(err));
        return EXIT_USAGE;
    }
    CoreConfig cfg;
    if (shell_cli_parse(rargc, rargv, &cfg) != SHELL_CLI_OK) {
        fprintf(stderr, "rewind: %s: the recorded command line is not "
                "accepted by this rewind\n", a.dir);
        rr_replay_finish(s, err, sizeof(err));
        return EXIT_UNUSABLE;
    }
    int status = replay_machine(a, s, &cfg);
    shell_cli_free(&cfg);
    return status;
}

/* The rest of do_replay, on the recorded machine's configuration: build,
   attach, seek, run, report. Finishes the session s. */
static int replay_machine(ReplayArgs a, RRSession *s, CoreConfig *cfg)
{
    bool verify = a.verify;
    char err[1024] = "";
    /* Replay never reads the host's input and never writes a user's
       files: console to stdout (or nowhere), no device-tree dump. A
       recording made with the monitor replays with it on a terminal. */
    CoreConfig recorded = *cfg;
    cfg->serial = a.opts.quiet ? "null" : "stdout";
    shell_cli_replay_config(cfg, a.dir);
    if (a.jit != CORE_JIT_DEFAULT) {
        cfg->jit = a.jit;
    }
    if (a.jit_threshold) {
        cfg->jit_threshold = a.jit_threshold;
    }
    cfg->stats = a.stats;
    cfg->trace_insns = a.trace;
    cfg->trace_jit = NULL;   /* a recorded --trace-jit writes nothing */
    CoreMachine *m = shell_build_machine(cfg);
    if (!m) {
        rr_replay_finish(s, err, sizeof(err));
        return EXIT_UNUSABLE;
    }
    /* verify: a bar for the whole replay on a terminal's stderr (its
       console is off); replay: one for a far --seek. */
    ShProgressSlot bar = { .out = stderr, .label = verify ? "verify"
                                                          : "seeking" };
    a.opts.progress = sh_progress_report;
    a.opts.progress_opaque = &bar;
    a.opts.progress_whole = verify;
    if (!rr_replay_attach(s, m, &a.opts, err, sizeof(err))) {
        fprintf(stderr, "rewind: %s\n", err);
        if (a.junit) {
            write_junit(a.junit, a.dir, RR_RESULT_UNUSABLE, false, err, 0, 0);
        }
        rr_replay_finish(s, err, sizeof(err));
        core_machine_free(m);
        return EXIT_UNUSABLE;
    }
    if (a.do_seek) {
        /* Jump through checkpoints. Without anything to do after it
           (--until, a debugger, --trace) the replay stops there; with one,
           it goes on from there (tracing only from there). */
        if (rr_seek(s, a.seek, err, sizeof(err)) != 0) {
            fprintf(stderr, "rewind: --seek %" PRIu64 ": %s\n", a.seek, err);
            rr_replay_finish(s, err, sizeof(err));
            core_machine_free(m);
            return EXIT_UNUSABLE;
        }
        fprintf(stderr, "rewind: at icount %" PRIu64 "\n", m->icount);
        if (!a.opts.until && !a.gdb && !a.gdb_wait && !a.trace) {
            if (a.stats) {
                print_stats(m);
            }
            rr_replay_finish(s, err, sizeof(err));
            core_machine_free(m);
            return 0;
        }
    }
    FILE *trace = open_trace(m, a.trace);
    if (a.trace && !trace) {
        rr_replay_finish(s, err, sizeof(err));
        core_machine_free(m);
        return EXIT_USAGE;
    }
    cfg->gdb = a.gdb;
    cfg->gdb_wait = a.gdb_wait;
    bool gdb_failed;
    GdbStub *stub = start_gdb(m, cfg, &gdb_failed);
    if (gdb_failed) {
        rr_replay_finish(s, err, sizeof(err));
        close_trace(trace);
        core_machine_free(m);
        return EXIT_USAGE;
    }
    ShellMonitor *mon = NULL;
    if (stub) {
        static const GdbReplayOps ops = { rr_gdb_replaying, rr_gdb_checkpoints };
        gdb_stub_set_replay(stub, &ops, s);
        /* `monitor CMD`: the debug shell's commands (shell/monitor.c) */
        mon = shell_monitor_new(m, s, a.dir);
        if (mon) {
            gdb_stub_set_monitor(stub, shell_monitor_command, mon);
        }
    }
    ShMonStdio *mon_stdio = verify || a.opts.quiet || a.gdb || a.gdb_wait
        ? NULL
        : sh_mon_stdio_attach_replay(m, &recorded);
    core_run(m);
    sh_progress_slot_end(&bar);
    sh_mon_stdio_free(mon_stdio);
    print_exit_detail(m);
    stop_gdb(m, stub);
    shell_monitor_free(mon);
    uint64_t checks = rr_replay_checkpoints_checked(s);
    char report[4096];
    RRResult r = rr_replay_finish(s, report, sizeof(report));
    fprintf(stderr, "rewind: %s", report);
    bool junit_ok = !a.junit ||
                    write_junit(a.junit, a.dir, r, a.allow_incomplete, report,
                                m->icount, checks);
    if (a.stats) {
        print_stats(m);
    }
    close_trace(trace);
    core_machine_free(m);
    switch (r) {
    case RR_RESULT_IDENTICAL:
    case RR_RESULT_PARTIAL:
        return junit_ok ? 0 : EXIT_UNUSABLE;
    case RR_RESULT_DIVERGED:
        return EXIT_DIVERGED;
    case RR_RESULT_INCOMPLETE:
        return !a.allow_incomplete ? EXIT_INCOMPLETE
               : junit_ok ? 0 : EXIT_UNUSABLE;
    default:
        return EXIT_UNUSABLE;
    }
}

/* `rewind CMD --help` anywhere in the arguments prints the usage. */
static bool wants_help(int argc, char **argv)
{
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-help") == 0 ||
            strcmp(argv[i], "-h") == 0) {
            return true;
        }
    }
    return false;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        shell_cli_print_usage();
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-version") == 0) {
        printf("rewind %s\n", REWIND_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-help") == 0 ||
        strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        shell_cli_print_usage();
        return 0;
    }
    /* run parses -help in its option table (after -append, "-h" is data). */
    if (strcmp(cmd, "run") != 0 && cmd[0] != '-' && wants_help(argc, argv)) {
        shell_cli_print_usage();
        return 0;
    }
    if (strcmp(cmd, "run") == 0) {
        return cmd_run(argc - 2, argv + 2);
    }
    if (strcmp(cmd, "record") == 0) {
        return cmd_record(argc - 2, argv + 2);
    }
    if (strcmp(cmd, "replay") == 0) {
        return do_replay("replay", argc - 2, argv + 2, false, 0, NULL);
    }
    if (strcmp(cmd, "verify") == 0) {
        return do_replay("verify", argc - 2, argv + 2, true, 0, NULL);
    }
    if (strcmp(cmd, "info") == 0) {
        return rr_cmd_info(argc - 2, argv + 2);
    }
    if (strcmp(cmd, "query") == 0) {
        return rr_cmd_query(argc - 2, argv + 2);
    }
    if (strcmp(cmd, "trace") == 0 && argc > 2 && strcmp(argv[2], "index") == 0) {
        return sh_trace_index_main(argc - 3, argv + 3);
    }
    if (strcmp(cmd, "trace") == 0 && argc > 2 &&
        strcmp(argv[2], "timeline") == 0) {
        return sh_trace_timeline_main(argc - 3, argv + 3);
    }
    if (strcmp(cmd, "trace") == 0) {
        return rr_cmd_trace(argc - 2, argv + 2);
    }
    if (strcmp(cmd, "diff") == 0) {
        return sh_diff_cmd(argc - 2, argv + 2);
    }
    if (strcmp(cmd, "jit-check") == 0) {
        return sh_jit_check_cmd(argc - 2, argv + 2);
    }
    if (strcmp(cmd, "last-write") == 0 || strcmp(cmd, "history") == 0) {
        return sh_search_cmd(cmd, argc - 2, argv + 2);
    }
    if (cmd[0] == '-') {
        /* QEMU habit: options without a command mean `run`. */
        return cmd_run(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "shell") == 0) {
        return shell_main(argc - 2, argv + 2);
    }
    fprintf(stderr, "rewind: unknown command '%s' (see rewind --help)\n", cmd);
    return EXIT_USAGE;
}
