"""MongoDB (percona mongodb_exporter in --compatible-mode, so the long-standing metric names
below exist): reachability, connections, operations and their latency, memory, queues,
WiredTiger cache and network."""

from __future__ import annotations

from content.dashboards.common import Board, Context, Query, add, board, graph, make_uid, reachable, single

UID = make_uid("mongodb")


def dashboards(ctx: Context) -> list[Board]:
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
