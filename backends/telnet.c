/*
 * Telnet commands out of a socket chardev's input (see backends/telnet.h).
 */
#include "backends/telnet.h"

enum {
    IAC = 255, DONT = 254, DO = 253, WONT = 252, WILL = 251, SB = 250,
    SE = 240,
    OPT_BINARY = 0, OPT_ECHO = 1, OPT_SGA = 3,
};

/* Filter states: data, after IAC, after IAC WILL/WONT/DO/DONT (the
   option byte follows), inside SB ... (until IAC SE), after IAC inside
   SB. */
enum { ST_DATA, ST_IAC, ST_OPTION, ST_SB, ST_SB_IAC };

const uint8_t be_telnet_greeting[12] = {
    IAC, WILL, OPT_ECHO, IAC, WILL, OPT_SGA,
    IAC, WILL, OPT_BINARY, IAC, DO, OPT_BINARY,
};

void be_telnet_reset(BeTelnet *t)
{
    t->state = ST_DATA;
}

size_t be_telnet_filter(BeTelnet *t, uint8_t *buf, size_t n)
{
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = buf[i];
        switch (t->state) {
        case ST_DATA:
            if (c == IAC) {
                t->state = ST_IAC;
            } else {
                buf[out++] = c;
            }
            break;
        case ST_IAC:
            if (c == IAC) {
                buf[out++] = c;          /* IAC IAC: a data byte 0xff */
                t->state = ST_DATA;
            } else if (c >= WILL && c <= DONT) {
                t->state = ST_OPTION;
            } else if (c == SB) {
                t->state = ST_SB;
            } else {
                t->state = ST_DATA;      /* a two-byte command: NOP, BRK... */
            }
            break;
        case ST_OPTION:
            t->state = ST_DATA;          /* the option we do not act on */
            break;
        case ST_SB:
            if (c == IAC) {
                t->state = ST_SB_IAC;
            }
            break;
        case ST_SB_IAC:
            t->state = c == SE ? ST_DATA : ST_SB;
            break;
        }
    }
    return out;
}
