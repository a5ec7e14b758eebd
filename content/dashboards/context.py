"""Shared factories of every dashboard: folders, the template variables, the selector every
query starts from, panels that always carry a title, a unit, a description and a query,
threshold lines, runbook and cross-dashboard links, stable uids and deterministic JSON.

Why the variables look the way they do. Prometheus adds its `external_labels` (`cluster`,
`environment`) only to series that leave it (remote write, federation, alerts), never to
local queries, so a query filtered on `environment=~"$environment"` would return nothing on
the stack's own Prometheus. `content.prometheus` therefore also sets both labels on every
scraped target (relabeling, so it works for any service discovery): local series, recording
rules that keep them, and a central store (Thanos, Mimir) fed by several stacks all carry the
same labels. The variables can then be real, chained queries on `up`, which every target has:

    datasource -> environment (label_values(up, environment))
               -> cluster     (label_values(up{environment=~"$environment"}, cluster))
               -> job         (label_values(up{<the integration's jobs>, environment, cluster}, job))
               -> instance    (label_values(up{<jobs>, environment, cluster, job=~"$job"}, instance))

Every query starts from the integration's scrape-job selector (`ScrapeJob.selector`, as the
rules do, so dashboards cannot drift from the scrape config) followed by the variables'
matchers, as grafana/jsonnet-libs writes it: `job="node",job=~"$job",instance=~"$instance"`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from config.grafana_settings import UID_PREFIX
from content.rules import Alert
from content.scrape import ScrapeJob

MAX_UID = 40  # Grafana's limit
ALL = ".*"  # value of "All" in every multi-value variable: matches any label value
# Variables every dashboard defines, in this order; the selector uses the last four.
VARIABLES = ("datasource", "environment", "cluster", "job", "instance")
GREEN, ORANGE, RED, BLUE = "green", "orange", "red", "blue"
SEVERITY_COLORS = {"critical": RED, "warning": ORANGE, "info": BLUE}


def make_uid(*parts: str) -> str:
    """A stable, prefixed uid of at most 40 characters; long names keep a readable head and a
    hash of the whole, so two long names never collide."""
    uid = "-".join((UID_PREFIX, *parts))
    uid = re.sub(r"[^a-zA-Z0-9-]", "-", uid)
    if len(uid) <= MAX_UID:
        return uid
    digest = hashlib.sha256(uid.encode()).hexdigest()[:8]
    return f"{uid[:MAX_UID - 9].rstrip('-')}-{digest}"


@dataclass(frozen=True)
class StackFacts:
    """What dashboards know of the stack beyond their own jobs and alerts."""

    environment: str
    cluster: str
    runbook_base_url: str
    applications: tuple[str, ...] = ()  # names, for links to their dashboards


@dataclass(frozen=True)
class AlertLines:
    """Threshold steps at the levels of one alert as the stack deploys it (after
    `alertOverrides`: a moved threshold moves the line, a disabled variant has none), coloured
    by severity, and the sentence the panel's description gets to say so."""

    alert: str
    levels: tuple[tuple[float, str], ...]
    base: str
    note: str


def alert_lines(alerts: Iterable[Alert], name: str, complement: bool = False, scale: float = 1.0) -> AlertLines:
    """The lines of alert `name` from `alerts`, one per severity variant with a threshold.
    `complement` draws `1 - threshold` (a used share against an alert on the free share);
    `scale` multiplies it (an alert in days on a panel in seconds). Above an alert that fires
    upwards the colour is the variant's; below one that fires downwards, likewise."""
    variants = sorted((round((1 - a.threshold if complement else a.threshold) * scale, 12), a)
                      for a in alerts if a.name == name and a.threshold is not None)
    transform = " (value = 1 - threshold)" if complement else f" (value = threshold × {scale:g})" if scale != 1 else ""
    if not variants:
        return AlertLines(name, (), GREEN, f"No lines: the {name} alert is not deployed in this stack.")
    upwards = (variants[0][1].direction == "above") != complement
    colors = [SEVERITY_COLORS[a.severity] for _, a in variants]
    values = [value for value, _ in variants]
    if upwards:
        levels, base = tuple(zip(values, colors, strict=True)), GREEN
    else:  # the most severe variant sits lowest: its colour below it, the next one's above
        levels, base = tuple(zip(values, [*colors[1:], GREEN], strict=True)), colors[0]
    return AlertLines(name, levels, base, f"Lines: the {name} alert's levels{transform}.")


@dataclass(frozen=True)
class Context:
    """What a dashboard module gets: facts of the stack, its integration's scrape jobs and
    deployed alerts (for selectors, runbook links and threshold lines), and where Grafana
    serves dashboards."""

    facts: StackFacts
    jobs: tuple[ScrapeJob, ...]
    alerts: tuple[Alert, ...] = ()
    grafana_prefix: str = "/"  # route prefix of Grafana ("/grafana/" behind the proxy)
    prometheus_url: str = ""  # external URLs, for links to the alerting UIs
    alertmanager_url: str = ""

    def only(self, name: str) -> Context:
        """This context narrowed to the one job `name`: for queries of a dashboard that spans
        several jobs but reads each metric from the job that exports it."""
        return dataclasses.replace(self, jobs=tuple(j for j in self.jobs if j.name == name))

    @property
    def base(self) -> str:
        """The scrape jobs' own selector: `job="node"`, or `job=~"a|b"` for several jobs."""
        if len(self.jobs) == 1:
            return self.jobs[0].selector
        names = [j.name for j in self.jobs]
        plain = [n for n in names if re.fullmatch(r"[A-Za-z0-9_-]+", n)]
        if plain != names:  # a regex metacharacter would need PromQL-level escaping
            raise ValueError(f"job names {names} must be letters, digits, '_' or '-' to share a selector")
        return 'job=~"' + "|".join(names) + '"'

    def sel(self, *extra: str) -> str:
        """Matchers of every panel query: the jobs' selector, then the variables."""
        matchers = [self.base, 'environment=~"$environment"', 'cluster=~"$cluster"',
                    'job=~"$job"', 'instance=~"$instance"', *extra]
        return ",".join(m for m in matchers if m)

    def sel_job_level(self, *extra: str) -> str:
        """Matchers for job-level recorded series (`job:...`), which carry no `instance`."""
        matchers = [self.base, 'environment=~"$environment"', 'cluster=~"$cluster"', 'job=~"$job"', *extra]
        return ",".join(m for m in matchers if m)

    def sel_job(self, name: str, *extra: str) -> str:
        """Like `sel`, for the one job `name` of a dashboard that covers several."""
        job = next(j for j in self.jobs if j.name == name)
        matchers = [job.selector, 'environment=~"$environment"', 'cluster=~"$cluster"',
                    'job=~"$job"', 'instance=~"$instance"', *extra]
        return ",".join(m for m in matchers if m)

    @property
    def stack(self) -> str:
        """Only the environment and cluster matchers (panels about every target of the stack)."""
        return 'environment=~"$environment",cluster=~"$cluster"'

    def runbook_url(self, page: str) -> str:
        return f"{self.facts.runbook_base_url.rstrip('/')}/{page}.md"

    def lines(self, name: str, complement: bool = False, scale: float = 1.0) -> AlertLines:
        """Threshold lines at the deployed levels of this integration's alert `name`."""
        return alert_lines(self.alerts, name, complement, scale)

    def dashboard_url(self, uid: str) -> str:
        return f"{self.grafana_prefix.rstrip('/')}/d/{uid}"
