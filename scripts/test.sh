#!/usr/bin/env bash
# Runs every test of Senco: formatting, lints, unit and property tests, integration tests on
# SQLite and PostgreSQL, browser tests in headless Chromium, and schemathesis against the API
# as every role (SR-07). Installs what it needs when it is missing (PostgreSQL, Chromium, npm
# packages, schemathesis in target/api-fuzz-venv, cargo-deny and cargo-audit). CI runs exactly
# this (.ci/run).
#
#   scripts/test.sh           everything
#   scripts/test.sh --quick   formatting and Rust tests on SQLite only (everyday work)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
quick=false
for arg in "$@"; do
  case "$arg" in
    --quick) quick=true ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

step() { printf '\n==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

log="$repo/target/test-output.log"
mkdir -p "$repo/target"
: > "$log"
# Runs a test step, keeping its output for the summary at the end.
run_tests() { "$@" 2>&1 | tee -a "$log"; return "${PIPESTATUS[0]}"; }

step "formatting"
cargo fmt --all -- --check

if ! $quick; then
  step "lints (clippy, warnings are errors)"
  cargo clippy --workspace --all-targets --locked -- -D warnings

  step "PostgreSQL for the integration tests"
  if [ -z "${SENCO_TEST_POSTGRES_URL:-}" ]; then
    bash "$repo/scripts/test-postgres.sh"
    # shellcheck disable=SC1091
    source "$repo/target/test-postgres.env"
  fi
  echo "using ${SENCO_TEST_POSTGRES_URL%%@*}@… for PostgreSQL tests"
  export SENCO_TEST_POSTGRES_URL
else
  unset SENCO_TEST_POSTGRES_URL
  echo "quick mode: PostgreSQL tests are skipped (they say so), as are lints and browser tests"
fi

if ! command -v pdftotext >/dev/null 2>&1; then
  step "poppler-utils (pdftotext reads back the PDFs in tests)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq poppler-utils >/dev/null
fi

if ! command -v pg_dump >/dev/null 2>&1 || ! command -v pg_restore >/dev/null 2>&1; then
  step "postgresql-client (pg_dump and pg_restore back up and restore PostgreSQL, SR-35/SR-36)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq postgresql-client >/dev/null
fi

step "Rust tests (unit, property and integration)"
run_tests cargo test --workspace --locked

if ! $quick; then
  step "browser tests (headless Chromium, JavaScript on and off, axe-core)"
  cargo build --locked -p senco
  export SENCO_BIN="$repo/target/debug/senco"
  run_tests bash "$repo/scripts/browser-tests.sh"

  step "supply chain (cargo deny and cargo audit, offline against ../shared/advisory-db)"
  bash "$repo/scripts/supply-chain.sh"

  step "API fuzzing (schemathesis as every role of school A; school B's canary must not appear)"
  run_tests bash "$repo/scripts/api-fuzz.sh"

  step "load benchmark, small mode (bench/load.sh --small: 2,000 generated pupils, a second a page)"
  for pkg in wrk sqlite3; do
    command -v "$pkg" >/dev/null 2>&1 || as_root apt-get install -y -qq "$pkg" >/dev/null
  done
  bash "$repo/bench/load.sh" --small --regenerate

  step "fuzzing the parsers of untrusted files (libFuzzer, ${FUZZ_SECONDS:-20}s each)"
  if ! command -v c++ >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq g++ >/dev/null
  fi
  bash "$repo/scripts/fuzz.sh"
fi

passed=$(awk '/^test result:/ {p += $4} /^# pass / {p += $3} /^api-fuzz: [0-9]+ passed, / {p += $2} END {print p + 0}' "$log")
failed=$(awk '/^test result:/ {f += $6} /^# fail / {f += $3} /^api-fuzz: [0-9]+ passed, / {f += $4} END {print f + 0}' "$log")
step "all tests passed"
echo "summary: $passed passed, $failed failed"
