#!/usr/bin/env bash
# Message DB (github.com/message-db/message-db, the PostgreSQL event store) under
# pgbench, measured the way `scripts/bench.sh store` measures append_64x1: 64 clients
# (`-c 64 -j 2`), each appending one event per transaction to a stream of its own
# (`write_message(<fresh uuid>, 'bench-<client>', 'SeatsAdded', data, metadata, NULL)`,
# payloads the size of the store bench's), for BENCH_SECONDS (20) per run, BENCH_RUNS
# (3) runs, on the same throwaway durable cluster as `scripts/with-postgres.sh` (fsync
# on, synchronous_commit on, Unix socket; started here when SUBLEDGER_PG_URL is unset).
#
#   scripts/bench-messagedb.sh          (or: scripts/bench.sh messagedb)
#
# Message DB is fetched from the npm registry (`npm pack @eventide/message-db`,
# MESSAGEDB_VERSION, default 1.3.1) into a temp dir and installed into a database of
# its own (`messagedb_bench`, dropped first) by its own database/install.sh: role
# `message_store`, schema `message_store`, pgcrypto, the messages table, functions,
# indexes, views, grants. Nothing of it is kept in this repository. pgbench connects as
# `message_store` with search_path message_store,public (as Message DB's clients do).
#
# Message DB serializes writers per *category* (the stream name up to the first '-',
# an advisory lock held to the commit), so the stream names matter:
#
#   messagedb_write_message_per_s               streams bench-<client>: one category, all
#                                               64 clients take one lock (as subledger's
#                                               customer streams would be named there)
#   messagedb_write_message_per_s_64_categories streams bench<client>-1: 64 categories,
#                                               no lock shared (BENCH_MDB_CATEGORIES=0 skips)
#
# Each figure is the median of the runs' tps (one write_message per transaction, so
# events/s); the table is emptied and checkpointed before each run. Also printed: the
# median p99 latency (pgbench's per-transaction log).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${SUBLEDGER_PG_URL:-}" ]; then
  exec scripts/with-postgres.sh "$0" "$@"
fi

version="${MESSAGEDB_VERSION:-1.3.1}"
seconds="${BENCH_SECONDS:-20}"
runs="${BENCH_RUNS:-3}"
clients=64

# The server's tools first (pgbench, psql, createdb of the cluster's own version).
if [ -n "${SUBLEDGER_PG_BIN:-}" ]; then
  export PATH="$SUBLEDGER_PG_BIN:$PATH"
fi
for tool in psql pgbench createdb npm; do
  command -v "$tool" >/dev/null || { echo "bench-messagedb: $tool not found" >&2; exit 3; }
done

# libpq settings from SUBLEDGER_PG_URL (postgresql://user@host[:port]/db?host=/socket).
url="$SUBLEDGER_PG_URL"
rest="${url#*://}"
if [[ "$rest" == *@* ]]; then
  export PGUSER="${rest%%@*}"
  rest="${rest#*@}"
fi
hostport="${rest%%/*}"
export PGHOST="${hostport%%:*}"
[[ "$hostport" == *:* ]] && export PGPORT="${hostport##*:}"
if [[ "$url" == *"host="* ]]; then
  sock="${url##*host=}"
  export PGHOST="${sock%%&*}"
fi
export PGDATABASE=postgres

work="$(mktemp -d /tmp/subledger-messagedb.XXXXXX)"
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"

echo "# Message DB $version (npm: @eventide/message-db), pgbench $(pgbench --version | awk '{print $3}')"
(cd "$work" && npm pack --silent "@eventide/message-db@$version" >/dev/null && tar xzf ./*.tgz)
db_dir="$work/package/database"
[ -f "$db_dir/install.sh" ] || { echo "bench-messagedb: no database/install.sh in the package" >&2; exit 3; }

database=messagedb_bench
PGOPTIONS="-c client_min_messages=warning" psql -qAt -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $database" >/dev/null
DATABASE_NAME="$database" PGOPTIONS='-c client_min_messages=warning' \
  bash "$db_dir/install.sh" >"$work/install.log" 2>&1 \
  || { cat "$work/install.log" >&2; exit 3; }
installed=$(psql -qAt -d "$database" -c "SELECT message_store.message_store_version()")
settings=$(psql -qAt -d "$database" -c "SELECT current_setting('fsync') || ' ' || current_setting('synchronous_commit') || ' ' || current_setting('shared_buffers')")
echo "# installed by its install.sh: message_store_version() = $installed; fsync, synchronous_commit, shared_buffers: $settings"
echo "# $clients clients (-c $clients -j 2, -M prepared), one write_message per transaction, expected_version NULL, $seconds s per run, $runs runs; $(nproc) cores"

data='{"subscription_id":"00000000-0000-0000-0000-00000000002a","seats":42,"at":"2026-11-22T10:00:00Z"}'
metadata='{"command_id":"6f1c2f7e-0000-4000-8000-000000000000","actor":"bench"}'

# bench NAME STREAM_EXPRESSION: BENCH_RUNS pgbench runs; prints the median tps as NAME.
bench() {
  local name="$1" stream="$2" i tps p99 out
  cat >"$work/write.sql" <<EOF
SELECT message_store.write_message(gen_random_uuid()::varchar, $stream, 'SeatsAdded', '$data'::jsonb, '$metadata'::jsonb, NULL);
EOF
  local rates=() p99s=()
  for i in $(seq "$runs"); do
    psql -qAt -d "$database" -v ON_ERROR_STOP=1 \
      -c "TRUNCATE message_store.messages RESTART IDENTITY" -c "CHECKPOINT" >/dev/null
    rm -f "$work"/pgbench_log.*
    out=$(cd "$work" && PGOPTIONS='-c search_path=message_store,public' \
      pgbench -n -M prepared -c "$clients" -j 2 -T "$seconds" -l -U message_store \
        -f "$work/write.sql" "$database" 2>&1) \
      || { echo "$out" >&2; exit 1; }
    tps=$(echo "$out" | awk '/^tps = / {printf "%.0f", $3}')
    failed=$(echo "$out" | awk '/^number of failed transactions/ {print $5}')
    # Column 3 of pgbench's per-transaction log: the latency in µs.
    p99=$(cat "$work"/pgbench_log.* | awk '{print $3}' | sort -n \
      | awk '{a[NR]=$1} END {i=int(NR*0.99); if (i<1) i=1; print a[i]}')
    rows=$(psql -qAt -d "$database" -c "SELECT count(*) FROM message_store.messages")
    echo "# $name run $i: $tps events/s, p99 ${p99} us, $rows messages written, failed ${failed:-0}"
    rates+=("$tps")
    p99s+=("$p99")
  done
  local median p99m
  median=$(printf '%s\n' "${rates[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  p99m=$(printf '%s\n' "${p99s[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$name: $median events/s"
  echo "${name/write_message_per_s/p99_latency_us}: $p99m us"
}

bench messagedb_write_message_per_s "('bench-' || :client_id::text)"
if [ "${BENCH_MDB_CATEGORIES:-1}" != 0 ]; then
  bench messagedb_write_message_per_s_64_categories "('bench' || :client_id::text || '-1')"
fi
psql -qAt -c "DROP DATABASE IF EXISTS $database" >/dev/null
