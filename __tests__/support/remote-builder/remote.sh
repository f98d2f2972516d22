#!/usr/bin/env bash
# A second machine for the remote-build tests: Debian's sshd in front of its own, empty Nix store.
#
#   remote.sh ROOT STATE
#
# ROOT is the system the remote runs: a nix-world chroot (another Nix version than the tests') or
# `/` when the tests already run inside one. STATE holds what makes it a machine of its own: the
# sshd config and keys (seen as /tmp inside), its nix.conf (as /etc/nix) and its store (as /nix).
# Everything runs in private mount and PID namespaces: the mounts are visible to this remote only
# (other runs' chroot mounts are not touched, nor hidden), and killing this script's process ends
# sshd and every session and build it started, which is how a test drops the connection mid-build.
set -euo pipefail
root=$1 state=$2
[ -x "$root/usr/sbin/sshd" ] || { echo "remote.sh: no sshd in $root (openssh-server is part of scripts/nix-world.sh's chroots)" >&2; exit 1; }
# The mount commands are the ones from outside, before chroot: the chroot may not have util-linux.
# Inside a chroot `/` is no mount point: it cannot be made private, and the kernel refuses a user
# namespace to a chrooted process, so this remote cannot keep its mounts to itself there: refuse.
# (scripts/nix-world.sh stamps the root of each chroot it makes.)
if [ "$root" = / ] && [ -f /.nix-world-stamp ]; then
  echo "remote.sh: running inside a chroot, where the remote's private mounts are impossible; run the remote-builder tests on the host" >&2
  exit 1
fi
ns=(--mount --propagation private)
exec setpriv --pdeathsig KILL -- unshare "${ns[@]}" --pid --fork --kill-child=SIGKILL -- bash -euc '
  root=$1 state=$2
  if [ "$root" != / ]; then
    mount --rbind /dev "$root/dev"
    mount --rbind /sys "$root/sys"
  fi
  mount -t proc proc "$root/proc"
  # Build users of its own: Nix kills every process of a build user around each build, and the
  # local Nix (or another run in the same chroot) may use the same uids for its build users.
  awk -F: -v OFS=: '\''/^nixbld[0-9]+:/ { n = substr($1, 7); $3 = 41000 + n; $4 = 41000 } { print }'\'' "$root/etc/passwd" > "$state/passwd"
  awk -F: -v OFS=: '\''$1 == "nixbld" { $3 = 41000 } { print }'\'' "$root/etc/group" > "$state/group"
  mount --bind "$state/passwd" "$root/etc/passwd"
  mount --bind "$state/group" "$root/etc/group"
  mkdir -p "$state/nix" "$state/etc-nix"
  mount --bind "$state/nix" "$root/nix"
  mount --bind "$state/etc-nix" "$root/etc/nix"
  mount -t tmpfs tmpfs "$root/run"
  mkdir -p "$root/run/sshd"
  mount --bind "$state/ssh" "$root/tmp"
  exec chroot "$root" /usr/sbin/sshd -D -e -f /tmp/sshd_config
' remote "$root" "$state"
