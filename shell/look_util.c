/*
 * look_util.c - what the looking commands share (shell/look_int.h): the
 * register list read from the target's description, memory reads that
 * change nothing, address expressions and symbol suffixes.
 *
 * Registers come through the target interface only (core/target.h): the
 * names, numbers and sizes from its gdb target description (GDB manual
 * G.2: <feature> elements holding <reg name bitsize regnum type group>),
 * the values from gdb_reg_read. So `regs` needs no code per architecture.
 */
#include "shell/look_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XML_MAX (128 * 1024)

/* The value of attribute `name` inside the tag [tag, end) into buf. */
static bool xml_attr(const char *tag, const char *end, const char *name,
                     char *buf, size_t len)
{
    size_t nlen = strlen(name);
    for (const char *p = tag; p + nlen + 2 < end; p++) {
        if ((p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n') &&
            strncmp(p, name, nlen) == 0 && p[nlen] == '=' &&
            p[nlen + 1] == '"') {
            const char *v = p + nlen + 2;
            const char *q = memchr(v, '"', (size_t)(end - v));
            if (!q || (size_t)(q - v) >= len) {
                return false;
            }
            memcpy(buf, v, (size_t)(q - v));
            buf[q - v] = 0;
            return true;
        }
    }
    return false;
}

static void parse_feature(const char *xml, LookReg **regs, size_t *n,
                          size_t *cap)
{
    char feature[48] = "";
    const char *f = strstr(xml, "<feature");
    if (f) {
        const char *fe = strchr(f, '>');
        char full[128];
        if (fe && xml_attr(f + 1, fe, "name", full, sizeof(full))) {
            const char *dot = strrchr(full, '.');
            g_strlcpy(feature, dot ? dot + 1 : full, sizeof(feature));
        }
    }
    for (const char *p = strstr(xml, "<reg "); p; p = strstr(p + 1, "<reg ")) {
        const char *end = strchr(p, '>');
        if (!end) {
            break;
        }
        char name[32], num[16], bits[16], type[32] = "";
        if (!xml_attr(p + 1, end, "name", name, sizeof(name)) ||
            !xml_attr(p + 1, end, "regnum", num, sizeof(num)) ||
            !xml_attr(p + 1, end, "bitsize", bits, sizeof(bits))) {
            continue;
        }
        xml_attr(p + 1, end, "type", type, sizeof(type));
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 128;
            *regs = realloc(*regs, *cap * sizeof(**regs));
            if (!*regs) {
                abort();
            }
        }
        LookReg *r = &(*regs)[(*n)++];
        memset(r, 0, sizeof(*r));
        snprintf(r->name, sizeof(r->name), "%s", name);
        snprintf(r->feature, sizeof(r->feature), "%s", feature);
        r->regnum = (unsigned)strtoul(num, NULL, 10);
        r->bitsize = (unsigned)strtoul(bits, NULL, 10);
        r->is_double = strstr(type, "double") != NULL;
    }
}

LookReg *look_reg_list(CoreMachine *m, void *cpu, size_t *n)
{
    char *top = malloc(XML_MAX), *sub = malloc(XML_MAX);
    if (!top || !sub) {
        abort();
    }
    LookReg *regs = NULL;
    size_t cap = 0;
    *n = 0;
    if (m->cpu_ops->gdb_xml(cpu, "target.xml", top, XML_MAX)) {
        /* Each included feature file, in the order target.xml names them. */
        for (const char *p = strstr(top, "href=\""); p;
             p = strstr(p + 1, "href=\"")) {
            const char *v = p + 6, *q = strchr(v, '"');
            char annex[64];
            if (!q || (size_t)(q - v) >= sizeof(annex)) {
                continue;
            }
            memcpy(annex, v, (size_t)(q - v));
            annex[q - v] = 0;
            if (m->cpu_ops->gdb_xml(cpu, annex, sub, XML_MAX)) {
                parse_feature(sub, &regs, n, &cap);
            }
        }
        parse_feature(top, &regs, n, &cap);   /* registers described inline */
    }
    free(top);
    free(sub);
    return regs;
}

bool look_read(CoreMachine *m, unsigned hart, bool phys, uint64_t addr,
               void *buf, size_t len, char *err, size_t errlen)
{
    if (len && addr + len - 1 < addr) {
        snprintf(err, errlen, "0x%" PRIx64 ": the range wraps around the "
                 "address space", addr);
        return false;
    }
    if (!phys) {
        size_t done = m->cpu_ops->mem_access(m->cpus[hart], addr, buf, len,
                                             false);
        if (done == len) {
            return true;
        }
        char how[64];
        m->cpu_ops->describe(m->cpus[hart], how, sizeof(how));
        snprintf(err, errlen, "0x%" PRIx64 ": not mapped for %s %u (%s) "
                 "or not memory", addr + done, m->cpu_ops->cpu_noun, hart,
                 how);
        return false;
    }
    uint8_t *p = buf;
    for (size_t done = 0; done < len;) {
        uint64_t a = addr + done;
        CoreMemRegion *r = core_mem_find(m->as, a);
        if (!r) {
            snprintf(err, errlen, "0x%" PRIx64 ": no memory or device at "
                     "this physical address", a);
            return false;
        }
        if (r->kind == CORE_MEM_MMIO) {
            snprintf(err, errlen, "0x%" PRIx64 ": device registers (%s), "
                     "not read: reading them has side effects (see "
                     "`devices` for their state)", a, r->name);
            return false;
        }
        uint64_t n = r->base + r->size - a;
        if (n > len - done) {
            n = len - done;
        }
        if (!core_mem_read_bytes(m->as, a, p + done, n)) {
            snprintf(err, errlen, "0x%" PRIx64 ": cannot read", a);
            return false;
        }
        done += n;
    }
    return true;
}

void look_sym_suffix(const SymTab *syms, uint64_t addr, char *buf,
                     size_t len)
{
    uint64_t off;
    const char *name = syms ? sym_by_addr(syms, addr, &off) : NULL;
    if (!name) {
        buf[0] = 0;
    } else if (off) {
        snprintf(buf, len, " <%s+%" PRIu64 ">", name, off);
    } else {
        snprintf(buf, len, " <%s>", name);
    }
}

bool look_parse_u64(const char *s, uint64_t *v)
{
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ') {
        return false;
    }
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 0);
    if (errno || *end) {
        return false;
    }
    *v = x;
    return true;
}

bool look_check_hart(CoreMachine *m, const char *cmd, const char *text,
                     unsigned *hart, ShOut *out)
{
    uint64_t h;
    if (!look_parse_u64(text, &h) || h >= m->ncpus) {
        sh_error(out, "%s: no %s %s (the machine has %ss 0..%u)", cmd,
                 m->cpu_ops->cpu_noun, text, m->cpu_ops->cpu_noun,
                 m->ncpus - 1);
        return false;
    }
    *hart = (unsigned)h;
    return true;
}

bool sh_look_eval_addr(CoreMachine *m, unsigned hart, const SymTab *syms,
                       const char *text, uint64_t *addr, char *err,
                       size_t errlen)
{
    char base[128];
    const char *op = NULL;
    /* The first + or - after the first character splits base and offset
       (symbols and registers hold neither). */
    for (const char *p = text + (text[0] ? 1 : 0); *p; p++) {
        if (*p == '+' || *p == '-') {
            op = p;
            break;
        }
    }
    size_t blen = op ? (size_t)(op - text) : strlen(text);
    if (blen == 0 || blen >= sizeof(base)) {
        snprintf(err, errlen, "'%s': not an address", text);
        return false;
    }
    memcpy(base, text, blen);
    base[blen] = 0;
    uint64_t v, off = 0;
    if (op && !look_parse_u64(op + 1, &off)) {
        snprintf(err, errlen, "'%s': bad offset '%s'", text, op + 1);
        return false;
    }
    if (base[0] == '$') {
        size_t n;
        LookReg *regs = look_reg_list(m, m->cpus[hart], &n);
        bool found = false;
        for (size_t i = 0; i < n && !found; i++) {
            unsigned size;
            if (strcmp(regs[i].name, base + 1) == 0) {
                found = m->cpu_ops->gdb_reg_read(m->cpus[hart],
                                                 regs[i].regnum, &v, &size);
            }
        }
        free(regs);
        if (!found) {
            snprintf(err, errlen, "'%s': no register %s", text, base + 1);
            return false;
        }
    } else if (base[0] >= '0' && base[0] <= '9') {
        if (!look_parse_u64(base, &v)) {
            snprintf(err, errlen, "'%s': not a number", text);
            return false;
        }
    } else if (!syms) {
        snprintf(err, errlen, "'%s': no symbols loaded (use `symbols FILE`)",
                 text);
        return false;
    } else if (!sym_by_name(syms, base, &v)) {
        snprintf(err, errlen, "'%s': no symbol %s", text, base);
        return false;
    }
    *addr = op && *op == '-' ? v - off : v + off;
    return true;
}
