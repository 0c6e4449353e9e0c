/*
 * RISC-V encoding constants shared by the instruction table (insn.def), the
 * decoder's compressed-instruction expansion and the disassembler: major
 * opcodes, the masks that select an instruction's fixed fields, and
 * helpers that place funct fields. Unprivileged spec ch. 24 (opcode map,
 * table 24.1) and ch. 2 (base formats).
 *
 * Usage (an instruction row of insn.def):
 *     mask RV_M_F7, match RV_ENC(0x20, 0, OP)   // sub
 */
#ifndef TCG_RISCV_OPCODES_H
#define TCG_RISCV_OPCODES_H

/* Major opcodes (bits 6:0, table 24.1). */
#define RV_OPC_LOAD      0x03u
#define RV_OPC_LOAD_FP   0x07u
#define RV_OPC_MISC_MEM  0x0fu
#define RV_OPC_OP_IMM    0x13u
#define RV_OPC_AUIPC     0x17u
#define RV_OPC_OP_IMM_32 0x1bu
#define RV_OPC_STORE     0x23u
#define RV_OPC_STORE_FP  0x27u
#define RV_OPC_AMO       0x2fu
#define RV_OPC_OP        0x33u
#define RV_OPC_LUI       0x37u
#define RV_OPC_OP_32     0x3bu
#define RV_OPC_MADD      0x43u
#define RV_OPC_MSUB      0x47u
#define RV_OPC_NMSUB     0x4bu
#define RV_OPC_NMADD     0x4fu
#define RV_OPC_OP_FP     0x53u
#define RV_OPC_BRANCH    0x63u
#define RV_OPC_JALR      0x67u
#define RV_OPC_JAL       0x6fu
#define RV_OPC_SYSTEM    0x73u

/* Masks over the fields that identify an instruction. */
#define RV_M_OPC       0x0000007fu  /* opcode */
#define RV_M_F3        0x0000707fu  /* opcode, funct3 */
#define RV_M_F6        0xfc00707fu  /* opcode, funct3, imm[11:6] (RV64 shifts) */
#define RV_M_F7        0xfe00707fu  /* opcode, funct3, funct7 */
#define RV_M_F7_RM     0xfe00007fu  /* opcode, funct7; funct3 is rm */
#define RV_M_F7_RS2_RM 0xfff0007fu  /* opcode, funct7, rs2; funct3 is rm */
#define RV_M_F7_RS2    0xfff0707fu  /* opcode, funct3, funct7, rs2 */
#define RV_M_R4        0x0600007fu  /* opcode, fmt; funct3 is rm */
#define RV_M_AMO       0xf800707fu  /* opcode, funct3, funct5 */
#define RV_M_LR        0xf9f0707fu  /* ... and rs2 == 0 */
#define RV_M_SFENCE    0xfe007fffu  /* funct7, funct3, rd == 0, opcode */
#define RV_M_FENCE     0xf00fffffu  /* fm == 0, rs1 == rd == 0, funct3, opcode */
#define RV_M_ALL       0xffffffffu
#define RV_M_SAME      0u           /* insn.def dmask: same as the mask */

/* Fixed fields of an encoding: funct7, funct3 and a major opcode name
   (RV_ENC(0x20, 0, OP) is sub). */
#define RV_ENC(f7, f3, opc) \
    (((uint32_t)(f7) << 25) | ((uint32_t)(f3) << 12) | RV_OPC_##opc)
/* OP-FP: funct7, rs2 (conversion selector), funct3. */
#define RV_ENC_FP(f7, rs2, f3) \
    (RV_ENC(f7, f3, OP_FP) | ((uint32_t)(rs2) << 20))
/* AMO: funct5 and the width in funct3 (2 = .w, 3 = .d). */
#define RV_ENC_AMO(f5, f3) \
    (((uint32_t)(f5) << 27) | ((uint32_t)(f3) << 12) | RV_OPC_AMO)

#endif
