/*
 * The accelerator table: what -accel accepts, the default first. core/
 * declares it (core_accel_table in core/machine.h); a new accelerator is
 * a new file here plus one row.
 */
#include "accel/accel.h"

#include <string.h>

const CoreAccel *const core_accel_table[] = {
    &accel_tcg,
    NULL,
};

bool accel_name_supported(const char *name)
{
    for (const CoreAccel *const *a = core_accel_table; *a; a++) {
        if (strcmp((*a)->name, name) == 0) {
            return true;
        }
    }
    return false;
}
