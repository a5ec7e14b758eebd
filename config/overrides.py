"""`alertOverrides`: how a stack changes one generated alert (threshold, duration, severity,
labels) or turns it off. Whether the alert it names exists is checked against the generated
rules (content.checks)."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from config.fields import Duration, Model

Severity = Literal["info", "warning", "critical"]


class AlertOverride(Model):
    """Changes one generated alert in this stack. `alert` and `severity` pick the rule: the
    warning and the critical variant of one alert are told apart by `severity` (leave it out
    only when the alert has one variant)."""

    alert: str = Field(min_length=1, examples=["HostHighCpuLoad"])
    severity: Optional[Severity] = Field(None, examples=["warning"])
    disabled: bool = False
    threshold: Optional[float] = Field(None, examples=[0.95])
    for_: Optional[Duration] = Field(None, alias="for", examples=["15m"])
    set_severity: Optional[Severity] = Field(None, examples=["critical"])
    labels: dict[str, str] = Field(default_factory=dict, examples=[{"team": "platform"}])
