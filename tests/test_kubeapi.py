"""The read-back comparison of the control-plane tests (harness/kubeapi.py): what the API server
adds is ignored, what it rewrites as an equal quantity is equal, anything else is a difference."""

from __future__ import annotations

import pytest

from harness.kubeapi import mismatches, quantity
from harness.preview import manifests
from tests.conftest import KUBERNETES_STACKS


def test_quantities_compare_by_value():
    assert quantity("0.4") == quantity("400m")
    assert quantity("768Mi") == quantity(768 * 2**20)
    assert quantity("1Gi") != quantity("1G")
    assert quantity("http") is None and quantity(True) is None


def test_fields_the_server_adds_are_ignored_and_changes_are_named():
    applied = {"spec": {"replicas": 1, "template": {"spec": {"containers": [{"resources": {"limits": {"cpu": "0.4"}}}]}}}}
    live = {"spec": {"replicas": 1, "revisionHistoryLimit": 10,
                     "template": {"spec": {"containers": [{"resources": {"limits": {"cpu": "400m"}}, "name": "x"}]}}},
            "status": {}}
    assert mismatches(applied, live) == []
    live["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = "500m"
    cpu = "/spec/template/spec/containers[0]/resources/limits/cpu"
    assert mismatches(applied, live) == [f"{cpu}: applied '0.4', reads back '500m'"]
    assert mismatches({"data": {"a": "1"}}, {"data": {}}) == ["/data/a: missing"]
    assert mismatches({"args": ["a", "b"]}, {"args": ["a"]}) == ["/args: expected 2 items, found 1"]
    assert mismatches({"projected": {"sources": []}}, {"projected": {}}) == []


def _empties(value, path=""):
    """Paths of empty lists (an empty map may be meaningful: a NetworkPolicy's podSelector {})."""
    if value == []:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _empties(v, f"{path}/{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _empties(v, f"{path}[{i}]")]
    return []


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_no_manifest_holds_what_the_api_server_drops(runs, stack):
    """An empty list reads back absent, so the provider would see a change on every
    `pulumi up` (found by the control-plane tests: an exporter's projected volume with no sources)."""
    found = {f"{m['kind']}/{m['metadata']['name']}": _empties(m) for m in manifests(runs[stack].records)}
    assert not {k: v for k, v in found.items() if v}
