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


@dataclass(frozen=True)
class FieldIssue:
    """One problem a model validator found among several fields, placed at the one field the
    user must change. `path` runs from the validated model down (camelCase keys and list
    indexes, as in the stack file); `value` is only the offending value; the fix either sets
    that field to `example` or, with `remove=True`, removes it."""

    path: tuple[str | int, ...]
    value: Any
    message: str
    example: Any = _ABSENT
    remove: bool = False


class FieldIssuesError(ValueError):
    """Raised by a model validator instead of a bare ValueError, so that an error spanning
    several fields is reported at the exact key (`applications[1].name`) with only the values
    involved, not at the parent key with a dump of the whole block. pydantic keeps the
    exception in the error's context, where `problems_from_validation` finds it."""

    def __init__(self, issues: list[FieldIssue]):
        self.issues = issues
        super().__init__("; ".join(i.message for i in issues))


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


def remove_command(stack: str, key: str) -> str:
    path = "--path " if "." in key or "[" in key else ""
    return f"pulumi config rm {path}'{key}' --stack {stack}"


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
        raised = item.get("ctx", {}).get("error")
        if isinstance(raised, FieldIssuesError):
            problems += [_field_problem(loc + issue.path, issue, data, stack) for issue in raised.issues]
            continue
        key = _key_path(loc)
        value = _lookup(data, loc)
        kind = item["type"]
        message = item["msg"].removeprefix("Value error, ")
        if "[key]" in item["loc"]:  # a bad key of a mapping (targetOverrides): the key is the value
            problems.append(Problem(key=key, value=item["input"], message=message,
                                    fix=remove_command(stack, key) + ", then set the entry under a valid key"))
            continue
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
                example = examples[0]
                if loc and isinstance(loc[-1], int) and isinstance(example, list) and example:
                    example = example[0]  # the key is one item of a list: offer one item
                elif isinstance(example, dict) and example and loc[-1] != info.alias:
                    example = next(iter(example.values()))  # the key is one entry of a mapping: offer a value
                fix = set_command(stack, key, example)
            else:
                fix = f"correct '{key}' in Pulumi.{stack}.yaml (see README, 'Configuration keys')"
        problems.append(Problem(key=key or "(stack)", value=value, message=message, fix=fix))
    return problems


def _field_problem(loc: tuple[Any, ...], issue: FieldIssue, data: dict[str, Any], stack: str) -> Problem:
    """The Problem of one FieldIssue; its value as the stack file spells it (-1, not -1.0) where it is there."""
    key = _key_path(loc)
    written = _lookup(data, loc)
    if issue.remove:
        fix = remove_command(stack, key)
    elif issue.example is not _ABSENT:
        fix = set_command(stack, key, issue.example)
    else:
        fix = f"correct '{key}' in Pulumi.{stack}.yaml (see README, 'Configuration keys')"
    return Problem(key=key, value=issue.value if written is _ABSENT else written, message=issue.message, fix=fix)
