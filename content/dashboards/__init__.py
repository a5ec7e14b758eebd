"""Dashboards as code (grafana-foundation-sdk): the stack's own dashboards (applications,
self-monitoring, Thanos, the alerts overview) and `build_dashboards`, which turns a stack's
jobs, deployed alerts and facts into the JSON of every dashboard it should have, by folder.

Each integration declares its own dashboards (content/integrations/<key>.py); they appear
when the integration is enabled and has scrape jobs, and never otherwise, so no dashboard
watches something nobody scrapes. The applications', the self-monitoring and the alerts
overview dashboards are always built. One source serves both
delivery paths: provisioning files (`path`) or the Grafana API.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Optional

from config.applications import Application
from config.grafana_settings import FOLDERS, Folder
from content.dashboards import alerts_overview, application, self_monitoring, thanos
from content.dashboards.board import Board, finish
from content.dashboards.context import Context, StackFacts
from content.rules import Alert
from content.scrape import ScrapeJob

# Where the dashboards lie, relative to the config directory: one sub-directory per folder.
DASHBOARDS_DIR = "dashboards"


@dataclass(frozen=True)
class IntegrationJobs:
    """What the plan knows of one enabled integration: its scrape jobs, its deployed alerts, and
    how it builds its dashboards from them (the integration's own `dashboards`)."""

    key: str
    jobs: tuple[ScrapeJob, ...]
    alerts: tuple[Alert, ...] = ()
    make: Optional[Callable[[Context], list[Board]]] = None


@dataclass(frozen=True)
class DashboardFile:
    uid: str
    title: str
    folder: Folder
    integration: str
    json: str
    panels: int

    @property
    def path(self) -> str:
        """Provisioning path, relative to the config directory; the sub-directory is the folder."""
        return f"{DASHBOARDS_DIR}/{self.folder.title}/{self.uid}.json"


@dataclass(frozen=True)
class Urls:
    grafana_prefix: str = "/"
    prometheus: str = ""
    alertmanager: str = ""


def _count_panels(board: Board) -> int:
    return sum(1 for p in board.model().panels or [] if getattr(p, "type_val", "row") != "row")


def build_dashboards(facts: StackFacts, integrations: Sequence[IntegrationJobs],
                     applications: Sequence[tuple[Application, ScrapeJob, Sequence[Alert]]],
                     platform_jobs: Sequence[ScrapeJob], platform_alerts: Sequence[Alert],
                     urls: Urls = Urls()) -> tuple[DashboardFile, ...]:
    """Every dashboard of the stack, sorted by folder and uid."""

    def context(jobs: Sequence[ScrapeJob], alerts: Sequence[Alert] = ()) -> Context:
        return Context(facts=facts, jobs=tuple(jobs), alerts=tuple(alerts), grafana_prefix=urls.grafana_prefix,
                       prometheus_url=urls.prometheus, alertmanager_url=urls.alertmanager)

    boards: list[Board] = []
    all_jobs: list[ScrapeJob] = list(platform_jobs)
    all_alerts: list[Alert] = list(platform_alerts)
    for item in integrations:
        all_jobs += item.jobs
        all_alerts += item.alerts
        if item.make and item.jobs:
            boards += item.make(context(item.jobs, item.alerts))
    for app, job, alerts in applications:
        all_jobs.append(job)
        all_alerts += alerts
        boards += application.dashboards(context([job], alerts), app)
    # The query layer (Thanos Query, when the stack has it) belongs on the self-monitoring board too.
    query_layer = [item for item in integrations if item.key == "thanos"]
    boards += self_monitoring.dashboards(context(
        [*platform_jobs, *(job for item in query_layer for job in item.jobs if job.name == thanos.QUERY)],
        [*platform_alerts, *(alert for item in query_layer for alert in item.alerts)]))
    boards += alerts_overview.dashboards(context(all_jobs, all_alerts))

    rendered = finish(boards, context(all_jobs))
    files = [DashboardFile(uid=b.uid, title=b.title, folder=FOLDERS[b.folder], integration=b.integration,
                           json=rendered[b.uid], panels=_count_panels(b)) for b in boards]
    return tuple(sorted(files, key=lambda f: (f.folder.key, f.uid)))
