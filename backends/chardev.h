/*
 * Character backends: where a serial port's output goes and its input comes
 * from. Specs follow QEMU's -serial/-chardev spelling: "mon:stdio" (Ctrl-C
 * goes to the guest), "stdio", "null", "file:PATH"; and "stdout" (output
 * only, the terminal left alone: what a replay shows).
 *
 * Output is deterministic (the guest produced it) and is written directly.
 * Input is nondeterministic: be_chardev_read_nd is called only by the core
 * input poller, which turns bytes into events (core/input.h); devices never
 * read a backend themselves.
 */
#ifndef BACKENDS_CHARDEV_H
#define BACKENDS_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

typedef struct BeChardev BeChardev;

/* -chardev BACKEND,id=ID[,opt=value...] (QEMU's spelling; backends stdio,
   null, file, pipe, pty, socket, ringbuf; mux=on|off). Checks the spec
   (unknown backend or option, missing or duplicate id) and appends it to
   cfg->chardevs; nothing is opened until a front end uses the id, so a
   replay, which re-parses the recorded command line, opens nothing. */
bool be_chardev_define(CoreConfig *cfg, const char *spec, char *err,
                       size_t errlen);
/* The text of -chardev help. */
void be_chardev_print_help(void);

/* Open a front end's back end: "chardev:ID" opens (or, with mux=on,
   shares) the -chardev of that id; anything else is be_chardev_open.
   `who` names the front end's option in the errors only this call can
   see (no such id, the id already taken). Replaying
   (cfg->chardev_replay) a -chardev opens as "null": no host resource. */
BeChardev *be_chardev_open_cfg(const CoreConfig *cfg, const char *spec,
                               const char *who, char *err, size_t errlen);
/* The chardev that holds the host resource behind c: c itself, or, for
   the second and later front ends of a mux=on chardev (each of which has
   its own handle, with its own tap and mute), the shared one. Two front
   ends share a back end when their be_chardev_backend are equal. */
BeChardev *be_chardev_backend(BeChardev *c);
/* A chardev already opened from -chardev (for device front ends that
   look one up by id), or NULL. */
BeChardev *be_chardev_find(const char *id);
/* Forget every opened chardev by id (they stay open, owned by their
   front ends): a second machine in the same process (`rewind jit-check`)
   then opens its own chardevs for the same ids. */
void be_chardev_forget_all(void);
/* Whether input goes through the Ctrl-A keys of backends/mux.h: the
   -serial stdio spellings, and a -chardev with mux=on. */
bool be_chardev_filters_escapes(const BeChardev *c);
/* The Ctrl-A keys and input focus of a chardev that filters escapes
   (backends/mux.h; its front ends attach there), else NULL. */
struct BeMux *be_chardev_mux(BeChardev *c);

/* Open a backend; on failure returns NULL with a message (naming the spec
   or file) in err. */
BeChardev *be_chardev_open(const char *spec, char *err, size_t errlen);
void be_chardev_close(BeChardev *c);

void be_chardev_write(BeChardev *c, const uint8_t *buf, size_t len);
/* Text of rewind's own (the mux's notices, the monitor's replies):
   written to the output as it is, past the tap, so it never enters the
   recorded console. */
void be_chardev_write_host(BeChardev *c, const char *text);

/* Guest output on stdout that did not end with a newline gets one, so
   that rewind's next line (the debug shell's stop line) starts a line of
   its own; true if one was written. Output that ended a line is left as
   it is (no blank line). */
bool be_chardev_stdout_end_line(void);

/* Observe everything written (record/replay use it for the console). */
typedef void (*BeChardevTap)(void *opaque, const uint8_t *buf, size_t len);
void be_chardev_set_tap(BeChardev *c, BeChardevTap tap, void *opaque);
/* Discard output (taps still see it): a replay re-executing a stretch. */
void be_chardev_set_mute(BeChardev *c, bool mute);

/* Read up to max bytes that are available now, without blocking. */
size_t be_chardev_read_nd(BeChardev *c, uint8_t *buf, size_t max);

/* Whether a host client is there now: a socket's peer (a server's
   client, a client's connection until it ends); every other backend is
   always connected. Host state: only the host side of the run loop reads
   it, and hands changes to the input door (core_run_host_serial_connect). */
bool be_chardev_connected_nd(const BeChardev *c);
/* Whether the front end starts connected, from the spec alone (so a
   replay's stand-in answers the same): false only for a socket server
   with wait=off, which starts without a client. */
bool be_chardev_starts_connected(const BeChardev *c);

/* File descriptor to poll for input, or -1 if the backend has none (or
   its input reached end of file). */
int be_chardev_input_fd(const BeChardev *c);

/* Put the terminal back the way it was if "stdio" made it raw. Registered
   with atexit by be_chardev_open; async-signal-safe, so a fatal-signal
   handler may call it too. Idempotent. */
void be_chardev_restore_tty(void);

#endif
