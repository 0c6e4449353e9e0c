/*
 * Unit tests for the simple devices (ns16550a UART, CLINT, SiFive test
 * finisher) and the core input queue that feeds the UART, driven at the
 * register level through the address space, with exact virtual times:
 * icount shift 3, so one instruction is 8 ns and one CLINT tick (100 ns)
 * is 12.5 instructions.
 *
 * Every stateful device also gets a save -> reset -> load -> save round
 * trip that must reproduce the same bytes and the same behaviour (timers
 * re-armed from the loaded state).
 */
#include "backends/chardev.h"
#include "core/input.h"
#include "hw/char/uart16550.h"
#include "hw/intc/clint.h"
#include "hw/misc/sifive_test.h"
#include "tests/unit/check.h"
#include "tests/unit/machine_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- harness: a bare machine, interrupt lines that remember levels ---- */

typedef struct Lines {
    int level[2 * CORE_MAX_CPUS];
} Lines;

static void line_set(void *opaque, int n, int level)
{
    ((Lines *)opaque)->level[n] = level;
}

static const CoreConfig test_cfg = { .machine = "none", .icount_shift = 3 };

static CoreMachine *new_machine(void)
{
    return th_bare_machine(&test_cfg);
}

static void free_machine(CoreMachine *m)
{
    core_machine_free(m);
}

static uint64_t rd(CoreMachine *m, gpa_t addr, unsigned size)
{
    return th_mmio_read(m, addr, size);
}

static void wr(CoreMachine *m, gpa_t addr, uint64_t value, unsigned size)
{
    th_mmio_write(m, addr, value, size);
}

/* ---- UART ---- */

#define UART 0x10000000ull
enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3,
       MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

/* 4 character times at 8N1, divisor 12, QEMU virt's baud base:
   (1e9 / (399193 / 12)) * 10 bits * 4 = 1202400 ns = 150300 instructions. */
#define RX_TIMEOUT_INSNS 150300

typedef struct UartRig {
    CoreMachine *m;
    CoreInput *in;
    Lines lines;
    BeChardev *chr;
    char out_path[64];
} UartRig;

static void uart_rig(UartRig *r)
{
    char err[256];

    memset(r, 0, sizeof(*r));
    r->m = new_machine();
    r->in = r->m->input;
    snprintf(r->out_path, sizeof(r->out_path), "/tmp/devices_test.%d.out",
             (int)getpid());
    snprintf(err, sizeof(err), "file:%s", r->out_path);
    r->chr = be_chardev_open(err, err, sizeof(err));
    CHECK(r->chr != NULL);
    CHECK(hw_uart16550_create(r->m, UART, core_irq_make(line_set, &r->lines, 0),
                              r->chr, r->in, 0) != NULL);
}

static void uart_unrig(UartRig *r)
{
    be_chardev_close(r->chr);
    unlink(r->out_path);
    free_machine(r->m);
}

static size_t read_output(UartRig *r, char *buf, size_t max)
{
    FILE *f = fopen(r->out_path, "rb");
    size_t n = f ? fread(buf, 1, max, f) : 0;
    if (f) {
        fclose(f);
    }
    return n;
}

static uint8_t u8(UartRig *r, unsigned reg)
{
    return (uint8_t)rd(r->m, UART + reg, 1);
}

static void w8(UartRig *r, unsigned reg, uint8_t v)
{
    wr(r->m, UART + reg, v, 1);
}

static void test_uart_reset_values(void)
{
    UartRig r;
    uart_rig(&r);
    CHECK(u8(&r, LSR) == 0x60);          /* THRE | TEMT */
    CHECK(u8(&r, IIR) == 0x01);          /* no interrupt, FIFO off */
    CHECK(u8(&r, MSR) == 0xb0);          /* DCD | DSR | CTS */
    CHECK(u8(&r, MCR) == 0x08);          /* OUT2 */
    CHECK(u8(&r, IER) == 0 && u8(&r, LCR) == 0);
    CHECK(r.lines.level[0] == 0);
    w8(&r, SCR, 0x5a);
    CHECK(u8(&r, SCR) == 0x5a);
    CHECK(rd(r.m, UART + SCR + 8, 1) == 0x5a);   /* registers repeat every 8 */
    uart_unrig(&r);
}

static void test_uart_tx_and_thre_interrupt(void)
{
    UartRig r;
    char out[16];

    uart_rig(&r);
    w8(&r, THR, 'h');
    w8(&r, THR, 'i');
    CHECK(read_output(&r, out, sizeof(out)) == 2 && memcmp(out, "hi", 2) == 0);
    CHECK(r.lines.level[0] == 0);        /* ETBEI off */

    w8(&r, IER, 0x02);                   /* enabling ETBEI with THRE set fires */
    CHECK(r.lines.level[0] == 1);
    CHECK(u8(&r, IIR) == 0x02);          /* reading IIR clears THRI ... */
    CHECK(r.lines.level[0] == 0);
    CHECK(u8(&r, IIR) == 0x01);
    w8(&r, THR, '!');                    /* ... and the next byte re-arms it */
    CHECK(r.lines.level[0] == 1);
    w8(&r, IER, 0x00);
    CHECK(r.lines.level[0] == 0);
    w8(&r, IER, 0x02);                   /* toggling ETBEI raises it again */
    CHECK(r.lines.level[0] == 1 && u8(&r, IIR) == 0x02);

    wr(r.m, UART + THR, 0x4100 | 'x', 4);    /* wide access: low byte */
    CHECK(read_output(&r, out, sizeof(out)) == 4 && out[3] == 'x');
    uart_unrig(&r);
}

static void test_uart_divisor_latch(void)
{
    UartRig r;
    char out[16];

    uart_rig(&r);
    w8(&r, LCR, 0x83);                   /* DLAB, 8N1 */
    CHECK(u8(&r, DLL) == 0x0c && u8(&r, DLM) == 0x00);
    w8(&r, DLL, 0x03);
    w8(&r, DLM, 0x01);
    CHECK(u8(&r, DLL) == 0x03 && u8(&r, DLM) == 0x01);
    CHECK(u8(&r, IER) == 0x01);          /* offset 1 is still DLM */
    w8(&r, LCR, 0x03);
    CHECK(u8(&r, IER) == 0x00);
    CHECK(read_output(&r, out, sizeof(out)) == 0);   /* DLL writes sent nothing */
    uart_unrig(&r);
}

static void test_uart_rx_without_fifo(void)
{
    UartRig r;
    uart_rig(&r);

    CHECK(core_input_serial_rx(r.in, 0, (const uint8_t *)"ab", 2) == 2);
    CHECK(u8(&r, LSR) == 0x61);          /* DR: one byte in the holding reg */
    CHECK(core_input_pending(r.in));     /* 'b' waits in core input */
    CHECK(r.lines.level[0] == 0);
    w8(&r, IER, 0x01);
    CHECK(r.lines.level[0] == 1 && u8(&r, IIR) == 0x04);
    CHECK(u8(&r, RBR) == 'a');           /* reading makes room: 'b' arrives */
    CHECK(!core_input_pending(r.in));
    CHECK(r.lines.level[0] == 1 && u8(&r, LSR) == 0x61);
    CHECK(u8(&r, RBR) == 'b');
    CHECK(u8(&r, LSR) == 0x60 && r.lines.level[0] == 0);
    CHECK(u8(&r, IIR) == 0x01);
    CHECK(u8(&r, RBR) == 'b');           /* empty: the last byte again */
    uart_unrig(&r);
}

static void test_uart_rx_fifo_and_trigger(void)
{
    UartRig r;
    uint8_t data[20];
    bool in_order = true;

    uart_rig(&r);
    w8(&r, FCR, 0x81);                   /* FIFO on, trigger level 8 */
    w8(&r, IER, 0x01);
    CHECK(u8(&r, IIR) == 0xc1);
    for (int i = 0; i < 20; i++) {
        data[i] = (uint8_t)('A' + i);
    }
    CHECK(core_input_serial_rx(r.in, 0, data, 7) == 7);
    CHECK(r.lines.level[0] == 0 && u8(&r, IIR) == 0xc1);   /* 7 < 8 */
    CHECK(core_input_serial_rx(r.in, 0, data + 7, 13) == 13);
    CHECK(r.lines.level[0] == 1 && u8(&r, IIR) == 0xc4);
    CHECK(core_input_pending(r.in));     /* 16 in the FIFO, 4 queued */
    for (int i = 0; i < 20; i++) {
        in_order &= u8(&r, RBR) == data[i];
    }
    CHECK(in_order);
    CHECK(!core_input_pending(r.in) && u8(&r, LSR) == 0x60);
    CHECK(r.lines.level[0] == 0);
    uart_unrig(&r);
}

static void test_uart_rx_timeout_at_exact_time(void)
{
    UartRig r;
    uart_rig(&r);

    w8(&r, LCR, 0x03);
    w8(&r, FCR, 0x81);
    w8(&r, IER, 0x01);
    th_run_to(r.m, 1000);
    core_input_serial_rx(r.in, 0, (const uint8_t *)"xyz", 3);
    CHECK(r.lines.level[0] == 0);        /* below the trigger level */
    th_run_to(r.m, 1000 + RX_TIMEOUT_INSNS - 1);
    CHECK(r.lines.level[0] == 0);
    th_run_to(r.m, 1000 + RX_TIMEOUT_INSNS);
    CHECK(r.lines.level[0] == 1 && u8(&r, IIR) == 0xcc);   /* char timeout */
    CHECK(u8(&r, RBR) == 'x');           /* reading clears the timeout ... */
    CHECK(r.lines.level[0] == 0);
    th_run_to(r.m, 1000 + 2 * RX_TIMEOUT_INSNS);   /* ... and restarts it */
    CHECK(r.lines.level[0] == 1 && u8(&r, IIR) == 0xcc);
    CHECK(u8(&r, RBR) == 'y' && u8(&r, RBR) == 'z');
    CHECK(r.lines.level[0] == 0 && r.m->timers == NULL);
    uart_unrig(&r);
}

static void test_uart_loopback_and_overrun(void)
{
    UartRig r;
    char out[4];

    uart_rig(&r);
    w8(&r, MCR, 0x1f);
    CHECK(u8(&r, MSR) == 0xf0);          /* outputs mirrored on inputs */
    w8(&r, IER, 0x05);                   /* RDI | RLSI */
    w8(&r, THR, 'q');
    CHECK(read_output(&r, out, sizeof(out)) == 0);
    CHECK(u8(&r, LSR) == 0x61 && u8(&r, IIR) == 0x04);
    w8(&r, THR, 'r');                    /* holding register full: overrun */
    CHECK(u8(&r, IIR) == 0x06);
    CHECK(u8(&r, LSR) == 0x63);          /* DR | OE; reading clears OE */
    CHECK(u8(&r, LSR) == 0x61 && u8(&r, IIR) == 0x04);
    CHECK(u8(&r, RBR) == 'q');
    CHECK(r.lines.level[0] == 0);
    uart_unrig(&r);
}

static void test_uart_state_round_trip(void)
{
    UartRig r;
    uart_rig(&r);

    w8(&r, LCR, 0x83);
    w8(&r, DLL, 0x01);
    w8(&r, LCR, 0x03);
    w8(&r, FCR, 0xc1);                   /* trigger 14 */
    w8(&r, IER, 0x03);
    w8(&r, SCR, 0x77);
    th_run_to(r.m, 500);
    core_input_serial_rx(r.in, 0, (const uint8_t *)"hello", 5);
    CHECK(u8(&r, RBR) == 'h');           /* timeout timer now armed */
    CHECK(r.m->timers != NULL);
    CHECK(th_device_round_trip(r.m, "serial0"));
    /* After the load: same registers, the timeout timer re-armed. */
    CHECK(u8(&r, SCR) == 0x77 && u8(&r, LSR) == 0x61);
    uint64_t deadline = r.m->timers ? r.m->timers->deadline_ns : 0;
    CHECK(deadline > 500 * 8);
    th_run_to(r.m, deadline / 8 + 1);
    CHECK(u8(&r, IIR) == 0xcc);
    CHECK(u8(&r, RBR) == 'e');
    uart_unrig(&r);
}

/* ---- CLINT ---- */

#define CLINT 0x2000000ull

typedef struct ClintRig {
    CoreMachine *m;
    Clint *c;
    Lines mti, msi;
} ClintRig;

static void clint_rig(ClintRig *r, unsigned nharts)
{
    CoreIrq mti[CORE_MAX_CPUS], msi[CORE_MAX_CPUS];

    memset(r, 0, sizeof(*r));
    r->m = new_machine();
    for (unsigned i = 0; i < nharts; i++) {
        mti[i] = core_irq_make(line_set, &r->mti, (int)i);
        msi[i] = core_irq_make(line_set, &r->msi, (int)i);
    }
    r->c = hw_clint_create(r->m, CLINT, nharts, mti, msi);
    CHECK(r->c != NULL);
}

static void test_clint_reset_like_qemu(void)
{
    ClintRig r;
    clint_rig(&r, 2);
    CHECK(hw_clint_mtime(r.c) == 0);
    CHECK(rd(r.m, CLINT + 0x4000, 8) == 0);
    CHECK(r.mti.level[0] == 1 && r.mti.level[1] == 1);   /* 0 >= 0 */
    CHECK(r.msi.level[0] == 0);
    free_machine(r.m);
}

static void test_clint_timer_fires_at_exact_icount(void)
{
    ClintRig r;
    clint_rig(&r, 2);

    wr(r.m, CLINT + 0x4008, 1000, 8);    /* hart 1: 1000 ticks = 100 us */
    CHECK(r.mti.level[1] == 0 && r.mti.level[0] == 1);
    th_run_to(r.m, 12499);                  /* 99992 ns: mtime 999 */
    CHECK(hw_clint_mtime(r.c) == 999 && r.mti.level[1] == 0);
    th_run_to(r.m, 12500);                  /* 100000 ns: mtime 1000 */
    CHECK(hw_clint_mtime(r.c) == 1000 && r.mti.level[1] == 1);
    CHECK(rd(r.m, CLINT + 0xbff8, 8) == 1000);
    CHECK(rd(r.m, CLINT + 0xbff8, 4) == 1000 && rd(r.m, CLINT + 0xbffc, 4) == 0);

    wr(r.m, CLINT + 0x4008, 500, 8);     /* in the past: pending at once */
    CHECK(r.mti.level[1] == 1);
    wr(r.m, CLINT + 0x4008, 1001, 8);
    CHECK(r.mti.level[1] == 0);
    th_run_to(r.m, 12512);                  /* 100096 ns: still tick 1000 */
    CHECK(r.mti.level[1] == 0);
    th_run_to(r.m, 12513);                  /* 100104 ns: tick 1001 */
    CHECK(r.mti.level[1] == 1);
    free_machine(r.m);
}

static void test_clint_32bit_halves(void)
{
    ClintRig r;
    clint_rig(&r, 1);

    wr(r.m, CLINT + 0x4000, 0xffffffff, 4);
    wr(r.m, CLINT + 0x4004, 0xffffffff, 4);
    CHECK(rd(r.m, CLINT + 0x4000, 8) == UINT64_MAX);
    CHECK(r.mti.level[0] == 0);
    CHECK(r.m->timers == NULL);          /* all ones: never fires */

    wr(r.m, CLINT + 0x4004, 0x1, 4);     /* high half only */
    CHECK(rd(r.m, CLINT + 0x4000, 8) == 0x1ffffffffull);
    CHECK(rd(r.m, CLINT + 0x4000, 4) == 0xffffffff && rd(r.m, CLINT + 0x4004, 4) == 1);
    CHECK(r.m->timers && r.m->timers->deadline_ns == 0x1ffffffffull * 100);
    wr(r.m, CLINT + 0x4000, 0x10, 4);    /* low half only */
    CHECK(rd(r.m, CLINT + 0x4000, 8) == 0x100000010ull);

    /* mtime written near the top of its range still compares correctly. */
    wr(r.m, CLINT + 0xbff8, UINT64_MAX - 10, 8);
    CHECK(hw_clint_mtime(r.c) == UINT64_MAX - 10);
    wr(r.m, CLINT + 0x4000, UINT64_MAX - 5, 8);
    CHECK(r.mti.level[0] == 0);
    th_run_to(r.m, r.m->icount + 5 * 100 / 8 + 1);
    CHECK(r.mti.level[0] == 1);
    wr(r.m, CLINT + 0xbffc, 0, 4);       /* mtime high half */
    CHECK(hw_clint_mtime(r.c) >> 32 == 0 && r.mti.level[0] == 0);
    free_machine(r.m);
}

static void test_clint_msip(void)
{
    ClintRig r;
    clint_rig(&r, 3);

    wr(r.m, CLINT + 4, 1, 4);
    CHECK(r.msi.level[1] == 1 && r.msi.level[0] == 0);
    CHECK(rd(r.m, CLINT + 4, 4) == 1);
    wr(r.m, CLINT + 4, 2, 4);            /* only bit 0 is implemented */
    CHECK(r.msi.level[1] == 0 && rd(r.m, CLINT + 4, 4) == 0);
    wr(r.m, CLINT + 0, 0x100000001ull, 8);   /* harts 0 and 1 at once */
    CHECK(r.msi.level[0] == 1 && r.msi.level[1] == 1);
    CHECK(rd(r.m, CLINT + 0, 8) == 0x100000001ull);
    wr(r.m, CLINT + 12, 1, 4);           /* hart 3 does not exist */
    CHECK(rd(r.m, CLINT + 12, 4) == 0);
    CHECK(rd(r.m, CLINT + 0x4018, 8) == 0);
    free_machine(r.m);
}

static void test_clint_state_round_trip(void)
{
    ClintRig r;
    clint_rig(&r, 2);

    th_run_to(r.m, 800);                    /* 6400 ns: mtime 64 */
    wr(r.m, CLINT + 0xbff8, 5000, 8);
    wr(r.m, CLINT + 0x4000, 5010, 8);
    wr(r.m, CLINT + 0x4008, UINT64_MAX, 8);
    wr(r.m, CLINT + 4, 1, 4);
    CHECK(th_device_round_trip(r.m, "clint"));
    CHECK(hw_clint_mtime(r.c) == 5000);
    CHECK(r.msi.level[1] == 1 && r.mti.level[0] == 0 && r.mti.level[1] == 0);
    th_run_to(r.m, 800 + 125 - 1);          /* 10 ticks = 1000 ns = 125 insns */
    CHECK(r.mti.level[0] == 0);
    th_run_to(r.m, 800 + 125);
    CHECK(r.mti.level[0] == 1 && r.mti.level[1] == 0);

    /* A record with msip = 2 is refused and changes nothing. */
    CoreDevice *d = th_device(r.m, "clint");
    CoreBuf b = { 0 };
    char err[256] = "";
    size_t pos = 0;
    core_state_save(d->ops->state, d->opaque, &b);
    b.data[b.len - 8 - 8 * CORE_MAX_CPUS - 4 * CORE_MAX_CPUS] = 2;
    wr(r.m, CLINT + 4, 0, 4);
    CHECK(core_state_load(d->ops->state, d->opaque, b.data, b.len, &pos, err, sizeof(err)) < 0);
    CHECK(strstr(err, "clint"));
    CHECK(rd(r.m, CLINT + 0, 4) == 0 && rd(r.m, CLINT + 4, 4) == 0);
    core_buf_free(&b);
    free_machine(r.m);
}

/* ---- SiFive test finisher ---- */

static void test_finisher_exit_kinds(void)
{
    CoreMachine *m = new_machine();
    CHECK(hw_sifive_test_create(m, 0x100000) != NULL);
    CHECK(th_device(m, "sifive_test") && th_device(m, "sifive_test")->ops->state == NULL);

    CHECK(rd(m, 0x100000, 4) == 0);
    wr(m, 0x100000, 0x1234, 4);
    CHECK(m->exit_kind == CORE_EXIT_NONE && !(m->attention & CORE_ATTN_EXIT));
    wr(m, 0x100004, 0x5555, 4);          /* only offset 0 acts */
    CHECK(m->exit_kind == CORE_EXIT_NONE);
    wr(m, 0x100000, 0x5555, 4);
    CHECK(m->exit_kind == CORE_EXIT_POWEROFF && m->exit_code == 0);
    CHECK(m->attention & CORE_ATTN_EXIT);
    m->exit_kind = CORE_EXIT_NONE;       /* the first request wins: clear it */
    wr(m, 0x100000, (42u << 16) | 0x3333, 4);
    CHECK(m->exit_kind == CORE_EXIT_FAIL && m->exit_code == 42);
    m->exit_kind = CORE_EXIT_NONE;
    wr(m, 0x100000, 0x7777, 2);
    CHECK(m->exit_kind == CORE_EXIT_RESET);
    free_machine(m);
}

/* ---- core input queue ---- */

static void test_input_queue_round_trip(void)
{
    CoreInput *in = core_input_new(), *other = core_input_new();
    CoreBuf b1 = { 0 }, b2 = { 0 };
    size_t pos = 0;

    CHECK(core_input_serial_rx(in, 1, (const uint8_t *)"queued", 6) == 6);
    CHECK(core_input_pending(in) && core_input_serial_room(in, 1) ==
          CORE_INPUT_QUEUE_SIZE - 6);
    CHECK(th_round_trip(core_input_device_ops.state, in, NULL));

    core_state_save(core_input_device_ops.state, in, &b1);
    CHECK(core_state_load(core_input_device_ops.state, other, b1.data, b1.len,
                          &pos, NULL, 0) == 0);
    core_state_save(core_input_device_ops.state, other, &b2);
    CHECK(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
    CHECK(core_input_pending(other));

    /* A full queue takes only what fits. */
    static uint8_t big[2 * CORE_INPUT_QUEUE_SIZE];
    CHECK(core_input_serial_rx(in, 2, big, sizeof(big)) == CORE_INPUT_QUEUE_SIZE);
    CHECK(core_input_serial_room(in, 2) == 0);

    core_buf_free(&b1);
    core_buf_free(&b2);
    core_input_free(in);
    core_input_free(other);
}

int main(void)
{
    test_uart_reset_values();
    test_uart_tx_and_thre_interrupt();
    test_uart_divisor_latch();
    test_uart_rx_without_fifo();
    test_uart_rx_fifo_and_trigger();
    test_uart_rx_timeout_at_exact_time();
    test_uart_loopback_and_overrun();
    test_uart_state_round_trip();
    test_clint_reset_like_qemu();
    test_clint_timer_fires_at_exact_icount();
    test_clint_32bit_halves();
    test_clint_msip();
    test_clint_state_round_trip();
    test_finisher_exit_kinds();
    test_input_queue_round_trip();
    return check_done("devices");
}
