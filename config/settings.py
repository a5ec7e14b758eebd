"""The typed model of one stack's configuration (`Pulumi.<stack>.yaml`).

Every key a user may write is a field here, in camelCase as it appears in the stack file.
Unknown keys are errors (`extra="forbid"`): a misspelt key must not silently fall back to a
default. Each field carries an example that error messages offer as the fix.
Secrets are not fields: they are separate config keys, named in `SECRET_KEYS`, by a receiver's
`credential` or by an exporter's `passwordSecret` (and `webTls.keySecret`), and read by
`config.loader` as Pulumi secrets.
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, model_validator

from config.applications import Application
from config.errors import _ABSENT, FieldIssue, FieldIssuesError
from config.exporters import ExportersBase
from config.fields import HostPort, Model, Name, Port, Resources, _repeated_names
from config.grafana_settings import GrafanaSettings
from config.kubernetes import KubernetesSettings
from config.overrides import AlertOverride
from config.prometheus import AlertmanagerSettings, PrometheusSettings, prometheus_volume_floor
from config.receivers import Alerting
from config.thanos import ThanosSettings, scale_out_issues

# Secrets every stack needs; receivers (`credential`) and exporters (`passwordSecret`) name further ones.
SECRET_KEYS: dict[str, str] = {
    "grafanaAdminPassword": "Grafana's admin password",
    "grafanaSecretKey": "Grafana's secret key (signs cookies, encrypts data source secrets)",
    "webPassword": "the basic-auth password in front of Prometheus and Alertmanager",
}
# Environments whose data and secrets are real: no generated secrets, protected volumes.
PROTECTED_ENVIRONMENTS = ("staging", "prod")


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
    # One block per integration; the fields come from the list of integrations (content.integrations).
    exporters: ExportersBase = ExportersBase()
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
        needed.update(self.exporters.secret_references())
        return needed
