/*
 * GDB stub (see gdbstub/gdbstub.h): sockets, the front-end callbacks and
 * the packet handlers. GDB manual appendix E: E.2 "Packets", E.3 "Stop
 * Reply Packets", E.4 "General Query Packets", E.12 "Packet
 * Acknowledgment"; G "Target Descriptions"; E.15 "Thread List Format".
 *
 * All-stop mode only. While the guest runs, gdb may only send 0x03; the
 * stub reads the socket between slices (poll_interrupt). When the
 * machine stops the stub answers the resume packet gdb is waiting for
 * with a stop reply, then serves packets until the next resume.
 *
 * Breakpoints and watchpoints gdb inserts are also kept here, so that a
 * client that disappears does not leave them behind in the core.
 */
#include "gdbstub/gdbstub.h"
#include "core/machine.h"
#include "core/run.h"
#include "gdbstub/rsp.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define GDB_MAX_BREAKPOINTS CORE_DEBUG_MAX_BREAKPOINTS
#define GDB_MAX_WATCHPOINTS CORE_DEBUG_MAX_WATCHPOINTS
#define EV_GONE (-1)   /* next_event: the client disconnected */
#define EV_QUIT (-2)   /* next_event: the user ended the run (signal...) */
#define GDB_MAX_REFUSED 4   /* refused clients waiting to hang up */

/* What gdb is waiting for while the machine runs. */
typedef enum GdbPending {
    GDB_PENDING_NONE,
    GDB_PENDING_STOP,    /* c/s/vCont/bc/bs: a stop reply */
    GDB_PENDING_RCMD,    /* monitor goto: the qRcmd's final OK */
} GdbPending;

typedef struct GdbBreakpoint {
    gva_t addr;
    unsigned type;       /* 0 = Z0 (software), 1 = Z1 (hardware) */
} GdbBreakpoint;

typedef struct GdbWatchpoint {
    gva_t addr;
    uint64_t len;
    CoreWatchKind kind;
} GdbWatchpoint;

struct GdbStub {
    CoreMachine *m;
    CoreFrontend fe;
    int listen_fd;
    char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char where[128];     /* listening address: HOST:PORT or unix:PATH */
    int fd;              /* the client, -1 if none */
    /* Clients refused while one is served (refuse_clients), until they
       hang up. */
    int refused[GDB_MAX_REFUSED];
    unsigned nrefused;

    RspParser parser;
    uint8_t inbuf[4096];
    size_t in_pos, in_len;
    uint8_t out[RSP_FRAMED_MAX(RSP_MAX_PACKET)];
    size_t out_len;      /* last packet sent, for a '-' */
    char reply[RSP_MAX_PACKET + 1];
    size_t reply_len;

    bool noack;
    bool gdb_swbreak, gdb_hwbreak;   /* gdb understands these stop reasons */
    unsigned g_hart;     /* Hg: registers and memory */
    int c_hart;          /* Hc: -1 = all */
    GdbPending pending;
    CoreStop last;
    bool have_stop;
    /* The hart whose last stop was a watchpoint hit, until it resumes. */
    int watch_hart;

    GdbBreakpoint bp[GDB_MAX_BREAKPOINTS];
    unsigned nbp;
    GdbWatchpoint wp[GDB_MAX_WATCHPOINTS];
    unsigned nwp;

    const GdbReplayOps *replay;
    void *replay_opaque;
    GdbMonitorFn monitor;         /* the shell's commands, or NULL */
    void *monitor_opaque;
};

static void *hart(GdbStub *s, unsigned h)
{
    return s->m->cpus[h < s->m->ncpus ? h : 0];
}

/* What the target lets the debugger do to a CPU (core/target.h). */
static const CoreCpuOps *ops(GdbStub *s)
{
    return s->m->cpu_ops;
}

/* ---- output ---- */

static void drop_client(GdbStub *s);

static void send_raw(GdbStub *s, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len && s->fd >= 0) {
        ssize_t n = send(s->fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            drop_client(s);
            return;
        }
        p += n;
        len -= (size_t)n;
    }
}

static void send_packet(GdbStub *s, const void *data, size_t len,
                        unsigned flags)
{
    size_t n = rsp_frame(s->out, sizeof(s->out), data, len,
                         flags | RSP_FRAME_RLE);
    if (n == 0) {
        /* Only a handler bug gets here; an error beats silence. */
        n = rsp_frame(s->out, sizeof(s->out), "E01", 3, 0);
    }
    s->out_len = n;
    send_raw(s, s->out, n);
}

/* The reply under construction, sent by finish_reply. */
static void reply_reset(GdbStub *s)
{
    s->reply_len = 0;
    s->reply[0] = 0;
}

static void reply_append(GdbStub *s, const void *data, size_t len)
{
    if (len > RSP_MAX_PACKET - s->reply_len) {
        len = RSP_MAX_PACKET - s->reply_len;
    }
    memcpy(s->reply + s->reply_len, data, len);
    s->reply_len += len;
    s->reply[s->reply_len] = 0;
}

static void reply_printf(GdbStub *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void reply_printf(GdbStub *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = sizeof(s->reply) - s->reply_len;
    int n = vsnprintf(s->reply + s->reply_len, room, fmt, ap);
    va_end(ap);
    if (n > 0) {
        s->reply_len += (size_t)n < room ? (size_t)n : room - 1;
    }
}

static void reply_hex_le(GdbStub *s, uint64_t v, unsigned bytes)
{
    char buf[17];
    uint8_t b[8];
    for (unsigned i = 0; i < bytes; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
    rsp_hex_encode(buf, b, bytes);
    reply_append(s, buf, 2 * bytes);
}

static void send_reply(GdbStub *s)
{
    send_packet(s, s->reply, s->reply_len, 0);
}

static void send_str(GdbStub *s, const char *str)
{
    send_packet(s, str, strlen(str), 0);
}

/* Console output for gdb (an 'O' packet per chunk). */
static void send_console(GdbStub *s, const char *text)
{
    size_t len = strlen(text);
    const size_t chunk = (RSP_MAX_PACKET - 1) / 2;
    char buf[RSP_MAX_PACKET + 1];
    for (size_t off = 0; off < len; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        buf[0] = 'O';
        rsp_hex_encode(buf + 1, text + off, n);
        send_packet(s, buf, 1 + 2 * n, 0);
    }
}

static void console_printf(GdbStub *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void console_printf(GdbStub *s, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    send_console(s, buf);
}

/* ---- input ---- */

static void refuse_clients(GdbStub *s);

/* The next protocol event; RSP_EV_NONE if !block and nothing is there,
   EV_GONE if the client went away, EV_QUIT if the user ended the run
   while we waited (block only). */
static int next_event(GdbStub *s, bool block)
{
    for (;;) {
        while (s->in_pos < s->in_len) {
            RspEvent ev = rsp_parser_feed(&s->parser, s->inbuf[s->in_pos++]);
            if (ev != RSP_EV_NONE) {
                return ev;
            }
        }
        if (s->fd < 0) {
            return EV_GONE;
        }
        struct pollfd p[2 + GDB_MAX_REFUSED] = {
            { .fd = s->fd, .events = POLLIN },
            { .fd = s->listen_fd, .events = POLLIN } };
        unsigned np = 2;
        for (unsigned i = 0; i < s->nrefused; i++) {
            p[np++] = (struct pollfd){ .fd = s->refused[i], .events = POLLIN };
        }
        if (block) {
            if (!core_run_wait_nd(s->m, p, np, false, "while stopped for gdb")) {
                return EV_QUIT;
            }
            if (!p[0].revents) {
                refuse_clients(s);   /* the listener or a refused client */
                continue;
            }
        } else {
            int r = poll(p, 1, 0);
            if (r < 0 && errno == EINTR) {
                continue;
            }
            if (r <= 0) {
                return RSP_EV_NONE;
            }
        }
        ssize_t n = recv(s->fd, s->inbuf, sizeof(s->inbuf), 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n <= 0) {
            drop_client(s);
            return EV_GONE;
        }
        s->in_pos = 0;
        s->in_len = (size_t)n;
    }
}

/* ---- breakpoints and watchpoints ---- */

static bool bp_insert(GdbStub *s, gva_t addr, unsigned type)
{
    bool present = false;
    for (unsigned i = 0; i < s->nbp; i++) {
        present |= s->bp[i].addr == addr;
    }
    if (s->nbp == GDB_MAX_BREAKPOINTS ||
        (!present && !core_debug_breakpoint(s->m, addr, true))) {
        return false;
    }
    s->bp[s->nbp++] = (GdbBreakpoint){ addr, type };
    return true;
}

static bool bp_remove(GdbStub *s, gva_t addr, unsigned type)
{
    for (unsigned i = 0; i < s->nbp; i++) {
        if (s->bp[i].addr == addr && s->bp[i].type == type) {
            s->bp[i] = s->bp[--s->nbp];
            for (unsigned j = 0; j < s->nbp; j++) {
                if (s->bp[j].addr == addr) {
                    return true;   /* still wanted by the other type */
                }
            }
            core_debug_breakpoint(s->m, addr, false);
            return true;
        }
    }
    return false;
}

static bool wp_insert(GdbStub *s, gva_t addr, uint64_t len, CoreWatchKind k)
{
    if (s->nwp == GDB_MAX_WATCHPOINTS ||
        !core_debug_watchpoint(s->m, addr, len, k, true)) {
        return false;
    }
    s->wp[s->nwp++] = (GdbWatchpoint){ addr, len, k };
    return true;
}

static bool wp_remove(GdbStub *s, gva_t addr, uint64_t len, CoreWatchKind k)
{
    for (unsigned i = 0; i < s->nwp; i++) {
        GdbWatchpoint *w = &s->wp[i];
        if (w->addr == addr && w->len == len && w->kind == k) {
            core_debug_watchpoint(s->m, addr, len, k, false);
            s->wp[i] = s->wp[--s->nwp];
            return true;
        }
    }
    return false;
}

static void remove_all_points(GdbStub *s)
{
    while (s->nbp) {
        bp_remove(s, s->bp[0].addr, s->bp[0].type);
    }
    while (s->nwp) {
        wp_remove(s, s->wp[0].addr, s->wp[0].len, s->wp[0].kind);
    }
}

/* ---- connection ---- */

static void reset_session(GdbStub *s)
{
    rsp_parser_init(&s->parser);
    s->in_pos = s->in_len = 0;
    s->out_len = 0;
    s->noack = false;
    s->gdb_swbreak = s->gdb_hwbreak = false;
    s->g_hart = 0;
    s->c_hart = -1;
    s->pending = GDB_PENDING_NONE;
    s->watch_hart = -1;
}

static void drop_client(GdbStub *s)
{
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    /* The guest runs on freely: nothing may stop it for a gone client. */
    remove_all_points(s);
    reset_session(s);
}

/* Take the next client from the listener. Blocking (-S) also ends when
   the user ends the run (Ctrl-C, Ctrl-A x, SIGTERM: m->exit_kind says). */
static bool accept_client(GdbStub *s, bool block)
{
    if (s->listen_fd < 0) {
        return false;
    }
    /* Without a client waiting, accept() would block the running guest. */
    struct pollfd p = { .fd = s->listen_fd, .events = POLLIN };
    if (block) {
        char waiting[sizeof(s->where) + 32];
        snprintf(waiting, sizeof(waiting), "while waiting for gdb on %s",
                 s->where);
        if (!core_run_wait_nd(s->m, &p, 1, true, waiting)) {
            return false;
        }
    } else {
        int ready;
        while ((ready = poll(&p, 1, 0)) < 0 && errno == EINTR) {
        }
        if (ready <= 0) {
            return false;
        }
    }
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0) {
        return false;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    reset_session(s);
    s->fd = fd;
    return true;
}

/* Clients that connect while one is served would never be served: the
   stub is all-stop with one session. Each is answered at once with an
   ack and an error reply to the first packet it sends (gdb prints
   "Remote failure reply: E.rewind: ..." and then "Remote connection
   closed"), and our side of it is shut. It is closed once it hangs up:
   closing it with its packets unread would reset the connection, and gdb
   would show "Connection reset by peer" instead of the reason. The
   session in progress is not disturbed. */
static void refuse_clients(GdbStub *s)
{
    for (unsigned i = 0; i < s->nrefused;) {
        char junk[512];
        ssize_t n = recv(s->refused[i], junk, sizeof(junk), MSG_DONTWAIT);
        if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
                                errno == EINTR))) {
            i += n < 0;   /* drained for now; more may come */
            continue;
        }
        close(s->refused[i]);
        s->refused[i] = s->refused[--s->nrefused];
    }
    static const char msg[] = "E.rewind: another gdb is already connected "
                              "to this stub (one client at a time)";
    uint8_t out[RSP_FRAMED_MAX(sizeof(msg))];
    out[0] = '+';
    size_t len = 1 + rsp_frame(out + 1, sizeof(out) - 1, msg, sizeof(msg) - 1,
                               0);
    struct pollfd p = { .fd = s->listen_fd, .events = POLLIN };
    while (s->listen_fd >= 0 && poll(&p, 1, 0) > 0) {
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0) {
            return;
        }
        ssize_t sent = send(fd, out, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)sent;   /* best effort: it sees the end of stream anyway */
        shutdown(fd, SHUT_WR);
        if (s->nrefused == GDB_MAX_REFUSED) {
            close(s->refused[0]);   /* the oldest one: it had its answer */
            s->refused[0] = s->refused[--s->nrefused];
        }
        s->refused[s->nrefused++] = fd;
        fprintf(stderr, "rewind: refused a second gdb connection on %s: "
                "a gdb is already connected\n", s->where);
    }
}

static void build_threads_xml(GdbStub *s, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "<?xml version=\"1.0\"?>\n<threads>\n");
    for (unsigned h = 0; h < s->m->ncpus && n < cap; h++) {
        n += (size_t)snprintf(buf + n, cap - n,
                              "  <thread id=\"%x\" core=\"%u\" name=\"%s%u\"/>\n",
                              h + 1, h, ops(s)->cpu_noun, h);
    }
    if (n < cap) {
        snprintf(buf + n, cap - n, "</threads>\n");
    }
}

/* qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH (E.4). */
static void handle_qxfer(GdbStub *s, const char *args)
{
    static char doc[64 * 1024];
    const char *obj_end = strchr(args, ':');
    if (!obj_end || strncmp(obj_end, ":read:", 6) != 0) {
        send_str(s, "");
        return;
    }
    size_t objlen = (size_t)(obj_end - args);
    const char *annex = obj_end + 6;
    const char *annex_end = strchr(annex, ':');
    if (!annex_end) {
        send_str(s, "E00");
        return;
    }
    char name[64];
    size_t alen = (size_t)(annex_end - annex);
    if (alen >= sizeof(name)) {
        send_str(s, "E00");
        return;
    }
    memcpy(name, annex, alen);
    name[alen] = 0;
    const char *p = annex_end + 1;
    uint64_t off, len;
    if (!rsp_parse_hex(&p, &off) || *p++ != ',' || !rsp_parse_hex(&p, &len)) {
        send_str(s, "E00");
        return;
    }
    if (objlen == 8 && strncmp(args, "features", 8) == 0) {
        if (!ops(s)->gdb_xml(hart(s, 0), name, doc, sizeof(doc))) {
            send_str(s, "E00");
            return;
        }
    } else if (objlen == 7 && strncmp(args, "threads", 7) == 0) {
        build_threads_xml(s, doc, sizeof(doc));
    } else {
        send_str(s, "");
        return;
    }
    size_t total = strlen(doc);
    if (off > total) {
        send_str(s, "E00");
        return;
    }
    /* Leave room for the marker; escaping may double the size on the wire
       but the limit is on the data. */
    if (len > RSP_MAX_PACKET - 1) {
        len = RSP_MAX_PACKET - 1;
    }
    size_t n = total - off < len ? total - off : len;
    reply_reset(s);
    reply_append(s, off + n < total ? "m" : "l", 1);
    reply_append(s, doc + off, n);
    send_packet(s, s->reply, s->reply_len, RSP_FRAME_BINARY);
}

/* ---- stop replies ---- */

static void send_stop_reply(GdbStub *s, const CoreStop *why)
{
    unsigned tid = why->hart + 1;
    reply_reset(s);
    switch (why->reason) {
    case CORE_STOP_EXITED:
        reply_printf(s, "W%02x", why->exit_code & 0xff);
        send_reply(s);
        return;
    case CORE_STOP_INTERRUPT:
        reply_printf(s, "T02");
        break;
    case CORE_STOP_BREAKPOINT: {
        bool hw = false, sw = false;
        gva_t pc = ops(s)->pc(hart(s, why->hart));
        for (unsigned i = 0; i < s->nbp; i++) {
            if (s->bp[i].addr == pc) {
                hw |= s->bp[i].type == 1;
                sw |= s->bp[i].type == 0;
            }
        }
        reply_printf(s, "T05");
        if (hw && !sw && s->gdb_hwbreak) {
            reply_printf(s, "hwbreak:;");
        } else if (s->gdb_swbreak) {
            reply_printf(s, "swbreak:;");
        }
        break;
    }
    case CORE_STOP_WATCHPOINT: {
        const char *kind = why->watch_kind == CORE_WATCH_READ ? "rwatch"
                         : why->watch_kind == CORE_WATCH_ACCESS ? "awatch"
                         : "watch";
        reply_printf(s, "T05%s:%" PRIx64 ";", kind, why->watch_addr);
        break;
    }
    case CORE_STOP_REPLAY_BEGIN:
        reply_printf(s, "T05replaylog:begin;");
        break;
    case CORE_STOP_REPLAY_END:
        reply_printf(s, "T05replaylog:end;");
        break;
    default:
        reply_printf(s, "T05");
        break;
    }
    reply_printf(s, "thread:%x;", tid);
    send_reply(s);
}

/* ---- packet handlers ---- */

/* Parse "tid" of H/T/vCont: -1 = all, 0 = any, else hart + 1. */
static bool parse_tid(const char **p, int *tid)
{
    if ((*p)[0] == '-' && (*p)[1] == '1') {
        *p += 2;
        *tid = -1;
        return true;
    }
    uint64_t v;
    if (!rsp_parse_hex(p, &v) || v > 0x7fffffff) {
        return false;
    }
    *tid = (int)v;
    return true;
}

static bool tid_valid(GdbStub *s, int tid)
{
    return tid >= 1 && (unsigned)tid <= s->m->ncpus;
}

static void handle_g(GdbStub *s)
{
    void *cpu = hart(s, s->g_hart);
    reply_reset(s);
    for (unsigned r = 0; r < ops(s)->gdb_g_regs; r++) {
        uint64_t v;
        unsigned size;
        ops(s)->gdb_reg_read(cpu, r, &v, &size);
        reply_hex_le(s, v, size);
    }
    send_reply(s);
}

/* G carries the whole 'g' register file (the target's g registers, each
   of its size, little-endian): a shorter or longer one, or one with a
   non-hex digit, changes nothing. */
static void handle_G(GdbStub *s, const char *hex)
{
    void *cpu = hart(s, s->g_hart);
    const CoreCpuOps *o = ops(s);
    uint8_t b[RSP_MAX_PACKET / 2];
    size_t size = 0;
    for (unsigned r = 0; r < o->gdb_g_regs; r++) {
        uint64_t v;
        unsigned n;
        o->gdb_reg_read(cpu, r, &v, &n);
        size += n;
    }
    if (size > sizeof(b) || strlen(hex) != 2 * size ||
        rsp_hex_decode(b, size, hex, 2 * size) != (long)size) {
        send_str(s, "E01");
        return;
    }
    const uint8_t *p = b;
    for (unsigned r = 0; r < o->gdb_g_regs; r++) {
        uint64_t old, v = 0;
        unsigned n;
        o->gdb_reg_read(cpu, r, &old, &n);   /* its size */
        for (unsigned i = n; i-- > 0;) {
            v = v << 8 | p[i];
        }
        p += n;
        o->gdb_reg_write(cpu, r, v);
    }
    send_str(s, "OK");
}

static void handle_p(GdbStub *s, const char *args)
{
    uint64_t n, v;
    unsigned size;
    if (!rsp_parse_hex(&args, &n) || *args || n > UINT_MAX ||
        !ops(s)->gdb_reg_read(hart(s, s->g_hart), (unsigned)n, &v, &size)) {
        send_str(s, "E01");
        return;
    }
    reply_reset(s);
    reply_hex_le(s, v, size);
    send_reply(s);
}

static void handle_P(GdbStub *s, const char *args)
{
    uint64_t n;
    if (!rsp_parse_hex(&args, &n) || *args++ != '=' || n > UINT_MAX) {
        send_str(s, "E01");
        return;
    }
    uint8_t b[8] = { 0 };
    size_t hexlen = strlen(args);
    if (hexlen > 16 || rsp_hex_decode(b, 8, args, hexlen) < 0) {
        send_str(s, "E01");
        return;
    }
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = v << 8 | b[i];
    }
    send_str(s, ops(s)->gdb_reg_write(hart(s, s->g_hart), (unsigned)n, v)
                    ? "OK" : "E01");
}

/* Access guest memory as the general thread sees it; returns the bytes
   done before a fault. */
static size_t mem_access(GdbStub *s, gva_t addr, uint8_t *buf, size_t len,
                         bool write)
{
    return ops(s)->mem_access(hart(s, s->g_hart), addr, buf, len, write);
}

/* "addr,len" of m/M/X. */
static bool parse_addr_len(const char **p, uint64_t *addr, uint64_t *len)
{
    return rsp_parse_hex(p, addr) && *(*p)++ == ',' && rsp_parse_hex(p, len);
}

static void handle_m(GdbStub *s, const char *args)
{
    static uint8_t buf[RSP_MAX_PACKET / 2];
    uint64_t addr, len;
    if (!parse_addr_len(&args, &addr, &len) || *args) {
        send_str(s, "E01");
        return;
    }
    if (len > sizeof(buf)) {
        len = sizeof(buf);
    }
    size_t n = mem_access(s, addr, buf, len, false);
    if (n == 0 && len) {
        send_str(s, "E14");   /* EFAULT */
        return;
    }
    reply_reset(s);
    rsp_hex_encode(s->reply, buf, n);
    s->reply_len = 2 * n;
    send_reply(s);
}

static void handle_M(GdbStub *s, const char *args)
{
    static uint8_t buf[RSP_MAX_PACKET / 2];
    uint64_t addr, len;
    if (!parse_addr_len(&args, &addr, &len) || *args++ != ':' ||
        len > sizeof(buf) || rsp_hex_decode(buf, len, args, strlen(args)) !=
        (long)len) {
        send_str(s, "E01");
        return;
    }
    send_str(s, mem_access(s, addr, buf, len, true) == len ? "OK" : "E14");
}

/* X addr,len:binary — data still escaped in the packet. */
static void handle_X(GdbStub *s, uint8_t *pkt, size_t pktlen)
{
    const char *args = (const char *)pkt + 1;
    uint64_t addr, len;
    if (!parse_addr_len(&args, &addr, &len) || *args++ != ':') {
        send_str(s, "E01");
        return;
    }
    uint8_t *data = (uint8_t *)args;
    long n = rsp_unescape(data, pktlen - (size_t)(data - pkt));
    if (n < 0 || (uint64_t)n != len) {
        send_str(s, "E01");
        return;
    }
    send_str(s, mem_access(s, addr, data, len, true) == len ? "OK" : "E14");
}

static void handle_z(GdbStub *s, const char *pkt)
{
    bool insert = pkt[0] == 'Z';
    const char *p = pkt + 1;
    uint64_t type, addr, kind;
    if (!rsp_parse_hex(&p, &type) || *p++ != ',' ||
        !rsp_parse_hex(&p, &addr) || *p++ != ',' || !rsp_parse_hex(&p, &kind)) {
        send_str(s, "E01");
        return;
    }
    bool ok;
    switch (type) {
    case 0:
    case 1:
        ok = insert ? bp_insert(s, addr, (unsigned)type)
                    : bp_remove(s, addr, (unsigned)type);
        break;
    case 2:
    case 3:
    case 4: {
        CoreWatchKind k = type == 2 ? CORE_WATCH_WRITE
                        : type == 3 ? CORE_WATCH_READ : CORE_WATCH_ACCESS;
        if (kind == 0) {
            send_str(s, "E01");
            return;
        }
        ok = insert ? wp_insert(s, addr, kind, k) : wp_remove(s, addr, kind, k);
        break;
    }
    default:
        send_str(s, "");
        return;
    }
    /* Removing what is not there is not an error worth failing gdb on. */
    send_str(s, ok || !insert ? "OK" : "E0e");
}

static void handle_qsupported(GdbStub *s, const char *features)
{
    s->gdb_swbreak = strstr(features, "swbreak+") != NULL;
    s->gdb_hwbreak = strstr(features, "hwbreak+") != NULL;
    reply_reset(s);
    reply_printf(s, "PacketSize=%x;qXfer:features:read+;qXfer:threads:read+;"
                 "ReverseStep+;ReverseContinue+;vContSupported+;"
                 "QStartNoAckMode+;swbreak+;hwbreak+", RSP_MAX_PACKET);
    send_reply(s);
}

static bool replaying(GdbStub *s)
{
    return s->replay && s->replay->replaying &&
           s->replay->replaying(s->replay_opaque);
}

static void print_to_gdb(void *ctx, const char *text)
{
    send_console(ctx, text);
}

/* monitor (qRcmd): true if it resumes the machine (*cmd set). */
static bool handle_monitor(GdbStub *s, const char *line, CoreRunCmd *cmd)
{
    while (*line == ' ') {
        line++;
    }
    char verb[32];
    size_t n = strcspn(line, " ");
    if (n >= sizeof(verb)) {
        n = sizeof(verb) - 1;
    }
    memcpy(verb, line, n);
    verb[n] = 0;
    const char *arg = line + strcspn(line, " ");
    while (*arg == ' ') {
        arg++;
    }
    uint64_t to;
    if (strcmp(verb, "help") == 0 && *arg && s->monitor) {
        s->monitor(s->monitor_opaque, line, print_to_gdb, s, &to);  /* help CMD */
    } else if (strcmp(verb, "help") == 0 || verb[0] == 0) {
        send_console(s,
            "rewind monitor commands:\n"
            "  help               this list\n"
            "  icount             global count of retired instructions\n"
            "  goto ICOUNT        move the machine to that instruction count\n"
            "                     (backwards only while replaying a trace)\n"
            "  checkpoints        list the replay's checkpoints\n"
            "  quit               end the emulator\n");
        if (s->monitor) {
            s->monitor(s->monitor_opaque, "help", print_to_gdb, s, &to);
        }
    } else if (strcmp(verb, "icount") == 0) {
        console_printf(s, "icount %" PRIu64 "\n", s->m->icount);
    } else if (strcmp(verb, "goto") == 0) {
        char *end;
        errno = 0;
        unsigned long long target = strtoull(arg, &end, 0);
        if (*arg && (*end || errno) && s->monitor) {
            /* goto time/console/event/NAME: the front end finds where */
            if (!s->monitor(s->monitor_opaque, line, print_to_gdb, s, &to)) {
                send_str(s, "OK");
                return false;
            }
            target = to;
        } else if (!*arg || *end || errno) {
            console_printf(s, "usage: monitor goto ICOUNT\n");
            send_str(s, "OK");
            return false;
        }
        *cmd = (CoreRunCmd){ .kind = CORE_CMD_GOTO, .hart = s->g_hart,
                             .icount = target };
        s->pending = GDB_PENDING_RCMD;
        return true;
    } else if (strcmp(verb, "checkpoints") == 0) {
        if (replaying(s) && s->replay->list_checkpoints) {
            s->replay->list_checkpoints(s->replay_opaque, print_to_gdb, s);
        } else {
            send_console(s, "no trace loaded\n");
        }
    } else if (strcmp(verb, "quit") == 0) {
        send_str(s, "OK");
        *cmd = (CoreRunCmd){ .kind = CORE_CMD_QUIT };
        return true;
    } else if (s->monitor) {
        if (s->monitor(s->monitor_opaque, line, print_to_gdb, s, &to)) {
            *cmd = (CoreRunCmd){ .kind = CORE_CMD_GOTO, .hart = s->g_hart,
                                 .icount = to };
            s->pending = GDB_PENDING_RCMD;
            return true;
        }
    } else {
        console_printf(s, "unknown monitor command '%s' (try 'monitor help')\n",
                       verb);
    }
    send_str(s, "OK");
    return false;
}

static bool handle_qrcmd(GdbStub *s, const char *hex, CoreRunCmd *cmd)
{
    char line[512];
    size_t len = strlen(hex);
    long n = len / 2 < sizeof(line) ? rsp_hex_decode(line, sizeof(line) - 1,
                                                     hex, len) : -1;
    if (n < 0) {
        send_str(s, "E01");
        return false;
    }
    line[n] = 0;
    return handle_monitor(s, line, cmd);
}

static void handle_query(GdbStub *s, const char *pkt)
{
    if (strncmp(pkt, "qSupported", 10) == 0) {
        handle_qsupported(s, pkt + 10);
    } else if (strncmp(pkt, "qXfer:", 6) == 0) {
        handle_qxfer(s, pkt + 6);
    } else if (strcmp(pkt, "qC") == 0) {
        reply_reset(s);
        reply_printf(s, "QC%x", s->g_hart + 1);
        send_reply(s);
    } else if (strcmp(pkt, "qfThreadInfo") == 0) {
        reply_reset(s);
        reply_printf(s, "m");
        for (unsigned h = 0; h < s->m->ncpus; h++) {
            reply_printf(s, h ? ",%x" : "%x", h + 1);
        }
        send_reply(s);
    } else if (strcmp(pkt, "qsThreadInfo") == 0) {
        send_str(s, "l");
    } else if (strncmp(pkt, "qThreadExtraInfo,", 17) == 0) {
        const char *p = pkt + 17;
        int tid;
        if (!parse_tid(&p, &tid) || !tid_valid(s, tid)) {
            send_str(s, "E01");
            return;
        }
        char state[48], text[64], hex[130];
        ops(s)->describe(hart(s, (unsigned)tid - 1), state, sizeof(state));
        snprintf(text, sizeof(text), "%s %d, %s", ops(s)->cpu_noun, tid - 1,
                 state);
        rsp_hex_encode(hex, text, strlen(text));
        send_str(s, hex);
    } else if (strcmp(pkt, "qAttached") == 0 ||
               strncmp(pkt, "qAttached:", 10) == 0) {
        send_str(s, "1");
    } else if (strncmp(pkt, "qSymbol", 7) == 0) {
        send_str(s, "OK");
    } else {
        send_str(s, "");
    }
}

/* The hart a plain c/s applies to. */
static unsigned resume_hart(GdbStub *s)
{
    return s->c_hart > 0 ? (unsigned)s->c_hart - 1 : s->g_hart;
}

/* c/s/C/S [sig;][addr]: resuming at addr sets the pc first. */
static void resume_at(GdbStub *s, const char *args, bool has_sig)
{
    if (has_sig) {
        args += strspn(args, "0123456789abcdefABCDEF");
        if (*args == ';') {
            args++;
        }
    }
    uint64_t addr;
    if (rsp_parse_hex(&args, &addr)) {
        ops(s)->set_pc(hart(s, resume_hart(s)), addr);
    }
}

/* vCont;action[:tid]... — true if it resumes. */
static bool handle_vcont(GdbStub *s, const char *p, CoreRunCmd *cmd)
{
    bool any = false, step = false;
    unsigned step_hart = s->g_hart;
    while (*p == ';') {
        p++;
        char a = *p++;
        if (a == 'C' || a == 'S') {
            p += strspn(p, "0123456789abcdefABCDEF");
        } else if (a != 'c' && a != 's') {
            send_str(s, "");   /* unsupported action (r, t) */
            return false;
        }
        int tid = -1;
        if (*p == ':') {
            p++;
            if (!parse_tid(&p, &tid)) {
                send_str(s, "E01");
                return false;
            }
        }
        any = true;
        if ((a == 's' || a == 'S') && !step) {
            step = true;
            if (tid_valid(s, tid)) {
                step_hart = (unsigned)tid - 1;
            } else if (s->c_hart > 0) {
                step_hart = (unsigned)s->c_hart - 1;
            }
        }
    }
    if (!any || *p) {
        send_str(s, "E01");
        return false;
    }
    *cmd = step ? (CoreRunCmd){ .kind = CORE_CMD_STEP, .hart = step_hart }
                : (CoreRunCmd){ .kind = CORE_CMD_CONTINUE };
    return true;
}

/* Reverse step/continue: the core refuses them (cmd_failed) unless it
   replays a trace. */
static void handle_reverse(GdbStub *s, bool step, CoreRunCmd *cmd)
{
    *cmd = step ? (CoreRunCmd){ .kind = CORE_CMD_REVERSE_STEP,
                                .hart = resume_hart(s) }
                : (CoreRunCmd){ .kind = CORE_CMD_REVERSE_CONTINUE };
}

/* Handle one packet; true if the machine should resume with *cmd. */
static bool handle_packet(GdbStub *s, uint8_t *pkt, size_t len,
                          CoreRunCmd *cmd)
{
    const char *p = (const char *)pkt;
    switch (p[0]) {
    case '?':
        if (s->have_stop && s->last.reason != CORE_STOP_EXITED) {
            CoreStop st = s->last;
            if (st.reason == CORE_STOP_INTERRUPT) {
                st.reason = CORE_STOP_ATTACH;   /* gdb connected: no signal */
            }
            send_stop_reply(s, &st);
        } else {
            send_str(s, "T05thread:1;");
        }
        return false;
    case 'g': handle_g(s); return false;
    case 'G': handle_G(s, p + 1); return false;
    case 'p': handle_p(s, p + 1); return false;
    case 'P': handle_P(s, p + 1); return false;
    case 'm': handle_m(s, p + 1); return false;
    case 'M': handle_M(s, p + 1); return false;
    case 'X': handle_X(s, pkt, len); return false;
    case 'Z':
    case 'z': handle_z(s, p); return false;
    case 'c':
    case 'C':
        resume_at(s, p + 1, p[0] == 'C');
        *cmd = (CoreRunCmd){ .kind = CORE_CMD_CONTINUE };
        s->pending = GDB_PENDING_STOP;
        return true;
    case 's':
    case 'S':
        resume_at(s, p + 1, p[0] == 'S');
        *cmd = (CoreRunCmd){ .kind = CORE_CMD_STEP, .hart = resume_hart(s) };
        s->pending = GDB_PENDING_STOP;
        return true;
    case 'b':
        if ((p[1] == 'c' || p[1] == 's') && p[2] == 0) {
            handle_reverse(s, p[1] == 's', cmd);
            s->pending = GDB_PENDING_STOP;
            return true;
        }
        send_str(s, "");
        return false;
    case 'H': {
        const char *q = p + 2;
        int tid;
        if ((p[1] != 'g' && p[1] != 'c') || !parse_tid(&q, &tid) || *q ||
            (tid > 0 && !tid_valid(s, tid))) {
            send_str(s, "E22");
            return false;
        }
        if (p[1] == 'g') {
            if (tid > 0) {
                s->g_hart = (unsigned)tid - 1;
            }
        } else {
            s->c_hart = tid > 0 ? tid : -1;
        }
        send_str(s, "OK");
        return false;
    }
    case 'T': {
        const char *q = p + 1;
        int tid;
        send_str(s, parse_tid(&q, &tid) && !*q && tid_valid(s, tid) ? "OK"
                                                                   : "E01");
        return false;
    }
    case 'k':
        *cmd = (CoreRunCmd){ .kind = CORE_CMD_QUIT };
        return true;
    case 'D':
        send_str(s, "OK");
        *cmd = (CoreRunCmd){ .kind = CORE_CMD_DETACH };
        return true;
    case 'q':
        if (strncmp(p, "qRcmd,", 6) == 0) {
            return handle_qrcmd(s, p + 6, cmd);
        }
        handle_query(s, p);
        return false;
    case 'Q':
        if (strcmp(p, "QStartNoAckMode") == 0) {
            send_str(s, "OK");
            s->noack = true;
        } else {
            send_str(s, "");
        }
        return false;
    case 'v':
        if (strcmp(p, "vCont?") == 0) {
            send_str(s, "vCont;c;C;s;S");
        } else if (strncmp(p, "vCont;", 6) == 0) {
            if (handle_vcont(s, p + 5, cmd)) {
                s->pending = GDB_PENDING_STOP;
                return true;
            }
        } else if (strncmp(p, "vKill", 5) == 0) {
            send_str(s, "OK");
            *cmd = (CoreRunCmd){ .kind = CORE_CMD_QUIT };
            return true;
        } else {
            send_str(s, "");
        }
        return false;
    default:
        send_str(s, "");
        return false;
    }
}

/* ---- front end ---- */

/* GDB treats RISC-V watchpoints as "non-steppable": it expects the stop
   before the access, and on a hit it removes the watchpoints, steps the
   hart over the accessing instruction (a software single-step: a
   breakpoint on the next pc and a continue) and then compares the old and
   new values. The core stops after the access completed, so that step
   has already happened: gdb's first resume after a watchpoint stop is
   answered at once with a plain SIGTRAP stop, without running, or gdb
   would report the hit one instruction late. The user only gets control
   after that step, so no resume of theirs is ever swallowed. */
static bool absorb_watch_step(GdbStub *s, const CoreRunCmd *cmd)
{
    int h = s->watch_hart;
    s->watch_hart = -1;
    if (h < 0 || s->pending != GDB_PENDING_STOP ||
        (cmd->kind != CORE_CMD_STEP && cmd->kind != CORE_CMD_CONTINUE)) {
        return false;
    }
    s->pending = GDB_PENDING_NONE;
    CoreStop st = { .reason = CORE_STOP_STEP, .hart = (unsigned)h };
    s->last = st;
    send_stop_reply(s, &st);
    return true;
}

/* Serve packets until gdb resumes the machine or goes away. */
static CoreRunCmd serve(GdbStub *s)
{
    for (;;) {
        int ev = next_event(s, true);
        CoreRunCmd cmd;
        switch (ev) {
        case EV_GONE:
            /* drop_client removed our breakpoints; run on. */
            return (CoreRunCmd){ .kind = CORE_CMD_CONTINUE };
        case EV_QUIT:
            /* The exit is requested; gdb gets its W stop reply when the
               machine reports it. */
            return (CoreRunCmd){ .kind = CORE_CMD_QUIT };
        case RSP_EV_PACKET:
            if (!s->noack) {
                send_raw(s, "+", 1);
            }
            if (handle_packet(s, s->parser.data, s->parser.len, &cmd)) {
                if (cmd.kind == CORE_CMD_DETACH || cmd.kind == CORE_CMD_QUIT) {
                    drop_client(s);
                }
                if (absorb_watch_step(s, &cmd)) {
                    break;
                }
                return cmd;
            }
            break;
        case RSP_EV_BAD:
            if (!s->noack) {
                send_raw(s, "-", 1);
            }
            break;
        case RSP_EV_TOO_LONG:
            /* Received intact but we cannot hold it: an error reply tells
               gdb to stop trying (a '-' would make it resend forever). */
            if (!s->noack) {
                send_raw(s, "+", 1);
            }
            send_str(s, "E01");
            break;
        case RSP_EV_NAK:
            if (s->out_len) {
                send_raw(s, s->out, s->out_len);
            }
            break;
        default:
            break;   /* '+', a stray 0x03 while stopped */
        }
    }
}

static CoreRunCmd fe_stopped(void *opaque, CoreMachine *m, const CoreStop *why)
{
    GdbStub *s = opaque;
    s->last = *why;
    s->have_stop = true;
    s->watch_hart = why->reason == CORE_STOP_WATCHPOINT ? (int)why->hart : -1;
    if (why->reason != CORE_STOP_EXITED && why->hart < s->m->ncpus &&
        s->pending != GDB_PENDING_RCMD) {
        /* gdb takes a stop reply's thread as its general thread (Hg);
           after a monitor command it keeps the one it had. */
        s->g_hart = why->hart;
    }
    if (s->fd < 0) {
        if (why->reason != CORE_STOP_ATTACH || s->listen_fd < 0) {
            return (CoreRunCmd){ .kind = CORE_CMD_CONTINUE };
        }
        fprintf(stderr, "rewind: waiting for gdb on %s\n", s->where);
        if (!accept_client(s, true)) {
            return (CoreRunCmd){ .kind = m->exit_kind != CORE_EXIT_NONE
                                         ? CORE_CMD_QUIT : CORE_CMD_CONTINUE };
        }
    }
    GdbPending pending = s->pending;
    s->pending = GDB_PENDING_NONE;
    if (why->reason == CORE_STOP_EXITED) {
        /* gdb is told whether or not it asked: the inferior is gone. */
        send_stop_reply(s, why);
        return (CoreRunCmd){ .kind = CORE_CMD_QUIT };
    }
    if (why->cmd_failed && pending == GDB_PENDING_STOP) {
        /* Reverse execution without a trace. GDB shows "No more
           reverse-execution history." for this stop reply, which is the
           truth for a live run; say why on its console too. */
        send_console(s, "rewind: reverse execution needs a recorded trace "
                        "(rewind replay ...)\n");
        reply_reset(s);
        reply_printf(s, "T05replaylog:begin;thread:%x;", why->hart + 1);
        send_reply(s);
    } else if (why->cmd_failed && pending == GDB_PENDING_RCMD) {
        if (why->fail_msg) {
            console_printf(s, "rewind: %s; still at icount %" PRIu64 "\n",
                           why->fail_msg, s->m->icount);
        } else {
            console_printf(s, "cannot go back to an earlier icount (now %"
                           PRIu64 "): that needs a recorded trace (rewind "
                           "replay ...)\n", s->m->icount);
        }
        send_str(s, "OK");
    } else if (pending == GDB_PENDING_STOP) {
        send_stop_reply(s, why);
    } else if (pending == GDB_PENDING_RCMD) {
        console_printf(s, "now at icount %" PRIu64 " (%s %u pc 0x%" PRIx64
                       "); gdb re-reads registers after 'maintenance flush "
                       "register-cache' (docs/rewind.gdb does it)\n",
                       s->m->icount, ops(s)->cpu_noun, why->hart,
                       ops(s)->pc(hart(s, why->hart)));
        send_str(s, "OK");
    }
    return serve(s);
}

static bool fe_poll(void *opaque)
{
    GdbStub *s = opaque;
    for (;;) {
        if (s->fd < 0) {
            /* A new client stops the machine so that it can look around. */
            return accept_client(s, false);
        }
        int ev = next_event(s, false);
        if (ev == EV_GONE) {
            continue;   /* a client that connected after it may take over */
        }
        if (ev == RSP_EV_NONE) {
            refuse_clients(s);
            return false;
        }
        if (ev == RSP_EV_INTERRUPT) {
            return true;
        }
        /* Anything else while running is out of protocol: ignore it. */
    }
}

/* ---- setup ---- */

static GdbStub *stub_new(CoreMachine *m)
{
    GdbStub *s = calloc(1, sizeof(*s));
    if (!s) {
        return NULL;
    }
    s->m = m;
    s->listen_fd = -1;
    s->fd = -1;
    s->fe = (CoreFrontend){ fe_poll, fe_stopped, s };
    reset_session(s);
    return s;
}

static int listen_unix(GdbStub *s, const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path) || !*path) {
        snprintf(err, errlen, "-gdb unix:%s: bad socket path", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "-gdb unix:%s: %s", path, strerror(errno));
        return -1;
    }
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
        snprintf(err, errlen, "-gdb unix:%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    strcpy(s->unix_path, path);
    snprintf(s->where, sizeof(s->where), "unix:%s", path);
    return fd;
}

static int listen_tcp(GdbStub *s, const char *host, const char *port,
                      char *err, size_t errlen)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC,
                              .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
    struct addrinfo *res;
    int r = getaddrinfo(host, port, &hints, &res);
    if (r != 0) {
        snprintf(err, errlen, "-gdb tcp:%s:%s: %s", host, port, gai_strerror(r));
        return -1;
    }
    int fd = -1, saved = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1) == 0) {
            break;
        }
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(err, errlen, "-gdb tcp:%s:%s: %s", host, port,
                 strerror(saved));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char h[64] = "?", pt[16] = "?";
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        getnameinfo((struct sockaddr *)&ss, sl, h, sizeof(h), pt, sizeof(pt),
                    NI_NUMERICHOST | NI_NUMERICSERV);
    }
    /* The address gdb's `target remote` takes (and port 0's real port). */
    snprintf(s->where, sizeof(s->where), strchr(h, ':') ? "[%s]:%s" : "%s:%s",
             h, pt);
    return fd;
}

GdbStub *gdb_stub_open(CoreMachine *m, const char *spec, char *err,
                       size_t errlen)
{
    char buf[256];
    if (strlen(spec) >= sizeof(buf)) {
        snprintf(err, errlen, "-gdb %.40s...: too long", spec);
        return NULL;
    }
    strcpy(buf, spec);
    /* QEMU chardev options that only restate what a gdb server does. */
    char *opts = strchr(buf, ',');
    if (opts) {
        for (char *o = strtok(opts + 1, ","); o; o = strtok(NULL, ",")) {
            if (strcmp(o, "server") && strcmp(o, "server=on") &&
                strcmp(o, "nowait") && strcmp(o, "wait=off")) {
                snprintf(err, errlen, "-gdb %s: option '%s' is not supported",
                         spec, o);
                return NULL;
            }
        }
        *opts = 0;
    }
    GdbStub *s = stub_new(m);
    if (!s) {
        snprintf(err, errlen, "-gdb %s: out of memory", spec);
        return NULL;
    }
    const char *host = "127.0.0.1", *port = NULL;
    if (strncmp(buf, "unix:", 5) == 0) {
        s->listen_fd = listen_unix(s, buf + 5, err, errlen);
    } else {
        char *p = buf;
        if (strncmp(p, "tcp:", 4) == 0) {
            p += 4;
        }
        char *colon = strrchr(p, ':');
        if (colon) {
            *colon = 0;
            port = colon + 1;
            if (*p) {
                host = p;
            }
            /* [v6addr] */
            size_t hl = strlen(host);
            if (host[0] == '[' && hl > 1 && host[hl - 1] == ']') {
                p[hl - 1] = 0;
                host = p + 1;
            }
        } else {
            port = p;
        }
        char *end;
        unsigned long pn = strtoul(port, &end, 10);
        if (!*port || *end || pn > 65535) {
            snprintf(err, errlen, "-gdb %s: expected tcp::PORT, tcp:HOST:PORT "
                     "or unix:PATH", spec);
            free(s);
            return NULL;
        }
        s->listen_fd = listen_tcp(s, host, port, err, errlen);
    }
    if (s->listen_fd < 0) {
        free(s);
        return NULL;
    }
    /* A fixed line that scripts parse (docs: README, "Debugging with
       GDB"): with tcp::0 it is the only way to learn the port. */
    fprintf(stderr, "rewind: gdb server listening on %s\n", s->where);
    return s;
}

GdbStub *gdb_stub_open_fd(CoreMachine *m, int fd)
{
    GdbStub *s = stub_new(m);
    if (!s) {
        close(fd);
        return NULL;
    }
    s->fd = fd;
    snprintf(s->where, sizeof(s->where), "fd %d", fd);
    return s;
}

const CoreFrontend *gdb_stub_frontend(GdbStub *s)
{
    return &s->fe;
}

void gdb_stub_set_replay(GdbStub *s, const GdbReplayOps *ops, void *opaque)
{
    s->replay = ops;
    s->replay_opaque = opaque;
}

void gdb_stub_set_monitor(GdbStub *s, GdbMonitorFn fn, void *opaque)
{
    s->monitor = fn;
    s->monitor_opaque = opaque;
}

void gdb_stub_close(GdbStub *s)
{
    if (!s) {
        return;
    }
    if (s->fd >= 0) {
        close(s->fd);
    }
    for (unsigned i = 0; i < s->nrefused; i++) {
        close(s->refused[i]);
    }
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
    }
    if (s->unix_path[0]) {
        unlink(s->unix_path);
    }
    free(s);
}
