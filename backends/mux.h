/*
 * The Ctrl-A escape keys and the input focus of a shared character back
 * end (QEMU's mux chardev: -nographic, -serial mon:stdio, and any
 * -chardev with mux=on).
 *
 * Several front ends may share one back end: the UART through
 * "-serial chardev:ID", virtconsole/virtserialport through chardev=ID,
 * and the monitor of -serial mon:stdio (shell/mon_stdio.h). Output from all of them is written (the back
 * end just takes every front end's writes); input goes to the one front
 * end that has the focus. Front ends are kept in the order they were
 * attached; each one takes the focus as it attaches (as in QEMU, where a
 * front end takes it when it installs its handlers), so the last one
 * attached has it at start, and Ctrl-A c moves it to the next one in
 * attach order, wrapping round.
 *
 * Ctrl-A x quits, Ctrl-A h lists the keys, Ctrl-A c switches the focus,
 * Ctrl-A Ctrl-A sends a literal Ctrl-A; the escapes never reach a front
 * end. Every other byte, Ctrl-C included (mon:stdio turns the terminal's
 * signals off), is input for the focused front end.
 *
 * All of this is host-side only. The focus is a host decision whose
 * effect is already in the trace: each front end that is a machine
 * input is its own port of the input door, and a byte is recorded with
 * the port it went to. Replay opens no back end and has no mux.
 *
 * Two kinds of front end:
 *  - a port of the machine's input door (port >= 0): the mux hands its
 *    bytes to the caller's deliver function with the port number (the
 *    run loop queues them and feeds the door);
 *  - a host front end (port < 0, receive set): a consumer inside rewind
 *    that is no machine input, e.g. a monitor or debug shell on
 *    -serial mon:stdio. The mux calls receive itself; nothing of it
 *    enters the trace, and its output should go through
 *    be_chardev_write_host so that it stays out of the recorded console.
 */
#ifndef BACKENDS_MUX_H
#define BACKENDS_MUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Front ends one back end can take: every input-door port plus a
   monitor, with room to spare. */
#define BE_MUX_MAX_FE 8

typedef struct BeMuxFrontEnd {
    char name[48];    /* in the Ctrl-A c notice: "input port 1 (virtio-serial)" */
    int port;         /* input-door port, or -1: a host front end */
    void (*receive)(void *opaque, const uint8_t *buf, size_t len);
    /* A host front end: it took the focus through Ctrl-A c (a monitor
       shows its prompt), after the mux's notice; NULL: nothing to do. */
    void (*focused)(void *opaque);
    void *opaque;
} BeMuxFrontEnd;

/* Where the mux's own notices (the help, the focus changes) go: the
   back end's output, outside the recorded console. */
typedef void (*BeMuxSay)(void *opaque, const char *text);

typedef struct BeMux {
    bool escape_pending;   /* the last byte read was a Ctrl-A */
    unsigned nfe;          /* front ends attached, in attach order */
    unsigned focus;        /* index into fe[] of the one taking input */
    BeMuxFrontEnd fe[BE_MUX_MAX_FE];
    BeMuxSay say;          /* NULL: stderr */
    void *say_opaque;
} BeMux;

/* Attach a front end; it takes the focus. A door port already attached
   is left as it is (attaching is idempotent for ports), so a caller may
   attach every port it knows before each read. False when the mux is
   full. */
bool be_mux_attach(BeMux *mux, const BeMuxFrontEnd *fe);

/* Bytes for door port `port`, in the order typed. */
typedef void (*BeMuxDeliver)(void *opaque, int port, const uint8_t *buf,
                             size_t len);

/* Handle n bytes read from the back end: escapes act at once, every other
   byte goes to the focused front end (door ports through deliver, once
   per run of bytes between focus changes; host front ends through their
   receive). With no front end attached the bytes are dropped. On Ctrl-A
   x, *quit is set and the rest of buf is dropped. */
void be_mux_input(BeMux *mux, const uint8_t *buf, size_t n,
                  BeMuxDeliver deliver, void *opaque, bool *quit);

#endif
