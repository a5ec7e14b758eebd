"""Pulumi mocks that record every declared resource with its parent and options.

`MockResourceArgs` carries no parent or options, so a monitor subclass keeps the raw
registration request per thread (registrations run concurrently on executor threads).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor

_request = threading.local()


@dataclass
class Record:
    type: str
    name: str
    parent: str  # URN of the parent ("" for the stack)
    urn: str  # as the mock monitor makes it (the engine's own URNs also carry every ancestor's type)
    inputs: dict[str, Any]
    protect: bool = False
    retain_on_delete: bool = False
    dependencies: list[str] = field(default_factory=list)
    provider: str = ""
    custom: bool = True
    aliases: list[dict[str, Any]] = field(default_factory=list)
    """Each alias spec as sent to the engine: `parent` (a URN, or "" for none), `name` and
    `type` where they differ from the resource's own (absent keys: unchanged)."""


class RecordingMonitor(MockMonitor):
    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        _request.value = request
        _request.urn = self.make_urn(request.parent, request.type, request.name)
        return super().RegisterResource(request)


class RecordingMocks(pulumi.runtime.Mocks):
    """Returns inputs as outputs, plus what real providers compute: image ids, and for
    pulumi-random a deterministic password kept secret as the engine would."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self._lock = threading.Lock()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        request = getattr(_request, "value", None) if args.custom is not None else None
        state = dict(args.inputs)
        if args.typ == "docker:index/remoteImage:RemoteImage":
            state["imageId"] = "sha256:" + hashlib.sha256(str(args.inputs.get("name")).encode()).hexdigest()
        if args.typ == "random:index/randomPassword:RandomPassword":
            generated = "generated-" + hashlib.sha256(args.name.encode()).hexdigest()[:24]
            state["result"] = rpc.wrap_rpc_secret(generated)
        if request is not None:
            urn = _request.urn
            with self._lock:
                self.records.append(Record(
                    type=args.typ, name=args.name, parent=request.parent, urn=urn, inputs=dict(args.inputs),
                    protect=bool(request.protect), retain_on_delete=bool(request.retainOnDelete),
                    dependencies=list(request.dependencies), provider=args.provider, custom=bool(args.custom),
                    aliases=[_alias(a) for a in request.aliases],
                ))
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


def _alias(alias: Any) -> dict[str, Any]:
    """An alias of a registration request as plain data (a whole old URN, or a spec)."""
    if alias.WhichOneof("alias") == "urn":
        return {"urn": alias.urn}
    spec = alias.spec
    out: dict[str, Any] = {k: v for k, v in (("name", spec.name), ("type", spec.type)) if v}
    if spec.WhichOneof("parent") == "noParent" and spec.noParent:
        out["parent"] = ""
    elif spec.parentUrn:
        out["parent"] = spec.parentUrn
    return out


def unwrap(value: Any, mask: str | None = None) -> Any:
    """Plain data from mock inputs: secret markers replaced by `mask` (or unwrapped when None),
    whole-number floats (protobuf has only doubles) back to ints."""
    if rpc.is_rpc_secret(value):
        return mask if mask is not None else unwrap(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: unwrap(v, mask) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v, mask) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
