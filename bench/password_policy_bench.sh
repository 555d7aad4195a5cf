#!/usr/bin/env bash
# Times the password policy's rules on four kinds of password with a breach
# index of N generated entries, and the default policy's hash with and
# without the rules, alternated in one run.
# Usage: bench/password_policy_bench.sh [RESULTS_DIR]
#   (env: N entries, default 1000000; BUILD_DIR)
set -euo pipefail

# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

entries=${N:-1000000}
out=${1:-$build/bench-results/password-policy}
mkdir -p "$out"

build_targets pwsvc breach_lookup policy_cost
record_machine "$out/machine.txt"

work=$(mktemp -d "$out/work.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$build/bench/breach_lookup" generate "$entries" bench > "$work/list.txt"
"$build/cli/pwsvc" breach-index build --format hibp "$work/list.txt" "$work/index.bin" > /dev/null

busy=$(wait_for_quiet)
{
  echo "cpu_busy_percent_at_start: $busy"
  echo "index_bytes: $(stat -c %s "$work/index.bin")"
  "$build/bench/policy_cost" "$work/index.bin"
} | tee "$out/results.txt"
