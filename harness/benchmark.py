"""Benchmark: how synthesis scales with the number of applications (scrape targets).

Why: every application adds a scrape job, alert rules and their share of the rendered
configuration, so a stack with hundreds of targets must still synthesise in reasonable
time and memory. This is a measurement, not a test: it asserts nothing and has no
thresholds. Shared machines are noisy, so read the ratios (time per application relative
to the smallest size) rather than the absolute seconds.

For each size N the dev stack file's first application is copied N times (unique names
and targets), and, repeated R times, two things are timed:

    full    the real `__main__.py` under Pulumi mocks (`harness.program.run_program`)
    plan    the pure content part alone (`content.plan.build_plan`)

Each size runs in its own child process, so that its peak RSS (ru_maxrss, a per-process
high-water mark) is its own and not that of a larger size measured earlier. Each child first
synthesises the unmodified dev stack once, untimed, so that imports and first-use costs are
not charged to the first repetition.

    scripts/benchmark [--sizes 3,30,300] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass

from config.loader import _decode
from content.plan import build_plan
from content.validation import validate
from harness.preview import bundle_files
from harness.program import PROJECT, PROJECT_DIR, run_program, shutdown
from harness.stackfile import StackConfig, fill_missing_secrets, read_stack_file

STACK = "dev"
PROMETHEUS_YML = "prometheus/prometheus.yml"


@dataclass
class SizeResult:
    apps: int
    repeat: int
    full_median_s: float
    full_min_s: float
    plan_median_s: float
    plan_min_s: float
    resources: int
    prometheus_yml_bytes: int
    bundle_bytes: int  # every file uploaded into a container (rules grow with applications too)
    rss_base_mb: float  # after imports and the warm-up run, before the timed runs
    rss_peak_mb: float


def dev_config() -> StackConfig:
    config = read_stack_file(STACK)
    fill_missing_secrets(config)
    return config


def with_applications(config: StackConfig, count: int) -> dict[str, str]:
    """The stack's config values with `count` copies of its first application."""
    template = json.loads(config.values["applications"])[0]
    apps = []
    for i in range(count):
        app = copy.deepcopy(template)
        app["name"] = f"app-{i:04d}"
        app["targets"] = [f"app-{i:04d}:8000"]
        apps.append(app)
    return {**config.values, "applications": json.dumps(apps)}


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e6


def measure(count: int, repeat: int) -> SizeResult:
    """Time synthesis of `count` applications in this process (`repeat` times each)."""
    config = dev_config()
    values = with_applications(config, count)
    run_program(STACK, config.values, config.secret_keys)  # warm-up, untimed
    rss_base = _peak_rss_mb()

    full: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        run = run_program(STACK, values, config.secret_keys)
        full.append(time.perf_counter() - start)

    raw = {k: _decode(v) for k, v in values.items()}
    settings = validate(raw, set(config.secret_keys), PROJECT, STACK).settings
    if len(settings.applications) != count:  # a sanity check of the input, not a threshold
        raise RuntimeError(f"expected {count} applications, the settings hold {len(settings.applications)}")
    plan: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        build_plan(settings, salt_seed="bench")
        plan.append(time.perf_counter() - start)

    files = bundle_files(run.records)
    return SizeResult(
        apps=count, repeat=repeat,
        full_median_s=statistics.median(full), full_min_s=min(full),
        plan_median_s=statistics.median(plan), plan_min_s=min(plan),
        resources=len(run.records), prometheus_yml_bytes=len(files.get(PROMETHEUS_YML, "").encode()),
        bundle_bytes=sum(len(content.encode()) for content in files.values()),
        rss_base_mb=rss_base, rss_peak_mb=_peak_rss_mb(),
    )


def _measure_in_child(count: int, repeat: int) -> SizeResult:
    command = [sys.executable, "-m", "harness.benchmark", "--worker", str(count), "--repeat", str(repeat)]
    done = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"benchmark of {count} applications failed (exit {done.returncode})")
    return SizeResult(**json.loads(done.stdout.strip().splitlines()[-1]))


def marginal_ms(result: SizeResult, previous: SizeResult | None, field: str) -> str:
    """Milliseconds each application added since the previous size costs: flat when linear."""
    if previous is None or result.apps == previous.apps:
        return "-"
    added = getattr(result, field) - getattr(previous, field)
    return f"{1000 * added / (result.apps - previous.apps):.2f}"


def _table(results: list[SizeResult]) -> list[str]:
    base = results[0]

    def per_app(seconds: float, base_seconds: float, apps: int) -> str:
        return f"{(seconds / apps) / (base_seconds / base.apps):.2f}"

    header = ["apps", "runs", "full med s", "full min s", "plan med s", "plan min s", "resources",
              "prom.yml B", "bundle B", "rss base MB", "rss peak MB", "full x", "full/app x", "plan/app x",
              "full +ms/app", "plan +ms/app"]
    rows = [header]
    previous: SizeResult | None = None
    for r in results:
        rows.append([
            str(r.apps), str(r.repeat),
            f"{r.full_median_s:.3f}", f"{r.full_min_s:.3f}", f"{r.plan_median_s:.4f}", f"{r.plan_min_s:.4f}",
            str(r.resources), str(r.prometheus_yml_bytes), str(r.bundle_bytes),
            f"{r.rss_base_mb:.1f}", f"{r.rss_peak_mb:.1f}",
            f"{r.full_median_s / base.full_median_s:.2f}",
            per_app(r.full_median_s, base.full_median_s, r.apps),
            per_app(r.plan_median_s, base.plan_median_s, r.apps),
            marginal_ms(r, previous, "full_median_s"), marginal_ms(r, previous, "plan_median_s"),
        ])
        previous = r
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.append(f"medians of the runs; 'x': relative to {base.apps} applications ('/app': time per application, "
                 "1.00 = proportional; fixed costs push it below 1); '+ms/app': milliseconds per application added "
                 "since the previous size (flat = linear)")
    return lines


def _sizes(text: str) -> list[int]:
    sizes = [int(part) for part in text.split(",") if part.strip()]
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive integers, e.g. 3,30,300")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/benchmark", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=_sizes, default=[3, 30, 300], help="numbers of applications (default 3,30,300)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per size (default 3)")
    parser.add_argument("--json", action="store_true", help="print only the JSON line, not the table")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)  # internal: measure one size, print JSON
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    if args.worker is not None:
        try:
            print(json.dumps(asdict(measure(args.worker, args.repeat))))
        finally:
            shutdown()
        return 0

    results = []
    for count in args.sizes:
        print(f"measuring {count} applications x {args.repeat} ...", file=sys.stderr, flush=True)
        results.append(_measure_in_child(count, args.repeat))
    if not args.json:
        print("\n".join(_table(results)))
    print(json.dumps({"benchmark": "synthesis", "stack": STACK, "results": [asdict(r) for r in results]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
