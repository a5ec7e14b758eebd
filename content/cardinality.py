"""Alerts that guard Prometheus against a cardinality explosion: a job refused for crossing one
of its scrape limits (`prometheus.scrapeLimits` / `jobLimits`), a job nearing its sample limit,
and a job whose series grow abnormally fast. One bad label on a target (a user id, a request
path) multiplies its series; these name the job, and docs/runbooks/cardinality.md shows how to
find the label.

The per-job alerts read the series every scrape writes beside `up` (`scrape_samples_*`,
`scrape_series_added`) and those `extra_scrape_metrics` adds (`scrape_sample_limit`,
`scrape_body_size_bytes`, -1 when the body limit refused the scrape); the label and target
limits are only counted Prometheus-wide, so those alerts point to the targets page instead.
"""

from __future__ import annotations

from typing import Optional

from content.alert_factories import counter_increase_alert, share_fixture
from content.rules import Alert, Series, labels_of
from content.scrape import ScrapeJob

RUNBOOK = "cardinality"
# Fixture series of an arbitrary scraped job: the per-job alerts hold for any job.
_TARGET = 'job="some-app"'

# Default thresholds (a stack moves any of them with `alertOverrides`).
# 80% of the sample limit: one more label value on a busy metric can take a job past it.
NEAR_SAMPLE_LIMIT_ABOVE = 0.8
NEAR_SAMPLE_LIMIT_FOR = "15m"  # a level the job holds, not one scrape of a busy moment
# New series in 15 minutes above half the job's size: far beyond the churn of a rollout (which
# renews a target's series once), the mark of a label taking unbounded values.
SERIES_GROWTH_ABOVE = 0.5
# One restart renews a target's series once, which the 15-minute window forgets before 30
# minutes elapse; an unbounded label keeps adding them.
SERIES_GROWTH_FOR = "30m"
# Any scrape refused over a label or target limit: the job silently loses those targets.
POOL_LIMIT_REFUSALS_ABOVE = 0


def _per_target(metric: str, value: float) -> Series:
    return Series(f"{metric}{labels_of(_TARGET)}", value)


def sample_limit_hit() -> Alert:
    """The scrape of a target was refused whole: it brought more samples than its job's limit."""

    def fixture(_t: Optional[float], fire: bool) -> list[Series]:
        return [_per_target("up", 0 if fire else 1), _per_target("scrape_sample_limit", 1000),
                _per_target("scrape_samples_scraped", 2000 if fire else 500)]

    # A refused scrape still reports how many samples it brought (scrape_samples_scraped); `up == 0`
    # keeps out a target whose metric relabelling drops enough to pass.
    return Alert(
        name="ScrapeSampleLimitHit", runbook=RUNBOOK, severity="warning", for_="0s",
        expr="max by (job, instance) (scrape_samples_scraped "
             "> on (job, instance) (scrape_sample_limit > 0) and on (job, instance) up == 0)",
        summary="A target is refused: over its job's sample limit",
        description="{{ $labels.instance }} of job {{ $labels.job }} exposes {{ $value }} samples, more than the "
                    "job's sampleLimit: Prometheus drops every scrape of it, so the job has no data.",
        fixture=fixture,
    )


def near_sample_limit() -> Alert:
    def inputs(share: float) -> list[Series]:
        return [_per_target("scrape_sample_limit", 1000), _per_target("scrape_samples_post_metric_relabeling", share * 1000)]

    return Alert(
        name="ScrapeJobNearSampleLimit", runbook=RUNBOOK, severity="warning", for_=NEAR_SAMPLE_LIMIT_FOR,
        threshold=NEAR_SAMPLE_LIMIT_ABOVE, threshold_kind="ratio",
        expr="max by (job) (scrape_samples_post_metric_relabeling / on (job, instance) (scrape_sample_limit > 0)) "
             "> $threshold",
        summary="A job nears its sample limit",
        description="A target of job {{ $labels.job }} brings {{ $value | humanizePercentage }} of its sampleLimit: "
                    "past the limit its scrapes are refused.",
        fixture=share_fixture(inputs),
    )


def body_size_limit_hit() -> Alert:
    return Alert(
        name="ScrapeBodySizeLimitHit", runbook=RUNBOOK, severity="warning", for_="0s",
        expr="max by (job, instance) (scrape_body_size_bytes == -1)",
        summary="A target is refused: its response is over the body size limit",
        description="{{ $labels.instance }} of job {{ $labels.job }} answers with more than the job's bodySizeLimit: "
                    "its scrapes are refused.",
        fixture=lambda _t, fire: [_per_target("scrape_body_size_bytes", -1 if fire else 20000)],
    )


def series_growing_fast() -> Alert:
    """New series per job over 15 minutes against the job's size: a label taking unbounded values
    keeps adding series scrape after scrape. One restart renews a target's series once, which the
    15-minute window forgets before `for` (30m) elapses; small jobs stay below the floor."""
    floor = 1000

    def fixture(threshold: Optional[float], fire: bool) -> list[Series]:
        t, size = threshold or 0.0, 10000
        per_minute = max(2 * t * size, 2 * floor) / 15 if fire else min(t * size, floor) / 30
        return [_per_target("scrape_samples_post_metric_relabeling", size),
                _per_target("scrape_series_added", per_minute)]

    added = "sum by (job) (sum_over_time(scrape_series_added[15m]))"
    return Alert(
        name="JobSeriesGrowingFast", runbook=RUNBOOK, severity="warning", for_=SERIES_GROWTH_FOR,
        threshold=SERIES_GROWTH_ABOVE, threshold_kind="ratio",
        expr=f"{added} > $threshold * sum by (job) (scrape_samples_post_metric_relabeling) and {added} > {floor}",
        summary="A job's series grow abnormally fast",
        description="Job {{ $labels.job }} created {{ $value | humanize }} new series in 15 minutes, more than "
                    "$threshold of its size, for 30 minutes: a label probably takes unbounded values.",
        fixture=fixture,
    )


def _pool_limit_hit(name: str, counter: str, limit: str, selector: str) -> Alert:
    """A limit Prometheus counts only as a whole (no job label on the counter)."""
    return counter_increase_alert(
        name, counter, selector, POOL_LIMIT_REFUSALS_ABOVE, "warning",
        f"A scrape job is over its {limit}",
        f"{{{{ $labels.instance }}}} refused {{{{ $value | humanize }}}} scrapes over a job's {limit} in "
        "5 minutes: the targets page (/api/v1/targets, lastError) names the job.",
        runbook=RUNBOOK,
    )


def cardinality_alerts(prometheus_job: ScrapeJob) -> list[Alert]:
    sel = prometheus_job.selector
    return [
        sample_limit_hit(),
        near_sample_limit(),
        body_size_limit_hit(),
        _pool_limit_hit("ScrapeLabelLimitHit", "prometheus_target_scrape_pool_exceeded_label_limits_total",
                        "labelLimit, labelNameLengthLimit or labelValueLengthLimit", sel),
        _pool_limit_hit("ScrapeTargetLimitHit", "prometheus_target_scrape_pool_exceeded_target_limit_total",
                        "targetLimit", sel),
        series_growing_fast(),
    ]
