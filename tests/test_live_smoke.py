"""The dev bundle loaded by the real Prometheus and Alertmanager binaries (Debian's), on
loopback: basic auth in front of both, every rule file loaded, Prometheus reaches
Alertmanager through the generated alerting config. Processes are stopped by their pid."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from harness.preview import main as preview
from harness.stackfile import placeholder

AM_DEFAULT_TEMPLATE = Path("/usr/share/prometheus/alertmanager/default.tmpl")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, user: str | None = None, password: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if user is not None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_ready(url: str, user: str, password: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"process exited: {process.stderr.read().decode()[-2000:]}"
        try:
            if get(url, user, password)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} not ready after {seconds}s")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    prometheus_bin = shutil.which("prometheus")
    # Debian names the binary prometheus-alertmanager; upstream tarballs name it alertmanager.
    alertmanager_bin = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    assert prometheus_bin and alertmanager_bin, "prometheus or alertmanager is not installed: run scripts/setup"
    root = tmp_path_factory.mktemp("live")
    outdir = root / "out"
    # dev generates its secrets; give it a known web password so the test can log in.
    stack_file = root / "Pulumi.dev.yaml"
    stack_file.write_text((Path(__file__).parent.parent / "Pulumi.dev.yaml").read_text().replace(
        "monstack:generateSecrets: true", "monstack:generateSecrets: false"))
    assert preview(["dev", str(outdir), "--stack-file", str(stack_file), "--quiet"]) == 0
    password = placeholder("webPassword")
    # The bundle's password file is masked; the live processes need the real (placeholder) value.
    for service in ("prometheus", "alertmanager"):
        (outdir / service / "secrets" / "web-password").write_text(password)
    am_port, prom_port = free_port(), free_port()
    prom_yml = outdir / "prometheus" / "prometheus.yml"
    # Only the address changes: Alertmanager listens on a free loopback port here.
    prom_yml.write_text(prom_yml.read_text().replace("alertmanager:9093", f"127.0.0.1:{am_port}"))
    processes = []
    try:
        am = subprocess.Popen([
            alertmanager_bin, f"--config.file={outdir}/alertmanager/alertmanager.yml",
            f"--web.config.file={outdir}/alertmanager/web.yml", f"--storage.path={root}/am-data",
            f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address=",
        ], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=root)
        processes.append(am)
        prom = subprocess.Popen([
            prometheus_bin, f"--config.file={prom_yml}", f"--web.config.file={outdir}/prometheus/web.yml",
            f"--storage.tsdb.path={root}/prom-data", f"--web.listen-address=127.0.0.1:{prom_port}",
            "--rules.alert.resend-delay=1s",
        ], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=root)
        processes.append(prom)
        wait_ready(f"http://127.0.0.1:{am_port}/-/ready", "admin", password, am)
        wait_ready(f"http://127.0.0.1:{prom_port}/-/ready", "admin", password, prom)
        yield {"prom": f"http://127.0.0.1:{prom_port}", "am": f"http://127.0.0.1:{am_port}",
               "password": password, "outdir": outdir}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_basic_auth_guards_both(live):
    for base in (live["prom"], live["am"]):
        assert get(f"{base}/-/healthy")[0] == 401
        assert get(f"{base}/-/healthy", "admin", "wrong")[0] == 401
        assert get(f"{base}/-/healthy", "admin", live["password"])[0] == 200


def test_every_rule_file_loaded_and_healthy(live):
    status, body = get(f"{live['prom']}/api/v1/rules", "admin", live["password"])
    assert status == 200
    groups = json.loads(body)["data"]["groups"]
    files = sorted((live["outdir"] / "prometheus" / "rules").glob("*.yml"))
    assert {Path(g["file"]).name for g in groups} == {f.name for f in files}
    for group in groups:
        for rule in group["rules"]:
            assert rule["health"] in ("ok", "unknown"), rule


def test_prometheus_reaches_alertmanager(live):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body = json.loads(get(f"{live['prom']}/api/v1/alertmanagers", "admin", live["password"])[1])
        if body["data"]["activeAlertmanagers"]:
            break
        time.sleep(0.5)
    assert body["data"]["activeAlertmanagers"], body
    # The always-firing Watchdog arrives in Alertmanager with the stack's external labels.
    deadline = time.monotonic() + 60
    alerts = []
    while time.monotonic() < deadline and not alerts:
        alerts = json.loads(get(f"{live['am']}/api/v2/alerts?filter=alertname%3DWatchdog", "admin", live["password"])[1])
        time.sleep(1)
    assert alerts, "Watchdog never reached Alertmanager"
    labels = alerts[0]["labels"]
    assert labels["environment"] == "dev" and labels["cluster"] == "meme-maker-development"


def test_dashboard_queries_run_against_the_live_prometheus(live):
    """Every panel query of the dev dashboards is accepted by the real Prometheus, and the
    environment/cluster variables find values on this single, local Prometheus (the target
    labels set by relabeling, not only the external labels)."""
    import re
    import urllib.parse

    from tests.test_dashboards import _check_expr

    def query(expr: str) -> dict:
        url = f"{live['prom']}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        status, body = get(url, "admin", live["password"])
        assert status == 200, f"{expr}: {body[:300]!r}"
        return json.loads(body)["data"]

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not query('up{environment="dev",cluster="meme-maker-development"}')["result"]:
        time.sleep(1)
    assert query('up{environment="dev",cluster="meme-maker-development"}')["result"], "no series carries the stack labels"
    files = sorted((live["outdir"] / "grafana" / "dashboards").rglob("*.json"))
    assert len(files) == 6
    checked = 0
    for path in files:
        model = json.loads(path.read_text())
        for panel in model["panels"]:
            for target in panel.get("targets", []):
                query(_check_expr(target["expr"]))
                checked += 1
        for variable in model["templating"]["list"]:
            match = re.fullmatch(r"label_values\((.*), *(\w+)\)", variable.get("query") or "")
            if match and variable["name"] in ("environment", "cluster"):
                found = {s["metric"].get(match.group(2)) for s in query(_check_expr(match.group(1)))["result"]}
                assert found & {"dev", "meme-maker-development"}, (path.name, variable["name"], found)
    assert checked > 80
    alerts = json.loads((live["outdir"] / "grafana/dashboards/Platform/monstack-alerts.json").read_text())
    firing = next(p for p in alerts["panels"] if p.get("title") == "Firing by severity")["targets"][0]["expr"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not query(_check_expr(firing))["result"]:
        time.sleep(1)
    assert query(_check_expr(firing))["result"], "the Watchdog should show on the alerts overview"
