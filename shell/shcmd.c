/*
 * The shell's command table and dispatch: splitting a line into words,
 * finding the row (two-word names such as `info breakpoints` first),
 * running it and printing its ShOut. Also the few helpers every command
 * shares: numbers, addresses, the stop line.
 */
#include "shell/shcmd.h"
#include "shell/look.h"
#include "shell/dindex.h"
#include "shell/diff.h"
#include "shell/search.h"
#include "shell/progress.h"
#include "core/clock.h"
#include "core/target.h"
#include "tcg/riscv/disas.h"

#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const ShCmd shcmd_table[] = {
    { "help", "h ?", "help [CMD]", "list the commands, or explain one",
      shcmd_help },
    { "where", "stop", "where",
      "print the stop line again: icount, guest time, hart, privilege, pc, "
      "instruction (`stop`, QEMU's spelling, does the same: the machine is "
      "stopped while the shell waits)", shcmd_where },
    { "hash", "info hash", "hash",
      "the state hash of the whole machine here (harts, devices, RAM), as "
      "`--stats` and the trace's checkpoints give it: equal states, equal "
      "hashes, however the shell got there", shcmd_hash },
    { "stepi", "si", "stepi [N]",
      "execute N instructions (1) of the current hart", shcmd_stepi },
    { "nexti", "ni", "nexti",
      "execute one instruction of the current hart; a call runs until it "
      "returns", shcmd_nexti },
    { "continue", "c cont", "continue",
      "run until a breakpoint, a watchpoint, the end of the trace or Ctrl-C",
      shcmd_continue },
    { "reverse-stepi", "rsi", "reverse-stepi [N]",
      "go back N instructions (1) of the current hart", shcmd_rstepi },
    { "reverse-nexti", "rni", "reverse-nexti",
      "go back one instruction of the current hart, over a whole call",
      shcmd_rnexti },
    { "reverse-continue", "rc", "reverse-continue",
      "go back to the last breakpoint or watchpoint hit before now (a "
      "watchpoint stops on the accessing instruction, before the access), "
      "or the start of the trace", shcmd_rcontinue },
    { "goto", "ugo", "goto ICOUNT|+N|-N|start|end|NAME | time T | "
      "console /REGEX/ [N] | event N | trap N",
      "move to an icount, relative to here, to either end, to a bookmark, to "
      "the first instruction at guest time T (1.25s, 300ms, 20us, 5ns), to "
      "the store of the last byte of the Nth console line matching REGEX, or "
      "to event N of the index (events.id), or to trap N (traps.id, see "
      "'traps')", shcmd_goto },
    { "bookmark", NULL, "bookmark NAME [NOTE...]",
      "name the current point; stored in the trace's index (kept by `rewind "
      "trace reindex`), `goto NAME` comes back", shcmd_bookmark },
    { "bookmarks", "info bookmarks", "bookmarks", "list the trace's bookmarks",
      shcmd_bookmarks },
    { "break", "b", "break ADDR|SYMBOL [if hart==N]",
      "stop before the instruction at ADDR runs (any hart, or only hart N), "
      "forwards and backwards", shcmd_break },
    { "watch", NULL, "watch ADDR|SYMBOL [LEN] [r|w|rw]",
      "stop at accesses to LEN bytes (8) at ADDR: writes (w, default), reads "
      "(r) or both (rw); forwards just after the access, backwards on the "
      "accessing instruction", shcmd_watch },
    { "delete", "d", "delete [ID...]",
      "delete breakpoints and watchpoints (all without ID)", shcmd_delete },
    { "info breakpoints", "info break info watchpoints", "info breakpoints",
      "list breakpoints and watchpoints", shcmd_info_break },
    /* the looking commands (shell/look.h) */
    { "regs", "info registers", "regs [HART]",
      "every register of a hart (the current one): GPRs, pc, FPRs, "
      "privilege, CSRs", shcmd_regs },
    { "x", NULL, "x[/FMT] ADDR",
      "memory at ADDR as gdb's x: FMT is [COUNT][x|d|u|c|s|i][b|h|w|g][p] "
      "(p: physical, else through the current hart's translation)",
      shcmd_x },
    { "disas", NULL, "disas [ADDR] [N]",
      "N instructions (8) from ADDR (the pc)", shcmd_disas },
    { "backtrace", "bt", "backtrace [N]",
      "the current hart's call stack by frame pointers", shcmd_backtrace },
    { "hart", "info harts", "hart [N]",
      "make hart N current, or list the harts", shcmd_hart },
    { "devices", "info qtree", "devices",
      "every device by bus, with its saved state", shcmd_devices },
    { "mtree", "info mtree", "mtree", "the guest-physical address map",
      shcmd_mtree },
    { "symbols", NULL, "symbols [FILE]",
      "load symbols from an ELF or a System.map (an ELF -kernel's are "
      "loaded at the start), or say how many are loaded", shcmd_symbols },
    /* the trace's index (shell/dindex.h) */
    { "traps", NULL, "traps [FROM TO]",
      "traps and interrupts taken (derived-event index)", shcmd_traps },
    { "syscalls", NULL, "syscalls [user|sbi] [FROM TO]",
      "ecalls: Linux syscalls from U-mode, SBI calls from S-mode",
      shcmd_syscalls },
    { "sql", NULL, "sql SELECT ...", "read-only SQL on the trace's index",
      shcmd_sql },
    { "events", NULL, "events [KIND] [FROM TO]", "recorded inputs",
      shcmd_events },
    { "console", NULL, "console [/REGEX/]",
      "console lines with their icount", shcmd_console },
    { "timeline", NULL, "timeline [-o FILE.svg] [--icount]",
      "a picture of the run as SVG", shcmd_timeline },
    /* asking the trace (shell/search.h, shell/diff.h) */
    { "last-write", NULL, "last-write [-p] ADDR [LEN]",
      "the most recent store to those bytes before now: icount, hart, pc, "
      "instruction, or the device of a DMA write", shcmd_last_write },
    { "history", NULL, "history [-p] ADDR [N [LEN]]",
      "the last N writes (10) to ADDR, oldest first", shcmd_history },
    { "diff", NULL, "diff OTHER_TRACE",
      "the first point where this trace and another of the same command "
      "line differ, and what differs there", shcmd_diff },
    { "quit", "q exit", "quit", "leave the shell", shcmd_quit },
};
const size_t shcmd_count = sizeof(shcmd_table) / sizeof(shcmd_table[0]);

/* Does `name` (one or two words) equal argv's first words? */
static int name_matches(const char *name, int argc, char **argv)
{
    const char *sp = strchr(name, ' ');
    if (!sp) {
        /* x/FMT: the format rides on the command word */
        if (strcmp(name, "x") == 0 && strncmp(argv[0], "x/", 2) == 0) {
            return 1;
        }
        return strcmp(name, argv[0]) == 0 ? 1 : 0;
    }
    size_t n = (size_t)(sp - name);
    return argc >= 2 && strlen(argv[0]) == n && strncmp(name, argv[0], n) == 0 &&
           strcmp(sp + 1, argv[1]) == 0 ? 2 : 0;
}

/* Aliases are space separated; a two-word alias is written with the
   words joined by a space too, so compare against each candidate of one
   and two words. */
static int alias_matches(const char *aliases, int argc, char **argv)
{
    if (!aliases) {
        return 0;
    }
    char **w = g_strsplit(aliases, " ", -1);
    int used = 0;
    for (int i = 0; w[i] && !used; i++) {
        if (strcmp(w[i], "info") == 0 && w[i + 1]) {
            char two[64];
            snprintf(two, sizeof(two), "info %s", w[i + 1]);
            used = name_matches(two, argc, argv);
            i++;
        } else {
            used = name_matches(w[i], argc, argv);
        }
    }
    g_strfreev(w);
    return used;
}

const ShCmd *shcmd_find(int argc, char **argv, int *used)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < shcmd_count; i++) {
            const ShCmd *c = &shcmd_table[i];
            /* two-word names before one-word ones */
            bool two = strchr(c->name, ' ') != NULL;
            if (two != (pass == 0)) {
                continue;
            }
            int u = name_matches(c->name, argc, argv);
            if (!u) {
                u = alias_matches(c->aliases, argc, argv);
            }
            if (u) {
                *used = u;
                return c;
            }
        }
    }
    for (size_t i = 0; i < shcmd_count; i++) {
        int u = alias_matches(shcmd_table[i].aliases, argc, argv);
        if (u) {
            *used = u;
            return &shcmd_table[i];
        }
    }
    return NULL;
}

/* Words: blanks separate them; "..." groups; a word starting with '/'
   runs to the next '/' that ends a word (a regex may hold blanks). */
static char **split_words(const char *line, int *argc)
{
    GPtrArray *a = g_ptr_array_new();
    const char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            p++;
        }
        if (!*p) {
            break;
        }
        GString *w = g_string_new("");
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                g_string_append_c(w, *p);
            }
            if (*p) {
                p++;
            }
        } else if (*p == '/' && strchr(p + 1, '/')) {
            const char *q = p + 1;
            const char *end = NULL;
            for (; *q; q++) {
                if (*q == '\\' && q[1]) {
                    q++;
                } else if (*q == '/' && (!q[1] || q[1] == ' ' || q[1] == '\t')) {
                    end = q;
                    break;
                }
            }
            if (!end) {
                end = p + strlen(p) - 1;
            }
            g_string_append_len(w, p, end - p + 1);
            p = end + 1;
        } else {
            while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
                g_string_append_c(w, *p++);
            }
        }
        g_ptr_array_add(a, g_string_free(w, false));
    }
    *argc = (int)a->len;
    g_ptr_array_add(a, NULL);
    return (char **)g_ptr_array_free(a, false);
}

void shell_emit(ShellCtx *ctx, ShOut *out, const char *cmd)
{
    sh_out_emit(out, cmd, ctx->json, ctx->out, ctx->err);
    fflush(ctx->out);
    if (sh_failed(out)) {
        ctx->failures++;
    }
}

int shell_exec(ShellCtx *ctx, const char *line)
{
    int argc;
    char **argv = split_words(line, &argc);
    int rc = 0;
    if (argc == 0) {
        g_strfreev(argv);
        return 0;
    }
    ShOut out;
    sh_out_init(&out);
    int used = 0;
    const ShCmd *c = shcmd_find(argc, argv, &used);
    if (!c) {
        sh_error(&out, "unknown command '%s' (try 'help')", argv[0]);
        shell_emit(ctx, &out, argv[0]);
        sh_out_free(&out);
        g_strfreev(argv);
        return -1;
    }
    /* The function sees its own name as argv[0] (two words joined). */
    char *name = used == 2 ? g_strdup_printf("%s %s", argv[0], argv[1])
                           : g_strdup(argv[0]);
    char **args = argv + used - 1;
    char *saved = args[0];
    args[0] = name;
    ctx->mv.kind = SH_MV_NONE;
    rc = c->fn(ctx, argc - used + 1, args, &out);
    args[0] = saved;
    if (rc != 0 && !sh_failed(&out)) {
        sh_error(&out, "%s failed", c->name);
    }
    if (ctx->want_replay && rc == 0) {
        /* a live session goes back by replaying: the command runs again
           there (shell/shell_session.c) and prints its result then */
        ctx->mv.kind = SH_MV_NONE;
    } else if (ctx->mv.kind == SH_MV_NONE || rc != 0) {
        ctx->mv.kind = SH_MV_NONE;
        shell_emit(ctx, &out, c->name);
    } else {
        /* A motion: its text so far goes first when it ends. */
        sh_out_reset(&ctx->mvout);
        g_string_append(ctx->mvout.text, out.text->str);
        g_string_append(ctx->mvout.json, out.json->str);
        ctx->mvout.need_comma[0] = out.json->len > 0;
        snprintf(ctx->mvcmd, sizeof(ctx->mvcmd), "%s", c->name);
    }
    sh_out_free(&out);
    g_free(name);
    g_strfreev(argv);
    return rc;
}

void sh_motion_start(ShellCtx *ctx, ShMoveKind kind, const char *cmd)
{
    (void)cmd;
    uint64_t left = ctx->mv.left, target = ctx->mv.target;
    uint64_t target_ns = ctx->mv.target_ns;
    ctx->mv = (ShMotion){ .kind = kind, .left = left, .target = target,
                          .target_ns = target_ns, .hart = ctx->hart };
}

/* ---- shared helpers ---- */

bool sh_parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ') {
        return false;
    }
    unsigned long long x = strtoull(s, &end, 0);
    if (*end || errno) {
        return false;
    }
    *v = x;
    return true;
}

bool sh_parse_addr(ShellCtx *ctx, const char *s, gva_t *addr, ShOut *out)
{
    uint64_t v;
    if (s[0] == '*') {
        s++;
    }
    if (sh_parse_u64(s, &v)) {
        *addr = v;
        return true;
    }
    /* SYMBOL[+-N], $REG[+-N] (shell/look.h) */
    char err[256];
    if (sh_look_eval_addr(ctx->m, ctx->hart, ctx->syms, s, &v, err,
                          sizeof(err))) {
        *addr = v;
        return true;
    }
    if (s[0] >= '0' && s[0] <= '9' && !strpbrk(s, "+-")) {
        sh_error(out, "'%s' is not an address (a number: 0x80001000 or "
                 "decimal)", s);
    } else if (s[0] != '$' && !strpbrk(s, "+-")) {
        sh_error(out, "no symbol '%s' (load symbols with 'symbols FILE', or "
                 "give an address)", s);
    } else {
        sh_error(out, "%s", err);
    }
    return false;
}

unsigned sh_fetch_insn(ShellCtx *ctx, unsigned hart, gva_t pc, uint32_t *raw)
{
    const CoreCpuOps *ops = ctx->m->cpu_ops;
    uint8_t b[4] = { 0 };
    void *cpu = ctx->m->cpus[hart];
    if (ops->mem_access(cpu, pc, b, 2, false) != 2) {
        return 0;
    }
    unsigned len = (b[0] & 3) == 3 ? 4 : 2;
    if (len == 4 && ops->mem_access(cpu, pc + 2, b + 2, 2, false) != 2) {
        return 0;
    }
    *raw = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
    return len;
}

void sh_stop_line(ShellCtx *ctx, unsigned hart, ShOut *out)
{
    CoreMachine *m = ctx->m;
    const CoreCpuOps *ops = m->cpu_ops;
    void *cpu = m->cpus[hart];
    gva_t pc = ops->pc(cpu);
    char priv[48];
    ops->describe(cpu, priv, sizeof(priv));
    char *comma = strchr(priv, ',');
    if (comma) {
        *comma = 0;   /* "S-mode, wfi": the mode */
    }
    uint64_t ns = core_clock_ns(m);
    uint32_t raw = 0;
    char insn[RV_DISAS_MAX] = "(unreadable)";
    if (sh_fetch_insn(ctx, hart, pc, &raw)) {
        rv_disas(insn, sizeof(insn), raw, pc);
    }
    char sym[160] = "";
    uint64_t off = 0;
    const char *fn = ctx->syms ? sym_by_addr(ctx->syms, pc, &off) : NULL;
    if (fn) {
        snprintf(sym, sizeof(sym), off ? " <%s+%" PRIu64 ">" : " <%s>", fn, off);
    }
    sh_printf(out, "icount %" PRIu64 "  time %" PRIu64 ".%09" PRIu64 "s  hart "
              "%u  %s  pc 0x%016" PRIx64 "%s  %s\n", m->icount, ns / 1000000000,
              ns % 1000000000, hart, priv, (uint64_t)pc, sym, insn);
    sh_json_u64(out, "icount", m->icount);
    sh_json_u64(out, "time_ns", ns);
    sh_json_u64(out, "hart", hart);
    sh_json_str(out, "priv", priv);
    sh_json_u64(out, "pc", pc);
    sh_json_str(out, "symbol", fn);
    if (fn) {
        sh_json_u64(out, "offset", off);
    }
    sh_json_str(out, "insn", insn);
}

/* ---- the commands about the shell itself ---- */

int shcmd_help(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    (void)ctx;
    if (argc == 1) {
        sh_printf(out, "commands (help CMD for one):\n");
        for (size_t i = 0; i < shcmd_count; i++) {
            sh_printf(out, "  %-40s %s%s%s\n", shcmd_table[i].usage,
                      shcmd_table[i].aliases ? "(also: " : "",
                      shcmd_table[i].aliases ? shcmd_table[i].aliases : "",
                      shcmd_table[i].aliases ? ")" : "");
        }
        return 0;
    }
    int used;
    const ShCmd *c = shcmd_find(argc - 1, argv + 1, &used);
    if (!c) {
        return sh_error(out, "help: unknown command '%s' (try 'help')", argv[1]);
    }
    sh_printf(out, "usage: %s\n  %s\n", c->usage, c->help);
    if (c->aliases) {
        sh_printf(out, "  also spelled: %s\n", c->aliases);
    }
    sh_json_str(out, "usage", c->usage);
    sh_json_str(out, "help", c->help);
    return 0;
}

int shcmd_quit(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    (void)argv;
    (void)out;
    (void)argc;
    ctx->quit = true;
    return 0;
}

int shcmd_where(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    if (argc != 1) {
        return sh_error(out, "usage: %s", argv[0]);
    }
    sh_stop_line(ctx, ctx->hart, out);
    return 0;
}

int shcmd_hash(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    if (argc != 1) {
        return sh_error(out, "usage: %s", argv[0]);
    }
    char hash[17];
    snprintf(hash, sizeof(hash), "%016" PRIx64,
             core_machine_state_hash(ctx->m));
    sh_printf(out, "state hash %s at icount %" PRIu64 "\n", hash,
              ctx->m->icount);
    sh_json_str(out, "state_hash", hash);
    sh_json_u64(out, "icount", ctx->m->icount);
    return 0;
}

/* ---- the looking commands: shell/look.h with the session's state ---- */

int shcmd_regs(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    return sh_look_regs(ctx->m, ctx->hart, ctx->syms, argc, argv, out);
}

int shcmd_x(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    return sh_look_x(ctx->m, ctx->hart, ctx->syms, argc, argv, out);
}

int shcmd_disas(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    return sh_look_disas(ctx->m, ctx->hart, ctx->syms, argc, argv, out);
}

int shcmd_backtrace(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    return sh_look_backtrace(ctx->m, ctx->hart, ctx->syms, argc, argv, out);
}

int shcmd_hart(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    return sh_look_hart(ctx->m, &ctx->hart, ctx->syms, argc, argv, out);
}

int shcmd_devices(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    return sh_look_devices(ctx->m, argc, argv, out);
}

int shcmd_mtree(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    return sh_look_mtree(ctx->m, argc, argv, out);
}

int shcmd_symbols(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    return sh_look_symbols(&ctx->syms, argc, argv, out);
}

/* ---- the index commands: shell/dindex.h on the session's trace ---- */

int shcmd_traps(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    return sh_dix_traps(ctx->dir, argc, argv, out);
}

int shcmd_syscalls(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    return sh_dix_syscalls(ctx->dir, argc, argv, out);
}

int shcmd_sql(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    return sh_dix_sql(ctx->dir, argc, argv, out);
}

int shcmd_events(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    return sh_dix_events(ctx->dir, argc, argv, out);
}

int shcmd_console(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    return sh_dix_console(ctx->dir, argc, argv, out);
}

int shcmd_timeline(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    return sh_dix_timeline(ctx->dir, argc, argv, out);
}

/* ---- asking the trace: shell/search.h and shell/diff.h ---- */

static bool resolve_symbol(void *opaque, const char *name, uint64_t *addr)
{
    ShellCtx *ctx = opaque;
    return ctx->syms && sym_by_name(ctx->syms, name, addr);
}

/* last-write and history replay the trace: a live session switches to
   replaying its recording first (as going back does). */
static bool searchable(ShellCtx *ctx, int argc, char **argv)
{
    if (ctx->replay) {
        return true;
    }
    ctx->want_replay = true;
    GString *s = g_string_new("");
    for (int i = 0; i < argc; i++) {
        g_string_append_printf(s, "%s%s", i ? " " : "", argv[i]);
    }
    snprintf(ctx->replay_cmd, sizeof(ctx->replay_cmd), "%s", s->str);
    g_string_free(s, true);
    return false;
}

int shcmd_last_write(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    if (!searchable(ctx, argc, argv)) {
        return 0;
    }
    return sh_search_last_write(ctx->rr, ctx->m, ctx->hart, resolve_symbol,
                                ctx, argc, argv, out);
}

int shcmd_history(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    if (!searchable(ctx, argc, argv)) {
        return 0;
    }
    return sh_search_history(ctx->rr, ctx->m, ctx->hart, resolve_symbol, ctx,
                             argc, argv, out);
}

/* diff's bisection on the progress bar (stderr; nothing unless it is a
   terminal). The bar starts at the first report, when the total is known. */
static void diff_progress(void *opaque, uint64_t done, uint64_t total)
{
    ShProgress **bar = opaque;
    if (!*bar) {
        *bar = sh_progress_new(stderr, "diff", total);
    }
    sh_progress_update(*bar, done);
}

int shcmd_diff(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    ShProgress *bar = NULL;
    int rc = sh_diff(ctx->dir, argc, argv, out, diff_progress, &bar);
    sh_progress_done(bar);
    return rc;
}
