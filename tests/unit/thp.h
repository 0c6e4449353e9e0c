/*
 * Unit tests of memory placed on transparent huge pages (core/hostmem,
 * the trace writer's buffer): whether this kernel gives them at all.
 */
#ifndef TESTS_UNIT_THP_H
#define TESTS_UNIT_THP_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Whether the kernel gives huge pages to regions marked for them. */
static inline bool thp_madvise_works(void)
{
    char line[128] = "";
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (!f) {
        return false;
    }
    bool ok = fgets(line, sizeof(line), f) && !strstr(line, "[never]");
    fclose(f);
    return ok;
}

#endif
