#!/usr/bin/env bash
# The demo: runs the action exactly as GitHub would (node dist/index.js with INPUT_* variables)
# on the bundled offline example, for x86_64-linux and aarch64-linux (the foreign one under QEMU).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup-test-world.sh

run_dir=$(mktemp -d)
: > "$run_dir/output" ; : > "$run_dir/summary"
echo "== node dist/index.js (flake: path:examples/mast-offline) =="
set +e
env \
  GITHUB_WORKSPACE="$root" \
  GITHUB_OUTPUT="$run_dir/output" \
  GITHUB_STEP_SUMMARY="$run_dir/summary" \
  INPUT_FLAKE="path:examples/mast-offline" \
  INPUT_PACKAGE="default" \
  INPUT_SYSTEMS="x86_64-linux aarch64-linux" \
  INPUT_FIX-HASHES="off" \
  INPUT_VM-TEST="off" \
  INPUT_RELEASE="off" \
  INPUT_CACHE="false" \
  INPUT_EXTRA-NIX-CONFIG=$'sandbox = true\nsubstituters =' \
  node dist/index.js
status=$?
set -e
echo
echo "== outputs (GITHUB_OUTPUT) =="
cat "$run_dir/output"
echo
echo "== job summary (GITHUB_STEP_SUMMARY) =="
cat "$run_dir/summary"
rm -rf "$run_dir"
exit $status
