"""`kubernetes.skipAwait`: off in the shipped stacks (a `pulumi up` waits for every rollout); on,
every object the program applies carries the provider's `pulumi.com/skipAwait`, so the provider
returns once the API server accepted it. Bad values are refused before anything is declared.
The control-plane tests (tests/test_controlplane.py) apply with it on, since no kubelet runs there."""

from __future__ import annotations

import pytest

from components.platforms.kubernetes import SKIP_AWAIT
from harness.preview import manifests
from tests.conftest import KUBERNETES_STACKS, run_stack, stack_raw
from tests.test_kubernetes import problems

# What the provider would otherwise await: rollouts, Service endpoints, bound claims, an Ingress address.
AWAITED_KINDS = {"StatefulSet", "Deployment", "DaemonSet", "Service", "PersistentVolumeClaim", "Ingress"}


def skip_await_variant(stack: str, value) -> dict:
    raw = stack_raw(stack)
    raw["kubernetes"] = {**raw["kubernetes"], "skipAwait": value}
    return raw


def annotated(run) -> dict[str, set[str]]:
    """Kind -> names of the objects that carry the skipAwait annotation, and kind -> all names."""
    out: dict[str, set[str]] = {}
    for m in manifests(run.records):
        if (m["metadata"].get("annotations") or {}).get(SKIP_AWAIT) == "true":
            out.setdefault(m["kind"], set()).add(m["metadata"]["name"])
    return out


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_the_shipped_stacks_await_every_rollout(runs, stack):
    assert "skipAwait" not in stack_raw(stack).get("kubernetes", {})
    assert annotated(runs[stack]) == {}


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_skip_await_annotates_everything_the_provider_would_await(stack):
    run = run_stack(stack, skip_await_variant(stack, True))
    found = annotated(run)
    for m in manifests(run.records):
        if m["kind"] in AWAITED_KINDS:
            assert m["metadata"]["name"] in found.get(m["kind"], set()), f"{m['kind']}/{m['metadata']['name']}"
    # The pod template is the workload's own business: its checksums stay, nothing is added to them.
    for m in manifests(run.records):
        if m["kind"] in ("StatefulSet", "Deployment", "DaemonSet"):
            assert SKIP_AWAIT not in m["spec"]["template"]["metadata"].get("annotations", {})


def test_skip_await_false_is_the_default():
    assert annotated(run_stack("staging", skip_await_variant("staging", False))) == {}


@pytest.mark.parametrize("value, expected", [
    ("sometimes", "valid boolean"),
    ({"workloads": True}, "valid boolean"),
])
def test_skip_await_must_be_a_boolean(value, expected):
    found = problems("staging", skip_await_variant("staging", value))
    message = found["kubernetes.skipAwait"]
    assert expected in message and "pulumi config set --path 'kubernetes.skipAwait'" in message, message


def test_skip_await_with_render_mode_is_refused():
    raw = skip_await_variant("prod", True)
    raw["kubernetes"]["renderYamlTo"] = "rendered/prod"
    message = problems("prod", raw)["kubernetes.skipAwait"]
    assert "skipAwait with renderYamlTo" in message and "pulumi config rm --path 'kubernetes.skipAwait'" in message, message
