/*
 * The device registry's table and everything generated from it (see
 * hw/registry.h): -device help, -device TYPE,help, and the parsing and
 * checking of -device options. A new device type is a new file under
 * hw/ that defines its HwDeviceType, plus one line in hw_device_table.
 *
 * Property syntax follows QEMU's: `TYPE[,name=value]...`, where a comma
 * inside a value is written twice (`label=a,,b` is "a,b").
 */
#include "hw/registry.h"

#include <ctype.h>
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const HwDeviceType hw_clint_type, hw_plic_type, hw_uart16550_type,
    hw_goldfish_rtc_type, hw_sifive_test_type, hw_testdev_type,
    hw_virtio_mmio_type, hw_virtio_rng_type, hw_virtio_blk_type,
    hw_virtio_net_type;
extern const HwDeviceType hw_virtio_serial_type, hw_virtconsole_type,
    hw_virtserialport_type;

const HwDeviceType *const hw_device_table[] = {
    &hw_clint_type,
    &hw_plic_type,
    &hw_uart16550_type,
    &hw_goldfish_rtc_type,
    &hw_sifive_test_type,
    &hw_testdev_type,
    &hw_virtio_mmio_type,
    &hw_virtio_rng_type,
    &hw_virtio_blk_type,
    &hw_virtio_serial_type, &hw_virtconsole_type, &hw_virtserialport_type,
    &hw_virtio_net_type,
    NULL,
};

static const char *const category_names[HW_CAT_COUNT] = {
    [HW_CAT_INTC] = "Interrupt controller",
    [HW_CAT_CHAR] = "Input/output",
    [HW_CAT_RTC] = "Real-time clock",
    [HW_CAT_MISC] = "Misc",
    [HW_CAT_TEST] = "Test",
};

static const char *const bus_names[HW_BUS_COUNT] = {
    [HW_BUS_SYSTEM] = "System",
    [HW_BUS_VIRTIO] = "virtio-bus",
    [HW_BUS_VIRTIO_SERIAL] = "virtio-serial-bus",
};

static const char *const prop_type_names[] = {
    [HW_PROP_UINT] = "uint64",
    [HW_PROP_BOOL] = "bool",
    [HW_PROP_STRING] = "str",
    [HW_PROP_CHARDEV] = "chardev",
};

const HwDeviceType *hw_device_type_find(const char *name)
{
    for (const HwDeviceType *const *t = hw_device_table; *t; t++) {
        if (strcmp((*t)->name, name) == 0) {
            return *t;
        }
    }
    return NULL;
}

void hw_device_print_list(FILE *out)
{
    for (unsigned c = 0; c < HW_CAT_COUNT; c++) {
        bool header = false;
        for (const HwDeviceType *const *p = hw_device_table; *p; p++) {
            const HwDeviceType *t = *p;
            if (t->category != c) {
                continue;
            }
            if (!header) {
                fprintf(out, "%s%s devices:\n", c ? "\n" : "",
                        category_names[c]);
                header = true;
            }
            fprintf(out, "name \"%s\", bus %s, desc \"%s\"%s\n", t->name,
                    bus_names[t->bus], t->desc,
                    t->user_creatable ? "" : ", built in (no -device)");
        }
    }
    fprintf(out, "\n-device TYPE,help lists a type's properties.\n");
}

bool hw_device_print_type(const char *name, FILE *out)
{
    const HwDeviceType *t = hw_device_type_find(name);
    if (!t) {
        return false;
    }
    fprintf(out, "%s: %s\n", t->name, t->desc);
    if (!t->user_creatable) {
        fprintf(out, "Built into the board; it cannot be added with "
                "-device.\n");
    }
    fprintf(out, "%s options:\n", t->name);
    char left[64];
    if (t->user_creatable) {
        snprintf(left, sizeof(left), "id=<str>");
        fprintf(out, "  %-24s - unique name of the device (default: %sN, "
                "the Nth %s on the command line, from 0)\n", left, t->name,
                t->name);
    }
    for (const HwProp *p = t->props; p && p->name; p++) {
        snprintf(left, sizeof(left), "%s=<%s>", p->name,
                 prop_type_names[p->type]);
        fprintf(out, "  %-24s - %s (%s%s)\n", left, p->help,
                p->def ? "default: " : "required", p->def ? p->def : "");
    }
    if (!t->user_creatable && !(t->props && t->props[0].name)) {
        fprintf(out, "  (none)\n");
    }
    hw_boards_describe_device(t->name, out);
    return true;
}

static bool parse_bool(const char *s, uint64_t *out)
{
    static const char *const yes[] = { "on", "true", "yes", "1" };
    static const char *const no[] = { "off", "false", "no", "0" };
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(s, yes[i]) == 0 || strcmp(s, no[i]) == 0) {
            *out = strcmp(s, yes[i]) == 0;
            return true;
        }
    }
    return false;
}

static bool parse_uint(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (!isdigit((unsigned char)s[0]) || *end || errno) {
        return false;
    }
    *out = v;
    return true;
}

static bool parse_value(const HwDeviceType *t, const HwProp *p,
                        const char *value, HwPropValue *v, char *err,
                        size_t errlen)
{
    static const char *const expected[] = {
        [HW_PROP_UINT] = "an unsigned integer, decimal or 0x hex",
        [HW_PROP_BOOL] = "on or off",
        [HW_PROP_STRING] = "a string",
        [HW_PROP_CHARDEV] = "a character device id",
    };
    bool ok;
    switch (p->type) {
    case HW_PROP_UINT:
        ok = parse_uint(value, &v->u);
        break;
    case HW_PROP_BOOL:
        ok = parse_bool(value, &v->u);
        break;
    default:
        v->s = value;
        ok = value[0] != 0;
        break;
    }
    if (!ok) {
        snprintf(err, errlen, "%s property '%s': bad value '%s' (expected %s)",
                 t->name, p->name, value, expected[p->type]);
    }
    return ok;
}

bool hw_device_props_resolve(const HwDeviceType *t, const CoreDeviceOpt *opt,
                             HwPropValue *values, char *err, size_t errlen)
{
    unsigned i = 0;
    for (const HwProp *p = t->props; p && p->name; p++, i++) {
        const char *value = p->def;
        for (unsigned k = 0; k < opt->nprops; k++) {
            if (strcmp(opt->props[k].name, p->name) == 0) {
                value = opt->props[k].value;
            }
        }
        memset(&values[i], 0, sizeof(values[i]));
        if (!value) {
            snprintf(err, errlen, "%s needs property '%s' (%s)", t->name,
                     p->name, p->help);
            return false;
        }
        if (!parse_value(t, p, value, &values[i], err, errlen)) {
            return false;
        }
    }
    return true;
}

bool hw_device_props_open_chardevs(const HwDeviceType *t,
                                   const CoreConfig *cfg, HwPropValue *values,
                                   char *err, size_t errlen)
{
    unsigned i = 0;
    for (const HwProp *p = t->props; p && p->name; p++, i++) {
        if (p->type != HW_PROP_CHARDEV) {
            continue;
        }
        char spec[160], who[160];
        snprintf(spec, sizeof(spec), "chardev:%s", values[i].s);
        snprintf(who, sizeof(who), "%s property '%s'", t->name, p->name);
        values[i].chr = be_chardev_open_cfg(cfg, spec, who, err, errlen);
        if (!values[i].chr) {
            return false;
        }
    }
    return true;
}

/* QEMU's rule for ids: a letter, then letters, digits, '-', '.', '_';
   short enough for the machine's device list (CoreDevice.id). */
static bool valid_id(const char *id)
{
    if (!isalpha((unsigned char)id[0]) ||
        strlen(id) >= sizeof(((CoreDevice *)0)->id)) {
        return false;
    }
    for (const char *c = id; *c; c++) {
        if (!isalnum((unsigned char)*c) && !strchr("-._", *c)) {
            return false;
        }
    }
    return true;
}

/* Split "a=b,,c,d=e" at single commas into a malloc'd array of
   malloc'd items, ",," becoming ",". Returns the count. */
static size_t split_opts(const char *arg, char **items, size_t max)
{
    size_t n = 0, len = strlen(arg);
    char *cur = malloc(len + 1);
    size_t k = 0;
    for (size_t i = 0; i <= len; i++) {
        if (arg[i] == ',' && arg[i + 1] == ',') {
            cur[k++] = ',';
            i++;
        } else if (arg[i] == ',' || arg[i] == 0) {
            cur[k] = 0;
            if (n < max) {
                items[n] = strdup(cur);
            }
            n++;
            k = 0;
        } else {
            cur[k++] = arg[i];
        }
    }
    free(cur);
    return n;
}

static void free_opt(CoreDeviceOpt *opt)
{
    free((char *)opt->id);
    for (unsigned k = 0; k < opt->nprops; k++) {
        free((char *)opt->props[k].name);
        free((char *)opt->props[k].value);
    }
    memset(opt, 0, sizeof(*opt));
}

static const HwProp *find_prop(const HwDeviceType *t, const char *name)
{
    for (const HwProp *p = t->props; p && p->name; p++) {
        if (strcmp(p->name, name) == 0) {
            return p;
        }
    }
    return NULL;
}

static HwParseResult parse_items(char **items, size_t n, CoreConfig *cfg,
                                 char *err, size_t errlen)
{
    const char *type = items[0];
    if (strcmp(type, "help") == 0 || strcmp(type, "?") == 0) {
        hw_device_print_list(stdout);
        return HW_PARSE_HELP;
    }
    const HwDeviceType *t = hw_device_type_find(type);
    if (!t) {
        snprintf(err, errlen, "unknown device type '%s' (try -device help)",
                 type);
        return HW_PARSE_ERROR;
    }
    for (size_t i = 1; i < n; i++) {
        if (strcmp(items[i], "help") == 0 || strcmp(items[i], "?") == 0) {
            hw_device_print_type(type, stdout);
            return HW_PARSE_HELP;
        }
    }
    if (!t->user_creatable) {
        snprintf(err, errlen, "%s is built into the board and cannot be "
                 "added with -device (-device help lists the ones that can)",
                 t->name);
        return HW_PARSE_ERROR;
    }
    if (cfg->ndevices >= CORE_MAX_DEVICE_OPTS) {
        snprintf(err, errlen, "too many -device options (at most %d)",
                 CORE_MAX_DEVICE_OPTS);
        return HW_PARSE_ERROR;
    }
    CoreDeviceOpt *opt = &cfg->devices[cfg->ndevices];
    memset(opt, 0, sizeof(*opt));
    opt->type = t->name;
    for (size_t i = 1; i < n; i++) {
        char *eq = strchr(items[i], '=');
        if (!eq) {
            snprintf(err, errlen, "%s: '%s' is not name=value", t->name,
                     items[i]);
            return HW_PARSE_ERROR;
        }
        *eq = 0;
        const char *name = items[i], *value = eq + 1;
        bool seen = strcmp(name, "id") == 0 && opt->id;
        for (unsigned k = 0; k < opt->nprops; k++) {
            seen |= strcmp(opt->props[k].name, name) == 0;
        }
        if (seen) {
            snprintf(err, errlen, "%s: property '%s' given twice", t->name,
                     name);
            return HW_PARSE_ERROR;
        }
        if (strcmp(name, "id") == 0) {
            if (!valid_id(value)) {
                snprintf(err, errlen, "%s property 'id': bad value '%s' "
                         "(a letter, then up to 30 letters, digits, '-', '.', '_')",
                         t->name, value);
                return HW_PARSE_ERROR;
            }
            opt->id = strdup(value);
            continue;
        }
        if (!find_prop(t, name)) {
            snprintf(err, errlen, "%s has no property '%s' (try -device "
                     "%s,help)", t->name, name, t->name);
            return HW_PARSE_ERROR;
        }
        opt->props[opt->nprops].name = strdup(name);
        opt->props[opt->nprops].value = strdup(value);
        opt->nprops++;
    }
    HwPropValue values[HW_MAX_PROPS];
    if (!hw_device_props_resolve(t, opt, values, err, errlen)) {
        return HW_PARSE_ERROR;
    }
    if (!opt->id) {
        /* Deterministic, so that a replay (which parses the recorded
           command line again) and a snapshot name the same device. */
        unsigned same = 0;
        for (unsigned k = 0; k < cfg->ndevices; k++) {
            same += strcmp(cfg->devices[k].type, t->name) == 0;
        }
        char id[64];
        snprintf(id, sizeof(id), "%s%u", t->name, same);
        opt->id = strdup(id);
    }
    for (unsigned k = 0; k < cfg->ndevices; k++) {
        if (strcmp(cfg->devices[k].id, opt->id) == 0) {
            snprintf(err, errlen, "duplicate id '%s' (already used by "
                     "-device %s)", opt->id, cfg->devices[k].arg);
            return HW_PARSE_ERROR;
        }
    }
    cfg->ndevices++;
    return HW_PARSE_OK;
}

HwParseResult hw_device_parse(const char *arg, CoreConfig *cfg, char *err,
                              size_t errlen)
{
    char *items[2 + 2 * CORE_MAX_DEVICE_PROPS];
    size_t n = split_opts(arg, items, CORE_ARRAY_SIZE(items));
    HwParseResult r;
    if (n > CORE_ARRAY_SIZE(items)) {
        snprintf(err, errlen, "too many properties (at most %d)",
                 CORE_MAX_DEVICE_PROPS);
        r = HW_PARSE_ERROR;
        n = CORE_ARRAY_SIZE(items);
    } else if (items[0][0] == 0) {
        snprintf(err, errlen, "no device type given (try -device help)");
        r = HW_PARSE_ERROR;
    } else {
        r = parse_items(items, n, cfg, err, errlen);
        if (r == HW_PARSE_OK) {
            cfg->devices[cfg->ndevices - 1].arg = arg;
        } else if (cfg->ndevices < CORE_MAX_DEVICE_OPTS) {
            /* The slot an error left half filled (zero if untouched). */
            free_opt(&cfg->devices[cfg->ndevices]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(items[i]);
    }
    return r;
}

void hw_device_opts_free(CoreConfig *cfg)
{
    for (unsigned i = 0; i < cfg->ndevices; i++) {
        free_opt(&cfg->devices[i]);
    }
    cfg->ndevices = 0;
}

int hw_fdt_node(void *fdt, int parent, const char *prefix,
                const HwDeviceArgs *a)
{
    char name[48];
    snprintf(name, sizeof(name), "%s@%llx", prefix,
             (unsigned long long)a->base);
    return fdt_add_subnode(fdt, parent, name);
}

int hw_fdt_mmio_node(void *fdt, int parent, const char *prefix,
                     const char *compat, size_t compat_len,
                     const HwDeviceArgs *a)
{
    int node = hw_fdt_node(fdt, parent, prefix, a);
    int rc = fdt_setprop(fdt, node, "compatible", compat, (int)compat_len);
    rc |= fdt_appendprop_addrrange(fdt, parent, node, "reg", a->base, a->size);
    return node < 0 ? node : rc < 0 ? rc : node;
}

bool hw_device_id_free(const CoreMachine *m, const char *id)
{
    for (unsigned i = 0; i < m->ndevices; i++) {
        if (strcmp(m->devices[i].id, id) == 0) {
            return false;
        }
    }
    return true;
}
