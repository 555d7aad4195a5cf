#!/usr/bin/env bash
# Part 2 of docs/benchmarks.md: pwsvcd under closed-loop load on a Unix socket
# and on TCP, against the single-thread KDF rate and a Node.js argon2 service.
#
# Usage: bench/run_daemon.sh [OUTPUT_DIR]
# Environment: ROUNDS (default 3) rounds over every level and target;
# DURATION (default 15) seconds recorded per measurement, after 1 s of
# warm-up; LEVELS (default "1 2 8 64 512") concurrencies; MEMORY_BUDGET
# (default 1GiB, the daemon's default) for daemon.memory_budget; BUILD_DIR
# (default build-bench).
# Writes raw JSON to OUTPUT_DIR and prints the Markdown tables.
set -euo pipefail

# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
out=${1:-$build/bench-results/daemon-$(date +%Y%m%d-%H%M%S)}
rounds=${ROUNDS:-3}
duration=${DURATION:-15}
levels=${LEVELS:-1 2 8 64 512}
memory_budget=${MEMORY_BUDGET:-1GiB}
clock_ticks=$(getconf CLK_TCK)

install_missing wrk wrk node nodejs npm npm /usr/bin/time time curl curl
build_targets pwsvcd kdf_rate pwsvc
# kdf_rate_reuse exists only where pwsvcd reuses its Argon2 memory.
if grep -q '^PWSVC_ARGON2_MEMORY_CACHE:BOOL=ON' "$build/CMakeCache.txt"; then
  build_targets kdf_rate_reuse
fi
if [[ ! -d $root/bench/node/node_modules/argon2 ]]; then
  (cd "$root/bench/node" && npm install --no-package-lock --no-audit --no-fund --silent)
fi
mkdir -p "$out"
record_machine "$out/machine.txt"
echo "node: $(node --version), npm argon2 $(cd "$root/bench/node" &&
  node -p "require('argon2/package.json').version")" >> "$out/machine.txt"

# 512 clients need 512 descriptors in the load generator and in each server.
ulimit -n 8192

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2> /dev/null || true
  done
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# An API key for TCP. The config stores only its SHA-256.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/api-key"
key_digest=$(tr -d '\n' < "$work/api-key" | sha256sum | cut -d' ' -f1)
cat > "$work/pwsvc.toml" << TOML
# The default policy (Argon2id m=19456 KiB, t=2, p=1) and default queue
# settings, written out so that the record shows them. The per-client rate
# limit is off so that overload reaches the queue instead of returning 429.
# Logging at info writes only lifecycle events, among them the TCP port.
[logging]
level = "info"

[daemon]
max_queue = 1024
queue_timeout_ms = 2000
memory_budget = "$memory_budget"
max_connections = 1024

[daemon.rate_limit]
requests_per_second = 0

[[daemon.api_keys]]
name = "bench"
hash = "sha256:$key_digest"
TOML
cp "$work/pwsvc.toml" "$out/pwsvc.toml"

# Waits until a log line with a port appears in $1 and prints the port.
wait_for_port() {
  for _ in $(seq 100); do
    local port
    port=$(grep -o '"port": *[0-9]*' "$1" 2> /dev/null | head -1 | grep -o '[0-9]*$' || true)
    if [[ -n $port ]]; then
      echo "$port"
      return
    fi
    sleep 0.1
  done
  echo "bench: no port in $1:" >&2
  cat "$1" >&2
  exit 1
}

"$build/daemon/pwsvcd" --config "$work/pwsvc.toml" --listen "unix:$work/pwsvcd.sock" \
  --listen 127.0.0.1:0 2> "$work/pwsvcd.log" &
pwsvcd_pid=$!
pids+=("$pwsvcd_pid")
pwsvcd_port=$(wait_for_port "$work/pwsvcd.log")

(cd "$root/bench/node" && exec node server.js) > "$work/node.log" 2>&1 &
node_pid=$!
pids+=("$node_pid")
node_port=$(wait_for_port "$work/node.log")

cpu_ticks() {
  awk '{print $14 + $15}' "/proc/$1/stat"
}

# Waits up to 30 s until process $1 uses under 2% of a core, so that work
# left over from the previous measurement does not spill into the next.
wait_idle() {
  for _ in $(seq 60); do
    local before after
    before=$(cpu_ticks "$1")
    sleep 0.5
    after=$(cpu_ticks "$1")
    if ((after - before <= clock_ticks / 100)); then
      return
    fi
  done
}

# measure ROUND TARGET PID CONCURRENCY LOAD_ARGUMENTS...
measure() {
  local round=$1 target=$2 pid=$3 concurrency=$4
  shift 4
  local file=$out/round$round-$target-c$concurrency
  wait_idle "$pid"
  echo 5 > "/proc/$pid/clear_refs" # resets VmHWM, the peak resident set size
  local load ticks_before machine_before started
  load=$(load_average)
  ticks_before=$(cpu_ticks "$pid")
  machine_before=$(machine_busy_ticks)
  started=$(date +%s.%N)
  /usr/bin/time -f '{"user_s": %U, "system_s": %S}' -o "$file.client" \
    "$system_python" "$root/bench/load.py" "$@" --concurrency "$concurrency" \
    --duration "$duration" > "$file.json"
  local wall_s server_cpu_s machine_cpu_s
  wall_s=$(awk -v start="$started" -v stop="$(date +%s.%N)" 'BEGIN {print stop - start}')
  server_cpu_s=$(awk -v ticks=$(($(cpu_ticks "$pid") - ticks_before)) -v hz="$clock_ticks" \
    'BEGIN {print ticks / hz}')
  # All CPU time on the machine, so that the summary can show how much other
  # processes took during the measurement.
  machine_cpu_s=$(awk -v ticks=$(($(machine_busy_ticks) - machine_before)) \
    -v hz="$clock_ticks" 'BEGIN {print ticks / hz}')
  cat > "$file.server" << JSON
{"round": $round, "target": "$target", "concurrency": $concurrency, "wall_s": $wall_s,
 "server_cpu_s": $server_cpu_s, "machine_cpu_s": $machine_cpu_s, "load_before": "$load",
 "vmhwm_kib": $(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")}
JSON
}

# healthz ROUND TARGET PORT: GET /healthz over TCP with wrk, or load.py.
healthz() {
  local file=$out/round$1-$2-healthz
  if command -v wrk > /dev/null; then
    wrk -t1 -c32 -d10s --latency "http://127.0.0.1:$3/healthz" > "$file.wrk"
  else
    "$system_python" "$root/bench/load.py" --tcp "127.0.0.1:$3" --method GET --path /healthz \
      --concurrency 32 --duration 10 > "$file.json"
  fi
}

pwsvcd_unix=(--unix "$work/pwsvcd.sock")
pwsvcd_tcp=(--tcp "127.0.0.1:$pwsvcd_port" --api-key-file "$work/api-key")
node_tcp=(--tcp "127.0.0.1:$node_port")

for ((round = 1; round <= rounds; round++)); do
  busy=$(wait_for_quiet)
  echo "round $round of $rounds at $(date -u +%H:%M:%SZ): load average $(load_average)," \
    "${busy}% of the cores busy before the round" | tee -a "$out/load.txt" >&2
  "$build/bench/kdf_rate" 5 > "$out/round$round-kdf_rate.json"
  "$build/bench/kdf_rate" 5 > "$out/round$round-kdf_rate-parallel-1.json" &
  second_rate_pid=$!
  "$build/bench/kdf_rate" 5 > "$out/round$round-kdf_rate-parallel-2.json"
  wait "$second_rate_pid"
  if [[ -x $build/bench/kdf_rate_reuse ]]; then
    "$build/bench/kdf_rate_reuse" 5 > "$out/round$round-kdf_rate_reuse.json"
  fi

  for concurrency in $levels; do
    echo "  concurrency $concurrency at $(date -u +%H:%M:%SZ): load average $(load_average)" |
      tee -a "$out/load.txt" >&2
    measure "$round" pwsvcd-unix "$pwsvcd_pid" "$concurrency" "${pwsvcd_unix[@]}"
    measure "$round" pwsvcd-tcp "$pwsvcd_pid" "$concurrency" "${pwsvcd_tcp[@]}"
    measure "$round" node "$node_pid" "$concurrency" "${node_tcp[@]}"
    # Under overload, also measure clients that wait for the Retry-After time before retrying.
    if ((concurrency >= 64)); then
      measure "$round" pwsvcd-tcp-retry-after "$pwsvcd_pid" "$concurrency" "${pwsvcd_tcp[@]}" \
        --honor-retry-after
    fi
  done

  wait_idle "$pwsvcd_pid"
  healthz "$round" pwsvcd "$pwsvcd_port"
  wait_idle "$node_pid"
  healthz "$round" node "$node_port"
done
echo "done at $(date -u +%H:%M:%SZ): load average $(load_average)" | tee -a "$out/load.txt" >&2
# The daemon's counters, among them the reasons for its 503 responses.
curl -s --unix-socket "$work/pwsvcd.sock" http://localhost/metrics > "$out/pwsvcd-metrics.txt"

"$system_python" "$root/bench/summarize_daemon.py" "$out" | tee "$out/summary.md"
