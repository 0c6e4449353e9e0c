/*
 * GDB Remote Serial Protocol packet layer (see gdbstub/rsp.h).
 * GDB manual E.1 "Overview": framing, checksum, escapes, run-length
 * encoding; E.11 "Interrupts"; E.12 "Packet Acknowledgment".
 */
#include "gdbstub/rsp.h"

#include <string.h>

#define RSP_ESCAPE '}'
#define RSP_RLE '*'
#define RSP_INTERRUPT 0x03
/* A run-length count byte c means c - 29 extra copies. */
#define RSP_RLE_BIAS 29
#define RSP_RLE_MIN 3     /* shortest run worth (and allowed) encoding */
#define RSP_RLE_MAX 97    /* '~' - 29 */

void rsp_parser_init(RspParser *p)
{
    memset(p, 0, sizeof(*p));
    p->state = RSP_ST_IDLE;
}

static void start_packet(RspParser *p)
{
    p->state = RSP_ST_DATA;
    p->sum = 0;
    p->len = 0;
    p->bad = false;
    p->overflow = false;
    p->data[0] = 0;
}

static void store(RspParser *p, uint8_t c)
{
    if (p->len < RSP_MAX_PACKET) {
        p->data[p->len++] = c;
    } else {
        p->overflow = true;
    }
}

int rsp_hex_digit(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The frame ended with its checksum: classify it. */
static RspEvent finish(RspParser *p, uint8_t csum)
{
    p->state = RSP_ST_IDLE;
    p->data[p->len] = 0;
    if (csum != p->sum || p->bad) {
        return RSP_EV_BAD;
    }
    return p->overflow ? RSP_EV_TOO_LONG : RSP_EV_PACKET;
}

RspEvent rsp_parser_feed(RspParser *p, uint8_t c)
{
    switch (p->state) {
    case RSP_ST_IDLE:
        switch (c) {
        case '$': start_packet(p); return RSP_EV_NONE;
        case '+': return RSP_EV_ACK;
        case '-': return RSP_EV_NAK;
        case RSP_INTERRUPT: return RSP_EV_INTERRUPT;
        default: return RSP_EV_NONE;   /* line noise */
        }
    case RSP_ST_DATA:
        if (c == '#') {
            p->state = RSP_ST_CSUM1;
            return RSP_EV_NONE;
        }
        if (c == '$') {
            /* A new frame starts before this one ended: the sender gave up
               on it (or it was noise); resynchronise on the new one. */
            start_packet(p);
            return RSP_EV_NONE;
        }
        p->sum += c;
        if (c == RSP_ESCAPE) {
            store(p, c);
            p->state = RSP_ST_DATA_ESC;
        } else if (c == RSP_RLE) {
            p->state = RSP_ST_RLE;
        } else {
            store(p, c);
        }
        return RSP_EV_NONE;
    case RSP_ST_DATA_ESC:
        if (c == '#' || c == '$') {
            /* An escape must be followed by a byte: malformed. */
            p->bad = true;
            p->state = RSP_ST_DATA;
            return rsp_parser_feed(p, c);
        }
        p->sum += c;
        store(p, c);
        p->state = RSP_ST_DATA;
        return RSP_EV_NONE;
    case RSP_ST_RLE: {
        if (c == '#' || c == '$') {
            p->bad = true;
            p->state = RSP_ST_DATA;
            return rsp_parser_feed(p, c);
        }
        p->sum += c;
        p->state = RSP_ST_DATA;
        int n = (int)c - RSP_RLE_BIAS;
        if (n < RSP_RLE_MIN || n > RSP_RLE_MAX || p->len == 0) {
            p->bad = true;
            return RSP_EV_NONE;
        }
        uint8_t prev = p->data[p->len - 1];
        for (int i = 0; i < n; i++) {
            store(p, prev);
        }
        return RSP_EV_NONE;
    }
    case RSP_ST_CSUM1: {
        int d = rsp_hex_digit(c);
        if (d < 0) {
            p->state = RSP_ST_IDLE;
            if (c == '$') {
                start_packet(p);
            }
            return RSP_EV_BAD;
        }
        p->csum_hi = (uint8_t)d;
        p->state = RSP_ST_CSUM2;
        return RSP_EV_NONE;
    }
    case RSP_ST_CSUM2: {
        int d = rsp_hex_digit(c);
        if (d < 0) {
            p->state = RSP_ST_IDLE;
            if (c == '$') {
                start_packet(p);
            }
            return RSP_EV_BAD;
        }
        return finish(p, (uint8_t)(p->csum_hi << 4 | d));
    }
    }
    p->state = RSP_ST_IDLE;
    return RSP_EV_NONE;
}

RspEvent rsp_parser_feed_buf(RspParser *p, const uint8_t *buf, size_t len,
                             size_t *used)
{
    for (size_t i = 0; i < len; i++) {
        RspEvent ev = rsp_parser_feed(p, buf[i]);
        if (ev != RSP_EV_NONE) {
            *used = i + 1;
            return ev;
        }
    }
    *used = len;
    return RSP_EV_NONE;
}

static bool needs_escape(uint8_t c)
{
    return c == '$' || c == '#' || c == RSP_ESCAPE || c == RSP_RLE;
}

/* Output cursor with a capacity; overflow sticks. */
typedef struct Out {
    uint8_t *p;
    size_t len, cap;
    uint8_t sum;
    bool full;
} Out;

static void put(Out *o, uint8_t c, bool counted)
{
    if (o->len >= o->cap) {
        o->full = true;
        return;
    }
    o->p[o->len++] = c;
    if (counted) {
        o->sum += c;
    }
}

size_t rsp_frame(uint8_t *out, size_t cap, const void *data, size_t len,
                 unsigned flags)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *d = data;
    Out o = { out, 0, cap, 0, false };
    put(&o, '$', false);
    for (size_t i = 0; i < len;) {
        uint8_t c = d[i];
        bool esc = needs_escape(c);
        if (esc && !(flags & RSP_FRAME_BINARY)) {
            return 0;   /* caller bug: text data must not need escapes */
        }
        if (esc) {
            /* Escaped bytes are never run-length encoded: keep it simple. */
            put(&o, RSP_ESCAPE, true);
            put(&o, c ^ 0x20, true);
            i++;
            continue;
        }
        put(&o, c, true);
        i++;
        if (!(flags & RSP_FRAME_RLE)) {
            continue;
        }
        size_t run = 0;
        while (i + run < len && d[i + run] == c && run < RSP_RLE_MAX) {
            run++;
        }
        if (run >= RSP_RLE_MIN) {
            /* Counts 6 and 7 would encode as '#' and '$'. */
            if (run == 6 || run == 7) {
                run = 5;
            }
            put(&o, RSP_RLE, true);
            put(&o, (uint8_t)(run + RSP_RLE_BIAS), true);
            i += run;
        }
    }
    uint8_t sum = o.sum;
    put(&o, '#', false);
    put(&o, (uint8_t)hex[sum >> 4], false);
    put(&o, (uint8_t)hex[sum & 15], false);
    return o.full ? 0 : o.len;
}

long rsp_unescape(uint8_t *buf, size_t len)
{
    size_t out = 0;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == RSP_ESCAPE) {
            if (++i >= len) {
                return -1;
            }
            buf[out++] = buf[i] ^ 0x20;
        } else {
            buf[out++] = buf[i];
        }
    }
    return (long)out;
}

size_t rsp_hex_encode(char *out, const void *data, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *d = data;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[2 * len] = 0;
    return 2 * len;
}

long rsp_hex_decode(void *out, size_t cap, const char *hex, size_t hexlen)
{
    uint8_t *o = out;
    if (hexlen % 2 || hexlen / 2 > cap) {
        return -1;
    }
    for (size_t i = 0; i < hexlen / 2; i++) {
        int hi = rsp_hex_digit((unsigned char)hex[2 * i]);
        int lo = rsp_hex_digit((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        o[i] = (uint8_t)(hi << 4 | lo);
    }
    return (long)(hexlen / 2);
}

bool rsp_parse_hex(const char **s, uint64_t *out)
{
    const char *p = *s;
    uint64_t v = 0;
    int d;
    if (rsp_hex_digit((unsigned char)*p) < 0) {
        return false;
    }
    while ((d = rsp_hex_digit((unsigned char)*p)) >= 0) {
        if (v >> 60) {
            return false;
        }
        v = v << 4 | (uint64_t)d;
        p++;
    }
    *s = p;
    *out = v;
    return true;
}
