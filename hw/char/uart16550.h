/*
 * NS16550A UART, as on QEMU's virt board (0x10000000, 8 byte-wide
 * registers at stride 1, PLIC source 10).
 *
 * Transmitted bytes go straight to a character backend. Received bytes
 * arrive only through core input (core/input.h, serial `port`), which is
 * what makes them recordable and replayable.
 *
 * Usage:
 *     Uart16550 *u = hw_uart16550_create(m, 0x10000000, plic_line_10,
 *                                        chr, m->input, 0);
 */
#ifndef HW_CHAR_UART16550_H
#define HW_CHAR_UART16550_H

#include "backends/chardev.h"
#include "core/input.h"
#include "core/irq.h"
#include "core/machine.h"

#define HW_UART16550_SIZE      0x100
#define HW_UART16550_FIFO_SIZE 16
/* QEMU's virt passes this baud base to serial_mm_init; with the divisor
   latch it sets the character time used for the RX timeout interrupt. */
#define HW_UART16550_BAUDBASE  399193

typedef struct Uart16550 Uart16550;

/* chr may be NULL (output discarded), input NULL (nothing received).
   The UART starts in its reset state. NULL if the region overlaps another
   one or port >= CORE_INPUT_MAX_SERIAL. */
Uart16550 *hw_uart16550_create(CoreMachine *m, gpa_t base, CoreIrq irq,
                               BeChardev *chr, CoreInput *input, unsigned port);

#endif
