/*
 * Terminal-query filter: removes from a byte stream the control sequences
 * that make a terminal answer on its input (ECMA-48 and xterm control
 * sequences): device status and cursor position reports (CSI ... n),
 * device attributes (CSI c, CSI >c, CSI =c, ESC Z), DECREQTPARM (CSI x),
 * mode, checksum and presentation-state requests (CSI $p, CSI $w, CSI *y),
 * window reports (CSI 11/13/14/15/16/18/19/20/21 t), XTVERSION (CSI >q),
 * key-protocol and modifier queries (CSI ?u, CSI ?m), XTSMGRAPHICS
 * (CSI ?S), ENQ, OSC queries (a field that is just "?", e.g. OSC 11;?) and
 * DCS $q / +q requests. Everything else passes unchanged and in order.
 *
 * Used where a guest's output goes to a terminal that is not the guest's
 * input (a replay shows a recorded console): there the terminal's answers
 * would land in the user's shell. The stream may be cut anywhere; a
 * sequence split across calls is held until it is complete.
 *
 *     BeTermQuery q;
 *     be_termquery_init(&q);
 *     be_termquery_feed(&q, buf, len, write_out, opaque);   // repeatedly
 *     be_termquery_finish(&q, write_out, opaque);  // emits a cut sequence
 */
#ifndef BACKENDS_TERMQUERY_H
#define BACKENDS_TERMQUERY_H

#include <stddef.h>
#include <stdint.h>

#define BE_TERMQUERY_HOLD 256   /* longer strings are passed, not checked */

typedef struct BeTermQuery {
    uint8_t held[BE_TERMQUERY_HOLD];
    size_t len;
    int state;
} BeTermQuery;

typedef void (*BeTermQueryEmit)(void *opaque, const uint8_t *buf, size_t len);

void be_termquery_init(BeTermQuery *q);
/* Filter len bytes, passing what is kept to emit (in one or more calls). */
void be_termquery_feed(BeTermQuery *q, const uint8_t *buf, size_t len,
                       BeTermQueryEmit emit, void *opaque);
/* End of the stream: a held, unfinished sequence is emitted as it is. */
void be_termquery_finish(BeTermQuery *q, BeTermQueryEmit emit, void *opaque);

#endif
