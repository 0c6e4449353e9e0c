/*
 * Block linking for the JIT (jit.c): a chained exit of one block's host
 * code is a jump patched to go straight into the next block's, through a
 * way in emitted when the link is made (way_in: the target's budget
 * check, then the exiting block's cached guest registers handed over in
 * host registers). The run loop makes links (rv_jit_link, for the exit
 * it was given in cpu->chain_slot); invalidating a block undoes every
 * link into it (rv_jit_unlink, from tb.c tb_kill), and a flush forgets
 * them with the code buffer. See docs/jit.md, "Chaining".
 */
#include "tcg/riscv/jit_int.h"
#include "tcg/x86_64/codebuf.h"

#include <inttypes.h>
#include <string.h>

static void link_patch(JitLink *l, const uint8_t *to)
{
    int32_t rel = (int32_t)(to - l->end);
    memcpy(l->site, &rel, sizeof(rel));
}

/* Room for a way in: the budget check, exit_idx, RV_JIT_NCACHE stores,
   RV_JIT_NCACHE moves or loads, the jump. */
#define WAY_IN_BYTES 160

/* What a way in does with the cache registers (--trace-jit's LINK line). */
typedef struct WayIn {
    unsigned kept, moved, stored, loaded;
    size_t len;   /* bytes of code */
} WayIn;

/* A link's way into its target, emitted in the code buffer when the link
   is made: the target's budget check (else the exit's `out`: x[] written
   back, the run loop goes on at the target), exit_idx = n as the run
   loop presets it if the target reads it (JitEntry.preset), then the exiting block's cache registers become the
   target's: the exiting block's registers newer than x[] are written
   back (so x[] is up to date at every block entry, as the target's
   code assumes), a guest register both keep in the same host register
   stays there (not loaded again: the store-to-load latency of the
   round trip through x[] was on the dependency chains of loops spanning
   blocks; the stores are not), one the target keeps elsewhere moves,
   and the target's other registers are loaded. Then the target's code
   after its own loads (JitEntry.warm). NULL if the buffer is full. */
static const uint8_t *way_in(RVCPU *cpu, const JitLink *l, const TB *tb,
                             WayIn *st)
{
    X86CodeBuf *cb = tb_cache_code(cpu->tbs);
    const JitEntry *to = (const JitEntry *)(const void *)
        (tb->host_chain - sizeof(JitEntry));
    uint8_t *w = x86_codebuf_room(cb, WAY_IN_BYTES);
    if (!w) {
        return NULL;
    }
    const uint8_t *base = x86_codebuf_base(cb);
    long at = (long)(x86_codebuf_rx(cb, w) - base);
    X86Emit e;
    x86_init(&e, w, WAY_IN_BYTES);
    X86Label out = X86_LABEL_AT((l->out - base) - at);
    X86Label warm = X86_LABEL_AT((to->warm - base) - at);
    x86_alu_ri(&e, true, X86_CMP, LEFT_REG, (int32_t)tb->n_insns);
    x86_jcc(&e, X86_CC_L, &out);
    if (to->preset) {
        rv_jit_store_imm32(&e, OFF(exit_idx), tb->n_insns);
    }
    *st = (WayIn){ 0 };
    for (unsigned k = 0; k < RV_JIT_NCACHE; k++) {
        int r = l->guest[k];
        if (r > 0 && (l->dirty >> r & 1)) {
            x86_store(&e, 8, rv_jit_cache_regs[k], CPU, XOFF(r));
            st->stored++;
        }
    }
    /* from[j]: the cache register holding the guest register the
       target keeps in rv_jit_cache_regs[j], or -1 (load it from x[]). */
    int from[RV_JIT_NCACHE];
    bool pending[RV_JIT_NCACHE];
    for (unsigned j = 0; j < RV_JIT_NCACHE; j++) {
        int r = to->guest[j];
        pending[j] = r > 0 && l->guest[j] != r;
        st->kept += r > 0 && l->guest[j] == r;
        from[j] = -1;
        for (unsigned i = 0; i < RV_JIT_NCACHE; i++) {
            if (r > 0 && l->guest[i] == r) {
                from[j] = (int)i;
            }
        }
    }
    /* Moves first; one into a register another pending move reads
       waits. In a cycle one of them loads from x[] instead (written back
       above if it was newer). */
    for (;;) {
        int pick = -1, cyc = -1;
        for (unsigned j = 0; j < RV_JIT_NCACHE && pick < 0; j++) {
            if (!pending[j] || from[j] < 0) {
                continue;
            }
            cyc = (int)j;
            bool read = false;
            for (unsigned i = 0; i < RV_JIT_NCACHE; i++) {
                read |= pending[i] && from[i] == (int)j;
            }
            if (!read) {
                pick = (int)j;
            }
        }
        if (pick < 0 && cyc < 0) {
            break;
        }
        if (pick < 0) {
            from[cyc] = -1;
            continue;
        }
        x86_mov_rr(&e, rv_jit_cache_regs[pick], rv_jit_cache_regs[from[pick]]);
        pending[pick] = false;
        st->moved++;
    }
    for (unsigned j = 0; j < RV_JIT_NCACHE; j++) {
        if (pending[j]) {
            x86_load(&e, rv_jit_cache_regs[j], CPU,
                     XOFF((unsigned)to->guest[j]));
            st->loaded++;
        }
    }
    x86_jmp(&e, &warm);
    if (e.overflow) {
        abort();   /* WAY_IN_BYTES is a bound: cannot happen */
    }
    st->len = e.len;
    const uint8_t *code = x86_codebuf_commit(cb, e.len);
    rv_jit_perf_map_name(code, e.len, "jit_link_%" PRIx64, tb->pc);
    return code;
}

void rv_jit_link(RVCPU *cpu, void *link, TB *tb)
{
    JitLink *l = link;
    if (l->target || !tb->valid || !tb->host_chain || tb->flags != l->flags) {
        return;
    }
    WayIn st;
    const uint8_t *in = way_in(cpu, l, tb, &st);
    if (!in) {
        return;   /* the buffer is full: the next translation flushes it */
    }
    l->target = tb;
    l->next = tb->jit_links;
    tb->jit_links = l;
    link_patch(l, in);
    if (CORE_UNLIKELY(cpu->jit_trace != NULL)) {
        fprintf(cpu->jit_trace, "LINK: to pc 0x%016" PRIx64 ": kept %u, "
                "moved %u, stored %u, loaded %u\n", tb->pc, st.kept,
                st.moved, st.stored, st.loaded);
        rv_jit_disas_host(cpu->jit_trace, in, st.len);
        fprintf(cpu->jit_trace, "\n");
    }
}

/* tb was invalidated (tb.c): every jump into it goes back to its miss
   path (a chained exit then asks the run loop again, a loop's back edge
   leaves). */
void rv_jit_unlink(void *code, TB *tb)
{
    (void)code;
    for (JitLink *l = tb->jit_links, *next; l; l = next) {
        next = l->next;
        link_patch(l, l->miss);
        l->target = NULL;
        l->next = NULL;
    }
    tb->jit_links = NULL;
}

void rv_jit_link_self(JitLink *l, TB *tb)
{
    l->target = tb;
    l->next = tb->jit_links;
    tb->jit_links = l;
}
