#!/usr/bin/env bash
# Runs the cargo-fuzz targets of fuzz/ for a bounded time each, then says what
# each did and found. Not part of scripts/test.sh (too long for CI).
#
#   scripts/fuzz.sh                      # every target, 60 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh auth_file
#
# Environment:
#   FUZZ_SECONDS      seconds per target (default 60)
#   FUZZ_TOOLCHAIN    the nightly toolchain libFuzzer builds need (default nightly)
#   FUZZ_SANITIZER    address (default), none, ... (cargo fuzz --sanitizer)
#   FUZZ_TIMEOUT      seconds one input may take before it counts as a finding (default 10)
#   FUZZ_TARGET_DIR   where cargo builds the targets (default fuzz/target)
#   FUZZ_TOOLS_DIR    where cargo-fuzz is installed when it is missing
#                     (default ~/.cache/subledger/cargo-fuzz)
#
# Exits non-zero when a target crashes (or the tooling is missing), naming the
# artifact that reproduces it: `cargo +nightly fuzz run <target> <artifact>`.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

seconds="${FUZZ_SECONDS:-60}"
toolchain="${FUZZ_TOOLCHAIN:-nightly}"
sanitizer="${FUZZ_SANITIZER:-address}"
timeout="${FUZZ_TIMEOUT:-10}"
target_dir="${FUZZ_TARGET_DIR:-$root/fuzz/target}"
tools="${FUZZ_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/subledger/cargo-fuzz}"
all_targets=(command_decide event_decode auth_file)
if [[ $# -gt 0 ]]; then targets=("$@"); else targets=("${all_targets[@]}"); fi

if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [[ "$seconds" -lt 1 ]]; then
    echo "fuzz.sh: FUZZ_SECONDS must be a whole number of seconds, not '$seconds'" >&2
    exit 2
fi

# libFuzzer builds need nightly rustc flags (-Zsanitizer, sancov passes).
if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
    echo "fuzz.sh: the '$toolchain' toolchain is missing; cargo-fuzz needs a nightly:" >&2
    echo "    rustup toolchain install nightly" >&2
    exit 2
fi

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    export PATH="$tools/bin:$PATH"
    if ! command -v cargo-fuzz >/dev/null 2>&1; then
        echo "fuzz.sh: installing cargo-fuzz into $tools" >&2
        cargo install cargo-fuzz --locked --root "$tools"
    fi
fi

fuzz=(cargo "+$toolchain" fuzz)
build_flags=(--sanitizer "$sanitizer" --target-dir "$target_dir")

echo "fuzz.sh: building ${targets[*]} ($(rustup run "$toolchain" rustc --version), sanitizer $sanitizer)"
for t in "${targets[@]}"; do
    "${fuzz[@]}" build "${build_flags[@]}" "$t"
done

logs="$target_dir/fuzz-logs"
mkdir -p "$logs"
failed=()
summary=()
for t in "${targets[@]}"; do
    corpus="fuzz/corpus/$t"
    seeds="fuzz/seeds/$t"
    mkdir -p "$corpus" "fuzz/artifacts/$t"
    log="$logs/$t.log"
    echo "fuzz.sh: $t for ${seconds}s (corpus $corpus, seeds $seeds, log $log)"
    status=0
    # The first corpus directory takes what the run finds; the seeds stay as committed.
    "${fuzz[@]}" run "${build_flags[@]}" "$t" "$corpus" "$seeds" -- \
        -max_total_time="$seconds" -timeout="$timeout" -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)"
    execs="$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)"
    rate="$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}' || true)"
    if [[ $status -ne 0 ]]; then
        artifact="$(grep -oE 'Test unit written to [^ ]+' "$log" | tail -1 | sed 's/Test unit written to //' || true)"
        tail -40 "$log" >&2
        echo "fuzz.sh: $t FAILED (exit $status); artifact: ${artifact:-none, see $log}" >&2
        echo "    reproduce: cargo +$toolchain fuzz run $t ${artifact:-<artifact>}" >&2
        failed+=("$t")
        summary+=("$t: FAILED after ${execs:-?} execs; artifact ${artifact:-none}")
    else
        summary+=("$t: ${seconds}s, ${execs:-?} execs (${rate:-?}/s), ${done_line:-no DONE line}")
    fi
done

echo
echo "fuzz.sh summary:"
printf '  %s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz.sh: crashes in ${failed[*]}" >&2
    exit 1
fi
