"""What an integration is: one unit that declares everything monstack knows about watching one
kind of thing (a host, a database, a broker):

- its settings model (the `exporters.<key>` block of a stack) and example settings;
- its exporter's pinned image and how to run it (arguments, files, credentials, host access);
- its scrape jobs;
- its alerts with their promtool fixtures, and its recording rules;
- its dashboards;
- its runbook pages (docs/runbooks/<page>.md, one per alert, named by the alert's `runbook_page`).

The list of integrations (content.integrations.INTEGRATIONS) is the only place that names
them: the settings schema, the images, the plan, the dashboards, the test matrix and the
README's key table are all derived from it.

Some exporters are not ours to run: windows_exporter lives on the Windows hosts, RabbitMQ
serves its own metrics. Those subclass `ScrapeOnlyIntegration`; they get no container, and their
scrape job reads `targets` from their settings instead of pointing at a container we run.
Everything else (job, selector, rules, target-down, dashboards) is the same path for both kinds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Optional

from config.exporters import ExportersBase, ExporterSettings, ScrapeTargetSettings
from config.fields import Resources
from config.settings import Images
from content.alert_factories import target_down
from content.images import image_ref
from content.rules import Alert, Recording, RuleGroup
from content.scrape import ScrapeJob
from content.service_plan import Probe, SecretFile, ServicePlan
from content.workload import AccessRule, Egress, HostAccess

if TYPE_CHECKING:
    from content.dashboards.board import Board
    from content.dashboards.context import Context
    from content.topology import Topology

PLATFORMS = ("docker", "kubernetes")


class Integration:
    """Base of every integration. Subclasses set the class attributes and override the methods
    whose defaults do not fit, in this order: settings and images; how the workload runs
    (`args`, `env`, `files`, `secret_files`, `service_plan`); where it is scraped (`scrape_jobs`);
    what it alerts on and records (`alerts`, `recording_rules`); what it shows (`dashboards`)."""

    key: ClassVar[str]  # settings key under `exporters`; also the scrape job name
    title: ClassVar[str]
    port: ClassVar[int]
    # The stack's `exporters.<key>` block, and example settings (camelCase, as in a stack file)
    # that the tests run every integration with and the README shows.
    settings_model: ClassVar[type[ExporterSettings]] = ExporterSettings
    example: ClassVar[dict[str, Any]] = {"enabled": True}
    # The exporter's pinned upstream image (None: we run no workload); where each version was
    # checked is said next to it.
    image: ClassVar[Optional[str]] = None
    # Images of further containers of its workload (a sidecar), by the name `images.overrides` uses.
    extra_images: ClassVar[dict[str, str]] = {}
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
    # False: something else runs the exporter (a Windows host, a broker's built-in endpoint);
    # we only scrape the `targets` of its settings, and the plan declares no container.
    runs_workload: ClassVar[bool] = True

    @property
    def image_key(self) -> str:
        """The name a stack gives in `images.overrides` to replace the image."""
        return self.key

    def pinned_images(self) -> dict[str, str]:
        """Every image the integration runs, by override name, as pinned upstream."""
        return ({self.image_key: self.image} if self.image else {}) | dict(self.extra_images)

    def image_of(self, name: str, images: Images) -> str:
        """The reference to pull for its image `name`, after the stack's mirror and overrides."""
        return image_ref(name, self.pinned_images()[name], images)

    @property
    def service(self) -> str:
        """Name of the workload and its address on the platform's network."""
        return f"{self.key}-exporter"

    def settings_of(self, exporters: ExportersBase) -> Optional[ExporterSettings]:
        """This integration's block of a stack's `exporters` (None when left out)."""
        return exporters.of(self.key)

    def wanted(self, exporters: ExportersBase) -> bool:
        """The stack enables it (whether it can run on the stack's platform is `runs_on`)."""
        own = self.settings_of(exporters)
        return bool(own and own.enabled)

    def runs_on(self, platform: str) -> bool:
        return platform in self.platforms

    def dashboards(self, ctx: Context) -> list[Board]:
        """Its dashboards, built from its jobs and deployed alerts (`ctx`); none by default."""
        return []

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

    def service_plan(self, own: ExporterSettings, images: Images, default_resources: Resources) -> ServicePlan:
        """The exporter's workload: `images` says where the stack pulls from (a mirror, overrides),
        `default_resources` are the stack's `exporterResources`."""
        password_key = self.password_key(own)
        secret_files: tuple[SecretFile, ...] = ()
        secret_env: dict[str, str] = {}
        if password_key and self.secret_env:
            secret_env = {self.secret_env: password_key}
        elif password_key:
            secret_files = tuple(
                SecretFile(path, (password_key,), lambda password, path=path: self.secret_files(own, password)[path])
                for path in self.secret_files(own, ""))
        return ServicePlan(
            name=self.service,
            bundle_dir=f"exporters/{self.key}",
            image=self.image_of(self.image_key, images),
            port=self.port,
            args=tuple(self.args(own)),
            env=self.env(own),
            files=self.files(own),
            secret_files=secret_files,
            secret_env=secret_env,
            user=self.user,
            probe=Probe(self.port, self.health_path or self.metrics_path, in_image=self.has_wget),
            host_access=self.host_access,
            read_only_root=self.read_only_root,
            resources=own.resources or default_resources,
            clients=("prometheus",),
            egress=self.egress_for(own),
            cluster_access=self.cluster_access,
        )

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

    def recording_rules(self, own: ExporterSettings, job: ScrapeJob) -> list[Recording]:
        """Recording rules the alerts (and dashboards) read; selectors from `job.selector`."""
        return []

    def job_title(self, job: ScrapeJob) -> str:
        """What a job's target-down alert calls its targets (one title, unless a job differs)."""
        return self.title

    def rule_groups(self, own: ExporterSettings, jobs: list[ScrapeJob]) -> list[RuleGroup]:
        """A `<key>-recording` group first when there are recording rules (so one evaluation
        fills them before the alerts read them), then the alerts, target-down first."""
        groups: list[RuleGroup] = []
        recordings = [r for job in jobs for r in self.recording_rules(own, job)]
        if recordings:
            groups.append(RuleGroup(name=f"{self.key}-recording", rules=tuple(recordings), layer=self.layer))
        rules: list[Alert] = []
        for job in jobs:
            rules.append(target_down(job.name, job.selector, self.job_title(job)))
            rules.extend(self.alerts(own, job))
        return groups + [RuleGroup(name=self.key, rules=tuple(rules), layer=self.layer)]


class ScrapeOnlyIntegration(Integration):
    """An exporter something else runs (a Windows host, a broker's built-in endpoint): no
    workload, and a job that scrapes the addresses its settings list."""

    runs_workload: ClassVar[bool] = False
    settings_model: ClassVar[type[ExporterSettings]] = ScrapeTargetSettings

    def scrape_jobs(self, own: ScrapeTargetSettings, topology: Topology) -> list[ScrapeJob]:
        if not own.targets:
            return []  # nothing to scrape: no job, hence no rules and no target-down alert
        return [self._job(own, {"targets": tuple(own.targets), "on_stack_host": False})]
