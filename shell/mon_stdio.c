/*
 * The monitor of -serial mon:stdio (see shell/mon_stdio.h): a line
 * editor on the raw terminal, QEMU's run-control words, and the debug
 * shell's command table for the rest.
 *
 * The terminal is raw while the run goes (mon:stdio), so the monitor
 * echoes what is typed itself, and writes "\r\n" line ends, through
 * be_chardev_write_host: past the console tap, never in the recorded
 * console.
 */
#include "shell/mon_stdio.h"
#include "backends/chardev.h"
#include "backends/mux.h"
#include "core/input.h"
#include "shell/host.h"
#include "shell/shcmd.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MON_PROMPT "(rewind) "

struct ShMonStdio {
    ShellCtx ctx;
    BeChardev *chr;       /* the console's chardev (its shared back end) */
    char line[512];
    size_t len;
    bool cr;              /* the last byte was CR: a following LF is its */
    uint8_t esc;          /* inside an escape sequence (see skip_escape) */
    bool quit;            /* `quit` was typed: no prompt any more */
    bool own_chr;         /* a replay's terminal, opened here */
    bool told;            /* a replay said once that it takes no input */
};

/* Text to the terminal with "\r\n" line ends (the terminal is raw). */
static void say(ShMonStdio *mon, const char *text)
{
    GString *s = g_string_new("");
    for (const char *p = text; *p; p++) {
        if (*p == '\n' && (p == text || p[-1] != '\r')) {
            g_string_append_c(s, '\r');
        }
        g_string_append_c(s, *p);
    }
    be_chardev_write_host(mon->chr, s->str);
    g_string_free(s, true);
}

static void focused(void *opaque)
{
    ShMonStdio *mon = opaque;
    say(mon, MON_PROMPT);
    if (mon->len) {
        say(mon, mon->line);   /* a line begun before Ctrl-A c went back */
    }
}

/* Commands that make no sense on a running machine from here. */
static const char *refusal(ShCmdFn fn)
{
    if (fn == shcmd_stepi || fn == shcmd_nexti || fn == shcmd_rstepi ||
        fn == shcmd_rnexti || fn == shcmd_rcontinue || fn == shcmd_goto) {
        return "the monitor does not move the machine in time (use "
               "'rewind shell' on the recording, or gdb); 'stop' and "
               "'cont' hold and resume it";
    }
    if (fn == shcmd_break || fn == shcmd_watch || fn == shcmd_delete ||
        fn == shcmd_info_break) {
        return "breakpoints and watchpoints belong to 'rewind shell' and "
               "gdb (-gdb), not to the monitor";
    }
    if (fn == shcmd_bookmark || fn == shcmd_bookmarks || fn == shcmd_traps ||
        fn == shcmd_syscalls || fn == shcmd_sql || fn == shcmd_events ||
        fn == shcmd_console || fn == shcmd_timeline ||
        fn == shcmd_last_write || fn == shcmd_history || fn == shcmd_diff) {
        return "it asks a finished trace: use 'rewind shell TRACE' on the "
               "recording";
    }
    return NULL;
}

static const char monitor_help[] =
    "monitor (Ctrl-A c goes back to the guest console; here stop and "
    "cont are QEMU's,\nand commands that move in time, break, watch or "
    "ask the trace are refused):\n"
    "  stop                                     hold the machine\n"
    "  cont                                     (also: c continue) resume it\n"
    "  info status                              running or paused\n"
    "  quit                                     (also: q) end the run as "
    "Ctrl-A x does\n";

/* One command line. Output is collected and written at once. */
static void run_line(ShMonStdio *mon, const char *line)
{
    ShellCtx *c = &mon->ctx;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        say(mon, "error: out of memory\n");
        return;
    }
    c->out = c->err = f;
    gchar **w = g_strsplit_set(line, " \t", -1);
    int argc = 0;
    char *argv[3] = { NULL, NULL, NULL };
    for (int i = 0; w[i] && argc < 2; i++) {
        if (w[i][0]) {
            argv[argc++] = w[i];
        }
    }
    const char *word = argc ? argv[0] : "";
    bool two_info = argc == 2 && strcmp(word, "info") == 0;
    if (argc == 0) {
        /* an empty line: just the prompt again */
    } else if (!strcmp(word, "stop")) {
        shell_host_hold(true);
        shell_exec(c, "where");
    } else if (!strcmp(word, "cont") || !strcmp(word, "c") ||
               !strcmp(word, "continue")) {
        shell_host_hold(false);
    } else if (two_info && !strcmp(argv[1], "status")) {
        fprintf(f, "VM status: %s\n", shell_host_held() ? "paused"
                                                        : "running");
    } else if (!strcmp(word, "quit") || !strcmp(word, "q") ||
               !strcmp(word, "exit")) {
        shell_host_quit(c->m);
        mon->quit = true;
    } else {
        int used;
        const ShCmd *cmd = shcmd_find(argc, argv, &used);
        const char *why = cmd ? refusal(cmd->fn) : NULL;
        if (why) {
            fprintf(f, "error: %s: %s\n", cmd->name, why);
        } else {
            shell_exec(c, line);
            c->mv.kind = SH_MV_NONE;   /* refused above: nothing moves */
            if (cmd && cmd->fn == shcmd_help && argc == 1) {
                fputs(monitor_help, f);
            }
        }
    }
    g_strfreev(w);
    fclose(f);
    if (text && *text) {
        say(mon, text);
    }
    free(text);
}

/* Escape sequences from the terminal are dropped whole, not typed: the
   answer to a cursor-position query the guest sent just before Ctrl-A c
   (ESC [ 24 ; 11 R) and keys such as the arrows (ESC [ A, ESC O A).
   Returns true while `ch` belongs to one. */
enum { ESC_NONE, ESC_START, ESC_CSI, ESC_SS3 };
static bool skip_escape(ShMonStdio *mon, uint8_t ch)
{
    switch (mon->esc) {
    case ESC_NONE:
        if (ch != 0x1b) {
            return false;
        }
        mon->esc = ESC_START;
        return true;
    case ESC_START:
        mon->esc = ch == '[' ? ESC_CSI : ch == 'O' ? ESC_SS3 : ESC_NONE;
        return true;
    case ESC_CSI:
        if (ch >= 0x40 && ch <= 0x7e) {
            mon->esc = ESC_NONE;   /* the final byte */
        }
        return true;
    default:
        mon->esc = ESC_NONE;       /* SS3's one key byte */
        return true;
    }
}

/* Bytes typed while the monitor has the focus. */
static void receive(void *opaque, const uint8_t *buf, size_t n)
{
    ShMonStdio *mon = opaque;
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = buf[i];
        if (skip_escape(mon, ch)) {
            continue;
        }
        bool after_cr = mon->cr;
        mon->cr = ch == '\r';
        if (ch == '\n' && after_cr) {
            continue;   /* CR LF: one line end */
        }
        if (ch == '\r' || ch == '\n') {
            say(mon, "\n");
            mon->line[mon->len] = 0;
            mon->len = 0;
            char line[sizeof(mon->line)];
            memcpy(line, mon->line, sizeof(line));
            run_line(mon, line);
            if (mon->quit) {
                return;   /* the run ends: nothing more is read */
            }
            say(mon, MON_PROMPT);
        } else if (ch == 0x7f || ch == 0x08) {
            if (mon->len) {
                mon->len--;
                say(mon, "\b \b");
            }
        } else if (ch == 0x03) {
            mon->len = 0;   /* Ctrl-C drops the line, as at a shell */
            say(mon, "^C\n" MON_PROMPT);
        } else if (ch == 0x15) {
            while (mon->len) {   /* Ctrl-U: the whole line */
                mon->len--;
                say(mon, "\b \b");
            }
        } else if (ch >= 0x20 && ch < 0x7f && mon->len + 1 < sizeof(mon->line)) {
            mon->line[mon->len++] = (char)ch;
            char echo[2] = { (char)ch, 0 };
            say(mon, echo);
        }
        mon->line[mon->len] = 0;
    }
}

static ShMonStdio *attach(CoreMachine *m, const CoreConfig *cfg,
                          BeChardev *chr)
{
    BeMux *mux = be_chardev_mux(chr);
    if (!mux) {
        return NULL;
    }
    ShMonStdio *mon = calloc(1, sizeof(*mon));
    if (!mon) {
        return NULL;
    }
    mon->chr = chr;
    ShellCtx *c = &mon->ctx;
    c->m = m;
    c->trace_end = UINT64_MAX;
    sh_out_init(&c->mvout);
    if (cfg->kernel) {
        char err[512] = "";
        c->syms = sym_load_kernel(cfg->kernel, err, sizeof(err));
    }
    BeMuxFrontEnd fe = { .port = -1, .receive = receive, .focused = focused,
                         .opaque = mon };
    snprintf(fe.name, sizeof(fe.name), "the monitor");
    if (!be_mux_attach(mux, &fe)) {
        sh_mon_stdio_free(mon);
        return NULL;   /* an empty mux has room: not reached */
    }
    return mon;
}

ShMonStdio *sh_mon_stdio_attach(CoreMachine *m, const CoreConfig *cfg)
{
    if (!cfg->serial || strcmp(cfg->serial, "mon:stdio") != 0 ||
        cfg->monitor_none) {
        return NULL;
    }
    return attach(m, cfg,
                  be_chardev_backend(core_input_serial_source(m->input, 0)));
}

/* A replay's guest console on the terminal: no input goes to the guest. */
static void replay_console_receive(void *opaque, const uint8_t *buf,
                                   size_t n)
{
    ShMonStdio *mon = opaque;
    if (memchr(buf, 3, n)) {
        shell_host_interrupt(mon->ctx.m);   /* Ctrl-C stops the replay */
    } else if (!mon->told) {
        say(mon, "\nrewind: a replay takes no input (the guest's comes "
            "from the trace); Ctrl-A c: the monitor\n");
        mon->told = true;
    }
}

ShMonStdio *sh_mon_stdio_attach_replay(CoreMachine *m,
                                       const CoreConfig *recorded)
{
    if (!recorded->serial || strcmp(recorded->serial, "mon:stdio") != 0 ||
        recorded->monitor_none || !isatty(STDIN_FILENO)) {
        return NULL;
    }
    char err[256];
    BeChardev *chr = be_chardev_open("mon:stdio", err, sizeof(err));
    if (!chr) {
        return NULL;   /* stdio taken: no monitor, the replay goes on */
    }
    ShMonStdio *mon = attach(m, recorded, chr);
    if (!mon) {
        be_chardev_close(chr);
        return NULL;
    }
    mon->own_chr = true;
    /* attached after the monitor: it has the input at start */
    BeMuxFrontEnd fe = { .port = -1, .receive = replay_console_receive,
                         .opaque = mon };
    snprintf(fe.name, sizeof(fe.name), "the guest console (replay: no input)");
    be_mux_attach(be_chardev_mux(chr), &fe);
    shell_host_set_replay_input(chr);
    return mon;
}

void sh_mon_stdio_free(ShMonStdio *mon)
{
    if (mon && mon->own_chr) {
        shell_host_set_replay_input(NULL);
        be_chardev_close(mon->chr);
    }
    if (mon) {
        sym_free(mon->ctx.syms);
        sh_out_free(&mon->ctx.mvout);
        free(mon);
    }
}
