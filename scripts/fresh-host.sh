#!/usr/bin/env bash
# Runs a command in a fresh clone of this repository's HEAD on a clean Debian system used as the
# host: a new chroot of SUITE (mmdebstrap's apt variant, plus Debian's nodejs and npm), with
# nothing of the test world in it. How a new user's machine is tried without having one.
#
#   scripts/fresh-host.sh SUITE 'npm run demo && npm test'      (SUITE: bookworm, trixie, sid)
#
# Needs root. The chroot's root is a mount point of its own, as a real host's is (the remote
# builder's `unshare --propagation private` needs that); /proc, /sys and /dev are the host's, so
# binfmt_misc is the kernel's. It is removed afterwards, and kept with KEEP=1.
set -euo pipefail
suite=${1:?usage: fresh-host.sh SUITE COMMAND}
command=${2:?usage: fresh-host.sh SUITE COMMAND}
root=$(cd "$(dirname "$0")/.." && pwd)
host=/var/tmp/nix-ci-fresh-host-$suite
mirror=$(bash "$root/scripts/nix-world.sh" mirror)

unmount_all() {
  local m
  for m in $(awk -v d="$host" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r); do umount -l "$m" 2>/dev/null || true; done
}
remove() {
  unmount_all
  if awk -v d="$host" '$2 == d || index($2, d "/") == 1 { found = 1 } END { exit !found }' /proc/self/mounts; then
    echo "fresh-host: not removing $host: something is still mounted inside it" >&2
    return 1
  fi
  rm -rf -- "$host"
}
[ ! -e "$host" ] || remove
[ "${KEEP:-}" = 1 ] || trap remove EXIT

echo "fresh-host: making a clean $suite system in $host"
mmdebstrap --quiet --variant=apt --include=nodejs,npm,ca-certificates \
  --aptopt='Acquire::Check-Valid-Until "false"' "$suite" "$host" "$mirror"
mount --bind "$host" "$host"
for fs in proc sys dev; do mount --rbind "/$fs" "$host/$fs"; mount --make-rslave "$host/$fs"; done
cp -L /etc/resolv.conf "$host/etc/resolv.conf"
# This machine's CA bundle: the registries are reached through it (the chroot's own lacks its CA).
cp -L /etc/ssl/certs/ca-certificates.crt "$host/etc/ssl/certs/ca-certificates.crt"
[ ! -f /etc/npmrc ] || cp /etc/npmrc "$host/etc/npmrc"
git clone -q "$root" "$host/root/nix-ci"
echo "fresh-host: $(chroot "$host" sh -c '. /etc/os-release; echo "$PRETTY_NAME"'), node $(chroot "$host" node --version), at $(git -C "$root" rev-parse --short HEAD)"
chroot "$host" env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root LANG=C.UTF-8 \
  bash -c 'cd /root/nix-ci && eval "$1"' fresh-host "$command"
