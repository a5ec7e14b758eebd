"""The platform-neutral vocabulary of a workload: where its files live, what it needs of the
host and of the cluster's API, and where it connects to. Plans speak it, platforms translate it
(components/platforms: Docker mounts and networks, Kubernetes volumes, RBAC and policies)."""

from __future__ import annotations

from dataclasses import dataclass

CONFIG_DIR = "/etc/monstack"
# Where a service that reads the cluster's API finds its token and the cluster's CA, relative
# to CONFIG_DIR (Prometheus resolves relative paths from its config file's directory).
SERVICE_ACCOUNT_DIR = "serviceaccount"


@dataclass(frozen=True)
class HostAccess:
    """What an exporter needs of the host it watches; platforms map it to bind mounts
    (Docker) or hostPath volumes in a DaemonSet, one pod per node (Kubernetes). Mounts are
    read-only. `host_network` is Kubernetes' way (as upstream node-exporter runs): the pod
    sees the node's interfaces; on Docker the stack's network alias is how Prometheus reaches it."""

    mounts: tuple[tuple[str, str], ...] = ()
    pid_host: bool = False
    privileged: bool = False
    host_network: bool = False


@dataclass(frozen=True)
class AccessRule:
    """One permission on the cluster's API (a Kubernetes RBAC rule), as data: empty on
    platforms without an API to read."""

    verbs: tuple[str, ...]
    api_groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Egress:
    """Where a service connects to: the platform turns it into network policy.
    `anywhere` for services whose peers are not known in advance (Prometheus scrapes the
    cluster, Alertmanager calls receivers, blackbox probes URLs)."""

    anywhere: bool = False
    services: tuple[str, ...] = ()  # other services of the stack (their port)
    ports: tuple[int, ...] = ()  # TCP ports outside the stack (a database an exporter reads)
    cluster_api: bool = False  # the Kubernetes API server

    @classmethod
    def to_address(cls, address: str) -> Egress:
        """Egress to the port of one `host:port` outside the stack (the service an exporter reads)."""
        return cls(ports=(int(address.rsplit(":", 1)[1]),))
