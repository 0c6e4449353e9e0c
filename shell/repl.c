/*
 * The shell as a debugger front end (core/debug.h) and its input: the run
 * loop calls fe_stopped whenever the machine stops; it finishes the
 * motion in progress (shell/cmd_move.c), then reads commands until one
 * moves the machine, and hands that back to the run loop.
 *
 * Commands come from a script (-c, -x), from readline on a terminal
 * (history in $XDG_STATE_HOME/rewind/history, completion of commands and
 * register names), or line by line from a pipe. Ctrl-C at the prompt
 * drops the line; while the machine runs it stops it (poll_interrupt).
 * readline's callback interface lets us poll stdin ourselves, so a
 * Ctrl-C is a flag set by our handler, never a longjmp out of readline.
 */
#define _GNU_SOURCE   /* ppoll */
#include "shell/repl.h"
#include "shell/host.h"
#include "backends/chardev.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HISTORY_MAX 1000

static volatile sig_atomic_t sigint_seen;
static CoreMachine *sigint_machine;

static void on_sigint(int sig)
{
    (void)sig;
    sigint_seen = 1;
    if (sigint_machine) {
        sigint_machine->attention |= CORE_ATTN_STOP;
    }
}

/* The host ops of the command line, except that SIGINT stops the machine
   for the shell instead of ending the run. */
static void host_start(CoreMachine *m)
{
    shell_host_ops.start(m);
    sigint_machine = m;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

static void host_finish(CoreMachine *m)
{
    sigint_machine = NULL;
    shell_host_ops.finish(m);
}

static CoreHostOps repl_host_ops;

const CoreHostOps *shell_repl_host_ops(void)
{
    repl_host_ops = shell_host_ops;
    repl_host_ops.start = host_start;
    repl_host_ops.finish = host_finish;
    return &repl_host_ops;
}

/* ---- splitting `cmd; cmd` ---- */

/* Commands of one line, split at ';' outside "..." and /regex/ words. */
static void queue_line(ShellCtx *ctx, GQueue *q, const char *line)
{
    (void)ctx;
    GString *cur = g_string_new("");
    bool quote = false, regex = false;
    for (const char *p = line; *p; p++) {
        bool word_start = cur->len == 0 || cur->str[cur->len - 1] == ' ';
        if (!quote && !regex && *p == ';') {
            g_queue_push_tail(q, g_string_free(cur, false));
            cur = g_string_new("");
            continue;
        }
        if (*p == '"' && !regex) {
            quote = !quote;
        } else if (*p == '/' && !quote) {
            if (regex && (p[1] == 0 || p[1] == ' ' || p[1] == ';')) {
                regex = false;
            } else if (!regex && word_start && strchr(p + 1, '/')) {
                regex = true;
            }
        } else if (*p == '\\' && regex && p[1]) {
            g_string_append_c(cur, *p++);
        }
        g_string_append_c(cur, *p);
    }
    g_queue_push_tail(q, g_string_free(cur, false));
}

/* ---- readline ---- */

static GQueue pending = G_QUEUE_INIT;
static char *history_path;
static bool line_done;
static char *line_read;
static bool line_eof;

static void on_line(char *line)
{
    line_done = true;
    line_eof = line == NULL;
    line_read = line;
    if (line) {
        /* the next prompt is shown when we ask for the next line */
        rl_callback_handler_remove();
    }
}

static char *history_file(void)
{
    const char *state = g_getenv("XDG_STATE_HOME");
    char *dir = state && *state ? g_build_filename(state, "rewind", NULL)
                                : g_build_filename(g_get_home_dir(), ".local",
                                                   "state", "rewind", NULL);
    char *path = NULL;
    if (g_mkdir_with_parents(dir, 0700) == 0) {
        path = g_build_filename(dir, "history", NULL);
    }
    g_free(dir);
    return path;
}

static const char *const reg_names[] = {
    "pc", "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "fp", "s1",
    "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
    "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
    "mstatus", "mepc", "mcause", "mtval", "mtvec", "mie", "mip", "mscratch",
    "sstatus", "sepc", "scause", "stval", "stvec", "satp", "sscratch",
    "priv", NULL,
};

/* Command words: each one-word name and the first word of two-word
   names ("info"), once. */
static char *gen_command(const char *text, int state)
{
    static size_t i;
    if (state == 0) {
        i = 0;
    }
    size_t n = strlen(text);
    while (i < shcmd_count) {
        const char *name = shcmd_table[i++].name;
        size_t w = strcspn(name, " ");
        bool seen = false;
        for (size_t j = 0; j + 1 < i && !seen; j++) {
            seen = strncmp(shcmd_table[j].name, name, w) == 0 &&
                   strcspn(shcmd_table[j].name, " ") == w;
        }
        if (!seen && w >= n && strncmp(name, text, n) == 0) {
            return strndup(name, w);
        }
    }
    return NULL;
}

static char *gen_info(const char *text, int state)
{
    static size_t i;
    if (state == 0) {
        i = 0;
    }
    size_t n = strlen(text);
    while (i < shcmd_count) {
        const char *name = shcmd_table[i++].name;
        if (strncmp(name, "info ", 5) == 0 && strncmp(name + 5, text, n) == 0) {
            return strdup(name + 5);
        }
    }
    return NULL;
}

/* Symbols (break, watch, x, disas...) then register names. */
static ShellCtx *complete_ctx;
static GPtrArray *arg_matches;

static void add_match(const char *name, void *opaque)
{
    g_ptr_array_add(opaque, g_strdup(name));
}

static char *gen_arg(const char *text, int state)
{
    static guint i;
    if (state == 0) {
        i = 0;
        if (arg_matches) {
            g_ptr_array_free(arg_matches, true);
        }
        arg_matches = g_ptr_array_new_with_free_func(g_free);
        for (size_t r = 0; reg_names[r]; r++) {
            if (strncmp(reg_names[r], text, strlen(text)) == 0) {
                g_ptr_array_add(arg_matches, g_strdup(reg_names[r]));
            }
        }
        if (complete_ctx && complete_ctx->syms && *text) {
            sym_complete(complete_ctx->syms, text, add_match, arg_matches);
        }
    }
    return i < arg_matches->len ? strdup(arg_matches->pdata[i++]) : NULL;
}

static char **complete(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1;   /* never file names */
    char *before = g_strndup(rl_line_buffer, (gsize)start);
    g_strstrip(before);
    char **m;
    if (!*before || g_str_has_suffix(before, ";")) {
        m = rl_completion_matches(text, gen_command);
    } else if (strcmp(before, "info") == 0) {
        m = rl_completion_matches(text, gen_info);
    } else if (strcmp(before, "help") == 0) {
        m = rl_completion_matches(text, gen_command);
    } else {
        m = rl_completion_matches(text, gen_arg);
    }
    g_free(before);
    return m;
}

static void rl_setup(void)
{
    static bool done;
    if (done) {
        return;
    }
    done = true;
    rl_readline_name = "rewind";
    rl_catch_signals = 0;
    rl_catch_sigwinch = 1;
    rl_attempted_completion_function = complete;
    using_history();
    history_path = history_file();
    if (history_path) {
        read_history(history_path);
    }
}

/* One line from the terminal; NULL at end of input (Ctrl-D). */
static char *read_tty(void)
{
    rl_setup();
    line_done = false;
    line_read = NULL;
    sigint_seen = 0;
    rl_callback_handler_install("(rewind) ", on_line);
    /* SIGINT stays blocked except inside ppoll, so that a Ctrl-C that
       comes while readline handles a key still wakes the wait. */
    sigset_t block, orig;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &orig);
    sigset_t waitmask = orig;
    sigdelset(&waitmask, SIGINT);
    while (!line_done) {
        struct pollfd p = { .fd = fileno(rl_instream ? rl_instream : stdin),
                            .events = POLLIN };
        int r = sigint_seen ? 0 : ppoll(&p, 1, NULL, &waitmask);
        if (sigint_seen) {
            /* Ctrl-C at the prompt: drop the line, prompt again. */
            sigint_seen = 0;
            fputs("^C\n", rl_outstream ? rl_outstream : stdout);
            rl_replace_line("", 0);
            rl_on_new_line();
            rl_redisplay();
            continue;
        }
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            break;
        }
        rl_callback_read_char();
    }
    sigprocmask(SIG_SETMASK, &orig, NULL);
    if (!line_done || line_eof) {
        rl_callback_handler_remove();
        fputc('\n', stdout);
        return NULL;
    }
    char *line = line_read;
    if (*line) {
        HIST_ENTRY *last = history_length ? history_get(history_base +
                                                        history_length - 1)
                                          : NULL;
        if (!last || strcmp(last->line, line) != 0) {
            add_history(line);
            if (history_path) {
                /* append_history needs the file to exist */
                FILE *f = fopen(history_path, "a");
                if (f) {
                    fclose(f);
                }
                append_history(1, history_path);
                history_truncate_file(history_path, HISTORY_MAX);
            }
        }
    }
    return line;
}

/* One line from a pipe. */
static char *read_pipe(void)
{
    char buf[4096];
    if (!fgets(buf, sizeof(buf), stdin)) {
        return NULL;
    }
    buf[strcspn(buf, "\n")] = 0;
    return strdup(buf);
}

void shell_repl_push(ShellCtx *ctx, const char *cmd)
{
    (void)ctx;
    g_queue_push_head(&pending, g_strdup(cmd));
}

/* The next command, or NULL at the end of the input. */
static char *next_command(ShellCtx *ctx)
{
    while (g_queue_is_empty(&pending)) {
        char *line;
        if (ctx->script) {
            if (ctx->script_pos >= ctx->nscript) {
                return NULL;
            }
            line = strdup(ctx->script[ctx->script_pos++]);
        } else if (ctx->interactive) {
            line = read_tty();
        } else {
            line = read_pipe();
        }
        if (!line) {
            return NULL;
        }
        /* '#' starts a comment line in scripts */
        const char *t = line + strspn(line, " \t");
        if (*t != '#') {
            queue_line(ctx, &pending, line);
        }
        free(line);
    }
    return g_queue_pop_head(&pending);
}

/* ---- the front end ---- */

static bool fe_poll(void *opaque)
{
    (void)opaque;
    if (sigint_seen) {
        sigint_seen = 0;
        return true;
    }
    return false;
}

static CoreRunCmd fe_stopped(void *opaque, CoreMachine *m, const CoreStop *why)
{
    ShellCtx *ctx = opaque;
    (void)m;
    CoreRunCmd cmd;
    if (ctx->mv.kind != SH_MV_NONE) {
        if (sh_motion_next(ctx, why, &cmd)) {
            return cmd;
        }
        if (ctx->out == stdout) {
            /* the guest's console may have left a line open */
            fflush(stdout);
            be_chardev_stdout_end_line();
        }
        shell_emit(ctx, &ctx->mvout, ctx->mvcmd);
    } else if (why->reason == CORE_STOP_EXITED && !ctx->quit &&
               !ctx->want_replay) {
        fprintf(ctx->err, "rewind: the machine exited (status %d)\n",
                why->exit_code);
    }
    if (why->reason == CORE_STOP_EXITED) {
        if (ctx->live && !ctx->quit && !ctx->want_replay) {
            /* The live run is over but its history is recorded: go on
               replaying it (shell/shell_session.c). */
            ctx->want_replay = true;
            ctx->replay_cmd[0] = 0;
        }
        return (CoreRunCmd){ .kind = CORE_CMD_QUIT };
    }
    for (;;) {
        if (ctx->quit || ctx->want_replay) {
            return (CoreRunCmd){ .kind = CORE_CMD_QUIT };
        }
        char *c = next_command(ctx);
        if (!c) {
            ctx->quit = true;
            continue;
        }
        shell_exec(ctx, c);
        g_free(c);
        sigint_seen = 0;
        if (sh_motion_next(ctx, NULL, &cmd)) {
            return cmd;
        }
    }
}

const CoreFrontend *shell_repl_frontend(ShellCtx *ctx)
{
    static CoreFrontend fe;
    fe = (CoreFrontend){ fe_poll, fe_stopped, ctx };
    complete_ctx = ctx;
    return &fe;
}

void shell_repl_reset(void)
{
    char *c;
    while ((c = g_queue_pop_head(&pending))) {
        g_free(c);
    }
}
