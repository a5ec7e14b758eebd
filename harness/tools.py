"""The real Prometheus tools the tests and the live harness run: Prometheus, promtool,
Alertmanager and amtool built by `scripts/build-tools` at exactly the versions the stacks deploy
(content/images.py), never the distribution's older builds, so what passes here is what runs.
"""

from __future__ import annotations

import os
from pathlib import Path

BIN = Path(__file__).resolve().parent.parent / ".tools" / "bin"
# Each tool, with the wrapper module under tools/ that scripts/build-tools builds it from.
BUILT_BY = {"prometheus": "prometheus", "promtool": "prometheus", "alertmanager": "alertmanager", "amtool": "alertmanager"}


def tool(name: str) -> str:
    """Path of the pinned build of `name`; a clear error naming the command that builds it."""
    path = BIN / name
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise FileNotFoundError(
            f"{path} is missing: run `scripts/build-tools {BUILT_BY[name]}` (scripts/setup runs it)")
    return str(path)
