"""The ComponentResources of the stack: one class per service kind, all built on one
mechanism (`ServiceComponent`), so Prometheus, Alertmanager, Grafana and every exporter
are declared the same way and differ only in their plan and outputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional

import pulumi

from components.platforms import Platform
from content.service_plan import ServicePlan

PACKAGE = "monstack"


class ServiceComponent(pulumi.ComponentResource):
    kind = "Service"

    def __init__(self, name: str, plan: ServicePlan, platform: Platform,
                 secrets: Mapping[str, pulumi.Output[str]], opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(f"{PACKAGE}:monitoring:{self.kind}", name, None, opts)
        self.plan = plan
        self.workload = platform.run(name, plan, secrets, pulumi.ResourceOptions(parent=self))
        """The resource that runs the service on its platform."""
        self.address = pulumi.Output.from_input(f"{plan.name}:{plan.port}")
        """Address of the service on the stack's network."""
        self.register_outputs({"address": self.address})


class Prometheus(ServiceComponent):
    kind = "Prometheus"


class Alertmanager(ServiceComponent):
    kind = "Alertmanager"


class Grafana(ServiceComponent):
    kind = "Grafana"


class Thanos(ServiceComponent):
    """A Thanos component over the bucket: store gateway, compactor or Query (the sidecar runs
    inside the Prometheus workload)."""

    kind = "Thanos"


class Exporter(ServiceComponent):
    kind = "Exporter"
