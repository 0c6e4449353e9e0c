/*
 * GDB stub sessions without gdb (gdbstub/gdbstub.c): a client on a unix
 * socket sends whole packet sequences ahead, and the test plays the core
 * by calling the front end's callbacks itself, so everything runs in one
 * thread. Covered: a 'G' that is not exactly the register file is refused
 * and changes nothing; a second client that connects while one is served
 * gets an error reply and the end of the stream, and the first session
 * goes on undisturbed. (The packet layer alone is tests/unit/rsp_test.c.)
 */
#include "core/machine.h"
#include "gdbstub/gdbstub.h"
#include "gdbstub/rsp.h"
#include "tests/unit/check.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define REGFILE_HEX ((32 + 1) * 16)   /* x0-x31 and pc, 8 bytes each */

static const uint32_t program[] = {
    0x00000013,   /* nop   */
    0x0000006f,   /* j .   */
};

static CoreMachine *make_machine(char *kernel)
{
    int fd = mkstemp(kernel);
    if (fd < 0 || write(fd, program, sizeof(program)) != sizeof(program)) {
        perror("temp kernel");
        exit(1);
    }
    close(fd);
    static CoreConfig cfg = { .machine = "virt", .cpu = "rv64",
                              .ram_size = 16 << 20, .smp = 1, .bios = "none",
                              .serial = "null", .icount_shift = 3 };
    cfg.kernel = kernel;
    CoreMachine *m = core_machine_new(&cfg);
    char err[256] = "";
    if (!m || !core_machine_init(m, err, sizeof(err))) {
        fprintf(stderr, "machine: %s\n", err);
        exit(1);
    }
    return m;
}

/* The front end's stopped callback, blocking in a thread of its own. */
typedef struct Serving {
    const CoreFrontend *fe;
    CoreMachine *m;
    CoreRunCmd cmd;
} Serving;

static void *serve_thread(void *opaque)
{
    Serving *sv = opaque;
    CoreStop intr = { .reason = CORE_STOP_INTERRUPT };
    sv->cmd = sv->fe->stopped(sv->fe->opaque, sv->m, &intr);
    return NULL;
}

static int connect_unix(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        perror("connect");
        exit(1);
    }
    return fd;
}

static void send_packet(int fd, const char *data)
{
    uint8_t out[RSP_FRAMED_MAX(RSP_MAX_PACKET)];
    size_t n = rsp_frame(out, sizeof(out), data, strlen(data), 0);
    CHECK(n > 0 && write(fd, out, n) == (ssize_t)n);
}

/* The packets a client has received so far (acks skipped), in order.
   Returns how many (at most max); *eof says the stub closed its side. */
static size_t receive(int fd, char pk[][REGFILE_HEX + 64], size_t max,
                      bool *eof)
{
    static RspParser p;
    rsp_parser_init(&p);
    size_t n = 0;
    uint8_t buf[4096];
    ssize_t got;
    *eof = false;
    while ((got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
        for (ssize_t i = 0; i < got; i++) {
            if (rsp_parser_feed(&p, buf[i]) == RSP_EV_PACKET && n < max) {
                size_t l = p.len < sizeof(pk[0]) - 1 ? p.len : sizeof(pk[0]) - 1;
                memcpy(pk[n], p.data, l);
                pk[n++][l] = 0;
            }
        }
    }
    *eof = got == 0;
    return n;
}

int main(void)
{
    char kernel[] = "/tmp/rewind-gdbstub-test-XXXXXX";
    char dir[] = "/tmp/rewind-gdbstub-sock-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char path[128], spec[140], err[256] = "";
    snprintf(path, sizeof(path), "%s/gdb.sock", dir);
    snprintf(spec, sizeof(spec), "unix:%s", path);
    CoreMachine *m = make_machine(kernel);
    GdbStub *s = gdb_stub_open(m, spec, err, sizeof(err));
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const CoreFrontend *fe = gdb_stub_frontend(s);

    /* Client a asks for the registers around three G packets: short, full
       with a bad digit at the end, and a good one that sets x1 and pc. */
    int a = connect_unix(path);
    char regs[REGFILE_HEX + 1], pkt[REGFILE_HEX + 64];
    memset(regs, '0', REGFILE_HEX);
    regs[REGFILE_HEX] = 0;
    memcpy(regs + 16, "efbeadde00000000", 16);                 /* x1 */
    memcpy(regs + 32 * 16, "0400008000000000", 16);            /* pc */
    send_packet(a, "g");
    send_packet(a, "Gff");
    snprintf(pkt, sizeof(pkt), "%.*s", REGFILE_HEX - 16, regs);
    send_packet(a, pkt);             /* not a G at all */
    snprintf(pkt, sizeof(pkt), "G%.*s", REGFILE_HEX - 16, regs);
    send_packet(a, pkt);             /* x0-x31 without pc */
    send_packet(a, "g");
    snprintf(pkt, sizeof(pkt), "G%.*sx", REGFILE_HEX - 1, regs);
    send_packet(a, pkt);             /* the last digit is no digit */
    send_packet(a, "g");
    snprintf(pkt, sizeof(pkt), "G%s0000000000000000", regs);
    send_packet(a, pkt);             /* one register too many */
    send_packet(a, "g");
    snprintf(pkt, sizeof(pkt), "G%s", regs);
    send_packet(a, pkt);
    send_packet(a, "g");
    send_packet(a, "c");

    CoreStop attach = { .reason = CORE_STOP_ATTACH };
    CoreRunCmd cmd = fe->stopped(fe->opaque, m, &attach);
    CHECK(cmd.kind == CORE_CMD_CONTINUE);

    char pk[16][REGFILE_HEX + 64];
    bool eof;
    size_t n = receive(a, pk, 16, &eof);
    CHECK(n == 11 && !eof);
    if (n == 11) {
        CHECK(strlen(pk[0]) == REGFILE_HEX);
        CHECK(strncmp(pk[1], "E", 1) == 0);          /* Gff */
        CHECK(strcmp(pk[2], "") == 0);                /* '0...': unknown */
        CHECK(strncmp(pk[3], "E", 1) == 0);          /* short G */
        CHECK(strcmp(pk[4], pk[0]) == 0);             /* ...changed nothing */
        CHECK(strncmp(pk[5], "E", 1) == 0);          /* bad digit */
        CHECK(strcmp(pk[6], pk[0]) == 0);
        CHECK(strncmp(pk[7], "E", 1) == 0);          /* too long */
        CHECK(strcmp(pk[8], pk[0]) == 0);
        CHECK(strcmp(pk[9], "OK") == 0);              /* the good one */
        CHECK(strncmp(pk[10] + 16, "efbeadde00000000", 16) == 0 &&
              strncmp(pk[10] + 32 * 16, "0400008000000000", 16) == 0);
    }

    /* While the machine runs for a, client b connects: refused with an
       error reply and the end of the stream; a is still served. */
    int b = connect_unix(path);
    CHECK(!fe->poll_interrupt(fe->opaque));
    n = receive(b, pk, 16, &eof);
    CHECK(n == 1 && strncmp(pk[0], "E.", 2) == 0 &&
          strstr(pk[0], "another gdb is already connected") && eof);
    close(b);

    CHECK(write(a, "\x03", 1) == 1);
    CHECK(fe->poll_interrupt(fe->opaque));
    send_packet(a, "g");
    send_packet(a, "D");
    CoreStop intr = { .reason = CORE_STOP_INTERRUPT };
    cmd = fe->stopped(fe->opaque, m, &intr);
    CHECK(cmd.kind == CORE_CMD_DETACH);
    n = receive(a, pk, 16, &eof);
    CHECK(n == 3 && strncmp(pk[0], "T02", 3) == 0 &&
          strncmp(pk[1] + 16, "efbeadde00000000", 16) == 0 &&
          strcmp(pk[2], "OK") == 0);
    close(a);

    /* Stopped with a client (the stub blocks in its own thread, as it
       does in the core's): a client that connects meanwhile is refused at
       once, and a's packets are answered afterwards. */
    a = connect_unix(path);
    CHECK(fe->poll_interrupt(fe->opaque));   /* a new client stops it */
    Serving sv = { .fe = fe, .m = m };
    pthread_t t;
    pthread_create(&t, NULL, serve_thread, &sv);
    b = connect_unix(path);
    struct pollfd pb = { .fd = b, .events = POLLIN };
    char all[256] = "";
    size_t len = 0;
    ssize_t got;
    while (poll(&pb, 1, 20000) == 1 &&
           (got = recv(b, all + len, sizeof(all) - 1 - len, 0)) > 0) {
        len += (size_t)got;
    }
    all[len] = 0;
    CHECK(strstr(all, "$E.rewind: another gdb is already connected") != NULL);
    close(b);
    send_packet(a, "?");
    send_packet(a, "D");
    pthread_join(t, NULL);
    CHECK(sv.cmd.kind == CORE_CMD_DETACH);
    n = receive(a, pk, 16, &eof);
    CHECK(n == 2 && strncmp(pk[0], "T05", 3) == 0 && strcmp(pk[1], "OK") == 0);
    close(a);

    gdb_stub_close(s);
    core_machine_free(m);
    unlink(kernel);
    rmdir(dir);
    return check_done("gdbstub");
}
