#!/usr/bin/env bash
# Benchmarks, one sub-benchmark per name: `scripts/bench.sh store`.
# Each prints one line per figure as `name: value unit` (lines starting with `#` are
# context). Always release builds; run on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: $0 <benchmark>" >&2
  echo "benchmarks: store decide inprocess http replay simulate" >&2
  exit 2
}

[ $# -ge 1 ] || usage

case "$1" in
  store)
    # Event store (SQLite, durable commits): append 1x1 and 64x1, p99 latency at 64,
    # read_all over 1,000,000 events, raw fsync rate. BENCH_SECONDS=<n> per append phase.
    cargo bench --locked -p subledger-store --bench store
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
    cargo build --locked --release --bin subledger
    SUBLEDGER_BIN="$PWD/target/release/subledger" cargo bench --locked -p subledger-api --bench http
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
