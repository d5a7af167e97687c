#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL cluster:
#
#   scripts/with-postgres.sh CMD [ARGS...]
#
# Installs Debian's `postgresql` package when `initdb` cannot be found, creates a
# cluster in a temp dir (durable settings: fsync and synchronous_commit on), starts it
# listening on a Unix socket in that dir only (no TCP port to collide with), creates
# the role and database `subledger`, exports
#
#   SUBLEDGER_PG_URL   postgresql://subledger@localhost/subledger?host=<socket dir>
#   SUBLEDGER_PG_TESTS 1   (turns the PostgreSQL tests on, see crates/subledger-store/build.rs)
#   SUBLEDGER_PG_BIN   the server's bin directory (pg_ctl, pgbench, psql)
#
# runs CMD, stops the server and removes the cluster, and exits with CMD's status.
# Under root the server runs as the `postgres` user (PostgreSQL refuses root).
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

find_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
      echo "$d"
    fi
  done | sort -V | tail -n 1
}

PG_BIN="$(find_bin)"
if [ -z "$PG_BIN" ]; then
  echo "with-postgres: initdb not found; installing Debian's postgresql package" >&2
  if [ "$(id -u)" -eq 0 ]; then
    apt-get install -y postgresql >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y postgresql >/dev/null; }
  else
    sudo apt-get install -y postgresql >/dev/null
  fi
  PG_BIN="$(find_bin)"
fi
if [ -z "$PG_BIN" ]; then
  echo "with-postgres: PostgreSQL could not be installed" >&2
  exit 3
fi

dir="$(mktemp -d /tmp/subledger-pg.XXXXXX)"
chmod 755 "$dir"
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$dir"
  as_owner=(runuser -u postgres --)
fi

cleanup() {
  "${as_owner[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

"${as_owner[@]}" "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 3; }
cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$dir'
max_connections = 300
shared_buffers = 256MB
fsync = on
synchronous_commit = on
EOF
"${as_owner[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null \
  || { cat "$dir/server.log" >&2; exit 3; }
"$PG_BIN/psql" -h "$dir" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 \
  -c "CREATE ROLE subledger LOGIN SUPERUSER" -c "CREATE DATABASE subledger OWNER subledger" >/dev/null

export SUBLEDGER_PG_URL="postgresql://subledger@localhost/subledger?host=$dir"
export SUBLEDGER_PG_TESTS=1
export SUBLEDGER_PG_BIN="$PG_BIN"
echo "with-postgres: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on socket $dir" >&2

set +e
"$@"
status=$?
set -e
exit "$status"
