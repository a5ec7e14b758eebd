"""The program under the real Pulumi engine (the CLI and Kubernetes provider that scripts/build-tools
builds), with a file backend and passphrase secrets in a temporary workspace (harness.engine).

The stacks `ci-staging` and `ci-prod` are the shipped staging and prod stacks with Grafana managed by
provisioning files (the Grafana provider cannot be built here) and `kubernetes.renderYamlTo` set; their
`kubernetes.context` stays, so render mode must work with it. Every secret is set with
`pulumi config set --secret`. The module's tests run in order on the same stacks: preview, up, then
everything that needs a deployed stack; the destroy test comes last.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.engine import BUILD_HINT, Result, Workspace, ci_secrets, missing_tools

pytestmark = pytest.mark.engine
STACKS = {"ci-staging": "staging", "ci-prod": "prod"}
PROTECTED = ("monitoring-namespace", "monitoring-grafana-data")


def ci_config(ws: Workspace, stack: str) -> dict[str, Any]:
    return {"grafana.manageByApi": False, "kubernetes.renderYamlTo": str(ws.rendered(stack))}


@pytest.fixture(scope="module")
def secrets() -> dict[str, dict[str, str]]:
    """Fresh random values for every secret of each stack."""
    return {stack: ci_secrets(shipped) for stack, shipped in STACKS.items()}


@pytest.fixture(scope="module")
def ws(tmp_path_factory, secrets):
    if missing := missing_tools():
        pytest.fail(f"the real engine is not built ({', '.join(missing)}): {BUILD_HINT}")
    workspace = Workspace.create(tmp_path_factory.mktemp("engine"))
    # As on a user's machine: an ambient $KUBECONFIG, which render mode must not hand the provider
    # (it refuses `kubeconfig` next to `renderYamlToDirectory`). It names no file, so the provider
    # itself finds no cluster. (One naming an unreachable server made the provider hang for minutes.)
    kubeconfig = workspace.root / "no-such-kubeconfig"
    workspace.env["KUBECONFIG"] = str(kubeconfig)
    for stack, shipped in STACKS.items():
        workspace.init_stack(stack, from_stack=shipped, config=ci_config(workspace, stack), secrets=secrets[stack])
    yield workspace
    workspace.close()


def run(ws: Workspace, *args: str, stack: str, check: bool = True) -> Result:
    return ws.pulumi(*args, stack=stack, check=check)


def steps(preview: Result) -> list[dict[str, Any]]:
    """The engine's planned steps of `pulumi preview --json`, without the unchanged ones."""
    return [s for s in json.loads(preview.stdout).get("steps", []) if s["op"] != "same"]


def rendered_manifests(directory: Path) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for path in sorted(directory.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                out[(doc["kind"], doc["metadata"]["name"])] = doc
    return out


# -- preview and up ---------------------------------------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_preview_succeeds(ws, stack):
    result = run(ws, "preview", "--json", stack=stack)
    planned = steps(result)
    assert planned and {s["op"] for s in planned} == {"create"}
    kinds = {s["urn"].split("::")[2].rsplit("$", 1)[-1] for s in planned}
    assert {"kubernetes:apps/v1:StatefulSet", "kubernetes:core/v1:ConfigMap", "pulumi:providers:kubernetes"} <= kinds


@pytest.mark.parametrize("stack", STACKS)
def test_up_renders_the_offline_previews_manifests(ws, stack):
    """`pulumi up` writes the manifests; they equal what `scripts/preview` (mocks) writes for the
    same stack file, Secret values aside (masked there, placeholders here)."""
    run(ws, "up", "--yes", "--skip-preview", stack=stack)
    engine = rendered_manifests(ws.rendered(stack))
    outdir = ws.root / "offline" / stack
    ws._run([str(ws.project / "scripts" / "preview"), stack, str(outdir)])
    offline = rendered_manifests(outdir / "kubernetes")
    assert engine.keys() == offline.keys()
    for key, manifest in engine.items():
        if key[0] == "Secret":
            # The provider renders stringData as base64 `data`; the preview masks the values.
            assert set(manifest.pop("data")) == set(offline[key]["stringData"]), key
            expected = {k: v for k, v in offline[key].items() if k != "stringData"}
        else:
            expected = offline[key]
        assert without_secrets_digest(manifest) == without_secrets_digest(expected), key


def without_secrets_digest(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest without its pod template's `checksum/secrets`: an HMAC keyed with a secret
    (grafanaSecretKey), which the offline preview replaces by a placeholder. Present on both or neither."""
    manifest = json.loads(json.dumps(manifest))
    annotations = manifest.get("spec", {}).get("template", {}).get("metadata", {}).get("annotations", {})
    if annotations.pop("checksum/secrets", None) is not None:
        annotations["checksum/secrets"] = "<keyed with a secret>"
    return manifest


@pytest.mark.parametrize("stack", STACKS)
def test_second_preview_has_no_changes(ws, stack):
    run(ws, "preview", "--expect-no-changes", stack=stack)


PLATFORM = "monstack:platform:Kubernetes"


def old_layout(export: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """A `stack export` as the program left it before the platforms were components: no platform
    component, its children (provider, namespace, policies, Ingress) directly under the stack
    component, in their URNs, parents, provider references and dependencies. Also returns how
    many resources moved."""
    resources = export["deployment"]["resources"]
    platform = next(r for r in resources if r["type"] == PLATFORM)
    moved = sum(1 for r in resources if r.get("parent") == platform["urn"])
    deployment = {**export["deployment"], "resources": [r for r in resources if r is not platform]}
    text = json.dumps({**export, "deployment": deployment})
    text = text.replace(json.dumps(platform["urn"]), json.dumps(platform["parent"])).replace(f"${PLATFORM}$", "$")
    return json.loads(text), moved


@pytest.mark.parametrize("stack", STACKS)
def test_stacks_of_the_old_layout_upgrade_in_place(ws, stack):
    """A stack deployed before the platforms were components upgrades without touching an object:
    the aliases carry the provider, the protected namespace, the policies and the Ingress to their
    new parent, so the one step is creating the platform component (which has no object of its
    own), and the next preview has no changes. Without the aliases the engine plans to delete those
    resources and create them anew, and the preview fails: the protected namespace cannot be deleted."""
    state, moved = old_layout(ws.export(stack))
    assert moved >= 4  # provider, namespace, two policies (and prod's Ingress)
    path = ws.root / f"{stack}-old-layout.json"
    path.write_text(json.dumps(state))
    run(ws, "stack", "import", "--file", str(path), stack=stack)
    planned = steps(run(ws, "preview", "--json", stack=stack))
    assert [(s["op"], s["urn"].split("::")[2].rsplit("$", 1)[-1]) for s in planned] == [("create", PLATFORM)], planned
    up = run(ws, "up", "--yes", "--skip-preview", stack=stack)
    assert "+ 1 created" in up.stdout and not any(w in up.stdout for w in ("updated", "replaced", "deleted")), up.stdout
    run(ws, "preview", "--expect-no-changes", stack=stack)


def test_changing_one_threshold_changes_only_the_rules_and_the_pod_template(ws):
    """A threshold lives in Prometheus' rule file: its ConfigMap changes and the pod template's
    checksum rolls the pods. (Grafana's files and checksum may change too where the application
    dashboard draws the threshold.) No replacement, nothing else."""
    stack = "ci-staging"
    path = "applications[0].queue.warning.above"
    ws.config_set(stack, path, 16)
    try:
        planned = steps(run(ws, "preview", "--json", "--diff", stack=stack))
    finally:
        ws.config_set(stack, path, 15)
    changed = {s["urn"].rsplit("::", 1)[-1]: s for s in planned}
    rules_and_pods = {"monitoring-prometheus-config", "monitoring-prometheus-statefulset"}
    dashboards = {"monitoring-grafana-dashboards-applications", "monitoring-grafana-deployment"}
    assert rules_and_pods <= set(changed) <= rules_and_pods | dashboards, sorted(changed)
    # In place: the provider's ConfigMaps are mutable (enableConfigMapMutable), not replaced.
    assert {s["op"] for s in planned} == {"update"}
    for name, step in changed.items():
        if "$kubernetes:core/v1:ConfigMap::" in step["urn"]:
            assert {k.split("[")[0].split(".")[0] for k in step["detailedDiff"]} == {"data"}, (name, step["detailedDiff"])
        else:
            assert set(step["detailedDiff"]) == {"spec.template.metadata.annotations.checksum/config"}, \
                (name, step["detailedDiff"])


# -- secrets -----------------------------------------------------------------------------------

def test_no_secret_value_in_state_rendered_files_stack_files_or_output(ws, secrets):
    values = [v for stack in STACKS for v in secrets[stack].values()] + [ws.env["PULUMI_CONFIG_PASSPHRASE"]]
    texts = {f"export {stack}": json.dumps(ws.export(stack)) for stack in STACKS}
    for directory in (ws.root / "rendered", ws.root / "offline", ws.state):  # manifests, offline preview, state
        texts |= {str(p): p.read_text(errors="replace") for p in directory.rglob("*") if p.is_file()}
    texts |= {str(p): p.read_text() for p in ws.project.glob("Pulumi.ci-*.yaml")}
    texts |= {f"{i}: {' '.join(r.args[1:])}": r.output for i, r in enumerate(ws.history)}
    assert len(texts) > 40
    leaks = [(where, value[:6]) for where, text in texts.items() for value in values if value in text]
    assert not leaks
    # The secrets are in the state, encrypted: the export holds them as ciphertext.
    export = ws.export("ci-staging")
    assert export["deployment"]["secrets_providers"]["type"] == "passphrase"
    assert json.dumps(export).count('"ciphertext"') >= len(secrets["ci-staging"])


def test_missing_secret_fails_preview_with_the_fix(ws, secrets):
    stack = "ci-missing-secret"
    some = {k: v for k, v in secrets["ci-staging"].items() if k != "webPassword"}
    ws.init_stack(stack, from_stack="staging", config=ci_config(ws, stack), secrets=some)
    result = run(ws, "preview", stack=stack, check=False)
    assert result.returncode != 0
    assert "monstack:webPassword = (absent)" in result.output
    assert f"fix: pulumi config set --secret 'webPassword' '<value>' --stack {stack}" in result.output
    # SettingsError is a pulumi.RunError: the user sees the message, not a traceback.
    assert "Traceback" not in result.output


# -- policy pack -------------------------------------------------------------------------------

def test_policy_pack_passes_the_shipped_stacks(ws):
    for stack in STACKS:
        result = run(ws, "preview", "--policy-pack", str(ws.project / "policy"), stack=stack)
        assert "monstack" in result.output


def test_policy_pack_rejects_unprotected_data_in_staging(ws, secrets):
    stack = "ci-unprotected"
    ws.init_stack(stack, from_stack="staging", config={**ci_config(ws, stack), "protectData": False},
                  secrets=secrets["ci-staging"])
    result = run(ws, "preview", "--policy-pack", str(ws.project / "policy"), stack=stack, check=False)
    assert result.returncode != 0, result.output
    assert "data-protected-outside-dev" in result.output
    assert "Namespace 'monitoring-namespace' holds data but is not protected" in result.output


# -- destroy (last: it leaves ci-prod half-destroyed) ------------------------------------------------

def test_destroy_refuses_protected_data(ws):
    stack = "ci-prod"
    result = run(ws, "destroy", "--yes", "--skip-preview", stack=stack, check=False)
    assert result.returncode != 0
    # The engine names the first protected resource it meets (the claim) and stops there.
    assert any(f"::{name}\" cannot be deleted" in result.output for name in PROTECTED), result.output
    assert "because it is protected" in result.output
    remaining = {r["urn"].rsplit("::", 1)[-1] for r in ws.export(stack)["deployment"].get("resources", [])}
    assert set(PROTECTED) <= remaining
    assert {p.name for p in ws.rendered(stack).rglob("*.yaml")} == {
        "v1-namespace-default-monitoring.yaml", "v1-persistentvolumeclaim-monitoring-grafana-data.yaml"}
