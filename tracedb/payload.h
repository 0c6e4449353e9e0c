/*
 * Event payloads as named structures (docs/trace-format.md, "Event
 * kinds"): one structure per kind that carries a payload, with an encoder
 * that writes the on-disk bytes and a decoder that reads them.
 *
 * Decoders treat the event as hostile data: the kind must be the one
 * asked for, the length exactly the kind's (or within its range), and
 * values in range (a serial port below TDB_SERIAL_PORTS, a checkpoint's
 * icount equal to its event's). They return 0, or -1 with a message in
 * err naming the kind, the icount and what is wrong. Decoded byte
 * pointers (TdbEvSerial.bytes) point into the event's payload.
 *
 * Encoders fill in ev->kind, ev->len and ev->data (pointing at buf, which
 * must hold the payload: TDB_EV_FIXED_MAX bytes for the fixed-size kinds,
 * 1 + len for SERIAL_RX); ev->icount and ev->hart are the caller's. They
 * return 0, or -1 when buf is too small or a value cannot be encoded.
 *
 * Usage:
 *     uint8_t buf[TDB_EV_FIXED_MAX];
 *     TdbEvent ev = { .icount = icount };
 *     tdb_ev_idle_encode(&(TdbEvIdle){ .ns = ns }, buf, sizeof(buf), &ev);
 *     ...
 *     TdbEvIdle idle;
 *     if (tdb_ev_idle_decode(&ev, &idle, err, sizeof(err)) != 0) ...
 */
#ifndef TRACEDB_PAYLOAD_H
#define TRACEDB_PAYLOAD_H

#include "tracedb/trace.h"

/* Payload sizes of the fixed-size kinds. */
#define TDB_EV_WALLCLOCK_LEN 8
#define TDB_EV_IDLE_LEN 8
#define TDB_EV_SHUTDOWN_LEN 4
#define TDB_EV_INTERRUPT_LEN 4
#define TDB_EV_CHECKPOINT_LEN 32
#define TDB_EV_END_SHORT_LEN 8      /* without the guest time */
#define TDB_EV_END_LEN 16
/* A buffer this large holds any fixed-size payload. */
#define TDB_EV_FIXED_MAX 32

/* SERIAL_RX: u8 port, then the bytes received. */
typedef struct TdbEvSerial {
    uint8_t port;              /* < TDB_SERIAL_PORTS */
    uint32_t len;              /* bytes received (may be 0) */
    const uint8_t *bytes;
} TdbEvSerial;

/* ENTROPY: the bytes of host entropy a device read at this icount. */
typedef struct TdbEvEntropy {
    uint32_t len;
    const uint8_t *bytes;
} TdbEvEntropy;

/* NET_RX: u8 NIC (the front end's number at the input door), then one
   Ethernet frame (no FCS) the back end delivered to it. */
typedef struct TdbEvNetRx {
    uint8_t port;              /* < TDB_NET_PORTS */
    uint32_t len;              /* frame bytes, <= TDB_NET_FRAME_MAX */
    const uint8_t *frame;
} TdbEvNetRx;

/* SERIAL_CONNECT: u8 port, u8 connected (0 or 1). The host side of a
   serial port's back end (a socket's client) came or went. */
#define TDB_EV_SERIAL_CONNECT_LEN 2
typedef struct TdbEvSerialConnect {
    uint8_t port;              /* < TDB_SERIAL_PORTS */
    bool connected;
} TdbEvSerialConnect;

/* WALLCLOCK: u64 host wall clock, ns since the Unix epoch. */
typedef struct TdbEvWallclock {
    uint64_t ns;
} TdbEvWallclock;

/* IDLE_SKIP: u64 ns the virtual clock jumps while every hart waits. */
typedef struct TdbEvIdle {
    uint64_t ns;
} TdbEvIdle;

/* SHUTDOWN: u32 reason (the host signal, 0 for a quit command). */
typedef struct TdbEvShutdown {
    uint32_t reason;
} TdbEvShutdown;

/* INTERRUPT: u32 reason (a debugger or Ctrl-C stop request). */
typedef struct TdbEvInterrupt {
    uint32_t reason;
} TdbEvInterrupt;

/* CHECKPOINT: u64 icount, u64 state hash, u64 offset and u64 length of
   its record in checkpoints.zst. */
typedef struct TdbEvCheckpoint {
    uint64_t icount, state_hash, offset, length;
} TdbEvCheckpoint;

/* END: u64 final state hash [, u64 guest time in ns at the end]. */
typedef struct TdbEvEnd {
    uint64_t state_hash;
    bool has_guest_ns;         /* the 16-byte form */
    uint64_t guest_ns;         /* 0 without it */
} TdbEvEnd;

int tdb_ev_serial_encode(const TdbEvSerial *p, uint8_t *buf, size_t cap,
                         TdbEvent *ev);
int tdb_ev_serial_decode(const TdbEvent *ev, TdbEvSerial *p, char *err,
                         size_t errlen);
/* PORT_CONSOLE: the same layout as SERIAL_RX (u8 port, then the bytes),
   the output of a virtio-serial console port; port 0 (the UART) is never
   in it, its output is CONSOLE. */
int tdb_ev_port_console_encode(const TdbEvSerial *p, uint8_t *buf,
                               size_t cap, TdbEvent *ev);
int tdb_ev_port_console_decode(const TdbEvent *ev, TdbEvSerial *p, char *err,
                               size_t errlen);
int tdb_ev_serial_connect_encode(const TdbEvSerialConnect *p, uint8_t *buf,
                                 size_t cap, TdbEvent *ev);
int tdb_ev_serial_connect_decode(const TdbEvent *ev, TdbEvSerialConnect *p,
                                 char *err, size_t errlen);
int tdb_ev_net_rx_encode(const TdbEvNetRx *p, uint8_t *buf, size_t cap,
                         TdbEvent *ev);
int tdb_ev_net_rx_decode(const TdbEvent *ev, TdbEvNetRx *p, char *err,
                         size_t errlen);
int tdb_ev_entropy_encode(const TdbEvEntropy *p, uint8_t *buf, size_t cap,
                          TdbEvent *ev);
int tdb_ev_entropy_decode(const TdbEvent *ev, TdbEvEntropy *p, char *err,
                          size_t errlen);
int tdb_ev_wallclock_encode(const TdbEvWallclock *p, uint8_t *buf, size_t cap,
                            TdbEvent *ev);
int tdb_ev_wallclock_decode(const TdbEvent *ev, TdbEvWallclock *p, char *err,
                            size_t errlen);
int tdb_ev_idle_encode(const TdbEvIdle *p, uint8_t *buf, size_t cap,
                       TdbEvent *ev);
int tdb_ev_idle_decode(const TdbEvent *ev, TdbEvIdle *p, char *err,
                       size_t errlen);
int tdb_ev_shutdown_encode(const TdbEvShutdown *p, uint8_t *buf, size_t cap,
                           TdbEvent *ev);
int tdb_ev_shutdown_decode(const TdbEvent *ev, TdbEvShutdown *p, char *err,
                           size_t errlen);
int tdb_ev_interrupt_encode(const TdbEvInterrupt *p, uint8_t *buf, size_t cap,
                            TdbEvent *ev);
int tdb_ev_interrupt_decode(const TdbEvent *ev, TdbEvInterrupt *p, char *err,
                            size_t errlen);
int tdb_ev_checkpoint_encode(const TdbEvCheckpoint *p, uint8_t *buf,
                             size_t cap, TdbEvent *ev);
int tdb_ev_checkpoint_decode(const TdbEvent *ev, TdbEvCheckpoint *p,
                             char *err, size_t errlen);
int tdb_ev_end_encode(const TdbEvEnd *p, uint8_t *buf, size_t cap,
                      TdbEvent *ev);
int tdb_ev_end_decode(const TdbEvent *ev, TdbEvEnd *p, char *err,
                      size_t errlen);

#endif
