"""Platforms run workloads described by `content.plan.ServicePlan`; components never know
which platform they talk to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import pulumi

from content.service_plan import ServicePlan


class Platform(Protocol):
    """Implementations: `docker.DockerPlatform` and `kubernetes.KubernetesPlatform`, both built as
    `Platform(name, settings, plan=stack_plan, parent=stack)` (stack-wide resources first: a
    network, or a provider, namespace and policies), then asked to `run` each service."""

    network_name: pulumi.Output[str]
    """Where the services meet: the Docker network, or the Kubernetes namespace."""

    def run(
        self, plan: ServicePlan, secrets: Mapping[str, pulumi.Output[str]], parent: pulumi.Resource
    ) -> pulumi.CustomResource:
        """Declare the workload of `plan` (and its volumes and files) as children of `parent`;
        return the workload resource itself (a container, a StatefulSet, ...)."""
