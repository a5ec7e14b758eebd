"""Cardinality benchmark (not a test): the pinned Prometheus, run with prod's flags, prod's rule
files and prod's scrape job of the application pointed at a synthetic target of 10k, 100k and 1M
series (harness/cardinality/generator.py). Prints for each size:

  - head series;
  - resident memory, and bytes per head series;
  - ingestion rate (samples appended per second);
  - rule evaluation time (all groups, and the application's own);
  - each dashboard's query time with its recording rules and with them inlined;

then fits resident memory = base + bytes x series, prints the series at which prod's memory limit
is reached, and draws the memory curve to a PNG beside the text report.

    scripts/benchmark-cardinality [--sizes 10000 100000 1000000] [--settle 120] [--queries 5] [--out out/cardinality]

Two differences from a prod pod, both for the measurement's sake: no web.yml (basic auth's bcrypt
would dominate query times), and no Alertmanager (alerts are evaluated, not sent). Machines are
shared and noisy: compare within one run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional
from urllib.parse import quote

import yaml

from config.units import duration_seconds, size_bytes
from content.capacity import HEADROOM_SHARE
from content.plan import build_plan
from content.service_plan import StackPlan
from content.validation import validate
from harness.cardinality.generator import shard_sizes
from harness.live.benchmark import dashboard_times, resident_memory_mb
from harness.live.processes import ProcessGroup, free_port, http_get, wait_for
from harness.stackfile import fill_missing_secrets, read_stack_file
from harness.tools import tool

STACK = "prod"
PROJECT_DIR = Path(__file__).resolve().parents[2]
PER_TARGET = 50000  # series per synthetic target: under prod's sampleLimit, as a healthy replica is


@dataclass
class Running:
    """The benchmark's Prometheus, as harness.live.benchmark measures it (the Queried protocol)."""

    prometheus: str
    auth: Optional[tuple[str, str]] = None

    def api(self, path: str) -> Any:
        status, body = http_get(f"{self.prometheus}{path}", timeout=60)
        assert status == 200, f"{path}: HTTP {status}"
        return json.loads(body)["data"]

    def own_metric(self, name: str) -> float:
        """A sample of Prometheus' own /metrics (not scraped into its TSDB here)."""
        _, body = http_get(f"{self.prometheus}/metrics", timeout=60)
        line = next(line for line in body.decode().splitlines() if line.startswith(name + " "))
        return float(line.split()[1])

    def value(self, promql: str) -> float:
        result = self.api(f"/api/v1/query?query={quote(promql)}")["result"]
        return float(result[0]["value"][1]) if result else float("nan")


@dataclass
class Measurement:
    size: int
    head_series: float
    rss_bytes: float
    heap_bytes: float  # Go heap in use: what a GOMEMLIMIT under the pod's limit could squeeze RSS towards
    samples_per_second: float
    rule_seconds: float
    app_rule_seconds: float
    dashboards: list[tuple[str, int, float, float]] = field(default_factory=list)

    @property
    def bytes_per_series(self) -> float:
        return self.rss_bytes / self.head_series


def prod_plan() -> StackPlan:
    config = read_stack_file(STACK)
    fill_missing_secrets(config)
    raw = {k: json.loads(v) if v[:1] in "[{" else v for k, v in config.values.items()}
    return build_plan(validate(raw, set(config.secret_keys), "monstack", STACK).settings, salt_seed="benchmark")


def write_config(plan: StackPlan, workdir: Path, app_job: str, ports: list[int], own_port: int) -> Path:
    """prod's prometheus.yml and rule files, with the application's job scraping the shards,
    Prometheus scraping itself on `own_port` (its figures are read by PromQL), every other job
    left out (their targets do not exist here), and no Alertmanager."""
    files = plan.service("prometheus").files
    for name, content in files.items():
        if name.startswith("rules/"):
            (workdir / name).parent.mkdir(parents=True, exist_ok=True)
            (workdir / name).write_text(content)
    doc = yaml.safe_load(files["prometheus.yml"])
    jobs = {j["job_name"]: j for j in doc["scrape_configs"]}
    jobs[app_job]["static_configs"] = [{"targets": [f"127.0.0.1:{port}" for port in ports]}]
    jobs["prometheus"]["static_configs"] = [{"targets": [f"127.0.0.1:{own_port}"]}]
    jobs["prometheus"].pop("basic_auth", None)
    doc["scrape_configs"] = [jobs[app_job], jobs["prometheus"]]
    doc.pop("alerting", None)
    path = workdir / "prometheus.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def prometheus_argv(plan: StackPlan, workdir: Path, config: Path, port: int) -> list[str]:
    """prod's arguments, with local paths and a loopback listener."""
    argv = [tool("prometheus")]
    for arg in plan.service("prometheus").args:
        if arg.startswith("--web.config.file="):
            continue
        if arg.startswith("--config.file="):
            arg = f"--config.file={config}"
        elif arg.startswith("--storage.tsdb.path="):
            arg = f"--storage.tsdb.path={workdir / 'data'}"
        argv.append(arg)
    return argv + [f"--web.listen-address=127.0.0.1:{port}"]


def measure(plan: StackPlan, size: int, settle: float, queries: int, models: list[dict[str, Any]],
            log=print) -> Measurement:
    app = next(j for j in plan.jobs if j.name.startswith("meme-maker"))
    with tempfile.TemporaryDirectory(prefix=f"monstack-cardinality-{size}-") as tmp:
        workdir = Path(tmp)
        group = ProcessGroup(workdir)
        try:
            ports = [free_port() for _ in shard_sizes(size, PER_TARGET)]
            group.start("generator", [sys.executable, "-m", "harness.cardinality.generator", "--series", str(size),
                                      "--per-target", str(PER_TARGET), *map(str, ports)], cwd=PROJECT_DIR)
            port = free_port()
            config = write_config(plan, workdir, app.name, ports, port)
            argv = prometheus_argv(plan, workdir, config, port)
            group.start("prometheus", argv)
            prefix = next(a.split("=", 1)[1] for a in argv if a.startswith("--web.route-prefix=")).rstrip("/")
            running = Running(f"http://127.0.0.1:{port}{prefix}")

            def ready() -> bool:
                group.check_alive("prometheus")
                return http_get(f"{running.prometheus}/-/ready")[0] == 200

            wait_for(ready, "prometheus", 120)
            started = time.monotonic()
            wait_for(lambda: running.own_metric("prometheus_tsdb_head_series") >= 0.99 * size, f"{size} head series",
                     900, every=2)
            log(f"  {size}: all series in the head after {time.monotonic() - started:.0f} s; settling {settle:.0f} s")
            time.sleep(settle)
            rss = resident_memory_mb(group.processes["prometheus"].pid) * 1024**2
            return Measurement(
                size=size,
                head_series=running.own_metric("prometheus_tsdb_head_series"),
                rss_bytes=rss,
                heap_bytes=running.own_metric("go_memstats_heap_inuse_bytes"),
                samples_per_second=running.value("rate(prometheus_tsdb_head_samples_appended_total[1m])"),
                rule_seconds=running.value("sum(prometheus_rule_group_last_duration_seconds)"),
                app_rule_seconds=running.value(
                    f'sum(prometheus_rule_group_last_duration_seconds{{rule_group=~".*app-{app.name}.yml;.*"}})'),
                dashboards=dashboard_times(running, models, queries),
            )
        finally:
            group.stop_all()


def fit(points: list[Measurement]) -> tuple[float, float]:
    """Least squares of resident bytes = base + per_series x head series."""
    n = len(points)
    xs, ys = [p.head_series for p in points], [p.rss_bytes for p in points]
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread if spread else mean_y / mean_x
    return mean_y - slope * mean_x, slope


def plot(points: list[Measurement], base: float, slope: float, limit: int, version: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    reach = (limit - base) / slope
    top = max(reach, max(p.head_series for p in points)) * 1.5
    low = min(p.head_series for p in points) / 2
    xs = [low * (top / low) ** (i / 100) for i in range(101)]
    figure, axes = plt.subplots(figsize=(8, 5))
    axes.plot([p.head_series for p in points], [p.rss_bytes / 1024**2 for p in points], "o", label="measured RSS")
    axes.plot(xs, [(base + slope * x) / 1024**2 for x in xs], "-",
              label=f"fit: {base / 1024**2:.0f} MiB + {slope:.0f} B/series")
    axes.axhline(limit / 1024**2, color="red", linestyle="--", label=f"prod memory limit ({limit / 1024**2:.0f} MiB)")
    axes.axvline(reach, color="red", linestyle=":", label=f"limit reached at {reach:,.0f} series")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("head series")
    axes.set_ylabel("Prometheus resident memory (MiB)")
    axes.set_title(f"Prometheus {version}: resident memory by head series (prod's flags)")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def report(points: list[Measurement], limit_text: str, prometheus_version: str) -> tuple[str, float, float]:
    base, slope = fit(points)
    limit = size_bytes(limit_text)
    lines = [f"Prometheus {prometheus_version}, prod's flags and rules; synthetic histogram target, "
             f"{PER_TARGET} series per target", ""]
    lines.append(f"{'series':>9} {'head':>9} {'RSS MiB':>8} {'heap MiB':>8} {'B/series':>8} {'samples/s':>10} "
                 f"{'rules ms':>9} {'app rules ms':>12}")
    for p in points:
        lines.append(f"{p.size:>9} {p.head_series:>9.0f} {p.rss_bytes / 1024**2:>8.0f} {p.heap_bytes / 1024**2:>8.0f} "
                     f"{p.bytes_per_series:>8.0f} "
                     f"{p.samples_per_second:>10.0f} {p.rule_seconds * 1000:>9.1f} {p.app_rule_seconds * 1000:>12.1f}")
    lines += ["", f"{'dashboard':32} {'series':>9} {'queries':>7} {'with rules ms':>13} {'inlined ms':>10}"]
    for p in points:
        for uid, count, with_rules, inlined in p.dashboards:
            lines.append(f"{uid:32} {p.size:>9} {count:>7} {with_rules * 1000:>13.1f} {inlined * 1000:>10.1f}")
    lines += ["", f"fit: RSS = {base / 1024**2:.0f} MiB + {slope:.0f} bytes x head series",
              f"prod's memory limit {limit_text} is reached at {(limit - base) / slope:,.0f} head series "
              f"({(limit * HEADROOM_SHARE - base) / slope:,.0f} with the capacity check's {1 - HEADROOM_SHARE:.0%} headroom)"]
    return "\n".join(lines), base, slope


def prometheus_version() -> str:
    """The version the pinned build reports ("prometheus, version 3.16.0 (...)")."""
    out = subprocess.run([tool("prometheus"), "--version"], capture_output=True, text=True).stdout
    return next((word for word in out.split() if word[:1].isdigit()), "unknown")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/benchmark-cardinality", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000, 1000000])
    parser.add_argument("--settle", type=float, default=120.0, help="seconds of scraping after the head is full")
    parser.add_argument("--queries", type=int, default=5, help="runs of each dashboard query (median)")
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "out" / "cardinality")
    parser.add_argument("--replot", action="store_true", help="redraw memory.png from measurements.json, measure nothing")
    args = parser.parse_args(argv)
    if args.replot:
        saved = json.loads((args.out / "measurements.json").read_text())
        points = [Measurement(**{**p, "dashboards": [tuple(d) for d in p["dashboards"]]}) for p in saved["points"]]
        base, slope = fit(points)
        plot(points, base, slope, size_bytes(saved["limit"]), saved["version"], args.out / "memory.png")
        return 0
    plan = prod_plan()
    models = [json.loads(d.json) for d in plan.dashboards]
    version = prometheus_version()
    limit_text = plan.service("prometheus").resources.limits.memory or "1GB"
    interval = next(j.interval for j in plan.jobs if j.name.startswith("meme-maker")) or "15s"
    print(f"prod: scrape every {interval} ({duration_seconds(interval):.0f} s), memory limit {limit_text}", flush=True)
    points = []
    for size in args.sizes:
        print(f"measuring {size} series ...", flush=True)
        point = measure(plan, size, args.settle, args.queries, models)
        points.append(point)
        # Each size as soon as it is measured: a later failure loses nothing.
        print(f"  {size}: head {point.head_series:.0f}, RSS {point.rss_bytes / 1024**2:.0f} MiB, heap "
              f"{point.heap_bytes / 1024**2:.0f} MiB, {point.bytes_per_series:.0f} B/series, "
              f"{point.samples_per_second:.0f} samples/s, rules {point.rule_seconds * 1000:.1f} ms", flush=True)
    text, base, slope = report(points, limit_text, version)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "measurements.json").write_text(json.dumps(
        {"version": version, "limit": limit_text, "points": [dataclasses.asdict(p) for p in points]}, indent=1))
    (args.out / "report.txt").write_text(text + "\n")
    if len(points) >= 2:
        plot(points, base, slope, size_bytes(limit_text), version, args.out / "memory.png")
    print(text)
    print(f"\nwritten: {args.out / 'report.txt'}" + (f", {args.out / 'memory.png'}" if len(points) >= 2 else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
