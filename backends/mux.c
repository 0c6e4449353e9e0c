/*
 * Ctrl-A escapes of the stdio console (see backends/mux.h).
 */
#include "backends/mux.h"

#include <stdio.h>

size_t be_mux_filter(BeMux *mux, uint8_t *buf, size_t n, bool *quit)
{
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = buf[i];
        if (mux->escape_pending) {
            mux->escape_pending = false;
            if (c == 'x') {
                fprintf(stderr, "\nrewind: terminated (Ctrl-A x)\n");
                *quit = true;
                return 0;
            }
            if (c == 'h' || c == '?') {
                fprintf(stderr, "\n"
                        "C-a h    print this help\n"
                        "C-a x    exit rewind (a recording is closed, complete)\n"
                        "C-a c    switch to the monitor (there is no monitor yet)\n"
                        "C-a C-a  send C-a to the guest\n"
                        "C-c is sent to the guest with -nographic or "
                        "-serial mon:stdio\n");
                continue;
            }
            if (c == 'c') {
                fprintf(stderr, "\nrewind: C-a c: there is no monitor yet; "
                        "the console stays with the guest\n");
                continue;
            }
            if (c != 1) {
                fprintf(stderr, "\nrewind: C-a %s%c is not a command "
                        "(C-a h lists them)\n", c < 0x20 ? "C-" : "",
                        c < 0x20 ? c + '@' : (c < 0x7f ? c : '?'));
                continue;
            }
        } else if (c == 1) {
            mux->escape_pending = true;
            continue;
        }
        buf[out++] = c;
    }
    return out;
}
