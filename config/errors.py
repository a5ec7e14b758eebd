"""Turning validation failures into messages a user can act on.

Every message names the config key (as `pulumi config` spells it), the bad value, what is
allowed and the command that fixes it. All problems are collected and reported together,
because a PR check that reveals one typo per run wastes a review cycle each time.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pulumi import RunError
from pydantic import BaseModel, ValidationError


@dataclass(frozen=True)
class Problem:
    key: str  # dotted path below the project namespace, e.g. "prometheus.retention.time"
    value: Any
    message: str
    fix: str

    def render(self, project: str) -> str:
        shown = "(absent)" if self.value is _ABSENT else json.dumps(self.value, default=str)
        return f"{project}:{self.key} = {shown}\n    {self.message}\n    fix: {self.fix}"


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


_ABSENT = _Absent()


class SettingsError(RunError):
    """All the problems of one stack's configuration, raised before any resource exists. A
    `RunError`: Pulumi's Python host then shows the user this message alone, not a traceback."""

    def __init__(self, project: str, stack: str, problems: list[Problem]):
        self.project, self.stack, self.problems = project, stack, problems
        lines = [f"stack {stack!r}: {len(problems)} configuration problem(s); nothing was deployed."]
        lines += [p.render(project) for p in problems]
        super().__init__("\n".join(lines))


def set_command(stack: str, key: str, value: Any, secret: bool = False) -> str:
    path = "--path " if "." in key or "[" in key else ""
    shown = value if isinstance(value, str) else json.dumps(value)
    flag = "--secret " if secret else ""
    return f"pulumi config set {flag}{path}'{key}' '{shown}' --stack {stack}"


def _key_path(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _lookup(data: Any, loc: Iterable[Any]) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return _ABSENT
    return data


def _field_for(model: type[BaseModel], loc: tuple[Any, ...]):
    """The pydantic FieldInfo at `loc` (aliases), to offer its example as the fix."""
    current: Any = model
    info = None
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        fields = getattr(current, "model_fields", None)
        if not fields:
            return info
        info = next((f for name, f in fields.items() if (f.alias or name) == part or name == part), None)
        if info is None:
            return None
        current = _model_in(info.annotation)
    return info


def _model_in(annotation: Any):
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found:
            return found
    return None


def _siblings(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    parent = _field_for(model, loc[:-1]) if len(loc) > 1 else None
    target = _model_in(parent.annotation) if parent else model
    if target is None:
        return []
    return [f.alias or n for n, f in target.model_fields.items()]


def problems_from_validation(
    error: ValidationError, data: dict[str, Any], model: type[BaseModel], stack: str
) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-after")))
        # pydantic appends the union member or validator name in some locations; drop non-keys.
        loc = tuple(p for p in loc if isinstance(p, int) or not str(p).endswith("]"))
        key = _key_path(loc)
        value = _lookup(data, loc)
        kind = item["type"]
        message = item["msg"].removeprefix("Value error, ")
        if kind == "extra_forbidden":
            near = difflib.get_close_matches(str(loc[-1]), _siblings(model, loc), n=3)
            hint = f"did you mean {' or '.join(map(repr, near))}? " if near else ""
            allowed = ", ".join(_siblings(model, loc))
            message = f"unknown key. {hint}Keys allowed here: {allowed}"
            fix = f"pulumi config rm --path '{key}' --stack {stack}" + (
                f", then set '{_key_path(loc[:-1] + (near[0],))}' instead" if near else ""
            )
        else:
            info = _field_for(model, loc)
            examples = getattr(info, "examples", None) if info else None
            if kind == "missing":
                message = "required key is missing"
            if examples:
                fix = set_command(stack, key, examples[0])
            else:
                fix = f"correct '{key}' in Pulumi.{stack}.yaml (see README, 'Configuration keys')"
        problems.append(Problem(key=key or "(stack)", value=value, message=message, fix=fix))
    return problems
