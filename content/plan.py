"""The whole stack as platform-neutral data: which services run, with which files,
arguments, credentials and limits. Components turn each `ServicePlan` into a workload on a
platform; the offline preview and the tests read the same plan through the program.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional

from config.settings import Settings
from content import alertmanager, application, grafana, prometheus, routing, self_monitoring, thanos_rules
from content import thanos as thanos_plan
from content.dashboards import IntegrationJobs, Urls, build_dashboards
from content.dashboards import thanos as thanos_dashboards
from content.dashboards.common import Board, Context, StackFacts
from content.images import core_image
from content.integrations import INTEGRATIONS
from content.overrides import apply_overrides
from content.rules import Alert, RuleGroup, render_rule_file
from content.scrape import ScrapeJob
from content.service_plan import Probe, SecretFile, ServicePlan, Sidecar, StackPlan
from content.topology import INTERNAL_PORTS, Topology
from content.web import TLS_CA_FILE, TLS_CERT_FILE, TLS_KEY_FILE, bcrypt_hash, web_config
from content.workload import CONFIG_DIR, AccessRule, Egress


def build_plan(settings: Settings, salt_seed: str) -> StackPlan:
    """Every service of the stack; `salt_seed` makes the web password hash stable per stack."""
    topo = Topology(settings)
    web_user = settings.web_user
    web_password = SecretFile("secrets/web-password", ("webPassword",), lambda pw: pw)
    tls = settings.web_tls
    web_yml = SecretFile("web.yml", ("webPassword",),
                         lambda pw: web_config(web_user, bcrypt_hash(pw, salt_seed), tls=bool(tls)),
                         template=lambda ref: web_config(web_user, f"{{{{ {ref} | bcrypt }}}}", tls=bool(tls)))
    # What Prometheus and Alertmanager need for TLS on their listeners, and Grafana to verify it.
    tls_files = {TLS_CERT_FILE: tls.certificate, TLS_CA_FILE: tls.ca or tls.certificate} if tls else {}
    tls_key = (SecretFile(TLS_KEY_FILE, (tls.key_secret,), lambda key: key),) if tls else ()

    services: list[ServicePlan] = []
    jobs: list[ScrapeJob] = []
    rule_groups: dict[str, list[RuleGroup]] = {}
    jobs_by_integration: dict[str, tuple[list[ScrapeJob], Callable[[Context], list[Board]]]] = {}

    k8s = settings.kubernetes_settings
    prometheus_access: tuple[AccessRule, ...] = ()
    for integration in INTEGRATIONS:
        if not (integration.wanted(settings.exporters) and integration.runs_on(settings.platform)):
            continue  # off, or on a platform it does not run on (content.checks reports that)
        own = integration.settings_of(settings.exporters)
        assert own is not None
        prometheus_access += integration.prometheus_access
        integration_jobs = integration.scrape_jobs(own, topo)
        jobs += integration_jobs
        if integration_jobs:
            rule_groups[f"{integration.key}.yml"] = integration.rule_groups(own, integration_jobs)
        jobs_by_integration[integration.key] = (integration_jobs, integration.dashboards)
        if integration.runs_workload:  # scrape-only ones run elsewhere (a Windows host, a broker's plugin)
            services.append(integration.service_plan(own, settings.images, settings.exporter_resources))

    for app in settings.applications:
        job = application.scrape_job(app)
        jobs.append(job)
        rule_groups[f"app-{app.name}.yml"] = application.rule_groups(app)

    platform_jobs = prometheus.platform_jobs(settings.prometheus.self_scrape_interval, web_user, topo)
    rule_groups["monstack.yml"] = self_monitoring.rule_groups(platform_jobs, topo.replicas("alertmanager"))
    thanos = settings.thanos
    thanos_jobs = thanos_plan.scrape_jobs(topo, web_user, prometheus.WEB_PASSWORD_FILE) if thanos else []
    if thanos:
        rule_groups["thanos.yml"] = thanos_rules.rule_groups(thanos_jobs, thanos.block_duration)
        jobs_by_integration["thanos"] = (thanos_jobs, thanos_dashboards.dashboards)
    generated_rule_groups, rule_groups = rule_groups, apply_overrides(rule_groups, settings.alert_overrides)
    # `service` and `host` target labels: what routes group and match on, and what host-down inhibits.
    all_jobs = [routing.with_target_labels(job, topo.stack_host) for job in platform_jobs + thanos_jobs + jobs]
    # Dashboards link the runbooks of the alerts the stack really deploys (after overrides).
    integrations = [IntegrationJobs(key, tuple(found), _alerts(rule_groups.get(f"{key}.yml", [])), make)
                    for key, (found, make) in jobs_by_integration.items()]
    app_dashboards = [(app, application.scrape_job(app), _alerts(rule_groups[f"app-{app.name}.yml"]))
                      for app in settings.applications]
    facts = StackFacts(environment=settings.environment, cluster=settings.cluster,
                       runbook_base_url=settings.runbook_base_url,
                       applications=tuple(app.name for app in settings.applications))
    dashboards = build_dashboards(
        facts, integrations, app_dashboards, platform_jobs, _alerts(rule_groups["monstack.yml"]),
        Urls(grafana_prefix=topo.route_prefix("grafana"), prometheus=topo.external_url("prometheus"),
             alertmanager=topo.external_url("alertmanager")),
    )
    # The stack's own Grafana provisions its data source and dashboards from these files
    # (sub-directories become folders), on its first start too: no API call has to reach it.
    grafana_files = {
        "provisioning/datasources/prometheus.yml": grafana.datasource_provisioning(settings, topo),
        "provisioning/dashboards/monstack.yml": grafana.dashboard_provisioning(),
        **{d.path: d.json for d in dashboards},
    }
    rule_files = {
        f"rules/{name}": render_rule_file(groups, name, settings.runbook_base_url)
        for name, groups in sorted(rule_groups.items())
    }

    prom_prefix = topo.route_prefix("prometheus").rstrip("/")
    scale_out = _scale_out(settings, topo, web_password, salt_seed)
    if scale_out:
        services += scale_out.services
    services.append(ServicePlan(
        name="prometheus",
        bundle_dir="prometheus",
        image=core_image("prometheus", settings.images),
        port=INTERNAL_PORTS["prometheus"],
        args=tuple(prometheus.prometheus_args(settings.prometheus, settings.log_level, topo))
        + (tuple(thanos_plan.prometheus_args(thanos, prometheus.DATA_DIR)) if thanos else ()),
        files={
            "prometheus.yml": prometheus.prometheus_config(
                settings.prometheus, {"cluster": settings.cluster, "environment": settings.environment}, web_user,
                settings.target_overrides, topo, all_jobs, list(rule_files),
                replica_labels={thanos_plan.REPLICA_LABEL: thanos_plan.REPLICA_LABEL_VALUE} if thanos else None,
                alert_relabel_configs=thanos_plan.alert_relabeling() if thanos else ()),
            **rule_files,
            **tls_files,
            **(scale_out.sidecar_files if scale_out else {}),
        },
        secret_files=(web_yml, web_password) + tls_key + (scale_out.sidecar_secret_files if scale_out else ()),
        env=thanos_plan.replica_env(topo)[0] if thanos else {},
        instance_env=thanos_plan.replica_env(topo)[1] if thanos else {},
        replicas=topo.replicas("prometheus"),
        sidecars=(scale_out.sidecar,) if scale_out else (),
        shared_volumes=scale_out.bucket_volume if scale_out else (),
        data_path=prometheus.DATA_DIR,
        probe=Probe(INTERNAL_PORTS["prometheus"], f"{prom_prefix}/-/healthy", ready_path=f"{prom_prefix}/-/ready",
                    scheme=topo.scheme("prometheus"), basic_auth_user=web_user),
        publish=topo.published_port("prometheus"),
        resources=settings.prometheus.resources,
        volume_size=settings.prometheus_volume,
        data_per_replica=True,
        ui=True,
        # With Thanos, Grafana reads Query, which reads the sidecars; replicas scrape each other.
        clients=(("grafana",) if not thanos else (thanos_plan.QUERY,))
        + (("prometheus",) if topo.replicas("prometheus") > 1 else ()),
        # It scrapes targets anywhere in the cluster and beyond (applications, the API server, kubelets).
        egress=Egress(anywhere=True),
        cluster_access=prometheus_access + (thanos_plan.prometheus_access(topo) if thanos else ()),
        token_files=bool(prometheus_access + (thanos_plan.prometheus_access(topo) if thanos else ())),
    ))

    am_prefix = topo.route_prefix("alertmanager").rstrip("/")
    receiver_files = tuple(
        SecretFile(f"secrets/{key}", (key,), lambda value: value)
        for key in alertmanager.receiver_secret_keys(settings.alerting.receivers)
    )
    services.append(ServicePlan(
        name="alertmanager",
        bundle_dir="alertmanager",
        image=core_image("alertmanager", settings.images),
        port=INTERNAL_PORTS["alertmanager"],
        args=tuple(alertmanager.alertmanager_args(settings.log_level, topo)),
        instance_env=alertmanager.cluster_env(topo),
        files={"alertmanager.yml": alertmanager.alertmanager_config(settings.alerting, settings.alertmanager,
                                                                    settings.cluster), **tls_files},
        secret_files=(web_yml, web_password) + tls_key + receiver_files,
        data_path=alertmanager.DATA_DIR,
        probe=Probe(INTERNAL_PORTS["alertmanager"], f"{am_prefix}/-/healthy", ready_path=f"{am_prefix}/-/ready",
                    scheme=topo.scheme("alertmanager"), basic_auth_user=web_user),
        publish=topo.published_port("alertmanager"),
        resources=settings.alertmanager.resources,
        volume_size=k8s.volumes.alertmanager,
        data_per_replica=True,
        replicas=topo.replicas("alertmanager"),
        peer_port=alertmanager.CLUSTER_PORT if topo.replicas("alertmanager") > 1 else None,
        ui=True,
        clients=("prometheus",),
        # Receivers live outside the cluster (chat, paging, mail) on ports the receivers choose.
        egress=Egress(anywhere=True),
    ))

    gf_prefix = topo.route_prefix("grafana").rstrip("/")
    services.append(ServicePlan(
        name="grafana",
        bundle_dir="grafana",
        image=core_image("grafana", settings.images),
        port=INTERNAL_PORTS["grafana"],
        env=grafana.grafana_env(settings, topo),
        files={
            **grafana_files,
            **({TLS_CA_FILE: tls_files[TLS_CA_FILE]} if tls else {}),
        },
        secret_files=(
            web_password,
            SecretFile("secrets/admin-password", ("grafanaAdminPassword",), lambda pw: pw),
            SecretFile("secrets/secret-key", ("grafanaSecretKey",), lambda key: key),
        ),
        data_path=grafana.DATA_DIR,
        user="472:0",
        probe=Probe(INTERNAL_PORTS["grafana"], f"{gf_prefix}/api/health"),
        publish=topo.published_port("grafana"),
        resources=settings.grafana.resources,
        tmpfs=("/tmp",),
        split_dirs=(grafana.DASHBOARDS_DIR,),
        volume_size=k8s.volumes.grafana,
        ui=True,
        egress=Egress(services=(thanos_plan.QUERY if thanos else "prometheus",)),
    ))
    return StackPlan(services=tuple(services), jobs=tuple(all_jobs), rule_groups=rule_groups,
                     generated_rule_groups=generated_rule_groups, dashboards=dashboards)


@dataclass(frozen=True)
class ScaleOut:
    """Thanos' part of the plan: its services, and what the Prometheus workload gains (the
    sidecar, its files, and the shared bucket volume of a FILESYSTEM bucket)."""

    services: tuple[ServicePlan, ...]
    sidecar: Sidecar
    sidecar_files: dict[str, str]
    sidecar_secret_files: tuple[SecretFile, ...]
    bucket_volume: tuple[tuple[str, str], ...]


def _scale_out(settings: Settings, topo: Topology, web_password: SecretFile, salt_seed: str) -> Optional[ScaleOut]:
    """The sidecar, store gateway, compactor and Query of the `thanos` block (None without it)."""
    thanos = settings.thanos
    if thanos is None:
        return None
    web_user, log_level, storage = settings.web_user, settings.log_level, thanos.object_storage
    image = core_image("thanos", settings.images)
    # The bcrypt hash without TLS: Thanos' listeners have basic auth only (content/thanos.py says why).
    web_yml = SecretFile(thanos_plan.WEB_CONFIG_FILE, ("webPassword",),
                         lambda pw: web_config(web_user, bcrypt_hash(pw, salt_seed)),
                         template=lambda ref: web_config(web_user, f"{{{{ {ref} | bcrypt }}}}"))
    objstore = SecretFile(thanos_plan.OBJSTORE_FILE, (storage.credential,) if storage.credential else (),
                          lambda *value: thanos_plan.objstore_config(storage, value[0] if value else None))
    bucket_secrets = (web_yml, web_password, objstore)  # Query never touches the bucket
    bucket_volume = (("thanos-bucket", storage.bucket),) if storage.type == "FILESYSTEM" else ()
    http, grpc = thanos_plan.HTTP_PORT, thanos_plan.GRPC_PORT

    def probe() -> Probe:
        return Probe(http, "/-/healthy", ready_path="/-/ready", basic_auth_user=web_user)

    def service(name: str, args: list[str], component: Any, secret_files: tuple[SecretFile, ...] = bucket_secrets,
                **fields: Any) -> ServicePlan:
        return ServicePlan(name=name, bundle_dir=f"thanos/{name.removeprefix('thanos-')}", image=image, port=http,
                           args=tuple(args), secret_files=secret_files, probe=probe(), resources=component.resources,
                           replicas=topo.replicas(name), **fields)

    stateful = {"data_path": thanos_plan.DATA_DIR, "data_per_replica": True, "shared_volumes": bucket_volume,
                "egress": Egress(anywhere=True)}  # object storage lives outside the stack
    services = (
        service(thanos_plan.STORE, thanos_plan.store_args(log_level), thanos.store_gateway,
                extra_ports=(("grpc", grpc),), clients=(thanos_plan.QUERY, "prometheus"),
                volume_size=thanos.store_gateway.volume, **stateful),
        service(thanos_plan.COMPACTOR, thanos_plan.compactor_args(thanos, log_level), thanos.compactor,
                clients=("prometheus",), volume_size=thanos.compactor.volume, **stateful),
        service(thanos_plan.QUERY, thanos_plan.query_args(log_level), thanos.query,
                files={thanos_plan.ENDPOINTS_FILE: thanos_plan.endpoints_config(thanos_plan.query_endpoints(topo))},
                secret_files=(web_yml, web_password),
                clients=("grafana", "prometheus"), egress=Egress(services=("prometheus", thanos_plan.STORE))),
    )
    ca = f"{CONFIG_DIR}/{TLS_CA_FILE}" if settings.web_tls else None
    sidecar = Sidecar(
        name=thanos_plan.SIDECAR, image=image, port=http, port_name="sidecar-http",
        args=tuple(thanos_plan.sidecar_args(log_level, thanos_plan.prometheus_url(topo), prometheus.DATA_DIR)),
        probe=probe(), resources=thanos.sidecar.resources, extra_ports=(("grpc", grpc),))
    files = {thanos_plan.PROMETHEUS_CLIENT_FILE: thanos_plan.prometheus_client_config(
        web_user, f"{CONFIG_DIR}/{prometheus.WEB_PASSWORD_FILE}", ca)}
    return ScaleOut(services=services, sidecar=sidecar, sidecar_files=files,
                    sidecar_secret_files=(web_yml, objstore), bucket_volume=bucket_volume)


def _alerts(groups: list[RuleGroup]) -> tuple[Alert, ...]:
    return tuple(rule for group in groups for rule in group.rules if isinstance(rule, Alert))
