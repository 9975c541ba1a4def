#!/usr/bin/env bash
# Times `senco backup`, `senco restore` and `senco restore --drill` on the demo dataset
# (`senco demo --no-serve`, seed 42), encrypted with a fresh key, on SQLite and, when
# SENCO_TEST_POSTGRES_URL names a server where the role may create databases, on PostgreSQL.
# Uses the dev build (target/debug/senco, built here). Record results in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --locked -p senco
senco="$PWD/target/debug/senco"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(uname -m); rustc $(rustc --version | cut -d' ' -f2); dev build"
export SENCO_BACKUP_KEY_FILE="$work/key"
"$senco" backup keygen "$SENCO_BACKUP_KEY_FILE" >/dev/null

timed() { # label, command...
  local label="$1"; shift
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  end=$(date +%s.%N)
  printf '%-28s %6.2f s\n' "$label" "$(echo "$end - $start" | bc)"
}

run() { # engine, live URL, restore target URL
  local engine="$1" live="$2" target="$3"
  "$senco" demo --no-serve --database-url "$live" >/dev/null 2>&1
  timed "$engine backup" "$senco" backup --database-url "$live" "$work/$engine.senco"
  echo "$engine backup file: $(stat -c %s "$work/$engine.senco") bytes"
  timed "$engine restore" "$senco" restore --database-url "$target" "$work/$engine.senco"
  timed "$engine drill" "$senco" restore --drill --database-url "$live" "$work/$engine.senco"
}

run sqlite "sqlite://$work/live.db" "sqlite://$work/restored.db"

if [ -n "${SENCO_TEST_POSTGRES_URL:-}" ]; then
  base="${SENCO_TEST_POSTGRES_URL%/*}"
  suffix="$(date +%s)$$"
  psql "$SENCO_TEST_POSTGRES_URL" -qc "CREATE DATABASE senco_bench_live_$suffix" -qc "CREATE DATABASE senco_bench_restored_$suffix"
  trap 'psql "$SENCO_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS senco_bench_live_$suffix WITH (FORCE)" -qc "DROP DATABASE IF EXISTS senco_bench_restored_$suffix WITH (FORCE)"; rm -rf "$work"' EXIT
  run postgres "$base/senco_bench_live_$suffix" "$base/senco_bench_restored_$suffix"
fi
