#!/bin/sh
# rewind guest kit: network and entropy test baked into initrd-virtio.gz and
# rootfs.ext4 as /etc/rewind-virtio-test.sh: DHCP on eth0 (slirp hands out
# 10.0.2.15), then 64 bytes from /dev/hwrng (virtio-rng). Prints
# "rewind-net: eth0 ADDR" and "rewind-rng: read N bytes".
ip link set lo up
if [ -e /sys/class/net/eth0 ]; then
    udhcpc -q -n -f -t 5 -T 2 -i eth0 -s /usr/share/udhcpc/default.script
    echo "rewind-net: eth0 $(ip -4 addr show dev eth0 | sed -n 's/.*inet \([0-9.]*\).*/\1/p')"
else
    echo "rewind-net: no eth0"
fi
if [ -c /dev/hwrng ]; then
    n=$(head -c 64 /dev/hwrng | wc -c)
    echo "rewind-rng: read $n bytes from /dev/hwrng ($(cat /sys/class/misc/hw_random/rng_current 2>/dev/null))"
else
    echo "rewind-rng: no /dev/hwrng"
fi
