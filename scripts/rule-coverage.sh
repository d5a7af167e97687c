#!/usr/bin/env bash
# Lists every rule id of RULES.md with the tests that cite it, and fails if any
# rule has none. A test cites a rule by its name: SEAT-2 -> `fn seat_2_...`.
#
# Usage: scripts/rule-coverage.sh [RULES.md]   (default: ../shared/RULES.md)
set -euo pipefail
cd "$(dirname "$0")/.."
rules="${1:-${SUBLEDGER_RULES:-../shared/RULES.md}}"
if [ ! -f "$rules" ]; then
  echo "rule-coverage: cannot read $rules" >&2
  exit 2
fi

ids=$(grep -oE '\*\*[A-Z]+-[0-9]+\*\*' "$rules" | tr -d '*' | sort -t- -k1,1 -k2,2n -u)
# Every test function name in the workspace's Rust sources.
dirs=()
for d in crates src tests; do [ -d "$d" ] && dirs+=("$d"); done
names=$( (grep -rhoE --include='*.rs' 'fn [a-z][a-z0-9_]*' "${dirs[@]}" || true) | sed 's/^fn //' | sort -u)

missing=()
total=0
for id in $ids; do
  total=$((total + 1))
  low=$(printf '%s' "$id" | tr 'A-Z-' 'a-z_')
  cited=$(printf '%s\n' "$names" | grep -E "^${low}(_|$)" || true)
  count=$(printf '%s' "$cited" | grep -c . || true)
  if [ "$count" -eq 0 ]; then
    missing+=("$id")
    printf '%-7s  %3d  MISSING\n' "$id" 0
  else
    printf '%-7s  %3d  %s\n' "$id" "$count" "$(printf '%s' "$cited" | head -n 3 | paste -sd' ' -)$([ "$count" -gt 3 ] && printf ' …')"
  fi
done

echo "rule-coverage: $((total - ${#missing[@]})) of $total rules have tests"
if [ "${#missing[@]}" -gt 0 ]; then
  echo "rule-coverage: rules without a test: ${missing[*]}" >&2
  exit 1
fi
