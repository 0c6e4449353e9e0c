/*
 * The two input filters of the character back ends: the mux's Ctrl-A
 * keys and focus (backends/mux.c) and the telnet command stripper
 * (backends/telnet.c). Each telnet case is fed whole and one byte at a
 * time, since a command may be split across reads; the mux cases check
 * which front end each byte goes to, attach order and the host hook.
 */
#include "backends/mux.h"
#include "backends/telnet.h"
#include "tests/unit/check.h"

#include <string.h>

/* ---- mux ---- */

typedef struct Got {
    char port[4][64];   /* bytes per door port */
    char host[64];      /* bytes for the host front end */
    char said[1024];    /* the mux's notices */
} Got;

static void deliver(void *opaque, int port, const uint8_t *buf, size_t len)
{
    Got *g = opaque;
    strncat(g->port[port], (const char *)buf, len);
}

static void host_receive(void *opaque, const uint8_t *buf, size_t len)
{
    strncat(((Got *)opaque)->host, (const char *)buf, len);
}

static void say(void *opaque, const char *text)
{
    Got *g = opaque;
    strncat(g->said, text, sizeof(g->said) - strlen(g->said) - 1);
}

static void attach_port(BeMux *m, int port)
{
    BeMuxFrontEnd fe = { .port = port };
    snprintf(fe.name, sizeof(fe.name), "port %d", port);
    CHECK(be_mux_attach(m, &fe));
}

static void type(BeMux *m, Got *g, const char *keys, bool *quit)
{
    be_mux_input(m, (const uint8_t *)keys, strlen(keys), deliver, g, quit);
}

static void test_mux(void)
{
    Got g;
    memset(&g, 0, sizeof(g));
    BeMux m = { .say = say, .say_opaque = &g };
    bool quit = false;

    /* Nothing attached: bytes go nowhere, escapes still act. */
    type(&m, &g, "lost\x01h", &quit);
    CHECK(strstr(g.said, "C-a c") != NULL);

    attach_port(&m, 0);
    attach_port(&m, 2);
    attach_port(&m, 0);               /* again: no second entry */
    CHECK(m.nfe == 2);
    CHECK(m.focus == 1, ": the last attached has the focus");
    type(&m, &g, "ab\x01" "cCD\x01", &quit);
    CHECK(strcmp(g.port[2], "ab") == 0, ": port 2 got '%s'", g.port[2]);
    CHECK(strcmp(g.port[0], "CD") == 0, ": port 0 got '%s'", g.port[0]);
    CHECK(strstr(g.said, "input goes to port 0") != NULL);
    /* The escape split over two reads: C-a c back to port 2, then "E",
       a Ctrl-A and "F" for it. */
    type(&m, &g, "cE\x01\x01" "F", &quit);
    CHECK(strstr(g.said, "input goes to port 2") != NULL);
    Got g2;
    memset(&g2, 0, sizeof(g2));
    m.say_opaque = &g2;
    type(&m, &g2, "x\x01z", &quit);
    CHECK(strcmp(g.port[2], "abE\x01" "F") == 0, ": port 2 got '%s'",
          g.port[2]);
    CHECK(strcmp(g2.port[2], "x") == 0 && strstr(g2.said, "C-a z") != NULL,
          ": an unknown key is named, not sent");

    /* A host front end (the monitor hook) takes part in the cycle. */
    BeMuxFrontEnd mon = { .port = -1, .receive = host_receive,
                          .opaque = &g2, .name = "the monitor" };
    CHECK(be_mux_attach(&m, &mon));
    type(&m, &g2, "info\x01" "cnext", &quit);
    CHECK(strcmp(g2.host, "info") == 0, ": the monitor got '%s'", g2.host);
    CHECK(strcmp(g2.port[0], "next") == 0, ": port 0 got '%s'", g2.port[0]);
    CHECK(!quit);

    /* Ctrl-A x: quit, and the rest of the read is dropped. */
    type(&m, &g2, "q\x01xafter", &quit);
    CHECK(quit);
    CHECK(strcmp(g2.port[0], "nextq") == 0, ": port 0 got '%s'", g2.port[0]);

    /* A single front end: C-a c says there is nowhere else to go. */
    BeMux one = { .say = say, .say_opaque = &g2 };
    attach_port(&one, 0);
    g2.said[0] = 0;
    quit = false;
    type(&one, &g2, "\x01" "c", &quit);
    CHECK(strstr(g2.said, "no monitor") != NULL && one.focus == 0);
}

/* ---- telnet ---- */

static void telnet_case(const char *what, const uint8_t *in, size_t n,
                        const uint8_t *want, size_t want_len)
{
    for (int bytewise = 0; bytewise < 2; bytewise++) {
        BeTelnet t;
        be_telnet_reset(&t);
        uint8_t buf[64], out[64];
        size_t got = 0;
        memcpy(buf, in, n);
        if (bytewise) {
            for (size_t i = 0; i < n; i++) {
                uint8_t b = in[i];
                if (be_telnet_filter(&t, &b, 1)) {
                    out[got++] = b;
                }
            }
        } else {
            got = be_telnet_filter(&t, buf, n);
            memcpy(out, buf, got);
        }
        CHECK(got == want_len && memcmp(out, want, got) == 0,
              ": %s (%s): %zu bytes kept, want %zu", what,
              bytewise ? "byte by byte" : "whole", got, want_len);
    }
}

#define CASE(what, in, want) \
    telnet_case(what, (const uint8_t *)in, sizeof(in) - 1, \
                (const uint8_t *)want, sizeof(want) - 1)

static void test_telnet(void)
{
    CASE("plain data", "hello\r", "hello\r");
    CASE("DO/WILL/WONT/DONT", "\xff\xfd\x01" "a\xff\xfb\x1f" "b\xff\xfc\x01"
         "\xff\xfe\x22" "c", "abc");
    CASE("IAC IAC is 0xff", "x\xff\xffy", "x\xffy");
    CASE("a two-byte command", "a\xff\xf1" "b\xff\xf3" "c", "abc");
    CASE("a subnegotiation, IAC IAC inside", "a\xff\xfa\x1f\x00\x50\xff\xff"
         "\x00\x18\xff\xf0" "b", "ab");
    CASE("an option byte that looks like IAC", "\xff\xfb\xff" "z", "z");
    CHECK(be_telnet_greeting[0] == 0xff && be_telnet_greeting[1] == 0xfb &&
          be_telnet_greeting[2] == 1);
}

int main(void)
{
    test_mux();
    test_telnet();
    return check_done("chardev_filter");
}
