"""Thanos: is every component up, do the sidecars ship blocks, does the compactor keep up, and
how fast and how reliably do Query and the store gateway answer. Built when the stack has the
`thanos` block (the plan registers the Thanos jobs as integration "thanos")."""

from __future__ import annotations

from content.dashboards.board import Board, add, board
from content.dashboards.context import RED, Context, make_uid
from content.dashboards.panels import Query, graph, single
from content.thanos import COMPACTOR, QUERY, SIDECAR, STORE
from content.thanos_rules import GRPC_SERVER_ERRORS

UID = make_uid("thanos")
RATE = "[$__rate_interval]"


def query_layer(ctx: Context) -> list:
    """Query's answers: request rate and errors, latency (also on the self-monitoring dashboard)."""
    q = ctx.sel_job(QUERY)
    return [
        graph("Query requests", "HTTP requests to Thanos Query per second, by handler (query, query_range, "
              "series, labels...).", "reqps",
              Query(f"sum by (handler) (rate(http_requests_total{{{q}}}{RATE}))", "{{handler}}")),
        graph("Query errors", "Share of Thanos Query's HTTP requests answered with a 5xx, the ratio "
              "ThanosQueryHttpErrors reads.", "percentunit",
              Query(f'sum(rate(http_requests_total{{{q},code=~"5.."}}{RATE})) / '
                    f"sum(rate(http_requests_total{{{q}}}{RATE}))", "5xx"),
              levels=ctx.lines("ThanosQueryHttpErrors"), max_value=1),
        graph("Query latency p99", "99th percentile of instant and range queries, the value "
              "ThanosQueryLatencyHigh reads.", "s",
              Query(f"histogram_quantile(0.99, sum by (handler, le) (rate(http_request_duration_seconds_bucket"
                    f'{{{q},handler=~"query|query_range"}}{RATE})))', "{{handler}}"),
              levels=ctx.lines("ThanosQueryLatencyHigh")),
    ]


def dashboards(ctx: Context) -> list[Board]:
    sidecar, store, compactor = (ctx.sel_job(n) for n in (SIDECAR, STORE, COMPACTOR))
    b = board(ctx, "thanos", "Thanos", "The scale-out layer: sidecars shipping the replicas' blocks to the bucket, "
              "the store gateway serving it, the compactor keeping it compact and aged, Query answering "
              "Grafana with the replicas deduplicated.", "platform",
              related=[(make_uid("self"), "Prometheus and Alertmanager"), (make_uid("alerts"), "Alerts overview")],
              tags=("thanos", "self-monitoring"))
    return [add(
        b,
        ("Overview", [
            single("Components up", "Thanos targets that answered their last scrape, of all Thanos targets.",
                   "percentunit", Query(f"sum(up{{{ctx.sel()}}}) / count(up{{{ctx.sel()}}})"),
                   levels=[(1, "green")], base=RED),
            single("Sidecars reaching Prometheus", "Sidecars whose last check of their Prometheus succeeded.",
                   "short", Query(f"sum(thanos_sidecar_prometheus_up{{{sidecar}}})")),
            single("Blocks uploaded (24h)", "Blocks the sidecars shipped to the bucket in the last 24 hours.",
                   "short", Query(f"sum(increase(thanos_shipper_uploads_total{{{sidecar}}}[24h]))")),
            single("Compactor halted", "Whether the compactor stopped on an error it does not retry "
                   "(ThanosCompactorHalted).", "bool_yes_no",
                   Query(f"max(thanos_compact_halted{{{compactor}}})"), levels=[(1, RED)]),
        ]),
        ("Sidecars and bucket", [
            graph("Uploads", "Blocks uploaded per hour, and upload failures, by sidecar.", "short",
                  Query(f"sum by (instance) (increase(thanos_shipper_uploads_total{{{sidecar}}}[1h]))",
                        "{{instance}} uploaded"),
                  Query(f"sum by (instance) (increase(thanos_shipper_upload_failures_total{{{sidecar}}}[1h]))",
                        "{{instance}} failed")),
            graph("Bucket operation failures", "Failed object storage operations per second, by component "
                  "and operation.", "ops",
                  Query(f"sum by (job, operation) (rate(thanos_objstore_bucket_operation_failures_total"
                        f"{{{ctx.sel()}}}{RATE}))", "{{job}} {{operation}}"),
                  levels=[(0.001, RED)]),
            graph("Blocks in the bucket", "Blocks the store gateway serves (loaded), by resolution level.",
                  "short", Query(f"sum(thanos_bucket_store_blocks_loaded{{{store}}})", "loaded")),
        ]),
        ("Compactor", [
            graph("Compactions", "Compactions and downsamplings done per hour.", "short",
                  Query(f"sum(increase(thanos_compact_group_compactions_total{{{compactor}}}[1h]))", "compactions"),
                  Query(f"sum(increase(thanos_compact_downsample_total{{{compactor}}}[1h]))", "downsamplings")),
            graph("Blocks marked for deletion", "Blocks retention or compaction marked for deletion per hour.",
                  "short",
                  Query(f"sum(increase(thanos_compact_blocks_marked_total{{{compactor}}}[1h]))", "marked")),
        ]),
        ("Query", query_layer(ctx)),
        ("Store gateway", [
            graph("StoreAPI errors", "Share of the store gateway's StoreAPI calls that failed with a server "
                  "error, the ratio ThanosStoreGrpcErrors reads.", "percentunit",
                  Query(f'sum(rate(grpc_server_handled_total{{{store},grpc_code=~"{GRPC_SERVER_ERRORS}"}}{RATE}))'
                        f" / sum(rate(grpc_server_handled_total{{{store}}}{RATE}))", "errors"),
                  levels=ctx.lines("ThanosStoreGrpcErrors"), max_value=1),
            graph("Series latency p99", "99th percentile of the store gateway's Series streams, the value "
                  "ThanosStoreSeriesLatencyHigh reads.", "s",
                  Query(f"histogram_quantile(0.99, sum by (le) (rate(grpc_server_handling_seconds_bucket"
                        f'{{{store},grpc_type="server_stream"}}{RATE})))', "p99"),
                  levels=ctx.lines("ThanosStoreSeriesLatencyHigh")),
            graph("Bucket syncs", "Block list syncs per second, and failures (ThanosStoreBucketSyncFailing).", "ops",
                  Query(f"sum(rate(thanos_blocks_meta_syncs_total{{{store}}}{RATE}))", "syncs"),
                  Query(f"sum(rate(thanos_blocks_meta_sync_failures_total{{{store}}}{RATE}))", "failures")),
            graph("Memory", "Resident memory of each Thanos component.", "bytes",
                  Query(f"max by (job, instance) (process_resident_memory_bytes{{{ctx.sel()}}})",
                        "{{job}} {{instance}}")),
        ]),
    )]
