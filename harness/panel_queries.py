"""Panel queries as Prometheus can run them outside Grafana, for the tests and benchmarks that
check every panel of a dashboard against a real Prometheus (and read which fault a panel needs
to show data). Test tooling: the product only writes the dashboards."""

from __future__ import annotations

import re

from content.dashboards.panels import FAULT_NOTE

# Grafana's built-in variables, as a query outside Grafana may stand them in.
BUILTIN_VALUES = {"__rate_interval": "5m", "__interval": "1m", "__range": "3h", "__all": ".*"}
VARIABLE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\$(\w+)")


def runnable(expr: str, rate_interval: str = "5m") -> str:
    """A panel query as Prometheus can run it without Grafana: built-ins get values, every
    template variable matches everything (they are only ever used in `=~` matchers)."""
    for name, value in {**BUILTIN_VALUES, "__rate_interval": rate_interval}.items():
        expr = expr.replace(f"${name}", value)
    return VARIABLE.sub(".*", expr)


def fault_of(description: str) -> str | None:
    """The fault a panel needs to show data, or None for a panel that always has data."""
    match = FAULT_NOTE.search(description or "")
    return match["fault"] if match else None

