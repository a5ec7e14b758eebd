"""Every alert a dashboard (titles, descriptions, links) or a runbook (docs/runbooks) names is
an alert some stack really renders, so no page sends a reader looking for an alert that was
renamed or never existed (the application dashboard's "ApplicationDown")."""

from __future__ import annotations

import re
from functools import cache

import yaml

from tests.conftest import ROOT, STACKS
from tests.test_alert_cases import plan_for

CAMEL = re.compile(r"(?<![\w.$])(?P<app><App>)?(?P<name>[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+)\b")
HUMPS = re.compile(r"[A-Z][a-z0-9]*")
# CamelCase words that end like an alert but are not ours, each with the reason.
NOT_ALERTS = {
    "DiskPressure": "a Kubernetes node condition",
    "MemoryPressure": "a Kubernetes node condition",
    "PIDPressure": "a Kubernetes node condition",
    "NotReady": "a Kubernetes node or pod status",
}


@cache
def rendered_alert_names() -> frozenset[str]:
    """Alert names in the rule files of every stack with every integration enabled."""
    names: set[str] = set()
    for stack in STACKS:
        for path, text in plan_for(stack).service("prometheus").files.items():
            if path.startswith("rules/"):
                names |= {r["alert"] for g in yaml.safe_load(text)["groups"] for r in g["rules"] if "alert" in r}
    return frozenset(names)


@cache
def texts() -> tuple[tuple[str, str], ...]:
    """(where, text): every dashboard of every stack as JSON, and every runbook page."""
    out = [(f"dashboard {d.uid} ({stack})", d.json) for stack in STACKS for d in plan_for(stack).dashboards]
    out += [(f"docs/runbooks/{p.name}", p.read_text()) for p in sorted((ROOT / "docs" / "runbooks").glob("*.md"))]
    return tuple(out)


def named_alerts(text: str, names: frozenset[str]) -> list[tuple[str, bool]]:
    """(name, is a `<App>` template) of every word in `text` that reads as an alert name: a
    CamelCase word ending the way some rendered alert ends (Down, High, Missing, ...)."""
    endings = {HUMPS.findall(n)[-1] for n in names}
    found = []
    for match in CAMEL.finditer(text):
        name = match["name"]
        if HUMPS.findall(name)[-1] in endings and name not in NOT_ALERTS:
            found.append((name, bool(match["app"])))
    return found


def missing(text: str, names: frozenset[str]) -> set[str]:
    out = set()
    for name, template in named_alerts(text, names):
        # `<App>QueueDepthHigh` stands for every application's MemeMakerBackendQueueDepthHigh, ...
        exists = any(n.endswith(name) and n != name for n in names) if template else name in names
        if not exists:
            out.add(f"<App>{name}" if template else name)
    return out


def test_every_named_alert_exists():
    names = rendered_alert_names()
    problems = {where: sorted(found) for where, text in texts() if (found := missing(text, names))}
    assert not problems, problems


def test_the_check_sees_names_in_dashboards_and_runbooks():
    """It reads what it should: real names, templates and the stale name it was written for."""
    names = rendered_alert_names()
    assert len(names) > 70
    seen = {name for _, text in texts() for name, _ in named_alerts(text, names)}
    assert {"MemeMakerBackendDown", "RedisTooManyClients", "HostDiskSpaceLow", "QueueDepthHigh"} <= seen
    assert missing("Targets up (ApplicationDown fires after 1m down).", names) == {"ApplicationDown"}
    assert missing("see `<App>QueueDepthHigh`", names) == set()
    assert missing("see `<App>QueueDepthLow`", names) == {"<App>QueueDepthLow"}
    assert missing("(Get-Date).AddHours(-2); nodes with DiskPressure", names) == set()
