"""nginx as the application's reverse proxy, run for real on loopback with the nginx integration
of the dev stack watching it: Debian's nginx in front of a small upstream (200 on most paths,
500 on /fail), Debian's prometheus-nginx-exporter on its stub_status, and Debian's mtail on
its access log, both started with the arguments and the mtail program the program renders, and
the pinned Prometheus with the rendered rules. Every process is stopped by its pid.

Unprivileged: as root, nginx and the upstream run as nobody through setpriv (which execs in
place, so the pid the group holds is the process's own)."""

from __future__ import annotations

import os
import shutil
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from content.integrations.nginx import LOG_MOUNT, MTAIL_PORT
from content.workload import CONFIG_DIR
from harness.live.processes import free_port, http_get, wait_for
from harness.live.prometheus_only import LonePrometheus, start_prometheus
from harness.live.stack import plan_args, rewrite_paths

ROOT = Path(__file__).resolve().parents[2]
# worker_processes × worker_connections of the nginx below: what `maxConnections` says.
WORKERS, WORKER_CONNECTIONS = 1, 64
FAST_FOR = "4s"


@dataclass
class LiveNginx:
    lone: LonePrometheus
    proxy: str  # http://127.0.0.1:<port> of nginx's proxy listener
    access_log: Path

    def hit(self, path: str) -> int:
        try:
            with urllib.request.urlopen(f"{self.proxy}{path}", timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def stop(self) -> None:
        self.lone.stop()


class Upstream(BaseHTTPRequestHandler):
    """The application behind the proxy: 500 on /fail, 200 elsewhere."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        code = 500 if self.path.startswith("/fail") else 200
        body = b"fail\n" if code == 500 else b"ok\n"
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        pass


def nginx_conf(base: Path, proxy_port: int, status_port: int, upstream_port: int) -> str:
    return f"""
worker_processes {WORKERS};
pid {base}/nginx.pid;
error_log stderr notice;
events {{ worker_connections {WORKER_CONNECTIONS}; }}
http {{
    access_log {base}/logs/access.log combined;
    client_body_temp_path {base}/tmp/body;
    proxy_temp_path {base}/tmp/proxy;
    fastcgi_temp_path {base}/tmp/fastcgi;
    uwsgi_temp_path {base}/tmp/uwsgi;
    scgi_temp_path {base}/tmp/scgi;
    upstream app {{ server 127.0.0.1:{upstream_port}; }}
    server {{
        listen 127.0.0.1:{proxy_port};
        location / {{ proxy_pass http://app; }}
    }}
    server {{
        listen 127.0.0.1:{status_port};
        access_log off;
        location = /stub_status {{ stub_status; }}
    }}
}}
"""


def _as_nobody(base: Path) -> list[str]:
    if os.geteuid() != 0:
        return []
    for path in (base, *base.rglob("*")):
        shutil.chown(path, "nobody", "nogroup")
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def start_live_nginx(workdir: Path) -> LiveNginx:
    """nginx, its upstream, the exporter, mtail and Prometheus; stop them with `.stop()`."""
    ports = {name: free_port() for name in ("proxy", "status", "upstream", "exporter", "mtail")}
    # Under /tmp: a root-only pytest directory would be out of nobody's reach.
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="monstack-nginx-"))
    base.chmod(0o755)
    for sub in ("logs", "tmp"):
        (base / sub).mkdir()
    access_log = base / "logs" / "access.log"

    def change(config: dict[str, Any]) -> dict[str, Any]:
        config["prometheus"] = {**config["prometheus"], "scrapeInterval": "2s", "scrapeTimeout": "2s",
                                "evaluationInterval": "2s", "selfScrapeInterval": "2s"}
        config["exporters"] = {"nginx": {"enabled": True, "address": f"127.0.0.1:{ports['status']}",
                                         "maxConnections": WORKERS * WORKER_CONNECTIONS,
                                         "accessLog": str(access_log)}}
        config["alertOverrides"] = [{"alert": name, "severity": severity, "for": FAST_FOR}
                                    for name, severity in (("NginxHigh5xxRatio", "warning"),
                                                           ("NginxHigh5xxRatio", "critical"),
                                                           ("NginxUnreachable", "critical"))]
        config["targetOverrides"] = {"nginx-exporter:9113": f"127.0.0.1:{ports['exporter']}",
                                     f"nginx-exporter:{MTAIL_PORT}": f"127.0.0.1:{ports['mtail']}"}
        return config

    lone = start_prometheus(workdir, change)
    group = lone.group
    group.cleanup_dirs.append(base)
    try:
        (base / "nginx.conf").write_text(nginx_conf(base, ports["proxy"], ports["status"], ports["upstream"]))
        nobody = _as_nobody(base)
        group.start("upstream", [*nobody, sys.executable, "-m", "harness.live.nginx", str(ports["upstream"])], cwd=ROOT)
        group.start("nginx", [*nobody, "nginx", "-p", str(base), "-c", str(base / "nginx.conf"), "-e", "stderr",
                              "-g", "daemon off;"])
        wait_for(lambda: http_get(f"http://127.0.0.1:{ports['status']}/stub_status")[0] == 200, "nginx")

        # The plan's own arguments; only the listen addresses and the paths of a container differ.
        exporter_dir = lone.outdir / "exporters" / "nginx"
        group.start("nginx-exporter", ["prometheus-nginx-exporter", *plan_args(lone.run, "nginx-exporter"),
                                       f"--web.listen-address=127.0.0.1:{ports['exporter']}"])
        mtail_args = [a.replace(LOG_MOUNT, str(access_log.parent))
                      for a in rewrite_paths(plan_args(lone.run, "nginx-mtail"), exporter_dir)]
        mtail_args = [str(ports["mtail"]) if a == str(MTAIL_PORT) else a for a in mtail_args]
        # Debian's mtail polls the log (the container's would too on a bind mount it cannot watch).
        group.start("nginx-mtail", ["mtail", *mtail_args, "-address", "127.0.0.1", "-poll_interval", "250ms"])
        for name in ("exporter", "mtail"):
            wait_for(lambda name=name: http_get(f"http://127.0.0.1:{ports[name]}/metrics")[0] == 200, name)
    except BaseException:
        lone.stop()
        raise
    assert CONFIG_DIR not in " ".join(group.processes["nginx-mtail"].argv)
    return LiveNginx(lone, f"http://127.0.0.1:{ports['proxy']}", access_log)


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Upstream).serve_forever()
