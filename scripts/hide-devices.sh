#!/usr/bin/env bash
# Runs a command as on a machine that lacks some /dev entries (kvm: a runner without KVM), by
# hiding them in a private mount namespace. Nothing outside changes: not the device, not the
# action's code. Everything under /dev but the named entries stays as it is.
#
#   hide-devices.sh NAME... -- CMD...      e.g. hide-devices.sh kvm -- npm test
#
# Needs root (unshare --mount). Works on the host and inside a scripts/nix-world.sh chroot.
set -euo pipefail
names=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do names+=("$1"); shift; done
if [ "${1:-}" != -- ] || [ $# -lt 2 ] || [ ${#names[@]} -eq 0 ]; then
  echo "usage: hide-devices.sh NAME... -- CMD..." >&2
  exit 2
fi
shift
[ "$(id -u)" -eq 0 ] || { echo "hide-devices.sh: needs root for a private mount namespace (run it with sudo)" >&2; exit 2; }

# `--propagation unchanged`, since in a chroot `/` is no mount point and unshare cannot make it
# private. Only /dev is made private in the new namespace, and the empty /dev is stacked on it,
# so neither it nor anything mounted under it propagates back out.
# The old /dev stays reachable through the working directory; `mount -c` keeps the relative
# sources as they are (mount would otherwise canonicalise `pts` to /dev/pts, the new, empty one).
# Device nodes, links and plain folders are copied (one cp: mknod on the new tmpfs, as root);
# the mounts under /dev (pts, shm, ...) and sockets (a copy would not be the listening one) are
# bound.
exec unshare --mount --propagation unchanged -- bash -euc '
  hidden=" $1 " back=$PWD
  shift
  mounts=" $(awk '\''$5 ~ "^/dev/[^/]+$" { sub("^/dev/", "", $5); printf "%s ", $5 }'\'' /proc/self/mountinfo) "
  mount --make-rprivate /dev
  cd /dev
  mount -t tmpfs -o mode=0755,nosuid nix-ci-hidden-devices /dev
  copies=() binds=()
  for entry in * .[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    case "$hidden" in *" $entry "*) continue ;; esac
    case "$mounts" in *" $entry "*) binds+=("$entry"); continue ;; esac
    if [ -S "$entry" ] && [ ! -L "$entry" ]; then binds+=("$entry"); else copies+=("$entry"); fi
  done
  [ ${#copies[@]} -eq 0 ] || cp -a -- "${copies[@]}" /dev/
  for entry in "${binds[@]}"; do
    if [ -d "$entry" ]; then mkdir "/dev/$entry"; else touch "/dev/$entry"; fi
    mount -c --rbind "$entry" "/dev/$entry"
  done
  for name in $hidden; do
    [ ! -e "/dev/$name" ] || { echo "hide-devices.sh: /dev/$name is still there" >&2; exit 1; }
  done
  cd "$back"
  exec "$@"
' hide-devices "${names[*]}" "$@"
