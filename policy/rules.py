"""The policy pack's rules as pure functions of one resource (its type token, name, input
properties with wire names, and `protect`), so the same code runs under CrossGuard and in fast
tests over the offline preview's records.

A resource's environment is read from its own labels (`monstack.dev/environment`,
`app.kubernetes.io/instance`, Docker's `monstack.environment`); a resource without one is held to
the strictest rules (as prod), so dropping the label cannot switch a rule off.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

WORKLOADS = {
    "kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet",
    "kubernetes:batch/v1:Job", "kubernetes:core/v1:Pod",
}
DOCKER_CONTAINER = "docker:index/container:Container"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SERVICE = "kubernetes:core/v1:Service"
DATA_HOLDERS = {"kubernetes:core/v1:PersistentVolumeClaim", "kubernetes:core/v1:Namespace", "docker:index/volume:Volume"}
ENVIRONMENT_LABELS = ("monstack.dev/environment", "app.kubernetes.io/instance", "monstack.environment")
UNPROTECTED_ENVIRONMENTS = {"dev"}

# Key/value text that holds a credential literally (YAML, INI, JSON, env): the key names a secret
# and ends there (`password_file:` names a file, not a secret), the value is not a reference.
_SECRET_ASSIGNMENT = re.compile(
    r"""(?ix)(?<![\w.-])["']?[\w.-]*(password|passwd|secret|token|api[_-]?key|credentials?|private[_-]?key|
    webhook[_-]?url|routing[_-]?key|service[_-]?key)["']?\s*[:=]\s*["']?(?P<value>[^\s"'#,}]+)""")
_REFERENCE = re.compile(r"^(\$|\{|/|<|REPLACE-ME-|\*+$|true$|false$|null$)")
# Credentials recognisable by their form alone.
_SECRET_FORMS = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----|hooks\.slack\.com/services/T|xox[abpr]-[0-9A-Za-z-]{10,}"
                           r"|\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}")
_SECRET_ENV_NAME = re.compile(r"(?i)(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|CREDENTIAL|PRIVATE_KEY)")


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    props: Mapping[str, Any]
    protect: bool = False


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    check: Callable[[Resource], Iterable[str]]


def environment(resource: Resource) -> str | None:
    labels = (resource.props.get("metadata") or {}).get("labels") or {}
    if isinstance(resource.props.get("labels"), list):  # Docker: [{label, value}]
        labels = {item.get("label"): item.get("value") for item in resource.props["labels"]}
    return next((labels[key] for key in ENVIRONMENT_LABELS if labels.get(key)), None)


def _kind(resource: Resource) -> str:
    return resource.type.rsplit(":", 1)[-1]


def _pod_spec(resource: Resource) -> Mapping[str, Any]:
    spec = resource.props.get("spec") or {}
    return spec if resource.type == "kubernetes:core/v1:Pod" else (spec.get("template") or {}).get("spec") or {}


def _containers(resource: Resource) -> Iterator[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    """(container name, container, pod spec) of a Kubernetes workload."""
    pod = _pod_spec(resource)
    for container in [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]:
        yield container.get("name", "?"), container, pod


def _where(resource: Resource, container: str | None = None) -> str:
    inside = f"container {container!r} of " if container else ""
    return f"{inside}{_kind(resource)} {resource.name!r}"


# -- the rules --------------------------------------------------------------------------------

def limits_and_non_root(resource: Resource) -> Iterator[str]:
    if resource.type == DOCKER_CONTAINER:
        if not resource.props.get("memory"):
            yield f"{_where(resource)} has no memory limit: set its service's `resources.limits.memory`"
        if str(resource.props.get("user") or "root").split(":")[0] in ("root", "0"):
            yield f"{_where(resource)} runs as root: give it a non-root `user`"
        return
    if resource.type not in WORKLOADS:
        return
    for name, container, pod in _containers(resource):
        limits = (container.get("resources") or {}).get("limits") or {}
        missing = [r for r in ("cpu", "memory") if not limits.get(r)]
        if missing:
            yield (f"{_where(resource, name)} has no {' or '.join(missing)} limit: set its service's "
                   f"`resources.limits` (e.g. `pulumi config set --path monstack:<service>.resources.limits.memory 256MB`)")
        context = {**(pod.get("securityContext") or {}), **(container.get("securityContext") or {})}
        if not context.get("runAsNonRoot") or context.get("runAsUser") == 0:
            yield f"{_where(resource, name)} may run as root: set `runAsNonRoot: true` and a non-zero `runAsUser`"


def _secret_text(text: str) -> str | None:
    """What in the text looks like a literal credential (a short hint, never the value)."""
    if match := _SECRET_FORMS.search(text):
        return f"a value of the form {match.group(0)[:12]!r}..."
    for match in _SECRET_ASSIGNMENT.finditer(text):
        value = match.group("value")
        if len(value) >= 4 and not _REFERENCE.match(value):
            return f"a literal value for {match.group(1)!r}"
    return None


def no_plaintext_secrets(resource: Resource) -> Iterator[str]:
    if resource.type == CONFIG_MAP:
        for key, text in sorted((resource.props.get("data") or {}).items()):
            if isinstance(text, str) and (found := _secret_text(text)):
                yield f"ConfigMap {resource.name!r} key {key!r} holds {found}: put credentials in a Secret (a Pulumi secret)"
    env: list[tuple[str, str, Any]] = []
    if resource.type == DOCKER_CONTAINER:
        env = [("", *item.split("=", 1)) for item in resource.props.get("envs") or [] if "=" in item]
    elif resource.type in WORKLOADS:
        env = [(name, var.get("name", ""), var.get("value")) for name, container, _ in _containers(resource)
               for var in container.get("env") or []]
    for container, variable, value in env:
        if not isinstance(value, str) or not value:
            continue
        named_secret = _SECRET_ENV_NAME.search(variable) and not re.search(r"(?i)_(FILE|PATH|DIR)$", variable)
        if named_secret or _secret_text(value):
            yield (f"{_where(resource, container or None)} sets {variable} as plaintext in its environment: "
                   "mount the secret as a file (or use `valueFrom.secretKeyRef`)")


def _prometheus_configs(resource: Resource) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every Prometheus configuration the resource carries (a ConfigMap's entry or a file uploaded
    into a Docker container), told by its content (`scrape_configs`), not by its file name."""
    if resource.type == CONFIG_MAP:
        files = [(key, text) for key, text in (resource.props.get("data") or {}).items()]
    elif resource.type == DOCKER_CONTAINER:
        files = [(u.get("file", ""), u.get("content")) for u in resource.props.get("uploads") or []]
    else:
        return
    for name, text in files:
        if not isinstance(text, str) or "scrape_configs" not in text:
            continue
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError:
            continue
        if isinstance(doc, dict) and "scrape_configs" in doc:
            yield name, doc


def prometheus_retention(resource: Resource) -> Iterator[str]:
    # Retention lives in prometheus.yml (`storage.tsdb.retention`): Prometheus 3.16 deprecates the flags.
    for name, doc in _prometheus_configs(resource):
        retention = ((doc.get("storage") or {}).get("tsdb") or {}).get("retention") or {}
        if not (retention.get("time") or retention.get("size")):
            yield (f"{_where(resource)}: {name} sets no storage.tsdb.retention (time or size): set "
                   "`monstack:prometheus.retention.time` and `.size` (`pulumi config set --path ...`)")


def no_published_ports_in_prod(resource: Resource) -> Iterator[str]:
    if environment(resource) not in (None, "prod"):
        return
    if resource.type == SERVICE and (resource.props.get("spec") or {}).get("type") in ("NodePort", "LoadBalancer"):
        yield f"Service {resource.name!r} is of type {resource.props['spec']['type']}: prod is reached only through the Ingress"
    if resource.type in WORKLOADS:
        for name, container, _ in _containers(resource):
            if any(port.get("hostPort") for port in container.get("ports") or []):
                yield f"{_where(resource, name)} publishes a hostPort: prod is reached only through the Ingress"
    if resource.type == DOCKER_CONTAINER and resource.props.get("ports"):
        yield f"{_where(resource)} publishes ports: prod is reached only through the proxy (exposure mode `proxy`)"


def data_protected_outside_dev(resource: Resource) -> Iterator[str]:
    if environment(resource) in UNPROTECTED_ENVIRONMENTS:
        return
    if resource.type in DATA_HOLDERS and not resource.protect:
        yield (f"{_kind(resource)} {resource.name!r} holds data but is not protected: "
               "`pulumi config set monstack:protectData true`")
    if resource.type == "kubernetes:apps/v1:StatefulSet" and (resource.props.get("spec") or {}).get("volumeClaimTemplates"):
        retention = (resource.props["spec"].get("persistentVolumeClaimRetentionPolicy") or {})
        if retention.get("whenDeleted") != "Retain" or retention.get("whenScaled") != "Retain":
            yield f"StatefulSet {resource.name!r} deletes its claims with it: set persistentVolumeClaimRetentionPolicy to Retain"


RULES = (
    Rule("containers-limited-non-root", "Every container has CPU and memory limits and runs as a non-root user.",
         limits_and_non_root),
    Rule("no-plaintext-secrets", "No secret-looking plaintext in a ConfigMap or a container's environment.",
         no_plaintext_secrets),
    Rule("prometheus-retention", "Prometheus runs with retention (time or size) set.", prometheus_retention),
    Rule("prod-publishes-no-ports", "Prod publishes no ports (no NodePort/LoadBalancer Service, hostPort or Docker port).",
         no_published_ports_in_prod),
    Rule("data-protected-outside-dev", "Outside dev, data (namespace, claims, volumes) is protected and claims outlive "
         "their StatefulSet.", data_protected_outside_dev),
)


def violations(resources: Iterable[Resource]) -> list[tuple[str, str]]:
    """(rule name, message) for every violation, as the pack reports them."""
    return [(rule.name, message) for resource in resources for rule in RULES for message in rule.check(resource)]
