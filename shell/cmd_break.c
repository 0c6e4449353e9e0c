/*
 * The shell's stopping commands: break ADDR|SYMBOL [if hart==N],
 * watch ADDR [LEN] [r|w|rw], delete [ID], info breakpoints. The points
 * themselves live in the core (core/debug.h: they never touch guest
 * memory, and reverse-continue finds them too); the shell keeps their
 * numbers and conditions (a hart condition is checked when the machine
 * stops there: shell/cmd_move.c goes on if it does not hold).
 */
#include "shell/shcmd.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int shcmd_break(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    int hart = -1;
    if (argc == 3 || argc > 4 || argc < 2 ||
        (argc == 4 && strcmp(argv[2], "if") != 0)) {
        return sh_error(out, "usage: break ADDR|SYMBOL [if hart==N]");
    }
    if (argc == 4) {
        uint64_t h;
        const char *c = argv[3];
        if (strncmp(c, "hart==", 6) != 0 || !sh_parse_u64(c + 6, &h)) {
            return sh_error(out, "break: condition '%s' not understood (only "
                            "hart==N)", c);
        }
        if (h >= ctx->m->ncpus) {
            return sh_error(out, "break: no hart %" PRIu64 " (the machine has "
                            "%u)", h, ctx->m->ncpus);
        }
        hart = (int)h;
    }
    gva_t addr;
    if (!sh_parse_addr(ctx, argv[1], &addr, out)) {
        return -1;
    }
    if (ctx->nbp == SH_MAX_BREAK) {
        return sh_error(out, "break: all %d breakpoints are in use (delete "
                        "one)", SH_MAX_BREAK);
    }
    bool shared = false;
    for (unsigned i = 0; i < ctx->nbp; i++) {
        shared |= ctx->bp[i].addr == addr;
    }
    if (!shared && !core_debug_breakpoint(ctx->m, addr, true)) {
        return sh_error(out, "break: the machine's breakpoint table is full");
    }
    ShBreak *b = &ctx->bp[ctx->nbp++];
    *b = (ShBreak){ .id = ++ctx->next_id, .addr = addr, .hart = hart };
    snprintf(b->where, sizeof(b->where), "%s", argv[1]);
    sh_printf(out, "breakpoint %u at 0x%" PRIx64, b->id, (uint64_t)addr);
    if (hart >= 0) {
        sh_printf(out, " if hart==%d", hart);
    }
    sh_printf(out, "\n");
    sh_json_u64(out, "id", b->id);
    sh_json_u64(out, "addr", addr);
    return 0;
}

static bool parse_kind(const char *s, CoreWatchKind *k)
{
    if (strcmp(s, "w") == 0) {
        *k = CORE_WATCH_WRITE;
    } else if (strcmp(s, "r") == 0) {
        *k = CORE_WATCH_READ;
    } else if (strcmp(s, "rw") == 0) {
        *k = CORE_WATCH_ACCESS;
    } else {
        return false;
    }
    return true;
}

static const char *kind_name(CoreWatchKind k)
{
    return k == CORE_WATCH_WRITE ? "w" : k == CORE_WATCH_READ ? "r" : "rw";
}

int shcmd_watch(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    const char *usage = "usage: watch ADDR|SYMBOL [LEN] [r|w|rw] (8 bytes, "
                        "writes by default)";
    if (argc < 2 || argc > 4) {
        return sh_error(out, "%s", usage);
    }
    uint64_t len = 8;
    CoreWatchKind kind = CORE_WATCH_WRITE;
    for (int i = 2; i < argc; i++) {
        if (parse_kind(argv[i], &kind)) {
            continue;
        }
        if (i != 2 || !sh_parse_u64(argv[i], &len) || len == 0 || len > 4096) {
            return sh_error(out, "watch: '%s' is neither a length (1..4096) nor "
                            "r, w or rw", argv[i]);
        }
    }
    gva_t addr;
    if (!sh_parse_addr(ctx, argv[1], &addr, out)) {
        return -1;
    }
    if (ctx->nwp == SH_MAX_WATCH ||
        !core_debug_watchpoint(ctx->m, addr, len, kind, true)) {
        return sh_error(out, "watch: all %d watchpoints are in use (delete "
                        "one)", SH_MAX_WATCH);
    }
    ShWatch *w = &ctx->wp[ctx->nwp++];
    *w = (ShWatch){ .id = ++ctx->next_id, .addr = addr, .len = len,
                    .kind = kind };
    sh_printf(out, "watchpoint %u: %" PRIu64 " bytes at 0x%" PRIx64 " (%s)\n",
              w->id, len, (uint64_t)addr, kind_name(kind));
    sh_json_u64(out, "id", w->id);
    sh_json_u64(out, "addr", addr);
    sh_json_u64(out, "len", len);
    sh_json_str(out, "kind", kind_name(kind));
    return 0;
}

static void drop_break(ShellCtx *ctx, unsigned i)
{
    gva_t addr = ctx->bp[i].addr;
    ctx->bp[i] = ctx->bp[--ctx->nbp];
    for (unsigned j = 0; j < ctx->nbp; j++) {
        if (ctx->bp[j].addr == addr) {
            return;   /* another one keeps the core's breakpoint */
        }
    }
    core_debug_breakpoint(ctx->m, addr, false);
}

static void drop_watch(ShellCtx *ctx, unsigned i)
{
    ShWatch *w = &ctx->wp[i];
    core_debug_watchpoint(ctx->m, w->addr, w->len, w->kind, false);
    ctx->wp[i] = ctx->wp[--ctx->nwp];
}

int shcmd_delete(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    if (argc == 1) {
        unsigned n = ctx->nbp + ctx->nwp;
        while (ctx->nbp) {
            drop_break(ctx, 0);
        }
        while (ctx->nwp) {
            drop_watch(ctx, 0);
        }
        sh_printf(out, "deleted %u breakpoints and watchpoints\n", n);
        sh_json_u64(out, "deleted", n);
        return 0;
    }
    for (int a = 1; a < argc; a++) {
        uint64_t id;
        if (!sh_parse_u64(argv[a], &id)) {
            return sh_error(out, "delete: '%s' is not a breakpoint number",
                            argv[a]);
        }
        bool found = false;
        for (unsigned i = 0; i < ctx->nbp && !found; i++) {
            if (ctx->bp[i].id == id) {
                drop_break(ctx, i);
                found = true;
            }
        }
        for (unsigned i = 0; i < ctx->nwp && !found; i++) {
            if (ctx->wp[i].id == id) {
                drop_watch(ctx, i);
                found = true;
            }
        }
        if (!found) {
            return sh_error(out, "delete: no breakpoint or watchpoint %" PRIu64
                            " (info breakpoints lists them)", id);
        }
        sh_printf(out, "deleted %" PRIu64 "\n", id);
    }
    return 0;
}

int shcmd_info_break(ShellCtx *ctx, int argc, char **argv, ShOut *out)
{
    (void)argv;
    if (argc != 1) {
        return sh_error(out, "usage: info breakpoints");
    }
    if (ctx->nbp + ctx->nwp == 0) {
        sh_printf(out, "no breakpoints or watchpoints\n");
    }
    sh_json_begin_array(out, "points");
    /* In the order they were made. */
    for (unsigned id = 1; id <= ctx->next_id; id++) {
        for (unsigned i = 0; i < ctx->nbp; i++) {
            const ShBreak *b = &ctx->bp[i];
            if (b->id != id) {
                continue;
            }
            sh_printf(out, "%-3u break  0x%016" PRIx64 "  %s", b->id,
                      (uint64_t)b->addr, b->where);
            sh_json_begin_object(out, NULL);
            sh_json_u64(out, "id", b->id);
            sh_json_str(out, "type", "break");
            sh_json_u64(out, "addr", b->addr);
            if (b->hart >= 0) {
                sh_printf(out, " if hart==%d", b->hart);
                sh_json_u64(out, "hart", (uint64_t)b->hart);
            }
            sh_printf(out, "\n");
            sh_json_end(out);
        }
        for (unsigned i = 0; i < ctx->nwp; i++) {
            const ShWatch *w = &ctx->wp[i];
            if (w->id != id) {
                continue;
            }
            sh_printf(out, "%-3u watch  0x%016" PRIx64 "  len %" PRIu64 " %s\n",
                      w->id, (uint64_t)w->addr, w->len, kind_name(w->kind));
            sh_json_begin_object(out, NULL);
            sh_json_u64(out, "id", w->id);
            sh_json_str(out, "type", "watch");
            sh_json_u64(out, "addr", w->addr);
            sh_json_u64(out, "len", w->len);
            sh_json_str(out, "kind", kind_name(w->kind));
            sh_json_end(out);
        }
    }
    sh_json_end(out);
    return 0;
}
