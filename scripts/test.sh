#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs the test world and the npm dependencies, then jest.
# Ends with one plain line, `tests: N passed, N failed`, read from jest's own JSON report.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup-test-world.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi
report=$(mktemp)
trap 'rm -f "$report"' EXIT
set +e
NODE_OPTIONS='--experimental-vm-modules --no-warnings' npx jest --json --outputFile="$report" "$@"
status=$?
set -e
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  if (r.numFailedTestSuites > 0 && r.numFailedTests === 0) console.log(`(${r.numFailedTestSuites} test suite(s) failed to run)`);
' "$report" || echo "tests: no report from jest"
exit $status
