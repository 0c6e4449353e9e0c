/*
 * dix_driver - runs one of the shell's derived-index commands (shell/
 * dindex.h) on a trace, the way the shell will: `dix_driver [--json] DIR
 * CMD [ARGS...]`, CMD one of traps, syscalls, sql, events, console,
 * timeline, or `trap-icount N` (the lookup behind `goto trap N`). Prints
 * the command's result as the shell does (sh_out_emit); exit 1 when the
 * command failed. Test-only: the shell's command table calls the same
 * functions. `dix_driver --names [EID...]` prints the name tables
 * instead (`syscall NR NAME NARGS` for each named call of 0..4095, then
 * `sbi EID NAME` for each EID given), for syscall_names_test.py.
 */
#include "shell/dindex.h"

#include <stdlib.h>
#include <string.h>

/* Every named system call, then the names of the SBI EIDs given. */
static int print_names(int neids, char **eids)
{
    for (uint64_t nr = 0; nr < 4096; nr++) {
        unsigned nargs;
        const char *n = sh_dix_syscall_name(nr, &nargs);
        if (n) {
            printf("syscall %llu %s %u\n", (unsigned long long)nr, n, nargs);
        }
    }
    for (int i = 0; i < neids; i++) {
        const char *n = sh_dix_sbi_name(strtoull(eids[i], NULL, 0));
        printf("sbi %s %s\n", eids[i], n ? n : "(none)");
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--names") == 0) {
        return print_names(argc - 2, argv + 2);
    }
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
