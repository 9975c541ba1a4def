#!/usr/bin/env bash
# SR-07 through the API: runs schemathesis against Senco's JSON API as every role of school A,
# looking for school B's canary in every response body and header.
#
# Seeds a fresh demo database, starts `senco serve` on a free loopback port, writes canaries
# (CANARY-B-<uuid>, or Canaryb<letters> in names) into every text field of school B that the
# API can write (scripts/api_fuzz/seed_b.py), then, for each role of school A, runs
# schemathesis with that account's API token and the checks `not_a_server_error` and
# `no_canary_b` (scripts/api_fuzz/hooks.py). Unsafe methods are fuzzed too: school A's records
# may change, school B's must not (checked at the end), nor may B's canary reach the server log
# or an email to anyone outside school B.
#
# Does not build Rust: SENCO_BIN (default target/debug/senco) must exist. Installs
# schemathesis into target/api-fuzz-venv once (from PyPI, with python3 -m venv and pip).
#
#   API_FUZZ_SECONDS   time budget per role (default 12)
#   API_FUZZ_EXAMPLES  schemathesis --max-examples per operation (default 10)
#   API_FUZZ_CODEC     strings schemathesis generates (default latin-1; utf-8 reproduces the
#                      plan PDF failure on characters the bundled font lacks, see CHANGELOG)
#   API_FUZZ_SEED      schemathesis --seed, to repeat a run
#   API_FUZZ_KEEP      1 to keep the temporary folder (database, server log, reports)
#
# Exit code 0 when every role passed; 1 with the role, operation and response otherwise.
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

say() { printf 'api-fuzz: %s\n' "$*"; }
die() { printf 'api-fuzz: error: %s\n' "$*" >&2; exit 1; }

schemathesis_version=4.32.5
venv="$repo/target/api-fuzz-venv"
seconds="${API_FUZZ_SECONDS:-12}"
examples="${API_FUZZ_EXAMPLES:-10}"
codec="${API_FUZZ_CODEC:-latin-1}"
# School A is fuzzed, school B holds the canaries: two primaries of the same English authority
# in the demo, so the authority's officer and specialists work for both.
school_a="${API_FUZZ_SCHOOL_A:-118722}"
school_b="${API_FUZZ_SCHOOL_B:-118851}"

# 1. schemathesis, once.
if [ ! -f "$venv/.schemathesis-$schemathesis_version" ]; then
  say "installing schemathesis $schemathesis_version into target/api-fuzz-venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check --no-cache-dir "schemathesis==$schemathesis_version"
  touch "$venv/.schemathesis-$schemathesis_version"
fi
py="$venv/bin/python"
st="$venv/bin/st"

bin="${SENCO_BIN:-target/debug/senco}"
[ -x "$bin" ] || die "$bin not found: build it (cargo build --locked -p senco) or set SENCO_BIN"

# 2. A fresh database and server.
work="$(mktemp -d "${TMPDIR:-/tmp}/senco-api-fuzz.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "${API_FUZZ_KEEP:-}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

db_url="sqlite://$work/demo.db"
"$bin" demo --no-serve --json --database-url "$db_url" > "$work/seed.json" 2> "$work/seed.log" \
  || die "senco demo failed: $(tail -n 5 "$work/seed.log")"

: > "$work/serve.log"
SENCO_OUTBOX_DIR="$work/outbox" SENCO_LOG=info \
  "$bin" serve --database-url "$db_url" --bind 127.0.0.1:0 > "$work/serve.log" 2>&1 &
server_pid=$!
base=""
for _ in $(seq 1 300); do
  base="$(sed -n 's/.*Senco is listening on \(http:\/\/[^ ]*\).*/\1/p' "$work/serve.log" | head -n 1)"
  [ -n "$base" ] && break
  kill -0 "$server_pid" 2>/dev/null || die "senco serve exited early: $(tail -n 5 "$work/serve.log")"
  sleep 0.1
done
[ -n "$base" ] || die "senco serve did not start within 30 s: $(tail -n 5 "$work/serve.log")"
base="${base%/}"
say "server $base, database $work/demo.db"

# 3. The accounts: every role on school A's side, and school B's SENCO.
#    Lines of "role email"; the officer and the specialist are the authority's that school A
#    and school B share, the administrator the installation's.
"$py" - "$work/seed.json" "$school_a" "$school_b" > "$work/accounts" <<'EOF'
import json, sys
seed, a, b = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
def first(role, urn=None):
    for acc in seed["accounts"]:
        if acc["role"] == role and acc["school_urn"] == urn:
            return acc["email"]
    sys.exit(f"the demo has no {role} account" + (f" at school {urn}" if urn else ""))
print("senco_b", first("senco", b))
for role in ["senco", "teacher", "teaching_assistant", "head", "school_admin", "parent"]:
    print(role, first(role, a))
for role in ["specialist", "la_officer", "admin"]:
    print(role, first(role))
EOF
token() {
  "$bin" token create --database-url "$db_url" --email "$1" --name api-fuzz 2>> "$work/seed.log" \
    || die "senco token create --email $1 failed: $(tail -n 3 "$work/seed.log")"
}
declare -A tokens emails
roles=()
while read -r role email; do
  emails[$role]="$email"
  tokens[$role]="$(token "$email")"
  [ "$role" = senco_b ] || roles+=("$role")
done < "$work/accounts"

# 4. School B's canaries.
agency_b="$("$py" - "$work/demo.db" "$school_b" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
row = db.execute("SELECT a.id FROM agencies a JOIN schools s ON s.id = a.school_id WHERE s.urn = ? "
                 "ORDER BY a.id LIMIT 1", (sys.argv[2],)).fetchone()
print(row[0] if row else "")
EOF
)"
[ -n "$agency_b" ] || die "school $school_b has no agency in the demo"
run_id="$("$py" -c 'import uuid; print(uuid.uuid4())')"
"$py" scripts/api_fuzz/seed_b.py "$base" "${tokens[senco_b]}" "$school_b" "$agency_b" "$run_id" > "$work/seed_b.json"
"$py" - "$work/seed_b.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"api-fuzz: school B holds {len(s['canaries'])} canaries; "
      f"not readable through the API even by school B: {', '.join(s['not_read_back']) or 'none'}")
EOF
# shellcheck disable=SC2086
"$py" scripts/api_fuzz/ids.py "$work/demo.db" "$school_a" "$work/seed_b.json" ${emails[*]} > "$work/ids.json"

# 5. schemathesis as every role of school A.
failed=()
seed_args=()
[ -n "${API_FUZZ_SEED:-}" ] && seed_args=(--seed "$API_FUZZ_SEED")
fuzz() { # ROLE_LABEL TOKEN OUT [schemathesis options...]
  local label="$1" tok="$2" out="$3"
  shift 3
  # In the temporary folder: schemathesis keeps its cache (for `st replay`) in the current one.
  (cd "$work" && API_FUZZ_ROLE="$label" API_FUZZ_IDS="$work/ids.json" \
    PYTHONPATH="$repo/scripts/api_fuzz" SCHEMATHESIS_HOOKS=hooks \
    "$st" run "$base/api/v1/openapi.json" \
      --header "Authorization: Bearer $tok" \
      --phases examples,coverage,fuzzing --workers 1 \
      --generation-codec "$codec" --generation-database none \
      --request-timeout 30 --no-color --output-sanitize true \
      "${seed_args[@]}" "$@") > "$out" 2>&1
}
# The control: school B's SENCO reads its own pupil and plan PDF, so the check must fire
# (else the hooks are not loaded, or the canary is not where this script thinks).
control=0
fuzz "senco_b (control)" "${tokens[senco_b]}" "$work/st-control.log" \
  --checks no_canary_b --include-path-regex '^/api/v1/(pupils/\{id\}|plans/\{id\}/pdf)$' \
  --exclude-method PATCH --max-examples 20 --max-time 10 || control=$?
if [ "$control" -eq 0 ] || ! grep -q 'SR-07 LEAK.* GET /api/v1/pupils/[^/ ]* answered 200' "$work/st-control.log" \
  || ! grep -q 'SR-07 LEAK.* GET /api/v1/plans/[^/ ]*/pdf answered 200' "$work/st-control.log"; then
  tail -n 40 "$work/st-control.log" | sed 's/^/    /'
  die "the control run as school B's SENCO did not see school B's canary in its pupil and plan PDF: the check does not work"
fi
say "control: school B's SENCO sees its canary in its pupil and its plan PDF (the check works)"
for role in "${roles[@]}"; do
  out="$work/st-$role.log"
  status=0
  fuzz "$role (${emails[$role]})" "${tokens[$role]}" "$out" \
    --checks not_a_server_error,no_canary_b --max-examples "$examples" --max-time "$seconds" || status=$?
  cases="$(sed -n 's/^ *\([0-9]* generated.*\)$/\1/p' "$out" | tail -n 1)"
  # A run that sent nothing (the time budget spent before the first case) proves nothing.
  if [ "$status" -eq 0 ] && [ -z "$cases" ]; then status="no test cases"; fi
  if [ "$status" = 0 ]; then
    say "$role: passed ($cases)"
  else
    failed+=("$role")
    say "$role (${emails[$role]}): FAILED (exit $status; ${cases:-no summary})"
    # The failures and errors, with the operation, response and a curl line to reproduce them.
    awk '/^=+ (FAILURES|ERRORS) =+$/ {on = 1} /^=+ (WARNINGS|SUMMARY) =+$/ {on = 0} on' "$out" \
      | head -n 80 | sed 's/^/    /'
  fi
done

# 6. School B's records are as they were, and its canaries reached no log or other inbox.
"$py" scripts/api_fuzz/seed_b.py --verify "$base" "${tokens[senco_b]}" "$work/seed_b.json" \
  | sed 's/^seed_b/api-fuzz/' || failed+=("school B's records")
if grep -qi 'canary-\?b' "$work/serve.log"; then
  say "school B's canary is in the server log:"
  grep -i 'canary-\?b' "$work/serve.log" | head -n 5 | sed 's/^/    /'
  failed+=("server log")
fi
if [ -d "$work/outbox" ]; then
  for eml in "$work"/outbox/*.eml; do
    [ -e "$eml" ] || continue
    to="$(sed -n 's/^To: *//Ip' "$eml" | head -n 1)"
    if grep -qi 'canary-\?b' "$eml" && [[ "$to" != *"@${emails[senco_b]#*@}"* ]]; then
      say "an email to $to holds school B's canary ($(basename "$eml"))"
      failed+=("email to $to")
    fi
  done
fi

# One result per role, plus B's records, the server log and the outbox.
total=$(( ${#roles[@]} + 3 ))
if [ "${#failed[@]}" -gt 0 ]; then
  say "FAILED: ${failed[*]} (rerun with API_FUZZ_KEEP=1 to keep the logs and database)"
  say "$(( total - ${#failed[@]} )) passed, ${#failed[@]} failed"
  exit 1
fi
say "all ${#roles[@]} roles passed: no server error, school B's canary nowhere"
say "$total passed, 0 failed"
