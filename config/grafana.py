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
from config.settings import Settings
from content.topology import Topology

# What the digest of secrets is keyed with (components.platforms.digest): it must not be guessable.
SECRET_KEY = "grafanaSecretKey"
SECRET_KEY_MIN_LENGTH = 32
_EXTERNAL_EXAMPLE = {"url": "https://grafana.example.com", "credential": "grafanaApiToken"}


def grafana_problems(settings: Settings, raw: dict[str, Any], secret_keys: set[str], stack: str) -> list[Problem]:
    grafana = settings.grafana
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
    if grafana.manage_by_api and external is not None:
        problems += _external_problems(settings, stack)
    problems += _secret_key_problems(raw, secret_keys, stack)
    return problems


def _external_problems(settings: Settings, stack: str) -> list[Problem]:
    external = settings.grafana.external
    assert external is not None
    topology = Topology(settings)
    own = topology.external_url("grafana")
    problems: list[Problem] = []
    if external.url.rstrip("/") == own.rstrip("/") or external.url.startswith(own.rstrip("/") + "/"):
        problems.append(Problem(
            key="grafana.external.url", value=external.url,
            message=f"is this stack's own Grafana ({own}), which provisions its dashboards from files; it cannot "
                    "also be managed by this stack's API calls (they would need it running before it is created)",
            fix=f"{set_command(stack, 'grafana.manageByApi', 'false')}, or name a Grafana run apart from this stack",
        ))
    if external.prometheus_url is None and settings.exposure.mode == "localhost":
        problems.append(Problem(
            key="grafana.external.prometheusUrl", value=_ABSENT,
            message=f"exposure.mode localhost serves Prometheus at {topology.external_url('prometheus')}, which "
                    "only this machine (or a port-forward) reaches; an external Grafana needs an address it can reach",
            fix=set_command(stack, "grafana.external.prometheusUrl", "https://prometheus.example.com"),
        ))
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
