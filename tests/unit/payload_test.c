/*
 * Event payload codecs of tracedb/payload.h: every payload round-trips
 * through its encoder and decoder with the byte layout of
 * docs/trace-format.md, and the decoders refuse, with a message naming
 * the kind and icount, what a hostile trace could hold: a payload one
 * byte short or long, the wrong kind, a serial port out of range, a
 * CHECKPOINT that names another icount, an END of neither size.
 */
#include "tests/unit/check.h"
#include "tracedb/payload.h"

#include <stdint.h>
#include <string.h>

static char err[256];

/* The event with its payload cut (or grown with zeros) to len bytes. */
static TdbEvent resized(const TdbEvent *ev, uint8_t *buf, uint32_t len)
{
    memset(buf, 0, 64);
    memcpy(buf, ev->data, ev->len < len ? ev->len : len);
    TdbEvent e = *ev;
    e.len = len;
    e.data = buf;
    return e;
}

static bool names_event(const char *kind, const char *icount)
{
    return strstr(err, kind) && strstr(err, icount);
}

static void test_serial(void)
{
    uint8_t buf[64], other[64];
    const uint8_t bytes[] = { 'h', 'i', 0xff };
    TdbEvent ev = { .icount = 42 };
    TdbEvSerial in = { 2, 3, bytes }, out;
    CHECK(tdb_ev_serial_encode(&in, buf, sizeof(buf), &ev) == 0);
    CHECK(ev.kind == TDB_EV_SERIAL_RX && ev.len == 4 && buf[0] == 2 &&
          memcmp(buf + 1, bytes, 3) == 0, "layout: u8 port, then the bytes");
    CHECK(tdb_ev_serial_decode(&ev, &out, err, sizeof(err)) == 0, "%s", err);
    CHECK(out.port == 2 && out.len == 3 && memcmp(out.bytes, bytes, 3) == 0);

    TdbEvent e = resized(&ev, other, 1);          /* port only: no bytes */
    CHECK(tdb_ev_serial_decode(&e, &out, err, sizeof(err)) == 0 &&
          out.len == 0, "%s", err);
    e = resized(&ev, other, 0);                   /* truncated */
    CHECK(tdb_ev_serial_decode(&e, &out, err, sizeof(err)) != 0 &&
          names_event("SERIAL_RX", "icount 42"), "empty payload: %s", err);
    e = resized(&ev, other, 4);
    other[0] = TDB_SERIAL_PORTS;
    CHECK(tdb_ev_serial_decode(&e, &out, err, sizeof(err)) != 0 &&
          strstr(err, "port 4"), "port out of range: %s", err);
    e.kind = TDB_EV_CONSOLE;
    CHECK(tdb_ev_serial_decode(&e, &out, err, sizeof(err)) != 0,
          "wrong kind accepted");
    e = ev;
    e.data = NULL;
    CHECK(tdb_ev_serial_decode(&e, &out, err, sizeof(err)) != 0,
          "NULL payload accepted");

    TdbEvSerial bad_port = { TDB_SERIAL_PORTS, 0, NULL };
    CHECK(tdb_ev_serial_encode(&bad_port, buf, sizeof(buf), &ev) != 0,
          "encoded a port out of range");
    CHECK(tdb_ev_serial_encode(&in, buf, 3, &ev) != 0,
          "encoded into a buffer too small");
}

/* A fixed-size payload: one byte less, one more and another kind fail. */
static void check_fixed(const TdbEvent *ev, const char *kind,
                        int (*decode)(const TdbEvent *, void *, char *,
                                      size_t))
{
    uint8_t buf[64];
    uint8_t out[64];
    TdbEvent e = resized(ev, buf, ev->len - 1);
    CHECK(decode(&e, out, err, sizeof(err)) != 0 &&
          names_event(kind, "icount 7"), "%s truncated: %s", kind, err);
    e = resized(ev, buf, ev->len + 1);
    CHECK(decode(&e, out, err, sizeof(err)) != 0 &&
          names_event(kind, "icount 7"), "%s oversized: %s", kind, err);
    e = *ev;
    e.kind = ev->kind == TDB_EV_IDLE_SKIP ? TDB_EV_WALLCLOCK : TDB_EV_IDLE_SKIP;
    CHECK(decode(&e, out, err, sizeof(err)) != 0, "%s: wrong kind", kind);
    CHECK(decode(ev, out, NULL, 0) == 0, "%s: no message buffer", kind);
}

/* Each decoder with a void * result, for check_fixed. */
#define ANY_DECODER(name, type)                                             \
    static int any_##name(const TdbEvent *ev, void *out, char *e, size_t n) \
    {                                                                       \
        return tdb_ev_##name##_decode(ev, (type *)out, e, n);               \
    }
ANY_DECODER(wallclock, TdbEvWallclock)
ANY_DECODER(idle, TdbEvIdle)
ANY_DECODER(shutdown, TdbEvShutdown)
ANY_DECODER(interrupt, TdbEvInterrupt)
ANY_DECODER(checkpoint, TdbEvCheckpoint)

static void test_u64_and_u32(void)
{
    uint8_t buf[TDB_EV_FIXED_MAX];
    static const uint8_t le[8] = { 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02,
                                   0x01 };
    TdbEvent ev = { .icount = 7 };

    TdbEvWallclock wc;
    CHECK(tdb_ev_wallclock_encode(&(TdbEvWallclock){ 0x0102030405060708ull },
                                  buf, sizeof(buf), &ev) == 0);
    CHECK(ev.kind == TDB_EV_WALLCLOCK && ev.len == TDB_EV_WALLCLOCK_LEN &&
          memcmp(buf, le, 8) == 0, "WALLCLOCK: u64 little-endian");
    CHECK(tdb_ev_wallclock_decode(&ev, &wc, err, sizeof(err)) == 0 &&
          wc.ns == 0x0102030405060708ull, "%s", err);
    check_fixed(&ev, "WALLCLOCK", any_wallclock);

    TdbEvIdle idle;
    CHECK(tdb_ev_idle_encode(&(TdbEvIdle){ 123456789 }, buf, sizeof(buf),
                             &ev) == 0 && ev.len == TDB_EV_IDLE_LEN);
    CHECK(tdb_ev_idle_decode(&ev, &idle, err, sizeof(err)) == 0 &&
          idle.ns == 123456789, "%s", err);
    check_fixed(&ev, "IDLE_SKIP", any_idle);

    TdbEvShutdown sd;
    CHECK(tdb_ev_shutdown_encode(&(TdbEvShutdown){ 15 }, buf, sizeof(buf),
                                 &ev) == 0 && ev.len == TDB_EV_SHUTDOWN_LEN &&
          buf[0] == 15 && buf[3] == 0);
    CHECK(tdb_ev_shutdown_decode(&ev, &sd, err, sizeof(err)) == 0 &&
          sd.reason == 15, "%s", err);
    check_fixed(&ev, "SHUTDOWN", any_shutdown);

    TdbEvInterrupt in;
    CHECK(tdb_ev_interrupt_encode(&(TdbEvInterrupt){ 2 }, buf, sizeof(buf),
                                  &ev) == 0 && ev.len == TDB_EV_INTERRUPT_LEN);
    CHECK(tdb_ev_interrupt_decode(&ev, &in, err, sizeof(err)) == 0 &&
          in.reason == 2, "%s", err);
    check_fixed(&ev, "INTERRUPT", any_interrupt);

    CHECK(tdb_ev_idle_encode(&(TdbEvIdle){ 1 }, buf, 7, &ev) != 0,
          "encoded into a buffer too small");
}

static void test_checkpoint(void)
{
    uint8_t buf[TDB_EV_FIXED_MAX];
    TdbEvent ev = { .icount = 7 };
    TdbEvCheckpoint in = { 7, 0xfeedfacecafebeefull, 4096, 333 }, out;
    CHECK(tdb_ev_checkpoint_encode(&in, buf, sizeof(buf), &ev) == 0 &&
          ev.kind == TDB_EV_CHECKPOINT && ev.len == TDB_EV_CHECKPOINT_LEN);
    CHECK(tdb_get_u64(buf) == 7 && tdb_get_u64(buf + 8) == in.state_hash &&
          tdb_get_u64(buf + 16) == 4096 && tdb_get_u64(buf + 24) == 333,
          "layout: icount, hash, offset, length");
    CHECK(tdb_ev_checkpoint_decode(&ev, &out, err, sizeof(err)) == 0 &&
          memcmp(&in, &out, sizeof(in)) == 0, "%s", err);
    check_fixed(&ev, "CHECKPOINT", any_checkpoint);
    ev.icount = 8;
    CHECK(tdb_ev_checkpoint_decode(&ev, &out, err, sizeof(err)) != 0 &&
          names_event("CHECKPOINT", "icount 8"),
          "a checkpoint of another icount: %s", err);
}

static void test_end(void)
{
    uint8_t buf[TDB_EV_FIXED_MAX], other[64];
    TdbEvent ev = { .icount = 7 };
    TdbEvEnd in = { 0x1122334455667788ull, true, 99 }, out;
    CHECK(tdb_ev_end_encode(&in, buf, sizeof(buf), &ev) == 0 &&
          ev.kind == TDB_EV_END && ev.len == TDB_EV_END_LEN &&
          tdb_get_u64(buf) == in.state_hash && tdb_get_u64(buf + 8) == 99);
    CHECK(tdb_ev_end_decode(&ev, &out, err, sizeof(err)) == 0 &&
          out.state_hash == in.state_hash && out.has_guest_ns &&
          out.guest_ns == 99, "%s", err);
    TdbEvent e = resized(&ev, other, TDB_EV_END_SHORT_LEN);  /* old form */
    CHECK(tdb_ev_end_decode(&e, &out, err, sizeof(err)) == 0 &&
          out.state_hash == in.state_hash && !out.has_guest_ns &&
          out.guest_ns == 0, "short END: %s", err);
    static const uint32_t bad[] = { 0, 7, 12, 15, 17 };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        e = resized(&ev, other, bad[i]);
        CHECK(tdb_ev_end_decode(&e, &out, err, sizeof(err)) != 0 &&
              names_event("END", "icount 7"), "END of %u bytes: %s", bad[i],
              err);
    }
    in.has_guest_ns = false;
    CHECK(tdb_ev_end_encode(&in, buf, sizeof(buf), &ev) == 0 &&
          ev.len == TDB_EV_END_SHORT_LEN);
}

/* ENTROPY: the bytes as they are, 0 bytes allowed; another kind fails. */
static void test_entropy(void)
{
    uint8_t buf[16];
    static const uint8_t bytes[5] = { 1, 2, 3, 4, 5 };
    TdbEvent ev = { .icount = 7 };
    TdbEvEntropy out;
    CHECK(tdb_ev_entropy_encode(&(TdbEvEntropy){ 5, bytes }, buf, sizeof(buf),
                                &ev) == 0 && ev.kind == TDB_EV_ENTROPY &&
          ev.len == 5 && memcmp(buf, bytes, 5) == 0, "ENTROPY encodes");
    CHECK(tdb_ev_entropy_decode(&ev, &out, err, sizeof(err)) == 0 &&
          out.len == 5 && memcmp(out.bytes, bytes, 5) == 0, "%s", err);
    CHECK(tdb_ev_entropy_encode(&(TdbEvEntropy){ 5, bytes }, buf, 4, &ev) != 0,
          "encoded into a buffer too small");
    CHECK(tdb_ev_entropy_encode(&(TdbEvEntropy){ 0, NULL }, buf, sizeof(buf),
                                &ev) == 0 && ev.len == 0 &&
          tdb_ev_entropy_decode(&ev, &out, err, sizeof(err)) == 0 &&
          out.len == 0, "empty ENTROPY: %s", err);
    ev.kind = TDB_EV_SERIAL_RX;
    CHECK(tdb_ev_entropy_decode(&ev, &out, err, sizeof(err)) != 0,
          "ENTROPY decoder refuses another kind");
}

static void test_net_rx(void)
{
    uint8_t buf[16];
    static const uint8_t frame[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    TdbEvent ev = { .icount = 9 };
    TdbEvNetRx out;
    CHECK(tdb_ev_net_rx_encode(&(TdbEvNetRx){ 2, 6, frame }, buf, sizeof(buf),
                               &ev) == 0 && ev.kind == TDB_EV_NET_RX &&
          ev.len == 7 && buf[0] == 2 && memcmp(buf + 1, frame, 6) == 0,
          "NET_RX encodes");
    CHECK(tdb_ev_net_rx_decode(&ev, &out, err, sizeof(err)) == 0 &&
          out.port == 2 && out.len == 6 && memcmp(out.frame, frame, 6) == 0,
          "%s", err);
    CHECK(tdb_ev_net_rx_encode(&(TdbEvNetRx){ TDB_NET_PORTS, 6, frame }, buf,
                               sizeof(buf), &ev) != 0, "NIC out of range");
    CHECK(tdb_ev_net_rx_encode(&(TdbEvNetRx){ 0, 6, frame }, buf, 6, &ev) != 0,
          "encoded into a buffer too small");
    buf[0] = TDB_NET_PORTS;
    ev = (TdbEvent){ .kind = TDB_EV_NET_RX, .icount = 9, .len = 7,
                     .data = buf };
    CHECK(tdb_ev_net_rx_decode(&ev, &out, err, sizeof(err)) != 0 &&
          strstr(err, "NIC 4 out of range"), "decoder refuses NIC 4: %s", err);
    ev.len = 0;
    CHECK(tdb_ev_net_rx_decode(&ev, &out, err, sizeof(err)) != 0,
          "decoder refuses an empty payload");
}

int main(void)
{
    test_serial();
    test_entropy();
    test_net_rx();
    test_u64_and_u32();
    test_checkpoint();
    test_end();
    return check_done("payload");
}
