"""Pinned upstream images, and how a stack points them at a mirror.

Versions are pinned (no `latest`) so that two `pulumi up` runs deploy the same bits. Prometheus
and Alertmanager are also built from source at exactly these versions by `scripts/build-tools`
(tools/prometheus, tools/alertmanager), and the tests and the live harness run those builds.
Where each exporter's version was checked (2026-11-30): node-exporter and cAdvisor on the Go
module proxy (its newest tags); the others, whose modules the proxy here refuses, from their
upstream release notes.
"""

from __future__ import annotations

from config.settings import Images

PROMETHEUS_VERSION = "3.16.0"  # module github.com/prometheus/prometheus v0.316.0, 2026-11-05
ALERTMANAGER_VERSION = "0.35.0"  # 2026-11-09
THANOS_VERSION = "0.42.3"  # newest that Go 1.26.8 builds (v0.42.4+ need Go >= 1.26.10)

UPSTREAM: dict[str, str] = {
    "prometheus": f"quay.io/prometheus/prometheus:v{PROMETHEUS_VERSION}",
    "alertmanager": f"quay.io/prometheus/alertmanager:v{ALERTMANAGER_VERSION}",
    # Grafana's modules are AGPL and not built here: kept at the line the dashboards target.
    "grafana": "docker.io/grafana/grafana-oss:11.6.0",
    "node": "quay.io/prometheus/node-exporter:v1.12.1",  # Go proxy, 2026-07-14
    "cadvisor": "gcr.io/cadvisor/cadvisor:v0.60.6",  # Go proxy, 2026-09-09
    "redis": "docker.io/oliver006/redis_exporter:v1.81.0",  # release notes, 2026-03
    "postgres": "quay.io/prometheuscommunity/postgres-exporter:v0.20.1",  # release notes, 2026-07
    "mysql": "quay.io/prometheus/mysqld-exporter:v0.20.0",  # release notes, 2026-08-12
    "mongodb": "docker.io/percona/mongodb_exporter:0.48.0",  # release notes, 2026-02
    "blackbox": "quay.io/prometheus/blackbox-exporter:v0.26.0",  # newest release notes found, 2025-03
    "kube-state-metrics": "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.18.0",  # 2026-02
    "kafka": "docker.io/danielqsj/kafka-exporter:v1.8.0",  # no newer release found
    # Sidecar, store gateway, compactor and Query (the `thanos` block); v0.42.4+ need a newer Go
    # than the tests' builds have, so the live tests run exactly this version.
    "thanos": f"quay.io/thanos/thanos:v{THANOS_VERSION}",
    # windows and rabbitmq run no container of ours (scrape-only), hence no image.
}


def image_ref(name: str, images: Images) -> str:
    """The reference to pull for image `name`: an override, else upstream with its registry
    host swapped for `images.registry` (the path and tag stay, as mirrors keep them)."""
    if name in images.overrides:
        return images.overrides[name]
    upstream = UPSTREAM[name]
    if not images.registry:
        return upstream
    _, path = upstream.split("/", 1)
    return f"{images.registry.rstrip('/')}/{path}"
