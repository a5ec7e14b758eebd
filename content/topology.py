"""Where each service lives and how users reach it: names on the platform's network, route
prefixes and external URLs, derived once from the exposure settings."""

from __future__ import annotations

from dataclasses import dataclass

from config.settings import Settings

UI_SERVICES = ("prometheus", "alertmanager", "grafana")
INTERNAL_PORTS = {"prometheus": 9090, "alertmanager": 9093, "grafana": 3000}


@dataclass(frozen=True)
class Topology:
    settings: Settings

    @property
    def name_prefix(self) -> str:
        """The network's name and every container's prefix (`monstack-<env>` unless set)."""
        return self.settings.network_name or f"monstack-{self.settings.environment}"

    def host(self, service: str) -> str:
        """Address of a service on the platform network (Docker: the container alias)."""
        return service

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
