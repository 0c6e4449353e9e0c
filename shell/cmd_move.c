/*
 * The shell's moving commands: stepi, nexti, continue, their reverse
 * forms and goto (an icount, +N/-N, start/end, a guest time, a console
 * line, an event, a bookmark). Each only sets up a motion; sh_motion_next
 * turns the machine's stops into the next run-loop command until the
 * motion is over, so that everything moves through the run loop and the
 * replay timeline the GDB stub uses too (core/run.c, replay/timeline.c).
 */
#include "shell/shcmd.h"
#include "shell/index_db.h"
#include "shell/dindex.h"
#include "core/clock.h"
#include "core/target.h"

#include <glib.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- instruction shapes nexti needs ---- */

/* A call: jal/jalr writing ra, or c.jalr. */
static bool is_call(uint32_t raw, unsigned len)
{
    if (len == 4) {
        unsigned op = raw & 0x7f, rd = (raw >> 7) & 31;
        return (op == 0x6f || (op == 0x67 && ((raw >> 12) & 7) == 0)) && rd == 1;
    }
    /* c.jalr: funct4 1001, rs1 != 0, rs2 == 0, op 10 */
    uint16_t c = (uint16_t)raw;
    return (c >> 12) == 0x9 && ((c >> 7) & 31) != 0 && ((c >> 2) & 31) == 0 &&
           (c & 3) == 2;
}

/* A return: jalr x0, 0(ra), or c.jr ra. */
static bool is_return(uint32_t raw, unsigned len)
{
    if (len == 4) {
        return raw == 0x00008067;
    }
    return (uint16_t)raw == 0x8082;
}

/* A trap handler's return: mret or sret. */
static bool is_trap_return(uint32_t raw, unsigned len)
{
    return len == 4 && (raw == 0x30200073 || raw == 0x10200073);
}

/* Registers in the target's gdb numbering (tcg/riscv/gdb.c). */
#define REG_RA 1
#define REG_SP 2
#define REG_PRIV (65 + 4096)

static uint64_t reg(ShellCtx *ctx, unsigned hart, unsigned n)
{
    uint64_t v = 0;
    unsigned size;
    if (!ctx->m->cpu_ops->gdb_reg_read(ctx->m->cpus[hart], n, &v, &size)) {
        return 0;
    }
    return v;
}

/* The hart is in the frame the motion started in: same stack pointer and
   privilege (a call leaves sp as it was, and a recursive call of the same
   function from a deeper frame has another sp). */
static bool same_frame(ShellCtx *ctx, unsigned hart)
{
    return hart == ctx->mv.hart && reg(ctx, hart, REG_SP) == ctx->mv.from_sp &&
           reg(ctx, hart, REG_PRIV) == ctx->mv.from_priv;
}

/* reverse-nexti's phases (ShMotion.rn_phase). */
enum {
    RN_STEP,      /* stepping back one instruction of the hart */
    RN_CALL,      /* going back to the call that returned to from_pc */
    RN_TRAP,      /* going to a trap whose handler returned to from_pc */
    RN_FALLBACK,  /* no trap found: back to the handler's return */
};
#define RN_TRAP_TRIES 8

/* ---- starting a motion ---- */

static bool replaying(ShellCtx *ctx)
{
    return ctx->replay;
}

/* A reverse command in a live session: switch to replaying the recording
   made so far (shell/shell_session.c) and run the command again there. */
static int need_replay(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    if (ctx->live) {
        ctx->want_replay = true;
        GString *s = g_string_new("");
        for (int i = 0; i < argc; i++) {
            g_string_append_printf(s, "%s%s", i ? " " : "", argv[i]);
        }
        snprintf(ctx->replay_cmd, sizeof(ctx->replay_cmd), "%s", s->str);
        g_string_free(s, true);
        return 0;
    }
    return sh_error(out, "%s: going back needs a recorded trace", argv[0]);
}

/* Optional count argument. */
static bool parse_count(int argc, char **argv, uint64_t *n, ShOut *out)
{
    *n = 1;
    if (argc > 2) {
        sh_error(out, "usage: %s [N]", argv[0]);
        return false;
    }
    if (argc == 2 && (!sh_parse_u64(argv[1], n) || *n == 0)) {
        sh_error(out, "%s: '%s' is not a count (a positive number)", argv[0],
                 argv[1]);
        return false;
    }
    return true;
}

int shcmd_stepi(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    uint64_t n;
    if (!parse_count(argc, argv, &n, out)) {
        return -1;
    }
    ctx->mv.left = n;
    sh_motion_start(ctx, SH_MV_STEP, argv[0]);
    return 0;
}

int shcmd_nexti(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    if (argc != 1) {
        return sh_error(out, "usage: nexti");
    }
    sh_motion_start(ctx, SH_MV_NEXT, argv[0]);
    return 0;
}

int shcmd_continue(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    if (argc != 1) {
        return sh_error(out, "usage: continue");
    }
    sh_motion_start(ctx, SH_MV_CONT, argv[0]);
    return 0;
}

int shcmd_rstepi(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    uint64_t n;
    if (!parse_count(argc, argv, &n, out)) {
        return -1;
    }
    if (!replaying(ctx)) {
        return need_replay(ctx, argc, argv, out);
    }
    ctx->mv.left = n;
    sh_motion_start(ctx, SH_MV_RSTEP, argv[0]);
    return 0;
}

int shcmd_rnexti(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    if (argc != 1) {
        return sh_error(out, "usage: reverse-nexti");
    }
    if (!replaying(ctx)) {
        return need_replay(ctx, argc, argv, out);
    }
    sh_motion_start(ctx, SH_MV_RNEXT, argv[0]);
    return 0;
}

int shcmd_rcontinue(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    if (argc != 1) {
        return sh_error(out, "usage: reverse-continue");
    }
    if (!replaying(ctx)) {
        return need_replay(ctx, argc, argv, out);
    }
    sh_motion_start(ctx, SH_MV_RCONT, argv[0]);
    return 0;
}

/* ---- goto ---- */

/* "1.25s", "300ms", "20us", "5000ns", or a bare number of seconds. */
static bool parse_time(const char *s, uint64_t *ns)
{
    char *end;
    double v = g_ascii_strtod(s, &end);
    if (end == s || v < 0) {
        return false;
    }
    double scale = 1e9;
    if (strcmp(end, "ms") == 0) {
        scale = 1e6;
    } else if (strcmp(end, "us") == 0) {
        scale = 1e3;
    } else if (strcmp(end, "ns") == 0) {
        scale = 1;
    } else if (*end && strcmp(end, "s") != 0) {
        return false;
    }
    double r = v * scale + 0.5;
    if (r >= 1.8e19) {
        return false;
    }
    *ns = (uint64_t)r;
    return true;
}

/* Replaying: the first icount whose stop shows a guest clock of at least
   ns (replay/timeline.c: from the last checkpoint before that time, then
   replaying forward). The machine is left there, so the goto that
   follows does not move it: it keeps the clock it reached (a seek by
   icount gives the same). */
static int time_to_icount(ShellCtx *ctx, uint64_t ns, uint64_t *icount,
                          ShOut *out)
{
    char err[512];
    if (rr_seek_time(ctx->rr, ns, err, sizeof(err)) != 0) {
        return sh_error(out, "goto time: %s", err);
    }
    *icount = ctx->m->icount;
    return 0;
}

static int bookmark_icount(ShellCtx *ctx, const char *name, uint64_t *icount,
                           ShOut *out)
{
    char err[512];
    int rc = sh_index_bookmark_get(ctx->dir, name, icount, err, sizeof(err));
    if (rc < 0) {
        return sh_error(out, "goto %s: %s", name, err);
    }
    if (rc == 0) {
        return sh_error(out, "goto: '%s' is not an icount, a keyword (start, "
                        "end, time, console, event, trap) or a bookmark (see "
                        "'bookmarks')", name);
    }
    return 0;
}

int shcmd_goto(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    CoreMachine *m = ctx->m;
    const char *usage = "usage: goto ICOUNT|+N|-N|start|end|NAME, goto time "
                        "T[s|ms|us|ns], goto console /REGEX/ [N], goto event N, "
                        "goto trap N";
    if (argc < 2) {
        return sh_error(out, "%s", usage);
    }
    const char *a = argv[1];
    uint64_t target, n;
    char err[512];
    if (strcmp(a, "start") == 0 && argc == 2) {
        target = 0;
    } else if (strcmp(a, "end") == 0 && argc == 2) {
        if (!ctx->replay) {
            return sh_error(out, "goto end: a live run has no end yet");
        }
        target = ctx->trace_end;
    } else if ((a[0] == '+' || a[0] == '-') && argc == 2) {
        if (!sh_parse_u64(a + 1, &n)) {
            return sh_error(out, "goto: '%s' is not a relative count (+N or "
                            "-N)", a);
        }
        if (a[0] == '-' && n > m->icount) {
            return sh_error(out, "goto %s: before the start of the trace (now "
                            "at icount %" PRIu64 ")", a, m->icount);
        }
        target = a[0] == '+' ? m->icount + n : m->icount - n;
    } else if (strcmp(a, "time") == 0) {
        uint64_t ns;
        if (argc != 3 || !parse_time(argv[2], &ns)) {
            return sh_error(out, "usage: goto time T[s|ms|us|ns] (guest time, "
                            "e.g. 1.25s)");
        }
        if (!ctx->replay) {
            /* Live: forwards through the run loop, as goto ICOUNT; an
               earlier time goes back, in the recording made so far. */
            if (core_clock_ns(m) >= ns) {
                return need_replay(ctx, argc, argv, out);
            }
            ctx->mv.target_ns = ns;
            sh_motion_start(ctx, SH_MV_GOTO_TIME, argv[0]);
            return 0;
        }
        if (time_to_icount(ctx, ns, &target, out) != 0) {
            return -1;
        }
    } else if (strcmp(a, "console") == 0) {
        uint64_t nth = 1;
        size_t len = argc >= 3 ? strlen(argv[2]) : 0;
        if (argc < 3 || argc > 4 || len < 2 || argv[2][0] != '/' ||
            argv[2][len - 1] != '/' ||
            (argc == 4 && (!sh_parse_u64(argv[3], &nth) || nth == 0))) {
            return sh_error(out, "usage: goto console /REGEX/ [N] (the Nth "
                            "matching console line, 1 by default)");
        }
        char *re = g_strndup(argv[2] + 1, len - 2);
        char line[256] = "";
        int rc = sh_index_console_find(ctx->dir, re, nth, &target, line,
                                       sizeof(line), err, sizeof(err));
        g_free(re);
        if (rc < 0) {
            return sh_error(out, "goto console: %s", err);
        }
        if (rc == 0) {
            return sh_error(out, "goto console: no console line matches %s%s",
                            argv[2], nth > 1 ? " that many times" : "");
        }
        /* A line's icount is that of the CONSOLE event that ended it:
           the count when the store of its last byte ran, i.e. the point
           where that store is the next instruction. */
        sh_printf(out, "console: %s\n", line);
        sh_json_str(out, "line", line);
    } else if (strcmp(a, "trap") == 0) {
        if (argc != 3 || !sh_parse_u64(argv[2], &n)) {
            return sh_error(out, "usage: goto trap N (traps.id: see 'traps')");
        }
        if (sh_dix_trap_icount(ctx->dir, n, &target, out) != 0) {
            return -1;
        }
    } else if (strcmp(a, "event") == 0) {
        if (argc != 3 || !sh_parse_u64(argv[2], &n)) {
            return sh_error(out, "usage: goto event N (events.id in the index)");
        }
        int rc = sh_index_event_icount(ctx->dir, n, &target, err, sizeof(err));
        if (rc < 0) {
            return sh_error(out, "goto event: %s", err);
        }
        if (rc == 0) {
            return sh_error(out, "goto event: the trace has no event %" PRIu64,
                            n);
        }
    } else if (argc == 2 && sh_parse_u64(a, &n)) {
        target = n;
    } else if (argc == 2) {
        if (bookmark_icount(ctx, a, &target, out) != 0) {
            return -1;
        }
    } else {
        return sh_error(out, "%s", usage);
    }
    if (ctx->replay && target > ctx->trace_end) {
        return sh_error(out, "goto: icount %" PRIu64 " is past the end of the "
                        "trace (icount %" PRIu64 ")", target, ctx->trace_end);
    }
    if (!ctx->replay && target < m->icount) {
        return need_replay(ctx, argc, argv, out);
    }
    ctx->mv.target = target;
    sh_motion_start(ctx, SH_MV_GOTO, argv[0]);
    return 0;
}

/* ---- bookmarks ---- */

int shcmd_bookmark(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    if (argc < 2) {
        return sh_error(out, "usage: bookmark NAME [NOTE...]");
    }
    const char *name = argv[1];
    uint64_t dummy;
    if (sh_parse_u64(name, &dummy) || name[0] == '+' || name[0] == '-' ||
        !strcmp(name, "start") || !strcmp(name, "end") ||
        !strcmp(name, "time") || !strcmp(name, "console") ||
        !strcmp(name, "event") || !strcmp(name, "trap")) {
        return sh_error(out, "bookmark: '%s' would read as a goto argument; "
                        "choose another name", name);
    }
    char *note = argc > 2 ? g_strjoinv(" ", argv + 2) : g_strdup("");
    char err[512];
    int rc = sh_index_bookmark_set(ctx->dir, name, ctx->m->icount, note, err,
                                   sizeof(err));
    g_free(note);
    if (rc != 0) {
        return sh_error(out, "bookmark %s: %s", name, err);
    }
    sh_printf(out, "bookmark %s at icount %" PRIu64 "\n", name, ctx->m->icount);
    sh_json_str(out, "name", name);
    sh_json_u64(out, "icount", ctx->m->icount);
    return 0;
}

int shcmd_bookmarks(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    (void)argv;
    if (argc != 1) {
        return sh_error(out, "usage: bookmarks");
    }
    char err[512];
    if (sh_index_bookmark_list(ctx->dir, out, err, sizeof(err)) != 0) {
        return sh_error(out, "bookmarks: %s", err);
    }
    return 0;
}

/* ---- the motion, stop by stop ---- */

static void temp_bp_set(ShellCtx *ctx, gva_t pc)
{
    for (unsigned i = 0; i < ctx->nbp; i++) {
        if (ctx->bp[i].addr == pc) {
            ctx->mv.temp_bp = pc;     /* a user's one serves */
            ctx->mv.have_temp_bp = false;
            return;
        }
    }
    ctx->mv.temp_bp = pc;
    ctx->mv.have_temp_bp = core_debug_breakpoint(ctx->m, pc, true);
}

static void temp_bp_clear(ShellCtx *ctx)
{
    if (ctx->mv.have_temp_bp) {
        core_debug_breakpoint(ctx->m, ctx->mv.temp_bp, false);
        ctx->mv.have_temp_bp = false;
    }
}

static bool reverse_kind(ShMoveKind k)
{
    return k == SH_MV_RSTEP || k == SH_MV_RNEXT || k == SH_MV_RCONT;
}

/* The user breakpoint at pc whose condition holds for hart, or NULL. */
static const ShBreak *break_for(ShellCtx *ctx, gva_t pc, unsigned hart)
{
    for (unsigned i = 0; i < ctx->nbp; i++) {
        if (ctx->bp[i].addr == pc &&
            (ctx->bp[i].hart < 0 || (unsigned)ctx->bp[i].hart == hart)) {
            return &ctx->bp[i];
        }
    }
    return NULL;
}

static const ShWatch *watch_for(ShellCtx *ctx, gva_t addr)
{
    for (unsigned i = 0; i < ctx->nwp; i++) {
        if (addr >= ctx->wp[i].addr && addr < ctx->wp[i].addr + ctx->wp[i].len) {
            return &ctx->wp[i];
        }
    }
    return NULL;
}

static void report_watch(ShellCtx *ctx, const CoreStop *st, bool before)
{
    const ShWatch *w = watch_for(ctx, st->watch_addr);
    static const char *const kinds[] = { "?", "write", "read", "access" };
    unsigned k = st->watch_kind <= 3 ? st->watch_kind : 0;
    sh_printf(&ctx->mvout, "watchpoint %u: %s at 0x%" PRIx64 " by hart %u (%s "
              "the access)\n", w ? w->id : 0, kinds[k], (uint64_t)st->watch_addr,
              st->hart, before ? "on the instruction, before" : "just after");
    sh_json_str(&ctx->mvout, "reason", "watchpoint");
    sh_json_u64(&ctx->mvout, "watchpoint", w ? w->id : 0);
    sh_json_u64(&ctx->mvout, "watch_addr", st->watch_addr);
    sh_json_str(&ctx->mvout, "access", kinds[k]);
}

/* The motion is over: say why and where. */
static void finish(ShellCtx *ctx, const char *reason, unsigned hart)
{
    temp_bp_clear(ctx);
    ctx->hart = hart < ctx->m->ncpus ? hart : ctx->hart;
    if (reason) {
        sh_json_str(&ctx->mvout, "reason", reason);
    }
    sh_stop_line(ctx, ctx->hart, &ctx->mvout);
    ctx->mv.kind = SH_MV_NONE;
}

static void fail(ShellCtx *ctx, const char *msg)
{
    temp_bp_clear(ctx);
    sh_error(&ctx->mvout, "%s", msg);
    ctx->mv.kind = SH_MV_NONE;
}

/* Keep going in the motion's direction after a stop that does not end it. */
static bool go_on(ShellCtx *ctx, CoreRunCmd *cmd)
{
    *cmd = (CoreRunCmd){ .kind = reverse_kind(ctx->mv.kind)
                                 ? CORE_CMD_REVERSE_CONTINUE : CORE_CMD_CONTINUE,
                         .hart = ctx->mv.hart };
    if (ctx->mv.kind == SH_MV_STEP || ctx->mv.kind == SH_MV_RSTEP) {
        cmd->kind = ctx->mv.kind == SH_MV_STEP ? CORE_CMD_STEP
                                               : CORE_CMD_REVERSE_STEP;
    }
    return true;
}

static bool first_cmd(ShellCtx *ctx, CoreRunCmd *cmd)
{
    ShMotion *mv = &ctx->mv;
    const CoreCpuOps *ops = ctx->m->cpu_ops;
    *cmd = (CoreRunCmd){ .hart = mv->hart };
    switch (mv->kind) {
    case SH_MV_STEP:
        cmd->kind = CORE_CMD_STEP;
        return true;
    case SH_MV_RSTEP:
    case SH_MV_RNEXT:
        mv->from_pc = ops->pc(ctx->m->cpus[mv->hart]);
        mv->from_sp = reg(ctx, mv->hart, REG_SP);
        mv->from_priv = reg(ctx, mv->hart, REG_PRIV);
        mv->rn_phase = RN_STEP;
        cmd->kind = CORE_CMD_REVERSE_STEP;
        return true;
    case SH_MV_NEXT: {
        uint32_t raw;
        gva_t pc = ops->pc(ctx->m->cpus[mv->hart]);
        mv->from_sp = reg(ctx, mv->hart, REG_SP);
        mv->from_priv = reg(ctx, mv->hart, REG_PRIV);
        unsigned len = sh_fetch_insn(ctx, mv->hart, pc, &raw);
        if (len && is_call(raw, len)) {
            temp_bp_set(ctx, pc + len);
            cmd->kind = CORE_CMD_CONTINUE;
        } else {
            cmd->kind = CORE_CMD_STEP;
        }
        return true;
    }
    case SH_MV_CONT:
        cmd->kind = CORE_CMD_CONTINUE;
        return true;
    case SH_MV_RCONT:
        cmd->kind = CORE_CMD_REVERSE_CONTINUE;
        return true;
    case SH_MV_GOTO:
        cmd->kind = CORE_CMD_GOTO;
        cmd->icount = mv->target;
        return true;
    case SH_MV_GOTO_TIME:
        cmd->kind = CORE_CMD_GOTO_TIME;
        cmd->ns = mv->target_ns;
        return true;
    default:
        return false;
    }
}

/* ---- reverse-nexti ---- */

/* Go to the next candidate trap (RN_TRAP): the latest trap the hart took
   from the frame's privilege at from_pc (an interrupt, or a fault retried)
   or just before it (an ecall or ebreak the handler stepped over), before
   the handler's return at rn_ret. None (or no derived-event index): back
   to the handler's return, as reverse-stepi, saying why. */
static bool rnext_try_trap(ShellCtx *ctx, CoreRunCmd *cmd)
{
    ShMotion *mv = &ctx->mv;
    uint64_t pcs[3] = { mv->from_pc, mv->from_pc - 4, mv->from_pc - 2 };
    ShDixTrap t;
    ShOut scratch;
    sh_out_init(&scratch);
    int rc = mv->rn_try < RN_TRAP_TRIES
             ? sh_dix_trap_back(ctx->dir, mv->hart, mv->rn_ret,
                                (unsigned)mv->from_priv, pcs, 3, mv->rn_try,
                                &t, &scratch)
             : 0;
    sh_out_free(&scratch);
    mv->rn_try++;
    if (rc == 1) {
        mv->rn_phase = RN_TRAP;
        mv->rn_trap_id = t.id;
        *cmd = (CoreRunCmd){ .kind = CORE_CMD_GOTO, .icount = t.icount,
                             .hart = mv->hart };
        return true;
    }
    sh_printf(&ctx->mvout, "reverse-nexti: %s; stopped on the trap handler's "
              "return\n", rc < 0 ? "no derived-event index to find the trap "
              "it returns from (rewind trace index)"
              : "the trap it returns from is not in this frame's history");
    mv->rn_phase = RN_FALLBACK;
    *cmd = (CoreRunCmd){ .kind = CORE_CMD_GOTO, .icount = mv->rn_ret,
                         .hart = mv->hart };
    return true;
}

/* Stepped back one instruction of the hart: if it was a return to
   from_pc, go on back to the call in this frame; if it was a trap
   handler's return, to where that trap was taken. */
static bool rnext_stepped(ShellCtx *ctx, unsigned hart, CoreRunCmd *cmd)
{
    ShMotion *mv = &ctx->mv;
    uint32_t raw, craw;
    gva_t pc = ctx->m->cpu_ops->pc(ctx->m->cpus[hart]);
    unsigned len = sh_fetch_insn(ctx, hart, pc, &raw);
    if (len && is_return(raw, len) && reg(ctx, hart, REG_RA) == mv->from_pc) {
        for (unsigned cl = 4; cl >= 2; cl -= 2) {
            gva_t c = mv->from_pc - cl;
            if (sh_fetch_insn(ctx, hart, c, &craw) == cl && is_call(craw, cl)) {
                mv->rn_phase = RN_CALL;
                temp_bp_set(ctx, c);
                *cmd = (CoreRunCmd){ .kind = CORE_CMD_REVERSE_CONTINUE,
                                     .hart = hart };
                return true;
            }
        }
    }
    if (len && is_trap_return(raw, len)) {
        mv->rn_ret = ctx->m->icount;
        mv->rn_try = 0;
        return rnext_try_trap(ctx, cmd);
    }
    finish(ctx, "step", hart);
    return false;
}

/* At a candidate trap (RN_TRAP) or back at the handler's return
   (RN_FALLBACK). */
static bool rnext_at_trap(ShellCtx *ctx, CoreRunCmd *cmd)
{
    ShMotion *mv = &ctx->mv;
    if (mv->rn_phase == RN_TRAP && !same_frame(ctx, mv->hart)) {
        return rnext_try_trap(ctx, cmd);   /* another frame's trap */
    }
    if (mv->rn_phase == RN_TRAP) {
        sh_printf(&ctx->mvout, "back over trap #%" PRIu64 " and its handler: "
                  "where it was taken\n", mv->rn_trap_id);
        sh_json_u64(&ctx->mvout, "trap", mv->rn_trap_id);
    }
    finish(ctx, "step", mv->hart);
    return false;
}

bool sh_motion_next(ShellCtx *ctx, const CoreStop *why, CoreRunCmd *cmd)
{
    ShMotion *mv = &ctx->mv;
    if (mv->kind == SH_MV_NONE) {
        return false;
    }
    if (!why) {
        return first_cmd(ctx, cmd);
    }
    const CoreCpuOps *ops = ctx->m->cpu_ops;
    if (why->cmd_failed) {
        fail(ctx, why->fail_msg ? why->fail_msg
             : reverse_kind(mv->kind) ? "going back needs a recorded trace"
             : "cannot go back to an earlier icount in a live run");
        return false;
    }
    if (mv->landing) {
        /* Stepped back onto the access a reverse watchpoint found. */
        mv->landing = false;
        report_watch(ctx, &mv->hit, true);
        finish(ctx, NULL, mv->hit.hart);
        return false;
    }
    switch (why->reason) {
    case CORE_STOP_EXITED:
        /* A live guest ended (a replay's end is REPLAY_END): not a
           failure; the session goes on replaying the recording. */
        sh_printf(&ctx->mvout, "the machine exited (status %d)\n",
                  why->exit_code);
        sh_json_i64(&ctx->mvout, "exit_code", why->exit_code);
        finish(ctx, "exited", why->hart);
        return false;
    case CORE_STOP_BREAKPOINT: {
        gva_t pc = ops->pc(ctx->m->cpus[why->hart]);
        if (mv->temp_bp && pc == mv->temp_bp && why->hart == mv->hart) {
            /* nexti's return point, reverse-nexti's call: in the frame
               the motion started in, not a deeper recursive call's. */
            if (same_frame(ctx, why->hart)) {
                finish(ctx, "step", why->hart);
                return false;
            }
            if (!break_for(ctx, pc, why->hart)) {
                return go_on(ctx, cmd);
            }
        }
        const ShBreak *b = break_for(ctx, pc, why->hart);
        if (!b) {
            return go_on(ctx, cmd);   /* its condition does not hold */
        }
        sh_printf(&ctx->mvout, "breakpoint %u, hart %u\n", b->id, why->hart);
        sh_json_u64(&ctx->mvout, "breakpoint", b->id);
        finish(ctx, "breakpoint", why->hart);
        return false;
    }
    case CORE_STOP_WATCHPOINT:
        if (reverse_kind(mv->kind)) {
            /* Found just after the access: step back onto it, where memory
               still holds the value from before (as gdb lands). */
            mv->landing = true;
            mv->hit = *why;
            *cmd = (CoreRunCmd){ .kind = CORE_CMD_REVERSE_STEP,
                                 .hart = why->hart };
            return true;
        }
        report_watch(ctx, why, false);
        finish(ctx, NULL, why->hart);
        return false;
    case CORE_STOP_STEP:
        if ((mv->kind == SH_MV_STEP || mv->kind == SH_MV_RSTEP) &&
            --mv->left > 0) {
            return go_on(ctx, cmd);
        }
        if (mv->kind == SH_MV_RNEXT && mv->rn_phase == RN_STEP) {
            return rnext_stepped(ctx, why->hart, cmd);
        }
        finish(ctx, "step", why->hart);
        return false;
    case CORE_STOP_REPLAY_BEGIN:
        sh_printf(&ctx->mvout, "start of the trace\n");
        finish(ctx, "start", why->hart);
        return false;
    case CORE_STOP_REPLAY_END:
        sh_printf(&ctx->mvout, "end of the trace\n");
        finish(ctx, "end", why->hart);
        return false;
    case CORE_STOP_INTERRUPT:
        sh_printf(&ctx->mvout, "interrupted\n");
        finish(ctx, "interrupted", why->hart);
        return false;
    case CORE_STOP_ICOUNT:
        if (mv->kind == SH_MV_RNEXT) {
            return rnext_at_trap(ctx, cmd);
        }
        finish(ctx, "goto", mv->kind == SH_MV_GOTO || mv->kind ==
               SH_MV_GOTO_TIME ? ctx->hart : why->hart);
        return false;
    default:
        finish(ctx, "stopped", why->hart);
        return false;
    }
}
