#!/usr/bin/env bash
# rewind guest kit: a Debian riscv64 Linux kernel plus two busybox initramfs
# images, for booting Linux on rewind (and on QEMU, the reference).
#
# Packages come from Debian 13 "trixie" riscv64 through apt with a private
# configuration (own sources.list, lists, cache and an empty dpkg status under
# the cache dir): the host's apt setup is neither read for packages nor
# changed. See usage() for the outputs.
set -euo pipefail

SUITE=trixie
MIRROR=${REWIND_KIT_MIRROR:-http://deb.debian.org/debian}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
KERNEL_META=linux-image-riscv64
BUSYBOX_PKG=busybox-static

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
INIT_TEMPLATE="$REPO_ROOT/scripts/initramfs-init.sh"
VIRTIO_INIT="$REPO_ROOT/scripts/initramfs-virtio.sh"
UDHCPC_SCRIPT="$REPO_ROOT/scripts/udhcpc-default.script"
DISK_TEST="$REPO_ROOT/scripts/guest-disk-test.sh"
VIRTIO_TEST="$REPO_ROOT/scripts/guest-virtio-test.sh"
VSERIAL_TEST="$REPO_ROOT/scripts/guest-vserial-test.sh"
# Modules initrd-virtio.gz loads (with what they depend on, from each module's
# "depends=" field); built-in ones (modules.builtin) are skipped. ext4 finds
# crc32c through the crypto API (no "depends=" on it), hence crc32c_generic.
VIRTIO_MODULES="virtio_mmio virtio_blk virtio_net virtio-rng virtio_console ext4 crc32c_generic"
VIRTIO_MODULES+=" ${REWIND_KIT_EXTRA_MODULES:-}"
ROOTFS_SIZE=64M
# Fixed UUID and directory hash seed of rootfs.ext4 (reproducible image).
ROOTFS_UUID=7265776e-642d-6b69-742d-726f6f746673
CACHE=${REWIND_KIT_CACHE:-$HOME/.cache/rewind/guest-kit}
OUT=${REWIND_KIT_DIR:-build/guest-kit}
case "$OUT" in /*) ;; *) OUT="$REPO_ROOT/$OUT" ;; esac
EPOCH=${SOURCE_DATE_EPOCH:-0}   # mtime of every file in the initramfs images

usage() {
    cat <<EOF
usage: scripts/guest-kit.sh [--update] [--script FILE] [--check] [--help]

Builds the Linux guest kit for rewind into \$REWIND_KIT_DIR
(default build/guest-kit, relative to the repo root):
  Image            raw RISC-V Linux kernel Image (QEMU/rewind -kernel)
  initrd.gz        busybox initramfs: prints REWIND-BOOT-OK, runs the baked
                   /etc/rewind-test.sh, prints REWIND-TEST-DONE, powers off
  initrd-shell.gz  busybox initramfs: prints REWIND-BOOT-OK, interactive shell
                   on the console (ttyS0), powers off when the shell exits
  initrd-virtio.gz busybox initramfs with the virtio/ext4 kernel modules:
                   loads them, then with root=/dev/vda mounts that ext4 disk
                   and switch_roots into it, else runs like initrd.gz
  rootfs.ext4      $ROOTFS_SIZE ext4 root filesystem (sparse, made without root
                   privileges): busybox, the same /init and test modes as
                   initrd.gz, /etc/rewind-disk-test.sh (rewind.disk=write|read)
                   and /etc/rewind-virtio-test.sh (DHCP on eth0, /dev/hwrng)
  kit.env          package versions and sha256 of every file

Kernel (the package $KERNEL_META depends on) and $BUSYBOX_PKG come
from Debian $SUITE riscv64, downloaded with apt into \$REWIND_KIT_CACHE
(default ~/.cache/rewind/guest-kit). Once cached, a run does no network
access. Boot it with:
  qemu-system-riscv64 -M virt -m 512M -nographic -bios default \\
    -kernel build/guest-kit/Image -initrd build/guest-kit/initrd.gz \\
    -append console=ttyS0
Root on virtio-blk (boot twice: rewind.disk=write, then rewind.disk=read):
  cp build/guest-kit/rootfs.ext4 disk.img
  qemu-system-riscv64 -M virt -m 512M -nographic -bios default \
    -kernel build/guest-kit/Image -initrd build/guest-kit/initrd-virtio.gz \
    -drive file=disk.img,format=raw,if=none,id=d0 \
    -device virtio-blk-device,drive=d0 \
    -append "console=ttyS0 root=/dev/vda rewind.script=/etc/rewind-disk-test.sh rewind.disk=write"

Environment: REWIND_KIT_DIR, REWIND_KIT_CACHE, REWIND_KIT_MIRROR (default
$MIRROR), SOURCE_DATE_EPOCH (file times in the images; default 0),
REWIND_KIT_EXTRA_MODULES (more module names for initrd-virtio.gz; their
dependencies come along).
The images are byte-for-byte reproducible from the same packages.

Kernel command line knobs read by /init:
  rewind.mode=test|shell   override the image's mode
  rewind.script=PATH       script to run in test mode
  root=DEV, rewind.root=DEV  initrd-virtio.gz: mount DEV (e.g. /dev/vda) and
                           switch_root into it (rootfstype=, default ext4)
  rewind.disk=write|read   phase of /etc/rewind-disk-test.sh

options:
  --update       refresh the package lists and fetch newer packages if any
  --script FILE  bake FILE as /etc/rewind-test.sh instead of the default
  --status       build nothing: exit 0 if the kit is up to date (a run
                 would keep it), 1 (saying why) if a run would build it
  --check        afterwards boot the images in qemu-system-riscv64 and
                 check the markers (and that the shell answers); root on
                 virtio-blk (write, then read back on a second boot), and
                 virtio-net (DHCP lease 10.0.2.15) + virtio-rng (/dev/hwrng)
  --help         this text
EOF
}

log() { echo "guest-kit: $*" >&2; }
die() {
    echo "guest-kit: error: $1" >&2
    shift
    for l in "$@"; do echo "guest-kit:   $l" >&2; done
    exit 1
}
need_cmd() { # cmd package
    command -v "$1" >/dev/null 2>&1 && return 0
    die "'$1' not found" "install it: apt-get install $2"
}

UPDATE=0 CHECK=0 STATUS=0 TEST_SCRIPT=""
while [ $# -gt 0 ]; do
    case "$1" in
    --help|-h) usage; exit 0 ;;
    --update) UPDATE=1 ;;
    --check) CHECK=1 ;;
    --status) STATUS=1 ;;
    --script)
        [ $# -ge 2 ] || die "--script needs a file"
        TEST_SCRIPT=$2; shift
        [ -r "$TEST_SCRIPT" ] || die "--script: cannot read $TEST_SCRIPT" ;;
    *) usage >&2; die "unknown argument '$1'" ;;
    esac
    shift
done

for f in "$INIT_TEMPLATE" "$VIRTIO_INIT" "$UDHCPC_SCRIPT" "$DISK_TEST" "$VIRTIO_TEST" "$VSERIAL_TEST"; do
    [ -r "$f" ] || die "missing $f (part of the kit's sources)"
done
for c in dpkg-deb:dpkg cpio:cpio gzip:gzip sha256sum:coreutils file:file xz:xz-utils \
    mke2fs:e2fsprogs debugfs:e2fsprogs flock:util-linux python3:python3; do
    need_cmd "${c%%:*}" "${c#*:}"
done

mkdir -p "$CACHE" "$OUT" || die "cannot create $CACHE or $OUT"
CACHE=$(cd "$CACHE" && pwd)
# Runs at the same time (the Linux tests each make sure of the kit, in
# parallel) take turns: one kit directory is made by one run at a time,
# and the shared cache (downloads, extracted packages) is filled by one
# run at a time; fd 9 and fd 8 hold the locks until the script exits.
exec 9>"$OUT/.lock" && flock 9 || die "cannot lock $OUT/.lock"
exec 8>"$CACHE/.lock" && flock 8 || die "cannot lock $CACHE/.lock"
APTDIR=$CACHE/apt
DEBS=$CACHE/debs
RESOLVED=$CACHE/resolved.env

# ---------------------------------------------------------------- apt ----
# Private apt: APT_CONFIG is read before anything else and points the
# config-parts dir at an empty directory and the main config at /dev/null, so
# nothing from /etc/apt (sources, pinning, hooks like Post-Invoke) applies.
# Only an HTTP proxy configured on the host is carried over.
setup_apt() {
    need_cmd apt-get apt
    if [ ! -r "$KEYRING" ]; then
        log "installing debian-archive-keyring (for $KEYRING)"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo=sudo
        $sudo apt-get install -y -q debian-archive-keyring >&2 ||
            die "cannot install debian-archive-keyring" \
                "run: apt-get update && apt-get install debian-archive-keyring"
        [ -r "$KEYRING" ] || die "$KEYRING still missing after installing debian-archive-keyring"
    fi
    mkdir -p "$APTDIR"/{etc/apt.conf.d,etc/preferences.d,state/lists/partial,cache/archives/partial} "$DEBS"
    echo "deb [arch=riscv64 signed-by=$KEYRING] $MIRROR $SUITE main" >"$APTDIR/etc/sources.list"
    : >"$APTDIR/state/status"
    local proxy_http proxy_https
    proxy_http=$(apt-config shell P Acquire::http::Proxy 2>/dev/null | sed -n "s/^P='\(.*\)'$/\1/p" || true)
    proxy_https=$(apt-config shell P Acquire::https::Proxy 2>/dev/null | sed -n "s/^P='\(.*\)'$/\1/p" || true)
    {
        echo "Dir::Etc::Parts \"$APTDIR/etc/apt.conf.d\";"
        echo "Dir::Etc::Main \"/dev/null\";"
        [ -z "$proxy_http" ] || echo "Acquire::http::Proxy \"$proxy_http\";"
        [ -z "$proxy_https" ] || echo "Acquire::https::Proxy \"$proxy_https\";"
    } >"$APTDIR/apt.conf"
    APT_OPTS=(
        -o "Dir::State=$APTDIR/state"
        -o "Dir::State::status=$APTDIR/state/status"
        -o "Dir::Cache=$APTDIR/cache"
        -o "Dir::Etc::SourceList=$APTDIR/etc/sources.list"
        -o "Dir::Etc::SourceParts=-"
        -o "Dir::Etc::Preferences=$APTDIR/etc/preferences"
        -o "Dir::Etc::PreferencesParts=$APTDIR/etc/preferences.d"
        -o "APT::Architecture=riscv64"
        -o "APT::Architectures=riscv64"
        -o "Acquire::Languages=none"
        -o "Acquire::GzipIndexes=true"
        -o "Dir::Cache::pkgcache="
        -o "Dir::Cache::srcpkgcache="
        -o "Acquire::Retries=3"
    )
    # As root, apt drops to user _apt to download, which cannot write into a
    # cache under /root: download as root instead (files are still verified
    # against the signed Release file).
    [ "$(id -u)" -ne 0 ] || APT_OPTS+=(-o "APT::Sandbox::User=root")
}
apt_private() { # apt-get|apt-cache args...
    local tool=$1; shift
    APT_CONFIG="$APTDIR/apt.conf" "$tool" "${APT_OPTS[@]}" "$@"
}
pkg_field() { # pkg field
    apt_private apt-cache show --no-all-versions "$1" | sed -n "s/^$2: //p" | head -n1
}

fetch_packages() {
    setup_apt
    log "updating private package lists ($MIRROR $SUITE main, riscv64)"
    local t0=$SECONDS
    if ! apt_private apt-get -q update >"$CACHE/apt-update.log" 2>&1 ||
        grep -qE '^(W|E): ' "$CACHE/apt-update.log"; then
        cat "$CACHE/apt-update.log" >&2
        die "step 'apt-get update' of $MIRROR $SUITE riscv64 failed (log: $CACHE/apt-update.log)" \
            "a connection error: this step needs network access to $MIRROR" \
            "  (only the first run, or --update, does); test: curl -sI $MIRROR/dists/$SUITE/InRelease" \
            "a NO_PUBKEY/signature error: $KEYRING is too old for $SUITE;" \
            "  upgrade it: apt-get install debian-archive-keyring" \
            "the private apt setup to rerun by hand: APT_CONFIG=$APTDIR/apt.conf apt-get ${APT_OPTS[*]} update"
    fi
    local kpkg
    kpkg=$(apt_private apt-cache depends --important "$KERNEL_META" 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-riscv64\)$/\1/p' | head -n1)
    [ -n "$kpkg" ] || die "cannot resolve $KERNEL_META to a linux-image-<version>-riscv64 package" \
        "see: APT_CONFIG=$APTDIR/apt.conf apt-cache ${APT_OPTS[*]} depends $KERNEL_META"
    local meta_ver kver bver
    meta_ver=$(pkg_field "$KERNEL_META" Version)
    kver=$(pkg_field "$kpkg" Version)
    bver=$(pkg_field "$BUSYBOX_PKG" Version)
    log "resolved $KERNEL_META $meta_ver -> $kpkg $kver; $BUSYBOX_PKG $bver"
    # apt-get download names files PKG_VERSION_ARCH.deb, with ':' as %3a.
    local kdeb="${kpkg}_${kver//:/%3a}_riscv64.deb" bdeb="${BUSYBOX_PKG}_${bver//:/%3a}_riscv64.deb"
    # Reuse a .deb already there only if it matches the index's SHA256.
    local want=() p f
    for p in "$kpkg" "$BUSYBOX_PKG"; do
        f=$kdeb; [ "$p" = "$kpkg" ] || f=$bdeb
        if [ -s "$DEBS/$f" ] && echo "$(pkg_field "$p" SHA256)  $DEBS/$f" | sha256sum -c --status; then
            continue
        fi
        rm -f "$DEBS/$f"
        want+=("$p")
    done
    if [ ${#want[@]} -gt 0 ]; then
        log "downloading ${want[*]} into $DEBS"
        t0=$SECONDS
        (cd "$DEBS" && apt_private apt-get -q download "${want[@]}") >"$CACHE/apt-download.log" 2>&1 || {
            cat "$CACHE/apt-download.log" >&2
            die "step 'apt-get download ${want[*]}' failed (log: $CACHE/apt-download.log)" \
                "rerun the script; a hash mismatch means a broken mirror or proxy"
        }
        log "downloaded in $((SECONDS - t0)) s; packages: $(du -cb "$DEBS/$kdeb" "$DEBS/$bdeb" | tail -n1 | cut -f1) bytes"
    else
        log "packages already downloaded"
    fi
    if [ ! -r "$DEBS/$kdeb" ] || [ ! -r "$DEBS/$bdeb" ]; then
        die "downloaded $kdeb or $bdeb not found in $DEBS (log: $CACHE/apt-download.log)"
    fi
    cat >"$RESOLVED.tmp" <<EOF
KIT_SUITE=$SUITE
KIT_KERNEL_META_VERSION=$meta_ver
KIT_KERNEL_PKG=$kpkg
KIT_KERNEL_PKG_VERSION=$kver
KIT_KERNEL_DEB=$kdeb
KIT_KERNEL_DEB_SHA256=$(sha256sum "$DEBS/$kdeb" | cut -d' ' -f1)
KIT_BUSYBOX_PKG_VERSION=$bver
KIT_BUSYBOX_DEB=$bdeb
KIT_BUSYBOX_DEB_SHA256=$(sha256sum "$DEBS/$bdeb" | cut -d' ' -f1)
EOF
    mv "$RESOLVED.tmp" "$RESOLVED"
}

cache_valid() {
    [ -r "$RESOLVED" ] || return 1
    # shellcheck disable=SC1090
    . "$RESOLVED"
    [ -r "$DEBS/${KIT_KERNEL_DEB:-none}" ] && [ -r "$DEBS/${KIT_BUSYBOX_DEB:-none}" ] || return 1
    echo "$KIT_KERNEL_DEB_SHA256  $DEBS/$KIT_KERNEL_DEB" | sha256sum -c --status || return 1
    echo "$KIT_BUSYBOX_DEB_SHA256  $DEBS/$KIT_BUSYBOX_DEB" | sha256sum -c --status || return 1
}

if [ "$UPDATE" -eq 0 ] && cache_valid; then
    log "using cached packages ($KIT_KERNEL_DEB, $KIT_BUSYBOX_DEB); --update to refresh"
elif [ "$STATUS" -eq 1 ]; then
    log "kit in $OUT is not up to date: the packages are not in the cache $CACHE"
    exit 1
else
    fetch_packages
    cache_valid || die "cache in $CACHE inconsistent right after download; remove it and retry"
fi

# --------------------------------------------------------- up to date ----
# Everything the kit's bytes depend on: the packages (by sha256), this
# script and the files it bakes in, the knobs, the tools that pack the
# images. kit.env records it; when it matches and every file still has the
# sha256 kit.env lists, the kit is the one this run would make again
# (builds are byte-for-byte reproducible) and the run stops here: the
# build (10-30 s on a loaded 2-core machine) then happens once per kit
# directory, not once per test.
inputs_sha256() {
    {
        cat "$RESOLVED"
        sha256sum "${BASH_SOURCE[0]}" "$INIT_TEMPLATE" "$VIRTIO_INIT" "$UDHCPC_SCRIPT" \
            "$DISK_TEST" "$VIRTIO_TEST" "$VSERIAL_TEST" | cut -d' ' -f1
        if [ -n "$TEST_SCRIPT" ]; then sha256sum <"$TEST_SCRIPT"; else echo "default test script"; fi
        echo "modules=$VIRTIO_MODULES epoch=$EPOCH rootfs=$ROOTFS_SIZE"
        mke2fs -V 2>&1; cpio --version | head -n1; gzip --version | head -n1
        xz --version | head -n1
    } | sha256sum | cut -d' ' -f1
}
INPUTS_SHA256=$(inputs_sha256)
kit_up_to_date() { # when not, STALE says why
    STALE="no kit.env"
    [ -r "$OUT/kit.env" ] || return 1
    local want f key
    want=$(sed -n 's/^KIT_INPUTS_SHA256=//p' "$OUT/kit.env")
    STALE="made from other inputs (packages, scripts, knobs or tools)"
    [ "$want" = "$INPUTS_SHA256" ] || return 1
    for f in Image:IMAGE initrd.gz:INITRD initrd-shell.gz:INITRD_SHELL \
        initrd-virtio.gz:INITRD_VIRTIO rootfs.ext4:ROOTFS; do
        key=KIT_${f#*:}_SHA256
        want=$(sed -n "s/^$key=//p" "$OUT/kit.env")
        STALE="${f%%:*} is missing or not the file kit.env lists"
        [ -n "$want" ] && [ -r "$OUT/${f%%:*}" ] || return 1
        echo "$want  $OUT/${f%%:*}" | sha256sum -c --status || return 1
    done
}
if [ "$STATUS" -eq 1 ]; then
    kit_up_to_date || { log "kit in $OUT is not up to date: $STALE"; exit 1; }
    log "kit in $OUT is up to date"
    exit 0
fi
if [ "$CHECK" -eq 0 ] && kit_up_to_date; then
    log "kit in $OUT is up to date (same packages, scripts and tools; every file as kit.env lists it)"
    exit 0
fi

# ------------------------------------------------------------ extract ----
extract() { # deb [member...] -> prints dir; members: only those (tar globs)
    # EXTRACT_TAG: a separate cached dir for another set of members.
    local deb=$1 dir="$CACHE/extract/${1%.deb}${EXTRACT_TAG:-}"
    shift
    if [ ! -e "$dir/.done" ]; then
        rm -rf "$dir"
        mkdir -p "$dir"
        if [ $# -eq 0 ]; then
            dpkg-deb -x "$DEBS/$deb" "$dir"
        else
            dpkg-deb --fsys-tarfile "$DEBS/$deb" | tar -x -C "$dir" --wildcards "$@"
        fi || die "cannot extract $DEBS/$deb (corrupt download? delete it and rerun)"
        touch "$dir/.done"
    fi
    echo "$dir"
}
# initrd.gz carries no modules: everything the virt machine needs for a
# console, interrupts, RTC and power-off is built in (=y) in Debian's config.
KDIR=$(extract "$KIT_KERNEL_DEB" './boot/*')
BDIR=$(extract "$KIT_BUSYBOX_DEB")

# The kernel: Debian's riscv64 package ships boot/vmlinux-* or boot/vmlinuz-*;
# produce the raw Image (header magic "RISCV\0\0\0" at 0x30, "RSC\x05" at
# 0x38), decompressing when needed.
kimg=""
for f in "$KDIR"/boot/vmlinu[xz]-*; do [ -e "$f" ] && kimg=$f && break; done
[ -n "$kimg" ] || die "no boot/vmlinux-* or boot/vmlinuz-* in $KIT_KERNEL_DEB"
KRELEASE=${kimg##*/vmlinu?-}
kconfig="$KDIR/boot/config-$KRELEASE"
is_image() { # file: RISC-V Image header?
    [ "$(od -An -tx1 -j48 -N12 "$1" | tr -d ' \n')" = "524953435600000052534305" ]
}
IMAGE_TMP="$OUT/.Image.tmp"
case "$(file -b "$kimg")" in
*gzip*) gzip -dc "$kimg" >"$IMAGE_TMP" ;;
*zstd* | *Zstandard*) need_cmd zstd zstd; zstd -dcq "$kimg" >"$IMAGE_TMP" ;;
*XZ*) xz -dc "$kimg" >"$IMAGE_TMP" ;;
*) cp "$kimg" "$IMAGE_TMP" ;;
esac
is_image "$IMAGE_TMP" || die "$kimg ($(file -b "$kimg")) is not a RISC-V Image" \
    "expected 'RISCV\\0\\0\\0' at 0x30 and 'RSC\\x05' at 0x38; header:" \
    "$(head -c 64 "$IMAGE_TMP" | od -Ax -tx1 | head -n4 | tr '\n' ' ')"

# Drivers the virt machine needs without modules (the initramfs has none).
if [ -r "$kconfig" ]; then
    for opt in SERIAL_8250 SERIAL_8250_CONSOLE SERIAL_OF_PLATFORM SIFIVE_PLIC DEVTMPFS; do
        grep -q "^CONFIG_$opt=y" "$kconfig" ||
            log "warning: CONFIG_$opt is not built in ($(grep -E "^(# )?CONFIG_${opt}[= ]" "$kconfig" || echo unset)); the console may not work"
    done
fi

# ---------------------------------------------------------- initramfs ----
bb="$BDIR/usr/bin/busybox"   # trixie is merged-/usr; older releases: bin/
[ -x "$bb" ] || bb="$BDIR/bin/busybox"
[ -x "$bb" ] || die "no usr/bin/busybox or bin/busybox in $KIT_BUSYBOX_DEB"
grep -aq 'cttyhack' "$bb" || log "warning: busybox has no cttyhack applet; the shell has no job control"

default_test_script() {
    cat <<'EOF'
#!/bin/sh
# rewind default guest test (baked into initrd.gz as /etc/rewind-test.sh).
echo "rewind-test: start"
uname -a
cat /proc/cpuinfo
dmesg | tail -n 5
i=0 s=0
while [ $i -lt 2000 ]; do
    i=$((i + 1))
    s=$((s + i * i))
done
if [ "$s" = 2668667000 ]; then
    echo "rewind-test: compute ok sum=$s"
else
    echo "rewind-test: compute WRONG sum=$s (want 2668667000)"
    exit 1
fi
EOF
}

# newc header for one entry without data (directory or device node).
newc_entry() { # name mode(octal) rdevmajor rdevminor ino
    local name=$1 namesize=$((${#1} + 1))
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        "$5" "$((8#$2))" 0 0 1 "$EPOCH" 0 0 0 "$3" "$4" "$namesize" 0
    printf '%s\0' "$name"
    local pad=$(((4 - (110 + namesize) % 4) % 4))
    [ "$pad" -eq 0 ] || head -c "$pad" /dev/zero
}

fill_root() { # root mode: the files initrd.gz, initrd-virtio.gz and rootfs.ext4 share
    local root=$1 mode=$2
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root}
    cp "$bb" "$root/bin/busybox"
    ln -s busybox "$root/bin/sh"
    cp "$INIT_TEMPLATE" "$root/init"
    echo "$mode" >"$root/etc/rewind-mode"
    if [ -n "$TEST_SCRIPT" ]; then cp "$TEST_SCRIPT" "$root/etc/rewind-test.sh"
    else default_test_script >"$root/etc/rewind-test.sh"; fi
    echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
    echo "root:x:0:" >"$root/etc/group"
    echo "rewind" >"$root/etc/hostname"
}
fix_modes() { # root: fixed modes and mtimes, the images are reproducible
    local root=$1
    find "$root" -type d -exec chmod 0755 {} +
    chmod 1777 "$root/tmp"
    chmod 0700 "$root/root"
    find "$root" -type f -exec chmod 0644 {} +
    chmod 0755 "$root/init" "$root/bin/busybox" "$root/etc/rewind-test.sh"
    find "$root" -name '*.sh' -exec chmod 0755 {} +
    local x
    for x in usr/share/udhcpc/default.script lib/rewind/init; do
        [ ! -e "$root/$x" ] || chmod 0755 "$root/$x"
    done
    find "$root" -exec touch -h -d "@$EPOCH" {} +
}
add_virtio_files() { # root: DHCP event script and the virtio test scripts
    mkdir -p "$1/usr/share/udhcpc"
    cp "$UDHCPC_SCRIPT" "$1/usr/share/udhcpc/default.script"
    cp "$DISK_TEST" "$1/etc/rewind-disk-test.sh"
    cp "$VIRTIO_TEST" "$1/etc/rewind-virtio-test.sh"
    cp "$VSERIAL_TEST" "$1/etc/rewind-vserial-test.sh"
}

build_initrd() { # mode out [virtio]
    local mode=$1 out=$2 root
    root=$(mktemp -d "$OUT/.root.XXXXXX")
    fill_root "$root" "$mode"
    if [ "${3:-}" = virtio ]; then
        add_virtio_files "$root"
        mkdir -p "$root/lib/rewind"
        mv "$root/init" "$root/lib/rewind/init"
        cp "$VIRTIO_INIT" "$root/init"
        mkdir -p "$root/lib/modules"
        cp -r "$MODSTAGE/." "$root/lib/modules/"
    fi
    fix_modes "$root"
    {
        (cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
            cpio --quiet -o -H newc -R 0:0 --reproducible)
        # A second archive (the kernel unpacks concatenated ones) with
        # /dev/console, which cpio cannot make without root. The kernel opens
        # it for /init's stdin/stdout/stderr before /init runs.
        newc_entry dev/console 020600 5 1 900001
        newc_entry TRAILER!!! 0 0 0 0
    } | gzip -n -9 >"$out.tmp"
    rm -rf "$root"
}

install_if_changed() { # tmp final
    if [ -e "$2" ] && cmp -s "$1" "$2"; then rm -f "$1"; else mv "$1" "$2"; fi
}

# ------------------------------------------------------------ modules ----
# Debian's package has no modules.dep (depmod runs at install time), so the
# order comes from each module's .modinfo "depends=" field; modules.builtin
# says which are built in. Modules ship xz-compressed: they are stored
# decompressed, busybox insmod passes the file to init_module() as is.
MDIR=$(EXTRACT_TAG=.modules extract "$KIT_KERNEL_DEB" './usr/lib/modules/*')
flock -u 8   # the cache is only read from here on
MROOT="$MDIR/usr/lib/modules/$KRELEASE"
[ -d "$MROOT" ] || die "no usr/lib/modules/$KRELEASE in $KIT_KERNEL_DEB"
[ -r "$MROOT/modules.builtin" ] || die "no modules.builtin in $KIT_KERNEL_DEB"
modinfo_field() { # ko.xz field
    xz -dc "$1" | tr '\0' '\n' | sed -n "s/^$2=//p"
}
MODSTAGE=$(mktemp -d "$OUT/.modules.XXXXXX")
trap 'rm -rf "$MODSTAGE"' EXIT
declare -A MOD_SEEN=()
MOD_ORDER=() MOD_BUILTIN=()
resolve_module() { # name (- and _ are the same in module names)
    local name=${1//-/_} path dep
    [ -z "${MOD_SEEN[$name]:-}" ] || return 0
    MOD_SEEN[$name]=1
    if tr '-' '_' <"$MROOT/modules.builtin" | grep -q "/$name\.ko\$"; then
        MOD_BUILTIN+=("$name"); return 0
    fi
    path=$(cd "$MROOT" && find kernel -name '*.ko.xz' | LC_ALL=C sort | awk -v n="$name" '
        { b = $0; sub(/.*\//, "", b); sub(/\.ko\.xz$/, "", b); gsub(/-/, "_", b)
          if (b == n && !found) { print; found = 1 } }')
    [ -n "$path" ] || die "kernel module $name: neither built in (modules.builtin) nor a module in $KIT_KERNEL_DEB" \
        "initrd-virtio.gz needs it (VIRTIO_MODULES in $0 or REWIND_KIT_EXTRA_MODULES)"
    for dep in $(modinfo_field "$MROOT/$path" depends | tr ',' ' '); do
        resolve_module "$dep"
    done
    mkdir -p "$MODSTAGE/$(dirname "$path")"
    xz -dc "$MROOT/$path" >"$MODSTAGE/${path%.xz}"
    MOD_ORDER+=("${path%.xz}")
}
for m in $VIRTIO_MODULES; do resolve_module "$m"; done
printf '%s\n' "${MOD_ORDER[@]}" >"$MODSTAGE/load-order"
log "initrd-virtio.gz modules: ${MOD_ORDER[*]##*/}; built in: ${MOD_BUILTIN[*]:-none}"

# ------------------------------------------------------------- rootfs ----
# ext4 made as an ordinary user: mke2fs -d copies a directory in. Inode owners
# and the change/creation times mke2fs takes from the host are then set to
# 0:0 and $EPOCH with debugfs; E2FSPROGS_FAKE_TIME fixes the times of the
# superblock and reserved inodes (e2fsprogs reads 0 as "unset": then 1),
# -U and hash_seed the UUIDs; a private mke2fs.conf keeps the host's
# /etc/mke2fs.conf out.
# busybox's applet names: its sorted, NUL-separated name table starts with
# "[", "[[". /init's "busybox --install -s" links each applet into one of /,
# /bin, /sbin, /usr/bin, /usr/sbin; the rootfs has every link in all four
# bin dirs (and /linuxrc) already, so that call finds them all (EEXIST, no
# message) and writes nothing: the root also works mounted read-only.
busybox_applets() {
    # The first sorted run of at least 50 names from "[", "[[" (the "[" may
    # follow other bytes without a NUL between).
    # awk reads to the end (no exit): tr must not die of SIGPIPE (pipefail).
    tr '\0' '\n' <"$bb" | LC_ALL=C awk '
        done { next }
        on && ($0 !~ /^([a-z0-9_.-]|\[|\])+$/ || $0 <= last) {
            if (n >= 50) { printf "%s", list; done = 1; next }
            on = 0
        }
        on { list = list $0 "\n"; n++; last = $0; next }
        prev ~ /\[$/ && $0 == "[[" { on = 1; list = "[\n[[\n"; n = 2; last = $0 }
        { prev = $0 }'
}
build_rootfs() { # out
    local out=$1 root conf cmds fake=$EPOCH
    [ "$fake" != 0 ] || fake=1
    root=$(mktemp -d "$OUT/.rootfs.XXXXXX")
    fill_root "$root" test
    add_virtio_files "$root"
    mkdir -p "$root"/{mnt,var,lib,usr/share}
    local applets a d
    applets=$(busybox_applets)
    for a in sh mount switch_root udhcpc wget httpd nc sha256sum; do
        printf '%s\n' "$applets" | grep -qx "$a" ||
            die "busybox applet table of $KIT_BUSYBOX_DEB not understood (no '$a' in it)" \
                "the table is read by busybox_applets in $0"
    done
    local links=()
    for a in $applets; do
        for d in bin sbin usr/bin usr/sbin; do
            [ -e "$root/$d/$a" ] || [ -L "$root/$d/$a" ] || links+=("$root/$d/$a")
        done
    done
    # All ~1600 links from one process, in the same order as one `ln -s`
    # each would make them (a fork and exec each were most of the kit's
    # build time: 15-35 s on a loaded 2-core machine).
    python3 -c 'import os, sys
for p in sys.argv[1:]:
    os.symlink("/bin/busybox", p)' "${links[@]}"
    [ ! -L "$root/bin/linuxrc" ] || ln -s /bin/busybox "$root/linuxrc"
    fix_modes "$root"
    conf="$root.conf" cmds="$root.debugfs"
    cat >"$conf" <<EOF
[fs_types]
	ext4 = {
		features = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize
		inode_size = 256
		blocksize = 4096
	}
EOF
    rm -f "$out.tmp"
    truncate -s "$ROOTFS_SIZE" "$out.tmp"
    MKE2FS_CONFIG=$conf E2FSPROGS_FAKE_TIME=$fake mke2fs -q -F -t ext4 -L rewind-root \
        -U "$ROOTFS_UUID" -E "hash_seed=$ROOTFS_UUID,root_owner=0:0,lazy_itable_init=0,nodiscard" \
        -d "$root" "$out.tmp" >"$root.log" 2>&1 ||
        { cat "$root.log" >&2; die "mke2fs -d $root $out.tmp failed"; }
    (cd "$root" && find . | LC_ALL=C sort) | while read -r f; do
        f=${f#.}; [ -n "$f" ] || f=/
        for fld in uid gid ctime crtime atime mtime; do
            case $fld in uid|gid) v=0 ;; *) v="@$EPOCH" ;; esac
            echo "set_inode_field $f $fld $v"
        done
        for fld in ctime_extra crtime_extra atime_extra mtime_extra; do echo "set_inode_field $f $fld 0"; done
    done >"$cmds"
    E2FSPROGS_FAKE_TIME=$fake debugfs -w -f "$cmds" "$out.tmp" >"$root.log" 2>&1 ||
        { cat "$root.log" >&2; die "debugfs on $out.tmp failed"; }
    rm -rf "$root" "$root.conf" "$root.debugfs" "$root.log"
}

build_initrd test "$OUT/initrd.gz"
build_initrd shell "$OUT/initrd-shell.gz"
build_initrd test "$OUT/initrd-virtio.gz" virtio
build_rootfs "$OUT/rootfs.ext4"
rm -rf "$MODSTAGE"
install_if_changed "$IMAGE_TMP" "$OUT/Image"
install_if_changed "$OUT/initrd.gz.tmp" "$OUT/initrd.gz"
install_if_changed "$OUT/initrd-shell.gz.tmp" "$OUT/initrd-shell.gz"
install_if_changed "$OUT/initrd-virtio.gz.tmp" "$OUT/initrd-virtio.gz"
install_if_changed "$OUT/rootfs.ext4.tmp" "$OUT/rootfs.ext4"

sha() { sha256sum "$1" | cut -d' ' -f1; }
{
    echo "# rewind guest kit, made by scripts/guest-kit.sh"
    cat "$RESOLVED"
    echo "KIT_KERNEL_RELEASE=$KRELEASE"
    echo "KIT_KERNEL_FILE=${kimg#"$KDIR"/}"
    echo "KIT_IMAGE_SHA256=$(sha "$OUT/Image")"
    echo "KIT_INITRD_SHA256=$(sha "$OUT/initrd.gz")"
    echo "KIT_INITRD_SHELL_SHA256=$(sha "$OUT/initrd-shell.gz")"
    echo "KIT_INIT_SHA256=$(sha "$INIT_TEMPLATE")"
    echo "KIT_INITRD_VIRTIO_SHA256=$(sha "$OUT/initrd-virtio.gz")"
    echo "KIT_ROOTFS_SHA256=$(sha "$OUT/rootfs.ext4")"
    echo "KIT_ROOTFS_SIZE=$ROOTFS_SIZE"
    echo "KIT_VIRTIO_MODULES=\"${MOD_ORDER[*]##*/}\""
    echo "KIT_BUILTIN_MODULES=\"${MOD_BUILTIN[*]:-}\""
    echo "KIT_SOURCE_DATE_EPOCH=$EPOCH"
    echo "KIT_INPUTS_SHA256=$INPUTS_SHA256"
} >"$OUT/kit.env.tmp"
install_if_changed "$OUT/kit.env.tmp" "$OUT/kit.env"

log "kit ready in $OUT: kernel $KRELEASE ($KIT_KERNEL_PKG_VERSION), busybox $KIT_BUSYBOX_PKG_VERSION"

# -------------------------------------------------------------- check ----
[ "$CHECK" -eq 1 ] || exit 0
need_cmd qemu-system-riscv64 qemu-system-misc
need_cmd python3 python3
log "checking the kit in qemu-system-riscv64"
python3 - "$OUT" <<'EOF'
import os, shutil, subprocess, sys, tempfile, time, select

out = sys.argv[1]

def boot(initrd, smp, send=None, timeout=300, extra=(), append=""):
    """Boot; return (ok, log, timings). send: list of (wait_for, text)."""
    cmd = ["qemu-system-riscv64", "-M", "virt", "-m", "512M", "-smp", str(smp),
           "-nographic", "-bios", "default", "-kernel", f"{out}/Image",
           "-initrd", f"{out}/{initrd}", "-append",
           ("console=ttyS0 " + append).strip()] + list(extra)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    buf, marks, pending = b"", {}, list(send or [])
    while time.monotonic() - t0 < timeout:
        r, _, _ = select.select([p.stdout], [], [], 0.5)
        if r:
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
        for m in (b"REWIND-BOOT-OK", b"REWIND-TEST-DONE"):
            if m in buf and m not in marks:
                marks[m] = time.monotonic() - t0
        while pending and pending[0][0].encode() in buf[buf.find(b"REWIND-BOOT-OK"):] \
                and b"REWIND-BOOT-OK" in buf:
            wait, text = pending.pop(0)
            buf += b"\n[sent %r]\n" % text.encode()
            p.stdin.write(text.encode()); p.stdin.flush()
            time.sleep(0.2)
    else:
        p.kill()
        p.wait()
        return False, buf, marks, None
    rc = p.wait()
    return rc == 0, buf, marks, time.monotonic() - t0

fails = 0
for smp in (1, 4):
    ok, log, marks, total = boot("initrd.gz", smp)
    ok = ok and b"REWIND-BOOT-OK" in marks and b"REWIND-TEST-DONE" in marks \
        and b"compute ok" in log
    print(f"guest-kit: check initrd.gz -smp {smp}: {'ok' if ok else 'FAILED'}; "
          f"boot-ok {marks.get(b'REWIND-BOOT-OK', -1):.1f}s, "
          f"test-done {marks.get(b'REWIND-TEST-DONE', -1):.1f}s, "
          f"poweroff {total if total else -1:.1f}s", file=sys.stderr)
    if not ok:
        fails += 1
        sys.stderr.write(log.decode(errors="replace")[-3000:] + "\n")

ok, log, marks, total = boot("initrd-shell.gz", 1,
                             send=[("rewind:/# ", "echo hi-$((6*7))\n"),
                                   ("hi-42\r\n", "exit\n")])
ok = ok and b"\nhi-42" in log.replace(b"\r", b"")
print(f"guest-kit: check initrd-shell.gz: {'ok' if ok else 'FAILED'}; "
      f"boot-ok {marks.get(b'REWIND-BOOT-OK', -1):.1f}s, poweroff after exit "
      f"{total if total else -1:.1f}s", file=sys.stderr)
if not ok:
    fails += 1
    sys.stderr.write(log.decode(errors="replace")[-3000:] + "\n")

# Root on virtio-blk: a copy of rootfs.ext4 (the kit's image stays pristine),
# written on a first boot and read back on a second; then virtio-net (slirp's
# DHCP gives 10.0.2.15) and virtio-rng (/dev/hwrng) on the same root.
tmp = tempfile.mkdtemp(prefix="guest-kit-check.")
disk = os.path.join(tmp, "disk.img")
shutil.copyfile(f"{out}/rootfs.ext4", disk)
blk = ["-drive", f"file={disk},format=raw,if=none,id=d0",
       "-device", "virtio-blk-device,drive=d0"]
net = ["-netdev", "user,id=n0", "-device", "virtio-net-device,netdev=n0",
       "-device", "virtio-rng-device"]
root = "root=/dev/vda rewind.script="
checks = [
    ("root=/dev/vda write", blk, root + "/etc/rewind-disk-test.sh rewind.disk=write",
     [b"rewind-disk: written "]),
    ("root=/dev/vda read back", blk, root + "/etc/rewind-disk-test.sh rewind.disk=read",
     [b"rewind-disk: read ok "]),
    ("root=/dev/vda + virtio-net + virtio-rng", blk + net, root + "/etc/rewind-virtio-test.sh",
     [b"rewind-net: eth0 10.0.2.15\r\n", b"rewind-rng: read 64 bytes from /dev/hwrng"]),
    ("initramfs + virtio-net + virtio-rng", net, "rewind.script=/etc/rewind-virtio-test.sh",
     [b"rewind-net: eth0 10.0.2.15\r\n", b"rewind-rng: read 64 bytes from /dev/hwrng"]),
]
# The root also works read-only: the applet links are in the image already.
ro = ["-drive", f"file={out}/rootfs.ext4,format=raw,if=none,id=d0,readonly=on",
      "-device", "virtio-blk-device,drive=d0"]
checks.append(("root=/dev/vda read-only (the kit's image)", ro, "root=/dev/vda",
               [b"rewind-test: compute ok"]))
for name, extra, append, want in checks:
    ok, log, marks, total = boot("initrd-virtio.gz", 1, extra=extra, append=append)
    missing = [w for w in want if w not in log]
    ok = ok and b"REWIND-BOOT-OK" in marks and b"REWIND-TEST-DONE" in marks \
        and not missing and b"REWIND-MODULE-ERROR" not in log
    print(f"guest-kit: check initrd-virtio.gz {name}: {'ok' if ok else 'FAILED'}; "
          f"boot-ok {marks.get(b'REWIND-BOOT-OK', -1):.1f}s, "
          f"poweroff {total if total else -1:.1f}s", file=sys.stderr)
    if not ok:
        fails += 1
        print(f"guest-kit:   missing {missing}", file=sys.stderr)
        sys.stderr.write(log.decode(errors="replace")[-3000:] + "\n")
shutil.rmtree(tmp)
sys.exit(1 if fails else 0)
EOF
