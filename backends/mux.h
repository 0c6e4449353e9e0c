/*
 * The Ctrl-A escape keys of the stdio console (QEMU's mux chardev, as
 * -nographic and -serial mon:stdio set it up).
 *
 * Ctrl-A x quits, Ctrl-A h lists the keys, Ctrl-A c would switch to the
 * monitor (there is none yet), Ctrl-A Ctrl-A sends a literal Ctrl-A; the
 * escapes never reach the guest. Every other byte, Ctrl-C included
 * (mon:stdio turns the terminal's signals off), is guest input.
 *
 * The filter is host-side only: it answers the user on stderr and tells
 * its caller when to quit; what quitting means for the machine (ending a
 * recording with a SHUTDOWN event) is the caller's business.
 */
#ifndef BACKENDS_MUX_H
#define BACKENDS_MUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct BeMux {
    bool escape_pending;   /* the last byte read was a Ctrl-A */
} BeMux;

/* Remove the escape sequences from buf[0..n) in place and return the
   number of bytes kept for the guest. On Ctrl-A x, *quit is set and 0
   is returned: nothing of that read reaches the guest. */
size_t be_mux_filter(BeMux *mux, uint8_t *buf, size_t n, bool *quit);

#endif
