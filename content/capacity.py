"""Does Prometheus' memory limit hold the series a stack expects? Checked at preview from
`prometheus.expectedSeries` and the memory one head series costs, as measured by
`scripts/benchmark-cardinality` (README, "Capacity"), so that a limit too small for the load
fails in the PR check instead of in an out-of-memory kill at night.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from config.prometheus import PrometheusSettings
from config.units import size_bytes

# Measured by scripts/benchmark-cardinality with Prometheus 3.16.0 and prod's flags (2026-11-30,
# 2 shared cores): resident memory = BASE_BYTES + BYTES_PER_SERIES x head series, least squares over
# 10k, 100k and 1M series (153, 416 and 3368 MiB resident). README, "Capacity".
BASE_BYTES = 103 * 1024**2
BYTES_PER_SERIES = 3418
# Below this share of the limit for the head, queries, compaction and garbage collection have room.
HEADROOM_SHARE = 0.75

EXPECTED_KEY = "prometheus.expectedSeries"
LIMIT_KEY = "prometheus.resources.limits.memory"


@dataclass(frozen=True)
class CapacityFinding:
    level: Literal["warning", "error"]
    message: str
    fix: str


def estimated_memory(series: int) -> int:
    """Resident bytes of a Prometheus holding `series` head series."""
    return BASE_BYTES + BYTES_PER_SERIES * series


def series_capacity(memory_limit: int) -> int:
    """Head series a limit holds with its headroom kept."""
    return max(0, int((memory_limit * HEADROOM_SHARE - BASE_BYTES) / BYTES_PER_SERIES))


def _mib(value: int) -> str:
    return f"{value / 1024**2:.0f}MiB"


def check_capacity(prometheus: PrometheusSettings, stack: str) -> list[CapacityFinding]:
    """A warning when the expected series leave less than the headroom under the memory limit,
    an error when they do not fit under it at all. Nothing to check without both settings."""
    limit_text = prometheus.resources.limits.memory
    if not prometheus.expected_series or not limit_text:
        return []
    limit, expected = size_bytes(limit_text), prometheus.expected_series
    need = estimated_memory(expected)
    if need <= limit * HEADROOM_SHARE:
        return []
    fits = series_capacity(limit)
    wanted = f"{int(need / HEADROOM_SHARE / 1024**2) + 1}MB"
    detail = (f"{EXPECTED_KEY} {expected} series need about {_mib(need)} ({_mib(BASE_BYTES)} + "
              f"{BYTES_PER_SERIES} bytes per series, README 'Capacity'); {LIMIT_KEY} {limit_text} holds about "
              f"{fits} series with {1 - HEADROOM_SHARE:.0%} headroom")
    fix = (f"pulumi config set --path '{LIMIT_KEY}' {wanted} --stack {stack}, or lower {EXPECTED_KEY} "
           f"(prometheus.scrapeLimits / jobLimits keep the series down)")
    if need > limit:
        return [CapacityFinding("error", f"{detail}: Prometheus would be killed for memory", fix)]
    return [CapacityFinding("warning", f"{detail}: too little headroom", fix)]
