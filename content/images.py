"""Pinned upstream images, and how a stack points them at a mirror.

Versions are pinned (no `latest`) so that two `pulumi up` runs deploy the same bits; the
generated configuration is also accepted by the older Debian builds the tests run.
"""

from __future__ import annotations

from config.settings import Images

UPSTREAM: dict[str, str] = {
    "prometheus": "quay.io/prometheus/prometheus:v2.53.2",
    "alertmanager": "quay.io/prometheus/alertmanager:v0.27.0",
    "grafana": "docker.io/grafana/grafana-oss:11.6.0",
    "node": "quay.io/prometheus/node-exporter:v1.8.2",
    "cadvisor": "gcr.io/cadvisor/cadvisor:v0.49.1",
    "redis": "docker.io/oliver006/redis_exporter:v1.62.0",
    "postgres": "quay.io/prometheuscommunity/postgres-exporter:v0.15.0",
    "mysql": "quay.io/prometheus/mysqld-exporter:v0.15.1",
    "mongodb": "docker.io/percona/mongodb_exporter:0.40.0",
    "blackbox": "quay.io/prometheus/blackbox-exporter:v0.25.0",
    "kube-state-metrics": "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0",
    "kafka": "docker.io/danielqsj/kafka-exporter:v1.8.0",
    # Sidecar, store gateway, compactor and Query (the `thanos` block); v0.42.4+ need a newer Go
    # than the tests' builds have, so the live tests run exactly this version.
    "thanos": "quay.io/thanos/thanos:v0.42.3",
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
