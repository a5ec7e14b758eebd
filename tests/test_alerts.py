"""Every generated alert is complete: severity, summary, description, a runbook that exists
in docs/runbooks with its four sections, and selectors taken from its scrape job."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.preview import bundle_files
from harness.program import run_program
from tests.conftest import ROOT, STACKS, as_config, secret_keys_of, stack_raw
from tests.matrix import EXAMPLE_SECRETS, with_every_integration

SECTIONS = ("## Meaning", "## Impact", "## Diagnosis", "## Mitigation")


@pytest.fixture(scope="module")
def alerts():
    """(stack, alert rule) for every alert of every stack, with every exporter enabled."""
    out = []
    for stack in STACKS:
        raw = stack_raw(stack)
        raw = with_every_integration(raw)
        run = run_program(stack, as_config(raw), secret_keys_of(stack) + EXAMPLE_SECRETS)
        for path, content in bundle_files(run.records).items():
            if path.startswith("prometheus/rules/"):
                for group in yaml.safe_load(content)["groups"]:
                    out += [(stack, rule) for rule in group["rules"] if "alert" in rule]
    return out


def test_alerts_are_complete(alerts):
    assert len(alerts) > 50
    for _, rule in alerts:
        assert rule["labels"]["severity"] in ("info", "warning", "critical"), rule
        annotations = rule["annotations"]
        assert annotations["summary"] and annotations["description"], rule


def test_every_runbook_exists_with_its_sections(alerts):
    pages = {Path(rule["annotations"]["runbook_url"]).name for _, rule in alerts}
    for page in sorted(pages):
        path = ROOT / "docs" / "runbooks" / page
        assert path.exists(), f"missing runbook {path.relative_to(ROOT)}"
        text = path.read_text()
        assert all(section in text for section in SECTIONS), f"{page} lacks a section"


def test_runbook_base_url_is_a_setting(raw_config):
    raw = raw_config("prod")
    raw["runbookBaseUrl"] = "https://git.example.com/ops/monstack/-/blob/main/docs/runbooks/"
    files = bundle_files(run_program("prod", as_config(raw), secret_keys_of("prod")).records)
    assert "runbook_url: https://git.example.com/ops/monstack/-/blob/main/docs/runbooks/redisdown.md" in files[
        "prometheus/rules/redis.yml"]


def test_application_thresholds_follow_the_stack(alerts):
    by_stack = {(stack, r["alert"], r["labels"]["severity"]): r for stack, r in alerts}
    assert by_stack[("dev", "MemeMakerBackendQueueDepthHigh", "warning")]["expr"].endswith("> 5")
    assert by_stack[("dev", "MemeMakerBackendQueueDepthHigh", "warning")]["for"] == "2m"
    assert ("dev", "MemeMakerBackendQueueDepthHigh", "critical") not in by_stack
    assert by_stack[("staging", "MemeMakerBackendQueueDepthHigh", "critical")]["expr"].endswith("> 25")
    assert by_stack[("prod", "MemeMakerBackendJobLatencyHigh", "warning")]["for"] == "3m"
    assert by_stack[("prod", "MemeMakerBackendJobErrorRatioHigh", "critical")]["expr"].endswith("> 0.05")
