"""MongoDB through percona/mongodb_exporter (--compatible-mode, for the 0.1x metric
names): connections against the connection limit and replica-set lag.

Thresholds are this integration's defaults; a stack changes any of them per alert and
severity with `alertOverrides`.

Dashboard: MongoDB (percona mongodb_exporter in --compatible-mode, so the long-standing metric names
below exist): reachability, connections, operations and their latency, memory, queues,
WiredTiger cache and network.
"""

from __future__ import annotations

from config.exporters import ServiceExporterSettings
from content.dashboards.board import Board, add, board
from content.dashboards.context import Context, make_uid
from content.dashboards.panels import Query, graph, reachable, single
from content.integrations.services import Ratio, ServiceIntegration, near_limit_alerts
from content.rules import Alert, Recording, Series, gauge_fixture, labels_of
from content.scrape import ScrapeJob


def connections(selector: str) -> Ratio:
    """`current` over `current + available`: mongod reports what is left, not its limit
    (net.maxIncomingConnections, capped by the file-descriptor limit)."""

    def inputs(ratio: float) -> list[Series]:
        return [Series(f"mongodb_connections{labels_of(selector, state='current')}", 1000 * ratio),
                Series(f"mongodb_connections{labels_of(selector, state='available')}", 1000 * (1 - ratio))]

    return Ratio(
        "instance:mongodb_connections:ratio",
        f'sum without (state) (mongodb_connections{{{selector},state="current"}})'
        f' / (sum without (state) (mongodb_connections{{{selector},state=~"current|available"}}) > 0)',
        inputs,
    )


UID = make_uid("mongodb")


class Mongodb(ServiceIntegration):
    key = "mongodb"
    title = "MongoDB"
    port = 9216
    image = "docker.io/percona/mongodb_exporter:0.48.0"  # release notes, 2026-02
    example = {"enabled": True, "address": "mongo:27017", "user": "monitor", "passwordSecret": "mongoPassword"}
    up_metric = "mongodb_up"
    has_wget = False

    def args(self, own: ServiceExporterSettings) -> list[str]:
        args = [f"--mongodb.uri=mongodb://{own.address}", "--collect-all", "--compatible-mode"]
        if own.user:
            args.append(f"--mongodb.user={own.user}")
        return args

    # percona/mongodb_exporter reads no password file: its password is the one credential
    # that reaches a container as a (secret) environment variable, MONGODB_PASSWORD.
    secret_env = "MONGODB_PASSWORD"

    def secret_files(self, own: ServiceExporterSettings, password: str) -> dict[str, str]:
        return {}

    def recording_rules(self, job: ScrapeJob) -> list[Recording]:
        return [connections(job.selector).recording]

    def alerts(self, own: ServiceExporterSettings, job: ScrapeJob) -> list[Alert]:
        sel = job.selector
        lag = Alert(
            name="MongodbReplicationLag",
            # One series per secondary (`name`), lag behind the primary's optime, in seconds.
            expr=f"mongodb_mongod_replset_member_replication_lag{{{sel}}} > $threshold",
            threshold=60, threshold_kind="seconds", for_="5m", severity="warning",
            summary="MongoDB secondary more than $threshold s behind",
            description="Member {{ $labels.name }} of {{ $labels.set }} (seen from {{ $labels.instance }}) is "
            "{{ $value | humanizeDuration }} behind the primary.",
            fixture=gauge_fixture("mongodb_mongod_replset_member_replication_lag", sel,
                                  name="mongo-2:27017", set="rs0", state="SECONDARY"),
        )
        return super().alerts(own, job) + [
            # 80%/90%: past the limit mongod closes new connections straight away.
            *near_limit_alerts("MongodbTooManyConnections", connections(sel), sel, "MongoDB", "connections",
                               "the connection limit"),
            lag,
            lag.replace(threshold=300, for_="2m", severity="critical"),
        ]

    def dashboards(self, ctx: Context) -> list[Board]:
        s = ctx.sel()
        rate = "[$__rate_interval]"
        current = ctx.sel('state="current"')
        b = board(ctx, "mongodb", "MongoDB", "MongoDB through mongodb_exporter: connections, operations, latency, "
                  "memory and cache.", "databases",
                  related=[(make_uid("alerts"), "Alerts overview"), (make_uid("node"), "Linux hosts")])
        return [add(
            b,
            ("Overview", [
                reachable(ctx, "mongodb_up", "MongoDB"),
                single("Uptime", "Time since mongod started.", "s",
                       Query(f"max by (instance) (mongodb_instance_uptime_seconds{{{s}}})", "{{instance}}")),
                single("Connections", "Open client connections.", "short",
                       Query(f"sum by (instance) (mongodb_connections{{{current}}})", "{{instance}}")),
                single("Operations per second", "Inserts, queries, updates, deletes, getmores and commands.", "ops",
                       Query(f"sum by (instance) (rate(mongodb_op_counters_total{{{s}}}{rate}))", "{{instance}}")),
            ]),
            ("Operations", [
                graph("Operations by type", "Operations per second, by type.", "ops",
                      Query(f"sum by (type) (rate(mongodb_op_counters_total{{{s}}}{rate}))", "{{type}}"), stacked=True),
                graph("Operation latency", "Average latency of reads, writes and commands.", "µs",
                      Query(f"sum by (type) (rate(mongodb_mongod_op_latencies_latency_total{{{s}}}{rate})) / sum by (type) "
                            f"(rate(mongodb_mongod_op_latencies_ops_total{{{s}}}{rate}) > 0)", "{{type}}")),
                graph("Lock queue", "Operations queued waiting for the global lock, readers and writers.", "short",
                      Query(f"sum by (type) (mongodb_mongod_global_lock_current_queue{{{s}}})", "{{type}}")),
                graph("Connections", "Current and available connections.", "short",
                      Query(f"sum by (state) (mongodb_connections{{{s}}})", "{{state}}")),
            ]),
            ("Memory and network", [
                graph("Memory", "Resident and virtual memory of mongod.", "decmbytes",
                      Query(f"sum by (type) (mongodb_memory{{{s}}})", "{{type}}")),
                graph("WiredTiger cache", "Bytes in the WiredTiger cache, by kind.", "bytes",
                      Query(f"sum by (type) (mongodb_mongod_wiredtiger_cache_bytes{{{s}}})", "{{type}}")),
                graph("Network", "Bytes received and sent per second.", "Bps",
                      Query(f"sum by (state) (rate(mongodb_network_bytes_total{{{s}}}{rate}))", "{{state}}")),
            ]),
        )]
