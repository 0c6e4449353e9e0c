/*
 * Network back ends: `-netdev user,...` (libslirp user networking) and
 * the host side of a NIC.
 *
 *     be_netdev_define(cfg, "user,id=n0,hostfwd=tcp::8080-:80", err, n);
 *     BeNet *be = be_net_open(cfg, "n0", nic, err, n);  // device create
 *     be_net_send(be, frame, len);                      // guest output
 *     // host side of the run loop only (shell/), between slices:
 *     n = be_net_poll_fill(fds, max, &timeout_ms); poll(...);
 *     be_net_poll_dispatch(fds, n);
 *     while (be_net_take_nd(&nic, buf, sizeof(buf), &len))
 *         core_run_host_net(m, nic, buf, len);         // the input door
 *
 * The back end holds no guest state. Frames slirp produces (during a
 * poll, a timer, or synchronously while the guest transmits) wait in a
 * host-side queue until the host side takes them at a slice boundary and
 * hands them to the input door, which logs them when recording. A replay
 * (cfg->chardev_replay, set for every host back end) starts no slirp and
 * binds nothing: be_net_open returns an inert back end that drops output.
 */
#ifndef BACKENDS_NET_H
#define BACKENDS_NET_H

#include "core/config.h"

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct BeNet BeNet;

/* Check a -netdev spec and keep it in cfg (nothing is opened). */
bool be_netdev_define(CoreConfig *cfg, const char *arg, char *err,
                      size_t errlen);
/* `-netdev help` / `-netdev user,help`: true if arg asked for help (and
   it was printed). */
bool be_netdev_help(const char *arg);

/* Open the -netdev `id` for NIC number `nic` (one NIC per netdev).
   Binds the hostfwd ports (a port in use is an error naming it). */
BeNet *be_net_open(const CoreConfig *cfg, const char *id, unsigned nic,
                   char *err, size_t errlen);
void be_net_close(BeNet *n);
/* A frame the guest sent (n may be NULL: an unconnected NIC). */
void be_net_send(BeNet *n, const uint8_t *frame, size_t len);

/* True while some live back end is open (the host must poll it). */
bool be_net_active(void);
/* Add the open back ends' descriptors to fds (at most max); may shorten
   *timeout_ms (a slirp timer). Returns the number added. */
unsigned be_net_poll_fill(struct pollfd *fds, unsigned max, int *timeout_ms);
/* After poll (fds as filled, revents set): let slirp read and write its
   sockets and run its timers. */
void be_net_poll_dispatch(struct pollfd *fds, unsigned n);
/* The next frame for the guest: true with its NIC and bytes (frames
   larger than cap are dropped). */
bool be_net_take_nd(unsigned *nic, uint8_t *buf, size_t cap, size_t *len);

#endif
