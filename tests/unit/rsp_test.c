/*
 * GDB Remote Serial Protocol packet layer (gdbstub/rsp.c): framing,
 * checksums, acknowledgements, interrupts, run-length encoding, binary
 * escapes, the size limit and resynchronisation after garbage. Every
 * stream is fed one byte at a time, as it arrives from a socket.
 */
#include "gdbstub/rsp.h"
#include "tests/unit/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Events a stream produces, in order (at most 16), fed byte by byte. */
typedef struct Events {
    RspEvent ev[16];
    size_t n;
    uint8_t last[RSP_MAX_PACKET + 1];   /* data of the last packet */
    size_t last_len;
} Events;

static void feed(RspParser *p, const void *buf, size_t len, Events *out)
{
    const uint8_t *b = buf;
    out->n = 0;
    for (size_t i = 0; i < len; i++) {
        RspEvent ev = rsp_parser_feed(p, b[i]);
        if (ev == RSP_EV_NONE) {
            continue;
        }
        if (out->n < 16) {
            out->ev[out->n++] = ev;
        }
        if (ev == RSP_EV_PACKET) {
            memcpy(out->last, p->data, p->len + 1);
            out->last_len = p->len;
        }
    }
}

static void feed_str(RspParser *p, const char *s, Events *out)
{
    feed(p, s, strlen(s), out);
}

/* "$data#cc" with a correct checksum over data as given. */
static size_t frame_raw(char *out, const char *data)
{
    unsigned sum = 0;
    for (const char *c = data; *c; c++) {
        sum += (uint8_t)*c;
    }
    return (size_t)sprintf(out, "$%s#%02x", data, sum & 0xff);
}

static void test_checksum_and_framing(void)
{
    uint8_t out[64];
    size_t n = rsp_frame(out, sizeof(out), "OK", 2, 0);
    CHECK(n == 6 && memcmp(out, "$OK#9a", 6) == 0);
    n = rsp_frame(out, sizeof(out), "", 0, 0);
    CHECK(n == 4 && memcmp(out, "$#00", 4) == 0);
    /* Text must not need escapes; a buffer too small is refused. */
    CHECK(rsp_frame(out, sizeof(out), "a#b", 3, 0) == 0);
    CHECK(rsp_frame(out, 5, "OK", 2, 0) == 0);

    RspParser p;
    Events e;
    rsp_parser_init(&p);
    feed_str(&p, "$OK#9a", &e);
    CHECK(e.n == 1 && e.ev[0] == RSP_EV_PACKET);
    CHECK(e.last_len == 2 && strcmp((char *)e.last, "OK") == 0);
    feed_str(&p, "$OK#9A", &e);   /* upper-case checksum digits */
    CHECK(e.n == 1 && e.ev[0] == RSP_EV_PACKET);
    feed_str(&p, "$#00", &e);     /* empty packet */
    CHECK(e.n == 1 && e.ev[0] == RSP_EV_PACKET && e.last_len == 0);
}

static void test_acks_and_interrupt(void)
{
    RspParser p;
    Events e;
    rsp_parser_init(&p);
    feed_str(&p, "+-\x03", &e);
    CHECK(e.n == 3 && e.ev[0] == RSP_EV_ACK && e.ev[1] == RSP_EV_NAK &&
          e.ev[2] == RSP_EV_INTERRUPT);
    /* Inside a packet, 0x03, '+' and '-' are data. */
    char buf[32];
    frame_raw(buf, "a\x03+-");
    feed_str(&p, buf, &e);
    CHECK(e.n == 1 && e.ev[0] == RSP_EV_PACKET && e.last_len == 4 &&
          memcmp(e.last, "a\x03+-", 4) == 0);
    /* The ack of a packet followed by the next packet, as gdb sends. */
    frame_raw(buf, "g");
    char two[40];
    snprintf(two, sizeof(two), "+%s", buf);
    feed_str(&p, two, &e);
    CHECK(e.n == 2 && e.ev[0] == RSP_EV_ACK && e.ev[1] == RSP_EV_PACKET);
}

static void test_bad_checksum_then_recovery(void)
{
    RspParser p;
    Events e;
    rsp_parser_init(&p);
    feed_str(&p, "$OK#00", &e);
    CHECK(e.n == 1 && e.ev[0] == RSP_EV_BAD);
    feed_str(&p, "$OK#9a", &e);
    CHECK(e.n == 1 && e.ev[0] == RSP_EV_PACKET);
    /* Non-hex checksum digits. */
    feed_str(&p, "$OK#zz", &e);
    CHECK(e.n >= 1 && e.ev[0] == RSP_EV_BAD);
    feed_str(&p, "$OK#9a", &e);
    CHECK(e.n == 1 && e.ev[0] == RSP_EV_PACKET);
    /* A checksum cut short by a new packet: bad, then the new one. */
    feed_str(&p, "$OK#9$OK#9a", &e);
    CHECK(e.n == 2 && e.ev[0] == RSP_EV_BAD && e.ev[1] == RSP_EV_PACKET);
}

static void test_garbage_and_resync(void)
{
    RspParser p;
    Events e;
    rsp_parser_init(&p);
    /* Noise between packets is ignored. */
    feed_str(&p, "hello\r\n#12 }}}*** $OK#9a", &e);
    CHECK(e.n == 1 && e.ev[0] == RSP_EV_PACKET &&
          strcmp((char *)e.last, "OK") == 0);
    /* A '$' inside a packet abandons it for the new one. */
    feed_str(&p, "$garbage$OK#9a", &e);
    CHECK(e.n == 1 && e.ev[0] == RSP_EV_PACKET &&
          strcmp((char *)e.last, "OK") == 0);
    /* Binary zeros and high bytes are fine as data. */
    static const uint8_t bin[] = { '$', 0, 0xff, 0x80, '#', '7', 'f' };
    feed(&p, bin, sizeof(bin), &e);
    CHECK(e.n == 1 && e.ev[0] == RSP_EV_PACKET && e.last_len == 3 &&
          e.last[0] == 0 && e.last[1] == 0xff);
}

static void test_run_length_decoding(void)
{
    RspParser p;
    Events e;
    char buf[64];
    rsp_parser_init(&p);
    /* "0* " = '0' plus 3 more (' ' is 32 = 3 + 29). */
    frame_raw(buf, "0* ");
    feed_str(&p, buf, &e);
    CHECK(e.n == 1 && e.ev[0] == RSP_EV_PACKET &&
          strcmp((char *)e.last, "0000") == 0);
    frame_raw(buf, "ab*\"c");   /* '"' = 34: 5 more b's */
    feed_str(&p, buf, &e);
    CHECK(e.n == 1 && strcmp((char *)e.last, "abbbbbbc") == 0);
    /* A count with no preceding byte, or below 3, is malformed. */
    frame_raw(buf, "*\"ab");
    feed_str(&p, buf, &e);
    CHECK(e.n == 1 && e.ev[0] == RSP_EV_BAD);
    frame_raw(buf, "a*\x1f");
    feed_str(&p, buf, &e);
    CHECK(e.n == 1 && e.ev[0] == RSP_EV_BAD);
    /* '*' right before '#': bad, and the parser still sees the frame end. */
    feed_str(&p, "$a*#00", &e);
    CHECK(e.n == 1 && e.ev[0] == RSP_EV_BAD);
    feed_str(&p, "$OK#9a", &e);
    CHECK(e.n == 1 && e.ev[0] == RSP_EV_PACKET);
}

static void test_run_length_round_trip(void)
{
    /* Every run length up to 300 of one byte, between other bytes. */
    static uint8_t data[400];
    static uint8_t framed[RSP_FRAMED_MAX(400)];
    RspParser p;
    Events e;
    rsp_parser_init(&p);
    int ok = 0;
    for (size_t run = 1; run <= 300; run++) {
        size_t n = 0;
        data[n++] = 'x';
        memset(data + n, '0', run);
        n += run;
        data[n++] = 'y';
        size_t f = rsp_frame(framed, sizeof(framed), data, n, RSP_FRAME_RLE);
        bool clean = f > 0;
        for (size_t i = 1; clean && i + 3 < f; i++) {
            clean = framed[i] != '#' && framed[i] != '$';
        }
        feed(&p, framed, f, &e);
        ok += clean && e.n == 1 && e.ev[0] == RSP_EV_PACKET &&
              e.last_len == n && memcmp(e.last, data, n) == 0 &&
              (run < 10 || f < n);   /* long runs are actually shortened */
    }
    CHECK(ok == 300);
}

static void test_binary_escapes(void)
{
    uint8_t data[512];
    for (int i = 0; i < 512; i++) {
        data[i] = (uint8_t)(i * 7 + (i >> 8));
    }
    data[0] = '$';
    data[1] = '#';
    data[2] = '}';
    data[3] = '*';
    static uint8_t framed[RSP_FRAMED_MAX(512)];
    size_t f = rsp_frame(framed, sizeof(framed), data, sizeof(data),
                         RSP_FRAME_BINARY | RSP_FRAME_RLE);
    CHECK(f > 0);
    RspParser p;
    Events e;
    rsp_parser_init(&p);
    feed(&p, framed, f, &e);
    CHECK(e.n == 1 && e.ev[0] == RSP_EV_PACKET);
    long n = rsp_unescape(e.last, e.last_len);
    CHECK(n == 512 && memcmp(e.last, data, 512) == 0);
    /* Escapes as gdb writes them in X packets: '#' and '}'. */
    uint8_t esc[] = { '}', 0x03, '}', 0x5d, 'a' };
    CHECK(rsp_unescape(esc, sizeof(esc)) == 3 && esc[0] == '#' &&
          esc[1] == '}' && esc[2] == 'a');
    uint8_t trunc[] = { 'a', '}' };
    CHECK(rsp_unescape(trunc, sizeof(trunc)) == -1);
}

static void test_oversize(void)
{
    static char big[RSP_MAX_PACKET + 64];
    static char framed[RSP_MAX_PACKET + 80];
    RspParser p;
    Events e;
    rsp_parser_init(&p);
    /* Exactly the limit fits. */
    memset(big, 'a', RSP_MAX_PACKET);
    big[RSP_MAX_PACKET] = 0;
    frame_raw(framed, big);
    feed_str(&p, framed, &e);
    CHECK(e.n == 1 && e.ev[0] == RSP_EV_PACKET && e.last_len == RSP_MAX_PACKET);
    /* One more byte: consumed to its end and reported, then all is well. */
    memset(big, 'a', RSP_MAX_PACKET + 1);
    big[RSP_MAX_PACKET + 1] = 0;
    frame_raw(framed, big);
    feed_str(&p, framed, &e);
    CHECK(e.n == 1 && e.ev[0] == RSP_EV_TOO_LONG);
    CHECK(p.len <= RSP_MAX_PACKET && p.data[p.len] == 0);
    feed_str(&p, "$OK#9a", &e);
    CHECK(e.n == 1 && e.ev[0] == RSP_EV_PACKET);
    /* Run-length expansion past the limit is caught the same way. */
    char *q = big;
    *q++ = 'z';
    for (int i = 0; i < RSP_MAX_PACKET / 97 + 2; i++) {
        *q++ = '*';
        *q++ = '~';
    }
    *q = 0;
    frame_raw(framed, big);
    feed_str(&p, framed, &e);
    CHECK(e.n == 1 && e.ev[0] == RSP_EV_TOO_LONG);
    /* A bad checksum on an oversized packet is just bad. */
    feed_str(&p, "$", &e);
    for (int i = 0; i < RSP_MAX_PACKET + 10; i++) {
        rsp_parser_feed(&p, 'b');
    }
    feed_str(&p, "#00", &e);
    CHECK(e.n == 1 && e.ev[0] == RSP_EV_BAD);
}

static void test_feed_buf_stops_at_event(void)
{
    RspParser p;
    rsp_parser_init(&p);
    const char *s = "$OK#9a+$g#67";
    size_t used;
    RspEvent ev = rsp_parser_feed_buf(&p, (const uint8_t *)s, strlen(s), &used);
    CHECK(ev == RSP_EV_PACKET && used == 6);
    ev = rsp_parser_feed_buf(&p, (const uint8_t *)s + used, strlen(s) - used,
                             &used);
    CHECK(ev == RSP_EV_ACK && used == 1);
    ev = rsp_parser_feed_buf(&p, (const uint8_t *)s + 7, strlen(s) - 7, &used);
    CHECK(ev == RSP_EV_PACKET && strcmp((char *)p.data, "g") == 0);
    ev = rsp_parser_feed_buf(&p, (const uint8_t *)"$ab", 3, &used);
    CHECK(ev == RSP_EV_NONE && used == 3);
}

static void test_hex_helpers(void)
{
    char hex[16];
    CHECK(rsp_hex_encode(hex, "\x01\xab\xff", 3) == 6 &&
          strcmp(hex, "01abff") == 0);
    uint8_t b[4];
    CHECK(rsp_hex_decode(b, sizeof(b), "01ABff", 6) == 3 && b[1] == 0xab);
    CHECK(rsp_hex_decode(b, sizeof(b), "0", 1) == -1);
    CHECK(rsp_hex_decode(b, sizeof(b), "0g", 2) == -1);
    CHECK(rsp_hex_decode(b, 2, "010203", 6) == -1);
    const char *s = "80000000,4";
    uint64_t v;
    CHECK(rsp_parse_hex(&s, &v) && v == 0x80000000 && *s == ',');
    s = "ffffffffffffffff";
    CHECK(rsp_parse_hex(&s, &v) && v == UINT64_MAX && *s == 0);
    s = "10000000000000000";   /* 65 bits */
    CHECK(!rsp_parse_hex(&s, &v));
    s = ",";
    CHECK(!rsp_parse_hex(&s, &v));
}

int main(void)
{
    test_checksum_and_framing();
    test_acks_and_interrupt();
    test_bad_checksum_then_recovery();
    test_garbage_and_resync();
    test_run_length_decoding();
    test_run_length_round_trip();
    test_binary_escapes();
    test_oversize();
    test_feed_buf_stops_at_event();
    test_hex_helpers();
    return check_done("rsp");
}
