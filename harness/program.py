"""Run the real `__main__.py` under mocks, exactly as the Python language host runs it
(`runpy.run_path` of the project directory), and return what it declared."""

from __future__ import annotations

import asyncio
import os
import runpy
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

from harness.mocks import Record, RecordingMocks, RecordingMonitor

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROJECT = "monstack"
# Variables through which the real engine and providers read ambient settings; a preview must
# depend on the stack file alone.
_AMBIENT = ("PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS", "DOCKER_HOST", "KUBECONFIG")


@dataclass
class ProgramRun:
    records: list[Record]
    exports: dict[str, Any]


def run_program(stack: str, config: dict[str, str], secret_keys: list[str]) -> ProgramRun:
    """Declare the stack under mocks. Raises whatever the program raises (SettingsError on bad
    config) before anything is recorded as declared."""
    for name in _AMBIENT:
        os.environ.pop(name, None)
    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_all_config({f"{PROJECT}:{k}": v for k, v in config.items()},
                                  [f"{PROJECT}:{k}" for k in secret_keys])
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=RecordingMonitor(mocks))
    if str(PROJECT_DIR) not in sys.path:
        sys.path.insert(0, str(PROJECT_DIR))
    runpy.run_path(str(PROJECT_DIR), run_name="__main__")
    _sync_await(wait_for_rpcs())
    exports = pulumi.runtime.get_root_resource().outputs or {}
    values = _sync_await(pulumi.Output.from_input(exports).future()) if exports else {}
    return ProgramRun(records=list(mocks.records), exports=values or {})


def shutdown() -> None:
    """Close the event loop's executor; avoids an exit-time 'Invalid file descriptor' message."""
    loop = asyncio.get_event_loop()
    loop.run_until_complete(loop.shutdown_default_executor())
