"""Redis through oliver006/redis_exporter: memory against maxmemory, clients against
maxclients, refused connections and replication.

Thresholds are this integration's defaults; a stack changes any of them per alert and
severity with `alertOverrides`.

Dashboard: Redis (redis_exporter): reachability, clients, memory against maxmemory, commands, hit
ratio, keys, evictions and network. The application's job queue is a Redis list, so this
dashboard links to the application dashboards.
"""

from __future__ import annotations

import json

from config.exporters import ServiceExporterSettings
from content.alert_factories import Ratio, counter_increase_alert, flag_alert, near_limit_alerts, used_over_limit
from content.dashboards.board import Board, add, board
from content.dashboards.context import ORANGE, Context, make_uid
from content.dashboards.panels import Query, graph
from content.dashboards.service_overview import InstanceStat, Uptime, overview_row, traffic_graph
from content.integrations.services import (
    NEAR_LIMIT_ABOVE,
    NEAR_LIMIT_CRITICAL_ABOVE,
    NEAR_LIMIT_FOR,
    ServiceIntegration,
)
from content.rules import Alert, Recording, Series, labels_of
from content.scrape import ScrapeJob
from content.workload import CONFIG_DIR

# Default thresholds (a stack moves any of them with `alertOverrides`).
# Memory against maxmemory: with `noeviction` (a job queue) writes start failing at 100%, so
# 85% warns and 95% pages. An allkeys-* cache lives at 100% by design and should disable
# RedisMemoryHigh for its stack.
MEMORY_ABOVE = 0.85
MEMORY_CRITICAL_ABOVE = 0.95
# Any refused connection: each one is a client that got an error.
REJECTED_CONNECTIONS_ABOVE = 0
# A replica that left five minutes ago is not restarting: it is lost.
REPLICA_LOST_FOR = "5m"
# A replica's link down for two minutes: longer than a master's restart or failover takes.
MASTER_LINK_DOWN_FOR = "2m"


def clients(selector: str) -> Ratio:
    # Connected clients over `maxclients` (10000 unless redis.conf says otherwise).
    return used_over_limit("instance:redis_clients:ratio", "redis_connected_clients", "redis_config_maxclients",
                           selector)


def memory(selector: str) -> Ratio:
    # Used memory over `maxmemory`; no series at all while maxmemory is 0 (unlimited).
    return used_over_limit("instance:redis_memory_utilisation:ratio", "redis_memory_used_bytes",
                           "redis_memory_max_bytes", selector, limit_value=1e9)


UID = make_uid("redis")


class Redis(ServiceIntegration):
    key = "redis"
    title = "Redis"
    port = 9121
    image = "docker.io/oliver006/redis_exporter:v1.81.0"  # release notes, 2026-03
    example = {"enabled": True, "address": "redis:6379", "passwordSecret": "redisPassword"}
    up_metric = "redis_up"
    has_wget = False  # scratch image

    def args(self, own: ServiceExporterSettings) -> list[str]:
        args = [f"--redis.addr=redis://{own.address}"]
        if own.password_secret:
            args.append(f"--redis.password-file={CONFIG_DIR}/secrets/password.json")
        return args

    def secret_files(self, own: ServiceExporterSettings, password: str) -> dict[str, str]:
        # redis_exporter reads a JSON map of address to password.
        return {"secrets/password.json": json.dumps({f"redis://{own.address}": password}, sort_keys=True)}

    def recording_rules(self, own: ServiceExporterSettings, job: ScrapeJob) -> list[Recording]:
        return [clients(job.selector).recording, memory(job.selector).recording]

    def alerts(self, own: ServiceExporterSettings, job: ScrapeJob) -> list[Alert]:
        sel = job.selector
        mem = memory(sel)

        def replica_lost(_t: float | None, fire: bool) -> list[Series]:
            # Two replicas, then (fire) one drifting away: fewer now than at the hour's best.
            return [Series(f"redis_connected_slaves{labels_of(sel)}", -1 / 1200 if fire else 0, rate=True, start=2)]

        memory_alerts = near_limit_alerts("RedisMemoryHigh", mem, "Redis", "memory", "maxmemory",
                                          warning=MEMORY_ABOVE, critical=MEMORY_CRITICAL_ABOVE, for_=NEAR_LIMIT_FOR)
        share_fixture_of_pair = memory_alerts[0].fixture

        def memory_fixture(t: float | None, fire: bool) -> list[Series]:
            # The quiet case also holds an instance without maxmemory using far more memory than
            # the threshold would allow: "unlimited" must never read as "full".
            series = share_fixture_of_pair(t, fire)
            if fire:
                return series
            unlimited = labels_of(sel, instance="cache:9121")
            return series + [Series(f"redis_memory_used_bytes{unlimited}", 5e10),
                             Series(f"redis_memory_max_bytes{unlimited}", 0)]

        return super().alerts(own, job) + [a.replace(fixture=memory_fixture) for a in memory_alerts] + [
            # Past maxclients Redis refuses every new connection.
            *near_limit_alerts("RedisTooManyClients", clients(sel), "Redis", "clients", "maxclients",
                               warning=NEAR_LIMIT_ABOVE, critical=NEAR_LIMIT_CRITICAL_ABOVE, for_=NEAR_LIMIT_FOR),
            counter_increase_alert(
                "RedisRejectedConnections", "redis_rejected_connections_total", sel,
                threshold=REJECTED_CONNECTIONS_ABOVE, severity="critical",
                summary="Redis refuses connections",
                description="Redis {{ $labels.instance }} refused {{ $value | humanize }} connections in 5 minutes "
                "(maxclients reached): clients get errors.",
            ),
            Alert(
                name="RedisReplicaLost",
                expr=f"redis_connected_slaves{{{sel}}} < max_over_time(redis_connected_slaves{{{sel}}}[1h])",
                for_=REPLICA_LOST_FOR, severity="warning",
                summary="Redis master lost a replica",
                description="Redis {{ $labels.instance }} has {{ $value }} connected replicas, fewer than "
                "during the last hour.",
                fixture=replica_lost,
            ),
            flag_alert(
                "RedisMasterLinkDown", "redis_master_link_up", sel, MASTER_LINK_DOWN_FOR, "critical",
                "Redis replica lost its master",
                "Replica {{ $labels.instance }} has no link to its master ({{ $value }}): it serves stale data "
                "and stops catching up.",
            ),
        ]

    def dashboards(self, ctx: Context) -> list[Board]:
        s = ctx.sel()
        rate = "[$__rate_interval]"
        related = [(make_uid("app", name), name) for name in ctx.facts.applications]
        b = board(ctx, "redis", "Redis", "Redis through redis_exporter: is it up, how full, how busy, how well "
                  "the cache serves.", "databases", related=[*related, (make_uid("alerts"), "Alerts overview")],
                  tags=("cache",))
        return [add(
            b,
            overview_row(ctx, "Redis", "redis_up",
                         Uptime(f"redis_uptime_in_seconds{{{s}}}", "Time since the Redis server started."), [
                InstanceStat("Clients", "Connected clients.", "short", f"redis_connected_clients{{{s}}}"),
                InstanceStat("Memory used", "Memory Redis allocated for data and overhead.", "bytes",
                             f"redis_memory_used_bytes{{{s}}}"),
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
                traffic_graph(f"rate(redis_net_input_bytes_total{{{s}}}{rate})",
                              f"rate(redis_net_output_bytes_total{{{s}}}{rate})"),
            ]),
            ("Memory and keys", [
                graph("Memory", "Used memory, and maxmemory where one is set (above it Redis evicts or refuses "
                      "writes).", "bytes",
                      Query(f"sum by (instance) (redis_memory_used_bytes{{{s}}})", "{{instance}} used"),
                      Query(f"sum by (instance) (redis_memory_max_bytes{{{s}}} > 0)", "{{instance}} maxmemory")),
                graph("Clients against maxclients", "Connected clients over maxclients, the recorded ratio "
                      "RedisTooManyClients reads.", "percentunit",
                      Query(f"max by (instance) ({clients(s).query})", "{{instance}}"),
                      levels=ctx.lines("RedisTooManyClients"), max_value=1),
                graph("Memory against maxmemory", "Used memory over maxmemory (only where a maxmemory is set), the "
                      "recorded ratio RedisMemoryHigh reads.", "percentunit",
                      Query(f"max by (instance) ({memory(s).query})", "{{instance}}"),
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
