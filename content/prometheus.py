"""prometheus.yml and Prometheus' command line, from settings and the stack's scrape jobs."""

from __future__ import annotations

import dataclasses

from config.settings import ScrapeLimits, Settings
from config.units import size_bytes
from content.integrations.base import CONFIG_DIR
from content.scrape import ScrapeJob
from content.topology import INTERNAL_PORTS, Topology
from content.web import TLS_CA_FILE
from content.yamlio import dump

DATA_DIR = "/prometheus"
WEB_PASSWORD_FILE = "secrets/web-password"  # relative: resolved beside prometheus.yml


def _ca_file(settings: Settings) -> str | None:
    return TLS_CA_FILE if settings.web_tls else None


def platform_jobs(settings: Settings, topology: Topology) -> list[ScrapeJob]:
    """Scrape jobs of Prometheus itself and of Alertmanager, both behind basic auth (and TLS
    when configured), under their route prefixes."""
    jobs = []
    for service, hosts, interval in (
        ("prometheus", ("localhost",), settings.prometheus.self_scrape_interval),
        ("alertmanager", topology.instances("alertmanager"), None),
    ):
        jobs.append(ScrapeJob(
            name=service,
            targets=tuple(f"{host}:{INTERNAL_PORTS[service]}" for host in hosts),
            metrics_path=f"{topology.route_prefix(service).rstrip('/')}/metrics",
            scheme=topology.scheme(service),
            ca_file=_ca_file(settings),
            interval=interval,
            basic_auth_user=settings.web_user,
            basic_auth_password_file=WEB_PASSWORD_FILE,
        ))
    return jobs


def _retargeted(settings: Settings, job: ScrapeJob) -> ScrapeJob:
    """The job with `targetOverrides` applied to its targets and its probing exporter."""
    moved = settings.target_overrides
    if not moved:
        return job
    return dataclasses.replace(
        job,
        targets=tuple(moved.get(t, t) for t in job.targets),
        probe_via=moved.get(job.probe_via, job.probe_via) if job.probe_via else None,
    )
def stack_label_relabeling(settings: Settings) -> list[dict[str, str]]:
    """`environment` and `cluster` on every scraped series, not only in `external_labels`
    (which Prometheus adds to series leaving it, never to local queries): dashboards filter on
    them locally and in a central store alike. Relabeling works for any service discovery;
    the values equal the external labels, so remote write and alerts are unchanged."""
    return [
        {"target_label": "environment", "replacement": settings.environment},
        {"target_label": "cluster", "replacement": settings.cluster},
    ]


def limit_config(limits: ScrapeLimits) -> dict[str, object]:
    """A job's cardinality limits as Prometheus' scrape-config keys (the same names in snake
    case), plus `extra_scrape_metrics`: the per-target `scrape_sample_limit` and
    `scrape_body_size_bytes` series that tell which job nears or hits its limit."""
    out: dict[str, object] = dict(limits.model_dump(exclude_none=True))
    if limits.body_size_limit:
        out["body_size_limit"] = f"{size_bytes(limits.body_size_limit)}B"
    out["extra_scrape_metrics"] = True
    return out


def _scrape_config(job: ScrapeJob, settings: Settings) -> dict:
    rendered = job.render()
    rendered.update(limit_config(settings.prometheus.limits_for(job.name)))
    rendered["relabel_configs"] = rendered.get("relabel_configs", []) + stack_label_relabeling(settings)
    return rendered


def prometheus_config(settings: Settings, topology: Topology, jobs: list[ScrapeJob], rule_files: list[str]) -> str:
    prom = settings.prometheus
    am_prefix = topology.route_prefix("alertmanager").rstrip("/")
    doc = {
        "global": {
            "scrape_interval": prom.scrape_interval,
            "scrape_timeout": prom.scrape_timeout,
            "evaluation_interval": prom.evaluation_interval,
            "external_labels": {"cluster": settings.cluster, "environment": settings.environment},
        },
        "rule_files": sorted(rule_files),
        "alerting": {
            "alertmanagers": [{
                # Alertmanager's v1 API is gone (Prometheus 3 sends v2 only); said, not assumed.
                "api_version": "v2",
                "basic_auth": {"username": settings.web_user, "password_file": WEB_PASSWORD_FILE},
                **({"path_prefix": am_prefix} if am_prefix else {}),
                **({"scheme": "https", "tls_config": {"ca_file": TLS_CA_FILE}} if settings.web_tls else {}),
                # Every replica: each alert goes to all of them, and they deduplicate by gossip.
                "static_configs": [{"targets": [
                    settings.target_overrides.get(address, address)
                    for address in (f"{host}:{INTERNAL_PORTS['alertmanager']}" for host in topology.instances("alertmanager"))
                ]}],
            }],
        },
        "scrape_configs": [_scrape_config(_retargeted(settings, job), settings) for job in jobs],
        # In the file, not in flags: Prometheus 3.16 deprecates --storage.tsdb.retention.*, and a
        # reload (no restart) applies a changed retention.
        "storage": {"tsdb": {"retention": {"time": prom.retention.time, "size": prom.retention.size}}},
    }
    return dump(doc, header=f"Generated by monstack for {settings.cluster}; do not edit.")


def prometheus_args(settings: Settings, topology: Topology) -> list[str]:
    return [
        f"--config.file={CONFIG_DIR}/prometheus.yml",
        f"--web.config.file={CONFIG_DIR}/web.yml",
        f"--storage.tsdb.path={DATA_DIR}",
        f"--web.external-url={topology.external_url('prometheus')}",
        f"--web.route-prefix={topology.route_prefix('prometheus')}",
        f"--log.level={settings.log_level}",
        "--web.enable-lifecycle",
    ]
