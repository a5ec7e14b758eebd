"""Redis through oliver006/redis_exporter (v1.62): memory against maxmemory, clients against
maxclients, refused connections and replication.

Thresholds are this integration's defaults; a stack changes any of them per alert and
severity with `alertOverrides`.
"""

from __future__ import annotations

import json

from config.settings import ServiceExporterSettings
from content.integrations.base import CONFIG_DIR
from content.integrations.services import (
    Ratio,
    ServiceExporter,
    counter_increase_alert,
    flag_alert,
    near_limit_alerts,
    ratio_fixture,
    used_over_limit,
)
from content.rules import Alert, Recording, Series, labels_of
from content.scrape import ScrapeJob


def clients(selector: str) -> Ratio:
    # Connected clients over `maxclients` (10000 unless redis.conf says otherwise).
    return used_over_limit("instance:redis_clients:ratio", "redis_connected_clients", "redis_config_maxclients",
                           selector)


def memory(selector: str) -> Ratio:
    # Used memory over `maxmemory`; no series at all while maxmemory is 0 (unlimited).
    return used_over_limit("instance:redis_memory_utilisation:ratio", "redis_memory_used_bytes",
                           "redis_memory_max_bytes", selector, limit_value=1e9)


class Redis(ServiceExporter):
    key = "redis"
    title = "Redis"
    port = 9121
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

    def recording_rules(self, job: ScrapeJob) -> list[Recording]:
        return [clients(job.selector).recording, memory(job.selector).recording]

    def alerts(self, own: ServiceExporterSettings, job: ScrapeJob) -> list[Alert]:
        sel = job.selector
        mem = memory(sel)

        def memory_fixture(t: float | None, fire: bool) -> list[Series]:
            # The quiet case also holds an instance without maxmemory using far more memory than
            # the threshold would allow: "unlimited" must never read as "full".
            series = ratio_fixture(mem.inputs)(t, fire)
            if fire:
                return series
            unlimited = labels_of(sel, instance="cache:9121")
            return series + [Series(f"redis_memory_used_bytes{unlimited}", 5e10),
                             Series(f"redis_memory_max_bytes{unlimited}", 0)]

        def replica_lost(_t: float | None, fire: bool) -> list[Series]:
            # Two replicas, then (fire) one drifting away: fewer now than at the hour's best.
            return [Series(f"redis_connected_slaves{labels_of(sel)}", -1 / 1200 if fire else 0, rate=True, start=2)]

        # 85%: with `noeviction` (a job queue) writes start failing at 100%; an allkeys-* cache
        # lives at 100% by design and should disable this alert for its stack.
        memory_alerts = [a.replace(fixture=memory_fixture) for a in near_limit_alerts(
            "RedisMemoryHigh", mem, sel, "Redis", "memory", "maxmemory", warning=0.85, critical=0.95)]
        return super().alerts(own, job) + memory_alerts + [
            # 80%/90% of maxclients: past it Redis refuses every new connection.
            *near_limit_alerts("RedisTooManyClients", clients(sel), sel, "Redis", "clients", "maxclients"),
            counter_increase_alert(
                "RedisRejectedConnections", "redis_rejected_connections_total", sel, threshold=0, severity="critical",
                summary="Redis refuses connections",
                description="Redis {{ $labels.instance }} refused {{ $value | humanize }} connections in 5 minutes "
                "(maxclients reached): clients get errors.",
            ),
            Alert(
                name="RedisReplicaLost",
                expr=f"redis_connected_slaves{{{sel}}} < max_over_time(redis_connected_slaves{{{sel}}}[1h])",
                for_="5m", severity="warning",
                summary="Redis master lost a replica",
                description="Redis {{ $labels.instance }} has {{ $value }} connected replicas, fewer than "
                "during the last hour.",
                fixture=replica_lost,
            ),
            flag_alert(
                "RedisMasterLinkDown", "redis_master_link_up", sel, "2m", "critical",
                "Redis replica lost its master",
                "Replica {{ $labels.instance }} has no link to its master ({{ $value }}): it serves stale data "
                "and stops catching up.",
            ),
        ]
