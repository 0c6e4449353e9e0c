/*
 * GDB Remote Serial Protocol, packet layer: framing, checksums,
 * acknowledgements, run-length encoding and binary escapes. No sockets,
 * no machine: bytes in, packets out, so it can be tested and fuzzed alone.
 * (GDB manual, appendix E.1 "Overview", E.11 "Interrupts", E.12 "Packet
 * Acknowledgment".)
 *
 * A packet is `$data#cc`, cc being two hex digits of the modulo-256 sum of
 * the bytes of data as sent. Outside a packet, `+` and `-` acknowledge,
 * 0x03 asks to interrupt the target, anything else is noise and ignored.
 * Inside data, `}` escapes the next byte (which is XORed with 0x20) and
 * `x*n` repeats x n-29 more times; the parser hands out data with the
 * run-length encoding expanded but escapes kept, because whether `}` is
 * an escape depends on the packet (binary `X` data); rsp_unescape() undoes
 * them where they apply.
 *
 * Invariants: the parser accepts any byte sequence, never writes past its
 * buffer, and after every event is ready for the next packet. A packet
 * whose data (expanded) is longer than RSP_MAX_PACKET bytes is consumed
 * to its end and reported as RSP_EV_TOO_LONG.
 *
 * Usage (a server loop):
 *     RspParser p;
 *     rsp_parser_init(&p);
 *     for each byte b received:
 *         switch (rsp_parser_feed(&p, b)) {
 *         case RSP_EV_PACKET: handle(p.data, p.len); break;   // ack '+'
 *         case RSP_EV_BAD:    send "-" (ack mode); break;
 *         case RSP_EV_INTERRUPT: stop the target; break;
 *         ...
 *         }
 *     n = rsp_frame(out, sizeof(out), "OK", 2, RSP_FRAME_RLE);
 */
#ifndef GDBSTUB_RSP_H
#define GDBSTUB_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest packet data we accept, and advertise as PacketSize (hex). */
#define RSP_MAX_PACKET 0x4000

/* Worst-case framed size of `len` data bytes (every byte escaped). */
#define RSP_FRAMED_MAX(len) (2 * (size_t)(len) + 4)

typedef enum RspEvent {
    RSP_EV_NONE,       /* need more bytes */
    RSP_EV_PACKET,     /* complete packet with a good checksum: data/len */
    RSP_EV_BAD,        /* bad checksum or malformed frame: NAK it */
    RSP_EV_TOO_LONG,   /* complete packet longer than RSP_MAX_PACKET */
    RSP_EV_INTERRUPT,  /* 0x03 outside a packet */
    RSP_EV_ACK,        /* '+' */
    RSP_EV_NAK,        /* '-': resend the last packet */
} RspEvent;

typedef enum RspState {
    RSP_ST_IDLE,       /* between packets */
    RSP_ST_DATA,       /* after '$' */
    RSP_ST_DATA_ESC,   /* after '}' inside data */
    RSP_ST_RLE,        /* after '*': next byte is a repeat count */
    RSP_ST_CSUM1,      /* after '#' */
    RSP_ST_CSUM2,      /* after the first checksum digit */
} RspState;

typedef struct RspParser {
    RspState state;
    uint8_t sum;            /* running checksum of the bytes as sent */
    uint8_t csum_hi;        /* first checksum digit's value */
    bool bad;               /* malformed RLE inside this packet */
    bool overflow;          /* data exceeded RSP_MAX_PACKET */
    size_t len;             /* bytes in data (decoded from RLE) */
    uint8_t data[RSP_MAX_PACKET + 1];  /* +1: always NUL-terminated */
} RspParser;

void rsp_parser_init(RspParser *p);

/* Consume one byte; returns what it completed, if anything. After
   RSP_EV_PACKET, p->data[0..p->len) holds the packet (NUL-terminated) until
   the next call. */
RspEvent rsp_parser_feed(RspParser *p, uint8_t byte);

/* Feed len bytes, stopping after the first event other than RSP_EV_NONE;
   *used says how many bytes were consumed. */
RspEvent rsp_parser_feed_buf(RspParser *p, const uint8_t *buf, size_t len,
                             size_t *used);

enum {
    RSP_FRAME_RLE = 1 << 0,     /* run-length encode (responses only) */
    RSP_FRAME_BINARY = 1 << 1,  /* escape '$', '#', '}' and '*' */
};

/* Frame data as $...#cc into out (at most cap bytes). Without
   RSP_FRAME_BINARY, data must not contain '$', '#', '}' or '*'. Returns the
   framed length, or 0 if it does not fit. */
size_t rsp_frame(uint8_t *out, size_t cap, const void *data, size_t len,
                 unsigned flags);

/* Undo '}' escapes in place; returns the new length, or -1 if the data
   ends inside an escape. */
long rsp_unescape(uint8_t *buf, size_t len);

/* Hex helpers. rsp_hex_decode returns bytes written, or -1 on a non-hex
   digit or odd length. */
int rsp_hex_digit(int c);
size_t rsp_hex_encode(char *out, const void *data, size_t len);
long rsp_hex_decode(void *out, size_t cap, const char *hex, size_t hexlen);

/* Parse a hex number at *s, advancing it; false if there is no digit or it
   overflows 64 bits. */
bool rsp_parse_hex(const char **s, uint64_t *out);

#endif
