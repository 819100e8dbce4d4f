#!/usr/bin/env bash
# Sets up arm64 user-mode emulation (qemu + binfmt_misc) and the arm64 C/C++ runtime libraries that the arm64 Node
# binary and onnxruntime's arm64 library need, so the emulated-Pi test (test/e2e) can run arm64 programs on x86-64.
# Debian only; run as root. Idempotent and quiet: a second run changes nothing and prints nothing but errors.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-arm64-emulation: must run as root (it installs packages and mounts binfmt_misc)" >&2
  exit 1
fi
if [ "$(uname -m)" = "aarch64" ]; then
  exit 0 # native arm64: nothing to emulate
fi

export DEBIAN_FRONTEND=noninteractive
# apt and dpkg are chatty on stderr even with -qq: keep their output and show it only when they fail.
apt_quiet() {
  local log
  log="$(mktemp)"
  if ! apt-get -qq -o=Dpkg::Use-Pty=0 "$@" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

need_host=()
for pkg in qemu-user-static binfmt-support; do
  pkg_installed "$pkg" || need_host+=("$pkg")
done
need_arm=()
for pkg in libc6:arm64 libstdc++6:arm64; do
  pkg_installed "$pkg" || need_arm+=("$pkg")
done

if [ "${#need_host[@]}" -gt 0 ] || [ "${#need_arm[@]}" -gt 0 ]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
  fi
  apt_quiet update
  if [ "${#need_host[@]}" -gt 0 ]; then
    apt_quiet install -y --no-install-recommends "${need_host[@]}"
  fi
  if [ "${#need_arm[@]}" -gt 0 ]; then
    apt_quiet install -y --no-install-recommends "${need_arm[@]}"
  fi
fi

if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  update-binfmts --enable qemu-aarch64 >/dev/null
fi
if ! grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64; then
  echo "setup-arm64-emulation: binfmt entry qemu-aarch64 is present but disabled" >&2
  exit 1
fi
