#!/usr/bin/env bash
# Install everything rewind needs to build and test on Debian 12, as root.
# Idempotent: packages already present are left alone; apt-get update runs
# only when something is missing.
set -euo pipefail

packages=(
  meson ninja-build pkg-config gcc libc6-dev
  libzstd-dev libsqlite3-dev libreadline-dev libglib2.0-dev libslirp-dev
  libcapstone-dev libfdt-dev device-tree-compiler
  gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf
  gcc-riscv64-linux-gnu linux-libc-dev-riscv64-cross
  qemu-system-misc opensbi gdb-multiarch python3 valgrind
  cpio file debian-archive-keyring ca-certificates iproute2 e2fsprogs xz-utils
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
echo "setup-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
