"""What the control-plane tests ask a real API server, beyond plain reads: where an object lives
(discovery), whether what Pulumi applied reads back as declared, which pods a Pod Security level
would refuse, and what a ServiceAccount may do (SubjectAccessReview, the authorizer's own answer).

Also the one stand-in of these tests, `mark_pods_running`: with no scheduler and no kubelet, pods
never get a node, an IP or a Ready condition, so nothing would ever be discovered; it posts the
Binding a scheduler would and writes the status a kubelet would (the `pods/binding` and
`pods/status` subresources they use), and the endpoint controllers then do their real work."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

from harness.controlplane import ControlPlane

# Kubernetes quantity suffixes -> multiplier (the API server rewrites "0.4" as "400m", "1GiB"-style
# inputs are never sent: the program already writes Gi/Mi).
_SUFFIXES = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
             "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12),
             "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30), "Ti": Decimal(2**40)}
_QUANTITY = re.compile(r"^([0-9.]+)(n|u|m|k|M|G|T|Ki|Mi|Gi|Ti)?$")
_WARNING = re.compile(r'299 - "((?:[^"\\]|\\.)*)"')


def quantity(value: Any) -> Optional[Decimal]:
    """The value of a Kubernetes quantity ("400m", "0.4", "768Mi"), None for anything else."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    match = _QUANTITY.match(str(value))
    if not match:
        return None
    try:
        return Decimal(match.group(1)) * _SUFFIXES[match.group(2) or ""]
    except InvalidOperation:
        return None


def mismatches(want: Any, have: Any, path: str = "") -> list[str]:
    """Where `have` (the live object) differs from `want` (what was applied): every field of
    `want` must be in `have` with an equal value; fields the API server adds are ignored, and so
    are the empty lists and maps it leaves out."""
    if isinstance(want, dict):
        if not isinstance(have, dict):
            return [f"{path or '/'}: expected a map, found {type(have).__name__}"]
        out: list[str] = []
        for key, value in want.items():
            if value in ([], {}) and have.get(key) in (None, [], {}):
                continue  # the API server drops empty lists and maps (omitempty)
            if key not in have:
                out.append(f"{path}/{key}: missing")
            else:
                out += mismatches(value, have[key], f"{path}/{key}")
        return out
    if isinstance(want, list):
        if not isinstance(have, list) or len(want) != len(have):
            return [f"{path}: expected {len(want)} items, found {have if not isinstance(have, list) else len(have)}"]
        return [m for i, (w, h) in enumerate(zip(want, have, strict=True)) for m in mismatches(w, h, f"{path}[{i}]")]
    if want == have:
        return []
    q_want, q_have = quantity(want), quantity(have)
    if q_want is not None and q_want == q_have:
        return []
    return [f"{path}: applied {want!r}, reads back {have!r}"]


@dataclass(frozen=True)
class ApiResource:
    group_version: str
    name: str
    namespaced: bool


class Api:
    """Discovery and typed paths over a ControlPlane's admin session."""

    def __init__(self, cluster: ControlPlane):
        self.cluster = cluster
        self._kinds: dict[tuple[str, str], ApiResource] = {}
        self._resources: dict[str, list[ApiResource]] = {}

    def _discover(self) -> None:
        versions = ["v1"] + [v["groupVersion"] for g in self.cluster.get("/apis")["groups"] for v in g["versions"]]
        for gv in versions:
            base = "/api/v1" if gv == "v1" else f"/apis/{gv}"
            for r in self.cluster.get(base)["resources"]:
                resource = ApiResource(gv, r["name"], r["namespaced"])
                if "/" not in r["name"]:
                    self._kinds.setdefault((gv, r["kind"]), resource)
                    self._resources.setdefault(r["name"], []).append(resource)

    def resource(self, api_version: str, kind: str) -> ApiResource:
        if not self._kinds:
            self._discover()
        return self._kinds[(api_version, kind)]

    def groups_serving(self, resource: str) -> set[str]:
        """The API groups ("" for core) that serve a resource name, from discovery."""
        if not self._resources:
            self._discover()
        return {r.group_version.rpartition("/")[0] if "/" in r.group_version else "" for r in self._resources[resource]}

    def path(self, api_version: str, kind: str, name: str = "", namespace: Optional[str] = None) -> str:
        r = self.resource(api_version, kind)
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        scope = f"/namespaces/{namespace}" if r.namespaced and namespace else ""
        return f"{base}{scope}/{r.name}" + (f"/{name}" if name else "")

    def read(self, api_version: str, kind: str, name: str, namespace: Optional[str] = None) -> Optional[dict[str, Any]]:
        return self.cluster.get(self.path(api_version, kind, name, namespace), missing_ok=True)

    # -- Pod Security ----------------------------------------------------------------------

    def pod_security_warnings(self, namespace: str, level: str) -> list[str]:
        """What the API server warns when the namespace would enforce `level` (a server-side
        dry run of the label: nothing changes). It names every existing pod the level refuses."""
        response = self.cluster.request(
            "PATCH", f"/api/v1/namespaces/{namespace}",
            {"metadata": {"labels": {"pod-security.kubernetes.io/enforce": level}}},
            params={"dryRun": "All"}, content_type="application/merge-patch+json")
        if response.status_code >= 400:
            raise RuntimeError(f"dry-run label of {namespace}: {response.status_code} {response.text[:500]}")
        return [w.replace('\\"', '"') for w in _WARNING.findall(response.headers.get("Warning", ""))]

    # -- authorization ---------------------------------------------------------------------

    def allowed(self, user: str, groups: Iterable[str], *, verb: str, resource: str = "", group: str = "",
                subresource: str = "", namespace: str = "", path: str = "") -> bool:
        """The real authorizer's answer for `user` (a SubjectAccessReview)."""
        spec: dict[str, Any] = {"user": user, "groups": list(groups)}
        if path:
            spec["nonResourceAttributes"] = {"path": path, "verb": verb}
        else:
            spec["resourceAttributes"] = {"verb": verb, "group": group, "resource": resource,
                                          "subresource": subresource, "namespace": namespace}
        review = self.cluster.post("/apis/authorization.k8s.io/v1/subjectaccessreviews",
                                   {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
                                    "spec": spec})
        return bool(review["status"].get("allowed"))


def service_account_identity(namespace: str, name: str) -> tuple[str, list[str]]:
    """The user name and groups a ServiceAccount's token authenticates as."""
    return (f"system:serviceaccount:{namespace}:{name}",
            ["system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"])


def mark_pods_running(cluster: ControlPlane, namespace: str, node: str, subnet: str = "10.244.0") -> dict[str, str]:
    """STAND-IN for the scheduler and a kubelet: bind every pod of the namespace to `node` (a
    Binding, as the scheduler posts it), then report an IP, phase Running and a Ready condition
    (as the kubelet reports them; the endpoint controllers skip a pod without a known node).
    Returns pod name -> IP."""
    ips: dict[str, str] = {}
    pods = sorted(cluster.items(f"/api/v1/namespaces/{namespace}/pods"), key=lambda p: p["metadata"]["name"])
    for number, pod in enumerate(pods, start=10):
        name = pod["metadata"]["name"]
        base = f"/api/v1/namespaces/{namespace}/pods/{name}"
        if not pod["spec"].get("nodeName"):
            cluster.post(f"{base}/binding", {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
                                             "target": {"apiVersion": "v1", "kind": "Node", "name": node}})
        ip = f"{subnet}.{number}"
        now = "2026-01-01T00:00:00Z"
        conditions = [{"type": t, "status": "True", "lastTransitionTime": now}
                      for t in ("PodScheduled", "Initialized", "ContainersReady", "Ready")]
        status = {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "startTime": now, "conditions": conditions}
        response = cluster.request("PATCH", f"{base}/status", {"status": status},
                                   content_type="application/merge-patch+json")
        if response.status_code >= 400:
            raise RuntimeError(f"status of pod {name}: {response.status_code} {response.text[:500]}")
        ips[name] = ip
    return ips


def finish_pod_deletions(cluster: ControlPlane, namespace: str) -> list[str]:
    """STAND-IN for a kubelet, second half: a pod bound to a node is only marked for deletion
    until its kubelet confirms the containers stopped (a delete with grace period 0). Confirms it
    for every pod of the namespace marked so; returns their names."""
    done = []
    for pod in cluster.items(f"/api/v1/namespaces/{namespace}/pods"):
        if pod["metadata"].get("deletionTimestamp"):
            name = pod["metadata"]["name"]
            cluster.request("DELETE", f"/api/v1/namespaces/{namespace}/pods/{name}", {"gracePeriodSeconds": 0})
            done.append(name)
    return done
