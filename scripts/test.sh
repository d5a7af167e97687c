#!/usr/bin/env bash
# All of subledger's checks, as CI runs them: formatting, lints, rule coverage,
# and every test of the workspace (with a real PostgreSQL beside them).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

# The seal's end-to-end tests run the independent verifier (python3, standard library
# only) and tamper with a log through the sqlite3 shell, as an insider would.
for tool in python3 sqlite3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    step "installing $tool"
    apt-get install -y "$tool" >/dev/null
  fi
done

# The web console's browser tests (tests/ui_browser.rs) drive Debian's Chromium through
# chromedriver. Without them they are reported as ignored, with a loud banner.
step "headless Chromium for the console's browser tests"
if scripts/install-chromium.sh; then
  export SUBLEDGER_UI_TESTS=1
  /usr/bin/chromium --version
else
  printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
  printf '!!! Chromium could not be installed: the browser tests are SKIPPED (ignored)\n' >&2
  printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' >&2
fi

# The full- and read-only-disk tests (tests/faults.rs) mount small tmpfs filesystems,
# which needs root or CAP_SYS_ADMIN. Without it they are reported as ignored, loudly.
step "tmpfs mounts for the disk fault tests"
probe=$(mktemp -d)
if mount -t tmpfs -o size=1m tmpfs "$probe" 2>/dev/null; then
  umount "$probe"
  export SUBLEDGER_MOUNT_TESTS=1
  echo "mounting a tmpfs works: the full- and read-only-disk tests run"
else
  printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
  printf '!!! cannot mount a tmpfs here: the full/read-only disk tests are SKIPPED (ignored)\n' >&2
  printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' >&2
fi
rmdir "$probe"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "rule coverage"
scripts/rule-coverage.sh

run_tests() {
  # It runs in a `bash -c` of its own (beside PostgreSQL), which does not inherit
  # `set -e`: without this a failed test run was followed by the doc tests, whose
  # success was the exit status.
  set -euo pipefail
  if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --locked --no-fail-fast
    # nextest does not run doc tests.
    cargo test --workspace --locked --doc
  else
    cargo test --workspace --locked --no-fail-fast
  fi
}

# Every test runs beside a throwaway PostgreSQL cluster (scripts/with-postgres.sh sets
# SUBLEDGER_PG_URL and SUBLEDGER_PG_TESTS), so the PostgreSQL backend's conformance,
# ordering and multi-node tests run on every CI run. Without PostgreSQL they are
# reported as ignored, and this says so loudly.
step "tests (beside a throwaway PostgreSQL)"
if scripts/with-postgres.sh true; then
  export -f run_tests
  scripts/with-postgres.sh bash -c run_tests
else
  printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
  printf '!!! PostgreSQL could not be started: its tests are SKIPPED (ignored), not passed\n' >&2
  printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' >&2
  run_tests
fi

# The published contract against the real server: schemathesis over a simulated ledger
# (scripts/api-fuzz.sh; SUBLEDGER_API_FUZZ=skip skips it, loudly).
step "API contract fuzzing (schemathesis against subledger serve)"
scripts/api-fuzz.sh
