"""Scale-out on Thanos (issue 14), under the mocks and offline: the settings and their errors,
what Prometheus gains (replica label, block handling, alert relabeling), the Thanos services on
Kubernetes (sidecar in the Prometheus StatefulSet, StatefulSets for store gateway and
compactor, a Deployment for Query, Services, policies, budgets, probes) and on Docker (the
same containers on the stack's network, the sidecar in Prometheus' network namespace), the
bucket config as a secret file, and Grafana reading Query. The live behaviour (dedup, no gap,
blocks served from the bucket, alerts on faults) is tests/test_thanos_live.py."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from pulumi.runtime import rpc

from content import thanos
from content.plan import build_plan
from content.validation import validate
from harness.mocks import unwrap
from harness.preview import MASK, bundle_files, manifests, write_preview
from tests.conftest import as_config, docker_variant, run_program, secret_keys_of
from tests.test_settings import problems

CREDENTIAL = "preview-placeholder-thanosBucketKey"


def settings_of(raw: dict, stack: str):
    return validate(raw, set(secret_keys_of(stack)), "monstack", stack).settings


def plan_of(raw: dict, stack: str):
    return build_plan(settings_of(raw, stack), salt_seed="test")


def objects(run, kind: str) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in manifests(run.records) if m["kind"] == kind}


@pytest.fixture(scope="module")
def prod(runs):
    return runs["prod"]


# -- settings -----------------------------------------------------------------------------------

def test_replicas_need_thanos_and_kubernetes(raw_config):
    raw = raw_config("prod")
    raw.pop("thanos")
    raw.pop("thanosBucketKey")  # else reported alone, as a key nothing names
    found = problems("prod", raw)
    assert "without Thanos Query to deduplicate them" in found["prometheus.replicas"]
    assert "pulumi config set --path 'prometheus.replicas' '1' --stack prod" in found["prometheus.replicas"]
    raw = docker_variant(raw_config("prod"))
    raw["prometheus"]["replicas"] = 2
    raw["thanos"]["query"]["replicas"] = 3
    found = problems("prod", raw)
    assert "the Docker platform runs one Prometheus" in found["prometheus.replicas"]
    assert "the Docker platform runs one of each" in found["thanos.query.replicas"]


def test_bucket_keys_follow_its_type(raw_config):
    raw = raw_config("prod")
    storage = raw["thanos"]["objectStorage"]
    storage.pop("endpoint")
    storage["storageAccount"] = "monstack"
    storage.pop("credential")
    found = problems("prod", raw)
    assert "needs its endpoint" in found["thanos.objectStorage.endpoint"]
    assert "S3 buckets do not read storageAccount" in found["thanos.objectStorage.storageAccount"]
    assert "pulumi config rm --path 'thanos.objectStorage.storageAccount'" in found["thanos.objectStorage.storageAccount"]
    assert "accessKeyId and credential" in found["thanos.objectStorage.credential"]
    raw = raw_config("prod")
    raw.pop("thanosBucketKey")
    raw["thanos"]["objectStorage"] = {"type": "FILESYSTEM", "bucket": "/bucket"}
    assert "on Kubernetes the pods need an object store" in problems("prod", raw)["thanos.objectStorage.type"]
    raw["thanos"]["objectStorage"] = {"type": "AZURE", "bucket": "metrics"}
    assert "needs its storage account" in problems("prod", raw)["thanos.objectStorage.storageAccount"]


def test_retention_per_resolution(raw_config):
    raw = raw_config("prod")
    raw["thanos"]["compactor"]["retention"] = {"raw": "1d", "5m": "30d", "1h": "20d"}
    found = problems("prod", raw)
    assert "downsamples it into 5m (40h)" in found["thanos.compactor.retention.raw"]
    assert "'2d'" in found["thanos.compactor.retention.raw"]
    assert "1h 20d is shorter than 5m 30d" in found["thanos.compactor.retention.1h"]
    raw["thanos"]["compactor"]["retention"] = {"raw": "30d", "5m": "30d", "1h": "30d"}  # no downsampling wanted
    assert settings_of(raw, "prod").thanos.compactor.retention.one_hour == "30d"


def test_block_duration_range(raw_config):
    raw = raw_config("staging")
    raw["thanos"]["blockDuration"] = "3h"
    assert "whole minutes from 1m to 2h" in problems("staging", raw)["thanos.blockDuration"]


def test_bucket_credential_is_a_secret(raw_config):
    raw = raw_config("prod")
    raw.pop("thanosBucketKey", None)
    keys = set(secret_keys_of("prod")) - {"thanosBucketKey"}
    found = problems("prod", raw, keys)
    assert "pulumi config set --secret 'thanosBucketKey'" in found["thanosBucketKey"]
    raw["thanosBucketKey"] = "plain"
    assert "stored in plaintext" in problems("prod", raw, keys)["thanosBucketKey"]


# -- Prometheus beside its sidecar ---------------------------------------------------------------

def test_prometheus_gains_replica_label_block_handling_and_alert_relabeling(raw_config):
    plan = plan_of(raw_config("prod"), "prod")
    prom = plan.service("prometheus")
    doc = yaml.safe_load(prom.files["prometheus.yml"])
    assert doc["global"]["external_labels"]["replica"] == "${POD_NAME}"
    assert prom.instance_env == {"POD_NAME": "metadata.name"}
    assert doc["alerting"]["alert_relabel_configs"] == [{"action": "labeldrop", "regex": "replica"}]
    assert "--storage.tsdb.delay-compact-file.path=/prometheus/thanos.shipper.json" in prom.args
    assert "--storage.tsdb.min-block-duration=2h" in prom.args
    sidecar = prom.sidecars[0]
    assert "--tsdb.path=/prometheus" in sidecar.args and "--shipper.meta-file-name=thanos.shipper.json" in sidecar.args
    assert "--prometheus.url=http://localhost:9090/prometheus" in sidecar.args
    client = yaml.safe_load(prom.files[thanos.PROMETHEUS_CLIENT_FILE])
    assert client == {"basic_auth": {"username": "admin", "password_file": "/etc/monstack/secrets/web-password"}}
    # Replicas scrape each other and every sidecar: the survivor sees its peer down.
    jobs = {job.name: job for job in plan.jobs}
    assert jobs["prometheus"].targets == ("prometheus-0.prometheus-headless.monitoring.svc:9090",
                                          "prometheus-1.prometheus-headless.monitoring.svc:9090")
    assert jobs["thanos-sidecar"].targets[1] == "prometheus-1.prometheus-headless.monitoring.svc:10902"
    docker = plan_of(docker_variant(raw_config("prod")), "prod").service("prometheus")
    assert yaml.safe_load(docker.files["prometheus.yml"])["global"]["external_labels"]["replica"] == "${POD_NAME}"
    assert docker.env == {"POD_NAME": "prometheus-0"} and not docker.instance_env


def test_query_reads_every_replica_and_deduplicates(raw_config):
    query = plan_of(raw_config("prod"), "prod").service("thanos-query")
    assert "--query.replica-label=replica" in query.args
    assert "--endpoint.sd-config-file=/etc/monstack/thanos/endpoints.yml" in query.args
    endpoints = [e["address"] for e in yaml.safe_load(query.files["thanos/endpoints.yml"])["endpoints"]]
    assert endpoints == ["prometheus-0.prometheus-headless.monitoring.svc:10901",
                         "prometheus-1.prometheus-headless.monitoring.svc:10901",
                         "thanos-store-0.thanos-store-headless.monitoring.svc:10901",
                         "thanos-store-1.thanos-store-headless.monitoring.svc:10901"]
    compactor = plan_of(raw_config("prod"), "prod").service("thanos-compactor")
    assert {"--retention.resolution-raw=30d", "--retention.resolution-5m=180d",
            "--retention.resolution-1h=2y", "--wait"} <= set(compactor.args)


@pytest.mark.parametrize("storage, expected", [
    ({"type": "S3", "bucket": "b", "endpoint": "minio:9000", "accessKeyId": "AK", "credential": "k", "insecure": True},
     {"type": "S3", "config": {"bucket": "b", "endpoint": "minio:9000", "access_key": "AK", "secret_key": "SECRET",
                               "insecure": True}}),
    ({"type": "GCS", "bucket": "b", "credential": "k"},
     {"type": "GCS", "config": {"bucket": "b", "service_account": "SECRET"}}),
    ({"type": "AZURE", "bucket": "c", "storageAccount": "acct", "credential": "k"},
     {"type": "AZURE", "config": {"container": "c", "storage_account": "acct", "storage_account_key": "SECRET"}}),
    ({"type": "FILESYSTEM", "bucket": "/bucket"}, {"type": "FILESYSTEM", "config": {"directory": "/bucket"}}),
])
def test_objstore_config_per_provider(storage, expected):
    from config.thanos import ObjectStorage

    parsed = ObjectStorage.model_validate(storage)
    assert yaml.safe_load(thanos.objstore_config(parsed, "SECRET" if parsed.credential else None)) == expected


# -- Kubernetes ----------------------------------------------------------------------------------

def test_kubernetes_workloads(prod):
    sets, deployments = objects(prod, "StatefulSet"), objects(prod, "Deployment")
    prom = sets["prometheus"]["spec"]
    assert prom["replicas"] == 2
    pod = prom["template"]["spec"]
    main, sidecar = pod["containers"]
    assert sidecar["name"] == "thanos-sidecar" and sidecar["image"] == "quay.io/thanos/thanos:v0.42.3"
    # The sidecar reads Prometheus' blocks and the shared config (objstore.yml, the client file).
    assert {m["mountPath"] for m in sidecar["volumeMounts"]} == {"/etc/monstack", "/prometheus"}
    assert {p["name"]: p["containerPort"] for p in sidecar["ports"]} == {"sidecar-http": 10902, "grpc": 10901}
    assert {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}} in main["env"]
    assert sidecar["readinessProbe"]["exec"] and sidecar["securityContext"]["readOnlyRootFilesystem"] is True
    assert sets["thanos-store"]["spec"]["replicas"] == 2 and sets["thanos-compactor"]["spec"]["replicas"] == 1
    assert sets["thanos-store"]["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "20Gi"
    assert deployments["thanos-query"]["spec"]["replicas"] == 2
    budgets = {name for name in objects(prod, "PodDisruptionBudget")}
    assert budgets == {"alertmanager", "prometheus", "thanos-store", "thanos-query"}  # never the one compactor
    ports = {p["name"]: p["port"] for p in objects(prod, "Service")["prometheus"]["spec"]["ports"]}
    assert ports == {"http": 9090, "sidecar-http": 10902, "grpc": 10901}
    # Query's pods are found through the API: Prometheus may list pods.
    role = next(m for m in manifests(prod.records) if m["kind"] == "ClusterRole" and m["metadata"]["name"].endswith("prometheus"))
    assert any("pods" in rule.get("resources", []) for rule in role["rules"])


def test_bucket_config_is_a_secret_file(prod, tmp_path):
    secrets = {unwrap(r.inputs)["metadata"]["name"]: r for r in prod.records if r.type == "kubernetes:core/v1:Secret"}
    record = secrets["thanos-store-secrets"]
    assert rpc.is_rpc_secret(record.inputs["stringData"])
    objstore = yaml.safe_load(unwrap(record.inputs["stringData"])["secrets__objstore.yml"])
    assert objstore["config"]["secret_key"] == CREDENTIAL and objstore["config"]["access_key"] == "AKIAMEMEMAKERPROD01"
    assert "secrets__objstore.yml" in unwrap(secrets["prometheus-secrets"].inputs["stringData"])  # the sidecar's
    assert "secrets__objstore.yml" not in unwrap(secrets["thanos-query-secrets"].inputs["stringData"])
    for config_map in objects(prod, "ConfigMap").values():
        assert CREDENTIAL not in json.dumps(config_map)
    write_preview(prod, tmp_path)
    assert f"secret_key: {MASK}" in (tmp_path / "thanos" / "store" / "secrets" / "objstore.yml").read_text()
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and CREDENTIAL in p.read_text()]


def test_grafana_reads_thanos_query(raw_config):
    raw = docker_variant(raw_config("staging"))
    raw["grafana"]["manageByApi"] = False
    run = run_program("staging", as_config(raw), secret_keys_of("staging"))
    source = yaml.safe_load(bundle_files(run.records)["grafana/provisioning/datasources/prometheus.yml"])["datasources"][0]
    assert source["url"] == "http://thanos-query:10902" and source["jsonData"]["prometheusType"] == "Thanos"
    assert source["uid"] == "prometheus"  # every dashboard's data source follows


# -- Docker --------------------------------------------------------------------------------------

def test_docker_sidecar_shares_prometheus_namespace_and_volumes(raw_config):
    raw = docker_variant(raw_config("staging"))
    raw["thanos"]["objectStorage"] = {"type": "FILESYSTEM", "bucket": "/bucket"}
    run = run_program("staging", as_config(raw), secret_keys_of("staging"))
    containers = {unwrap(r.inputs)["name"]: unwrap(r.inputs) for r in run.records if r.type == "docker:index/container:Container"}
    sidecar = containers["monstack-staging-thanos-sidecar"]
    assert sidecar["networkMode"] == "container:monstack-staging-prometheus" and "networksAdvanced" not in sidecar
    mounts = {m["target"]: m for m in sidecar["mounts"]}
    assert mounts["/etc/monstack"]["readOnly"] is True and mounts["/prometheus"]["source"] == "monstack-staging-prometheus-data"
    assert sidecar["healthcheck"]["tests"][0] == "CMD-SHELL" and sidecar["user"] == "65534:65534"
    # The FILESYSTEM bucket is one volume that the sidecar, store gateway and compactor share.
    for name in ("thanos-sidecar", "thanos-store", "thanos-compactor"):
        assert {"target": "/bucket", "type": "volume", "source": "monstack-staging-thanos-bucket"}.items() <= \
            {m["target"]: m for m in containers[f"monstack-staging-{name}"]["mounts"]}["/bucket"].items()
    for name in ("thanos-store", "thanos-compactor", "thanos-query"):
        assert containers[f"monstack-staging-{name}"]["networksAdvanced"][0]["aliases"] == [name]
    files = bundle_files(run.records, mask=False)
    assert yaml.safe_load(files["thanos/store/secrets/objstore.yml"]) == {"type": "FILESYSTEM",
                                                                           "config": {"directory": "/bucket"}}
