"""Alerts on the Thanos layer, from the Thanos components' own scrape jobs (content/thanos.py).

Written for this stack rather than copied from the thanos mixin: the mixin's families (sidecar,
compactor, query, store) with our thresholds as data, each alert with its fixture, so promtool
proves it fires and stays quiet (harness/promtool_cases.py). Every alert takes its selector from
its job, so rules and scrape config cannot drift.
"""

from __future__ import annotations

from typing import Optional

from config.units import duration_seconds
from content.rules import Alert, RuleGroup, Series, labels_of, target_down
from content.scrape import ScrapeJob
from content.thanos import COMPACTOR, QUERY, SIDECAR, STORE, upload_window

# gRPC codes that mean the server failed, not the client (the mixin's set).
GRPC_SERVER_ERRORS = "Unknown|ResourceExhausted|Internal|Unavailable|DataLoss|DeadlineExceeded"


def _state(name: str, metric: str, sel: str, bad: int, for_: str, severity: str, summary: str,
           description: str) -> Alert:
    """A 0/1 gauge in its bad state (`thanos_compact_halted == 1`)."""
    return Alert(name=name, expr=f"{metric}{{{sel}}} == {bad}", for_=for_, severity=severity, summary=summary,
                 description=description,
                 fixture=lambda _t, fire: [Series(f"{metric}{labels_of(sel)}", bad if fire else 1 - bad)])


def _failures(name: str, metric: str, sel: str, window: str, for_: str, severity: str, summary: str,
              description: str) -> Alert:
    """A failure counter that moved within `window`."""
    return Alert(name=name, expr=f"sum by (job, instance) (increase({metric}{{{sel}}}[{window}])) > $threshold",
                 threshold=0, threshold_kind="count", for_=for_, severity=severity, summary=summary,
                 description=description,
                 fixture=lambda _t, fire: [Series(f"{metric}{labels_of(sel)}", 0.05 if fire else 0, rate=True)])


def _error_ratio(name: str, metric: str, sel: str, label: str, errors: str, error_value: str, ok_value: str,
                 severity: str, summary: str, description: str, threshold: float = 0.05) -> Alert:
    """Share of requests answered with an error (`label=~errors`) among all of one counter."""
    def fixture(t: Optional[float], fire: bool) -> list[Series]:
        share = (t or 0) + (1 - (t or 0)) / 2 if fire else (t or 0) / 2
        return [Series(f"{metric}{labels_of(sel, **{label: error_value})}", share, rate=True),
                Series(f"{metric}{labels_of(sel, **{label: ok_value})}", 1 - share, rate=True)]

    return Alert(
        name=name,
        expr=f'sum by (job, instance) (rate({metric}{{{sel},{label}=~"{errors}"}}[5m])) / '
             f"sum by (job, instance) (rate({metric}{{{sel}}}[5m])) > $threshold",
        threshold=threshold, threshold_kind="ratio", for_="5m", severity=severity, summary=summary,
        description=description, fixture=fixture)


def _latency(name: str, histogram: str, sel: str, matchers: dict[str, str], threshold: float, summary: str,
             description: str) -> Alert:
    """p99 of a latency histogram over `threshold` seconds. Fixture: observations all in
    (t/2, 2t] put the p99 near 2t; all at or below t/2 keep it near t/2."""
    extra = "".join(f',{k}=~"{v}"' for k, v in matchers.items())
    plain = {k: v.split("|")[0] for k, v in matchers.items()}

    def fixture(t: Optional[float], fire: bool) -> list[Series]:
        t = t or 1.0
        buckets = {f"{t / 2:g}": 0.0 if fire else 1.0, f"{t * 2:g}": 1.0, "+Inf": 1.0}
        return [Series(f"{histogram}_bucket{labels_of(sel, le=le, **plain)}", rate, rate=True)
                for le, rate in buckets.items()]

    return Alert(
        name=name,
        expr=f"histogram_quantile(0.99, sum by (job, instance, le) (rate({histogram}_bucket{{{sel}{extra}}}[5m]))) "
             "> $threshold",
        threshold=threshold, threshold_kind="seconds", for_="10m", severity="warning", summary=summary,
        description=description, fixture=fixture)


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
        threshold=1, threshold_kind="count", severity="critical",
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
            _state("ThanosSidecarPrometheusUnreachable", "thanos_sidecar_prometheus_up", sidecar, 0, "5m", "critical",
                   "Thanos sidecar cannot reach its Prometheus",
                   "{{ $labels.instance }} cannot read its Prometheus' API: Query misses that replica's recent "
                   "data and no block is uploaded."),
            _failures("ThanosSidecarBucketOperationsFailing", "thanos_objstore_bucket_operation_failures_total",
                      sidecar, "5m", "5m", "critical", "Thanos sidecar cannot write to the bucket",
                      "{{ $value | humanize }} bucket operations of {{ $labels.instance }} failed in 5 minutes: "
                      "blocks stay on the replica's disk until the bucket takes them."),
            no_upload(sidecar, block_duration),
        )),
        RuleGroup(name="thanos-compactor", layer="infrastructure", rules=(
            down[2],
            _state("ThanosCompactorHalted", "thanos_compact_halted", compactor, 1, "5m", "warning",
                   "Thanos compactor has halted",
                   "{{ $labels.instance }} met an error it will not retry (overlapping blocks, a corrupt "
                   "block): no compaction, downsampling or retention until someone acts; the bucket grows."),
        )),
        RuleGroup(name="thanos-query", layer="infrastructure", rules=(
            down[3],
            _error_ratio("ThanosQueryHttpErrors", "http_requests_total", query, "code", "5..", "503", "200",
                         "critical", "Thanos Query answers with errors",
                         "{{ $value | humanizePercentage }} of requests to {{ $labels.instance }} fail: "
                         "dashboards show errors or gaps."),
            _latency("ThanosQueryLatencyHigh", "http_request_duration_seconds", query,
                     {"handler": "query|query_range"}, 30, "Thanos Query is slow",
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
                     {"grpc_type": "server_stream"}, 5, "Thanos store gateway is slow",
                     "99% of StoreAPI calls to {{ $labels.instance }} take up to {{ $value | humanizeDuration }}: "
                     "queries over older data are slow."),
            _failures("ThanosStoreBucketSyncFailing", "thanos_blocks_meta_sync_failures_total", store, "10m", "5m",
                      "warning", "Thanos store gateway cannot sync the bucket",
                      "{{ $labels.instance }} failed {{ $value | humanize }} bucket syncs in 10 minutes: new "
                      "blocks are not served, compacted ones may be read after deletion."),
        )),
    ]
