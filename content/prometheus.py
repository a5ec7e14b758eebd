"""prometheus.yml and Prometheus' command line, from the Prometheus settings, the topology and
the stack's scrape jobs."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from config.prometheus import PrometheusSettings, ScrapeLimits
from config.units import size_bytes
from content.scrape import ScrapeJob
from content.topology import INTERNAL_PORTS, Topology
from content.web import TLS_CA_FILE
from content.workload import CONFIG_DIR
from content.yamlio import dump

DATA_DIR = "/prometheus"
WEB_PASSWORD_FILE = "secrets/web-password"  # relative: resolved beside prometheus.yml


def _ca_file(topology: Topology, service: str) -> str | None:
    """The CA that verifies a service whose listener has TLS."""
    return TLS_CA_FILE if topology.scheme(service) == "https" else None


def platform_jobs(self_scrape_interval: str, web_user: str, topology: Topology) -> list[ScrapeJob]:
    """Scrape jobs of Prometheus itself and of Alertmanager, both behind basic auth (and TLS
    when configured), under their route prefixes."""
    jobs = []
    for service, hosts, interval in (
        # Replicas scrape each other too: the one alive sees its peer down.
        ("prometheus", ("localhost",) if topology.replicas("prometheus") == 1 else topology.instances("prometheus"),
         self_scrape_interval),
        ("alertmanager", topology.instances("alertmanager"), None),
    ):
        jobs.append(ScrapeJob(
            name=service,
            targets=tuple(f"{host}:{INTERNAL_PORTS[service]}" for host in hosts),
            metrics_path=f"{topology.route_prefix(service).rstrip('/')}/metrics",
            scheme=topology.scheme(service),
            ca_file=_ca_file(topology, service),
            interval=interval,
            basic_auth_user=web_user,
            basic_auth_password_file=WEB_PASSWORD_FILE,
        ))
    return jobs


def _retargeted(moved: Mapping[str, str], job: ScrapeJob) -> ScrapeJob:
    """The job with `targetOverrides` (`moved`) applied to its targets and its probing exporter."""
    if not moved:
        return job
    return dataclasses.replace(
        job,
        targets=tuple(moved.get(t, t) for t in job.targets),
        probe_via=moved.get(job.probe_via, job.probe_via) if job.probe_via else None,
    )


def stack_label_relabeling(stack_labels: Mapping[str, str]) -> list[dict[str, str]]:
    """`environment` and `cluster` on every scraped series, not only in `external_labels`
    (which Prometheus adds to series leaving it, never to local queries): dashboards filter on
    them locally and in a central store alike. Relabeling works for any service discovery;
    the values equal the external labels, so remote write and alerts are unchanged."""
    return [{"target_label": name, "replacement": stack_labels[name]} for name in ("environment", "cluster")]


def limit_config(limits: ScrapeLimits) -> dict[str, object]:
    """A job's cardinality limits as Prometheus' scrape-config keys (the same names in snake
    case), plus `extra_scrape_metrics`: the per-target `scrape_sample_limit` and
    `scrape_body_size_bytes` series that tell which job nears or hits its limit."""
    out: dict[str, object] = dict(limits.model_dump(exclude_none=True))
    if limits.body_size_limit:
        out["body_size_limit"] = f"{size_bytes(limits.body_size_limit)}B"
    out["extra_scrape_metrics"] = True
    return out


def _scrape_config(job: ScrapeJob, stack_labels: Mapping[str, str], limits: ScrapeLimits) -> dict:
    rendered = job.render()
    rendered.update(limit_config(limits))
    rendered["relabel_configs"] = rendered.get("relabel_configs", []) + stack_label_relabeling(stack_labels)
    return rendered


def prometheus_config(prom: PrometheusSettings, stack_labels: Mapping[str, str], web_user: str,
                      target_overrides: Mapping[str, str], topology: Topology, jobs: list[ScrapeJob],
                      rule_files: list[str], replica_labels: Mapping[str, str] | None = None,
                      alert_relabel_configs: Sequence[Mapping[str, str]] = ()) -> str:
    """prometheus.yml: the global intervals, the stack's `cluster` and `environment` labels
    (`stack_labels`), every Alertmanager replica and every scrape job, with the addresses
    `target_overrides` moves (the live tests' loopback processes). `replica_labels` tell
    replicas apart in a store that holds them all (Thanos); `alert_relabel_configs` then drop
    them from alerts, which the replicas send alike."""
    am_prefix = topology.route_prefix("alertmanager").rstrip("/")
    doc = {
        "global": {
            "scrape_interval": prom.scrape_interval,
            "scrape_timeout": prom.scrape_timeout,
            "evaluation_interval": prom.evaluation_interval,
            "external_labels": {"cluster": stack_labels["cluster"], "environment": stack_labels["environment"],
                                **(replica_labels or {})},
        },
        "rule_files": sorted(rule_files),
        "alerting": {
            **({"alert_relabel_configs": [dict(r) for r in alert_relabel_configs]} if alert_relabel_configs else {}),
            "alertmanagers": [{
                # Alertmanager's v1 API is gone (Prometheus 3 sends v2 only); said, not assumed.
                "api_version": "v2",
                "basic_auth": {"username": web_user, "password_file": WEB_PASSWORD_FILE},
                **({"path_prefix": am_prefix} if am_prefix else {}),
                **({"scheme": "https", "tls_config": {"ca_file": TLS_CA_FILE}}
                   if topology.scheme("alertmanager") == "https" else {}),
                # Every replica: each alert goes to all of them, and they deduplicate by gossip.
                "static_configs": [{"targets": [
                    target_overrides.get(address, address)
                    for address in (f"{host}:{INTERNAL_PORTS['alertmanager']}" for host in topology.instances("alertmanager"))
                ]}],
            }],
        },
        "scrape_configs": [_scrape_config(_retargeted(target_overrides, job), stack_labels, prom.limits_for(job.name))
                           for job in jobs],
        # In the file, not in flags: Prometheus 3.16 deprecates --storage.tsdb.retention.*, and a
        # reload (no restart) applies a changed retention.
        "storage": {"tsdb": {"retention": {"time": prom.retention.time, "size": prom.retention.size}}},
    }
    return dump(doc, header=f"Generated by monstack for {stack_labels['cluster']}; do not edit.")


def prometheus_args(prom: PrometheusSettings, log_level: str, topology: Topology) -> list[str]:
    return [
        f"--config.file={CONFIG_DIR}/prometheus.yml",
        f"--web.config.file={CONFIG_DIR}/web.yml",
        f"--storage.tsdb.path={DATA_DIR}",
        f"--web.external-url={topology.external_url('prometheus')}",
        f"--web.route-prefix={topology.route_prefix('prometheus')}",
        f"--log.level={log_level}",
        "--web.enable-lifecycle",
    ]
