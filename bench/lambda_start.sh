#!/usr/bin/env bash
# Measures the Lambda bootstrap: process start to its first `next` request and
# to its first response on the Runtime API emulator, and the size of function.zip.
# Usage: bench/lambda_start.sh [OUTPUT_DIR]; RUNS sets the runs per case (default 50).
set -euo pipefail

# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
out=${1:-$build/bench-results/lambda-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"

"$root/packaging/lambda/build-zip.sh" "$build" "$out/function.zip" | tail -1 | tee "$out/zip.txt"
unzip -Z "$out/function.zip" >> "$out/zip.txt"

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
  echo "os: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "pwsvc: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ', uncommitted changes')"
  echo "busy before the runs: $(wait_for_quiet)%"
  echo "load average at start: $(load_average)"
} | tee "$out/machine.txt"

python3 "$root/bench/lambda_start.py" --runs "${RUNS:-50}" "$build/daemon/lambda/bootstrap" \
  > "$out/start.json" 2> >(tee "$out/start.md" >&2)
echo "load average at end: $(load_average)" | tee -a "$out/machine.txt"
echo "bench: results in $out" >&2
