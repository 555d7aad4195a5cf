#!/usr/bin/env bash
# Times `pwsvc keys rewrap` on a generated dump of sealed hashes on one core,
# with CPU time and peak RSS, next to `pwsvc audit` reading the same dump.
# Usage: bench/rewrap_bench.sh [RESULTS_DIR]   (env: ROWS, ROUNDS, BUILD_DIR)
set -euo pipefail

# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

rows=${ROWS:-1000000}
rounds=${ROUNDS:-3}
out=${1:-$build/bench-results/rewrap}
mkdir -p "$out"

install_missing taskset util-linux /usr/bin/time time
build_targets pwsvc
record_machine "$out/machine.txt"
pwsvc=$build/cli/pwsvc

# A keyring whose old key k1 sealed three cheap hashes, and a new active key k2.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$pwsvc" keys generate --id k1 --out "$work/keyring" 2> /dev/null
printf '[policy.argon2id]\nm = 64\nt = 1\np = 1\n[pepper]\nkeyring = "%s"\n' "$work/keyring" \
  > "$work/pwsvc.toml"
for password in one two three; do
  printf '%s' "$password" | "$pwsvc" --config "$work/pwsvc.toml" hash
done > "$work/seeds"
"$pwsvc" keys generate --id k2 --out "$work/keyring" --activate 2> /dev/null

make_dump() {
  awk -v rows="$rows" 'NR <= 3 {seed[NR - 1] = $0}
    END {for (i = 0; i < rows; i++) printf "user%d:%s:19000:0:99999:7:::\n", i, seed[i % 3]}' \
    "$work/seeds" > "$work/dump.txt"
}

echo "round,rewrap_wall_s,rewrap_cpu_s,rewrap_rss_kib,audit_wall_s,audit_cpu_s" > "$out/rounds.csv"
for ((round = 1; round <= rounds; round++)); do
  make_dump
  busy=$(wait_for_quiet)
  echo "round $round: ${busy}% busy before, load average $(load_average)" >&2

  # Each sealed row is opened under k1 and sealed again under k2.
  /usr/bin/time -f "%e %U %S %M" -o "$work/rewrap_time" \
    taskset -c 0 "$pwsvc" keys rewrap --keyring "$work/keyring" "$work/dump.txt" 2> "$work/rewrap.log"
  grep -q "$rows resealed" "$work/rewrap.log"
  /usr/bin/time -f "%e %U %S %M" -o "$work/audit_time" \
    taskset -c 0 "$pwsvc" --config "$work/pwsvc.toml" audit --format json --no-progress \
    "$work/dump.txt" > /dev/null
  read -r rewrap_wall rewrap_user rewrap_sys rewrap_rss < "$work/rewrap_time"
  read -r audit_wall audit_user audit_sys _ < "$work/audit_time"
  awk -v round="$round" -v rw="$rewrap_wall" -v ru="$rewrap_user" -v rs="$rewrap_sys" \
    -v rr="$rewrap_rss" -v aw="$audit_wall" -v au="$audit_user" -v as="$audit_sys" \
    'BEGIN {print round "," rw "," ru + rs "," rr "," aw "," au + as}' >> "$out/rounds.csv"
done

awk -F, -v rows="$rows" 'NR > 1 {
    printf "round %d: rewrap %.0f rows/s (wall), %.0f rows/s of CPU time, peak RSS %.1f MiB; audit of the resealed dump %.0f rows/s\n",
      $1, rows / $2, rows / $3, $4 / 1024, rows / $5
  }' "$out/rounds.csv" | tee "$out/summary.txt"
