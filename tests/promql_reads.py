"""What a rule reads, from its parsed PromQL (the promql-parser package): the vector selectors
of its expression, through the recording rules it reads, and whether a fixture series is one
of them. Shared by the selector and fixture checks."""

from __future__ import annotations

import re
from collections.abc import Mapping

import promql_parser

from content.rules import Alert, Recording, number


def selectors(expr: str) -> list[promql_parser.VectorSelector]:
    """Every vector selector of `expr`, also inside range vectors, subqueries and functions."""
    found: list[promql_parser.VectorSelector] = []

    def visit(node) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            found.append(node)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


def rendered_expr(rule: Alert | Recording) -> str:
    """The expression as the rule file has it (the threshold filled in)."""
    if isinstance(rule, Alert) and rule.threshold is not None:
        return rule.expr.replace("$threshold", number(rule.threshold))
    return rule.expr


def reads(expr: str, recordings: Mapping[str, str]) -> list[promql_parser.VectorSelector]:
    """The selectors of `expr`, plus those of each recording rule (name -> expr) it reads:
    the series that must exist for the expression to have a value."""
    out = []
    for selector in selectors(expr):
        out.append(selector)
        if selector.name in recordings:
            out += reads(recordings[selector.name], {k: v for k, v in recordings.items() if k != selector.name})
    return out


def job_values(selector: promql_parser.VectorSelector) -> set[str]:
    """Values of the selector's `job="..."` matchers."""
    return {m.value for m in selector.matchers.matchers if m.name == "job" and m.op == promql_parser.MatchOp.Equal}


def matches(selector: promql_parser.VectorSelector, series: str) -> bool:
    """Whether the series (`name{label="value",...}`, as fixtures write it) is selected."""
    parsed = promql_parser.parse(series)
    labels = {m.name: m.value for m in parsed.matchers.matchers}
    if selector.name and selector.name != parsed.name:
        return False
    return all(_holds(m.op, m.value, labels.get(m.name, "")) for m in selector.matchers.matchers)


def _holds(op: promql_parser.MatchOp, wanted: str, value: str) -> bool:
    """One matcher against a label value (absent: ""), with PromQL's anchored regexes."""
    if op == promql_parser.MatchOp.Equal:
        return value == wanted
    if op == promql_parser.MatchOp.NotEqual:
        return value != wanted
    found = re.fullmatch(wanted, value) is not None
    return found if op == promql_parser.MatchOp.Re else not found
