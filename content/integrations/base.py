"""The one mechanism every exporter integration plugs into.

An integration is a subclass of `Exporter` in its own module: how to run the exporter
(image, port, arguments, files, credentials, host access), its scrape job and its alerts,
side by side as the monitoring mixins keep them. Components and platforms only ever see
`Exporter`, so adding an exporter is one module plus one line in the registry.

Some exporters are not ours to run: windows_exporter lives on the Windows hosts, RabbitMQ
serves its own metrics. Those subclass `ScrapeOnlyExporter`; they get no container, and their
scrape job reads `targets` from their settings instead of pointing at a container we run.
Everything else (job, selector, rules, target-down) is the same path for both kinds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Optional

from config.settings import ExporterSettings, ScrapeTargetSettings, Settings
from content.rules import Alert, Recording, RuleGroup, target_down
from content.scrape import ScrapeJob

if TYPE_CHECKING:
    from content.topology import Topology

CONFIG_DIR = "/etc/monstack"
# Where a service that reads the cluster's API finds its token and the cluster's CA, relative
# to CONFIG_DIR (Prometheus resolves relative paths from its config file's directory).
SERVICE_ACCOUNT_DIR = "serviceaccount"
PLATFORMS = ("docker", "kubernetes")


@dataclass(frozen=True)
class HostAccess:
    """What an exporter needs of the host it watches; platforms map it to bind mounts
    (Docker) or hostPath volumes in a DaemonSet, one pod per node (Kubernetes). Mounts are
    read-only. `host_network` is Kubernetes' way (as upstream node-exporter runs): the pod
    sees the node's interfaces; on Docker the stack's network alias is how Prometheus reaches it."""

    mounts: tuple[tuple[str, str], ...] = ()
    pid_host: bool = False
    privileged: bool = False
    host_network: bool = False


@dataclass(frozen=True)
class AccessRule:
    """One permission on the cluster's API (a Kubernetes RBAC rule), as data: empty on
    platforms without an API to read."""

    verbs: tuple[str, ...]
    api_groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Egress:
    """Where a service connects to: the platform turns it into network policy.
    `anywhere` for services whose peers are not known in advance (Prometheus scrapes the
    cluster, Alertmanager calls receivers, blackbox probes URLs)."""

    anywhere: bool = False
    services: tuple[str, ...] = ()  # other services of the stack (their port)
    ports: tuple[int, ...] = ()  # TCP ports outside the stack (a database an exporter reads)
    cluster_api: bool = False  # the Kubernetes API server


class Exporter:
    """Base of every exporter integration. Subclasses set the class attributes and override
    the methods whose defaults do not fit."""

    key: ClassVar[str]  # settings key under `exporters`; also the scrape job name
    title: ClassVar[str]
    port: ClassVar[int]
    layer: ClassVar[str] = "services"
    metrics_path: ClassVar[str] = "/metrics"
    user: ClassVar[Optional[str]] = "65534:65534"  # None: the image must run as root
    host_access: ClassVar[Optional[HostAccess]] = None
    # The image ships wget (busybox) for a healthcheck; False for scratch images.
    has_wget: ClassVar[bool] = True
    read_only_root: ClassVar[bool] = True
    # Path a health probe asks (default: the metrics path).
    health_path: ClassVar[Optional[str]] = None
    # Platforms the integration runs on, and why not elsewhere (shown when a stack enables it there).
    platforms: ClassVar[tuple[str, ...]] = PLATFORMS
    platform_note: ClassVar[str] = ""
    # Permissions on the cluster API for the exporter itself, and for Prometheus to scrape its jobs.
    cluster_access: ClassVar[tuple[AccessRule, ...]] = ()
    prometheus_access: ClassVar[tuple[AccessRule, ...]] = ()
    egress: ClassVar[Egress] = Egress()
    # The variable that carries the exporter's password, for an exporter that reads it from no
    # file (percona's mongodb_exporter); None: the password reaches it as `secret_files`.
    secret_env: ClassVar[Optional[str]] = None

    @property
    def image(self) -> str:
        """Key of the exporter's image in content.images.UPSTREAM."""
        return self.key
    # False: something else runs the exporter (a Windows host, a broker's built-in endpoint);
    # we only scrape the `targets` of its settings, and the plan declares no container.
    runs_workload: ClassVar[bool] = True

    @property
    def service(self) -> str:
        """Name of the workload and its address on the platform's network."""
        return f"{self.key}-exporter"

    def settings(self, settings: Settings) -> Optional[ExporterSettings]:
        return getattr(settings.exporters, self.key)

    def enabled_in_config(self, settings: Settings) -> bool:
        own = self.settings(settings)
        return bool(own and own.enabled)

    def enabled(self, settings: Settings) -> bool:
        """Enabled by the stack and able to run on its platform (the loader rejects the rest)."""
        return self.enabled_in_config(settings) and settings.platform in self.platforms

    def egress_for(self, own: ExporterSettings) -> Egress:
        return self.egress

    def args(self, own: ExporterSettings) -> list[str]:
        return []

    def env(self, own: ExporterSettings) -> dict[str, str]:
        return {}

    def files(self, own: ExporterSettings) -> dict[str, str]:
        """Plain configuration files, relative to CONFIG_DIR."""
        return {}

    def password_key(self, own: ExporterSettings) -> Optional[str]:
        """The secret config key of the exporter's password; None for exporters without one."""
        return None

    def secret_files(self, own: ExporterSettings, password: str) -> dict[str, str]:
        """Files that hold the exporter's credential, relative to CONFIG_DIR. Called inside
        a Pulumi apply with the plain password; the result stays secret."""
        return {"secrets/password": password}

    def scrape_jobs(self, own: ExporterSettings, topology: Topology) -> list[ScrapeJob]:
        """Where the job scrapes: our own workload, as the platform addresses it."""
        where = topology.scrape_targets(self.service, self.port, per_node=self.host_access is not None)
        return [self._job(own, where)]

    def _job(self, own: ExporterSettings, where: dict) -> ScrapeJob:
        return ScrapeJob(
            name=self.key,
            metrics_path=self.metrics_path,
            interval=own.scrape_interval,
            timeout=own.scrape_timeout,
            **where,
        )

    def alerts(self, own: ExporterSettings, job: ScrapeJob) -> list[Alert]:
        """Alerts beyond target-down; selectors come from `job.selector`."""
        return []

    def recording_rules(self, job: ScrapeJob) -> list[Recording]:
        """Recording rules the alerts (and dashboards) read; selectors from `job.selector`."""
        return []

    def rule_groups(self, own: ExporterSettings, jobs: list[ScrapeJob]) -> list[RuleGroup]:
        """A `<key>-recording` group first when there are recording rules (so one evaluation
        fills them before the alerts read them), then the alerts, target-down first."""
        groups: list[RuleGroup] = []
        recordings = [r for job in jobs for r in self.recording_rules(job)]
        if recordings:
            groups.append(RuleGroup(name=f"{self.key}-recording", rules=tuple(recordings), layer=self.layer))
        rules: list[Alert] = []
        for job in jobs:
            rules.append(target_down(job.name, job.selector, self.title))
            rules.extend(self.alerts(own, job))
        return groups + [RuleGroup(name=self.key, rules=tuple(rules), layer=self.layer)]


class ScrapeOnlyExporter(Exporter):
    """An exporter something else runs (a Windows host, a broker's built-in endpoint): no
    workload, and a job that scrapes the addresses its settings list."""

    runs_workload: ClassVar[bool] = False

    def scrape_jobs(self, own: ScrapeTargetSettings, topology: Topology) -> list[ScrapeJob]:
        if not own.targets:
            return []  # nothing to scrape: no job, hence no rules and no target-down alert
        return [self._job(own, {"targets": tuple(own.targets), "on_stack_host": False})]
