/*
 * Character backends: "mon:stdio", "stdio", "null" and "file:PATH" (QEMU's
 * -serial spellings; see backends/chardev.h).
 *
 * stdio writes with write(2) on fd 1, unbuffered, so guest output appears
 * as it is produced and interleaves correctly with our own messages. Input
 * is read from fd 0 only after poll(2) says it is ready; we do not set
 * O_NONBLOCK, because on a terminal fd 0 and fd 1 share one open file
 * description and the flag would make stdout writes fail with EAGAIN.
 *
 * When stdin is a terminal it is put in raw mode the way QEMU's stdio
 * chardev does (no line editing, no echo, no CR/LF translation on input),
 * and restored at exit by be_chardev_restore_tty, which is also safe to
 * call from a signal handler. "mon:stdio" (QEMU's -nographic, rewind's
 * default) also turns ISIG off, as QEMU does for it: Ctrl-C is byte 0x03
 * for the guest, and Ctrl-A x quits. Plain "stdio" keeps ISIG, so Ctrl-C
 * stops rewind there.
 * A process started in the background of its terminal (e.g. by timeout(1))
 * leaves the terminal alone and takes no input, instead of being stopped
 * by SIGTTOU/SIGTTIN.
 *
 * file:PATH truncates the file, as QEMU's file chardev does by default, and
 * has no input.
 *
 * Output that goes to a terminal which is not also this backend's input
 * (a replay's "stdout", a run in the background of its terminal) passes
 * through the terminal-query filter (backends/termquery.h): the terminal
 * would answer a recorded ESC [6n into the user's shell. Where the
 * terminal is the input too, the guest asked and gets the answer.
 */
#define _GNU_SOURCE   /* accept4 */
#include "backends/chardev.h"
#include "backends/chardev_int.h"
#include "backends/termquery.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <unistd.h>

static void write_out(void *opaque, const uint8_t *buf, size_t len);
static void say_host(void *opaque, const char *text);

void be_chardev_set_mute(BeChardev *c, bool mute)
{
    if (mute && !c->muted && c->filter_queries) {
        be_termquery_finish(&c->tq, write_out, c);
    }
    c->muted = mute;
}

void be_chardev_set_tap(BeChardev *c, BeChardevTap tap, void *opaque)
{
    c->tap = tap;
    c->tap_opaque = opaque;
}

static struct termios saved_tty;
static volatile bool tty_is_raw;
static bool stdio_in_use;

void be_chardev_restore_tty(void)
{
    if (tty_is_raw) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
        tty_is_raw = false;
    }
}

static void make_stdin_raw(bool signals)
{
    static bool atexit_done;
    struct termios tty;

    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tty) != 0) {
        return;
    }
    tty = saved_tty;
    tty.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    tty.c_oflag |= OPOST;
    tty.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
    if (!signals) {
        tty.c_lflag &= ~ISIG;
    }
    tty.c_cflag &= ~(CSIZE | PARENB);
    tty.c_cflag |= CS8;
    tty.c_cc[VMIN] = 1;
    tty.c_cc[VTIME] = 0;
    if (!atexit_done) {
        atexit(be_chardev_restore_tty);
        atexit_done = true;
    }
    if (tcsetattr(STDIN_FILENO, TCSANOW, &tty) == 0) {
        tty_is_raw = true;
    }
}


BeChardev *be_chardev_open(const char *spec, char *err, size_t errlen)
{
    BeChardev c = { .out_fd = -1, .in_fd = -1, .listen_fd = -1,
                    .pty_slave_fd = -1, .retry_fd = -1 };

    bool mux = strcmp(spec, "mon:stdio") == 0;
    if (mux || strcmp(spec, "stdio") == 0) {
        if (stdio_in_use) {
            snprintf(err, errlen, "chardev 'stdio' can only be used once");
            return NULL;
        }
        c.kind = CHR_STDIO;
        c.out_fd = STDOUT_FILENO;
        c.in_fd = STDIN_FILENO;
        stdio_in_use = true;
        if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) != getpgrp()) {
            /* A background job (e.g. under timeout(1)) would be stopped by
               SIGTTOU/SIGTTIN on touching the terminal: no input then. */
            c.in_fd = -1;
        } else {
            make_stdin_raw(!mux);
        }
    } else if (strcmp(spec, "null") == 0) {
        c.kind = CHR_NULL;
    } else if (strcmp(spec, "stdout") == 0) {
        /* Output only, terminal untouched: what a replay shows. */
        c.kind = CHR_NULL;
        c.out_fd = STDOUT_FILENO;
    } else if (strncmp(spec, "file:", 5) == 0 && spec[5] != '\0') {
        const char *path = spec + 5;
        c.kind = CHR_FILE;
        c.out_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (c.out_fd < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            return NULL;
        }
    } else {
        snprintf(err, errlen,
                 "unsupported chardev '%s' (supported: mon:stdio, stdio, stdout, "
                 "null, file:PATH)",
                 spec);
        return NULL;
    }

    return be_chardev_alloc(&c, spec, err, errlen);
}

BeChardev *be_chardev_alloc(const BeChardev *c, const char *spec, char *err,
                            size_t errlen)
{
    BeChardev tmp = *c;
    c = &tmp;
    tmp.filter_queries = c->kind != CHR_PTY && c->kind != CHR_SOCKET &&
                        c->out_fd >= 0 && isatty(c->out_fd) &&
                        !(c->in_fd >= 0 && isatty(c->in_fd));
    be_termquery_init(&tmp.tq);
    tmp.users = 1;

    BeChardev *p = malloc(sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "%s: out of memory", spec);
        if (c->kind != CHR_STDIO && c->out_fd >= 0) {
            close(c->out_fd);
        }
        return NULL;
    }
    *p = *c;
    p->mux_state.say = say_host;
    p->mux_state.say_opaque = p;
    return p;
}

/* Closing a pty's master discards what the slave has not read yet: give
   a reader up to a second to take the guest's last output. The kernel
   moves written bytes to the slave's queue asynchronously, so an empty
   queue counts only when it stays empty for a few polls. */
static void pty_drain(BeChardev *c)
{
    int empty = 0;
    for (int i = 0; i < 100 && empty < 3; i++) {
        int pending = 0;
        if (ioctl(c->pty_slave_fd, FIONREAD, &pending) != 0) {
            return;
        }
        empty = pending == 0 ? empty + 1 : 0;
        poll(NULL, 0, 10);
    }
}

void be_chardev_close(BeChardev *c)
{
    if (c && c->shared) {
        BeChardev *shared = c->shared;
        free(c);
        c = shared;
    }
    if (!c || --c->users > 0) {
        return;
    }
    be_chardev_forget(c);
    if (c->pty_slave_fd >= 0) {
        pty_drain(c);
    }
    if (c->filter_queries && !c->muted) {
        be_termquery_finish(&c->tq, write_out, c);
    }
    if (c->kind == CHR_STDIO) {
        be_chardev_restore_tty();
        stdio_in_use = false;
    } else {
        /* "stdout" writes to the process's own stdout, which outlives
           the machine (the shell builds another one after it). */
        if (c->out_fd >= 0 && c->out_fd != STDOUT_FILENO) {
            close(c->out_fd);
        }
        if (c->in_fd >= 0 && c->in_fd != c->out_fd) {
            close(c->in_fd);
        }
    }
    if (c->listen_fd >= 0) {
        close(c->listen_fd);
    }
    if (c->retry_fd >= 0) {
        close(c->retry_fd);
    }
    if (c->pty_slave_fd >= 0) {
        close(c->pty_slave_fd);
    }
    if (c->unlink_path) {
        unlink(c->unlink_path);
        free(c->unlink_path);
    }
    free(c->ring);
    free(c);
}

/* The last byte any chardev wrote to stdout was not a newline. */
static bool stdout_midline;

bool be_chardev_stdout_end_line(void)
{
    if (!stdout_midline) {
        return false;
    }
    ssize_t n;
    do {
        n = write(STDOUT_FILENO, "\n", 1);
    } while (n < 0 && errno == EINTR);
    stdout_midline = false;
    return true;
}

static void write_out(void *opaque, const uint8_t *buf, size_t len)
{
    BeChardev *c = opaque;
    if (c->out_fd == STDOUT_FILENO && len > 0) {
        stdout_midline = buf[len - 1] != '\n';
    }
    while (len > 0) {
        ssize_t n = c->is_socket ? send(c->out_fd, buf, len, MSG_NOSIGNAL)
                                 : write(c->out_fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN && c->drop_if_full) {
                return;   /* a pty nobody reads: the guest must not stall */
            }
            if (errno == EAGAIN) {
                struct pollfd pfd = { .fd = c->out_fd, .events = POLLOUT };
                poll(&pfd, 1, -1);
                continue;
            }
            /* The reader went away (EPIPE, full disk): the guest's output
               has nowhere to go, and the guest must not notice. */
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

BeChardev *be_chardev_backend(BeChardev *c)
{
    return c && c->shared ? c->shared : c;
}

/* Bytes to c's host resource (and ring), past any tap. */
static void put(BeChardev *c, const uint8_t *buf, size_t len)
{
    if (c->ring) {
        for (size_t i = 0; i < len; i++) {
            c->ring[c->ring_pos++ % c->ring_size] = buf[i];
        }
    }
    if (c->out_fd < 0 || c->muted) {
        return;
    }
    if (c->telnet) {
        /* A data byte 0xff is IAC IAC on a telnet connection. */
        static const uint8_t iac = 0xff;
        const uint8_t *ff;
        while ((ff = memchr(buf, 0xff, len)) != NULL) {
            write_out(c, buf, (size_t)(ff - buf) + 1);
            write_out(c, &iac, 1);
            len -= (size_t)(ff - buf) + 1;
            buf = ff + 1;
        }
        write_out(c, buf, len);
        return;
    }
    if (c->filter_queries) {
        be_termquery_feed(&c->tq, buf, len, write_out, c);
    } else {
        write_out(c, buf, len);
    }
}

void be_chardev_write(BeChardev *c, const uint8_t *buf, size_t len)
{
    /* The tap is this front end's: a mux'd chardev's other front ends
       write through their own handles, so one front end's recorded
       console never holds another's output. */
    if (c->tap) {
        c->tap(c->tap_opaque, buf, len);
    }
    if (c->shared) {
        if (!c->muted) {
            put(c->shared, buf, len);
        }
        return;
    }
    put(c, buf, len);
}

void be_chardev_write_host(BeChardev *c, const char *text)
{
    c = be_chardev_backend(c);
    if (c->out_fd >= 0 && !c->muted) {
        write_out(c, (const uint8_t *)text, strlen(text));
    }
}

static void say_host(void *opaque, const char *text)
{
    be_chardev_write_host(opaque, text);
}

/* A server socket with a client waiting: take it (its bytes come with
   the next read). */
static void accept_client_nd(BeChardev *c)
{
    struct pollfd pfd = { .fd = c->listen_fd, .events = POLLIN };
    if (poll(&pfd, 1, 0) <= 0) {
        return;
    }
    int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd >= 0) {
        be_chardev_take_client(c, fd);
    }
}

void be_chardev_take_client(BeChardev *c, int fd)
{
    c->in_fd = c->out_fd = fd;
    if (c->telnet) {
        be_telnet_reset(&c->tn);
        write_out(c, be_telnet_greeting, sizeof(be_telnet_greeting));
    }
}

bool be_chardev_connect_peer(BeChardev *c)
{
    int fd = socket(c->peer.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
                    SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return false;
    }
    int r = connect(fd, (struct sockaddr *)&c->peer, c->peer_len);
    if (r != 0 && errno == EINPROGRESS) {
        /* A peer on another host: wait a little, not the TCP timeout
           (the machine stops meanwhile; the next try comes later). */
        struct pollfd pfd = { .fd = fd, .events = POLLOUT };
        int e = 0;
        socklen_t len = sizeof(e);
        r = poll(&pfd, 1, 500) == 1 &&
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0 && e == 0
            ? 0 : -1;
        errno = e ? e : ETIMEDOUT;
    }
    if (r != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return false;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    if (c->peer.ss_family != AF_UNIX) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    c->in_fd = c->out_fd = fd;
    return true;
}

void be_chardev_retry_later(BeChardev *c)
{
    struct itimerspec t = { .it_value = { .tv_sec = c->reconnect_s } };
    timerfd_settime(c->retry_fd, 0, &t, NULL);
}

/* A client socket with reconnect=, disconnected: when the timer has
   expired, try to connect again. */
static void reconnect_nd(BeChardev *c)
{
    uint64_t expiries;
    struct pollfd pfd = { .fd = c->retry_fd, .events = POLLIN };
    if (poll(&pfd, 1, 0) <= 0 ||
        read(c->retry_fd, &expiries, sizeof(expiries)) != sizeof(expiries)) {
        return;
    }
    if (be_chardev_connect_peer(c)) {
        fprintf(stderr, "rewind: chardev '%s': connected to %s\n", c->id,
                c->peer_name);
    } else {
        be_chardev_retry_later(c);
    }
}

/* The input side ended (a client went away, end of file). A server goes
   back to listening, a client with reconnect= tries again later; anything
   else has no input from now on. */
static void input_ended(BeChardev *c)
{
    if (c->kind == CHR_SOCKET) {
        close(c->in_fd);
        c->out_fd = -1;
        if (c->retry_fd >= 0) {
            fprintf(stderr, "rewind: chardev '%s': %s went away; "
                    "reconnecting every %u s\n", c->id, c->peer_name,
                    c->reconnect_s);
            be_chardev_retry_later(c);
        }
    }
    c->in_fd = -1;
}

size_t be_chardev_read_nd(BeChardev *c, uint8_t *buf, size_t max)
{
    c = be_chardev_backend(c);
    if (c->in_fd < 0 && c->listen_fd >= 0) {
        accept_client_nd(c);
        return 0;
    }
    if (c->in_fd < 0 && c->retry_fd >= 0) {
        reconnect_nd(c);
        return 0;
    }
    if (c->in_fd < 0 || max == 0) {
        return 0;
    }
    struct pollfd pfd = { .fd = c->in_fd, .events = POLLIN };
    if (poll(&pfd, 1, 0) <= 0 || !(pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
        return 0;
    }
    ssize_t n = read(c->in_fd, buf, max);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        /* End of input: stop offering the fd so nobody polls it forever. */
        input_ended(c);
        return 0;
    }
    if (n > 0 && c->telnet) {
        return be_telnet_filter(&c->tn, buf, (size_t)n);
    }
    return n < 0 ? 0 : (size_t)n;
}

bool be_chardev_connected_nd(const BeChardev *c)
{
    return c->kind != CHR_SOCKET || c->in_fd >= 0;
}

bool be_chardev_starts_connected(const BeChardev *c)
{
    return !c->starts_unconnected;
}

int be_chardev_input_fd(const BeChardev *c)
{
    c = c->shared ? c->shared : c;
    if (c->in_fd >= 0) {
        return c->in_fd;
    }
    return c->listen_fd >= 0 ? c->listen_fd : c->retry_fd;
}
