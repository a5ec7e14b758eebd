"""Parsing the PromQL a user writes into a stack file, while the settings are validated.

A selector with an unbalanced quote or a custom rule that does not parse would otherwise reach
Prometheus, which refuses the whole rule file (and, on a first start, refuses to start). The
parser is `promql-parser` (Rust, GreptimeTeam's, through its Python binding), not Prometheus
itself: it rejects what Prometheus rejects except where its function table differs, which is
patched below; where it is more lenient (a few newer or experimental syntaxes) the generated
rules still meet the real promtool in the tests.
"""

from __future__ import annotations

from typing import Optional

import promql_parser

# What `$selector` stands for in a custom rule: a job matcher of the same shape as every
# application's (`job="<name>"`, a name that needs no escaping), so a fragment that parses with
# it parses with any application's.
SELECTOR_STAND_IN = 'job="application"'

# Functions the deployed Prometheus (v2.53, content/images.py) has and the parser lacks:
# holt_winters was renamed double_exponential_smoothing in 3.0, which the parser knows.
_MISSING_FUNCTIONS = (
    promql_parser.Function(
        "holt_winters",
        [promql_parser.ValueType.Matrix, promql_parser.ValueType.Scalar, promql_parser.ValueType.Scalar],
        promql_parser.ValueType.Vector,
    ),
)
try:
    promql_parser.register_extra_functions(list(_MISSING_FUNCTIONS))
except ValueError:  # registered by an earlier import in this process, or built in by a newer parser
    pass


def _parse(text: str) -> tuple[Optional[promql_parser.Expr], Optional[str]]:
    try:
        return promql_parser.parse(text), None
    except ValueError as error:
        return None, str(error)


def expression_problem(expr: str) -> Optional[str]:
    """Why `expr` (a rule expression, `$selector` already replaced) is no alerting expression."""
    parsed, error = _parse(expr)
    if error:
        return f"not valid PromQL: {error}"
    while isinstance(parsed, promql_parser.ParenExpr):
        parsed = parsed.expr
    if isinstance(parsed, (promql_parser.MatrixSelector, promql_parser.SubqueryExpr, promql_parser.StringLiteral)):
        return "parses, but gives a range vector or a string; an alert needs an instant vector (e.g. wrap it in rate())"
    return None


def matchers_problem(metric: str, matchers: str) -> Optional[str]:
    """Why `matchers` (label matchers as written between braces, `queue="clips"`) cannot sit in
    `metric{...}`: it must parse there and add matchers only (no closing brace and more PromQL).
    It is parsed once more inside parentheses, which a `#` comment would swallow."""
    parsed, error = _parse(f"{metric}{{{matchers}}}")
    if error:
        return f"not valid PromQL label matchers: {error}"
    wrapped, _ = _parse(f"({metric}{{{matchers}}})")
    if not isinstance(parsed, promql_parser.VectorSelector) or parsed.offset or parsed.at or wrapped is None:
        return "must be label matchers only, such as queue=\"clips\" or queue=~\"clips|memes\""
    return None


def series_problem(series: str) -> Optional[str]:
    """Why `series` is no series as promtool's input_series take it: a metric and `=` matchers."""
    parsed, error = _parse(series)
    if error:
        return f"not a valid series: {error}"
    if (not isinstance(parsed, promql_parser.VectorSelector) or parsed.offset or parsed.at
            or any(m.op != promql_parser.MatchOp.Equal for m in parsed.matchers.matchers)):
        return "must be one series: a metric name and label=\"value\" pairs, such as up{job=\"a\",instance=\"h:1\"}"
    return None
