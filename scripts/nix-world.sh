#!/usr/bin/env bash
# The Nix versions of the test matrix, one per Debian suite: bookworm 2.8, trixie 2.26, sid 2.34.
# The host's own suite runs on the host; every other suite's Nix runs in a chroot made with
# mmdebstrap from the mirror the host's apt already uses, cached between runs.
#
#   nix-world.sh suite-of VERSION          bookworm | trixie | sid (for 2.8 | 2.26 | 2.34)
#   nix-world.sh host-suite                the host's suite
#   nix-world.sh ensure SUITE              make (or reuse) the chroot for SUITE
#   nix-world.sh configure-daemon SUITE USERS [LINES]   a fresh nix.conf: trusted-users = USERS, LINES
#   nix-world.sh on VERSIONS -- CMD...      CMD on each Nix of VERSIONS (host, 2.8, 2.26, 2.34, a
#                                          comma list, or all): on the host for the host's suite,
#                                          in that suite's chroot otherwise
#   nix-world.sh mirror                    the Debian mirror the host's apt uses
#   nix-world.sh remove-world DIR          unmount and remove a whole test world (NIX_CI_WORLD)
#   nix-world.sh run SUITE [--as runner] [--daemon] -- CMD...
#                                          CMD inside SUITE's chroot, the repository at the same path;
#                                          --daemon starts nix-daemon there first (NIX_REMOTE=daemon),
#                                          --as runner runs CMD as the unprivileged `runner` user
#                                          (passwordless sudo, as on GitHub's hosted runners).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
world=${NIX_CI_WORLD:-/var/cache/nix-ci-world}
say() { printf 'nix-world: %s\n' "$*" >&2; }
fail() { printf 'nix-world: error: %s\n' "$*" >&2; exit 1; }

# What every chroot holds. Changing this list remakes the chroots (the stamp includes it).
packages=nix-bin,busybox-static,git,ca-certificates,sudo,libstdc++6,procps,xz-utils,openssh-server,openssh-client
layout=3

suite_of() {
  case "$1" in
    2.8) echo bookworm ;;
    2.26) echo trixie ;;
    2.34) echo sid ;;
    *) fail "no suite for Nix '$1': the matrix is 2.8 (bookworm), 2.26 (trixie), 2.34 (sid)" ;;
  esac
}

host_suite() {
  # shellcheck disable=SC1091
  (. /etc/os-release && echo "${VERSION_CODENAME:-unknown}")
}

# The Debian archive the host's apt uses (deb822 sources or the one-line format).
host_mirror() {
  local uri=''
  if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
    uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' /etc/apt/sources.list.d/*.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '/^deb / && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list)
  fi
  [ -n "$uri" ] || fail "cannot find the Debian mirror in /etc/apt/sources.list{,.d}"
  echo "$uri"
}

ensure() {
  local suite=$1 dir="$world/chroots/$1"
  local stamp="$packages layout=$layout"
  made() { [ -f "$dir/.nix-world-stamp" ] && [ "$(cat "$dir/.nix-world-stamp")" = "$stamp" ]; }
  made && return 0
  # Made once, whoever asks first: a second caller (another jest worker, another run) waits here
  # for the first, then finds it made. The lock is not the run lock ($dir.lock), which a run
  # holds while it uses the chroot.
  mkdir -p "$world/chroots"
  exec 8>"$dir.make.lock"
  flock 8
  if made; then exec 8>&-; return 0; fi
  command -v mmdebstrap >/dev/null || { say "installing mmdebstrap"; apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null; }
  local mirror tmp
  mirror=$(host_mirror)
  # Never seen half made: it is made under another name, stamped, then renamed into place.
  tmp="$dir.tmp"
  umount_all "$tmp"
  rm -rf "$tmp"
  local started=$SECONDS
  say "making the $suite chroot from $mirror (about a minute; cached in $dir)"
  # Snapshot mirrors serve Release files past their Valid-Until date.
  mmdebstrap --quiet --variant=apt --include="$packages" \
    --aptopt='Acquire::Check-Valid-Until "false"' "$suite" "$tmp" "$mirror" >&2 \
    || fail "mmdebstrap $suite failed (is $mirror reachable?)"
  configure "$tmp" "$suite"
  printf '%s' "$stamp" > "$tmp/.nix-world-stamp"
  umount_all "$dir"
  rm -rf "$dir"
  mv "$tmp" "$dir"
  say "made the $suite chroot in $((SECONDS - started)) s"
  exec 8>&-
}

# Debian 13's nix-bin leaves the build users to systemd-sysusers, which a chroot never runs.
# Each suite's build users get uids of their own: before each build Nix kills every process of
# the build user it takes, so a chroot whose nixbld1 had the host's uid killed the host's builds.
uid_base() { case "$1" in bookworm) echo 30100 ;; trixie) echo 30200 ;; sid) echo 30300 ;; *) echo 30900 ;; esac; }

configure() {
  local dir=$1 base
  base=$(uid_base "$2")
  chroot "$dir" sh -euc '
    base=$1
    if getent group nixbld >/dev/null; then
      [ "$(getent group nixbld | cut -d: -f3)" = "$base" ] || groupmod --gid "$base" nixbld
    else
      groupadd --system --gid "$base" nixbld
    fi
    for i in 1 2 3 4 5 6 7 8; do
      uid=$((base + i))
      if id "nixbld$i" >/dev/null 2>&1; then
        [ "$(id -u "nixbld$i")" = "$uid" ] || usermod --uid "$uid" --gid nixbld "nixbld$i"
      else
        useradd --system --uid "$uid" --no-create-home --home-dir /var/empty \
          --shell /usr/sbin/nologin --gid nixbld --groups nixbld "nixbld$i"
      fi
    done
    id runner >/dev/null 2>&1 || useradd --create-home --shell /bin/bash runner
    echo "runner ALL=(ALL) NOPASSWD:ALL" > /etc/sudoers.d/runner
    chmod 0440 /etc/sudoers.d/runner
    mkdir -p /etc/nix /nix
    [ -f /etc/nix/nix.conf ] || printf "build-users-group = nixbld\n" > /etc/nix/nix.conf
  ' sh "$base"
}

mounted() { grep -q " $1 " /proc/self/mounts; }

umount_all() {
  local dir=$1 m
  [ -d "$dir" ] || return 0
  # Deepest first, so nested mounts (proc's binfmt_misc) go before their parents.
  for m in $(awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
}

run_in() {
  local suite=$1; shift
  local as=root daemon=false
  while [ $# -gt 0 ]; do
    case "$1" in
      --as) as=$2; shift 2 ;;
      --daemon) daemon=true; shift ;;
      --) shift; break ;;
      *) fail "run: unknown option '$1'" ;;
    esac
  done
  [ $# -gt 0 ] || fail "run: no command"
  ensure "$suite"
  local dir="$world/chroots/$suite"
  # One run at a time per chroot: the mounts and the daemon are the chroot's own.
  exec 9>"$dir.lock"
  flock 9
  configure "$dir" "$suite"
  trap "umount_all '$dir'" EXIT
  for fs in proc sys dev; do mkdir -p "$dir/$fs"; mounted "$dir/$fs" || mount --rbind "/$fs" "$dir/$fs"; mount --make-rslave "$dir/$fs"; done
  mkdir -p "$dir$root"
  mounted "$dir$root" || mount --bind "$root" "$dir$root"
  # The host's Node (the suite runs on it everywhere), CA bundle, resolver and npm configuration.
  touch "$dir/usr/local/bin/node"
  mounted "$dir/usr/local/bin/node" || mount --bind "$(command -v node)" "$dir/usr/local/bin/node"
  cp -L /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
  cp -L /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/ca-certificates.crt"
  [ -f /etc/npmrc ] && cp /etc/npmrc "$dir/etc/npmrc"
  # Single-user runs get the chroot's own nix.conf back: a daemon run leaves there what nix-ci
  # wrote for an untrusted user (extra-platforms...), which would prove the next run's tests wrong.
  $daemon || printf 'build-users-group = nixbld\n' > "$dir/etc/nix/nix.conf"
  local envs=(PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root LANG=C.UTF-8 CI="${CI:-}" NIX_CI_IN_WORLD="$suite" NIX_CI_WORLD="$world")
  if $daemon; then
    # 9>&-: the daemon must not hold this run's lock on the chroot (a leftover would block the next run).
    chroot "$dir" sh -c 'pkill -x nix-daemon 2>/dev/null; sleep 0.2; setsid nix-daemon </dev/null >/var/log/nix-daemon.log 2>&1 9>&- &
      for i in $(seq 50); do [ -S /nix/var/nix/daemon-socket/socket ] && exit 0; sleep 0.1; done; echo "nix-daemon did not start" >&2; exit 1'
    envs+=(NIX_REMOTE=daemon)
    # Stop the daemon with the run, before the mounts go.
    trap "stop_daemon '$dir'; umount_all '$dir'" EXIT
  fi
  if [ "$as" = root ]; then
    chroot "$dir" env -i "${envs[@]}" bash -c 'cd "$0" && exec "$@"' "$root" "$@"
  else
    envs[1]="HOME=/home/$as"
    chroot "$dir" env -i "${envs[@]}" setpriv --reuid="$as" --regid="$as" --init-groups bash -c 'cd "$0" && exec "$@"' "$root" "$@"
  fi
}

# The chroot's daemon, and whatever it still runs: a worker whose client was cancelled can sit in
# a builder's silent `sleep` past SIGTERM (seen on 2.34), so after a grace period every process
# whose root is inside the chroot (the daemon, its workers, sandboxed builders) is killed.
stop_daemon() {
  local dir=$1
  chroot "$dir" pkill -x nix-daemon 2>/dev/null || true
  for _ in $(seq 20); do chroot "$dir" pgrep -x nix-daemon >/dev/null 2>&1 || return 0; sleep 0.1; done
  local proc root
  for proc in /proc/[0-9]*; do
    root=$(readlink "$proc/root" 2>/dev/null) || continue
    case "$root" in "$dir" | "$dir"/*) kill -9 "${proc#/proc/}" 2>/dev/null || true ;; esac
  done
}

# A fresh nix.conf for the daemon modes: nothing a previous run appended (nix-ci writes its
# emulation and KVM settings there for an untrusted user) survives into the next.
configure_daemon() {
  local suite=$1 trusted=$2 extra=${3:-}
  ensure "$suite"
  printf 'build-users-group = nixbld\ntrusted-users = %s\nsubstituters =\n%s' "$trusted" "$extra" > "$world/chroots/$suite/etc/nix/nix.conf"
}

on_versions() {
  local list=$1; shift
  [ "${1:-}" = -- ] && shift
  local versions v suite status=0
  if [ "$list" = all ]; then versions=(2.8 2.26 2.34); else IFS=, read -r -a versions <<<"$list"; fi
  for v in "${versions[@]}"; do
    suite=$(host_suite)
    [ "$v" = host ] || suite=$(suite_of "$v")
    if [ "$suite" = "$(host_suite)" ]; then
      say "on the host's Nix ($(nix --version))"
      "$@" || status=$?
    else
      say "on $suite's Nix (chroot)"
      ( run_in "$suite" -- "$@" ) || status=$?
    fi
  done
  return $status
}

# Removes a whole test world (a fresh one that a test run made for itself): the mounts first, and
# nothing at all while one is still there (the repository is bind-mounted inside each chroot).
remove_world() {
  local dir=$1 chroot
  [ -d "$dir" ] || return 0
  for chroot in "$dir"/chroots/*/; do
    [ -d "$chroot" ] || continue
    [ ! -S "$chroot/nix/var/nix/daemon-socket/socket" ] || stop_daemon "${chroot%/}"
    umount_all "${chroot%/}"
  done
  if awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { found = 1 } END { exit !found }' /proc/self/mounts; then
    fail "not removing $dir: something is still mounted inside it"
  fi
  rm -rf -- "$dir"
}

cmd=${1:-}
shift || true
case "$cmd" in
  suite-of) suite_of "$1" ;;
  host-suite) host_suite ;;
  ensure) ensure "$1" ;;
  configure-daemon) configure_daemon "$1" "$2" "${3:-}" ;;
  run) run_in "$@" ;;
  on) on_versions "$@" ;;
  remove-world) remove_world "$1" ;;
  mirror) host_mirror ;;
  *) fail "usage: nix-world.sh suite-of VERSION | host-suite | ensure SUITE | run SUITE [--as USER] [--daemon] -- CMD..." ;;
esac
