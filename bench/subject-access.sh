#!/usr/bin/env bash
# Times `senco export subject-access` (SR-31: under 60 s for a pupil with ten years of records)
# for a pupil grown to ten years of records: the demo data's pupil with the most sessions,
# exported as a portable record, grown by bench/subject-access-record.py (30 plans with
# reviews, 20 allocations with about 2,700 sessions, 10 involvements with 50 notes and ten
# 100 KB reports) and imported beside the original, with 10,000 rows of access log added.
# Debug build by default (`--profile release` for the optimised one, which takes long to
# build). RUNS=N times each format (3). Needs python3 and sqlite3. Record results in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
profile=dev
[ "${1:-}" = "--profile" ] && profile="$2"
dir=debug
[ "$profile" = "release" ] && dir=release
echo "machine: $(nproc) cores, $(uname -m); rustc $(rustc --version | cut -d' ' -f2); profile $profile"
cargo build --locked -p senco --profile "$profile" --bin senco
senco="$PWD/target/$dir/senco"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db="sqlite://$tmp/bench.db"
cd "$tmp"
"$senco" demo --database-url "$db" --no-serve >/dev/null
pupil=$(sqlite3 bench.db "SELECT p.id FROM pupils p JOIN plans pl ON pl.pupil_id = p.id \
  ORDER BY (SELECT COUNT(*) FROM delivery_sessions d WHERE d.pupil_id = p.id) DESC, p.legal_surname, p.legal_forename LIMIT 1")
urn=$(sqlite3 bench.db "SELECT s.urn FROM schools s JOIN pupils p ON p.school_id = s.id WHERE p.id = '$pupil'")
"$senco" export record --database-url "$db" --pupil "$pupil" -o record.json 2>/dev/null
python3 "$OLDPWD/bench/subject-access-record.py" record.json ten-years.json
out=$("$senco" import record --database-url "$db" --school "$urn" ten-years.json)
big=$(echo "$out" | sed -n 's/.* as pupil \([0-9a-f-]*\):.*/\1/p')
echo "$out"
# Ten thousand reads of the record (written straight into the log: their hash chain is not
# what is measured).
sqlite3 bench.db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000) \
  INSERT INTO audit_log (at, channel, actor_label, actor_role, pupil_id, record_type, record_id, action, outcome) \
  SELECT '2026-01-01T09:00:00.000000Z', 'web', 'teacher@school.example', 'teacher', '$big', 'pupil', '$big', 'read', 'allowed' FROM n"
for table in plans reviews allocations delivery_sessions involvement_notes involvement_reports audit_log; do
  echo "$table: $(sqlite3 bench.db "SELECT COUNT(*) FROM $table WHERE pupil_id = '$big'")"
done
TIMEFORMAT='%R s'
for format in json pdf; do
  for run in $(seq "${RUNS:-3}"); do
    echo -n "$format run $run: "
    { time "$senco" export subject-access --database-url "$db" --pupil "$big" --format "$format" -o "bundle.$format" 2>/dev/null; } 2>&1
  done
  ls -l "bundle.$format" | awk '{print "  size: " $5 " bytes"}'
done
echo "pages: $(pdfinfo bundle.pdf 2>/dev/null | sed -n 's/^Pages: *//p')"
