"""`Dashboards`: Grafana's data source, role folders, dashboards and team permissions through
Grafana's API (pulumiverse-grafana), for stacks with `grafana.manageByApi: true`.

The same dashboards (content.dashboards) are provisioned as files when the flag is off; here
they are resources instead, so `pulumi preview` shows which dashboard changes, folder
permissions can be set (file provisioning cannot), and removing a dashboard deletes it.
Every resource uses an explicit provider that logs in to the stack's own Grafana (its
external URL, reachable from where `pulumi up` runs) with the admin user and the
`grafanaAdminPassword` secret, never an ambient GRAFANA_* setting, and waits for the Grafana
workload, which the platform creates only once its healthcheck passes.
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
from config.settings import Settings
from content.dashboards import DashboardFile
from content.dashboards.common import FOLDERS


@dataclass(frozen=True)
class DashboardsArgs:
    settings: Settings
    """Validated settings of the stack (admin user, teams)."""
    dashboards: tuple[DashboardFile, ...]
    """Every dashboard of the stack (content.plan)."""
    datasource: Mapping[str, Any]
    """The data source definition shared with provisioning (content.grafana.datasource)."""
    secret_fields: Mapping[str, str]
    """secureJsonData field -> the secret key whose value fills it (content.grafana)."""
    grafana_url: str
    """Where the provider reaches Grafana: the stack's external Grafana URL."""
    secrets: Mapping[str, pulumi.Output[str]]
    """The stack's secrets (grafanaAdminPassword, webPassword, ...), secret Outputs."""
    grafana_workload: pulumi.Resource
    """The Grafana container; every API resource waits for it."""
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
        settings = args.settings
        self.provider = grafana.Provider(
            f"{name}-provider",
            url=args.grafana_url,
            auth=pulumi.Output.concat(settings.grafana.admin_user, ":", args.secrets["grafanaAdminPassword"]),
            # Grafana answers a little after its container turns healthy behind a proxy.
            retries=5,
            retry_wait=5,
            opts=pulumi.ResourceOptions(parent=self),
        )
        api = pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=[args.grafana_workload])

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

        used = sorted({d.folder.key for d in args.dashboards} | {k for t in settings.grafana.teams for k in t.view + t.edit})
        self.folders = {
            key: grafana.oss.Folder(f"{name}-folder-{key}", title=FOLDERS[key].title, uid=FOLDERS[key].uid, opts=api)
            for key in used
        }
        after_source = pulumi.ResourceOptions(parent=self, provider=self.provider,
                                              depends_on=[args.grafana_workload, self.datasource])
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
            for team in settings.grafana.teams
        }
        grants: dict[str, list[grafana.oss.FolderPermissionPermissionArgs]] = {}
        for team in settings.grafana.teams:
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
