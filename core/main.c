/*
 * rewind's entry point: subcommand dispatch, then build and run the
 * machine. Only this file exits the process.
 */
#include "core/cli.h"
#include "core/machine.h"
#include "core/run.h"
#include "tcg/riscv/rv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_USAGE 1
#define EXIT_HALTED 3

static int cmd_run(int argc, char **argv)
{
    CoreConfig cfg;
    CoreCliResult res = core_cli_parse(argc, argv, &cfg);
    if (res != CORE_CLI_OK) {
        return res == CORE_CLI_EXIT_OK ? 0 : EXIT_USAGE;
    }
    if (!cfg.kernel && cfg.bios && strcmp(cfg.bios, "none") == 0) {
        fprintf(stderr, "rewind: -bios none needs -kernel: nothing to run\n");
        return EXIT_USAGE;
    }
    CoreMachine *m = core_machine_new(&cfg);
    if (!m) {
        fprintf(stderr, "rewind: out of memory\n");
        return EXIT_USAGE;
    }
    char err[512] = "";
    if (!core_machine_init(m, err, sizeof(err))) {
        fprintf(stderr, "rewind: %s\n", err);
        core_machine_free(m);
        return EXIT_USAGE;
    }
    if (cfg.dumpdtb) {
        /* QEMU writes the device tree and exits. */
        core_machine_free(m);
        return 0;
    }
    FILE *trace = NULL;
    if (cfg.trace_insns) {
        trace = strcmp(cfg.trace_insns, "-") == 0 ? stderr
                                                   : fopen(cfg.trace_insns, "w");
        if (!trace) {
            fprintf(stderr, "rewind: -trace %s: %m\n", cfg.trace_insns);
            core_machine_free(m);
            return EXIT_USAGE;
        }
        for (unsigned i = 0; i < m->ncpus; i++) {
            rv_cpu_set_trace(m->cpus[i], trace);
        }
    }

    int status = core_run(m);
    switch (m->exit_kind) {
    case CORE_EXIT_LIMIT:
    case CORE_EXIT_RESET:
        fprintf(stderr, "rewind: %s at icount %" PRIu64 "\n",
                core_exit_kind_name(m->exit_kind), m->icount);
        break;
    case CORE_EXIT_HALT:
        fprintf(stderr, "rewind: %s at icount %" PRIu64 "\n",
                core_exit_kind_name(m->exit_kind), m->icount);
        status = EXIT_HALTED;
        break;
    default:
        break;
    }
    if (cfg.stats) {
        fprintf(stderr, "icount=%" PRIu64 " guest_ns=%" PRIu64
                " state_hash=%016" PRIx64 " exit=\"%s\"\n", m->icount,
                core_clock_ns(m), core_machine_state_hash(m),
                core_exit_kind_name(m->exit_kind));
    }
    if (trace && trace != stderr) {
        fclose(trace);
    }
    core_machine_free(m);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        core_cli_print_usage();
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-version") == 0) {
        printf("rewind %s\n", REWIND_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-help") == 0 ||
        strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        core_cli_print_usage();
        return 0;
    }
    if (strcmp(cmd, "run") == 0) {
        return cmd_run(argc - 2, argv + 2);
    }
    if (cmd[0] == '-') {
        /* QEMU habit: options without a command mean `run`. */
        return cmd_run(argc - 1, argv + 1);
    }
    static const char *const later[] = { "record", "replay", "verify", "shell",
                                         "info", "query", NULL };
    for (const char *const *l = later; *l; l++) {
        if (strcmp(cmd, *l) == 0) {
            fprintf(stderr, "rewind: '%s' is not available yet in this "
                    "version; only 'run' is\n", cmd);
            return EXIT_USAGE;
        }
    }
    fprintf(stderr, "rewind: unknown command '%s' (see rewind --help)\n", cmd);
    return EXIT_USAGE;
}
