#!/usr/bin/env bash
# Offline checks of the Mast example, with no Hex packages and no Nix. Debian's Elixir parses every
# source file, checks that mix.lock locks exactly the dependency tree of mix.exs, compiles every
# module except the Plug router (whose macros need Plug) and runs the ExUnit tests of the modules
# that need no Hex package at run time. Ends with ExUnit's own summary.
# The whole app (Bandit, Plug, Postgrex) builds only with its deps: `nix build ./examples/mast`
# on a machine with nixpkgs, or nix-ci on GitHub; there `mix test` runs the same test files.
set -euo pipefail
app=$(cd "$(dirname "$0")/.." && pwd)
cd "$app"

if ! command -v elixir >/dev/null || ! command -v elixirc >/dev/null; then
  command -v apt-get >/dev/null || { echo "test-offline: no elixir and no apt-get: install Elixir >= 1.14 by hand" >&2; exit 1; }
  sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "test-offline: installing Debian's elixir"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq elixir >/dev/null
fi

# Modules that compile without Hex packages (calls into Postgrex/Bandit are remote calls, resolved
# at run time), and the tests that run without them.
offline_modules=(lib/mast/config.ex lib/mast/health.ex lib/mast/release.ex lib/mast/application.ex)
offline_tests=(test/mast/config_test.exs test/mast/health_test.exs test/mast/release_test.exs)

# 1. Every Elixir source parses (catches syntax errors in lib/mast/router.ex too).
mapfile -t sources < <(find mix.exs lib test scripts -name '*.ex' -o -name '*.exs' | sort)
elixir -e '
  for file <- System.argv(), do: Code.string_to_quoted!(File.read!(file), file: file)
  IO.puts("test-offline: #{length(System.argv())} source files parse")
' "${sources[@]}"

# 2. mix.lock locks exactly the dependency tree of mix.exs, in the form Mix writes.
elixir scripts/check-lock.exs

# 3. The modules compile; the only warnings allowed are the Hex modules being absent.
ebin=$(mktemp -d)
trap 'rm -rf "$ebin"' EXIT
elixirc -o "$ebin" "${offline_modules[@]}" > "$ebin/compile.log" 2>&1 || { cat "$ebin/compile.log" >&2; exit 1; }
if grep '^warning:' "$ebin/compile.log" | grep -Ev 'warning: (Postgrex|Bandit|Jason|Plug)[.A-Za-z]*\.[a-z_!?]+/[0-9]+ is undefined \(module (Postgrex|Bandit|Jason|Plug)[.A-Za-z]* is not available'; then
  echo "test-offline: compiler warnings above (other than absent Hex modules)" >&2
  cat "$ebin/compile.log" >&2
  exit 1
fi
echo "test-offline: compiled ${offline_modules[*]}"

# 4. Their tests.
requires=(-r test/test_helper.exs)
for test in "${offline_tests[@]}"; do requires+=(-r "$test"); done
elixir -pa "$ebin" "${requires[@]}"
