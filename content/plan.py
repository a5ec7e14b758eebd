"""The whole stack as platform-neutral data (`StackPlan`): what it watches (content.stack_content:
jobs, rules, dashboards, the exporters' workloads), the stack's own services
(content.core_services) and Thanos' when it scales out (content.scale_out). Components turn each
`ServicePlan` into a workload on a platform; the offline preview and the tests read the same plan.
"""

from __future__ import annotations

from config.settings import Settings
from content import grafana
from content import thanos as thanos_plan
from content.core_services import alertmanager_service, grafana_service, prometheus_service
from content.rules import render_rule_file
from content.scale_out import scale_out
from content.service_plan import StackPlan
from content.stack_content import stack_content
from content.topology import Topology
from content.web import web_credentials


def build_plan(settings: Settings, salt_seed: str) -> StackPlan:
    """Every service of the stack; `salt_seed` makes the web password hash stable per stack."""
    topo = Topology(settings)
    k8s = settings.kubernetes_settings
    credentials = web_credentials(settings.web_user, settings.web_tls, salt_seed)
    content = stack_content(settings, topo)
    rule_files = {
        f"rules/{name}": render_rule_file(groups, name, settings.runbook_base_url)
        for name, groups in sorted(content.rule_groups.items())
    }
    thanos = scale_out(settings.thanos, topo, settings.web_user, settings.log_level, settings.images,
                       credentials.password, settings.web_tls is not None, salt_seed)
    datasource = grafana.datasource(topo, settings.web_user, settings.prometheus.scrape_interval,
                                    settings.thanos is not None, settings.web_tls)
    services = (
        *content.exporters,
        *(thanos.services if thanos else ()),
        prometheus_service(
            settings.prometheus, {"cluster": settings.cluster, "environment": settings.environment},
            settings.web_user, settings.log_level, settings.target_overrides, topo, content.jobs, rule_files,
            credentials, settings.images, settings.prometheus_volume, content.prometheus_access, settings.thanos,
            thanos),
        alertmanager_service(settings.alerting, settings.alertmanager, settings.cluster, settings.web_user,
                             settings.log_level, topo, credentials, settings.images, k8s.volumes.alertmanager),
        grafana_service(
            grafana.datasource_provisioning(datasource, settings.web_tls), content.dashboards,
            grafana.grafana_env(topo, settings.log_level, settings.grafana.admin_user, settings.hardened),
            topo, credentials, settings.images, settings.grafana.resources, k8s.volumes.grafana,
            reads=thanos_plan.QUERY if settings.thanos else "prometheus"),
    )
    return StackPlan(services=services, jobs=content.jobs, rule_groups=content.rule_groups,
                     generated_rule_groups=content.generated_rule_groups, dashboards=content.dashboards,
                     datasource=datasource)
