"""What fires, by severity and environment: Prometheus' own `ALERTS` series, plus links to
the Alertmanager and Prometheus alert pages and the runbooks.

Alerts whose expression aggregates (`max by (instance) ...`, the Watchdog's `vector(1)`)
lose the target labels, so locally they carry no `environment` or `cluster` (Prometheus adds
those only to what leaves it: a central store sees them). The matchers here therefore also
accept an absent label (`=~"$environment|"`), and the by-environment panel counts an alert
without one under this stack's own environment and cluster: it was evaluated here."""

from __future__ import annotations

from content.dashboards.board import Board, add, board, extra_variable, link
from content.dashboards.context import ORANGE, RED, SEVERITY_COLORS, Context, make_uid
from content.dashboards.panels import Query, graph, single

UID = make_uid("alerts")


def _alerts(ctx: Context, state: str, *extra: str) -> str:
    matchers = [f'alertstate="{state}"', 'environment=~"$environment|"', 'cluster=~"$cluster|"',
                'job=~"$job|"', 'instance=~"$instance|"', 'severity=~"$severity"', *extra]
    return "ALERTS{" + ",".join(matchers) + "}"


def dashboards(ctx: Context) -> list[Board]:
    facts = ctx.facts
    firing = _alerts(ctx, "firing")
    b = board(ctx, "alerts", "Alerts overview", "Every alert of the stack: what fires now, by severity, name and "
              "environment, and what is about to (pending).", "platform", uid=UID, alerts=(),
              related=[(make_uid("self"), "Prometheus and Alertmanager")], tags=("alerts",))
    extra_variable(b, "severity", "Severity", "label_values(ALERTS, severity)", "Severity of the alerts to show.")
    for title, url, tip in (
        ("Alertmanager", ctx.alertmanager_url, "Silences, groups and receivers"),
        ("Prometheus alerts", f"{ctx.prometheus_url.rstrip('/')}/alerts" if ctx.prometheus_url else "",
         "Alert rules and their state"),
        ("Runbooks", f"{facts.runbook_base_url.rstrip('/')}/README.md", "One page per alert"),
    ):
        if url:
            b.builder.link(link(title, url, tip, new_tab=True))
    filled = (f'label_replace(label_replace({firing}, "environment", "{facts.environment}", "environment", ""), '
              f'"cluster", "{facts.cluster}", "cluster", "")')
    quote = '"'
    stats = [
        single(f"Firing {severity}", f"Alerts of severity {severity} firing now.", "short",
               Query(f"count({_alerts(ctx, 'firing', f'severity={quote}{severity}{quote}')}) or vector(0)"),
               levels=[(1, color)])
        for severity, color in (("critical", RED), ("warning", ORANGE))
    ]
    stats.append(single("Pending", "Alerts whose condition holds but whose `for` has not yet passed.", "short",
                        Query(f'count({_alerts(ctx, "pending")}) or vector(0)'), levels=[(1, ORANGE)]))
    stats.append(single("Targets down", "Targets of the stack not answering scrapes.", "short",
                        Query(f"count(up{{{ctx.stack}}} == 0) or vector(0)"), levels=[(1, RED)]))
    return [add(
        b,
        ("Now", stats),
        ("Over time", [
            graph("Firing by severity", "Number of firing alerts per severity; the Watchdog (info) always fires, "
                  "which shows the alerting pipeline works.", "short",
                  Query(f"count by (severity) ({firing})", "{{severity}}"), stacked=True,
                  levels=[(1, SEVERITY_COLORS["warning"])]),
            graph("Firing by environment", "Firing alerts per environment and cluster (an alert without the "
                  "labels was evaluated by this stack).", "short",
                  Query(f"count by (environment, cluster) ({filled})", "{{environment}} {{cluster}}"), stacked=True),
            graph("Firing by alert", "Firing alerts per alert name and severity.", "short",
                  Query(f"count by (alertname, severity) ({firing})", "{{alertname}} ({{severity}})"), stacked=True,
                  span=24),
            graph("Pending by alert", "Alerts pending per alert name (what is about to fire); 0 when none is.",
                  "short", Query(f'count by (alertname) ({_alerts(ctx, "pending")}) or vector(0)', "{{alertname}}"),
                  span=24),
        ]),
    )]
