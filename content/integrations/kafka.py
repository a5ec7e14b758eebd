"""Kafka through danielqsj/kafka_exporter, a container we run next to the cluster.

The exporter is a Kafka client: it needs only the brokers' addresses (any one of them lets
it discover the cluster) and reports topics, partitions and consumer-group offsets. One
exporter watches the whole cluster, so `instance` is the exporter, and `topic`,
`partition` and `consumergroup` say where the trouble is.
"""

from __future__ import annotations

from typing import Optional

from config.settings import KafkaSettings
from content.integrations.base import Exporter
from content.rules import Alert, Series, gauge_fixture, labels_of
from content.scrape import ScrapeJob

TOPIC = {"topic": "clips", "partition": "0"}  # the fixtures' partition


class Kafka(Exporter):
    key = "kafka"
    title = "Kafka exporter"
    port = 9308

    def args(self, own: KafkaSettings) -> list[str]:
        return [f"--kafka.server={broker}" for broker in own.address]

    def alerts(self, own: KafkaSettings, job: ScrapeJob) -> list[Alert]:
        sel = job.selector

        def under_replicated(_t: Optional[float], fire: bool) -> list[Series]:
            return [Series(f"kafka_topic_partition_under_replicated_partition{labels_of(sel, **TOPIC)}",
                           1 if fire else 0)]

        return [
            # Lag summed over a group's partitions of one topic: how many messages it is behind.
            Alert(
                name="KafkaConsumerGroupLag",
                expr=f"sum by (instance, consumergroup, topic) (kafka_consumergroup_lag{{{sel}}}) > $threshold",
                threshold=1000, threshold_kind="count", for_="15m", severity="warning",
                summary="Kafka consumer group more than $threshold messages behind",
                description="Consumer group {{ $labels.consumergroup }} is {{ $value }} messages behind on topic "
                "{{ $labels.topic }} (exporter {{ $labels.instance }}).",
                fixture=gauge_fixture("kafka_consumergroup_lag", sel, consumergroup="clip-workers", **TOPIC),
            ),
            # A partition with fewer in-sync replicas than replicas: one more broker loss may lose data.
            Alert(
                name="KafkaUnderReplicatedPartitions",
                expr=f"sum by (instance, topic) (kafka_topic_partition_under_replicated_partition{{{sel}}}) > 0",
                for_="10m", severity="critical",
                summary="Kafka partitions are under-replicated",
                description="Topic {{ $labels.topic }} has {{ $value }} under-replicated partitions "
                "(exporter {{ $labels.instance }}) for 10 minutes.",
                fixture=under_replicated,
            ),
        ]
