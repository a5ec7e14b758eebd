"""Deterministic YAML: the same settings always give byte-identical files, so a second
`pulumi up` sees no change and diffs in pull requests show only real edits."""

from __future__ import annotations

from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """Indents lists under their key, as Prometheus' own examples are written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)

    def ignore_aliases(self, data) -> bool:
        """Shared lists are written out in full: `&id001` anchors would puzzle every reader."""
        return True


def _str_presenter(dumper: yaml.SafeDumper, data: str):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def dump(document: Any, header: str = "") -> str:
    """YAML text in the order the document was built (callers build it in a fixed order)."""
    text = yaml.dump(document, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=120)
    return (f"# {header}\n" if header else "") + text
