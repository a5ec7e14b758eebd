"""An application of the stack: its scrape job, the business alerts monstack generates for it
(queue depth, job latency, job error ratio) and the custom alerts it brings with their fixtures."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Optional

from pydantic import AfterValidator, Field, field_validator, model_validator

from config.errors import FieldIssue, FieldIssuesError
from config.fields import Duration, HostPort, LabelName, Model, Name
from config.overrides import Severity
from config.promql import SELECTOR_STAND_IN, expression_problem, matchers_problem, series_problem
from config.thresholds import KINDS, ThresholdKindName, range_problem, stricter_problem, stricter_than

# Labels Prometheus or the stack itself sets; a stack's own labels may not replace them.
RESERVED_LABELS = ("alertname", "severity", "cluster", "environment", "job", "instance")


def _check_quantile(value: float) -> float:
    why = range_problem(value, "quantile", None, "the latency quantile")
    if why:
        raise ValueError(why)
    return value


class Threshold(Model):
    """One alert level: fire when the value stays above `above` for `for`."""

    above: float = Field(examples=[5])
    for_: Duration = Field("5m", alias="for", examples=["5m"])


class Levels(Model):
    """A warning and a critical level of one alert. Each subclass says what its threshold
    measures (a kind of config.thresholds), which bounds `above`; the critical level must be
    the stricter one."""

    THRESHOLD_KIND: ClassVar[ThresholdKindName]
    ALERT: ClassVar[str]  # the alert, as error messages name it

    warning: Optional[Threshold] = None
    critical: Optional[Threshold] = None

    @model_validator(mode="after")
    def _thresholds_in_order(self) -> Levels:
        kind, what = self.THRESHOLD_KIND, f"the {self.ALERT} alert"
        issues = []
        for severity in ("warning", "critical"):
            level: Optional[Threshold] = getattr(self, severity)
            why = level and range_problem(level.above, kind, "above", what)
            if why:
                issues.append(FieldIssue((severity, "above"), level.above, why, example=KINDS[kind].example))
        if not issues and self.warning and self.critical:
            why = stricter_problem(self.warning.above, self.critical.above, "above", what)
            if why:
                issues.append(FieldIssue(("critical", "above"), self.critical.above, why,
                                         example=stricter_than(self.warning.above, kind, "above")))
        issues += self._fragment_issues()
        if issues:
            raise FieldIssuesError(issues)
        return self

    def _fragment_issues(self) -> list[FieldIssue]:
        """Problems of the PromQL the subclass takes from the user (none here)."""
        return []


_METRIC = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"


class QueueAlerts(Levels):
    THRESHOLD_KIND = "count"
    ALERT = "queue depth"

    metric: str = Field("redis_queue_length", pattern=_METRIC)
    selector: str = Field("", examples=['queue="clips"'])

    def _fragment_issues(self) -> list[FieldIssue]:
        why = self.selector and matchers_problem(self.metric, self.selector)
        return [FieldIssue(("selector",), self.selector, f"{why} (it is written as {self.metric}{{...}})",
                           example='queue="clips"')] if why else []


class LatencyAlerts(Levels):
    THRESHOLD_KIND = "seconds"
    ALERT = "job latency"

    histogram: str = Field(pattern=_METRIC, examples=["clip_job_latency_seconds"])
    quantile: Annotated[float, AfterValidator(_check_quantile)] = Field(0.95, examples=[0.95])
    window: Duration = Field("5m", examples=["5m"])


class ErrorRatioAlerts(Levels):
    THRESHOLD_KIND = "ratio"
    ALERT = "job error ratio"

    histogram: str = Field(pattern=_METRIC, examples=["clip_job_latency_seconds"])
    status_label: str = Field("status", pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")
    error_value: str = Field("error", examples=["error"])
    window: Duration = Field("5m", examples=["5m"])

    def _fragment_issues(self) -> list[FieldIssue]:
        matcher = f'{self.status_label}="{self.error_value}"'
        why = matchers_problem(self.histogram + "_count", matcher)
        return [FieldIssue(("errorValue",), self.error_value, f"cannot stand in the PromQL matcher {matcher}: {why}",
                           example="error")] if why else []


class FixtureSeries(Model):
    """An input series of a custom rule's promtool case: a gauge at `value`, or a counter
    growing by `value` per second when `rate` is true."""

    series: str = Field(examples=['billing_failures_total{job="billing-api",instance="a:9000"}'])
    value: float
    rate: bool = False

    @field_validator("series")
    @classmethod
    def _one_series(cls, series: str) -> str:
        why = series_problem(series)
        if why:
            raise ValueError(why)
        return series


class CustomAlert(Model):
    """An application's own alert. `$selector` in `expr` stands for the application's job
    selector; `fire` and `quiet` are the series of its generated promtool cases."""

    alert: str = Field(pattern=r"^[A-Z][A-Za-z0-9]*$", examples=["BillingFailures"])
    expr: str = Field(min_length=1, examples=["rate(billing_failures_total{$selector}[5m]) > 0.1"])
    for_: Duration = Field("5m", alias="for")
    severity: Severity = "warning"
    summary: str = Field(min_length=1)
    description: str = Field(min_length=1)
    runbook_url: Optional[str] = Field(None, pattern=r"^https?://", examples=["https://wiki.example.com/billing"])
    fire: list[FixtureSeries] = Field(min_length=1)
    quiet: list[FixtureSeries] = Field(min_length=1)

    @field_validator("expr")
    @classmethod
    def _parses(cls, expr: str) -> str:
        why = expression_problem(expr.replace("$selector", SELECTOR_STAND_IN))
        if why:
            raise ValueError(f"{why} (with $selector standing for {SELECTOR_STAND_IN})")
        return expr


class AppDashboard(Model):
    """Metrics the application's dashboard shows beyond those its alerts name."""

    # A counter of jobs put in the queue (the job rate panel shows it beside completions).
    enqueued_metric: Optional[str] = Field(None, pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$", examples=["clip_jobs_queued_total"])
    # A gauge of jobs being processed right now.
    in_flight_metric: Optional[str] = Field(None, pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$", examples=["clip_jobs_in_flight"])


class Application(Model):
    """An application of the stack: one scrape job plus its business alerts."""

    name: Name = Field(examples=["meme-maker-backend"])
    targets: list[HostPort] = Field(min_length=1, examples=[["backend:8000"]])
    metrics_path: str = Field("/metrics", pattern=r"^/")
    scheme: Literal["http", "https"] = "http"
    scrape_interval: Optional[Duration] = Field(None, examples=["10s"])
    scrape_timeout: Optional[Duration] = Field(None, examples=["5s"])
    queue: Optional[QueueAlerts] = None
    latency: Optional[LatencyAlerts] = None
    errors: Optional[ErrorRatioAlerts] = None
    rules: list[CustomAlert] = Field(default_factory=list)
    dashboard: AppDashboard = AppDashboard()
    # Added to every alert of the application (e.g. the owning team), for `alerting.routes`.
    labels: dict[LabelName, str] = Field(default_factory=dict, examples=[{"team": "billing"}])

    @model_validator(mode="after")
    def _own_labels_only(self) -> Application:
        taken = sorted(set(self.labels) & set(RESERVED_LABELS))
        if taken:
            raise FieldIssuesError([FieldIssue(("labels", label), self.labels[label],
                                          f"label {label!r} is set by Prometheus or monstack; use another name "
                                          f"(reserved: {', '.join(RESERVED_LABELS)})", remove=True)
                               for label in taken])
        return self
