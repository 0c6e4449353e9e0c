/*
 * Command-line parsing for `rewind run` and friends: QEMU's spelling of
 * machine options, turned into a CoreConfig. Unsupported options are
 * refused with a message naming them, never ignored.
 */
#ifndef SHELL_CLI_H
#define SHELL_CLI_H

#include "core/config.h"

typedef enum ShellCliResult {
    SHELL_CLI_OK,       /* cfg is ready to run */
    SHELL_CLI_EXIT_OK,  /* a help/list request was answered: exit 0 */
    SHELL_CLI_ERROR,    /* message printed: exit 1 */
} ShellCliResult;

/* Parse the options after the subcommand. Help output goes to stdout,
   errors to stderr (prefixed "rewind: "). On SHELL_CLI_OK the caller
   frees cfg with shell_cli_free once no machine built from it is left;
   otherwise nothing is left to free. */
ShellCliResult shell_cli_parse(int argc, char **argv, CoreConfig *cfg);

/* What shell_cli_parse allocated in cfg (the -device options). */
void shell_cli_free(CoreConfig *cfg);

/* Parse a QEMU-style size ("128M", "2G", "512" = MiB). */
bool shell_cli_parse_size(const char *s, uint64_t *out);

void shell_cli_print_usage(void);

/* The -icount argument without its rr= and rrfile= parts (malloc'd). */
char *shell_cli_strip_rr(const char *arg);

/* Turn a recorded command line's configuration into the replay's of trace
   DIR: no host input and no back end opened (chardevs output-only), the
   user's disk images read-only with the guest's writes in a temporary
   overlay whose checkpoints are rebuilt from DIR's overlay logs, no
   device-tree dump, no instruction limit. The caller picks the console
   (cfg->serial) and what to print. */
void shell_cli_replay_config(CoreConfig *cfg, const char *dir);

/* -accel NAME[,jit=on|off][,jit-threshold=N]: false (message printed
   naming opt) if bad, or if jit=off and a jit-threshold are both set
   (counting what *jit and *jit_threshold held before); what is not given
   is left as it was. */
bool shell_cli_parse_accel(const char *opt, const char *arg,
                           CoreJitMode *jit, uint32_t *jit_threshold);

/* Do two command lines give the same machine (ignoring -s, -S, -gdb,
   --stats, --trace and one or two leading dashes)? If not, *diff_a and
   *diff_b are the first differing options (NULL: that line ended). */
bool shell_cli_same_machine(int argc_a, char **argv_a, int argc_b,
                           char **argv_b, const char **diff_a,
                           const char **diff_b);

#endif
