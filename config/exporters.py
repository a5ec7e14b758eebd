"""The settings every exporter integration shares. Each integration declares its own model
(content/integrations/<key>.py) on one of these bases; the `exporters` block of a stack is
derived from the list of integrations (content.integrations), so config names none of them."""

from __future__ import annotations

from typing import Optional

from pydantic import Field, model_validator

from config.errors import FieldIssue, FieldIssuesError
from config.fields import Duration, HostPort, Model, Resources, SecretKey


class ExporterSettings(Model):
    """Settings shared by every exporter integration; integrations add their own fields."""

    enabled: bool = False
    scrape_interval: Optional[Duration] = Field(None, examples=["30s"])
    scrape_timeout: Optional[Duration] = Field(None, examples=["10s"])
    resources: Optional[Resources] = None

    def secret_references(self, key: str) -> dict[str, str]:
        """Secret config keys this integration's settings name (for integration `key`), with what
        each is for; none unless an integration logs in somewhere."""
        return {}


class ServiceExporterSettings(ExporterSettings):
    """An exporter that reads one service (a database, a cache) at `address`."""

    address: HostPort = Field(examples=["redis:6379"])
    user: Optional[str] = Field(None, examples=["monitoring"])
    password_secret: Optional[SecretKey] = Field(None, examples=["redisPassword"])
    database: Optional[str] = Field(None, examples=["postgres"])

    def secret_references(self, key: str) -> dict[str, str]:
        if self.enabled and self.password_secret:
            return {self.password_secret: f"the password the {key} exporter logs in with"}
        return {}


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


class ExportersBase(Model):
    """The `exporters` block as config knows it: no integration of its own. The program's
    schema (content.integrations.EXPORTERS_MODEL) adds one field per integration, keyed by the
    integration's key, so a key no integration declares is refused like any unknown key."""

    def of(self, key: str) -> Optional[ExporterSettings]:
        """The settings of integration `key` (None when the stack leaves it out)."""
        value = getattr(self, key, None)
        return value if isinstance(value, ExporterSettings) else None

    def secret_references(self) -> dict[str, str]:
        """Secret config keys named by any integration's settings."""
        needed: dict[str, str] = {}
        for key in type(self).model_fields:
            own = self.of(key)
            if own is not None:
                needed.update(own.secret_references(key))
        return needed
