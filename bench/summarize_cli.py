#!/usr/bin/env python3
"""Prints the Markdown tables of docs/benchmarks.md part 1 from the JSON
files that bench/run_cli.sh wrote to OUTPUT_DIR.

Usage: summarize_cli.py OUTPUT_DIR
"""

import collections
import glob
import json
import os
import re
import statistics
import sys

GROUPS = {
    "start": "process start",
    "argon2id": "argon2id m=19456 t=2 p=1",
    "bcrypt": "bcrypt cost=12",
    "scrypt": "scrypt N=2^17 r=8 p=1",
    "pbkdf2": "pbkdf2-sha256 600000",
}
RAW_CALL = {
    "argon2id m=19456 t=2 p=1": "libsodium crypto_pwhash",
    "bcrypt cost=12": "libxcrypt crypt_rn",
    "scrypt N=2^17 r=8 p=1": "libsodium scryptsalsa208sha256_ll",
    "pbkdf2-sha256 600000": "OpenSSL PKCS5_PBKDF2_HMAC",
}


def quantile(values, fraction):
    """Interpolated quantile, the same rule as raw_kdf.cpp."""
    values = sorted(values)
    position = fraction * (len(values) - 1)
    below = int(position)
    above = min(below + 1, len(values) - 1)
    weight = position - below
    return values[below] * (1 - weight) + values[above] * weight


def load_samples(out):
    """Returns {(round, group, contender, kind): [ms, ...]} over every round."""
    samples = collections.defaultdict(list)
    for path in glob.glob(os.path.join(out, "round*-*.json")):
        round_number = int(re.search(r"round(\d+)-", os.path.basename(path)).group(1))
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
        if "mode" in data:
            for row in data["results"]:
                key = (round_number, row["group"], row["contender"], "in process")
                samples[key] += row["samples_ms"]
            continue
        name = re.search(r"hyperfine-(\w+)\.json$", path).group(1)
        for row in data["results"]:
            key = (round_number, GROUPS[name], row["command"], "process")
            samples[key] += [t * 1000 for t in row["times"]]
    return samples


def pooled(samples):
    """Merges the rounds: {(group, contender, kind): [ms, ...]}."""
    merged = collections.defaultdict(list)
    for (_, group, contender, kind), values in samples.items():
        merged[(group, contender, kind)] += values
    return merged


def timing_table(merged):
    lines = ["| Workload | Contender | Kind | Median ms | IQR ms | n |",
             "|---|---|---|---:|---:|---:|"]
    order = list(GROUPS.values())
    for (group, contender, kind), values in sorted(
            merged.items(), key=lambda item: (order.index(item[0][0]), item[0][2],
                                              quantile(item[1], 0.5))):
        lines.append(f"| {group} | {contender} | {kind} | {quantile(values, 0.5):.2f} | "
                     f"{quantile(values, 0.25):.2f} to {quantile(values, 0.75):.2f} | "
                     f"{len(values)} |")
    return "\n".join(lines)


def overhead_table(samples):
    """Subtracts the raw call from the pwsvc process time in each round and reports
    the median and range over rounds."""
    rounds = sorted({key[0] for key in samples})
    lines = ["| Workload | Command | Minus raw call in process, ms | "
             "Minus `raw_kdf once` process, ms |",
             "|---|---|---:|---:|"]

    def median_of(round_number, group, contender, kind):
        return quantile(samples[(round_number, group, contender, kind)], 0.5)

    def cell(differences):
        return (f"{statistics.median(differences):.2f} "
                f"({min(differences):.2f} to {max(differences):.2f})")

    for group, raw in RAW_CALL.items():
        for command in ("pwsvc hash", "pwsvc verify"):
            in_process = [median_of(r, group, command, "process") -
                          median_of(r, group, raw, "in process") for r in rounds]
            as_process = [median_of(r, group, command, "process") -
                          median_of(r, group, "raw_kdf once", "process") for r in rounds]
            lines.append(f"| {group} | {command} | {cell(in_process)} | {cell(as_process)} |")
    start = [median_of(r, "process start", "pwsvc --version", "process") for r in rounds]
    empty = [median_of(r, "process start", "pwsvc --version", "process") -
             median_of(r, "process start", "true (empty process)", "process") for r in rounds]
    lines.append(f"| none | pwsvc --version (whole process) | {cell(start)} | |")
    lines.append(f"| none | pwsvc --version minus /bin/true | {cell(empty)} | |")
    return "\n".join(lines)


def engines_table(out):
    with open(os.path.join(out, "engines.json"), encoding="utf-8") as file:
        data = json.load(file)
    baseline = {}
    for row in data["results"]:
        baseline.setdefault(row["group"], row["median_ms"])
    lines = ["| Parameters | Engine | Median ms | IQR ms | Ratio to first row | n |",
             "|---|---|---:|---:|---:|---:|"]
    for row in data["results"]:
        lines.append(f"| {row['group']} | {row['contender']} | {row['median_ms']:.2f} | "
                     f"{row['p25_ms']:.2f} to {row['p75_ms']:.2f} | "
                     f"{row['median_ms'] / baseline[row['group']]:.3f} | {row['n']} |")
    lines.append("")
    lines.append(f"pwsvc itself runs p=4 on {data['pwsvc_p4_engine']} with "
                 f"{data['pwsvc_p4_threads']} threads on this machine.")
    return "\n".join(lines)


def hostile_table(out):
    with open(os.path.join(out, "hostile.json"), encoding="utf-8") as file:
        engine = json.load(file)
    with open(os.path.join(out, "hostile_cli.json"), encoding="utf-8") as file:
        cli = json.load(file)
    outcomes = collections.Counter(row["outcome"] for row in engine["per_row"])
    slowest = max(engine["per_row"], key=lambda row: row["median_us"])
    slowest_cli = max(cli["per_row"], key=lambda row: row["median_ms"])
    summary = engine["per_row_medians"]
    lines = ["| Path | Rows | Repeats | Median of row medians | Max of row medians | Outcome |",
             "|---|---:|---:|---:|---:|---|",
             f"| Engine::verify in process | {engine['rows']} | {engine['repeats']} | "
             f"{summary['median_us']:.2f} µs | {summary['max_us']:.2f} µs | "
             + ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items())) + " |",
             f"| `pwsvc verify` process | {cli['rows']} | {cli['repeats']} | "
             f"{cli['median_ms']:.2f} ms | {cli['max_ms']:.2f} ms | exit statuses "
             + ", ".join(map(str, cli["exit_statuses"])) + " |",
             "",
             f"Slowest row in process: {slowest['id']} ({slowest['reason']}), "
             f"{slowest['median_us']:.2f} µs. Slowest as a process: {slowest_cli['id']} "
             f"({slowest_cli['reason']}), {slowest_cli['median_ms']:.2f} ms."]
    return "\n".join(lines)


def main():
    out = sys.argv[1]
    samples = load_samples(out)
    for title, text in (
            ("Machine", open(os.path.join(out, "machine.txt"), encoding="utf-8").read()),
            ("Load", open(os.path.join(out, "load.txt"), encoding="utf-8").read()),
            ("Times", timing_table(pooled(samples))),
            ("CLI overhead (median over rounds, range in brackets)", overhead_table(samples)),
            ("Argon2 engines", engines_table(out)),
            ("Hostile hashes", hostile_table(out))):
        print(f"### {title}\n\n{text.rstrip()}\n")


if __name__ == "__main__":
    main()
