"""The stack's own applications: a scrape job each, and their business alerts at the
thresholds and `for` durations of the stack (the seed's third alert layer)."""

from __future__ import annotations

from config.settings import Application, Levels, Threshold
from content.rules import Alert, RuleGroup, alert_prefix, target_down
from content.scrape import ScrapeJob


def scrape_job(app: Application) -> ScrapeJob:
    return ScrapeJob(
        name=app.name,
        targets=tuple(app.targets),
        metrics_path=app.metrics_path,
        scheme=app.scheme,
        interval=app.scrape_interval,
        timeout=app.scrape_timeout,
    )


def _leveled(levels: Levels, make) -> list[Alert]:
    """One alert per configured level; the warning and critical variants share a name, as
    the mixins write them, and are told apart by `severity`."""
    out = []
    for severity in ("warning", "critical"):
        threshold: Threshold | None = getattr(levels, severity)
        if threshold is not None:
            out.append(make(severity, threshold))
    return out


def alerts(app: Application, job: ScrapeJob) -> list[Alert]:
    sel = job.selector
    prefix = alert_prefix(app.name)
    out: list[Alert] = [target_down(app.name, sel, app.name, for_="1m", runbook="application-down")]
    if app.queue:
        q = app.queue
        metric_sel = ",".join(s for s in (sel, q.selector) if s)
        out += _leveled(q, lambda sev, t: Alert(
            name=f"{prefix}QueueDepthHigh", runbook="application-queue-depth-high",
            expr=f"max by (instance) ({q.metric}{{{metric_sel}}}) > {t.above:g}",
            for_=t.for_, severity=sev,
            summary=f"{app.name} queue depth above {t.above:g}",
            description="Queue depth on {{ $labels.instance }} is {{ $value }}"
            f" (threshold {t.above:g} for {t.for_}).",
        ))
    if app.latency:
        lat = app.latency
        pct = f"p{round(lat.quantile * 100):d}"
        expr = (f"histogram_quantile({lat.quantile:g}, sum by (le) "
                f"(rate({lat.histogram}_bucket{{{sel}}}[{lat.window}])))")
        out += _leveled(lat, lambda sev, t: Alert(
            name=f"{prefix}JobLatencyHigh", runbook="application-job-latency-high",
            expr=f"{expr} > {t.above:g}",
            for_=t.for_, severity=sev,
            summary=f"{app.name} job {pct} latency above {t.above:g}s",
            description=f"{pct} job latency is {{{{ $value | humanizeDuration }}}} (threshold {t.above:g}s for {t.for_}).",
        ))
    if app.errors:
        err = app.errors
        errors = f'sum(rate({err.histogram}_count{{{sel},{err.status_label}="{err.error_value}"}}[{err.window}]))'
        total = f"sum(rate({err.histogram}_count{{{sel}}}[{err.window}]))"
        out += _leveled(err, lambda sev, t: Alert(
            name=f"{prefix}JobErrorRatioHigh", runbook="application-job-error-ratio-high",
            expr=f"{errors} / {total} > {t.above:g}",
            for_=t.for_, severity=sev,
            summary=f"{app.name} job error ratio above {t.above:.0%}",
            description=f"{{{{ $value | humanizePercentage }}}} of jobs fail (threshold {t.above:.0%} for {t.for_}).",
        ))
    return out


def rule_groups(app: Application) -> list[RuleGroup]:
    job = scrape_job(app)
    return [RuleGroup(name=app.name, rules=tuple(alerts(app, job)), layer="business")]
