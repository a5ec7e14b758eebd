"""Exporters that read one service (database, cache) at an address, with an optional
password given to the exporter as a file, never as a plain environment variable.

The shared base and the alert shapes the four service integrations have in common live here,
so Redis, PostgreSQL, MySQL and MongoDB state only their metrics and thresholds:

- `Ratio` + `near_limit_alerts`: "usage is close to a configured maximum" (clients against
  maxclients, connections against max_connections, memory against maxmemory). The ratio is
  recorded once per job; the alert pair and the dashboards read the recorded series.
- `counter_increase_alert`: "something that should (nearly) never happen, happened N times in a
  window" (rejected connections, deadlocks, slow queries).

Each helper builds the alert's fixture too, so every threshold a stack may set through
`alertOverrides` still gets a firing and a quiet promtool case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Optional

from config.exporters import ExporterSettings, ServiceExporterSettings
from content.integrations.unit import Integration
from content.rules import Alert, Fixture, Recording, Series, alert_prefix, labels_of
from content.scrape import ScrapeJob
from content.workload import Egress


@dataclass(frozen=True)
class Ratio:
    """A usage-over-limit ratio (1.0 = at the limit) recorded once per scrape job, because the
    near-limit alerts and the dashboards would otherwise each repeat the division."""

    record: str  # `instance:<what>:ratio`, the mixins' level:metric:operations naming
    expr: str  # the division over the raw series, job selector already in
    # The raw input series that make the recorded ratio equal the given value (for fixtures).
    inputs: Callable[[float], list[Series]]

    @property
    def recording(self) -> Recording:
        return Recording(self.record, self.expr)

    def of(self, selector: str) -> str:
        """The recorded series of one job, as alerts and dashboards query it."""
        return f"{self.record}{{{selector}}}"


def used_over_limit(record: str, used: str, limit: str, selector: str, limit_value: float = 1000) -> Ratio:
    """`used / limit` of two gauges with the same labels. A limit of 0 (Redis' "no maxmemory")
    drops the series instead of dividing by zero, so "unlimited" never reads as "full"."""

    def inputs(ratio: float) -> list[Series]:
        return [Series(f"{used}{labels_of(selector)}", limit_value * ratio),
                Series(f"{limit}{labels_of(selector)}", limit_value)]

    return Ratio(record, f"{used}{{{selector}}} / ({limit}{{{selector}}} > 0)", inputs)


def ratio_fixture(inputs: Callable[[float], list[Series]]) -> Fixture:
    """Fixture of `ratio > threshold`: halfway between the threshold and the limit to fire
    (beyond it when an override puts the threshold at or past 1), half the threshold to stay quiet."""

    def fixture(threshold: Optional[float], fire: bool) -> list[Series]:
        t = threshold or 0.0
        if not fire:
            return inputs(t / 2)
        return inputs((t + 1) / 2 if t < 1 else t * 1.5)

    return fixture


def near_limit_alerts(name: str, ratio: Ratio, selector: str, service: str, what: str, limit: str,
                      warning: float = 0.8, critical: float = 0.9, for_: str = "5m") -> list[Alert]:
    """The warning/critical pair of "usage close to `limit`", sharing one name (told apart by
    severity, as overrides are). Warning leaves time to raise the limit or find the leak;
    critical means new clients are about to be refused."""
    warn = Alert(
        name=name,
        expr=f"{ratio.of(selector)} > $threshold",
        threshold=warning, threshold_kind="ratio", for_=for_, severity="warning",
        summary=f"{service} {what} above $threshold of {limit}",
        description=f"{what.capitalize()} of {service} {{{{ $labels.instance }}}} at {{{{ $value | humanizePercentage }}}}"
        f" of {limit}.",
        fixture=ratio_fixture(ratio.inputs),
    )
    return [warn, warn.replace(threshold=critical, severity="critical")]


def counter_increase_alert(name: str, metric: str, selector: str, threshold: float, severity: str,
                           summary: str, description: str, window: str = "5m", for_: str = "0s",
                           **fixture_labels: str) -> Alert:
    """`increase(counter[window]) > threshold`: events that should stay rare. The fixture grows
    the counter to twice (threshold + 1) per window to fire, and half the threshold to stay quiet."""
    window_seconds = {"m": 60, "h": 3600}[window[-1]] * float(window[:-1])

    def fixture(t: Optional[float], fire: bool) -> list[Series]:
        per_window = 2 * ((t or 0.0) + 1) if fire else (t or 0.0) / 2
        return [Series(f"{metric}{labels_of(selector, **fixture_labels)}", per_window / window_seconds, rate=True)]

    return Alert(
        name=name,
        expr=f"increase({metric}{{{selector}}}[{window}]) > $threshold",
        threshold=threshold, threshold_kind="count", for_=for_, severity=severity, summary=summary,
        description=description, fixture=fixture,
    )


def flag_alert(name: str, metric: str, selector: str, for_: str, severity: str, summary: str, description: str,
               **fixture_labels: str) -> Alert:
    """`metric == 0` on a 0/1 gauge (a link, a thread, the exporter's own `up`)."""
    return Alert(
        name=name,
        expr=f"{metric}{{{selector}}} == 0",
        for_=for_, severity=severity, summary=summary, description=description,
        fixture=lambda _t, fire: [Series(f"{metric}{labels_of(selector, **fixture_labels)}", 0 if fire else 1)],
    )


class ServiceIntegration(Integration):
    """An exporter of one service. Subclasses add their alerts after the shared "unreachable"
    one, and their recording rules, which go to a `<key>-recording` group ahead of the alerts."""

    # The exporter's own gauge that is 0 when it cannot reach the service.
    up_metric: ClassVar[str]
    settings_model: ClassVar[type[ExporterSettings]] = ServiceExporterSettings

    def password_key(self, own: ServiceExporterSettings) -> Optional[str]:
        return own.password_secret

    def egress_for(self, own: ServiceExporterSettings) -> Egress:
        return Egress(ports=(int(own.address.rsplit(":", 1)[1]),))

    def alerts(self, own: ExporterSettings, job: ScrapeJob) -> list[Alert]:
        return [flag_alert(
            f"{alert_prefix(job.name)}Unreachable", self.up_metric, job.selector, "1m", "critical",
            f"{self.title} is unreachable from its exporter",
            f"The exporter {{{{ $labels.instance }}}} cannot reach {self.title} ({self.up_metric} is {{{{ $value }}}}).",
        )]
