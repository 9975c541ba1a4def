#!/usr/bin/env bash
# The load benchmark (issue 9): a generated authority, the server pinned to one core and
# wrk pinned to the other, each page under concurrent load as a signed-in SENCO (and a
# head, a teacher and an officer for theirs), with /healthz as the ceiling of the stack.
#
#   bench/load.sh                 # 150 schools, 100,000 pupils, SQLite, 20 s a page, 32 users
#   bench/load.sh --small         # 3 schools, 2,000 pupils, 2 s a page (CI)
#   BENCH_POSTGRES_URL=<postgres:// URL of an empty database> bench/load.sh --engine postgres
#
# Options: --small, --engine sqlite|postgres|both, --duration SECONDS, --users N,
# --schools N, --pupils N, --regenerate. It builds and uses the release binary; --small uses
# the debug one (CI has no release build). The report says which.
# Results go to stdout and target/bench/ENGINE.md. Needs wrk (Debian: apt-get install wrk),
# python3, taskset, curl, and sqlite3 or psql.
set -euo pipefail
cd "$(dirname "$0")/.."

engine=sqlite duration=20 users=32 schools=150 pupils=100000 regenerate=0 small=0
while [ $# -gt 0 ]; do
  case "$1" in
    --small) small=1 duration=1 users=8 schools=3 pupils=2000 ;;
    --engine) engine=$2; shift ;;
    --duration) duration=$2; shift ;;
    --users) users=$2; shift ;;
    --schools) schools=$2; shift ;;
    --pupils) pupils=$2; shift ;;
    --regenerate) regenerate=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

for tool in wrk python3 taskset curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is needed" >&2; exit 2; }
done
# The full benchmark measures the optimised server, so it builds it (a no-op when built;
# about 8 minutes from cold on 2 cores). The small mode checks that the benchmark works
# and runs in CI, where there is no release build: it uses the debug binary.
if [ "$small" = 1 ]; then
  [ -x target/debug/senco ] || cargo build --locked -p senco
  bin=target/debug/senco build=debug
else
  cargo build --release --locked -p senco
  bin=target/release/senco build=release
fi
cores=$(nproc)
if [ "$cores" -ge 2 ]; then server_cpu=1 load_cpu=0; else server_cpu=0 load_cpu=0; fi
out=target/bench
mkdir -p "$out"

run_engine() {
  local engine=$1 url query
  local tag="$engine-$schools-$pupils"
  case "$engine" in
    sqlite) url="sqlite://$PWD/$out/$tag.db"
      query() { sqlite3 "$out/$tag.db" "$1"; } ;;
    postgres)
      url=${BENCH_POSTGRES_URL:?set BENCH_POSTGRES_URL to an empty PostgreSQL database}
      # Row-level security hides every pupil row until the tenant is set (SR-08).
      query() { psql "$url" -Atq -c "SET senco.schools = '*'" -c "$1"; } ;;
  esac
  local summary="$out/$tag.json"
  if [ "$regenerate" = 1 ] || [ ! -s "$summary" ]; then
    echo "== generating $schools schools, $pupils pupils on $engine ($build build)"
    local start=$SECONDS
    "$bin" generate --database-url "$url" --schools "$schools" --pupils "$pupils" --seed 9 --force --json \
      >"$summary" 2>"$out/$tag.generate.log"
    echo "   generated in $((SECONDS - start)) s"
  fi
  local port=$((20000 + RANDOM % 20000))
  local base="http://127.0.0.1:$port"
  taskset -c "$server_cpu" "$bin" serve --database-url "$url" --bind "127.0.0.1:$port" \
    --log-format json >"$out/$tag.server.log" 2>&1 &
  local pid=$!
  server_pid=$pid
  trap 'kill "$server_pid" 2>/dev/null || true' EXIT
  for _ in $(seq 1 120); do
    curl -fsS "$base/readyz" >/dev/null 2>&1 && break
    sleep 0.5
  done
  acct() { python3 -c "import json,sys; a=[x for x in json.load(open('$summary'))['accounts'] if x['role']=='$1'][0]; print(a['email'], a['totp_secret'] or '-')"; }
  local pass; pass=$(python3 -c "import json; print(json.load(open('$summary'))['passphrase'])")
  signin() { read -r email key < <(acct "$1"); python3 bench/signin.py "$base" "$email" "$pass" "$key"; }
  local senco head teacher officer
  senco=$(signin senco); head=$(signin head); teacher=$(signin teacher); officer=$(signin la_officer)
  local urn; urn=$(python3 -c "import json; print([x for x in json.load(open('$summary'))['accounts'] if x['role']=='senco'][0]['school_urn'])")
  local ids; ids=$(query "SELECT c.pupil_id || ' ' || p.id FROM current_stages c JOIN schools s ON s.id = c.school_id JOIN plans p ON p.pupil_id = c.pupil_id AND p.status = 'active' WHERE s.urn = '$urn' ORDER BY c.pupil_id LIMIT 1")
  local pupil=${ids% *} plan=${ids#* }
  local report="$out/$engine.md"
  {
    echo "### $engine, $schools schools, $(python3 -c "import json; print(json.load(open('$summary'))['pupils'])") pupils"
    echo
    echo "$(date -u +%Y-%m-%d), $build build, $cores cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), server on CPU $server_cpu, wrk on CPU $load_cpu (taskset), ${duration} s a row, 1 wrk thread."
    echo
    echo "| Page | Role | Status | Users | p50 ms | p95 ms | p99 ms | Requests/s | Errors |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
  } >"$report"
  bench_one() { # name role cookie users path
    local line code
    code=$(curl -s -o /dev/null -w '%{http_code}' ${3:+-H "Cookie: __Host-senco=$3"} "$base$5")
    if [ "$small" = 1 ] && [ "$code" != 200 ]; then
      echo "bench: $5 as $2 answered $code" >&2; failed=1
    fi
    line=$(taskset -c "$load_cpu" wrk -t1 -c"$4" -d"${duration}s" --timeout 10s -s bench/report.lua \
      ${3:+-H "Cookie: __Host-senco=$3"} "$base$5" | grep '^RESULT' || echo "RESULT p50=- p95=- p99=- rps=- requests=0 errors=-")
    eval "local ${line#RESULT }"
    echo "| $1 | $2 | $code | $4 | $p50 | $p95 | $p99 | $rps | $errors |" >>"$report"
    echo "   $1 ($2, $code, $4 users): p50 $p50 ms, p95 $p95 ms, p99 $p99 ms, $rps/s, errors $errors"
  }
  # Peak private and file-backed resident memory, sampled (VmHWM is only their peak sum).
  ( while kill -0 "$pid" 2>/dev/null; do
      awk '/RssAnon/ {a=$2} /RssFile/ {f=$2} END {print a, f}' "/proc/$pid/status" 2>/dev/null
      sleep 0.2
    done | awk '$1 > a {a=$1} $2 > f {f=$2} END {printf "%.0f %.0f\n", a/1024, f/1024}' >"$out/$tag.memory" ) &
  local sampler=$!
  echo "== load on $engine ($build build): $users users, ${duration} s a page"
  bench_one "Constant response (/healthz)" none "" "$users" /healthz
  bench_one "SEN register" senco "$senco" "$users" /register
  bench_one "SEN register, filtered" senco "$senco" "$users" "/register?stage=sen_support&need=SLCN"
  bench_one "Pupil page" senco "$senco" "$users" "/pupils/$pupil"
  bench_one "Plan page" senco "$senco" "$users" "/plans/$plan"
  bench_one "Chronology" senco "$senco" "$users" "/pupils/$pupil/chronology"
  bench_one "SENCO dashboard" senco "$senco" "$users" /
  bench_one "Head's dashboard" head "$head" "$users" /
  bench_one "Register CSV" senco "$senco" "$users" /register.csv
  bench_one "Plan PDF" senco "$senco" 4 "/plans/$plan/pdf"
  bench_one "API pupils" senco "$senco" "$users" /api/v1/pupils
  bench_one "API register" senco "$senco" "$users" /api/v1/register
  bench_one "API pupils (teacher)" teacher "$teacher" "$users" /api/v1/pupils
  bench_one "API pupils (officer)" la_officer "$officer" "$users" /api/v1/pupils
  bench_one "API schools (officer)" la_officer "$officer" "$users" /api/v1/schools
  local rss anon file
  rss=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  # SQLite reads the database through a memory map: those pages are the kernel's page cache,
  # shared and reclaimable, but they count in the resident size; the split says how much.
  read -r anon file <"$out/$tag.memory"
  trap - EXIT
  { echo; echo "Server peak memory (VmHWM): $rss MB; sampled peaks: $anon MB private (RssAnon), $file MB mapped from files (RssFile, mostly the database)."; echo; } >>"$report"
  echo "   server peak RSS (VmHWM): $rss MB (sampled peaks: RssAnon $anon MB, RssFile $file MB); report in $report"
}

failed=0
case "$engine" in
  both) run_engine sqlite; run_engine postgres ;;
  *) run_engine "$engine" ;;
esac
exit "$failed"
