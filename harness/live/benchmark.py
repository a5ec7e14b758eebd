"""Live benchmark (not a test): the dev stack on loopback, measured.

Prints, for the running stack:
  - time from a real fault (Redis stopped) to the webhook delivery, beside its bound
    (scrape interval + evaluation interval + `for` + group_wait + resend delay), per repetition;
  - Prometheus' head series and resident memory after `--minutes` of scraping;
  - the query time of each recorded expression against the same expression written inline,
    and of each dashboard (all its panel queries) with its recording rules and with them
    inlined (what a dashboard pays without them), median of `--queries` runs each.

    scripts/benchmark-live [--minutes 3] [--faults 3] [--queries 20]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Optional, Protocol
from urllib.parse import quote

from config.units import duration_seconds
from harness.live.backends import restart_redis
from harness.live.processes import http_get, wait_for
from harness.live.stack import FAST_FOR, LiveStack, start_live_stack
from harness.panel_queries import runnable
from harness.program import shutdown


def fault_to_delivery(live: LiveStack, faults: int) -> list[tuple[float, float]]:
    """(seconds from stopping Redis to the firing notification, the bound) per repetition."""
    prom, am = live.config["prometheus"], live.config["alertmanager"]
    bound = sum(duration_seconds(x) for x in (prom["scrapeInterval"], prom["evaluationInterval"], FAST_FOR,
                                               am["groupWait"])) + 1.0  # + resend delay
    out = []
    for _ in range(faults):
        seen = len(live.sink.find("RedisUnreachable", "firing"))
        started = time.monotonic()
        live.group.stop("redis")
        wait_for(lambda seen=seen: len(live.sink.find("RedisUnreachable", "firing")) > seen, "firing notification", 120,
                 every=0.05)
        delivered = max(n.received for n in live.sink.notifications)
        out.append((delivered - started, bound))
        resolved = len(live.sink.find("RedisUnreachable", "resolved"))
        restart_redis(live.group, live.backends["redis"])
        wait_for(lambda resolved=resolved: len(live.sink.find("RedisUnreachable", "resolved")) > resolved,
                 "resolved notification", 120)
    return out


def resident_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Queried(Protocol):
    """A running Prometheus to measure: the live stack, or the cardinality benchmark's."""

    prometheus: str  # base URL, with the route prefix

    @property
    def auth(self) -> Optional[tuple[str, str]]: ...

    def api(self, path: str) -> Any: ...


def query_seconds(live: Queried, promql: str, runs: int, timeout: float = 120) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        status, _ = http_get(f"{live.prometheus}/api/v1/query?query={quote(promql)}", live.auth, timeout=timeout)
        times.append(time.perf_counter() - started)
        assert status == 200, promql
    return statistics.median(times)


def inline_recordings(expr: str, recordings: dict[str, str]) -> str:
    """`expr` with every recorded series (`name{...}`) replaced by its rule's expression: what
    the query would cost without the recording rules."""
    for name, definition in recordings.items():
        expr = re.sub(re.escape(name) + r"(\{[^}]*\})?", f"({definition})", expr)
    return expr


def dashboard_models(outdir: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted((outdir / "grafana" / "dashboards").rglob("*.json"))]


def dashboard_times(live: Queried, models: list[dict[str, Any]], runs: int) -> list[tuple[str, int, float, float]]:
    """Per dashboard: (uid, queries, seconds with recording rules, seconds with them inlined),
    summing the median time of each panel query."""
    recordings = {rule["name"]: rule["query"] for group in live.api("/api/v1/rules")["groups"]
                  for rule in group["rules"] if rule["type"] == "recording"}
    out = []
    for model in models:
        exprs = [runnable(t["expr"], "30s") for p in model["panels"] for t in p.get("targets", [])]
        with_rules = sum(query_seconds(live, e, runs) for e in exprs)
        inlined = sum(query_seconds(live, inline_recordings(e, recordings), runs) for e in exprs)
        out.append((model["uid"], len(exprs), with_rules, inlined))
    return out


def recorded_vs_inline(live: Queried, runs: int) -> list[tuple[str, float, float]]:
    """Every recording rule of the stack: query time of its name against its expression."""
    out = []
    for group in live.api("/api/v1/rules")["groups"]:
        for rule in group["rules"]:
            if rule["type"] == "recording":
                out.append((rule["name"], query_seconds(live, rule["name"], runs), query_seconds(live, rule["query"], runs)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/benchmark-live", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="scraping time before series and memory are read")
    parser.add_argument("--faults", type=int, default=3)
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args(argv)
    live = start_live_stack(Path(tempfile.mkdtemp(prefix="monstack-bench-")))
    try:
        wait_for(lambda: all(t["health"] == "up" for t in live.api("/api/v1/targets")["activeTargets"]), "targets up", 60)
        print("fault -> webhook delivery (RedisUnreachable)")
        for i, (seconds, bound) in enumerate(fault_to_delivery(live, args.faults), 1):
            print(f"  run {i}: {seconds:6.2f} s   bound {bound:5.1f} s   ratio {seconds / bound:4.2f}")
        remaining = args.minutes * 60 - (time.monotonic() - live.started)
        if remaining > 0:
            print(f"scraping for {remaining:.0f} s more ...")
            time.sleep(remaining)
        series = float(live.query("prometheus_tsdb_head_series")[0]["value"][1])
        pid = live.group.processes["prometheus"].pid
        print(f"after {args.minutes:g} min: head series {series:.0f}, Prometheus RSS {resident_memory_mb(pid):.1f} MB")
        print(f"{'recorded series':60} {'recorded ms':>11} {'inline ms':>10} {'inline/recorded':>15}")
        for name, recorded, inline in recorded_vs_inline(live, args.queries):
            print(f"{name:60} {recorded * 1000:11.2f} {inline * 1000:10.2f} {inline / recorded:15.2f}")
        print(f"{'dashboard':40} {'queries':>7} {'with rules ms':>13} {'inlined ms':>10} {'inlined/with':>12}")
        for uid, count, with_rules, inlined in dashboard_times(live, dashboard_models(live.outdir), args.queries):
            print(f"{uid:40} {count:7d} {with_rules * 1000:13.1f} {inlined * 1000:10.1f} {inlined / with_rules:12.2f}")
    finally:
        live.stop()
        shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
