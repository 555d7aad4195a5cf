#!/usr/bin/env python3
"""Closed-loop HTTP load generator for pwsvcd and comparable services.

Each of CONCURRENCY clients keeps one keep-alive connection and sends the
next request as soon as the previous answer arrives, for DURATION seconds.
Prints one JSON object: throughput, latency percentiles and status counts.
"""

import argparse
import asyncio
import json
import time


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--unix", help="Unix socket path")
    parser.add_argument("--tcp", help="HOST:PORT")
    parser.add_argument("--path", default="/v1/hash")
    parser.add_argument("--method", default="POST")
    parser.add_argument("--body", default='{"password":"correct horse battery staple"}')
    parser.add_argument("--api-key-file", help="file with the API key for TCP")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds not recorded")
    parser.add_argument("--honor-retry-after", action="store_true",
                        help="after a response with a Retry-After header, wait that many seconds "
                             "before the next request (default: send the next request at once)")
    return parser.parse_args()


async def open_connection(args):
    if args.unix:
        return await asyncio.open_unix_connection(args.unix)
    host, port = args.tcp.rsplit(":", 1)
    return await asyncio.open_connection(host, int(port))


def build_request(args, key):
    body = args.body.encode() if args.method == "POST" else b""
    lines = [f"{args.method} {args.path} HTTP/1.1", "Host: localhost",
             "Content-Type: application/json", f"Content-Length: {len(body)}"]
    if key:
        lines.append(f"Authorization: Bearer {key}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def read_response(reader):
    """Reads one response and returns its status and Retry-After seconds (0 when absent)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    retry_after = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
        elif line.lower().startswith(b"retry-after:"):
            retry_after = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status, retry_after


async def client(args, request, record_from, stop_at, results):
    reader, writer = await open_connection(args)
    while time.monotonic() < stop_at:
        started = time.monotonic()
        writer.write(request)
        try:
            status, retry_after = await read_response(reader)
        except (asyncio.IncompleteReadError, ConnectionError):
            results["errors"] += 1
            writer.close()
            reader, writer = await open_connection(args)
            continue
        finished = time.monotonic()
        if started >= record_from:
            results["latencies"].append(finished - started)
            results["statuses"][status] = results["statuses"].get(status, 0) + 1
            results["by_status"].setdefault(status, []).append(finished - started)
        if args.honor_retry_after and retry_after > 0:
            await asyncio.sleep(min(retry_after, max(0.0, stop_at - time.monotonic())))
    writer.close()


async def main():
    args = parse_args()
    key = None
    if args.api_key_file:
        with open(args.api_key_file, encoding="utf-8") as file:
            key = file.read().strip()
    request = build_request(args, key)
    start = time.monotonic()
    record_from = start + args.warmup
    stop_at = record_from + args.duration
    results = {"latencies": [], "statuses": {}, "by_status": {}, "errors": 0}
    await asyncio.gather(*(client(args, request, record_from, stop_at, results)
                           for _ in range(args.concurrency)))

    latencies = sorted(results["latencies"])
    ok = results["statuses"].get(200, 0)

    def percentile(fraction, values=latencies):
        if not values:
            return None
        return round(values[min(len(values) - 1, int(fraction * len(values)))] * 1000, 2)

    by_status = {}
    for status, values in sorted(results["by_status"].items()):
        values.sort()
        by_status[status] = {"p50_ms": percentile(0.50, values), "p99_ms": percentile(0.99, values),
                             "max_ms": round(values[-1] * 1000, 2)}

    print(json.dumps({
        "concurrency": args.concurrency,
        "honor_retry_after": args.honor_retry_after,
        "duration_s": args.duration,
        "requests": len(latencies),
        "ok_per_s": round(ok / args.duration, 2),
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "max_ms": round(latencies[-1] * 1000, 2) if latencies else None,
        "statuses": results["statuses"],
        "latency_by_status": by_status,
        "connection_errors": results["errors"],
    }))


if __name__ == "__main__":
    asyncio.run(main())
