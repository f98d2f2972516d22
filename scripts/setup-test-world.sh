#!/usr/bin/env bash
# Prepares this machine for nix-ci's demo and tests: real Nix, real QEMU user emulation, and
# static busybox builders for the nixpkgs-free fixture flakes. Idempotent: quick when all is there.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
world="$root/.test-world"
say() { printf 'setup-test-world: %s\n' "$*"; }
fail() { printf 'setup-test-world: error: %s\n' "$*" >&2; exit 1; }

# Inside a scripts/nix-world.sh chroot the host has done all of it: packages, binfmt_misc (the
# kernel's, shared) and the builders (in the bind-mounted repository).
if [ -n "${NIX_CI_IN_WORLD:-}" ]; then
  [ -x "$world/builders/x86_64-linux/busybox" ] || fail "run scripts/setup-test-world.sh on the host first"
  say "in the $NIX_CI_IN_WORLD chroot: using the host's test world; nix: $(nix --version)"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
  command -v sudo >/dev/null || fail "not root and no sudo: run this script as root (it installs Debian packages and registers binfmt_misc handlers)"
else
  sudo=
fi

host_deb_arch=$(dpkg --print-architecture 2>/dev/null) || fail "no dpkg: this script needs a Debian or Ubuntu machine (apt-get)"
case "$host_deb_arch" in
  amd64) host_system=x86_64-linux; foreign_deb_arch=arm64; foreign_system=aarch64-linux; foreign_qemu=qemu-aarch64 ;;
  arm64) host_system=aarch64-linux; foreign_deb_arch=amd64; foreign_system=x86_64-linux; foreign_qemu=qemu-x86_64 ;;
  *) fail "unsupported host architecture '$host_deb_arch': the test world needs amd64 or arm64" ;;
esac

# 1. Debian packages.
missing=()
# openssh-client: ssh-keygen and ssh for the remote-builder tests (a minimal Debian lacks them).
packages=(nix-bin qemu-user-static binfmt-support busybox-static git openssh-client)
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || fail "apt-get not found; install these packages by hand: ${missing[*]}"
  say "installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
else
  say "packages present: ${packages[*]}"
fi

# Debian 13's nix-bin leaves the build users to systemd-sysusers: in a container or chroot
# without systemd they never appear, and every build fails on build-users-group.
if ! getent group nixbld >/dev/null; then
  say "creating the nixbld group and build users (no systemd-sysusers here)"
  $sudo groupadd --system nixbld
  for i in 1 2 3 4 5 6 7 8; do
    id "nixbld$i" >/dev/null 2>&1 || $sudo useradd --system --no-create-home --home-dir /var/empty \
      --shell /usr/sbin/nologin --gid nixbld --groups nixbld "nixbld$i"
  done
fi

# 2. binfmt_misc with the F (fix-binary) flag, so QEMU runs inside the Nix sandbox.
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
  say "mounting binfmt_misc"
  $sudo mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || fail "cannot mount binfmt_misc (a container without CAP_SYS_ADMIN?): run on a VM or a privileged container"
fi
handler=/proc/sys/fs/binfmt_misc/$foreign_qemu
binfmt_conf=/usr/lib/binfmt.d/$foreign_qemu.conf
if [ ! -e "$handler" ] && [ ! -e "/var/lib/binfmts/$foreign_qemu" ] && [ -f "$binfmt_conf" ]; then
  # Debian 13's qemu-user-binfmt registers through systemd-binfmt alone, which a container or a
  # chroot never runs: its line goes to the kernel as systemd-binfmt would write it.
  say "registering $foreign_qemu from $binfmt_conf (no systemd-binfmt here)"
  grep '^:' "$binfmt_conf" | $sudo tee /proc/sys/fs/binfmt_misc/register >/dev/null \
    || fail "cannot register $foreign_qemu from $binfmt_conf"
elif [ ! -e "$handler" ] || ! grep -q '^enabled' "$handler"; then
  say "enabling $foreign_qemu"
  $sudo update-binfmts --enable "$foreign_qemu" || fail "update-binfmts could not enable $foreign_qemu"
fi
grep -q '^flags:.*F' "$handler" || fail "$handler lacks the F flag; reinstall qemu-user-static so that it registers with fix-binary"
say "binfmt handler: $handler ($(grep '^flags' "$handler"))"

# 3. Static busybox builders, one per system (fetched, never committed).
install_builder() {
  local system=$1 src=$2
  local dir="$world/builders/$system"
  mkdir -p "$dir"
  if ! cmp -s "$src" "$dir/busybox"; then cp "$src" "$dir/busybox"; chmod 0555 "$dir/busybox"; fi
}
install_builder "$host_system" /bin/busybox
# Debian 12's busybox-static ships bin/busybox, Debian 13's usr/bin/busybox.
foreign_bb_of() { local d="$world/download/$foreign_deb_arch"; for p in "$d/bin/busybox" "$d/usr/bin/busybox"; do [ -x "$p" ] && { echo "$p"; return 0; }; done; return 0; }
foreign_bb=$(foreign_bb_of)
if [ -z "$foreign_bb" ]; then
  say "fetching busybox-static:$foreign_deb_arch"
  dpkg --print-foreign-architectures | grep -qx "$foreign_deb_arch" || { $sudo dpkg --add-architecture "$foreign_deb_arch"; $sudo apt-get update -qq; }
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq "busybox-static:$foreign_deb_arch" 2>/dev/null) \
    || { $sudo apt-get update -qq; (cd "$tmp" && apt-get download -qq "busybox-static:$foreign_deb_arch"); } \
    || fail "cannot download busybox-static:$foreign_deb_arch from the Debian archive"
  mkdir -p "$world/download/$foreign_deb_arch"
  dpkg-deb -x "$tmp"/busybox-static_*.deb "$world/download/$foreign_deb_arch"
  rm -rf "$tmp"
  foreign_bb=$(foreign_bb_of)
  [ -n "$foreign_bb" ] || fail "busybox-static:$foreign_deb_arch holds no bin/busybox nor usr/bin/busybox"
fi
install_builder "$foreign_system" "$foreign_bb"

# The bundled offline example is read as a path: flake, so its builders sit beside it.
example="$root/examples/mast-offline"
if [ -f "$example/flake.nix" ]; then
  for system in "$host_system" "$foreign_system"; do
    mkdir -p "$example/builders/$system"
    cmp -s "$world/builders/$system/busybox" "$example/builders/$system/busybox" \
      || install -m 0555 "$world/builders/$system/busybox" "$example/builders/$system/busybox"
  done
fi

# 4. Prove the foreign builder really runs under emulation.
got=$("$world/builders/$foreign_system/busybox" uname -m) || fail "the $foreign_system busybox does not run: binfmt handler broken"
say "host $host_system; $foreign_system runs under QEMU (uname -m: $got)"
say "nix: $(nix --version)"
