"""Platforms run workloads described by `content.plan.ServicePlan`; components never know
which platform they talk to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional, Protocol

import pulumi

from content.service_plan import ServicePlan


class Platform(Protocol):
    """Implementations: `docker.DockerPlatform` and `kubernetes.KubernetesPlatform`, each a
    ComponentResource built as `XPlatform(name, XArgs.of(settings, topology, plan), opts)`: it
    declares the stack-wide resources as its children (a network; or a provider, a namespace,
    policies and an Ingress), then is asked to `run` each service."""

    network_name: pulumi.Output[str]
    """Where the services meet: the Docker network, or the Kubernetes namespace."""

    def run(self, name: str, plan: ServicePlan, secrets: Mapping[str, pulumi.Output[str]],
            opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
        """Declare the workload of `plan` (and its volumes and files), each named `<name>-...` and
        declared with `opts` (the service's component as parent); return the workload resource
        itself (a container, a StatefulSet, ...)."""


def stack_wide_options(platform: pulumi.ComponentResource,
                       opts: Optional[pulumi.ResourceOptions]) -> pulumi.ResourceOptions:
    """Options of a platform's stack-wide children: the platform as parent, and an alias to the
    platform's own parent, which declared them before the platforms were components. Without
    the alias their URNs would change, and `pulumi up` would delete and recreate the network, the
    provider, the policies, and fail on the protected namespace of every existing stack
    (tests/test_platforms.py under mocks, tests/test_engine.py with the real engine)."""
    old_parent = opts.parent if opts is not None else None
    aliases = [pulumi.Alias(parent=old_parent)] if old_parent is not None else None
    return pulumi.ResourceOptions(parent=platform, aliases=aliases)
