/*
 * look_regs.c - `regs [HART]`, `hart [N]` and `symbols [FILE]`
 * (shell/look.h).
 *
 * The register listing groups registers by the feature of the target
 * description that holds them (cpu, fpu, virtual, csr, ...): the general
 * registers four to a line as QEMU's `info registers` prints them, FP
 * registers with their value as a double, then one NAME VALUE pair per
 * CSR, three to a line.
 */
#include "shell/look_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double as_double(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof(d));
    return d;
}

int sh_look_regs(CoreMachine *m, unsigned hart, const SymTab *syms,
                 int argc, char **argv, ShOut *out)
{
    if (argc > 2) {
        return sh_error(out, "regs: too many arguments (usage: regs [HART])");
    }
    if (argc == 2 && !look_check_hart(m, "regs", argv[1], &hart, out)) {
        return -1;
    }
    if (hart >= m->ncpus) {
        return sh_error(out, "regs: no %s %u", m->cpu_ops->cpu_noun, hart);
    }
    void *cpu = m->cpus[hart];
    size_t n;
    LookReg *regs = look_reg_list(m, cpu, &n);
    if (!regs) {
        return sh_error(out, "regs: the target describes no registers");
    }
    char how[64], sym[160];
    m->cpu_ops->describe(cpu, how, sizeof(how));
    gva_t pc = m->cpu_ops->pc(cpu);
    look_sym_suffix(syms, pc, sym, sizeof(sym));
    sh_printf(out, "%s %u  %s  pc 0x%016" PRIx64 "%s\n",
              m->cpu_ops->cpu_noun, hart, how, pc, sym);
    sh_json_u64(out, "hart", hart);
    sh_json_str(out, "state", how);
    sh_json_begin_object(out, "regs");
    const char *feature = NULL;
    unsigned col = 0, per_line = 4;
    for (size_t i = 0; i < n; i++) {
        const LookReg *r = &regs[i];
        uint64_t v;
        unsigned size;
        if (!m->cpu_ops->gdb_reg_read(cpu, r->regnum, &v, &size)) {
            continue;
        }
        if (!feature || strcmp(feature, r->feature) != 0) {
            if (col) {
                sh_printf(out, "\n");
            }
            col = 0;
            feature = r->feature;
            per_line = strcmp(feature, "cpu") == 0 ? 4
                     : strcmp(feature, "fpu") == 0 ? 2 : 3;
        }
        sh_json_u64(out, r->name, v);
        if (r->is_double) {
            sh_printf(out, "%s%-5s 0x%016" PRIx64 " %-14.8g", col ? " " : "",
                      r->name, v, as_double(v));
        } else if (r->bitsize <= 32) {
            sh_printf(out, "%s%-9s 0x%08" PRIx64 "        ", col ? " " : "",
                      r->name, v);
        } else if (per_line == 4) {
            sh_printf(out, "%s%-4s 0x%016" PRIx64, col ? "  " : "", r->name,
                      v);
        } else {
            sh_printf(out, "%s%-9s 0x%016" PRIx64, col ? " " : "", r->name,
                      v);
        }
        if (++col == per_line) {
            sh_printf(out, "\n");
            col = 0;
        }
    }
    if (col) {
        sh_printf(out, "\n");
    }
    sh_json_end(out);
    free(regs);
    return 0;
}

int sh_look_hart(CoreMachine *m, unsigned *hart, const SymTab *syms,
                 int argc, char **argv, ShOut *out)
{
    const char *noun = m->cpu_ops->cpu_noun;
    if (argc > 2) {
        return sh_error(out, "hart: too many arguments (usage: hart [N])");
    }
    if (argc == 2) {
        unsigned h;
        if (!look_check_hart(m, "hart", argv[1], &h, out)) {
            return -1;
        }
        *hart = h;
    }
    sh_json_u64(out, "hart", *hart);
    sh_json_begin_array(out, "harts");
    for (unsigned h = 0; h < m->ncpus; h++) {
        if (argc == 2 && h != *hart) {
            continue;
        }
        char how[64], sym[160];
        m->cpu_ops->describe(m->cpus[h], how, sizeof(how));
        gva_t pc = m->cpu_ops->pc(m->cpus[h]);
        look_sym_suffix(syms, pc, sym, sizeof(sym));
        sh_printf(out, "%s %s %u  %-12s pc 0x%016" PRIx64 "%s\n",
                  h == *hart ? "*" : " ", noun, h, how, pc, sym);
        sh_json_begin_object(out, NULL);
        sh_json_u64(out, "hart", h);
        sh_json_u64(out, "pc", pc);
        sh_json_str(out, "state", how);
        sh_json_str(out, "sym", sym[0] ? sym + 1 : NULL);
        sh_json_end(out);
    }
    sh_json_end(out);
    return 0;
}

int sh_look_symbols(SymTab **syms, int argc, char **argv, ShOut *out)
{
    if (argc > 2) {
        return sh_error(out, "symbols: usage: symbols [FILE]");
    }
    if (argc == 1) {
        size_t n = *syms ? sym_count(*syms) : 0;
        sh_printf(out, "%zu symbols loaded\n", n);
        sh_json_u64(out, "symbols", n);
        return 0;
    }
    char err[512];
    SymTab *t = sym_load(argv[1], err, sizeof(err));
    if (!t) {
        return sh_error(out, "symbols: %s", err);
    }
    sym_free(*syms);
    *syms = t;
    sh_printf(out, "%s: %zu symbols\n", argv[1], sym_count(t));
    sh_json_u64(out, "symbols", sym_count(t));
    sh_json_str(out, "file", argv[1]);
    return 0;
}
