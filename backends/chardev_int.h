/*
 * The chardev structure, shared by backends/chardev.c (bytes in and out,
 * the -serial spellings) and backends/chardev_spec.c (-chardev: parsing,
 * the host resources behind each backend, the registry of ids).
 */
#ifndef BACKENDS_CHARDEV_INT_H
#define BACKENDS_CHARDEV_INT_H

#include "backends/chardev.h"
#include "backends/termquery.h"

typedef enum ChrKind {
    CHR_STDIO, CHR_NULL, CHR_FILE, CHR_PIPE, CHR_PTY, CHR_SOCKET, CHR_RINGBUF
} ChrKind;

struct BeChardev {
    ChrKind kind;
    int out_fd;      /* -1: output discarded */
    int in_fd;       /* -1: no input (or input reached end of file) */
    int listen_fd;   /* socket server: -1, or the listening socket while no
                        client is connected (in_fd == out_fd == -1) */
    bool is_socket;  /* write with send(MSG_NOSIGNAL) */
    bool drop_if_full;   /* pty: nobody may be reading the other side */
    int pty_slave_fd;    /* pty: our own hold on the slave side, or -1 */
    char *unlink_path;   /* unix socket server: removed at close */
    char id[32];         /* -chardev id, "" for -serial spellings */
    unsigned users;      /* front ends sharing it (mux=on) */
    bool mux;
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

#endif
