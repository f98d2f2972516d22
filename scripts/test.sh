#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs the test world and the npm dependencies, then jest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup-test-world.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
NODE_OPTIONS='--experimental-vm-modules --no-warnings' npx jest "$@"
