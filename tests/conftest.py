"""Shared fixtures: stack configs read from the shipped stack files, and the real program run
under mocks (the same harness as the offline preview)."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.program import run_program, shutdown  # noqa: E402
from harness.stackfile import fill_missing_secrets, read_stack_file  # noqa: E402

STACKS = ("dev", "staging", "prod")
KUBERNETES_STACKS = ("staging", "prod")  # the shipped platform of each; dev stays on Docker


def stack_raw(stack: str) -> dict[str, Any]:
    """The stack file's config as structured data (with placeholder secrets)."""
    config = read_stack_file(stack)
    fill_missing_secrets(config)
    out = {}
    for key, value in config.values.items():
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def docker_variant(raw: dict[str, Any]) -> dict[str, Any]:
    """A shipped Kubernetes stack's config moved onto Docker (same thresholds, limits and
    receivers), so Docker facts stay tested at staging's and prod's values."""
    raw = copy.deepcopy(raw)
    raw["platform"] = "docker"
    raw.pop("kubernetes", None)
    exporters = raw.get("exporters", {})
    if exporters.pop("kubernetes", None) is not None:
        exporters["cadvisor"] = {"enabled": True}
        # Limits of the Kubernetes jobs (kube-state-metrics) name jobs Docker does not have.
        raw.get("prometheus", {}).pop("jobLimits", None)
    # Docker runs one of each (Prometheus, store gateway, Query); Thanos stays on.
    raw.get("prometheus", {}).pop("replicas", None)
    for component in ("storeGateway", "query"):
        raw.get("thanos", {}).get(component, {}).pop("replicas", None)
    if raw.get("exposure", {}).get("mode") == "proxy":
        raw["exposure"]["proxyNetwork"] = "edge"
    elif "exposure" in raw:
        raw["exposure"]["mode"] = "published"
    return raw


def as_config(raw: dict[str, Any]) -> dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}


def secret_keys_of(stack: str) -> list[str]:
    config = read_stack_file(stack)
    fill_missing_secrets(config)
    return list(config.secret_keys)


def run_stack(stack: str, raw: dict[str, Any] | None = None, secret_keys: list[str] | None = None):
    raw = stack_raw(stack) if raw is None else raw
    keys = secret_keys_of(stack) if secret_keys is None else secret_keys
    return run_program(stack, as_config(raw), keys)


SLOW_GROUPS = ("tools", "live", "engine", "controlplane")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that belongs to no slower group is `fast`, so a new test is fast unless it says
    otherwise, and `scripts/test --fast` needs no list kept beside the tests."""
    for item in items:
        if not any(item.get_closest_marker(group) for group in SLOW_GROUPS):
            item.add_marker(pytest.mark.fast)


@pytest.fixture
def raw_config():
    """A deep copy of a stack's raw config, to break in tests."""
    return lambda stack: copy.deepcopy(stack_raw(stack))


@pytest.fixture(scope="session")
def runs():
    """Each shipped stack run once under mocks (records are plain data, safe to share)."""
    return {stack: run_stack(stack) for stack in STACKS}


@pytest.fixture(scope="session")
def docker_runs(runs):
    """Every stack on Docker: dev as shipped, staging and prod moved onto Docker."""
    out = {"dev": runs["dev"]}
    for stack in KUBERNETES_STACKS:
        out[stack] = run_stack(stack, docker_variant(stack_raw(stack)))
    return out


@pytest.fixture(scope="session", autouse=True)
def _close_loop():
    yield
    shutdown()
