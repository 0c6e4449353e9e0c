#!/bin/busybox sh
# shellcheck shell=dash disable=SC2013
# rewind guest kit: /init (PID 1) of the busybox initramfs images built by
# scripts/guest-kit.sh. Everything here is busybox; there are no modules.
#
# Mode comes from /etc/rewind-mode (baked in by guest-kit.sh: "test" for
# initrd.gz, "shell" for initrd-shell.gz) and can be overridden on the kernel
# command line:
#   rewind.mode=test|shell      what to do after boot
#   rewind.script=PATH          script run in test mode (default /etc/rewind-test.sh)
# Console protocol (stable, tests grep for it):
#   REWIND-BOOT-OK              printed once userspace is up
#   REWIND-TEST-DONE            test mode: printed after the script finished
# Then the machine powers off (poweroff -f), also when the shell exits.

/bin/busybox mkdir -p /proc /sys /dev /tmp /run /root /bin /sbin /usr/bin /usr/sbin
# /proc first: busybox --install finds itself through /proc/self/exe.
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TERM=vt100

mount -t sysfs sysfs /sys
hostname -F /etc/hostname 2>/dev/null
# Not CONFIG_DEVTMPFS_MOUNT: the kernel only automounts devtmpfs on a real
# root filesystem, never on the initramfs, so mount it here.
mount -t devtmpfs devtmpfs /dev || echo "rewind-init: cannot mount devtmpfs on /dev"
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts 2>/dev/null
# fds 0-2 were opened by the kernel on the initramfs's /dev/console; reopen
# them on devtmpfs's node (also covers the case where the kernel found none).
exec </dev/console >/dev/console 2>&1

mode=$(cat /etc/rewind-mode 2>/dev/null)
script=/etc/rewind-test.sh
for arg in $(cat /proc/cmdline); do
    case "$arg" in
    rewind.mode=*)   mode=${arg#rewind.mode=} ;;
    rewind.script=*) script=${arg#rewind.script=} ;;
    esac
done

echo "REWIND-BOOT-OK"

case "$mode" in
shell)
    echo "rewind-init: interactive shell on the console; 'exit' powers off"
    # cttyhack reopens the real tty behind /dev/console (ttyS0) so the shell
    # gets a controlling terminal and job control (Ctrl-C, Ctrl-Z).
    export PS1='rewind:\w# '
    setsid cttyhack sh -l
    echo "rewind-init: shell exited with status $?"
    ;;
*)
    if [ -r "$script" ]; then
        sh "$script"
        echo "rewind-init: $script exited with status $?"
    else
        echo "rewind-init: no test script $script"
    fi
    echo "REWIND-TEST-DONE"
    ;;
esac

sync
poweroff -f
# Only reached if the kernel has no way to power off.
echo "rewind-init: poweroff failed; halting"
while :; do sleep 3600; done
