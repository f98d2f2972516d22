#!/usr/bin/env bash
# A second machine for the remote-build tests: Debian's sshd in front of its own, empty Nix store.
#
#   remote.sh ROOT STATE
#
# ROOT is the system the remote runs: a nix-world chroot (another Nix version than the tests') or
# `/` for the chroot the tests already run inside. STATE holds what makes it a machine of its own: the
# sshd config and keys (seen as /tmp inside), its nix.conf (as /etc/nix) and its store (as /nix).
# Everything runs in private mount and PID namespaces: the mounts are visible to this remote only
# (other runs' chroot mounts are not touched, nor hidden), and killing this script's process ends
# sshd and every session and build it started, which is how a test drops the connection mid-build.
set -euo pipefail
root=$1 state=$2
[ -x "$root/usr/sbin/sshd" ] || { echo "remote.sh: no sshd in $root (openssh-server is part of scripts/nix-world.sh's chroots)" >&2; exit 1; }
# The mount commands are the ones from outside, before chroot: the chroot may not have util-linux.
# Inside a nix-world chroot (scripts/nix-world.sh stamps the root of each one) `/` is no mount
# point, so `unshare --propagation private` fails there ("cannot change root filesystem
# propagation: Invalid argument"), and the kernel refuses a user namespace to a chrooted process.
# So the remote starts from the host instead: through /proc/PID/root of a process outside the
# chroot (the host's root, as root sees it), with this chroot's folder there as ROOT and STATE's path there, after checking both are
# really the same files. This script is at the same path on the host (nix-world.sh mounts the
# repository there).
if [ -f /.nix-world-stamp ]; then
  # The nearest ancestor outside this chroot (nix-world.sh's own shell) sees the host's root.
  # (Not /proc/1/root: pid 1 may be off limits even to root, as in a Firecracker VM.)
  pid=$$ host=
  while [ -z "$host" ] && [ "$pid" -gt 1 ]; do
    pid=$(sed 's/^.*) //' "/proc/$pid/stat" | cut -d' ' -f2)
    [ "$(stat -c %d:%i "/proc/$pid/root/" 2>/dev/null)" != "$(stat -c %d:%i /)" ] && [ -d "/proc/$pid/root/proc" ] && host=/proc/$pid/root
  done
  [ -n "$host" ] && [ ! -f "$host/.nix-world-stamp" ] || { echo "remote.sh: inside a chroot, and no ancestor process shows the host's root (is /proc the host's, as nix-world.sh mounts it?)" >&2; exit 1; }
  here=
  for dir in "$host"/var/cache/nix-ci-world/chroots/*/ ${NIX_CI_WORLD:+"$host$NIX_CI_WORLD"/chroots/*/}; do
    [ "$(stat -c %d:%i "$dir" 2>/dev/null)" = "$(stat -c %d:%i /)" ] && here=${dir#"$host"} && here=${here%/} && break
  done
  [ -n "$here" ] || { echo "remote.sh: inside a chroot that is none of nix-world.sh's chroots on the host (set NIX_CI_WORLD to its world folder)" >&2; exit 1; }
  [ "$root" = / ] && root=$here
  for path in "$state" "$0"; do
    there=$host$([ "$path" = "$0" ] || echo "$here")$path
    [ "$(stat -c %d:%i "$there" 2>/dev/null)" = "$(stat -c %d:%i "$path")" ] || { echo "remote.sh: $path is not at $there on the host" >&2; exit 1; }
  done
  exec chroot "$host" bash "$0" "$root" "$here$state"
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
  # A chroot that no Nix has run in yet has no /nix to mount the store on.
  mkdir -p "$state/nix" "$state/etc-nix" "$root/nix"
  mount --bind "$state/nix" "$root/nix"
  mount --bind "$state/etc-nix" "$root/etc/nix"
  mount -t tmpfs tmpfs "$root/run"
  mkdir -p "$root/run/sshd"
  mount --bind "$state/ssh" "$root/tmp"
  exec chroot "$root" /usr/sbin/sshd -D -e -f /tmp/sshd_config
' remote "$root" "$state"
