"""Per-rule overrides from stack config, applied as one pure pass over the generated rules.

Keyed by (alert, severity), not alertname alone: kube-prometheus-stack's `disabled` and
`customRules` hit both the warning and the critical variant of an alert, which its users
cannot tell apart. An override that matches nothing is an error naming the nearest rules.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from config.settings import AlertOverride
from content.rules import Alert, RuleGroup


@dataclass(frozen=True)
class OverrideProblem:
    index: int  # position in `alertOverrides`
    field: str
    message: str


def _matches(override: AlertOverride, alert: Alert) -> bool:
    return alert.name == override.alert and override.severity in (None, alert.severity)


def check_overrides(groups: dict[str, list[RuleGroup]], overrides: list[AlertOverride]) -> list[OverrideProblem]:
    alerts = [a for gs in groups.values() for g in gs for a in g.alerts]
    keys = sorted({f"{a.name}/{a.severity}" for a in alerts})
    problems = []
    for index, override in enumerate(overrides):
        matched = [a for a in alerts if _matches(override, a)]
        wanted = override.alert + (f"/{override.severity}" if override.severity else "")
        if not matched:
            near = difflib.get_close_matches(wanted, keys, n=3, cutoff=0.5)
            hint = f"; nearest: {', '.join(near)}" if near else ""
            problems.append(OverrideProblem(index, "alert", f"no generated alert is {wanted}{hint}"))
            continue
        if override.severity is None and len({a.severity for a in matched}) > 1:
            variants = ", ".join(sorted(a.severity for a in matched))
            problems.append(OverrideProblem(
                index, "severity", f"{override.alert} has variants {variants}: name one with `severity`"))
        if override.threshold is not None and any(a.threshold is None for a in matched):
            problems.append(OverrideProblem(index, "threshold", f"{wanted} has no threshold to change"))
    return problems


def apply_overrides(groups: dict[str, list[RuleGroup]], overrides: list[AlertOverride]) -> dict[str, list[RuleGroup]]:
    """The rules with every override applied; call `check_overrides` first (the loader does)."""
    if not overrides:
        return groups
    out: dict[str, list[RuleGroup]] = {}
    for file, file_groups in groups.items():
        new_groups = []
        for group in file_groups:
            rules = []
            for rule in group.rules:
                if isinstance(rule, Alert):
                    rule = _apply(rule, [o for o in overrides if _matches(o, rule)])
                if rule is not None:
                    rules.append(rule)
            new_groups.append(RuleGroup(name=group.name, rules=tuple(rules), interval=group.interval, layer=group.layer))
        out[file] = new_groups
    return out


def _apply(alert: Alert, overrides: list[AlertOverride]) -> Alert | None:
    for override in overrides:
        if override.disabled:
            return None
        changes: dict = {}
        if override.threshold is not None:
            changes["threshold"] = override.threshold
        if override.for_ is not None:
            changes["for_"] = override.for_
        if override.set_severity is not None:
            changes["severity"] = override.set_severity
        if override.labels:
            changes["labels"] = tuple(sorted({**dict(alert.labels), **override.labels}.items()))
        alert = alert.replace(**changes)
    return alert
