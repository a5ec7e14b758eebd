"""Scrape jobs: the one description from which prometheus.yml and every rule selector come."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional


@dataclass(frozen=True)
class ScrapeJob:
    """One Prometheus scrape job. `selector` is what rules and dashboards must use to find its
    series, so that they cannot drift from the job (kubernetes-mixin's selector lesson)."""

    name: str
    targets: tuple[str, ...] = ()
    metrics_path: str = "/metrics"
    scheme: str = "http"
    interval: Optional[str] = None
    timeout: Optional[str] = None
    params: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # For multi-target exporters (blackbox): the exporter that performs the probe.
    probe_via: Optional[str] = None
    # False for targets that live elsewhere (a Windows host, a remote broker, probed URLs): they
    # get no `host` label, so the stack host's NodeDown never hides their alerts.
    on_stack_host: bool = True
    basic_auth_password_file: Optional[str] = None
    basic_auth_user: Optional[str] = None
    ca_file: Optional[str] = None  # verify an https target against this CA
    labels: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    # Targets found through the Kubernetes API instead of (or besides) static targets.
    kubernetes_sd: tuple[dict[str, Any], ...] = ()
    relabel_configs: tuple[dict[str, Any], ...] = ()
    honor_labels: bool = False  # keep the target's own namespace/pod labels (kube-state-metrics)
    credentials_file: Optional[str] = None  # bearer token (the pod's service account)
    insecure_skip_verify: bool = False  # kubelets serve self-signed certificates by default
    # Prometheus 3 fails a scrape whose Content-Type is missing or unknown unless told how to read
    # it: set for targets we do not control (applications), never for exporters that send it.
    fallback_protocol: Optional[str] = None

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
        if self.honor_labels:
            job["honor_labels"] = True
        if self.fallback_protocol:
            job["fallback_scrape_protocol"] = self.fallback_protocol
        if self.params:
            job["params"] = {k: list(v) for k, v in self.params}
        if self.basic_auth_password_file:
            job["basic_auth"] = {"username": self.basic_auth_user, "password_file": self.basic_auth_password_file}
        if self.credentials_file:
            job["authorization"] = {"credentials_file": self.credentials_file}
        if self.ca_file or self.insecure_skip_verify:
            job["tls_config"] = {**({"ca_file": self.ca_file} if self.ca_file else {}),
                                 **({"insecure_skip_verify": True} if self.insecure_skip_verify else {})}
        if self.kubernetes_sd:
            job["kubernetes_sd_configs"] = [dict(sd) for sd in self.kubernetes_sd]
        if self.targets:
            static: dict[str, Any] = {"targets": list(self.targets)}
            if self.labels:
                static["labels"] = dict(self.labels)
            job["static_configs"] = [static]
        relabel = [dict(r) for r in self.relabel_configs]
        if self.probe_via:
            relabel += [
                {"source_labels": ["__address__"], "target_label": "__param_target"},
                {"source_labels": ["__param_target"], "target_label": "instance"},
                {"target_label": "__address__", "replacement": self.probe_via},
            ]
        if relabel:
            job["relabel_configs"] = relabel
        return job


def copy_label(source: str, target: str) -> dict[str, Any]:
    """A relabel step that copies one discovery label onto the series."""
    return {"source_labels": [source], "target_label": target}


# The labels every series found through Kubernetes carries, by discovery role, so that rules and
# dashboards can select and aggregate by namespace, pod, node and service on every job alike.
KUBERNETES_LABELS: dict[str, tuple[dict[str, Any], ...]] = {
    "pod": (copy_label("__meta_kubernetes_namespace", "namespace"),
            copy_label("__meta_kubernetes_pod_name", "pod"),
            copy_label("__meta_kubernetes_pod_node_name", "node")),
    "endpoints": (copy_label("__meta_kubernetes_namespace", "namespace"),
                  copy_label("__meta_kubernetes_pod_name", "pod"),
                  copy_label("__meta_kubernetes_pod_node_name", "node"),
                  copy_label("__meta_kubernetes_service_name", "service")),
    "node": (copy_label("__meta_kubernetes_node_name", "node"),),
}


def pod_discovery(namespace: str, app: str, port: int) -> dict[str, Any]:
    """ScrapeJob fields that find one target per pod of workload `app` (a DaemonSet's pod on
    every node) through the Kubernetes API, with its namespace, pod and node labels."""
    return {
        "kubernetes_sd": ({"role": "pod", "namespaces": {"names": [namespace]}},),
        "relabel_configs": (
            {"source_labels": ["__meta_kubernetes_pod_label_app_kubernetes_io_name"], "action": "keep", "regex": app},
            {"source_labels": ["__meta_kubernetes_pod_container_port_number"], "action": "keep", "regex": str(port)},
            *KUBERNETES_LABELS["pod"],
        ),
    }
