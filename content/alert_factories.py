"""The alert factories: the few shapes most alerts of this stack take, each building its
expression, its threshold kind and its promtool fixture, so an integration states only its
metric, its thresholds and its words.

- `target_down`: the alert every scrape job gets (its target stopped answering).
- `flag_alert`: a 0/1 gauge in its bad state (a link, a thread, a halted compactor, an alarm).
- `gauge_alert`: a gauge beyond a threshold (a backlog, a lag, a duration, a member count).
- `ratio_alert` over a `Ratio`: a share beyond a threshold. The share is used over limit
  (`used_over_limit`), part over whole (`share`), or errors among all requests of one counter
  (`labelled_share`); two gauges or two counters' rates; read raw or from its recording rule.
- `counter_increase_alert`: events that should stay rare grew more than N within a window.
- `pair`: a warning alert and its critical variant at a level of its own, sharing the name
  (told apart by severity, as `alertOverrides` names them).
- `near_limit_alerts`: `ratio_alert` + `pair` for "usage close to a configured maximum".
- `watchdog`: the heartbeat that always fires.

Every fixture follows the threshold it is called with, so a threshold a stack moves with
`alertOverrides` still gets a firing and a quiet promtool case.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Optional

from config.thresholds import ThresholdKindName
from config.units import duration_seconds
from content.rules import Alert, Fixture, Recording, Series, alert_prefix, labels_of

# A target that missed scrapes for two minutes is down, not restarting: a restart or one slow
# scrape lasts less, and at a 15-60 s scrape interval two minutes are several failed scrapes.
TARGET_DOWN_FOR = "2m"


# --- fixtures ----------------------------------------------------------------------------------


def gauge_fixture(metric: str, selector: str, above: bool = True, **extra: str) -> Fixture:
    """Fixture of a `metric > threshold` (or `<` with above=False) alert on a gauge: the value sits
    a margin beyond the threshold to fire, and as far on the safe side to stay quiet."""

    def fixture(threshold: Optional[float], fire: bool) -> list[Series]:
        t = threshold or 0.0
        margin = max(abs(t) * 0.5, 1.0) if t >= 1 or t == 0 else abs(t) * 0.5
        beyond = fire == above
        return [Series(f"{metric}{labels_of(selector, **extra)}", t + margin if beyond else t - margin)]

    return fixture


def share_fixture(inputs: Callable[[float], list[Series]], above: bool = True) -> Fixture:
    """Fixture of `share > threshold` (`<` with above=False), where 1 is the whole or the limit:
    halfway between the threshold and 1 on the side that fires (1.5 times the threshold when an
    override puts it at or past 1), half the threshold on the other side."""

    def fixture(threshold: Optional[float], fire: bool) -> list[Series]:
        t = threshold or 0.0
        far = (t + 1) / 2 if t < 1 else t * 1.5
        return inputs(far if fire == above else t / 2)

    return fixture


def histogram_fixture(histogram: str, selector: str, **labels: str) -> Fixture:
    """Fixture of a quantile of `histogram` above a threshold in seconds: observations all in
    the bucket (t/2, 2t] put any high quantile near 2t; all at or below t/2 keep it near t/2."""

    def fixture(threshold: Optional[float], fire: bool) -> list[Series]:
        t = threshold or 1.0
        buckets = {f"{t / 2:g}": 0.0 if fire else 1.0, f"{t * 2:g}": 1.0, "+Inf": 1.0}
        return [Series(f"{histogram}_bucket{labels_of(selector, le=le, **labels)}", rate, rate=True)
                for le, rate in buckets.items()]

    return fixture


# --- states and gauges -------------------------------------------------------------------------


def flag_alert(name: str, metric: str, selector: str, /, for_: str, severity: str, summary: str, description: str,
               *, bad: int = 0, filters: str = "", runbook: str = "", **fixture_labels: str) -> Alert:
    """`metric == bad` on a 0/1 gauge (a link, a thread, an alarm, the exporter's own `up`).
    `filters` are matchers beside the job's selector; `fixture_labels` the labels of the
    fixture's series beyond job and instance (the leading parameters are positional-only, so a
    label may be called `name`)."""
    sel = f"{selector},{filters}" if filters else selector
    return Alert(
        name=name, runbook=runbook,
        expr=f"{metric}{{{sel}}} == {bad}",
        for_=for_, severity=severity, summary=summary, description=description,
        fixture=lambda _t, fire: [Series(f"{metric}{labels_of(selector, **fixture_labels)}", bad if fire else 1 - bad)],
    )


def target_down(job_name: str, selector: str, title: str, for_: str = TARGET_DOWN_FOR, runbook: str = "") -> Alert:
    """The alert every scrape job gets: its target stopped answering."""
    return flag_alert(
        f"{alert_prefix(job_name)}Down", "up", selector, for_, "critical",
        f"{title} target is down",
        f"{title} target {{{{ $labels.instance }}}} of job {job_name} has not answered scrapes for {for_}.",
        runbook=runbook,
    )


def gauge_alert(name: str, metric: str, selector: str, /, *, threshold: float, threshold_kind: ThresholdKindName,
                for_: str, severity: str, summary: str, description: str, above: bool = True,
                around: str = "{}", runbook: str = "", **fixture_labels: str) -> Alert:
    """`metric > threshold` (`<` with above=False) on a gauge of one job. `around` wraps the
    selected series before the comparison: `"avg_over_time({}[5m])"`, `"sum by (topic) ({})"`."""
    return Alert(
        name=name, runbook=runbook,
        expr=f"{around.format(f'{metric}{{{selector}}}')} {'>' if above else '<'} $threshold",
        threshold=threshold, threshold_kind=threshold_kind, for_=for_, severity=severity, summary=summary,
        description=description, fixture=gauge_fixture(metric, selector, above, **fixture_labels),
    )


# --- ratios ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    """A share (1.0 = the whole, or the limit): its PromQL division and the raw input series
    that make it equal a given value (the fixtures'). With `record` the division is recorded
    once per job and alerts and dashboards read the recorded series (`query`), because they
    would otherwise each repeat the division."""

    expr: str  # the division over the raw series, the job's selector already in
    inputs: Callable[[float], list[Series]]
    record: str = ""  # `instance:<what>:ratio`, the mixins' level:metric:operations naming
    selector: str = ""  # what the recorded series is read with (the job's, or a dashboard's)

    @property
    def recording(self) -> Recording:
        if not self.record:
            raise ValueError(f"ratio {self.expr!r} has no `record` name: it is not recorded")
        return Recording(self.record, self.expr)

    @property
    def query(self) -> str:
        """What alerts and dashboards read: the recorded series, or the division itself."""
        return f"{self.record}{{{self.selector}}}" if self.record else self.expr


def used_over_limit(record: str, used: str, limit: str, selector: str, limit_value: float = 1000) -> Ratio:
    """`used / limit` of two gauges with the same labels, recorded as `record`. A limit of 0
    (Redis' "no maxmemory") drops the series instead of dividing by zero, so "unlimited" never
    reads as "full"."""

    def inputs(ratio: float) -> list[Series]:
        return [Series(f"{used}{labels_of(selector)}", limit_value * ratio),
                Series(f"{limit}{labels_of(selector)}", limit_value)]

    return Ratio(f"{used}{{{selector}}} / ({limit}{{{selector}}} > 0)", inputs, record, selector)


def busy_share(record: str, counter: str, selector: str, core_label: str, fixture_core: str) -> Ratio:
    """Share of CPU time not idle (0..1), averaged over each host's cores, from a counter of
    seconds per core and mode (node_exporter's, windows_exporter's); recorded as `record`."""

    def inputs(busy: float) -> list[Series]:
        idle = labels_of(selector, **{core_label: fixture_core, "mode": "idle"})
        return [Series(f"{counter}{idle}", 1 - busy, rate=True)]

    return Ratio(f'1 - avg without ({core_label}, mode) (rate({counter}{{{selector},mode="idle"}}[5m]))', inputs,
                 record, selector)


def share(numerator: str, denominator: str, selector: str, *, filters: str = "", window: Optional[str] = None,
          denominator_filter: str = "", series_labels: Optional[dict[str, str]] = None) -> Ratio:
    """`numerator / denominator` of two metrics of one job: two gauges, or with `window` the
    rates of two counters. `filters` are extra matchers (`name!=""`) beside the job's selector;
    `denominator_filter` (` > 0`) drops series whose denominator means "no limit";
    `series_labels` are the labels of the fixture's series beyond job and instance."""
    sel = f"{selector},{filters}" if filters else selector
    num, den = f"{numerator}{{{sel}}}", f"{denominator}{{{sel}}}"
    if window:
        num, den = f"rate({num}[{window}])", f"rate({den}[{window}])"
    if denominator_filter:
        den = f"({den}{denominator_filter})"
    labels = labels_of(selector, **(series_labels or {}))
    total = 1.0 if window else 1000.0  # a counter grows by 1 a second; a gauge holds 1000

    def inputs(ratio: float) -> list[Series]:
        return [Series(f"{denominator}{labels}", total, rate=bool(window)),
                Series(f"{numerator}{labels}", ratio * total, rate=bool(window))]

    return Ratio(f"{num} / {den}", inputs)


def labelled_share(counter: str, selector: str, label: str, part: str, *, part_value: str, rest_value: str,
                   by: Sequence[str] = ("job", "instance"), window: str = "5m") -> Ratio:
    """The share of one counter's rate whose `label` matches the regex `part` (error codes among
    all requests), summed `by` those labels. The fixture's series carry `part_value` (inside
    `part`) and `rest_value` (outside it)."""
    group = ", ".join(by)

    def inputs(ratio: float) -> list[Series]:
        return [Series(f"{counter}{labels_of(selector, **{label: part_value})}", ratio, rate=True),
                Series(f"{counter}{labels_of(selector, **{label: rest_value})}", 1 - ratio, rate=True)]

    return Ratio(f'sum by ({group}) (rate({counter}{{{selector},{label}=~"{part}"}}[{window}])) / '
                 f"sum by ({group}) (rate({counter}{{{selector}}}[{window}]))", inputs)


def ratio_alert(name: str, ratio: Ratio, *, threshold: float, for_: str, severity: str, summary: str,
                description: str, above: bool = True, runbook: str = "") -> Alert:
    """`ratio > threshold` (`<` with above=False), the threshold a share (0..1)."""
    return Alert(
        name=name, runbook=runbook,
        expr=f"{ratio.query} {'>' if above else '<'} $threshold",
        threshold=threshold, threshold_kind="ratio", for_=for_, severity=severity, summary=summary,
        description=description, fixture=share_fixture(ratio.inputs, above),
    )


# --- counters ----------------------------------------------------------------------------------


def counter_increase_alert(name: str, metric: str, selector: str, /, threshold: float, severity: str,
                           summary: str, description: str, window: str = "5m", for_: str = "0s", *,
                           by: Sequence[str] = (), runbook: str = "", **fixture_labels: str) -> Alert:
    """`increase(counter[window]) > threshold` (summed `by` labels when given): events that
    should stay rare. The fixture grows the counter by twice (threshold + 1) per window to
    fire, and by half the threshold to stay quiet."""
    window_seconds = duration_seconds(window)
    increase = f"increase({metric}{{{selector}}}[{window}])"
    if by:
        increase = f"sum by ({', '.join(by)}) ({increase})"

    def fixture(t: Optional[float], fire: bool) -> list[Series]:
        per_window = 2 * ((t or 0.0) + 1) if fire else (t or 0.0) / 2
        return [Series(f"{metric}{labels_of(selector, **fixture_labels)}", per_window / window_seconds, rate=True)]

    return Alert(
        name=name, runbook=runbook,
        expr=f"{increase} > $threshold",
        threshold=threshold, threshold_kind="count", for_=for_, severity=severity, summary=summary,
        description=description, fixture=fixture,
    )


# --- levels ------------------------------------------------------------------------------------


def pair(warning: Alert, *, critical: float, critical_for: Optional[str] = None, **changes: object) -> list[Alert]:
    """The warning alert and its critical variant: the same name, expression and fixture at the
    level `critical` (beyond the warning's, in the direction the alert fires), with its own
    `for` when given and any other field in `changes` (a sharper summary)."""
    if warning.severity != "warning" or warning.threshold is None:
        raise ValueError(f"alert {warning.name}: pair() takes a warning with a threshold, got severity "
                         f"{warning.severity!r} and threshold {warning.threshold!r}")
    beyond = critical > warning.threshold if warning.direction == "above" else critical < warning.threshold
    if not beyond:
        raise ValueError(f"alert {warning.name}: critical level {critical!r} must be "
                         f"{'above' if warning.direction == 'above' else 'below'} the warning's {warning.threshold!r}, "
                         "or the critical variant fires first")
    timing = {"for_": critical_for} if critical_for is not None else {}
    return [warning, warning.replace(threshold=critical, severity="critical", **timing, **changes)]


def near_limit_alerts(name: str, ratio: Ratio, service: str, what: str, limit: str, *, warning: float,
                      critical: float, for_: str) -> list[Alert]:
    """The warning/critical pair of "`what` of `service` close to `limit`" on a used-over-limit
    ratio. Warning leaves time to raise the limit or find the leak; critical means new clients
    (or writes) are about to be refused."""
    return pair(ratio_alert(
        name, ratio, threshold=warning, for_=for_, severity="warning",
        summary=f"{service} {what} above $threshold of {limit}",
        description=f"{what.capitalize()} of {service} {{{{ $labels.instance }}}} at {{{{ $value | humanizePercentage }}}}"
        f" of {limit}.",
    ), critical=critical)


def watchdog() -> Alert:
    """Always firing: a dead man's switch receiver pages when it stops arriving."""
    return Alert(
        name="Watchdog",
        expr="vector(1)",
        severity="info",
        summary="Alerting pipeline heartbeat",
        description="This alert always fires. If the dead man's switch stops receiving it, "
        "Prometheus, Alertmanager or the route between them is broken.",
        always_fires=True,
        fixture=lambda _t, _fire: [],
    )
