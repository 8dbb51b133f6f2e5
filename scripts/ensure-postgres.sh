#!/usr/bin/env bash
# Makes sure the local PostgreSQL the test suite's PostgreSQL pass uses is up: starts the Debian
# cluster if it is down, waits until it accepts connections, and creates the database `test` if
# it is missing. Under CI it also lets loopback connections in without a password (trust), as on
# the development machine, when a fresh install refuses them. Idempotent; exits non-zero if
# PostgreSQL cannot be made reachable.
#
# Environment: PGHOST (default 127.0.0.1), PGPORT (5432), PGUSER (postgres), HANDSET_TEST_DB (test).
set -euo pipefail

host="${PGHOST:-127.0.0.1}"
port="${PGPORT:-5432}"
user="${PGUSER:-postgres}"
db="${HANDSET_TEST_DB:-test}"

log() { echo "ensure-postgres: $*"; }

ready() { pg_isready -h "$host" -p "$port" -q; }

# The Debian cluster on $port (version and name), from pg_lsclusters.
cluster() { pg_lsclusters --no-header 2>/dev/null | awk -v p="$port" '$3 == p { print $1, $2; exit }'; }

if ! command -v pg_isready >/dev/null 2>&1; then
  log "PostgreSQL client tools are not installed (apt-get install postgresql)"
  exit 1
fi

if ! ready; then
  read -r version name < <(cluster) || true
  if [ -n "${version:-}" ] && command -v pg_ctlcluster >/dev/null 2>&1; then
    log "starting cluster $version/$name on port $port"
    pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start || true
  else
    log "no local cluster on port $port to start"
  fi
  for _ in $(seq 1 60); do
    ready && break
    sleep 0.5
  done
fi
if ! ready; then
  log "PostgreSQL is not accepting connections on $host:$port"
  exit 1
fi

psql_run() { psql -h "$host" -p "$port" -U "$user" -d postgres -v ON_ERROR_STOP=1 -tAc "$1"; }

if ! psql_run 'select 1' >/dev/null 2>&1; then
  read -r version name < <(cluster) || true
  hba="/etc/postgresql/${version:-}/${name:-}/pg_hba.conf"
  if [ -n "${CI:-}" ] && [ -n "${version:-}" ] && [ -w "$hba" ] && ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    log "CI: allowing passwordless loopback connections in $hba"
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$version" "$name" reload
    sleep 1
  fi
fi
if ! psql_run 'select 1' >/dev/null; then
  log "cannot connect as $user to $host:$port"
  exit 1
fi

if [ "$(psql_run "select 1 from pg_database where datname = '$db'")" != "1" ]; then
  log "creating database $db"
  psql_run "create database \"$db\"" >/dev/null
fi
log "PostgreSQL is up on $host:$port (database $db)"
