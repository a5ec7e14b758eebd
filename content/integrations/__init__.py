"""Registry of exporter integrations. Components, Prometheus and the rules iterate over it,
so a new exporter is its module plus one line here (and its settings key)."""

from __future__ import annotations

from content.integrations.base import Exporter
from content.integrations.blackbox import Blackbox
from content.integrations.cadvisor import Cadvisor
from content.integrations.kafka import Kafka
from content.integrations.kubernetes import Kubernetes
from content.integrations.mongodb import Mongodb
from content.integrations.mysql import Mysql
from content.integrations.node import Node
from content.integrations.postgres import Postgres
from content.integrations.rabbitmq import Rabbitmq
from content.integrations.redis import Redis
from content.integrations.windows import Windows

EXPORTERS: tuple[Exporter, ...] = (
    Node(), Cadvisor(), Redis(), Postgres(), Mysql(), Mongodb(), Blackbox(), Windows(), Rabbitmq(), Kafka(), Kubernetes(),
)
