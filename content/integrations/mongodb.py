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
from content.alert_factories import Ratio, near_limit_alerts
from content.dashboards.board import Board, add, board
from content.dashboards.context import Context, make_uid
from content.dashboards.panels import Query, graph
from content.dashboards.service_overview import InstanceStat, Uptime, overview_row
from content.integrations.services import (
    NEAR_LIMIT_ABOVE,
    NEAR_LIMIT_CRITICAL_ABOVE,
    NEAR_LIMIT_FOR,
    ServiceIntegration,
    replication_lag_alerts,
)
from content.rules import Alert, Recording, Series, labels_of
from content.scrape import ScrapeJob


def connections(selector: str) -> Ratio:
    """`current` over `current + available`: mongod reports what is left, not its limit
    (net.maxIncomingConnections, capped by the file-descriptor limit)."""

    def inputs(ratio: float) -> list[Series]:
        return [Series(f"mongodb_connections{labels_of(selector, state='current')}", 1000 * ratio),
                Series(f"mongodb_connections{labels_of(selector, state='available')}", 1000 * (1 - ratio))]

    return Ratio(
        f'sum without (state) (mongodb_connections{{{selector},state="current"}})'
        f' / (sum without (state) (mongodb_connections{{{selector},state=~"current|available"}}) > 0)',
        inputs, record="instance:mongodb_connections:ratio", selector=selector,
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

    def recording_rules(self, own: ServiceExporterSettings, job: ScrapeJob) -> list[Recording]:
        return [connections(job.selector).recording]

    def alerts(self, own: ServiceExporterSettings, job: ScrapeJob) -> list[Alert]:
        sel = job.selector
        return super().alerts(own, job) + [
            # Past the limit mongod closes new connections straight away.
            *near_limit_alerts("MongodbTooManyConnections", connections(sel), "MongoDB", "connections",
                               "the connection limit", warning=NEAR_LIMIT_ABOVE, critical=NEAR_LIMIT_CRITICAL_ABOVE,
                               for_=NEAR_LIMIT_FOR),
            # One series per secondary (`name`), lag behind the primary's optime, in seconds.
            *replication_lag_alerts(
                "MongodbReplicationLag", "mongodb_mongod_replset_member_replication_lag", sel,
                summary="MongoDB secondary more than $threshold s behind",
                description="Member {{ $labels.name }} of {{ $labels.set }} (seen from {{ $labels.instance }}) is "
                "{{ $value | humanizeDuration }} behind the primary.",
                name="mongo-2:27017", set="rs0", state="SECONDARY",
            ),
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
            overview_row(ctx, "MongoDB", "mongodb_up",
                         Uptime(f"mongodb_instance_uptime_seconds{{{s}}}", "Time since mongod started."), [
                InstanceStat("Connections", "Open client connections.", "short", f"mongodb_connections{{{current}}}"),
                InstanceStat("Operations per second", "Inserts, queries, updates, deletes, getmores and commands.",
                             "ops", f"rate(mongodb_op_counters_total{{{s}}}{rate})"),
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
