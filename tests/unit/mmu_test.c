/*
 * Sv39 translation (tcg/riscv/mmu.c) of the addresses a Linux kernel
 * lives at: the top half of the address space, whose sign-extended values
 * are negative as int64_t. The canonical-address check must accept them
 * and refuse the addresses whose upper bits do not copy bit 38, without
 * undefined behaviour (a negative value shifted left is undefined in C;
 * UBSan aborts this test in build-asan if the check does that).
 * Privileged spec 10.6 (Sv39), 10.3.2 (virtual address translation).
 *
 * Then the TLB entry a load fills: it takes write permission too (a
 * store needs no walk) only when PMP allows writes to the page and the
 * page is already dirty for every dirty-page client (stores on the fast
 * path are not seen by them).
 */
#include "core/machine.h"
#include "core/mem.h"
#include "tcg/riscv/mem_access.h"
#include "tcg/riscv/rv.h"
#include "tcg/riscv/rv_int.h"
#include "tests/unit/check.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ROOT 0x80100000ull          /* page table root, in RAM */
#define PTE_VRWXAD 0xcfu            /* V R W X A D */
#define CAUSE_LOAD_PAGE_FAULT 13

int main(void)
{
    static const uint32_t loop[] = { 0x0000006f };   /* j . */
    char path[] = "/tmp/rewind-mmu-test-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, loop, sizeof(loop)) != sizeof(loop)) {
        perror("temp kernel");
        return 1;
    }
    close(fd);
    CoreConfig cfg = { .machine = "virt", .cpu = "rv64", .ram_size = 64 << 20,
                       .smp = 1, .bios = "none", .kernel = path,
                       .serial = "null", .icount_shift = 3 };
    CoreMachine *m = core_machine_new(&cfg);
    char err[256];
    if (!m || !core_machine_init(m, err, sizeof(err))) {
        fprintf(stderr, "machine: %s\n", err);
        return 1;
    }
    unlink(path);
    RVCPU *cpu = m->cpus[0];
    /* Root entry 511 (VA 0xffffffffc0000000..): a 1 GiB leaf onto RAM. */
    uint8_t *root = core_mem_host_ptr(m->as, ROOT, 4096);
    memset(root, 0, 4096);
    uint64_t leaf = ((0x80000000ull >> 12) << 10) | PTE_VRWXAD;
    memcpy(root + 511 * 8, &leaf, 8);
    /* PMP entry 0: all of memory, RWX (NAPOT), for S-mode's accesses. */
    cpu->pmpaddr[0] = ~0ull >> 10;
    cpu->pmpcfg[0] = 0x1f;
    cpu->satp = (8ull << 60) | (ROOT >> 12);
    rv_cpu_flush_tlb(cpu);

    struct { uint64_t va; int rc; uint64_t pa; const char *what; } cases[] = {
        { 0xffffffffc0001234ull, 0, 0x80001234ull, "kernel half, mapped" },
        { 0xffffffffc3fffff8ull, 0, 0x83fffff8ull, "kernel half, end of RAM" },
        { 0xffffffff80000000ull, CAUSE_LOAD_PAGE_FAULT, 0, "kernel half, unmapped" },
        { 0xffffffc000000000ull, CAUSE_LOAD_PAGE_FAULT, 0, "lowest canonical high VA" },
        { 0xffffff8000000000ull, CAUSE_LOAD_PAGE_FAULT, 0, "bit 38 clear under ones" },
        { 0x8000000000001234ull, CAUSE_LOAD_PAGE_FAULT, 0, "only bit 63 set" },
        { 0x0000004000000000ull, CAUSE_LOAD_PAGE_FAULT, 0, "bit 38 set under zeros" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gpa_t pa = 0;
        int rc = rv_mmu_translate(cpu, NULL, cases[i].va, RV_ACC_READ, RV_PRIV_S,
                                  &pa, NULL);
        CHECK(rc == cases[i].rc && (rc != 0 || pa == cases[i].pa),
              "%s (va %016" PRIx64 ": rc %d, pa %016" PRIx64 ")",
              cases[i].what, cases[i].va, rc, pa);
    }

    /* A load from S fills the data TLB. */
    cpu->priv = RV_PRIV_S;
    rv_update_tlb_mode(cpu);
    const gva_t va = 0xffffffffc0002000ull;
    const gpa_t pa = 0x80002000ull;
    RVInsn in = { .pc = 0xffffffffc0000000ull, .len = 4 };
    CoreMemRegion *ram = core_mem_find(m->as, pa);
    CoreDirtyClient *client = core_mem_dirty_client_new(m->as, "mmu_test",
                                                        NULL, NULL);
    CHECK(ram && client);
    uint8_t one = 1;
    CHECK(core_mem_write_bytes(m->as, pa, &one, 1));
    core_mem_dirty_clear(client, ram);   /* the page is clean for it */
    rv_cpu_flush_tlb(cpu);
    CHECK(rv_load_slow(cpu, &in, va, 8) == 0 && cpu->load_result == 1);
    CHECK(rv_tlb_entry(cpu->data_tlb, va)->tag_read == va &&
          rv_tlb_entry(cpu->data_tlb, va)->tag_write != va,
          "a load's fill takes no write permission on a clean page");
    CHECK(core_mem_write_bytes(m->as, pa, &one, 1));   /* dirty now */
    rv_cpu_flush_tlb(cpu);
    CHECK(rv_load_slow(cpu, &in, va, 8) == 0);
    CHECK(rv_tlb_entry(cpu->data_tlb, va)->tag_write == va,
          "a load's fill takes write permission on a dirty writable page");
    /* PMP entry 0 read-only: no write permission from a load. */
    cpu->pmpcfg[0] = 0x19;
    rv_cpu_flush_tlb(cpu);
    CHECK(rv_load_slow(cpu, &in, va, 8) == 0);
    CHECK(rv_tlb_entry(cpu->data_tlb, va)->tag_read == va &&
          rv_tlb_entry(cpu->data_tlb, va)->tag_write != va,
          "a load's fill takes no write permission PMP denies");
    core_machine_free(m);
    return check_done("mmu");
}
