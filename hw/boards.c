/*
 * The board table: every machine type -machine accepts, the default
 * first. core/ declares the table (core_board_table in core/machine.h)
 * and looks boards up in it without naming any; a new board is a new
 * folder under hw/ plus one row here.
 */
#include "core/machine.h"
#include "hw/registry.h"
#include "hw/riscv/virt.h"

void hw_boards_describe_device(const char *type, FILE *out)
{
    hw_virt_describe_device(type, out);
}

size_t hw_boards_devices(CoreMachine *m, HwPlacedDevice *out, size_t max)
{
    return hw_virt_devices(m, out, max);
}

const CoreMachineType *const core_board_table[] = {
    &hw_virt_machine_type,
    NULL,
};
