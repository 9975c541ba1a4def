#!/usr/bin/env bash
# Runs each fuzz target (fuzz/fuzz_targets) for a bounded time with libFuzzer, starting from
# the committed seeds in fuzz/corpus/<target>. A crash fails the run and leaves the input in
# target/fuzz/artifacts/<target>/ to reproduce with:
#   target/fuzz/<host triple>/release/<target> target/fuzz/artifacts/<target>/crash-...
#
#   scripts/fuzz.sh              every target, 20 seconds each (FUZZ_SECONDS to change)
#   scripts/fuzz.sh upload 300   one target, five minutes
# The seed is fixed (FUZZ_SEED, default 1) so that a CI run can be repeated; set FUZZ_SEED=0
# for a fresh random one when fuzzing for longer.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo/fuzz"
seconds="${FUZZ_SECONDS:-20}"
targets=(pupils_csv upload ctf record upn_date schools_csv)
if [ $# -ge 1 ]; then targets=("$1"); fi
if [ $# -ge 2 ]; then seconds="$2"; fi

# What cargo-fuzz does with `--sanitizer none`, on the stable toolchain: coverage counters for
# libFuzzer, debug assertions and overflow checks on, optimised.
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks --cfg fuzzing"
export CARGO_TARGET_DIR="$repo/target/fuzz"
# An explicit target keeps the instrumentation out of build scripts and proc macros.
host="$(rustc -vV | awk '/^host:/ {print $2}')"
cargo build --locked --release --quiet --target "$host" $(printf -- '--bin %s ' "${targets[@]}")
bin="$repo/target/fuzz/$host/release"

failed=0
for t in "${targets[@]}"; do
  corpus="$repo/target/fuzz/corpus/$t"
  artifacts="$repo/target/fuzz/artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  cp -n "$repo/fuzz/corpus/$t"/* "$corpus"/ 2>/dev/null || true
  printf 'fuzz: %s for %ss ... ' "$t" "$seconds"
  if "$bin/$t" "$corpus" -max_total_time="$seconds" -max_len=262144 -seed="${FUZZ_SEED:-1}" \
       -artifact_prefix="$artifacts/" -print_final_stats=1 > "$repo/target/fuzz/$t.log" 2>&1; then
    runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$repo/target/fuzz/$t.log")
    echo "ok (${runs:-?} inputs)"
  else
    echo "FAILED"
    tail -n 40 "$repo/target/fuzz/$t.log"
    failed=1
  fi
done
exit "$failed"
