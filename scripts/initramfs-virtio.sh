#!/bin/busybox sh
# shellcheck shell=dash
# rewind guest kit: /init (PID 1) of initrd-virtio.gz (scripts/guest-kit.sh).
# Stage one of a virtio boot: load the kernel modules that Debian builds as
# modules (virtio_mmio, virtio_blk, virtio_net, virtio-rng, ext4 and what they
# depend on; the list and its order are in /lib/modules/load-order, made by
# guest-kit.sh from the modules' own "depends=" fields), then either
#   root=/dev/vda (or rewind.root=DEV): mount DEV (ext4) and switch_root into
#     it; its /init is scripts/initramfs-init.sh, which runs the test or shell
#     mode (REWIND-BOOT-OK, the script, REWIND-TEST-DONE, power off);
#   no root= : run the same /init (kept as /lib/rewind/init) from the initramfs.
# A module that is missing or fails to load is reported by name and the boot
# stops with REWIND-MODULE-ERROR and a power off: never a silent skip.

bb=/bin/busybox
$bb mkdir -p /proc /sys /dev
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs devtmpfs /dev

fail() {
    $bb echo "rewind-virtio: error: $*"
    $bb echo "REWIND-MODULE-ERROR"
    $bb sync
    $bb poweroff -f
    while :; do $bb sleep 3600; done
}

# Modules: one path (relative to /lib/modules) per line, dependencies first.
[ -r /lib/modules/load-order ] || fail "no /lib/modules/load-order in the initramfs"
while read -r ko; do
    [ -n "$ko" ] || continue
    [ -r "/lib/modules/$ko" ] || fail "module file /lib/modules/$ko missing from the initramfs"
    # Quiet on success; the kernel's own message and insmod's go to the console
    # on failure.
    $bb insmod "/lib/modules/$ko" || fail "cannot load module /lib/modules/$ko (see the messages above)"
done </lib/modules/load-order

root="" fstype=ext4
for arg in $($bb cat /proc/cmdline); do
    case "$arg" in
    root=*)        root=${arg#root=} ;;
    rewind.root=*) root=${arg#rewind.root=} ;;
    rootfstype=*)  fstype=${arg#rootfstype=} ;;
    esac
done

if [ -z "$root" ]; then
    [ -x /lib/rewind/init ] || fail "/lib/rewind/init missing or not executable"
    $bb umount /dev /sys /proc
    exec /lib/rewind/init
fi

# The block device appears once virtio_blk has probed it: wait for the node
# (bounded; the probe runs during insmod, so normally it is already there).
i=0
while [ ! -b "$root" ]; do
    i=$((i + 1))
    [ $i -le 50 ] || fail "root device $root not found (no virtio-blk disk? /proc/partitions: $($bb cat /proc/partitions | $bb tr '\n' ' '))"
    $bb usleep 100000
done
$bb mkdir -p /newroot
$bb mount -t "$fstype" "$root" /newroot || fail "cannot mount $root ($fstype) on /newroot"
[ -x /newroot/init ] || fail "$root has no executable /init"
$bb umount /dev /sys /proc
exec $bb switch_root /newroot /init
