#!/usr/bin/env bash
# Captures the JSON that this machine's Nix prints for the commands nix-ci's JSON layer reads
# (src/nix/json.ts), into __tests__/fixtures/nix-json/nix-<version>.*. Run it once per Nix of the
# matrix, e.g. `scripts/nix-world.sh run sid -- bash scripts/capture-nix-json.sh`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/__tests__/fixtures/nix-json"
mkdir -p "$out"
nix=(nix --extra-experimental-features 'nix-command flakes' --option substituters '' --option sandbox true)
version=$("${nix[@]}" --version | awk '{print $NF}')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bb" && cp "$root/.test-world/builders/x86_64-linux/busybox" "$work/bb/busybox"
# A flat and a recursive fixed-output derivation, and a two-output package that uses both.
# The flat one's hash is right (it builds: a valid path); the recursive one's is not, so the
# package never builds (an invalid path).
cat > "$work/default.nix" <<'NIX'
rec {
  bb = ./bb;
  fodFlat = derivation { name = "capture-fod-flat"; system = "x86_64-linux"; builder = "${bb}/busybox";
    args = [ "sh" "-c" "printf capture > $out" ];
    outputHashMode = "flat"; outputHashAlgo = "sha256";
    outputHash = "sha256-Rg7mqjqANZGBt5TMMacYWt26d2Jun3GcEOPI77hmih0="; };
  fodNar = derivation { name = "capture-fod-nar"; system = "x86_64-linux"; builder = "${bb}/busybox";
    args = [ "sh" "-c" "printf capture > $out" ];
    outputHashMode = "recursive"; outputHashAlgo = "sha256";
    outputHash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="; };
  pkg = derivation { name = "capture-pkg"; system = "x86_64-linux"; builder = "${bb}/busybox";
    args = [ "sh" "-c" "read x < ${fodFlat}; echo $x > $out; echo ${fodNar} > $doc" ];
    outputs = [ "out" "doc" ]; };
}
NIX
ev() { "${nix[@]}" eval --raw --file "$work/default.nix" "$@"; }
drv=$(ev pkg.drvPath)
"${nix[@]}" build --no-link --file "$work/default.nix" fodFlat
show=(show-derivation)
"${nix[@]}" derivation --help >/dev/null 2>&1 && show=(derivation show)
"${nix[@]}" "${show[@]}" -r "$drv" > "$out/nix-$version.derivation-show.json" 2> "$out/nix-$version.derivation-show.stderr.txt"
pathinfo=(path-info --json -S)
"${nix[@]}" path-info --help 2>/dev/null | grep -q -- '--json-format' && pathinfo+=(--json-format 1)
"${nix[@]}" "${pathinfo[@]}" "$(ev fodFlat.outPath)" "$(ev pkg.outPath)" > "$out/nix-$version.path-info.json" 2> "$out/nix-$version.path-info.stderr.txt"
# Without --json-format too, where the flag exists: what a caller that does not know it gets.
if [ ${#pathinfo[@]} -gt 3 ]; then
  "${nix[@]}" path-info --json -S "$(ev fodFlat.outPath)" > /dev/null 2> "$out/nix-$version.path-info-no-format.stderr.txt"
fi
config=(show-config)
"${nix[@]}" config --help >/dev/null 2>&1 && config=(config show)
"${nix[@]}" "${config[@]}" --json > "$work/config.json" 2> "$out/nix-$version.config-show.stderr.txt"
# Only the settings the layer reads (the whole dump is ~100 kB of descriptions).
node -e '
  const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
  const keep = ["system", "extra-platforms", "system-features", "trusted-users", "sandbox", "substituters", "sandbox-paths", "store", "max-jobs"]
  const out = {}
  for (const k of keep) if (k in c) out[k] = c[k]
  process.stdout.write(JSON.stringify(out, null, 2) + "\n")
' "$work/config.json" > "$out/nix-$version.config-show.json"
for f in "$out/nix-$version".*.stderr.txt; do [ -s "$f" ] || rm -f "$f"; done
echo "captured Nix $version: nix ${show[*]}; nix ${pathinfo[*]}; nix ${config[*]}"
