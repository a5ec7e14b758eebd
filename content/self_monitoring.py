"""Alerts on the monitoring stack itself: Prometheus and Alertmanager health, and the
Watchdog that proves the whole alert path works (a dead man's switch pages when it stops)."""

from __future__ import annotations

from content.alert_factories import counter_increase_alert, gauge_alert, ratio_alert, share, target_down, watchdog
from content.cardinality import cardinality_alerts
from content.rules import Alert, RuleGroup, Series, labels_of
from content.scrape import ScrapeJob

# Default thresholds (a stack moves any of them with `alertOverrides`).
# 1% of notifications failing: a receiver that drops one alert in a hundred is already broken
# for the pages that matter; retries make a transient failure stay below it.
NOTIFICATIONS_FAILING_ABOVE = 0.01
# Prometheus retries a failed send itself, so it waits longer than Alertmanager, whose
# failures are the receivers' (a webhook, Slack) and lose notifications at once.
PROMETHEUS_NOTIFICATIONS_FOR = "15m"
ALERTMANAGER_NOTIFICATIONS_FOR = "5m"
# Rule evaluation, compaction, reload and WAL failures: any at all, none is expected.
FAILURES_ABOVE = 0
# Rule evaluation failures for a quarter of an hour: a broken rule, not one query that timed out
# while Prometheus was busy.
RULE_FAILURES_FOR = "15m"
# Fewer than one Alertmanager discovered: no alert leaves Prometheus.
ALERTMANAGERS_BELOW = 1
ALERTMANAGERS_FOR = "10m"  # longer than a rolling restart of every Alertmanager takes
# A peer missing for a quarter of an hour is lost, not restarting (the cluster re-forms in
# under a minute).
MEMBERS_MISSING_FOR = "15m"
# A failed reload leaves the old configuration running: ten minutes rule out one being retried
# while a file is still being written.
RELOAD_FAILED_FOR = "10m"
# TSDB compactions and reloads run every two hours: a three-hour window always holds one.
TSDB_FAILURES_WINDOW = "3h"


def _reload_failed(component: str, metric: str, selector: str) -> Alert:
    return Alert(
        name=f"{component}ConfigReloadFailed",
        expr=f"max_over_time({metric}{{{selector}}}[5m]) == 0",
        for_=RELOAD_FAILED_FOR, severity="warning",
        summary=f"{component} configuration reload failed",
        description=f"{component} {{{{ $labels.instance }}}} is running an old configuration: the last reload failed.",
        fixture=lambda _t, fire: [Series(f"{metric}{labels_of(selector)}", 0 if fire else 1)],
    )


def _notifications_failing(name: str, failed: str, total: str, selector: str, for_: str, summary: str,
                           description: str) -> Alert:
    """Failed notifications among all sent, both counters, over 5 minutes: an alert path that loses alerts."""
    return ratio_alert(name, share(failed, total, selector, window="5m"), threshold=NOTIFICATIONS_FAILING_ABOVE,
                       for_=for_, severity="critical", summary=summary, description=description)


def prometheus_alerts(job: ScrapeJob) -> list[Alert]:
    sel = job.selector
    return [
        target_down(job.name, sel, "Prometheus"),
        _reload_failed("Prometheus", "prometheus_config_last_reload_successful", sel),
        counter_increase_alert(
            "PrometheusRuleEvaluationFailures", "prometheus_rule_evaluation_failures_total", sel, FAILURES_ABOVE, "critical",
            "Prometheus fails to evaluate rules",
            "{{ $value | humanize }} rule evaluations failed on {{ $labels.instance }} in 5 minutes: alerts may be missed.",
            window="5m", for_=RULE_FAILURES_FOR,
        ),
        _notifications_failing(
            "PrometheusNotificationsFailing", "prometheus_notifications_errors_total",
            "prometheus_notifications_sent_total", sel, PROMETHEUS_NOTIFICATIONS_FOR,
            "Prometheus fails to send alerts to Alertmanager",
            "{{ $value | humanizePercentage }} of notifications from {{ $labels.instance }} to "
            "{{ $labels.alertmanager }} fail.",
        ),
        gauge_alert(
            "PrometheusNotConnectedToAlertmanagers", "prometheus_notifications_alertmanagers_discovered", sel,
            around="max_over_time({}[5m])", above=False, threshold=ALERTMANAGERS_BELOW, threshold_kind="count",
            for_=ALERTMANAGERS_FOR, severity="warning",
            summary="Prometheus reaches no Alertmanager",
            description="{{ $labels.instance }} has discovered no Alertmanager: no alert leaves Prometheus.",
        ),
        counter_increase_alert(
            "PrometheusTsdbCompactionsFailing", "prometheus_tsdb_compactions_failed_total", sel, FAILURES_ABOVE, "warning",
            "Prometheus TSDB compactions fail",
            "{{ $value | humanize }} compactions failed on {{ $labels.instance }} in 3 hours: disk use will grow.",
            window=TSDB_FAILURES_WINDOW,
        ),
        counter_increase_alert(
            "PrometheusTsdbReloadsFailing", "prometheus_tsdb_reloads_failures_total", sel, FAILURES_ABOVE, "warning",
            "Prometheus TSDB reloads fail",
            "{{ $value | humanize }} block reloads failed on {{ $labels.instance }} in 3 hours.",
            window=TSDB_FAILURES_WINDOW,
        ),
        counter_increase_alert(
            "PrometheusTsdbWalCorruptions", "prometheus_tsdb_wal_corruptions_total", sel, FAILURES_ABOVE, "critical",
            "Prometheus write-ahead log is corrupted",
            "{{ $value | humanize }} WAL corruptions on {{ $labels.instance }} in 3 hours: recent samples may be lost.",
            window=TSDB_FAILURES_WINDOW,
        ),
    ]


def alertmanager_alerts(job: ScrapeJob, replicas: int) -> list[Alert]:
    sel = job.selector
    return [
        target_down(job.name, sel, "Alertmanager"),
        _reload_failed("Alertmanager", "alertmanager_config_last_reload_successful", sel),
        _notifications_failing(
            "AlertmanagerNotificationsFailing", "alertmanager_notifications_failed_total",
            "alertmanager_notifications_total", sel, ALERTMANAGER_NOTIFICATIONS_FOR,
            "Alertmanager fails to deliver notifications",
            "{{ $value | humanizePercentage }} of {{ $labels.integration }} notifications from "
            "{{ $labels.instance }} fail.",
        ),
        # Every peer should see all `replicas` (the topology's count): fewer is a lost peer.
        gauge_alert(
            "AlertmanagerClusterMembersMissing", "alertmanager_cluster_members", sel, above=False,
            threshold=replicas, threshold_kind="count", for_=MEMBERS_MISSING_FOR, severity="warning",
            summary="Alertmanager cluster is missing members",
            description="{{ $labels.instance }} sees {{ $value }} cluster members, fewer than $threshold: "
            "notifications may be duplicated or lost.",
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
