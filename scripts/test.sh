#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs the test world and the npm dependencies, then
# jest, on the Nix versions asked for. Ends with one plain line, `tests: N passed, N failed`,
# read from jest's own JSON reports (summed over every Nix it ran on).
#
#   npm test                               the host's Nix (Debian 12: 2.8, Debian 13: 2.26)
#   npm test -- --nix=2.34                 one Nix of the matrix: 2.8, 2.26 or 2.34 (a chroot
#                                          unless it is the host's suite), a list (--nix=2.8,2.34),
#                                          or --nix=all for every one
#   npm test -- --nix=2.34 --daemon=trusted     through a nix-daemon, as the unprivileged
#   npm test -- --nix=2.34 --daemon=untrusted   `runner` user (passwordless sudo), in or not in
#                                               trusted-users: how GitHub's hosted runners run
#   npm test -- --ci                       what CI runs: the unit tests once (no Nix), then the
#                                          tests that need Nix (*.int.test.ts) on every Nix
#                                          single-user and on 2.34 through the daemon, trusted, and
#                                          untrusted (the set-up that must write nix.conf:
#                                          setup/daemon-mode*.int.test.ts)
#   npm test -- --nix=2.26 __tests__/stages/build      any other argument goes to jest (a path filter)
#   npm run test:unit                      the unit tests alone: no Nix, no test world
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

nix_arg=host daemon=off ci=false jest_args=()
for arg in "$@"; do
  case "$arg" in
    --nix=*) nix_arg=${arg#--nix=} ;;
    --ci) ci=true ;;
    --daemon=trusted | --daemon=untrusted) daemon=${arg#--daemon=} ;;
    --daemon=*) echo "test: --daemon takes 'trusted' or 'untrusted'" >&2; exit 2 ;;
    *) jest_args+=("$arg") ;;
  esac
done

# Inside a chroot (or any run that was handed one job): jest itself, one report line.
run_jest() {
  local report status
  report=$(mktemp)
  set +e
  NODE_OPTIONS='--experimental-vm-modules --no-warnings' node node_modules/jest/bin/jest.js --json --outputFile="$report" "$@"
  status=$?
  set -e
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
    console.log(`jest-report ${r.numPassedTests} ${r.numFailedTests} ${r.numPendingTests + r.numTodoTests} ${r.numFailedTestSuites}`)
  ' "$report" || echo "jest-report 0 0 0 1"
  rm -f "$report"
  return $status
}
if [ "${NIX_CI_TEST_INNER:-}" = 1 ]; then
  run_jest "${jest_args[@]}"
  exit
fi

bash scripts/setup-test-world.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi

host_suite=$(bash scripts/nix-world.sh host-suite)
# One run: "VERSION DAEMON [JEST ARGS...]".
runs=()
if $ci; then
  # Unit tests speak to no Nix: once. The daemon-mode files restart the daemon: alone, in band.
  # An ignore pattern comes last: jest takes every word after it as another pattern.
  unit='--testPathIgnorePatterns=\.int\.test\.ts$' int='\.int\.test\.ts$'
  runs=("host off $unit" "2.8 off $int" "2.26 off $int" "2.34 off $int" "2.34 trusted $int --testPathIgnorePatterns=daemon-mode"
    "2.34 trusted --runInBand __tests__/setup/daemon-mode" "2.34 untrusted --runInBand __tests__/setup/daemon-mode")
else
  case "$nix_arg" in
    all) versions=(2.8 2.26 2.34) ;;
    *) IFS=, read -r -a versions <<<"$nix_arg" ;;
  esac
  for v in "${versions[@]}"; do runs+=("$v $daemon"); done
fi

passed=0 failed=0 skipped=0 broken=0 status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for spec in "${runs[@]}"; do
  read -r v daemon run_args <<<"$spec"
  # shellcheck disable=SC2206
  run_jest_args=("${jest_args[@]}" ${run_args:-})
  suite=$host_suite
  [ "$v" = host ] || suite=$(bash scripts/nix-world.sh suite-of "$v")
  inner=(env NIX_CI_TEST_INNER=1 NIX_CI_DAEMON_MODE="$([ "$daemon" = off ] || echo "$daemon")" bash scripts/test.sh "${run_jest_args[@]}")
  set +e
  if [ "$suite" = "$host_suite" ] && [ "$daemon" = off ]; then
    echo "== tests on the host's Nix ($(nix --version))"
    "${inner[@]}" | tee "$log"
  else
    # The daemon modes run in a chroot even for the host's suite: they need their own nix.conf.
    opts=()
    if [ "$daemon" = trusted ]; then
      bash scripts/nix-world.sh configure-daemon "$suite" "root runner"
      opts=(--daemon --as runner)
    elif [ "$daemon" = untrusted ]; then
      # As on a runner whose Nix was installed without nix-ci's settings: no foreign platforms,
      # no kvm feature. The action must write nix.conf (with sudo) and restart the daemon.
      bash scripts/nix-world.sh configure-daemon "$suite" "root" $'system-features = benchmark big-parallel\n'
      opts=(--daemon --as runner)
    fi
    echo "== tests on $suite's Nix$([ "$daemon" = off ] || echo " (nix-daemon, user runner, $daemon)")"
    bash scripts/nix-world.sh run "$suite" "${opts[@]}" -- "${inner[@]}" | tee "$log"
  fi
  run_status=${PIPESTATUS[0]}
  set -e
  [ "$run_status" -eq 0 ] || status=$run_status
  read -r _ p f s b < <(grep '^jest-report ' "$log" | tail -1 || echo "jest-report 0 0 0 1")
  echo "== $([ "$v" = host ] && echo "host's Nix" || echo "Nix $v")$([ "$daemon" = off ] || echo " (daemon, $daemon)"): $p passed, $f failed$([ "$s" = 0 ] || echo ", $s skipped")"
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s)) broken=$((broken + b))
done
[ "$broken" -eq 0 ] || echo "($broken test suite(s) failed to run)"
line="tests: $passed passed, $failed failed"
[ "$skipped" -eq 0 ] || line+=", $skipped skipped"
echo "$line"
exit $status
