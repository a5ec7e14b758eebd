"""What a threshold may be, from what it measures.

One table for the thresholds a stack sets (`applications[].queue|latency|errors`) and for those
it overrides (`alertOverrides[].threshold`, whose kind the named alert declares), so that both
reject the same nonsense: a negative latency, a ratio of 5, a queue depth of -1. Each of those
gives an alert that fires forever or never.

A kind's range narrows with the alert's direction: an alert that fires *above* its threshold
can never fire at the top of the range (a ratio above 1), one that fires *below* it never at
the bottom (a count below 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional

Direction = Literal["above", "below"]


@dataclass(frozen=True)
class ThresholdKind:
    name: str
    meaning: str  # what a value of this kind is, for error messages
    low: float
    low_closed: bool  # the low end itself is a meaningful value
    high: Optional[float] = None
    high_closed: bool = False
    example: float = 1

    def interval(self, direction: Optional[Direction] = None) -> tuple[bool, bool]:
        """Whether the low and the high end are allowed, for an alert firing in `direction`."""
        return (self.low_closed and direction != "below",
                self.high is not None and self.high_closed and direction != "above")

    def allowed(self, direction: Optional[Direction] = None) -> str:
        """The allowed range in interval notation, e.g. [0, 1) or (0, ∞)."""
        low_closed, high_closed = self.interval(direction)
        high = "∞" if self.high is None else f"{self.high:g}"
        return f"{'[' if low_closed else '('}{self.low:g}, {high}{']' if high_closed else ')'}"

    def contains(self, value: float, direction: Optional[Direction] = None) -> bool:
        low_closed, high_closed = self.interval(direction)
        above_low = value > self.low or (low_closed and value == self.low)
        below_high = self.high is None or value < self.high or (high_closed and value == self.high)
        return above_low and below_high


KINDS: dict[str, ThresholdKind] = {k.name: k for k in (
    ThresholdKind("ratio", "a share of a whole, between 0 and 1 (0.05 is 5%)", 0, True, 1, True, example=0.9),
    ThresholdKind("quantile", "a quantile, strictly between 0 and 1 (0.95 is the 95th percentile)", 0, False, 1,
                  False, example=0.95),
    ThresholdKind("seconds", "a duration in seconds, larger than 0", 0, False, example=60),
    ThresholdKind("days", "a number of days, larger than 0", 0, False, example=14),
    ThresholdKind("bytes", "a size in bytes, larger than 0", 0, False, example=1024**3),
    # 0 is meaningful for counts: `increase(x[5m]) > 0` fires on any event, `queue > 0` on any item.
    ThresholdKind("count", "a count (events in a window, items waiting), 0 or more", 0, True, example=10),
)}
ThresholdKindName = Literal["ratio", "quantile", "seconds", "days", "bytes", "count"]


def range_problem(value: float, kind: str, direction: Optional[Direction], what: str) -> Optional[str]:
    """Why `value` is no threshold of `kind` (None when it is one). `what` names the alert."""
    spec = KINDS[kind]
    if spec.contains(value, direction):
        return None
    edge = f" (at {value:g} it could never fire)" if direction and spec.contains(value) else ""
    subject = f"{what} fires {direction} its threshold, which" if direction else what
    return f"{subject} is {spec.meaning}; allowed: {spec.allowed(direction)}{edge}"


def stricter_problem(warning: float, critical: float, direction: Direction, what: str) -> Optional[str]:
    """Why a warning/critical pair is out of order (None when the critical is the stricter one)."""
    if critical > warning if direction == "above" else critical < warning:
        return None
    relation = "above" if direction == "above" else "below"
    return (f"{what}: critical {critical:g} must be stricter than warning {warning:g}, i.e. {relation} it "
            "(otherwise the critical fires with or before the warning and the warning never matters)")


def stricter_than(warning: float, kind: str, direction: Direction) -> float:
    """A critical threshold stricter than `warning` and still of its kind: halfway to the end
    of the range where it has one, else twice (or half) the warning."""
    spec = KINDS[kind]
    if direction == "above":
        value = (warning + spec.high) / 2 if spec.high is not None else (warning * 2 if warning > 0 else spec.example)
    else:
        value = (warning + spec.low) / 2
    return int(value) if float(value).is_integer() else value
