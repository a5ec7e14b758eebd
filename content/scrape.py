"""Scrape jobs: the one description from which prometheus.yml and every rule selector come."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass(frozen=True)
class ScrapeJob:
    """One Prometheus scrape job. `selector` is what rules and dashboards must use to find its
    series, so that they cannot drift from the job (kubernetes-mixin's selector lesson)."""

    name: str
    targets: tuple[str, ...]
    metrics_path: str = "/metrics"
    scheme: str = "http"
    interval: Optional[str] = None
    timeout: Optional[str] = None
    params: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # For multi-target exporters (blackbox): the exporter that performs the probe.
    probe_via: Optional[str] = None
    basic_auth_password_file: Optional[str] = None
    basic_auth_user: Optional[str] = None
    ca_file: Optional[str] = None  # verify an https target against this CA
    labels: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def selector(self) -> str:
        return f'job="{self.name}"'

    def render(self) -> dict[str, Any]:
        job: dict[str, Any] = {"job_name": self.name}
        if self.interval:
            job["scrape_interval"] = self.interval
        if self.timeout:
            job["scrape_timeout"] = self.timeout
        if self.metrics_path != "/metrics":
            job["metrics_path"] = self.metrics_path
        if self.scheme != "http":
            job["scheme"] = self.scheme
        if self.params:
            job["params"] = {k: list(v) for k, v in self.params}
        if self.basic_auth_password_file:
            job["basic_auth"] = {"username": self.basic_auth_user, "password_file": self.basic_auth_password_file}
        if self.ca_file:
            job["tls_config"] = {"ca_file": self.ca_file}
        static: dict[str, Any] = {"targets": list(self.targets)}
        if self.labels:
            static["labels"] = dict(self.labels)
        job["static_configs"] = [static]
        if self.probe_via:
            job["relabel_configs"] = [
                {"source_labels": ["__address__"], "target_label": "__param_target"},
                {"source_labels": ["__param_target"], "target_label": "instance"},
                {"target_label": "__address__", "replacement": self.probe_via},
            ]
        return job
