"""NetworkPolicies: deny everything in the namespace, then allow exactly what the plans say:
DNS for everyone, scrapes (Prometheus to each scraped port), Grafana to Prometheus,
Prometheus to Alertmanager, Alertmanager replicas to each other, the ingress controller to
the UIs, and each service's own egress."""

from __future__ import annotations

from typing import Any

from components.platforms.kube.pods import selector_labels
from content.service_plan import ServicePlan

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"  # set by the API server on every namespace
API_SERVER_PORTS = (443, 6443)


def default_deny() -> dict[str, Any]:
    return {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def allow_dns() -> dict[str, Any]:
    # Any address on port 53: cluster DNS may be a Service, or a node-local cache on a link-local IP.
    return {"podSelector": {}, "policyTypes": ["Egress"],
            "egress": [{"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}]}


def _app(name: str, environment: str) -> dict[str, Any]:
    return {"podSelector": {"matchLabels": {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": environment}}}


def service_policy(plan: ServicePlan, environment: str, ingress_namespace: str | None) -> dict[str, Any]:
    """Who may connect to the service, and where it may connect. `ingress_namespace` is the
    ingress controller's namespace when an Ingress serves the UIs."""
    port = [{"port": plan.port, "protocol": "TCP"}]
    ingress: list[dict[str, Any]] = []
    if plan.clients:
        # Clients reach every port of the pod (Thanos Query: the sidecar's gRPC beside Prometheus' HTTP).
        ingress.append({"from": [_app(c, environment) for c in plan.clients],
                        "ports": [{"port": p, "protocol": "TCP"} for _, p in plan.all_ports]})
    if plan.ui and ingress_namespace:
        ingress.append({"from": [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: ingress_namespace}}}],
                        "ports": port})
    if plan.peer_port:
        ingress.append({"from": [_app(plan.name, environment)],
                        "ports": [{"port": plan.peer_port, "protocol": "TCP"}, {"port": plan.peer_port, "protocol": "UDP"}]})
    egress: list[dict[str, Any]] = []
    out = plan.egress
    if out.anywhere:
        egress.append({})
    else:
        if out.services:
            egress.append({"to": [_app(s, environment) for s in out.services]})
        ports = list(out.ports) + (list(API_SERVER_PORTS) if out.cluster_api else [])
        if ports:
            egress.append({"ports": [{"port": p, "protocol": "TCP"} for p in ports]})
        if plan.peer_port:
            egress.append({"to": [_app(plan.name, environment)],
                           "ports": [{"port": plan.peer_port, "protocol": "TCP"}, {"port": plan.peer_port, "protocol": "UDP"}]})
    spec: dict[str, Any] = {"podSelector": {"matchLabels": selector_labels(plan, environment)},
                            "policyTypes": ["Ingress", "Egress"]}
    if ingress:
        spec["ingress"] = ingress
    if egress:
        spec["egress"] = egress
    return spec
