"""Checks of the Grafana settings that span several fields or need the rest of the stack, each
reported at the exact key it is about (not at `grafana` with a dump of the block).

Two Grafanas may be involved. The stack's own always loads its data source and dashboards from
files, so it works on a first deploy, before any port-forward, DNS record or certificate exists.
`manageByApi` additionally drives an *existing* Grafana, named by `grafana.external`, through
its API: pointing it at the stack's own Grafana would bring back that chicken-and-egg.
"""

from __future__ import annotations

from typing import Any

from config.errors import _ABSENT, Problem, set_command
from config.grafana_settings import GrafanaSettings

# What the digest of secrets is keyed with (components.platforms.digest): it must not be guessable.
SECRET_KEY = "grafanaSecretKey"
SECRET_KEY_MIN_LENGTH = 32
_EXTERNAL_EXAMPLE = {"url": "https://grafana.example.com", "credential": "grafanaApiToken"}


def grafana_problems(grafana: GrafanaSettings, raw: dict[str, Any], secret_keys: set[str], stack: str) -> list[Problem]:
    """The grafana block's own checks (where the external Grafana points: content.checks)."""
    external = grafana.external
    block = raw.get("grafana") if isinstance(raw.get("grafana"), dict) else {}
    problems: list[Problem] = []
    if grafana.manage_by_api and external is None:
        problems.append(Problem(
            key="grafana.external", value=_ABSENT,
            message="manageByApi manages an existing Grafana, run apart from this stack, through its API; "
                    "the stack's own Grafana loads its data source and dashboards from files and needs no API. "
                    "Name that Grafana (its URL and the secret key holding its token), or turn manageByApi off",
            fix=" && ".join(set_command(stack, f"grafana.external.{k}", v) for k, v in _EXTERNAL_EXAMPLE.items())
                + f" && pulumi config set --secret {_EXTERNAL_EXAMPLE['credential']} --stack {stack}; or "
                f"{set_command(stack, 'grafana.manageByApi', 'false')}",
        ))
    if external is not None and not grafana.manage_by_api:
        problems.append(Problem(
            key="grafana.external", value=block.get("external"),
            message="is only used with manageByApi: true; set but ignored it would mislead",
            fix=f"{set_command(stack, 'grafana.manageByApi', 'true')}, or "
                f"pulumi config rm --path 'grafana.external' --stack {stack}",
        ))
    if grafana.teams and not grafana.manage_by_api:
        problems.append(Problem(
            key="grafana.teams", value=[t.name for t in grafana.teams],
            message="teams and folder permissions are set through the API of an external Grafana "
                    "(provisioning files cannot set them); they need manageByApi: true and grafana.external",
            fix=f"{set_command(stack, 'grafana.manageByApi', 'true')}, or "
                f"pulumi config rm --path 'grafana.teams' --stack {stack}",
        ))
    seen: dict[str, int] = {}
    for i, team in enumerate(grafana.teams):
        if team.name in seen:
            problems.append(Problem(
                key=f"grafana.teams[{i}].name", value=team.name,
                message=f"repeats grafana.teams[{seen[team.name]}].name; team names are unique in Grafana",
                fix=f"{set_command(stack, f'grafana.teams[{i}].name', team.name + '-2')}, or merge the two teams",
            ))
        seen.setdefault(team.name, i)
    problems += _secret_key_problems(raw, secret_keys, stack)
    return problems


def _secret_key_problems(raw: dict[str, Any], secret_keys: set[str], stack: str) -> list[Problem]:
    """grafanaSecretKey keys the digest that rolls pods on a rotated secret: a short, guessable
    key would make that digest a verifier of the passwords again."""
    value = raw.get(SECRET_KEY)
    if not isinstance(value, str) or SECRET_KEY not in secret_keys or len(value) >= SECRET_KEY_MIN_LENGTH:
        return []
    return [Problem(
        key=SECRET_KEY, value="(secret, not shown)",
        message=f"is {len(value)} characters; it signs Grafana's cookies and keys the stack's digest of secrets, "
                f"so it must be random and at least {SECRET_KEY_MIN_LENGTH} characters",
        fix=f'pulumi config set --secret {SECRET_KEY} "$(openssl rand -hex 32)" --stack {stack}',
    )]
