/*
 * SiFive test finisher ("sifive,test0"): the register a guest writes to
 * end the run, at 0x100000 on the virt board.
 *
 * Usage:
 *     hw_sifive_test_create(m, 0x100000);
 * Guest: sw 0x5555 -> power off (exit 0); sw (code << 16) | 0x3333 -> fail
 * with exit status `code`; sw 0x7777 -> reset.
 */
#ifndef HW_MISC_SIFIVE_TEST_H
#define HW_MISC_SIFIVE_TEST_H

#include "core/machine.h"

#define HW_SIFIVE_TEST_SIZE 0x1000

#define HW_SIFIVE_TEST_FAIL  0x3333
#define HW_SIFIVE_TEST_PASS  0x5555
#define HW_SIFIVE_TEST_RESET 0x7777

typedef struct SifiveTest SifiveTest;

/* NULL if [base, base + HW_SIFIVE_TEST_SIZE) overlaps another region. */
SifiveTest *hw_sifive_test_create(CoreMachine *m, gpa_t base);

#endif
