"""Every exporter integration through the one mechanism: enabled by config, run with its
credential as a file, scraped by a job whose selector its alerts use, checked by promtool."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from config.errors import SettingsError
from content import thanos
from content.integrations import INTEGRATIONS
from content.integrations.windows import Windows, WindowsSettings
from content.plan import build_plan
from content.topology import Topology
from content.validation import validate
from harness.mocks import unwrap
from harness.preview import bundle_files, write_preview
from harness.program import run_program
from harness.tools import tool
from tests.conftest import as_config, docker_variant, secret_keys_of, stack_raw
from tests.matrix import EXAMPLE_SECRETS, example_exporters, with_every_integration
from tests.promql_reads import job_values, rendered_expr, selectors
from tests.test_stack_records import containers

ALL_EXPORTERS = example_exporters("docker")  # the `full` bundle's: every integration Docker runs


def full_settings(stack: str):
    """A shipped stack's settings with every integration its platform runs enabled."""
    raw = with_every_integration(stack_raw(stack))
    return validate(raw, set(secret_keys_of(stack)) | set(EXAMPLE_SECRETS), "monstack", stack).settings


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    raw = docker_variant(stack_raw("staging"))
    raw = with_every_integration(raw)
    run = run_program("staging", as_config(raw), secret_keys_of("staging") + EXAMPLE_SECRETS)
    outdir = tmp_path_factory.mktemp("full") / "out"
    write_preview(run, outdir)
    return run, outdir


def test_every_registered_exporter_runs(full):
    run, _ = full
    assert {e.service for e in INTEGRATIONS if e.runs_workload and "docker" in e.platforms} <= set(containers(run))


def test_scrape_only_integrations_declare_no_container_but_a_job_and_rules(full):
    """windows_exporter and RabbitMQ's plugin run elsewhere: no container or image of ours, but
    a scrape job at the configured targets and a rule file whose alerts use its selector."""
    run, outdir = full
    scrape_only = [e for e in INTEGRATIONS if not e.runs_workload]
    assert {e.key for e in scrape_only} == {"windows", "rabbitmq"}
    jobs = {j["job_name"]: j for j in yaml.safe_load((outdir / "prometheus/prometheus.yml").read_text())["scrape_configs"]}
    for exporter in scrape_only:
        assert f"{exporter.key}-exporter" not in containers(run)
        assert exporter.image is None and not (outdir / "exporters" / exporter.key).exists()
        # Remote targets: a `service` label for routing, no `host` (the stack host's NodeDown must not hide them).
        assert jobs[exporter.key]["static_configs"] == [{"targets": ALL_EXPORTERS[exporter.key]["targets"],
                                                         "labels": {"service": exporter.key}}]
        rules = yaml.safe_load((outdir / "prometheus/rules" / f"{exporter.key}.yml").read_text())
        alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
        assert alerts and all(f'job="{exporter.key}"' in r["expr"] for r in alerts)
    assert "metrics_path" not in jobs["rabbitmq"]  # /metrics: alarms and (per-object setting) queues


def test_kafka_exporter_runs_pinned_with_every_broker(full):
    run, _ = full
    kafka = containers(run)["kafka-exporter"]
    images = {unwrap(r.inputs)["name"] for r in run.records if r.type == "docker:index/remoteImage:RemoteImage"}
    assert "docker.io/danielqsj/kafka-exporter:v1.8.0" in images
    assert [a for a in kafka["command"] if a.startswith("--kafka.server=")] == [
        "--kafka.server=kafka-1:9092", "--kafka.server=kafka-2:9092"]


# What each integration alerts on: (alert, severity), target-down included. A change here is
# a change of what pages people, so it is spelt out rather than derived.
EXPECTED_ALERTS = {
    "cadvisor": {("CadvisorDown", "critical"), ("ContainerCpuThrottled", "warning"),
                 ("ContainerMemoryNearLimit", "warning"), ("ContainerRestarting", "warning")},
    "blackbox": {("BlackboxDown", "critical"), ("ProbeFailed", "critical"), ("ProbeCertificateExpiring", "warning"),
                 ("ProbeCertificateExpiring", "critical"), ("ProbeSlow", "warning")},
    "windows": {("WindowsDown", "critical"), ("WindowsHighCpuLoad", "warning"), ("WindowsOutOfMemory", "warning"),
                ("WindowsDiskSpaceLow", "warning"), ("WindowsDiskSpaceLow", "critical"),
                ("WindowsServiceNotRunning", "critical")},
    "rabbitmq": {("RabbitmqDown", "critical"), ("RabbitmqQueueBacklog", "warning"),
                 ("RabbitmqUnackedMessagesHigh", "warning"), ("RabbitmqMemoryAlarm", "critical"),
                 ("RabbitmqQueueWithoutConsumers", "warning")},
    "kafka": {("KafkaDown", "critical"), ("KafkaConsumerGroupLag", "warning"),
              ("KafkaUnderReplicatedPartitions", "critical")},
}
EXPECTED_RECORDINGS = {
    "windows": {"instance:windows_cpu_utilisation:rate5m", "instance:windows_memory_utilisation:ratio"},
}


@pytest.mark.parametrize("key", sorted(EXPECTED_ALERTS))
def test_expected_alerts_per_integration(full, key):
    _, outdir = full
    rules = [r for g in yaml.safe_load((outdir / "prometheus/rules" / f"{key}.yml").read_text())["groups"]
             for r in g["rules"]]
    assert {(r["alert"], r["labels"]["severity"]) for r in rules if "alert" in r} == EXPECTED_ALERTS[key]
    assert {r["record"] for r in rules if "record" in r} == EXPECTED_RECORDINGS.get(key, set())


def test_windows_service_alert_follows_the_listed_services():
    """No services listed: no service alert (it would match nothing). Listed: a case-insensitive
    match of exactly those names, `$` escaped (MSSQL$SQLEXPRESS is a usual instance name)."""
    settings = WindowsSettings(enabled=True, targets=["w:9182"])
    job = Windows().scrape_jobs(settings, Topology(validate(stack_raw("dev"), set(), "monstack", "dev").settings))[0]
    assert "WindowsServiceNotRunning" not in {a.name for a in Windows().alerts(settings, job)}
    listed = settings.model_copy(update={"services": ["w3svc", "MSSQL$SQLEXPRESS"]})
    alert = next(a for a in Windows().alerts(listed, job) if a.name == "WindowsServiceNotRunning")
    assert 'name=~"(?i)(w3svc|mssql\\\\$sqlexpress)"' in alert.expr


def test_scrape_only_integration_needs_targets_when_enabled(raw_config):
    raw = raw_config("staging")
    raw["exporters"] = {"rabbitmq": {"enabled": True}}
    raw["prometheus"].pop("jobLimits")  # they name kube-state-metrics, whose integration is off here
    with pytest.raises(SettingsError, match="targets"):
        validate(raw, set(secret_keys_of("staging")), "monstack", "staging")
    raw["exporters"] = {"windows": {"enabled": False}, "kafka": {"enabled": True, "address": "kafka:9092"}}
    settings = validate(raw, set(secret_keys_of("staging")), "monstack", "staging").settings
    assert settings.exporters.kafka.address == ["kafka:9092"]  # one broker or a list


def test_no_new_integration_is_enabled_in_the_shipped_stacks(runs):
    for stack, run in runs.items():
        files = bundle_files(run.records)
        for key in ("windows", "rabbitmq", "kafka"):
            assert f"prometheus/rules/{key}.yml" not in files, (stack, key)


def test_credentials_are_files_not_environment(full):
    run, outdir = full
    found = containers(run)
    pg_env = dict(e.split("=", 1) for e in found["postgres-exporter"]["envs"])
    assert pg_env["DATA_SOURCE_PASS_FILE"] == "/etc/monstack/secrets/password"
    assert "--config.my-cnf=/etc/monstack/secrets/my.cnf" in found["mysql-exporter"]["command"]
    assert "--redis.password-file=/etc/monstack/secrets/password.json" in found["redis-exporter"]["command"]
    assert (outdir / "exporters/mysql/secrets/my.cnf").read_text().count("password=********") == 1
    assert (outdir / "exporters/blackbox/blackbox.yml").exists()


def job_names_by_rule_file(settings) -> dict[str, set[str]]:
    """Rule file -> the scrape jobs its rules may read: an exporter's own jobs (from its scrape
    config, not from its rules), each application's job, and the stack's own two."""
    topology = Topology(settings)
    out = {f"{e.key}.yml": {job.name for job in e.scrape_jobs(e.settings_of(settings.exporters), topology)}
           for e in INTEGRATIONS if e.wanted(settings.exporters) and e.runs_on(settings.platform)}
    out |= {f"app-{app.name}.yml": {app.name} for app in settings.applications}
    out["monstack.yml"] = {"prometheus", "alertmanager"}
    if settings.thanos:  # the Thanos components' jobs, from their scrape config
        out["thanos.yml"] = {job.name for job in thanos.scrape_jobs(topology, settings.web_user, "pw")}
    return out


# Series Prometheus writes itself for every target of every job (with `extra_scrape_metrics`): the
# cardinality group's alerts read them across all jobs on purpose, so they carry no job selector there.
PER_TARGET_SERIES = {"up", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling", "scrape_series_added",
                     "scrape_sample_limit", "scrape_body_size_bytes"}


@pytest.mark.parametrize("stack", ["dev", "staging"])  # Docker (cAdvisor) and Kubernetes (kubernetes integration)
def test_rules_use_the_scrape_job_selectors(stack):
    """Each rule's own expression, parsed: every series it reads carries `job="<one of its file's
    jobs>"`, and every alert reads at least one series (Watchdog's `vector(1)` aside)."""
    settings = full_settings(stack)
    allowed = job_names_by_rule_file(settings)
    plan = build_plan(settings, salt_seed="test")
    checked = 0
    for file, groups in plan.rule_groups.items():
        for group, rule in ((g, r) for g in groups for r in g.rules):
            found = selectors(rendered_expr(rule))
            where = f"{file}: {getattr(rule, 'name', None) or rule.record}"
            assert found or getattr(rule, "always_fires", False), f"{where} reads no series"
            for selector in found:
                if group.name == "cardinality" and selector.name in PER_TARGET_SERIES:
                    continue
                assert job_values(selector) & allowed[file], f"{where}: {selector} lacks job={sorted(allowed[file])}"
            checked += 1
    assert checked > 60


def test_blackbox_probes_through_its_exporter(full):
    _, outdir = full
    prometheus_yml = (outdir / "prometheus" / "prometheus.yml").read_text()
    assert "__param_target" in prometheus_yml and "blackbox-exporter:9115" in prometheus_yml


@pytest.mark.tools
def test_promtool_accepts_the_full_bundle(full):
    _, outdir = full
    result = subprocess.run([tool("promtool"), "check", "config", str(outdir / "prometheus" / "prometheus.yml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_disabled_exporter_has_no_job_and_no_rules():
    raw = docker_variant(stack_raw("staging"))
    raw["exporters"] = {"node": {"enabled": True}, "cadvisor": {"enabled": False}}
    run = run_program("staging", as_config(raw), secret_keys_of("staging"))
    assert "cadvisor-exporter" not in containers(run) and "redis-exporter" not in containers(run)
    files = bundle_files(run.records)
    assert "prometheus/rules/cadvisor.yml" not in files
    assert "job_name: cadvisor" not in files["prometheus/prometheus.yml"]


def test_integration_keys_are_unique():
    """A key names the settings block, the job and the rule file: two integrations sharing one
    would silently merge in the derived settings schema."""
    keys = [i.key for i in INTEGRATIONS]
    assert len(set(keys)) == len(keys), sorted(k for k in keys if keys.count(k) > 1)
