"""Redis (redis_exporter): reachability, clients, memory against maxmemory, commands, hit
ratio, keys, evictions and network. The application's job queue is a Redis list, so this
dashboard links to the application dashboards."""

from __future__ import annotations

from content.dashboards.common import ORANGE, Board, Context, Query, add, board, graph, make_uid, reachable, single
from content.integrations.redis import clients, memory

UID = make_uid("redis")


def dashboards(ctx: Context) -> list[Board]:
    s = ctx.sel()
    rate = "[$__rate_interval]"
    related = [(make_uid("app", name), name) for name in ctx.facts.applications]
    b = board(ctx, "redis", "Redis", "Redis through redis_exporter: is it up, how full, how busy, how well "
              "the cache serves.", "databases", related=[*related, (make_uid("alerts"), "Alerts overview")],
              tags=("cache",))
    return [add(
        b,
        ("Overview", [
            reachable(ctx, "redis_up", "Redis"),
            single("Uptime", "Time since the Redis server started.", "s",
                   Query(f"max by (instance) (redis_uptime_in_seconds{{{s}}})", "{{instance}}")),
            single("Clients", "Connected clients.", "short",
                   Query(f"sum by (instance) (redis_connected_clients{{{s}}})", "{{instance}}")),
            single("Memory used", "Memory Redis allocated for data and overhead.", "bytes",
                   Query(f"sum by (instance) (redis_memory_used_bytes{{{s}}})", "{{instance}}")),
        ]),
        ("Load", [
            graph("Commands per second", "Commands processed per second, by command.", "ops",
                  Query(f"sum by (cmd) (rate(redis_commands_total{{{s}}}{rate}))", "{{cmd}}"), stacked=True),
            graph("Cache hit ratio", "Key lookups that found their key; low values mean the cache misses.",
                  "percentunit",
                  Query(f"sum by (instance) (rate(redis_keyspace_hits_total{{{s}}}{rate})) / (sum by (instance) "
                        f"(rate(redis_keyspace_hits_total{{{s}}}{rate})) + sum by (instance) "
                        f"(rate(redis_keyspace_misses_total{{{s}}}{rate})))", "{{instance}}"), max_value=1),
            graph("Clients", "Connected and blocked clients (blocked: waiting in BLPOP and the like, as queue "
                  "workers do).", "short",
                  Query(f"sum by (instance) (redis_connected_clients{{{s}}})", "{{instance}} connected"),
                  Query(f"sum by (instance) (redis_blocked_clients{{{s}}})", "{{instance}} blocked")),
            graph("Network", "Bytes received and sent per second.", "Bps",
                  Query(f"sum by (instance) (rate(redis_net_input_bytes_total{{{s}}}{rate}))", "{{instance}} in"),
                  Query(f"sum by (instance) (rate(redis_net_output_bytes_total{{{s}}}{rate}))", "{{instance}} out")),
        ]),
        ("Memory and keys", [
            graph("Memory", "Used memory, and maxmemory where one is set (above it Redis evicts or refuses "
                  "writes).", "bytes",
                  Query(f"sum by (instance) (redis_memory_used_bytes{{{s}}})", "{{instance}} used"),
                  Query(f"sum by (instance) (redis_memory_max_bytes{{{s}}} > 0)", "{{instance}} maxmemory")),
            graph("Clients against maxclients", "Connected clients over maxclients, the recorded ratio "
                  "RedisTooManyClients reads.", "percentunit",
                  Query(f"max by (instance) ({clients(s).of(s)})", "{{instance}}"),
                  levels=ctx.lines("RedisTooManyClients"), max_value=1),
            graph("Memory against maxmemory", "Used memory over maxmemory (only where a maxmemory is set), the "
                  "recorded ratio RedisMemoryHigh reads.", "percentunit",
                  Query(f"max by (instance) ({memory(s).of(s)})", "{{instance}}"),
                  levels=ctx.lines("RedisMemoryHigh"), max_value=1),
            graph("Keys", "Keys per database, and those with an expiry.", "short",
                  Query(f"sum by (db) (redis_db_keys{{{s}}})", "{{db}}"),
                  Query(f"sum by (db) (redis_db_keys_expiring{{{s}}})", "{{db}} expiring")),
            graph("Expired and evicted keys", "Keys removed per second: expired by TTL, or evicted for memory "
                  "(evictions mean maxmemory is too small).", "ops",
                  Query(f"sum by (instance) (rate(redis_expired_keys_total{{{s}}}{rate}))", "{{instance}} expired"),
                  Query(f"sum by (instance) (rate(redis_evicted_keys_total{{{s}}}{rate}))", "{{instance}} evicted"),
                  levels=[(1, ORANGE)]),
            graph("Rejected connections", "Connections refused because maxclients was reached.", "ops",
                  Query(f"sum by (instance) (rate(redis_rejected_connections_total{{{s}}}{rate}))", "{{instance}}"),
                  levels=[(0.001, "red")]),
        ]),
    )]
