/*
 * Asynchronous input: the one door through which the host's world reaches
 * devices (DESIGN.md, "The determinism contract").
 *
 * Backends never touch a device. The input poller reads a backend and hands
 * the bytes to core_input_serial_rx(); replay calls the same function with
 * bytes from the trace at the same icount. Bytes a device cannot take yet
 * wait in a per-port queue that belongs to the machine state (it is saved
 * with the CoreStateDesc behind core_input_device_ops), so undelivered input
 * is reproduced exactly on replay and after a checkpoint restore.
 *
 * Delivery happens only at deterministic points: when input arrives (at the
 * icount the event is stamped with) and when the device says it has room
 * again (core_input_ready, called from a guest register access).
 *
 * The host's wall clock (for the RTC) is an input too. It is read once,
 * when the guest first needs it, through a hook: a machine's is
 * core_run_wallclock, the one door through which the wall clock comes
 * from the journal (replaying) or the host (logged when recording), unless
 * the value was pinned with core_input_set_wallclock, as `-rtc
 * base=DATETIME` does. From then on it is machine state, saved with the
 * queues, so a restored checkpoint never asks the host again.
 *
 * Usage:
 *     CoreInput *in = core_input_new();
 *     core_machine_add_device(m, &core_input_device_ops, in, "input");
 *     core_input_register_serial(in, 0, uart_rx_sink, uart);  // device
 *     core_input_serial_rx(in, 0, buf, n);                    // poller
 *     core_input_ready(in, 0);               // device: guest drained FIFO
 *     uint64_t epoch_ns = core_input_wallclock_ns(in, core_clock_ns(m));
 */
#ifndef CORE_INPUT_H
#define CORE_INPUT_H

#include "core/machine.h"

#define CORE_INPUT_MAX_SERIAL CORE_CONSOLE_PORTS
#define CORE_INPUT_QUEUE_SIZE 1024   /* bytes queued per serial port */

typedef struct CoreInput CoreInput;

/* A device's receive function: take up to len bytes, return how many it
   accepted (0 when its buffer is full). */
typedef size_t (*CoreInputSerialSink)(void *opaque, const uint8_t *buf,
                                      size_t len);

CoreInput *core_input_new(void);
void core_input_free(CoreInput *in);

/* Connect serial port `port` (< CORE_INPUT_MAX_SERIAL) to a device. */
void core_input_register_serial(CoreInput *in, unsigned port,
                                CoreInputSerialSink sink, void *opaque);

/* A device's host-connection hook: the host side of its port's back end
   (a socket's client) came (true) or went (false). The device keeps what
   the guest can see of it in its own saved state. */
typedef void (*CoreInputSerialConnect)(void *opaque, bool connected);
void core_input_register_serial_connect(CoreInput *in, unsigned port,
                                        CoreInputSerialConnect fn,
                                        void *opaque);
/* True if the device on `port` takes connection changes. */
bool core_input_serial_takes_connect(const CoreInput *in, unsigned port);
/* Hand a connection change to the device on `port` (none: ignored). */
void core_input_serial_connect(CoreInput *in, unsigned port, bool connected);

/* The host back end (a chardev the front end opened) whose bytes feed
   serial `port`: wiring for the host side of the run loop, which polls
   every port's source and hands what it reads to core_run_host_serial
   with that port. A source shared by several ports (mux=on) feeds the
   one with the mux's focus (backends/mux.h). Not machine state; NULL:
   none. */
void core_input_set_serial_source(CoreInput *in, unsigned port,
                                  struct BeChardev *source);
struct BeChardev *core_input_serial_source(const CoreInput *in,
                                           unsigned port);

/* True if a device is connected to serial `port` (any number: ports a
   trace names are checked with this before anything is delivered). */
bool core_input_serial_connected(const CoreInput *in, unsigned port);

/* Bytes received from the host for serial `port`. Queues them behind any
   bytes still waiting, then delivers as many as the device accepts. Returns
   the number of bytes taken (delivered or queued); fewer than len means the
   queue is full and the caller should keep the rest for later. */
size_t core_input_serial_rx(CoreInput *in, unsigned port, const uint8_t *buf,
                            size_t len);

/* The device on `port` has room again: deliver queued bytes now. */
void core_input_ready(CoreInput *in, unsigned port);

/* Retry delivery on every port. Only call at deterministic points. */
void core_input_deliver(CoreInput *in);

/* True if some port has queued, undelivered bytes. */
bool core_input_pending(const CoreInput *in);

/* Bytes still free in the queue of `port` (how much the poller may read). */
size_t core_input_serial_room(const CoreInput *in, unsigned port);

/* Network frames (virtio-net). A NIC registers a sink per port (its
   number among the machine's NICs, < CORE_INPUT_MAX_NET); a frame is
   handed over whole at the icount it is delivered (recording: a slice
   boundary; replaying: the icount of its NET_RX event). The NIC keeps
   frames its guest has no buffer for yet in its own saved state, or
   drops them (deterministically: a function of guest state), so the
   door itself queues nothing. */
#define CORE_INPUT_MAX_NET 4
#define CORE_INPUT_NET_FRAME_MAX 65535   /* larger frames are dropped */
typedef void (*CoreInputNetSink)(void *opaque, const uint8_t *frame,
                                 size_t len);

void core_input_register_net(CoreInput *in, unsigned port,
                             CoreInputNetSink sink, void *opaque);
bool core_input_net_connected(const CoreInput *in, unsigned port);
/* Deliver one frame to NIC `port` (no NIC there: dropped). */
void core_input_net_rx(CoreInput *in, unsigned port, const uint8_t *frame,
                       size_t len);

/* Where the wall clock comes from: returns ns since the Unix epoch. */
typedef uint64_t (*CoreInputWallclockFn)(void *opaque);

/* Where the wall clock is read (core_machine_new installs the machine's
   door, core_run_wallclock; a bare CoreInput in a unit test has none and
   an unpinned wall clock reads as the epoch). Wiring, not machine state. */
void core_input_set_wallclock_hook(CoreInput *in, CoreInputWallclockFn fn,
                                   void *opaque);

/* Pin the wall-clock time at virtual time 0 (machine start) to `ns`
   (since the Unix epoch): the hook will not be asked. */
void core_input_set_wallclock(CoreInput *in, uint64_t ns);

/* The wall-clock time (ns since the Unix epoch) at virtual time 0. The
   first call, unless the value was pinned, asks the hook and subtracts
   `now_ns`, the current virtual time, so that the guest's clock reads the
   hook's time at that moment; later calls return the same value. Call it
   only at deterministic points (a guest register access). */
uint64_t core_input_wallclock_ns(CoreInput *in, uint64_t now_ns);

/* True once the wall-clock base is known (pinned or read). */
bool core_input_wallclock_known(const CoreInput *in);

/* Registry entry for save/load of the queues and the wall-clock base.
   Reset keeps both: input typed before a guest reset still arrives
   afterwards, and the RTC keeps its time, as on QEMU. */
extern const CoreDeviceOps core_input_device_ops;

#endif
