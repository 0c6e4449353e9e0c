/*
 * Unit tests of the RISC-V decoder (tcg/riscv/decode.c): operand extraction
 * for every format, the x0 -> RV_REG_SINK rewrite, expansion of every RV64C
 * instruction, HINTs and reserved compressed encodings, illegal 32-bit
 * encodings, and that the bucketed lookup picks the same row as a linear
 * scan of the whole table.
 *
 * Reference encodings come from `riscv64-unknown-elf-as -march=rv64gc`
 * (compressed form assembled with .option rvc, the expansion with
 * .option norvc). Rows of the FP and system fragments are checked only when
 * those fragments are non-empty, so the test also runs against a library
 * built without them.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "tcg/riscv/decode.h"
#include "tests/unit/check.h"

static const char *op_name(const RVInsn *in)
{
    const RVOpDesc *d = rv_decode_op(in->op);
    return d ? d->name : "(none)";
}

/* Decode a 32-bit insn and compare name and operands; -1 skips a field. */
static void expect(uint32_t raw, const char *name, int rd, int rs1, int rs2,
                   int64_t imm, bool check_imm)
{
    RVInsn in;
    memset(&in, 0xa5, sizeof(in));
    bool ok = rv_decode(&in, raw, 0x80000000);
    CHECK(ok && strcmp(op_name(&in), name) == 0,
          "%08" PRIx32 ": decoded as %s, want %s", raw,
          ok ? op_name(&in) : "illegal", name);
    if (!ok) {
        return;
    }
    CHECK(in.len == 4 && in.raw == raw && in.pc == 0x80000000,
          "%s: len %u raw %08" PRIx32, name, in.len, in.raw);
    CHECK(in.flags == rv_decode_op(in.op)->flags && in.fn != NULL,
          "%s: flags/fn", name);
    if (rd >= 0) {
        CHECK(in.rd == rd, "%s: rd %u want %d", name, in.rd, rd);
    }
    if (rs1 >= 0) {
        CHECK(in.rs1 == rs1, "%s: rs1 %u want %d", name, in.rs1, rs1);
    }
    if (rs2 >= 0) {
        CHECK(in.rs2 == rs2, "%s: rs2 %u want %d", name, in.rs2, rs2);
    }
    if (check_imm) {
        CHECK(in.imm == imm, "%s: imm %" PRId64 " want %" PRId64, name,
              in.imm, imm);
    }
}

static void test_formats(void)
{
    /* I */
    expect(0xfff58513, "addi", 10, 11, -1, -1, true);
    expect(0x00558013, "addi", RV_REG_SINK, 11, -1, 5, true);
    expect(0x7ff58513, "addi", 10, 11, -1, 2047, true);
    /* S: rd is meaningless and reported as 0 */
    expect(0xfea13c23, "sd", 0, 2, 10, -8, true);
    expect(0x7e57afa3, "sw", 0, 15, 5, 2047, true);
    expect(0x80b60023, "sb", 0, 12, 11, -2048, true);
    /* B */
    expect(0x80b50063, "beq", 0, 10, 11, -4096, true);
    expect(0x7e731fe3, "bne", 0, 6, 7, 4094, true);
    expect(0xfe054fe3, "blt", 0, 10, 0, -2, true);
    /* J */
    expect(0x800000ef, "jal", 1, -1, -1, -1048576, true);
    expect(0x7ffff06f, "jal", RV_REG_SINK, -1, -1, 1048574, true);
    /* U: the 32-bit value is sign-extended */
    expect(0x80000537, "lui", 10, -1, -1, (int64_t)0xffffffff80000000ull,
           true);
    expect(0xfffff297, "auipc", 5, -1, -1, -4096, true);
    /* shifts */
    expect(0x43f5d513, "srai", 10, 11, -1, 63, true);
    expect(0x02031293, "slli", 5, 6, -1, 32, true);
    expect(0x41f5d51b, "sraiw", 10, 11, -1, 31, true);
    /* R */
    expect(0x41248433, "sub", 8, 9, 18, 0, false);
    /* AMO: imm = aq << 1 | rl */
    expect(0x06b6252f, "amoadd.w", 10, 12, 11, 3, true);
    expect(0x0c63b2af, "amoswap.d", 5, 7, 6, 2, true);
    expect(0x120737af, "lr.d", 15, 14, 0, 1, true);
    expect(0x18b6202f, "sc.w", RV_REG_SINK, 12, 11, 0, true);
    /* FENCE: imm = fm, pred, succ */
    expect(0x0310000f, "fence", -1, -1, -1, 0x031, true);
    expect(0x8330000f, "fence", -1, -1, -1, 0x833, true);
    expect(0x0100000f, "fence", -1, -1, -1, 0x010, true);   /* pause */
    expect(0x0000100f, "fence.i", -1, -1, -1, 0, false);

    RVInsn in;
    CHECK(rv_decode(&in, 0x0000100f, 0) &&
          (in.flags & RV_OPF_END_TB), "fence.i ends its block");
    CHECK(rv_decode(&in, 0x800000ef, 0) &&
          (in.flags & RV_OPF_END_TB), "jal ends its block");
    CHECK(rv_decode(&in, 0xfea13c23, 0) &&
          (in.flags & RV_OPF_STORE), "sd is a store");
    CHECK(rv_decode(&in, 0xfff58503, 0) && in.rm == 0 &&
          (in.flags & RV_OPF_LOAD), "lb is a load");

    /* CSR: imm = csr number zero-extended, rs1 = register or uimm */
    if (rv_ops_system[0].name) {
        expect(0x30059573, "csrrw", 10, 11, -1, 0x300, true);
        expect(0xffffe073, "csrrsi", RV_REG_SINK, 31, -1, 0xfff, true);
        CHECK(rv_decode(&in, 0xffffe073, 0) && in.rm == 6,
              "csrrsi rm = funct3");
    }
    /* R4 and rm */
    if (rv_ops_fp[0].name) {
        CHECK(rv_decode(&in, 0x6ac58543, 0) &&
              strcmp(op_name(&in), "fmadd.d") == 0 && in.rd == 10 &&
              in.rs1 == 11 && in.rs2 == 12 && in.rs3 == 13 && in.rm == 0,
              "fmadd.d operands");
        CHECK(rv_decode(&in, 0x003170d3, 0) &&
              strcmp(op_name(&in), "fadd.s") == 0 && in.rd == 1 &&
              in.rs1 == 2 && in.rs2 == 3 && in.rm == 7,
              "fadd.s operands");
    }
}

static const struct {
    uint16_t c;
    uint32_t w;
    const char *name;
} rvc[] = {
    { 0x1fe8, 0x3fc10513, "c.addi4spn a0, sp, 1020" },
    { 0x0040, 0x00410413, "c.addi4spn s0, sp, 4" },
    { 0x3ffc, 0x0f87b787, "c.fld fa5, 248(a5)" },
    { 0x2480, 0x0084b407, "c.fld fs0, 8(s1)" },
    { 0x5de8, 0x07c5a503, "c.lw a0, 124(a1)" },
    { 0x43c4, 0x0047a483, "c.lw s1, 4(a5)" },
    { 0x7ef0, 0x0f86b603, "c.ld a2, 248(a3)" },
    { 0x6000, 0x00043403, "c.ld s0, 0(s0)" },
    { 0xa448, 0x08a43427, "c.fsd fa0, 136(s0)" },
    { 0xc33c, 0x04f72023, "c.sw a5, 64(a4)" },
    { 0xc048, 0x00a42223, "c.sw a0, 4(s0)" },
    { 0xfd64, 0x0e953c23, "c.sd s1, 248(a0)" },
    { 0x0001, 0x00000013, "c.nop" },
    { 0x1501, 0xfe050513, "c.addi a0, -32" },
    { 0x02fd, 0x01f28293, "c.addi t0, 31" },
    { 0x357d, 0xfff5051b, "c.addiw a0, -1" },
    { 0x2301, 0x0003031b, "c.addiw t1, 0" },
    { 0x5781, 0xfe000793, "c.li a5, -32" },
    { 0x43c5, 0x01100393, "c.li t2, 17" },
    { 0x7101, 0xe0010113, "c.addi16sp sp, -512" },
    { 0x617d, 0x1f010113, "c.addi16sp sp, 496" },
    { 0x6141, 0x01010113, "c.addi16sp sp, 16" },
    { 0x717d, 0xff010113, "c.addi16sp sp, -16" },
    { 0x7501, 0xfffe0537, "c.lui a0, 0xfffe0" },
    { 0x6285, 0x000012b7, "c.lui t0, 1" },
    { 0x6dfd, 0x0001fdb7, "c.lui s11, 31" },
    { 0x917d, 0x03f55513, "c.srli a0, 63" },
    { 0x8005, 0x00145413, "c.srli s0, 1" },
    { 0x9781, 0x4207d793, "c.srai a5, 32" },
    { 0x849d, 0x4074d493, "c.srai s1, 7" },
    { 0x9afd, 0xfff6f693, "c.andi a3, -1" },
    { 0x8855, 0x01547413, "c.andi s0, 21" },
    { 0x8d0d, 0x40b50533, "c.sub a0, a1" },
    { 0x8c3d, 0x00f44433, "c.xor s0, a5" },
    { 0x8e55, 0x00d66633, "c.or a2, a3" },
    { 0x8cf9, 0x00e4f4b3, "c.and s1, a4" },
    { 0x9d0d, 0x40b5053b, "c.subw a0, a1" },
    { 0x9fa1, 0x008787bb, "c.addw a5, s0" },
    { 0xaffd, 0x7fe0006f, "c.j .+2046" },
    { 0xb001, 0x801ff06f, "c.j .-2048" },
    { 0xa009, 0x0020006f, "c.j .+2" },
    { 0xbffd, 0xfffff06f, "c.j .-2" },
    { 0xa46d, 0x2aa0006f, "c.j .+0x2aa" },
    { 0xb46d, 0xaabff06f, "c.j .-0x556" },
    { 0xd101, 0xf00500e3, "c.beqz a0, .-256" },
    { 0xecfd, 0x0e049f63, "c.bnez s1, .+254" },
    { 0xc42d, 0x06040563, "c.beqz s0, .+0x6a" },
    { 0xf7ad, 0xf60795e3, "c.bnez a5, .-0x96" },
    { 0x157e, 0x03f51513, "c.slli a0, 63" },
    { 0x0f86, 0x001f9f93, "c.slli t6, 1" },
    { 0x34fe, 0x1f813487, "c.fldsp fs1, 504(sp)" },
    { 0x2022, 0x00813007, "c.fldsp ft0, 8(sp)" },
    { 0x50fe, 0x0fc12083, "c.lwsp ra, 252(sp)" },
    { 0x4512, 0x00412503, "c.lwsp a0, 4(sp)" },
    { 0x72fe, 0x1f813283, "c.ldsp t0, 504(sp)" },
    { 0x6422, 0x00813403, "c.ldsp s0, 8(sp)" },
    { 0x8082, 0x00008067, "c.jr ra" },
    { 0x8e02, 0x000e0067, "c.jr t3" },
    { 0x9502, 0x000500e7, "c.jalr a0" },
    { 0x852e, 0x00b00533, "c.mv a0, a1" },
    { 0x947e, 0x01f40433, "c.add s0, t6" },
    { 0x9002, 0x00100073, "c.ebreak" },
    { 0xbfa2, 0x1e813c27, "c.fsdsp fs0, 504(sp)" },
    { 0xa086, 0x04113027, "c.fsdsp ft1, 64(sp)" },
    { 0xdfaa, 0x0ea12e23, "c.swsp a0, 252(sp)" },
    { 0xc01a, 0x00612023, "c.swsp t1, 0(sp)" },
    { 0xff86, 0x1e113c23, "c.sdsp ra, 504(sp)" },
    { 0xe44a, 0x01213423, "c.sdsp s2, 8(sp)" },
    /* HINTs: legal, expanded to instructions that write x0 or change
       nothing */
    { 0x0015, 0x00500013, "c.nop 5 (hint)" },
    { 0x0501, 0x00050513, "c.addi a0, 0 (hint)" },
    { 0x4015, 0x00500013, "c.li x0, 5 (hint)" },
    { 0x6005, 0x00001037, "c.lui x0, 1 (hint)" },
    { 0x802a, 0x00a00033, "c.mv x0, a0 (hint)" },
    { 0x902a, 0x00a00033, "c.add x0, a0 (hint)" },
    { 0x0006, 0x00101013, "c.slli x0, 1 (hint)" },
    { 0x0502, 0x00051513, "c.slli a0, 0 (hint)" },
    { 0x8001, 0x00045413, "c.srli s0, 0 (hint)" },
    { 0x8401, 0x40045413, "c.srai s0, 0 (hint)" },
};

static const struct {
    uint16_t c;
    const char *why;
} rvc_illegal[] = {
    { 0x0000, "all-zero instruction" },
    { 0x0008, "c.addi4spn with nzuimm 0" },
    { 0x8000, "quadrant 0 funct3 100" },
    { 0x4002, "c.lwsp rd=x0" },
    { 0x6002, "c.ldsp rd=x0" },
    { 0x8002, "c.jr rs1=x0" },
    { 0x2005, "c.addiw rd=x0" },
    { 0x6281, "c.lui t0 with imm 0" },
    { 0x6001, "c.lui x0 with imm 0" },
    { 0x6101, "c.addi16sp with imm 0" },
    { 0x9c41, "quadrant 1 100111 funct2 10" },
    { 0x9c61, "quadrant 1 100111 funct2 11" },
    { 0x9fe1, "quadrant 1 100111 funct2 11, other regs" },
    { 0x0003, "not compressed" },
};

static void test_compressed(void)
{
    for (size_t i = 0; i < CORE_ARRAY_SIZE(rvc); i++) {
        uint32_t w = rv_expand_compressed(rvc[i].c);
        CHECK(w == rvc[i].w, "%s (%04x): expanded %08" PRIx32 " want %08"
              PRIx32, rvc[i].name, rvc[i].c, w, rvc[i].w);
    }
    for (size_t i = 0; i < CORE_ARRAY_SIZE(rvc_illegal); i++) {
        uint32_t w = rv_expand_compressed(rvc_illegal[i].c);
        CHECK(w == 0, "%s (%04x): expanded to %08" PRIx32,
              rvc_illegal[i].why, rvc_illegal[i].c, w);
    }

    /* Decoding a compressed insn: len 2, raw = the expansion. */
    RVInsn in;
    CHECK(rv_decode(&in, 0x1501, 0x1000) && in.len == 2 &&
          in.raw == 0xfe050513 && in.rd == 10 && in.rs1 == 10 &&
          in.imm == -32 && strcmp(op_name(&in), "addi") == 0,
          "decode c.addi a0, -32");
    CHECK(rv_decode(&in, 0x0001, 0) && in.rd == RV_REG_SINK,
          "c.nop writes the sink");
    CHECK(rv_decode(&in, 0xb001, 0x2000) && in.len == 2 &&
          in.imm == -2048 && in.rd == RV_REG_SINK &&
          strcmp(op_name(&in), "jal") == 0, "decode c.j .-2048");
    CHECK(rv_decode(&in, 0x9502, 0) && in.rd == 1 && in.rs1 == 10 &&
          in.imm == 0 && strcmp(op_name(&in), "jalr") == 0,
          "decode c.jalr a0");
    CHECK(rv_decode(&in, 0xd101, 0) && in.rs1 == 10 && in.rs2 == 0 &&
          in.imm == -256 && strcmp(op_name(&in), "beq") == 0,
          "decode c.beqz a0, .-256");

    /* An illegal compressed insn keeps its 16 bits for tval. */
    memset(&in, 0xa5, sizeof(in));
    CHECK(!rv_decode(&in, 0x6281, 0x3000) && in.fn == rv_exec_illegal &&
          in.len == 2 && in.raw == 0x6281 && in.pc == 0x3000 &&
          rv_decode_op(in.op) == NULL, "decode reserved c.lui");
    CHECK(!rv_decode(&in, 0x0000, 0) && in.len == 2 && in.raw == 0,
          "decode all-zero insn");
}

static void test_illegal32(void)
{
    static const uint32_t bad[] = {
        0xffffffff,     /* reserved >= 80-bit encoding space */
        0x0000000b,     /* custom-0 */
        0x44005013,     /* srai with funct6 010001 */
        0x04000033,     /* OP with funct7 0000010 */
        0x1015a52f,     /* lr.w with rs2 != 0 */
        0x00001067,     /* jalr with funct3 001 */
        0x00007003,     /* load funct3 111 */
        0x00004023,     /* store funct3 100 */
        0x0000203b,     /* OP-32 funct3 010 */
        0x0200101b,     /* slliw with shamt[5] set */
    };
    for (size_t i = 0; i < CORE_ARRAY_SIZE(bad); i++) {
        RVInsn in;
        memset(&in, 0xa5, sizeof(in));
        bool ok = rv_decode(&in, bad[i], 0x4000);
        CHECK(!ok && in.fn == rv_exec_illegal && in.len == 4 &&
              in.raw == bad[i] && in.pc == 0x4000,
              "%08" PRIx32 " should be illegal (got %s)", bad[i],
              ok ? op_name(&in) : "illegal");
    }
}

/* The bucketed lookup must agree with a first-match linear scan. */
static void test_lookup_matches_linear_scan(void)
{
    unsigned nrows = 0;
    while (rv_decode_op((uint16_t)nrows)) {
        nrows++;
    }
    CHECK(nrows > 60, "table has %u rows", nrows);

    uint64_t seed = 0x9e3779b97f4a7c15ull;
    unsigned mismatches = 0;
    for (unsigned n = 0; n < 400000; n++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t w = (uint32_t)(seed >> 32) | 3;
        if (n & 1) {
            /* Bias half the words towards a real row's encoding. */
            const RVOpDesc *d = rv_decode_op((uint16_t)(n / 2 % nrows));
            w = (w & ~d->mask) | d->match;
        }
        int want = -1;
        for (unsigned i = 0; i < nrows; i++) {
            const RVOpDesc *d = rv_decode_op((uint16_t)i);
            if ((w & d->mask) == d->match) {
                want = (int)i;
                break;
            }
        }
        RVInsn in;
        bool ok = rv_decode(&in, w, 0);
        if (ok != (want >= 0) || (ok && in.op != want)) {
            if (mismatches++ < 5) {
                printf("lookup mismatch for %08" PRIx32 ": got %d want %d\n",
                       w, ok ? in.op : -1, want);
            }
        }
    }
    CHECK(mismatches == 0, "%u lookup mismatches", mismatches);
}

int main(void)
{
    test_formats();
    test_compressed();
    test_illegal32();
    test_lookup_matches_linear_scan();
    return check_done("decode");
}
