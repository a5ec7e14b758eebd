"""The offline preview, end to end: the bundle of every stack passes the real tools, two runs
are byte-identical, secrets never reach OUTDIR, and a broken stack writes nothing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from harness.preview import main as preview
from harness.tools import tool
from tests.conftest import ROOT, STACKS

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def check(*command: str) -> str:
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    out = {}
    for stack in STACKS:
        outdir = tmp_path_factory.mktemp(stack) / "out"
        assert preview([stack, str(outdir), "--quiet"]) == 0
        out[stack] = outdir
    return out


def all_files(outdir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(outdir)): p.read_bytes() for p in sorted(outdir.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("stack", STACKS)
def test_layout(bundles, stack):
    files = set(all_files(bundles[stack]))
    for expected in ("prometheus/prometheus.yml", "prometheus/web.yml", "alertmanager/alertmanager.yml",
                     "grafana/dashboards/Platform/monstack-alerts.json", "resources.json"):
        assert expected in files
    assert any(f.startswith("prometheus/rules/") for f in files)
    # Every stack's own Grafana provisions itself from files.
    assert "grafana/provisioning/datasources/prometheus.yml" in files


@pytest.mark.tools
@pytest.mark.parametrize("stack", STACKS)
def test_promtool_checks_config_rules_and_web_config(bundles, stack):
    prom = bundles[stack] / "prometheus"
    out = check(tool("promtool"), "check", "config", str(prom / "prometheus.yml"))
    rule_files = sorted((prom / "rules").glob("*.yml"))
    assert f"SUCCESS: {len(rule_files)} rule files found" in out
    check(tool("promtool"), "check", "rules", *map(str, rule_files))
    check(tool("promtool"), "check", "web-config", str(prom / "web.yml"), str(bundles[stack] / "alertmanager" / "web.yml"))


@pytest.mark.tools
@pytest.mark.parametrize("stack", STACKS)
def test_amtool_checks_alertmanager_config(bundles, stack):
    check(tool("amtool"), "check-config", str(bundles[stack] / "alertmanager" / "alertmanager.yml"))


@pytest.mark.tools
def test_a_broken_rule_fails_promtool(tmp_path):
    """The checks above can fail: promtool rejects a bad expression in a bundle-shaped file."""
    bad = tmp_path / "bad.yml"
    bad.write_text("groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: rate(up[5m]\n")
    result = subprocess.run([tool("promtool"), "check", "rules", str(bad)], capture_output=True)
    assert result.returncode != 0


def test_two_runs_are_byte_identical(bundles, tmp_path):
    again = tmp_path / "again"
    assert preview(["prod", str(again), "--quiet"]) == 0
    assert all_files(again) == all_files(bundles["prod"])


@pytest.mark.parametrize("stack", STACKS)
def test_no_secret_value_written(bundles, stack):
    for name, content in all_files(bundles[stack]).items():
        text = content.decode()
        assert "preview-placeholder-" not in text, name
        assert "generated-" not in text, name
    secret_file = bundles[stack] / "grafana" / "secrets" / "admin-password"
    assert secret_file.read_text() == "********"


def test_resources_json_masks_secret_properties(bundles):
    resources = json.loads((bundles["dev"] / "resources.json").read_text())
    grafana = next(r for r in resources if r["name"] == "monitoring-grafana-container")
    assert grafana["inputs"]["uploads"] == "[secret]"
    assert grafana["parent"] == "monitoring-grafana"
    assert {r["type"] for r in resources} >= {"monstack:monitoring:MonitoringStack", "docker:index/network:Network"}
    resources = json.loads((bundles["prod"] / "resources.json").read_text())
    secret = next(r for r in resources if r["name"] == "monitoring-grafana-secret")
    assert secret["inputs"]["stringData"] == "[secret]"
    assert secret["parent"] == "monitoring-grafana"


@pytest.mark.parametrize("stack", ("staging", "prod"))
def test_kubernetes_manifests_written(bundles, stack):
    written = sorted((bundles[stack] / "kubernetes").glob("*.yaml"))
    assert len(written) > 30
    assert (bundles[stack] / "kubernetes" / "statefulset-prometheus.yaml").exists()
    assert not (bundles["dev"] / "kubernetes").exists()


def test_broken_stack_prints_every_error_and_writes_nothing(tmp_path, capsys):
    text = (ROOT / "Pulumi.staging.yaml").read_text()
    text = text.replace("time: 15d", "time: 0d").replace("logLevel: info", "logLevle: info")
    text = text.replace("cpu: 0.4", "cpu: lots")
    broken = tmp_path / "Pulumi.staging.yaml"
    broken.write_text(text)
    outdir = tmp_path / "out"
    assert preview(["staging", str(outdir), "--stack-file", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "3 configuration problem(s)" in err
    for key in ("prometheus.retention.time", "logLevle", "prometheus.resources.limits.cpu"):
        assert f"monstack:{key} = " in err
    assert not outdir.exists()


def test_strict_fails_on_absent_secrets(tmp_path, capsys):
    assert preview(["--strict", "prod", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "pulumi config set --secret 'webPassword' '<value>' --stack prod" in err
    assert not (tmp_path / "out").exists()


def test_encrypted_values_are_replaced_and_reported(tmp_path, capsys):
    text = (ROOT / "Pulumi.prod.yaml").read_text()
    text += "  monstack:webPassword:\n    secure: AAABAJ4mS0u1k9Ql6sDbCw==\n"
    stack_file = tmp_path / "Pulumi.prod.yaml"
    stack_file.write_text(text)
    assert preview(["prod", str(tmp_path / "out"), "--stack-file", str(stack_file), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "placeholder for secret 'webPassword': encrypted in the stack file" in err
