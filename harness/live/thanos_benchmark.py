"""Thanos benchmark (not a test): the scale-out stack on loopback (harness/live/thanos.py), measured.

Prints:
  - per dashboard of the stack, the time of all its panel queries through Thanos Query against
    the same queries sent to one Prometheus replica directly (sum of each query's median of
    `--queries` runs), and the ratio: what the query layer costs Grafana;
  - after `--minutes` of scraping, the bucket's bytes per million samples (every file in the
    bucket against the samples its blocks' meta.json count), and the blocks shipped.

    scripts/benchmark-thanos [--minutes 4] [--queries 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from harness.live.processes import http_get
from harness.live.thanos import ThanosStack, available, start_thanos_stack, wait_until
from harness.panel_queries import runnable
from harness.program import shutdown


def query_seconds(stack: ThanosStack, target: str, promql: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        status, _ = http_get(f"{stack.url(target)}/api/v1/query?{urlencode({'query': promql})}", stack.auth, timeout=30)
        times.append(time.perf_counter() - started)
        assert status == 200, (target, promql)
    return statistics.median(times)


def dashboard_times(stack: ThanosStack, runs: int) -> list[tuple[str, int, float, float]]:
    """(uid, queries, seconds through Query, seconds direct) per dashboard."""
    out = []
    for path in sorted((stack.workdir / "bundle" / "grafana" / "dashboards").rglob("*.json")):
        model = json.loads(path.read_text())
        exprs = [runnable(t["expr"], "30s") for p in model["panels"] for t in p.get("targets", [])]
        through = sum(query_seconds(stack, "thanos-query", e, runs) for e in exprs)
        direct = sum(query_seconds(stack, "prometheus-0", e, runs) for e in exprs)
        out.append((model["uid"], len(exprs), through, direct))
    return out


def bucket_figures(stack: ThanosStack) -> tuple[int, int, int]:
    """(bytes in the bucket, samples its blocks hold, blocks)."""
    size = sum(p.stat().st_size for p in stack.bucket.rglob("*") if p.is_file())
    blocks = stack.blocks()
    return size, sum(meta["stats"]["numSamples"] for meta in blocks), len(blocks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/benchmark-thanos", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=4.0, help="scraping time before the bucket is measured")
    parser.add_argument("--queries", type=int, default=10)
    args = parser.parse_args(argv)
    missing = available()
    if missing:
        parser.error(missing)
    stack = start_thanos_stack(Path(tempfile.mkdtemp(prefix="monstack-thanos-bench-")))
    started = time.monotonic()
    try:
        wait_until(lambda: len(stack.query("up", dedup="false")) >= 2 * len(stack.query("up", "prometheus-0")) > 0,
                   "both replicas through Query", 60)
        time.sleep(20)  # rate windows fill
        print(f"{'dashboard':32} {'queries':>7} {'Query ms':>9} {'direct ms':>9} {'Query/direct':>12}")
        for uid, count, through, direct in dashboard_times(stack, args.queries):
            print(f"{uid:32} {count:7d} {through * 1000:9.1f} {direct * 1000:9.1f} {through / direct:12.2f}")
        remaining = args.minutes * 60 - (time.monotonic() - started)
        if remaining > 0:
            print(f"scraping for {remaining:.0f} s more ...")
            time.sleep(remaining)
        size, samples, blocks = bucket_figures(stack)
        if samples:
            print(f"bucket: {blocks} blocks, {samples} samples, {size} bytes: "
                  f"{size / samples * 1e6 / 1024**2:.2f} MiB per million samples ({size / samples:.2f} bytes/sample)")
        else:
            print("bucket: no block yet (raise --minutes)")
    finally:
        stack.stop_all()
        shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
