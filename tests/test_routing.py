"""The route tree of every stack checked by the real `amtool config routes test`.

The cases come from the same settings as the tree (`content.routing.route_cases`): one per
route, each a label set that must reach exactly the expected receivers. On top of those, the
intent is asserted directly from the settings, not from the tree's code: Watchdog reaches the
dead man's switch only, critical the pager, warning the chat, a team label its team's
receiver. A route of the rendered file without a case fails `test_every_route_has_a_case`.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from config.settings import Settings
from content.alertmanager import alertmanager_config
from content.routing import RouteCase, route_cases, time_intervals, watchdog_receiver
from content.validation import validate
from harness.preview import bundle_files
from harness.tools import tool
from tests.conftest import STACKS, secret_keys_of, stack_raw

MATCHER = re.compile(r'^(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)(?P<op>=~|!~|!=|=)"(?P<value>.*)"$')


def settings_of(stack: str, raw: dict | None = None) -> Settings:
    raw = stack_raw(stack) if raw is None else raw
    return validate(raw, set(secret_keys_of(stack)), "monstack", stack).settings


def cases_of(settings: Settings) -> list[RouteCase]:
    return route_cases(settings.alerting, {"cluster": settings.cluster, "environment": settings.environment})


def config_of(settings: Settings) -> str:
    return alertmanager_config(settings.alerting, settings.alertmanager, settings.cluster)


@pytest.fixture(scope="module")
def configs(runs, tmp_path_factory) -> dict[str, Path]:
    """alertmanager.yml of each stack as the program deploys it (read from its resources)."""
    out = {}
    for stack in STACKS:
        path = tmp_path_factory.mktemp(stack) / "alertmanager.yml"
        path.write_text(bundle_files(runs[stack].records)["alertmanager/alertmanager.yml"])
        out[stack] = path
    return out


def routes_test(config: Path, labels: dict[str, str], receivers: tuple[str, ...]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [tool("amtool"), "config", "routes", "test", f"--config.file={config}",
         f"--verify.receivers={','.join(receivers)}", *(f"{k}={v}" for k, v in sorted(labels.items()))],
        capture_output=True, text=True,
    )


def assert_routes(config: Path, labels: dict[str, str], receivers: tuple[str, ...], why: str) -> None:
    result = routes_test(config, labels, receivers)
    assert result.returncode == 0, f"{why}: {labels} should reach exactly {receivers}, amtool: {result.stdout.strip()}"


def matches(matchers: list[str], labels: dict[str, str]) -> bool:
    """Alertmanager's matcher semantics for the forms monstack writes (absent label = "")."""
    for text in matchers:
        m = MATCHER.match(text)
        assert m, f"matcher {text!r} is not in a form this test understands"
        value = labels.get(m["name"], "")
        hit = re.fullmatch(m["value"], value) is not None if "~" in m["op"] else value == m["value"]
        if hit == m["op"].startswith("!"):
            return False
    return True


def uncovered_routes(config: dict, cases: list[RouteCase]) -> list[int]:
    """Indexes of the file's child routes that no case reaches: a case reaches route i when it
    satisfies route i's matchers and no earlier route that stops (continue: false) takes it."""
    routes = config["route"]["routes"]

    def reaches(case: RouteCase, index: int) -> bool:
        earlier = routes[:index]
        return matches(routes[index]["matchers"], case.labels) and not any(
            matches(r["matchers"], case.labels) and not r.get("continue", False) for r in earlier)

    return [i for i in range(len(routes)) if not any(reaches(c, i) for c in cases)]


@pytest.mark.parametrize("stack", STACKS)
def test_every_route_has_a_case(configs, stack):
    config = yaml.safe_load(configs[stack].read_text())
    assert uncovered_routes(config, cases_of(settings_of(stack))) == []


def test_a_route_without_a_case_is_caught():
    settings = settings_of("prod")
    config = yaml.safe_load(config_of(settings))
    cases = [c for c in cases_of(settings) if c.route != "routes[0]"]
    assert uncovered_routes(config, cases) == [1]


@pytest.mark.tools
@pytest.mark.parametrize("stack", STACKS)
def test_amtool_agrees_with_every_generated_case(configs, stack):
    cases = cases_of(settings_of(stack))
    assert len(cases) >= 4
    for case in cases:
        assert_routes(configs[stack], case.labels, case.receivers, case.name)


@pytest.mark.parametrize("stack", STACKS)
def test_routing_intent(configs, stack):
    settings = settings_of(stack)
    routing = settings.alerting.routing
    base = {"cluster": settings.cluster, "environment": settings.environment, "service": "redis"}
    switch = (watchdog_receiver(routing),)
    for severity in ("info", "warning", "critical"):
        assert_routes(configs[stack], {**base, "alertname": "Watchdog", "severity": severity}, switch,
                      "Watchdog goes to the dead man's switch only")
    assert_routes(configs[stack], {**base, "alertname": "RedisDown", "severity": "critical"},
                  (routing.critical or routing.default,), "critical goes to the pager")
    assert_routes(configs[stack], {**base, "alertname": "HostDiskSpaceLow", "severity": "warning"},
                  (routing.warning or routing.default,), "warning goes to chat")
    assert_routes(configs[stack], {**base, "alertname": "Other", "severity": "info"}, (routing.default,),
                  "info goes to the default receiver")
    for route in settings.alerting.routes:
        severity = route.severities[0] if route.severities else "warning"
        result = routes_test(configs[stack], {**base, **route.match, "alertname": "X", "severity": severity}, ())
        assert result.stdout.split()[0].split(",")[0] == route.receiver, f"{route.match} -> {route.receiver}"


def test_prod_sends_backend_warnings_to_the_team_and_criticals_to_the_pager(configs):
    labels = {"cluster": "meme-maker-production", "environment": "prod", "team": "backend",
              "service": "meme-maker-backend", "alertname": "MemeMakerBackendJobLatencyHigh"}
    assert_routes(configs["prod"], {**labels, "severity": "warning"}, ("backend-chat",), "team route")
    assert_routes(configs["prod"], {**labels, "severity": "critical"}, ("pager",), "criticals still page")


@pytest.mark.tools
def test_amtool_rejects_a_wrong_expectation(configs):
    """The check can fail: a case expecting the wrong receiver is refused."""
    result = routes_test(configs["prod"], {"alertname": "Watchdog", "severity": "info"}, ("team-chat",))
    assert result.returncode != 0


def test_staging_mutes_warnings_at_night(configs):
    config = yaml.safe_load(configs["staging"].read_text())
    warning = next(r for r in config["route"]["routes"] if r["matchers"] == ['severity="warning"'])
    critical = next(r for r in config["route"]["routes"] if r["matchers"] == ['severity="critical"'])
    assert warning["mute_time_intervals"] == ["nights"] and "mute_time_intervals" not in critical
    assert config["time_intervals"] == [{"name": "nights", "time_intervals": [
        {"times": [{"start_time": "22:00", "end_time": "24:00"}]},
        {"times": [{"start_time": "00:00", "end_time": "07:00"}]},
    ]}]


@pytest.mark.tools
def test_a_night_across_weekdays_continues_into_the_next_day(raw_config, tmp_path):
    raw = raw_config("staging")
    raw["alerting"]["muteTimeIntervals"] = [
        {"name": "nights", "times": [{"start": "22:00", "end": "06:00"}, {"start": "12:00", "end": "13:00"}],
         "weekdays": ["monday:wednesday", "friday:sunday"], "location": "Europe/Berlin"},
        {"name": "weekend", "weekdays": ["saturday:sunday"]},
    ]
    raw["alerting"]["routes"] = [{"match": {"service": "redis"}, "receiver": "team-chat", "muteTimeIntervals": ["weekend"]}]
    settings = settings_of("staging", raw)
    nights, weekend = time_intervals(settings.alerting.mute_time_intervals)
    assert nights["time_intervals"] == [
        {"times": [{"start_time": "12:00", "end_time": "13:00"}, {"start_time": "22:00", "end_time": "24:00"}],
         "weekdays": ["sunday:wednesday", "friday:saturday"], "location": "Europe/Berlin"},
        {"times": [{"start_time": "00:00", "end_time": "06:00"}],
         "weekdays": ["sunday:thursday", "saturday"], "location": "Europe/Berlin"},
    ]
    # Alertmanager's week starts on Sunday: the stack file's saturday:sunday cannot be one range.
    assert weekend["time_intervals"] == [{"weekdays": ["sunday", "saturday"]}]
    path = tmp_path / "alertmanager.yml"
    path.write_text(config_of(settings))
    result = subprocess.run([tool("amtool"), "check-config", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
