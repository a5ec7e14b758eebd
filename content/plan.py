"""The whole stack as platform-neutral data: which services run, with which files,
arguments, credentials and limits. Components turn each `ServicePlan` into a workload on a
platform; the offline preview and the tests read the same plan through the program.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Optional

from config.settings import Resources, Settings
from content import alertmanager, application, grafana, prometheus, self_monitoring
from content.images import image_ref
from content.integrations import EXPORTERS
from content.integrations.base import CONFIG_DIR, HostAccess
from content.overrides import apply_overrides
from content.rules import RuleGroup, render_rule_file
from content.scrape import ScrapeJob
from content.topology import INTERNAL_PORTS, Topology
from content.web import TLS_CA_FILE, TLS_CERT_FILE, TLS_KEY_FILE, bcrypt_hash, web_config


@dataclass(frozen=True)
class SecretFile:
    """A file made of secrets: `render(*values)` gets the plain values of `keys`, inside a
    Pulumi apply, so the file stays a secret end to end."""

    path: str  # relative to CONFIG_DIR
    keys: tuple[str, ...]
    render: Callable[..., str]


@dataclass(frozen=True)
class ServicePlan:
    name: str  # workload name and address on the platform network
    bundle_dir: str  # where the preview writes its files
    image: str
    port: int
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # relative to CONFIG_DIR
    secret_files: tuple[SecretFile, ...] = ()
    secret_env: dict[str, str] = field(default_factory=dict)  # variable -> secret key
    data_path: Optional[str] = None  # persistent volume mounted here
    user: Optional[str] = "65534:65534"
    health: Optional[tuple[str, ...]] = None  # Docker-style test, e.g. ("CMD-SHELL", "...")
    host_access: Optional[HostAccess] = None
    read_only_root: bool = True
    publish: Optional[tuple[str, int]] = None
    resources: Resources = Resources()
    tmpfs: tuple[str, ...] = ()


@dataclass(frozen=True)
class StackPlan:
    services: tuple[ServicePlan, ...]
    jobs: tuple[ScrapeJob, ...]
    rule_groups: dict[str, list[RuleGroup]]  # rule file name -> groups, overrides applied
    generated_rule_groups: dict[str, list[RuleGroup]]  # before the stack's overrides

    def service(self, name: str) -> ServicePlan:
        return next(s for s in self.services if s.name == name)


def _http_check(port: int, path: str) -> tuple[str, ...]:
    return ("CMD", "wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{port}{path}")


def _authenticated_check(user: str, scheme: str, port: int, path: str) -> tuple[str, ...]:
    """A healthcheck through basic auth that reads the password from its file at run time,
    so the password is in neither the image, the command line nor the environment. Over TLS
    it skips verification: it talks to its own process on loopback, not to the certificate's name."""
    header = f'Authorization: Basic $(printf "%s:%s" "{user}" "$(cat {CONFIG_DIR}/secrets/web-password)" | base64)'
    insecure = "--no-check-certificate " if scheme == "https" else ""
    url = f"{scheme}://127.0.0.1:{port}{path}"
    return ("CMD-SHELL", f"wget -q {insecure}-O /dev/null --header \"{header}\" {url} || exit 1")


def build_plan(settings: Settings, salt_seed: str) -> StackPlan:
    """Every service of the stack; `salt_seed` makes the web password hash stable per stack."""
    topo = Topology(settings)
    web_user = settings.web_user
    web_password = SecretFile("secrets/web-password", ("webPassword",), lambda pw: pw)
    tls = settings.web_tls
    web_yml = SecretFile("web.yml", ("webPassword",),
                         lambda pw: web_config(web_user, bcrypt_hash(pw, salt_seed), tls=bool(tls)))
    # What Prometheus and Alertmanager need for TLS on their listeners, and Grafana to verify it.
    tls_files = {TLS_CERT_FILE: tls.certificate, TLS_CA_FILE: tls.ca or tls.certificate} if tls else {}
    tls_key = (SecretFile(TLS_KEY_FILE, (tls.key_secret,), lambda key: key),) if tls else ()

    services: list[ServicePlan] = []
    jobs: list[ScrapeJob] = []
    rule_groups: dict[str, list[RuleGroup]] = {}

    for exporter in EXPORTERS:
        if not exporter.enabled(settings):
            continue
        own = exporter.settings(settings)
        exporter_jobs = exporter.scrape_jobs(own, topo.host(exporter.service))
        jobs += exporter_jobs
        if exporter_jobs:
            rule_groups[f"{exporter.key}.yml"] = exporter.rule_groups(own, exporter_jobs)
        if not exporter.runs_workload:
            continue  # scrape-only: the exporter runs elsewhere (a Windows host, a broker's plugin)
        password_key = getattr(own, "password_secret", None)
        secret_files: tuple[SecretFile, ...] = ()
        secret_env: dict[str, str] = {}
        if password_key:
            secret_env_name = getattr(exporter, "secret_env", None)
            if secret_env_name:
                secret_env = {secret_env_name: password_key}
            else:
                for path in exporter.secret_files(own, "").keys():
                    secret_files += (SecretFile(
                        path, (password_key,),
                        lambda pw, exporter=exporter, own=own, path=path: exporter.secret_files(own, pw)[path],
                    ),)
        services.append(ServicePlan(
            name=exporter.service,
            bundle_dir=f"exporters/{exporter.key}",
            image=image_ref(exporter.key, settings.images),
            port=exporter.port,
            args=tuple(exporter.args(own)),
            env=exporter.env(own),
            files=exporter.files(own),
            secret_files=secret_files,
            secret_env=secret_env,
            user=exporter.user,
            health=_http_check(exporter.port, exporter.metrics_path) if exporter.has_wget else None,
            host_access=exporter.host_access,
            read_only_root=exporter.read_only_root,
            resources=own.resources or settings.exporter_resources,
        ))

    for app in settings.applications:
        job = application.scrape_job(app)
        jobs.append(job)
        rule_groups[f"app-{app.name}.yml"] = application.rule_groups(app)

    platform_jobs = prometheus.platform_jobs(settings, topo)
    rule_groups["monstack.yml"] = self_monitoring.rule_groups(settings, platform_jobs)
    generated_rule_groups, rule_groups = rule_groups, apply_overrides(rule_groups, settings.alert_overrides)
    all_jobs = platform_jobs + jobs
    rule_files = {
        f"rules/{name}": render_rule_file(groups, name, settings.runbook_base_url)
        for name, groups in sorted(rule_groups.items())
    }

    prom_prefix = topo.route_prefix("prometheus").rstrip("/")
    services.append(ServicePlan(
        name="prometheus",
        bundle_dir="prometheus",
        image=image_ref("prometheus", settings.images),
        port=INTERNAL_PORTS["prometheus"],
        args=tuple(prometheus.prometheus_args(settings, topo)),
        files={
            "prometheus.yml": prometheus.prometheus_config(settings, topo, all_jobs, list(rule_files)),
            **rule_files,
            **tls_files,
        },
        secret_files=(web_yml, web_password) + tls_key,
        data_path=prometheus.DATA_DIR,
        health=_authenticated_check(web_user, topo.scheme("prometheus"), INTERNAL_PORTS["prometheus"],
                                    f"{prom_prefix}/-/healthy"),
        publish=topo.published_port("prometheus"),
        resources=settings.prometheus.resources,
    ))

    am_prefix = topo.route_prefix("alertmanager").rstrip("/")
    receiver_files = tuple(
        SecretFile(f"secrets/{key}", (key,), lambda value: value)
        for key in alertmanager.receiver_secret_keys(settings)
    )
    services.append(ServicePlan(
        name="alertmanager",
        bundle_dir="alertmanager",
        image=image_ref("alertmanager", settings.images),
        port=INTERNAL_PORTS["alertmanager"],
        args=tuple(alertmanager.alertmanager_args(settings, topo)),
        files={"alertmanager.yml": alertmanager.alertmanager_config(settings), **tls_files},
        secret_files=(web_yml, web_password) + tls_key + receiver_files,
        data_path=alertmanager.DATA_DIR,
        health=_authenticated_check(web_user, topo.scheme("alertmanager"), INTERNAL_PORTS["alertmanager"],
                                    f"{am_prefix}/-/healthy"),
        publish=topo.published_port("alertmanager"),
        resources=settings.alertmanager.resources,
    ))

    gf_prefix = topo.route_prefix("grafana").rstrip("/")
    services.append(ServicePlan(
        name="grafana",
        bundle_dir="grafana",
        image=image_ref("grafana", settings.images),
        port=INTERNAL_PORTS["grafana"],
        env=grafana.grafana_env(settings, topo),
        files={
            "provisioning/datasources/prometheus.yml": grafana.datasource_provisioning(settings, topo),
            "provisioning/dashboards/monstack.yml": grafana.dashboard_provisioning(),
            **({TLS_CA_FILE: tls_files[TLS_CA_FILE]} if tls else {}),
        },
        secret_files=(
            web_password,
            SecretFile("secrets/admin-password", ("grafanaAdminPassword",), lambda pw: pw),
            SecretFile("secrets/secret-key", ("grafanaSecretKey",), lambda key: key),
        ),
        data_path=grafana.DATA_DIR,
        user="472:0",
        health=_http_check(INTERNAL_PORTS["grafana"], f"{gf_prefix}/api/health"),
        publish=topo.published_port("grafana"),
        resources=settings.grafana.resources,
        tmpfs=("/tmp",),
    ))
    return StackPlan(services=tuple(services), jobs=tuple(all_jobs), rule_groups=rule_groups,
                     generated_rule_groups=generated_rule_groups)
