/*
 * `-netdev user` through libslirp (see backends/net.h).
 *
 * Options (QEMU's spelling): id=, net=ADDR[/MASK] (default
 * 10.0.2.0/24), host= (10.0.2.2), dhcpstart= (10.0.2.15), dns=
 * (10.0.2.3), hostname=, restrict=on|off, hostfwd=tcp|udp:[HOSTADDR]:
 * HOSTPORT-[GUESTADDR]:GUESTPORT (repeatable; HOSTADDR defaults to
 * 127.0.0.1, never every interface; GUESTADDR to dhcpstart; HOSTPORT 0
 * binds any free port and prints which).
 *
 * slirp runs on the host side only: its clock is the host's monotonic
 * clock, its timers fire from be_net_poll_dispatch, and what it sends
 * the guest waits in `rxq` for the run loop's host side. Nothing here
 * reaches guest state except through the input door.
 */
#include "backends/net.h"
#include "backends/chardev.h"
#include "backends/hostclock.h"

#include <arpa/inet.h>
#include <glib.h>
#include <errno.h>
#include <libslirp.h>
#include <sys/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FWD 16
#define MAX_TIMERS 16
#define RXQ_FRAMES 1024

typedef struct Fwd {
    bool udp;
    struct in_addr haddr, gaddr;
    int hport, gport;
    bool gaddr_set;
    char spec[96];
} Fwd;

/* guestfwd=[tcp]:[SERVER]:PORT-cmd:COMMAND | -chardev:ID: a connection
   the guest opens to SERVER:PORT (default x.x.x.4) reaches a command's
   stdin/stdout or a chardev. */
#define MAX_GFWD 4
typedef struct Gfwd {
    struct in_addr gaddr;         /* 0: slirp's default, x.x.x.4 */
    int gport;
    bool chardev;                 /* target is a chardev id, else a cmd */
    char target[128];
    char spec[200];
} Gfwd;

typedef struct NetUser {
    char id[32];
    struct in_addr net, mask, host, dhcp, dns;
    bool restricted;
    char hostname[64];
    unsigned nfwd;
    Fwd fwd[MAX_FWD];
    unsigned ngfwd;
    Gfwd gfwd[MAX_GFWD];
} NetUser;

typedef struct Timer {
    SlirpTimerCb cb;
    void *cb_opaque;
    int64_t expire_ms;            /* -1: not armed */
    bool used;
} Timer;

/* A guestfwd to a chardev, open. */
typedef struct GfwdChr {
    BeChardev *chr;
    struct in_addr gaddr;
    int gport;
    int poll_idx;                 /* in this back end's fds, or -1 */
} GfwdChr;

struct BeNet {
    unsigned nic;
    Slirp *slirp;                 /* NULL: inert (replay) */
    GfwdChr gchr[MAX_GFWD];
    unsigned ngchr;
    Timer timers[MAX_TIMERS];
    unsigned fd_first, fd_count;  /* this back end's part of the poll set */
    struct pollfd *fds;           /* during fill/dispatch */
    unsigned fds_max;
};

typedef struct Frame {
    unsigned nic;
    size_t len;
    uint8_t *bytes;
} Frame;

static BeNet *open_nets[CORE_MAX_NETDEV_OPTS];
static Frame rxq[RXQ_FRAMES];
static unsigned rxq_head, rxq_count;

static bool parse_addr(const char *s, struct in_addr *a)
{
    return inet_pton(AF_INET, s, a) == 1;
}

/* tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT */
static bool parse_fwd(const char *spec, Fwd *f, char *err, size_t errlen)
{
    char buf[96], *p;
    snprintf(f->spec, sizeof(f->spec), "%s", spec);
    if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf)) {
        goto bad;
    }
    p = buf;
    if (strncmp(p, "tcp:", 4) == 0) {
        f->udp = false;
        p += 4;
    } else if (strncmp(p, "udp:", 4) == 0) {
        f->udp = true;
        p += 4;
    } else if (*p == ':') {
        f->udp = false;           /* QEMU: tcp when the protocol is empty */
        p += 1;
    } else {
        goto bad;
    }
    char *dash = strchr(p, '-');
    if (!dash) {
        goto bad;
    }
    *dash = 0;
    char *hc = strrchr(p, ':'), *g = dash + 1, *gc = strrchr(g, ':');
    if (!hc || !gc) {
        goto bad;
    }
    *hc = 0;
    *gc = 0;
    f->haddr.s_addr = htonl(INADDR_LOOPBACK);
    if (*p && !parse_addr(p, &f->haddr)) {
        goto bad;
    }
    f->gaddr_set = *g != 0;
    if (*g && !parse_addr(g, &f->gaddr)) {
        goto bad;
    }
    char *end;
    long hp = strtol(hc + 1, &end, 10);
    if (!hc[1] || *end || hp < 0 || hp > 65535) {
        goto bad;
    }
    long gp = strtol(gc + 1, &end, 10);
    if (!gc[1] || *end || gp < 1 || gp > 65535) {
        goto bad;
    }
    f->hport = (int)hp;
    f->gport = (int)gp;
    return true;
bad:
    snprintf(err, errlen, "hostfwd=%s: expected tcp|udp:[HOSTADDR]:HOSTPORT-"
             "[GUESTADDR]:GUESTPORT", spec);
    return false;
}

/* [tcp]:[SERVER]:PORT-cmd:COMMAND or [tcp]:[SERVER]:PORT-chardev:ID */
static bool parse_gfwd(const char *spec, Gfwd *g, char *err, size_t errlen)
{
    char buf[200], *p;
    snprintf(g->spec, sizeof(g->spec), "%s", spec);
    if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf)) {
        goto bad;
    }
    p = buf;
    if (strncmp(p, "tcp:", 4) == 0) {
        p += 4;
    } else if (*p == ':') {
        p += 1;
    } else {
        goto bad;
    }
    char *dash = strchr(p, '-'), *colon = strchr(p, ':');
    if (!dash || !colon || colon > dash) {
        goto bad;
    }
    *dash = 0;
    *colon = 0;
    g->gaddr.s_addr = 0;
    if (*p && !parse_addr(p, &g->gaddr)) {
        goto bad;
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 1 || port > 65535) {
        goto bad;
    }
    g->gport = (int)port;
    const char *t = dash + 1;
    if (strncmp(t, "cmd:", 4) == 0 && t[4]) {
        g->chardev = false;
        t += 4;
    } else if (strncmp(t, "chardev:", 8) == 0 && t[8]) {
        g->chardev = true;
        t += 8;
    } else {
        goto bad;
    }
    if (strlen(t) >= sizeof(g->target)) {
        goto bad;
    }
    snprintf(g->target, sizeof(g->target), "%s", t);
    return true;
bad:
    snprintf(err, errlen, "guestfwd=%s: expected [tcp]:[SERVER]:PORT-cmd:"
             "COMMAND or [tcp]:[SERVER]:PORT-chardev:ID", spec);
    return false;
}

static bool parse_user(const char *arg, NetUser *u, char *err, size_t errlen)
{
    memset(u, 0, sizeof(*u));
    inet_pton(AF_INET, "10.0.2.0", &u->net);
    inet_pton(AF_INET, "255.255.255.0", &u->mask);
    bool host_set = false, dhcp_set = false, dns_set = false;
    char *copy = strdup(arg), *save = NULL;
    bool ok = false;
    char *type = strtok_r(copy, ",", &save);
    if (!type || strcmp(type, "user") != 0) {
        snprintf(err, errlen, "unknown netdev type '%s' (try -netdev help)",
                 type ? type : "");
        goto out;
    }
    for (char *it; (it = strtok_r(NULL, ",", &save));) {
        char *eq = strchr(it, '=');
        if (!eq) {
            snprintf(err, errlen, "'%s': expected OPTION=VALUE", it);
            goto out;
        }
        *eq = 0;
        const char *v = eq + 1;
        if (strcmp(it, "id") == 0) {
            if (!*v || strlen(v) >= sizeof(u->id)) {
                snprintf(err, errlen, "id='%s': 1 to %zu characters", v,
                         sizeof(u->id) - 1);
                goto out;
            }
            snprintf(u->id, sizeof(u->id), "%s", v);
        } else if (strcmp(it, "net") == 0) {
            char a[64];
            snprintf(a, sizeof(a), "%s", v);
            char *slash = strchr(a, '/');
            unsigned bits = 24;
            if (slash) {
                *slash = 0;
                char *end;
                long b = strtol(slash + 1, &end, 10);
                if (!slash[1] || *end || b < 1 || b > 30) {
                    snprintf(err, errlen, "net=%s: bad prefix length", v);
                    goto out;
                }
                bits = (unsigned)b;
            }
            if (!parse_addr(a, &u->net)) {
                snprintf(err, errlen, "net=%s: not an IPv4 address", v);
                goto out;
            }
            u->mask.s_addr = htonl(~0u << (32 - bits));
            u->net.s_addr &= u->mask.s_addr;
        } else if (strcmp(it, "host") == 0 || strcmp(it, "dhcpstart") == 0 ||
                   strcmp(it, "dns") == 0) {
            struct in_addr *a = it[0] == 'h' ? &u->host
                                : it[1] == 'h' ? &u->dhcp : &u->dns;
            if (!parse_addr(v, a)) {
                snprintf(err, errlen, "%s=%s: not an IPv4 address", it, v);
                goto out;
            }
            host_set |= it[0] == 'h';
            dhcp_set |= it[1] == 'h';
            dns_set |= it[0] == 'd' && it[1] == 'n';
        } else if (strcmp(it, "restrict") == 0) {
            if (strcmp(v, "on") == 0 || strcmp(v, "yes") == 0) {
                u->restricted = true;
            } else if (strcmp(v, "off") == 0 || strcmp(v, "no") == 0) {
                u->restricted = false;
            } else {
                snprintf(err, errlen, "restrict=%s: expected on or off", v);
                goto out;
            }
        } else if (strcmp(it, "hostname") == 0) {
            snprintf(u->hostname, sizeof(u->hostname), "%s", v);
        } else if (strcmp(it, "hostfwd") == 0) {
            if (u->nfwd == MAX_FWD) {
                snprintf(err, errlen, "at most %d hostfwd rules", MAX_FWD);
                goto out;
            }
            if (!parse_fwd(v, &u->fwd[u->nfwd++], err, errlen)) {
                goto out;
            }
        } else if (strcmp(it, "guestfwd") == 0) {
            if (u->ngfwd == MAX_GFWD) {
                snprintf(err, errlen, "at most %d guestfwd rules", MAX_GFWD);
                goto out;
            }
            if (!parse_gfwd(v, &u->gfwd[u->ngfwd++], err, errlen)) {
                goto out;
            }
        } else {
            snprintf(err, errlen, "netdev user has no option '%s' (try "
                     "-netdev user,help)", it);
            goto out;
        }
    }
    if (!u->id[0]) {
        snprintf(err, errlen, "id= is required");
        goto out;
    }
    uint32_t net = ntohl(u->net.s_addr), mask = ntohl(u->mask.s_addr);
    if (!host_set) {
        u->host.s_addr = htonl(net | 2);
    }
    if (!dhcp_set) {
        u->dhcp.s_addr = htonl(net | 15);
    }
    if (!dns_set) {
        u->dns.s_addr = htonl(net | 3);
    }
    const struct { const char *name; struct in_addr a; } in[] = {
        { "host", u->host }, { "dhcpstart", u->dhcp }, { "dns", u->dns },
    };
    for (size_t i = 0; i < 3; i++) {
        if ((ntohl(in[i].a.s_addr) & mask) != net) {
            snprintf(err, errlen, "%s is not in net=", in[i].name);
            goto out;
        }
    }
    for (unsigned i = 0; i < u->nfwd; i++) {
        if (!u->fwd[i].gaddr_set) {
            u->fwd[i].gaddr = u->dhcp;
        }
    }
    ok = true;
out:
    free(copy);
    return ok;
}

bool be_netdev_help(const char *arg)
{
    if (strcmp(arg, "help") == 0 || strcmp(arg, "?") == 0) {
        printf("Available netdev backend types:\n  user\n");
        return true;
    }
    size_t n = strlen(arg);
    if (strncmp(arg, "user,", 5) == 0 && n >= 5 &&
        (strcmp(arg + n - 5, ",help") == 0 || strcmp(arg + n - 2, ",?") == 0)) {
        printf("user options:\n"
               "  id=<str>                 - name the NIC's netdev= refers to (required)\n"
               "  net=<addr>[/<bits>]      - guest network (default 10.0.2.0/24)\n"
               "  host=<addr>              - the host as the guest sees it (default x.x.x.2)\n"
               "  dhcpstart=<addr>         - first DHCP address (default x.x.x.15)\n"
               "  dns=<addr>               - DNS forwarder address (default x.x.x.3)\n"
               "  hostname=<str>           - name the DHCP server gives the guest\n"
               "  restrict=on|off          - isolate the guest from the host's network (default off)\n"
               "  hostfwd=tcp|udp:[hostaddr]:hostport-[guestaddr]:guestport\n"
               "                           - forward a host port into the guest; hostaddr\n"
               "                             defaults to 127.0.0.1, hostport 0 picks one\n"
               "  guestfwd=[tcp]:[server]:port-cmd:command\n"
               "  guestfwd=[tcp]:[server]:port-chardev:id\n"
               "                           - a guest connection to server:port (default\n"
               "                             x.x.x.4) reaches a command (no commas) or a\n"
               "                             -chardev\n");
        return true;
    }
    return false;
}

bool be_netdev_define(CoreConfig *cfg, const char *arg, char *err,
                      size_t errlen)
{
    NetUser u;
    if (!parse_user(arg, &u, err, errlen)) {
        return false;
    }
    for (unsigned i = 0; i < cfg->nnetdevs; i++) {
        NetUser o;
        if (parse_user(cfg->netdevs[i], &o, err, errlen) &&
            strcmp(o.id, u.id) == 0) {
            snprintf(err, errlen, "id '%s' is already used by another "
                     "-netdev", u.id);
            return false;
        }
    }
    if (cfg->nnetdevs == CORE_MAX_NETDEV_OPTS) {
        snprintf(err, errlen, "at most %d -netdev options",
                 CORE_MAX_NETDEV_OPTS);
        return false;
    }
    cfg->netdevs[cfg->nnetdevs++] = arg;
    return true;
}

/* ---- slirp callbacks (host side only) ---- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    BeNet *n = opaque;
    if (rxq_count == RXQ_FRAMES) {
        return (ssize_t)len;   /* the wire is full: lost, as on one */
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) {
        return (ssize_t)len;
    }
    memcpy(copy, buf, len);
    rxq[(rxq_head + rxq_count++) % RXQ_FRAMES] =
        (Frame){ .nic = n->nic, .len = len, .bytes = copy };
    return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
    (void)msg;
    (void)opaque;   /* slirp's view of a malformed guest frame: ignored */
}

static int64_t cb_clock_ns(void *opaque)
{
    (void)opaque;
    return (int64_t)be_host_monotonic_ns_nd();
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    BeNet *n = opaque;
    for (unsigned i = 0; i < MAX_TIMERS; i++) {
        if (!n->timers[i].used) {
            n->timers[i] = (Timer){ cb, cb_opaque, -1, true };
            return &n->timers[i];
        }
    }
    fprintf(stderr, "rewind: slirp: out of timers\n");
    abort();   /* a program invariant: slirp makes a fixed few */
}

static void cb_timer_free(void *timer, void *opaque)
{
    (void)opaque;
    ((Timer *)timer)->used = false;
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    (void)opaque;
    ((Timer *)timer)->expire_ms = expire_ms;
}

static void cb_register_fd(int fd, void *opaque)
{
    (void)fd;
    (void)opaque;   /* slirp polls through slirp_pollfds_fill instead */
}

static void cb_unregister_fd(int fd, void *opaque)
{
    (void)fd;
    (void)opaque;
}

static void cb_notify(void *opaque)
{
    (void)opaque;
}

static const SlirpCb callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_fd,
    .unregister_poll_fd = cb_unregister_fd,
    .notify = cb_notify,
};

static const char *find_spec(const CoreConfig *cfg, const char *id,
                             NetUser *u)
{
    char err[200];
    for (unsigned i = 0; i < cfg->nnetdevs; i++) {
        if (parse_user(cfg->netdevs[i], u, err, sizeof(err)) &&
            strcmp(u->id, id) == 0) {
            return cfg->netdevs[i];
        }
    }
    return NULL;
}

/* Where a hostfwd rule listens. libslirp (4.7, Debian 12) neither
   reports the socket it binds (register_poll_fd is not called for it)
   nor takes one bound by the caller, and its connection table is text
   for people. So ask the kernel instead: the process's IPv4 sockets of
   the rule's kind (a listening TCP socket, a UDP socket), as a bit set
   of descriptors < FWD_FDS, taken before and after slirp_add_hostfwd;
   the one socket that call created is the rule's. Nothing else opens
   descriptors meanwhile (rewind runs no other threads). */
#define FWD_FDS 1024
static void fwd_fds(bool udp, uint64_t set[FWD_FDS / 64])
{
    memset(set, 0, FWD_FDS / 8);
    for (int fd = 0; fd < FWD_FDS; fd++) {
        int type = 0, listening = 0;
        socklen_t tl = sizeof(type), ll = sizeof(listening);
        struct sockaddr_storage sa;
        socklen_t sl = sizeof(sa);
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 ||
            type != (udp ? SOCK_DGRAM : SOCK_STREAM) ||
            getsockname(fd, (struct sockaddr *)&sa, &sl) != 0 ||
            sa.ss_family != AF_INET) {
            continue;
        }
        if (!udp && (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
                                &ll) != 0 || !listening)) {
            continue;
        }
        set[fd / 64] |= 1ull << (fd % 64);
    }
}

static bool add_fwds(BeNet *n, const NetUser *u, char *err, size_t errlen)
{
    for (unsigned i = 0; i < u->nfwd; i++) {
        const Fwd *f = &u->fwd[i];
        uint64_t before[FWD_FDS / 64], after[FWD_FDS / 64];
        fwd_fds(f->udp, before);
        int fd = -1;
        errno = 0;
        if (slirp_add_hostfwd(n->slirp, f->udp, f->haddr, f->hport, f->gaddr,
                              f->gport) < 0) {
            char a[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &f->haddr, a, sizeof(a));
            snprintf(err, errlen, "-netdev %s: hostfwd=%s: cannot listen on "
                     "%s:%d%s%s", u->id, f->spec, a, f->hport,
                     errno ? ": " : "", errno ? strerror(errno) : "");
            return false;
        }
        fwd_fds(f->udp, after);
        unsigned found = 0;
        for (int k = 0; k < FWD_FDS; k++) {
            if ((after[k / 64] & ~before[k / 64]) >> (k % 64) & 1) {
                fd = k;
                found++;
            }
        }
        fd = found == 1 ? fd : -1;   /* not one new socket: cannot tell */
        struct sockaddr_in sa;
        socklen_t sl = sizeof(sa);
        if (f->hport != 0) {
            continue;
        }
        if (fd < 0 || getsockname(fd, (struct sockaddr *)&sa, &sl) != 0 ||
            sa.sin_addr.s_addr != f->haddr.s_addr) {
            fprintf(stderr, "rewind: netdev %s: hostfwd=%s: listening, but "
                    "the port it got cannot be told\n", u->id, f->spec);
        } else {
            char a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &sa.sin_addr, a, sizeof(a));
            inet_ntop(AF_INET, &f->gaddr, g, sizeof(g));
            fprintf(stderr, "rewind: netdev %s: hostfwd %s %s:%u -> %s:%d\n",
                    u->id, f->udp ? "udp" : "tcp", a, ntohs(sa.sin_port), g,
                    f->gport);
        }
    }
    return true;
}

/* Guest output on a guestfwd connection to a chardev (deterministic:
   slirp hands it over while it takes the guest's frames). */
static ssize_t gfwd_write(const void *buf, size_t len, void *opaque)
{
    GfwdChr *g = opaque;
    be_chardev_write(g->chr, buf, len);
    return (ssize_t)len;
}

static bool add_gfwds(BeNet *n, const CoreConfig *cfg, const NetUser *u,
                      char *err, size_t errlen)
{
    for (unsigned i = 0; i < u->ngfwd; i++) {
        const Gfwd *g = &u->gfwd[i];
        struct in_addr ga = g->gaddr;
        if (!ga.s_addr) {
            ga.s_addr = htonl(ntohl(u->net.s_addr) | 4);   /* as QEMU */
        }
        int rc;
        if (g->chardev) {
            char spec[160], who[272];
            snprintf(spec, sizeof(spec), "chardev:%s", g->target);
            snprintf(who, sizeof(who), "-netdev %s: guestfwd=%s", u->id,
                     g->spec);
            GfwdChr *c = &n->gchr[n->ngchr];
            c->chr = be_chardev_open_cfg(cfg, spec, who, err, errlen);
            if (!c->chr) {
                return false;
            }
            c->gaddr = ga;
            c->gport = g->gport;
            c->poll_idx = -1;
            n->ngchr++;
            rc = slirp_add_guestfwd(n->slirp, gfwd_write, c, &ga, g->gport);
        } else {
            rc = slirp_add_exec(n->slirp, g->target, &ga, g->gport);
        }
        if (rc < 0) {
            char a[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &ga, a, sizeof(a));
            snprintf(err, errlen, "-netdev %s: guestfwd=%s: slirp refused "
                     "%s:%d (the server must be in net=, not the host or "
                     "DNS address, and used by one rule)", u->id, g->spec, a,
                     g->gport);
            return false;
        }
    }
    return true;
}

static void close_gfwds(BeNet *n)
{
    for (unsigned i = 0; i < n->ngchr; i++) {
        be_chardev_close(n->gchr[i].chr);
    }
    n->ngchr = 0;
}

BeNet *be_net_open(const CoreConfig *cfg, const char *id, unsigned nic,
                   char *err, size_t errlen)
{
    NetUser u;
    if (!find_spec(cfg, id, &u)) {
        snprintf(err, errlen, "property 'netdev': no -netdev with id '%s'",
                 id);
        return NULL;
    }
    unsigned slot = 0;
    while (slot < CORE_MAX_NETDEV_OPTS && open_nets[slot]) {
        slot++;
    }
    BeNet *n = calloc(1, sizeof(*n));
    if (!n || slot == CORE_MAX_NETDEV_OPTS) {
        free(n);
        snprintf(err, errlen, "property 'netdev': too many NICs");
        return NULL;
    }
    n->nic = nic;
    if (cfg->chardev_replay) {
        return n;                 /* replay: frames come from the trace */
    }
    SlirpConfig sc = {
        .version = 1,
        .restricted = u.restricted,
        .in_enabled = true,
        .vnetwork = u.net,
        .vnetmask = u.mask,
        .vhost = u.host,
        .vhostname = u.hostname[0] ? u.hostname : NULL,
        .vdhcp_start = u.dhcp,
        .vnameserver = u.dns,
    };
    n->slirp = slirp_new(&sc, &callbacks, n);
    if (!n->slirp) {
        snprintf(err, errlen, "-netdev %s: slirp could not start", id);
        free(n);
        return NULL;
    }
    if (!add_fwds(n, &u, err, errlen) || !add_gfwds(n, cfg, &u, err, errlen)) {
        slirp_cleanup(n->slirp);
        close_gfwds(n);
        free(n);
        return NULL;
    }
    open_nets[slot] = n;
    return n;
}

void be_net_close(BeNet *n)
{
    if (!n) {
        return;
    }
    for (unsigned i = 0; i < CORE_MAX_NETDEV_OPTS; i++) {
        if (open_nets[i] == n) {
            open_nets[i] = NULL;
        }
    }
    if (n->slirp) {
        slirp_cleanup(n->slirp);
    }
    close_gfwds(n);
    /* Frames still waiting for this NIC go with it. */
    for (unsigned k = 0; k < rxq_count; k++) {
        Frame *f = &rxq[(rxq_head + k) % RXQ_FRAMES];
        if (f->nic == n->nic) {
            free(f->bytes);
            f->bytes = NULL;
        }
    }
    free(n);
}

void be_net_send(BeNet *n, const uint8_t *frame, size_t len)
{
    if (n && n->slirp && len <= 65535) {
        slirp_input(n->slirp, frame, (int)len);
    }
}

bool be_net_active(void)
{
    for (unsigned i = 0; i < CORE_MAX_NETDEV_OPTS; i++) {
        if (open_nets[i] && open_nets[i]->slirp) {
            return true;
        }
    }
    return false;
}

static int cb_add_poll(int fd, int events, void *opaque)
{
    BeNet *n = opaque;
    if (n->fd_count == n->fds_max) {
        return -1;                /* no room this round: polled next time */
    }
    short ev = 0;
    ev |= (events & SLIRP_POLL_IN) ? POLLIN : 0;
    ev |= (events & SLIRP_POLL_OUT) ? POLLOUT : 0;
    ev |= (events & SLIRP_POLL_PRI) ? POLLPRI : 0;
    n->fds[n->fd_count] = (struct pollfd){ .fd = fd, .events = ev };
    return (int)n->fd_count++;
}

static int cb_get_revents(int idx, void *opaque)
{
    BeNet *n = opaque;
    if (idx < 0 || (unsigned)idx >= n->fd_count) {
        return 0;
    }
    short r = n->fds[idx].revents;
    int ev = 0;
    ev |= (r & POLLIN) ? SLIRP_POLL_IN : 0;
    ev |= (r & POLLOUT) ? SLIRP_POLL_OUT : 0;
    ev |= (r & POLLPRI) ? SLIRP_POLL_PRI : 0;
    ev |= (r & POLLERR) ? SLIRP_POLL_ERR : 0;
    ev |= (r & POLLHUP) ? SLIRP_POLL_HUP : 0;
    return ev;
}

unsigned be_net_poll_fill(struct pollfd *fds, unsigned max, int *timeout_ms)
{
    unsigned used = 0;
    int64_t now_ms = (int64_t)(be_host_monotonic_ns_nd() / 1000000);
    for (unsigned i = 0; i < CORE_MAX_NETDEV_OPTS; i++) {
        BeNet *n = open_nets[i];
        if (!n || !n->slirp) {
            continue;
        }
        n->fd_first = used;
        n->fd_count = 0;
        n->fds = fds + used;
        n->fds_max = max - used;
        uint32_t t = *timeout_ms < 0 ? UINT32_MAX : (uint32_t)*timeout_ms;
        slirp_pollfds_fill(n->slirp, &t, cb_add_poll, n);
        /* A guestfwd chardev is read only while its guest connection
           can take bytes (slirp's socket buffer has room); a socket
           server without a client is watched all the time, so that one
           is there (accepted) before the guest writes. */
        for (unsigned k = 0; k < n->ngchr; k++) {
            GfwdChr *g = &n->gchr[k];
            int fd = be_chardev_input_fd(g->chr);
            g->poll_idx = -1;
            if (fd >= 0 && n->fd_count < n->fds_max &&
                (!be_chardev_connected_nd(g->chr) ||
                 slirp_socket_can_recv(n->slirp, g->gaddr, g->gport) > 0)) {
                g->poll_idx = (int)n->fd_count;
                n->fds[n->fd_count++] = (struct pollfd){ .fd = fd,
                                                         .events = POLLIN };
            }
        }
        for (unsigned k = 0; k < MAX_TIMERS; k++) {
            const Timer *tm = &n->timers[k];
            if (tm->used && tm->expire_ms >= 0) {
                int64_t d = tm->expire_ms - now_ms;
                d = d < 0 ? 0 : d;
                if ((uint64_t)d < t) {
                    t = (uint32_t)d;
                }
            }
        }
        *timeout_ms = t == UINT32_MAX ? -1 : (int)t;
        used += n->fd_count;
    }
    if (rxq_count) {
        *timeout_ms = 0;          /* frames are already waiting */
    }
    return used;
}

void be_net_poll_dispatch(struct pollfd *fds, unsigned nfds)
{
    for (unsigned i = 0; i < CORE_MAX_NETDEV_OPTS; i++) {
        BeNet *n = open_nets[i];
        if (!n || !n->slirp) {
            continue;
        }
        if (n->fd_first + n->fd_count <= nfds) {
            n->fds = fds + n->fd_first;
            slirp_pollfds_poll(n->slirp, 0, cb_get_revents, n);
            for (unsigned k = 0; k < n->ngchr; k++) {
                GfwdChr *g = &n->gchr[k];
                if (g->poll_idx < 0 || !n->fds[g->poll_idx].revents) {
                    continue;
                }
                /* Host bytes for the guest: slirp makes TCP segments of
                   them, which reach the guest as NET_RX frames. */
                uint8_t buf[4096];
                ssize_t room = slirp_socket_can_recv(n->slirp, g->gaddr,
                                                     g->gport);
                size_t max = room > (ssize_t)sizeof(buf) ? sizeof(buf)
                             : room > 0 ? (size_t)room : 0;
                /* max 0: only accepts a waiting client */
                size_t got = be_chardev_read_nd(g->chr, buf, max);
                if (got) {
                    slirp_socket_recv(n->slirp, g->gaddr, g->gport, buf,
                                      (int)got);
                }
            }
        }
        n->fd_count = 0;
        int64_t now_ms = (int64_t)(be_host_monotonic_ns_nd() / 1000000);
        for (unsigned k = 0; k < MAX_TIMERS; k++) {
            Timer *tm = &n->timers[k];
            if (tm->used && tm->expire_ms >= 0 && tm->expire_ms <= now_ms) {
                tm->expire_ms = -1;
                tm->cb(tm->cb_opaque);
            }
        }
    }
}

bool be_net_take_nd(unsigned *nic, uint8_t *buf, size_t cap, size_t *len)
{
    while (rxq_count) {
        Frame f = rxq[rxq_head];
        rxq_head = (rxq_head + 1) % RXQ_FRAMES;
        rxq_count--;
        if (!f.bytes) {
            continue;             /* its NIC was closed */
        }
        bool fits = f.len <= cap;
        if (fits) {
            memcpy(buf, f.bytes, f.len);
            *nic = f.nic;
            *len = f.len;
        }
        free(f.bytes);
        if (fits) {
            return true;
        }
    }
    return false;
}
