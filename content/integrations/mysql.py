"""MySQL and MariaDB through prometheus-community/mysqld_exporter (v0.15): connections
against max_connections, slow queries and replication on replicas (threads and lag).

Thresholds are this integration's defaults; a stack changes any of them per alert and
severity with `alertOverrides`.
"""

from __future__ import annotations

from config.settings import ServiceExporterSettings
from content.integrations.base import CONFIG_DIR
from content.integrations.services import (
    Ratio,
    ServiceExporter,
    counter_increase_alert,
    flag_alert,
    near_limit_alerts,
    used_over_limit,
)
from content.rules import Alert, Recording, gauge_fixture
from content.scrape import ScrapeJob

# The slave_status series carry these labels (one set per replication channel).
CHANNEL = {"channel_name": "", "connection_name": "", "master_host": "primary", "master_uuid": ""}


def connections(selector: str) -> Ratio:
    return used_over_limit("instance:mysql_connections:ratio", "mysql_global_status_threads_connected",
                           "mysql_global_variables_max_connections", selector, limit_value=151)


class Mysql(ServiceExporter):
    key = "mysql"
    title = "MySQL/MariaDB"
    port = 9104
    up_metric = "mysql_up"

    def args(self, own: ServiceExporterSettings) -> list[str]:
        args = [f"--mysqld.address={own.address}"]
        if own.user:
            args.append(f"--mysqld.username={own.user}")
        if own.password_secret:
            args.append(f"--config.my-cnf={CONFIG_DIR}/secrets/my.cnf")
        return args

    def secret_files(self, own: ServiceExporterSettings, password: str) -> dict[str, str]:
        host, port = own.address.rsplit(":", 1)
        user = own.user or "exporter"
        return {"secrets/my.cnf": f"[client]\nuser={user}\npassword={password}\nhost={host}\nport={port}\n"}

    def recording_rules(self, job: ScrapeJob) -> list[Recording]:
        return [connections(job.selector).recording]

    def alerts(self, own: ServiceExporterSettings, job: ScrapeJob) -> list[Alert]:
        sel = job.selector
        lag = Alert(
            name="MysqlReplicationLag",
            # NULL (SQL thread stopped) is not exported: MysqlReplicationSqlThreadStopped covers it.
            expr=f"mysql_slave_status_seconds_behind_master{{{sel}}} > $threshold",
            threshold=60, threshold_kind="seconds", for_="5m", severity="warning",
            summary="MySQL replica more than $threshold s behind",
            description="Replica {{ $labels.instance }} is {{ $value | humanizeDuration }} behind "
            "{{ $labels.master_host }}.",
            fixture=gauge_fixture("mysql_slave_status_seconds_behind_master", sel, **CHANNEL),
        )
        return super().alerts(own, job) + [
            # 80%/90% of max_connections (151 by default): past it clients get "Too many connections".
            *near_limit_alerts("MysqlTooManyConnections", connections(sel), sel, "MySQL", "connections",
                               "max_connections"),
            counter_increase_alert(
                "MysqlSlowQueries", "mysql_global_status_slow_queries", sel, threshold=5, severity="warning",
                window="5m", for_="10m",
                summary="MySQL runs more than $threshold slow queries per 5 minutes",
                description="{{ $labels.instance }} logged {{ $value | humanize }} queries slower than "
                "long_query_time in 5 minutes.",
            ),
            flag_alert(
                "MysqlReplicationIoThreadStopped", "mysql_slave_status_slave_io_running", sel, "2m", "critical",
                "MySQL replica stopped fetching from its primary",
                "The I/O thread of replica {{ $labels.instance }} is not running ({{ $value }}): it receives no "
                "binlog from {{ $labels.master_host }}.",
                **CHANNEL,
            ),
            flag_alert(
                "MysqlReplicationSqlThreadStopped", "mysql_slave_status_slave_sql_running", sel, "2m", "critical",
                "MySQL replica stopped applying changes",
                "The SQL thread of replica {{ $labels.instance }} is not running ({{ $value }}): relayed changes "
                "from {{ $labels.master_host }} are not applied.",
                **CHANNEL,
            ),
            lag,
            lag.replace(threshold=300, for_="2m", severity="critical"),
        ]
