/*
 * observe.h - an observer of a machine's derived events: traps (exceptions
 * and interrupts taken by a hart, system calls among them), device
 * interrupt lines at the interrupt controller, and block requests that a
 * disk completed. The derived-event index
 * (replay/derive.c) is one: it turns them into rows of index.sqlite.
 *
 * Zero cost when unused: m->observer is NULL and the target tests that one
 * pointer on trap entry only (never per instruction), the interrupt
 * controller on a line change or a claim only, a disk once per request. An observer only watches:
 * it must not change guest state, so a run with one is the same run.
 *
 * icount is the machine's exact instruction count when the event happens:
 * for a trap, the instructions retired before it (the trapping instruction
 * at `pc` has not retired; `goto ICOUNT` stops right before the trap).
 */
#ifndef CORE_OBSERVE_H
#define CORE_OBSERVE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct CoreTrapEvent {
    uint64_t icount;
    unsigned hart;
    bool interrupt;          /* asynchronous (cause is the interrupt number) */
    unsigned cause;          /* exception code / interrupt number */
    uint64_t pc;             /* epc: where the trap was taken */
    uint64_t tval;
    unsigned priv_from, priv_to;   /* 0 U, 1 S, 3 M */
    /* A system call instruction (RISC-V: ecall): its number register
       (a7: the Linux syscall number from U, the SBI extension from S) and
       the argument registers (a0..a5; a6 is the SBI function). */
    bool syscall;
    uint64_t nr;
    uint64_t args[7];
} CoreTrapEvent;

typedef enum CoreIrqEventKind {
    CORE_IRQ_LOWER = 0,      /* a device lowered its line */
    CORE_IRQ_RAISE = 1,      /* a device raised its line */
    CORE_IRQ_CLAIM = 2,      /* a context (hart/mode) claimed the source */
    CORE_IRQ_COMPLETE = 3,   /* ...and signalled its completion */
} CoreIrqEventKind;

/* One block request, reported when the device completes it (its status
   is known then). A device-independent description: the device names its
   drive and the operation. */
typedef struct CoreBlkEvent {
    uint64_t icount;         /* completed: status and data went to the guest */
    uint64_t submit_icount;  /* the driver's notify made the device take it */
    const char *drive;       /* the back end's id (-drive id / node-name) */
    const char *op;          /* read, write, flush, get-id, discard,
                                write-zeroes, unsupported, bad-header */
    uint64_t sector;         /* 512-byte sector from the request header */
    uint64_t bytes;          /* data bytes the request carried or asked for */
    unsigned status;         /* as returned to the guest (virtio: 0 OK,
                                1 IOERR, 2 UNSUPP) */
} CoreBlkEvent;

typedef struct CoreObserver {
    void (*trap)(void *opaque, const CoreTrapEvent *ev);
    /* source: the interrupt controller's source number; context: the
       claiming context (-1 for a line change). */
    void (*irq)(void *opaque, uint64_t icount, unsigned source,
                CoreIrqEventKind kind, int context);
    void (*blk)(void *opaque, const CoreBlkEvent *ev);
    void *opaque;
} CoreObserver;

#endif
