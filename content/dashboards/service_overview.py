"""The "Overview" row every service dashboard opens with (Redis, PostgreSQL, MySQL, MongoDB):
can the exporter reach the service, for how long has it been up, then the two or three numbers
that say how loaded it is, one value per instance.

The row is the same shape on every service, so a reader who learnt one dashboard reads the
others at a glance; each service states only its metrics and words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from grafana_foundation_sdk.builders import stat, timeseries

from content.dashboards.context import GREEN, RED, Context
from content.dashboards.panels import Levels, Query, graph, single

PER_INSTANCE = "{{instance}}"  # every stat of the row shows one value per instance


def reachable(ctx: Context, metric: str, what: str) -> stat.Panel:
    """The exporter's own "can I reach the service" gauge (redis_up, pg_up, ...): the first
    thing to look at on every service dashboard; red when any instance is unreachable."""
    return single(f"{what} reachable", f"Whether the exporter reaches {what} ({metric}; 0 fires "
                  "the Unreachable alert).", "bool_yes_no",
                  Query(f"min by (instance) ({metric}{{{ctx.sel()}}})", "{{instance}}"),
                  levels=[(1, GREEN)], base=RED)


@dataclass(frozen=True)
class Uptime:
    """How long the service has run: a gauge of seconds up, or (`started_at`) the timestamp of
    its start, which the panel subtracts from now."""

    metric: str  # with its selector
    description: str
    started_at: bool = False

    @property
    def expr(self) -> str:
        newest = f"max by (instance) ({self.metric})"
        return f"time() - {newest}" if self.started_at else newest


@dataclass(frozen=True)
class InstanceStat:
    """One more stat of the row: `aggregation by (instance) (expr)`."""

    title: str
    description: str
    unit: str
    expr: str  # per series, its selector in
    aggregation: str = "sum"
    levels: Levels = ()


def share_of_limit(ctx: Context, title: str, description: str, ratio_query: str, alert: str) -> InstanceStat:
    """A used-over-limit ratio (the recorded series `alert` reads), as a share, with that
    alert's threshold lines."""
    return InstanceStat(title, description, "percentunit", ratio_query, "max", ctx.lines(alert))


def traffic_graph(received: str, sent: str) -> timeseries.Panel:
    """Bytes the service received and sent per second, per instance (`received` and `sent` are
    the counters' rates, selectors in)."""
    return graph("Network", "Bytes received and sent per second.", "Bps",
                 Query(f"sum by (instance) ({received})", f"{PER_INSTANCE} in"),
                 Query(f"sum by (instance) ({sent})", f"{PER_INSTANCE} out"))


def overview_row(ctx: Context, service: str, up_metric: str, uptime: Uptime,
                 stats: Sequence[InstanceStat]) -> tuple[str, list]:
    """The ("Overview", panels) section: reachable, uptime, then `stats`, in that order."""
    panels = [
        reachable(ctx, up_metric, service),
        single("Uptime", uptime.description, "s", Query(uptime.expr, PER_INSTANCE)),
    ]
    panels += [single(stat.title, stat.description, stat.unit,
                      Query(f"{stat.aggregation} by (instance) ({stat.expr})", PER_INSTANCE), levels=stat.levels)
               for stat in stats]
    return ("Overview", panels)
