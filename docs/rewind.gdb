# gdb settings for debugging under rewind (docs/reverse-debugging.md).
# Load it with `gdb -x docs/rewind.gdb ...` or `source` it from ~/.gdbinit.

# gdb-multiarch takes an ELF without an OS ABI note (bare-metal programs,
# firmware, a Linux kernel) for a GNU/Linux process, and on RISC-V it then
# single-steps with temporary breakpoints and `continue`, which lets every
# other hart run too. With no OS ABI it asks the stub to step the hart
# (vCont;s), and stepi moves exactly that hart by one instruction.
set osabi none

# `monitor goto ICOUNT` moves the machine while gdb believes it is stopped,
# and gdb keeps the registers it read before: nothing in the remote
# protocol lets a stub tell gdb that they changed during a monitor
# command. This hook makes gdb read them again after every `monitor`.
define hookpost-monitor
  maintenance flush register-cache
end
