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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Optional, Union

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as builders
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as common_models
from grafana_foundation_sdk.models import dashboard as models

from config.grafana_settings import FOLDERS, UID_PREFIX
from content.rules import Alert
from content.scrape import ScrapeJob

MAX_UID = 40  # Grafana's limit
DATASOURCE_TYPE = "prometheus"
DATASOURCE = models.DataSourceRef(type_val=DATASOURCE_TYPE, uid="${datasource}")
ALL = ".*"  # value of "All" in every multi-value variable: matches any label value
# Variables every dashboard defines, in this order; the selector uses the last four.
VARIABLES = ("datasource", "environment", "cluster", "job", "instance")
GREEN, ORANGE, RED, BLUE = "green", "orange", "red", "blue"
SEVERITY_COLORS = {"critical": RED, "warning": ORANGE, "info": BLUE}
# Layout on the 24-column grid: stats 4 a row, graphs 2 a row. Grafana stacks every panel
# full width, in (y, x) order, below its mobile breakpoint: rows keep that order readable.
STAT_SPAN, STAT_HEIGHT = 6, 4
GRAPH_SPAN, GRAPH_HEIGHT = 12, 8


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


# --- variables -------------------------------------------------------------------------------

def _query_variable(name: str, label: str, query: str, description: str) -> builders.QueryVariable:
    return (
        builders.QueryVariable(name)
        .label(label)
        .description(description)
        .datasource(DATASOURCE)
        .query(query)
        .refresh(models.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(models.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(ALL)
        .current(models.VariableOption(selected=True, text="All", value="$__all"))
    )


def extra_variable(board_: Board, name: str, label: str, query: str, description: str) -> Board:
    """A variable beyond the five (a Kubernetes namespace, an alert severity), after them."""
    board_.builder.with_variable(_query_variable(name, label, query, description))
    return board_


def variables(ctx: Context) -> list:
    """datasource, environment, cluster, job, instance: each chained on the ones before."""
    stack = 'environment=~"$environment",cluster=~"$cluster"'
    return [
        builders.DatasourceVariable("datasource")
        .label("Data source")
        .description("The Prometheus to read from (the stack's own, or a central store).")
        .type(DATASOURCE_TYPE)
        .current(models.VariableOption(selected=True, text="Prometheus", value="prometheus")),
        _query_variable("environment", "Environment", "label_values(up, environment)",
                        "Stack environment (the target label every scrape job sets)."),
        _query_variable("cluster", "Cluster", 'label_values(up{environment=~"$environment"}, cluster)',
                        "Cluster of the stack, within the chosen environments."),
        _query_variable("job", "Job", f"label_values(up{{{ctx.base},{stack}}}, job)",
                        "Scrape job of this dashboard's integration."),
        _query_variable("instance", "Instance", f'label_values(up{{{ctx.base},{stack},job=~"$job"}}, instance)',
                        "Target of the chosen jobs."),
    ]


# --- queries and panels ----------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""
    instant: bool = False


def _targets(queries: Sequence[Query]) -> list[prometheus.Dataquery]:
    out = []
    for index, q in enumerate(queries):
        target = prometheus.Dataquery().expr(q.expr).ref_id(chr(ord("A") + index)).datasource(DATASOURCE)
        if q.legend:
            target = target.legend_format(q.legend)
        out.append(target.instant() if q.instant else target.range())
    return out


def thresholds(*levels: tuple[float, str], base: str = GREEN) -> builders.ThresholdsConfig:
    """Absolute steps: `base` below the first level, then each (value, colour)."""
    steps = [models.Threshold(value=None, color=base)]
    steps += [models.Threshold(value=value, color=color) for value, color in sorted(levels)]
    return builders.ThresholdsConfig().mode(models.ThresholdsMode.ABSOLUTE).steps(steps)


Levels = Union[Sequence[tuple[float, str]], AlertLines]


def _levels(description: str, levels: Levels, base: str) -> tuple[str, Sequence[tuple[float, str]], str]:
    """(description, steps, base colour): an alert's lines add their note to the description
    (ahead of a fault note, which must stay last)."""
    if isinstance(levels, AlertLines):
        fault = FAULT_NOTE.search(description)
        at = fault.start() if fault else len(description)
        return f"{description[:at]} {levels.note}{description[at:]}", levels.levels, levels.base
    return description, levels, base


def graph(title: str, description: str, unit: str, *queries: Query, span: int = GRAPH_SPAN,
          height: int = GRAPH_HEIGHT, min_value: Optional[float] = 0, max_value: Optional[float] = None,
          levels: Levels = (), stacked: bool = False,
          links: Iterable[builders.DashboardLink] = ()) -> timeseries.Panel:
    """A time series; `levels` draws dashed threshold lines (an alert's: `ctx.lines(name)`)."""
    description, levels, base = _levels(description, levels, GREEN)
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .datasource(DATASOURCE)
        .targets(_targets(queries))
        .span(span)
        .height(height)
        .line_width(1)
        .fill_opacity(10)
        .show_points(common_models.VisibilityMode.NEVER)
        .legend(common_builders.VizLegendOptions()
                .display_mode(common_models.LegendDisplayMode.LIST)
                .placement(common_models.LegendPlacement.BOTTOM)
                .show_legend(True))
        .tooltip(common_builders.VizTooltipOptions()
                 .mode(common_models.TooltipDisplayMode.MULTI)
                 .sort(common_models.SortOrder.DESCENDING))
    )
    if min_value is not None:
        panel = panel.min(min_value)
    if max_value is not None:
        panel = panel.max(max_value)
    if stacked:
        panel = panel.stacking(common_builders.StackingConfig().mode(common_models.StackingMode.NORMAL))
    if levels:
        panel = panel.thresholds(thresholds(*levels, base=base)).thresholds_style(
            common_builders.GraphThresholdsStyleConfig().mode(common_models.GraphThresholdsStyleMode.DASHED))
    else:
        panel = panel.thresholds(thresholds())
    links = list(links)
    if links:
        panel = panel.links(links)
    return panel


def single(title: str, description: str, unit: str, query: Query, span: int = STAT_SPAN,
           height: int = STAT_HEIGHT, levels: Levels = (), base: str = GREEN,
           decimals: Optional[int] = None, links: Iterable[builders.DashboardLink] = ()) -> stat.Panel:
    """A single value (last, reduced over the series), coloured by `levels`."""
    description, levels, base = _levels(description, levels, base)
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .datasource(DATASOURCE)
        .targets(_targets([query]))
        .span(span)
        .height(height)
        .graph_mode(common_models.BigValueGraphMode.AREA)
        .color_mode(common_models.BigValueColorMode.VALUE)
        .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .thresholds(thresholds(*levels, base=base))
    )
    if decimals is not None:
        panel = panel.decimals(decimals)
    links = list(links)
    if links:
        panel = panel.links(links)
    return panel


def reachable(ctx: Context, metric: str, what: str) -> stat.Panel:
    """The exporter's own "can I reach the service" gauge (redis_up, pg_up, ...): the first
    thing to look at on every service dashboard; red when any instance is unreachable."""
    return single(f"{what} reachable", f"Whether the exporter reaches {what} ({metric}; 0 fires "
                  "the Unreachable alert).", "bool_yes_no",
                  Query(f"min by (instance) ({metric}{{{ctx.sel()}}})", "{{instance}}"),
                  levels=[(1, GREEN)], base=RED)


# --- links -----------------------------------------------------------------------------------

def link(title: str, url: str, tooltip: str, icon: str = "external link", new_tab: bool = False,
         keep_time: bool = False) -> builders.DashboardLink:
    return (
        builders.DashboardLink(title)
        .type(models.DashboardLinkType.LINK)
        .url(url)
        .tooltip(tooltip)
        .icon(icon)
        .target_blank(new_tab)
        .keep_time(keep_time)
        .include_vars(False)
        .as_dropdown(False)
        .tags([])
    )


def dashboard_link(ctx: Context, uid: str, title: str) -> builders.DashboardLink:
    """A link to another dashboard by its stable uid, carrying the environment and cluster
    (not job or instance, which belong to the other integration) and the time range."""
    url = f"{ctx.dashboard_url(uid)}?${{environment:queryparam}}&${{cluster:queryparam}}"
    return link(title, url, f"Open {title}", icon="dashboard", keep_time=True)


def all_dashboards_link() -> builders.DashboardLink:
    return (
        builders.DashboardLink("monstack dashboards")
        .type(models.DashboardLinkType.DASHBOARDS)
        .tags([UID_PREFIX])
        .as_dropdown(True)
        .include_vars(False)
        .keep_time(True)
        .target_blank(False)
        .icon("dashboard")
        .tooltip("Every dashboard of this stack")
        .url("")
    )


def runbook_links(ctx: Context, alerts: Iterable[Alert]) -> list[builders.DashboardLink]:
    """One link per runbook page of the given alerts, in order, without repeats."""
    pages: dict[str, str] = {}
    for alert in alerts:
        pages.setdefault(alert.runbook_page, alert.name)
    return [link(f"Runbook: {name}", ctx.runbook_url(page), f"What to do when {name} fires",
                 icon="doc", new_tab=True) for page, name in pages.items()]


# --- dashboards ------------------------------------------------------------------------------

@dataclass
class Board:
    """One dashboard: its builder, where it lives, and the dashboards it links to (uids;
    links to dashboards this stack does not build are left out, so none is broken)."""

    uid: str
    title: str
    folder: str  # a key of FOLDERS
    builder: builders.Dashboard
    related: tuple[tuple[str, str], ...] = ()  # (uid, title)
    integration: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.folder not in FOLDERS:
            raise ValueError(f"dashboard {self.uid}: folder {self.folder!r} is not one of {sorted(FOLDERS)}")
        if len(self.uid) > MAX_UID or not self.uid.startswith(UID_PREFIX + "-"):
            raise ValueError(f"dashboard uid {self.uid!r} must start with {UID_PREFIX}- and be at most {MAX_UID} characters")

    def model(self) -> models.Dashboard:
        return self.builder.build()

    def to_json(self) -> str:
        return render(self.model())


def render(model: models.Dashboard) -> str:
    """Deterministic JSON: sorted keys, no timestamps, no ids that change between runs."""
    return JSONEncoder(sort_keys=True, indent=2).encode(model) + "\n"


def new_dashboard(ctx: Context, uid: str, title: str, description: str, folder: str,
                  tags: Sequence[str] = (), alerts: Iterable[Alert] = ()) -> builders.Dashboard:
    """A dashboard with the stack's defaults: uid, tags, the five variables, links to every
    monstack dashboard and to the runbooks of its alerts, read-only (it is code)."""
    builder = (
        builders.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(sorted({UID_PREFIX, folder, *tags}))
        .time("now-3h", "now")
        .refresh("1m")
        .timezone("browser")
        .tooltip(models.DashboardCursorSync.CROSSHAIR)
        .readonly()
        .version(1)
        .timepicker(builders.TimePicker().refresh_intervals(["30s", "1m", "5m", "15m", "1h"]))
        .variables(variables(ctx))
        .link(all_dashboards_link())
    )
    for runbook in runbook_links(ctx, alerts):
        builder = builder.link(runbook)
    return builder


def board(ctx: Context, key: str, title: str, description: str, folder: str,
          related: Sequence[tuple[str, str]] = (), uid: Optional[str] = None,
          alerts: Optional[Iterable[Alert]] = None, tags: Sequence[str] = ()) -> Board:
    """A `Board` with a fresh dashboard builder; the caller adds rows and panels."""
    uid = uid or make_uid(key)
    alerts = ctx.alerts if alerts is None else tuple(alerts)
    builder = new_dashboard(ctx, uid, title, description, folder, tags=(key, *tags), alerts=alerts)
    return Board(uid=uid, title=title, folder=folder, builder=builder, related=tuple(related), integration=key)


def row(title: str) -> builders.Row:
    return builders.Row(title).collapsed(False)


def add(board_: Board, *sections: tuple[str, Sequence]) -> Board:
    """Lay out (row title, panels) sections in order; panels flow left to right."""
    for title, panels in sections:
        board_.builder.with_row(row(title))
        for panel in panels:
            board_.builder.with_panel(panel)
    return board_


def finish(boards: list[Board], ctx_for_links: Context) -> dict[str, str]:
    """Add each board's links to related dashboards that exist, then render every board.
    Returns uid -> JSON. Raises on a repeated uid."""
    uids = {b.uid for b in boards}
    if len(uids) != len(boards):
        seen: set[str] = set()
        repeated = sorted({b.uid for b in boards if b.uid in seen or seen.add(b.uid)})
        raise ValueError(f"dashboard uids repeat: {repeated}")
    out = {}
    for b in boards:
        for uid, title in b.related:
            if uid in uids and uid != b.uid:
                b.builder.link(dashboard_link(ctx_for_links, uid, title))
        out[b.uid] = b.to_json()
    return out


# A panel whose series exist only while something is wrong (no failed job yet: no error series)
# says so in its description, where users read it and where the live tests find it.
FAULT_NOTE = re.compile(r" Has data only during a fault: (?P<fault>[^.]+)\.$")


def during_fault(description: str, fault: str) -> str:
    """`description` marked as showing data only during `fault` (e.g. "job errors")."""
    return f"{description} Has data only during a fault: {fault}."
