"""Benchmark (not a test): how long each step of the real engine takes for the shipped Kubernetes
stacks in render mode, the steps tests/test_engine.py runs: stack setup (`stack init`, config and
secrets), `pulumi preview`, `pulumi up`, a second `pulumi preview --expect-no-changes` and a preview
with the policy pack. Prints a table and one JSON line; asserts nothing.

    scripts/benchmark-engine [--stacks staging,prod]
"""

from __future__ import annotations

import argparse
import json
import time

from harness.engine import Workspace, ci_secrets

STEPS = {
    "preview": ("preview",),
    "up": ("up", "--yes", "--skip-preview"),
    "preview again": ("preview", "--expect-no-changes"),
    "preview + policy": ("preview", "--policy-pack", "policy"),
}


def measure(ws: Workspace, shipped: str) -> dict[str, float]:
    stack = f"ci-{shipped}"
    start = time.monotonic()
    ws.init_stack(stack, from_stack=shipped, secrets=ci_secrets(shipped),
                  config={"grafana.manageByApi": False, "kubernetes.renderYamlTo": str(ws.rendered(stack))})
    figures = {"setup": time.monotonic() - start}
    for name, args in STEPS.items():
        figures[name] = ws.pulumi(*args, stack=stack).seconds
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stacks", default="staging,prod")
    args = parser.parse_args(argv)
    with Workspace.create() as ws:
        results = {shipped: measure(ws, shipped) for shipped in args.stacks.split(",")}
    columns = ["setup", *STEPS]
    print(f"{'stack':<10}" + "".join(f"{c:>18}" for c in columns) + "   (seconds)")
    for shipped, figures in results.items():
        print(f"{shipped:<10}" + "".join(f"{figures[c]:>18.1f}" for c in columns))
    print(json.dumps({s: {k: round(v, 2) for k, v in f.items()} for s, f in results.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
