"""The layers only look down: config/ knows nothing of content/, content/ nothing of Pulumi or
the components, and no product code leans on the test tooling. Read from the imports
themselves (AST), so a lazy import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# layer -> top-level packages it must never import
FORBIDDEN = {
    "config": {"content", "components", "harness", "tests"},
    "content": {"components", "harness", "tests", "pulumi", "pulumi_docker", "pulumi_kubernetes", "pulumiverse_grafana"},
    "components": {"harness", "tests"},
}


def imported_packages(path: Path) -> set[tuple[str, int]]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {(alias.name.split(".")[0], node.lineno) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add((node.module.split(".")[0], node.lineno))
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(layer):
    offences = [f"{path.relative_to(ROOT)}:{line} imports {package}"
                for path in sorted((ROOT / layer).rglob("*.py"))
                for package, line in sorted(imported_packages(path)) if package in FORBIDDEN[layer]]
    assert not offences, "\n".join(offences)
