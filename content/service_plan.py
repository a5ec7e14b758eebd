"""The stack as platform-neutral data: the services that run (`ServicePlan`, with their files,
arguments, credentials, probes and limits), and the whole stack (`StackPlan`: services, scrape
jobs, rule files and dashboards). content.plan builds it; components/platforms turn each
ServicePlan into a workload; the offline preview and the tests read the same plan."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional

from config.fields import Resources
from content.dashboards import DashboardFile
from content.rules import RuleGroup
from content.scrape import ScrapeJob
from content.workload import CONFIG_DIR, AccessRule, Egress, HostAccess


@dataclass(frozen=True)
class SecretFile:
    """A file made of secrets: `render(*values)` gets the plain values of `keys`, inside a
    Pulumi apply, so the file stays a secret end to end."""

    path: str  # relative to CONFIG_DIR
    keys: tuple[str, ...]
    render: Callable[..., str]
    # For an external secret store that renders the file itself (External Secrets Operator's
    # Go templates): called with one template expression per key, e.g. ".webPassword". By
    # default `render` is given `{{ .key }}` for each key, right for files that embed values.
    template: Optional[Callable[..., str]] = None

    def store_template(self) -> str:
        """The file as a template of the store's values: the secret itself never passes here."""
        refs = [f".{key}" for key in self.keys]
        if self.template:
            return self.template(*refs)
        return self.render(*(f"{{{{ {ref} }}}}" for ref in refs))


@dataclass(frozen=True)
class Probe:
    """How to tell a service is alive: an HTTP path on its port, behind basic auth where the
    service has it. Docker runs `command()` inside the container (when the image has sh and
    wget); Kubernetes asks with httpGet, or runs `command()` where a password is needed, so
    the password stays in its file and out of the pod spec."""

    port: int
    path: str
    ready_path: Optional[str] = None  # readiness differs from liveness (Prometheus replays its WAL)
    scheme: str = "http"
    basic_auth_user: Optional[str] = None  # password read from secrets/web-password at run time
    in_image: bool = True

    def command(self, path: Optional[str] = None) -> tuple[str, ...]:
        path = path or self.path
        if not self.basic_auth_user:
            return ("CMD", "wget", "-q", "-O", "/dev/null", f"{self.scheme}://127.0.0.1:{self.port}{path}")
        # Over TLS it skips verification: it talks to its own process on loopback, not to the certificate's name.
        header = (f'Authorization: Basic $(printf "%s:%s" "{self.basic_auth_user}" '
                  f'"$(cat {CONFIG_DIR}/secrets/web-password)" | base64)')
        insecure = "--no-check-certificate " if self.scheme == "https" else ""
        url = f"{self.scheme}://127.0.0.1:{self.port}{path}"
        return ("CMD-SHELL", f"wget -q {insecure}-O /dev/null --header \"{header}\" {url} || exit 1")


@dataclass(frozen=True)
class Sidecar:
    """A second container of a service's workload (Thanos' sidecar beside Prometheus). It
    shares the service's network (localhost), config directory and data volume: a container
    of the pod on Kubernetes, a container in the service container's network namespace on
    Docker. Its files are the service's."""

    name: str
    image: str
    port: int  # its HTTP port (probes, metrics), named `port_name`
    port_name: str
    args: tuple[str, ...]
    probe: Probe
    resources: Resources
    extra_ports: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class ServicePlan:
    name: str  # workload name and address on the platform network
    bundle_dir: str  # where the preview writes its files
    image: str
    port: int
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # relative to CONFIG_DIR
    secret_files: tuple[SecretFile, ...] = ()
    secret_env: dict[str, str] = field(default_factory=dict)  # variable -> secret key
    # Variables the platform fills with facts of the running replica (Kubernetes downward API
    # field paths, e.g. status.podIP); only replicated services need them.
    instance_env: dict[str, str] = field(default_factory=dict)
    data_path: Optional[str] = None  # persistent volume mounted here
    user: Optional[str] = "65534:65534"
    probe: Optional[Probe] = None
    host_access: Optional[HostAccess] = None
    read_only_root: bool = True
    publish: Optional[tuple[str, int]] = None
    resources: Resources = Resources()
    tmpfs: tuple[str, ...] = ()
    # Directories of `files` whose sub-directories travel apart: Grafana's dashboards/, one per
    # folder (Kubernetes: a ConfigMap each, see components/platforms/kube/bundles.py).
    split_dirs: tuple[str, ...] = ()
    volume_size: Optional[str] = None  # of the data volume, where the platform sizes volumes
    replicas: int = 1
    peer_port: Optional[int] = None  # replicas gossip with each other on this port
    ui: bool = False  # users reach it through the exposure (ports or the proxy)
    clients: tuple[str, ...] = ()  # other services of the stack that connect to its port
    egress: Egress = Egress()
    cluster_access: tuple[AccessRule, ...] = ()  # permissions on the cluster's API (Kubernetes)
    # Each replica keeps its own state (a TSDB, silences): one volume per replica (a StatefulSet).
    # Otherwise the data volume is the one state of a single instance (Grafana's database).
    data_per_replica: bool = False
    # Its configuration reads the service account's token and the cluster CA as files under
    # SERVICE_ACCOUNT_DIR (Prometheus' scrapes of the API server and kubelets).
    token_files: bool = False
    # Named ports beyond `port` (named `port_name`), e.g. Thanos' gRPC StoreAPI.
    extra_ports: tuple[tuple[str, int], ...] = ()
    port_name: str = "http"
    sidecars: tuple[Sidecar, ...] = ()
    # Volumes several services mount (Docker named volumes): (name, mount path), e.g. a
    # FILESYSTEM bucket that sidecar, store gateway and compactor share.
    shared_volumes: tuple[tuple[str, str], ...] = ()

    @property
    def all_ports(self) -> tuple[tuple[str, int], ...]:
        """Every port the workload listens on, its sidecars' included (Services, policies)."""
        return ((self.port_name, self.port), *self.extra_ports,
                *(p for s in self.sidecars for p in ((s.port_name, s.port), *s.extra_ports)))

    def sidecar_plan(self, sidecar: Sidecar) -> ServicePlan:
        """The sidecar's container as a plan of its own: the service's files, user and
        volumes, its own image, arguments, ports, probe and limits."""
        return dataclasses.replace(
            self, name=sidecar.name, image=sidecar.image, port=sidecar.port, port_name=sidecar.port_name,
            args=sidecar.args, probe=sidecar.probe, resources=sidecar.resources, extra_ports=sidecar.extra_ports,
            env={}, secret_env={}, instance_env={}, sidecars=(), peer_port=None, publish=None, tmpfs=(),
            host_access=None)

    @property
    def health(self) -> Optional[tuple[str, ...]]:
        """The check run inside the container, where its image can run it."""
        return self.probe.command() if self.probe and self.probe.in_image else None


@dataclass(frozen=True)
class StackPlan:
    services: tuple[ServicePlan, ...]
    jobs: tuple[ScrapeJob, ...]
    rule_groups: dict[str, list[RuleGroup]]  # rule file name -> groups, overrides applied
    generated_rule_groups: dict[str, list[RuleGroup]]  # before the stack's overrides
    # Every dashboard: provisioning files of the stack's Grafana, and with `grafana.manageByApi`
    # the same JSON through the API of an external Grafana.
    dashboards: tuple[DashboardFile, ...] = ()
    # Grafana's Prometheus data source (content.grafana.datasource): provisioned from a file, and
    # with `grafana.manageByApi` declared in the external Grafana at its own address.
    datasource: dict[str, Any] = field(default_factory=dict)

    def service(self, name: str) -> ServicePlan:
        return next(s for s in self.services if s.name == name)
