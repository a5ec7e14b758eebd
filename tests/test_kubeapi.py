"""The read-back comparison of the control-plane tests (harness/kubeapi.py): what the API server
adds is ignored, what it rewrites as an equal quantity is equal, anything else is a difference."""

from __future__ import annotations

from harness.kubeapi import mismatches, quantity


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
