/*
 * rv_cpu_ops: the RISC-V hart behind the target interface (core/target.h).
 * The rest of rewind reaches a hart only through this table; most entries
 * forward to the functions of rv.h, the gdb ones to gdb.c.
 */
#include "tcg/riscv/rv.h"
#include "tcg/riscv/rv_int.h"

#include <stdio.h>
#include <string.h>

static uint64_t cpu_run_op(void *cpu, uint64_t budget)
{
    return rv_cpu_run(cpu, budget);
}

static bool cpu_has_work_op(void *cpu)
{
    return rv_cpu_has_work(cpu);
}

static uint64_t cpu_instret_op(void *cpu)
{
    return ((RVCPU *)cpu)->instret;
}

static gva_t cpu_pc_op(void *cpu)
{
    return ((RVCPU *)cpu)->pc;
}

static void cpu_set_pc_op(void *cpu, gva_t addr)
{
    ((RVCPU *)cpu)->pc = addr;
}

/* The translation cache is shared by all harts; each hart's jump cache
   points into it. */
static void cpu_tb_flushed_op(void *opaque)
{
    RVCPU *cpu = opaque;
    rv_cpu_flush_jump_cache(cpu);
    cpu->chain_slot = NULL;   /* it pointed into the emptied code buffer */
}

static void cpu_tlb_flush_op(void *cpu)
{
    rv_cpu_flush_tlb(cpu);
}

static void cpu_drop_write_tags_op(void *cpu)
{
    rv_cpu_drop_write_tags(cpu);
}

static void cpu_set_trace_op(void *cpu, void *file)
{
    rv_cpu_set_trace(cpu, file);
}

static void cpu_describe_op(void *opaque, char *buf, size_t len)
{
    static const char *const modes[4] = { "U", "S", "?", "M" };
    RVCPU *cpu = opaque;
    snprintf(buf, len, "%s-mode%s", modes[cpu->priv & 3],
             cpu->wfi ? ", wfi" : "");
}

/* rv_debug_access fails as a whole; go page by page to report how far
   the access got. */
static size_t cpu_mem_access_op(void *cpu, gva_t addr, void *buf, size_t len,
                                bool write)
{
    uint8_t *p = buf;
    size_t done = 0;
    while (done < len) {
        gva_t a = addr + done;
        size_t n = RV_PAGE_SIZE - (a & (RV_PAGE_SIZE - 1));
        if (n > len - done) {
            n = len - done;
        }
        if (rv_debug_access(cpu, a, p + done, n, write) != 0) {
            break;
        }
        done += n;
    }
    return done;
}

static bool cpu_translate_op(void *cpu, gva_t va, gpa_t *pa)
{
    return rv_debug_translate(cpu, va, pa);
}

const CoreCpuOps rv_cpu_ops = {
    .run = cpu_run_op,
    .has_work = cpu_has_work_op,
    .instret = cpu_instret_op,
    .pc = cpu_pc_op,
    .set_pc = cpu_set_pc_op,
    .state = &rv_cpu_state_desc,
    .tb_flushed = cpu_tb_flushed_op,
    .tlb_flush = cpu_tlb_flush_op,
    .drop_write_tags = cpu_drop_write_tags_op,
    .set_trace = cpu_set_trace_op,
    .cpu_noun = "hart",
    .describe = cpu_describe_op,
    .translate = cpu_translate_op,
    .mem_access = cpu_mem_access_op,
    .gdb_g_regs = RV_GDB_G_REGS,
    .gdb_reg_read = rv_gdb_reg_read,
    .gdb_reg_write = rv_gdb_reg_write,
    .gdb_xml = rv_gdb_xml,
};
