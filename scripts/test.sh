#!/usr/bin/env bash
# All of subledger's checks, as CI runs them: formatting, lints, rule coverage,
# and every test of the workspace.
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

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "rule coverage"
scripts/rule-coverage.sh

step "tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
  # nextest does not run doc tests.
  cargo test --workspace --locked --doc
else
  cargo test --workspace --locked --no-fail-fast
fi
