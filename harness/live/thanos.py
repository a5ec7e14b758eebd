"""Scale-out on Thanos, run for real on loopback: two Prometheus replicas, each with its
sidecar, sharing a FILESYSTEM bucket in a temporary directory, with the store gateway, the
compactor and Thanos Query beside them.

The program renders the dev stack (Docker platform) with a `thanos` block; every process starts
from the rendered bundle with the plan's own arguments. What differs from a container: file
paths (the bundle directory instead of /etc/monstack, a data directory per process), loopback
listen addresses on free ports, and Query's endpoints (the Docker plan has one replica; here
two run, each named by its POD_NAME as on Kubernetes). Test-speed settings are settings:
`thanos.blockDuration: 1m` (Prometheus' --storage.tsdb.min-block-duration) and 2s intervals;
one flag is added: the store gateway's bucket sync every 5s instead of 3m.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlencode

from content.thanos import ENDPOINTS_FILE, PROMETHEUS_CLIENT_FILE, endpoints_config
from harness.live.bundle import dev_stack_config, render_dev_bundle
from harness.live.processes import ProcessGroup, free_port, http_get, wait_for
from harness.live.stack import SECRETS as STACK_SECRETS
from harness.live.stack import plan_args  # a service's arguments as the dev stack's harness reads them
from harness.program import ProgramRun

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".tools" / "bin"
THANOS, PROMETHEUS = BIN / "thanos", BIN / "prometheus"
WEB_USER = "admin"
SECRETS = {key: STACK_SECRETS[key] for key in ("webPassword", "grafanaAdminPassword", "grafanaSecretKey")}
BLOCK_DURATION = "1m"
FAST_FOR = "4s"
# Alerts the faults must fire, with `for` shortened (an alertOverride, as a stack would write it).
FAULT_ALERTS = ("ThanosSidecarDown", "ThanosSidecarBucketOperationsFailing", "ThanosStoreBucketSyncFailing")
REPLICAS = ("prometheus-0", "prometheus-1")


def available() -> Optional[str]:
    """Why the suite cannot run here, or None."""
    missing = [str(p) for p in (THANOS, PROMETHEUS) if not p.exists()]
    return f"not built (scripts/build-tools prometheus thanos): {', '.join(missing)}" if missing else None


@dataclass
class ThanosStack:
    group: ProcessGroup
    workdir: Path
    bucket: Path
    run: ProgramRun
    ports: dict[str, int]
    argv: dict[str, list[str]] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    @property
    def auth(self) -> tuple[str, str]:
        return WEB_USER, SECRETS["webPassword"]

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def api(self, name: str, path: str, **params: Any) -> Any:
        """GET an API (Prometheus' or Query's, same shape) and return its `data`."""
        status, body = http_get(f"{self.url(name)}{path}?{urlencode(params)}", self.auth, timeout=30)
        payload = json.loads(body)
        if status != 200 or payload.get("status") != "success":
            raise ValueError(f"{name}{path} {params}: {payload.get('error', status)}")
        return payload["data"]

    def query(self, promql: str, name: str = "thanos-query", **params: Any) -> list[dict[str, Any]]:
        return self.api(name, "/api/v1/query", query=promql, **params)["result"]

    def firing(self, alert: str, name: str = "prometheus-0") -> bool:
        return bool(self.query(f'ALERTS{{alertname="{alert}",alertstate="firing"}}', name))

    def blocks(self) -> list[dict[str, Any]]:
        """meta.json of every block in the bucket."""
        if not self.bucket.is_dir():
            return []
        return [json.loads(meta.read_text()) for meta in sorted(self.bucket.glob("*/meta.json"))]

    def data_dir(self, name: str) -> Path:
        return self.workdir / "data" / name

    def start(self, name: str) -> None:
        self.group.start(name, self.argv[name], env={"POD_NAME": name} if name in REPLICAS else None)

    def stop(self, name: str) -> None:
        self.group.stop(name)

    def stop_all(self) -> None:
        self.group.stop_all()


def live_config(stack_config: dict[str, Any], ports: dict[str, int], bucket: Path) -> dict[str, Any]:
    """The dev stack's config with Thanos on, its own jobs only, tuned for seconds."""
    config = dict(stack_config)
    config["generateSecrets"] = False
    config["prometheus"] = {**config["prometheus"], "scrapeInterval": "2s", "scrapeTimeout": "2s",
                            "evaluationInterval": "2s", "selfScrapeInterval": "2s"}
    config["thanos"] = {"objectStorage": {"type": "FILESYSTEM", "bucket": str(bucket)},
                        "blockDuration": BLOCK_DURATION}
    config["exporters"] = {"node": {"enabled": True}}
    config["applications"] = []
    config["alertOverrides"] = [{"alert": name, "for": FAST_FOR} for name in FAULT_ALERTS]
    config["targetOverrides"] = {
        "localhost:9090": f"127.0.0.1:{ports['prometheus-0']}",
        "localhost:10902": f"127.0.0.1:{ports['sidecar-0-http']}",
        "alertmanager:9093": f"127.0.0.1:{ports['alertmanager']}",  # nothing listens: no Alertmanager here
        "node-exporter:9100": f"127.0.0.1:{ports['node']}",
        **{f"{name}:10902": f"127.0.0.1:{ports[name]}" for name in ("thanos-store", "thanos-compactor", "thanos-query")},
    }
    return config


def _moved(argv: list[str], config_dir: Path, replace: dict[str, str]) -> list[str]:
    """The plan's arguments with /etc/monstack at the bundle and flags replaced by prefix."""
    out = []
    for arg in argv:
        arg = arg.replace("/etc/monstack", str(config_dir))
        flag = arg.split("=", 1)[0]
        out.append(f"{flag}={replace[flag]}" if flag in replace else arg)
    return out


def start_thanos_stack(workdir: Path, log: Callable[[str], None] = lambda _m: None) -> ThanosStack:
    """Start both replicas with their sidecars, the store gateway, the compactor and Query."""
    group = ProcessGroup(workdir)
    try:
        names = ("prometheus-0", "prometheus-1", "sidecar-0-http", "sidecar-0-grpc", "sidecar-1-http",
                 "sidecar-1-grpc", "thanos-store", "thanos-store-grpc", "thanos-compactor", "thanos-query",
                 "thanos-query-grpc", "alertmanager", "node")
        ports = {name: free_port() for name in names}
        bucket = workdir / "bucket"
        bucket.mkdir(parents=True)
        log("rendering the dev stack with Thanos")
        outdir = workdir / "bundle"
        run = render_dev_bundle(live_config(dev_stack_config(), ports, bucket), SECRETS, outdir)
        # The sidecar's client file names the password file by its path in the container.
        for client_file in outdir.rglob(PROMETHEUS_CLIENT_FILE):
            client_file.write_text(client_file.read_text().replace("/etc/monstack", str(outdir / "prometheus")))
        stack = ThanosStack(group=group, workdir=workdir, bucket=bucket, run=run, ports=ports)

        prom_config = outdir / "prometheus"
        for i, replica in enumerate(REPLICAS):
            data = stack.data_dir(replica)
            data.mkdir(parents=True)
            stack.argv[replica] = [str(PROMETHEUS), *_moved(
                plan_args(run, "prometheus"), prom_config,
                {"--storage.tsdb.path": str(data),
                 "--storage.tsdb.delay-compact-file.path": str(data / "thanos.shipper.json")}),
                f"--web.listen-address=127.0.0.1:{ports[replica]}"]
            stack.argv[f"sidecar-{i}"] = [str(THANOS), *_moved(
                plan_args(run, "thanos-sidecar"), prom_config,
                {"--tsdb.path": str(data), "--prometheus.url": f"http://127.0.0.1:{ports[replica]}",
                 "--http-address": f"127.0.0.1:{ports[f'sidecar-{i}-http']}",
                 "--grpc-address": f"127.0.0.1:{ports[f'sidecar-{i}-grpc']}"})]
        for name in ("thanos-store", "thanos-compactor"):
            data = stack.data_dir(name)
            data.mkdir(parents=True)
            grpc = {"--grpc-address": f"127.0.0.1:{ports[name + '-grpc']}"} if name == "thanos-store" else {}
            stack.argv[name] = [str(THANOS), *_moved(
                plan_args(run, name), outdir / "thanos" / name.removeprefix("thanos-"),
                {"--data-dir": str(data), "--http-address": f"127.0.0.1:{ports[name]}", **grpc})]
        stack.argv["thanos-store"].append("--sync-block-duration=5s")  # the one test-speed flag
        # Two replicas where the Docker plan has one: the endpoint file lists both sidecars.
        (outdir / "thanos" / "query" / ENDPOINTS_FILE).write_text(endpoints_config(
            [f"127.0.0.1:{ports[p]}" for p in ("sidecar-0-grpc", "sidecar-1-grpc", "thanos-store-grpc")]))
        stack.argv["thanos-query"] = [str(THANOS), *_moved(
            plan_args(run, "thanos-query"), outdir / "thanos" / "query",
            {"--http-address": f"127.0.0.1:{ports['thanos-query']}",
             "--grpc-address": f"127.0.0.1:{ports['thanos-query-grpc']}"})]
        stack.argv["node"] = ["prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{ports['node']}",
                              "--no-collector.systemd"]

        log("starting Prometheus replicas, sidecars, store gateway, compactor and Query")
        for name in ("node", *REPLICAS, "sidecar-0", "sidecar-1", "thanos-store", "thanos-compactor", "thanos-query"):
            stack.start(name)
        for name, base in (("prometheus-0", stack.url("prometheus-0")), ("prometheus-1", stack.url("prometheus-1")),
                           ("thanos-store", stack.url("thanos-store")), ("thanos-query", stack.url("thanos-query"))):
            def ready(name: str = name, base: str = base) -> bool:
                group.check_alive(name)
                return http_get(f"{base}/-/ready", stack.auth)[0] == 200

            wait_for(ready, name, seconds=90)
        wait_for(lambda: len(stack.api("thanos-query", "/api/v1/stores").get("sidecar", [])) == 2, "Query sees both sidecars",
                 seconds=60)
        return stack
    except BaseException:
        group.stop_all()
        raise


def wait_until(check: Callable[[], Any], what: str, seconds: float) -> Any:
    """wait_for with a longer poll: the suite waits on minutes-long events (blocks, alerts)."""
    return wait_for(check, what, seconds=seconds, every=1.0)


def break_bucket(bucket: Path) -> Path:
    """Make the bucket unusable, even for root (who ignores permissions): the directory moves
    aside and a symbolic link to itself takes its path, so every access fails with "too many
    levels of symbolic links" (a plain file would read as an empty bucket)."""
    aside = bucket.with_name(bucket.name + ".aside")
    bucket.rename(aside)
    bucket.symlink_to(bucket)
    return aside


def restore_bucket(bucket: Path, aside: Path) -> None:
    bucket.unlink()
    aside.rename(bucket)
