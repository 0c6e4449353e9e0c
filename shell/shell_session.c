/*
 * `rewind shell`: the session behind the debug shell.
 *
 *   rewind shell TRACE [-c 'CMD; CMD'] [-x FILE] [--json] [--quiet]
 *   rewind shell [-c ...] [-x FILE] [--json] [--quiet] [-o DIR] -- RUN-OPTIONS
 *
 * On a trace: the replay is built as `rewind replay` builds it and the
 * shell attaches to it as a debugger, stopped at the start. Live: the
 * machine of RUN-OPTIONS is recorded to a temporary trace (or -o DIR,
 * kept); the first command that goes back ends that recording where the
 * machine is and the session goes on replaying it from there (forwards it
 * then stops at that point, the end of the history).
 *
 * Commands come from -c (split at ';'), then -x FILE (one per line), and
 * without either from the terminal (readline) or stdin. The exit status
 * is 1 if any command failed, 2 if the trace could not be used.
 */
#include "shell/cli.h"
#include "shell/index_db.h"
#include "shell/progress.h"
#include "shell/repl.h"
#include "shell/shcmd.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_FAILED 1
#define EXIT_UNUSABLE 2

typedef struct ShellArgs {
    const char *trace;
    const char *out_dir;       /* live: keep the recording here */
    GPtrArray *script;         /* commands from -c and -x */
    bool json, quiet;
    int run_argc;              /* after "--" */
    char **run_argv;
} ShellArgs;

static void print_warning(const char *msg)
{
    fprintf(stderr, "rewind: %s\n", msg);
}

static bool load_script(GPtrArray *script, const char *path)
{
    char *text = NULL;
    GError *e = NULL;
    if (!g_file_get_contents(path, &text, NULL, &e)) {
        fprintf(stderr, "rewind: shell -x %s: %s\n", path, e->message);
        g_error_free(e);
        return false;
    }
    char **lines = g_strsplit(text, "\n", -1);
    for (int i = 0; lines[i]; i++) {
        g_ptr_array_add(script, g_strdup(lines[i]));
    }
    g_strfreev(lines);
    g_free(text);
    return true;
}

static bool parse_args(int argc, char **argv, ShellArgs *a)
{
    memset(a, 0, sizeof(*a));
    a->script = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i];
        bool more = i + 1 < argc;
        if (strcmp(o, "--") == 0) {
            a->run_argc = argc - i - 1;
            a->run_argv = argv + i + 1;
            break;
        } else if (strcmp(o, "-c") == 0 && more) {
            g_ptr_array_add(a->script, g_strdup(argv[++i]));
        } else if (strcmp(o, "-x") == 0 && more) {
            if (!load_script(a->script, argv[++i])) {
                return false;
            }
        } else if (strcmp(o, "-o") == 0 && more) {
            a->out_dir = argv[++i];
        } else if (strcmp(o, "--json") == 0) {
            a->json = true;
        } else if (strcmp(o, "--quiet") == 0) {
            a->quiet = true;
        } else if (o[0] != '-' && !a->trace) {
            a->trace = o;
        } else {
            fprintf(stderr, "rewind: shell: unexpected argument '%s' (rewind "
                    "shell TRACE [-c CMDS] [-x FILE] [--json] [--quiet], or "
                    "rewind shell [...] -- RUN-OPTIONS)\n", o);
            return false;
        }
    }
    if (!a->trace == !a->run_argv) {
        fprintf(stderr, "rewind: shell needs a trace directory, or -- and the "
                "options of a machine to run\n");
        return false;
    }
    if (a->out_dir && !a->run_argv) {
        fprintf(stderr, "rewind: shell -o DIR records a live machine (-- "
                "RUN-OPTIONS); a trace is already recorded\n");
        return false;
    }
    return true;
}

/* Symbols of an ELF -kernel, once: the stop line and break SYMBOL use
   them. A kernel that is not an ELF (an Image) has none to give. */
static void kernel_symbols(ShellCtx *ctx, const CoreConfig *cfg)
{
    if (ctx->syms || !cfg->kernel) {
        return;
    }
    char err[512] = "";
    ctx->syms = sym_load_kernel(cfg->kernel, err, sizeof(err));
    if (!ctx->syms && err[0]) {
        fprintf(stderr, "rewind: shell: no symbols: %s\n", err);
    }
}

/* Put the shell's breakpoints and watchpoints into a new machine. */
static void rearm(ShellCtx *ctx)
{
    for (unsigned i = 0; i < ctx->nbp; i++) {
        bool dup = false;
        for (unsigned j = 0; j < i; j++) {
            dup |= ctx->bp[j].addr == ctx->bp[i].addr;
        }
        if (!dup) {
            core_debug_breakpoint(ctx->m, ctx->bp[i].addr, true);
        }
    }
    for (unsigned i = 0; i < ctx->nwp; i++) {
        core_debug_watchpoint(ctx->m, ctx->wp[i].addr, ctx->wp[i].len,
                              ctx->wp[i].kind, true);
    }
}

/* Replay the trace in ctx->dir under the shell, from icount `from`.
   Returns the exit status. */
static int replay_with(ShellCtx *ctx, const ShellArgs *a, uint64_t from,
                       CoreConfig *cfg)
{
    char err[1024] = "";
    RRSession *s = rr_replay_open(ctx->dir, err, sizeof(err));
    if (!s) {
        fprintf(stderr, "rewind: %s\n", err);
        return EXIT_UNUSABLE;
    }
    int rargc;
    char **rargv;
    rr_replay_argv(s, &rargc, &rargv);
    if (shell_cli_parse(rargc, rargv, cfg) != SHELL_CLI_OK) {
        fprintf(stderr, "rewind: %s: the recorded command line is not "
                "accepted by this rewind\n", ctx->dir);
        rr_replay_finish(s, err, sizeof(err));
        return EXIT_UNUSABLE;
    }
    /* As `rewind replay`: no host input, no user file written; the
       console shows on stdout unless it would mix with JSON. */
    cfg->serial = a->json || a->quiet ? "null" : "stdout";
    shell_cli_replay_config(cfg, ctx->dir);
    cfg->gdb = NULL;
    cfg->gdb_wait = false;
    kernel_symbols(ctx, cfg);
    CoreMachine *m = shell_build_machine(cfg);
    if (!m) {
        rr_replay_finish(s, err, sizeof(err));
        return EXIT_UNUSABLE;
    }
    /* A far goto (or any seek that replays long) draws a bar on a
       terminal's stderr. */
    static ShProgressSlot seek_bar;
    seek_bar = (ShProgressSlot){ .out = stderr, .label = "seeking" };
    RROptions opts = { .warn = print_warning, .quiet = a->json || a->quiet,
                       .progress = sh_progress_report,
                       .progress_opaque = &seek_bar };
    if (!rr_replay_attach(s, m, &opts, err, sizeof(err))) {
        fprintf(stderr, "rewind: %s\n", err);
        rr_replay_finish(s, err, sizeof(err));
        core_machine_free(m);
        return EXIT_UNUSABLE;
    }
    if (sh_index_last_icount(ctx->dir, &ctx->trace_end, err, sizeof(err)) < 0) {
        fprintf(stderr, "rewind: %s\n", err);
        rr_replay_finish(s, err, sizeof(err));
        core_machine_free(m);
        return EXIT_UNUSABLE;
    }
    if (from && rr_seek(s, from, err, sizeof(err)) != 0) {
        fprintf(stderr, "rewind: shell: icount %" PRIu64 ": %s\n", from, err);
        rr_replay_finish(s, err, sizeof(err));
        core_machine_free(m);
        return EXIT_UNUSABLE;
    }
    ctx->m = m;
    ctx->rr = s;
    ctx->replay = true;
    ctx->live = false;
    m->host = shell_repl_host_ops();
    core_debug_attach(m, shell_repl_frontend(ctx), true);
    rearm(ctx);
    core_run(m);
    core_debug_detach(m);
    sh_progress_slot_end(&seek_bar);
    char report[4096];
    RRResult r = rr_replay_finish(s, report, sizeof(report));
    int status = 0;
    if (r == RR_RESULT_DIVERGED || r == RR_RESULT_UNUSABLE) {
        fprintf(stderr, "rewind: %s", report);
        status = EXIT_UNUSABLE;
    }
    core_machine_free(m);
    ctx->m = NULL;
    ctx->rr = NULL;
    return status;
}

/* The recorded (or live) machine's configuration lives as long as its
   machine: parsed by the function, freed here. */
static int run_replay(ShellCtx *ctx, const ShellArgs *a, uint64_t from)
{
    CoreConfig cfg;
    memset(&cfg, 0, sizeof(cfg));
    int status = replay_with(ctx, a, from, &cfg);
    shell_cli_free(&cfg);
    return status;
}

/* Remove a temporary trace directory (flat: the trace's own files). */
static void remove_dir(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (d) {
        const char *name;
        while ((name = g_dir_read_name(d))) {
            char *p = g_build_filename(dir, name, NULL);
            g_unlink(p);
            g_free(p);
        }
        g_dir_close(d);
    }
    g_rmdir(dir);
}

static int live_with(ShellCtx *ctx, const ShellArgs *a, CoreConfig *cfg)
{
    ShellCliResult res = shell_cli_parse(a->run_argc, a->run_argv, cfg);
    if (res != SHELL_CLI_OK) {
        return res == SHELL_CLI_EXIT_OK ? 0 : EXIT_FAILED;
    }
    if (cfg->rr_record_dir || cfg->rr_replay_dir || cfg->gdb) {
        fprintf(stderr, "rewind: shell -- RUN-OPTIONS: drop -icount rr=... "
                "and -gdb (the shell records and debugs the machine itself)\n");
        return EXIT_FAILED;
    }
    /* The terminal belongs to the shell's prompt: the guest's console
       shows on stdout, and takes no input. */
    cfg->serial = a->json || a->quiet ? "null" : "stdout";
    cfg->block_cow = true;
    char *tmp = NULL;
    if (a->out_dir) {
        snprintf(ctx->dir, sizeof(ctx->dir), "%s", a->out_dir);
    } else {
        GError *e = NULL;
        tmp = g_dir_make_tmp("rewind-shell-XXXXXX", &e);
        if (!tmp) {
            fprintf(stderr, "rewind: shell: temporary directory: %s\n",
                    e->message);
            g_error_free(e);
            return EXIT_FAILED;
        }
        snprintf(ctx->dir, sizeof(ctx->dir), "%s/live.rwd", tmp);
    }
    /* As `rewind record`: the guest's disk writes go to overlay logs in
       the trace, never to the user's images. */
    cfg->block_log_dir = ctx->dir;
    cfg->block_log_record = true;
    kernel_symbols(ctx, cfg);
    CoreMachine *m = shell_build_machine(cfg);
    if (!m) {
        if (tmp) {
            g_rmdir(tmp);
            g_free(tmp);
        }
        return EXIT_FAILED;
    }
    char err[1024] = "";
    RROptions opts = { .checkpoint_interval = RR_DEFAULT_CHECKPOINT_INTERVAL };
    RRSession *rr = rr_record_begin(m, ctx->dir, a->run_argc, a->run_argv,
                                    &opts, err, sizeof(err));
    if (!rr) {
        fprintf(stderr, "rewind: %s\n", err);
        core_machine_free(m);
        if (tmp) {
            g_rmdir(tmp);
            g_free(tmp);
        }
        return EXIT_FAILED;
    }
    ctx->m = m;
    ctx->rr = rr;
    ctx->live = true;
    ctx->replay = false;
    m->host = shell_repl_host_ops();
    core_debug_attach(m, shell_repl_frontend(ctx), true);
    core_run(m);
    core_debug_detach(m);
    uint64_t at = m->icount;
    int status = 0;
    if (rr_record_end(rr, err, sizeof(err)) != 0) {
        fprintf(stderr, "rewind: %s\n", err);
        status = EXIT_FAILED;
        ctx->want_replay = false;
    }
    core_machine_free(m);
    ctx->m = NULL;
    ctx->rr = NULL;
    if (ctx->want_replay) {
        /* Go on replaying what was recorded, from where the machine was,
           and run there the command that asked to go back. */
        ctx->want_replay = false;
        ctx->quit = false;
        if (ctx->replay_cmd[0]) {
            shell_repl_push(ctx, ctx->replay_cmd);
        }
        if (!a->json) {
            fprintf(ctx->err, "rewind: the live run is recorded up to icount "
                    "%" PRIu64 "; replaying it from there%s\n", at,
                    ctx->replay_cmd[0] ? " to go back" : "");
        }
        status = run_replay(ctx, a, at);
    }
    if (tmp) {
        remove_dir(ctx->dir);
        g_rmdir(tmp);
        g_free(tmp);
    } else {
        fprintf(stderr, "rewind: the session is recorded in %s\n", ctx->dir);
    }
    return status;
}

static int run_live(ShellCtx *ctx, const ShellArgs *a)
{
    CoreConfig cfg;
    memset(&cfg, 0, sizeof(cfg));
    int status = live_with(ctx, a, &cfg);
    shell_cli_free(&cfg);
    return status;
}

int shell_main(int argc, char **argv)
{
    ShellArgs a;
    if (!parse_args(argc, argv, &a)) {
        g_ptr_array_free(a.script, true);
        return EXIT_FAILED;
    }
    ShellCtx *ctx = calloc(1, sizeof(*ctx));
    ctx->json = a.json;
    ctx->out = stdout;
    ctx->err = stderr;
    sh_out_init(&ctx->mvout);
    if (a.script->len) {
        ctx->script = (char **)a.script->pdata;
        ctx->nscript = a.script->len;
    } else {
        ctx->interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    }
    int status;
    if (a.trace) {
        snprintf(ctx->dir, sizeof(ctx->dir), "%s", a.trace);
        status = run_replay(ctx, &a, 0);
    } else {
        status = run_live(ctx, &a);
    }
    if (status == 0 && ctx->failures) {
        status = EXIT_FAILED;
    }
    sh_out_free(&ctx->mvout);
    sym_free(ctx->syms);
    shell_repl_reset();
    free(ctx);
    g_ptr_array_free(a.script, true);
    return status;
}
