"""Pod templates, containers, probes, volumes and the security context every container gets.

The policy is not optional on Kubernetes: every container runs as a non-root user with a
read-only root file system, no privilege escalation, no capabilities and the runtime's
default seccomp profile, with requests and limits. A plan that cannot meet it (an image that
must run as root, say) is refused here rather than weakened silently.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from config.units import kubernetes_quantity
from content.integrations.base import CONFIG_DIR, SERVICE_ACCOUNT_DIR
from content.plan import Probe, ServicePlan

PART_OF = "monstack"
# Annotations the offline preview reads to put ConfigMap/Secret files back into OUTDIR/<bundle-dir>.
BUNDLE_DIR_ANNOTATION = "monstack.dev/bundle-dir"
FILES_ANNOTATION = "monstack.dev/files"  # JSON: object key -> path relative to CONFIG_DIR
CLUSTER_FILES_ANNOTATION = "monstack.dev/cluster-files"  # JSON list: paths the cluster provides at run time
CONFIG_CHECKSUM = "checksum/config"
SECRETS_CHECKSUM = "checksum/secrets"
# Where Prometheus finds its service account token and the cluster CA, relative to CONFIG_DIR
# (the kubernetes integration's scrape jobs refer to these paths).
SERVICE_ACCOUNT_FILES = {"token": f"{SERVICE_ACCOUNT_DIR}/token", "ca.crt": f"{SERVICE_ACCOUNT_DIR}/ca.crt"}


class PolicyError(ValueError):
    """A plan that the Kubernetes security policy cannot run."""


def selector_labels(plan: ServicePlan, environment: str) -> dict[str, str]:
    """Labels that select a workload's pods; no version in them, so an upgrade keeps the selector."""
    return {"app.kubernetes.io/name": plan.name, "app.kubernetes.io/instance": environment}


def labels(plan: ServicePlan, environment: str) -> dict[str, str]:
    return {**selector_labels(plan, environment), "app.kubernetes.io/part-of": PART_OF,
            "app.kubernetes.io/managed-by": "pulumi"}


def object_key(path: str) -> str:
    """ConfigMap and Secret keys allow no '/': rules/x.yml -> rules__x.yml."""
    return path.replace("/", "__")


def user_ids(plan: ServicePlan) -> tuple[int, int]:
    if plan.user is None:
        raise PolicyError(f"{plan.name}: its image must run as root, which the Kubernetes policy forbids")
    uid, _, gid = plan.user.partition(":")
    ids = int(uid), int(gid or uid)
    if ids[0] == 0:
        raise PolicyError(f"{plan.name}: user {plan.user} is root, which the Kubernetes policy forbids")
    return ids


def config_checksum(plan: ServicePlan) -> str:
    """Digest of the plain files and of the secret files' names: a change rolls the pods."""
    h = hashlib.sha256()
    for path, content in sorted(plan.files.items()):
        h.update(path.encode() + b"\0" + content.encode() + b"\0")
    for secret in sorted(s.path for s in plan.secret_files):
        h.update(secret.encode() + b"\0")
    for var, key in sorted(plan.secret_env.items()):
        h.update(f"{var}={key}".encode() + b"\0")
    return h.hexdigest()


def secrets_checksum(contents: list[str]) -> str:
    """Digest of all secret files together: a rotated credential rolls the pods too. One digest
    over every file (one of them a random 32-byte key) reveals nothing about any password."""
    h = hashlib.sha256()
    for content in contents:
        h.update(content.encode() + b"\0")
    return h.hexdigest()


def security_context(plan: ServicePlan) -> dict[str, Any]:
    uid, gid = user_ids(plan)
    if not plan.read_only_root:
        raise PolicyError(f"{plan.name}: needs a writable root file system, which the Kubernetes policy forbids")
    if plan.host_access and plan.host_access.privileged:
        raise PolicyError(f"{plan.name}: needs a privileged container, which the Kubernetes policy forbids")
    return {
        "runAsNonRoot": True,
        "runAsUser": uid,
        "runAsGroup": gid,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def pod_security_context(plan: ServicePlan) -> dict[str, Any]:
    uid, gid = user_ids(plan)
    # fsGroup makes volumes and secret files readable by the process; a primary group of 0
    # (Grafana's image) is no group to share files with, so its own uid's group serves.
    return {"runAsNonRoot": True, "runAsUser": uid, "runAsGroup": gid, "fsGroup": gid or uid,
            "seccompProfile": {"type": "RuntimeDefault"}}


def resources(plan: ServicePlan) -> dict[str, Any]:
    limits, reservations = plan.resources.limits, plan.resources.reservations
    if not (limits.memory and limits.cpu):
        raise PolicyError(f"{plan.name}: no memory and cpu limits; every container needs them on Kubernetes")
    limit = {"memory": kubernetes_quantity(limits.memory), "cpu": f"{int(limits.cpu * 1000)}m"}
    request = {
        "memory": kubernetes_quantity(reservations.memory) if reservations.memory else limit["memory"],
        "cpu": f"{int(reservations.cpu * 1000)}m" if reservations.cpu else limit["cpu"],
    }
    return {"limits": limit, "requests": request}


def _probe(probe: Probe, path: str, delay: int) -> dict[str, Any]:
    timing = {"initialDelaySeconds": delay, "periodSeconds": 15, "timeoutSeconds": 5, "failureThreshold": 4}
    if probe.basic_auth_user:
        # The password stays in its mounted file: the check runs inside the container.
        return {"exec": {"command": ["sh", "-c", probe.command(path)[1]]}, **timing}
    return {"httpGet": {"path": path, "port": probe.port, "scheme": probe.scheme.upper()}, **timing}


def probes(plan: ServicePlan) -> dict[str, Any]:
    if plan.probe is None:
        raise PolicyError(f"{plan.name}: no health probe; every container needs liveness and readiness probes")
    probe = plan.probe
    return {"livenessProbe": _probe(probe, probe.path, 30), "readinessProbe": _probe(probe, probe.ready_path or probe.path, 5)}


def config_volume(plan: ServicePlan, config_map: str | None, secret: str | None) -> dict[str, Any]:
    """One read-only directory (CONFIG_DIR) projected from the ConfigMap, the Secret and, for
    a service whose config reads them as files, the service account's token and the cluster CA."""
    sources: list[dict[str, Any]] = []
    if config_map:
        sources.append({"configMap": {"name": config_map, "items": [
            {"key": object_key(path), "path": path} for path in sorted(plan.files)]}})
    if secret:
        paths = sorted(s.path for s in plan.secret_files)
        sources.append({"secret": {"name": secret, "items": [
            {"key": object_key(path), "path": path, "mode": 0o440} for path in paths]}})
    if plan.token_files:
        sources.append({"serviceAccountToken": {"path": SERVICE_ACCOUNT_FILES["token"], "expirationSeconds": 3600}})
        sources.append({"configMap": {"name": "kube-root-ca.crt",
                                      "items": [{"key": "ca.crt", "path": SERVICE_ACCOUNT_FILES["ca.crt"]}]}})
    return {"name": "config", "projected": {"defaultMode": 0o444, "sources": sources}}


def container(plan: ServicePlan, secret: str | None, data_claim: str | None) -> dict[str, Any]:
    env: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in sorted(plan.env.items())]
    # The one credential an exporter cannot read from a file: a reference, never a value.
    env += [{"name": var, "valueFrom": {"secretKeyRef": {"name": secret, "key": f"env-{var}"}}}
            for var in sorted(plan.secret_env)]
    env += [{"name": var, "valueFrom": {"fieldRef": {"fieldPath": path}}} for var, path in sorted(plan.instance_env.items())]
    ports = [{"name": name, "containerPort": port, "protocol": "TCP"}
             for name, port in ((plan.port_name, plan.port), *plan.extra_ports)]
    if plan.peer_port:
        ports += [{"name": "peer-tcp", "containerPort": plan.peer_port, "protocol": "TCP"},
                  {"name": "peer-udp", "containerPort": plan.peer_port, "protocol": "UDP"}]
    mounts: list[dict[str, Any]] = [{"name": "config", "mountPath": CONFIG_DIR, "readOnly": True}]
    if plan.data_path and data_claim:
        mounts.append({"name": data_claim, "mountPath": plan.data_path})
    mounts += [{"name": f"tmp-{i}", "mountPath": path} for i, path in enumerate(plan.tmpfs)]
    for i, (_, target) in enumerate(plan.host_access.mounts if plan.host_access else ()):
        mounts.append({"name": f"host-{i}", "mountPath": target, "readOnly": True, "mountPropagation": "HostToContainer"})
    spec: dict[str, Any] = {
        "name": plan.name,
        "image": plan.image,
        "imagePullPolicy": "IfNotPresent",
        "ports": ports,
        "volumeMounts": mounts,
        "resources": resources(plan),
        "securityContext": security_context(plan),
        **probes(plan),
    }
    if plan.args:
        spec["args"] = list(plan.args)
    if env:
        spec["env"] = env
    return spec


def pod_spec(plan: ServicePlan, environment: str, config_map: str | None, secret: str | None,
             data_claim: str | None, shared_claim: str | None) -> dict[str, Any]:
    """The pod of a service. `data_claim` names the data volume (a claim template's name, or
    the volume of `shared_claim`, the one PersistentVolumeClaim of a single-instance service)."""
    if plan.shared_volumes:
        raise PolicyError(f"{plan.name}: volumes shared between workloads (a FILESYSTEM bucket) exist on Docker only")
    volumes: list[dict[str, Any]] = [config_volume(plan, config_map, secret)]
    if shared_claim and data_claim:
        volumes.append({"name": data_claim, "persistentVolumeClaim": {"claimName": shared_claim}})
    volumes += [{"name": f"tmp-{i}", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}} for i, _ in enumerate(plan.tmpfs)]
    for i, (source, _) in enumerate(plan.host_access.mounts if plan.host_access else ()):
        volumes.append({"name": f"host-{i}", "hostPath": {"path": source, "type": "Directory"}})
    spec: dict[str, Any] = {
        "serviceAccountName": plan.name,
        # Only services that read the cluster's API get a token.
        "automountServiceAccountToken": bool(plan.cluster_access),
        "securityContext": pod_security_context(plan),
        # Sidecars share the pod's config and data volumes (Thanos' sidecar reads Prometheus' blocks).
        "containers": [container(p, secret, data_claim) for p in (plan, *map(plan.sidecar_plan, plan.sidecars))],
        "volumes": volumes,
        "enableServiceLinks": False,
    }
    host = plan.host_access
    if host:
        spec["hostPID"] = host.pid_host
        spec["hostNetwork"] = host.host_network
        if host.host_network:
            spec["dnsPolicy"] = "ClusterFirstWithHostNet"
        # A per-node exporter runs on every node, tainted control-plane nodes included.
        spec["tolerations"] = [{"operator": "Exists"}]
    if plan.replicas > 1:
        # Replicas on different nodes where possible, so one node's loss keeps a peer.
        spec["affinity"] = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
            "weight": 100,
            "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
                                "labelSelector": {"matchLabels": selector_labels(plan, environment)}},
        }]}}
    return spec


def bundle_annotations(plan: ServicePlan, paths: list[str], cluster_files: list[str] | None = None) -> dict[str, str]:
    out = {BUNDLE_DIR_ANNOTATION: plan.bundle_dir,
           FILES_ANNOTATION: json.dumps({object_key(p): p for p in sorted(paths)}, sort_keys=True)}
    if cluster_files:
        out[CLUSTER_FILES_ANNOTATION] = json.dumps(sorted(cluster_files))
    return out
