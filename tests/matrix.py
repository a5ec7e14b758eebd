"""The test matrix, derived from the list of integrations: every integration's example settings
on each platform it runs on, and the secret keys those examples name. A new integration is in
every suite (promtool cases, runbooks, dashboards, selectors) the moment it is in the list."""

from __future__ import annotations

import copy
from typing import Any

from content.integrations import INTEGRATIONS


def example_exporters(platform: str) -> dict[str, dict[str, Any]]:
    """The `exporters` block with every integration that runs on `platform`, as its example."""
    return {i.key: copy.deepcopy(i.example) for i in INTEGRATIONS if i.runs_on(platform)}


def _example_secrets() -> list[str]:
    keys: set[str] = set()
    for integration in INTEGRATIONS:
        own = integration.settings_model.model_validate(integration.example)
        keys |= set(own.secret_references(integration.key))
    return sorted(keys)


# Secret config keys the examples name (database passwords), set to placeholders in tests.
EXAMPLE_SECRETS: list[str] = _example_secrets()


def with_every_integration(raw: dict[str, Any]) -> dict[str, Any]:
    """A stack's raw config with every integration of its platform enabled, and placeholder
    values for the secrets their examples name."""
    raw = copy.deepcopy(raw)
    raw["exporters"] = example_exporters(raw.get("platform", "docker"))
    raw.update({key: f"preview-placeholder-{key}" for key in EXAMPLE_SECRETS})
    return raw
