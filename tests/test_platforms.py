"""The platforms as ComponentResources (`monstack:platform:Docker` / `:Kubernetes`) built from
narrow, typed Args; what `run` declares is named from the name it is given and reaches the
cluster through the platform's provider, passed in resource options.

Existing stacks must keep every resource: the stack-wide ones (network, provider, namespace,
policies, Ingress, shared volumes) are now the platform's children, which changes their URNs,
so each carries an alias to the stack component that declared it before. Here, under mocks: the
URN each resource resolves to (through its alias) is the URN the stack had before the change.
With the real engine, tests/test_engine.py::test_stacks_of_the_old_layout_upgrade_in_place
rewrites a deployed stack's state into the old layout and previews the program against it.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import pulumi
import pytest
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

from harness.mocks import Record, RecordingMocks, RecordingMonitor
from harness.program import ProgramRun
from tests.conftest import KUBERNETES_STACKS, STACKS, as_config, secret_keys_of, stack_raw

PLATFORM_TYPES = {"docker": "monstack:platform:Docker", "kubernetes": "monstack:platform:Kubernetes"}
STACK_TYPE = "monstack:monitoring:MonitoringStack"
# The stack-wide resources, as (type, name) under the stack component before the platforms were
# components: their URNs in every deployed stack. The namespace is protected, and the provider's
# URN is in every Kubernetes object's state.
STACK_WIDE = {
    "docker": {("docker:index/network:Network", "monitoring-network")},
    "kubernetes": {("pulumi:providers:kubernetes", "monitoring-kubernetes"),
                   ("kubernetes:core/v1:Namespace", "monitoring-namespace"),
                   ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "monitoring-deny-all"),
                   ("kubernetes:networking.k8s.io/v1:NetworkPolicy", "monitoring-allow-dns")},
}
INGRESS = ("kubernetes:networking.k8s.io/v1:Ingress", "monitoring-ingress")


class Urns:
    """Engine-style URNs of a run's records (every ancestor's type, as the engine writes them;
    the mock monitor keeps only the parent's), and the URN each one's alias resolves to."""

    def __init__(self, records: list[Record]):
        self.by_urn = {r.urn: r for r in records}

    def qualified_type(self, record: Record | None) -> str:
        if record is None:
            return ""
        parent = self.qualified_type(self.by_urn.get(record.parent))
        return f"{parent}${record.type}" if parent else record.type

    def of(self, record: Record) -> str:
        return f"{self.qualified_type(record)}::{record.name}"

    def before(self, record: Record) -> str:
        """What the resource was known as: its alias with a parent, or its own URN."""
        for alias in record.aliases:
            if "parent" in alias:
                parent = self.qualified_type(self.by_urn.get(alias["parent"]))
                kind = alias.get("type", record.type)
                return f"{parent}${kind}::{alias.get('name', record.name)}" if parent else f"{kind}::{record.name}"
        return self.of(record)


def platform_of(run: ProgramRun) -> tuple[str, Record]:
    found = [(kind, r) for r in run.records for kind, t in PLATFORM_TYPES.items() if r.type == t]
    assert len(found) == 1, f"one platform component per stack, found {[r.type for _, r in found]}"
    return found[0]


@pytest.fixture(scope="module")
def every_run(runs, docker_runs):
    """Each shipped stack on its own platform, and staging and prod moved onto Docker."""
    return {**runs, **{f"{stack}-docker": docker_runs[stack] for stack in KUBERNETES_STACKS}}


@pytest.mark.parametrize("variant", [*STACKS, *(f"{s}-docker" for s in KUBERNETES_STACKS)])
def test_the_platform_is_a_component_under_the_stack(every_run, variant):
    run = every_run[variant]
    kind, platform = platform_of(run)
    assert kind == ("docker" if variant == "dev" or variant.endswith("-docker") else "kubernetes")
    assert not platform.custom
    parent = Urns(run.records).by_urn[platform.parent]
    assert parent.type == STACK_TYPE and platform.name == parent.name, "named like the stack it serves"


@pytest.mark.parametrize("variant", [*STACKS, *(f"{s}-docker" for s in KUBERNETES_STACKS)])
def test_existing_stacks_keep_every_resource(every_run, variant):
    """Every resource resolves to the URN it had before the platforms were components: the
    stack-wide ones through their alias, the rest unchanged. A new one would be created, and
    the one it replaces deleted (refused for the protected namespace)."""
    run = every_run[variant]
    urns = Urns(run.records)
    kind, platform = platform_of(run)
    platform_urn = urns.of(platform)
    before = {urns.before(r): r for r in run.records if r is not platform}
    assert len(before) == len(run.records) - 1, "two resources resolve to one URN: the engine refuses it"
    assert not [u for u in before if PLATFORM_TYPES[kind] in u], "a resource still under the platform, unaliased"
    children = {(r.type, r.name) for r in run.records if r.parent == platform.urn}
    expected = set(STACK_WIDE[kind])
    if variant == "prod":
        expected.add(INGRESS)
    assert expected <= children, f"stack-wide resources missing under {platform_urn}"
    for kind_name in expected:
        assert f"{STACK_TYPE}${kind_name[0]}::{kind_name[1]}" in before, f"{kind_name} moved without an alias"


@pytest.mark.parametrize("stack", KUBERNETES_STACKS)
def test_protected_namespace_keeps_protect_under_the_platform(runs, stack):
    namespace = next(r for r in runs[stack].records if r.type == "kubernetes:core/v1:Namespace")
    assert namespace.protect and namespace.retain_on_delete


def test_args_are_frozen_and_narrow():
    """The Args carry the values a platform reads, never the whole settings object."""
    from components.platforms.docker import DockerArgs
    from components.platforms.kubernetes import KubernetesArgs

    for args_type in (DockerArgs, KubernetesArgs):
        params = args_type.__dataclass_params__  # type: ignore[attr-defined]
        assert params.frozen, f"{args_type.__name__} must be frozen"
        kinds = {f.name: str(f.type) for f in dataclasses.fields(args_type)}
        assert "Settings" not in kinds.values() and "settings" not in kinds, kinds


def _declare_with_mocks(stack: str):
    """Fresh mocks and the stack's config; returns the records list and the loaded settings."""
    raw = stack_raw(stack)
    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_all_config({f"monstack:{k}": v for k, v in as_config(raw).items()},
                                  [f"monstack:{k}" for k in secret_keys_of(stack)])
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="monstack", stack=stack, preview=False, monitor=RecordingMonitor(mocks))
    from content.validation import load

    return mocks, load()


def test_run_names_children_from_its_name_and_passes_the_provider():
    """`run` names what it declares from the name it is given (not from its parent's), keeps
    the parent of `opts`, and sends every object through the platform's provider."""
    from components.platforms.digest import DIGEST_KEY_SECRET
    from components.platforms.kubernetes import KubernetesArgs, KubernetesPlatform
    from content.topology import Topology

    mocks, validated = _declare_with_mocks("staging")
    settings, plan = validated.settings, validated.plan
    holder = pulumi.ComponentResource("test:index:Holder", "holder")
    platform = KubernetesPlatform("stand", KubernetesArgs.of(settings, Topology(settings), plan))
    service = next(s for s in plan.services if s.name == "prometheus")
    keys = {key for f in service.secret_files for key in f.keys} | set(service.secret_env.values())
    secrets = {key: pulumi.Output.secret(f"test-{key}") for key in keys | {DIGEST_KEY_SECRET}}
    platform.run("given", service, secrets, pulumi.ResourceOptions(parent=holder))
    _sync_await(wait_for_rpcs())
    records = list(mocks.records)
    holder_urn = next(r.urn for r in records if r.type == "test:index:Holder")
    declared = [r for r in records if r.parent == holder_urn]
    assert declared and all(r.name.startswith("given-") for r in declared), [r.name for r in declared]
    assert Counter(r.type for r in declared)["kubernetes:apps/v1:StatefulSet"] == 1
    provider = next(r for r in records if r.type == "pulumi:providers:kubernetes")
    assert provider.name == "stand-kubernetes" and not provider.aliases, "no parent given: nothing to alias"
    for record in declared:
        assert record.provider.startswith(provider.urn + "::"), f"{record.name} not through the platform's provider"
