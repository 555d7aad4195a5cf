"""Measures warm invocations of Lambda bootstrap builds on the Runtime API emulator.

Each round starts every build once, in turn, with the default policy, sends a few
warm-up hash events and then times a series of hash events one after another, as
a warm execution environment receives them. Two times per invocation: the
bootstrap's own `latency_us` from its request log line (event received to reply
sent) and the emulator's, from queueing the event to the reply's arrival. The
peak resident set (VmHWM) of each process is read before it is stopped.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "lambda"))
from runtime_emulator import RuntimeEmulator  # noqa: E402

HASH_EVENT = {"action": "hash", "password": "benchmark password"}
# The default policy, with the request log lines that carry latency_us.
CONFIG = '[logging]\nlevel = "info"\n'


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def request_latencies(log_path, request_ids):
    """Returns the logged latency_us of each request in `request_ids`, in order."""
    expected = set(request_ids)
    found = {}
    deadline = time.monotonic() + 5
    while len(found) < len(expected) and time.monotonic() < deadline:
        with open(log_path, encoding="utf-8") as log:
            for line in log:
                event = json.loads(line)
                if event.get("event") == "request" and event.get("aws_request_id") in expected:
                    found[event["aws_request_id"]] = event["latency_us"] / 1000
        time.sleep(0.02)
    return [found[request_id] for request_id in request_ids]


def one_round(bootstrap, warmups, invocations):
    emulator = RuntimeEmulator()
    with tempfile.NamedTemporaryFile(prefix="pwsvc-lambda-warm-", suffix=".log") as log:
        env = {"AWS_LAMBDA_RUNTIME_API": emulator.endpoint, "LAMBDA_TASK_ROOT": "/nonexistent",
               "PWSVC_CONFIG_TOML": CONFIG}
        process = subprocess.Popen([bootstrap], env=env, stdout=log)
        try:
            emulator.wait_for_next()
            for _ in range(warmups):
                emulator.invoke(HASH_EVENT)

            ids, round_trips = [], []
            for _ in range(invocations):
                queued = time.monotonic()
                request_id = emulator.enqueue(HASH_EVENT)
                result = emulator.wait_for(request_id)
                if result.kind != "response":
                    raise RuntimeError(f"the bootstrap returned an error: {result.body!r}")
                ids.append(request_id)
                round_trips.append((result.received - queued) * 1000)
            rss = peak_rss_kib(process.pid)
            return request_latencies(log.name, ids), round_trips, rss
        finally:
            process.kill()
            process.wait()
            emulator.close()


def summary(values):
    quartiles = statistics.quantiles(values, n=4)
    return {"median": statistics.median(values), "q1": quartiles[0], "q3": quartiles[2],
            "n": len(values)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("builds", nargs="+", metavar="LABEL=BOOTSTRAP",
                        help="a label and the path of a bootstrap binary")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default: 5)")
    parser.add_argument("--warmups", type=int, default=3,
                        help="untimed hash events per process (default: 3)")
    parser.add_argument("--invocations", type=int, default=40,
                        help="timed hash events per process (default: 40)")
    args = parser.parse_args()

    builds = dict(build.split("=", 1) for build in args.builds)
    samples = {label: {"latency_ms": [], "round_trip_ms": [], "peak_rss_kib": []}
               for label in builds}
    for _ in range(args.rounds):
        for label, bootstrap in builds.items():
            latencies, round_trips, rss = one_round(bootstrap, args.warmups, args.invocations)
            samples[label]["latency_ms"] += latencies
            samples[label]["round_trip_ms"] += round_trips
            samples[label]["peak_rss_kib"].append(rss)

    results = [{"build": label,
                "latency_ms": summary(values["latency_ms"]),
                "round_trip_ms": summary(values["round_trip_ms"]),
                "peak_rss_kib": max(values["peak_rss_kib"])}
               for label, values in samples.items()]
    json.dump(results, sys.stdout, indent=2)
    print()

    print("\n| Build | Bootstrap latency_us: median (IQR) | Emulator round trip: median (IQR) "
          "| Peak RSS |", file=sys.stderr)
    print("|---|---:|---:|---:|", file=sys.stderr)
    for row in results:
        cells = [f"{row[key]['median']:.2f} ms ({row[key]['q1']:.2f} to {row[key]['q3']:.2f})"
                 for key in ("latency_ms", "round_trip_ms")]
        print(f"| {row['build']} | {cells[0]} | {cells[1]} | {row['peak_rss_kib'] / 1024:.1f} MiB |",
              file=sys.stderr)


if __name__ == "__main__":
    main()
