/*
 * -chardev: QEMU's spelling of character back ends, and the registry of
 * the ones opened, by id.
 *
 *   -chardev stdio,id=ID[,mux=on]           the terminal (mux: Ctrl-A keys)
 *   -chardev null,id=ID
 *   -chardev file,id=ID,path=PATH[,append=on]  output only, truncated
 *                                           (append=on: appended)
 *   -chardev pipe,id=ID,path=PATH           PATH.in / PATH.out, else PATH
 *   -chardev pty,id=ID                      prints the slave's path
 *   -chardev socket,id=ID,path=PATH[,server=on|off][,wait=on|off]
 *   -chardev socket,id=ID,[host=H,]port=P[,server=on|off][,wait=on|off]
 *            (a client, either kind: [,reconnect=SECONDS];
 *             a TCP server: [,telnet=on], backends/telnet.h)
 *   -chardev ringbuf,id=ID[,size=N]         keeps the last N bytes written
 *
 * be_chardev_define only checks a spec and appends it to CoreConfig; the
 * host resource is created when a front end opens the id
 * (be_chardev_open_cfg, "-serial chardev:ID"), so a replay, which parses
 * the recorded command line again but gives the console to stdout, opens
 * no socket, pty or pipe. A TCP server binds 127.0.0.1 unless host= says
 * otherwise; with port=0 it takes any free port and prints it. A server
 * with wait=on (QEMU's default) blocks start-up until a client connects,
 * before the guest's first instruction, so no guest time passes.
 */
#define _GNU_SOURCE   /* accept4, posix_openpt */
#include "backends/chardev_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>
#include <arpa/inet.h>

typedef struct ChrSpec {
    ChrKind kind;
    const char *backend;
    char id[32];
    char path[256];
    char host[128];
    char port[16];
    bool has_path, has_port, has_host;
    bool server, wait, mux, append, telnet;
    bool has_wait;
    unsigned long size;
    unsigned long reconnect;   /* seconds; 0: a lost peer is not retried */
} ChrSpec;

static const struct {
    const char *name;
    ChrKind kind;
    const char *help;
} backends[] = {
    { "stdio", CHR_STDIO, "the terminal (mux=on: Ctrl-A keys, Ctrl-C to the guest)" },
    { "null", CHR_NULL, "output discarded, no input" },
    { "file", CHR_FILE, "path=PATH[,append=on|off]: output to PATH (truncated unless append=on), no input" },
    { "pipe", CHR_PIPE, "path=PATH: input from PATH.in, output to PATH.out (or PATH both ways)" },
    { "pty", CHR_PTY, "a pseudo-terminal; its path is printed" },
    { "socket", CHR_SOCKET, "path=PATH (unix) or [host=H,]port=P (tcp, 127.0.0.1 unless host=), server=on|off, wait=on|off, reconnect=SECONDS (client: connect again after the peer went away), telnet=on|off (TCP server: telnet negotiation, stripped from the input)" },
    { "ringbuf", CHR_RINGBUF, "size=N: keeps the last N bytes written (default 65536), no input" },
};

void be_chardev_print_help(void)
{
    printf("Available chardev backend types "
           "(-chardev TYPE,id=ID[,mux=on|off][,...]):\n");
    for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
        printf("  %-8s %s\n", backends[i].name, backends[i].help);
    }
    printf("A front end takes one with -serial chardev:ID or a device's "
           "chardev=ID. With mux=on several\n"
           "front ends share it (and it has the Ctrl-A keys): all write to it, the one with the focus "
           "gets the input\n"
           "(the last attached at start; Ctrl-A c moves it to the next).\n");
}

static bool on_off(const char *key, const char *v, bool *out, char *err,
                   size_t errlen)
{
    if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes")) {
        *out = true;
    } else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no")) {
        *out = false;
    } else {
        snprintf(err, errlen, "%s='%s': expected on or off", key, v);
        return false;
    }
    return true;
}

static bool copy_val(const char *key, const char *v, char *dst, size_t n,
                     bool *has, char *err, size_t errlen)
{
    if (!*v || strlen(v) >= n) {
        snprintf(err, errlen, "%s='%s': %s", key, v,
                 *v ? "too long" : "empty");
        return false;
    }
    strcpy(dst, v);
    if (has) {
        *has = true;
    }
    return true;
}

/* Which keys each backend takes besides id and mux. */
static bool key_allowed(ChrKind k, const char *key)
{
    switch (k) {
    case CHR_FILE:
        return !strcmp(key, "path") || !strcmp(key, "append");
    case CHR_PIPE:
        return !strcmp(key, "path");
    case CHR_SOCKET:
        return !strcmp(key, "path") || !strcmp(key, "host") ||
               !strcmp(key, "port") || !strcmp(key, "server") ||
               !strcmp(key, "wait") || !strcmp(key, "reconnect") ||
               !strcmp(key, "telnet");
    case CHR_RINGBUF:
        return !strcmp(key, "size");
    default:
        return false;
    }
}

static bool parse_spec(const char *spec, ChrSpec *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->wait = true;
    s->size = 65536;
    char buf[512];
    if (strlen(spec) >= sizeof(buf)) {
        snprintf(err, errlen, "too long");
        return false;
    }
    strcpy(buf, spec);
    char *save = NULL;
    char *tok = strtok_r(buf, ",", &save);
    if (!tok) {
        snprintf(err, errlen, "missing backend type (-chardev help lists them)");
        return false;
    }
    bool found = false;
    for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
        if (!strcmp(tok, backends[i].name)) {
            s->kind = backends[i].kind;
            s->backend = backends[i].name;
            found = true;
        }
    }
    if (!found) {
        snprintf(err, errlen, "unknown chardev backend '%s' "
                 "(-chardev help lists them)", tok);
        return false;
    }
    bool has_id = false;
    while ((tok = strtok_r(NULL, ",", &save))) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            snprintf(err, errlen, "'%s': expected KEY=VALUE", tok);
            return false;
        }
        *eq = '\0';
        const char *key = tok, *v = eq + 1;
        bool ok = true;
        if (!strcmp(key, "id")) {
            ok = copy_val(key, v, s->id, sizeof(s->id), &has_id, err, errlen);
        } else if (!strcmp(key, "mux")) {
            ok = on_off(key, v, &s->mux, err, errlen);
        } else if (!key_allowed(s->kind, key)) {
            snprintf(err, errlen, "chardev backend '%s' has no option '%s'",
                     s->backend, key);
            return false;
        } else if (!strcmp(key, "path")) {
            ok = copy_val(key, v, s->path, sizeof(s->path), &s->has_path,
                          err, errlen);
        } else if (!strcmp(key, "host")) {
            ok = copy_val(key, v, s->host, sizeof(s->host), &s->has_host,
                          err, errlen);
        } else if (!strcmp(key, "port")) {
            char *end;
            unsigned long p = strtoul(v, &end, 10);
            if (!*v || *end || p > 65535) {
                snprintf(err, errlen, "port='%s': expected 0..65535", v);
                return false;
            }
            ok = copy_val(key, v, s->port, sizeof(s->port), &s->has_port,
                          err, errlen);
        } else if (!strcmp(key, "telnet")) {
            ok = on_off(key, v, &s->telnet, err, errlen);
        } else if (!strcmp(key, "append")) {
            ok = on_off(key, v, &s->append, err, errlen);
        } else if (!strcmp(key, "server")) {
            ok = on_off(key, v, &s->server, err, errlen);
        } else if (!strcmp(key, "wait")) {
            ok = on_off(key, v, &s->wait, err, errlen);
            s->has_wait = true;
        } else if (!strcmp(key, "reconnect")) {
            char *end;
            s->reconnect = strtoul(v, &end, 10);
            if (!*v || *end || s->reconnect > 86400) {
                snprintf(err, errlen, "reconnect='%s': expected seconds "
                         "(0..86400; 0: never)", v);
                return false;
            }
        } else if (!strcmp(key, "size")) {
            char *end;
            s->size = strtoul(v, &end, 0);
            if (!*v || *end || s->size == 0 || s->size > (1ul << 30)) {
                snprintf(err, errlen, "size='%s': expected 1..1G bytes", v);
                return false;
            }
        }
        if (!ok) {
            return false;
        }
    }
    if (!has_id) {
        snprintf(err, errlen, "\"id\" is required (-chardev TYPE,id=ID,...)");
        return false;
    }
    if ((s->kind == CHR_FILE || s->kind == CHR_PIPE) && !s->has_path) {
        snprintf(err, errlen, "%s needs path=", s->backend);
        return false;
    }
    if (s->kind == CHR_SOCKET) {
        if (s->has_path == s->has_port) {
            snprintf(err, errlen, "socket needs either path= (unix) or "
                     "port= (tcp)");
            return false;
        }
        if (s->has_path && s->has_host) {
            snprintf(err, errlen, "host= is for tcp (port=), not a unix "
                     "path=");
            return false;
        }
        if (!s->server && s->has_wait) {
            snprintf(err, errlen, "wait= is for server=on");
            return false;
        }
        if (s->telnet && (!s->server || !s->has_port)) {
            snprintf(err, errlen, "telnet= is for a TCP server (port=, "
                     "server=on)");
            return false;
        }
        if (s->server && s->reconnect) {
            snprintf(err, errlen, "reconnect= is for a client socket "
                     "(server=off)");
            return false;
        }
    }
    return true;
}

bool be_chardev_define(CoreConfig *cfg, const char *spec, char *err,
                       size_t errlen)
{
    ChrSpec s;
    if (!parse_spec(spec, &s, err, errlen)) {
        return false;
    }
    for (unsigned i = 0; i < cfg->nchardevs; i++) {
        ChrSpec o;
        char e2[8];
        if (parse_spec(cfg->chardevs[i], &o, e2, sizeof(e2)) &&
            !strcmp(o.id, s.id)) {
            snprintf(err, errlen, "duplicate chardev id '%s'", s.id);
            return false;
        }
    }
    if (cfg->nchardevs >= CORE_MAX_CHARDEV_OPTS) {
        snprintf(err, errlen, "too many -chardev options (at most %d)",
                 CORE_MAX_CHARDEV_OPTS);
        return false;
    }
    cfg->chardevs[cfg->nchardevs++] = spec;
    return true;
}

/* ---- opened chardevs, by id ---- */

static BeChardev *opened[CORE_MAX_CHARDEV_OPTS];

BeChardev *be_chardev_find(const char *id)
{
    for (size_t i = 0; i < CORE_MAX_CHARDEV_OPTS; i++) {
        if (opened[i] && !strcmp(opened[i]->id, id)) {
            return opened[i];
        }
    }
    return NULL;
}

void be_chardev_forget(const BeChardev *c)
{
    for (size_t i = 0; i < CORE_MAX_CHARDEV_OPTS; i++) {
        if (opened[i] == c) {
            opened[i] = NULL;
        }
    }
}

void be_chardev_forget_all(void)
{
    memset(opened, 0, sizeof(opened));
}

/* ---- the host resources ---- */

static bool open_pipe(const ChrSpec *s, BeChardev *c, char *err, size_t errlen)
{
    char in[300], out[300];
    snprintf(in, sizeof(in), "%s.in", s->path);
    snprintf(out, sizeof(out), "%s.out", s->path);
    /* O_RDWR: opening a FIFO neither blocks for the other side nor reads
       end of file when a writer goes away (we hold a writer ourselves). */
    c->in_fd = open(in, O_RDWR | O_CLOEXEC);
    c->out_fd = open(out, O_RDWR | O_CLOEXEC);
    if (c->in_fd < 0 || c->out_fd < 0) {
        if (c->in_fd >= 0) {
            close(c->in_fd);
        }
        if (c->out_fd >= 0) {
            close(c->out_fd);
        }
        c->in_fd = c->out_fd = open(s->path, O_RDWR | O_CLOEXEC);
        if (c->in_fd < 0) {
            snprintf(err, errlen, "-chardev id=%s: pipe %s (nor %s and %s): %s",
                     s->id, s->path, in, out, strerror(errno));
            return false;
        }
    }
    return true;
}

static bool open_pty(const ChrSpec *s, BeChardev *c, char *err, size_t errlen)
{
    int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    const char *name = NULL;
    if (fd < 0 || grantpt(fd) || unlockpt(fd) || !(name = ptsname(fd))) {
        snprintf(err, errlen, "-chardev id=%s: cannot create a pty: %s", s->id,
                 strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return false;
    }
    /* Raw, as a serial line; the slave stays open here so that the master
       neither hangs up nor reads EIO while no one has it open. */
    int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave >= 0) {
        struct termios t;
        if (tcgetattr(slave, &t) == 0) {
            cfmakeraw(&t);
            tcsetattr(slave, TCSANOW, &t);
        }
    }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    fprintf(stderr, "char device redirected to %s (label %s)\n", name, s->id);
    c->in_fd = c->out_fd = fd;
    c->drop_if_full = true;
    c->pty_slave_fd = slave;
    return true;
}

/* A TCP socket's host: 127.0.0.1 unless host= says otherwise, so that a
   server's console is not open to the network by default. */
static const char *tcp_host(const ChrSpec *s)
{
    return s->has_host ? s->host : "127.0.0.1";
}

static int unix_socket(const ChrSpec *s, struct sockaddr_un *sa, char *err,
                       size_t errlen)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (strlen(s->path) >= sizeof(sa->sun_path)) {
        snprintf(err, errlen, "-chardev id=%s: socket path %s is too long",
                 s->id, s->path);
        return -1;
    }
    strcpy(sa->sun_path, s->path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "-chardev id=%s: socket: %s", s->id,
                 strerror(errno));
    }
    return fd;
}

/* A client with reconnect= (QEMU's): a peer that is not there yet, or
   goes away, is tried again every s->reconnect seconds, so start-up does
   not fail on it. The host decides when a connection comes and goes; the
   guest only ever sees the bytes (SERIAL_RX) and writes that reach
   nobody while disconnected. */
static bool open_reconnecting(const ChrSpec *s, BeChardev *c, char *err,
                              size_t errlen)
{
    if (s->has_path) {
        struct sockaddr_un sa;
        int fd = unix_socket(s, &sa, err, errlen);
        if (fd < 0) {
            return false;
        }
        close(fd);
        memcpy(&c->peer, &sa, sizeof(sa));
        c->peer_len = sizeof(sa);
        snprintf(c->peer_name, sizeof(c->peer_name), "unix:%s", s->path);
    } else {
        const char *host = tcp_host(s);
        struct addrinfo hints = { .ai_family = AF_UNSPEC,
                                  .ai_socktype = SOCK_STREAM };
        struct addrinfo *ai = NULL;
        int r = getaddrinfo(host, s->port, &hints, &ai);
        if (r) {
            snprintf(err, errlen, "-chardev id=%s: host '%s' port %s: %s",
                     s->id, host, s->port, gai_strerror(r));
            return false;
        }
        memcpy(&c->peer, ai->ai_addr, ai->ai_addrlen);
        c->peer_len = ai->ai_addrlen;
        freeaddrinfo(ai);
        snprintf(c->peer_name, sizeof(c->peer_name), "%s:%s", host, s->port);
    }
    c->reconnect_s = (unsigned)s->reconnect;
    c->retry_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (c->retry_fd < 0) {
        snprintf(err, errlen, "-chardev id=%s: timerfd: %s", s->id,
                 strerror(errno));
        return false;
    }
    snprintf(c->id, sizeof(c->id), "%s", s->id);   /* for the notices */
    if (!be_chardev_connect_peer(c)) {
        fprintf(stderr, "rewind: -chardev id=%s: cannot connect to %s: %s; "
                "trying again every %u s\n", s->id, c->peer_name,
                strerror(errno), c->reconnect_s);
        be_chardev_retry_later(c);
    }
    return true;
}

static bool open_socket(const ChrSpec *s, BeChardev *c, char *err,
                        size_t errlen)
{
    int fd = -1;
    char where[300];
    c->is_socket = true;
    if (!s->server && s->reconnect) {
        return open_reconnecting(s, c, err, errlen);
    }
    if (s->has_path) {
        struct sockaddr_un sa;
        snprintf(where, sizeof(where), "unix:%s", s->path);
        if ((fd = unix_socket(s, &sa, err, errlen)) < 0) {
            return false;
        }
        if (s->server) {
            unlink(s->path);   /* a stale socket of an earlier run */
            if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1)) {
                snprintf(err, errlen, "-chardev id=%s: cannot listen on %s: %s",
                         s->id, s->path, strerror(errno));
                close(fd);
                return false;
            }
            c->unlink_path = strdup(s->path);
        } else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
            snprintf(err, errlen, "-chardev id=%s: cannot connect to %s: %s",
                     s->id, s->path, strerror(errno));
            close(fd);
            return false;
        }
    } else {
        const char *host = tcp_host(s);
        struct addrinfo hints = { .ai_family = AF_UNSPEC,
                                  .ai_socktype = SOCK_STREAM,
                                  .ai_flags = s->server ? AI_PASSIVE : 0 };
        struct addrinfo *ai = NULL;
        int r = getaddrinfo(host, s->port, &hints, &ai);
        if (r) {
            snprintf(err, errlen, "-chardev id=%s: host '%s' port %s: %s",
                     s->id, host, s->port, gai_strerror(r));
            return false;
        }
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
        int one = 1;
        if (fd >= 0 && s->server) {
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        }
        bool ok = fd >= 0 &&
                  (s->server ? bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
                               listen(fd, 1) == 0
                             : connect(fd, ai->ai_addr, ai->ai_addrlen) == 0);
        int e = errno;
        freeaddrinfo(ai);
        if (!ok) {
            snprintf(err, errlen, "-chardev id=%s: cannot %s %s:%s: %s", s->id,
                     s->server ? "listen on" : "connect to", host, s->port,
                     strerror(e));
            if (fd >= 0) {
                close(fd);
            }
            return false;
        }
        if (fd >= 0 && !s->server) {
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        }
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        char h[64] = "?";
        unsigned port = 0;
        if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
            if (ss.ss_family == AF_INET) {
                struct sockaddr_in *in = (struct sockaddr_in *)&ss;
                inet_ntop(AF_INET, &in->sin_addr, h, sizeof(h));
                port = ntohs(in->sin_port);
            } else if (ss.ss_family == AF_INET6) {
                struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
                inet_ntop(AF_INET6, &in6->sin6_addr, h, sizeof(h));
                port = ntohs(in6->sin6_port);
            }
        }
        snprintf(where, sizeof(where), "%s:%u", h, port);
    }
    if (!s->server) {
        c->in_fd = c->out_fd = fd;
        return true;
    }
    c->listen_fd = fd;
    c->telnet = s->telnet;
    fprintf(stderr, "rewind: chardev '%s' listening on %s\n", s->id, where);
    if (s->wait) {
        fprintf(stderr, "rewind: chardev '%s': waiting for a connection on "
                "%s\n", s->id, where);
        int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
        if (cfd < 0) {
            snprintf(err, errlen, "-chardev id=%s: accept on %s: %s", s->id,
                     where, strerror(errno));
            return false;
        }
        be_chardev_take_client(c, cfd);
    }
    return true;
}

static BeChardev *open_spec(const ChrSpec *s, const char *spec, char *err,
                            size_t errlen)
{
    BeChardev c = { .kind = s->kind, .out_fd = -1, .in_fd = -1,
                    .listen_fd = -1, .pty_slave_fd = -1, .retry_fd = -1 };
    BeChardev *p = NULL;
    bool ok = true;
    switch (s->kind) {
    case CHR_STDIO:
        p = be_chardev_open(s->mux ? "mon:stdio" : "stdio", err, errlen);
        break;
    case CHR_NULL:
        break;
    case CHR_RINGBUF:
        c.ring_size = s->size;
        c.ring = calloc(1, s->size);
        ok = c.ring != NULL;
        if (!ok) {
            snprintf(err, errlen, "-chardev id=%s: out of memory", s->id);
        }
        break;
    case CHR_FILE:
        /* QEMU's default truncates; append=on keeps what is there. */
        c.out_fd = open(s->path, O_WRONLY | O_CREAT | O_CLOEXEC |
                        (s->append ? O_APPEND : O_TRUNC), 0666);
        if (c.out_fd < 0) {
            snprintf(err, errlen, "-chardev id=%s: %s: %s", s->id, s->path,
                     strerror(errno));
            ok = false;
        }
        break;
    case CHR_PIPE:
        ok = open_pipe(s, &c, err, errlen);
        break;
    case CHR_PTY:
        ok = open_pty(s, &c, err, errlen);
        break;
    case CHR_SOCKET:
        ok = open_socket(s, &c, err, errlen);
        break;
    }
    if (!ok) {
        free(c.ring);
        return NULL;
    }
    if (!p) {
        p = be_chardev_alloc(&c, spec, err, errlen);
    }
    if (p) {
        snprintf(p->id, sizeof(p->id), "%s", s->id);
        p->mux = s->mux;
    }
    return p;
}

BeChardev *be_chardev_open_cfg(const CoreConfig *cfg, const char *spec,
                               const char *who, char *err, size_t errlen)
{
    if (strncmp(spec, "chardev:", 8) != 0) {
        return be_chardev_open(spec, err, errlen);
    }
    const char *id = spec + 8;
    BeChardev *c = be_chardev_find(id);
    if (c) {
        if (!c->mux) {
            snprintf(err, errlen, "%s: chardev '%s' is already in use by "
                     "another front end (mux=on shares it)", who, id);
            return NULL;
        }
        /* The front end's own handle (its own tap and mute) on the
           shared back end; the mux learns of it when the run loop
           attaches the ports (backends/mux.h). */
        BeChardev *view = calloc(1, sizeof(*view));
        if (!view) {
            snprintf(err, errlen, "%s: out of memory", who);
            return NULL;
        }
        view->shared = c;
        view->kind = c->kind;
        view->out_fd = view->in_fd = view->listen_fd = -1;
        view->pty_slave_fd = view->retry_fd = -1;
        view->mux = true;
        snprintf(view->id, sizeof(view->id), "%s", c->id);
        c->users++;
        return view;
    }
    for (unsigned i = 0; i < cfg->nchardevs; i++) {
        ChrSpec s;
        if (!parse_spec(cfg->chardevs[i], &s, err, errlen)) {
            return NULL;   /* checked by be_chardev_define already */
        }
        if (strcmp(s.id, id) != 0) {
            continue;
        }
        bool unconnected = s.kind == CHR_SOCKET && s.server && !s.wait;
        if (cfg->chardev_replay) {
            /* Nothing of the host's: the inputs come from the trace. */
            s.kind = CHR_NULL;
        }
        c = open_spec(&s, cfg->chardevs[i], err, errlen);
        if (!c) {
            return NULL;
        }
        c->starts_unconnected = unconnected;
        for (size_t k = 0; k < CORE_MAX_CHARDEV_OPTS; k++) {
            if (!opened[k]) {
                opened[k] = c;
                break;
            }
        }
        return c;
    }
    snprintf(err, errlen, "%s: no -chardev with id '%s'", who, id);
    return NULL;
}

bool be_chardev_filters_escapes(const BeChardev *c)
{
    c = c->shared ? c->shared : c;
    /* The -serial stdio spellings always had the Ctrl-A keys; a -chardev
       has them with mux=on, as in QEMU. */
    return c->id[0] ? c->mux : c->kind == CHR_STDIO;
}

BeMux *be_chardev_mux(BeChardev *c)
{
    c = be_chardev_backend(c);
    return c && be_chardev_filters_escapes(c) ? &c->mux_state : NULL;
}
