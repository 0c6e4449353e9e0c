/*
 * look_mem.c - `x/FMT ADDR`, `disas [ADDR] [N]` and `backtrace [N]`
 * (shell/look.h): guest memory, code and the call stack of a stopped
 * hart, read through look_read, which changes nothing in the guest.
 *
 * The frame-pointer walk follows the RISC-V psABI frame layout that GCC
 * and LLVM emit with -fno-omit-frame-pointer (and Linux's
 * arch/riscv/kernel/stacktrace.c walks): s0 points just above the saved
 * pair, the return address at s0-8 and the caller's s0 at s0-16. A leaf
 * function may save only s0, at s0-8; in frame 0 a value there that
 * looks like a frame pointer (aligned, above s0, on the stack: within
 * 1 MiB above sp, as Linux's fp_is_valid asks) means that, and the
 * caller's pc is the ra register. The walk stops at fp 0, at a frame
 * pointer that does not grow, and at one that leaves the stack (more
 * than 8 MiB above sp): the first frame of a kernel stack often holds
 * whatever the entry code left in s0.
 */
#include "shell/look_int.h"
#include "tcg/riscv/disas.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define X_MAX_COUNT 4096        /* items one x shows at most */
#define X_MAX_STRING 1024       /* bytes of one x/s string */
#define DISAS_DEFAULT 8
#define BT_DEFAULT 64
#define BT_LEAF_SPAN (1u << 20) /* a saved fp lies within 1 MiB above fp */
#define BT_STACK_SPAN (8u << 20) /* a stack is at most 8 MiB (Linux's
                                    default RLIMIT_STACK; kernel stacks
                                    are 16 KiB) */

/* ---- one instruction ---- */

/* Disassembles the instruction at addr into a line; its length, or 0
   (and err) if its bytes cannot be read. */
static unsigned disas_one(CoreMachine *m, unsigned hart, bool phys,
                          uint64_t addr, uint32_t *raw, char *text,
                          size_t len, char *err, size_t errlen)
{
    uint8_t b[4] = { 0 };
    if (!look_read(m, hart, phys, addr, b, 2, err, errlen)) {
        return 0;
    }
    unsigned ilen = (b[0] & 3) == 3 ? 4 : 2;
    if (ilen == 4 && !look_read(m, hart, phys, addr + 2, b + 2, 2, err,
                                errlen)) {
        return 0;
    }
    *raw = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
    rv_disas(text, len, *raw, addr);
    return ilen;
}

static void insn_line(ShOut *out, const SymTab *syms, uint64_t addr,
                      uint32_t raw, unsigned ilen, const char *text,
                      bool current)
{
    char sym[160];
    look_sym_suffix(syms, addr, sym, sizeof(sym));
    if (ilen == 2) {
        sh_printf(out, "%s0x%016" PRIx64 "%s:  %04x      %s\n",
                  current ? "=> " : "   ", addr, sym, raw & 0xffff, text);
    } else {
        sh_printf(out, "%s0x%016" PRIx64 "%s:  %08x  %s\n",
                  current ? "=> " : "   ", addr, sym, raw, text);
    }
    sh_json_begin_object(out, NULL);
    sh_json_u64(out, "addr", addr);
    sh_json_u64(out, "insn", ilen == 2 ? (raw & 0xffff) : raw);
    sh_json_u64(out, "len", ilen);
    sh_json_str(out, "text", text);
    sh_json_str(out, "sym", sym[0] ? sym + 1 : NULL);
    sh_json_bool(out, "current", current);
    sh_json_end(out);
}

/* ---- x ---- */

typedef struct XFmt {
    uint64_t count;
    char format;    /* x d u c s i */
    unsigned size;  /* 1 2 4 8 */
    bool phys;
    bool size_given;
} XFmt;

static bool parse_fmt(const char *f, XFmt *x, char *bad)
{
    *x = (XFmt){ .count = 1, .format = 'x', .size = 4 };
    if (!f) {
        return true;
    }
    const char *p = f;
    if (*p >= '0' && *p <= '9') {
        char *end;
        x->count = strtoull(p, &end, 10);
        p = end;
        if (x->count == 0 || x->count > X_MAX_COUNT) {
            *bad = '#';
            return false;
        }
    }
    for (; *p; p++) {
        switch (*p) {
        case 'x': case 'd': case 'u': case 'c': case 's': case 'i':
            x->format = *p;
            break;
        case 'b': x->size = 1; x->size_given = true; break;
        case 'h': x->size = 2; x->size_given = true; break;
        case 'w': x->size = 4; x->size_given = true; break;
        case 'g': x->size = 8; x->size_given = true; break;
        case 'p': x->phys = true; break;
        default:
            *bad = *p;
            return false;
        }
    }
    if (x->format == 'c' && !x->size_given) {
        x->size = 1;
    }
    return true;
}

/* c as gdb shows a character: 'a', '\n', '\003'. */
static void char_repr(unsigned c, char *buf, size_t len)
{
    switch (c) {
    case '\n': snprintf(buf, len, "\\n"); return;
    case '\t': snprintf(buf, len, "\\t"); return;
    case '\r': snprintf(buf, len, "\\r"); return;
    case '\\': snprintf(buf, len, "\\\\"); return;
    case '"': snprintf(buf, len, "\\\""); return;
    case '\'': snprintf(buf, len, "\\'"); return;
    default: break;
    }
    if (c >= 0x20 && c < 0x7f) {
        snprintf(buf, len, "%c", (char)c);
    } else {
        snprintf(buf, len, "\\%03o", c & 0xff);
    }
}

static int x_strings(CoreMachine *m, unsigned hart, const SymTab *syms,
                     const XFmt *f, uint64_t addr, ShOut *out)
{
    char err[256];
    sh_json_begin_array(out, "strings");
    for (uint64_t i = 0; i < f->count; i++) {
        GString *s = g_string_new(NULL), *raw = g_string_new(NULL);
        uint64_t start = addr;
        bool ok = true, ended = false;
        while (addr - start < X_MAX_STRING) {
            uint8_t c;
            if (!look_read(m, hart, f->phys, addr, &c, 1, err, sizeof(err))) {
                ok = false;
                break;
            }
            addr++;
            if (c == 0) {
                ended = true;
                break;
            }
            char r[8];
            char_repr(c, r, sizeof(r));
            g_string_append(s, r);
            g_string_append_c(raw, (char)c);
        }
        char sym[160];
        look_sym_suffix(syms, start, sym, sizeof(sym));
        if (ok || s->len) {
            sh_printf(out, "0x%" PRIx64 "%s:\t\"%s\"%s\n", start, sym, s->str,
                      ended ? "" : "...");
            sh_json_str(out, NULL, raw->str);
        }
        g_string_free(s, TRUE);
        g_string_free(raw, TRUE);
        if (!ok) {
            sh_json_end(out);
            return sh_error(out, "x: %s", err);
        }
    }
    sh_json_end(out);
    return 0;
}

int sh_look_x(CoreMachine *m, unsigned hart, const SymTab *syms,
              int argc, char **argv, ShOut *out)
{
    const char *slash = strchr(argv[0], '/');
    XFmt f;
    char bad = 0, err[256];
    if (!parse_fmt(slash ? slash + 1 : NULL, &f, &bad)) {
        if (bad == '#') {
            return sh_error(out, "x: count must be 1..%d", X_MAX_COUNT);
        }
        return sh_error(out, "x: unknown format letter '%c' in '%s' (count, "
                        "then x d u c s i, b h w g, p for physical)", bad,
                        argv[0]);
    }
    if (argc != 2) {
        return sh_error(out, "x: usage: x[/FMT] ADDR");
    }
    uint64_t addr;
    if (!sh_look_eval_addr(m, hart, syms, argv[1], &addr, err, sizeof(err))) {
        return sh_error(out, "x: %s", err);
    }
    sh_json_u64(out, "addr", addr);
    sh_json_bool(out, "physical", f.phys);
    if (f.format == 's') {
        return x_strings(m, hart, syms, &f, addr, out);
    }
    if (f.format == 'i') {
        sh_json_begin_array(out, "insns");
        gva_t pc = m->cpu_ops->pc(m->cpus[hart]);
        for (uint64_t i = 0; i < f.count; i++) {
            uint32_t raw;
            char text[RV_DISAS_MAX];
            unsigned ilen = disas_one(m, hart, f.phys, addr, &raw, text,
                                      sizeof(text), err, sizeof(err));
            if (!ilen) {
                sh_json_end(out);
                return sh_error(out, "x: %s", err);
            }
            insn_line(out, syms, addr, raw, ilen, text, !f.phys && addr == pc);
            addr += ilen;
        }
        sh_json_end(out);
        return 0;
    }
    unsigned per_line = f.format == 'c' ? 8 : f.size == 8 ? 2
                      : f.size == 4 ? 4 : 8;
    sh_json_begin_array(out, "values");
    for (uint64_t i = 0; i < f.count; i++) {
        uint64_t a = addr + i * f.size;
        uint8_t b[8];
        if (!look_read(m, hart, f.phys, a, b, f.size, err, sizeof(err))) {
            if (i % per_line) {
                sh_printf(out, "\n");
            }
            sh_json_end(out);
            return sh_error(out, "x: %s", err);
        }
        uint64_t v = 0;
        for (unsigned k = 0; k < f.size; k++) {
            v |= (uint64_t)b[k] << (8 * k);
        }
        unsigned bits = f.size * 8;
        int64_t sv = bits == 64 ? (int64_t)v
                   : (int64_t)(v << (64 - bits)) >> (64 - bits);
        if (i % per_line == 0) {
            char sym[160];
            look_sym_suffix(syms, a, sym, sizeof(sym));
            sh_printf(out, "%s0x%" PRIx64 "%s:", i ? "\n" : "", a, sym);
        }
        char r[8];
        switch (f.format) {
        case 'd':
            sh_printf(out, "\t%" PRId64, sv);
            sh_json_i64(out, NULL, sv);
            break;
        case 'u':
            sh_printf(out, "\t%" PRIu64, v);
            sh_json_u64(out, NULL, v);
            break;
        case 'c':
            char_repr((unsigned)(v & 0xff), r, sizeof(r));
            sh_printf(out, "\t%" PRId64 " '%s'", sv, r);
            sh_json_i64(out, NULL, sv);
            break;
        default:
            sh_printf(out, "\t0x%0*" PRIx64, (int)(f.size * 2), v);
            sh_json_u64(out, NULL, v);
            break;
        }
    }
    sh_printf(out, "\n");
    sh_json_end(out);
    return 0;
}

/* ---- disas ---- */

int sh_look_disas(CoreMachine *m, unsigned hart, const SymTab *syms,
                  int argc, char **argv, ShOut *out)
{
    char err[256];
    gva_t pc = m->cpu_ops->pc(m->cpus[hart]);
    uint64_t addr = pc, n = DISAS_DEFAULT;
    if (argc > 3) {
        return sh_error(out, "disas: usage: disas [ADDR] [N]");
    }
    if (argc >= 2 && !sh_look_eval_addr(m, hart, syms, argv[1], &addr, err,
                                        sizeof(err))) {
        return sh_error(out, "disas: %s", err);
    }
    if (argc == 3 && (!look_parse_u64(argv[2], &n) || n == 0 ||
                      n > X_MAX_COUNT)) {
        return sh_error(out, "disas: '%s': N must be 1..%d", argv[2],
                        X_MAX_COUNT);
    }
    if (addr & 1) {
        return sh_error(out, "disas: 0x%" PRIx64 ": instructions are at even "
                        "addresses", addr);
    }
    sh_json_u64(out, "addr", addr);
    sh_json_begin_array(out, "insns");
    for (uint64_t i = 0; i < n; i++) {
        uint32_t raw;
        char text[RV_DISAS_MAX];
        unsigned ilen = disas_one(m, hart, false, addr, &raw, text,
                                  sizeof(text), err, sizeof(err));
        if (!ilen) {
            sh_json_end(out);
            return sh_error(out, "disas: %s", err);
        }
        insn_line(out, syms, addr, raw, ilen, text, addr == pc);
        addr += ilen;
    }
    sh_json_end(out);
    return 0;
}

/* ---- backtrace ---- */

static bool reg_by_name(CoreMachine *m, unsigned hart, const LookReg *regs,
                        size_t n, const char *name, uint64_t *v)
{
    for (size_t i = 0; i < n; i++) {
        unsigned size;
        if (strcmp(regs[i].name, name) == 0) {
            return m->cpu_ops->gdb_reg_read(m->cpus[hart], regs[i].regnum, v,
                                            &size);
        }
    }
    return false;
}

static void frame_line(ShOut *out, const SymTab *syms, unsigned i,
                       uint64_t pc, uint64_t fp, bool is_return)
{
    /* A return address may lie just past its function (a call at the
       end of a noreturn path): name the byte before it. */
    uint64_t off = 0;
    const char *name = NULL;
    if (syms) {
        name = sym_by_addr(syms, is_return ? pc - 1 : pc, &off);
        off += is_return && name ? 1 : 0;
    }
    sh_printf(out, "#%-2u 0x%016" PRIx64, i, pc);
    if (name && off) {
        sh_printf(out, " in %s+%" PRIu64, name, off);
    } else if (name) {
        sh_printf(out, " in %s", name);
    }
    sh_printf(out, "\n");
    sh_json_begin_object(out, NULL);
    sh_json_u64(out, "pc", pc);
    sh_json_str(out, "sym", name);
    sh_json_u64(out, "off", off);
    sh_json_u64(out, "fp", fp);
    sh_json_end(out);
}

int sh_look_backtrace(CoreMachine *m, unsigned hart, const SymTab *syms,
                      int argc, char **argv, ShOut *out)
{
    uint64_t max = BT_DEFAULT;
    if (argc > 2 || (argc == 2 && (!look_parse_u64(argv[1], &max) ||
                                   max == 0))) {
        return sh_error(out, "backtrace: usage: backtrace [N] (N > 0)");
    }
    size_t nregs;
    LookReg *regs = look_reg_list(m, m->cpus[hart], &nregs);
    uint64_t fp, ra, sp;
    bool have = reg_by_name(m, hart, regs, nregs, "fp", &fp) ||
                reg_by_name(m, hart, regs, nregs, "s0", &fp);
    have = have && reg_by_name(m, hart, regs, nregs, "ra", &ra) &&
           reg_by_name(m, hart, regs, nregs, "sp", &sp);
    free(regs);
    if (!have) {
        return sh_error(out, "backtrace: the target has no fp/s0, ra and sp "
                        "registers");
    }
    gva_t pc = m->cpu_ops->pc(m->cpus[hart]);
    char why[300] = "";
    sh_json_begin_array(out, "frames");
    frame_line(out, syms, 0, pc, fp, false);
    unsigned n = 1;
    for (; n < max; n++) {
        uint64_t pair[2];   /* [fp-16] caller's fp, [fp-8] return address */
        char err[256];
        if (fp == 0) {
            snprintf(why, sizeof(why), "fp is 0: outermost frame");
            break;
        }
        if (fp & 7) {
            snprintf(why, sizeof(why), "fp 0x%" PRIx64 " is not 8-byte "
                     "aligned: not a frame pointer", fp);
            break;
        }
        if (fp < 16 || !look_read(m, hart, false, fp - 16, pair,
                                  sizeof(pair), err, sizeof(err))) {
            snprintf(why, sizeof(why), "cannot read the frame record below "
                     "fp 0x%" PRIx64 ": %s", fp, fp < 16 ? "fp < 16" : err);
            break;
        }
        uint64_t saved_ra = pair[1], saved_fp = pair[0];
        if (n == 1 && (saved_ra & 7) == 0 && saved_ra > fp &&
            saved_ra >= sp && saved_ra - sp < BT_LEAF_SPAN) {
            /* leaf: only fp saved, at fp-8; ra still holds the return */
            saved_fp = saved_ra;
            saved_ra = ra;
        }
        if (saved_ra == 0) {
            snprintf(why, sizeof(why), "return address 0: outermost frame");
            break;
        }
        frame_line(out, syms, n, saved_ra, saved_fp, true);
        if (saved_fp != 0 && saved_fp <= fp) {
            n++;
            snprintf(why, sizeof(why), "caller's fp 0x%" PRIx64 " is not "
                     "above fp 0x%" PRIx64 ": stack corrupt or not built with "
                     "frame pointers", saved_fp, fp);
            break;
        }
        if (saved_fp != 0 && saved_fp - sp >= BT_STACK_SPAN) {
            n++;
            snprintf(why, sizeof(why), "caller's fp 0x%" PRIx64 " is more "
                     "than 8 MiB above sp 0x%" PRIx64 ": not on this stack "
                     "(its first frame, or not built with frame pointers)",
                     saved_fp, sp);
            break;
        }
        fp = saved_fp;
    }
    if (!why[0]) {
        snprintf(why, sizeof(why), "stopped after %u frames", n);
    }
    sh_json_end(out);
    sh_printf(out, "(%s)\n", why);
    sh_json_str(out, "stop", why);
    return 0;
}
