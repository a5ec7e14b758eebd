"""PostgreSQL through prometheus-community/postgres_exporter (v0.15): connections against
max_connections, deadlocks, replication lag on replicas and long-running transactions.

Thresholds are this integration's defaults; a stack changes any of them per alert and
severity with `alertOverrides`.
"""

from __future__ import annotations

from config.settings import ServiceExporterSettings
from content.integrations.base import CONFIG_DIR
from content.integrations.services import Ratio, ServiceExporter, counter_increase_alert, near_limit_alerts
from content.rules import Alert, Recording, Series, gauge_fixture, labels_of
from content.scrape import ScrapeJob


def connections(selector: str) -> Ratio:
    """Backends of every database and state over `max_connections`. pg_stat_activity_count
    is split by datname and state, max_connections is one gauge: hence the aggregations."""

    def inputs(ratio: float) -> list[Series]:
        return [Series(f"pg_stat_activity_count{labels_of(selector, datname='app', state='active')}", 50 * ratio),
                Series(f"pg_stat_activity_count{labels_of(selector, datname='app', state='idle')}", 50 * ratio),
                Series(f"pg_settings_max_connections{labels_of(selector)}", 100)]

    return Ratio(
        "instance:pg_connections:ratio",
        # The stack's labels stay, so dashboards filter the recorded series like the raw ones.
        f"sum by (job, instance, environment, cluster) (pg_stat_activity_count{{{selector}}})"
        f" / (max by (job, instance, environment, cluster) (pg_settings_max_connections{{{selector}}}) > 0)",
        inputs,
    )


class Postgres(ServiceExporter):
    key = "postgres"
    title = "PostgreSQL"
    port = 9187
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

    def recording_rules(self, job: ScrapeJob) -> list[Recording]:
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
            threshold=60, threshold_kind="seconds", for_="5m", severity="warning",
            summary="PostgreSQL replica more than $threshold s behind",
            description="Replica {{ $labels.instance }} last replayed a transaction {{ $value | humanizeDuration }} ago.",
            fixture=replica_lag,
        )
        long_tx = Alert(
            name="PostgresLongRunningTransaction",
            # Open transactions hold locks and keep VACUUM from removing dead rows.
            expr=f"max by (job, instance, datname) (pg_stat_activity_max_tx_duration{{{sel}}}) > $threshold",
            threshold=300, threshold_kind="seconds", for_="2m", severity="warning",
            summary="PostgreSQL transaction open longer than $threshold s",
            description="A transaction in {{ $labels.datname }} on {{ $labels.instance }} has been open for "
            "{{ $value | humanizeDuration }}.",
            fixture=gauge_fixture("pg_stat_activity_max_tx_duration", sel, datname="app", state="idle in transaction"),
        )
        return super().alerts(own, job) + [
            # 80%/90%: the last connections are reserved for superusers, so the application
            # fails before 100%.
            *near_limit_alerts("PostgresTooManyConnections", connections(sel), sel, "PostgreSQL", "connections",
                               "max_connections"),
            counter_increase_alert(
                "PostgresDeadlocks", "pg_stat_database_deadlocks", sel, threshold=0, severity="warning",
                summary="PostgreSQL deadlocks",
                description="{{ $value | humanize }} deadlocks in {{ $labels.datname }} on {{ $labels.instance }} "
                "in 5 minutes: each one aborted a transaction.",
                datname="app",
            ),
            lag_alert,
            lag_alert.replace(threshold=300, for_="2m", severity="critical"),
            long_tx,
            long_tx.replace(threshold=1800, severity="critical"),
        ]
