"""Alertmanager's route tree, inhibition rules and mute times, as data derived from settings.

The tree is flat on purpose: the root (the default receiver, grouping and timing of the
environment) and one level of children, tried in order:

1. Watchdog -> the dead man's switch (or the empty `null` receiver), every
   `deadMansSwitchInterval`; it stops there, so the heartbeat never reaches chat or pager.
2. `alerting.routes`, in the stack file's order (teams, services).
3. severity="critical" -> `routing.critical`, severity="warning" -> `routing.warning`
   (each falls back to `routing.default`), muted by `routing.muteTimeIntervals`.
4. Anything else (info) stays at the root -> `routing.default`.

Each child is a `RouteSpec`; the rendered YAML and the `amtool config routes test` cases both
come from the same specs, so a route cannot exist without a case (tests/test_routing.py).

Label scheme. Every scrape job gets two target labels, so that every series and therefore
every alert built on it carries them:

- `service`: the job's name (redis, node, meme-maker-backend...). It is one of the `group_by`
  labels and what service routes match on. Application alerts aggregate away target labels,
  so `service` (and the application's own `labels`, e.g. team) are added to them as rule labels.
- `host`: the machine the target runs on. On the Docker platform every container of a stack
  (exporters, Prometheus, Alertmanager, the applications on its network) runs on the one
  Docker host that owns the bridge network `monstack-<env>`, so the value is that network's
  name: unique per stack, known before deploy, and the same on NodeDown (the node exporter's
  own target) as on every other target of that host. Blackbox probes get no `host`: they
  watch remote URLs, which a local host failure does not explain. An application that runs
  elsewhere sets `labels: {host: ...}` itself.

With that, "NodeDown inhibits the alerts of services on that host" is one inhibition rule
with `equal: [cluster, environment, host]`, and it stays correct when a Kubernetes platform
later puts a node exporter on each node with `host` = the node name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from config.applications import Application
from config.overrides import AlertOverride
from config.prometheus import AlertmanagerSettings
from config.receivers import WEEKDAYS, Alerting, MuteTimeInterval, Routing
from content.scrape import ScrapeJob

GROUP_BY = ["alertname", "cluster", "environment", "service"]
WATCHDOG = "Watchdog"
HOST_DOWN_ALERT = "NodeDown"  # the node exporter of a host stopped answering
NULL_RECEIVER = "null"  # takes Watchdog when no dead man's switch is configured
# Labels monstack guarantees on alerts (target, rule and external labels); routes may match
# these and the labels a stack adds itself (applications[].labels, alertOverrides[].labels).
ROUTING_LABELS = ("alertname", "severity", "cluster", "environment", "job", "instance", "host", "service")
# A critical hides the warning of the same alert on the same instance (and, for per-device
# alerts, the same file system or device: a full / must not hide a filling /data).
CRITICAL_HIDES_WARNING_EQUAL = ["alertname", "cluster", "environment", "instance", "mountpoint", "device"]


def routable_labels(applications: Sequence[Application], overrides: Sequence[AlertOverride]) -> set[str]:
    """Label names a route may match: those monstack guarantees and those the stack adds."""
    own = {name for app in applications for name in app.labels}
    own |= {name for override in overrides for name in override.labels}
    return set(ROUTING_LABELS) | own


def with_target_labels(job: ScrapeJob, stack_host: Optional[str]) -> ScrapeJob:
    """The job with `service` and (unless it probes remote targets) `host` target labels;
    labels the job already sets win. `stack_host` is `Topology.stack_host`: on Kubernetes
    there is no one host (pods move between nodes), so no `host` is set and the host-down
    inhibition stays inert (its target matcher needs a non-empty `host`); node alerts carry
    the `node` label instead."""
    extra = {"service": job.name}
    if stack_host and job.on_stack_host and job.probe_via is None:
        extra["host"] = stack_host
    merged = {**extra, **dict(job.labels)}
    return dataclasses.replace(job, labels=tuple(sorted(merged.items())))


@dataclass(frozen=True)
class RouteSpec:
    """One child route. `key` names it in tests and error messages; `match` are equality
    matchers, `severities` an optional severity filter."""

    key: str
    receiver: str
    match: tuple[tuple[str, str], ...] = ()
    severities: tuple[str, ...] = ()
    continue_: bool = False
    mute: tuple[str, ...] = ()
    timing: dict[str, str] = field(default_factory=dict)

    def matchers(self) -> list[str]:
        out = [f'{name}="{value}"' for name, value in self.match]
        if len(self.severities) == 1:
            out.append(f'severity="{self.severities[0]}"')
        elif self.severities:
            out.append(f'severity=~"{"|".join(self.severities)}"')
        return out

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether an alert with `labels` takes this route (equality and severity set only)."""
        return all(labels.get(k) == v for k, v in self.match) and (
            not self.severities or labels.get("severity") in self.severities)

    def render(self) -> dict[str, Any]:
        route: dict[str, Any] = {"receiver": self.receiver, "matchers": self.matchers(), **self.timing}
        if self.mute:
            route["mute_time_intervals"] = list(self.mute)
        route["continue"] = self.continue_
        return route


def severity_receiver(routing: Routing, severity: str) -> str:
    """The receiver of `severity` ("critical" or "warning"), else the default one."""
    return {"critical": routing.critical, "warning": routing.warning}[severity] or routing.default


def watchdog_receiver(routing: Routing) -> str:
    return routing.dead_mans_switch or NULL_RECEIVER


def route_specs(alerting: Alerting) -> list[RouteSpec]:
    """The children of the root route, in the order Alertmanager tries them."""
    routing = alerting.routing
    interval = routing.dead_mans_switch_interval
    specs = [RouteSpec(
        key="watchdog", receiver=watchdog_receiver(routing), match=(("alertname", WATCHDOG),),
        # Sent at once and re-sent every interval: the switch pages when a beat is missing.
        timing={"group_wait": "0s", "group_interval": interval, "repeat_interval": interval},
    )]
    for index, route in enumerate(alerting.routes):
        specs.append(RouteSpec(
            key=f"routes[{index}]", receiver=route.receiver, match=tuple(sorted(route.match.items())),
            severities=tuple(route.severities), continue_=route.continue_, mute=tuple(route.mute_time_intervals),
        ))
    for severity in ("critical", "warning"):
        specs.append(RouteSpec(
            key=severity, receiver=severity_receiver(routing, severity), severities=(severity,),
            mute=tuple(routing.mute_time_intervals.get(severity, ())),
        ))
    return specs


def resolve(alerting: Alerting, labels: Mapping[str, str]) -> list[str]:
    """Receivers an alert with `labels` reaches in the tree of `route_specs` (what amtool must
    agree with): every matching child up to the first that does not continue, else the root."""
    out = []
    for spec in route_specs(alerting):
        if spec.matches(labels):
            out.append(spec.receiver)
            if not spec.continue_:
                return out
    return out or [alerting.routing.default]


def route_tree(alerting: Alerting, timing: AlertmanagerSettings) -> dict[str, Any]:
    """The root route: the default receiver with the environment's grouping and timing."""
    return {
        "receiver": alerting.routing.default,
        "group_by": GROUP_BY,
        "group_wait": timing.group_wait,
        "group_interval": timing.group_interval,
        "repeat_interval": timing.repeat_interval,
        "routes": [spec.render() for spec in route_specs(alerting)],
    }


def inhibit_rules() -> list[dict[str, Any]]:
    """Two rules. A critical hides the warning variant of the same alert on the same instance.
    NodeDown hides every other alert of its host (`host` label, see the module docstring):
    when a host is gone its services' target-down alerts add nothing. NodeDown itself is
    critical and pages, so the inhibited alerts are never the only sign; they stay visible
    as suppressed in Alertmanager's UI. Watchdog carries no `host` and is never hidden."""
    return [
        {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity="warning"'],
            "equal": CRITICAL_HIDES_WARNING_EQUAL,
        },
        {
            "source_matchers": [f'alertname="{HOST_DOWN_ALERT}"'],
            "target_matchers": ['host=~".+"', f'alertname!="{HOST_DOWN_ALERT}"'],
            "equal": ["cluster", "environment", "host"],
        },
    ]


def _day_runs(days: set[int]) -> list[str]:
    """Weekdays (0 = monday, as the stack file orders them) as Alertmanager's names and
    `first:last` ranges. Alertmanager's week starts on Sunday and its ranges cannot wrap, so
    a weekend is written `sunday, saturday`, never `saturday:sunday`."""
    am_order = (WEEKDAYS[6],) + WEEKDAYS[:6]
    runs: list[list[int]] = []
    for day in sorted((d + 1) % 7 for d in days):
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return [am_order[r[0]] if len(r) == 1 else f"{am_order[r[0]]}:{am_order[r[-1]]}" for r in runs]


def _days(specs: list[str]) -> set[int]:
    out: set[int] = set()
    for spec in specs:
        first, _, last = spec.partition(":")
        out |= set(range(WEEKDAYS.index(first), WEEKDAYS.index(last or first) + 1))
    return out


def _interval_entries(mute: MuteTimeInterval) -> list[dict[str, Any]]:
    """Alertmanager takes ranges within one day, so 22:00-06:00 becomes 22:00-24:00 on the given
    weekdays and 00:00-06:00 on the day after each of them (Friday night runs into Saturday)."""
    days = _days(mute.weekdays)

    def entry(times: list[tuple[str, str]], weekdays: Optional[set[int]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if times:
            out["times"] = [{"start_time": s, "end_time": e} for s, e in times]
        if weekdays:
            out["weekdays"] = _day_runs(weekdays)
        if mute.location:
            out["location"] = mute.location
        return out

    if not mute.times:
        return [entry([], days)]
    same_day = [(t.start, t.end) for t in mute.times if t.start < t.end]
    evenings = [(t.start, "24:00") for t in mute.times if t.start > t.end]
    mornings = [("00:00", t.end) for t in mute.times if t.start > t.end and t.end != "00:00"]
    entries = []
    if same_day or evenings:
        entries.append(entry(same_day + evenings, days))
    if mornings:
        entries.append(entry(mornings, {(d + 1) % 7 for d in days} if days else None))
    return entries


def time_intervals(mutes: Sequence[MuteTimeInterval]) -> list[dict[str, Any]]:
    return [{"name": m.name, "time_intervals": _interval_entries(m)} for m in mutes]


@dataclass(frozen=True)
class RouteCase:
    """An alert's labels and the receivers it must reach, exactly; `route` is the key of the
    child route the case exercises (or "root")."""

    route: str
    name: str
    labels: dict[str, str]
    receivers: tuple[str, ...]


def route_cases(alerting: Alerting, stack_labels: Mapping[str, str]) -> list[RouteCase]:
    """One case per child route plus the root, built from the same specs as the tree: the
    labels a matching alert carries (with the stack's `cluster` and `environment`,
    `stack_labels`), and the receivers `resolve` says it reaches."""
    base = {**stack_labels, "alertname": "RoutingTest", "service": "routing-test"}
    cases = []
    for spec in route_specs(alerting):
        labels = {**base, "severity": spec.severities[0] if spec.severities else "warning", **dict(spec.match)}
        cases.append(RouteCase(spec.key, f"{spec.key}: {' '.join(spec.matchers())}", labels,
                               tuple(resolve(alerting, labels))))
    info = {**base, "severity": "info"}
    cases.append(RouteCase("root", "root: an info alert", info, tuple(resolve(alerting, info))))
    return cases
