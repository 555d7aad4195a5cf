#!/usr/bin/env bash
# Part 1 of docs/benchmarks.md: pwsvc hash and verify as processes and in
# process, against the raw library calls, the argon2 CLI, PHP and Python.
#
# Usage: bench/run_cli.sh [OUTPUT_DIR]
# Environment: ROUNDS (default 3) rounds of every measurement, interleaved;
# SAMPLES (default 10) in-process calls per contender and round; RUNS
# (default 10) hyperfine runs per command and round, 3 times that for
# Argon2id; BUILD_DIR (default build-bench).
# Writes raw JSON to OUTPUT_DIR and prints the Markdown tables.
set -euo pipefail

# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
out=${1:-$build/bench-results/cli-$(date +%Y%m%d-%H%M%S)}
rounds=${ROUNDS:-3}
samples=${SAMPLES:-10}
runs=${RUNS:-10}

install_missing hyperfine hyperfine argon2 argon2 php php8.2-cli \
  /usr/lib/python3/dist-packages/argon2 python3-argon2 \
  /usr/lib/python3/dist-packages/passlib python3-passlib \
  /usr/lib/python3/dist-packages/bcrypt python3-bcrypt
build_targets pwsvc raw_kdf
mkdir -p "$out"
record_machine "$out/machine.txt"

pwsvc=$build/cli/pwsvc
raw_kdf=$build/bench/raw_kdf
compare=$root/bench/compare
password=$out/password.txt
printf 'correct horse battery staple' > "$password"

# Stored hashes for the verify runs, made once by pwsvc and by PHP.
hash_of() { "$pwsvc" hash "$@" < "$password"; }
argon2id_hash=$(hash_of)
bcrypt_hash=$(hash_of -a bcrypt -P cost=12)
scrypt_hash=$(hash_of -a scrypt -P ln=17 -P r=8 -P p=1)
pbkdf2_hash=$(hash_of -a pbkdf2-sha256 -P rounds=600000)
php_argon2id_hash=$(php "$compare/php_once.php" hash argon2id < "$password")
php_bcrypt_hash=$(php "$compare/php_once.php" hash bcrypt < "$password")

# Usage: time_processes NAME RUNS LABEL COMMAND [LABEL COMMAND]... Commands run
# in sh, whose start-up time hyperfine measures and subtracts, unless
# $hyperfine_options contains --shell=none.
hyperfine_options=()
time_processes() {
  local name=$1 count=$2
  shift 2
  local arguments=("${hyperfine_options[@]}")
  while (($# >= 2)); do
    arguments+=(-n "$1" "$2")
    shift 2
  done
  hyperfine --style basic --warmup 3 --runs "$count" \
    --export-json "$out/round$round-hyperfine-$name.json" "${arguments[@]}" \
    >> "$out/hyperfine.log"
}

for ((round = 1; round <= rounds; round++)); do
  busy=$(wait_for_quiet)
  echo "round $round of $rounds at $(date -u +%H:%M:%SZ): load average $(load_average)," \
    "${busy}% of the cores busy before the round" | tee -a "$out/load.txt" >&2

  "$raw_kdf" workloads "$samples" > "$out/round$round-raw.json"
  php "$compare/php_kdf.php" "$samples" > "$out/round$round-php.json"
  "$system_python" "$compare/py_kdf.py" "$samples" > "$out/round$round-python.json"

  # Process start alone is too short for hyperfine's shell correction, so
  # these commands run without a shell.
  hyperfine_options=(--shell=none)
  time_processes start $((10 * runs)) \
    "true (empty process)" "/bin/true" \
    "pwsvc --version" "$pwsvc --version" \
    "php (empty script)" "php -r ''"
  hyperfine_options=()
  time_processes argon2id $((3 * runs)) \
    "raw_kdf once" "$raw_kdf once argon2id" \
    "pwsvc hash" "$pwsvc hash < $password" \
    "pwsvc verify" "$pwsvc verify '$argon2id_hash' < $password" \
    "argon2 CLI" "argon2 somesaltsomesalt -id -t 2 -k 19456 -p 1 < $password" \
    "PHP process hash" "php $compare/php_once.php hash argon2id < $password" \
    "PHP process verify" "php $compare/php_once.php verify '$php_argon2id_hash' < $password"
  time_processes bcrypt "$runs" \
    "raw_kdf once" "$raw_kdf once bcrypt" \
    "pwsvc hash" "$pwsvc hash -a bcrypt -P cost=12 < $password" \
    "pwsvc verify" "$pwsvc verify '$bcrypt_hash' < $password" \
    "PHP process hash" "php $compare/php_once.php hash bcrypt < $password" \
    "PHP process verify" "php $compare/php_once.php verify '$php_bcrypt_hash' < $password"
  time_processes scrypt "$runs" \
    "raw_kdf once" "$raw_kdf once scrypt" \
    "pwsvc hash" "$pwsvc hash -a scrypt -P ln=17 -P r=8 -P p=1 < $password" \
    "pwsvc verify" "$pwsvc verify '$scrypt_hash' < $password"
  time_processes pbkdf2 "$runs" \
    "raw_kdf once" "$raw_kdf once pbkdf2" \
    "pwsvc hash" "$pwsvc hash -a pbkdf2-sha256 -P rounds=600000 < $password" \
    "pwsvc verify" "$pwsvc verify '$pbkdf2_hash' < $password"
done

busy=$(wait_for_quiet)
echo "engines and hostile hashes at $(date -u +%H:%M:%SZ): load average $(load_average)," \
  "${busy}% of the cores busy before" | tee -a "$out/load.txt" >&2
"$raw_kdf" engines $((3 * samples)) > "$out/engines.json"
"$raw_kdf" hostile "$root/tests/vectors/hostile.jsonl" 20 > "$out/hostile.json"
"$system_python" "$root/bench/hostile_cli.py" "$pwsvc" "$root/tests/vectors/hostile.jsonl" 5 \
  > "$out/hostile_cli.json"
echo "done at $(date -u +%H:%M:%SZ): load average $(load_average)" | tee -a "$out/load.txt" >&2

"$system_python" "$root/bench/summarize_cli.py" "$out" | tee "$out/summary.md"
