"""MySQL and MariaDB through prometheus-community/mysqld_exporter: connections
against max_connections, slow queries and replication on replicas (threads and lag).

Thresholds are this integration's defaults; a stack changes any of them per alert and
severity with `alertOverrides`.

Dashboard: MySQL and MariaDB (mysqld_exporter): reachability, connections against max_connections,
queries and commands, slow queries, InnoDB buffer pool, locks and network.
"""

from __future__ import annotations

from config.exporters import ServiceExporterSettings
from content.dashboards.board import Board, add, board
from content.dashboards.context import Context, make_uid
from content.dashboards.panels import Query, graph, reachable, single
from content.integrations.services import (
    Ratio,
    ServiceIntegration,
    counter_increase_alert,
    flag_alert,
    near_limit_alerts,
    used_over_limit,
)
from content.rules import Alert, Recording, gauge_fixture
from content.scrape import ScrapeJob
from content.workload import CONFIG_DIR

# The slave_status series carry these labels (one set per replication channel).
CHANNEL = {"channel_name": "", "connection_name": "", "master_host": "primary", "master_uuid": ""}


def connections(selector: str) -> Ratio:
    return used_over_limit("instance:mysql_connections:ratio", "mysql_global_status_threads_connected",
                           "mysql_global_variables_max_connections", selector, limit_value=151)


UID = make_uid("mysql")
SQL_COMMANDS = 'command=~"select|insert|update|delete|replace"'


class Mysql(ServiceIntegration):
    key = "mysql"
    title = "MySQL/MariaDB"
    port = 9104
    image = "quay.io/prometheus/mysqld-exporter:v0.20.0"  # release notes, 2026-08-12
    example = {"enabled": True, "address": "mariadb:3306", "user": "exporter", "passwordSecret": "mysqlPassword"}
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

    def dashboards(self, ctx: Context) -> list[Board]:
        s = ctx.sel()
        rate = "[$__rate_interval]"
        st = "mysql_global_status_"
        b = board(ctx, "mysql", "MySQL / MariaDB", "MySQL or MariaDB through mysqld_exporter: connections, query "
                  "load, InnoDB efficiency and contention.", "databases",
                  related=[(make_uid("alerts"), "Alerts overview"), (make_uid("node"), "Linux hosts")])
        return [add(
            b,
            ("Overview", [
                reachable(ctx, "mysql_up", "MySQL"),
                single("Uptime", "Time since the server started.", "s",
                       Query(f"max by (instance) ({st}uptime{{{s}}})", "{{instance}}")),
                single("Connections used", "Connected threads as a share of max_connections.", "percentunit",
                       # The recording rule MysqlTooManyConnections reads.
                       Query(f"max by (instance) ({connections(s).of(s)})", "{{instance}}"),
                       levels=ctx.lines("MysqlTooManyConnections")),
                single("Queries per second", "Statements the server executed per second.", "ops",
                       Query(f"sum by (instance) (rate({st}queries{{{s}}}{rate}))", "{{instance}}")),
            ]),
            ("Load", [
                graph("Commands", "SELECT, INSERT, UPDATE and DELETE per second.", "ops",
                      Query(f'sum by (command) (rate({st}commands_total{{{ctx.sel(SQL_COMMANDS)}}}{rate}))', "{{command}}"),
                      stacked=True),
                graph("Threads", "Connected threads and those running a statement now.", "short",
                      Query(f"sum by (instance) ({st}threads_connected{{{s}}})", "{{instance}} connected"),
                      Query(f"sum by (instance) ({st}threads_running{{{s}}})", "{{instance}} running")),
                graph("Slow queries and aborted connections", "Queries over long_query_time, and connection "
                      "attempts that failed, per second.", "ops",
                      Query(f"sum by (instance) (rate({st}slow_queries{{{s}}}{rate}))", "{{instance}} slow"),
                      Query(f"sum by (instance) (rate({st}aborted_connects{{{s}}}{rate}))", "{{instance}} aborted")),
                graph("Network", "Bytes received and sent per second.", "Bps",
                      Query(f"sum by (instance) (rate({st}bytes_received{{{s}}}{rate}))", "{{instance}} in"),
                      Query(f"sum by (instance) (rate({st}bytes_sent{{{s}}}{rate}))", "{{instance}} out")),
            ]),
            ("InnoDB", [
                graph("Buffer pool hit ratio", "Reads served from the buffer pool rather than disk.", "percentunit",
                      Query(f"1 - sum by (instance) (rate({st}innodb_buffer_pool_reads{{{s}}}{rate})) / sum by (instance) "
                            f"(rate({st}innodb_buffer_pool_read_requests{{{s}}}{rate}))", "{{instance}}"), max_value=1),
                graph("Buffer pool data", "Bytes of data in the buffer pool against its size.", "bytes",
                      Query(f"sum by (instance) ({st}innodb_buffer_pool_bytes_data{{{s}}})", "{{instance}} data"),
                      Query(f"max by (instance) (mysql_global_variables_innodb_buffer_pool_size{{{s}}})", "{{instance}} size")),
                graph("Lock waits", "Row lock waits and table lock waits per second.", "ops",
                      Query(f"sum by (instance) (rate({st}innodb_row_lock_waits{{{s}}}{rate}))", "{{instance}} row"),
                      Query(f"sum by (instance) (rate({st}table_locks_waited{{{s}}}{rate}))", "{{instance}} table")),
            ]),
        )]
