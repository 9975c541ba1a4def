#!/usr/bin/env bash
# Measures PDF rendering (a typical plan, the parents' version, a letter): median and p95.
# Optimised build by default (cargo's bench profile, as served); `bench/render.sh --profile dev`
# for a quick look without the long optimised build of typst (about 9 minutes on 2 cores).
# Record results in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
profile=()
[ "${1:-}" = "--profile" ] && profile=(--profile "$2")
echo "machine: $(nproc) cores, $(uname -m); rustc $(rustc --version | cut -d' ' -f2)"
cargo bench --locked -p senco_documents --bench render ${profile[@]+"${profile[@]}"}
