"""The building blocks of every settings block: the base model (camelCase keys, unknown keys
refused, frozen), the value types users write (durations, sizes, ports, names) with the checks
that give each a clear error, and container resources, which every service block takes."""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from config.errors import FieldIssue, FieldIssuesError
from config.units import duration_seconds, size_bytes


def _check_duration(value: str) -> str:
    if duration_seconds(value) <= 0:
        raise ValueError(f"{value!r} must be longer than zero")
    return value


def _check_size(value: str) -> str:
    if size_bytes(value) <= 0:
        raise ValueError(f"{value!r} must be larger than zero")
    return value


def check_port(port: int, where: str) -> None:
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} of {where!r} is outside 1..65535; give a port from 1 to 65535")


def _check_host_port(value: str) -> str:
    check_port(int(value.rsplit(":", 1)[1]), value)
    return value


Duration = Annotated[str, AfterValidator(_check_duration)]
Size = Annotated[str, AfterValidator(_check_size)]
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,40}$")]
Cpu = Annotated[float, Field(gt=0, le=64)]
Port = Annotated[int, Field(ge=1, le=65535)]
HostPort = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$"), AfterValidator(_check_host_port)]
SecretKey = Annotated[str, Field(pattern=r"^[a-zA-Z][a-zA-Z0-9]*$")]
LabelName = Annotated[str, Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")]
# Labels Prometheus or the stack itself sets; a stack's own labels may not replace them.
RESERVED_LABELS = ("alertname", "severity", "cluster", "environment", "job", "instance")


class Model(BaseModel):
    """Base of every settings block: camelCase keys, unknown keys rejected, frozen."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        coerce_numbers_to_str=True,
    )


def _repeated_names(path: tuple[str, ...], names: list[str], what: str) -> list[FieldIssue]:
    """One issue per name that an earlier item of the list already uses, at that item's `name`."""
    return [FieldIssue((*path, i, "name"), name, f"{what} name {name!r} is used by {path[-1]}[{names.index(name)}]; "
                       "names must be unique", example=f"{name}-2")
            for i, name in enumerate(names) if name in names[:i]]


class Quantity(Model):
    memory: Optional[Size] = Field(None, examples=["512MB"])
    cpu: Optional[Cpu] = Field(None, examples=[0.5])


class Resources(Model):
    """Container limits and reservations; a reservation may not exceed its limit."""

    limits: Quantity = Quantity()
    reservations: Quantity = Quantity()

    @model_validator(mode="after")
    def _reservation_within_limit(self) -> Resources:
        lim, res = self.limits, self.reservations
        issues = []
        if lim.memory and res.memory and size_bytes(res.memory) > size_bytes(lim.memory):
            issues.append(FieldIssue(("reservations", "memory"), res.memory,
                                     f"reservations.memory {res.memory} is above limits.memory {lim.memory}; "
                                     "lower the reservation or raise the limit", example=lim.memory))
        if lim.cpu and res.cpu and res.cpu > lim.cpu:
            issues.append(FieldIssue(("reservations", "cpu"), res.cpu,
                                     f"reservations.cpu {res.cpu} is above limits.cpu {lim.cpu}; "
                                     "lower the reservation or raise the limit", example=lim.cpu))
        if issues:
            raise FieldIssuesError(issues)
        return self
