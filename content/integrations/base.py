"""The one mechanism every exporter integration plugs into.

An integration is a subclass of `Exporter` in its own module: how to run the exporter
(image, port, arguments, files, credentials, host access), its scrape job and its alerts,
side by side as the monitoring mixins keep them. Components and platforms only ever see
`Exporter`, so adding an exporter is one module plus one line in the registry.

Some exporters are not ours to run: windows_exporter lives on the Windows hosts, RabbitMQ
serves its own metrics. Those set `runs_workload = False`; they get no container, and their
scrape job reads `targets` from their settings instead of pointing at a container we run.
Everything else (job, selector, rules, target-down) is the same path for both kinds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Optional

from config.settings import ExporterSettings, Settings
from content.rules import Alert, Recording, RuleGroup, target_down
from content.scrape import ScrapeJob

CONFIG_DIR = "/etc/monstack"


@dataclass(frozen=True)
class HostAccess:
    """What an exporter needs of the host it watches; platforms map it to bind mounts
    (Docker) or hostPath volumes in a DaemonSet (Kubernetes). Mounts are read-only."""

    mounts: tuple[tuple[str, str], ...] = ()
    pid_host: bool = False
    privileged: bool = False


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
    # False: something else runs the exporter (a Windows host, a broker's built-in endpoint);
    # we only scrape the `targets` of its settings, and the plan declares no container.
    runs_workload: ClassVar[bool] = True

    @property
    def service(self) -> str:
        """Name of the workload and its address on the platform's network."""
        return f"{self.key}-exporter"

    def settings(self, settings: Settings) -> Optional[ExporterSettings]:
        return getattr(settings.exporters, self.key)

    def enabled(self, settings: Settings) -> bool:
        own = self.settings(settings)
        return bool(own and own.enabled)

    def args(self, own: ExporterSettings) -> list[str]:
        return []

    def env(self, own: ExporterSettings) -> dict[str, str]:
        return {}

    def files(self, own: ExporterSettings) -> dict[str, str]:
        """Plain configuration files, relative to CONFIG_DIR."""
        return {}

    def secret_files(self, own: ExporterSettings, password: str) -> dict[str, str]:
        """Files that hold the exporter's credential, relative to CONFIG_DIR. Called inside
        a Pulumi apply with the plain password; the result stays secret."""
        return {"secrets/password": password}

    def targets(self, own: ExporterSettings, host: str) -> tuple[str, ...]:
        """Where the job scrapes: our own container, or for a scrape-only integration the
        addresses its settings list (`ScrapeTargetSettings.targets`)."""
        if self.runs_workload:
            return (f"{host}:{self.port}",)
        return tuple(getattr(own, "targets", ()))

    def scrape_jobs(self, own: ExporterSettings, host: str) -> list[ScrapeJob]:
        targets = self.targets(own, host)
        if not targets:
            return []  # nothing to scrape: no job, hence no rules and no target-down alert
        return [ScrapeJob(
            name=self.key,
            targets=targets,
            metrics_path=self.metrics_path,
            interval=own.scrape_interval,
            timeout=own.scrape_timeout,
        )]

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
