"""PostgreSQL through prometheus-community/postgres_exporter: connections against
max_connections, deadlocks, replication lag on replicas and long-running transactions.

Thresholds are this integration's defaults; a stack changes any of them per alert and
severity with `alertOverrides`.

Dashboard: PostgreSQL (postgres_exporter): reachability, connections against max_connections,
transactions, tuples, cache hit ratio, deadlocks, locks and database sizes. Template
databases are left out: nothing runs in them.
"""

from __future__ import annotations

from config.exporters import ServiceExporterSettings
from content.alert_factories import Ratio, counter_increase_alert, gauge_alert, gauge_fixture, near_limit_alerts, pair
from content.dashboards.board import Board, add, board
from content.dashboards.context import Context, make_uid
from content.dashboards.panels import Query, graph
from content.dashboards.service_overview import InstanceStat, Uptime, overview_row, share_of_limit
from content.integrations.services import (
    NEAR_LIMIT_ABOVE,
    NEAR_LIMIT_CRITICAL_ABOVE,
    NEAR_LIMIT_FOR,
    REPLICATION_LAG_ABOVE,
    REPLICATION_LAG_CRITICAL_ABOVE,
    REPLICATION_LAG_CRITICAL_FOR,
    REPLICATION_LAG_FOR,
    ServiceIntegration,
)
from content.rules import Alert, Recording, Series, labels_of
from content.scrape import ScrapeJob
from content.workload import CONFIG_DIR

# Default thresholds (a stack moves any of them with `alertOverrides`); connections and
# replication lag use the service integrations' shared levels (content/integrations/services.py).
# Any deadlock: each one aborted a transaction the application then sees fail.
DEADLOCKS_ABOVE = 0
# A transaction open for five minutes holds its locks and keeps VACUUM from removing dead rows;
# half an hour of it bloats tables and blocks migrations.
LONG_TRANSACTION_ABOVE = 300
LONG_TRANSACTION_CRITICAL_ABOVE = 1800
LONG_TRANSACTION_FOR = "2m"  # a batch job's transaction may run for minutes by design


def connections(selector: str) -> Ratio:
    """Backends of every database and state over `max_connections`. pg_stat_activity_count
    is split by datname and state, max_connections is one gauge: hence the aggregations."""

    def inputs(ratio: float) -> list[Series]:
        return [Series(f"pg_stat_activity_count{labels_of(selector, datname='app', state='active')}", 50 * ratio),
                Series(f"pg_stat_activity_count{labels_of(selector, datname='app', state='idle')}", 50 * ratio),
                Series(f"pg_settings_max_connections{labels_of(selector)}", 100)]

    return Ratio(
        # The stack's labels stay, so dashboards filter the recorded series like the raw ones.
        f"sum by (job, instance, environment, cluster) (pg_stat_activity_count{{{selector}}})"
        f" / (max by (job, instance, environment, cluster) (pg_settings_max_connections{{{selector}}}) > 0)",
        inputs, record="instance:pg_connections:ratio", selector=selector,
    )


UID = make_uid("postgres")


class Postgres(ServiceIntegration):
    key = "postgres"
    title = "PostgreSQL"
    port = 9187
    image = "quay.io/prometheuscommunity/postgres-exporter:v0.20.1"  # release notes, 2026-07
    example = {"enabled": True, "address": "db:5432", "user": "monitor", "database": "app",
               "passwordSecret": "postgresPassword"}
    up_metric = "pg_up"
    has_wget = False

    def args(self, own: ServiceExporterSettings) -> list[str]:
        # The postmaster collector (server start time: the dashboard's uptime) is off by default.
        return ["--collector.postmaster"]

    def env(self, own: ServiceExporterSettings) -> dict[str, str]:
        env = {"DATA_SOURCE_URI": f"{own.address}/{own.database or 'postgres'}?sslmode=disable"}
        if own.user:
            env["DATA_SOURCE_USER"] = own.user
        if own.password_secret:
            env["DATA_SOURCE_PASS_FILE"] = f"{CONFIG_DIR}/secrets/password"
        return env

    def recording_rules(self, own: ServiceExporterSettings, job: ScrapeJob) -> list[Recording]:
        return [connections(job.selector).recording]

    def alerts(self, own: ServiceExporterSettings, job: ScrapeJob) -> list[Alert]:
        sel = job.selector
        lag = gauge_fixture("pg_replication_lag_seconds", sel)

        def replica_lag(t: float | None, fire: bool) -> list[Series]:
            return lag(t, fire) + [Series(f"pg_replication_is_replica{labels_of(sel)}", 1)]

        lag_alert = Alert(
            name="PostgresReplicationLag",
            # The exporter computes lag as "now - last replayed transaction" on replicas only
            # (0 on a primary); `is_replica` keeps a primary that was a replica out.
            expr=f"pg_replication_lag_seconds{{{sel}}} > $threshold and pg_replication_is_replica{{{sel}}} == 1",
            threshold=REPLICATION_LAG_ABOVE, threshold_kind="seconds", for_=REPLICATION_LAG_FOR, severity="warning",
            summary="PostgreSQL replica more than $threshold s behind",
            description="Replica {{ $labels.instance }} last replayed a transaction {{ $value | humanizeDuration }} ago.",
            fixture=replica_lag,
        )
        # Open transactions hold locks and keep VACUUM from removing dead rows.
        long_tx = gauge_alert(
            "PostgresLongRunningTransaction", "pg_stat_activity_max_tx_duration", sel,
            around="max by (job, instance, datname) ({})", threshold=LONG_TRANSACTION_ABOVE, threshold_kind="seconds",
            for_=LONG_TRANSACTION_FOR, severity="warning",
            summary="PostgreSQL transaction open longer than $threshold s",
            description="A transaction in {{ $labels.datname }} on {{ $labels.instance }} has been open for "
            "{{ $value | humanizeDuration }}.",
            datname="app", state="idle in transaction",
        )
        return super().alerts(own, job) + [
            # The last connections are reserved for superusers, so the application fails before 100%.
            *near_limit_alerts("PostgresTooManyConnections", connections(sel), "PostgreSQL", "connections",
                               "max_connections", warning=NEAR_LIMIT_ABOVE, critical=NEAR_LIMIT_CRITICAL_ABOVE,
                               for_=NEAR_LIMIT_FOR),
            counter_increase_alert(
                "PostgresDeadlocks", "pg_stat_database_deadlocks", sel, threshold=DEADLOCKS_ABOVE, severity="warning",
                summary="PostgreSQL deadlocks",
                description="{{ $value | humanize }} deadlocks in {{ $labels.datname }} on {{ $labels.instance }} "
                "in 5 minutes: each one aborted a transaction.",
                datname="app",
            ),
            *pair(lag_alert, critical=REPLICATION_LAG_CRITICAL_ABOVE, critical_for=REPLICATION_LAG_CRITICAL_FOR),
            *pair(long_tx, critical=LONG_TRANSACTION_CRITICAL_ABOVE),
        ]

    def dashboards(self, ctx: Context) -> list[Board]:
        s = ctx.sel()
        db = ctx.sel('datname!~"template.*"')
        rate = "[$__rate_interval]"
        b = board(ctx, "postgres", "PostgreSQL", "PostgreSQL through postgres_exporter: connections, throughput, "
                  "cache efficiency, contention and size.", "databases",
                  related=[(make_uid("alerts"), "Alerts overview"), (make_uid("node"), "Linux hosts")])
        return [add(
            b,
            overview_row(ctx, "PostgreSQL", "pg_up", Uptime(f"pg_postmaster_start_time_seconds{{{s}}}",
                                                             "Time since the postmaster started.", started_at=True), [
                # The recording rule PostgresTooManyConnections reads.
                share_of_limit(ctx, "Connections used", "Backends as a share of max_connections.",
                               connections(s).query, "PostgresTooManyConnections"),
                InstanceStat("Database size", "Total size of the non-template databases.", "bytes",
                             f"pg_database_size_bytes{{{db}}}"),
            ]),
            ("Throughput", [
                graph("Transactions per second", "Commits and rollbacks per second, per database.", "ops",
                      Query(f"sum by (datname) (rate(pg_stat_database_xact_commit{{{db}}}{rate}))", "{{datname}} commit"),
                      Query(f"sum by (datname) (rate(pg_stat_database_xact_rollback{{{db}}}{rate}))", "{{datname}} rollback")),
                graph("Rows per second", "Rows fetched, inserted, updated and deleted per second (all databases).", "ops",
                      Query(f"sum(rate(pg_stat_database_tup_fetched{{{db}}}{rate}))", "fetched"),
                      Query(f"sum(rate(pg_stat_database_tup_inserted{{{db}}}{rate}))", "inserted"),
                      Query(f"sum(rate(pg_stat_database_tup_updated{{{db}}}{rate}))", "updated"),
                      Query(f"sum(rate(pg_stat_database_tup_deleted{{{db}}}{rate}))", "deleted")),
                graph("Connections by state", "Backends per state: many 'idle in transaction' hold locks and "
                      "connections.", "short",
                      Query(f"sum by (state) (pg_stat_activity_count{{{s}}})", "{{state}}"), stacked=True),
                graph("Cache hit ratio", "Blocks found in shared buffers rather than read from disk; below about 99% "
                      "the working set does not fit.", "percentunit",
                      Query(f"sum by (datname) (rate(pg_stat_database_blks_hit{{{db}}}{rate})) / (sum by (datname) "
                            f"(rate(pg_stat_database_blks_hit{{{db}}}{rate})) + sum by (datname) "
                            f"(rate(pg_stat_database_blks_read{{{db}}}{rate})))", "{{datname}}"), max_value=1),
            ]),
            ("Contention and size", [
                graph("Locks", "Locks held, by mode.", "short",
                      Query(f"sum by (mode) (pg_locks_count{{{s}}})", "{{mode}}")),
                graph("Deadlocks and conflicts", "Deadlocks and recovery conflicts per second.", "ops",
                      Query(f"sum by (datname) (rate(pg_stat_database_deadlocks{{{db}}}{rate}))", "{{datname}} deadlocks"),
                      Query(f"sum by (datname) (rate(pg_stat_database_conflicts{{{db}}}{rate}))", "{{datname}} conflicts")),
                graph("Temporary files", "Bytes written to temporary files per second (sorts and hashes that "
                      "did not fit work_mem).", "Bps",
                      Query(f"sum by (datname) (rate(pg_stat_database_temp_bytes{{{db}}}{rate}))", "{{datname}}")),
                graph("Database size", "Size of each database.", "bytes",
                      Query(f"sum by (datname) (pg_database_size_bytes{{{db}}})", "{{datname}}")),
            ]),
        )]
