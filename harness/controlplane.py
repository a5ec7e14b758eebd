"""A real Kubernetes control plane for the tests: etcd, kube-apiserver and kube-controller-manager
(built by `scripts/build-tools` into `.tools/bin`), started in a temp dir on free ports and
stopped by pid.

What it has: RBAC and the default admission plugins (PodSecurity among them), a static admin
token, a service-account key pair from openssl (so TokenRequest and the tokens Prometheus reads
are real), self-signed serving certificates (`--cert-dir`) whose CA is published in every
namespace as `kube-root-ca.crt`, and the controllers that turn workloads into Pods. What it lacks:
a scheduler and a kubelet (no container ever runs, Pods stay Pending) and a CNI (NetworkPolicies are
stored, not enforced).

The API server listens on the machine's first non-loopback IPv4 address, not on 127.0.0.1: it
publishes that address as the endpoint of the `default/kubernetes` Service, which Prometheus' `apiserver`
job discovers, and the API server refuses a loopback address there.

    with ControlPlane.start() as cluster:          # ready: API, controllers, root CA published
        cluster.kubeconfig                         # Path of a kubeconfig (admin token, the CA)
        cluster.get("/api/v1/namespaces")          # the API as the admin
        cluster.timings                            # seconds: etcd, apiserver, controllers, total
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import requests
import yaml

from harness.live.processes import ProcessGroup, free_port, wait_for
from harness.program import PROJECT_DIR

TOOLS_BIN = PROJECT_DIR / ".tools" / "bin"
BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager")
BUILD_HINT = "run `scripts/build-tools etcd kubernetes` (scripts/setup does)"
CONTEXT = "controlplane"
SERVICE_CIDR = "10.96.0.0/16"
# Controllers that need nodes, routes or a cloud: without them the rest runs on a bare API.
CONTROLLERS = "*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-service-lb-controller,-route"
ADMIN_USER = "ci-admin"


class ControlPlaneError(RuntimeError):
    """The control plane could not be started; the message holds the failing process's log."""


def missing_binaries() -> list[str]:
    """What `scripts/build-tools` has not built yet (empty when the control plane can start)."""
    return [str(TOOLS_BIN / name) for name in BINARIES if not (TOOLS_BIN / name).is_file()]


# Where the API server listens on a machine whose only IPv4 address is loopback: an address of the
# benchmarking range (RFC 2544, never routed) added to `lo`, so it stays on this machine.
FALLBACK_ADDRESS = "198.18.0.1"


def advertise_address() -> str:
    """The machine's first non-loopback IPv4 address (the API server's own endpoint); on a machine
    with none (a bare CI container), FALLBACK_ADDRESS added to `lo` when we may (root)."""
    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, check=False).stdout.split()
    for address in out:
        if "." in address and not address.startswith(("127.", "169.254.")):
            return address
    ip = shutil.which("ip")
    if ip:
        added = subprocess.run([ip, "addr", "add", f"{FALLBACK_ADDRESS}/32", "dev", "lo"],
                               capture_output=True, text=True, check=False)
        if added.returncode == 0 or "already assigned" in added.stderr:  # added now, or by an earlier run
            return FALLBACK_ADDRESS
    raise ControlPlaneError("no non-loopback IPv4 address on this machine (`hostname -I`): the API server "
                            "cannot publish a loopback address as the `kubernetes` Service's endpoint")


def last_certificate(bundle: str) -> str:
    """The last PEM block of a chain: the CA that `--cert-dir` generated and signed the serving certificate with."""
    end = "-----END CERTIFICATE-----"
    blocks = [b + end for b in bundle.split(end) if "-----BEGIN CERTIFICATE-----" in b]
    return blocks[-1].strip() + "\n"


@dataclass
class ControlPlane:
    workdir: Path
    address: str
    port: int
    token: str
    owned: bool = True
    processes: ProcessGroup = field(init=False)
    timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.processes = ProcessGroup(self.workdir)
        self.session = requests.Session()
        # REQUESTS_CA_BUNDLE and proxies from the environment would override the cluster's own CA.
        self.session.trust_env = False
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    # -- paths ---------------------------------------------------------------------------

    @property
    def server(self) -> str:
        return f"https://{self.address}:{self.port}"

    @property
    def ca_file(self) -> Path:
        return self.workdir / "ca.crt"

    @property
    def kubeconfig(self) -> Path:
        return self.workdir / "kubeconfig"

    @property
    def sa_key(self) -> Path:
        return self.workdir / "sa.key"

    # -- lifecycle -----------------------------------------------------------------------

    @classmethod
    def start(cls, workdir: Optional[Path] = None) -> ControlPlane:
        if missing := missing_binaries():
            raise ControlPlaneError(f"not built: {', '.join(missing)}; {BUILD_HINT}")
        owned = workdir is None
        workdir = Path(tempfile.mkdtemp(prefix="monstack-controlplane-")) if workdir is None else workdir
        address = advertise_address()
        cluster = cls(workdir, address, free_port(address), secrets.token_hex(24), owned)
        try:
            cluster._start_all()
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _start_all(self) -> None:
        began = time.monotonic()
        self._write_credentials()
        etcd_url = self._start_etcd()
        self.timings["etcd"] = time.monotonic() - began
        self._start_apiserver(etcd_url)
        self.timings["apiserver"] = time.monotonic() - began - self.timings["etcd"]
        mark = time.monotonic()
        self._start_controller_manager()
        self.timings["controllers"] = time.monotonic() - mark
        self.timings["total"] = time.monotonic() - began

    def stop(self) -> None:
        self.processes.stop_all()
        if self.owned:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> ControlPlane:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the parts -----------------------------------------------------------------------

    def _write_credentials(self) -> None:
        """The service-account key pair (signs and checks every service-account token) and the
        static token file of the one admin the tests and Pulumi act as."""
        subprocess.run(["openssl", "genrsa", "-out", str(self.sa_key), "2048"], check=True, capture_output=True)
        subprocess.run(["openssl", "rsa", "-in", str(self.sa_key), "-pubout", "-out", str(self.workdir / "sa.pub")],
                       check=True, capture_output=True)
        tokens = self.workdir / "tokens.csv"
        tokens.write_text(f'{self.token},{ADMIN_USER},1,"system:masters"\n')
        tokens.chmod(0o600)

    def _launch(self, name: str, argv: list[str]) -> None:
        self.processes.start(name, [str(TOOLS_BIN / name), *argv])

    def _ready(self, name: str, check, what: str, seconds: float) -> None:
        def alive_and(check=check):
            self.processes.check_alive(name)
            return check()
        try:
            wait_for(alive_and, what, seconds=seconds)
        except (TimeoutError, RuntimeError) as error:
            process = self.processes.processes.get(name)
            raise ControlPlaneError(f"{error}\n{process.tail() if process else ''}") from error

    def _start_etcd(self) -> str:
        client, peer = free_port(), free_port()
        url = f"http://127.0.0.1:{client}"
        peer_url = f"http://127.0.0.1:{peer}"
        self._launch("etcd", [
            "--name", "ci", "--data-dir", str(self.workdir / "etcd"),
            "--listen-client-urls", url, "--advertise-client-urls", url,
            "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
            "--initial-cluster", f"ci={peer_url}", "--log-level", "warn",
            # A throwaway test store: no fsync per write (the apply is several hundred writes).
            "--unsafe-no-fsync",
        ])
        self._ready("etcd", lambda: requests.get(f"{url}/health", timeout=2).json().get("health") == "true",
                    "etcd", 30)
        return url

    def _start_apiserver(self, etcd_url: str) -> None:
        certs = self.workdir / "certs"
        self._launch("kube-apiserver", [
            f"--etcd-servers={etcd_url}",
            f"--bind-address={self.address}", f"--advertise-address={self.address}", f"--secure-port={self.port}",
            f"--cert-dir={certs}",
            f"--token-auth-file={self.workdir / 'tokens.csv'}",
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={self.workdir / 'sa.pub'}",
            f"--service-account-signing-key-file={self.sa_key}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            # node-exporter's DaemonSet needs host namespaces; real clusters allow them too.
            "--allow-privileged=true",
            "--profiling=false",
        ])

        def serving() -> bool:
            bundle = certs / "apiserver.crt"
            if not bundle.is_file():
                return False
            self.ca_file.write_text(last_certificate(bundle.read_text()))
            return requests.get(f"{self.server}/readyz", verify=str(self.ca_file), timeout=2,
                                headers={"Authorization": f"Bearer {self.token}"}).status_code == 200

        self._ready("kube-apiserver", serving, "kube-apiserver /readyz", 90)
        self.session.verify = str(self.ca_file)
        self._write_kubeconfig()

    def _write_kubeconfig(self) -> None:
        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": CONTEXT,
            "clusters": [{"name": CONTEXT, "cluster": {"server": self.server,
                                                        "certificate-authority": str(self.ca_file)}}],
            "users": [{"name": ADMIN_USER, "user": {"token": self.token}}],
            "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": ADMIN_USER}}],
        }
        self.kubeconfig.write_text(yaml.safe_dump(config, sort_keys=False))
        self.kubeconfig.chmod(0o600)

    def _start_controller_manager(self) -> None:
        self._launch("kube-controller-manager", [
            f"--kubeconfig={self.kubeconfig}",
            f"--authentication-kubeconfig={self.kubeconfig}", f"--authorization-kubeconfig={self.kubeconfig}",
            f"--service-account-private-key-file={self.sa_key}",
            f"--root-ca-file={self.ca_file}",
            "--leader-elect=false",
            # Its own HTTPS endpoint (unused here) would look up client CAs the API server never published.
            "--authentication-skip-lookup=true",
            f"--controllers={CONTROLLERS}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--bind-address=127.0.0.1", f"--secure-port={free_port()}",
        ])
        # The root CA publisher is among the last controllers up: its ConfigMap means they all run.
        self._ready("kube-controller-manager",
                    lambda: self.get("/api/v1/namespaces/default/configmaps/kube-root-ca.crt", missing_ok=True),
                    "kube-controller-manager (kube-root-ca.crt in namespace default)", 90)

    # -- the API as the admin ------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None, params: Optional[dict] = None,
                content_type: str = "application/json") -> requests.Response:
        headers = {"Content-Type": content_type} if body is not None else {}
        data = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
        return self.session.request(method, f"{self.server}{path}", data=data, params=params, headers=headers,
                                    timeout=30)

    def get(self, path: str, params: Optional[dict] = None, missing_ok: bool = False) -> Optional[dict[str, Any]]:
        response = self.request("GET", path, params=params)
        if missing_ok and response.status_code == 404:
            return None
        _raise_for(response)
        return response.json()

    def post(self, path: str, body: Any, params: Optional[dict] = None) -> dict[str, Any]:
        response = self.request("POST", path, body, params=params)
        _raise_for(response)
        return response.json()

    def items(self, path: str, selector: Optional[str] = None) -> list[dict[str, Any]]:
        return self.get(path, params={"labelSelector": selector} if selector else None)["items"]

    def service_account_token(self, namespace: str, name: str, seconds: int = 3600) -> str:
        """A token for the ServiceAccount from the TokenRequest API, as the kubelet projects it into a pod."""
        review = self.post(f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token",
                           {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                            "spec": {"expirationSeconds": seconds}})
        return review["status"]["token"]


def _raise_for(response: requests.Response) -> None:
    if response.status_code >= 400:
        raise ControlPlaneError(f"{response.request.method} {response.url}: {response.status_code} {response.text[:2000]}")
