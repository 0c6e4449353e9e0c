/*
 * The JIT's x86-64 emitter and W^X code buffer (tcg/x86_64/).
 *
 * Encodings are checked by disassembling them with capstone (the same
 * dependency --trace-jit uses), so every register class (rsp/r12 bases
 * need a SIB byte, rbp/r13 a displacement, r8-r15 a REX bit) is decoded by
 * an independent decoder; then small functions are built in the code
 * buffer and run. The buffer's views are checked for W^X in
 * /proc/self/maps, and an emitter given too little room must stop at its
 * end (run under ASan, a write past it would be caught).
 */
#include "tcg/x86_64/codebuf.h"
#include "tcg/x86_64/emit.h"
#include "check.h"

#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

static csh cs;

/* Disassembly of the emitter's bytes, one "mnemonic op_str" per line
   joined by "; ". */
static void text(const X86Emit *e, char *out, size_t cap)
{
    cs_insn *insn;
    size_t n = cs_disasm(cs, e->buf, e->len, 0x1000, 0, &insn);
    size_t used = 0;
    out[0] = 0;
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        used += (size_t)snprintf(out + used, cap - used, "%s%s%s%s",
                                 i ? "; " : "", insn[i].mnemonic,
                                 insn[i].op_str[0] ? " " : "",
                                 insn[i].op_str);
        bytes += insn[i].size;
        if (used >= cap) {
            break;
        }
    }
    if (bytes != e->len) {
        snprintf(out, cap, "(undecodable: %zu of %zu bytes)", bytes, e->len);
    }
    if (n) {
        cs_free(insn, n);
    }
}

#define ENC(want, ...)                                                    \
    do {                                                                  \
        uint8_t b[64];                                                    \
        X86Emit e;                                                        \
        char got[256];                                                    \
        x86_init(&e, b, sizeof(b));                                       \
        __VA_ARGS__;                                                      \
        text(&e, got, sizeof(got));                                       \
        CHECK(!e.overflow && strcmp(got, want) == 0, ": %s: got '%s'",    \
              want, got);                                                 \
    } while (0)

static void test_encodings(void)
{
    ENC("mov rax, qword ptr [rbx + 0x28]", x86_load(&e, X86_RAX, X86_RBX, 0x28));
    ENC("mov r8, qword ptr [rsp + 0x10]", x86_load(&e, X86_R8, X86_RSP, 16));
    ENC("mov rcx, qword ptr [r12]", x86_load(&e, X86_RCX, X86_R12, 0));
    ENC("mov rdx, qword ptr [rbp]", x86_load(&e, X86_RDX, X86_RBP, 0));
    ENC("mov r15, qword ptr [r13 + 0x1000]",
        x86_load(&e, X86_R15, X86_R13, 0x1000));
    ENC("mov eax, dword ptr [rbx - 8]", x86_load32(&e, X86_RAX, X86_RBX, -8));
    ENC("mov byte ptr [rax], sil", x86_store(&e, 1, X86_RSI, X86_RAX, 0));
    ENC("mov byte ptr [rax], dl", x86_store(&e, 1, X86_RDX, X86_RAX, 0));
    ENC("mov word ptr [r9 + 2], dx", x86_store(&e, 2, X86_RDX, X86_R9, 2));
    ENC("mov dword ptr [rax], r10d", x86_store(&e, 4, X86_R10, X86_RAX, 0));
    ENC("mov qword ptr [rbx + 0x100], rax",
        x86_store(&e, 8, X86_RAX, X86_RBX, 0x100));
    ENC("mov qword ptr [rbx + 8], -0x800",
        x86_store_imm(&e, X86_RBX, 8, -2048));
    ENC("movsx rax, byte ptr [rax]", x86_load_ext(&e, 1, true, X86_RAX, X86_RAX, 0));
    ENC("movzx rax, byte ptr [rax]", x86_load_ext(&e, 1, false, X86_RAX, X86_RAX, 0));
    ENC("movsx rcx, word ptr [rbx + 4]",
        x86_load_ext(&e, 2, true, X86_RCX, X86_RBX, 4));
    ENC("movzx rcx, word ptr [rbx + 4]",
        x86_load_ext(&e, 2, false, X86_RCX, X86_RBX, 4));
    ENC("movsxd rax, dword ptr [rax]", x86_load_ext(&e, 4, true, X86_RAX, X86_RAX, 0));
    ENC("mov eax, dword ptr [rax]", x86_load_ext(&e, 4, false, X86_RAX, X86_RAX, 0));
    ENC("movzx rbp, byte ptr [r13 + r9 - 0x400]",
        x86_load_ext_idx(&e, 1, false, X86_RBP, X86_R13, X86_R9, 1, -0x400));
    ENC("movsx r12, word ptr [rbp + r9]",
        x86_load_ext_idx(&e, 2, true, X86_R12, X86_RBP, X86_R9, 1, 0));
    ENC("movsxd rax, dword ptr [rax + r9 + 8]",
        x86_load_ext_idx(&e, 4, true, X86_RAX, X86_RAX, X86_R9, 1, 8));
    ENC("mov r14d, dword ptr [r12 + r9]",
        x86_load_ext_idx(&e, 4, false, X86_R14, X86_R12, X86_R9, 1, 0));
    ENC("mov r15, qword ptr [rax + r9 + 0x7ff]",
        x86_load_ext_idx(&e, 8, false, X86_R15, X86_RAX, X86_R9, 1, 0x7ff));
    ENC("mov rdx, qword ptr [r10 + rdx*8 + 0x18]",
        x86_load_ext_idx(&e, 8, false, X86_RDX, X86_R10, X86_RDX, 8, 0x18));
    ENC("mov byte ptr [rax + rdx - 1], bpl",
        x86_store_idx(&e, 1, X86_RBP, X86_RAX, X86_RDX, -1));
    ENC("mov byte ptr [r13 + rdx], cl",
        x86_store_idx(&e, 1, X86_RCX, X86_R13, X86_RDX, 0));
    ENC("mov word ptr [rbp + rdx + 0x10], r12w",
        x86_store_idx(&e, 2, X86_R12, X86_RBP, X86_RDX, 16));
    ENC("mov dword ptr [r12 + rdx], ecx",
        x86_store_idx(&e, 4, X86_RCX, X86_R12, X86_RDX, 0));
    ENC("mov qword ptr [rax + rdx + 0x7ff], r15",
        x86_store_idx(&e, 8, X86_R15, X86_RAX, X86_RDX, 0x7ff));
    ENC("movsxd r11, r11d", x86_sext32(&e, X86_R11));
    ENC("mov rdi, rbx", x86_mov_rr(&e, X86_RDI, X86_RBX));
    ENC("mov eax, 0x1000", x86_mov_imm(&e, X86_RAX, 0x1000));
    ENC("mov r9d, 0xffffffff", x86_mov_imm(&e, X86_R9, 0xffffffffu));
    ENC("mov rax, -0x80000000",
        x86_mov_imm(&e, X86_RAX, 0xffffffff80000000ull));
    ENC("movabs rsi, 0x123456789a", x86_mov_imm(&e, X86_RSI, 0x123456789aull));
    ENC("add rax, rcx", x86_alu_rr(&e, true, X86_ADD, X86_RAX, X86_RCX));
    ENC("sub r8d, eax", x86_alu_rr(&e, false, X86_SUB, X86_R8, X86_RAX));
    ENC("xor rax, qword ptr [rbx + 0x40]",
        x86_alu_rm(&e, true, X86_XOR, X86_RAX, X86_RBX, 0x40));
    ENC("cmp rdx, qword ptr [rcx]",
        x86_alu_rm(&e, true, X86_CMP, X86_RDX, X86_RCX, 0));
    ENC("and rdx, 0xfffffffffffff000",
        x86_alu_ri(&e, true, X86_AND, X86_RDX, -4096));
    ENC("or rax, 0x7f", x86_alu_ri(&e, true, X86_OR, X86_RAX, 127));
    ENC("add eax, 0x80", x86_alu_ri(&e, false, X86_ADD, X86_RAX, 128));
    ENC("shl rax, 0x3f", x86_shift_ri(&e, true, X86_SHL, X86_RAX, 63));
    ENC("sar r12d, 0x1f", x86_shift_ri(&e, false, X86_SAR, X86_R12, 31));
    ENC("shr rax, cl", x86_shift_cl(&e, true, X86_SHR, X86_RAX));
    ENC("imul rax, qword ptr [rbx + 0x10]", x86_imul_rm(&e, X86_RAX, X86_RBX, 16));
    ENC("imul r13, rcx", x86_imul_rr(&e, X86_R13, X86_RCX));
    ENC("imul rdx, rdx, 0x28", x86_imul_rri(&e, X86_RDX, X86_RDX, 40));
    ENC("mul rcx", x86_unary(&e, true, X86_MUL, X86_RCX));
    ENC("imul r12", x86_unary(&e, true, X86_IMUL1, X86_R12));
    ENC("div r15", x86_unary(&e, true, X86_DIV, X86_R15));
    ENC("idiv ecx", x86_unary(&e, false, X86_IDIV, X86_RCX));
    ENC("neg rax", x86_unary(&e, true, X86_NEG, X86_RAX));
    ENC("neg eax", x86_unary(&e, false, X86_NEG, X86_RAX));
    ENC("cqo", x86_cqo(&e, true));
    ENC("cdq", x86_cqo(&e, false));
    ENC("test eax, eax", x86_test_rr(&e, false, X86_RAX, X86_RAX));
    ENC("setl al; movzx eax, al", x86_setcc_zx(&e, X86_CC_L, X86_RAX));
    ENC("push rbx; push r12; pop r12; pop rbx; ret",
        x86_push(&e, X86_RBX); x86_push(&e, X86_R12); x86_pop(&e, X86_R12);
        x86_pop(&e, X86_RBX); x86_ret(&e));
    ENC("call rax", x86_call_reg(&e, X86_RAX));
    ENC("call r11", x86_call_reg(&e, X86_R11));
    ENC("jmp rax", x86_jmp_reg(&e, X86_RAX));
    ENC("add qword ptr [rbx + 0x208], rax",
        x86_alu_mr(&e, true, X86_ADD, X86_RBX, 0x208, X86_RAX));
    ENC("sub dword ptr [r12], r9d",
        x86_alu_mr(&e, false, X86_SUB, X86_R12, 0, X86_R9));
    ENC("jmp qword ptr [rcx + 0x30]", x86_jmp_mem(&e, X86_RCX, 0x30));
    ENC("lea rdx, [rax + 7]", x86_lea(&e, X86_RDX, X86_RAX, 7));
    ENC("lea r8, [r12 + 0x100]", x86_lea(&e, X86_R8, X86_R12, 0x100));
    ENC("lea rdx, [rdx + rdx*4]",
        x86_lea_idx(&e, X86_RDX, X86_RDX, X86_RDX, 4, 0));
    ENC("lea rax, [r13 + r9*8 - 8]",
        x86_lea_idx(&e, X86_RAX, X86_R13, X86_R9, 8, -8));
    ENC("cmp rdx, qword ptr [rcx + rax*8 + 0x208]",
        x86_alu_rm_idx(&e, true, X86_CMP, X86_RDX, X86_RCX, X86_RAX, 8, 0x208));
    ENC("add rax, qword ptr [rbp + rdx*8]",
        x86_alu_rm_idx(&e, true, X86_ADD, X86_RAX, X86_RBP, X86_RDX, 8, 0));
    ENC("add qword ptr [rbx + 0x208], 0x80",
        x86_alu_mi(&e, true, X86_ADD, X86_RBX, 0x208, 128));
    ENC("sub qword ptr [rbx + 8], 3", x86_alu_mi(&e, true, X86_SUB, X86_RBX, 8, 3));
    ENC("cmp dword ptr [rcx + 0x10], 0",
        x86_alu_mi(&e, false, X86_CMP, X86_RCX, 16, 0));
    /* A forward jcc and jmp to one label, and a backward jmp. */
    ENC("jne 0x100c; jmp 0x100c; nop; jmp 0x100c",
        X86Label l = X86_LABEL_INIT; x86_jcc(&e, X86_CC_NE, &l);
        x86_jmp(&e, &l); x86_byte(&e, 0x90); x86_bind(&e, &l);
        x86_jmp(&e, &l));
    /* A label bound before the buffer (code shared by blocks). */
    ENC("call 0xff0; jmp 0xff0",
        X86Label l = X86_LABEL_AT(-16); x86_call(&e, &l); x86_jmp(&e, &l));
    ENC("call 0x1005; call 0x1005",
        X86Label l = X86_LABEL_INIT; x86_call(&e, &l); x86_bind(&e, &l);
        x86_call(&e, &l));
}

/* Building and running functions in the code buffer. */
typedef int64_t (*Fn2)(int64_t, int64_t);

static Fn2 build(X86CodeBuf *cb, void (*gen)(X86Emit *))
{
    uint8_t *w = x86_codebuf_room(cb, 256);
    if (!w) {
        return NULL;
    }
    X86Emit e;
    x86_init(&e, w, 256);
    gen(&e);
    CHECK(!e.overflow);
    return (Fn2)(uintptr_t)x86_codebuf_commit(cb, e.len);
}

/* (a < b signed) ? a*b : (a >> 3) + 100, with a stack slot round-trip. */
static void gen_mix(X86Emit *e)
{
    X86Label ge = X86_LABEL_INIT, out = X86_LABEL_INIT;
    x86_push(e, X86_R12);
    x86_mov_rr(e, X86_R12, X86_RDI);
    x86_alu_rr(e, true, X86_CMP, X86_RDI, X86_RSI);
    x86_jcc(e, X86_CC_GE, &ge);
    x86_store(e, 8, X86_RSI, X86_RSP, -8);
    x86_mov_rr(e, X86_RAX, X86_R12);
    x86_imul_rm(e, X86_RAX, X86_RSP, -8);
    x86_jmp(e, &out);
    x86_bind(e, &ge);
    x86_mov_rr(e, X86_RAX, X86_R12);
    x86_shift_ri(e, true, X86_SAR, X86_RAX, 3);
    x86_alu_ri(e, true, X86_ADD, X86_RAX, 100);
    x86_bind(e, &out);
    x86_pop(e, X86_R12);
    x86_ret(e);
}

/* sext32(a + b) and the unsigned compare a < b in bit 32. */
static void gen_w(X86Emit *e)
{
    x86_mov_rr(e, X86_RAX, X86_RDI);
    x86_alu_rr(e, false, X86_ADD, X86_RAX, X86_RSI);
    x86_sext32(e, X86_RAX);
    x86_alu_rr(e, true, X86_CMP, X86_RDI, X86_RSI);
    x86_setcc_zx(e, X86_CC_B, X86_RCX);
    x86_shift_ri(e, true, X86_SHL, X86_RCX, 32);
    x86_alu_rr(e, true, X86_XOR, X86_RAX, X86_RCX);
    x86_ret(e);
}

static bool maps_have_wx(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) {
        return false;
    }
    char line[512];
    bool wx = false;
    while (fgets(line, sizeof(line), f)) {
        char perms[8] = "";
        if (strstr(line, "rewind-jit") &&
            sscanf(line, "%*s %7s", perms) == 1 &&
            perms[1] == 'w' && perms[2] == 'x') {
            wx = true;
        }
    }
    fclose(f);
    return wx;
}

static unsigned jit_views(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    unsigned n = 0;
    char line[512];
    while (f && fgets(line, sizeof(line), f)) {
        n += strstr(line, "rewind-jit") != NULL;
    }
    if (f) {
        fclose(f);
    }
    return n;
}

static void test_codebuf(void)
{
    char err[160] = "";
    X86CodeBuf *cb = x86_codebuf_new(8192, err, sizeof(err));
    CHECK(cb != NULL, ": %s", err);
    if (!cb) {
        return;
    }
    CHECK(jit_views() == 2, ": two views of the memfd, found %u", jit_views());
    CHECK(!maps_have_wx(), ": no view is writable and executable");
    Fn2 mix = build(cb, gen_mix);
    Fn2 w = build(cb, gen_w);
    CHECK(mix && w);
    if (mix && w) {
        CHECK(mix(3, 5) == 15);
        CHECK(mix(-7, 6) == -42);
        CHECK(mix(800, 5) == 200);
        CHECK(mix(-800, -900) == -100 + 100);
        CHECK(w(0x7fffffff, 1) == (int64_t)0xffffffff80000000ull);
        CHECK(w(1, 2) == ((1ll << 32) | 3));
        CHECK(w(-1, 1) == 0);
    }
    CHECK(x86_codebuf_used(cb) > 0 && x86_codebuf_used(cb) % 16 == 0);
    /* Filling up: room refuses what does not fit, reset empties. */
    CHECK(x86_codebuf_room(cb, 8192) == NULL);
    x86_codebuf_reset(cb);
    CHECK(x86_codebuf_used(cb) == 0);
    CHECK(x86_codebuf_room(cb, 8192) != NULL);
    Fn2 again = build(cb, gen_mix);
    CHECK(again && again(2, 4) == 8, ": rebuilt after a reset");
    x86_codebuf_free(cb);
    CHECK(jit_views() == 0, ": both views unmapped");
}

/* Whether the page of the code buffer's RW view at w is in memory. */
static bool resident(const uint8_t *w)
{
    unsigned char v = 0;
    uintptr_t page = (uintptr_t)w & ~(uintptr_t)4095;
    return mincore((void *)page, 4096, &v) == 0 && (v & 1);
}

/* The RW view is populated a 2 MiB chunk ahead of what room() hands out
   (one system call instead of a write fault per page), not all at once. */
static void test_codebuf_populated(void)
{
    void *probe = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    bool can = probe != MAP_FAILED &&
               madvise(probe, 4096, 23 /* MADV_POPULATE_WRITE */) == 0;
    if (probe != MAP_FAILED) {
        munmap(probe, 4096);
    }
    if (!can) {
        printf("jit_emit: no MADV_POPULATE_WRITE here, not checked\n");
        return;
    }
    const size_t MB = (size_t)1 << 20;
    char err[160] = "";
    X86CodeBuf *cb = x86_codebuf_new(6 * MB, err, sizeof(err));
    CHECK(cb != NULL, ": %s", err);
    if (!cb) {
        return;
    }
    uint8_t *w = x86_codebuf_room(cb, 100);
    CHECK(w && resident(w) && resident(w + 2 * MB - 1),
          ": the first chunk is populated");
    CHECK(w && !resident(w + 2 * MB), ": the next one is not yet");
    x86_codebuf_commit(cb, 2 * MB - 64);
    uint8_t *w2 = x86_codebuf_room(cb, 4096);
    CHECK(w2 == w + 2 * MB - 64 && resident(w + 2 * MB) &&
          resident(w + 4 * MB - 1), ": room across the chunk's end "
          "populates the next chunk");
    CHECK(!resident(w + 4 * MB), ": and no further");
    x86_codebuf_free(cb);
}

/* An emitter never writes past its room, and says so. */
static void test_overflow(void)
{
    for (size_t cap = 0; cap < 40; cap += 3) {
        uint8_t *b = malloc(cap ? cap : 1);
        X86Emit e;
        x86_init(&e, b, cap);
        X86Label l = X86_LABEL_INIT;
        for (int i = 0; i < 8; i++) {
            x86_mov_imm(&e, X86_RSI, 0x123456789abcdefull);
            x86_jcc(&e, X86_CC_E, &l);
            x86_store(&e, 2, X86_RDX, X86_R13, 0x1234);
        }
        x86_bind(&e, &l);
        CHECK(e.overflow && e.len <= cap, ": cap %zu len %zu", cap, e.len);
        free(b);
    }
}

int main(void)
{
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
        printf("FAIL: capstone cannot open x86-64\n");
        return 1;
    }
    test_encodings();
    test_codebuf();
    test_codebuf_populated();
    test_overflow();
    cs_close(&cs);
    return check_done("jit_emit");
}
