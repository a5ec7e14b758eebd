"""Bad input that used to preview cleanly (issue 11, points 2 and 8): thresholds outside what
they measure, PromQL that does not parse, ports that do not exist, and errors spanning several
fields, which must name the one key to change, show only its value and give a fix for that key."""

from __future__ import annotations

import inspect
import subprocess

import pytest
import yaml

from config.fields import Model
from config.promql import SELECTOR_STAND_IN, expression_problem
from config.thresholds import KINDS, range_problem, stricter_problem
from content.rules import Alert, Recording
from tests.conftest import STACKS
from tests.test_alert_cases import plan_for
from tests.test_preview import tool
from tests.test_settings import problems

CUSTOM_RULE = {
    "alert": "ClipsFailing", "expr": "rate(clip_failures_total{$selector}[5m]) > 0.1", "summary": "s",
    "description": "d", "fire": [{"series": 'clip_failures_total{job="meme-maker-backend"}', "value": 1, "rate": True}],
    "quiet": [{"series": 'clip_failures_total{job="meme-maker-backend"}', "value": 0, "rate": True}],
}


def app(raw: dict) -> dict:
    return raw["applications"][0]


# ---- point 2: thresholds follow their meaning --------------------------------------------------

@pytest.mark.parametrize("block, level, allowed, fix", [
    ("latency", "warning", "(0, ∞)", "'applications[0].latency.warning.above' '60'"),
    ("queue", "warning", "[0, ∞)", "'applications[0].queue.warning.above' '10'"),
    ("errors", "critical", "[0, 1)", "'applications[0].errors.critical.above' '0.9'"),
])
def test_negative_application_thresholds_are_refused(raw_config, block, level, allowed, fix):
    raw = raw_config("staging")
    app(raw)[block][level]["above"] = -1
    message = problems("staging", raw)[f"applications[0].{block}.{level}.above"]
    assert "= -1" in message and f"fires above its threshold, which is {KINDS[app_kind(block)].meaning}" in message
    assert f"allowed: {allowed}" in message
    assert f"fix: pulumi config set --path {fix} --stack staging" in message


def app_kind(block: str) -> str:
    from config.applications import ErrorRatioAlerts, LatencyAlerts, QueueAlerts

    return {"latency": LatencyAlerts, "queue": QueueAlerts, "errors": ErrorRatioAlerts}[block].THRESHOLD_KIND


def test_a_ratio_above_one_and_a_quantile_of_one_are_refused(raw_config):
    raw = raw_config("staging")
    app(raw)["errors"]["critical"]["above"] = 5  # meant 5%
    app(raw)["latency"]["quantile"] = 1
    found = problems("staging", raw)
    assert "a share of a whole, between 0 and 1" in found["applications[0].errors.critical.above"]
    assert "allowed: (0, 1)" in found["applications[0].latency.quantile"]
    assert "'applications[0].latency.quantile' '0.95'" in found["applications[0].latency.quantile"]


@pytest.mark.parametrize("critical", [15, 10])
def test_a_critical_level_must_be_stricter_than_its_warning(raw_config, critical):
    raw = raw_config("staging")  # queue warning above 15
    app(raw)["queue"]["critical"]["above"] = critical
    message = problems("staging", raw)["applications[0].queue.critical.above"]
    assert f"critical {critical} must be stricter than warning 15, i.e. above it" in message
    assert "pulumi config set --path 'applications[0].queue.critical.above' '30' --stack staging" in message


@pytest.mark.parametrize("override, allowed", [
    ({"alert": "HostHighCpuLoad", "severity": "warning", "threshold": 95}, "allowed: [0, 1)"),  # percent, not a ratio
    ({"alert": "HostClockSkew", "threshold": -1}, "allowed: (0, ∞)"),
    ({"alert": "HostDiskSpaceLow", "severity": "critical", "threshold": 0}, "allowed: (0, 1] (at 0 it could never fire)"),
])
def test_override_thresholds_take_the_kind_their_alert_declares(raw_config, override, allowed):
    raw = raw_config("prod")
    raw["alertOverrides"] = [override]
    message = problems("prod", raw)["alertOverrides[0].threshold"]
    assert allowed in message
    assert "fix: pulumi config set --path 'alertOverrides[0].threshold'" in message


def test_an_override_may_not_make_the_warning_stricter_than_the_critical(raw_config):
    raw = raw_config("prod")  # HostDiskSpaceLow: warning below 15% free, critical below 5%
    raw["alertOverrides"] = [{"alert": "HostDiskSpaceLow", "severity": "warning", "threshold": 0.03}]
    message = problems("prod", raw)["alertOverrides[0].threshold"]
    assert "critical 0.05 must be stricter than warning 0.03, i.e. below it" in message
    assert "pulumi config set --path 'alertOverrides[0].threshold' '0.15' --stack prod" in message
    raw["alertOverrides"].append({"alert": "HostDiskSpaceLow", "severity": "critical", "disabled": True})
    assert "alertOverrides[0].threshold" not in problems_or_none("prod", raw)


def problems_or_none(stack: str, raw: dict) -> dict[str, str]:
    from config.errors import SettingsError
    from content.validation import validate
    from tests.conftest import secret_keys_of

    try:
        validate(raw, set(secret_keys_of(stack)), "monstack", stack)
    except SettingsError as error:
        return {p.key: p.render("monstack") for p in error.problems}
    return {}


@pytest.mark.parametrize("stack", STACKS)
def test_every_generated_threshold_has_a_kind_and_lies_in_it(stack):
    """The shipped thresholds obey the ranges users' overrides are held to, pairs in order."""
    groups = plan_for(stack).rule_groups
    for group in (g for gs in groups.values() for g in gs):
        alerts = {a.key: a for a in group.alerts if a.threshold is not None}
        for alert in alerts.values():
            assert range_problem(alert.threshold, alert.threshold_kind, alert.direction, alert.name) is None
        for (name, severity), warning in alerts.items():
            critical = alerts.get((name, "critical"))
            if severity == "warning" and critical:
                assert stricter_problem(warning.threshold, critical.threshold, warning.direction, name) is None


def test_an_alert_with_a_threshold_must_declare_its_kind():
    with pytest.raises(ValueError, match="threshold_kind"):
        Alert(name="X", expr="x > $threshold", threshold=1, severity="warning", summary="s", description="d")


# ---- point 8a: PromQL a user writes is parsed --------------------------------------------------

@pytest.mark.parametrize("selector", [
    'queue="clips',  # the unbalanced quote
    'queue="clips"} or vector(1) or up{a="b"',  # parses as a whole, but is no matcher list
    'queue="clips"} # trailing comment',  # would swallow the rest of the rule's expression
    "queue=clips",
])
def test_a_queue_selector_that_is_no_promql_matcher_is_refused(raw_config, selector):
    raw = raw_config("staging")
    app(raw)["queue"]["selector"] = selector
    message = problems("staging", raw)["applications[0].queue.selector"]
    assert "label matchers" in message and "redis_queue_length{...}" in message
    assert "pulumi config set --path 'applications[0].queue.selector' 'queue=\"clips\"' --stack staging" in message


@pytest.mark.parametrize("expr, expected", [
    ("rate(clip_failures_total{$selector}[5m] > 0.1", "not valid PromQL"),
    ("rate(clip_failures_total{$selector}) > 0.1", "not valid PromQL"),  # rate() of an instant vector
    ("clip_failures_total{$selector}[5m]", "an alert needs an instant vector"),
    ("$selector > 1", "not valid PromQL"),
])
def test_a_custom_rule_expression_must_parse(raw_config, expr, expected):
    raw = raw_config("staging")
    app(raw)["rules"] = [dict(CUSTOM_RULE, expr=expr)]
    message = problems("staging", raw)["applications[0].rules[0].expr"]
    assert expected in message and SELECTOR_STAND_IN in message
    assert "fix: pulumi config set --path 'applications[0].rules[0].expr' 'rate(billing_failures_total" in message


def test_a_custom_rule_fixture_and_an_error_value_must_parse(raw_config):
    raw = raw_config("staging")
    app(raw)["rules"] = [dict(CUSTOM_RULE, quiet=[{"series": 'clip_failures_total{job="a}', "value": 0}])]
    app(raw)["errors"]["errorValue"] = 'failed"'
    found = problems("staging", raw)
    assert "not a valid series" in found["applications[0].rules[0].quiet[0].series"]
    assert 'cannot stand in the PromQL matcher status="failed""' in found["applications[0].errors.errorValue"]


def test_valid_custom_rules_and_selectors_pass(raw_config):
    raw = raw_config("staging")
    app(raw)["queue"]["selector"] = 'queue=~"clips|memes",env!=""'
    app(raw)["rules"] = [CUSTOM_RULE, dict(CUSTOM_RULE, alert="ClipsSmoothed",
                                          expr="holt_winters(clip_queue{$selector}[10m], 0.5, 0.5) > 100")]
    assert not problems_or_none("staging", raw)


@pytest.mark.parametrize("stack", STACKS)
def test_the_parser_takes_every_expression_the_stack_generates(stack):
    """No false alarm on our own PromQL: every alert and recording rule, every integration on."""
    groups = plan_for(stack).rule_groups
    rules = [r for gs in groups.values() for g in gs for r in g.rules]
    assert len(rules) > 30
    for rule in rules:
        expr = rule.expr if isinstance(rule, Recording) else rule.render("")["expr"]
        assert expression_problem(expr) is None, expr


# Expressions Prometheus 2.x and 3.x agree on; the parser must give the same verdict as promtool.
VALID = ['up{job="a"} == 0', 'sum by (job) (rate(x_total{a=~"b|c"}[5m])) > 0.1', "x offset -5m", "-x",
         "histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))", "x and on() y", "max_over_time(rate(x[5m])[30m:1m])",
         "x{a='b'}", "x @ 1609746000", "label_replace(x, \"a\", \"$1\", \"b\", \"(.*)\")", "x > bool 1", "absent(x)",
         "clamp(x, 0, 1)", "time() - x > 1e9", "count by (a) (x) > 1", "x unless y", "0x1F", "NaN", "x # comment"]
INVALID = ['x{a="b}', "x{a=b}", "rate(x)", "sum(x[5m])", "{}", '{a=~".*"}', "foo(x)", "abs(x, y)", "x >",
           "sum by (a (x)", "x[5x]", "x and 1", "topk(x)", 'x{__name__="y"}', "x offset 5m offset 1m"]


@pytest.mark.tools
def test_the_parser_agrees_with_promtool(tmp_path):
    promtool = tool("promtool")
    for index, expr in enumerate(VALID + INVALID):
        rules = tmp_path / f"rules-{index}.yml"
        rules.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [{"alert": "A", "expr": expr}]}]}))
        accepted = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True).returncode == 0
        assert accepted == (expr in VALID), f"promtool {'accepts' if accepted else 'rejects'} {expr}"
        assert (expression_problem(expr) is None) == accepted, expr


# ---- point 8b: ports exist ---------------------------------------------------------------------

@pytest.mark.parametrize("stack, where, key, fix", [
    ("staging", lambda r: app(r)["targets"].__setitem__(0, "backend:99999"), "applications[0].targets[0]",
     "'applications[0].targets[0]' 'backend:8000'"),
    ("staging", lambda r: r["exporters"]["redis"].update(address="redis:0"), "exporters.redis.address",
     "'exporters.redis.address' 'redis:6379'"),
    ("staging", lambda r: r["exporters"].update(windows={"enabled": True, "targets": ["win:70000"]}),
     "exporters.windows.targets[0]", "'exporters.windows.targets[0]' 'winhost:9182'"),
    ("staging", lambda r: r["exporters"].update(kafka={"enabled": True, "address": "kafka:90920"}),
     "exporters.kafka.address[0]", "'exporters.kafka.address[0]' 'kafka:9092'"),
    ("staging", lambda r: r["exporters"].update(blackbox={"enabled": True, "targets": ["https://memeit.pro:443443/x"]}),
     "exporters.blackbox.targets[0]", "'exporters.blackbox.targets[0]' 'https://example.com'"),
    ("dev", lambda r: r.update(targetOverrides={"node-exporter:9100": "127.0.0.1:65536"}), "targetOverrides.node-exporter:9100",
     "'targetOverrides.node-exporter:9100' '127.0.0.1:9100'"),
])
def test_a_port_outside_1_to_65535_is_refused(raw_config, stack, where, key, fix):
    raw = raw_config(stack)
    where(raw)
    message = problems(stack, raw, set() if stack == "dev" else None)[key]
    assert "is outside 1..65535" in message and f"fix: pulumi config set --path {fix} --stack {stack}" in message


def test_a_target_override_from_a_port_that_cannot_exist_is_refused(raw_config):
    raw = raw_config("dev")
    raw["targetOverrides"] = {"node-exporter:99999": "127.0.0.1:9100"}
    message = problems("dev", raw, set())["targetOverrides.node-exporter:99999"]
    assert '= "node-exporter:99999"' in message and "port 99999" in message
    assert "fix: pulumi config rm --path 'targetOverrides.node-exporter:99999' --stack dev" in message


def test_the_largest_and_smallest_ports_pass(raw_config):
    raw = raw_config("staging")
    app(raw)["targets"] = ["backend:1", "backend:65535"]
    assert not problems_or_none("staging", raw)


# ---- point 8c: problems spanning fields name the exact key -------------------------------------

def _dup_app(raw):
    raw["applications"].append(dict(app(raw), targets=["other:8000"]))


@pytest.mark.parametrize("stack, change, key, value, fix", [
    ("staging", _dup_app, "applications[1].name", '"meme-maker-backend"',
     "pulumi config set --path 'applications[1].name' 'meme-maker-backend-2'"),
    ("staging", lambda r: r.update(generateSecrets=True), "generateSecrets", "true", "pulumi config rm 'generateSecrets'"),
    ("prod", lambda r: r["grafana"]["resources"]["reservations"].update(cpu=9), "grafana.resources.reservations.cpu",
     "9", "pulumi config set --path 'grafana.resources.reservations.cpu' '0.3'"),
    ("staging", lambda r: r["prometheus"].update(scrapeTimeout="20s"), "prometheus.scrapeTimeout", '"20s"',
     "pulumi config set --path 'prometheus.scrapeTimeout' '15s'"),
    ("staging", lambda r: app(r).update(labels={"job": "x", "team": "t"}), "applications[0].labels.job", '"x"',
     "pulumi config rm --path 'applications[0].labels.job'"),
    ("staging", lambda r: r["exporters"].update(rabbitmq={"enabled": True}), "exporters.rabbitmq.targets", "[]",
     "pulumi config set --path 'exporters.rabbitmq.targets' '[\"rabbitmq:15692\"]'"),
    ("staging", lambda r: r["alerting"]["muteTimeIntervals"][0]["times"][0].update(end="22:00"),
     "alerting.muteTimeIntervals[0].times[0].end", '"22:00"',
     "pulumi config set --path 'alerting.muteTimeIntervals[0].times[0].end' '06:00'"),
    ("staging", lambda r: r["alerting"]["muteTimeIntervals"][0].update(location="Mars/Olympus"),
     "alerting.muteTimeIntervals[0].location", '"Mars/Olympus"',
     "pulumi config set --path 'alerting.muteTimeIntervals[0].location' 'Europe/Berlin'"),
    ("staging", lambda r: r["alerting"]["muteTimeIntervals"][0].update(times=[]), "alerting.muteTimeIntervals[0].weekdays",
     "(absent)", "pulumi config set --path 'alerting.muteTimeIntervals[0].weekdays' '[\"monday:friday\"]'"),
    ("dev", lambda r: r["exposure"].update(mode="proxy"), "exposure.publicUrl", "(absent)",
     "pulumi config set --path 'exposure.publicUrl' 'https://memeit.pro'"),
    ("prod", lambda r: r["kubernetes"]["ingress"].update(certManagerIssuer="letsencrypt", tlsSecret="t"),
     "kubernetes.ingress.certManagerIssuer", '"letsencrypt"', "pulumi config rm --path 'kubernetes.ingress.certManagerIssuer'"),
    ("staging", lambda r: r["kubernetes"].update(podDisruptionBudgets=True), "kubernetes.alertmanagerReplicas", "1",
     "pulumi config set --path 'kubernetes.alertmanagerReplicas' '2'"),
    ("staging", lambda r: r["grafana"].update(teams=[{"name": "dba", "view": ["databases"], "edit": ["databases"]}]),
     "grafana.teams[0].view[0]", '"databases"', "pulumi config rm --path 'grafana.teams[0].view[0]'"),
])
def test_a_problem_spanning_fields_names_the_field_to_change(raw_config, stack, change, key, value, fix):
    raw = raw_config(stack)
    raw.pop("generateSecrets", None) if stack != "dev" else None
    change(raw)
    found = problems(stack, raw, set() if stack == "dev" else None)
    assert key in found, sorted(found)
    message = found[key]
    assert f"monstack:{key} = {value}\n" in message  # only the offending value, never the block
    assert f"fix: {fix} --stack {stack}" in message
    assert "correct ''" not in "".join(found.values()) and "(stack)" not in found


def test_no_model_validator_raises_a_bare_value_error():
    """Every check spanning fields goes through FieldIssuesError, so none can fall back to
    reporting at its parent key (new validators included)."""
    import content.validation  # noqa: F401  (every settings model: config's and the integrations')

    def subclasses(model: type) -> set[type]:
        return {model} | {sub for child in model.__subclasses__() for sub in subclasses(child)}

    models = sorted(subclasses(Model), key=lambda m: m.__qualname__)
    checked = 0
    for model in models:
        for decorator in model.__pydantic_decorators__.model_validators.values():
            source = inspect.getsource(decorator.func)
            assert "raise ValueError" not in source, f"{model.__name__}.{decorator.func.__name__}"
            checked += 1
    assert checked >= 12


# ---- the nginx integration's own settings -------------------------------------------------------

NGINX = {"enabled": True, "address": "proxy:8080"}


@pytest.mark.parametrize("stack, block, key, says, fix", [
    ("dev", dict(NGINX, maxConnections=0), "exporters.nginx.maxConnections", "greater than 0",
     "pulumi config set --path 'exporters.nginx.maxConnections' '1536'"),
    ("dev", dict(NGINX, accessLog="logs/access.log"), "exporters.nginx.accessLog", "absolute path",
     "pulumi config set --path 'exporters.nginx.accessLog' '/var/log/nginx/access.log'"),
    ("dev", dict(NGINX, statusPath="stub_status"), "exporters.nginx.statusPath", "starting with '/'",
     "pulumi config set --path 'exporters.nginx.statusPath' '/stub_status'"),
    ("staging", NGINX, "exporters.nginx.enabled", "does not run on kubernetes", ""),
])
def test_bad_nginx_settings_name_key_value_and_fix(raw_config, stack, block, key, says, fix):
    raw = raw_config(stack)
    raw["exporters"] = {**raw.get("exporters", {}), "nginx": block}
    message = problems_or_none(stack, raw)[key]
    assert says in message and (not fix or f"fix: {fix} --stack {stack}" in message), message
