#!/bin/sh
# Builds the libFuzzer targets with clang, ASan and UBSan in build-fuzz, and
# runs each for a given time. Exits non-zero when any target finds a crash,
# a leak, a timeout or an out-of-memory input.
#
# usage: tests/fuzz/run.sh [--seconds N] [--random-seed S] [TARGET...]
#   N defaults to 60 seconds per target. TARGET is one of: identify verify
#   json_body service config audit_row (default: all of them).
#   --random-seed starts libFuzzer from random seed S (1 or more) and an empty
#   corpus, so every such run begins with the same inputs.
#   PWSVC_FUZZ_BUILD_DIR overrides the build directory (default build-fuzz).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${PWSVC_FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=60
random_seed=""
all_targets="identify verify json_body service config audit_row"

while [ $# -gt 0 ]; do
  case $1 in
    --seconds)
      [ $# -ge 2 ] || { echo "run.sh: --seconds needs a number of seconds" >&2; exit 2; }
      seconds=$2
      shift 2
      ;;
    --seconds=*) seconds=${1#--seconds=}; shift ;;
    --random-seed)
      [ $# -ge 2 ] || { echo "run.sh: --random-seed needs a number" >&2; exit 2; }
      random_seed=$2
      shift 2
      ;;
    --random-seed=*) random_seed=${1#--random-seed=}; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option '$1'; see --help" >&2; exit 2 ;;
    *) break ;;
  esac
done
case $seconds in
  ''|*[!0-9]*) echo "run.sh: --seconds must be a whole number, not '$seconds'" >&2; exit 2 ;;
esac
# libFuzzer takes -seed=0 to mean a seed drawn at random, so 0 is not accepted.
case $random_seed in
  0*|*[!0-9]*) echo "run.sh: --random-seed must be a whole number from 1, not '$random_seed'" >&2; exit 2 ;;
esac
targets=${*:-$all_targets}
for target in $targets; do
  case " $all_targets " in
    *" $target "*) ;;
    *) echo "run.sh: unknown target '$target'; use one of: $all_targets" >&2; exit 2 ;;
  esac
done

if ! command -v clang++ >/dev/null 2>&1; then
  echo "run.sh: clang++ not found; install clang-14 and libclang-rt-14-dev" >&2
  exit 2
fi

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DPWSVC_FUZZ=ON -DPWSVC_SANITIZE=address,undefined >/dev/null
build_targets=""
for target in $targets; do
  build_targets="$build_targets ${target}_fuzz"
done
# shellcheck disable=SC2086
cmake --build "$build" -j "$(nproc)" --target $build_targets

# Fresh seeds each run; the corpus that the fuzzer grows is kept between runs.
rm -rf "$build/fuzz-seeds"
python3 "$here/make_seeds.py" "$build/fuzz-seeds"

dictionary() {
  case $1 in
    identify|verify|audit_row) echo "$here/hash.dict" ;;
    json_body|service) echo "$here/json.dict" ;;
    config) echo "$here/toml.dict" ;;
  esac
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=""
summary=""
for target in $targets; do
  corpus="$build/fuzz-corpus/$target"
  seed_option=""
  if [ -n "$random_seed" ]; then
    corpus="$build/fuzz-corpus-random-seed-$random_seed/$target"
    rm -rf "$corpus"
    seed_option="-seed=$random_seed"
  fi
  artifacts="$build/fuzz-artifacts/$target/"
  log="$build/fuzz-logs/$target.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  regressions="$here/regressions/$target"
  [ -d "$regressions" ] || regressions=""

  # The service target's WorkerPool threads live until exit, and the leak
  # check at exit reports OpenSSL's per-thread error queue of such a thread
  # (904 bytes from ossl_err_get_state_int) as leaked. So only libFuzzer's
  # leak check after each input runs for this target.
  lsan_options=${LSAN_OPTIONS:-}
  if [ "$target" = service ]; then
    lsan_options="${lsan_options:+$lsan_options:}leak_check_at_exit=0"
  fi

  echo "run.sh: fuzzing $target for $seconds s (log: $log)"
  status=0
  # shellcheck disable=SC2086
  LSAN_OPTIONS=$lsan_options "$build/tests/fuzz/${target}_fuzz" "$corpus" "$build/fuzz-seeds/$target" $regressions \
    -dict="$(dictionary "$target")" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=4096 -artifact_prefix="$artifacts" -print_final_stats=1 $seed_option \
    >"$log" 2>&1 || status=$?

  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  summary="$summary$target: exit $status, ${runs:-?} executions\n"
  if [ "$status" -ne 0 ]; then
    failed="$failed $target"
    echo "run.sh: $target failed with exit status $status; the input is in $artifacts" >&2
    tail -n 40 "$log" >&2
  fi
done

printf "%b" "$summary"
if [ -n "$failed" ]; then
  echo "run.sh: crashes, leaks or timeouts in:$failed" >&2
  exit 1
fi
