"""RabbitMQ through its built-in Prometheus plugin (`rabbitmq_prometheus`, port 15692, the
default aggregated metrics): messages ready and unacknowledged, publish and delivery rates,
connections, channels, consumers, memory and disk against their alarms. Built when the
rabbitmq integration (`content/integrations/rabbitmq.py`) is enabled and has targets."""

from __future__ import annotations

from content.dashboards.common import ORANGE, RED, Board, Context, Query, add, board, graph, make_uid, single

UID = make_uid("rabbitmq")


def dashboards(ctx: Context) -> list[Board]:
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
