"""Alerts on the Thanos layer, from the Thanos components' own scrape jobs (content/thanos.py).

Written for this stack rather than copied from the thanos mixin: the mixin's families (sidecar,
compactor, query, store) with our thresholds as data, each alert with its fixture, so promtool
proves it fires and stays quiet (harness/promtool_cases.py). Every alert takes its selector from
its job, so rules and scrape config cannot drift.
"""

from __future__ import annotations

from typing import Optional

from config.units import duration_seconds
from content.alert_factories import (
    counter_increase_alert,
    flag_alert,
    histogram_fixture,
    labelled_share,
    ratio_alert,
    target_down,
)
from content.rules import Alert, RuleGroup, Series, labels_of
from content.scrape import ScrapeJob
from content.thanos import COMPACTOR, QUERY, SIDECAR, STORE, upload_window

# gRPC codes that mean the server failed, not the client (the mixin's set).
GRPC_SERVER_ERRORS = "Unknown|ResourceExhausted|Internal|Unavailable|DataLoss|DeadlineExceeded"

# Default thresholds (a stack moves any of them with `alertOverrides`).
# 5% of requests failing, for five minutes: beyond the odd timeout of a busy query, and what
# users see as broken panels.
ERRORS_ABOVE = 0.05
ERRORS_FOR = "5m"
# p99 of a query over 30 s: Grafana's default data source timeout, so panels start to fail.
QUERY_LATENCY_ABOVE = 30
# p99 of a store gateway's Series call over 5 s: a query over old data spends most of its
# time waiting for it.
STORE_LATENCY_ABOVE = 5
# Slow for ten minutes: longer than one heavy dashboard's burst of queries.
LATENCY_FOR = "10m"
# Any failed bucket operation or sync: a healthy bucket fails none, and each failure delays a
# block's upload or its being served.
BUCKET_FAILURES_ABOVE = 0
BUCKET_FAILURES_FOR = "5m"  # still failing after five minutes: the bucket, not one retried request
# A sidecar without its Prometheus, or a halted compactor, for five minutes: longer than a
# Prometheus restart (WAL replay) takes on this stack's sizes.
STATE_FOR = "5m"
# Not one block uploaded in two block durations (see `no_upload`).
UPLOADS_BELOW = 1


def _error_ratio(name: str, counter: str, sel: str, label: str, errors: str, error_value: str, ok_value: str,
                 severity: str, summary: str, description: str) -> Alert:
    """Share of requests answered with an error (`label=~errors`) among all of one counter."""
    return ratio_alert(name, labelled_share(counter, sel, label, errors, part_value=error_value, rest_value=ok_value),
                       threshold=ERRORS_ABOVE, for_=ERRORS_FOR, severity=severity, summary=summary, description=description)


def _latency(name: str, histogram: str, sel: str, matchers: dict[str, str], threshold: float, summary: str,
             description: str) -> Alert:
    """p99 of a latency histogram over `threshold` seconds."""
    extra = "".join(f',{k}=~"{v}"' for k, v in matchers.items())
    plain = {k: v.split("|")[0] for k, v in matchers.items()}
    return Alert(
        name=name,
        expr=f"histogram_quantile(0.99, sum by (job, instance, le) (rate({histogram}_bucket{{{sel}{extra}}}[5m]))) "
             "> $threshold",
        threshold=threshold, threshold_kind="seconds", for_=LATENCY_FOR, severity="warning", summary=summary,
        description=description, fixture=histogram_fixture(histogram, sel, **plain))


def no_upload(sel: str, block_duration: str) -> Alert:
    """No block shipped for two block durations, by a sidecar that has run at least that long
    (a fresh one uploads its first block only after one and a half)."""
    window = upload_window(block_duration)
    seconds = int(duration_seconds(window))

    def fixture(_t: Optional[float], fire: bool) -> list[Series]:
        # Started before the window (a negative start time: the test's clock begins at 0).
        return [Series(f"thanos_shipper_uploads_total{labels_of(sel)}", 0 if fire else 0.01, rate=True),
                Series(f"process_start_time_seconds{labels_of(sel)}", -2 * seconds)]

    return Alert(
        name="ThanosSidecarNoUpload",
        expr=f"sum by (job, instance) (increase(thanos_shipper_uploads_total{{{sel}}}[{window}])) < $threshold "
             f"and on (job, instance) (time() - process_start_time_seconds{{{sel}}} > {seconds})",
        threshold=UPLOADS_BELOW, threshold_kind="count", severity="critical",
        summary="Thanos sidecar has uploaded no block",
        description=f"{{{{ $labels.instance }}}} shipped no block to the bucket in {window} (two block durations): "
                    "the replica's recent data exists only on its disk.",
        fixture=fixture)


def rule_groups(jobs: list[ScrapeJob], block_duration: str) -> list[RuleGroup]:
    by_name = {job.name: job for job in jobs}
    sidecar, store, compactor, query = (by_name[n].selector for n in (SIDECAR, STORE, COMPACTOR, QUERY))
    down = [target_down(job.name, job.selector, title, runbook="thanos-down") for job, title in (
        (by_name[SIDECAR], "Thanos sidecar"), (by_name[STORE], "Thanos store gateway"),
        (by_name[COMPACTOR], "Thanos compactor"), (by_name[QUERY], "Thanos Query"))]
    return [
        RuleGroup(name="thanos-sidecar", layer="infrastructure", rules=(
            down[0],
            flag_alert("ThanosSidecarPrometheusUnreachable", "thanos_sidecar_prometheus_up", sidecar, STATE_FOR, "critical",
                       "Thanos sidecar cannot reach its Prometheus",
                       "{{ $labels.instance }} cannot read its Prometheus' API: Query misses that replica's recent "
                       "data and no block is uploaded."),
            counter_increase_alert(
                "ThanosSidecarBucketOperationsFailing", "thanos_objstore_bucket_operation_failures_total", sidecar,
                BUCKET_FAILURES_ABOVE, "critical", "Thanos sidecar cannot write to the bucket",
                "{{ $value | humanize }} bucket operations of {{ $labels.instance }} failed in 5 minutes: "
                "blocks stay on the replica's disk until the bucket takes them.",
                window="5m", for_=BUCKET_FAILURES_FOR, by=("job", "instance")),
            no_upload(sidecar, block_duration),
        )),
        RuleGroup(name="thanos-compactor", layer="infrastructure", rules=(
            down[2],
            flag_alert("ThanosCompactorHalted", "thanos_compact_halted", compactor, STATE_FOR, "warning",
                       "Thanos compactor has halted",
                       "{{ $labels.instance }} met an error it will not retry (overlapping blocks, a corrupt "
                       "block): no compaction, downsampling or retention until someone acts; the bucket grows.",
                       bad=1),
        )),
        RuleGroup(name="thanos-query", layer="infrastructure", rules=(
            down[3],
            _error_ratio("ThanosQueryHttpErrors", "http_requests_total", query, "code", "5..", "503", "200",
                         "critical", "Thanos Query answers with errors",
                         "{{ $value | humanizePercentage }} of requests to {{ $labels.instance }} fail: "
                         "dashboards show errors or gaps."),
            _latency("ThanosQueryLatencyHigh", "http_request_duration_seconds", query,
                     {"handler": "query|query_range"}, QUERY_LATENCY_ABOVE, "Thanos Query is slow",
                     "99% of queries to {{ $labels.instance }} take up to {{ $value | humanizeDuration }}: "
                     "dashboards time out."),
            _error_ratio("ThanosQueryStoreApiErrors", "grpc_client_handled_total", query, "grpc_code",
                         GRPC_SERVER_ERRORS, "Unavailable", "OK", "warning",
                         "Thanos Query fails to read some stores",
                         "{{ $value | humanizePercentage }} of {{ $labels.instance }}'s StoreAPI calls to sidecars "
                         "and store gateways fail: answers may be partial."),
        )),
        RuleGroup(name="thanos-store", layer="infrastructure", rules=(
            down[1],
            _error_ratio("ThanosStoreGrpcErrors", "grpc_server_handled_total", store, "grpc_code",
                         GRPC_SERVER_ERRORS, "Internal", "OK", "warning",
                         "Thanos store gateway fails StoreAPI calls",
                         "{{ $value | humanizePercentage }} of StoreAPI calls to {{ $labels.instance }} fail: "
                         "older data is missing from queries."),
            _latency("ThanosStoreSeriesLatencyHigh", "grpc_server_handling_seconds", store,
                     {"grpc_type": "server_stream"}, STORE_LATENCY_ABOVE, "Thanos store gateway is slow",
                     "99% of StoreAPI calls to {{ $labels.instance }} take up to {{ $value | humanizeDuration }}: "
                     "queries over older data are slow."),
            counter_increase_alert(
                "ThanosStoreBucketSyncFailing", "thanos_blocks_meta_sync_failures_total", store, BUCKET_FAILURES_ABOVE, "warning",
                "Thanos store gateway cannot sync the bucket",
                "{{ $labels.instance }} failed {{ $value | humanize }} bucket syncs in 10 minutes: new "
                "blocks are not served, compacted ones may be read after deletion.",
                window="10m", for_=BUCKET_FAILURES_FOR, by=("job", "instance")),
        )),
    ]
