/*
 * Command-line options (see shell/cli.h).
 *
 * The table `options` is the single list of what `rewind run` accepts; the
 * help text is printed from it, so --help always tells the truth.
 */
#include "shell/cli.h"
#include "accel/accel.h"
#include "backends/chardev.h"
#include "core/clock.h"
#include "core/machine.h"
#include "core/rtc.h"
#include "backends/block.h"
#include "backends/rng.h"
#include "backends/net.h"
#include "hw/registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef bool (*OptHandler)(CoreConfig *cfg, const char *opt, const char *arg,
                           ShellCliResult *res);

typedef struct CliOption {
    const char *name;      /* without the leading dash(es) */
    const char *alias;
    const char *argname;   /* NULL: takes no argument */
    const char *help;
    OptHandler handler;
} CliOption;

static bool fail(const char *opt, const char *fmt, const char *what)
{
    fprintf(stderr, "rewind: -%s: ", opt);
    fprintf(stderr, fmt, what);
    fputc('\n', stderr);
    return false;
}

bool shell_cli_parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v <= 0) {
        return false;
    }
    uint64_t mult = 1024 * 1024;   /* QEMU: a bare number is MiB */
    switch (*end) {
    case 0: break;
    case 'k': case 'K': mult = 1024; end++; break;
    case 'm': case 'M': mult = 1024 * 1024; end++; break;
    case 'g': case 'G': mult = 1024ull * 1024 * 1024; end++; break;
    case 't': case 'T': mult = 1024ull * 1024 * 1024 * 1024; end++; break;
    case 'b': case 'B': mult = 1; end++; break;
    default: return false;
    }
    if (*end == 'i' || *end == 'B') {
        end++;
    }
    if (*end) {
        return false;
    }
    double bytes = v * (double)mult;
    if (bytes > 1e15) {
        return false;
    }
    *out = (uint64_t)bytes;
    return true;
}

static bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (end == s || *end || errno || v > max || s[0] == '-') {
        return false;
    }
    *out = v;
    return true;
}

static bool opt_machine(CoreConfig *cfg, const char *opt, const char *arg,
                        ShellCliResult *res)
{
    if (strcmp(arg, "help") == 0 || strcmp(arg, "?") == 0) {
        printf("Supported machines are:\n");
        for (const CoreMachineType *const *t = core_machine_types(); *t; t++) {
            printf("%-20s %s%s\n", (*t)->name, (*t)->desc,
                   t == core_machine_types() ? " (default)" : "");
        }
        *res = SHELL_CLI_EXIT_OK;
        return false;
    }
    char *copy = strdup(arg);
    char *save = NULL;
    bool ok = true;
    for (char *tok = strtok_r(copy, ",", &save); tok && ok;
         tok = strtok_r(NULL, ",", &save)) {
        if (strncmp(tok, "type=", 5) == 0) {
            tok += 5;
        }
        if (!strchr(tok, '=')) {
            if (!core_machine_type_find(tok)) {
                ok = fail(opt, "unknown machine '%s' (try -machine help)", tok);
            } else {
                cfg->machine = core_machine_type_find(tok)->name;
            }
        } else if (strncmp(tok, "dumpdtb=", 8) == 0) {
            /* Point into argv, which outlives the config. */
            cfg->dumpdtb = arg + (tok - copy) + 8;
        } else if (strncmp(tok, "accel=", 6) == 0) {
            if (!accel_name_supported(tok + 6)) {
                ok = fail(opt, "accelerator '%s' is not supported (only tcg)",
                          tok + 6);
            }
        } else {
            ok = fail(opt, "unsupported machine property '%s'", tok);
        }
    }
    free(copy);
    return ok;
}

static bool opt_cpu(CoreConfig *cfg, const char *opt, const char *arg,
                    ShellCliResult *res)
{
    if (strcmp(arg, "help") == 0 || strcmp(arg, "?") == 0) {
        printf("Available CPUs:\n  rv64   RV64IMAFDC with M/S/U modes (default)\n");
        *res = SHELL_CLI_EXIT_OK;
        return false;
    }
    if (strcmp(arg, "rv64") != 0) {
        return fail(opt, "CPU model '%s' is not supported (try -cpu help)", arg);
    }
    cfg->cpu = "rv64";
    return true;
}

static bool opt_memory(CoreConfig *cfg, const char *opt, const char *arg,
                       ShellCliResult *res)
{
    (void)res;
    const char *s = strncmp(arg, "size=", 5) == 0 ? arg + 5 : arg;
    if (strchr(s, ',') || !shell_cli_parse_size(s, &cfg->ram_size)) {
        return fail(opt, "invalid RAM size '%s' (examples: 128M, 2G)", arg);
    }
    return true;
}

static bool opt_smp(CoreConfig *cfg, const char *opt, const char *arg,
                    ShellCliResult *res)
{
    (void)res;
    const char *s = strncmp(arg, "cpus=", 5) == 0 ? arg + 5 : arg;
    uint64_t n;
    if (strchr(s, ',') || !parse_uint(s, CORE_MAX_CPUS, &n) || n == 0) {
        char msg[96];
        snprintf(msg, sizeof(msg), "'%%s': expected a hart count from 1 to %d",
                 CORE_MAX_CPUS);
        return fail(opt, msg, arg);
    }
    cfg->smp = (unsigned)n;
    return true;
}

bool shell_cli_parse_accel(const char *opt, const char *arg,
                           CoreJitMode *jit, uint32_t *jit_threshold)
{
    char tok[64];
    size_t n = strcspn(arg, ",");
    snprintf(tok, sizeof(tok), "%.*s", (int)n, arg);
    if (!accel_name_supported(tok)) {
        return fail(opt, "accelerator '%s' is not supported (only tcg)", tok);
    }
    for (const char *p = arg + n; *p == ','; p += n) {
        p++;
        n = strcspn(p, ",");
        snprintf(tok, sizeof(tok), "%.*s", (int)n, p);
        if (strcmp(tok, "jit=on") == 0) {
            *jit = CORE_JIT_ON;
        } else if (strcmp(tok, "jit=off") == 0) {
            *jit = CORE_JIT_OFF;
        } else if (strncmp(tok, "jit-threshold=", 14) == 0) {
            uint64_t v;
            if (!parse_uint(tok + 14, CORE_JIT_THRESHOLD_MAX, &v) || v == 0) {
                return fail(opt, "'%s': expected a run count from 1 to "
                            "1000000", tok);
            }
            *jit_threshold = (uint32_t)v;
        } else {
            return fail(opt, "unsupported tcg property '%s' "
                        "(jit=on|off, jit-threshold=N)", tok);
        }
    }
    /* On the options gathered so far, so that neither order nor a second
       -accel hides it: the threshold means nothing to the interpreter. */
    if (*jit == CORE_JIT_OFF && *jit_threshold) {
        return fail(opt, "%s: jit-threshold=N needs the JIT, not jit=off",
                    arg);
    }
    return true;
}

static bool opt_accel(CoreConfig *cfg, const char *opt, const char *arg,
                      ShellCliResult *res)
{
    if (strcmp(arg, "help") == 0) {
        printf("Accelerators supported:\ntcg\n");
        *res = SHELL_CLI_EXIT_OK;
        return false;
    }
    if (strcmp(arg, "tcg,help") == 0) {
        printf("tcg options:\n"
               "  jit=on|off    translate guest blocks to host code (on: the\n"
               "                default where the host has a JIT backend) or\n"
               "                interpret them (off); the run is the same\n"
               "  jit-threshold=N  the JIT translates a block on its Nth\n"
               "                run, interpreting it before (1: at once;\n"
               "                default %u; the run is the same); an error\n"
               "                with jit=off\n",
               CORE_JIT_THRESHOLD_DEFAULT);
        *res = SHELL_CLI_EXIT_OK;
        return false;
    }
    return shell_cli_parse_accel(opt, arg, &cfg->jit, &cfg->jit_threshold);
}

#define STRING_OPT(fn, field)                                              \
    static bool fn(CoreConfig *cfg, const char *opt, const char *arg,      \
                   ShellCliResult *res)                                     \
    {                                                                      \
        (void)opt;                                                         \
        (void)res;                                                         \
        cfg->field = arg;                                                  \
        return true;                                                       \
    }
STRING_OPT(opt_kernel, kernel)
STRING_OPT(opt_bios, bios)
STRING_OPT(opt_initrd, initrd)
STRING_OPT(opt_append, append)
STRING_OPT(opt_dtb, dtb)
STRING_OPT(opt_trace, trace_insns)
STRING_OPT(opt_trace_jit, trace_jit)

static bool opt_serial(CoreConfig *cfg, const char *opt, const char *arg,
                       ShellCliResult *res)
{
    (void)res;
    /* mon:stdio multiplexes the monitor (shell/mon_stdio.c); as in QEMU,
       Ctrl-C there goes to the guest (the chardev turns signals off). The
       Ctrl-A keys work on plain stdio too. */
    if (strcmp(arg, "stdio") && strcmp(arg, "mon:stdio") && strcmp(arg, "null") &&
        strncmp(arg, "file:", 5) && (strncmp(arg, "chardev:", 8) || !arg[8])) {
        return fail(opt, "unsupported serial backend '%s' "
                    "(supported: stdio, mon:stdio, null, file:PATH, "
                    "chardev:ID)", arg);
    }
    cfg->serial = arg;
    return true;
}

static bool opt_monitor(CoreConfig *cfg, const char *opt, const char *arg,
                        ShellCliResult *res)
{
    (void)res;
    if (strcmp(arg, "none") != 0) {
        return fail(opt, "'%s': only 'none' is supported (the monitor is "
                    "on -serial mon:stdio, the default: Ctrl-A c)", arg);
    }
    cfg->monitor_none = true;
    return true;
}

static bool opt_display(CoreConfig *cfg, const char *opt, const char *arg,
                        ShellCliResult *res)
{
    (void)cfg;
    (void)res;
    if (strcmp(arg, "none") != 0) {
        return fail(opt, "'%s': rewind has no graphical display; use "
                    "-display none or -nographic", arg);
    }
    return true;
}

static bool opt_nographic(CoreConfig *cfg, const char *opt, const char *arg,
                          ShellCliResult *res)
{
    (void)opt;
    (void)arg;
    (void)res;
    cfg->nographic = true;
    return true;
}

static bool opt_no_reboot(CoreConfig *cfg, const char *opt, const char *arg,
                          ShellCliResult *res)
{
    (void)cfg;
    (void)opt;
    (void)arg;
    (void)res;
    return true;   /* rewind never reboots: a reset request ends the run */
}

/* Options of a command line that do not change the machine: debugger,
   --stats, --trace. Returns how many argv entries at i to skip. */
static int non_machine_option(int argc, char **argv, int i)
{
    const char *o = argv[i] + (argv[i][0] == '-' && argv[i][1] == '-');
    if (strcmp(o, "-s") == 0 || strcmp(o, "-S") == 0 ||
        strcmp(o, "-stats") == 0) {
        return 1;
    }
    if ((strcmp(o, "-gdb") == 0 || strcmp(o, "-trace") == 0) && i + 1 < argc) {
        return 2;
    }
    return 0;
}

/* The next machine option of argv at or after *i, or NULL at the end. */
static const char *next_machine_arg(int argc, char **argv, int *i)
{
    int skip;
    while (*i < argc && (skip = non_machine_option(argc, argv, *i)) > 0) {
        *i += skip;
    }
    if (*i >= argc) {
        return NULL;
    }
    const char *a = argv[(*i)++];
    return a + (a[0] == '-' && a[1] == '-');
}

void shell_cli_replay_config(CoreConfig *cfg, const char *dir)
{
    cfg->chardev_replay = true;
    cfg->block_cow = true;
    cfg->block_log_dir = dir;
    cfg->block_log_record = false;
    cfg->dumpdtb = NULL;
    cfg->max_insns = 0;
}

bool shell_cli_same_machine(int argc_a, char **argv_a, int argc_b,
                           char **argv_b, const char **diff_a,
                           const char **diff_b)
{
    int i = 0, j = 0;
    for (;;) {
        *diff_a = next_machine_arg(argc_a, argv_a, &i);
        *diff_b = next_machine_arg(argc_b, argv_b, &j);
        if (!*diff_a && !*diff_b) {
            return true;
        }
        if (!*diff_a || !*diff_b || strcmp(*diff_a, *diff_b) != 0) {
            return false;
        }
    }
}

char *shell_cli_strip_rr(const char *arg)
{
    char *copy = strdup(arg);
    char *out = calloc(1, strlen(arg) + 1);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (strncmp(tok, "rr=", 3) == 0 || strncmp(tok, "rrfile=", 7) == 0) {
            continue;
        }
        if (out[0]) {
            strcat(out, ",");
        }
        strcat(out, tok);
    }
    free(copy);
    return out;
}

static bool opt_icount(CoreConfig *cfg, const char *opt, const char *arg,
                       ShellCliResult *res)
{
    (void)res;
    char *copy = strdup(arg);
    char *save = NULL;
    bool ok = true;
    const char *rr = NULL;
    const char *rrfile = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && ok;
         tok = strtok_r(NULL, ",", &save)) {
        const char *v = strncmp(tok, "shift=", 6) == 0 ? tok + 6 : tok;
        uint64_t n;
        if (strcmp(tok, "sleep=on") == 0 || strcmp(tok, "sleep=off") == 0) {
            cfg->icount_nosleep = strcmp(tok, "sleep=off") == 0;
        } else if (strncmp(tok, "rr=", 3) == 0) {
            rr = arg + (tok - copy) + 3;
        } else if (strncmp(tok, "rrfile=", 7) == 0) {
            rrfile = arg + (tok - copy) + 7;
        } else if (strchr(v, '=')) {
            {
                ok = fail(opt, "unsupported -icount property '%s' "
                          "(supported: shift=N, sleep=on|off)", tok);
            }
        } else if (strcmp(v, "auto") == 0) {
            ok = fail(opt, "'%s': shift=auto would let host speed reach the "
                      "guest; give a number", v);
        } else if (!parse_uint(v, CORE_ICOUNT_SHIFT_MAX, &n)) {
            char msg[64];
            snprintf(msg, sizeof(msg), "invalid shift '%%s' (0 to %d)",
                     CORE_ICOUNT_SHIFT_MAX);
            ok = fail(opt, msg, v);
        } else {
            cfg->icount_shift = (unsigned)n;
        }
    }
    free(copy);
    if (ok && rr) {
        size_t len = strcspn(rr, ",");
        if (!rrfile) {
            ok = fail(opt, "'%s': rr= needs rrfile=DIR (the trace)", arg);
        } else if (strncmp(rr, "record", len) == 0 && len == 6) {
            cfg->rr_record_dir = strndup(rrfile, strcspn(rrfile, ","));
        } else if (strncmp(rr, "replay", len) == 0 && len == 6) {
            cfg->rr_replay_dir = strndup(rrfile, strcspn(rrfile, ","));
        } else {
            ok = fail(opt, "'%s': rr= takes record or replay", arg);
        }
    }
    return ok;
}

static bool opt_max_insns(CoreConfig *cfg, const char *opt, const char *arg,
                          ShellCliResult *res)
{
    (void)res;
    if (!parse_uint(arg, UINT64_MAX, &cfg->max_insns)) {
        return fail(opt, "invalid instruction count '%s'", arg);
    }
    return true;
}

static bool opt_stats(CoreConfig *cfg, const char *opt, const char *arg,
                      ShellCliResult *res)
{
    (void)opt;
    (void)arg;
    (void)res;
    cfg->stats = true;
    return true;
}

static bool opt_rtc(CoreConfig *cfg, const char *opt, const char *arg,
                    ShellCliResult *res)
{
    (void)res;
    bool use_host;
    uint64_t ns = 0;
    if (!core_rtc_parse_base(arg, &use_host, &ns)) {
        return fail(opt, "'%s': expected base=utc or base=YYYY-MM-DDTHH:MM:SS "
                    "(optionally ,clock=vm)", arg);
    }
    cfg->rtc_pinned = !use_host;
    cfg->rtc_base_ns = ns;
    return true;
}

static bool opt_gdb(CoreConfig *cfg, const char *opt, const char *arg,
                    ShellCliResult *res)
{
    (void)res;
    if (strcmp(arg, "none") == 0) {
        cfg->gdb = NULL;
        return true;
    }
    if (strncmp(arg, "tcp:", 4) && strncmp(arg, "unix:", 5)) {
        return fail(opt, "'%s': expected tcp::PORT, tcp:HOST:PORT or unix:PATH",
                    arg);
    }
    cfg->gdb = arg;
    return true;
}

static bool opt_s(CoreConfig *cfg, const char *opt, const char *arg,
                  ShellCliResult *res)
{
    (void)opt;
    (void)arg;
    (void)res;
    cfg->gdb = "tcp::1234";
    return true;
}

static bool opt_S(CoreConfig *cfg, const char *opt, const char *arg,
                  ShellCliResult *res)
{
    (void)opt;
    (void)arg;
    (void)res;
    cfg->gdb_wait = true;
    return true;
}

/* -device: the device registry (hw/registry.h) parses and checks it and
   prints the help; the front end knows no device. */
static bool opt_device(CoreConfig *cfg, const char *opt, const char *arg,
                       ShellCliResult *res)
{
    char err[300];
    switch (hw_device_parse(arg, cfg, err, sizeof(err))) {
    case HW_PARSE_OK:
        return true;
    case HW_PARSE_HELP:
        *res = SHELL_CLI_EXIT_OK;
        return false;
    default:
        fprintf(stderr, "rewind: -%s %s: %s\n", opt, arg, err);
        return false;
    }
}

/* -chardev: backends/chardev.h checks the spec; the host resource is
   opened when a front end (-serial chardev:ID) takes it. */
static bool opt_chardev(CoreConfig *cfg, const char *opt, const char *arg,
                        ShellCliResult *res)
{
    char err[300];
    if (strcmp(arg, "help") == 0) {
        be_chardev_print_help();
        *res = SHELL_CLI_EXIT_OK;
        return false;
    }
    if (!be_chardev_define(cfg, arg, err, sizeof(err))) {
        fprintf(stderr, "rewind: -%s %s: %s\n", opt, arg, err);
        return false;
    }
    return true;
}

/* ---- network: -netdev and -nic (backends/net.c, hw/virtio/virtio_net.c) ---- */

/* -netdev user,id=ID,...: checked here, started by the NIC that names it. */
static bool opt_netdev(CoreConfig *cfg, const char *opt, const char *arg,
                       ShellCliResult *res)
{
    char err[300];
    if (be_netdev_help(arg)) {
        *res = SHELL_CLI_EXIT_OK;
        return false;
    }
    if (!be_netdev_define(cfg, arg, err, sizeof(err))) {
        fprintf(stderr, "rewind: -%s %s: %s\n", opt, arg, err);
        return false;
    }
    return true;
}

/* -nic user[,model=virtio-net-device][,mac=MAC][,user options]: a
   -netdev user with an id of its own plus the NIC on it; -nic none. */
static bool opt_nic(CoreConfig *cfg, const char *opt, const char *arg,
                    ShellCliResult *res)
{
    static unsigned nics;
    char err[300];
    if (strcmp(arg, "none") == 0) {
        return true;
    }
    if (be_netdev_help(arg)) {
        *res = SHELL_CLI_EXIT_OK;
        return false;
    }
    if (strncmp(arg, "user", 4) != 0 || (arg[4] && arg[4] != ',')) {
        fprintf(stderr, "rewind: -%s %s: unknown network back end (only "
                "user, or none)\n", opt, arg);
        return false;
    }
    /* The config keeps pointers to both strings: they live as long as
       the process, like argv (tests/lsan.supp says so to LeakSanitizer). */
    size_t cap = strlen(arg) + 64;
    char *nds = malloc(cap), *devs = malloc(cap), *copy = strdup(arg);
    if (!nds || !devs || !copy) {
        fprintf(stderr, "rewind: out of memory\n");
        exit(1);
    }
    size_t nl = (size_t)snprintf(nds, cap, "user,id=nic%u", nics);
    size_t dl = (size_t)snprintf(devs, cap, "virtio-net-device,netdev=nic%u",
                                 nics);
    nics++;
    bool ok = true;
    char *save = NULL;
    strtok_r(copy, ",", &save);
    for (char *p; ok && (p = strtok_r(NULL, ",", &save));) {
        if (strncmp(p, "model=", 6) == 0) {
            if (strcmp(p + 6, "help") == 0) {
                printf("Supported NIC models:\nvirtio-net-device\n");
                *res = SHELL_CLI_EXIT_OK;
                ok = false;
            } else if (strcmp(p + 6, "virtio-net-device") != 0) {
                fprintf(stderr, "rewind: -%s %s: model=%s: unknown NIC model "
                        "(only virtio-net-device)\n", opt, arg, p + 6);
                ok = false;
            }
        } else if (strncmp(p, "mac=", 4) == 0) {
            dl += (size_t)snprintf(devs + dl, cap - dl, ",%s", p);
        } else if (strncmp(p, "id=", 3) == 0) {
            fprintf(stderr, "rewind: -%s %s: id= is not an option of -nic "
                    "(use -netdev and -device)\n", opt, arg);
            ok = false;
        } else {
            nl += (size_t)snprintf(nds + nl, cap - nl, ",%s", p);
        }
    }
    free(copy);
    if (ok && !be_netdev_define(cfg, nds, err, sizeof(err))) {
        fprintf(stderr, "rewind: -%s %s: %s\n", opt, arg, err);
        ok = false;
    }
    if (ok && hw_device_parse(devs, cfg, err, sizeof(err)) != HW_PARSE_OK) {
        fprintf(stderr, "rewind: -%s %s: %s\n", opt, arg, err);
        ok = false;
    }
    if (!ok) {
        free(nds);
        free(devs);
    }
    return ok;
}

/* -object: host back ends devices name by id (backends/rng.c). */
static bool opt_object(CoreConfig *cfg, const char *opt, const char *arg,
                       ShellCliResult *res)
{
    char err[300];
    switch (be_object_parse(arg, cfg, err, sizeof(err))) {
    case BE_OBJ_OK:
        return true;
    case BE_OBJ_HELP:
        *res = SHELL_CLI_EXIT_OK;
        return false;
    default:
        fprintf(stderr, "rewind: -%s %s: %s\n", opt, arg, err);
        return false;
    }
}

/* -drive and -blockdev: backends/block.h parses them; the image is
   opened by the device that takes the drive. -drive if=virtio adds that
   device too, as QEMU does. */
static bool opt_drive(CoreConfig *cfg, const char *opt, const char *arg,
                      ShellCliResult *res)
{
    char err[300] = "";
    const char *id = NULL;
    BeDriveParse r = be_drive_parse(arg, cfg, &id, err, sizeof(err));
    if (r == BE_DRIVE_VIRTIO) {
        /* The device keeps its argument for messages: it lives as long
           as the configuration. */
        char *dev = malloc(strlen(id) + 32);
        if (dev) {
            sprintf(dev, "virtio-blk-device,drive=%s", id);
        }
        if (dev && hw_device_parse(dev, cfg, err, sizeof(err)) == HW_PARSE_OK) {
            return true;
        }
        (void)res;
    } else if (r == BE_DRIVE_OK) {
        return true;
    }
    fprintf(stderr, "rewind: -%s %s: %s\n", opt, arg, err);
    return false;
}

static bool opt_blockdev(CoreConfig *cfg, const char *opt, const char *arg,
                         ShellCliResult *res)
{
    char err[300] = "";
    (void)res;
    if (!be_blockdev_parse(arg, cfg, err, sizeof(err))) {
        fprintf(stderr, "rewind: -%s %s: %s\n", opt, arg, err);
        return false;
    }
    return true;
}

static bool opt_help(CoreConfig *cfg, const char *opt, const char *arg,
                     ShellCliResult *res);

static const CliOption options[] = {
    { "machine", "M", "NAME[,dumpdtb=FILE]", "machine type (-machine help lists them)", opt_machine },
    { "cpu", NULL, "MODEL", "CPU model: rv64", opt_cpu },
    { "m", NULL, "SIZE", "RAM size, e.g. 128M, 2G (default 128M)", opt_memory },
    { "smp", NULL, "N", "number of harts (default 1)", opt_smp },
    { "accel", NULL, "tcg[,jit=on|off][,jit-threshold=N]", "accelerator (only tcg; -accel tcg,help); jit-threshold only with the JIT",
      opt_accel },
    { "bios", NULL, "FILE|none|default", "firmware (default: OpenSBI fw_dynamic)", opt_bios },
    { "kernel", NULL, "FILE", "kernel or bare-metal program (ELF or raw)", opt_kernel },
    { "initrd", NULL, "FILE", "initial ram disk", opt_initrd },
    { "append", NULL, "CMDLINE", "kernel command line", opt_append },
    { "dtb", NULL, "FILE", "use this device tree instead of the generated one", opt_dtb },
    { "serial", NULL, "DEV", "serial port: mon:stdio (default; Ctrl-C goes to the guest), stdio, null, file:PATH, chardev:ID", opt_serial },
    { "chardev", NULL, "TYPE,id=ID[,OPT=VALUE...]|help", "character back end: stdio, null, file, pipe, pty, socket, ringbuf (-chardev help lists the options)", opt_chardev },
    { "monitor", NULL, "none", "none: no monitor on mon:stdio (Ctrl-A c)", opt_monitor },
    { "nographic", NULL, NULL, "no display; serial on mon:stdio (always the case)", opt_nographic },
    { "display", NULL, "none", "display (only none)", opt_display },
    { "no-reboot", NULL, NULL, "exit instead of rebooting (always the case)", opt_no_reboot },
    { "icount", NULL, "[shift=]N[,sleep=on|off][,rr=record|replay,rrfile=DIR]", "2^N ns of guest time per instruction (default 3); sleep=off: idle time passes at once even while waiting for input; rr=record: record to DIR; rr=replay: as 'rewind replay DIR' (same machine options as recorded; -s, -S, -gdb allowed)", opt_icount },
    { "rtc", NULL, "base=utc|DATE", "real-time clock start (default: host time when first read)", opt_rtc },
    { "device", NULL, "TYPE[,PROP=VALUE...][,id=ID]|help|TYPE,help", "add a device (-device help lists the types, -device TYPE,help their properties)", opt_device },
    { "netdev", NULL, "user,id=ID[,net=ADDR/BITS][,host=ADDR][,dhcpstart=ADDR][,dns=ADDR][,hostname=NAME][,hostfwd=tcp|udp:[HADDR]:HPORT-[GADDR]:GPORT][,guestfwd=[tcp]:[SERVER]:PORT-cmd:COMMAND|chardev:ID][,restrict=on|off]|help", "network back end: libslirp user networking (-netdev user,help lists the options; hostfwd binds 127.0.0.1 unless HADDR is given)", opt_netdev },
    { "nic", NULL, "user[,model=virtio-net-device][,mac=MAC][,USER-OPTIONS]|none", "shorthand for -netdev user plus -device virtio-net-device on it", opt_nic },
    { "object", NULL, "rng-random,id=ID[,filename=FILE]|rng-builtin,id=ID|help", "add a host back end object (-object help lists the types)", opt_object },
    { "drive", NULL, "file=F[,format=raw][,if=none|virtio][,id=ID][,readonly=on][,snapshot=on]", "a raw disk image; if=none is taken by -device virtio-blk-device,drive=ID, if=virtio adds that device (qcow2: convert with qemu-img convert -O raw)", opt_drive },
    { "blockdev", NULL, "driver=file,filename=F,node-name=N[,read-only=on]|driver=raw,file=N,node-name=M", "a block node (QEMU's layering: raw over file); drive=NODE names it", opt_blockdev },
    { "gdb", NULL, "tcp::PORT|tcp:HOST:PORT|unix:PATH", "GDB remote stub (binds 127.0.0.1 unless a host is given; port 0: any free port, printed)", opt_gdb },
    { "s", NULL, NULL, "shorthand for -gdb tcp::1234", opt_s },
    { "S", NULL, NULL, "stop before the first instruction (wait for gdb)", opt_S },
    { "max-insns", NULL, "N", "stop after N instructions", opt_max_insns },
    { "trace", NULL, "FILE", "write every executed instruction to FILE (slow)", opt_trace },
    { "trace-jit", NULL, "FILE", "write each block the JIT translates to FILE: guest, then host instructions", opt_trace_jit },
    { "stats", NULL, NULL, "print instruction count and state hash at exit (record: also what recording cost the host)", opt_stats },
    { "help", "h", NULL, "show this help", opt_help },
};

void shell_cli_print_usage(void)
{
    printf("Usage: rewind COMMAND [options]\n\n"
           "Commands:\n"
           "  run [options]     run a guest (QEMU-style machine options)\n"
           "  record -o DIR [--checkpoint-every N] [--no-derived] [options]\n"
           "                    run and record every input to the trace DIR\n"
           "                    (--no-derived: without the traps/ecalls/irqs\n"
           "                    tables; 'trace index' adds them later)\n"
           "  replay DIR [--until ICOUNT] [--seek ICOUNT] [--quiet] [--stats]\n"
           "             [--trace FILE] [-s | -gdb SPEC] [-S] [--allow-incomplete]\n"
           "             [-accel tcg,jit=on|off[,jit-threshold=N]]\n"
           "                    replay a trace bit for bit, checking checkpoints;\n"
           "                    --seek jumps there through the nearest checkpoint\n"
           "                    and stops, or goes on from there with --until,\n"
           "                    a debugger (-s, -gdb, -S) or --trace (and says\n"
           "                    so when it has to use an earlier checkpoint)\n"
           "  verify DIR [--junit FILE] [--allow-incomplete]\n"
           "             [-accel tcg,jit=on|off[,jit-threshold=N]]\n"
           "                    headless replay checking every event, every\n"
           "                    checkpoint and the final state: exit 0 identical,\n"
           "                    1 divergence, 2 unusable or damaged trace,\n"
           "                    3 identical but incomplete (no END: recorder\n"
           "                    killed, disk full; --allow-incomplete makes it 0);\n"
           "                    -accel picks the engine, whatever recorded it\n"
           "  info DIR          summary of a trace: exit 0, or 2 if it is damaged\n"
           "                    (corrupt frames, missing or damaged checkpoints)\n"
           "  query [--timeout SECONDS] [--max-memory MIB] DIR \"SQL\"\n"
           "                    read-only SQL on the trace index (bounded:\n"
           "                    60 s of CPU, 512 MiB unless given)\n"
           "  trace reindex DIR rebuild DIR/index.sqlite from the event log\n"
           "  shell TRACE [-c 'CMD; CMD'] [-x FILE] [--json] [--quiet]\n"
           "  shell [-c ...] [-x FILE] [--json] [-o DIR] -- RUN-OPTIONS\n"
           "                    debug shell on a trace (from its start) or on a\n"
           "                    live machine recorded as it runs; 'help' inside\n"
           "                    lists the commands (docs/shell.md)\n"
           "  trace index DIR   (re)build the derived-event index (traps,\n"
           "                    ecalls, interrupt lines, disk requests) by\n"
           "                    replaying DIR\n"
           "  trace timeline DIR -o FILE.svg [--icount]\n"
           "                    draw the run as an SVG (guest time across)\n"
           "  last-write DIR ICOUNT|end [-p] [--hart N] [--json] ADDR [LEN]\n"
           "                    the last store to ADDR before ICOUNT: icount,\n"
           "                    hart, pc, instruction, or the device (DMA)\n"
           "  history DIR ICOUNT|end [-p] [--hart N] [--json] ADDR [N [LEN]]\n"
           "                    the last N writes to ADDR, oldest first\n"
           "  diff A B [--json] where two traces of one command line first\n"
           "                    differ, and what differs there: exit 0\n"
           "                    identical, 1 different, 2 unusable trace\n"
           "  jit-check [--every N] [--max-insns N] [--json] -- RUN-OPTIONS\n"
           "  jit-check [--every N] [--max-insns N] [--json] TRACE\n"
           "                    run (or replay) the JIT and the interpreter side by side,\n"
           "                    compare state hashes every N instructions and\n"
           "                    name the first instruction where they differ:\n"
           "                    exit 0 same, 1 different, 2 bad options\n"
           "  --version, -version\n"
           "                    print rewind's version\n"
           "  --help, -help, -h print this help\n\n"
           "Options of run (one or two leading dashes):\n");
    for (size_t i = 0; i < CORE_ARRAY_SIZE(options); i++) {
        const CliOption *o = &options[i];
        char left[64];
        snprintf(left, sizeof(left), "-%s%s%s%s%s", o->name,
                 o->alias ? ", -" : "", o->alias ? o->alias : "",
                 o->argname ? " " : "", o->argname ? o->argname : "");
        printf("  %-32s %s\n", left, o->help);
    }
    printf("\nOn stdio, Ctrl-A x quits and Ctrl-A Ctrl-A sends Ctrl-A.\n"
           "Exit status: the guest's (test finisher: pass 0, fail N), "
           "1 for a usage error, 3 if the guest halted forever,\n"
           "4 if a hart traps forever without retiring an instruction.\n"
           "Environment: REWIND_JIT=on|off chooses the engine when -accel does\n"
           "not (default on where the host has a JIT), REWIND_JIT_THRESHOLD=N\n"
           "the jit-threshold (1 to %u), REWIND_SIDE_EXITS=N the conditional "
           "branches a\nblock goes on past (0 to 8, default 8; the same "
           "instructions run either way);\nany other value is an error.\n",
           CORE_JIT_THRESHOLD_MAX);
}

static bool opt_help(CoreConfig *cfg, const char *opt, const char *arg,
                     ShellCliResult *res)
{
    (void)cfg;
    (void)opt;
    (void)arg;
    shell_cli_print_usage();
    *res = SHELL_CLI_EXIT_OK;
    return false;
}

static const CliOption *find_option(const char *name)
{
    for (size_t i = 0; i < CORE_ARRAY_SIZE(options); i++) {
        if (strcmp(options[i].name, name) == 0 ||
            (options[i].alias && strcmp(options[i].alias, name) == 0)) {
            return &options[i];
        }
    }
    return NULL;
}

ShellCliResult shell_cli_parse(int argc, char **argv, CoreConfig *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->machine = "virt";
    cfg->cpu = "rv64";
    cfg->ram_size = 128ull * 1024 * 1024;
    cfg->smp = 1;
    cfg->serial = "mon:stdio";   /* what QEMU's -nographic gives */
    cfg->icount_shift = CORE_ICOUNT_SHIFT_DEFAULT;

    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == 0) {
            fprintf(stderr, "rewind: unexpected argument '%s' "
                    "(options start with '-'; see rewind --help)\n", a);
            shell_cli_free(cfg);
            return SHELL_CLI_ERROR;
        }
        const char *name = a + 1 + (a[1] == '-');
        const CliOption *o = find_option(name);
        if (!o) {
            fprintf(stderr, "rewind: unsupported option '%s' "
                    "(see rewind --help)\n", a);
            shell_cli_free(cfg);
            return SHELL_CLI_ERROR;
        }
        const char *arg = NULL;
        if (o->argname) {
            if (i + 1 >= argc) {
                fprintf(stderr, "rewind: %s needs an argument (%s)\n", a,
                        o->argname);
                shell_cli_free(cfg);
                return SHELL_CLI_ERROR;
            }
            arg = argv[++i];
        }
        ShellCliResult res = SHELL_CLI_ERROR;
        if (!o->handler(cfg, o->name, arg, &res)) {
            shell_cli_free(cfg);
            return res;
        }
    }
    return SHELL_CLI_OK;
}

void shell_cli_free(CoreConfig *cfg)
{
    hw_device_opts_free(cfg);
    be_drive_opts_free(cfg);
    be_object_opts_free(cfg);
}
