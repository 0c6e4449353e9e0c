/*
 * look_test - the shell's looking commands (shell/look.h) on a machine
 * running tests/guest/look.c (its ELF is argv[1]): the program is run
 * until it spins in look_stop, then each command's text (and some of its
 * JSON) is checked against what the program put there. With LOOK_TEST_SHOW
 * set in the environment every command's output is printed.
 */
#include "check.h"
#include "core/machine.h"
#include "core/run.h"
#include "hw/registry.h"
#include "shell/look.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static CoreMachine *m;
static SymTab *syms;
static ShOut out;

/* Runs one command (words split at spaces); its text, or NULL if it failed
   (the error is in out.error). */
static const char *run(const char *line)
{
    char buf[256];
    char *argv[8];
    int argc = 0;
    snprintf(buf, sizeof(buf), "%s", line);
    for (char *t = strtok(buf, " "); t && argc < 8; t = strtok(NULL, " ")) {
        argv[argc++] = t;
    }
    static unsigned hart;
    sh_out_reset(&out);
    int rc;
    const char *cmd = argv[0];
    if (strncmp(cmd, "x", 1) == 0 && (cmd[1] == 0 || cmd[1] == '/')) {
        rc = sh_look_x(m, hart, syms, argc, argv, &out);
    } else if (strcmp(cmd, "regs") == 0) {
        rc = sh_look_regs(m, hart, syms, argc, argv, &out);
    } else if (strcmp(cmd, "disas") == 0) {
        rc = sh_look_disas(m, hart, syms, argc, argv, &out);
    } else if (strcmp(cmd, "backtrace") == 0) {
        rc = sh_look_backtrace(m, hart, syms, argc, argv, &out);
    } else if (strcmp(cmd, "hart") == 0) {
        rc = sh_look_hart(m, &hart, syms, argc, argv, &out);
    } else if (strcmp(cmd, "devices") == 0) {
        rc = sh_look_devices(m, argc, argv, &out);
    } else if (strcmp(cmd, "symbols") == 0) {
        rc = sh_look_symbols(&syms, argc, argv, &out);
    } else if (strcmp(cmd, "mtree") == 0) {
        rc = sh_look_mtree(m, argc, argv, &out);
    } else {
        fprintf(stderr, "look_test: no command %s\n", cmd);
        exit(2);
    }
    if (getenv("LOOK_TEST_SHOW")) {
        printf("(look) %s\n%s%s%s%s{%s}\n", line, out.text->str,
               rc ? "error: " : "", rc ? out.error->str : "", rc ? "\n" : "",
               out.json->str);
    }
    CHECK((rc != 0) == sh_failed(&out), ": %s: status and error agree", line);
    return rc ? NULL : out.text->str;
}

static bool has(const char *text, const char *want)
{
    return text && strstr(text, want) != NULL;
}

static uint64_t sym(const char *name)
{
    uint64_t a = 0;
    CHECK(sym_by_name(syms, name, &a), ": symbol %s in the ELF", name);
    return a;
}

static uint64_t reg(const char *name)
{
    char expr[40];
    uint64_t v = 0;
    char err[200];
    snprintf(expr, sizeof(expr), "$%s", name);
    CHECK(sh_look_eval_addr(m, 0, syms, expr, &v, err, sizeof(err)),
          ": %s", err);
    return v;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: look_test look.elf\n");
        return 2;
    }
    char err[512];
    /* The symbols of the -kernel ELF come automatically; a raw image
       gives none, without an error. */
    syms = sym_load_kernel(argv[1], err, sizeof(err));
    if (!syms) {
        fprintf(stderr, "look_test: %s\n", err);
        return 1;
    }
    err[0] = 'x';
    CHECK(!sym_load_kernel("/dev/null", err, sizeof(err)) && err[0] == 0,
          ": not an ELF: no symbols, no error");
    CoreConfig cfg = { .machine = "virt", .cpu = "rv64", .ram_size = 64 << 20,
                       .smp = 2, .bios = "none", .kernel = argv[1],
                       .serial = "null", .icount_shift = 3,
                       .max_insns = 200000 };
    CHECK(hw_device_parse("virtio-rng-device,id=rng0", &cfg, err,
                          sizeof(err)) == HW_PARSE_OK, ": %s", err);
    m = core_machine_new(&cfg);
    if (!m || !core_machine_init(m, err, sizeof(err))) {
        fprintf(stderr, "look_test: machine: %s\n", err);
        return 1;
    }
    core_run(m);
    sh_out_init(&out);

    uint64_t stop = sym("look_stop"), msg = sym("look_msg");
    uint64_t words = sym("look_words");
    uint64_t pc = m->cpu_ops->pc(m->cpus[0]), off = 0;
    const char *in = sym_by_addr(syms, pc, &off);
    CHECK(in && strcmp(in, "look_stop") == 0, ": spinning in look_stop: "
          "pc 0x%" PRIx64 " in %s", pc, in ? in : "?");

    /* ---- regs ---- */
    const char *s = run("regs");
    CHECK(has(s, "hart 0  M-mode  pc 0x"), ": regs header");
    CHECK(has(s, "t6   0x000000005eed5eed"), ": t6 known");
    CHECK(has(s, "t5   0x0000000000000005"), ": t5 known");
    CHECK(has(s, "ft11  0x4014000000000000 5 "), ": ft11 = 5.0");
    CHECK(has(s, "zero 0x0000000000000000  ra   0x"), ": ABI names in order");
    CHECK(has(s, "mstatus   0x"), ": CSRs by name");
    CHECK(has(s, "mhartid   0x0000000000000000"), ": mhartid of hart 0");
    CHECK(has(s, "priv      0x0000000000000003"), ": M-mode priv");
    CHECK(has(out.json->str, "\"t6\":1592614637"), ": JSON t6");
    s = run("regs 1");
    CHECK(has(s, "hart 1  M-mode, wfi") && has(s, "mhartid   0x0000000000000001"),
          ": regs of hart 1");
    CHECK(!run("regs 2") && has(out.error->str, "regs: no hart 2 (the "
          "machine has harts 0..1)"), ": regs 2: %s", out.error->str);
    CHECK(!run("regs x"), ": regs x refused");

    /* ---- x ---- */
    s = run("x/s look_msg");
    char want[200];
    snprintf(want, sizeof(want), "0x%" PRIx64 " <look_msg>:\t\"hello, look\"\n",
             msg);
    CHECK(s && strcmp(s, want) == 0, ": x/s: '%s'", s ? s : out.error->str);
    s = run("x/4xw look_words");
    snprintf(want, sizeof(want), "0x%" PRIx64 " <look_words>:\t0x11223344\t"
             "0xdeadbeef\t0xfffffffe\t0x00000007\n", words);
    CHECK(s && strcmp(s, want) == 0, ": x/4xw: '%s'", s);
    s = run("x/2dw look_words+8");
    snprintf(want, sizeof(want), "0x%" PRIx64 " <look_words+8>:\t-2\t7\n",
             words + 8);
    CHECK(s && strcmp(s, want) == 0, ": x/2dw: '%s'", s);
    s = run("x/uw look_words+8");
    CHECK(has(s, ":\t4294967294\n"), ": x/uw: '%s'", s);
    s = run("x/2xg look_words");
    CHECK(has(s, ":\t0xdeadbeef11223344\t0x00000007fffffffe\n"), ": x/2xg");
    s = run("x/3c look_msg");
    CHECK(has(s, ":\t104 'h'\t101 'e'\t108 'l'\n"), ": x/3c: '%s'", s);
    s = run("x/5xb look_msg");
    CHECK(has(s, ":\t0x68\t0x65\t0x6c\t0x6c\t0x6f\n"), ": x/5xb: '%s'", s);
    s = run("x/2xh look_words");
    CHECK(has(s, ":\t0x3344\t0x1122\n"), ": x/2xh: '%s'", s);
    s = run("x/sp look_msg");
    CHECK(has(s, "\"hello, look\""), ": physical x/s");
    s = run("x/2i $pc");
    snprintf(want, sizeof(want), "=> 0x%016" PRIx64 " <look_stop+%" PRIu64
             ">:  000e2e83  lw t4,0(t3)\n", pc, pc - stop);
    CHECK(has(s, want) && has(s, "fe0e9ee3  bne t4,zero,"), ": x/2i at pc: "
          "'%s'", s);
    CHECK(!run("x/xw 0x200") && has(out.error->str, "x: 0x200: not mapped "
          "for hart 0 (M-mode)"), ": unmapped: %s", out.error->str);
    CHECK(!run("x/xwp 0x10000000") && has(out.error->str, "x: 0x10000000: "
          "device registers (uart16550), not read"), ": MMIO: %s",
          out.error->str);
    CHECK(!run("x/xwp 0x90000000") && has(out.error->str, "0x90000000: no "
          "memory"), ": past RAM: %s", out.error->str);
    CHECK(!run("x/q look_msg") && has(out.error->str, "unknown format "
          "letter 'q'"), ": bad format: %s", out.error->str);
    CHECK(!run("x/s no_such_symbol") && has(out.error->str, "no symbol "
          "no_such_symbol"), ": bad symbol: %s", out.error->str);
    CHECK(!run("x/s $nosuchreg") && has(out.error->str, "no register "
          "nosuchreg"), ": bad register: %s", out.error->str);
    CHECK(!run("x/0x look_msg"), ": count 0 refused");
    CHECK(!run("x"), ": x without an address refused");

    s = run("x/xg $sp");
    CHECK(s && !strchr(s, '<'), ": a stack address has no symbol (linker "
          "labels end with their section): '%s'", s);

    /* ---- disas ---- */
    s = run("disas");
    snprintf(want, sizeof(want), "=> 0x%016" PRIx64 " <look_stop+%" PRIu64
             ">:  ", pc, pc - stop);
    CHECK(has(s, want), ": disas marks pc: '%s'", s);
    CHECK(has(s, ">:  000e2e83  lw t4,0(t3)\n"), ": the spin loop's load: "
          "'%s'", s);
    s = run("disas look_stop 4");
    snprintf(want, sizeof(want), "   0x%016" PRIx64 " <look_stop>:  ", stop);
    CHECK(has(s, want), ": disas at a symbol: '%s'", s);
    unsigned lines = 0;
    for (const char *p = s; p && *p; p++) {
        lines += *p == '\n';
    }
    CHECK(lines == 4, ": 4 lines, got %u", lines);
    CHECK(has(s, "lui t6,0x5eed6\n"), ": known first instruction: '%s'", s);
    CHECK(!run("disas 0x200") && has(out.error->str, "0x200: not mapped"),
          ": disas unmapped: %s", out.error->str);
    CHECK(!run("disas look_stop 0"), ": disas N=0 refused");

    /* ---- backtrace ---- */
    s = run("backtrace");
    const char *order[] = { "in look_stop+", "in look_inner+", "in "
        "look_middle+", "in look_outer+", "in main+", "in _start+" };
    const char *at = s;
    for (size_t i = 0; i < 6; i++) {
        const char *f = at ? strstr(at, order[i]) : NULL;
        char num[8];
        snprintf(num, sizeof(num), "#%-2zu ", i);
        CHECK(f && has(s, num), ": frame %zu %s: '%s'", i, order[i], s);
        at = f;
    }
    CHECK(has(s, "(fp is 0: outermost frame)"), ": walk ends at fp 0: '%s'",
          s);
    s = run("backtrace 2");
    CHECK(has(s, "#1 ") && !has(s, "#2 ") && has(s, "stopped after 2"),
          ": backtrace 2: '%s'", s);

    /* ---- hart ---- */
    s = run("hart");
    CHECK(has(s, "* hart 0  M-mode") && has(s, "  hart 1  M-mode, wfi") &&
          has(s, "<look_stop+"), ": hart list: '%s'", s);
    s = run("hart 1");
    CHECK(has(s, "* hart 1"), ": hart 1 current");
    s = run("hart");
    CHECK(has(s, "  hart 0") && has(s, "* hart 1"), ": current moved");
    CHECK(!run("hart 7") && has(out.error->str, "no hart 7"), ": hart 7");
    run("hart 0");

    /* ---- devices and mtree ---- */
    s = run("devices");
    CHECK(has(s, "bus: main-system-bus\n"), ": qtree root");
    CHECK(has(s, "  dev: ns16550a, id \"serial0\"\n    mmio "
          "0x0000000010000000/0x100\n    irq 10\n    state uart16550"),
          ": the UART placed: '%s'", s);
    CHECK(has(s, "      ier = 0x"), ": UART state by field name");
    CHECK(has(s, "  dev: virtio-mmio, id \"virtio-mmio7\"\n    mmio "
          "0x0000000010008000/0x1000\n    irq 8\n"), ": transport 7");
    CHECK(has(s, "    bus: virtio-bus\n      dev: virtio-rng-device, id "
          "\"rng0\"\n"), ": rng on transport 7's bus: '%s'", s);
    const char *rng = s ? strstr(s, "dev: virtio-rng-device") : NULL;
    const char *t7 = s ? strstr(s, "id \"virtio-mmio7\"") : NULL;
    const char *t6 = s ? strstr(s, "id \"virtio-mmio6\"") : NULL;
    CHECK(rng && t7 && t6 && t7 < rng && rng < t6 &&
          !strstr(rng + 1, "dev: virtio-rng-device"),
          ": rng listed once, under transport 7 only");
    CHECK(has(s, "dev: plic, id \"plic\"") && has(s, "dev: clint, id "
          "\"clint\""), ": interrupt controllers");
    CHECK(has(out.json->str, "{\"type\":\"ns16550a\",\"id\":\"serial0\","
          "\"bus\":\"main-system-bus\",\"base\":268435456,\"size\":256,"
          "\"irq\":10,\"state\":{"), ": JSON device");
    CHECK(has(out.json->str, "{\"type\":\"virtio-rng-device\",\"id\":\"rng0\","
          "\"bus\":\"virtio-bus\",\"base\":268468224,\"size\":4096,"
          "\"irq\":8}"), ": JSON virtio device on transport 7: its line");
    s = run("mtree");
    CHECK(has(s, "  0000000080000000-0000000083ffffff (prio 0, ram): ram\n"),
          ": RAM in mtree: '%s'", s);
    CHECK(has(s, "  0000000000001000-000000000000ffff (prio 0, rom): mrom\n"),
          ": ROM in mtree");
    CHECK(has(s, "  0000000010000000-00000000100000ff (prio 0, i/o): "
          "uart16550\n"), ": UART in mtree");

    /* ---- through a page table (S-mode, Sv39) ---- */
    /* Root table at 0x80400000: VA 0x40000000 -> PA 0x80000000 (1 GiB,
       R+X+A, no W/D). Reading through it must not set D or change A. */
    uint64_t root = 0x80400000, pte = (0x80000000ull >> 12) << 10 |
                    0x1 | 0x2 | 0x8 | 0x40;   /* V R X A */
    CHECK(core_mem_write_bytes(m->as, root + 1 * 8, &pte, 8));
    uint64_t satp = 8ull << 60 | root >> 12;
    void *cpu = m->cpus[0];
    /* S-mode needs a PMP entry: pmpaddr0 NAPOT over everything, RWX. */
    CHECK(m->cpu_ops->gdb_reg_write(cpu, 65 + 0x3b0, ~0ull >> 10));
    CHECK(m->cpu_ops->gdb_reg_write(cpu, 65 + 0x3a0, 0x1f));
    CHECK(m->cpu_ops->gdb_reg_write(cpu, 65 + 0x180, satp), ": satp set");
    CHECK(m->cpu_ops->gdb_reg_write(cpu, 65 + 4096, 1), ": S-mode");
    snprintf(want, sizeof(want), "x/s 0x%" PRIx64, 0x40000000 + (msg -
             0x80000000));
    s = run(want);
    CHECK(has(s, "\"hello, look\""), ": x/s through Sv39: '%s'",
          s ? s : out.error->str);
    uint64_t after = 0;
    CHECK(core_mem_read_bytes(m->as, root + 8, &after, 8) && after == pte,
          ": PTE unchanged by the read: 0x%" PRIx64, after);
    CHECK(!run("x/xw 0x80000000") && has(out.error->str, "x: 0x80000000: "
          "not mapped for hart 0 (S-mode)"), ": unmapped VA: %s",
          out.error->str);
    s = run("x/sp look_msg");
    CHECK(has(s, "\"hello, look\""), ": x/p ignores the translation");
    CHECK(m->cpu_ops->gdb_reg_write(cpu, 65 + 4096, 3), ": back to M-mode");
    CHECK(m->cpu_ops->gdb_reg_write(cpu, 65 + 0x180, 0), ": satp off");
    CHECK(m->cpu_ops->gdb_reg_write(cpu, 65 + 0x3a0, 0), ": pmp off");
    CHECK(m->cpu_ops->gdb_reg_write(cpu, 65 + 0x3b0, 0));
    CHECK(reg("t6") == 0x5eed5eed, ": $t6");

    /* The looking changed nothing: the program finishes and passes. */
    uint32_t zero = 0;
    CHECK(core_mem_write_bytes(m->as, sym("look_spin"), &zero, 4));
    CoreConfig more = cfg;
    more.max_insns = 2000000;
    m->cfg = &more;
    m->exit_kind = CORE_EXIT_NONE;
    core_run(m);
    CHECK(m->exit_kind == CORE_EXIT_POWEROFF && m->exit_code == 0,
          ": the program passes after release: %s %d",
          core_exit_kind_name(m->exit_kind), m->exit_code);

    core_machine_free(m);
    hw_device_opts_free(&cfg);
    /* symbols FILE replaces the table; a bad file keeps it. */
    s = run("symbols");
    CHECK(s && strstr(s, " symbols loaded\n") && atoi(s) > 20, ": '%s'", s);
    CHECK(!run("symbols /nonexistent/System.map") &&
          has(out.error->str, "symbols: /nonexistent/System.map: "),
          ": %s", out.error->str);
    CHECK(syms && sym_by_name(syms, "look_stop", &off), ": table kept");
    char map[] = "/tmp/rewind-look-map-XXXXXX";
    int fd = mkstemp(map);
    const char text[] = "ffffffff80000000 T _stext\nffffffff80001000 T do_idle\n";
    CHECK(fd >= 0 && write(fd, text, sizeof(text) - 1) == sizeof(text) - 1);
    close(fd);
    snprintf(want, sizeof(want), "symbols %s", map);
    s = run(want);
    CHECK(has(s, ": 2 symbols\n"), ": '%s'", s ? s : out.error->str);
    CHECK(sym_by_name(syms, "do_idle", &off) && !sym_by_name(syms, "main", &off),
          ": the System.map replaced the ELF's symbols");
    unlink(map);
    sym_free(syms);
    sh_out_free(&out);
    return check_done("look_test");
}
