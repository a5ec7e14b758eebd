"""RabbitMQ through its built-in Prometheus plugin (`rabbitmq_prometheus`, port 15692).

The broker serves its own metrics, so the integration is scrape-only: one target per node,
from `exporters.rabbitmq.targets`.

Which endpoint: the plugin's `/metrics` aggregates queue metrics per node (no `queue`
label), and `/metrics/per-object` has per-queue series but (checked on RabbitMQ 3.10) no
`rabbitmq_alarms_*` at all, so the memory alarm would go unseen. We scrape `/metrics` and ask
the broker for `prometheus.return_per_object_metrics = true` in rabbitmq.conf: `/metrics` then
carries both the alarms and per-queue series. Without that setting nothing breaks: the queue
alerts see each node's totals instead of single queues. With many thousands of queues the
per-object setting makes scrapes heavy; raise `scrapeInterval`/`scrapeTimeout` for this job.

Dashboard: RabbitMQ through its built-in Prometheus plugin (`rabbitmq_prometheus`, port 15692, the
default aggregated metrics): messages ready and unacknowledged, publish and delivery rates,
connections, channels, consumers, memory and disk against their alarms. Built when the
rabbitmq integration (`content/integrations/rabbitmq.py`) is enabled and has targets.
"""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from config.exporters import ScrapeTargetSettings
from config.fields import HostPort
from content.alert_factories import flag_alert, gauge_alert
from content.dashboards.board import Board, add, board
from content.dashboards.context import ORANGE, RED, Context, make_uid
from content.dashboards.panels import Query, graph, single
from content.integrations.unit import ScrapeOnlyIntegration
from content.rules import Alert, Series, labels_of
from content.scrape import ScrapeJob

QUEUE = {"vhost": "/", "queue": "jobs"}  # the fixtures' queue

# Default thresholds (a stack moves any of them with `alertOverrides`).
# A thousand ready messages is minutes of work for a typical consumer pool: more, for a quarter
# of an hour, means the consumers do not keep up. Queues that batch by design override it.
BACKLOG_ABOVE = 1000
# As many delivered but unacknowledged messages: consumers that took work and do not finish it.
UNACKED_ABOVE = 1000
# A backlog that lasts a quarter of an hour, not a burst the consumers will drain.
QUEUE_FOR = "15m"
# Any ready message in a queue with no consumer, for ten minutes: longer than a consumer's
# redeploy takes, so nothing will drain it.
WITHOUT_CONSUMERS_ABOVE = 0
WITHOUT_CONSUMERS_FOR = "10m"
# The memory alarm blocks publishers at once: a minute rules out a flapping watermark only.
MEMORY_ALARM_FOR = "1m"


UID = make_uid("rabbitmq")


class RabbitmqSettings(ScrapeTargetSettings):
    """RabbitMQ nodes with the `rabbitmq_prometheus` plugin (port 15692), one target per node."""

    targets: list[HostPort] = Field(default_factory=list, examples=[["rabbitmq:15692"]])


def _queue_alert(name: str, metric: str, sel: str, threshold: float, summary: str, messages_are: str) -> Alert:
    """Too many messages of one queue in one state (ready, unacknowledged) for QUEUE_FOR."""
    return gauge_alert(
        name, metric, sel, threshold=threshold, threshold_kind="count", for_=QUEUE_FOR, severity="warning",
        summary=summary,
        description="Queue {{ $labels.queue }} (vhost {{ $labels.vhost }}) on {{ $labels.instance }} has "
        f"{{{{ $value }}}} messages {messages_are}",
        **QUEUE,
    )


class Rabbitmq(ScrapeOnlyIntegration):
    key = "rabbitmq"
    title = "RabbitMQ"
    port = 15692  # the plugin's default, as the targets in settings name it
    settings_model = RabbitmqSettings
    example = {"enabled": True, "targets": ["rabbitmq:15692"]}

    def alerts(self, own: RabbitmqSettings, job: ScrapeJob) -> list[Alert]:
        sel = job.selector

        def no_consumers(t: Optional[float], fire: bool) -> list[Series]:
            # Messages wait in both cases; only the consumer count tells the two apart.
            return [Series(f"rabbitmq_queue_messages_ready{labels_of(sel, **QUEUE)}", (t or 0.0) + 10),
                    Series(f"rabbitmq_queue_consumers{labels_of(sel, **QUEUE)}", 0 if fire else 1)]

        return [
            _queue_alert("RabbitmqQueueBacklog", "rabbitmq_queue_messages_ready", sel, BACKLOG_ABOVE,
                         "RabbitMQ queue holds more than $threshold ready messages", "waiting for a consumer."),
            _queue_alert("RabbitmqUnackedMessagesHigh", "rabbitmq_queue_messages_unacked", sel, UNACKED_ABOVE,
                         "RabbitMQ queue has more than $threshold unacknowledged messages",
                         "delivered but not acknowledged: consumers are stuck or slow."),
            # The memory alarm blocks every publishing connection of the cluster until it clears.
            flag_alert(
                "RabbitmqMemoryAlarm", "rabbitmq_alarms_memory_used_watermark", sel, MEMORY_ALARM_FOR, "critical",
                "RabbitMQ memory alarm: publishers are blocked",
                "Node {{ $labels.instance }} is above its memory high watermark (alarm {{ $value }}): "
                "RabbitMQ blocks all publishers until memory falls.",
                bad=1,
            ),
            Alert(
                name="RabbitmqQueueWithoutConsumers",
                expr=f"rabbitmq_queue_messages_ready{{{sel}}} > $threshold and rabbitmq_queue_consumers{{{sel}}} == 0",
                threshold=WITHOUT_CONSUMERS_ABOVE, threshold_kind="count", for_=WITHOUT_CONSUMERS_FOR, severity="warning",
                summary="RabbitMQ queue has messages but no consumer",
                description="Queue {{ $labels.queue }} (vhost {{ $labels.vhost }}) on {{ $labels.instance }} holds "
                "{{ $value }} ready messages and has had no consumer for 10 minutes.",
                fixture=no_consumers,
            ),
        ]

    def dashboards(self, ctx: Context) -> list[Board]:
        s = ctx.sel()
        rate = "[$__rate_interval]"
        b = board(ctx, "rabbitmq", "RabbitMQ", "RabbitMQ from its built-in Prometheus plugin: backlog, throughput, "
                  "clients and resource alarms.", "messaging",
                  related=[(make_uid("alerts"), "Alerts overview")], tags=("queues",))
        return [add(
            b,
            ("Overview", [
                single("Messages ready", "Messages waiting for a consumer, all queues.", "short",
                       Query(f"sum(rabbitmq_queue_messages_ready{{{s}}})")),
                single("Messages unacknowledged", "Messages delivered and not yet acknowledged.", "short",
                       Query(f"sum(rabbitmq_queue_messages_unacked{{{s}}})")),
                single("Connections", "Open client connections.", "short", Query(f"sum(rabbitmq_connections{{{s}}})")),
                single("Alarms", "Memory or disk alarms in effect (publishers are blocked while one is).", "short",
                       Query(f"sum(rabbitmq_alarms_memory_used_watermark{{{s}}}) + "
                             f"sum(rabbitmq_alarms_free_disk_space_watermark{{{s}}})"), levels=[(1, RED)]),
            ]),
            ("Messages", [
                graph("Backlog", "Ready and unacknowledged messages per node.", "short",
                      Query(f"sum by (instance) (rabbitmq_queue_messages_ready{{{s}}})", "{{instance}} ready"),
                      Query(f"sum by (instance) (rabbitmq_queue_messages_unacked{{{s}}})", "{{instance}} unacked")),
                graph("Message rates", "Messages published, delivered and acknowledged per second.", "ops",
                      Query(f"sum(rate(rabbitmq_global_messages_received_total{{{s}}}{rate}))", "published"),
                      Query(f"sum(rate(rabbitmq_global_messages_delivered_total{{{s}}}{rate}))", "delivered"),
                      Query(f"sum(rate(rabbitmq_global_messages_acknowledged_total{{{s}}}{rate}))", "acknowledged")),
            ]),
            ("Clients and resources", [
                graph("Clients", "Connections, channels and consumers.", "short",
                      Query(f"sum(rabbitmq_connections{{{s}}})", "connections"),
                      Query(f"sum(rabbitmq_channels{{{s}}})", "channels"),
                      Query(f"sum(rabbitmq_consumers{{{s}}})", "consumers")),
                graph("Memory against its watermark", "Resident memory as a share of the high watermark; at 100% "
                      "publishers are blocked.", "percentunit",
                      Query(f"sum by (instance) (rabbitmq_process_resident_memory_bytes{{{s}}}) / sum by (instance) "
                            f"(rabbitmq_resident_memory_limit_bytes{{{s}}})", "{{instance}}"),
                      levels=[(0.8, ORANGE), (1, RED)], max_value=1.2),
                graph("Free disk", "Disk space free for the node's data.", "bytes",
                      Query(f"min by (instance) (rabbitmq_disk_space_available_bytes{{{s}}})", "{{instance}}")),
            ]),
        )]
