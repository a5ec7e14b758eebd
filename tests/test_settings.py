"""Bad input of each kind gives one clear error naming key, value and fix; all at once."""

from __future__ import annotations

import pytest

from config.errors import SettingsError
from config.settings import SECRET_KEYS
from content.validation import validate
from tests.conftest import STACKS, secret_keys_of, stack_raw


def problems(stack: str, raw: dict, secret_keys: set[str] | None = None) -> dict[str, str]:
    keys = set(secret_keys_of(stack)) if secret_keys is None else secret_keys
    with pytest.raises(SettingsError) as caught:
        validate(raw, keys, "monstack", stack)
    return {p.key: p.render("monstack") for p in caught.value.problems}


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stacks_validate(stack):
    loaded = validate(stack_raw(stack), set(secret_keys_of(stack)), "monstack", stack)
    assert loaded.settings.environment == stack


def test_wrong_type(raw_config):
    raw = raw_config("staging")
    raw["prometheus"]["resources"]["limits"]["cpu"] = "lots"
    found = problems("staging", raw)
    message = found["prometheus.resources.limits.cpu"]
    assert '"lots"' in message and "valid number" in message
    assert "pulumi config set --path 'prometheus.resources.limits.cpu' '0.5' --stack staging" in message


@pytest.mark.parametrize("bad", ["0d", "-5d", "0s"])
def test_zero_or_negative_retention(raw_config, bad):
    raw = raw_config("prod")
    raw["prometheus"]["retention"]["time"] = bad
    message = problems("prod", raw)["prometheus.retention.time"]
    assert bad in message and "fix: pulumi config set --path 'prometheus.retention.time' '15d'" in message


def test_unparsable_duration_and_size(raw_config):
    raw = raw_config("dev")
    raw["prometheus"]["scrapeInterval"] = "10 seconds"
    raw["prometheus"]["retention"]["size"] = "2 gigs"
    found = problems("dev", raw)
    assert "not a Prometheus duration" in found["prometheus.scrapeInterval"]
    assert "not a size such as" in found["prometheus.retention.size"]


def test_limit_below_reservation(raw_config):
    raw = raw_config("prod")
    raw["grafana"]["resources"]["limits"]["memory"] = "128MB"
    message = problems("prod", raw)["grafana.resources.reservations.memory"]
    assert '= "256MB"' in message and "reservations.memory 256MB is above limits.memory 128MB" in message
    assert "pulumi config set --path 'grafana.resources.reservations.memory' '128MB' --stack prod" in message


def test_missing_secret_in_prod(raw_config):
    raw = raw_config("prod")
    del raw["webPassword"]
    message = problems("prod", raw, set(secret_keys_of("prod")) - {"webPassword"})["webPassword"]
    assert "required in prod" in message
    assert "pulumi config set --secret 'webPassword' '<value>' --stack prod" in message


def test_plaintext_where_secret_required(raw_config):
    raw = raw_config("staging")
    message = problems("staging", raw, set(secret_keys_of("staging")) - {"slackWebhookUrl"})["slackWebhookUrl"]
    assert "plaintext" in message and "placeholder" not in message  # never echo the value
    assert "--secret 'slackWebhookUrl'" in message


def test_misspelt_keys_top_level_and_nested(raw_config):
    raw = raw_config("staging")
    raw["prometheus"]["retention"]["tmie"] = "15d"
    raw["logLevle"] = "info"
    found = problems("staging", raw)
    assert "did you mean 'time'" in found["prometheus.retention.tmie"]
    assert "did you mean 'logLevel'" in found["logLevle"]


def test_every_problem_reported_at_once(raw_config):
    raw = raw_config("prod")
    raw["prometheus"]["retention"]["time"] = "0d"
    raw["exposure"]["mode"] = "open"
    raw["unknownThing"] = 1
    del raw["grafanaAdminPassword"]
    found = problems("prod", raw, set(secret_keys_of("prod")) - {"grafanaAdminPassword"})
    assert {"prometheus.retention.time", "exposure.mode", "unknownThing"} <= set(found)


def test_generated_secrets_refused_outside_dev(raw_config):
    raw = raw_config("staging")
    raw["generateSecrets"] = True
    assert "generateSecrets is only for dev" in "".join(problems("staging", raw).values())


def test_dev_generates_missing_secrets():
    loaded = validate(stack_raw("dev"), set(), "monstack", "dev")
    assert {k for k, s in loaded.secrets.items() if s.generated} == set(SECRET_KEYS)


def test_route_to_an_unknown_receiver(raw_config):
    raw = raw_config("prod")
    raw["alerting"]["routing"]["critical"] = "pagr"
    raw["alerting"]["routes"][0]["receiver"] = "backend-chta"
    found = problems("prod", raw)
    message = found["alerting.routing.critical"]
    assert '= "pagr"' in message and "no receiver is called 'pagr'" in message
    assert "receivers defined in this stack: team-chat, pager, deadman, backend-chat" in message
    assert "fix: pulumi config set --path 'alerting.routing.critical' 'pager' --stack prod" in message
    assert "'alerting.routes[0].receiver' 'backend-chat'" in found["alerting.routes[0].receiver"]


@pytest.mark.parametrize("receiver, field, secret", [
    ({"name": "p2", "type": "pagerduty"}, "credential", "pagerdutyRoutingKey"),
    ({"name": "og", "type": "opsgenie"}, "credential", "opsgenieApiKey"),
    ({"name": "sl", "type": "slack", "channel": "#x"}, "credential", "slackWebhookUrl"),
    ({"name": "mail", "type": "email", "to": "a@example.com", "from": "b@example.com",
      "smarthost": "smtp.example.com:587", "username": "am"}, "credential", "smtpPassword"),
])
def test_receiver_without_its_credential(raw_config, receiver, field, secret):
    raw = raw_config("prod")
    raw["alerting"]["receivers"].append(receiver)
    index = len(raw["alerting"]["receivers"]) - 1
    message = problems("prod", raw)[f"alerting.receivers[{index}].{field}"]
    assert "= (absent)" in message and f"{receiver['type']} receiver needs {field}" in message
    assert f"pulumi config set --path 'alerting.receivers[{index}].{field}' '{secret}' --stack prod" in message
    assert f"pulumi config set --secret '{secret}' '<value>' --stack prod" in message


def test_receiver_field_of_another_type(raw_config):
    raw = raw_config("prod")
    raw["alerting"]["receivers"][1]["channel"] = "#pager"
    message = problems("prod", raw)["alerting.receivers[1].channel"]
    assert "a pagerduty receiver does not use channel; it takes credential" in message


@pytest.mark.parametrize("bad", ["25:00", "7pm", "22:60"])
def test_mute_interval_with_a_bad_time(raw_config, bad):
    raw = raw_config("staging")
    raw["alerting"]["muteTimeIntervals"][0]["times"][0]["start"] = bad
    message = problems("staging", raw)["alerting.muteTimeIntervals[0].times[0].start"]
    assert f'"{bad}"' in message and "allowed: HH:MM from 00:00 to 24:00" in message
    assert "pulumi config set --path 'alerting.muteTimeIntervals[0].times[0].start' '22:00' --stack staging" in message


def test_mute_interval_with_a_bad_weekday_and_an_empty_span(raw_config):
    raw = raw_config("staging")
    raw["alerting"]["muteTimeIntervals"][0]["weekdays"] = ["friday:monday"]
    raw["alerting"]["muteTimeIntervals"][0]["times"][0]["end"] = "22:00"
    found = problems("staging", raw)
    assert "'monday:friday'" in found["alerting.muteTimeIntervals[0].weekdays[0]"]
    assert "start 22:00 to end 22:00 is no span of time" in found["alerting.muteTimeIntervals[0].times[0].end"]


def test_route_using_an_undefined_interval(raw_config):
    raw = raw_config("staging")
    raw["alerting"]["routing"]["muteTimeIntervals"]["warning"] = ["night"]
    raw["alerting"]["routes"] = [{"match": {"service": "redis"}, "receiver": "team-chat", "muteTimeIntervals": ["weekend"]}]
    found = problems("staging", raw)
    message = found["alerting.routing.muteTimeIntervals.warning[0]"]
    assert "no mute time interval is called 'night'; mute time intervals defined in this stack: nights" in message
    assert "'alerting.routing.muteTimeIntervals.warning[0]' 'nights'" in message
    assert "define it in alerting.muteTimeIntervals" in found["alerting.routes[0].muteTimeIntervals[0]"]


def test_route_matching_a_label_no_alert_carries(raw_config):
    raw = raw_config("prod")
    raw["alerting"]["routes"][0]["match"] = {"taem": "backend"}
    message = problems("prod", raw)["alerting.routes[0].match.taem"]
    assert "no alert of this stack carries label 'taem'" in message and "team" in message
    assert "then set 'alerting.routes[0].match.team' instead" in message


def test_dead_mans_switch_must_be_its_own_receiver(raw_config):
    raw = raw_config("prod")
    raw["alerting"]["routing"]["deadMansSwitch"] = "team-chat"
    message = problems("prod", raw)["alerting.routing.deadMansSwitch"]
    assert "also takes routing.warning" in message


def test_every_alerting_problem_at_once(raw_config):
    raw = raw_config("prod")
    raw["alerting"]["routing"]["warning"] = "chat"
    del raw["alerting"]["receivers"][1]["credential"]
    raw["alerting"]["routes"][0]["muteTimeIntervals"] = ["nights"]
    raw["prometheus"]["retention"]["time"] = "0d"
    found = problems("prod", raw)
    assert {"alerting.routing.warning", "alerting.receivers[1].credential", "alerting.routes[0].muteTimeIntervals[0]",
            "prometheus.retention.time"} <= set(found)


def test_image_override_of_unknown_image(raw_config):
    raw = raw_config("dev")
    raw["images"] = {"overrides": {"grafanna": "mirror/grafana:11.6.0"}}
    message = problems("dev", raw)["images.overrides.grafanna"]
    assert "no image is called 'grafanna'" in message and "grafana" in message


def test_unknown_platform(raw_config):
    raw = raw_config("dev")
    raw["platform"] = "nomad"
    message = problems("dev", raw)["platform"]
    assert "Input should be 'docker' or 'kubernetes'" in message and '"nomad"' in message
    assert "pulumi config set 'platform' 'kubernetes' --stack dev" in message


def test_override_of_a_missing_rule_lists_the_nearest(raw_config):
    raw = raw_config("prod")
    raw["alertOverrides"] = [{"alert": "HostHighCpuLoads", "severity": "warning", "threshold": 0.95}]
    message = problems("prod", raw)["alertOverrides[0].alert"]
    assert "no generated alert is HostHighCpuLoads/warning" in message and "HostHighCpuLoad/warning" in message


def test_override_must_pick_a_variant(raw_config):
    raw = raw_config("prod")
    raw["alertOverrides"] = [{"alert": "HostDiskSpaceLow", "disabled": True}]
    message = problems("prod", raw)["alertOverrides[0].severity"]
    assert "has variants critical, warning" in message


def test_override_threshold_of_the_wrong_type(raw_config):
    raw = raw_config("prod")
    raw["alertOverrides"] = [{"alert": "HostHighCpuLoad", "severity": "warning", "threshold": "high"}]
    assert "valid number" in problems("prod", raw)["alertOverrides[0].threshold"]


def test_overrides_change_disable_and_relabel(raw_config):
    from content.plan import build_plan

    raw = raw_config("prod")
    raw["alertOverrides"] = [
        {"alert": "HostDiskSpaceLow", "severity": "critical", "disabled": True},
        {"alert": "HostHighCpuLoad", "threshold": 0.95, "for": "20m", "setSeverity": "critical", "labels": {"team": "infra"}},
    ]
    settings = validate(raw, set(secret_keys_of("prod")), "monstack", "prod").settings
    alerts = {a.key: a for gs in build_plan(settings, "x").rule_groups.values() for g in gs for a in g.alerts}
    assert ("HostDiskSpaceLow", "critical") not in alerts and ("HostDiskSpaceLow", "warning") in alerts
    cpu = alerts[("HostHighCpuLoad", "critical")]
    assert (cpu.threshold, cpu.for_, dict(cpu.labels)) == (0.95, "20m", {"team": "infra"})


def test_target_overrides_move_targets_and_must_name_one(raw_config):
    from content.plan import build_plan

    raw = raw_config("dev")
    raw["targetOverrides"] = {"node-exporter:9100": "127.0.0.1:19100", "alertmanager:9093": "127.0.0.1:19093"}
    settings = validate(raw, set(), "monstack", "dev").settings
    prometheus_yml = build_plan(settings, "x").service("prometheus").files["prometheus.yml"]
    assert "127.0.0.1:19100" in prometheus_yml and "node-exporter:9100" not in prometheus_yml
    assert "127.0.0.1:19093" in prometheus_yml
    raw["targetOverrides"] = {"node-exporter:9101": "127.0.0.1:19100"}
    message = problems("dev", raw, set())["targetOverrides.node-exporter:9101"]
    assert "no scrape target is node-exporter:9101" in message and "node-exporter:9100" in message
