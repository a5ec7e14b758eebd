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
"""

from __future__ import annotations

from typing import Optional

from config.settings import RabbitmqSettings
from content.integrations.base import ScrapeOnlyExporter
from content.rules import Alert, Series, gauge_fixture, labels_of
from content.scrape import ScrapeJob

QUEUE = {"vhost": "/", "queue": "jobs"}  # the fixtures' queue


class Rabbitmq(ScrapeOnlyExporter):
    key = "rabbitmq"
    title = "RabbitMQ"
    port = 15692  # the plugin's default, as the targets in settings name it

    def alerts(self, own: RabbitmqSettings, job: ScrapeJob) -> list[Alert]:
        sel = job.selector

        def no_consumers(t: Optional[float], fire: bool) -> list[Series]:
            # Messages wait in both cases; only the consumer count tells the two apart.
            return [Series(f"rabbitmq_queue_messages_ready{labels_of(sel, **QUEUE)}", (t or 0.0) + 10),
                    Series(f"rabbitmq_queue_consumers{labels_of(sel, **QUEUE)}", 0 if fire else 1)]

        return [
            Alert(
                name="RabbitmqQueueBacklog",
                expr=f"rabbitmq_queue_messages_ready{{{sel}}} > $threshold",
                threshold=1000, threshold_kind="count", for_="15m", severity="warning",
                summary="RabbitMQ queue holds more than $threshold ready messages",
                description="Queue {{ $labels.queue }} (vhost {{ $labels.vhost }}) on {{ $labels.instance }} has "
                "{{ $value }} messages waiting for a consumer.",
                fixture=gauge_fixture("rabbitmq_queue_messages_ready", sel, **QUEUE),
            ),
            Alert(
                name="RabbitmqUnackedMessagesHigh",
                expr=f"rabbitmq_queue_messages_unacked{{{sel}}} > $threshold",
                threshold=1000, threshold_kind="count", for_="15m", severity="warning",
                summary="RabbitMQ queue has more than $threshold unacknowledged messages",
                description="Queue {{ $labels.queue }} (vhost {{ $labels.vhost }}) on {{ $labels.instance }} has "
                "{{ $value }} messages delivered but not acknowledged: consumers are stuck or slow.",
                fixture=gauge_fixture("rabbitmq_queue_messages_unacked", sel, **QUEUE),
            ),
            # The memory alarm blocks every publishing connection of the cluster until it clears.
            Alert(
                name="RabbitmqMemoryAlarm",
                expr=f"rabbitmq_alarms_memory_used_watermark{{{sel}}} == 1",
                for_="1m", severity="critical",
                summary="RabbitMQ memory alarm: publishers are blocked",
                description="Node {{ $labels.instance }} is above its memory high watermark (alarm {{ $value }}): "
                "RabbitMQ blocks all publishers until memory falls.",
                fixture=lambda _t, fire: [Series(f"rabbitmq_alarms_memory_used_watermark{labels_of(sel)}",
                                                 1 if fire else 0)],
            ),
            Alert(
                name="RabbitmqQueueWithoutConsumers",
                expr=f"rabbitmq_queue_messages_ready{{{sel}}} > $threshold and rabbitmq_queue_consumers{{{sel}}} == 0",
                threshold=0, threshold_kind="count", for_="10m", severity="warning",
                summary="RabbitMQ queue has messages but no consumer",
                description="Queue {{ $labels.queue }} (vhost {{ $labels.vhost }}) on {{ $labels.instance }} holds "
                "{{ $value }} ready messages and has had no consumer for 10 minutes.",
                fixture=no_consumers,
            ),
        ]
