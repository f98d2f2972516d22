#!/usr/bin/env bash
# One line on the kind of machine the tests run on: what it has decides what runs and what is
# skipped (and why). Printed at the top of .ci/run and of every npm test.
set -euo pipefail
world=${NIX_CI_WORLD:-/var/cache/nix-ci-world}
# shellcheck disable=SC1091
os=$(. /etc/os-release && echo "${PRETTY_NAME:-unknown}")
if [ -c /dev/kvm ]; then kvm=present; else kvm='none (the tests that need KVM are skipped, each with its reason)'; fi
cached=$(cd "$world/chroots" 2>/dev/null && for d in */; do [ -f "$d.nix-world-stamp" ] && printf '%s ' "${d%/}"; done || true)
cached=${cached% }
nix=$(nix --version 2>/dev/null || echo 'not installed yet')
echo "== machine: $os, $(nproc) cores; /dev/kvm: $kvm; host Nix: $nix; test world $world: chroots cached: ${cached:-none}"
