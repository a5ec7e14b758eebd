"""The real program on Docker under mocks: dev as shipped, staging and prod moved onto Docker
(`docker_variant`), so every Docker fact stays tested at each environment's values. The
Kubernetes facts of the shipped staging and prod are in test_kubernetes.py."""

from __future__ import annotations

from collections import Counter

import pytest
from pulumi.runtime import rpc

from harness.mocks import unwrap
from harness.program import ProgramRun
from tests.conftest import STACKS

CONTAINER = "docker:index/container:Container"
VOLUME = "docker:index/volume:Volume"


def containers(run: ProgramRun) -> dict[str, dict]:
    """Container inputs by service name (the `monstack.service` label)."""
    out = {}
    for record in run.records:
        if record.type == CONTAINER:
            inputs = unwrap(record.inputs)
            labels = {item["label"]: item["value"] for item in inputs["labels"]}
            out[labels["monstack.service"]] = inputs
    return out


@pytest.mark.parametrize("stack", STACKS)
def test_resources_by_type(docker_runs, stack):
    runs = docker_runs
    counts = Counter(r.type for r in runs[stack].records)
    services = {"prometheus", "alertmanager", "grafana", "node-exporter", "cadvisor-exporter", "redis-exporter"}
    if stack != "dev":  # staging and prod run Thanos: the sidecar shares Prometheus' network namespace
        services |= {"thanos-sidecar", "thanos-store", "thanos-compactor", "thanos-query"}
    assert counts[CONTAINER] == len(services) == set(containers(runs[stack])).__len__()
    assert set(containers(runs[stack])) == services
    assert counts["monstack:monitoring:MonitoringStack"] == 1
    assert counts["monstack:monitoring:Prometheus"] == counts["monstack:monitoring:Grafana"] == 1
    assert counts["monstack:monitoring:Exporter"] == 3
    assert counts["docker:index/network:Network"] == 1
    # Generated secrets only where the stack asks for them (dev).
    assert counts["random:index/randomPassword:RandomPassword"] == (3 if stack == "dev" else 0)


@pytest.mark.parametrize("stack", STACKS)
def test_children_are_parented_and_uniquely_named(docker_runs, stack):
    runs = docker_runs
    records = runs[stack].records
    keys = [(r.type, r.name) for r in records]
    assert len(keys) == len(set(keys)), "duplicate resource (type, name): the engine would refuse it"
    by_name = {r.name: r for r in records}
    for record in records:
        if record.type == CONTAINER:
            parent = record.parent.rsplit("::", 1)[-1]
            assert record.name.startswith(parent + "-"), "child names carry their component's name"
            assert by_name[parent].type.startswith("monstack:monitoring:")


LIMITS = {  # from DESIGN.md's per-environment table: (memory MB, cpus, memory reservation MB)
    "dev": {"prometheus": (None, None, None), "grafana": (None, None, None), "redis-exporter": (None, None, None)},
    "staging": {"prometheus": (768, "0.4", 384), "grafana": (384, "0.25", 192), "redis-exporter": (64, "0.1", 32)},
    "prod": {"prometheus": (1024, "0.5", 512), "grafana": (512, "0.3", 256), "redis-exporter": (64, "0.1", 32)},
}


@pytest.mark.parametrize("stack", STACKS)
def test_limits_and_reservations(docker_runs, stack):
    runs = docker_runs
    found = containers(runs[stack])
    for service, (memory, cpus, reservation) in LIMITS[stack].items():
        c = found[service]
        assert (c.get("memory"), c.get("cpus"), c.get("memoryReservation")) == (memory, cpus, reservation), service


RETENTION = {"dev": ("7d", "2GB", "debug"), "staging": ("15d", "5GB", "info"), "prod": ("30d", "10GB", "warn")}


@pytest.mark.parametrize("stack", STACKS)
def test_retention_and_log_level(docker_runs, stack):
    """Retention lives in prometheus.yml (Prometheus 3.16 deprecates the flags), the log level in a flag."""
    import yaml

    from harness.preview import bundle_files

    runs = docker_runs
    command = containers(runs[stack])["prometheus"]["command"]
    time, size, level = RETENTION[stack]
    config = yaml.safe_load(bundle_files(runs[stack].records)["prometheus/prometheus.yml"])
    assert config["storage"]["tsdb"]["retention"] == {"time": time, "size": size}
    assert not [arg for arg in command if arg.startswith("--storage.tsdb.retention")]
    assert f"--log.level={level}" in command
    assert "--web.config.file=/etc/monstack/web.yml" in command


def test_exposure_per_environment(docker_runs):
    runs = docker_runs
    dev, staging, prod = (containers(runs[s]) for s in STACKS)
    assert dev["grafana"]["ports"] == [{"internal": 3000, "external": 3001, "ip": "127.0.0.1"}]
    assert staging["prometheus"]["ports"][0]["ip"] == "0.0.0.0"
    for service, container in prod.items():
        assert not container.get("ports"), f"{service} publishes a port in prod"
    assert "--web.external-url=https://memeit.pro/prometheus" in prod["prometheus"]["command"]
    env = dict(e.split("=", 1) for e in prod["grafana"]["envs"])
    assert env["GF_SERVER_ROOT_URL"] == "https://memeit.pro/grafana"
    assert env["GF_SERVER_SERVE_FROM_SUB_PATH"] == "true"
    assert env["GF_SECURITY_COOKIE_SECURE"] == "true" and env["GF_SECURITY_COOKIE_SAMESITE"] == "strict"
    networks = [n["name"] for n in prod["grafana"]["networksAdvanced"]]
    assert "edge" in networks


def test_hardening_in_prod_only(docker_runs):
    runs = docker_runs
    prod = containers(runs["prod"])
    for service in ("prometheus", "alertmanager", "grafana", "node-exporter", "redis-exporter"):
        c = prod[service]
        assert c["securityOpts"] == ["no-new-privileges:true"], service
        assert c["capabilities"] == {"drops": ["ALL"]}, service
        assert c["readOnly"] is True, service
        assert c["restart"] == "unless-stopped"
    assert prod["prometheus"]["user"] == "65534:65534" and prod["grafana"]["user"] == "472:0"
    assert prod["cadvisor-exporter"]["privileged"] is True  # cAdvisor cannot run unprivileged
    assert not containers(runs["dev"])["prometheus"].get("securityOpts")


@pytest.mark.parametrize("stack", STACKS)
def test_data_volumes_protected_outside_dev(docker_runs, stack):
    runs = docker_runs
    data = [r for r in runs[stack].records if r.type == VOLUME and r.name.endswith("-data")]
    thanos = ("thanos-store", "thanos-compactor") if stack != "dev" else ()
    assert {r.name for r in data} == {f"monitoring-{s}-data" for s in ("prometheus", "alertmanager", "grafana", *thanos)}
    for record in data:
        assert record.protect is (stack != "dev") and record.retain_on_delete is (stack != "dev")


@pytest.mark.parametrize("stack", STACKS)
def test_secrets_stay_secret(docker_runs, stack):
    runs = docker_runs
    for record in runs[stack].records:
        if record.type == CONTAINER:
            # A sidecar has no uploads of its own: it mounts its service's config volume.
            uploads = record.inputs.get("uploads") or []
            secret_files = [u["file"] for u in unwrap(uploads) if u.get("permissions") == "0400"]
            service = {item["label"]: item["value"] for item in unwrap(record.inputs)["labels"]}["monstack.service"]
            if service in ("prometheus", "alertmanager", "grafana"):
                assert "/etc/monstack/secrets/web-password" in secret_files
            if secret_files:
                assert rpc.is_rpc_secret(uploads), "uploads carry secret files: the property must be secret"
            assert all("/secrets/" in f or f.endswith("web.yml") for f in secret_files)
            envs = record.inputs.get("envs")
            plain_envs = unwrap(envs) or []
            assert not any("placeholder" in e or "generated-" in e for e in plain_envs), "secret in environment"


@pytest.mark.parametrize("stack", STACKS)
def test_healthchecks(docker_runs, stack):
    runs = docker_runs
    found = containers(runs[stack])
    for service in ("prometheus", "alertmanager", "grafana", "node-exporter"):
        assert found[service]["healthcheck"]["tests"], service
    assert "secrets/web-password" in found["prometheus"]["healthcheck"]["tests"][1]


def test_images_follow_a_mirror(raw_config):
    from content.images import PROMETHEUS_VERSION
    from tests.conftest import docker_variant, run_stack

    raw = docker_variant(raw_config("staging"))
    raw["images"] = {"registry": "registry.internal:5000", "overrides": {"grafana": "mirror/grafana:11.6.0"}}
    run = run_stack("staging", raw)
    images = sorted(unwrap(r.inputs)["name"] for r in run.records if r.type == "docker:index/remoteImage:RemoteImage")
    assert f"registry.internal:5000/prometheus/prometheus:v{PROMETHEUS_VERSION}" in images
    assert "mirror/grafana:11.6.0" in images
    assert all(i.startswith(("registry.internal:5000/", "mirror/")) for i in images)
