"""The policy pack's rules (policy/rules.py) on the resources the program declares: the shipped
Kubernetes stacks pass every rule, and each rule catches the fault it is for. The engine tests
(tests/test_engine.py) run the same pack under `pulumi preview --policy-pack`."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from pulumi.runtime import rpc

from policy.rules import RULES, Resource, violations
from tests.conftest import KUBERNETES_STACKS


def plain(value: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return plain(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def resources(run) -> list[Resource]:
    return [Resource(r.type, r.name, plain(r.inputs), r.protect) for r in run.records]


def one(run, type_: str, name_part: str) -> Resource:
    return copy.deepcopy(next(r for r in resources(run) if r.type == type_ and name_part in r.name))


def broken(rule: str, resource: Resource) -> list[str]:
    return [message for name, message in violations([resource]) if name == rule]


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_shipped_stacks_pass_every_rule(runs, stack):
    assert violations(resources(runs[stack])) == []


def test_every_rule_is_served():
    assert [rule.name for rule in RULES] == ["containers-limited-non-root", "no-plaintext-secrets", "prometheus-retention",
                                             "prod-publishes-no-ports", "data-protected-outside-dev"]


def test_container_without_limits_or_as_root(runs):
    prometheus = one(runs["staging"], "kubernetes:apps/v1:StatefulSet", "prometheus")
    pod = prometheus.props["spec"]["template"]["spec"]
    del pod["containers"][0]["resources"]["limits"]["memory"]
    pod["securityContext"]["runAsNonRoot"] = False
    pod["containers"][0]["securityContext"]["runAsNonRoot"] = False
    messages = broken("containers-limited-non-root", prometheus)
    assert any("no memory limit" in m and "'prometheus'" in m for m in messages)
    assert any("may run as root" in m for m in messages)


@pytest.mark.parametrize("text", [
    "receivers:\n- slack_configs:\n  - api_url: https://hooks.slack.com/services/T0/B0/xyz\n",
    "basic_auth:\n  username: admin\n  password: hunter2-hunter2\n",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n",
])
def test_secret_in_a_config_map(runs, text):
    config_map = one(runs["staging"], "kubernetes:core/v1:ConfigMap", "prometheus")
    config_map.props["data"]["extra.yml"] = text
    assert broken("no-plaintext-secrets", config_map)


def test_references_to_secret_files_are_not_secrets(runs):
    config_map = one(runs["staging"], "kubernetes:core/v1:ConfigMap", "alertmanager")
    config_map.props["data"] = {"a.yml": "password_file: /etc/monstack/secrets/web-password\napi_url_file: /x\n"}
    assert broken("no-plaintext-secrets", config_map) == []


def test_secret_in_a_container_environment(runs):
    grafana = one(runs["staging"], "kubernetes:apps/v1:Deployment", "grafana")
    container = grafana.props["spec"]["template"]["spec"]["containers"][0]
    container["env"] = [*(container.get("env") or []), {"name": "GF_SECURITY_ADMIN_PASSWORD", "value": "s3cret-value"}]
    assert any("GF_SECURITY_ADMIN_PASSWORD" in m for m in broken("no-plaintext-secrets", grafana))


def test_prometheus_without_retention(runs):
    config_map = one(runs["prod"], "kubernetes:core/v1:ConfigMap", "prometheus")
    assert broken("prometheus-retention", config_map) == []
    doc = yaml.safe_load(config_map.props["data"]["prometheus.yml"])
    del doc["storage"]
    config_map.props["data"]["prometheus.yml"] = yaml.safe_dump(doc)
    assert any("storage.tsdb.retention" in m for m in broken("prometheus-retention", config_map))


def test_prod_publishes_no_ports(runs):
    service = one(runs["prod"], "kubernetes:core/v1:Service", "grafana")
    service.props["spec"]["type"] = "NodePort"
    assert any("NodePort" in m for m in broken("prod-publishes-no-ports", service))
    staging = one(runs["staging"], "kubernetes:core/v1:Service", "grafana")
    staging.props["spec"]["type"] = "NodePort"
    assert broken("prod-publishes-no-ports", staging) == []


def test_unprotected_data_outside_dev(runs):
    claim = one(runs["staging"], "kubernetes:core/v1:PersistentVolumeClaim", "grafana")
    assert broken("data-protected-outside-dev", claim) == []
    unprotected = Resource(claim.type, claim.name, claim.props, protect=False)
    assert any("not protected" in m for m in broken("data-protected-outside-dev", unprotected))
    prometheus = one(runs["staging"], "kubernetes:apps/v1:StatefulSet", "prometheus")
    prometheus.props["spec"]["persistentVolumeClaimRetentionPolicy"]["whenDeleted"] = "Delete"
    assert broken("data-protected-outside-dev", prometheus)
