# shellcheck shell=bash
# Shell helpers shared by the benchmark scripts in bench/: package
# installation, the Release build in build-bench, and the machine record.
# Source this file, which sets $root and $build.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build-bench}
# Debian's python3-argon2 and python3-passlib install into the system Python,
# which may not be the first python3 on PATH.
# shellcheck disable=SC2034 # used by the scripts that source this file
system_python=/usr/bin/python3

# Installs the Debian packages whose files are missing. Arguments are pairs
# of FILE PACKAGE, where FILE is a command name or an absolute path.
install_missing() {
  local missing=()
  while (($# >= 2)); do
    if ! command -v "$1" > /dev/null 2>&1 && [[ ! -e $1 ]]; then
      missing+=("$2")
    fi
    shift 2
  done
  if ((${#missing[@]})); then
    echo "bench: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" > /dev/null
  fi
}

# Configures build-bench in Release and builds the given targets.
build_targets() {
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release > /dev/null
  cmake --build "$build" -j2 --target "$@" > /dev/null
}

# Prints the load average from /proc/loadavg: 1, 5 and 15 minutes.
load_average() {
  cut -d' ' -f1-3 /proc/loadavg
}

# Writes the machine, date and software versions to $1 as key: value lines.
record_machine() {
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cpu: $(lscpu | sed -n 's/^Model name: *//p')"
    echo "cores: $(nproc) (lscpu: $(lscpu | sed -n 's/^CPU(s): *//p') CPUs, $(lscpu | sed -n 's/^Thread(s) per core: *//p') threads per core)"
    echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
    echo "hypervisor: $(lscpu | sed -n 's/^Hypervisor vendor: *//p')"
    echo "kernel: $(uname -r)"
    echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "pwsvc: $("$build/cli/pwsvc" --version) ($(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ', uncommitted changes'))"
    echo "compiler: $(c++ --version | head -1)"
    for package in libsodium23 libargon2-1 libcrypt1 libssl3 argon2 php8.2-cli python3-argon2 \
                   python3-passlib python3-bcrypt hyperfine wrk nodejs; do
      echo "$package: $(dpkg-query -W -f='${Version}' "$package" 2>/dev/null || echo 'not installed')"
    done
    echo "load average at start: $(load_average)"
  } > "$1"
}

# Prints the busy clock ticks of all cores together since boot, from /proc/stat.
machine_busy_ticks() {
  awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat
}

# Prints the share of all cores that was busy over the next 2 seconds, in percent.
busy_percent() {
  local before after
  before=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $5 + $6}' /proc/stat)
  sleep 2
  after=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $5 + $6}' /proc/stat)
  awk -v before="$before" -v after="$after" 'BEGIN {
    split(before, b, " "); split(after, a, " ")
    busy = a[1] - b[1]; idle = a[2] - b[2]
    printf "%.0f\n", 100 * busy / (busy + idle)
  }'
}

# Waits until under QUIET_PERCENT (default 10) of the machine is busy, for at
# most QUIET_WAIT seconds (default 600), because other people's builds on a
# shared machine skew every number. Prints the busy share it started with.
wait_for_quiet() {
  local deadline=$((SECONDS + ${QUIET_WAIT:-600})) busy
  busy=$(busy_percent)
  while ((busy >= ${QUIET_PERCENT:-10} && SECONDS < deadline)); do
    sleep 5
    busy=$(busy_percent)
  done
  echo "$busy"
}
