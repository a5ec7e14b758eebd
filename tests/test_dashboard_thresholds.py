"""Every threshold line a dashboard draws sits where the alert it names fires, as the stack
deploys it: read back from the rendered rule files and dashboard JSON of the same plan, for
every stack with every integration enabled, and again after `alertOverrides` move them."""

from __future__ import annotations

import json
import re
from functools import cache

import pytest
import yaml

from content.dashboards.context import SEVERITY_COLORS
from tests.conftest import STACKS
from tests.test_alert_cases import plan_for

# What `content.dashboards.context.alert_lines` writes into a panel's description.
NOTE = re.compile(r"Lines: the (?P<alert>\w+) alert's levels(?: \(value = (?P<how>1 - threshold|threshold × "
                  r"(?P<scale>[0-9.e+]+))\))?\.")
# The comparison an alert's rendered expression ends with: `> 0.8`, `< 0.15`.
LAST_COMPARISON = re.compile(r"(?P<op>[<>])=?\s*(?P<value>-?[0-9.e+]+)\s*$")


def rendered_alerts(plan) -> dict[str, list[dict]]:
    """alert name -> its rendered rules (one per severity variant), from the rule files."""
    out: dict[str, list[dict]] = {}
    for path, text in plan.service("prometheus").files.items():
        if path.startswith("rules/"):
            for group in yaml.safe_load(text)["groups"]:
                for rule in group["rules"]:
                    if "alert" in rule:
                        out.setdefault(rule["alert"], []).append(rule)
    return out


def panels_of(plan):
    for board in plan.dashboards:
        for panel in json.loads(board.json).get("panels", []):
            if panel["type"] != "row":
                yield board.uid, panel


def steps(panel: dict) -> list[tuple[float | None, str]]:
    return [(s["value"], s["color"]) for s in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]


def expected_steps(rules: list[dict], how: str | None, scale: str | None) -> list[tuple[float | None, str]]:
    """The steps a panel must have for these rendered rules, computed here from the files."""
    levels = []
    for rule in rules:
        match = LAST_COMPARISON.search(rule["expr"])
        assert match, f"{rule['alert']}: no trailing comparison in {rule['expr']!r}"
        value = float(match["value"])
        upwards = match["op"] == ">"
        if how == "1 - threshold":
            value, upwards = 1 - value, not upwards
        elif scale:
            value *= float(scale)
        levels.append((round(value, 9), SEVERITY_COLORS[rule["labels"]["severity"]], upwards))
    levels.sort()
    if levels[0][2]:
        return [(None, "green")] + [(v, color) for v, color, _ in levels]
    # Fires downwards: the most severe colour below the lowest line, the next one's above it.
    colors = [color for _, color, _ in levels]
    return [(None, colors[0])] + [(v, c) for (v, _, _), c in zip(levels, [*colors[1:], "green"], strict=True)]


def check_lines(plan) -> int:
    """Assert every noted panel's steps; return how many panels draw an alert's lines."""
    alerts = rendered_alerts(plan)
    drawn = 0
    for uid, panel in panels_of(plan):
        note = NOTE.search(panel.get("description", ""))
        if not note:
            continue
        drawn += 1
        rules = alerts.get(note["alert"])
        assert rules, f"{uid} {panel['title']!r}: draws {note['alert']}, which the stack does not deploy"
        got = [(None if v is None else round(v, 9), c) for v, c in steps(panel)]
        assert got == expected_steps(rules, note["how"], note["scale"]), f"{uid} {panel['title']!r}"
    return drawn


@cache
def full_plan(stack: str, overrides: tuple = ()):
    return plan_for(stack, **({"alertOverrides": [dict(o) for o in overrides]} if overrides else {}))


@pytest.mark.parametrize("stack", STACKS)
def test_every_line_sits_at_its_alerts_level(stack):
    assert check_lines(full_plan(stack)) >= 20


def rule_file_of(integration: str) -> str:
    """The rule file of the alerts a dashboard sits beside."""
    if integration.startswith("k8s-"):
        return "kubernetes.yml"
    return {"self": "monstack.yml"}.get(integration, f"{integration}.yml")


@pytest.mark.parametrize("stack", STACKS)
def test_no_panel_copies_an_alert_level_as_a_constant(stack):
    """A panel that draws lines without naming an alert must not sit at a level of the alerts
    beside it: that is the duplicated constant that drifts when the alert moves (Redis' 0.95
    on clients, PostgreSQL's red at 0.95)."""
    plan = full_plan(stack)
    prometheus = plan.service("prometheus").files
    for board in plan.dashboards:
        levels: dict[float, str] = {}
        for group in yaml.safe_load(prometheus.get(f"rules/{rule_file_of(board.integration)}", "groups: []"))["groups"]:
            for rule in group["rules"]:
                match = LAST_COMPARISON.search(rule.get("alert") and rule["expr"] or "")
                value = float(match["value"]) if match else 0.0
                if value not in (0.0, 1.0):
                    levels[round(value, 9)] = rule["alert"]
                    if 0 < value < 1:  # a share may be drawn as its complement (used against free)
                        levels[round(1 - value, 9)] = rule["alert"]
        for panel in (p for p in json.loads(board.json)["panels"] if p["type"] != "row"):
            if NOTE.search(panel.get("description", "")):
                continue
            for value, _ in steps(panel):
                assert value is None or round(value, 9) not in levels, (
                    f"{board.uid} {panel['title']!r} draws {value}, a level of {levels.get(round(value, 9))}, "
                    "as a constant: draw ctx.lines(alert) instead")


OVERRIDES = (
    (("alert", "RedisTooManyClients"), ("severity", "warning"), ("threshold", 0.7)),
    (("alert", "RedisMemoryHigh"), ("severity", "critical"), ("disabled", True)),
    (("alert", "HostHighCpuLoad"), ("threshold", 0.97)),
    (("alert", "HostDiskSpaceLow"), ("severity", "critical"), ("threshold", 0.02)),
    (("alert", "PostgresTooManyConnections"), ("severity", "critical"), ("threshold", 0.99)),
    (("alert", "MemeMakerBackendQueueDepthHigh"), ("severity", "warning"), ("threshold", 18)),
    (("alert", "MemeMakerBackendJobLatencyHigh"), ("severity", "warning"), ("setSeverity", "critical")),
)


def panel(plan, uid: str, title: str) -> dict:
    return next(p for u, p in panels_of(plan) if u == uid and p["title"] == title)


def test_lines_follow_the_overrides():
    before, after = full_plan("prod"), full_plan("prod", OVERRIDES)
    clients, memory = "Clients against maxclients", "Memory against maxmemory"
    assert steps(panel(before, "monstack-redis", clients)) == [(None, "green"), (0.8, "orange"), (0.9, "red")]
    assert steps(panel(after, "monstack-redis", clients)) == [(None, "green"), (0.7, "orange"), (0.9, "red")]
    assert steps(panel(before, "monstack-redis", memory)) == [(None, "green"), (0.85, "orange"), (0.95, "red")]
    assert steps(panel(after, "monstack-redis", memory)) == [(None, "green"), (0.85, "orange")]
    assert steps(panel(after, "monstack-node", "CPU busy")) == [(None, "green"), (0.97, "orange")]
    assert steps(panel(after, "monstack-node", "File system used")) == [(None, "green"), (0.85, "orange"), (0.98, "red")]
    assert steps(panel(before, "monstack-postgres", "Connections used")) == [(None, "green"), (0.8, "orange"), (0.9, "red")]
    assert steps(panel(after, "monstack-postgres", "Connections used")) == [(None, "green"), (0.8, "orange"), (0.99, "red")]
    app = "monstack-app-meme-maker-backend"
    assert steps(panel(after, app, "Queue depth")) == [(None, "green"), (18, "orange"), (25, "red")]
    assert steps(panel(after, app, "Job latency p95 as the alert sees it")) == [(None, "green"), (120, "red")]
    assert check_lines(after) >= 20
