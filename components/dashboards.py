"""`Dashboards`: the data source, role folders, dashboards and team permissions of an existing
Grafana run apart from this stack (a shared or hosted one, `grafana.external`), through its API
(pulumiverse-grafana), for stacks with `grafana.manageByApi: true`.

The stack's own Grafana never comes here: it provisions the same data source and dashboards
from files (content.plan), which works on a first deploy; a provider logging in to a Grafana
the same `pulumi up` creates would need its port-forward, DNS record or certificate before they
can exist. An external Grafana is already running, so the API path gives what files cannot:
`pulumi preview` shows which dashboard changes, folder permissions and teams can be set, and
removing a dashboard deletes it. Every resource uses an explicit provider with the external
Grafana's own URL, organisation and credential (a secret config key), never an ambient
GRAFANA_* setting.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional

import pulumi
import pulumiverse_grafana as grafana

from components.services import PACKAGE
from config.grafana_settings import FOLDERS, ExternalGrafana, GrafanaTeam
from content.dashboards import DashboardFile


@dataclass(frozen=True)
class DashboardsArgs:
    external: ExternalGrafana
    """The Grafana to manage: its URL, organisation and the secret key of its credential."""
    teams: tuple[GrafanaTeam, ...]
    """Teams and the role folders they may view or edit."""
    dashboards: tuple[DashboardFile, ...]
    """Every dashboard of the stack (content.plan)."""
    datasource: Mapping[str, Any]
    """The data source definition (content.grafana.external_datasource)."""
    secret_fields: Mapping[str, str]
    """secureJsonData field -> the secret key whose value fills it (content.grafana)."""
    secrets: Mapping[str, pulumi.Output[str]]
    """The stack's secrets (the external credential, webPassword, ...), secret Outputs."""
    plain_fields: Mapping[str, str] | None = None
    """secureJsonData fields whose value is not a secret (the web TLS CA certificate)."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Dashboards(pulumi.ComponentResource):
    provider: grafana.Provider
    folders: dict[str, grafana.oss.Folder]
    dashboards: dict[str, grafana.oss.Dashboard]
    datasource: grafana.oss.DataSource
    teams: dict[str, grafana.oss.Team]

    def __init__(self, name: str, args: DashboardsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(f"{PACKAGE}:monitoring:Dashboards", name, None, opts)
        external = args.external
        self.provider = grafana.Provider(
            f"{name}-provider",
            url=external.url,
            auth=pulumi.Output.secret(args.secrets[external.credential]),
            org_id=external.org_id,
            retries=5,
            retry_wait=5,
            opts=pulumi.ResourceOptions(parent=self),
        )
        api = pulumi.ResourceOptions(parent=self, provider=self.provider)

        source = dict(args.datasource)
        fields = sorted(args.secret_fields)

        def secure_json(*values: str) -> str:
            return json.dumps({**dict(args.plain_fields or {}), **dict(zip(fields, values, strict=True))}, sort_keys=True)

        self.datasource = grafana.oss.DataSource(
            f"{name}-datasource",
            name=source["name"],
            uid=source["uid"],
            type=source["type"],
            url=source["url"],
            access_mode=source["access"],
            is_default=source["isDefault"],
            basic_auth_enabled=source["basicAuth"],
            basic_auth_username=source["basicAuthUser"],
            json_data_encoded=json.dumps(source["jsonData"], sort_keys=True),
            secure_json_data_encoded=pulumi.Output.secret(
                pulumi.Output.all(*[args.secrets[args.secret_fields[f]] for f in fields]).apply(lambda v: secure_json(*v))),
            opts=api,
        )

        used = sorted({d.folder.key for d in args.dashboards} | {k for t in args.teams for k in t.view + t.edit})
        self.folders = {
            key: grafana.oss.Folder(f"{name}-folder-{key}", title=FOLDERS[key].title, uid=FOLDERS[key].uid, opts=api)
            for key in used
        }
        after_source = pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=[self.datasource])
        self.dashboards = {
            d.uid: grafana.oss.Dashboard(
                f"{name}-{d.uid}",
                config_json=d.json,
                folder=self.folders[d.folder.key].uid,
                overwrite=True,
                message="monstack: pulumi up",
                opts=after_source,
            )
            for d in args.dashboards
        }

        self.teams = {
            team.name: grafana.oss.Team(f"{name}-team-{_slug(team.name)}", name=team.name,
                                        members=list(team.members) or None, opts=api)
            for team in args.teams
        }
        grants: dict[str, list[grafana.oss.FolderPermissionPermissionArgs]] = {}
        for team in args.teams:
            for permission, keys in (("View", team.view), ("Edit", team.edit)):
                for key in keys:
                    grants.setdefault(key, []).append(grafana.oss.FolderPermissionPermissionArgs(
                        team_id=self.teams[team.name].id, permission=permission))
        # Authoritative per folder: a folder a team names is its teams' (and admins') only.
        self.permissions = {
            key: grafana.oss.FolderPermission(f"{name}-permissions-{key}", folder_uid=self.folders[key].uid,
                                              permissions=items, opts=api)
            for key, items in sorted(grants.items())
        }
        self.register_outputs({
            "folders": {key: folder.uid for key, folder in self.folders.items()},
            "dashboards": {uid: dashboard.url for uid, dashboard in self.dashboards.items()},
        })
