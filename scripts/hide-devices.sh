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
exec unshare --mount --propagation unchanged -- bash -euc '
  hidden=" $1 " back=$PWD
  shift
  mount --make-rprivate /dev
  cd /dev
  mount -t tmpfs -o mode=0755,nosuid nix-ci-hidden-devices /dev
  for entry in * .[!.]*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    case "$hidden" in *" $entry "*) continue ;; esac
    if [ -L "$entry" ]; then
      cp -P -- "$entry" "/dev/$entry"
    elif [ -d "$entry" ]; then
      mkdir "/dev/$entry"
      mount -c --rbind "$entry" "/dev/$entry"
    else
      touch "/dev/$entry"
      mount -c --bind "$entry" "/dev/$entry"
    fi
  done
  for name in $hidden; do
    [ ! -e "/dev/$name" ] || { echo "hide-devices.sh: /dev/$name is still there" >&2; exit 1; }
  done
  cd "$back"
  exec "$@"
' hide-devices "${names[*]}" "$@"
