# gdb settings for debugging under rewind (docs/reverse-debugging.md).
# Load it with `gdb -x docs/rewind.gdb ...` or `source` it from ~/.gdbinit.

# `monitor goto ICOUNT` moves the machine while gdb believes it is stopped,
# and gdb keeps the registers it read before: nothing in the remote
# protocol lets a stub tell gdb that they changed during a monitor
# command. This hook makes gdb read them again after every `monitor`.
define hookpost-monitor
  maintenance flush register-cache
end
