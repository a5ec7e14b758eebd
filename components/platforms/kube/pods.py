"""Pod templates, containers, probes, volumes and the security context every container gets.

The policy is not optional on Kubernetes: every container runs as a non-root user with a
read-only root file system, no privilege escalation, no capabilities and the runtime's
default seccomp profile, with requests and limits. A plan that cannot meet it (an image that
must run as root, say) is refused here rather than weakened silently.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from config.units import cpu_quantity, kubernetes_quantity
from content.service_plan import Probe, ServicePlan
from content.workload import CONFIG_DIR, SERVICE_ACCOUNT_DIR

if TYPE_CHECKING:
    from components.platforms.kube.bundles import Bundle

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
    limit = {"memory": kubernetes_quantity(limits.memory), "cpu": cpu_quantity(limits.cpu)}
    request = {
        "memory": kubernetes_quantity(reservations.memory) if reservations.memory else limit["memory"],
        "cpu": cpu_quantity(reservations.cpu) if reservations.cpu else limit["cpu"],
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


def config_volume(plan: ServicePlan, config_maps: Sequence[Bundle], secret: str | None) -> dict[str, Any]:
    """One read-only directory (CONFIG_DIR) projected from the ConfigMaps (each Grafana folder's
    dashboards from its own), the Secret and, for a service whose config reads them as files,
    the service account's token and the cluster CA."""
    sources: list[dict[str, Any]] = [
        {"configMap": {"name": bundle.name, "items": [{"key": object_key(path), "path": path} for path in bundle.paths]}}
        for bundle in config_maps
    ]
    if secret:
        paths = sorted(s.path for s in plan.secret_files)
        sources.append({"secret": {"name": secret, "items": [
            {"key": object_key(path), "path": path, "mode": 0o440} for path in paths]}})
    if plan.token_files:
        sources.append({"serviceAccountToken": {"path": SERVICE_ACCOUNT_FILES["token"], "expirationSeconds": 3600}})
        sources.append({"configMap": {"name": "kube-root-ca.crt",
                                      "items": [{"key": "ca.crt", "path": SERVICE_ACCOUNT_FILES["ca.crt"]}]}})
    return {"name": "config", "projected": {"defaultMode": 0o444, "sources": sources}}


def container(plan: ServicePlan, secret: str | None, data_claim: str | None, config: bool = True) -> dict[str, Any]:
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
    mounts: list[dict[str, Any]] = [{"name": "config", "mountPath": CONFIG_DIR, "readOnly": True}] if config else []
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
        "resources": resources(plan),
        "securityContext": security_context(plan),
        **probes(plan),
    }
    if mounts:  # an empty list reads back absent: a change on every `pulumi up`
        spec["volumeMounts"] = mounts
    if plan.args:
        spec["args"] = list(plan.args)
    if env:
        spec["env"] = env
    return spec


def pod_spec(plan: ServicePlan, environment: str, config_maps: Sequence[Bundle], secret: str | None,
             data_claim: str | None, shared_claim: str | None) -> dict[str, Any]:
    """The pod of a service. `data_claim` names the data volume (a claim template's name, or
    the volume of `shared_claim`, the one PersistentVolumeClaim of a single-instance service)."""
    if plan.shared_volumes:
        raise PolicyError(f"{plan.name}: volumes shared between workloads (a FILESYSTEM bucket) exist on Docker only")
    config = config_volume(plan, config_maps, secret)
    # Nothing to project (an exporter without files): no volume. The API server drops empty lists
    # (a projected volume's `sources`, `volumes`), which every `pulumi up` would then see as a change.
    has_config = bool(config["projected"]["sources"])
    volumes: list[dict[str, Any]] = [config] if has_config else []
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
        "containers": [container(p, secret, data_claim, has_config)
                       for p in (plan, *map(plan.sidecar_plan, plan.sidecars))],
        "enableServiceLinks": False,
    }
    if volumes:
        spec["volumes"] = volumes
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
