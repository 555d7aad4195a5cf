"""Measures the Lambda bootstrap's start on the Runtime API emulator.

Each run starts the bootstrap with one event already queued and records, from
the moment before the process is spawned: the first GET .../invocation/next
(start-up done) and the arrival of the response to that event. Runs alternate
between the configs so that background load falls on both alike.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "lambda"))
from runtime_emulator import RuntimeEmulator  # noqa: E402

IDENTIFY_EVENT = {
    "version": "2.0",
    "rawPath": "/v1/identify",
    "headers": {"content-type": "application/json"},
    "requestContext": {"http": {"method": "POST", "sourceIp": "192.0.2.1"}, "stage": "$default"},
    "body": json.dumps({"hash": "$2b$10$abcdefghijklmnopqrstuu5/9cXj6yF1Bke0ZmD/lcIKeCGOZJBSe"}),
    "isBase64Encoded": False,
}
HASH_EVENT = {"action": "hash", "password": "benchmark password"}

CONFIGS = {
    # The default policy: make_service_state derives one Argon2id hash (19 MiB, t=2) at start.
    "default policy": "",
    # A 64 KiB Argon2id policy leaves process start, config and calibration.
    "64 KiB policy": "[policy.argon2id]\nm = 64\nt = 1\np = 1\n",
}


def one_run(bootstrap, config, event):
    emulator = RuntimeEmulator()
    request_id = emulator.enqueue(event)
    env = {"AWS_LAMBDA_RUNTIME_API": emulator.endpoint, "LAMBDA_TASK_ROOT": "/nonexistent"}
    if config:
        env["PWSVC_CONFIG_TOML"] = config
    started = time.monotonic()
    process = subprocess.Popen([bootstrap], env=env, stdout=subprocess.DEVNULL)
    try:
        first_next = emulator.wait_for_next()[0]
        result = emulator.wait_for(request_id)
        if result.kind != "response":
            raise RuntimeError(f"the bootstrap returned an error: {result.body!r}")
        return (first_next - started) * 1000, (result.received - started) * 1000
    finally:
        process.kill()
        process.wait()
        emulator.close()


def summary(values):
    ordered = sorted(values)
    quartiles = statistics.quantiles(ordered, n=4)
    return {"median": statistics.median(ordered), "q1": quartiles[0], "q3": quartiles[2],
            "min": ordered[0], "max": ordered[-1], "runs": len(ordered)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bootstrap", help="path of the bootstrap binary")
    parser.add_argument("--runs", type=int, default=50, help="runs per config and event (default: 50)")
    args = parser.parse_args()

    samples = {}
    for _ in range(args.runs):
        for config_name, config in CONFIGS.items():
            for event_name, event in (("identify", IDENTIFY_EVENT), ("hash", HASH_EVENT)):
                first_next, response = one_run(args.bootstrap, config, event)
                key = (config_name, event_name)
                samples.setdefault(key, {"first_next_ms": [], "first_response_ms": []})
                samples[key]["first_next_ms"].append(first_next)
                samples[key]["first_response_ms"].append(response)

    results = [{"config": config, "event": event,
                "first_next_ms": summary(values["first_next_ms"]),
                "first_response_ms": summary(values["first_response_ms"])}
               for (config, event), values in samples.items()]
    json.dump(results, sys.stdout, indent=2)
    print()

    print("\n| Policy | First event | Start to first `next` | Start to first response |", file=sys.stderr)
    print("|---|---|---:|---:|", file=sys.stderr)
    for row in results:
        cells = []
        for key in ("first_next_ms", "first_response_ms"):
            stats = row[key]
            cells.append(f"{stats['median']:.1f} ms (IQR {stats['q1']:.1f} to {stats['q3']:.1f}, "
                         f"max {stats['max']:.1f})")
        print(f"| {row['config']} | {row['event']} | {cells[0]} | {cells[1]} |", file=sys.stderr)


if __name__ == "__main__":
    main()
