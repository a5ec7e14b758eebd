"""One source, two delivery paths, checked under mocks with the real program. The stack's own
Grafana always provisions its data source and dashboards from files (uploaded into the
container on Docker, ConfigMaps on Kubernetes), so no Grafana provider resource exists unless
`grafana.manageByApi` names an external Grafana; then the data source, folders, dashboards and
teams of that Grafana are pulumiverse-grafana resources under an explicit provider with its own
URL, organisation and credential, and none waits for the stack's own Grafana. Plus the settings
that choose between them."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pulumi.runtime import rpc

from config.errors import SettingsError
from harness.mocks import unwrap
from harness.preview import bundle_files
from harness.program import ProgramRun, run_program
from tests.conftest import STACKS, as_config, docker_variant, secret_keys_of, stack_raw

PROVIDER = "pulumi:providers:grafana"
FOLDER, DATASOURCE = "grafana:oss/folder:Folder", "grafana:oss/dataSource:DataSource"
DASHBOARD = "grafana:oss/dashboard:Dashboard"
TEAM, PERMISSION = "grafana:oss/team:Team", "grafana:oss/folderPermission:FolderPermission"
EXTERNAL_URL = "https://grafana.example.com"
TOKEN_KEY, TOKEN = "grafanaApiToken", "preview-placeholder-grafanaApiToken"


def of_type(run, typ):
    return [r for r in run.records if r.type == typ]


def with_external_grafana(raw: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A stack's config that also publishes its dashboards to a shared Grafana (organisation 3)."""
    raw = copy.deepcopy(raw)
    raw["grafana"] = {**raw["grafana"], "manageByApi": True,
                      "external": {"url": EXTERNAL_URL, "credential": TOKEN_KEY, "orgId": 3, **extra}}
    raw[TOKEN_KEY] = TOKEN
    return raw


def run_external(stack: str, raw: dict[str, Any] | None = None, **extra: Any) -> ProgramRun:
    if raw is None:
        raw = stack_raw(stack)
        if raw["exposure"]["mode"] == "localhost":
            extra.setdefault("prometheusUrl", "https://prometheus.staging.example.com")
    return run_program(stack, as_config(with_external_grafana(raw, **extra)), secret_keys_of(stack) + [TOKEN_KEY])


@pytest.fixture(scope="module")
def external_runs():
    return {"staging": run_external("staging"), "prod": run_external("prod"),
            "prod-docker": run_external("prod", docker_variant(stack_raw("prod")))}


def provisioned_dashboards(run) -> dict[str, str]:
    """uid -> JSON of the dashboards the stack's own Grafana reads as files (container uploads or
    ConfigMaps), leaving out those declared through an external Grafana's API."""
    files = bundle_files([r for r in run.records if not r.type.startswith("grafana:")])
    return {json.loads(text)["uid"]: text for path, text in files.items() if path.startswith("grafana/dashboards/")}


def api_dashboards(run) -> dict[str, str]:
    return {json.loads(unwrap(r.inputs)["configJson"])["uid"]: unwrap(r.inputs)["configJson"]
            for r in of_type(run, DASHBOARD)}


@pytest.mark.parametrize("stack", STACKS)
def test_no_grafana_provider_without_manage_by_api(runs, stack):
    """The shipped stacks manage no Grafana by API: their own provisions itself from files."""
    assert not [r for r in runs[stack].records if r.type.startswith("grafana:") or r.type == PROVIDER]
    files = bundle_files(runs[stack].records)
    assert "grafana/provisioning/datasources/prometheus.yml" in files
    assert "grafana/provisioning/dashboards/monstack.yml" in files
    assert len(provisioned_dashboards(runs[stack])) >= 6


@pytest.mark.parametrize("name", ["staging", "prod", "prod-docker"])
def test_api_mode_manages_the_external_grafana_under_its_own_provider(external_runs, name):
    run = external_runs[name]
    providers = of_type(run, PROVIDER)
    assert len(providers) == 1
    provider = providers[0]
    # The provider sends its organisation as a string.
    assert provider.inputs["url"] == EXTERNAL_URL and unwrap(provider.inputs)["orgId"] == "3"
    assert rpc.is_rpc_secret(provider.inputs["auth"]), "the credential must stay a secret"
    assert unwrap(provider.inputs["auth"]) == TOKEN
    managed = of_type(run, FOLDER) + of_type(run, DATASOURCE) + of_type(run, DASHBOARD)
    assert len(of_type(run, DATASOURCE)) == 1 and len(of_type(run, DASHBOARD)) >= 6
    own = {r.urn for r in run.records if r.type.startswith(("kubernetes:", "docker:"))}
    for record in managed:
        assert f"{PROVIDER}::{provider.name}" in record.provider, f"{record.name} is not under the explicit provider"
        assert not own & set(record.dependencies), f"{record.name} waits for the stack's own Grafana"
        assert record.parent.endswith("monstack:monitoring:Dashboards::monitoring-dashboards")
    # The stack's own Grafana still provisions itself, with the very same dashboards.
    assert provisioned_dashboards(run) == api_dashboards(run), "both paths deliver the same JSON, byte for byte"


def test_the_own_grafana_is_not_waited_for(external_runs):
    """No API client talks to the stack's own Grafana, so nothing waits for it to be healthy."""
    container = next(r for r in external_runs["prod-docker"].records if r.name == "monitoring-grafana-container")
    assert unwrap(container.inputs).get("wait") in (None, False)


def test_api_data_source_is_reached_from_the_external_grafana(external_runs):
    source = unwrap(of_type(external_runs["prod"], DATASOURCE)[0].inputs)
    assert (source["name"], source["uid"], source["type"], source["accessMode"]) == ("Prometheus", "prometheus",
                                                                                     "prometheus", "proxy")
    # Through the Ingress: the external Grafana is outside the cluster.
    assert source["url"] == "https://memeit.pro/prometheus" and source["isDefault"] is True
    assert source["basicAuthEnabled"] is True and source["basicAuthUsername"] == "admin"
    assert json.loads(source["jsonDataEncoded"]) == {"httpMethod": "POST", "timeInterval": "15s"}
    raw_secure = of_type(external_runs["prod"], DATASOURCE)[0].inputs["secureJsonDataEncoded"]
    assert rpc.is_rpc_secret(raw_secure)
    assert json.loads(unwrap(raw_secure)) == {"basicAuthPassword": "preview-placeholder-webPassword"}
    staging = unwrap(of_type(external_runs["staging"], DATASOURCE)[0].inputs)
    assert staging["url"] == "https://prometheus.staging.example.com"


def test_dashboards_land_in_their_folders(external_runs):
    run = external_runs["prod"]
    folders = {unwrap(r.inputs)["uid"]: unwrap(r.inputs)["title"] for r in of_type(run, FOLDER)}
    assert folders == {"monstack-infrastructure": "Infrastructure", "monstack-databases": "Databases",
                       "monstack-applications": "Applications", "monstack-platform": "Platform",
                       "monstack-kubernetes": "Kubernetes"}
    placed = {json.loads(unwrap(r.inputs)["configJson"])["uid"]: unwrap(r.inputs)["folder"] for r in of_type(run, DASHBOARD)}
    assert placed["monstack-redis"] == "monstack-databases" and placed["monstack-alerts"] == "monstack-platform"


def test_provisioned_dashboards_sit_in_folder_directories(runs):
    paths = [p for p in bundle_files(runs["prod"].records) if p.startswith("grafana/dashboards/")]
    assert "grafana/dashboards/Databases/monstack-redis.json" in paths
    assert "grafana/dashboards/Applications/monstack-app-meme-maker-backend.json" in paths
    assert set(provisioned_dashboards(runs["dev"])) == {
        "monstack-node", "monstack-cadvisor", "monstack-redis", "monstack-app-meme-maker-backend",
        "monstack-self", "monstack-alerts"}


def test_team_permissions():
    raw = stack_raw("prod")
    raw["grafana"]["teams"] = [
        {"name": "dba", "members": ["alice@example.com"], "view": ["databases"]},
        {"name": "platform", "edit": ["platform", "infrastructure"], "view": ["databases", "kubernetes"]},
    ]
    run = run_external("prod", raw)
    teams = {unwrap(r.inputs)["name"]: unwrap(r.inputs) for r in of_type(run, TEAM)}
    assert set(teams) == {"dba", "platform"} and teams["dba"]["members"] == ["alice@example.com"]
    grants = {unwrap(r.inputs)["folderUid"]: sorted((p["teamId"], p["permission"]) for p in unwrap(r.inputs)["permissions"])
              for r in of_type(run, PERMISSION)}
    assert grants == {
        "monstack-databases": [("monitoring-dashboards-team-dba-id", "View"),
                               ("monitoring-dashboards-team-platform-id", "View")],
        "monstack-platform": [("monitoring-dashboards-team-platform-id", "Edit")],
        "monstack-infrastructure": [("monitoring-dashboards-team-platform-id", "Edit")],
        "monstack-kubernetes": [("monitoring-dashboards-team-platform-id", "View")],
    }
    for record in of_type(run, PERMISSION) + of_type(run, TEAM):
        assert f"{PROVIDER}::monitoring-dashboards-provider" in record.provider


EXTERNAL = {"url": EXTERNAL_URL, "credential": TOKEN_KEY}


@pytest.mark.parametrize("stack, change, key, message", [
    ("prod", {"manageByApi": True}, "grafana.external", "manages an existing Grafana, run apart from this stack"),
    ("prod", {"external": EXTERNAL}, "grafana.external", "only used with manageByApi: true"),
    ("prod", {"teams": [{"name": "dba", "view": ["databases"]}]}, "grafana.teams", "need manageByApi: true"),
    ("prod", {"manageByApi": True, "external": {**EXTERNAL, "url": "https://memeit.pro/grafana"}},
     "grafana.external.url", "is this stack's own Grafana"),
    ("staging", {"manageByApi": True, "external": EXTERNAL}, "grafana.external.prometheusUrl",
     "only this machine (or a port-forward) reaches"),
    ("prod", {"manageByApi": True, "external": {**EXTERNAL, "orgId": 0}}, "grafana.external.orgId",
     "greater than or equal to 1"),
    ("prod", {"manageByApi": True, "external": EXTERNAL, "teams": [{"name": "dba", "view": ["dbs"]}]},
     "grafana.teams[0].view[0]", "dbs"),
    ("prod", {"manageByApi": True, "external": EXTERNAL, "teams": [{"name": "dba"}]}, "grafana.teams[0]",
     "names no folder"),
    ("prod", {"manageByApi": True, "external": EXTERNAL,
              "teams": [{"name": "dba", "view": ["databases"], "edit": ["databases"]}]},
     "grafana.teams[0].view[0]", "both view and edit"),
    ("prod", {"manageByApi": True, "external": EXTERNAL,
              "teams": [{"name": "a", "view": ["databases"]}, {"name": "a", "view": ["platform"]}]},
     "grafana.teams[1].name", "repeats grafana.teams[0].name"),
])
def test_grafana_settings_errors(raw_config, stack, change, key, message):
    raw = raw_config(stack)
    raw["grafana"].update(change)
    if "external" in change:
        raw[TOKEN_KEY] = TOKEN  # else it is a stray key, reported as unknown
    with pytest.raises(SettingsError) as error:
        run_program(stack, as_config(raw), secret_keys_of(stack) + [TOKEN_KEY])
    found = {p.key: p.render("monstack") for p in error.value.problems}
    # The key itself, or a field below it (a team's own validator may name `view`).
    hits = [k for k in found if (k == key or k.startswith(key + ".")) and message in found[k]]
    assert hits, found
    if key.startswith(("grafana.external", "grafana.teams[1]")) or key == "grafana.teams":
        assert "fix: pulumi config" in found[hits[0]], found[hits[0]]


def test_the_external_credential_must_be_a_secret(raw_config):
    raw = with_external_grafana(raw_config("prod"))
    with pytest.raises(SettingsError) as error:
        run_program("prod", as_config(raw), secret_keys_of("prod"))  # the token given in plaintext
    found = {p.key: p.render("monstack") for p in error.value.problems}
    assert "stored in plaintext" in found[TOKEN_KEY] and TOKEN not in found[TOKEN_KEY]
