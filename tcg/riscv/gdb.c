/*
 * The RISC-V side of the GDB stub (CoreCpuOps' gdb_* operations): the
 * target description gdb reads with qXfer:features:read (GDB manual G.5
 * "Standard Target Features", RISC-V features) and register access by
 * GDB's RISC-V numbers: x0-x31 = 0-31, pc = 32, f0-f31 = 33-64, CSR n =
 * 65 + n, priv = 65 + 4096. The g/G packets carry x0-x31 and pc.
 *
 * The CSR feature lists exactly the CSRs the hart implements: the named
 * rows of the CSR table (csr.c) that rv_csr_read accepts at M level, minus
 * fflags/frm/fcsr, which the FPU feature carries, and the counters and PMP
 * registers that only read as zero. At M level whether a CSR reads does not depend on the hart's
 * state (only FS does, and the FP CSRs are not probed), so each register
 * is checked on its own and nothing is cached. The debugger reads and
 * writes CSRs whatever the hart's privilege and FS state; a CSR write
 * goes through rv_csr_write, so WARL rules and side effects (TLB flushes)
 * apply as for the guest.
 */
#include "tcg/riscv/disas.h"
#include "tcg/riscv/rv.h"
#include "tcg/riscv/rv_int.h"

#include <stdio.h>
#include <string.h>

/* GDB's RISC-V register numbers. */
enum {
    GDB_REG_PC = 32,
    GDB_REG_F0 = 33,
    GDB_REG_CSR0 = 65,
    GDB_REG_PRIV = 65 + 4096,
};

#define GDB_NUM_CSRS 4096

enum { CSR_FFLAGS = RV_CSR_FFLAGS, CSR_FRM = RV_CSR_FRM, CSR_FCSR = RV_CSR_FCSR,
       CSR_MCYCLE = RV_CSR_MCYCLE, CSR_MINSTRET = RV_CSR_MINSTRET };

/* Does the CSR feature list this CSR: the hart implements it (reads
   succeed at M level), it is not an FP one (the FPU feature has those)
   and not a counter that only reads as zero? */
static bool csr_listed(RVCPU *cpu, unsigned csr)
{
    if (csr <= CSR_FCSR || !rv_csr_implemented(csr) || !rv_csr_name(csr)) {
        return false;
    }
    uint64_t v;
    uint32_t priv = cpu->priv;
    cpu->priv = RV_PRIV_M;
    bool ok = rv_csr_read(cpu, csr, &v, cpu->instret) == 0;
    cpu->priv = priv;
    return ok;
}

/* Is CSR n in the target description (CSR or FPU feature)? */
static bool csr_described(RVCPU *cpu, unsigned csr)
{
    return (csr >= CSR_FFLAGS && csr <= CSR_FCSR) || csr_listed(cpu, csr);
}

bool rv_gdb_reg_read(void *opaque, unsigned n, uint64_t *val, unsigned *size)
{
    RVCPU *cpu = opaque;
    *size = 8;
    if (n < 32) {
        *val = n ? cpu->x[n] : 0;
    } else if (n == GDB_REG_PC) {
        *val = cpu->pc;
    } else if (n < GDB_REG_CSR0) {
        *val = cpu->f[n - GDB_REG_F0];
    } else if (n == GDB_REG_PRIV) {
        *val = cpu->priv;
    } else if (n < GDB_REG_PRIV) {
        unsigned csr = n - GDB_REG_CSR0;
        if (!csr_described(cpu, csr)) {
            return false;
        }
        switch (csr) {
        case CSR_FFLAGS: *size = 4; *val = cpu->fflags; return true;
        case CSR_FRM: *size = 4; *val = cpu->frm; return true;
        case CSR_FCSR: *size = 4; *val = cpu->frm << 5 | cpu->fflags; return true;
        default: break;
        }
        /* The debugger sees every CSR, whatever the hart's privilege. */
        uint32_t priv = cpu->priv;
        cpu->priv = RV_PRIV_M;
        int r = rv_csr_read(cpu, csr, val, cpu->instret);
        cpu->priv = priv;
        return r == 0;
    } else {
        return false;
    }
    return true;
}

bool rv_gdb_reg_write(void *opaque, unsigned n, uint64_t val)
{
    RVCPU *cpu = opaque;
    if (n < 32) {
        if (n) {
            cpu->x[n] = val;
        }
    } else if (n == GDB_REG_PC) {
        cpu->pc = val;
    } else if (n < GDB_REG_CSR0) {
        cpu->f[n - GDB_REG_F0] = val;
    } else if (n == GDB_REG_PRIV) {
        if (val > RV_PRIV_M || val == 2) {
            return false;
        }
        rv_set_priv(cpu, (unsigned)val);
    } else if (n < GDB_REG_PRIV) {
        unsigned csr = n - GDB_REG_CSR0;
        if (!csr_described(cpu, csr)) {
            return false;
        }
        switch (csr) {
        case CSR_FFLAGS: cpu->fflags = val & 0x1f; return true;
        case CSR_FRM: cpu->frm = val & 7; return true;
        case CSR_FCSR: cpu->fflags = val & 0x1f; cpu->frm = (val >> 5) & 7;
                       return true;
        case CSR_MCYCLE: case CSR_MINSTRET: cpu->instret = val; return true;
        default: break;
        }
        uint32_t priv = cpu->priv;
        cpu->priv = RV_PRIV_M;
        int r = rv_csr_write(cpu, csr, val, 0);
        rv_set_priv(cpu, priv);   /* also refreshes derived MMU state */
        return r == 0;
    } else {
        return false;
    }
    return true;
}

static const char xml_target[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
    "<target version=\"1.0\">\n"
    "  <architecture>riscv:rv64</architecture>\n"
    "  <osabi>none</osabi>\n"
    "  <xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"riscv-64bit-cpu.xml\"/>\n"
    "  <xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"riscv-64bit-fpu.xml\"/>\n"
    "  <xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"riscv-64bit-virtual.xml\"/>\n"
    "  <xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"riscv-csr.xml\"/>\n"
    "</target>\n";

bool rv_gdb_xml(void *opaque, const char *annex, char *buf, size_t cap)
{
    RVCPU *cpu = opaque;
    size_t n = 0;
#define XML(...) \
    do { \
        int r_ = snprintf(buf + n, cap - n, __VA_ARGS__); \
        if (r_ < 0 || (size_t)r_ >= cap - n) return false; \
        n += (size_t)r_; \
    } while (0)
    if (strcmp(annex, "target.xml") == 0) {
        XML("%s", xml_target);
    } else if (strcmp(annex, "riscv-64bit-cpu.xml") == 0) {
        XML("<?xml version=\"1.0\"?>\n<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">\n"
            "<feature name=\"org.gnu.gdb.riscv.cpu\">\n");
        for (unsigned r = 0; r < 32; r++) {
            const char *type = r == 1 ? "code_ptr"
                             : (r == 2 || r == 3 || r == 4) ? "data_ptr" : "int";
            XML("  <reg name=\"%s\" bitsize=\"64\" type=\"%s\" regnum=\"%u\"/>\n",
                rv_reg_name(r), type, r);
        }
        XML("  <reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\" regnum=\"%u\"/>\n"
            "</feature>\n", GDB_REG_PC);
    } else if (strcmp(annex, "riscv-64bit-fpu.xml") == 0) {
        XML("<?xml version=\"1.0\"?>\n<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">\n"
            "<feature name=\"org.gnu.gdb.riscv.fpu\">\n"
            "  <union id=\"riscv_double\">\n"
            "    <field name=\"float\" type=\"ieee_single\"/>\n"
            "    <field name=\"double\" type=\"ieee_double\"/>\n"
            "  </union>\n");
        for (unsigned r = 0; r < 32; r++) {
            XML("  <reg name=\"%s\" bitsize=\"64\" type=\"riscv_double\" regnum=\"%u\"/>\n",
                rv_freg_name(r), GDB_REG_F0 + r);
        }
        XML("  <reg name=\"fflags\" bitsize=\"32\" type=\"int\" regnum=\"%u\" group=\"float\"/>\n"
            "  <reg name=\"frm\" bitsize=\"32\" type=\"int\" regnum=\"%u\" group=\"float\"/>\n"
            "  <reg name=\"fcsr\" bitsize=\"32\" type=\"int\" regnum=\"%u\" group=\"float\"/>\n"
            "</feature>\n", GDB_REG_CSR0 + CSR_FFLAGS, GDB_REG_CSR0 + CSR_FRM,
            GDB_REG_CSR0 + CSR_FCSR);
    } else if (strcmp(annex, "riscv-64bit-virtual.xml") == 0) {
        XML("<?xml version=\"1.0\"?>\n<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">\n"
            "<feature name=\"org.gnu.gdb.riscv.virtual\">\n"
            "  <reg name=\"priv\" bitsize=\"64\" type=\"int\" regnum=\"%u\" group=\"system\"/>\n"
            "</feature>\n", GDB_REG_PRIV);
    } else if (strcmp(annex, "riscv-csr.xml") == 0) {
        XML("<?xml version=\"1.0\"?>\n<!DOCTYPE feature SYSTEM \"gdb-target.dtd\">\n"
            "<feature name=\"org.gnu.gdb.riscv.csr\">\n");
        for (unsigned csr = 0; csr < GDB_NUM_CSRS; csr++) {
            if (csr_listed(cpu, csr)) {
                XML("  <reg name=\"%s\" bitsize=\"64\" type=\"int\" regnum=\"%u\" group=\"system\"/>\n",
                    rv_csr_name(csr), GDB_REG_CSR0 + csr);
            }
        }
        XML("</feature>\n");
    } else {
        return false;
    }
    return true;
#undef XML
}
