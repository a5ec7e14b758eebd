"""Kafka through kafka-exporter: consumer group lag (the number that says whether consumers keep
up), partitions under-replicated or without a leader, and the message rate per topic."""

from __future__ import annotations

from content.dashboards.common import RED, Board, Context, Query, add, board, graph, make_uid, single

UID = make_uid("kafka")


def dashboards(ctx: Context) -> list[Board]:
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
