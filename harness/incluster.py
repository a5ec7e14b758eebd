"""Run a workload's container process on this machine as its pod would see the world: the files
its projected volume holds (ConfigMap and Secret items, the service-account token, the cluster CA)
at the paths the pod template names, the in-cluster service-account directory and the
`KUBERNETES_SERVICE_*` variables a kubelet provides. Everything is read back from the API server
(the live pod template, the live ConfigMap and Secret, a TokenRequest token), nothing is
re-rendered.

The paths are absolute (`/etc/monstack/...`, `/var/run/secrets/kubernetes.io/serviceaccount`), so
the process runs in its own mount namespace (`unshare --mount`, root only): an overlay on /etc and
a tmpfs on /run there give it those directories without touching the host's."""

from __future__ import annotations

import base64
import shlex
import shutil
from pathlib import Path
from typing import Any

from harness.controlplane import ControlPlane
from harness.live.processes import Process, ProcessGroup

SERVICE_ACCOUNT_DIR = "/run/secrets/kubernetes.io/serviceaccount"


def _write(path: Path, content: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    path.chmod(mode)


def projected_files(cluster: ControlPlane, namespace: str, pod_spec: dict[str, Any], volume: str,
                    service_account: str) -> dict[str, tuple[bytes, int]]:
    """Path (relative to the mount) -> (content, mode) of a projected volume, as a kubelet fills it."""
    projected = next(v["projected"] for v in pod_spec["volumes"] if v["name"] == volume)
    default_mode = projected.get("defaultMode", 0o644)
    files: dict[str, tuple[bytes, int]] = {}
    for source in projected["sources"]:
        if "configMap" in source:
            data = cluster.get(f"/api/v1/namespaces/{namespace}/configmaps/{source['configMap']['name']}")["data"]
            for item in source["configMap"]["items"]:
                files[item["path"]] = (data[item["key"]].encode(), item.get("mode", default_mode))
        elif "secret" in source:
            data = cluster.get(f"/api/v1/namespaces/{namespace}/secrets/{source['secret']['name']}")["data"]
            for item in source["secret"]["items"]:
                files[item["path"]] = (base64.b64decode(data[item["key"]]), item.get("mode", default_mode))
        elif "serviceAccountToken" in source:
            token = cluster.service_account_token(namespace, service_account,
                                                  source["serviceAccountToken"].get("expirationSeconds", 3600))
            files[source["serviceAccountToken"]["path"]] = (token.encode(), default_mode)
    return files


def start_as_pod(cluster: ControlPlane, processes: ProcessGroup, name: str, namespace: str,
                 pod_spec: dict[str, Any], argv: list[str], root: Path) -> Process:
    """Start `argv` with the pod's config volume mounted where its container mounts it, and the
    in-cluster service-account files (automountServiceAccountToken) under /var/run/secrets."""
    container = pod_spec["containers"][0]
    account = pod_spec["serviceAccountName"]
    mounts: list[tuple[Path, str]] = []
    for mount in container["volumeMounts"]:
        # Only the projected config: data (claim templates) and scratch volumes are the caller's business.
        volume = next((v for v in pod_spec["volumes"] if v["name"] == mount["name"]), {})
        if "projected" not in volume:
            continue
        source = root / "volumes" / mount["name"]
        for path, (content, mode) in projected_files(cluster, namespace, pod_spec, mount["name"], account).items():
            _write(source / path, content, mode)
        mounts.append((source, mount["mountPath"]))
    if pod_spec.get("automountServiceAccountToken"):
        source = root / "serviceaccount"
        _write(source / "token", cluster.service_account_token(namespace, account).encode(), 0o644)
        shutil.copyfile(cluster.ca_file, source / "ca.crt")
        _write(source / "namespace", namespace.encode(), 0o644)
        mounts.append((source, SERVICE_ACCOUNT_DIR))
    scratch = root / "scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    script = [
        "set -e",
        f"mount -t tmpfs tmpfs {shlex.quote(str(scratch))}",
        f"mkdir {scratch}/upper {scratch}/work",
        f"mount -t overlay overlay -o lowerdir=/etc,upperdir={scratch}/upper,workdir={scratch}/work /etc",
        "mount -t tmpfs tmpfs /run",
    ]
    for source, target in mounts:
        script += [f"mkdir -p {shlex.quote(target)}", f"mount --bind {shlex.quote(str(source))} {shlex.quote(target)}"]
    script.append("exec " + " ".join(shlex.quote(a) for a in argv))
    env = {"KUBERNETES_SERVICE_HOST": cluster.address, "KUBERNETES_SERVICE_PORT": str(cluster.port)}
    return processes.start(name, ["unshare", "--mount", "--propagation", "private", "sh", "-c", "\n".join(script)],
                           env=env)
