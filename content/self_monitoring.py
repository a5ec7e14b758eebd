"""Alerts on the monitoring stack itself: Prometheus and Alertmanager health, and the
Watchdog that proves the whole alert path works (a dead man's switch pages when it stops)."""

from __future__ import annotations

from content.cardinality import cardinality_alerts
from content.rules import Alert, RuleGroup, Series, gauge_fixture, labels_of, target_down, watchdog
from content.scrape import ScrapeJob


def _reload_failed(component: str, metric: str, selector: str) -> Alert:
    return Alert(
        name=f"{component}ConfigReloadFailed",
        expr=f"max_over_time({metric}{{{selector}}}[5m]) == 0",
        for_="10m", severity="warning",
        summary=f"{component} configuration reload failed",
        description=f"{component} {{{{ $labels.instance }}}} is running an old configuration: the last reload failed.",
        fixture=lambda _t, fire: [Series(f"{metric}{labels_of(selector)}", 0 if fire else 1)],
    )


def _increase_alert(name: str, metric: str, selector: str, window: str, for_: str, severity: str,
                    summary: str, description: str) -> Alert:
    """`increase(counter[window]) > 0`: something that should never happen, happened."""
    return Alert(
        name=name,
        expr=f"increase({metric}{{{selector}}}[{window}]) > $threshold",
        threshold=0, threshold_kind="count", for_=for_, severity=severity, summary=summary, description=description,
        fixture=lambda _t, fire: [Series(f"{metric}{labels_of(selector)}", 0.05 if fire else 0, rate=True)],
    )


def _ratio_alert(name: str, failed: str, total: str, selector: str, for_: str, severity: str,
                 summary: str, description: str) -> Alert:
    def fixture(threshold: float | None, fire: bool) -> list[Series]:
        t = threshold or 0.0
        return [Series(f"{total}{labels_of(selector)}", 1.0, rate=True),
                Series(f"{failed}{labels_of(selector)}", t * 2 if fire else t / 2, rate=True)]

    return Alert(
        name=name,
        expr=f"rate({failed}{{{selector}}}[5m]) / rate({total}{{{selector}}}[5m]) > $threshold",
        threshold=0.01, threshold_kind="ratio", for_=for_, severity=severity, summary=summary, description=description,
        fixture=fixture,
    )


def prometheus_alerts(job: ScrapeJob) -> list[Alert]:
    sel = job.selector
    return [
        target_down(job.name, sel, "Prometheus"),
        _reload_failed("Prometheus", "prometheus_config_last_reload_successful", sel),
        _increase_alert(
            "PrometheusRuleEvaluationFailures", "prometheus_rule_evaluation_failures_total", sel, "5m", "15m", "critical",
            "Prometheus fails to evaluate rules",
            "{{ $value | humanize }} rule evaluations failed on {{ $labels.instance }} in 5 minutes: alerts may be missed.",
        ),
        _ratio_alert(
            "PrometheusNotificationsFailing", "prometheus_notifications_errors_total", "prometheus_notifications_sent_total",
            sel, "15m", "critical", "Prometheus fails to send alerts to Alertmanager",
            "{{ $value | humanizePercentage }} of notifications from {{ $labels.instance }} to "
            "{{ $labels.alertmanager }} fail.",
        ),
        Alert(
            name="PrometheusNotConnectedToAlertmanagers",
            expr=f"max_over_time(prometheus_notifications_alertmanagers_discovered{{{sel}}}[5m]) < $threshold",
            threshold=1, threshold_kind="count", for_="10m", severity="warning",
            summary="Prometheus reaches no Alertmanager",
            description="{{ $labels.instance }} has discovered no Alertmanager: no alert leaves Prometheus.",
            fixture=gauge_fixture("prometheus_notifications_alertmanagers_discovered", sel, above=False),
        ),
        _increase_alert(
            "PrometheusTsdbCompactionsFailing", "prometheus_tsdb_compactions_failed_total", sel, "3h", "0s", "warning",
            "Prometheus TSDB compactions fail",
            "{{ $value | humanize }} compactions failed on {{ $labels.instance }} in 3 hours: disk use will grow.",
        ),
        _increase_alert(
            "PrometheusTsdbReloadsFailing", "prometheus_tsdb_reloads_failures_total", sel, "3h", "0s", "warning",
            "Prometheus TSDB reloads fail",
            "{{ $value | humanize }} block reloads failed on {{ $labels.instance }} in 3 hours.",
        ),
        _increase_alert(
            "PrometheusTsdbWalCorruptions", "prometheus_tsdb_wal_corruptions_total", sel, "3h", "0s", "critical",
            "Prometheus write-ahead log is corrupted",
            "{{ $value | humanize }} WAL corruptions on {{ $labels.instance }} in 3 hours: recent samples may be lost.",
        ),
    ]


def alertmanager_alerts(job: ScrapeJob, replicas: int) -> list[Alert]:
    sel = job.selector
    return [
        target_down(job.name, sel, "Alertmanager"),
        _reload_failed("Alertmanager", "alertmanager_config_last_reload_successful", sel),
        _ratio_alert(
            "AlertmanagerNotificationsFailing", "alertmanager_notifications_failed_total", "alertmanager_notifications_total",
            sel, "5m", "critical", "Alertmanager fails to deliver notifications",
            "{{ $value | humanizePercentage }} of {{ $labels.integration }} notifications from "
            "{{ $labels.instance }} fail.",
        ),
        Alert(
            name="AlertmanagerClusterMembersMissing",
            expr=f"alertmanager_cluster_members{{{sel}}} < $threshold",
            threshold=replicas, threshold_kind="count", for_="15m", severity="warning",
            summary="Alertmanager cluster is missing members",
            description="{{ $labels.instance }} sees {{ $value }} cluster members, fewer than $threshold: "
            "notifications may be duplicated or lost.",
            fixture=gauge_fixture("alertmanager_cluster_members", sel, above=False),
        ),
    ]


def rule_groups(platform_jobs: list[ScrapeJob], alertmanager_replicas: int) -> list[RuleGroup]:
    """The self-monitoring rules. `alertmanager_replicas` is how many peers the topology runs
    (`Topology.replicas`): each one should see them all, so fewer is a lost peer."""
    jobs = {job.name: job for job in platform_jobs}
    return [
        RuleGroup(name="watchdog", rules=(watchdog(),), layer="infrastructure"),
        RuleGroup(name="prometheus", rules=tuple(prometheus_alerts(jobs["prometheus"])), layer="infrastructure"),
        RuleGroup(name="alertmanager", rules=tuple(alertmanager_alerts(jobs["alertmanager"], alertmanager_replicas)),
                  layer="infrastructure"),
        RuleGroup(name="cardinality", rules=tuple(cardinality_alerts(jobs["prometheus"])), layer="infrastructure"),
    ]
