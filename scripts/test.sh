#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs the test world and the npm dependencies, then
# jest, on the Nix versions asked for. Ends with every skipped test and its reason, then one plain
# line, `tests: N passed, N failed, N skipped`, summed over every run from counts that
# scripts/jest-count-reporter.mjs writes as each test file ends (a crash loses no count).
#
#   npm test                               the host's Nix (Debian 12: 2.8, Debian 13: 2.26)
#   npm test -- --nix=2.34                 one Nix of the matrix: 2.8, 2.26 or 2.34 (a chroot
#                                          unless it is the host's suite), a list (--nix=2.8,2.34),
#                                          or --nix=all for every one
#   npm test -- --nix=2.34 --daemon=trusted     through a nix-daemon, as the unprivileged
#   npm test -- --nix=2.34 --daemon=untrusted   `runner` user (passwordless sudo), in or not in
#                                               trusted-users: how GitHub's hosted runners run
#   npm test -- --hide-kvm                 as on a machine without /dev/kvm: every run in a mount
#                                          namespace that hides the device (scripts/hide-devices.sh)
#   npm test -- --ci                       what CI runs: the unit tests once (no Nix), then the
#                                          tests that need Nix (*.int.test.ts) on every Nix,
#                                          single-user and on 2.34 through the daemon, trusted and
#                                          untrusted; the host's run from an empty test world (a
#                                          separate NIX_CI_WORLD); and on a machine with KVM, the
#                                          KVM tests again with the device hidden
#   npm test -- --nix=2.26 __tests__/stages/build      any other argument goes to jest (a path filter)
#   npm run test:unit                      the unit tests alone: no Nix, no test world
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

nix_arg=host daemon=off ci=false hide_kvm=false jest_args=()
for arg in "$@"; do
  case "$arg" in
    --nix=*) nix_arg=${arg#--nix=} ;;
    --ci) ci=true ;;
    --hide-kvm) hide_kvm=true ;;
    --daemon=trusted | --daemon=untrusted) daemon=${arg#--daemon=} ;;
    --daemon=*) echo "test: --daemon takes 'trusted' or 'untrusted'" >&2; exit 2 ;;
    *) jest_args+=("$arg") ;;
  esac
done

# Inside a chroot (or any run that was handed one job): jest itself. Its counts go to the file
# NIX_CI_TEST_COUNTS names, which the outer run reads.
if [ "${NIX_CI_TEST_INNER:-}" = 1 ]; then
  export NODE_OPTIONS='--experimental-vm-modules --no-warnings'
  [ -n "${NIX_CI_TEST_COUNTS:-}" ] || { echo "test: NIX_CI_TEST_COUNTS is not set (jest.config.js adds the count reporter for it)" >&2; exit 2; }
  exec node node_modules/jest/bin/jest.js "${jest_args[@]}"
fi

bash scripts/setup-test-world.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi

world=${NIX_CI_WORLD:-/var/cache/nix-ci-world}
host_suite=$(bash scripts/nix-world.sh host-suite)
has_kvm=false
[ -c /dev/kvm ] && has_kvm=true

# One run: "VERSION DAEMON WORLD HIDE [JEST ARGS...]". WORLD is `cached` (NIX_CI_WORLD) or `fresh`
# (an empty folder of its own); HIDE is `kvm` or `-`.
hide=-
$hide_kvm && hide=kvm
runs=()
if $ci; then
  # Unit tests speak to no Nix: once. The daemon-mode files restart the daemon: alone, in band.
  # An ignore pattern comes last: jest takes every word after it as another pattern.
  unit='--testPathIgnorePatterns=\.int\.test\.ts$' int='\.int\.test\.ts$'
  runs=("host off cached $hide $unit")
  # The host's own Nix starts from an empty test world: what a fresh machine does.
  for v in 2.8 2.26 2.34; do
    if [ "$(bash scripts/nix-world.sh suite-of "$v")" = "$host_suite" ]; then runs+=("host off fresh $hide $int"); else runs+=("$v off cached $hide $int"); fi
  done
  runs+=("2.34 trusted cached $hide $int --testPathIgnorePatterns=daemon-mode"
    "2.34 trusted cached $hide --runInBand __tests__/setup/daemon-mode" "2.34 untrusted cached $hide --runInBand __tests__/setup/daemon-mode")
  # The other kind of machine: the action's no-KVM behaviour, for real, with the device hidden.
  if $has_kvm && ! $hide_kvm; then
    runs+=("host off cached kvm __tests__/stages/vm-test" "2.34 untrusted cached kvm --runInBand __tests__/setup/daemon-mode.int")
  fi
else
  case "$nix_arg" in
    all) versions=(2.8 2.26 2.34) ;;
    *) IFS=, read -r -a versions <<<"$nix_arg" ;;
  esac
  for v in "${versions[@]}"; do runs+=("$v $daemon cached $hide"); done
fi

suite_of() { if [ "$1" = host ]; then echo "$host_suite"; else bash scripts/nix-world.sh suite-of "$1"; fi; }
# What a run needs of the test world: its chroot, unless it runs on the host; and the sid chroot
# for the remote-builder tests, when the host runs tests that need Nix.
world_needs() {
  local v=$1 daemon=$2 args=$3 suite
  suite=$(suite_of "$v")
  if [ "$suite" != "$host_suite" ] || [ "$daemon" != off ]; then echo "$suite"
  elif [[ "$args" != *"--testPathIgnorePatterns=\\.int"* ]]; then echo sid; fi
}

# The kind of machine, first: what it has decides what runs and what is skipped.
bash scripts/machine-kind.sh
$hide_kvm && echo "== /dev/kvm hidden from every run (--hide-kvm)"

counts_dir="$root/.test-world/counts"
mkdir -p "$counts_dir"
chmod 0777 "$counts_dir"
rm -f "$counts_dir"/*
fresh_worlds=()
cleanup() {
  local w
  for w in "${fresh_worlds[@]}"; do bash scripts/nix-world.sh remove-world "$w" || true; done
}
trap cleanup EXIT

passed=0 failed=0 skipped=0 broken=0 status=0 n=0
skips=() problems=()
for spec in "${runs[@]}"; do
  read -r v daemon run_world run_hide run_args <<<"$spec"
  n=$((n + 1))
  # shellcheck disable=SC2206
  run_jest_args=("${jest_args[@]}" ${run_args:-})
  suite=$(suite_of "$v")
  run_env=()
  label="$([ "$v" = host ] && echo "host's Nix" || echo "Nix $v")$([ "$daemon" = off ] || echo " (daemon, $daemon)")"
  if [ "$run_world" = fresh ]; then
    fresh=$(mktemp -d /var/tmp/nix-ci-world-fresh.XXXXXX)
    fresh_worlds+=("$fresh")
    run_env=(NIX_CI_WORLD="$fresh")
    label+=", from an empty test world"
  fi
  [ "$run_hide" = - ] || label+=", /dev/$run_hide hidden"
  counts="$counts_dir/run-$n"
  : >"$counts"
  chmod 0666 "$counts"

  # The world this run needs, made before jest starts (once, under nix-world.sh's lock).
  needed=$(world_needs "$v" "$daemon" "${run_args:-}")
  [ -z "$needed" ] || env "${run_env[@]}" bash scripts/nix-world.sh ensure "$needed"

  inner=(env NIX_CI_TEST_INNER=1 NIX_CI_TEST_COUNTS="$counts" NIX_CI_DAEMON_MODE="$([ "$daemon" = off ] || echo "$daemon")" bash scripts/test.sh "${run_jest_args[@]}")
  wrap=(env "${run_env[@]}")
  [ "$run_hide" = - ] || wrap+=(bash scripts/hide-devices.sh "$run_hide" --)
  started=$SECONDS
  set +e
  if [ "$suite" = "$host_suite" ] && [ "$daemon" = off ]; then
    echo "== tests on the host's Nix ($(nix --version))${run_env:+, NIX_CI_WORLD=$fresh}$([ "$run_hide" = - ] || echo ", /dev/$run_hide hidden")"
    "${wrap[@]}" "${inner[@]}"
  else
    # The daemon modes run in a chroot even for the host's suite: they need their own nix.conf.
    opts=()
    if [ "$daemon" = trusted ]; then
      env "${run_env[@]}" bash scripts/nix-world.sh configure-daemon "$suite" "root runner"
      opts=(--daemon --as runner)
    elif [ "$daemon" = untrusted ]; then
      # As on a runner whose Nix was installed without nix-ci's settings: no foreign platforms,
      # no kvm feature. The action must write nix.conf (with sudo) and restart the daemon.
      env "${run_env[@]}" bash scripts/nix-world.sh configure-daemon "$suite" "root" $'system-features = benchmark big-parallel\n'
      opts=(--daemon --as runner)
    fi
    echo "== tests on $suite's Nix$([ "$daemon" = off ] || echo " (nix-daemon, user runner, $daemon)")$([ "$run_hide" = - ] || echo ", /dev/$run_hide hidden")"
    "${wrap[@]}" bash scripts/nix-world.sh run "$suite" "${opts[@]}" -- "${inner[@]}"
  fi
  run_status=$?
  set -e

  # The counts: one `file` line per test file that ended, `end` when jest reached its end.
  read -r p f s b < <(awk '$1 == "file" { p += $2; f += $3; s += $4; b += $5 } END { print p + 0, f + 0, s + 0, b + 0 }' "$counts")
  unexplained=$(grep -c '^unexplained ' "$counts" || true)
  while IFS= read -r line; do skips+=("[$label] $line"); done < <(sed -n 's/^skip //p' "$counts")
  while IFS= read -r line; do problems+=("[$label] skipped without a reason (name it with __tests__/support/requires.ts): $line"); done < <(sed -n 's/^unexplained //p' "$counts")
  f=$((f + unexplained)) s=$((s - unexplained))
  if ! grep -qx end "$counts"; then
    problems+=("[$label] jest stopped before the end of its run (exit $run_status): only the files that ended are counted")
    b=$((b + 1))
  elif [ "$run_status" -ne 0 ] && [ "$f" -eq 0 ] && [ "$b" -eq 0 ]; then
    problems+=("[$label] jest exited $run_status with no failed test (no test matched?)")
    b=$((b + 1))
  fi
  [ "$b" -eq 0 ] || problems+=("[$label] $b test file(s) or run(s) could not run: see the log above")
  [ "$run_status" -eq 0 ] && [ "$f" -eq 0 ] && [ "$b" -eq 0 ] || status=1
  echo "== $label: $p passed, $f failed$([ "$s" = 0 ] || echo ", $s skipped") ($((SECONDS - started)) s)"
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s)) broken=$((broken + b))
done

echo
if [ ${#skips[@]} -gt 0 ]; then
  echo "Skipped, each with its reason (${#skips[@]}):"
  printf '  %s\n' "${skips[@]}"
fi
if [ ${#problems[@]} -gt 0 ]; then
  echo "Problems (${#problems[@]}):"
  printf '  %s\n' "${problems[@]}"
fi
# A file or a run that could not run counts as failed: the line never reads better than the run.
line="tests: $passed passed, $((failed + broken)) failed"
[ "$skipped" -eq 0 ] || line+=", $skipped skipped"
echo "$line"
exit $status
