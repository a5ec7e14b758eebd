"""Cardinality limits in a real Prometheus (the pinned build), from the configuration the program
renders: an application over its job's `sampleLimit` is refused and `ScrapeSampleLimitHit` fires
naming its job, while an application under its limit is scraped, even one that sends no
Content-Type (Prometheus 3 fails those unless the job names a fallback protocol, which the
applications' jobs do)."""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness.cardinality.generator import shard_sizes
from harness.live.processes import free_port, wait_for
from harness.live.prometheus_only import start_prometheus
from tests.conftest import ROOT

pytestmark = pytest.mark.live

NOISY, PLAIN = "noisy-app", "plain-app"
NOISY_SERIES, NOISY_LIMIT = 500, 100


class NoContentType(BaseHTTPRequestHandler):
    """A target as some application frameworks serve it: text metrics and no Content-Type."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = b"plain_app_up 1\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("limits")
    noisy_port, plain_port = free_port(), free_port()
    plain = ThreadingHTTPServer(("127.0.0.1", plain_port), NoContentType)
    threading.Thread(target=plain.serve_forever, daemon=True).start()

    def change(config):
        config["prometheus"] = {**config["prometheus"], "scrapeInterval": "2s", "scrapeTimeout": "2s",
                                "evaluationInterval": "2s", "selfScrapeInterval": "2s",
                                "jobLimits": {NOISY: {"sampleLimit": NOISY_LIMIT}}}
        config["exporters"] = {}
        config["applications"] = [{"name": NOISY, "targets": [f"127.0.0.1:{noisy_port}"]},
                                  {"name": PLAIN, "targets": [f"127.0.0.1:{plain_port}"]}]
        return config

    lone = start_prometheus(workdir, change)
    try:
        lone.group.start("generator", [sys.executable, "-m", "harness.cardinality.generator", "--series",
                                       str(NOISY_SERIES), "--per-target", str(NOISY_SERIES), str(noisy_port)], cwd=ROOT)
        yield lone
    finally:
        lone.stop()
        plain.shutdown()
        plain.server_close()


def _target(lone, job: str) -> dict:
    """The job's target, or {} while discovery has not listed it yet."""
    return next((t for t in lone.api("/api/v1/targets?state=active")["activeTargets"] if t["labels"]["job"] == job), {})


def test_the_rendered_limit_is_what_prometheus_runs(limited):
    config = limited.api("/api/v1/status/config")["yaml"]
    assert f"sample_limit: {NOISY_LIMIT}\n" in config and "extra_scrape_metrics: true" in config


def test_a_job_over_its_sample_limit_is_refused(limited):
    # (Until the generator listens, the target is down for another reason: wait for this one.)
    target = wait_for(lambda: "sample limit" in (t := _target(limited, NOISY)).get("lastError", "") and t,
                      "noisy target refused for its sample limit", 60)
    assert target["health"] == "down"
    assert limited.query(f'up{{job="{NOISY}"}}')[0]["value"][1] == "0"
    assert limited.query(f'scrape_sample_limit{{job="{NOISY}"}}')[0]["value"][1] == str(NOISY_LIMIT)
    # Nothing of the refused scrape reached the TSDB.
    assert limited.query(f'count(clip_job_latency_seconds_bucket{{job="{NOISY}"}})') == []
    assert shard_sizes(NOISY_SERIES, NOISY_SERIES) == [494]


def test_the_limit_alert_fires_for_that_job(limited):
    def firing():
        return [a for a in limited.api("/api/v1/alerts")["alerts"]
                if a["labels"]["alertname"] == "ScrapeSampleLimitHit" and a["state"] == "firing"]

    [alert] = wait_for(firing, "ScrapeSampleLimitHit firing", 60)
    assert alert["labels"]["job"] == NOISY and alert["labels"]["severity"] == "warning"
    assert alert["annotations"]["runbook_url"].endswith("/cardinality.md")
    assert float(alert["value"]) > NOISY_LIMIT


def test_a_job_under_its_limit_is_scraped_without_content_type(limited):
    target = wait_for(lambda: (t := _target(limited, PLAIN)).get("health") == "up" and t, "plain target up", 60)
    assert target["lastError"] == ""
    assert limited.query(f'plain_app_up{{job="{PLAIN}"}}')[0]["value"][1] == "1"
