"""Pinned upstream images, and how a stack points them at a mirror.

Versions are pinned (no `latest`) so that two `pulumi up` runs deploy the same bits. Prometheus
and Alertmanager are also built from source at exactly these versions by `scripts/build-tools`
(tools/prometheus, tools/alertmanager), and the tests and the live harness run those builds.
Exporters' images are pinned by their integrations (content/integrations/<key>.py, `image`),
each with where its version was checked.
"""

from __future__ import annotations

from config.settings import Images

PROMETHEUS_VERSION = "3.16.0"  # module github.com/prometheus/prometheus v0.316.0, 2026-11-05
ALERTMANAGER_VERSION = "0.35.0"  # 2026-11-09
THANOS_VERSION = "0.42.3"  # newest that Go 1.26.8 builds (v0.42.4+ need Go >= 1.26.10)

# The stack's own services; each integration pins its exporter's image in its own module.
CORE_IMAGES: dict[str, str] = {
    "prometheus": f"quay.io/prometheus/prometheus:v{PROMETHEUS_VERSION}",
    "alertmanager": f"quay.io/prometheus/alertmanager:v{ALERTMANAGER_VERSION}",
    # Grafana's modules are AGPL and not built here: kept at the line the dashboards target.
    "grafana": "docker.io/grafana/grafana-oss:11.6.0",
    # Sidecar, store gateway, compactor and Query (the `thanos` block); v0.42.4+ need a newer Go
    # than the tests' builds have, so the live tests run exactly this version.
    "thanos": f"quay.io/thanos/thanos:v{THANOS_VERSION}",
}


def image_ref(name: str, upstream: str, images: Images) -> str:
    """The reference to pull for image `name` (pinned at `upstream`): an override, else upstream
    with its registry host swapped for `images.registry` (the path and tag stay, as mirrors
    keep them)."""
    if name in images.overrides:
        return images.overrides[name]
    if not images.registry:
        return upstream
    _, path = upstream.split("/", 1)
    return f"{images.registry.rstrip('/')}/{path}"


def core_image(name: str, images: Images) -> str:
    """The reference to pull for one of the stack's own services (CORE_IMAGES)."""
    return image_ref(name, CORE_IMAGES[name], images)
