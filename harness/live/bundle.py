"""The dev stack rendered for a live run: its stack file's config, changed by the caller, run
through the real program under mocks, and every file it deploys written unmasked beside the
processes that read them. One path for the live stack, the lone Prometheus and the Thanos pair."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.preview import bundle_files
from harness.program import ProgramRun, run_program
from harness.stackfile import read_stack_file


def dev_stack_config() -> dict[str, Any]:
    """The shipped dev stack file's config, lists and maps decoded."""
    return {k: json.loads(v) if v[:1] in "[{" else v for k, v in read_stack_file("dev").values.items()}


def render_dev_bundle(config: Mapping[str, Any], secrets: Mapping[str, str], outdir: Path) -> ProgramRun:
    """Run the program as the dev stack with `config` and `secrets` (as Pulumi secrets) and write
    each file it deploys under `outdir` (secrets in plaintext: the processes must read them)."""
    values = {k: v if isinstance(v, str) else json.dumps(v) for k, v in {**config, **secrets}.items()}
    run = run_program("dev", values, list(secrets))
    for path, content in bundle_files(run.records, mask=False).items():
        (outdir / path).parent.mkdir(parents=True, exist_ok=True)
        (outdir / path).write_text(content)
    return run
