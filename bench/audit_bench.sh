#!/usr/bin/env bash
# Times `pwsvc audit --format json` on a generated 10-million-row dump on one
# core, with peak RSS, next to a passlib CryptContext loop over the same hashes.
# Usage: bench/audit_bench.sh [RESULTS_DIR]   (env: ROWS, PASSLIB_ROWS, BUILD_DIR)
set -euo pipefail

BUILD_DIR=${BUILD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build-audit}
# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

rows=${ROWS:-10000000}
# The passlib loop is more than ten times slower than pwsvc, so it runs on a
# slice and its time is scaled to the full row count.
passlib_rows=${PASSLIB_ROWS:-1000000}
out=${1:-$build/bench-results/audit}
mkdir -p "$out"

install_missing taskset util-linux /usr/bin/time time "$system_python" python3 \
  /usr/lib/python3/dist-packages/passlib python3-passlib
build_targets pwsvc
record_machine "$out/machine.txt"

dump=$out/dump.txt
slice=$out/slice.txt
if [[ ! -s $dump ]] || (($(wc -l < "$dump") != rows)); then
  # Real hashes from the interop vectors, every scheme, with varied user names.
  nice -n 19 "$system_python" - "$root/tests/vectors/interop.jsonl" "$dump" "$rows" <<'PY'
import json, sys
hashes = [json.loads(line)["hash"] for line in open(sys.argv[1]) if line.strip()]
hashes = list(dict.fromkeys(hashes)) + ["*", "!", "!!"]
rows = int(sys.argv[3])
with open(sys.argv[2], "w") as out:
    for start in range(0, rows, 100000):
        out.write("".join(f"user{i}.{i % 977}:{hashes[i % len(hashes)]}:19000:0:99999:7:::\n"
                          for i in range(start, min(rows, start + 100000))))
PY
fi
head -n "$passlib_rows" "$dump" > "$slice"

# Other benchmarks on this machine would skew both timings.
while pgrep -f 'run_cli.sh|run_daemon.sh' > /dev/null; do
  sleep 10
done
wait_for_quiet > "$out/busy_before.txt"

echo "pwsvc audit on $rows rows" >&2
/usr/bin/time -f "%e %M" -o "$out/pwsvc_time.txt" \
  taskset -c 0 "$build/cli/pwsvc" audit --format json --no-progress "$dump" > "$out/pwsvc.json"

echo "passlib on $passlib_rows rows" >&2
/usr/bin/time -f "%e %M" -o "$out/passlib_time.txt" \
  taskset -c 0 "$system_python" - "$slice" > "$out/passlib.json" <<'PY'
import collections, json, sys
from passlib.context import CryptContext

# The schemes of the dump, with pwsvc's default policy as the passlib policy.
context = CryptContext(
    schemes=["argon2", "bcrypt", "scrypt", "pbkdf2_sha256", "pbkdf2_sha512", "pbkdf2_sha1",
             "sha512_crypt", "sha256_crypt", "md5_crypt", "apr_md5_crypt", "ldap_salted_sha1",
             "ldap_sha1", "django_pbkdf2_sha256", "django_pbkdf2_sha1", "django_argon2"],
    deprecated=["md5_crypt", "apr_md5_crypt", "ldap_salted_sha1", "ldap_sha1", "pbkdf2_sha1",
                "django_pbkdf2_sha1"],
    argon2__memory_cost=19456, argon2__rounds=2, argon2__parallelism=1,
    bcrypt__rounds=10, pbkdf2_sha256__rounds=600000)
counts = collections.Counter()
with open(sys.argv[1]) as lines:
    for line in lines:
        stored = line.rstrip("\n").split(":")[1]
        try:
            scheme = context.identify(stored)
            counts[scheme + (" needs update" if context.needs_update(stored) else "")] += 1
        except (ValueError, TypeError):
            counts["unrecognised"] += 1
print(json.dumps(counts))
PY

read -r pwsvc_seconds pwsvc_rss < "$out/pwsvc_time.txt"
read -r passlib_seconds passlib_rss < "$out/passlib_time.txt"
awk -v rows="$rows" -v slice="$passlib_rows" -v ps="$pwsvc_seconds" -v pr="$pwsvc_rss" \
    -v ls="$passlib_seconds" -v lr="$passlib_rss" 'BEGIN {
  printf "| tool | rows timed | time (s) | rows/s | peak RSS (MiB) |\n"
  printf "|---|---|---|---|---|\n"
  printf "| pwsvc audit --format json | %d | %.2f | %.0f | %.1f |\n", rows, ps, rows / ps, pr / 1024
  printf "| passlib CryptContext identify + needs_update | %d (scaled to %d: %.0f s) | %.2f | %.0f | %.1f |\n",
         slice, rows, ls * rows / slice, ls, slice / ls, lr / 1024
}' | tee "$out/summary.md"
