/*
 * gdb's `monitor` answered by the shell's command table (see
 * shell/monitor.h). Each command runs in a ShellCtx of its own whose
 * output is captured and handed to gdb's console.
 */
#include "shell/monitor.h"
#include "shell/index_db.h"
#include "shell/shcmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ShellMonitor {
    ShellCtx ctx;
};

ShellMonitor *shell_monitor_new(CoreMachine *m, RRSession *rr, const char *dir)
{
    ShellMonitor *mon = calloc(1, sizeof(*mon));
    if (!mon) {
        return NULL;
    }
    ShellCtx *c = &mon->ctx;
    c->m = m;
    c->rr = rr;
    c->replay = true;
    snprintf(c->dir, sizeof(c->dir), "%s", dir);
    char err[512];
    if (sh_index_last_icount(dir, &c->trace_end, err, sizeof(err)) <= 0) {
        c->trace_end = UINT64_MAX;   /* the stub's goto checks the end */
    }
    sh_out_init(&c->mvout);
    return mon;
}

void shell_monitor_free(ShellMonitor *mon)
{
    if (mon) {
        sh_out_free(&mon->ctx.mvout);
        free(mon);
    }
}

/* Commands gdb does itself: through the monitor they would leave gdb
   with a wrong picture (a breakpoint it does not know stopping it). */
static bool gdbs_own(ShCmdFn fn)
{
    return fn == shcmd_stepi || fn == shcmd_nexti || fn == shcmd_continue ||
           fn == shcmd_rstepi || fn == shcmd_rnexti || fn == shcmd_rcontinue ||
           fn == shcmd_break || fn == shcmd_watch || fn == shcmd_delete ||
           fn == shcmd_info_break || fn == shcmd_quit;
}

bool shell_monitor_command(void *opaque, const char *line, GdbPrintFn print,
                           void *pctx, uint64_t *goto_icount)
{
    ShellMonitor *mon = opaque;
    ShellCtx *c = &mon->ctx;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        print(pctx, "rewind: out of memory\n");
        return false;
    }
    c->out = f;
    c->err = f;
    c->json = false;
    c->mv.kind = SH_MV_NONE;
    bool go = false;
    /* the first word decides whether gdb should do it itself */
    char word[64];
    snprintf(word, sizeof(word), "%.*s", (int)strcspn(line, " "), line);
    char *argv[2] = { word, NULL };
    int used;
    const ShCmd *cmd = shcmd_find(1, argv, &used);
    if (cmd && gdbs_own(cmd->fn)) {
        fprintf(f, "monitor %s: use gdb's own command for that (stepi, "
                "continue, reverse-*, break, watch, delete)\n", word);
    } else {
        shell_exec(c, line);
        if (c->mv.kind == SH_MV_GOTO) {
            *goto_icount = c->mv.target;
            go = true;
        }
        c->mv.kind = SH_MV_NONE;
    }
    fclose(f);
    if (text && *text) {
        print(pctx, text);
    }
    free(text);
    return go;
}
