#!/usr/bin/env bash
# Runs Senco's browser tests (browser-tests/*.test.mjs) in Debian's headless
# Chromium with playwright-core and node's own test runner.
#
# Does not build Rust: build the binary first and point SENCO_BIN at it
# (default target/debug/senco). Installs Chromium with apt when it is missing
# and this runs as root. Builds the front-end assets (scripts/build-assets.sh).
# Extra arguments go to `node --test`, e.g. --test-name-pattern='JavaScript off'.
# Exit code: the test runner's.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

say() { printf 'browser-tests: %s\n' "$*"; }
die() { printf 'browser-tests: error: %s\n' "$*" >&2; exit 1; }

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  if [ "$chromium" = /usr/bin/chromium ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's chromium (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
  else
    die "$chromium not found. Install Debian's chromium (as root: apt-get install -y chromium) or set CHROMIUM_PATH."
  fi
fi
[ -x "$chromium" ] || die "$chromium still missing after installing chromium"
say "browser: $("$chromium" --version 2>/dev/null | head -n1 || echo "$chromium")"

bash "$repo/scripts/build-assets.sh"

export SENCO_BIN="${SENCO_BIN:-target/debug/senco}"
say "senco binary: $SENCO_BIN"

rm -rf browser-tests/artifacts
mkdir -p browser-tests/artifacts
shopt -s nullglob
tests=(browser-tests/*.test.mjs)
[ "${#tests[@]}" -gt 0 ] || die "no browser-tests/*.test.mjs files"

say "running ${#tests[@]} test file(s)"
# Test files one at a time: each starts its own server and browser.
# (Files are listed explicitly: node 22+ reads a bare directory argument as a
# glob, not as "every test file in it".)
status=0
node --test --test-concurrency=1 "$@" "${tests[@]}" || status=$?
if [ "$status" -ne 0 ]; then
  say "failed (exit $status); screenshots and the server log are in browser-tests/artifacts/"
fi
exit "$status"
