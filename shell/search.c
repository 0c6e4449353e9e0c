/*
 * `last-write` and `history` (shell/search.h): argument parsing, the
 * address's translation, and the result as text and JSON. The search
 * itself is replay/lastwrite.c.
 */
#include "shell/search.h"
#include "replay/lastwrite.h"
#include "shell/trace_open.h"
#include "tcg/riscv/disas.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define HISTORY_DEFAULT 10
#define HISTORY_MAX 10000
#define LEN_DEFAULT 8

static bool parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 0);
    if (!*s || *end || errno || s[0] == '-') {
        return false;
    }
    *v = x;
    return true;
}

/* ADDR: a number, or SYMBOL[+OFFSET] through the resolver. */
static bool parse_addr(const char *text, ShResolveFn resolve, void *ropaque,
                       uint64_t *addr, ShOut *out)
{
    if (parse_u64(text, addr)) {
        return true;
    }
    char name[256];
    const char *plus = strchr(text, '+');
    size_t n = plus ? (size_t)(plus - text) : strlen(text);
    uint64_t off = 0;
    if (n == 0 || n >= sizeof(name) || (plus && !parse_u64(plus + 1, &off))) {
        sh_error(out, "bad address '%s' (a number, or SYMBOL[+OFFSET])", text);
        return false;
    }
    memcpy(name, text, n);
    name[n] = 0;
    if (!resolve) {
        sh_error(out, "bad address '%s': not a number, and no symbols are "
                 "loaded", text);
        return false;
    }
    if (!resolve(ropaque, name, addr)) {
        sh_error(out, "no symbol '%s'", name);
        return false;
    }
    *addr += off;
    return true;
}

static void hex_bytes(char *dst, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sprintf(dst + 2 * i, "%02x", b[i]);
    }
    dst[2 * n] = 0;
}

/* A little-endian value of up to 8 bytes, as a number a person reads. */
static void value_text(char *dst, size_t cap, const uint8_t *b, unsigned n)
{
    if (n > 8) {
        char hex[2 * RR_WRITE_VALUE_MAX + 1];
        hex_bytes(hex, b, n);
        snprintf(dst, cap, "bytes %s", hex);
        return;
    }
    uint64_t v = 0;
    for (unsigned i = n; i-- > 0;) {
        v = v << 8 | b[i];
    }
    snprintf(dst, cap, "0x%0*" PRIx64, (int)(2 * n), v);
}

static void print_write(ShOut *out, const RRWrite *w, unsigned vlen)
{
    sh_json_begin_object(out, NULL);
    sh_json_u64(out, "icount", w->icount);
    if (w->dma) {
        sh_json_str(out, "kind", "dma");
        sh_json_str(out, "device", w->device);
        sh_json_u64(out, "paddr", w->paddr);
        sh_printf(out, "  icount %" PRIu64 "  DMA by %s at physical 0x%"
                  PRIx64, w->icount, w->device, w->paddr);
    } else {
        char insn[9] = "", dis[RV_DISAS_MAX] = "?";
        uint32_t raw = 0;
        if (w->insn_len) {
            hex_bytes(insn, w->insn, w->insn_len);
            for (unsigned i = w->insn_len; i-- > 0;) {
                raw = raw << 8 | w->insn[i];
            }
            rv_disas(dis, sizeof(dis), raw, w->pc);
        }
        sh_json_str(out, "kind", w->walk ? "walk" : "cpu");
        sh_json_u64(out, "hart", w->hart);
        sh_json_u64(out, "pc", w->pc);
        sh_json_str(out, "insn", insn);
        sh_json_str(out, "disas", w->insn_len ? dis : NULL);
        if (w->walk) {
            sh_json_u64(out, "paddr", w->paddr);
        }
        sh_printf(out, "  icount %" PRIu64 "  hart %u  pc 0x%" PRIx64
                  "  %0*" PRIx32 "  %s", w->icount, w->hart, w->pc,
                  (int)(2 * (w->insn_len ? w->insn_len : 2)), raw,
                  w->insn_len ? dis : "(instruction not readable)");
        if (w->walk) {
            /* Not the instruction's own store: its access made the
               hart's page walker set A/D bits in a PTE. */
            sh_printf(out, "  (page walk: A/D bits at physical 0x%" PRIx64
                      ")", w->paddr);
        }
    }
    if (w->have_values) {
        char a[2 * RR_WRITE_VALUE_MAX + 8], b[2 * RR_WRITE_VALUE_MAX + 8];
        value_text(a, sizeof(a), w->old_bytes, vlen);
        value_text(b, sizeof(b), w->new_bytes, vlen);
        sh_printf(out, "  %s -> %s", a, b);
        hex_bytes(a, w->old_bytes, vlen);
        hex_bytes(b, w->new_bytes, vlen);
        sh_json_str(out, "old", a);
        sh_json_str(out, "new", b);
    }
    sh_printf(out, "\n");
    sh_json_end(out);
}

/* Both commands: [-p] ADDR then up to two numbers (history: N LEN,
   last-write: LEN). */
static int search(RRSession *s, CoreMachine *m, unsigned hart,
                  ShResolveFn resolve, void *ropaque, int argc, char **argv,
                  ShOut *out, bool history)
{
    const char *cmd = argc > 0 ? argv[0] : (history ? "history" : "last-write");
    const char *usage = history ? "history [-p] ADDR [N [LEN]]"
                                : "last-write [-p] ADDR [LEN]";
    bool phys = false;
    const char *pos[3];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-p") == 0) {
            phys = true;
        } else if (npos < (history ? 3 : 2)) {
            pos[npos++] = argv[i];
        } else {
            return sh_error(out, "%s: unexpected '%s' (usage: %s)", cmd,
                            argv[i], usage);
        }
    }
    if (npos == 0) {
        return sh_error(out, "%s: give an address (usage: %s)", cmd, usage);
    }
    uint64_t addr, len = LEN_DEFAULT, n = history ? HISTORY_DEFAULT : 1;
    if (!parse_addr(pos[0], resolve, ropaque, &addr, out)) {
        return -1;
    }
    const char *len_arg = history ? (npos > 2 ? pos[2] : NULL)
                                  : (npos > 1 ? pos[1] : NULL);
    if (history && npos > 1 &&
        (!parse_u64(pos[1], &n) || n == 0 || n > HISTORY_MAX)) {
        return sh_error(out, "%s: bad count '%s' (1 to %d)", cmd, pos[1],
                        HISTORY_MAX);
    }
    if (len_arg && (!parse_u64(len_arg, &len) || len == 0 ||
                    len > CORE_PAGE_SIZE)) {
        return sh_error(out, "%s: bad length '%s' (1 to %llu bytes)", cmd,
                        len_arg, (unsigned long long)CORE_PAGE_SIZE);
    }
    if (!s || !m) {
        return sh_error(out, "%s needs a replay (a trace): there is no "
                        "history to search", cmd);
    }
    uint64_t paddr = addr;
    char err[512];
    if (!phys) {
        uint64_t plast;
        if (!rr_translate(m, hart, addr, &paddr, err, sizeof(err)) ||
            !rr_translate(m, hart, addr + len - 1, &plast, err, sizeof(err))) {
            return sh_error(out, "%s: %s", cmd, err);
        }
        if (plast != paddr + len - 1) {
            return sh_error(out, "%s: 0x%" PRIx64 "..0x%" PRIx64 " crosses "
                            "pages that are not contiguous in physical memory: "
                            "ask for each page", cmd, addr, addr + len - 1);
        }
    }
    RRWrite *w = calloc(n, sizeof(*w));
    if (!w) {
        return sh_error(out, "%s: out of memory", cmd);
    }
    RRWriteStats st;
    uint64_t at = m->icount;
    long found = rr_find_writes(s, paddr, len, n, w, &st, err, sizeof(err));
    if (found < 0) {
        free(w);
        return sh_error(out, "%s: %s", cmd, err);
    }
    sh_json_u64(out, "addr", addr);
    sh_json_u64(out, "paddr", paddr);
    sh_json_u64(out, "len", len);
    sh_json_u64(out, "icount", at);
    sh_json_u64(out, "intervals", st.intervals);
    sh_json_u64(out, "searched_from", st.searched_from);
    /* Where the session is left: the tests compare it with a seek. */
    char hash[17];
    snprintf(hash, sizeof(hash), "%016" PRIx64, core_machine_state_hash(m));
    sh_json_str(out, "state_hash", hash);
    char where[96];
    if (phys) {
        snprintf(where, sizeof(where), "physical 0x%" PRIx64, paddr);
    } else {
        snprintf(where, sizeof(where), "0x%" PRIx64 " (physical 0x%" PRIx64
                 ")", addr, paddr);
    }
    if (found == 0) {
        sh_printf(out, "no write to %s, %" PRIu64 " bytes, before icount %"
                  PRIu64 " since the trace began\n", where, len, at);
    } else if (history) {
        sh_printf(out, "last %ld write%s to %s, %" PRIu64 " bytes, before "
                  "icount %" PRIu64 " (oldest first):\n", found,
                  found == 1 ? "" : "s", where, len, at);
    } else {
        sh_printf(out, "last write to %s, %" PRIu64 " bytes, before icount %"
                  PRIu64 ":\n", where, len, at);
    }
    sh_json_begin_array(out, "writes");
    for (long i = 0; i < found; i++) {
        print_write(out, &w[i], len <= RR_WRITE_VALUE_MAX ? (unsigned)len : 0);
    }
    sh_json_end(out);
    free(w);
    return 0;
}

int sh_search_last_write(RRSession *s, CoreMachine *m, unsigned hart,
                         ShResolveFn resolve, void *ropaque, int argc,
                         char **argv, ShOut *out)
{
    return search(s, m, hart, resolve, ropaque, argc, argv, out, false);
}

int sh_search_history(RRSession *s, CoreMachine *m, unsigned hart,
                      ShResolveFn resolve, void *ropaque, int argc,
                      char **argv, ShOut *out)
{
    return search(s, m, hart, resolve, ropaque, argc, argv, out, true);
}

int sh_search_cmd(const char *cmd, int argc, char **argv)
{
    bool history = strcmp(cmd, "history") == 0;
    const char *dir = NULL, *at_arg = NULL;
    uint64_t hart = 0;
    bool json = false;
    char **rest = calloc((size_t)argc + 2, sizeof(char *));
    int n = 0;
    rest[n++] = (char *)cmd;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--hart") == 0 && i + 1 < argc) {
            if (!parse_u64(argv[++i], &hart) || hart > 1024) {
                fprintf(stderr, "rewind: %s: --hart: invalid number '%s'\n",
                        cmd, argv[i]);
                free(rest);
                return 1;
            }
        } else if (!dir) {
            dir = argv[i];
        } else if (!at_arg) {
            at_arg = argv[i];
        } else {
            rest[n++] = argv[i];
        }
    }
    uint64_t at = 0;
    if (!dir || !at_arg || n < 2 ||
        (strcmp(at_arg, "end") != 0 && !parse_u64(at_arg, &at))) {
        fprintf(stderr, "rewind: usage: rewind %s DIR ICOUNT|end [-p] "
                "[--hart N] [--json] %s\n", cmd,
                history ? "ADDR [N [LEN]]" : "ADDR [LEN]");
        free(rest);
        return 1;
    }
    ShTrace t;
    char err[1024];
    if (!sh_trace_open(dir, &t, err, sizeof(err))) {
        fprintf(stderr, "rewind: %s\n", err);
        free(rest);
        return 2;
    }
    if (strcmp(at_arg, "end") == 0) {
        at = rr_trace_end(t.s);
    }
    int status = 0;
    rr_search_keep_points(t.s);
    if (rr_seek(t.s, at, err, sizeof(err)) != 0) {
        fprintf(stderr, "rewind: %s: icount %" PRIu64 ": %s\n", dir, at, err);
        status = 2;
    } else {
        ShOut out;
        sh_out_init(&out);
        /* Host time of the search alone (not of opening the trace and
           going to ICOUNT): the latency figure. */
        gint64 t0 = g_get_monotonic_time();
        int rc = search(t.s, t.m, (unsigned)hart, NULL, NULL, n, rest, &out,
                        history);
        if (rc == 0) {
            sh_json_double(&out, "search_seconds",
                           (double)(g_get_monotonic_time() - t0) / 1e6);
        }
        sh_out_emit(&out, cmd, json, stdout, stderr);
        sh_out_free(&out);
        status = rc == 0 ? 0 : 1;
    }
    sh_trace_close(&t);
    free(rest);
    return status;
}
