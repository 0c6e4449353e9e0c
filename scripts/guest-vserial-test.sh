#!/bin/sh
# rewind guest kit: virtio-serial test baked into initrd-virtio.gz and
# rootfs.ext4 as /etc/rewind-vserial-test.sh (tests/linux/vserial_test.py).
# Writes a line to /dev/hvc0 (a virtconsole), then finds the port named
# org.rewind.test in /sys/class/virtio-ports (a virtserialport; busybox has
# no udev for /dev/virtio-ports/NAME), writes a line to it, reads one line
# back from the host and prints it on the console.
port=""
for d in /sys/class/virtio-ports/*; do
    [ "$(cat "$d/name" 2>/dev/null)" = org.rewind.test ] && port=/dev/${d##*/}
done
if [ -c /dev/hvc0 ]; then
    echo "rewind-vserial: hello hvc0" >/dev/hvc0
fi
if [ -z "$port" ]; then
    echo "rewind-vserial: no port named org.rewind.test"
    exit 1
fi
echo "rewind-vserial: org.rewind.test is $port"
exec 3<>"$port"
echo "rewind-vserial: hello host" >&3
read -r line <&3
exec 3>&-
echo "rewind-vserial: host said '$line'"
