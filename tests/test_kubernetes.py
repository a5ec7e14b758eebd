"""The shipped staging and prod stacks on the Kubernetes platform: what they declare, every
manifest validated by kubernetes-validate (strict, 1.29 and the newest it knows), the security
policy of every container, secrets that never reach a ConfigMap or the rendered output, the
checksum that rolls pods on a config change, bad input, and the kubernetes integration's
alerts run through `promtool test rules` (one firing and one quiet case each)."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import all_versions

from components.platforms.kube import pods
from config.errors import SettingsError
from content.service_plan import Probe, ServicePlan
from content.validation import validate
from harness.mocks import unwrap
from harness.preview import MASK, bundle_files, manifest_files, manifests, write_preview
from harness.program import ProgramRun
from harness.tools import tool
from tests.conftest import KUBERNETES_STACKS, ROOT, run_stack, secret_keys_of, stack_raw

VERSIONS = ("1.29", kubernetes_validate.latest_version())
# Custom resources have no schema in kubernetes-validate; they are checked by shape below.
CUSTOM_KINDS = {"ExternalSecret": "external-secrets.io/v1"}
WORKLOADS = ("StatefulSet", "Deployment", "DaemonSet")


def objects(run: ProgramRun, kind: str | None = None) -> list[dict[str, Any]]:
    return [m for m in manifests(run.records) if kind is None or m["kind"] == kind]


def named(run: ProgramRun, kind: str, name: str) -> dict[str, Any]:
    return next(m for m in objects(run, kind) if m["metadata"]["name"] == name)


def containers(run: ProgramRun) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(workload name, pod spec, container) for every container of every workload."""
    return [(m["metadata"]["name"], m["spec"]["template"]["spec"], c)
            for m in objects(run) if m["kind"] in WORKLOADS for c in m["spec"]["template"]["spec"]["containers"]]


def variant(stack: str, **changes: Any) -> dict[str, Any]:
    raw = stack_raw(stack)
    raw["kubernetes"] = {**raw["kubernetes"], **changes}
    return raw


@pytest.fixture(scope="module")
def variants(runs):
    """The shipped stacks plus the variants the issue asks about: render-to-directory, an
    external secret store, and an Ingress certificate from a Secret."""
    out = {stack: runs[stack] for stack in KUBERNETES_STACKS}
    out["prod-rendered"] = run_stack("prod", variant("prod", renderYamlTo="rendered/prod"))
    out["prod-external"] = run_stack("prod", variant("prod", externalSecrets={
        "storeName": "vault", "keyPrefix": "monstack/prod/"}))
    raw = variant("prod")
    raw["kubernetes"]["ingress"] = {"className": "nginx", "tlsSecret": "memeit-pro-tls"}
    out["prod-tls-secret"] = run_stack("prod", raw)
    out["staging-many-apps"] = run_stack("staging", many_applications(MANY_APPS))
    return out


# Enough applications (about 31 KiB of dashboard each) to pass one ConfigMap's 1 MiB.
MANY_APPS = 40


def many_applications(count: int) -> dict[str, Any]:
    raw = stack_raw("staging")
    app = raw["applications"][0]
    raw["applications"] = [{**copy.deepcopy(app), "name": f"app-{i:02d}"} for i in range(count)]
    return raw


# -- what is declared -------------------------------------------------------------------------

# ConfigMaps: Prometheus', Alertmanager's, Grafana's and Thanos Query's (its endpoints) files, plus one
# per Grafana folder (Infrastructure, Kubernetes, Databases, Applications, Platform) holding its
# dashboards. Thanos (both stacks): store gateway and compactor StatefulSets (Service + headless
# each), Query's Deployment and Service, a Secret, ServiceAccount and NetworkPolicy each; prod's
# budgets cover the second Prometheus, store gateway and Query replicas besides Alertmanager's.
EXPECTED_KINDS = {
    "staging": {"Namespace": 1, "StatefulSet": 4, "Deployment": 4, "DaemonSet": 1, "ConfigMap": 9, "Secret": 6,
                "ServiceAccount": 9, "ClusterRole": 2, "ClusterRoleBinding": 2, "Service": 12, "NetworkPolicy": 11,
                "PersistentVolumeClaim": 1},
    "prod": {"Namespace": 1, "StatefulSet": 4, "Deployment": 4, "DaemonSet": 1, "ConfigMap": 9, "Secret": 6,
             "ServiceAccount": 9, "ClusterRole": 2, "ClusterRoleBinding": 2, "Service": 12, "NetworkPolicy": 11,
             "PersistentVolumeClaim": 1, "Ingress": 1, "PodDisruptionBudget": 4},
}


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_kinds_per_stack(runs, stack):
    assert dict(Counter(m["kind"] for m in objects(runs[stack]))) == EXPECTED_KINDS[stack]
    assert not [r for r in runs[stack].records if r.type.startswith("docker:")]
    workloads = {m["metadata"]["name"]: m["kind"] for m in objects(runs[stack]) if m["kind"] in WORKLOADS}
    assert workloads == {"prometheus": "StatefulSet", "alertmanager": "StatefulSet", "grafana": "Deployment",
                         "redis-exporter": "Deployment", "kube-state-metrics": "Deployment", "node-exporter": "DaemonSet",
                         "thanos-store": "StatefulSet", "thanos-compactor": "StatefulSet", "thanos-query": "Deployment"}


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_every_object_uses_the_explicit_provider(runs, stack):
    providers = [r for r in runs[stack].records if r.type == "pulumi:providers:kubernetes"]
    assert len(providers) == 1
    inputs = unwrap(providers[0].inputs)
    assert inputs["namespace"] == "monitoring" and inputs["context"] == f"meme-maker-{'production' if stack == 'prod' else stack}"
    for record in runs[stack].records:
        if record.type.startswith("kubernetes:"):
            # "<provider urn>::<provider id>": never the default provider (the ambient cluster).
            assert record.provider.endswith("$pulumi:providers:kubernetes::monitoring-kubernetes::monitoring-kubernetes-id"), \
                record.name


def test_render_to_directory_is_the_provider_mode(variants):
    provider = next(r for r in variants["prod-rendered"].records if r.type == "pulumi:providers:kubernetes")
    inputs = unwrap(provider.inputs)
    assert inputs["renderYamlToDirectory"] == "rendered/prod"
    # The provider refuses `context` next to `renderYamlToDirectory` (the real engine found it;
    # tests/test_engine.py runs it): render mode gets no cluster target although prod sets one.
    assert "context" not in inputs and not inputs.get("kubeconfig")


@pytest.mark.tools
@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_every_manifest_validates_strictly(variants, stack, tmp_path):
    """kubernetes-validate in strict mode (unknown fields fail) for 1.29 and the newest version,
    on the manifests as the preview writes them to OUTDIR/kubernetes."""
    for name in (stack, *(v for v in variants if v.startswith(stack + "-"))):
        files = manifest_files(variants[name].records)
        assert files and all(path.startswith("kubernetes/") for path in files)
        for path, text in files.items():
            manifest = yaml.safe_load(text)
            if manifest["kind"] in CUSTOM_KINDS:
                assert manifest["apiVersion"] == CUSTOM_KINDS[manifest["kind"]], path
                continue
            for version in VERSIONS:
                kubernetes_validate.validate(manifest, version, strict=True)


@pytest.mark.tools
def test_strict_validation_catches_an_unknown_field(runs):
    """The check above can fail: a misspelt field is rejected in strict mode."""
    manifest = named(runs["prod"], "StatefulSet", "prometheus")
    manifest["spec"]["template"]["spec"]["containers"][0]["securityContxt"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(manifest, VERSIONS[0], strict=True)
    assert VERSIONS[1] == all_versions()[-1].rsplit(".", 1)[0] or VERSIONS[1] == all_versions()[-1]


# -- the security policy of every container ------------------------------------------------------

@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_every_container_is_hardened_limited_and_probed(runs, stack):
    found = containers(runs[stack])
    assert len(found) == 10  # 9 workloads, and Thanos' sidecar beside Prometheus
    for workload, pod, container in found:
        sc = container["securityContext"]
        assert sc["runAsNonRoot"] is True and sc["runAsUser"] > 0, workload
        assert sc["readOnlyRootFilesystem"] is True, workload
        assert sc["allowPrivilegeEscalation"] is False, workload
        assert sc["capabilities"] == {"drop": ["ALL"]}, workload
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}, workload
        assert pod["securityContext"]["runAsNonRoot"] is True, workload
        for side in ("requests", "limits"):
            assert set(container["resources"][side]) == {"memory", "cpu"}, (workload, side)
        assert container["livenessProbe"] and container["readinessProbe"], workload
    users = {w: c["securityContext"]["runAsUser"] for w, _, c in found}
    assert users["prometheus"] == 65534 and users["grafana"] == 472


def test_limits_follow_the_stack(runs):
    limits = {c["name"]: c["resources"] for _, _, c in containers(runs["prod"])}
    # Canonical quantities (1GB is 1Gi), as the provider renders them (tests/test_engine.py compares).
    assert limits["prometheus"] == {"limits": {"memory": "1Gi", "cpu": "500m"}, "requests": {"memory": "512Mi", "cpu": "200m"}}
    assert limits["grafana"]["limits"] == {"memory": "512Mi", "cpu": "300m"}
    assert limits["redis-exporter"]["limits"] == {"memory": "64Mi", "cpu": "100m"}
    assert limits["thanos-sidecar"]["limits"] == {"memory": "128Mi", "cpu": "100m"}


def test_the_policy_refuses_what_it_cannot_run():
    """The tests above can fail: a plan without limits, probes or a non-root user is refused."""
    plan = ServicePlan(name="x", bundle_dir="x", image="x", port=1, probe=Probe(1, "/"))
    with pytest.raises(pods.PolicyError, match="limits"):
        pods.resources(plan)
    with pytest.raises(pods.PolicyError, match="root"):
        pods.security_context(ServicePlan(name="x", bundle_dir="x", image="x", port=1, user=None))
    with pytest.raises(pods.PolicyError, match="probe"):
        pods.probes(ServicePlan(name="x", bundle_dir="x", image="x", port=1))


def test_node_exporter_runs_as_upstream_does(runs):
    ds = named(runs["prod"], "DaemonSet", "node-exporter")
    pod = ds["spec"]["template"]["spec"]
    assert pod["hostPID"] is True and pod["hostNetwork"] is True
    host = [v for v in pod["volumes"] if "hostPath" in v]
    assert [v["hostPath"]["path"] for v in host] == ["/"]
    mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["name"] == host[0]["name"])
    assert mount["readOnly"] is True and mount["mountPath"] == "/host"
    assert "--path.rootfs=/host" in pod["containers"][0]["args"]
    ns = objects(runs["prod"], "Namespace")[0]
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"


# -- state survives destroy and renames ---------------------------------------------------------

@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_volume_claims_survive(runs, stack):
    run = runs[stack]
    for name in ("prometheus", "alertmanager"):
        spec = named(run, "StatefulSet", name)["spec"]
        assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    sizes = {"staging": "7Gi", "prod": "13Gi"}  # retention 5GB/10GB plus headroom
    claim = named(run, "StatefulSet", "prometheus")["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["resources"]["requests"]["storage"] == sizes[stack]
    protected = {r.type.rsplit(":", 1)[-1]: (r.protect, r.retain_on_delete) for r in run.records
                 if r.type in ("kubernetes:core/v1:PersistentVolumeClaim", "kubernetes:core/v1:Namespace")}
    assert protected == {"PersistentVolumeClaim": (True, True), "Namespace": (True, True)}
    assert named(run, "Deployment", "grafana")["spec"]["strategy"] == {"type": "Recreate"}


# -- Alertmanager cluster, discovery, network -----------------------------------------------------

def test_alertmanager_replicas_are_peered_and_each_gets_alerts(runs):
    am = named(runs["prod"], "StatefulSet", "alertmanager")
    assert am["spec"]["replicas"] == 2
    args = am["spec"]["template"]["spec"]["containers"][0]["args"]
    peers = [a for a in args if a.startswith("--cluster.peer=")]
    assert peers == [f"--cluster.peer=alertmanager-{i}.alertmanager-headless.monitoring.svc:9094" for i in (0, 1)]
    # Each replica advertises its own pod IP (from the downward API), whatever range pods use.
    assert "--cluster.advertise-address=$(POD_IP):9094" in args
    env = am["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}} in env
    prom = yaml.safe_load(bundle_files(runs["prod"].records)["prometheus/prometheus.yml"])
    targets = prom["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert targets == [f"alertmanager-{i}.alertmanager-headless.monitoring.svc:9093" for i in (0, 1)]
    assert named(runs["prod"], "PodDisruptionBudget", "alertmanager")["spec"]["maxUnavailable"] == 1
    staging = named(runs["staging"], "StatefulSet", "alertmanager")
    assert staging["spec"]["replicas"] == 1
    assert "--cluster.listen-address=" in staging["spec"]["template"]["spec"]["containers"][0]["args"]


def test_kubernetes_discovery_jobs_and_labels(runs):
    prom = yaml.safe_load(bundle_files(runs["prod"].records)["prometheus/prometheus.yml"])
    jobs = {j["job_name"]: j for j in prom["scrape_configs"]}
    roles = {name: [sd["role"] for sd in j.get("kubernetes_sd_configs", [])] for name, j in jobs.items()}
    assert roles["apiserver"] == ["endpoints"] and roles["kubelet"] == ["node"] and roles["cadvisor"] == ["node"]
    assert roles["kubernetes-service-endpoints"] == ["endpoints"] and roles["kubernetes-pods"] == ["pod"]
    assert roles["node"] == ["pod"]  # the DaemonSet's pod on every node
    assert jobs["cadvisor"]["metrics_path"] == "/metrics/cadvisor"
    assert jobs["kubelet"]["authorization"] == {"credentials_file": "serviceaccount/token"}
    relabel = jobs["kubernetes-service-endpoints"]["relabel_configs"]
    targets = {step["target_label"] for step in relabel if "target_label" in step}
    assert {"namespace", "pod", "node", "service"} <= targets
    assert jobs["kube-state-metrics"]["honor_labels"] is True
    assert jobs["redis"]["static_configs"][0]["targets"] == ["redis-exporter.monitoring.svc:9121"]
    assert "cadvisor-exporter" not in json.dumps(prom)


def test_rbac(runs):
    run = runs["prod"]
    prom = named(run, "ClusterRole", "monitoring-prometheus")
    assert {"nodes/metrics", "pods", "endpoints"} <= {r for rule in prom["rules"] for r in rule.get("resources", [])}
    ksm = named(run, "ClusterRole", "monitoring-kube-state-metrics")
    resources = {r for rule in ksm["rules"] for r in rule["resources"]}
    assert "secrets" not in resources and "configmaps" not in resources and "deployments" in resources
    assert all(set(rule["verbs"]) == {"list", "watch"} for rule in ksm["rules"])
    binding = named(run, "ClusterRoleBinding", "monitoring-prometheus")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "prometheus", "namespace": "monitoring"}]
    tokens = {w: pod["automountServiceAccountToken"] for w, pod, _ in containers(run)}
    assert tokens == {"prometheus": True, "kube-state-metrics": True, "alertmanager": False, "grafana": False,
                      "redis-exporter": False, "node-exporter": False, "thanos-store": False,
                      "thanos-compactor": False, "thanos-query": False}


def test_network_policies(runs):
    run = runs["prod"]
    deny = named(run, "NetworkPolicy", "default-deny")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}

    def sources(name: str) -> list[tuple[str, list[int]]]:
        out = []
        for rule in named(run, "NetworkPolicy", name)["spec"].get("ingress", []):
            for peer in rule["from"]:
                who = (peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name")
                       or peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"])
                out.append((who, [p["port"] for p in rule["ports"]]))
        return out

    # Thanos on: Query reads the sidecars (gRPC 10901), replicas scrape each other and the sidecars (10902).
    assert sources("prometheus") == [("thanos-query", [9090, 10902, 10901]), ("prometheus", [9090, 10902, 10901]),
                                     ("ingress-nginx", [9090])]
    assert sources("thanos-query") == [("grafana", [10902]), ("prometheus", [10902])]
    assert sources("thanos-store") == [("thanos-query", [10902, 10901]), ("prometheus", [10902, 10901])]
    assert sources("alertmanager") == [("prometheus", [9093]), ("ingress-nginx", [9093]), ("alertmanager", [9094, 9094])]
    assert sources("grafana") == [("ingress-nginx", [3000])]
    assert sources("redis-exporter") == [("prometheus", [9121])]
    assert sources("kube-state-metrics") == [("prometheus", [8080])]
    grafana_egress = named(run, "NetworkPolicy", "grafana")["spec"]["egress"]
    assert grafana_egress == [{"to": [{"podSelector": {"matchLabels": {
        "app.kubernetes.io/name": "thanos-query", "app.kubernetes.io/instance": "prod"}}}]}]
    redis_egress = named(run, "NetworkPolicy", "redis-exporter")["spec"]["egress"]
    assert redis_egress == [{"ports": [{"port": 6379, "protocol": "TCP"}]}]
    assert not objects(runs["staging"], "Ingress")


def test_ingress_tls(variants):
    ingress = objects(variants["prod"], "Ingress")[0]
    spec = ingress["spec"]
    assert ingress["metadata"]["annotations"] == {"cert-manager.io/cluster-issuer": "letsencrypt-prod"}
    assert spec["tls"] == [{"hosts": ["memeit.pro"], "secretName": "monitoring-ingress-tls"}]
    paths = {p["path"]: p["backend"]["service"]["name"] for p in spec["rules"][0]["http"]["paths"]}
    assert paths == {"/prometheus": "prometheus", "/alertmanager": "alertmanager", "/grafana": "grafana"}
    other = objects(variants["prod-tls-secret"], "Ingress")[0]
    assert other["spec"]["tls"][0]["secretName"] == "memeit-pro-tls" and "annotations" not in other["metadata"]


# -- secrets ------------------------------------------------------------------------------------

SECRET_MARKERS = ("preview-placeholder-", "generated-")


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_no_secret_value_in_a_config_map_or_env(runs, stack):
    for config_map in objects(runs[stack], "ConfigMap"):
        text = json.dumps(config_map)
        assert not any(marker in text for marker in SECRET_MARKERS), config_map["metadata"]["name"]
    for workload, _, container in containers(runs[stack]):
        for env in container.get("env", []):
            assert "value" not in env or not any(m in env["value"] for m in SECRET_MARKERS), (workload, env)
    grafana_env = {e["name"]: e.get("value") for w, _, c in containers(runs[stack]) if w == "grafana" for e in c["env"]}
    assert grafana_env["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/etc/monstack/secrets/admin-password"


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_secrets_are_pulumi_secrets_and_masked_in_output(runs, stack, tmp_path):
    from pulumi.runtime import rpc

    secrets = [r for r in runs[stack].records if r.type == "kubernetes:core/v1:Secret"]
    assert secrets and all(rpc.is_rpc_secret(r.inputs["stringData"]) for r in secrets)
    write_preview(runs[stack], tmp_path)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert not any(m in path.read_text() for m in SECRET_MARKERS), path
    rendered = yaml.safe_load((tmp_path / "kubernetes" / "secret-grafana-secrets.yaml").read_text())
    assert set(rendered["stringData"].values()) == {MASK}
    assert (tmp_path / "grafana" / "secrets" / "admin-password").read_text() == MASK


def test_render_mode_puts_placeholders_not_secrets(variants):
    from pulumi.runtime import rpc

    run = variants["prod-rendered"]
    for record in run.records:
        if record.type == "kubernetes:core/v1:Secret":
            values = unwrap(record.inputs["stringData"])
            assert all("preview-placeholder" not in v for v in values.values())
            assert any("REPLACE-ME-" in v for v in values.values())
            assert unwrap(record.inputs)["metadata"]["annotations"]["monstack.dev/placeholder-values"] == "true"
    assert any(rpc.is_rpc_secret(r.inputs.get("stringData")) for r in run.records if r.type == "kubernetes:core/v1:Secret")


def test_external_secrets_replace_secrets(variants):
    run = variants["prod-external"]
    assert not objects(run, "Secret")
    external = {m["metadata"]["name"]: m for m in objects(run, "ExternalSecret")}
    assert set(external) == {"prometheus-secrets", "alertmanager-secrets", "grafana-secrets", "thanos-store-secrets",
                             "thanos-compactor-secrets", "thanos-query-secrets"}
    am = external["alertmanager-secrets"]["spec"]
    assert am["secretStoreRef"] == {"name": "vault", "kind": "ClusterSecretStore"}
    assert {d["remoteRef"]["key"] for d in am["data"]} == {
        "monstack/prod/webPassword", "monstack/prod/slackWebhookUrl", "monstack/prod/pagerdutyRoutingKey",
        "monstack/prod/backendSlackWebhookUrl", "monstack/prod/deadmanToken"}
    template = am["target"]["template"]["data"]
    assert template["web.yml"].rstrip().endswith("admin: '{{ .webPassword | bcrypt }}'")
    assert template["secrets__slackWebhookUrl"] == "{{ .slackWebhookUrl }}"
    assert "preview-placeholder" not in json.dumps(objects(run))


# -- config changes roll the pods ----------------------------------------------------------------

def _checksums(run: ProgramRun) -> dict[str, dict[str, str]]:
    return {m["metadata"]["name"]: m["spec"]["template"]["metadata"]["annotations"]
            for m in objects(run) if m["kind"] in WORKLOADS}


def test_a_config_change_changes_the_pod_template_checksum(runs):
    before = _checksums(runs["staging"])
    raw = stack_raw("staging")
    raw["applications"][0]["queue"]["warning"]["above"] = 16  # a rule file and the app's dashboard change
    raw["alertmanager"]["repeatInterval"] = "3h"  # alertmanager.yml changes
    after = _checksums(run_stack("staging", raw))
    for workload in ("prometheus", "alertmanager", "grafana"):
        assert after[workload][pods.CONFIG_CHECKSUM] != before[workload][pods.CONFIG_CHECKSUM], workload
    for workload in ("redis-exporter", "kube-state-metrics", "node-exporter"):
        assert after[workload] == before[workload], workload  # unchanged files, unchanged pods
    again = _checksums(run_stack("staging"))
    assert again == before  # deterministic


# -- Grafana provisions itself from ConfigMaps, one per folder --------------------------------------

def _config_maps(run: ProgramRun) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in objects(run, "ConfigMap")}


def _grafana_sources(run: ProgramRun) -> list[dict[str, Any]]:
    pod = named(run, "Deployment", "grafana")["spec"]["template"]["spec"]
    volume = next(v for v in pod["volumes"] if v["name"] == "config")
    return volume["projected"]["sources"]


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_grafana_mounts_its_dashboards_per_folder(runs, stack):
    run = runs[stack]
    folders = {"Infrastructure", "Kubernetes", "Databases", "Applications", "Platform"}
    sources = {s["configMap"]["name"]: s["configMap"]["items"] for s in _grafana_sources(run) if "configMap" in s}
    assert set(sources) == {"grafana-config"} | {f"grafana-dashboards-{f.lower()}" for f in folders}
    assert {i["path"] for i in sources["grafana-config"]} == {
        "provisioning/datasources/prometheus.yml", "provisioning/dashboards/monstack.yml"}
    config_maps = _config_maps(run)
    for folder in folders:
        name = f"grafana-dashboards-{folder.lower()}"
        paths = [item["path"] for item in sources[name]]
        assert paths and all(p.startswith(f"dashboards/{folder}/") and p.endswith(".json") for p in paths), name
        assert {item["key"] for item in sources[name]} == set(config_maps[name]["data"]), name
    # Grafana's file provider turns those sub-directories into folders.
    provider = yaml.safe_load(config_maps["grafana-config"]["data"]["provisioning__dashboards__monstack.yml"])
    assert provider["providers"][0]["options"] == {"path": "/etc/monstack/dashboards", "foldersFromFilesStructure": True}
    # The pod is created after the ConfigMaps it projects.
    deployment = next(r for r in run.records if r.name == "monitoring-grafana-deployment")
    waits = {d.rsplit("::", 1)[-1] for d in deployment.dependencies}
    assert {f"monitoring-grafana-dashboards-{f.lower()}" for f in folders} | {"monitoring-grafana-config"} <= waits


def test_a_dashboard_change_rolls_grafana(runs):
    """The application dashboard draws its queue threshold: changing it changes one folder's
    ConfigMap and Grafana's checksum, nothing else of Grafana's."""
    raw = stack_raw("staging")
    raw["applications"][0]["queue"]["critical"]["above"] = 30
    changed = run_stack("staging", raw)
    before, after = _config_maps(runs["staging"]), _config_maps(changed)
    differs = {name for name in before if name.startswith("grafana-") and before[name] != after[name]}
    assert differs == {"grafana-dashboards-applications"}
    old, new = _checksums(runs["staging"])["grafana"], _checksums(changed)["grafana"]
    assert old[pods.CONFIG_CHECKSUM] != new[pods.CONFIG_CHECKSUM]
    assert old[pods.SECRETS_CHECKSUM] == new[pods.SECRETS_CHECKSUM]


def _data_bytes(config_map: dict[str, Any]) -> int:
    """What the API server holds against its 1 MiB limit: every key and value of data."""
    return sum(len(k.encode()) + len(v.encode()) for k, v in config_map.get("data", {}).items())


def test_config_maps_stay_under_the_size_limit(variants):
    """40 applications' dashboards (about 1.2 MiB) do not fit one ConfigMap: the Applications
    folder is cut into parts, each under the limit, all projected into the same directory."""
    from components.platforms.kube.bundles import OBJECT_LIMIT

    run = variants["staging-many-apps"]
    config_maps = _config_maps(run)
    parts = sorted(name for name in config_maps if name.startswith("grafana-dashboards-applications"))
    assert parts == ["grafana-dashboards-applications", "grafana-dashboards-applications-2"]
    assert sum(_data_bytes(config_maps[p]) for p in parts) > OBJECT_LIMIT, "the case must need the split"
    for name, config_map in config_maps.items():
        assert _data_bytes(config_map) < OBJECT_LIMIT, name
        assert len(yaml.safe_dump(config_map).encode()) < OBJECT_LIMIT * 1.5, name  # etcd's request limit
    projected = {i["path"] for s in _grafana_sources(run) if s.get("configMap", {}).get("name") in parts
                 for i in s["configMap"]["items"]}
    assert projected == {f"dashboards/Applications/monstack-app-app-{i:02d}.json" for i in range(MANY_APPS)}
    files = bundle_files(run.records)
    assert sum(1 for p in files if p.startswith("grafana/dashboards/Applications/")) == MANY_APPS


def test_bundles_split_by_folder_and_by_size():
    """The packing on its own: folders apart, a group over the budget in parts, a file that
    cannot fit in any ConfigMap refused with its name."""
    from components.platforms.kube.bundles import config_bundles

    files = {"provisioning/a.yml": "x", "dashboards/Databases/redis.json": "r" * 400,
             "dashboards/Databases/mysql.json": "m" * 400, "dashboards/Platform/self.json": "s" * 10}
    plan = ServicePlan(name="grafana", bundle_dir="grafana", image="x", port=1, files=files, split_dirs=("dashboards",))
    bundles = {b.name: b.paths for b in config_bundles(plan, budget=600)}
    assert bundles == {"grafana-config": ("provisioning/a.yml",),
                       "grafana-dashboards-databases": ("dashboards/Databases/mysql.json",),
                       "grafana-dashboards-databases-2": ("dashboards/Databases/redis.json",),
                       "grafana-dashboards-platform": ("dashboards/Platform/self.json",)}
    with pytest.raises(pods.PolicyError, match="dashboards/Databases/mysql.json takes 513 bytes"):
        config_bundles(plan, budget=300)
    flat = ServicePlan(name="grafana", bundle_dir="grafana", image="x", port=1, files=files)
    assert [b.name for b in config_bundles(flat)] == ["grafana-config"]


# -- a rotated secret rolls the pods, through a digest that reveals nothing -------------------------

REDIS_PASSWORD = "preview-placeholder-redisPassword"


@pytest.fixture(scope="module")
def with_redis_password():
    """Staging with a Redis password: the exporter's one secret file, the case an unkeyed hash
    would expose to a dictionary attack."""
    def run(**secrets: str) -> ProgramRun:
        raw = stack_raw("staging")
        raw["exporters"]["redis"]["passwordSecret"] = "redisPassword"
        raw["redisPassword"] = REDIS_PASSWORD
        raw.update(secrets)
        return run_stack("staging", raw, secret_keys_of("staging") + ["redisPassword"])
    return run


def test_a_rotated_secret_changes_the_secrets_checksum(runs, with_redis_password):
    before = _checksums(runs["staging"])
    raw = stack_raw("staging")
    raw["webPassword"] = "preview-placeholder-rotated"
    after = _checksums(run_stack("staging", raw))
    assert after["prometheus"][pods.SECRETS_CHECKSUM] != before["prometheus"][pods.SECRETS_CHECKSUM]
    assert after["prometheus"][pods.CONFIG_CHECKSUM] == before["prometheus"][pods.CONFIG_CHECKSUM]
    first = _checksums(with_redis_password())["redis-exporter"]
    assert first == _checksums(with_redis_password())["redis-exporter"], "stable while nothing rotates"
    rotated = _checksums(with_redis_password(redisPassword="preview-placeholder-redisRotated"))["redis-exporter"]
    assert rotated[pods.SECRETS_CHECKSUM] != first[pods.SECRETS_CHECKSUM]
    assert rotated[pods.CONFIG_CHECKSUM] == first[pods.CONFIG_CHECKSUM]


def test_the_secrets_checksum_is_no_verifier_of_a_password(with_redis_password):
    """Neither the password's nor its file's plain SHA-256 (the old unsalted digest) appears in
    any manifest or resource input; the digest moves with its key, grafanaSecretKey."""
    run = with_redis_password()
    file_content = json.dumps({"redis://redis.meme-maker.svc:6379": REDIS_PASSWORD}, sort_keys=True)
    unkeyed = {hashlib.sha256(text.encode()).hexdigest() for text in (REDIS_PASSWORD, file_content,
                                                                      file_content + "\0", REDIS_PASSWORD + "\0")}
    everything = json.dumps([unwrap(r.inputs) for r in run.records])
    assert not [h for h in unkeyed if h in everything]
    digest = _checksums(run)["redis-exporter"][pods.SECRETS_CHECKSUM]
    assert digest in everything  # the check reads what is really there
    rekeyed = with_redis_password(grafanaSecretKey="preview-placeholder-grafanaSecretKeyRotated")
    assert _checksums(rekeyed)["redis-exporter"][pods.SECRETS_CHECKSUM] != digest


def test_a_short_digest_key_is_refused(raw_config):
    """A guessable grafanaSecretKey would make the digest a verifier again: refused, unshown."""
    raw = raw_config("staging")
    raw["grafanaSecretKey"] = "SW2YcwTIb9zpOOhoPsMm"  # Grafana's documented default
    message = problems("staging", raw)["grafanaSecretKey"]
    assert "is 20 characters" in message and "at least 32" in message and "SW2Y" not in message
    assert 'pulumi config set --secret grafanaSecretKey "$(openssl rand -hex 32)" --stack staging' in message


# -- bad input, before anything is declared -----------------------------------------------------

def problems(stack: str, raw: dict) -> dict[str, str]:
    with pytest.raises(SettingsError) as caught:
        validate(raw, set(secret_keys_of(stack)), "monstack", stack)
    return {p.key: p.render("monstack") for p in caught.value.problems}


def test_volume_smaller_than_retention(raw_config):
    raw = raw_config("prod")
    raw["kubernetes"]["volumes"]["prometheus"] = "10GiB"
    message = problems("prod", raw)["kubernetes.volumes.prometheus"]
    assert "cannot hold prometheus.retention.size 10GB" in message and "at least 13GiB" in message
    assert "pulumi config set --path 'kubernetes.volumes.prometheus' '13GiB' --stack prod" in message


@pytest.mark.parametrize("replicas, expected", [(0, "at least one Alertmanager"), (12, "use 2 to 9"),
                                                (1, "with podDisruptionBudgets")])
def test_replicas_alertmanager_clustering_cannot_use(raw_config, replicas, expected):
    raw = raw_config("prod")
    raw["kubernetes"]["alertmanagerReplicas"] = replicas
    found = problems("prod", raw)
    assert any(expected in message for message in found.values()), found


def test_docker_settings_on_kubernetes_and_back(raw_config):
    raw = raw_config("prod")
    raw["networkName"] = "monstack-prod"
    raw["exporters"]["cadvisor"] = {"enabled": True}
    raw["exposure"]["mode"] = "published"
    found = problems("prod", raw)
    assert "only applies to platform: docker" in found["networkName"]
    assert "every kubelet serves cAdvisor's metrics" in found["exporters.cadvisor.enabled"]
    assert "kubectl port-forward" in found["exposure.mode"]
    dev = raw_config("dev")
    dev["kubernetes"] = {"namespace": "monitoring"}
    dev["exporters"]["kubernetes"] = {"enabled": True}
    found = problems("dev", dev)
    assert "only applies to platform: kubernetes" in found["kubernetes"]
    assert "reads the Kubernetes API" in found["exporters.kubernetes.enabled"]


def test_kubernetes_needs_limits_and_tls_ingress(raw_config):
    raw = raw_config("staging")
    del raw["grafana"]["resources"]
    raw["kubernetes"]["ingress"] = {"className": "nginx"}
    found = problems("staging", raw)
    assert "set exactly one of tlsSecret" in found["kubernetes.ingress.tlsSecret"]
    raw["kubernetes"]["ingress"] = {"tlsSecret": "x"}
    found = problems("staging", raw)
    assert "every container needs limits" in found["grafana.resources.limits"]
    assert "exposure.mode is localhost, so no Ingress" in found["kubernetes.ingress"]


# -- the kubernetes integration's alerts under promtool ------------------------------------------

PROMTOOL_CASES = ROOT / "tests" / "promtool" / "kubernetes.test.yml"


@pytest.fixture(scope="module")
def kubernetes_rules(runs) -> dict[str, Any]:
    return yaml.safe_load(bundle_files(runs["prod"].records)["prometheus/rules/kubernetes.yml"])


def test_every_kubernetes_alert_has_a_firing_and_a_quiet_case(kubernetes_rules):
    cases = yaml.safe_load(PROMTOOL_CASES.read_text())["tests"]
    fired: set[tuple[str, str]] = set()
    quiet: set[str] = set()
    for case in cases:
        for check in case["alert_rule_test"]:
            if check["exp_alerts"]:
                fired |= {(check["alertname"], a["exp_labels"]["severity"]) for a in check["exp_alerts"]}
            else:
                quiet.add(check["alertname"])
    alerts = {(r["alert"], r["labels"]["severity"]) for g in kubernetes_rules["groups"] for r in g["rules"]}
    assert alerts == fired
    assert {name for name, _ in alerts} == quiet


@pytest.mark.tools
def test_promtool_runs_the_kubernetes_cases(kubernetes_rules, tmp_path):
    """Expressions, `for` durations, thresholds and labels; annotations are checked for every
    alert by test_alerts.py, so they are left out of this copy of the rule file."""
    for group in kubernetes_rules["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    (tmp_path / "kubernetes.yml").write_text(yaml.safe_dump(kubernetes_rules))
    shutil.copy(PROMTOOL_CASES, tmp_path / "kubernetes.test.yml")
    result = subprocess.run([tool("promtool"), "test", "rules", "kubernetes.test.yml"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    # ... and fails when a threshold drifts from its case.
    text = (tmp_path / "kubernetes.yml").read_text().replace("< 0.15", "< 0.01")
    (tmp_path / "kubernetes.yml").write_text(text)
    broken = subprocess.run([tool("promtool"), "test", "rules", "kubernetes.test.yml"], cwd=tmp_path, capture_output=True)
    assert broken.returncode != 0


def test_preview_writes_every_manifest(tmp_path):
    from harness.preview import main as preview

    assert preview(["prod", str(tmp_path / "out"), "--quiet"]) == 0
    written = sorted(Path(tmp_path / "out" / "kubernetes").glob("*.yaml"))
    assert len(written) == sum(EXPECTED_KINDS["prod"].values())
