/*
 * Opening a trace for replay on the command line (shell/trace_open.h):
 * the recorded options build the machine, as `rewind verify` does.
 */
#include "shell/trace_open.h"
#include "shell/cli.h"

#include <stdio.h>
#include <string.h>

bool sh_trace_open(const char *dir, ShTrace *t, char *err, size_t errlen)
{
    return sh_trace_open_jit(dir, t, CORE_JIT_DEFAULT, 0, err, errlen);
}

bool sh_trace_open_jit(const char *dir, ShTrace *t, CoreJitMode jit,
                       uint32_t jit_threshold, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    t->dir = dir;
    t->s = rr_replay_open(dir, err, errlen);
    if (!t->s) {
        return false;
    }
    rr_replay_argv(t->s, &t->argc, &t->argv);
    CoreConfig *cfg = &t->cfg;
    if (shell_cli_parse(t->argc, t->argv, cfg) != SHELL_CLI_OK) {
        snprintf(err, errlen, "%s: the recorded command line is not accepted "
                 "by this rewind", dir);
        sh_trace_close(t);
        return false;
    }
    cfg->serial = "null";
    shell_cli_replay_config(cfg, dir);
    cfg->stats = false;
    cfg->trace_insns = NULL;
    if (jit != CORE_JIT_DEFAULT) {
        cfg->jit = jit;
    }
    if (jit_threshold) {
        cfg->jit_threshold = jit_threshold;
    }
    cfg->trace_jit = NULL;
    t->m = core_machine_new(cfg);
    char merr[512] = "";
    if (!t->m || !core_machine_init(t->m, merr, sizeof(merr))) {
        snprintf(err, errlen, "%s: cannot build the recorded machine: %s", dir,
                 t->m ? merr : "out of memory");
        sh_trace_close(t);
        return false;
    }
    RROptions opts = { .quiet = true };
    char aerr[1024];
    if (!rr_replay_attach(t->s, t->m, &opts, aerr, sizeof(aerr))) {
        snprintf(err, errlen, "%s", aerr);
        sh_trace_close(t);
        return false;
    }
    return true;
}

void sh_trace_close(ShTrace *t)
{
    if (t->s) {
        char summary[4096];
        rr_replay_finish(t->s, summary, sizeof(summary));
        t->s = NULL;
    }
    if (t->m) {
        core_machine_free(t->m);
        t->m = NULL;
    }
    shell_cli_free(&t->cfg);
}
