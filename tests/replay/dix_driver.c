/*
 * dix_driver - runs one of the shell's derived-index commands (shell/
 * dindex.h) on a trace, the way the shell will: `dix_driver [--json] DIR
 * CMD [ARGS...]`, CMD one of traps, syscalls, sql, events, console,
 * timeline, or `trap-icount N` (the lookup behind `goto trap N`). Prints
 * the command's result as the shell does (sh_out_emit); exit 1 when the
 * command failed. Test-only: the shell's command table calls the same
 * functions.
 */
#include "shell/dindex.h"

#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    bool json = argc > 1 && strcmp(argv[1], "--json") == 0;
    int a = json ? 2 : 1;
    if (argc - a < 2) {
        fprintf(stderr, "usage: dix_driver [--json] DIR CMD [ARGS...]\n");
        return 2;
    }
    const char *dir = argv[a];
    const char *cmd = argv[a + 1];
    int cargc = argc - a - 1;
    char **cargv = argv + a + 1;
    ShOut out;
    sh_out_init(&out);
    int rc;
    if (strcmp(cmd, "traps") == 0) {
        rc = sh_dix_traps(dir, cargc, cargv, &out);
    } else if (strcmp(cmd, "syscalls") == 0) {
        rc = sh_dix_syscalls(dir, cargc, cargv, &out);
    } else if (strcmp(cmd, "sql") == 0) {
        rc = sh_dix_sql(dir, cargc, cargv, &out);
    } else if (strcmp(cmd, "events") == 0) {
        rc = sh_dix_events(dir, cargc, cargv, &out);
    } else if (strcmp(cmd, "console") == 0) {
        rc = sh_dix_console(dir, cargc, cargv, &out);
    } else if (strcmp(cmd, "timeline") == 0) {
        rc = sh_dix_timeline(dir, cargc, cargv, &out);
    } else if (strcmp(cmd, "trap-icount") == 0 && cargc == 2) {
        uint64_t icount = 0;
        rc = sh_dix_trap_icount(dir, strtoull(cargv[1], NULL, 0), &icount,
                                &out);
        if (rc == 0) {
            sh_printf(&out, "%llu\n", (unsigned long long)icount);
            sh_json_u64(&out, "icount", icount);
        }
    } else {
        fprintf(stderr, "dix_driver: unknown command %s\n", cmd);
        sh_out_free(&out);
        return 2;
    }
    sh_out_emit(&out, cmd, json, stdout, stderr);
    sh_out_free(&out);
    return rc == 0 ? 0 : 1;
}
