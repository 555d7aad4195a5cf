#!/usr/bin/env python3
"""Times `pwsvc verify` as a process on every row of hostile.jsonl.

Usage: hostile_cli.py PWSVC HOSTILE_JSONL [REPEATS]. The password goes in
byte for byte on --password-fd and the hash as the argument after `--`.
Prints one JSON object: the per-row median wall time in milliseconds, which
includes Python's fork and exec, and the exit statuses seen.
"""

import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def time_row(pwsvc, row, repeats):
    password = base64.b64decode(row["password_b64"])
    times = []
    statuses = set()
    with tempfile.TemporaryFile() as file:
        file.write(password)
        for _ in range(repeats):
            file.seek(0)
            start = time.perf_counter()
            result = subprocess.run(
                [pwsvc, "verify", "--password-fd", str(file.fileno()), "--", row["hash"]],
                pass_fds=(file.fileno(),), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            times.append((time.perf_counter() - start) * 1000)
            statuses.add(result.returncode)
    return statistics.median(times), sorted(statuses)


def main():
    pwsvc, path = sys.argv[1], sys.argv[2]
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    with open(path, encoding="utf-8") as file:
        rows = [json.loads(line) for line in file if line.strip()]

    per_row = []
    for row in rows:
        median_ms, statuses = time_row(pwsvc, row, repeats)
        per_row.append({"id": row["id"], "reason": row["reason"],
                        "median_ms": round(median_ms, 3), "exit_statuses": statuses})

    medians = [row["median_ms"] for row in per_row]
    print(json.dumps({
        "mode": "hostile_cli", "rows": len(rows), "repeats": repeats,
        "median_ms": round(statistics.median(medians), 3), "max_ms": max(medians),
        "exit_statuses": sorted({s for row in per_row for s in row["exit_statuses"]}),
        "per_row": per_row,
    }))


if __name__ == "__main__":
    sys.exit(main())
