"""MySQL and MariaDB through prometheus-community/mysqld_exporter: connections
against max_connections, slow queries and replication on replicas (threads and lag).

Thresholds are this integration's defaults; a stack changes any of them per alert and
severity with `alertOverrides`.

Dashboard: MySQL and MariaDB (mysqld_exporter): reachability, connections against max_connections,
queries and commands, slow queries, InnoDB buffer pool, locks and network.
"""

from __future__ import annotations

from config.exporters import ServiceExporterSettings
from content.alert_factories import Ratio, counter_increase_alert, flag_alert, near_limit_alerts, used_over_limit
from content.dashboards.board import Board, add, board
from content.dashboards.context import Context, make_uid
from content.dashboards.panels import Query, graph
from content.dashboards.service_overview import InstanceStat, Uptime, overview_row, share_of_limit, traffic_graph
from content.integrations.services import (
    NEAR_LIMIT_ABOVE,
    NEAR_LIMIT_CRITICAL_ABOVE,
    NEAR_LIMIT_FOR,
    ServiceIntegration,
    replication_lag_alerts,
)
from content.rules import Alert, Recording
from content.scrape import ScrapeJob
from content.workload import CONFIG_DIR

# The slave_status series carry these labels (one set per replication channel).
CHANNEL = {"channel_name": "", "connection_name": "", "master_host": "primary", "master_uuid": ""}


# Default thresholds (a stack moves any of them with `alertOverrides`); connections and
# replication lag use the service integrations' shared levels (content/integrations/services.py).
# More than five queries over long_query_time per five minutes, for ten: a query or an index
# went wrong, beyond the odd report.
SLOW_QUERIES_ABOVE = 5
SLOW_QUERIES_FOR = "10m"
# A replication thread stopped for two minutes did not just restart: it stopped on an error.
THREAD_STOPPED_FOR = "2m"


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

    def recording_rules(self, own: ServiceExporterSettings, job: ScrapeJob) -> list[Recording]:
        return [connections(job.selector).recording]

    def alerts(self, own: ServiceExporterSettings, job: ScrapeJob) -> list[Alert]:
        sel = job.selector
        return super().alerts(own, job) + [
            # Past max_connections (151 by default) clients get "Too many connections".
            *near_limit_alerts("MysqlTooManyConnections", connections(sel), "MySQL", "connections",
                               "max_connections", warning=NEAR_LIMIT_ABOVE, critical=NEAR_LIMIT_CRITICAL_ABOVE,
                               for_=NEAR_LIMIT_FOR),
            counter_increase_alert(
                "MysqlSlowQueries", "mysql_global_status_slow_queries", sel, threshold=SLOW_QUERIES_ABOVE,
                severity="warning", window="5m", for_=SLOW_QUERIES_FOR,
                summary="MySQL runs more than $threshold slow queries per 5 minutes",
                description="{{ $labels.instance }} logged {{ $value | humanize }} queries slower than "
                "long_query_time in 5 minutes.",
            ),
            flag_alert(
                "MysqlReplicationIoThreadStopped", "mysql_slave_status_slave_io_running", sel, THREAD_STOPPED_FOR,
                "critical", "MySQL replica stopped fetching from its primary",
                "The I/O thread of replica {{ $labels.instance }} is not running ({{ $value }}): it receives no "
                "binlog from {{ $labels.master_host }}.",
                **CHANNEL,
            ),
            flag_alert(
                "MysqlReplicationSqlThreadStopped", "mysql_slave_status_slave_sql_running", sel, THREAD_STOPPED_FOR,
                "critical", "MySQL replica stopped applying changes",
                "The SQL thread of replica {{ $labels.instance }} is not running ({{ $value }}): relayed changes "
                "from {{ $labels.master_host }} are not applied.",
                **CHANNEL,
            ),
            # NULL (SQL thread stopped) is not exported: MysqlReplicationSqlThreadStopped covers it.
            *replication_lag_alerts(
                "MysqlReplicationLag", "mysql_slave_status_seconds_behind_master", sel,
                summary="MySQL replica more than $threshold s behind",
                description="Replica {{ $labels.instance }} is {{ $value | humanizeDuration }} behind "
                "{{ $labels.master_host }}.",
                **CHANNEL,
            ),
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
            overview_row(ctx, "MySQL", "mysql_up", Uptime(f"{st}uptime{{{s}}}", "Time since the server started."), [
                # The recording rule MysqlTooManyConnections reads.
                share_of_limit(ctx, "Connections used", "Connected threads as a share of max_connections.",
                               connections(s).query, "MysqlTooManyConnections"),
                InstanceStat("Queries per second", "Statements the server executed per second.", "ops",
                             f"rate({st}queries{{{s}}}{rate})"),
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
                traffic_graph(f"rate({st}bytes_received{{{s}}}{rate})", f"rate({st}bytes_sent{{{s}}}{rate})"),
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
