"""Cluster access as RBAC: the plan's `AccessRule`s become one ClusterRole per service (named
after the namespace, since cluster-scoped names are shared by every stack on the cluster)."""

from __future__ import annotations

from typing import Any

from content.workload import AccessRule


def rule(access: AccessRule) -> dict[str, Any]:
    if access.non_resource_urls:
        return {"nonResourceURLs": list(access.non_resource_urls), "verbs": list(access.verbs)}
    return {"apiGroups": list(access.api_groups), "resources": list(access.resources), "verbs": list(access.verbs)}


def cluster_role_name(namespace: str, service: str) -> str:
    return f"{namespace}-{service}"


def binding_subjects(namespace: str, service: str) -> list[dict[str, Any]]:
    return [{"kind": "ServiceAccount", "name": service, "namespace": namespace}]
