"""promtool test rules on every alert of every stack: a case that fires it and one that keeps
it quiet, generated from each alert's fixture at the stack's own thresholds (after overrides).
Both cases must carry the series the alert reads, and swapping them must fail both, so no case
passes whatever its series."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from content.integrations import INTEGRATIONS
from content.plan import build_plan
from content.rules import Alert, Recording, RuleGroup
from content.validation import validate
from harness.promtool_cases import cases, promtool_test_file
from harness.tools import tool
from tests.conftest import STACKS, secret_keys_of, stack_raw
from tests.matrix import EXAMPLE_SECRETS, with_every_integration
from tests.promql_reads import matches, reads, rendered_expr, selectors

pytestmark = pytest.mark.tools


def plan_for(stack: str, **changes):
    raw = stack_raw(stack)
    raw = with_every_integration(raw)
    raw.update(changes)
    settings = validate(raw, set(secret_keys_of(stack)) | set(EXAMPLE_SECRETS), "monstack", stack).settings
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


@pytest.mark.tools
@pytest.mark.parametrize("stack", STACKS)
def test_every_alert_fires_and_stays_quiet_at_the_stack_thresholds(stack, tmp_path):
    plan = plan_for(stack)
    result = run_promtool_tests(plan, tmp_path)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    alerts = [a for gs in plan.rule_groups.values() for g in gs for a in g.alerts]
    assert result.stdout.count("SUCCESS") == 1
    assert len(alerts) > 30


@pytest.mark.tools
def test_overridden_threshold_is_what_the_cases_test(tmp_path):
    overrides = [{"alert": "PrometheusNotificationsFailing", "severity": "critical", "threshold": 0.2, "for": "30m"}]
    plan = plan_for("prod", alertOverrides=overrides)
    alert = next(a for gs in plan.rule_groups.values() for g in gs for a in g.alerts
                 if a.name == "PrometheusNotificationsFailing")
    assert alert.threshold == 0.2 and alert.for_ == "30m"
    assert "> 0.2" in plan.service("prometheus").files["rules/monstack.yml"]
    assert run_promtool_tests(plan, tmp_path, only="monstack.yml").returncode == 0


@pytest.mark.tools
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


@pytest.mark.parametrize("stack", STACKS)
def test_both_cases_carry_every_series_the_alert_reads(stack):
    """A quiet case without the alert's series is quiet for any rule: each series the alert's own
    expression reads (through the recording rules it reads) must be in its firing and its
    quiet fixture, with labels its selector matches."""
    plan = plan_for(stack)
    rules = [r for groups in plan.rule_groups.values() for g in groups for r in g.rules]
    recordings = {r.record: r.expr for r in rules if isinstance(r, Recording)}
    alerts = [r for r in rules if isinstance(r, Alert) and not r.always_fires]
    for alert in alerts:
        for fire in (True, False):
            series = [s.series for s in alert.fixture(alert.threshold, fire)]
            for selector in selectors(rendered_expr(alert)):
                # A recorded series is present when the series its rule reads are.
                wanted = reads(recordings[selector.name], recordings) if selector.name in recordings else [selector]
                assert any(matches(w, s) for w in wanted for s in series), (
                    f"{alert.name} ({alert.severity}) {'fires' if fire else 'stays quiet'} without {selector}: {series}")
    assert len(alerts) > 70


# A failed `ALERTS` check in promtool's report: the alert and severity, and what was expected
# (nil: the quiet case, which then fired; a sample: the firing case, which then stayed quiet).
FAILED_CASE = re.compile(r'alertname=\\"(\w+)\\",alertstate=\\"firing\\",severity=\\"(\w+)\\"\}\)", time: \w+,\n'
                         r'\s+exp: (nil|\{)')


def swap_cases(groups: list[RuleGroup]) -> set[tuple[str, str]]:
    """Give every alert of the groups (in place) its quiet series to fire and its firing ones to
    stay quiet; returns the (alert, severity) swapped, Watchdog-style alerts aside."""
    swapped = set()
    for i, group in enumerate(groups):
        rules = tuple(r.replace(fixture=lambda t, fire, f=r.fixture: f(t, not fire)) if isinstance(r, Alert) else r
                      for r in group.rules)
        swapped |= {a.key for a in group.alerts if not a.always_fires}
        groups[i] = RuleGroup(name=group.name, rules=rules, interval=group.interval, layer=group.layer)
    return swapped


@pytest.mark.tools
def test_every_fixture_decides_its_case(tmp_path):
    """Every alert of every rule file (staging: every integration of the Kubernetes platform, the
    application, the stack itself; dev: those of the integrations that run on Docker only, such
    as cAdvisor and nginx), firing and quiet series swapped: both of its cases must then fail."""
    expected: set[tuple[str, str, str]] = set()
    failed: set[tuple[str, str, str]] = set()
    docker_only = tuple(f"{i.key}.yml" for i in INTEGRATIONS if i.runs_on("docker") and not i.runs_on("kubernetes"))
    for stack, only in (("staging", None), ("dev", docker_only)):
        plan = plan_for(stack)
        for file in only or tuple(plan.rule_groups):
            swapped = swap_cases(plan.rule_groups[file])
            expected |= {(name, severity, case) for name, severity in swapped for case in ("fires", "quiet")}
            result = run_promtool_tests(plan, tmp_path / stack / file, only=file)
            report = result.stdout + result.stderr
            failed |= {(name, severity, "quiet" if exp == "nil" else "fires")
                       for name, severity, exp in FAILED_CASE.findall(report)}
    assert len(expected) > 2 * 80
    assert expected <= failed, sorted(expected - failed)
