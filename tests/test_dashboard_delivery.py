"""One source, two delivery paths, checked under mocks with the real program: by API
(staging, prod) the data source, folders and dashboards are pulumiverse-grafana resources under
the explicit provider, waiting for Grafana; by provisioning (dev) the same dashboards are files
uploaded into the Grafana container. Plus the settings that choose between them."""

from __future__ import annotations

import json

import pytest
from pulumi.runtime import rpc

from config.errors import SettingsError
from harness.mocks import unwrap
from harness.preview import bundle_files
from harness.program import run_program
from tests.conftest import as_config, docker_variant, secret_keys_of, stack_raw

PROVIDER = "pulumi:providers:grafana"
FOLDER, DATASOURCE = "grafana:oss/folder:Folder", "grafana:oss/dataSource:DataSource"
DASHBOARD = "grafana:oss/dashboard:Dashboard"
TEAM, PERMISSION = "grafana:oss/team:Team", "grafana:oss/folderPermission:FolderPermission"


def of_type(run, typ):
    return [r for r in run.records if r.type == typ]


def uploaded_dashboards(run) -> dict[str, str]:
    """uid -> JSON of the dashboards given to Grafana as files (container uploads or ConfigMaps),
    leaving out those declared through its API."""
    files = bundle_files([r for r in run.records if not r.type.startswith("grafana:")])
    return {json.loads(text)["uid"]: text for path, text in files.items() if path.startswith("grafana/dashboards/")}


@pytest.mark.parametrize("stack, on_docker", [("staging", False), ("prod", False), ("prod", True)])
def test_api_mode_declares_everything_under_the_explicit_provider(runs, stack, on_docker):
    run = run_program(stack, as_config(docker_variant(stack_raw(stack))), secret_keys_of(stack)) if on_docker else runs[stack]
    providers = of_type(run, PROVIDER)
    assert len(providers) == 1
    provider = providers[0]
    inputs = provider.inputs
    expected_url = {"staging": "http://127.0.0.1:3001", "prod": "https://memeit.pro/grafana"}[stack]
    assert inputs["url"] == expected_url
    assert rpc.is_rpc_secret(inputs["auth"]), "the admin credentials must stay a secret"
    assert unwrap(inputs["auth"]) == "admin:preview-placeholder-grafanaAdminPassword"
    workload = "monitoring-grafana-container" if on_docker else "monitoring-grafana-deployment"
    grafana = next(r for r in run.records if r.name == workload)
    managed = of_type(run, FOLDER) + of_type(run, DATASOURCE) + of_type(run, DASHBOARD)
    assert len(of_type(run, DATASOURCE)) == 1 and len(of_type(run, DASHBOARD)) >= 6
    for record in managed:
        assert f"{PROVIDER}::{provider.name}" in record.provider, f"{record.name} is not under the explicit provider"
        assert any(d.endswith(f"::{workload}") for d in record.dependencies), record.name
        assert record.parent.endswith("monstack:monitoring:Dashboards::monitoring-dashboards")
    # The provider needs Grafana answering: the container is created once it is healthy (Docker);
    # pulumi-kubernetes waits for a Deployment's rollout unless told not to.
    if on_docker:
        assert unwrap(grafana.inputs)["wait"] is True
    else:
        annotations = unwrap(grafana.inputs)["metadata"].get("annotations", {})
        assert "pulumi.com/skipAwait" not in annotations
    assert uploaded_dashboards(run) == {}, "API mode must not also provision dashboard files"
    assert "grafana/provisioning/datasources/prometheus.yml" not in bundle_files(run.records)


def test_api_data_source_matches_the_provisioned_one(runs):
    source = unwrap(of_type(runs["prod"], DATASOURCE)[0].inputs)
    assert (source["name"], source["uid"], source["type"], source["accessMode"]) == ("Prometheus", "prometheus",
                                                                                     "prometheus", "proxy")
    # prod runs Thanos: the data source reads Thanos Query (same name and uid for every dashboard).
    assert source["url"] == "http://thanos-query.monitoring.svc:10902" and source["isDefault"] is True
    assert source["basicAuthEnabled"] is True and source["basicAuthUsername"] == "admin"
    assert json.loads(source["jsonDataEncoded"]) == {"httpMethod": "POST", "timeInterval": "15s",
                                                     "prometheusType": "Thanos"}
    raw_secure = of_type(runs["prod"], DATASOURCE)[0].inputs["secureJsonDataEncoded"]
    assert rpc.is_rpc_secret(raw_secure)
    assert json.loads(unwrap(raw_secure)) == {"basicAuthPassword": "preview-placeholder-webPassword"}


def test_dashboards_land_in_their_folders(runs):
    run = runs["prod"]
    folders = {unwrap(r.inputs)["uid"]: unwrap(r.inputs)["title"] for r in of_type(run, FOLDER)}
    assert folders == {"monstack-infrastructure": "Infrastructure", "monstack-databases": "Databases",
                       "monstack-applications": "Applications", "monstack-platform": "Platform",
                       "monstack-kubernetes": "Kubernetes"}
    placed = {json.loads(unwrap(r.inputs)["configJson"])["uid"]: unwrap(r.inputs)["folder"] for r in of_type(run, DASHBOARD)}
    assert placed["monstack-redis"] == "monstack-databases" and placed["monstack-alerts"] == "monstack-platform"


def test_provisioning_mode_uploads_the_same_dashboards(runs, raw_config):
    """dev provisions files; prod with manageByApi off uploads exactly the set prod declares by API."""
    assert set(uploaded_dashboards(runs["dev"])) == {
        "monstack-node", "monstack-cadvisor", "monstack-redis", "monstack-app-meme-maker-backend",
        "monstack-self", "monstack-alerts"}
    assert not of_type(runs["dev"], PROVIDER) and not of_type(runs["dev"], DASHBOARD)
    raw = raw_config("prod")
    raw["grafana"]["manageByApi"] = False
    files = uploaded_dashboards(run_program("prod", as_config(raw), secret_keys_of("prod")))
    by_api = {json.loads(unwrap(r.inputs)["configJson"])["uid"]: unwrap(r.inputs)["configJson"]
              for r in of_type(runs["prod"], DASHBOARD)}
    assert files == by_api, "the two paths must deliver the same dashboards, byte for byte"
    paths = [p for p in bundle_files(run_program("prod", as_config(raw), secret_keys_of("prod")).records)
             if p.startswith("grafana/dashboards/")]
    assert "grafana/dashboards/Databases/monstack-redis.json" in paths


def test_preview_writes_api_dashboards_to_the_same_paths(runs):
    files = bundle_files(runs["staging"].records)
    assert "grafana/dashboards/Applications/monstack-app-meme-maker-backend.json" in files
    assert "grafana/dashboards/Platform/monstack-self.json" in files


def test_team_permissions(raw_config):
    raw = raw_config("prod")
    raw["grafana"]["teams"] = [
        {"name": "dba", "members": ["alice@example.com"], "view": ["databases"]},
        {"name": "platform", "edit": ["platform", "infrastructure"], "view": ["databases", "kubernetes"]},
    ]
    run = run_program("prod", as_config(raw), secret_keys_of("prod"))
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


@pytest.mark.parametrize("change, key, message", [
    ({"manageByApi": False, "teams": [{"name": "dba", "view": ["databases"]}]}, "monstack:grafana.manageByApi",
     "teams need manageByApi: true"),
    ({"manageByApi": True, "teams": [{"name": "dba", "view": ["dbs"]}]}, "monstack:grafana.teams[0].view[0]", "dbs"),
    ({"manageByApi": True, "teams": [{"name": "dba"}]}, "monstack:grafana.teams[0].view", "names no folder"),
    ({"manageByApi": True, "teams": [{"name": "dba", "view": ["databases"], "edit": ["databases"]}]},
     "monstack:grafana.teams[0].view[0]", "both view and edit"),
    ({"manageByApi": True, "teams": [{"name": "a", "view": ["databases"]}, {"name": "a", "view": ["platform"]}]},
     "monstack:grafana.teams[1].name", "is used by teams[0]"),
])
def test_grafana_settings_errors(raw_config, change, key, message):
    raw = raw_config("prod")
    raw["grafana"].update(change)
    with pytest.raises(SettingsError) as error:
        run_program("prod", as_config(raw), secret_keys_of("prod"))
    text = str(error.value)
    assert f"{key} = " in text and message in text, text
