"""TLS on Prometheus' and Alertmanager's listeners when configured: web.yml, scrape and
alerting clients, and Grafana's data source all agree, and promtool accepts the result."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from harness.preview import bundle_files
from harness.program import run_program
from harness.tools import tool
from tests.conftest import as_config, docker_variant, secret_keys_of, stack_raw
from tests.test_preview import check


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to make a test certificate"
    where = tmp_path_factory.mktemp("tls")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=prometheus", "-addext", "subjectAltName=DNS:prometheus,DNS:alertmanager,DNS:localhost",
                    "-keyout", str(where / "key.pem"), "-out", str(where / "cert.pem")], check=True, capture_output=True)
    return (where / "cert.pem").read_text(), (where / "key.pem").read_text()


@pytest.fixture(scope="module")
def bundle(self_signed, tmp_path_factory):
    cert, key = self_signed
    raw = docker_variant(stack_raw("staging"))
    raw.pop("thanos")  # Grafana reads Prometheus itself (with Thanos it reads Query: tests/test_thanos.py)
    raw["webTls"] = {"certificate": cert, "keySecret": "webTlsKey"}
    raw["webTlsKey"] = key
    run = run_program("staging", as_config(raw), secret_keys_of("staging") + ["webTlsKey"])
    outdir = tmp_path_factory.mktemp("bundle")
    for path, content in bundle_files(run.records).items():
        target = outdir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    return outdir


@pytest.mark.tools
def test_promtool_accepts_tls_web_and_client_config(bundle):
    prom = bundle / "prometheus"
    check(tool("promtool"), "check", "web-config", str(prom / "web.yml"), str(bundle / "alertmanager" / "web.yml"))
    check(tool("promtool"), "check", "config", str(prom / "prometheus.yml"))
    text = (prom / "prometheus.yml").read_text()
    assert "scheme: https" in text and "ca_file: tls/ca.pem" in text


def test_grafana_verifies_prometheus_with_the_ca(bundle):
    datasource = (bundle / "grafana/provisioning/datasources/prometheus.yml").read_text()
    assert "url: https://prometheus:9090" in datasource
    assert "tlsCACert: $__file{/etc/monstack/tls/ca.pem}" in datasource
    assert (bundle / "grafana/tls/ca.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")


def test_api_data_source_verifies_prometheus_with_the_ca(self_signed):
    from harness.mocks import unwrap
    from tests.test_dashboard_delivery import TOKEN_KEY, with_external_grafana

    cert, key = self_signed
    raw = stack_raw("staging")
    raw.pop("thanos")
    raw["webTls"] = {"certificate": cert, "keySecret": "webTlsKey"}
    raw["webTlsKey"] = key
    # An external Grafana inside the cluster, reaching Prometheus' own TLS listener.
    url = f"https://prometheus.{raw['kubernetes']['namespace']}.svc:9090"
    raw = with_external_grafana(raw, prometheusUrl=url)
    run = run_program("staging", as_config(raw), secret_keys_of("staging") + ["webTlsKey", TOKEN_KEY])
    source = next(unwrap(r.inputs) for r in run.records if r.type == "grafana:oss/dataSource:DataSource")
    assert source["url"] == url
    assert json.loads(source["jsonDataEncoded"])["tlsAuthWithCACert"] is True
    secure = json.loads(source["secureJsonDataEncoded"])
    assert secure["tlsCACert"] == cert and secure["basicAuthPassword"] == "preview-placeholder-webPassword"


@pytest.mark.tools
def test_a_key_that_does_not_match_fails_promtool(bundle, self_signed, tmp_path):
    """The check above can fail: a web.yml whose key file is not a key is rejected."""
    shutil.copytree(bundle / "prometheus", tmp_path / "p")
    (tmp_path / "p" / "secrets" / "tls.key").write_text("not a key")
    result = subprocess.run([tool("promtool"), "check", "web-config", str(tmp_path / "p" / "web.yml")], capture_output=True)
    assert result.returncode != 0


def test_tls_key_must_be_a_secret(self_signed):
    from config.errors import SettingsError
    from content.validation import validate

    raw = stack_raw("staging")
    raw["webTls"] = {"certificate": self_signed[0], "keySecret": "webTlsKey"}
    raw["webTlsKey"] = self_signed[1]
    with pytest.raises(SettingsError) as caught:
        validate(raw, set(secret_keys_of("staging")), "monstack", "staging")
    assert [p.key for p in caught.value.problems] == ["webTlsKey"]
