#!/usr/bin/env bash
# SR-39: the supply-chain checks, offline. cargo-deny (advisories, licences, bans, sources)
# and cargo-audit against the RustSec snapshot in ../shared/advisory-db, whose age is
# reported (it is refreshed from outside the project, so age is not a failure). Then both
# tools are shown to fail on a planted vulnerable crate (smallvec 1.6.0, RUSTSEC-2021-0003).
# Installs cargo-deny and cargo-audit when they are absent.
#
#   scripts/supply-chain.sh            all of it
#   scripts/supply-chain.sh --no-plant skip the planted-crate check
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
plant=true
[ "${1:-}" = "--no-plant" ] && plant=false

snapshot="${SENCO_ADVISORY_SNAPSHOT:-$repo/../shared/advisory-db}"
if [ ! -d "$snapshot/crates" ]; then
  echo "supply-chain: no advisory snapshot at $snapshot" >&2
  exit 1
fi
snapshot="$(cd "$snapshot" && pwd)"

for tool in cargo-deny cargo-audit; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "supply-chain: installing $tool (once; a few minutes)"
    cargo install --locked --quiet "$tool"
  fi
done

# The snapshot's age, from its SNAPSHOT file.
taken="$(sed -n 's/^date: *//p' "$snapshot/SNAPSHOT" 2>/dev/null | head -1)"
if [ -n "$taken" ]; then
  age=$(( ( $(date -u +%s) - $(date -u -d "$taken" +%s) ) / 86400 ))
  echo "supply-chain: advisory snapshot of $taken ($age days old; $(sed -n 's/^advisories: *//p' "$snapshot/SNAPSHOT") advisories)"
  if [ "$age" -gt 31 ]; then
    echo "supply-chain: note: the snapshot is older than a month; ask for a refresh (SR-39)"
  fi
fi

# cargo-deny wants the database as a git repository named after the hash of its URL.
dbs="$repo/target/advisory-dbs"
db="$dbs/advisory-db-3157b0e258782691"
if [ ! -f "$db/.senco-snapshot" ] || ! cmp -s "$db/.senco-snapshot" "$snapshot/SNAPSHOT"; then
  rm -rf "$db"
  mkdir -p "$dbs"
  cp -a "$snapshot" "$db"
  cp "$snapshot/SNAPSHOT" "$db/.senco-snapshot"
  git -C "$db" init -q
  git -C "$db" add -A
  git -C "$db" -c user.name=senco -c user.email=ci@senco.invalid commit -q -m snapshot
fi
export SENCO_ADVISORY_DBS="$dbs"

cargo fetch --locked --quiet
echo "supply-chain: cargo deny check advisories bans licenses sources"
cargo deny --offline --log-level error check advisories bans licenses sources
duplicates=$(cargo deny --offline --log-level warn check bans 2>&1 | grep -c 'warning\[duplicate\]' || true)
echo "supply-chain: $duplicates crates are built in two versions (warnings; see cargo deny check bans)"
echo "supply-chain: cargo audit"
cargo audit --no-fetch --stale --db "$snapshot" --file Cargo.lock

if $plant; then
  # A throwaway project that depends on a crate with a known advisory: both tools must fail.
  planted="$repo/target/planted-advisory"
  rm -rf "$planted"
  mkdir -p "$planted/src"
  cat > "$planted/Cargo.toml" <<'TOML'
[package]
name = "planted"
version = "0.0.0"
edition = "2021"
license = "MIT"
publish = false

[dependencies]
smallvec = "=1.6.0"

[workspace]
TOML
  echo "" > "$planted/src/lib.rs"
  (cd "$planted" && cargo generate-lockfile --quiet && cargo fetch --quiet)
  cp deny.toml "$planted/deny.toml"
  # Each tool must exit non-zero and name the advisory.
  if out=$(cd "$planted" && cargo deny --offline --log-level error check advisories 2>&1) \
     || ! grep -q RUSTSEC-2021-0003 <<<"$out"; then
    echo "supply-chain: cargo deny did NOT fail on smallvec 1.6.0 (RUSTSEC-2021-0003)" >&2
    exit 1
  fi
  if out=$(cargo audit --no-fetch --stale --db "$snapshot" --file "$planted/Cargo.lock" 2>&1) \
     || ! grep -q RUSTSEC-2021-0003 <<<"$out"; then
    echo "supply-chain: cargo audit did NOT fail on smallvec 1.6.0 (RUSTSEC-2021-0003)" >&2
    exit 1
  fi
  echo "supply-chain: both tools fail on the planted smallvec 1.6.0, as they should"
fi
echo "supply-chain: ok"
