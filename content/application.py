"""The stack's own applications: a scrape job each, recording rules for the expressions
dashboards and alerts share, and business alerts at the thresholds and `for` durations of
the stack (the seed's third alert layer), plus any custom rules the stack adds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Optional

from config.applications import Application, CustomAlert, ErrorRatioAlerts, LatencyAlerts, Levels, Threshold
from content.alert_factories import histogram_fixture, target_down
from content.rules import Alert, Recording, RuleGroup, Series, alert_prefix, labels_of
from content.scrape import ScrapeJob

# Quantiles recorded for every latency histogram (dashboards plot all three).
RECORDED_QUANTILES = (0.5, 0.95, 0.99)
# Job-level series keep the stack's labels, so dashboards filter them like any other series.
JOB_LEVEL = "job, environment, cluster"
# The stack's own application pages sooner than an exporter's target (2m): its users notice
# a minute of it, and its deploys replace targets one at a time.
APPLICATION_DOWN_FOR = "1m"


def scrape_job(app: Application) -> ScrapeJob:
    return ScrapeJob(
        name=app.name,
        targets=tuple(app.targets),
        metrics_path=app.metrics_path,
        scheme=app.scheme,
        interval=app.scrape_interval,
        timeout=app.scrape_timeout,
        # Application frameworks often serve metrics as text/html or with no Content-Type at all.
        fallback_protocol="PrometheusText0.0.4",
    )


def quantile_record(latency: LatencyAlerts, quantile: float) -> str:
    """Name of the recorded quantile: `job:<histogram>:p95_rate5m` (level:metric:operations)."""
    return f"job:{latency.histogram}:p{quantile * 100:g}_rate{latency.window}".replace(".", "_")


def error_ratio_record(errors: ErrorRatioAlerts) -> str:
    return f"job:{errors.histogram}:error_ratio_rate{errors.window}"


def recording_rules(app: Application, job: ScrapeJob) -> list[Recording]:
    sel, out = job.selector, []
    if app.latency:
        lat = app.latency
        for quantile in sorted(set(RECORDED_QUANTILES) | {lat.quantile}):
            out.append(Recording(
                quantile_record(lat, quantile),
                f"histogram_quantile({quantile:g}, sum by ({JOB_LEVEL}, le) "
                f"(rate({lat.histogram}_bucket{{{sel}}}[{lat.window}])))",
            ))
    if app.errors:
        err = app.errors
        out.append(Recording(
            error_ratio_record(err),
            f'sum by ({JOB_LEVEL}) (rate({err.histogram}_count{{{sel},{err.status_label}="{err.error_value}"}}[{err.window}]))'
            f" / sum by ({JOB_LEVEL}) (rate({err.histogram}_count{{{sel}}}[{err.window}]))",
        ))
    return out


def _leveled(levels: Levels, make: Callable[[str, Threshold], Alert]) -> list[Alert]:
    """One alert per configured level; the warning and critical variants share a name, as
    the mixins write them, and are told apart by `severity`."""
    variants: tuple[tuple[str, Optional[Threshold]], ...] = (("warning", levels.warning), ("critical", levels.critical))
    return [make(severity, threshold) for severity, threshold in variants if threshold is not None]


def _error_fixture(err: ErrorRatioAlerts, sel: str) -> Callable[[Optional[float], bool], list[Series]]:
    def fixture(threshold: Optional[float], fire: bool) -> list[Series]:
        t = threshold or 0.1
        failing = 3 * t if fire else t / 2  # ratio 3t/(1+3t) > t for any t < 2/3; t/2/(1+t/2) < t
        return [Series(f"{err.histogram}_count{labels_of(sel, **{err.status_label: 'ok'})}", 1.0, rate=True),
                Series(f"{err.histogram}_count{labels_of(sel, **{err.status_label: err.error_value})}", failing, rate=True)]

    return fixture


def custom_alert(app: Application, rule: CustomAlert, sel: str) -> Alert:
    """A stack's own rule; `$selector` becomes the application's job selector."""

    def fixture(_t: Optional[float], fire: bool) -> list[Series]:
        return [Series(s.series, s.value, rate=s.rate) for s in (rule.fire if fire else rule.quiet)]

    return Alert(
        name=rule.alert, expr=rule.expr.replace("$selector", sel), for_=rule.for_, severity=rule.severity,
        summary=rule.summary, description=rule.description, runbook=rule.runbook_url or "application-custom-rule",
        fixture=fixture,
    )


def alerts(app: Application, job: ScrapeJob) -> list[Alert]:
    sel = job.selector
    prefix = alert_prefix(app.name)
    out: list[Alert] = [target_down(app.name, sel, app.name, for_=APPLICATION_DOWN_FOR, runbook="application-down")]
    if app.queue:
        q = app.queue
        metric_sel = ",".join(s for s in (sel, q.selector) if s)
        out += _leveled(q, lambda sev, t: Alert(
            name=f"{prefix}QueueDepthHigh", runbook="application-queue-depth-high",
            expr=f"max by (job, instance) ({q.metric}{{{metric_sel}}}) > $threshold",
            threshold=t.above, threshold_kind=q.THRESHOLD_KIND, for_=t.for_, severity=sev,
            summary=f"{app.name} queue depth above $threshold",
            description="Queue depth on {{ $labels.instance }} is {{ $value }}"
            f" (threshold $threshold for {t.for_}).",
            fixture=lambda threshold, fire: [Series(
                f"{q.metric}{{{metric_sel},instance=\"app:8000\"}}",
                (threshold or 0) + 5 if fire else (threshold or 0) - 1)],
        ))
    if app.latency:
        lat = app.latency
        pct = f"p{lat.quantile * 100:g}"
        out += _leveled(lat, lambda sev, t: Alert(
            name=f"{prefix}JobLatencyHigh", runbook="application-job-latency-high",
            expr=f"{quantile_record(lat, lat.quantile)}{{{sel}}} > $threshold",
            threshold=t.above, threshold_kind=lat.THRESHOLD_KIND, for_=t.for_, severity=sev,
            summary=f"{app.name} job {pct} latency above $threshold s",
            description=f"{pct} job latency is {{{{ $value | humanizeDuration }}}} (threshold $threshold s for {t.for_}).",
            fixture=histogram_fixture(lat.histogram, sel),
        ))
    if app.errors:
        err = app.errors
        out += _leveled(err, lambda sev, t: Alert(
            name=f"{prefix}JobErrorRatioHigh", runbook="application-job-error-ratio-high",
            expr=f"{error_ratio_record(err)}{{{sel}}} > $threshold",
            threshold=t.above, threshold_kind=err.THRESHOLD_KIND, for_=t.for_, severity=sev,
            summary=f"{app.name} job error ratio above $threshold",
            description=f"{{{{ $value | humanizePercentage }}}} of jobs fail (threshold $threshold for {t.for_}).",
            fixture=_error_fixture(err, sel),
        ))
    out += [custom_alert(app, rule, sel) for rule in app.rules]
    # Aggregations drop target labels, so the labels routes match on are set on the rules.
    own = {"service": app.name, **app.labels}
    return [a.replace(labels=tuple(sorted({**own, **dict(a.labels)}.items()))) for a in out]


def rule_groups(app: Application) -> list[RuleGroup]:
    job = scrape_job(app)
    groups = []
    records = recording_rules(app, job)
    if records:
        groups.append(RuleGroup(name=f"{app.name}-recording", rules=tuple(records), layer="business"))
    groups.append(RuleGroup(name=app.name, rules=tuple(alerts(app, job)), layer="business"))
    return groups
