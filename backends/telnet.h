/*
 * The telnet side of a -chardev socket,telnet=on server (RFC 854/855, as
 * little as a serial console needs): on each new connection the server
 * offers to echo and to suppress go-ahead and asks for binary mode, as
 * QEMU does, so a telnet client sends characters at once and unchanged;
 * every command and option negotiation the client sends (IAC ..., SB ...
 * SE) is removed from its input, and IAC IAC is one 0xff byte. The guest
 * only ever sees the clean bytes: the filter runs on the host side,
 * before they become SERIAL_RX events. Output doubles 0xff (IAC IAC), as
 * the protocol wants.
 */
#ifndef BACKENDS_TELNET_H
#define BACKENDS_TELNET_H

#include <stddef.h>
#include <stdint.h>

typedef struct BeTelnet {
    uint8_t state;   /* where in a command the last byte left the filter */
} BeTelnet;

/* What the server sends first on a new connection. */
extern const uint8_t be_telnet_greeting[12];

/* A new connection: no command under way. */
void be_telnet_reset(BeTelnet *t);

/* Remove the commands from buf[0..n) in place (a command may be split
   across reads); returns the number of data bytes kept. */
size_t be_telnet_filter(BeTelnet *t, uint8_t *buf, size_t n);

#endif
