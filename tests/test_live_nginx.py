"""The nginx integration live: Debian's nginx in front of an upstream, watched by Debian's
prometheus-nginx-exporter and mtail with the arguments and program the program renders, scraped
by the pinned Prometheus with the rendered rules. Real 500s through the proxy fire
NginxHigh5xxRatio; steady 200s keep it quiet; every panel of the nginx dashboard returns
series; stopping nginx fires NginxUnreachable."""

from __future__ import annotations

import json
import threading
import time

import pytest

from harness.live.nginx import start_live_nginx
from harness.live.processes import wait_for
from harness.panel_queries import fault_of, runnable

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    stack = start_live_nginx(tmp_path_factory.mktemp("nginx"))
    try:
        yield stack
    finally:
        stack.stop()


def firing(live, name: str) -> set[str]:
    """Severities of `name` firing now."""
    return {r["metric"]["severity"] for r in live.lone.query(f'ALERTS{{alertname="{name}",alertstate="firing"}}')}


def traffic(live, paths: list[str], seconds: float, stop: threading.Event | None = None) -> None:
    """Requests through the proxy, cycling over `paths`, for `seconds` (about 25 a second) or
    until `stop` is set."""
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline and not (stop and stop.is_set()):
        live.hit(paths[i % len(paths)])
        i += 1
        time.sleep(0.04)


def test_both_jobs_up_and_rules_healthy(live):
    def up():
        targets = live.lone.api("/api/v1/targets")["activeTargets"]
        jobs = {t["labels"]["job"]: t["health"] for t in targets}
        return jobs.get("nginx") == "up" and jobs.get("nginx-log") == "up"

    wait_for(up, "nginx and nginx-log targets up", seconds=30)
    assert [float(r["value"][1]) for r in live.lone.query('nginx_up{job="nginx"}')] == [1.0]
    groups = wait_for(lambda: [g for g in live.lone.api("/api/v1/rules")["groups"] if g["name"].startswith("nginx")
                               and g["lastEvaluation"] != "0001-01-01T00:00:00Z"], "nginx rule groups evaluated", 20)
    assert {g["name"] for g in groups} == {"nginx", "nginx-recording"}
    for group in groups:
        for rule in group["rules"]:
            assert rule["health"] == "ok", (rule["name"], rule.get("lastError"))


def test_200s_keep_the_5xx_alert_quiet_and_500s_fire_it(live):
    traffic(live, ["/", "/clips", "/"], 8)
    ratio = live.lone.query('instance:nginx_http_responses_5xx:ratio_rate5m{job="nginx-log"}')
    assert ratio and float(ratio[0]["value"][1]) == 0.0, ratio
    assert not live.lone.query('ALERTS{alertname="NginxHigh5xxRatio"}')
    # One request in two fails: past the warning (5%) and the critical (20%) share.
    stop = threading.Event()
    background = threading.Thread(target=traffic, args=(live, ["/", "/fail"], 40, stop), daemon=True)
    background.start()
    started = time.monotonic()
    try:
        wait_for(lambda: firing(live, "NginxHigh5xxRatio") == {"warning", "critical"},
                 "NginxHigh5xxRatio firing at both severities", 40)
        print(f"NginxHigh5xxRatio firing {time.monotonic() - started:.1f}s after the first 500s (for: 4s, scrape 2s)")
    finally:
        stop.set()
        background.join()
    codes = {r["metric"]["code"] for r in live.lone.query('nginx_http_responses_total{job="nginx-log"}')}
    assert {"200", "500"} <= codes
    assert live.lone.query('nginx_access_log_unparsed_lines_total{job="nginx-log"}')[0]["value"][1] == "0"


def test_every_nginx_dashboard_panel_returns_series(live):
    """Every query of the nginx dashboard, its variables set to match all, returns series once
    traffic has flowed (the 5xx share included)."""
    traffic(live, ["/", "/fail", "/"], 5)
    (path,) = (live.lone.outdir / "grafana" / "dashboards").rglob("monstack-nginx.json")
    model = json.loads(path.read_text())
    checked, empty = 0, []
    for panel in model["panels"]:
        for target in panel.get("targets", []):
            assert not fault_of(panel.get("description", "")), panel["title"]
            checked += 1
            if not live.lone.query(runnable(target["expr"], rate_interval="30s")):
                empty.append(f'{panel["title"]}: {target["expr"][:140]}')
    assert checked >= 14
    assert not empty, "queries with no series:\n" + "\n".join(empty)


def test_stopping_nginx_fires_unreachable(live):
    live.lone.group.stop("nginx")
    started = time.monotonic()
    wait_for(lambda: firing(live, "NginxUnreachable") == {"critical"}, "NginxUnreachable firing", 40)
    print(f"NginxUnreachable firing {time.monotonic() - started:.1f}s after nginx stopped (for: 4s, scrape 2s)")
    # The exporter itself still answers: the target-down alert stays quiet.
    assert not firing(live, "NginxDown")
