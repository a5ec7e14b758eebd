"""Every exporter integration through the one mechanism: enabled by config, run with its
credential as a file, scraped by a job whose selector its alerts use, checked by promtool."""

from __future__ import annotations

import subprocess

import pytest

from content.integrations import EXPORTERS
from harness.preview import write_preview
from harness.program import run_program
from tests.conftest import as_config, docker_variant, secret_keys_of, stack_raw
from tests.test_preview import tool
from tests.test_stack_records import containers

ALL_EXPORTERS = {
    "node": {"enabled": True},
    "cadvisor": {"enabled": True},
    "redis": {"enabled": True, "address": "redis:6379", "passwordSecret": "redisPassword"},
    "postgres": {"enabled": True, "address": "db:5432", "user": "monitor", "database": "app",
                 "passwordSecret": "postgresPassword"},
    "mysql": {"enabled": True, "address": "mariadb:3306", "user": "exporter", "passwordSecret": "mysqlPassword"},
    "mongodb": {"enabled": True, "address": "mongo:27017", "user": "monitor", "passwordSecret": "mongoPassword"},
    "blackbox": {"enabled": True, "targets": ["https://memeit.pro", "https://memeit.pro/health"]},
}
PASSWORDS = ["redisPassword", "postgresPassword", "mysqlPassword", "mongoPassword"]


def all_exporters(platform: str) -> dict:
    """Every integration that runs on `platform` (cAdvisor's container on Docker only; the
    kubernetes integration on Kubernetes only)."""
    out = dict(ALL_EXPORTERS)
    if platform == "kubernetes":
        del out["cadvisor"]
        out["kubernetes"] = {"enabled": True}
    return out


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    raw = docker_variant(stack_raw("staging"))
    raw["exporters"] = ALL_EXPORTERS
    for key in PASSWORDS:
        raw[key] = f"preview-placeholder-{key}"
    run = run_program("staging", as_config(raw), secret_keys_of("staging") + PASSWORDS)
    outdir = tmp_path_factory.mktemp("full") / "out"
    write_preview(run, outdir)
    return run, outdir


def test_every_registered_exporter_runs(full):
    run, _ = full
    assert {e.service for e in EXPORTERS if "docker" in e.platforms} <= set(containers(run))


def test_credentials_are_files_not_environment(full):
    run, outdir = full
    found = containers(run)
    pg_env = dict(e.split("=", 1) for e in found["postgres-exporter"]["envs"])
    assert pg_env["DATA_SOURCE_PASS_FILE"] == "/etc/monstack/secrets/password"
    assert "--config.my-cnf=/etc/monstack/secrets/my.cnf" in found["mysql-exporter"]["command"]
    assert "--redis.password-file=/etc/monstack/secrets/password.json" in found["redis-exporter"]["command"]
    assert (outdir / "exporters/mysql/secrets/my.cnf").read_text().count("password=********") == 1
    assert (outdir / "exporters/blackbox/blackbox.yml").exists()


def test_rules_use_the_scrape_job_selectors(full):
    _, outdir = full
    rules = outdir / "prometheus" / "rules"
    for exporter in (e for e in EXPORTERS if "docker" in e.platforms):
        text = (rules / f"{exporter.key}.yml").read_text()
        assert f'job="{exporter.key}"' in text
    prometheus_yml = (outdir / "prometheus" / "prometheus.yml").read_text()
    assert "__param_target" in prometheus_yml and "blackbox-exporter:9115" in prometheus_yml


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
    from harness.preview import bundle_files

    files = bundle_files(run.records)
    assert "prometheus/rules/cadvisor.yml" not in files
    assert "job_name: cadvisor" not in files["prometheus/prometheus.yml"]
