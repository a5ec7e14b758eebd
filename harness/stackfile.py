"""Reading `Pulumi.<stack>.yaml` the way the Pulumi CLI hands it to a program: every value a
string (structured values as JSON), `secure:` values as secrets. Without the CLI an encrypted
value cannot be decrypted, so the preview stands a placeholder in for it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from config.loader import _referenced_secrets
from config.settings import PROTECTED_ENVIRONMENTS, SECRET_KEYS
from harness.program import PROJECT, PROJECT_DIR

PLACEHOLDER_PREFIX = "preview-placeholder-"


def placeholder(key: str) -> str:
    return f"{PLACEHOLDER_PREFIX}{key}"


@dataclass
class StackConfig:
    stack: str
    values: dict[str, str]
    secret_keys: list[str]
    encrypted: list[str] = field(default_factory=list)  # `secure:` values we cannot decrypt
    placeholders: dict[str, str] = field(default_factory=dict)  # key -> why


def _as_config_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def read_stack_file(stack: str, path: Path | None = None) -> StackConfig:
    path = path or PROJECT_DIR / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text()) or {}
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    encrypted: list[str] = []
    for full_key, value in (document.get("config") or {}).items():
        namespace, _, key = str(full_key).partition(":")
        if namespace != PROJECT:
            continue
        if isinstance(value, dict) and set(value) == {"secure"}:
            encrypted.append(key)
            secret_keys.append(key)
            values[key] = placeholder(key)
        else:
            values[key] = _as_config_string(value)
    return StackConfig(stack=stack, values=values, secret_keys=secret_keys, encrypted=encrypted,
                       placeholders={k: "encrypted in the stack file; only the Pulumi CLI can decrypt it"
                                     for k in encrypted})


def fill_missing_secrets(config: StackConfig) -> None:
    """Stand placeholders in for secrets the stack file does not hold (each user sets their
    own with `pulumi config set --secret`). Dev stacks that generate secrets need none."""
    raw = {k: _decode(v) for k, v in config.values.items()}
    generates = raw.get("generateSecrets") is True and raw.get("environment") not in PROTECTED_ENVIRONMENTS
    needed = set(_referenced_secrets(raw)) | (set() if generates else set(SECRET_KEYS))
    for key in sorted(needed - set(config.values)):
        config.values[key] = placeholder(key)
        config.secret_keys.append(key)
        config.placeholders[key] = "not set in the stack file"


def _decode(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value
