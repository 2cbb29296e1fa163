#!/usr/bin/env bash
# A throwaway PostgreSQL server for the migrations round-trip tests, from the distribution's
# packages. Idempotent: installs only if missing, reuses a running server, creates the role and
# database only once. Prints the connection URL on stdout; everything else goes to stderr.
set -euo pipefail
PORT="${GUARD_PG_PORT:-54329}"
DIR="${GUARD_PG_DIR:-/tmp/guard-ci-postgres}"

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing postgresql from Debian packages" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
  else
    echo "postgresql is not installed and this user cannot install it" >&2
    exit 1
  fi
fi
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"

# initdb and the server refuse to run as root: run them as the postgres user the package made
if [ "$(id -u)" = 0 ]; then
  AS=(runuser -u postgres --)
else
  AS=()
fi

mkdir -p "$DIR"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR" && chmod 700 "$DIR"
if ! "${AS[@]}" "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
  if [ ! -f "$DIR/PG_VERSION" ]; then
    "${AS[@]}" "$BIN/initdb" -D "$DIR" -U postgres -A trust --no-sync >/dev/null
  fi
  "${AS[@]}" "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 60 \
    -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off" start >&2
fi

PSQL=("$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
"${PSQL[@]}" -d postgres -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'guard_ci') THEN
    CREATE ROLE guard_ci LOGIN CREATEDB PASSWORD 'guard_ci';
  END IF; END \$\$;" >&2
if [ -z "$("${PSQL[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'guard_ci'")" ]; then
  "${PSQL[@]}" -d postgres -c "CREATE DATABASE guard_ci OWNER guard_ci" >&2
fi
echo "postgresql://guard_ci:guard_ci@127.0.0.1:$PORT/guard_ci"
