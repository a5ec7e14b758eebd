"""Where each service lives and how users reach it: names on the platform's network, route
prefixes and external URLs, derived once from the platform and exposure settings. This is the
one place that knows how an address looks on Docker (a container alias) and on Kubernetes
(`<service>.<namespace>.svc`, and `<pod>.<governing service>...` for each replica)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from config.settings import Settings
from content.scrape import pod_discovery

UI_SERVICES = ("prometheus", "alertmanager", "grafana")
INTERNAL_PORTS = {"prometheus": 9090, "alertmanager": 9093, "grafana": 3000}
# StatefulSets whose clients reach every replica by its own name: Prometheus sends alerts to each
# Alertmanager; Thanos Query reads each Prometheus replica's sidecar and each store gateway.
PER_REPLICA_ADDRESSES = ("alertmanager", "prometheus", "thanos-store")


@dataclass(frozen=True)
class Topology:
    settings: Settings

    @property
    def kubernetes(self) -> bool:
        return self.settings.platform == "kubernetes"

    @property
    def namespace(self) -> str:
        return self.settings.kubernetes_settings.namespace

    @property
    def name_prefix(self) -> str:
        """The network's name and every container's prefix (`monstack-<env>` unless set)."""
        return self.settings.network_name or f"monstack-{self.settings.environment}"

    @property
    def stack_host(self) -> Optional[str]:
        """The `host` label of every target on the stack's one Docker host (the network's name);
        None on Kubernetes, where pods move between nodes (content/routing.py says why)."""
        return None if self.kubernetes else self.name_prefix

    def host(self, service: str) -> str:
        """Address of a service on the platform network (Docker: the container alias;
        Kubernetes: the Service's name in the namespace)."""
        return f"{service}.{self.namespace}.svc" if self.kubernetes else service

    def replicas(self, service: str) -> int:
        """Instances of a service: on Kubernetes Alertmanager may run as a peered cluster,
        Prometheus as identical replicas, and Thanos' store gateway and Query as several."""
        if not self.kubernetes:
            return 1
        thanos = self.settings.thanos
        counts = {
            "alertmanager": self.settings.kubernetes_settings.alertmanager_replicas,
            "prometheus": self.settings.prometheus.replicas,
            "thanos-store": thanos.store_gateway.replicas if thanos else 1,
            "thanos-query": thanos.query.replicas if thanos else 1,
        }
        return counts.get(service, 1)

    @staticmethod
    def governing_service(service: str) -> str:
        """The headless Service that gives each replica of a StatefulSet its own DNS name."""
        return f"{service}-headless"

    def instances(self, service: str) -> tuple[str, ...]:
        """Address of every replica. Prometheus sends each alert to every Alertmanager (they
        deduplicate among themselves), so it must reach each one, not one behind a Service."""
        if not self.kubernetes or service not in PER_REPLICA_ADDRESSES:
            return (self.host(service),)
        governing = self.governing_service(service)
        return tuple(f"{service}-{i}.{governing}.{self.namespace}.svc" for i in range(self.replicas(service)))

    def scrape_targets(self, service: str, port: int, per_node: bool) -> dict[str, Any]:
        """ScrapeJob fields that reach a service: its address, or (for a workload that runs on
        every Kubernetes node) each of its pods found through the API."""
        if self.kubernetes and per_node:
            return pod_discovery(self.namespace, service, port)
        return {"targets": tuple(f"{host}:{port}" for host in self.instances(service))}

    def scheme(self, service: str) -> str:
        """https where the service's own listener has TLS (Prometheus, Alertmanager)."""
        return "https" if self.settings.web_tls and service in ("prometheus", "alertmanager") else "http"

    def internal_url(self, service: str) -> str:
        return f"{self.scheme(service)}://{self.host(service)}:{INTERNAL_PORTS[service]}{self.route_prefix(service).rstrip('/')}"

    def route_prefix(self, service: str) -> str:
        """Behind the reverse proxy each UI lives under its own sub-path (/prometheus, ...)."""
        return f"/{service}" if self.settings.exposure.mode == "proxy" else "/"

    def external_url(self, service: str) -> str:
        exposure = self.settings.exposure
        if exposure.mode == "proxy":
            return f"{exposure.public_url}/{service}"
        host = exposure.public_url or "http://127.0.0.1"
        if exposure.mode == "published" and exposure.public_url:
            return f"{exposure.public_url}:{exposure.ports[service]}"
        return f"{host}:{exposure.ports[service]}"

    def published_port(self, service: str) -> tuple[str, int] | None:
        """(host ip, host port) to publish, or None when only the proxy reaches the service."""
        exposure = self.settings.exposure
        if exposure.mode == "proxy":
            return None
        ip = "127.0.0.1" if exposure.mode == "localhost" else "0.0.0.0"
        return ip, exposure.ports[service]
