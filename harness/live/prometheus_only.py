"""The dev stack's Prometheus alone, rendered by the program from a changed config and run for
real on loopback: for tests about what Prometheus itself does with the generated configuration
(scrape limits, fallback protocols), without the exporters and services of the full live stack.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional
from urllib.parse import quote

from config.settings import SECRET_KEYS
from harness.live.bundle import dev_stack_config, render_dev_bundle
from harness.live.processes import ProcessGroup, free_port, http_get, wait_for
from harness.live.stack import SECRETS, WEB_USER, plan_args, rewrite_paths
from harness.program import ProgramRun
from harness.tools import tool


@dataclass
class LonePrometheus:
    group: ProcessGroup
    prometheus: str
    outdir: Path
    run: Optional[ProgramRun] = None  # the program's records: other services' arguments (plan_args)

    @property
    def auth(self) -> tuple[str, str]:
        return WEB_USER, SECRETS["webPassword"]

    def api(self, path: str) -> Any:
        status, body = http_get(f"{self.prometheus}{path}", self.auth)
        assert status == 200, f"{path}: HTTP {status}"
        return json.loads(body)["data"]

    def query(self, promql: str) -> list[dict[str, Any]]:
        return self.api(f"/api/v1/query?query={quote(promql)}")["result"]

    def stop(self) -> None:
        self.group.stop_all()


def start_prometheus(workdir: Path, change: Callable[[dict[str, Any]], dict[str, Any]]) -> LonePrometheus:
    """Render the dev stack with `change(config)` applied and start its Prometheus with the plan's
    own arguments (paths and listen address moved to loopback); stop it with `.stop()`."""
    config = change(dev_stack_config())
    config["generateSecrets"] = False
    # Only the stack's own secrets: the exporters' passwords would be unknown keys without them.
    outdir = workdir / "bundle"
    run = render_dev_bundle(config, {key: SECRETS[key] for key in SECRET_KEYS}, outdir)
    group = ProcessGroup(workdir)
    port = free_port()
    argv = [tool("prometheus"), *rewrite_paths(plan_args(run, "prometheus"), outdir / "prometheus"),
            f"--web.listen-address=127.0.0.1:{port}"]
    argv = [a if not a.startswith("--storage.tsdb.path=") else f"--storage.tsdb.path={workdir / 'data'}" for a in argv]
    group.start("prometheus", argv)
    lone = LonePrometheus(group, f"http://127.0.0.1:{port}", outdir, run)
    try:
        def ready() -> bool:
            group.check_alive("prometheus")
            return http_get(f"{lone.prometheus}/-/ready", lone.auth)[0] == 200

        wait_for(ready, "prometheus")
    except BaseException:
        group.stop_all()
        raise
    return lone
