/*
 * look_linux - the looking commands on Debian's riscv64 kernel (the guest
 * kit): the machine boots it for a given number of instructions, then
 * `hart`, `x` and `disas` through the kernel's own page tables and
 * `backtrace` by its frame pointers (Debian builds it with
 * CONFIG_FRAME_POINTER) are checked. Run by look_linux_test.py, which
 * provides the kit: look_linux IMAGE INITRD ICOUNT.
 */
#include "core/machine.h"
#include "core/run.h"
#include "shell/look.h"
#include "tests/unit/check.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KERNEL_TEXT UINT64_C(0xffffffff80000000) /* KERNEL_LINK_ADDR */
#define KERNEL_TEXT_END UINT64_C(0xffffffff84000000)
/* Where the virt board puts the kernel: the 2 MiB boundary after OpenSBI
   (hw/riscv/virt.c), 0x80200000 for the default fw_dynamic. */
#define KERNEL_PHYS UINT64_C(0x80200000)

static ShOut out;

static const char *run(CoreMachine *m, const char *line)
{
    char buf[128];
    char *argv[4];
    int argc = 0;
    snprintf(buf, sizeof(buf), "%s", line);
    for (char *t = strtok(buf, " "); t && argc < 4; t = strtok(NULL, " ")) {
        argv[argc++] = t;
    }
    unsigned hart = 0;
    sh_out_reset(&out);
    int rc = -1;
    if (strcmp(argv[0], "backtrace") == 0) {
        rc = sh_look_backtrace(m, 0, NULL, argc, argv, &out);
    } else if (strcmp(argv[0], "disas") == 0) {
        rc = sh_look_disas(m, 0, NULL, argc, argv, &out);
    } else if (strcmp(argv[0], "hart") == 0) {
        rc = sh_look_hart(m, &hart, NULL, argc, argv, &out);
    } else if (argv[0][0] == 'x') {
        rc = sh_look_x(m, 0, NULL, argc, argv, &out);
    }
    printf("(look) %s\n%s%s%s\n", line, out.text->str, rc ? "error: " : "",
           rc ? out.error->str : "");
    return rc ? NULL : out.text->str;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: look_linux IMAGE INITRD ICOUNT\n");
        return 2;
    }
    CoreConfig cfg = { .machine = "virt", .cpu = "rv64", .ram_size = 512 << 20,
                       .smp = 1, .kernel = argv[1], .initrd = argv[2],
                       .append = "console=ttyS0", .serial = "null",
                       .icount_shift = 3, .rtc_pinned = true,
                       .max_insns = strtoull(argv[3], NULL, 0) };
    char err[512];
    CoreMachine *m = core_machine_new(&cfg);
    if (!m || !core_machine_init(m, err, sizeof(err))) {
        fprintf(stderr, "look_linux: machine: %s\n", err);
        return 1;
    }
    core_run(m);
    sh_out_init(&out);
    uint64_t pc = m->cpu_ops->pc(m->cpus[0]);
    printf("icount %" PRIu64 ", pc 0x%" PRIx64 "\n", m->icount, pc);
    CHECK(pc >= KERNEL_TEXT && pc < KERNEL_TEXT_END,
          ": stopped in the kernel's text: 0x%" PRIx64, pc);
    const char *s = run(m, "hart");
    CHECK(s && strstr(s, "S-mode"), ": the kernel runs in S-mode");
    s = run(m, "x/2xw $pc");
    char virt[128] = "", cmd[64];
    const char *colon = s ? strchr(s, ':') : NULL;
    if (colon) {
        snprintf(virt, sizeof(virt), "%s", colon);
    }
    CHECK(virt[0], ": the kernel's text reads through its page tables");
    snprintf(cmd, sizeof(cmd), "x/2xwp 0x%" PRIx64,
             pc - KERNEL_TEXT + KERNEL_PHYS);
    s = run(m, cmd);
    CHECK(s && colon && strcmp(strchr(s, ':'), virt) == 0,
          ": the same bytes at the physical address: '%s' vs '%s'",
          s ? s : "", virt);
    s = run(m, "disas");
    CHECK(s && strstr(s, "=> 0x"), ": disas at the kernel's pc");
    s = run(m, "backtrace");
    unsigned frames = 0, in_text = 0;
    for (const char *p = s; p && (p = strstr(p, "\n#")) != NULL; p++) {
        uint64_t a = strtoull(p + 5, NULL, 16);
        frames++;
        in_text += a >= KERNEL_TEXT && a < KERNEL_TEXT_END;
    }
    CHECK(frames >= 3, ": at least 3 callers: %u", frames);
    CHECK(in_text == frames, ": every return address in the kernel's text "
          "(%u of %u)", in_text, frames);
    CHECK(s && strstr(s, "\n(") != NULL, ": the walk says why it ended");
    sh_out_free(&out);
    core_machine_free(m);
    return check_done("look_linux");
}
