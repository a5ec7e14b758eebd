"""Per-rule overrides from stack config, applied as one pure pass over the generated rules.

Keyed by (alert, severity), not alertname alone: kube-prometheus-stack's `disabled` and
`customRules` hit both the warning and the critical variant of an alert, which its users
cannot tell apart. An override that matches nothing is an error naming the nearest rules.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Optional

from config.overrides import AlertOverride
from config.thresholds import range_problem, stricter_problem, stricter_than
from content.rules import Alert, RuleGroup


@dataclass(frozen=True)
class OverrideProblem:
    index: int  # position in `alertOverrides`
    field: str
    message: str
    suggestion: Optional[float] = None  # a value of `field` that would be right


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
        elif override.threshold is not None:
            problems += _range_problems(index, override.threshold, matched)
    if not problems:
        problems += _order_problems(groups, overrides)
    return problems


def _range_problems(index: int, threshold: float, matched: list[Alert]) -> list[OverrideProblem]:
    """The overridden threshold must be of the kind the alert declares (a ratio in [0, 1]...)."""
    for alert in matched:
        kind = alert.threshold_kind or ""
        why = range_problem(threshold, kind, alert.direction, f"{alert.name}/{alert.severity}")
        if why:
            return [OverrideProblem(index, "threshold", why, suggestion=alert.threshold)]
    return []


def _order_problems(groups: dict[str, list[RuleGroup]], overrides: list[AlertOverride]) -> list[OverrideProblem]:
    """After the overrides, each alert's critical variant must still be stricter than its
    warning (unless one is disabled); the problem goes to the last override that moved the pair."""
    problems = []
    for group in (g for gs in groups.values() for g in gs):
        by_key = {a.key: a for a in group.alerts}
        for warning in (a for a in group.alerts if a.severity == "warning" and a.threshold is not None):
            name, critical = warning.name, by_key.get((warning.name, "critical"))
            if critical is None:
                continue
            if any(o.disabled and (_matches(o, warning) or _matches(o, critical)) for o in overrides):
                continue
            (warn_at, warn_by), (crit_at, crit_by) = _final_threshold(warning, overrides), _final_threshold(critical, overrides)
            why = stricter_problem(warn_at, crit_at, warning.direction, name)
            if not why or max(warn_by, crit_by) < 0:
                continue
            kind = warning.threshold_kind or ""
            if crit_by > warn_by:
                moved, other_at, suggestion = "critical", warn_at, stricter_than(warn_at, kind, warning.direction)
            else:
                keeps = stricter_problem(warning.threshold, crit_at, warning.direction, name) is None
                moved, other_at, suggestion = "warning", crit_at, warning.threshold if keeps else None
            problems.append(OverrideProblem(max(warn_by, crit_by), "threshold",
                                            f"{why}; this override sets the {moved} variant (the other is at {other_at:g})",
                                            suggestion=suggestion))
    return problems


def _final_threshold(alert: Alert, overrides: list[AlertOverride]) -> tuple[float, int]:
    """The alert's threshold after the overrides, and the index of the last override that set it (-1: none)."""
    threshold, index = alert.threshold or 0.0, -1
    for i, override in enumerate(overrides):
        if _matches(override, alert) and override.threshold is not None:
            threshold, index = override.threshold, i
    return threshold, index


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
