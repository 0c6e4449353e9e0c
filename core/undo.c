/*
 * Restore points with lazily saved pages (see core/undo.h).
 *
 * Invariant: for the newest point N, the bitmap of the undo's dirty-page
 * client (core/mem.h) has a bit for every page whose content at N has been
 * saved in N's log; every other page still holds its content at N. The
 * client's first_write hook saves a page before its first write, so
 * core/mem.c never names this file. Older points' logs hold the content
 * at their time of the pages written before the next point.
 */
#include "core/undo.h"
#include "core/bitmap.h"
#include "core/snapshot.h"

#include <stdlib.h>
#include <string.h>

typedef struct UndoPage {
    CoreMemRegion *r;
    uint64_t page;
    uint8_t data[CORE_PAGE_SIZE];
} UndoPage;

typedef struct UndoPoint {
    uint64_t icount;
    CoreBuf state;
    UndoPage **pages;
    size_t npages, cap;
} UndoPoint;

typedef struct CoreUndo {
    CoreMachine *m;
    CoreDirtyClient *saved;      /* pages whose content at the newest point
                                    is saved (its dirty bitmap) */
    UndoPoint points[CORE_UNDO_MAX_POINTS];
    unsigned first, count;       /* ring of points, oldest first */
} CoreUndo;

static CoreUndo *undo_of(CoreMachine *m)
{
    return m->undo;
}

static UndoPoint *point(CoreUndo *u, unsigned i)
{
    return &u->points[(u->first + i) % CORE_UNDO_MAX_POINTS];
}

static void free_point(UndoPoint *p)
{
    for (size_t i = 0; i < p->npages; i++) {
        free(p->pages[i]);
    }
    free(p->pages);
    core_buf_free(&p->state);
    memset(p, 0, sizeof(*p));
}

/* Start a new "saved" epoch: clear the bitmaps and make CPUs fault on
   their next write to any page. */
static void new_epoch(CoreMachine *m, CoreUndo *u)
{
    for (size_t i = 0; i < core_mem_region_count(m->as); i++) {
        CoreMemRegion *r = core_mem_region(m->as, i);
        if (r->kind == CORE_MEM_RAM) {
            core_mem_dirty_clear(u->saved, r);
        }
    }
    core_mem_write_protect_all(m->as);
}

/* First write to a page since the newest point: keep its content. */
static void save_page(void *opaque, CoreMemRegion *r, uint64_t page)
{
    CoreUndo *u = opaque;
    if (u->count == 0) {
        return;
    }
    UndoPoint *p = point(u, u->count - 1);
    if (p->npages == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 64;
        p->pages = realloc(p->pages, p->cap * sizeof(UndoPage *));
    }
    UndoPage *pg = malloc(sizeof(*pg));
    pg->r = r;
    pg->page = page;
    memcpy(pg->data, core_mem_page_host(r, page), CORE_PAGE_SIZE);
    p->pages[p->npages++] = pg;
}

void core_undo_point(CoreMachine *m)
{
    CoreUndo *u = undo_of(m);
    if (!u) {
        u = calloc(1, sizeof(*u));
        u->m = m;
        u->saved = core_mem_dirty_client_new(m->as, "restore-points",
                                             save_page, u);
        if (!u->saved) {
            free(u);
            return;   /* no slot or no memory: no restore points */
        }
        m->undo = u;
    }
    if (u->count == CORE_UNDO_MAX_POINTS) {
        free_point(point(u, 0));
        u->first = (u->first + 1) % CORE_UNDO_MAX_POINTS;
        u->count--;
    }
    UndoPoint *p = point(u, u->count++);
    memset(p, 0, sizeof(*p));
    p->icount = m->icount;
    core_snapshot_save_state(m, &p->state);
    new_epoch(m, u);
}

bool core_undo_restore(CoreMachine *m, uint64_t icount, uint64_t *at)
{
    CoreUndo *u = undo_of(m);
    if (!u || u->count == 0 || icount > m->icount) {
        return false;
    }
    int j = (int)u->count - 1;
    while (j >= 0 && point(u, (unsigned)j)->icount > icount) {
        j--;
    }
    if (j < 0) {
        return false;
    }
    /* Newest first, so the oldest saved content of a page wins. */
    for (int k = (int)u->count - 1; k >= j; k--) {
        UndoPoint *p = point(u, (unsigned)k);
        for (size_t i = p->npages; i-- > 0;) {
            UndoPage *pg = p->pages[i];
            gpa_t addr = core_mem_page_addr(pg->r, pg->page);
            memcpy(core_mem_page_host(pg->r, pg->page), pg->data,
                   CORE_PAGE_SIZE);
            core_mem_dirty_set(pg->r, pg->page, u->saved);
            core_mem_notify_write(m->as, pg->r, addr, CORE_PAGE_SIZE);
        }
    }
    UndoPoint *target = point(u, (unsigned)j);
    char err[256];
    if (core_snapshot_load_state(m, target->state.data, target->state.len,
                                 err, sizeof(err)) != 0) {
        core_undo_clear(m);
        return false;
    }
    *at = target->icount;
    /* Point j stays, with an empty log: RAM now holds its content. */
    for (int k = (int)u->count - 1; k > j; k--) {
        free_point(point(u, (unsigned)k));
    }
    u->count = (unsigned)j + 1;
    for (size_t i = 0; i < target->npages; i++) {
        free(target->pages[i]);
    }
    target->npages = 0;
    new_epoch(m, u);
    return true;
}

void core_undo_clear(CoreMachine *m)
{
    CoreUndo *u = undo_of(m);
    if (!u) {
        return;
    }
    for (unsigned i = 0; i < u->count; i++) {
        free_point(point(u, i));
    }
    core_mem_dirty_client_free(u->saved);
    free(u);
    m->undo = NULL;
}
