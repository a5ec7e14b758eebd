"""Bad input of each kind gives one clear error naming key, value and fix; all at once."""

from __future__ import annotations

import pytest

from config.errors import SettingsError
from config.loader import validate
from config.settings import SECRET_KEYS
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
    message = problems("prod", raw)["grafana.resources"]
    assert "reservations.memory 256MB is above limits.memory 128MB" in message


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


def test_receiver_must_name_known_route_target(raw_config):
    raw = raw_config("prod")
    raw["alerting"]["routing"]["critical"] = "pagr"
    assert "'pagr', which is not one of" in "".join(problems("prod", raw).values())


def test_receiver_without_credentials(raw_config):
    raw = raw_config("prod")
    del raw["alerting"]["receivers"][1]["keySecret"]
    assert "a pagerduty receiver needs keySecret" in "".join(problems("prod", raw).values())


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
