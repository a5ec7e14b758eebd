"""`MonitoringStack`: the whole stack of one environment as a single ComponentResource."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_random as random

from components.dashboards import Dashboards, DashboardsArgs
from components.platforms import Platform
from components.platforms.docker import DockerArgs, DockerPlatform
from components.platforms.kubernetes import KubernetesArgs, KubernetesPlatform
from components.services import PACKAGE, Alertmanager, Exporter, Grafana, Prometheus, Thanos
from config.loader import LoadedSettings
from content import grafana, thanos
from content.topology import Topology
from content.validation import ValidatedStack

# One implementation of the Platform protocol per value of the `platform` setting, with its Args.
PLATFORMS = {"docker": (DockerPlatform, DockerArgs), "kubernetes": (KubernetesPlatform, KubernetesArgs)}


@dataclass(frozen=True)
class MonitoringStackArgs:
    validated: ValidatedStack
    """Validated settings of the stack, where each secret comes from, and the plan built from
    them (content.validation builds it once; the components deploy that very plan)."""


class MonitoringStack(pulumi.ComponentResource):
    prometheus_url: pulumi.Output[str]
    """URL at which users reach Prometheus (through the proxy in prod)."""
    alertmanager_url: pulumi.Output[str]
    grafana_url: pulumi.Output[str]
    network_name: pulumi.Output[str]
    """The Docker network the services share (applications join it to be scraped by name), or
    the Kubernetes namespace they run in."""

    def __init__(self, name: str, args: MonitoringStackArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(f"{PACKAGE}:monitoring:MonitoringStack", name, None, opts)
        loaded, plan = args.validated.loaded, args.validated.plan
        settings = loaded.settings
        for warning in loaded.warnings:
            pulumi.log.warn(warning.render(loaded.project), resource=self)
        secrets = self._secrets(name, loaded)
        topology = Topology(settings)
        platform_type, platform_args = PLATFORMS[settings.platform]
        platform: Platform = platform_type(name, platform_args.of(settings, topology, plan),
                                           pulumi.ResourceOptions(parent=self))

        kinds = {"prometheus": Prometheus, "alertmanager": Alertmanager, "grafana": Grafana,
                 **{name: Thanos for name in thanos.COMPONENTS}}
        self.services = {
            service.name: kinds.get(service.name, Exporter)(
                f"{name}-{service.name}", service, platform, secrets, opts=pulumi.ResourceOptions(parent=self)
            )
            for service in plan.services
        }
        self.dashboards: Optional[Dashboards] = None
        external = settings.grafana.external
        if settings.grafana.manage_by_api and external is not None:
            # An existing Grafana run apart from the stack: the one Grafana an API call can rely on.
            secret_fields, plain_fields = grafana.datasource_api_fields(settings.web_tls)
            self.dashboards = Dashboards(f"{name}-dashboards", DashboardsArgs(
                external=external,
                teams=tuple(settings.grafana.teams),
                dashboards=plan.dashboards,
                datasource=grafana.external_datasource(plan.datasource, external, topology),
                secret_fields=secret_fields,
                plain_fields=plain_fields,
                secrets=secrets,
            ), opts=pulumi.ResourceOptions(parent=self))
        self.prometheus_url = pulumi.Output.from_input(topology.external_url("prometheus"))
        self.alertmanager_url = pulumi.Output.from_input(topology.external_url("alertmanager"))
        self.grafana_url = pulumi.Output.from_input(topology.external_url("grafana"))
        self.network_name = platform.network_name
        self.register_outputs({
            "prometheus_url": self.prometheus_url,
            "alertmanager_url": self.alertmanager_url,
            "grafana_url": self.grafana_url,
            "network_name": self.network_name,
        })

    def _secrets(self, name: str, loaded: LoadedSettings) -> dict[str, pulumi.Output[str]]:
        """Every secret as a secret Output: from the encrypted config, or (dev only) generated
        once by pulumi-random and kept in the stack's state."""
        config = pulumi.Config()
        out: dict[str, pulumi.Output[str]] = {}
        for key, source in sorted(loaded.secrets.items()):
            if source.generated:
                password = random.RandomPassword(
                    f"{name}-{key}", length=32, special=False, opts=pulumi.ResourceOptions(parent=self)
                )
                out[key] = pulumi.Output.secret(password.result)
            else:
                out[key] = config.require_secret(key)
        return out
