#!/usr/bin/env bash
# Measures warm hash invocations of the Lambda bootstrap with and without the
# reused Argon2 memory, side by side on the Runtime API emulator.
# Usage: bench/lambda_warm.sh [OUTPUT_DIR]. ROUNDS (default 5) and INVOCATIONS
# (default 40) set the rounds and the timed events per round and build.
# BUILD_DIR (default build-bench) is the build with the cache, and
# $BUILD_DIR-nocache the one configured with -DPWSVC_ARGON2_MEMORY_CACHE=OFF.
set -euo pipefail

# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
out=${1:-$build/bench-results/lambda-warm-$(date -u +%Y%m%dT%H%M%SZ)}
uncached=$build-nocache
mkdir -p "$out"

build_targets bootstrap pwsvc
cmake -S "$root" -B "$uncached" -DCMAKE_BUILD_TYPE=Release -DPWSVC_ARGON2_MEMORY_CACHE=OFF \
  > /dev/null
cmake --build "$uncached" -j2 --target bootstrap > /dev/null

record_machine "$out/machine.txt"
echo "busy before the runs: $(wait_for_quiet)%" >> "$out/machine.txt"
cat "$out/machine.txt"

python3 "$root/bench/lambda_warm.py" --rounds "${ROUNDS:-5}" --invocations "${INVOCATIONS:-40}" \
  "mmap per call=$uncached/daemon/lambda/bootstrap" \
  "reused memory=$build/daemon/lambda/bootstrap" \
  > "$out/warm.json" 2> >(tee "$out/warm.md" >&2)
echo "load average at end: $(load_average)" | tee -a "$out/machine.txt"
echo "bench: results in $out" >&2
