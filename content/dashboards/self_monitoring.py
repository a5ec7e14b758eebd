"""The monitoring stack watching itself: Prometheus (targets, ingestion, rules, TSDB,
notifications) and Alertmanager (alerts, notifications, silences), from their own scrape
jobs (`content.prometheus.platform_jobs`). "Targets" panels cover every job of the stack."""

from __future__ import annotations

from content.dashboards import thanos
from content.dashboards.board import Board, add, board
from content.dashboards.context import ORANGE, RED, Context, make_uid
from content.dashboards.panels import Query, graph, single

UID = make_uid("self")


def dashboards(ctx: Context) -> list[Board]:
    p = ctx.sel_job("prometheus")
    am = ctx.sel_job("alertmanager")
    s = ctx.sel()
    stack = ctx.stack
    rate = "[$__rate_interval]"
    b = board(ctx, "self", "Prometheus and Alertmanager", "Self-monitoring of the stack: is every target "
              "scraped, is Prometheus keeping up, and do notifications leave Alertmanager.", "platform",
              related=[(make_uid("alerts"), "Alerts overview")], tags=("self-monitoring", "prometheus", "alertmanager"))
    # With Thanos, Grafana reads Query: its answers are part of the stack's health.
    query_layer = [("Query layer (Thanos)", thanos.query_layer(ctx))] if any(
        j.name == thanos.QUERY for j in ctx.jobs) else []
    return [add(
        b,
        ("Overview", [
            single("Targets up", "Share of all the stack's targets that answered their last scrape.", "percentunit",
                   Query(f"sum(up{{{stack}}}) / count(up{{{stack}}})"), levels=[(1, "green")], base=RED),
            single("Config reloaded", "Whether Prometheus' and Alertmanager's last configuration reload "
                   "succeeded.", "bool_yes_no",
                   Query(f"min(prometheus_config_last_reload_successful{{{p}}}) * "
                         f"min(alertmanager_config_last_reload_successful{{{am}}})"), levels=[(1, "green")], base=RED),
            single("Head series", "Active series in Prometheus' head block.", "short",
                   Query(f"sum(prometheus_tsdb_head_series{{{p}}})")),
            single("Active alerts", "Alerts Alertmanager holds as active (not silenced or inhibited).", "short",
                   Query(f'sum(alertmanager_alerts{{{ctx.sel_job("alertmanager", ACTIVE)}}})')),
        ]),
        ("Scraping", [
            graph("Targets down", "Targets that did not answer their last scrape, per job.", "short",
                  Query(f"count by (job) (up{{{stack}}} == 0) or sum by (job) (up{{{stack}}} * 0)", "{{job}}"),
                  levels=[(1, RED)]),
            graph("Scrape duration", "Time each job's scrape took; near the timeout scrapes start to fail.", "s",
                  Query(f"max by (job) (scrape_duration_seconds{{{stack}}})", "{{job}}")),
        ]),
        ("Prometheus", [
            graph("Samples ingested", "Samples appended to the head per second.", "cps",
                  Query(f"sum(rate(prometheus_tsdb_head_samples_appended_total{{{p}}}{rate}))", "samples/s")),
            graph("Rule group duration", "Time of the last evaluation of each rule group, against its interval.",
                  "s", Query(f"max by (rule_group) (prometheus_rule_group_last_duration_seconds{{{p}}})",
                             "{{rule_group}}")),
            graph("Rule evaluation failures", "Failed rule evaluations per second (a broken rule never fires).",
                  "ops", Query(f"sum(rate(prometheus_rule_evaluation_failures_total{{{p}}}{rate}))", "failures"),
                  levels=[(0.001, RED)]),
            graph("Storage", "Bytes of persisted blocks against the retention size limit (retention.size).",
                  "bytes",
                  Query(f"sum(prometheus_tsdb_storage_blocks_bytes{{{p}}})", "blocks"),
                  Query(f"max(prometheus_tsdb_retention_limit_bytes{{{p}}})", "retention limit")),
            graph("Notifications to Alertmanager", "Alerts Prometheus sent, failed to send or dropped per "
                  "second.", "ops",
                  Query(f"sum(rate(prometheus_notifications_sent_total{{{p}}}{rate}))", "sent"),
                  Query(f"sum(rate(prometheus_notifications_errors_total{{{p}}}{rate}))", "errors"),
                  Query(f"sum(rate(prometheus_notifications_dropped_total{{{p}}}{rate}))", "dropped")),
            graph("Process memory", "Resident memory of Prometheus and Alertmanager.", "bytes",
                  Query(f"max by (job) (process_resident_memory_bytes{{{s}}})", "{{job}}")),
        ]),
        ("Alertmanager", [
            graph("Alerts received", "Alerts received per second, by status.", "ops",
                  Query(f"sum by (status) (rate(alertmanager_alerts_received_total{{{am}}}{rate}))", "{{status}}")),
            graph("Notifications", "Notifications sent and failed per second, by integration (slack, "
                  "pagerduty, webhook...).", "ops",
                  Query(f"sum by (integration) (rate(alertmanager_notifications_total{{{am}}}{rate}))",
                        "{{integration}} sent"),
                  Query(f"sum by (integration) (rate(alertmanager_notifications_failed_total{{{am}}}{rate}))",
                        "{{integration}} failed")),
            graph("Notification latency p99", "99th percentile of the time a notification takes, by integration.",
                  "s", Query(f"histogram_quantile(0.99, sum by (le, integration) "
                             f"(rate(alertmanager_notification_latency_seconds_bucket{{{am}}}{rate})))",
                             "{{integration}}"), levels=[(10, ORANGE)]),
            graph("Silences", "Silences by state.", "short",
                  Query(f"sum by (state) (alertmanager_silences{{{am}}})", "{{state}}")),
        ]),
        *query_layer,
    )]


ACTIVE = 'state="active"'
