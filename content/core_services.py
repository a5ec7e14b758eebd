"""The stack's own services as plans: Prometheus (with the rule files, and Thanos' sidecar when
the stack scales out), Alertmanager and Grafana. Each takes the narrow settings it reads; the
files' contents come from content.prometheus, content.alertmanager and content.grafana."""

from __future__ import annotations

from typing import Optional

from config.fields import Resources
from config.prometheus import AlertmanagerSettings, PrometheusSettings
from config.receivers import Alerting
from config.settings import Images
from config.thanos import ThanosSettings
from content import alertmanager, grafana, prometheus
from content import thanos as thanos_plan
from content.dashboards import DashboardFile
from content.images import core_image
from content.scale_out import ScaleOut
from content.scrape import ScrapeJob
from content.service_plan import Probe, SecretFile, ServicePlan
from content.topology import INTERNAL_PORTS, Topology
from content.web import WebCredentials
from content.workload import AccessRule, Egress


def prometheus_service(settings: PrometheusSettings, stack_labels: dict[str, str], web_user: str, log_level: str,
                       target_overrides: dict[str, str], topo: Topology, jobs: tuple[ScrapeJob, ...],
                       rule_files: dict[str, str], credentials: WebCredentials, images: Images, volume_size: str,
                       cluster_access: tuple[AccessRule, ...], thanos: Optional[ThanosSettings],
                       scale_out: Optional[ScaleOut]) -> ServicePlan:
    """`stack_labels` are the external labels (cluster, environment); `cluster_access` what the
    integrations' jobs read of the cluster API."""
    prefix = topo.route_prefix("prometheus").rstrip("/")
    access = cluster_access + (thanos_plan.prometheus_access(topo) if thanos else ())
    return ServicePlan(
        name="prometheus",
        bundle_dir="prometheus",
        image=core_image("prometheus", images),
        port=INTERNAL_PORTS["prometheus"],
        args=tuple(prometheus.prometheus_args(settings, log_level, topo))
        + (tuple(thanos_plan.prometheus_args(thanos, prometheus.DATA_DIR)) if thanos else ()),
        files={
            "prometheus.yml": prometheus.prometheus_config(
                settings, stack_labels, web_user, target_overrides, topo, list(jobs), list(rule_files),
                replica_labels={thanos_plan.REPLICA_LABEL: thanos_plan.REPLICA_LABEL_VALUE} if thanos else None,
                alert_relabel_configs=thanos_plan.alert_relabeling() if thanos else ()),
            **rule_files,
            **credentials.tls_files,
            **(scale_out.sidecar_files if scale_out else {}),
        },
        secret_files=(credentials.web_yml, credentials.password) + credentials.tls_key
        + (scale_out.sidecar_secret_files if scale_out else ()),
        env=thanos_plan.replica_env(topo)[0] if thanos else {},
        instance_env=thanos_plan.replica_env(topo)[1] if thanos else {},
        replicas=topo.replicas("prometheus"),
        sidecars=(scale_out.sidecar,) if scale_out else (),
        shared_volumes=scale_out.bucket_volume if scale_out else (),
        data_path=prometheus.DATA_DIR,
        probe=Probe(INTERNAL_PORTS["prometheus"], f"{prefix}/-/healthy", ready_path=f"{prefix}/-/ready",
                    scheme=topo.scheme("prometheus"), basic_auth_user=web_user),
        publish=topo.published_port("prometheus"),
        resources=settings.resources,
        volume_size=volume_size,
        data_per_replica=True,
        ui=True,
        # With Thanos, Grafana reads Query, which reads the sidecars; replicas scrape each other.
        clients=(("grafana",) if not thanos else (thanos_plan.QUERY,))
        + (("prometheus",) if topo.replicas("prometheus") > 1 else ()),
        # It scrapes targets anywhere in the cluster and beyond (applications, the API server, kubelets).
        egress=Egress(anywhere=True),
        cluster_access=access,
        token_files=bool(access),
    )


def alertmanager_service(alerting: Alerting, settings: AlertmanagerSettings, cluster: str, web_user: str,
                         log_level: str, topo: Topology, credentials: WebCredentials, images: Images,
                         volume_size: str) -> ServicePlan:
    prefix = topo.route_prefix("alertmanager").rstrip("/")
    receiver_files = tuple(
        SecretFile(f"secrets/{key}", (key,), lambda value: value)
        for key in alertmanager.receiver_secret_keys(alerting.receivers)
    )
    return ServicePlan(
        name="alertmanager",
        bundle_dir="alertmanager",
        image=core_image("alertmanager", images),
        port=INTERNAL_PORTS["alertmanager"],
        args=tuple(alertmanager.alertmanager_args(log_level, topo)),
        instance_env=alertmanager.cluster_env(topo),
        files={"alertmanager.yml": alertmanager.alertmanager_config(alerting, settings, cluster),
               **credentials.tls_files},
        secret_files=(credentials.web_yml, credentials.password) + credentials.tls_key + receiver_files,
        data_path=alertmanager.DATA_DIR,
        probe=Probe(INTERNAL_PORTS["alertmanager"], f"{prefix}/-/healthy", ready_path=f"{prefix}/-/ready",
                    scheme=topo.scheme("alertmanager"), basic_auth_user=web_user),
        publish=topo.published_port("alertmanager"),
        resources=settings.resources,
        volume_size=volume_size,
        data_per_replica=True,
        replicas=topo.replicas("alertmanager"),
        peer_port=alertmanager.CLUSTER_PORT if topo.replicas("alertmanager") > 1 else None,
        ui=True,
        clients=("prometheus",),
        # Receivers live outside the cluster (chat, paging, mail) on ports the receivers choose.
        egress=Egress(anywhere=True),
    )


def grafana_service(datasource_file: str, dashboards: tuple[DashboardFile, ...], env: dict[str, str],
                    topo: Topology, credentials: WebCredentials, images: Images, resources: Resources,
                    volume_size: str, reads: str) -> ServicePlan:
    """The stack's own Grafana: it provisions its data source and dashboards from these files
    (sub-directories become folders), on its first start too: no API call has to reach it.
    `reads` is the service its data source queries (Prometheus, or Thanos Query)."""
    prefix = topo.route_prefix("grafana").rstrip("/")
    return ServicePlan(
        name="grafana",
        bundle_dir="grafana",
        image=core_image("grafana", images),
        port=INTERNAL_PORTS["grafana"],
        env=env,
        files={
            "provisioning/datasources/prometheus.yml": datasource_file,
            "provisioning/dashboards/monstack.yml": grafana.dashboard_provisioning(),
            **{d.path: d.json for d in dashboards},
            **credentials.ca_file,
        },
        secret_files=(
            credentials.password,
            SecretFile("secrets/admin-password", ("grafanaAdminPassword",), lambda pw: pw),
            SecretFile("secrets/secret-key", ("grafanaSecretKey",), lambda key: key),
        ),
        data_path=grafana.DATA_DIR,
        user="472:0",
        probe=Probe(INTERNAL_PORTS["grafana"], f"{prefix}/api/health"),
        publish=topo.published_port("grafana"),
        resources=resources,
        tmpfs=("/tmp",),
        split_dirs=(grafana.DASHBOARDS_DIR,),
        volume_size=volume_size,
        ui=True,
        egress=Egress(services=(reads,)),
    )
