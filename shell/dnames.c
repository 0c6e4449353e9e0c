/*
 * dnames.c - names for the derived-event index's numbers (dindex.h):
 * RISC-V trap causes (privileged spec 3.1.15, mcause table), the common
 * Linux riscv64 system calls (the asm-generic numbering riscv64 uses) and
 * the SBI extensions (SBI spec v2.0: legacy extensions 0x00-0x08, then
 * EIDs named by their ASCII).
 */
#include "shell/dindex.h"

#include <stddef.h>

const char *sh_dix_cause_name(bool irq, unsigned cause)
{
    static const char *const exc[] = {
        [0] = "insn-misaligned", [1] = "insn-access-fault",
        [2] = "illegal-insn", [3] = "breakpoint", [4] = "load-misaligned",
        [5] = "load-access-fault", [6] = "store-misaligned",
        [7] = "store-access-fault", [8] = "ecall-u", [9] = "ecall-s",
        [11] = "ecall-m", [12] = "insn-page-fault", [13] = "load-page-fault",
        [15] = "store-page-fault",
    };
    static const char *const intr[] = {
        [1] = "ssi", [3] = "msi", [5] = "sti", [7] = "mti", [9] = "sei",
        [11] = "mei",
    };
    const char *n = NULL;
    if (irq && cause < sizeof(intr) / sizeof(intr[0])) {
        n = intr[cause];
    } else if (!irq && cause < sizeof(exc) / sizeof(exc[0])) {
        n = exc[cause];
    }
    return n ? n : "?";
}

typedef struct Syscall {
    unsigned nr;
    const char *name;
    unsigned nargs;
} Syscall;

/* Sorted by number. */
static const Syscall syscalls[] = {
    { 17, "getcwd", 2 }, { 19, "eventfd2", 2 }, { 20, "epoll_create1", 1 },
    { 21, "epoll_ctl", 4 }, { 22, "epoll_pwait", 6 }, { 23, "dup", 1 },
    { 24, "dup3", 3 }, { 25, "fcntl", 3 }, { 29, "ioctl", 3 },
    { 33, "mknodat", 4 }, { 34, "mkdirat", 3 }, { 35, "unlinkat", 3 },
    { 36, "symlinkat", 3 }, { 37, "linkat", 5 }, { 38, "renameat", 4 },
    { 39, "umount2", 2 }, { 40, "mount", 5 }, { 43, "statfs", 2 },
    { 44, "fstatfs", 2 }, { 46, "ftruncate", 2 }, { 48, "faccessat", 3 },
    { 49, "chdir", 1 }, { 50, "fchdir", 1 }, { 51, "chroot", 1 },
    { 53, "fchmodat", 3 }, { 54, "fchownat", 5 }, { 56, "openat", 4 },
    { 57, "close", 1 }, { 59, "pipe2", 2 }, { 61, "getdents64", 3 },
    { 62, "lseek", 3 }, { 63, "read", 3 }, { 64, "write", 3 },
    { 65, "readv", 3 }, { 66, "writev", 3 }, { 67, "pread64", 4 },
    { 68, "pwrite64", 4 }, { 71, "sendfile", 4 }, { 72, "pselect6", 6 },
    { 73, "ppoll", 5 }, { 78, "readlinkat", 4 }, { 79, "newfstatat", 4 },
    { 80, "fstat", 2 }, { 81, "sync", 0 }, { 82, "fsync", 1 },
    { 88, "utimensat", 4 }, { 93, "exit", 1 }, { 94, "exit_group", 1 },
    { 95, "waitid", 5 }, { 96, "set_tid_address", 1 }, { 98, "futex", 6 },
    { 99, "set_robust_list", 2 }, { 101, "nanosleep", 2 },
    { 102, "getitimer", 2 }, { 103, "setitimer", 3 },
    { 113, "clock_gettime", 2 }, { 114, "clock_getres", 2 },
    { 115, "clock_nanosleep", 4 }, { 124, "sched_yield", 0 },
    { 129, "kill", 2 }, { 130, "tkill", 2 }, { 131, "tgkill", 3 },
    { 132, "sigaltstack", 2 }, { 133, "rt_sigsuspend", 2 },
    { 134, "rt_sigaction", 4 }, { 135, "rt_sigprocmask", 4 },
    { 137, "rt_sigtimedwait", 4 }, { 139, "rt_sigreturn", 0 },
    { 142, "reboot", 4 }, { 144, "setgid", 1 }, { 146, "setuid", 1 },
    { 153, "times", 1 }, { 154, "setpgid", 2 }, { 155, "getpgid", 1 },
    { 157, "setsid", 0 }, { 160, "uname", 1 }, { 161, "sethostname", 2 },
    { 163, "getrlimit", 2 }, { 164, "setrlimit", 2 }, { 165, "getrusage", 2 },
    { 166, "umask", 1 }, { 167, "prctl", 5 }, { 169, "gettimeofday", 2 },
    { 170, "settimeofday", 2 }, { 172, "getpid", 0 }, { 173, "getppid", 0 },
    { 174, "getuid", 0 }, { 175, "geteuid", 0 }, { 176, "getgid", 0 },
    { 177, "getegid", 0 }, { 178, "gettid", 0 }, { 179, "sysinfo", 1 },
    { 198, "socket", 3 }, { 199, "socketpair", 4 }, { 200, "bind", 3 },
    { 201, "listen", 2 }, { 202, "accept", 3 }, { 203, "connect", 3 },
    { 204, "getsockname", 3 }, { 205, "getpeername", 3 },
    { 206, "sendto", 6 }, { 207, "recvfrom", 6 }, { 208, "setsockopt", 5 },
    { 209, "getsockopt", 5 }, { 210, "shutdown", 2 }, { 211, "sendmsg", 3 },
    { 212, "recvmsg", 3 }, { 214, "brk", 1 }, { 215, "munmap", 2 },
    { 216, "mremap", 5 }, { 220, "clone", 5 }, { 221, "execve", 3 },
    { 222, "mmap", 6 }, { 226, "mprotect", 3 }, { 233, "madvise", 3 },
    { 242, "accept4", 4 }, { 258, "riscv_hwprobe", 5 },
    { 259, "riscv_flush_icache", 3 }, { 260, "wait4", 4 },
    { 261, "prlimit64", 4 }, { 276, "renameat2", 5 },
    { 278, "getrandom", 3 }, { 281, "execveat", 5 }, { 291, "statx", 5 },
    { 435, "clone3", 2 },
};

const char *sh_dix_syscall_name(uint64_t nr, unsigned *nargs)
{
    size_t lo = 0, hi = sizeof(syscalls) / sizeof(syscalls[0]);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (syscalls[mid].nr == nr) {
            if (nargs) {
                *nargs = syscalls[mid].nargs;
            }
            return syscalls[mid].name;
        }
        if (syscalls[mid].nr < nr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (nargs) {
        *nargs = 6;
    }
    return NULL;
}

const char *sh_dix_sbi_name(uint64_t eid)
{
    static const struct {
        uint64_t eid;
        const char *name;
    } sbi[] = {
        { 0x00, "legacy set_timer" }, { 0x01, "legacy console_putchar" },
        { 0x02, "legacy console_getchar" }, { 0x03, "legacy clear_ipi" },
        { 0x04, "legacy send_ipi" }, { 0x05, "legacy remote_fence_i" },
        { 0x06, "legacy remote_sfence_vma" },
        { 0x07, "legacy remote_sfence_vma_asid" },
        { 0x08, "legacy shutdown" }, { 0x10, "BASE" },
        { 0x54494D45, "TIME" }, { 0x735049, "IPI" }, { 0x52464E43, "RFNC" },
        { 0x48534D, "HSM" }, { 0x53525354, "SRST" }, { 0x504D55, "PMU" },
        { 0x4442434E, "DBCN" }, { 0x535553, "SUSP" }, { 0x43505043, "CPPC" },
        { 0x4E41434C, "NACL" }, { 0x535441, "STA" },
    };
    for (size_t i = 0; i < sizeof(sbi) / sizeof(sbi[0]); i++) {
        if (sbi[i].eid == eid) {
            return sbi[i].name;
        }
    }
    return NULL;
}
