#!/usr/bin/env bash
# The demo: runs the action exactly as GitHub would (node dist/index.js with INPUT_* variables)
# on the bundled offline example, for x86_64-linux and aarch64-linux (the foreign one under QEMU);
# then on a copy whose mix.lock was bumped without updating the deps hash, as Dependabot does.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# --nix=VERSIONS (2.8, 2.26, 2.34, a comma list, or all): run on those Nix versions instead.
if [[ "${1:-}" == --nix=* ]]; then
  versions=${1#--nix=}; shift
  bash scripts/setup-test-world.sh >/dev/null
  exec bash scripts/nix-world.sh on "$versions" -- bash scripts/demo.sh "$@"
fi
bash scripts/setup-test-world.sh

# run_action WORKSPACE FLAKE FIX_HASHES: the action as GitHub runs it, then its outputs and summary.
run_action() {
  local run_dir status
  run_dir=$(mktemp -d)
  : > "$run_dir/output" ; : > "$run_dir/summary"
  echo "== node dist/index.js (workspace: $1, flake: $2, fix-hashes: $3) =="
  set +e
  env \
    GITHUB_WORKSPACE="$1" \
    GITHUB_OUTPUT="$run_dir/output" \
    GITHUB_STEP_SUMMARY="$run_dir/summary" \
    INPUT_FLAKE="$2" \
    INPUT_PACKAGE="default" \
    INPUT_SYSTEMS="x86_64-linux aarch64-linux" \
    INPUT_FIX-HASHES="$3" \
    INPUT_VM-TEST="off" \
    INPUT_RELEASE="off" \
    INPUT_CACHE="false" \
    INPUT_EXTRA-NIX-CONFIG=$'sandbox = true\nsubstituters =' \
    node "$root/dist/index.js"
  status=$?
  set -e
  echo
  echo "== outputs (GITHUB_OUTPUT) =="
  cat "$run_dir/output"
  echo
  echo "== job summary (GITHUB_STEP_SUMMARY) =="
  cat "$run_dir/summary"
  echo
  rm -rf "$run_dir"
  return $status
}

# 1. The example builds for both systems.
run_action "$root" "path:examples/mast-offline" off

# 2. A mix.lock bump without a hash update: nix-ci finds the stale hash in flake.nix and verifies
#    the right one by building both systems again (report mode: the copy is left as it was).
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
cp -r examples/mast-offline/. "$copy"
printf '%s\n' '  "jason": {:hex, :jason, "1.4.4", "b9226785a9aa77b6857ca22832cffa5d5011a667207eb2a0ad56adb5db443b8a", [:mix], [], "hexpm", "c5eb0cab91f094599f94d55bc63409236a8ec69a21a67814529e8d5f6cc90b3b"},' >> "$copy/mix.lock"
git -C "$copy" init -q && git -C "$copy" add -A
git -C "$copy" -c user.name=demo -c user.email=demo@example.invalid commit -qm "Bump jason"
if run_action "$copy" "." report; then
  echo "demo: expected the stale hash to fail the run" >&2
  exit 1
fi
echo "demo: both runs behaved as expected (the second fails on purpose: its hash is stale)"
