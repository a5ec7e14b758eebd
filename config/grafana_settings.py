"""The stack's Grafana: its own instance, an optional external one managed through its API,
and the role folders that teams are given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional

from pydantic import Field, model_validator

from config.errors import _ABSENT, FieldIssue, FieldIssuesError
from config.fields import Model, Resources, SecretKey

UID_PREFIX = "monstack"  # of every dashboard and folder uid


@dataclass(frozen=True)
class Folder:
    """A Grafana folder by role: `key` is what `grafana.teams[].view/edit` name, `title` the
    folder (and provisioning directory) name."""

    key: str
    title: str
    description: str

    @property
    def uid(self) -> str:
        return f"{UID_PREFIX}-{self.key}"


# The one list of folders: teams name them, dashboards live in them.
FOLDERS: dict[str, Folder] = {f.key: f for f in (
    Folder("infrastructure", "Infrastructure", "Hosts, containers, probes"),
    Folder("kubernetes", "Kubernetes", "Cluster, nodes, workloads"),
    Folder("databases", "Databases", "Redis, PostgreSQL, MySQL/MariaDB, MongoDB"),
    Folder("messaging", "Messaging", "Message brokers"),
    Folder("applications", "Applications", "The stack's own applications"),
    Folder("platform", "Platform", "Prometheus, Alertmanager, alerts overview"),
)}
FolderKey = Literal["infrastructure", "kubernetes", "databases", "messaging", "applications", "platform"]

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
