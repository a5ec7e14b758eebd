"""Reading a stack's configuration from Pulumi and validating it as a whole.

`load()` is the only place that touches `pulumi.Config`; everything below it works on the
typed `Settings`. It reports every problem at once (bad values, unknown keys, missing or
plaintext secrets) and raises before the program declares a single resource.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Optional

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import ValidationError

from config.alerting import alerting_problems
from config.errors import _ABSENT, Problem, problems_from_validation, set_command
from config.grafana import grafana_problems
from config.prometheus import HEADROOM_MIN_GB, VOLUME_HEADROOM, prometheus_volume_floor
from config.receivers import Alerting
from config.settings import PROTECTED_ENVIRONMENTS, SECRET_KEYS, Settings
from config.units import size_bytes


@dataclass(frozen=True)
class SecretSource:
    """Where one secret comes from: the encrypted stack config, or generated (dev only)."""

    key: str
    purpose: str
    generated: bool


@dataclass(frozen=True)
class LoadedSettings:
    settings: Settings
    secrets: dict[str, SecretSource]
    project: str
    stack: str
    # Settings that validate but deserve a look (a memory limit with little headroom): printed
    # by the program as warnings, never blocking.
    warnings: tuple[Problem, ...] = field(default=())

    def secret(self, key: str) -> pulumi.Output[str]:
        """The secret as a Pulumi secret Output (only for keys taken from config)."""
        return pulumi.Config().require_secret(key)


def all_config() -> dict[str, str]:
    """Every config key of the run. Pulumi has no public listing API: the real language host
    passes the config in PULUMI_CONFIG and the exec shim (or the mocks) load it into the
    runtime's config map, which is where these two calls read it."""
    merged = dict(runtime_config.get_config_env())
    merged.update(runtime_config.CONFIG.get())
    return merged


def _decode(value: str) -> Any:
    """Structured config arrives as JSON text, scalars as plain text ("10s", "true", "5")."""
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def raw_config(project: str) -> dict[str, Any]:
    prefix = project + ":"
    return {k[len(prefix):]: _decode(v) for k, v in sorted(all_config().items()) if k.startswith(prefix)}


def _referenced_secrets(data: Any) -> set[str]:
    """Names given in any `...Secret` or `credential` field, found even when the settings do not validate,
    so that those keys are not also reported as unknown."""
    found: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            # `...Secret` fields (exporters, web TLS) and receivers' `credential` name secret keys.
            if (key.endswith("Secret") or key == "credential") and isinstance(value, str):
                found.add(value)
            found |= _referenced_secrets(value)
    elif isinstance(data, list):
        for item in data:
            found |= _referenced_secrets(item)
    return found


@dataclass(frozen=True)
class Checked:
    """The outcome of the config's own checks: the settings (None when they did not validate),
    where each secret comes from, and every problem found."""

    settings: Optional[Settings]
    secrets: dict[str, SecretSource]
    problems: tuple[Problem, ...]


def check(raw: dict[str, Any], secret_keys: set[str], stack: str, model: type[Settings]) -> Checked:
    """Every problem of the config on its own (shape, types, cross-field rules, secrets), without
    raising, so that a caller can add the checks that need the generated content and report
    all of them at once. `model` is the stack's schema (content.validation's adds one `exporters`
    field per integration). Unknown keys reach the model, which rejects them with the nearest
    valid names."""
    model_keys = {f.alias or n for n, f in model.model_fields.items()}
    possible_secrets = set(SECRET_KEYS) | _referenced_secrets(raw)
    data = {k: v for k, v in raw.items() if k not in possible_secrets or k in model_keys}
    problems: list[Problem] = []
    settings = None
    try:
        settings = model.model_validate(data)
    except ValidationError as error:
        problems += problems_from_validation(error, data, model, stack)
        problems += _alerting_alone(data, stack)

    secrets: dict[str, SecretSource] = {}
    if settings is not None:
        problems += _platform_problems(settings, raw, stack)
        problems += alerting_problems(settings.alerting, stack)
        problems += grafana_problems(settings.grafana, raw, secret_keys, stack)
        protected = settings.environment in PROTECTED_ENVIRONMENTS
        for key, purpose in sorted(settings.secret_references().items()):
            present = key in raw
            if present and key not in secret_keys:
                problems.append(Problem(
                    key=key, value="(plaintext, not shown)",
                    message=f"{purpose} is stored in plaintext; it must be a Pulumi secret",
                    fix=f"pulumi config rm '{key}' --stack {stack} && "
                        + set_command(stack, key, "<value>", secret=True),
                ))
            elif present:
                secrets[key] = SecretSource(key, purpose, generated=False)
            elif settings.generate_secrets and key in SECRET_KEYS and not protected:
                secrets[key] = SecretSource(key, purpose, generated=True)
            else:
                problems.append(Problem(
                    key=key, value=_ABSENT,
                    message=f"{purpose} is required"
                    + (f" in {settings.environment}" if protected else " (or set generateSecrets: true in dev)"),
                    fix=set_command(stack, key, "<value>", secret=True),
                ))
    return Checked(settings=settings, secrets=secrets, problems=tuple(problems))


def _alerting_alone(data: dict[str, Any], stack: str) -> list[Problem]:
    """The alerting checks when another part of the stack is broken, so that one run reports
    a bad route next to a bad retention (matcher labels wait for the applications to validate)."""
    try:
        alerting = Alerting.model_validate(data.get("alerting"))
    except ValidationError:
        return []  # already reported, with its keys, by the whole model's validation
    return alerting_problems(alerting, stack)


def _platform_problems(settings: Settings, raw: dict[str, Any], stack: str) -> list[Problem]:
    """Settings that only make sense on one platform, or that the chosen platform needs.
    A key set but ignored would mislead, so each is an error with its key and fix."""
    problems: list[Problem] = []

    def problem(key: str, message: str, fix: str) -> None:
        current: Any = raw
        for part in key.split("."):
            current = current.get(part, _ABSENT) if isinstance(current, dict) else _ABSENT
        problems.append(Problem(key=key, value=current, message=message, fix=fix))

    if settings.platform == "docker":
        if settings.kubernetes is not None:
            problem("kubernetes", "the kubernetes block only applies to platform: kubernetes",
                    f"pulumi config rm 'kubernetes' --stack {stack}, or "
                    + set_command(stack, "platform", "kubernetes"))
        return problems

    k8s = settings.kubernetes_settings
    for key, value in (("networkName", settings.network_name), ("exposure.proxyNetwork", settings.exposure.proxy_network)):
        if value:
            problem(key, "only applies to platform: docker (on Kubernetes the namespace and the Ingress take its place)",
                    f"pulumi config rm --path '{key}' --stack {stack}")
    mode = settings.exposure.mode
    if mode == "published":
        problem("exposure.mode", "published means Docker host ports; on Kubernetes use localhost (ClusterIP "
                "Services, reached with kubectl port-forward) or proxy (an Ingress with TLS)",
                set_command(stack, "exposure.mode", "localhost"))
    elif mode == "proxy":
        public_url = settings.exposure.public_url or ""
        if k8s.ingress is None:
            problem("kubernetes.ingress", "exposure.mode proxy on Kubernetes is served by an Ingress: it needs "
                    "className and tlsSecret or certManagerIssuer",
                    set_command(stack, "kubernetes.ingress", {"className": "nginx", "tlsSecret": "monitoring-tls"}))
        elif not public_url.startswith("https://"):
            problem("exposure.publicUrl", "the Ingress serves TLS only, so the public URL must be https://",
                    set_command(stack, "exposure.publicUrl", public_url.replace("http://", "https://", 1)))
        elif k8s.ingress.host and k8s.ingress.host != public_url.split("://", 1)[1]:
            problem("kubernetes.ingress.host", f"differs from the host of exposure.publicUrl ({public_url}); "
                    "the Ingress must serve the URL users are given",
                    f"pulumi config rm --path 'kubernetes.ingress.host' --stack {stack}")
    elif k8s.ingress is not None:
        problem("kubernetes.ingress", f"exposure.mode is {mode}, so no Ingress is made",
                set_command(stack, "exposure.mode", "proxy"))
    floor = prometheus_volume_floor(settings.prometheus.retention.size)
    if k8s.volumes.prometheus and size_bytes(k8s.volumes.prometheus) < floor * 1024**3:
        problem("kubernetes.volumes.prometheus",
                f"cannot hold prometheus.retention.size {settings.prometheus.retention.size} plus headroom for the "
                f"WAL and compaction ({VOLUME_HEADROOM:.0%}, at least {HEADROOM_MIN_GB}GiB): at least {floor}GiB",
                set_command(stack, "kubernetes.volumes.prometheus", f"{floor}GiB"))
    for key, resources in (("prometheus.resources", settings.prometheus.resources),
                           ("alertmanager.resources", settings.alertmanager.resources),
                           ("grafana.resources", settings.grafana.resources),
                           ("exporterResources", settings.exporter_resources),
                           *((f"thanos.{key}.resources", component.resources)
                             for key, component in (settings.thanos.components().items() if settings.thanos else ()))):
        if not (resources.limits.memory and resources.limits.cpu):
            problem(f"{key}.limits", "on Kubernetes every container needs limits.memory and limits.cpu (a pod without "
                    "them is evicted first and may starve its node); reservations become requests",
                    set_command(stack, f"{key}.limits", {"memory": "256MB", "cpu": 0.2}))
    return problems


def running_stack() -> tuple[dict[str, Any], set[str], str, str]:
    """The running stack's raw config, its secret keys, project and stack name (what `validate`
    and content.validation take)."""
    project, stack = pulumi.get_project(), pulumi.get_stack()
    secret_keys = {k[len(project) + 1:] for k in all_secret_keys() if k.startswith(project + ":")}
    return raw_config(project), secret_keys, project, stack


def all_secret_keys() -> set[str]:
    """Keys the engine marked secret (decrypted `secure:` values)."""
    keys = set(runtime_config.get_config_secret_keys_env() or [])
    return keys | {k for k in all_config() if runtime_config.is_config_secret(k)}
