"""promtool test rules on every alert of every stack: a case that fires it and one that keeps
it quiet, generated from each alert's fixture at the stack's own thresholds (after overrides)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from config.loader import validate
from content.alert_tests import cases, promtool_test_file
from content.plan import build_plan
from content.rules import Alert
from harness.tools import tool
from tests.conftest import STACKS, secret_keys_of, stack_raw
from tests.test_exporters import PASSWORDS, all_exporters


def plan_for(stack: str, **changes):
    raw = stack_raw(stack)
    raw["exporters"] = all_exporters(raw.get("platform", "docker"))
    raw.update({key: f"preview-placeholder-{key}" for key in PASSWORDS})
    raw.update(changes)
    settings = validate(raw, set(secret_keys_of(stack)) | set(PASSWORDS), "monstack", stack).settings
    return build_plan(settings, salt_seed="test")


def run_promtool_tests(plan, where: Path, only: str | None = None) -> subprocess.CompletedProcess:
    """promtool test rules on the plan's rule files (or just `only`, e.g. "monstack.yml")."""
    prometheus = plan.service("prometheus")
    rule_files = sorted(path for path in prometheus.files if path.startswith("rules/")
                        and (only is None or path == f"rules/{only}"))
    for path in rule_files:
        (where / path).parent.mkdir(parents=True, exist_ok=True)
        (where / path).write_text(prometheus.files[path])
    groups = [g for name, file_groups in plan.rule_groups.items() if only in (None, name) for g in file_groups]
    (where / "alerts_test.yml").write_text(promtool_test_file(rule_files, groups))
    return subprocess.run([tool("promtool"), "test", "rules", str(where / "alerts_test.yml")],
                          capture_output=True, text=True)


@pytest.mark.parametrize("stack", STACKS)
def test_every_alert_fires_and_stays_quiet_at_the_stack_thresholds(stack, tmp_path):
    plan = plan_for(stack)
    result = run_promtool_tests(plan, tmp_path)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    alerts = [a for gs in plan.rule_groups.values() for g in gs for a in g.alerts]
    assert result.stdout.count("SUCCESS") == 1
    assert len(alerts) > 30


def test_overridden_threshold_is_what_the_cases_test(tmp_path):
    overrides = [{"alert": "PrometheusNotificationsFailing", "severity": "critical", "threshold": 0.2, "for": "30m"}]
    plan = plan_for("prod", alertOverrides=overrides)
    alert = next(a for gs in plan.rule_groups.values() for g in gs for a in g.alerts
                 if a.name == "PrometheusNotificationsFailing")
    assert alert.threshold == 0.2 and alert.for_ == "30m"
    assert "> 0.2" in plan.service("prometheus").files["rules/monstack.yml"]
    assert run_promtool_tests(plan, tmp_path, only="monstack.yml").returncode == 0


def test_a_wrong_fixture_fails_promtool(tmp_path):
    """The generated check can fail: a fixture that sits below the threshold does not fire."""
    plan = plan_for("staging")
    groups = plan.rule_groups
    for file_groups in groups.values():
        for i, group in enumerate(file_groups):
            rules = tuple(
                r.replace(fixture=lambda t, fire, f=r.fixture: f(t, False)) if isinstance(r, Alert) and not r.always_fires
                else r for r in group.rules)
            file_groups[i] = group.__class__(name=group.name, rules=rules, interval=group.interval, layer=group.layer)
    result = run_promtool_tests(plan, tmp_path, only="node.yml")
    assert result.returncode != 0 and "FAILED" in result.stdout + result.stderr


def test_an_alert_without_fixture_cannot_be_tested():
    with pytest.raises(ValueError, match="has no fixture"):
        cases(Alert(name="X", expr="up == 0", severity="warning", summary="s", description="d"))
