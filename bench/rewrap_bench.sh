#!/usr/bin/env bash
# Times `pwsvc keys rewrap` on a generated dump of sealed hashes on one core,
# with user and system CPU time and peak RSS, next to `pwsvc audit` reading
# the same dump. With BASELINE set to another pwsvc binary, such as a build of
# an older commit, each round times that binary too, in alternating order.
# Usage: bench/rewrap_bench.sh [RESULTS_DIR]   (env: ROWS, ROUNDS, BUILD_DIR, BASELINE)
set -euo pipefail

# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

rows=${ROWS:-1000000}
rounds=${ROUNDS:-3}
baseline=${BASELINE:-}
out=${1:-$build/bench-results/rewrap}
mkdir -p "$out"

install_missing taskset util-linux /usr/bin/time time
build_targets pwsvc
record_machine "$out/machine.txt"
pwsvc=$build/cli/pwsvc
if [[ -n $baseline ]]; then
  echo "baseline: $baseline ($("$baseline" --version))" >> "$out/machine.txt"
fi

# A keyring whose old key k1 sealed three cheap hashes, and a new active key k2.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$pwsvc" keys generate --id k1 --out "$work/keyring" 2> /dev/null
printf '[policy.argon2id]\nm = 64\nt = 1\np = 1\n[pepper]\nkeyring = "%s"\n' "$work/keyring" \
  > "$work/pwsvc.toml"
for password in quartz-tulip-917-harbor ember-violin-482-glacier copper-maple-365-orbit; do
  printf '%s' "$password" | "$pwsvc" --config "$work/pwsvc.toml" hash
done > "$work/seeds"
"$pwsvc" keys generate --id k2 --out "$work/keyring" --activate 2> /dev/null

make_dump() {
  awk -v rows="$rows" 'NR <= 3 {seed[NR - 1] = $0}
    END {for (i = 0; i < rows; i++) printf "user%d:%s:19000:0:99999:7:::\n", i, seed[i % 3]}' \
    "$work/seeds" > "$work/dump.txt"
}

# Rewraps a fresh dump with binary $2 and appends "round,name,wall,user,sys,rss"
# to rounds.csv. Each sealed row is opened under k1 and sealed again under k2.
time_rewrap() {
  local name=$1 binary=$2 busy
  make_dump
  busy=$(wait_for_quiet)
  echo "round $round, $name: ${busy}% busy before, load average $(load_average)" >&2
  /usr/bin/time -f "%e %U %S %M" -o "$work/rewrap_time" \
    taskset -c 0 "$binary" keys rewrap --keyring "$work/keyring" "$work/dump.txt" \
    2> "$work/rewrap.log"
  grep -q "$rows resealed" "$work/rewrap.log"
  read -r wall user sys rss < "$work/rewrap_time"
  echo "$round,$name,$wall,$user,$sys,$rss" >> "$out/rounds.csv"
}

# Copies a fresh dump with cat after the same wait as a rewrap, so that the
# same bytes go into new page-cache pages, and appends the times to copy.csv.
# GNU cat 9.1 copies inside the kernel with copy_file_range.
time_copy() {
  make_dump
  wait_for_quiet > /dev/null
  # shellcheck disable=SC2016 # the inner shell expands $1
  /usr/bin/time -f "%e %U %S" -o "$work/copy_time" \
    taskset -c 0 sh -c 'cat "$1" > "$1.copy"' sh "$work/dump.txt"
  rm "$work/dump.txt.copy"
  read -r copy_wall copy_user copy_sys < "$work/copy_time"
  echo "$round,$copy_wall,$copy_user,$copy_sys" >> "$out/copy.csv"
}

echo "round,binary,wall_s,user_s,sys_s,rss_kib" > "$out/rounds.csv"
echo "round,audit_wall_s,audit_cpu_s" > "$out/audit.csv"
echo "round,copy_wall_s,copy_user_s,copy_sys_s" > "$out/copy.csv"
for ((round = 1; round <= rounds; round++)); do
  # The baseline goes first in odd rounds and second in even ones.
  if [[ -n $baseline ]] && ((round % 2 == 1)); then
    time_rewrap baseline "$baseline"
  fi
  time_rewrap current "$pwsvc"

  # The dump is now sealed under k2; the audit opens every seal.
  /usr/bin/time -f "%e %U %S" -o "$work/audit_time" \
    taskset -c 0 "$pwsvc" --config "$work/pwsvc.toml" audit --format json --no-progress \
    "$work/dump.txt" > /dev/null
  read -r audit_wall audit_user audit_sys < "$work/audit_time"
  awk -v round="$round" -v w="$audit_wall" -v u="$audit_user" -v s="$audit_sys" \
    'BEGIN {print round "," w "," u + s}' >> "$out/audit.csv"

  if [[ -n $baseline ]] && ((round % 2 == 0)); then
    time_rewrap baseline "$baseline"
  fi

  time_copy
done

{
  awk -F, -v rows="$rows" 'NR > 1 {
      printf "round %d, %s: rewrap %.0f rows/s (wall), %.0f rows/s of CPU time (user %.2f s, system %.2f s), %.0f rows/s of user time, peak RSS %.1f MiB\n",
        $1, $2, rows / $3, rows / ($4 + $5), $4, $5, rows / $4, $6 / 1024
    }' "$out/rounds.csv"
  awk -F, -v rows="$rows" 'NR > 1 {
      printf "round %d: audit of the resealed dump %.0f rows/s (wall), %.0f rows/s of CPU time\n",
        $1, rows / $2, rows / $3
    }' "$out/audit.csv"
  awk -F, 'NR > 1 {
      printf "round %d: copying the dump with cat took %.2f s (user %.2f s, system %.2f s)\n",
        $1, $2, $3, $4
    }' "$out/copy.csv"
} | tee "$out/summary.txt"
