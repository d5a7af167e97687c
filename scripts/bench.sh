#!/usr/bin/env bash
# Benchmarks, one sub-benchmark per name: `scripts/bench.sh store`.
# Each prints one line per figure as `name: value unit` (lines starting with `#` are
# context). Always release builds; run on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: $0 <benchmark>" >&2
  echo "benchmarks: store messagedb decide inprocess http replay simulate seal verify" >&2
  exit 2
}

[ $# -ge 1 ] || usage

case "$1" in
  store)
    # Event store (SQLite, durable commits): append 1x1 and 64x1, p99 latency at 64,
    # read_all over 1,000,000 events, raw fsync rate. BENCH_SECONDS=<n> per append phase.
    # BENCH_STORE=postgres: the same figures against PostgresStore, in a throwaway
    # durable cluster (scripts/with-postgres.sh: fsync and synchronous_commit on), or
    # at SUBLEDGER_PG_URL when it is set; BENCH_PG_PROFILE=1 adds a sampled 64x1 round
    # (appends per group commit, where the writer's transaction spends its time).
    if [ "${BENCH_STORE:-sqlite}" = postgres ] && [ -z "${SUBLEDGER_PG_URL:-}" ]; then
      cargo bench --locked -p subledger-store --bench store --no-run
      scripts/with-postgres.sh cargo bench --locked -p subledger-store --bench store
    else
      cargo bench --locked -p subledger-store --bench store
    fi
    ;;
  messagedb)
    # Message DB's write_message under pgbench, 64 clients, one event per transaction,
    # on the same durable throwaway cluster: messagedb_write_message_per_s (median of
    # BENCH_RUNS (3) runs of BENCH_SECONDS (20)); see scripts/bench-messagedb.sh.
    scripts/bench-messagedb.sh
    ;;
  decide)
    # One decision against customers of 10 / 1,000 / 10,000 subscriptions (criterion).
    cargo bench --locked -p subledger-domain --bench decide
    ;;
  inprocess)
    # The command path without HTTP, durable commits: inprocess_commands_per_s.
    cargo bench --locked -p subledger-app --bench commands
    ;;
  http)
    # The real server (release) under a load generator on loopback: http_commands_per_s
    # at saturation, p50_ms / p99_ms at 5,000 requests/s.
    # BENCH_STORE=postgres: the servers on a throwaway durable PostgreSQL, BENCH_NODES (1)
    # of them sharing it (3: http_commands_per_s_3_nodes).
    cargo build --locked --release --bin subledger
    if [ "${BENCH_STORE:-sqlite}" = postgres ] && [ -z "${SUBLEDGER_PG_URL:-}" ]; then
      cargo bench --locked -p subledger-api --bench http --no-run
      SUBLEDGER_BIN="$PWD/target/release/subledger" scripts/with-postgres.sh \
        cargo bench --locked -p subledger-api --bench http
    else
      SUBLEDGER_BIN="$PWD/target/release/subledger" cargo bench --locked -p subledger-api --bench http
    fi
    ;;
  replay)
    # A full replay of every projection over a log of >= 2,000,000 events written
    # through the command path (built once into target/bench-replay/, reused), then
    # time travel on a customer with 10,000 events: replay_events_per_s, as_of_ms.
    # Knobs: BENCH_EVENTS (2000000), BENCH_CUSTOMERS (20000), BENCH_RUNS (5).
    cargo bench --locked -p subledger-app --bench replay
    if [ -x target/release/subledger ] || cargo build --locked --release --bin subledger; then
      echo "# the same log through the CLI: subledger replay --data-dir target/bench-replay"
      target/release/subledger replay --data-dir target/bench-replay | grep -E '^replay_events_per_s' \
        | sed 's/^replay_events_per_s /cli_replay_events_per_s: /' || true
    fi
    ;;
  seal)
    # What sealing costs the writers: append_64x1_events_per_s with and without the
    # sealer following the log, alternating rounds (BENCH_SECONDS, BENCH_ROUNDS).
    cargo bench --locked -p subledger-seal --bench sealing
    ;;
  verify)
    # subledger verify (release) over the replay benchmark's log of >= 2,000,000
    # events (built by `scripts/bench.sh replay` first if absent), sealed once with a
    # throwaway key: the median verify_events_per_s of BENCH_RUNS (5) runs.
    dir="${CARGO_TARGET_DIR:-target}/bench-replay"
    if [ ! -f "$dir/events.db" ]; then
      BENCH_RUNS=1 cargo bench --locked -p subledger-app --bench replay
    fi
    cargo build --locked --release --bin subledger
    bin="${CARGO_TARGET_DIR:-target}/release/subledger"
    [ -f "$dir/bench.key" ] || "$bin" keygen --out "$dir/bench.key" >/dev/null
    "$bin" checkpoint --data-dir "$dir" --signing-key "$dir/bench.key" --out "$dir/bench-checkpoint.json" >/dev/null
    runs="${BENCH_RUNS:-5}"
    rates=()
    for i in $(seq "$runs"); do
      out=$("$bin" verify --data-dir "$dir" --public-key "$dir/bench.key.pub" --checkpoint "$dir/bench-checkpoint.json" 2>/dev/null)
      rate=$(echo "$out" | awk '/^verify_events_per_s/ {print $2}')
      records=$(echo "$out" | awk '/^records/ {print $2}')
      echo "# run $i: $records events, verify_events_per_s $rate"
      rates+=("$rate")
    done
    median=$(printf '%s\n' "${rates[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    echo "verify_events_per_s: $median events/s"
    ;;
  simulate)
    # subledger simulate (release), 2,000 customers over 3 years, in process, embedded
    # store with durable commits: simulate_commands_per_s. Knobs: BENCH_CUSTOMERS (2000),
    # BENCH_DAYS (1095).
    cargo build --locked --release --bin subledger
    dir="target/bench-simulate"
    rm -rf "$dir"
    target/release/subledger simulate --quiet --data-dir "$dir" \
      --customers "${BENCH_CUSTOMERS:-2000}" --days "${BENCH_DAYS:-1095}" \
      | sed 's/^simulate_commands_per_s /simulate_commands_per_s: /'
    ;;
  *)
    usage
    ;;
esac
