/*
 * Asynchronous input queues (see core/input.h for the contract).
 *
 * Each serial port has a linear queue: bytes [0, len) wait in arrival
 * order, bytes [len, size) are always zero. Keeping the unused tail zero
 * makes the saved state a function of the queued bytes alone, so two runs
 * that queued the same input hash the same. The queues are small (at most
 * CORE_INPUT_QUEUE_SIZE bytes), so consuming from the front with memmove is
 * cheaper than it looks and simpler than a ring.
 *
 * The wall-clock base is one more saved value: 0 and "unknown" until the
 * guest first needs it, so a run that never looks at the RTC saves, and
 * hashes, the same state as any other run of the same guest.
 *
 * A device's sink may call back into core_input_ready (e.g. if accepting a
 * byte frees room elsewhere); the per-port `delivering` flag stops that
 * from recursing.
 */
#include "core/input.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct CoreInput {
    /* Saved state. */
    uint32_t serial_len[CORE_INPUT_MAX_SERIAL];
    uint8_t serial_queue[CORE_INPUT_MAX_SERIAL][CORE_INPUT_QUEUE_SIZE];
    uint64_t wallclock_ns;      /* wall clock at virtual time 0 ... */
    uint32_t wallclock_known;   /* ... once this is 1 (else both are 0) */

    /* Host side: wiring to devices, rebuilt by the board, never saved. */
    CoreInputSerialSink sink[CORE_INPUT_MAX_SERIAL];
    void *sink_opaque[CORE_INPUT_MAX_SERIAL];
    bool delivering[CORE_INPUT_MAX_SERIAL];
    struct BeChardev *source[CORE_INPUT_MAX_SERIAL];   /* host side */
    CoreInputSerialConnect serial_connect[CORE_INPUT_MAX_SERIAL];
    void *serial_connect_opaque[CORE_INPUT_MAX_SERIAL];
    CoreInputNetSink net_sink[CORE_INPUT_MAX_NET];
    void *net_opaque[CORE_INPUT_MAX_NET];
    CoreInputWallclockFn wallclock_fn;   /* NULL: none (epoch 0) */
    void *wallclock_opaque;
};

CoreInput *core_input_new(void)
{
    return calloc(1, sizeof(CoreInput));
}

void core_input_free(CoreInput *in)
{
    free(in);
}

void core_input_register_serial(CoreInput *in, unsigned port,
                                CoreInputSerialSink sink, void *opaque)
{
    assert(port < CORE_INPUT_MAX_SERIAL);
    in->sink[port] = sink;
    in->sink_opaque[port] = opaque;
}

void core_input_set_serial_source(CoreInput *in, unsigned port,
                                  struct BeChardev *source)
{
    assert(port < CORE_INPUT_MAX_SERIAL);
    in->source[port] = source;
}

struct BeChardev *core_input_serial_source(const CoreInput *in,
                                           unsigned port)
{
    return port < CORE_INPUT_MAX_SERIAL ? in->source[port] : NULL;
}

bool core_input_serial_connected(const CoreInput *in, unsigned port)
{
    return port < CORE_INPUT_MAX_SERIAL && in->sink[port] != NULL;
}

/* Drop the first n queued bytes of a port, keeping the tail zeroed. */
static void consume(CoreInput *in, unsigned port, size_t n)
{
    uint8_t *q = in->serial_queue[port];
    size_t len = in->serial_len[port];

    memmove(q, q + n, len - n);
    memset(q + len - n, 0, n);
    in->serial_len[port] = len - n;
}

static void deliver_port(CoreInput *in, unsigned port)
{
    if (!in->sink[port] || in->delivering[port]) {
        return;
    }
    in->delivering[port] = true;
    while (in->serial_len[port] > 0) {
        size_t n = in->sink[port](in->sink_opaque[port], in->serial_queue[port],
                                  in->serial_len[port]);
        if (n == 0) {
            break;
        }
        assert(n <= in->serial_len[port]);
        consume(in, port, n);
    }
    in->delivering[port] = false;
}

size_t core_input_serial_room(const CoreInput *in, unsigned port)
{
    assert(port < CORE_INPUT_MAX_SERIAL);
    return CORE_INPUT_QUEUE_SIZE - in->serial_len[port];
}

size_t core_input_serial_rx(CoreInput *in, unsigned port, const uint8_t *buf,
                            size_t len)
{
    assert(port < CORE_INPUT_MAX_SERIAL);
    size_t taken = 0;

    /* Straight to the device when nothing is waiting ahead of these bytes. */
    if (in->serial_len[port] == 0 && in->sink[port] && !in->delivering[port]) {
        in->delivering[port] = true;
        while (taken < len) {
            size_t n = in->sink[port](in->sink_opaque[port], buf + taken,
                                      len - taken);
            if (n == 0) {
                break;
            }
            taken += n;
        }
        in->delivering[port] = false;
    }

    size_t room = core_input_serial_room(in, port);
    size_t queue = len - taken < room ? len - taken : room;
    memcpy(in->serial_queue[port] + in->serial_len[port], buf + taken, queue);
    in->serial_len[port] += queue;
    taken += queue;

    deliver_port(in, port);
    return taken;
}

void core_input_ready(CoreInput *in, unsigned port)
{
    assert(port < CORE_INPUT_MAX_SERIAL);
    deliver_port(in, port);
}

void core_input_deliver(CoreInput *in)
{
    for (unsigned port = 0; port < CORE_INPUT_MAX_SERIAL; port++) {
        deliver_port(in, port);
    }
}

bool core_input_pending(const CoreInput *in)
{
    for (unsigned port = 0; port < CORE_INPUT_MAX_SERIAL; port++) {
        if (in->serial_len[port]) {
            return true;
        }
    }
    return false;
}

void core_input_register_serial_connect(CoreInput *in, unsigned port,
                                        CoreInputSerialConnect fn,
                                        void *opaque)
{
    assert(port < CORE_INPUT_MAX_SERIAL);
    in->serial_connect[port] = fn;
    in->serial_connect_opaque[port] = opaque;
}

bool core_input_serial_takes_connect(const CoreInput *in, unsigned port)
{
    return port < CORE_INPUT_MAX_SERIAL && in->serial_connect[port] != NULL;
}

void core_input_serial_connect(CoreInput *in, unsigned port, bool connected)
{
    if (core_input_serial_takes_connect(in, port)) {
        in->serial_connect[port](in->serial_connect_opaque[port], connected);
    }
}

void core_input_register_net(CoreInput *in, unsigned port,
                             CoreInputNetSink sink, void *opaque)
{
    assert(port < CORE_INPUT_MAX_NET);
    in->net_sink[port] = sink;
    in->net_opaque[port] = opaque;
}

bool core_input_net_connected(const CoreInput *in, unsigned port)
{
    return port < CORE_INPUT_MAX_NET && in->net_sink[port] != NULL;
}

void core_input_net_rx(CoreInput *in, unsigned port, const uint8_t *frame,
                       size_t len)
{
    if (core_input_net_connected(in, port)) {
        in->net_sink[port](in->net_opaque[port], frame, len);
    }
}

void core_input_set_wallclock_hook(CoreInput *in, CoreInputWallclockFn fn,
                                   void *opaque)
{
    in->wallclock_fn = fn;
    in->wallclock_opaque = opaque;
}

void core_input_set_wallclock(CoreInput *in, uint64_t ns)
{
    in->wallclock_ns = ns;
    in->wallclock_known = 1;
}

uint64_t core_input_wallclock_ns(CoreInput *in, uint64_t now_ns)
{
    if (!in->wallclock_known) {
        uint64_t wall = in->wallclock_fn
                            ? in->wallclock_fn(in->wallclock_opaque) : 0;
        core_input_set_wallclock(in, wall > now_ns ? wall - now_ns : 0);
    }
    return in->wallclock_ns;
}

bool core_input_wallclock_known(const CoreInput *in)
{
    return in->wallclock_known != 0;
}

static bool input_post_load(void *opaque)
{
    CoreInput *in = opaque;

    if (in->wallclock_known > 1 || (!in->wallclock_known && in->wallclock_ns)) {
        return false;
    }

    for (unsigned port = 0; port < CORE_INPUT_MAX_SERIAL; port++) {
        uint32_t len = in->serial_len[port];
        if (len > CORE_INPUT_QUEUE_SIZE) {
            return false;
        }
        for (size_t i = len; i < CORE_INPUT_QUEUE_SIZE; i++) {
            if (in->serial_queue[port][i]) {
                return false;
            }
        }
    }
    return true;
}

static const CoreStateField input_fields[] = {
    CORE_STATE_ARRAY(CoreInput, serial_len),
    CORE_STATE_ARRAY(CoreInput, serial_queue),
    CORE_STATE_FIELD(CoreInput, wallclock_ns),
    CORE_STATE_FIELD(CoreInput, wallclock_known),
    CORE_STATE_END
};

static const CoreStateDesc input_state = {
    .name = "input",
    .version = 2,
    .fields = input_fields,
    .post_load = input_post_load,
};

/* Queued input survives a guest reset, like bytes in QEMU's chardev; so
   does the wall-clock base (the RTC keeps running). */
static void input_reset(void *opaque)
{
    (void)opaque;
}

const CoreDeviceOps core_input_device_ops = {
    .name = "input",
    .reset = input_reset,
    .state = &input_state,
};
