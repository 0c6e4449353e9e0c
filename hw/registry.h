/*
 * The device registry: every device type rewind can build is one row
 * (HwDeviceType) in the table of hw/devices.c. `-device help`,
 * `-device TYPE,help`, the parsing of `-device TYPE,prop=value,...,id=NAME`
 * and all of its errors are generated from the rows, so the command line
 * knows no device by name.
 *
 * A row says what the device is (name, description, category), where it
 * plugs in (bus), whether a user may add it with -device, its properties
 * (name, type, default, help) and two functions: `create` builds an
 * instance from the placement the board gives it (HwDeviceArgs: window,
 * interrupt line, property values) and `fdt_node` describes that instance
 * in the device tree.
 *
 * Usage (front end):
 *     hw_device_print_list(stdout);                 // -device help
 *     hw_device_parse(arg, cfg, err, sizeof(err));  // -device ARG
 * Usage (board):
 *     const HwDeviceType *t = hw_device_type_find(opt->type);
 *     hw_device_props_resolve(t, opt, values, err, errlen);
 *     void *dev = t->create(&args, err, errlen);
 */
#ifndef HW_REGISTRY_H
#define HW_REGISTRY_H

#include "backends/chardev.h"
#include "core/config.h"
#include "core/irq.h"
#include "core/machine.h"

#include <stdio.h>

typedef enum HwDeviceCategory {
    HW_CAT_INTC,     /* interrupt controllers */
    HW_CAT_CHAR,     /* serial ports */
    HW_CAT_RTC,
    HW_CAT_MISC,
    HW_CAT_TEST,     /* devices that exist for rewind's own tests */
    HW_CAT_COUNT
} HwDeviceCategory;

/* Where a device plugs in. Only the board's MMIO system bus exists today;
   virtio-mmio transports and PCI come next, as new values here. */
typedef enum HwBus {
    HW_BUS_SYSTEM,   /* "System": a fixed MMIO window and wired lines */
    HW_BUS_VIRTIO,   /* "virtio-bus": the next free virtio-mmio transport
                        (hw/virtio/virtio.h); no window or line of its own */
    HW_BUS_VIRTIO_SERIAL, /* "virtio-serial-bus": a port of a
                        virtio-serial-device (hw/virtio/virtio_serial.c).
                        A device on another device's bus: the board gives
                        it no window, line or transport; its create finds
                        its parent among the devices built before it */
    HW_BUS_COUNT
} HwBus;

typedef enum HwPropType {
    HW_PROP_UINT,    /* 0..2^64-1, decimal or 0x hex */
    HW_PROP_BOOL,    /* on/off, true/false, yes/no, 1/0 */
    HW_PROP_STRING,
    HW_PROP_CHARDEV, /* the id of a character back end */
} HwPropType;

typedef struct HwProp {
    const char *name;
    HwPropType type;
    const char *def;     /* default as the user would write it; NULL: required */
    const char *help;
} HwProp;

#define HW_MAX_PROPS CORE_MAX_DEVICE_PROPS

/* A property's value, parsed. */
typedef struct HwPropValue {
    uint64_t u;          /* HW_PROP_UINT; HW_PROP_BOOL as 0 or 1 */
    const char *s;       /* HW_PROP_STRING, HW_PROP_CHARDEV */
    BeChardev *chr;      /* HW_PROP_CHARDEV: the back end, opened by
                            hw_device_props_open_chardevs; the device's
                            free closes it (be_chardev_close) */
} HwPropValue;

/* What a board hands a device at creation: its place, its wiring and
   its property values (one per row property, in row order, defaults
   filled in). */
typedef struct HwDeviceArgs {
    CoreMachine *m;
    const char *id;              /* unique and stable (snapshots match it) */
    gpa_t base;                  /* MMIO window */
    uint64_t size;
    unsigned irq_num;            /* interrupt number at the board's intc */
    CoreIrq irq;                 /* that line (none: handler NULL) */
    const HwPropValue *props;
    /* Board wiring, for devices that need more than one line. */
    unsigned nharts;
    CoreIrq (*hart_irq)(void *board, unsigned hart, unsigned cause);
    void *board;
    BeChardev *serial;           /* host side of serial port 0 */
    void *bus;                   /* HW_BUS_VIRTIO: the transport to plug into */
    /* Device tree: this node's phandle (0: none), the interrupt parent's,
       and hart h's interrupt controller's (cpu_phandle + h). */
    uint32_t phandle;
    uint32_t intc_phandle;
    uint32_t cpu_phandle;
} HwDeviceArgs;

typedef struct HwDeviceType {
    const char *name;
    const char *desc;
    HwDeviceCategory category;
    HwBus bus;
    bool user_creatable;         /* may be added with -device */
    uint64_t mmio_size;          /* window a board must give it */
    unsigned nirqs;              /* 0 or 1 line at the board's intc */
    const HwProp *props;         /* NULL-name terminated, may be NULL */
    /* Build the device; NULL with a message in err on failure. */
    void *(*create)(const HwDeviceArgs *a, char *err, size_t errlen);
    /* Add its node under `parent` (libfdt); 0 or a libfdt error. */
    int (*fdt_node)(void *fdt, int parent, const HwDeviceArgs *a);
    /* A device on another device's bus (HW_BUS_VIRTIO_SERIAL): the
       instance (as create returned it) whose bus it is on. NULL: none. */
    void *(*parent)(void *dev);
} HwDeviceType;

/* The rows, NULL-terminated (hw/devices.c). */
extern const HwDeviceType *const hw_device_table[];

const HwDeviceType *hw_device_type_find(const char *name);

/* -device help: every type grouped by category. */
void hw_device_print_list(FILE *out);

/* -device TYPE,help: the type's properties. False if there is no TYPE. */
bool hw_device_print_type(const char *name, FILE *out);

typedef enum HwParseResult {
    HW_PARSE_OK,       /* appended to cfg->devices */
    HW_PARSE_HELP,     /* help printed to stdout */
    HW_PARSE_ERROR,    /* message in err */
} HwParseResult;

/* Parse one -device argument against the registry and append it to
   cfg->devices: unknown type or property, bad value, missing required
   property, duplicate id and devices a user may not add are errors. */
HwParseResult hw_device_parse(const char *arg, CoreConfig *cfg, char *err,
                              size_t errlen);

/* Free what hw_device_parse allocated for cfg->devices (the front end
   keeps them for the whole run; tests free them). */
void hw_device_opts_free(CoreConfig *cfg);

/* The values of every property of t for opt (defaults filled in), into
   values[HW_MAX_PROPS]; false with a message on a bad value. */
/* Open the back end of every HW_PROP_CHARDEV value (-chardev id=...;
   a replay gets output-only stand-ins, cfg->chardev_replay). An id no
   -chardev defines, or one taken by another front end without mux=on,
   is an error naming the device and property. */
bool hw_device_props_open_chardevs(const HwDeviceType *t,
                                   const CoreConfig *cfg, HwPropValue *values,
                                   char *err, size_t errlen);
bool hw_device_props_resolve(const HwDeviceType *t, const CoreDeviceOpt *opt,
                             HwPropValue *values, char *err, size_t errlen);

/* Where the boards put a type they build in themselves, or -device
   devices (hw/boards.c), for -device TYPE,help. */
void hw_boards_describe_device(const char *type, FILE *out);

/* Where a board placed one device it built, for the shell's `devices`
   listing (QEMU's `info qtree`). Virtio devices report their transport's
   window and line. */
typedef struct HwPlacedDevice {
    const char *type;            /* registry name, e.g. "ns16550a" */
    const char *id;
    HwBus bus;
    gpa_t base;                  /* 0 and size 0: no window */
    uint64_t size;
    unsigned irq;                /* line at the board's intc, 0: none */
    const char *parent;          /* id of the device whose bus it is on
                                    (a virtio-serial port's device), or NULL */
} HwPlacedDevice;

/* The devices m's board built, in build order, into out[max]; returns
   how many there are (may exceed max). 0 for a board that keeps none. */
size_t hw_boards_devices(CoreMachine *m, HwPlacedDevice *out, size_t max);

/* Device-tree helpers for fdt_node: hw_fdt_node adds the node
   PREFIX@BASE under parent; hw_fdt_mmio_node also sets `compatible`
   (compat_len bytes, a NUL-separated list) and `reg` from a's window,
   in that order (the order of calls sets the order in the blob). The
   node, or a negative libfdt error (later calls on it fail too). */
int hw_fdt_node(void *fdt, int parent, const char *prefix,
                const HwDeviceArgs *a);
int hw_fdt_mmio_node(void *fdt, int parent, const char *prefix,
                     const char *compat, size_t compat_len,
                     const HwDeviceArgs *a);

/* Is `id` free among m's devices? */
bool hw_device_id_free(const CoreMachine *m, const char *id);

#endif
