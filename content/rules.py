"""Alerting and recording rules as data (the factories that build the common shapes of alert
are in content/alert_factories.py).

Integrations return `RuleGroup`s; `render_rule_file` turns them into a promtool-checked file.
Every alert gets a `severity`, a `summary`, a `description` and a `runbook_url`, added here
once rather than repeated in every integration.

An alert's threshold is data (`threshold`, written into `expr` where `$threshold` stands), so a
stack can override it per rule, and each alert carries a `fixture`: the input series that make
it fire, or keep it quiet, at whatever threshold it ends up with. The promtool tests are
generated from those fixtures (harness/promtool_cases.py), never copied by hand.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional

from config.thresholds import KINDS, Direction, ThresholdKindName
from content.yamlio import dump

RUNBOOKS_DIR = "docs/runbooks"  # in this repository; `runbookBaseUrl` says where it is served
SEVERITIES = ("info", "warning", "critical")
THRESHOLD = "$threshold"  # stands in `expr`, `summary` and `description` for the threshold
_COMPARISON = re.compile(r"([<>])=?\s*\$threshold")  # how `expr` compares with the threshold


@dataclass(frozen=True)
class Series:
    """One input series of a promtool case: a gauge held at `value`, or with `rate=True` a
    counter growing by `value` per second (what `rate()` then reads)."""

    series: str
    value: float
    rate: bool = False
    start: float = 0.0  # a counter's (or a drifting gauge's) first value; `value` may be negative


# fixture(threshold, fire) -> the series that make the alert fire (fire=True) or stay quiet.
Fixture = Callable[[Optional[float], bool], list[Series]]


def number(value: float) -> str:
    """A threshold as PromQL and people write it: 5, 0.05, 1e+09 -> 1000000000."""
    text = f"{value:.10g}"
    return str(int(value)) if "e" in text and value == int(value) else text


@dataclass(frozen=True)
class Alert:
    name: str
    expr: str
    severity: str
    summary: str
    description: str
    for_: str = "0s"
    labels: tuple[tuple[str, str], ...] = ()
    # Runbook page (docs/runbooks/<runbook>.md); alerts of one kind across applications share one.
    runbook: str = ""
    threshold: Optional[float] = None
    # What the threshold measures (config.thresholds.KINDS: ratio, seconds, count...): it bounds
    # the values a stack may override it with. Required with a threshold.
    threshold_kind: Optional[ThresholdKindName] = None
    fixture: Optional[Fixture] = field(default=None, compare=False)
    # Watchdog-style alerts fire by design: they have no quiet case.
    always_fires: bool = False

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"alert {self.name}: severity {self.severity!r} is not one of {SEVERITIES}")
        if (THRESHOLD in self.expr) != (self.threshold is not None):
            raise ValueError(f"alert {self.name}: `threshold` and the {THRESHOLD} token in expr go together")
        if self.threshold is not None and (self.threshold_kind not in KINDS or not self.direction):
            raise ValueError(f"alert {self.name}: threshold_kind {self.threshold_kind!r} is not one of {list(KINDS)}")

    @property
    def direction(self) -> Direction:
        """Whether the alert fires above or below its threshold (read from `> $threshold` in expr)."""
        found = _COMPARISON.search(self.expr)
        if not found:
            raise ValueError(f"alert {self.name}: expr must compare with `> {THRESHOLD}` or `< {THRESHOLD}`")
        return "above" if found.group(1) == ">" else "below"

    @property
    def key(self) -> tuple[str, str]:
        """What overrides name: the warning and critical variants of one alert differ here."""
        return self.name, self.severity

    @property
    def runbook_page(self) -> str:
        return self.runbook or self.name.lower()

    def _fill(self, text: str) -> str:
        return text.replace(THRESHOLD, number(self.threshold)) if self.threshold is not None else text

    def replace(self, **changes: Any) -> Alert:
        return dataclasses.replace(self, **changes)

    def render(self, runbook_base: str) -> dict[str, Any]:
        rule: dict[str, Any] = {"alert": self.name, "expr": self._fill(self.expr)}
        if self.for_ not in ("0s", "0m", ""):
            rule["for"] = self.for_
        rule["labels"] = {"severity": self.severity, **dict(self.labels)}
        rule["annotations"] = {
            "summary": self._fill(self.summary),
            "description": self._fill(self.description),
            "runbook_url": self.runbook if self.runbook.startswith(("http://", "https://"))
            else f"{runbook_base.rstrip('/')}/{self.runbook_page}.md",
        }
        return rule


@dataclass(frozen=True)
class Recording:
    """A recording rule named `level:metric:operations`, as the mixins name them."""

    record: str
    expr: str

    def render(self, runbook_base: str) -> dict[str, Any]:
        return {"record": self.record, "expr": self.expr}


@dataclass(frozen=True)
class RuleGroup:
    name: str
    rules: tuple[Alert | Recording, ...]
    interval: Optional[str] = None
    layer: str = "services"  # infrastructure, services or business (the seed's three layers)

    def render(self, runbook_base: str) -> dict[str, Any]:
        group: dict[str, Any] = {"name": self.name}
        if self.interval:
            group["interval"] = self.interval
        group["rules"] = [r.render(runbook_base) for r in self.rules]
        return group

    @property
    def alerts(self) -> list[Alert]:
        return [r for r in self.rules if isinstance(r, Alert)]


def render_rule_file(groups: list[RuleGroup], source: str, runbook_base: str) -> str:
    document = {"groups": [g.render(runbook_base) for g in groups]}
    return dump(document, header=f"Generated by monstack from {source}; do not edit.")


def alert_prefix(job_name: str) -> str:
    """CamelCase of a job name, the prefix of that job's alerts (node -> Node, my-app -> MyApp)."""
    return "".join(part.capitalize() for part in job_name.replace("_", "-").split("-"))


def labels_of(selector: str, instance: str = "target:9100", **extra: str) -> str:
    """Series labels for a fixture: the job's selector plus an instance and any others."""
    pairs = [selector, f'instance="{instance}"'] + [f'{k}="{v}"' for k, v in extra.items()]
    return "{" + ",".join(pairs) + "}"
