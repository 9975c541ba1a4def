#!/usr/bin/env bash
# Builds Senco and its front-end assets, fills senco.db with realistic made-up data (replacing
# an earlier demo database), prints the sign-ins and serves it on http://127.0.0.1:8080.
# Extra arguments go to `senco demo`, e.g. --bind 0.0.0.0:8080 or --database-url postgres://...
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
bash scripts/build-assets.sh
cargo build --locked -p senco
exec target/debug/senco demo --force "$@"
