/*
 * Goldfish RTC ("google,goldfish-rtc"), as on QEMU's virt board: at
 * 0x101000, PLIC source 11. A 64-bit ns-since-epoch clock with one alarm.
 *
 * The clock is the wall-clock time at machine start (from the input door,
 * core_input_wallclock_ns, which the guest's first access fixes) plus the
 * virtual time elapsed, plus whatever offset the guest set by writing the
 * time. So it advances with icount and replays exactly.
 *
 * Usage:
 *     hw_goldfish_rtc_create(m, 0x101000, hw_plic_source(plic, 11), m->input);
 */
#ifndef HW_RTC_GOLDFISH_RTC_H
#define HW_RTC_GOLDFISH_RTC_H

#include "core/input.h"
#include "core/irq.h"
#include "core/machine.h"

#define HW_GOLDFISH_RTC_SIZE 0x1000

/* Registers (32 bits wide, 32-bit accesses only). */
#define HW_GOLDFISH_RTC_TIME_LOW        0x00  /* read latches TIME_HIGH */
#define HW_GOLDFISH_RTC_TIME_HIGH       0x04
#define HW_GOLDFISH_RTC_ALARM_LOW       0x08  /* write arms the alarm */
#define HW_GOLDFISH_RTC_ALARM_HIGH      0x0c
#define HW_GOLDFISH_RTC_IRQ_ENABLED     0x10
#define HW_GOLDFISH_RTC_CLEAR_ALARM     0x14
#define HW_GOLDFISH_RTC_ALARM_STATUS    0x18  /* 1 while an alarm is armed */
#define HW_GOLDFISH_RTC_CLEAR_INTERRUPT 0x1c

typedef struct GoldfishRtc GoldfishRtc;

/* NULL if the region overlaps another one. The RTC starts in its reset
   state; it reads the wall clock only when the guest first needs it. */
GoldfishRtc *hw_goldfish_rtc_create(CoreMachine *m, gpa_t base, CoreIrq irq,
                                    CoreInput *input);

#endif
