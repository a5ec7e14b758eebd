"""The GitHub Actions workflows (.github/workflows): linted by actionlint (built from
github.com/rhysd/actionlint by scripts/build-tools), and they run what the README promises: a
preview of every Kubernetes stack with the policy pack on pull requests, `pulumi up -s staging` on merge."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import KUBERNETES_STACKS, ROOT

pytestmark = pytest.mark.tools
ACTIONLINT = ROOT / ".tools" / "bin" / "actionlint"
WORKFLOWS = ROOT / ".github" / "workflows"


def actionlint(directory: Path) -> subprocess.CompletedProcess:
    assert ACTIONLINT.is_file(), "actionlint is not built: run `scripts/build-tools actionlint` (scripts/setup does)"
    return subprocess.run([str(ACTIONLINT), "-no-color"], cwd=directory, capture_output=True, text=True, timeout=120)


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def pulumi_steps(workflow: dict) -> list[dict]:
    return [step["with"] for job in workflow["jobs"].values() for step in job["steps"]
            if str(step.get("uses", "")).startswith("pulumi/actions@") and "command" in step.get("with", {})]


def test_workflows_pass_actionlint():
    done = actionlint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_rejects_a_broken_workflow(tmp_path):
    """The lint can fail: a misspelt input of the shared setup action is an error."""
    shutil.copytree(ROOT / ".github", tmp_path / ".github")
    path = tmp_path / ".github" / "workflows" / "deploy.yml"
    path.write_text(path.read_text().replace("backend-url:", "backend-ur:", 1))
    (tmp_path / ".git").mkdir()
    done = actionlint(tmp_path)
    assert done.returncode != 0 and 'input "backend-ur" is not defined' in done.stdout, done.stdout


def test_pull_requests_preview_every_kubernetes_stack_with_the_policy_pack():
    workflow = load("preview.yml")
    assert list(workflow[True]) == ["pull_request"]  # YAML 1.1 reads the key `on` as True
    job = workflow["jobs"]["preview"]
    assert job["strategy"]["matrix"]["stack"] == list(KUBERNETES_STACKS)
    (step,) = pulumi_steps(workflow)
    assert step["command"] == "preview" and step["comment-on-pr"] is True and step["policyPacks"] == "policy"
    assert workflow["permissions"]["pull-requests"] == "write"


def test_merge_deploys_staging():
    workflow = load("deploy.yml")
    assert workflow[True] == {"push": {"branches": ["main"]}}
    (step,) = pulumi_steps(workflow)
    assert step["command"] == "up" and step["stack-name"] == "staging" and step["policyPacks"] == "policy"


@pytest.mark.parametrize("name", ["preview.yml", "deploy.yml"])
def test_secrets_come_from_the_secret_store(name):
    """Stack secrets come from the CI's secret store through the shared setup action, which runs
    scripts/set-secrets (values on stdin); none is in the repository."""
    text = (WORKFLOWS / name).read_text()
    assert "uses: ./.github/actions/stack-setup" in text
    assert "stack-secrets: ${{ secrets.MONSTACK_SECRETS }}" in text and "kubeconfig: ${{ secrets.KUBECONFIG }}" in text
    assert "PULUMI_CONFIG_PASSPHRASE: ${{ secrets.PULUMI_CONFIG_PASSPHRASE }}" in text
    setup = (ROOT / ".github" / "actions" / "stack-setup" / "action.yml").read_text()
    assert 'scripts/set-secrets "$STACK"' in setup and "MONSTACK_SECRETS: ${{ inputs.stack-secrets }}" in setup
