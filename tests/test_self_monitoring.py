"""The stack's own alerts follow its topology: prod peers two Alertmanagers, so a replica that
sees only itself has lost its peer and `AlertmanagerClusterMembersMissing` must fire."""

from __future__ import annotations

import subprocess

import pytest

from content.yamlio import dump
from tests.test_alert_cases import plan_for
from tests.test_preview import tool

MEMBERS = "AlertmanagerClusterMembersMissing"


def _members_rule(plan) -> str:
    return next(line.strip() for line in plan.service("prometheus").files["rules/monstack.yml"].splitlines()
                if line.strip().startswith("expr: alertmanager_cluster_members"))


@pytest.mark.parametrize("stack, replicas", [("dev", 1), ("staging", 1), ("prod", 2)])
def test_expected_members_are_the_replicas_the_stack_runs(stack, replicas):
    plan = plan_for(stack)
    assert plan.service("alertmanager").replicas == replicas
    assert _members_rule(plan) == f'expr: alertmanager_cluster_members{{job="alertmanager"}} < {replicas}'


def test_expected_members_follow_the_replica_setting(raw_config):
    raw = raw_config("prod")
    plan = plan_for("prod", kubernetes={**raw["kubernetes"], "alertmanagerReplicas": 3})
    assert _members_rule(plan).endswith("< 3")


@pytest.mark.tools
def test_prod_fires_when_a_replica_sees_only_itself(tmp_path):
    """A hand-written promtool case on prod's rendered rules: each replica sees one member
    (itself), so after 15m the alert fires on both; with both peers seen it stays quiet."""
    rules = plan_for("prod").service("prometheus").files["rules/monstack.yml"]
    (tmp_path / "monstack.yml").write_text(rules)

    def case(members: int) -> dict:
        series = [{"series": f'alertmanager_cluster_members{{job="alertmanager",instance="alertmanager-{i}:9093"}}',
                   "values": f"{members}x30"} for i in range(2)]
        expected = [{"exp_labels": {"alertname": MEMBERS, "severity": "warning", "job": "alertmanager",
                                    "instance": f"alertmanager-{i}:9093"},
                     "exp_annotations": {
                         "summary": "Alertmanager cluster is missing members",
                         "description": f"alertmanager-{i}:9093 sees 1 cluster members, fewer than 2: "
                                        "notifications may be duplicated or lost.",
                         "runbook_url": "https://github.com/monstack/monstack/blob/main/docs/runbooks/"
                                        "alertmanagerclustermembersmissing.md"}}
                    for i in range(2)] if members < 2 else []
        return {"interval": "1m", "input_series": series,
                "alert_rule_test": [{"eval_time": "20m", "alertname": MEMBERS, "exp_alerts": expected}]}

    (tmp_path / "test.yml").write_text(dump({"rule_files": ["monstack.yml"], "tests": [case(1), case(2)]}))
    result = subprocess.run([tool("promtool"), "test", "rules", str(tmp_path / "test.yml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
