"""What Prometheus 3 changed, held against what we generate (docs: Prometheus 3 migration):

- `le` and `quantile` values are normalised to floats on ingestion (`le="1"` becomes `le="1.0"`),
  so no rule or dashboard may match them exactly;
- a scrape without a valid Content-Type fails unless the job names a fallback protocol: the
  applications' jobs (targets we do not control) name one;
- Alertmanager's v1 API is gone: the alerting config says v2;
- flags were removed (`--storage.tsdb.retention`, `--alertmanager.timeout`, several feature flags)
  or deprecated (3.16: `--storage.tsdb.retention.time`/`.size`, now `storage.tsdb.retention` in the
  file): every flag the plan passes is one the pinned binaries know and do not deprecate;
- the binaries the tests run are the versions the stacks deploy.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from content.images import ALERTMANAGER_VERSION, CORE_IMAGES, PROMETHEUS_VERSION, THANOS_VERSION
from content.plan import build_plan
from content.service_plan import StackPlan
from content.validation import validate
from harness.tools import tool
from tests.conftest import ROOT, STACKS, secret_keys_of, stack_raw

# A matcher on `le` or `quantile` with an exact value: `le="1"`, `quantile!="0.5"` (regexes stay allowed).
EXACT_BUCKET_MATCH = re.compile(r'\b(le|quantile)\s*!?=\s*"')


def plan_of(stack: str) -> StackPlan:
    return build_plan(validate(stack_raw(stack), set(secret_keys_of(stack)), "monstack", stack).settings, "test")


@pytest.fixture(scope="module")
def plans() -> dict[str, StackPlan]:
    return {stack: plan_of(stack) for stack in STACKS}


def expressions(plan: StackPlan) -> list[tuple[str, str]]:
    """(where, PromQL) of every rule and every dashboard panel query of a plan."""
    out = [(f"{g.name}/{getattr(r, 'name', None) or r.record}", r.expr)
           for groups in plan.rule_groups.values() for g in groups for r in g.rules]
    for board in plan.dashboards:
        model = json.loads(board.json)
        out += [(f"{board.uid}/{p.get('title')}", t["expr"]) for p in model["panels"] for t in p.get("targets", [])]
    return out


def exact_bucket_matches(plan: StackPlan) -> list[str]:
    return [f"{where}: {expr}" for where, expr in expressions(plan) if EXACT_BUCKET_MATCH.search(expr)]


@pytest.mark.parametrize("stack", STACKS)
def test_no_exact_match_on_le_or_quantile(plans, stack):
    assert len(expressions(plans[stack])) > 50
    assert exact_bucket_matches(plans[stack]) == []


def test_the_le_check_finds_an_exact_match(plans):
    from content.rules import Recording, RuleGroup

    plan = plans["dev"]
    broken = RuleGroup("broken", (Recording("job:x:le1", 'sum(rate(x_bucket{le="1"}[5m]))'),))
    plan.rule_groups["broken.yml"] = [broken]
    try:
        assert exact_bucket_matches(plan) == ['broken/job:x:le1: sum(rate(x_bucket{le="1"}[5m]))']
    finally:
        del plan.rule_groups["broken.yml"]


@pytest.mark.parametrize("stack", STACKS)
def test_applications_fall_back_to_text_and_alerting_says_v2(plans, stack):
    plan = plans[stack]
    doc = yaml.safe_load(plan.service("prometheus").files["prometheus.yml"])
    apps = {a["name"] for a in stack_raw(stack)["applications"]}
    for job in doc["scrape_configs"]:
        expected = "PrometheusText0.0.4" if job["job_name"] in apps else None
        assert job.get("fallback_scrape_protocol") == expected, job["job_name"]
    assert [am["api_version"] for am in doc["alerting"]["alertmanagers"]] == ["v2"]


def _flag_names(argv: tuple[str, ...]) -> set[str]:
    return {a.split("=", 1)[0] for a in argv if a.startswith("--")}


def flag_help(help_text: str) -> dict[str, str]:
    """Each flag of a kingpin `--help` with its description (which may say [DEPRECATED])."""
    out: dict[str, str] = {}
    current = None
    for line in help_text.splitlines():
        match = re.match(r"\s{1,8}(?:-\w, )?(--(?:\[no-\])?[a-z0-9.\-]+)", line)
        if match:
            current = match.group(1).replace("[no-]", "")
            out[current] = line
        elif current:
            out[current] += " " + line.strip()
    return out


@pytest.mark.tools
@pytest.mark.parametrize("service", ["prometheus", "alertmanager"])
def test_every_flag_is_current_in_the_pinned_binary(plans, service):
    result = subprocess.run([tool(service), "--help"], capture_output=True, text=True)
    flags = flag_help(result.stdout + result.stderr)
    assert "--config.file" in flags and "--web.listen-address" in flags
    version = PROMETHEUS_VERSION if service == "prometheus" else ALERTMANAGER_VERSION
    for stack, plan in plans.items():
        args = plan.service(service).args
        used = _flag_names(args)
        # A hidden flag (e.g. --storage.tsdb.min-block-duration, which Thanos needs) is in no help
        # text: the binary must still parse it, as it does with `--version`.
        hidden = [a for a in args if a.split("=", 1)[0] in used - set(flags)]
        unknown = [a for a in hidden if subprocess.run([tool(service), a, "--version"], capture_output=True).returncode]
        assert not unknown, f"{stack}: {service} {version} does not know {unknown}"
        deprecated = sorted(f for f in used & set(flags) if "[DEPRECATED]" in flags[f])
        assert not deprecated, f"{stack}: {service} {version} deprecates {deprecated}"


@pytest.mark.tools
@pytest.mark.parametrize("name, version", [("prometheus", PROMETHEUS_VERSION), ("promtool", PROMETHEUS_VERSION),
                                           ("alertmanager", ALERTMANAGER_VERSION), ("amtool", ALERTMANAGER_VERSION),
                                           ("thanos", THANOS_VERSION)])
def test_the_tests_run_the_deployed_versions(name, version):
    result = subprocess.run([tool(name), "--version"], capture_output=True, text=True)
    assert f"version {version} " in result.stdout + result.stderr


def test_build_pins_agree_with_the_images():
    build = (ROOT / "scripts" / "build-tools").read_text()
    assert f"PROMETHEUS_VERSION={PROMETHEUS_VERSION}\n" in build
    assert f"ALERTMANAGER_VERSION={ALERTMANAGER_VERSION}\n" in build
    assert f"THANOS_VERSION={THANOS_VERSION}\n" in build
    assert f"github.com/thanos-io/thanos v{THANOS_VERSION}" in (ROOT / "tools" / "thanos" / "go.mod").read_text()
    major, minor, patch = PROMETHEUS_VERSION.split(".")
    # Prometheus 3.16.0 is Go module version v0.316.0.
    assert f"github.com/prometheus/prometheus v0.{major}{int(minor):02d}.{patch}" in (
        ROOT / "tools" / "prometheus" / "go.mod").read_text()
    assert f"github.com/prometheus/alertmanager v{ALERTMANAGER_VERSION}" in (
        ROOT / "tools" / "alertmanager" / "go.mod").read_text()
    assert CORE_IMAGES["prometheus"].endswith(f":v{PROMETHEUS_VERSION}")
    assert CORE_IMAGES["alertmanager"].endswith(f":v{ALERTMANAGER_VERSION}")
    assert CORE_IMAGES["thanos"].endswith(f":v{THANOS_VERSION}")
    assert not Path(ROOT / "tools" / "promtool").exists(), "the old promtool-only wrapper is gone"


# -- Alertmanager 0.35: a webhook URL that is itself the secret is read from a file ---------------

def _secret_url_stack(raw_config, drop_credential: bool = False):
    raw = raw_config("dev")
    hook = raw["alerting"]["receivers"][0]
    hook.pop("url")
    if not drop_credential:
        hook["credential"] = "hookUrl"
        raw["hookUrl"] = "https://hooks.example.com/T0/B0/s3cr3t-part"
    return raw, hook["name"]


def test_a_secret_webhook_url_is_read_from_its_file(raw_config):
    from content.alertmanager import alertmanager_config, receiver_secret_keys, secret_path

    raw, name = _secret_url_stack(raw_config)
    settings = validate(raw, set(secret_keys_of("dev")) | {"hookUrl"}, "monstack", "dev").settings
    rendered = alertmanager_config(settings.alerting, settings.alertmanager, settings.cluster)
    receiver = next(r for r in yaml.safe_load(rendered)["receivers"] if r["name"] == name)
    assert receiver["webhook_configs"] == [{"url_file": secret_path("hookUrl"), "send_resolved": True}]
    assert "s3cr3t" not in rendered and "hookUrl" in receiver_secret_keys(settings.alerting.receivers)


def test_a_webhook_needs_a_url_or_its_secret(raw_config):
    from tests.test_settings import problems

    raw, _ = _secret_url_stack(raw_config, drop_credential=True)
    message = problems("dev", raw)["alerting.receivers[0].url"]
    assert "when the URL itself is secret, no url and its secret key in credential" in message


@pytest.mark.tools
def test_amtool_accepts_the_url_file(raw_config, tmp_path):
    from content.alertmanager import alertmanager_config
    from content.workload import CONFIG_DIR

    raw, _ = _secret_url_stack(raw_config)
    settings = validate(raw, set(secret_keys_of("dev")) | {"hookUrl"}, "monstack", "dev").settings
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "hookUrl").write_text(raw["hookUrl"])
    config = tmp_path / "alertmanager.yml"
    rendered = alertmanager_config(settings.alerting, settings.alertmanager, settings.cluster)
    config.write_text(rendered.replace(f"{CONFIG_DIR}/", f"{tmp_path}/"))
    result = subprocess.run([tool("amtool"), "check-config", str(config)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
