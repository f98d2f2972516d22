#!/usr/bin/env bash
# Runs every benchmark in bench/ (each prints ratios measured side by side in one run).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# --nix=VERSIONS (2.8, 2.26, 2.34, a comma list, or all): run on those Nix versions instead.
if [[ "${1:-}" == --nix=* ]]; then
  versions=${1#--nix=}; shift
  bash scripts/setup-test-world.sh >/dev/null
  exec bash scripts/nix-world.sh on "$versions" -- bash scripts/bench.sh "$@"
fi
bash scripts/setup-test-world.sh >/dev/null
[ -d node_modules ] || npm install --no-audit --no-fund
# One failing bench does not stop the rest; the list of those that failed ends the run.
failed=()
for bench in bench/*.ts bench/*.mjs; do
  echo "== $bench ($(nix --version))"
  case "$bench" in *.ts) node scripts/run-ts.mjs "$bench" ;; *) node "$bench" ;; esac || failed+=("$bench")
done
if [ ${#failed[@]} -gt 0 ]; then echo "bench: failed: ${failed[*]}" >&2; exit 1; fi
