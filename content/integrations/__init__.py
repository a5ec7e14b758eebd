"""The list of integrations, and everything derived from it.

`INTEGRATIONS` is the one place that names them. Adding an integration is its module (settings
model, image, jobs, alerts with fixtures, recording rules, dashboards: see `unit.py`), its
runbook pages under docs/runbooks/, and one line here. The settings schema of a stack's
`exporters` block, the images a stack may override, the plan's workloads, rule files and
dashboards, the tests' matrix and the README's key table all come from this list.
"""

from __future__ import annotations

from typing import Any, Optional

from pydantic import create_model

from config.exporters import ExportersBase
from content.integrations.blackbox import Blackbox
from content.integrations.cadvisor import Cadvisor
from content.integrations.kafka import Kafka
from content.integrations.kubernetes import Kubernetes
from content.integrations.mongodb import Mongodb
from content.integrations.mysql import Mysql
from content.integrations.nginx import Nginx
from content.integrations.node import Node
from content.integrations.postgres import Postgres
from content.integrations.rabbitmq import Rabbitmq
from content.integrations.redis import Redis
from content.integrations.unit import Integration
from content.integrations.windows import Windows

INTEGRATIONS: tuple[Integration, ...] = (
    Node(),
    Cadvisor(),
    Redis(),
    Postgres(),
    Mysql(),
    Mongodb(),
    Blackbox(),
    Windows(),
    Rabbitmq(),
    Kafka(),
    Kubernetes(),
    Nginx(),
)


def _default(model: type) -> Optional[Any]:
    """A block's default when a stack leaves it out: the model's defaults when it has no required
    field (so `exporters.node` always exists, disabled), else None (a database needs its address)."""
    if all(not field.is_required() for field in model.model_fields.values()):
        return model()
    return None


def exporters_model(integrations: tuple[Integration, ...]) -> type[ExportersBase]:
    """The `exporters` block of a stack: one field per integration, keyed by its key, typed by
    its settings model. Keys no integration declares are refused (extra="forbid")."""
    fields: dict[str, Any] = {}
    for integration in integrations:
        model = integration.settings_model
        default = _default(model)
        fields[integration.key] = (model if default is not None else Optional[model], default)
    return create_model("Exporters", __base__=ExportersBase, **fields)


EXPORTERS_MODEL = exporters_model(INTEGRATIONS)
# Images a stack may replace (`images.overrides.<name>`) beside the stack's own services'.
INTEGRATION_IMAGES: dict[str, str] = {name: ref for i in INTEGRATIONS for name, ref in i.pinned_images().items()}
