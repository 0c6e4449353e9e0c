/*
 * Event payload codecs (see tracedb/payload.h; the layouts are in
 * docs/trace-format.md, "Event kinds"). All integers little-endian.
 *
 * Every decoder starts with the same check (kind, payload length within
 * the kind's range, a payload pointer when there are bytes), so a short
 * or long payload never reaches the byte reads; then the kind's values.
 */
#include "tracedb/payload.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int bad(char *err, size_t errlen, const TdbEvent *ev, const char *fmt,
               ...) __attribute__((format(printf, 4, 5)));

static int bad(char *err, size_t errlen, const TdbEvent *ev, const char *fmt,
               ...)
{
    if (errlen) {
        int n = snprintf(err, errlen, "%s event at icount %" PRIu64 ": ",
                         tdb_kind_name(ev->kind), ev->icount);
        if (n >= 0 && (size_t)n < errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -1;
}

/* The kind is `kind` and the payload has min..max bytes. */
static int check_shape(const TdbEvent *ev, uint32_t kind, uint32_t min,
                       uint32_t max, char *err, size_t errlen)
{
    if (ev->kind != kind) {
        return bad(err, errlen, ev, "is not a %s event", tdb_kind_name(kind));
    }
    if (ev->len < min || ev->len > max) {
        if (min == max) {
            return bad(err, errlen, ev, "payload of %" PRIu32 " bytes (a %s "
                       "payload has %" PRIu32 ")", ev->len,
                       tdb_kind_name(kind), min);
        }
        return bad(err, errlen, ev, "payload of %" PRIu32 " bytes (a %s "
                   "payload has %" PRIu32 " to %" PRIu32 ")", ev->len,
                   tdb_kind_name(kind), min, max);
    }
    if (ev->len && !ev->data) {
        return bad(err, errlen, ev, "payload pointer is NULL");
    }
    return 0;
}

/* Point ev at buf[0..len) as a `kind` payload, if buf holds len bytes. */
static int shape(TdbEvent *ev, uint32_t kind, uint8_t *buf, size_t cap,
                 size_t len)
{
    if (cap < len || len > TDB_MAX_PAYLOAD) {
        return -1;
    }
    ev->kind = kind;
    ev->len = (uint32_t)len;
    ev->data = buf;
    return 0;
}

/* ---- SERIAL_RX ---- */

int tdb_ev_serial_encode(const TdbEvSerial *p, uint8_t *buf, size_t cap,
                         TdbEvent *ev)
{
    if (p->port >= TDB_SERIAL_PORTS || (p->len && !p->bytes) ||
        shape(ev, TDB_EV_SERIAL_RX, buf, cap, 1 + (size_t)p->len) != 0) {
        return -1;
    }
    buf[0] = p->port;
    if (p->len) {
        memcpy(buf + 1, p->bytes, p->len);
    }
    return 0;
}

int tdb_ev_serial_decode(const TdbEvent *ev, TdbEvSerial *p, char *err,
                         size_t errlen)
{
    if (check_shape(ev, TDB_EV_SERIAL_RX, 1, TDB_MAX_PAYLOAD, err, errlen)) {
        return -1;
    }
    if (ev->data[0] >= TDB_SERIAL_PORTS) {
        return bad(err, errlen, ev, "serial port %u out of range (ports "
                   "0-%u)", ev->data[0], TDB_SERIAL_PORTS - 1);
    }
    p->port = ev->data[0];
    p->len = ev->len - 1;
    p->bytes = ev->data + 1;
    return 0;
}

/* ---- SERIAL_CONNECT ---- */

int tdb_ev_serial_connect_encode(const TdbEvSerialConnect *p, uint8_t *buf,
                                 size_t cap, TdbEvent *ev)
{
    if (p->port >= TDB_SERIAL_PORTS ||
        shape(ev, TDB_EV_SERIAL_CONNECT, buf, cap,
              TDB_EV_SERIAL_CONNECT_LEN) != 0) {
        return -1;
    }
    buf[0] = p->port;
    buf[1] = p->connected ? 1 : 0;
    return 0;
}

int tdb_ev_serial_connect_decode(const TdbEvent *ev, TdbEvSerialConnect *p,
                                 char *err, size_t errlen)
{
    if (check_shape(ev, TDB_EV_SERIAL_CONNECT, TDB_EV_SERIAL_CONNECT_LEN,
                    TDB_EV_SERIAL_CONNECT_LEN, err, errlen)) {
        return -1;
    }
    if (ev->data[0] >= TDB_SERIAL_PORTS) {
        return bad(err, errlen, ev, "serial port %u out of range (ports "
                   "0-%u)", ev->data[0], TDB_SERIAL_PORTS - 1);
    }
    if (ev->data[1] > 1) {
        return bad(err, errlen, ev, "connection state %u (0 or 1)",
                   ev->data[1]);
    }
    p->port = ev->data[0];
    p->connected = ev->data[1] == 1;
    return 0;
}

/* ---- PORT_CONSOLE ---- */

int tdb_ev_port_console_encode(const TdbEvSerial *p, uint8_t *buf,
                               size_t cap, TdbEvent *ev)
{
    if (p->port == 0 || p->port >= TDB_SERIAL_PORTS || (p->len && !p->bytes) ||
        shape(ev, TDB_EV_PORT_CONSOLE, buf, cap, 1 + (size_t)p->len) != 0) {
        return -1;
    }
    buf[0] = p->port;
    if (p->len) {
        memcpy(buf + 1, p->bytes, p->len);
    }
    return 0;
}

int tdb_ev_port_console_decode(const TdbEvent *ev, TdbEvSerial *p, char *err,
                               size_t errlen)
{
    if (check_shape(ev, TDB_EV_PORT_CONSOLE, 1, TDB_MAX_PAYLOAD, err,
                    errlen)) {
        return -1;
    }
    if (ev->data[0] == 0 || ev->data[0] >= TDB_SERIAL_PORTS) {
        return bad(err, errlen, ev, "console port %u out of range (ports "
                   "1-%u)", ev->data[0], TDB_SERIAL_PORTS - 1);
    }
    p->port = ev->data[0];
    p->len = ev->len - 1;
    p->bytes = ev->data + 1;
    return 0;
}

/* ---- ENTROPY ---- */

int tdb_ev_entropy_encode(const TdbEvEntropy *p, uint8_t *buf, size_t cap,
                          TdbEvent *ev)
{
    if ((p->len && !p->bytes) ||
        shape(ev, TDB_EV_ENTROPY, buf, cap, (size_t)p->len) != 0) {
        return -1;
    }
    if (p->len) {
        memcpy(buf, p->bytes, p->len);
    }
    return 0;
}

int tdb_ev_entropy_decode(const TdbEvent *ev, TdbEvEntropy *p, char *err,
                          size_t errlen)
{
    if (check_shape(ev, TDB_EV_ENTROPY, 0, TDB_MAX_PAYLOAD, err, errlen)) {
        return -1;
    }
    p->len = ev->len;
    p->bytes = ev->data;
    return 0;
}

/* ---- NET_RX ---- */

int tdb_ev_net_rx_encode(const TdbEvNetRx *p, uint8_t *buf, size_t cap,
                         TdbEvent *ev)
{
    if (p->port >= TDB_NET_PORTS || p->len > TDB_NET_FRAME_MAX ||
        (p->len && !p->frame) ||
        shape(ev, TDB_EV_NET_RX, buf, cap, 1 + (size_t)p->len) != 0) {
        return -1;
    }
    buf[0] = p->port;
    if (p->len) {
        memcpy(buf + 1, p->frame, p->len);
    }
    return 0;
}

int tdb_ev_net_rx_decode(const TdbEvent *ev, TdbEvNetRx *p, char *err,
                         size_t errlen)
{
    if (check_shape(ev, TDB_EV_NET_RX, 1, 1 + TDB_NET_FRAME_MAX, err,
                    errlen)) {
        return -1;
    }
    if (ev->data[0] >= TDB_NET_PORTS) {
        return bad(err, errlen, ev, "NIC %u out of range (0-%u)", ev->data[0],
                   TDB_NET_PORTS - 1);
    }
    p->port = ev->data[0];
    p->len = ev->len - 1;
    p->frame = ev->data + 1;
    return 0;
}

/* ---- one u64 or one u32 ---- */

static int u64_encode(uint32_t kind, uint64_t v, uint8_t *buf, size_t cap,
                      TdbEvent *ev)
{
    if (shape(ev, kind, buf, cap, 8) != 0) {
        return -1;
    }
    tdb_put_u64(buf, v);
    return 0;
}

static int u64_decode(const TdbEvent *ev, uint32_t kind, uint64_t *v,
                      char *err, size_t errlen)
{
    if (check_shape(ev, kind, 8, 8, err, errlen)) {
        return -1;
    }
    *v = tdb_get_u64(ev->data);
    return 0;
}

static int u32_encode(uint32_t kind, uint32_t v, uint8_t *buf, size_t cap,
                      TdbEvent *ev)
{
    if (shape(ev, kind, buf, cap, 4) != 0) {
        return -1;
    }
    tdb_put_u32(buf, v);
    return 0;
}

static int u32_decode(const TdbEvent *ev, uint32_t kind, uint32_t *v,
                      char *err, size_t errlen)
{
    if (check_shape(ev, kind, 4, 4, err, errlen)) {
        return -1;
    }
    *v = tdb_get_u32(ev->data);
    return 0;
}

int tdb_ev_wallclock_encode(const TdbEvWallclock *p, uint8_t *buf, size_t cap,
                            TdbEvent *ev)
{
    return u64_encode(TDB_EV_WALLCLOCK, p->ns, buf, cap, ev);
}

int tdb_ev_wallclock_decode(const TdbEvent *ev, TdbEvWallclock *p, char *err,
                            size_t errlen)
{
    return u64_decode(ev, TDB_EV_WALLCLOCK, &p->ns, err, errlen);
}

int tdb_ev_idle_encode(const TdbEvIdle *p, uint8_t *buf, size_t cap,
                       TdbEvent *ev)
{
    return u64_encode(TDB_EV_IDLE_SKIP, p->ns, buf, cap, ev);
}

int tdb_ev_idle_decode(const TdbEvent *ev, TdbEvIdle *p, char *err,
                       size_t errlen)
{
    return u64_decode(ev, TDB_EV_IDLE_SKIP, &p->ns, err, errlen);
}

int tdb_ev_shutdown_encode(const TdbEvShutdown *p, uint8_t *buf, size_t cap,
                           TdbEvent *ev)
{
    return u32_encode(TDB_EV_SHUTDOWN, p->reason, buf, cap, ev);
}

int tdb_ev_shutdown_decode(const TdbEvent *ev, TdbEvShutdown *p, char *err,
                           size_t errlen)
{
    return u32_decode(ev, TDB_EV_SHUTDOWN, &p->reason, err, errlen);
}

int tdb_ev_interrupt_encode(const TdbEvInterrupt *p, uint8_t *buf, size_t cap,
                            TdbEvent *ev)
{
    return u32_encode(TDB_EV_INTERRUPT, p->reason, buf, cap, ev);
}

int tdb_ev_interrupt_decode(const TdbEvent *ev, TdbEvInterrupt *p, char *err,
                            size_t errlen)
{
    return u32_decode(ev, TDB_EV_INTERRUPT, &p->reason, err, errlen);
}

/* ---- CHECKPOINT ---- */

int tdb_ev_checkpoint_encode(const TdbEvCheckpoint *p, uint8_t *buf,
                             size_t cap, TdbEvent *ev)
{
    if (shape(ev, TDB_EV_CHECKPOINT, buf, cap, TDB_EV_CHECKPOINT_LEN) != 0) {
        return -1;
    }
    tdb_put_u64(buf, p->icount);
    tdb_put_u64(buf + 8, p->state_hash);
    tdb_put_u64(buf + 16, p->offset);
    tdb_put_u64(buf + 24, p->length);
    return 0;
}

int tdb_ev_checkpoint_decode(const TdbEvent *ev, TdbEvCheckpoint *p,
                             char *err, size_t errlen)
{
    if (check_shape(ev, TDB_EV_CHECKPOINT, TDB_EV_CHECKPOINT_LEN,
                    TDB_EV_CHECKPOINT_LEN, err, errlen)) {
        return -1;
    }
    uint64_t icount = tdb_get_u64(ev->data);
    if (icount != ev->icount) {
        return bad(err, errlen, ev, "records a checkpoint at icount %" PRIu64
                   ", not its own", icount);
    }
    p->icount = icount;
    p->state_hash = tdb_get_u64(ev->data + 8);
    p->offset = tdb_get_u64(ev->data + 16);
    p->length = tdb_get_u64(ev->data + 24);
    return 0;
}

/* ---- END ---- */

int tdb_ev_end_encode(const TdbEvEnd *p, uint8_t *buf, size_t cap,
                      TdbEvent *ev)
{
    size_t len = p->has_guest_ns ? TDB_EV_END_LEN : TDB_EV_END_SHORT_LEN;
    if (shape(ev, TDB_EV_END, buf, cap, len) != 0) {
        return -1;
    }
    tdb_put_u64(buf, p->state_hash);
    if (p->has_guest_ns) {
        tdb_put_u64(buf + 8, p->guest_ns);
    }
    return 0;
}

int tdb_ev_end_decode(const TdbEvent *ev, TdbEvEnd *p, char *err,
                      size_t errlen)
{
    if (check_shape(ev, TDB_EV_END, TDB_EV_END_SHORT_LEN, TDB_EV_END_LEN, err,
                    errlen)) {
        return -1;
    }
    if (ev->len != TDB_EV_END_SHORT_LEN && ev->len != TDB_EV_END_LEN) {
        return bad(err, errlen, ev, "payload of %" PRIu32 " bytes (an END "
                   "payload has %d or %d)", ev->len, TDB_EV_END_SHORT_LEN,
                   TDB_EV_END_LEN);
    }
    p->state_hash = tdb_get_u64(ev->data);
    p->has_guest_ns = ev->len == TDB_EV_END_LEN;
    p->guest_ns = p->has_guest_ns ? tdb_get_u64(ev->data + 8) : 0;
    return 0;
}
