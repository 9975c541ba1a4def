#!/usr/bin/env bash
# Imports 10,000 generated pupils from a Common Transfer File with SEN history into a fresh SQLite database (issue 6: under 5 s
# on 2 cores), then the same file again. Optimised build by default (cargo's bench profile);
# `bench/ctf.sh --profile dev` for a quick look without the long optimised build.
# Record results in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
profile=()
[ "${1:-}" = "--profile" ] && profile=(--profile "$2")
echo "machine: $(nproc) cores, $(uname -m); rustc $(rustc --version | cut -d' ' -f2)"
cargo bench --locked -p senco --bench ctf ${profile[@]+"${profile[@]}"}
