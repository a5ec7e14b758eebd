"""Panels that always carry a title, a unit, a description and a query: time series and
stats, threshold steps (an alert's lines: `ctx.lines(name)`), and the note a panel gets when it
has data only during a fault."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Optional, Union

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as builders
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.models import common as common_models
from grafana_foundation_sdk.models import dashboard as models

from content.dashboards.context import GREEN, AlertLines

DATASOURCE_TYPE = "prometheus"
DATASOURCE = models.DataSourceRef(type_val=DATASOURCE_TYPE, uid="${datasource}")
# Layout on the 24-column grid: stats 4 a row, graphs 2 a row. Grafana stacks every panel
# full width, in (y, x) order, below its mobile breakpoint: rows keep that order readable.
STAT_SPAN, STAT_HEIGHT = 6, 4
GRAPH_SPAN, GRAPH_HEIGHT = 12, 8


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


# A panel whose series exist only while something is wrong (no failed job yet: no error series)
# says so in its description, where users read it and where the live tests find it.
FAULT_NOTE = re.compile(r" Has data only during a fault: (?P<fault>[^.]+)\.$")


def during_fault(description: str, fault: str) -> str:
    """`description` marked as showing data only during `fault` (e.g. "job errors")."""
    return f"{description} Has data only during a fault: {fault}."
