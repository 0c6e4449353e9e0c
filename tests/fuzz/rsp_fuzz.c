/*
 * Fuzz target for the RSP packet parser (gdbstub/rsp.c): any byte stream
 * must be consumed without a crash, an overrun or a packet longer than
 * RSP_MAX_PACKET, and every packet handed out must be NUL-terminated.
 * Binary packets also go through rsp_unescape, and the framer must round
 * trip whatever the parser accepted.
 *
 * Built with -fsanitize=fuzzer -DREWIND_LIBFUZZER it is a libFuzzer
 * target; otherwise main() runs a fixed pseudo-random stream of 1,000,000
 * bytes (biased towards the protocol's special characters, with valid
 * frames mixed in) so it runs as an ordinary test.
 */
#include "gdbstub/rsp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static RspParser parser;
static uint8_t scratch[RSP_MAX_PACKET + 1];
static uint8_t framed[RSP_FRAMED_MAX(RSP_MAX_PACKET)];
static RspParser check;
static unsigned long packets, bad, too_long;

static void fail(const char *what)
{
    fprintf(stderr, "rsp_fuzz: %s\n", what);
    abort();
}

static void on_packet(const RspParser *p)
{
    if (p->len > RSP_MAX_PACKET || p->data[p->len] != 0) {
        fail("packet longer than the limit or not terminated");
    }
    memcpy(scratch, p->data, p->len);
    long n = rsp_unescape(scratch, p->len);
    if (n > (long)p->len) {
        fail("unescape grew the data");
    }
    /* Re-frame the decoded data as binary and parse it again. */
    if (n >= 0) {
        size_t f = rsp_frame(framed, sizeof(framed), scratch, (size_t)n,
                             RSP_FRAME_BINARY | RSP_FRAME_RLE);
        if (f == 0) {
            fail("frame refused data that fits");
        }
        rsp_parser_init(&check);
        size_t used;
        RspEvent ev = rsp_parser_feed_buf(&check, framed, f, &used);
        if (ev != RSP_EV_PACKET || used != f) {
            fail("re-framed packet did not parse");
        }
        long m = rsp_unescape(check.data, check.len);
        if (m != n || memcmp(check.data, scratch, (size_t)n) != 0) {
            fail("re-framed packet changed");
        }
    }
}

static void feed_bytes(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        switch (rsp_parser_feed(&parser, data[i])) {
        case RSP_EV_PACKET: packets++; on_packet(&parser); break;
        case RSP_EV_BAD: bad++; break;
        case RSP_EV_TOO_LONG: too_long++; break;
        default: break;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_parser_init(&parser);
    feed_bytes(data, size);
    return 0;
}

#ifndef REWIND_LIBFUZZER
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(void)
{
    static const uint8_t special[] = { '$', '#', '*', '}', '+', '-', 0x03,
                                       '0', 'a', 'F', ' ', '~' };
    static uint8_t stream[1000000];
    size_t n = 0;
    while (n < sizeof(stream)) {
        uint64_t r = next_rand();
        if ((r & 63) == 0) {
            /* A valid frame of random binary data (sometimes huge). */
            size_t len = (size_t)(next_rand() % ((r & 64) ? 20000 : 200));
            for (size_t i = 0; i < len; i++) {
                uint64_t b = next_rand();
                scratch[i % sizeof(scratch)] = (b & 3) ? (uint8_t)'0'
                                                       : (uint8_t)(b >> 8);
            }
            len = len < sizeof(scratch) ? len : sizeof(scratch);
            size_t f = rsp_frame(framed, sizeof(framed), scratch, len,
                                 RSP_FRAME_BINARY | RSP_FRAME_RLE);
            for (size_t i = 0; i < f && n < sizeof(stream); i++) {
                stream[n++] = framed[i];
            }
        } else if (r & 2) {
            stream[n++] = special[(r >> 8) % sizeof(special)];
        } else {
            stream[n++] = (uint8_t)(r >> 16);
        }
    }
    rsp_parser_init(&parser);
    /* In pieces of varying size, as reads from a socket would give. */
    for (size_t off = 0; off < sizeof(stream);) {
        size_t piece = 1 + (size_t)(next_rand() % 4096);
        if (piece > sizeof(stream) - off) {
            piece = sizeof(stream) - off;
        }
        feed_bytes(stream + off, piece);
        off += piece;
    }
    printf("rsp_fuzz: 1000000 bytes, %lu packets, %lu bad, %lu too long\n",
           packets, bad, too_long);
    return packets > 0 ? 0 : 1;
}
#endif
