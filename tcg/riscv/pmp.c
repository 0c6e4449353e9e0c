/*
 * Physical memory protection. Privileged spec 3.7.
 *
 * 16 entries (pmpcfg0/2, pmpaddr0-15), granularity 4 bytes. The lowest
 * matching entry decides; an access that only partly matches an entry
 * fails. M-mode is checked only against locked entries; S/U accesses that
 * match nothing fail, since PMP is implemented.
 */
#include "tcg/riscv/rv_int.h"

enum { PMP_R = 1, PMP_W = 2, PMP_X = 4, PMP_A = 0x18, PMP_L = 0x80 };
enum { PMP_OFF = 0, PMP_TOR = 1, PMP_NA4 = 2, PMP_NAPOT = 3 };

static uint8_t cfg_of(const RVCPU *cpu, unsigned i)
{
    return (uint8_t)(cpu->pmpcfg[i / 8] >> (8 * (i % 8)));
}

/* Region [lo, hi) of entry i; false if the entry is off. */
static bool region(const RVCPU *cpu, unsigned i, uint64_t *lo, uint64_t *hi)
{
    uint8_t cfg = cfg_of(cpu, i);
    uint64_t addr = cpu->pmpaddr[i];
    switch ((cfg & PMP_A) >> 3) {
    case PMP_TOR:
        *lo = i ? cpu->pmpaddr[i - 1] << 2 : 0;
        *hi = addr << 2;
        return true;
    case PMP_NA4:
        *lo = addr << 2;
        *hi = *lo + 4;
        return true;
    case PMP_NAPOT: {
        /* Trailing ones give the size: 2^(ones + 3) bytes. */
        unsigned ones = (unsigned)__builtin_ctzll(~addr);
        if (ones >= 54) {
            *lo = 0;
            *hi = UINT64_MAX;
            return true;
        }
        uint64_t size = 1ull << (ones + 3);
        *lo = (addr << 2) & ~(size - 1);
        *hi = *lo + size;
        return true;
    }
    default:
        return false;
    }
}

bool rv_pmp_any_active(const RVCPU *cpu)
{
    /* An entry is a rule when its A field is not OFF. */
    const uint64_t a_fields = 0x1818181818181818ull;
    return ((cpu->pmpcfg[0] | cpu->pmpcfg[1]) & a_fields) != 0;
}

bool rv_pmp_allows(const RVCPU *cpu, gpa_t pa, uint64_t len, RVAccess acc,
                   unsigned priv)
{
    static const uint8_t need[] = { PMP_R, PMP_W, PMP_X };
    if (!rv_pmp_any_active(cpu)) {
        return priv == RV_PRIV_M;
    }
    uint64_t end = pa + len;
    for (unsigned i = 0; i < 16; i++) {
        uint64_t lo, hi;
        if (!region(cpu, i, &lo, &hi) || lo >= hi) {
            continue;
        }
        if (end <= lo || pa >= hi) {
            continue;              /* no byte matches */
        }
        if (pa < lo || end > hi) {
            return false;          /* partial match */
        }
        uint8_t cfg = cfg_of(cpu, i);
        if (priv == RV_PRIV_M && !(cfg & PMP_L)) {
            return true;
        }
        return (cfg & need[acc]) != 0;
    }
    return priv == RV_PRIV_M;
}
