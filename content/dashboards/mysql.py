"""MySQL and MariaDB (mysqld_exporter): reachability, connections against max_connections,
queries and commands, slow queries, InnoDB buffer pool, locks and network."""

from __future__ import annotations

from content.dashboards.common import Board, Context, Query, add, board, graph, make_uid, reachable, single
from content.integrations.mysql import connections

UID = make_uid("mysql")


def dashboards(ctx: Context) -> list[Board]:
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


SQL_COMMANDS = 'command=~"select|insert|update|delete|replace"'
