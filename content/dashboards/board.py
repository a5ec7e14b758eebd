"""A dashboard as a whole: the five chained template variables, links (to every monstack
dashboard, to related ones that exist, to the runbooks of its alerts), stable uids, rows of
panels, and deterministic JSON."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Optional

from grafana_foundation_sdk.builders import dashboard as builders
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as models

from config.grafana_settings import FOLDERS, UID_PREFIX
from content.dashboards.context import ALL, MAX_UID, Context, make_uid
from content.dashboards.panels import DATASOURCE, DATASOURCE_TYPE
from content.rules import Alert


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
