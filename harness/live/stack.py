"""The dev stack, run for real on loopback.

The program runs under mocks with the dev stack file plus live settings (short intervals,
the backends' real addresses, `targetOverrides` that move every scrape target to its
process's free port, webhook receivers on a local sink). Prometheus and Alertmanager start
from the rendered bundle with the plan's own arguments; only their file paths and listen
addresses differ from a container's. Prometheus and Alertmanager are the pinned builds
(harness.tools); exporters and backends come from Debian's packages.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from harness.live import backends
from harness.live.bundle import dev_stack_config, render_dev_bundle
from harness.live.processes import ProcessGroup, free_port, http_get, wait_for
from harness.live.webhook_sink import WebhookSink
from harness.program import ProgramRun
from harness.tools import tool

WEB_USER = "admin"
SECRETS = {
    "webPassword": "live-web-password",
    "grafanaAdminPassword": "live-grafana-password",
    "grafanaSecretKey": "live-grafana-secret-key-0123456789abcdef",
    "postgresPassword": "monitor-pw",
    "mysqlPassword": "exporter-pw",
}
APP = "meme-maker-backend"
# Business thresholds of the live stack: low and quick, so a test crosses them in seconds.
QUEUE_WARNING, QUEUE_CRITICAL = 5, 10
FAST_FOR = "4s"


@dataclass
class LiveStack:
    group: ProcessGroup
    outdir: Path
    run: ProgramRun
    config: dict[str, Any]
    prometheus: str
    alertmanager: str
    app: str
    sink: WebhookSink
    backends: dict[str, backends.Backend]
    exporter_ports: dict[str, int] = field(default_factory=dict)
    prometheus_argv: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    @property
    def auth(self) -> tuple[str, str]:
        return WEB_USER, SECRETS["webPassword"]

    def query(self, promql: str) -> list[dict[str, Any]]:
        from urllib.parse import quote

        status, body = http_get(f"{self.prometheus}/api/v1/query?query={quote(promql)}", self.auth)
        payload = json.loads(body)
        if status != 200 or payload.get("status") != "success":
            raise ValueError(f"query {promql!r} failed: {payload.get('error', status)}")
        return payload["data"]["result"]

    def api(self, path: str) -> Any:
        status, body = http_get(f"{self.prometheus}{path}", self.auth)
        assert status == 200, f"{path}: HTTP {status}"
        return json.loads(body)["data"]

    def control_app(self, **values: float) -> None:
        import urllib.request

        request = urllib.request.Request(f"{self.app}/control", data=json.dumps(values).encode(), method="POST")
        urllib.request.urlopen(request, timeout=5).close()

    def restart_prometheus(self) -> None:
        self.group.stop("prometheus")
        self.group.start("prometheus", self.prometheus_argv)
        wait_for(lambda: http_get(f"{self.prometheus}/-/ready", self.auth)[0] == 200, "prometheus after restart")

    def stop(self) -> None:
        self.sink.stop()
        backends.stop_rabbitmq(self.group)
        self.group.stop_all()


def live_config(stack_config: dict[str, Any], ports: dict[str, int], found: dict[str, backends.Backend],
                sink_port: int) -> dict[str, Any]:
    """The dev stack's config, pointed at loopback processes and tuned for seconds, not minutes."""
    config = dict(stack_config)
    config["generateSecrets"] = False
    config["prometheus"] = {**config["prometheus"], "scrapeInterval": "2s", "scrapeTimeout": "2s",
                            "evaluationInterval": "2s", "selfScrapeInterval": "2s"}
    config["alertmanager"] = {**config["alertmanager"], "groupWait": "1s", "groupInterval": "2s", "repeatInterval": "1h"}
    config["exporters"] = {
        "node": {"enabled": True},
        "redis": {"enabled": True, "address": found["redis"].address},
        "postgres": {"enabled": True, "address": found["postgres"].address, "user": found["postgres"].user,
                     "passwordSecret": "postgresPassword"},
        "mysql": {"enabled": True, "address": found["mariadb"].address, "user": found["mariadb"].user,
                  "passwordSecret": "mysqlPassword"},
        "blackbox": {"enabled": True, "targets": [f"http://127.0.0.1:{ports['app']}/metrics"]},
    }
    if "rabbitmq" in found:
        config["exporters"]["rabbitmq"] = {"enabled": True, "targets": [found["rabbitmq"].address]}
    app = dict(config["applications"][0])
    app.update({
        "targets": [f"127.0.0.1:{ports['app']}"], "scrapeInterval": "2s", "scrapeTimeout": "2s",
        "queue": {**app["queue"], "warning": {"above": QUEUE_WARNING, "for": FAST_FOR},
                  "critical": {"above": QUEUE_CRITICAL, "for": FAST_FOR}},
        "latency": {**app["latency"], "window": "30s", "warning": {"above": 60, "for": FAST_FOR}},
        "errors": {"histogram": "clip_job_latency_seconds", "statusLabel": "status", "errorValue": "error",
                   "window": "30s", "critical": {"above": 0.05, "for": FAST_FOR}},
    })
    config["applications"] = [app]
    sink = f"http://127.0.0.1:{sink_port}"
    config["alerting"] = {
        "receivers": [{"name": "chat", "type": "webhook", "url": f"{sink}/chat"},
                      {"name": "pager", "type": "webhook", "url": f"{sink}/pager"}],
        "routing": {"default": "chat", "critical": "pager", "warning": "chat"},
    }
    config["alertOverrides"] = [{"alert": "RedisUnreachable", "for": FAST_FOR}]
    config["targetOverrides"] = {
        "localhost:9090": f"127.0.0.1:{ports['prometheus']}",
        "alertmanager:9093": f"127.0.0.1:{ports['alertmanager']}",
        **{f"{name}-exporter:{internal}": f"127.0.0.1:{ports[name]}" for name, internal in
           (("node", 9100), ("redis", 9121), ("postgres", 9187), ("mysql", 9104), ("blackbox", 9115))},
    }
    return config


def rewrite_paths(argv: list[str], config_dir: Path) -> list[str]:
    """A container's arguments with its config directory moved to `config_dir`."""
    return [a.replace("/etc/monstack", str(config_dir)) for a in argv]


def plan_args(run: ProgramRun, service: str) -> list[str]:
    """The command line the program gives `service`'s container."""
    from harness.mocks import unwrap

    for record in run.records:
        if record.type == "docker:index/container:Container":
            inputs = unwrap(record.inputs)
            labels = {item["label"]: item["value"] for item in inputs["labels"]}
            if labels["monstack.service"] == service:
                return list(inputs.get("command") or [])
    raise KeyError(service)


def _exporter_commands(outdir: Path, run: ProgramRun, ports: dict[str, int],
                       found: dict[str, backends.Backend]) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Debian's exporter builds are older than the pinned images: each gets the plan's arguments
    it understands (and the same rendered files), plus a loopback listen address."""
    def listen(name: str) -> str:
        return f"--web.listen-address=127.0.0.1:{ports[name]}"

    exporters = outdir / "exporters"
    return {
        "node": (["prometheus-node-exporter", listen("node"), "--no-collector.systemd"], {}),
        "redis": (["prometheus-redis-exporter", listen("redis"),
                   *[a for a in plan_args(run, "redis-exporter") if a.startswith("--redis.addr")]], {}),
        "postgres": (["prometheus-postgres-exporter", listen("postgres")], {
            "DATA_SOURCE_URI": f"{found['postgres'].address}/postgres?sslmode=disable",
            "DATA_SOURCE_USER": found["postgres"].user,
            "DATA_SOURCE_PASS_FILE": str(exporters / "postgres" / "secrets" / "password"),
        }),
        "mysql": (["prometheus-mysqld-exporter", listen("mysql"),
                   f"--config.my-cnf={exporters / 'mysql' / 'secrets' / 'my.cnf'}"], {}),
        "blackbox": (["prometheus-blackbox-exporter", listen("blackbox"),
                      *rewrite_paths(plan_args(run, "blackbox-exporter"), exporters / "blackbox")], {}),
    }


def start_live_stack(workdir: Path, log: Callable[[str], None] = lambda _m: None,
                     with_rabbitmq: bool = True) -> LiveStack:
    """Start everything; on any failure, stop what was started and re-raise."""
    group = ProcessGroup(workdir)
    sink: Optional[WebhookSink] = None
    try:
        log("starting backends")
        found = {"redis": backends.start_redis(group), "postgres": backends.start_postgres(group),
                 "mariadb": backends.start_mariadb(group)}
        if with_rabbitmq:
            found["rabbitmq"] = backends.start_rabbitmq(group)
        ports = {name: free_port() for name in ("app", "prometheus", "alertmanager", "node", "redis", "postgres",
                                                "mysql", "blackbox")}
        sink = WebhookSink(free_port()).start()
        config = live_config(dev_stack_config(), ports, found, sink.port)
        log("rendering the dev stack")
        outdir = workdir / "bundle"
        run = render_dev_bundle(config, SECRETS, outdir)

        log("starting the application stand-in and exporters")
        group.start("app", [sys.executable, "-m", "harness.live.app_standin", str(ports["app"])],
                    cwd=Path(__file__).resolve().parents[2])
        for name, (argv, env) in _exporter_commands(outdir, run, ports, found).items():
            group.start(f"{name}-exporter", argv, env=env)

        log("starting Alertmanager and Prometheus")
        am_argv = [tool("alertmanager"),
                   *rewrite_paths(plan_args(run, "alertmanager"), outdir / "alertmanager"),
                   f"--web.listen-address=127.0.0.1:{ports['alertmanager']}"]
        am_argv = [a if not a.startswith("--storage.path=") else f"--storage.path={workdir / 'alertmanager-data'}"
                   for a in am_argv]
        group.start("alertmanager", am_argv)
        prom_argv = [tool("prometheus"),
                     *rewrite_paths(plan_args(run, "prometheus"), outdir / "prometheus"),
                     f"--web.listen-address=127.0.0.1:{ports['prometheus']}",
                     # The first notification otherwise waits a minute (resend delay) after start.
                     "--rules.alert.resend-delay=1s"]
        prom_argv = [a if not a.startswith("--storage.tsdb.path=") else f"--storage.tsdb.path={workdir / 'prometheus-data'}"
                     for a in prom_argv]
        group.start("prometheus", prom_argv)
        live = LiveStack(group=group, outdir=outdir, run=run, config=config,
                         prometheus=f"http://127.0.0.1:{ports['prometheus']}",
                         alertmanager=f"http://127.0.0.1:{ports['alertmanager']}",
                         app=f"http://127.0.0.1:{ports['app']}", sink=sink, backends=found,
                         exporter_ports={k: ports[k] for k in ("node", "redis", "postgres", "mysql", "blackbox")},
                         prometheus_argv=prom_argv)
        for name in ("alertmanager", "prometheus"):
            base = getattr(live, name)

            def ready(base: str = base, name: str = name) -> bool:
                group.check_alive(name)
                return http_get(f"{base}/-/ready", live.auth)[0] == 200

            wait_for(ready, name)
        return live
    except BaseException:
        if sink:
            sink.stop()
        backends.stop_rabbitmq(group)
        group.stop_all()
        raise
