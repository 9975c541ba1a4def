#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 and that a non-superuser role
# `senco_test` (allowed to create databases) and a plain role `senco_app` exist, then writes
# target/test-postgres.env with SENCO_TEST_POSTGRES_URL for the tests.
# Installs and starts Debian's postgresql when nothing answers. Fails if it cannot connect.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
host=127.0.0.1
port=5432
say() { printf 'test-postgres: %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

answers() { pg_isready -q -h "$host" -p "$port" 2>/dev/null; }

if ! command -v pg_isready >/dev/null 2>&1 || ! answers; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    say "installing Debian's postgresql"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq postgresql >/dev/null
  fi
  version="$(ls /etc/postgresql | sort -V | tail -n1)"
  say "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do answers && break; sleep 1; done
fi
answers || { echo "test-postgres: error: nothing answers on $host:$port" >&2; exit 1; }

# Create the test role as a superuser: over TCP with trust auth if allowed, else via the
# local socket as the postgres system user (then the role gets a password).
# It also creates senco_app, a plain login role that owns nothing: the row-level security
# tests (SR-08) connect as it, the way a production server should.
sql="DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'senco_test') THEN CREATE ROLE senco_test LOGIN CREATEDB PASSWORD 'senco_test'; END IF; IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'senco_app') THEN CREATE ROLE senco_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'senco_app'; END IF; END \$\$;"
if psql -h "$host" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qc "$sql" >/dev/null 2>&1; then
  :
elif as_root su postgres -c "psql -v ON_ERROR_STOP=1 -qc \"$sql\"" >/dev/null 2>&1; then
  :
else
  echo "test-postgres: error: could not create the senco_test role" >&2
  exit 1
fi

url=""
for candidate in "postgres://senco_test@$host:$port/postgres" "postgres://senco_test:senco_test@$host:$port/postgres"; do
  if psql "$candidate" -qtAc "SELECT 1" >/dev/null 2>&1; then url="$candidate"; break; fi
done
[ -n "$url" ] || { echo "test-postgres: error: cannot connect as senco_test" >&2; exit 1; }
# Tests run as a non-superuser.
[ "$(psql "$url" -qtAc "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")" = "f" ] \
  || { echo "test-postgres: error: senco_test must not be a superuser" >&2; exit 1; }
mkdir -p "$repo/target"
printf 'SENCO_TEST_POSTGRES_URL=%q\n' "$url" > "$repo/target/test-postgres.env"
say "ready: tests connect as senco_test (not a superuser) and create their own databases"
