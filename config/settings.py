"""The typed model of one stack's configuration (`Pulumi.<stack>.yaml`).

Every key a user may write is a field here, in camelCase as it appears in the stack file.
Unknown keys are errors (`extra="forbid"`): a misspelt key must not silently fall back to a
default. Each field carries an example that error messages offer as the fix.
Secrets are not fields: they are separate config keys, named in `SECRET_KEYS` or by a
`...Secret` field of a receiver or exporter, and read by `config.loader` as Pulumi secrets.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from config.units import duration_seconds, size_bytes

# Secrets every stack needs; receivers and exporters name further ones in `...Secret` fields.
SECRET_KEYS: dict[str, str] = {
    "grafanaAdminPassword": "Grafana's admin password",
    "grafanaSecretKey": "Grafana's secret key (signs cookies, encrypts data source secrets)",
    "webPassword": "the basic-auth password in front of Prometheus and Alertmanager",
}
# Environments whose data and secrets are real: no generated secrets, protected volumes.
PROTECTED_ENVIRONMENTS = ("staging", "prod")


def _check_duration(value: str) -> str:
    if duration_seconds(value) <= 0:
        raise ValueError(f"{value!r} must be longer than zero")
    return value


def _check_size(value: str) -> str:
    if size_bytes(value) <= 0:
        raise ValueError(f"{value!r} must be larger than zero")
    return value


Duration = Annotated[str, AfterValidator(_check_duration)]
Size = Annotated[str, AfterValidator(_check_size)]
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,40}$")]
Cpu = Annotated[float, Field(gt=0, le=64)]
Port = Annotated[int, Field(ge=1, le=65535)]
HostPort = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$")]


class Model(BaseModel):
    """Base of every settings block: camelCase keys, unknown keys rejected, frozen."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        coerce_numbers_to_str=True,
    )


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
        if lim.memory and res.memory and size_bytes(res.memory) > size_bytes(lim.memory):
            raise ValueError(
                f"reservations.memory {res.memory} is above limits.memory {lim.memory}; "
                "lower the reservation or raise the limit"
            )
        if lim.cpu and res.cpu and res.cpu > lim.cpu:
            raise ValueError(
                f"reservations.cpu {res.cpu} is above limits.cpu {lim.cpu}; lower the reservation or raise the limit"
            )
        return self


class Retention(Model):
    time: Duration = Field("15d", examples=["15d"])
    size: Size = Field("5GB", examples=["5GB"])


class PrometheusSettings(Model):
    scrape_interval: Duration = Field("15s", examples=["15s"])
    scrape_timeout: Duration = Field("10s", examples=["10s"])
    evaluation_interval: Duration = Field("15s", examples=["15s"])
    # Prometheus scrapes itself; the seed scrapes it less often than the rest.
    self_scrape_interval: Optional[Duration] = Field(None, examples=["30s"])
    retention: Retention = Retention()
    resources: Resources = Resources()

    @model_validator(mode="after")
    def _timeout_within_interval(self) -> PrometheusSettings:
        if duration_seconds(self.scrape_timeout) > duration_seconds(self.scrape_interval):
            raise ValueError(
                f"scrapeTimeout {self.scrape_timeout} is longer than scrapeInterval {self.scrape_interval}; "
                "Prometheus refuses that"
            )
        return self


class AlertmanagerSettings(Model):
    resources: Resources = Resources()
    group_wait: Duration = Field("30s", examples=["30s"])
    group_interval: Duration = Field("5m", examples=["5m"])
    repeat_interval: Duration = Field("4h", examples=["4h"])


class GrafanaSettings(Model):
    resources: Resources = Resources()
    admin_user: str = Field("admin", min_length=1, examples=["admin"])


class Threshold(Model):
    """One alert level: fire when the value stays above `above` for `for`."""

    above: float = Field(examples=[5])
    for_: Duration = Field("5m", alias="for", examples=["5m"])


class Levels(Model):
    warning: Optional[Threshold] = None
    critical: Optional[Threshold] = None

    @model_validator(mode="after")
    def _critical_above_warning(self) -> Levels:
        if self.warning and self.critical and self.critical.above < self.warning.above:
            raise ValueError(
                f"critical.above {self.critical.above} is below warning.above {self.warning.above}; "
                "the critical level must be the stricter one"
            )
        return self


class QueueAlerts(Levels):
    metric: str = Field("redis_queue_length", pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
    selector: str = Field("", examples=['queue="clips"'])


class LatencyAlerts(Levels):
    histogram: str = Field(pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$", examples=["clip_job_latency_seconds"])
    quantile: float = Field(0.95, gt=0, lt=1)
    window: Duration = Field("5m", examples=["5m"])


class ErrorRatioAlerts(Levels):
    histogram: str = Field(pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$", examples=["clip_job_latency_seconds"])
    status_label: str = Field("status", pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")
    error_value: str = Field("error", examples=["error"])
    window: Duration = Field("5m", examples=["5m"])


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
    targets: list[str] = Field(default_factory=list, examples=[["https://example.com"]])
    module: Literal["http_2xx", "tcp_connect", "icmp"] = "http_2xx"


class ScrapeTargetSettings(ExporterSettings):
    """An integration we only scrape: its exporter runs elsewhere (on the host it watches, or
    built into the service), so the settings say where, not how to run it."""

    targets: list[HostPort] = Field(default_factory=list, examples=[["host:9100"]])

    @model_validator(mode="after")
    def _targets_when_enabled(self) -> ScrapeTargetSettings:
        # Enabled with nothing to scrape would silently produce no job and no alert at all.
        if self.enabled and not self.targets:
            raise ValueError("enabled needs at least one address in targets (host:port)")
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
    windows: WindowsSettings = WindowsSettings()
    rabbitmq: RabbitmqSettings = RabbitmqSettings()
    kafka: Optional[KafkaSettings] = None


class Receiver(Model):
    """An Alertmanager receiver; credentials are named config secrets, never inline values."""

    name: Name = Field(examples=["team-chat"])
    type: Literal["webhook", "slack", "email", "pagerduty", "opsgenie"]
    url: Optional[str] = Field(None, pattern=r"^https?://", examples=["http://127.0.0.1:5001/alerts"])
    channel: Optional[str] = Field(None, examples=["#alerts"])
    to: Optional[str] = Field(None, examples=["oncall@example.com"])
    from_: Optional[str] = Field(None, alias="from", examples=["alertmanager@example.com"])
    smarthost: Optional[HostPort] = Field(None, examples=["smtp.example.com:587"])
    username: Optional[str] = None
    # Names of secret config keys holding the credential (set with `pulumi config set --secret`).
    url_secret: Optional[str] = Field(None, pattern=r"^[a-zA-Z][a-zA-Z0-9]*$", examples=["slackWebhookUrl"])
    key_secret: Optional[str] = Field(None, pattern=r"^[a-zA-Z][a-zA-Z0-9]*$", examples=["pagerdutyRoutingKey"])
    password_secret: Optional[str] = Field(None, pattern=r"^[a-zA-Z][a-zA-Z0-9]*$", examples=["smtpPassword"])

    @model_validator(mode="after")
    def _credentials_for_type(self) -> Receiver:
        needed = {
            "webhook": ["url"],
            "slack": ["url_secret", "channel"],
            "email": ["to", "from_", "smarthost"],
            "pagerduty": ["key_secret"],
            "opsgenie": ["key_secret"],
        }[self.type]
        missing = [to_camel(f).rstrip("_") for f in needed if getattr(self, f) is None]
        if missing:
            raise ValueError(f"a {self.type} receiver needs {', '.join(missing)}")
        return self


class Routing(Model):
    """Which receiver gets what; the full route tree arrives with the alerting issue."""

    default: str = Field(examples=["team-chat"])
    critical: Optional[str] = Field(None, examples=["pager"])
    warning: Optional[str] = Field(None, examples=["team-chat"])


class Alerting(Model):
    receivers: list[Receiver] = Field(min_length=1)
    routing: Routing

    @model_validator(mode="after")
    def _routes_name_receivers(self) -> Alerting:
        names = [r.name for r in self.receivers]
        if len(set(names)) != len(names):
            raise ValueError(f"receiver names repeat: {names}")
        for level in ("default", "critical", "warning"):
            target = getattr(self.routing, level)
            if target is not None and target not in names:
                raise ValueError(f"routing.{level} names receiver {target!r}, which is not one of {names}")
        return self


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
            raise ValueError("mode proxy needs publicUrl (the address the reverse proxy serves, e.g. https://memeit.pro)")
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
    overrides: dict[str, str] = Field(default_factory=dict, examples=[{"prometheus": "mirror/prometheus:v2.53.2"}])


class Settings(Model):
    """One stack, validated whole before any resource is declared."""

    environment: Name = Field(examples=["staging"])
    cluster: str = Field(min_length=1, examples=["meme-maker-staging"])
    platform: Literal["docker"] = "docker"
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
    alertmanager: AlertmanagerSettings = AlertmanagerSettings()
    grafana: GrafanaSettings = GrafanaSettings()
    exporter_resources: Resources = Resources()
    exporters: Exporters = Exporters()
    applications: list[Application] = Field(default_factory=list)
    alerting: Alerting
    alert_overrides: list[AlertOverride] = Field(default_factory=list)
    exposure: Exposure = Exposure()
    images: Images = Images()

    @model_validator(mode="after")
    def _environment_rules(self) -> Settings:
        if self.environment in PROTECTED_ENVIRONMENTS and self.generate_secrets:
            raise ValueError(
                f"generateSecrets is only for dev; {self.environment} must have its secrets set "
                "with `pulumi config set --secret`"
            )
        names = [a.name for a in self.applications]
        if len(set(names)) != len(names):
            raise ValueError(f"application names repeat: {names}")
        return self

    def secret_references(self) -> dict[str, str]:
        """Every secret config key these settings need, with what it is for."""
        needed = dict(SECRET_KEYS)
        for receiver in self.alerting.receivers:
            for field in ("url_secret", "key_secret", "password_secret"):
                key = getattr(receiver, field)
                if key:
                    needed[key] = f"a credential of receiver {receiver.name!r}"
        if self.web_tls:
            needed[self.web_tls.key_secret] = "the private key of the web TLS certificate"
        for name in ("redis", "postgres", "mysql", "mongodb"):
            exporter = getattr(self.exporters, name)
            if exporter and exporter.enabled and exporter.password_secret:
                needed[exporter.password_secret] = f"the password the {name} exporter logs in with"
        return needed
