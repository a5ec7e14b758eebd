"""PostgreSQL (postgres_exporter): reachability, connections against max_connections,
transactions, tuples, cache hit ratio, deadlocks, locks and database sizes. Template
databases are left out: nothing runs in them."""

from __future__ import annotations

from content.dashboards.common import Board, Context, Query, add, board, graph, make_uid, reachable, single
from content.integrations.postgres import connections

UID = make_uid("postgres")


def dashboards(ctx: Context) -> list[Board]:
    s = ctx.sel()
    db = ctx.sel('datname!~"template.*"')
    rate = "[$__rate_interval]"
    b = board(ctx, "postgres", "PostgreSQL", "PostgreSQL through postgres_exporter: connections, throughput, "
              "cache efficiency, contention and size.", "databases",
              related=[(make_uid("alerts"), "Alerts overview"), (make_uid("node"), "Linux hosts")])
    return [add(
        b,
        ("Overview", [
            reachable(ctx, "pg_up", "PostgreSQL"),
            single("Uptime", "Time since the postmaster started.", "s",
                   Query(f"time() - max by (instance) (pg_postmaster_start_time_seconds{{{s}}})", "{{instance}}")),
            single("Connections used", "Backends as a share of max_connections.", "percentunit",
                   # The recording rule PostgresTooManyConnections reads.
                   Query(f"max by (instance) ({connections(s).of(s)})", "{{instance}}"),
                   levels=ctx.lines("PostgresTooManyConnections")),
            single("Database size", "Total size of the non-template databases.", "bytes",
                   Query(f"sum by (instance) (pg_database_size_bytes{{{db}}})", "{{instance}}")),
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
