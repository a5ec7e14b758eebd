"""A synthetic scrape target of many series, our own (the usual tool, avalanche, is not served
here). It exposes the example application's latency histogram, `clip_job_latency_seconds`, with
one `route` label taking as many values as the requested series need, which is how a real
cardinality explosion looks (an unbounded label on a histogram), so the application's recording
rules, alerts and dashboard run over the same series as they would in production.

The series are split into shards of at most `--per-target` series, one listening port each (one
scrape target each, as replicas of an application are). Every scrape advances the counters, so
the samples compress as real counters do rather than as constants. The label part of every line is
rendered once; a scrape only joins it with the 13 values of that scrape.

    python -m harness.cardinality.generator --series 100000 --per-target 50000 PORT [PORT ...]
"""

from __future__ import annotations

import argparse
import itertools
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

METRIC = "clip_job_latency_seconds"
BUCKETS = ("0.5", "1.0", "2.5", "5.0", "10.0", "30.0", "60.0", "120.0", "300.0", "600.0", "+Inf")
# Series per (route, status): one per bucket, plus _sum and _count.
SERIES_PER_GROUP = len(BUCKETS) + 2
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
STATUSES = ("success", "error")


class Shard:
    """The series of one target: `groups` (route, status) histograms starting at `first`."""

    def __init__(self, first: int, groups: int):
        self.lines: list[bytes] = []  # label part of each line, with the trailing space
        self.slots: list[int] = []  # which of the scrape's values each line takes
        for number in range(first, first + groups):
            labels = f'route="/r/{number // len(STATUSES)}",status="{STATUSES[number % len(STATUSES)]}"'
            for slot, le in enumerate(BUCKETS):
                self.lines.append(f'{METRIC}_bucket{{{labels},le="{le}"}} '.encode())
                self.slots.append(slot)
            self.lines.append(f"{METRIC}_sum{{{labels}}} ".encode())
            self.slots.append(len(BUCKETS))
            self.lines.append(f"{METRIC}_count{{{labels}}} ".encode())
            self.slots.append(len(BUCKETS) - 1)  # the count equals the +Inf bucket
        self.header = (f"# HELP {METRIC} Job latency (synthetic).\n# TYPE {METRIC} histogram\n").encode()
        self.scrapes = itertools.count(1)
        self.lock = threading.Lock()

    def body(self) -> bytes:
        """One exposition: cumulative buckets growing with the scrape count (counters never fall)."""
        with self.lock:
            n = next(self.scrapes)
        values = [f"{n * (slot + 1)}\n".encode() for slot in range(len(BUCKETS))] + [f"{n * 7.5}\n".encode()]
        return self.header + b"".join(line + values[slot] for line, slot in zip(self.lines, self.slots, strict=True))


def _group_ranges(series: int, per_target: int) -> list[tuple[int, int]]:
    """(first group, groups) of each shard: whole histograms, at most `per_target` series each."""
    groups = max(1, series // SERIES_PER_GROUP)
    per_shard = max(1, per_target // SERIES_PER_GROUP)
    return [(first, min(per_shard, groups - first)) for first in range(0, groups, per_shard)]


def shard_sizes(series: int, per_target: int) -> list[int]:
    """Series of each shard, without rendering them (for the caller that picks the ports)."""
    return [groups * SERIES_PER_GROUP for _, groups in _group_ranges(series, per_target)]


def shards(series: int, per_target: int) -> list[Shard]:
    return [Shard(first, groups) for first, groups in _group_ranges(series, per_target)]


def serve(shard: Shard, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path.split("?")[0] != "/metrics":
                self.send_error(404)
                return
            payload = shard.body()
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, required=True)
    parser.add_argument("--per-target", type=int, default=50000)
    parser.add_argument("ports", type=int, nargs="+", help="one per shard (see shard_sizes)")
    args = parser.parse_args(argv)
    found = shards(args.series, args.per_target)
    if len(found) != len(args.ports):
        parser.error(f"{len(found)} shards need {len(found)} ports, got {len(args.ports)}")
    for shard, port in zip(found, args.ports, strict=True):
        serve(shard, port)
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
