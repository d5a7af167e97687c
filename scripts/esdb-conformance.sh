#!/usr/bin/env bash
# Runs the event store conformance suite against a real EventStoreDB (KurrentDB) node.
#
# NOTE: this cannot run on the project's development/CI machines: they have no Docker
# engine (docker client only) and no network beyond the package registries, so the
# KurrentDB image can be neither pulled nor started there. Run it on a machine with Docker.
#
# It brings up the single insecure node of docker-compose.yml (`eventstore`, port 2113),
# waits for http://localhost:2113/health/live, then runs the conformance tests with
# SUBLEDGER_ESDB_URL set (without it they are reported as ignored). Each test writes under
# its own fresh namespace, so reruns against the same node do not interfere.
# Leave the node running afterwards with KEEP_ESDB=1; otherwise it is stopped.
set -euo pipefail
cd "$(dirname "$0")/.."

export SUBLEDGER_ESDB_URL="${SUBLEDGER_ESDB_URL:-esdb://localhost:2113?tls=false}"

docker compose up -d eventstore
if [ "${KEEP_ESDB:-0}" != "1" ]; then
  trap 'docker compose stop eventstore >/dev/null' EXIT
fi

echo "waiting for EventStoreDB at http://localhost:2113/health/live ..."
for _ in $(seq 1 90); do
  if curl -fsS -o /dev/null http://localhost:2113/health/live; then
    ready=1
    break
  fi
  sleep 2
done
if [ "${ready:-0}" != "1" ]; then
  echo "EventStoreDB did not become live within 180s" >&2
  docker compose logs --tail 50 eventstore >&2 || true
  exit 1
fi

# The build script turns SUBLEDGER_ESDB_URL into cfg(esdb_url_set): the tests are built
# un-ignored and run against the node (plus the store's unit tests of the ESDB mappings).
cargo test --locked -p subledger-store --test conformance_esdb -- --test-threads 4
cargo test --locked -p subledger-store --lib esdb
