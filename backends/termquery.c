/*
 * Terminal-query filter (see backends/termquery.h): a small state machine
 * over ECMA-48 syntax. An escape sequence is held from its ESC until it is
 * complete, then dropped if it is a query or emitted whole otherwise.
 * Kept bytes are gathered in a local buffer so the output is written in a
 * few large pieces, not byte by byte.
 *
 * Syntax (ECMA-48 5.4): CSI = ESC [, parameter bytes 0x30-0x3F,
 * intermediate bytes 0x20-0x2F, one final byte 0x40-0x7E; OSC = ESC ] and
 * DCS = ESC P strings end at ST (ESC \), an OSC also at BEL; CAN and SUB
 * abort a sequence. A sequence broken by another control byte is emitted
 * as it was and the byte handled afresh.
 */
#include "backends/termquery.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum {
    TQ_GROUND,
    TQ_ESC,        /* held: ESC */
    TQ_CSI,        /* held: ESC [ ... */
    TQ_STR,        /* held: ESC ] ... or ESC P ... */
    TQ_STR_ESC,    /* held: a string, then ESC (ST or a new sequence) */
    TQ_PASS,       /* a string too long to hold: passed up to its end */
    TQ_PASS_ESC,
};

#define ESC 0x1b
#define BEL 0x07
#define ENQ 0x05
#define CAN 0x18
#define SUB 0x1a

typedef struct Out {
    uint8_t buf[1024];
    size_t len;
    BeTermQueryEmit emit;
    void *opaque;
} Out;

static void out_flush(Out *o)
{
    if (o->len) {
        o->emit(o->opaque, o->buf, o->len);
        o->len = 0;
    }
}

static void put(Out *o, const uint8_t *p, size_t n)
{
    while (n) {
        if (o->len == sizeof(o->buf)) {
            out_flush(o);
        }
        size_t k = sizeof(o->buf) - o->len;
        k = k < n ? k : n;
        memcpy(o->buf + o->len, p, k);
        o->len += k;
        p += k;
        n -= k;
    }
}

static void put_held(BeTermQuery *q, Out *o)
{
    put(o, q->held, q->len);
    q->len = 0;
}

/* CSI sequence held[0..len) (ESC [ ... final): does a terminal answer it? */
static bool csi_is_query(const uint8_t *h, size_t len)
{
    uint8_t final = h[len - 1];
    uint8_t prefix = len > 3 && h[2] >= 0x3c && h[2] <= 0x3f ? h[2] : 0;
    uint8_t inter = 0;
    long first = -1;          /* the first parameter; -1 when absent */
    bool in_first = true;
    for (size_t i = 2 + (prefix != 0); i + 1 < len; i++) {
        if (h[i] >= 0x20 && h[i] <= 0x2f) {
            inter = h[i];
        } else if (h[i] == ';') {
            in_first = false;
        } else if (in_first && h[i] >= '0' && h[i] <= '9' && first < 100000) {
            first = (first < 0 ? 0 : first * 10) + (h[i] - '0');
        }
    }
    switch (final) {
    case 'n':                       /* DSR, CPR, DECXCPR and friends */
    case 'c':                       /* DA1, DA2 (>), DA3 (=) */
        return inter == 0;
    case 'x':                       /* DECREQTPARM */
        return inter == 0 && prefix == 0;
    case 'p':                       /* DECRQM */
    case 'w':                       /* DECRQPSR */
        return inter == '$';
    case 'y':                       /* DECRQCRA */
        return inter == '*';
    case 't':                       /* XTWINOPS reports */
        return inter == 0 && prefix == 0 && first >= 11 && first <= 21 &&
               first != 12 && first != 17;
    case 'q':                       /* XTVERSION */
        return inter == 0 && prefix == '>';
    case 'u':                       /* keyboard protocol query */
    case 'm':                       /* XTQMODKEYS */
    case 'S':                       /* XTSMGRAPHICS */
        return inter == 0 && prefix == '?';
    default:
        return false;
    }
}

/* OSC or DCS string held[0..len), terminator included. */
static bool str_is_query(const uint8_t *h, size_t len)
{
    size_t end = len - (h[len - 1] == BEL ? 1 : 2);
    if (h[1] == 'P') {
        return end >= 4 && (h[2] == '$' || h[2] == '+') && h[3] == 'q';
    }
    /* OSC: a query has a field that is just "?" (OSC 11;? , OSC 4;1;?). */
    size_t field = 2;
    for (size_t i = 2; i <= end; i++) {
        if (i == end || h[i] == ';') {
            if (i - field == 1 && h[field] == '?') {
                return true;
            }
            field = i + 1;
        }
    }
    return false;
}

static void hold(BeTermQuery *q, uint8_t c)
{
    q->held[q->len++] = c;
}

/* One byte; returns false if it must be handled again in the new state. */
static bool step(BeTermQuery *q, Out *o, uint8_t c)
{
    switch (q->state) {
    case TQ_GROUND:
        if (c == ESC) {
            hold(q, c);
            q->state = TQ_ESC;
        } else if (c != ENQ) {
            put(o, &c, 1);
        }
        return true;
    case TQ_ESC:
        if (c == ESC) {
            put_held(q, o);
            hold(q, c);
        } else if (c == 'Z') {        /* DECID */
            q->len = 0;
            q->state = TQ_GROUND;
        } else if (c == '[' || c == ']' || c == 'P') {
            hold(q, c);
            q->state = c == '[' ? TQ_CSI : TQ_STR;
        } else {
            hold(q, c);
            put_held(q, o);
            q->state = TQ_GROUND;
        }
        return true;
    case TQ_CSI:
        if (c >= 0x40 && c <= 0x7e) {
            hold(q, c);
            if (csi_is_query(q->held, q->len)) {
                q->len = 0;
            } else {
                put_held(q, o);
            }
            q->state = TQ_GROUND;
            return true;
        }
        if (c >= 0x20 && c <= 0x3f && q->len + 1 < BE_TERMQUERY_HOLD) {
            hold(q, c);
            return true;
        }
        put_held(q, o);               /* broken or too long: as it was */
        q->state = TQ_GROUND;
        return c == ESC ? false : (put(o, &c, 1), true);
    case TQ_STR:
        if (c == CAN || c == SUB) {
            put_held(q, o);
            put(o, &c, 1);
            q->state = TQ_GROUND;
        } else if (c == ESC) {
            hold(q, c);
            q->state = TQ_STR_ESC;
        } else if (c == BEL && q->held[1] == ']') {
            hold(q, c);
            if (str_is_query(q->held, q->len)) {
                q->len = 0;
            } else {
                put_held(q, o);
            }
            q->state = TQ_GROUND;
        } else if (q->len + 2 < BE_TERMQUERY_HOLD) {
            hold(q, c);
        } else {
            put_held(q, o);
            put(o, &c, 1);
            q->state = TQ_PASS;
        }
        return true;
    case TQ_STR_ESC:
        if (c == '\\') {
            hold(q, c);
            if (str_is_query(q->held, q->len)) {
                q->len = 0;
            } else {
                put_held(q, o);
            }
            q->state = TQ_GROUND;
            return true;
        }
        /* ESC began a new sequence: the string ended there. */
        q->len--;
        put_held(q, o);
        hold(q, ESC);
        q->state = TQ_ESC;
        return false;
    case TQ_PASS:
        if (c == ESC) {
            q->state = TQ_PASS_ESC;
            return true;
        }
        put(o, &c, 1);
        if (c == BEL || c == CAN || c == SUB) {
            q->state = TQ_GROUND;
        }
        return true;
    case TQ_PASS_ESC:
        if (c == '\\') {
            static const uint8_t st[2] = { ESC, '\\' };
            put(o, st, 2);
            q->state = TQ_GROUND;
            return true;
        }
        hold(q, ESC);
        q->state = TQ_ESC;
        return false;
    }
    abort();   /* unreachable: every state is handled above */
}

void be_termquery_init(BeTermQuery *q)
{
    q->len = 0;
    q->state = TQ_GROUND;
}

void be_termquery_feed(BeTermQuery *q, const uint8_t *buf, size_t len,
                       BeTermQueryEmit emit, void *opaque)
{
    Out o = { .len = 0, .emit = emit, .opaque = opaque };
    for (size_t i = 0; i < len; i++) {
        if (!step(q, &o, buf[i])) {
            step(q, &o, buf[i]);
        }
    }
    out_flush(&o);
}

void be_termquery_finish(BeTermQuery *q, BeTermQueryEmit emit, void *opaque)
{
    Out o = { .len = 0, .emit = emit, .opaque = opaque };
    if (q->state == TQ_PASS_ESC) {
        hold(q, ESC);
    }
    put_held(q, &o);
    out_flush(&o);
    be_termquery_init(q);
}
