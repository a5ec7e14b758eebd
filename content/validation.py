"""The program's way in: a stack's raw config becomes validated settings and the content
built from them, or one SettingsError that lists every problem.

Two layers, each checked once, reported together:
1. config.loader checks the config on its own (shape, types, cross-field rules, secrets)
   against the stack's schema, whose `exporters` block the list of integrations supplies;
2. content.checks checks what needs the generated content (overrides, targets, job limits,
   route labels, images, platforms, capacity) on the plan built from those settings.
The plan built here is the one the components deploy: it is built once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import create_model

from config.errors import Problem, SettingsError
from config.loader import Checked, LoadedSettings, SecretSource, check, running_stack
from config.settings import Settings
from content.checks import stack_problems
from content.integrations import EXPORTERS_MODEL
from content.plan import build_plan
from content.service_plan import StackPlan

# The stack's schema: config's Settings with one `exporters` field per integration.
StackSettings: type[Settings] = create_model(
    "StackSettings", __base__=Settings, exporters=(EXPORTERS_MODEL, EXPORTERS_MODEL()))


@dataclass(frozen=True)
class ValidatedStack:
    """Settings that passed every check, where each secret comes from, and the plan built from
    them (what `MonitoringStack` deploys)."""

    loaded: LoadedSettings
    plan: StackPlan

    @property
    def settings(self) -> Settings:
        return self.loaded.settings

    @property
    def secrets(self) -> dict[str, SecretSource]:
        return self.loaded.secrets

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return self.loaded.warnings


def salt_seed(project: str, stack: str, web_user: str) -> str:
    """What keeps the web password's bcrypt hash stable per stack (so no run rewrites it)."""
    return f"{project}/{stack}/{web_user}"


def validate(raw: dict[str, Any], secret_keys: set[str], project: str, stack: str) -> ValidatedStack:
    """A stack's raw config (key -> decoded value) validated whole, or SettingsError listing every
    problem of both layers. Touches no Pulumi API: tests and the preview run exactly these checks."""
    checked: Checked = check(raw, secret_keys, stack, StackSettings)
    problems: list[Problem] = list(checked.problems)
    warnings: list[Problem] = []
    plan = None
    if checked.settings is not None:
        settings = checked.settings
        plan = build_plan(settings, salt_seed(project, stack, settings.web_user))
        found, cautions = stack_problems(settings, raw, plan, stack)
        problems += found
        warnings += cautions
    if problems:
        raise SettingsError(project, stack, problems)
    assert checked.settings is not None and plan is not None
    loaded = LoadedSettings(settings=checked.settings, secrets=checked.secrets, project=project, stack=stack,
                            warnings=tuple(warnings))
    return ValidatedStack(loaded=loaded, plan=plan)


def load() -> ValidatedStack:
    """The running stack, validated (raises SettingsError before any resource is declared)."""
    return validate(*running_stack())
