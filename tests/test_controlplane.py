"""The staging and prod stacks applied by the real Pulumi CLI to a real Kubernetes control plane
(etcd, kube-apiserver, kube-controller-manager from `scripts/build-tools`; harness/controlplane.py):
what reads back from the API server, Pod Security of the pods the controllers create, RBAC as the
real authorizer answers it, service discovery by the real Prometheus, a second `pulumi up`, a
threshold change rolled in place, a rollback, and `pulumi destroy` keeping the protected data.

One control plane serves the whole module; each stack gets its own namespace on it
(`monitoring-ci-<env>`, so the two stacks' cluster-scoped roles do not clash) and applies with
`kubernetes.skipAwait` (no kubelet: no rollout ever becomes ready). Timings are printed, not asserted.
The tests of one stack run in file order and build on each other (up, checks, change, rollback,
destroy), as an operator's day would."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml

from harness.controlplane import CONTEXT, TOOLS_BIN, ControlPlane
from harness.engine import Result, Workspace, ci_secrets
from harness.incluster import start_as_pod
from harness.kubeapi import Api, finish_pod_deletions, mark_pods_running, mismatches, service_account_identity
from harness.live.processes import ProcessGroup, free_port, http_get, wait_for
from tests.conftest import KUBERNETES_STACKS, stack_raw

pytestmark = pytest.mark.controlplane

WORKLOAD_KINDS = ("StatefulSet", "Deployment", "DaemonSet")
# The one workload `restricted` refuses, and why it may: it reads the node itself.
# node-exporter reports the node's own CPU, memory, disks and network, which only the host shows:
# hostPID and hostNetwork (so its port is a host port) and / read-only through hostPath. Nothing else.
PRIVILEGED_WORKLOADS = {"node-exporter": ("host namespaces", "hostPort", "restricted volume types")}
PART_OF = "app.kubernetes.io/part-of=monstack"
NODE = "ci-node-1"
# The secret-marked value Pulumi writes into `stack export` in place of a secret.
SECRET_SIG = "4dabf18193072939515e22adb298388d"


def say(request: pytest.FixtureRequest, line: str) -> None:
    """Print a measured figure past pytest's capture (figures are reported, never asserted)."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter:
        reporter.write_line(f"controlplane: {line}")


@pytest.fixture(scope="module")
def cluster(request):
    started = time.monotonic()
    with ControlPlane.start() as control_plane:
        say(request, f"control plane ready in {time.monotonic() - started:.1f} s "
                     f"({', '.join(f'{k} {v:.1f} s' for k, v in control_plane.timings.items())})")
        # A Node object, so the DaemonSet controller has somewhere to put node-exporter's pod.
        control_plane.post("/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {
            "name": NODE, "labels": {"kubernetes.io/hostname": NODE, "kubernetes.io/os": "linux"}}})
        yield control_plane


@pytest.fixture(scope="module")
def api(cluster) -> Api:
    return Api(cluster)


@pytest.fixture(scope="module")
def workspace():
    with Workspace.create() as ws:
        yield ws


@dataclass
class Applied:
    env: str
    stack: str
    namespace: str
    ws: Workspace
    secrets: dict[str, str]
    facts: dict[str, Any] = field(default_factory=dict)  # what earlier tests saw, for later ones

    def pulumi(self, *args: str, check: bool = True) -> Result:
        return self.ws.pulumi(*args, stack=self.stack, check=check)

    def state(self) -> list[dict[str, Any]]:
        """The stack's Kubernetes objects from `pulumi stack export` (secrets stay encrypted)."""
        resources = self.ws.export(self.stack)["deployment"].get("resources", [])
        return [r for r in resources if r["type"].startswith("kubernetes:") and r["type"] != "pulumi:providers:kubernetes"
                and "kind" in r.get("inputs", {})]


@pytest.fixture(scope="module", params=KUBERNETES_STACKS)
def applied(request, cluster, workspace) -> Applied:
    env = request.param
    stack = f"ci-{env}"
    namespace = f"monitoring-{stack}"
    secrets = ci_secrets(env)
    workspace.init_stack(stack, from_stack=env, secrets=secrets, config={
        # pulumiverse-grafana cannot run here (not served): Grafana provisions from files instead.
        "grafana.manageByApi": False,
        "kubernetes.kubeconfig": str(cluster.kubeconfig),
        "kubernetes.context": CONTEXT,
        "kubernetes.namespace": namespace,
        "kubernetes.skipAwait": True,
    })
    result = workspace.pulumi("up", "--yes", stack=stack)
    say(request, f"{stack}: first `pulumi up` {result.seconds:.1f} s")
    return Applied(env, stack, namespace, workspace, secrets)


def strip_secrets(value: Any) -> Any:
    """Inputs without the values Pulumi keeps encrypted (compared separately, by key)."""
    if isinstance(value, dict):
        if SECRET_SIG in value:
            return None
        return {k: v for k, v in ((k, strip_secrets(v)) for k, v in value.items()) if v is not None}
    if isinstance(value, list):
        return [strip_secrets(v) for v in value]
    return value


def live_of(api: Api, applied: Applied, inputs: dict[str, Any]) -> dict[str, Any] | None:
    meta = inputs["metadata"]
    return api.read(inputs["apiVersion"], inputs["kind"], meta["name"], meta.get("namespace", applied.namespace))


# -- 1. what `pulumi up` created reads back as declared ----------------------------------------------

def test_every_object_reads_back_as_applied(applied, api):
    state = applied.state()
    kinds = sorted({r["inputs"]["kind"] for r in state})
    assert {"Namespace", "StatefulSet", "Deployment", "DaemonSet", "ConfigMap", "Secret", "Service",
            "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "NetworkPolicy", "PersistentVolumeClaim"} <= set(kinds)
    wrong: dict[str, list[str]] = {}
    for resource in state:
        inputs = resource["inputs"]
        live = live_of(api, applied, inputs)
        key = f"{inputs['kind']}/{inputs['metadata']['name']}"
        if live is None:
            wrong[key] = ["not in the cluster"]
            continue
        found = mismatches(strip_secrets(inputs), live)
        if found:
            wrong[key] = found
    assert not wrong, json.dumps(wrong, indent=1)
    applied.facts["objects"] = len(state)


def workloads(applied: Applied, api: Api) -> dict[str, dict[str, Any]]:
    out = {}
    for resource in applied.state():
        inputs = resource["inputs"]
        if inputs["kind"] in WORKLOAD_KINDS:
            out[inputs["metadata"]["name"]] = live_of(api, applied, inputs)
    return out


def test_spot_checks_security_resources_probes_checksums_and_secret_keys(applied, api, cluster):
    found = workloads(applied, api)
    assert {"prometheus", "alertmanager", "grafana", "node-exporter", "kube-state-metrics"} <= set(found)
    for name, workload in found.items():
        template = workload["spec"]["template"]
        for container in template["spec"]["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False and context["capabilities"]["drop"] == ["ALL"], name
            assert context.get("readOnlyRootFilesystem") is True, name
            assert container["resources"]["limits"]["memory"] and container["resources"]["requests"]["cpu"], name
            assert container["livenessProbe"] and container["readinessProbe"], name
        if name != "node-exporter":
            assert template["spec"]["securityContext"]["runAsNonRoot"] is True, name
            assert template["spec"]["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert template["metadata"]["annotations"]["checksum/config"], name
    # Each Secret holds exactly the keys its pods read (projected files, env references).
    secrets = {s["metadata"]["name"]: s for s in cluster.items(f"/api/v1/namespaces/{applied.namespace}/secrets", PART_OF)}
    assert secrets, "no Secret applied"
    for name, workload in found.items():
        spec = workload["spec"]["template"]["spec"]
        read: dict[str, set[str]] = {}
        for volume in spec.get("volumes", []):
            for source in (volume.get("projected") or {}).get("sources") or []:
                if "secret" in source:
                    read.setdefault(source["secret"]["name"], set()).update(i["key"] for i in source["secret"]["items"])
        for container in spec["containers"]:
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    read.setdefault(ref["name"], set()).add(ref["key"])
        for secret_name, keys in read.items():
            assert set(secrets[secret_name]["data"]) == keys, f"{name}: {secret_name}"
            assert "checksum/secrets" in workload["spec"]["template"]["metadata"]["annotations"], name
    # No secret value reached a ConfigMap or an annotation.
    plain = json.dumps(cluster.items(f"/api/v1/namespaces/{applied.namespace}/configmaps"))
    plain += json.dumps([w["metadata"] for w in found.values()])
    leaked = [key for key, value in applied.secrets.items() if value in plain]
    assert not leaked, f"secret values of {leaked} in a ConfigMap or workload metadata"


# -- 2. Pod Security of the pods the controllers create ------------------------------------------------

def controller_pods(applied: Applied, cluster: ControlPlane, api: Api) -> dict[str, list[str]]:
    """Workload -> the pods its controller created (waits until every workload has one)."""
    names = set(workloads(applied, api))

    def by_workload() -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for pod in cluster.items(f"/api/v1/namespaces/{applied.namespace}/pods"):
            app = pod["metadata"].get("labels", {}).get("app.kubernetes.io/name")
            out.setdefault(app, []).append(pod["metadata"]["name"])
        return out

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = by_workload()
        if names <= set(found):
            return found
        time.sleep(0.5)
    raise AssertionError(f"no pods for {sorted(names - set(by_workload()))} after 60 s")


def test_pods_are_admitted_under_restricted_but_node_exporter(applied, cluster, api):
    pods = controller_pods(applied, cluster, api)
    restricted = api.pod_security_warnings(applied.namespace, "restricted")
    refused = {name for name, pod_names in pods.items() for warning in restricted
               if any(warning.startswith(f"{pod}:") or warning.startswith(f"{pod} (and") for pod in pod_names)}
    assert refused == set(PRIVILEGED_WORKLOADS), restricted
    warning = next(w for w in restricted if w.startswith(tuple(pods["node-exporter"])))
    assert set(warning.split(": ", 1)[1].split(", ")) == set(PRIVILEGED_WORKLOADS["node-exporter"]), warning
    privileged = api.pod_security_warnings(applied.namespace, "privileged")
    assert not [w for w in privileged if "violate" in w], privileged
    labels = cluster.get(f"/api/v1/namespaces/{applied.namespace}")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"
    assert labels["pod-security.kubernetes.io/warn"] == labels["pod-security.kubernetes.io/audit"] == "restricted"


# -- 3. RBAC, as the real authorizer answers ------------------------------------------------------------

SD_ROLE_RESOURCES = {  # what Prometheus' discovery lists and watches per role (its client-go informers)
    "node": [("", "nodes")], "service": [("", "services")], "pod": [("", "pods")],
    "endpoints": [("", "endpoints"), ("", "services"), ("", "pods")],
    "endpointslice": [("discovery.k8s.io", "endpointslices"), ("", "services"), ("", "pods")],
    "ingress": [("networking.k8s.io", "ingresses")],
}


def rendered_prometheus_config(cluster: ControlPlane, namespace: str) -> dict[str, Any]:
    config_map = cluster.get(f"/api/v1/namespaces/{namespace}/configmaps/prometheus-config")
    key = next(k for k in config_map["data"] if k.endswith("prometheus.yml"))
    return yaml.safe_load(config_map["data"][key])


def test_prometheus_may_discover_and_scrape_what_its_jobs_need(applied, cluster, api):
    user, groups = service_account_identity(applied.namespace, "prometheus")
    config = rendered_prometheus_config(cluster, applied.namespace)
    denied = []
    for job in config["scrape_configs"]:
        for sd in job.get("kubernetes_sd_configs", []):
            namespaces = sd.get("namespaces", {}).get("names") or [""]
            for group, resource in SD_ROLE_RESOURCES[sd["role"]]:
                for namespace in namespaces:
                    for verb in ("list", "watch"):
                        if not api.allowed(user, groups, verb=verb, group=group, resource=resource, namespace=namespace):
                            denied.append(f"{job['job_name']}: {verb} {resource} in {namespace or 'all namespaces'}")
        # The kubelet authorizes /metrics and /metrics/cadvisor as nodes/metrics; the API server, the path.
        if job["job_name"] in ("kubelet", "cadvisor"):
            if not api.allowed(user, groups, verb="get", resource="nodes", subresource="metrics"):
                denied.append(f"{job['job_name']}: get nodes/metrics")
        if job["job_name"] == "apiserver":
            if not api.allowed(user, groups, verb="get", path=job.get("metrics_path", "/metrics")):
                denied.append("apiserver: get /metrics")
    assert not denied, denied
    assert any(j.get("kubernetes_sd_configs") for j in config["scrape_configs"])


def test_kube_state_metrics_may_list_its_resources_and_nobody_reads_secrets(applied, cluster, api):
    ksm = workloads(applied, api)["kube-state-metrics"]
    args = ksm["spec"]["template"]["spec"]["containers"][0]["args"]
    resources = next(a for a in args if a.startswith("--resources=")).split("=", 1)[1].split(",")
    user, groups = service_account_identity(applied.namespace, "kube-state-metrics")
    denied = [f"{verb} {group or 'core'}/{resource}" for resource in resources
              for group in sorted(api.groups_serving(resource)) for verb in ("list", "watch")
              if not api.allowed(user, groups, verb=verb, group=group, resource=resource)]
    assert not denied, denied
    for account in ("kube-state-metrics", "prometheus"):
        user, groups = service_account_identity(applied.namespace, account)
        for namespace in ("", applied.namespace, "kube-system"):
            for verb in ("get", "list", "watch"):
                assert not api.allowed(user, groups, verb=verb, resource="secrets", namespace=namespace), \
                    f"{account} may {verb} secrets in {namespace or 'all namespaces'}"


# -- 4. service discovery by the real Prometheus ---------------------------------------------------------

def prometheus_api(port: int, prefix: str, auth: tuple[str, str], path: str) -> dict[str, Any]:
    status, body = http_get(f"http://127.0.0.1:{port}{prefix.rstrip('/')}{path}", auth=auth)
    if status != 200:  # not ready yet (wait_for retries on ValueError)
        raise ValueError(f"{path}: {status} {body[:300]!r}")
    return json.loads(body)["data"]


def test_prometheus_discovers_the_api_server_and_the_stack(applied, cluster, api, tmp_path, request):
    """The rendered prometheus.yml, the token and the CA a kubelet would give the pod: the API
    server's own endpoint scraped (up), the stack's pods and Services found by the pod and
    endpoints roles. Pods get their IPs from the kubelet stand-in (harness/kubeapi.py)."""
    pod_ips = mark_pods_running(cluster, applied.namespace, NODE)
    pod_spec = workloads(applied, api)["prometheus"]["spec"]["template"]["spec"]
    args = pod_spec["containers"][0]["args"]
    port = free_port()
    argv = [str(TOOLS_BIN / "prometheus"), *(a for a in args if not a.startswith("--storage.tsdb.path=")),
            f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{port}"]
    prefix = next((a.split("=", 1)[1] for a in args if a.startswith("--web.route-prefix=")), "/")
    auth = (stack_raw(applied.env).get("webUser", "admin"), applied.secrets["webPassword"])
    processes = ProcessGroup(tmp_path)
    started = time.monotonic()
    try:
        start_as_pod(cluster, processes, "prometheus", applied.namespace, pod_spec, argv, tmp_path / "pod")

        def apiserver_up() -> dict[str, Any] | None:
            processes.check_alive("prometheus")
            targets = prometheus_api(port, prefix, auth, "/api/v1/targets?state=any")
            up = [t for t in targets["activeTargets"] if t["labels"]["job"] == "apiserver" and t["health"] == "up"]
            return targets if up else None

        targets = wait_for(apiserver_up, "the apiserver job up in Prometheus", seconds=120, every=1)
        say(request, f"{applied.stack}: Prometheus {prometheus_version()} scraped the API server "
                     f"{time.monotonic() - started:.1f} s after start")

        services = {s["metadata"]["name"] for s in cluster.items(f"/api/v1/namespaces/{applied.namespace}/services")}

        def everything_found() -> dict[str, Any] | None:
            found = prometheus_api(port, prefix, auth, "/api/v1/targets?state=any")
            pods = set(pod_ips) <= discovered(found, "kubernetes-pods", "pod")
            return found if pods and services <= discovered(found, "kubernetes-service-endpoints", "service") else None

        try:
            targets = wait_for(everything_found, "every pod and Service discovered", seconds=60, every=1)
        except TimeoutError:
            targets = prometheus_api(port, prefix, auth, "/api/v1/targets?state=any")
            assert set(pod_ips) <= discovered(targets, "kubernetes-pods", "pod")
            assert services <= discovered(targets, "kubernetes-service-endpoints", "service")
        per_pod = [t for t in targets["activeTargets"] if t["labels"].get("namespace") == applied.namespace
                   and t["labels"].get("pod") in pod_ips]
        assert per_pod, "no job of the stack found its pods through the pod role"
    finally:
        processes.stop_all()


def discovered(targets: dict[str, Any], job: str, kind: str) -> set[str]:
    """Names of the `kind` objects (pod, service) a job's discovery found, kept or dropped."""
    return {t["discoveredLabels"].get(f"__meta_kubernetes_{kind}_name")
            for t in targets["activeTargets"] + targets["droppedTargets"]
            if t["discoveredLabels"].get("job") == job}


def prometheus_version() -> str:
    out = subprocess.run([str(TOOLS_BIN / "prometheus"), "--version"], capture_output=True, text=True).stdout
    return out.split()[2] if out.startswith("prometheus, version") else out.strip()[:40]


# -- 5. a second `pulumi up`, a threshold change, a rollback --------------------------------------------

def test_a_second_up_changes_nothing(applied, request):
    result = applied.pulumi("up", "--yes", "--expect-no-changes")
    say(request, f"{applied.stack}: second `pulumi up` (no changes) {result.seconds:.1f} s")
    preview = json.loads(applied.pulumi("preview", "--json").stdout)
    assert set(preview["changeSummary"]) == {"same"}, preview["changeSummary"]


def uids(applied: Applied, cluster: ControlPlane, api: Api) -> dict[str, str]:
    out = {}
    for resource in applied.state():
        live = live_of(api, applied, resource["inputs"])
        out[f"{resource['inputs']['kind']}/{resource['inputs']['metadata']['name']}"] = live["metadata"]["uid"]
    for claim in cluster.items(f"/api/v1/namespaces/{applied.namespace}/persistentvolumeclaims"):
        out[f"claim/{claim['metadata']['name']}"] = claim["metadata"]["uid"]
    return out


def steps(preview: dict[str, Any]) -> dict[str, str]:
    """`pulumi preview --json` steps: "<type> <name>" -> op."""
    return {f"{s['urn'].split('::')[-2].split('$')[-1]} {s['urn'].split('::')[-1]}": s["op"] for s in preview["steps"]}


def test_a_threshold_change_rolls_prometheus_in_place(applied, cluster, api, request):
    key = "applications[0].queue.warning.above"
    threshold = stack_raw(applied.env)["applications"][0]["queue"]["warning"]["above"]
    before_uids = uids(applied, cluster, api)
    prometheus = workloads(applied, api)["prometheus"]
    config_before = cluster.get(f"/api/v1/namespaces/{applied.namespace}/configmaps/prometheus-config")["data"]
    applied.ws.config_set(applied.stack, key, threshold + 1)
    planned = steps(json.loads(applied.pulumi("preview", "--json").stdout))
    replaced = {name: op for name, op in planned.items() if op not in ("same", "update", "read")}
    assert not replaced, replaced
    updated = {name for name, op in planned.items() if op == "update"}
    assert any(n.startswith("kubernetes:core/v1:ConfigMap") and "prometheus" in n for n in updated), updated
    assert any(n.startswith("kubernetes:apps/v1:StatefulSet") and "prometheus" in n for n in updated), updated
    untouched = [n for n in updated if n.split()[0].rsplit(":", 1)[-1] in
                 ("Service", "PersistentVolumeClaim", "Namespace", "ServiceAccount", "Secret")]
    assert not untouched, untouched
    result = applied.pulumi("up", "--yes")
    say(request, f"{applied.stack}: threshold change applied in {result.seconds:.1f} s")
    config_after = cluster.get(f"/api/v1/namespaces/{applied.namespace}/configmaps/prometheus-config")["data"]
    changed = {k for k in config_after if config_after[k] != config_before.get(k)}
    assert changed and all("rules" in k for k in changed), changed
    after = workloads(applied, api)["prometheus"]
    checksum = "checksum/config"
    assert after["spec"]["template"]["metadata"]["annotations"][checksum] != \
        prometheus["spec"]["template"]["metadata"]["annotations"][checksum]
    assert after["metadata"]["generation"] == prometheus["metadata"]["generation"] + 1
    assert uids(applied, cluster, api) == before_uids, "an object was replaced, not updated"


VOLATILE_ANNOTATIONS = ("deployment.kubernetes.io/revision",)


def fingerprint(applied: Applied, api: Api) -> dict[str, str]:
    """Per object, a digest of everything but status and server-kept metadata (Secret values
    included, so a test failure never prints them)."""
    out = {}
    for resource in applied.state():
        live = live_of(api, applied, resource["inputs"])
        meta = live["metadata"]
        annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in VOLATILE_ANNOTATIONS}
        body = {k: v for k, v in live.items() if k not in ("metadata", "status")}
        kept = {"labels": meta.get("labels"), "annotations": annotations, "uid": meta["uid"], "body": body}
        digest = hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()[:16]
        out[f"{live['kind']}/{meta['name']}"] = digest
    return out


def test_rollback_restores_every_object(applied, cluster, api, request):
    """The runbook (docs/runbooks/rollback.md): a bad change goes out; the previous commit's
    stack file is put back and applied; every object is as it was."""
    stack_file = applied.ws.project / f"Pulumi.{applied.stack}.yaml"
    good_file = stack_file.read_text()
    good = fingerprint(applied, api)
    raw = stack_raw(applied.env)
    # The bad change: the queue warning raised to just under the critical level (it hardly ever
    # warns ahead of the page any more), and the dead man's switch receiver removed with its secret.
    queue = raw["applications"][0]["queue"]
    applied.ws.config_set(applied.stack, "applications[0].queue.warning.above", queue["critical"]["above"] - 1)
    deadman = raw["alerting"]["routing"]["deadMansSwitch"]
    receivers = [r["name"] for r in raw["alerting"]["receivers"]]
    credential = raw["alerting"]["receivers"][receivers.index(deadman)]["credential"]
    applied.ws.config_rm(applied.stack, f"alerting.receivers[{receivers.index(deadman)}]")
    applied.ws.config_rm(applied.stack, credential)
    applied.ws.config_rm(applied.stack, "alerting.routing.deadMansSwitch")
    applied.ws.config_rm(applied.stack, "alerting.routing.deadMansSwitchInterval")
    applied.pulumi("up", "--yes")
    bad = fingerprint(applied, api)
    assert bad != good and {k for k in bad if bad[k] != good[k]}
    data = cluster.get(f"/api/v1/namespaces/{applied.namespace}/configmaps/alertmanager-config")["data"]
    alertmanager = yaml.safe_load(next(v for k, v in data.items() if k.endswith("alertmanager.yml")))
    assert deadman not in {r["name"] for r in alertmanager["receivers"]}, "the bad change did not reach the cluster"
    started = time.monotonic()
    stack_file.write_text(good_file)  # = git checkout <last good commit> -- Pulumi.<stack>.yaml
    result = applied.pulumi("up", "--yes")
    seconds = time.monotonic() - started
    say(request, f"{applied.stack}: rollback (stack file restored, `pulumi up`) {seconds:.1f} s "
                 f"(the up itself {result.seconds:.1f} s)")
    restored = fingerprint(applied, api)
    assert restored == good, {k: (good.get(k), restored.get(k)) for k in set(good) | set(restored)
                              if good.get(k) != restored.get(k)}


# -- 6. destroy keeps what protectData protects -----------------------------------------------------------

NAMESPACED_KINDS = ("configmaps", "secrets", "services", "serviceaccounts")
NAMESPACED_APPS = ("deployments", "statefulsets", "daemonsets")


def managed_objects(cluster: ControlPlane, ns: str) -> dict[str, list[str]]:
    """What of the stack is still in the cluster, by kind (claims and the namespace aside)."""
    remaining = {kind: [o["metadata"]["name"] for o in cluster.items(f"/api/v1/namespaces/{ns}/{kind}", PART_OF)]
                 for kind in NAMESPACED_KINDS}
    remaining |= {kind: [o["metadata"]["name"] for o in cluster.items(f"/apis/apps/v1/namespaces/{ns}/{kind}")]
                  for kind in NAMESPACED_APPS}
    remaining["networkpolicies"] = [o["metadata"]["name"] for o in
                                    cluster.items(f"/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies")]
    rbac = "/apis/rbac.authorization.k8s.io/v1"
    for kind in ("clusterroles", "clusterrolebindings"):
        remaining[kind] = [o["metadata"]["name"] for o in cluster.items(f"{rbac}/{kind}")
                           if o["metadata"]["name"].startswith(f"{ns}-")]
    return {k: v for k, v in remaining.items() if v}


def test_destroy_keeps_the_protected_namespace_and_claims(applied, cluster, request):
    assert stack_raw(applied.env)["protectData"] in (True, "true")
    ns = applied.namespace
    claims = {c["metadata"]["name"] for c in cluster.items(f"/api/v1/namespaces/{ns}/persistentvolumeclaims")}
    assert claims
    result = applied.pulumi("destroy", "--yes", "--exclude-protected")
    say(request, f"{applied.stack}: `pulumi destroy --exclude-protected` {result.seconds:.1f} s")
    assert cluster.get(f"/api/v1/namespaces/{ns}", missing_ok=True) is not None, "the namespace was deleted"
    left = {c["metadata"]["name"] for c in cluster.items(f"/api/v1/namespaces/{ns}/persistentvolumeclaims")}
    assert left == claims
    # skipAwait: the provider returns once deletion began; the garbage collector finishes it,
    # once the kubelet stand-in confirms that the pods it "ran" stopped.
    def gone() -> bool:
        finish_pod_deletions(cluster, ns)
        return not managed_objects(cluster, ns)

    try:
        wait_for(gone, "every unprotected object gone", seconds=60, every=1)
    except TimeoutError:
        assert not managed_objects(cluster, ns)
    kept = {r["inputs"]["kind"] for r in applied.state()}
    assert kept == {"Namespace", "PersistentVolumeClaim"}, kept
