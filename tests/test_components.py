"""ComponentResources under Pulumi's test decorator: asserts run inside applies, and the
decorator waits for every apply, so a failing assert fails the test."""

from __future__ import annotations

import pulumi
import pytest

from harness.mocks import RecordingMocks, RecordingMonitor
from tests.conftest import as_config, docker_variant, secret_keys_of, stack_raw


@pytest.fixture
def stack_for():
    """Builds MonitoringStack for a shipped stack (or its Docker variant) with fresh mocks and config."""

    def build(stack: str, docker: bool = False):
        raw = docker_variant(stack_raw(stack)) if docker else stack_raw(stack)
        pulumi.runtime.settings.ROOT.set(None)
        pulumi.runtime.set_all_config({f"monstack:{k}": v for k, v in as_config(raw).items()},
                                      [f"monstack:{k}" for k in secret_keys_of(stack)])
        mocks = RecordingMocks()
        pulumi.runtime.set_mocks(mocks, project="monstack", stack=stack, preview=False, monitor=RecordingMonitor(mocks))
        # Imported after set_mocks, as Pulumi's testing guide requires.
        from components.stack import MonitoringStack, MonitoringStackArgs
        from content.validation import load

        return MonitoringStack("monitoring", MonitoringStackArgs(validated=load()))

    return build


@pulumi.runtime.test
def test_prometheus_flags_from_settings(stack_for):
    stack = stack_for("prod", docker=True)

    def check(command):
        assert "--log.level=warn" in command
        assert "--web.route-prefix=/prometheus" in command

    return stack.services["prometheus"].workload.command.apply(check)


@pulumi.runtime.test
def test_prometheus_statefulset_on_kubernetes(stack_for):
    """The same component, on the Kubernetes platform: the workload is a StatefulSet whose
    container carries the flags from the same settings."""
    stack = stack_for("prod")

    def check(spec):
        # Outputs of the resource are the SDK's typed objects (snake_case properties).
        container = spec.template.spec.containers[0]
        assert "--log.level=warn" in container.args
        assert "--web.route-prefix=/prometheus" in container.args
        assert spec.volume_claim_templates[0].spec.resources.requests["storage"] == "13Gi"

    return stack.services["prometheus"].workload.spec.apply(check)


@pulumi.runtime.test
def test_secret_files_keep_the_uploads_secret(stack_for):
    stack = stack_for("staging", docker=True)
    uploads = stack.services["grafana"].workload.uploads

    async def check():
        assert await uploads.is_secret()

    return pulumi.Output.from_input(check())


@pulumi.runtime.test
def test_grafana_reads_secrets_from_files_not_env(stack_for):
    stack = stack_for("staging", docker=True)

    def check(envs):
        env = dict(e.split("=", 1) for e in envs)
        assert env["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/etc/monstack/secrets/admin-password"
        assert "GF_SECURITY_ADMIN_PASSWORD" not in env
        assert not any("placeholder" in value for value in env.values())

    return stack.services["grafana"].workload.envs.apply(check)


@pulumi.runtime.test
def test_stack_outputs(stack_for):
    stack = stack_for("dev")

    def check(values):
        prometheus_url, grafana_url, network = values
        assert prometheus_url == "http://127.0.0.1:9090"
        assert grafana_url == "http://127.0.0.1:3001"
        assert network == "monstack-dev"

    return pulumi.Output.all(stack.prometheus_url, stack.grafana_url, stack.network_name).apply(check)
