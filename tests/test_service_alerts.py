"""The Redis, PostgreSQL, MySQL/MariaDB and MongoDB alert sets: the names the alerting issue
asks for (so a dropped alert fails here, not in an incident), selectors from the scrape job,
recording rules the alerts actually read, runbooks of the expected shape, and fixtures that
still fire and stay quiet when a stack moves every threshold (the swap of firing and quiet
series, for every alert of every integration, is in tests/test_alert_cases.py)."""

from __future__ import annotations

import re

import pytest

from content.rules import Alert, Recording
from tests.conftest import ROOT
from tests.test_alert_cases import plan_for, run_promtool_tests
from tests.test_alerts import SECTIONS

W, C = "warning", "critical"
EXPECTED: dict[str, set[tuple[str, str]]] = {
    "redis": {
        ("RedisDown", C), ("RedisUnreachable", C), ("RedisMemoryHigh", W), ("RedisMemoryHigh", C),
        ("RedisRejectedConnections", C), ("RedisReplicaLost", W), ("RedisMasterLinkDown", C),
        ("RedisTooManyClients", W), ("RedisTooManyClients", C),
    },
    "postgres": {
        ("PostgresDown", C), ("PostgresUnreachable", C), ("PostgresTooManyConnections", W),
        ("PostgresTooManyConnections", C), ("PostgresDeadlocks", W), ("PostgresReplicationLag", W),
        ("PostgresReplicationLag", C), ("PostgresLongRunningTransaction", W), ("PostgresLongRunningTransaction", C),
    },
    "mysql": {
        ("MysqlDown", C), ("MysqlUnreachable", C), ("MysqlTooManyConnections", W), ("MysqlTooManyConnections", C),
        ("MysqlSlowQueries", W), ("MysqlReplicationIoThreadStopped", C), ("MysqlReplicationSqlThreadStopped", C),
        ("MysqlReplicationLag", W), ("MysqlReplicationLag", C),
    },
    "mongodb": {
        ("MongodbDown", C), ("MongodbUnreachable", C), ("MongodbTooManyConnections", W),
        ("MongodbTooManyConnections", C), ("MongodbReplicationLag", W), ("MongodbReplicationLag", C),
    },
}
RECORDINGS = {
    "redis": {"instance:redis_clients:ratio", "instance:redis_memory_utilisation:ratio"},
    "postgres": {"instance:pg_connections:ratio"},
    "mysql": {"instance:mysql_connections:ratio"},
    "mongodb": {"instance:mongodb_connections:ratio"},
}
# A series name of these exporters (or a recorded one) not followed by `{`: a selector-less query.
BARE_METRIC = re.compile(r"\b((?:redis|pg|mysql|mongodb)_[a-z_]+|instance:[a-z_]+:[a-z0-9_]+)\b(?![{a-z_:])")


@pytest.fixture(scope="module")
def plan():
    return plan_for("staging")


def rules_of(plan, key: str) -> tuple[list[Alert], list[Recording]]:
    rules = [r for g in plan.generated_rule_groups[f"{key}.yml"] for r in g.rules]
    return [r for r in rules if isinstance(r, Alert)], [r for r in rules if isinstance(r, Recording)]


@pytest.mark.parametrize("key", EXPECTED)
def test_each_integration_has_its_full_alert_set(plan, key):
    alerts, recordings = rules_of(plan, key)
    assert {a.key for a in alerts} == EXPECTED[key]
    assert len(alerts) == len(EXPECTED[key]), "an alert is generated twice"
    assert {r.record for r in recordings} == RECORDINGS[key]


@pytest.mark.parametrize("key", EXPECTED)
def test_alerts_read_only_their_job_and_the_rules_recorded_for_it(plan, key):
    alerts, recordings = rules_of(plan, key)
    selector = f'{{job="{key}"'
    for rule in [*alerts, *recordings]:
        expr = rule.expr
        assert expr.count("{") == expr.count(selector), f"{rule}: a matcher without the job selector"
        assert not BARE_METRIC.search(expr), f"{rule}: a series without selector"
    recorded = {r.record for r in recordings}
    for alert in alerts:
        assert set(re.findall(r"instance:[a-z_]+:[a-z0-9_]+", alert.expr)) <= recorded, alert.name


@pytest.mark.parametrize("key", EXPECTED)
def test_alerts_say_what_where_and_how_much(plan, key):
    alerts, _ = rules_of(plan, key)
    for alert in alerts:
        assert "{{ $labels.instance }}" in alert.description, alert.name
        if not alert.name.endswith("Down"):  # up == 0 has no amount to tell
            assert "{{ $value" in alert.description, alert.name
        assert alert.fixture is not None
        if alert.threshold is not None:
            assert "$threshold" in alert.expr


@pytest.mark.parametrize("key", EXPECTED)
def test_every_alert_has_a_runbook_of_the_expected_shape(plan, key):
    alerts, _ = rules_of(plan, key)
    for page in sorted({a.runbook_page for a in alerts}):
        path = ROOT / "docs" / "runbooks" / f"{page}.md"
        assert path.exists(), f"missing runbook {path.relative_to(ROOT)}"
        text = path.read_text()
        assert all(section in text for section in SECTIONS), f"{page} lacks a section"
        assert 20 <= len(text.splitlines()) <= 45, f"{page}: {len(text.splitlines())} lines"
        assert f"job=\"{key}\"" in text or page.endswith("down"), f"{page} shows no query of job {key}"


@pytest.mark.tools
def test_fixtures_follow_any_threshold_a_stack_sets(tmp_path):
    """Every threshold of these integrations moved (down, and to the top of their range for the
    ratios, which may not reach 1): each alert still has a case that fires and one that stays
    quiet, checked by promtool."""
    base = plan_for("staging")
    overrides = []
    for key in EXPECTED:
        for alert in rules_of(base, key)[0]:
            if alert.threshold is None:
                continue
            if alert.expr.startswith("instance:"):
                moved = 0.5 if alert.severity == W else 0.99
            else:
                moved = alert.threshold * 3 + 1
            overrides.append({"alert": alert.name, "severity": alert.severity, "threshold": moved})
    plan = plan_for("staging", alertOverrides=overrides)
    rules = plan.service("prometheus").files["rules/redis.yml"]
    assert "instance:redis_clients:ratio{job=\"redis\"} > 0.99\n" in rules
    result = run_promtool_tests(plan, tmp_path)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def test_redis_without_maxmemory_never_reads_as_full(plan):
    alerts, _ = rules_of(plan, "redis")
    memory = next(a for a in alerts if a.name == "RedisMemoryHigh" and a.severity == W)
    quiet = memory.fixture(memory.threshold, False)
    assert any(s.series.startswith("redis_memory_max_bytes") and s.value == 0 for s in quiet)
    assert "> 0)" in next(r for r in rules_of(plan, "redis")[1] if "memory" in r.record).expr
