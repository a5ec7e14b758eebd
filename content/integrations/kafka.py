"""Kafka through danielqsj/kafka_exporter, a container we run next to the cluster.

The exporter is a Kafka client: it needs only the brokers' addresses (any one of them lets
it discover the cluster) and reports topics, partitions and consumer-group offsets. One
exporter watches the whole cluster, so `instance` is the exporter, and `topic`,
`partition` and `consumergroup` say where the trouble is.

Dashboard: Kafka through kafka-exporter: consumer group lag (the number that says whether consumers keep
up), partitions under-replicated or without a leader, and the message rate per topic.
"""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import BeforeValidator, Field

from config.exporters import ExporterSettings
from config.fields import HostPort
from content.alert_factories import gauge_alert
from content.dashboards.board import Board, add, board
from content.dashboards.context import RED, Context, make_uid
from content.dashboards.panels import Query, graph, single
from content.integrations.unit import Integration
from content.rules import Alert, Series, labels_of
from content.scrape import ScrapeJob

TOPIC = {"topic": "clips", "partition": "0"}  # the fixtures' partition

# Default thresholds (a stack moves any of them with `alertOverrides`).
# A thousand messages behind on one topic is more than a consumer catches up with in a moment;
# for a quarter of an hour it means the group does not keep up. Busy topics override it.
CONSUMER_LAG_ABOVE = 1000
CONSUMER_LAG_FOR = "15m"  # a rebalance or a deploy stalls consumers for minutes, not fifteen
# A partition under-replicated for ten minutes is not a broker's restart catching up: one more
# broker lost may lose its data.
UNDER_REPLICATED_FOR = "10m"


UID = make_uid("kafka")


def _one_or_many(value: object) -> object:
    return [value] if isinstance(value, str) else value


class KafkaSettings(ExporterSettings):
    """kafka_exporter, run by us, reading the cluster through `address`: one bootstrap broker
    or a list of them (the exporter discovers the rest of the cluster from any of them)."""

    address: Annotated[list[HostPort], BeforeValidator(_one_or_many), Field(min_length=1)] = Field(
        examples=["kafka:9092"])


class Kafka(Integration):
    key = "kafka"
    title = "Kafka exporter"
    port = 9308
    settings_model = KafkaSettings
    image = "docker.io/danielqsj/kafka-exporter:v1.8.0"  # no newer release found
    example = {"enabled": True, "address": ["kafka-1:9092", "kafka-2:9092"]}

    def args(self, own: KafkaSettings) -> list[str]:
        return [f"--kafka.server={broker}" for broker in own.address]

    def alerts(self, own: KafkaSettings, job: ScrapeJob) -> list[Alert]:
        sel = job.selector

        def under_replicated(_t: Optional[float], fire: bool) -> list[Series]:
            return [Series(f"kafka_topic_partition_under_replicated_partition{labels_of(sel, **TOPIC)}",
                           1 if fire else 0)]

        return [
            # Lag summed over a group's partitions of one topic: how many messages it is behind.
            gauge_alert(
                "KafkaConsumerGroupLag", "kafka_consumergroup_lag", sel, around="sum by (instance, consumergroup, topic) ({})",
                threshold=CONSUMER_LAG_ABOVE, threshold_kind="count", for_=CONSUMER_LAG_FOR, severity="warning",
                summary="Kafka consumer group more than $threshold messages behind",
                description="Consumer group {{ $labels.consumergroup }} is {{ $value }} messages behind on topic "
                "{{ $labels.topic }} (exporter {{ $labels.instance }}).",
                consumergroup="clip-workers", **TOPIC,
            ),
            # A partition with fewer in-sync replicas than replicas: one more broker loss may lose data.
            Alert(
                name="KafkaUnderReplicatedPartitions",
                expr=f"sum by (instance, topic) (kafka_topic_partition_under_replicated_partition{{{sel}}}) > 0",
                for_=UNDER_REPLICATED_FOR, severity="critical",
                summary="Kafka partitions are under-replicated",
                description="Topic {{ $labels.topic }} has {{ $value }} under-replicated partitions "
                "(exporter {{ $labels.instance }}) for 10 minutes.",
                fixture=under_replicated,
            ),
        ]

    def dashboards(self, ctx: Context) -> list[Board]:
        s = ctx.sel()
        rate = "[$__rate_interval]"
        b = board(ctx, "kafka", "Kafka", "Kafka from kafka-exporter: consumer lag, replication health and "
                  "throughput per topic.", "messaging", related=[(make_uid("alerts"), "Alerts overview")],
                  tags=("queues",))
        return [add(
            b,
            ("Overview", [
                single("Brokers", "Brokers the exporter sees in the cluster.", "short", Query(f"max(kafka_brokers{{{s}}})")),
                single("Total consumer lag", "Messages not yet consumed, all groups and topics.", "short",
                       Query(f"sum(kafka_consumergroup_lag{{{s}}})")),
                single("Under-replicated partitions", "Partitions with fewer in-sync replicas than replicas.", "short",
                       Query(f"sum(kafka_topic_partition_under_replicated_partition{{{s}}})"), levels=[(1, RED)]),
                single("Partitions without leader", "Partitions whose leader is -1: neither readable nor writable.",
                       "short", Query(f"count(kafka_topic_partition_leader{{{s}}} == -1) or vector(0)"), levels=[(1, RED)]),
            ]),
            ("Consumers", [
                graph("Lag by consumer group", "Messages each group still has to consume, summed over its topics.",
                      "short", Query(f"sum by (consumergroup) (kafka_consumergroup_lag{{{s}}})", "{{consumergroup}}"),
                      levels=ctx.lines("KafkaConsumerGroupLag")),
                graph("Lag by topic", "Messages not yet consumed per topic, all groups.", "short",
                      Query(f"sum by (topic) (kafka_consumergroup_lag{{{s}}})", "{{topic}}")),
            ]),
            ("Topics", [
                graph("Messages in per topic", "Messages appended per second (growth of the newest offset).", "ops",
                      Query(f"sum by (topic) (rate(kafka_topic_partition_current_offset{{{s}}}{rate}))", "{{topic}}")),
                graph("Partitions per topic", "Partition count of each topic.", "short",
                      Query(f"max by (topic) (kafka_topic_partitions{{{s}}})", "{{topic}}")),
            ]),
        )]
