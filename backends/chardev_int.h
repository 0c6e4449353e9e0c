/*
 * The chardev structure, shared by backends/chardev.c (bytes in and out,
 * the -serial spellings) and backends/chardev_spec.c (-chardev: parsing,
 * the host resources behind each backend, the registry of ids).
 */
#ifndef BACKENDS_CHARDEV_INT_H
#define BACKENDS_CHARDEV_INT_H

#include "backends/chardev.h"
#include "backends/mux.h"
#include "backends/telnet.h"
#include "backends/termquery.h"

#include <sys/socket.h>

typedef enum ChrKind {
    CHR_STDIO, CHR_NULL, CHR_FILE, CHR_PIPE, CHR_PTY, CHR_SOCKET, CHR_RINGBUF
} ChrKind;

struct BeChardev {
    /* A front end's view of a chardev that an earlier front end opened
       with mux=on: the view has its own tap and mute (what one front end
       writes is its own console), everything else is `shared`'s. NULL
       for the chardev itself. */
    BeChardev *shared;
    ChrKind kind;
    int out_fd;      /* -1: output discarded */
    int in_fd;       /* -1: no input (or input reached end of file) */
    int listen_fd;   /* socket server: -1, or the listening socket while no
                        client is connected (in_fd == out_fd == -1) */
    bool is_socket;  /* write with send(MSG_NOSIGNAL) */
    bool drop_if_full;   /* pty: nobody may be reading the other side */
    int pty_slave_fd;    /* pty: our own hold on the slave side, or -1 */
    char *unlink_path;   /* unix socket server: removed at close */
    /* Client socket with reconnect=: the seconds between attempts, the
       peer's address, and a timer (timerfd) armed while disconnected;
       its expiry is the input fd then, so the host side's poll wakes up
       for the next attempt. Connecting is host business only: the guest
       sees the bytes that arrive, nothing of when. */
    bool telnet;         /* socket server with telnet=on */
    BeTelnet tn;
    unsigned reconnect_s;
    int retry_fd;        /* -1: no reconnect= */
    struct sockaddr_storage peer;
    socklen_t peer_len;
    char peer_name[300];
    char id[32];         /* -chardev id, "" for -serial spellings */
    unsigned users;      /* front ends sharing it (mux=on) */
    bool mux;
    BeMux mux_state;     /* Ctrl-A keys and focus (be_chardev_mux) */
    bool starts_unconnected;   /* socket server with wait=off (from the
                                  spec, so a replay's stand-in knows it) */
    uint8_t *ring;       /* ringbuf: the last ring_size bytes written */
    size_t ring_size, ring_pos;
    BeChardevTap tap;
    void *tap_opaque;
    bool muted;
    bool filter_queries;   /* out_fd is a terminal that is not our input */
    BeTermQuery tq;
};

/* Copy c to the heap (users = 1, terminal-query filter set up); on
   failure closes c's descriptors and returns NULL with a message. */
BeChardev *be_chardev_alloc(const BeChardev *c, const char *spec, char *err,
                            size_t errlen);
/* Drop c from the registry of -chardev ids (at close). */
void be_chardev_forget(const BeChardev *c);
/* A server took a new client on fd: it is the input and output now (a
   telnet=on server greets it first). */
void be_chardev_take_client(BeChardev *c, int fd);
/* A client socket with reconnect=: connect to c->peer now (a short,
   bounded wait); false (with errno set) if that failed. */
bool be_chardev_connect_peer(BeChardev *c);
/* ... and try again in reconnect_s seconds. */
void be_chardev_retry_later(BeChardev *c);

#endif
