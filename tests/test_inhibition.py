"""The generated inhibition rules hide what they claim, in a real Alertmanager (Debian's 0.25).

Prod's alertmanager.yml, with its secret files present, runs on a free loopback port without
clustering; alerts are posted with API v2 and /api/v2/alerts says which are inhibited.
Notifications fail (no Slack from here), which inhibition does not depend on. About 2 s.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request

import pytest

from content.alertmanager import receiver_secret_keys
from content.topology import Topology
from content.workload import CONFIG_DIR
from harness.live.processes import free_port, http_get, wait_for
from harness.tools import tool
from tests.test_routing import config_of, settings_of

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory):
    binary = tool("alertmanager")
    settings = settings_of("prod")
    root = tmp_path_factory.mktemp("inhibit")
    (root / "secrets").mkdir()
    for key in receiver_secret_keys(settings.alerting.receivers):
        (root / "secrets" / key).write_text("https://hooks.invalid/x" if "Url" in key else "not-a-real-credential")
    config = root / "alertmanager.yml"
    config.write_text(config_of(settings).replace(f"{CONFIG_DIR}/", f"{root}/"))
    port = free_port()
    process = subprocess.Popen([
        binary, f"--config.file={config}", f"--storage.path={root}/data",
        f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
    ], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=root)
    try:
        def ready() -> bool:
            assert process.poll() is None, f"alertmanager exited: {process.stderr.read().decode()[-2000:]}"
            return http_get(f"http://127.0.0.1:{port}/-/ready")[0] == 200

        wait_for(ready, "alertmanager", seconds=30)
        yield settings, f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def post_alerts(base: str, alerts: list[dict[str, str]]) -> None:
    body = json.dumps([{"labels": labels, "annotations": {"summary": "inhibition test"}} for labels in alerts])
    request = urllib.request.Request(f"{base}/api/v2/alerts", data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def test_inhibition_rules_hide_what_they_claim(alertmanager):
    settings, base = alertmanager
    common = {"cluster": settings.cluster, "environment": settings.environment}
    here, elsewhere = Topology(settings).name_prefix, "another-host"
    disk = {**common, "alertname": "HostDiskSpaceLow", "instance": "db:9100", "host": elsewhere, "service": "node"}
    cases = {
        # case -> (labels, inhibited?)
        "node-down": ({**common, "alertname": "NodeDown", "severity": "critical", "instance": "node-exporter:9100",
                       "job": "node", "service": "node", "host": here}, False),
        "redis-down-same-host": ({**common, "alertname": "RedisDown", "severity": "critical",
                                  "instance": "redis-exporter:9121", "service": "redis", "host": here}, True),
        "cpu-same-host": ({**common, "alertname": "HostHighCpuLoad", "severity": "warning",
                           "instance": "node-exporter:9100", "service": "node", "host": here}, True),
        "redis-down-other-host": ({**common, "alertname": "RedisDown", "severity": "critical",
                                   "instance": "redis-exporter:9121", "service": "redis", "host": elsewhere}, False),
        "watchdog": ({**common, "alertname": "Watchdog", "severity": "info"}, False),
        "disk-critical": ({**disk, "severity": "critical", "mountpoint": "/"}, False),
        "disk-warning-same": ({**disk, "severity": "warning", "mountpoint": "/"}, True),
        "disk-warning-other-mount": ({**disk, "severity": "warning", "mountpoint": "/data"}, False),
        "disk-warning-other-instance": ({**disk, "severity": "warning", "mountpoint": "/", "instance": "web:9100"}, False),
    }
    post_alerts(base, [{**labels, "case": name} for name, (labels, _) in cases.items()])
    expected = {name: inhibited for name, (_, inhibited) in cases.items()}
    deadline = time.monotonic() + 10
    while True:
        alerts = json.loads(http_get(f"{base}/api/v2/alerts")[1])
        seen = {a["labels"]["case"]: bool(a["status"]["inhibitedBy"]) for a in alerts}
        if seen == expected or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert seen == expected
