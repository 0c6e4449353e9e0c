#!/bin/sh
# shellcheck disable=SC2013,SC2015
# rewind guest kit: disk test baked into rootfs.ext4 as /etc/rewind-disk-test.sh.
# Boot 1 (rewind.disk=write): writes /root/rewind-disk-data (1 MiB of a fixed
# pattern plus its sha256), syncs; boot 2 (rewind.disk=read): reads it back
# and compares. Prints "rewind-disk: written SHA" / "rewind-disk: read ok SHA"
# or "rewind-disk: FAILED ..." and exits non-zero on failure.
phase=""
for arg in $(cat /proc/cmdline); do
    case "$arg" in rewind.disk=*) phase=${arg#rewind.disk=} ;; esac
done
f=/root/rewind-disk-data
case "$phase" in
write)
    i=0
    : >"$f.tmp"
    while [ $i -lt 16 ]; do   # 16 x 64 KiB, deterministic content
        yes "rewind-disk-block-$i" | head -c 65536 >>"$f.tmp"
        i=$((i + 1))
    done
    mv "$f.tmp" "$f"
    sha256sum "$f" | cut -d' ' -f1 >"$f.sha256"
    sync
    echo "rewind-disk: written $(cat "$f.sha256")"
    ;;
read)
    [ -r "$f" ] && [ -r "$f.sha256" ] || { echo "rewind-disk: FAILED no $f (was the write boot run?)"; exit 1; }
    s=$(sha256sum "$f" | cut -d' ' -f1)
    if [ "$s" = "$(cat "$f.sha256")" ] && [ "$(wc -c <"$f")" -eq 1048576 ]; then
        echo "rewind-disk: read ok $s"
    else
        echo "rewind-disk: FAILED read $s, want $(cat "$f.sha256")"; exit 1
    fi
    ;;
*)
    echo "rewind-disk: FAILED give rewind.disk=write or rewind.disk=read on the kernel command line"; exit 1 ;;
esac
