#!/usr/bin/env bash
# Runs every benchmark in bench/ (each prints ratios measured side by side in one run).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup-test-world.sh >/dev/null
[ -d node_modules ] || npm install --no-audit --no-fund
for bench in bench/*.ts bench/*.mjs; do
  echo "== $bench"
  case "$bench" in *.ts) node scripts/run-ts.mjs "$bench" ;; *) node "$bench" ;; esac
done
