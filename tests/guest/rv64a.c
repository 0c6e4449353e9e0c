/*
 * rv64a - the A extension (unprivileged spec ch. 14) on a single hart.
 *
 * LR/SC: success path, SC without a reservation fails with rd = 1 and
 * leaves memory alone, SC to an address outside the reservation (another
 * page) fails, every SC (failed or not) drops the reservation, and an
 * intervening store by this hart to some *other* address does not break
 * the reservation (the spec lets an SC fail "for any other reason", so this
 * is implementation-defined; QEMU keeps the reservation and we assert
 * that).  Every AMO in .w and .d form, with .w results sign-extended and the
 * neighbouring word untouched; signed vs unsigned min/max.  Misaligned
 * atomics: LR traps with a load-address-misaligned exception (cause 4,
 * mtval = address); AMOs trap with cause 6 per the spec -- QEMU 7.2 reports
 * cause 4 instead, so both are accepted; SC either traps (cause 6) or
 * fails -- QEMU fails it without a trap because it checks the reservation
 * first, so both are accepted.
 */
#include "rt.h"
#include "guest_asm.h"

#define ALL1 0xffffffffffffffffULL

#define AMO(op, addr, val)                                                   \
    ({ uint64_t r_;                                                          \
       asm volatile(op " %0, %2, (%1)"                                       \
                    : "=&r"(r_) : "r"(addr), "r"((uint64_t)(val))            \
                    : "memory");                                             \
       r_; })

#define LR(op, addr)                                                         \
    ({ uint64_t r_;                                                          \
       asm volatile(op " %0, (%1)" : "=r"(r_) : "r"(addr) : "memory");       \
       r_; })

#define SC(op, addr, val) AMO(op, addr, val)

/* Two words we operate on, plus a far-away word for "other address". */
static volatile uint64_t cell[4] __attribute__((aligned(64)));
static volatile uint64_t far_cell[2] __attribute__((aligned(4096)));

static void test_lr_sc(void)
{
    volatile uint32_t *w = (volatile uint32_t *)&cell[0];

    /* Clear any reservation left over from reset. */
    SC("sc.d", &cell[3], 0);

    cell[0] = 0x1122334480000001ULL;
    CHECK_EQ(LR("lr.w", w), 0xffffffff80000001ULL);
    CHECK_EQ(SC("sc.w", w, 0x7fffffff), 0);
    CHECK_EQ(cell[0], 0x112233447fffffffULL);

    /* The reservation was consumed: a second SC fails and writes nothing. */
    CHECK_EQ(SC("sc.w", w, 5), 1);
    CHECK_EQ(cell[0], 0x112233447fffffffULL);

    cell[1] = 10;
    CHECK_EQ(LR("lr.d", &cell[1]), 10);
    CHECK_EQ(SC("sc.d", &cell[1], 11), 0);
    CHECK_EQ(cell[1], 11);
    CHECK_EQ(SC("sc.d", &cell[1], 12), 1);
    CHECK_EQ(cell[1], 11);

    /* SC to an address in another page than the LR's: must fail. */
    far_cell[0] = 77;
    CHECK_EQ(LR("lr.d", &cell[1]), 11);
    CHECK_EQ(SC("sc.d", &far_cell[0], 78), 1);
    CHECK_EQ(far_cell[0], 77);
    /* ... and that failed SC dropped the reservation on cell[1]. */
    CHECK_EQ(SC("sc.d", &cell[1], 13), 1);
    CHECK_EQ(cell[1], 11);

    /* A store by this hart elsewhere between LR and SC: QEMU keeps the
     * reservation, the SC succeeds. */
    CHECK_EQ(LR("lr.d", &cell[1]), 11);
    far_cell[1] = 5;
    CHECK_EQ(SC("sc.d", &cell[1], 14), 0);
    CHECK_EQ(cell[1], 14);
    CHECK_EQ(far_cell[1], 5);

    /* Ordering bits decode to the same operations. */
    CHECK_EQ(LR("lr.d.aqrl", &cell[1]), 14);
    CHECK_EQ(SC("sc.d.rl", &cell[1], 15), 0);
    CHECK_EQ(LR("lr.w.aq", w), 0x7fffffff);
    CHECK_EQ(SC("sc.w.aqrl", w, 1), 0);
    CHECK_EQ(cell[0], 0x1122334400000001ULL);

    /* A typical retry loop: atomic increment. */
    for (int i = 0; i < 100; i++) {
        uint64_t tmp, fail;

        asm volatile("1: lr.d %0, (%2)\n"
                     "   addi %0, %0, 1\n"
                     "   sc.d %1, %0, (%2)\n"
                     "   bnez %1, 1b"
                     : "=&r"(tmp), "=&r"(fail) : "r"(&cell[2]) : "memory");
    }
    CHECK_EQ(cell[2], 100);
}

typedef struct AmoCase {
    uint64_t old, val, new_mem;
} AmoCase;

static void amo_w(const char *name, uint64_t result, uint64_t old,
                  uint64_t mem_after, uint64_t expect_mem, int line)
{
    /* Result is the old word sign-extended; the upper word is untouched. */
    uint64_t sext_old = (uint64_t)(int64_t)(int32_t)(uint32_t)old;

    (void)name;
    if (result != sext_old)
        rt_check_fail(__FILE__, line, "amo.w result", true, sext_old, result);
    if (mem_after != (0xa5a5a5a500000000ULL | (expect_mem & 0xffffffffULL)))
        rt_check_fail(__FILE__, line, "amo.w memory", true,
                      0xa5a5a5a500000000ULL | (expect_mem & 0xffffffffULL),
                      mem_after);
    rt_checks += 2;
}

#define AMO_W(op, oldv, val, expect_mem)                                     \
    do {                                                                     \
        cell[0] = 0xa5a5a5a500000000ULL | ((uint64_t)(oldv) & 0xffffffffULL);\
        uint64_t r = AMO(op, &cell[0], val);                                 \
        amo_w(op, r, (oldv), cell[0], (expect_mem), __LINE__);               \
    } while (0)

#define AMO_D(op, oldv, val, expect_mem)                                     \
    do {                                                                     \
        cell[1] = (oldv);                                                    \
        CHECK_EQ(AMO(op, &cell[1], val), (oldv));                            \
        CHECK_EQ(cell[1], (expect_mem));                                     \
    } while (0)

static void test_amo(void)
{
    AMO_W("amoswap.w", 0x80000000, 0x12345678, 0x12345678);
    AMO_W("amoadd.w", 0xffffffff, 2, 1);                 /* carry dropped */
    AMO_W("amoadd.w", 0x7fffffff, 1, 0x80000000);
    AMO_W("amoxor.w", 0xff00ff00, 0x0ff00ff0, 0xf0f0f0f0);
    AMO_W("amoand.w", 0xff00ff00, 0x0ff00ff0, 0x0f000f00);
    AMO_W("amoor.w", 0xff00ff00, 0x0ff00ff0, 0xfff0fff0);
    /* Signed vs unsigned on the 32-bit value 0xffffffff (-1) against 1;
     * the upper half of rs2 must be ignored. */
    AMO_W("amomin.w", 0xffffffff, 1, 0xffffffff);
    AMO_W("amomax.w", 0xffffffff, 1, 1);
    AMO_W("amominu.w", 0xffffffff, 1, 1);
    AMO_W("amomaxu.w", 0xffffffff, 1, 0xffffffff);
    AMO_W("amomin.w", 5, 0x80000000, 0x80000000);
    AMO_W("amomax.w", 0x80000000, 0x7fffffff, 0x7fffffff);
    AMO_W("amominu.w", 0x80000000, 0x7fffffff, 0x7fffffff);
    AMO_W("amomaxu.w", 0x80000000, 0xffffffff7fffffffULL, 0x80000000);
    AMO_W("amomin.w", 3, 0x00000001fffffffeULL, 0xfffffffe);
    AMO_W("amoadd.w.aqrl", 40, 2, 42);

    AMO_D("amoswap.d", 0x8000000000000000ULL, 7, 7);
    AMO_D("amoadd.d", ALL1, 2, 1);
    AMO_D("amoxor.d", 0xff00ff00ff00ff00ULL, 0x0ff00ff00ff00ff0ULL,
          0xf0f0f0f0f0f0f0f0ULL);
    AMO_D("amoand.d", 0xff00ff00ff00ff00ULL, 0x0ff00ff00ff00ff0ULL,
          0x0f000f000f000f00ULL);
    AMO_D("amoor.d", 0xff00ff00ff00ff00ULL, 0x0ff00ff00ff00ff0ULL,
          0xfff0fff0fff0fff0ULL);
    AMO_D("amomin.d", ALL1, 1, ALL1);
    AMO_D("amomax.d", ALL1, 1, 1);
    AMO_D("amominu.d", ALL1, 1, 1);
    AMO_D("amomaxu.d", ALL1, 1, ALL1);
    AMO_D("amomin.d", 0x7fffffffffffffffULL, 0x8000000000000000ULL,
          0x8000000000000000ULL);
    AMO_D("amomaxu.d", 0x7fffffffffffffffULL, 0x8000000000000000ULL,
          0x8000000000000000ULL);
    AMO_D("amomax.d.aq", 0x8000000000000000ULL, 0x7fffffffffffffffULL,
          0x7fffffffffffffffULL);
    AMO_D("amominu.d.rl", 0x8000000000000000ULL, 0x7fffffffffffffffULL,
          0x7fffffffffffffffULL);

    /* rd = x0: the memory update still happens. */
    cell[1] = 1;
    asm volatile("amoadd.d x0, %1, (%0)" : : "r"(&cell[1]), "r"(41UL)
                 : "memory");
    CHECK_EQ(cell[1], 42);
    /* rd == rs2: rd gets the old value, memory the old rs2. */
    cell[1] = 3;
    uint64_t r = 9;
    asm volatile("amoswap.d %0, %0, (%1)" : "+r"(r) : "r"(&cell[1])
                 : "memory");
    CHECK_EQ(r, 3);
    CHECK_EQ(cell[1], 9);
}

static void test_misaligned(void)
{
    uint8_t *base = (uint8_t *)&cell[0];
    uint64_t r = 0x1234;

    cell[0] = 0x0706050403020100ULL;
    cell[1] = 0x0f0e0d0c0b0a0908ULL;

    rt_expect_trap(RT_CAUSE_MISALIGNED_LOAD);
    asm volatile("lr.w %0, (%1)" : "+r"(r) : "r"(base + 2) : "memory");
    CHECK_TRAPPED(RT_CAUSE_MISALIGNED_LOAD);
    CHECK_EQ(rt_trap.tval, (uint64_t)(base + 2));
    CHECK_EQ(r, 0x1234);

    rt_expect_trap(RT_CAUSE_MISALIGNED_LOAD);
    asm volatile("lr.d %0, (%1)" : "+r"(r) : "r"(base + 4) : "memory");
    CHECK_TRAPPED(RT_CAUSE_MISALIGNED_LOAD);
    CHECK_EQ(rt_trap.tval, (uint64_t)(base + 4));

    static const uint64_t amo_mask = (1ULL << RT_CAUSE_MISALIGNED_STORE) |
                                     (1ULL << RT_CAUSE_MISALIGNED_LOAD);
    rt_expect_trap_mask(amo_mask);
    asm volatile("amoadd.w %0, %0, (%1)" : "+r"(r) : "r"(base + 1) : "memory");
    CHECK(rt_trap.taken);
    CHECK_EQ(rt_trap.tval, (uint64_t)(base + 1));
    rt_trapped(rt_trap.cause);

    rt_expect_trap_mask(amo_mask);
    asm volatile("amoswap.d %0, %0, (%1)" : "+r"(r) : "r"(base + 4) : "memory");
    CHECK(rt_trap.taken);
    CHECK_EQ(rt_trap.tval, (uint64_t)(base + 4));
    rt_trapped(rt_trap.cause);
    CHECK_EQ(r, 0x1234);

    /* SC: take a reservation elsewhere so a wrong implementation would
     * have something to (wrongly) succeed with. */
    LR("lr.d", &cell[2]);
    rt_expect_trap(RT_CAUSE_MISALIGNED_STORE);
    r = 0x99;
    asm volatile("sc.w %0, %0, (%1)" : "+r"(r) : "r"(base + 2) : "memory");
    if (rt_trap.taken)
        CHECK_EQ(rt_trap.tval, (uint64_t)(base + 2));
    else
        CHECK(r != 0);
    rt_trapped(RT_CAUSE_MISALIGNED_STORE);

    CHECK_EQ(cell[0], 0x0706050403020100ULL);
    CHECK_EQ(cell[1], 0x0f0e0d0c0b0a0908ULL);
}

int main(void)
{
    test_lr_sc();
    test_amo();
    test_misaligned();
    return rt_pass("rv64a");
}
