#!/usr/bin/env python3
"""Prints the Markdown tables of docs/benchmarks.md part 2 from the files
that bench/run_daemon.sh wrote to OUTPUT_DIR.

Usage: summarize_daemon.py OUTPUT_DIR
"""

import collections
import glob
import json
import os
import re
import statistics
import sys

TARGETS = ("pwsvcd-unix", "pwsvcd-tcp", "pwsvcd-tcp-retry-after", "node")


def read_json(path):
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def baseline(out):
    """Returns per-round single-thread rates and the summed rates of two parallel runs."""
    single, parallel = [], []
    for path in sorted(glob.glob(os.path.join(out, "round*-kdf_rate.json"))):
        single.append(read_json(path)["per_second"])
        prefix = path[:-len(".json")]
        parallel.append(sum(read_json(part)["per_second"]
                            for part in glob.glob(prefix + "-parallel-*.json")))
    return single, parallel


def reuse_rates(out):
    """Returns per-round single-thread rates of kdf_rate_reuse, if it ran."""
    return [read_json(path)["per_second"]
            for path in sorted(glob.glob(os.path.join(out, "round*-kdf_rate_reuse.json")))]


def measurements(out):
    """Returns {(target, concurrency): [merged record per round]}."""
    merged = collections.defaultdict(list)
    for path in glob.glob(os.path.join(out, "round*-c*.server")):
        prefix = path[:-len(".server")]
        record = read_json(path)
        record.update(read_json(prefix + ".json"))
        client = read_json(prefix + ".client")
        record["client_cpu_s"] = client["user_s"] + client["system_s"]
        merged[(record["target"], record["concurrency"])].append(record)
    return merged


def value_range(values, digits=1):
    """Median, with the range over rounds when there is more than one."""
    text = f"{statistics.median(values):.{digits}f}"
    if len(values) > 1:
        text += f" ({min(values):.{digits}f} to {max(values):.{digits}f})"
    return text


def baseline_table(single, parallel, reuse, cores):
    """Returns the table and the targets: median and best single-thread rate times cores."""
    rate, best = statistics.median(single), max(single)
    lines = ["| Baseline | Hashes per second |", "|---|---:|",
             f"| kdf_rate, one thread (median over rounds) | {value_range(single, 2)} |",
             f"| median times {cores} cores: the throughput target | {rate * cores:.2f} |",
             f"| best round times {cores} cores: the target for the quietest round | "
             f"{best * cores:.2f} |",
             f"| two kdf_rate processes at once, summed | {value_range(parallel, 2)} |"]
    if reuse:
        lines += [f"| kdf_rate_reuse, one thread reusing its Argon2 memory | "
                  f"{value_range(reuse, 2)} |",
                  f"| kdf_rate_reuse median times {cores} cores | "
                  f"{statistics.median(reuse) * cores:.2f} |"]
    return "\n".join(lines), rate * cores, best * cores


def per_core(record, key):
    return record[key] / record["wall_s"]


def others_cpu(record):
    """CPU cores that other processes used during the measurement."""
    return max(0.0, (record["machine_cpu_s"] - record["server_cpu_s"] - record["client_cpu_s"])
               / record["wall_s"])


def rows_in_order(merged):
    levels = sorted({concurrency for _, concurrency in merged})
    for target in TARGETS:
        for concurrency in levels:
            if (target, concurrency) in merged:
                yield target, concurrency, merged[(target, concurrency)]


def throughput_table(merged, target_rate, best_rate):
    lines = ["| Target | Concurrency | 200/s | Share of baseline × cores | "
             "Quietest round: 200/s, share | Server CPU cores | Client CPU cores | "
             "Other processes' CPU cores |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for target, concurrency, records in rows_in_order(merged):
        ok = [r["ok_per_s"] for r in records]
        quietest = min(records, key=others_cpu)
        lines.append(
            f"| {target} | {concurrency} | {value_range(ok)} | "
            f"{statistics.median(ok) / target_rate:.0%} | "
            f"{quietest['ok_per_s']:.1f}, {quietest['ok_per_s'] / best_rate:.0%} | "
            f"{value_range([per_core(r, 'server_cpu_s') for r in records], 2)} | "
            f"{value_range([per_core(r, 'client_cpu_s') for r in records], 2)} | "
            f"{value_range([others_cpu(r) for r in records], 2)} |")
    return "\n".join(lines)


def latency_table(merged):
    lines = ["| Target | Concurrency | p50 ms | p99 ms | p99 of 200s ms | max ms | "
             "Statuses (all rounds) | Peak RSS MiB |",
             "|---|---:|---:|---:|---:|---:|---|---:|"]
    for target, concurrency, records in rows_in_order(merged):
        statuses = collections.Counter()
        for r in records:
            statuses.update(r["statuses"])
            statuses["connection errors"] += r["connection_errors"]
        ok_p99 = [r["latency_by_status"].get("200", {}).get("p99_ms") for r in records]
        ok_p99 = [v for v in ok_p99 if v is not None]
        status_text = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()) if v)
        lines.append(
            f"| {target} | {concurrency} | "
            f"{value_range([r['p50_ms'] for r in records], 0)} | "
            f"{value_range([r['p99_ms'] for r in records], 0)} | "
            f"{value_range(ok_p99, 0) if ok_p99 else 'none'} | "
            f"{max(r['max_ms'] for r in records):.0f} | {status_text} | "
            f"{max(r['vmhwm_kib'] for r in records) / 1024:.0f} |")
    return "\n".join(lines)


def parse_wrk(path):
    with open(path, encoding="utf-8") as file:
        text = file.read()

    def milliseconds(label):
        match = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {"per_s": rate, "p50_ms": milliseconds("50%"), "p99_ms": milliseconds("99%"),
            "non_2xx": int(errors.group(1)) if errors else 0}


def healthz_table(out):
    lines = ["| Target | Requests/s | p50 ms | p99 ms | Non-2xx | Tool |",
             "|---|---:|---:|---:|---:|---|"]
    for target in ("pwsvcd", "node"):
        runs = [parse_wrk(path) for path in
                sorted(glob.glob(os.path.join(out, f"round*-{target}-healthz.wrk")))]
        tool = "wrk -t1 -c32 -d10s"
        if not runs:
            runs = [dict(per_s=d["ok_per_s"], p50_ms=d["p50_ms"], p99_ms=d["p99_ms"],
                         non_2xx=sum(v for k, v in d["statuses"].items() if k != "200"))
                    for d in map(read_json, sorted(glob.glob(
                        os.path.join(out, f"round*-{target}-healthz.json"))))]
            tool = "load.py, 32 connections, 10 s"
        if runs:
            lines.append(f"| {target} | {value_range([r['per_s'] for r in runs], 0)} | "
                         f"{value_range([r['p50_ms'] for r in runs], 3)} | "
                         f"{value_range([r['p99_ms'] for r in runs], 3)} | "
                         f"{sum(r['non_2xx'] for r in runs)} | {tool} |")
    return "\n".join(lines)


def main():
    out = sys.argv[1]
    cores = os.cpu_count()
    single, parallel = baseline(out)
    baseline_text, target_rate, best_rate = baseline_table(single, parallel, reuse_rates(out),
                                                           cores)
    merged = measurements(out)
    for title, text in (
            ("Machine", open(os.path.join(out, "machine.txt"), encoding="utf-8").read()),
            ("Load", open(os.path.join(out, "load.txt"), encoding="utf-8").read()),
            ("Baseline", baseline_text),
            ("POST /v1/hash throughput (median over rounds, range in brackets)",
             throughput_table(merged, target_rate, best_rate)),
            ("POST /v1/hash latency (median over rounds, range in brackets)",
             latency_table(merged)),
            ("GET /healthz over TCP", healthz_table(out))):
        print(f"### {title}\n\n{text.rstrip()}\n")


if __name__ == "__main__":
    main()
