/*
 * Interrupt lines: a callback and an opaque pointer, nothing more.
 *
 * A device holds a CoreIrq given to it by the machine and calls
 * core_irq_set(&irq, level). The receiver (a CPU's mip bit, a PLIC source)
 * decides what a level means. A line with no handler is silently unwired.
 */
#ifndef CORE_IRQ_H
#define CORE_IRQ_H

typedef void (*CoreIrqHandler)(void *opaque, int n, int level);

typedef struct CoreIrq {
    CoreIrqHandler handler;
    void *opaque;
    int n;
} CoreIrq;

static inline CoreIrq core_irq_make(CoreIrqHandler handler, void *opaque, int n)
{
    CoreIrq irq = { handler, opaque, n };
    return irq;
}

static inline void core_irq_set(const CoreIrq *irq, int level)
{
    if (irq->handler) {
        irq->handler(irq->opaque, irq->n, level);
    }
}

#endif
