#!/usr/bin/env bash
# Builds a breach index from N generated HIBP lines and reports the build
# time, the index size per million entries and the lookup latency.
# Usage: bench/breach_index_bench.sh [RESULTS_DIR]
#   (env: N entries, default 10000000; LOOKUPS, default 1000000; MEMORY, the
#   builder's --memory, default 256M; BUILD_DIR)
set -euo pipefail

# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

entries=${N:-10000000}
lookups=${LOOKUPS:-1000000}
memory=${MEMORY:-256M}
out=${1:-$build/bench-results/breach-index}
mkdir -p "$out"

install_missing /usr/bin/time time
build_targets pwsvc breach_lookup
record_machine "$out/machine.txt"
pwsvc=$build/cli/pwsvc
lookup=$build/bench/breach_lookup

# The list and index go next to the results, not in /tmp, which may be a
# small tmpfs; a 10^7-line list is about 460 MB.
work=$(mktemp -d "$out/work.XXXXXX")
trap 'rm -rf "$work"' EXIT
seed=bench

"$lookup" generate "$entries" "$seed" > "$work/list.txt"
list_bytes=$(stat -c %s "$work/list.txt")

busy=$(wait_for_quiet)
# The list was just written, so the build reads it from the page cache, as a
# second build from the same file would.
/usr/bin/time -f '%e %M' -o "$work/time.txt" \
  "$pwsvc" breach-index build --format hibp --memory "$memory" "$work/list.txt" "$work/index.bin" \
  > "$work/build.txt"
read -r build_seconds build_rss_kib < "$work/time.txt"
index_bytes=$(stat -c %s "$work/index.bin")

"$lookup" measure "$work/index.bin" "$entries" "$seed" "$lookups" > "$work/lookup.txt"

{
  echo "entries: $entries"
  echo "list_bytes: $list_bytes"
  echo "memory_option: $memory"
  echo "cpu_busy_percent_at_start: $busy"
  echo "build: $(cat "$work/build.txt")"
  echo "build_seconds: $build_seconds"
  echo "build_peak_rss_kib: $build_rss_kib"
  echo "index_bytes: $index_bytes"
  echo "index_bytes_per_million_entries: $((index_bytes * 1000000 / entries))"
  echo "lookup_page_cache: warm (the index was just written)"
  cat "$work/lookup.txt"
} | tee "$out/results.txt"
