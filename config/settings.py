"""The typed model of one stack's configuration (`Pulumi.<stack>.yaml`).

Every key a user may write is a field here, in camelCase as it appears in the stack file.
Unknown keys are errors (`extra="forbid"`): a misspelt key must not silently fall back to a
default. Each field carries an example that error messages offer as the fix.
Secrets are not fields: they are separate config keys, named in `SECRET_KEYS`, by a receiver's
`credential` or by an exporter's `passwordSecret` (and `webTls.keySecret`), and read by
`config.loader` as Pulumi secrets.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal, Optional
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from config.errors import _ABSENT, FieldIssue, FieldIssuesError
from config.promql import SELECTOR_STAND_IN, expression_problem, matchers_problem, series_problem
from config.thresholds import KINDS, ThresholdKindName, range_problem, stricter_problem, stricter_than
from config.units import duration_seconds, gibibytes_ceil, size_bytes

# Secrets every stack needs; receivers (`credential`) and exporters (`passwordSecret`) name further ones.
SECRET_KEYS: dict[str, str] = {
    "grafanaAdminPassword": "Grafana's admin password",
    "grafanaSecretKey": "Grafana's secret key (signs cookies, encrypts data source secrets)",
    "webPassword": "the basic-auth password in front of Prometheus and Alertmanager",
}
# Environments whose data and secrets are real: no generated secrets, protected volumes.
PROTECTED_ENVIRONMENTS = ("staging", "prod")
# Grafana folders by role (content.dashboards.common.FOLDERS describes each); teams name them.
FOLDER_KEYS = ("infrastructure", "kubernetes", "databases", "messaging", "applications", "platform")
FolderKey = Literal[FOLDER_KEYS]  # type: ignore[valid-type]


def _check_duration(value: str) -> str:
    if duration_seconds(value) <= 0:
        raise ValueError(f"{value!r} must be longer than zero")
    return value


def _check_size(value: str) -> str:
    if size_bytes(value) <= 0:
        raise ValueError(f"{value!r} must be larger than zero")
    return value


def _check_port(port: int, where: str) -> None:
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} of {where!r} is outside 1..65535; give a port from 1 to 65535")


def _check_host_port(value: str) -> str:
    _check_port(int(value.rsplit(":", 1)[1]), value)
    return value


def _check_probe_target(value: str) -> str:
    """A probe target is a URL (http_2xx), host:port (tcp_connect) or a host (icmp); any port it
    names must exist."""
    address = urlsplit(value).netloc if "://" in value else value
    port = re.search(r"\]?:(\d+)$", address)
    if port and (address.startswith("[") or address.count(":") == 1):
        _check_port(int(port.group(1)), value)
    return value


def _check_quantile(value: float) -> float:
    why = range_problem(value, "quantile", None, "the latency quantile")
    if why:
        raise ValueError(why)
    return value


Duration = Annotated[str, AfterValidator(_check_duration)]
Size = Annotated[str, AfterValidator(_check_size)]
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,40}$")]
Cpu = Annotated[float, Field(gt=0, le=64)]
Port = Annotated[int, Field(ge=1, le=65535)]
HostPort = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$"), AfterValidator(_check_host_port)]
ProbeTarget = Annotated[str, AfterValidator(_check_probe_target)]
SecretKey = Annotated[str, Field(pattern=r"^[a-zA-Z][a-zA-Z0-9]*$")]
LabelName = Annotated[str, Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")]
# Labels Prometheus or the stack itself sets; a stack's own labels may not replace them.
RESERVED_LABELS = ("alertname", "severity", "cluster", "environment", "job", "instance")


class Model(BaseModel):
    """Base of every settings block: camelCase keys, unknown keys rejected, frozen."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        coerce_numbers_to_str=True,
    )


def _repeated_names(path: tuple[str, ...], names: list[str], what: str) -> list[FieldIssue]:
    """One issue per name that an earlier item of the list already uses, at that item's `name`."""
    return [FieldIssue((*path, i, "name"), name, f"{what} name {name!r} is used by {path[-1]}[{names.index(name)}]; "
                       "names must be unique", example=f"{name}-2")
            for i, name in enumerate(names) if name in names[:i]]


class Quantity(Model):
    memory: Optional[Size] = Field(None, examples=["512MB"])
    cpu: Optional[Cpu] = Field(None, examples=[0.5])


class Resources(Model):
    """Container limits and reservations; a reservation may not exceed its limit."""

    limits: Quantity = Quantity()
    reservations: Quantity = Quantity()

    @model_validator(mode="after")
    def _reservation_within_limit(self) -> Resources:
        lim, res = self.limits, self.reservations
        issues = []
        if lim.memory and res.memory and size_bytes(res.memory) > size_bytes(lim.memory):
            issues.append(FieldIssue(("reservations", "memory"), res.memory,
                                     f"reservations.memory {res.memory} is above limits.memory {lim.memory}; "
                                     "lower the reservation or raise the limit", example=lim.memory))
        if lim.cpu and res.cpu and res.cpu > lim.cpu:
            issues.append(FieldIssue(("reservations", "cpu"), res.cpu,
                                     f"reservations.cpu {res.cpu} is above limits.cpu {lim.cpu}; "
                                     "lower the reservation or raise the limit", example=lim.cpu))
        if issues:
            raise FieldIssuesError(issues)
        return self


class Retention(Model):
    time: Duration = Field("15d", examples=["15d"])
    size: Size = Field("5GB", examples=["5GB"])


class ScrapeLimits(Model):
    """What one scrape may bring in before Prometheus refuses it (one bad label on a target
    must not take Prometheus down). Each field is optional so that a job's entry in
    `prometheus.jobLimits` changes only what it names; the stack's `prometheus.scrapeLimits`
    fills the rest. A scrape over `sampleLimit`, a label or body limit fails whole (the job's
    `up` drops to 0); a job over `targetLimit` scrapes no target at all."""

    sample_limit: Optional[Annotated[int, Field(ge=1)]] = Field(None, examples=[50000])
    label_limit: Optional[Annotated[int, Field(ge=1)]] = Field(None, examples=[64])
    label_name_length_limit: Optional[Annotated[int, Field(ge=1)]] = Field(None, examples=[128])
    label_value_length_limit: Optional[Annotated[int, Field(ge=1)]] = Field(None, examples=[2048])
    target_limit: Optional[Annotated[int, Field(ge=1)]] = Field(None, examples=[500])
    body_size_limit: Optional[Size] = Field(None, examples=["32MB"])

    def over(self, defaults: ScrapeLimits) -> ScrapeLimits:
        """These limits, with `defaults` where this one names none."""
        return defaults.model_copy(update=self.model_dump(exclude_none=True))


# Limits every job gets unless the stack sets its own: generous enough for kube-state-metrics
# and a kubelet's cAdvisor on a mid-sized node, far below what takes a 1GB Prometheus down.
DEFAULT_SCRAPE_LIMITS = ScrapeLimits(sample_limit=50000, label_limit=64, label_name_length_limit=128,
                                     label_value_length_limit=2048, target_limit=500, body_size_limit="32MB")


class PrometheusSettings(Model):
    scrape_interval: Duration = Field("15s", examples=["15s"])
    scrape_timeout: Duration = Field("10s", examples=["10s"])
    evaluation_interval: Duration = Field("15s", examples=["15s"])
    # Prometheus scrapes itself; the seed scrapes it less often than the rest.
    self_scrape_interval: Optional[Duration] = Field(None, examples=["30s"])
    # Identical replicas (Kubernetes), each with its own `replica` external label; 2 or more
    # need the thanos block, whose Query deduplicates them (config/thanos.py).
    replicas: int = Field(1, ge=1, le=5, examples=[2])
    retention: Retention = Retention()
    resources: Resources = Resources()
    # Cardinality guards: the stack's limits for every scrape job, and per-job changes by job name.
    scrape_limits: ScrapeLimits = Field(ScrapeLimits(), examples=[{"sampleLimit": 50000}])
    job_limits: dict[str, ScrapeLimits] = Field(default_factory=dict,
                                                examples=[{"kube-state-metrics": {"sampleLimit": 100000}}])
    # Head series the stack is expected to hold: with the measured bytes per series, the memory
    # limit is checked against it at preview (content.capacity).
    expected_series: Optional[Annotated[int, Field(ge=1)]] = Field(None, examples=[150000])

    def limits_for(self, job: str) -> ScrapeLimits:
        """The limits of scrape job `job`: its own entry, then the stack's, then the defaults."""
        return self.job_limits.get(job, ScrapeLimits()).over(self.scrape_limits.over(DEFAULT_SCRAPE_LIMITS))

    @model_validator(mode="after")
    def _timeout_within_interval(self) -> PrometheusSettings:
        if duration_seconds(self.scrape_timeout) > duration_seconds(self.scrape_interval):
            raise FieldIssuesError([FieldIssue(
                ("scrapeTimeout",), self.scrape_timeout,
                f"scrapeTimeout {self.scrape_timeout} is longer than scrapeInterval {self.scrape_interval}; "
                "Prometheus refuses that", example=self.scrape_interval)])
        return self


class AlertmanagerSettings(Model):
    resources: Resources = Resources()
    group_wait: Duration = Field("30s", examples=["30s"])
    group_interval: Duration = Field("5m", examples=["5m"])
    repeat_interval: Duration = Field("4h", examples=["4h"])


class GrafanaTeam(Model):
    """A Grafana team and the role folders it may see (`view`) or change (`edit`). A folder
    that any team names is visible to its teams (and Grafana admins) only; other folders
    keep Grafana's default (every Viewer sees them)."""

    name: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.-]*$", examples=["dba"])
    # E-mail addresses of users that already exist in Grafana.
    members: list[str] = Field(default_factory=list, examples=[["alice@example.com"]])
    view: list[FolderKey] = Field(default_factory=list, examples=[["databases"]])
    edit: list[FolderKey] = Field(default_factory=list, examples=[["databases"]])

    @model_validator(mode="after")
    def _one_permission_per_folder(self) -> GrafanaTeam:
        both = sorted(set(self.view) & set(self.edit))
        if both:
            raise FieldIssuesError([FieldIssue(
                ("view", self.view.index(folder)), folder,
                f"team {self.name!r} lists {folder!r} under both view and edit; edit includes view, keep one",
                remove=True) for folder in both])
        if not self.view and not self.edit:
            raise FieldIssuesError([FieldIssue(("view",), _ABSENT, f"team {self.name!r} names no folder; "
                                          "give it view or edit", example=["databases"])])
        return self


class ExternalGrafana(Model):
    """An existing Grafana run apart from this stack (a shared or hosted one), which the stack
    manages through its API (`grafana.manageByApi`): the data source, role folders, dashboards,
    teams and folder permissions. Uids are fixed, so give each stack its own organisation."""

    url: str = Field(pattern=r"^https?://[^\s/]+(/[^\s]*)?$", examples=["https://grafana.example.com"])
    # The name of the secret config key holding a service account token (or `user:password`).
    credential: SecretKey = Field(examples=["grafanaApiToken"])
    org_id: int = Field(1, ge=1, examples=[2])
    # Where that Grafana reaches this stack's Prometheus (default: the stack's external Prometheus URL).
    prometheus_url: Optional[str] = Field(None, pattern=r"^https?://[^\s]+$",
                                          examples=["https://memeit.pro/prometheus"])


class GrafanaSettings(Model):
    """The stack's own Grafana, which provisions its data source and dashboards from files, and
    optionally an external Grafana managed through its API (checks that span these fields, with
    their exact keys: config.grafana)."""

    resources: Resources = Resources()
    admin_user: str = Field("admin", min_length=1, examples=["admin"])
    # The dashboards also go to `external` through its API (pulumiverse-grafana), with teams.
    manage_by_api: bool = Field(False, examples=[True])
    external: Optional[ExternalGrafana] = None
    teams: list[GrafanaTeam] = Field(default_factory=list)


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


class ExporterSettings(Model):
    """Settings shared by every exporter integration; integrations add their own fields."""

    enabled: bool = False
    scrape_interval: Optional[Duration] = Field(None, examples=["30s"])
    scrape_timeout: Optional[Duration] = Field(None, examples=["10s"])
    resources: Optional[Resources] = None


class ServiceExporterSettings(ExporterSettings):
    """An exporter that reads one service (a database, a cache) at `address`."""

    address: HostPort = Field(examples=["redis:6379"])
    user: Optional[str] = Field(None, examples=["monitoring"])
    password_secret: Optional[str] = Field(None, pattern=r"^[a-zA-Z][a-zA-Z0-9]*$", examples=["redisPassword"])
    database: Optional[str] = Field(None, examples=["postgres"])


class BlackboxSettings(ExporterSettings):
    targets: list[ProbeTarget] = Field(default_factory=list, examples=[["https://example.com"]])
    module: Literal["http_2xx", "tcp_connect", "icmp"] = "http_2xx"


class ScrapeTargetSettings(ExporterSettings):
    """An integration we only scrape: its exporter runs elsewhere (on the host it watches, or
    built into the service), so the settings say where, not how to run it."""

    targets: list[HostPort] = Field(default_factory=list, examples=[["host:9100"]])

    @model_validator(mode="after")
    def _targets_when_enabled(self) -> ScrapeTargetSettings:
        # Enabled with nothing to scrape would silently produce no job and no alert at all.
        if self.enabled and not self.targets:
            example = type(self).model_fields["targets"].examples[0]
            raise FieldIssuesError([FieldIssue(("targets",), self.targets,
                                          "enabled needs at least one address in targets (host:port)", example=example)])
        return self


# A Windows service name as `sc query` shows it (e.g. w3svc, MSSQL$SQLEXPRESS).
WindowsService = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.$\-]{1,80}$")]


class WindowsSettings(ScrapeTargetSettings):
    """Windows hosts running windows_exporter (port 9182); `services` are the Windows services
    that must be running on every one of them."""

    targets: list[HostPort] = Field(default_factory=list, examples=[["winhost:9182"]])
    services: list[WindowsService] = Field(default_factory=list, examples=[["w3svc"]])


class RabbitmqSettings(ScrapeTargetSettings):
    """RabbitMQ nodes with the `rabbitmq_prometheus` plugin (port 15692), one target per node."""

    targets: list[HostPort] = Field(default_factory=list, examples=[["rabbitmq:15692"]])


def _one_or_many(value: object) -> object:
    return [value] if isinstance(value, str) else value


class KafkaSettings(ExporterSettings):
    """kafka_exporter, run by us, reading the cluster through `address`: one bootstrap broker
    or a list of them (the exporter discovers the rest of the cluster from any of them)."""

    address: Annotated[list[HostPort], BeforeValidator(_one_or_many), Field(min_length=1)] = Field(
        examples=["kafka:9092"])


class Exporters(Model):
    node: ExporterSettings = ExporterSettings()
    cadvisor: ExporterSettings = ExporterSettings()
    redis: Optional[ServiceExporterSettings] = None
    postgres: Optional[ServiceExporterSettings] = None
    mysql: Optional[ServiceExporterSettings] = None
    mongodb: Optional[ServiceExporterSettings] = None
    blackbox: BlackboxSettings = BlackboxSettings()
    # Cluster monitoring (platform kubernetes): kube-state-metrics, API server, kubelet, cAdvisor
    # through the kubelet, and annotated services and pods.
    kubernetes: ExporterSettings = ExporterSettings()
    windows: WindowsSettings = WindowsSettings()
    rabbitmq: RabbitmqSettings = RabbitmqSettings()
    kafka: Optional[KafkaSettings] = None


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Receiver(Model):
    """An Alertmanager receiver; credentials are named config secrets, never inline values.
    Which fields each type needs is checked by `config.alerting`, so that a missing credential
    is reported with its own key and the commands that set it."""

    name: Name = Field(examples=["team-chat"])
    type: Literal["webhook", "slack", "email", "pagerduty", "opsgenie"]
    url: Optional[str] = Field(None, pattern=r"^https?://", examples=["http://127.0.0.1:5001/alerts"])
    channel: Optional[str] = Field(None, examples=["#alerts"])
    to: Optional[str] = Field(None, examples=["oncall@example.com"])
    from_: Optional[str] = Field(None, alias="from", examples=["alertmanager@example.com"])
    smarthost: Optional[HostPort] = Field(None, examples=["smtp.example.com:587"])
    username: Optional[str] = None
    # The NAME of the secret config key (set with `pulumi config set --secret`) that holds the one
    # credential of this receiver's type: Slack's webhook URL, PagerDuty's routing key, Opsgenie's
    # API key, a webhook's bearer token (or, for a webhook without `url`, its secret URL) or the
    # SMTP password. Never the value itself.
    credential: Optional[SecretKey] = Field(None, examples=["slackWebhookUrl"])

    def secret_keys(self) -> dict[str, str]:
        """camelCase field -> secret config key, for the credential this receiver names."""
        return {"credential": self.credential} if self.credential else {}


def _check_time_of_day(value: str) -> str:
    hours, _, minutes = value.partition(":")
    if not (len(hours) == 2 and len(minutes) == 2 and hours.isdigit() and minutes.isdigit()
            and (int(hours) < 24 and int(minutes) < 60 or value == "24:00")):
        raise ValueError(f"{value!r} is not a time of day; allowed: HH:MM from 00:00 to 24:00, e.g. '22:00'")
    return value


def _check_weekdays(value: str) -> str:
    names = value.split(":")
    if len(names) > 2 or any(n not in WEEKDAYS for n in names) or WEEKDAYS.index(names[0]) > WEEKDAYS.index(names[-1]):
        raise ValueError(f"{value!r} is not a weekday or a range of them; allowed: {', '.join(WEEKDAYS)}, "
                         "or 'first:last' in that order, e.g. 'monday:friday'")
    return value


TimeOfDay = Annotated[str, AfterValidator(_check_time_of_day)]
Weekdays = Annotated[str, AfterValidator(_check_weekdays)]


class TimeRange(Model):
    """A span of the day; one that crosses midnight (22:00 to 06:00) is allowed and split when
    rendered, because Alertmanager only takes ranges within one day."""

    start: TimeOfDay = Field(examples=["22:00"])
    end: TimeOfDay = Field(examples=["06:00"])

    @model_validator(mode="after")
    def _not_empty(self) -> TimeRange:
        if self.start == self.end or self.start == "24:00":
            field, value = ("start", self.start) if self.start == "24:00" else ("end", self.end)
            raise FieldIssuesError([FieldIssue((field,), value, f"start {self.start} to end {self.end} is no span of time; "
                                          "start must differ from end and be before 24:00",
                                          example="00:00" if field == "start" else "06:00")])
        return self


class MuteTimeInterval(Model):
    """A named recurring time (e.g. nights) that routes name in `muteTimeIntervals`. Without
    `location`, times are UTC."""

    name: Name = Field(examples=["nights"])
    times: list[TimeRange] = Field(default_factory=list)
    weekdays: list[Weekdays] = Field(default_factory=list, examples=[["monday:friday"]])
    location: Optional[str] = Field(None, examples=["Europe/Berlin"])

    @model_validator(mode="after")
    def _says_when(self) -> MuteTimeInterval:
        issues = []
        if not self.times and not self.weekdays:
            issues.append(FieldIssue(("weekdays",), _ABSENT, "a mute time interval needs times, weekdays or both "
                                     "(otherwise it would mute always)", example=["monday:friday"]))
        if self.location:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(self.location)
            except (ZoneInfoNotFoundError, ValueError):
                issues.append(FieldIssue(("location",), self.location, f"location {self.location!r} is not an IANA "
                                         "time zone such as Europe/Berlin", example="Europe/Berlin"))
        if issues:
            raise FieldIssuesError(issues)
        return self


class Route(Model):
    """A route for a team or a service: alerts whose labels equal every `match` pair (and whose
    severity is in `severities`, when given) go to `receiver`. Routes are tried in order, before
    the severity routes; `continue: true` lets a matching alert go on to them as well."""

    match: dict[LabelName, str] = Field(min_length=1, examples=[{"team": "billing"}])
    receiver: str = Field(examples=["billing-chat"])
    severities: list[Severity] = Field(default_factory=list, examples=[["warning"]])
    continue_: bool = Field(False, alias="continue")
    mute_time_intervals: list[str] = Field(default_factory=list, examples=[["nights"]])


class Routing(Model):
    """Which receiver gets what. `critical` and `warning` fall back to `default`; Watchdog goes
    to `deadMansSwitch` every `deadMansSwitchInterval` and never to any other receiver."""

    default: str = Field(examples=["team-chat"])
    critical: Optional[str] = Field(None, examples=["pager"])
    warning: Optional[str] = Field(None, examples=["team-chat"])
    dead_mans_switch: Optional[str] = Field(None, examples=["deadman"])
    dead_mans_switch_interval: Duration = Field("1m", examples=["1m"])
    # severity -> names of mute time intervals applied to that severity's route.
    mute_time_intervals: dict[Literal["critical", "warning"], list[str]] = Field(
        default_factory=dict, examples=[{"warning": ["nights"]}])


class Alerting(Model):
    """Receivers, the route tree and mute times. References between them (receiver and
    interval names, matcher labels, credentials) are checked in `config.alerting`, which
    reports each bad one under its own key."""

    receivers: list[Receiver] = Field(min_length=1)
    routing: Routing
    routes: list[Route] = Field(default_factory=list)
    mute_time_intervals: list[MuteTimeInterval] = Field(default_factory=list)


class Exposure(Model):
    """How users reach the UIs.

    localhost: ports published on 127.0.0.1 (dev). published: ports on every interface.
    proxy: no published ports; a reverse proxy serves /prometheus, /alertmanager and /grafana
    under `publicUrl` and reaches the containers on `proxyNetwork`.
    """

    mode: Literal["localhost", "published", "proxy"] = "localhost"
    ports: dict[Literal["prometheus", "alertmanager", "grafana"], Port] = Field(
        default_factory=lambda: {"prometheus": 9090, "alertmanager": 9093, "grafana": 3000}
    )
    public_url: Optional[str] = Field(None, pattern=r"^https?://[^/]+$", examples=["https://memeit.pro"])
    proxy_network: Optional[str] = Field(None, examples=["edge"])

    @model_validator(mode="after")
    def _proxy_needs_url(self) -> Exposure:
        if self.mode == "proxy" and not self.public_url:
            raise FieldIssuesError([FieldIssue(("publicUrl",), _ABSENT, "mode proxy needs publicUrl (the address the "
                                          "reverse proxy serves)", example="https://memeit.pro")])
        return self


class WebTls(Model):
    """TLS on Prometheus' and Alertmanager's own listeners (basic auth runs over it). The
    certificate must name `prometheus`, `alertmanager` and `localhost`; Prometheus and Grafana
    verify it against `ca` (the certificate itself when self-signed, as in dev)."""

    certificate: str = Field(pattern=r"^-----BEGIN CERTIFICATE-----", examples=["-----BEGIN CERTIFICATE-----..."])
    ca: Optional[str] = Field(None, pattern=r"^-----BEGIN CERTIFICATE-----")
    key_secret: str = Field(pattern=r"^[a-zA-Z][a-zA-Z0-9]*$", examples=["webTlsKey"])


class Images(Model):
    """Where images come from: `registry` replaces the upstream registry (mirrors, air-gapped
    sites); `overrides` pins one image to another reference entirely."""

    registry: Optional[str] = Field(None, pattern=r"^[a-zA-Z0-9.\-:/]+$", examples=["registry.internal:5000"])
    overrides: dict[str, str] = Field(default_factory=dict, examples=[{"prometheus": "mirror/prometheus:v3.16.0"}])


# Prometheus' retention.size bounds the TSDB blocks only; the WAL, the head chunks and the
# compaction that writes a new block before deleting old ones come on top of it. The volume
# claim must hold retention.size plus this share of it (at least HEADROOM_MIN_GB).
VOLUME_HEADROOM = 0.25
HEADROOM_MIN_GB = 1
Hostname = Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")]
K8sName = Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]


def prometheus_volume_floor(retention_size: str) -> int:
    """Smallest Prometheus volume (whole GiB) that holds `retention_size` plus headroom."""
    size = size_bytes(retention_size)
    return gibibytes_ceil(size + max(int(size * VOLUME_HEADROOM), HEADROOM_MIN_GB * 1024**3))


class VolumeSizes(Model):
    """Volume claims. `prometheus` defaults to retention.size plus headroom (see VOLUME_HEADROOM)."""

    prometheus: Optional[Size] = Field(None, examples=["13GiB"])
    alertmanager: Size = Field("1GiB", examples=["1GiB"])
    grafana: Size = Field("2GiB", examples=["2GiB"])


class Ingress(Model):
    """The Ingress in front of the UIs (exposure.mode proxy): TLS is mandatory, with the
    certificate either in a Secret of the namespace or issued by a cert-manager issuer."""

    class_name: str = Field("nginx", min_length=1, examples=["nginx"])
    # Defaults to the host of exposure.publicUrl; when given, both must agree.
    host: Optional[Hostname] = Field(None, examples=["memeit.pro"])
    tls_secret: Optional[K8sName] = Field(None, examples=["memeit-pro-tls"])
    cert_manager_issuer: Optional[K8sName] = Field(None, examples=["letsencrypt-prod"])
    cert_manager_issuer_kind: Literal["ClusterIssuer", "Issuer"] = "ClusterIssuer"
    # Where the ingress controller's pods run: the NetworkPolicies let only them reach the UIs.
    controller_namespace: K8sName = Field("ingress-nginx", examples=["ingress-nginx"])

    @model_validator(mode="after")
    def _one_certificate_source(self) -> Ingress:
        if bool(self.tls_secret) == bool(self.cert_manager_issuer):
            why = ("the ingress serves TLS only: set exactly one of tlsSecret (a kubernetes.io/tls Secret in the "
                   "namespace) or certManagerIssuer (cert-manager issues the certificate)")
            if self.tls_secret:  # both given: drop the issuer
                raise FieldIssuesError([FieldIssue(("certManagerIssuer",), self.cert_manager_issuer, why, remove=True)])
            raise FieldIssuesError([FieldIssue(("tlsSecret",), _ABSENT, why, example="memeit-pro-tls")])
        return self


class ExternalSecrets(Model):
    """Take credentials from an external secret store (External Secrets Operator) instead of
    putting Pulumi secrets into Secret objects: the program then declares ExternalSecrets whose
    remote keys are `<keyPrefix><secret config key>` (e.g. monstack/prod/webPassword)."""

    store_name: K8sName = Field(examples=["vault"])
    store_kind: Literal["SecretStore", "ClusterSecretStore"] = "ClusterSecretStore"
    key_prefix: str = Field("", pattern=r"^[A-Za-z0-9_./-]*$", examples=["monstack/prod/"])
    refresh_interval: Duration = Field("1h", examples=["1h"])


class KubernetesSettings(Model):
    """Where and how the stack runs on a cluster (platform: kubernetes)."""

    namespace: K8sName = Field("monitoring", examples=["monitoring"])
    # Path of a kubeconfig file (default: $KUBECONFIG or ~/.kube/config) and its context.
    kubeconfig: Optional[str] = Field(None, min_length=1, examples=["~/.kube/config"])
    context: Optional[str] = Field(None, min_length=1, examples=["prod-cluster"])
    # Render the manifests into this directory instead of applying them (offline checks, PR previews).
    render_yaml_to: Optional[str] = Field(None, min_length=1, examples=["rendered/prod"])
    storage_class: Optional[K8sName] = Field(None, examples=["standard-retain"])
    volumes: VolumeSizes = VolumeSizes()
    # 1, or 2 and more peered as one Alertmanager cluster (gossip deduplicates notifications).
    alertmanager_replicas: int = Field(1, examples=[2])
    pod_disruption_budgets: bool = False
    ingress: Optional[Ingress] = None
    external_secrets: Optional[ExternalSecrets] = None
    # Return from `pulumi up` without waiting for workloads to become ready, Services to get
    # endpoints and claims to be bound (the provider's pulumi.com/skipAwait): for GitOps-style
    # applies where something else watches the rollout, and for a cluster without nodes (the
    # control-plane tests). Off, `pulumi up` fails when a rollout never becomes ready.
    skip_await: bool = Field(False, examples=[True])

    @field_validator("alertmanager_replicas")
    @classmethod
    def _usable_replicas(cls, replicas: int) -> int:
        if replicas < 1:
            raise ValueError(
                f"alertmanagerReplicas {replicas}: at least one Alertmanager must run, or no alert is ever "
                "delivered; use 1, or 2 or more for a peered cluster"
            )
        if replicas > 9:
            raise ValueError(
                f"alertmanagerReplicas {replicas}: every replica receives every alert from Prometheus and gossips "
                "with every peer, so replicas beyond a handful add notification traffic, not availability; use 2 to 9"
            )
        return replicas

    @model_validator(mode="after")
    def _budget_needs_peers(self) -> KubernetesSettings:
        if self.pod_disruption_budgets and self.alertmanager_replicas < 2:
            raise FieldIssuesError([FieldIssue(
                ("alertmanagerReplicas",), self.alertmanager_replicas,
                "alertmanagerReplicas 1 with podDisruptionBudgets: a budget on a single Alertmanager either blocks "
                "every node drain (minAvailable 1) or protects nothing; set alertmanagerReplicas to 2 or more "
                "(or podDisruptionBudgets to false)", example=2)])
        return self

    @model_validator(mode="after")
    def _await_needs_a_cluster(self) -> KubernetesSettings:
        if self.skip_await and self.render_yaml_to:
            raise FieldIssuesError([FieldIssue(
                ("skipAwait",), self.skip_await,
                f"skipAwait with renderYamlTo {self.render_yaml_to!r}: rendering applies nothing, so there is nothing "
                "to await, and the annotation would only be copied into the manifests", remove=True)])
        return self


# Thanos' settings build on the blocks above (Model, Resources, ...), hence imported here.
from config.thanos import ThanosSettings, scale_out_issues  # noqa: E402


class Settings(Model):
    """One stack, validated whole before any resource is declared."""

    environment: Name = Field(examples=["staging"])
    cluster: str = Field(min_length=1, examples=["meme-maker-staging"])
    platform: Literal["docker", "kubernetes"] = Field("docker", examples=["kubernetes"])
    kubernetes: Optional[KubernetesSettings] = None
    log_level: Literal["debug", "info", "warn", "error"] = "info"
    # Data volumes refuse deletion (Pulumi `protect`); on outside dev.
    protect_data: bool = True
    # Non-root users, no-new-privileges, all capabilities dropped, read-only root file systems.
    hardened: bool = False
    # Dev only: create missing secrets with pulumi-random instead of failing.
    generate_secrets: bool = False
    network_name: Optional[str] = Field(None, examples=["monitoring-dev"])
    web_user: str = Field("admin", min_length=1, pattern=r"^[^:\s]+$")
    web_tls: Optional[WebTls] = None
    # Where docs/runbooks of this repository is served; every alert's runbook_url points there.
    runbook_base_url: str = Field(
        "https://github.com/monstack/monstack/blob/main/docs/runbooks", pattern=r"^https?://",
        examples=["https://git.example.com/platform/monstack/-/blob/main/docs/runbooks"],
    )
    prometheus: PrometheusSettings = PrometheusSettings()
    # Scale-out: sidecars, object storage, store gateway, compactor, Query (absent: off).
    thanos: Optional[ThanosSettings] = None
    alertmanager: AlertmanagerSettings = AlertmanagerSettings()
    grafana: GrafanaSettings = GrafanaSettings()
    exporter_resources: Resources = Resources()
    exporters: Exporters = Exporters()
    applications: list[Application] = Field(default_factory=list)
    alerting: Alerting
    alert_overrides: list[AlertOverride] = Field(default_factory=list)
    # Scrape and alerting addresses replaced as a whole ("node-exporter:9100" -> "127.0.0.1:41234"):
    # how the live tests and `scripts/try-local` point the same config at processes on loopback.
    target_overrides: dict[HostPort, HostPort] = Field(default_factory=dict,
                                                      examples=[{"node-exporter:9100": "127.0.0.1:9100"}])
    exposure: Exposure = Exposure()
    images: Images = Images()

    @model_validator(mode="after")
    def _environment_rules(self) -> Settings:
        issues = []
        if self.environment in PROTECTED_ENVIRONMENTS and self.generate_secrets:
            issues.append(FieldIssue(("generateSecrets",), True, f"generateSecrets is only for dev; {self.environment} "
                                     "must have its secrets set with `pulumi config set --secret`", remove=True))
        issues += _repeated_names(("applications",), [a.name for a in self.applications], "application")
        issues += scale_out_issues(self.thanos, self.prometheus.replicas, self.platform)
        if issues:
            raise FieldIssuesError(issues)
        return self

    @property
    def kubernetes_settings(self) -> KubernetesSettings:
        """The kubernetes block, or its defaults when the stack leaves it out."""
        return self.kubernetes or KubernetesSettings()

    @property
    def prometheus_volume(self) -> str:
        """The Prometheus volume claim: configured, or retention.size plus headroom."""
        return self.kubernetes_settings.volumes.prometheus or f"{prometheus_volume_floor(self.prometheus.retention.size)}GiB"

    def secret_references(self) -> dict[str, str]:
        """Every secret config key these settings need, with what it is for."""
        needed = dict(SECRET_KEYS)
        for receiver in self.alerting.receivers:
            for key in receiver.secret_keys().values():
                needed[key] = f"a credential of receiver {receiver.name!r}"
        if self.web_tls:
            needed[self.web_tls.key_secret] = "the private key of the web TLS certificate"
        if self.grafana.external:
            needed[self.grafana.external.credential] = "the credential of the external Grafana (grafana.external.url)"
        if self.thanos and self.thanos.object_storage.credential:
            needed[self.thanos.object_storage.credential] = "the credential of Thanos' object storage bucket"
        for name in ("redis", "postgres", "mysql", "mongodb"):
            exporter = getattr(self.exporters, name)
            if exporter and exporter.enabled and exporter.password_secret:
                needed[exporter.password_secret] = f"the password the {name} exporter logs in with"
        return needed
